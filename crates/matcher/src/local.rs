//! Alignment by local features: for copies that show a moved or scaled
//! part of a title (a zoom, a 9:16 crop panned across a wide frame), whose
//! whole-picture hashes come nowhere near the title's.
//!
//! 1. [`inliers`]: a clip picture against a title picture. Each clip
//!    keypoint takes its nearest title keypoint if that is within
//!    [`LocalParams::max_distance`] and clearly nearer than the second
//!    nearest (Lowe's ratio test); the matches then vote for the
//!    translation between the pictures (2-pixel bins, a bin and its
//!    neighbours). The clip's picture was already shrunk to the title's
//!    scale (the extractor describes clips at several scales), so a
//!    translation is the whole model. Unrelated pictures leave a handful
//!    of matches scattered over translations; a copy puts tens on one.
//! 2. [`align_local`]: picture pairs with at least
//!    [`LocalParams::min_inliers`] vote for a title time offset; a
//!    segment needs [`LocalParams::min_title_frames`] distinct title
//!    pictures agreeing on one offset, which a static logo or a still
//!    shared by two videos cannot give (it matches every title picture,
//!    at no one offset).

use crate::{Evidence, MatchSegment, MatchedFrame, TitleIndex};
use multiversion::multiversion;
use std::collections::{BTreeSet, HashMap};
use vfp_fingerprint::local::Keypoint;

/// What makes local features a match.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LocalParams {
    /// Largest descriptor distance of a keypoint match, bits of 256.
    pub max_distance: u32,
    /// A match's distance must be at most this share of the second
    /// nearest title keypoint's.
    pub ratio: f32,
    /// Keypoint matches on one translation a picture pair needs.
    pub min_inliers: usize,
    /// Distinct title pictures that must agree on one time offset.
    pub min_title_frames: usize,
    /// How far apart two pairs' offsets may be and still agree, ms (a
    /// title picture is taken once a second; the clip's nearest picture
    /// is within an eighth of a second of it).
    pub offset_tolerance_ms: u32,
    /// Title pictures with local features per second of title (what a
    /// catalog stores): the coverage of a segment is the share of the
    /// title pictures in its span that matched.
    pub title_pictures_per_s: f64,
}

impl Default for LocalParams {
    fn default() -> Self {
        LocalParams {
            max_distance: 64,
            ratio: 0.8,
            min_inliers: 8,
            min_title_frames: 2,
            offset_tolerance_ms: 600,
            title_pictures_per_s: 1.0,
        }
    }
}

/// Keypoint matches of a clip picture and a title picture that agree on
/// one translation.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Agreement {
    /// Matches on the translation.
    pub count: usize,
    /// Their mean descriptor distance, bits.
    pub mean_distance: f64,
    /// The translation, title pixels minus clip pixels (x, y).
    pub shift_px: (i32, i32),
}

/// The keypoint matches of `clip` in `title` that agree on one
/// translation. To compare one clip picture with several title pictures,
/// build its [`ClipKeypoints`] once.
pub fn inliers(clip: &[Keypoint], title: &[Keypoint], params: &LocalParams) -> Agreement {
    ClipKeypoints::new(clip).inliers(title, params)
}

/// A clip picture's keypoints laid out to be compared with title pictures
/// one after another: each descriptor word of every keypoint side by side,
/// and room for each keypoint's two nearest.
///
/// Every clip keypoint is compared with every title keypoint, so this is
/// where a scan's local features spend their time (a clip picture of ~55
/// keypoints against up to 64 title pictures of ~40). Title keypoints are
/// taken one at a time against all the clip's at once, each clip keypoint
/// keeping its two nearest without a branch: a loop the compiler turns
/// into vector popcounts and minimums (AVX-512's popcount where the CPU
/// has it, picked at run time), where keeping them pair by pair is a chain
/// of compares through every pair.
#[derive(Clone, Debug)]
pub struct ClipKeypoints<'a> {
    keypoints: &'a [Keypoint],
    /// Word `w` of every keypoint's descriptor.
    words: [Vec<u64>; 4],
    /// Per keypoint, against the title picture compared last: the nearest
    /// distance, the next nearest, and the nearest title keypoint (the
    /// first of equals).
    nearest: Vec<u32>,
    next: Vec<u32>,
    best: Vec<u32>,
}

