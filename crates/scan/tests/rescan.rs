//! The second pass: a file whose first pass (the default 15 samples a
//! second) finds evidence of a title short of a match is scanned again at
//! `RESCAN_FPS`; a match, no evidence, or a first pass as dense as that
//! ends the scan at one pass.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

mod common;

use std::path::{Path, PathBuf};
use vfp_extractor::material::{write_program, Encoding, Scene, Stretch};
use vfp_index::Catalog;
use vfp_scan::{ScanCost, ScanSettings, Scanner, Verdict, DEFAULT_SCAN_FPS, RESCAN_FPS};

/// 30 frames a second, so that the two samplings take different frames.
const ENCODING: Encoding = Encoding {
    width: 320,
    height: 180,
    fps: 30,
    crf: 26,
    keyframe_s: 2,
};

/// 8 s of something else with `title_s` seconds of the title from its
/// 5th second in the middle.
fn clip(dir: &Path, name: &str, title_s: f64) -> PathBuf {
    let path = dir.join(name);
    let other = (8.0 - title_s) / 2.0;
    let stretch = |seed, from_s, seconds| Stretch {
        scene: Scene::shapes(seed),
        from_s,
        seconds,
    };
    let mut stretches = vec![stretch(1_001, 0.0, other)];
    if title_s > 0.0 {
        stretches.push(stretch(1, 5.0, title_s));
    }
    stretches.push(stretch(1_002, 0.0, other));
    write_program(&path, &stretches, &ENCODING).unwrap();
    path
}

fn scan(catalog: &Catalog, settings: ScanSettings, path: &Path) -> (Verdict, ScanCost) {
    let config = ScanSettings {
        decoder_threads: 1,
        ..settings
    }
    .validate()
    .unwrap();
    let (record, cost) = Scanner::new(catalog, config).scan_path_costed(path);
    (record.verdict, cost)
}

#[test]
fn a_copy_is_found_in_one_pass_at_the_default_rate() {
    const { assert!(DEFAULT_SCAN_FPS < RESCAN_FPS) };
    let tmp = tempfile::tempdir().unwrap();
    let catalog = common::catalog_of_scene_1(tmp.path(), 20.0, &ENCODING);
    let copy = clip(tmp.path(), "copy.mp4", 6.0);
    let (verdict, cost) = scan(&catalog, ScanSettings::default(), &copy);
    assert_eq!(verdict, Verdict::Match, "{cost:?}");
    assert_eq!(cost.rescans, 0, "{cost:?}");
    assert!(cost.title_hits > 0, "{cost:?}");
    // One pass of 15 samples a second over 8 s.
    assert!((100..=125).contains(&cost.moments), "{cost:?}");
}

#[test]
fn evidence_short_of_a_match_is_scanned_again_more_densely() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = common::catalog_of_scene_1(tmp.path(), 20.0, &ENCODING);
    // 3 s of the title, where a match must last 4 s: evidence, no match.
    let short = clip(tmp.path(), "short.mp4", 3.0);
    let settings = ScanSettings {
        min_duration_s: 4.0,
        ..ScanSettings::default()
    };
    let (verdict, cost) = scan(&catalog, settings.clone(), &short);
    assert_eq!(verdict, Verdict::NoMatch, "{cost:?}");
    assert_eq!(cost.rescans, 1, "{cost:?}");
    assert!(cost.evidence() > 0, "{cost:?}");
    // Both passes: 15 and 30 samples a second over 8 s.
    assert!((330..=370).contains(&cost.moments), "{cost:?}");
    // A first pass as dense as the second makes none.
    let dense = ScanSettings {
        fps: RESCAN_FPS,
        ..settings
    };
    let (verdict, cost) = scan(&catalog, dense, &short);
    assert_eq!(verdict, Verdict::NoMatch, "{cost:?}");
    assert_eq!(cost.rescans, 0, "{cost:?}");
    assert!((230..=250).contains(&cost.moments), "{cost:?}");
}

#[test]
fn a_clip_with_no_evidence_is_scanned_once() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = common::catalog_of_scene_1(tmp.path(), 20.0, &ENCODING);
    let other = clip(tmp.path(), "other.mp4", 0.0);
    let (verdict, cost) = scan(&catalog, ScanSettings::default(), &other);
    assert_eq!(verdict, Verdict::NoMatch, "{cost:?}");
    assert_eq!((cost.evidence(), cost.rescans), (0, 0), "{cost:?}");
}
