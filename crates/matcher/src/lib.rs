//! Temporal alignment: from the per-frame catalog hits of a clip to matched
//! segments, each a stretch of the clip that shows a stretch of a title.
//!
//! Pure functions, no I/O. The data flow:
//!
//! 1. [`QueryHit`]s: for each sampled clip frame, the catalog frames near
//!    it (direct or mirrored hash), common (stop-listed) frames marked.
//! 2. Votes: a clip shown at speed `s` with offset `o` puts clip time `q`
//!    at title time `t = o + s·q`. Every hit votes, for each speed of the
//!    grid (0.80-1.25), for its (title, orientation, speed, offset bin);
//!    a clip frame votes at most once per bin. Unrelated hits scatter over
//!    offsets; a copy's hits pile up on one line.
//! 3. The strongest line is refined by a least-squares fit of its inliers
//!    (speed and offset).
//! 4. Seed and extend: given a [`Probe`], the line is followed through the
//!    clip, each clip moment compared with the title's frames at the time
//!    the line puts it, within the wider [`MatchParams::follow_radius`].
//!    A search must cover the whole catalog, so its radius is held to
//!    where unrelated frames stay far; a moment on a known line is
//!    compared with two or three frames, so it can afford a wider one.
//! 5. The line's frames are split where the clip has none for
//!    [`MatchParams::max_gap_ms`], and each run long and dense enough
//!    becomes a [`MatchSegment`]. Its hits are consumed; repeat.
//!
//! Common and low-information frames never count: callers drop
//! low-information frames before searching, and common hits are ignored.
//!
//! [`local`] aligns by local features instead, for copies that show a
//! moved or scaled part of a title.

pub mod local;
pub mod parts;

use std::collections::{BTreeMap, HashMap};
pub use vfp_fingerprint::TitleIndex;

/// Most alignment rounds per clip (each finds one line).
const MAX_ROUNDS: usize = 64;

/// One catalog frame near one clip frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QueryHit {
    /// Time of the clip frame, ms from the clip start.
    pub query_ms: u32,
    /// The catalog frame's title.
    pub title: TitleIndex,
    /// Time of the catalog frame in its title, ms.
    pub title_ms: u32,
    /// Hamming distance.
    pub distance: u32,
    /// Found through the clip frame's mirrored hash.
    pub mirrored: bool,
    /// The catalog frame is on the stop-list.
    pub common: bool,
}

/// Default per-frame search radius, in bits of the 256-bit hash. Measured
/// on the shared dev set (`scripts/eval/frames.sh 30`, every view): 80 % of
/// positive frames lie within 31 bits of their true title frame (86 %
/// within 40), while no frame of 101 negative clips and 23 full-length
/// unrelated videos (21,275 moments) came within 71 bits of any catalog
/// frame, so 31 leaves 41 bits of margin to the nearest negative: the
/// search covers the whole catalog, and a larger catalog brings unrelated
/// frames nearer. With lines followed, recall on the set (`scripts/eval/accuracy.sh
/// --radius R`) is 0.708 at 10, 0.783 at 15, 0.840 at 21, 0.915 at 31 and
/// 0.925 at 39 and 47, while search cost grows with every bit. With the
/// catalog's 9:16 windows stored too (twice the hashes), the nearest
/// negative moment is 68 bits away: 37 bits of margin.
pub const DEFAULT_RADIUS: u32 = 31;

/// Default radius for following a line (see [`Probe`]), in bits. Measured
/// on the shared dev set (`scripts/eval/frames.sh 30`): of 62 M
/// comparisons of unrelated clip moments (101 negative clips, 23
/// full-length unrelated videos, every view, both orientations) with
/// catalog frames, none came within 71 bits, 51 within 79 (8e-7) and
/// 1,041 within 87 (2e-5): the rate falls about 20-fold per 8 bits, which
/// puts 55 bits near 1e-10 per comparison, two such steps below the
/// nearest unrelated pair seen. Of positive moments, 91 % are within 55
/// bits of their true title frame, against 80 % within the search radius.
/// With the catalog's 9:16 windows stored too: of 124 M comparisons, 31
/// within 71 bits (2.5e-7), 683 within 79, 3,945 within 87: about 6e-10
/// per comparison at 55 bits.
pub const DEFAULT_FOLLOW_RADIUS: u32 = 55;

/// Default fewest search hits (seeds) on a line before it is followed: one.
/// A search hit is already rare evidence: no moment of the shared dev
/// set's negatives (101 clips, 23 unrelated videos) came within 71 bits of
/// any catalog frame, so none holds a seed at the search radius, and
/// following from a seed (at normal speed until the frames found measure
/// one) still needs [`DEFAULT_MIN_FRAMES`] frames over
/// [`DEFAULT_MIN_DURATION_MS`]. Measured with `scripts/eval/cross.sh`: 139
/// files of titles outside the catalog (whole titles and their
/// transformed copies) gave no claim, at the defaults and at radius 47,
/// follow radius 71, 2 frames, no minimum duration.
pub const DEFAULT_MIN_SEED_FRAMES: usize = 1;

/// Default shortest segment, in ms of the clip. No negative of the shared
/// dev set (101 clips, 23 unrelated full-length videos) formed even a
/// 2-frame line at radius 47, so the floor is not what keeps precision:
/// it is the least evidence a reviewer gets (at a scan's 15 samples/s,
/// at least [`DEFAULT_MIN_FRAMES`] frames over a second). Excerpts of 1-2 s are
/// real leak units (compilations, recaps); at 2 s the set's 1.9 s embedded
/// excerpt was lost.
pub const DEFAULT_MIN_DURATION_MS: u32 = 1_000;

