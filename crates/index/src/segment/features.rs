//! A segment's local features (format version 4): its titles' feature
//! frames, their keypoints, and the search for keypoints whose
//! descriptor shares a whole indexed chunk with a query's.
//!
//! Keypoint search is not an exact radius search like the frames': a
//! keypoint of a copy differs from the title's in ~20 of 256 bits, too
//! many for multi-index hashing to enumerate. A lookup probes the bucket
//! of each of [`KEYPOINT_CHUNKS`] chunks (but the long buckets of stop
//! values, [`KEYPOINT_STOP_BUCKET`]), and so finds a keypoint when at
//! least one such chunk came through unchanged (most of the time at ~20
//! bits for short chunks; less often for long chunks of large catalogs). That
//! suffices: a lookup only nominates a title frame, which the matcher
//! then compares keypoint by keypoint with the clip's picture.

use super::search::prefetch;
use super::{cast_u32, Kind, Segment, SegmentTitle};
use crate::mih;
use vfp_fingerprint::local::{FeatureFrame, Keypoint};
use vfp_fingerprint::FrameHash;

/// Chunks of a descriptor indexed: each costs 4 bytes per keypoint.
pub const KEYPOINT_CHUNKS: u32 = 4;

/// Widest keypoint chunk: a lookup needs a whole chunk to come through a
/// copy unchanged, which a longer chunk does less often (at ~20 of 256
/// bits changed, 17 % of 22-bit chunks, 15 % of 23-bit ones).
pub const KEYPOINT_MAX_CHUNK_BITS: u32 = 22;

/// Most keypoints a lookup checks through one chunk value: a value shared
/// by more is a stop value (as a search engine drops the commonest
/// words), not looked up. Such values come from flat and repetitive
/// picture areas, which describe alike: in a scan of the dev queries, a
/// tenth of the buckets probed held more than 128 keypoints and six
/// tenths of all candidates. A copy's keypoint is still found through its
/// other chunks, and a title picture needs two lookups to land on it to
/// be compared at all. Leaving them out halved the catalog search of small
/// clips with the same matches (dev 0.953, social-dev 0.929 and five
/// fresh sets unchanged).
pub const KEYPOINT_STOP_BUCKET: usize = 128;

/// A feature frame record as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct FeatureFrameRecord {
    pub t_ms: u32,
    pub title: u32,
    pub first_keypoint: u32,
    pub width: u16,
    pub height: u16,
}

impl FeatureFrameRecord {
    pub(super) fn to_le_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[0..4].copy_from_slice(&self.t_ms.to_le_bytes());
        b[4..8].copy_from_slice(&self.title.to_le_bytes());
        b[8..12].copy_from_slice(&self.first_keypoint.to_le_bytes());
        b[12..14].copy_from_slice(&self.width.to_le_bytes());
        b[14..16].copy_from_slice(&self.height.to_le_bytes());
        b
    }

    fn from_words(w: &[u32]) -> Self {
        FeatureFrameRecord {
            t_ms: w[0],
            title: w[1],
            first_keypoint: w[2],
            width: (w[3] & 0xFFFF) as u16,
            height: (w[3] >> 16) as u16,
        }
    }
}

/// A stored feature frame of a title.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFeatureFrame {
    /// Its title, in the segment's title table.
    pub title: SegmentTitle,
    /// Presentation time in the title, ms.
    pub t_ms: u32,
    /// Size of the picture the keypoints were found on, pixels.
    pub width: u16,
    /// Height of that picture.
    pub height: u16,
    /// Its keypoints' ids (see [`Segment::keypoint`]).
    pub keypoints: std::ops::Range<usize>,
}

