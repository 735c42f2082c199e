//! Small luma pictures, free of FFmpeg: the square 8-bit grey working
//! image every sample is scaled to (by `scale`), display rotation, areas
//! of it ([`Rect`]), and area resampling of a crop to the hash's 64×64
//! input.

/// Side of the square working image. Large enough that a 16:9 picture in a
/// 9:16 frame still spans ~60 rows (the hash needs 16 frequencies), small
/// enough that scaling and border statistics cost little per sample.
pub const WORK_SIDE: usize = 192;

/// Side of the hash's input picture.
pub const HASH_SIDE: usize = 64;

/// A square 8-bit luma picture, rows top to bottom, no padding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LumaImage {
    side: usize,
    pixels: Vec<u8>,
}

impl LumaImage {
    /// A picture from `side * side` row-major pixels.
    pub fn new(side: usize, pixels: Vec<u8>) -> Self {
        assert_eq!(pixels.len(), side * side, "pixel count must be side²");
        LumaImage { side, pixels }
    }
    /// Width and height.
    pub fn side(&self) -> usize {
        self.side
    }
    /// Row-major pixels.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }
    /// Row `y`.
    pub fn row(&self, y: usize) -> &[u8] {
        &self.pixels[y * self.side..(y + 1) * self.side]
    }

    /// The picture turned clockwise by `deg` (0, 90, 180 or 270).
    pub fn rotated_cw(self, deg: u16) -> LumaImage {
        let s = self.side;
        let src = &self.pixels;
        let at: fn(usize, usize, usize) -> usize = match deg {
            90 => |s, x, y| (s - 1 - x) * s + y,
            180 => |s, x, y| (s - 1 - y) * s + (s - 1 - x),
            270 => |s, x, y| x * s + (s - 1 - y),
            _ => return self,
        };
        let mut out = vec![0u8; s * s];
        for y in 0..s {
            for x in 0..s {
                out[y * s + x] = src[at(s, x, y)];
            }
        }
        LumaImage {
            side: s,
            pixels: out,
        }
    }

    /// The part inside `rect` resampled to `HASH_SIDE`², as floats, each
    /// output pixel the area-weighted mean of the input pixels it covers.
    /// For many pictures with the same crop, build a [`Resampler`] once.
    pub fn resample(&self, rect: Rect) -> Vec<f32> {
        Resampler::new(rect, self.side).resample(self)
    }
}

/// Area resampling of one crop of `side`² pictures to `HASH_SIDE`², with
/// the filter taps computed once.
#[derive(Clone, Debug)]
pub struct Resampler {
    side: usize,
    rect: Rect,
    xs: Vec<Taps>,
    ys: Vec<Taps>,
}

/// Most input pixels one output pixel covers: a crop of at most
/// `WORK_SIDE` pixels over `HASH_SIDE` outputs spans 3, plus partial ends.
const MAX_TAPS: usize = WORK_SIDE.div_ceil(HASH_SIDE) + 1;

/// The input pixels `first..first + MAX_TAPS` and their weights (zero past
/// the last covered one), fixed-size so that the inner loops unroll.
#[derive(Clone, Copy, Debug)]
struct Taps {
    first: usize,
    weights: [f32; MAX_TAPS],
}

impl Taps {
    fn from_list(list: &[(usize, f32)], limit: usize) -> Taps {
        let first = list
            .first()
            .map_or(0, |t| t.0)
            .min(limit.saturating_sub(MAX_TAPS));
        let mut weights = [0f32; MAX_TAPS];
        for &(i, w) in list {
            weights[i - first] = w;
        }
        Taps { first, weights }
    }
}

impl Resampler {
    /// A resampler of `rect` (clamped to the picture) of `side`² pictures.
    pub fn new(rect: Rect, side: usize) -> Self {
        let rect = rect.clamped(side);
        let taps = |from: usize, to: usize| -> Vec<Taps> {
            area_weights(from, to, HASH_SIDE)
                .iter()
                .map(|list| Taps::from_list(list, side))
                .collect()
        };
        Resampler {
            side,
            rect,
            xs: taps(rect.x0, rect.x1),
            ys: taps(rect.y0, rect.y1),
        }
    }

