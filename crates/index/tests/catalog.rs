//! Catalog directories: build, open, search, add, remove, and what happens
//! to damaged, foreign, future and half-written catalogs.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

use std::path::Path;
use vfp_fingerprint::local::{FeatureFrame, Keypoint};
use vfp_fingerprint::{
    ExtractParams, Fingerprint, FrameFlags, FrameHash, HashParams, HashedFrame, SourceInfo,
    TitleIndex, ViewRegion, ViewTrack, CATALOG_VIEW_PCT,
};
use vfp_index::catalog::{self, NewTitle, MANIFEST};
use vfp_index::{Catalog, IndexError, TitleRecord, Wait};

fn code(seed: u64) -> FrameHash {
    let mut x = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(0x2545_F491_4F6C_DD1D);
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    FrameHash([next(), next(), next(), next()])
}

/// A title whose stored view (the catalog's) hashes to `code(seed * 1e6
/// + frame)`; its whole pictures hash to something else.
fn title(id: &str, seed: u64, frames: u32) -> NewTitle {
    let mut fingerprint = Fingerprint {
        source: SourceInfo {
            file_name: format!("{id}.mp4"),
            file_size: 1,
            sha256: [0; 32],
            duration_ms: u64::from(frames) * 250,
            width: 640,
            height: 360,
            fps: 25.0,
            codec: "h264".into(),
            rotation_deg: 0,
        },
        params: ExtractParams::default(),
        frames: (0..frames)
            .map(|i| HashedFrame {
                t_ms: i * 250,
                hash: code(seed * 1_000_000 + u64::from(i)),
                mirrored: FrameHash::default(),
                quality: 80,
                // Every tenth frame is low-information: never stored.
                flags: if i % 10 == 9 {
                    FrameFlags::LOW_INFORMATION
                } else {
                    FrameFlags::empty()
                },
            })
            .collect(),
        views: Vec::new(),
        features: Vec::new(),
    };
    let stored: Vec<HashedFrame> = fingerprint.frames.clone();
    for f in &mut fingerprint.frames {
        f.hash = code(u64::from(f.t_ms) + 7_777_777_777);
    }
    fingerprint.views = vec![ViewTrack {
        region: ViewRegion::Active,
        zoom_pct: CATALOG_VIEW_PCT,
        frames: stored,
    }];
    NewTitle {
        record: TitleRecord {
            id: id.into(),
            name: format!("Title {id}"),
            source_path: format!("/src/{id}.mp4"),
            duration_ms: u64::from(frames) * 250,
            sha256: "ab".repeat(32),
            added_unix_s: 1_760_000_000,
            labels: "release=2026-12-01".into(),
            meta: Default::default(),
        },
        fingerprint,
    }
}

fn ids(c: &Catalog) -> Vec<String> {
    c.titles().iter().map(|t| t.record.id.clone()).collect()
}

fn build(dir: &Path, titles: Vec<NewTitle>) {
    catalog::build(dir, HashParams::default(), titles).unwrap();
}

#[test]
fn build_open_list_and_search() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    build(&dir, vec![title("A", 1, 400), title("B", 2, 200)]);
    let c = Catalog::open(&dir).unwrap();
    c.verify().unwrap();
    assert_eq!(ids(&c), ["A", "B"]);
    assert_eq!(
        c.titles()[0].frames,
        360,
        "low-information frames are not stored"
    );
    assert_eq!(c.frame_count(), 540);
    // Frame 37 of B, with 5 bits flipped.
    let mut q = code(2_000_037);
    q.0[0] ^= 0b11111;
    let hits = c.search_radius(&q, 15);
    assert_eq!(hits.len(), 1);
    let h = hits[0];
    assert_eq!(
        (c.title(h.title).unwrap().id.as_str(), h.t_ms, h.distance),
        ("B", 37 * 250, 5)
    );
    assert!(c.search_radius(&code(99), 15).is_empty());
    // Hits come nearest first.
    let wide = c.search_radius(&q, 140);
    assert!(wide.len() > 10 && wide[0] == h, "{}", wide.len());
    assert!(wide.windows(2).all(|w| w[0].distance <= w[1].distance));
}

