//! Extraction behaviour on real and generated video: timestamps, sampling,
//! keyframe mode, odd sizes, low-information frames.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

mod common;

use common::{dense, fetched, generated};
use vfp_extractor::{extract, ExtractOptions};
use vfp_fingerprint::{FrameFlags, Sampling};

#[test]
fn dense_sampling_follows_the_time_grid() {
    let fp = dense(&generated("ref.mp4"), 4.0);
    // 11.3 s at 4 samples/s, each sample the first frame at or after
    // k × 250 ms (the film runs at 23.976 fps: frames 41.7 ms apart).
    assert_eq!(fp.frames.len(), 46);
    for (k, f) in fp.frames.iter().enumerate() {
        let grid = k as u32 * 250;
        assert!(
            f.t_ms >= grid && f.t_ms < grid + 42,
            "sample {k} at {} ms",
            f.t_ms
        );
    }
    assert!((fp.source.duration_ms as i64 - 11_303).abs() <= 2);
    assert_eq!(fp.source.codec, "h264");
    assert!((fp.source.fps - 23.976).abs() < 0.01);
}

#[test]
fn source_facts_include_the_file_sha256() {
    let path = generated("ref.mp4");
    let fp = dense(&path, 1.0);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(fp.source.file_size, bytes.len() as u64);
    // Known-answer check against the sha256sum tool.
    let out = std::process::Command::new("sha256sum")
        .arg(&path)
        .output()
        .unwrap();
    let hex: String = fp
        .source
        .sha256
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&hex));
}

#[test]
fn a_stream_start_offset_does_not_shift_times() {
    let reference = dense(&generated("ref.mp4"), 4.0);
    let offset = dense(&generated("start-offset.mp4"), 4.0);
    assert_eq!(offset.frames.first().map(|f| f.t_ms), Some(0));
    let times =
        |fp: &vfp_fingerprint::Fingerprint| fp.frames.iter().map(|f| f.t_ms).collect::<Vec<_>>();
    assert_eq!(times(&reference), times(&offset));
    for (a, b) in reference.frames.iter().zip(&offset.frames) {
        assert!(a.hash.hamming(&b.hash) <= 4);
    }
}

#[test]
fn variable_frame_rate_is_sampled_by_time() {
    // After the first second only every third frame remains (125 ms apart).
    let vfr = dense(&generated("vfr.mp4"), 4.0);
    let reference = dense(&generated("ref.mp4"), 24.0);
    assert!(vfr.frames.len() >= 40, "{} samples", vfr.frames.len());
    for (k, f) in vfr.frames.iter().enumerate() {
        let grid = k as u32 * 250;
        assert!(
            f.t_ms >= grid && f.t_ms < grid + 126,
            "sample {k} at {} ms",
            f.t_ms
        );
        // The sampled picture is the film's picture at that time: no other
        // frame of the half second around it is clearly closer.
        let d = |r: &vfp_fingerprint::HashedFrame| r.hash.hamming(&f.hash);
        let same = reference
            .frames
            .iter()
            .find(|r| r.t_ms.abs_diff(f.t_ms) <= 1)
            .expect("frame");
        let best = reference
            .frames
            .iter()
            .filter(|r| r.t_ms.abs_diff(f.t_ms) <= 250)
            .map(d)
            .min()
            .expect("frames");
        assert!(
            d(same) <= 32 && d(same) <= best + 4,
            "at {} ms: {} vs best {best}",
            f.t_ms,
            d(same)
        );
    }
}

#[cfg(unix)]
#[test]
fn any_file_name_is_read_as_the_file_it_names() {
    // Leaked files are named by whoever posted them: bytes that are not
    // UTF-8, and names FFmpeg would take for a protocol (`concat:`).
    use std::os::unix::ffi::OsStrExt as _;
    let dir = tempfile::tempdir().unwrap();
    let film = dense(&generated("ref.mp4"), 4.0);
    for name in [&b"bad\xffname.mp4"[..], b"concat:x.mp4", b"http:x.mp4"] {
        let path = dir.path().join(std::ffi::OsStr::from_bytes(name));
        std::fs::copy(generated("ref.mp4"), &path).unwrap();
        let fp = dense(&path, 4.0);
        assert_eq!(fp.frames, film.frames, "{}", path.display());
    }
}

