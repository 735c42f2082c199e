//! The FFmpeg swscale bridge: decoded frames of any pixel format and size
//! straight to the square grey working picture ([`LumaImage`], no
//! full-size RGB copies), to the upright grey picture of local features,
//! or to small upright RGB thumbnails for evidence.

use crate::luma::{LumaImage, WORK_SIDE};
use crate::ExtractError;
use ffmpeg::software::scaling;
use ffmpeg::util::format::Pixel;
use ffmpeg::util::frame::Video as VideoFrame;
use ffmpeg_next as ffmpeg;
use std::path::Path;
use vfp_fingerprint::local::FEATURE_HEIGHT;

/// swscale from decoded frames of any pixel format and size to one output
/// format and size, the context rebuilt when the input changes mid-stream;
/// returns the output rows without their padding.
struct Sws {
    context: Option<(scaling::Context, SwsKey)>,
    out: VideoFrame,
}

/// Input format and size, output format and size.
type SwsKey = (Pixel, u32, u32, Pixel, u32, u32);

impl Sws {
    fn new() -> Self {
        Sws {
            context: None,
            out: VideoFrame::empty(),
        }
    }

    /// `frame` as `width`×`height` pixels of `format` (`bytes_per_pixel`
    /// each, one plane), row-major without padding.
    fn run(
        &mut self,
        frame: &VideoFrame,
        (format, width, height, bytes_per_pixel): (Pixel, u32, u32, usize),
        path: &Path,
    ) -> Result<Vec<u8>, ExtractError> {
        check_frame(frame, path)?;
        let key = (
            frame.format(),
            frame.width(),
            frame.height(),
            format,
            width,
            height,
        );
        let failed = |what: &str, e: ffmpeg::Error| ExtractError::Decoder {
            path: path.to_owned(),
            codec: format!("{:?} {}x{}", key.0, key.1, key.2),
            reason: format!("{what}: {e}"),
        };
        if self.context.as_ref().is_none_or(|(_, k)| *k != key) {
            // Area averaging: the right filter for large reductions; it also
            // anti-aliases, so the hash sees no moiré from fine textures.
            let context = scaling::Context::get(
                key.0,
                key.1,
                key.2,
                format,
                width,
                height,
                scaling::Flags::AREA,
            )
            .map_err(|e| failed("cannot convert the decoded pictures", e))?;
            self.context = Some((context, key));
        }
        let Some((context, _)) = self.context.as_mut() else {
            unreachable!("the scaler was just built");
        };
        context
            .run(frame, &mut self.out)
            .map_err(|e| failed("scaling a frame failed", e))?;
        let (stride, row) = (self.out.stride(0), width as usize * bytes_per_pixel);
        let data = self.out.data(0);
        let mut pixels = Vec::with_capacity(row * height as usize);
        for y in 0..height as usize {
            pixels.extend_from_slice(&data[y * stride..y * stride + row]);
        }
        Ok(pixels)
    }
}

/// Scales decoded frames of any pixel format to the square grey working
/// picture.
pub(crate) struct WorkScaler(Sws);

impl WorkScaler {
    pub(crate) fn new() -> Self {
        WorkScaler(Sws::new())
    }

    pub(crate) fn scale(
        &mut self,
        frame: &VideoFrame,
        path: &Path,
    ) -> Result<LumaImage, ExtractError> {
        let side = WORK_SIDE as u32;
        let pixels = self.0.run(frame, (Pixel::GRAY8, side, side, 1), path)?;
        Ok(LumaImage::new(WORK_SIDE, pixels))
    }
}

/// Scales decoded frames to the upright grey picture local features are
/// found on: [`FEATURE_HEIGHT`] rows at the display aspect ratio (square
/// pixels, unlike the working picture, so that corners keep their shape).
pub(crate) struct FeatureScaler {
    /// Upright size.
    width: u32,
    height: u32,
    rotation_deg: u16,
    sws: Sws,
}

