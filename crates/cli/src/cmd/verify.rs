//! `vfp verify`: a thorough dense re-check of one takedown target, for the
//! reviewer who signs the notice: every matched segment with timecodes,
//! and per matched clip frame the title frame it shows and how far apart
//! their hashes are; optionally the HTML evidence page.

use crate::args::VerifyConfig;
use crate::exit::Status;
use crate::output::{evidence, to_stdout, verify};
use anyhow::{bail, Result};
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
    let scanner = Scanner::new(&catalog, cfg.engine);
    let verification = scanner.verify(&cfg.clip, title)?;
    to_stdout(&verify::render(cfg.format, &verification))?;
    if let Some(out) = &cfg.report {
        evidence::write(&verification, &cfg.clip, out)?;
        eprintln!("vfp: evidence page written to {}", out.display());
    }
    Ok(match verification.verdict() {
        Verdict::Match => Status::Success,
        Verdict::NoMatch | Verdict::Error => Status::NoMatch,
    })
}
