//! Tilted copies: a picture turned by a few degrees inside a frame of the
//! same size, the corners it uncovers filled with black (what a re-upload
//! "rotated to dodge detection" looks like). Even a 4° turn moves a global
//! hash about as far as an unrelated picture, so a window of samples is
//! checked for the black corners a turn leaves, and if they are there,
//! the picture is turned back before hashing ([`turned_back`]).
//!
//! The check fits the four corner triangles of a turned rectangle of the
//! active picture's own shape to the fill: pixels that stay dark and
//! constant in every frame of the window. A turn by `θ` is accepted when
//! the triangles predicted for `θ` are fill and a band just inside their
//! edges is mostly content; among the angles that pass, the one whose edge
//! separates fill from content best wins: a smaller angle leaves the band
//! in the fill, a larger one puts content inside the triangles. A dark
//! vignette has no sharp straight boundary at any angle and is left alone.

use crate::luma::{window_extremes, LumaImage, MappedSampler, Rect, WORK_SIDE};

/// A pixel brighter than this at any time of the window is content (video
/// black is 16, plus coding noise)...
const LIT_LUMA: u8 = 40;
/// ...and so is a darker one that changes by more than this over the
/// window: the fill of a turned picture is constant, while dark scenery
/// moves (a dim film is mostly below [`LIT_LUMA`]). Coding noise on the
/// fill of small low-bitrate copies reaches 6-10, hence the margin.
///
/// Grain added to a turned copy (a common dodge) makes the fill change by
/// 20-30 levels from frame to frame, pixel by pixel, while moving scenery
/// changes whole areas. So where dark corners change only pixel by pixel,
/// the change is measured on the mean of each pixel's 3×3 neighbourhood
/// too, which divides independent grain by three, and a dark pixel is
/// fill if either stays within this. (Only then: the neighbourhood
/// carries the content's changes a pixel out into clean fill and would
/// bias the angle of clean copies.)
const FILL_RANGE: u8 = 12;
/// Angles tried, in degrees: `-MAX..=MAX` in steps of `STEP`, zero and
/// angles below `MIN` excluded (a turn of under 1.5° barely moves the hash).
const MAX_TILT_DEG: f32 = 12.0;
const MIN_TILT_DEG: f32 = 1.5;
const STEP_DEG: f32 = 0.25;
/// Pixels this close to a predicted edge, in working pixels, are not
/// judged (rasterization and scaling blur the edge).
const EDGE_MARGIN_PX: f32 = 1.5;
/// How far outside its geometric border the content of a turned picture
/// shows, in the source video's pixels (FFmpeg's bilinear turn, then
/// coding, smear the edge by about a pixel).
const EDGE_BLUR_SOURCE_PX: f32 = 1.0;
/// Width of the band inside the predicted edges that must be lit.
const BAND_PX: f32 = 5.0;
/// Share of the predicted corner pixels that must be dark...
const MIN_DARK_SHARE: f32 = 0.97;
/// ...and of the band inside them that must be content: most of it, not
/// all, since dark static scenery can border the edge (a dim film's band
/// measured 0.65-0.8 content). A vignette still fails: its dark region
/// has no straight edge, so no angle gets both shares.
const MIN_LIT_SHARE: f32 = 0.6;
/// The predicted corners must hold at least this share of the picture, so
/// that a few dark pixels cannot decide.
const MIN_CORNER_SHARE: f32 = 0.005;
/// Fewest frames in a window to decide (a single frame's dark corners may
/// be scenery).
const MIN_FRAMES: usize = 3;

/// The active picture's geometry: its rectangle in the working picture
/// and its true width / height (the working picture is square, the video
/// is not).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Geometry {
    /// The active rectangle in working pixels.
    pub active: Rect,
    /// Displayed width / height of the active picture.
    pub aspect: f32,
    /// Height of the active picture in the source video's pixels.
    pub height_px: f32,
}

