//! A catalog directory: a manifest naming immutable segment files.
//!
//! ```text
//! CATALOG/
//!   MANIFEST          line 1: "vfp-catalog <version> <crc32 of the rest, 8 hex digits>"
//!                     rest:   JSON {hash, view_pct, windows, segments: [{file, titles, frames, bytes}],
//!                                   removed: [{segment, id}], next_segment}
//!   seg-000001.vfps   segment files (see the segment module), never changed once written
//!   LOCK              empty; changes hold an advisory lock on it (see the lock module)
//! ```
//!
//! Every change takes the writer lock, reads the manifest, writes new
//! segment files under new names, replaces the manifest by an atomic
//! rename, then deletes the files the new manifest no longer names (and
//! temporary files a killed change left). A reader takes no lock: it holds
//! the segments it mapped even if they are deleted after, and if a segment
//! is deleted between its reading the manifest and opening the segment, it
//! reads the new manifest and opens that. A change killed before its
//! rename leaves the old manifest, whose files are all still there.

use crate::lock::{Wait, WriterLock, LOCK_FILE};
use crate::segment::{AlignedBytes, Segment, SegmentBuilder, SegmentTitle};
use crate::{IndexError, TitleRecord};
use atomic_write_file::AtomicWriteFile;
use memmap2::Mmap;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use vfp_fingerprint::local::Keypoint;
use vfp_fingerprint::{
    Fingerprint, FrameHash, HashParams, HashedFrame, TitleIndex, ViewRegion, ViewTrack,
    CATALOG_VIEW_PCT, FULL_VIEW_PCT,
};

/// The manifest's file name inside a catalog directory.
pub const MANIFEST: &str = "MANIFEST";
/// First word of the manifest.
pub const MANIFEST_MAGIC: &str = "vfp-catalog";
/// The manifest version this code writes and reads.
pub const MANIFEST_VERSION: u32 = 1;
/// With more segments than this after an add, all are merged into one:
/// each segment costs a lookup per query frame.
pub const MAX_SEGMENTS: usize = 8;
/// Times a reader re-reads the manifest after a writer deleted a segment
/// it named (each retry follows a completed change).
const OPEN_RETRIES: usize = 8;
/// Largest radius searched by probing; beyond it (more than this many
/// flips per chunk) a scan is cheaper.
const MAX_PROBE_FLIPS: u32 = 2;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct ManifestBody {
    hash: HashParams,
    /// The view every segment stores (see [`Catalog::view_pct`]); absent
    /// from catalogs written before views, which stored whole pictures.
    #[serde(default = "full_view")]
    view_pct: u8,
    /// Whether every segment also stores the 9:16 windows of wide
    /// pictures; absent (false) from catalogs written before windows.
    #[serde(default)]
    windows: bool,
    segments: Vec<SegmentEntry>,
    removed: Vec<Removed>,
    next_segment: u64,
}

fn full_view() -> u8 {
    FULL_VIEW_PCT
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
struct SegmentEntry {
    file: String,
    titles: u32,
    frames: u64,
    bytes: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
struct Removed {
    segment: String,
    id: String,
}

/// One frame of the catalog within a query's radius.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    /// Hamming distance to the query.
    pub distance: u32,
    /// The frame's title.
    pub title: TitleIndex,
    /// Time of the frame in the title, ms.
    pub t_ms: u32,
    /// The frame is on the stop-list (its picture recurs across titles).
    pub common: bool,
}

/// A stored frame of one title, as a lookup by time gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TitleFrame {
    /// Time of the frame in the title, ms.
    pub t_ms: u32,
    /// Its hash.
    pub hash: FrameHash,
    /// The frame is on the stop-list (its picture recurs across titles).
    pub common: bool,
}

/// A title picture with local features, as a keypoint lookup names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FeatureRef {
    segment: u32,
    frame: u32,
}

/// A title picture's local features.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TitleFeatures {
    /// Its title.
    pub title: TitleIndex,
    /// Its time in the title, ms.
    pub t_ms: u32,
    /// Its keypoints, at the title's scale.
    pub keypoints: Vec<Keypoint>,
}

/// A title as listed by the catalog.
#[derive(Clone, Copy, Debug)]
pub struct TitleEntry<'a> {
    /// The title's position in the catalog, as [`Hit::title`] names it.
    pub index: TitleIndex,
    /// The record.
    pub record: &'a TitleRecord,
    /// Frames stored (informative frames only).
    pub frames: usize,
}

