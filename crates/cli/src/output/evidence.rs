//! The evidence of `vfp verify --report` / `--bundle`, printed: a
//! self-contained HTML page a reviewer signs from (a plain verdict with
//! how sure it is, where the clip came from and how to reproduce the
//! check, then each matched segment with timecodes, a plot of per-frame
//! distance over clip time and catalog frames beside clip frames, images
//! inlined so that the page is one file to attach), and the same as JSON
//! with every matched frame pair ([`Report`]).
//!
//! The page is `templates/evidence.html` (askama: checked at compile time,
//! every value HTML-escaped). Everything it shows is gathered by the
//! engine ([`vfp_scan::evidence::Evidence`]); this module only puts it
//! into words, a plot and PNG pictures.

use crate::files::{new_folder, write_new_file};
use anyhow::{Context, Result};
use askama::Template;
use base64::Engine as _;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::Path;
use vfp_extractor::Thumbnail;
use vfp_scan::evidence::{Evidence, Provenance, ShownPair, THUMBNAIL_WIDTH};
use vfp_scan::record::{FoundBy, SegmentEvidence};
use vfp_scan::units::timecode;
use vfp_scan::Verification;

use super::measured::Measured;
use super::review::Review;

/// The version of the report's JSON ([`Report`]).
pub const REPORT_FORMAT: u32 = 1;

/// Everything the page shows, as JSON (`report.json` of `--bundle`):
/// the verdict in words, the provenance, and the verification with every
/// matched frame pair.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    /// [`REPORT_FORMAT`].
    pub format: u32,
    /// The verdict paragraph at the top of the page.
    pub verdict: String,
    /// How sure: what the measured error rates say for these settings.
    pub how_sure: String,
    /// Where the clip came from, how the check was made, and what the
    /// review ledger says of it.
    pub provenance: ReportProvenance<'a>,
    /// The check itself.
    pub verification: &'a Verification,
}

/// The provenance as the report gives it: with what the review ledger
/// says of the clip (`--ledger`), decisions made and whether the clip or
/// its source is allow-listed.
#[derive(Debug, Serialize)]
pub struct ReportProvenance<'a> {
    /// Given by the reviewer and recorded by vfp.
    #[serde(flatten)]
    pub recorded: &'a Provenance,
    /// The ledger's word on the clip, when a ledger was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<&'a Review>,
}

/// The page.
#[derive(Template)]
#[template(path = "evidence.html")]
struct Page<'a> {
    v: &'a Verification,
    p: &'a Provenance,
    review: Option<&'a Review>,
    verdict: String,
    how_sure: String,
    thumb_width: u32,
    segments: Vec<SegmentView<'a>>,
}

/// One matched segment as the page shows it.
struct SegmentView<'a> {
    /// 1-based.
    number: usize,
    evidence: &'a SegmentEvidence,
    plot: Plot,
    pairs: Vec<PairView>,
    /// Its matched frames by the evidence each is: `12 found by the
    /// catalog search, 140 along the match`, `6 by keypoints`.
    found_by: String,
    /// The share of the title the segment shows, % ([`share_words`]).
    title_share: String,
    /// The title's release date is after the day the page was made.
    unreleased: bool,
}

/// A frame pair shown side by side.
struct PairView {
    clip_tc: String,
    title_tc: String,
    clip_picture: Picture,
    title_picture: Picture,
    /// Where the title's picture comes from when not its video; empty
    /// when it is.
    title_from: String,
    distance: u32,
    /// Which evidence the pair is, and what its distance measures.
    evidence: &'static str,
}

/// What a pair found a way is, and what its distance measures.
fn evidence_words(found_by: FoundBy) -> &'static str {
    match found_by {
        FoundBy::Search => "frame hashes, found by the catalog search",
        FoundBy::Follow => "frame hashes, found along the match",
        FoundBy::Keypoints => "keypoints shared with the title picture (mean descriptor distance)",
    }
}

