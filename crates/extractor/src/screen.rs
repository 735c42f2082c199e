//! Filmed screens ("camcording"): a phone pointed at a monitor shows the
//! leaked picture as a bright quadrilateral, keystoned by the camera's
//! angle, inside a dark surround, with vignette, blur and sensor grain on
//! top. The grain defeats the black-pad test of `borders` (the surround is
//! neither flat nor black in any single frame) and the keystone leaves no
//! rectangle to cut, so the picture is found and unwarped here.
//!
//! Per window of samples, each pixel's mean over the window (grain is
//! independent from frame to frame, so the mean is nearly clean), smoothed
//! over its 3×3 neighbourhood. The surround's level is that of the frame's
//! outer ring; pixels clearly brighter are the screen. Per row, the first
//! and last run of screen pixels give points of the left and right edges,
//! per column of the top and bottom; a straight line is fitted to each
//! side's points from the middle of its span (corners are where vignette
//! and dark content bite), refitted without outliers, and must hold most
//! of them. The four lines' crossings are the picture's corners; a
//! picture is hashed through them ([`Quad::sampler`]).

use crate::luma::{LumaImage, MappedSampler, Rect, WORK_SIDE};

/// Fewest frames to decide.
const MIN_FRAMES: usize = 4;
/// Most frames averaged per window, evenly spaced.
const MAX_FRAMES: usize = 16;
/// Width of the frame's outer ring, in working pixels, that sets the
/// surround's level.
const RING_PX: usize = 2;
/// The surround is dark: its brightest tenth of the ring is at most this
/// (video black is 16; a lit room around a monitor is not a dark surround,
/// and is left to the other views).
const MAX_SURROUND_LUMA: f32 = 64.0;
/// A pixel whose window mean is this much above the surround's level is
/// screen.
const SCREEN_CONTRAST: f32 = 10.0;
/// Screen pixels in a row (column) count as an edge point only at the
/// start of a run of this many.
const MIN_RUN_PX: usize = 3;
/// An edge point is moved to the sharpest step at most this many pixels
/// from where the screen's run starts.
const REFINE_PX: usize = 2;
/// Each side is fitted on the middle share of its span.
const FIT_SPAN_SHARE: f32 = 0.6;
/// Points farther than this from the first fit (working pixels) are
/// outliers (dark content bit into the edge).
const OUTLIER_PX: f32 = 2.0;
/// Share of a side's points the refitted line must hold...
const MIN_INLIER_SHARE: f32 = 0.6;
/// ...and fewest points.
const MIN_POINTS: usize = 12;
/// Refits towards a side's outer envelope.
const ENVELOPE_PASSES: usize = 4;
/// At least this many sides must be straight lines; the others are put
/// at their outermost points ([`outermost`]).
const MIN_STRAIGHT_SIDES: usize = 2;
/// The quantile of a crooked side's points taken as its place.
const OUTER_QUANTILE: f32 = 0.9;
/// A side leans by at most this much (pixels per pixel along it): a
/// camera's keystone, not a diagonal.
const MAX_SLOPE: f32 = 0.15;
/// The picture spans at least this share of the frame each way...
const MIN_SPAN_SHARE: f32 = 0.5;
/// ...and every side lies at least this far inside the frame: a camera
/// framing a monitor leaves surround all round, while a letterboxed or
/// pillarboxed picture (whose dark scenery can make a third side look
/// like an edge) has none at two of its sides.
const MIN_SURROUND_PX: f32 = 3.0;
/// A quad whose corners are all this close to the active picture's is it.
const SAME_PX: f32 = 3.0;
/// Share of the pixels well outside the picture that must be surround.
const MIN_SURROUND_SHARE: f32 = 0.9;

/// A picture's four corners in working-picture pixel coordinates: top
/// left, top right, bottom left, bottom right.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quad {
    /// `(x, y)` of each corner.
    pub corners: [(f32, f32); 4],
}

