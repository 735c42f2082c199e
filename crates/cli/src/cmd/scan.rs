//! `vfp scan`: scraped files → catalog matches, in parallel across files,
//! one record per file printed as each finishes.
//!
//! Top-down: arguments checked → files listed (minus those an earlier
//! scan finished) → catalog opened → per file, in parallel, decided by
//! what it holds ([`decide`]) and [`Scanner::scan_path`] (decode → sample
//! → hash → search → align → record), or recorded as skipped, with why →
//! printed in the chosen format → exit status.

use super::review_of;
use crate::args::{ScanConfig, ScanFormat};
use crate::crawl::read_manifest;
use crate::exit::Status;
use crate::files::{decide, expand, Decided, Listed};
use crate::output::scan::Printer;
use crate::resume::{drop_cut_last_line, Finished};
use anyhow::{Context, Result};
use rayon::prelude::*;
use std::io::Write;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;
use vfp_index::Catalog;
use vfp_scan::{FileRecord, Provenance, Scanner};

/// Runs `vfp scan`.
pub fn run(cfg: ScanConfig) -> Result<Status> {
    let started = Instant::now();
    let mut inputs: Vec<(Listed, Provenance)> = expand(&cfg.paths, cfg.recursive, &cfg.selection)?
        .into_iter()
        .map(|listed| (listed, Provenance::default()))
        .collect();
    if let Some(manifest) = &cfg.from {
        inputs.extend(
            read_manifest(manifest)?
                .into_iter()
                .map(|c| (Listed::Given(c.path), c.provenance)),
        );
    }
    let appending = match (&cfg.output, cfg.append) {
        (Some(path), true) => drop_cut_last_line(path)?,
        _ => false,
    };
    // Files an earlier scan finished: in `--resume`, and in the output
    // file appended to.
    let mut done = Finished::default();
    for results in cfg
        .resume
        .iter()
        .chain(cfg.output.iter().filter(|_| appending))
    {
        done.read(results)?;
    }
    let before = inputs.len();
    if !done.is_empty() {
        inputs.retain(|(l, _)| !done.contains(l.path()));
    }
    let already_scanned = before - inputs.len();
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
                .write(true)
                .append(cfg.append)
                .truncate(!cfg.append)
                .open(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        ),
        None if cfg.quiet => Box::new(std::io::sink()),
        None => Box::new(std::io::stdout()),
    };
    // With the records in a file, the terminal has room for the summary.
    let summary = !cfg.quiet && (cfg.format == ScanFormat::Human || cfg.output.is_some());
    let printer = Printer::new(
        cfg.format,
        inputs.len(),
        already_scanned,
        out,
        summary,
        !(cfg.quiet || cfg.no_progress),
    );
    // A CSV appended to has its header already.
    if !appending {
        printer.begin()?;
    }
    // `-q` with nothing to write: the first match settles the status.
    let stop_at_match = cfg.quiet && cfg.output.is_none();
    pool.install(|| {
        inputs.par_iter().for_each(|(listed, provenance)| {
            if printer.reader_gone() || (stop_at_match && printer.matched_any()) {
                // `vfp scan ... | head`: no one reads the rest.
                return;
            }
            printer.started(listed.path());
            let mut record = match decide(listed, &cfg.selection) {
                Decided::Read(path) => scanner.scan_path(&path),
                Decided::Skip(path, skip) => FileRecord::skipped(&path, skip),
                // A folder that could not be listed, or a file whose first
                // bytes could not be read, gets its own error record; the
                // rest of the scan goes on.
                Decided::Failed(path, why) => {
                    FileRecord::failed(path.display().to_string(), why.as_ref()).about(&path)
                }
            };
            record.provenance = provenance.clone();
            let review = ledger.as_ref().map(|l| {
                review_of(
                    &mut l.lock().unwrap_or_else(PoisonError::into_inner),
                    &record,
                )
            });
            // --to-act-on: files with nothing left to do are counted, not
            // printed.
            let shown = !cfg.to_act_on || review.as_ref().is_some_and(|r| r.to_act_on);
            printer.record(&record, review.as_ref(), shown);
        });
    });
    let tally = printer.finish(started.elapsed().as_secs_f64())?;
    Ok(if cfg.to_act_on {
        // The answer asked for: is anything left to act on?
        if tally.errors > 0 {
            Status::Error
        } else if tally.to_act_on > 0 {
            Status::Success
        } else {
            Status::NoMatch
        }
    } else if tally.matched > 0 && stop_at_match {
        // As grep -q: a match found is the answer, whatever else failed.
        Status::Success
    } else if tally.errors > 0 {
        Status::Error
    } else if tally.matched > 0 {
        Status::Success
    } else if tally.inconclusive > 0 {
        Status::Inconclusive
    } else {
        Status::NoMatch
    })
}