/// A segment's matched frames by the evidence each is.
fn found_by_words(s: &SegmentEvidence) -> String {
    let count = |kind: FoundBy| s.frames.iter().filter(|f| f.found_by == kind).count();
    let parts: Vec<String> = [
        (FoundBy::Search, "found by the catalog search"),
        (FoundBy::Follow, "along the match"),
        (FoundBy::Keypoints, "by keypoints (local features)"),
    ]
    .into_iter()
    .filter_map(|(kind, words)| {
        let n = count(kind);
        (n > 0).then(|| format!("{n} {words}"))
    })
    .collect();
    if parts.is_empty() {
        "none listed".into()
    } else {
        parts.join(", ")
    }
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
    /// `x,y` pairs of the polyline: per title frame, the closest clip
    /// frame's hash distance.
    points: String,
    /// Pairs found by keypoints, drawn as dots: `(x, y)`.
    keypoints: Vec<(f64, f64)>,
    /// Height of the search radius line.
    search_y: f64,
    search_radius: u32,
    /// The axis' largest distance: the wider radius.
    max_radius: u32,
    first_tc: String,
    last_tc: String,
}

/// Writes the page of `e` to `out`, atomically, and its SHA-256 beside
/// it (`OUT.sha256`, as `sha256sum` writes it, so that an attachment can
/// be checked later); as new files ([`write_new_file`]: existing ones
/// only with `replace`, never through a link, mode 0644).
pub fn write(e: &Evidence, review: Option<&Review>, out: &Path, replace: bool) -> Result<()> {
    let html = render(e, review)?;
    write_new_file(out, html.as_bytes(), replace)?;
    write_checksum(out, html.as_bytes(), replace)
}

/// Writes the bundle into folder `dir` (created if missing; refused if
/// not empty unless `replace`, [`new_folder`]): `report.html`,
/// `report.json` and `SHA256SUMS` of both (`sha256sum -c SHA256SUMS`),
/// as new files ([`write_new_file`]).
pub fn write_bundle(
    e: &Evidence,
    review: Option<&Review>,
    dir: &Path,
    replace: bool,
) -> Result<()> {
    new_folder(dir, replace)?;
    let html = render(e, review)?;
    let (v, p) = (&e.verification, &e.provenance);
    let report = Report {
        format: REPORT_FORMAT,
        verdict: verdict(v),
        how_sure: how_sure(v, p),
        provenance: ReportProvenance {
            recorded: p,
            review,
        },
        verification: v,
    };
    let mut json = serde_json::to_string_pretty(&report).context("cannot write the report")?;
    json.push('\n');
    write_new_file(&dir.join("report.html"), html.as_bytes(), replace)?;
    write_new_file(&dir.join("report.json"), json.as_bytes(), replace)?;
    let sums = format!(
        "{}  report.html\n{}  report.json\n",
        sha256_hex(html.as_bytes()),
        sha256_hex(json.as_bytes())
    );
    write_new_file(&dir.join("SHA256SUMS"), sums.as_bytes(), replace)
}

/// `OUT.sha256` beside `out`: `<hex>  <file name>`.
fn write_checksum(out: &Path, bytes: &[u8], replace: bool) -> Result<()> {
    let name = out
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let mut sum = out.as_os_str().to_owned();
    sum.push(".sha256");
    write_new_file(
        Path::new(&sum),
        format!("{}  {name}\n", sha256_hex(bytes)).as_bytes(),
        replace,
    )
}

fn sha256_hex(bytes: &[u8]) -> String {
    vfp_fingerprint::to_hex(&Sha256::digest(bytes).into())
}

/// The page's HTML.
pub fn render(e: &Evidence, review: Option<&Review>) -> Result<String> {
    let (v, p) = (&e.verification, &e.provenance);
    let segments = v
        .segments
        .iter()
        .zip(&e.pairs)
        .enumerate()
        .map(|(i, (s, pairs))| SegmentView {
            number: i + 1,
            evidence: s,
            plot: plot(s, v.radius, v.follow_radius),
            pairs: pairs.iter().map(pair_view).collect(),
            found_by: found_by_words(s),
            title_share: share_words(title_share_pct(s)),
            unreleased: unreleased(&s.title_facts.release_date, &p.generated_at_utc),
        })
        .collect();
    let page = Page {
        v,
        p,
        review,
        verdict: verdict(v),
        how_sure: how_sure(v, p),
        thumb_width: THUMBNAIL_WIDTH,
        segments,
    };
    Ok(page.render()?)
}