/// Default fewest distinct clip frames on a line for a segment.
pub const DEFAULT_MIN_FRAMES: usize = 5;

/// The decision policy and the alignment's tolerances.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchParams {
    /// Radius the hits were searched with (distances are scored against it).
    pub radius: u32,
    /// Playback speeds tried: title time per clip time.
    pub speeds: Vec<f64>,
    /// Hits within this many ms of a line are on it (about one catalog
    /// sample period plus the encoder's frame jitter).
    pub offset_tolerance_ms: u32,
    /// A segment ends after this long without a hit on its line.
    pub max_gap_ms: u32,
    /// Shortest segment reported, in clip time.
    pub min_duration_ms: u32,
    /// Fewest distinct clip frames on the line for a segment (search hits
    /// and followed frames together).
    pub min_frames: usize,
    /// Radius for frames found by following a line with a [`Probe`].
    pub follow_radius: u32,
    /// Fewest search hits on a line for it to be followed; without a
    /// probe a line needs [`min_frames`](Self::min_frames) search hits.
    pub min_seed_frames: usize,
}

impl Default for MatchParams {
    fn default() -> Self {
        MatchParams {
            radius: DEFAULT_RADIUS,
            speeds: (0..10).map(|i| 0.80 + 0.05 * f64::from(i)).collect(),
            offset_tolerance_ms: 300,
            max_gap_ms: 3_000,
            min_duration_ms: DEFAULT_MIN_DURATION_MS,
            min_frames: DEFAULT_MIN_FRAMES,
            follow_radius: DEFAULT_FOLLOW_RADIUS,
            min_seed_frames: DEFAULT_MIN_SEED_FRAMES,
        }
    }
}

/// Compares a clip moment with a title's frames near a time: how a line
/// found by the catalog search is followed frame by frame. The caller
/// implements it over its catalog and the clip's fingerprint; the aligner
/// stays free of I/O.
pub trait Probe {
    /// Of title `title`'s frames timed within `from_ms..=to_ms` (stop-listed
    /// frames excluded), the nearest in hash to the clip moment at
    /// `query_ms` (its mirrored hash if `mirrored`, its best view). `None`
    /// if the title has no frame there or the clip no informative frame at
    /// `query_ms`.
    fn nearest(
        &self,
        query_ms: u32,
        title: TitleIndex,
        mirrored: bool,
        from_ms: u32,
        to_ms: u32,
    ) -> Option<NearestFrame>;
}

/// A title frame nearest to a clip moment, as [`Probe::nearest`] finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NearestFrame {
    /// The frame's time in the title, ms.
    pub title_ms: u32,
    /// Its hash's distance to the clip moment's, bits of 256.
    pub distance: u32,
}

/// How a segment's frame was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// By the catalog search (within [`MatchParams::radius`]).
    Search,
    /// By following the line (within [`MatchParams::follow_radius`]).
    Follow,
    /// By local features ([`local`]): the frame's distance is the mean
    /// descriptor distance of its keypoint matches.
    Keypoints,
}

/// A clip frame of a segment and the title frame it matched.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MatchedFrame {
    /// Clip time, ms.
    pub query_ms: u32,
    /// Title time of the matched catalog frame, ms.
    pub title_ms: u32,
    /// Hamming distance.
    pub distance: u32,
    /// Found by search or by following.
    pub evidence: Evidence,
}

/// A stretch of the clip that shows a stretch of a title.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchSegment {
    /// The title the clip shows.
    pub title: TitleIndex,
    /// The clip shows the title mirrored.
    pub mirrored: bool,
    /// Title time per clip time (1.0 = same speed).
    pub speed: f64,
    /// Title time at clip time 0, ms: `title_ms = offset_ms + speed · clip_ms`.
    pub offset_ms: f64,
    /// First matched clip frame, ms.
    pub clip_start_ms: u32,
    /// Last matched clip frame, ms.
    pub clip_end_ms: u32,
    /// Title time at `clip_start_ms`.
    pub title_start_ms: u32,
    /// Title time at `clip_end_ms`.
    pub title_end_ms: u32,
    /// Distinct clip frames on the line.
    pub matched_frames: usize,
    /// Informative clip frames sampled within the segment.
    pub sampled_frames: usize,
    /// `matched_frames / sampled_frames`.
    pub coverage: f64,
    /// Mean distance of the matched frames' best hits.
    pub mean_distance: f64,
    /// Confidence in 0..=1, from the matched frames, coverage and
    /// distances (see [`score`]).
    pub score: f64,
    /// The matched frames, by clip time.
    pub frames: Vec<MatchedFrame>,
}

/// A segment's score in 0..=1: grows with the number of matched frames
/// (half-way at 8), with coverage, and falls with the mean distance.
pub fn score(matched_frames: usize, coverage: f64, mean_distance: f64, radius: u32) -> f64 {
    let support = 1.0 - (-(matched_frames as f64) / 8.0 * std::f64::consts::LN_2).exp();
    let closeness = 1.0 - mean_distance / (2.0 * f64::from(radius.max(1)));
    (support * coverage.clamp(0.0, 1.0).sqrt() * closeness.clamp(0.0, 1.0)).clamp(0.0, 1.0)
}

/// The matched segments of a clip from its catalog hits alone, strongest
/// first: a line needs [`MatchParams::min_frames`] hits.
///
/// `hits` are the catalog hits of the clip's frames; `sampled_ms` the times
/// of all informative clip frames that were searched, in time order (for
/// coverage).
pub fn align(hits: &[QueryHit], sampled_ms: &[u32], params: &MatchParams) -> Vec<MatchSegment> {
    align_lines(hits, sampled_ms, params, None)
}

