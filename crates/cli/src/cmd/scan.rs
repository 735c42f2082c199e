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
use crate::output::scan::{header, render, render_reviewed, summary, Tally};
use crate::output::{progress, Rendered};
use anyhow::{Context, Result};
use rayon::prelude::*;
use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;
use vfp_index::Catalog;
use vfp_scan::{FileRecord, Scanner, Verdict};

/// Runs `vfp scan`.
pub fn run(cfg: ScanConfig) -> Result<Status> {
    let started = Instant::now();
    let mut inputs = expand(&cfg.paths, cfg.recursive)?;
    let mut tally = Tally::default();
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
    if !done.is_empty() {
        let before = inputs.len();
        inputs.retain(|l| !done.contains(&l.path().display().to_string()));
        tally.skipped = before - inputs.len();
    }
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
    let printer = Printer::new(cfg.format, inputs.len(), out, summary, !cfg.quiet);
    // A CSV appended to has its header already.
    if !appending {
        printer.begin()?;
    }
    let tally = Mutex::new(tally);
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
            let review = ledger.as_ref().map(|l| review_of(&mut lock(l), &record));
            {
                let mut tally = lock(&tally);
                tally.add(&record);
                if let Some(review) = &review {
                    tally.add_review(&record, review);
                }
            }
            printer.record(&record, review.as_ref());
        });
    });
    let tally = tally.into_inner().unwrap_or_else(|p| p.into_inner());
    printer.finish(tally, started.elapsed().as_secs_f64())?;
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

/// Prints records as they come, from any thread, under the progress bar;
/// remembers the first failed write to stdout (a closed pipe) to report
/// it once at the end.
struct Printer {
    format: ScanFormat,
    files: usize,
    progress: indicatif::ProgressBar,
    /// Where records go: stdout, or the `-o` file.
    out: Mutex<Box<dyn Write + Send>>,
    /// Whether a summary goes to stderr at the end.
    summary: bool,
    write_failed: Mutex<Option<std::io::Error>>,
}

impl Printer {
    fn new(
        format: ScanFormat,
        files: usize,
        out: Box<dyn Write + Send>,
        summary: bool,
        show_progress: bool,
    ) -> Self {
        Printer {
            format,
            files,
            progress: if show_progress {
                progress::files(files)
            } else {
                indicatif::ProgressBar::hidden()
            },
            out: Mutex::new(out),
            summary,
            write_failed: Mutex::new(None),
        }
    }

    fn begin(&self) -> Result<()> {
        if let Some(text) = header(self.format) {
            let mut out = lock(&self.out);
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .context("cannot write the results")?;
        }
        Ok(())
    }

    /// Whether stdout's reader has gone (a closed pipe).
    fn reader_gone(&self) -> bool {
        lock(&self.write_failed)
            .as_ref()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    }

    fn started(&self, path: &Path) {
        self.progress.set_message(progress::file_label(path));
    }

    fn record(&self, record: &FileRecord, review: Option<&Review>) {
        let Rendered { stdout, stderr } = match review {
            Some(review) => render_reviewed(self.format, record, review),
            None => render(self.format, record),
        };
        self.progress.suspend(|| {
            if !stderr.is_empty() {
                eprint!("{stderr}");
            }
            let mut out = lock(&self.out);
            if let Err(e) = out.write_all(stdout.as_bytes()).and_then(|()| out.flush()) {
                lock(&self.write_failed).get_or_insert(e);
            }
        });
        self.progress.inc(1);
    }

    fn finish(self, tally: Tally, seconds: f64) -> Result<()> {
        self.progress.finish_and_clear();
        if let Some(e) = self
            .write_failed
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
        {
            return Err(anyhow::Error::new(e).context("cannot write the results"));
        }
        if self.summary && self.files + tally.skipped > 1 {
            eprint!("{}", summary(tally, seconds));
        }
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Prepares `path` to be appended to: a last line without its newline
/// (a scan killed mid-write) is cut off, so the next record starts on a
/// line of its own; that file is scanned again. Whether the file already
/// holds records.
fn drop_cut_last_line(path: &Path) -> Result<bool> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!("cannot read {}", path.display())))
        }
    };
    if bytes.last().is_some_and(|&b| b != b'\n') {
        let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|f| f.set_len(keep as u64))
            .with_context(|| format!("cannot repair {}", path.display()))?;
        eprintln!(
            "vfp: {}: dropped a last line cut short by an interrupted scan",
            path.display()
        );
        return Ok(keep > 0);
    }
    Ok(!bytes.is_empty())
}

/// Files with a result other than an error in an earlier jsonl results
/// file.
fn finished_files(path: &Path) -> Result<HashSet<String>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut done = HashSet::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        // The last line of an interrupted scan may be cut short: skip it.
        let Ok(record) = serde_json::from_str::<FileRecord>(&line) else {
            eprintln!(
                "vfp: warning: {}:{}: not a scan record, ignored",
                path.display(),
                i + 1
            );
            continue;
        };
        if record.verdict != Verdict::Error {
            done.insert(record.file);
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// The paths `finished_files` would skip, for tests.
    fn skipped(results: &str, inputs: &[&str]) -> Vec<PathBuf> {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("r.jsonl");
        std::fs::write(&path, results).unwrap();
        let done = finished_files(&path).unwrap();
        inputs
            .iter()
            .map(PathBuf::from)
            .filter(|p| done.contains(&p.display().to_string()))
            .collect()
    }

    #[test]
    fn resume_skips_what_an_earlier_scan_finished_but_not_its_errors() {
        let results = concat!(
            r#"{"file":"a.mp4","sha256":"00","duration_s":1.0,"verdict":"match","error":null,"matches":[]}"#,
            "\n",
            r#"{"file":"b.mp4","sha256":null,"duration_s":null,"verdict":"error","error":"b.mp4: x","matches":[]}"#,
            "\n",
            r#"{"file":"c.mp4","sha256":"00","duration_s":1.0,"verdict":"no_match","error":null,"matches":[]}"#,
            "\n",
            r#"{"file":"d.mp4","sha256":"00","dur"#,
        );
        assert_eq!(
            skipped(results, &["a.mp4", "b.mp4", "c.mp4", "d.mp4"]),
            [PathBuf::from("a.mp4"), PathBuf::from("c.mp4")]
        );
    }
}