#[test]
fn a_titles_frames_are_looked_up_by_time() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    build(&dir, vec![title("A", 1, 100)]);
    catalog::add(&dir, vec![title("B", 2, 100), title("C", 3, 100)]).unwrap();
    let c = Catalog::open(&dir).unwrap();
    let b = c.titles()[1].index;
    let times = |title: TitleIndex, from: u32, to: u32| -> Vec<u32> {
        c.title_frames_between(title, from, to)
            .map(|f| f.t_ms)
            .collect()
    };
    // Frames every 250 ms; frame 9 (2250 ms) is low-information, not stored.
    assert_eq!(times(b, 1_900, 2_750), [2_000, 2_500, 2_750]);
    assert_eq!(times(b, 2_000, 2_000), [2_000]);
    let f = c.title_frames_between(b, 500, 500).next().unwrap();
    assert_eq!(f.hash, code(2_000_002), "B's own frame, not A's or C's");
    assert!(times(b, 30_000, 40_000).is_empty(), "past its end");
    assert!(times(b, 2_500, 2_000).is_empty(), "an empty range");
    assert!(
        times(TitleIndex(99), 0, u32::MAX).is_empty(),
        "no such title"
    );
    assert_eq!(times(c.titles()[2].index, 0, u32::MAX).len(), 90);
    catalog::remove(&dir, "B").unwrap();
    let c = Catalog::open(&dir).unwrap();
    assert!(
        c.title_frames_between(b, 0, u32::MAX).next().is_none(),
        "a removed title has no frames"
    );
}

#[test]
fn add_appends_a_segment_and_keeps_the_old_one() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    build(&dir, vec![title("A", 1, 100)]);
    let first_segment = std::fs::read(dir.join("seg-000001.vfps")).unwrap();
    catalog::add(&dir, vec![title("B", 2, 100)]).unwrap();
    assert_eq!(
        std::fs::read(dir.join("seg-000001.vfps")).unwrap(),
        first_segment,
        "not rewritten"
    );
    let c = Catalog::open(&dir).unwrap();
    assert_eq!(ids(&c), ["A", "B"]);
    assert_eq!(c.storage().0, 2);
    let hit = c.search_radius(&code(2_000_005), 0);
    assert_eq!(c.title(hit[0].title).unwrap().id, "B");
    // The same id again is refused, and nothing changes.
    let err = catalog::add(&dir, vec![title("A", 3, 10)]).unwrap_err();
    assert!(matches!(err, IndexError::TitleExists { .. }), "{err}");
    assert!(err.to_string().contains("remove it first"), "{err}");
    assert_eq!(ids(&Catalog::open(&dir).unwrap()), ["A", "B"]);
}

#[test]
fn many_adds_merge_into_one_segment() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    build(&dir, vec![title("T0", 100, 50)]);
    for i in 1..=catalog::MAX_SEGMENTS as u64 + 1 {
        catalog::add(&dir, vec![title(&format!("T{i}"), 100 + i, 50)]).unwrap();
    }
    catalog::remove(&dir, "T3").unwrap();
    let c = Catalog::open(&dir).unwrap();
    assert!(c.storage().0 <= catalog::MAX_SEGMENTS);
    assert_eq!(c.titles().len(), catalog::MAX_SEGMENTS + 1);
    for i in [0u64, 5, 9] {
        let hit = c.search_radius(&code((100 + i) * 1_000_000 + 7), 0);
        assert_eq!(c.title(hit[0].title).unwrap().id, format!("T{i}"));
    }
    // Only the files the manifest names are left (and MANIFEST, LOCK).
    let files = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(files, c.storage().0 + 2);
}

#[test]
fn remove_hides_a_title_and_drops_empty_segments() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    build(&dir, vec![title("A", 1, 100), title("B", 2, 100)]);
    catalog::add(&dir, vec![title("C", 3, 100)]).unwrap();
    catalog::remove(&dir, "A").unwrap();
    let c = Catalog::open(&dir).unwrap();
    assert_eq!(ids(&c), ["B", "C"]);
    assert!(
        c.search_radius(&code(1_000_005), 0).is_empty(),
        "A no longer matches"
    );
    catalog::remove(&dir, "C").unwrap();
    let c = Catalog::open(&dir).unwrap();
    assert_eq!(c.storage().0, 1, "C's segment is gone");
    assert!(!dir.join("seg-000002.vfps").exists());
    let err = catalog::remove(&dir, "C").unwrap_err();
    assert!(matches!(err, IndexError::UnknownTitle { .. }));
    // A removed id can come back.
    catalog::add(&dir, vec![title("A", 1, 100)]).unwrap();
    assert_eq!(ids(&Catalog::open(&dir).unwrap()), ["B", "A"]);
}

#[test]
fn incompatible_hashes_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    let mut t = title("A", 1, 10);
    t.fingerprint.params.hash.crop_borders = false;
    let err = catalog::build(&dir, HashParams::default(), vec![t]).unwrap_err();
    assert!(matches!(err, IndexError::IncompatibleHash { .. }), "{err}");
    build(&dir, vec![title("A", 1, 10)]);
    let c = Catalog::open(&dir).unwrap();
    let other = HashParams {
        crop_borders: false,
        ..HashParams::default()
    };
    assert!(c.check_compatible(&HashParams::default()).is_ok());
    let err = c.check_compatible(&other).unwrap_err().to_string();
    assert!(err.contains("extract them again"), "{err}");
}

