//! The catalog's MANIFEST: its format, and reading and writing it.
//!
//! ```text
//! line 1: "vfp-catalog <version> <crc32 of the rest, 8 hex digits>"
//! rest:   JSON {hash, view_pct, windows, segments: [{file, titles, frames, bytes}],
//!               removed: [{segment, id}], next_segment,
//!               public: [{id, from_ms, to_ms, reason, added_unix_s}]}
//! ```
//!
//! `public` (absent when empty, and in catalogs made before it) holds the
//! ranges of titles already made public (a trailer, a promo clip): a copy
//! of only those is allowed. Older vfp versions read such a manifest and
//! ignore the ranges.
//!
//! The body names segment files by their plain names in the catalog
//! folder (`seg-NNNNNN.vfps`, [`segment_name`]), each once.

use crate::IndexError;
use atomic_write_file::AtomicWriteFile;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::io::Write as _;
use std::path::Path;
use vfp_fingerprint::{HashParams, FULL_VIEW_PCT};

/// The manifest's file name inside a catalog directory.
pub const MANIFEST: &str = "MANIFEST";
/// First word of the manifest.
pub const MANIFEST_MAGIC: &str = "vfp-catalog";
/// The manifest version this code writes and reads.
pub const MANIFEST_VERSION: u32 = 1;
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct ManifestBody {
    pub(super) hash: HashParams,
    /// The view every segment stores (see [`Catalog::view_pct`]); absent
    /// from catalogs written before views, which stored whole pictures.
    #[serde(default = "full_view")]
    pub(super) view_pct: u8,
    /// Whether every segment also stores the 9:16 windows of wide
    /// pictures; absent (false) from catalogs written before windows.
    #[serde(default)]
    pub(super) windows: bool,
    pub(super) segments: Vec<SegmentEntry>,
    pub(super) removed: Vec<Removed>,
    pub(super) next_segment: u64,
    /// Ranges of titles already public.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) public: Vec<PublicRange>,
}

/// A range of a title already made public (a trailer, a promo clip): a
/// copy showing only public ranges is allowed, not a leak.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PublicRange {
    /// The title's id.
    pub id: String,
    /// Start in the title, ms.
    pub from_ms: u64,
    /// End in the title, ms.
    pub to_ms: u64,
    /// What it was published as (`trailer`).
    pub reason: String,
    /// When it was recorded, seconds since the Unix epoch.
    pub added_unix_s: u64,
}

fn full_view() -> u8 {
    FULL_VIEW_PCT
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(super) struct SegmentEntry {
    pub(super) file: String,
    pub(super) titles: u32,
    pub(super) frames: u64,
    pub(super) bytes: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub(super) struct Removed {
    pub(super) segment: String,
    pub(super) id: String,
}

pub(super) fn read_manifest(dir: &Path) -> Result<ManifestBody, IndexError> {
    let path = dir.join(MANIFEST);
    if dir.is_file() {
        return Err(IndexError::NotACatalog {
            path: dir.to_owned(),
            reason: "it is a file, a catalog is a folder".into(),
        });
    }
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let reason = if dir.is_dir() {
                "the folder has no MANIFEST".to_owned()
            } else {
                "no such folder".to_owned()
            };
            return Err(IndexError::NotACatalog {
                path: dir.to_owned(),
                reason,
            });
        }
        Err(e) => return Err(IndexError::io(&path, "cannot read the catalog manifest")(e)),
    };
    parse_manifest(&text).map_err(|problem| match problem {
        ManifestProblem::NotAManifest => IndexError::NotACatalog {
            path: dir.to_owned(),
            reason: "its MANIFEST is not a vfp catalog manifest".into(),
        },
        ManifestProblem::Damaged(reason) => IndexError::Manifest { path, reason },
    })
}

