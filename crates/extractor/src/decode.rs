//! Opening a file with FFmpeg and decoding its best video stream into
//! frames time-stamped in seconds from the stream start.
//!
//! This is the only module that talks to FFmpeg's demuxer and decoder.

use crate::file::{SharedHash, SourceFile};
use crate::ExtractError;
use ffmpeg::codec::threading;
use ffmpeg::format::context::Input;
use ffmpeg::media;
use ffmpeg::util::frame::Video as VideoFrame;
use ffmpeg_next as ffmpeg;
use std::path::{Path, PathBuf};
use std::sync::Once;

/// A stream whose packets end this much before the duration its header
/// declares (seconds, or share of the duration if larger) was cut short.
const TRUNCATION_TOLERANCE_S: f64 = 0.5;
const TRUNCATION_TOLERANCE_SHARE: f64 = 0.05;

/// After this many unreadable packets in a row, give up on the file: FFmpeg
/// is not resynchronizing, the rest is garbage.
const MAX_CONSECUTIVE_BAD_PACKETS: u32 = 1_000;

/// Initializes FFmpeg once per process and keeps its log quiet: problems
/// reach the user as typed errors naming the file, not as FFmpeg chatter.
pub(crate) fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // Registration cannot fail on FFmpeg >= 4; the result is only kept
        // for old versions.
        let _ = ffmpeg::init();
        ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Quiet);
    });
}

/// Facts about the opened video stream.
#[derive(Clone, Debug)]
pub(crate) struct StreamFacts {
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    /// Duration from the stream or container header, if it says.
    pub duration_s: Option<f64>,
    /// Duration from the video stream's own header, if it says and the
    /// container's index makes it exact (MP4/QuickTime, AVI); unlike the
    /// container's duration, it does not stretch to a longer audio track.
    pub indexed_duration_s: Option<f64>,
    /// Clockwise display rotation in degrees: 0, 90, 180 or 270.
    pub rotation_deg: u16,
    /// Displayed width / height, upright (pixel aspect and rotation
    /// applied).
    pub display_aspect: f32,
    /// Upright height in pixels (the coded width if the display turns the
    /// picture by a quarter).
    pub display_height: u32,
}

/// An opened file with its best video stream and a ready decoder.
pub(crate) struct VideoInput {
    path: PathBuf,
    input: Input,
    stream_index: usize,
    decoder: ffmpeg::decoder::Video,
    time_base_s: f64,
    /// Stream start in time-base units; frame times count from here.
    start_pts: Option<i64>,
    pub facts: StreamFacts,
    /// The input was moved to a time ([`VideoInput::seek_to`]): frames
    /// are timed from the declared stream start, or 0, never from the
    /// first frame decoded.
    seeked: bool,
    /// Only keyframe packets are decoded, each on its own (a format that
    /// codes every frame from the state of the one before, like FFV1,
    /// gives only the frames that restart it).
    keyframes_only: bool,
    /// What decoding has cost so far.
    cost: Cost,
    /// Which packets need not be decoded, if any.
    skip: Option<SkipPlan>,
    /// The SHA-256 of the bytes read so far, if asked for.
    running_hash: Option<SharedHash>,
}

/// Frames a sampler at a known rate will not take, told apart before they
/// are decoded: the decoder is asked to skip each packet that holds no
/// sampling time (FFmpeg's `skip_frame` at "non-reference"), and skips it
/// if no other frame depends on it. What is decoded and sampled is the
/// same as without skipping: only frames nobody looks at are left out.
/// Decoders that cannot tell reference frames (most intra-only codecs)
/// decode everything, as before.
#[derive(Clone, Copy, Debug)]
struct SkipPlan {
    /// The sampler's period, s.
    period_s: f64,
    /// Whether the decoder is set to skip now (it is told only of
    /// changes).
    skipping: bool,
}

/// How far a frame's span is widened before asking whether it holds a
/// sampling time, s, at its start and at its end: a frame the sampler
/// might take (a time rounded, uneven frame durations) is decoded. At its
/// start by less than the sampler's tolerance: a time the frame before
/// shows exactly is that frame's.
const SKIP_MARGIN_START_S: f64 = 0.0005;
const SKIP_MARGIN_END_S: f64 = 0.002;

impl SkipPlan {
    /// Whether the frame shown at `at_s` for `duration_s` holds none of
    /// the sampler's times. The sampler ([`Sampler`](crate::sample::Sampler))
    /// takes the first frame at or (within its tolerance) just before each
    /// multiple of the period: a frame holds one when a multiple falls
    /// after the frame before it and not after it.
    fn unsampled(&self, at_s: f64, duration_s: f64) -> bool {
        let tolerance_s = crate::sample::EARLY_TOLERANCE_S;
        let from = (at_s - duration_s + tolerance_s - SKIP_MARGIN_START_S) / self.period_s;
        let to = (at_s + tolerance_s + SKIP_MARGIN_END_S) / self.period_s;
        // No multiple k with from < k <= to.
        to.floor() <= from.floor() && from.is_finite() && to.is_finite()
    }
}

