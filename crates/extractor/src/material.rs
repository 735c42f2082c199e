//! Generated video: material for `vfp bench` when it is given no files,
//! and for tests that need a real encoded file without fixtures.
//!
//! A [`Scene`] is pictures drawn from a seed: shots of [`SHOT_S`] seconds,
//! each a gradient with coloured rectangles and discs drifting across it.
//! A scene's picture at a given time is the same at any size, so a title
//! and a copy of part of it (another size, another quality, another start)
//! are the same scene written twice by [`write_video`], which encodes it
//! as H.264 (libx264) in MP4 through FFmpeg.

use crate::decode::init;
use crate::ExtractError;
use ffmpeg::format::Pixel;
use ffmpeg::{codec, encoder, frame, Dictionary, Packet, Rational};
use ffmpeg_next as ffmpeg;
use std::path::{Path, PathBuf};

/// Length of a scene's shots, s.
pub const SHOT_S: f64 = 4.0;

/// Shapes drawn per shot.
const SHAPES: usize = 24;

/// Pictures drawn from a seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scene {
    /// Which scene: different seeds share nothing.
    pub seed: u64,
}

/// How [`write_video`] encodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encoding {
    /// Picture width, pixels (even).
    pub width: u32,
    /// Picture height, pixels (even).
    pub height: u32,
    /// Frames per second.
    pub fps: u32,
    /// x264's constant rate factor: 18 looks like the original, 28 like
    /// a re-posted copy.
    pub crf: u8,
    /// Seconds between keyframes.
    pub keyframe_s: u32,
}

/// One shape of a shot, in picture-relative units (height = 1).
#[derive(Clone, Copy, Debug)]
struct Shape {
    disc: bool,
    /// Centre at the shot's start, and its drift per second.
    x: f64,
    y: f64,
    dx: f64,
    dy: f64,
    /// Half-width and half-height (a disc: radius = `rx`).
    rx: f64,
    ry: f64,
    yuv: [u8; 3],
}

/// A shot: its background and shapes.
#[derive(Clone, Debug)]
struct Shot {
    /// Luma at the top and bottom, and the change across the width.
    top: f64,
    bottom: f64,
    across: f64,
    chroma: [u8; 2],
    shapes: [Shape; SHAPES],
}

/// xorshift64*, seeded by a scene and a shot.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, shot: u64) -> Rng {
        let mut x = seed ^ shot.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x2545_F491_4F6C_DD1D;
        if x == 0 {
            x = 1;
        }
        Rng(x)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `lo..hi`.
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }

    fn byte(&mut self, lo: u8, hi: u8) -> u8 {
        self.range(f64::from(lo), f64::from(hi)) as u8
    }
}

impl Scene {
    fn shot(&self, index: u64) -> Shot {
        let mut rng = Rng::new(self.seed, index);
        let shapes = std::array::from_fn(|_| Shape {
            disc: rng.next() & 1 == 0,
            x: rng.range(0.0, 16.0 / 9.0),
            y: rng.range(0.0, 1.0),
            dx: rng.range(-0.06, 0.06),
            dy: rng.range(-0.04, 0.04),
            rx: rng.range(0.02, 0.18),
            ry: rng.range(0.02, 0.18),
            yuv: [rng.byte(16, 235), rng.byte(40, 216), rng.byte(40, 216)],
        });
        Shot {
            top: rng.range(16.0, 235.0),
            bottom: rng.range(16.0, 235.0),
            across: rng.range(-90.0, 90.0),
            chroma: [rng.byte(64, 192), rng.byte(64, 192)],
            shapes,
        }
    }

    /// Draws the scene at `t_s` into a YUV 4:2:0 frame of its size.
    fn draw(&self, t_s: f64, out: &mut frame::Video) {
        let shot = self.shot((t_s / SHOT_S).floor().max(0.0) as u64);
        let since_s = t_s - (t_s / SHOT_S).floor() * SHOT_S;
        let (w, h) = (out.width() as usize, out.height() as usize);
        // Picture-relative units: the height is 1; the width keeps the
        // aspect, centred on a 16:9 stage.
        let unit = h as f64;
        let stage_x0 = (16.0 / 9.0 - w as f64 / unit) / 2.0;
        for plane in 0..3 {
            let (pw, ph, scale) = if plane == 0 {
                (w, h, 1)
            } else {
                (w / 2, h / 2, 2)
            };
            let stride = out.stride(plane);
            let data = out.data_mut(plane);
            for row in 0..ph {
                let y = (row * scale) as f64 / unit;
                let line = &mut data[row * stride..row * stride + pw];
                if plane == 0 {
                    let base = shot.top + (shot.bottom - shot.top) * y;
                    for (col, px) in line.iter_mut().enumerate() {
                        let x = col as f64 / w as f64;
                        *px = (base + shot.across * (x - 0.5)).clamp(16.0, 235.0) as u8;
                    }
                } else {
                    line.fill(shot.chroma[plane - 1]);
                }
                for s in &shot.shapes {
                    let cx = s.x + s.dx * since_s;
                    let cy = s.y + s.dy * since_s;
                    let dy = y - cy;
                    let half = if s.disc {
                        let r2 = s.rx * s.rx - dy * dy;
                        if r2 <= 0.0 {
                            continue;
                        }
                        r2.sqrt()
                    } else {
                        if dy.abs() > s.ry {
                            continue;
                        }
                        s.rx
                    };
                    // Columns whose stage x lies within cx ± half.
                    let col_of = |x: f64| ((x - stage_x0) * unit / scale as f64).round();
                    let from = col_of(cx - half).clamp(0.0, pw as f64) as usize;
                    let to = col_of(cx + half).clamp(0.0, pw as f64) as usize;
                    if from < to {
                        line[from..to].fill(s.yuv[plane]);
                    }
                }
            }
        }
    }
}