/// Why a MANIFEST's bytes were refused.
#[derive(Debug, PartialEq)]
pub(crate) enum ManifestProblem {
    /// Not a vfp catalog manifest at all.
    NotAManifest,
    /// A vfp manifest, damaged or of another version.
    Damaged(String),
}

/// Parses and validates a MANIFEST's bytes: header line (magic, version,
/// CRC-32 of the body), JSON body, and what the body names: segment files
/// by their plain names in the catalog folder (`seg-NNNNNN.vfps`, so a
/// damaged or hostile manifest cannot make a reader open a path elsewhere,
/// a device or a pipe), each once.
pub(crate) fn parse_manifest(text: &[u8]) -> Result<ManifestBody, ManifestProblem> {
    let bad = |reason: String| ManifestProblem::Damaged(reason);
    let split = text
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| bad("no header line".into()))?;
    let header =
        std::str::from_utf8(&text[..split]).map_err(|_| bad("header is not text".into()))?;
    let words: Vec<&str> = header.split(' ').collect();
    if words.len() != 3 || words[0] != MANIFEST_MAGIC {
        return Err(ManifestProblem::NotAManifest);
    }
    let version: u32 = words[1]
        .parse()
        .map_err(|_| bad(format!("version {:?}", words[1])))?;
    if version != MANIFEST_VERSION {
        return Err(bad(format!(
            "manifest version {version}, this vfp reads version {MANIFEST_VERSION}"
        )));
    }
    let stored =
        u32::from_str_radix(words[2], 16).map_err(|_| bad(format!("checksum {:?}", words[2])))?;
    let body = &text[split + 1..];
    let computed = crc32fast::hash(body);
    if stored != computed {
        return Err(bad(format!(
            "checksum mismatch (stored {stored:08x}, computed {computed:08x})"
        )));
    }
    let body: ManifestBody = serde_json::from_slice(body).map_err(|e| bad(e.to_string()))?;
    let mut named = HashSet::new();
    for entry in &body.segments {
        if segment_number(&entry.file).is_none() {
            return Err(bad(format!(
                "segment file {:?} is not a segment name (seg-NNNNNN.vfps)",
                entry.file
            )));
        }
        if !named.insert(entry.file.as_str()) {
            return Err(bad(format!("segment file {:?} listed twice", entry.file)));
        }
    }
    Ok(body)
}

/// The manifest file's bytes for `body` (`dir` names the catalog in an
/// error).
pub(super) fn manifest_text(dir: &Path, body: &ManifestBody) -> Result<Vec<u8>, IndexError> {
    let json = serde_json::to_vec_pretty(body).map_err(|e| IndexError::Manifest {
        path: dir.join(MANIFEST),
        reason: e.to_string(),
    })?;
    let mut text = format!(
        "{MANIFEST_MAGIC} {MANIFEST_VERSION} {:08x}\n",
        crc32fast::hash(&json)
    )
    .into_bytes();
    text.extend_from_slice(&json);
    Ok(text)
}

pub(super) fn write_manifest(dir: &Path, body: &ManifestBody) -> Result<(), IndexError> {
    let text = manifest_text(dir, body)?;
    let path = dir.join(MANIFEST);
    write_atomically(&path, &text)
        .map_err(IndexError::io(&path, "cannot write the catalog manifest"))
}

/// Writes `bytes` to `path` through a temporary file in the same folder,
/// synced, renamed over `path`, the folder synced: a crash leaves the old
/// file or the whole new one.
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = AtomicWriteFile::open(path)?;
    file.write_all(bytes)?;
    file.commit()
}

pub(super) fn segment_name(n: u64) -> String {
    format!("seg-{n:06}.vfps")
}

/// The number of a segment file name ([`segment_name`]'s inverse), or
/// `None` for any other name.
pub(super) fn segment_number(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("seg-")?.strip_suffix(".vfps")?;
    if digits.len() < 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

pub(super) fn max_segment_number(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| segment_number(&e.file_name().to_string_lossy()))
        .max()
        .unwrap_or(0)
}
