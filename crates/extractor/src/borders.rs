//! Finding the active picture: the part of the frame left after dropping
//! black or blurred borders (letterbox, pillarbox, the 9:16 re-framing of
//! short-video apps, with black or blurred fill).
//!
//! Per row and per column of the working picture, three statistics: the
//! share of lit pixels, the mean texture (absolute Laplacian) and the share
//! that steps from the previous row (a straight edge). Over a window of at
//! least 4 s, and the two windows before it, a row is
//! - a possible *black pad* if it is dark and flat in every frame;
//! - a possible *smooth fill* if it is smooth in every frame.
//!
//! A logo, watermark or caption laid over a bar stays put while the picture
//! moves: pixels that stay lit and still through a window in which most
//! of the frame moves are an overlay, left out of the statistics (unless
//! they fill much of a row: a still band of scenery). From each end, the
//! border runs to the first solid run of other rows (a caption burned into
//! a bar is too thin to stop it). Pads are cut by what
//! both ends share: bars are centred, so a dark part of the scene next to
//! one bar is kept. Smooth fill is ambiguous (a clear sky, a plain wall,
//! an upscaled low-resolution scene are smooth too), so it is cut only
//! where it ends in a straight edge across the picture, the border of an
//! overlaid picture, or where both ends agree to within two pixels. A
//! window of flat frames keeps the previous area; small wobbles keep it
//! too, so a title's hashes do not drift from window to window.
//!
//! Framing can change inside a window: a re-upload's intro or outro card
//! of 0.3-2 s is full-frame, a compilation puts differently framed
//! excerpts side by side. A window whose frames step once from padded to
//! unpadded (or back) is decided in two parts
//! ([`BorderDetector::framing_change`]); a minority of a window's frames
//! (at most a quarter) with content where all the others have black pads
//! are left out of its vote; and a window that on its own has black pads
//! at both ends, deeper than the recent windows allow, was reframed: it
//! decides alone, without the recent windows' content.

use crate::luma::{window_extremes, LumaImage, Rect};
use std::collections::VecDeque;
use std::ops::Range;

/// A pixel brighter than this is lit (video black is 16, plus coding noise).
const LIT_LUMA: u8 = 40;
/// A row or column with fewer lit pixels than this share is dark.
const MIN_LIT_SHARE: f32 = 0.03;
/// A dark row or column with less texture than this is flat: a black pad.
/// Pads measure 0-0.2 away from their edge; the dark, smooth parts of an
/// upscaled low-resolution scene 1.4-2.6.
const PAD_TEXTURE: f32 = 1.0;
/// Smooth fill is cut only if its two ends differ by at most this many
/// pixels (fill around a centred picture differs by one at most).
const SYMMETRY_PX: usize = 2;
/// Neighbouring pixels differing by this much (0-255) form an edge.
const EDGE_STEP: u32 = 3;
/// A straight edge covers at least this share of its row (column)...
const MIN_EDGE_COVERAGE: f32 = 0.5;
/// ...and this many times the coverage of the rows just beside it.
const EDGE_CONTRAST: f32 = 2.0;
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
/// Frames whose 90th-percentile row texture is below this (per pixel, 0-255
/// scale) are too flat or dark to say where their borders are.
const MIN_REFERENCE_TEXTURE: f32 = 2.0;
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
/// A pixel whose luma spans at most this much over a window is still
/// (coding noise moves a still logo by a few levels).
const STILL_LUMA: u8 = 24;
/// Overlays are looked for only while at least this share of the frame
/// moves: in a still shot a logo cannot be told from scenery.
const MIN_MOVING_SHARE: f32 = 0.3;
/// A row (column) more than this share overlay is not a pad: a still band
/// of scenery, not a logo in a bar.
const MAX_OVERLAY_SHARE: f32 = 0.4;
/// Fewest frames in a window to tell still pixels from moving ones.
const MIN_OVERLAY_FRAMES: usize = 4;

/// Tracks the active picture across windows of frames.
#[derive(Clone, Debug)]
pub struct BorderDetector {
    side: usize,
    current: Rect,
    /// Row masks of the last windows that could vote.
    history_rows: VecDeque<Masks>,
    /// Column masks of the last windows that could vote.
    history_cols: VecDeque<Masks>,
}

