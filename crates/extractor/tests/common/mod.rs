//! Paths of the test videos: fetched real videos and clips generated from
//! them by `scripts/dev/fetch-testdata.sh` and `scripts/dev/gen-testdata.sh`
//! (`scripts/test.sh` runs both).

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use vfp_extractor::{extract, ExtractOptions};
use vfp_fingerprint::{Fingerprint, Sampling};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn dir(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| repo().join(default), PathBuf::from)
}

fn existing(path: PathBuf) -> PathBuf {
    assert!(
        path.exists(),
        "test video {} is missing: run scripts/dev/fetch-testdata.sh and scripts/dev/gen-testdata.sh (or scripts/test.sh)",
        path.display()
    );
    path
}

/// A real video fetched from Debian packages.
pub fn fetched(name: &str) -> PathBuf {
    existing(dir("VFP_TESTDATA_CACHE", "testdata/cache").join(name))
}

/// A clip made by gen-testdata.sh.
pub fn generated(name: &str) -> PathBuf {
    existing(dir("VFP_TESTDATA_GENERATED", "testdata/generated").join(name))
}

/// Extracts with default hash parameters at `fps` samples per second.
pub fn dense(path: &Path, fps: f32) -> Fingerprint {
    extract(
        path,
        &ExtractOptions::with_sampling(Sampling::Dense { fps }),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}
