//! Local features ([`vfp_fingerprint::local`]) of a sample: FAST-9 corners
//! of its upright grey picture ([`fast`]), the strongest kept a few pixels
//! apart, each described by the format's fixed BRIEF tests on 7×7 box
//! means. A title's samples are described at one scale; a clip's also at
//! smaller ones ([`CLIP_SCALES_PCT`]), since a zoomed copy shows the
//! title's content larger and must be shrunk back to meet it.

use crate::fast;
use fast_image_resize as fir;
use image::{imageops, GrayImage};
use vfp_fingerprint::local::{
    FeatureFrame, Keypoint, BOX_RADIUS, DESCRIPTOR_BITS, EDGE_MARGIN, TEST_PAIRS,
};

/// The FAST threshold, grey levels: the contrast a corner's arc must
/// have. Lower finds corners in noise and compression blocks.
const FAST_THRESHOLD: u8 = 20;
/// Keypoints closer than this in both directions are one corner: keeping
/// both would spend the budget on one busy spot.
const MIN_SPACING_PX: u32 = 5;

/// Scales a clip is described at, percent of the title's scale: a copy
/// zoomed in by up to ×2 (a crop keeping 50 % of each side) is shrunk back
/// to within ±8 % of the title's scale, which BRIEF tolerates (measured on
/// the social suite: six scales 12 % apart found no more than these five
/// 15 % apart; four 20 % apart lost a third of the zooms).
pub const CLIP_SCALES_PCT: [u8; 5] = [100, 85, 72, 61, 52];

/// Closest a clip's keypoint may lie to the edge of its picture, pixels
/// (a title's: [`EDGE_MARGIN`], its patch wholly inside). A 9:16 crop of
/// a wide title is a picture 101 pixels wide at the features' height: the
/// full margin would leave it a strip of 63. Tests reaching beyond the
/// edge read the picture mirrored about it (9 pixels in, a third of them
/// do at worst, σ 6.6 px), so such a keypoint's description is noisier;
/// the ratio test and the geometric vote decide whether it still counts.
/// Measured on the social suite by brute force: 43 copies
/// found instead of 40, 9:16 crops with up to three times the agreeing
/// title pictures, and no more unrelated pairs with many inliers (at 19:
/// 2 pairs of 7.4 M with 8, at 9: 1). Titles keep the full margin (9
/// found one copy fewer): their content does not end where a crop does.
pub const CLIP_EDGE_MARGIN: u32 = 9;

/// Which samples get local features, and how many.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FeatureOptions {
    /// Samples described per second of video (at most; 0: none).
    pub per_second: f32,
    /// Keypoints kept per picture.
    pub keypoints: usize,
    /// Scales described, percent (100 first).
    pub scales_pct: &'static [u8],
    /// Closest a keypoint may lie to the picture's edge, pixels (at most
    /// [`EDGE_MARGIN`]; closer, its patch is completed by mirroring).
    pub edge_margin_px: u32,
}

impl FeatureOptions {
    /// No local features.
    pub fn none() -> Self {
        FeatureOptions {
            per_second: 0.0,
            keypoints: 0,
            scales_pct: &[],
            edge_margin_px: EDGE_MARGIN,
        }
    }
    /// What a catalog stores of a title: one picture a second, 40
    /// keypoints, at the title's scale (~1.5 KB a second of title).
    pub fn title() -> Self {
        FeatureOptions {
            per_second: 1.0,
            keypoints: 40,
            scales_pct: &[100],
            edge_margin_px: EDGE_MARGIN,
        }
    }
    /// What a scan looks for in a clip: four pictures a second (one lies
    /// within 125 ms of each title picture: fast-changing pictures differ
    /// a quarter second on), more keypoints, every scale of
    /// [`CLIP_SCALES_PCT`].
    pub fn clip() -> Self {
        FeatureOptions {
            per_second: 4.0,
            keypoints: 64,
            scales_pct: &CLIP_SCALES_PCT,
            edge_margin_px: CLIP_EDGE_MARGIN,
        }
    }
    /// Whether any feature is wanted.
    pub fn enabled(&self) -> bool {
        self.per_second > 0.0 && self.keypoints > 0 && !self.scales_pct.is_empty()
    }
}

