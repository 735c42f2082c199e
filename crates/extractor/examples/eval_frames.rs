//! Per-frame distances on an evaluation set of `../shared/eval`
//! (`make_set.py`), as a scan sees them: titles are sampled at the default
//! dense rate and stored by their catalog view and 9:16 window (as a
//! catalog stores them), queries are sampled at
//! QUERY_FPS and offer every view at least as large. For every title sample
//! inside a positive query's excerpt: the distance to the query moment
//! nearest to it (the best of its views, direct or mirrored), per
//! transform. For every moment of a negative query, and of each video
//! listed in NEGATIVES_LIST (one path per line): the distance to its nearest
//! frame anywhere in the catalog. This is what the per-frame match radius
//! must separate. Unrelated moments within 63 bits of a catalog frame are
//! listed with the video, the time and the view that came near.
//!
//! ```text
//! cargo run --release -p vfp-extractor --example eval_frames -- SET_DIR [QUERY_FPS [NEGATIVES_LIST]]
//! ```
//! Reads `catalog.csv` and `truth.csv` of the set (truth only to score).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use vfp_extractor::{extract, ExtractOptions};
use vfp_fingerprint::stats::Distribution;
use vfp_fingerprint::{Fingerprint, FrameHash, HashedFrame, ViewRegion, CATALOG_VIEW_PCT};

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

/// Catalog frame `c` against every view of query moment `i` (direct or
/// mirrored): the best distance.
fn distance(c: &HashedFrame, query: &Fingerprint, i: usize) -> Option<u32> {
    query
        .tracks()
        .filter(|&(pct, _)| pct >= CATALOG_VIEW_PCT)
        .filter_map(|(_, frames)| frames.get(i))
        .filter(|q| q.is_informative())
        .map(|q| c.hash.hamming(&q.hash).min(c.hash.hamming(&q.mirrored)))
        .min()
}

/// The moments of `query` with at least one informative view.
fn moments(query: &Fingerprint) -> Vec<usize> {
    (0..query.frames.len())
        .filter(|&i| {
            query
                .tracks()
                .any(|(_, frames)| frames.get(i).is_some_and(HashedFrame::is_informative))
        })
        .collect()
}

/// Distance from every moment of `query` to its nearest catalog frame;
/// every (moment, catalog frame) distance counted in `pairs` (by distance).
fn nearest_to_catalog(
    query: &Fingerprint,
    catalog: &[&HashedFrame],
    out: &mut Vec<u32>,
    pairs: &mut [u64],
) -> Vec<String> {
    let mut near = Vec::new();
    for i in moments(query) {
        let mut nearest: Option<(u32, &HashedFrame)> = None;
        for c in catalog {
            if let Some(d) = distance(c, query, i) {
                pairs[d as usize] += 1;
                if nearest.is_none_or(|(n, _)| d < n) {
                    nearest = Some((d, c));
                }
            }
        }
        if let Some((d, c)) = nearest {
            out.push(d);
            if d <= NEAR_BITS {
                near.push(format!(
                    "{d} bits: {} at {:.2} s through {}",
                    query.source.file_name,
                    f64::from(query.frames[i].t_ms) / 1000.0,
                    nearest_view(c, query, i)
                ));
            }
        }
    }
    near
}

/// Unrelated moments this near a catalog frame are listed with the view
/// that came near.
const NEAR_BITS: u32 = 63;