impl<'a> ClipKeypoints<'a> {
    /// The layout of `keypoints`.
    pub fn new(keypoints: &'a [Keypoint]) -> Self {
        let n = keypoints.len();
        ClipKeypoints {
            keypoints,
            words: std::array::from_fn(|w| keypoints.iter().map(|k| k.bits[w]).collect()),
            nearest: vec![0; n],
            next: vec![0; n],
            best: vec![0; n],
        }
    }

    /// The keypoint matches of this clip picture in `title` that agree on
    /// one translation: those whose nearest title keypoint is within
    /// [`LocalParams::max_distance`] and clearly nearer than the next
    /// (Lowe's ratio test; a tie is never clear).
    pub fn inliers(&mut self, title: &[Keypoint], params: &LocalParams) -> Agreement {
        nearest_two(
            &self.words,
            title,
            &mut self.nearest,
            &mut self.next,
            &mut self.best,
        );
        // Translation bins of 2 px: (bin, matches, summed distance). A few
        // dozen at most (one per clip keypoint), so a list searched in
        // place beats a hash map (hashing was a twentieth of a scan's
        // time).
        let mut bins: Vec<((i32, i32), usize, u32)> = Vec::new();
        let nearest = self.nearest.iter().zip(&self.next).zip(&self.best);
        for (a, ((&d1, &d2), &best)) in self.keypoints.iter().zip(nearest) {
            let clear = d1 <= params.max_distance && (d1 as f32) <= params.ratio * d2 as f32;
            let Some(b) = title.get(best as usize).filter(|_| clear) else {
                continue;
            };
            let dx = (i32::from(b.x) - i32::from(a.x)).div_euclid(2);
            let dy = (i32::from(b.y) - i32::from(a.y)).div_euclid(2);
            match bins.iter_mut().find(|(bin, _, _)| *bin == (dx, dy)) {
                Some((_, n, d)) => {
                    *n += 1;
                    *d += d1;
                }
                None => bins.push(((dx, dy), 1, d1)),
            }
        }
        bins.iter()
            .map(|&((x, y), _, _)| {
                let (n, d) = bins
                    .iter()
                    .filter(|((bx, by), _, _)| (bx - x).abs() <= 1 && (by - y).abs() <= 1)
                    .fold((0, 0u32), |acc, &(_, n, d)| (acc.0 + n, acc.1 + d));
                // Ties to the bin nearest no shift, so the result does not
                // depend on the order the bins were found in.
                (n, std::cmp::Reverse(x.abs() + y.abs()), x, y, d)
            })
            .max()
            .map_or(Agreement::default(), |(n, _, x, y, d)| Agreement {
                count: n,
                mean_distance: f64::from(d) / n.max(1) as f64,
                shift_px: (2 * x + 1, 2 * y + 1),
            })
    }
}

/// For each clip keypoint (its descriptor words in `words`), the nearest
/// distance to `title`'s keypoints, the next nearest (equal to it on a
/// tie) and the index of the nearest (the first of equals); `u32::MAX`
/// distances where `title` is empty.
#[multiversion(targets(
    "x86_64+avx512f+avx512vl+avx512vpopcntdq+popcnt",
    "x86_64+avx2+popcnt",
    "x86_64+popcnt",
))]
fn nearest_two(
    words: &[Vec<u64>; 4],
    title: &[Keypoint],
    nearest: &mut [u32],
    next: &mut [u32],
    best: &mut [u32],
) {
    nearest.fill(u32::MAX);
    next.fill(u32::MAX);
    best.fill(0);
    let n = nearest.len();
    let (next, best) = (&mut next[..n], &mut best[..n]);
    let [w0, w1, w2, w3] = words;
    let (w0, w1, w2, w3) = (&w0[..n], &w1[..n], &w2[..n], &w3[..n]);
    for (j, b) in title.iter().enumerate() {
        let [b0, b1, b2, b3] = b.bits;
        for i in 0..n {
            let d = (w0[i] ^ b0).count_ones()
                + (w1[i] ^ b1).count_ones()
                + (w2[i] ^ b2).count_ones()
                + (w3[i] ^ b3).count_ones();
            let d1 = nearest[i];
            next[i] = next[i].min(d1.max(d));
            best[i] = if d < d1 { j as u32 } else { best[i] };
            nearest[i] = d1.min(d);
        }
    }
}

