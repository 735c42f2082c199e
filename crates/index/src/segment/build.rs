//! Writing a segment: titles in, the file's bytes out.

use super::features::{FeatureFrameRecord, KEYPOINT_CHUNKS, KEYPOINT_MAX_CHUNK_BITS};
use super::stoplist::common_flags;
use super::{
    Kind, ALIGN, FORMAT_VERSION, HEADER_LEN, MAGIC, SECTION_COUNT, SECTION_ENTRY_LEN, TABLE_END,
};
use crate::mih::{self, Geometry};
use crate::{IndexError, TitleRecord};
use std::io::{Seek, SeekFrom, Write};
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

    /// Titles added so far.
    pub fn title_count(&self) -> usize {
        self.titles.len()
    }

    /// The segment's bytes, in memory (tests, benchmarks, small
    /// segments); [`write_to`](Self::write_to) streams them to a file.
    pub fn finish(self) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        // Writing to memory fails only where allocation would abort.
        if let Err(e) = self.write_to(&mut out) {
            unreachable!("writing a segment to memory: {e}");
        }
        out.into_inner()
    }

    /// Writes the segment to `out` from its current position (the start
    /// of a new file), section by section, and returns its length. Nothing
    /// but the builder's frames, the stop-list's counters while they are
    /// counted, the bucket offsets and one chunk's ids at a time (all of them
    /// in a segment small enough, see [`mih::ChunkTables`]) is held in
    /// memory: the file's bytes are never all in memory (at 100 M frames a
    /// segment is ~10 GB, its frames 3.6 GB). The header and section table
    /// are written last, at the start, once every section's place, length
    /// and CRC are known.
    pub fn write_to<W: Write + Seek>(self, out: &mut W) -> std::io::Result<u64> {
        let n = self.codes.len();
        let geometry = Geometry::for_codes(n as u64);
        let tables = mih::ChunkTables::new(geometry, &self.codes);
        let flags = common_flags(&tables, &self.codes, &self.times, &self.starts);
        let titles_json = serde_json::to_vec(&self.titles).unwrap_or_else(|_| b"[]".to_vec());
        let kp_geometry =
            Geometry::for_codes_up_to(self.descriptors.len() as u64, KEYPOINT_MAX_CHUNK_BITS);
        let kp_chunks = KEYPOINT_CHUNKS.min(kp_geometry.chunks);
        let kp_tables = mih::ChunkTables::new(
            Geometry {
                chunks: kp_chunks,
                ..kp_geometry
            },
            &self.descriptors,
        );

        let mut header = vec![0u8; TABLE_END];
        header[..8].copy_from_slice(&MAGIC);
        header[8..10].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        header[10..12].copy_from_slice(&self.hash.algorithm.id().to_le_bytes());
        header[12] = u8::from(self.hash.crop_borders) | (u8::from(self.windows) << 1);
        header[13] = geometry.chunk_bits as u8;
        header[14] = geometry.chunks as u8;
        header[15] = self.view_pct;
        header[36] = kp_geometry.chunk_bits as u8;
        header[37] = kp_chunks as u8;
        header[16..20].copy_from_slice(&(SECTION_COUNT as u32).to_le_bytes());
        header[20..24].copy_from_slice(&(self.titles.len() as u32).to_le_bytes());
        header[24..32].copy_from_slice(&(n as u64).to_le_bytes());

        let base = out.stream_position()?;
        let mut w = Sections::new(std::io::BufWriter::with_capacity(1 << 20, &mut *out))?;
        w.section(&mut header, Kind::Hashes, |w| {
            self.codes
                .iter()
                .try_for_each(|c| w.write_all(&c.to_le_bytes()))
        })?;
        w.section(&mut header, Kind::Times, |w| write_le32(w, &self.times))?;
        w.section(&mut header, Kind::Flags, |w| w.write_all(&flags))?;
        w.section(&mut header, Kind::TitleStarts, |w| {
            write_le32(w, &self.starts)
        })?;
        w.search_tables(&mut header, [Kind::MihOffsets, Kind::MihIds], &tables)?;
        w.section(&mut header, Kind::Titles, |w| w.write_all(&titles_json))?;
        w.section(&mut header, Kind::FeatureFrames, |w| {
            self.feature_frames
                .iter()
                .try_for_each(|f| w.write_all(&f.to_le_bytes()))
        })?;
        w.section(&mut header, Kind::Descriptors, |w| {
            self.descriptors
                .iter()
                .try_for_each(|d| w.write_all(&d.to_le_bytes()))
        })?;
        w.section(&mut header, Kind::Positions, |w| {
            write_le32(w, &self.positions)
        })?;
        w.search_tables(
            &mut header,
            [Kind::KeypointOffsets, Kind::KeypointIds],
            &kp_tables,
        )?;
        let len = w.finish()?;
        let crc = crc32fast::hash(&header);
        header[32..36].copy_from_slice(&crc.to_le_bytes());
        out.seek(SeekFrom::Start(base))?;
        out.write_all(&header)?;
        out.seek(SeekFrom::Start(base + len))?;
        out.flush()?;
        Ok(len)
    }
}

