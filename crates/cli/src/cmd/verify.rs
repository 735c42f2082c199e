//! `vfp verify`: a thorough dense re-check of one takedown target, for the
//! reviewer who signs the notice: every matched segment with timecodes,
//! and per matched clip frame the title frame it shows and how far apart
//! their hashes are; optionally the HTML evidence page.

use crate::args::VerifyConfig;
use crate::exit::Status;
use crate::output::evidence::{self, Provenance};
use crate::output::review::Review;
use crate::output::{to_stdout, verify};
use anyhow::{bail, Result};
use sha2::{Digest, Sha256};
use vfp_index::Catalog;
use vfp_scan::{Scanner, Verdict};

/// Runs `vfp verify`.
pub fn run(cfg: VerifyConfig) -> Result<Status> {
    let catalog = Catalog::open(&cfg.catalog)?;
    let title = match &cfg.title {
        Some(id) => match catalog.find_title(id) {
            Some(t) => Some(t),
            None => bail!("{}: no title {id:?} in the catalog", cfg.catalog.display()),
        },
        None => None,
    };
    let params = cfg.engine.match_params().clone();
    let scanner = Scanner::new(&catalog, cfg.engine);
    let verification = scanner.verify(&cfg.clip, title)?;
    to_stdout(&verify::render(cfg.format, &verification))?;
    if cfg.report.is_some() || cfg.bundle.is_some() {
        let review = match &cfg.ledger {
            Some(location) => {
                let mut ledger = vfp_ledger::Ledger::open(location)?;
                let sha256 = &verification.clip_sha256;
                let titles: Vec<&str> = verification
                    .segments
                    .iter()
                    .map(|s| s.title_id.as_str())
                    .collect();
                let (allowed, decisions) =
                    ledger.about_clip(sha256, cfg.provenance.source_url.as_deref())?;
                Some(Review::of(&titles, allowed, decisions))
            }
            None => None,
        };
        let given = cfg.provenance;
        let provenance = Provenance {
            source_url: given.source_url,
            found_at: given.found_at,
            reviewer: given.reviewer,
            case: given.case,
            generated_at_utc: utc_now(),
            vfp_version: env!("CARGO_PKG_VERSION").into(),
            command_line: command_line(),
            catalog_manifest_sha256: vfp_fingerprint::to_hex(
                &Sha256::digest(catalog.files()?.manifest).into(),
            ),
            catalog_titles: catalog.titles().len(),
            catalog_frames: catalog.frame_count(),
            min_frames: params.min_frames,
            min_duration_s: f64::from(params.min_duration_ms) / 1000.0,
            review,
        };
        if let Some(out) = &cfg.report {
            evidence::write(&verification, &provenance, &cfg.clip, out)?;
            eprintln!(
                "vfp: evidence page written to {} (its SHA-256 in {}.sha256)",
                out.display(),
                out.display()
            );
        }
        if let Some(dir) = &cfg.bundle {
            evidence::write_bundle(&verification, &provenance, &cfg.clip, dir)?;
            eprintln!(
                "vfp: evidence bundle written to {} (report.html, report.json, SHA256SUMS)",
                dir.display()
            );
        }
    }
    Ok(match verification.verdict() {
        Verdict::Match => Status::Success,
        Verdict::NoMatch | Verdict::Error => Status::NoMatch,
    })
}

/// Now, UTC, to the second: `2026-11-30T09:55:12Z`.
fn utc_now() -> String {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    vfp_ledger::utc(now_ms)
}

/// This process's command line as a POSIX shell would take it back.
fn command_line() -> String {
    std::env::args_os()
        .map(|a| shell_quoted(&a.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `arg` as one shell word: as it is when that is safe, else in single
/// quotes.
fn shell_quoted(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_./:=@%+,-".contains(&b));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_read_back_in_a_shell() {
        assert_eq!(shell_quoted("clip.mp4"), "clip.mp4");
        assert_eq!(shell_quoted("a b"), "'a b'");
        assert_eq!(shell_quoted("it's"), "'it'\\''s'");
        assert_eq!(shell_quoted(""), "''");
        assert_eq!(utc_now().len(), "2026-11-30T09:55:12Z".len());
    }
}