impl Quad {
    /// A sampler of the centred `zoom` (0-1] of the picture, unwarped: a
    /// point of the output square is placed between the corners
    /// bilinearly (close to the true perspective for a camera's keystone
    /// of a few degrees).
    pub fn sampler(&self, zoom: f32) -> MappedSampler {
        let [tl, tr, bl, br] = self.corners;
        MappedSampler::new(WORK_SIDE, |s, t| {
            let (s, t) = (0.5 + (s - 0.5) * zoom, 0.5 + (t - 0.5) * zoom);
            let mix = |a: (f32, f32), b: (f32, f32), k: f32| {
                (a.0 + (b.0 - a.0) * k, a.1 + (b.1 - a.1) * k)
            };
            mix(mix(tl, tr, s), mix(bl, br, s), t)
        })
    }
}

/// A line `across = a + b * along`.
#[derive(Clone, Copy, Debug)]
struct Line {
    a: f32,
    b: f32,
}

impl Line {
    fn at(&self, along: f32) -> f32 {
        self.a + self.b * along
    }
}

/// The filmed screen in the window's frames, if there is one other than
/// the `active` picture (a plain rectangle that borders already cut).
pub fn detect(window: &[LumaImage], active: Rect) -> Option<Quad> {
    let side = window.first()?.side();
    if window.len() < MIN_FRAMES || side < 32 {
        return None;
    }
    let mean = smoothed_mean(window);
    let at = |x: usize, y: usize| mean[y * side + x];
    let mut ring: Vec<f32> = (0..side)
        .flat_map(|i| {
            (0..RING_PX).flat_map(move |r| [(i, r), (i, side - 1 - r), (r, i), (side - 1 - r, i)])
        })
        .map(|(x, y)| at(x, y))
        .collect();
    ring.sort_by(f32::total_cmp);
    let surround = ring[ring.len() * 9 / 10];
    if surround > MAX_SURROUND_LUMA {
        return None;
    }
    let lit = |x: usize, y: usize| at(x, y) > surround + SCREEN_CONTRAST;
    // Per row, where the first and last runs of screen pixels start and end.
    // Where a line of `len` pixels (`value`, `on`: screen) enters and
    // leaves the screen, as boundaries between pixels (pixel i spans i to
    // i + 1), refined to the sharpest step nearby: a pixel of error in a
    // corner moves the hash by about 16 bits.
    let extents = |len: usize,
                   on: &dyn Fn(usize) -> bool,
                   value: &dyn Fn(usize) -> f32|
     -> Option<(f32, f32)> {
        let run = |i: usize| (i..i + MIN_RUN_PX).all(|k| k < len && on(k));
        let first = (0..len).find(|&i| run(i))?;
        let last = (0..len)
            .rev()
            .find(|&i| i + 1 >= MIN_RUN_PX && run(i + 1 - MIN_RUN_PX))?;
        Some((
            sharpest_step(value, len, first),
            sharpest_step(value, len, last + 1),
        ))
    };
    let rows: Vec<(f32, (f32, f32))> = (0..side)
        .filter_map(|y| extents(side, &|x| lit(x, y), &|x| at(x, y)).map(|e| (y as f32 + 0.5, e)))
        .collect();
    let cols: Vec<(f32, (f32, f32))> = (0..side)
        .filter_map(|x| extents(side, &|y| lit(x, y), &|y| at(x, y)).map(|e| (x as f32 + 0.5, e)))
        .collect();
    let sides = [
        (&rows, 0, -1.0),
        (&rows, 1, 1.0),
        (&cols, 0, -1.0),
        (&cols, 1, 1.0),
    ];
    let pick = |end: usize| move |e: (f32, f32)| if end == 0 { e.0 } else { e.1 };
    let straight = sides.map(|(points, end, outward)| fit_side(points, pick(end), outward));
    if straight.iter().flatten().count() < MIN_STRAIGHT_SIDES {
        return None;
    }
    let mut lines = [Line { a: 0.0, b: 0.0 }; 4];
    for (line, ((points, end, outward), fitted)) in lines.iter_mut().zip(sides.iter().zip(straight))
    {
        *line = fitted.or_else(|| outermost(points, pick(*end), *outward))?;
    }
    let [left, right, top, bottom] = lines;
    let corners = [
        cross(&top, &left)?,
        cross(&top, &right)?,
        cross(&bottom, &left)?,
        cross(&bottom, &right)?,
    ];
    let quad = Quad { corners };
    plausible(&quad, side as f32).then_some(())?;
    let (x0, x1, y0, y1) = (
        active.x0 as f32,
        active.x1 as f32,
        active.y0 as f32,
        active.y1 as f32,
    );
    let is_active = [(x0, y0), (x1, y0), (x0, y1), (x1, y1)]
        .iter()
        .zip(corners)
        .all(|(a, c)| (a.0 - c.0).abs() <= SAME_PX && (a.1 - c.1).abs() <= SAME_PX);
    if is_active {
        return None;
    }
    // The surround must be surround: dark all round, not dark scenery
    // beside a bright object.
    let (mut outside, mut dark) = (0usize, 0usize);
    for y in 0..side {
        for x in 0..side {
            let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
            let gap = [
                left.at(py) - px,
                px - right.at(py),
                top.at(px) - py,
                py - bottom.at(px),
            ]
            .into_iter()
            .fold(f32::MIN, f32::max);
            if gap > OUTLIER_PX {
                outside += 1;
                dark += usize::from(!lit(x, y));
            }
        }
    }
    (outside > 0 && dark as f32 >= MIN_SURROUND_SHARE * outside as f32).then_some(quad)
}

