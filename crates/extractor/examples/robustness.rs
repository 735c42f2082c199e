//! Measures how far frame hashes move under transforms, for vfp's
//! `dct256-v1` hash and for `image_hasher`'s 256-bit DCT hash (Median,
//! 16×16, `preproc_dct`) fed the same active-area crops, and how far apart
//! unrelated frames are. Prints a Markdown table.
//!
//! ```text
//! cargo run --release -p vfp-extractor --example robustness -- \
//!     REF.mp4 [--fps N] NAME=TRANSFORMED.mp4... unrelated=OTHER.mp4...
//! ```
//! A transform named `mirrored` is compared through the mirrored variant.
//! `scripts/eval/robustness.sh` runs it on the test clips.

use image::GrayImage;
use image_hasher::{HashAlg, HasherConfig, ImageHash};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use vfp_extractor::{extract_observed, ExtractOptions, LumaImage, Rect};
use vfp_fingerprint::stats::Distribution;
use vfp_fingerprint::{FrameHash, HashedFrame, Sampling};

/// One sample: vfp's frame plus image_hasher's hashes of the same crop.
struct Sample {
    frame: HashedFrame,
    ih: ImageHash,
    ih_mirrored: ImageHash,
}

fn crop(picture: &LumaImage, r: Rect) -> GrayImage {
    let mut img = GrayImage::new(r.width() as u32, r.height() as u32);
    for (y, row) in (r.y0..r.y1).enumerate() {
        for (x, &v) in picture.row(row)[r.x0..r.x1].iter().enumerate() {
            img.put_pixel(x as u32, y as u32, image::Luma([v]));
        }
    }
    img
}

fn samples(path: &Path, fps: f32) -> Vec<Sample> {
    let hasher = HasherConfig::new()
        .hash_size(16, 16)
        .hash_alg(HashAlg::Median)
        .preproc_dct()
        .to_hasher();
    let opts = ExtractOptions::with_sampling(Sampling::Dense { fps });
    let mut out = Vec::new();
    extract_observed(path, &opts, |view| {
        let img = crop(view.picture, view.active);
        let flipped = image::imageops::flip_horizontal(&img);
        out.push(Sample {
            frame: *view.frame,
            ih: hasher.hash_image(&img),
            ih_mirrored: hasher.hash_image(&flipped),
        });
    })
    .unwrap_or_else(|e| panic!("{e}"));
    out.retain(|s| s.frame.is_informative());
    out
}

fn row(name: &str, ours: Vec<u32>, theirs: Vec<u32>) {
    let (Some(a), Some(b)) = (Distribution::of(ours), Distribution::of(theirs)) else {
        println!("| {name} | 0 | | | | | | |");
        return;
    };
    println!(
        "| {name} | {} | {} | {} | {} | {} | {} | {} |",
        a.count, a.p5, a.median, a.p95, b.p5, b.median, b.p95
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let reference = PathBuf::from(
        args.next()
            .expect("usage: robustness REF [--fps N] NAME=PATH..."),
    );
    let mut fps = 8.0;
    let mut transforms = BTreeMap::new();
    let mut unrelated = Vec::new();
    while let Some(a) = args.next() {
        if a == "--fps" {
            fps = args.next().and_then(|v| v.parse().ok()).expect("--fps N");
        } else if let Some((name, path)) = a.split_once('=') {
            if name == "unrelated" {
                unrelated.push(PathBuf::from(path));
            } else {
                transforms.insert(name.to_owned(), PathBuf::from(path));
            }
        }
    }
    let reference_samples = samples(&reference, fps);
    let hamming = |a: &FrameHash, b: &FrameHash| a.hamming(b);
    println!("| pairs of frames | pairs | vfp p5 | vfp median | vfp p95 | image_hasher p5 | image_hasher median | image_hasher p95 |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (name, path) in &transforms {
        let other = samples(path, fps);
        let mirrored = name == "mirrored";
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for r in &reference_samples {
            if let Some(o) = other
                .iter()
                .find(|o| o.frame.t_ms.abs_diff(r.frame.t_ms) <= 1)
            {
                if mirrored {
                    ours.push(hamming(&r.frame.mirrored, &o.frame.hash));
                    theirs.push(r.ih_mirrored.dist(&o.ih));
                } else {
                    ours.push(hamming(&r.frame.hash, &o.frame.hash));
                    theirs.push(r.ih.dist(&o.ih));
                }
            }
        }
        row(name, ours, theirs);
    }
    // Unrelated: frames of the reference at least 3 s apart, and frames of
    // other videos.
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for (i, a) in reference_samples.iter().enumerate() {
        for b in &reference_samples[i + 1..] {
            if b.frame.t_ms - a.frame.t_ms >= 3000 {
                ours.push(hamming(&a.frame.hash, &b.frame.hash));
                theirs.push(a.ih.dist(&b.ih));
            }
        }
    }
    row("unrelated: same film, >= 3 s apart", ours, theirs);
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for path in &unrelated {
        for o in samples(path, fps) {
            for r in &reference_samples {
                ours.push(hamming(&r.frame.hash, &o.frame.hash));
                ours.push(hamming(&r.frame.mirrored, &o.frame.hash));
                theirs.push(r.ih.dist(&o.ih));
                theirs.push(r.ih_mirrored.dist(&o.ih));
            }
        }
    }
    row("unrelated: other videos (both orientations)", ours, theirs);
}
