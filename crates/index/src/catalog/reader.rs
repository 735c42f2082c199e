//! An opened catalog: the manifest read, the segments memory-mapped with
//! the cheap checks of each; lookups by title and time, the search by
//! Hamming radius, local-feature lookups, and the thorough
//! [`verify`](Catalog::verify) on request. A reader takes no lock.

use super::manifest::{manifest_text, read_manifest, ManifestBody, PublicRange, Removed};
use crate::segment::{Segment, SegmentTitle};
use crate::stills::{stills_path, Stills};
use crate::{IndexError, TitleRecord};
use memmap2::Mmap;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use vfp_fingerprint::local::Keypoint;
use vfp_fingerprint::{Fingerprint, FrameHash, HashParams, HashedFrame, TitleIndex, ViewTrack};

/// Times a reader re-reads the manifest after a writer deleted a segment
/// it named (each retry follows a completed change).
const OPEN_RETRIES: usize = 8;
/// Largest radius searched by probing; beyond it (more than this many
/// flips per chunk) a scan is cheaper.
const MAX_PROBE_FLIPS: u32 = 2;

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
    pub(super) dir: PathBuf,
    pub(super) body: ManifestBody,
    pub(super) segments: Vec<Segment<Mmap>>,
    /// Global index of each segment's first title.
    pub(super) title_base: Vec<usize>,
    /// Per global title index: removed.
    pub(super) removed: Vec<bool>,
}

fn map_segment(path: &Path) -> Result<Segment<Mmap>, IndexError> {
    // Opening a pipe would wait for a writer, mapping a device would read
    // it: a segment is a regular file.
    let meta =
        std::fs::metadata(path).map_err(IndexError::io(path, "cannot open a catalog segment"))?;
    if !meta.is_file() {
        return Err(IndexError::Segment {
            path: path.to_owned(),
            source: crate::SegmentError::Invalid {
                what: "segment",
                reason: "not a regular file".into(),
            },
        });
    }
    let file =
        std::fs::File::open(path).map_err(IndexError::io(path, "cannot open a catalog segment"))?;
    // SAFETY: segment files are never modified after they are written: vfp
    // writes them under fresh names and only ever deletes or replaces them
    // by rename, so the mapped bytes do not change under the map. (Another
    // program writing into the file would break this; nothing in vfp does.)
    let map = unsafe { Mmap::map(&file) }
        .map_err(IndexError::io(path, "cannot map a catalog segment"))?;
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
    pub(super) fn open_body(dir: &Path, body: ManifestBody) -> Result<Catalog, IndexError> {
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

    /// The ranges of title `id` recorded as public, in the order recorded.
    pub fn public_ranges(&self, id: &str) -> Vec<&PublicRange> {
        self.body.public.iter().filter(|p| p.id == id).collect()
    }

    /// The public range that covers `from_ms..to_ms` of title `id` (to a
    /// second at either end: a copy of a trailer starts and ends where its
    /// cuts are), if one does.
    pub fn public_covering(&self, id: &str, from_ms: u64, to_ms: u64) -> Option<&PublicRange> {
        const SLACK_MS: u64 = 1_000;
        self.body
            .public
            .iter()
            .find(|p| p.id == id && p.from_ms <= from_ms + SLACK_MS && to_ms <= p.to_ms + SLACK_MS)
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

    /// The catalog's files as it was opened: its manifest's bytes, and
    /// each segment's file name and bytes (from their maps, so a change
    /// since cannot mix two versions). What a copy elsewhere needs: the
    /// same files in one folder open as this catalog
    /// ([`install_catalog`](super::install_catalog)).
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

    /// The stills of the title video with SHA-256 `sha256_hex`, if this
    /// catalog folder keeps them ([`crate::stills`]), opened and checked;
    /// a pack made from another video is refused.
    pub fn stills_of(&self, sha256_hex: &str) -> Result<Option<Stills>, IndexError> {
        let Some(path) = stills_path(&self.dir, sha256_hex) else {
            return Ok(None);
        };
        match Stills::open(&path) {
            Err(IndexError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                Ok(None)
            }
            Ok(s) if s.sha256_hex() != sha256_hex => Err(IndexError::Stills {
                path,
                reason: format!("made from another video (SHA-256 {})", s.sha256_hex()),
            }),
            other => other.map(Some),
        }
    }

    /// The title videos (by SHA-256) whose stills this catalog keeps, and
    /// their bytes in all.
    pub fn stills_kept(&self) -> (usize, u64) {
        let mut shas: Vec<&str> = self
            .titles()
            .iter()
            .map(|t| t.record.sha256.as_str())
            .collect();
        shas.sort_unstable();
        shas.dedup();
        shas.iter()
            .filter_map(|sha| stills_path(&self.dir, sha))
            .filter_map(|p| std::fs::metadata(p).ok())
            .fold((0, 0), |(n, bytes), m| (n + 1, bytes + m.len()))
    }

    /// Checks every checksum of every segment, and of every stills pack
    /// of a live title.
    pub fn verify(&self) -> Result<(), IndexError> {
        for (entry, seg) in self.body.segments.iter().zip(&self.segments) {
            seg.verify().map_err(|source| IndexError::Segment {
                path: self.dir.join(&entry.file),
                source,
            })?;
        }
        for t in self.titles() {
            self.stills_of(&t.record.sha256)?;
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
    /// it (see `segment::features`); a picture once per keypoint found in
    /// it. Pictures of removed titles are named too:
    /// [`feature_frame`](Self::feature_frame) leaves them out.
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

    /// Every title picture the lookups of `queries` land on, once per
    /// landing, in order: what [`search_keypoints`](Self::search_keypoints)
    /// gives for each query, gathered and sorted. Found by sorting the
    /// keypoints landed on rather than the pictures: a picture's keypoints
    /// lie together, so a run of landings in one picture costs one look at
    /// its record instead of a binary search over the pictures each.
    pub fn keypoint_landings(&self, queries: &[[u64; 4]], max_distance: u32) -> Vec<FeatureRef> {
        let mut landed: Vec<Vec<u32>> = vec![Vec::new(); self.segments.len()];
        for query in queries {
            for (seg, keypoints) in self.segments.iter().zip(&mut landed) {
                seg.search_keypoints(query, max_distance, |k, _| keypoints.push(k as u32));
            }
        }
        let mut pictures = Vec::with_capacity(landed.iter().map(Vec::len).sum());
        for (s, (seg, mut keypoints)) in self.segments.iter().zip(landed).enumerate() {
            keypoints.sort_unstable();
            // The picture of the last landing, and where its keypoints end.
            let mut current: Option<(usize, usize)> = None;
            for k in keypoints.into_iter().map(|k| k as usize) {
                let frame = match current {
                    Some((frame, end)) if k < end => frame,
                    _ => {
                        let Some(frame) = seg.feature_frame_of(k) else {
                            continue;
                        };
                        let end = seg.feature_frame(frame).map_or(k + 1, |f| f.keypoints.end);
                        current = Some((frame, end.max(k + 1)));
                        frame
                    }
                };
                pictures.push(FeatureRef {
                    segment: s as u32,
                    frame: frame as u32,
                });
            }
        }
        pictures
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