    /// The crop of `picture` at `HASH_SIDE`², row-major.
    pub fn resample(&self, picture: &LumaImage) -> Vec<f32> {
        assert_eq!(
            picture.side, self.side,
            "picture size differs from the resampler's"
        );
        let rect = self.rect;
        // Horizontal pass over the rows the crop uses, then vertical. Rows
        // are read from the first tap's row, so rows just outside the crop
        // can be read with weight zero; they are inside the picture.
        let (row0, row1) = (
            self.ys.first().map_or(rect.y0, |t| t.first),
            self.ys
                .last()
                .map_or(rect.y1, |t| (t.first + MAX_TAPS).min(self.side)),
        );
        let mut rows = vec![0f32; (row1 - row0) * HASH_SIDE];
        for (ry, y) in (row0..row1).enumerate() {
            let src = picture.row(y);
            let dst = &mut rows[ry * HASH_SIDE..(ry + 1) * HASH_SIDE];
            for (d, taps) in dst.iter_mut().zip(&self.xs) {
                let px = &src[taps.first..taps.first + MAX_TAPS];
                *d = px
                    .iter()
                    .zip(&taps.weights)
                    .map(|(&p, &w)| w * f32::from(p))
                    .sum();
            }
        }
        let mut out = vec![0f32; HASH_SIDE * HASH_SIDE];
        for (oy, taps) in self.ys.iter().enumerate() {
            let dst = &mut out[oy * HASH_SIDE..(oy + 1) * HASH_SIDE];
            for (k, &w) in taps.weights.iter().enumerate() {
                let y = taps.first + k;
                if w == 0.0 || y >= row1 {
                    continue;
                }
                let src = &rows[(y - row0) * HASH_SIDE..(y - row0 + 1) * HASH_SIDE];
                for (d, s) in dst.iter_mut().zip(src) {
                    *d += w * s;
                }
            }
        }
        out
    }
}

/// Resamples any region given by a map from the output square to working
/// picture points (a turned or keystoned picture) to `HASH_SIDE`²: each
/// output pixel is the mean of 3×3 bilinear samples.
#[derive(Clone, Debug)]
pub struct MappedSampler {
    /// Per output pixel, the working-picture points averaged for it.
    taps: Vec<[(f32, f32); SUPERSAMPLE * SUPERSAMPLE]>,
}

/// Points per output pixel in each direction: a crop spans up to three
/// working pixels per output pixel, so three points keep the average
/// close to an area mean.
const SUPERSAMPLE: usize = 3;

impl MappedSampler {
    /// `map` takes a point of the output square, each coordinate in 0..1
    /// from the top left, to where it lies in the working picture (pixel
    /// coordinates, pixel centres at +0.5).
    pub fn new(map: impl Fn(f32, f32) -> (f32, f32)) -> Self {
        let n = (HASH_SIDE * SUPERSAMPLE) as f32;
        let mut taps = Vec::with_capacity(HASH_SIDE * HASH_SIDE);
        for oy in 0..HASH_SIDE {
            for ox in 0..HASH_SIDE {
                let mut points = [(0f32, 0f32); SUPERSAMPLE * SUPERSAMPLE];
                for (k, p) in points.iter_mut().enumerate() {
                    let sx = ox * SUPERSAMPLE + k % SUPERSAMPLE;
                    let sy = oy * SUPERSAMPLE + k / SUPERSAMPLE;
                    *p = map((sx as f32 + 0.5) / n, (sy as f32 + 0.5) / n);
                }
                taps.push(points);
            }
        }
        MappedSampler { taps }
    }

    /// The region of `picture`, row-major floats at `HASH_SIDE`².
    pub fn resample(&self, picture: &LumaImage) -> Vec<f32> {
        let weight = 1.0 / (SUPERSAMPLE * SUPERSAMPLE) as f32;
        self.taps
            .iter()
            .map(|points| {
                points
                    .iter()
                    .map(|&(u, v)| bilinear(picture, u, v))
                    .sum::<f32>()
                    * weight
            })
            .collect()
    }
}

/// The picture at a point in pixel coordinates (pixel centres at +0.5),
/// clamped to the picture.
fn bilinear(picture: &LumaImage, u: f32, v: f32) -> f32 {
    let side = picture.side();
    let max = (side - 1) as f32;
    let (x, y) = ((u - 0.5).clamp(0.0, max), (v - 0.5).clamp(0.0, max));
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(side - 1), (y0 + 1).min(side - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let at = |x: usize, y: usize| f32::from(picture.row(y)[x]);
    let top = at(x0, y0) * (1.0 - fx) + at(x1, y0) * fx;
    let bottom = at(x0, y1) * (1.0 - fx) + at(x1, y1) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// A rectangle of a square picture in pixels: `x0..x1` by `y0..y1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    /// First column.
    pub x0: usize,
    /// One past the last column.
    pub x1: usize,
    /// First row.
    pub y0: usize,
    /// One past the last row.
    pub y1: usize,
}

/// Per pixel of `area` (row-major), its darkest and brightest values over
/// `window`: what stays still, what stays dark. The pictures must hold
/// `area`.
pub fn window_extremes(window: &[LumaImage], area: Rect) -> (Vec<u8>, Vec<u8>) {
    let w = area.width();
    let mut low = vec![u8::MAX; w * area.height()];
    let mut peak = vec![0u8; w * area.height()];
    for picture in window {
        for (i, y) in (area.y0..area.y1).enumerate() {
            let src = &picture.row(y)[area.x0..area.x1];
            let row = i * w..(i + 1) * w;
            for ((l, p), &s) in low[row.clone()].iter_mut().zip(&mut peak[row]).zip(src) {
                *l = (*l).min(s);
                *p = (*p).max(s);
            }
        }
    }
    (low, peak)
}

impl Rect {
    /// The whole of a `side`² picture.
    pub fn full(side: usize) -> Rect {
        Rect {
            x0: 0,
            x1: side,
            y0: 0,
            y1: side,
        }
    }
    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.x1 - self.x0
    }
    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.y1 - self.y0
    }
    fn clamped(self, side: usize) -> Rect {
        let x1 = self.x1.clamp(1, side);
        let y1 = self.y1.clamp(1, side);
        Rect {
            x0: self.x0.min(x1 - 1),
            x1,
            y0: self.y0.min(y1 - 1),
            y1,
        }
    }
}

