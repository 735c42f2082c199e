//! The 256-bit DCT perceptual hash (`dct256-v1`), its mirrored variant and
//! the frame quality score, computed on a 64×64 luma picture.
//!
//! The picture's 2-D DCT is taken at frequencies 1..=16 in each direction
//! (the DC term carries only brightness), and bit `16 * row + column` says
//! whether that coefficient is above the median of the 256. This is the
//! construction of pHash and PDQ; it ignores brightness and contrast
//! changes, and small local edits (text, logos) move few bits.
//!
//! Mirroring a picture left-right multiplies the coefficient of horizontal
//! frequency `v` by `(-1)^v`, so the mirrored hash costs a sign flip and a
//! second median instead of a second DCT.

use crate::luma::HASH_SIDE;
use std::sync::OnceLock;
use vfp_fingerprint::{ExtractParams, FrameFlags, FrameHash, HashedFrame};

/// Frequencies kept per direction.
const FREQS: usize = 16;

/// Hash, mirrored hash and quality of one picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PictureHash {
    /// Hash of the picture.
    pub hash: FrameHash,
    /// Hash of the picture mirrored left-right.
    pub mirrored: FrameHash,
    /// Picture information, 0-100: the share of the picture that carries
    /// texture: the percentage of 8×8 cells with visible detail.
    pub quality: u8,
}

/// `DCT[k][x] = cos(pi * (k + 1) * (2x + 1) / (2 * 64))`, for k in 0..16.
/// The usual normalization is left out: only signs against the median count.
fn dct_matrix() -> &'static [[f32; HASH_SIDE]; FREQS] {
    static MATRIX: OnceLock<[[f32; HASH_SIDE]; FREQS]> = OnceLock::new();
    MATRIX.get_or_init(|| {
        let mut m = [[0f32; HASH_SIDE]; FREQS];
        for (k, row) in m.iter_mut().enumerate() {
            for (x, v) in row.iter_mut().enumerate() {
                let angle = std::f64::consts::PI * (k + 1) as f64 * (2 * x + 1) as f64
                    / (2 * HASH_SIDE) as f64;
                *v = angle.cos() as f32;
            }
        }
        m
    })
}

/// Hashes a `HASH_SIDE`² picture given row-major as floats (0-255 scale).
pub fn hash_picture(pixels: &[f32]) -> PictureHash {
    assert_eq!(
        pixels.len(),
        HASH_SIDE * HASH_SIDE,
        "hash input must be 64×64"
    );
    let d = dct_matrix();
    // rows[k][x] = sum_y D[k][y] * P[y][x]: vertical frequencies first.
    let mut rows = [[0f32; HASH_SIDE]; FREQS];
    for (k, out) in rows.iter_mut().enumerate() {
        for (y, p_row) in pixels.chunks_exact(HASH_SIDE).enumerate() {
            let w = d[k][y];
            for (o, p) in out.iter_mut().zip(p_row) {
                *o += w * p;
            }
        }
    }
    // coeffs[k][v] = sum_x rows[k][x] * D[v][x].
    let mut coeffs = [0f32; FREQS * FREQS];
    for k in 0..FREQS {
        for v in 0..FREQS {
            coeffs[k * FREQS + v] = rows[k].iter().zip(&d[v]).map(|(a, b)| a * b).sum();
        }
    }
    let hash = threshold_at_median(&coeffs);
    // Horizontal frequency v + 1 is odd for even v: those change sign.
    for (i, c) in coeffs.iter_mut().enumerate() {
        if (i % FREQS).is_multiple_of(2) {
            *c = -*c;
        }
    }
    let mirrored = threshold_at_median(&coeffs);
    PictureHash {
        hash,
        mirrored,
        quality: quality(pixels),
    }
}

/// One bit per coefficient: set when above the median of all of them, so
/// half the bits are set and the hash does not depend on contrast.
fn threshold_at_median(coeffs: &[f32; FREQS * FREQS]) -> FrameHash {
    // The two middle values by selection, not a full sort.
    let mut values = *coeffs;
    let mid = values.len() / 2;
    let (below, upper, _) = values.select_nth_unstable_by(mid, f32::total_cmp);
    let lower = below.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let median = (lower + *upper) / 2.0;
    let mut hash = FrameHash::default();
    for (i, &c) in coeffs.iter().enumerate() {
        if c > median {
            hash.set_bit(i);
        }
    }
    hash
}

/// Side of the cells that [`quality`] counts, in hash-input pixels.
const CELL: usize = 8;
/// A cell whose mean absolute neighbour difference (0-255 scale) reaches
/// this is textured: well above coding noise on flat areas (below 1), well
/// below real detail (10-30).
const CELL_TEXTURE: f32 = 3.0;

