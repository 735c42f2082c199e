//! Test helpers shared by the segment's tests and the catalog's.

use super::{table_end, SegmentBuilder};
use crate::TitleRecord;
use vfp_fingerprint::{FrameHash, HashParams};

pub(crate) fn record(id: &str) -> TitleRecord {
    TitleRecord {
        id: id.into(),
        name: format!("Title {id}"),
        source_path: format!("/catalog/{id}.mp4"),
        duration_ms: 60_000,
        sha256: "00".repeat(32),
        added_unix_s: 1_700_000_000,
        labels: String::new(),
        meta: Default::default(),
    }
}

/// A pseudo-random code per seed.
pub(crate) fn code(seed: u64) -> FrameHash {
    let mut x = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(0x2545_F491_4F6C_DD1D);
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    FrameHash([next(), next(), next(), next()])
}

pub(crate) fn flip(mut h: FrameHash, bits: &[usize]) -> FrameHash {
    for &b in bits {
        h.0[b / 64] ^= 1 << (b % 64);
    }
    h
}

pub(crate) fn sample() -> Vec<u8> {
    let mut b = SegmentBuilder::new(HashParams::default(), vfp_fingerprint::CATALOG_VIEW_PCT);
    b.add_title(
        record("A"),
        (0..500u32).map(|i| (i * 250, code(u64::from(i)))),
    )
    .unwrap();
    b.add_title(
        record("B"),
        (0..300u32).map(|i| (i * 250, code(10_000 + u64::from(i)))),
    )
    .unwrap();
    b.finish()
}

/// `bytes` with header bytes changed and the header checksum redone; a
/// version set below 4 also gets that version's section count and
/// reserved bytes (the keypoint sections stay in the file, unlisted).
pub(crate) fn patched(bytes: &[u8], patch: impl Fn(&mut [u8])) -> Vec<u8> {
    let mut b = bytes.to_vec();
    patch(&mut b);
    b[32..36].fill(0);
    let version = u16::from_le_bytes([b[8], b[9]]);
    if version < 4 {
        b[16..20].copy_from_slice(&(super::SECTION_COUNT_V1 as u32).to_le_bytes());
        b[36..38].fill(0);
    }
    let crc = crc32fast::hash(&b[..table_end(version.clamp(1, super::FORMAT_VERSION))]);
    b[32..36].copy_from_slice(&crc.to_le_bytes());
    b
}