/// How to decode.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DecodeOptions {
    /// Decoder threads; 0 lets FFmpeg choose from the core count.
    pub threads: usize,
    /// Ask the decoder to decode keyframes only.
    pub keyframes_only: bool,
    /// Give up on a file after this long (wall-clock time from its open).
    pub time_limit: Option<std::time::Duration>,
    /// The rate the frames will be sampled at, per second, if it is known:
    /// a frame no sampled frame depends on and that the sampler would
    /// not take is then not decoded ([`SkipPlan`]).
    pub sample_fps: Option<f32>,
    /// Take the file's SHA-256 from the bytes as they are read
    /// ([`VideoInput::sha256`]).
    pub sha256: bool,
}

/// Most pixels decoded per byte of the file. Real video is far below it:
/// the most compressible clip of the evaluation corpus decodes to 724
/// pixels a byte, a minute of black 1080p H.264 to 24,700. A file above it
/// is a decompression bomb: a 69 KB GIF of 3,000 frames of 8000×4400 that
/// differ by one pixel (1.5 M pixels a byte) cost 239 s of CPU, a 1 MB
/// one would cost an hour. Stopping here bounds a file's decoding by its
/// size: at most 100,000 pixels a byte (a 1080p frame per 21 bytes).
pub(crate) const MAX_PIXELS_PER_BYTE: u64 = 100_000;

/// Most frames per second of content (slow-motion cameras record 240; a
/// stream whose frames do not advance in time is refused past it).
pub(crate) const MAX_FRAMES_PER_S: f64 = 480.0;

/// Most pixels per second of content: 8K (the largest picture,
/// [`MAX_PICTURE_PIXELS`]) at 120 frames a second.
pub(crate) const MAX_PIXELS_PER_S: f64 = MAX_PICTURE_PIXELS as f64 * 120.0;

/// What decoding a file has cost so far, checked against the limits on
/// every frame ([`Cost::check`]).
#[derive(Debug)]
struct Cost {
    started: std::time::Instant,
    time_limit: Option<std::time::Duration>,
    file_bytes: u64,
    frames: u64,
    pixels: u64,
}

impl Cost {
    fn new(file_bytes: u64, time_limit: Option<std::time::Duration>) -> Self {
        Cost {
            started: std::time::Instant::now(),
            time_limit,
            file_bytes,
            frames: 0,
            pixels: 0,
        }
    }

    /// Counts a decoded frame of `width`×`height` at `t_s` seconds of
    /// content, and refuses the file once it costs more than any real
    /// video does: a picture larger than any codec allows (checked on
    /// every frame: a stream may change its size mid-way), more pixels
    /// per byte of file, or more frames or pixels per second of content,
    /// than real video has, or longer than the time limit.
    fn check(
        &mut self,
        path: &Path,
        width: u32,
        height: u32,
        t_s: f64,
    ) -> Result<(), ExtractError> {
        check_picture_size(path, width, height)?;
        self.frames += 1;
        self.pixels += u64::from(width) * u64::from(height);
        let refuse = |reason: String| ExtractError::TooCostly {
            path: path.to_owned(),
            reason,
        };
        if self.pixels > MAX_PIXELS_PER_BYTE.saturating_mul(self.file_bytes.max(1)) {
            return Err(refuse(format!(
                "it decodes to over {MAX_PIXELS_PER_BYTE} pixels per byte of file ({} pixels from {} bytes by {t_s:.1} s), which no real video does",
                self.pixels, self.file_bytes
            )));
        }
        // Over the content so far, the first second given in full.
        let content_s = t_s.max(1.0);
        if self.frames as f64 > MAX_FRAMES_PER_S * content_s {
            return Err(refuse(format!(
                "{} frames in {t_s:.3} s of content, over {MAX_FRAMES_PER_S} a second",
                self.frames
            )));
        }
        if self.pixels as f64 > MAX_PIXELS_PER_S * content_s {
            return Err(refuse(format!(
                "{} pixels in {t_s:.3} s of content, over 8K at 120 frames a second",
                self.pixels
            )));
        }
        if let Some(limit) = self.time_limit {
            if self.started.elapsed() > limit {
                return Err(ExtractError::TimeLimit {
                    path: path.to_owned(),
                    limit_s: limit.as_secs_f64(),
                    at_s: t_s,
                });
            }
        }
        Ok(())
    }
}

/// The demuxers vfp lets FFmpeg use: formats whose pictures are all in the
/// one file given. FFmpeg picks a demuxer by probing the content, and some
/// demuxers read other files or resources the content names (an 84-byte
/// HLS playlist saved as `pl.mp4` made a scan decode the local file it
/// named, under the playlist's SHA-256): those are refused, and so is
/// every format not listed here. FFmpeg is also never given a file name
/// to open and may open nothing else ([`refuse_to_open`]): it reads the
/// descriptor of the [`SourceFile`] only.
pub(crate) const SELF_CONTAINED_DEMUXERS: &[&str] = &[
    // Containers.
    "mov,mp4,m4a,3gp,3g2,mj2",
    "matroska,webm",
    "avi",
    "flv",
    "live_flv",
    "mpegts",
    "mpeg",
    "ogg",
    "asf",
    "asf_o",
    "nut",
    "ivf",
    "mxf",
    "rm",
    "wtv",
    "dv",
    "swf",
    "nuv",
    "smjpeg",
    "mpjpeg",
    "yuv4mpegpipe",
    // Elementary video streams.
    "h261",
    "h263",
    "h264",
    "hevc",
    "m4v",
    "mpegvideo",
    "obu",
    "av1",
    "vc1",
    "dirac",
    "cavsvideo",
    "mjpeg",
    "mjpeg_2000",
    "dnxhd",
    // Animated and still pictures, each one file.
    "gif",
    "apng",
    "webp_pipe",
    "png_pipe",
    "jpeg_pipe",
    "bmp_pipe",
    "tiff_pipe",
];

