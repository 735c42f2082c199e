//! Entry points for coverage-guided fuzzing of the catalog's parsers of
//! untrusted bytes (the targets in `fuzz/` call them; built with the
//! `fuzzing` feature only). Each takes any bytes and must return, never
//! panic, hang or allocate without bound. A checksum guards every format
//! and a fuzzer would almost never guess one, so each entry point also
//! tries the bytes with their checksums made right: the fuzzer then
//! reaches the parsing and the checks behind them.

use crate::catalog::{parse_manifest, MANIFEST_MAGIC, MANIFEST_VERSION};
use crate::segment::{reseal, AlignedBytes, SegmentTitle};
use crate::Segment;
use std::path::Path;
use vfp_fingerprint::FrameHash;

/// A catalog's MANIFEST: as given, and as the body of a manifest with a
/// valid header line.
pub fn manifest(bytes: &[u8]) {
    let _ = parse_manifest(bytes);
    let mut sealed = format!(
        "{MANIFEST_MAGIC} {MANIFEST_VERSION} {:08x}\n",
        crc32fast::hash(bytes)
    )
    .into_bytes();
    sealed.extend_from_slice(bytes);
    let _ = parse_manifest(&sealed);
}

/// A titles CSV (`vfp index build --manifest`), in a folder that does not
/// exist (relative paths resolve nowhere).
pub fn titles_csv(bytes: &[u8]) {
    let _ = crate::titles::parse_manifest(bytes, Path::new("/nonexistent-vfp-fuzz/titles.csv"));
}

/// A catalog segment: opened as given and with its checksums redone; when
/// it opens, every lookup a scan makes, then the full verification.
pub fn segment(bytes: &[u8]) {
    exercise(bytes);
    let mut sealed = bytes.to_vec();
    reseal(&mut sealed);
    exercise(&sealed);
}

fn exercise(bytes: &[u8]) {
    let Ok(seg) = Segment::open(AlignedBytes::new(bytes)) else {
        return;
    };
    // A query made of the file's own first bytes, so that lookups land.
    let mut words = [0u64; 4];
    for (i, chunk) in bytes.chunks(8).skip(8).take(4).enumerate() {
        let mut b = [0u8; 8];
        b[..chunk.len()].copy_from_slice(chunk);
        words[i] = u64::from_le_bytes(b);
    }
    let query = FrameHash(words);
    let mut landed = 0usize;
    seg.search_radius(&query, 12, |i, _| {
        landed += 1;
        let _ = seg.frame(i);
    });
    seg.scan_radius(&query, 12, |i, _| {
        let _ = seg.frame(i);
    });
    seg.search_keypoints(&words, 64, |k, _| {
        let _ = seg.keypoint(k);
        if let Some(f) = seg.feature_frame_of(k) {
            let _ = seg.feature_frame(f);
        }
    });
    let frames = seg.frame_count();
    for i in [0, frames / 2, frames.saturating_sub(1), frames] {
        let _ = seg.frame(i);
    }
    for i in [0, seg.feature_frame_count() / 2, seg.feature_frame_count()] {
        let _ = seg.feature_frame(i);
    }
    for t in (0..seg.titles().len().min(16)).map(SegmentTitle) {
        let _ = seg.title_frames(t);
        let _ = seg.title_frames_between(t, 0, u32::MAX);
        let _ = seg.title_features(t);
    }
    let _ = seg.verify();
    std::hint::black_box(landed);
}
