//! How the dense sampling rate of the reference decides how close a query
//! frame's hash comes to the nearest reference sample. A leaked clip starts
//! anywhere, so its frames fall between the reference's samples; the
//! further apart the samples, the more the picture has moved.
//!
//! ```text
//! cargo run --release -p vfp-extractor --example sampling_rate -- REF QUERY [REF QUERY]...
//! ```
//! REF and QUERY must share a timeline (QUERY a re-encode of REF). Every
//! frame of QUERY is compared with the reference sample nearest in time,
//! for reference rates of 1, 2, 4 and 8 samples per second.

use std::path::{Path, PathBuf};
use vfp_extractor::{extract, ExtractOptions};
use vfp_fingerprint::stats::Distribution;
use vfp_fingerprint::{Fingerprint, Sampling};

fn all_frames(path: &Path) -> Fingerprint {
    let opts = ExtractOptions::with_sampling(Sampling::Dense { fps: 60.0 });
    extract(path, &opts).unwrap_or_else(|e| panic!("{e}"))
}

fn main() {
    let args: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    assert!(
        !args.is_empty() && args.len().is_multiple_of(2),
        "usage: sampling_rate REF QUERY [REF QUERY]..."
    );
    let pairs: Vec<(Fingerprint, Fingerprint)> = args
        .chunks(2)
        .map(|p| (all_frames(&p[0]), all_frames(&p[1])))
        .collect();
    println!("| reference samples/s | query frames | median | p95 | share <= 32 bits | .vfp bytes per hour |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for rate in [1u32, 2, 4, 8] {
        let period_ms = 1000 / rate;
        let mut d = Vec::new();
        for (reference, query) in &pairs {
            // The reference as dense sampling at `rate` would keep it: the
            // first frame at or after each grid point.
            let mut samples = Vec::new();
            let mut next = 0;
            for f in reference.frames.iter().filter(|f| f.is_informative()) {
                if f.t_ms >= next {
                    samples.push(f);
                    next = (f.t_ms / period_ms + 1) * period_ms;
                }
            }
            for q in query.frames.iter().filter(|f| f.is_informative()) {
                if let Some(nearest) = samples.iter().min_by_key(|s| s.t_ms.abs_diff(q.t_ms)) {
                    d.push(nearest.hash.hamming(&q.hash));
                }
            }
        }
        let within = d.iter().filter(|&&x| x <= 32).count() as f64 / d.len().max(1) as f64;
        let dist = Distribution::of(d).expect("frames");
        println!(
            "| {rate} | {} | {} | {} | {:.3} | {} |",
            dist.count,
            dist.median,
            dist.p95,
            within,
            u64::from(rate) * 3600 * 72
        );
    }
}
