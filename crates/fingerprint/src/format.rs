//! The `.vfp` fingerprint file: one video's [`Fingerprint`] in a versioned,
//! checksummed, little-endian binary layout.
//!
//! A scraper fleet fingerprints locally and ships these files instead of
//! video, so the layout is fixed and language-neutral:
//!
//! ```text
//! offset  size  field
//!      0     8  MAGIC = 89 56 46 50 0D 0A 1A 0A ("\x89VFP\r\n\x1a\n", PNG-style:
//!               catches text-mode and 7-bit transfers)
//!      8     2  format version, u16 (FORMAT_VERSION)
//!     10     2  hash algorithm id, u16 (1 = dct256-v1)
//!     12     1  sampling mode, u8 (0 = dense, 1 = keyframes)
//!     13     1  hash options, u8 (bit 0: borders cropped; other bits 0)
//!     14     1  low-information quality threshold, u8 (0..=100)
//!     15     1  view track count K, u8 (<= MAX_VIEWS; version 1: reserved, 0)
//!     16     4  dense samples per second, f32 (0 < fps <= 60; 0 for keyframes)
//!     20     2  display rotation in degrees, u16 (0, 90, 180, 270)
//!     22     2  codec name length C, u16 (<= 64)
//!     24     2  file name length F, u16 (<= 4096)
//!     26     2  reserved, 0
//!     28     4  frame count N, u32
//!     32     8  source file size in bytes, u64
//!     40     8  duration in ms, u64
//!     48     8  average frame rate, f64 (0 = unknown)
//!     56     4  width in pixels, u32
//!     60     4  height in pixels, u32
//!     64    32  SHA-256 of the source file
//!     96     C  codec name, UTF-8
//!   96+C     F  file name, UTF-8
//! 96+C+F  72*N  frames, each:
//!                 +0   4  t_ms, u32, strictly increasing
//!                 +4   1  quality, u8 (0..=100)
//!                 +5   1  flags, u8 (bit 0 low-information, bit 1 keyframe)
//!                 +6   2  reserved, 0
//!                 +8  32  hash (four u64, little-endian; see FrameHash)
//!                +40  32  mirrored hash
//!          K × view tracks (version 2), each:
//!                 +0   1  zoom, u8 (1..=99)
//!                 +1   1  region, u8 (0 active picture, 1 inset picture,
//!                         2 whole frame with its borders, 3 the 9:16
//!                         window of a wide picture: version 3; 4 and 5
//!                         the 9:16 windows of the upper and lower picture
//!                         of a split screen, 6 a picture filmed off a
//!                         screen, unwarped: version 4);
//!                         tracks ordered by region, then by decreasing zoom
//!                 +2   2  reserved, 0
//!                 +4  72*N  the N frames hashed on the centred crop, records
//!                         as above with the same t_ms as the frames
//!          local features (version 5; see `local`):
//!                 +0   4  feature frame count F, u32
//!                 +4   4  keypoint count P over all of them, u32
//!                 +8  F × 12 + P × 36  feature frames, ordered by t_ms, then
//!                         by decreasing scale, each:
//!                   +0   4  t_ms, u32
//!                   +4   1  scale, percent of the title's scale, u8 (1..=100)
//!                   +5   1  keypoint count, u8
//!                   +6   2  picture width, u16 (> 0)
//!                   +8   2  picture height, u16 (> 0)
//!                  +10   2  reserved, 0
//!                  +12  36 × count  keypoints: x u16, y u16 (inside the
//!                         picture), then the descriptor as four u64
//!    end     4  CRC-32 (IEEE) of every byte before it, u32
//! ```
//!
//! All integers are little-endian. A file is exactly
//! `HEADER_LEN + C + F + 72 * N + K * (4 + 72 * N) + 4` bytes long, plus
//! `8 + 12 * F + 36 * P` from version 5. Loading
//! checks, in order: magic, version, length, checksum, then every field's
//! range, and names the first problem found. Version 1 is version 2 without
//! view tracks (its byte 15 was reserved as 0); version 2 is version 3
//! without the 9:16 window region, version 3 is version 4 without the
//! split-screen and filmed-screen regions, version 4 is version 5 without
//! local features; all still read.

use crate::local::{FeatureFrame, Keypoint};
use crate::{
    ExtractParams, FrameFlags, FrameHash, HashAlgorithm, HashParams, HashedFrame, Sampling,
    SourceInfo,
};
use crate::{Fingerprint, ViewRegion, ViewTrack, FULL_VIEW_PCT};

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

/// The first eight bytes of every `.vfp` file.
pub const MAGIC: [u8; 8] = *b"\x89VFP\r\n\x1a\n";
/// The format version this code writes.
pub const FORMAT_VERSION: u16 = 5;
/// The format versions this code reads.
pub const SUPPORTED_VERSIONS: RangeInclusive<u16> = 1..=5;
/// Size of the fixed header before the two names.
pub const HEADER_LEN: usize = 96;
/// Size of one stored frame.
pub const FRAME_LEN: usize = 72;
/// Size of a view track's header.
pub const TRACK_HEADER_LEN: usize = 4;
/// Most view tracks in a file.
pub const MAX_VIEWS: usize = 16;
/// Size of the local features' counts (version 5).
pub const FEATURES_HEADER_LEN: usize = 8;
/// Size of a feature frame's record before its keypoints.
pub const FEATURE_FRAME_LEN: usize = 12;
/// Size of a stored keypoint.
pub const KEYPOINT_LEN: usize = 36;
/// Most keypoints in one feature frame.
pub const MAX_KEYPOINTS: usize = u8::MAX as usize;
/// Size of the trailing checksum.
pub const CHECKSUM_LEN: usize = 4;
/// Longest codec name stored.
pub const MAX_CODEC_LEN: usize = 64;
/// Largest `.vfp` file read, bytes (4 GiB): a 2-hour film scanned at 30
/// samples per second with every view is about 270 MB, a 100-hour catalog
/// title at 4 per second with every view under 2 GB.
pub const MAX_FILE_LEN: u64 = 4 << 30;
/// Longest file name stored.
pub const MAX_NAME_LEN: usize = 4096;

