//! Title records and the titles CSV manifest (`id,path[,name][,labels]`).

use crate::IndexError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One protected title, as the catalog lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TitleRecord {
    /// Unique id (from the manifest, or the file stem).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Path of the source video or fingerprint when it was added.
    pub source_path: String,
    /// Duration in ms.
    pub duration_ms: u64,
    /// SHA-256 of the source video, lowercase hex.
    pub sha256: String,
    /// When it was added, seconds since the Unix epoch.
    pub added_unix_s: u64,
    /// Free-form labels (e.g. `release=2026-03-01;embargo=yes`).
    #[serde(default)]
    pub labels: String,
}

/// Where a title comes from, before extraction: its id, display name,
/// labels and the video or `.vfp` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TitleSource {
    /// Unique id.
    pub id: String,
    /// Display name (defaults to the id).
    pub name: String,
    /// Free-form labels.
    pub labels: String,
    /// A video file or a `.vfp` fingerprint.
    pub path: PathBuf,
}

impl TitleSource {
    /// A title named after its file: id and name are the file stem.
    pub fn from_path(path: &Path) -> TitleSource {
        let id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        TitleSource {
            name: id.clone(),
            id,
            labels: String::new(),
            path: path.to_owned(),
        }
    }
}

/// Reads a titles CSV: `id,path[,name][,labels]`, one title per line, an
/// optional header line starting with `id,`, `#` comments, relative paths
/// taken from the CSV's folder. Errors name the line. An id starting with
/// `#` must be quoted (`"#1-pilot",ep1.mp4`); an unquoted one that names an
/// existing file is refused rather than dropped as a comment.
pub fn read_manifest(csv_path: &Path) -> Result<Vec<TitleSource>, IndexError> {
    let text = std::fs::read(csv_path).map_err(|source| IndexError::Io {
        path: csv_path.to_owned(),
        what: "cannot read the titles manifest",
        source,
    })?;
    parse_manifest(&text, csv_path)
}

/// [`read_manifest`] of the bytes `text` read from `csv_path` (which
/// errors name and relative paths are taken from).
pub fn parse_manifest(text: &[u8], csv_path: &Path) -> Result<Vec<TitleSource>, IndexError> {
    let base = csv_path.parent().unwrap_or(Path::new("."));
    let line_err = |line: u64, reason: String| IndexError::ManifestLine {
        path: csv_path.to_owned(),
        line,
        reason,
    };
    // `#1-pilot,ep1.mp4` is a comment to the CSV reader, and the title
    // would be dropped without a word: a comment that reads as a title of
    // an existing file is refused unless it is plainly one (`# ` with a
    // space).
    for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
        let raw = String::from_utf8_lossy(raw);
        let Some(rest) = raw.strip_prefix('#') else {
            continue;
        };
        if rest.starts_with(char::is_whitespace) || rest.is_empty() {
            continue;
        }
        let mut fields = rest.split(',').map(str::trim);
        if let (Some(id), Some(file)) = (fields.next(), fields.next()) {
            if !file.is_empty() && base.join(file).is_file() {
                return Err(line_err(
                    i as u64 + 1,
                    format!(
                        "starts with '#', so it is a comment, but it reads as title \"#{id}\" of {file}: quote the id (\"#{id}\",{file}) to keep the title, or write '# ' to comment the line out"
                    ),
                ));
            }
        }
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text);
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(i as u64 + 1, |p| p.line());
            line_err(line, format!("not valid CSV: {e}"))
        })?;
        let line = record.position().map_or(i as u64 + 1, |p| p.line());
        if i == 0 && record.get(0) == Some("id") {
            continue;
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() < 2 || record.len() > 4 {
            return Err(line_err(
                line,
                format!(
                    "expected id,path[,name][,labels], got {} field(s)",
                    record.len()
                ),
            ));
        }
        let id = record[0].to_owned();
        if id.is_empty() || id.chars().any(char::is_control) {
            return Err(line_err(
                line,
                "the title id is empty or holds control characters".into(),
            ));
        }
        if record[1].is_empty() {
            return Err(line_err(line, "the path is empty".into()));
        }
        let path = base.join(&record[1]);
        let name = record
            .get(2)
            .filter(|s| !s.is_empty())
            .unwrap_or(&id)
            .to_owned();
        out.push(TitleSource {
            id,
            name,
            labels: record.get(3).unwrap_or_default().to_owned(),
            path,
        });
    }
    check_unique(&out)?;
    Ok(out)
}