/// What was found, in plain words: the strongest segment, and how many
/// more there are; or that nothing qualifies and what was searched.
pub fn verdict(v: &Verification) -> String {
    if let (None, Some(why)) = (v.segments.first(), &v.inconclusive_because) {
        return format!(
            "No verdict: nothing in this clip matches a catalog title, but that says little, because {}. Whether the clip shows a catalog title cannot be told from it; check it by eye, or check a longer or complete copy.",
            inconclusive_reason(why)
        );
    }
    let Some(s) = v.segments.first() else {
        return format!(
            "No part of this clip matches a catalog title. {} informative moments of the clip were searched in the catalog within {} bits of 256 (direct and mirrored), and every match found was followed through the clip within {} bits; no stretch of the clip showed a title frame by frame at one consistent time offset and speed for long enough to count (see the thresholds below). Frames too plain to tell apart (black, flat colour) are not searched.",
            v.sampled_frames, v.radius, v.follow_radius
        );
    };
    let clip_s = (s.clip_end_s - s.clip_start_s).max(0.0);
    let share = if v.clip_duration_s > 0.0 {
        (clip_s / v.clip_duration_s * 100.0).min(100.0)
    } else {
        0.0
    };
    let mut how = Vec::new();
    if s.mirrored {
        how.push("mirrored".to_owned());
    }
    if (s.speed - 1.0).abs() >= 0.02 {
        how.push(format!("played at {:.2}× speed", s.speed));
    }
    let how = if how.is_empty() {
        String::new()
    } else {
        format!(", {}", how.join(", "))
    };
    let more = match v.segments.len() {
        1 => String::new(),
        2 => " One more matched segment is listed below.".into(),
        n => format!(" {} more matched segments are listed below.", n - 1),
    };
    let title = if s.title_name.is_empty() || s.title_name == s.title_id {
        s.title_id.clone()
    } else {
        format!("{} “{}”", s.title_id, s.title_name)
    };
    format!(
        "This clip shows the catalog title {title}: from {} to {} of the clip ({clip_s:.1} s, {share:.0} % of the clip) it shows {} to {} of the title ({} % of the title){how}. {} of the {} informative clip frames in that stretch show the title frame at the time one constant offset and speed give (mean distance {:.1} bits of 256; unrelated frames lie near 128), {} of them found by a search of the whole catalog. Score {:.3} of 1.{more}",
        s.clip_start,
        s.clip_end,
        s.title_start,
        s.title_end,
        share_words(title_share_pct(s)),
        s.matched_frames,
        s.sampled_frames,
        s.mean_distance,
        s.searched_frames,
        s.score,
    )
}

/// The reason of an inconclusive verdict without the file's name (the
/// page names the clip once, at its top).
fn inconclusive_reason(why: &str) -> &str {
    why.split_once(": ").map_or(why, |(_, reason)| reason)
}

/// What a "no match" is worth: the measured share of copies vfp misses,
/// and the kinds of copy it is known to miss.
fn how_sure_of_no_match() -> String {
    let missed = Measured::get().map_or_else(String::new, |m| {
        let a = &m.dev.accuracy;
        let missed = a.positives.saturating_sub(a.detected);
        format!(
            " On its measured evaluation vfp missed {missed} of {} copies of a few seconds ({:.1} %), and it misses more on sets it was not tuned on, most among short-video re-posts (see docs/accuracy.md in vfp's source).",
            a.positives,
            missed as f64 * 100.0 / a.positives.max(1) as f64
        )
    });
    format!(
        "How sure: a \"no match\" is not proof that the clip shows no catalog title.{missed} Known blind spots: a small picture-in-picture of a plain, low-texture title; a 9:16 frame whose blurred fill looks like the picture; stickers and caption boxes over most of the picture; a phone filming a screen at a steep angle; excerpts shorter than 1 s; a title not in this catalog (see its MANIFEST)."
    )
}