#[test]
fn odd_sizes_decode() {
    let fp = dense(&generated("odd-size.mkv"), 4.0);
    assert_eq!((fp.source.width, fp.source.height), (321, 241));
    assert_eq!(fp.frames.len(), 12);
}

#[test]
fn ogg_theora_decodes_without_a_false_truncation() {
    // Ogg states durations only roughly (a real .ogv in the evaluation
    // corpus declares 14.4 s for 12.9 s of frames): no truncation error.
    let fp = dense(&generated("theora.ogv"), 4.0);
    assert_eq!(fp.source.codec, "theora");
    assert!(fp.frames.len() >= 40, "{}", fp.frames.len());
}

#[test]
fn huge_frames_decode() {
    let fp = dense(&generated("huge-8k.mkv"), 4.0);
    assert_eq!((fp.source.width, fp.source.height), (7680, 4320));
    assert_eq!(fp.frames.len(), 4);
    assert!(fp.frames.iter().all(|f| f.is_informative()));
}

#[test]
fn a_real_variable_rate_phone_video_decodes() {
    let fp = dense(&fetched("phone.mp4"), 4.0);
    assert_eq!((fp.source.width, fp.source.height), (1920, 1080));
    // 1.52 s at 4 samples/s: grid points 0 to 1.5 s, the last frame before 1.5.
    assert_eq!(fp.frames.len(), 6);
    assert!(fp.frames.iter().all(|f| f.is_informative()));
}

#[test]
fn keyframe_mode_hashes_keyframes_only() {
    let path = fetched("vtest.avi");
    let opts = ExtractOptions::with_sampling(Sampling::Keyframes);
    let keys = extract(&path, &opts).unwrap();
    let all = dense(&path, 10.0);
    assert!(!keys.frames.is_empty());
    assert!(
        keys.frames.len() * 4 < all.frames.len(),
        "{} keyframes",
        keys.frames.len()
    );
    assert!(keys
        .frames
        .iter()
        .all(|f| f.flags.contains(FrameFlags::KEYFRAME)));
    // Each keyframe is one of the frames dense decoding sees.
    for k in &keys.frames {
        let same = all
            .frames
            .iter()
            .find(|f| f.t_ms == k.t_ms)
            .expect("keyframe time on the 10 fps grid");
        assert!(same.hash.hamming(&k.hash) <= 4);
    }
}

#[test]
fn low_information_frames_are_flagged() {
    // 0-1 s black, 1-2 s flat grey, 2-3 s a title card, 3-6 s the film
    // fading to black over its last 2 s.
    let fp = dense(&generated("low-information.mp4"), 4.0);
    let at = |t: u32| {
        fp.frames
            .iter()
            .find(|f| f.t_ms == t)
            .unwrap_or_else(|| panic!("no sample at {t}"))
    };
    for t in [0, 500, 1250, 1750, 2000, 2500, 2750] {
        assert!(!at(t).is_informative(), "{t} ms: quality {}", at(t).quality);
    }
    for t in [3250, 3750, 4500, 5000] {
        assert!(at(t).is_informative(), "{t} ms: quality {}", at(t).quality);
    }
    // Quality falls as the picture fades.
    assert!(at(5750).quality < at(4500).quality);
}