/// What is wrong with the bytes of a `.vfp` file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FormatError {
    /// Shorter than the smallest possible file, or shorter than its header says.
    #[error("truncated: {len} bytes where {expected} were expected; the file was cut short, extract it again")]
    Truncated {
        /// Bytes needed.
        expected: u64,
        /// Bytes present.
        len: u64,
    },
    /// Longer than its header says.
    #[error("{extra} unexpected bytes after the end of the fingerprint; the file is damaged, extract it again")]
    TrailingBytes {
        /// Bytes beyond the expected length.
        extra: u64,
    },
    /// Not a `.vfp` file at all. Its bytes are not quoted: a `.vfp` name
    /// linked to a secret file (`s.vfp -> /etc/shadow`) showed its start
    /// in the error, and in a worker's result.
    #[error("not a .vfp fingerprint (it does not start with vfp's magic bytes)")]
    BadMagic,
    /// Written by another version of vfp.
    #[error("unsupported .vfp format version {found} (this vfp reads versions {}..={}); extract the video again with this vfp", SUPPORTED_VERSIONS.start(), SUPPORTED_VERSIONS.end())]
    UnsupportedVersion {
        /// The version in the file.
        found: u16,
    },
    /// The checksum does not match the content.
    #[error("checksum mismatch (stored {stored:08x}, computed {computed:08x}): the file is damaged; extract it again")]
    ChecksumMismatch {
        /// CRC stored in the file.
        stored: u32,
        /// CRC of the content.
        computed: u32,
    },
    /// A field holds a value outside its range.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Which field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

fn invalid(field: &'static str, reason: impl Into<String>) -> FormatError {
    FormatError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// Reading or writing a `.vfp` file failed.
#[derive(Debug, thiserror::Error)]
pub enum VfpFileError {
    /// The file could not be read or written.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Not a regular file (a folder, a FIFO, a device).
    #[error("{}: not a regular file, so not a fingerprint", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// Larger than any fingerprint vfp reads.
    #[error("{}: {len} bytes, more than the {} a fingerprint may have", path.display(), MAX_FILE_LEN)]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its length, bytes.
        len: u64,
    },
    /// The bytes are not a valid fingerprint.
    #[error("{}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: FormatError,
    },
}

