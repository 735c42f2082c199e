//! A catalog segment: one immutable file holding titles' frame hashes, a
//! multi-index-hashing search structure and the title table, read zero-copy
//! through a memory map.
//!
//! ```text
//! offset  size  field
//!      0     8  MAGIC = 89 56 46 53 0D 0A 1A 0A ("\x89VFS\r\n\x1a\n")
//!      8     2  format version, u16 (FORMAT_VERSION)
//!     10     2  hash algorithm id, u16 (1 = dct256-v1)
//!     12     1  hash options, u8 (bit 0: borders cropped)
//!     13     1  MIH chunk bits b, u8 (10..=22)
//!     14     1  MIH chunk count m, u8 (= 256 / b)
//!     15     1  stored view, u8: each side of the centred crop hashed, in
//!               percent of the active picture (1..=100; version 1: 0, the
//!               whole picture)
//!     16     4  section count, u32 (= 7)
//!     20     4  title count T, u32
//!     24     8  frame count N, u64 (< 2^32)
//!     32     4  CRC-32 of bytes 0..64 + section table, with this field 0
//!     36    28  reserved, 0
//!     64  7×32  section table, one entry per section:
//!                 +0  4  kind, u32 (1..=7 below)
//!                 +4  4  reserved, 0
//!                 +8  8  offset from the file start, u64, a multiple of 64
//!                +16  8  length in bytes, u64
//!                +24  4  CRC-32 of the section's bytes
//!                +28  4  reserved, 0
//! sections, each at a multiple of 64 (zero padding between):
//!   1 HASHES        N × 32  frame hashes, four little-endian u64 each
//!   2 TIMES         N × 4   t_ms, u32, in time order within each title
//!   3 FLAGS         N × 1   bit 0: common frame (stop-listed); others 0
//!   4 TITLE_STARTS  (T+1)×4 u32: title t owns frames starts[t]..starts[t+1]
//!   5 MIH_OFFSETS   m × (2^b + 1) × 4  per chunk, bucket start offsets
//!   6 MIH_IDS       m × N × 4  per chunk, frame ids sorted by chunk value
//!   7 TITLES        UTF-8 JSON array of T title records
//! ```
//!
//! All integers are little-endian. Only informative frames are stored
//! (low-information frames can never match). Opening checks the magic, the
//! version, the header checksum, and every section's kind, alignment,
//! bounds and size; [`Segment::verify`] checks every section's CRC and the
//! search structure. Search never reads outside the file, even on a
//! damaged file that was not verified.

use crate::mih::{self, Geometry};
use crate::{IndexError, TitleRecord};
use rayon::prelude::*;
use serde::Deserialize;
use std::ops::{Range, RangeInclusive};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use vfp_fingerprint::{FrameHash, HashAlgorithm, HashParams, FULL_VIEW_PCT};

/// The first eight bytes of every segment file.
pub const MAGIC: [u8; 8] = *b"\x89VFS\r\n\x1a\n";
/// The format version this code writes.
pub const FORMAT_VERSION: u16 = 2;
/// The format versions this code reads (version 1 stored the whole
/// picture's hash and had byte 15 reserved).
pub const SUPPORTED_VERSIONS: RangeInclusive<u16> = 1..=2;
/// Size of the fixed header.
pub const HEADER_LEN: usize = 64;
const SECTION_ENTRY_LEN: usize = 32;
const SECTION_COUNT: usize = 7;
const TABLE_END: usize = HEADER_LEN + SECTION_COUNT * SECTION_ENTRY_LEN;
const ALIGN: usize = 64;
/// Bytes stored per frame outside the search structure: hash, time, flags.
pub const BYTES_PER_FRAME: usize = 32 + 4 + 1;

/// Frames within this distance of each other count as the same picture
/// for the stop-list.
pub const COMMON_RADIUS: u32 = 8;
/// A picture found in this many titles (itself included) is common:
/// studio logos, shared opening credits, recaps.
pub const COMMON_TITLES: usize = 3;
/// A picture found this many more times in its own title, each at least
/// [`COMMON_REPEAT_GAP_MS`] away, is common too (a recurring title card).
pub const COMMON_REPEATS: usize = 3;
/// Repeats closer than this are the same shot, not a recurrence.
pub const COMMON_REPEAT_GAP_MS: u32 = 10_000;

/// Frame flag: the picture is common (see [`COMMON_TITLES`]).
pub const FLAG_COMMON: u8 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
enum Kind {
    Hashes = 1,
    Times = 2,
    Flags = 3,
    TitleStarts = 4,
    MihOffsets = 5,
    MihIds = 6,
    Titles = 7,
}

const KINDS: [Kind; SECTION_COUNT] = [
    Kind::Hashes,
    Kind::Times,
    Kind::Flags,
    Kind::TitleStarts,
    Kind::MihOffsets,
    Kind::MihIds,
    Kind::Titles,
];

/// What is wrong with a segment file's bytes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SegmentError {
    /// Shorter than its header or sections say.
    #[error("truncated: {len} bytes where at least {expected} were expected")]
    Truncated {
        /// Bytes needed.
        expected: u64,
        /// Bytes present.
        len: u64,
    },
    /// Not a segment file.
    #[error("not a vfp catalog segment (magic bytes {found:02x?})")]
    BadMagic {
        /// The first eight bytes found.
        found: [u8; 8],
    },
    /// Written by another version of vfp.
    #[error("unsupported segment format version {found} (this vfp reads versions {}..={})", SUPPORTED_VERSIONS.start(), SUPPORTED_VERSIONS.end())]
    UnsupportedVersion {
        /// The version in the file.
        found: u16,
    },
    /// A checksum does not match.
    #[error("checksum mismatch in {part} (stored {stored:08x}, computed {computed:08x})")]
    ChecksumMismatch {
        /// Which part of the file.
        part: &'static str,
        /// CRC stored.
        stored: u32,
        /// CRC computed.
        computed: u32,
    },
    /// A field or section holds something impossible.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// Which field or section.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
}