/// The matched segments of a clip, strongest first, each line of at least
/// [`MatchParams::min_seed_frames`] hits (at least one) followed through
/// the clip with `probe` (seed and extend); a segment still needs
/// [`MatchParams::min_frames`] frames over [`MatchParams::min_duration_ms`].
pub fn align_followed(
    hits: &[QueryHit],
    sampled_ms: &[u32],
    params: &MatchParams,
    probe: &dyn Probe,
) -> Vec<MatchSegment> {
    align_lines(hits, sampled_ms, params, Some(probe))
}

fn align_lines(
    hits: &[QueryHit],
    sampled_ms: &[u32],
    params: &MatchParams,
    probe: Option<&dyn Probe>,
) -> Vec<MatchSegment> {
    let mut sorted_ms;
    let sampled_ms = if sampled_ms.windows(2).all(|w| w[0] <= w[1]) {
        sampled_ms
    } else {
        sorted_ms = sampled_ms.to_vec();
        sorted_ms.sort_unstable();
        &sorted_ms
    };
    let min_seeds = match probe {
        Some(_) => params.min_seed_frames.max(1),
        None => params.min_frames,
    };
    let mut live: Vec<QueryHit> = hits.iter().filter(|h| !h.common).copied().collect();
    let mut segments = Vec::new();
    let tol = f64::from(params.offset_tolerance_ms.max(1));
    // Each round takes the strongest line; a line too weak ends the search.
    // Each round consumes at least one hit; the cap bounds the work on a
    // clip whose hits form many weak lines.
    let mut rounds = 0;
    while let Some(line) = strongest_line(&live, params, tol, min_seeds) {
        rounds += 1;
        if rounds > MAX_ROUNDS {
            break;
        }
        let (seeds, refined) = refine(&live, line, params, tol);
        let (frames, refined) = match probe {
            Some(probe) => follow(&seeds, refined, sampled_ms, params, probe, tol),
            None => (seeds.clone(), refined),
        };
        let seed_ms: Vec<u32> = seeds.iter().map(|h| h.query_ms).collect();
        let mut consumed = false;
        for run in runs(&frames, params.max_gap_ms) {
            // Consume the run's hits of this title and orientation either
            // way, so that the next round looks elsewhere.
            let (a, b) = (run[0].query_ms, run[run.len() - 1].query_ms);
            live.retain(|h| {
                !(h.title == line.title
                    && h.mirrored == line.mirrored
                    && h.query_ms >= a
                    && h.query_ms <= b)
            });
            consumed = true;
            // A run must stand on search hits, not on followed frames alone.
            let seeds_in_run = run
                .iter()
                .filter(|h| seed_ms.binary_search(&h.query_ms).is_ok())
                .count();
            if seeds_in_run < min_seeds.min(params.min_frames) {
                continue;
            }
            let line = line_of(&run, refined);
            if let Some(s) = to_segment(&run, &line, &seed_ms, sampled_ms, params) {
                segments.push(s);
            }
        }
        if !consumed {
            break;
        }
    }
    segments.sort_by(|a, b| b.score.total_cmp(&a.score));
    segments
}

/// Follows `line` from its seeds (search hits on it, by clip time) through
/// the clip: each sampled moment within [`MatchParams::max_gap_ms`] of the
/// line's frames is compared by `probe` with the title's frames within
/// `tol` of the time the line puts it at, and kept within
/// [`MatchParams::follow_radius`]; the stretch grows while frames are
/// found, the line refitted on them. Returns the seeds and the followed
/// frames by clip time, and the line.
fn follow(
    seeds: &[QueryHit],
    line: Line,
    sampled_ms: &[u32],
    params: &MatchParams,
    probe: &dyn Probe,
    tol: f64,
) -> (Vec<QueryHit>, Line) {
    let (Some(first), Some(last)) = (seeds.first(), seeds.last()) else {
        return (seeds.to_vec(), line);
    };
    let gap = params.max_gap_ms;
    let is_seed = |q: u32| seeds.binary_search_by_key(&q, |h| h.query_ms).is_ok();
    let probe_between = |line: &Line, from: u32, to: u32, found: &mut BTreeMap<u32, QueryHit>| {
        let a = sampled_ms.partition_point(|&q| q < from);
        let b = sampled_ms.partition_point(|&q| q <= to).max(a);
        for &q in &sampled_ms[a..b] {
            if is_seed(q) {
                continue;
            }
            let t = line.offset_ms + line.speed * f64::from(q);
            if t + tol < 0.0 || t - tol > f64::from(u32::MAX) {
                continue;
            }
            let (from_t, to_t) = (
                (t - tol).clamp(0.0, f64::from(u32::MAX)) as u32,
                (t + tol).clamp(0.0, f64::from(u32::MAX)) as u32,
            );
            if let Some(NearestFrame { title_ms, distance }) =
                probe.nearest(q, line.title, line.mirrored, from_t, to_t)
            {
                if distance <= params.follow_radius {
                    found.insert(
                        q,
                        QueryHit {
                            query_ms: q,
                            title: line.title,
                            title_ms,
                            distance,
                            mirrored: line.mirrored,
                            common: false,
                        },
                    );
                }
            }
        }
    };
    let merged = |found: &BTreeMap<u32, QueryHit>| -> Vec<QueryHit> {
        let mut all: Vec<QueryHit> = seeds.iter().chain(found.values()).copied().collect();
        all.sort_by_key(|h| h.query_ms);
        all
    };
    let mut line = line;
    let mut found = BTreeMap::new();
    let mut range = (
        first.query_ms.saturating_sub(gap),
        last.query_ms.saturating_add(gap),
    );
    probe_between(&line, range.0, range.1, &mut found);
    loop {
        let all = merged(&found);
        if let Some((speed, offset)) = fit_plausible(&all, params) {
            line.speed = speed;
            line.offset_ms = offset;
        }
        // Probe what the frames found reach beyond the stretch probed.
        let grown = (
            range.0.min(all[0].query_ms.saturating_sub(gap)),
            range.1.max(all[all.len() - 1].query_ms.saturating_add(gap)),
        );
        if grown == range {
            break;
        }
        if grown.0 < range.0 {
            probe_between(&line, grown.0, range.0 - 1, &mut found);
        }
        if grown.1 > range.1 {
            probe_between(&line, range.1 + 1, grown.1, &mut found);
        }
        range = grown;
    }
    // Once more along the final line: frames probed early were compared
    // where a line fitted on fewer frames put them.
    found.clear();
    probe_between(&line, range.0, range.1, &mut found);
    (merged(&found), line)
}

