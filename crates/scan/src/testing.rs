//! Example records for the tests of code that prints or gathers them (in
//! this crate and in the binary's output layer); not part of the API.

use crate::record::{FoundBy, FramePair, SegmentEvidence};
use crate::Verification;

/// A verification of `clip.mp4` with one mirrored segment of `ep1`,
/// or none.
pub fn verification(matched: bool) -> Verification {
    let segment = SegmentEvidence {
        title_id: "ep1".into(),
        title_name: "Pilot".into(),
        title_duration_s: 1_500.0,
        title_sha256: "cd".repeat(32),
        title_source_path: "/nowhere/ep1.mp4".into(),
        title_facts: crate::TitleFacts {
            owner: "Example Studios".into(),
            asset_id: "EX-0001".into(),
            release_date: "2027-03-01".into(),
            labels: "season=1".into(),
        },
        public: None,
        score: 0.975,
        clip_start: "00:00:01.000".into(),
        clip_end: "00:00:03.000".into(),
        title_start: "00:10:00.000".into(),
        title_end: "00:10:02.000".into(),
        clip_start_s: 1.0,
        clip_end_s: 3.0,
        title_start_s: 600.0,
        title_end_s: 602.0,
        speed: 1.0,
        mirrored: true,
        matched_frames: 3,
        searched_frames: 2,
        sampled_frames: 4,
        coverage: 0.75,
        mean_distance: 12.33,
        frames: vec![
            FramePair {
                clip_ms: 1_000,
                title_ms: 600_000,
                distance: 10,
                found_by: FoundBy::Search,
            },
            FramePair {
                clip_ms: 2_000,
                title_ms: 601_000,
                distance: 40,
                found_by: FoundBy::Follow,
            },
            FramePair {
                clip_ms: 3_000,
                title_ms: 602_000,
                distance: 12,
                found_by: FoundBy::Search,
            },
        ],
    };
    Verification {
        clip: "clip.mp4".into(),
        clip_sha256: "ab".repeat(32),
        clip_duration_s: 4.0,
        catalog: "cat".into(),
        radius: 31,
        follow_radius: 55,
        sampled_frames: 120,
        segments: if matched { vec![segment] } else { Vec::new() },
        exploratory: false,
        inconclusive_because: None,
        partial_because: None,
    }
}
