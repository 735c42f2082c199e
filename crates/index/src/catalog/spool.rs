//! Titles on their way into a catalog: each reduced to what the catalog
//! stores of it ([`StoredTitle`]: its record, the frames of the catalog's
//! view and window, its own-scale local features) as soon as it is
//! fingerprinted, and kept in an unnamed temporary file
//! ([`TitleSpool`]) until the writer lock is taken and the segments are
//! written. A build of 100 M frames so holds no more than one segment's
//! frames in memory: its titles' fingerprints (~150 bytes a frame for a
//! `.vfp` of one view, far more with every view of a video) would not fit.
//!
//! The spool file is private to the process (unnamed where the file system
//! allows it, else unlinked at once) and vanishes with it, killed or not:
//!
//! ```text
//! per title, little-endian:
//!   u32 L, L bytes       the title record, JSON
//!   u32 F, F × 36 bytes  frames: t_ms u32, hash 4 × u64
//!   u32 G                own-scale feature frames, each:
//!     u32 t_ms, u16 width, u16 height, u32 K, K × 36 bytes: x u16, y u16, bits 4 × u64
//! ```

use super::manifest::ManifestBody;
use super::reader::Catalog;
use super::writer::NewTitle;
use crate::segment::SegmentBuilder;
use crate::{IndexError, TitleRecord};
use std::collections::HashSet;
use std::io::{BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};
use vfp_fingerprint::local::{FeatureFrame, Keypoint};
use vfp_fingerprint::{FrameHash, HashParams, ViewRegion, CATALOG_VIEW_PCT};

/// A title as a catalog stores it.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct StoredTitle {
    pub(super) record: TitleRecord,
    /// `(t_ms, hash)` of every informative frame stored.
    pub(super) frames: Vec<(u32, FrameHash)>,
    /// Feature frames at the title's own scale, with keypoints.
    pub(super) features: Vec<FeatureFrame>,
}

/// How a catalog stores its titles' frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct StoredAs {
    pub(super) hash: HashParams,
    pub(super) view_pct: u8,
    /// Whether the 9:16 windows of wide titles are stored too.
    pub(super) windows: bool,
}

impl StoredAs {
    /// As a new catalog stores titles.
    pub(super) fn new_catalog(hash: HashParams) -> Self {
        StoredAs {
            hash,
            view_pct: CATALOG_VIEW_PCT,
            windows: true,
        }
    }

    /// As `catalog` stores its titles.
    pub(super) fn of(catalog: &Catalog) -> Self {
        StoredAs {
            hash: catalog.hash_params(),
            view_pct: catalog.view_pct(),
            windows: catalog.stores_windows(),
        }
    }

    /// As the catalog of `body` stores its titles.
    pub(super) fn of_manifest(body: &ManifestBody) -> Self {
        StoredAs {
            hash: body.hash,
            view_pct: body.view_pct,
            windows: body.windows,
        }
    }

    /// An empty segment that stores titles this way.
    pub(super) fn builder(&self) -> SegmentBuilder {
        SegmentBuilder::new(self.hash, self.view_pct).with_windows(self.windows)
    }

    /// Checks that `t` can be stored this way (its hashes compatible, its
    /// view present); `dir` names the catalog in errors.
    pub(super) fn check(&self, dir: &Path, t: &NewTitle) -> Result<(), IndexError> {
        if !t.fingerprint.params.hash.is_compatible_with(&self.hash) {
            return Err(IndexError::IncompatibleHash {
                path: dir.to_owned(),
                catalog: self.hash.to_string(),
                query: format!("{} ({})", t.fingerprint.params.hash, t.record.source_path),
            });
        }
        if t.fingerprint.active_view(self.view_pct).is_none() {
            return Err(IndexError::MissingView {
                path: PathBuf::from(&t.record.source_path),
                view_pct: self.view_pct,
            });
        }
        Ok(())
    }

    /// What the catalog stores of `t` (checked by [`check`](Self::check)):
    /// the informative frames of its view and, with windows, of its 9:16
    /// window (at the same times: a title's stored frames are every hash of
    /// it that a copy may show); its own-scale feature frames.
    pub(super) fn store(&self, t: NewTitle) -> StoredTitle {
        let fp = t.fingerprint;
        let window_frames = fp
            .views
            .iter()
            .filter(|v| self.windows && v.region == ViewRegion::Window)
            .flat_map(|v| v.frames.iter());
        let frames = fp
            .active_view(self.view_pct)
            .unwrap_or_default()
            .iter()
            .chain(window_frames)
            .filter(|f| f.is_informative())
            .map(|f| (f.t_ms, f.hash))
            .collect();
        let features = fp
            .features
            .into_iter()
            .filter(|f| f.scale_pct == 100 && !f.keypoints.is_empty())
            .collect();
        StoredTitle {
            record: t.record,
            frames,
            features,
        }
    }
}

