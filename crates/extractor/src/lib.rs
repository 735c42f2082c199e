//! Video → time-stamped perceptual frame hashes.
//!
//! The data flow, top-down, as [`extract`] runs it:
//!
//! 1. `decode`: FFmpeg opens the file, picks the best video
//!    stream and decodes it (every frame, or keyframes only), with
//!    presentation times in seconds from the stream start.
//! 2. `sample`: a time-based sampler picks the frames to
//!    hash.
//! 3. [`luma`]: each sample is scaled by swscale straight to a small square
//!    grey picture and turned upright by the stream's display rotation.
//! 4. [`borders`]: windows of samples vote on the active picture (dropping
//!    letterbox, pillarbox and 9:16 re-framing borders).
//! 5. [`tilt`]: the same windows are checked for the black corners of a
//!    picture turned by a few degrees inside its frame, and [`inset`] for
//!    a picture shown inside the frame (picture-in-picture).
//! 6. [`hash`]: the active picture, turned back if tilted, is resampled to
//!    64×64 and hashed (256-bit DCT hash, its mirrored variant and a
//!    quality score), whole and at each of the centred crops of
//!    [`VIEW_ZOOMS_PCT`]; an inset, and the whole frame where borders were
//!    cut, are hashed as views of their own.
//!
//! This is the only crate of `vfp` that uses FFmpeg.

pub mod borders;
mod decode;
mod error;
pub mod hash;
pub mod inset;
pub mod luma;
mod sample;
pub mod tilt;

pub use error::ExtractError;
pub use luma::{LumaImage, Rect, Resampler};

use borders::BorderDetector;
use decode::{DecodeOptions, VideoInput};
use luma::WorkScaler;
use sample::Sampler;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;
use tilt::TiltedSampler;
use vfp_fingerprint::{
    ExtractParams, Fingerprint, FrameFlags, HashedFrame, Sampling, SourceInfo, ViewRegion,
    ViewTrack, FULL_VIEW_PCT, VIEW_ZOOMS_PCT,
};

/// Samples vote together on the active picture in windows of at least this
/// many milliseconds and [`BORDER_WINDOW_MIN_SAMPLES`] samples: long enough
/// for a stable vote, short enough to follow a compilation whose framing
/// changes. By time, so that any sampling rate sees the same windows.
const BORDER_WINDOW_MS: u32 = 4_000;
/// Fewest samples in a window (keyframes can be seconds apart).
const BORDER_WINDOW_MIN_SAMPLES: usize = 8;
/// Most samples held in a window (bounds memory at high sampling rates).
const BORDER_WINDOW_MAX_SAMPLES: usize = 240;

/// Longest video a `.vfp` can time-stamp: u32 milliseconds, ~49 days; we
/// stop well before.
const MAX_DURATION_H: u32 = 1_000;

/// How to extract.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExtractOptions {
    /// Sampling and hash parameters, recorded in the fingerprint.
    pub params: ExtractParams,
    /// Decoder threads per file; 0 lets FFmpeg choose from the core count.
    pub decoder_threads: usize,
}

impl ExtractOptions {
    /// Default hash parameters with the given sampling, decoder threads
    /// chosen by FFmpeg.
    pub fn with_sampling(sampling: Sampling) -> Self {
        ExtractOptions {
            params: ExtractParams {
                sampling,
                ..Default::default()
            },
            decoder_threads: 0,
        }
    }
}

/// One hashed sample with the pictures it came from, for measurements.
#[derive(Debug)]
pub struct SampleView<'a> {
    /// The stored frame.
    pub frame: &'a HashedFrame,
    /// The upright working picture.
    pub picture: &'a LumaImage,
    /// The active area the hash was computed on.
    pub active: Rect,
    /// The angle the picture was found turned by inside its frame, in
    /// degrees clockwise, and turned back by before hashing.
    pub tilt_deg: Option<f32>,
    /// The inset picture (picture-in-picture) found, if any.
    pub inset: Option<Rect>,
}

/// Fingerprints one video file.
pub fn extract(path: &Path, opts: &ExtractOptions) -> Result<Fingerprint, ExtractError> {
    extract_observed(path, opts, |_| {})
}