#[test]
fn fingerprints_without_the_stored_view_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    let mut t = title("A", 1, 10);
    t.fingerprint.views.clear();
    let err = catalog::build(&dir, HashParams::default(), vec![t]).unwrap_err();
    assert!(
        matches!(&err, IndexError::MissingView { path, view_pct: CATALOG_VIEW_PCT } if path.ends_with("A.mp4")),
        "{err}"
    );
    assert!(err.to_string().contains("extract the video again"), "{err}");
    assert!(!dir.join(MANIFEST).exists());
    // An inset picture's view is not the active picture's.
    let mut t = title("A", 1, 10);
    t.fingerprint.views[0].region = ViewRegion::Inset;
    let err = catalog::build(&dir, HashParams::default(), vec![t]).unwrap_err();
    assert!(matches!(err, IndexError::MissingView { .. }), "{err}");

    build(&dir, vec![title("A", 1, 10)]);
    let c = Catalog::open(&dir).unwrap();
    assert_eq!(c.view_pct(), CATALOG_VIEW_PCT);
    // A query offers its whole pictures and every view at least as large
    // as the catalog's; smaller views stand for nothing.
    let mut query = title("Q", 2, 5).fingerprint;
    let view = |zoom_pct| ViewTrack {
        region: ViewRegion::Active,
        zoom_pct,
        frames: query.frames.clone(),
    };
    query.views = vec![view(90), view(CATALOG_VIEW_PCT), view(50)];
    let zooms: Vec<u8> = c.query_views(&query).unwrap().iter().map(|v| v.0).collect();
    assert_eq!(zooms, [100, 90, CATALOG_VIEW_PCT]);
    query.views.retain(|v| v.zoom_pct != CATALOG_VIEW_PCT);
    let err = c.query_views(&query).unwrap_err();
    assert!(matches!(err, IndexError::MissingView { .. }), "{err}");
}

#[test]
fn a_manifest_whose_view_differs_from_its_segments_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    build(&dir, vec![title("A", 1, 20)]);
    let text = std::fs::read_to_string(dir.join(MANIFEST)).unwrap();
    let (_, body) = text.split_once('\n').unwrap();
    let stored = format!("\"view_pct\": {CATALOG_VIEW_PCT}");
    assert!(body.contains(&stored), "{body}");
    // A consistent manifest (valid checksum) naming another view.
    let body = body.replace(&stored, "\"view_pct\": 87");
    let header = format!("vfp-catalog 1 {:08x}", crc32fast::hash(body.as_bytes()));
    std::fs::write(dir.join(MANIFEST), format!("{header}\n{body}")).unwrap();
    let err = Catalog::open(&dir).unwrap_err();
    assert!(
        matches!(&err, IndexError::Segment { path, .. } if path.ends_with("seg-000001.vfps")),
        "{err}"
    );
    assert!(format!("{err:#}").contains("seg-000001.vfps"), "{err:#}");
}

/// Rewrites the catalog's MANIFEST body through `edit`, with a valid
/// checksum: what a hostile or careless hand could leave.
fn rewrite_manifest(dir: &Path, edit: impl Fn(&str) -> String) {
    let text = std::fs::read_to_string(dir.join(MANIFEST)).unwrap();
    let (_, body) = text.split_once('\n').unwrap();
    let body = edit(body);
    let header = format!("vfp-catalog 1 {:08x}", crc32fast::hash(body.as_bytes()));
    std::fs::write(dir.join(MANIFEST), format!("{header}\n{body}")).unwrap();
}

#[test]
fn a_manifest_cannot_name_files_outside_the_catalog_or_one_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    build(&dir, vec![title("A", 1, 20)]);
    // A copy of the segment beside the catalog: a manifest reaching it
    // would open a catalog that is not this folder's.
    std::fs::copy(
        dir.join("seg-000001.vfps"),
        tmp.path().join("seg-000009.vfps"),
    )
    .unwrap();
    let listed = "\"file\": \"seg-000001.vfps\"";
    let original = std::fs::read(dir.join(MANIFEST)).unwrap();
    for hostile in [
        "../seg-000009.vfps",
        "/dev/zero",
        "seg-1.vfps",
        "seg-00000x.vfps",
        "",
    ] {
        std::fs::write(dir.join(MANIFEST), &original).unwrap();
        rewrite_manifest(&dir, |body| {
            assert!(body.contains(listed), "{body}");
            body.replace(listed, &format!("\"file\": {hostile:?}"))
        });
        let err = Catalog::open(&dir).unwrap_err();
        assert!(
            matches!(&err, IndexError::Manifest { reason, .. } if reason.contains("not a segment name")),
            "{hostile}: {err}"
        );
        assert!(format!("{err}").contains("MANIFEST"), "{err}");
    }
    // The same segment twice would count its titles twice.
    std::fs::write(dir.join(MANIFEST), &original).unwrap();
    assert!(Catalog::open(&dir).is_ok());
    rewrite_manifest(&dir, |body| {
        let start = body.find("{\n      \"file\"").unwrap();
        let end = start + body[start..].find('}').unwrap() + 1;
        let entry = &body[start..end];
        body.replacen(entry, &format!("{entry}, {entry}"), 1)
    });
    let err = Catalog::open(&dir).unwrap_err();
    assert!(format!("{err}").contains("listed twice"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_pipe_in_place_of_a_segment_is_refused_not_waited_on() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    build(&dir, vec![title("A", 1, 20)]);
    let seg = dir.join("seg-000001.vfps");
    std::fs::remove_file(&seg).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&seg)
        .status()
        .unwrap();
    assert!(made.success());
    // Opening the pipe for reading would wait for a writer forever.
    let err = Catalog::open(&dir).unwrap_err();
    assert!(format!("{err:#}").contains("seg-000001.vfps"), "{err:#}");
    assert!(
        format!("{:?}", err).contains("not a regular file"),
        "{err:?}"
    );
}