/// One frame's statistics along one axis (rows or columns).
struct Profile {
    lit_share: Vec<f32>,
    /// Mean absolute discrete Laplacian.
    texture: Vec<f32>,
    /// Share of the row (column) that differs by at least [`EDGE_STEP`]
    /// from the previous row (column): a straight edge covers most of it.
    edge: Vec<f32>,
    /// Share of overlay pixels.
    overlay_share: Vec<f32>,
    /// [`lit_share`](Self::lit_share) with overlay pixels left out.
    lit_share_beside_overlay: Vec<f32>,
    /// [`texture`](Self::texture) with overlay pixels left out.
    texture_beside_overlay: Vec<f32>,
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
        if s < 3 || window.iter().any(|img| img.side() != s) {
            // Too small to have borders, or not pictures of this detector.
            return self.current;
        }
        let min_voters = window.len().clamp(1, MIN_VOTERS);
        let cur = self.current;
        let Some(rows) = content_masks(window, Axis::Rows, 0..s, min_voters) else {
            return cur;
        };
        let (top, bottom) = decide(
            &remember_unless_reframed(&mut self.history_rows, rows),
            (cur.y0, s - cur.y1),
        );
        let (left, right) = match content_masks(window, Axis::Columns, top..s - bottom, min_voters)
        {
            Some(cols) => decide(
                &remember_unless_reframed(&mut self.history_cols, cols),
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

impl BorderDetector {
    /// Where the framing of `window` changes, if it changes once, clearly:
    /// the index of the first frame framed the new way. A compilation cuts
    /// from a pillarboxed excerpt to a full-frame one, a re-upload from its
    /// full-frame card to the letterboxed episode; a window holding both is
    /// best decided in two parts.
    ///
    /// Per frame that can vote, whether it has black pads at both ends at
    /// least 5 % of the side deep, along rows and along columns; a change
    /// is a step in time between padded and unpadded frames, with at
    /// least 3 voting frames on each side and at most a tenth of either
    /// side on the other side's framing.
    pub fn framing_change(&self, window: &[LumaImage]) -> Option<usize> {
        let s = self.side;
        if s < 3 || window.len() < 2 * MIN_VOTERS || window.iter().any(|img| img.side() != s) {
            return None;
        }
        let min_border = (MIN_BORDER_SHARE * s as f32).ceil() as usize;
        [Axis::Rows, Axis::Columns].into_iter().find_map(|axis| {
            // (frame index, padded) of the frames that vote.
            let padded: Vec<(usize, bool)> = window
                .iter()
                .enumerate()
                .filter_map(|(i, img)| {
                    let p = profile(img, axis, 0..s, None);
                    smooth_threshold(&p)?;
                    let content: Vec<bool> = (0..s)
                        .map(|j| p.lit_share[j] >= MIN_LIT_SHARE || p.texture[j] >= PAD_TEXTURE)
                        .collect();
                    let depth = extents(&content).map_or(0, |(a, b)| a.min(b));
                    Some((i, depth >= min_border))
                })
                .collect();
            step(&padded)
        })
    }
}

/// The frame index where `padded` (per voting frame, in time order) steps
/// from one value to the other, each side at least [`MIN_VOTERS`] frames
/// long and at least nine tenths of one value; the most balanced such step.
fn step(padded: &[(usize, bool)]) -> Option<usize> {
    let n = padded.len();
    let ones_before: Vec<usize> = std::iter::once(0)
        .chain(padded.iter().scan(0, |acc, &(_, p)| {
            *acc += usize::from(p);
            Some(*acc)
        }))
        .collect();
    let consistent = |count: usize, len: usize| count * 10 >= len * 9;
    (MIN_VOTERS..=n.saturating_sub(MIN_VOTERS))
        .filter(|&k| padded[k - 1].1 != padded[k].1)
        .filter(|&k| {
            let before = ones_before[k];
            let after = ones_before[n] - before;
            let (first, second) = (padded[k - 1].1, padded[k].1);
            let first_count = if first { before } else { k - before };
            let second_count = if second { after } else { n - k - after };
            consistent(first_count, k) && consistent(second_count, n - k)
        })
        .max_by_key(|&k| k.min(n - k))
        .map(|k| padded[k].0)
}

/// Rows or columns.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Axis {
    Rows,
    Columns,
}

/// Per row (column) of a window: whether it could be part of a border of
/// each kind. `true` means "content seen here", so that masks of several
/// windows combine by `or`.
#[derive(Clone, Debug)]
struct Masks {
    /// Lit or textured in some frame: not a black pad.
    not_pad: Vec<bool>,
    /// The same with the window's overlay left out (see [`overlay_mask`]).
    not_pad_beside_overlay: Vec<bool>,
    /// Textured in some frame: not a smooth (blurred) fill.
    not_smooth: Vec<bool>,
    /// Edge coverage (see [`Profile::edge`]), mean over the voting frames.
    edge: Vec<f32>,
}

/// Most frames of a window that may be framed otherwise than the rest and
/// left out of its vote, as a share of its voting frames: a channel's
/// intro or outro card of 0.3-2 s before a letterboxed excerpt, the
/// neighbours of an excerpt in a compilation. A window where more frames
/// than this show content in the others' borders keeps them all.
const MAX_OUTLIER_SHARE: f32 = 0.25;

/// One voting frame's view of the borders along one axis.
struct FrameVote {
    /// Lit or textured: not a black pad.
    not_pad: Vec<bool>,
    /// The same with the window's overlay left out.
    not_pad_beside_overlay: Vec<bool>,
    /// Textured: not a smooth fill.
    not_smooth: Vec<bool>,
    /// Edge coverage.
    edge: Vec<f32>,
}

/// The [`Masks`] of a window. `None` if too few frames have a textured
/// centre to say. Columns are measured over the rows in `span` only.
///
/// A minority of frames (at most [`MAX_OUTLIER_SHARE`]) showing content
/// where every other frame has a black pad at an end of the axis are
/// framed otherwise (an intro card, a compilation's neighbour): they are
/// left out, so that they do not keep the rest of the window, and the
/// windows after it, from being cut.
fn content_masks(
    window: &[LumaImage],
    axis: Axis,
    span: Range<usize>,
    min_voters: usize,
) -> Option<Masks> {
    let s = window.first()?.side();
    let overlay = overlay_mask(window);
    let votes: Vec<FrameVote> = window
        .iter()
        .filter_map(|img| {
            let p = profile(img, axis, span.clone(), overlay.as_deref());
            let threshold = smooth_threshold(&p)?;
            Some(FrameVote {
                not_pad: (0..s)
                    .map(|i| p.lit_share[i] >= MIN_LIT_SHARE || p.texture[i] >= PAD_TEXTURE)
                    .collect(),
                not_pad_beside_overlay: (0..s)
                    .map(|i| {
                        p.lit_share_beside_overlay[i] >= MIN_LIT_SHARE
                            || p.texture_beside_overlay[i] >= PAD_TEXTURE
                            || p.overlay_share[i] > MAX_OVERLAY_SHARE
                    })
                    .collect(),
                not_smooth: (0..s).map(|i| p.texture[i] >= threshold).collect(),
                edge: p.edge,
            })
        })
        .collect();
    if votes.len() < min_voters {
        return None;
    }
    let outliers = framing_outliers(&votes);
    let kept: Vec<&FrameVote> = if outliers.iter().any(|&o| o)
        && votes.len() - outliers.iter().filter(|&&o| o).count() >= min_voters
    {
        votes
            .iter()
            .zip(&outliers)
            .filter(|(_, &o)| !o)
            .map(|(v, _)| v)
            .collect()
    } else {
        votes.iter().collect()
    };
    let mut masks = Masks {
        not_pad: vec![false; s],
        not_pad_beside_overlay: vec![false; s],
        not_smooth: vec![false; s],
        edge: vec![0.0; s],
    };
    for v in &kept {
        for i in 0..s {
            masks.not_pad[i] |= v.not_pad[i];
            masks.not_pad_beside_overlay[i] |= v.not_pad_beside_overlay[i];
            masks.not_smooth[i] |= v.not_smooth[i];
            masks.edge[i] += v.edge[i];
        }
    }
    for e in &mut masks.edge {
        *e /= kept.len().max(1) as f32;
    }
    Some(masks)
}

/// Which voting frames are framed otherwise than the window: per end of
/// the axis, the run of rows (columns) that are black pads in all but at
/// most [`MAX_OUTLIER_SHARE`] of the frames; a frame with content in such a
/// run is an outlier. All `false` when more frames than that would be.
fn framing_outliers(votes: &[FrameVote]) -> Vec<bool> {
    let n = votes.len();
    let Some(s) = votes.first().map(|v| v.not_pad.len()) else {
        return Vec::new();
    };
    let most = (MAX_OUTLIER_SHARE * n as f32).floor() as usize;
    let content_in = |i: usize| votes.iter().filter(|v| v.not_pad[i]).count();
    let mostly_pad = |i: usize| content_in(i) <= most;
    // The candidate border at each end: the rows that are pads in nearly
    // every frame, up to the first that is not (at most half the axis).
    let top = (0..s / 2).take_while(|&i| mostly_pad(i)).count();
    let bottom = (0..s / 2).take_while(|&i| mostly_pad(s - 1 - i)).count();
    let zone: Vec<usize> = (0..top).chain(s - bottom..s).collect();
    let outliers: Vec<bool> = votes
        .iter()
        .map(|v| zone.iter().any(|&i| v.not_pad[i]))
        .collect();
    let count = outliers.iter().filter(|&&o| o).count();
    if count == 0 || count > most {
        vec![false; n]
    } else {
        outliers
    }
}

/// The window's overlay: pixels lit and still throughout (a logo,
/// watermark or caption), and their neighbours (whose texture counts the
/// overlay's edge). `None` if the window is too short or too still to
/// tell.
fn overlay_mask(window: &[LumaImage]) -> Option<Vec<bool>> {
    let first = window.first()?;
    let s = first.side();
    if window.len() < MIN_OVERLAY_FRAMES || window.iter().any(|img| img.side() != s) {
        return None;
    }
    let (lo, hi) = window_extremes(window, Rect::full(s));
    let moving = lo
        .iter()
        .zip(&hi)
        .filter(|(&l, &h)| h - l > STILL_LUMA)
        .count();
    if (moving as f32) < MIN_MOVING_SHARE * (s * s) as f32 {
        return None;
    }
    let core: Vec<bool> = lo
        .iter()
        .zip(&hi)
        .map(|(&l, &h)| h - l <= STILL_LUMA && l > LIT_LUMA)
        .collect();
    if !core.contains(&true) {
        return None;
    }
    let mut mask = core.clone();
    for y in 0..s {
        for x in 0..s {
            if core[y * s + x] {
                for (dy, dx) in [(0, 1), (2, 1), (1, 0), (1, 2)] {
                    let (ny, nx) = ((y + dy).wrapping_sub(1), (x + dx).wrapping_sub(1));
                    if ny < s && nx < s {
                        mask[ny * s + nx] = true;
                    }
                }
            }
        }
    }
    Some(mask)
}

/// Adds a window's masks to the history and returns the union of the
/// history: content anywhere in the recent windows is content now, so a
/// dark scene following a bright one does not shrink the picture.
fn remember(history: &mut VecDeque<Masks>, masks: Masks) -> Masks {
    if history.len() == HISTORY_WINDOWS {
        history.pop_front();
    }
    history.push_back(masks);
    let mut union = history[0].clone();
    for m in history.iter().skip(1) {
        let or_into = |union: &mut [bool], more: &[bool]| {
            union.iter_mut().zip(more).for_each(|(u, &c)| *u |= c);
        };
        or_into(&mut union.not_pad, &m.not_pad);
        or_into(&mut union.not_pad_beside_overlay, &m.not_pad_beside_overlay);
        or_into(&mut union.not_smooth, &m.not_smooth);
        // The newest window's edges: fill boundaries persist.
        union.edge.clone_from(&m.edge);
    }
    union
}

/// [`remember`], unless the framing has changed: where this window on its
/// own has black pads at both ends, at least [`MIN_BORDER_SHARE`] deep and
/// deeper than the recent windows allow (they showed content there), the
/// video was reframed (a compilation's next excerpt, a re-upload's intro
/// card over): the history is dropped and the window decides alone. Pads
/// are dark and flat in every voting frame, which real scenery at both
/// edges almost never is, so a dark scene still keeps its picture.
fn remember_unless_reframed(history: &mut VecDeque<Masks>, masks: Masks) -> Masks {
    let pad_depth = |m: &Masks| extents(&m.not_pad).map_or(0, |(a, b)| a.min(b));
    let s = masks.not_pad.len();
    let alone = pad_depth(&masks);
    let union = remember(history, masks.clone());
    let min_border = (MIN_BORDER_SHARE * s as f32).ceil() as usize;
    if alone >= min_border && alone > pad_depth(&union) + AGREE_PX {
        history.clear();
        history.push_back(masks.clone());
        return masks;
    }
    union
}

/// Whether there is a straight edge at the step into row (column) `i`:
/// most of the row differs from its neighbour, clearly more than a few rows
/// away. Scaling to the working size can spread the edge over two rows.
fn is_straight_edge(edge: &[f32], i: usize) -> bool {
    let n = edge.len();
    if i == 0 || i >= n {
        return false;
    }
    let strength = edge[i - 1..(i + 2).min(n)]
        .iter()
        .copied()
        .fold(0.0f32, f32::max);
    let around = (i.saturating_sub(6)..i.saturating_sub(2))
        .chain((i + 3)..(i + 7).min(n))
        .map(|j| edge[j])
        .fold(0.0f32, f32::max);
    strength >= MIN_EDGE_COVERAGE && strength >= EDGE_CONTRAST * around
}

/// Border rows (columns) at the two ends of a mask, or `None` if no solid
/// run of content starts in either half.
fn extents(content: &[bool]) -> Option<(usize, usize)> {
    Some((
        content_start(content.iter().copied())?,
        content_start(content.iter().rev().copied())?,
    ))
}

/// The border at both ends of an axis, or `previous` if the masks show no
/// content run.
///
/// Black pads are unmistakable (dark and flat in every frame), so each end
/// is cut by what both share: a dark part of the scene beside a pad at one
/// end is kept. Smooth fill is not: a smooth wall or sky looks the same. It
/// is cut by what both ends share only where the fill ends in a straight
/// edge across the picture (the border of an overlaid picture), or where
/// both ends agree to within [`SYMMETRY_PX`] as fill around a centred
/// picture does and scenery almost never does.
fn decide(masks: &Masks, previous: (usize, usize)) -> (usize, usize) {
    let s = masks.not_pad.len();
    let min_border = (MIN_BORDER_SHARE * s as f32).ceil() as usize;
    let Some((pad_a, pad_b)) = extents(&masks.not_pad) else {
        return previous;
    };
    let mut border = pad_a.min(pad_b);
    // A logo laid over one bar hides its size; the other bar, clean, vouches
    // for it. Both ends needing the overlay left out is more likely still
    // scenery at a dark picture's edges than a logo in each bar.
    if let Some((a, b)) = extents(&masks.not_pad_beside_overlay) {
        border = border.max(a.max(pad_a).min(b.max(pad_b)).min(pad_a.max(pad_b)));
    }
    if let Some((a, b)) = extents(&masks.not_smooth) {
        let k = a.min(b);
        // The first content row (column) at the end that defines `k`.
        let boundary = if a <= b { k } else { s - k - 1 };
        let edge_after = if a <= b { boundary } else { boundary + 1 };
        if a.abs_diff(b) <= SYMMETRY_PX || is_straight_edge(&masks.edge, edge_after) {
            border = border.max(k);
        }
    }
    let border = if border < min_border {
        0
    } else {
        // The last border row is the one where bar and content blend (its
        // texture counts the step); cut it too.
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
/// column (over the rows in `span`), `overlay` pixels left out.
fn profile(img: &LumaImage, axis: Axis, span: Range<usize>, overlay: Option<&[bool]>) -> Profile {
    let s = img.side();
    let px = img.pixels();
    let mut lit = vec![0u32; s];
    let mut texture = vec![0u32; s];
    let mut edge = vec![0u32; s];
    // Overlay pixels per row (column), and their lit count and texture.
    let mut covered = vec![0u32; s];
    let mut lit_on_overlay = vec![0u32; s];
    let mut texture_on_overlay = vec![0u32; s];
    let (rows, n) = match axis {
        Axis::Rows => (0..s, s),
        Axis::Columns => (span.clone(), span.len().max(1)),
    };
    // Per-pixel texture of the current row; written as whole-row slice
    // operations so that the compiler vectorizes them (this runs on every
    // sample).
    let mut row_texture = vec![0u16; s];
    for y in rows {
        let row = &px[y * s..(y + 1) * s];
        // Outside the picture, the edge pixel repeats.
        let above = if y > 0 { &px[(y - 1) * s..y * s] } else { row };
        let below = if y + 1 < s {
            &px[(y + 1) * s..(y + 2) * s]
        } else {
            row
        };
        for (t, ((&p, &a), &b)) in row_texture.iter_mut().zip(row.iter().zip(above).zip(below)) {
            *t = (2 * i16::from(p) - i16::from(a) - i16::from(b)).unsigned_abs();
        }
        for (t, w) in row_texture[1..s - 1].iter_mut().zip(row.windows(3)) {
            *t += (2 * i16::from(w[1]) - i16::from(w[0]) - i16::from(w[2])).unsigned_abs();
        }
        row_texture[0] += u16::from(row[0].abs_diff(row[1]));
        row_texture[s - 1] += u16::from(row[s - 1].abs_diff(row[s - 2]));
        let steps = |a: u8, b: u8| u32::from(u32::from(a.abs_diff(b)) >= EDGE_STEP);
        // Overlay pixels of this row, if any: neither lit nor textured.
        let row_overlay = overlay
            .and_then(|m| m.get(y * s..(y + 1) * s))
            .filter(|m| m.contains(&true));
        match axis {
            Axis::Rows => {
                texture[y] = row_texture.iter().map(|&t| u32::from(t)).sum();
                lit[y] = row.iter().map(|&p| u32::from(p > LIT_LUMA)).sum();
                edge[y] = row.iter().zip(above).map(|(&p, &a)| steps(p, a)).sum();
            }
            Axis::Columns => {
                for (acc, &t) in texture.iter_mut().zip(&row_texture) {
                    *acc += u32::from(t);
                }
                for (acc, &p) in lit.iter_mut().zip(row) {
                    *acc += u32::from(p > LIT_LUMA);
                }
                for (acc, w) in edge[1..].iter_mut().zip(row.windows(2)) {
                    *acc += steps(w[1], w[0]);
                }
            }
        }
        // What the overlay pixels of this row added, to take out again.
        if let Some(m) = row_overlay {
            for (x, ((&o, &p), &t)) in m.iter().zip(row).zip(&row_texture).enumerate() {
                if o {
                    let i = if axis == Axis::Rows { y } else { x };
                    covered[i] += 1;
                    lit_on_overlay[i] += u32::from(p > LIT_LUMA);
                    texture_on_overlay[i] += u32::from(t);
                }
            }
        }
    }
    let share = |v: &[u32]| v.iter().map(|&c| c as f32 / n as f32).collect();
    let beside = |all: &[u32], on: &[u32]| -> Vec<f32> {
        let rest: Vec<u32> = all
            .iter()
            .zip(on)
            .map(|(&a, &o)| a.saturating_sub(o))
            .collect();
        share(&rest)
    };
    Profile {
        lit_share_beside_overlay: beside(&lit, &lit_on_overlay),
        texture_beside_overlay: beside(&texture, &texture_on_overlay),
        lit_share: share(&lit),
        texture: share(&texture),
        edge: share(&edge),
        overlay_share: share(&covered),
    }
}

/// The texture below which a row (column) counts as smooth, relative to
/// the 90th percentile of all rows: the picture's own texture even when a
/// 9:16 re-frame leaves it only a quarter of the rows. `None` if the frame
/// is flat.
fn smooth_threshold(p: &Profile) -> Option<f32> {
    let mut sorted = p.texture.clone();
    sorted.sort_unstable_by(f32::total_cmp);
    let reference = sorted[sorted.len() * 9 / 10];
    (reference >= MIN_REFERENCE_TEXTURE).then_some((reference * SMOOTH_SHARE).max(MIN_TEXTURE))
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

    /// `n` frames of content in `rect`, black (16) around it.
    fn window_of(rect: Rect, n: usize) -> Vec<LumaImage> {
        (0..n).map(|i| framed(rect, |_, _| 16, i)).collect()
    }

    /// Content in rows `y0..y1`, full width.
    fn rows(y0: usize, y1: usize) -> Rect {
        Rect {
            x0: 0,
            x1: S,
            y0,
            y1,
        }
    }

    /// The active area a new detector finds in one window.
    fn detect(content: Rect, fill: impl Fn(usize, usize) -> u8 + Copy) -> Rect {
        BorderDetector::new(S).update(&window(content, fill))
    }

    #[test]
    fn a_full_frame_video_keeps_the_full_frame() {
        let mut d = BorderDetector::new(S);
        assert_eq!(d.update(&window(Rect::full(S), |_, _| 0)), Rect::full(S));
    }

    #[test]
    fn letterbox_bars_are_cut() {
        let content = rows(20, 76);
        let r = detect(content, |_, _| 16);
        assert_eq!(r, content);
    }

    #[test]
    fn pillarbox_bars_are_cut() {
        let content = Rect {
            x0: 12,
            x1: 84,
            y0: 0,
            y1: S,
        };
        let r = detect(content, |_, _| 20);
        assert_eq!(r, content);
    }

    #[test]
    fn smooth_bright_fill_is_cut_like_black() {
        let content = rows(30, 66);
        let r = detect(content, |_, y| 90 + (y / 8) as u8);
        // The row where fill and content meet may land on either side.
        assert!(
            (30..=31).contains(&r.y0) && (65..=66).contains(&r.y1),
            "{r:?}"
        );
        assert_eq!((r.x0, r.x1), (0, S));
    }

    /// Pillarboxed content in columns 16..80, `card` frames of a full-frame
    /// picture first (a channel's intro card), then the rest.
    fn pillarbox_after_card(card: usize, total: usize) -> Vec<LumaImage> {
        let content = Rect {
            x0: 16,
            x1: 80,
            y0: 0,
            y1: S,
        };
        (0..total)
            .map(|i| {
                let rect = if i < card { Rect::full(S) } else { content };
                framed(rect, |_, _| 16, i)
            })
            .collect()
    }

    #[test]
    fn a_short_card_does_not_stop_the_cut_of_its_window() {
        // 3 of 16 frames are an intro card: the other 13 decide.
        let window = pillarbox_after_card(3, 16);
        let r = BorderDetector::new(S).update(&window);
        assert_eq!((r.x0, r.x1), (16, 80), "{r:?}");
        // Cards at the end (an outro) too.
        let mut window = pillarbox_after_card(0, 13);
        window.extend(pillarbox_after_card(3, 3));
        let r = BorderDetector::new(S).update(&window);
        assert_eq!((r.x0, r.x1), (16, 80), "{r:?}");
    }

    #[test]
    fn a_window_of_many_differently_framed_frames_keeps_them_all() {
        // 6 of 16 frames full-frame: more than a minority, no cut.
        let r = BorderDetector::new(S).update(&pillarbox_after_card(6, 16));
        assert_eq!(r, Rect::full(S));
    }

    #[test]
    fn a_reframed_video_is_cut_at_once_not_after_the_history() {
        // A full-frame window, then pillarboxed ones (a compilation's next
        // excerpt): the first pillarboxed window is cut, although the
        // recent windows showed content in its bars.
        let mut d = BorderDetector::new(S);
        assert_eq!(d.update(&pillarbox_after_card(16, 16)), Rect::full(S));
        let r = d.update(&pillarbox_after_card(0, 16));
        assert_eq!((r.x0, r.x1), (16, 80), "{r:?}");
    }

    #[test]
    fn a_change_of_framing_inside_a_window_is_found_where_it_happens() {
        let d = BorderDetector::new(S);
        // 6 full-frame frames, then 10 pillarboxed ones.
        assert_eq!(d.framing_change(&pillarbox_after_card(6, 16)), Some(6));
        // And back: pillarboxed, then full-frame.
        let mut window = pillarbox_after_card(0, 9);
        window.extend(pillarbox_after_card(7, 7));
        assert_eq!(d.framing_change(&window), Some(9));
        // Letterbox to full frame, along rows.
        let mut window = window_of(rows(20, 76), 8);
        window.extend(window_of(Rect::full(S), 8));
        assert_eq!(d.framing_change(&window), Some(8));
    }

    #[test]
    fn one_framing_or_too_short_a_side_is_no_change() {
        let d = BorderDetector::new(S);
        assert_eq!(d.framing_change(&pillarbox_after_card(0, 16)), None);
        assert_eq!(d.framing_change(&pillarbox_after_card(16, 16)), None);
        // Two frames of a card are too few to be a framing of their own
        // (the outlier rule takes them).
        assert_eq!(d.framing_change(&pillarbox_after_card(2, 16)), None);
    }

    #[test]
    fn a_step_needs_consistent_sides() {
        let p = |v: &[bool]| v.iter().copied().enumerate().collect::<Vec<_>>();
        assert_eq!(step(&p(&[false, false, false, true, true, true])), Some(3));
        assert_eq!(step(&p(&[false, true, false, true, false, true])), None);
        // One stray frame in ten on a side is tolerated.
        let mut v = vec![false; 10];
        v.extend([true; 10]);
        v[4] = true;
        assert_eq!(step(&p(&v)), Some(10));
        assert_eq!(
            step(&p(&[false, false, true, true])),
            None,
            "sides too short"
        );
    }

    #[test]
    fn a_caption_in_the_bar_does_not_stop_the_cut() {
        let content = rows(30, 66);
        // Bright text-like stripes in rows 5..8 of the top bar.
        let fill = |x: usize, y: usize| {
            if (5..8).contains(&y) && x.is_multiple_of(3) {
                250
            } else {
                16
            }
        };
        let mut d = BorderDetector::new(S);
        assert_eq!(d.update(&window(content, fill)).y0, 30);
    }

    /// Fill 16, with a still bright box (a logo) over rows `y0..y1` at
    /// columns 55..85 (under a third of the width).
    fn logo_fill(y0: usize, y1: usize) -> impl Fn(usize, usize) -> u8 + Copy {
        move |x, y| {
            if (y0..y1).contains(&y) && (55..85).contains(&x) {
                if y == y0 || x == 55 {
                    255
                } else {
                    220
                }
            } else {
                16
            }
        }
    }

    #[test]
    fn a_logo_over_one_bar_does_not_stop_the_cut() {
        // Bars of 24 rows; a 14-row logo in the bottom one. Without the
        // overlay left out, the bottom bar would end at the logo (6 rows).
        let content = rows(24, 72);
        let r = detect(content, logo_fill(76, 90));
        assert_eq!((r.y0, r.y1), (24, 72), "{r:?}");
        assert_eq!((r.x0, r.x1), (0, S));
    }

    /// Masks with content from row `a` and up to row `s - b` (pads), and
    /// from `oa` / up to `s - ob` once the overlay is left out; textured
    /// throughout (no smooth fill).
    fn pad_masks(s: usize, (a, b): (usize, usize), (oa, ob): (usize, usize)) -> Masks {
        let content = |a: usize, b: usize| (0..s).map(|i| i >= a && i < s - b).collect();
        Masks {
            not_pad: content(a, b),
            not_pad_beside_overlay: content(oa, ob),
            not_smooth: vec![true; s],
            edge: vec![0.0; s],
        }
    }

    #[test]
    fn overlays_are_lit_still_pixels_beside_motion() {
        let moving = window(rows(24, 72), logo_fill(76, 90));
        let mask = overlay_mask(&moving).expect("half the frame moves");
        let at = |x: usize, y: usize| mask[y * S + x];
        assert!(at(70, 80), "inside the logo");
        assert!(at(54, 80) && at(85, 80), "its edge's neighbours");
        assert!(!at(20, 80) && !at(70, 50), "bar and moving content");
        // A still window cannot tell a logo from scenery; nor can too few
        // frames.
        let still = vec![moving[0].clone(); 8];
        assert!(overlay_mask(&still).is_none());
        assert!(overlay_mask(&moving[..MIN_OVERLAY_FRAMES - 1]).is_none());
    }

    #[test]
    fn only_a_clean_bar_vouches_for_one_hidden_by_an_overlay() {
        // The bottom bar ends at a logo 6 rows in; the top bar is clean:
        // both are cut by the top's 24 (plus the blended row).
        assert_eq!(decide(&pad_masks(S, (24, 6), (24, 24)), (0, 0)), (25, 25));
        // Both ends reach 24 only with their still pixels left out: more
        // likely still scenery at a dark picture's edges; cut by what the
        // pads alone show.
        assert_eq!(decide(&pad_masks(S, (6, 6), (24, 24)), (0, 0)), (7, 7));
        // The overlay never cuts more than the larger clean pad.
        assert_eq!(decide(&pad_masks(S, (10, 6), (30, 30)), (0, 0)), (11, 11));
    }

    #[test]
    fn flat_frames_keep_the_previous_area() {
        let content = rows(20, 76);
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
        let r = detect(content, |_, _| 16);
        assert_eq!((r.x0, r.x1), (12, 84));
    }

    #[test]
    fn small_wobbles_keep_the_previous_area() {
        let mut d = BorderDetector::new(S);
        let first = d.update(&window(rows(20, 76), |_, _| 16));
        let second = d.update(&window(rows(21, 75), |_, _| 16));
        assert_eq!(first, second);
    }

    #[test]
    fn a_new_framing_with_deeper_pads_is_taken_at_once() {
        // Black pads at both ends, deeper than the recent windows had: the
        // video was reframed, and the remembered content no longer counts.
        let mut d = BorderDetector::new(S);
        d.update(&window(rows(20, 76), |_, _| 16));
        let r = d.update(&window(rows(30, 66), |_, _| 16));
        assert_eq!((r.y0, r.y1), (30, 66));
    }

    #[test]
    fn a_dark_textured_scene_after_a_bright_one_keeps_the_picture() {
        // What the history is for: edges dark in this window but textured
        // (scenery, not pads) stay content.
        let mut d = BorderDetector::new(S);
        assert_eq!(d.update(&window(Rect::full(S), |_, _| 0)), Rect::full(S));
        let dark_edges = |x: usize, y: usize| (4 + (x * 5 + y * 3) % 9) as u8;
        let r = d.update(&window(rows(24, 72), dark_edges));
        assert_eq!(r, Rect::full(S), "{r:?}");
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
    fn smooth_scenery_at_both_ends_is_kept() {
        // A smooth sky above and a smooth floor below, of different heights
        // and fading into the textured middle (no straight edge): scenery.
        let frames: Vec<LumaImage> = (0..8)
            .map(|i| {
                let textured = framed(rows(0, S), |_, _| 0, i);
                let px = textured
                    .pixels()
                    .iter()
                    .enumerate()
                    .map(|(j, &v)| {
                        let y = j / S;
                        // Blend weight: 0 in the smooth parts, ramping to 1.
                        let w = if y < 20 {
                            0.0
                        } else if y < 32 {
                            (y - 20) as f32 / 12.0
                        } else if y > 66 {
                            0.0
                        } else if y > 54 {
                            (66 - y) as f32 / 12.0
                        } else {
                            1.0
                        };
                        (w * f32::from(v) + (1.0 - w) * 120.0) as u8
                    })
                    .collect();
                LumaImage::new(S, px)
            })
            .collect();
        let mut d = BorderDetector::new(S);
        assert_eq!(d.update(&frames), Rect::full(S));
    }

    #[test]
    fn dark_textured_edges_are_not_pads() {
        // Dark (below the lit level) but textured top and bottom, like a
        // black shirt: not flat, so not a pad.
        let content = rows(20, 76);
        let r = detect(content, |x, y| if (x + y) % 2 == 0 { 4 } else { 30 });
        assert_eq!(r, Rect::full(S));
    }

    #[test]
    fn thin_edges_are_not_cut() {
        // Two dark rows at the top: under MIN_BORDER_SHARE, left alone.
        let content = rows(2, S);
        let mut d = BorderDetector::new(S);
        assert_eq!(d.update(&window(content, |_, _| 0)), Rect::full(S));
    }

    #[test]
    fn arbitrary_windows_never_panic() {
        for (window, _, _) in crate::luma::testing::arbitrary_windows(40) {
            let mut d = BorderDetector::new(crate::luma::WORK_SIDE);
            if let Some(k) = d.framing_change(&window) {
                assert!(k > 0 && k < window.len(), "{k} of {}", window.len());
            }
            let r = d.update(&window);
            assert!(r.x0 < r.x1 && r.y0 < r.y1, "{r:?}");
        }
    }
}
