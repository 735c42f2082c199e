//! Exact Hamming-radius search over one segment: multi-index hashing,
//! and the full scan it is checked against.

use super::Segment;
use crate::mih;
use vfp_fingerprint::FrameHash;

impl<D: AsRef<[u8]>> Segment<D> {
    /// Calls `found(frame, distance)` for every stored frame within
    /// `radius` of `query`, exactly (multi-index hashing).
    ///
    /// At the radii scans use, a lookup probes thousands of buckets at
    /// random places of a table much larger than the caches, and checks
    /// each candidate's code at another random place: it waits on memory,
    /// not on arithmetic. So it runs in stages over the whole lookup, each
    /// asking the memory for what the next stage reads before reading any
    /// of it (the bucket offsets of every probe, then the start of every
    /// bucket, then every candidate's code), so that the misses overlap.
    pub fn search_radius(&self, query: &FrameHash, radius: u32, mut found: impl FnMut(usize, u32)) {
        let g = self.geometry;
        let flips = g.flips_per_chunk(radius);
        let (b, n) = (g.buckets(), self.frames);
        let (offsets, ids, words) = (self.mih_offsets(), self.mih_ids(), self.words());
        let query_chunks: Vec<u32> = (0..g.chunks).map(|j| g.chunk(query, j)).collect();
        // Stage 1: every probed bucket, as (chunk, index into `offsets`).
        let mut probes: Vec<(u32, usize)> = Vec::new();
        for (j, chunk_flips) in (0..g.chunks).zip(&flips) {
            let Some(chunk_flips) = *chunk_flips else {
                continue;
            };
            let base = j as usize * (b + 1);
            mih::for_each_neighbour(query_chunks[j as usize], g.chunk_bits, chunk_flips, |v| {
                probes.push((j, base + v as usize));
            });
        }
        for &(_, p) in &probes {
            prefetch(offsets, p);
        }
        // Stage 2: the buckets' id ranges.
        let mut buckets: Vec<(u32, usize, usize)> = Vec::with_capacity(probes.len());
        for &(j, p) in &probes {
            let (Some(&start), Some(&end)) = (offsets.get(p), offsets.get(p + 1)) else {
                continue;
            };
            if start < end {
                let at = j as usize * n;
                buckets.push((j, at + start as usize, at + end as usize));
                prefetch(ids, at + start as usize);
            }
        }
        // Stage 3: the candidates.
        let mut candidates: Vec<(u32, u32)> = Vec::new();
        for &(j, start, end) in &buckets {
            let Some(bucket) = ids.get(start..end) else {
                continue;
            };
            for &id in bucket {
                candidates.push((j, id));
                prefetch(words, 4 * id as usize);
            }
        }
        // Stage 4: each candidate checked against the full code, once.
        mih::check_candidates(
            candidates,
            words,
            g,
            &flips,
            &query_chunks,
            query,
            radius,
            &mut found,
        );
    }

    /// Calls `found(frame, distance)` for every stored frame within
    /// `radius` of `query`, exactly (multi-index hashing).
    /// [`search_radius`](Self::search_radius) by scanning every frame: the
    /// baseline, and the fallback for radii where probing costs more.
    pub fn scan_radius(&self, query: &FrameHash, radius: u32, mut found: impl FnMut(usize, u32)) {
        for (i, w) in self.words().chunks_exact(4).enumerate() {
            let d = (w[0] ^ query.0[0]).count_ones()
                + (w[1] ^ query.0[1]).count_ones()
                + (w[2] ^ query.0[2]).count_ones()
                + (w[3] ^ query.0[3]).count_ones();
            if d <= radius {
                found(i, d);
            }
        }
    }
}

/// Asks the memory for `slice[i]` ahead of reading it (nothing where the
/// architecture has no such hint, or `i` is out of range).
#[inline(always)]
pub(super) fn prefetch<T>(slice: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(x) = slice.get(i) {
        // SAFETY: a prefetch hint reads nothing and cannot fault; the
        // address is of an element of `slice`.
        unsafe {
            std::arch::x86_64::_mm_prefetch(
                (x as *const T).cast::<i8>(),
                std::arch::x86_64::_MM_HINT_T0,
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (slice, i);
}

#[cfg(test)]
mod tests {
    use crate::segment::testing::{code, flip, sample};
    use crate::segment::{AlignedBytes, Segment};

    #[test]
    fn radius_search_is_exact() {
        let seg = Segment::open(AlignedBytes::new(&sample())).unwrap();
        for radius in [0, 7, 15, 23, 31, 47, 100] {
            for q in 0..40u64 {
                let query = flip(
                    code(q * 7),
                    &(0..(q as usize % 40)).map(|k| k * 6).collect::<Vec<_>>(),
                );
                let mut mih = Vec::new();
                seg.search_radius(&query, radius, |i, d| mih.push((i, d)));
                let mut scan = Vec::new();
                seg.scan_radius(&query, radius, |i, d| scan.push((i, d)));
                mih.sort_unstable();
                assert_eq!(mih, scan, "radius {radius}, query {q}");
            }
        }
    }
}
