//! How far the hash moves when the view it is taken on is shifted or
//! scaled a little: per sample of a video, the distance between the hash
//! of a centred crop and of the same crop moved sideways by a share of the
//! frame's width, or grown by a factor. This is what decides whether a
//! copy that shows an off-centre part of a title (a zoom, a panned 9:16
//! crop) can be matched by searching a grid of views.
//!
//! ```text
//! cargo run --release -p vfp-extractor --example shift_tolerance -- VIDEO
//! ```

use std::path::Path;
use vfp_extractor::hash::hash_picture;
use vfp_extractor::{extract_observed, ExtractOptions, LumaImage, Rect, Resampler};
use vfp_fingerprint::stats::Distribution;

/// The working pictures' side.
const SIDE: usize = vfp_extractor::luma::WORK_SIDE;

/// The square crop of `zoom` of the side, centred, then moved right by
/// `shift` of the side.
fn crop(zoom: f32, shift: f32) -> Rect {
    let w = ((SIDE as f32 * zoom).round() as usize).clamp(1, SIDE);
    let x0 = ((SIDE - w) as f32 / 2.0 + shift * SIDE as f32).round() as usize;
    let y0 = (SIDE - w) / 2;
    Rect {
        x0: x0.min(SIDE - w),
        x1: x0.min(SIDE - w) + w,
        y0,
        y1: y0 + w,
    }
}

fn distances(pictures: &[LumaImage], a: Rect, b: Rect) -> Option<Distribution> {
    let (ra, rb) = (Resampler::new(a, SIDE), Resampler::new(b, SIDE));
    Distribution::of(
        pictures
            .iter()
            .map(|p| {
                hash_picture(&ra.resample(p))
                    .hash
                    .hamming(&hash_picture(&rb.resample(p)).hash)
            })
            .collect(),
    )
}

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: shift_tolerance VIDEO");
        std::process::exit(2);
    };
    let opts = ExtractOptions::with_sampling(vfp_fingerprint::Sampling::Dense { fps: 2.0 });
    let mut pictures = Vec::new();
    if let Err(e) = extract_observed(Path::new(&path), &opts, |s| {
        pictures.push(s.picture.clone())
    }) {
        eprintln!("{path}: {e}");
        std::process::exit(1);
    }
    println!("| crop | change | median | p95 |");
    println!("|---|---|---:|---:|");
    for zoom in [0.52f32, 0.75] {
        let row = |change: String, d: Option<Distribution>| {
            if let Some(d) = d {
                println!(
                    "| {:.0} % | {change} | {} | {} |",
                    zoom * 100.0,
                    d.median,
                    d.p95
                );
            }
        };
        for shift in [0.005f32, 0.01, 0.02, 0.03, 0.05] {
            let d = distances(&pictures, crop(zoom, 0.0), crop(zoom, shift));
            row(format!("shifted {:.1} % of the width", shift * 100.0), d);
        }
        for scale in [1.01f32, 1.02, 1.04] {
            let d = distances(&pictures, crop(zoom, 0.0), crop(zoom * scale, 0.0));
            row(format!("scaled ×{scale}"), d);
        }
    }
}
