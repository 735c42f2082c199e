//! Caption boxes: the flat white boxes with a line of black text that a
//! short-video re-post lays over the top and bottom of the picture ("wait
//! for the end", "part 2 in bio"), half over the black pad and half over
//! the picture. To the border detector a box is a band of bright rows, so
//! the pad above and below the picture is not cut and the picture is
//! hashed at the wrong scale.
//!
//! A box is bright and still through the window, spans most of the width,
//! is short, and lies partly over a black pad: rows mostly covered by such
//! pixels, a few rows of text inside bridged, form a band; the columns
//! that are bright and still in most of the band's rows its width; and a
//! row just above or below it must be dark all along (a white sky or wall
//! has picture next to it, or the frame's edge). The borders are then decided on the pictures with the boxes
//! painted black ([`masked`]), so that the rows where a box lies over the
//! pad are pad, and those where it lies over the picture are picture
//! (the picture still shows beside the box).

use crate::luma::{window_extremes, LumaImage, Rect};

/// A box pixel is at least this bright in every frame (white, with coding
/// noise and a blur at its edge)...
const MIN_BOX_LUMA: u8 = 170;
/// ...and spans at most this much (0-255) over the window.
const STILL_LUMA: u8 = 24;
/// A box lies partly over a pad: next to it (above or below, within
/// [`PAD_SEARCH_ROWS`]) is a row dark in every frame over this share of
/// its width. A bright band of scenery (a white sky, a wall) has picture
/// next to it, or the frame's edge.
const MIN_PAD_SHARE: f32 = 0.8;
const PAD_SEARCH_ROWS: usize = 3;
/// A pad pixel is at most this bright in every frame.
const MAX_PAD_LUMA: u8 = 40;
/// A row of a box is at least this share bright and still (text takes
/// part of the rows it crosses).
const MIN_ROW_SHARE: f32 = 0.4;
/// Rows of text this many rows high or less inside a box are bridged.
const MAX_GAP_ROWS: usize = 4;
/// A box is at most this share of the frame's height (a caption, not a
/// white title card or a bright sky)...
const MAX_HEIGHT_SHARE: f32 = 0.2;
/// ...at least this many rows high...
const MIN_HEIGHT_ROWS: usize = 3;
/// ...and at least this share of the width.
const MIN_WIDTH_SHARE: f32 = 0.5;
/// Fewest frames to tell still pixels from moving ones.
const MIN_FRAMES: usize = 4;
/// The picture beside a box is judged on at least this many pixels...
const MIN_STRIP_PX: usize = 4;
/// ...this share of which must be brighter than a pad or moving. Pads are
/// video black (16) with a few levels of coding noise; the dark edge of a
/// night scene is brighter than this.
const MAX_STRIP_PAD_LUMA: u8 = 28;
/// ...this share of which must be lit or moving.
const MIN_SHOWN_SHARE: f32 = 0.5;
/// A picture whose pads differ by at most this many rows is centred; boxes
/// that moved by at most this much are the same.
const CENTRED_PX: usize = 2;
/// Pixels beyond a box's edges painted with it.
const EDGE_PX: usize = 2;
/// Luma boxes are painted with: video black.
const BLACK: u8 = 16;