/// [`extract`], calling `observe` with every sample and its pictures.
pub fn extract_observed(
    path: &Path,
    opts: &ExtractOptions,
    mut observe: impl FnMut(SampleView<'_>),
) -> Result<Fingerprint, ExtractError> {
    let params = opts.params;
    if !params.sampling.is_valid() {
        return Err(ExtractError::InvalidParams(format!(
            "sample rate must be above 0 and at most {} per second, got {}",
            Sampling::MAX_FPS,
            params.sampling
        )));
    }
    let (file_size, sha256) = hash_file(path)?;
    let mut input = VideoInput::open(
        path,
        DecodeOptions {
            threads: opts.decoder_threads,
            keyframes_only: params.sampling == Sampling::Keyframes,
        },
    )?;
    let facts = input.facts.clone();
    let mut sampler = Sampler::new(params.sampling);
    let mut scaler = WorkScaler::new();
    let mut hasher = WindowHasher::new(params, facts.display_aspect, facts.display_height);
    let max_s = f64::from(MAX_DURATION_H) * 3600.0;
    let mut last_t_s = 0.0f64;
    input.decode(|t_s, frame| {
        last_t_s = t_s;
        if t_s > max_s {
            return Err(ExtractError::TooLong {
                path: path.to_owned(),
                max_h: MAX_DURATION_H,
            });
        }
        if let Some(t_ms) = sampler.accept(t_s) {
            let picture = scaler.scale(frame, path)?.rotated_cw(facts.rotation_deg);
            hasher.push(t_ms, picture, &mut observe);
        }
        Ok(())
    })?;
    let (frames, views) = hasher.finish(&mut observe);
    let duration_s = facts.duration_s.unwrap_or(last_t_s).max(last_t_s);
    Ok(Fingerprint {
        source: SourceInfo {
            file_name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            file_size,
            sha256,
            duration_ms: (duration_s * 1000.0).round() as u64,
            width: facts.width,
            height: facts.height,
            fps: facts.fps,
            codec: facts.codec,
            rotation_deg: facts.rotation_deg,
        },
        params,
        frames,
        views,
    })
}

/// A small RGB picture of one moment of a video, for evidence pages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thumbnail {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Row-major RGB, 3 bytes a pixel.
    pub rgb: Vec<u8>,
}

/// Pictures of `path` at each of `times_ms` (from the stream start), `width`
/// pixels wide, upright; `None` for a time past the end.
pub fn thumbnails(
    path: &Path,
    times_ms: &[u32],
    width: u32,
) -> Result<Vec<Option<Thumbnail>>, ExtractError> {
    let mut order: Vec<usize> = (0..times_ms.len()).collect();
    order.sort_by_key(|&i| times_ms[i]);
    let sorted_s: Vec<f64> = order
        .iter()
        .map(|&i| f64::from(times_ms[i]) / 1000.0)
        .collect();
    let mut input = VideoInput::open(
        path,
        DecodeOptions {
            threads: 0,
            keyframes_only: false,
        },
    )?;
    let rotation = input.facts.rotation_deg;
    let mut out = vec![None; times_ms.len()];
    let mut scaler = luma::RgbScaler::new(width.clamp(16, 4096));
    input.frames_at(&sorted_s, |k, frame| {
        out[order[k]] = Some(scaler.scale(frame, rotation, path)?);
        Ok(())
    })?;
    Ok(out)
}

/// Size and SHA-256 of a file; rejects what is not a non-empty regular file
/// before FFmpeg sees it, with a clearer message than FFmpeg's.
fn hash_file(path: &Path) -> Result<(u64, [u8; 32]), ExtractError> {
    let io = |source| ExtractError::Io {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(io(std::io::Error::other("is a directory")));
    }
    if meta.len() == 0 {
        return Err(ExtractError::Empty {
            path: path.to_owned(),
        });
    }
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((size, hasher.finalize().into()))
}

/// Collects samples into windows, decides each window's active picture and
/// tilt, and hashes its samples whole and at each view zoom.
struct WindowHasher {
    params: ExtractParams,
    /// Displayed width / height of the whole frame.
    display_aspect: f32,
    /// Displayed height of the whole frame in pixels.
    display_height: u32,
    detector: BorderDetector,
    /// Sample times and pictures of the open window.
    times_ms: Vec<u32>,
    pictures: Vec<LumaImage>,
    frames: Vec<HashedFrame>,
    /// One list per zoom of [`VIEW_ZOOMS_PCT`].
    views: Vec<Vec<HashedFrame>>,
    /// Views of regions found in some windows only: an inset picture, and
    /// the whole frame where borders were cut (in case the cut was wrong:
    /// heavy blur makes content as smooth as a blurred fill).
    inset: SparseTrack,
    whole_frame: SparseTrack,
}