#[test]
fn missing_and_foreign_paths_are_not_catalogs() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope");
    let err = Catalog::open(&missing).unwrap_err();
    assert!(matches!(err, IndexError::NotACatalog { .. }));
    assert!(err.to_string().contains("nope") && err.to_string().contains("vfp index build"));
    let file = tmp.path().join("file.bin");
    std::fs::write(&file, b"x").unwrap();
    assert!(matches!(
        Catalog::open(&file),
        Err(IndexError::NotACatalog { .. })
    ));
    let foreign = tmp.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join(MANIFEST), "hello\n{}").unwrap();
    assert!(matches!(
        Catalog::open(&foreign),
        Err(IndexError::NotACatalog { .. })
    ));
}

#[test]
fn damaged_manifests_and_segments_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    build(&dir, vec![title("A", 1, 300)]);
    let manifest = std::fs::read(dir.join(MANIFEST)).unwrap();
    let segment_path = dir.join("seg-000001.vfps");
    let segment = std::fs::read(&segment_path).unwrap();

    // Manifest: a flipped byte in the body, a future version, truncation.
    let mut m = manifest.clone();
    let last = m.len() - 3;
    m[last] ^= 1;
    std::fs::write(dir.join(MANIFEST), &m).unwrap();
    let err = Catalog::open(&dir).unwrap_err().to_string();
    assert!(
        err.contains("MANIFEST") && err.contains("checksum"),
        "{err}"
    );
    let future = String::from_utf8(manifest.clone()).unwrap().replacen(
        "vfp-catalog 1 ",
        "vfp-catalog 2 ",
        1,
    );
    std::fs::write(dir.join(MANIFEST), future).unwrap();
    assert!(Catalog::open(&dir)
        .unwrap_err()
        .to_string()
        .contains("manifest version 2"));
    std::fs::write(dir.join(MANIFEST), &manifest[..manifest.len() / 2]).unwrap();
    assert!(matches!(
        Catalog::open(&dir),
        Err(IndexError::Manifest { .. })
    ));
    std::fs::write(dir.join(MANIFEST), &manifest).unwrap();

    // Segment: truncated at several offsets (open fails), a flipped byte in
    // the frames (open succeeds, verify fails and names the section).
    for cut in [0, 10, 100, segment.len() / 3, segment.len() - 1] {
        std::fs::write(&segment_path, &segment[..cut]).unwrap();
        let err = Catalog::open(&dir).unwrap_err();
        assert!(
            matches!(err, IndexError::Segment { .. }),
            "cut {cut}: {err}"
        );
        assert!(err.to_string().contains("seg-000001.vfps"));
    }
    let mut s = segment.clone();
    let at = 4096 + 7;
    s[at] ^= 0x10;
    std::fs::write(&segment_path, &s).unwrap();
    let c = Catalog::open(&dir).unwrap();
    let err = c.verify().unwrap_err();
    assert!(format!("{err:#}").contains("seg-000001.vfps"), "{err}");
    let _ = c.search_radius(&code(1_000_001), 31);
    // A deleted segment.
    std::fs::remove_file(&segment_path).unwrap();
    let err = Catalog::open(&dir).unwrap_err().to_string();
    assert!(err.contains("seg-000001.vfps"), "{err}");
}

