//! Where an extraction's time went, stage by stage ([`StageTimes`]),
//! measured where each stage runs: what `vfp bench` shows so that the next
//! person can see the cost of each part without a profiler.

use serde::Serialize;
use std::time::Instant;

/// Time spent in each stage of one extraction (or the sum over several),
/// seconds of the thread that ran it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct StageTimes {
    /// Reading the file for its SHA-256.
    pub read_s: f64,
    /// Demuxing and decoding.
    pub decode_s: f64,
    /// swscale: decoded frames to the working and the features' pictures.
    pub scale_s: f64,
    /// Deciding each window's framing: borders, captions, tilt, inset,
    /// split screen, filmed screen.
    pub framing_s: f64,
    /// Resampling each view of each sample to the hash's input.
    pub views_s: f64,
    /// The DCT hashes of those views.
    pub hash_s: f64,
    /// Local features: the scale pyramid, corners and descriptors.
    pub features_s: f64,
}

impl StageTimes {
    /// Adds `other`'s times to these.
    pub fn add(&mut self, other: &StageTimes) {
        self.read_s += other.read_s;
        self.decode_s += other.decode_s;
        self.scale_s += other.scale_s;
        self.framing_s += other.framing_s;
        self.views_s += other.views_s;
        self.hash_s += other.hash_s;
        self.features_s += other.features_s;
    }

    /// The sum of every stage.
    pub fn total_s(&self) -> f64 {
        self.read_s
            + self.decode_s
            + self.scale_s
            + self.framing_s
            + self.views_s
            + self.hash_s
            + self.features_s
    }
}

/// Runs `f`, adding the time it took to `*into` (seconds).
pub(crate) fn timed<T>(into: &mut f64, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    *into += started.elapsed().as_secs_f64();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_add_up() {
        let one = StageTimes {
            read_s: 1.0,
            decode_s: 2.0,
            scale_s: 3.0,
            framing_s: 4.0,
            views_s: 5.0,
            hash_s: 6.0,
            features_s: 7.0,
        };
        let mut sum = StageTimes::default();
        sum.add(&one);
        sum.add(&one);
        assert_eq!(sum.total_s(), 56.0);
        assert_eq!((sum.read_s, sum.features_s), (2.0, 14.0));
        let mut t = 0.0;
        assert_eq!(timed(&mut t, || 7), 7);
        assert!(t >= 0.0);
    }
}
