//! The scan's sink: records printed as they come, from any thread, under
//! the progress bar, in the chosen format; the summary at the end.

use super::{header, render, render_reviewed, summary, Tally};
use crate::args::ScanFormat;
use crate::output::review::Review;
use crate::output::{progress, Rendered};
use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use vfp_scan::FileRecord;

/// Prints records as they come, from any thread, under the progress bar;
/// remembers the first failed write to stdout (a closed pipe) to report
/// it once at the end.
pub struct Printer {
    format: ScanFormat,
    files: usize,
    progress: indicatif::ProgressBar,
    /// Where records go: stdout, or the `-o` file.
    out: Mutex<Box<dyn Write + Send>>,
    /// Whether a summary goes to stderr at the end.
    summary: bool,
    /// How the files printed so far ended.
    tally: Mutex<Tally>,
    write_failed: Mutex<Option<std::io::Error>>,
}

impl Printer {
    /// A printer of `files` records in `format` to `out` (`already_scanned`
    /// more files were done by an earlier scan), with a summary on stderr
    /// at the end if `summary`, and a progress bar if `show_progress`.
    pub fn new(
        format: ScanFormat,
        files: usize,
        already_scanned: usize,
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
            tally: Mutex::new(Tally {
                already_scanned,
                ..Tally::default()
            }),
            write_failed: Mutex::new(None),
        }
    }

    /// Writes the format's header, if it has one.
    pub fn begin(&self) -> Result<()> {
        if let Some(text) = header(self.format) {
            let mut out = lock(&self.out);
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .context("cannot write the results")?;
        }
        Ok(())
    }

    /// Whether stdout's reader has gone (a closed pipe).
    pub fn reader_gone(&self) -> bool {
        lock(&self.write_failed)
            .as_ref()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// Whether a file with a match has been printed.
    pub fn matched_any(&self) -> bool {
        lock(&self.tally).matched > 0
    }

    /// Shows that `path` is being scanned.
    pub fn started(&self, path: &Path) {
        self.progress.set_message(progress::file_label(path));
    }

    /// Prints one file's record, with what the ledger says of it; counts
    /// it, printed or not (`shown`).
    pub fn record(&self, record: &FileRecord, review: Option<&Review>, shown: bool) {
        {
            let mut tally = lock(&self.tally);
            tally.add(record);
            if let Some(review) = review {
                tally.add_review(record, review);
            }
        }
        if !shown {
            self.progress.inc(1);
            return;
        }
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

    /// Ends the progress bar, reports a failed write once, prints the
    /// summary; how the files ended.
    pub fn finish(self, seconds: f64) -> Result<Tally> {
        let tally = self
            .tally
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        self.progress.finish_and_clear();
        if let Some(e) = self
            .write_failed
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
        {
            return Err(anyhow::Error::new(e).context("cannot write the results"));
        }
        if self.summary && self.files + tally.already_scanned > 1 {
            eprint!("{}", summary(tally, seconds));
        }
        Ok(tally)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