impl Geometry {
    /// Maps a point of the active picture in height units centred on its
    /// middle (x in `-aspect/2..aspect/2`, y in `-1/2..1/2`) to working
    /// pixel coordinates.
    fn work_point(&self, x: f32, y: f32) -> (f32, f32) {
        let a = self.active;
        (
            (a.x0 + a.x1) as f32 / 2.0 + x * a.width() as f32 / self.aspect,
            (a.y0 + a.y1) as f32 / 2.0 + y * a.height() as f32,
        )
    }

    /// Inverse of [`work_point`](Self::work_point), at a pixel's centre.
    fn picture_point(&self, u: usize, v: usize) -> (f32, f32) {
        let a = self.active;
        (
            (u as f32 + 0.5 - (a.x0 + a.x1) as f32 / 2.0) * self.aspect / a.width() as f32,
            (v as f32 + 0.5 - (a.y0 + a.y1) as f32 / 2.0) / a.height() as f32,
        )
    }

    /// Working pixels per height unit, the smaller of the two directions.
    fn px_per_unit(&self) -> f32 {
        let a = self.active;
        (a.height() as f32).min(a.width() as f32 / self.aspect)
    }

    /// The columns of row `v` whose pixel centres lie at least `deep`
    /// height units inside the active rectangle turned by `turn` (sin,
    /// cos), less a column at each end; empty if there are none.
    fn deep_run(&self, v: usize, (sin, cos): (f32, f32), deep: f32) -> std::ops::Range<usize> {
        let (half_w, half_h) = (self.aspect / 2.0 - deep, 0.5 - deep);
        if half_w <= 0.0 || half_h <= 0.0 || cos <= 0.0 || sin == 0.0 {
            return 0..0;
        }
        let (_, y) = self.picture_point(self.active.x0, v);
        // |x cos + y sin| <= half_w and |y cos - x sin| <= half_h, for x.
        let (lo1, hi1) = ((-half_w - y * sin) / cos, (half_w - y * sin) / cos);
        let (e1, e2) = ((y * cos - half_h) / sin, (y * cos + half_h) / sin);
        let (lo, hi) = (lo1.max(e1.min(e2)), hi1.min(e1.max(e2)));
        let a = self.active;
        let cx = (a.x0 + a.x1) as f32 / 2.0;
        let to_u = |x: f32| x * a.width() as f32 / self.aspect + cx - 0.5;
        let (first, last) = (to_u(lo).ceil() + 1.0, to_u(hi).floor() - 1.0);
        if first.is_nan() || last.is_nan() {
            return 0..0;
        }
        // Within the active columns, whatever the geometry gave.
        let (first, last) = (first.max(a.x0 as f32), last.min(a.x1 as f32 - 1.0));
        if first > last {
            return 0..0;
        }
        first as usize..last as usize + 1
    }

    /// Signed distance, in height units, from `(x, y)` to the border of
    /// the active rectangle turned by `angle_rad`: positive inside.
    fn inside_distance(&self, x: f32, y: f32, (sin, cos): (f32, f32)) -> f32 {
        // Turn the point back by the angle and compare with the rectangle.
        let xr = x * cos + y * sin;
        let yr = -x * sin + y * cos;
        (self.aspect / 2.0 - xr.abs()).min(0.5 - yr.abs())
    }
}

