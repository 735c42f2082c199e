//! Multi-index hashing (Norouzi, Punjani and Fleet, 2012): exact Hamming
//! radius search over 256-bit codes.
//!
//! The code is cut into `m` chunks of `b` bits (the last `256 - m·b` bits
//! are not indexed). If two codes differ in at most `r` bits, then, by the
//! pigeonhole principle, some chunk differs in at most `⌊r / m⌋` bits. So
//! for each chunk, the table lists the codes whose chunk equals the query's
//! chunk or any value within `⌊r / m⌋` flips of it; every candidate is then
//! checked against the full code. Nothing within `r` is missed. The
//! thresholds need not be even: some chunks can take one flip fewer
//! ([`Geometry::flips_per_chunk`]).
//!
//! `b` grows with the number of codes (about `log2 N`, so that a bucket
//! holds a few codes), which keeps candidates few: see [`Geometry::for_codes`].
//! So a lookup costs nearly as much in a small segment as in a large one
//! (radius 31: 55 µs at 2 M codes, 77 µs at 8 M, 93 µs at 10 M), and a
//! catalog's lookup grows with its number of segments.

use multiversion::multiversion;
use rayon::prelude::*;
use vfp_fingerprint::FrameHash;

/// Smallest chunk width used.
pub const MIN_CHUNK_BITS: u32 = 10;
/// Largest chunk width used: 2^23 buckets of 4-byte offsets per chunk.
/// The widest that still cuts the code into 11 chunks, so that a search
/// within radius 31 (a scan's) probes 2 flips per chunk rather than 3;
/// at 12.5 M codes it checks half the candidates 22-bit chunks do (radius
/// 31: 7,920 lookups/s on one core instead of 4,778, `examples/bench_scale`).
pub const MAX_CHUNK_BITS: u32 = 23;

/// How codes are cut into chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Bits per chunk, `b`.
    pub chunk_bits: u32,
    /// Number of chunks, `m = ⌊256 / b⌋`.
    pub chunks: u32,
}

impl Geometry {
    /// The geometry for `n` codes: `b = ⌈log2 n⌉` within
    /// [`MIN_CHUNK_BITS`]..=[`MAX_CHUNK_BITS`].
    pub fn for_codes(n: u64) -> Geometry {
        Geometry::for_codes_up_to(n, MAX_CHUNK_BITS)
    }

    /// [`for_codes`](Self::for_codes) with chunks of at most `max_bits`
    /// (within [`MIN_CHUNK_BITS`]..=[`MAX_CHUNK_BITS`]).
    pub fn for_codes_up_to(n: u64, max_bits: u32) -> Geometry {
        let log2 = 64 - n.max(1).saturating_sub(1).leading_zeros();
        let max_bits = max_bits.clamp(MIN_CHUNK_BITS, MAX_CHUNK_BITS);
        Geometry::with_chunk_bits(log2.clamp(MIN_CHUNK_BITS, max_bits))
    }

    /// The geometry with `b`-bit chunks (no chunks for `b` = 0: not
    /// [valid](Self::is_valid)).
    pub fn with_chunk_bits(chunk_bits: u32) -> Geometry {
        Geometry {
            chunk_bits,
            chunks: FrameHash::BITS.checked_div(chunk_bits).unwrap_or(0),
        }
    }

    /// Whether the geometry is one this code writes and reads.
    pub fn is_valid(&self) -> bool {
        (MIN_CHUNK_BITS..=MAX_CHUNK_BITS).contains(&self.chunk_bits)
            && self.chunks == FrameHash::BITS / self.chunk_bits
    }

    /// Buckets per chunk, `2^b`.
    pub fn buckets(&self) -> usize {
        1 << self.chunk_bits
    }

    /// Chunk `j` of `code`.
    #[inline]
    pub fn chunk(&self, code: &FrameHash, j: u32) -> u32 {
        let bit = (j * self.chunk_bits) as usize;
        let (word, shift) = (bit / 64, bit % 64);
        let mut v = code.0[word] >> shift;
        if shift + self.chunk_bits as usize > 64 && word + 1 < 4 {
            v |= code.0[word + 1] << (64 - shift);
        }
        (v & ((1u64 << self.chunk_bits) - 1)) as u32
    }

    /// Flips per chunk that make a radius-`r` search exact.
    pub fn flips_for_radius(&self, radius: u32) -> u32 {
        radius / self.chunks
    }

