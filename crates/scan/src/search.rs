//! A clip's frames against the catalog: the catalog hits of its
//! informative moments (every view, direct and mirrored hash), and the
//! [`Probe`] that follows a line found from them through the clip; and
//! its local features against the catalog's ([`ClipSearch::local_matches`]).

use crate::cost::{timed, ScanCost};
use crate::ScanError;
use std::cell::Cell;
use std::collections::HashMap;
use std::path::Path;
use vfp_fingerprint::local::{FeatureFrame, Keypoint};
use vfp_fingerprint::{Fingerprint, FrameHash, TitleIndex};
use vfp_index::Catalog;
use vfp_index::{FeatureRef, TitleFeatures};
use vfp_matcher::local::{align_local, ClipKeypoints, LocalPair, LocalParams};
use vfp_matcher::{align_followed, MatchParams, MatchSegment, NearestFrame, Probe, QueryHit};

/// Keypoint lookups that must land on one title picture before it is
/// compared with the clip picture keypoint by keypoint: one or two can be
/// chance (a corner of text, a logo), a copy's picture gets several.
pub const NOMINATING_LOOKUPS: usize = 2;
/// Title pictures compared in full per clip picture (scale and
/// orientation), those most lookups landed on: the comparison is the
/// tier's main cost, and a copy's own picture is among the first.
pub const NOMINATED_PER_PICTURE: usize = 64;
/// Largest descriptor distance of a lookup that nominates: tighter than
/// the comparison's, since many unrelated keypoints lie within its
/// distance and would crowd a copy's picture out of the nominations.
pub const LOOKUP_MAX_DISTANCE: u32 = 40;

/// Which clip moments a scan searches the whole catalog for, and how far:
/// every informative moment within a small radius, and moments spread
/// over the clip within wider ones, up to the scan's radius. A search's
/// cost grows steeply with its radius (multi-index hashing probes every
/// chunk value within `radius / chunks` flips: at 10 M catalog frames,
/// radius 10 costs ~7 µs a lookup, 21 ~80 µs, 31 ~750 µs), while a copy
/// needs only one hit to be followed through the clip
/// ([`MatchParams::min_seed_frames`]), and the moments of one shot hash
/// alike: searching every moment at the full radius buys little.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchPlan {
    /// By radius; a moment due in several tiers is searched once, at the
    /// largest radius due. The last tier's radius is the scan's
    /// ([`MatchParams::radius`]); the others are capped by it.
    pub tiers: Vec<Tier>,
}

/// Moments searched within one radius, at one rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tier {
    /// The radius, bits (capped by the scan's).
    pub radius: u32,
    /// Time between the moments searched, ms (0: every moment).
    pub every_ms: u32,
}

/// A tier of `radius` bits every `every_ms` ms.
const fn tier(radius: u32, every_ms: u32) -> Tier {
    Tier { radius, every_ms }
}

impl SearchPlan {
    /// Every moment at the full radius (`verify`; scans of small
    /// catalogs, see [`SearchMode`]).
    pub fn dense() -> SearchPlan {
        SearchPlan {
            tiers: vec![tier(u32::MAX, 0)],
        }
    }

    /// The radius each moment (by time, in order) is searched within,
    /// `None` for moments not searched, given the scan's `radius`.
    pub fn radii(&self, moments_ms: &[u32], radius: u32) -> Vec<Option<u32>> {
        let mut next_due = vec![0u32; self.tiers.len()];
        moments_ms
            .iter()
            .map(|&t_ms| {
                let mut widest = None;
                for (
                    i,
                    &Tier {
                        radius: r,
                        every_ms,
                    },
                ) in self.tiers.iter().enumerate()
                {
                    if t_ms >= next_due[i] {
                        // Due on a fixed grid, so that the rate is the
                        // tier's whatever the clip's sampling.
                        let every = every_ms.max(1);
                        let steps = (t_ms - next_due[i]) / every + 1;
                        next_due[i] = next_due[i].saturating_add(steps.saturating_mul(every));
                        let r = if i + 1 == self.tiers.len() {
                            radius
                        } else {
                            r.min(radius)
                        };
                        widest = widest.max(Some(r));
                    }
                }
                widest
            })
            .collect()
    }
}

