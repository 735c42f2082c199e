//! Choosing which decoded frames to hash, by time rather than frame index,
//! so that a re-encode at another frame rate is sampled at the same moments.

use vfp_fingerprint::Sampling;

/// Decides, frame by frame, whether a decoded frame is a sample.
#[derive(Clone, Debug)]
pub(crate) struct Sampler {
    mode: Sampling,
    /// Index of the next grid point `k / fps` still to be sampled.
    next_k: u64,
    last_t_ms: Option<u32>,
}

/// Frames up to this early still count for a grid point: container
/// timestamps are rounded, so a frame meant for t = 250 ms may say 249.6.
pub(crate) const EARLY_TOLERANCE_S: f64 = 0.001;

impl Sampler {
    pub(crate) fn new(mode: Sampling) -> Self {
        Sampler {
            mode,
            next_k: 0,
            last_t_ms: None,
        }
    }

    /// Given the next decoded frame's time in seconds (non-decreasing),
    /// returns `Some(t_ms)` if it is to be hashed.
    ///
    /// Dense: the first frame at or after each grid point `k / fps` is the
    /// sample for that point; a frame that passes several grid points (a
    /// slow or variable frame rate) is sampled once. Keyframes: every frame
    /// the decoder returns is a keyframe and is sampled.
    pub(crate) fn accept(&mut self, t_s: f64) -> Option<u32> {
        let t_ms = (t_s * 1000.0).round() as u32;
        // Two frames in the same millisecond cannot both be samples: frame
        // times must strictly increase.
        if self.last_t_ms.is_some_and(|last| t_ms <= last) {
            return None;
        }
        match self.mode {
            Sampling::Keyframes => {}
            Sampling::Dense { fps } => {
                let period_s = 1.0 / f64::from(fps);
                if t_s + EARLY_TOLERANCE_S < self.next_k as f64 * period_s {
                    return None;
                }
                self.next_k = ((t_s + EARLY_TOLERANCE_S) / period_s).floor() as u64 + 1;
            }
        }
        self.last_t_ms = Some(t_ms);
        Some(t_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sampled(mode: Sampling, frame_times: impl Iterator<Item = f64>) -> Vec<u32> {
        let mut s = Sampler::new(mode);
        frame_times.filter_map(|t| s.accept(t)).collect()
    }

    #[test]
    fn dense_samples_the_same_moments_at_any_frame_rate() {
        let four = Sampling::Dense { fps: 4.0 };
        let at_20 = sampled(four, (0..80).map(|i| i as f64 / 20.0));
        let at_40 = sampled(four, (0..160).map(|i| i as f64 / 40.0));
        assert_eq!(at_20, (0..16).map(|k| k * 250).collect::<Vec<_>>());
        assert_eq!(at_20, at_40);
        // 24 fps does not divide 250 ms: each sample is the first frame at or
        // after the grid point, within one frame period.
        let at_24 = sampled(four, (0..96).map(|i| i as f64 / 24.0));
        assert_eq!(at_24.len(), 16);
        for (k, t) in at_24.iter().enumerate() {
            let grid = k as u32 * 250;
            assert!(*t >= grid && *t < grid + 42, "sample {k} at {t} ms");
        }
    }

    #[test]
    fn dense_tolerates_rounded_timestamps() {
        let s = sampled(
            Sampling::Dense { fps: 4.0 },
            [0.0, 0.2496, 0.4996].into_iter(),
        );
        assert_eq!(s, vec![0, 250, 500]);
    }

    #[test]
    fn dense_samples_a_gap_once() {
        // Variable frame rate: a 2 s still between frames.
        let s = sampled(
            Sampling::Dense { fps: 4.0 },
            [0.0, 0.1, 2.3, 2.4, 2.5].into_iter(),
        );
        assert_eq!(s, vec![0, 2300, 2500]);
    }

    #[test]
    fn keyframes_takes_every_frame_once_per_millisecond() {
        let s = sampled(Sampling::Keyframes, [0.0, 2.0, 2.0002, 4.5].into_iter());
        assert_eq!(s, vec![0, 2000, 4500]);
    }
}
