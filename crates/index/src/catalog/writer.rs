//! Changes to a catalog, each under the writer lock ([`crate::lock`]):
//! build, add (a new segment, or a merge of all into one past
//! [`MAX_SEGMENTS`]), remove, a copy of an opened catalog, and the
//! install of a catalog's files fetched from elsewhere.
//!
//! Every change writes new segment files under new names, replaces the
//! manifest by an atomic rename, then deletes the files the new manifest
//! no longer names (and temporary files a killed change left).

use super::manifest::{
    max_segment_number, parse_manifest, read_manifest, segment_name, segment_number,
    write_atomically, write_manifest, ManifestBody, ManifestProblem, PublicRange, Removed,
    SegmentEntry, MANIFEST,
};
use super::reader::Catalog;
use crate::lock::{Wait, WriterLock, LOCK_FILE};
use crate::segment::{AlignedBytes, Segment, SegmentBuilder, SegmentTitle};
use crate::stills::{STILLS_DIR, STILLS_EXTENSION};
use crate::{IndexError, TitleRecord};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use vfp_fingerprint::{Fingerprint, HashParams, ViewRegion, CATALOG_VIEW_PCT};

/// With more segments than this after an add, all are merged into one:
/// each segment costs a lookup per query frame.
pub const MAX_SEGMENTS: usize = 8;

/// A title ready to be stored: its record and fingerprint.
#[derive(Clone, Debug)]
pub struct NewTitle {
    /// The record (id, name, source, ...).
    pub record: TitleRecord,
    /// Its fingerprint; only informative frames are stored.
    pub fingerprint: Fingerprint,
}

impl Catalog {
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
                    .map_err(IndexError::io(&to, "cannot write a catalog segment"))?;
            }
        }
        write_manifest(lock.dir(), &self.body)
    }
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
    write_atomically(&path, &bytes)
        .map_err(IndexError::io(&path, "cannot write a catalog segment"))?;
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

/// Deletes the stills packs of videos no live title of the catalog in
/// `dir` was made from (after a remove, or a build that replaced the
/// titles); only a writer may (`_lock` is the proof). Packs are written
/// after their title is in the catalog, so a pack being written is never
/// one of these.
fn remove_unused_stills(_lock: &WriterLock, dir: &Path) {
    let Ok(catalog) = Catalog::open(dir) else {
        return;
    };
    let live: HashSet<String> = catalog
        .titles()
        .iter()
        .map(|t| format!("{}.{STILLS_EXTENSION}", t.record.sha256))
        .collect();
    let Ok(entries) = std::fs::read_dir(dir.join(STILLS_DIR)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(STILLS_EXTENSION)
            && !name.starts_with('.')
            && !live.contains(name.as_ref())
        {
            // Best effort: a pack left behind is only space.
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
    std::fs::create_dir_all(dir)
        .map_err(IndexError::io(dir, "cannot create the catalog folder"))?;
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
        public: Vec::new(),
    };
    write_manifest(dir, &body)?;
    remove_unlisted(lock, dir, &body);
    remove_unused_stills(lock, dir);
    Ok(())
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
    std::fs::create_dir_all(parent).map_err(IndexError::io(parent, "cannot create the folder"))?;
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
    std::fs::create_dir(&tmp).map_err(IndexError::io(&tmp, "cannot create the folder"))?;
    let result = (|| {
        for (name, from) in segments {
            let to = tmp.join(name);
            if std::fs::hard_link(from, &to).is_err() {
                std::fs::copy(from, &to)
                    .map_err(IndexError::io(from, "cannot copy a catalog segment"))?;
            }
        }
        let path = tmp.join(MANIFEST);
        write_atomically(&path, manifest)
            .map_err(IndexError::io(&path, "cannot write the catalog manifest"))?;
        drop(Catalog::open(&tmp)?);
        std::fs::rename(&tmp, dir)
            .map_err(IndexError::io(dir, "cannot move the catalog into place"))
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
        if existing.contains_key(t.record.id.as_str()) {
            return Err(IndexError::TitleExists {
                catalog: dir.to_owned(),
                id: t.record.id.clone(),
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

/// Records `range` of a title as public (a trailer, a promo clip): a copy
/// of only public ranges is allowed. The title must be in the catalog and
/// the range within it. Waits for another writer first.
pub fn add_public(dir: &Path, range: PublicRange) -> Result<(), IndexError> {
    let lock = lock_catalog(dir, Wait::Block)?;
    let dir = lock.dir();
    let catalog = Catalog::open(dir)?;
    let Some(title) = catalog.find_title(&range.id).and_then(|t| catalog.title(t)) else {
        return Err(IndexError::UnknownTitle {
            path: dir.to_owned(),
            id: range.id,
        });
    };
    if range.from_ms >= range.to_ms || range.to_ms > title.duration_ms {
        return Err(IndexError::BadRange {
            path: dir.to_owned(),
            id: range.id,
            from_ms: range.from_ms,
            to_ms: range.to_ms,
            duration_ms: title.duration_ms,
        });
    }
    let mut body = catalog.body.clone();
    body.public.push(range);
    write_manifest(dir, &body)
}

/// Forgets the public ranges of title `id` that overlap `from_ms..to_ms`;
/// how many. Waits for another writer first.
pub fn remove_public(dir: &Path, id: &str, from_ms: u64, to_ms: u64) -> Result<usize, IndexError> {
    let lock = lock_catalog(dir, Wait::Block)?;
    let dir = lock.dir();
    let catalog = Catalog::open(dir)?;
    let mut body = catalog.body.clone();
    let before = body.public.len();
    body.public
        .retain(|p| !(p.id == id && p.from_ms < to_ms && from_ms < p.to_ms));
    let removed = before - body.public.len();
    if removed > 0 {
        write_manifest(dir, &body)?;
    }
    Ok(removed)
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
    body.public.retain(|p| p.id != id);
    write_manifest(dir, &body)?;
    drop(catalog);
    remove_unlisted(lock, dir, &body);
    remove_unused_stills(lock, dir);
    Ok(())
}