/// How sure a reader can be, from vfp's measured false-claim rate, when
/// the check ran at the settings it was measured at; for a clip without a
/// match, what a "no match" is worth.
pub fn how_sure(v: &Verification, p: &Provenance) -> String {
    if v.segments.is_empty() {
        return how_sure_of_no_match();
    }
    let defaults = vfp_scan::ScanSettings::default();
    let measured = !v.exploratory
        && v.radius <= defaults.radius
        && v.follow_radius <= defaults.follow_radius
        && p.min_frames >= defaults.min_frames
        && p.min_pictures >= defaults.min_pictures
        && p.min_duration_s >= defaults.min_duration_s;
    let settings = format!(
        "search radius {} bits, follow radius {}, at least {} matched frames over at least {} s",
        v.radius, v.follow_radius, p.min_frames, p.min_duration_s
    );
    let figures = Measured::get().filter(|m| m.false_claims() == 0);
    match figures {
        Some(m) if measured => {
            let (a, c, f) = (&m.dev.accuracy, &m.dev.cross, &m.dev.frames);
            let pairs = f
                .unrelated_pairs_millions
                .map_or_else(String::new, |n| format!("of {n} million pairs of an unrelated video moment and a catalog frame, "));
            format!(
                "How sure: at these settings ({settings}) vfp claimed no match in any of the {} files of its measured evaluation that show no catalog title ({} clips of unrelated video, {} unrelated full-length videos, {} files of titles outside the catalog), which bounds its false claims at about {:.1} % of files (95 % confidence); the distance margins measured there keep the rate far below that: {pairs}the nearest pair was {} bits apart, where the search looks within {} (re-framed unrelated clips of the short-video suite came within {}). The score ranks evidence for review; it is not a probability: on the evaluation's {} detected copies (clips of a few seconds) scores ran from {:.2} to {:.2}, median {:.2}, and a low score is a weaker or more transformed copy, still a copy. Reproduce the measurement with {} in vfp's source.",
                m.negative_files(),
                a.negatives,
                c.unrelated_videos,
                c.files,
                m.bound_pct(),
                f.nearest_bits(),
                defaults.radius,
                m.social.frames.nearest_negative_bits,
                a.detected,
                a.score_min,
                a.score_max,
                a.score_median,
                m.commands()
            )
        }
        Some(_) => format!(
            "How sure: these settings ({settings}{}) are looser than those vfp's false-claim rate was measured at (search radius {} bits, follow radius {}, at least {} frames over {} s): treat this as a lead to look into, not as evidence.",
            if v.exploratory { ", exploratory" } else { "" },
            defaults.radius,
            defaults.follow_radius,
            defaults.min_frames,
            defaults.min_duration_s
        ),
        // Figures with a false claim need words of their own: until then
        // the page says where to find them rather than a bound they break.
        None => format!(
            "How sure: at these settings ({settings}) vfp's measured evaluation recorded false claims (docs/measured.json in vfp's source): treat this as a lead to look into, and read the figures before relying on it."
        ),
    }
}

/// Whether a title released on `release_date` (`YYYY-MM-DD`) was not yet
/// released at `now_utc` (`YYYY-MM-DDTHH:MM:SSZ`): the dates compare as
/// text.
fn unreleased(release_date: &str, now_utc: &str) -> bool {
    !release_date.is_empty() && now_utc.get(..10).is_some_and(|today| today < release_date)
}

/// A share in %, to a tenth below 10 % (2 s of a 25-min episode is 0.1 %,
/// not 0 %).
fn share_words(pct: f64) -> String {
    if pct < 10.0 {
        format!("{pct:.1}")
    } else {
        format!("{pct:.0}")
    }
}

