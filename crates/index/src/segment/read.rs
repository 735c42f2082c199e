//! Opening a segment: the cheap checks (magic, version, header checksum,
//! every section's kind, alignment, bounds and size, the title table) and
//! the accessors the catalog reads through.

use super::{
    cast_u32, invalid, le_u16, le_u32, le_u64, range, Kind, Section, SegmentError, SegmentTitle,
    StoredFrame, ALIGN, FLAG_COMMON, HEADER_LEN, KINDS, MAGIC, SECTION_COUNT, SECTION_ENTRY_LEN,
    SUPPORTED_VERSIONS,
};
use super::{section_count, table_end};
use crate::mih::Geometry;
use crate::TitleRecord;
use serde::Deserialize;
use std::ops::Range;
use vfp_fingerprint::{FrameHash, HashAlgorithm, HashParams, FULL_VIEW_PCT};

/// An opened segment over its bytes (an aligned buffer in tests, a memory
/// map in use).
pub struct Segment<D> {
    pub(super) data: D,
    pub(super) hash: HashParams,
    pub(super) view_pct: u8,
    pub(super) windows: bool,
    pub(super) geometry: Geometry,
    /// Geometry of the keypoint search structure, and how many of its
    /// chunks are indexed (0 chunks before version 4).
    pub(super) kp_geometry: Geometry,
    pub(super) kp_chunks: usize,
    pub(super) feature_frames: usize,
    pub(super) keypoints: usize,
    pub(super) frames: usize,
    pub(super) sections: [Section; SECTION_COUNT],
    pub(super) titles: Vec<TitleRecord>,
    /// Frame ranges per title, validated on open.
    pub(super) starts: Vec<u32>,
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

impl<D: AsRef<[u8]>> Segment<D> {
    /// Opens a segment: cheap checks of the header, the section table and
    /// the title table; no pass over the frames.
    pub fn open(data: D) -> Result<Self, SegmentError> {
        let bytes = data.as_ref();
        let len = bytes.len() as u64;
        if bytes.len() >= 8 && bytes[..8] != MAGIC {
            return Err(SegmentError::BadMagic);
        }
        if bytes.len() < table_end(1) {
            return Err(SegmentError::Truncated {
                expected: table_end(1) as u64,
                len,
            });
        }
        let version = le_u16(bytes, 8);
        if !SUPPORTED_VERSIONS.contains(&version) {
            return Err(SegmentError::UnsupportedVersion { found: version });
        }
        let (section_count, table_end) = (section_count(version), table_end(version));
        if bytes.len() < table_end {
            return Err(SegmentError::Truncated {
                expected: table_end as u64,
                len,
            });
        }
        let stored = le_u32(bytes, 32);
        let mut head = bytes[..table_end].to_vec();
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
        let known_options = if version >= 3 { 0b11 } else { 0b01 };
        if bytes[12] & !known_options != 0 {
            return Err(invalid("header", "reserved bits set"));
        }
        let windows = bytes[12] & 0b10 != 0;
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
        let (kp_geometry, kp_chunks) = if version >= 4 {
            let g = Geometry::with_chunk_bits(u32::from(bytes[36]));
            let indexed = usize::from(bytes[37]);
            if !g.is_valid() || indexed == 0 || indexed > g.chunks as usize {
                return Err(invalid(
                    "keypoint search structure",
                    format!("{indexed} chunks of {} bits", bytes[36]),
                ));
            }
            (g, indexed)
        } else {
            (Geometry::with_chunk_bits(crate::mih::MIN_CHUNK_BITS), 0)
        };
        if le_u32(bytes, 16) as usize != section_count {
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
        // Keypoints are counted by their descriptors' section; the other
        // keypoint sections are checked against it after the loop.
        let mut keypoints: Option<u64> = None;
        for i in 0..section_count {
            let e = HEADER_LEN + i * SECTION_ENTRY_LEN;
            let kind = le_u32(bytes, e) as usize;
            if !(1..=section_count).contains(&kind) || seen[kind - 1] {
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
            if !offset.is_multiple_of(ALIGN as u64) || offset < table_end as u64 {
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
                Kind::FeatureFrames => Some(size - size % 16),
                Kind::Descriptors => {
                    keypoints = Some(size / 32);
                    Some(size - size % 32)
                }
                Kind::KeypointOffsets => {
                    Some(4 * kp_chunks as u64 * (kp_geometry.buckets() as u64 + 1))
                }
                // Checked once the descriptors' size is known.
                Kind::Positions | Kind::KeypointIds => None,
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
        let keypoints = keypoints.unwrap_or(0);
        for (kind, expected) in [
            (Kind::Positions, 4 * keypoints),
            (Kind::KeypointIds, 4 * kp_chunks as u64 * keypoints),
        ] {
            let size = sections[kind as usize - 1].len as u64;
            if version >= 4 && size != expected {
                return Err(invalid(
                    "section table",
                    format!(
                        "section {} is {size} bytes, expected {expected}",
                        kind as u32
                    ),
                ));
            }
        }
        if keypoints > u64::from(u32::MAX) {
            return Err(invalid("keypoint count", keypoints.to_string()));
        }
        // What a notice quotes (title ids, names, the frames of each) is
        // checked on every open, not only by `verify`: both sections are
        // small, and a flipped byte must not rename a title.
        for (kind, part) in [
            (Kind::TitleStarts, "title frame ranges"),
            (Kind::Titles, "title table"),
        ] {
            let s = sections[kind as usize - 1];
            let computed = crc32fast::hash(&bytes[range(s)]);
            if computed != s.crc {
                return Err(SegmentError::ChecksumMismatch {
                    part,
                    stored: s.crc,
                    computed,
                });
            }
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
            windows,
            geometry,
            kp_geometry,
            kp_chunks,
            feature_frames: sections[Kind::FeatureFrames as usize - 1].len / 16,
            keypoints: keypoints as usize,
            frames: n,
            sections,
            titles,
            starts,
        })
    }

    pub(super) fn section(&self, kind: Kind) -> &[u8] {
        &self.data.as_ref()[range(self.sections[kind as usize - 1])]
    }
    pub(super) fn words(&self) -> &[u64] {
        bytemuck::try_cast_slice(self.section(Kind::Hashes)).unwrap_or(&[])
    }
    pub(super) fn times(&self) -> &[u32] {
        cast_u32(self.section(Kind::Times))
    }
    pub(super) fn flags(&self) -> &[u8] {
        self.section(Kind::Flags)
    }
    pub(super) fn mih_offsets(&self) -> &[u32] {
        cast_u32(self.section(Kind::MihOffsets))
    }
    pub(super) fn mih_ids(&self) -> &[u32] {
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
    /// Whether its titles' frames include the 9:16 windows of wide
    /// pictures (`vfp_fingerprint::ViewRegion::Window`) besides the view.
    pub fn stores_windows(&self) -> bool {
        self.windows
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
    /// Frames stored for title `t` (its position in
    /// [`titles`](Self::titles)); 0 for a title out of range.
    pub fn title_frames(&self, t: SegmentTitle) -> usize {
        match (self.starts.get(t.0), self.starts.get(t.0 + 1)) {
            (Some(&a), Some(&b)) => b.saturating_sub(a) as usize,
            _ => 0,
        }
    }
    /// Indices of the frames of title `t` timed within `from_ms..=to_ms`
    /// (a title's frames are stored in time order); empty for a title out
    /// of range.
    pub fn title_frames_between(&self, t: SegmentTitle, from_ms: u32, to_ms: u32) -> Range<usize> {
        let (Some(&a), Some(&b)) = (self.starts.get(t.0), self.starts.get(t.0 + 1)) else {
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

    /// The segment's bytes, as opened.
    pub(crate) fn bytes(&self) -> &[u8] {
        self.data.as_ref()
    }

    /// Bytes of the file.
    pub fn byte_len(&self) -> usize {
        self.data.as_ref().len()
    }
    /// Bytes of the search structures (offsets and ids, of frames and of
    /// keypoints).
    pub fn search_structure_bytes(&self) -> usize {
        [
            Kind::MihOffsets,
            Kind::MihIds,
            Kind::KeypointOffsets,
            Kind::KeypointIds,
        ]
        .iter()
        .map(|&k| self.sections[k as usize - 1].len)
        .sum()
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
            title: SegmentTitle(title.min(self.titles.len().saturating_sub(1))),
            t_ms: *self.times().get(i)?,
            common: self.flags().get(i).is_some_and(|f| f & FLAG_COMMON != 0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::testing::{patched, sample};
    use crate::segment::{AlignedBytes, FORMAT_VERSION};

    #[test]
    fn foreign_truncated_and_future_files_are_refused() {
        let bytes = sample();
        assert!(matches!(
            Segment::open(AlignedBytes::new(b"hello world, not a segment")),
            Err(SegmentError::BadMagic)
        ));
        assert!(matches!(
            Segment::open(AlignedBytes::new(&[])),
            Err(SegmentError::Truncated { .. })
        ));
        for cut in [
            1,
            8,
            63,
            table_end(FORMAT_VERSION) - 1,
            table_end(FORMAT_VERSION) + 5,
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
            let crc = crc32fast::hash(&b[..table_end(FORMAT_VERSION)]);
            b[32..36].copy_from_slice(&crc.to_le_bytes());
            assert_eq!(
                Segment::open(AlignedBytes::new(&b)).unwrap_err(),
                SegmentError::UnsupportedVersion { found: v }
            );
        }
    }

    /// Found by fuzzing (`scripts/dev/fuzz.sh`): a keypoint chunk width of 0
    /// divided by zero on open.
    #[test]
    fn impossible_search_geometries_are_refused_not_divided_by() {
        for (at, value) in [
            (36, 0u8),
            (36, 1),
            (36, 255),
            (37, 0),
            (37, 200),
            (13, 0),
            (14, 0),
        ] {
            let b = patched(&sample(), |b| b[at] = value);
            let err = Segment::open(AlignedBytes::new(&b)).unwrap_err();
            assert!(
                err.to_string().contains("search structure"),
                "byte {at} = {value}: {err}"
            );
        }
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
    fn the_windows_flag_is_read_and_needs_version_3() {
        let bytes = sample();
        let seg = Segment::open(AlignedBytes::new(&bytes)).unwrap();
        assert!(!seg.stores_windows());
        let with = patched(&bytes, |b| b[12] |= 0b10);
        assert!(Segment::open(AlignedBytes::new(&with))
            .unwrap()
            .stores_windows());
        for bad in [
            patched(&bytes, |b| {
                b[8..10].copy_from_slice(&2u16.to_le_bytes());
                b[12] |= 0b10;
            }),
            patched(&bytes, |b| b[12] |= 0b100),
        ] {
            let err = Segment::open(AlignedBytes::new(&bad)).unwrap_err();
            assert!(
                matches!(err, SegmentError::Invalid { what: "header", .. }),
                "{err:?}"
            );
        }
    }
}