/// An opened catalog: read-only, safe to share between threads.
#[derive(Debug)]
pub struct Catalog {
    dir: PathBuf,
    body: ManifestBody,
    segments: Vec<Segment<Mmap>>,
    /// Global index of each segment's first title.
    title_base: Vec<usize>,
    /// Per global title index: removed.
    removed: Vec<bool>,
}

fn io<'a>(path: &'a Path, what: &'static str) -> impl FnOnce(std::io::Error) -> IndexError + 'a {
    move |source| IndexError::Io {
        path: path.to_owned(),
        what,
        source,
    }
}

fn read_manifest(dir: &Path) -> Result<ManifestBody, IndexError> {
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
        Err(e) => return Err(io(&path, "cannot read the catalog manifest")(e)),
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
fn manifest_text(dir: &Path, body: &ManifestBody) -> Result<Vec<u8>, IndexError> {
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

fn write_manifest(dir: &Path, body: &ManifestBody) -> Result<(), IndexError> {
    let text = manifest_text(dir, body)?;
    let path = dir.join(MANIFEST);
    write_atomically(&path, &text).map_err(io(&path, "cannot write the catalog manifest"))
}

/// Writes `bytes` to `path` through a temporary file in the same folder,
/// synced, renamed over `path`, the folder synced: a crash leaves the old
/// file or the whole new one.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = AtomicWriteFile::open(path)?;
    file.write_all(bytes)?;
    file.commit()
}

fn map_segment(path: &Path) -> Result<Segment<Mmap>, IndexError> {
    // Opening a pipe would wait for a writer, mapping a device would read
    // it: a segment is a regular file.
    let meta = std::fs::metadata(path).map_err(io(path, "cannot open a catalog segment"))?;
    if !meta.is_file() {
        return Err(IndexError::Segment {
            path: path.to_owned(),
            source: crate::SegmentError::Invalid {
                what: "segment",
                reason: "not a regular file".into(),
            },
        });
    }
    let file = std::fs::File::open(path).map_err(io(path, "cannot open a catalog segment"))?;
    // SAFETY: segment files are never modified after they are written: vfp
    // writes them under fresh names and only ever deletes or replaces them
    // by rename, so the mapped bytes do not change under the map. (Another
    // program writing into the file would break this; nothing in vfp does.)
    let map = unsafe { Mmap::map(&file) }.map_err(io(path, "cannot map a catalog segment"))?;
    Segment::open(map).map_err(|source| IndexError::Segment {
        path: path.to_owned(),
        source,
    })
}

impl Catalog {
    /// Opens a catalog: reads the manifest and maps the segments, with the
    /// cheap checks of each (no pass over the frames).
    pub fn open(dir: &Path) -> Result<Catalog, IndexError> {
        let mut body = read_manifest(dir)?;
        // A writer may delete a segment between our reading the manifest
        // and opening the segment: then a newer manifest names what to
        // open instead (readers see the old catalog or the new one).
        for _ in 0..OPEN_RETRIES {
            match Catalog::open_body(dir, body.clone()) {
                Err(e) if e.is_missing_file() => {
                    let newer = read_manifest(dir)?;
                    if newer == body {
                        return Err(e);
                    }
                    body = newer;
                }
                done => return done,
            }
        }
        Catalog::open_body(dir, body)
    }

    /// Maps the segments `body` names.
    fn open_body(dir: &Path, body: ManifestBody) -> Result<Catalog, IndexError> {
        let mut segments = Vec::with_capacity(body.segments.len());
        for entry in &body.segments {
            let path = dir.join(&entry.file);
            let seg = map_segment(&path)?;
            if seg.frame_count() as u64 != entry.frames
                || seg.titles().len() as u64 != u64::from(entry.titles)
                || seg.byte_len() as u64 != entry.bytes
            {
                return Err(IndexError::Segment {
                    path,
                    source: crate::SegmentError::Invalid {
                        what: "segment",
                        reason: "does not match what the manifest says of it".into(),
                    },
                });
            }
            if !seg.hash_params().is_compatible_with(&body.hash)
                || seg.view_pct() != body.view_pct
                || seg.stores_windows() != body.windows
            {
                return Err(IndexError::Segment {
                    path,
                    source: crate::SegmentError::Invalid {
                        what: "hash parameters",
                        reason: "differ from the catalog's (hash or stored views)".into(),
                    },
                });
            }
            segments.push(seg);
        }
        let mut title_base = Vec::with_capacity(segments.len());
        let mut removed = Vec::new();
        let gone: HashSet<&Removed> = body.removed.iter().collect();
        for (entry, seg) in body.segments.iter().zip(&segments) {
            title_base.push(removed.len());
            for t in seg.titles() {
                removed.push(gone.contains(&Removed {
                    segment: entry.file.clone(),
                    id: t.id.clone(),
                }));
            }
        }
        Ok(Catalog {
            dir: dir.to_owned(),
            body,
            segments,
            title_base,
            removed,
        })
    }

    /// The catalog folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Hash parameters of every stored frame.
    pub fn hash_params(&self) -> HashParams {
        self.body.hash
    }

    /// The view the catalog stores: each side of the centred crop of the
    /// active picture that its hashes were made on, in percent (100: the
    /// whole picture, as catalogs made before views).
    pub fn view_pct(&self) -> u8 {
        self.body.view_pct
    }

    /// Refuses hashes made with parameters that cannot be compared with
    /// the catalog's.
    pub fn check_compatible(&self, query: &HashParams) -> Result<(), IndexError> {
        if self.body.hash.is_compatible_with(query) {
            Ok(())
        } else {
            Err(IndexError::IncompatibleHash {
                path: self.dir.clone(),
                catalog: self.body.hash.to_string(),
                query: query.to_string(),
            })
        }
    }

    /// Whether the catalog also stores the 9:16 windows of wide pictures
    /// (catalogs built before them do not).
    pub fn stores_windows(&self) -> bool {
        self.body.windows
    }

    /// The hashings of a query fingerprint to search this catalog with,
    /// each with its zoom in percent: every view at least as large as the
    /// catalog's, each standing for the query being a crop of the title by
    /// `1 - catalog / view` (the catalog's own view: not cropped), and its
    /// 9:16 window if the catalog stores windows (a wide copy of a title
    /// whose vertical re-post is the catalog's window). Refuses
    /// a fingerprint made with other parameters or without the catalog's
    /// view (a `.vfp` of an older vfp).
    pub fn query_views<'f>(
        &self,
        query: &'f Fingerprint,
    ) -> Result<Vec<(u8, &'f [HashedFrame])>, IndexError> {
        self.check_compatible(&query.params.hash)?;
        if query.active_view(self.body.view_pct).is_none() {
            return Err(IndexError::MissingView {
                path: self.dir.clone(),
                view_pct: self.body.view_pct,
            });
        }
        let windows = self.body.windows;
        Ok(query
            .tracks_where(|v: &ViewTrack| !v.region.is_window() || windows)
            .filter(|&(pct, _)| pct >= self.body.view_pct)
            .collect())
    }

    /// The live titles, in catalog order.
    pub fn titles(&self) -> Vec<TitleEntry<'_>> {
        let mut out = Vec::new();
        for (s, seg) in self.segments.iter().enumerate() {
            for (t, record) in seg.titles().iter().enumerate() {
                let index = self.title_base[s] + t;
                if !self.removed[index] {
                    out.push(TitleEntry {
                        index: TitleIndex(index),
                        record,
                        frames: seg.title_frames(SegmentTitle(t)),
                    });
                }
            }
        }
        out
    }

    /// The title `index` (from [`Hit::title`]), removed titles included.
    pub fn title(&self, index: TitleIndex) -> Option<&TitleRecord> {
        let (seg, t) = self.locate(index)?;
        seg.titles().get(t.0)
    }

    /// The live title with id `id`.
    pub fn find_title(&self, id: &str) -> Option<TitleIndex> {
        self.titles()
            .iter()
            .find(|t| t.record.id == id)
            .map(|t| t.index)
    }

    /// The segment holding title `index` and the title's position in it.
    fn locate(&self, index: TitleIndex) -> Option<(&Segment<Mmap>, SegmentTitle)> {
        let s = self
            .title_base
            .partition_point(|&b| b <= index.0)
            .checked_sub(1)?;
        Some((
            self.segments.get(s)?,
            SegmentTitle(index.0 - self.title_base[s]),
        ))
    }

    /// The stored frames of title `index` (from [`Hit::title`]) timed
    /// within `from_ms..=to_ms`, in time order; none for a removed or
    /// unknown title. How a match found by search is checked along its
    /// alignment, frame by frame.
    pub fn title_frames_between(
        &self,
        index: TitleIndex,
        from_ms: u32,
        to_ms: u32,
    ) -> impl Iterator<Item = TitleFrame> + '_ {
        let live = !self.removed.get(index.0).copied().unwrap_or(true);
        let (seg, range) = match self.locate(index).filter(|_| live) {
            Some((seg, t)) => (Some(seg), seg.title_frames_between(t, from_ms, to_ms)),
            None => (None, 0..0),
        };
        range.filter_map(move |i| {
            let f = seg?.frame(i)?;
            Some(TitleFrame {
                t_ms: f.t_ms,
                hash: f.hash,
                common: f.common,
            })
        })
    }

    /// Frames stored, over live titles.
    pub fn frame_count(&self) -> usize {
        self.titles().iter().map(|t| t.frames).sum()
    }

    /// Segment count, bytes on disk, bytes of the search structures.
    pub fn storage(&self) -> (usize, u64, u64) {
        let bytes = self.segments.iter().map(|s| s.byte_len() as u64).sum();
        let search = self
            .segments
            .iter()
            .map(|s| s.search_structure_bytes() as u64)
            .sum();
        (self.segments.len(), bytes, search)
    }

    /// Makes a copy of this catalog, as it was opened, in `dir` (created;
    /// it must not hold a catalog already): the segments hard-linked
    /// where the file system allows (they never change once written), else
    /// written from their maps, then the manifest. For experiments on a
    /// catalog that must not touch it (`vfp bench --pad-frames`).
    pub fn copy_to(&self, dir: &Path) -> Result<(), IndexError> {
        let lock = lock_for_build(dir, Wait::Fail)?;
        if read_manifest(dir).is_ok() {
            return Err(IndexError::Io {
                path: dir.to_owned(),
                what: "holds a catalog already; copy into a new folder",
                source: std::io::ErrorKind::AlreadyExists.into(),
            });
        }
        for (entry, seg) in self.body.segments.iter().zip(&self.segments) {
            let to = dir.join(&entry.file);
            if std::fs::hard_link(self.dir.join(&entry.file), &to).is_err() {
                // Another file system, or the segment was replaced since
                // it was mapped: the mapped bytes are the ones opened.
                write_atomically(&to, seg.bytes())
                    .map_err(io(&to, "cannot write a catalog segment"))?;
            }
        }
        write_manifest(lock.dir(), &self.body)
    }

    /// The catalog's files as it was opened: its manifest's bytes, and
    /// each segment's file name and bytes (from their maps, so a change
    /// since cannot mix two versions). What a copy elsewhere needs: the
    /// same files in one folder open as this catalog
    /// ([`install_catalog`]).
    pub fn files(&self) -> Result<CatalogFiles<'_>, IndexError> {
        let manifest = manifest_text(&self.dir, &self.body)?;
        let segments = self
            .body
            .segments
            .iter()
            .zip(&self.segments)
            .map(|(entry, seg)| (entry.file.as_str(), seg.bytes()))
            .collect();
        Ok(CatalogFiles { manifest, segments })
    }

    /// Checks every checksum of every segment.
    pub fn verify(&self) -> Result<(), IndexError> {
        for (entry, seg) in self.body.segments.iter().zip(&self.segments) {
            seg.verify().map_err(|source| IndexError::Segment {
                path: self.dir.join(&entry.file),
                source,
            })?;
        }
        Ok(())
    }

    /// Every stored frame within `radius` of `query`, exactly, sorted by
    /// distance (then title and time).
    pub fn search_radius(&self, query: &FrameHash, radius: u32) -> Vec<Hit> {
        let mut hits = Vec::new();
        self.search_into(query, radius, &mut hits);
        hits.sort_unstable();
        hits
    }

    /// Title pictures with local features and their keypoints, over all
    /// segments (removed titles included until their segment goes).
    pub fn feature_counts(&self) -> (usize, usize) {
        self.segments.iter().fold((0, 0), |(f, k), s| {
            (f + s.feature_frame_count(), k + s.keypoint_count())
        })
    }

    /// Bytes of the local features over all segments.
    pub fn feature_bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.feature_bytes() as u64).sum()
    }

    /// Whether any segment stores local features.
    pub fn has_features(&self) -> bool {
        self.segments.iter().any(|s| s.feature_frame_count() > 0)
    }

    /// Calls `found` with the title picture of every stored keypoint
    /// within `max_distance` of `query` that shares an indexed chunk with
    /// it (see `segment::features`), of live titles only; a picture once
    /// per keypoint found in it.
    pub fn search_keypoints(
        &self,
        query: &[u64; 4],
        max_distance: u32,
        mut found: impl FnMut(FeatureRef),
    ) {
        for (s, seg) in self.segments.iter().enumerate() {
            seg.search_keypoints(query, max_distance, |k, _| {
                let Some(frame) = seg.feature_frame_of(k) else {
                    return;
                };
                found(FeatureRef {
                    segment: s as u32,
                    frame: frame as u32,
                });
            });
        }
    }

    /// A title picture found by [`search_keypoints`](Self::search_keypoints):
    /// its title, time and keypoints; `None` for a removed title.
    pub fn feature_frame(&self, r: FeatureRef) -> Option<TitleFeatures> {
        let seg = self.segments.get(r.segment as usize)?;
        let f = seg.feature_frame(r.frame as usize)?;
        let title = self.title_base[r.segment as usize] + f.title.0;
        if self.removed.get(title).copied().unwrap_or(true) {
            return None;
        }
        Some(TitleFeatures {
            title: TitleIndex(title),
            t_ms: f.t_ms,
            keypoints: f.keypoints.filter_map(|k| seg.keypoint(k)).collect(),
        })
    }

    fn search_into(&self, query: &FrameHash, radius: u32, hits: &mut Vec<Hit>) {
        for (s, seg) in self.segments.iter().enumerate() {
            let base = self.title_base[s];
            let mut found = |i: usize, distance: u32| {
                if let Some(f) = seg.frame(i) {
                    let title = base + f.title.0;
                    if !self.removed.get(title).copied().unwrap_or(true) {
                        hits.push(Hit {
                            distance,
                            title: TitleIndex(title),
                            t_ms: f.t_ms,
                            common: f.common,
                        });
                    }
                }
            };
            if seg.geometry().flips_for_radius(radius) <= MAX_PROBE_FLIPS {
                seg.search_radius(query, radius, &mut found);
            } else {
                seg.scan_radius(query, radius, &mut found);
            }
        }
    }
}