/// Why a probed format that is not self-contained is refused.
pub(crate) fn refusal(format: &str) -> &'static str {
    match format {
        "hls" | "dash" => "a streaming playlist, whose pictures are in the files it names",
        "concat" => "a list of other files to read",
        "image2" => "an image sequence named by a pattern",
        "imf" => "a composition whose pictures are in the files it names",
        "sdp" | "rtp" | "rtsp" => "a network session, not a file",
        "ffmetadata" | "webm_dash_manifest" => "a description of media, not media",
        _ => "a format vfp does not read",
    }
}

/// FFmpeg's `io_open` for the format context: opens nothing. A demuxer
/// that asks to open another file or URL (a playlist's segments, an MP4's
/// external data reference, an image pattern's next file) is refused.
unsafe extern "C" fn refuse_to_open(
    _context: *mut ffmpeg::ffi::AVFormatContext,
    _pb: *mut *mut ffmpeg::ffi::AVIOContext,
    _url: *const std::ffi::c_char,
    _flags: std::ffi::c_int,
    _options: *mut *mut ffmpeg::ffi::AVDictionary,
) -> std::ffi::c_int {
    ffmpeg::ffi::AVERROR(ffmpeg::ffi::EPERM)
}

/// Opens `source` with FFmpeg through its descriptor: the format is
/// probed from the content alone (never from the name), refused unless
/// it is one of [`SELF_CONTAINED_DEMUXERS`], and the demuxer may open no
/// other file.
fn open_input(source: &SourceFile, hash: Option<SharedHash>) -> Result<Input, ExtractError> {
    use ffmpeg::ffi;
    let path = source.path();
    let unreadable = |e: ffmpeg::Error| ExtractError::Unreadable {
        path: path.to_owned(),
        source: e,
    };
    let reader = match hash {
        Some(hash) => source.hashing_reader(hash),
        None => source.reader(),
    };
    let mut io = ffmpeg::format::context::StreamIo::from_read_seek(reader).map_err(unreadable)?;
    // SAFETY: `context` is freshly allocated and owned here until
    // `avformat_open_input` takes it (it frees it on failure); `io`
    // outlives it: on success it moves into the `Input`, whose destructor
    // closes the context before dropping `io`. `AVFMT_FLAG_CUSTOM_IO`
    // keeps FFmpeg from freeing `io`'s context itself.
    unsafe {
        let mut context = ffi::avformat_alloc_context();
        if context.is_null() {
            return Err(unreadable(ffmpeg::Error::Other { errno: ffi::ENOMEM }));
        }
        (*context).pb = io.as_mut_ptr();
        (*context).flags |= ffi::AVFMT_FLAG_CUSTOM_IO;
        (*context).io_open = Some(refuse_to_open);
        let mut format: *const ffi::AVInputFormat = std::ptr::null();
        let probed = ffi::av_probe_input_buffer2(
            (*context).pb,
            &mut format,
            std::ptr::null(),
            context.cast(),
            0,
            0,
        );
        if probed < 0 || format.is_null() {
            ffi::avformat_free_context(context);
            return Err(unreadable(ffmpeg::Error::from(probed.min(-1))));
        }
        let name = std::ffi::CStr::from_ptr((*format).name)
            .to_string_lossy()
            .into_owned();
        if !SELF_CONTAINED_DEMUXERS.contains(&name.as_str()) {
            ffi::avformat_free_context(context);
            return Err(ExtractError::RefusedFormat {
                path: path.to_owned(),
                why: refusal(&name),
                format: name,
            });
        }
        let opened =
            ffi::avformat_open_input(&mut context, std::ptr::null(), format, std::ptr::null_mut());
        if opened < 0 {
            return Err(unreadable(ffmpeg::Error::from(opened)));
        }
        let found = ffi::avformat_find_stream_info(context, std::ptr::null_mut());
        if found < 0 {
            ffi::avformat_close_input(&mut context);
            return Err(unreadable(ffmpeg::Error::from(found)));
        }
        Ok(Input::wrap_with_custom_io(context, io))
    }
}

/// Most pixels a picture may have: HEVC's and VVC's largest level (6.2)
/// allows 35,651,584 luma samples (8192×4352), and 8K UHD (7680×4320) is
/// within it. A larger picture is no real leak but a way to make each
/// decoded frame cost hundreds of MB (an 8192×8192 clip peaked at 533 MB).
pub(crate) const MAX_PICTURE_PIXELS: u64 = 35_651_584;

/// Refuses a picture size beyond [`MAX_PICTURE_PIXELS`].
pub(crate) fn check_picture_size(path: &Path, width: u32, height: u32) -> Result<(), ExtractError> {
    if u64::from(width) * u64::from(height) > MAX_PICTURE_PIXELS {
        return Err(ExtractError::TooLarge {
            path: path.to_owned(),
            width,
            height,
            max_pixels: MAX_PICTURE_PIXELS,
        });
    }
    Ok(())
}

