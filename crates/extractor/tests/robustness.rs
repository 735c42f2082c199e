//! On a real film excerpt: a frame's hash stays near its original after
//! the transforms leaked copies go through, and unrelated frames stay far.
//! The bounds leave room above the measured distributions (README, "How it
//! works"; `scripts/measure-robustness.sh` prints them).

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

mod common;

use common::{dense, fetched, generated};
use vfp_fingerprint::stats::{pairs_by_time, Distribution};
use vfp_fingerprint::Fingerprint;

const FPS: f32 = 8.0;

fn distances(a: &Fingerprint, b: &Fingerprint, mirrored: bool) -> Distribution {
    let d: Vec<u32> = pairs_by_time(a, b, 1)
        .into_iter()
        .map(|(x, y)| {
            if mirrored {
                x.mirrored.hamming(&y.hash)
            } else {
                x.hash.hamming(&y.hash)
            }
        })
        .collect();
    assert!(d.len() >= 60, "only {} frame pairs", d.len());
    Distribution::of(d).expect("pairs")
}

/// Median and 95th percentile bounds for one transform.
fn assert_near(transform: &str, mirrored: bool, max_median: u32, max_p95: u32) {
    let reference = dense(&generated("ref.mp4"), FPS);
    let copy = dense(&generated(transform), FPS);
    let d = distances(&reference, &copy, mirrored);
    assert!(
        d.median <= max_median && d.p95 <= max_p95,
        "{transform}: median {} (max {max_median}), p95 {} (max {max_p95})",
        d.median,
        d.p95
    );
}

#[test]
fn low_bitrate_reencode_stays_near() {
    assert_near("crf-low-bitrate.mp4", false, 8, 16);
}

#[test]
fn downscale_to_240p_stays_near() {
    assert_near("downscale-240p.mp4", false, 8, 16);
}

#[test]
fn letterbox_to_16x9_stays_near() {
    assert_near("letterbox-16x9.mp4", false, 12, 20);
}

#[test]
fn letterbox_to_21x9_stays_near() {
    assert_near("letterbox-21x9.mp4", false, 12, 24);
}

#[test]
fn vertical_reframe_with_black_bars_stays_near() {
    assert_near("vertical-black.mp4", false, 16, 32);
}

#[test]
fn vertical_reframe_with_blurred_fill_stays_near() {
    assert_near("vertical-blur.mp4", false, 20, 32);
}

#[test]
fn burned_in_watermark_stays_near() {
    assert_near("watermark-text.mp4", false, 28, 40);
}

#[test]
fn brightness_and_contrast_change_stays_near() {
    assert_near("brightness-contrast.mp4", false, 12, 24);
}

#[test]
fn mirrored_copy_is_near_through_the_mirrored_variant_only() {
    assert_near("mirrored.mp4", true, 4, 8);
    let reference = dense(&generated("ref.mp4"), FPS);
    let copy = dense(&generated("mirrored.mp4"), FPS);
    let direct = distances(&reference, &copy, false);
    assert!(
        direct.median >= 80,
        "a mirrored frame hashes like a new picture: {direct:?}"
    );
}

#[test]
fn display_rotation_is_applied() {
    let sideways = dense(&generated("sideways.mp4"), FPS);
    assert_ne!(
        sideways.source.rotation_deg, 0,
        "rotation metadata not read"
    );
    // Stored sideways (528x720), shown upright.
    assert_eq!((sideways.source.width, sideways.source.height), (528, 720));
    let reference = dense(&generated("ref.mp4"), FPS);
    let d = distances(&reference, &sideways, false);
    assert!(d.median <= 6 && d.p95 <= 12, "{d:?}");
}

#[test]
fn unrelated_frames_stay_far() {
    let film = dense(&generated("ref.mp4"), FPS);
    let street = dense(&fetched("vtest.avi"), 2.0);
    let phone = dense(&fetched("phone.mp4"), FPS);
    let mut d = Vec::new();
    for other in street
        .frames
        .iter()
        .chain(&phone.frames)
        .filter(|f| f.is_informative())
    {
        for f in film.frames.iter().filter(|f| f.is_informative()) {
            d.push(f.hash.hamming(&other.hash));
            d.push(f.mirrored.hamming(&other.hash));
        }
    }
    // Frames of the same film at least 3 s apart are unrelated too.
    let frames: Vec<_> = film.frames.iter().filter(|f| f.is_informative()).collect();
    for (i, a) in frames.iter().enumerate() {
        for b in &frames[i + 1..] {
            if b.t_ms - a.t_ms >= 3000 {
                d.push(a.hash.hamming(&b.hash));
            }
        }
    }
    let d = Distribution::of(d).expect("pairs");
    assert!(d.p5 >= 90 && d.median >= 115, "{d:?}");
    // Every transform's 95th percentile above stays below this 5th.
    assert!(d.p5 > 40);
}