/// The least-squares line through `points` (see [`fit`]), if its speed is
/// within the grid's range (with a step's margin).
fn fit_plausible(points: &[QueryHit], params: &MatchParams) -> Option<(f64, f64)> {
    let (speed, offset) = fit(points)?;
    let lo = params.speeds.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = params
        .speeds
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    (speed >= lo - 0.05 && speed <= hi + 0.05).then_some((speed, offset))
}

/// A candidate alignment line.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Line {
    title: TitleIndex,
    mirrored: bool,
    speed: f64,
    offset_ms: f64,
}

/// The line with the most distinct clip frames voting for it (a bin and
/// its two neighbours), if it has at least `min_votes`.
fn strongest_line(
    hits: &[QueryHit],
    params: &MatchParams,
    tol: f64,
    min_votes: usize,
) -> Option<Line> {
    // (title, mirrored, speed index, offset bin) → distinct clip frames.
    let mut votes: HashMap<(TitleIndex, bool, usize, i64), Vec<u32>> = HashMap::new();
    for h in hits {
        for (si, &speed) in params.speeds.iter().enumerate() {
            let offset = f64::from(h.title_ms) - speed * f64::from(h.query_ms);
            let bin = (offset / tol).floor() as i64;
            let frames = votes.entry((h.title, h.mirrored, si, bin)).or_default();
            if frames.last() != Some(&h.query_ms) && !frames.contains(&h.query_ms) {
                frames.push(h.query_ms);
            }
        }
    }
    let count = |key: &(TitleIndex, bool, usize, i64)| -> usize {
        let (t, m, s, b) = *key;
        (b - 1..=b + 1)
            .map(|bin| votes.get(&(t, m, s, bin)).map_or(0, Vec::len))
            .sum()
    };
    let (best, n) = votes
        .keys()
        .map(|k| (*k, count(k)))
        // Deterministic: most votes, then lowest title, speed nearest 1.
        .max_by(|(ka, na), (kb, nb)| {
            na.cmp(nb)
                .then_with(|| kb.0.cmp(&ka.0))
                .then_with(|| {
                    let da = (params.speeds[ka.2] - 1.0).abs();
                    let db = (params.speeds[kb.2] - 1.0).abs();
                    db.total_cmp(&da)
                })
                .then_with(|| kb.3.cmp(&ka.3))
                .then_with(|| kb.1.cmp(&ka.1))
        })?;
    if n < min_votes {
        return None;
    }
    let (title, mirrored, si, bin) = best;
    Some(Line {
        title,
        mirrored,
        speed: params.speeds[si],
        offset_ms: (bin as f64 + 0.5) * tol,
    })
}

/// Hits of the line's title and orientation within `tol` of it, one per
/// clip frame (the nearest to the line), sorted by clip time; refitted
/// twice by least squares so that speeds between grid points and offsets
/// inside a bin are found exactly.
fn refine(hits: &[QueryHit], line: Line, params: &MatchParams, tol: f64) -> (Vec<QueryHit>, Line) {
    let mut current = line;
    let mut inliers = Vec::new();
    let mut measured = false;
    for round in 0..3 {
        // The first round accepts the whole bin's neighbourhood.
        let width = if round == 0 { 1.5 * tol } else { tol };
        inliers = on_line(hits, current, width);
        if inliers.len() < 2 {
            break;
        }
        if let Some((speed, offset)) = fit_plausible(&inliers, params) {
            current.speed = speed;
            current.offset_ms = offset;
            measured = true;
        }
    }
    if !measured && !inliers.is_empty() {
        // Too short a clip (or a single hit) to measure a speed: the grid
        // speed that won the vote is chance (an identical 1.5 s copy of a
        // still scene won at 1.2), so assume normal speed through the
        // median offset.
        let mut offsets: Vec<f64> = inliers
            .iter()
            .map(|h| f64::from(h.title_ms) - f64::from(h.query_ms))
            .collect();
        offsets.sort_by(f64::total_cmp);
        current.speed = 1.0;
        current.offset_ms = offsets[offsets.len() / 2];
        inliers = on_line(hits, current, tol);
    }
    (inliers, current)
}

