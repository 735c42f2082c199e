//! What a scan or a verification says about one file, as types: the
//! output formats print these and nothing else.
//!
//! A [`FileRecord`] is one line of `vfp scan --format jsonl` (field names
//! follow what takedown tools consume; the line format is stable). A
//! [`Verification`] is `vfp verify --format json`: every matched segment
//! with every matched frame pair, for a reviewer.

use crate::inputs::{Skip, SkipReason};
use crate::units::{round_to, seconds, timecode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use vfp_fingerprint::SourceInfo;
use vfp_index::{Catalog, TitleRecord};
use vfp_matcher::{Evidence, MatchSegment};

/// What a scan concluded about one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// At least one segment shows a catalog title.
    Match,
    /// The file was scanned and nothing qualifies.
    NoMatch,
    /// The file could not be scanned (see [`FileRecord::error`]).
    Error,
    /// A file found in a folder that was not scanned (see
    /// [`FileRecord::skipped`]).
    Skipped,
    /// The file was scanned, nothing matched, and that says little: too
    /// short or too blank for any match to meet the rule, or a
    /// keyframe-only fingerprint that cannot rule one out (see
    /// [`FileRecord::inconclusive_because`]).
    Inconclusive,
}

impl Verdict {
    /// The word records use: `match`, `no_match`, `error`, `skipped`,
    /// `inconclusive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Match => "match",
            Verdict::NoMatch => "no_match",
            Verdict::Error => "error",
            Verdict::Skipped => "skipped",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// One match in a [`FileRecord`].
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct MatchRecord {
    /// The title's id in the catalog.
    pub title_id: String,
    /// The title's name (its id when it was given none).
    pub title_name: String,
    /// Strength of the evidence, 0 to 1 (see `vfp_matcher::score`).
    pub score: f64,
    /// Where the match starts in the scanned file, seconds.
    pub clip_start_s: f64,
    /// Where it ends in the scanned file, seconds.
    pub clip_end_s: f64,
    /// Where the matched part starts in the title, seconds.
    pub title_start_s: f64,
    /// Where it ends in the title, seconds.
    pub title_end_s: f64,
    /// Clip frames matched to the title's frames.
    pub matched_frames: usize,
    /// Playback speed: title time per clip time.
    pub speed: f64,
    /// The file shows the title mirrored.
    pub mirrored: bool,
    /// The title's owner, asset id, release date and labels, where the
    /// catalog has them (what a notice names).
    #[serde(flatten)]
    pub title_facts: TitleFacts,
    /// The matched part of the title is one the catalog records as public
    /// (a trailer): what it was published as. A copy of it is allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<String>,
}

impl MatchRecord {
    /// The record of `segment`, `None` if its title is not in `catalog`.
    pub fn new(catalog: &Catalog, segment: &MatchSegment) -> Option<MatchRecord> {
        let title = catalog.title(segment.title)?;
        Some(MatchRecord {
            title_id: title.id.clone(),
            title_name: title.name.clone(),
            score: round_to(segment.score, 3),
            clip_start_s: seconds(segment.clip_start_ms),
            clip_end_s: seconds(segment.clip_end_ms),
            title_start_s: seconds(segment.title_start_ms),
            title_end_s: seconds(segment.title_end_ms),
            matched_frames: segment.matched_frames,
            speed: round_to(segment.speed, 3),
            mirrored: segment.mirrored,
            title_facts: TitleFacts::of(title),
            public: catalog
                .public_covering(
                    &title.id,
                    u64::from(segment.title_start_ms),
                    u64::from(segment.title_end_ms),
                )
                .map(|p| p.reason.clone()),
        })
    }
}

/// What a record says of its title beyond its id and name: the catalog's
/// [`TitleMeta`](vfp_index::TitleMeta) and labels, each left out of the
/// record when the catalog does not have it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TitleFacts {
    /// The rights owner.
    #[serde(
        rename = "title_owner",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub owner: String,
    /// The owner's id of the work.
    #[serde(
        rename = "title_asset_id",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub asset_id: String,
    /// The release date, or the end of its embargo (`YYYY-MM-DD`).
    #[serde(
        rename = "title_release_date",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub release_date: String,
    /// The title's labels.
    #[serde(
        rename = "title_labels",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub labels: String,
}