/// A clip picture and a title picture that share enough keypoints.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LocalPair {
    /// Clip time, ms.
    pub clip_ms: u32,
    /// The title.
    pub title: TitleIndex,
    /// Title time of its picture, ms.
    pub title_ms: u32,
    /// The clip picture was mirrored to match.
    pub mirrored: bool,
    /// The scale the clip picture was described at, percent.
    pub scale_pct: u8,
    /// Keypoint matches on one translation.
    pub inliers: usize,
    /// Their mean descriptor distance.
    pub mean_distance: f64,
    /// The translation, title pixels minus clip pixels.
    pub shift_px: (i32, i32),
}

impl LocalPair {
    /// Whether `other` shows the title the same way: the same title,
    /// orientation and time offset (within `tolerance_ms`), and the same
    /// geometry (scale within one step; a translation that moves no faster
    /// than a pan does). Chance pairs of unrelated pictures agree on a
    /// time offset sometimes, on the geometry too almost never.
    fn agrees_with(&self, other: &LocalPair, tolerance_ms: i64) -> bool {
        let offset = |p: &LocalPair| i64::from(p.title_ms) - i64::from(p.clip_ms);
        let apart_s = f64::from(self.clip_ms.abs_diff(other.clip_ms)) / 1000.0;
        let moved = f64::from(
            (self.shift_px.0 - other.shift_px.0)
                .abs()
                .max((self.shift_px.1 - other.shift_px.1).abs()),
        );
        self.title == other.title
            && self.mirrored == other.mirrored
            && (offset(self) - offset(other)).abs() <= tolerance_ms
            && self.scale_pct.abs_diff(other.scale_pct) <= MAX_SCALE_STEP_PCT
            && moved <= MAX_SHIFT_PX + MAX_PAN_PX_PER_S * apart_s
    }
}

/// Largest scale difference of agreeing pairs, percent: one step of the
/// clip's scales (a zoom that changes slowly may cross one).
const MAX_SCALE_STEP_PCT: u8 = 15;
/// Largest difference of agreeing pairs' translations, title pixels (of
/// 180 rows): matched corners are placed to a pixel or two, and the clip's
/// nearest pictures may sit a scale step apart.
const MAX_SHIFT_PX: f64 = 24.0;
/// How fast a crop may pan, title pixels per second of clip (a third of
/// a 16:9 picture's width in two seconds).
const MAX_PAN_PX_PER_S: f64 = 60.0;

/// The segments the `pairs` of a clip support, strongest first, at most
/// one per title and orientation. `sampled_ms` are the times of the clip
/// pictures that were compared (for coverage).
pub fn align_local(
    pairs: &[LocalPair],
    sampled_ms: &[u32],
    params: &LocalParams,
) -> Vec<MatchSegment> {
    let pairs: Vec<&LocalPair> = pairs
        .iter()
        .filter(|p| p.inliers >= params.min_inliers)
        .collect();
    let tolerance = i64::from(params.offset_tolerance_ms);
    // Per (title, orientation): the offset most distinct title pictures
    // agree on, and the pairs agreeing.
    let mut best: HashMap<(TitleIndex, bool), (usize, usize, Vec<&LocalPair>)> = HashMap::new();
    for p in &pairs {
        let agreeing: Vec<&LocalPair> = pairs
            .iter()
            .filter(|q| p.agrees_with(q, tolerance))
            .copied()
            .collect();
        let title_frames = agreeing.iter().map(|q| q.title_ms).collect::<BTreeSet<_>>();
        let inliers: usize = agreeing.iter().map(|q| q.inliers).sum();
        let entry = best
            .entry((p.title, p.mirrored))
            .or_insert((0, 0, Vec::new()));
        if (title_frames.len(), inliers) > (entry.0, entry.1) {
            *entry = (title_frames.len(), inliers, agreeing);
        }
    }
    let mut segments: Vec<MatchSegment> = best
        .into_iter()
        .filter(|(_, (title_frames, _, _))| *title_frames >= params.min_title_frames)
        .map(|((title, mirrored), (title_frames, _, agreeing))| {
            segment(title, mirrored, title_frames, &agreeing, sampled_ms, params)
        })
        .collect();
    segments.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.title.cmp(&b.title)));
    segments
}