#[test]
fn pictures_decoded_on_without_a_seek_are_the_ones_a_seek_finds() {
    // Every sampled moment of the film (4 a second), as a title's stills
    // are taken: one pass, each time close to the last. Each must be the
    // very picture a seek to its time alone finds.
    let film = source(&generated("ref.mp4"));
    let times: Vec<u32> = (0..46).map(|k| k * 250).collect();
    let mut in_one_pass = Vec::new();
    vfp_extractor::each_thumbnail(&film, &times, 96, |k, picture| {
        in_one_pass.push((k, picture));
        Ok(())
    })
    .unwrap();
    assert_eq!(
        in_one_pass.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
        (0..times.len()).collect::<Vec<_>>(),
        "handed over in time order, each once"
    );
    for &k in &[1, 7, 20, 33, 45] {
        let alone = vfp_extractor::thumbnails(&film, &times[k..=k], 96).unwrap();
        assert_eq!(
            alone[0].as_ref(),
            Some(&in_one_pass[k].1),
            "{} ms",
            times[k]
        );
    }
    // Successive moments of a moving film differ.
    assert_ne!(in_one_pass[20].1, in_one_pass[21].1);
}

#[test]
fn thumbnails_are_upright_pictures_at_the_asked_times() {
    let times = [1000, 5000, 3000, 999_000, 11_250];
    let film = vfp_extractor::thumbnails(&source(&generated("ref.mp4")), &times, 160).unwrap();
    assert!(film[3].is_none(), "past the end");
    assert!(
        film[4].is_some(),
        "the last frame, held back by the decoder until the end"
    );
    let t = film[0].as_ref().unwrap();
    assert_eq!((t.width, t.height, t.rgb.len()), (160, 116, 160 * 116 * 3));
    // The sideways copy, turned upright, shows the same pictures.
    let sideways =
        vfp_extractor::thumbnails(&source(&generated("sideways.mp4")), &times, 160).unwrap();
    for i in 0..3 {
        let (a, b) = (film[i].as_ref().unwrap(), sideways[i].as_ref().unwrap());
        assert_eq!((a.width, a.height), (b.width, b.height));
        let diff: u64 = a
            .rgb
            .iter()
            .zip(&b.rgb)
            .map(|(x, y)| u64::from(x.abs_diff(*y)))
            .sum();
        let mean = diff as f64 / a.rgb.len() as f64;
        assert!(mean < 12.0, "time {}: mean difference {mean}", times[i]);
        // Different moments differ more.
        if i > 0 {
            let other = film[0].as_ref().unwrap();
            let d: u64 = a
                .rgb
                .iter()
                .zip(&other.rgb)
                .map(|(x, y)| u64::from(x.abs_diff(*y)))
                .sum();
            assert!(d as f64 / a.rgb.len() as f64 > mean, "time {}", times[i]);
        }
    }
}

