//! Catalog search on a CI-sized synthetic catalog (200,000 frames: shots
//! of drifting frames), with the flat popcount scan as the baseline in the
//! same group, and the cost of opening a segment. `scripts/bench/index.sh`
//! measures 10 million frames.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use vfp_index::segment::{AlignedBytes, Segment};
use vfp_index::synthetic::{planted_queries, segment_bytes, shot_codes, Rng};

fn bench(c: &mut Criterion) {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let codes = shot_codes(200_000, &mut rng);
    let bytes = AlignedBytes::new(&segment_bytes(&codes));
    let seg = Segment::open(&bytes).expect("open");
    let queries = planted_queries(&codes, 1000, &mut rng);

    let mut group = c.benchmark_group("catalog_search_200k");
    group.throughput(Throughput::Elements(queries.len() as u64));
    for radius in [10u32, 15, 23] {
        group.bench_function(format!("mih_radius_{radius}"), |b| {
            b.iter(|| {
                let mut hits = 0usize;
                for q in &queries {
                    seg.search_radius(black_box(q), radius, |_, _| hits += 1);
                }
                hits
            })
        });
    }
    group.sample_size(10);
    let scanned = &queries[..50];
    group.throughput(Throughput::Elements(scanned.len() as u64));
    group.bench_function("baseline_flat_scan_radius_15", |b| {
        b.iter(|| {
            let mut hits = 0usize;
            for q in scanned {
                seg.scan_radius(black_box(q), 15, |_, _| hits += 1);
            }
            hits
        })
    });
    group.finish();

    let mut group = c.benchmark_group("catalog_open_200k");
    group.bench_function("segment_open", |b| {
        b.iter(|| Segment::open(black_box(&bytes)).map(|s| s.frame_count()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
