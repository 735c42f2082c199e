//! A title's stills: a small JPEG picture of the title at each of its
//! sampled moments, kept in the catalog folder so that an evidence page
//! made away from the vault still shows the title's frames beside the
//! clip's (`vfp index build --stills`).
//!
//! A pack per title video, named by the video's SHA-256 (two titles cut
//! from one file share it): `stills/<sha256>.vfpst` in the catalog
//! folder. Packs are not named by the MANIFEST: workers never need them
//! (`vfp index publish` leaves them out), and a catalog without them works
//! the same. Each is checked on open: its header names the video it was
//! made from, and a page shows its pictures as the title's only if that is
//! the title's recorded SHA-256.
//!
//! ```text
//! header  "VFPSTILL" | version u32 = 1 | width u32 | video SHA-256 [32]   (48 bytes)
//! JPEGs   back to back, in time order
//! table   count × (t_ms u32, offset u64, bytes u32)
//! footer  count u32 | table offset u64 | CRC-32 of everything before it u32
//! ```
//!
//! Little-endian. The JPEGs lie back to back from byte 48 to the table,
//! each at the offset the table gives, times strictly ascending. A pack is
//! written as it is made (a long title's pictures are never held at once)
//! and appears whole or not at all (an atomic rename).

use crate::IndexError;
use atomic_write_file::AtomicWriteFile;
use image::codecs::jpeg::JpegEncoder;
use image::ExtendedColorType;
use memmap2::Mmap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The folder of stills inside a catalog folder.
pub const STILLS_DIR: &str = "stills";
/// A pack's file name extension.
pub const STILLS_EXTENSION: &str = "vfpst";
/// The pack format this code writes and reads.
pub const STILLS_VERSION: u32 = 1;
/// Width of a still, pixels: enough to tell one picture from another
/// beside the clip's, small enough that a title's stills stay a few times
/// its fingerprint (see the README's catalog section for the bytes).
pub const STILL_WIDTH: u32 = 192;
/// JPEG quality of a still.
const JPEG_QUALITY: u8 = 70;
const MAGIC: &[u8; 8] = b"VFPSTILL";
const HEADER_BYTES: usize = 48;
const ENTRY_BYTES: usize = 16;
const FOOTER_BYTES: usize = 16;
/// The largest still a pack may hold: far above a 192-pixel JPEG.
const MAX_STILL_BYTES: u32 = 1 << 20;

/// Where the pack of the video with SHA-256 `sha256_hex` lives in the
/// catalog folder `catalog_dir`; `None` for a string that is not a
/// SHA-256 in lowercase hex (which could name a path elsewhere).
pub fn stills_path(catalog_dir: &Path, sha256_hex: &str) -> Option<PathBuf> {
    let is_sha256 = sha256_hex.len() == 64
        && sha256_hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    is_sha256.then(|| {
        catalog_dir
            .join(STILLS_DIR)
            .join(format!("{sha256_hex}.{STILLS_EXTENSION}"))
    })
}

/// Writes a pack as its pictures come, then puts it in place whole
/// ([`StillsWriter::finish`]); dropped unfinished, it leaves nothing.
pub struct StillsWriter {
    path: PathBuf,
    file: AtomicWriteFile,
    crc: crc32fast::Hasher,
    written: u64,
    table: Vec<(u32, u64, u32)>,
}