fn on_line(hits: &[QueryHit], line: Line, width: f64) -> Vec<QueryHit> {
    let mut best: HashMap<u32, (f64, QueryHit)> = HashMap::new();
    for h in hits
        .iter()
        .filter(|h| h.title == line.title && h.mirrored == line.mirrored)
    {
        let off =
            (f64::from(h.title_ms) - line.offset_ms - line.speed * f64::from(h.query_ms)).abs();
        if off <= width {
            let e = best.entry(h.query_ms).or_insert((off, *h));
            if (off, h.distance) < (e.0, e.1.distance) {
                *e = (off, *h);
            }
        }
    }
    let mut out: Vec<QueryHit> = best.into_values().map(|(_, h)| h).collect();
    out.sort_by_key(|h| h.query_ms);
    out
}

/// Least-squares line `title_ms = offset + speed · query_ms`; `None` if
/// the clip times do not spread.
fn fit(points: &[QueryHit]) -> Option<(f64, f64)> {
    let n = points.len() as f64;
    let mx = points.iter().map(|h| f64::from(h.query_ms)).sum::<f64>() / n;
    let my = points.iter().map(|h| f64::from(h.title_ms)).sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for h in points {
        let (dx, dy) = (f64::from(h.query_ms) - mx, f64::from(h.title_ms) - my);
        sxy += dx * dy;
        sxx += dx * dx;
    }
    // Under a second of spread, the slope is noise: keep the grid speed.
    if sxx < n * 250_000.0 {
        return None;
    }
    let speed = sxy / sxx;
    Some((speed, my - speed * mx))
}

/// The line through a run's points (refitted on the run alone).
fn line_of(run: &[QueryHit], fallback: Line) -> Line {
    match fit(run) {
        Some((speed, offset_ms)) if (speed - fallback.speed).abs() < 0.1 => Line {
            speed,
            offset_ms,
            ..fallback
        },
        _ => fallback,
    }
}

/// Splits hits sorted by clip time where consecutive ones are more than
/// `max_gap_ms` apart.
fn runs(inliers: &[QueryHit], max_gap_ms: u32) -> Vec<Vec<QueryHit>> {
    let mut out: Vec<Vec<QueryHit>> = Vec::new();
    for h in inliers {
        match out.last_mut() {
            Some(run) if h.query_ms - run[run.len() - 1].query_ms <= max_gap_ms => run.push(*h),
            _ => out.push(vec![*h]),
        }
    }
    out
}

