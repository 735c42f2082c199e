//! Video → time-stamped perceptual frame hashes.
//!
//! The data flow, top-down, as [`extract`] runs it:
//!
//! 1. `decode`: FFmpeg opens the file, picks the best video
//!    stream and decodes it (every frame, or keyframes only), with
//!    presentation times in seconds from the stream start.
//! 2. `sample`: a time-based sampler picks the frames to
//!    hash.
//! 3. `scale`: each sample is scaled by swscale straight to a small square
//!    grey picture ([`luma`]) and turned upright by the stream's display
//!    rotation.
//! 4. `views`: samples are collected into windows of a few seconds, and
//!    each window's framing is decided once: [`borders`] votes on the
//!    active picture (dropping letterbox, pillarbox and 9:16 re-framing
//!    borders), [`tilt`] looks for the black corners of a picture turned by
//!    a few degrees inside its frame, and [`inset`] for a picture shown
//!    inside the frame (picture-in-picture).
//! 5. [`hash`]: the active picture, turned back if tilted, is resampled to
//!    64×64 and hashed (256-bit DCT hash, its mirrored variant and a
//!    quality score), whole and at each of the centred crops of
//!    [`VIEW_ZOOMS_PCT`](vfp_fingerprint::VIEW_ZOOMS_PCT); an inset, and
//!    the whole frame where borders were cut, are hashed as views of their
//!    own.
//!
//! This is the only crate of `vfp` that uses FFmpeg.

pub mod borders;
pub mod captions;
mod decode;
mod error;
pub mod features;
pub mod hash;
pub mod inset;
pub mod luma;
pub mod material;
mod sample;
mod scale;
pub mod screen;
pub mod split;
pub mod tilt;
mod views;

pub use error::ExtractError;
pub use hash::hash_sample;
pub use luma::{LumaImage, Rect, Resampler};
pub use screen::Quad;
pub use split::Panes;

use decode::{DecodeOptions, VideoInput};
use features::FeatureOptions;
use sample::Sampler;
use scale::{FeatureScaler, RgbScaler, WorkScaler};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;
use vfp_fingerprint::local::FeatureFrame;
use vfp_fingerprint::{ExtractParams, Fingerprint, HashedFrame, Sampling, SourceInfo, ViewTrack};
use views::WindowHasher;

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
    /// Which samples get local features ([`features`]); none by default.
    pub features: FeatureOptions,
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
            features: FeatureOptions::none(),
        }
    }

    /// The same, with local features as `features` says.
    pub fn with_features(self, features: FeatureOptions) -> Self {
        ExtractOptions { features, ..self }
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
    /// The two pictures of a split screen found, if any.
    pub panes: Option<Panes>,
    /// The picture filmed off a screen found, if any.
    pub screen: Option<Quad>,
}

/// Fingerprints one video file.
pub fn extract(path: &Path, opts: &ExtractOptions) -> Result<Fingerprint, ExtractError> {
    extract_observed(path, opts, |_| {})
}

/// [`extract`], calling `observe` with every sample and its pictures.
pub fn extract_observed(
    path: &Path,
    opts: &ExtractOptions,
    observe: impl FnMut(SampleView<'_>),
) -> Result<Fingerprint, ExtractError> {
    run(path, opts, observe, None, None, &mut |_| Ok(()))
}

/// Fingerprints the stretch of `path` from `from_ms` to `to_ms` (times
/// from the stream start, as [`extract`] gives them): seeks to the
/// keyframe before it and decodes only as far as needed. Frames, views and
/// local features are those of the stretch; the file is not read for its
/// SHA-256 (the source's is all zeros), since a caller that asks for
/// stretches of a file has its facts already (`--fast` decodes the
/// neighbourhood of its keyframe hits this way). Framing is decided anew
/// from the stretch's first frames, so the first seconds may frame a
/// changing picture differently than a whole extraction does.
pub fn extract_range(
    path: &Path,
    opts: &ExtractOptions,
    from_ms: u32,
    to_ms: u32,
) -> Result<Fingerprint, ExtractError> {
    run(
        path,
        opts,
        |_| {},
        None,
        Some((from_ms, to_ms)),
        &mut |_| Ok(()),
    )
}

/// What decoding a file alone gave ([`decode_only`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    /// Frames the decoder returned.
    pub frames: u64,
    /// Time of the last frame, s from the stream start.
    pub last_frame_s: f64,
    /// Coded picture size, pixels.
    pub width: u32,
    /// Coded picture height, pixels.
    pub height: u32,
    /// The codec's short name (`h264`, `hevc`, ...).
    pub codec: String,
}