/// Writes sections one after another, each at a multiple of [`ALIGN`],
/// and fills in their table entries: kind, offset, length, CRC-32.
struct Sections<W: Write> {
    out: W,
    /// Bytes written so far (the space left for the header included).
    at: u64,
    /// Sections written so far.
    count: usize,
}

/// Counts and checksums what passes through it.
struct Tally<'a, W: Write> {
    out: &'a mut W,
    len: u64,
    crc: crc32fast::Hasher,
}

impl<W: Write> Write for Tally<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.out.write(buf)?;
        self.crc.update(&buf[..written]);
        self.len += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

impl<W: Write> Sections<W> {
    /// Leaves room for the header and section table.
    fn new(mut out: W) -> std::io::Result<Self> {
        out.write_all(&[0; TABLE_END])?;
        Ok(Sections {
            out,
            at: TABLE_END as u64,
            count: 0,
        })
    }

    /// Writes the next section with `write`, padding before it, and its
    /// entry into `header`'s section table.
    fn section(
        &mut self,
        header: &mut [u8],
        kind: Kind,
        write: impl FnOnce(&mut Tally<'_, W>) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let start = self.at.next_multiple_of(ALIGN as u64);
        self.out
            .write_all(&[0; ALIGN][..(start - self.at) as usize])?;
        let mut tally = Tally {
            out: &mut self.out,
            len: 0,
            crc: crc32fast::Hasher::new(),
        };
        write(&mut tally)?;
        let (len, crc) = (tally.len, tally.crc.finalize());
        let entry = HEADER_LEN + self.count * SECTION_ENTRY_LEN;
        header[entry..entry + 4].copy_from_slice(&(kind as u32).to_le_bytes());
        header[entry + 8..entry + 16].copy_from_slice(&start.to_le_bytes());
        header[entry + 16..entry + 24].copy_from_slice(&len.to_le_bytes());
        header[entry + 24..entry + 28].copy_from_slice(&crc.to_le_bytes());
        self.at = start + len;
        self.count += 1;
        Ok(())
    }

    /// Writes search tables as two sections, every chunk's offsets then
    /// every chunk's ids, chunk after chunk.
    fn search_tables(
        &mut self,
        header: &mut [u8],
        [offsets, ids]: [Kind; 2],
        tables: &mih::ChunkTables,
    ) -> std::io::Result<()> {
        self.section(header, offsets, |w| write_le32(w, tables.offsets()))?;
        self.section(header, ids, |w| {
            (0..tables.geometry().chunks).try_for_each(|j| write_le32(w, &tables.ids(j)))
        })
    }

    /// Flushes; the segment's length.
    fn finish(mut self) -> std::io::Result<u64> {
        self.out.flush()?;
        Ok(self.at)
    }
}

/// Writes `values` as little-endian u32s (a plain copy on little-endian
/// hosts).
fn write_le32(out: &mut impl Write, values: &[u32]) -> std::io::Result<()> {
    if cfg!(target_endian = "little") {
        out.write_all(bytemuck::cast_slice(values))
    } else {
        values
            .iter()
            .try_for_each(|v| out.write_all(&v.to_le_bytes()))
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
