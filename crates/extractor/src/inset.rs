//! Picture-in-picture: another video shown in a rectangle over the frame
//! (reaction videos, news segments, a leak pasted over unrelated footage
//! to dodge matching). A global hash of the frame sees mostly the host; the
//! inset must be found and hashed on its own.
//!
//! An inset's border is a straight edge that stays put while the pictures
//! on both sides of it change. Per window of samples, pixels where the
//! picture steps sharply (to the left and above) in most frames form
//! persistent edge runs; a rectangle whose four sides are each mostly
//! covered by such runs, and that is clearly smaller than the frame, is
//! the inset. Static scenery (a game's interface, a window border) can
//! give such a rectangle too: hashing it as well costs a few lookups and
//! cannot match anything that is not in the catalog.

use crate::luma::{LumaImage, Rect};

/// Neighbouring pixels differing by this much (0-255) form an edge: well
/// above coding noise, below the step between two unrelated pictures.
const EDGE_STEP: u8 = 12;
/// A pixel is on a persistent edge when it is an edge in this share of
/// the window's frames (two pictures' borders differ most of the time,
/// not always: both can be dark at once).
const PERSISTENT_SHARE: f32 = 0.6;
/// Fewest frames to decide.
const MIN_FRAMES: usize = 4;
/// Most frames looked at per window, evenly spaced: persistence over a
/// window's 4 s needs no more, and a dense query window holds 120.
const MAX_FRAMES: usize = 16;
/// Gaps this long (pixels) inside an edge run are bridged.
const MAX_GAP_PX: usize = 3;
/// An inset side spans at least this share of the active picture's side...
const MIN_SIDE_SHARE: f32 = 0.2;
/// ...and the inset at most this share of its area (larger is a border,
/// which [`borders`](crate::borders) handles).
const MAX_AREA_SHARE: f32 = 0.75;
/// Share of each side that persistent edges must cover (part of a side
/// can run where the inset and the host look alike).
const MIN_COVERAGE: f32 = 0.7;
/// One pair of opposite sides may be covered less, down to this share,
/// if the other pair is fully: where a dark inset's edge meets a dark
/// host, its step is too small to count.
const MIN_WEAK_COVERAGE: f32 = 0.4;
/// Two runs whose ends are this close (pixels) are aligned: the opposite
/// sides of one rectangle, whose other sides may be weak.
const ALIGN_PX: usize = 6;
/// Candidate runs kept per direction (the longest): textured hosts have
/// many long horizontal runs.
const MAX_CANDIDATES: usize = 64;

/// A run of persistent edge pixels along one line: `at` is the column (or
/// row), `from..to` the span along it.
#[derive(Clone, Copy, Debug)]
struct Run {
    at: usize,
    from: usize,
    to: usize,
}

impl Run {
    fn len(&self) -> usize {
        self.to - self.from
    }
}

