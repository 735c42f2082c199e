//! Split screens: two pictures stacked in the frame, one above the other.
//! A short-video site's "split screen" fills the top (or bottom) half of a
//! 9:16 screen with the leaked excerpt and the other half with unrelated
//! footage that keeps viewers watching; a hash of the whole frame sees
//! both and matches neither.
//!
//! The line between the two pictures is a straight horizontal edge across
//! the whole picture that stays put while both sides change. Per window of
//! samples, a pixel is on it when the picture steps sharply there (from
//! the row above, or across one blended row, as scaling leaves it) in most
//! frames; the row nearest the middle third whose width is mostly such
//! pixels, with much less of it two rows away (a line, not a band of
//! texture), splits the picture. Each pane is then a picture of its own:
//! a crop-to-fill pane keeps the excerpt's full height and its centre, so
//! its 9:16 window is the title's (see `views`).

use crate::luma::{LumaImage, Rect};

/// Neighbouring rows differing by this much (0-255) form an edge: well
/// above coding noise, below the step between two unrelated pictures.
const EDGE_STEP: u8 = 12;
/// A pixel is on a persistent edge when it is an edge in this share of
/// the window's frames (two pictures' borders differ most of the time,
/// not always: both can be dark at once).
const PERSISTENT_SHARE: f32 = 0.6;
/// Fewest frames to decide.
const MIN_FRAMES: usize = 4;
/// Most frames looked at per window, evenly spaced.
const MAX_FRAMES: usize = 16;
/// Each pane is at least this share of the picture's height: split
/// screens share the screen about evenly, and a thin band at an end is a
/// border or a caption bar.
const MIN_PANE_SHARE: f32 = 0.3;
/// Share of the row that persistent edges must cover (part of the line can
/// run where the two pictures look alike).
const MIN_COVERAGE: f32 = 0.7;
/// Rows two away from the line cover at most this share of what it does.
const MAX_NEIGHBOUR_RATIO: f32 = 0.5;
/// Fewest rows in the active picture to look for a split in.
const MIN_HEIGHT: usize = 32;

/// The two panes of a split screen, in working coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Panes {
    /// The upper picture, down to the row above the line.
    pub upper: Rect,
    /// The lower picture, from the row below the line.
    pub lower: Rect,
}