fn invalid(what: &'static str, reason: impl Into<String>) -> SegmentError {
    SegmentError::Invalid {
        what,
        reason: reason.into(),
    }
}

/// Collects titles and writes a segment; `finish` consumes it, so the
/// checksums and tables cannot be forgotten.
#[derive(Debug)]
pub struct SegmentBuilder {
    hash: HashParams,
    view_pct: u8,
    titles: Vec<TitleRecord>,
    starts: Vec<u32>,
    codes: Vec<FrameHash>,
    times: Vec<u32>,
}

impl SegmentBuilder {
    /// An empty segment for hashes made with `hash` on the centred
    /// `view_pct` percent of the active picture (100: all of it).
    pub fn new(hash: HashParams, view_pct: u8) -> Self {
        SegmentBuilder {
            hash,
            view_pct: view_pct.clamp(1, FULL_VIEW_PCT),
            titles: Vec::new(),
            starts: vec![0],
            codes: Vec::new(),
            times: Vec::new(),
        }
    }

    /// Number of frames added so far.
    pub fn frames(&self) -> usize {
        self.codes.len()
    }

    /// Adds a title with its informative frames `(t_ms, hash)`; they are
    /// stored in time order (lookups by time rely on it).
    pub fn add_title(
        &mut self,
        record: TitleRecord,
        frames: impl IntoIterator<Item = (u32, FrameHash)>,
    ) -> Result<(), IndexError> {
        let mut frames: Vec<(u32, FrameHash)> = frames.into_iter().collect();
        if frames.windows(2).any(|w| w[0].0 > w[1].0) {
            frames.sort_by_key(|&(t_ms, _)| t_ms);
        }
        for (t_ms, hash) in frames {
            self.times.push(t_ms);
            self.codes.push(hash);
        }
        if u32::try_from(self.codes.len()).is_err() {
            return Err(IndexError::TooLarge {
                frames: self.codes.len() as u64,
            });
        }
        self.titles.push(record);
        self.starts.push(self.codes.len() as u32);
        Ok(())
    }

    /// The segment's bytes.
    pub fn finish(self) -> Vec<u8> {
        let n = self.codes.len();
        let geometry = Geometry::for_codes(n as u64);
        let (offsets, ids) = mih::build_tables(geometry, &self.codes);
        let flags = common_flags(
            geometry,
            &self.codes,
            &self.times,
            &offsets,
            &ids,
            &self.starts,
        );
        let titles_json = serde_json::to_vec(&self.titles).unwrap_or_else(|_| b"[]".to_vec());

        let mut out = Vec::with_capacity(
            TABLE_END
                + n * (BYTES_PER_FRAME + 4 * geometry.chunks as usize)
                + offsets.len() * 4
                + titles_json.len()
                + 8 * ALIGN,
        );
        out.resize(TABLE_END, 0);
        out[..8].copy_from_slice(&MAGIC);
        out[8..10].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        out[10..12].copy_from_slice(&self.hash.algorithm.id().to_le_bytes());
        out[12] = u8::from(self.hash.crop_borders);
        out[13] = geometry.chunk_bits as u8;
        out[14] = geometry.chunks as u8;
        out[15] = self.view_pct;
        out[16..20].copy_from_slice(&(SECTION_COUNT as u32).to_le_bytes());
        out[20..24].copy_from_slice(&(self.titles.len() as u32).to_le_bytes());
        out[24..32].copy_from_slice(&(n as u64).to_le_bytes());
        let section = |out: &mut Vec<u8>, i: usize, kind: Kind, write: &dyn Fn(&mut Vec<u8>)| {
            out.resize(out.len().next_multiple_of(ALIGN), 0);
            let start = out.len();
            write(out);
            let entry = HEADER_LEN + i * SECTION_ENTRY_LEN;
            let crc = crc32fast::hash(&out[start..]);
            let len = (out.len() - start) as u64;
            out[entry..entry + 4].copy_from_slice(&(kind as u32).to_le_bytes());
            out[entry + 8..entry + 16].copy_from_slice(&(start as u64).to_le_bytes());
            out[entry + 16..entry + 24].copy_from_slice(&len.to_le_bytes());
            out[entry + 24..entry + 28].copy_from_slice(&crc.to_le_bytes());
        };
        section(&mut out, 0, Kind::Hashes, &|o| {
            for c in &self.codes {
                o.extend_from_slice(&c.to_le_bytes());
            }
        });
        section(&mut out, 1, Kind::Times, &|o| extend_le32(o, &self.times));
        section(&mut out, 2, Kind::Flags, &|o| o.extend_from_slice(&flags));
        section(&mut out, 3, Kind::TitleStarts, &|o| {
            extend_le32(o, &self.starts)
        });
        section(&mut out, 4, Kind::MihOffsets, &|o| extend_le32(o, &offsets));
        section(&mut out, 5, Kind::MihIds, &|o| extend_le32(o, &ids));
        section(&mut out, 6, Kind::Titles, &|o| {
            o.extend_from_slice(&titles_json)
        });
        let crc = crc32fast::hash(&out[..TABLE_END]);
        out[32..36].copy_from_slice(&crc.to_le_bytes());
        out
    }
}

