//! `vfp bench` output: tables a capacity plan can quote, or one JSON
//! document with every figure.

use super::{count, printable};
use std::fmt::Write as _;
use vfp_scan::bench::{BenchReport, FileBench, Stage};
use vfp_scan::process::PeakScope;
use vfp_scan::Verdict;

/// The report as JSON (the same fields as [`BenchReport`]).
pub fn json(report: &BenchReport) -> anyhow::Result<String> {
    let mut text = serde_json::to_string_pretty(report)?;
    text.push('\n');
    Ok(text)
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes with a unit (kB, MB, GB: powers of 1000).
fn bytes(n: u64) -> String {
    let n = n as f64;
    if n >= 1e9 {
        format!("{:.2} GB", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.1} MB", n / 1e6)
    } else {
        format!("{:.1} kB", n / 1e3)
    }
}

fn ratio(scan_s: f64, decode_s: Option<f64>) -> String {
    match decode_s {
        Some(d) if d > 0.0 => format!("{:.2}", scan_s / d),
        _ => "-".into(),
    }
}

fn verdict_word(f: &FileBench) -> String {
    match (f.verdict, &f.error) {
        (_, Some(_)) | (Verdict::Error, _) => "error".into(),
        (Verdict::Match, _) => format!("match ({})", f.matches),
        (Verdict::NoMatch, _) => "no match".into(),
        (Verdict::Skipped, _) => "skipped".into(),
        (Verdict::Inconclusive, _) => "inconclusive".into(),
    }
}

/// The report as tables.
pub fn human(r: &BenchReport) -> String {
    let mut out = String::new();
    let t = &r.totals;
    let s = &r.settings;
    let _ = writeln!(
        out,
        "vfp bench {} on {}{}: {}, {:.1} s of video, one at a time, {} decoder thread{}, median of {} pass{} each",
        r.vfp_version,
        count(r.machine.cores, "core"),
        r.machine
            .cpu
            .as_deref()
            .map_or_else(String::new, |c| format!(" ({c})")),
        count(t.files, "file"),
        t.clip_s,
        s.decoder_threads,
        if s.decoder_threads == 1 { "" } else { "s" },
        s.repeat,
        if s.repeat == 1 { "" } else { "es" },
    );
    let c = &r.catalog;
    let _ = writeln!(
        out,
        "catalog   {}{}: {}, {} frames{}, {}, {} ({:.1} B/frame, search structures {}), open {:.2} ms{}",
        printable(&c.path),
        if c.built_in { " (built-in)" } else { "" },
        count(c.titles, "title"),
        thousands(c.frames as u64),
        if c.padded_frames > 0 {
            format!(" (of which {} synthetic)", thousands(c.padded_frames))
        } else {
            String::new()
        },
        count(c.segments, "segment"),
        bytes(c.bytes),
        c.bytes_per_frame,
        bytes(c.search_bytes),
        c.open_ms,
        if c.local_features {
            ", local features"
        } else {
            ", no local features"
        },
    );
    let _ = writeln!(
        out,
        "scan      radius {} ({}), follow radius {}, {}",
        s.radius,
        if s.dense_search {
            "every moment"
        } else {
            "tiered: six moments a second"
        },
        s.follow_radius,
        if s.fast {
            "--fast keyframe triage (reference: keyframe-only decoding)".to_owned()
        } else {
            format!("{} samples/s (reference: decoding every frame)", s.fps)
        }
    );
    out.push('\n');

    let name_w = r
        .files
        .iter()
        .map(|f| file_label(f).chars().count())
        .chain([5])
        .max()
        .unwrap_or(5);
    let _ = writeln!(
        out,
        "{:<name_w$}  {:>10}  {:>5}  {:>8}  {:>9}  {:>7}  {:>12}  {:>9}  {:>7}  verdict",
        "file",
        "picture",
        "codec",
        "video s",
        "decode s",
        "scan s",
        "scan/decode",
        "lookups",
        "hits"
    );
    for f in &r.files {
        let (picture, codec) = match &f.video {
            Some(v) => (format!("{}×{}", v.width, v.height), v.codec.clone()),
            None => ("-".into(), "-".into()),
        };
        let _ = writeln!(
            out,
            "{:<name_w$}  {:>10}  {:>5}  {:>8.1}  {:>9}  {:>7.2}  {:>12}  {:>9}  {:>7}  {}",
            file_label(f),
            picture,
            codec,
            f.clip_s,
            f.decode_only_s.map_or("-".into(), |d| format!("{d:.2}")),
            f.scan.total_s,
            ratio(f.scan.total_s, f.decode_only_s),
            thousands(f.scan.hash_lookups),
            thousands(f.scan.hash_hits),
            verdict_word(f),
        );
    }
    let _ = writeln!(
        out,
        "{:<name_w$}  {:>10}  {:>5}  {:>8.1}  {:>9.2}  {:>7.2}  {:>12}  {:>9}  {:>7}",
        "total",
        "",
        "",
        t.clip_s,
        t.decode_only_s,
        t.scan_s,
        t.scan_over_decode
            .map_or_else(|| "-".into(), |x| format!("{x:.2}")),
        thousands(t.cost.hash_lookups),
        thousands(t.cost.hash_hits),
    );
    out.push('\n');

    let _ = writeln!(out, "{:<20} {:>8}  {:>6}", "stage", "s", "share");
    let stage = |out: &mut String, name: &str, st: &Stage| {
        let _ = writeln!(out, "{name:<20} {:>8.2}  {:>5.1} %", st.s, st.share * 100.0);
    };
    let st = &t.stages;
    for (name, s) in [
        ("read (SHA-256)", &st.read),
        ("decode", &st.decode),
        ("scaling", &st.scale),
        ("framing", &st.framing),
        ("views", &st.views),
        ("hashing", &st.hash),
        ("local features", &st.features),
        ("other extraction", &st.other),
        ("catalog search", &st.search),
        ("matching", &st.matching),
    ] {
        stage(&mut out, name, s);
    }
    out.push('\n');

    let _ = writeln!(
        out,
        "throughput  {:.2} files/s, {:.1} s of video per CPU-second{}",
        t.files_per_s,
        t.clip_s_per_core_s,
        t.decode_only_clip_s_per_s
            .map_or_else(String::new, |x| format!(
                "; decoding alone {x:.1} s of video a second"
            )),
    );
    let _ = writeln!(
        out,
        "search      {} hash lookups ({} a second of search), {} hits per lookup; {} keypoint lookups; {} title frames compared along matches",
        thousands(t.cost.hash_lookups),
        t.lookups_per_s
            .map_or_else(|| "-".into(), |x| thousands(x.round() as u64)),
        t.hits_per_lookup
            .map_or_else(|| "-".into(), |x| format!("{x:.3}")),
        thousands(t.cost.keypoint_lookups),
        thousands(t.cost.follow_probes),
    );
    let _ = writeln!(
        out,
        "passes      {} of {} files scanned again at {} samples a second (evidence of a title short of a match)",
        thousands(t.cost.rescans),
        thousands(t.files as u64),
        vfp_scan::RESCAN_FPS,
    );
    let _ = writeln!(
        out,
        "memory      peak {} resident{}",
        bytes(r.peak_rss_bytes),
        match r.peak_rss_scope {
            PeakScope::SinceReset => " while scanning",
            PeakScope::Process => " over the whole run",
        }
    );
    if let Some(p) = &r.parallel {
        let _ = writeln!(
            out,
            "parallel    -j {}: {:.2} files/s, {:.1} s of video a second, efficiency {:.2} (throughput over {} × one at a time)",
            p.jobs, p.files_per_s, p.clip_s_per_s, p.efficiency, p.jobs
        );
    }
    if let (Some(build_s), Some(rate)) = (c.pad_build_s, c.pad_frames_per_s) {
        let _ = writeln!(
            out,
            "padding     {} synthetic frames added in {:.1} s ({} frames/s)",
            thousands(c.padded_frames),
            build_s,
            thousands(rate.round() as u64)
        );
    }
    out.push('\n');
    let _ = writeln!(out, "{}", r.verdict);
    if let Some(z) = &r.sizing {
        let _ = writeln!(
            out,
            "sizing: {} files a day of {:.1} s{} are {} s of video a day; at {:.2} s of video per CPU-second (measured here, one file at a time) they keep {:.1} cores busy around the clock, with no headroom for peaks or for files that cost more than these",
            thousands(z.files_per_day),
            z.clip_seconds,
            if z.clip_seconds_given { "" } else { " (the measured files' mean)" },
            thousands(z.video_s_per_day.round() as u64),
            z.video_s_per_core_s,
            z.cores
        );
    }
    for f in r.files.iter().filter(|f| f.error.is_some()) {
        if let Some(e) = &f.error {
            let _ = writeln!(out, "error: {}", printable(e));
        }
    }
    out
}

/// A file as the table names it: its file name (folders left out).
fn file_label(f: &FileBench) -> String {
    let name = std::path::Path::new(&f.file)
        .file_name()
        .map_or_else(|| f.file.clone(), |n| n.to_string_lossy().into_owned());
    printable(&name).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(12_345_678), "12,345,678");
        assert_eq!(bytes(1_500), "1.5 kB");
        assert_eq!(bytes(2_500_000), "2.5 MB");
        assert_eq!(bytes(3_210_000_000), "3.21 GB");
        assert_eq!(ratio(3.0, Some(2.0)), "1.50");
        assert_eq!(ratio(3.0, None), "-");
    }
}
