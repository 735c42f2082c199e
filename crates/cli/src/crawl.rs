//! A crawler's manifest (`vfp scan --from crawl.jsonl|csv`): the files it
//! downloaded, each with where and when it was found, carried into the
//! file's record so the allow-list, the evidence and the notice work on a
//! whole crawl.
//!
//! JSON lines (one object per file) or CSV with a header row, told apart
//! by the first character. `path` is required (relative paths are taken
//! from the manifest's folder); `source_url` and `found_at` are the
//! provenance; every other field or column is kept as is, under `crawl`.
//! A manifest is read whole before anything is scanned: a line that
//! cannot be read stops the scan, naming the line, rather than leaving
//! its file out unseen.

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use vfp_scan::Provenance;

/// One file of a manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Crawled {
    /// The file (relative paths resolved against the manifest's folder).
    pub path: PathBuf,
    /// Where and when it was found, and the manifest's other fields.
    pub provenance: Provenance,
}

/// Longest text a manifest field may hold, bytes: a URL or a note, not a
/// payload.
const MAX_FIELD_BYTES: usize = 8 * 1024;

/// Reads the manifest at `path`.
pub fn read_manifest(path: &Path) -> Result<Vec<Crawled>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let rows = match first {
        None => bail!("{}: the manifest lists no files", path.display()),
        Some(b'{') => jsonl_rows(path, &bytes)?,
        Some(_) => csv_rows(path, &bytes)?,
    };
    let mut files = Vec::with_capacity(rows.len());
    for (line, mut fields) in rows {
        let at = || format!("{}:{line}", path.display());
        let Some(file) = fields.remove("path").filter(|p| !p.is_empty()) else {
            bail!("{}: no path (every file needs its `path`)", at());
        };
        for (name, value) in &fields {
            if value.len() > MAX_FIELD_BYTES {
                bail!(
                    "{}: `{name}` is {} bytes long, over {MAX_FIELD_BYTES}",
                    at(),
                    value.len()
                );
            }
        }
        let text = |fields: &mut BTreeMap<String, String>, name: &str| {
            fields.remove(name).filter(|v| !v.is_empty())
        };
        let source_url = text(&mut fields, "source_url");
        let found_at = text(&mut fields, "found_at");
        files.push(Crawled {
            path: base.join(file),
            provenance: Provenance {
                source_url,
                found_at,
                crawl: fields,
            },
        });
    }
    if files.is_empty() {
        bail!("{}: the manifest lists no files", path.display());
    }
    Ok(files)
}

/// A manifest's rows: line number and fields.
type Rows = Vec<(usize, BTreeMap<String, String>)>;

fn jsonl_rows(path: &Path, bytes: &[u8]) -> Result<Rows> {
    let mut rows = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.trim_ascii().is_empty() {
            continue;
        }
        let at = || format!("{}:{}", path.display(), i + 1);
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(line).with_context(|| format!("{}: not a JSON object", at()))?;
        let fields = object
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect();
        rows.push((i + 1, fields));
    }
    Ok(rows)
}

fn csv_rows(path: &Path, bytes: &[u8]) -> Result<Rows> {
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .with_context(|| format!("{}: cannot read the header row", path.display()))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    if !header.iter().any(|h| h == "path") {
        bail!(
            "{}: the header row has no `path` column (it has: {})",
            path.display(),
            header.join(", ")
        );
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("{}: cannot read a row", path.display()))?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let fields = header
            .iter()
            .cloned()
            .zip(record.iter().map(str::to_owned))
            .collect();
        rows.push((line, fields));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(name: &str, text: &str) -> (tempfile::TempDir, Result<Vec<Crawled>>) {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join(name);
        std::fs::write(&path, text).unwrap();
        let read = read_manifest(&path);
        (tmp, read)
    }

    #[test]
    fn jsonl_and_csv_manifests_carry_provenance_and_keep_other_fields() {
        let (tmp, read) = manifest(
            "crawl.jsonl",
            "{\"path\":\"a/97a81f\",\"source_url\":\"https://video.example/v/1\",\"found_at\":\"2026-12-07T02:00:00Z\",\"account\":\"@x\",\"views\":1200}\n\n{\"path\":\"/abs/b.mp4\",\"source_url\":null}\n",
        );
        let files = read.unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].path, tmp.path().join("a/97a81f"));
        let p = &files[0].provenance;
        assert_eq!(p.source_url.as_deref(), Some("https://video.example/v/1"));
        assert_eq!(p.found_at.as_deref(), Some("2026-12-07T02:00:00Z"));
        assert_eq!(p.crawl["account"], "@x");
        assert_eq!(p.crawl["views"], "1200");
        assert_eq!(files[1].path, PathBuf::from("/abs/b.mp4"));
        assert_eq!(files[1].provenance, Provenance::default());

        let (tmp, read) = manifest(
            "crawl.csv",
            "path,source_url,found_at,account\nx.part,https://video.example/v/2,2026-12-07,\"@a, b\"\n",
        );
        let files = read.unwrap();
        assert_eq!(files[0].path, tmp.path().join("x.part"));
        assert_eq!(files[0].provenance.crawl["account"], "@a, b");
    }

    #[test]
    fn a_bad_manifest_is_refused_naming_the_line() {
        for (name, text, said) in [
            ("m.jsonl", "{\"path\":\"a\"}\nnot json\n", "m.jsonl:2"),
            (
                "m.jsonl",
                "{\"source_url\":\"https://x\"}\n",
                "m.jsonl:1: no path",
            ),
            ("m.csv", "file,url\na,b\n", "no `path` column"),
            ("m.csv", "path,source_url\n,https://x\n", "m.csv:2: no path"),
            ("m.csv", "", "lists no files"),
        ] {
            let (_tmp, read) = manifest(name, text);
            let err = format!("{:#}", read.unwrap_err());
            assert!(err.contains(said), "{name} {text:?}: {err}");
        }
        let long = format!("{{\"path\":\"a\",\"note\":\"{}\"}}\n", "x".repeat(9000));
        let (_tmp, read) = manifest("m.jsonl", &long);
        assert!(format!("{:#}", read.unwrap_err()).contains("over 8192"));
    }
}