/// Appends `values` as little-endian u32s (a plain copy on little-endian
/// hosts).
fn extend_le32(out: &mut Vec<u8>, values: &[u32]) {
    if cfg!(target_endian = "little") {
        out.extend_from_slice(bytemuck::cast_slice(values));
    } else {
        for v in values {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

/// The stop-list: frames whose picture recurs across titles or within a
/// title (see [`COMMON_TITLES`], [`COMMON_REPEATS`]).
///
/// A self-join through the search tables, bucket by bucket: two frames
/// within [`COMMON_RADIUS`] share a chunk exactly (the radius is below the
/// chunk count), so every such pair sits in a common bucket, and is counted
/// in the first chunk they share. Walking each chunk's ids in order reads
/// the tables sequentially; buckets run in parallel.
fn common_flags(
    geometry: Geometry,
    codes: &[FrameHash],
    times: &[u32],
    offsets: &[u32],
    ids: &[u32],
    starts: &[u32],
) -> Vec<u8> {
    const _: () = assert!(
        COMMON_TITLES == 3,
        "the counters below track two other titles"
    );
    let n = codes.len();
    let buckets = geometry.buckets();
    // Per frame, the first id after it that is no longer the same shot:
    // another title, or at least the gap later. Times increase in a title.
    let mut shot_end = vec![0u32; n];
    for t in 0..starts.len().saturating_sub(1) {
        let (a, b) = (starts[t] as usize, starts[t + 1] as usize);
        let mut end = a;
        for i in a..b {
            while end < b && times[end] < times[i].saturating_add(COMMON_REPEAT_GAP_MS) {
                end += 1;
            }
            shot_end[i] = end as u32;
        }
    }
    let title_of = |frame: usize| starts.partition_point(|&s| s as usize <= frame) - 1;
    // Per frame: first other title seen (+1, 0 = none), a second one seen,
    // repeats in its own title.
    let first_other: Vec<AtomicU32> = (0..n).map(|_| AtomicU32::new(0)).collect();
    let second_other: Vec<AtomicBool> = (0..n).map(|_| AtomicBool::new(false)).collect();
    let repeats: Vec<AtomicU32> = (0..n).map(|_| AtomicU32::new(0)).collect();
    let note = |frame: usize, own: usize, other: usize| {
        if own == other {
            repeats[frame].fetch_add(1, Ordering::Relaxed);
            return;
        }
        let tag = other as u32 + 1;
        match first_other[frame].compare_exchange(0, tag, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => {}
            Err(seen) if seen == tag => {}
            Err(_) => second_other[frame].store(true, Ordering::Relaxed),
        }
    };
    for j in 0..geometry.chunks as usize {
        let offs = &offsets[j * (buckets + 1)..(j + 1) * (buckets + 1)];
        let chunk_ids = &ids[j * n..(j + 1) * n];
        (0..buckets)
            .into_par_iter()
            .with_min_len(4096)
            .for_each(|v| {
                let bucket = &chunk_ids[offs[v] as usize..offs[v + 1] as usize];
                for (x, &a) in bucket.iter().enumerate() {
                    let a = a as usize;
                    // Ids ascend: skip the rest of a's shot in one search.
                    let rest = &bucket[x + 1..];
                    let from = rest.partition_point(|&b| b < shot_end[a]);
                    for &b in &rest[from..] {
                        let b = b as usize;
                        let (ca, cb) = (&codes[a], &codes[b]);
                        if ca.hamming(cb) > COMMON_RADIUS
                            || (0..j as u32).any(|k| geometry.chunk(ca, k) == geometry.chunk(cb, k))
                        {
                            continue;
                        }
                        let (ta, tb) = (title_of(a), title_of(b));
                        note(a, ta, tb);
                        note(b, tb, ta);
                    }
                }
            });
    }
    (0..n)
        .map(|i| {
            let titles = 1
                + usize::from(first_other[i].load(Ordering::Relaxed) != 0)
                + usize::from(second_other[i].load(Ordering::Relaxed));
            let common = titles >= COMMON_TITLES
                || repeats[i].load(Ordering::Relaxed) as usize >= COMMON_REPEATS;
            if common {
                FLAG_COMMON
            } else {
                0
            }
        })
        .collect()
}

#[derive(Clone, Copy, Debug, Default)]
struct Section {
    offset: usize,
    len: usize,
    crc: u32,
}

/// An opened segment over its bytes (an aligned buffer in tests, a memory
/// map in use).
pub struct Segment<D> {
    data: D,
    hash: HashParams,
    view_pct: u8,
    geometry: Geometry,
    frames: usize,
    sections: [Section; SECTION_COUNT],
    titles: Vec<TitleRecord>,
    /// Frame ranges per title, validated on open.
    starts: Vec<u32>,
}

impl<D> std::fmt::Debug for Segment<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segment")
            .field("hash", &self.hash)
            .field("geometry", &self.geometry)
            .field("frames", &self.frames)
            .field("titles", &self.titles.len())
            .finish_non_exhaustive()
    }
}

fn le_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn le_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
fn le_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

impl<D: AsRef<[u8]>> Segment<D> {
    /// Opens a segment: cheap checks of the header, the section table and
    /// the title table; no pass over the frames.
    pub fn open(data: D) -> Result<Self, SegmentError> {
        let bytes = data.as_ref();
        let len = bytes.len() as u64;
        if bytes.len() >= 8 && bytes[..8] != MAGIC {
            let mut found = [0u8; 8];
            found.copy_from_slice(&bytes[..8]);
            return Err(SegmentError::BadMagic { found });
        }
        if bytes.len() < TABLE_END {
            return Err(SegmentError::Truncated {
                expected: TABLE_END as u64,
                len,
            });
        }
        let version = le_u16(bytes, 8);
        if !SUPPORTED_VERSIONS.contains(&version) {
            return Err(SegmentError::UnsupportedVersion { found: version });
        }
        let stored = le_u32(bytes, 32);
        let mut head = bytes[..TABLE_END].to_vec();
        head[32..36].fill(0);
        let computed = crc32fast::hash(&head);
        if stored != computed {
            return Err(SegmentError::ChecksumMismatch {
                part: "header",
                stored,
                computed,
            });
        }
        if cfg!(target_endian = "big") {
            return Err(invalid(
                "host",
                "segments are read in place as little-endian integers; this host is big-endian",
            ));
        }
        if !(bytes.as_ptr() as usize).is_multiple_of(8) {
            return Err(invalid(
                "buffer",
                "segment bytes must start at an 8-byte boundary",
            ));
        }
        let algorithm = HashAlgorithm::from_id(le_u16(bytes, 10)).ok_or_else(|| {
            invalid(
                "hash algorithm",
                format!("unknown id {}", le_u16(bytes, 10)),
            )
        })?;
        if bytes[12] & !1 != 0 {
            return Err(invalid("header", "reserved bits set"));
        }
        let view_pct = match (version, bytes[15]) {
            (1, 0) => FULL_VIEW_PCT,
            (2.., pct @ 1..=FULL_VIEW_PCT) => pct,
            (_, other) => return Err(invalid("stored view", format!("{other} %"))),
        };
        let hash = HashParams {
            algorithm,
            crop_borders: bytes[12] & 1 == 1,
            ..HashParams::default()
        };
        let geometry = Geometry {
            chunk_bits: u32::from(bytes[13]),
            chunks: u32::from(bytes[14]),
        };
        if !geometry.is_valid() {
            return Err(invalid(
                "search structure",
                format!("{} chunks of {} bits", geometry.chunks, geometry.chunk_bits),
            ));
        }
        if le_u32(bytes, 16) as usize != SECTION_COUNT {
            return Err(invalid("section count", le_u32(bytes, 16).to_string()));
        }
        let title_count = le_u32(bytes, 20) as usize;
        let frames = le_u64(bytes, 24);
        if frames > u64::from(u32::MAX) {
            return Err(invalid("frame count", frames.to_string()));
        }
        let n = frames as usize;
        let mut sections = [Section::default(); SECTION_COUNT];
        let mut seen = [false; SECTION_COUNT];
        for i in 0..SECTION_COUNT {
            let e = HEADER_LEN + i * SECTION_ENTRY_LEN;
            let kind = le_u32(bytes, e) as usize;
            if !(1..=SECTION_COUNT).contains(&kind) || seen[kind - 1] {
                return Err(invalid(
                    "section table",
                    format!("entry {i} has kind {kind}"),
                ));
            }
            seen[kind - 1] = true;
            let (offset, size) = (le_u64(bytes, e + 8), le_u64(bytes, e + 16));
            let end = offset
                .checked_add(size)
                .ok_or_else(|| invalid("section table", "offset overflow"))?;
            if end > len {
                return Err(SegmentError::Truncated { expected: end, len });
            }
            if !offset.is_multiple_of(ALIGN as u64) || offset < TABLE_END as u64 {
                return Err(invalid(
                    "section table",
                    format!("section {kind} at offset {offset}"),
                ));
            }
            let expected = match KINDS[kind - 1] {
                Kind::Hashes => Some(32 * frames),
                Kind::Times => Some(4 * frames),
                Kind::Flags => Some(frames),
                Kind::TitleStarts => Some(4 * (title_count as u64 + 1)),
                Kind::MihOffsets => {
                    Some(4 * u64::from(geometry.chunks) * (geometry.buckets() as u64 + 1))
                }
                Kind::MihIds => Some(4 * u64::from(geometry.chunks) * frames),
                Kind::Titles => None,
            };
            if expected.is_some_and(|e| e != size) {
                return Err(invalid(
                    "section table",
                    format!("section {kind} is {size} bytes, expected {expected:?}"),
                ));
            }
            sections[kind - 1] = Section {
                offset: offset as usize,
                len: size as usize,
                crc: le_u32(bytes, e + 24),
            };
        }
        let starts: Vec<u32> =
            cast_u32(&bytes[range(sections[Kind::TitleStarts as usize - 1])]).to_vec();
        if starts.first() != Some(&0)
            || starts.last().map(|&s| s as usize) != Some(n)
            || starts.windows(2).any(|w| w[0] > w[1])
        {
            return Err(invalid(
                "title frame ranges",
                "not increasing from 0 to the frame count",
            ));
        }
        #[derive(Deserialize)]
        #[serde(transparent)]
        struct Titles(Vec<TitleRecord>);
        let titles =
            serde_json::from_slice::<Titles>(&bytes[range(sections[Kind::Titles as usize - 1])])
                .map_err(|e| invalid("title table", e.to_string()))?
                .0;
        if titles.len() != title_count {
            return Err(invalid(
                "title table",
                format!("{} titles, header says {title_count}", titles.len()),
            ));
        }
        Ok(Segment {
            data,
            hash,
            view_pct,
            geometry,
            frames: n,
            sections,
            titles,
            starts,
        })
    }

    /// Checks every section's checksum and the search structure.
    pub fn verify(&self) -> Result<(), SegmentError> {
        const NAMES: [&str; SECTION_COUNT] = [
            "frame hashes",
            "frame times",
            "frame flags",
            "title frame ranges",
            "search offsets",
            "search ids",
            "title table",
        ];
        let bytes = self.data.as_ref();
        for (i, s) in self.sections.iter().enumerate() {
            let computed = crc32fast::hash(&bytes[range(*s)]);
            if computed != s.crc {
                return Err(SegmentError::ChecksumMismatch {
                    part: NAMES[i],
                    stored: s.crc,
                    computed,
                });
            }
        }
        if self.flags().iter().any(|&f| f & !FLAG_COMMON != 0) {
            return Err(invalid("frame flags", "reserved bits set"));
        }
        let times = self.times();
        for (t, w) in self.starts.windows(2).enumerate() {
            let (a, b) = (w[0] as usize, w[1] as usize);
            if times
                .get(a..b)
                .is_some_and(|ts| ts.windows(2).any(|p| p[0] > p[1]))
            {
                return Err(invalid(
                    "frame times",
                    format!("title {t}'s frames are not in time order"),
                ));
            }
        }
        let (b, n) = (self.geometry.buckets(), self.frames);
        let (offsets, ids) = (self.mih_offsets(), self.mih_ids());
        for j in 0..self.geometry.chunks as usize {
            let offs = &offsets[j * (b + 1)..(j + 1) * (b + 1)];
            if offs[0] != 0 || offs[b] as usize != n || offs.windows(2).any(|w| w[0] > w[1]) {
                return Err(invalid(
                    "search offsets",
                    format!("chunk {j} is not a partition of the frames"),
                ));
            }
            if ids[j * n..(j + 1) * n].iter().any(|&id| id as usize >= n) {
                return Err(invalid(
                    "search ids",
                    format!("chunk {j} names a frame past the end"),
                ));
            }
        }
        Ok(())
    }

    fn section(&self, kind: Kind) -> &[u8] {
        &self.data.as_ref()[range(self.sections[kind as usize - 1])]
    }
    fn words(&self) -> &[u64] {
        bytemuck::try_cast_slice(self.section(Kind::Hashes)).unwrap_or(&[])
    }
    fn times(&self) -> &[u32] {
        cast_u32(self.section(Kind::Times))
    }
    fn flags(&self) -> &[u8] {
        self.section(Kind::Flags)
    }
    fn mih_offsets(&self) -> &[u32] {
        cast_u32(self.section(Kind::MihOffsets))
    }
    fn mih_ids(&self) -> &[u32] {
        cast_u32(self.section(Kind::MihIds))
    }

    /// Hash parameters of the stored frames.
    pub fn hash_params(&self) -> HashParams {
        self.hash
    }
    /// The view its hashes were made on: each side of the centred crop in
    /// percent of the active picture (100: the whole picture).
    pub fn view_pct(&self) -> u8 {
        self.view_pct
    }

    /// The search structure's geometry.
    pub fn geometry(&self) -> Geometry {
        self.geometry
    }
    /// Number of stored frames.
    pub fn frame_count(&self) -> usize {
        self.frames
    }
    /// The title table.
    pub fn titles(&self) -> &[TitleRecord] {
        &self.titles
    }
    /// Frames stored for title `t` (index into [`titles`](Self::titles)).
    pub fn title_frames(&self, t: usize) -> usize {
        (self.starts[t + 1] - self.starts[t]) as usize
    }
    /// Indices of the frames of title `t` timed within `from_ms..=to_ms`
    /// (a title's frames are stored in time order); empty for a title out
    /// of range.
    pub fn title_frames_between(&self, t: usize, from_ms: u32, to_ms: u32) -> Range<usize> {
        let (Some(&a), Some(&b)) = (self.starts.get(t), self.starts.get(t + 1)) else {
            return 0..0;
        };
        let (a, b) = (a as usize, b as usize);
        let Some(times) = self.times().get(a..b) else {
            return 0..0;
        };
        let lo = a + times.partition_point(|&x| x < from_ms);
        let hi = a + times.partition_point(|&x| x <= to_ms);
        lo..hi.max(lo)
    }

    /// Bytes of the file.
    pub fn byte_len(&self) -> usize {
        self.data.as_ref().len()
    }
    /// Bytes of the search structure (offsets and ids).
    pub fn search_structure_bytes(&self) -> usize {
        self.sections[Kind::MihOffsets as usize - 1].len
            + self.sections[Kind::MihIds as usize - 1].len
    }

    /// The stored frame `i`: hash, title index, time and flags.
    pub fn frame(&self, i: usize) -> Option<StoredFrame> {
        let w = self.words().get(4 * i..4 * i + 4)?;
        let title = self
            .starts
            .partition_point(|&s| s as usize <= i)
            .checked_sub(1)?;
        Some(StoredFrame {
            hash: FrameHash([w[0], w[1], w[2], w[3]]),
            title: title.min(self.titles.len().saturating_sub(1)),
            t_ms: *self.times().get(i)?,
            common: self.flags().get(i).is_some_and(|f| f & FLAG_COMMON != 0),
        })
    }

    #[inline]
    fn code(&self, words: &[u64], i: usize) -> Option<FrameHash> {
        let w = words.get(4 * i..4 * i + 4)?;
        Some(FrameHash([w[0], w[1], w[2], w[3]]))
    }

    /// Calls `found(frame, distance)` for every stored frame within
    /// `radius` of `query`, exactly (multi-index hashing).
    pub fn search_radius(&self, query: &FrameHash, radius: u32, mut found: impl FnMut(usize, u32)) {
        let g = self.geometry;
        let flips = g.flips_for_radius(radius);
        let (b, n) = (g.buckets(), self.frames);
        let (offsets, ids, words) = (self.mih_offsets(), self.mih_ids(), self.words());
        let query_chunks: Vec<u32> = (0..g.chunks).map(|j| g.chunk(query, j)).collect();
        for j in 0..g.chunks as usize {
            let base = j * (b + 1);
            mih::for_each_neighbour(query_chunks[j], g.chunk_bits, flips, |v| {
                let v = v as usize;
                let (Some(&start), Some(&end)) = (offsets.get(base + v), offsets.get(base + v + 1))
                else {
                    return;
                };
                let Some(bucket) = ids.get(j * n + start as usize..j * n + end as usize) else {
                    return;
                };
                for &id in bucket {
                    let Some(code) = self.code(words, id as usize) else {
                        continue;
                    };
                    // Found through an earlier chunk already?
                    if (0..j)
                        .any(|k| (g.chunk(&code, k as u32) ^ query_chunks[k]).count_ones() <= flips)
                    {
                        continue;
                    }
                    let d = code.hamming(query);
                    if d <= radius {
                        found(id as usize, d);
                    }
                }
            });
        }
    }

    /// [`search_radius`](Self::search_radius) by scanning every frame: the
    /// baseline, and the fallback for radii where probing costs more.
    pub fn scan_radius(&self, query: &FrameHash, radius: u32, mut found: impl FnMut(usize, u32)) {
        for (i, w) in self.words().chunks_exact(4).enumerate() {
            let d = (w[0] ^ query.0[0]).count_ones()
                + (w[1] ^ query.0[1]).count_ones()
                + (w[2] ^ query.0[2]).count_ones()
                + (w[3] ^ query.0[3]).count_ones();
            if d <= radius {
                found(i, d);
            }
        }
    }
}

/// A stored frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredFrame {
    /// Its hash.
    pub hash: FrameHash,
    /// Index of its title in the segment's title table.
    pub title: usize,
    /// Presentation time in the title, ms.
    pub t_ms: u32,
    /// On the stop-list.
    pub common: bool,
}

