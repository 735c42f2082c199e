//! Segments of a long clip matched part by part (the scan hands a long
//! video over in overlapping parts, so that memory does not grow with its
//! length): the same copy seen in two parts is one segment.

use crate::{MatchSegment, MatchedFrame};

/// Most a copy's title time may differ between two parts' segments at
/// the same clip time, ms, for them to be one copy.
const SAME_COPY_TOLERANCE_MS: f64 = 1_000.0;
/// Longest clip gap between two parts' segments of one copy, ms (the
/// parts overlap, so a copy's segments meet or overlap).
const MAX_JOIN_GAP_MS: u32 = 2_000;

/// Adds the segments of the next part (`later`) to those of the parts
/// before (`joined`): a later segment of the same title, orientation and
/// alignment (title time within 1 s at the same clip time) that overlaps
/// or meets an earlier one in the clip extends it; the others are added.
/// Strongest first, as the matcher gives them.
pub fn join_parts(joined: &mut Vec<MatchSegment>, later: Vec<MatchSegment>) {
    for segment in later {
        match joined.iter_mut().find(|s| same_copy(s, &segment)) {
            Some(earlier) => *earlier = merged(earlier, segment),
            None => joined.push(segment),
        }
    }
    joined.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.clip_start_ms.cmp(&b.clip_start_ms))
    });
}

/// Title time of `s`'s alignment at clip time `clip_ms`.
fn title_at(s: &MatchSegment, clip_ms: u32) -> f64 {
    s.offset_ms + s.speed * f64::from(clip_ms)
}

fn same_copy(a: &MatchSegment, b: &MatchSegment) -> bool {
    let meet = a.clip_start_ms.max(b.clip_start_ms);
    let gap = b
        .clip_start_ms
        .saturating_sub(a.clip_end_ms)
        .max(a.clip_start_ms.saturating_sub(b.clip_end_ms));
    a.title == b.title
        && a.mirrored == b.mirrored
        && gap <= MAX_JOIN_GAP_MS
        && (title_at(a, meet) - title_at(b, meet)).abs() <= SAME_COPY_TOLERANCE_MS
}

/// One segment covering both: frames united (one per clip time, the
/// closer kept), ends from whichever reaches further, the alignment of
/// the one with more matched frames, the stronger score (a part's score
/// already counts what it saw; joining never makes a weak match strong).
fn merged(a: &MatchSegment, b: MatchSegment) -> MatchSegment {
    let first = if a.clip_start_ms <= b.clip_start_ms {
        a
    } else {
        &b
    };
    let end = if a.clip_end_ms >= b.clip_end_ms {
        a
    } else {
        &b
    };
    let mut frames: Vec<MatchedFrame> = a.frames.iter().chain(&b.frames).copied().collect();
    frames.sort_by(|x, y| {
        x.query_ms
            .cmp(&y.query_ms)
            .then(x.distance.cmp(&y.distance))
    });
    frames.dedup_by_key(|f| f.query_ms);
    let matched_frames = if frames.is_empty() {
        a.matched_frames.max(b.matched_frames)
    } else {
        frames.len()
    };
    let span = |s: &MatchSegment| f64::from(s.clip_end_ms.saturating_sub(s.clip_start_ms).max(1));
    let coverage =
        ((a.coverage * span(a) + b.coverage * span(&b)) / (span(a) + span(&b))).clamp(0.0, 1.0);
    let mean_distance = if frames.is_empty() {
        a.mean_distance.min(b.mean_distance)
    } else {
        frames.iter().map(|f| f64::from(f.distance)).sum::<f64>() / frames.len() as f64
    };
    let aligned = if a.matched_frames >= b.matched_frames {
        a
    } else {
        &b
    };
    MatchSegment {
        title: a.title,
        mirrored: a.mirrored,
        speed: aligned.speed,
        offset_ms: aligned.offset_ms,
        clip_start_ms: first.clip_start_ms,
        clip_end_ms: end.clip_end_ms,
        title_start_ms: first.title_start_ms,
        title_end_ms: end.title_end_ms,
        matched_frames,
        sampled_frames: if coverage > 0.0 {
            ((matched_frames as f64 / coverage).round() as usize).max(matched_frames)
        } else {
            a.sampled_frames + b.sampled_frames
        },
        coverage,
        mean_distance,
        score: a.score.max(b.score),
        frames,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Evidence, TitleIndex};

    /// A segment of `title` over clip `from..=to` s, title time = clip
    /// time + `offset_s`, a matched frame every 250 ms.
    fn segment(title: usize, from_s: u32, to_s: u32, offset_s: f64, score: f64) -> MatchSegment {
        let frames: Vec<MatchedFrame> = (from_s * 4..=to_s * 4)
            .map(|k| MatchedFrame {
                query_ms: k * 250,
                title_ms: (f64::from(k * 250) + offset_s * 1000.0) as u32,
                distance: 10,
                evidence: Evidence::Search,
            })
            .collect();
        MatchSegment {
            title: TitleIndex(title),
            mirrored: false,
            speed: 1.0,
            offset_ms: offset_s * 1000.0,
            clip_start_ms: from_s * 1000,
            clip_end_ms: to_s * 1000,
            title_start_ms: (f64::from(from_s) * 1000.0 + offset_s * 1000.0) as u32,
            title_end_ms: (f64::from(to_s) * 1000.0 + offset_s * 1000.0) as u32,
            matched_frames: frames.len(),
            sampled_frames: frames.len(),
            coverage: 1.0,
            mean_distance: 10.0,
            score,
            frames,
        }
    }

    #[test]
    fn a_copy_seen_by_two_overlapping_parts_is_one_segment() {
        // Part 1 covers 0-300 s, part 2 270-600 s: the copy runs 250-400 s.
        let mut joined = vec![segment(3, 250, 300, 40.0, 0.8)];
        join_parts(&mut joined, vec![segment(3, 270, 400, 40.2, 0.9)]);
        assert_eq!(joined.len(), 1);
        let s = &joined[0];
        assert_eq!((s.clip_start_ms, s.clip_end_ms), (250_000, 400_000));
        assert_eq!((s.title_start_ms, s.title_end_ms), (290_000, 440_200));
        // One frame per clip time: 250-400 s every 250 ms.
        assert_eq!(s.matched_frames, 601);
        assert!(s.frames.windows(2).all(|w| w[0].query_ms < w[1].query_ms));
        assert_eq!(s.score, 0.9);
    }

    #[test]
    fn other_titles_orientations_alignments_and_distant_copies_stay_apart() {
        let mut joined = vec![segment(3, 250, 300, 40.0, 0.8)];
        let mut mirrored = segment(3, 270, 400, 40.0, 0.7);
        mirrored.mirrored = true;
        join_parts(
            &mut joined,
            vec![
                segment(4, 270, 400, 40.0, 0.6), // another title
                mirrored,                        // the other orientation
                segment(3, 270, 400, 55.0, 0.5), // the title again, elsewhere
                segment(3, 330, 400, 40.0, 0.4), // a later repeat, 30 s on
            ],
        );
        assert_eq!(joined.len(), 5);
        // Strongest first.
        assert!(joined.windows(2).all(|w| w[0].score >= w[1].score));
    }

    #[test]
    fn segments_that_only_meet_are_joined() {
        let mut joined = vec![segment(1, 10, 20, 5.0, 0.6)];
        join_parts(&mut joined, vec![segment(1, 21, 30, 5.0, 0.6)]);
        assert_eq!(joined.len(), 1);
        assert_eq!(
            (joined[0].clip_start_ms, joined[0].clip_end_ms),
            (10_000, 30_000)
        );
    }
}