/// For each of `n` output pixels spanning input `from..to`, the input
/// pixels it covers and their weights (summing to 1).
fn area_weights(from: usize, to: usize, n: usize) -> Vec<Vec<(usize, f32)>> {
    let scale = (to - from) as f64 / n as f64;
    (0..n)
        .map(|o| {
            let a = from as f64 + o as f64 * scale;
            let b = a + scale;
            let mut taps = Vec::new();
            let mut i = a.floor() as usize;
            while (i as f64) < b && i < to {
                let cover = (b.min(i as f64 + 1.0) - a.max(i as f64)).max(0.0);
                if cover > 0.0 {
                    taps.push((i, (cover / scale) as f32));
                }
                i += 1;
            }
            taps
        })
        .collect()
}

/// Test inputs shared by the window analyses.
#[cfg(test)]
pub(crate) mod testing {
    use super::{LumaImage, Rect, WORK_SIDE};

    /// `count` arbitrary windows (1-11 frames of noise, or flat black) with
    /// an arbitrary area of the working picture, and a seed for each.
    pub(crate) fn arbitrary_windows(count: u64) -> Vec<(Vec<LumaImage>, Rect, u64)> {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let side = WORK_SIDE;
        (0..count)
            .map(|seed| {
                let frames = (next() % 12).max(1) as usize;
                let flat = next() % 3 == 0;
                let window = (0..frames)
                    .map(|_| {
                        let px = (0..side * side)
                            .map(|_| if flat { 16 } else { next() as u8 })
                            .collect();
                        LumaImage::new(side, px)
                    })
                    .collect();
                let mut at = || (next() % side as u64) as usize;
                let (a, b, c, d) = (at(), at(), at(), at());
                let area = Rect {
                    x0: a.min(b),
                    x1: a.max(b) + 1,
                    y0: c.min(d),
                    y1: c.max(d) + 1,
                };
                (window, area, seed)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(side: usize) -> LumaImage {
        LumaImage::new(side, (0..side * side).map(|i| (i % side) as u8).collect())
    }

    #[test]
    fn rotations_move_the_top_left_corner() {
        let mut img = LumaImage::new(3, vec![0; 9]);
        img.pixels[0] = 9;
        assert_eq!(img.clone().rotated_cw(90).pixels[2], 9);
        assert_eq!(img.clone().rotated_cw(180).pixels[8], 9);
        assert_eq!(img.clone().rotated_cw(270).pixels[6], 9);
        assert_eq!(img.clone().rotated_cw(0), img);
        let four = img
            .clone()
            .rotated_cw(90)
            .rotated_cw(90)
            .rotated_cw(90)
            .rotated_cw(90);
        assert_eq!(four, img);
    }

    #[test]
    fn area_weights_sum_to_one() {
        for (from, to) in [(0, 192), (10, 50), (3, 190), (0, 64), (5, 6)] {
            for taps in area_weights(from, to, HASH_SIDE) {
                let sum: f32 = taps.iter().map(|t| t.1).sum();
                assert!((sum - 1.0).abs() < 1e-4, "{from}..{to}: {sum}");
                assert!(taps.iter().all(|t| t.0 >= from && t.0 < to));
            }
        }
    }

    #[test]
    fn resampling_a_flat_picture_keeps_its_level() {
        let img = LumaImage::new(WORK_SIDE, vec![77; WORK_SIDE * WORK_SIDE]);
        let r = Rect {
            x0: 13,
            x1: 150,
            y0: 40,
            y1: 80,
        };
        assert!(img.resample(r).iter().all(|v| (v - 77.0).abs() < 1e-3));
    }

    #[test]
    fn resampling_a_crop_maps_its_edges() {
        let img = gradient(WORK_SIDE);
        let out = img.resample(Rect {
            x0: 64,
            x1: 128,
            y0: 0,
            y1: WORK_SIDE,
        });
        // One input column per output column: values 64..128.
        assert!((out[0] - 64.0).abs() < 1e-3);
        assert!((out[HASH_SIDE - 1] - 127.0).abs() < 1e-3);
    }
}
