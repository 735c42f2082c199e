//! Writing a segment: titles in, the file's bytes out.

use super::features::{FeatureFrameRecord, KEYPOINT_CHUNKS, KEYPOINT_MAX_CHUNK_BITS};
use super::stoplist::common_flags;
use super::{
    Kind, ALIGN, BYTES_PER_FRAME, FORMAT_VERSION, HEADER_LEN, MAGIC, SECTION_COUNT,
    SECTION_ENTRY_LEN, TABLE_END,
};
use crate::mih::{self, Geometry};
use crate::{IndexError, TitleRecord};
use vfp_fingerprint::local::FeatureFrame;
use vfp_fingerprint::{FrameHash, HashParams, FULL_VIEW_PCT};

/// Collects titles and writes a segment; `finish` consumes it, so the
/// checksums and tables cannot be forgotten.
#[derive(Debug)]
pub struct SegmentBuilder {
    hash: HashParams,
    view_pct: u8,
    windows: bool,
    titles: Vec<TitleRecord>,
    starts: Vec<u32>,
    codes: Vec<FrameHash>,
    times: Vec<u32>,
    feature_frames: Vec<FeatureFrameRecord>,
    descriptors: Vec<FrameHash>,
    positions: Vec<u32>,
}

impl SegmentBuilder {
    /// An empty segment for hashes made with `hash` on the centred
    /// `view_pct` percent of the active picture (100: all of it).
    pub fn new(hash: HashParams, view_pct: u8) -> Self {
        SegmentBuilder {
            hash,
            view_pct: view_pct.clamp(1, FULL_VIEW_PCT),
            windows: false,
            titles: Vec::new(),
            starts: vec![0],
            codes: Vec::new(),
            times: Vec::new(),
            feature_frames: Vec::new(),
            descriptors: Vec::new(),
            positions: Vec::new(),
        }
    }

    /// Records that the titles' frames include the 9:16 windows of wide
    /// pictures (see [`Segment::stores_windows`](super::Segment::stores_windows)).
    pub fn with_windows(mut self, windows: bool) -> Self {
        self.windows = windows;
        self
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

    /// Adds the local features of the title added last: its feature
    /// frames at the title's own scale (100 %), in time order.
    pub fn add_features(&mut self, features: &[FeatureFrame]) -> Result<(), IndexError> {
        let Some(title) = self.titles.len().checked_sub(1) else {
            return Ok(());
        };
        let mut own: Vec<&FeatureFrame> = features
            .iter()
            .filter(|f| f.scale_pct == 100 && !f.keypoints.is_empty())
            .collect();
        own.sort_by_key(|f| f.t_ms);
        for f in own {
            self.feature_frames.push(FeatureFrameRecord {
                t_ms: f.t_ms,
                title: title as u32,
                first_keypoint: self.descriptors.len() as u32,
                width: f.width,
                height: f.height,
            });
            for k in &f.keypoints {
                self.descriptors.push(FrameHash(k.bits));
                self.positions.push(u32::from(k.x) | (u32::from(k.y) << 16));
            }
        }
        if u32::try_from(self.descriptors.len()).is_err() {
            return Err(IndexError::TooLarge {
                frames: self.descriptors.len() as u64,
            });
        }
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
        let kp_geometry =
            Geometry::for_codes_up_to(self.descriptors.len() as u64, KEYPOINT_MAX_CHUNK_BITS);
        let kp_chunks = KEYPOINT_CHUNKS.min(kp_geometry.chunks);
        let (kp_offsets, kp_ids) = mih::build_tables(
            Geometry {
                chunks: kp_chunks,
                ..kp_geometry
            },
            &self.descriptors,
        );

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
        out[12] = u8::from(self.hash.crop_borders) | (u8::from(self.windows) << 1);
        out[13] = geometry.chunk_bits as u8;
        out[14] = geometry.chunks as u8;
        out[15] = self.view_pct;
        out[36] = kp_geometry.chunk_bits as u8;
        out[37] = kp_chunks as u8;
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
        section(&mut out, 7, Kind::FeatureFrames, &|o| {
            for f in &self.feature_frames {
                o.extend_from_slice(&f.to_le_bytes());
            }
        });
        section(&mut out, 8, Kind::Descriptors, &|o| {
            for d in &self.descriptors {
                o.extend_from_slice(&d.to_le_bytes());
            }
        });
        section(&mut out, 9, Kind::Positions, &|o| {
            extend_le32(o, &self.positions)
        });
        section(&mut out, 10, Kind::KeypointOffsets, &|o| {
            extend_le32(o, &kp_offsets)
        });
        section(&mut out, 11, Kind::KeypointIds, &|o| {
            extend_le32(o, &kp_ids)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::testing::{code, record, sample};
    use crate::segment::{AlignedBytes, Segment, SegmentTitle};

    #[test]
    fn round_trip_and_verify() {
        let seg = Segment::open(AlignedBytes::new(&sample())).unwrap();
        seg.verify().unwrap();
        assert_eq!(seg.frame_count(), 800);
        assert_eq!(seg.titles().len(), 2);
        assert_eq!(seg.title_frames(SegmentTitle(1)), 300);
        let f = seg.frame(501).unwrap();
        assert_eq!(
            (f.title, f.t_ms, f.hash),
            (SegmentTitle(1), 250, code(10_001))
        );
        assert!(seg.frame(800).is_none());
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
        assert_eq!(seg.title_frames_between(SegmentTitle(0), 200, 500), 1..3);
        assert_eq!(seg.title_frames_between(SegmentTitle(1), 0, 0), 3..4);
        assert_eq!(
            seg.title_frames_between(SegmentTitle(2), 0, 0),
            0..0,
            "no such title"
        );
        assert!(seg
            .title_frames_between(SegmentTitle(0), 501, 400)
            .is_empty());
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
    fn the_windows_flag_is_written() {
        let b = SegmentBuilder::new(HashParams::default(), vfp_fingerprint::CATALOG_VIEW_PCT)
            .with_windows(true);
        let seg = Segment::open(AlignedBytes::new(&b.finish())).unwrap();
        assert!(seg.stores_windows());
    }
}
