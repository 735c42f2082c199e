//! The thorough check of a segment, on request (`vfp index verify`):
//! every section's checksum, the flags, the time order of each title's
//! frames and the search structure's bounds.

use super::{invalid, range, Segment, SegmentError, FLAG_COMMON, SECTION_COUNT};

impl<D: AsRef<[u8]>> Segment<D> {
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
            "feature frames",
            "keypoint descriptors",
            "keypoint positions",
            "keypoint search offsets",
            "keypoint search ids",
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
        check_tables(
            self.mih_offsets(),
            self.mih_ids(),
            self.geometry.chunks as usize,
            self.geometry.buckets(),
            self.frames,
            ["search offsets", "search ids", "frame"],
        )?;
        self.verify_features()
    }

    /// The feature frames' order, titles and keypoint ranges, the
    /// keypoints' positions and the keypoint search structure.
    fn verify_features(&self) -> Result<(), SegmentError> {
        let mut prev: Option<(u32, u32, u32)> = None;
        for i in 0..self.feature_frames {
            let Some(r) = self.feature_record(i) else {
                break;
            };
            let in_order =
                prev.is_none_or(|p| (p.0, p.1) < (r.title, r.t_ms) && p.2 <= r.first_keypoint);
            if !in_order
                || r.title as usize >= self.titles.len()
                || r.first_keypoint as usize > self.keypoints
                || r.width == 0
                || r.height == 0
            {
                return Err(invalid(
                    "feature frames",
                    format!("frame {i}: out of order, or its title or keypoints do not exist"),
                ));
            }
            if let Some(f) = self.feature_frame(i) {
                for k in f.keypoints {
                    let p = self.positions()[k];
                    if (p & 0xFFFF) as u16 >= r.width || (p >> 16) as u16 >= r.height {
                        return Err(invalid(
                            "keypoint positions",
                            format!("keypoint {k} lies outside its picture"),
                        ));
                    }
                }
            }
            prev = Some((r.title, r.t_ms, r.first_keypoint));
        }
        if prev.is_some_and(|_| {
            self.feature_record(0)
                .is_some_and(|r| r.first_keypoint != 0)
        }) {
            return Err(invalid(
                "feature frames",
                "the first frame's keypoints do not start at 0",
            ));
        }
        check_tables(
            self.kp_offsets(),
            self.kp_ids(),
            self.kp_chunks,
            self.kp_geometry.buckets(),
            self.keypoints,
            ["keypoint search offsets", "keypoint search ids", "keypoint"],
        )
    }
}

/// Checks multi-index hashing tables of `chunks` chunks over `n` items:
/// each chunk's `buckets + 1` offsets a partition of the items, its ids
/// all items that exist. `names`: the offsets' section, the ids', and
/// what an item is. (The sections' sizes were checked on open.)
fn check_tables(
    offsets: &[u32],
    ids: &[u32],
    chunks: usize,
    buckets: usize,
    n: usize,
    [offsets_name, ids_name, item]: [&'static str; 3],
) -> Result<(), SegmentError> {
    for j in 0..chunks {
        let offs = offsets
            .get(j * (buckets + 1)..(j + 1) * (buckets + 1))
            .unwrap_or(&[]);
        let partition = offs.first() == Some(&0)
            && offs.last().map(|&o| o as usize) == Some(n)
            && offs.windows(2).all(|w| w[0] <= w[1]);
        if !partition {
            return Err(invalid(
                offsets_name,
                format!("chunk {j} is not a partition of the {item}s"),
            ));
        }
        let chunk_ids = ids.get(j * n..(j + 1) * n).unwrap_or(&[]);
        if chunk_ids.len() != n || chunk_ids.iter().any(|&id| id as usize >= n) {
            return Err(invalid(
                ids_name,
                format!("chunk {j} names a {item} past the end"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::testing::{code, sample};
    use crate::segment::{reseal, AlignedBytes, Kind, SegmentTitle, TABLE_END};

    #[test]
    fn resealing_changes_an_intact_segment_in_nothing() {
        let bytes = sample();
        let mut resealed = bytes.clone();
        reseal(&mut resealed);
        assert_eq!(resealed, bytes);
        // Too short for a section table: left alone, no panic.
        let mut short = bytes[..100].to_vec();
        reseal(&mut short);
        assert_eq!(short, bytes[..100]);
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
        reseal(&mut bytes);
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
            let _ = seg
                .title_frames_between(SegmentTitle(at % 3), 0, 60_000)
                .count();
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
                let _ = seg.title_frames_between(SegmentTitle(0), 0, u32::MAX).count();
            }
            let _ = Segment::open(AlignedBytes::new(&tail));
        }
    }
}
