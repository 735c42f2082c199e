//! How well local features alone tell a set's copies from its negatives:
//! every title of an eval set's catalog and every clip are extracted with
//! the features a catalog and a scan use; each clip's feature frames are
//! compared with every title feature frame by brute force (best match per
//! keypoint, ratio test, one translation vote), and the offsets that
//! several title frames agree on are reported beside the truth. Last, the
//! false-positive margin: over every (negative clip picture, title
//! picture) pair, how many keypoints agreed on one translation.
//!
//! ```text
//! cargo run --release -p vfp-extractor --example local_features -- SET_DIR [TRANSFORM_SUBSTRING] [negatives]
//! ```

use std::collections::BTreeSet;
use std::path::Path;
use vfp_extractor::features::FeatureOptions;
use vfp_extractor::{extract, ExtractOptions};
use vfp_fingerprint::local::{FeatureFrame, Keypoint};
use vfp_fingerprint::Sampling;
use vfp_matcher::local::LocalParams;

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
/// the ratio test (the matcher's comparison).
fn inliers(clip: &[Keypoint], title: &[Keypoint]) -> usize {
    vfp_matcher::local::inliers(clip, title, &LocalParams::default()).count
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(set) = args.get(1).map(Path::new) else {
        eprintln!("usage: local_features SET_DIR [TRANSFORM_SUBSTRING]");
        std::process::exit(2);
    };
    let filter = args.get(2).cloned().unwrap_or_default();
    let negatives_only = args.get(3).is_some_and(|a| a == "negatives");
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
    // Negative (clip picture, title picture) pairs by inliers (the last
    // bin: that many or more).
    let mut negative_pairs = [0u64; 16];
    for line in read("truth.csv").lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 8 || !f[7].contains(&filter) || (negatives_only && !f[2].is_empty()) {
            continue;
        }
        // (title frame, clip time, inliers) of every pair that counts.
        let mut pairs: Vec<(usize, u32, usize)> = Vec::new();
        let negative = f[2].is_empty();
        let clip = extract_with(&set.join(f[1]), FeatureOptions::clip());
        for c in &clip {
            let mirrored: Vec<Keypoint> = c.keypoints.iter().map(|k| k.mirrored(c.width)).collect();
            for (ti, (_, t)) in titles.iter().enumerate() {
                let n = inliers(&c.keypoints, &t.keypoints).max(inliers(&mirrored, &t.keypoints));
                if negative {
                    negative_pairs[n.min(negative_pairs.len() - 1)] += 1;
                }
                if std::env::var("DEBUG_TITLE").is_ok_and(|d| d == titles[ti].0) && n >= 4 {
                    eprintln!(
                        "clip {} ms at {} % ({} kp) ~ title {} ms: {n}",
                        c.t_ms,
                        c.scale_pct,
                        c.keypoints.len(),
                        t.t_ms
                    );
                }
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
    let total: u64 = negative_pairs.iter().sum();
    println!("negative picture pairs: {total}; by keypoints on one translation:");
    for (n, count) in negative_pairs.iter().enumerate().filter(|(_, &c)| c > 0) {
        let plus = if n == negative_pairs.len() - 1 {
            "+"
        } else {
            ""
        };
        println!("  {n:2}{plus}: {count}");
    }
}
