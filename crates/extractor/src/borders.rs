//! Finding the active picture: the part of the frame left after dropping
//! black or blurred borders (letterbox, pillarbox, the 9:16 re-framing of
//! short-video apps, with black or blurred fill).
//!
//! Borders are told apart from content by two statistics per row and per
//! column of the working picture: the share of lit pixels (black bars are
//! dark) and the mean texture (blurred fill is smooth). Over a window of
//! frames, a row is content if it is lit and textured in any frame: bars
//! stay dark or smooth in every frame, while a dark part of a scene lights
//! up or moves sooner or later. From each edge, the content starts at the
//! first solid run of content rows (a caption burned into a bar is too thin
//! to count). Bars are centred, so each axis is cut by what both of its
//! ends share: a shadowed wall at one edge is never cut. A window of flat
//! or dark frames keeps the previous area.

use crate::luma::{LumaImage, Rect};
use std::collections::VecDeque;
use std::ops::Range;

/// A pixel brighter than this is lit (video black is 16, plus coding noise).
const LIT_LUMA: u8 = 40;
/// A row or column with fewer lit pixels than this share is dark.
const MIN_LIT_SHARE: f32 = 0.03;
/// A row or column whose mean texture is below this share of the central
/// content's is smooth (blurred fill). Texture is the absolute discrete
/// Laplacian: unlike the gradient, it stays low on the broad ramps that a
/// heavy blur leaves (measured on a 9:16 blur-filled re-frame: fill 1.0-1.6,
/// content 6-20 per pixel at the working size).
const SMOOTH_SHARE: f32 = 0.2;
/// Rows (columns) with less texture than this are smooth whatever the
/// centre holds. Coding noise lifts a blurred fill to 1-1.6 in a single
/// frame and past 2 in some frames of a window; with 2.0 the test clip's
/// blur fill stayed uncut in most windows, with 3.0 it is cut in all.
const MIN_TEXTURE: f32 = 3.0;
/// Frames whose central mean texture is below this (per pixel, 0-255
/// scale) are too flat or dark to say where their borders are.
const MIN_CENTRE_TEXTURE: f32 = 2.0;
/// A side's border must be at least this share of the picture to be cut,
/// so that the dark, smooth edges of a dim scene, which a low-bitrate copy
/// loses texture in first, never change its crop (measured: 4% in the test
/// film's last shot at 150 kb/s). Thinner bars barely move the hash.
const MIN_BORDER_SHARE: f32 = 0.05;
/// A border that moves by at most this many pixels from one window to the
/// next is kept where it was.
const AGREE_PX: usize = 2;
/// Frames with a textured centre needed to decide (fewer in a shorter
/// window, e.g. a short clip in keyframe mode).
const MIN_VOTERS: usize = 3;
/// Windows whose content masks are remembered (about 12 s): long enough that scenery which stays dark for a few seconds is
/// not cut, short enough to follow a change of framing in a compilation.
const HISTORY_WINDOWS: usize = 3;
/// The active picture must keep at least this share of each dimension.
const MIN_ACTIVE_SHARE: f32 = 0.25;

/// Tracks the active picture across windows of frames.
#[derive(Clone, Debug)]
pub struct BorderDetector {
    side: usize,
    current: Rect,
    /// Row content masks of the last windows that could vote.
    history_rows: VecDeque<Vec<bool>>,
    /// Column content masks of the last windows that could vote.
    history_cols: VecDeque<Vec<bool>>,
}

/// One frame's statistics along one axis (rows or columns).
struct Profile {
    lit_share: Vec<f32>,
    /// Mean absolute discrete Laplacian.
    texture: Vec<f32>,
}

impl BorderDetector {
    /// A detector for `side`² working pictures, starting from the full frame.
    pub fn new(side: usize) -> Self {
        BorderDetector {
            side,
            current: Rect::full(side),
            history_rows: VecDeque::with_capacity(HISTORY_WINDOWS),
            history_cols: VecDeque::with_capacity(HISTORY_WINDOWS),
        }
    }

    /// The active picture as last decided.
    pub fn current(&self) -> Rect {
        self.current
    }

