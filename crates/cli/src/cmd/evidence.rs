//! The self-contained HTML evidence page of `vfp verify`: clip and title
//! facts, each matched segment with timecodes, a plot of per-frame distance
//! over clip time, and catalog frames beside clip frames at several points,
//! images inlined so that the page can be attached to a notice as one file.

use crate::cmd::verify::{Report, SegmentEvidence};
use anyhow::{Context, Result};
use base64::Engine as _;
use std::fmt::Write as _;
use std::path::Path;
use vfp_extractor::Thumbnail;

/// Frames shown side by side per segment.
const POINTS: usize = 4;
/// Thumbnail width in pixels.
const THUMB_WIDTH: u32 = 320;

/// Writes the page for `report` to `out` (atomically).
pub fn write(report: &Report, clip: &Path, sources: &[Option<&Path>], out: &Path) -> Result<()> {
    let mut html = String::new();
    let _ = write!(
        html,
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>vfp evidence: {clip}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}}
.pair img{{width:{w}px;display:block}}.note{{color:#777}}code{{font-size:90%}}</style></head><body>
<h1>Video fingerprint evidence</h1>
<table><tr><th>Clip</th><td>{clip}</td></tr><tr><th>Clip SHA-256</th><td><code>{sha}</code></td></tr>
<tr><th>Clip duration</th><td>{dur:.3} s</td></tr><tr><th>Catalog</th><td>{cat}</td></tr>
<tr><th>Search</th><td>radius {radius} of 256 bits, {n} clip frames searched (direct and mirrored); frames along a match within {follow} bits of the title frame at their aligned time</td></tr></table>
"#,
        clip = esc(&report.clip),
        w = THUMB_WIDTH,
        sha = report.clip_sha256,
        dur = report.clip_duration_s,
        cat = esc(&report.catalog),
        radius = report.radius,
        follow = report.follow_radius,
        n = report.sampled_frames
    );
    if report.segments.is_empty() {
        html.push_str("<h2>No matching segment</h2>");
    }
    for (i, s) in report.segments.iter().enumerate() {
        segment(
            &mut html,
            i,
            s,
            Radii {
                search: report.radius,
                follow: report.follow_radius,
            },
            clip,
            sources.get(i).copied().flatten(),
        );
    }
    html.push_str("<p class=\"note\">Made by vfp ");
    html.push_str(env!("CARGO_PKG_VERSION"));
    html.push_str(". Distances are Hamming distances between 256-bit perceptual frame hashes; unrelated frames lie near 128.</p></body></html>\n");
    vfp_fingerprint::format::atomic_write(out, html.as_bytes())
        .with_context(|| format!("cannot write {}", out.display()))
}

fn segment(
    html: &mut String,
    i: usize,
    s: &SegmentEvidence,
    radii: Radii,
    clip: &Path,
    source: Option<&Path>,
) {
    let _ = write!(
        html,
        r#"<h2>Segment {n}: {id} &ldquo;{name}&rdquo; (score {score:.3})</h2>
<table><tr><th>Clip</th><td>{cs} &ndash; {ce}</td></tr><tr><th>Title</th><td>{ts} &ndash; {te} (title length {tl:.3} s)</td></tr>
<tr><th>Title SHA-256</th><td><code>{tsha}</code></td></tr>
<tr><th>Speed</th><td>{speed:.3}{mirror}</td></tr><tr><th>Matched frames</th><td>{m} of {sampled} ({cov:.0} %; {searched} found by the catalog search, the rest along the match), mean distance {md:.1} bits</td></tr></table>
"#,
        n = i + 1,
        id = esc(&s.title_id),
        name = esc(&s.title_name),
        score = s.score,
        cs = s.clip_start,
        ce = s.clip_end,
        ts = s.title_start,
        te = s.title_end,
        tl = s.title_duration_s,
        tsha = esc(&s.title_sha256),
        speed = s.speed,
        mirror = if s.mirrored { ", mirrored" } else { "" },
        m = s.matched_frames,
        searched = s.searched_frames,
        sampled = s.sampled_frames,
        cov = s.coverage * 100.0,
        md = s.mean_distance
    );
    plot(html, s, radii);
    // Evidence points spread over the matched frames.
    let picks: Vec<[u32; 3]> = if s.frames.len() <= POINTS {
        s.frames.clone()
    } else {
        (0..POINTS)
            .map(|k| s.frames[k * (s.frames.len() - 1) / (POINTS - 1)])
            .collect()
    };
    let clip_times: Vec<u32> = picks.iter().map(|f| f[0]).collect();
    let title_times: Vec<u32> = picks.iter().map(|f| f[1]).collect();
    let clip_pics = pictures(clip, &clip_times);
    let title_pics = match source {
        Some(p) => pictures(p, &title_times),
        None => Err("the title's source video is not available here".into()),
    };
    html.push_str("<table class=\"pair\"><tr><th>Clip time</th><th>Clip frame</th><th>Catalog frame</th><th>Title time</th><th>Distance</th></tr>");
    for (k, f) in picks.iter().enumerate() {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} bits</td></tr>",
            crate::cmd::index::timecode(u64::from(f[0])),
            cell(&clip_pics, k),
            cell(&title_pics, k),
            crate::cmd::index::timecode(u64::from(f[1])),
            f[2]
        );
    }
    html.push_str("</table>");
}

