//! Generated video: material for `vfp bench` when it is given no files,
//! and for tests that need a real encoded file without fixtures.
//!
//! A [`Scene`] is pictures drawn from a seed, in shots of [`SHOT_S`]
//! seconds, in one of two [`Look`]s: flat shapes (a gradient with
//! coloured rectangles and discs drifting across it), the titles' look; or
//! footage-like texture (a camera drifting over fractal terrain), for
//! unrelated video that shares no shapes with the titles. A scene's picture
//! at a given time is the same at any size, so a title and a copy of part
//! of it (another size, another quality, another start) are the same scene
//! written twice by [`write_video`], which encodes it as H.264 (libx264)
//! in MP4 through FFmpeg.

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

/// Octaves of a [`Look::Footage`] scene's terrain.
const OCTAVES: usize = 8;

/// Side of the tiling lattice of random values behind each octave (a power
/// of two); its wavelength in the picture sets how soon the terrain repeats.
const LATTICE: usize = 64;

/// Pictures drawn from a seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scene {
    /// Which scene: different seeds, or different looks, share nothing.
    pub seed: u64,
    /// What the pictures look like.
    pub look: Look,
}

/// What a [`Scene`]'s pictures look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Look {
    /// Coloured rectangles and discs drifting over a gradient: flat
    /// regions and sharp corners, the built-in titles' look.
    Shapes,
    /// A camera panning and zooming over fractal terrain under a graded
    /// sky: texture at every scale and few straight edges, like outdoor
    /// footage; for unrelated video.
    Footage,
}

impl Scene {
    /// A scene of flat shapes.
    pub const fn shapes(seed: u64) -> Scene {
        Scene {
            seed,
            look: Look::Shapes,
        }
    }

    /// A scene of footage-like texture.
    pub const fn footage(seed: u64) -> Scene {
        Scene {
            seed,
            look: Look::Footage,
        }
    }
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

/// A shot of a [`Look::Footage`] scene: its terrain and how the camera
/// moves over it.
#[derive(Clone, Debug)]
struct Terrain {
    /// One lattice per octave of luma, the coarsest first.
    octaves: Vec<Vec<f32>>,
    /// One coarse lattice per chroma plane.
    chroma: [Vec<f32>; 2],
    /// Lattice cells per picture height in the coarsest octave.
    cells: f64,
    /// Where the camera starts, lattice cells, and its drift per second.
    x0: f64,
    y0: f64,
    dx: f64,
    dy: f64,
    /// Zoom per second (relative).
    zoom: f64,
    /// Mean luma, contrast, and how much brighter the sky is at the top.
    level: f64,
    contrast: f64,
    sky: f64,
}

fn lattice(rng: &mut Rng) -> Vec<f32> {
    (0..LATTICE * LATTICE)
        .map(|_| rng.range(-1.0, 1.0) as f32)
        .collect()
}

/// `lattice`'s row at `v` (in cells), interpolated smoothly between its
/// two nearest rows.
fn lattice_row(lattice: &[f32], v: f64, row: &mut [f32; LATTICE]) {
    let floor = v.floor();
    let f = (v - floor) as f32;
    let t = f * f * (3.0 - 2.0 * f);
    let i = (floor as i64).rem_euclid(LATTICE as i64) as usize;
    let (a, b) = (i * LATTICE, ((i + 1) % LATTICE) * LATTICE);
    for (x, out) in row.iter_mut().enumerate() {
        let (p, q) = (lattice[a + x], lattice[b + x]);
        *out = p + (q - p) * t;
    }
}

/// Adds `amplitude` × `row` (a [`lattice_row`]) to `acc`, whose pixel
/// `n` lies at `u0 + n × du` cells along the row: in 16.16 fixed point,
/// as a pixel costs one interpolation per octave (floating-point `floor`
/// was most of the drawing).
fn add_along(acc: &mut [f32], row: &[f32; LATTICE], amplitude: f32, u0: f64, du: f64) {
    const ONE: f64 = 65_536.0;
    let mut u = (u0 * ONE).round() as i64;
    let du = (du * ONE).round() as i64;
    let mask = LATTICE as i64 - 1;
    for out in acc {
        let i = ((u >> 16) & mask) as usize;
        let f = (u & 0xFFFF) as f32 / 65_536.0;
        let t = f * f * (3.0 - 2.0 * f);
        let (p, q) = (row[i], row[(i + 1) % LATTICE]);
        *out += amplitude * (p + (q - p) * t);
        u += du;
    }
}

impl Scene {
    /// Draws the scene at `t_s` into a YUV 4:2:0 frame of its size.
    fn draw(&self, t_s: f64, out: &mut frame::Video) {
        let index = (t_s / SHOT_S).floor().max(0.0) as u64;
        let since_s = t_s - (t_s / SHOT_S).floor() * SHOT_S;
        match self.look {
            Look::Shapes => self.draw_shapes(&self.shot(index), since_s, out),
            Look::Footage => self.draw_terrain(&self.terrain(index), since_s, out),
        }
    }