/// The segment of `agreeing` pairs (one title, orientation and offset).
fn segment(
    title: TitleIndex,
    mirrored: bool,
    title_frames: usize,
    agreeing: &[&LocalPair],
    sampled_ms: &[u32],
    params: &LocalParams,
) -> MatchSegment {
    // Per clip picture its strongest pair.
    let mut by_clip: std::collections::BTreeMap<u32, &LocalPair> = Default::default();
    for &p in agreeing {
        let e = by_clip.entry(p.clip_ms).or_insert(p);
        if p.inliers > e.inliers {
            *e = p;
        }
    }
    // The offset: per title picture, the clip pictures that matched it
    // nearly as well as its best, weighted by their inliers (the clip's
    // pictures come four times as often as the title's, so the best is
    // the nearest in time, and its neighbours share the difference);
    // then the median over title pictures.
    let mut per_title: std::collections::BTreeMap<u32, Vec<&LocalPair>> = Default::default();
    for &p in agreeing {
        per_title.entry(p.title_ms).or_default().push(p);
    }
    let mut offsets: Vec<f64> = per_title
        .values()
        .map(|ps| {
            let best = ps.iter().map(|p| p.inliers).max().unwrap_or(0);
            let near: Vec<&&LocalPair> = ps.iter().filter(|p| 2 * p.inliers >= best).collect();
            let weight: f64 = near.iter().map(|p| p.inliers as f64).sum();
            near.iter()
                .map(|p| (f64::from(p.title_ms) - f64::from(p.clip_ms)) * p.inliers as f64)
                .sum::<f64>()
                / weight.max(1.0)
        })
        .collect();
    offsets.sort_by(f64::total_cmp);
    let offset_ms = offsets.get(offsets.len() / 2).copied().unwrap_or(0.0);
    let clip_start_ms = by_clip.keys().next().copied().unwrap_or(0);
    let clip_end_ms = by_clip.keys().next_back().copied().unwrap_or(0);
    let to_title = |clip_ms: u32| (offset_ms + f64::from(clip_ms)).max(0.0).round() as u32;
    let sampled_frames = sampled_ms
        .iter()
        .filter(|&&t| (clip_start_ms..=clip_end_ms).contains(&t))
        .count()
        .max(by_clip.len());
    let matched_frames = by_clip.len();
    let span_s = f64::from(clip_end_ms - clip_start_ms) / 1000.0;
    let title_pictures = (span_s * params.title_pictures_per_s).floor() + 1.0;
    let coverage = (title_frames as f64 / title_pictures).min(1.0);
    let mean_distance =
        by_clip.values().map(|p| p.mean_distance).sum::<f64>() / matched_frames.max(1) as f64;
    let mean_inliers =
        by_clip.values().map(|p| p.inliers as f64).sum::<f64>() / matched_frames.max(1) as f64;
    MatchSegment {
        title,
        mirrored,
        speed: 1.0,
        offset_ms,
        clip_start_ms,
        clip_end_ms,
        title_start_ms: to_title(clip_start_ms),
        title_end_ms: to_title(clip_end_ms),
        matched_frames,
        sampled_frames,
        coverage,
        mean_distance,
        score: local_score(title_frames, coverage, mean_inliers),
        frames: by_clip
            .values()
            .map(|p| MatchedFrame {
                query_ms: p.clip_ms,
                title_ms: p.title_ms,
                distance: p.mean_distance.round() as u32,
                evidence: Evidence::Keypoints,
            })
            .collect(),
    }
}