/// Serializes a fingerprint into `.vfp` bytes.
///
/// Fails only for fingerprints that break the format's invariants (names too
/// long, too many frames, times not increasing, invalid parameters).
pub fn encode(fp: &Fingerprint) -> Result<Vec<u8>, FormatError> {
    validate(fp)?;
    let codec = fp.source.codec.as_bytes();
    let name = fp.source.file_name.as_bytes();
    let n = fp.frames.len();
    let k = fp.views.len();
    let mut out = Vec::with_capacity(
        HEADER_LEN + codec.len() + name.len() + FRAME_LEN * n * (k + 1) + TRACK_HEADER_LEN * k + 4,
    );
    let (mode, fps) = match fp.params.sampling {
        Sampling::Dense { fps } => (0u8, fps),
        Sampling::Keyframes => (1u8, 0.0),
    };
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&fp.params.hash.algorithm.id().to_le_bytes());
    out.push(mode);
    out.push(u8::from(fp.params.hash.crop_borders));
    out.push(fp.params.hash.low_information_quality);
    out.push(k as u8);
    out.extend_from_slice(&fps.to_le_bytes());
    out.extend_from_slice(&fp.source.rotation_deg.to_le_bytes());
    out.extend_from_slice(&(codec.len() as u16).to_le_bytes());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(n as u32).to_le_bytes());
    out.extend_from_slice(&fp.source.file_size.to_le_bytes());
    out.extend_from_slice(&fp.source.duration_ms.to_le_bytes());
    out.extend_from_slice(&fp.source.fps.to_le_bytes());
    out.extend_from_slice(&fp.source.width.to_le_bytes());
    out.extend_from_slice(&fp.source.height.to_le_bytes());
    out.extend_from_slice(&fp.source.sha256);
    debug_assert_eq!(out.len(), HEADER_LEN);
    out.extend_from_slice(codec);
    out.extend_from_slice(name);
    encode_frames(&mut out, &fp.frames);
    for view in &fp.views {
        out.extend_from_slice(&[view.zoom_pct, view.region.id(), 0, 0]);
        encode_frames(&mut out, &view.frames);
    }
    let keypoints: usize = fp.features.iter().map(|f| f.keypoints.len()).sum();
    out.extend_from_slice(&(fp.features.len() as u32).to_le_bytes());
    out.extend_from_slice(&(keypoints as u32).to_le_bytes());
    for f in &fp.features {
        out.extend_from_slice(&f.t_ms.to_le_bytes());
        out.push(f.scale_pct);
        out.push(f.keypoints.len() as u8);
        out.extend_from_slice(&f.width.to_le_bytes());
        out.extend_from_slice(&f.height.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        for k in &f.keypoints {
            out.extend_from_slice(&k.x.to_le_bytes());
            out.extend_from_slice(&k.y.to_le_bytes());
            for word in k.bits {
                out.extend_from_slice(&word.to_le_bytes());
            }
        }
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

fn encode_frames(out: &mut Vec<u8>, frames: &[HashedFrame]) {
    for f in frames {
        out.extend_from_slice(&f.t_ms.to_le_bytes());
        out.push(f.quality);
        out.push(f.flags.bits());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&f.hash.to_le_bytes());
        out.extend_from_slice(&f.mirrored.to_le_bytes());
    }
}

/// Parses and validates `.vfp` bytes.
pub fn decode(bytes: &[u8]) -> Result<Fingerprint, FormatError> {
    let len = bytes.len() as u64;
    let min_len = (HEADER_LEN + CHECKSUM_LEN) as u64;
    if bytes.len() >= MAGIC.len() && bytes[..MAGIC.len()] != MAGIC {
        return Err(FormatError::BadMagic);
    }
    if len < min_len {
        if bytes.len() < MAGIC.len() && !MAGIC.starts_with(bytes) {
            return Err(FormatError::BadMagic);
        }
        return Err(FormatError::Truncated {
            expected: min_len,
            len,
        });
    }
    let r = Le(bytes);
    let version = r.u16(8);
    if !SUPPORTED_VERSIONS.contains(&version) {
        return Err(FormatError::UnsupportedVersion { found: version });
    }
    let codec_len = usize::from(r.u16(22));
    let name_len = usize::from(r.u16(24));
    let n = r.u32(28) as u64;
    // Version 1 reserved byte 15 as zero, so it reads as "no view tracks";
    // a count above the limit is refused below, after the checksum.
    let k = u64::from(bytes[15]);
    let mut expected = (HEADER_LEN + codec_len + name_len + CHECKSUM_LEN) as u64
        + FRAME_LEN as u64 * n * (k + 1)
        + TRACK_HEADER_LEN as u64 * k;
    // From version 5 the local features follow the tracks; their counts
    // say how long they are.
    let features_at = expected - CHECKSUM_LEN as u64;
    let mut feature_counts = (0u64, 0u64);
    if version >= 5 {
        expected += FEATURES_HEADER_LEN as u64;
        if len >= expected {
            let at = features_at as usize;
            feature_counts = (u64::from(r.u32(at)), u64::from(r.u32(at + 4)));
            expected += FEATURE_FRAME_LEN as u64 * feature_counts.0
                + KEYPOINT_LEN as u64 * feature_counts.1;
        }
    }
    if len < expected {
        return Err(FormatError::Truncated { expected, len });
    }
    if len > expected {
        return Err(FormatError::TrailingBytes {
            extra: len - expected,
        });
    }
    let body_len = bytes.len() - CHECKSUM_LEN;
    let stored = r.u32(body_len);
    let computed = crc32fast::hash(&bytes[..body_len]);
    if stored != computed {
        return Err(FormatError::ChecksumMismatch { stored, computed });
    }

    let algorithm = HashAlgorithm::from_id(r.u16(10))
        .ok_or_else(|| invalid("hash algorithm", format!("unknown id {}", r.u16(10))))?;
    let fps = r.f32(16);
    let sampling = match bytes[12] {
        0 => Sampling::Dense { fps },
        1 if fps == 0.0 => Sampling::Keyframes,
        1 => return Err(invalid("sample rate", "must be 0 in keyframe mode")),
        m => return Err(invalid("sampling mode", format!("unknown mode {m}"))),
    };
    if !sampling.is_valid() {
        return Err(invalid("sample rate", format!("{fps} samples/s")));
    }
    let options = bytes[13];
    if options & !1 != 0 {
        return Err(invalid(
            "hash options",
            format!("reserved bits set: {options:#04x}"),
        ));
    }
    let low_information_quality = bytes[14];
    if low_information_quality > 100 {
        return Err(invalid(
            "low-information quality",
            format!("{low_information_quality} > 100"),
        ));
    }
    if r.u16(26) != 0 {
        return Err(invalid("reserved header bytes", "must be zero"));
    }
    if version == 1 && k != 0 {
        return Err(invalid(
            "reserved header bytes",
            "must be zero in version 1",
        ));
    }
    if k as usize > MAX_VIEWS {
        return Err(invalid(
            "view track count",
            format!("{k}, at most {MAX_VIEWS} allowed"),
        ));
    }
    let rotation_deg = r.u16(20);
    if ![0, 90, 180, 270].contains(&rotation_deg) {
        return Err(invalid("rotation", format!("{rotation_deg} degrees")));
    }
    let mut sha256 = [0u8; 32];
    sha256.copy_from_slice(&bytes[64..96]);
    let text = |at: usize, len: usize, field: &'static str, max: usize| {
        if len > max {
            return Err(invalid(
                field,
                format!("{len} bytes, at most {max} allowed"),
            ));
        }
        std::str::from_utf8(&bytes[at..at + len])
            .map(str::to_owned)
            .map_err(|e| invalid(field, format!("not UTF-8: {e}")))
    };
    let codec = text(HEADER_LEN, codec_len, "codec name", MAX_CODEC_LEN)?;
    let file_name = text(HEADER_LEN + codec_len, name_len, "file name", MAX_NAME_LEN)?;
    let source = SourceInfo {
        file_name,
        file_size: r.u64(32),
        sha256,
        duration_ms: r.u64(40),
        width: r.u32(56),
        height: r.u32(60),
        fps: r.f64(48),
        codec,
        rotation_deg,
    };
    if !(source.fps.is_finite() && source.fps >= 0.0) {
        return Err(invalid("frame rate", format!("{}", source.fps)));
    }

    let frames_at = HEADER_LEN + codec_len + name_len;
    let track_len = FRAME_LEN * n as usize;
    let frames = decode_frames(&bytes[frames_at..frames_at + track_len], None)?;
    let mut views: Vec<ViewTrack> = Vec::with_capacity(k as usize);
    let mut at = frames_at + track_len;
    for t in 0..k as usize {
        let zoom_pct = bytes[at];
        let region = ViewRegion::from_id(bytes[at + 1]).ok_or_else(|| {
            invalid(
                "view region",
                format!("track {t}: unknown id {}", bytes[at + 1]),
            )
        })?;
        if version < region.since_format_version() {
            return Err(invalid(
                "view region",
                format!(
                    "track {t}: region {region:?} needs format version {}, not {version}",
                    region.since_format_version()
                ),
            ));
        }
        if !(1..FULL_VIEW_PCT).contains(&zoom_pct)
            || views.last().is_some_and(|v| !in_order(v, region, zoom_pct))
        {
            return Err(invalid(
                "view zoom",
                format!("track {t}: {zoom_pct} % (1-99, by region, then decreasing)"),
            ));
        }
        if bytes[at + 2..at + TRACK_HEADER_LEN] != [0, 0] {
            return Err(invalid(
                "view track reserved bytes",
                format!("track {t}: must be zero"),
            ));
        }
        at += TRACK_HEADER_LEN;
        let frames = decode_frames(&bytes[at..at + track_len], Some(&frames))?;
        at += track_len;
        views.push(ViewTrack {
            region,
            zoom_pct,
            frames,
        });
    }
    let features = if version >= 5 {
        decode_features(&bytes[at + FEATURES_HEADER_LEN..body_len], feature_counts)?
    } else {
        Vec::new()
    };
    Ok(Fingerprint {
        source,
        params: ExtractParams {
            sampling,
            hash: HashParams {
                algorithm,
                crop_borders: options & 1 == 1,
                low_information_quality,
            },
        },
        frames,
        views,
        features,
    })
}

