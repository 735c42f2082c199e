//! Changes to a catalog, each under the writer lock ([`crate::lock`]):
//! build, add (new segments, then merges of the smallest past
//! [`MAX_SEGMENTS`]), remove, a copy of an opened catalog, and the install
//! of a catalog's files fetched from elsewhere.
//!
//! Segments hold at most [`MAX_SEGMENT_FRAMES`] frames (unless one title
//! alone holds more), so that writing one, and merging, needs memory for
//! that many frames whatever the catalog's size, as the tiers of a
//! log-structured store do.
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
use super::spool::{repeated_in_batch, StoredAs, StoredTitle, TitleSpool};
use crate::lock::{Wait, WriterLock, LOCK_FILE};
use crate::segment::{Segment, SegmentBuilder, SegmentTitle};
use crate::stills::{STILLS_DIR, STILLS_EXTENSION};
use crate::{IndexError, TitleRecord};
use atomic_write_file::AtomicWriteFile;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use vfp_fingerprint::{Fingerprint, HashParams};

/// With more segments than this after an add, the smallest are merged:
/// the two smallest, then each next one no larger than those taken, within
/// [`MAX_SEGMENT_FRAMES`]. Each segment costs a lookup per query frame. A
/// catalog of more than `MAX_SEGMENTS` full segments keeps them all.
pub const MAX_SEGMENTS: usize = 8;

/// Frames a segment is given at most (2^25, 33.5 M: 2,300 hours at four
/// samples a second). Writing a segment holds ~60 bytes a frame in memory
/// (its hashes, times and the stop-list's counters) and 0.4 GB of bucket
/// offsets: measured at 2.1 GB peak for a build of 100 M frames in such
/// segments, 2.2 GB for a merge into one. Larger segments search a little faster
/// (a lookup costs about the same in any segment: 55 µs at 2 M frames,
/// 93 µs at 10 M), smaller ones need less memory to write.
pub const MAX_SEGMENT_FRAMES: u64 = 1 << 25;

/// The two bounds above, as one value (tests use smaller ones).
#[derive(Clone, Copy, Debug)]
struct Limits {
    segments: usize,
    segment_frames: u64,
}

const LIMITS: Limits = Limits {
    segments: MAX_SEGMENTS,
    segment_frames: MAX_SEGMENT_FRAMES,
};

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

/// Checks a batch of titles for a catalog that stores them `stored_as`: each
/// storable, their ids unique among them.
fn check_titles(dir: &Path, stored_as: &StoredAs, titles: &[NewTitle]) -> Result<(), IndexError> {
    let mut seen = HashSet::new();
    for t in titles {
        if !seen.insert(t.record.id.as_str()) {
            return Err(repeated_in_batch(t));
        }
        stored_as.check(dir, t)?;
    }
    Ok(())
}

/// `titles` (checked) as the catalog stores them, one at a time.
fn stored(
    stored_as: StoredAs,
    titles: Vec<NewTitle>,
) -> impl Iterator<Item = Result<StoredTitle, IndexError>> {
    titles.into_iter().map(move |t| Ok(stored_as.store(t)))
}

/// Writes the segment `builder` holds as `dir/name`, streamed into a
/// temporary file renamed into place whole once it opens as a segment.
fn write_segment(
    dir: &Path,
    name: &str,
    builder: SegmentBuilder,
) -> Result<SegmentEntry, IndexError> {
    let frames = builder.frames() as u64;
    let titles = builder.title_count() as u32;
    let path = dir.join(name);
    // Readable too: it is mapped to be checked.
    let mut file = AtomicWriteFile::options()
        .read(true)
        .open(&path)
        .map_err(IndexError::io(&path, "cannot write a catalog segment"))?;
    let bytes = builder
        .write_to(&mut file)
        .map_err(IndexError::io(&path, "cannot write a catalog segment"))?;
    // Checked as a reader will open it, before it takes the name.
    // SAFETY: the file is this process's own unnamed (or unlisted)
    // temporary file; nothing writes it while it is mapped.
    let map = unsafe { memmap2::Mmap::map(file.as_file()) }
        .map_err(IndexError::io(&path, "cannot map a catalog segment"))?;
    Segment::open(map).map_err(|source| IndexError::Segment {
        path: path.clone(),
        source,
    })?;
    file.commit()
        .map_err(IndexError::io(&path, "cannot write a catalog segment"))?;
    Ok(SegmentEntry {
        file: name.to_owned(),
        titles,
        frames,
        bytes,
    })
}

