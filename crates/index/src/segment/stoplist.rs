//! The stop-list: frames whose picture recurs across titles (studio
//! logos, shared credits) or within a title (a recurring title card) are
//! flagged as common when a segment is built; searches report them as
//! such and the matcher never counts them.

use super::FLAG_COMMON;
use crate::mih::Geometry;
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use vfp_fingerprint::FrameHash;

/// Frames within this distance of each other count as the same picture
/// for the stop-list.
pub const COMMON_RADIUS: u32 = 8;
/// A picture found in this many titles (itself included) is common:
/// studio logos, shared opening credits, recaps.
pub const COMMON_TITLES: usize = 3;
/// A picture found this many more times in its own title, each at least
/// [`COMMON_REPEAT_GAP_MS`] away, is common too (a recurring title card).
pub const COMMON_REPEATS: usize = 3;
/// Repeats closer than this are the same shot, not a recurrence.
pub const COMMON_REPEAT_GAP_MS: u32 = 10_000;

/// The stop-list: frames whose picture recurs across titles or within a
/// title (see [`COMMON_TITLES`], [`COMMON_REPEATS`]).
///
/// A self-join through the search tables, bucket by bucket: two frames
/// within [`COMMON_RADIUS`] share a chunk exactly (the radius is below the
/// chunk count), so every such pair sits in a common bucket, and is counted
/// in the first chunk they share. Walking each chunk's ids in order reads
/// the tables sequentially; buckets run in parallel.
pub(super) fn common_flags(
    geometry: Geometry,
    codes: &[FrameHash],
    times: &[u32],
    offsets: &[u32],
    ids: &[u32],
    starts: &[u32],
) -> Vec<u8> {
    const _: () = assert!(
        COMMON_TITLES == 3,
        "the counters below track two other titles"
    );
    let n = codes.len();
    let buckets = geometry.buckets();
    // Per frame, the first id after it that is no longer the same shot:
    // another title, or at least the gap later. Times increase in a title.
    let mut shot_end = vec![0u32; n];
    for t in 0..starts.len().saturating_sub(1) {
        let (a, b) = (starts[t] as usize, starts[t + 1] as usize);
        let mut end = a;
        for i in a..b {
            while end < b && times[end] < times[i].saturating_add(COMMON_REPEAT_GAP_MS) {
                end += 1;
            }
            shot_end[i] = end as u32;
        }
    }
    let title_of = |frame: usize| starts.partition_point(|&s| s as usize <= frame) - 1;
    // Per frame: first other title seen (+1, 0 = none), a second one seen,
    // repeats in its own title.
    let first_other: Vec<AtomicU32> = (0..n).map(|_| AtomicU32::new(0)).collect();
    let second_other: Vec<AtomicBool> = (0..n).map(|_| AtomicBool::new(false)).collect();
    let repeats: Vec<AtomicU32> = (0..n).map(|_| AtomicU32::new(0)).collect();
    let note = |frame: usize, own: usize, other: usize| {
        if own == other {
            repeats[frame].fetch_add(1, Ordering::Relaxed);
            return;
        }
        let tag = other as u32 + 1;
        match first_other[frame].compare_exchange(0, tag, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => {}
            Err(seen) if seen == tag => {}
            Err(_) => second_other[frame].store(true, Ordering::Relaxed),
        }
    };
    for j in 0..geometry.chunks as usize {
        let offs = &offsets[j * (buckets + 1)..(j + 1) * (buckets + 1)];
        let chunk_ids = &ids[j * n..(j + 1) * n];
        (0..buckets)
            .into_par_iter()
            .with_min_len(4096)
            .for_each(|v| {
                let bucket = &chunk_ids[offs[v] as usize..offs[v + 1] as usize];
                for (x, &a) in bucket.iter().enumerate() {
                    let a = a as usize;
                    // Ids ascend: skip the rest of a's shot in one search.
                    let rest = &bucket[x + 1..];
                    let from = rest.partition_point(|&b| b < shot_end[a]);
                    for &b in &rest[from..] {
                        let b = b as usize;
                        let (ca, cb) = (&codes[a], &codes[b]);
                        if ca.hamming(cb) > COMMON_RADIUS
                            || (0..j as u32).any(|k| geometry.chunk(ca, k) == geometry.chunk(cb, k))
                        {
                            continue;
                        }
                        let (ta, tb) = (title_of(a), title_of(b));
                        note(a, ta, tb);
                        note(b, tb, ta);
                    }
                }
            });
    }
    (0..n)
        .map(|i| {
            let titles = 1
                + usize::from(first_other[i].load(Ordering::Relaxed) != 0)
                + usize::from(second_other[i].load(Ordering::Relaxed));
            let common = titles >= COMMON_TITLES
                || repeats[i].load(Ordering::Relaxed) as usize >= COMMON_REPEATS;
            if common {
                FLAG_COMMON
            } else {
                0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::testing::{code, flip, record};
    use crate::segment::{AlignedBytes, Segment, SegmentBuilder};
    use vfp_fingerprint::HashParams;

    #[test]
    fn common_frames_are_flagged() {
        let logo = code(999_999);
        let mut b = SegmentBuilder::new(HashParams::default(), vfp_fingerprint::CATALOG_VIEW_PCT);
        for (t, id) in ["A", "B", "C"].iter().enumerate() {
            let frames = (0..100u32).map(move |i| {
                let h = if i == 0 {
                    flip(logo, &[t * 3])
                } else {
                    code(u64::from(i) + 1000 * t as u64)
                };
                (i * 250, h)
            });
            b.add_title(record(id), frames).unwrap();
        }
        // A title card recurring every 20 s within title D.
        let card = code(777_777);
        b.add_title(
            record("D"),
            (0..400u32).map(|i| {
                (
                    i * 250,
                    if i % 80 == 5 {
                        card
                    } else {
                        code(50_000 + u64::from(i))
                    },
                )
            }),
        )
        .unwrap();
        let seg = Segment::open(AlignedBytes::new(&b.finish())).unwrap();
        for i in [0, 100, 200] {
            assert!(seg.frame(i).unwrap().common, "logo frame {i}");
        }
        assert!(seg.frame(305).unwrap().common, "recurring card");
        assert!(!seg.frame(1).unwrap().common);
        assert!(!seg.frame(306).unwrap().common);
    }

    #[test]
    fn stop_list_matches_a_brute_force_count() {
        // Five titles of 400 frames; pictures drawn from a small pool so
        // that near-duplicates recur across and within titles.
        let pool: Vec<FrameHash> = (0..60).map(|i| code(90_000 + i)).collect();
        let mut b = SegmentBuilder::new(HashParams::default(), vfp_fingerprint::CATALOG_VIEW_PCT);
        let mut all: Vec<(usize, u32, FrameHash)> = Vec::new();
        let mut seed = 1u64;
        for t in 0..5usize {
            let frames: Vec<(u32, FrameHash)> = (0..400u32)
                .map(|i| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    let h = if seed >> 60 < 3 {
                        flip(
                            pool[(seed >> 20) as usize % pool.len()],
                            &[(seed >> 8) as usize % 256],
                        )
                    } else {
                        code(seed)
                    };
                    (i * 500, h)
                })
                .collect();
            all.extend(frames.iter().map(|&(tm, h)| (t, tm, h)));
            b.add_title(record(&format!("T{t}")), frames).unwrap();
        }
        let seg = Segment::open(AlignedBytes::new(&b.finish())).unwrap();
        let mut flagged = 0;
        for (i, &(ti, tm, h)) in all.iter().enumerate() {
            let mut titles = vec![ti];
            let mut repeats = 0;
            for (j, &(tj, tn, g)) in all.iter().enumerate() {
                if i == j || h.hamming(&g) > COMMON_RADIUS {
                    continue;
                }
                if tj != ti {
                    if !titles.contains(&tj) {
                        titles.push(tj);
                    }
                } else if tm.abs_diff(tn) >= COMMON_REPEAT_GAP_MS {
                    repeats += 1;
                }
            }
            let expected = titles.len() >= COMMON_TITLES || repeats >= COMMON_REPEATS;
            assert_eq!(seg.frame(i).unwrap().common, expected, "frame {i}");
            flagged += usize::from(expected);
        }
        assert!(
            flagged > 20,
            "the test must exercise the stop-list ({flagged} flagged)"
        );
    }
}
