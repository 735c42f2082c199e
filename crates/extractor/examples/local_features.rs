//! How well local features alone tell a set's copies from its negatives:
//! every title of an eval set's catalog and every clip are extracted with
//! the features a catalog and a scan use; each clip's feature frames are
//! compared with every title feature frame by brute force (best match per
//! keypoint, ratio test, one translation vote), and the offsets that
//! several title frames agree on are reported beside the truth.
//!
//! ```text
//! cargo run --release -p vfp-extractor --example local_features -- SET_DIR [TRANSFORM_SUBSTRING]
//! ```

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use vfp_extractor::features::FeatureOptions;
use vfp_extractor::{extract, ExtractOptions};
use vfp_fingerprint::local::{FeatureFrame, Keypoint};
use vfp_fingerprint::Sampling;

/// Largest descriptor distance of a keypoint match.
const MAX_DISTANCE: u32 = 64;
/// A match's best distance must be below this share of the second best.
const RATIO: f32 = 0.8;
/// Inliers a (clip frame, title frame) pair needs to count.
const MIN_INLIERS: usize = 8;

fn extract_with(path: &Path, features: FeatureOptions) -> Vec<FeatureFrame> {
    let opts = ExtractOptions::with_sampling(Sampling::Dense { fps: 4.0 }).with_features(features);
    match extract(path, &opts) {
        Ok(fp) => fp.features,
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            Vec::new()
        }
    }
}

/// Keypoints of `clip` agreeing on one translation into `title`, after
/// the ratio test.
fn inliers(clip: &[Keypoint], title: &[Keypoint]) -> usize {
    let mut bins: HashMap<(i32, i32), usize> = HashMap::new();
    for a in clip {
        let (mut best, mut d1, mut d2) = (None, u32::MAX, u32::MAX);
        for b in title {
            let d = a.distance(b);
            if d < d1 {
                (d2, d1, best) = (d1, d, Some(b));
            } else if d < d2 {
                d2 = d;
            }
        }
        if let Some(b) = best.filter(|_| d1 <= MAX_DISTANCE && d1 as f32 <= RATIO * d2 as f32) {
            let dx = (i32::from(b.x) - i32::from(a.x)).div_euclid(2);
            let dy = (i32::from(b.y) - i32::from(a.y)).div_euclid(2);
            *bins.entry((dx, dy)).or_default() += 1;
        }
    }
    bins.keys()
        .map(|&(x, y)| {
            (-1..=1)
                .flat_map(|i| (-1..=1).map(move |j| (x + i, y + j)))
                .filter_map(|k| bins.get(&k))
                .sum()
        })
        .max()
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(set) = args.get(1).map(Path::new) else {
        eprintln!("usage: local_features SET_DIR [TRANSFORM_SUBSTRING]");
        std::process::exit(2);
    };
    let filter = args.get(2).cloned().unwrap_or_default();
    let read = |name: &str| std::fs::read_to_string(set.join(name)).unwrap_or_default();
    let mut titles: Vec<(String, FeatureFrame)> = Vec::new();
    for line in read("catalog.csv").lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        for frame in extract_with(&set.join(f[1]), FeatureOptions::title()) {
            titles.push((f[0].to_string(), frame));
        }
    }
    let stored: usize = titles.iter().map(|(_, f)| f.keypoints.len()).sum();
    println!(
        "catalog: {} feature frames, {stored} keypoints",
        titles.len()
    );
    for line in read("truth.csv").lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 8 || !f[7].contains(&filter) {
            continue;
        }
        // (title frame, clip time, inliers) of every pair that counts.
        let mut pairs: Vec<(usize, u32, usize)> = Vec::new();
        let clip = extract_with(&set.join(f[1]), FeatureOptions::clip());
        for c in &clip {
            let mirrored: Vec<Keypoint> = c.keypoints.iter().map(|k| k.mirrored(c.width)).collect();
            for (ti, (_, t)) in titles.iter().enumerate() {
                let n = inliers(&c.keypoints, &t.keypoints).max(inliers(&mirrored, &t.keypoints));
                if n >= MIN_INLIERS {
                    pairs.push((ti, c.t_ms, n));
                }
            }
        }
        // Offsets several distinct title frames agree on (±600 ms).
        let mut best: Option<(String, i64, usize)> = None;
        for &(ti, q_ms, _) in &pairs {
            let off = i64::from(titles[ti].1.t_ms) - i64::from(q_ms);
            let agreeing: BTreeSet<usize> = pairs
                .iter()
                .filter(|&&(tj, q2, _)| {
                    titles[tj].0 == titles[ti].0
                        && (i64::from(titles[tj].1.t_ms) - i64::from(q2) - off).abs() <= 600
                })
                .map(|&(tj, _, _)| tj)
                .collect();
            if best.as_ref().is_none_or(|b| agreeing.len() > b.2) {
                best = Some((titles[ti].0.clone(), off, agreeing.len()));
            }
        }
        let truth = if f[2].is_empty() {
            "negative".to_string()
        } else {
            f[2].to_string()
        };
        match best {
            Some((title, off, n)) => {
                let verdict = match (f[2].is_empty(), title == f[2]) {
                    (true, _) => "negative",
                    (false, true) => "HIT",
                    (false, false) => "wrong",
                };
                println!(
                    "{} {:40} truth {truth:8} best {title} at {:+.1} s, {n} title frames: {verdict}",
                    f[0], f[7], off as f64 / 1000.0
                );
            }
            None => println!("{} {:40} truth {truth:8} nothing", f[0], f[7]),
        }
    }
}