/// The boundary within [`REFINE_PX`] of `boundary` (boundary b lies
/// between pixels b - 1 and b) where `value` steps most, to a fraction of
/// a pixel by a parabola through the steps beside it.
fn sharpest_step(value: &dyn Fn(usize) -> f32, len: usize, boundary: usize) -> f32 {
    let step = |b: usize| (value(b) - value(b - 1)).abs();
    let (lo, hi) = (
        boundary.saturating_sub(REFINE_PX).max(1),
        (boundary + REFINE_PX).min(len.saturating_sub(1)),
    );
    let Some(best) = (lo..=hi).max_by(|&a, &b| step(a).total_cmp(&step(b))) else {
        return boundary as f32;
    };
    if best > 1 && best + 1 < len {
        let (left, centre, right) = (step(best - 1), step(best), step(best + 1));
        let curve = left - 2.0 * centre + right;
        if curve < -1e-3 {
            return best as f32 + (0.5 * (left - right) / curve).clamp(-0.5, 0.5);
        }
    }
    best as f32
}

/// Per pixel, the mean over the window's frames (at most [`MAX_FRAMES`],
/// evenly spaced), then over its 3×3 neighbourhood.
fn smoothed_mean(window: &[LumaImage]) -> Vec<f32> {
    let side = window[0].side();
    let used: Vec<&LumaImage> = window
        .iter()
        .step_by(window.len().div_ceil(MAX_FRAMES))
        .filter(|p| p.side() == side)
        .collect();
    let mut sum = vec![0f32; side * side];
    for picture in &used {
        for (s, &p) in sum.iter_mut().zip(picture.pixels()) {
            *s += f32::from(p);
        }
    }
    let n = used.len().max(1) as f32;
    let mut out = vec![0f32; side * side];
    for y in 0..side {
        for x in 0..side {
            let (mut total, mut count) = (0f32, 0f32);
            for ny in y.saturating_sub(1)..=(y + 1).min(side - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(side - 1) {
                    total += sum[ny * side + nx];
                    count += 1.0;
                }
            }
            out[y * side + x] = total / (count * n);
        }
    }
    out
}

/// One side's edge points `(along, pick(extent))` from the middle of
/// their span (the corners are where vignette and dark content bite).
fn middle_points(
    points: &[(f32, (f32, f32))],
    pick: impl Fn((f32, f32)) -> f32,
) -> Vec<(f32, f32)> {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Vec::new();
    };
    let margin = (last.0 - first.0) * (1.0 - FIT_SPAN_SHARE) / 2.0;
    points
        .iter()
        .filter(|(along, _)| *along >= first.0 + margin && *along <= last.0 - margin)
        .map(|&(along, e)| (along, pick(e)))
        .collect()
}