/// A view of a region that only some windows have: per frame, the hash, or
/// a low-information placeholder where the window has no such region.
struct SparseTrack {
    region: ViewRegion,
    frames: Vec<HashedFrame>,
    any: bool,
}

impl SparseTrack {
    fn new(region: ViewRegion) -> Self {
        SparseTrack {
            region,
            frames: Vec::new(),
            any: false,
        }
    }

    /// Adds sample `t_ms`: hashed through `sampler` if this window has the
    /// region.
    fn push(
        &mut self,
        t_ms: u32,
        picture: &LumaImage,
        sampler: Option<&Resampler>,
        params: &ExtractParams,
        keyframe: bool,
    ) {
        self.frames.push(match sampler {
            Some(s) => {
                self.any = true;
                hash_sample(t_ms, &s.resample(picture), params, keyframe)
            }
            None => HashedFrame {
                t_ms,
                hash: Default::default(),
                mirrored: Default::default(),
                quality: 0,
                flags: FrameFlags::LOW_INFORMATION,
            },
        });
    }

    /// The track, if any window had the region.
    fn finish(self, zoom_pct: u8) -> Option<ViewTrack> {
        self.any.then_some(ViewTrack {
            region: self.region,
            zoom_pct,
            frames: self.frames,
        })
    }
}

/// How one view of a window's samples is resampled to the hash input.
enum ViewSampler {
    Straight(Resampler),
    Tilted(TiltedSampler),
}

impl ViewSampler {
    fn resample(&self, picture: &LumaImage) -> Vec<f32> {
        match self {
            ViewSampler::Straight(r) => r.resample(picture),
            ViewSampler::Tilted(t) => t.resample(picture),
        }
    }
}

impl WindowHasher {
    fn new(params: ExtractParams, display_aspect: f32, display_height: u32) -> Self {
        WindowHasher {
            params,
            display_aspect,
            display_height,
            detector: BorderDetector::new(luma::WORK_SIDE),
            times_ms: Vec::new(),
            pictures: Vec::new(),
            frames: Vec::new(),
            views: vec![Vec::new(); VIEW_ZOOMS_PCT.len()],
            inset: SparseTrack::new(ViewRegion::Inset),
            whole_frame: SparseTrack::new(ViewRegion::Frame),
        }
    }