/// Parses `count` feature frames holding `keypoints` keypoints in all
/// from `records` (whose length the caller checked against the counts).
fn decode_features(
    records: &[u8],
    (count, keypoints): (u64, u64),
) -> Result<Vec<FeatureFrame>, FormatError> {
    let mut frames: Vec<FeatureFrame> = Vec::with_capacity(count.min(1 << 20) as usize);
    let mut at = 0usize;
    let mut seen_keypoints = 0u64;
    for i in 0..count {
        let rec = Le(&records[at..]);
        if records.len() - at < FEATURE_FRAME_LEN {
            return Err(invalid(
                "feature frames",
                "keypoint counts exceed the total",
            ));
        }
        let (t_ms, scale_pct, n) = (rec.u32(0), rec.0[4], usize::from(rec.0[5]));
        let (width, height) = (rec.u16(6), rec.u16(8));
        if !(1..=100).contains(&scale_pct) || width == 0 || height == 0 || rec.u16(10) != 0 {
            return Err(invalid(
                "feature frame",
                format!("frame {i}: scale {scale_pct} %, {width}×{height}, or reserved bytes set"),
            ));
        }
        if frames.last().is_some_and(|p| {
            (p.t_ms, std::cmp::Reverse(p.scale_pct)) >= (t_ms, std::cmp::Reverse(scale_pct))
        }) {
            return Err(invalid(
                "feature frame order",
                format!("frame {i} at {t_ms} ms, {scale_pct} %: not after the one before"),
            ));
        }
        at += FEATURE_FRAME_LEN;
        seen_keypoints += n as u64;
        if seen_keypoints > keypoints || records.len() - at < n * KEYPOINT_LEN {
            return Err(invalid(
                "feature frames",
                "keypoint counts exceed the total",
            ));
        }
        let mut points = Vec::with_capacity(n);
        for rec in records[at..at + n * KEYPOINT_LEN].chunks_exact(KEYPOINT_LEN) {
            let rec = Le(rec);
            let (x, y) = (rec.u16(0), rec.u16(2));
            if x >= width || y >= height {
                return Err(invalid(
                    "keypoint",
                    format!("frame {i}: ({x}, {y}) outside its {width}×{height} picture"),
                ));
            }
            points.push(Keypoint {
                x,
                y,
                bits: [rec.u64(4), rec.u64(12), rec.u64(20), rec.u64(28)],
            });
        }
        at += n * KEYPOINT_LEN;
        frames.push(FeatureFrame {
            t_ms,
            scale_pct,
            width,
            height,
            keypoints: points,
        });
    }
    if seen_keypoints != keypoints || at != records.len() {
        return Err(invalid(
            "feature frames",
            format!("{seen_keypoints} keypoints where the header says {keypoints}"),
        ));
    }
    Ok(frames)
}

/// Whether a track of `region` and `zoom_pct` may follow `prev`: by
/// region, then by decreasing zoom.
fn in_order(prev: &ViewTrack, region: ViewRegion, zoom_pct: u8) -> bool {
    (prev.region, std::cmp::Reverse(prev.zoom_pct)) < (region, std::cmp::Reverse(zoom_pct))
}

/// Parses frame records; times strictly increase, or equal those of
/// `main` for a view track.
fn decode_frames(
    records: &[u8],
    main: Option<&[HashedFrame]>,
) -> Result<Vec<HashedFrame>, FormatError> {
    let mut frames: Vec<HashedFrame> = Vec::with_capacity(records.len() / FRAME_LEN);
    for (i, rec) in records.chunks_exact(FRAME_LEN).enumerate() {
        let rec = Le(rec);
        let t_ms = rec.u32(0);
        let quality = rec.0[4];
        let flags = FrameFlags::from_bits(rec.0[5])
            .ok_or_else(|| invalid("frame flags", format!("frame {i}: reserved bits set")))?;
        if quality > 100 {
            return Err(invalid(
                "frame quality",
                format!("frame {i}: {quality} > 100"),
            ));
        }
        if rec.u16(6) != 0 {
            return Err(invalid(
                "frame reserved bytes",
                format!("frame {i}: must be zero"),
            ));
        }
        match main {
            Some(main) => {
                if main.get(i).map(|f| f.t_ms) != Some(t_ms) {
                    return Err(invalid(
                        "view frame time",
                        format!("frame {i} at {t_ms} ms is not at its frame's time"),
                    ));
                }
            }
            None => {
                if let Some(prev) = frames.last().map(|f| f.t_ms) {
                    if t_ms <= prev {
                        return Err(invalid(
                            "frame time",
                            format!("frame {i} at {t_ms} ms does not come after {prev} ms"),
                        ));
                    }
                }
            }
        }
        frames.push(HashedFrame {
            t_ms,
            quality,
            flags,
            hash: FrameHash::from_le_bytes(rec.bytes32(8)),
            mirrored: FrameHash::from_le_bytes(rec.bytes32(40)),
        });
    }
    Ok(frames)
}

