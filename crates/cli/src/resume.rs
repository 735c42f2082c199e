//! Resuming a bulk scan: which files an earlier scan finished (from its
//! jsonl or CSV records), and an output file made ready to be appended
//! to.
//!
//! A file counts as finished when a record of it has a verdict other than
//! an error, and it is the same file: the same path bytes (file names
//! from the internet are not always UTF-8, and two names that print the
//! same, `x\xff.mp4` and `x\xfe.mp4`, are two files), and, where the
//! record has them, the same size and modification time (a download
//! completed since, or another file saved under the same name, is scanned
//! again).

use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;
use vfp_scan::{FileRecord, SkipReason, Verdict};

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

/// The identity a record gives its file: size and modification time,
/// where the record has them (records of older versions do not).
type Identity = (Option<u64>, Option<i64>);

/// The files earlier scans finished, by the bytes of their paths.
#[derive(Debug, Default)]
pub struct Finished {
    files: HashMap<Vec<u8>, Identity>,
}

impl Finished {
    /// Adds the finished files of the results file at `path`, jsonl or
    /// CSV (told apart by the first character).
    pub fn read(&mut self, path: &Path) -> Result<()> {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut reader = std::io::BufReader::new(file);
        let first = reader
            .fill_buf()
            .with_context(|| format!("cannot read {}", path.display()))?
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .copied();
        match first {
            None => Ok(()),
            Some(b'{') => self.read_jsonl(path, reader),
            Some(_) => self.read_csv(path, reader),
        }
    }

    fn read_jsonl(&mut self, path: &Path, reader: impl BufRead) -> Result<()> {
        for (i, line) in reader.split(b'\n').enumerate() {
            let line = line.with_context(|| format!("cannot read {}", path.display()))?;
            if line.trim_ascii().is_empty() {
                continue;
            }
            // The last line of an interrupted scan may be cut short: skip it.
            let Ok(record) = serde_json::from_slice::<FileRecord>(&line) else {
                eprintln!(
                    "vfp: warning: {}:{}: not a scan record, ignored",
                    path.display(),
                    i + 1
                );
                continue;
            };
            self.add(&record);
        }
        Ok(())
    }

