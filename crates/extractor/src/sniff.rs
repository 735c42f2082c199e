//! What a file holds, judged from its first bytes the way FFmpeg's own
//! probe judges them, without opening a demuxer: whether a folder's file
//! is worth decoding, whatever its name.
//!
//! Crawl stores name files by hash (`97a81f...`), `.bin` or `.mp4.part`,
//! so a file's extension says little. The decoder ([`crate::extract`])
//! picks its demuxer by probing the content and refuses every format but
//! the self-contained ones; [`sniff`] runs that same probe on the first
//! [`SNIFF_BYTES`] and sorts the answer the same way, so a file sniffed as
//! video is one the decoder will try.

use crate::decode::{init, refusal, SELF_CONTAINED_DEMUXERS};
use crate::{ExtractError, SourceFile};

/// How much of a file the probe reads: FFmpeg's probe asks for 2 KB to
/// 1 MB; every container's signature vfp reads lies within the first
/// 64 KB (an MPEG-TS needs a few packets of 188 bytes, an MP4 its first
/// boxes).
pub const SNIFF_BYTES: usize = 64 * 1024;

/// Lowest probe score taken as a recognition: FFmpeg's
/// `AVPROBE_SCORE_RETRY` (a quarter of the maximum), below which FFmpeg
/// itself reads more before it decides.
const MIN_SCORE: i32 = 25;

/// The demuxers of single still pictures: a picture is not a video to
/// scan unless asked for (a crawl holds thumbnails by the thousand).
const STILL_DEMUXERS: &[&str] = &[
    "png_pipe",
    "jpeg_pipe",
    "bmp_pipe",
    "tiff_pipe",
    "webp_pipe",
];

/// What the first bytes of a file are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sniffed {
    /// A video format the decoder reads (FFmpeg's demuxer name).
    Video {
        /// The demuxer, e.g. `mov,mp4,m4a,3gp,3g2,mj2`.
        format: String,
    },
    /// A single still picture.
    Still {
        /// The demuxer, e.g. `jpeg_pipe`.
        format: String,
    },
    /// A format FFmpeg knows and the decoder refuses (a playlist, audio,
    /// subtitles), and why.
    Refused {
        /// The demuxer.
        format: String,
        /// What kind of format that is.
        why: &'static str,
    },
    /// Nothing FFmpeg recognises.
    Unknown,
}

/// Sniffs `source` from its first [`SNIFF_BYTES`] bytes (through its
/// descriptor).
pub fn sniff(source: &SourceFile) -> Result<Sniffed, ExtractError> {
    Ok(sniff_bytes(&source.head(SNIFF_BYTES)?))
}

/// Sniffs the first bytes of a file.
pub fn sniff_bytes(head: &[u8]) -> Sniffed {
    init();
    let Some((format, score)) = probe(head) else {
        return Sniffed::Unknown;
    };
    if score < MIN_SCORE {
        return Sniffed::Unknown;
    }
    if STILL_DEMUXERS.contains(&format.as_str()) {
        Sniffed::Still { format }
    } else if SELF_CONTAINED_DEMUXERS.contains(&format.as_str()) {
        Sniffed::Video { format }
    } else {
        let why = refusal(&format);
        Sniffed::Refused { format, why }
    }
}

/// FFmpeg's best guess at `head`'s format and its score (0-100).
fn probe(head: &[u8]) -> Option<(String, i32)> {
    use ffmpeg_next::ffi;
    if head.is_empty() {
        return None;
    }
    // FFmpeg's probes may read up to AVPROBE_PADDING_SIZE bytes past the
    // data, which must be zeros.
    let mut buf = Vec::with_capacity(head.len() + ffi::AVPROBE_PADDING_SIZE as usize);
    buf.extend_from_slice(head);
    buf.resize(head.len() + ffi::AVPROBE_PADDING_SIZE as usize, 0);
    let empty_name = c"";
    let data = ffi::AVProbeData {
        filename: empty_name.as_ptr(),
        buf: buf.as_mut_ptr(),
        buf_size: i32::try_from(head.len()).ok()?,
        mime_type: std::ptr::null(),
    };
    let mut score = 0;
    // SAFETY: `data` points into `buf`, which outlives the call and holds
    // `buf_size` bytes plus the zeroed padding FFmpeg requires; the file
    // name is an empty C string (no name: the content alone decides).
    let format = unsafe { ffi::av_probe_input_format3(&data, 1, &mut score) };
    if format.is_null() {
        return None;
    }
    // SAFETY: a non-null format is one of FFmpeg's static demuxers, whose
    // name is a static C string.
    let name = unsafe { std::ffi::CStr::from_ptr((*format).name) };
    Some((name.to_string_lossy().into_owned(), score))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn video(format: &str) -> Sniffed {
        Sniffed::Video {
            format: format.to_owned(),
        }
    }

    #[test]
    fn containers_are_known_by_their_first_bytes() {
        // The first box of an MP4: size, `ftyp`, brand.
        let mut mp4 = vec![0, 0, 0, 0x20];
        mp4.extend_from_slice(b"ftypisom\0\0\x02\0isomiso2avc1mp41");
        assert_eq!(sniff_bytes(&mp4), video("mov,mp4,m4a,3gp,3g2,mj2"));
        // Matroska's EBML header.
        let mkv = [
            0x1a, 0x45, 0xdf, 0xa3, 0x9b, 0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81, 0x01, 0x42,
            0xf2, 0x81, 0x04, 0x42, 0xf3, 0x81, 0x08, 0x42, 0x82, 0x88, b'm', b'a', b't', b'r',
            b'o', b's', b'k', b'a',
        ];
        assert_eq!(sniff_bytes(&mkv), video("matroska,webm"));
    }

    #[test]
    fn text_pictures_and_playlists_are_not_videos() {
        assert_eq!(sniff_bytes(b""), Sniffed::Unknown);
        assert_eq!(
            sniff_bytes(b"crawled 2026-12-07 from https://example.com\n"),
            Sniffed::Unknown
        );
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x02\0\0\0\x90\x91h6";
        assert!(
            matches!(sniff_bytes(png), Sniffed::Still { ref format } if format == "png_pipe"),
            "{:?}",
            sniff_bytes(png)
        );
        let playlist = b"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nseg0.ts\n#EXT-X-ENDLIST\n";
        assert!(
            matches!(sniff_bytes(playlist), Sniffed::Refused { ref format, .. } if format == "hls"),
            "{:?}",
            sniff_bytes(playlist)
        );
    }
}