/// The caption boxes laid over the window's frames; `None` if the window
/// is too short to tell still pixels from moving ones.
pub fn detect(window: &[LumaImage]) -> Option<Vec<Rect>> {
    let s = window.first()?.side();
    if window.len() < MIN_FRAMES || s < 8 || window.iter().any(|p| p.side() != s) {
        return None;
    }
    let (lo, hi) = window_extremes(window, Rect::full(s));
    let boxed: Vec<bool> = lo
        .iter()
        .zip(&hi)
        .map(|(&l, &h)| l >= MIN_BOX_LUMA && h - l <= STILL_LUMA)
        .collect();
    let row_share =
        |y: usize| boxed[y * s..(y + 1) * s].iter().filter(|&&b| b).count() as f32 / s as f32;
    let rows: Vec<bool> = (0..s).map(|y| row_share(y) >= MIN_ROW_SHARE).collect();
    let mut boxes = Vec::new();
    let mut y = 0;
    while y < s {
        if !rows[y] {
            y += 1;
            continue;
        }
        // A band of box rows, gaps of a few rows (text) bridged.
        let y0 = y;
        let mut y1 = y + 1;
        let mut probe = y1;
        while probe < s && probe - y1 <= MAX_GAP_ROWS {
            if rows[probe] {
                y1 = probe + 1;
            }
            probe += 1;
        }
        y = y1;
        let height = y1 - y0;
        if height < MIN_HEIGHT_ROWS || height as f32 > MAX_HEIGHT_SHARE * s as f32 {
            continue;
        }
        // Its columns: bright and still in most of the band's rows.
        let column = |x: usize| (y0..y1).filter(|&r| boxed[r * s + x]).count() * 2 >= height;
        let (Some(x0), Some(x1)) = ((0..s).find(|&x| column(x)), (0..s).rfind(|&x| column(x)))
        else {
            continue;
        };
        if ((x1 + 1 - x0) as f32) < MIN_WIDTH_SHARE * s as f32 {
            continue;
        }
        let dark_row = |r: usize| {
            let dark = (x0..=x1).filter(|&x| hi[r * s + x] <= MAX_PAD_LUMA).count();
            dark as f32 >= MIN_PAD_SHARE * (x1 + 1 - x0) as f32
        };
        let above = (y0.saturating_sub(PAD_SEARCH_ROWS)..y0).any(dark_row);
        let below = (y1..(y1 + PAD_SEARCH_ROWS).min(s)).any(dark_row);
        if !(above || below) {
            continue;
        }
        boxes.push(Rect {
            x0,
            x1: x1 + 1,
            y0,
            y1,
        });
    }
    Some(boxes)
}

/// `picture` with `boxes` painted black, two pixels beyond their edges
/// (scaling blurs a box's edge into the rows next to it).
pub fn masked(picture: &LumaImage, boxes: &[Rect]) -> LumaImage {
    let s = picture.side();
    let mut pixels = picture.pixels().to_vec();
    for b in boxes {
        let (x0, x1) = (b.x0.saturating_sub(EDGE_PX), (b.x1 + EDGE_PX).min(s));
        for y in b.y0.saturating_sub(EDGE_PX)..(b.y1 + EDGE_PX).min(s) {
            pixels[y * s + x0.min(x1)..y * s + x1].fill(BLACK);
        }
    }
    LumaImage::new(s, pixels)
}

/// Caption boxes across windows: the boxes last found, and how deep under
/// them the picture was seen to reach while they stayed.
#[derive(Clone, Debug, Default)]
pub struct CaptionTracker {
    boxes: Vec<Rect>,
    /// Rows grown above and below the painted picture's active area.
    reach: (usize, usize),
}

impl CaptionTracker {
    /// The boxes over the window's frames: those found in it, or the last
    /// window's if it is too short to tell.
    pub fn boxes(&mut self, window: &[LumaImage]) -> &[Rect] {
        if let Some(found) = detect(window) {
            let same = found.len() == self.boxes.len()
                && found.iter().zip(&self.boxes).all(|(a, b)| near(a, b));
            if !same {
                self.reach = (0, 0);
            }
            self.boxes = found;
        }
        &self.boxes
    }