/// The share of its title a segment shows, %.
fn title_share_pct(s: &SegmentEvidence) -> f64 {
    if s.title_duration_s > 0.0 {
        ((s.title_end_s - s.title_start_s).max(0.0) / s.title_duration_s * 100.0).min(100.0)
    } else {
        0.0
    }
}

/// Per-frame distance over clip time, with the search radius marked:
/// frames beyond it were found by following the match. The clip is
/// sampled more densely than the title (15 a second against 4): a clip
/// frame between two title frames is compared with a title frame up to
/// 125 ms away, and drawn frame by frame the distances rose and fell in a
/// sawtooth that made a plain re-encode look weak. So for each title
/// frame the closest clip frame is drawn. Keypoint pairs, whose distance
/// is a descriptor distance, are dots of their own.
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
    // 0 at the bottom: lower is closer.
    let y = |d: u32| pad / 2.0 + (1.0 - f64::from(d).min(ymax) / ymax) * (height - 1.5 * pad);
    let mut closest: std::collections::BTreeMap<u32, &vfp_scan::record::FramePair> =
        std::collections::BTreeMap::new();
    for f in s.frames.iter().filter(|f| f.found_by != FoundBy::Keypoints) {
        let best = closest.entry(f.title_ms).or_insert(f);
        if f.distance < best.distance {
            *best = f;
        }
    }
    let mut drawn: Vec<&vfp_scan::record::FramePair> = closest.into_values().collect();
    drawn.sort_by_key(|f| f.clip_ms);
    let points: Vec<String> = drawn
        .iter()
        .map(|f| format!("{:.1},{:.1}", x(f.clip_ms), y(f.distance)))
        .collect();
    let keypoints = s
        .frames
        .iter()
        .filter(|f| f.found_by == FoundBy::Keypoints)
        .map(|f| (x(f.clip_ms), y(f.distance)))
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
        keypoints,
        search_y: y(search_radius),
        search_radius,
        max_radius,
        first_tc: timecode(t0 as u64),
        last_tc: timecode(t1 as u64),
    }
}

