//! Shared types of `vfp`, free of FFmpeg so that the index, the matcher,
//! benchmarks and fuzz targets build without it.
//!
//! - [`FrameHash`]: a 256-bit perceptual frame hash and its Hamming distance.
//! - [`HashedFrame`]: one sampled frame: presentation time, hash, the hash of
//!   its horizontal mirror image, and a quality score.
//! - [`Fingerprint`]: everything extracted from one video: facts about the
//!   source file, the parameters used, the hashed frames, and the same
//!   frames hashed again on centred parts of the picture ([`ViewTrack`]).
//! - [`format`](mod@format): the versioned, checksummed `.vfp` file format.
//! - [`stats`]: distance distributions used to measure robustness.
//! - [`local`]: corners with binary patch descriptors, for copies showing a
//!   moved or scaled part of a title.
//! - [`TitleIndex`]: how a search hit and a matched segment name a
//!   catalog title.

pub mod format;
mod frame_hash;
pub mod local;
mod params;
pub mod stats;

pub use format::{FormatError, VfpFileError};
pub use frame_hash::{to_hex, FrameHash, ParseHashError};
pub use params::{ExtractParams, HashAlgorithm, HashParams, Sampling};

use serde::{Deserialize, Serialize};

/// A title's position in a whole catalog, across its segment files: what
/// search hits and matched segments name a title by, and what
/// `Catalog::title` takes. (A title's position inside one segment file is
/// another number, which the index keeps to itself.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TitleIndex(pub usize);

impl std::fmt::Display for TitleIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "title #{}", self.0)
    }
}

/// Bit flags of a [`HashedFrame`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FrameFlags(u8);

impl FrameFlags {
    /// The frame carries too little picture information (black, flat, a fade,
    /// a title card with little texture) for its hash to identify anything.
    /// Such frames must never produce a match on their own.
    pub const LOW_INFORMATION: FrameFlags = FrameFlags(1);
    /// The frame was decoded as a keyframe-only sample (`--keyframes`).
    pub const KEYFRAME: FrameFlags = FrameFlags(2);
    /// Every defined flag; other bits are reserved and rejected on load.
    pub const ALL: FrameFlags = FrameFlags(0b11);

    /// No flag set.
    pub const fn empty() -> Self {
        FrameFlags(0)
    }
    /// The raw bits.
    pub const fn bits(self) -> u8 {
        self.0
    }
    /// Flags from raw bits, or `None` if a reserved bit is set.
    pub const fn from_bits(bits: u8) -> Option<Self> {
        if bits & !Self::ALL.0 == 0 {
            Some(FrameFlags(bits))
        } else {
            None
        }
    }
    /// Whether every flag of `other` is set in `self`.
    pub const fn contains(self, other: FrameFlags) -> bool {
        self.0 & other.0 == other.0
    }
    /// `self` with the flags of `other` added.
    pub const fn with(self, other: FrameFlags) -> Self {
        FrameFlags(self.0 | other.0)
    }
}

/// One sampled, hashed video frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashedFrame {
    /// Presentation time in milliseconds from the start of the video stream.
    pub t_ms: u32,
    /// Perceptual hash of the frame's active picture.
    pub hash: FrameHash,
    /// Hash of the horizontally mirrored active picture, so that a mirrored
    /// re-upload can be matched without decoding it twice.
    pub mirrored: FrameHash,
    /// Picture information, 0 (flat) to 100 (richly textured); see
    /// [`HashParams::low_information_quality`].
    pub quality: u8,
    /// [`FrameFlags`] of this frame.
    pub flags: FrameFlags,
}

impl HashedFrame {
    /// Whether this frame may take part in a match: it carries enough picture
    /// information for its hash to mean something.
    pub fn is_informative(&self) -> bool {
        !self.flags.contains(FrameFlags::LOW_INFORMATION)
    }
}