/// The inset picture shown inside `active` in the window's frames, if one
/// is found.
pub fn detect(window: &[LumaImage], active: Rect) -> Option<Rect> {
    let (w, h) = (active.width(), active.height());
    if window.len() < MIN_FRAMES || w < 32 || h < 32 {
        return None;
    }
    // Per pixel, in how many frames it steps from its left (vertical
    // edges) and from above (horizontal edges).
    let mut left = vec![0u16; w * h];
    let mut above = vec![0u16; w * h];
    let used: Vec<&LumaImage> = window
        .iter()
        .step_by(window.len().div_ceil(MAX_FRAMES))
        .collect();
    for picture in &used {
        for y in 0..h {
            let row = &picture.row(active.y0 + y)[active.x0..active.x1];
            let prev = (y > 0).then(|| &picture.row(active.y0 + y - 1)[active.x0..active.x1]);
            for x in 0..w {
                if x > 0 && row[x].abs_diff(row[x - 1]) >= EDGE_STEP {
                    left[y * w + x] += 1;
                }
                if prev.is_some_and(|p| row[x].abs_diff(p[x]) >= EDGE_STEP) {
                    above[y * w + x] += 1;
                }
            }
        }
    }
    let need = (PERSISTENT_SHARE * used.len() as f32).ceil() as u16;
    let columns = runs(w, h, MIN_SIDE_SHARE * h as f32, |x, y| {
        left[y * w + x] >= need
    });
    let rows = runs(h, w, MIN_SIDE_SHARE * w as f32, |y, x| {
        above[y * w + x] >= need
    });
    // Share of `from..to` along a line that is persistent edge, over all
    // its runs: an inset's side can break where both pictures look alike.
    // Prefix counts of persistent edge pixels down each column and along
    // each row, so that a side's coverage costs two lookups.
    let mut down = vec![0u32; w * (h + 1)];
    for y in 0..h {
        for x in 0..w {
            down[(y + 1) * w + x] = down[y * w + x] + u32::from(left[y * w + x] >= need);
        }
    }
    let mut along = vec![0u32; (w + 1) * h];
    for y in 0..h {
        for x in 0..w {
            along[y * (w + 1) + x + 1] =
                along[y * (w + 1) + x] + u32::from(above[y * w + x] >= need);
        }
    }
    let share = |count: u32, from: usize, to: usize| count as f32 / (to - from).max(1) as f32;
    let col_cover =
        |x: usize, from: usize, to: usize| share(down[to * w + x] - down[from * w + x], from, to);
    let row_cover = |y: usize, from: usize, to: usize| {
        share(
            along[y * (w + 1) + to] - along[y * (w + 1) + from],
            from,
            to,
        )
    };
    let mut best: Option<(f32, Rect)> = None;
    // Scores the rectangle of sides at columns `l`, `r` and rows `t`, `b`
    // (relative to `active`) and keeps the best: each side at least
    // [`MIN_COVERAGE`] covered, or two opposite sides so and the other two
    // at least [`MIN_WEAK_COVERAGE`] (a dark inset's edge against a dark
    // host steps too little to count).
    let mut consider = |l: usize, r: usize, t: usize, b: usize| {
        if ((r - l) as f32) < MIN_SIDE_SHARE * w as f32
            || ((b - t) as f32) < MIN_SIDE_SHARE * h as f32
            || ((r - l) * (b - t)) as f32 > MAX_AREA_SHARE * (w * h) as f32
        {
            return;
        }
        let (vertical, horizontal) = (
            col_cover(l, t, b).min(col_cover(r, t, b)),
            row_cover(t, l, r).min(row_cover(b, l, r)),
        );
        let strong = |c: f32| c >= MIN_COVERAGE;
        let weak = |c: f32| c >= MIN_WEAK_COVERAGE;
        if !((strong(vertical) && weak(horizontal)) || (strong(horizontal) && weak(vertical))) {
            return;
        }
        let fit = 2.0 * (vertical + horizontal);
        if best.is_none_or(|(f, _)| fit > f) {
            let rect = Rect {
                x0: active.x0 + l,
                x1: active.x0 + r,
                y0: active.y0 + t,
                y1: active.y0 + b,
            };
            best = Some((fit, rect));
        }
    };
    for (i, a) in columns.iter().enumerate() {
        for c in &columns[i + 1..] {
            let (l, r) = if a.at < c.at { (a, c) } else { (c, a) };
            // Rows that span this pair's width: the top and bottom sides.
            let across: Vec<&Run> = rows
                .iter()
                .filter(|row| row_cover(row.at, l.at, r.at) >= MIN_WEAK_COVERAGE)
                .collect();
            for (j, d) in across.iter().enumerate() {
                for e in &across[j + 1..] {
                    let (t, b) = if d.at < e.at { (d, e) } else { (e, d) };
                    consider(l.at, r.at, t.at, b.at);
                }
            }
            // Two aligned columns alone: their common span gives the rows.
            if l.from.abs_diff(r.from) <= ALIGN_PX && l.to.abs_diff(r.to) <= ALIGN_PX {
                consider(l.at, r.at, l.from.min(r.from), l.to.max(r.to).min(h - 1));
            }
        }
    }
    // Two aligned rows alone: their common span gives the columns.
    for (i, a) in rows.iter().enumerate() {
        for c in &rows[i + 1..] {
            let (t, b) = if a.at < c.at { (a, c) } else { (c, a) };
            if t.from.abs_diff(b.from) <= ALIGN_PX && t.to.abs_diff(b.to) <= ALIGN_PX {
                consider(t.from.min(b.from), t.to.max(b.to).min(w - 1), t.at, b.at);
            }
        }
    }
    best.map(|(_, rect)| rect)
}