#[test]
fn a_killed_build_leaves_the_previous_catalog_usable() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    build(&dir, vec![title("A", 1, 100)]);
    // What a build killed before its manifest rename leaves: a new segment
    // file and a temporary manifest, both unlisted.
    std::fs::write(dir.join("seg-000002.vfps"), b"half-written").unwrap();
    // Named temporary files, where the file system has no unnamed ones
    // (and an older version's name).
    let temporary = [
        ".MANIFEST.k3J9aZ",
        ".seg-000003.vfps.Qw8rT2",
        ".vfp-tmp-abc",
    ];
    for name in temporary {
        std::fs::write(dir.join(name), b"half-written").unwrap();
    }
    let c = Catalog::open(&dir).unwrap();
    c.verify().unwrap();
    assert_eq!(ids(&c), ["A"]);
    // The next change cleans the leftovers up.
    catalog::add(&dir, vec![title("B", 2, 10)]).unwrap();
    let c = Catalog::open(&dir).unwrap();
    assert_eq!(ids(&c), ["A", "B"]);
    c.verify().unwrap();
    for name in temporary {
        assert!(!dir.join(name).exists(), "{name} left");
    }
}

#[test]
fn a_build_never_writes_into_a_folder_of_other_files() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("holiday.mp4"), b"video").unwrap();
    let err =
        catalog::build(tmp.path(), HashParams::default(), vec![title("A", 1, 10)]).unwrap_err();
    assert!(matches!(err, IndexError::FolderNotEmpty { .. }), "{err}");
    assert!(err.to_string().contains("not empty"), "{err}");
    assert!(
        !err.to_string().contains("vfp index build"),
        "the hint must not repeat the command that failed: {err}"
    );
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
}

#[test]
fn rebuilding_replaces_the_catalog() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    build(&dir, vec![title("A", 1, 100)]);
    let reader = Catalog::open(&dir).unwrap();
    build(&dir, vec![title("Z", 9, 100)]);
    // An open reader keeps its mapped (now deleted) segment.
    assert_eq!(ids(&reader), ["A"]);
    assert_eq!(reader.search_radius(&code(1_000_001), 0).len(), 1);
    assert_eq!(ids(&Catalog::open(&dir).unwrap()), ["Z"]);
    // One segment, MANIFEST and LOCK.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3);
}

#[test]
fn a_catalog_is_shared_by_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    build(&dir, vec![title("A", 1, 1000)]);
    let c = Catalog::open(&dir).unwrap();
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let c = &c;
            s.spawn(move || {
                for i in 0..200 {
                    let q = code(1_000_000 + (i * 4 + t) % 1000);
                    let hits = c.search_radius(&q, 0);
                    assert!(hits.len() <= 1);
                }
            });
        }
    });
}

/// A committed catalog of segment format 2 (before windows): two segments
/// (A and B, then C) with B removed.
const FIXTURE_V2: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../testdata/format/catalog-manifest-v1-segment-v2"
);

/// A committed catalog of segment format 3 (before local features): as
/// [`FIXTURE_V2`], each title with 9:16 windows too.
const FIXTURE_V3: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../testdata/format/catalog-manifest-v1-segment-v3"
);

/// The committed catalog of the current format: as [`FIXTURE_V3`], each
/// title with local features too. Made by [`write_catalog_fixture`].
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../testdata/format/catalog-manifest-v1-segment-v4"
);

/// `t` with local features: a title picture a second, each of 10
/// keypoints with descriptors `code(seed * 1e6 + 900_000 + second * 100 +
/// k)`, and a picture at a clip's scale, which is not stored.
fn with_features(mut t: NewTitle, seed: u64) -> NewTitle {
    let seconds = t.fingerprint.source.duration_ms / 1000;
    for s in 0..seconds.max(1) {
        for scale_pct in [100u8, 60] {
            t.fingerprint.features.push(FeatureFrame {
                t_ms: s as u32 * 1000,
                scale_pct,
                width: 320,
                height: 180,
                keypoints: (0..10u64)
                    .map(|k| Keypoint {
                        x: 20 + 25 * k as u16,
                        y: 30 + 10 * k as u16,
                        bits: code(seed * 1_000_000 + 900_000 + s * 100 + k + u64::from(scale_pct))
                            .0,
                    })
                    .collect(),
            });
        }
    }
    t
}

/// The title picture a keypoint lookup of `descriptor` finds.
fn picture_of(c: &Catalog, descriptor: FrameHash) -> Vec<(String, u32)> {
    let mut found = Vec::new();
    c.search_keypoints(&descriptor.0, 0, |r| {
        if let Some(f) = c.feature_frame(r) {
            found.push((c.title(f.title).unwrap().id.clone(), f.t_ms));
        }
    });
    found
}

/// `t` with a 9:16 window track hashing to `code(seed * 1e6 + 500_000 +
/// frame)`.
fn with_window(mut t: NewTitle, seed: u64) -> NewTitle {
    let mut window = t.fingerprint.views[0].clone();
    window.region = ViewRegion::Window;
    window.zoom_pct = 87;
    for (i, f) in window.frames.iter_mut().enumerate() {
        f.hash = code(seed * 1_000_000 + 500_000 + i as u64);
    }
    t.fingerprint.views.push(window);
    t
}

