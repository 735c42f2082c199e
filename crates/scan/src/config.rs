//! The decision parameters of a scan: as given ([`ScanSettings`]), then
//! checked ([`ScanConfig`]). Nothing is clamped: a value outside its
//! range is refused with what the range is.

use crate::search::SearchMode;
use vfp_extractor::Parts;
use vfp_fingerprint::{FrameHash, Sampling};
use vfp_matcher::local::LocalParams;
use vfp_matcher::{
    MatchParams, DEFAULT_FOLLOW_RADIUS, DEFAULT_MIN_DURATION_MS, DEFAULT_MIN_FRAMES, DEFAULT_RADIUS,
};

/// Frames per second sampled from a scanned video. A copy is cut anywhere
/// between the catalog's samples (4 per second); sampling the clip at 15
/// puts a clip frame within 33 ms of every catalog frame. Half of 30: on
/// HD H.264 half the frames then need not be decoded, and a scan without
/// a second pass costs a third less. The copies 30 a second finds and 15 misses are the
/// weakest, found on evidence 15 a second sees too, short of a match:
/// such a file is scanned again at [`RESCAN_FPS`] (measured in
/// docs/throughput.md, "Sampling less, decoding less").
pub const DEFAULT_SCAN_FPS: f32 = 15.0;

/// Frames per second of the second pass over a file whose first found
/// evidence of a title short of a match (see
/// [`ScanCost::evidence`](crate::ScanCost::evidence)): within 17 ms of
/// every catalog frame. A scan sampling at least this densely makes no
/// second pass.
pub const RESCAN_FPS: f32 = 30.0;

/// Frames per second `verify` samples from the one clip it checks, as a
/// scan's second pass: the evidence of a notice places every title frame
/// against a clip frame within 17 ms.
pub const DEFAULT_VERIFY_FPS: f32 = RESCAN_FPS;

/// Longest `min_duration_s` taken: matches are timed in u32 milliseconds.
const MAX_MIN_DURATION_S: f64 = u32::MAX as f64 / 1000.0;

/// The widest search radius, in bits, run on the evaluation sets without
/// a false claim: at 47 (follow radius 71, 2 frames, no minimum
/// duration), 0 claims on the dev set's 101 negatives, the social suite's
/// 66 and the 139 files of `scripts/eval/cross.sh`; the nearest unrelated
/// moment came within 48 bits of a catalog frame. Wider searches are
/// refused unless a run is marked exploratory.
pub const MAX_TESTED_RADIUS: u32 = 47;
/// The widest follow radius run without a false claim (see
/// [`MAX_TESTED_RADIUS`]).
pub const MAX_TESTED_FOLLOW_RADIUS: u32 = 71;

/// A setting out of its range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// A Hamming radius larger than the hash.
    #[error(
        "{what} must be at most {} bits (the hash length), got {got}",
        FrameHash::BITS
    )]
    Radius {
        /// Which radius.
        what: &'static str,
        /// The value given.
        got: u32,
    },
    /// A radius wider than any run on the evaluation sets without a false
    /// claim, in a run not marked exploratory.
    #[error(
        "{what} {got} is wider than {max} bits, the widest run on the evaluation sets without a false claim (the nearest unrelated moment came within 48 bits of a catalog frame): a match this loose may be another video; pass --exploratory to search wider anyway, and every record of the run says it is exploratory"
    )]
    Untested {
        /// Which radius.
        what: &'static str,
        /// The value given.
        got: u32,
        /// The widest tested.
        max: u32,
    },
    /// Too few frames to fit a line through.
    #[error("the fewest matched frames must be at least 2 (a time offset and speed need two frames), got {got}")]
    MinFrames {
        /// The value given.
        got: usize,
    },
    /// Fewer than two pictures cannot agree on a time offset.
    #[error("the fewest pictures matched by keypoints must be at least 2 (two pictures must agree on a time offset), got {got}")]
    MinPictures {
        /// The value given.
        got: usize,
    },
    /// Not a usable number of seconds.
    #[error("the shortest match must be a number of seconds from 0 to {MAX_MIN_DURATION_S:.0}, got {got}")]
    MinDuration {
        /// The value given.
        got: f64,
    },
    /// Not a usable sampling rate.
    #[error(
        "the sampling rate must be above 0 and at most {} frames per second, got {got}",
        Sampling::MAX_FPS
    )]
    Fps {
        /// The value given.
        got: f32,
    },
}

