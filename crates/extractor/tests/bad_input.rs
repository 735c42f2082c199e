//! Every kind of bad input gets a typed error naming the file, never a
//! panic.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

mod common;

use common::generated;
use std::path::Path;
use vfp_extractor::{extract, ExtractError, ExtractOptions};
use vfp_fingerprint::Sampling;

fn fail(path: &Path) -> ExtractError {
    let err = extract(path, &ExtractOptions::default()).expect_err("bad input must fail");
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        err.to_string().contains(&name),
        "error does not name the file: {err}"
    );
    assert_eq!(err.path(), Some(path));
    err
}

/// Writes `text` to a file named `name` in `dir`, with every `{ts}` and
/// `{mp4}` replaced by the absolute path of the generated film's MPEG-TS
/// and MP4.
fn reference_list(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let abs = |p: std::path::PathBuf| std::fs::canonicalize(p).unwrap().display().to_string();
    let text = text
        .replace("{ts}", &abs(generated("ref.ts")))
        .replace("{mp4}", &abs(generated("ref.mp4")));
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn refused_as(path: &Path) -> String {
    match fail(path) {
        ExtractError::RefusedFormat { format, .. } => format,
        other => panic!("{} was not refused: {other}", path.display()),
    }
}

#[test]
fn a_playlist_is_refused_not_followed_to_the_files_it_names() {
    // An HLS playlist saved as .mp4: FFmpeg probes the content, and read
    // on its own it decoded the film it names, under the SHA-256 of the
    // playlist's few bytes (false evidence), and opened a local file of
    // the uploader's choosing.
    let dir = tempfile::tempdir().unwrap();
    let hls = reference_list(
        dir.path(),
        "pl.mp4",
        "#EXTM3U\n#EXT-X-TARGETDURATION:12\n#EXTINF:12.0,\n{ts}\n#EXT-X-ENDLIST\n",
    );
    assert_eq!(refused_as(&hls), "hls");
    let dash = reference_list(
        dir.path(),
        "manifest.mp4",
        r#"<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT11S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011"><Period><AdaptationSet mimeType="video/mp4"><Representation id="1" bandwidth="1000" codecs="avc1.64001f" width="720" height="528"><BaseURL>{mp4}</BaseURL></Representation></AdaptationSet></Period></MPD>
"#,
    );
    assert_eq!(refused_as(&dash), "dash");
    let concat = reference_list(
        dir.path(),
        "list.mp4",
        "ffconcat version 1.0\nfile '{ts}'\n",
    );
    assert_eq!(refused_as(&concat), "concat");
    let err = fail(&hls).to_string();
    assert!(err.contains("streaming playlist"), "{err}");
    // The stream they name is itself a self-contained file, read as such.
    let film = extract(&generated("ref.ts"), &ExtractOptions::default()).unwrap();
    assert!(film.frames.len() > 20);
}

#[test]
fn missing_file() {
    let err = fail(Path::new("/nonexistent/clip.mp4"));
    assert!(matches!(err, ExtractError::Io { .. }), "{err:?}");
}

#[test]
fn a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let err = fail(dir.path());
    assert!(matches!(err, ExtractError::Io { .. }), "{err:?}");
}

#[cfg(unix)]
#[test]
fn a_fifo_or_a_device_is_not_read() {
    // Reading either would never end (a FIFO waits for a writer).
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("stream.mp4");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let zero = dir.path().join("zero.mp4");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    for path in [fifo, zero] {
        let err = fail(&path);
        let cause = std::error::Error::source(&err).map(|c| c.to_string());
        assert!(
            cause
                .as_deref()
                .is_some_and(|c| c.contains("not a regular file")),
            "{err}: {cause:?}"
        );
    }
}

#[test]
fn zero_byte_file() {
    let err = fail(&generated("empty.mp4"));
    assert!(matches!(err, ExtractError::Empty { .. }), "{err:?}");
}

#[test]
fn mp4_cut_before_its_index() {
    let err = fail(&generated("truncated.mp4"));
    assert!(matches!(err, ExtractError::Unreadable { .. }), "{err:?}");
}

