//! What scanning a file cost, by stage: the clock time spent searching
//! the catalog and matching, and in each stage of the extraction
//! (decoding, scaling, framing, views, hashing, local features), measured
//! where they run, and the counts behind them.

use serde::Serialize;
use std::time::{Duration, Instant};
use vfp_extractor::StageTimes;

/// The cost of one file's scan (or the sum over several files).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct ScanCost {
    /// Wall-clock time of the whole scan, s.
    pub total_s: f64,
    /// Searching the catalog: the hash lookups within the search radius
    /// and the keypoint lookups, s.
    pub search_s: f64,
    /// Of which the hash lookups, s.
    pub hash_search_s: f64,
    /// Matching: lines of consistent offset, followed through the clip,
    /// and the keypoint comparisons of nominated title pictures, s.
    pub match_s: f64,
    /// Informative clip moments searched.
    pub moments: u64,
    /// Hash lookups (each moment's views, direct and mirrored).
    pub hash_lookups: u64,
    /// Catalog frames those lookups found.
    pub hash_hits: u64,
    /// Of which frames not [common](vfp_matcher::QueryHit::common) to
    /// many titles: evidence of a title, if not yet a match.
    pub title_hits: u64,
    /// Keypoint lookups of the local features.
    pub keypoint_lookups: u64,
    /// Title frames compared by the follow step.
    pub follow_probes: u64,
    /// Title pictures that agreed with a clip picture keypoint by keypoint
    /// (pairs of pictures), whether or not they made a match.
    pub keypoint_pairs: u64,
    /// Files scanned again at [`RESCAN_FPS`](crate::RESCAN_FPS) because
    /// the first pass found evidence of a title short of a match.
    pub rescans: u64,
    /// The extraction's time by stage (in `total_s`, beside search and
    /// matching).
    pub stages: StageTimes,
}

impl ScanCost {
    /// The time that was neither search nor matching: decoding, framing
    /// and hashing (and reading the file for its SHA-256), s.
    pub fn extract_s(&self) -> f64 {
        (self.total_s - self.search_s - self.match_s).max(0.0)
    }

    /// Evidence of a title seen so far: catalog frames not common to many
    /// titles, and title pictures agreeing by keypoints.
    pub fn evidence(&self) -> u64 {
        self.title_hits + self.keypoint_pairs
    }

    /// Adds `other`'s times and counts to these.
    pub fn add(&mut self, other: &ScanCost) {
        self.total_s += other.total_s;
        self.search_s += other.search_s;
        self.hash_search_s += other.hash_search_s;
        self.match_s += other.match_s;
        self.moments += other.moments;
        self.hash_lookups += other.hash_lookups;
        self.hash_hits += other.hash_hits;
        self.title_hits += other.title_hits;
        self.keypoint_lookups += other.keypoint_lookups;
        self.follow_probes += other.follow_probes;
        self.keypoint_pairs += other.keypoint_pairs;
        self.rescans += other.rescans;
        self.stages.add(&other.stages);
    }
}

/// Runs `f` and returns its result with how long it took.
pub(crate) fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let out = f();
    (out, started.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_add_up_and_extraction_is_what_is_left() {
        let mut sum = ScanCost::default();
        let one = ScanCost {
            total_s: 2.0,
            search_s: 0.5,
            hash_search_s: 0.375,
            match_s: 0.25,
            moments: 10,
            hash_lookups: 40,
            hash_hits: 3,
            title_hits: 2,
            keypoint_lookups: 7,
            follow_probes: 9,
            keypoint_pairs: 4,
            rescans: 1,
            stages: StageTimes {
                decode_s: 0.5,
                ..StageTimes::default()
            },
        };
        sum.add(&one);
        sum.add(&one);
        assert_eq!((sum.total_s, sum.hash_search_s), (4.0, 0.75));
        assert_eq!((sum.moments, sum.hash_lookups, sum.hash_hits), (20, 80, 6));
        assert_eq!((sum.keypoint_lookups, sum.follow_probes), (14, 18));
        assert_eq!((sum.title_hits, sum.keypoint_pairs, sum.rescans), (4, 8, 2));
        assert_eq!(sum.evidence(), 12);
        assert_eq!(sum.extract_s(), 2.5);
        assert_eq!(sum.stages.decode_s, 1.0);
        // Clock noise never makes extraction negative.
        let odd = ScanCost {
            total_s: 1.0,
            search_s: 0.8,
            match_s: 0.3,
            ..ScanCost::default()
        };
        assert_eq!(odd.extract_s(), 0.0);
    }
}