impl ConfigError {
    /// The [`ScanSettings`] field that is out of range, so that a caller
    /// can name it as its user wrote it (a flag, a config key).
    pub fn setting(&self) -> &'static str {
        match self {
            ConfigError::Radius {
                what: FOLLOW_RADIUS,
                ..
            }
            | ConfigError::Untested {
                what: FOLLOW_RADIUS,
                ..
            } => "follow_radius",
            ConfigError::Radius { .. } | ConfigError::Untested { .. } => "radius",
            ConfigError::MinFrames { .. } => "min_frames",
            ConfigError::MinPictures { .. } => "min_pictures",
            ConfigError::MinDuration { .. } => "min_duration_s",
            ConfigError::Fps { .. } => "fps",
        }
    }
}

const SEARCH_RADIUS: &str = "the search radius";
const FOLLOW_RADIUS: &str = "the follow radius";

/// The settings of a scan as a user gives them; [`validate`](Self::validate)
/// checks them. The defaults are the measured ones (see `vfp-matcher`).
#[derive(Clone, Debug, PartialEq)]
pub struct ScanSettings {
    /// Hamming radius of the per-frame catalog search, in bits.
    pub radius: u32,
    /// Hamming radius for frames along a match found by the search.
    pub follow_radius: u32,
    /// Fewest time-consistent frames matched by their hashes for a match.
    pub min_frames: usize,
    /// Fewest title pictures matched by their keypoints, at one time
    /// offset, for a match found by local features.
    pub min_pictures: usize,
    /// Shortest match reported, in seconds of the scanned file.
    pub min_duration_s: f64,
    /// Frames per second sampled from scanned videos.
    pub fps: f32,
    /// Triage: decode keyframes first, and densely only files with a hit.
    pub fast: bool,
    /// Decoder threads per file; 0 lets FFmpeg choose.
    pub decoder_threads: usize,
    /// Allows radii beyond the tested ones; every record says so.
    pub exploratory: bool,
    /// Which clip moments are searched how far (see [`SearchMode`]).
    pub search: SearchMode,
    /// Give up on a file after this many seconds of decoding (0: no
    /// limit).
    pub max_file_seconds: u64,
}

/// The default time limit per file: an hour (a feature film decodes and
/// hashes in minutes on one core).
pub const DEFAULT_MAX_FILE_SECONDS: u64 = 3600;

impl Default for ScanSettings {
    fn default() -> Self {
        ScanSettings {
            radius: DEFAULT_RADIUS,
            follow_radius: DEFAULT_FOLLOW_RADIUS,
            min_frames: DEFAULT_MIN_FRAMES,
            min_pictures: LocalParams::default().min_title_frames,
            min_duration_s: f64::from(DEFAULT_MIN_DURATION_MS) / 1000.0,
            fps: DEFAULT_SCAN_FPS,
            fast: false,
            decoder_threads: 0,
            exploratory: false,
            search: SearchMode::Auto,
            max_file_seconds: DEFAULT_MAX_FILE_SECONDS,
        }
    }
}

impl ScanSettings {
    /// Checks every setting; the first one out of range is the error.
    pub fn validate(self) -> Result<ScanConfig, ConfigError> {
        for (what, got) in [
            (SEARCH_RADIUS, self.radius),
            (FOLLOW_RADIUS, self.follow_radius),
        ] {
            if got > FrameHash::BITS {
                return Err(ConfigError::Radius { what, got });
            }
        }
        for (what, got, max) in [
            (SEARCH_RADIUS, self.radius, MAX_TESTED_RADIUS),
            (FOLLOW_RADIUS, self.follow_radius, MAX_TESTED_FOLLOW_RADIUS),
        ] {
            if got > max && !self.exploratory {
                return Err(ConfigError::Untested { what, got, max });
            }
        }
        if self.min_frames < 2 {
            return Err(ConfigError::MinFrames {
                got: self.min_frames,
            });
        }
        if self.min_pictures < 2 {
            return Err(ConfigError::MinPictures {
                got: self.min_pictures,
            });
        }
        if !(self.min_duration_s.is_finite()
            && (0.0..=MAX_MIN_DURATION_S).contains(&self.min_duration_s))
        {
            return Err(ConfigError::MinDuration {
                got: self.min_duration_s,
            });
        }
        let sampling = Sampling::Dense { fps: self.fps };
        if !sampling.is_valid() {
            return Err(ConfigError::Fps { got: self.fps });
        }
        Ok(ScanConfig {
            params: MatchParams {
                radius: self.radius,
                follow_radius: self.follow_radius,
                min_duration_ms: (self.min_duration_s * 1000.0).round() as u32,
                min_frames: self.min_frames,
                ..MatchParams::default()
            },
            sampling,
            fast: self.fast,
            decoder_threads: self.decoder_threads,
            exploratory: self.exploratory,
            local: LocalParams {
                min_title_frames: self.min_pictures,
                ..LocalParams::default()
            },
            parts: SCAN_PARTS,
            search: self.search,
            file_time_limit: (self.max_file_seconds > 0)
                .then(|| std::time::Duration::from_secs(self.max_file_seconds)),
        })
    }
}

