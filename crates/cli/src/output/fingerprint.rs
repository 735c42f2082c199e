//! Fingerprints as text: `vfp show` and `vfp extract`'s line per file.

use std::fmt::Write as _;
use std::path::Path;
use vfp_fingerprint::{Fingerprint, ViewRegion};

/// `vfp show --format human`: the source, the parameters, the views and
/// the frames.
pub fn describe(fp: &Fingerprint) -> String {
    let s = &fp.source;
    let mut out = String::new();
    let _ = writeln!(out, "source     {} ({} bytes)", s.file_name, s.file_size);
    let _ = writeln!(out, "sha256     {}", s.sha256_hex());
    let _ = writeln!(
        out,
        "video      {} {}x{} at {:.3} fps, {:.3} s, rotation {}°",
        s.codec,
        s.width,
        s.height,
        s.fps,
        s.duration_ms as f64 / 1000.0,
        s.rotation_deg
    );
    let _ = writeln!(out, "sampling   {}", fp.params.sampling);
    let _ = writeln!(out, "hash       {}", fp.params.hash);
    let _ = writeln!(out, "views      whole picture");
    for v in &fp.views {
        let region = match v.region {
            ViewRegion::Active => "centred",
            ViewRegion::Inset => "inset picture",
            ViewRegion::Frame => "uncut frame",
            ViewRegion::Window => "9:16 window",
            ViewRegion::UpperPaneWindow => "9:16 window of a split screen's upper picture",
            ViewRegion::LowerPaneWindow => "9:16 window of a split screen's lower picture",
            ViewRegion::Screen => "filmed screen, unwarped",
        };
        let used = v.frames.iter().filter(|f| f.is_informative()).count();
        let _ = writeln!(
            out,
            "           {region} {} % ({used} informative)",
            v.zoom_pct
        );
    }
    let span = match (fp.frames.first(), fp.frames.last()) {
        (Some(a), Some(b)) => format!(
            ", {:.3} s to {:.3} s",
            a.t_ms as f64 / 1000.0,
            b.t_ms as f64 / 1000.0
        ),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "frames     {} ({} informative){span}",
        fp.frames.len(),
        fp.informative_frames()
    );
    let _ = writeln!(out, "features   {}", local_features(fp));
    out
}

/// The local features in a line: pictures, keypoints and scales.
fn local_features(fp: &Fingerprint) -> String {
    if fp.features.is_empty() {
        return "none".into();
    }
    let mut scales: Vec<u8> = fp.features.iter().map(|f| f.scale_pct).collect();
    scales.sort_unstable_by(|a, b| b.cmp(a));
    scales.dedup();
    let mut times: Vec<u32> = fp.features.iter().map(|f| f.t_ms).collect();
    times.dedup();
    let keypoints: usize = fp.features.iter().map(|f| f.keypoints.len()).sum();
    let scales: Vec<String> = scales.iter().map(|s| format!("{s} %")).collect();
    format!(
        "{} pictures, {keypoints} keypoints, at {}",
        times.len(),
        scales.join(", ")
    )
}

/// `vfp extract`'s line per file, on stderr.
pub fn extracted(video: &Path, target: Option<&Path>, fp: &Fingerprint) -> String {
    let dest = target.map_or_else(String::new, |t| format!(" -> {}", t.display()));
    format!(
        "{}: {} frames ({} informative) over {:.1} s{dest}\n",
        video.display(),
        fp.frames.len(),
        fp.informative_frames(),
        fp.source.duration_ms as f64 / 1000.0
    )
}