impl VideoInput {
    /// Opens `source`'s best video stream for decoding (through its
    /// descriptor, see [`open_input`]).
    pub(crate) fn open(source: &SourceFile, opts: DecodeOptions) -> Result<Self, ExtractError> {
        init();
        let path = source.path();
        let running_hash = opts.sha256.then(SharedHash::default);
        let input = open_input(source, running_hash.clone())?;
        let stream = input
            .streams()
            .best(media::Type::Video)
            // An attached picture (cover art) is a single still image, not
            // video; `best` can return one when there is nothing else.
            .filter(|s| {
                !s.disposition()
                    .contains(ffmpeg::format::stream::Disposition::ATTACHED_PIC)
            })
            .ok_or_else(|| ExtractError::NoVideoStream {
                path: path.to_owned(),
                streams: describe_streams(&input),
            })?;
        let stream_index = stream.index();
        let time_base = stream.time_base();
        let time_base_s = f64::from(time_base.numerator()) / f64::from(time_base.denominator());
        if !(time_base_s.is_finite() && time_base_s > 0.0) {
            return Err(ExtractError::Damaged {
                path: path.to_owned(),
                at_s: 0.0,
                reason: format!("invalid stream time base {time_base}"),
            });
        }
        let start_pts = Some(stream.start_time()).filter(|&t| t != ffmpeg::ffi::AV_NOPTS_VALUE);
        let stream_duration_s = Some(stream.duration())
            .filter(|&d| d > 0 && d != ffmpeg::ffi::AV_NOPTS_VALUE)
            .map(|d| d as f64 * time_base_s);
        // Only containers whose sample index states the duration exactly
        // (MP4/QuickTime, AVI) can reveal a truncated file by it; Ogg, for
        // one, estimates it from the last page and overshoots valid files
        // by seconds (seen: 12.9 s of frames, 14.4 s declared).
        let format_name = input.format().name().to_owned();
        let indexed = format_name
            .split(',')
            .any(|n| matches!(n, "mov" | "mp4" | "avi"));
        let indexed_duration_s = stream_duration_s.filter(|_| indexed);
        let duration_s = stream_duration_s.or_else(|| {
            (input.duration() > 0)
                .then(|| input.duration() as f64 / f64::from(ffmpeg::ffi::AV_TIME_BASE))
        });
        let rate = stream.avg_frame_rate();
        let fps = if rate.denominator() != 0 && rate.numerator() > 0 {
            f64::from(rate.numerator()) / f64::from(rate.denominator())
        } else {
            0.0
        };
        let rotation_deg = display_rotation(&stream);

        let mut context =
            ffmpeg::codec::Context::from_parameters(stream.parameters()).map_err(|e| {
                ExtractError::Decoder {
                    path: path.to_owned(),
                    codec: "video".into(),
                    reason: e.to_string(),
                }
            })?;
        // FFmpeg itself refuses to allocate a larger picture, also when a
        // stream changes its size mid-way (`cat small.ts 8k.ts` peaked at
        // 546 MB when the size was checked once).
        // The size the stream's header declares, refused here by name
        // (FFmpeg would refuse to open the decoder, less clearly).
        // SAFETY: `context` is a live codec context not yet opened; width,
        // height and max_pixels are plain integers FFmpeg reads when it
        // opens the decoder and allocates frames.
        let (declared_width, declared_height) = unsafe {
            let raw = context.as_ptr();
            ((*raw).width.max(0) as u32, (*raw).height.max(0) as u32)
        };
        check_picture_size(path, declared_width, declared_height)?;
        unsafe {
            (*context.as_mut_ptr()).max_pixels = MAX_PICTURE_PIXELS as i64;
        }
        let codec_id = context.id();
        let codec_name = codec_id.name().to_owned();
        context.set_threading(threading::Config {
            kind: threading::Type::Frame,
            count: opts.threads,
            ..Default::default()
        });
        let mut decoder = context.decoder();
        decoder.set_packet_time_base(time_base);
        if opts.keyframes_only {
            decoder.skip_frame(ffmpeg::Discard::NonKey);
        }
        let decoder = decoder.video().map_err(|e| ExtractError::Decoder {
            path: path.to_owned(),
            codec: codec_name.clone(),
            reason: match e {
                ffmpeg::Error::DecoderNotFound => "no decoder for this codec in FFmpeg".into(),
                e => e.to_string(),
            },
        })?;
        check_picture_size(path, decoder.width(), decoder.height())?;
        let sar = decoder.aspect_ratio();
        let pixel_aspect = if sar.numerator() > 0 && sar.denominator() > 0 {
            f64::from(sar.numerator()) / f64::from(sar.denominator())
        } else {
            1.0
        };
        let mut display_aspect =
            f64::from(decoder.width().max(1)) * pixel_aspect / f64::from(decoder.height().max(1));
        if rotation_deg % 180 == 90 {
            display_aspect = 1.0 / display_aspect;
        }
        let display_height = if rotation_deg % 180 == 90 {
            decoder.width()
        } else {
            decoder.height()
        };
        let facts = StreamFacts {
            display_aspect: display_aspect.clamp(0.01, 100.0) as f32,
            display_height,
            codec: codec_name,
            width: decoder.width(),
            height: decoder.height(),
            fps,
            duration_s,
            indexed_duration_s,
            rotation_deg,
        };
        Ok(VideoInput {
            path: path.to_owned(),
            input,
            stream_index,
            decoder,
            time_base_s,
            start_pts,
            facts,
            keyframes_only: opts.keyframes_only,
            seeked: false,
            cost: Cost::new(source.size(), opts.time_limit),
            skip: opts
                .sample_fps
                .filter(|fps| fps.is_finite() && *fps > 0.0 && !opts.keyframes_only)
                .map(|fps| SkipPlan {
                    period_s: 1.0 / f64::from(fps),
                    skipping: false,
                }),
            running_hash,
        })
    }