/// Which view of query moment `i` is nearest to catalog frame `c`.
fn nearest_view(c: &HashedFrame, query: &Fingerprint, i: usize) -> String {
    let whole = std::iter::once((ViewRegion::Active, 100u8, query.frames.as_slice()));
    let views = query
        .views
        .iter()
        .map(|v| (v.region, v.zoom_pct, v.frames.as_slice()));
    whole
        .chain(views)
        .filter(|&(_, pct, _)| pct >= CATALOG_VIEW_PCT)
        .filter_map(|(region, pct, frames)| {
            let q = frames.get(i).filter(|q| q.is_informative())?;
            let d = c.hash.hamming(&q.hash).min(c.hash.hamming(&q.mirrored));
            Some((d, format!("{region:?} {pct} %")))
        })
        .min_by_key(|(d, _)| *d)
        .map_or_else(String::new, |(_, name)| name)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let set = PathBuf::from(args.next().expect("usage: eval_frames SET_DIR [QUERY_FPS]"));
    let query_fps: f32 = args.next().map_or(4.0, |v| v.parse().expect("QUERY_FPS"));
    let negatives_list = args.next().map(PathBuf::from);
    let mut titles: HashMap<String, Fingerprint> = HashMap::new();
    for row in csv(&set.join("catalog.csv")) {
        if let Some(fp) = fingerprint(
            &set.join(&row["file"]),
            vfp_fingerprint::Sampling::DEFAULT_FPS,
        ) {
            titles.insert(row["title_id"].clone(), fp);
        }
    }
    // What a catalog stores of a title: its view, and its 9:16 window
    // where it has one (at the same times).
    let stored = |t: &Fingerprint| {
        let mut frames = t
            .view(CATALOG_VIEW_PCT)
            .map(|v| v.frames.clone())
            .expect("titles have the catalog view");
        for window in t.views.iter().filter(|v| v.region == ViewRegion::Window) {
            frames.extend(window.frames.iter().copied());
        }
        frames
    };
    let stored: HashMap<String, Vec<HashedFrame>> = titles
        .iter()
        .map(|(id, t)| (id.clone(), stored(t)))
        .collect();
    let catalog: Vec<&HashedFrame> = stored
        .values()
        .flat_map(|frames| frames.iter().filter(|f| f.is_informative()))
        .collect();
    let mut positives: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut near = Vec::new();
    let mut negatives = Vec::new();
    // Unrelated (moment, catalog frame) pairs by distance: the chance that
    // one comparison of an unrelated moment with one catalog frame comes
    // within a radius (what a check along an alignment line risks).
    let mut pairs = vec![0u64; FrameHash::BITS as usize + 1];
    let mut low_information = (0usize, 0usize);
    for row in csv(&set.join("truth.csv")) {
        let Some(query) = fingerprint(&set.join(&row["query_file"]), query_fps) else {
            continue;
        };
        low_information.0 += query.frames.iter().filter(|f| !f.is_informative()).count();
        low_information.1 += query.frames.len();
        let title = &row["title_id"];
        if title.is_empty() {
            near.extend(nearest_to_catalog(
                &query,
                &catalog,
                &mut negatives,
                &mut pairs,
            ));
            continue;
        }
        let Some(reference) = stored.get(title) else {
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
        let sampled = moments(&query);
        // A title's stored hashes by time (its view and its window).
        let mut by_time: BTreeMap<u32, Vec<&HashedFrame>> = BTreeMap::new();
        for r in reference.iter().filter(|f| f.is_informative()) {
            by_time.entry(r.t_ms).or_default().push(r);
        }
        for (&t_ms, at_time) in &by_time {
            let r_s = f64::from(t_ms) / 1000.0;
            let q_s = q0 + (r_s - t0) / speed;
            if q_s < q0 || q_s > q1 {
                continue;
            }
            let gap = |i: usize| (f64::from(query.frames[i].t_ms) - q_s * 1000.0).abs();
            let nearest = sampled
                .iter()
                .copied()
                .min_by(|&a, &b| gap(a).total_cmp(&gap(b)));
            if let Some(i) = nearest {
                if gap(i) <= half_period_ms * speed.max(1.0) {
                    if let Some(d) = at_time.iter().filter_map(|r| distance(r, &query, i)).min() {
                        positives.entry(transform.clone()).or_default().push(d);
                    }
                }
            }
        }
    }
    let mut extra = Vec::new();
    if let Some(list) = negatives_list {
        let text =
            std::fs::read_to_string(&list).unwrap_or_else(|e| panic!("{}: {e}", list.display()));
        for path in text.lines().filter(|l| !l.trim().is_empty()) {
            if let Some(video) = fingerprint(Path::new(path.trim()), query_fps) {
                near.extend(nearest_to_catalog(&video, &catalog, &mut extra, &mut pairs));
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
    for r in [7u32, 11, 15, 23, 31, 40, 47, 55, 63] {
        let within = all.iter().filter(|&&d| d <= r).count() as f64 / all.len().max(1) as f64;
        shares.push_str(&format!(" <= {r}: {within:.3};"));
    }
    row("**all positives** (to the true title frame)", all);
    let mut sorted = negatives.clone();
    sorted.sort_unstable();
    row("**negatives** (to the nearest catalog frame)", negatives);
    let mut lowest_listed = extra.clone();
    lowest_listed.sort_unstable();
    if !extra.is_empty() {
        row(
            "**unrelated listed videos** (to the nearest catalog frame)",
            extra,
        );
    }
    println!("\nshare of positive frames within a radius:{shares}");
    println!(
        "negative frames' nearest catalog distance, lowest: {:?}; low-information query frames: {} of {}",
        &sorted[..sorted.len().min(10)],
        low_information.0,
        low_information.1
    );
    if !lowest_listed.is_empty() {
        println!(
            "listed videos' nearest catalog distance, lowest: {:?}",
            &lowest_listed[..lowest_listed.len().min(10)]
        );
    }
    near.sort();
    for n in &near {
        println!("near: {n}");
    }
    let total: u64 = pairs.iter().sum();
    if total > 0 {
        let mean = pairs
            .iter()
            .enumerate()
            .map(|(d, &n)| d as f64 * n as f64)
            .sum::<f64>()
            / total as f64;
        let var = pairs
            .iter()
            .enumerate()
            .map(|(d, &n)| (d as f64 - mean).powi(2) * n as f64)
            .sum::<f64>()
            / total as f64;
        let mut within = String::new();
        for r in [47usize, 55, 63, 71, 79, 87] {
            let n: u64 = pairs[..=r].iter().sum();
            within.push_str(&format!(" <= {r}: {n} ({:.1e});", n as f64 / total as f64));
        }
        println!(
            "unrelated (moment, catalog frame) pairs: {total}, mean distance {mean:.1}, sd {:.1};{within}",
            var.sqrt()
        );
    }
}