/// How a scan hands a long video to the matcher: in parts of 5 minutes,
/// each beginning with the last 30 s of the one before (a copy shorter
/// than that lies whole in one part; a longer one is joined across parts,
/// [`join_parts`](vfp_matcher::parts::join_parts)). A part holds what a
/// scan keeps of its video (the hashes of every view and the local
/// features: about 5 MB a minute at 30 samples a second, less at the
/// default 15), so a file in flight
/// holds at most 5.5 minutes of it, however long it is (see
/// `scripts/bench/memory.sh`).
pub const SCAN_PARTS: Parts = Parts {
    span_ms: 300_000,
    overlap_ms: 30_000,
};

/// Checked settings: what a [`Scanner`](crate::Scanner) runs with.
#[derive(Clone, Debug, PartialEq)]
pub struct ScanConfig {
    pub(crate) params: MatchParams,
    pub(crate) sampling: Sampling,
    pub(crate) fast: bool,
    pub(crate) decoder_threads: usize,
    pub(crate) exploratory: bool,
    pub(crate) local: LocalParams,
    pub(crate) parts: Parts,
    pub(crate) search: SearchMode,
    pub(crate) file_time_limit: Option<std::time::Duration>,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            params: MatchParams::default(),
            sampling: Sampling::Dense {
                fps: DEFAULT_SCAN_FPS,
            },
            fast: false,
            decoder_threads: 0,
            exploratory: false,
            local: LocalParams::default(),
            parts: SCAN_PARTS,
            search: SearchMode::Auto,
            file_time_limit: Some(std::time::Duration::from_secs(DEFAULT_MAX_FILE_SECONDS)),
        }
    }
}