    /// `active` (decided with the boxes painted black) grown over the rows
    /// of the boxes next to its top and bottom where the picture shows
    /// beside them: where a box overlaps the picture, the picture's own
    /// edge lies under the box, not at its edge. What earlier windows saw
    /// counts while the boxes stay (a dark scene shows nothing beside
    /// them); a picture centred between two boxes is grown alike at both
    /// ends (fitted pictures are centred, and one end may stay dark).
    pub fn grow(&mut self, window: &[LumaImage], active: Rect) -> Rect {
        let Some(first) = window.first() else {
            return active;
        };
        let s = first.side();
        if window.iter().any(|p| p.side() != s) || active.y1 > s || active.x1 > s {
            return active;
        }
        let (lo, hi) = window_extremes(window, Rect::full(s));
        // A row shows picture beside `b` if most of the active picture's
        // pixels left and right of the box are brighter than a pad or
        // moving at some time.
        let picture_beside = |y: usize, b: &Rect| {
            let (left, right) = (b.x0.saturating_sub(EDGE_PX), (b.x1 + EDGE_PX).min(s));
            let strip: Vec<usize> = (active.x0..left.max(active.x0))
                .chain(right.min(active.x1)..active.x1)
                .collect();
            let shown = strip
                .iter()
                .filter(|&&x| {
                    let i = y * s + x;
                    hi[i] > MAX_STRIP_PAD_LUMA || hi[i] - lo[i] > STILL_LUMA
                })
                .count();
            strip.len() >= MIN_STRIP_PX && shown as f32 >= MIN_SHOWN_SHARE * strip.len() as f32
        };
        // How deep each box next to an end reaches into the picture's pad,
        // and how deep the picture shows beside it.
        let (mut room_top, mut room_bottom) = (None, None);
        let (mut top, mut bottom) = (0, 0);
        for b in &self.boxes {
            let (from, to) = (b.y0.saturating_sub(EDGE_PX), (b.y1 + EDGE_PX).min(s));
            if from < active.y0 && to >= active.y0 {
                room_top = Some(active.y0 - from);
                while active.y0 - top > from && picture_beside(active.y0 - top - 1, b) {
                    top += 1;
                }
            }
            if to > active.y1 && from <= active.y1 {
                room_bottom = Some(to - active.y1);
                while active.y1 + bottom < to && picture_beside(active.y1 + bottom, b) {
                    bottom += 1;
                }
            }
        }
        self.reach = (self.reach.0.max(top), self.reach.1.max(bottom));
        let (mut top, mut bottom) = self.reach;
        let centred = active.y0.abs_diff(s - active.y1) <= CENTRED_PX;
        if let (true, Some(room_top), Some(room_bottom)) = (centred, room_top, room_bottom) {
            let both = top.max(bottom);
            (top, bottom) = (both.min(room_top), both.min(room_bottom));
        }
        Rect {
            y0: active.y0 - top.min(room_top.unwrap_or(0)),
            y1: active.y1 + bottom.min(room_bottom.unwrap_or(0)),
            ..active
        }
    }
}

