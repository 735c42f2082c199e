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
///
/// The map, the bilinear weights and their clamping at the edges are the
/// same for every picture of a window, so they are worked out once: each
/// output pixel keeps the input pixels its samples touch, each with its
/// summed weight (about 16 of them, where 9 samples read 36), and a
/// picture costs one weighted sum per output pixel, as a straight crop
/// does.
#[derive(Clone, Debug)]
pub struct MappedSampler {
    /// Side of the pictures it resamples.
    side: usize,
    /// Per output pixel, one past its last tap in `taps`.
    ends: Vec<u32>,
    /// Input pixel (row-major index) and weight.
    taps: Vec<(u32, f32)>,
}

/// Points per output pixel in each direction: a crop spans up to three
/// working pixels per output pixel, so three points keep the average
/// close to an area mean.
const SUPERSAMPLE: usize = 3;

impl MappedSampler {
    /// A sampler of `side`² pictures. `map` takes a point of the output
    /// square, each coordinate in 0..1 from the top left, to where it lies
    /// in the working picture (pixel coordinates, pixel centres at +0.5);
    /// points outside it read its nearest edge.
    pub fn new(side: usize, map: impl Fn(f32, f32) -> (f32, f32)) -> Self {
        let n = (HASH_SIDE * SUPERSAMPLE) as f32;
        let weight = 1.0 / (SUPERSAMPLE * SUPERSAMPLE) as f32;
        let mut ends = Vec::with_capacity(HASH_SIDE * HASH_SIDE);
        let mut taps: Vec<(u32, f32)> = Vec::with_capacity(HASH_SIDE * HASH_SIDE * 16);
        let mut pixel: Vec<(u32, f32)> = Vec::with_capacity(4 * SUPERSAMPLE * SUPERSAMPLE);
        for oy in 0..HASH_SIDE {
            for ox in 0..HASH_SIDE {
                pixel.clear();
                for k in 0..SUPERSAMPLE * SUPERSAMPLE {
                    let sx = ox * SUPERSAMPLE + k % SUPERSAMPLE;
                    let sy = oy * SUPERSAMPLE + k / SUPERSAMPLE;
                    let (u, v) = map((sx as f32 + 0.5) / n, (sy as f32 + 0.5) / n);
                    pixel.extend(bilinear_taps(side, u, v, weight));
                }
                pixel.sort_unstable_by_key(|t| t.0);
                let first = taps.len();
                for &(i, w) in &pixel {
                    match taps[first..].last_mut() {
                        Some(last) if last.0 == i => last.1 += w,
                        _ => taps.push((i, w)),
                    }
                }
                ends.push(taps.len() as u32);
            }
        }
        MappedSampler { side, ends, taps }
    }

    /// The region of `picture`, row-major floats at `HASH_SIDE`².
    pub fn resample(&self, picture: &LumaImage) -> Vec<f32> {
        assert_eq!(
            picture.side, self.side,
            "picture size differs from the sampler's"
        );
        let pixels = picture.pixels();
        let mut start = 0;
        self.ends
            .iter()
            .map(|&end| {
                let taps = &self.taps[start..end as usize];
                start = end as usize;
                taps.iter()
                    .map(|&(i, w)| w * f32::from(pixels[i as usize]))
                    .sum()
            })
            .collect()
    }
}

/// The four pixels (row-major index) a bilinear sample of a `side`²
/// picture at (`u`, `v`) reads, and their weights scaled by `weight`
/// (pixel centres at +0.5; clamped to the picture, and a point that is
/// not a number reads the top left pixel).
fn bilinear_taps(side: usize, u: f32, v: f32, weight: f32) -> [(u32, f32); 4] {
    let max = side.saturating_sub(1) as f32;
    let at = |c: f32| {
        if c.is_nan() {
            0.0
        } else {
            (c - 0.5).clamp(0.0, max)
        }
    };
    let (x, y) = (at(u), at(v));
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(side - 1), (y0 + 1).min(side - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let index = |x: usize, y: usize| (y * side + x) as u32;
    [
        (index(x0, y0), (1.0 - fx) * (1.0 - fy) * weight),
        (index(x1, y0), fx * (1.0 - fy) * weight),
        (index(x0, y1), (1.0 - fx) * fy * weight),
        (index(x1, y1), fx * fy * weight),
    ]
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

    #[test]
    fn a_mapped_sampler_reads_as_its_bilinear_samples_do() {
        // A picture of noise turned by 7° and shrunk, compared with the
        // mean of 3×3 bilinear samples read point by point.
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let pixels = (0..WORK_SIDE * WORK_SIDE)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let img = LumaImage::new(WORK_SIDE, pixels);
        let (sin, cos) = 7f32.to_radians().sin_cos();
        let map = |s: f32, t: f32| {
            let (x, y) = ((s - 0.5) * 150.0, (t - 0.5) * 150.0);
            (96.0 + x * cos - y * sin, 96.0 + x * sin + y * cos + 40.0)
        };
        let out = MappedSampler::new(WORK_SIDE, map).resample(&img);
        let read = |u: f32, v: f32| {
            let max = (WORK_SIDE - 1) as f32;
            let (x, y) = ((u - 0.5).clamp(0.0, max), (v - 0.5).clamp(0.0, max));
            let (x0, y0) = (x.floor() as usize, y.floor() as usize);
            let (x1, y1) = ((x0 + 1).min(WORK_SIDE - 1), (y0 + 1).min(WORK_SIDE - 1));
            let (fx, fy) = (x - x0 as f32, y - y0 as f32);
            let at = |x: usize, y: usize| f32::from(img.row(y)[x]);
            let top = at(x0, y0) * (1.0 - fx) + at(x1, y0) * fx;
            let bottom = at(x0, y1) * (1.0 - fx) + at(x1, y1) * fx;
            top * (1.0 - fy) + bottom * fy
        };
        let n = (HASH_SIDE * 3) as f32;
        for oy in 0..HASH_SIDE {
            for ox in 0..HASH_SIDE {
                let mut sum = 0.0;
                for k in 0..9 {
                    let (sx, sy) = (ox * 3 + k % 3, oy * 3 + k / 3);
                    let (u, v) = map((sx as f32 + 0.5) / n, (sy as f32 + 0.5) / n);
                    sum += read(u, v);
                }
                let want = sum / 9.0;
                let got = out[oy * HASH_SIDE + ox];
                assert!(
                    (got - want).abs() < 1e-2,
                    "({ox}, {oy}): {got} against {want}"
                );
            }
        }
        // Points off the picture read its nearest edge.
        let flat = LumaImage::new(WORK_SIDE, vec![50; WORK_SIDE * WORK_SIDE]);
        let out = MappedSampler::new(WORK_SIDE, |_, _| (f32::NAN, 500.0)).resample(&flat);
        assert!(out.iter().all(|v| (v - 50.0).abs() < 1e-3));
    }
}