#[test]
fn mp4_cut_in_the_middle_of_its_frames() {
    let err = fail(&generated("truncated-faststart.mp4"));
    match err {
        ExtractError::Damaged { at_s, .. } => assert!(at_s > 1.0 && at_s < 10.0, "{at_s}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_mp4_cut_short_keeps_what_decodes_under_the_sha256_of_every_byte() {
    let path = generated("truncated-faststart.mp4");
    let opts = ExtractOptions::with_sampling(Sampling::Dense { fps: 4.0 });
    let (fp, damage) = vfp_extractor::extract_partial(&path, &opts).unwrap();
    assert!(
        matches!(damage, Some(ExtractError::Damaged { .. })),
        "{damage:?}"
    );
    assert!(fp.frames.len() > 4, "{}", fp.frames.len());
    // The bytes past the last frame decoded are in the hash too.
    let (size, sha256) = vfp_extractor::file_sha256(&path).unwrap();
    assert_eq!((fp.source.file_size, fp.source.sha256), (size, sha256));
}

#[test]
fn random_bytes() {
    let err = fail(&generated("random.mp4"));
    assert!(matches!(err, ExtractError::Unreadable { .. }), "{err:?}");
}

#[test]
fn text_file_named_mp4() {
    let err = fail(&generated("text.mp4"));
    assert!(matches!(err, ExtractError::Unreadable { .. }), "{err:?}");
}

#[test]
fn pictures_larger_than_any_codec_level_are_refused() {
    let path = generated("oversized.mkv");
    let err = fail(&path);
    match &err {
        ExtractError::TooLarge { width, height, .. } => assert_eq!((*width, *height), (8192, 8192)),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("oversized.mkv"), "{err}");
    assert!(err.to_string().contains("larger than vfp decodes"), "{err}");
}

#[test]
fn a_stream_that_grows_past_the_largest_picture_is_refused() {
    // The size was checked once, at the start: 2 s of 320x240, then
    // 8192x8192 frames, decoded at a 505 MB peak.
    let err = fail(&generated("grows-past-8k.ts"));
    assert!(
        matches!(
            err,
            ExtractError::TooLarge {
                width: 8192,
                height: 8192,
                ..
            }
        ),
        "{err:?}"
    );
}

/// A GIF of `frames` frames of `width`×`height`, each drawing one pixel
/// (23 bytes a frame), 20 ms apart: a decompression bomb.
fn gif_bomb(width: u16, height: u16, frames: u32) -> Vec<u8> {
    let mut gif = b"GIF89a".to_vec();
    gif.extend(width.to_le_bytes());
    gif.extend(height.to_le_bytes());
    // A global table of two colours, black and white.
    gif.extend([0xF0, 0, 0, 0, 0, 0, 255, 255, 255]);
    for i in 0..frames {
        // Graphic control: 2 hundredths of a second.
        gif.extend([0x21, 0xF9, 4, 0, 2, 0, 0, 0]);
        let x = (i * 7919 % u32::from(width)) as u16;
        let y = (i * 104_729 % u32::from(height)) as u16;
        gif.push(0x2C);
        for v in [x, y, 1, 1] {
            gif.extend(v.to_le_bytes());
        }
        gif.push(0);
        // LZW, minimum code size 2: clear, colour 1, end.
        gif.extend([2, 2, 0x4C, 0x01, 0]);
    }
    gif.push(0x3B);
    gif
}

#[test]
fn a_decompression_bomb_is_refused_by_what_it_costs() {
    // 69 KB that decode to 3,000 frames of 8000x4400 (105 G pixels): it
    // cost 239 s of CPU; refused once it passes 100,000 pixels per byte.
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.gif");
    std::fs::write(&bomb, gif_bomb(8000, 4400, 3000)).unwrap();
    assert_eq!(std::fs::metadata(&bomb).unwrap().len(), 69_020);
    let err = fail(&bomb);
    let ExtractError::TooCostly { reason, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(reason.contains("pixels per byte"), "{reason}");
}

#[test]
fn audio_only_file() {
    let err = fail(&generated("audio-only.m4a"));
    match &err {
        ExtractError::NoVideoStream { streams, .. } => assert_eq!(streams, "1 audio stream"),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("no video stream"));
}

#[test]
fn a_fingerprint_file_is_not_a_video() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.vfp");
    std::fs::write(
        &path,
        include_bytes!("../../../testdata/format/v1-sample.vfp"),
    )
    .unwrap();
    let err = fail(&path);
    assert!(matches!(err, ExtractError::Unreadable { .. }), "{err:?}");
}

#[test]
fn invalid_parameters_are_refused() {
    let mut opts = ExtractOptions::default();
    opts.params.sampling = vfp_fingerprint::Sampling::Dense { fps: 0.0 };
    let err = extract(&generated("ref.mp4"), &opts).unwrap_err();
    assert!(matches!(err, ExtractError::InvalidParams(_)), "{err:?}");
}

/// What [`vfp_extractor::sniff`] makes of a generated file.
fn sniffed(name: &str) -> vfp_extractor::Sniffed {
    let source = vfp_extractor::SourceFile::open(&generated(name)).unwrap();
    vfp_extractor::sniff(&source).unwrap()
}

#[test]
fn sniffing_knows_videos_by_their_content_as_the_decoder_does() {
    use vfp_extractor::Sniffed;
    for (name, format) in [
        ("ref.ts", "mpegts"),
        ("ref.mp4", "mov,mp4,m4a,3gp,3g2,mj2"),
        ("odd-size.mkv", "matroska,webm"),
        ("theora.ogv", "ogg"),
        // A download cut short still shows what it is.
        ("truncated.mp4", "mov,mp4,m4a,3gp,3g2,mj2"),
    ] {
        assert_eq!(
            sniffed(name),
            Sniffed::Video {
                format: format.to_owned()
            },
            "{name}"
        );
    }
    // What FFmpeg cannot read is not a video whatever its name.
    assert_eq!(sniffed("text.mp4"), Sniffed::Unknown);
    assert_eq!(sniffed("random.mp4"), Sniffed::Unknown);
    // A playlist is what the decoder refuses, and says why.
    let tmp = tempfile::tempdir().unwrap();
    let playlist = reference_list(
        tmp.path(),
        "clip",
        "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n{ts}\n#EXT-X-ENDLIST\n",
    );
    let source = vfp_extractor::SourceFile::open(&playlist).unwrap();
    assert!(
        matches!(vfp_extractor::sniff(&source).unwrap(), Sniffed::Refused { ref format, .. } if format == "hls")
    );
}