    /// Updates the active picture from a window of consecutive frames and
    /// returns it.
    ///
    /// Rows first (letterbox, 9:16 re-framing), then columns measured only
    /// within the rows kept, so that tall bars do not dilute the columns'
    /// statistics.
    pub fn update(&mut self, window: &[LumaImage]) -> Rect {
        let s = self.side;
        let min_voters = window.len().clamp(1, MIN_VOTERS);
        let cur = self.current;
        let Some(rows) = content_mask(window, Axis::Rows, 0..s, min_voters) else {
            return cur;
        };
        let (top, bottom) = decide(
            remember(&mut self.history_rows, rows, s),
            (cur.y0, s - cur.y1),
        );
        let (left, right) = match content_mask(window, Axis::Columns, top..s - bottom, min_voters) {
            Some(cols) => decide(
                remember(&mut self.history_cols, cols, s),
                (cur.x0, s - cur.x1),
            ),
            None => (cur.x0, s - cur.x1),
        };
        let min_active = (MIN_ACTIVE_SHARE * s as f32) as usize;
        if top + bottom + min_active <= s && left + right + min_active <= s {
            self.current = Rect {
                x0: left,
                x1: s - right,
                y0: top,
                y1: s - bottom,
            };
        }
        self.current
    }
}

/// Rows or columns.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Axis {
    Rows,
    Columns,
}

/// Which rows (columns) are content in any frame of the window: lit and
/// textured. `None` if too few frames have a textured centre to say.
/// Columns are measured over the rows in `span` only.
fn content_mask(
    window: &[LumaImage],
    axis: Axis,
    span: Range<usize>,
    min_voters: usize,
) -> Option<Vec<bool>> {
    let s = window.first()?.side();
    let mut content = vec![false; s];
    let mut voters = 0;
    for img in window {
        debug_assert_eq!(img.side(), s);
        let p = profile(img, axis, span.clone());
        let Some(threshold) = smooth_threshold(&p) else {
            continue;
        };
        voters += 1;
        for (i, c) in content.iter_mut().enumerate() {
            *c |= p.lit_share[i] >= MIN_LIT_SHARE && p.texture[i] >= threshold;
        }
    }
    (voters >= min_voters).then_some(content)
}

/// Adds a window's mask to the history and returns the union of the
/// history: content anywhere in the recent windows is content now, so a
/// dark scene following a bright one does not shrink the picture.
fn remember(history: &mut VecDeque<Vec<bool>>, mask: Vec<bool>, side: usize) -> Vec<bool> {
    if history.len() == HISTORY_WINDOWS {
        history.pop_front();
    }
    history.push_back(mask);
    let mut union = vec![false; side];
    for mask in history.iter() {
        for (u, m) in union.iter_mut().zip(mask) {
            *u |= m;
        }
    }
    union
}

/// The border at both ends of an axis from its content mask, or `previous`
/// if there is no content run.
fn decide(content: Vec<bool>, previous: (usize, usize)) -> (usize, usize) {
    let s = content.len();
    let min_border = (MIN_BORDER_SHARE * s as f32).ceil() as usize;
    let (Some(a), Some(b)) = (
        content_start(content.iter().copied()),
        content_start(content.iter().rev().copied()),
    ) else {
        return previous;
    };
    // Bars, pads and re-framing fill are centred; a dark or smooth part of
    // a scene at one edge (a wall in shadow, a clear sky) is not. Cutting
    // only what both ends share keeps such scenery.
    let border = a.min(b);
    let border = if border < min_border {
        0
    } else {
        // Skip the row or column where bar and content blend.
        border + 1
    };
    // Small wobbles from window to window would change every hash of a
    // window a little; keep the previous border through them.
    if border.abs_diff(previous.0) <= AGREE_PX && previous.0 == previous.1 {
        previous
    } else {
        (border, border)
    }
}