impl<D: AsRef<[u8]>> Segment<D> {
    fn feature_words(&self) -> &[u32] {
        cast_u32(self.section(Kind::FeatureFrames))
    }
    fn descriptor_words(&self) -> &[u64] {
        bytemuck::try_cast_slice(self.section(Kind::Descriptors)).unwrap_or(&[])
    }
    pub(super) fn positions(&self) -> &[u32] {
        cast_u32(self.section(Kind::Positions))
    }
    pub(super) fn kp_offsets(&self) -> &[u32] {
        cast_u32(self.section(Kind::KeypointOffsets))
    }
    pub(super) fn kp_ids(&self) -> &[u32] {
        cast_u32(self.section(Kind::KeypointIds))
    }
    pub(super) fn feature_record(&self, i: usize) -> Option<FeatureFrameRecord> {
        self.feature_words()
            .get(4 * i..4 * i + 4)
            .map(FeatureFrameRecord::from_words)
    }

    /// Bytes of the local features: pictures, keypoints and their lookup
    /// tables.
    pub fn feature_bytes(&self) -> usize {
        [
            Kind::FeatureFrames,
            Kind::Descriptors,
            Kind::Positions,
            Kind::KeypointOffsets,
            Kind::KeypointIds,
        ]
        .iter()
        .map(|&k| self.section(k).len())
        .sum()
    }

    /// Number of stored feature frames.
    pub fn feature_frame_count(&self) -> usize {
        self.feature_frames
    }
    /// Number of stored keypoints.
    pub fn keypoint_count(&self) -> usize {
        self.keypoints
    }

    /// Feature frame `i`; `None` past the end. On a damaged file that was
    /// not verified the keypoint range is clamped to what exists.
    pub fn feature_frame(&self, i: usize) -> Option<StoredFeatureFrame> {
        let r = self.feature_record(i)?;
        let end = self
            .feature_record(i + 1)
            .map_or(self.keypoints, |n| n.first_keypoint as usize)
            .min(self.keypoints);
        let start = (r.first_keypoint as usize).min(end);
        Some(StoredFeatureFrame {
            title: SegmentTitle(r.title as usize),
            t_ms: r.t_ms,
            width: r.width,
            height: r.height,
            keypoints: start..end,
        })
    }

