//! Errors of extraction, each naming the file and what is wrong with it.

use std::path::PathBuf;

/// Why a video could not be fingerprinted.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The file could not be read (missing, unreadable, a directory).
    #[error("{}: cannot read", path.display())]
    Io {
        /// The input.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file has no bytes.
    #[error("{}: empty file (0 bytes)", path.display())]
    Empty {
        /// The input.
        path: PathBuf,
    },
    /// FFmpeg cannot open it as a media file (text, random bytes, an mp4
    /// whose index is missing because the download was cut short).
    #[error("{}: not a video FFmpeg can read (truncated, or not a video at all?)", path.display())]
    Unreadable {
        /// The input.
        path: PathBuf,
        /// FFmpeg's reason.
        #[source]
        source: ffmpeg_next::Error,
    },
    /// FFmpeg reads the file as a playlist, a list of other files or a
    /// format that names other resources (HLS, DASH, concat, an image
    /// sequence pattern): its pictures would come from files other than
    /// the one hashed, which would be false evidence.
    #[error("{}: refused: FFmpeg reads it as {format}, {why}; vfp reads only a video file that holds its own pictures", path.display())]
    RefusedFormat {
        /// The input.
        path: PathBuf,
        /// FFmpeg's name of the format it probed.
        format: String,
        /// What kind of format that is.
        why: &'static str,
    },
    /// The file changed while it was read: its hash and its pictures
    /// might not be of the same bytes.
    #[error("{}: the file changed while it was read (it was written to); read it again when it is complete", path.display())]
    Changed {
        /// The input.
        path: PathBuf,
    },
    /// The container holds no video stream.
    #[error("{}: no video stream (the file holds {streams})", path.display())]
    NoVideoStream {
        /// The input.
        path: PathBuf,
        /// What it does hold, e.g. "1 audio stream".
        streams: String,
    },
    /// No decoder for the video codec, or it refused to open.
    #[error("{}: cannot decode the {codec} video stream: {reason}", path.display())]
    Decoder {
        /// The input.
        path: PathBuf,
        /// Codec name as FFmpeg knows it.
        codec: String,
        /// Why.
        reason: String,
    },
    /// Reading or decoding broke off part-way, or the stream ends well
    /// before the duration its header declares: the file is truncated or
    /// damaged.
    #[error("{}: truncated or damaged at {at_s:.3} s of video ({reason}); fetch the file again", path.display())]
    Damaged {
        /// The input.
        path: PathBuf,
        /// Presentation time reached when it broke off, in seconds.
        at_s: f64,
        /// FFmpeg's reason.
        reason: String,
    },
    /// The stream held no frame the decoder could decode.
    #[error("{}: no decodable video frames ({reason})", path.display())]
    NoFrames {
        /// The input.
        path: PathBuf,
        /// What was seen instead.
        reason: String,
    },
    /// The video is longer than a `.vfp` can time-stamp (u32 milliseconds).
    #[error("{}: video runs past {max_h} hours, longer than vfp supports", path.display())]
    TooLong {
        /// The input.
        path: PathBuf,
        /// Limit in hours.
        max_h: u32,
    },
    /// The pictures are larger than vfp decodes.
    #[error("{}: pictures of {width}×{height}, larger than vfp decodes ({max_pixels} pixels, 8K: no video codec level allows more)", path.display())]
    TooLarge {
        /// The input.
        path: PathBuf,
        /// Picture width.
        width: u32,
        /// Picture height.
        height: u32,
        /// The limit, pixels a picture.
        max_pixels: u64,
    },
    /// Decoding the file costs more than any real video does: a
    /// decompression bomb, or a stream whose frames do not advance.
    #[error("{}: refused: {reason}; a file that costs this much to decode is no real video (a decompression bomb?)", path.display())]
    TooCostly {
        /// The input.
        path: PathBuf,
        /// What it cost.
        reason: String,
    },
    /// Decoding took longer than the time limit per file.
    #[error("{}: gave up after {limit_s:.0} s of decoding, at {at_s:.1} s of its content (the time limit per file)", path.display())]
    TimeLimit {
        /// The input.
        path: PathBuf,
        /// The limit, seconds.
        limit_s: f64,
        /// Content time reached, seconds.
        at_s: f64,
    },
    /// Generated video could not be written ([`crate::material`]).
    #[error("{}: cannot write generated video: {reason}", path.display())]
    Encoder {
        /// The file being written.
        path: PathBuf,
        /// What FFmpeg said.
        reason: String,
    },
    /// The parameters are unusable.
    #[error("invalid extraction parameters: {0}")]
    InvalidParams(String),
    /// The caller's handler of parts ([`extract_in_parts`](crate::extract_in_parts))
    /// stopped the extraction; its own error is what the caller sees.
    #[error("extraction stopped by its caller")]
    Stopped,
}

impl ExtractError {
    /// The input file the error is about, if any.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            ExtractError::Io { path, .. }
            | ExtractError::Empty { path }
            | ExtractError::Unreadable { path, .. }
            | ExtractError::RefusedFormat { path, .. }
            | ExtractError::Changed { path }
            | ExtractError::NoVideoStream { path, .. }
            | ExtractError::Decoder { path, .. }
            | ExtractError::Damaged { path, .. }
            | ExtractError::NoFrames { path, .. }
            | ExtractError::TooLong { path, .. }
            | ExtractError::TooLarge { path, .. }
            | ExtractError::TooCostly { path, .. }
            | ExtractError::TimeLimit { path, .. }
            | ExtractError::Encoder { path, .. } => Some(path),
            ExtractError::InvalidParams(_) | ExtractError::Stopped => None,
        }
    }
}