/// The angle in degrees (positive: clockwise on screen) that the window's
/// pictures were turned by inside their frame, if they show the black
/// corners of one.
pub fn detect(window: &[LumaImage], geometry: Geometry) -> Option<f32> {
    if window.len() < MIN_FRAMES || geometry.active.width() < 16 || geometry.active.height() < 16 {
        return None;
    }
    let a = geometry.active;
    // Per pixel of the active picture, its darkest and brightest moments.
    let (w, h) = (a.width(), a.height());
    let (low, peak) = window_extremes(window, a);
    let mut content: Vec<bool> = low
        .iter()
        .zip(&peak)
        .map(|(&l, &p)| p > LIT_LUMA || p - l > FILL_RANGE)
        .collect();
    // Any turn uncovers the picture's four corners; almost every video
    // shows content there, and is done with here (the fit below costs a
    // pass over the picture per angle).
    let corners = [0, w - 1, (h - 1) * w, h * w - 1];
    let content_corners = |content: &[bool]| corners.iter().filter(|&&i| content[i]).count();
    if content_corners(&content) <= 1 {
        if let Some(deg) = fit_angle(&content, geometry) {
            return Some(deg);
        }
    }
    // Dark corners that change pixel by pixel may be grain on a fill: judge
    // dark pixels by their neighbourhood's change too, and fit again.
    if corners.iter().filter(|&&i| peak[i] > LIT_LUMA).count() > 1 {
        return None;
    }
    let (low_sum, peak_sum) = neighbourhood_extremes(window, a);
    let mut rescued = false;
    for (i, c) in content.iter_mut().enumerate() {
        if *c && peak[i] <= LIT_LUMA && peak_sum[i] - low_sum[i] <= 9 * u16::from(FILL_RANGE) {
            *c = false;
            rescued = true;
        }
    }
    if !rescued || content_corners(&content) > 1 {
        return None;
    }
    fit_angle(&content, geometry)
}

/// The angle whose predicted corners fit `content` (per pixel of the
/// active picture: not fill) best, if any passes.
fn fit_angle(content: &[bool], geometry: Geometry) -> Option<f32> {
    // The turned picture's edge is anti-aliased, and a partly covered
    // pixel already counts as content: its border shows this far outside
    // the geometric one (in height units). Along an edge at a shallow
    // angle that is many pixels, enough to bias the angle by 10-20 %
    // (measured on FFmpeg's `rotate` of a 320×180 test pattern: 3.92°
    // read as 3.0°, 6.5° as 5.75°; with this, 3.5° and 6.5°).
    let blur = EDGE_BLUR_SOURCE_PX / geometry.height_px.max(1.0);
    let steps = (MAX_TILT_DEG / STEP_DEG).round() as i32;
    let min_corner = (MIN_CORNER_SHARE * content.len() as f32) as usize;
    let mut best: Option<(f32, f32)> = None;
    for s in -steps..=steps {
        let deg = s as f32 * STEP_DEG;
        if deg.abs() < MIN_TILT_DEG {
            continue;
        }
        let fit = Fit::of_angle(content, geometry, deg.to_radians().sin_cos(), blur);
        if fit.corner < min_corner || fit.band == 0 {
            continue;
        }
        let dark_share = fit.dark as f32 / fit.corner as f32;
        let lit_share = fit.lit as f32 / fit.band as f32;
        if dark_share >= MIN_DARK_SHARE && lit_share >= MIN_LIT_SHARE {
            // Among the angles that pass, the one whose edge separates
            // dark from lit best right where it runs.
            let accuracy = fit.agree as f32 / fit.near.max(1) as f32;
            if best.is_none_or(|(_, a)| accuracy > a) {
                best = Some((deg, accuracy));
            }
        }
    }
    best.map(|(deg, _)| deg)
}

/// Per pixel of `area`, the lowest and highest sum of its 3×3
/// neighbourhood over the window.
fn neighbourhood_extremes(window: &[LumaImage], area: Rect) -> (Vec<u16>, Vec<u16>) {
    let n = area.width() * area.height();
    let (mut low, mut peak) = (vec![u16::MAX; n], vec![0u16; n]);
    let (mut sum, mut scratch) = (vec![0u16; n], Vec::with_capacity(n));
    for picture in window {
        box_sum_3x3(picture, area, &mut scratch, &mut sum);
        for ((l, p), &m) in low.iter_mut().zip(&mut peak).zip(&sum) {
            *l = (*l).min(m);
            *p = (*p).max(m);
        }
    }
    (low, peak)
}

