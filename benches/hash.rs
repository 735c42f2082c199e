//! Per-frame hash cost: vfp's `dct256-v1` on a 64×64 picture (the DCT, its
//! mirrored variant and the quality score), resampling a crop of the
//! working picture to 64×64, and, as the baseline in the same group,
//! `image_hasher`'s 256-bit DCT hash of the same crop (which must first
//! copy it into an image buffer). Resampling a turned crop (a tilted
//! copy, a filmed screen) is measured beside the straight one.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use vfp_extractor::hash::hash_picture;
use vfp_extractor::luma::{MappedSampler, HASH_SIDE, WORK_SIDE};
use vfp_extractor::{LumaImage, Rect, Resampler};

fn working_picture() -> LumaImage {
    let s = WORK_SIDE;
    let px = (0..s * s)
        .map(|i| {
            let (x, y) = ((i % s) as f32, (i / s) as f32);
            (128.0 + 60.0 * (x * 0.13).sin() * (y * 0.07).cos() + ((i * 7919) % 23) as f32) as u8
        })
        .collect();
    LumaImage::new(s, px)
}

fn bench(c: &mut Criterion) {
    let picture = working_picture();
    let crop = Rect {
        x0: 20,
        x1: 172,
        y0: 30,
        y1: 162,
    };
    let input = picture.resample(crop);
    assert_eq!(input.len(), HASH_SIDE * HASH_SIDE);

    let mut group = c.benchmark_group("frame_hash");
    group.throughput(Throughput::Elements(1));
    group.bench_function("vfp_dct256_hash_mirror_quality", |b| {
        b.iter(|| hash_picture(black_box(&input)))
    });
    // The extractor builds one resampler per window of samples.
    let resampler = Resampler::new(crop, WORK_SIDE);
    group.bench_function("vfp_resample_crop_to_64", |b| {
        b.iter(|| resampler.resample(black_box(&picture)))
    });
    // A crop of the same size turned by 7°, as a tilted copy is read.
    let (sin, cos) = 7f32.to_radians().sin_cos();
    let turned = MappedSampler::new(WORK_SIDE, |s, t| {
        let (x, y) = ((s - 0.5) * 152.0, (t - 0.5) * 132.0);
        (96.0 + x * cos - y * sin, 96.0 + x * sin + y * cos)
    });
    group.bench_function("vfp_resample_turned_crop_to_64", |b| {
        b.iter(|| turned.resample(black_box(&picture)))
    });
    group.bench_function("vfp_resample_and_hash", |b| {
        b.iter(|| hash_picture(&resampler.resample(black_box(&picture))))
    });
    let hasher = image_hasher::HasherConfig::new()
        .hash_size(16, 16)
        .hash_alg(image_hasher::HashAlg::Median)
        .preproc_dct()
        .to_hasher();
    group.bench_function("baseline_image_hasher_dct256_of_crop", |b| {
        b.iter(|| {
            let mut img = image::GrayImage::new(crop.width() as u32, crop.height() as u32);
            for (y, row) in (crop.y0..crop.y1).enumerate() {
                for (x, &v) in picture.row(row)[crop.x0..crop.x1].iter().enumerate() {
                    img.put_pixel(x as u32, y as u32, image::Luma([v]));
                }
            }
            hasher.hash_image(black_box(&img))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