/// The panes of `active` in the window's frames, if they show two pictures
/// stacked along a straight line across it.
pub fn detect(window: &[LumaImage], active: Rect) -> Option<Panes> {
    let (w, h) = (active.width(), active.height());
    if window.len() < MIN_FRAMES || h < MIN_HEIGHT || w < 2 {
        return None;
    }
    let used: Vec<&LumaImage> = window
        .iter()
        .step_by(window.len().div_ceil(MAX_FRAMES))
        .collect();
    let need = (PERSISTENT_SHARE * used.len() as f32).ceil() as u16;
    // Rows whose step from the row above (`sharp`) or from two rows above
    // (`blended`: the line fell inside a working row) is persistent.
    let first = ((h as f32 * MIN_PANE_SHARE).ceil() as usize).max(2);
    let last = h.saturating_sub(first);
    if first + 2 > last || last + 2 >= h {
        return None;
    }
    // Rows looked at: two beyond each end, for the neighbours' coverage.
    let (lo, hi) = (first - 2, last + 2);
    let mut sharp = vec![0u16; (hi - lo + 1) * w];
    let mut blended = vec![0u16; (hi - lo + 1) * w];
    for picture in &used {
        let row = |y: usize| &picture.row(active.y0 + y)[active.x0..active.x1];
        for y in lo.max(2)..=hi {
            let (here, above, two_above) = (row(y), row(y - 1), row(y - 2));
            let at = (y - lo) * w;
            for x in 0..w {
                sharp[at + x] += u16::from(here[x].abs_diff(above[x]) >= EDGE_STEP);
                blended[at + x] += u16::from(here[x].abs_diff(two_above[x]) >= EDGE_STEP);
            }
        }
    }
    let cover = |counts: &[u16], y: usize| {
        let at = (y - lo) * w;
        counts[at..at + w].iter().filter(|&&c| c >= need).count() as f32 / w as f32
    };
    let coverage: Vec<(f32, f32)> = (lo..=hi)
        .map(|y| (cover(&sharp, y), cover(&blended, y)))
        .collect();
    let at = |y: usize| coverage[y - lo];
    let mut best: Option<(f32, usize)> = None;
    for y in first..=last {
        // A sharp line between rows y-1 and y; a blended one fills row y-1.
        let (sharp_here, blended_here) = at(y);
        let (line, split, beside) = if sharp_here >= blended_here {
            (sharp_here, y, [at(y - 2).0, at(y + 2).0])
        } else {
            (blended_here, y, [at(y - 2).1, at(y + 2).1])
        };
        if line < MIN_COVERAGE || beside.iter().any(|&b| b > line * MAX_NEIGHBOUR_RATIO) {
            continue;
        }
        // Nearest the middle wins among equals: the usual even split.
        let score = line - (split as f32 / h as f32 - 0.5).abs() * 0.1;
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, split));
        }
    }
    let (_, split) = best?;
    // The row the line fell in (blended) or next to belongs to neither.
    Some(Panes {
        upper: Rect {
            y1: active.y0 + split - 1,
            ..active
        },
        lower: Rect {
            y0: active.y0 + split + 1,
            ..active
        },
    })
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

    /// Two unrelated scenes stacked at row `split`, each moving on its own;
    /// with `blend`, the row at the line mixes both (a scaled boundary).
    fn frame(split: Option<usize>, blend: bool, seed: usize) -> LumaImage {
        let px = (0..WORK_SIDE * WORK_SIDE)
            .map(|i| {
                let (x, y) = (i % WORK_SIDE, i / WORK_SIDE);
                let upper = texture(x, y, seed);
                let lower = texture(2 * x + 7, y + 11, seed * 3 + 1);
                match split {
                    Some(s) if blend && y == s => ((u16::from(upper) + u16::from(lower)) / 2) as u8,
                    Some(s) if y >= s => lower,
                    _ => upper,
                }
            })
            .collect();
        LumaImage::new(WORK_SIDE, px)
    }

    #[test]
    fn two_stacked_pictures_are_split_at_their_line() {
        for (split, blend) in [(96, false), (96, true), (80, false), (120, true)] {
            let window: Vec<LumaImage> = (0..8).map(|s| frame(Some(split), blend, s)).collect();
            let panes = detect(&window, Rect::full(WORK_SIDE)).expect("a split");
            // Neither pane holds a row of the other picture or the blended
            // row, and each loses at most two rows of its own.
            let lower_from = if blend { split + 1 } else { split };
            assert!(
                (split - 2..=split).contains(&panes.upper.y1)
                    && (lower_from..=lower_from + 2).contains(&panes.lower.y0),
                "{split} {blend}: {panes:?}"
            );
            assert_eq!((panes.upper.y0, panes.lower.y1), (0, WORK_SIDE));
            assert_eq!((panes.upper.x0, panes.upper.x1), (0, WORK_SIDE));
        }
    }

    #[test]
    fn a_split_inside_an_active_picture_is_in_frame_coordinates() {
        let window: Vec<LumaImage> = (0..8).map(|s| frame(Some(100), false, s)).collect();
        let active = Rect {
            x0: 20,
            x1: 172,
            y0: 30,
            y1: 180,
        };
        let panes = detect(&window, active).expect("a split");
        assert_eq!((panes.upper.y0, panes.upper.y1), (30, 99));
        assert_eq!((panes.lower.y0, panes.lower.y1), (101, 180));
        assert_eq!((panes.lower.x0, panes.lower.x1), (20, 172));
    }

    #[test]
    fn one_picture_or_a_line_near_an_end_is_no_split() {
        let window: Vec<LumaImage> = (0..8).map(|s| frame(None, false, s)).collect();
        assert_eq!(detect(&window, Rect::full(WORK_SIDE)), None);
        // A caption bar's edge near the bottom is not a split screen.
        let window: Vec<LumaImage> = (0..8).map(|s| frame(Some(170), false, s)).collect();
        assert_eq!(detect(&window, Rect::full(WORK_SIDE)), None);
        // Too few frames to tell a persistent line from scenery.
        let window: Vec<LumaImage> = (0..3).map(|s| frame(Some(96), false, s)).collect();
        assert_eq!(detect(&window, Rect::full(WORK_SIDE)), None);
    }

    #[test]
    fn arbitrary_pictures_and_areas_never_panic() {
        for (window, active, _) in crate::luma::testing::arbitrary_windows(40) {
            let _ = detect(&window, active);
        }
    }
}