    /// Flips to probe in each chunk for a radius-`r` search, fewest in
    /// all: `None` for a chunk not probed at all.
    ///
    /// The pigeonhole holds with uneven thresholds too (Qin, Wang, Xiao
    /// et al., "GPH", 2018): if two codes differ in at most `r` bits and
    /// the thresholds `t_j` sum to `r - m + 1`, some chunk `j` differs in
    /// at most `t_j` bits (else the chunks alone would differ in
    /// `Σ (t_j + 1) = r + 1`). `⌊r/m⌋` everywhere sums to more than
    /// that by `m - 1 - r mod m`, so that many chunks, the last ones,
    /// take one flip fewer: at radius 31 with 11 chunks, one chunk is
    /// probed at 1 flip instead of 2 (8 % fewer probes); with 12, four; at
    /// radius 10 with 25 chunks, 14 chunks are not probed.
    pub fn flips_per_chunk(&self, radius: u32) -> Vec<Option<u32>> {
        let m = self.chunks;
        let uniform = radius / m.max(1);
        let fewer = (m.saturating_sub(1)).saturating_sub(radius % m.max(1));
        (0..m)
            .map(|j| {
                if j + fewer < m {
                    Some(uniform)
                } else {
                    uniform.checked_sub(1)
                }
            })
            .collect()
    }
}

/// Calls `f` with every `b`-bit value within `flips` bit flips of `value`
/// (`value` itself first).
pub fn for_each_neighbour(value: u32, bits: u32, flips: u32, mut f: impl FnMut(u32)) {
    fn rec(value: u32, from: u32, bits: u32, left: u32, f: &mut impl FnMut(u32)) {
        for bit in from..bits {
            let v = value ^ (1 << bit);
            f(v);
            if left > 1 {
                rec(v, bit + 1, bits, left - 1, f);
            }
        }
    }
    f(value);
    if flips > 0 {
        rec(value, 0, bits, flips, &mut f);
    }
}

/// Calls `found(code, distance)` for each candidate `(chunk, code)` within
/// `radius` of `query` that no earlier chunk's probes found too (a code
/// found through several chunks is reported once): `flips[k]` is what
/// chunk `k` was probed with (`None`: not probed), `query_chunks[k]` the
/// query's value there, `words` the codes, four words each.
///
/// Tens of thousands of candidates per lookup at large catalogs, nearly
/// all far from the query: the distance comes first, so that most are
/// dropped after four popcounts, and the loop is compiled also for CPUs
/// with popcount instructions (picked at run time).
#[allow(clippy::too_many_arguments)]
#[multiversion(targets(
    "x86_64+avx512f+avx512vl+avx512vpopcntdq+popcnt",
    "x86_64+avx2+popcnt",
    "x86_64+popcnt",
))]
pub(crate) fn check_candidates(
    candidates: impl IntoIterator<Item = (u32, u32)>,
    words: &[u64],
    g: Geometry,
    flips: &[Option<u32>],
    query_chunks: &[u32],
    query: &FrameHash,
    radius: u32,
    found: &mut dyn FnMut(usize, u32),
) {
    for (j, id) in candidates {
        let Some(w) = words.get(4 * id as usize..4 * id as usize + 4) else {
            continue;
        };
        let code = FrameHash([w[0], w[1], w[2], w[3]]);
        let d = code.hamming(query);
        if d > radius {
            continue;
        }
        // Found through an earlier chunk already?
        let earlier = |k: u32| {
            flips.get(k as usize).copied().flatten().is_some_and(|f| {
                let value = query_chunks.get(k as usize).copied().unwrap_or(0);
                (g.chunk(&code, k) ^ value).count_ones() <= f
            })
        };
        if !(0..j).any(earlier) {
            found(id as usize, d);
        }
    }
}

/// The search tables of `codes`, one chunk at a time: every chunk's
/// bucket offsets (`m × (2^b + 1)` u32s, small beside the ids) are counted
/// at once, and a chunk's ids (`N` u32s, sorted by chunk value) are made
/// when asked for, so that a large segment is written holding one chunk's
/// ids in memory, not `m` (at 33.5 M codes, 0.13 GB instead of 1.5 GB).
/// Where all the chunks' ids take at most [`IDS_KEPT_BYTES`], each is kept
/// once made: a segment's build asks for each chunk's ids two to four
/// times (the stop-list's passes, then the file), and making them again
/// slowed a 10 M-frame build by half.
pub struct ChunkTables<'a> {
    geometry: Geometry,
    codes: &'a [FrameHash],
    offsets: Vec<u32>,
    /// Each chunk's ids once made, where they fit [`IDS_KEPT_BYTES`].
    kept: Option<Vec<std::sync::OnceLock<Vec<u32>>>>,
}