/// Per pixel of `area` of `picture`, the sum of its 3×3 neighbourhood
/// (pixels outside the area repeat its edge), into `out` (row-major);
/// `rows` is scratch space.
fn box_sum_3x3(picture: &LumaImage, area: Rect, rows: &mut Vec<u16>, out: &mut [u16]) {
    let (w, h) = (area.width(), area.height());
    rows.clear();
    for y in area.y0..area.y1 {
        let r = &picture.row(y)[area.x0..area.x1];
        rows.extend((0..w).map(|x| {
            u16::from(r[x.saturating_sub(1)]) + u16::from(r[x]) + u16::from(r[(x + 1).min(w - 1)])
        }));
    }
    for y in 0..h {
        let (up, down) = (y.saturating_sub(1), (y + 1).min(h - 1));
        for x in 0..w {
            out[y * w + x] = rows[up * w + x] + rows[y * w + x] + rows[down * w + x];
        }
    }
}

/// Counts of one angle's prediction against the observed peaks.
#[derive(Debug, Default, PartialEq, Eq)]
struct Fit {
    /// Pixels predicted well outside the turned picture, and how many of
    /// them are dark.
    corner: usize,
    dark: usize,
    /// Pixels in the band just inside its edges, and how many are lit.
    band: usize,
    lit: usize,
    /// Pixels within the band width of the edge on either side, and how
    /// many of them are as predicted (dark outside, lit inside).
    near: usize,
    agree: usize,
}

impl Fit {
    /// The counts of the angle whose (sin, cos) is `turn`, with the edge
    /// moved out by `blur` height units, over the active picture.
    ///
    /// A pixel deep inside the turned picture counts nowhere, and most
    /// pixels are: each row's run of them is worked out from the geometry
    /// (less a pixel at each end, against rounding) and skipped, so that a
    /// fit costs the edges and corners of the picture, not its area.
    fn of_angle(content: &[bool], geometry: Geometry, turn: (f32, f32), blur: f32) -> Fit {
        let a = geometry.active;
        let px = geometry.px_per_unit();
        let mut fit = Fit::default();
        // Inside by this much (height units), a pixel counts nowhere.
        let deep = (EDGE_MARGIN_PX + BAND_PX) / px - blur;
        for v in a.y0..a.y1 {
            let skipped = geometry.deep_run(v, turn, deep);
            let row = &content[(v - a.y0) * a.width()..(v - a.y0 + 1) * a.width()];
            for u in (a.x0..a.x1).filter(|u| !skipped.contains(u)) {
                let (x, y) = geometry.picture_point(u, v);
                let d = (geometry.inside_distance(x, y, turn) + blur) * px;
                fit.add(d, row[u - a.x0]);
            }
        }
        fit
    }

    /// Counts a pixel at signed distance `d_px` from the predicted edge
    /// (positive inside).
    fn add(&mut self, d_px: f32, lit: bool) {
        if d_px < -EDGE_MARGIN_PX {
            self.corner += 1;
            self.dark += usize::from(!lit);
        } else if d_px > EDGE_MARGIN_PX && d_px < EDGE_MARGIN_PX + BAND_PX {
            self.band += 1;
            self.lit += usize::from(lit);
        }
        if d_px.abs() < BAND_PX {
            self.near += 1;
            self.agree += usize::from(lit == (d_px > 0.0));
        }
    }
}

