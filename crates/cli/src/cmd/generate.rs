//! `vfp generate`: the man page and shell completions, from the same
//! clap definitions as `--help`, so they cannot drift from it.

use crate::args::{Cli, Generated};
use crate::exit::Status;
use crate::files::write_atomically;
use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Runs `vfp generate`.
pub fn run(what: Generated, output: Option<&Path>) -> Result<Status> {
    if let Some(dir) = output {
        if what != Generated::Man {
            anyhow::bail!("-o writes man pages only; completions are printed");
        }
        let written = man_pages(dir)?;
        eprintln!(
            "vfp: {} man pages written to {}",
            written.len(),
            dir.display()
        );
        return Ok(Status::Success);
    }
    let mut out = Vec::new();
    generate(what, &mut out)?;
    std::io::stdout()
        .write_all(&out)
        .context("cannot write to stdout")?;
    Ok(Status::Success)
}

/// Writes a man page for vfp and for each of its commands (`vfp.1`,
/// `vfp-scan.1`, `vfp-index-build.1`...: the pages the first one lists)
/// into `dir`, made if missing; the files written.
pub fn man_pages(dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // Built, so that every command knows its full name (`vfp-index-build`).
    let mut cli = Cli::command().disable_help_subcommand(true);
    cli.build();
    let mut written = Vec::new();
    let mut pending = vec![cli];
    while let Some(cmd) = pending.pop() {
        pending.extend(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
        let page = clap_mangen::Man::new(cmd);
        let mut roff = Vec::new();
        page.render(&mut roff).context("cannot render a man page")?;
        let path = dir.join(page.get_filename());
        write_atomically(&path, &roff)?;
        written.push(path);
    }
    written.sort();
    Ok(written)
}

/// Writes `what` to `out`.
pub fn generate(what: Generated, out: &mut Vec<u8>) -> Result<()> {
    let mut cli = Cli::command();
    let shell = match what {
        Generated::Man => {
            return clap_mangen::Man::new(cli)
                .render(out)
                .context("cannot render the man page");
        }
        Generated::CompleteBash => Shell::Bash,
        Generated::CompleteZsh => Shell::Zsh,
        Generated::CompleteFish => Shell::Fish,
        Generated::CompletePowershell => Shell::PowerShell,
        Generated::CompleteElvish => Shell::Elvish,
    };
    clap_complete::generate(shell, &mut cli, "vfp", out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_the_man_page_refers_to_is_written() {
        let tmp = tempfile::tempdir().unwrap();
        let written = man_pages(tmp.path()).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for page in [
            "vfp.1",
            "vfp-scan.1",
            "vfp-index-build.1",
            "vfp-review-mark.1",
        ] {
            assert!(names.iter().any(|n| n == page), "{page}: {names:?}");
        }
        // Each page the top page lists exists.
        let top = std::fs::read_to_string(tmp.path().join("vfp.1")).unwrap();
        for name in ["vfp\\-scan(1)", "vfp\\-verify(1)"] {
            assert!(top.contains(name), "{name} not in the page");
        }
        let scan = std::fs::read_to_string(tmp.path().join("vfp-scan.1")).unwrap();
        assert!(scan.contains("\\-\\-catalog"), "{scan}");
    }

    #[test]
    fn the_man_page_and_completions_name_the_commands() {
        let mut man = Vec::new();
        generate(Generated::Man, &mut man).unwrap();
        let man = String::from_utf8(man).unwrap();
        assert!(
            man.starts_with(".ie") || man.contains(".TH vfp"),
            "{}",
            &man[..200]
        );
        assert!(man.contains("scan") && man.contains("Exit status"));
        for what in [
            Generated::CompleteBash,
            Generated::CompleteZsh,
            Generated::CompleteFish,
            Generated::CompletePowershell,
            Generated::CompleteElvish,
        ] {
            let mut text = Vec::new();
            generate(what, &mut text).unwrap();
            let text = String::from_utf8(text).unwrap();
            assert!(
                text.contains("verify") && text.contains("catalog"),
                "{what:?}"
            );
        }
    }
}