/// Bytes copied to an 8-byte boundary, as a memory map gives them: to
/// open a segment held in memory (a `Vec<u8>` may start anywhere).
pub struct AlignedBytes(Vec<u64>, usize);

impl AlignedBytes {
    /// A copy of `bytes`.
    pub fn new(bytes: &[u8]) -> Self {
        let mut words = vec![0u64; bytes.len().div_ceil(8)];
        bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..bytes.len()].copy_from_slice(bytes);
        AlignedBytes(words, bytes.len())
    }
}

impl AsRef<[u8]> for AlignedBytes {
    fn as_ref(&self) -> &[u8] {
        &bytemuck::cast_slice(&self.0)[..self.1]
    }
}

fn range(s: Section) -> std::ops::Range<usize> {
    s.offset..s.offset + s.len
}

fn cast_u32(bytes: &[u8]) -> &[u32] {
    bytemuck::try_cast_slice(bytes).unwrap_or(&[])
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn record(id: &str) -> TitleRecord {
        TitleRecord {
            id: id.into(),
            name: format!("Title {id}"),
            source_path: format!("/catalog/{id}.mp4"),
            duration_ms: 60_000,
            sha256: "00".repeat(32),
            added_unix_s: 1_700_000_000,
            labels: String::new(),
        }
    }

    /// A pseudo-random code per seed.
    pub(crate) fn code(seed: u64) -> FrameHash {
        let mut x = seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(0x2545_F491_4F6C_DD1D);
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        FrameHash([next(), next(), next(), next()])
    }

    pub(crate) fn flip(mut h: FrameHash, bits: &[usize]) -> FrameHash {
        for &b in bits {
            h.0[b / 64] ^= 1 << (b % 64);
        }
        h
    }

    fn sample() -> Vec<u8> {
        let mut b = SegmentBuilder::new(HashParams::default(), vfp_fingerprint::CATALOG_VIEW_PCT);
        b.add_title(
            record("A"),
            (0..500u32).map(|i| (i * 250, code(u64::from(i)))),
        )
        .unwrap();
        b.add_title(
            record("B"),
            (0..300u32).map(|i| (i * 250, code(10_000 + u64::from(i)))),
        )
        .unwrap();
        b.finish()
    }

    #[test]
    fn round_trip_and_verify() {
        let seg = Segment::open(AlignedBytes::new(&sample())).unwrap();
        seg.verify().unwrap();
        assert_eq!(seg.frame_count(), 800);
        assert_eq!(seg.titles().len(), 2);
        assert_eq!(seg.title_frames(1), 300);
        let f = seg.frame(501).unwrap();
        assert_eq!((f.title, f.t_ms, f.hash), (1, 250, code(10_001)));
        assert!(seg.frame(800).is_none());
    }

    #[test]
    fn radius_search_is_exact() {
        let seg = Segment::open(AlignedBytes::new(&sample())).unwrap();
        for radius in [0, 7, 15, 23, 31, 47, 100] {
            for q in 0..40u64 {
                let query = flip(
                    code(q * 7),
                    &(0..(q as usize % 40)).map(|k| k * 6).collect::<Vec<_>>(),
                );
                let mut mih = Vec::new();
                seg.search_radius(&query, radius, |i, d| mih.push((i, d)));
                let mut scan = Vec::new();
                seg.scan_radius(&query, radius, |i, d| scan.push((i, d)));
                mih.sort_unstable();
                assert_eq!(mih, scan, "radius {radius}, query {q}");
            }
        }
    }

    #[test]
    fn common_frames_are_flagged() {
        let logo = code(999_999);
        let mut b = SegmentBuilder::new(HashParams::default(), vfp_fingerprint::CATALOG_VIEW_PCT);
        for (t, id) in ["A", "B", "C"].iter().enumerate() {
            let frames = (0..100u32).map(move |i| {
                let h = if i == 0 {
                    flip(logo, &[t * 3])
                } else {
                    code(u64::from(i) + 1000 * t as u64)
                };
                (i * 250, h)
            });
            b.add_title(record(id), frames).unwrap();
        }
        // A title card recurring every 20 s within title D.
        let card = code(777_777);
        b.add_title(
            record("D"),
            (0..400u32).map(|i| {
                (
                    i * 250,
                    if i % 80 == 5 {
                        card
                    } else {
                        code(50_000 + u64::from(i))
                    },
                )
            }),
        )
        .unwrap();
        let seg = Segment::open(AlignedBytes::new(&b.finish())).unwrap();
        for i in [0, 100, 200] {
            assert!(seg.frame(i).unwrap().common, "logo frame {i}");
        }
        assert!(seg.frame(305).unwrap().common, "recurring card");
        assert!(!seg.frame(1).unwrap().common);
        assert!(!seg.frame(306).unwrap().common);
    }

    #[test]
    fn stop_list_matches_a_brute_force_count() {
        // Five titles of 400 frames; pictures drawn from a small pool so
        // that near-duplicates recur across and within titles.
        let pool: Vec<FrameHash> = (0..60).map(|i| code(90_000 + i)).collect();
        let mut b = SegmentBuilder::new(HashParams::default(), vfp_fingerprint::CATALOG_VIEW_PCT);
        let mut all: Vec<(usize, u32, FrameHash)> = Vec::new();
        let mut seed = 1u64;
        for t in 0..5usize {
            let frames: Vec<(u32, FrameHash)> = (0..400u32)
                .map(|i| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    let h = if seed >> 60 < 3 {
                        flip(
                            pool[(seed >> 20) as usize % pool.len()],
                            &[(seed >> 8) as usize % 256],
                        )
                    } else {
                        code(seed)
                    };
                    (i * 500, h)
                })
                .collect();
            all.extend(frames.iter().map(|&(tm, h)| (t, tm, h)));
            b.add_title(record(&format!("T{t}")), frames).unwrap();
        }
        let seg = Segment::open(AlignedBytes::new(&b.finish())).unwrap();
        let mut flagged = 0;
        for (i, &(ti, tm, h)) in all.iter().enumerate() {
            let mut titles = vec![ti];
            let mut repeats = 0;
            for (j, &(tj, tn, g)) in all.iter().enumerate() {
                if i == j || h.hamming(&g) > COMMON_RADIUS {
                    continue;
                }
                if tj != ti {
                    if !titles.contains(&tj) {
                        titles.push(tj);
                    }
                } else if tm.abs_diff(tn) >= COMMON_REPEAT_GAP_MS {
                    repeats += 1;
                }
            }
            let expected = titles.len() >= COMMON_TITLES || repeats >= COMMON_REPEATS;
            assert_eq!(seg.frame(i).unwrap().common, expected, "frame {i}");
            flagged += usize::from(expected);
        }
        assert!(
            flagged > 20,
            "the test must exercise the stop-list ({flagged} flagged)"
        );
    }

    #[test]
    fn empty_segment_opens() {
        let seg = Segment::open(AlignedBytes::new(
            &SegmentBuilder::new(HashParams::default(), vfp_fingerprint::CATALOG_VIEW_PCT).finish(),
        ))
        .unwrap();
        seg.verify().unwrap();
        let mut hits = 0;
        seg.search_radius(&code(1), 256, |_, _| hits += 1);
        assert_eq!(hits, 0);
    }

    #[test]
    fn foreign_truncated_and_future_files_are_refused() {
        let bytes = sample();
        assert!(matches!(
            Segment::open(AlignedBytes::new(b"hello world, not a segment")),
            Err(SegmentError::BadMagic { .. })
        ));
        assert!(matches!(
            Segment::open(AlignedBytes::new(&[])),
            Err(SegmentError::Truncated { .. })
        ));
        for cut in [
            1,
            8,
            63,
            TABLE_END - 1,
            TABLE_END + 5,
            bytes.len() / 2,
            bytes.len() - 1,
        ] {
            assert!(
                Segment::open(AlignedBytes::new(&bytes[..cut])).is_err(),
                "cut at {cut}"
            );
        }
        for v in [0u16, FORMAT_VERSION + 1] {
            let mut b = bytes.clone();
            b[8..10].copy_from_slice(&v.to_le_bytes());
            b[32..36].fill(0);
            let crc = crc32fast::hash(&b[..TABLE_END]);
            b[32..36].copy_from_slice(&crc.to_le_bytes());
            assert_eq!(
                Segment::open(AlignedBytes::new(&b)).unwrap_err(),
                SegmentError::UnsupportedVersion { found: v }
            );
        }
    }

    /// `bytes` with header bytes changed and the header checksum redone.
    fn patched(bytes: &[u8], patch: impl Fn(&mut [u8])) -> Vec<u8> {
        let mut b = bytes.to_vec();
        patch(&mut b);
        b[32..36].fill(0);
        let crc = crc32fast::hash(&b[..TABLE_END]);
        b[32..36].copy_from_slice(&crc.to_le_bytes());
        b
    }

    #[test]
    fn the_stored_view_is_recorded_and_version_1_means_whole_pictures() {
        let bytes = sample();
        let seg = Segment::open(AlignedBytes::new(&bytes)).unwrap();
        assert_eq!(seg.view_pct(), vfp_fingerprint::CATALOG_VIEW_PCT);
        // Version 1 had byte 15 reserved as zero: whole pictures.
        let v1 = patched(&bytes, |b| {
            b[8..10].copy_from_slice(&1u16.to_le_bytes());
            b[15] = 0;
        });
        let seg = Segment::open(AlignedBytes::new(&v1)).unwrap();
        assert_eq!(seg.view_pct(), FULL_VIEW_PCT);
        for (version, view) in [(1u16, 75u8), (2, 0), (2, 101)] {
            let b = patched(&bytes, |b| {
                b[8..10].copy_from_slice(&version.to_le_bytes());
                b[15] = view;
            });
            let err = Segment::open(AlignedBytes::new(&b)).unwrap_err();
            assert!(
                matches!(
                    err,
                    SegmentError::Invalid {
                        what: "stored view",
                        ..
                    }
                ),
                "v{version} view {view}: {err:?}"
            );
        }
    }

    #[test]
    fn titles_are_stored_in_time_order_and_looked_up_by_time() {
        let mut b = SegmentBuilder::new(HashParams::default(), vfp_fingerprint::CATALOG_VIEW_PCT);
        // Frames given out of order are stored in time order.
        b.add_title(record("A"), [(500, code(2)), (0, code(0)), (250, code(1))])
            .unwrap();
        b.add_title(record("B"), [(0, code(9))]).unwrap();
        let seg = Segment::open(AlignedBytes::new(&b.finish())).unwrap();
        seg.verify().unwrap();
        assert_eq!(seg.frame(2).unwrap().hash, code(2));
        assert_eq!(seg.title_frames_between(0, 200, 500), 1..3);
        assert_eq!(seg.title_frames_between(1, 0, 0), 3..4);
        assert_eq!(seg.title_frames_between(2, 0, 0), 0..0, "no such title");
        assert!(seg.title_frames_between(0, 501, 400).is_empty());
    }

    #[test]
    fn verify_refuses_a_title_out_of_time_order() {
        let mut bytes = sample();
        let seg = Segment::open(AlignedBytes::new(&bytes)).unwrap();
        let times = seg.sections[Kind::Times as usize - 1];
        drop(seg);
        // Swap title A's first two times, then make every checksum agree,
        // as a faulty writer would have.
        let (a, b) = (times.offset, times.offset + 4);
        for i in 0..4 {
            bytes.swap(a + i, b + i);
        }
        let crc = crc32fast::hash(&bytes[times.offset..times.offset + times.len]);
        let entry = (0..SECTION_COUNT)
            .map(|i| HEADER_LEN + i * SECTION_ENTRY_LEN)
            .find(|&e| le_u32(&bytes, e) == Kind::Times as u32)
            .unwrap();
        bytes[entry + 24..entry + 28].copy_from_slice(&crc.to_le_bytes());
        let mut head = bytes[..TABLE_END].to_vec();
        head[32..36].fill(0);
        let header_crc = crc32fast::hash(&head);
        bytes[32..36].copy_from_slice(&header_crc.to_le_bytes());
        let seg = Segment::open(AlignedBytes::new(&bytes)).unwrap();
        let err = seg.verify().unwrap_err();
        assert!(err.to_string().contains("time order"), "{err}");
    }

    #[test]
    fn every_flipped_byte_is_caught_by_open_or_verify_and_search_never_panics() {
        let bytes = sample();
        let query = code(3);
        // Every byte of the header and table, then a stride through the body.
        let positions = (0..TABLE_END).chain((TABLE_END..bytes.len()).step_by(97));
        for at in positions {
            let mut b = bytes.clone();
            b[at] ^= 0x41;
            let Ok(seg) = Segment::open(AlignedBytes::new(&b)) else {
                continue;
            };
            // Whatever verify says, searching must not panic.
            seg.search_radius(&query, 40, |_, _| {});
            seg.scan_radius(&query, 40, |_, _| {});
            let _ = seg.frame(at % 800);
            let _ = seg.title_frames_between(at % 3, 0, 60_000).count();
            let in_padding = b[at] != bytes[at] && seg.verify().is_ok();
            if in_padding {
                // Only padding between sections is not covered by a CRC.
                let covered = seg
                    .sections
                    .iter()
                    .any(|s| (s.offset..s.offset + s.len).contains(&at));
                assert!(!covered && at >= TABLE_END, "flip at {at} went unnoticed");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
            let mut bytes = sample()[..TABLE_END].to_vec();
            bytes.extend_from_slice(&tail);
            if let Ok(seg) = Segment::open(AlignedBytes::new(&bytes)) {
                let _ = seg.verify();
                seg.search_radius(&code(1), 64, |_, _| {});
                let _ = seg.title_frames_between(0, 0, u32::MAX).count();
            }
            let _ = Segment::open(AlignedBytes::new(&tail));
        }
    }
}