impl Default for FeatureOptions {
    fn default() -> Self {
        FeatureOptions::none()
    }
}

/// The feature frames of one picture, at every scale of `opts`.
pub fn describe(t_ms: u32, picture: &GrayImage, opts: &FeatureOptions) -> Vec<FeatureFrame> {
    let mut out = Vec::with_capacity(opts.scales_pct.len());
    let mut resizer = fir::Resizer::new();
    for &scale_pct in opts.scales_pct {
        let scaled;
        let at_scale = if scale_pct >= 100 {
            picture
        } else {
            let (w, h) = picture.dimensions();
            let shrink = |n: u32| ((n * u32::from(scale_pct)) as f32 / 100.0).round() as u32;
            scaled = shrunk(&mut resizer, picture, shrink(w).max(1), shrink(h).max(1));
            &scaled
        };
        let (w, h) = at_scale.dimensions();
        out.push(FeatureFrame {
            t_ms,
            scale_pct: scale_pct.min(100),
            width: w.min(u32::from(u16::MAX)) as u16,
            height: h.min(u32::from(u16::MAX)) as u16,
            keypoints: keypoints_within(at_scale, opts.keypoints, opts.edge_margin_px),
        });
    }
    out
}

/// `picture` shrunk to `width`×`height` with a triangle filter as wide as
/// the reduction (the `image` crate's `Triangle`, in SIMD fixed point:
/// a fifth of its time, within one grey level of it).
fn shrunk(resizer: &mut fir::Resizer, picture: &GrayImage, width: u32, height: u32) -> GrayImage {
    let (w, h) = picture.dimensions();
    let options = fir::ResizeOptions::new()
        .resize_alg(fir::ResizeAlg::Convolution(fir::FilterType::Bilinear));
    let mut out = fir::images::Image::new(width, height, fir::PixelType::U8);
    let resized = fir::images::ImageRef::new(w, h, picture.as_raw(), fir::PixelType::U8)
        .map_err(|e| e.to_string())
        .and_then(|src| {
            resizer
                .resize(&src, &mut out, &options)
                .map_err(|e| e.to_string())
        });
    match resized
        .ok()
        .and_then(|()| GrayImage::from_raw(width, height, out.into_vec()))
    {
        Some(image) => image,
        // Only a picture whose buffer is not its size could fail, and a
        // `GrayImage` always is: the slower path is never taken.
        None => imageops::resize(picture, width, height, imageops::FilterType::Triangle),
    }
}

/// The strongest `max` corners of `picture` at least `MIN_SPACING_PX`
/// apart and far enough from the edges for their patch, described.
pub fn keypoints(picture: &GrayImage, max: usize) -> Vec<Keypoint> {
    keypoints_within(picture, max, EDGE_MARGIN)
}

/// As [`keypoints`], down to `margin` pixels from the edges (clamped to
/// 4..=[`EDGE_MARGIN`]; FAST's circle needs 3), the patches of those
/// closer than [`EDGE_MARGIN`] completed by mirroring the picture.
pub fn keypoints_within(picture: &GrayImage, max: usize, margin: u32) -> Vec<Keypoint> {
    let margin = margin.clamp(4, EDGE_MARGIN);
    let (w, h) = picture.dimensions();
    if max == 0 || w <= 2 * margin || h <= 2 * margin {
        return Vec::new();
    }
    let mut corners = fast::corners_fast9(picture.as_raw(), w, h, FAST_THRESHOLD);
    corners.retain(|c| c.x >= margin && c.y >= margin && c.x < w - margin && c.y < h - margin);
    // Strongest first; equal scores (FAST's are whole grey levels) top to
    // bottom, then nearest the centre column first: an order that does not
    // depend on the detector's and that a mirror image keeps, so a
    // mirrored picture keeps the mirrored corners.
    let off_centre = |x: u32| (2 * x).abs_diff(w - 1);
    corners.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.y.cmp(&b.y))
            .then(off_centre(a.x).cmp(&off_centre(b.x)))
    });
    let mut kept: Vec<(u32, u32)> = Vec::with_capacity(max);
    for c in corners {
        let apart = |&(x, y): &(u32, u32)| {
            x.abs_diff(c.x) >= MIN_SPACING_PX || y.abs_diff(c.y) >= MIN_SPACING_PX
        };
        if kept.iter().all(apart) {
            kept.push((c.x, c.y));
            if kept.len() == max {
                break;
            }
        }
    }
    let pad = EDGE_MARGIN - margin;
    let padded;
    let described = if pad == 0 {
        picture
    } else {
        padded = reflect_pad(picture, pad);
        &padded
    };
    let sums = BoxSums::new(described);
    kept.into_iter()
        .map(|(x, y)| Keypoint {
            x: x as u16,
            y: y as u16,
            bits: sums.descriptor(x + pad, y + pad),
        })
        .collect()
}

