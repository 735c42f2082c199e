//! A catalog segment: one immutable file holding titles' frame hashes, a
//! multi-index-hashing search structure and the title table, read zero-copy
//! through a memory map.
//!
//! - `build`: [`SegmentBuilder`], titles in, the file's bytes out.
//! - `stoplist`: which frames are common (recurring pictures), flagged at
//!   build time.
//! - `read`: [`Segment`], the cheap checks on open and the accessors.
//! - `verify`: the thorough check on request ([`Segment::verify`]).
//! - `search`: exact Hamming-radius search over one segment.
//! - `features`: the titles' local features and the search for keypoints
//!   (version 4).
//!
//! ```text
//! offset  size  field
//!      0     8  MAGIC = 89 56 46 53 0D 0A 1A 0A ("\x89VFS\r\n\x1a\n")
//!      8     2  format version, u16 (FORMAT_VERSION)
//!     10     2  hash algorithm id, u16 (1 = dct256-v1)
//!     12     1  hash options, u8 (bit 0: borders cropped; bit 1, version 3:
//!               also stores the 9:16 windows of wide pictures, as frames
//!               of their own at the same times)
//!     13     1  MIH chunk bits b, u8 (10..=23; 23, for segments of
//!               over 4 M frames, since 2026-11: earlier readers refuse
//!               such a segment as unsupported)
//!     14     1  MIH chunk count m, u8 (= 256 / b)
//!     15     1  stored view, u8: each side of the centred crop hashed, in
//!               percent of the active picture (1..=100; version 1: 0, the
//!               whole picture)
//!     16     4  section count S, u32 (7; 12 from version 4)
//!     20     4  title count T, u32
//!     24     8  frame count N, u64 (< 2^32)
//!     32     4  CRC-32 of bytes 0..64 + section table, with this field 0
//!     36     1  keypoint chunk bits bk, u8 (version 4: 10..=22; before, 0)
//!     37     1  keypoint chunks indexed mk, u8 (version 4: 1..=256/bk)
//!     38    26  reserved, 0
//!     64  S×32  section table, one entry per section:
//!                 +0  4  kind, u32 (1..=S below)
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
//! version 4, the titles' local features (`vfp_fingerprint::local`):
//!   8 FEATURE_FRAMES  F × 16  by title, then time: t_ms u32, title u32,
//!                     first keypoint u32 (non-decreasing; a frame's
//!                     keypoints run to the next frame's first, the last
//!                     frame's to P), width u16, height u16
//!   9 DESCRIPTORS     P × 32  keypoint descriptors, four u64 each
//!  10 POSITIONS       P × 4   keypoint x u16, y u16
//!  11 KP_OFFSETS      mk × (2^bk + 1) × 4  per indexed chunk of the
//!                     descriptors, bucket start offsets
//!  12 KP_IDS          mk × P × 4  per indexed chunk, keypoint ids sorted
//!                     by chunk value
//! ```
//!
//! All integers are little-endian. Only informative frames are stored
//! (low-information frames can never match). Opening checks the magic, the
//! version, the header checksum, and every section's kind, alignment,
//! bounds and size; [`Segment::verify`] checks every section's CRC and the
//! search structure. Search never reads outside the file, even on a
//! damaged file that was not verified.

mod build;
mod features;
mod read;
mod search;
mod stoplist;
#[cfg(test)]
pub(crate) mod testing;
mod verify;

pub use build::SegmentBuilder;
pub use features::{
    StoredFeatureFrame, KEYPOINT_CHUNKS, KEYPOINT_MAX_CHUNK_BITS, KEYPOINT_STOP_BUCKET,
};
pub use read::Segment;
pub use stoplist::{COMMON_RADIUS, COMMON_REPEATS, COMMON_REPEAT_GAP_MS, COMMON_TITLES};

use std::ops::RangeInclusive;
use vfp_fingerprint::FrameHash;

