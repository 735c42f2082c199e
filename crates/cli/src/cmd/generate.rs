//! `vfp generate`: the man page and shell completions, from the same
//! clap definitions as `--help`, so they cannot drift from it.

use crate::args::{Cli, Generated};
use crate::exit::Status;
use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;
use std::io::Write;

/// Runs `vfp generate`.
pub fn run(what: Generated) -> Result<Status> {
    let mut out = Vec::new();
    generate(what, &mut out)?;
    std::io::stdout()
        .write_all(&out)
        .context("cannot write to stdout")?;
    Ok(Status::Success)
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