/// A straight line along one side's edge points: dark content next to a
/// side only moves its points inwards (`outward` is +1 where larger
/// coordinates are outside, -1 where smaller are), so points well inside
/// the line are dropped and the line refitted a few times, which settles
/// on the outer envelope; kept if most points lie on it and it leans
/// little.
fn fit_side(
    points: &[(f32, (f32, f32))],
    pick: impl Fn((f32, f32)) -> f32,
    outward: f32,
) -> Option<Line> {
    let middle = middle_points(points, pick);
    if middle.len() < MIN_POINTS {
        return None;
    }
    let mut line = least_squares(&middle)?;
    for _ in 0..ENVELOPE_PASSES {
        let kept: Vec<(f32, f32)> = middle
            .iter()
            .copied()
            .filter(|&(along, across)| outward * (across - line.at(along)) >= -OUTLIER_PX)
            .collect();
        line = least_squares(&kept)?;
    }
    let on_line = middle
        .iter()
        .filter(|&&(along, across)| (across - line.at(along)).abs() <= OUTLIER_PX)
        .count();
    (on_line as f32 >= MIN_INLIER_SHARE * middle.len() as f32 && line.b.abs() <= MAX_SLOPE)
        .then_some(line)
}

/// Where a side that is not straight (dark content or vignette bit into
/// all of it) lies at most: the surround is darker than any picture, so a
/// side is never inside its outermost points; the [`OUTER_QUANTILE`] of
/// its points outwards.
fn outermost(
    points: &[(f32, (f32, f32))],
    pick: impl Fn((f32, f32)) -> f32,
    outward: f32,
) -> Option<Line> {
    let mut across: Vec<f32> = middle_points(points, pick)
        .into_iter()
        .map(|(_, across)| outward * across)
        .collect();
    if across.len() < MIN_POINTS {
        return None;
    }
    across.sort_by(f32::total_cmp);
    let a = outward * across[((across.len() - 1) as f32 * OUTER_QUANTILE) as usize];
    Some(Line { a, b: 0.0 })
}

fn least_squares(points: &[(f32, f32)]) -> Option<Line> {
    let n = points.len() as f32;
    if points.len() < 2 {
        return None;
    }
    let (sx, sy) = points
        .iter()
        .fold((0f32, 0f32), |(sx, sy), &(x, y)| (sx + x, sy + y));
    let (mx, my) = (sx / n, sy / n);
    let (sxx, sxy) = points.iter().fold((0f32, 0f32), |(sxx, sxy), &(x, y)| {
        (sxx + (x - mx) * (x - mx), sxy + (x - mx) * (y - my))
    });
    if sxx <= f32::EPSILON {
        return None;
    }
    let b = sxy / sxx;
    Some(Line { a: my - b * mx, b })
}

/// Where a horizontal side (`y = a + b x`) crosses a vertical one
/// (`x = a + b y`), as `(x, y)`.
fn cross(horizontal: &Line, vertical: &Line) -> Option<(f32, f32)> {
    let denom = 1.0 - vertical.b * horizontal.b;
    if denom.abs() < 1e-3 {
        return None;
    }
    let x = (vertical.a + vertical.b * horizontal.a) / denom;
    let y = horizontal.at(x);
    (x.is_finite() && y.is_finite()).then_some((x, y))
}