    /// The SHA-256 of `source` (the file this was opened from, with
    /// [`DecodeOptions::sha256`]), completed with the bytes decoding did
    /// not read in order, and the seconds spent hashing; `None` if it was
    /// not asked for.
    pub(crate) fn sha256(
        &self,
        source: &SourceFile,
    ) -> Option<Result<([u8; 32], f64), ExtractError>> {
        let hash = self.running_hash.as_ref()?;
        Some(source.finish_sha256(hash).map(|sha| {
            let hashing_s = hash
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .hashing_s;
            (sha, hashing_s)
        }))
    }

    /// Moves to the keyframe at or before `t_s` (seconds from the stream
    /// start), so that [`decode`](Self::decode) begins there; a stream
    /// that cannot seek is decoded from where it is.
    pub(crate) fn seek_to(&mut self, t_s: f64) {
        let start_s = self.start_pts.map_or(0.0, |p| p as f64 * self.time_base_s);
        let ts = ((start_s + t_s.max(0.0)) * f64::from(ffmpeg::ffi::AV_TIME_BASE)) as i64;
        if self.input.seek(ts, ..ts + 1).is_ok() {
            self.decoder.flush();
            self.seeked = true;
        }
    }

    /// Decodes every frame the decoder returns, in presentation order, and
    /// hands each to `on_frame` with its time in seconds from the stream
    /// start. Returns the number of frames decoded.
    pub(crate) fn decode<F>(&mut self, mut on_frame: F) -> Result<u64, ExtractError>
    where
        F: FnMut(f64, &VideoFrame) -> Result<(), ExtractError>,
    {
        let mut frame = VideoFrame::empty();
        // After a seek the first frame is not the stream start: an
        // undeclared start counts as 0.
        let declared_start = if self.seeked {
            Some(self.start_pts.unwrap_or(0))
        } else {
            self.start_pts
        };
        let mut clock = FrameClock::new(declared_start, self.time_base_s, self.facts.fps);
        let mut decoded = 0u64;
        let mut last_decode_error: Option<ffmpeg::Error> = None;
        let mut packet = ffmpeg::Packet::empty();
        // End of the last video packet, in seconds from the stream start:
        // how far the file really reaches, also when only keyframes decode.
        let mut packets_end_s = 0.0f64;
        let mut first_packet_pts: Option<i64> = None;
        while self.next_video_packet(&mut packet, clock.last_s)? {
            let duration_s = match packet.duration() {
                d if d > 0 => d as f64 * self.time_base_s,
                _ => clock.frame_s,
            };
            let mut shown_at_s = None;
            match packet.pts().or(packet.dts()) {
                Some(pts) => {
                    let start = declared_start.or(first_packet_pts).unwrap_or(pts);
                    first_packet_pts.get_or_insert(pts);
                    let at_s = pts.saturating_sub(start) as f64 * self.time_base_s;
                    packets_end_s = packets_end_s.max(at_s + duration_s);
                    // Only a presentation time says when the frame shows.
                    if packet.pts().is_some() && packet.duration() > 0 {
                        shown_at_s = Some(at_s);
                    }
                }
                // Some containers (Ogg) stamp only the last packet of a
                // page; the others follow on from it.
                None => packets_end_s += duration_s,
            }
            if let Some(plan) = self.skip.as_mut() {
                let skip = !packet.is_key()
                    && shown_at_s.is_some_and(|at_s| plan.unsampled(at_s, duration_s));
                if skip != plan.skipping {
                    plan.skipping = skip;
                    self.decoder.skip_frame(if skip {
                        ffmpeg::Discard::NonReference
                    } else {
                        ffmpeg::Discard::Default
                    });
                }
            }
            if self.keyframes_only && !packet.is_key() {
                continue;
            }
            let mut sent = self.decoder.send_packet(&packet);
            if sent
                == Err(ffmpeg::Error::Other {
                    errno: ffmpeg::util::error::EAGAIN,
                })
            {
                // The decoder wants its output read first; then it takes
                // the packet.
                decoded += self.drain(&mut frame, &mut clock, &mut on_frame)?;
                sent = self.decoder.send_packet(&packet);
            }
            if let Err(e) = sent {
                // A picture larger than allowed, announced mid-stream:
                // FFmpeg refused to decode it ([`MAX_PICTURE_PIXELS`]).
                check_picture_size(&self.path, self.decoder.width(), self.decoder.height())?;
                // A damaged packet: conceal it like FFmpeg's CLI does, but
                // remember why, in case nothing decodes at all.
                last_decode_error = Some(e);
                continue;
            }
            decoded += self.drain(&mut frame, &mut clock, &mut on_frame)?;
            if self.keyframes_only {
                // Each keyframe on its own: a decoder that reorders frames
                // holds a keyframe back until frames after it arrive, and
                // with only keyframes sent, an open-GOP stream's (I-frames
                // with recovery points, not IDR) were held to the end and
                // most were lost (FFmpeg's CLI with `-skip_frame nokey`
                // alike: 3 of 10 in 20 s of x264 with B-frames).
                if self.decoder.send_eof().is_ok() {
                    decoded += self.drain(&mut frame, &mut clock, &mut on_frame)?;
                }
                self.decoder.flush();
            }
        }
        // Flush the frames the decoder still holds (B-frame reordering,
        // frame threads).
        if self.decoder.send_eof().is_ok() {
            decoded += self.drain(&mut frame, &mut clock, &mut on_frame)?;
        }
        // How far the stream really reaches: its packets, or its decoded
        // frames (whose times FFmpeg interpolates where packets have none).
        let reach_s = packets_end_s.max(clock.last_s + clock.frame_s);
        if let Some(declared_s) = self.facts.indexed_duration_s {
            let tolerance = TRUNCATION_TOLERANCE_S.max(declared_s * TRUNCATION_TOLERANCE_SHARE);
            if reach_s + tolerance < declared_s {
                return Err(self.damaged(
                    reach_s,
                    &format!("the video stream ends at {reach_s:.3} s but its header declares {declared_s:.3} s"),
                ));
            }
        }
        if decoded == 0 {
            return Err(ExtractError::NoFrames {
                path: self.path.clone(),
                reason: match last_decode_error {
                    Some(e) => format!("the decoder rejected every packet: {e}"),
                    None => "the video stream holds no frames".into(),
                },
            });
        }
        Ok(decoded)
    }

