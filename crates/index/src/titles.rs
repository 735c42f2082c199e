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
    /// Free-form labels (e.g. `season=2;vendor=acme`).
    #[serde(default)]
    pub labels: String,
    /// Whose it is, and when it is released (none for catalogs made
    /// before these were kept).
    #[serde(flatten)]
    pub meta: TitleMeta,
}

/// What a takedown notice names about a title: the rights owner, the
/// owner's id of the work, and its release date (until which any copy is
/// a leak of unreleased work). Each is empty when not given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TitleMeta {
    /// The rights owner (the studio or distributor a notice is sent for).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub owner: String,
    /// The owner's id of the work (an EIDR id, an internal asset id).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub asset_id: String,
    /// The release date, or the end of its embargo: `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub release_date: String,
}

impl TitleMeta {
    /// Checks the release date's form (`YYYY-MM-DD`, a real date).
    pub fn check(&self) -> Result<(), String> {
        if self.release_date.is_empty() {
            return Ok(());
        }
        let format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(&self.release_date, &format)
            .map(|_| ())
            .map_err(|_| {
                format!(
                    "release_date {:?} is not a date as YYYY-MM-DD",
                    self.release_date
                )
            })
    }
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
    /// Whose it is, and when it is released.
    pub meta: TitleMeta,
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
            meta: TitleMeta::default(),
            path: path.to_owned(),
        }
    }
}

/// Reads a titles CSV: `id,path[,name][,labels][,owner][,asset_id]
/// [,release_date]`, one title per line, `#` comments, relative paths
/// taken from the CSV's folder. A header line starting with `id,` names
/// the columns, in any order, of [`MANIFEST_COLUMNS`] (an unknown column
/// is refused: a typo must not drop a notice's owner). Errors name the
/// line. An id starting with
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
    // Without a header, the columns in their usual order.
    let mut columns: Vec<String> = MANIFEST_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(i as u64 + 1, |p| p.line());
            line_err(line, format!("not valid CSV: {e}"))
        })?;
        let line = record.position().map_or(i as u64 + 1, |p| p.line());
        if i == 0 && record.get(0) == Some("id") {
            columns = record.iter().map(str::to_owned).collect();
            if let Some(unknown) = columns
                .iter()
                .find(|c| !MANIFEST_COLUMNS.contains(&c.as_str()))
            {
                return Err(line_err(
                    line,
                    format!(
                        "unknown column {unknown:?}; the columns are {}",
                        MANIFEST_COLUMNS.join(", ")
                    ),
                ));
            }
            if !columns.iter().any(|c| c == "path") {
                return Err(line_err(line, "the header has no path column".into()));
            }
            continue;
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() < 2 || record.len() > columns.len() {
            return Err(line_err(
                line,
                format!(
                    "expected {}, got {} field(s)",
                    columns.join(","),
                    record.len()
                ),
            ));
        }
        let field = |name: &str| {
            columns
                .iter()
                .position(|c| c == name)
                .and_then(|i| record.get(i))
                .unwrap_or_default()
        };
        let id = field("id").to_owned();
        if id.is_empty() || id.chars().any(char::is_control) {
            return Err(line_err(
                line,
                "the title id is empty or holds control characters".into(),
            ));
        }
        if field("path").is_empty() {
            return Err(line_err(line, "the path is empty".into()));
        }
        let path = base.join(field("path"));
        let name = Some(field("name"))
            .filter(|s| !s.is_empty())
            .unwrap_or(&id)
            .to_owned();
        let meta = TitleMeta {
            owner: field("owner").to_owned(),
            asset_id: field("asset_id").to_owned(),
            release_date: field("release_date").to_owned(),
        };
        meta.check().map_err(|e| line_err(line, e))?;
        out.push(TitleSource {
            id,
            name,
            labels: field("labels").to_owned(),
            meta,
            path,
        });
    }
    check_unique(&out)?;
    Ok(out)
}

/// The columns of a titles CSV, in the order they are read without a
/// header.
pub const MANIFEST_COLUMNS: [&str; 7] = [
    "id",
    "path",
    "name",
    "labels",
    "owner",
    "asset_id",
    "release_date",
];

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
    fn a_header_names_the_columns_and_the_owners_metadata() {
        let (_dir, path) = manifest(
            "id,owner,path,release_date,asset_id\nep1,Example Studios,ep1.mp4,2027-03-01,EX-1\nep2,,ep2.mp4,,\n",
        );
        let t = read_manifest(&path).unwrap();
        assert_eq!(t[0].meta.owner, "Example Studios");
        assert_eq!(t[0].meta.asset_id, "EX-1");
        assert_eq!(t[0].meta.release_date, "2027-03-01");
        assert_eq!(t[0].name, "ep1");
        assert_eq!(t[1].meta, TitleMeta::default());
        // Without a header, in the usual order.
        let (_dir, path) = manifest("ep1,ep1.mp4,Pilot,s1,Example Studios,EX-1,2027-03-01\n");
        let t = read_manifest(&path).unwrap();
        assert_eq!(
            (t[0].meta.owner.as_str(), t[0].meta.release_date.as_str()),
            ("Example Studios", "2027-03-01")
        );
        for (text, says) in [
            ("id,path,ownr\nep1,a.mp4,x\n", "unknown column \"ownr\""),
            ("id,name\nep1,x\n", "no path column"),
            ("ep1,a.mp4,,,,,2027-02-30\n", "not a date"),
            ("ep1,a.mp4,,,,,1 March 2027\n", "not a date"),
        ] {
            let (_dir, path) = manifest(text);
            let err = read_manifest(&path).unwrap_err().to_string();
            assert!(
                err.contains(says) && err.contains(":1") || err.contains(says),
                "{text}: {err}"
            );
        }
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
            (
                "ep1,a.mp4\nep2,b.mp4,n,l,o,a,2027-01-01,extra\n",
                2,
                "8 field(s)",
            ),
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