#[test]
fn committed_catalog_fixture_of_segment_version_2_still_opens() {
    let c = Catalog::open(Path::new(FIXTURE_V2))
        .expect("a catalog of manifest v1, segments v2 must keep opening");
    c.verify().expect("its checksums hold");
    assert!(!c.stores_windows());
    assert_eq!(ids(&c), ["A", "C"]);
    assert_eq!(c.frame_count(), 36 + 27);
    let hit = c.search_radius(&code(1_000_005), 0);
    assert_eq!(
        (c.title(hit[0].title).unwrap().id.as_str(), hit[0].t_ms),
        ("A", 5 * 250)
    );
    assert!(
        c.search_radius(&code(2_000_001), 0).is_empty(),
        "B was removed"
    );
}

#[test]
fn committed_catalog_fixture_of_segment_version_3_still_opens() {
    let c = Catalog::open(Path::new(FIXTURE_V3))
        .expect("a catalog of manifest v1, segments v3 must keep opening");
    c.verify().expect("its checksums hold");
    assert!(c.stores_windows() && !c.has_features());
    assert_eq!(ids(&c), ["A", "C"]);
    assert_eq!(c.frame_count(), 2 * (36 + 27));
    assert_eq!(c.search_radius(&code(3_500_004), 0).len(), 1);
}

#[test]
fn committed_catalog_fixture_still_opens() {
    let c = Catalog::open(Path::new(FIXTURE))
        .expect("a catalog of manifest v1, segments v4 must keep opening");
    assert!(c.has_features());
    // A, B (removed) and C: 10, 5 and 7 title pictures of 10 keypoints.
    assert_eq!(c.feature_counts(), (22, 220));
    assert_eq!(
        picture_of(&c, code(3_000_000 + 900_000 + 4 * 100 + 7 + 100)),
        [("C".to_string(), 4000)]
    );
    assert!(
        picture_of(&c, code(2_000_000 + 900_000 + 100 + 100)).is_empty(),
        "B was removed"
    );
    c.verify().expect("its checksums hold");
    assert!(c.stores_windows());
    assert_eq!(ids(&c), ["A", "C"]);
    assert_eq!(c.storage().0, 2, "two segments");
    assert_eq!(
        c.frame_count(),
        2 * (36 + 27),
        "a view and a window per frame"
    );
    let window = c.search_radius(&code(3_500_004), 0);
    assert_eq!(
        (
            c.title(window[0].title).unwrap().id.as_str(),
            window[0].t_ms
        ),
        ("C", 4 * 250)
    );
    let a = &c.titles()[0];
    assert_eq!(
        (a.record.name.as_str(), a.record.labels.as_str()),
        ("Title A", "release=2026-12-01")
    );
    let hit = c.search_radius(&code(1_000_005), 0);
    assert_eq!(hit.len(), 1);
    assert_eq!(
        (c.title(hit[0].title).unwrap().id.as_str(), hit[0].t_ms),
        ("A", 5 * 250)
    );
    assert_eq!(
        c.title(c.search_radius(&code(3_000_002), 0)[0].title)
            .unwrap()
            .id,
        "C"
    );
    assert!(
        c.search_radius(&code(2_000_001), 0).is_empty(),
        "B was removed"
    );
    let times: Vec<u32> = c
        .title_frames_between(c.titles()[1].index, 0, 1_000)
        .map(|f| f.t_ms)
        .collect();
    assert_eq!(times, [0, 0, 250, 250, 500, 500, 750, 750, 1_000, 1_000]);
}

/// Writes the committed catalog fixture; run once when a format version
/// changes, under a new name, keeping the old fixture and its test:
/// `cargo test -p vfp-index --test catalog -- --ignored write_catalog_fixture`.
#[test]
#[ignore]
fn write_catalog_fixture() {
    let dir = Path::new(FIXTURE);
    let _ = std::fs::remove_dir_all(dir);
    build(
        dir,
        vec![
            with_features(with_window(title("A", 1, 40), 1), 1),
            with_features(with_window(title("B", 2, 20), 2), 2),
        ],
    );
    catalog::add(
        dir,
        vec![with_features(with_window(title("C", 3, 30), 3), 3)],
    )
    .unwrap();
    catalog::remove(dir, "B").unwrap();
}