    fn drain<F>(
        &mut self,
        frame: &mut VideoFrame,
        clock: &mut FrameClock,
        on_frame: &mut F,
    ) -> Result<u64, ExtractError>
    where
        F: FnMut(f64, &VideoFrame) -> Result<(), ExtractError>,
    {
        let mut n = 0;
        while self.decoder.receive_frame(frame).is_ok() {
            let t_s = clock.time_of(frame.timestamp());
            self.cost
                .check(&self.path, frame.width(), frame.height(), t_s)?;
            on_frame(t_s, frame)?;
            n += 1;
        }
        Ok(n)
    }

    /// Reads the next packet of the video stream into `packet`, skipping
    /// other streams and single corrupt packets (the demuxer can resync past
    /// them); `false` at the end of the file. `at_s` dates any error.
    fn next_video_packet(
        &mut self,
        packet: &mut ffmpeg::Packet,
        at_s: f64,
    ) -> Result<bool, ExtractError> {
        let mut bad_packets = 0u32;
        loop {
            // A fresh packet each time: FFmpeg's demuxers fill the one
            // given without releasing what it held (`av_get_packet` sets
            // its data to NULL), so a reused packet leaked every packet
            // read, the whole compressed stream of a long file (a 30-min
            // file held 80 MB of it at the end). Dropping the old one
            // releases it.
            *packet = ffmpeg::Packet::empty();
            match packet.read(&mut self.input) {
                Ok(()) if packet.stream() == self.stream_index => return Ok(true),
                Ok(()) => bad_packets = 0,
                Err(ffmpeg::Error::Eof) => return Ok(false),
                Err(ffmpeg::Error::InvalidData) => {
                    bad_packets += 1;
                    if bad_packets > MAX_CONSECUTIVE_BAD_PACKETS {
                        return Err(self.damaged(at_s, "too many unreadable packets"));
                    }
                }
                Err(e) => return Err(self.damaged(at_s, &e.to_string())),
            }
        }
    }

    fn damaged(&self, at_s: f64, reason: &str) -> ExtractError {
        ExtractError::Damaged {
            path: self.path.clone(),
            at_s: at_s.max(0.0),
            reason: reason.to_owned(),
        }
    }
}

