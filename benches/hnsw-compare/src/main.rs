//! hnsw_rs on 256-bit frame codes, against an exact scan, on the same kind
//! of synthetic catalog as `crates/index/examples/bench_scale.rs` (shots of
//! drifting frames; queries are stored frames with 0-31 bits flipped, plus
//! unrelated codes). hnsw_rs's own `DistHamming` counts differing array
//! elements, not bits, so a bitwise Hamming distance is plugged in.
//!
//! ```text
//! cargo run --release --manifest-path benches/hnsw-compare/Cargo.toml -- [CODES]
//! ```

use anndists::dist::Distance;
use hnsw_rs::hnsw::Hnsw;
use std::time::Instant;

/// Hamming distance over packed bits.
struct BitHamming;

impl Distance<u64> for BitHamming {
    fn eval(&self, a: &[u64], b: &[u64]) -> f32 {
        a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum::<u32>() as f32
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn code(&mut self) -> Vec<u64> {
        (0..4).map(|_| self.next()).collect()
    }
    fn flip(&mut self, h: &[u64], bits: u32) -> Vec<u64> {
        let mut out = h.to_vec();
        while hamming(&out, h) < bits {
            let b = (self.next() % 256) as usize;
            out[b / 64] ^= 1 << (b % 64);
        }
        out
    }
}

fn hamming(a: &[u64], b: &[u64]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

fn rss_mb() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    pages * 4096.0 / 1e6
}

fn main() {
    let n: usize = std::env::args().nth(1).map_or(50_000, |v| v.parse().expect("CODES"));
    let radius = 15;
    let k = 10;
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut codes = Vec::with_capacity(n);
    let mut shot = rng.code();
    for i in 0..n {
        if i % 20 == 0 {
            shot = rng.code();
        }
        let drift = (rng.next() % 7) as u32;
        codes.push(rng.flip(&shot, drift));
    }
    let queries: Vec<Vec<u64>> = (0..1000)
        .map(|i| {
            if i % 10 == 9 {
                rng.code()
            } else {
                let stored = codes[(rng.next() % n as u64) as usize].clone();
                let bits = (rng.next() % 32) as u32;
                rng.flip(&stored, bits)
            }
        })
        .collect();

    let rss0 = rss_mb();
    let t0 = Instant::now();
    let hnsw = Hnsw::<u64, BitHamming>::new(16, n, 16, 100, BitHamming);
    let data: Vec<(&Vec<u64>, usize)> = codes.iter().zip(0..).collect();
    hnsw.parallel_insert(&data);
    let build_s = t0.elapsed().as_secs_f64();
    let mem_mb = rss_mb() - rss0;

    // Exact answers by scan: the k nearest within the radius.
    let t0 = Instant::now();
    let exact: Vec<Vec<usize>> = queries
        .iter()
        .map(|q| {
            let mut d: Vec<(u32, usize)> = codes
                .iter()
                .enumerate()
                .map(|(i, c)| (hamming(c, q), i))
                .filter(|&(d, _)| d <= radius)
                .collect();
            d.sort_unstable();
            d.truncate(k);
            d.into_iter().map(|(_, i)| i).collect()
        })
        .collect();
    let scan_qps = queries.len() as f64 / t0.elapsed().as_secs_f64();

    println!("codes {n}: build {build_s:.1} s on all cores ({:.0} inserts/s), ~{mem_mb:.0} MB RSS ({:.0} bytes/code)", n as f64 / build_s, mem_mb * 1e6 / n as f64);
    println!("exact scan: {scan_qps:.0} queries/s (1 core)");
    println!("| ef | queries/s (1 core) | recall of the {k} nearest within radius {radius} |");
    println!("|---:|---:|---:|");
    for ef in [32, 64, 128] {
        let t0 = Instant::now();
        let found: Vec<Vec<usize>> = queries
            .iter()
            .map(|q| hnsw.search(q, k, ef).into_iter().map(|nb| nb.d_id).collect())
            .collect();
        let qps = queries.len() as f64 / t0.elapsed().as_secs_f64();
        let (mut hit, mut total) = (0, 0);
        for (e, f) in exact.iter().zip(&found) {
            total += e.len();
            hit += e.iter().filter(|i| f.contains(i)).count();
        }
        println!("| {ef} | {qps:.0} | {:.3} |", hit as f64 / total.max(1) as f64);
    }
}
