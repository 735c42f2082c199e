//! `vfp scan`: scraped files → catalog matches, in parallel across files,
//! one record per file printed as each finishes.
//!
//! Top-down: arguments checked → files listed (minus those an earlier
//! scan finished) → catalog opened → per file, in parallel,
//! [`Scanner::scan_path`] (decode → sample → hash → search → align →
//! record) → printed in the chosen format → exit status.

use crate::args::{ScanConfig, ScanFormat};
use crate::exit::Status;
use crate::files::{expand, Listed};
use crate::output::review::Review;
use crate::output::scan::Printer;
use crate::resume::{drop_cut_last_line, finished_files};
use anyhow::{Context, Result};
use rayon::prelude::*;
use std::collections::HashSet;
use std::io::Write;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;
use vfp_index::Catalog;
use vfp_scan::{FileRecord, Scanner};

/// Runs `vfp scan`.
pub fn run(cfg: ScanConfig) -> Result<Status> {
    let started = Instant::now();
    let mut inputs = expand(&cfg.paths, cfg.recursive)?;
    let appending = match &cfg.output {
        Some(path) => drop_cut_last_line(path)?,
        None => false,
    };
    // Files an earlier scan finished: in `--resume`, and in the output
    // file it appends to (jsonl records only).
    let resume_from = cfg.resume.iter().chain(
        cfg.output
            .iter()
            .filter(|_| appending && cfg.format == ScanFormat::Jsonl),
    );
    let mut done = HashSet::new();
    for results in resume_from {
        done.extend(finished_files(results)?);
    }
    let before = inputs.len();
    inputs.retain(|l| !done.contains(&l.path().display().to_string()));
    let skipped = before - inputs.len();
    let ledger = match &cfg.ledger {
        Some(location) => Some(Mutex::new(vfp_ledger::Ledger::open(location)?)),
        None => None,
    };
    let catalog = Catalog::open(&cfg.catalog)?;
    let scanner = Scanner::new(&catalog, cfg.engine_for(inputs.len()));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.jobs)
        .build()
        .context("cannot start worker threads")?;

    let out: Box<dyn Write + Send> = match &cfg.output {
        Some(path) => Box::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout()),
    };
    // With the records in a file, the terminal has room for the summary.
    let summary = !cfg.quiet && (cfg.format == ScanFormat::Human || cfg.output.is_some());
    let printer = Printer::new(cfg.format, inputs.len(), skipped, out, summary, !cfg.quiet);
    // A CSV appended to has its header already.
    if !appending {
        printer.begin()?;
    }
    pool.install(|| {
        inputs.par_iter().for_each(|listed| {
            if printer.reader_gone() {
                // `vfp scan ... | head`: no one reads the rest.
                return;
            }
            printer.started(listed.path());
            let record = match listed {
                Listed::File(path) => scanner.scan_path(path),
                // A folder that could not be listed gets its own error
                // record; the rest of the scan goes on.
                Listed::Unreadable { path, error } => {
                    let why = anyhow::Error::msg(error.to_string())
                        .context(format!("{}: cannot read this folder", path.display()));
                    FileRecord::failed(path.display().to_string(), why.as_ref())
                }
            };
            let review = ledger.as_ref().map(|l| {
                review_of(
                    &mut l.lock().unwrap_or_else(PoisonError::into_inner),
                    &record,
                )
            });
            printer.record(&record, review.as_ref());
        });
    });
    let tally = printer.finish(started.elapsed().as_secs_f64())?;
    Ok(if tally.errors > 0 {
        Status::Error
    } else if tally.matched > 0 {
        Status::Success
    } else {
        Status::NoMatch
    })
}

/// What the ledger says of `record`'s file. A ledger that cannot be read
/// mid-scan says so in the record's review rather than stopping the scan.
fn review_of(ledger: &mut vfp_ledger::Ledger, record: &FileRecord) -> Review {
    let Some(sha256) = &record.sha256 else {
        return Review::default();
    };
    let titles: Vec<&str> = record.matches.iter().map(|m| m.title_id.as_str()).collect();
    match ledger.about_clip(sha256, None) {
        Ok((allowed, decisions)) => Review::of(&titles, allowed, decisions),
        Err(e) => Review::unreadable(&titles, &e),
    }
}
