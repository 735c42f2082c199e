//! Catalog search on a CI-sized synthetic catalog (200,000 frames: shots
//! of drifting frames), with the flat popcount scan as the baseline in the
//! same group, and the cost of opening a segment. `scripts/bench-index.sh`
//! measures 10 million frames.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use vfp_fingerprint::{FrameHash, HashParams};
use vfp_index::segment::{AlignedBytes, Segment, SegmentBuilder};
use vfp_index::TitleRecord;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn code(&mut self) -> FrameHash {
        FrameHash([self.next(), self.next(), self.next(), self.next()])
    }
    fn flip(&mut self, h: FrameHash, bits: u32) -> FrameHash {
        let mut out = h;
        while out.hamming(&h) < bits {
            let b = (self.next() % 256) as usize;
            out.0[b / 64] ^= 1 << (b % 64);
        }
        out
    }
}

fn catalog(n: usize, rng: &mut Rng) -> (AlignedBytes, Vec<FrameHash>) {
    let mut codes = Vec::with_capacity(n);
    let mut shot = rng.code();
    for i in 0..n {
        if i % 20 == 0 {
            shot = rng.code();
        }
        let drift = (rng.next() % 7) as u32;
        codes.push(rng.flip(shot, drift));
    }
    let mut b = SegmentBuilder::new(HashParams::default());
    for (t, chunk) in codes.chunks(14_400).enumerate() {
        let record = TitleRecord {
            id: format!("T{t}"),
            name: String::new(),
            source_path: String::new(),
            duration_ms: 0,
            sha256: String::new(),
            added_unix_s: 0,
            labels: String::new(),
        };
        b.add_title(
            record,
            chunk.iter().enumerate().map(|(i, c)| (i as u32 * 250, *c)),
        )
        .expect("add");
    }
    (AlignedBytes::new(&b.finish()), codes)
}

fn bench(c: &mut Criterion) {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let (bytes, codes) = catalog(200_000, &mut rng);
    let seg = Segment::open(&bytes).expect("open");
    let queries: Vec<FrameHash> = (0..1000)
        .map(|i| {
            if i % 10 == 9 {
                rng.code()
            } else {
                let k = (rng.next() % 32) as u32;
                let stored = codes[(rng.next() % codes.len() as u64) as usize];
                rng.flip(stored, k)
            }
        })
        .collect();

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