impl Default for SearchPlan {
    /// Every moment within 10 bits, ten a second within 21, six a second
    /// within the scan's radius (31). Measured on the shared evaluation
    /// sets (`scripts/eval/accuracy.sh --search tiered`): dev recall 0.953 as with
    /// every moment searched at 31 (two a second: 0.934, four: 0.943);
    /// social 0.900 against 0.929 (two short clips of 3 and 5 s, a split
    /// screen and a filmed screen, found only when every moment is
    /// searched at 31: even fifteen a second lost them).
    fn default() -> SearchPlan {
        SearchPlan {
            tiers: vec![tier(10, 0), tier(21, 100), tier(u32::MAX, 167)],
        }
    }
}

/// Catalogs of at most this many frames are searched densely in the
/// default mode ([`SearchMode::Auto`]): there, a lookup at the full
/// radius costs little next to decoding (see docs/throughput.md, `vfp
/// bench --pad-frames`).
pub const DENSE_SEARCH_MAX_FRAMES: usize = 1_000_000;

/// How a scan chooses its [`SearchPlan`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SearchMode {
    /// Densely for catalogs of at most [`DENSE_SEARCH_MAX_FRAMES`]
    /// frames, tiered for larger ones.
    #[default]
    Auto,
    /// Every moment at the full radius, whatever the catalog's size.
    Dense,
    /// The tiered [`SearchPlan::default`], whatever the catalog's size.
    Tiered,
}

impl SearchMode {
    /// The plan for a catalog of `frames` frames.
    pub fn plan(self, frames: usize) -> SearchPlan {
        match self {
            SearchMode::Dense => SearchPlan::dense(),
            SearchMode::Tiered => SearchPlan::default(),
            SearchMode::Auto if frames <= DENSE_SEARCH_MAX_FRAMES => SearchPlan::dense(),
            SearchMode::Auto => SearchPlan::default(),
        }
    }
}

/// A clip moment as it is searched: its time and the hashes of every
/// informative view of it the catalog can match.
struct Moment {
    /// Clip time, ms.
    t_ms: u32,
    /// One per view.
    views: Vec<ViewHashes>,
}

/// A view's hash, and the hash of its mirror image.
#[derive(Clone, Copy)]
struct ViewHashes {
    direct: FrameHash,
    mirrored: FrameHash,
}

/// A clip's informative moments, ready to search and to follow.
pub struct ClipSearch<'a> {
    catalog: &'a Catalog,
    /// By clip time, every moment with a view the catalog can match.
    moments: Vec<Moment>,
    /// The clip's local features, every scale.
    features: &'a [FeatureFrame],
    /// What searching and matching this clip has cost so far.
    cost: Cell<ScanCost>,
}

impl<'a> ClipSearch<'a> {
    /// Refuses fingerprints hashed otherwise than the catalog, naming
    /// `path`.
    pub fn new(catalog: &'a Catalog, path: &Path, fp: &'a Fingerprint) -> Result<Self, ScanError> {
        let views = catalog
            .query_views(fp)
            .map_err(|source| ScanError::Catalog {
                path: path.to_owned(),
                source,
            })?;
        let mut moments: Vec<Moment> = fp
            .frames
            .iter()
            .map(|f| Moment {
                t_ms: f.t_ms,
                views: Vec::new(),
            })
            .collect();
        for (_, frames) in views {
            // Every track holds one frame per sample (placeholders where a
            // window lacks its region), so indices line up.
            for (moment, f) in moments.iter_mut().zip(frames) {
                if f.is_informative() && f.t_ms == moment.t_ms {
                    moment.views.push(ViewHashes {
                        direct: f.hash,
                        mirrored: f.mirrored,
                    });
                }
            }
        }
        // A moment counts as sampled when any of its views could match.
        moments.retain(|m| !m.views.is_empty());
        moments.sort_by_key(|m| m.t_ms);
        Ok(ClipSearch {
            catalog,
            moments,
            features: &fp.features,
            cost: Cell::new(ScanCost::default()),
        })
    }

