//! Distance distributions between fingerprints: how far a frame's hash moves
//! under a transform, and how far unrelated frames are. These measurements
//! justify the match thresholds.

use crate::{Fingerprint, HashedFrame};

/// Summary of a set of Hamming distances.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Distribution {
    /// Number of distances.
    pub count: usize,
    /// Smallest distance.
    pub min: u32,
    /// 5th percentile.
    pub p5: u32,
    /// Median.
    pub median: u32,
    /// 95th percentile.
    pub p95: u32,
    /// Largest distance.
    pub max: u32,
}

impl Distribution {
    /// Summarizes `distances`, or `None` if there are none.
    pub fn of(mut distances: Vec<u32>) -> Option<Distribution> {
        if distances.is_empty() {
            return None;
        }
        distances.sort_unstable();
        // Nearest-rank percentile.
        let at = |p: f64| {
            let rank = (p / 100.0 * distances.len() as f64).ceil() as usize;
            distances[rank.clamp(1, distances.len()) - 1]
        };
        Some(Distribution {
            count: distances.len(),
            min: distances[0],
            p5: at(5.0),
            median: at(50.0),
            p95: at(95.0),
            max: distances[distances.len() - 1],
        })
    }
}

/// Pairs the frames of `a` and `b` taken at the same moment (within
/// `tolerance_ms`), both informative. For transforms that keep the timeline
/// (re-encode, scale, pad, overlay, colour change, mirror).
pub fn pairs_by_time<'a>(
    a: &'a Fingerprint,
    b: &'a Fingerprint,
    tolerance_ms: u32,
) -> Vec<(&'a HashedFrame, &'a HashedFrame)> {
    let mut pairs = Vec::new();
    let mut j = 0;
    for fa in a.frames.iter().filter(|f| f.is_informative()) {
        while j < b.frames.len() && b.frames[j].t_ms + tolerance_ms < fa.t_ms {
            j += 1;
        }
        if let Some(fb) = b.frames[j..]
            .iter()
            .take_while(|fb| fb.t_ms <= fa.t_ms + tolerance_ms)
            .filter(|fb| fb.is_informative())
            .min_by_key(|fb| fb.t_ms.abs_diff(fa.t_ms))
        {
            pairs.push((fa, fb));
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let d = Distribution::of((1..=100).collect()).unwrap();
        assert_eq!((d.min, d.p5, d.median, d.p95, d.max), (1, 5, 50, 95, 100));
        let one = Distribution::of(vec![7]).unwrap();
        assert_eq!((one.p5, one.median, one.p95), (7, 7, 7));
        assert!(Distribution::of(vec![]).is_none());
    }
}
