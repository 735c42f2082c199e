//! The stop-list: frames whose picture recurs across titles (studio
//! logos, shared credits) or within a title (a recurring title card) are
//! flagged as common when a segment is built; searches report them as
//! such and the matcher never counts them.
//!
//! Versions of one work (cuts, dubs, a localisation vendor's masters)
//! share nearly every picture, in order: counted as "other titles", every
//! frame of three versions was common and a verbatim copy matched none of
//! them. Titles that share a long time-aligned run ([`VERSION_RUN_MS`]) are
//! versions of each other and do not count toward each other's frames
//! being common; short shared material (a 3 s logo, an ident) still does.

use super::FLAG_COMMON;
use crate::mih::{ChunkTables, Geometry};
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
/// Two titles sharing near-duplicate frames at one time offset (within
/// [`VERSION_OFFSET_MS`]) over at least this long are versions of one
/// work: longer than logos, idents and bumpers (a few seconds), as long as
/// a scene.
pub const VERSION_RUN_MS: u32 = 10_000;
/// Offsets of a run's frames agree to this (frame rates and a dub's
/// re-timing move them a little).
pub const VERSION_OFFSET_MS: u32 = 1_000;
/// Frames near more than this many frames of other titles are left out
/// of finding versions: widely shared pictures (logos) are no sign of
/// them, and would make the pairs to look at countless.
const MAX_VERSION_FANOUT: u32 = 64;
/// A version run holds at least this many matched frames (a quarter of a
/// 4-per-second sampling over [`VERSION_RUN_MS`]).
pub const VERSION_MIN_FRAMES: usize = 10;