/// Checks what [`encode`] must not write.
fn validate(fp: &Fingerprint) -> Result<(), FormatError> {
    if fp.source.codec.len() > MAX_CODEC_LEN {
        return Err(invalid("codec name", "too long"));
    }
    if fp.source.file_name.len() > MAX_NAME_LEN {
        return Err(invalid("file name", "too long"));
    }
    if u32::try_from(fp.frames.len()).is_err() {
        return Err(invalid("frame count", "more than 2^32 - 1 frames"));
    }
    if !fp.params.sampling.is_valid() {
        return Err(invalid("sample rate", fp.params.sampling.to_string()));
    }
    if fp.params.hash.low_information_quality > 100 {
        return Err(invalid("low-information quality", "above 100"));
    }
    if ![0, 90, 180, 270].contains(&fp.source.rotation_deg) {
        return Err(invalid("rotation", fp.source.rotation_deg.to_string()));
    }
    for (i, w) in fp.frames.windows(2).enumerate() {
        if w[1].t_ms <= w[0].t_ms {
            return Err(invalid(
                "frame time",
                format!("frame {} does not come after frame {i}", i + 1),
            ));
        }
    }
    if fp.views.len() > MAX_VIEWS {
        return Err(invalid("view track count", fp.views.len().to_string()));
    }
    for (t, view) in fp.views.iter().enumerate() {
        let ordered = t == 0 || in_order(&fp.views[t - 1], view.region, view.zoom_pct);
        if !(1..FULL_VIEW_PCT).contains(&view.zoom_pct) || !ordered {
            return Err(invalid(
                "view zoom",
                format!("track {t}: {} %", view.zoom_pct),
            ));
        }
        let same_times = view.frames.len() == fp.frames.len()
            && view
                .frames
                .iter()
                .zip(&fp.frames)
                .all(|(v, f)| v.t_ms == f.t_ms);
        if !same_times {
            return Err(invalid(
                "view frame time",
                format!("track {t}: frames differ from the fingerprint's"),
            ));
        }
    }
    let mut all = fp
        .frames
        .iter()
        .chain(fp.views.iter().flat_map(|v| &v.frames));
    if let Some(f) = all.find(|f| f.quality > 100) {
        return Err(invalid("frame quality", format!("{} > 100", f.quality)));
    }
    validate_features(&fp.features)
}

fn validate_features(features: &[FeatureFrame]) -> Result<(), FormatError> {
    let keypoints: usize = features.iter().map(|f| f.keypoints.len()).sum();
    if u32::try_from(features.len()).is_err() || u32::try_from(keypoints).is_err() {
        return Err(invalid("feature frames", "more than 2^32 - 1"));
    }
    for (i, f) in features.iter().enumerate() {
        let ordered = i == 0 || {
            let p = &features[i - 1];
            (p.t_ms, std::cmp::Reverse(p.scale_pct)) < (f.t_ms, std::cmp::Reverse(f.scale_pct))
        };
        let inside = f.keypoints.iter().all(|k| k.x < f.width && k.y < f.height);
        if !ordered
            || !(1..=100).contains(&f.scale_pct)
            || f.keypoints.len() > MAX_KEYPOINTS
            || !inside
        {
            return Err(invalid(
                "feature frame",
                format!(
                    "frame {i} at {} ms: out of order, scale or keypoints invalid",
                    f.t_ms
                ),
            ));
        }
    }
    Ok(())
}

/// Reads and validates a `.vfp` file.
pub fn read_file(path: &Path) -> Result<Fingerprint, VfpFileError> {
    let io = |source| VfpFileError::Io {
        path: path.to_owned(),
        source,
    };
    // Checked before opening: opening a FIFO blocks until someone writes
    // to it, and a link to a device (`/dev/zero`) never ends.
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(VfpFileError::NotAFile {
            path: path.to_owned(),
        });
    }
    let too_large = |len: u64| VfpFileError::TooLarge {
        path: path.to_owned(),
        len,
    };
    if meta.len() > MAX_FILE_LEN {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    let file = std::fs::File::open(path).map_err(io)?;
    // The file may grow between the check and the read.
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_FILE_LEN + 1), &mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_LEN {
        return Err(too_large(bytes.len() as u64));
    }
    decode(&bytes).map_err(|source| VfpFileError::Format {
        path: path.to_owned(),
        source,
    })
}

/// Little-endian reads at fixed offsets; callers have checked the length.
struct Le<'a>(&'a [u8]);

