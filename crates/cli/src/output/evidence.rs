//! The self-contained HTML evidence page of `vfp verify --report`: clip and
//! title facts, each matched segment with timecodes, a plot of per-frame
//! distance over clip time, and catalog frames beside clip frames at
//! several points, images inlined so that the page can be attached to a
//! notice as one file.
//!
//! The page is `templates/evidence.html` (askama: checked at compile time,
//! every value HTML-escaped); this module computes what it shows.

use crate::files::write_atomically;
use anyhow::Result;
use askama::Template;
use base64::Engine as _;
use std::path::Path;
use vfp_extractor::Thumbnail;
use vfp_scan::record::{FramePair, SegmentEvidence};
use vfp_scan::units::timecode;
use vfp_scan::Verification;

/// Frames shown side by side per segment.
const POINTS: usize = 4;
/// Thumbnail width in pixels.
const THUMB_WIDTH: u32 = 320;

/// The page.
#[derive(Template)]
#[template(path = "evidence.html")]
struct Page<'a> {
    v: &'a Verification,
    thumb_width: u32,
    version: &'static str,
    segments: Vec<SegmentView<'a>>,
}

/// One matched segment as the page shows it.
struct SegmentView<'a> {
    /// 1-based.
    number: usize,
    evidence: &'a SegmentEvidence,
    plot: Plot,
    pairs: Vec<PairView>,
}

/// A frame pair shown side by side.
struct PairView {
    clip_tc: String,
    title_tc: String,
    clip_picture: Picture,
    title_picture: Picture,
    distance: u32,
}

/// A picture of a frame, or why there is none.
enum Picture {
    /// A PNG data URL.
    Image(String),
    /// Why no picture is shown.
    Missing(String),
}

/// The distance plot's geometry, in SVG units.
struct Plot {
    width: f64,
    height: f64,
    pad: f64,
    top: f64,
    plot_width: f64,
    plot_height: f64,
    right: f64,
    bottom: f64,
    axis_bottom: f64,
    /// `x,y` pairs of the polyline.
    points: String,
    /// Height of the search radius line.
    search_y: f64,
    search_radius: u32,
    /// The axis' largest distance: the wider radius.
    max_radius: u32,
    first_tc: String,
    last_tc: String,
}

/// Writes the page for `v` to `out`, atomically; thumbnails from `clip`
/// and from each title's source video where this machine has it.
pub fn write(v: &Verification, clip: &Path, out: &Path) -> Result<()> {
    let html = render(v, clip)?;
    write_atomically(out, html.as_bytes())
}

/// The page's HTML.
pub fn render(v: &Verification, clip: &Path) -> Result<String> {
    let segments = v
        .segments
        .iter()
        .enumerate()
        .map(|(i, s)| SegmentView {
            number: i + 1,
            evidence: s,
            plot: plot(s, v.radius, v.follow_radius),
            pairs: pairs(s, clip),
        })
        .collect();
    let page = Page {
        v,
        thumb_width: THUMB_WIDTH,
        version: env!("CARGO_PKG_VERSION"),
        segments,
    };
    Ok(page.render()?)
}

/// Frame pairs spread over the segment, with their pictures.
fn pairs(s: &SegmentEvidence, clip: &Path) -> Vec<PairView> {
    let picks: Vec<FramePair> = if s.frames.len() <= POINTS {
        s.frames.clone()
    } else {
        (0..POINTS)
            .map(|k| s.frames[k * (s.frames.len() - 1) / (POINTS - 1)])
            .collect()
    };
    let clip_times: Vec<u32> = picks.iter().map(|f| f.clip_ms).collect();
    let title_times: Vec<u32> = picks.iter().map(|f| f.title_ms).collect();
    let clip_pictures = pictures(clip, &clip_times);
    let title_pictures = if s.title_source_path.is_empty() {
        Err("the title's source video is not recorded in the catalog".into())
    } else {
        same_source(Path::new(&s.title_source_path), &s.title_sha256)
            .and_then(|path| pictures(path, &title_times))
    };
    picks
        .iter()
        .enumerate()
        .map(|(k, f)| PairView {
            clip_tc: timecode(u64::from(f.clip_ms)),
            title_tc: timecode(u64::from(f.title_ms)),
            clip_picture: picture(&clip_pictures, k),
            title_picture: picture(&title_pictures, k),
            distance: f.distance,
        })
        .collect()
}

