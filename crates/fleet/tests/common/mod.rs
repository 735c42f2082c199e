//! What the fleet's tests share: a synthetic title's clip as a `.vfp`
//! file, and a worker's settings for a test.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;
use vfp_fingerprint::Fingerprint;
use vfp_fleet::worker::WorkerSettings;
use vfp_index::synthetic::{clip_of, Excerpt, Rng};

/// A clip of `title` (20 s in, 10 s long) written as a `.vfp` file to
/// `path`.
pub fn write_clip(path: &Path, title: &Fingerprint, rng: &mut Rng) {
    let excerpt = Excerpt {
        from_ms: 20_000,
        len_ms: 10_000,
        step_ms: 100,
        noise_bits: 8,
        mirrored: false,
    };
    let encoded = vfp_fingerprint::format::encode(&clip_of(title, excerpt, rng)).expect("encodes");
    std::fs::write(path, encoded).expect("written");
}

/// A one-slot worker "w1" of catalog "slate", caching in `cache`, that
/// looks for a newer release every `refresh` and stops once no job came
/// for `idle`.
pub fn worker_settings(cache: PathBuf, refresh: Duration, idle: Duration) -> WorkerSettings {
    WorkerSettings {
        catalog: "slate".into(),
        cache,
        jobs: 1,
        queue: Default::default(),
        scan: vfp_scan::ScanSettings::default()
            .validate()
            .expect("settings"),
        name: "w1".into(),
        refresh,
        stop_when_idle: Some(idle),
        files_under: Vec::new(),
    }
}
