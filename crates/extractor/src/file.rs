//! The file under a fingerprint, opened once: checked to be a non-empty
//! regular file, hashed, and decoded through that one descriptor.
//!
//! Hashing a path and then letting FFmpeg open the path again left a gap:
//! a file swapped in between showed its frames under the first file's
//! SHA-256 (false evidence). A [`SourceFile`] is the descriptor itself:
//! its SHA-256 and its decoded pictures come from the same bytes, and a
//! write to the file while it is read (its size or modification time
//! changed) is refused ([`SourceFile::check_unchanged`]).

use crate::ExtractError;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// A video file opened for reading, whose checks, hash and decoding all go
/// through the one descriptor opened here.
#[derive(Debug, Clone)]
pub struct SourceFile {
    path: PathBuf,
    file: Arc<File>,
    stamp: Stamp,
}

/// What changes when a file's bytes change under an open descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    size: u64,
    modified_ns: i128,
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt as _;
        Stamp {
            size: meta.len(),
            // Not the status change time: renaming or unlinking the file
            // (a crawler moving it on) changes that, not its bytes.
            modified_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        }
    }
}

impl SourceFile {
    /// Opens `path` and refuses what is not a non-empty regular file, with
    /// a clearer message than FFmpeg's. A FIFO is opened without blocking
    /// and refused (it would be read forever, or block until written).
    pub fn open(path: &Path) -> Result<SourceFile, ExtractError> {
        use std::os::unix::fs::OpenOptionsExt as _;
        let io = |source| ExtractError::Io {
            path: path.to_owned(),
            source,
        };
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
            .map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if !meta.is_file() {
            return Err(io(std::io::Error::other(
                "not a regular file (a folder, a FIFO or a device)",
            )));
        }
        if meta.len() == 0 {
            return Err(ExtractError::Empty {
                path: path.to_owned(),
            });
        }
        Ok(SourceFile {
            path: path.to_owned(),
            file: Arc::new(file),
            stamp: Stamp::of(&meta),
        })
    }

    /// The path it was opened by (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its size when opened, bytes.
    pub fn size(&self) -> u64 {
        self.stamp.size
    }

    /// Its first `max` bytes (fewer if it is shorter), read through the
    /// descriptor.
    pub fn head(&self, max: usize) -> Result<Vec<u8>, ExtractError> {
        let mut head = Vec::with_capacity(max.min(self.stamp.size as usize));
        self.reader()
            .take(max as u64)
            .read_to_end(&mut head)
            .map_err(|source| self.io(source))?;
        Ok(head)
    }

    /// SHA-256 of its bytes, read through the descriptor (not the path).
    pub fn sha256(&self) -> Result<[u8; 32], ExtractError> {
        self.finish_sha256(&Mutex::default())
    }

    /// A reader as [`reader`](Self::reader) whose reads also feed `hash`
    /// (see [`RunningHash`]).
    pub(crate) fn hashing_reader(&self, hash: SharedHash) -> SourceReader {
        SourceReader {
            hash: Some(hash),
            ..self.reader()
        }
    }

    /// The SHA-256 of its bytes, from what `hash` took in as they were read
    /// and the bytes it did not see, read now; refused if the file changed.
    pub(crate) fn finish_sha256(
        &self,
        hash: &Mutex<RunningHash>,
    ) -> Result<[u8; 32], ExtractError> {
        let mut running = hash.lock().unwrap_or_else(PoisonError::into_inner);
        let started = Instant::now();
        let mut reader = self.reader();
        reader.pos = running.hashed_to;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = reader.read(&mut buf).map_err(|source| self.io(source))?;
            if n == 0 {
                break;
            }
            running.hasher.update(&buf[..n]);
            running.hashed_to += n as u64;
        }
        running.hashing_s += started.elapsed().as_secs_f64();
        if running.hashed_to != self.stamp.size {
            return Err(self.changed());
        }
        self.check_unchanged()?;
        Ok(running.hasher.clone().finalize().into())
    }

    /// Refuses a file whose size or modification time differ from when it
    /// was opened: its bytes may have changed while it
    /// was read, so a hash and the pictures decoded may not be of the same
    /// bytes.
    pub fn check_unchanged(&self) -> Result<(), ExtractError> {
        let meta = self.file.metadata().map_err(|source| self.io(source))?;
        if Stamp::of(&meta) != self.stamp {
            return Err(self.changed());
        }
        Ok(())
    }

    /// A reader over the bytes from the start, with its own position, that
    /// reads through the descriptor (positioned reads: readers do not move
    /// each other) and ends at the size the file had when opened.
    pub(crate) fn reader(&self) -> SourceReader {
        SourceReader {
            file: Arc::clone(&self.file),
            size: self.stamp.size,
            pos: 0,
            hash: None,
        }
    }

    fn io(&self, source: std::io::Error) -> ExtractError {
        ExtractError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn changed(&self) -> ExtractError {
        ExtractError::Changed {
            path: self.path.clone(),
        }
    }
}

/// A file's SHA-256 taken from the bytes FFmpeg reads as it reads them,
/// so that a file is read once, not once for its hash and once more to
/// decode it. The hash takes in every byte from the start for as long as
/// the reads follow on from each other; a demuxer that jumps ahead (an
/// MP4 whose index is at the end) and comes back resumes it where it
/// stopped, and what was never read in order is read at the end
/// ([`SourceFile::finish_sha256`]): an index, a tail not decoded.
#[derive(Clone, Debug, Default)]
pub(crate) struct RunningHash {
    hasher: Sha256,
    /// Bytes `0..hashed_to` are in `hasher`.
    hashed_to: u64,
    /// Time spent hashing, s.
    pub(crate) hashing_s: f64,
}