impl Le<'_> {
    fn array<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut b = [0u8; N];
        b.copy_from_slice(&self.0[at..at + N]);
        b
    }
    fn u16(&self, at: usize) -> u16 {
        u16::from_le_bytes(self.array(at))
    }
    fn u32(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.array(at))
    }
    fn u64(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.array(at))
    }
    fn f32(&self, at: usize) -> f32 {
        f32::from_le_bytes(self.array(at))
    }
    fn f64(&self, at: usize) -> f64 {
        f64::from_le_bytes(self.array(at))
    }
    fn bytes32(&self, at: usize) -> [u8; 32] {
        self.array(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn sample(n: usize) -> Fingerprint {
        Fingerprint {
            source: SourceInfo {
                file_name: "clip ü.mp4".into(),
                file_size: 123_456,
                sha256: [7; 32],
                duration_ms: 10_000,
                width: 1920,
                height: 1080,
                fps: 23.976,
                codec: "h264".into(),
                rotation_deg: 90,
            },
            // Spelled out rather than `Default`, so that the committed
            // fixture written from this stays equal when defaults change.
            params: ExtractParams {
                sampling: Sampling::Dense { fps: 4.0 },
                hash: HashParams {
                    algorithm: HashAlgorithm::Dct256V1,
                    crop_borders: true,
                    low_information_quality: 20,
                },
            },
            frames: (0..n)
                .map(|i| HashedFrame {
                    t_ms: i as u32 * 250,
                    hash: FrameHash([i as u64, !(i as u64), 3, 4]),
                    mirrored: FrameHash([5, 6, i as u64 * 7, 8]),
                    quality: (i % 101) as u8,
                    flags: if i % 3 == 0 {
                        FrameFlags::LOW_INFORMATION
                    } else {
                        FrameFlags::empty()
                    },
                })
                .collect(),
            views: Vec::new(),
            features: Vec::new(),
        }
    }

    /// [`sample_with_panes`] with local features at two scales for every
    /// other frame (format version 5).
    pub(crate) fn sample_with_features(n: usize) -> Fingerprint {
        let mut fp = sample_with_panes(n);
        for (i, f) in fp.frames.iter().enumerate().step_by(2) {
            for (scale_pct, width) in [(100u8, 320u16), (60, 192)] {
                fp.features.push(FeatureFrame {
                    t_ms: f.t_ms,
                    scale_pct,
                    width,
                    height: u16::from(scale_pct) * 18 / 10,
                    keypoints: (0..(i % 4 + 1) as u16)
                        .map(|k| Keypoint {
                            x: 20 + 7 * k,
                            y: 30 + k,
                            bits: [u64::from(k), i as u64, u64::MAX - u64::from(k), 0xA5],
                        })
                        .collect(),
                });
            }
        }
        fp
    }

    /// [`sample`] with two view tracks.
    pub(crate) fn sample_with_views(n: usize) -> Fingerprint {
        let mut fp = sample(n);
        fp.views = [
            (ViewRegion::Active, 87u8, 11u64),
            (ViewRegion::Active, 75, 13),
            (ViewRegion::Inset, 75, 17),
            (ViewRegion::Frame, 75, 19),
        ]
        .into_iter()
        .map(|(region, zoom_pct, salt)| ViewTrack {
            region,
            zoom_pct,
            frames: fp
                .frames
                .iter()
                .map(|f| HashedFrame {
                    hash: FrameHash([salt, f.hash.0[0], 1, 2]),
                    mirrored: FrameHash([f.t_ms.into(), salt, 9, 9]),
                    quality: f.quality / 2,
                    ..*f
                })
                .collect(),
        })
        .collect();
        fp
    }

    /// [`sample_with_views`] and a 9:16 window track (format version 3).
    pub(crate) fn sample_with_window(n: usize) -> Fingerprint {
        let mut fp = sample_with_views(n);
        let mut window = fp.views[0].clone();
        window.region = ViewRegion::Window;
        for f in &mut window.frames {
            f.hash.0[2] = 23;
        }
        fp.views.push(window);
        fp
    }

    /// [`sample_with_window`], the windows of a split screen's two panes
    /// and a filmed screen (format version 4).
    pub(crate) fn sample_with_panes(n: usize) -> Fingerprint {
        let mut fp = sample_with_window(n);
        for (region, salt) in [
            (ViewRegion::UpperPaneWindow, 29),
            (ViewRegion::LowerPaneWindow, 31),
            (ViewRegion::Screen, 37),
        ] {
            let mut pane = fp.views[0].clone();
            pane.region = region;
            for f in &mut pane.frames {
                f.hash.0[2] = salt;
            }
            fp.views.push(pane);
        }
        fp
    }

    /// Each `(offset, value, field)`: `bytes` with that byte set (and the
    /// checksum redone) is refused, naming `field`.
    fn assert_invalid_fields(bytes: &[u8], cases: &[(usize, u8, &str)]) {
        for &(at, value, field) in cases {
            let mut b = bytes.to_vec();
            b[at] = value;
            let err = decode(&with_crc(b)).unwrap_err();
            assert!(
                matches!(&err, FormatError::Invalid { field: f, .. } if *f == field),
                "byte {at}: {err:?}"
            );
        }
    }

    /// `bytes` (written with no local features) relabelled as `version`,
    /// without the empty feature section versions before 5 lack.
    fn as_version(bytes: &[u8], version: u16) -> Vec<u8> {
        let mut b = bytes.to_vec();
        b[8..10].copy_from_slice(&version.to_le_bytes());
        if version < 5 {
            let end = b.len() - CHECKSUM_LEN;
            assert_eq!(b[end - FEATURES_HEADER_LEN..end], [0; FEATURES_HEADER_LEN]);
            b.drain(end - FEATURES_HEADER_LEN..end);
        }
        with_crc(b)
    }

    fn with_crc(mut bytes: Vec<u8>) -> Vec<u8> {
        let body = bytes.len() - 4;
        let crc = crc32fast::hash(&bytes[..body]);
        bytes[body..].copy_from_slice(&crc.to_le_bytes());
        bytes
    }

    #[test]
    fn round_trip() {
        for n in [0, 1, 40] {
            let fp = sample(n);
            let bytes = encode(&fp).unwrap();
            assert_eq!(
                bytes.len(),
                HEADER_LEN + 4 + 11 + n * FRAME_LEN + FEATURES_HEADER_LEN + 4
            );
            assert_eq!(decode(&bytes).unwrap(), fp);
        }
    }

    #[test]
    fn view_tracks_round_trip() {
        for n in [0, 1, 40] {
            let fp = sample_with_views(n);
            let bytes = encode(&fp).unwrap();
            assert_eq!(
                bytes.len(),
                HEADER_LEN
                    + 4
                    + 11
                    + 5 * n * FRAME_LEN
                    + 4 * TRACK_HEADER_LEN
                    + FEATURES_HEADER_LEN
                    + 4
            );
            assert_eq!(decode(&bytes).unwrap(), fp);
        }
    }

    #[test]
    fn encode_refuses_bad_view_tracks() {
        let mut fp = sample_with_views(3);
        fp.views[1].frames.pop();
        assert!(matches!(
            encode(&fp),
            Err(FormatError::Invalid {
                field: "view frame time",
                ..
            })
        ));
        let mut fp = sample_with_views(3);
        fp.views.swap(0, 1);
        assert!(matches!(
            encode(&fp),
            Err(FormatError::Invalid {
                field: "view zoom",
                ..
            })
        ));
        let mut fp = sample_with_views(3);
        fp.views[0].zoom_pct = FULL_VIEW_PCT;
        assert!(encode(&fp).is_err());
    }

    #[test]
    fn damaged_view_tracks_are_named_even_with_a_valid_checksum() {
        let fp = sample_with_views(3);
        let bytes = encode(&fp).unwrap();
        let track0 = HEADER_LEN + 4 + 11 + 3 * FRAME_LEN;
        let track1 = track0 + TRACK_HEADER_LEN + 3 * FRAME_LEN;
        let track2 = track1 + TRACK_HEADER_LEN + 3 * FRAME_LEN;
        let cases: [(usize, u8, &str); 8] = [
            (track0, 100, "view zoom"),
            (track1, 87, "view zoom"),
            (track0 + 2, 1, "view track reserved bytes"),
            (track0 + 1, 7, "view region"),
            // An inset track before the active picture's.
            (track1 + 1, 1, "view zoom"),
            (track2 + 1, 0, "view zoom"),
            (track0 + TRACK_HEADER_LEN, 99, "view frame time"),
            (track1 + TRACK_HEADER_LEN + 5, 0x80, "frame flags"),
        ];
        assert_invalid_fields(&bytes, &cases);
        // A version 1 file cannot hold view tracks.
        let err = decode(&as_version(&bytes, 1)).unwrap_err();
        assert!(err.to_string().contains("version 1"), "{err}");
    }

    #[test]
    fn keyframe_sampling_round_trips() {
        let mut fp = sample(3);
        fp.params.sampling = Sampling::Keyframes;
        fp.params.hash.crop_borders = false;
        assert_eq!(decode(&encode(&fp).unwrap()).unwrap(), fp);
    }

    #[test]
    fn empty_input_is_truncated() {
        assert!(matches!(
            decode(&[]),
            Err(FormatError::Truncated { len: 0, .. })
        ));
    }

    #[test]
    fn foreign_bytes_are_bad_magic() {
        assert!(matches!(decode(b"hello"), Err(FormatError::BadMagic)));
        let text = b"ftypisom this is an mp4 header, not a fingerprint at all".repeat(4);
        assert!(matches!(decode(&text), Err(FormatError::BadMagic)));
    }

    #[test]
    fn version_zero_and_next_are_refused() {
        let bytes = encode(&sample(2)).unwrap();
        for v in [0u16, FORMAT_VERSION + 1] {
            let mut b = bytes.clone();
            b[8..10].copy_from_slice(&v.to_le_bytes());
            let err = decode(&with_crc(b)).unwrap_err();
            assert_eq!(err, FormatError::UnsupportedVersion { found: v });
            assert!(err.to_string().contains("extract the video again"));
        }
    }

    #[test]
    fn every_truncation_is_detected() {
        let bytes = encode(&sample_with_views(3)).unwrap();
        for cut in 0..bytes.len() {
            let err = decode(&bytes[..cut]).unwrap_err();
            assert!(
                matches!(err, FormatError::Truncated { .. }),
                "cut at {cut}: {err:?}"
            );
        }
    }

    #[test]
    fn trailing_bytes_are_detected() {
        let mut bytes = encode(&sample(3)).unwrap();
        bytes.push(0);
        assert_eq!(decode(&bytes), Err(FormatError::TrailingBytes { extra: 1 }));
    }

    #[test]
    fn every_flipped_byte_is_detected() {
        let bytes = encode(&sample_with_views(3)).unwrap();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x5a;
            assert!(decode(&b).is_err(), "flip at {i} went unnoticed");
        }
    }

    #[test]
    fn invalid_fields_are_named_even_with_a_valid_checksum() {
        let bytes = encode(&sample(3)).unwrap();
        let cases: [(usize, u8, &str); 5] = [
            (10, 9, "hash algorithm"),
            (12, 7, "sampling mode"),
            (13, 0x80, "hash options"),
            (HEADER_LEN + 15 + 4, 101, "frame quality"),
            (HEADER_LEN + 15 + 5, 0x80, "frame flags"),
        ];
        assert_invalid_fields(&bytes, &cases);
        // Times must increase: make frame 1 start at frame 0's time.
        let mut b = bytes.clone();
        let f1 = HEADER_LEN + 15 + FRAME_LEN;
        b[f1..f1 + 4].copy_from_slice(&0u32.to_le_bytes());
        assert!(matches!(
            decode(&with_crc(b)),
            Err(FormatError::Invalid {
                field: "frame time",
                ..
            })
        ));
    }

    #[test]
    fn encode_refuses_unordered_frames() {
        let mut fp = sample(3);
        fp.frames.swap(0, 1);
        assert!(encode(&fp).is_err());
    }

    #[test]
    fn file_round_trip_and_errors_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.vfp");
        let fp = sample(5);
        std::fs::write(&path, encode(&fp).unwrap()).unwrap();
        assert_eq!(read_file(&path).unwrap(), fp);

        std::fs::write(&path, b"garbage").unwrap();
        let err = read_file(&path).unwrap_err();
        let text = format!("{err}: {}", std::error::Error::source(&err).unwrap());
        assert!(
            text.contains("a.vfp") && text.contains("not a .vfp"),
            "{text}"
        );
        let missing = dir.path().join("missing.vfp");
        let err = read_file(&missing).unwrap_err();
        assert!(
            matches!(&err, VfpFileError::Io { path, .. } if path == &missing),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_of_a_bounded_size_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let not_a_file = |path: &Path| {
            let err = read_file(path).unwrap_err();
            assert!(matches!(err, VfpFileError::NotAFile { .. }), "{err}");
            assert!(err.to_string().contains("not a regular file"), "{err}");
        };
        // A FIFO: opening it would wait for a writer forever.
        let fifo = dir.path().join("f.vfp");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        not_a_file(&fifo);
        // A link to a device that never ends.
        let zero = dir.path().join("z.vfp");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        not_a_file(&zero);
        not_a_file(dir.path());
        // Larger than any fingerprint (sparse: no disk used).
        let huge = dir.path().join("huge.vfp");
        std::fs::File::create(&huge)
            .unwrap()
            .set_len(MAX_FILE_LEN + 1)
            .unwrap();
        let err = read_file(&huge).unwrap_err();
        assert!(matches!(err, VfpFileError::TooLarge { .. }), "{err}");
        assert!(err.to_string().contains("huge.vfp"), "{err}");
    }

    #[test]
    fn committed_version_1_fixture_still_opens() {
        let bytes = include_bytes!("../../../testdata/format/v1-sample.vfp");
        let fp = decode(bytes).expect("format version 1 must keep opening");
        assert_eq!(fp, sample(4));
    }

    #[test]
    fn committed_version_2_fixture_still_opens() {
        let bytes = include_bytes!("../../../testdata/format/v2-sample.vfp");
        let fp = decode(bytes).expect("format version 2 must keep opening");
        assert_eq!(fp, sample_with_views(4));
    }

    #[test]
    fn committed_version_3_fixture_still_opens() {
        let bytes = include_bytes!("../../../testdata/format/v3-sample.vfp");
        let fp = decode(bytes).expect("format version 3 must keep opening");
        assert_eq!(fp, sample_with_window(4));
    }

    #[test]
    fn committed_version_4_fixture_still_opens() {
        let bytes = include_bytes!("../../../testdata/format/v4-sample.vfp");
        let fp = decode(bytes).expect("format version 4 must keep opening");
        assert_eq!(fp, sample_with_panes(4));
    }

    #[test]
    fn committed_version_5_fixture_still_opens() {
        let bytes = include_bytes!("../../../testdata/format/v5-sample.vfp");
        let fp = decode(bytes).expect("format version 5 must keep opening");
        assert_eq!(fp, sample_with_features(4));
    }

    #[test]
    fn local_features_round_trip_and_damage_is_named() {
        let fp = sample_with_features(5);
        assert_eq!(fp.features.len(), 6);
        let bytes = encode(&fp).unwrap();
        assert_eq!(decode(&bytes).unwrap(), fp);
        // The first feature frame's record starts after the counts.
        let base = bytes.len()
            - 4
            - (fp.features.len() * FEATURE_FRAME_LEN
                + fp.features.iter().map(|f| f.keypoints.len()).sum::<usize>() * KEYPOINT_LEN);
        assert_eq!(
            u32::from_le_bytes(bytes[base - 8..base - 4].try_into().unwrap()),
            6
        );
        assert_invalid_fields(
            &bytes,
            &[
                (base + 4, 0, "feature frame"),   // scale 0 %
                (base + 4, 101, "feature frame"), // scale above 100 %
                (base + 10, 1, "feature frame"),  // reserved byte
                (base + 13, 0x7F, "keypoint"),    // x beyond the width
            ],
        );
        // Frames out of order: the second frame at a larger scale than the first.
        let mut b = bytes.clone();
        let second = base + FEATURE_FRAME_LEN + fp.features[0].keypoints.len() * KEYPOINT_LEN;
        b[second + 4] = 100;
        b[base + 4] = 60;
        let err = decode(&with_crc(b)).unwrap_err();
        assert!(err.to_string().contains("feature frame"), "{err}");
        // A keypoint count that does not add up to the total.
        let mut b = bytes.clone();
        b[base + 5] += 1;
        assert!(decode(&with_crc(b)).is_err());
        // Counts that promise more than the file holds.
        let mut b = bytes.clone();
        b[base - 4] += 1;
        assert!(matches!(
            decode(&with_crc(b)).unwrap_err(),
            FormatError::Truncated { .. }
        ));
        // Version 4 has no feature section: the same bytes are too long.
        let mut v4 = bytes.clone();
        v4[8..10].copy_from_slice(&4u16.to_le_bytes());
        assert!(matches!(
            decode(&with_crc(v4)).unwrap_err(),
            FormatError::TrailingBytes { .. }
        ));
        // Encoding refuses what decoding would refuse.
        let mut bad = fp.clone();
        bad.features[1].keypoints[0].y = bad.features[1].height;
        assert!(encode(&bad).is_err());
        let mut bad = fp;
        bad.features.swap(0, 1);
        assert!(encode(&bad).is_err());
    }

    #[test]
    fn split_screen_tracks_round_trip_and_need_version_4() {
        let fp = sample_with_panes(3);
        let bytes = encode(&fp).unwrap();
        assert_eq!(decode(&bytes).unwrap(), fp);
        let err = decode(&as_version(&bytes, 3)).unwrap_err();
        assert!(err.to_string().contains("view region"), "{err}");
        assert!(err.to_string().contains("version 4"), "{err}");
    }

    #[test]
    fn a_window_track_round_trips_and_needs_version_3() {
        let fp = sample_with_window(3);
        let bytes = encode(&fp).unwrap();
        assert_eq!(decode(&bytes).unwrap(), fp);
        let err = decode(&as_version(&bytes, 2)).unwrap_err();
        assert!(err.to_string().contains("view region"), "{err}");
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = decode(&bytes);
        }

        #[test]
        fn arbitrary_bytes_after_magic_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..600)) {
            let mut bytes = MAGIC.to_vec();
            bytes.extend_from_slice(&tail);
            let _ = decode(&bytes);
        }
    }
}

#[cfg(test)]
mod write_fixture {
    /// Writes `testdata/format/v5-sample.vfp`; run once when the format
    /// version changes: `cargo test -p vfp-fingerprint -- --ignored write_v5`.
    /// (The fixtures of earlier versions were written by earlier code.)
    #[test]
    #[ignore]
    fn write_v5() {
        let bytes = super::encode(&super::tests::sample_with_features(4)).unwrap();
        std::fs::write(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../testdata/format/v5-sample.vfp"
            ),
            bytes,
        )
        .unwrap();
    }
}