    fn terrain(&self, index: u64) -> Terrain {
        // Another stream than the shapes' for the same seed.
        let mut rng = Rng::new(self.seed ^ 0x5EED_F007_A6E0_0000, index);
        Terrain {
            octaves: (0..OCTAVES).map(|_| lattice(&mut rng)).collect(),
            chroma: [lattice(&mut rng), lattice(&mut rng)],
            cells: rng.range(1.5, 3.0),
            x0: rng.range(0.0, LATTICE as f64),
            y0: rng.range(0.0, LATTICE as f64),
            dx: rng.range(-0.5, 0.5),
            dy: rng.range(-0.2, 0.2),
            zoom: rng.range(-0.04, 0.04),
            level: rng.range(70.0, 150.0),
            contrast: rng.range(60.0, 100.0),
            sky: rng.range(0.0, 50.0),
        }
    }

    /// Draws `terrain` `since_s` into its shot: each plane's row is the
    /// lattices' rows at its height, interpolated along it, so a pixel
    /// costs one interpolation per octave.
    fn draw_terrain(&self, terrain: &Terrain, since_s: f64, out: &mut frame::Video) {
        let (w, h) = (out.width() as usize, out.height() as usize);
        let unit = h as f64;
        let stage_x0 = (16.0 / 9.0 - w as f64 / unit) / 2.0;
        let scale = terrain.cells * (1.0 + terrain.zoom * since_s);
        let (x0, y0) = (
            terrain.x0 + terrain.dx * since_s,
            terrain.y0 + terrain.dy * since_s,
        );
        let mut row = [0f32; LATTICE];
        let mut acc = vec![0f32; w];
        for plane in 0..3 {
            let (pw, ph, step) = if plane == 0 {
                (w, h, 1)
            } else {
                (w / 2, h / 2, 2)
            };
            let stride = out.stride(plane);
            let data = out.data_mut(plane);
            // Where a row's first pixel lies, and how far apart its pixels
            // are, in cells of the coarsest octave.
            let u0 = x0 + stage_x0 * scale;
            let du = step as f64 / unit * scale;
            for line_index in 0..ph {
                let y = (line_index * step) as f64 / unit;
                let v = y0 + y * scale;
                let line = &mut data[line_index * stride..line_index * stride + pw];
                let acc = &mut acc[..pw];
                acc.fill(0.0);
                if plane == 0 {
                    let mut amplitude = 0.5f32;
                    for (octave, lattice) in terrain.octaves.iter().enumerate() {
                        let k = f64::from(1u32 << octave);
                        lattice_row(lattice, v * k, &mut row);
                        add_along(acc, &row, amplitude, u0 * k, du * k);
                        amplitude *= 0.7;
                    }
                    let sky = terrain.sky * (1.0 - 2.0 * y);
                    for (px, value) in line.iter_mut().zip(acc.iter()) {
                        let luma = terrain.level + sky + terrain.contrast * f64::from(*value);
                        *px = luma.clamp(16.0, 235.0) as u8;
                    }
                } else {
                    // Colour changes more slowly than light.
                    lattice_row(&terrain.chroma[plane - 1], v / 2.0, &mut row);
                    add_along(acc, &row, 1.0, u0 / 2.0, du / 2.0);
                    for (px, value) in line.iter_mut().zip(acc.iter()) {
                        *px = (128.0 + 28.0 * f64::from(*value)).clamp(16.0, 240.0) as u8;
                    }
                }
            }
        }
    }

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

