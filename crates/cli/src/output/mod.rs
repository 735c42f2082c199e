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
//! - [`progress`]: the progress bar on stderr.

pub mod catalog;
pub mod evidence;
pub mod fingerprint;
pub mod progress;
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