/// Decodes `path`'s video stream and does nothing else with it: every
/// frame, or keyframes only, with the decoder threads and checks
/// [`extract`] uses, and neither the file's SHA-256, nor scaling, nor
/// hashing. The physical limit of a scan, measured on the same file in
/// the same run (`vfp bench`).
pub fn decode_only(
    path: &Path,
    decoder_threads: usize,
    keyframes_only: bool,
) -> Result<Decoded, ExtractError> {
    check_regular_file(path)?;
    let mut input = VideoInput::open(
        path,
        DecodeOptions {
            threads: decoder_threads,
            keyframes_only,
        },
    )?;
    let mut last_frame_s = 0.0f64;
    let frames = input.decode(|t_s, _| {
        last_frame_s = t_s;
        Ok(())
    })?;
    Ok(Decoded {
        frames,
        last_frame_s,
        width: input.facts.width,
        height: input.facts.height,
        codec: input.facts.codec.clone(),
    })
}

/// How a long video is handed over in parts ([`extract_in_parts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts {
    /// A part is handed over once its new frames span this long, ms.
    pub span_ms: u32,
    /// Each part after the first begins with the last this-many ms of the
    /// one before: whatever is shorter than that lies whole in one part.
    pub overlap_ms: u32,
}

/// Fingerprints one video file part by part: `on_part` gets fingerprints
/// of consecutive stretches of the video (frames, view tracks and local
/// features; times from the stream start, as [`extract`] gives them),
/// each repeating the end of the one before by `parts.overlap_ms`, and
/// none is held after it was handed over. So memory does not grow with
/// the video's length. A video shorter than `parts.span_ms` is one part,
/// the fingerprint [`extract`] gives. Returns the file's facts; an error
/// of `on_part` stops the decoding and is returned.
pub fn extract_in_parts<E: From<ExtractError>>(
    path: &Path,
    opts: &ExtractOptions,
    parts: Parts,
    mut on_part: impl FnMut(Fingerprint) -> Result<(), E>,
) -> Result<SourceInfo, E> {
    let mut failure: Option<E> = None;
    let result = run(path, opts, |_| {}, Some(parts), None, &mut |part| {
        on_part(part).map_err(|e| {
            failure = Some(e);
            ExtractError::Stopped
        })
    });
    match (result, failure) {
        (_, Some(e)) => Err(e),
        (Ok(fp), None) => Ok(fp.source),
        (Err(e), None) => Err(e.into()),
    }
}