/// Whether `quad` can be a filmed picture in a `side`² frame: inside it,
/// large, and with surround all round.
fn plausible(quad: &Quad, side: f32) -> bool {
    let [tl, tr, bl, br] = quad.corners;
    let inside = quad
        .corners
        .iter()
        .all(|&(x, y)| (-1.0..=side + 1.0).contains(&x) && (-1.0..=side + 1.0).contains(&y));
    let min_span = MIN_SPAN_SHARE * side;
    let spans = [tr.0 - tl.0, br.0 - bl.0, bl.1 - tl.1, br.1 - tr.1];
    // How far inside the frame each side is (at its outer end).
    let insets = [
        tl.0.min(bl.0),
        side - tr.0.max(br.0),
        tl.1.min(tr.1),
        side - bl.1.max(br.1),
    ];
    inside && spans.iter().all(|&s| s >= min_span) && insets.iter().all(|&i| i >= MIN_SURROUND_PX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::luma::{Rect, WORK_SIDE};

    /// Smooth moving scenery.
    fn texture(x: f32, y: f32, seed: usize) -> f32 {
        let t = seed as f32;
        128.0 + 80.0 * (0.07 * x + 0.9 * t).sin() * (0.05 * y - 0.6 * t).cos()
    }

    /// A cheap pseudo-random grain in -amp..amp.
    fn grain(i: usize, seed: usize, amp: f32) -> f32 {
        let h = (i as u64 ^ (seed as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .wrapping_mul(0xBF58_476D_1CE4_E5B9);
        ((h >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * amp
    }

    /// Scenery shown in `quad` (bilinear map of the picture's unit square),
    /// a dark surround around it, grain over everything.
    fn filmed(quad: &Quad, seed: usize) -> LumaImage {
        let [tl, tr, bl, br] = quad.corners;
        let mut px = Vec::with_capacity(WORK_SIDE * WORK_SIDE);
        for y in 0..WORK_SIDE {
            for x in 0..WORK_SIDE {
                let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
                // Invert the bilinear map approximately: the sides are
                // nearly straight, so interpolate along each row.
                let t_left = (fy - tl.1) / (bl.1 - tl.1);
                let t_right = (fy - tr.1) / (br.1 - tr.1);
                let xl = tl.0 + (bl.0 - tl.0) * t_left;
                let xr = tr.0 + (br.0 - tr.0) * t_right;
                let s = (fx - xl) / (xr - xl);
                let t = t_left + (t_right - t_left) * s;
                let i = y * WORK_SIDE + x;
                let v = if (0.0..1.0).contains(&s) && (0.0..1.0).contains(&t) {
                    texture(s * 190.0, t * 190.0, seed)
                } else {
                    26.0
                };
                px.push((v + grain(i, seed, 14.0)).clamp(0.0, 255.0) as u8);
            }
        }
        LumaImage::new(WORK_SIDE, px)
    }

    fn keystoned() -> Quad {
        Quad {
            corners: [(20.0, 18.0), (176.0, 24.0), (14.0, 170.0), (180.0, 168.0)],
        }
    }

    #[test]
    fn a_filmed_screen_is_found_through_grain() {
        let quad = keystoned();
        let window: Vec<LumaImage> = (0..12).map(|s| filmed(&quad, s)).collect();
        let found = detect(&window, Rect::full(WORK_SIDE)).expect("a screen");
        for (f, q) in found.corners.iter().zip(quad.corners) {
            assert!(
                (f.0 - q.0).abs() <= 2.0 && (f.1 - q.1).abs() <= 2.0,
                "{found:?} vs {quad:?}"
            );
        }
    }

    #[test]
    fn the_sampler_unwarps_the_quad() {
        let quad = keystoned();
        let picture = filmed(&quad, 3);
        let error = |out: Vec<f32>| {
            let total: f32 = out
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let (s, t) = ((i % 64) as f32 + 0.5, (i / 64) as f32 + 0.5);
                    (v - texture(s / 64.0 * 190.0, t / 64.0 * 190.0, 3)).abs()
                })
                .sum();
            total / out.len() as f32
        };
        let unwarped = error(quad.sampler(1.0).resample(&picture));
        let whole = error(picture.resample(Rect::full(WORK_SIDE)));
        // Grain of ±14 averages to a few levels; the frame as it is
        // misplaces the scenery by up to 20 working pixels.
        assert!(
            unwarped < 8.0 && whole > 3.0 * unwarped,
            "{unwarped} {whole}"
        );
    }

    #[test]
    fn plain_video_and_letterboxes_are_no_screen() {
        let full = Quad {
            corners: [
                (0.0, 0.0),
                (WORK_SIDE as f32, 0.0),
                (0.0, WORK_SIDE as f32),
                (WORK_SIDE as f32, WORK_SIDE as f32),
            ],
        };
        let window: Vec<LumaImage> = (0..8).map(|s| filmed(&full, s)).collect();
        assert_eq!(detect(&window, Rect::full(WORK_SIDE)), None);
        // Too few frames.
        let window: Vec<LumaImage> = (0..3).map(|s| filmed(&keystoned(), s)).collect();
        assert_eq!(detect(&window, Rect::full(WORK_SIDE)), None);
    }

    #[test]
    fn arbitrary_pictures_never_panic() {
        for (window, _, _) in crate::luma::testing::arbitrary_windows(40) {
            let _ = detect(&window, Rect::full(WORK_SIDE));
        }
    }
}
