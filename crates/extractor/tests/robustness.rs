//! On a real film excerpt: a frame's hash stays near its original after
//! the transforms leaked copies go through, and unrelated frames stay far.
//! The bounds leave room above the measured distributions
//! (docs/how-it-works.md; `scripts/eval/robustness.sh` prints them).

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

mod common;

use common::{dense, fetched, generated};
use vfp_extractor::{extract_observed, ExtractOptions};
use vfp_fingerprint::stats::{pairs_by_time, Distribution};
use vfp_fingerprint::{Fingerprint, Sampling, ViewRegion, CATALOG_VIEW_PCT};

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

/// `fp` with `frames` (one of its view tracks) as its frames.
fn with_frames(fp: &Fingerprint, frames: &[vfp_fingerprint::HashedFrame]) -> Fingerprint {
    Fingerprint {
        frames: frames.to_vec(),
        ..fp.clone()
    }
}

/// The frames of `fp`'s view track of `region` (the first, its largest
/// zoom).
fn track(fp: &Fingerprint, region: ViewRegion) -> Fingerprint {
    let track = fp
        .views
        .iter()
        .find(|v| v.region == region)
        .unwrap_or_else(|| panic!("a {region:?} view track"));
    with_frames(fp, &track.frames)
}

/// Time for time, the distance from `stored` (a reference's catalog track)
/// to `copy`'s track of `region`.
fn region_distances(stored: &Fingerprint, copy: &Fingerprint, region: ViewRegion) -> Distribution {
    let copy = track(copy, region);
    let pairs = pairs_by_time(stored, &copy, 1);
    Distribution::of(pairs.iter().map(|(a, b)| a.hash.hamming(&b.hash)).collect()).expect("pairs")
}

/// The reference film as a catalog stores it: its catalog view.
fn catalog_view(reference: &Fingerprint) -> Fingerprint {
    let stored = reference.view(CATALOG_VIEW_PCT).expect("catalog view");
    with_frames(reference, &stored.frames)
}

/// Per moment, the distance from the reference's catalog view to the
/// nearest of the copy's views (what a scan compares).
fn view_distances(reference: &Fingerprint, copy: &Fingerprint) -> Distribution {
    let stored = catalog_view(reference);
    let mut best: Vec<u32> = Vec::new();
    for (_, frames) in copy.tracks() {
        let copy = with_frames(copy, frames);
        let d: Vec<u32> = pairs_by_time(&stored, &copy, 1)
            .into_iter()
            .map(|(x, y)| x.hash.hamming(&y.hash))
            .collect();
        if best.is_empty() {
            best = d;
        } else {
            best.iter_mut().zip(d).for_each(|(b, d)| *b = (*b).min(d));
        }
    }
    assert!(best.len() >= 60, "only {} frame pairs", best.len());
    Distribution::of(best).expect("pairs")
}

#[test]
fn a_cropped_copy_is_near_through_a_centred_view() {
    let reference = dense(&generated("ref.mp4"), FPS);
    let cropped = dense(&generated("crop-85.mp4"), FPS);
    // The whole pictures are far apart...
    let whole = distances(&reference, &cropped, false);
    assert!(whole.median >= 40, "{whole:?}");
    // ...but the copy's 87 % view shows the reference's 75 % (0.87 x 0.85).
    let d = view_distances(&reference, &cropped);
    assert!(d.median <= 20 && d.p95 <= 30, "{d:?}");
}

#[test]
fn a_tilted_copy_is_detected_and_turned_back() {
    let mut tilts = Vec::new();
    let path = generated("tilt-5deg.mp4");
    let tilted = extract_observed(
        &path,
        &ExtractOptions::with_sampling(Sampling::Dense { fps: FPS }),
        |s| tilts.push(s.tilt_deg),
    )
    .unwrap();
    let found: Vec<f32> = tilts.iter().flatten().copied().collect();
    assert!(found.len() * 10 >= tilts.len() * 9, "{tilts:?}");
    assert!(
        found.iter().all(|t| (t.abs() - 5.0).abs() <= 0.5),
        "{found:?}"
    );
    let reference = dense(&generated("ref.mp4"), FPS);
    let whole = distances(&reference, &tilted, false);
    let d = view_distances(&reference, &tilted);
    assert!(
        d.median <= 12 && d.p95 <= 20,
        "{d:?} (whole pictures {whole:?})"
    );
    // Upright videos are never turned.
    let mut upright = Vec::new();
    extract_observed(
        &generated("ref.mp4"),
        &ExtractOptions::with_sampling(Sampling::Dense { fps: FPS }),
        |s| upright.push(s.tilt_deg),
    )
    .unwrap();
    assert!(upright.iter().all(Option::is_none), "{upright:?}");
}

#[test]
fn an_inset_picture_is_found_and_hashed_on_its_own() {
    let path = generated("pip.mp4");
    let opts = ExtractOptions::with_sampling(Sampling::Dense { fps: FPS });
    let mut insets = Vec::new();
    let pip = extract_observed(&path, &opts, |s| insets.push(s.inset)).unwrap();
    // The film sits at x 360..684, y 48..286 of 720x528: in the 192-pixel
    // working picture, x 96..182, y 17..104.
    let found: Vec<_> = insets.iter().flatten().collect();
    assert!(found.len() * 10 >= insets.len() * 9, "{insets:?}");
    for r in &found {
        let near = |a: usize, b: usize| a.abs_diff(b) <= 2;
        assert!(
            near(r.x0, 96) && near(r.x1, 182) && near(r.y0, 17) && near(r.y1, 104),
            "{r:?}"
        );
    }
    let reference = dense(&generated("ref.mp4"), FPS);
    let d = region_distances(&catalog_view(&reference), &pip, ViewRegion::Inset);
    // Measured: median 24, p95 32 (the film is 87 working pixels wide).
    assert!(d.median <= 28 && d.p95 <= 40, "{d:?}");
    // The whole frame is mostly street: far from the film.
    let whole = distances(&reference, &pip, false);
    assert!(whole.median >= 80, "{whole:?}");
}