/// Lit share and mean texture of every row (over all columns) or every
/// column (over the rows in `span`).
fn profile(img: &LumaImage, axis: Axis, span: Range<usize>) -> Profile {
    let s = img.side();
    let px = img.pixels();
    let mut lit = vec![0u32; s];
    let mut texture = vec![0u32; s];
    let rows = match axis {
        Axis::Rows => 0..s,
        Axis::Columns => span,
    };
    let n = match axis {
        Axis::Rows => s,
        Axis::Columns => rows.len().max(1),
    };
    for y in rows {
        let row = &px[y * s..(y + 1) * s];
        let above = if y > 0 { &px[(y - 1) * s..y * s] } else { row };
        let below = if y + 1 < s {
            &px[(y + 1) * s..(y + 2) * s]
        } else {
            row
        };
        for x in 0..s {
            let p = i32::from(row[x]);
            let left = i32::from(row[x.saturating_sub(1)]);
            let right = i32::from(row[(x + 1).min(s - 1)]);
            let t = (2 * p - left - right).unsigned_abs()
                + (2 * p - i32::from(above[x]) - i32::from(below[x])).unsigned_abs();
            let i = if axis == Axis::Rows { y } else { x };
            lit[i] += u32::from(row[x] > LIT_LUMA);
            texture[i] += t;
        }
    }
    let share = |v: Vec<u32>| v.into_iter().map(|c| c as f32 / n as f32).collect();
    Profile {
        lit_share: share(lit),
        texture: share(texture),
    }
}

/// The texture below which a row (column) counts as smooth, from the
/// median of the central half; `None` if the centre itself is flat.
fn smooth_threshold(p: &Profile) -> Option<f32> {
    let s = p.texture.len();
    let mut centre: Vec<f32> = p.texture[s / 4..s - s / 4].to_vec();
    centre.sort_unstable_by(f32::total_cmp);
    let median = centre[centre.len() / 2];
    (median >= MIN_CENTRE_TEXTURE).then_some((median * SMOOTH_SHARE).max(MIN_TEXTURE))
}

