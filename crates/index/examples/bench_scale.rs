//! Catalog speed and size at scale, on a synthetic catalog: N frames in
//! titles of one-hour "films" made of 5-second shots whose frames drift a
//! few bits from the shot's code, and queries that are stored frames with
//! k random bits flipped (planted near-duplicates at known distances),
//! plus unrelated codes.
//!
//! ```text
//! cargo run --release -p vfp-index --example bench_scale -- [FRAMES] [DIR]
//! ```
//! Prints the build rate, bytes per frame, the search structure's size,
//! the open time, and per radius: queries per second on one core, recall
//! against an exact scan, and the scan's own rate as the baseline.

use std::path::PathBuf;
use std::time::Instant;
use vfp_index::segment::{Segment, BYTES_PER_FRAME};
use vfp_index::synthetic::{planted_queries, segment_bytes, shot_codes, Rng, FRAMES_PER_TITLE};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map_or(1_000_000, |v| v.parse().expect("FRAMES"));
    let dir = args.next().map_or_else(std::env::temp_dir, PathBuf::from);
    let path = dir.join(format!("vfp-bench-{n}.vfps"));
    let frames_per_title = FRAMES_PER_TITLE;
    let mut rng = Rng(0x1234_5678_9abc_def1);

    let t0 = Instant::now();
    let codes = shot_codes(n, &mut rng);
    let gen_s = t0.elapsed().as_secs_f64();

    let t0 = Instant::now();
    let bytes = segment_bytes(&codes);
    let build_s = t0.elapsed().as_secs_f64();
    std::fs::write(&path, &bytes).expect("write");
    drop(bytes);

    let t0 = Instant::now();
    let file = std::fs::File::open(&path).expect("open");
    // SAFETY: the file was just written by this process and nothing else
    // writes it while it is mapped.
    let map = unsafe { memmap2::Mmap::map(&file) }.expect("map");
    let seg = Segment::open(map).expect("segment");
    let open_ms = t0.elapsed().as_secs_f64() * 1000.0;

    let search_bytes = seg.search_structure_bytes();
    println!(
        "frames                  {n} ({} titles)",
        n.div_ceil(frames_per_title)
    );
    println!("generate                {gen_s:.1} s");
    println!(
        "build (with stop-list)  {build_s:.2} s = {:.2} M frames/s",
        n as f64 / build_s / 1e6
    );
    println!(
        "size                    {:.1} MB: {BYTES_PER_FRAME} bytes/frame of frame data + search structure {:.1} MB ({:.1} bytes/frame), {:?}",
        seg.byte_len() as f64 / 1e6,
        search_bytes as f64 / 1e6,
        search_bytes as f64 / n as f64,
        seg.geometry()
    );
    println!("open                    {open_ms:.3} ms");

    let q_count = 20_000;
    let queries = planted_queries(&codes, q_count, &mut rng);
    let exact_sample = 100.min(q_count);
    println!();
    println!("| radius | MIH queries/s, 1 core | hits/query | recall vs exact scan | scan queries/s, 1 core |");
    println!("|---:|---:|---:|---:|---:|");
    for radius in [7u32, 10, 15, 23, 31] {
        let t0 = Instant::now();
        let mut hits = 0usize;
        for q in &queries {
            seg.search_radius(q, radius, |_, _| hits += 1);
        }
        let qps = q_count as f64 / t0.elapsed().as_secs_f64();
        let (mut found, mut expected, mut scan_s) = (0usize, 0usize, 0.0);
        for q in &queries[..exact_sample] {
            let t0 = Instant::now();
            let mut exact = Vec::new();
            seg.scan_radius(q, radius, |i, _| exact.push(i));
            scan_s += t0.elapsed().as_secs_f64();
            let mut mih = Vec::new();
            seg.search_radius(q, radius, |i, _| mih.push(i));
            expected += exact.len();
            found += mih.iter().filter(|i| exact.contains(i)).count();
        }
        let recall = if expected == 0 {
            1.0
        } else {
            found as f64 / expected as f64
        };
        println!(
            "| {radius} | {qps:.0} | {:.1} | {recall:.4} | {:.1} |",
            hits as f64 / q_count as f64,
            exact_sample as f64 / scan_s
        );
    }
    let _ = std::fs::remove_file(&path);
}
