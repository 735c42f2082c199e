//! Synthetic catalogs for benchmarks (`benches/index.rs`,
//! `examples/bench_scale.rs`): one-hour titles (14,400 frames at 4 per
//! second) of 5-second shots whose frames drift 0-6 bits from the shot's
//! code, and queries that are stored frames with 0-31 random bits flipped
//! (planted near-duplicates at known distances), one in ten unrelated.

use crate::segment::SegmentBuilder;
use crate::TitleRecord;
use vfp_fingerprint::{FrameHash, HashParams};

/// Frames per synthetic title: one hour at 4 samples per second.
pub const FRAMES_PER_TITLE: usize = 14_400;

/// A small deterministic generator (xorshift64).
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A uniformly random code.
    pub fn code(&mut self) -> FrameHash {
        FrameHash([
            self.next_u64(),
            self.next_u64(),
            self.next_u64(),
            self.next_u64(),
        ])
    }

    /// `h` with exactly `bits` distinct bits flipped.
    pub fn flip(&mut self, h: FrameHash, bits: u32) -> FrameHash {
        let mut out = h;
        while out.hamming(&h) < bits {
            let b = (self.next_u64() % 256) as usize;
            if out.bit(b) == h.bit(b) {
                out.0[b / 64] ^= 1 << (b % 64);
            }
        }
        out
    }
}

/// `n` frame codes: shots of 20 frames drifting 0-6 bits from the shot.
pub fn shot_codes(n: usize, rng: &mut Rng) -> Vec<FrameHash> {
    let mut codes = Vec::with_capacity(n);
    let mut shot = rng.code();
    for i in 0..n {
        if i % 20 == 0 {
            shot = rng.code();
        }
        let drift = (rng.next_u64() % 7) as u32;
        codes.push(rng.flip(shot, drift));
    }
    codes
}

/// The bytes of a segment holding `codes` as titles of
/// [`FRAMES_PER_TITLE`] frames, 250 ms apart.
pub fn segment_bytes(codes: &[FrameHash]) -> Vec<u8> {
    let mut builder = SegmentBuilder::new(HashParams::default(), vfp_fingerprint::CATALOG_VIEW_PCT);
    for (t, chunk) in codes.chunks(FRAMES_PER_TITLE).enumerate() {
        let record = TitleRecord {
            id: format!("T{t:05}"),
            name: format!("Synthetic title {t}"),
            source_path: String::new(),
            duration_ms: chunk.len() as u64 * 250,
            sha256: String::new(),
            added_unix_s: 0,
            labels: String::new(),
        };
        let frames = chunk.iter().enumerate().map(|(i, c)| (i as u32 * 250, *c));
        // A synthetic title never exceeds the frame limit.
        let _ = builder.add_title(record, frames);
    }
    builder.finish()
}

/// `count` queries: 9 in 10 a stored code with 0-31 bits flipped, 1 in
/// 10 an unrelated code.
pub fn planted_queries(codes: &[FrameHash], count: usize, rng: &mut Rng) -> Vec<FrameHash> {
    (0..count)
        .map(|i| {
            if i % 10 == 9 || codes.is_empty() {
                rng.code()
            } else {
                let stored = codes[(rng.next_u64() % codes.len() as u64) as usize];
                let k = (rng.next_u64() % 32) as u32;
                rng.flip(stored, k)
            }
        })
        .collect()
}
