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
//! The driver of that pass is `pipeline`; [`SourceFile`] is the file
//! under it, checked, hashed and decoded through one descriptor; `thumbnails` decodes a few pictures for evidence pages.
//!
//! This is the only crate of `vfp` that uses FFmpeg.

pub mod borders;
pub mod captions;
mod decode;
mod error;
pub mod fast;
pub mod features;
mod file;
pub mod hash;
pub mod inset;
pub mod luma;
pub mod material;
mod pipeline;
mod sample;
mod scale;
pub mod screen;
pub mod sniff;
pub mod split;
mod stages;
mod thumbnails;
pub mod tilt;
mod views;

pub use error::ExtractError;
pub use file::{file_sha256, SourceFile};
pub use hash::hash_sample;
pub use luma::{LumaImage, Rect, Resampler};
pub use screen::Quad;
pub use sniff::{sniff, Sniffed};
pub use split::Panes;
pub use stages::StageTimes;
pub use thumbnails::{each_thumbnail, thumbnails, Thumbnail};
pub use views::SampleView;

use decode::{DecodeOptions, VideoInput};
use features::FeatureOptions;
use pipeline::run;
use std::path::Path;
use vfp_fingerprint::{ExtractParams, Fingerprint, Sampling, SourceInfo};

/// How to extract.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExtractOptions {
    /// Sampling and hash parameters, recorded in the fingerprint.
    pub params: ExtractParams,
    /// Decoder threads per file; 0 lets FFmpeg choose from the core count.
    pub decoder_threads: usize,
    /// Which samples get local features ([`features`]); none by default.
    pub features: FeatureOptions,
    /// Give up on a file after this long, wall-clock (none by default).
    /// Whatever the limit, decoding stops at costs no real video has
    /// (more pixels per byte of file, frames or pixels per second of
    /// content): [`ExtractError::TooCostly`].
    pub time_limit: Option<std::time::Duration>,
    /// Keep what was read of a file cut short or damaged part-way (a
    /// download stopped at 90 %): [`extract_in_parts`] hands over the
    /// frames decoded before the damage and reports it in
    /// [`Extracted::cut_short`], instead of failing with
    /// [`ExtractError::Damaged`]. A file with no readable frame still
    /// fails. [`extract`] and [`extract_range`] always fail (a catalog
    /// title must be whole).
    pub keep_partial: bool,
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
            time_limit: None,
            keep_partial: false,
        }
    }

    /// The same, with local features as `features` says.
    pub fn with_features(self, features: FeatureOptions) -> Self {
        ExtractOptions { features, ..self }
    }
}

/// Fingerprints one video file.
pub fn extract(path: &Path, opts: &ExtractOptions) -> Result<Fingerprint, ExtractError> {
    extract_observed(path, opts, |_| {})
}

/// [`extract`] of a file that may be cut short: the fingerprint of what
/// could be read, and the damage that ended the reading early (a file of
/// which nothing can be read still fails).
pub fn extract_partial(
    path: &Path,
    opts: &ExtractOptions,
) -> Result<(Fingerprint, Option<ExtractError>), ExtractError> {
    let opts = ExtractOptions {
        keep_partial: true,
        ..*opts
    };
    run(path, &opts, |_| {}, None, None, &mut |_| Ok(())).map(|r| (r.fingerprint, r.cut_short))
}

/// What [`extract_in_parts`] read of a file.
#[derive(Debug)]
pub struct Extracted {
    /// The file's facts.
    pub source: SourceInfo,
    /// With [`ExtractOptions::keep_partial`], the damage that ended the
    /// reading early ([`ExtractError::Damaged`]): the parts handed over
    /// are of the readable part only.
    pub cut_short: Option<ExtractError>,
    /// Where the extraction's time went (not counting `on_part`).
    pub times: StageTimes,
}

/// `opts` without [`ExtractOptions::keep_partial`]: for the extractions
/// that must read a file whole.
fn whole(opts: &ExtractOptions) -> ExtractOptions {
    ExtractOptions {
        keep_partial: false,
        ..*opts
    }
}

/// [`extract`], calling `observe` with every sample and its pictures.
pub fn extract_observed(
    path: &Path,
    opts: &ExtractOptions,
    observe: impl FnMut(SampleView<'_>),
) -> Result<Fingerprint, ExtractError> {
    run(path, &whole(opts), observe, None, None, &mut |_| Ok(())).map(|r| r.fingerprint)
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
        &whole(opts),
        |_| {},
        None,
        Some((from_ms, to_ms)),
        &mut |_| Ok(()),
    )
    .map(|r| r.fingerprint)
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
    let file = SourceFile::open(path)?;
    let mut input = VideoInput::open(
        &file,
        DecodeOptions {
            threads: decoder_threads,
            keyframes_only,
            time_limit: None,
            sample_fps: None,
            sha256: false,
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
/// the fingerprint [`extract`] gives. The file's SHA-256 is known only once
/// it is all read: the parts handed over before the last carry zeros in
/// its place. Returns the file's facts (and, with
/// [`ExtractOptions::keep_partial`], what cut the reading short); an error
/// of `on_part` stops the decoding and is returned.
pub fn extract_in_parts<E: From<ExtractError>>(
    path: &Path,
    opts: &ExtractOptions,
    parts: Parts,
    mut on_part: impl FnMut(Fingerprint) -> Result<(), E>,
) -> Result<Extracted, E> {
    let mut failure: Option<E> = None;
    let result = run(path, opts, |_| {}, Some(parts), None, &mut |part| {
        on_part(part).map_err(|e| {
            failure = Some(e);
            ExtractError::Stopped
        })
    });
    match (result, failure) {
        (_, Some(e)) => Err(e),
        (Ok(run), None) => Ok(Extracted {
            source: run.fingerprint.source,
            cut_short: run.cut_short,
            times: run.times,
        }),
        (Err(e), None) => Err(e.into()),
    }
}