/// Index of the first content row (column) that opens a solid run of
/// content, from the start of `content`. A short run (a caption or logo
/// burned into a bar) does not count. `None` if there is no such run in
/// the first half.
fn content_start(content: impl Iterator<Item = bool>) -> Option<usize> {
    let content: Vec<bool> = content.collect();
    let s = content.len();
    let run = (s / 10).max(4);
    (0..s / 2).find(|&i| {
        content[i] && {
            let window = &content[i..(i + run).min(s)];
            window.iter().filter(|&&c| c).count() * 10 >= window.len() * 8
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: usize = 96;

    /// Textured content inside `rect`, `fill` outside, varying with `seed`.
    fn framed(rect: Rect, fill: impl Fn(usize, usize) -> u8, seed: usize) -> LumaImage {
        let mut px = vec![0u8; S * S];
        for y in 0..S {
            for x in 0..S {
                px[y * S + x] = if x >= rect.x0 && x < rect.x1 && y >= rect.y0 && y < rect.y1 {
                    (60 + ((x * 7 + y * 13 + seed * 31) % 41) * 4) as u8
                } else {
                    fill(x, y)
                };
            }
        }
        LumaImage::new(S, px)
    }

    fn window(rect: Rect, fill: impl Fn(usize, usize) -> u8 + Copy) -> Vec<LumaImage> {
        (0..8).map(|i| framed(rect, fill, i)).collect()
    }

    #[test]
    fn a_full_frame_video_keeps_the_full_frame() {
        let mut d = BorderDetector::new(S);
        assert_eq!(d.update(&window(Rect::full(S), |_, _| 0)), Rect::full(S));
    }

    #[test]
    fn letterbox_bars_are_cut() {
        let content = Rect {
            x0: 0,
            x1: S,
            y0: 20,
            y1: 76,
        };
        let mut d = BorderDetector::new(S);
        let r = d.update(&window(content, |_, _| 16));
        assert_eq!(
            r,
            Rect {
                x0: 0,
                x1: S,
                y0: 21,
                y1: 75
            }
        );
    }

    #[test]
    fn pillarbox_bars_are_cut() {
        let content = Rect {
            x0: 12,
            x1: 84,
            y0: 0,
            y1: S,
        };
        let mut d = BorderDetector::new(S);
        let r = d.update(&window(content, |_, _| 20));
        assert_eq!(
            r,
            Rect {
                x0: 13,
                x1: 83,
                y0: 0,
                y1: S
            }
        );
    }

    #[test]
    fn smooth_bright_fill_is_cut_like_black() {
        let content = Rect {
            x0: 0,
            x1: S,
            y0: 30,
            y1: 66,
        };
        let mut d = BorderDetector::new(S);
        let r = d.update(&window(content, |_, y| 90 + (y / 8) as u8));
        // The row where fill and content meet may land on either side.
        assert!(
            (30..=31).contains(&r.y0) && (65..=66).contains(&r.y1),
            "{r:?}"
        );
        assert_eq!((r.x0, r.x1), (0, S));
    }

    #[test]
    fn a_caption_in_the_bar_does_not_stop_the_cut() {
        let content = Rect {
            x0: 0,
            x1: S,
            y0: 30,
            y1: 66,
        };
        // Bright text-like stripes in rows 5..8 of the top bar.
        let fill = |x: usize, y: usize| {
            if (5..8).contains(&y) && x.is_multiple_of(3) {
                250
            } else {
                16
            }
        };
        let mut d = BorderDetector::new(S);
        assert_eq!(d.update(&window(content, fill)).y0, 31);
    }

    #[test]
    fn flat_frames_keep_the_previous_area() {
        let content = Rect {
            x0: 0,
            x1: S,
            y0: 20,
            y1: 76,
        };
        let mut d = BorderDetector::new(S);
        let first = d.update(&window(content, |_, _| 16));
        let black = vec![LumaImage::new(S, vec![16; S * S]); 8];
        assert_eq!(d.update(&black), first);
    }

    #[test]
    fn a_dark_part_of_the_scene_that_moves_is_content() {
        // Frame i is dark down to row `top`, then textured; one frame shows
        // the whole picture, so no row is dark throughout.
        let mut d = BorderDetector::new(S);
        let frames: Vec<LumaImage> = (0..8)
            .map(|i| {
                let top = [0, 10, 25, 40, 5, 33, 18, 2][i];
                framed(
                    Rect {
                        x0: 0,
                        x1: S,
                        y0: top,
                        y1: S - top,
                    },
                    |_, _| 0,
                    i,
                )
            })
            .collect();
        assert_eq!(d.update(&frames), Rect::full(S));
    }

    #[test]
    fn scenery_beside_a_bar_is_kept() {
        // Pillarbox of 12 columns, plus dark scenery 20 more on the left.
        let content = Rect {
            x0: 32,
            x1: 84,
            y0: 0,
            y1: S,
        };
        let mut d = BorderDetector::new(S);
        let r = d.update(&window(content, |_, _| 16));
        assert_eq!((r.x0, r.x1), (13, 83));
    }

    #[test]
    fn small_wobbles_keep_the_previous_area() {
        let mut d = BorderDetector::new(S);
        let first = d.update(&window(
            Rect {
                x0: 0,
                x1: S,
                y0: 20,
                y1: 76,
            },
            |_, _| 16,
        ));
        let second = d.update(&window(
            Rect {
                x0: 0,
                x1: S,
                y0: 21,
                y1: 75,
            },
            |_, _| 16,
        ));
        assert_eq!(first, second);
    }

    #[test]
    fn a_new_framing_is_taken_once_the_old_one_has_left_the_history() {
        let mut d = BorderDetector::new(S);
        d.update(&window(
            Rect {
                x0: 0,
                x1: S,
                y0: 20,
                y1: 76,
            },
            |_, _| 16,
        ));
        let wider_bars = window(
            Rect {
                x0: 0,
                x1: S,
                y0: 30,
                y1: 66,
            },
            |_, _| 16,
        );
        for _ in 1..HISTORY_WINDOWS {
            assert_eq!(d.update(&wider_bars).y0, 21, "old content still remembered");
        }
        let r = d.update(&wider_bars);
        assert_eq!((r.y0, r.y1), (31, 65));
    }

    #[test]
    fn a_dark_region_at_one_edge_is_scenery() {
        // Dark, flat left part of a static scene: not a pillarbox.
        let content = Rect {
            x0: 20,
            x1: S,
            y0: 0,
            y1: S,
        };
        let mut d = BorderDetector::new(S);
        assert_eq!(d.update(&window(content, |_, _| 10)), Rect::full(S));
    }

    #[test]
    fn thin_edges_are_not_cut() {
        // Two dark rows at the top: under MIN_BORDER_SHARE, left alone.
        let content = Rect {
            x0: 0,
            x1: S,
            y0: 2,
            y1: S,
        };
        let mut d = BorderDetector::new(S);
        assert_eq!(d.update(&window(content, |_, _| 0)), Rect::full(S));
    }
}
