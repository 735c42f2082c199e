//! Sampling and hash parameters, recorded in every fingerprint so that a
//! catalog can refuse queries hashed some other way.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How frames are chosen from the video.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Sampling {
    /// Decode every frame; hash the frame shown at each multiple of
    /// `1 / fps` seconds. Time-based, so a re-encode at another frame rate
    /// is sampled at the same moments.
    Dense {
        /// Samples per second.
        fps: f32,
    },
    /// Decode keyframes only (FFmpeg's skip-frame setting) and hash each one:
    /// fast triage; keyframes of a re-encode fall at other times.
    Keyframes,
}

impl Sampling {
    /// The default dense rate in samples per second; see
    /// docs/how-it-works.md ("Sampling rate") for the measurement behind it.
    pub const DEFAULT_FPS: f32 = 4.0;
    /// Highest accepted dense rate.
    pub const MAX_FPS: f32 = 60.0;

    /// Whether the parameters are usable: a dense rate in `(0, MAX_FPS]`.
    pub fn is_valid(&self) -> bool {
        match *self {
            Sampling::Dense { fps } => fps.is_finite() && fps > 0.0 && fps <= Self::MAX_FPS,
            Sampling::Keyframes => true,
        }
    }
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling::Dense {
            fps: Self::DEFAULT_FPS,
        }
    }
}

impl fmt::Display for Sampling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sampling::Dense { fps } => write!(f, "dense {fps} fps"),
            Sampling::Keyframes => f.write_str("keyframes"),
        }
    }
}

/// The perceptual hash function. Hashes of different algorithms must never
/// be compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HashAlgorithm {
    /// Version 1 of vfp's 256-bit DCT hash: the active picture resampled to
    /// 64×64 luma, DCT frequencies 1..=16 in both directions, each bit the
    /// sign of a coefficient against the median of all 256.
    Dct256V1,
}

impl HashAlgorithm {
    /// The id stored in `.vfp` files.
    pub const fn id(self) -> u16 {
        match self {
            HashAlgorithm::Dct256V1 => 1,
        }
    }

    /// Inverse of [`id`](Self::id).
    pub const fn from_id(id: u16) -> Option<Self> {
        match id {
            1 => Some(HashAlgorithm::Dct256V1),
            _ => None,
        }
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HashAlgorithm::Dct256V1 => f.write_str("dct256-v1"),
        }
    }
}

/// How the picture is prepared and hashed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HashParams {
    /// The hash function.
    pub algorithm: HashAlgorithm,
    /// Whether black or blurred borders (letterbox, pillarbox, 9:16
    /// re-framing) are detected and cropped before hashing.
    pub crop_borders: bool,
    /// Frames whose quality (0-100) is below this are flagged
    /// [`LOW_INFORMATION`](crate::FrameFlags::LOW_INFORMATION).
    pub low_information_quality: u8,
}

impl HashParams {
    /// Default quality threshold for low-information frames; see
    /// docs/how-it-works.md ("Low-information frames") for the measurement
    /// behind it.
    pub const DEFAULT_LOW_INFORMATION_QUALITY: u8 = 25;

    /// Whether hashes made with `self` and `other` may be compared.
    pub fn is_compatible_with(&self, other: &HashParams) -> bool {
        self.algorithm == other.algorithm && self.crop_borders == other.crop_borders
    }
}

impl Default for HashParams {
    fn default() -> Self {
        HashParams {
            algorithm: HashAlgorithm::Dct256V1,
            crop_borders: true,
            low_information_quality: Self::DEFAULT_LOW_INFORMATION_QUALITY,
        }
    }
}

impl fmt::Display for HashParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, borders {}, low-information below quality {}",
            self.algorithm,
            if self.crop_borders { "cropped" } else { "kept" },
            self.low_information_quality
        )
    }
}

/// Everything that decides which frames are hashed and how.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExtractParams {
    /// Frame sampling.
    pub sampling: Sampling,
    /// Picture preparation and hashing.
    pub hash: HashParams,
}