/// A [`RunningHash`] shared by the reader FFmpeg holds and its owner.
pub(crate) type SharedHash = Arc<Mutex<RunningHash>>;

/// Sequential, seekable reads of a [`SourceFile`] (what FFmpeg is given in
/// place of a file name).
#[derive(Debug)]
pub(crate) struct SourceReader {
    file: Arc<File>,
    size: u64,
    pos: u64,
    /// Fed with the bytes read, where they follow on from what it holds.
    hash: Option<SharedHash>,
}

impl Read for SourceReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt as _;
        let left = self.size.saturating_sub(self.pos);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let at = self.pos;
        let n = self.file.read_at(&mut buf[..want], at)?;
        self.pos += n as u64;
        if let Some(hash) = &self.hash {
            let mut running = hash.lock().unwrap_or_else(PoisonError::into_inner);
            let end = at + n as u64;
            // Bytes `at..end` read; those past `hashed_to` follow on when
            // the read began at or before it.
            if at <= running.hashed_to && running.hashed_to < end {
                let started = Instant::now();
                let from = (running.hashed_to - at) as usize;
                running.hasher.update(&buf[from..n]);
                running.hashed_to = end;
                running.hashing_s += started.elapsed().as_secs_f64();
            }
        }
        Ok(n)
    }
}

impl Seek for SourceReader {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.size.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match target {
            Some(p) => {
                self.pos = p;
                Ok(p)
            }
            None => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )),
        }
    }
}

/// Size and SHA-256 of a file (what fingerprints record of their source);
/// rejects what is not a non-empty regular file.
pub fn file_sha256(path: &Path) -> Result<(u64, [u8; 32]), ExtractError> {
    let source = SourceFile::open(path)?;
    Ok((source.size(), source.sha256()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[test]
    fn the_hash_is_of_the_opened_file_not_of_what_the_path_names_later() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clip.mp4");
        std::fs::write(&path, b"the first file").unwrap();
        let opened = SourceFile::open(&path).unwrap();
        // Another file takes the name (rename is how a swap is done).
        let other = dir.path().join("other");
        std::fs::write(&other, b"another file, swapped in").unwrap();
        std::fs::rename(&other, &path).unwrap();
        let expected: [u8; 32] = Sha256::digest(b"the first file").into();
        assert_eq!(opened.sha256().unwrap(), expected);
        let mut bytes = Vec::new();
        opened.reader().read_to_end(&mut bytes).unwrap();
        assert_eq!(bytes, b"the first file");
    }

    #[test]
    fn the_hash_taken_while_reading_is_the_files_whatever_the_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clip.mp4");
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let expected: [u8; 32] = Sha256::digest(&bytes).into();
        let opened = SourceFile::open(&path).unwrap();
        // (position, length) of each read: in order, a jump ahead to the
        // end (an index at the end), back to where it left off, reads
        // overlapping what was read, a re-read of the start, and not to
        // the end.
        let plans: [&[(u64, usize)]; 4] = [
            &[(0, 4096), (4096, 50_000), (54_096, 45_904)],
            &[
                (0, 32),
                (90_000, 10_000),
                (32, 40_000),
                (30_000, 20_000),
                (0, 10),
            ],
            &[(10, 100), (0, 5)],
            &[],
        ];
        for plan in plans {
            let hash = SharedHash::default();
            let mut reader = opened.hashing_reader(Arc::clone(&hash));
            for &(at, len) in plan {
                reader.seek(SeekFrom::Start(at)).unwrap();
                let mut buf = vec![0u8; len];
                reader.read_exact(&mut buf).unwrap();
                assert_eq!(buf, bytes[at as usize..at as usize + len]);
            }
            assert_eq!(opened.finish_sha256(&hash).unwrap(), expected, "{plan:?}");
            let seen = hash.lock().unwrap().hashed_to;
            assert_eq!(seen, bytes.len() as u64);
        }
    }

    #[test]
    fn a_file_changed_in_place_while_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clip.mp4");
        std::fs::write(&path, b"0123456789").unwrap();
        let opened = SourceFile::open(&path).unwrap();
        opened.check_unchanged().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.write_all(b"X").unwrap();
        drop(f);
        assert!(matches!(
            opened.check_unchanged(),
            Err(ExtractError::Changed { .. })
        ));
        assert!(matches!(opened.sha256(), Err(ExtractError::Changed { .. })));
    }

    #[test]
    fn folders_fifos_and_empty_files_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            SourceFile::open(dir.path()),
            Err(ExtractError::Io { .. })
        ));
        let fifo = dir.path().join("fifo.mp4");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        assert!(matches!(
            SourceFile::open(&fifo),
            Err(ExtractError::Io { .. })
        ));
        let empty = dir.path().join("empty.mp4");
        std::fs::write(&empty, b"").unwrap();
        assert!(matches!(
            SourceFile::open(&empty),
            Err(ExtractError::Empty { .. })
        ));
    }

    #[test]
    fn the_reader_seeks_and_stops_at_the_opened_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clip.mp4");
        std::fs::write(&path, b"0123456789").unwrap();
        let opened = SourceFile::open(&path).unwrap();
        let mut r = opened.reader();
        assert_eq!(r.seek(SeekFrom::End(-3)).unwrap(), 7);
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"789");
        assert!(r.seek(SeekFrom::Current(-11)).is_err());
        assert_eq!(r.seek(SeekFrom::Start(2)).unwrap(), 2);
    }
}