/// A stretch of a scene in a [`write_program`] video.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stretch {
    /// The scene shown.
    pub scene: Scene,
    /// Its time at the stretch's start, s.
    pub from_s: f64,
    /// How long it is shown, s.
    pub seconds: f64,
}

/// Writes `seconds` of `scene` from its time `from_s` to `path` (an MP4,
/// H.264), encoded as `encoding` says; through a temporary file renamed
/// into place, so an interrupted write leaves no half file under `path`.
pub fn write_video(
    path: &Path,
    scene: Scene,
    from_s: f64,
    seconds: f64,
    encoding: &Encoding,
) -> Result<(), ExtractError> {
    let one = Stretch {
        scene,
        from_s,
        seconds,
    };
    write_program(path, &[one], encoding)
}

/// Writes the `stretches` one after the other to `path`, as
/// [`write_video`] writes one: a compilation, or a long file with an
/// excerpt inside.
pub fn write_program(
    path: &Path,
    stretches: &[Stretch],
    encoding: &Encoding,
) -> Result<(), ExtractError> {
    init();
    let tmp = temporary_name(path);
    let result = encode(&tmp, stretches, encoding)
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| io_error(path, e)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn temporary_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

fn io_error(path: &Path, e: std::io::Error) -> ExtractError {
    ExtractError::Io {
        path: path.to_owned(),
        source: e,
    }
}

fn encoder_error(path: &Path, what: &str, e: ffmpeg::Error) -> ExtractError {
    ExtractError::Encoder {
        path: path.to_owned(),
        reason: format!("{what}: {e}"),
    }
}

fn encode(path: &Path, stretches: &[Stretch], e: &Encoding) -> Result<(), ExtractError> {
    if e.width < 16 || e.height < 16 || e.width % 2 == 1 || e.height % 2 == 1 || e.fps == 0 {
        return Err(ExtractError::InvalidParams(format!(
            "generated video must have even sides of at least 16 pixels and a frame rate, got {}×{} at {} fps",
            e.width, e.height, e.fps
        )));
    }
    let fail = |what: &'static str| move |err| encoder_error(path, what, err);
    let codec = encoder::find_by_name("libx264").ok_or_else(|| ExtractError::Encoder {
        path: path.to_owned(),
        reason: "this FFmpeg has no libx264 encoder".into(),
    })?;
    let mut out = ffmpeg::format::output_as(path, "mp4").map_err(fail("cannot create"))?;
    let global_header = out
        .format()
        .flags()
        .contains(ffmpeg::format::Flags::GLOBAL_HEADER);
    let time_base = Rational(1, e.fps as i32);
    let mut video = codec::context::Context::new_with_codec(codec)
        .encoder()
        .video()
        .map_err(fail("no video encoder"))?;
    video.set_width(e.width);
    video.set_height(e.height);
    video.set_format(Pixel::YUV420P);
    video.set_time_base(time_base);
    video.set_frame_rate(Some(Rational(e.fps as i32, 1)));
    video.set_gop(e.fps * e.keyframe_s.max(1));
    if global_header {
        video.set_flags(codec::Flags::GLOBAL_HEADER);
    }
    let mut options = Dictionary::new();
    options.set("preset", "veryfast");
    options.set("crf", &e.crf.to_string());
    // Keyframes where asked, not at x264's scene cuts.
    options.set("x264-params", "scenecut=0");
    let mut video = video
        .open_with(options)
        .map_err(fail("cannot open libx264"))?;
    let stream_index = {
        let mut stream = out.add_stream(codec).map_err(fail("cannot add a stream"))?;
        stream.set_parameters(&video);
        stream.set_time_base(time_base);
        stream.index()
    };
    out.write_header()
        .map_err(fail("cannot write the header"))?;
    let stream_time_base = out
        .stream(stream_index)
        .map(|s| s.time_base())
        .unwrap_or(time_base);
    let mut picture = frame::Video::new(Pixel::YUV420P, e.width, e.height);
    let mut packet = Packet::empty();
    let mut drain = |video: &mut encoder::Video,
                     out: &mut ffmpeg::format::context::Output|
     -> Result<(), ExtractError> {
        while video.receive_packet(&mut packet).is_ok() {
            packet.set_stream(stream_index);
            // Without a duration the muxer gives the last frame none, and
            // its edit list then leaves it out.
            packet.set_duration(1);
            packet.rescale_ts(time_base, stream_time_base);
            packet
                .write_interleaved(out)
                .map_err(fail("cannot write a packet"))?;
        }
        Ok(())
    };
    let mut pts = 0i64;
    for s in stretches {
        let frames = (s.seconds * f64::from(e.fps)).round() as i64;
        for n in 0..frames {
            s.scene
                .draw(s.from_s + n as f64 / f64::from(e.fps), &mut picture);
            picture.set_pts(Some(pts));
            pts += 1;
            video
                .send_frame(&picture)
                .map_err(fail("cannot encode a frame"))?;
            drain(&mut video, &mut out)?;
        }
    }
    video.send_eof().map_err(fail("cannot finish encoding"))?;
    drain(&mut video, &mut out)?;
    out.write_trailer()
        .map_err(fail("cannot write the trailer"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoding(width: u32, height: u32) -> Encoding {
        Encoding {
            width,
            height,
            fps: 10,
            crf: 23,
            keyframe_s: 1,
        }
    }

    #[test]
    fn a_scene_is_the_same_at_any_size_and_differs_between_shots_and_seeds() {
        let luma_at = |scene: Scene, t_s: f64, w: u32, h: u32, fx: f64, fy: f64| {
            let mut f = frame::Video::new(Pixel::YUV420P, w, h);
            scene.draw(t_s, &mut f);
            let (x, y) = ((fx * f64::from(w)) as usize, (fy * f64::from(h)) as usize);
            f.data(0)[y * f.stride(0) + x]
        };
        init();
        let a = Scene { seed: 1 };
        let mut same = 0;
        let mut across_shots = 0;
        let mut across_seeds = 0;
        let points = 200;
        for i in 0..points {
            let fx = (i % 20) as f64 / 20.0 + 0.02;
            let fy = (i / 20) as f64 / 10.0 + 0.03;
            let small = luma_at(a, 1.0, 320, 180, fx, fy);
            let big = luma_at(a, 1.0, 1280, 720, fx, fy);
            same += usize::from(small.abs_diff(big) <= 8);
            across_shots += usize::from(small.abs_diff(luma_at(a, 5.0, 320, 180, fx, fy)) > 8);
            let b = Scene { seed: 2 };
            across_seeds += usize::from(small.abs_diff(luma_at(b, 1.0, 320, 180, fx, fy)) > 8);
        }
        assert!(same >= points * 9 / 10, "{same} of {points}");
        assert!(across_shots >= points / 2, "{across_shots} of {points}");
        assert!(across_seeds >= points / 2, "{across_seeds} of {points}");
    }

    #[test]
    fn a_written_video_decodes_to_its_length_and_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scene.mp4");
        write_video(&path, Scene { seed: 3 }, 2.0, 3.0, &encoding(320, 180)).unwrap();
        let decoded = crate::decode_only(&path, 1, false).unwrap();
        assert_eq!(decoded.frames, 30);
        assert_eq!((decoded.width, decoded.height), (320, 180));
        assert_eq!(decoded.codec, "h264");
        let keyframes = crate::decode_only(&path, 1, true).unwrap();
        assert_eq!(keyframes.frames, 3, "a keyframe a second");
        // Nothing else is left in the folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// x264 through FFmpeg's library makes its later keyframes I-frames
    /// with recovery points rather than IDR frames (an open-GOP-like
    /// stream, common in the wild): decoded with the non-keyframes skipped,
    /// they were held back by the decoder's reordering and most were lost
    /// (3 of 10 here), so `--fast` saw too few keyframes to rule a file out.
    #[test]
    fn every_keyframe_of_a_stream_without_idr_frames_decodes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gop.mp4");
        let every_2_s = Encoding {
            fps: 30,
            keyframe_s: 2,
            ..encoding(320, 180)
        };
        write_video(&path, Scene { seed: 1_001 }, 0.0, 20.0, &every_2_s).unwrap();
        let keyframes = crate::decode_only(&path, 1, true).unwrap();
        assert_eq!(keyframes.frames, 10);
        assert_eq!(keyframes.last_frame_s, 18.0);
        let fp = crate::extract(
            &path,
            &crate::ExtractOptions::with_sampling(vfp_fingerprint::Sampling::Keyframes),
        )
        .unwrap();
        let times: Vec<u32> = fp.frames.iter().map(|f| f.t_ms).collect();
        assert_eq!(times, (0..10).map(|s| s * 2000).collect::<Vec<_>>());
    }

    #[test]
    fn impossible_sizes_are_refused_and_leave_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("odd.mp4");
        let err = write_video(&path, Scene { seed: 3 }, 0.0, 1.0, &encoding(321, 180));
        assert!(
            matches!(err, Err(ExtractError::InvalidParams(_))),
            "{err:?}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
