//! The file under a fingerprint: checked to be a non-empty regular file
//! before anything reads it, and its size and SHA-256.

use crate::ExtractError;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// Size and SHA-256 of a file (what fingerprints record of their source);
/// rejects what is not a non-empty regular file before FFmpeg sees it,
/// with a clearer message than FFmpeg's.
pub fn file_sha256(path: &Path) -> Result<(u64, [u8; 32]), ExtractError> {
    let io = |source| ExtractError::Io {
        path: path.to_owned(),
        source,
    };
    check_regular_file(path)?;
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((size, hasher.finalize().into()))
}

/// Refuses what is not a non-empty regular file, before anything reads it.
pub(crate) fn check_regular_file(path: &Path) -> Result<(), ExtractError> {
    let io = |source| ExtractError::Io {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    // A FIFO or a device would be read forever (or block until written).
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
    Ok(())
}