/// Titles made ready for a catalog, waiting on disk for the writer lock
/// (see the module docs). Titles are checked as they are pushed: their
/// hashes, their view, and their ids unique among them.
pub struct TitleSpool {
    stored_as: StoredAs,
    /// The catalog (to be), for errors.
    catalog: PathBuf,
    file: BufWriter<std::fs::File>,
    ids: Vec<String>,
    seen: HashSet<String>,
    frames: u64,
}

impl TitleSpool {
    /// A spool for a new catalog at `dir` (`vfp index build`), kept in the
    /// nearest folder that exists of those holding `dir` (the file system
    /// the catalog will be on; nothing is created before the titles are
    /// ready).
    pub fn for_build(dir: &Path, hash: HashParams) -> Result<Self, IndexError> {
        let folder = dir
            .ancestors()
            .skip(1)
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .find(|p| p.is_dir())
            .unwrap_or(Path::new("."));
        TitleSpool::new(dir, folder, StoredAs::new_catalog(hash))
    }

    /// A spool for titles to add to `catalog` (opened from `dir`), kept in
    /// its folder.
    pub fn for_catalog(dir: &Path, catalog: &Catalog) -> Result<Self, IndexError> {
        TitleSpool::new(dir, dir, StoredAs::of(catalog))
    }

    fn new(catalog: &Path, folder: &Path, stored_as: StoredAs) -> Result<Self, IndexError> {
        let file = tempfile::tempfile_in(folder).map_err(IndexError::io(
            folder,
            "cannot make a temporary file for the titles",
        ))?;
        Ok(TitleSpool {
            stored_as,
            catalog: catalog.to_owned(),
            file: BufWriter::with_capacity(1 << 20, file),
            ids: Vec::new(),
            seen: HashSet::new(),
            frames: 0,
        })
    }

    /// Checks `title` and writes what the catalog stores of it.
    pub fn push(&mut self, title: NewTitle) -> Result<(), IndexError> {
        self.stored_as.check(&self.catalog, &title)?;
        if self.seen.contains(&title.record.id) {
            return Err(repeated_in_batch(&title));
        }
        let stored = self.stored_as.store(title);
        write_title(&mut self.file, &stored).map_err(IndexError::io(
            &self.catalog,
            "cannot write the titles' temporary file",
        ))?;
        self.frames += stored.frames.len() as u64;
        self.seen.insert(stored.record.id.clone());
        self.ids.push(stored.record.id);
        Ok(())
    }

    /// The ids pushed, in order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// Frames stored of the titles pushed.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    pub(super) fn stored_as(&self) -> StoredAs {
        self.stored_as
    }

    /// The titles, read back in the order pushed.
    pub(super) fn into_titles(
        self,
    ) -> Result<impl Iterator<Item = Result<StoredTitle, IndexError>>, IndexError> {
        let TitleSpool {
            catalog, file, ids, ..
        } = self;
        let failed = move |e: std::io::Error| IndexError::Io {
            path: catalog.clone(),
            what: "cannot read the titles' temporary file",
            source: e,
        };
        let mut file = file.into_inner().map_err(|e| failed(e.into_error()))?;
        file.rewind().map_err(&failed)?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        Ok((0..ids.len()).map(move |_| read_title(&mut reader).map_err(&failed)))
    }
}

fn write_title(out: &mut impl Write, t: &StoredTitle) -> std::io::Result<()> {
    let record = serde_json::to_vec(&t.record)?;
    write_len(out, record.len())?;
    out.write_all(&record)?;
    write_len(out, t.frames.len())?;
    for (t_ms, hash) in &t.frames {
        out.write_all(&t_ms.to_le_bytes())?;
        out.write_all(&hash.to_le_bytes())?;
    }
    write_len(out, t.features.len())?;
    for f in &t.features {
        out.write_all(&f.t_ms.to_le_bytes())?;
        out.write_all(&f.width.to_le_bytes())?;
        out.write_all(&f.height.to_le_bytes())?;
        write_len(out, f.keypoints.len())?;
        for k in &f.keypoints {
            out.write_all(&k.x.to_le_bytes())?;
            out.write_all(&k.y.to_le_bytes())?;
            for w in k.bits {
                out.write_all(&w.to_le_bytes())?;
            }
        }
    }
    Ok(())
}

fn write_len(out: &mut impl Write, len: usize) -> std::io::Result<()> {
    let len = u32::try_from(len).map_err(|_| std::io::Error::other("more than 2^32 items"))?;
    out.write_all(&len.to_le_bytes())
}

