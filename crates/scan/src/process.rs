//! What the running process has used: CPU time and peak memory, for
//! `vfp bench` (the figures `/usr/bin/time -v` gives for a whole command,
//! but around the scans alone).

/// CPU time the process has used so far, user and system, every thread,
/// s.
pub fn cpu_time_s() -> f64 {
    let Some(usage) = rusage() else {
        return 0.0;
    };
    let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    s(usage.ru_utime) + s(usage.ru_stime)
}

/// What the process has used so far (`getrusage`), if the system says.
fn rusage() -> Option<libc::rusage> {
    // SAFETY: getrusage writes the struct it is given and nothing else;
    // a zeroed rusage is a valid value of it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a rusage we own, for RUSAGE_SELF.
    (unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0).then_some(usage)
}

/// Where a peak of memory was measured from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeakScope {
    /// Since [`reset_peak_rss`] (Linux: the high-water mark was reset).
    SinceReset,
    /// Since the process started (the reset is not available here).
    Process,
}

/// Starts a new high-water mark of resident memory at the current size,
/// where the system allows (Linux 4.0 and later); returns whether it did.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Peak resident memory, bytes, and since when: the high-water mark
/// (reset by [`reset_peak_rss`] if `was_reset`), else the process's
/// lifetime peak.
pub fn peak_rss_bytes(was_reset: bool) -> (u64, PeakScope) {
    if was_reset {
        if let Some(kb) = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| status_kb(&s, "VmHWM:"))
        {
            return (kb * 1024, PeakScope::SinceReset);
        }
    }
    let kb = rusage().map_or(0, |u| u.ru_maxrss.max(0) as u64);
    (kb * 1024, PeakScope::Process)
}

/// The value in kB of the `/proc/self/status` line starting with `key`.
fn status_kb(status: &str, key: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..]
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_grows_with_work() {
        let before = cpu_time_s();
        let mut x = 1u64;
        let started = std::time::Instant::now();
        while started.elapsed().as_millis() < 50 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        assert!(cpu_time_s() > before, "{before}");
    }

    #[test]
    fn the_peak_is_read_from_the_status_line() {
        let status = "Name:\tvfp\nVmPeak:\t  100 kB\nVmHWM:\t   2048 kB\nVmRSS:\t 1024 kB\n";
        assert_eq!(status_kb(status, "VmHWM:"), Some(2048));
        assert_eq!(status_kb(status, "VmSwap:"), None);
        let (bytes, _) = peak_rss_bytes(reset_peak_rss());
        assert!(bytes > 1_000_000, "{bytes}");
    }
}