/// The first eight bytes of every segment file.
pub const MAGIC: [u8; 8] = *b"\x89VFS\r\n\x1a\n";
/// The format version this code writes.
pub const FORMAT_VERSION: u16 = 4;
/// The format versions this code reads (version 1 stored the whole
/// picture's hash and had byte 15 reserved; versions before 4 hold no
/// local features).
pub const SUPPORTED_VERSIONS: RangeInclusive<u16> = 1..=4;
/// Size of the fixed header.
pub const HEADER_LEN: usize = 64;
const SECTION_ENTRY_LEN: usize = 32;
/// Sections of the newest version.
const SECTION_COUNT: usize = 12;
/// Sections of versions 1 to 3.
const SECTION_COUNT_V1: usize = 7;
const TABLE_END: usize = HEADER_LEN + SECTION_COUNT * SECTION_ENTRY_LEN;

/// Sections a file of `version` has.
const fn section_count(version: u16) -> usize {
    if version >= 4 {
        SECTION_COUNT
    } else {
        SECTION_COUNT_V1
    }
}

/// End of the section table of a file of `version`: what the header
/// checksum covers.
const fn table_end(version: u16) -> usize {
    HEADER_LEN + section_count(version) * SECTION_ENTRY_LEN
}
/// Redoes the checksums of segment bytes in place: each section's that
/// the section table places inside the file, then the header's. For
/// fuzzing (a fuzzer could not guess them) and tests of damage behind the
/// checksums; bytes too short for a section table are left alone.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn reseal(bytes: &mut [u8]) {
    if bytes.len() < 10 {
        return;
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]).clamp(1, FORMAT_VERSION);
    let end = table_end(version);
    if bytes.len() < end {
        return;
    }
    let le_u64 = |b: &[u8], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[at..at + 8]);
        u64::from_le_bytes(w)
    };
    for i in 0..section_count(version) {
        let e = HEADER_LEN + i * SECTION_ENTRY_LEN;
        let (offset, size) = (le_u64(bytes, e + 8), le_u64(bytes, e + 16));
        let Some(range_end) = offset.checked_add(size) else {
            continue;
        };
        if range_end <= bytes.len() as u64 {
            let crc = crc32fast::hash(&bytes[offset as usize..range_end as usize]);
            bytes[e + 24..e + 28].copy_from_slice(&crc.to_le_bytes());
        }
    }
    bytes[32..36].fill(0);
    let crc = crc32fast::hash(&bytes[..end]);
    bytes[32..36].copy_from_slice(&crc.to_le_bytes());
}

const ALIGN: usize = 64;
/// Bytes stored per frame outside the search structure: hash, time, flags.
pub const BYTES_PER_FRAME: usize = 32 + 4 + 1;

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
    FeatureFrames = 8,
    Descriptors = 9,
    Positions = 10,
    KeypointOffsets = 11,
    KeypointIds = 12,
}

const KINDS: [Kind; SECTION_COUNT] = [
    Kind::Hashes,
    Kind::Times,
    Kind::Flags,
    Kind::TitleStarts,
    Kind::MihOffsets,
    Kind::MihIds,
    Kind::Titles,
    Kind::FeatureFrames,
    Kind::Descriptors,
    Kind::Positions,
    Kind::KeypointOffsets,
    Kind::KeypointIds,
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
    /// Not a segment file (its bytes are not quoted: they may be anything).
    #[error("not a vfp catalog segment (it does not start with vfp's segment magic bytes)")]
    BadMagic,
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

#[derive(Clone, Copy, Debug, Default)]
struct Section {
    offset: usize,
    len: usize,
    crc: u32,
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

/// A title's position in one segment's title table. (A title's position
/// in the whole catalog is a `vfp_fingerprint::TitleIndex`; the catalog
/// turns one into the other.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SegmentTitle(pub usize);

/// A stored frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredFrame {
    /// Its hash.
    pub hash: FrameHash,
    /// Its title, in the segment's title table.
    pub title: SegmentTitle,
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
