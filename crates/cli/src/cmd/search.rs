//! A clip against the catalog, for `scan` and `verify`: the catalog hits
//! of its frames (every view, direct and mirrored hash), and the probe
//! that follows a line found from them through the clip.

use anyhow::{Context, Result};
use std::path::Path;
use vfp_fingerprint::{Fingerprint, FrameHash};
use vfp_index::Catalog;
use vfp_matcher::{align_followed, MatchParams, MatchSegment, Probe, QueryHit};

/// A clip's informative moments, ready to search and to follow.
pub struct ClipSearch<'a> {
    catalog: &'a Catalog,
    /// By clip time: the time and the (direct, mirrored) hashes of every
    /// informative view the catalog can match.
    moments: Vec<(u32, Vec<(FrameHash, FrameHash)>)>,
}

impl<'a> ClipSearch<'a> {
    /// Refuses fingerprints hashed otherwise than the catalog, naming
    /// `path`.
    pub fn new(catalog: &'a Catalog, path: &Path, fp: &Fingerprint) -> Result<Self> {
        let views = catalog
            .query_views(fp)
            .with_context(|| format!("{}", path.display()))?;
        let mut moments: Vec<(u32, Vec<(FrameHash, FrameHash)>)> =
            fp.frames.iter().map(|f| (f.t_ms, Vec::new())).collect();
        for (_, frames) in views {
            // Every track holds one frame per sample (placeholders where a
            // window lacks its region), so indices line up.
            for (moment, f) in moments.iter_mut().zip(frames) {
                if f.is_informative() && f.t_ms == moment.0 {
                    moment.1.push((f.hash, f.mirrored));
                }
            }
        }
        // A moment counts as sampled when any of its views could match.
        moments.retain(|(_, hashes)| !hashes.is_empty());
        moments.sort_by_key(|&(t_ms, _)| t_ms);
        Ok(ClipSearch { catalog, moments })
    }

    /// Times of the informative moments, in order.
    pub fn sampled_ms(&self) -> Vec<u32> {
        self.moments.iter().map(|&(t_ms, _)| t_ms).collect()
    }

    /// The catalog frames within `radius` of every informative moment's
    /// views, direct and mirrored.
    pub fn hits(&self, radius: u32) -> Vec<QueryHit> {
        let mut hits = Vec::new();
        for (t_ms, hashes) in &self.moments {
            for (direct, mirror) in hashes {
                for (hash, mirrored) in [(direct, false), (mirror, true)] {
                    for h in self.catalog.search_radius(hash, radius) {
                        hits.push(QueryHit {
                            query_ms: *t_ms,
                            title: h.title,
                            title_ms: h.t_ms,
                            distance: h.distance,
                            mirrored,
                            common: h.common,
                        });
                    }
                }
            }
        }
        hits
    }

    /// Search, then alignment with lines followed through the clip.
    pub fn matches(&self, params: &MatchParams) -> Vec<MatchSegment> {
        self.matches_of(&self.hits(params.radius), params)
    }

    /// Alignment of `hits` (of this clip) with lines followed through it.
    pub fn matches_of(&self, hits: &[QueryHit], params: &MatchParams) -> Vec<MatchSegment> {
        align_followed(hits, &self.sampled_ms(), params, self)
    }
}

impl Probe for ClipSearch<'_> {
    fn nearest(
        &self,
        query_ms: u32,
        title: usize,
        mirrored: bool,
        from_ms: u32,
        to_ms: u32,
    ) -> Option<(u32, u32)> {
        let i = self
            .moments
            .binary_search_by_key(&query_ms, |&(t_ms, _)| t_ms)
            .ok()?;
        let hashes = &self.moments[i].1;
        self.catalog
            .title_frames_between(title, from_ms, to_ms)
            .filter(|f| !f.common)
            .filter_map(|f| {
                let distance = hashes
                    .iter()
                    .map(|(direct, mirror)| f.hash.hamming(if mirrored { mirror } else { direct }))
                    .min()?;
                Some((f.t_ms, distance))
            })
            .min_by_key(|&(t_ms, distance)| (distance, t_ms))
    }
}