/// The stop-list: frames whose picture recurs across titles or within a
/// title (see [`COMMON_TITLES`], [`COMMON_REPEATS`]).
///
/// A self-join through the search tables, bucket by bucket: two frames
/// within [`COMMON_RADIUS`] share a chunk exactly (the radius is below the
/// chunk count), so every such pair sits in a common bucket, and is counted
/// in the first chunk they share. Walking each chunk's ids in order reads
/// the tables sequentially; buckets run in parallel. A large segment's
/// chunk ids are made for each walk and dropped after it (see
/// [`ChunkTables`]).
pub(super) fn common_flags(
    tables: &ChunkTables,
    codes: &[FrameHash],
    times: &[u32],
    starts: &[u32],
) -> Vec<u8> {
    const _: () = assert!(
        COMMON_TITLES == 3,
        "the counters below track two other titles"
    );
    let n = codes.len();
    let geometry: Geometry = tables.geometry();
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
    let note = |frame: usize, other: usize| {
        let tag = other as u32 + 1;
        match first_other[frame].compare_exchange(0, tag, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => {}
            Err(seen) if seen == tag => {}
            Err(_) => second_other[frame].store(true, Ordering::Relaxed),
        }
    };
    // Every near-duplicate pair of frames not of the same shot, by a
    // self-join through the search tables.
    let join = |visit: &(dyn Fn(usize, usize) + Sync)| {
        for j in 0..geometry.chunks {
            let offs = tables.chunk_offsets(j);
            let chunk_ids = tables.ids(j);
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
                                || (0..j).any(|k| geometry.chunk(ca, k) == geometry.chunk(cb, k))
                            {
                                continue;
                            }
                            visit(a, b);
                        }
                    }
                });
        }
    };
    // 1. Repeats within a title, other titles per frame, and how many
    // frames of other titles each frame is near (to a cap).
    let fanout: Vec<AtomicU32> = (0..n).map(|_| AtomicU32::new(0)).collect();
    join(&|a, b| {
        let (ta, tb) = (title_of(a), title_of(b));
        if ta == tb {
            repeats[a].fetch_add(1, Ordering::Relaxed);
            repeats[b].fetch_add(1, Ordering::Relaxed);
        } else {
            note(a, tb);
            note(b, ta);
            for f in [a, b] {
                let _ = fanout[f].fetch_update(Ordering::Relaxed, Ordering::Relaxed, |c| {
                    (c <= MAX_VERSION_FANOUT).then_some(c + 1)
                });
            }
        }
    });
    // 2. Versions, from the pairs of frames that few others share (a logo
    // in thousands of titles would make the pairs countless, and is no
    // sign of versions).
    let few = |f: usize| fanout[f].load(Ordering::Relaxed) <= MAX_VERSION_FANOUT;
    let sparse = std::sync::Mutex::new(Vec::new());
    join(&|a, b| {
        if title_of(a) != title_of(b) && few(a) && few(b) {
            sparse
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((a as u32, b as u32));
        }
    });
    let sparse = sparse.into_inner().unwrap_or_else(|p| p.into_inner());
    let versions = versions(&sparse, times, &title_of);
    // 3. Where there are versions, other titles per frame again, versions
    // of its own left out (a catalog without versions is done).
    if !versions.is_empty() {
        for (first, second) in first_other.iter().zip(&second_other) {
            first.store(0, Ordering::Relaxed);
            second.store(false, Ordering::Relaxed);
        }
        join(&|a, b| {
            let (ta, tb) = (title_of(a), title_of(b));
            if ta != tb && !versions.contains(&(ta.min(tb), ta.max(tb))) {
                note(a, tb);
                note(b, ta);
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

/// The pairs of titles (lower index first) that are versions of one work:
/// among their near-duplicate frame pairs `across`, at least
/// [`VERSION_MIN_FRAMES`] at one time offset (to [`VERSION_OFFSET_MS`])
/// spanning [`VERSION_RUN_MS`] of the first title.
fn versions(
    across: &[(u32, u32)],
    times: &[u32],
    title_of: &dyn Fn(usize) -> usize,
) -> std::collections::HashSet<(usize, usize)> {
    use std::collections::HashMap;
    // Per (title pair, offset bin): frames, first and last time.
    let mut runs: HashMap<(usize, usize, i64), (usize, u32, u32)> = HashMap::new();
    for &(a, b) in across {
        let (a, b) = (a as usize, b as usize);
        let (ta, tb) = (title_of(a), title_of(b));
        let (first, second) = if ta < tb { (a, b) } else { (b, a) };
        let offset = i64::from(times[second]) - i64::from(times[first]);
        let bin = offset.div_euclid(i64::from(VERSION_OFFSET_MS));
        let at = times[first];
        let run = runs
            .entry((ta.min(tb), ta.max(tb), bin))
            .or_insert((0, at, at));
        *run = (run.0 + 1, run.1.min(at), run.2.max(at));
    }
    // A run may straddle two bins: each bin is judged with its neighbour.
    let mut found = std::collections::HashSet::new();
    for (&(ta, tb, bin), &(count, from, to)) in &runs {
        let (count, from, to) = match runs.get(&(ta, tb, bin + 1)) {
            Some(&(c, f, t)) => (count + c, from.min(f), to.max(t)),
            None => (count, from, to),
        };
        if count >= VERSION_MIN_FRAMES && to - from >= VERSION_RUN_MS {
            found.insert((ta, tb));
        }
    }
    found
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

    /// `versions` copies of one 60 s work (each a few bits off, the later
    /// ones shifted by a second, as a dub's re-timing does), and three
    /// unrelated titles; every title opens with the same 3 s studio logo.
    fn versions_and_a_logo(versions: usize) -> Segment<AlignedBytes> {
        let logo: Vec<FrameHash> = (0..12).map(|i| code(880_000 + i)).collect();
        let mut b = SegmentBuilder::new(HashParams::default(), vfp_fingerprint::CATALOG_VIEW_PCT);
        let with_logo = |body: Vec<(u32, FrameHash)>| {
            let mut frames: Vec<(u32, FrameHash)> = logo
                .iter()
                .enumerate()
                .map(|(i, &h)| (i as u32 * 250, h))
                .collect();
            frames.extend(body.into_iter().map(|(t, h)| (t + 3_000, h)));
            frames
        };
        for v in 0..versions {
            let shift = if v == 0 { 0 } else { 1_000 };
            let body = (0..240u32)
                .map(|i| {
                    (
                        i * 250 + shift,
                        flip(code(10_000 + u64::from(i)), &[v * 7 % 256]),
                    )
                })
                .collect();
            b.add_title(record(&format!("V{v}")), with_logo(body))
                .unwrap();
        }
        for u in 0..3u64 {
            let body = (0..240u32)
                .map(|i| (i * 250, code(200_000 * (u + 1) + u64::from(i))))
                .collect();
            b.add_title(record(&format!("U{u}")), with_logo(body))
                .unwrap();
        }
        Segment::open(AlignedBytes::new(&b.finish())).unwrap()
    }

    #[test]
    fn versions_of_one_work_do_not_make_each_other_common_a_shared_logo_does() {
        for versions in [3, 5] {
            let seg = versions_and_a_logo(versions);
            let per_title = 12 + 240;
            for t in 0..versions + 3 {
                let first = t * per_title;
                for i in first..first + 12 {
                    assert!(seg.frame(i).unwrap().common, "{versions}: logo frame {i}");
                }
                for i in first + 12..first + per_title {
                    assert!(!seg.frame(i).unwrap().common, "{versions}: frame {i}");
                }
            }
        }
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
