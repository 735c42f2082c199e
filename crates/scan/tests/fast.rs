//! `--fast` on long files: a file whose keyframes miss the catalog is
//! ruled out by them; one whose keyframes hit it is decoded densely only
//! around the hits, and the excerpt is reported where it is.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

mod common;

use vfp_extractor::material::{write_program, Encoding, Scene, Stretch};
use vfp_index::Catalog;
use vfp_scan::{ScanSettings, Scanner, Verdict};

const SMALL: Encoding = Encoding {
    width: 320,
    height: 180,
    fps: 10,
    crf: 26,
    keyframe_s: 2,
};

fn scanner(catalog: &Catalog, fast: bool) -> Scanner<'_> {
    let config = ScanSettings {
        fast,
        decoder_threads: 1,
        ..ScanSettings::default()
    }
    .validate()
    .unwrap();
    Scanner::new(catalog, config)
}

#[test]
fn a_long_file_is_decoded_densely_only_around_its_keyframe_hits() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = common::catalog_of_scene_1(tmp.path(), 40.0, &SMALL);
    // 55 s of something else, 15 s of the title from its 10th second,
    // 55 s of something else again: at 10 frames a second, 1,250 moments.
    let long = tmp.path().join("long.mp4");
    let stretch = |seed, from_s, seconds| Stretch {
        scene: Scene::shapes(seed),
        from_s,
        seconds,
    };
    write_program(
        &long,
        &[
            stretch(1_001, 0.0, 55.0),
            stretch(1, 10.0, 15.0),
            stretch(1_002, 0.0, 55.0),
        ],
        &SMALL,
    )
    .unwrap();
    let (fast, fast_cost) = scanner(&catalog, true).scan_path_costed(&long);
    assert_eq!(fast.verdict, Verdict::Match, "{fast:?}");
    assert_eq!(fast.matches.len(), 1, "{fast:?}");
    let f = &fast.matches[0];
    assert_eq!(f.title_id, "scene-1");
    assert!((f.clip_start_s - 55.0).abs() <= 1.0, "{f:?}");
    assert!((f.clip_end_s - 70.0).abs() <= 1.0, "{f:?}");
    assert!((f.title_start_s - 10.0).abs() <= 1.0, "{f:?}");
    // The dense pass covered the neighbourhood of the excerpt, not the
    // file: well under half of its 1,250 moments.
    assert!(fast_cost.moments < 625, "{fast_cost:?}");
    let sha = vfp_extractor::file_sha256(&long).unwrap().1;
    let hex: String = sha.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(fast.sha256, Some(hex), "the file's own SHA-256");
    assert!((fast.duration_s.unwrap() - 125.0).abs() < 0.2, "{fast:?}");

    // Without the excerpt: ruled out by the keyframes alone.
    let other = tmp.path().join("other.mp4");
    write_program(
        &other,
        &[stretch(1_001, 0.0, 70.0), stretch(1_002, 0.0, 55.0)],
        &SMALL,
    )
    .unwrap();
    let (none, cost) = scanner(&catalog, true).scan_path_costed(&other);
    assert_eq!(none.verdict, Verdict::NoMatch, "{none:?}");
    assert!(cost.moments <= 80, "keyframes only: {cost:?}");
}