impl FeatureScaler {
    /// For a stream whose upright pictures are `display_aspect` wide per
    /// unit of height, turned by `rotation_deg` for display.
    pub(crate) fn new(display_aspect: f32, rotation_deg: u16) -> Self {
        let height = u32::from(FEATURE_HEIGHT);
        // A panorama or a sliver of a stream is kept within 4:1 either way.
        let width = (display_aspect.clamp(0.25, 4.0) * height as f32).round() as u32;
        FeatureScaler {
            width: width.max(2),
            height,
            rotation_deg,
            sws: Sws::new(),
        }
    }

    pub(crate) fn scale(
        &mut self,
        frame: &VideoFrame,
        path: &Path,
    ) -> Result<image::GrayImage, ExtractError> {
        let turned = self.rotation_deg == 90 || self.rotation_deg == 270;
        let (ow, oh) = if turned {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        };
        let grey = self.sws.run(frame, (Pixel::GRAY8, ow, oh, 1), path)?;
        let picture =
            image::GrayImage::from_raw(ow, oh, grey).ok_or_else(|| ExtractError::Decoder {
                path: path.to_owned(),
                codec: String::new(),
                reason: "the scaler returned a picture of the wrong size".into(),
            })?;
        Ok(match self.rotation_deg {
            90 => image::imageops::rotate90(&picture),
            180 => image::imageops::rotate180(&picture),
            270 => image::imageops::rotate270(&picture),
            _ => picture,
        })
    }
}

/// Scales decoded frames to small upright RGB pictures of a fixed width
/// (evidence thumbnails).
pub(crate) struct RgbScaler {
    width: u32,
    sws: Sws,
}

impl RgbScaler {
    pub(crate) fn new(width: u32) -> Self {
        RgbScaler {
            width,
            sws: Sws::new(),
        }
    }

    pub(crate) fn scale(
        &mut self,
        frame: &VideoFrame,
        rotation_deg: u16,
        path: &Path,
    ) -> Result<crate::Thumbnail, ExtractError> {
        check_frame(frame, path)?;
        let (fw, fh) = (u64::from(frame.width()), u64::from(frame.height()));
        // Size before rotation, so that the upright picture is `width`
        // wide with the frame's aspect; even, as swscale prefers.
        let w = u64::from(self.width);
        let (ow, oh) = if rotation_deg == 90 || rotation_deg == 270 {
            ((w * fw / fh).max(2), w)
        } else {
            (w, (w * fh / fw).max(2))
        };
        let (ow, oh) = (ow as u32 & !1, oh as u32 & !1);
        let rgb = self.sws.run(frame, (Pixel::RGB24, ow, oh, 3), path)?;
        Ok(rotate_rgb(ow as usize, oh as usize, rgb, rotation_deg))
    }
}

/// An RGB picture turned clockwise by `deg` (0, 90, 180, 270).
fn rotate_rgb(w: usize, h: usize, rgb: Vec<u8>, deg: u16) -> crate::Thumbnail {
    let src = |x: usize, y: usize| &rgb[(y * w + x) * 3..(y * w + x) * 3 + 3];
    // Output size, and for an output pixel the source pixel.
    let (nw, nh) = match deg {
        90 | 270 => (h, w),
        180 => (w, h),
        _ => {
            return crate::Thumbnail {
                width: w as u32,
                height: h as u32,
                rgb,
            }
        }
    };
    let at = |x: usize, y: usize| match deg {
        90 => (y, h - 1 - x),
        180 => (w - 1 - x, h - 1 - y),
        _ => (w - 1 - y, x),
    };
    let mut out = Vec::with_capacity(rgb.len());
    for y in 0..nh {
        for x in 0..nw {
            let (sx, sy) = at(x, y);
            out.extend_from_slice(src(sx, sy));
        }
    }
    crate::Thumbnail {
        width: nw as u32,
        height: nh as u32,
        rgb: out,
    }
}

/// swscale aborts the whole process on an empty frame; refuse one here.
fn check_frame(frame: &VideoFrame, path: &Path) -> Result<(), ExtractError> {
    if frame.format() == Pixel::None || frame.width() == 0 || frame.height() == 0 {
        return Err(ExtractError::Decoder {
            path: path.to_owned(),
            codec: format!("{:?}", frame.format()),
            reason: "the decoder returned an empty frame".into(),
        });
    }
    // The stream's header may say one size and its frames another.
    crate::decode::check_picture_size(path, frame.width(), frame.height())
}