fn to_segment(
    run: &[QueryHit],
    line: &Line,
    seed_ms: &[u32],
    sampled_ms: &[u32],
    params: &MatchParams,
) -> Option<MatchSegment> {
    let (start, end) = (run.first()?.query_ms, run.last()?.query_ms);
    if run.len() < params.min_frames || end - start < params.min_duration_ms {
        return None;
    }
    let sampled = sampled_ms
        .iter()
        .filter(|&&t| t >= start && t <= end)
        .count()
        .max(run.len());
    let coverage = run.len() as f64 / sampled as f64;
    let mean_distance = run.iter().map(|h| f64::from(h.distance)).sum::<f64>() / run.len() as f64;
    let at = |q: u32| {
        (line.offset_ms + line.speed * f64::from(q))
            .max(0.0)
            .round() as u32
    };
    Some(MatchSegment {
        title: line.title,
        mirrored: line.mirrored,
        speed: line.speed,
        offset_ms: line.offset_ms,
        clip_start_ms: start,
        clip_end_ms: end,
        title_start_ms: at(start),
        title_end_ms: at(end),
        matched_frames: run.len(),
        sampled_frames: sampled,
        coverage,
        mean_distance,
        score: score(run.len(), coverage, mean_distance, params.radius),
        frames: run
            .iter()
            .map(|h| MatchedFrame {
                query_ms: h.query_ms,
                title_ms: h.title_ms,
                distance: h.distance,
                evidence: if seed_ms.binary_search(&h.query_ms).is_ok() {
                    Evidence::Search
                } else {
                    Evidence::Follow
                },
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hit(query_ms: u32, title: usize, title_ms: u32) -> QueryHit {
        QueryHit {
            query_ms,
            title: TitleIndex(title),
            title_ms,
            distance: 4,
            mirrored: false,
            common: false,
        }
    }

    /// Clip frames every 100 ms over `0..len_ms`.
    fn sampled(len_ms: u32) -> Vec<u32> {
        (0..len_ms).step_by(100).collect()
    }

    /// Hits of a copy of `title` shown from clip time `from` to `to` at
    /// `speed` with `offset`, on the catalog's 250 ms grid: each clip frame
    /// hits the catalog sample nearest to its title time.
    fn copy(title: usize, from: u32, to: u32, speed: f64, offset: f64) -> Vec<QueryHit> {
        (from..to)
            .step_by(100)
            .filter_map(|q| {
                let t = offset + speed * f64::from(q);
                let snapped = (t / 250.0).round() * 250.0;
                ((t - snapped).abs() <= 60.0 && snapped >= 0.0)
                    .then(|| hit(q, title, snapped as u32))
            })
            .collect()
    }

    /// Deterministic scattered hits: unrelated frames of many titles.
    fn noise(count: usize, seed: u64, len_ms: u32) -> Vec<QueryHit> {
        let mut x = seed | 1;
        (0..count)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                hit(
                    ((x % u64::from(len_ms)) / 100 * 100) as u32,
                    (x >> 20) as usize % 50,
                    ((x >> 32) % 7_200_000 / 250 * 250) as u32,
                )
            })
            .collect()
    }

    /// A clip showing `title` from clip time `from` to `to` at `speed` with
    /// `offset`, every frame `distance` bits from the title's frame on the
    /// 250 ms grid; elsewhere the clip matches nothing. Counts its calls.
    struct CopyProbe {
        title: TitleIndex,
        from: u32,
        to: u32,
        speed: f64,
        offset: f64,
        distance: u32,
        calls: std::cell::Cell<usize>,
    }

    impl CopyProbe {
        fn new(title: usize, from: u32, to: u32, speed: f64, offset: f64, distance: u32) -> Self {
            CopyProbe {
                title: TitleIndex(title),
                from,
                to,
                speed,
                offset,
                distance,
                calls: std::cell::Cell::new(0),
            }
        }
    }

    impl Probe for CopyProbe {
        fn nearest(
            &self,
            query_ms: u32,
            title: TitleIndex,
            mirrored: bool,
            from_ms: u32,
            to_ms: u32,
        ) -> Option<NearestFrame> {
            self.calls.set(self.calls.get() + 1);
            if title != self.title || mirrored || query_ms < self.from || query_ms >= self.to {
                return None;
            }
            let t = self.offset + self.speed * f64::from(query_ms);
            let snapped = ((t / 250.0).round() * 250.0) as u32;
            (from_ms..=to_ms)
                .contains(&snapped)
                .then_some(NearestFrame {
                    title_ms: snapped,
                    distance: self.distance,
                })
        }
    }

    #[test]
    fn a_line_of_two_search_hits_is_followed_through_the_copy() {
        // The search found only two frames of a 6 s copy (say, the rest of
        // it is a noisier re-encode); the probe finds all of it at 40 bits.
        let seeds = vec![hit(2_000, 3, 7_000), hit(2_500, 3, 7_500)];
        let probe = CopyProbe::new(3, 1_000, 7_000, 1.0, 5_000.0, 40);
        let params = MatchParams::default();
        assert!(
            align(&seeds, &sampled(10_000), &params).is_empty(),
            "two hits alone are too few"
        );
        let s = align_followed(&seeds, &sampled(60_000), &params, &probe);
        assert_eq!(s.len(), 1, "{s:?}");
        let s = &s[0];
        assert_eq!(
            (s.title, s.clip_start_ms, s.clip_end_ms),
            (TitleIndex(3), 1_000, 6_900)
        );
        assert!(
            s.title_start_ms.abs_diff(6_000) <= 125,
            "{}",
            s.title_start_ms
        );
        assert_eq!(s.matched_frames, 60);
        let searched = s
            .frames
            .iter()
            .filter(|f| f.evidence == Evidence::Search)
            .count();
        assert_eq!(searched, 2, "the seeds keep their own evidence");
        assert!(s
            .frames
            .iter()
            .all(|f| f.evidence == Evidence::Search || f.distance == 40));
        // Only the match and a gap's length beyond it (0-9.9 s, twice:
        // growing, then along the final line) were probed, not the 60 s.
        assert!(probe.calls.get() <= 200, "{} probes", probe.calls.get());
    }

    #[test]
    fn following_finds_the_speed_and_stops_at_the_copys_ends() {
        // A 1.1x copy inside 60 s of other footage, two seeds near its start.
        let probe = CopyProbe::new(1, 20_000, 32_000, 1.1, 3_000.0, 30);
        let seeds: Vec<QueryHit> = copy(1, 20_000, 20_400, 1.1, 3_000.0);
        assert!(seeds.len() >= 2, "{seeds:?}");
        let s = align_followed(&seeds, &sampled(60_000), &MatchParams::default(), &probe);
        assert_eq!(s.len(), 1, "{s:?}");
        let s = &s[0];
        assert!((s.speed - 1.1).abs() < 0.01, "{}", s.speed);
        assert!(s.clip_start_ms <= 20_100 && s.clip_start_ms >= 20_000);
        assert!(s.clip_end_ms >= 31_800 && s.clip_end_ms < 32_000);
        let expected = 3_000.0 + 1.1 * f64::from(s.clip_start_ms);
        assert!((f64::from(s.title_start_ms) - expected).abs() <= 130.0);
    }

    #[test]
    fn following_needs_seeds_and_frames_within_its_radius() {
        let probe = CopyProbe::new(3, 0, 10_000, 1.0, 5_000.0, 40);
        let params = MatchParams::default();
        // No search hit: nothing to follow, however well the probe matches.
        assert!(align_followed(&[], &sampled(10_000), &params, &probe).is_empty());
        // One search hit is followed at normal speed through its offset...
        let one = [hit(2_000, 3, 7_000)];
        let s = align_followed(&one, &sampled(10_000), &params, &probe);
        assert_eq!(s.len(), 1, "{s:?}");
        // (refitted on the frames found, which sit on the 250 ms grid)
        assert!(
            (s[0].offset_ms - 5_000.0).abs() < 30.0,
            "{}",
            s[0].offset_ms
        );
        // ...unless the policy asks for more seeds.
        let two_seeds = MatchParams {
            min_seed_frames: 2,
            ..MatchParams::default()
        };
        assert!(align_followed(&one, &sampled(10_000), &two_seeds, &probe).is_empty());
        // Two seeds, but the copy lies beyond the follow radius.
        let seeds = [hit(2_000, 3, 7_000), hit(2_500, 3, 7_500)];
        let far = CopyProbe::new(3, 0, 10_000, 1.0, 5_000.0, params.follow_radius + 1);
        assert!(align_followed(&seeds, &sampled(10_000), &params, &far).is_empty());
        // Frames of another title or orientation do not count.
        let other = CopyProbe::new(4, 0, 10_000, 1.0, 5_000.0, 40);
        assert!(align_followed(&seeds, &sampled(10_000), &params, &other).is_empty());
    }

    #[test]
    fn an_exact_copy_is_one_segment_at_its_offset() {
        let hits = copy(3, 0, 10_000, 1.0, 5_000.0);
        let s = align(&hits, &sampled(10_000), &MatchParams::default());
        assert_eq!(s.len(), 1, "{s:?}");
        let s = &s[0];
        assert_eq!((s.title, s.mirrored), (TitleIndex(3), false));
        assert!((s.speed - 1.0).abs() < 0.01, "{}", s.speed);
        assert!((s.offset_ms - 5_000.0).abs() < 60.0, "{}", s.offset_ms);
        assert!(s.clip_start_ms <= 200 && s.clip_end_ms >= 9_700);
        assert!(s.title_start_ms.abs_diff(5_000 + s.clip_start_ms) <= 60);
        assert!(s.score > 0.5, "{}", s.score);
    }

    #[test]
    fn speed_changes_are_found_between_grid_points() {
        for speed in [0.9, 1.1, 1.23, 0.83] {
            let hits = copy(1, 0, 20_000, speed, 30_000.0);
            let s = align(&hits, &sampled(20_000), &MatchParams::default());
            assert_eq!(s.len(), 1, "speed {speed}: {s:?}");
            assert!(
                (s[0].speed - speed).abs() < 0.01,
                "speed {speed}: {}",
                s[0].speed
            );
            assert!(
                (s[0].offset_ms - 30_000.0).abs() < 150.0,
                "speed {speed}: {}",
                s[0].offset_ms
            );
        }
    }

    #[test]
    fn mirrored_hits_make_a_mirrored_segment() {
        let hits: Vec<QueryHit> = copy(2, 0, 8_000, 1.0, 0.0)
            .into_iter()
            .map(|h| QueryHit {
                mirrored: true,
                ..h
            })
            .collect();
        let s = align(&hits, &sampled(8_000), &MatchParams::default());
        assert_eq!(s.len(), 1);
        assert!(s[0].mirrored);
    }

    #[test]
    fn an_excerpt_inside_other_footage_is_located() {
        let mut hits = copy(7, 6_000, 14_000, 1.0, 60_000.0);
        hits.extend(noise(200, 11, 20_000));
        let s = align(&hits, &sampled(20_000), &MatchParams::default());
        assert_eq!(s.len(), 1, "{s:?}");
        assert!(
            s[0].clip_start_ms.abs_diff(6_000) <= 300 && s[0].clip_end_ms.abs_diff(13_900) <= 300,
            "{s:?}"
        );
    }

    #[test]
    fn a_compilation_gives_one_segment_per_title() {
        let mut hits = copy(1, 0, 6_000, 1.0, 100_000.0);
        hits.extend(copy(2, 6_000, 12_000, 1.0, 40_000.0));
        hits.extend(copy(1, 12_000, 18_000, 1.0, 500_000.0));
        let s = align(&hits, &sampled(18_000), &MatchParams::default());
        let mut found: Vec<(usize, u32)> = s
            .iter()
            .map(|s| (s.title.0, s.clip_start_ms / 1000))
            .collect();
        found.sort_unstable();
        assert_eq!(found, vec![(1, 0), (1, 12), (2, 6)], "{s:?}");
    }

    #[test]
    fn scattered_hits_match_nothing() {
        for seed in 1..20 {
            let hits = noise(400, seed, 30_000);
            let s = align(&hits, &sampled(30_000), &MatchParams::default());
            assert!(s.is_empty(), "seed {seed}: {s:?}");
        }
    }

    #[test]
    fn common_frames_never_count() {
        let hits: Vec<QueryHit> = copy(4, 0, 10_000, 1.0, 0.0)
            .into_iter()
            .map(|h| QueryHit { common: true, ..h })
            .collect();
        assert!(align(&hits, &sampled(10_000), &MatchParams::default()).is_empty());
    }

    #[test]
    fn a_clip_too_short_to_measure_speed_reads_normal_speed() {
        // An identical 1.5 s copy of a slowly changing 1.5 s title (a phone
        // video): every hit of its clip frames (30/s) on the catalog's
        // samples (4/s), as measured: (clip ms, title ms, distance). Each
        // clip frame matches two to four samples.
        let measured: &[(u32, u32, u32)] = &[
            (0, 0, 0),
            (0, 251, 16),
            (185, 0, 10),
            (185, 251, 8),
            (185, 518, 26),
            (218, 0, 12),
            (218, 251, 4),
            (218, 518, 22),
            (251, 0, 16),
            (251, 251, 0),
            (251, 518, 18),
            (285, 0, 18),
            (285, 251, 2),
            (285, 518, 16),
            (318, 0, 22),
            (318, 251, 6),
            (318, 518, 12),
            (351, 0, 22),
            (351, 251, 8),
            (351, 518, 12),
            (384, 0, 26),
            (384, 251, 10),
            (384, 518, 8),
            (384, 751, 28),
            (418, 0, 28),
            (418, 251, 12),
            (418, 518, 6),
            (418, 751, 26),
            (451, 0, 28),
            (451, 251, 12),
            (451, 518, 6),
            (451, 751, 26),
            (484, 0, 30),
            (484, 251, 14),
            (484, 518, 4),
            (484, 751, 24),
            (518, 251, 18),
            (518, 518, 0),
            (518, 751, 20),
            (551, 251, 18),
            (551, 518, 0),
            (551, 751, 20),
            (584, 251, 20),
            (584, 518, 2),
            (584, 751, 18),
            (618, 251, 24),
            (618, 518, 6),
            (618, 751, 14),
            (651, 251, 28),
            (651, 518, 10),
            (651, 751, 10),
            (684, 518, 16),
            (684, 751, 4),
            (718, 518, 18),
            (718, 751, 2),
            (751, 518, 20),
            (751, 751, 0),
            (784, 518, 26),
            (784, 751, 6),
            (818, 518, 28),
            (818, 751, 8),
            (851, 751, 14),
            (884, 751, 22),
            (918, 751, 28),
            (984, 1018, 18),
            (1018, 1018, 0),
            (1051, 1018, 20),
            (1084, 1251, 26),
            (1118, 1251, 18),
            (1151, 1251, 12),
            (1184, 1251, 8),
            (1218, 1251, 4),
            (1251, 1251, 0),
            (1284, 1251, 2),
            (1318, 1251, 6),
            (1351, 1251, 6),
            (1384, 1251, 6),
            (1417, 1251, 8),
            (1451, 1251, 8),
            (1484, 1251, 8),
        ];
        let hits: Vec<QueryHit> = measured
            .iter()
            .map(|&(q, t, distance)| QueryHit {
                distance,
                ..hit(q, 0, t)
            })
            .collect();
        let mut sampled: Vec<u32> = measured.iter().map(|m| m.0).collect();
        sampled.dedup();
        let found = align(&hits, &sampled, &MatchParams::default());
        assert_eq!(found.len(), 1, "{found:?}");
        let s = &found[0];
        assert!((s.speed - 1.0).abs() < 0.05, "speed {}", s.speed);
        assert!(s.title_start_ms <= 100, "{s:?}");
    }

    #[test]
    fn too_short_runs_and_too_few_frames_are_not_reported() {
        // Three quarters of the shortest segment, with frames to spare: a
        // hit every 50 ms, all on one line.
        let span = DEFAULT_MIN_DURATION_MS * 3 / 4;
        let short: Vec<QueryHit> = (0..span).step_by(50).map(|q| hit(q, 4, q)).collect();
        assert!(short.len() > 2 * DEFAULT_MIN_FRAMES);
        assert!(align(&short, &sampled(span), &MatchParams::default()).is_empty());
        let four: Vec<QueryHit> = copy(4, 0, 10_000, 1.0, 0.0)
            .into_iter()
            .step_by(15)
            .collect();
        assert_eq!(four.len(), 4);
        assert!(align(&four, &sampled(10_000), &MatchParams::default()).is_empty());
    }

    #[test]
    fn gaps_split_segments_and_sparse_support_scores_lower() {
        let dense = align(
            &copy(4, 0, 10_000, 1.0, 0.0),
            &sampled(10_000),
            &MatchParams::default(),
        );
        let sparse_hits: Vec<QueryHit> = copy(4, 0, 10_000, 1.0, 0.0)
            .into_iter()
            .step_by(8)
            .collect();
        let sparse = align(&sparse_hits, &sampled(10_000), &MatchParams::default());
        assert_eq!((dense.len(), sparse.len()), (1, 1));
        assert!(
            sparse[0].score < dense[0].score / 2.0,
            "{} vs {}",
            sparse[0].score,
            dense[0].score
        );
        // A 4 s hole (longer than max_gap) splits the copy in two.
        let holed: Vec<QueryHit> = copy(4, 0, 16_000, 1.0, 0.0)
            .into_iter()
            .filter(|h| !(6_000..10_000).contains(&h.query_ms))
            .collect();
        assert_eq!(
            align(&holed, &sampled(16_000), &MatchParams::default()).len(),
            2
        );
    }

    #[test]
    fn scores_rise_with_support_and_fall_with_distance() {
        assert!(score(20, 1.0, 4.0, 10) > score(6, 1.0, 4.0, 10));
        assert!(score(20, 1.0, 2.0, 10) > score(20, 1.0, 9.0, 10));
        assert!(score(20, 1.0, 4.0, 10) > score(20, 0.3, 4.0, 10));
        assert!((0.0..=1.0).contains(&score(1000, 1.0, 0.0, 10)));
    }

    proptest! {
        #[test]
        fn shifting_the_clip_shifts_the_offset_exactly(shift_s in 0u32..30, offset_s in 0u32..3_000) {
            let shift = shift_s * 1000;
            let offset = f64::from(offset_s) * 1000.0;
            let base = align(&copy(5, 0, 10_000, 1.0, offset), &sampled(10_000), &MatchParams::default());
            // The same content shown `shift` ms later in a longer clip.
            let later: Vec<QueryHit> = copy(5, 0, 10_000, 1.0, offset)
                .into_iter()
                .map(|h| QueryHit { query_ms: h.query_ms + shift, ..h })
                .collect();
            let moved = align(&later, &sampled(10_000 + shift), &MatchParams::default());
            prop_assert_eq!(base.len(), 1);
            prop_assert_eq!(moved.len(), 1);
            // title = offset + speed · clip: a later clip start lowers the
            // offset by speed × shift, and maps to the same title times.
            let expected = base[0].offset_ms - moved[0].speed * f64::from(shift);
            prop_assert!((moved[0].speed - base[0].speed).abs() < 1e-9);
            prop_assert!((moved[0].offset_ms - expected).abs() < 1e-6);
            prop_assert_eq!(moved[0].clip_start_ms, base[0].clip_start_ms + shift);
            prop_assert_eq!(moved[0].title_start_ms, base[0].title_start_ms);
        }
    }
}
