//! Per-frame distances on an evaluation set of `../shared/eval`
//! (`make_set.py`). Titles are sampled at the default dense rate, queries
//! at QUERY_FPS. For every title sample inside a positive query's excerpt:
//! the distance to the query frame nearest to that moment (the better of
//! the direct and the mirrored hash), per transform. For every negative
//! query frame: the distance to its nearest frame anywhere in the catalog.
//! This is what the per-frame match threshold must separate.
//!
//! ```text
//! cargo run --release -p vfp-extractor --example eval_frames -- SET_DIR [QUERY_FPS]
//! ```
//! Reads `catalog.csv` and `truth.csv` of the set (truth only to score).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use vfp_extractor::{extract, ExtractOptions};
use vfp_fingerprint::stats::Distribution;
use vfp_fingerprint::{Fingerprint, HashedFrame};

fn csv(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .split(',')
        .map(str::to_owned)
        .collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(str::to_owned))
                .collect()
        })
        .collect()
}

fn fingerprint(path: &Path, fps: f32) -> Option<Fingerprint> {
    let opts = ExtractOptions::with_sampling(vfp_fingerprint::Sampling::Dense { fps });
    match extract(path, &opts) {
        Ok(fp) => Some(fp),
        Err(e) => {
            eprintln!("skipped: {e}");
            None
        }
    }
}

fn distance(a: &HashedFrame, b: &HashedFrame) -> u32 {
    a.hash.hamming(&b.hash).min(a.mirrored.hamming(&b.hash))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let set = PathBuf::from(args.next().expect("usage: eval_frames SET_DIR [QUERY_FPS]"));
    let query_fps: f32 = args.next().map_or(4.0, |v| v.parse().expect("QUERY_FPS"));
    let mut titles: HashMap<String, Fingerprint> = HashMap::new();
    for row in csv(&set.join("catalog.csv")) {
        if let Some(fp) = fingerprint(
            &set.join(&row["file"]),
            vfp_fingerprint::Sampling::DEFAULT_FPS,
        ) {
            titles.insert(row["title_id"].clone(), fp);
        }
    }
    let catalog: Vec<&HashedFrame> = titles
        .values()
        .flat_map(|t| t.frames.iter().filter(|f| f.is_informative()))
        .collect();
    let mut positives: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut negatives = Vec::new();
    let mut low_information = (0usize, 0usize);
    for row in csv(&set.join("truth.csv")) {
        let Some(query) = fingerprint(&set.join(&row["query_file"]), query_fps) else {
            continue;
        };
        low_information.0 += query.frames.iter().filter(|f| !f.is_informative()).count();
        low_information.1 += query.frames.len();
        let title = &row["title_id"];
        if title.is_empty() {
            for q in query.frames.iter().filter(|f| f.is_informative()) {
                if let Some(d) = catalog.iter().map(|c| distance(c, q)).min() {
                    negatives.push(d);
                }
            }
            continue;
        }
        let Some(reference) = titles.get(title) else {
            continue;
        };
        let num = |k: &str| row[k].parse::<f64>().unwrap_or(f64::NAN);
        let (t0, q0, q1, speed) = (
            num("title_start_s"),
            num("query_start_s"),
            num("query_end_s"),
            num("speed"),
        );
        let speed = if speed.is_finite() { speed } else { 1.0 };
        let transform = row["transform"].clone();
        // Each reference sample inside the excerpt against the query frame
        // nearest to it in time: what a lookup of that query frame sees.
        let half_period_ms = 500.0 / f64::from(query_fps) + 1.0;
        for r in reference.frames.iter().filter(|f| f.is_informative()) {
            let r_s = f64::from(r.t_ms) / 1000.0;
            let q_s = q0 + (r_s - t0) / speed;
            if q_s < q0 || q_s > q1 {
                continue;
            }
            let nearest = query
                .frames
                .iter()
                .filter(|f| f.is_informative())
                .min_by(|a, b| {
                    let da = (f64::from(a.t_ms) - q_s * 1000.0).abs();
                    let db = (f64::from(b.t_ms) - q_s * 1000.0).abs();
                    da.total_cmp(&db)
                });
            if let Some(q) = nearest {
                if (f64::from(q.t_ms) - q_s * 1000.0).abs() <= half_period_ms * speed.max(1.0) {
                    positives
                        .entry(transform.clone())
                        .or_default()
                        .push(distance(r, q));
                }
            }
        }
    }
    println!("| query frames | frames | p5 | median | p95 | share <= 40 |");
    println!("|---|---:|---:|---:|---:|---:|");
    let row = |name: &str, d: Vec<u32>| {
        let within = d.iter().filter(|&&x| x <= 40).count() as f64 / d.len().max(1) as f64;
        if let Some(s) = Distribution::of(d) {
            println!(
                "| {name} | {} | {} | {} | {} | {within:.3} |",
                s.count, s.p5, s.median, s.p95
            );
        }
    };
    let mut all = Vec::new();
    for (name, d) in positives {
        all.extend_from_slice(&d);
        row(&name, d);
    }
    let mut shares = String::new();
    for r in [7u32, 11, 15, 23, 31, 40, 47] {
        let within = all.iter().filter(|&&d| d <= r).count() as f64 / all.len().max(1) as f64;
        shares.push_str(&format!(" <= {r}: {within:.3};"));
    }
    row("**all positives** (to the true title frame)", all);
    let mut sorted = negatives.clone();
    sorted.sort_unstable();
    row("**negatives** (to the nearest catalog frame)", negatives);
    println!("\nshare of positive frames within a radius:{shares}");
    println!(
        "negative frames' nearest catalog distance, lowest: {:?}; low-information query frames: {} of {}",
        &sorted[..sorted.len().min(10)],
        low_information.0,
        low_information.1
    );
}