/// The share of the picture that carries texture, 0-100: the percentage of
/// 8×8 cells of the 64×64 picture whose mean absolute neighbour difference
/// reaches [`CELL_TEXTURE`]. Black and flat frames score 0; a fade scores
/// less as it darkens (differences shrink with contrast); a title card
/// scores only the few cells its letters cover. PDQ's quality (total
/// gradient) saturates on almost any real frame and rates a title card
/// like a scene, so it cannot tell these apart.
fn quality(pixels: &[f32]) -> u8 {
    let cells_per_side = HASH_SIDE / CELL;
    let mut cell_sum = vec![0f32; cells_per_side * cells_per_side];
    for y in 0..HASH_SIDE {
        let row = &pixels[y * HASH_SIDE..(y + 1) * HASH_SIDE];
        let next = (y + 1 < HASH_SIDE).then(|| &pixels[(y + 1) * HASH_SIDE..(y + 2) * HASH_SIDE]);
        for x in 0..HASH_SIDE {
            let mut d = 0.0;
            if x + 1 < HASH_SIDE {
                d += (row[x + 1] - row[x]).abs();
            }
            if let Some(next) = next {
                d += (next[x] - row[x]).abs();
            }
            cell_sum[(y / CELL) * cells_per_side + x / CELL] += d;
        }
    }
    let textured = cell_sum
        .iter()
        .filter(|&&sum| sum / (CELL * CELL) as f32 >= CELL_TEXTURE)
        .count();
    (textured * 100 / cell_sum.len()) as u8
}

/// Hashes one sample's 64×64 active picture (see [`Resampler`](crate::Resampler)) into a
/// stored frame, flagging low information.
pub fn hash_sample(
    t_ms: u32,
    hash_input: &[f32],
    params: &ExtractParams,
    keyframe: bool,
) -> HashedFrame {
    let h = hash_picture(hash_input);
    let mut flags = FrameFlags::empty();
    if h.quality < params.hash.low_information_quality {
        flags = flags.with(FrameFlags::LOW_INFORMATION);
    }
    if keyframe {
        flags = flags.with(FrameFlags::KEYFRAME);
    }
    HashedFrame {
        t_ms,
        hash: h.hash,
        mirrored: h.mirrored,
        quality: h.quality,
        flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic textured test picture.
    fn picture(seed: u32) -> Vec<f32> {
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        let mut noise = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state % 64) as f32
        };
        (0..HASH_SIDE * HASH_SIDE)
            .map(|i| {
                let (x, y) = ((i % HASH_SIDE) as f32, (i / HASH_SIDE) as f32);
                let s = seed as f32;
                96.0 + 60.0 * ((x * (0.1 + 0.03 * s)).sin() * (y * 0.07 * (1.0 + s)).cos())
                    + noise()
            })
            .collect()
    }

    fn mirror(p: &[f32]) -> Vec<f32> {
        p.chunks_exact(HASH_SIDE)
            .flat_map(|row| row.iter().rev().copied())
            .collect()
    }

    #[test]
    fn half_the_bits_are_set() {
        let h = hash_picture(&picture(1));
        let ones: u32 = h.hash.0.iter().map(|w| w.count_ones()).sum();
        assert_eq!(ones, 128);
    }

    #[test]
    fn mirrored_hash_equals_hash_of_mirrored_picture() {
        for seed in 0..5 {
            let p = picture(seed);
            let direct = hash_picture(&p);
            let of_mirror = hash_picture(&mirror(&p));
            // Float rounding can flip a coefficient sitting on the median.
            assert!(direct.mirrored.hamming(&of_mirror.hash) <= 2);
            assert!(of_mirror.mirrored.hamming(&direct.hash) <= 2);
            assert!(
                direct.hash.hamming(&of_mirror.hash) > 40,
                "a picture is not its own mirror"
            );
        }
    }

    #[test]
    fn brightness_and_contrast_do_not_move_the_hash() {
        let p = picture(3);
        let changed: Vec<f32> = p.iter().map(|v| v * 0.7 + 30.0).collect();
        assert!(hash_picture(&p).hash.hamming(&hash_picture(&changed).hash) <= 2);
    }

    #[test]
    fn different_pictures_are_far_apart() {
        let a = hash_picture(&picture(1)).hash;
        let b = hash_picture(&picture(7)).hash;
        assert!(a.hamming(&b) > 80, "{}", a.hamming(&b));
    }

    #[test]
    fn flat_pictures_have_zero_quality_and_texture_has_more() {
        let flat = vec![40f32; HASH_SIDE * HASH_SIDE];
        assert_eq!(hash_picture(&flat).quality, 0);
        assert_eq!(hash_picture(&picture(2)).quality, 100);
    }

    #[test]
    fn quality_counts_the_textured_share() {
        // Texture in the left quarter only.
        let p: Vec<f32> = picture(4)
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                if i % HASH_SIDE < HASH_SIDE / 4 {
                    v
                } else {
                    30.0
                }
            })
            .collect();
        assert_eq!(hash_picture(&p).quality, 25);
        // A fade: the same picture at a tenth of its contrast.
        let faded: Vec<f32> = picture(4)
            .iter()
            .map(|v| 16.0 + (v - 16.0) * 0.05)
            .collect();
        assert!(hash_picture(&faded).quality < 25);
    }
}