#[test]
fn local_features_are_stored_at_the_titles_scale_and_survive_merges() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    build(
        &dir,
        vec![with_features(title("A", 1, 40), 1), title("B", 2, 40)],
    );
    let c = Catalog::open(&dir).unwrap();
    // A's ten seconds, at 100 % only; B has none.
    assert_eq!(c.feature_counts(), (10, 100));
    let f = code(1_000_000 + 900_000 + 3 * 100 + 2 + 100);
    assert_eq!(picture_of(&c, f), [("A".to_string(), 3000)]);
    let at_60 = code(1_000_000 + 900_000 + 3 * 100 + 2 + 60);
    assert!(
        picture_of(&c, at_60).is_empty(),
        "clip scales are not stored"
    );
    // Enough adds to merge every segment into one: A's features stay.
    for i in 3..=catalog::MAX_SEGMENTS as u64 + 2 {
        catalog::add(&dir, vec![with_features(title(&format!("T{i}"), i, 10), i)]).unwrap();
    }
    let c = Catalog::open(&dir).unwrap();
    c.verify().unwrap();
    assert!(c.storage().0 < catalog::MAX_SEGMENTS);
    assert_eq!(picture_of(&c, f), [("A".to_string(), 3000)]);
    let mut keypoints = Vec::new();
    c.search_keypoints(&f.0, 0, |r| {
        keypoints.push(c.feature_frame(r).unwrap().keypoints)
    });
    assert_eq!(keypoints.len(), 1);
    assert_eq!(keypoints[0].len(), 10);
    assert_eq!(keypoints[0][2].bits, f.0);
    assert_eq!((keypoints[0][2].x, keypoints[0][2].y), (70, 50));

    // Many lookups at once land where each lookup lands, in order.
    let queries: Vec<[u64; 4]> = (1..=catalog::MAX_SEGMENTS as u64 + 2)
        .flat_map(|seed| {
            (0..4u64)
                .flat_map(move |s| [s * 100 + 100, s * 100 + 107])
                .map(move |k| code(seed * 1_000_000 + 900_000 + k).0)
        })
        .chain([code(77).0, f.0, f.0])
        .collect();
    let mut one_by_one = Vec::new();
    for q in &queries {
        c.search_keypoints(q, 64, |r| one_by_one.push(r));
    }
    one_by_one.sort_unstable();
    let landings = c.keypoint_landings(&queries, 64);
    assert!(landings.len() > 30, "{}", landings.len());
    assert_eq!(landings, one_by_one);
}

#[test]
fn windows_are_stored_beside_the_view_and_searched_by_queries() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    build(
        &dir,
        vec![with_window(title("A", 1, 40), 1), title("B", 2, 40)],
    );
    let c = Catalog::open(&dir).unwrap();
    assert!(c.stores_windows());
    // A's 36 informative frames twice; B has no window track.
    assert_eq!(c.titles()[0].frames, 72);
    assert_eq!(c.titles()[1].frames, 36);
    let hit = c.search_radius(&code(1_500_007), 0);
    assert_eq!((hit.len(), hit[0].t_ms), (1, 7 * 250));
    // A query's window track is searched, as its views are.
    let query = with_window(title("Q", 5, 10), 5).fingerprint;
    let views = c.query_views(&query).unwrap();
    assert_eq!(views.len(), 3, "whole picture, the 75 % view, the window");
}

#[test]
fn a_catalog_without_windows_keeps_none_when_titles_are_added() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    // The committed catalog from before windows, copied.
    std::fs::create_dir(&dir).unwrap();
    for entry in std::fs::read_dir(FIXTURE_V2).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    catalog::add(&dir, vec![with_window(title("D", 4, 20), 4)]).unwrap();
    let c = Catalog::open(&dir).unwrap();
    c.verify().unwrap();
    assert!(!c.stores_windows());
    assert_eq!(ids(&c), ["A", "C", "D"]);
    assert_eq!(c.search_radius(&code(4_000_003), 0).len(), 1);
    assert!(
        c.search_radius(&code(4_500_003), 0).is_empty(),
        "the added title's window is not stored"
    );
    // Nor is a query's window searched there.
    let query = with_window(title("Q", 5, 10), 5).fingerprint;
    assert_eq!(c.query_views(&query).unwrap().len(), 2);
}

#[test]
fn concurrent_writers_in_threads_lose_no_title() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    build(&dir, vec![title("base", 1, 40)]);
    // Sixteen writers at once (past MAX_SEGMENTS, so merges run between
    // adds), and two of them also remove a title they added.
    std::thread::scope(|s| {
        for i in 0..16u64 {
            let dir = &dir;
            s.spawn(move || {
                catalog::add(dir, vec![title(&format!("T{i}"), 10 + i, 40)]).unwrap();
                if i % 8 == 0 {
                    catalog::add(dir, vec![title(&format!("gone{i}"), 100 + i, 40)]).unwrap();
                    catalog::remove(dir, &format!("gone{i}")).unwrap();
                }
            });
        }
    });
    let c = Catalog::open(&dir).unwrap();
    c.verify().unwrap();
    let mut got = ids(&c);
    got.sort();
    let mut want: Vec<String> = (0..16).map(|i| format!("T{i}")).collect();
    want.push("base".into());
    want.sort();
    assert_eq!(got, want);
    for i in 0..16u64 {
        let hit = c.search_radius(&code((10 + i) * 1_000_000 + 7), 0);
        assert_eq!(c.title(hit[0].title).unwrap().id, format!("T{i}"));
    }
}