impl TitleFacts {
    /// The facts the catalog keeps of `title`.
    pub fn of(title: &TitleRecord) -> TitleFacts {
        TitleFacts {
            owner: title.meta.owner.clone(),
            asset_id: title.meta.asset_id.clone(),
            release_date: title.meta.release_date.clone(),
            labels: title.labels.clone(),
        }
    }
}

/// The result for one scanned file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FileRecord {
    /// The path as given (bytes that are not UTF-8 shown as U+FFFD).
    pub file: String,
    /// SHA-256 of the file's bytes (of the video a `.vfp` was made from),
    /// lowercase hex; `None` on error.
    pub sha256: Option<String>,
    /// Duration of the video, seconds; `None` on error.
    pub duration_s: Option<f64>,
    /// What the scan concluded.
    pub verdict: Verdict,
    /// Why the file could not be scanned, naming it, with causes.
    pub error: Option<String>,
    /// The matches, strongest first.
    pub matches: Vec<MatchRecord>,
    /// Found with radii beyond those tested without a false claim: leads
    /// to look into, not evidence (written only when true).
    #[serde(default, skip_serializing_if = "is_false")]
    pub exploratory: bool,
    /// Why a file found in a folder was not scanned (verdict `skipped`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<SkipReason>,
    /// What the skipped file is, or what left it out, as a sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped_because: Option<String>,
    /// Why a file that matched nothing could not be judged (verdict
    /// `inconclusive`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inconclusive_because: Option<String>,
    /// Only part of the file could be read (a download cut short): the
    /// verdict and matches are of that part (written only when true).
    #[serde(default, skip_serializing_if = "is_false")]
    pub partial: bool,
    /// What cut the reading short, naming the file and the time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial_because: Option<String>,
    /// Where and when the file was found (from a crawler's manifest).
    #[serde(flatten)]
    pub provenance: Provenance,
    /// The path's bytes, percent-encoded, when they are not UTF-8 (then
    /// `file` cannot tell `x\xff.mp4` from `x\xfe.mp4`); what a resumed
    /// scan compares ([`FileRecord::path_bytes`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_raw: Option<String>,
    /// The file's size when it was scanned, bytes (with `mtime_ns`, what
    /// tells a resumed scan that a file at the same path is another one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// The file's modification time when it was scanned, ns since 1970.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtime_ns: Option<i64>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl FileRecord {
    /// A record of `file` with `verdict` and nothing else yet (for records
    /// built field by field: converters, tests).
    pub fn new(file: String, verdict: Verdict) -> FileRecord {
        FileRecord {
            file,
            file_raw: None,
            size_bytes: None,
            mtime_ns: None,
            sha256: None,
            duration_s: None,
            verdict,
            error: None,
            matches: Vec::new(),
            exploratory: false,
            skipped: None,
            skipped_because: None,
            partial: false,
            partial_because: None,
            inconclusive_because: None,
            provenance: Provenance::default(),
        }
    }

    /// A scanned file: `match` with matches, `no_match` without.
    pub fn scanned(file: String, source: &SourceInfo, matches: Vec<MatchRecord>) -> FileRecord {
        let verdict = if matches.is_empty() {
            Verdict::NoMatch
        } else {
            Verdict::Match
        };
        FileRecord {
            sha256: Some(source.sha256_hex()),
            duration_s: Some(source.duration_ms as f64 / 1000.0),
            matches,
            ..FileRecord::new(file, verdict)
        }
    }

    /// A file that could not be scanned, and why.
    pub fn failed(file: String, error: &dyn std::error::Error) -> FileRecord {
        FileRecord {
            error: Some(crate::error::chain(error)),
            ..FileRecord::new(file, Verdict::Error)
        }
    }

    /// A file found in a folder and not scanned, and why.
    pub fn skipped(path: &Path, skip: Skip) -> FileRecord {
        FileRecord {
            skipped: Some(skip.reason),
            skipped_because: Some(skip.why),
            ..FileRecord::new(path.display().to_string(), Verdict::Skipped)
        }
        .about(path)
    }

    /// The record with what identifies the file at `path` as it is now:
    /// its raw path bytes where they are not UTF-8, its size and
    /// modification time (none if it cannot be read).
    pub fn about(mut self, path: &Path) -> FileRecord {
        use std::os::unix::ffi::OsStrExt as _;
        let bytes = path.as_os_str().as_bytes();
        self.file_raw = std::str::from_utf8(bytes)
            .is_err()
            .then(|| percent_encoding::percent_encode(bytes, RAW_PATH).to_string());
        if let Some(now) = FileStamp::of(path) {
            self.size_bytes = Some(now.size_bytes);
            self.mtime_ns = Some(now.mtime_ns);
        }
        self
    }

    /// The bytes of the path the record is of: `file_raw` decoded, or
    /// `file`.
    pub fn path_bytes(&self) -> Vec<u8> {
        match &self.file_raw {
            Some(raw) => percent_encoding::percent_decode_str(raw).collect(),
            None => self.file.as_bytes().to_vec(),
        }
    }
}

