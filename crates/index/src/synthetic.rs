//! Synthetic catalogs for benchmarks (`benches/index.rs`,
//! `benches/scan.rs`, `examples/bench_scale.rs`) and tests: one-hour
//! titles (14,400 frames at 4 per second) of 5-second shots whose frames
//! drift 0-6 bits from the shot's code, and queries that are stored frames
//! with 0-31 random bits flipped (planted near-duplicates at known
//! distances), one in ten unrelated; and whole fingerprints: titles to
//! build a catalog from, clips cut from them or unrelated.

use crate::catalog::NewTitle;
use crate::segment::SegmentBuilder;
use crate::TitleRecord;
use vfp_fingerprint::{
    ExtractParams, Fingerprint, FrameFlags, FrameHash, HashParams, HashedFrame, SourceInfo,
    ViewRegion, ViewTrack, CATALOG_VIEW_PCT,
};

/// Time between a synthetic title's frames, ms (4 samples per second).
pub const TITLE_STEP_MS: u32 = 250;

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
            meta: Default::default(),
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

/// A fingerprint of `frames` sampled every `step_ms` from 0: the whole
/// pictures hash to unrelated codes, the catalog's view to `view(i)`
/// (direct, mirrored).
fn fingerprint(
    name: &str,
    frames: usize,
    step_ms: u32,
    rng: &mut Rng,
    mut view: impl FnMut(usize, &mut Rng) -> (FrameHash, FrameHash),
) -> Fingerprint {
    let mut whole = Vec::with_capacity(frames);
    let mut stored = Vec::with_capacity(frames);
    for i in 0..frames {
        let t_ms = i as u32 * step_ms;
        let frame = |hash, mirrored| HashedFrame {
            t_ms,
            hash,
            mirrored,
            quality: 80,
            flags: FrameFlags::empty(),
        };
        whole.push(frame(rng.code(), rng.code()));
        let (hash, mirrored) = view(i, rng);
        stored.push(frame(hash, mirrored));
    }
    let duration_ms = u64::from(step_ms) * frames as u64;
    Fingerprint {
        source: SourceInfo {
            file_name: format!("{name}.mp4"),
            file_size: duration_ms * 500,
            sha256: [7; 32],
            duration_ms,
            width: 1280,
            height: 720,
            fps: 25.0,
            codec: "h264".into(),
            rotation_deg: 0,
        },
        params: ExtractParams::default(),
        frames: whole,
        views: vec![ViewTrack {
            region: ViewRegion::Active,
            zoom_pct: CATALOG_VIEW_PCT,
            frames: stored,
        }],
        features: Vec::new(),
    }
}

/// A title `id` of `frames` frames [`TITLE_STEP_MS`] apart, each a
/// picture of its own (a random code), so that a clip of it aligns at one
/// time and speed only.
pub fn title(id: &str, frames: usize, rng: &mut Rng) -> NewTitle {
    let fingerprint = fingerprint(id, frames, TITLE_STEP_MS, rng, |_, rng| {
        (rng.code(), rng.code())
    });
    NewTitle {
        record: TitleRecord {
            id: id.into(),
            name: format!("Synthetic title {id}"),
            source_path: format!("/synthetic/{id}.mp4"),
            duration_ms: fingerprint.source.duration_ms,
            sha256: "07".repeat(32),
            added_unix_s: 0,
            labels: String::new(),
            meta: Default::default(),
        },
        fingerprint,
    }
}

/// How a synthetic clip shows its title.
#[derive(Clone, Copy, Debug)]
pub struct Excerpt {
    /// Title time at the clip's start, ms.
    pub from_ms: u32,
    /// Clip length, ms.
    pub len_ms: u32,
    /// Time between the clip's frames, ms.
    pub step_ms: u32,
    /// Bits flipped in each clip frame's hash of the title frame nearest
    /// in time.
    pub noise_bits: u32,
    /// Shown mirrored: the clip's mirrored hash matches the title.
    pub mirrored: bool,
}

/// A clip showing `title` as `excerpt` says.
pub fn clip_of(title: &Fingerprint, excerpt: Excerpt, rng: &mut Rng) -> Fingerprint {
    let stored = title
        .active_view(CATALOG_VIEW_PCT)
        .unwrap_or(title.frames.as_slice());
    let frames = (excerpt.len_ms / excerpt.step_ms.max(1)) as usize;
    fingerprint("clip", frames, excerpt.step_ms, rng, |i, rng| {
        let t = excerpt.from_ms + i as u32 * excerpt.step_ms;
        let nearest = stored
            .iter()
            .min_by_key(|f| f.t_ms.abs_diff(t))
            .map_or_else(|| rng.code(), |f| f.hash);
        let shown = rng.flip(nearest, excerpt.noise_bits);
        if excerpt.mirrored {
            (rng.code(), shown)
        } else {
            (shown, rng.code())
        }
    })
}