    /// What the searches and matches made on this clip so far cost (the
    /// times of search and matching, and the counts; not the total).
    pub fn cost(&self) -> ScanCost {
        self.cost.get()
    }

    fn add_cost(&self, f: impl FnOnce(&mut ScanCost)) {
        let mut cost = self.cost.get();
        f(&mut cost);
        self.cost.set(cost);
    }

    /// Times of the informative moments, in order.
    pub fn sampled_ms(&self) -> Vec<u32> {
        self.moments.iter().map(|m| m.t_ms).collect()
    }

    /// The catalog frames within `radius` of every informative moment's
    /// views, direct and mirrored.
    pub fn hits(&self, radius: u32) -> Vec<QueryHit> {
        self.planned_hits(radius, &SearchPlan::dense())
    }

    /// The catalog frames near the clip's moments as `plan` searches them
    /// (see [`SearchPlan`]), `radius` the widest.
    pub fn planned_hits(&self, radius: u32, plan: &SearchPlan) -> Vec<QueryHit> {
        let radii = plan.radii(&self.sampled_ms(), radius);
        let (hits, took) = timed(|| self.search(&radii));
        let mut lookups = 0;
        let mut moments = 0;
        for (moment, r) in self.moments.iter().zip(&radii) {
            if r.is_some() {
                moments += 1;
                lookups += 2 * moment.views.len();
            }
        }
        self.add_cost(|c| {
            c.search_s += took.as_secs_f64();
            c.hash_search_s += took.as_secs_f64();
            c.moments += moments as u64;
            c.hash_lookups += lookups as u64;
            c.hash_hits += hits.len() as u64;
            c.title_hits += hits.iter().filter(|h| !h.common).count() as u64;
        });
        hits
    }