/// What tells one state of a file from another in a record: its size and
/// modification time (`size_bytes`, `mtime_ns`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStamp {
    /// Size, bytes.
    pub size_bytes: u64,
    /// Modification time, ns since the Unix epoch.
    pub mtime_ns: i64,
}

impl FileStamp {
    /// The stamp of the file at `path` as it is now; `None` if it cannot
    /// be read.
    pub fn of(path: &Path) -> Option<FileStamp> {
        use std::os::unix::fs::MetadataExt as _;
        let meta = std::fs::metadata(path).ok()?;
        Some(FileStamp {
            size_bytes: meta.len(),
            mtime_ns: meta
                .mtime()
                .saturating_mul(1_000_000_000)
                .saturating_add(meta.mtime_nsec()),
        })
    }
}

/// The bytes `file_raw` escapes: controls, `%` itself, and (as percent
/// encoding always does) every byte outside ASCII.
const RAW_PATH: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b'%');

/// Where and when a scanned file was found, as a crawler's manifest says
/// (`vfp scan --from`): what the allow-list's source prefixes, the
/// evidence page and a notice need of a file found on the internet.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The URL the file was downloaded from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    /// When it was found, as the crawler wrote it (ISO 8601 is best).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found_at: Option<String>,
    /// The manifest's other fields for the file, kept as they were.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub crawl: BTreeMap<String, String>,
}

impl Provenance {
    /// Whether nothing is known of where the file was found.
    pub fn is_empty(&self) -> bool {
        self.source_url.is_none() && self.found_at.is_none() && self.crawl.is_empty()
    }

    /// Checks what a job from a queue says of its file, where anyone who
    /// may publish jobs can write it: at most [`MAX_PROVENANCE_BYTES`]
    /// of text in all, and no control characters in the URL and time.
    pub fn check(&self) -> Result<(), String> {
        let text: usize = self.source_url.as_ref().map_or(0, String::len)
            + self.found_at.as_ref().map_or(0, String::len)
            + self
                .crawl
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>();
        if text > MAX_PROVENANCE_BYTES {
            return Err(format!(
                "its provenance holds {text} bytes, over {MAX_PROVENANCE_BYTES}"
            ));
        }
        if [&self.source_url, &self.found_at]
            .into_iter()
            .flatten()
            .any(|t| t.chars().any(char::is_control))
        {
            return Err("its source URL or time holds control characters".into());
        }
        Ok(())
    }
}

/// Most text a file's provenance may hold, bytes.
pub const MAX_PROVENANCE_BYTES: usize = 16 * 1024;

/// How a matched frame was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FoundBy {
    /// By the catalog search, within the search radius.
    Search,
    /// By following the match: compared with the title's frames at the
    /// time the match puts it, within the follow radius.
    Follow,
    /// By local features: keypoints of the clip picture found in the
    /// title picture at one offset; the pair's distance is their mean
    /// descriptor distance (bits of 256).
    Keypoints,
}

/// A clip frame and the title frame it matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FramePair {
    /// Time of the clip frame, ms from the clip start.
    pub clip_ms: u32,
    /// Time of the title frame, ms from the title start.
    pub title_ms: u32,
    /// Hamming distance between their hashes, bits of 256.
    pub distance: u32,
    /// How the pair was found.
    pub found_by: FoundBy,
}