/// Per-frame distance over clip time, with the search radius marked:
/// frames beyond it were found by following the match.
fn plot(s: &SegmentEvidence, search_radius: u32, follow_radius: u32) -> Plot {
    let max_radius = search_radius.max(follow_radius);
    let (width, height, pad) = (900.0, 220.0, 40.0);
    let (t0, t1) = (
        f64::from(s.frames.first().map_or(0, |f| f.clip_ms)),
        f64::from(s.frames.last().map_or(1, |f| f.clip_ms)),
    );
    let span = (t1 - t0).max(1.0);
    let ymax = f64::from(max_radius.max(1));
    let x = |t: u32| pad + (f64::from(t) - t0) / span * (width - 2.0 * pad);
    let y = |d: u32| pad / 2.0 + f64::from(d).min(ymax) / ymax * (height - 1.5 * pad);
    let points: Vec<String> = s
        .frames
        .iter()
        .map(|f| format!("{:.1},{:.1}", x(f.clip_ms), y(f.distance)))
        .collect();
    Plot {
        width,
        height,
        pad,
        top: pad / 2.0,
        plot_width: width - 2.0 * pad,
        plot_height: height - 1.5 * pad,
        right: width - pad,
        bottom: height - 4.0,
        axis_bottom: height - pad,
        points: points.join(" "),
        search_y: y(search_radius),
        search_radius,
        max_radius,
        first_tc: timecode(t0 as u64),
        last_tc: timecode(t1 as u64),
    }
}

type Pictures = std::result::Result<Vec<Option<String>>, String>;

/// PNG data URLs of `path` at `times_ms`, or why there are none.
fn pictures(path: &Path, times_ms: &[u32]) -> Pictures {
    if vfp_scan::is_fingerprint_file(path) {
        return Err("a fingerprint has no pictures".into());
    }
    if !path.exists() {
        return Err(format!("{} is not available here", path.display()));
    }
    let thumbs =
        vfp_extractor::thumbnails(path, times_ms, THUMB_WIDTH).map_err(|e| e.to_string())?;
    Ok(thumbs
        .into_iter()
        .map(|t| t.and_then(|t| png_data_url(&t)))
        .collect())
}

/// `path` if it holds the title's video: frames are shown as the title's
/// only from a file whose SHA-256 is the one the catalog recorded, never
/// from whatever another file at that path shows (false evidence).
fn same_source<'p>(path: &'p Path, title_sha256: &str) -> Result<&'p Path, String> {
    if vfp_scan::is_fingerprint_file(path) {
        return Err("the catalog was built from fingerprints, which have no pictures".into());
    }
    if !path.exists() {
        return Err(format!(
            "the title's source video ({}) is not available here",
            path.display()
        ));
    }
    let (_, sha256) = vfp_extractor::file_sha256(path).map_err(|e| e.to_string())?;
    let found = vfp_fingerprint::to_hex(&sha256);
    if found != title_sha256 {
        return Err(format!(
            "the file now at the title's source path ({}) is not the title's video (SHA-256 {found}, the catalog recorded {title_sha256}); no frames are shown from it",
            path.display()
        ));
    }
    Ok(path)
}

fn png_data_url(t: &Thumbnail) -> Option<String> {
    let img = image::RgbImage::from_raw(t.width, t.height, t.rgb.clone())?;
    let mut bytes = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )
    .ok()?;
    Some(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

fn picture(pictures: &Pictures, k: usize) -> Picture {
    match pictures {
        Ok(p) => match p.get(k).cloned().flatten() {
            Some(url) => Picture::Image(url),
            None => Picture::Missing("no frame at this time".into()),
        },
        Err(why) => Picture::Missing(why.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::verify::tests::verification;

    #[test]
    fn the_page_shows_each_segment_and_escapes_what_it_quotes() {
        let mut v = verification(true);
        v.segments[0].title_name = "<script>alert(1)</script> & co".into();
        let html = render(&v, Path::new("clip.vfp")).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(
            html.contains("Segment 1: ep1 &ldquo;&#60;script&#62;")
                || html.contains("Segment 1: ep1 &ldquo;&lt;script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script>"));
        assert!(html.contains("search radius 31"));
        assert!(html.contains("<polyline"));
        assert!(html.contains("a fingerprint has no pictures"));
        assert!(
            html.contains("source video (/nowhere/ep1.mp4) is not available here"),
            "{html}"
        );
        assert_eq!(
            html.matches("<tr><td>00:00:0").count(),
            3,
            "one row per pair"
        );
        assert!(html.contains("00:10:01.000"));
    }

    #[test]
    fn a_page_without_a_match_says_so() {
        let html = render(&verification(false), Path::new("clip.mp4")).unwrap();
        assert!(html.contains("No matching segment") && !html.contains("<svg"));
    }
}