impl ScanConfig {
    /// What makes local features a match.
    pub fn local_params(&self) -> &LocalParams {
        &self.local
    }
    /// The alignment's parameters.
    pub fn match_params(&self) -> &MatchParams {
        &self.params
    }
    /// The dense sampling of scanned videos.
    pub fn sampling(&self) -> Sampling {
        self.sampling
    }
    /// Whether videos are triaged by their keyframes first.
    pub fn fast(&self) -> bool {
        self.fast
    }
    /// Whether radii beyond the tested ones are allowed (and every record
    /// says so).
    pub fn exploratory(&self) -> bool {
        self.exploratory
    }
    /// Decoder threads per file (0: FFmpeg chooses).
    pub fn decoder_threads(&self) -> usize {
        self.decoder_threads
    }
    /// The same with `threads` decoder threads per file (0: FFmpeg
    /// chooses): how many files are decoded at once is the caller's to
    /// know.
    pub fn with_decoder_threads(mut self, threads: usize) -> Self {
        self.decoder_threads = threads;
        self
    }
    /// How the scanner chooses which clip moments it searches, how far.
    pub fn search_mode(&self) -> SearchMode {
        self.search
    }
    /// How a long video is handed to the matcher ([`SCAN_PARTS`] unless
    /// set).
    pub fn parts(&self) -> Parts {
        self.parts
    }
    /// The same, scanning videos in `parts` (longer parts hold more of a
    /// file in memory; shorter ones repeat more of it, by their overlap).
    pub fn with_parts(mut self, parts: Parts) -> Self {
        self.parts = parts;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_matchers_and_valid() {
        let c = ScanSettings::default().validate().unwrap();
        assert_eq!(c, ScanConfig::default());
        assert_eq!(c.match_params().radius, DEFAULT_RADIUS);
        assert_eq!(c.match_params().min_frames, DEFAULT_MIN_FRAMES);
        assert_eq!(c.sampling(), Sampling::Dense { fps: 15.0 });
    }

    #[test]
    fn settings_reach_the_match_parameters() {
        let c = ScanSettings {
            radius: 15,
            follow_radius: 40,
            min_frames: 2,
            min_pictures: 3,
            min_duration_s: 2.5,
            fps: 10.0,
            fast: true,
            decoder_threads: 3,
            exploratory: false,
            search: SearchMode::Dense,
            max_file_seconds: 0,
        }
        .validate()
        .unwrap();
        let p = c.match_params();
        assert_eq!(
            (p.radius, p.follow_radius, p.min_frames, p.min_duration_ms),
            (15, 40, 2, 2_500)
        );
        assert_eq!(c.local_params().min_title_frames, 3);
        assert_eq!(c.sampling(), Sampling::Dense { fps: 10.0 });
        assert!(c.fast());
        assert_eq!(c.decoder_threads(), 3);
        assert_eq!(c.search_mode(), SearchMode::Dense);
        assert_eq!(c.file_time_limit, None, "0: no limit");
        let auto = ScanSettings::default().validate().unwrap();
        assert_eq!(auto.search_mode(), SearchMode::Auto);
        assert_eq!(
            auto.file_time_limit,
            Some(std::time::Duration::from_secs(3600))
        );
    }

    #[test]
    fn out_of_range_settings_are_refused_not_clamped() {
        let bad = |s: ScanSettings| s.validate().unwrap_err();
        let d = ScanSettings::default;
        assert!(matches!(
            bad(ScanSettings { radius: 257, ..d() }),
            ConfigError::Radius { got: 257, .. }
        ));
        assert!(matches!(
            bad(ScanSettings {
                follow_radius: 300,
                ..d()
            }),
            ConfigError::Radius { got: 300, .. }
        ));
        for n in [0, 1] {
            assert_eq!(
                bad(ScanSettings {
                    min_frames: n,
                    ..d()
                }),
                ConfigError::MinFrames { got: n }
            );
        }
        for s in [-1.0, f64::NAN, f64::INFINITY, 5e6] {
            assert!(matches!(
                bad(ScanSettings {
                    min_duration_s: s,
                    ..d()
                }),
                ConfigError::MinDuration { .. }
            ));
        }
        for fps in [0.0, -3.0, 61.0, f32::NAN] {
            assert!(matches!(
                bad(ScanSettings { fps, ..d() }),
                ConfigError::Fps { .. }
            ));
        }
        // The edges are taken: the widest tested radii...
        ScanSettings {
            radius: MAX_TESTED_RADIUS,
            follow_radius: MAX_TESTED_FOLLOW_RADIUS,
            min_frames: 2,
            min_duration_s: 0.0,
            fps: 60.0,
            ..d()
        }
        .validate()
        .unwrap();
        // ...and the hash's length in a run marked exploratory.
        let c = ScanSettings {
            radius: 256,
            follow_radius: 256,
            exploratory: true,
            ..d()
        }
        .validate()
        .unwrap();
        assert!(c.exploratory());
    }

    #[test]
    fn radii_beyond_the_tested_ones_need_an_exploratory_run() {
        let d = ScanSettings::default;
        for (settings, setting) in [
            (
                ScanSettings {
                    radius: MAX_TESTED_RADIUS + 1,
                    ..d()
                },
                "radius",
            ),
            (
                ScanSettings {
                    follow_radius: MAX_TESTED_FOLLOW_RADIUS + 1,
                    ..d()
                },
                "follow_radius",
            ),
        ] {
            let err = settings.clone().validate().unwrap_err();
            assert!(matches!(err, ConfigError::Untested { .. }), "{err}");
            assert_eq!(err.setting(), setting);
            assert!(err.to_string().contains("--exploratory"), "{err}");
            assert!(err.to_string().contains("48 bits"), "{err}");
            ScanSettings {
                exploratory: true,
                ..settings
            }
            .validate()
            .unwrap();
        }
    }

    #[test]
    fn errors_name_their_setting() {
        let d = ScanSettings::default;
        let setting = |s: ScanSettings| s.validate().unwrap_err().setting();
        assert_eq!(setting(ScanSettings { radius: 300, ..d() }), "radius");
        assert_eq!(
            setting(ScanSettings {
                follow_radius: 300,
                ..d()
            }),
            "follow_radius"
        );
        assert_eq!(
            setting(ScanSettings {
                min_frames: 0,
                ..d()
            }),
            "min_frames"
        );
        assert_eq!(
            setting(ScanSettings {
                min_duration_s: -1.0,
                ..d()
            }),
            "min_duration_s"
        );
        assert_eq!(setting(ScanSettings { fps: 0.0, ..d() }), "fps");
    }

    #[test]
    fn messages_say_the_range() {
        let e = ScanSettings {
            min_frames: 1,
            ..ScanSettings::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("at least 2"), "{e}");
        let e = ScanSettings {
            radius: 999,
            ..ScanSettings::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("at most 256"), "{e}");
    }
}