/// A clip of `len_ms` showing nothing of any title.
pub fn unrelated_clip(len_ms: u32, step_ms: u32, rng: &mut Rng) -> Fingerprint {
    let frames = (len_ms / step_ms.max(1)) as usize;
    fingerprint("unrelated", frames, step_ms, rng, |_, rng| {
        (rng.code(), rng.code())
    })
}

/// Catalog frames per segment that [`pad`] adds at most: as many as
/// `vfp index build` puts in one
/// ([`MAX_SEGMENT_FRAMES`](crate::catalog::MAX_SEGMENT_FRAMES)).
///
/// A search costs nearly as much in a small segment as in a large one
/// (the chunks widen with the segment), so padding in small segments would
/// measure a catalog slower than one built at once: 10 M frames in one
/// segment, as `vfp index build` makes them, take 93 µs a radius-31
/// lookup, the same frames in segments of 8 M and 2 M 77 + 55 µs
/// (`examples/bench_scale`, one core, beside other work).
pub const PAD_FRAMES_PER_SEGMENT: u64 = crate::catalog::MAX_SEGMENT_FRAMES;

/// Id prefix of the titles [`pad`] adds.
pub const PAD_TITLE_PREFIX: &str = "vfp-pad-";

/// Adds synthetic titles holding `frames` catalog frames in all to the
/// catalog in `dir` (hashed and viewed as its titles are): one-hour titles
/// of 5-second shots whose frames drift 0-6 bits ([`shot_codes`]), in
/// segments of `per_segment` frames (see [`PAD_FRAMES_PER_SEGMENT`]; more
/// where that many segments would make the catalog merge them all, past
/// [`MAX_SEGMENTS`](crate::catalog::MAX_SEGMENTS)), so that the cost of a search at that
/// catalog size can be measured before a catalog grows to it (`vfp bench
/// --pad-frames`). They hold hashes only, no local features.
/// `added(frames so far)` is called after each segment.
pub fn pad(
    dir: &std::path::Path,
    frames: u64,
    per_segment: u64,
    rng: &mut Rng,
    mut added: impl FnMut(u64),
) -> Result<(), crate::IndexError> {
    let catalog = crate::Catalog::open(dir)?;
    let (hash, view_pct) = (catalog.hash_params(), catalog.view_pct());
    let free = crate::catalog::MAX_SEGMENTS
        .saturating_sub(catalog.storage().0)
        .max(1) as u64;
    let per_segment = per_segment.max(1).max(frames.div_ceil(free));
    drop(catalog);
    // Held on disk until written, as `vfp index add` holds titles.
    let spool = || crate::catalog::TitleSpool::for_catalog(dir, &crate::Catalog::open(dir)?);
    let mut done = 0u64;
    let mut title = 0usize;
    while done < frames {
        let batch = (frames - done).min(per_segment);
        let mut titles = spool()?;
        let mut left = batch;
        while left > 0 {
            let n = left.min(FRAMES_PER_TITLE as u64) as usize;
            titles.push(padding_title(title, n, hash, view_pct, rng))?;
            title += 1;
            left -= n as u64;
        }
        let lock = crate::catalog::lock_catalog(dir, crate::Wait::Block)?;
        crate::catalog::add_spooled(&lock, titles)?;
        done += batch;
        added(done);
    }
    Ok(())
}

/// Padding title number `n`, of `frames` shot codes ([`shot_codes`]),
/// stored as the catalog's view (`view_pct`) with `hash` parameters; no
/// whole-picture frames, which a catalog does not store.
pub fn padding_title(
    n: usize,
    frames: usize,
    hash: HashParams,
    view_pct: u8,
    rng: &mut Rng,
) -> NewTitle {
    let id = format!("{PAD_TITLE_PREFIX}{n:06}");
    let stored = shot_codes(frames, rng)
        .into_iter()
        .enumerate()
        .map(|(i, code)| HashedFrame {
            t_ms: i as u32 * TITLE_STEP_MS,
            hash: code,
            // A mirrored title never needs its own mirrored hash: clips
            // are looked up both ways.
            mirrored: code,
            quality: 80,
            flags: FrameFlags::empty(),
        })
        .collect();
    let duration_ms = u64::from(TITLE_STEP_MS) * frames as u64;
    NewTitle {
        record: TitleRecord {
            id: id.clone(),
            name: format!("Synthetic padding {n}"),
            source_path: format!("/synthetic/{id}"),
            duration_ms,
            sha256: String::new(),
            added_unix_s: 0,
            labels: "synthetic".into(),
            meta: Default::default(),
        },
        fingerprint: Fingerprint {
            source: SourceInfo {
                file_name: id,
                file_size: 0,
                sha256: [0; 32],
                duration_ms,
                width: 1280,
                height: 720,
                fps: 25.0,
                codec: "synthetic".into(),
                rotation_deg: 0,
            },
            params: ExtractParams {
                hash,
                ..ExtractParams::default()
            },
            frames: Vec::new(),
            views: vec![ViewTrack {
                region: ViewRegion::Active,
                zoom_pct: view_pct,
                frames: stored,
            }],
            features: Vec::new(),
        },
    }
}
