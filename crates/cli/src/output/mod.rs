//! The output layer: records in, text out. Commands hand it typed records
//! ([`vfp_scan::FileRecord`], [`vfp_scan::Verification`], catalog facts)
//! and never format by hand; each output format is one module.
//!
//! - [`scan`]: `vfp scan` as human lines, jsonl or CSV, and its summary.
//! - [`verify`]: `vfp verify` as human text or JSON.
//! - [`evidence`]: the self-contained HTML evidence page, from its
//!   template.
//! - [`catalog`]: `vfp index list|info|verify` and the build summary.
//! - [`fingerprint`]: `vfp show` and `vfp extract`'s lines.
//! - [`fleet`]: `vfp worker`'s log, `vfp submit` and `vfp results`.
//! - [`bench`](mod@bench): `vfp bench`'s tables and JSON.
//! - [`review`]: the ledger's decisions as lines, jsonl or CSV, and what a
//!   scan record says of them.
//! - [`notice`]: takedown notice drafts from the ledger.
//! - [`progress`]: the progress bar on stderr.

pub mod bench;
pub mod catalog;
pub mod evidence;
pub mod fingerprint;
pub mod fleet;
pub mod measured;
pub mod notice;
pub mod progress;
pub mod report;
pub mod review;
pub mod scan;
pub mod verify;

/// Text for the two streams: results for stdout, diagnostics for stderr.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rendered {
    /// Results.
    pub stdout: String,
    /// Errors and warnings, each line `vfp: ...`.
    pub stderr: String,
}

impl Rendered {
    /// Text for stdout only.
    pub fn stdout(text: String) -> Self {
        Rendered {
            stdout: text,
            stderr: String::new(),
        }
    }

    /// Text for stderr only.
    pub fn stderr(text: String) -> Self {
        Rendered {
            stdout: String::new(),
            stderr: text,
        }
    }
}

/// A title as people read it: its id, and its name in quotes when the
/// name says something the id does not.
pub fn title_label(id: &str, name: &str) -> String {
    if name.is_empty() || name == id {
        id.to_owned()
    } else {
        format!("{id} \"{name}\"")
    }
}

/// `n` and the noun, plural when `n != 1` (`1 segment`, `2 segments`).
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `text` with control characters escaped (`\n`, `\u{1b}`): a file name
/// from the internet holding a newline or a terminal escape must not
/// forge a line of output or drive the terminal.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(char::is_control) {
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect::<String>()
            .into()
    } else {
        text.into()
    }
}

/// A CSV cell of free text (a file name from the internet, a title name,
/// a reviewer's note) that a spreadsheet will not run as a formula: one
/// starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading `'` (OWASP's advice against CSV injection).
pub fn text_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// Writes `text` to stdout. A reader that closed the pipe early (`| head`)
/// gives an error of kind `BrokenPipe`, which `main` ends on quietly.
pub fn to_stdout(text: &str) -> anyhow::Result<()> {
    use anyhow::Context as _;
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to stdout")
}

/// Whether `err` is a write to a pipe whose reader has gone: not a
/// failure of vfp, so it exits quietly (as grep and ripgrep do).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_named_once() {
        assert_eq!(title_label("ep1", "ep1"), "ep1");
        assert_eq!(title_label("ep1", ""), "ep1");
        assert_eq!(title_label("ep1", "Pilot"), "ep1 \"Pilot\"");
    }

    #[test]
    fn counts_agree_with_their_number() {
        assert_eq!(count(0, "segment"), "0 segments");
        assert_eq!(count(1, "segment"), "1 segment");
        assert_eq!(count(2, "file"), "2 files");
    }
}
