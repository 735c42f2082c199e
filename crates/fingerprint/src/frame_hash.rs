//! The 256-bit perceptual frame hash.

use serde::{de::Error as _, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A 256-bit perceptual hash of one frame.
///
/// Bit `i` (0..256) is stored in word `i / 64` at bit position `i % 64`.
/// For the DCT hash, bit `i` is the sign of DCT coefficient
/// `(row = i / 16, column = i % 16)` relative to the median (see the
/// extractor), so similar pictures have a small [`hamming`](Self::hamming)
/// distance: about 0-40 for the same picture after re-encoding, about 128
/// for unrelated pictures.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FrameHash(pub [u64; 4]);

impl FrameHash {
    /// Number of bits in a hash.
    pub const BITS: u32 = 256;

    /// Number of differing bits.
    #[inline]
    pub fn hamming(&self, other: &FrameHash) -> u32 {
        self.0
            .iter()
            .zip(other.0.iter())
            .map(|(a, b)| (a ^ b).count_ones())
            .sum()
    }

    /// Value of bit `i` (0..256).
    #[inline]
    pub fn bit(&self, i: usize) -> bool {
        (self.0[i / 64] >> (i % 64)) & 1 == 1
    }

    /// Set bit `i` (0..256).
    #[inline]
    pub fn set_bit(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    /// The 32 bytes, little-endian word by word (the `.vfp` layout).
    pub fn to_le_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (chunk, word) in out.chunks_exact_mut(8).zip(self.0.iter()) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out
    }

    /// Inverse of [`to_le_bytes`](Self::to_le_bytes).
    pub fn from_le_bytes(bytes: [u8; 32]) -> Self {
        let mut words = [0u64; 4];
        for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *word = u64::from_le_bytes(b);
        }
        FrameHash(words)
    }
}

impl fmt::Display for FrameHash {
    /// 64 lowercase hex digits of [`to_le_bytes`](FrameHash::to_le_bytes).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&to_hex(&self.to_le_bytes()))
    }
}

impl fmt::Debug for FrameHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FrameHash({self})")
    }
}

/// A string that is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected 64 hex digits, got {0:?}")]
pub struct ParseHashError(String);

impl FromStr for FrameHash {
    type Err = ParseHashError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        from_hex(s).map(FrameHash::from_le_bytes)
    }
}

impl Serialize for FrameHash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for FrameHash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(D::Error::custom)
    }
}

/// 32 bytes (a hash, a SHA-256) as 64 lowercase hex digits.
pub fn to_hex(bytes: &[u8; 32]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(64);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

pub(crate) fn from_hex(s: &str) -> Result<[u8; 32], ParseHashError> {
    let err = || ParseHashError(s.chars().take(80).collect());
    let digits = s.as_bytes();
    if digits.len() != 64 {
        return Err(err());
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = (nibble(pair[0]).ok_or_else(err)? << 4) | nibble(pair[1]).ok_or_else(err)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hamming_counts_bits() {
        let a = FrameHash([0, 0, 0, 0]);
        let b = FrameHash([1, 3, 0, u64::MAX]);
        assert_eq!(a.hamming(&b), 1 + 2 + 64);
        assert_eq!(b.hamming(&b), 0);
    }

    #[test]
    fn bit_numbering_is_word_major() {
        let mut h = FrameHash::default();
        h.set_bit(0);
        h.set_bit(65);
        h.set_bit(255);
        assert_eq!(h.0, [1, 2, 0, 1 << 63]);
        assert!(h.bit(65) && !h.bit(64));
    }

    #[test]
    fn bad_hex_is_rejected() {
        assert!("abc".parse::<FrameHash>().is_err());
        assert!("g".repeat(64).parse::<FrameHash>().is_err());
    }

    proptest! {
        #[test]
        fn hex_round_trip(words in any::<[u64; 4]>()) {
            let h = FrameHash(words);
            prop_assert_eq!(h.to_string().parse::<FrameHash>().unwrap(), h);
            prop_assert_eq!(FrameHash::from_le_bytes(h.to_le_bytes()), h);
        }

        #[test]
        fn hamming_is_a_metric(a in any::<[u64; 4]>(), b in any::<[u64; 4]>(), c in any::<[u64; 4]>()) {
            let (a, b, c) = (FrameHash(a), FrameHash(b), FrameHash(c));
            prop_assert_eq!(a.hamming(&b), b.hamming(&a));
            prop_assert!(a.hamming(&c) <= a.hamming(&b) + b.hamming(&c));
            prop_assert!(a.hamming(&b) <= FrameHash::BITS);
        }
    }
}