#[test]
fn a_split_screen_is_split_and_its_panes_hashed_through_their_windows() {
    let path = generated("split-screen.mp4");
    let opts = ExtractOptions::with_sampling(Sampling::Dense { fps: FPS });
    let mut panes = Vec::new();
    let split = extract_observed(&path, &opts, |s| panes.push(s.panes)).unwrap();
    // The film fills the top 320 rows of 360x640: the line is at working
    // row 96.
    let found: Vec<_> = panes.iter().flatten().collect();
    assert!(found.len() * 10 >= panes.len() * 9, "{panes:?}");
    for p in &found {
        assert!(
            (94..=96).contains(&p.upper.y1) && (96..=98).contains(&p.lower.y0),
            "{p:?}"
        );
    }
    let reference = dense(&generated("ref.mp4"), FPS);
    let stored = track(&reference, ViewRegion::Window);
    let upper = region_distances(&stored, &split, ViewRegion::UpperPaneWindow);
    let lower = region_distances(&stored, &split, ViewRegion::LowerPaneWindow);
    // Measured: upper median 16, p95 24 (the lower, street: 126 and 142).
    assert!(upper.median <= 22 && upper.p95 <= 32, "{upper:?}");
    assert!(lower.median >= 80, "{lower:?}");
    // One picture is not split.
    for name in [
        "ref.mp4",
        "vertical-crop.mp4",
        "pip.mp4",
        "letterbox-21x9.mp4",
    ] {
        let mut panes = Vec::new();
        extract_observed(&generated(name), &opts, |s| panes.push(s.panes)).unwrap();
        assert!(panes.iter().all(Option::is_none), "{name}: {panes:?}");
    }
}

#[test]
fn a_filmed_screen_is_found_and_unwarped() {
    let path = generated("camcord.mp4");
    let opts = ExtractOptions::with_sampling(Sampling::Dense { fps: FPS });
    let mut screens = Vec::new();
    let filmed = extract_observed(&path, &opts, |s| screens.push(s.screen)).unwrap();
    // The film's corners, where `perspective` put them (720x528, working
    // pixels 192x192): about (19, 17), (174, 21), (16, 173), (177, 171).
    let expected = [(19.0, 17.0), (174.0, 21.0), (16.0, 173.0), (177.0, 171.0)];
    let found: Vec<_> = screens.iter().flatten().collect();
    assert!(found.len() * 10 >= screens.len() * 9, "{screens:?}");
    for quad in &found {
        for (c, e) in quad.corners.iter().zip(expected) {
            assert!(
                (c.0 - e.0).abs() <= 4.0 && (c.1 - e.1).abs() <= 4.0,
                "{quad:?}"
            );
        }
    }
    let reference = dense(&generated("ref.mp4"), FPS);
    let d = region_distances(&catalog_view(&reference), &filmed, ViewRegion::Screen);
    // Measured: median 38, p95 46 (44 and 52 with edges to the whole
    // pixel); vignette, grain and the monitor's gamma stay in the picture,
    // and the scan matches it over 11 s.
    assert!(d.median <= 44 && d.p95 <= 54, "{d:?}");
    // Pictures that are not filmed screens have none.
    for name in [
        "ref.mp4",
        "letterbox-21x9.mp4",
        "vertical-black.mp4",
        "vertical-blur.mp4",
        "pip.mp4",
        "tilt-5deg.mp4",
        "low-information.mp4",
        "split-screen.mp4",
    ] {
        let mut screens = Vec::new();
        extract_observed(&generated(name), &opts, |s| screens.push(s.screen)).unwrap();
        assert!(screens.iter().all(Option::is_none), "{name}: {screens:?}");
    }
}

#[test]
fn caption_boxes_do_not_stretch_the_picture() {
    // The film fills rows 188..452 of 360x640 (working rows 56..136); white
    // boxes cover 152..208 and 432..488, 20 px over each edge.
    let opts = ExtractOptions::with_sampling(Sampling::Dense { fps: FPS });
    let mut areas = Vec::new();
    extract_observed(&generated("caption-bars.mp4"), &opts, |s| {
        areas.push((s.frame.t_ms, s.active))
    })
    .unwrap();
    for (t_ms, a) in &areas {
        // Until the first window's dark scene has shown the picture beside
        // the boxes, the picture may stop at the boxes' inner edges.
        let (top, bottom) = if *t_ms < 4_500 {
            (56..=64, 128..=136)
        } else {
            (55..=57, 135..=137)
        };
        assert!(
            top.contains(&a.y0) && bottom.contains(&a.y1) && (a.x0, a.x1) == (0, 192),
            "{t_ms} ms: {a:?}"
        );
    }
}

#[test]
fn the_whole_frame_is_also_hashed_where_borders_were_cut() {
    let has_frame_track = |fp: &Fingerprint| fp.views.iter().any(|v| v.region == ViewRegion::Frame);
    let boxed = dense(&generated("letterbox-21x9.mp4"), FPS);
    assert!(has_frame_track(&boxed));
    assert!(!has_frame_track(&dense(&generated("ref.mp4"), FPS)));
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