pub(crate) fn png_data_url(t: &Thumbnail) -> Option<String> {
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

/// A shown pair as the page prints it: timecodes, PNG pictures.
fn pair_view(shown: &ShownPair) -> PairView {
    let picture = |p: &vfp_scan::evidence::Picture| match p {
        vfp_scan::evidence::Picture::Frame(t) => match png_data_url(t) {
            Some(url) => Picture::Image(url),
            None => Picture::Missing("the picture could not be encoded".into()),
        },
        vfp_scan::evidence::Picture::Missing(why) => Picture::Missing(why.clone()),
    };
    PairView {
        clip_tc: timecode(u64::from(shown.pair.clip_ms)),
        title_tc: timecode(u64::from(shown.pair.title_ms)),
        clip_picture: picture(&shown.clip),
        title_picture: picture(&shown.title),
        title_from: shown.title_from.clone().unwrap_or_default(),
        distance: shown.pair.distance,
        evidence: evidence_words(shown.pair.found_by),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vfp_scan::testing::verification;

    fn provenance() -> Provenance {
        Provenance {
            source_url: Some("https://example.com/v/1?a=1&b=<2>".into()),
            found_at: Some("2026-11-30T08:12:00Z".into()),
            reviewer: Some("A. Reviewer".into()),
            case: None,
            generated_at_utc: "2026-11-30T09:55:12Z".into(),
            vfp_version: "0.1.0".into(),
            command_line: "vfp verify -c cat clip.vfp --report e.html".into(),
            catalog_manifest_sha256: "ef".repeat(32),
            catalog_titles: 12,
            catalog_frames: 34_567,
            min_frames: 5,
            min_pictures: 2,
            min_duration_s: 1.0,
        }
    }

    /// The evidence of `v`, a check of `clip`, with [`provenance`].
    fn evidence(v: Verification, clip: &str) -> Evidence {
        Evidence::gather(v, provenance(), Path::new(clip), None)
    }

    #[test]
    fn the_page_says_what_the_review_ledger_holds() {
        let e = evidence(verification(true), "clip.vfp");
        let html = render(&e, None).unwrap();
        assert!(!html.contains("Review ledger"), "no ledger given");
        let allowed = vfp_ledger::Allowed {
            id: 1,
            kind: vfp_ledger::AllowKind::SourcePrefix,
            value: "https://video.example/@studio/".into(),
            reviewer: "ann".into(),
            added_unix_ms: 0,
            note: "the studio's own".into(),
            revoked: None,
        };
        let decision =
            crate::output::review::tests::decision(4, "ep1", vfp_ledger::Status::NoticeSent);
        let review = Review::of(&["ep1"], Some(allowed), vec![decision]);
        let html = render(&e, Some(&review)).unwrap();
        assert!(
            html.contains("<strong>Licensed</strong>: the source is on the allow-list"),
            "{html}"
        );
        assert!(
            html.contains(
                "<strong>notice_sent</strong> for ep1 by ann (decision #4, notice N-123)"
            ),
            "{html}"
        );
        let review = Review::of(&["ep1"], None, vec![]);
        let html = render(&e, Some(&review)).unwrap();
        assert!(html.contains("No decision about this clip yet."));
    }

    #[test]
    fn the_page_shows_each_segment_and_escapes_what_it_quotes() {
        let mut v = verification(true);
        v.segments[0].title_name = "<script>alert(1)</script> & co".into();
        let html = render(&evidence(v, "clip.vfp"), None).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(
            html.contains("Segment 1: ep1 &ldquo;&#60;script&#62;")
                || html.contains("Segment 1: ep1 &ldquo;&lt;script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script>"));
        assert!(!html.contains("b=<2>"), "the URL is escaped");
        assert!(html.contains("search radius 31"));
        assert!(html.contains("<polyline"));
        assert!(html.contains("a fingerprint has no pictures"));
        // Said without the path: the studio's layout goes on no page.
        assert!(
            html.contains("source video is not on this machine"),
            "{html}"
        );
        assert!(!html.contains("/nowhere"), "{html}");
        assert_eq!(
            html.matches("<tr><td>00:00:0").count(),
            3,
            "one row per pair"
        );
        assert!(html.contains("00:10:01.000"));
        for shown in [
            "A. Reviewer",
            "2026-11-30T08:12:00Z",
            "not given (--case)",
            &"ef".repeat(32),
            "12 titles, 34567 frames",
            "2026-11-30T09:55:12Z by vfp 0.1.0",
            "vfp verify -c cat clip.vfp --report e.html",
            &"ab".repeat(32),
        ] {
            assert!(html.contains(shown), "{shown} missing");
        }
    }

    #[test]
    fn the_verdict_says_what_was_found_and_how_sure_in_words() {
        let v = verification(true);
        let text = verdict(&v);
        assert!(
            text.starts_with("This clip shows the catalog title ep1 “Pilot”: from 00:00:01.000 to 00:00:03.000 of the clip (2.0 s, 50 % of the clip) it shows 00:10:00.000 to 00:10:02.000 of the title (0.1 % of the title), mirrored."),
            "{text}"
        );
        assert!(
            text.contains("3 of the 4 informative clip frames"),
            "{text}"
        );
        assert!(text.contains("Score 0.975 of 1."), "{text}");
        let sure = how_sure(&v, &provenance());
        assert!(
            sure.contains("none") || sure.contains("no match in any of the 263 files"),
            "{sure}"
        );
        assert!(sure.contains("scripts/eval/cross.sh"), "{sure}");
        // Looser settings than those measured: a lead, not evidence.
        let mut loose = v.clone();
        loose.radius = 47;
        assert!(how_sure(&loose, &provenance()).contains("a lead to look into"));
        let few = Provenance {
            min_frames: 2,
            ..provenance()
        };
        assert!(how_sure(&v, &few).contains("a lead to look into"));
    }

    #[test]
    fn the_plot_draws_one_point_per_title_frame_and_keypoints_apart() {
        use vfp_scan::record::FramePair;
        let mut v = verification(true);
        let s = &mut v.segments[0];
        // Clip frames every 33 ms against title frames every 250 ms: the
        // farther a clip frame from its title frame in time, the farther
        // its hash; drawn frame by frame, a sawtooth.
        s.frames = (0..60u32)
            .map(|i| {
                let clip_ms = 1_000 + i * 33;
                let title_ms = 600_000 + (i * 33 + 125) / 250 * 250;
                let off = (i * 33).abs_diff(title_ms - 600_000);
                FramePair {
                    clip_ms,
                    title_ms,
                    distance: 8 + off / 10,
                    found_by: FoundBy::Follow,
                }
            })
            .collect();
        s.frames.push(FramePair {
            clip_ms: 3_100,
            title_ms: 602_100,
            distance: 30,
            found_by: FoundBy::Keypoints,
        });
        let p = plot(s, 31, 55);
        let title_frames: std::collections::BTreeSet<u32> = s
            .frames
            .iter()
            .filter(|f| f.found_by != FoundBy::Keypoints)
            .map(|f| f.title_ms)
            .collect();
        assert_eq!(
            p.points.split(' ').count(),
            title_frames.len(),
            "{}",
            p.points
        );
        // Each drawn point is its title frame's closest clip frame: none
        // of the far ones, which reached distance 20 (the last title frame
        // has clip frames only up to 53 ms before it: 13).
        // The plot's y of distance `d` (its geometry: 220 high, padding 40).
        let low = |d: u32| 20.0 + (1.0 - f64::from(d) / 55.0) * (220.0 - 60.0);
        for point in p.points.split(' ') {
            let y: f64 = point.split(',').nth(1).unwrap().parse().unwrap();
            assert!(y >= low(13) - 0.1, "{point}: {}", p.points);
        }
        assert_eq!(p.keypoints.len(), 1);
        assert_eq!(
            found_by_words(s),
            "60 along the match, 1 by keypoints (local features)"
        );
        let html = render(&evidence(v, "clip.mp4"), None).unwrap();
        assert!(html.contains("<circle") && html.contains("dots: keypoint pairs"));
        assert!(
            html.contains("60 along the match, 1 by keypoints"),
            "{html}"
        );
        assert!(html.contains("shown as the title has them, unflipped"));
    }

    #[test]
    fn the_plot_draws_closer_frames_lower() {
        let v = verification(true);
        let p = plot(&v.segments[0], 31, 55);
        let y_of = |i: usize| -> f64 {
            let point = p.points.split(' ').nth(i).unwrap_or_default();
            point
                .split(',')
                .nth(1)
                .unwrap_or_default()
                .parse()
                .unwrap_or(f64::NAN)
        };
        // Distances 10, 40, 12: the 40 is drawn highest (smallest y).
        assert!(y_of(1) < y_of(0) && y_of(1) < y_of(2), "{}", p.points);
        assert!(p.search_y > y_of(1) && p.search_y < y_of(0));
    }

    #[test]
    fn a_page_without_a_match_says_what_was_searched_and_what_a_no_match_is_worth() {
        let html = render(&evidence(verification(false), "clip.mp4"), None).unwrap();
        assert!(html.contains("No matching segment") && !html.contains("<svg"));
        assert!(html.contains("No part of this clip matches a catalog title."));
        assert!(
            html.contains("at least 5 such frames over at least 1 s"),
            "{html}"
        );
        // The miss rate and the blind spots, not the false-claim bound
        // (which is about matches).
        let sure = how_sure(&verification(false), &provenance());
        assert!(sure.contains("not proof"), "{sure}");
        assert!(
            sure.contains("missed 5 of 106") && sure.contains("Known blind spots"),
            "{sure}"
        );
        assert!(!sure.contains("false claims"), "{sure}");
    }

    #[test]
    fn the_page_names_the_titles_owner_asset_and_release() {
        let html = render(&evidence(verification(true), "clip.mp4"), None).unwrap();
        for shown in ["Example Studios", "EX-0001", "2027-03-01", "season=1"] {
            assert!(html.contains(shown), "{shown} missing");
        }
        assert!(unreleased("2027-03-01", "2026-12-07T10:00:00Z"));
        assert!(!unreleased("2026-12-07", "2026-12-07T10:00:00Z"));
        assert!(!unreleased("", "2026-12-07T10:00:00Z"));
    }

    #[test]
    fn an_inconclusive_page_says_why_no_verdict_can_be_given() {
        let mut v = verification(false);
        v.inconclusive_because = Some(
            "clip.mp4: too short to judge: 2 informative frames over 0.400 s of video; a match needs at least 5 frames over at least 1 s".into(),
        );
        let text = verdict(&v);
        assert!(
            text.starts_with("No verdict: ") && text.contains("because too short to judge"),
            "{text}"
        );
        let html = render(&evidence(v, "clip.mp4"), None).unwrap();
        assert!(html.contains("<h2>No verdict</h2>"), "{html}");
        assert!(!html.contains("No matching segment"), "{html}");
    }

    #[test]
    fn a_bundle_holds_the_page_the_report_and_their_checksums() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("case");
        let e = evidence(verification(true), "clip.vfp");
        write_bundle(&e, None, &dir, false).unwrap();
        let html = std::fs::read(dir.join("report.html")).unwrap();
        let json = std::fs::read(dir.join("report.json")).unwrap();
        let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
        assert_eq!(
            sums,
            format!(
                "{}  report.html\n{}  report.json\n",
                sha256_hex(&html),
                sha256_hex(&json)
            )
        );
        let report: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(report["format"], REPORT_FORMAT);
        assert_eq!(report["provenance"]["reviewer"], "A. Reviewer");
        assert_eq!(
            report["verification"]["segments"][0]["frames"]
                .as_array()
                .map(Vec::len),
            Some(3)
        );
        assert!(report["verdict"]
            .as_str()
            .unwrap_or_default()
            .starts_with("This clip shows"));

        let page = tmp.path().join("e.html");
        write(&e, None, &page, false).unwrap();
        let sum = std::fs::read_to_string(tmp.path().join("e.html.sha256")).unwrap();
        let bytes = std::fs::read(&page).unwrap();
        assert_eq!(sum, format!("{}  e.html\n", sha256_hex(&bytes)));
    }

    #[test]
    fn evidence_never_overwrites_unasked_nor_writes_through_a_link() {
        use std::os::unix::fs::PermissionsExt as _;
        let tmp = tempfile::tempdir().unwrap();
        let e = evidence(verification(true), "clip.vfp");
        // A folder holding files already is refused without --force.
        let dir = tmp.path().join("case");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("notes.txt"), "the analyst's").unwrap();
        let err = write_bundle(&e, None, &dir, false).unwrap_err();
        assert!(err.to_string().contains("not empty"), "{err}");
        assert!(!dir.join("report.html").exists());
        // With --force, a report.html linked elsewhere is replaced, not
        // written through, and every file is 0644.
        let target = tmp.path().join("elsewhere.html");
        std::fs::write(&target, "untouched").unwrap();
        std::os::unix::fs::symlink(&target, dir.join("report.html")).unwrap();
        write_bundle(&e, None, &dir, true).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "untouched");
        for name in ["report.html", "report.json", "SHA256SUMS"] {
            let meta = std::fs::symlink_metadata(dir.join(name)).unwrap();
            assert!(meta.is_file(), "{name}");
            assert_eq!(meta.permissions().mode() & 0o777, 0o644, "{name}");
        }
        // A bundle folder that is a link is refused.
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        assert!(write_bundle(&e, None, &link, true).is_err());
        // An existing page is refused without --force.
        let page = tmp.path().join("e.html");
        std::fs::write(&page, "an older page").unwrap();
        assert!(write(&e, None, &page, false).is_err());
        assert_eq!(std::fs::read_to_string(&page).unwrap(), "an older page");
        write(&e, None, &page, true).unwrap();
        assert_ne!(std::fs::read_to_string(&page).unwrap(), "an older page");
    }
}
