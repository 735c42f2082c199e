//! `vfp verify`: a thorough dense re-check of one takedown target, for the
//! reviewer who signs the notice: every matched segment with timecodes,
//! and per matched clip frame the distance to the title frame it shows.

use crate::args::{dense_sampling, VerifyArgs, VerifyFormat};
use crate::cmd::index::timecode;
use crate::cmd::search::ClipSearch;
use crate::exit::Status;
use anyhow::{bail, Result};
use serde::Serialize;
use std::path::Path;
use vfp_extractor::ExtractOptions;
use vfp_fingerprint::format as vfp_format;
use vfp_index::Catalog;
use vfp_matcher::{Evidence, MatchParams, MatchSegment};

/// The evidence for one segment.
#[derive(Debug, Serialize)]
pub struct SegmentEvidence {
    pub title_id: String,
    pub title_name: String,
    pub title_duration_s: f64,
    pub title_sha256: String,
    pub score: f64,
    pub clip_start: String,
    pub clip_end: String,
    pub title_start: String,
    pub title_end: String,
    pub clip_start_s: f64,
    pub clip_end_s: f64,
    pub title_start_s: f64,
    pub title_end_s: f64,
    pub speed: f64,
    pub mirrored: bool,
    pub matched_frames: usize,
    /// Of the matched frames, those the catalog search found (the others
    /// were found by following the match).
    pub searched_frames: usize,
    pub sampled_frames: usize,
    pub coverage: f64,
    pub mean_distance: f64,
    /// `[clip_ms, title_ms, distance]` of every matched clip frame.
    pub frames: Vec<[u32; 3]>,
}

/// The whole report.
#[derive(Debug, Serialize)]
pub struct Report {
    pub clip: String,
    pub clip_sha256: String,
    pub clip_duration_s: f64,
    pub catalog: String,
    pub radius: u32,
    pub follow_radius: u32,
    pub sampled_frames: usize,
    pub segments: Vec<SegmentEvidence>,
}

pub fn run(args: VerifyArgs) -> Result<Status> {
    let catalog = Catalog::open(&args.catalog)?;
    let title_filter = match &args.title {
        Some(id) => match catalog.titles().iter().find(|t| &t.record.id == id) {
            Some(t) => Some(t.index),
            None => bail!("{}: no title {id:?} in the catalog", args.catalog.display()),
        },
        None => None,
    };
    let sampling = dense_sampling(args.fps)?;
    let is_vfp = args
        .clip
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("vfp"));
    let fp = if is_vfp {
        vfp_format::read_file(&args.clip)?
    } else {
        vfp_extractor::extract(&args.clip, &ExtractOptions::with_sampling(sampling))?
    };
    let search = ClipSearch::new(&catalog, &args.clip, &fp)?;
    let mut hits = search.hits(args.radius);
    if let Some(t) = title_filter {
        hits.retain(|h| h.title == t);
    }
    let params = MatchParams {
        radius: args.radius,
        follow_radius: args.follow_radius,
        ..MatchParams::default()
    };
    let segments = search.matches_of(&hits, &params);
    let sampled = search.sampled_ms();
    let evidence: Vec<SegmentEvidence> = segments
        .iter()
        .filter_map(|s| evidence(&catalog, s))
        .collect();
    let report = Report {
        clip: args.clip.display().to_string(),
        clip_sha256: fp
            .source
            .sha256
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        clip_duration_s: fp.source.duration_ms as f64 / 1000.0,
        catalog: args.catalog.display().to_string(),
        radius: args.radius,
        follow_radius: args.follow_radius,
        sampled_frames: sampled.len(),
        segments: evidence,
    };
    match args.format {
        VerifyFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        VerifyFormat::Human => print!("{}", human(&report)),
    }
    if let Some(out) = &args.report {
        // The titles' source videos, where this machine still has them.
        let titles = catalog.titles();
        let sources: Vec<Option<&Path>> = report
            .segments
            .iter()
            .map(|s| {
                titles
                    .iter()
                    .find(|t| t.record.id == s.title_id)
                    .map(|t| Path::new(t.record.source_path.as_str()))
            })
            .collect();
        crate::cmd::evidence::write(&report, &args.clip, &sources, out)?;
        eprintln!("vfp: evidence page written to {}", out.display());
    }
    Ok(if report.segments.is_empty() {
        Status::NoMatch
    } else {
        Status::Success
    })
}

fn evidence(catalog: &Catalog, s: &MatchSegment) -> Option<SegmentEvidence> {
    let title = catalog.title(s.title)?;
    let frames: Vec<[u32; 3]> = s
        .frames
        .iter()
        .map(|f| [f.query_ms, f.title_ms, f.distance])
        .collect();
    let secs = |ms: u32| f64::from(ms) / 1000.0;
    Some(SegmentEvidence {
        title_id: title.id.clone(),
        title_name: title.name.clone(),
        title_duration_s: title.duration_ms as f64 / 1000.0,
        title_sha256: title.sha256.clone(),
        score: s.score,
        clip_start: timecode(u64::from(s.clip_start_ms)),
        clip_end: timecode(u64::from(s.clip_end_ms)),
        title_start: timecode(u64::from(s.title_start_ms)),
        title_end: timecode(u64::from(s.title_end_ms)),
        clip_start_s: secs(s.clip_start_ms),
        clip_end_s: secs(s.clip_end_ms),
        title_start_s: secs(s.title_start_ms),
        title_end_s: secs(s.title_end_ms),
        speed: s.speed,
        mirrored: s.mirrored,
        matched_frames: s.matched_frames,
        searched_frames: s
            .frames
            .iter()
            .filter(|f| f.evidence == Evidence::Search)
            .count(),
        sampled_frames: s.sampled_frames,
        coverage: s.coverage,
        mean_distance: s.mean_distance,
        frames,
    })
}

fn human(r: &Report) -> String {
    let mut out = format!(
        "clip     {} ({:.3} s, sha256 {})\ncatalog  {} (radius {} bits, {} clip frames searched; along a match {} bits)\n",
        r.clip, r.clip_duration_s, r.clip_sha256, r.catalog, r.radius, r.sampled_frames, r.follow_radius
    );
    if r.segments.is_empty() {
        out.push_str("no match\n");
    }
    for (i, s) in r.segments.iter().enumerate() {
        out.push_str(&format!(
            "segment {}: {} \"{}\" score {:.3}\n  clip  {} - {}\n  title {} - {} (of {}, sha256 {})\n  speed {:.3}{}, {} of {} frames matched ({:.0} %; {} by the search), mean distance {:.1} bits\n",
            i + 1,
            s.title_id,
            s.title_name,
            s.score,
            s.clip_start,
            s.clip_end,
            s.title_start,
            s.title_end,
            timecode((s.title_duration_s * 1000.0).round() as u64),
            s.title_sha256,
            s.speed,
            if s.mirrored { ", mirrored" } else { "" },
            s.matched_frames,
            s.sampled_frames,
            s.coverage * 100.0,
            s.searched_frames,
            s.mean_distance
        ));
    }
    out
}