/// Facts about the source file a fingerprint was made from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// File name (no directories: fingerprints travel between machines).
    pub file_name: String,
    /// File size in bytes.
    pub file_size: u64,
    /// SHA-256 of the file's bytes (lowercase hex in JSON; see
    /// [`sha256_hex`](Self::sha256_hex)).
    #[serde(with = "hex32")]
    pub sha256: [u8; 32],
    /// Duration of the video stream in milliseconds (from the container, or
    /// from the last decoded frame when the container does not say).
    pub duration_ms: u64,
    /// Coded width of the video stream in pixels.
    pub width: u32,
    /// Coded height of the video stream in pixels.
    pub height: u32,
    /// Average frame rate in frames per second (0 when unknown).
    pub fps: f64,
    /// Decoder name, e.g. `h264`.
    pub codec: String,
    /// Display rotation applied before hashing, in degrees clockwise
    /// (0, 90, 180 or 270), from the stream's display matrix.
    pub rotation_deg: u16,
}

impl SourceInfo {
    /// The file's SHA-256 as 64 lowercase hex digits, as records and
    /// evidence show it.
    pub fn sha256_hex(&self) -> String {
        frame_hash::to_hex(&self.sha256)
    }
}

/// Everything extracted from one video.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Facts about the source file.
    pub source: SourceInfo,
    /// How the frames were sampled and hashed.
    pub params: ExtractParams,
    /// Hashed frames in presentation order (strictly increasing `t_ms`).
    pub frames: Vec<HashedFrame>,
    /// The same frames hashed on centred crops of their active picture,
    /// largest crop first, then of an inset picture if one was found
    /// (empty in fingerprints of format version 1).
    #[serde(default)]
    pub views: Vec<ViewTrack>,
    /// Local features of some of the samples (empty in fingerprints of
    /// format version 4 and before, and when not extracted).
    #[serde(default)]
    pub features: Vec<local::FeatureFrame>,
}

impl Fingerprint {
    /// Number of frames that may take part in a match.
    pub fn informative_frames(&self) -> usize {
        self.frames.iter().filter(|f| f.is_informative()).count()
    }

    /// The view track of centred crops of `zoom_pct` percent of the active
    /// picture, if hashed.
    pub fn view(&self, zoom_pct: u8) -> Option<&ViewTrack> {
        self.views
            .iter()
            .find(|v| v.region == ViewRegion::Active && v.zoom_pct == zoom_pct)
    }

    /// The frames hashed on the centred `zoom_pct` percent of the active
    /// picture (100: the frames themselves), if hashed.
    pub fn active_view(&self, zoom_pct: u8) -> Option<&[HashedFrame]> {
        if zoom_pct == FULL_VIEW_PCT {
            Some(&self.frames)
        } else {
            self.view(zoom_pct).map(|v| v.frames.as_slice())
        }
    }

    /// Every hashing of the frames, the whole active picture first, each
    /// with its zoom in percent (100 for the whole picture).
    pub fn tracks(&self) -> impl Iterator<Item = (u8, &[HashedFrame])> {
        self.tracks_where(|_| true)
    }

    /// [`tracks`](Self::tracks), of the view tracks only those `keep`
    /// takes (the whole active picture always).
    pub fn tracks_where(
        &self,
        keep: impl Fn(&ViewTrack) -> bool,
    ) -> impl Iterator<Item = (u8, &[HashedFrame])> {
        std::iter::once((FULL_VIEW_PCT, self.frames.as_slice())).chain(
            self.views
                .iter()
                .filter(move |v| keep(v))
                .map(|v| (v.zoom_pct, v.frames.as_slice())),
        )
    }
}

/// The zoom of the whole active picture, in percent.
pub const FULL_VIEW_PCT: u8 = 100;