    /// Draws `shot` `since_s` into its shot.
    fn draw_shapes(&self, shot: &Shot, since_s: f64, out: &mut frame::Video) {
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
        for (a, b, other_look) in [
            (Scene::shapes(1), Scene::shapes(2), Scene::footage(1)),
            (Scene::footage(1), Scene::footage(2), Scene::shapes(1)),
        ] {
            let mut same = 0;
            let mut across_shots = 0;
            let mut across_seeds = 0;
            let mut across_looks = 0;
            let points = 200;
            for i in 0..points {
                let fx = (i % 20) as f64 / 20.0 + 0.02;
                let fy = (i / 20) as f64 / 10.0 + 0.03;
                let small = luma_at(a, 1.0, 320, 180, fx, fy);
                let big = luma_at(a, 1.0, 1280, 720, fx, fy);
                let differs = |other: Scene, t_s| {
                    usize::from(small.abs_diff(luma_at(other, t_s, 320, 180, fx, fy)) > 8)
                };
                same += usize::from(small.abs_diff(big) <= 8);
                across_shots += differs(a, 5.0);
                across_seeds += differs(b, 1.0);
                across_looks += differs(other_look, 1.0);
            }
            assert!(same >= points * 9 / 10, "{a:?}: {same} of {points}");
            assert!(
                across_shots >= points / 2,
                "{a:?}: {across_shots} of {points}"
            );
            assert!(
                across_seeds >= points / 2,
                "{a:?}: {across_seeds} of {points}"
            );
            assert!(
                across_looks >= points / 2,
                "{a:?}: {across_looks} of {points}"
            );
        }
    }

    /// Footage is texture: neighbouring pixels differ, where the shapes'
    /// flat regions do not, and the camera moves within a shot.
    #[test]
    fn footage_has_texture_and_moves() {
        init();
        let draw = |scene: Scene, t_s: f64| {
            let mut f = frame::Video::new(Pixel::YUV420P, 320, 180);
            scene.draw(t_s, &mut f);
            let stride = f.stride(0);
            (0..180)
                .flat_map(|y| f.data(0)[y * stride..y * stride + 320].to_vec())
                .collect::<Vec<u8>>()
        };
        let steps = |luma: &[u8]| {
            luma.chunks(320)
                .flat_map(|row| row.windows(2).map(|p| p[0].abs_diff(p[1])))
                .filter(|&d| d > 0)
                .count()
        };
        let footage = draw(Scene::footage(7), 1.0);
        assert!(steps(&footage) > steps(&draw(Scene::shapes(7), 1.0)) * 3);
        let later = draw(Scene::footage(7), 2.0);
        let moved = footage
            .iter()
            .zip(&later)
            .filter(|(a, b)| a.abs_diff(**b) > 8);
        assert!(moved.count() > footage.len() / 4);
    }

    #[test]
    fn a_written_video_decodes_to_its_length_and_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scene.mp4");
        write_video(&path, Scene::shapes(3), 2.0, 3.0, &encoding(320, 180)).unwrap();
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
        write_video(&path, Scene::shapes(1_001), 0.0, 20.0, &every_2_s).unwrap();
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
        let err = write_video(&path, Scene::shapes(3), 0.0, 1.0, &encoding(321, 180));
        assert!(
            matches!(err, Err(ExtractError::InvalidParams(_))),
            "{err:?}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