/// Decodes, samples and hashes `path`; with `parts`, hands the fingerprint
/// to `on_part` in parts and returns it without frames; with `range` (ms),
/// only that stretch, without the file's SHA-256.
fn run(
    path: &Path,
    opts: &ExtractOptions,
    mut observe: impl FnMut(SampleView<'_>),
    parts: Option<Parts>,
    range: Option<(u32, u32)>,
    on_part: &mut dyn FnMut(Fingerprint) -> Result<(), ExtractError>,
) -> Result<Fingerprint, ExtractError> {
    let params = opts.params;
    if !params.sampling.is_valid() {
        return Err(ExtractError::InvalidParams(format!(
            "sample rate must be above 0 and at most {} per second, got {}",
            Sampling::MAX_FPS,
            params.sampling
        )));
    }
    check_regular_file(path)?;
    // FFmpeg reads the headers first, so a file that is not video is
    // refused before all of it is read for its SHA-256 (a 20 GB sparse
    // file took a minute to hash before FFmpeg refused it).
    let mut input = VideoInput::open(
        path,
        DecodeOptions {
            threads: opts.decoder_threads,
            keyframes_only: params.sampling == Sampling::Keyframes,
        },
    )?;
    let (file_size, sha256) = match range {
        None => file_sha256(path)?,
        Some((from_ms, _)) => {
            input.seek_to(f64::from(from_ms) / 1000.0);
            let size = std::fs::metadata(path).map_or(0, |m| m.len());
            (size, [0; 32])
        }
    };
    let (range_from_s, range_to_s) = range.map_or((0.0, f64::INFINITY), |(from, to)| {
        (f64::from(from) / 1000.0, f64::from(to) / 1000.0)
    });
    let mut past_range = false;
    let facts = input.facts.clone();
    let mut source = SourceInfo {
        file_name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        file_size,
        sha256,
        duration_ms: 0,
        width: facts.width,
        height: facts.height,
        fps: facts.fps,
        codec: facts.codec.clone(),
        rotation_deg: facts.rotation_deg,
    };
    let mut sampler = Sampler::new(params.sampling);
    let mut scaler = WorkScaler::new();
    let mut hasher = WindowHasher::new(params, facts.display_aspect, facts.display_height);
    let mut feature_scaler = FeatureScaler::new(facts.display_aspect, facts.rotation_deg);
    let mut features = Vec::new();
    let feature_step_ms = if opts.features.enabled() {
        Some((1000.0 / opts.features.per_second).max(1.0) as u32)
    } else {
        None
    };
    let mut next_feature_ms = 0u32;
    let max_s = f64::from(MAX_DURATION_H) * 3600.0;
    let mut last_t_s = 0.0f64;
    let mut parted = parts.map(PartBuilder::new);
    let decoded = input.decode(|t_s, frame| {
        if t_s < range_from_s {
            return Ok(());
        }
        if t_s > range_to_s {
            // Far enough: end the decoding here.
            past_range = true;
            return Err(ExtractError::Stopped);
        }
        last_t_s = t_s;
        if t_s > max_s {
            return Err(ExtractError::TooLong {
                path: path.to_owned(),
                max_h: MAX_DURATION_H,
            });
        }
        if let Some(t_ms) = sampler.accept(t_s) {
            if let Some(step_ms) = feature_step_ms.filter(|_| t_ms >= next_feature_ms) {
                // The first sample of each step of the clock: the rate
                // holds whatever the sampling.
                next_feature_ms = (t_ms / step_ms + 1).saturating_mul(step_ms);
                let picture = feature_scaler.scale(frame, path)?;
                features.extend(features::describe(t_ms, &picture, &opts.features));
            }
            let picture = scaler.scale(frame, path)?.rotated_cw(facts.rotation_deg);
            hasher.push(t_ms, picture, &mut observe);
            if let Some(builder) = parted.as_mut().filter(|b| b.is_due(&hasher)) {
                let (frames, views) = hasher.drain();
                let part = builder.part(&source, params, frames, views, &mut features);
                on_part(part)?;
            }
        }
        Ok(())
    });
    match decoded {
        Err(ExtractError::Stopped) if past_range => {}
        other => {
            other?;
        }
    }
    let (frames, views) = hasher.finish(&mut observe);
    let duration_s = facts.duration_s.unwrap_or(last_t_s).max(last_t_s);
    source.duration_ms = (duration_s * 1000.0).round() as u64;
    if let Some(mut builder) = parted {
        if !frames.is_empty() || builder.parts_made == 0 {
            let mut part = builder.part(&source, params, frames, views, &mut features);
            part.source.duration_ms = source.duration_ms;
            on_part(part)?;
        }
        return Ok(Fingerprint {
            source,
            params,
            frames: Vec::new(),
            views: Vec::new(),
            features: Vec::new(),
        });
    }
    Ok(Fingerprint {
        source,
        params,
        frames,
        views,
        features,
    })
}

/// Cuts a video's hashed frames into [`Parts`]: what it holds between
/// parts is the overlap repeated in the next one.
struct PartBuilder {
    parts: Parts,
    parts_made: usize,
    /// The end of the last part, repeated at the start of the next.
    carry_frames: Vec<HashedFrame>,
    carry_views: Vec<ViewTrack>,
    carry_features: Vec<FeatureFrame>,
}

impl PartBuilder {
    fn new(parts: Parts) -> Self {
        PartBuilder {
            parts,
            parts_made: 0,
            carry_frames: Vec::new(),
            carry_views: Vec::new(),
            carry_features: Vec::new(),
        }
    }

    /// Whether the hasher holds a part's span of new frames.
    fn is_due(&self, hasher: &WindowHasher) -> bool {
        match (hasher.hashed_from_ms(), hasher.hashed_until_ms()) {
            (Some(from), Some(until)) => until.saturating_sub(from) >= self.parts.span_ms,
            _ => false,
        }
    }

    /// The next part: the carried overlap, then `frames` and `views`, and
    /// the features of that stretch (taken from `features`; later ones
    /// stay). Keeps the part's end as the next overlap.
    fn part(
        &mut self,
        source: &SourceInfo,
        params: ExtractParams,
        frames: Vec<HashedFrame>,
        views: Vec<ViewTrack>,
        features: &mut Vec<FeatureFrame>,
    ) -> Fingerprint {
        let end_ms = frames.last().map(|f| f.t_ms);
        let mut part_frames = std::mem::take(&mut self.carry_frames);
        let carried_times: Vec<u32> = part_frames.iter().map(|f| f.t_ms).collect();
        let new_times: Vec<u32> = frames.iter().map(|f| f.t_ms).collect();
        part_frames.extend(frames);
        let part_views = join_tracks(
            std::mem::take(&mut self.carry_views),
            &carried_times,
            views,
            &new_times,
        );
        let mut part_features = std::mem::take(&mut self.carry_features);
        let taken = match end_ms {
            Some(end) => features.partition_point(|f| f.t_ms <= end),
            None => features.len(),
        };
        part_features.extend(features.drain(..taken));
        // The next part begins with this one's last `overlap_ms`.
        if let Some(end) = part_frames.last().map(|f| f.t_ms) {
            let from_ms = end.saturating_sub(self.parts.overlap_ms);
            let k = part_frames.partition_point(|f| f.t_ms < from_ms);
            self.carry_frames = part_frames[k..].to_vec();
            self.carry_views = part_views
                .iter()
                .map(|v| ViewTrack {
                    region: v.region,
                    zoom_pct: v.zoom_pct,
                    frames: v.frames[k.min(v.frames.len())..].to_vec(),
                })
                .collect();
            let f = part_features.partition_point(|f| f.t_ms < from_ms);
            self.carry_features = part_features[f..].to_vec();
        }
        self.parts_made += 1;
        let mut part_source = source.clone();
        part_source.duration_ms = end_ms.map_or(0, u64::from);
        Fingerprint {
            source: part_source,
            params,
            frames: part_frames,
            views: part_views,
            features: part_features,
        }
    }
}

/// View tracks of a carried stretch (`carried`, frames at
/// `carried_times`) followed by new ones (`new`, at `new_times`): a
/// region only one side has gets placeholders on the other.
fn join_tracks(
    carried: Vec<ViewTrack>,
    carried_times: &[u32],
    new: Vec<ViewTrack>,
    new_times: &[u32],
) -> Vec<ViewTrack> {
    let mut out: Vec<ViewTrack> = Vec::with_capacity(carried.len().max(new.len()));
    let mut new: Vec<Option<ViewTrack>> = new.into_iter().map(Some).collect();
    for mut track in carried {
        let same = new.iter_mut().find(|n| {
            n.as_ref()
                .is_some_and(|n| (n.region, n.zoom_pct) == (track.region, track.zoom_pct))
        });
        match same.and_then(Option::take) {
            Some(n) => track.frames.extend(n.frames),
            None => track
                .frames
                .extend(new_times.iter().map(|&t| views::placeholder(t))),
        }
        out.push(track);
    }
    for n in new.into_iter().flatten() {
        let mut frames: Vec<HashedFrame> = carried_times
            .iter()
            .map(|&t| views::placeholder(t))
            .collect();
        frames.extend(n.frames);
        out.push(ViewTrack { frames, ..n });
    }
    out
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
    let mut scaler = RgbScaler::new(width.clamp(16, 4096));
    input.frames_at(&sorted_s, |k, frame| {
        out[order[k]] = Some(scaler.scale(frame, rotation, path)?);
        Ok(())
    })?;
    Ok(out)
}

/// Size and SHA-256 of a file (what fingerprints record of their source);
/// rejects what is not a non-empty regular file before FFmpeg sees it,
/// with a clearer message than FFmpeg's.
pub fn file_sha256(path: &Path) -> Result<(u64, [u8; 32]), ExtractError> {
    let io = |source| ExtractError::Io {
        path: path.to_owned(),
        source,
    };
    check_regular_file(path)?;
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

/// Refuses what is not a non-empty regular file, before anything reads it.
fn check_regular_file(path: &Path) -> Result<(), ExtractError> {
    let io = |source| ExtractError::Io {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    // A FIFO or a device would be read forever (or block until written).
    if !meta.is_file() {
        return Err(io(std::io::Error::other(
            "not a regular file (a folder, a FIFO or a device)",
        )));
    }
    if meta.len() == 0 {
        return Err(ExtractError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::material::{write_video, Encoding, Scene};

    #[test]
    fn a_range_is_the_whole_extraction_cut_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long.mp4");
        let encoding = Encoding {
            width: 320,
            height: 180,
            fps: 10,
            crf: 23,
            keyframe_s: 2,
        };
        write_video(&path, Scene { seed: 5 }, 0.0, 12.0, &encoding).unwrap();
        let opts = ExtractOptions {
            decoder_threads: 1,
            ..ExtractOptions::with_sampling(Sampling::Dense { fps: 10.0 })
        };
        let whole = extract(&path, &opts).unwrap();
        // From between two keyframes: the seek lands on the one before.
        let part = extract_range(&path, &opts, 5_000, 8_900).unwrap();
        assert_eq!(part.source.sha256, [0; 32], "not read for its SHA-256");
        assert_eq!(part.source.duration_ms, whole.source.duration_ms);
        let times = |fp: &Fingerprint| -> Vec<u32> { fp.frames.iter().map(|f| f.t_ms).collect() };
        assert_eq!(times(&part), (50..=89).map(|i| i * 100).collect::<Vec<_>>());
        let in_range: Vec<_> = whole
            .frames
            .iter()
            .filter(|f| (5_000..=8_900).contains(&f.t_ms))
            .collect();
        let same = part
            .frames
            .iter()
            .zip(&in_range)
            .filter(|(a, b)| a.hash.hamming(&b.hash) <= 2)
            .count();
        assert!(
            same * 10 >= in_range.len() * 9,
            "{same} of {}",
            in_range.len()
        );
        // To the end, and past it.
        let tail = extract_range(&path, &opts, 11_000, 60_000).unwrap();
        assert_eq!(
            times(&tail),
            (110..120).map(|i| i * 100).collect::<Vec<_>>()
        );
    }
}