/// Memory [`ChunkTables`] may keep chunks' ids in (512 MiB: up to 11.6 M
/// codes at 11 chunks).
pub const IDS_KEPT_BYTES: usize = 512 << 20;

impl<'a> ChunkTables<'a> {
    /// Counts the buckets of every chunk (chunks in parallel).
    pub fn new(geometry: Geometry, codes: &'a [FrameHash]) -> Self {
        let buckets = geometry.buckets();
        let mut offsets = vec![0u32; geometry.chunks as usize * (buckets + 1)];
        offsets
            .par_chunks_mut(buckets + 1)
            .enumerate()
            .for_each(|(j, offs)| {
                for code in codes {
                    offs[geometry.chunk(code, j as u32) as usize + 1] += 1;
                }
                for k in 1..offs.len() {
                    offs[k] += offs[k - 1];
                }
            });
        let all_ids = codes.len() * geometry.chunks as usize * 4;
        ChunkTables {
            geometry,
            codes,
            offsets,
            kept: (all_ids <= IDS_KEPT_BYTES)
                .then(|| (0..geometry.chunks).map(|_| Default::default()).collect()),
        }
    }

    /// How the codes are cut.
    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// Every chunk's bucket start offsets, chunk after chunk (the
    /// `MIH_OFFSETS` section).
    pub fn offsets(&self) -> &[u32] {
        &self.offsets
    }

    /// Chunk `j`'s bucket start offsets (`2^b + 1` of them).
    pub fn chunk_offsets(&self, j: u32) -> &[u32] {
        let len = self.geometry.buckets() + 1;
        &self.offsets[j as usize * len..(j as usize + 1) * len]
    }

    /// Chunk `j`'s ids, sorted by chunk value (ascending within a bucket).
    pub fn ids(&self, j: u32) -> std::borrow::Cow<'_, [u32]> {
        match &self.kept {
            Some(kept) => kept[j as usize].get_or_init(|| self.sorted_ids(j)).into(),
            None => self.sorted_ids(j).into(),
        }
    }

    /// A counting sort of chunk `j`'s ids from its offsets, in parallel:
    /// each thread places the ids of its own range of buckets (a slice of
    /// the output of its own), reading every code.
    fn sorted_ids(&self, j: u32) -> Vec<u32> {
        let offs = self.chunk_offsets(j);
        let buckets = self.geometry.buckets();
        let parts = rayon::current_num_threads().clamp(1, 16);
        let bounds: Vec<usize> = (0..=parts).map(|p| p * buckets / parts).collect();
        let mut out = vec![0u32; self.codes.len()];
        let mut slices = Vec::with_capacity(parts);
        let mut rest = out.as_mut_slice();
        for p in 0..parts {
            let len = (offs[bounds[p + 1]] - offs[bounds[p]]) as usize;
            let (slice, tail) = std::mem::take(&mut rest).split_at_mut(len);
            slices.push((bounds[p]..bounds[p + 1], slice));
            rest = tail;
        }
        slices.into_par_iter().for_each(|(range, slice)| {
            let base = offs[range.start];
            let mut next: Vec<u32> = offs[range.clone()].iter().map(|o| o - base).collect();
            for (id, code) in self.codes.iter().enumerate() {
                let c = self.geometry.chunk(code, j) as usize;
                if range.contains(&c) {
                    let at = &mut next[c - range.start];
                    slice[*at as usize] = id as u32;
                    *at += 1;
                }
            }
        });
        out
    }
}