impl StillsWriter {
    /// Starts the pack of the video with SHA-256 `sha256_hex` in the
    /// catalog folder `catalog_dir` (its `stills` folder is made if need
    /// be).
    pub fn create(catalog_dir: &Path, sha256_hex: &str) -> Result<StillsWriter, IndexError> {
        let path = stills_path(catalog_dir, sha256_hex).ok_or_else(|| IndexError::Stills {
            path: catalog_dir.join(STILLS_DIR),
            reason: format!("{sha256_hex:?} is not a SHA-256"),
        })?;
        let folder = catalog_dir.join(STILLS_DIR);
        std::fs::create_dir_all(&folder).map_err(IndexError::io(
            &folder,
            "cannot make the catalog's stills folder",
        ))?;
        let file = AtomicWriteFile::open(&path)
            .map_err(IndexError::io(&path, "cannot write the title's stills"))?;
        let mut header = Vec::with_capacity(HEADER_BYTES);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&STILLS_VERSION.to_le_bytes());
        header.extend_from_slice(&STILL_WIDTH.to_le_bytes());
        header.extend_from_slice(&sha256_bytes(sha256_hex));
        let mut writer = StillsWriter {
            path,
            file,
            crc: crc32fast::Hasher::new(),
            written: 0,
            table: Vec::new(),
        };
        writer.put(&header)?;
        Ok(writer)
    }

    /// Adds the picture at `t_ms` (after every picture added so far),
    /// `width`×`height` row-major RGB, as a JPEG.
    pub fn push_rgb(
        &mut self,
        t_ms: u32,
        width: u32,
        height: u32,
        rgb: &[u8],
    ) -> Result<(), IndexError> {
        if self.table.last().is_some_and(|&(last, _, _)| t_ms <= last) {
            return Err(self.bad(format!("a still at {t_ms} ms after a later one")));
        }
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
            .encode(rgb, width, height, ExtendedColorType::Rgb8)
            .map_err(|e| self.bad(format!("cannot encode the still at {t_ms} ms: {e}")))?;
        let bytes = u32::try_from(jpeg.len())
            .ok()
            .filter(|&b| b <= MAX_STILL_BYTES)
            .ok_or_else(|| self.bad(format!("the still at {t_ms} ms is too large")))?;
        self.table.push((t_ms, self.written, bytes));
        self.put(&jpeg)
    }

    /// How many pictures were added.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether no picture was added.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Writes the table and the footer and puts the pack in place; its
    /// size in bytes.
    pub fn finish(mut self) -> Result<u64, IndexError> {
        let table_offset = self.written;
        let mut table = Vec::with_capacity(self.table.len() * ENTRY_BYTES + FOOTER_BYTES);
        for &(t_ms, offset, bytes) in &self.table {
            table.extend_from_slice(&t_ms.to_le_bytes());
            table.extend_from_slice(&offset.to_le_bytes());
            table.extend_from_slice(&bytes.to_le_bytes());
        }
        table.extend_from_slice(&(self.table.len() as u32).to_le_bytes());
        table.extend_from_slice(&table_offset.to_le_bytes());
        self.put(&table)?;
        let crc = self.crc.clone().finalize();
        self.put(&crc.to_le_bytes())?;
        let size = self.written;
        let path = self.path.clone();
        self.file
            .commit()
            .map_err(IndexError::io(&path, "cannot write the title's stills"))?;
        Ok(size)
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), IndexError> {
        self.crc.update(bytes);
        self.written += bytes.len() as u64;
        self.file.write_all(bytes).map_err(IndexError::io(
            &self.path,
            "cannot write the title's stills",
        ))
    }

    fn bad(&self, reason: String) -> IndexError {
        IndexError::Stills {
            path: self.path.clone(),
            reason,
        }
    }
}

fn sha256_bytes(hex: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (k, byte) in out.iter_mut().enumerate() {
        *byte = hex
            .get(2 * k..2 * k + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or(0);
    }
    out
}

/// A picture from a pack, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Still {
    /// The title time it shows, ms.
    pub t_ms: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Row-major RGB, 3 bytes a pixel.
    pub rgb: Vec<u8>,
}

/// A pack, opened and checked (memory-mapped: a page reads a few of its
/// pictures).
pub struct Stills {
    path: PathBuf,
    bytes: Stored,
    sha256_hex: String,
    count: usize,
    table_offset: usize,
}

enum Stored {
    Mapped(Mmap),
    #[cfg(test)]
    Owned(Vec<u8>),
}

impl std::ops::Deref for Stored {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Stored::Mapped(m) => m,
            #[cfg(test)]
            Stored::Owned(v) => v,
        }
    }
}