/// Writes `titles` as new segments named from `next` on (which it
/// advances), each of at most `limits.segment_frames` frames unless one
/// title alone holds more; titles keep their order.
fn write_new_segments(
    dir: &Path,
    next: &mut u64,
    stored_as: StoredAs,
    titles: impl Iterator<Item = Result<StoredTitle, IndexError>>,
    limits: Limits,
) -> Result<Vec<SegmentEntry>, IndexError> {
    let mut entries = Vec::new();
    let mut builder = stored_as.builder();
    for t in titles {
        let t = t?;
        let full = builder.frames() as u64 + t.frames.len() as u64 > limits.segment_frames;
        if full && builder.title_count() > 0 {
            let done = std::mem::replace(&mut builder, stored_as.builder());
            entries.push(write_segment(dir, &segment_name(*next), done)?);
            *next += 1;
        }
        builder.add_title(t.record, t.frames)?;
        builder.add_features(&t.features)?;
    }
    // An empty build still writes its (empty) segment.
    if builder.title_count() > 0 || entries.is_empty() {
        entries.push(write_segment(dir, &segment_name(*next), builder)?);
        *next += 1;
    }
    Ok(entries)
}

/// While `body` has more segments than `limits.segments`, merges the
/// smallest (by live frames) into one: the two smallest, and the next
/// ones while each is no larger than those taken, within
/// `limits.segment_frames` (none when no two fit, so a catalog of full
/// segments keeps them all). The merged segment takes the
/// place of the first of its segments, so titles keep their order.
fn merge_smallest(dir: &Path, body: &mut ManifestBody, limits: Limits) -> Result<(), IndexError> {
    let stored_as = StoredAs::of_manifest(body);
    while body.segments.len() > limits.segments {
        // The catalog `body` describes, segments written since its
        // manifest was read included.
        let opened = Catalog::open_body(dir, body.clone())?;
        let live: Vec<u64> = opened
            .segments
            .iter()
            .enumerate()
            .map(|(s, seg)| {
                (0..seg.titles().len())
                    .filter(|&t| !opened.removed[opened.title_base[s] + t])
                    .map(|t| seg.title_frames(SegmentTitle(t)) as u64)
                    .sum()
            })
            .collect();
        let mut by_size: Vec<usize> = (0..live.len()).collect();
        by_size.sort_by_key(|&s| (live[s], s));
        let mut group = Vec::new();
        let mut frames = 0u64;
        // Smallest first (if the two smallest do not fit together, no two
        // do), then each next one no larger than those taken together: the
        // segments fall into tiers of growing size, and a frame is
        // rewritten about once per tier, not at every merge (merging all
        // into one rewrote the whole catalog every eighth add).
        for s in by_size {
            let fits = frames + live[s] <= limits.segment_frames;
            let tier = group.len() < 2 || live[s] <= frames;
            if !fits || !tier {
                break;
            }
            group.push(s);
            frames += live[s];
        }
        if group.len() < 2 {
            return Ok(());
        }
        group.sort_unstable();
        let mut builder = stored_as.builder();
        for &s in &group {
            let seg = &opened.segments[s];
            let mut first = 0;
            for (t, record) in seg.titles().iter().enumerate() {
                let count = seg.title_frames(SegmentTitle(t));
                if !opened.removed[opened.title_base[s] + t] {
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
        // The merged segments' maps are not needed to write the new one.
        drop(opened);
        let next = body.next_segment;
        let entry = write_segment(dir, &segment_name(next), builder)?;
        body.next_segment = next + 1;
        let merged: HashSet<String> = group
            .iter()
            .map(|&s| body.segments[s].file.clone())
            .collect();
        body.removed.retain(|r| !merged.contains(&r.segment));
        let at = group[0];
        body.segments[at] = entry;
        let mut index = 0;
        body.segments.retain(|_| {
            index += 1;
            index - 1 == at || !group.contains(&(index - 1))
        });
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
    check_titles(dir, &StoredAs::new_catalog(hash), &titles)?;
    build_locked(&lock_for_build(dir, Wait::Block)?, hash, titles)
}

/// [`build`] under a writer lock already taken ([`lock_for_build`]).
pub fn build_locked(
    lock: &WriterLock,
    hash: HashParams,
    titles: Vec<NewTitle>,
) -> Result<(), IndexError> {
    let stored_as = StoredAs::new_catalog(hash);
    check_titles(lock.dir(), &stored_as, &titles)?;
    build_from(lock, stored_as, stored(stored_as, titles), LIMITS)
}

/// [`build_locked`] of the titles of a spool ([`TitleSpool::for_build`]),
/// checked as they were pushed.
pub fn build_spooled(lock: &WriterLock, titles: TitleSpool) -> Result<(), IndexError> {
    let stored_as = titles.stored_as();
    build_from(lock, stored_as, titles.into_titles()?, LIMITS)
}

fn build_from(
    lock: &WriterLock,
    stored_as: StoredAs,
    titles: impl Iterator<Item = Result<StoredTitle, IndexError>>,
    limits: Limits,
) -> Result<(), IndexError> {
    let dir = lock.dir();
    let mut next = match read_manifest(dir) {
        Ok(old) => old.next_segment,
        Err(IndexError::NotACatalog { .. }) => {
            refuse_foreign_folder(dir)?;
            1
        }
        // A damaged manifest is replaced; its segments are unlisted below.
        Err(IndexError::Manifest { .. }) => 1 + max_segment_number(dir),
        Err(e) => return Err(e),
    };
    let segments = write_new_segments(dir, &mut next, stored_as, titles, limits)?;
    let body = ManifestBody {
        hash: stored_as.hash,
        view_pct: stored_as.view_pct,
        windows: stored_as.windows,
        segments,
        removed: Vec::new(),
        next_segment: next,
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

/// Adds titles to the catalog in `dir` as new segments, without touching
/// the existing ones; past [`MAX_SEGMENTS`] segments, merges the smallest
/// (see [`MAX_SEGMENT_FRAMES`]). Ids already in the catalog are refused.
/// Waits for another writer of the catalog to finish first.
pub fn add(dir: &Path, titles: Vec<NewTitle>) -> Result<(), IndexError> {
    add_locked(&lock_catalog(dir, Wait::Block)?, titles)
}

/// [`add`] under a writer lock already taken ([`lock_catalog`]).
pub fn add_locked(lock: &WriterLock, titles: Vec<NewTitle>) -> Result<(), IndexError> {
    add_with(lock, titles, LIMITS)
}

/// [`add_locked`] of the titles of a spool ([`TitleSpool::for_catalog`]),
/// checked as they were pushed; refused if the catalog was rebuilt with
/// other settings since the spool was made.
pub fn add_spooled(lock: &WriterLock, titles: TitleSpool) -> Result<(), IndexError> {
    let catalog = Catalog::open(lock.dir())?;
    if StoredAs::of(&catalog) != titles.stored_as() {
        return Err(IndexError::CatalogChanged {
            path: lock.dir().to_owned(),
        });
    }
    let ids: Vec<String> = titles.ids().to_vec();
    add_from(lock, catalog, &ids, titles.into_titles()?, LIMITS)
}

fn add_with(lock: &WriterLock, titles: Vec<NewTitle>, limits: Limits) -> Result<(), IndexError> {
    // Read under the lock: the catalog as the previous writer left it.
    let catalog = Catalog::open(lock.dir())?;
    // Added titles are stored as the catalog's others are.
    let stored_as = StoredAs::of(&catalog);
    check_titles(lock.dir(), &stored_as, &titles)?;
    let ids: Vec<String> = titles.iter().map(|t| t.record.id.clone()).collect();
    add_from(lock, catalog, &ids, stored(stored_as, titles), limits)
}

/// Adds `titles` (whose ids are `ids`) to `catalog`, opened under `lock`.
fn add_from(
    lock: &WriterLock,
    catalog: Catalog,
    ids: &[String],
    titles: impl Iterator<Item = Result<StoredTitle, IndexError>>,
    limits: Limits,
) -> Result<(), IndexError> {
    let dir = lock.dir();
    let stored_as = StoredAs::of(&catalog);
    {
        // Built once: listing the catalog's titles walks every segment.
        let existing: HashSet<&str> = catalog
            .titles()
            .into_iter()
            .map(|e| e.record.id.as_str())
            .collect();
        if let Some(id) = ids.iter().find(|id| existing.contains(id.as_str())) {
            return Err(IndexError::TitleExists {
                catalog: dir.to_owned(),
                id: id.clone(),
            });
        }
    }
    let mut body = catalog.body.clone();
    drop(catalog);
    let mut next = body.next_segment;
    let added = write_new_segments(dir, &mut next, stored_as, titles, limits)?;
    body.segments.extend(added);
    body.next_segment = next;
    merge_smallest(dir, &mut body, limits)?;
    write_manifest(dir, &body)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{title, Rng};

    fn titles(sizes: &[usize], first: usize) -> Vec<NewTitle> {
        let mut rng = Rng(0x5eed + first as u64);
        sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| title(&format!("T{}", first + i), n, &mut rng))
            .collect()
    }

    fn build_with(
        lock: &WriterLock,
        hash: HashParams,
        new: Vec<NewTitle>,
        limits: Limits,
    ) -> Result<(), IndexError> {
        let stored_as = StoredAs::new_catalog(hash);
        check_titles(lock.dir(), &stored_as, &new)?;
        build_from(lock, stored_as, stored(stored_as, new), limits)
    }

    fn limits(segments: usize, segment_frames: u64) -> Limits {
        Limits {
            segments,
            segment_frames,
        }
    }

    /// Segment files and frames, in manifest order.
    fn layout(dir: &Path) -> Vec<(String, u64)> {
        read_manifest(dir)
            .unwrap()
            .segments
            .into_iter()
            .map(|s| (s.file, s.frames))
            .collect()
    }

    fn ids(dir: &Path) -> Vec<String> {
        let c = Catalog::open(dir).unwrap();
        c.verify().unwrap();
        c.titles().iter().map(|t| t.record.id.clone()).collect()
    }

    #[test]
    fn a_build_past_the_segment_size_writes_several_segments_in_title_order() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cat");
        let lock = lock_for_build(&dir, Wait::Fail).unwrap();
        // 60 + 30 fit in 100; 60 does not join them; 150 alone is over.
        let new = titles(&[60, 30, 60, 150, 10], 0);
        build_with(&lock, HashParams::default(), new, limits(8, 100)).unwrap();
        let frames: Vec<u64> = layout(&dir).iter().map(|s| s.1).collect();
        assert_eq!(frames, [90, 60, 150, 10]);
        assert_eq!(ids(&dir), ["T0", "T1", "T2", "T3", "T4"]);
    }

    #[test]
    fn adds_merge_the_smallest_tier_and_leave_a_large_segment_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cat");
        let lock = lock_for_build(&dir, Wait::Fail).unwrap();
        let small = limits(3, 1_000);
        build_with(&lock, HashParams::default(), titles(&[500], 0), small).unwrap();
        let big = layout(&dir)[0].clone();
        for i in 1..=3 {
            add_with(&lock, titles(&[10], i), small).unwrap();
        }
        // Four segments, past three: the three of 10 merge, the 500 stays
        // as it was written.
        let after = layout(&dir);
        assert_eq!(after.len(), 2);
        assert_eq!(after[0], big);
        assert_eq!(after[1].1, 30);
        assert_eq!(ids(&dir), ["T0", "T1", "T2", "T3"]);
        // Only the files the manifest names are left (and MANIFEST, LOCK).
        let files = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(files, after.len() + 2);
    }

    #[test]
    fn full_segments_are_kept_past_the_segment_count() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cat");
        let lock = lock_for_build(&dir, Wait::Fail).unwrap();
        let tight = limits(2, 100);
        build_with(&lock, HashParams::default(), titles(&[80, 80], 0), tight).unwrap();
        add_with(&lock, titles(&[80], 2), tight).unwrap();
        // No two fit in one segment: three stay, each searchable.
        assert_eq!(layout(&dir).len(), 3);
        assert_eq!(ids(&dir), ["T0", "T1", "T2"]);
        // A small one merges with the smallest it fits beside.
        add_with(&lock, titles(&[15], 3), tight).unwrap();
        let frames: Vec<u64> = layout(&dir).iter().map(|s| s.1).collect();
        assert_eq!(frames, [95, 80, 80]);
        assert_eq!(ids(&dir), ["T0", "T3", "T1", "T2"]);
    }

    #[test]
    fn a_removed_title_is_left_out_of_a_merge() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cat");
        let lock = lock_for_build(&dir, Wait::Fail).unwrap();
        let small = limits(2, 1_000);
        build_with(&lock, HashParams::default(), titles(&[20, 20], 0), small).unwrap();
        add_with(&lock, titles(&[20], 2), small).unwrap();
        remove_locked(&lock, "T0").unwrap();
        assert_eq!(read_manifest(&dir).unwrap().removed.len(), 1);
        add_with(&lock, titles(&[20], 3), small).unwrap();
        let after = read_manifest(&dir).unwrap();
        assert!(after.removed.is_empty(), "{:?}", after.removed);
        assert_eq!(after.segments.len(), 1);
        assert_eq!(after.segments[0].frames, 60);
        assert_eq!(ids(&dir), ["T1", "T2", "T3"]);
    }
}