/// A catalog's files as it was opened ([`Catalog::files`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogFiles<'a> {
    /// The manifest's bytes.
    pub manifest: Vec<u8>,
    /// Each segment's file name and bytes.
    pub segments: Vec<(&'a str, &'a [u8])>,
}

/// A title ready to be stored: its record and fingerprint.
#[derive(Clone, Debug)]
pub struct NewTitle {
    /// The record (id, name, source, ...).
    pub record: TitleRecord,
    /// Its fingerprint; only informative frames are stored.
    pub fingerprint: Fingerprint,
}

fn segment_name(n: u64) -> String {
    format!("seg-{n:06}.vfps")
}

/// The number of a segment file name ([`segment_name`]'s inverse), or
/// `None` for any other name.
fn segment_number(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("seg-")?.strip_suffix(".vfps")?;
    if digits.len() < 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn check_titles(
    dir: &Path,
    hash: &HashParams,
    view_pct: u8,
    titles: &[NewTitle],
) -> Result<(), IndexError> {
    let mut seen = HashSet::new();
    for t in titles {
        if !seen.insert(t.record.id.as_str()) {
            return Err(IndexError::DuplicateTitle {
                id: t.record.id.clone(),
                first: "this batch".into(),
                second: t.record.source_path.clone(),
            });
        }
        if !t.fingerprint.params.hash.is_compatible_with(hash) {
            return Err(IndexError::IncompatibleHash {
                path: dir.to_owned(),
                catalog: hash.to_string(),
                query: format!("{} ({})", t.fingerprint.params.hash, t.record.source_path),
            });
        }
        if t.fingerprint.active_view(view_pct).is_none() {
            return Err(IndexError::MissingView {
                path: PathBuf::from(&t.record.source_path),
                view_pct,
            });
        }
    }
    Ok(())
}

fn write_segment(
    dir: &Path,
    name: &str,
    builder: SegmentBuilder,
) -> Result<SegmentEntry, IndexError> {
    let frames = builder.frames() as u64;
    let bytes = builder.finish();
    let titles = Segment::open(AlignedBytes::new(&bytes))
        .map(|s| s.titles().len() as u32)
        .map_err(|source| IndexError::Segment {
            path: dir.join(name),
            source,
        })?;
    let path = dir.join(name);
    write_atomically(&path, &bytes).map_err(io(&path, "cannot write a catalog segment"))?;
    Ok(SegmentEntry {
        file: name.to_owned(),
        titles,
        frames,
        bytes: bytes.len() as u64,
    })
}

fn builder_with(
    hash: HashParams,
    view_pct: u8,
    windows: bool,
    titles: Vec<NewTitle>,
) -> Result<SegmentBuilder, IndexError> {
    let mut builder = SegmentBuilder::new(hash, view_pct).with_windows(windows);
    add_new(&mut builder, view_pct, windows, titles)?;
    Ok(builder)
}

/// Adds the informative frames of each title's `view_pct` view (checked
/// present by [`check_titles`]) and, with `windows`, of its 9:16 window
/// (at the same times: a title's stored frames are every hash of it that
/// a copy may show).
fn add_new(
    builder: &mut SegmentBuilder,
    view_pct: u8,
    windows: bool,
    titles: Vec<NewTitle>,
) -> Result<(), IndexError> {
    for t in titles {
        let windows = t
            .fingerprint
            .views
            .iter()
            .filter(|v| windows && v.region == ViewRegion::Window)
            .flat_map(|v| v.frames.iter());
        let frames = t
            .fingerprint
            .active_view(view_pct)
            .unwrap_or_default()
            .iter()
            .chain(windows)
            .filter(|f| f.is_informative())
            .map(|f| (f.t_ms, f.hash))
            .collect::<Vec<_>>();
        builder.add_title(t.record, frames)?;
        builder.add_features(&t.fingerprint.features)?;
    }
    Ok(())
}

/// Deletes segment files of `dir` that `body` does not name (left by an
/// earlier change, or by one that was killed), and temporary files of
/// killed changes; only a writer may (`_lock` is the proof).
fn remove_unlisted(_lock: &WriterLock, dir: &Path, body: &ManifestBody) {
    let keep: HashSet<&str> = body.segments.iter().map(|s| s.file.as_str()).collect();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let unlisted =
            name.starts_with("seg-") && name.ends_with(".vfps") && !keep.contains(name.as_ref());
        // Temporary files of a killed change (`.MANIFEST.abc123`,
        // `.seg-000002.vfps.abc123` where the file system has no unnamed
        // temporary files; `.vfp-tmp-*` from older versions): no other
        // writer can be writing them while this one holds the lock.
        let temporary = name.starts_with(".MANIFEST.")
            || name.starts_with(".seg-")
            || name.starts_with(".vfp-tmp-");
        if unlisted || temporary {
            // Best effort: a file left behind is harmless and retried later.
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Takes the writer lock of the folder `dir` for building a catalog in
/// it: creates the folder if missing; refuses a folder that holds other
/// files and no catalog (vfp never scatters catalog files, not even its
/// lock file, among someone's videos).
pub fn lock_for_build(dir: &Path, wait: Wait) -> Result<WriterLock, IndexError> {
    if matches!(read_manifest(dir), Err(IndexError::NotACatalog { .. })) {
        refuse_foreign_folder(dir)?;
    }
    std::fs::create_dir_all(dir).map_err(io(dir, "cannot create the catalog folder"))?;
    WriterLock::acquire(dir, wait)
}

/// Takes the writer lock of the catalog in `dir`, which must be one.
pub fn lock_catalog(dir: &Path, wait: Wait) -> Result<WriterLock, IndexError> {
    read_manifest(dir)?;
    WriterLock::acquire(dir, wait)
}

/// Refuses `dir` if it holds anything but a lock file (a folder without a
/// catalog that is not empty is someone else's).
fn refuse_foreign_folder(dir: &Path) -> Result<(), IndexError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        // Missing: created empty. Unreadable: creating files fails later
        // with the reason.
        return Ok(());
    };
    let foreign = entries.flatten().any(|e| e.file_name() != LOCK_FILE);
    if foreign {
        return Err(IndexError::FolderNotEmpty {
            path: dir.to_owned(),
        });
    }
    Ok(())
}

/// Builds a catalog in `dir` from `titles`, replacing any catalog there
/// atomically; waits for another writer of the folder to finish first.
/// Titles must have unique ids and hashes compatible with `hash`.
pub fn build(dir: &Path, hash: HashParams, titles: Vec<NewTitle>) -> Result<(), IndexError> {
    // Checked before the folder is created too, so that a refused build
    // leaves nothing behind.
    check_titles(dir, &hash, CATALOG_VIEW_PCT, &titles)?;
    build_locked(&lock_for_build(dir, Wait::Block)?, hash, titles)
}

/// [`build`] under a writer lock already taken ([`lock_for_build`]).
pub fn build_locked(
    lock: &WriterLock,
    hash: HashParams,
    titles: Vec<NewTitle>,
) -> Result<(), IndexError> {
    let dir = lock.dir();
    let view_pct = CATALOG_VIEW_PCT;
    // New catalogs store the 9:16 windows of wide titles too.
    let windows = true;
    check_titles(dir, &hash, view_pct, &titles)?;
    let next = match read_manifest(dir) {
        Ok(old) => old.next_segment,
        Err(IndexError::NotACatalog { .. }) => {
            refuse_foreign_folder(dir)?;
            1
        }
        // A damaged manifest is replaced; its segments are unlisted below.
        Err(IndexError::Manifest { .. }) => 1 + max_segment_number(dir),
        Err(e) => return Err(e),
    };
    let entry = write_segment(
        dir,
        &segment_name(next),
        builder_with(hash, view_pct, windows, titles)?,
    )?;
    let body = ManifestBody {
        hash,
        view_pct,
        windows,
        segments: vec![entry],
        removed: Vec::new(),
        next_segment: next + 1,
    };
    write_manifest(dir, &body)?;
    remove_unlisted(lock, dir, &body);
    Ok(())
}

fn max_segment_number(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| segment_number(&e.file_name().to_string_lossy()))
        .max()
        .unwrap_or(0)
}

