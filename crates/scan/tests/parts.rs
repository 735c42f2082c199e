//! A video scanned in parts (as long videos are, so that memory does not
//! grow with their length) gives the record a whole scan gives: a copy
//! that runs across several parts is one match, at the same place.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

mod common;

use std::path::{Path, PathBuf};
use vfp_extractor::features::FeatureOptions;
use vfp_extractor::{extract, ExtractOptions, Parts};
use vfp_fingerprint::Sampling;
use vfp_index::Catalog;
use vfp_scan::{ScanSettings, Scanner, Verdict};

fn generated(name: &str) -> PathBuf {
    let dir = std::env::var_os("VFP_TESTDATA_GENERATED").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/generated"),
        PathBuf::from,
    );
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} missing: run scripts/dev/fetch-testdata.sh and scripts/dev/gen-testdata.sh",
        path.display()
    );
    path
}

/// A catalog of the film excerpt every generated copy is made from.
fn film_catalog(dir: &Path) -> Catalog {
    let source = generated("ref.mp4");
    let opts = ExtractOptions::with_sampling(Sampling::Dense { fps: 4.0 })
        .with_features(FeatureOptions::title());
    let fingerprint = extract(&source, &opts).unwrap();
    common::catalog_of_one(dir, "film", &source, fingerprint)
}

#[test]
fn a_copy_across_parts_is_one_match_where_a_whole_scan_finds_it() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = film_catalog(tmp.path());
    let config = ScanSettings::default().validate().unwrap();
    let clip = generated("brightness-contrast.mp4");
    let whole = Scanner::new(&catalog, config.clone()).scan_path(&clip);
    assert_eq!(whole.verdict, Verdict::Match, "{whole:?}");
    // Parts of 3 s repeating 1.5 s: the 11 s copy runs through about six.
    let parts = Parts {
        span_ms: 3_000,
        overlap_ms: 1_500,
    };
    let parted = Scanner::new(&catalog, config.with_parts(parts)).scan_path(&clip);
    assert_eq!(parted.verdict, Verdict::Match, "{parted:?}");
    assert_eq!(parted.sha256, whole.sha256);
    assert_eq!(parted.duration_s, whole.duration_s);
    assert_eq!(parted.matches.len(), 1, "{:?}", parted.matches);
    assert_eq!(whole.matches.len(), 1, "{:?}", whole.matches);
    let (p, w) = (&parted.matches[0], &whole.matches[0]);
    assert_eq!(p.title_id, "film");
    for (got, want, what) in [
        (p.clip_start_s, w.clip_start_s, "clip start"),
        (p.clip_end_s, w.clip_end_s, "clip end"),
        (p.title_start_s, w.title_start_s, "title start"),
        (p.title_end_s, w.title_end_s, "title end"),
    ] {
        assert!(
            (got - want).abs() <= 0.5,
            "{what}: {got} in parts, {want} whole"
        );
    }
    assert!(p.clip_end_s - p.clip_start_s >= 10.0, "{p:?}");
    assert!(
        p.score >= w.score * 0.9,
        "{} in parts, {} whole",
        p.score,
        w.score
    );
}