/// The radii a report was made with, in bits.
#[derive(Clone, Copy)]
struct Radii {
    /// Of the catalog search.
    search: u32,
    /// Of frames along a match.
    follow: u32,
}

/// Per-frame distance over clip time, as inline SVG, with the search
/// radius marked: frames beyond it were found by following the match.
fn plot(html: &mut String, s: &SegmentEvidence, radii: Radii) {
    let radius = radii.search.max(radii.follow);
    let (w, h, pad) = (900.0, 220.0, 40.0);
    let (t0, t1) = (
        f64::from(s.frames.first().map_or(0, |f| f[0])),
        f64::from(s.frames.last().map_or(1, |f| f[0])),
    );
    let span = (t1 - t0).max(1.0);
    let ymax = f64::from(radius.max(1));
    let x = |t: u32| pad + (f64::from(t) - t0) / span * (w - 2.0 * pad);
    let y = |d: u32| pad / 2.0 + f64::from(d).min(ymax) / ymax * (h - 1.5 * pad);
    let points: Vec<String> = s
        .frames
        .iter()
        .map(|f| format!("{:.1},{:.1}", x(f[0]), y(f[2])))
        .collect();
    let _ = write!(
        html,
        r##"<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="distance per clip frame">
<rect x="{pad}" y="{top}" width="{pw}" height="{ph}" fill="#fafafa" stroke="#ccc"/>
<polyline fill="none" stroke="#1565c0" stroke-width="1.5" points="{pts}"/>
<line x1="{pad}" y1="{ys}" x2="{right}" y2="{ys}" stroke="#c62828" stroke-dasharray="4 4"/><text x="{right}" y="{ys_label}" font-size="11" text-anchor="end" fill="#c62828">search radius {search}; frames below the line, farther, were found along the match</text>
<text x="{pad}" y="{bottom}" font-size="12">{l0}</text><text x="{right}" y="{bottom}" font-size="12" text-anchor="end">{l1}</text>
<text x="4" y="{top2}" font-size="12">0</text><text x="4" y="{ybot}" font-size="12">{radius}</text>
<text x="{mid}" y="{bottom}" font-size="12" text-anchor="middle">clip time; distance to the title frame (bits, lower is closer)</text></svg>"##,
        top = pad / 2.0,
        pw = w - 2.0 * pad,
        ph = h - 1.5 * pad,
        pts = points.join(" "),
        bottom = h - 4.0,
        right = w - pad,
        l0 = crate::cmd::index::timecode(t0 as u64),
        l1 = crate::cmd::index::timecode(t1 as u64),
        top2 = pad / 2.0 + 4.0,
        ybot = h - pad,
        mid = w / 2.0,
        ys = y(radii.search),
        ys_label = y(radii.search) - 3.0,
        search = radii.search,
    );
}

type Pictures = std::result::Result<Vec<Option<String>>, String>;

/// PNG data URLs of `path` at `times_ms`, or why there are none.
fn pictures(path: &Path, times_ms: &[u32]) -> Pictures {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("vfp"))
    {
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

fn cell(pics: &Pictures, k: usize) -> String {
    match pics {
        Ok(p) => match p.get(k).cloned().flatten() {
            Some(url) => format!("<img src=\"{url}\" alt=\"frame\">"),
            None => "<span class=\"note\">no frame at this time</span>".into(),
        },
        Err(why) => format!("<span class=\"note\">{}</span>", esc(why)),
    }
}

/// Text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