/// The centred crops every frame is hashed on besides the whole active
/// picture: each side this percentage of the active picture's. A catalog
/// stores the smallest (the part of a picture that crops, re-framings,
/// tilts and corner logos leave intact); a query offers all of them, so a
/// copy cropped by up to a quarter still has a view at the catalog's scale
/// within 4 % (zoom steps of about 7.5 %, [`VIEW_ZOOMS_PCT`] from 93 down
/// to 75, with the whole picture as 100).
pub const VIEW_ZOOMS_PCT: [u8; 4] = [93, 87, 81, 75];

/// The view a catalog stores: the smallest of [`VIEW_ZOOMS_PCT`].
pub const CATALOG_VIEW_PCT: u8 = 75;

/// The picture a view track crops.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ViewRegion {
    /// The active picture (the frame without borders).
    #[default]
    Active,
    /// A picture shown inside the frame (picture-in-picture), where one was
    /// found; frames without one are flagged low-information.
    Inset,
    /// The whole frame, borders included, where borders were cut; frames
    /// whose borders were not cut are flagged low-information.
    Frame,
    /// The centred, full-height window of the active picture that a 9:16
    /// screen filled by it shows (crop-to-fill), where the picture is
    /// clearly wider than that; other frames are flagged low-information.
    Window,
    /// The 9:16 window of the upper of two pictures stacked in the frame
    /// (a split screen), where one was found; other frames are flagged
    /// low-information.
    UpperPaneWindow,
    /// The 9:16 window of the lower of two stacked pictures.
    LowerPaneWindow,
    /// A picture filmed off a screen (a keystoned quadrilateral in a dark
    /// surround), unwarped, where one was found; other frames are flagged
    /// low-information.
    Screen,
}

impl ViewRegion {
    /// The id stored in `.vfp` files.
    pub const fn id(self) -> u8 {
        match self {
            ViewRegion::Active => 0,
            ViewRegion::Inset => 1,
            ViewRegion::Frame => 2,
            ViewRegion::Window => 3,
            ViewRegion::UpperPaneWindow => 4,
            ViewRegion::LowerPaneWindow => 5,
            ViewRegion::Screen => 6,
        }
    }

    /// Whether the region is hashed on a 9:16 window, matched against a
    /// catalog's windows only.
    pub const fn is_window(self) -> bool {
        matches!(
            self,
            ViewRegion::Window | ViewRegion::UpperPaneWindow | ViewRegion::LowerPaneWindow
        )
    }

    /// The first `.vfp` format version that can hold the region.
    pub const fn since_format_version(self) -> u16 {
        match self {
            ViewRegion::Active | ViewRegion::Inset | ViewRegion::Frame => 2,
            ViewRegion::Window => 3,
            ViewRegion::UpperPaneWindow | ViewRegion::LowerPaneWindow | ViewRegion::Screen => 4,
        }
    }

    /// Inverse of [`id`](Self::id).
    pub const fn from_id(id: u8) -> Option<Self> {
        match id {
            0 => Some(ViewRegion::Active),
            1 => Some(ViewRegion::Inset),
            2 => Some(ViewRegion::Frame),
            3 => Some(ViewRegion::Window),
            4 => Some(ViewRegion::UpperPaneWindow),
            5 => Some(ViewRegion::LowerPaneWindow),
            6 => Some(ViewRegion::Screen),
            _ => None,
        }
    }
}

/// A fingerprint's frames hashed on one centred crop of a region.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ViewTrack {
    /// The region cropped.
    #[serde(default)]
    pub region: ViewRegion,
    /// Each side of the crop as a percentage of the region's side
    /// (1..=99), centred.
    pub zoom_pct: u8,
    /// One per frame of the fingerprint, at the same times; quality and
    /// low-information flag are those of the crop.
    pub frames: Vec<HashedFrame>,
}

/// Serde helper: a 32-byte array as 64 lowercase hex digits.
mod hex32 {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::frame_hash::to_hex(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(d)?;
        crate::frame_hash::from_hex(&text).map_err(D::Error::custom)
    }
}