/// A video handed over in parts is the video extracted whole: every
/// frame, view track and local feature lies in a part, each part repeats
/// the overlap of the one before and nothing else, and a video shorter
/// than a part is one part equal to the whole extraction.
#[test]
fn parts_of_a_video_add_up_to_the_whole_extraction() {
    use vfp_extractor::features::FeatureOptions;
    use vfp_extractor::{extract_in_parts, ExtractError, Parts};
    // The pillarboxed film with an intro card: framing that changes, so
    // the region tracks come and go between parts.
    let path = generated("intro-card-pillarbox.mp4");
    let opts = ExtractOptions::with_sampling(Sampling::Dense { fps: 4.0 })
        .with_features(FeatureOptions::title());
    let whole = extract(&path, &opts).unwrap();
    let parts_of = |parts: Parts| {
        let mut got = Vec::new();
        let read = extract_in_parts(&path, &opts, parts, |p| {
            got.push(p);
            Ok::<(), ExtractError>(())
        })
        .unwrap();
        assert_eq!(read.source, whole.source);
        assert!(read.cut_short.is_none());
        got
    };
    let one = parts_of(Parts {
        span_ms: 600_000,
        overlap_ms: 30_000,
    });
    assert_eq!(one.len(), 1);
    assert_eq!(one[0], whole);

    let overlap_ms = 1_500;
    let parts = parts_of(Parts {
        span_ms: 3_000,
        overlap_ms,
    });
    assert!(parts.len() >= 3, "{} parts", parts.len());
    // Frames: each part's new frames continue the last, after an overlap
    // that repeats the previous part's end exactly.
    let mut frames = Vec::new();
    let mut features = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let repeated = if i == 0 {
            0
        } else {
            let end = parts[i - 1].frames.last().unwrap().t_ms;
            let k = part.frames.partition_point(|f| f.t_ms <= end);
            let before = &parts[i - 1].frames;
            assert_eq!(&part.frames[..k], &before[before.len() - k..]);
            assert!(part.frames[..k].iter().all(|f| f.t_ms + overlap_ms >= end));
            k
        };
        frames.extend_from_slice(&part.frames[repeated..]);
        // Every track of a part has a frame per sample.
        for v in &part.views {
            let times: Vec<u32> = v.frames.iter().map(|f| f.t_ms).collect();
            let expected: Vec<u32> = part.frames.iter().map(|f| f.t_ms).collect();
            assert_eq!(times, expected, "{:?} {}", v.region, v.zoom_pct);
        }
        let after = if i == 0 {
            0
        } else {
            parts[i - 1].features.last().map_or(0, |f| f.t_ms + 1)
        };
        features.extend(
            part.features
                .iter()
                .filter(|f| i == 0 || f.t_ms >= after)
                .cloned(),
        );
    }
    assert_eq!(frames, whole.frames);
    assert_eq!(features, whole.features);
    // Each track of the whole extraction, frame for frame, from the parts
    // (placeholders where a part did not have the region).
    for track in &whole.views {
        let mut joined = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let repeated = if i == 0 {
                0
            } else {
                let end = parts[i - 1].frames.last().unwrap().t_ms;
                part.frames.partition_point(|f| f.t_ms <= end)
            };
            match part
                .views
                .iter()
                .find(|v| (v.region, v.zoom_pct) == (track.region, track.zoom_pct))
            {
                Some(v) => joined.extend_from_slice(&v.frames[repeated..]),
                None => joined.extend(part.frames[repeated..].iter().map(|f| {
                    vfp_fingerprint::HashedFrame {
                        t_ms: f.t_ms,
                        hash: Default::default(),
                        mirrored: Default::default(),
                        quality: 0,
                        flags: FrameFlags::LOW_INFORMATION,
                    }
                })),
            }
        }
        assert_eq!(
            joined, track.frames,
            "{:?} {}",
            track.region, track.zoom_pct
        );
    }
}

fn source(path: &std::path::Path) -> vfp_extractor::SourceFile {
    vfp_extractor::SourceFile::open(path).unwrap()
}

#[test]
fn pictures_come_from_the_opened_file_even_if_another_takes_its_name() {
    // Hash, then decode by path again, showed the pictures of a file
    // swapped in between under the first file's SHA-256.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("title.mp4");
    std::fs::copy(generated("ref.mp4"), &path).unwrap();
    let opened = source(&path);
    let sha256 = opened.sha256().unwrap();
    let swapped = dir.path().join("swapped.mp4");
    std::fs::copy(generated("mirrored.mp4"), &swapped).unwrap();
    std::fs::rename(&swapped, &path).unwrap();
    let times = [1000, 4000];
    let shown = vfp_extractor::thumbnails(&opened, &times, 160).unwrap();
    let film = vfp_extractor::thumbnails(&source(&generated("ref.mp4")), &times, 160).unwrap();
    let mirrored =
        vfp_extractor::thumbnails(&source(&generated("mirrored.mp4")), &times, 160).unwrap();
    assert_eq!(shown, film);
    assert_ne!(shown, mirrored);
    assert_eq!(
        sha256,
        vfp_extractor::file_sha256(&generated("ref.mp4")).unwrap().1
    );
}