impl VideoInput {
    /// For each time in `times_s` (ascending), the first frame shown at or
    /// after it: seeks to the keyframe before it and decodes forward, or,
    /// for a time at most [`DECODE_AHEAD_S`] after the last frame found,
    /// decodes on without a seek (a still at every sampled picture of a
    /// title is one pass over it, not a seek and half a GOP per still).
    /// Calls `on_frame(i, frame)` for the i-th time that was reached.
    pub(crate) fn frames_at<F>(
        &mut self,
        times_s: &[f64],
        mut on_frame: F,
    ) -> Result<(), ExtractError>
    where
        F: FnMut(usize, &VideoFrame) -> Result<(), ExtractError>,
    {
        let mut frame = VideoFrame::empty();
        let mut packet = ffmpeg::Packet::empty();
        // The clock of the stretch being decoded and the time of the last
        // frame found in it; None after a flush.
        let mut decoding: Option<(FrameClock, f64)> = None;
        for (i, &target) in times_s.iter().enumerate() {
            let near = decoding
                .as_ref()
                .is_some_and(|&(_, last_s)| target >= last_s && target - last_s <= DECODE_AHEAD_S);
            let (mut clock, _) = match decoding.take().filter(|_| near) {
                Some(going_on) => going_on,
                None => {
                    let start_s = self.start_pts.map_or(0.0, |p| p as f64 * self.time_base_s);
                    let ts =
                        ((start_s + target.max(0.0)) * f64::from(ffmpeg::ffi::AV_TIME_BASE)) as i64;
                    // A failed seek (an unseekable stream) falls back to
                    // decoding on from where the previous frame was found.
                    if self.input.seek(ts, ..ts + 1).is_ok() {
                        self.decoder.flush();
                    }
                    // After a seek the first frame is not the stream
                    // start: an undeclared start counts as 0.
                    let start = Some(self.start_pts.unwrap_or(0));
                    (
                        FrameClock::new(start, self.time_base_s, self.facts.fps),
                        0.0,
                    )
                }
            };
            let mut found = None;
            // Frames the decoder holds already come first: a packet sent
            // before they are taken would be refused, and lost.
            while found.is_none() && self.decoder.receive_frame(&mut frame).is_ok() {
                let t = clock.time_of(frame.timestamp());
                if t + clock.frame_s / 2.0 >= target {
                    on_frame(i, &frame)?;
                    found = Some(t);
                }
            }
            while found.is_none() {
                if !self.next_video_packet(&mut packet, target)? {
                    break;
                }
                if self.decoder.send_packet(&packet).is_err() {
                    continue;
                }
                while self.decoder.receive_frame(&mut frame).is_ok() {
                    // Times count from the stream start, as in `decode`.
                    let t = clock.time_of(frame.timestamp());
                    if t + clock.frame_s / 2.0 >= target {
                        on_frame(i, &frame)?;
                        found = Some(t);
                        break;
                    }
                }
            }
            match found {
                Some(t) => decoding = Some((clock, t)),
                None => {
                    // At the end of the file: the decoder still holds its
                    // last frames (B-frame reordering); take the first one
                    // due. The decoder is flushed after, so the next time
                    // seeks.
                    if self.decoder.send_eof().is_ok() {
                        while found.is_none() && self.decoder.receive_frame(&mut frame).is_ok() {
                            let t = clock.time_of(frame.timestamp());
                            if t + clock.frame_s / 2.0 >= target {
                                on_frame(i, &frame)?;
                                found = Some(t);
                            }
                        }
                    }
                    self.decoder.flush();
                    if found.is_none() {
                        // Past the end of the stream: this time and any
                        // later one.
                        break;
                    }
                }
            }
        }
        Ok(())
    }
}

/// How far past the last frame found [`VideoInput::frames_at`] decodes on
/// instead of seeking: a GOP of a typical stream (2 to 10 s) decoded
/// from its keyframe costs as much as decoding this far on.
const DECODE_AHEAD_S: f64 = 5.0;

/// Turns decoder timestamps into seconds from the stream start, filling in
/// frames without a timestamp and never going backwards.
struct FrameClock {
    start_pts: Option<i64>,
    time_base_s: f64,
    frame_s: f64,
    last_s: f64,
    seen_any: bool,
}

impl FrameClock {
    fn new(start_pts: Option<i64>, time_base_s: f64, fps: f64) -> Self {
        FrameClock {
            start_pts,
            time_base_s,
            // Unknown rate: assume 25 fps for frames that carry no timestamp.
            frame_s: if fps > 0.0 { 1.0 / fps } else { 0.04 },
            last_s: 0.0,
            seen_any: false,
        }
    }

    fn time_of(&mut self, pts: Option<i64>) -> f64 {
        let t = match pts {
            Some(pts) => {
                // Without a declared stream start, the first frame is t = 0.
                let start = *self.start_pts.get_or_insert(pts);
                (pts.saturating_sub(start)) as f64 * self.time_base_s
            }
            None if self.seen_any => self.last_s + self.frame_s,
            None => 0.0,
        };
        // Frames before the start (edit lists, B-frame leaders) count as 0;
        // timestamps must not run backwards for the time-based sampler.
        let t = if self.seen_any {
            t.max(self.last_s)
        } else {
            t.max(0.0)
        };
        self.seen_any = true;
        self.last_s = t;
        t
    }
}

