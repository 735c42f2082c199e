//! Resuming a bulk scan: which files an earlier scan finished (from its
//! jsonl records), and an output file made ready to be appended to.

use anyhow::{Context, Result};
use std::collections::HashSet;
use std::io::BufRead;
use std::path::Path;
use vfp_scan::{FileRecord, Verdict};

/// Prepares `path` to be appended to: a last line without its newline
/// (a scan killed mid-write) is cut off, so the next record starts on a
/// line of its own; that file is scanned again. Whether the file already
/// holds records.
pub fn drop_cut_last_line(path: &Path) -> Result<bool> {
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
pub fn finished_files(path: &Path) -> Result<HashSet<String>> {
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