/// The evidence for one matched segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentEvidence {
    /// The title's id.
    pub title_id: String,
    /// The title's name.
    pub title_name: String,
    /// The title's length, seconds.
    pub title_duration_s: f64,
    /// SHA-256 of the title's source video, lowercase hex.
    pub title_sha256: String,
    /// The title's source video when the catalog was built (thumbnails
    /// are taken from it where this machine still has it); not printed.
    #[serde(skip)]
    pub title_source_path: String,
    /// The title's owner, asset id, release date and labels.
    #[serde(flatten)]
    pub title_facts: TitleFacts,
    /// The matched part of the title is public (what it was published
    /// as): a copy of it is allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<String>,
    /// Strength of the evidence, 0 to 1.
    pub score: f64,
    /// Segment start in the clip, `HH:MM:SS.mmm`.
    pub clip_start: String,
    /// Segment end in the clip.
    pub clip_end: String,
    /// Segment start in the title.
    pub title_start: String,
    /// Segment end in the title.
    pub title_end: String,
    /// Segment start in the clip, seconds.
    pub clip_start_s: f64,
    /// Segment end in the clip, seconds.
    pub clip_end_s: f64,
    /// Segment start in the title, seconds.
    pub title_start_s: f64,
    /// Segment end in the title, seconds.
    pub title_end_s: f64,
    /// Playback speed: title time per clip time.
    pub speed: f64,
    /// The clip shows the title mirrored.
    pub mirrored: bool,
    /// Clip frames matched.
    pub matched_frames: usize,
    /// Of the matched frames, those the catalog search found (the others
    /// were found by following the match).
    pub searched_frames: usize,
    /// Informative clip frames sampled over the segment.
    pub sampled_frames: usize,
    /// `matched_frames / sampled_frames`.
    pub coverage: f64,
    /// Mean distance of the matched pairs, bits.
    pub mean_distance: f64,
    /// Every matched pair, in clip time.
    pub frames: Vec<FramePair>,
}

impl SegmentEvidence {
    /// The evidence of `segment` of a title, `title`.
    pub fn new(title: &TitleRecord, segment: &MatchSegment) -> SegmentEvidence {
        let frames: Vec<FramePair> = segment
            .frames
            .iter()
            .map(|f| FramePair {
                clip_ms: f.query_ms,
                title_ms: f.title_ms,
                distance: f.distance,
                found_by: match f.evidence {
                    Evidence::Search => FoundBy::Search,
                    Evidence::Follow => FoundBy::Follow,
                    Evidence::Keypoints => FoundBy::Keypoints,
                },
            })
            .collect();
        let tc = |ms: u32| timecode(u64::from(ms));
        SegmentEvidence {
            title_id: title.id.clone(),
            title_name: title.name.clone(),
            title_duration_s: title.duration_ms as f64 / 1000.0,
            title_sha256: title.sha256.clone(),
            title_source_path: title.source_path.clone(),
            title_facts: TitleFacts::of(title),
            public: None,
            score: round_to(segment.score, 3),
            clip_start: tc(segment.clip_start_ms),
            clip_end: tc(segment.clip_end_ms),
            title_start: tc(segment.title_start_ms),
            title_end: tc(segment.title_end_ms),
            clip_start_s: seconds(segment.clip_start_ms),
            clip_end_s: seconds(segment.clip_end_ms),
            title_start_s: seconds(segment.title_start_ms),
            title_end_s: seconds(segment.title_end_ms),
            speed: round_to(segment.speed, 3),
            mirrored: segment.mirrored,
            matched_frames: segment.matched_frames,
            searched_frames: frames
                .iter()
                .filter(|f| f.found_by == FoundBy::Search)
                .count(),
            sampled_frames: segment.sampled_frames,
            coverage: round_to(segment.coverage, 3),
            mean_distance: round_to(segment.mean_distance, 2),
            frames,
        }
    }
}