    fn push(&mut self, t_ms: u32, picture: LumaImage, observe: &mut impl FnMut(SampleView<'_>)) {
        self.times_ms.push(t_ms);
        self.pictures.push(picture);
        let span_ms = t_ms - self.times_ms[0];
        let n = self.times_ms.len();
        if (span_ms >= BORDER_WINDOW_MS && n >= BORDER_WINDOW_MIN_SAMPLES)
            || n >= BORDER_WINDOW_MAX_SAMPLES
        {
            self.flush(observe);
        }
    }

    fn flush(&mut self, observe: &mut impl FnMut(SampleView<'_>)) {
        if self.pictures.is_empty() {
            return;
        }
        let (active, tilt_deg, inset) = self.framing();
        let zoom = |pct: u8| f32::from(pct) / 100.0;
        let region_sampler =
            |r: Rect| Resampler::new(centred(r, zoom(REGION_VIEW_PCT)), luma::WORK_SIDE);
        let inset_sampler = inset.map(region_sampler);
        let full = Rect::full(luma::WORK_SIDE);
        let whole_sampler = (active != full && tilt_deg.is_none()).then(|| region_sampler(full));
        let geometry = self.geometry(active);
        let samplers: Vec<ViewSampler> = std::iter::once(FULL_VIEW_PCT)
            .chain(VIEW_ZOOMS_PCT)
            .map(|pct| match tilt_deg {
                Some(deg) => ViewSampler::Tilted(TiltedSampler::new(geometry, deg, zoom(pct))),
                None => ViewSampler::Straight(Resampler::new(
                    centred(active, zoom(pct)),
                    luma::WORK_SIDE,
                )),
            })
            .collect();
        let keyframe = self.params.sampling == Sampling::Keyframes;
        for (t_ms, picture) in self.times_ms.drain(..).zip(self.pictures.drain(..)) {
            let mut hashed = samplers
                .iter()
                .map(|s| hash_sample(t_ms, &s.resample(&picture), &self.params, keyframe));
            let Some(frame) = hashed.next() else {
                unreachable!("the whole picture is always a view");
            };
            for (track, view) in self.views.iter_mut().zip(hashed) {
                track.push(view);
            }
            let params = &self.params;
            let inset_s = inset_sampler.as_ref();
            self.inset.push(t_ms, &picture, inset_s, params, keyframe);
            let whole_s = whole_sampler.as_ref();
            self.whole_frame
                .push(t_ms, &picture, whole_s, params, keyframe);
            observe(SampleView {
                frame: &frame,
                picture: &picture,
                active,
                tilt_deg,
                inset,
            });
            self.frames.push(frame);
        }
    }

    /// The open window's framing: its active picture, the angle it is
    /// turned by inside the frame, an inset picture (not looked for in a
    /// turned picture: its edges are the turn's).
    fn framing(&mut self) -> (Rect, Option<f32>, Option<Rect>) {
        if !self.params.hash.crop_borders {
            return (Rect::full(luma::WORK_SIDE), None, None);
        }
        let active = self.detector.update(&self.pictures);
        let tilt_deg = tilt::detect(&self.pictures, self.geometry(active));
        let inset = match tilt_deg {
            None => inset::detect(&self.pictures, active),
            Some(_) => None,
        };
        (active, tilt_deg, inset)
    }

    /// The geometry of `active` in this video.
    fn geometry(&self, active: Rect) -> tilt::Geometry {
        tilt::Geometry {
            active,
            // The working picture is square: its pixels are as wide as the
            // displayed frame's aspect.
            aspect: self.display_aspect * active.width() as f32 / active.height().max(1) as f32,
            height_px: self.display_height as f32 * active.height() as f32 / luma::WORK_SIDE as f32,
        }
    }

    fn finish(
        mut self,
        observe: &mut impl FnMut(SampleView<'_>),
    ) -> (Vec<HashedFrame>, Vec<ViewTrack>) {
        self.flush(observe);
        let mut views: Vec<ViewTrack> = VIEW_ZOOMS_PCT
            .iter()
            .zip(self.views)
            .map(|(&zoom_pct, frames)| ViewTrack {
                region: ViewRegion::Active,
                zoom_pct,
                frames,
            })
            .collect();
        views.extend(self.inset.finish(REGION_VIEW_PCT));
        views.extend(self.whole_frame.finish(REGION_VIEW_PCT));
        (self.frames, views)
    }
}

/// The zoom of the inset and whole-frame views: the catalog's view, since
/// each stands for a whole picture of the title.
const REGION_VIEW_PCT: u8 = vfp_fingerprint::CATALOG_VIEW_PCT;

/// The centred `zoom` (0-1] of `rect`, at least one pixel each way.
fn centred(rect: Rect, zoom: f32) -> Rect {
    let cut = |from: usize, to: usize| {
        let len = to - from;
        let keep = ((len as f32 * zoom).round() as usize).clamp(1, len);
        let start = from + (len - keep) / 2;
        (start, start + keep)
    };
    let (x0, x1) = cut(rect.x0, rect.x1);
    let (y0, y1) = cut(rect.y0, rect.y1);
    Rect { x0, x1, y0, y1 }
}

/// Hashes one sample's 64×64 active picture (see [`Resampler`]) into a
/// stored frame, flagging low information.
pub fn hash_sample(
    t_ms: u32,
    hash_input: &[f32],
    params: &ExtractParams,
    keyframe: bool,
) -> HashedFrame {
    let h = hash::hash_picture(hash_input);
    let mut flags = FrameFlags::empty();
    if h.quality < params.hash.low_information_quality {
        flags = flags.with(FrameFlags::LOW_INFORMATION);
    }
    if keyframe {
        flags = flags.with(FrameFlags::KEYFRAME);
    }
    HashedFrame {
        t_ms,
        hash: h.hash,
        mirrored: h.mirrored,
        quality: h.quality,
        flags,
    }
}