/// Makes the folder `dir` (which must not exist) a catalog of the given
/// files ([`Catalog::files`] of a catalog elsewhere): each segment file
/// hard-linked from (or else copied from) the path given for it, then the
/// manifest, in a temporary folder beside `dir` renamed into place once
/// the catalog opens, so that `dir` is either absent or a whole catalog.
/// The manifest must name exactly the segments given.
pub fn install_catalog(
    dir: &Path,
    manifest: &[u8],
    segments: &[(String, PathBuf)],
) -> Result<Catalog, IndexError> {
    let body = parse_manifest(manifest).map_err(|problem| IndexError::Manifest {
        path: dir.join(MANIFEST),
        reason: match problem {
            ManifestProblem::NotAManifest => "not a vfp catalog manifest".into(),
            ManifestProblem::Damaged(reason) => reason,
        },
    })?;
    let named: HashSet<&str> = body.segments.iter().map(|e| e.file.as_str()).collect();
    let given: HashSet<&str> = segments.iter().map(|(name, _)| name.as_str()).collect();
    if named != given
        || segments
            .iter()
            .any(|(name, _)| segment_number(name).is_none())
    {
        return Err(IndexError::Manifest {
            path: dir.join(MANIFEST),
            reason: format!(
                "it names the segments {:?}, the files given are {:?}",
                sorted(named),
                sorted(given)
            ),
        });
    }
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent, "cannot create the folder"))?;
    // Unique: other processes, or threads of this one, may install the
    // same catalog at once.
    let tmp = parent.join(format!(
        ".{}.tmp-{}-{}",
        dir.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        std::process::id(),
        unique()
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir(&tmp).map_err(io(&tmp, "cannot create the folder"))?;
    let result = (|| {
        for (name, from) in segments {
            let to = tmp.join(name);
            if std::fs::hard_link(from, &to).is_err() {
                std::fs::copy(from, &to).map_err(io(from, "cannot copy a catalog segment"))?;
            }
        }
        let path = tmp.join(MANIFEST);
        write_atomically(&path, manifest)
            .map_err(io(&path, "cannot write the catalog manifest"))?;
        drop(Catalog::open(&tmp)?);
        std::fs::rename(&tmp, dir).map_err(io(dir, "cannot move the catalog into place"))
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        // Another process installed the same catalog first: use it.
        return Catalog::open(dir).map_err(|_| e);
    }
    Catalog::open(dir)
}

/// A number no other call in this process gets.
fn unique() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn sorted(set: HashSet<&str>) -> Vec<&str> {
    let mut v: Vec<&str> = set.into_iter().collect();
    v.sort_unstable();
    v
}

/// Adds titles to the catalog in `dir` as a new segment, without touching
/// the existing ones; merges all segments into one when there would be
/// more than [`MAX_SEGMENTS`]. Ids already in the catalog are refused.
/// Waits for another writer of the catalog to finish first.
pub fn add(dir: &Path, titles: Vec<NewTitle>) -> Result<(), IndexError> {
    add_locked(&lock_catalog(dir, Wait::Block)?, titles)
}

/// [`add`] under a writer lock already taken ([`lock_catalog`]).
pub fn add_locked(lock: &WriterLock, titles: Vec<NewTitle>) -> Result<(), IndexError> {
    let dir = lock.dir();
    // Read under the lock: the catalog as the previous writer left it.
    let catalog = Catalog::open(dir)?;
    let hash = catalog.hash_params();
    let view_pct = catalog.view_pct();
    // Added titles are stored as the catalog's others are.
    let windows = catalog.stores_windows();
    check_titles(dir, &hash, view_pct, &titles)?;
    // Built once: listing the catalog's titles walks every segment.
    let existing: std::collections::HashMap<&str, &TitleRecord> = catalog
        .titles()
        .into_iter()
        .map(|e| (e.record.id.as_str(), e.record))
        .collect();
    for t in &titles {
        if let Some(existing) = existing.get(t.record.id.as_str()) {
            return Err(IndexError::DuplicateTitle {
                id: t.record.id.clone(),
                first: format!("in the catalog, from {}", existing.source_path),
                second: t.record.source_path.clone(),
            });
        }
    }
    let mut body = catalog.body.clone();
    let next = body.next_segment;
    if body.segments.len() < MAX_SEGMENTS {
        let entry = write_segment(
            dir,
            &segment_name(next),
            builder_with(hash, view_pct, windows, titles)?,
        )?;
        body.segments.push(entry);
    } else {
        // Merge: every live title of every segment, then the new ones.
        let mut builder = SegmentBuilder::new(hash, view_pct).with_windows(windows);
        for (s, seg) in catalog.segments.iter().enumerate() {
            let mut first = 0;
            for (t, record) in seg.titles().iter().enumerate() {
                let count = seg.title_frames(SegmentTitle(t));
                if !catalog.removed[catalog.title_base[s] + t] {
                    let frames = (first..first + count)
                        .filter_map(|i| seg.frame(i))
                        .map(|f| (f.t_ms, f.hash))
                        .collect::<Vec<_>>();
                    builder.add_title(record.clone(), frames)?;
                    builder.add_features(&seg.title_features(SegmentTitle(t)))?;
                }
                first += count;
            }
        }
        add_new(&mut builder, view_pct, windows, titles)?;
        let entry = write_segment(dir, &segment_name(next), builder)?;
        body.segments = vec![entry];
        body.removed.clear();
    }
    body.next_segment = next + 1;
    write_manifest(dir, &body)?;
    drop(catalog);
    remove_unlisted(lock, dir, &body);
    Ok(())
}

/// Removes title `id` from the catalog in `dir`: its frames stop matching
/// at once; the space is reclaimed when its segment has no live title left
/// or segments are merged. Waits for another writer of the catalog to
/// finish first.
pub fn remove(dir: &Path, id: &str) -> Result<(), IndexError> {
    remove_locked(&lock_catalog(dir, Wait::Block)?, id)
}

/// [`remove`] under a writer lock already taken ([`lock_catalog`]).
pub fn remove_locked(lock: &WriterLock, id: &str) -> Result<(), IndexError> {
    let dir = lock.dir();
    let catalog = Catalog::open(dir)?;
    let mut body = catalog.body.clone();
    let mut found = false;
    for (s, seg) in catalog.segments.iter().enumerate() {
        for (t, record) in seg.titles().iter().enumerate() {
            if record.id == id && !catalog.removed[catalog.title_base[s] + t] {
                body.removed.push(Removed {
                    segment: body.segments[s].file.clone(),
                    id: id.to_owned(),
                });
                found = true;
            }
        }
    }
    if !found {
        return Err(IndexError::UnknownTitle {
            path: dir.to_owned(),
            id: id.to_owned(),
        });
    }
    // Drop segments whose titles are all removed.
    let gone: HashSet<Removed> = body.removed.iter().cloned().collect();
    let keep: Vec<bool> = catalog
        .segments
        .iter()
        .zip(&body.segments)
        .map(|(seg, entry)| {
            seg.titles().iter().any(|t| {
                !gone.contains(&Removed {
                    segment: entry.file.clone(),
                    id: t.id.clone(),
                })
            })
        })
        .collect();
    let mut kept = keep.iter();
    body.segments.retain(|_| *kept.next().unwrap_or(&true));
    let live: HashSet<&str> = body.segments.iter().map(|s| s.file.as_str()).collect();
    body.removed.retain(|r| live.contains(r.segment.as_str()));
    write_manifest(dir, &body)?;
    drop(catalog);
    remove_unlisted(lock, dir, &body);
    Ok(())
}