/// A thorough check of one file: `vfp verify`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// The clip's path as given (its file name only in evidence that
    /// leaves the studio).
    pub clip: String,
    /// SHA-256 of the clip, lowercase hex.
    pub clip_sha256: String,
    /// The clip's length, seconds.
    pub clip_duration_s: f64,
    /// The catalog's path (empty, and not written, in evidence that leaves
    /// the studio: the catalog is named by its MANIFEST's SHA-256 there).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub catalog: String,
    /// Hamming radius of the catalog search, bits.
    pub radius: u32,
    /// Hamming radius along a match, bits.
    pub follow_radius: u32,
    /// Informative clip moments searched.
    pub sampled_frames: usize,
    /// The matched segments, strongest first.
    pub segments: Vec<SegmentEvidence>,
    /// Found with radii beyond those tested without a false claim
    /// (written only when true).
    #[serde(default, skip_serializing_if = "is_false")]
    pub exploratory: bool,
    /// Why nothing can be said of a clip in which nothing matched (too
    /// short, too blank, keyframes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inconclusive_because: Option<String>,
    /// Only part of the clip could be read (a download cut short): what
    /// cut the reading short. The check is of the readable part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial_because: Option<String>,
}

impl Verification {
    /// Whether any segment matched, or why nothing can be said.
    pub fn verdict(&self) -> Verdict {
        match (self.segments.is_empty(), &self.inconclusive_because) {
            (false, _) => Verdict::Match,
            (true, Some(_)) => Verdict::Inconclusive,
            (true, None) => Verdict::NoMatch,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_are_the_words_records_use() {
        for v in [Verdict::Match, Verdict::NoMatch, Verdict::Error] {
            assert_eq!(
                serde_json::to_string(&v).unwrap(),
                format!("\"{}\"", v.as_str())
            );
        }
    }

    #[test]
    fn a_record_line_keeps_its_field_order() {
        // The jsonl line format is what downstream tools parse: its field
        // order and names are part of it.
        let r = FileRecord {
            file: "a.mp4".into(),
            sha256: Some("ab".into()),
            duration_s: Some(1.5),
            verdict: Verdict::Match,
            error: None,
            exploratory: false,
            skipped: None,
            skipped_because: None,
            partial: false,
            partial_because: None,
            inconclusive_because: None,
            provenance: Provenance::default(),
            file_raw: None,
            size_bytes: Some(1234),
            mtime_ns: Some(1_796_000_000_123_456_789),
            matches: vec![MatchRecord {
                title_id: "t".into(),
                title_name: "T".into(),
                score: 0.981,
                clip_start_s: 0.0,
                clip_end_s: 1.5,
                title_start_s: 10.0,
                title_end_s: 11.5,
                matched_frames: 40,
                speed: 1.0,
                mirrored: false,
                title_facts: TitleFacts::default(),
                public: None,
            }],
        };
        let line = serde_json::to_string(&r).unwrap();
        assert_eq!(
            line,
            r#"{"file":"a.mp4","sha256":"ab","duration_s":1.5,"verdict":"match","error":null,"matches":[{"title_id":"t","title_name":"T","score":0.981,"clip_start_s":0.0,"clip_end_s":1.5,"title_start_s":10.0,"title_end_s":11.5,"matched_frames":40,"speed":1.0,"mirrored":false}],"size_bytes":1234,"mtime_ns":1796000000123456789}"#
        );
        assert_eq!(serde_json::from_str::<FileRecord>(&line).unwrap(), r);
    }

    #[test]
    fn a_provenance_from_a_queue_is_bounded() {
        let mut p = Provenance {
            source_url: Some("https://video.example/v/1".into()),
            found_at: Some("2026-12-07T01:00:00Z".into()),
            ..Provenance::default()
        };
        assert!(p.check().is_ok() && !p.is_empty());
        p.crawl
            .insert("note".into(), "x".repeat(MAX_PROVENANCE_BYTES));
        assert!(p.check().unwrap_err().contains("over"));
        p.crawl.clear();
        p.source_url = Some("https://video.example/v/1\nforged: line".into());
        assert!(p.check().unwrap_err().contains("control"));
        assert!(Provenance::default().is_empty());
    }

    #[test]
    fn a_failed_record_carries_the_causes() {
        let e = std::io::Error::other("disk on fire");
        let r = FileRecord::failed("x.mp4".into(), &e);
        assert_eq!(r.verdict, Verdict::Error);
        assert_eq!(r.error.as_deref(), Some("disk on fire"));
        assert!(r.sha256.is_none() && r.matches.is_empty());
    }
}
