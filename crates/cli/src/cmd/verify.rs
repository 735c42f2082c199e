//! `vfp verify`: a thorough dense re-check of one takedown target, for the
//! reviewer who signs the notice: every matched segment with timecodes,
//! and per matched clip frame the title frame it shows and how far apart
//! their hashes are; optionally the HTML evidence page.

use crate::args::VerifyConfig;
use crate::exit::Status;
use crate::output::evidence;
use crate::output::review::Review;
use crate::output::{to_stdout, verify};
use anyhow::{bail, Result};
use vfp_index::Catalog;
use vfp_scan::evidence::{Evidence, Provenance};
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
    let local = *cfg.engine.local_params();
    let scanner = Scanner::new(&catalog, cfg.engine);
    let verification = scanner.verify(&cfg.clip, title)?;
    let verdict = verification.verdict();
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
        let provenance = Provenance::gather(
            cfg.provenance,
            &catalog,
            &params,
            &local,
            crate::args::shareable_command_line(std::env::args_os()),
            env!("CARGO_PKG_VERSION"),
            vfp_ledger::utc_now(),
        )?;
        let evidence = Evidence::gather(verification, provenance, &cfg.clip, Some(&catalog));
        if let Some(out) = &cfg.report {
            evidence::write(&evidence, review.as_ref(), out, cfg.force)?;
            eprintln!(
                "vfp: evidence page written to {} (its SHA-256 in {}.sha256)",
                out.display(),
                out.display()
            );
        }
        if let Some(dir) = &cfg.bundle {
            evidence::write_bundle(&evidence, review.as_ref(), dir, cfg.force)?;
            eprintln!(
                "vfp: evidence bundle written to {} (report.html, report.json, SHA256SUMS)",
                dir.display()
            );
        }
    }
    Ok(match verdict {
        Verdict::Match => Status::Success,
        Verdict::Inconclusive => Status::Inconclusive,
        Verdict::NoMatch | Verdict::Error | Verdict::Skipped => Status::NoMatch,
    })
}