/// Whether two boxes are the same box found again.
fn near(a: &Rect, b: &Rect) -> bool {
    [(a.x0, b.x0), (a.x1, b.x1), (a.y0, b.y0), (a.y1, b.y1)]
        .iter()
        .all(|&(p, q)| p.abs_diff(q) <= CENTRED_PX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::luma::WORK_SIDE;
    use std::ops::Range;

    /// Moving scenery in rows `band`, black pad above and below, and white
    /// boxes with black "text" over `boxes`.
    fn captioned(band: (usize, usize), boxes: &[Rect], seed: usize) -> LumaImage {
        let t = seed as f32;
        let px = (0..WORK_SIDE * WORK_SIDE)
            .map(|i| {
                let (x, y) = (i % WORK_SIDE, i / WORK_SIDE);
                if let Some(b) = boxes
                    .iter()
                    .find(|b| (b.x0..b.x1).contains(&x) && (b.y0..b.y1).contains(&y))
                {
                    let text_row = y >= b.y0 + 4 && y < b.y1 - 4;
                    return if text_row && x % 7 < 3 && x > b.x0 + 20 && x < b.x1 - 20 {
                        20
                    } else {
                        235
                    };
                }
                if (band.0..band.1).contains(&y) {
                    let (x, y) = (x as f32, y as f32);
                    (128.0 + 80.0 * (0.07 * x + 0.9 * t).sin() * (0.05 * y - 0.6 * t).cos()) as u8
                } else {
                    16
                }
            })
            .collect();
        LumaImage::new(WORK_SIDE, px)
    }

    fn caption(y0: usize) -> Rect {
        Rect {
            x0: 10,
            x1: 182,
            y0,
            y1: y0 + 17,
        }
    }

    #[test]
    fn boxes_over_the_pad_and_the_picture_are_found() {
        let boxes = [caption(54), caption(121)];
        let window: Vec<LumaImage> = (0..8).map(|s| captioned((66, 132), &boxes, s)).collect();
        assert_eq!(detect(&window), Some(boxes.to_vec()));
        let painted = masked(&window[0], &boxes);
        assert_eq!(painted.row(60)[50], BLACK);
        assert_eq!(painted.row(53)[50], BLACK, "a blurred edge is painted too");
        assert_eq!(painted.row(100), window[0].row(100));
    }

    /// [`captioned`] with rows `dark` of the picture black (a dark scene
    /// beside the box), boxes kept.
    fn dark_beside(picture: LumaImage, boxes: &[Rect], dark: Range<usize>) -> LumaImage {
        let mut px = picture.pixels().to_vec();
        for y in dark {
            for x in 0..WORK_SIDE {
                if !boxes
                    .iter()
                    .any(|b| (b.x0..b.x1).contains(&x) && (b.y0..b.y1).contains(&y))
                {
                    px[y * WORK_SIDE + x] = 16;
                }
            }
        }
        LumaImage::new(WORK_SIDE, px)
    }

    #[test]
    fn the_picture_is_grown_under_the_boxes_alike_at_both_ends_and_remembered() {
        // A centred picture in rows 63..129; boxes over 6 of its rows at
        // each end; painted (2 rows more), the pad seems to end at 69 and
        // 123.
        let boxes = [caption(50), caption(125)];
        let painted_active = Rect {
            x0: 0,
            x1: WORK_SIDE,
            y0: 69,
            y1: 123,
        };
        let picture = Rect {
            y0: 63,
            y1: 129,
            ..painted_active
        };
        let window = |dark: Range<usize>| -> Vec<LumaImage> {
            (0..8)
                .map(|s| dark_beside(captioned((63, 129), &boxes, s), &boxes, dark.clone()))
                .collect()
        };
        // The picture shows beside both boxes.
        let mut tracker = CaptionTracker::default();
        let shown = window(0..0);
        assert_eq!(tracker.boxes(&shown), &boxes);
        assert_eq!(tracker.grow(&shown, painted_active), picture);
        // Only beside the top box (a dark scene at the bottom): the same.
        let mut tracker = CaptionTracker::default();
        let bottom_dark = window(110..129);
        tracker.boxes(&bottom_dark);
        assert_eq!(tracker.grow(&bottom_dark, painted_active), picture);
        // Nothing beside either: what the last windows saw.
        let all_dark = window(63..129);
        tracker.boxes(&all_dark);
        assert_eq!(tracker.grow(&all_dark, painted_active), picture);
        let mut fresh = CaptionTracker::default();
        fresh.boxes(&all_dark);
        assert_eq!(fresh.grow(&all_dark, painted_active), painted_active);
    }

    #[test]
    fn a_short_window_cannot_tell() {
        let window: Vec<LumaImage> = (0..3)
            .map(|s| captioned((66, 132), &[caption(54)], s))
            .collect();
        assert_eq!(detect(&window), None);
    }

    #[test]
    fn no_boxes_in_plain_or_still_video() {
        let window: Vec<LumaImage> = (0..8).map(|s| captioned((0, 192), &[], s)).collect();
        assert_eq!(detect(&window), Some(Vec::new()));
        // A white band of scenery next to the picture, not a pad.
        let band = Rect {
            x0: 10,
            x1: 182,
            y0: 20,
            y1: 37,
        };
        let window: Vec<LumaImage> = (0..8).map(|s| captioned((0, 192), &[band], s)).collect();
        assert_eq!(detect(&window), Some(Vec::new()));
        // A white card filling the frame is not a caption.
        let card = Rect {
            x0: 0,
            x1: 192,
            y0: 0,
            y1: 120,
        };
        let window: Vec<LumaImage> = (0..8).map(|s| captioned((120, 192), &[card], s)).collect();
        assert_eq!(detect(&window), Some(Vec::new()));
    }

    #[test]
    fn arbitrary_pictures_never_panic() {
        for (window, _, _) in crate::luma::testing::arbitrary_windows(40) {
            let boxes = detect(&window).unwrap_or_default();
            for p in &window {
                let _ = masked(p, &boxes);
            }
        }
    }
}
