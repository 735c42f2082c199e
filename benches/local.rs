//! Local-feature costs per picture: comparing a clip picture's keypoints
//! with a title picture's (`inliers`, every pair of descriptors, the
//! matching tier's main cost), and, as the reference in the same group,
//! the plain way of finding each clip keypoint's two nearest (kept pair by
//! pair as the distances come), compiled for the same CPUs.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use multiversion::multiversion;
use std::hint::black_box;
use vfp_fingerprint::local::Keypoint;
use vfp_matcher::local::{inliers, ClipKeypoints, LocalParams};

/// A textured picture at the catalog's feature size holds up to ~160
/// keypoints; the scans of the evaluation sets compare clip pictures of
/// ~56 with title pictures of ~40 (medians), each clip picture with up to
/// 64 title pictures.
const KEYPOINTS: usize = 160;
const CLIP_KEYPOINTS: usize = 56;
const TITLE_KEYPOINTS: usize = 40;
const TITLE_PICTURES: usize = 64;

/// A title picture of `n` keypoints of arbitrary descriptors, and a clip
/// picture of as many: half of them the title's moved by (12, 5) pixels
/// with 20 of 256 tests changed, half unrelated.
fn pictures(n: usize, seed: u64) -> (Vec<Keypoint>, Vec<Keypoint>) {
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ seed.wrapping_mul(0x2545_F491_4F6C_DD1D);
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let title: Vec<Keypoint> = (0..n)
        .map(|_| Keypoint {
            x: (next() % 320) as u16,
            y: (next() % 180) as u16,
            bits: [next(), next(), next(), next()],
        })
        .collect();
    let clip = (0..n)
        .map(|i| {
            if i % 2 == 0 {
                let t = &title[i];
                let mut bits = t.bits;
                for _ in 0..20 {
                    let b = next() % 256;
                    bits[(b / 64) as usize] ^= 1 << (b % 64);
                }
                Keypoint {
                    x: t.x.saturating_sub(12),
                    y: t.y.saturating_sub(5),
                    bits,
                }
            } else {
                Keypoint {
                    x: (next() % 320) as u16,
                    y: (next() % 180) as u16,
                    bits: [next(), next(), next(), next()],
                }
            }
        })
        .collect();
    (clip, title)
}

/// Per clip keypoint, the nearest title keypoint's index and distance and
/// the next nearest distance, the two kept as each distance comes.
#[multiversion(targets(
    "x86_64+avx512f+avx512vl+avx512vpopcntdq+popcnt",
    "x86_64+avx2+popcnt",
    "x86_64+popcnt",
))]
fn two_nearest_pair_by_pair(clip: &[Keypoint], title: &[Keypoint]) -> Vec<(usize, u32, u32)> {
    clip.iter()
        .map(|a| {
            let (mut best, mut d1, mut d2) = (0, u32::MAX, u32::MAX);
            for (i, b) in title.iter().enumerate() {
                let d = a.distance(b);
                if d < d1 {
                    (d2, d1, best) = (d1, d, i);
                } else if d < d2 {
                    d2 = d;
                }
            }
            (best, d1, d2)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let (clip, title) = pictures(KEYPOINTS, 0);
    let params = LocalParams::default();
    assert!(inliers(&clip, &title, &params).count >= KEYPOINTS / 2 - 5);

    let mut group = c.benchmark_group("local_features");
    group.throughput(Throughput::Elements((KEYPOINTS * KEYPOINTS) as u64));
    group.bench_function("vfp_inliers_160x160", |b| {
        b.iter(|| inliers(black_box(&clip), black_box(&title), &params))
    });
    group.bench_function("baseline_two_nearest_pair_by_pair_160x160", |b| {
        b.iter(|| two_nearest_pair_by_pair(black_box(&clip), black_box(&title)))
    });

    // As a scan compares: one clip picture with 64 title pictures.
    let (clip, _) = pictures(CLIP_KEYPOINTS, 1);
    let titles: Vec<Vec<Keypoint>> = (0..TITLE_PICTURES as u64)
        .map(|seed| pictures(TITLE_KEYPOINTS, seed + 2).1)
        .collect();
    let pairs = CLIP_KEYPOINTS * TITLE_KEYPOINTS * TITLE_PICTURES;
    group.throughput(Throughput::Elements(pairs as u64));
    group.bench_function("vfp_inliers_56_against_64x40", |b| {
        b.iter(|| {
            let mut laid_out = ClipKeypoints::new(black_box(&clip));
            titles
                .iter()
                .map(|t| laid_out.inliers(t, &params).count)
                .sum::<usize>()
        })
    });
    group.bench_function("baseline_two_nearest_pair_by_pair_56_against_64x40", |b| {
        b.iter(|| {
            titles
                .iter()
                .map(|t| two_nearest_pair_by_pair(black_box(&clip), t).len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