/// The longest runs (at most [`MAX_CANDIDATES`], each at least `min_len`)
/// of `lines` lines of `len` pixels where `on(line, i)` holds, gaps of up
/// to [`MAX_GAP_PX`] bridged.
fn runs(lines: usize, len: usize, min_len: f32, on: impl Fn(usize, usize) -> bool) -> Vec<Run> {
    let mut found = Vec::new();
    for at in 1..lines {
        let mut start: Option<usize> = None;
        let mut last_on = 0;
        for i in 0..=len {
            let lit = i < len && on(at, i);
            if lit {
                if start.is_none() {
                    start = Some(i);
                }
                last_on = i;
            } else if let Some(s) = start {
                if i == len || i - last_on > MAX_GAP_PX {
                    let run = Run {
                        at,
                        from: s,
                        to: last_on + 1,
                    };
                    if run.len() as f32 >= min_len {
                        found.push(run);
                    }
                    start = None;
                }
            }
        }
    }
    // One candidate per line, its longest run first.
    found.sort_by_key(|r| (std::cmp::Reverse(r.len()), r.at));
    let mut seen = std::collections::HashSet::new();
    found.retain(|r| seen.insert(r.at));
    found.truncate(MAX_CANDIDATES);
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::luma::WORK_SIDE;

    /// Smooth moving scenery: neighbours differ by a few grey levels.
    fn texture(x: usize, y: usize, seed: usize) -> u8 {
        let (x, y, t) = (x as f32, y as f32, seed as f32);
        (128.0 + 80.0 * (0.07 * x + 0.9 * t).sin() * (0.05 * y - 0.6 * t).cos()) as u8
    }

    /// A host scene with `inset` pasted over it, each moving on its own.
    fn frame(inset: Option<Rect>, seed: usize) -> LumaImage {
        let px = (0..WORK_SIDE * WORK_SIDE)
            .map(|i| {
                let (x, y) = (i % WORK_SIDE, i / WORK_SIDE);
                match inset {
                    Some(r) if (r.x0..r.x1).contains(&x) && (r.y0..r.y1).contains(&y) => {
                        texture(2 * x + 7, y + 11, seed * 3 + 1)
                    }
                    _ => texture(x, y, seed),
                }
            })
            .collect();
        LumaImage::new(WORK_SIDE, px)
    }

    #[test]
    fn an_inset_is_found_wherever_it_sits() {
        let cases = [
            Rect {
                x0: 4,
                x1: 100,
                y0: 100,
                y1: 154,
            },
            Rect {
                x0: 48,
                x1: 144,
                y0: 40,
                y1: 150,
            },
            Rect {
                x0: 90,
                x1: 186,
                y0: 6,
                y1: 90,
            },
        ];
        for inset in cases {
            let window: Vec<LumaImage> = (0..8).map(|s| frame(Some(inset), s)).collect();
            let found = detect(&window, Rect::full(WORK_SIDE));
            assert_eq!(found, Some(inset));
        }
    }

    #[test]
    fn an_inset_whose_sides_fade_into_the_host_is_found_by_its_other_two() {
        // Over the upper half of the inset, its left and right edges look
        // like the host (a dark inset on a dark host): those sides are
        // half covered, the top and bottom fully.
        let inset = Rect {
            x0: 48,
            x1: 144,
            y0: 32,
            y1: 160,
        };
        let half = (inset.y0 + inset.y1) / 2;
        let window: Vec<LumaImage> = (0..8)
            .map(|seed| {
                let f = frame(Some(inset), seed);
                let mut px = f.pixels().to_vec();
                for y in inset.y0..half {
                    for x in [inset.x0, inset.x0 + 1, inset.x1 - 2, inset.x1 - 1] {
                        px[y * WORK_SIDE + x] = texture(x, y, seed);
                    }
                }
                LumaImage::new(WORK_SIDE, px)
            })
            .collect();
        // Where the faded sides are is known to a few pixels only.
        let found = detect(&window, Rect::full(WORK_SIDE)).expect("an inset");
        let near = |a: usize, b: usize| a.abs_diff(b) <= 4;
        assert!(
            near(found.x0, inset.x0)
                && near(found.x1, inset.x1)
                && (found.y0, found.y1) == (inset.y0, inset.y1),
            "{found:?}"
        );
        // With only the top and bottom, the fade on both sides over the
        // whole height is a band, not an inset.
        let bands: Vec<LumaImage> = (0..8)
            .map(|seed| {
                let mut px = frame(None, seed).pixels().to_vec();
                for y in [inset.y0, inset.y1] {
                    for x in inset.x0..inset.x1 {
                        px[y * WORK_SIDE + x] = 255 - px[(y - 1) * WORK_SIDE + x] / 2;
                    }
                }
                LumaImage::new(WORK_SIDE, px)
            })
            .collect();
        assert_eq!(detect(&bands, Rect::full(WORK_SIDE)), None);
    }

    #[test]
    fn plain_video_has_no_inset() {
        let window: Vec<LumaImage> = (0..8).map(|s| frame(None, s)).collect();
        assert_eq!(detect(&window, Rect::full(WORK_SIDE)), None);
        // Too few frames to tell persistent edges from scenery.
        let inset = Rect {
            x0: 48,
            x1: 144,
            y0: 40,
            y1: 150,
        };
        let window: Vec<LumaImage> = (0..3).map(|s| frame(Some(inset), s)).collect();
        assert_eq!(detect(&window, Rect::full(WORK_SIDE)), None);
    }

    #[test]
    fn arbitrary_pictures_and_areas_never_panic() {
        for (window, active, _) in crate::luma::testing::arbitrary_windows(40) {
            let _ = detect(&window, active);
        }
    }
}
