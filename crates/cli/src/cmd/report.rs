//! `vfp report`: a scan's hits as one page for review. Top-down: the
//! records read → the hits (files with a match) checked again, in
//! parallel, as `vfp verify` checks one ([`Scanner::verify`]) → each
//! one's evidence page written → the index page, a row per hit, its
//! pictures the first matched pair.

use super::review_of;
use crate::args::{jobs_or_cores, ReportArgs};
use crate::exit::Status;
use crate::files::{new_folder, write_new_file};
use crate::output::evidence;
use crate::output::report::{render, Hit, ReportFacts};
use crate::output::review::Review;
use anyhow::{Context, Result};
use rayon::prelude::*;
use std::io::BufRead as _;
use std::path::Path;
use std::sync::{Mutex, PoisonError};
use vfp_index::Catalog;
use vfp_scan::evidence::{Evidence, Provenance, ReviewerInput};
use vfp_scan::{FileRecord, ScanSettings, Scanner, Verdict};

/// A hit as read: its record, and the review the scan wrote with it.
struct Read {
    record: FileRecord,
    review: Option<(bool, String)>,
}

/// Runs `vfp report`.
pub fn run(a: ReportArgs) -> Result<Status> {
    let (records, hits) = read_hits(&a.results)?;
    if hits.is_empty() {
        eprintln!(
            "vfp: {}: no file with a match in {} records: no page written",
            a.results.display(),
            records
        );
        return Ok(Status::NoMatch);
    }
    let catalog = Catalog::open(&a.catalog)?;
    let engine = ScanSettings::default()
        .validate()
        .map_err(crate::args::settings_error)?;
    let (params, local) = (engine.match_params().clone(), *engine.local_params());
    let scanner = Scanner::new(&catalog, engine);
    let ledger = match &a.ledger {
        Some(location) => Some(Mutex::new(vfp_ledger::Ledger::open(location)?)),
        None => None,
    };
    new_folder(&a.output, a.force)?;
    new_folder(&a.output.join("pages"), a.force)?;
    let made_utc = vfp_ledger::utc_now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs_or_cores(a.jobs)?)
        .build()
        .context("cannot start worker threads")?;
    let done: Vec<(Hit, Option<String>)> = pool.install(|| {
        hits.par_iter()
            .enumerate()
            .map(|(i, hit)| {
                let number = i + 1;
                let page = format!("pages/{number:04}.html");
                let review = match &ledger {
                    Some(l) => {
                        let r: Review = review_of(
                            &mut l.lock().unwrap_or_else(PoisonError::into_inner),
                            &hit.record,
                        );
                        Some(review_words(&r))
                    }
                    None => hit.review.clone(),
                };
                let path = Path::new(&hit.record.file);
                let checked = scanner
                    .verify(path, None)
                    .map_err(anyhow::Error::new)
                    .and_then(|v| {
                        let given = ReviewerInput {
                            source_url: hit.record.provenance.source_url.clone(),
                            found_at: hit.record.provenance.found_at.clone(),
                            reviewer: None,
                            case: None,
                        };
                        let provenance = Provenance::gather(
                            given,
                            &catalog,
                            &params,
                            &local,
                            crate::args::shareable_command_line(std::env::args_os()),
                            env!("CARGO_PKG_VERSION"),
                            made_utc.clone(),
                        )?;
                        let e = Evidence::gather(v, provenance, path, Some(&catalog));
                        evidence::write(&e, None, &a.output.join(&page), a.force)?;
                        Ok(e)
                    });
                match checked {
                    Ok(e) => (Hit::new(number, page, &hit.record, Some(&e), review), None),
                    Err(err) => {
                        let why = format!("{err:#}");
                        (
                            Hit::new(number, String::new(), &hit.record, None, review),
                            Some(why),
                        )
                    }
                }
            })
            .collect()
    });
    let mut rows = Vec::new();
    let mut not_checked = Vec::new();
    for (hit, failed) in done {
        match failed {
            None => rows.push(hit),
            Some(why) => not_checked.push(crate::output::printable(&why).into_owned()),
        }
    }
    let catalog_sha256 = vfp_fingerprint::to_hex(&{
        use sha2::Digest as _;
        sha2::Sha256::digest(catalog.files()?.manifest).into()
    });
    let source = a
        .results
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let html = render(
        &ReportFacts {
            source: &source,
            records,
            not_checked: &not_checked,
            made_utc: &made_utc,
            catalog_sha256: &catalog_sha256,
        },
        &rows,
    )?;
    let index = a.output.join("index.html");
    write_new_file(&index, html.as_bytes(), a.force)?;
    eprintln!(
        "vfp: {} written: {} hits with their evidence pages{}",
        index.display(),
        rows.len(),
        if not_checked.is_empty() {
            String::new()
        } else {
            format!(
                ", {} could not be checked again (listed on the page)",
                not_checked.len()
            )
        }
    );
    Ok(if not_checked.is_empty() {
        Status::Success
    } else {
        Status::Error
    })
}

/// A review in the page's words: to act on, and the current decisions.
fn review_words(r: &Review) -> (bool, String) {
    let mut words: Vec<String> = r
        .decisions
        .iter()
        .map(|d| format!("{}: {}", d.title_id, d.status))
        .collect();
    if let Some(a) = &r.allowed {
        words.push(format!("licensed ({} {})", a.kind.as_str(), a.value));
    }
    (r.to_act_on, words.join("; "))
}

/// The records of `path` (jsonl) and of them the hits (files with a
/// match), each with the review the scan wrote, if any.
fn read_hits(path: &Path) -> Result<(usize, Vec<Read>)> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut records = 0;
    let mut hits = Vec::new();
    let mut reader = std::io::BufReader::new(file);
    let mut line = Vec::new();
    let mut number = 0usize;
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if read == 0 {
            break;
        }
        number += 1;
        let complete = line.ends_with(b"\n");
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed = serde_json::from_slice::<serde_json::Value>(&line).and_then(|value| {
            serde_json::from_value::<FileRecord>(value.clone()).map(|record| (value, record))
        });
        let (value, record) = match parsed {
            Ok(read) => read,
            // The last line of a scan still writing (or killed) is cut
            // short: the page is made of the records before it.
            Err(_) if !complete => {
                eprintln!(
                    "vfp: warning: {}:{number}: the last line is cut short (a scan still writing, or stopped); left out",
                    path.display()
                );
                break;
            }
            Err(e) => anyhow::bail!(
                "{}:{number}: not a scan record ({e}); vfp report reads what vfp scan --format jsonl writes",
                path.display()
            ),
        };
        records += 1;
        if record.verdict != Verdict::Match {
            continue;
        }
        let review = value.get("review").map(|r| {
            let statuses: Vec<String> = r["decisions"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|d| {
                    format!(
                        "{}: {}",
                        d["title_id"].as_str().unwrap_or_default(),
                        d["status"].as_str().unwrap_or_default()
                    )
                })
                .collect();
            (
                r["to_act_on"].as_bool().unwrap_or(true),
                statuses.join("; "),
            )
        });
        hits.push(Read { record, review });
    }
    Ok((records, hits))
}
