//! One writer at a time: an advisory lock on the catalog folder's `LOCK`
//! file, taken by every change (build, add, remove) for its whole length.
//!
//! Without it two changes each read the same manifest, each wrote the
//! next segment under the same name, and the last manifest won: titles
//! were lost with every process reporting success, and an unlucky
//! interleaving left a manifest describing another process's segment.
//! Readers take no lock: a change never modifies a file a reader may have
//! open (see [`catalog`](crate::catalog)), so scans are never blocked.
//!
//! The lock is the operating system's (`flock` on Unix): it is released
//! when the holder exits, however it exits, so a killed writer never
//! leaves the catalog locked. `LOCK` itself stays in the folder, empty.

use crate::IndexError;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// The lock file's name inside a catalog folder.
pub const LOCK_FILE: &str = "LOCK";

/// What a writer does when another holds the lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Wait until the other writer is done (changes queue up).
    Block,
    /// Fail at once with [`IndexError::Locked`].
    Fail,
}

/// Proof of being the catalog's only writer: held for the length of a
/// change, released when dropped.
#[derive(Debug)]
pub struct WriterLock {
    dir: PathBuf,
    _file: File,
}

impl WriterLock {
    /// Takes the writer lock of the catalog folder `dir` (which must
    /// exist), waiting for another writer or not as `wait` says.
    pub fn acquire(dir: &Path, wait: Wait) -> Result<WriterLock, IndexError> {
        let path = dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| IndexError::Io {
                path: path.clone(),
                what: "cannot open the catalog's lock file",
                source,
            })?;
        let locked = match wait {
            Wait::Block => file.lock().map_err(TryLockError::Error),
            Wait::Fail => file.try_lock(),
        };
        match locked {
            Ok(()) => Ok(WriterLock {
                dir: dir.to_owned(),
                _file: file,
            }),
            Err(TryLockError::WouldBlock) => Err(IndexError::Locked {
                path: dir.to_owned(),
            }),
            Err(TryLockError::Error(source)) => Err(IndexError::Io {
                path,
                what: "cannot lock the catalog for writing",
                source,
            }),
        }
    }

    /// The catalog folder this lock is for.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_waits_or_fails_at_once() {
        let tmp = tempfile::tempdir().unwrap();
        let first = WriterLock::acquire(tmp.path(), Wait::Fail).unwrap();
        let err = WriterLock::acquire(tmp.path(), Wait::Fail).unwrap_err();
        assert!(matches!(err, IndexError::Locked { .. }), "{err}");
        assert!(err.to_string().contains("another"), "{err}");
        // A waiting writer gets the lock once the first is done.
        let dir = tmp.path().to_owned();
        let waiter = std::thread::spawn(move || WriterLock::acquire(&dir, Wait::Block).is_ok());
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!waiter.is_finished(), "the second writer did not wait");
        drop(first);
        assert!(waiter.join().unwrap());
        assert!(tmp.path().join(LOCK_FILE).exists());
    }

    #[test]
    fn a_missing_folder_is_an_error_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("nope");
        let err = WriterLock::acquire(&missing, Wait::Block).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
    }
}