    fn search(&self, radii: &[Option<u32>]) -> Vec<QueryHit> {
        let mut hits = Vec::new();
        for (moment, radius) in self.moments.iter().zip(radii) {
            let Some(radius) = *radius else {
                continue;
            };
            for view in &moment.views {
                for (hash, mirrored) in [(&view.direct, false), (&view.mirrored, true)] {
                    for h in self.catalog.search_radius(hash, radius) {
                        hits.push(QueryHit {
                            query_ms: moment.t_ms,
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

    /// The segments the clip's local features support (see
    /// `vfp_matcher::local`): each clip picture, at each scale and
    /// mirrored, looks its keypoints up; a title picture found by
    /// `NOMINATING_LOOKUPS` of them is compared with it in full.
    pub fn local_matches(&self, params: &LocalParams) -> Vec<MatchSegment> {
        if self.features.is_empty() || !self.catalog.has_features() {
            return Vec::new();
        }
        let mut titles: HashMap<FeatureRef, Option<TitleFeatures>> = HashMap::new();
        let mut pairs = Vec::new();
        for frame in self.features {
            let mirrored: Vec<Keypoint> = frame
                .keypoints
                .iter()
                .map(|k| k.mirrored(frame.width))
                .collect();
            for (keypoints, is_mirrored) in [(&frame.keypoints, false), (&mirrored, true)] {
                // Every title picture a lookup lands on, once per landing,
                // in order: a picture's run is its votes (cheaper than a
                // hash map: a picture takes a few hundred landings).
                let descriptors: Vec<[u64; 4]> = keypoints.iter().map(|k| k.bits).collect();
                let (landed, took) = timed(|| {
                    self.catalog.keypoint_landings(
                        &descriptors,
                        LOOKUP_MAX_DISTANCE.min(params.max_distance),
                    )
                });
                self.add_cost(|c| {
                    c.search_s += took.as_secs_f64();
                    c.keypoint_lookups += keypoints.len() as u64;
                });
                let compared = std::time::Instant::now();
                let mut nominated: Vec<(usize, FeatureRef)> = landed
                    .chunk_by(|a, b| a == b)
                    .filter(|run| run.len() >= NOMINATING_LOOKUPS)
                    .map(|run| (run.len(), run[0]))
                    .collect();
                nominated.sort_unstable_by(|a, b| b.cmp(a));
                nominated.truncate(NOMINATED_PER_PICTURE);
                let mut clip = ClipKeypoints::new(keypoints);
                for (_, r) in nominated {
                    let title = titles
                        .entry(r)
                        .or_insert_with(|| self.catalog.feature_frame(r));
                    let Some(title) = title else {
                        continue;
                    };
                    let a = clip.inliers(&title.keypoints, params);
                    if a.count >= params.min_inliers {
                        pairs.push(LocalPair {
                            clip_ms: frame.t_ms,
                            title: title.title,
                            title_ms: title.t_ms,
                            mirrored: is_mirrored,
                            scale_pct: frame.scale_pct,
                            inliers: a.count,
                            mean_distance: a.mean_distance,
                            shift_px: a.shift_px,
                        });
                    }
                }
                self.add_cost(|c| c.match_s += compared.elapsed().as_secs_f64());
            }
        }
        self.add_cost(|c| c.keypoint_pairs += pairs.len() as u64);
        let mut sampled: Vec<u32> = self.features.iter().map(|f| f.t_ms).collect();
        sampled.dedup();
        let (segments, took) = timed(|| align_local(&pairs, &sampled, params));
        self.add_cost(|c| c.match_s += took.as_secs_f64());
        segments
    }

    /// `segments` (found by the hashes) and, for titles they do not
    /// name, the segments of the clip's local features; of `title` only,
    /// if given. The local segments obey the rule every match obeys
    /// ([`meets_the_rule`]).
    pub fn with_local_matches(
        &self,
        mut segments: Vec<MatchSegment>,
        params: &LocalParams,
        title: Option<TitleIndex>,
        rule: &MatchParams,
    ) -> Vec<MatchSegment> {
        let found: Vec<TitleIndex> = segments.iter().map(|s| s.title).collect();
        segments.extend(self.local_matches(params).into_iter().filter(|l| {
            !found.contains(&l.title)
                && title.is_none_or(|t| t == l.title)
                && meets_the_rule(l, rule, params)
        }));
        segments
    }

    /// Search (every moment at the full radius), then alignment with
    /// lines followed through the clip.
    pub fn matches(&self, params: &MatchParams) -> Vec<MatchSegment> {
        self.planned_matches(params, &SearchPlan::dense())
    }

    /// Search as `plan` says, then alignment with lines followed through
    /// the clip.
    pub fn planned_matches(&self, params: &MatchParams, plan: &SearchPlan) -> Vec<MatchSegment> {
        self.matches_of(&self.planned_hits(params.radius, plan), params)
    }

    /// Alignment of `hits` (of this clip) with lines followed through it.
    pub fn matches_of(&self, hits: &[QueryHit], params: &MatchParams) -> Vec<MatchSegment> {
        let (segments, took) = timed(|| align_followed(hits, &self.sampled_ms(), params, self));
        self.add_cost(|c| c.match_s += took.as_secs_f64());
        segments
    }
}

/// The rule for a match, whatever found it: a stretch of at least
/// [`MatchParams::min_duration_ms`] of the clip, in which at least
/// [`MatchParams::min_frames`] frames match by their hashes at one time
/// offset and speed, or (found by local features) at least
/// [`LocalParams::min_title_frames`] title pictures match by their
/// keypoints at one offset. The matcher applies the first to the segments
/// of the hashes as it makes them, the local matcher the picture count;
/// this is the whole rule, applied to every segment of local features
/// (one of 4 frames over 0.75 s was reported where the rule and the
/// user's `--min-duration` asked for more).
pub fn meets_the_rule(segment: &MatchSegment, rule: &MatchParams, local: &LocalParams) -> bool {
    let by_keypoints = segment
        .frames
        .iter()
        .all(|f| f.evidence == vfp_matcher::Evidence::Keypoints);
    let fewest = if by_keypoints {
        local.min_title_frames
    } else {
        rule.min_frames
    };
    segment.matched_frames >= fewest
        && segment.clip_end_ms.saturating_sub(segment.clip_start_ms) >= rule.min_duration_ms
}

impl Probe for ClipSearch<'_> {
    fn nearest(
        &self,
        query_ms: u32,
        title: TitleIndex,
        mirrored: bool,
        from_ms: u32,
        to_ms: u32,
    ) -> Option<NearestFrame> {
        let i = self
            .moments
            .binary_search_by_key(&query_ms, |m| m.t_ms)
            .ok()?;
        let views = &self.moments[i].views;
        self.catalog
            .title_frames_between(title, from_ms, to_ms)
            .filter(|f| !f.common)
            .inspect(|_| self.add_cost(|c| c.follow_probes += 1))
            .filter_map(|f| {
                let distance = views
                    .iter()
                    .map(|v| {
                        f.hash
                            .hamming(if mirrored { &v.mirrored } else { &v.direct })
                    })
                    .min()?;
                Some(NearestFrame {
                    title_ms: f.t_ms,
                    distance,
                })
            })
            .min_by_key(|n| (n.distance, n.title_ms))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use vfp_fingerprint::{FrameFlags, HashParams};
    use vfp_index::catalog;
    use vfp_index::synthetic::{clip_of, title, unrelated_clip, Excerpt, Rng};

    /// A catalog of three synthetic titles of 100 s, and their
    /// fingerprints.
    pub(crate) fn catalog_of_three() -> (tempfile::TempDir, Catalog, Vec<Fingerprint>) {
        let mut rng = Rng(42);
        let titles: Vec<_> = ["A", "B", "C"]
            .iter()
            .map(|id| title(id, 400, &mut rng))
            .collect();
        let fingerprints = titles.iter().map(|t| t.fingerprint.clone()).collect();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cat");
        catalog::build(&dir, HashParams::default(), titles).unwrap();
        let catalog = Catalog::open(&dir).unwrap();
        (tmp, catalog, fingerprints)
    }

    pub(crate) fn excerpt(from_ms: u32, noise_bits: u32, mirrored: bool) -> Excerpt {
        Excerpt {
            from_ms,
            len_ms: 10_000,
            step_ms: 100,
            noise_bits,
            mirrored,
        }
    }

    #[test]
    fn every_segment_obeys_one_rule_whatever_found_it() {
        use vfp_matcher::{Evidence, MatchedFrame};
        let segment = |frames: u32, over_ms: u32, evidence: Evidence| MatchSegment {
            title: vfp_fingerprint::TitleIndex(0),
            mirrored: false,
            speed: 1.0,
            offset_ms: 0.0,
            clip_start_ms: 0,
            clip_end_ms: over_ms,
            title_start_ms: 0,
            title_end_ms: over_ms,
            matched_frames: frames as usize,
            sampled_frames: frames as usize,
            coverage: 1.0,
            mean_distance: 10.0,
            score: 0.5,
            frames: (0..frames)
                .map(|i| MatchedFrame {
                    query_ms: i * over_ms / frames.max(2).saturating_sub(1).max(1),
                    title_ms: i * 100,
                    distance: 10,
                    evidence,
                })
                .collect(),
        };
        let rule = MatchParams::default();
        let local = LocalParams::default();
        // 4 keypoint pictures over 0.75 s: under the 1 s every match needs.
        assert!(!meets_the_rule(
            &segment(4, 750, Evidence::Keypoints),
            &rule,
            &local
        ));
        // 2 pictures over 1 s: what the local rule asks.
        assert!(meets_the_rule(
            &segment(2, 1_000, Evidence::Keypoints),
            &rule,
            &local
        ));
        // The user's thresholds apply to it as to the hashes.
        let strict = MatchParams {
            min_duration_ms: 10_000,
            ..rule.clone()
        };
        assert!(!meets_the_rule(
            &segment(5, 5_000, Evidence::Keypoints),
            &strict,
            &local
        ));
        let three = LocalParams {
            min_title_frames: 3,
            ..local
        };
        assert!(!meets_the_rule(
            &segment(2, 5_000, Evidence::Keypoints),
            &rule,
            &three
        ));
        // Hash frames need min_frames.
        assert!(!meets_the_rule(
            &segment(4, 2_000, Evidence::Search),
            &rule,
            &local
        ));
        assert!(meets_the_rule(
            &segment(5, 2_000, Evidence::Follow),
            &rule,
            &local
        ));
    }

    fn path() -> &'static Path {
        Path::new("clip.vfp")
    }

    #[test]
    fn a_copy_is_found_at_its_title_and_time() {
        let (_tmp, catalog, titles) = catalog_of_three();
        let clip = clip_of(&titles[1], excerpt(20_000, 8, false), &mut Rng(7));
        let search = ClipSearch::new(&catalog, path(), &clip).unwrap();
        let hits = search.hits(31);
        assert!(hits.iter().all(|h| h.title == TitleIndex(1) && !h.mirrored));
        assert!(hits.len() >= 90, "{} hits", hits.len());
        let segments = search.matches(&MatchParams::default());
        assert_eq!(segments.len(), 1, "{segments:?}");
        let s = &segments[0];
        assert_eq!((s.title, s.mirrored), (TitleIndex(1), false));
        assert!(s.clip_start_ms <= 200 && s.clip_end_ms >= 9_700, "{s:?}");
        assert!(s.title_start_ms.abs_diff(20_000) <= 250, "{s:?}");
        assert!((s.speed - 1.0).abs() < 0.01, "{s:?}");
    }

    #[test]
    fn the_plan_spreads_wide_searches_over_the_clip() {
        let plan = SearchPlan {
            tiers: vec![tier(10, 0), tier(21, 100), tier(u32::MAX, 500)],
        };
        // Moments every 33 ms for 1.2 s, and one after a gap.
        let mut times: Vec<u32> = (0..37).map(|i| i * 33).collect();
        times.push(5_000);
        let radii = plan.radii(&times, 31);
        assert!(
            radii.iter().all(Option::is_some),
            "every moment at 10 at least"
        );
        let at = |r: u32| -> Vec<u32> {
            times
                .iter()
                .zip(&radii)
                .filter(|(_, &x)| x == Some(r))
                .map(|(&t, _)| t)
                .collect()
        };
        assert_eq!(at(31), [0, 528, 1_023, 5_000]);
        assert_eq!(at(21), [132, 231, 330, 429, 627, 726, 825, 924, 1_122]);
        // The scan's radius caps every tier; dense searches all at it.
        let narrow = plan.radii(&times, 8);
        assert!(narrow.iter().all(|&r| r == Some(8)));
        let dense = SearchPlan::dense().radii(&times, 31);
        assert!(dense.iter().all(|&r| r == Some(31)));
        // A plan whose narrowest tier skips moments leaves them out.
        let sparse = SearchPlan {
            tiers: vec![tier(31, 1_000)],
        };
        let searched = sparse.radii(&times, 31).iter().flatten().count();
        assert_eq!(searched, 3);
    }

    #[test]
    fn a_planned_search_finds_a_copy_with_fewer_lookups() {
        let (_tmp, catalog, titles) = catalog_of_three();
        let clip = clip_of(&titles[1], excerpt(20_000, 8, false), &mut Rng(7));
        let search = ClipSearch::new(&catalog, path(), &clip).unwrap();
        let dense = search.matches(&MatchParams::default());
        let lookups_dense = search.cost().hash_lookups;
        let planned = search.planned_matches(&MatchParams::default(), &SearchPlan::default());
        let lookups_planned = search.cost().hash_lookups - lookups_dense;
        assert_eq!(
            lookups_dense, lookups_planned,
            "every moment is still looked up"
        );
        assert_eq!(dense.len(), 1);
        assert_eq!(planned.len(), 1);
        assert_eq!(
            (planned[0].title, planned[0].clip_start_ms / 100),
            (dense[0].title, dense[0].clip_start_ms / 100)
        );
    }

    #[test]
    fn a_mirrored_copy_is_found_mirrored() {
        let (_tmp, catalog, titles) = catalog_of_three();
        let clip = clip_of(&titles[2], excerpt(50_000, 8, true), &mut Rng(8));
        let segments = ClipSearch::new(&catalog, path(), &clip)
            .unwrap()
            .matches(&MatchParams::default());
        assert_eq!(segments.len(), 1, "{segments:?}");
        assert_eq!(
            (segments[0].title, segments[0].mirrored),
            (TitleIndex(2), true)
        );
    }

    #[test]
    fn an_unrelated_clip_finds_nothing() {
        let (_tmp, catalog, _) = catalog_of_three();
        let clip = unrelated_clip(10_000, 100, &mut Rng(9));
        let search = ClipSearch::new(&catalog, path(), &clip).unwrap();
        assert!(search.hits(31).is_empty());
        assert!(search.matches(&MatchParams::default()).is_empty());
    }

    #[test]
    fn only_informative_moments_are_searched() {
        let (_tmp, catalog, titles) = catalog_of_three();
        let mut clip = clip_of(&titles[0], excerpt(0, 0, false), &mut Rng(10));
        // Moments 0..10 are flat in every view; moment 10 only in the
        // whole picture, which the catalog's view does not need.
        for (i, f) in clip.frames.iter_mut().enumerate().take(11) {
            f.flags = FrameFlags::LOW_INFORMATION;
            if i < 10 {
                clip.views[0].frames[i].flags = FrameFlags::LOW_INFORMATION;
            }
        }
        let search = ClipSearch::new(&catalog, path(), &clip).unwrap();
        let sampled = search.sampled_ms();
        assert_eq!(sampled.len(), 90);
        assert_eq!(sampled[0], 1_000);
        assert!(sampled.windows(2).all(|w| w[0] < w[1]));
        assert!(search.hits(31).iter().all(|h| h.query_ms >= 1_000));
    }

    #[test]
    fn the_probe_finds_what_the_search_radius_misses() {
        let (_tmp, catalog, titles) = catalog_of_three();
        // 40 bits from the title: beyond the search radius, within the
        // follow radius.
        let clip = clip_of(&titles[1], excerpt(30_000, 40, false), &mut Rng(11));
        let search = ClipSearch::new(&catalog, path(), &clip).unwrap();
        assert!(search.hits(31).is_empty());
        // Clip moment 2000 ms shows title time 32000 ms.
        let near = search.nearest(2_000, TitleIndex(1), false, 31_700, 32_300);
        assert_eq!(
            near,
            Some(NearestFrame {
                title_ms: 32_000,
                distance: 40
            })
        );
        // Another title there is ~128 bits away; no moment at 2050 ms; a
        // window without frames gives nothing.
        let other = search.nearest(2_000, TitleIndex(0), false, 31_700, 32_300);
        assert!(other.is_some_and(|n| n.distance > 80), "{other:?}");
        assert_eq!(
            search.nearest(2_050, TitleIndex(1), false, 0, 100_000),
            None
        );
        assert_eq!(
            search.nearest(2_000, TitleIndex(1), false, 31_010, 31_240),
            None
        );
        assert_eq!(
            search.nearest(2_000, TitleIndex(9), false, 0, 100_000),
            None
        );
    }

    #[test]
    fn a_fingerprint_hashed_otherwise_is_refused_naming_the_file() {
        let (_tmp, catalog, titles) = catalog_of_three();
        let mut clip = clip_of(&titles[0], excerpt(0, 0, false), &mut Rng(12));
        clip.params.hash.crop_borders = false;
        let err = ClipSearch::new(&catalog, path(), &clip).err().unwrap();
        assert!(matches!(err, ScanError::Catalog { .. }), "{err:?}");
        assert_eq!(err.to_string(), "clip.vfp");
        let mut clip = clip_of(&titles[0], excerpt(0, 0, false), &mut Rng(12));
        clip.views.clear();
        let err = ClipSearch::new(&catalog, path(), &clip).err().unwrap();
        assert!(
            crate::error::chain(&err).contains("has none"),
            "{}",
            crate::error::chain(&err)
        );
    }
}