impl Stills {
    /// Opens the pack at `path`, checking all of it: header, version,
    /// table, footer and CRC.
    pub fn open(path: &Path) -> Result<Stills, IndexError> {
        let file = std::fs::File::open(path)
            .map_err(IndexError::io(path, "cannot read the title's stills"))?;
        let meta = file
            .metadata()
            .map_err(IndexError::io(path, "cannot read the title's stills"))?;
        if !meta.is_file() {
            return Err(IndexError::Stills {
                path: path.to_owned(),
                reason: "not a regular file".into(),
            });
        }
        // SAFETY: packs are written under a new name and renamed into
        // place, never changed after: the map's bytes do not change under
        // it while the catalog's own tools are the writers (as for
        // segments).
        let map = unsafe { Mmap::map(&file) }
            .map_err(IndexError::io(path, "cannot read the title's stills"))?;
        Stills::checked(path, Stored::Mapped(map))
    }

    fn checked(path: &Path, bytes: Stored) -> Result<Stills, IndexError> {
        let bad = |reason: &str| IndexError::Stills {
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        let b: &[u8] = &bytes;
        if b.len() < HEADER_BYTES + FOOTER_BYTES || &b[..8] != MAGIC {
            return Err(bad("not a vfp stills pack"));
        }
        let version = u32_at(b, 8);
        if version != STILLS_VERSION {
            return Err(bad(&format!(
                "stills version {version}, this vfp reads version {STILLS_VERSION}"
            )));
        }
        let crc_at = b.len() - 4;
        if crc32fast::hash(&b[..crc_at]) != u32_at(b, crc_at) {
            return Err(bad("damaged (checksum mismatch)"));
        }
        let count = u32_at(b, b.len() - FOOTER_BYTES) as usize;
        let table_offset = u64_at(b, b.len() - FOOTER_BYTES + 4);
        let table_end = (b.len() - FOOTER_BYTES) as u64;
        if table_offset < HEADER_BYTES as u64
            || table_offset > table_end
            || (table_end - table_offset) != (count as u64) * ENTRY_BYTES as u64
        {
            return Err(bad("damaged (its table is out of place)"));
        }
        let table_offset = table_offset as usize;
        let mut next = HEADER_BYTES as u64;
        let mut last_t: Option<u32> = None;
        for k in 0..count {
            let at = table_offset + k * ENTRY_BYTES;
            let (t_ms, offset, len) = (u32_at(b, at), u64_at(b, at + 4), u32_at(b, at + 12));
            if last_t.is_some_and(|l| t_ms <= l) || offset != next || len > MAX_STILL_BYTES {
                return Err(bad("damaged (its pictures are out of order)"));
            }
            last_t = Some(t_ms);
            next = offset + u64::from(len);
        }
        if next != table_offset as u64 {
            return Err(bad("damaged (its pictures do not fill it)"));
        }
        let sha256_hex: String = b[16..48].iter().map(|x| format!("{x:02x}")).collect();
        Ok(Stills {
            path: path.to_owned(),
            bytes,
            sha256_hex,
            count,
            table_offset,
        })
    }

    /// The SHA-256 of the video the pictures were taken from, hex.
    pub fn sha256_hex(&self) -> &str {
        &self.sha256_hex
    }

    /// Width the stills were made at, pixels.
    pub fn width(&self) -> u32 {
        u32_at(&self.bytes, 12)
    }

    /// How many pictures it holds.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether it holds no picture.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Its size in bytes.
    pub fn bytes(&self) -> usize {
        self.bytes.len()
    }

    fn entry(&self, k: usize) -> (u32, usize, usize) {
        let at = self.table_offset + k * ENTRY_BYTES;
        let b = &self.bytes;
        (
            u32_at(b, at),
            u64_at(b, at + 4) as usize,
            u32_at(b, at + 12) as usize,
        )
    }

    /// The time of the picture nearest `t_ms`, if one lies within
    /// `within_ms` of it.
    pub fn nearest(&self, t_ms: u32, within_ms: u32) -> Option<u32> {
        self.nearest_index(t_ms, within_ms).map(|k| self.entry(k).0)
    }

    fn nearest_index(&self, t_ms: u32, within_ms: u32) -> Option<usize> {
        // The first picture at or after `t_ms`, by bisection.
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.entry(mid).0 < t_ms {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        [lo.checked_sub(1), Some(lo)]
            .into_iter()
            .flatten()
            .filter(|&k| k < self.count)
            .min_by_key(|&k| self.entry(k).0.abs_diff(t_ms))
            .filter(|&k| self.entry(k).0.abs_diff(t_ms) <= within_ms)
    }

    /// The picture nearest `t_ms`, within `within_ms`, decoded; `None` if
    /// there is none that near.
    pub fn still_near(&self, t_ms: u32, within_ms: u32) -> Result<Option<Still>, IndexError> {
        let Some(k) = self.nearest_index(t_ms, within_ms) else {
            return Ok(None);
        };
        let (t_ms, offset, len) = self.entry(k);
        let picture = image::load_from_memory_with_format(
            &self.bytes[offset..offset + len],
            image::ImageFormat::Jpeg,
        )
        .map_err(|e| IndexError::Stills {
            path: self.path.clone(),
            reason: format!("the still at {t_ms} ms cannot be decoded: {e}"),
        })?
        .into_rgb8();
        Ok(Some(Still {
            t_ms,
            width: picture.width(),
            height: picture.height(),
            rgb: picture.into_raw(),
        }))
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(word)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    fn gradient(shade: u8) -> Vec<u8> {
        (0..64 * 36)
            .flat_map(|i| {
                let v = ((i % 64) as u8).wrapping_mul(4).wrapping_add(shade);
                [v, shade, 255 - v]
            })
            .collect()
    }

    fn pack(dir: &Path, times: &[u32]) -> PathBuf {
        let mut w = StillsWriter::create(dir, SHA).unwrap();
        for (k, &t) in times.iter().enumerate() {
            w.push_rgb(t, 64, 36, &gradient(k as u8 * 60)).unwrap();
        }
        assert_eq!(w.len(), times.len());
        w.finish().unwrap();
        stills_path(dir, SHA).unwrap()
    }

    #[test]
    fn a_pack_gives_back_the_nearest_picture_and_names_its_video() {
        let dir = tempfile::tempdir().unwrap();
        let path = pack(dir.path(), &[0, 250, 500, 750]);
        let s = Stills::open(&path).unwrap();
        assert_eq!((s.len(), s.sha256_hex(), s.width()), (4, SHA, STILL_WIDTH));
        assert_eq!(s.nearest(260, 100), Some(250));
        assert_eq!(s.nearest(999, 100), None);
        assert_eq!(s.nearest(870, 125), Some(750));
        let still = s.still_near(480, 125).unwrap().unwrap();
        assert_eq!((still.t_ms, still.width, still.height), (500, 64, 36));
        // JPEG is lossy: near the picture given, far from the others.
        let mean_diff = |a: &[u8], b: &[u8]| {
            a.iter()
                .zip(b)
                .map(|(x, y)| f64::from(x.abs_diff(*y)))
                .sum::<f64>()
                / a.len() as f64
        };
        assert!(mean_diff(&still.rgb, &gradient(120)) < 6.0);
        assert!(mean_diff(&still.rgb, &gradient(60)) > 20.0);
    }

    #[test]
    fn every_damaged_byte_and_truncation_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = std::fs::read(pack(dir.path(), &[0, 250])).unwrap();
        let open = |b: Vec<u8>| Stills::checked(Path::new("x.vfpst"), Stored::Owned(b));
        assert!(open(bytes.clone()).is_ok());
        for len in 0..bytes.len() {
            assert!(open(bytes[..len].to_vec()).is_err(), "cut at {len}");
        }
        for at in 0..bytes.len() {
            let mut b = bytes.clone();
            b[at] ^= 0x10;
            let e = open(b).err().unwrap_or_else(|| panic!("byte {at} flipped"));
            assert!(e.to_string().contains("x.vfpst"), "{e}");
        }
    }

    #[test]
    fn times_must_rise_and_only_a_sha256_names_a_pack() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = StillsWriter::create(dir.path(), SHA).unwrap();
        w.push_rgb(250, 64, 36, &gradient(0)).unwrap();
        assert!(w.push_rgb(250, 64, 36, &gradient(0)).is_err());
        drop(w);
        assert!(
            !stills_path(dir.path(), SHA).unwrap().exists(),
            "an unfinished pack leaves nothing"
        );
        for bad in ["../../etc/passwd", &SHA.to_uppercase(), &SHA[1..], ""] {
            assert!(stills_path(dir.path(), bad).is_none(), "{bad}");
            assert!(StillsWriter::create(dir.path(), bad).is_err(), "{bad}");
        }
    }
}