/// A local segment's score in 0..=1: grows with the distinct title
/// pictures agreeing (half-way at 4: one a second, so four seconds), with
/// coverage, and with the keypoints per picture pair (full at 24).
pub fn local_score(title_frames: usize, coverage: f64, mean_inliers: f64) -> f64 {
    let support = 1.0 - (-(title_frames as f64) / 4.0 * std::f64::consts::LN_2).exp();
    let strength = (mean_inliers / 24.0).clamp(0.0, 1.0);
    (support * coverage.clamp(0.0, 1.0).sqrt() * strength).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kp(seed: u64, x: u16, y: u16) -> Keypoint {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        Keypoint {
            x,
            y,
            bits: [next(), next(), next(), next()],
        }
    }

    /// `k` moved by (dx, dy) with `flips` descriptor bits changed.
    fn moved(k: &Keypoint, dx: i32, dy: i32, flips: u32) -> Keypoint {
        let mut bits = k.bits;
        for b in 0..flips {
            bits[(b * 37 % 256 / 64) as usize] ^= 1 << (b * 37 % 64);
        }
        Keypoint {
            x: (i32::from(k.x) + dx) as u16,
            y: (i32::from(k.y) + dy) as u16,
            bits,
        }
    }

    fn title_picture(seed: u64) -> Vec<Keypoint> {
        (0..40)
            .map(|i| {
                kp(
                    seed * 1000 + i,
                    20 + (i * 7 % 280) as u16,
                    20 + (i * 11 % 140) as u16,
                )
            })
            .collect()
    }

    #[test]
    fn a_moved_part_of_a_picture_agrees_on_one_translation() {
        let params = LocalParams::default();
        let title = title_picture(1);
        // A crop: the keypoints of the title's left part, 10 px left, 4 up.
        let clip: Vec<Keypoint> = title
            .iter()
            .filter(|k| k.x < 160 && k.x >= 30)
            .map(|k| moved(k, -10, -4, 18))
            .collect();
        let a = inliers(&clip, &title, &params);
        assert_eq!(a.count, clip.len());
        assert!((a.mean_distance - 18.0).abs() < 1e-9);
        assert!(
            (a.shift_px.0 - 10).abs() <= 1 && (a.shift_px.1 - 4).abs() <= 1,
            "{a:?}"
        );
        // The same keypoints scattered over translations do not agree.
        let scattered: Vec<Keypoint> = clip
            .iter()
            .enumerate()
            .map(|(i, k)| moved(k, (i as i32 % 5) * 9, (i as i32 / 5) * 7, 0))
            .collect();
        assert!(inliers(&scattered, &title, &params).count <= 4);
        // An unrelated picture matches nothing.
        assert!(inliers(&title_picture(2), &title, &params).count <= 2);
    }

    proptest::proptest! {
        /// Each clip keypoint's two nearest, found for all of them at once,
        /// are those kept pair by pair, ties included (descriptors drawn
        /// from a few, so that ties are common).
        #[test]
        fn the_two_nearest_are_those_kept_pair_by_pair(
            clip in proptest::collection::vec(0u64..6, 0..20),
            title in proptest::collection::vec(0u64..6, 0..20),
        ) {
            let keypoint = |&s: &u64| kp(s, 0, 0);
            let clip: Vec<Keypoint> = clip.iter().map(keypoint).collect();
            let title: Vec<Keypoint> = title.iter().map(keypoint).collect();
            let mut laid_out = ClipKeypoints::new(&clip);
            nearest_two(
                &laid_out.words,
                &title,
                &mut laid_out.nearest,
                &mut laid_out.next,
                &mut laid_out.best,
            );
            for (i, a) in clip.iter().enumerate() {
                let (mut best, mut d1, mut d2) = (0, u32::MAX, u32::MAX);
                for (j, b) in title.iter().enumerate() {
                    let d = a.distance(b);
                    if d < d1 {
                        (d2, d1, best) = (d1, d, j as u32);
                    } else if d < d2 {
                        d2 = d;
                    }
                }
                let found = (laid_out.nearest[i], laid_out.next[i], laid_out.best[i]);
                proptest::prop_assert_eq!(found, (d1, d2, best));
            }
        }
    }

    #[test]
    fn an_ambiguous_keypoint_is_not_a_match() {
        let params = LocalParams::default();
        let a = kp(7, 50, 50);
        // Two title keypoints alike: the clip keypoint cannot tell them apart.
        let title = vec![a, moved(&a, 30, 0, 2)];
        assert_eq!(inliers(&[moved(&a, 0, 0, 1)], &title, &params).count, 0);
    }

    fn pair(clip_ms: u32, title_ms: u32, inliers: usize) -> LocalPair {
        LocalPair {
            clip_ms,
            title: TitleIndex(3),
            title_ms,
            mirrored: false,
            scale_pct: 68,
            inliers,
            mean_distance: 20.0,
            shift_px: (-40, 12),
        }
    }

    #[test]
    fn title_pictures_agreeing_on_an_offset_make_a_segment() {
        let params = LocalParams::default();
        let sampled: Vec<u32> = (0..24).map(|i| i * 250).collect();
        // A copy starting 12 s into the title: clip pictures near each
        // title picture, plus a stray pair elsewhere.
        let mut pairs: Vec<LocalPair> = (0..6)
            .map(|s| pair(s * 1000 + 125, 12_000 + s * 1000, 20))
            .collect();
        pairs.push(pair(3000, 40_000, 9));
        let segs = align_local(&pairs, &sampled, &params);
        assert_eq!(segs.len(), 1);
        let s = &segs[0];
        assert_eq!(
            (s.title, s.mirrored, s.matched_frames),
            (TitleIndex(3), false, 6)
        );
        assert!((s.offset_ms - 11_875.0).abs() < 1.0, "{}", s.offset_ms);
        assert_eq!((s.clip_start_ms, s.clip_end_ms), (125, 5125));
        assert!(s.frames.iter().all(|f| f.evidence == Evidence::Keypoints));
        assert!(s.score > 0.3 && s.score <= 1.0, "{}", s.score);
    }

    #[test]
    fn one_title_picture_or_weak_pairs_make_no_segment() {
        let params = LocalParams::default();
        let sampled: Vec<u32> = (0..24).map(|i| i * 250).collect();
        // A still: many clip pictures, all on one title picture.
        let still: Vec<LocalPair> = (0..20).map(|i| pair(i * 250, 8000, 30)).collect();
        assert!(align_local(&still, &sampled, &params).is_empty());
        // Agreeing pairs with too few inliers each.
        let weak: Vec<LocalPair> = (0..6).map(|s| pair(s * 1000, 5000 + s * 1000, 7)).collect();
        assert!(align_local(&weak, &sampled, &params).is_empty());
        // Strong pairs at one offset, but each at its own geometry: chance.
        let scattered: Vec<LocalPair> = (0..6)
            .map(|s| LocalPair {
                shift_px: (-40 + 90 * s as i32, 12),
                scale_pct: if s % 2 == 0 { 100 } else { 60 },
                ..pair(s * 1000, 5000 + s * 1000, 20)
            })
            .collect();
        assert!(align_local(&scattered, &sampled, &params).is_empty());
        // A pan: the translation moves steadily, 40 px a second.
        let pan: Vec<LocalPair> = (0..6)
            .map(|s| LocalPair {
                shift_px: (-40 + 40 * s as i32, 12),
                ..pair(s * 1000, 5000 + s * 1000, 20)
            })
            .collect();
        assert_eq!(align_local(&pan, &sampled, &params).len(), 1);
    }
}