    /// The number of leading feature frames for which `pred` holds, when
    /// it holds for a prefix of them (binary search; frames are ordered by
    /// title, then time, and their first keypoints do not decrease).
    fn frames_while(&self, pred: impl Fn(&FeatureFrameRecord) -> bool) -> usize {
        // The section once: a keypoint lookup's every landing comes here.
        let words = self.feature_words();
        let (mut lo, mut hi) = (0usize, words.len() / 4);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let record = words
                .get(4 * mid..4 * mid + 4)
                .map(FeatureFrameRecord::from_words);
            if record.is_some_and(|r| pred(&r)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The feature frame keypoint `k` belongs to: the last whose first
    /// keypoint is at most `k`.
    pub fn feature_frame_of(&self, k: usize) -> Option<usize> {
        self.frames_while(|r| r.first_keypoint as usize <= k)
            .checked_sub(1)
    }

    /// The feature frames of title `t`, as extracted (for merging
    /// segments).
    pub fn title_features(&self, t: SegmentTitle) -> Vec<FeatureFrame> {
        let title = |r: &FeatureFrameRecord| r.title as usize;
        let frames = self.frames_while(|r| title(r) < t.0)..self.frames_while(|r| title(r) <= t.0);
        frames
            .filter_map(|i| self.feature_frame(i))
            .filter(|f| f.title == t)
            .map(|f| FeatureFrame {
                t_ms: f.t_ms,
                scale_pct: 100,
                width: f.width,
                height: f.height,
                keypoints: f.keypoints.filter_map(|k| self.keypoint(k)).collect(),
            })
            .collect()
    }

    /// Keypoint `k`: its position and descriptor.
    pub fn keypoint(&self, k: usize) -> Option<Keypoint> {
        let w = self.descriptor_words().get(4 * k..4 * k + 4)?;
        let p = *self.positions().get(k)?;
        Some(Keypoint {
            x: (p & 0xFFFF) as u16,
            y: (p >> 16) as u16,
            bits: [w[0], w[1], w[2], w[3]],
        })
    }

    /// Calls `found(keypoint, distance)` for every stored keypoint within
    /// `max_distance` of `query` that shares at least one indexed chunk
    /// with it, not a stop value ([`KEYPOINT_STOP_BUCKET`]), once each.
    pub fn search_keypoints(
        &self,
        query: &[u64; 4],
        max_distance: u32,
        mut found: impl FnMut(usize, u32),
    ) {
        let g = self.kp_geometry;
        let (b, n) = (g.buckets(), self.keypoints);
        let (offsets, ids, words) = (self.kp_offsets(), self.kp_ids(), self.descriptor_words());
        let query = FrameHash(*query);
        let chunks: Vec<u32> = (0..self.kp_chunks as u32)
            .map(|j| g.chunk(&query, j))
            .collect();
        // Each indexed chunk is looked up as it is, no flips, except stop
        // values (`None`: a candidate found through a later chunk is not
        // taken for one found through it).
        let mut looked_up = vec![None; chunks.len()];
        // Descriptors share chunks far more often than random codes would
        // (flat picture areas describe alike), so buckets run long, and
        // checking candidates is most of a keypoint lookup: a chunk value
        // shared by more than `KEYPOINT_STOP_BUCKET` keypoints is not
        // looked up. Each candidate sits at a random place of the
        // descriptors, so every candidate's descriptor is asked of the
        // memory before any is read, that the misses overlap, as the
        // frames' search does.
        let mut candidates: Vec<(u32, u32)> = Vec::new();
        for (j, &value) in chunks.iter().enumerate() {
            let base = j * (b + 1) + value as usize;
            let (Some(&start), Some(&end)) = (offsets.get(base), offsets.get(base + 1)) else {
                continue;
            };
            let Some(bucket) = ids.get(j * n + start as usize..j * n + end as usize) else {
                continue;
            };
            if bucket.len() > KEYPOINT_STOP_BUCKET {
                continue;
            }
            looked_up[j] = Some(0);
            for &id in bucket {
                candidates.push((j as u32, id));
                prefetch(words, 4 * id as usize);
            }
        }
        mih::check_candidates(
            candidates,
            words,
            g,
            &looked_up,
            &chunks,
            &query,
            max_distance,
            &mut found,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{KEYPOINT_MAX_CHUNK_BITS, KEYPOINT_STOP_BUCKET};
    use crate::segment::testing::{code, patched, record};
    use crate::segment::{
        le_u32, AlignedBytes, Kind, Segment, SegmentBuilder, SegmentError, SegmentTitle,
        HEADER_LEN, SECTION_COUNT, SECTION_ENTRY_LEN,
    };
    use vfp_fingerprint::local::{FeatureFrame, Keypoint};
    use vfp_fingerprint::HashParams;

    fn frame(t_ms: u32, scale_pct: u8, seeds: std::ops::Range<u64>) -> FeatureFrame {
        FeatureFrame {
            t_ms,
            scale_pct,
            width: 320,
            height: 180,
            keypoints: seeds
                .map(|s| Keypoint {
                    x: (s % 300) as u16,
                    y: (s % 170) as u16,
                    bits: code(s).0,
                })
                .collect(),
        }
    }

    fn sample() -> Segment<AlignedBytes> {
        Segment::open(AlignedBytes::new(&sample_bytes())).unwrap()
    }

    /// Offset and length of section `kind`, and its table entry.
    fn section_of(bytes: &[u8], kind: Kind) -> (usize, usize, usize) {
        let e = (0..SECTION_COUNT)
            .map(|i| HEADER_LEN + i * SECTION_ENTRY_LEN)
            .find(|&e| le_u32(bytes, e) == kind as u32)
            .unwrap();
        let at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap()) as usize;
        (at(e + 8), at(e + 16), e)
    }

    /// `bytes` with `edit` made inside section `kind`, its checksum redone.
    fn edited(bytes: &[u8], kind: Kind, edit: impl Fn(&mut [u8])) -> Vec<u8> {
        let (offset, len, entry) = section_of(bytes, kind);
        let mut b = bytes.to_vec();
        edit(&mut b[offset..offset + len]);
        let crc = crc32fast::hash(&b[offset..offset + len]);
        patched(&b, |h| {
            h[entry + 24..entry + 28].copy_from_slice(&crc.to_le_bytes())
        })
    }

    #[test]
    fn damaged_local_features_are_found_on_open_or_by_verify() {
        let bytes = sample_bytes();
        let verify_err = |b: &[u8]| {
            Segment::open(AlignedBytes::new(b))
                .and_then(|s| s.verify())
                .unwrap_err()
        };
        // A flipped descriptor bit: its checksum.
        let (at, _, _) = section_of(&bytes, Kind::Descriptors);
        let mut b = bytes.clone();
        b[at + 100] ^= 4;
        assert!(matches!(
            verify_err(&b),
            SegmentError::ChecksumMismatch {
                part: "keypoint descriptors",
                ..
            }
        ));
        // A picture of a title that does not exist, checksum redone.
        let b = edited(&bytes, Kind::FeatureFrames, |s| s[4] = 9);
        let err = verify_err(&b);
        assert!(err.to_string().contains("feature frames"), "{err}");
        // A keypoint outside its picture.
        let b = edited(&bytes, Kind::Positions, |s| s[1] = 0x7F);
        let err = verify_err(&b);
        assert!(err.to_string().contains("outside its picture"), "{err}");
        // A lookup id past the keypoints.
        let b = edited(&bytes, Kind::KeypointIds, |s| s[3] = 0x7F);
        let err = verify_err(&b);
        assert!(err.to_string().contains("keypoint search ids"), "{err}");
        // A positions section of the wrong size is refused on open.
        let (_, len, entry) = section_of(&bytes, Kind::Positions);
        let b = patched(&bytes, |h| {
            h[entry + 16..entry + 24].copy_from_slice(&(len as u64 - 4).to_le_bytes())
        });
        let err = Segment::open(AlignedBytes::new(&b)).unwrap_err();
        assert!(err.to_string().contains("section"), "{err}");
        // Lookups on a damaged file that was not verified never panic.
        let b = edited(&bytes, Kind::KeypointOffsets, |s| s.fill(0xFF));
        let seg = Segment::open(AlignedBytes::new(&b)).unwrap();
        seg.search_keypoints(&code(60).0, 256, |_, _| {});
        let b = edited(&bytes, Kind::FeatureFrames, |s| s[8..12].fill(0xFF));
        let seg = Segment::open(AlignedBytes::new(&b)).unwrap();
        for i in 0..4 {
            if let Some(f) = seg.feature_frame(i) {
                assert!(f.keypoints.end <= seg.keypoint_count());
            }
            let _ = seg.feature_frame_of(i * 50);
        }
    }

    fn sample_bytes() -> Vec<u8> {
        let mut b = SegmentBuilder::new(HashParams::default(), vfp_fingerprint::CATALOG_VIEW_PCT);
        b.add_title(record("A"), [(0, code(1))]).unwrap();
        // Out of time order, and a clip-side scale that is not stored.
        b.add_features(&[
            frame(1000, 100, 10..50),
            frame(0, 100, 50..90),
            frame(0, 60, 90..130),
        ])
        .unwrap();
        b.add_title(record("B"), [(0, code(2))]).unwrap();
        b.add_features(&[frame(0, 100, 200..240), frame(500, 100, 240..240)])
            .unwrap();
        b.finish()
    }

    #[test]
    fn feature_frames_are_stored_by_title_and_time_at_the_titles_scale() {
        let seg = sample();
        seg.verify().unwrap();
        assert_eq!(seg.feature_frame_count(), 3, "empty frames are not stored");
        assert_eq!(seg.keypoint_count(), 120);
        let f = seg.feature_frame(0).unwrap();
        assert_eq!((f.title, f.t_ms, f.keypoints), (SegmentTitle(0), 0, 0..40));
        let f = seg.feature_frame(2).unwrap();
        assert_eq!(
            (f.title, f.t_ms, f.keypoints.clone()),
            (SegmentTitle(1), 0, 80..120)
        );
        assert_eq!(seg.keypoint(80).unwrap().bits, code(200).0);
        assert_eq!(seg.keypoint(80).unwrap().x, 200);
        let a = seg.title_features(SegmentTitle(0));
        assert_eq!(a.iter().map(|f| f.t_ms).collect::<Vec<_>>(), [0, 1000]);
        assert_eq!(a[1].keypoints[0].bits, code(10).0);
        assert_eq!(seg.title_features(SegmentTitle(1)).len(), 1);
        assert!(seg.title_features(SegmentTitle(2)).is_empty());
        assert_eq!(seg.feature_frame_of(79), Some(1));
        assert_eq!(seg.feature_frame_of(80), Some(2));
        assert!(seg.feature_frame(3).is_none() && seg.keypoint(120).is_none());
    }

    #[test]
    fn a_chunk_value_shared_by_too_many_keypoints_is_not_looked_up() {
        // More keypoints than a lookup checks, alike in their first
        // indexed chunk (as flat areas describe), else arbitrary.
        let n = KEYPOINT_STOP_BUCKET as u64 + 72;
        let g = crate::mih::Geometry::for_codes_up_to(n, KEYPOINT_MAX_CHUNK_BITS);
        let mut alike = frame(0, 100, 1000..1000 + n);
        for k in &mut alike.keypoints {
            k.bits[0] &= !((1u64 << g.chunk_bits) - 1);
        }
        let mut b = SegmentBuilder::new(HashParams::default(), vfp_fingerprint::CATALOG_VIEW_PCT);
        b.add_title(record("A"), [(0, code(1))]).unwrap();
        b.add_features(std::slice::from_ref(&alike)).unwrap();
        let seg = Segment::open(AlignedBytes::new(&b.finish())).unwrap();
        assert_eq!(seg.kp_geometry.chunk_bits, g.chunk_bits);
        let find = |q: [u64; 4]| {
            let mut hits = Vec::new();
            seg.search_keypoints(&q, 64, |k, d| hits.push((k, d)));
            hits
        };
        // Found through its other chunks.
        let target = alike.keypoints[7].bits;
        let found = find(target);
        assert_eq!(found.len(), 1);
        assert_eq!(seg.keypoint(found[0].0).unwrap().bits, target);
        // Its other chunks touched, the shared one intact: not looked up,
        // though 3 bits away.
        let mut q = target;
        for j in 1..seg.kp_chunks as u32 {
            let bit = (j * g.chunk_bits) as usize;
            q[bit / 64] ^= 1 << (bit % 64);
        }
        assert!(find(q).is_empty());
    }

    #[test]
    fn a_keypoint_is_found_while_one_indexed_chunk_is_intact() {
        let seg = sample();
        let target = code(60).0; // title A at 0 ms, keypoint 10
        let find = |q: [u64; 4]| {
            let mut hits = Vec::new();
            seg.search_keypoints(&q, 64, |k, d| hits.push((k, d)));
            hits
        };
        assert_eq!(find(target), vec![(10, 0)]);
        // 30 bits flipped, all in the last word: the indexed chunks at the
        // start are intact.
        let mut q = target;
        q[3] ^= (1u64 << 30) - 1;
        assert_eq!(find(q), vec![(10, 30)]);
        // Every indexed chunk touched: not found, whatever the distance.
        let g = seg.kp_geometry;
        let mut q = target;
        for j in 0..seg.kp_chunks as u32 {
            let bit = (j * g.chunk_bits) as usize;
            q[bit / 64] ^= 1 << (bit % 64);
        }
        assert!(find(q).is_empty());
        // Beyond the distance: not reported.
        let mut q = target;
        q[3] = !q[3];
        q[2] = !q[2];
        assert!(find(q).iter().all(|&(k, _)| k != 10));
    }
}
