//! Exact Hamming-radius search over one segment: multi-index hashing,
//! and the full scan it is checked against.

use super::Segment;
use crate::mih;
use vfp_fingerprint::FrameHash;

impl<D: AsRef<[u8]>> Segment<D> {
    /// Calls `found(frame, distance)` for every stored frame within
    /// `radius` of `query`, exactly (multi-index hashing).
    pub fn search_radius(&self, query: &FrameHash, radius: u32, mut found: impl FnMut(usize, u32)) {
        let g = self.geometry;
        let flips = g.flips_for_radius(radius);
        let (b, n) = (g.buckets(), self.frames);
        let (offsets, ids, words) = (self.mih_offsets(), self.mih_ids(), self.words());
        let query_chunks: Vec<u32> = (0..g.chunks).map(|j| g.chunk(query, j)).collect();
        for j in 0..g.chunks as usize {
            let base = j * (b + 1);
            mih::for_each_neighbour(query_chunks[j], g.chunk_bits, flips, |v| {
                let v = v as usize;
                let (Some(&start), Some(&end)) = (offsets.get(base + v), offsets.get(base + v + 1))
                else {
                    return;
                };
                let Some(bucket) = ids.get(j * n + start as usize..j * n + end as usize) else {
                    return;
                };
                for &id in bucket {
                    let Some(code) = self.code(words, id as usize) else {
                        continue;
                    };
                    // Found through an earlier chunk already?
                    if (0..j)
                        .any(|k| (g.chunk(&code, k as u32) ^ query_chunks[k]).count_ones() <= flips)
                    {
                        continue;
                    }
                    let d = code.hamming(query);
                    if d <= radius {
                        found(id as usize, d);
                    }
                }
            });
        }
    }

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
