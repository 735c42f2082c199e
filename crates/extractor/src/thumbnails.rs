//! Pictures of a few moments of a video, for evidence pages: decoded at
//! the times asked for, scaled to a width and turned upright.

use crate::decode::{DecodeOptions, VideoInput};
use crate::scale::RgbScaler;
use crate::ExtractError;
use crate::SourceFile;

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

/// Pictures of `source` at each of `times_ms` (from the stream start),
/// `width` pixels wide, upright; `None` for a time past the end. Decoded
/// through `source`'s descriptor: a caller that checked its SHA-256 shows
/// the pictures of those bytes, whatever the path names by now.
pub fn thumbnails(
    source: &SourceFile,
    times_ms: &[u32],
    width: u32,
) -> Result<Vec<Option<Thumbnail>>, ExtractError> {
    let mut out = vec![None; times_ms.len()];
    each_thumbnail(source, times_ms, width, |k, picture| {
        out[k] = Some(picture);
        Ok(())
    })?;
    Ok(out)
}

/// [`thumbnails`] handed over one at a time, `on_picture(k, picture)` for
/// the k-th of `times_ms` (in time order, whatever the order asked), so
/// that a picture at every sampled moment of a long title is never held
/// at once. Times close together are decoded in one pass, without a seek
/// each.
pub fn each_thumbnail(
    source: &SourceFile,
    times_ms: &[u32],
    width: u32,
    mut on_picture: impl FnMut(usize, Thumbnail) -> Result<(), ExtractError>,
) -> Result<(), ExtractError> {
    let mut order: Vec<usize> = (0..times_ms.len()).collect();
    order.sort_by_key(|&i| times_ms[i]);
    let sorted_s: Vec<f64> = order
        .iter()
        .map(|&i| f64::from(times_ms[i]) / 1000.0)
        .collect();
    let path = source.path();
    let mut input = VideoInput::open(
        source,
        DecodeOptions {
            threads: 0,
            keyframes_only: false,
            time_limit: None,
            sample_fps: None,
            sha256: false,
        },
    )?;
    let rotation = input.facts.rotation_deg;
    let mut scaler = RgbScaler::new(width.clamp(16, 4096));
    input.frames_at(&sorted_s, |k, frame| {
        on_picture(order[k], scaler.scale(frame, rotation, path)?)
    })?;
    source.check_unchanged()
}
