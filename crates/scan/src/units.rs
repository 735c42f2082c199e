//! Times and numbers as records and pages show them: one home for the
//! conversions every output format shares.

/// `HH:MM:SS.mmm`, hours growing past 99 if need be.
pub fn timecode(ms: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// Milliseconds as seconds.
pub fn seconds(ms: u32) -> f64 {
    f64::from(ms) / 1000.0
}

/// `x` rounded to `decimals` places, for records read by people and
/// compared by tools (`0.981`, not `0.98127364`).
pub fn round_to(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timecodes() {
        assert_eq!(timecode(0), "00:00:00.000");
        assert_eq!(timecode(3_723_045), "01:02:03.045");
        assert_eq!(timecode(59_999), "00:00:59.999");
        assert_eq!(timecode(100 * 3_600_000), "100:00:00.000");
    }

    #[test]
    fn seconds_and_rounding() {
        assert_eq!(seconds(5_964), 5.964);
        assert_eq!(round_to(0.981_273_64, 3), 0.981);
        assert_eq!(round_to(1.0005, 0), 1.0);
        assert_eq!(round_to(12.345_6, 1), 12.3);
    }
}