/// `picture` with `pad` pixels added on every side, mirrored about its
/// edges.
fn reflect_pad(picture: &GrayImage, pad: u32) -> GrayImage {
    let (w, h) = picture.dimensions();
    // Index `i` of a padded row or column of `n` pixels in the picture:
    // mirrored about the edge (-1 → 0, n → n - 1).
    let reflect = |i: i64, n: u32| -> usize {
        let n = i64::from(n);
        let mut i = i;
        if i < 0 {
            i = -i - 1;
        }
        if i >= n {
            i = 2 * n - i - 1;
        }
        i.clamp(0, n - 1) as usize
    };
    let (pw, ph) = (w + 2 * pad, h + 2 * pad);
    let columns: Vec<usize> = (0..pw)
        .map(|x| reflect(i64::from(x) - i64::from(pad), w))
        .collect();
    let raw = picture.as_raw();
    let mut out = Vec::with_capacity(pw as usize * ph as usize);
    for y in 0..ph {
        let row = reflect(i64::from(y) - i64::from(pad), h) * w as usize;
        let row = &raw[row..row + w as usize];
        out.extend(columns.iter().map(|&x| row[x]));
    }
    GrayImage::from_raw(pw, ph, out).unwrap_or_else(|| GrayImage::new(pw, ph))
}

/// Summed-area table of a picture, for 7×7 box sums in four reads.
struct BoxSums {
    stride: usize,
    sums: Vec<u32>,
}

impl BoxSums {
    fn new(picture: &GrayImage) -> Self {
        let (w, h) = (picture.width() as usize, picture.height() as usize);
        let stride = w + 1;
        let mut sums = vec![0u32; stride * (h + 1)];
        for (y, pixels) in picture.as_raw().chunks_exact(w.max(1)).take(h).enumerate() {
            let mut row = 0u32;
            for (x, &p) in pixels.iter().enumerate() {
                row += u32::from(p);
                sums[(y + 1) * stride + x + 1] = sums[y * stride + x + 1] + row;
            }
        }
        BoxSums { stride, sums }
    }

    /// Sum of the 7×7 box centred on (x, y); the caller keeps it inside.
    fn box_sum(&self, x: i32, y: i32) -> u32 {
        let (x0, y0) = ((x - BOX_RADIUS) as usize, (y - BOX_RADIUS) as usize);
        let (x1, y1) = ((x + BOX_RADIUS + 1) as usize, (y + BOX_RADIUS + 1) as usize);
        let s = |x: usize, y: usize| self.sums[y * self.stride + x];
        s(x1, y1) + s(x0, y0) - s(x0, y1) - s(x1, y0)
    }

