//! The query path of a scan, from a fixed fingerprint (no decoding): a
//! clip's informative moments searched in a synthetic catalog of 200,000
//! frames (14 one-hour titles), hits aligned and lines followed, as
//! `vfp_scan::ClipSearch` runs it for `vfp scan` and `vfp verify`. The
//! search alone is the baseline in the same group: the difference is the
//! alignment's share. Throughput is in clip moments (30 per clip second).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::path::Path;
use vfp_fingerprint::HashParams;
use vfp_index::synthetic::{clip_of, title, unrelated_clip, Excerpt, Rng, FRAMES_PER_TITLE};
use vfp_index::{catalog, Catalog};
use vfp_scan::{ClipSearch, ScanConfig};

fn bench(c: &mut Criterion) {
    let mut rng = Rng(0x5eed_5ca7_0000_0001);
    let titles: Vec<_> = (0..14)
        .map(|t| title(&format!("T{t:02}"), FRAMES_PER_TITLE, &mut rng))
        .collect();
    // 20 s at 30 frames per second from half an hour into title 7, each
    // frame 12 bits from the title's (a re-encode).
    let copy = clip_of(
        &titles[7].fingerprint,
        Excerpt {
            from_ms: 1_800_000,
            len_ms: 20_000,
            step_ms: 33,
            noise_bits: 12,
            mirrored: false,
        },
        &mut rng,
    );
    let unrelated = unrelated_clip(20_000, 33, &mut rng);
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let dir = tmp.path().join("catalog");
    catalog::build(&dir, HashParams::default(), titles).expect("build the catalog");
    let catalog = Catalog::open(&dir).expect("open the catalog");
    let config = ScanConfig::default();
    let params = config.match_params();
    let path = Path::new("clip.vfp");

    let mut group = c.benchmark_group("scan_query_200k");
    group.throughput(Throughput::Elements(copy.frames.len() as u64));
    group.sample_size(20);
    group.bench_function("baseline_search_only_copy", |b| {
        b.iter(|| {
            let search = ClipSearch::new(&catalog, path, black_box(&copy)).expect("compatible");
            search.hits(params.radius).len()
        })
    });
    group.bench_function("search_and_align_copy", |b| {
        b.iter(|| {
            let search = ClipSearch::new(&catalog, path, black_box(&copy)).expect("compatible");
            search.matches(params).len()
        })
    });
    group.bench_function("search_and_align_unrelated", |b| {
        b.iter(|| {
            let search =
                ClipSearch::new(&catalog, path, black_box(&unrelated)).expect("compatible");
            search.matches(params).len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
