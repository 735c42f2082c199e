//! Local features: corners of a picture, each with a 256-bit binary
//! description of the patch around it, for copies that show only a part of
//! a title, moved or scaled (a zoom, a 9:16 crop panned across a wide
//! frame). A whole-picture hash changes by ~30 of 256 bits when its view
//! moves by 1 % of the width; corners and their patches move with the
//! content, so a few of them found again at one consistent offset say
//! where the copy's picture lies in the title's.
//!
//! The descriptor is BRIEF (Calonder et al., 2010): bit `i` says whether
//! the mean grey of a 7×7 box at one point of the 31×31 patch is below the
//! mean at another. The 256 point pairs are this format's own, fixed
//! forever ([`TEST_PAIRS`]), and mirror-symmetric: pair `i + 128` is pair
//! `i` mirrored left-right, so the descriptor of a mirrored picture is the
//! same descriptor with its halves swapped ([`Keypoint::mirrored`]).

/// Pixels from a patch's centre to its edge: patches are 31×31.
pub const PATCH_RADIUS: i32 = 15;
/// Pixels from a test point to the edge of the box averaged around it.
pub const BOX_RADIUS: i32 = 3;
/// Closest a keypoint may be to the picture's edge with its patch and
/// boxes inside (a title's keypoints keep it; a clip's may come closer,
/// their patches completed by mirroring the picture about its edge).
pub const EDGE_MARGIN: u32 = (PATCH_RADIUS + BOX_RADIUS + 1) as u32;
/// Number of tests, bits of a descriptor.
pub const DESCRIPTOR_BITS: usize = 256;

/// One test: the two points compared, as (dx, dy) from the patch centre.
pub type TestPair = [(i8, i8); 2];

/// The 256 tests, built once from a fixed generator: 128 pairs drawn from
/// an isotropic Gaussian (σ = 6.6 px, Calonder's choice for a 31-pixel
/// patch) clipped to the patch, followed by the same 128 mirrored.
pub static TEST_PAIRS: std::sync::LazyLock<[TestPair; DESCRIPTOR_BITS]> =
    std::sync::LazyLock::new(make_test_pairs);

fn make_test_pairs() -> [TestPair; DESCRIPTOR_BITS] {
    // splitmix64: tiny, fully specified, and no dependency whose stream
    // could change under a version bump (the pairs are part of the format).
    let mut state: u64 = 0x5646_505F_4252_4945; // "VFP_BRIE"
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    // Irwin-Hall: the sum of 12 uniforms is close to a unit Gaussian,
    // with integer-only rounding that is the same on every platform.
    let mut coordinate = move || loop {
        let sum: u64 = (0..12).map(|_| next() >> 44).sum(); // 12 × [0, 2^20)
        let unit = sum as f64 / f64::from(1u32 << 20) - 6.0;
        let c = (unit * 6.6).round();
        if c.abs() <= f64::from(PATCH_RADIUS) {
            return c as i8;
        }
    };
    let mut pairs = [[(0i8, 0i8); 2]; DESCRIPTOR_BITS];
    let half = DESCRIPTOR_BITS / 2;
    let mut i = 0;
    while i < half {
        let p = [(coordinate(), coordinate()), (coordinate(), coordinate())];
        // A test comparing a point with itself, or whose mirror is itself
        // (both points on the centre column), says nothing new.
        if p[0] == p[1] || (p[0].0 == 0 && p[1].0 == 0) {
            continue;
        }
        pairs[i] = p;
        pairs[i + half] = [(-p[0].0, p[0].1), (-p[1].0, p[1].1)];
        i += 1;
    }
    pairs
}

/// A corner and the description of the patch around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Keypoint {
    /// Column in the picture the features were found on, pixels.
    pub x: u16,
    /// Row, pixels.
    pub y: u16,
    /// The 256 test results, bit `i` of the descriptor is bit `i % 64` of
    /// word `i / 64`.
    pub bits: [u64; 4],
}

impl Keypoint {
    /// Number of tests on which two descriptors differ.
    #[inline]
    pub fn distance(&self, other: &Keypoint) -> u32 {
        self.bits
            .iter()
            .zip(&other.bits)
            .map(|(a, b)| (a ^ b).count_ones())
            .sum()
    }

    /// The same keypoint in the left-right mirror image of a picture
    /// `width` pixels wide.
    pub fn mirrored(&self, width: u16) -> Keypoint {
        Keypoint {
            x: width.saturating_sub(1).saturating_sub(self.x),
            y: self.y,
            bits: [self.bits[2], self.bits[3], self.bits[0], self.bits[1]],
        }
    }
}

/// The keypoints of one picture: a sample of a video, at one scale.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeatureFrame {
    /// Presentation time of the sample, milliseconds from the stream start.
    pub t_ms: u32,
    /// The picture's size relative to the catalog's feature pictures
    /// ([`FEATURE_HEIGHT`] rows), percent: 100 for a title's features;
    /// smaller on a clip's extra scales, which undo a zoom of the
    /// copy by shrinking it back.
    pub scale_pct: u8,
    /// Width of the picture, pixels.
    pub width: u16,
    /// Height of the picture, pixels.
    pub height: u16,
    /// The corners found, strongest first.
    pub keypoints: Vec<Keypoint>,
}

/// Rows of the picture features are found on, at scale 100 %: the upright
/// frame at its display aspect ratio.
pub const FEATURE_HEIGHT: u16 = 180;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_pairs_are_fixed_inside_the_patch_and_mirror_symmetric() {
        let pairs = &*TEST_PAIRS;
        let r = PATCH_RADIUS as i8;
        for p in pairs {
            for &(x, y) in p {
                assert!((-r..=r).contains(&x) && (-r..=r).contains(&y));
            }
            assert_ne!(p[0], p[1]);
        }
        for i in 0..128 {
            let (a, b) = (pairs[i], pairs[i + 128]);
            assert_eq!(b, [(-a[0].0, a[0].1), (-a[1].0, a[1].1)]);
        }
        // Pinned: the pairs define every stored descriptor, so a change
        // here would silently break every catalog built before it.
        let digest = pairs.iter().flatten().fold(0u64, |h, &(x, y)| {
            (h ^ (x as u8 as u64) ^ ((y as u8 as u64) << 8)).wrapping_mul(0x100_0000_01B3)
        });
        assert_eq!(
            digest, PINNED_PAIRS_DIGEST,
            "test pairs changed: {digest:#x}"
        );
        // Spread like the Gaussian they are drawn from, not collapsed.
        let mean_abs = pairs
            .iter()
            .flatten()
            .map(|&(x, _)| f64::from(x).abs())
            .sum::<f64>()
            / (2.0 * DESCRIPTOR_BITS as f64);
        assert!((4.0..6.5).contains(&mean_abs), "{mean_abs}");
    }

    const PINNED_PAIRS_DIGEST: u64 = 0x14a4_df2b_d405_2922;

    #[test]
    fn mirroring_twice_gives_the_keypoint_back_and_keeps_distances() {
        let a = Keypoint {
            x: 20,
            y: 7,
            bits: [1, 2, 3, 0xFFFF],
        };
        let b = Keypoint {
            x: 40,
            y: 9,
            bits: [1, 6, 3, 0xFF0F],
        };
        assert_eq!(a.mirrored(100).mirrored(100), a);
        assert_eq!(a.mirrored(100).x, 79);
        assert_eq!(a.distance(&b), b.distance(&a));
        assert_eq!(a.distance(&b), 1 + 4);
        assert_eq!(a.mirrored(100).distance(&b.mirrored(100)), a.distance(&b));
    }
}