    fn read_csv(&mut self, path: &Path, reader: impl std::io::Read) -> Result<()> {
        let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
        let header = csv
            .byte_headers()
            .with_context(|| format!("cannot read {}", path.display()))?
            .clone();
        let column = |name: &str| header.iter().position(|h| h == name.as_bytes());
        let (Some(file), Some(verdict)) = (column("file"), column("verdict")) else {
            bail!(
                "{}: neither jsonl records nor a CSV of vfp scan (no file and verdict columns)",
                path.display()
            );
        };
        let (raw, size, mtime, skipped) = (
            column("file_raw"),
            column("size_bytes"),
            column("mtime_ns"),
            column("skipped"),
        );
        for row in csv.byte_records() {
            // A row cut short by an interrupted scan is left out.
            let Ok(row) = row else { continue };
            let text = |i: Option<usize>| {
                i.and_then(|i| row.get(i))
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .filter(|t| !t.is_empty())
            };
            let (Some(name), Some(verdict)) = (text(Some(file)), text(Some(verdict))) else {
                continue;
            };
            let Ok(verdict) = serde_json::from_value::<Verdict>(verdict.into()) else {
                continue;
            };
            let mut record = FileRecord::failed(name, &std::io::Error::other("placeholder"));
            record.verdict = verdict;
            // The file column is guarded against spreadsheet formulas
            // (a `'` before a leading `=`, `+`, `-`, `@`, tab or CR).
            if let Some(guarded) = record.file.strip_prefix('\'') {
                if guarded.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                    record.file = guarded.to_owned();
                }
            }
            record.file_raw = text(raw);
            record.size_bytes = text(size).and_then(|t| t.parse().ok());
            record.mtime_ns = text(mtime).and_then(|t| t.parse().ok());
            record.skipped = text(skipped).and_then(|t| serde_json::from_value(t.into()).ok());
            self.add(&record);
        }
        Ok(())
    }

    /// Counts `record`'s file as finished if its verdict says so: a file
    /// scanned, or skipped for what it holds. A file that failed is
    /// scanned again, and so is one skipped for its name or type, which
    /// other options (`-u`, `-t`, `-e`) may read.
    fn add(&mut self, record: &FileRecord) {
        let finished = match record.verdict {
            Verdict::Match | Verdict::NoMatch | Verdict::Inconclusive => true,
            Verdict::Error => false,
            Verdict::Skipped => matches!(
                record.skipped,
                Some(SkipReason::NotVideo | SkipReason::Empty | SkipReason::NotRegular)
            ),
        };
        if finished {
            self.files
                .insert(record.path_bytes(), (record.size_bytes, record.mtime_ns));
        }
    }

    /// Whether the file at `path` was finished: same path bytes, and the
    /// same size and modification time where the record has them.
    pub fn contains(&self, path: &Path) -> bool {
        use std::os::unix::ffi::OsStrExt as _;
        let Some(&(size, mtime)) = self.files.get(path.as_os_str().as_bytes()) else {
            return false;
        };
        if size.is_none() && mtime.is_none() {
            return true;
        }
        let now = vfp_scan::FileStamp::of(path);
        (size.is_none() || size == now.map(|n| n.size_bytes))
            && (mtime.is_none() || mtime == now.map(|n| n.mtime_ns))
    }

    /// Whether no file was finished.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt as _;
    use std::path::PathBuf;

    fn finished(results: &str) -> Finished {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("results");
        std::fs::write(&path, results).unwrap();
        let mut done = Finished::default();
        done.read(&path).unwrap();
        done
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
            r#"{"file":"notes","sha256":null,"duration_s":null,"verdict":"skipped","error":null,"matches":[],"skipped":"not_video","skipped_because":"text"}"#,
            "\n",
            r#"{"file":".x.mp4","sha256":null,"duration_s":null,"verdict":"skipped","error":null,"matches":[],"skipped":"hidden","skipped_because":"hidden"}"#,
            "\n",
            r#"{"file":"d.mp4","sha256":"00","dur"#,
        );
        let done = finished(results);
        let skipped: Vec<&str> = ["a.mp4", "b.mp4", "c.mp4", "notes", ".x.mp4", "d.mp4"]
            .into_iter()
            .filter(|p| done.contains(Path::new(p)))
            .collect();
        assert_eq!(skipped, ["a.mp4", "c.mp4", "notes"]);
    }

    #[test]
    fn names_that_print_the_same_are_two_files_and_a_changed_file_is_another() {
        let tmp = tempfile::tempdir().unwrap();
        let name = |byte: u8| {
            let mut bytes = tmp.path().as_os_str().as_bytes().to_vec();
            bytes.extend_from_slice(b"/x");
            bytes.push(byte);
            bytes.extend_from_slice(b".mp4");
            PathBuf::from(std::ffi::OsStr::from_bytes(&bytes))
        };
        let (ff, fe) = (name(0xff), name(0xfe));
        std::fs::write(&ff, "first").unwrap();
        std::fs::write(&fe, "second").unwrap();
        assert_eq!(ff.display().to_string(), fe.display().to_string());
        let mut record =
            FileRecord::failed(ff.display().to_string(), &std::io::Error::other("")).about(&ff);
        (record.verdict, record.error) = (Verdict::NoMatch, None);
        let line = serde_json::to_string(&record).unwrap();
        assert!(line.contains("%FF.mp4"), "{line}");
        let done = finished(&format!("{line}\n"));
        assert!(done.contains(&ff));
        assert!(!done.contains(&fe), "x\\xfe.mp4 is another file");
        // The download went on: the same name is another file now.
        std::fs::write(&ff, "first, and more").unwrap();
        assert!(!done.contains(&ff));
    }

    #[test]
    fn csv_results_resume_too() {
        let results =
            "file,sha256,duration_s,verdict,title_id,error,file_raw,size_bytes,mtime_ns,skipped\n\
                       a.mp4,00,1,match,ep1,,,,,\n\
                       a.mp4,00,1,match,ep2,,,,,\n\
                       b.mp4,,,error,,b.mp4: x,,,,\n\
                       '=c.mp4,00,1,no_match,,,,,,\n\
                       x%FF.mp4,00,1,no_match,,,x%FF.mp4,,,\n";
        let done = finished(results);
        assert!(done.contains(Path::new("a.mp4")));
        assert!(!done.contains(Path::new("b.mp4")));
        assert!(
            done.contains(Path::new("=c.mp4")),
            "the formula guard is undone"
        );
        assert!(done.contains(Path::new(std::ffi::OsStr::from_bytes(b"x\xff.mp4"))));
        assert!(!done.contains(Path::new("x%FF.mp4")));
        let quoted = finished("file,verdict\n'quoted.mp4,no_match\n");
        assert!(
            quoted.contains(Path::new("'quoted.mp4")),
            "a name's own ' is kept"
        );
        let tmp = tempfile::tempdir().unwrap();
        let other = tmp.path().join("other.csv");
        std::fs::write(&other, "name,size\nx,1\n").unwrap();
        let err = Finished::default().read(&other).unwrap_err();
        assert!(err.to_string().contains("other.csv"), "{err}");
    }
}