/// Clockwise rotation from the stream's display matrix, snapped to a
/// multiple of 90 degrees (phones record upright video sideways).
fn display_rotation(stream: &ffmpeg::format::stream::Stream) -> u16 {
    for side in stream.side_data() {
        if side.kind() != ffmpeg::codec::packet::side_data::Type::DisplayMatrix {
            continue;
        }
        let data = side.data();
        if data.len() < 9 * 4 {
            continue;
        }
        let mut matrix = [0i32; 9];
        for (m, chunk) in matrix.iter_mut().zip(data.chunks_exact(4)) {
            *m = i32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        // SAFETY: `matrix` is a live array of the 9 int32 values that
        // av_display_rotation_get reads; it only reads them.
        let ccw = unsafe { ffmpeg::ffi::av_display_rotation_get(matrix.as_ptr()) };
        if !ccw.is_finite() {
            return 0;
        }
        // FFmpeg reports counter-clockwise degrees; the picture must be
        // turned clockwise by the same amount to display upright.
        let cw = (-ccw).rem_euclid(360.0);
        return match ((cw / 90.0).round() as i64).rem_euclid(4) {
            1 => 90,
            2 => 180,
            3 => 270,
            _ => 0,
        };
    }
    0
}

fn describe_streams(input: &Input) -> String {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for s in input.streams() {
        let kind = match s.parameters().medium() {
            media::Type::Video => "cover-art image",
            media::Type::Audio => "audio",
            media::Type::Subtitle => "subtitle",
            media::Type::Data => "data",
            media::Type::Attachment => "attachment",
            media::Type::Unknown => "unknown",
        };
        match counts.iter_mut().find(|(k, _)| k == kind) {
            Some((_, n)) => *n += 1,
            None => counts.push((kind.to_owned(), 1)),
        }
    }
    if counts.is_empty() {
        return "no streams at all".into();
    }
    counts
        .iter()
        .map(|(k, n)| format!("{n} {k} stream{}", if *n == 1 { "" } else { "s" }))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::{DecodeOptions, FrameClock, SkipPlan, VideoInput};
    use crate::material::{write_video, Encoding, Scene};
    use crate::sample::Sampler;
    use crate::SourceFile;
    use vfp_fingerprint::Sampling;

    #[test]
    fn a_frame_is_unsampled_when_no_sampling_time_falls_in_its_span() {
        let plan = SkipPlan {
            period_s: 0.25,
            skipping: false,
        };
        let frame_s = 1.0 / 30.0;
        let sampled: Vec<usize> = (0..60)
            .filter(|&i| !plan.unsampled(i as f64 * frame_s, frame_s))
            .collect();
        // The frame at or just after each quarter second is kept, and no
        // other.
        let expected: Vec<usize> = (0..8).map(|k| (k as f64 * 7.5).ceil() as usize).collect();
        assert_eq!(sampled, expected);
        let never = SkipPlan {
            period_s: f64::NAN,
            skipping: false,
        };
        assert!(!never.unsampled(1.0, frame_s));
    }

    /// (time, pixels' checksum) of the frames a sampler at `fps` takes,
    /// and how many frames were decoded.
    fn sampled_frames(path: &std::path::Path, fps: f32, skip: bool) -> (Vec<(u32, u64)>, u64) {
        let file = SourceFile::open(path).unwrap();
        let mut input = VideoInput::open(
            &file,
            DecodeOptions {
                threads: 1,
                keyframes_only: false,
                time_limit: None,
                sample_fps: skip.then_some(fps),
                sha256: false,
            },
        )
        .unwrap();
        let mut sampler = Sampler::new(Sampling::Dense { fps });
        let mut taken = Vec::new();
        let decoded = input
            .decode(|t_s, frame| {
                if let Some(t_ms) = sampler.accept(t_s) {
                    let sum = frame.data(0).iter().fold(0u64, |h, &b| {
                        h.wrapping_mul(1_000_003).wrapping_add(u64::from(b))
                    });
                    taken.push((t_ms, sum));
                }
                Ok(())
            })
            .unwrap();
        (taken, decoded)
    }

    #[test]
    fn skipping_unsampled_frames_leaves_every_sampled_frame_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b-frames.mp4");
        let encoding = Encoding {
            width: 320,
            height: 180,
            fps: 30,
            crf: 23,
            keyframe_s: 2,
        };
        write_video(&path, Scene::shapes(9), 0.0, 6.0, &encoding).unwrap();
        for fps in [4.0, 10.0, 15.0, 30.0] {
            let (all, all_decoded) = sampled_frames(&path, fps, false);
            let (skipped, skip_decoded) = sampled_frames(&path, fps, true);
            assert_eq!(all.len(), (6.0 * fps) as usize, "{fps}");
            assert_eq!(all, skipped, "at {fps} samples a second");
            assert_eq!(all_decoded, 180);
            if fps <= 15.0 {
                // x264's B-frames that nothing refers to are left out
                // (92 of 180 decoded at 15 a second, 103 at 4: the rest
                // are referred to).
                assert!(
                    skip_decoded * 10 <= all_decoded * 7,
                    "{fps}: {skip_decoded}"
                );
            } else {
                assert_eq!(skip_decoded, all_decoded);
            }
        }
    }

    #[test]
    fn clock_counts_from_the_stream_start() {
        let mut c = FrameClock::new(Some(1000), 0.001, 25.0);
        assert_eq!(c.time_of(Some(1000)), 0.0);
        assert!((c.time_of(Some(1040)) - 0.040).abs() < 1e-9);
    }

    #[test]
    fn clock_starts_at_first_frame_without_a_declared_start() {
        let mut c = FrameClock::new(None, 1.0 / 90_000.0, 25.0);
        assert_eq!(c.time_of(Some(900_000)), 0.0);
        assert!((c.time_of(Some(990_000)) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn clock_fills_gaps_and_never_runs_backwards() {
        let mut c = FrameClock::new(Some(0), 0.01, 10.0);
        assert_eq!(c.time_of(Some(-5)), 0.0);
        assert!((c.time_of(Some(100)) - 1.0).abs() < 1e-9);
        assert!((c.time_of(None) - 1.1).abs() < 1e-9);
        assert!((c.time_of(Some(50)) - 1.1).abs() < 1e-9);
    }
}