/// Refuses two titles with the same id.
pub fn check_unique(titles: &[TitleSource]) -> Result<(), IndexError> {
    let mut seen: HashMap<&str, &Path> = HashMap::new();
    for t in titles {
        if let Some(first) = seen.insert(&t.id, &t.path) {
            return Err(IndexError::DuplicateTitle {
                id: t.id.clone(),
                first: first.display().to_string(),
                second: t.path.display().to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("titles.csv");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn reads_ids_paths_names_and_labels() {
        let (dir, path) = manifest(
            "id,path,name,labels\n# a comment\nep1,videos/ep1.mp4,Episode 1,release=2026-03-01\nep2, /abs/ep2.vfp\n\"ep,3\",ep3.mkv,\"Name, with comma\"\n",
        );
        let t = read_manifest(&path).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].id, "ep1");
        assert_eq!(t[0].path, dir.path().join("videos/ep1.mp4"));
        assert_eq!(t[0].name, "Episode 1");
        assert_eq!(t[0].labels, "release=2026-03-01");
        assert_eq!(t[1].path, PathBuf::from("/abs/ep2.vfp"));
        assert_eq!(t[1].name, "ep2");
        assert_eq!(
            (t[2].id.as_str(), t[2].name.as_str()),
            ("ep,3", "Name, with comma")
        );
    }

    #[test]
    fn bad_lines_are_named() {
        for (text, line, needle) in [
            ("ep1,a.mp4\nep2\n", 2, "1 field(s)"),
            ("ep1,a.mp4\nep2,b.mp4,n,l,extra\n", 2, "5 field(s)"),
            ("ep1,a.mp4\n,b.mp4\n", 2, "id is empty"),
            ("ep1,\n", 1, "path is empty"),
        ] {
            let (_dir, path) = manifest(text);
            match read_manifest(&path) {
                Err(IndexError::ManifestLine {
                    line: l, reason, ..
                }) => {
                    assert_eq!(l, line, "{text:?}");
                    assert!(reason.contains(needle), "{reason}");
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_id_starting_with_a_hash_is_quoted_or_refused_never_dropped() {
        let (dir, path) = manifest("ep0,ep0.mp4\n#1-pilot,ep1.mp4\n");
        for f in ["ep0.mp4", "ep1.mp4"] {
            std::fs::write(dir.path().join(f), b"x").unwrap();
        }
        match read_manifest(&path) {
            Err(IndexError::ManifestLine { line, reason, .. }) => {
                assert_eq!(line, 2);
                assert!(reason.contains("\"#1-pilot\",ep1.mp4"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        // Quoted, it is a title; `# ` (or a line that names no file) is a
        // comment.
        std::fs::write(
            &path,
            "ep0,ep0.mp4\n\"#1-pilot\",ep1.mp4\n# ep2,ep1.mp4\n#old,gone.mp4\n",
        )
        .unwrap();
        let t = read_manifest(&path).unwrap();
        let ids: Vec<&str> = t.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["ep0", "#1-pilot"]);
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let (_dir, path) = manifest("ep1,a.mp4\nep1,b.mp4\n");
        assert!(matches!(
            read_manifest(&path),
            Err(IndexError::DuplicateTitle { .. })
        ));
    }

    #[test]
    fn missing_manifest_names_the_file() {
        let err = read_manifest(Path::new("/nonexistent/titles.csv")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/titles.csv"));
    }

    #[test]
    fn ids_default_to_the_file_stem() {
        let t = TitleSource::from_path(Path::new("/x/My Film.mp4"));
        assert_eq!((t.id.as_str(), t.name.as_str()), ("My Film", "My Film"));
    }
}