    fn descriptor(&self, x: u32, y: u32) -> [u64; 4] {
        let (cx, cy) = (x as i32, y as i32);
        let mut bits = [0u64; 4];
        for (i, [p, q]) in TEST_PAIRS.iter().enumerate().take(DESCRIPTOR_BITS) {
            let a = self.box_sum(cx + i32::from(p.0), cy + i32::from(p.1));
            let b = self.box_sum(cx + i32::from(q.0), cy + i32::from(q.1));
            if a < b {
                bits[i / 64] |= 1 << (i % 64);
            }
        }
        bits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A picture with blobs and edges at pseudo-random places: plenty of
    /// corners, none repeating.
    fn textured(w: u32, h: u32, seed: u32) -> GrayImage {
        let mut state = seed.wrapping_mul(2_654_435_761).max(1);
        let mut rnd = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        let mut img = GrayImage::from_pixel(w, h, image::Luma([60]));
        for _ in 0..(w * h / 150) {
            let (x0, y0) = (rnd() % w, rnd() % h);
            let (bw, bh) = (3 + rnd() % 12, 3 + rnd() % 12);
            let v = (rnd() % 256) as u8;
            for y in y0..(y0 + bh).min(h) {
                for x in x0..(x0 + bw).min(w) {
                    img.put_pixel(x, y, image::Luma([v]));
                }
            }
        }
        img
    }

    fn crop(img: &GrayImage, x: u32, y: u32, w: u32, h: u32) -> GrayImage {
        imageops::crop_imm(img, x, y, w, h).to_image()
    }

    /// Pairs of keypoints of `a` and `b` whose descriptors agree within 20
    /// bits and whose positions differ by (dx, dy).
    fn found_again(a: &[Keypoint], b: &[Keypoint], dx: i32, dy: i32) -> usize {
        a.iter()
            .filter(|p| {
                b.iter().any(|q| {
                    i32::from(q.x) - i32::from(p.x) == dx
                        && i32::from(q.y) - i32::from(p.y) == dy
                        && p.distance(q) <= 20
                })
            })
            .count()
    }

    #[test]
    fn keypoints_are_found_again_in_a_crop_of_the_picture() {
        let title = textured(320, 180, 7);
        let window = crop(&title, 101, 0, 101, 180);
        let kt = keypoints(&title, 400);
        let kw = keypoints(&window, 64);
        assert!(kw.len() >= 32, "{}", kw.len());
        // Corners of the window that lie away from its cut edges are the
        // title's corners, shifted by the crop, with the same descriptors.
        let again = found_again(&kw, &kt, 101, 0);
        assert!(again * 10 >= kw.len() * 7, "{again} of {}", kw.len());
    }

    #[test]
    fn a_narrow_crop_keeps_keypoints_near_its_cut_edges() {
        let title = textured(320, 180, 7);
        let (x0, w) = (101, 101);
        let window = crop(&title, x0, 0, w, 180);
        let inner = keypoints(&window, 64);
        let near = keypoints_within(&window, 64, CLIP_EDGE_MARGIN);
        assert!(near.iter().all(|k| {
            let (x, y) = (u32::from(k.x), u32::from(k.y));
            x >= CLIP_EDGE_MARGIN && y >= CLIP_EDGE_MARGIN && x < w - CLIP_EDGE_MARGIN
        }));
        let by_edge = |k: &&Keypoint| {
            let (x, y) = (u32::from(k.x), u32::from(k.y));
            !(EDGE_MARGIN..w - EDGE_MARGIN).contains(&x)
                || !(EDGE_MARGIN..180 - EDGE_MARGIN).contains(&y)
        };
        let edge: Vec<&Keypoint> = near.iter().filter(by_edge).collect();
        assert!(edge.len() >= 8, "{} keypoints by the edges", edge.len());
        // Away from the edges the description is the one a whole patch
        // gives; by them, mirrored pixels leave it close to the title's
        // own description of the same spot (a match is within 64 bits).
        for k in near.iter().filter(|k| !by_edge(k)) {
            if let Some(same) = inner.iter().find(|i| (i.x, i.y) == (k.x, k.y)) {
                assert_eq!(same.bits, k.bits);
            }
        }
        let in_title = BoxSums::new(&title);
        // The crop cut the title's sides only: compare keypoints by them.
        let by_cut: Vec<&&Keypoint> = edge
            .iter()
            .filter(|k| (EDGE_MARGIN..180 - EDGE_MARGIN).contains(&u32::from(k.y)))
            .collect();
        assert!(by_cut.len() >= 4, "{} keypoints by the cuts", by_cut.len());
        let close = by_cut
            .iter()
            .filter(|k| {
                let at = Keypoint {
                    x: k.x + x0 as u16,
                    y: k.y,
                    bits: in_title.descriptor(u32::from(k.x) + x0, u32::from(k.y)),
                };
                k.distance(&at) <= 64
            })
            .count();
        assert!(
            close * 10 >= by_cut.len() * 7,
            "{close} of {}",
            by_cut.len()
        );
    }

    #[test]
    fn a_mirrored_picture_has_the_mirrored_keypoints() {
        let img = textured(200, 120, 3);
        let flipped = imageops::flip_horizontal(&img);
        let k = keypoints(&img, 500);
        let kf = keypoints(&flipped, 500);
        let as_mirrored: Vec<Keypoint> = k.iter().map(|p| p.mirrored(200)).collect();
        let exact = as_mirrored.iter().filter(|p| kf.contains(p)).count();
        assert!(exact * 10 >= k.len() * 9, "{exact} of {}", k.len());
    }

    #[test]
    fn unrelated_pictures_share_no_descriptor() {
        let a = keypoints(&textured(320, 180, 11), 64);
        let b = keypoints(&textured(320, 180, 12), 64);
        let close = a
            .iter()
            .filter(|p| b.iter().any(|q| p.distance(q) <= 20))
            .count();
        assert!(close <= 2, "{close}");
    }

    #[test]
    fn a_shrunk_copy_meets_the_title_at_the_matching_scale() {
        // A zoom keeping 64 % of each side, scaled back up to full size.
        let title = textured(320, 180, 5);
        let zoomed = imageops::resize(
            &crop(&title, 58, 32, 205, 115),
            320,
            180,
            imageops::FilterType::Triangle,
        );
        let kt = keypoints(&title, 400);
        let frames = describe(0, &zoomed, &FeatureOptions::clip());
        assert_eq!(frames.len(), CLIP_SCALES_PCT.len());
        let matches_at = |f: &FeatureFrame| {
            let s = f64::from(f.scale_pct) / 100.0 / 0.64;
            f.keypoints
                .iter()
                .filter(|p| {
                    kt.iter().any(|q| {
                        let (x, y) = (f64::from(p.x) / s + 58.0, f64::from(p.y) / s + 32.0);
                        (f64::from(q.x) - x).abs() <= 2.0
                            && (f64::from(q.y) - y).abs() <= 2.0
                            && p.distance(q) <= 40
                    })
                })
                .count()
        };
        let at_64 = frames.iter().find(|f| f.scale_pct == 61).map(matches_at);
        let at_100 = frames.iter().find(|f| f.scale_pct == 100).map(matches_at);
        let (at_64, at_100) = (at_64.unwrap_or(0), at_100.unwrap_or(0));
        assert!(at_64 >= 8 && at_64 > 3 * at_100, "{at_64} vs {at_100}");
    }

    #[test]
    fn the_pyramid_is_the_image_crates_triangle_filter_within_a_grey_level() {
        let picture = textured(320, 180, 9);
        let mut resizer = fir::Resizer::new();
        for &pct in &CLIP_SCALES_PCT[1..] {
            let (w, h) = (320 * u32::from(pct) / 100, 180 * u32::from(pct) / 100);
            let ours = shrunk(&mut resizer, &picture, w, h);
            let theirs = imageops::resize(&picture, w, h, imageops::FilterType::Triangle);
            let off = ours
                .as_raw()
                .iter()
                .zip(theirs.as_raw())
                .filter(|(a, b)| a.abs_diff(**b) > 1)
                .count();
            // Fixed point against floating point: a rare pixel two off.
            assert!(off * 1000 <= ours.as_raw().len(), "{pct} %: {off} pixels");
        }
    }

    #[test]
    fn padding_mirrors_the_picture_about_its_edges() {
        let picture = textured(23, 17, 4);
        let padded = reflect_pad(&picture, 5);
        assert_eq!(padded.dimensions(), (33, 27));
        let mirror = |i: i64, n: i64| {
            if i < 0 {
                -i - 1
            } else if i >= n {
                2 * n - i - 1
            } else {
                i
            }
        };
        for (x, y, p) in padded.enumerate_pixels() {
            let (sx, sy) = (mirror(i64::from(x) - 5, 23), mirror(i64::from(y) - 5, 17));
            assert_eq!(p, picture.get_pixel(sx as u32, sy as u32), "({x}, {y})");
        }
    }

    #[test]
    fn small_or_flat_pictures_have_no_keypoints() {
        assert!(keypoints(&GrayImage::new(30, 30), 10).is_empty());
        assert!(keypoints(&GrayImage::from_pixel(200, 100, image::Luma([90])), 10).is_empty());
        assert!(keypoints(&textured(200, 100, 1), 0).is_empty());
    }
}