#[test]
fn readers_never_fail_while_writers_change_the_catalog() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    build(&dir, vec![title("base", 1, 40)]);
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        // Adds and removes delete segments the readers may be about to
        // open (a removed title's segment, merged segments).
        s.spawn(|| {
            for i in 0..60u64 {
                catalog::add(&dir, vec![title(&format!("T{i}"), 10 + i, 20)]).unwrap();
                catalog::remove(&dir, &format!("T{i}")).unwrap();
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        for _ in 0..3 {
            s.spawn(|| {
                let mut opened = 0;
                while !done.load(std::sync::atomic::Ordering::SeqCst) || opened == 0 {
                    let c = Catalog::open(&dir).unwrap_or_else(|e| panic!("{e}"));
                    assert!(ids(&c).contains(&"base".to_owned()));
                    opened += 1;
                }
            });
        }
    });
}

#[test]
fn a_second_writer_can_be_told_not_to_wait() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    build(&dir, vec![title("A", 1, 40)]);
    let held = catalog::lock_catalog(&dir, Wait::Fail).unwrap();
    let err = catalog::lock_catalog(&dir, Wait::Fail).unwrap_err();
    assert!(matches!(err, IndexError::Locked { .. }), "{err}");
    // Readers are not blocked.
    assert_eq!(ids(&Catalog::open(&dir).unwrap()), ["A"]);
    catalog::add_locked(&held, vec![title("B", 2, 40)]).unwrap();
    drop(held);
    catalog::add(&dir, vec![title("C", 3, 40)]).unwrap();
    assert_eq!(ids(&Catalog::open(&dir).unwrap()), ["A", "B", "C"]);
    // A folder that is not a catalog gets no lock file.
    let other = tmp.path().join("videos");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("holiday.mp4"), b"video").unwrap();
    assert!(catalog::lock_catalog(&other, Wait::Fail).is_err());
    assert!(catalog::lock_for_build(&other, Wait::Fail).is_err());
    assert!(!other.join(vfp_index::lock::LOCK_FILE).exists());
}

#[test]
fn a_damaged_title_table_is_caught_on_open_not_only_by_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    build(&dir, vec![title("A", 1, 40), title("Megamind", 2, 40)]);
    let segment = dir.join("seg-000001.vfps");
    let mut bytes = std::fs::read(&segment).unwrap();
    let at = bytes
        .windows(8)
        .position(|w| w == b"Megamind")
        .expect("the title's id in the table");
    // "Megamind" -> "Legamind": still valid JSON, a different title.
    bytes[at] = b'L';
    std::fs::write(&segment, &bytes).unwrap();
    let err = Catalog::open(&dir).unwrap_err();
    let text = format!(
        "{err}: {}",
        std::error::Error::source(&err)
            .map(|s| s.to_string())
            .unwrap_or_default()
    );
    assert!(text.contains("seg-000001.vfps"), "{text}");
    assert!(text.contains("title table"), "{text}");
}

#[test]
fn a_padded_copy_grows_and_the_original_is_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let original = tmp.path().join("cat");
    build(&original, vec![title("A", 1, 400), title("B", 2, 400)]);
    catalog::add(&original, vec![title("C", 3, 100)]).unwrap();
    let before = std::fs::read(original.join(MANIFEST)).unwrap();
    let opened = Catalog::open(&original).unwrap();
    let copy = tmp.path().join("copy");
    opened.copy_to(&copy).unwrap();
    // Into a folder that holds a catalog: refused, nothing changed.
    let err = opened.copy_to(&copy).unwrap_err();
    assert!(err.to_string().contains("copy"), "{err}");
    let mut steps = Vec::new();
    let frames = 25_000;
    vfp_index::synthetic::pad(
        &copy,
        frames,
        10_000,
        &mut vfp_index::synthetic::Rng(5),
        |n| steps.push(n),
    )
    .unwrap();
    assert_eq!(steps, [10_000, 20_000, 25_000]);
    let padded = Catalog::open(&copy).unwrap();
    let stored = opened.frame_count() as u64;
    assert_eq!(padded.frame_count() as u64, stored + frames);
    assert_eq!(padded.storage().0, 5, "two segments copied, three added");
    // The copy still finds the original's frames, and the original is as
    // it was.
    let hits = padded.search_radius(&code(2_000_000 + 7), 0);
    assert_eq!(hits.len(), 1);
    assert_eq!(padded.title(hits[0].title).unwrap().id, "B");
    assert_eq!(std::fs::read(original.join(MANIFEST)).unwrap(), before);
    assert_eq!(
        Catalog::open(&original).unwrap().frame_count() as u64,
        stored
    );
    padded.verify().unwrap();
}