fn read_title(input: &mut impl Read) -> std::io::Result<StoredTitle> {
    let len = read_u32(input)? as usize;
    let mut record = vec![0; len];
    input.read_exact(&mut record)?;
    let record: TitleRecord = serde_json::from_slice(&record)?;
    let count = read_u32(input)? as usize;
    let mut frames = Vec::with_capacity(count);
    for _ in 0..count {
        let t_ms = read_u32(input)?;
        frames.push((t_ms, FrameHash(read_words(input)?)));
    }
    let count = read_u32(input)? as usize;
    let mut features = Vec::with_capacity(count);
    for _ in 0..count {
        let t_ms = read_u32(input)?;
        let width = read_u16(input)?;
        let height = read_u16(input)?;
        let keypoints = (0..read_u32(input)?)
            .map(|_| {
                Ok(Keypoint {
                    x: read_u16(input)?,
                    y: read_u16(input)?,
                    bits: read_words(input)?,
                })
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        features.push(FeatureFrame {
            t_ms,
            scale_pct: 100,
            width,
            height,
            keypoints,
        });
    }
    Ok(StoredTitle {
        record,
        frames,
        features,
    })
}

fn read_u16(input: &mut impl Read) -> std::io::Result<u16> {
    let mut b = [0; 2];
    input.read_exact(&mut b)?;
    Ok(u16::from_le_bytes(b))
}

fn read_u32(input: &mut impl Read) -> std::io::Result<u32> {
    let mut b = [0; 4];
    input.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn read_words(input: &mut impl Read) -> std::io::Result<[u64; 4]> {
    let mut b = [0; 32];
    input.read_exact(&mut b)?;
    let word = |i: usize| {
        let mut w = [0; 8];
        w.copy_from_slice(&b[i * 8..i * 8 + 8]);
        u64::from_le_bytes(w)
    };
    Ok([word(0), word(1), word(2), word(3)])
}

/// The error for `title`, whose id an earlier title of the same batch
/// has.
pub(super) fn repeated_in_batch(title: &NewTitle) -> IndexError {
    IndexError::DuplicateTitle {
        id: title.record.id.clone(),
        first: "this batch".into(),
        second: title.record.source_path.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{title, Rng};

    fn with_features(mut t: NewTitle) -> NewTitle {
        let kp = |i: u16| Keypoint {
            x: i,
            y: 2 * i,
            bits: [u64::from(i), 7, u64::MAX, 1 << 63],
        };
        t.fingerprint.features = vec![
            FeatureFrame {
                t_ms: 1000,
                scale_pct: 100,
                width: 320,
                height: 180,
                keypoints: (0..5).map(kp).collect(),
            },
            // Left out: a clip's extra scale, and a frame without corners.
            FeatureFrame {
                t_ms: 1000,
                scale_pct: 60,
                width: 192,
                height: 108,
                keypoints: vec![kp(9)],
            },
            FeatureFrame {
                t_ms: 2000,
                scale_pct: 100,
                width: 320,
                height: 180,
                keypoints: Vec::new(),
            },
        ];
        t
    }

    #[test]
    fn titles_come_back_as_stored_in_the_order_pushed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cat");
        let mut rng = Rng(3);
        let titles: Vec<NewTitle> = (0..3)
            .map(|i| with_features(title(&format!("T{i}"), 40 + i, &mut rng)))
            .collect();
        let stored_as = StoredAs::new_catalog(HashParams::default());
        let expected: Vec<StoredTitle> =
            titles.iter().map(|t| stored_as.store(t.clone())).collect();
        assert_eq!(expected[0].features.len(), 1, "own scale, with corners");
        let mut spool = TitleSpool::for_build(&dir, HashParams::default()).unwrap();
        for t in titles {
            spool.push(t).unwrap();
        }
        assert_eq!(spool.ids(), ["T0", "T1", "T2"]);
        assert_eq!(spool.frames(), 40 + 41 + 42);
        let back: Vec<StoredTitle> = spool.into_titles().unwrap().map(Result::unwrap).collect();
        assert_eq!(back, expected);
        // Nothing is left in the folder.
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_duplicate_id_or_a_title_without_the_view_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let mut rng = Rng(4);
        let mut spool =
            TitleSpool::for_build(&tmp.path().join("c"), HashParams::default()).unwrap();
        spool.push(title("A", 10, &mut rng)).unwrap();
        let again = spool.push(title("A", 10, &mut rng)).unwrap_err();
        assert!(
            matches!(again, IndexError::DuplicateTitle { .. }),
            "{again}"
        );
        let mut no_view = title("B", 10, &mut rng);
        no_view.fingerprint.views.clear();
        let missing = spool.push(no_view).unwrap_err();
        assert!(
            matches!(missing, IndexError::MissingView { .. }),
            "{missing}"
        );
        assert_eq!(spool.ids(), ["A"]);
    }
}