/// A sampler of the centred `zoom` (0-1] of the active picture of
/// `geometry`, turned back by `tilt_deg`.
pub fn turned_back(geometry: Geometry, tilt_deg: f32, zoom: f32) -> MappedSampler {
    let (sin, cos) = tilt_deg.to_radians().sin_cos();
    MappedSampler::new(WORK_SIDE, |s, t| {
        // The point of the upright content, in height units...
        let x = (s - 0.5) * geometry.aspect * zoom;
        let y = (t - 0.5) * zoom;
        // ...where the turn put it in the frame.
        geometry.work_point(x * cos - y * sin, x * sin + y * cos)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::luma::WORK_SIDE;

    #[test]
    fn a_fit_skipping_the_deep_inside_counts_as_every_pixel_does() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for (active, aspect, height_px) in [
            (Rect::full(WORK_SIDE), 16.0 / 9.0, 1080.0),
            (Rect::full(WORK_SIDE), 9.0 / 16.0, 1920.0),
            (
                Rect {
                    x0: 10,
                    x1: 181,
                    y0: 40,
                    y1: 150,
                },
                2.35,
                240.0,
            ),
            (
                Rect {
                    x0: 0,
                    x1: 30,
                    y0: 0,
                    y1: 20,
                },
                1.0,
                30.0,
            ),
        ] {
            let g = Geometry {
                active,
                aspect,
                height_px,
            };
            let blur = EDGE_BLUR_SOURCE_PX / height_px;
            let content: Vec<bool> = (0..active.width() * active.height())
                .map(|_| next() % 3 != 0)
                .collect();
            for deg in [-12.0f32, -7.25, -1.5, 1.5, 3.75, 12.0] {
                let turn = deg.to_radians().sin_cos();
                let mut every = Fit::default();
                for v in active.y0..active.y1 {
                    for u in active.x0..active.x1 {
                        let (x, y) = g.picture_point(u, v);
                        let d = (g.inside_distance(x, y, turn) + blur) * g.px_per_unit();
                        every.add(d, content[(v - active.y0) * active.width() + u - active.x0]);
                    }
                }
                assert_eq!(
                    Fit::of_angle(&content, g, turn, blur),
                    every,
                    "{deg}° {active:?}"
                );
                if active.width() > 100 {
                    // Most of a middle row is skipped.
                    let deep = (EDGE_MARGIN_PX + BAND_PX) / g.px_per_unit() - blur;
                    let middle = g.deep_run((active.y0 + active.y1) / 2, turn, deep);
                    assert!(middle.len() > active.width() / 2, "{deg}°: {middle:?}");
                }
            }
        }
    }

    /// A textured scene of `aspect` squeezed into the square working
    /// picture, turned by `deg` inside its frame with black corners, as
    /// FFmpeg's `rotate` filter makes it.
    fn turned(aspect: f32, deg: f32, seed: u32) -> LumaImage {
        let g = Geometry {
            active: Rect::full(WORK_SIDE),
            aspect,
            height_px: 1080.0,
        };
        let (sin, cos) = deg.to_radians().sin_cos();
        let mut pixels = Vec::with_capacity(WORK_SIDE * WORK_SIDE);
        for v in 0..WORK_SIDE {
            for u in 0..WORK_SIDE {
                let (x, y) = g.picture_point(u, v);
                // Back to the upright scene.
                let (xs, ys) = (x * cos + y * sin, -x * sin + y * cos);
                let inside = xs.abs() <= aspect / 2.0 && ys.abs() <= 0.5;
                pixels.push(if inside { scene(xs, ys, seed) } else { 16 });
            }
        }
        LumaImage::new(WORK_SIDE, pixels)
    }

    fn scene(x: f32, y: f32, seed: u32) -> u8 {
        let t = seed as f32 * 0.7;
        (128.0 + 60.0 * (9.0 * x + t).sin() * (7.0 * y - t).cos() + 40.0 * (23.0 * x * y).sin())
            as u8
    }

    fn window(aspect: f32, deg: f32) -> Vec<LumaImage> {
        (0..6).map(|s| turned(aspect, deg, s)).collect()
    }

    fn full(aspect: f32) -> Geometry {
        Geometry {
            active: Rect::full(WORK_SIDE),
            aspect,
            height_px: 1080.0,
        }
    }

    #[test]
    fn turns_are_measured_both_ways_and_at_any_shape() {
        for aspect in [16.0 / 9.0, 4.0 / 3.0, 9.0 / 16.0] {
            for deg in [-7.5f32, -4.0, 3.0, 5.25, 8.0] {
                let found = detect(&window(aspect, deg), full(aspect));
                let found = found.unwrap_or_else(|| panic!("{aspect} {deg}: not found"));
                assert!((found - deg).abs() <= 0.5, "{aspect} {deg}: {found}");
            }
        }
    }

    #[test]
    fn grain_on_the_corners_does_not_hide_a_turn() {
        // Grain of +-12 levels over the whole frame, new in every frame:
        // the corners span over 20 levels but stay dark and near-constant.
        let aspect = 16.0 / 9.0;
        let mut state = 12_345u32;
        let grainy: Vec<LumaImage> = window(aspect, 5.0)
            .into_iter()
            .map(|picture| {
                let px = picture
                    .pixels()
                    .iter()
                    .map(|&p| {
                        state ^= state << 13;
                        state ^= state >> 17;
                        state ^= state << 5;
                        (i32::from(p) + (state % 25) as i32 - 12).clamp(0, 255) as u8
                    })
                    .collect();
                LumaImage::new(WORK_SIDE, px)
            })
            .collect();
        let found = detect(&grainy, full(aspect)).expect("turn found through the grain");
        assert!((found - 5.0).abs() <= 0.5, "{found}");
    }

    #[test]
    fn upright_and_dark_cornered_pictures_are_not_turned() {
        let aspect = 16.0 / 9.0;
        assert_eq!(detect(&window(aspect, 0.0), full(aspect)), None);
        // A vignette: corners fading to black, no straight edge.
        let vignette: Vec<LumaImage> = (0..6)
            .map(|s| {
                let g = full(aspect);
                let px = (0..WORK_SIDE * WORK_SIDE)
                    .map(|i| {
                        let (x, y) = g.picture_point(i % WORK_SIDE, i / WORK_SIDE);
                        let fade = (1.6 - 2.2 * (x * x + y * y).sqrt()).clamp(0.0, 1.0);
                        (f32::from(scene(x, y, s)) * fade) as u8
                    })
                    .collect();
                LumaImage::new(WORK_SIDE, px)
            })
            .collect();
        assert_eq!(detect(&vignette, full(aspect)), None);
        // Too few frames to tell corners from scenery.
        assert_eq!(detect(&window(aspect, 5.0)[..2], full(aspect)), None);
    }

    #[test]
    fn turning_back_recovers_the_upright_centre() {
        let aspect = 16.0 / 9.0;
        let upright = turned(aspect, 0.0, 1);
        let tilted = turned(aspect, 6.0, 1);
        let straight = turned_back(full(aspect), 0.0, 0.75).resample(&upright);
        let back = turned_back(full(aspect), 6.0, 0.75).resample(&tilted);
        let naive = turned_back(full(aspect), 0.0, 0.75).resample(&tilted);
        let diff = |a: &[f32], b: &[f32]| {
            a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32
        };
        assert!(diff(&straight, &back) < 4.0, "{}", diff(&straight, &back));
        assert!(diff(&straight, &naive) > 3.0 * diff(&straight, &back));
    }

    #[test]
    fn an_untilted_sampler_matches_area_resampling() {
        let picture = turned(1.0, 0.0, 2);
        let g = full(1.0);
        let ours = turned_back(g, 0.0, 1.0).resample(&picture);
        let area = picture.resample(Rect::full(WORK_SIDE));
        let mean = ours
            .iter()
            .zip(&area)
            .map(|(a, b)| (a - b).abs())
            .sum::<f32>()
            / 4096.0;
        assert!(mean < 3.0, "{mean}");
    }

    #[test]
    fn arbitrary_pictures_and_areas_never_panic() {
        for (window, active, seed) in crate::luma::testing::arbitrary_windows(40) {
            let geometry = Geometry {
                active,
                aspect: [0.01f32, 0.5, 1.0, 1.78, 100.0][seed as usize % 5],
                height_px: [0.0f32, 1.0, 240.0, 4320.0][seed as usize % 4],
            };
            let _ = detect(&window, geometry);
            let _ = turned_back(geometry, 7.5, 0.75).resample(&window[0]);
            for deep in [-1e9f32, -3.0, 0.0, 0.2, f32::NAN, f32::INFINITY] {
                for v in [active.y0, active.y1 - 1] {
                    let run = geometry.deep_run(v, 3f32.to_radians().sin_cos(), deep);
                    assert!(run.is_empty() || (run.start >= active.x0 && run.end <= active.x1));
                }
            }
        }
    }
}