/// All the search tables of `codes` at once: bucket offsets and ids of
/// every chunk, as [`ChunkTables`] makes them (for tests and benchmarks;
/// a segment is written chunk by chunk).
pub fn build_tables(geometry: Geometry, codes: &[FrameHash]) -> (Vec<u32>, Vec<u32>) {
    let tables = ChunkTables::new(geometry, codes);
    let ids: Vec<Vec<u32>> = (0..geometry.chunks)
        .into_par_iter()
        .map(|j| tables.sorted_ids(j))
        .collect();
    (tables.offsets, ids.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_grows_with_the_catalog() {
        assert_eq!(Geometry::for_codes(0).chunk_bits, MIN_CHUNK_BITS);
        assert_eq!(Geometry::for_codes(1 << 16).chunk_bits, 16);
        assert_eq!(Geometry::for_codes((1 << 16) + 1).chunk_bits, 17);
        assert_eq!(Geometry::for_codes(10_000_000).chunk_bits, MAX_CHUNK_BITS);
        assert_eq!(Geometry::for_codes(1 << 23).chunk_bits, 23);
        assert_eq!(Geometry::for_codes(1 << 23).chunks, 11);
        assert_eq!(Geometry::for_codes_up_to(10_000_000, 22).chunk_bits, 22);
        assert_eq!(Geometry::for_codes_up_to(1000, 22).chunk_bits, 10);
        let g = Geometry::for_codes(1 << 16);
        assert_eq!(g.chunks, 16);
        assert!(g.is_valid());
    }

    #[test]
    fn uneven_flips_keep_the_pigeonhole_and_probe_less() {
        for bits in MIN_CHUNK_BITS..=MAX_CHUNK_BITS {
            let g = Geometry::with_chunk_bits(bits);
            for radius in 0..=64u32 {
                let flips = g.flips_per_chunk(radius);
                assert_eq!(flips.len(), g.chunks as usize);
                // Σ (t_j + 1) = r + 1: some chunk is within its t_j.
                let sum: u32 = flips.iter().map(|f| f.map_or(0, |f| f + 1)).sum();
                assert_eq!(sum, radius + 1, "{bits} bits, radius {radius}");
                let uniform = g.flips_for_radius(radius);
                assert!(flips.iter().all(|f| f.is_none_or(|f| f <= uniform)));
            }
        }
        let g = Geometry::with_chunk_bits(23);
        let probed_at = |f| g.flips_per_chunk(31).iter().filter(|&&x| x == f).count();
        assert_eq!((probed_at(Some(2)), probed_at(Some(1))), (10, 1));
        let g = Geometry::with_chunk_bits(10);
        assert_eq!(
            g.flips_per_chunk(10).iter().filter(|f| f.is_none()).count(),
            14
        );
    }

    #[test]
    fn chunks_cover_the_code_including_word_boundaries() {
        let g = Geometry::with_chunk_bits(20);
        // Chunk 3 is bits 60..80, across words 0 and 1.
        let mut code = FrameHash::default();
        for bit in 56..68 {
            code.set_bit(bit);
        }
        assert_eq!(g.chunk(&code, 2), 0xF << 16, "bits 56..60 end chunk 2");
        assert_eq!(g.chunk(&code, 3), 0xFF, "bits 60..68 start chunk 3");
        assert_eq!(g.chunk(&code, 4), 0);
    }

    #[test]
    fn neighbours_are_all_values_within_the_flips() {
        for flips in 0..=3 {
            let mut seen = Vec::new();
            for_each_neighbour(0b1010, 10, flips, |v| seen.push(v));
            let expected: Vec<u32> = (0..1024u32)
                .filter(|v| (v ^ 0b1010).count_ones() <= flips)
                .collect();
            seen.sort_unstable();
            assert_eq!(seen, expected, "flips {flips}");
        }
    }

    #[test]
    fn tables_list_every_code_under_its_chunk_value() {
        let codes: Vec<FrameHash> = (0..300u64)
            .map(|i| FrameHash([i.wrapping_mul(0x9E37_79B9_7F4A_7C15), i, !i, i << 7]))
            .collect();
        let g = Geometry::with_chunk_bits(10);
        let (offsets, ids) = build_tables(g, &codes);
        let b = g.buckets();
        for j in 0..g.chunks as usize {
            let offs = &offsets[j * (b + 1)..(j + 1) * (b + 1)];
            assert_eq!(offs[b] as usize, codes.len());
            for v in 0..b {
                for &id in
                    &ids[j * codes.len() + offs[v] as usize..j * codes.len() + offs[v + 1] as usize]
                {
                    assert_eq!(g.chunk(&codes[id as usize], j as u32) as usize, v);
                }
            }
        }
    }
}
