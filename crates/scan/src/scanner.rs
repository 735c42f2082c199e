//! The scanner: one catalog, one configuration, any number of files,
//! each to a record. Safe to share between threads (a bulk scan runs one
//! file per thread on one `Scanner`).

use crate::record::{FileRecord, MatchRecord, SegmentEvidence, Verdict, Verification};
use crate::{isolate, ClipSearch, ScanConfig, ScanCost, ScanError, SearchPlan, RESCAN_FPS};
use std::path::Path;
use std::time::Instant;
use vfp_extractor::features::FeatureOptions;
use vfp_extractor::ExtractOptions;
use vfp_fingerprint::{format as vfp_format, Fingerprint, Sampling, SourceInfo, TitleIndex};
use vfp_index::Catalog;
use vfp_matcher::parts::join_parts;
use vfp_matcher::{MatchParams, MatchSegment};

/// Radius of the keyframe triage of `--fast`. Keyframes fall anywhere
/// between the catalog's samples, so the triage never searches narrower
/// than this, even when the dense scan does; there are only a few
/// keyframes per file.
pub const TRIAGE_RADIUS: u32 = 31;

/// Fewest informative keyframes for the triage to rule a file out by
/// them; a file with fewer is decoded densely. Measured on the shared dev
/// set (`scripts/eval/accuracy.sh --fast`): a copy's single keyframe hit the
/// catalog in 32 of 56 clips, and a clip's keyframes miss together more
/// often than chance (2 keyframes: 12 of 22), so a few keyframes cannot
/// vouch for a file; files with so few are mostly short, and cheap to
/// decode densely.
pub const MIN_TRIAGE_KEYFRAMES: usize = 8;

/// Files at least this long, ms, whose keyframes hit the catalog, are
/// decoded densely only around the hits (`--fast`); shorter ones whole.
pub const WINDOWED_MIN_MS: u64 = 120_000;
/// How far beyond the keyframes on either side of a hit its window
/// reaches, ms: an excerpt can begin or end anywhere between keyframes.
const WINDOW_MARGIN_MS: u32 = 5_000;
/// A window whose segment comes this near one of its ends (not the
/// file's) is widened past that end, ms.
const WINDOW_EDGE_MS: u32 = 3_000;
/// How far a window is widened at a time, ms, and how much of what was
/// decoded the widening repeats (so that the segments join).
const WINDOW_STEP_MS: u32 = 20_000;
const WINDOW_OVERLAP_MS: u32 = 5_000;

/// The fingerprint of a file: read from a `.vfp` (any sampling), decoded
/// and hashed with `options` from anything else.
pub fn fingerprint_of(path: &Path, options: &ExtractOptions) -> Result<Fingerprint, ScanError> {
    if is_fingerprint_file(path) {
        Ok(vfp_format::read_file(path)?)
    } else {
        Ok(vfp_extractor::extract(path, options)?)
    }
}

/// Whether `path` is a `.vfp` fingerprint rather than a video: by its
/// magic number, whatever its name (a crawl store names files by hash),
/// or by its extension (any case), so that a damaged `.vfp` gets the
/// fingerprint reader's error, not the decoder's.
pub fn is_fingerprint_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("vfp"))
        || crate::inputs::starts_with_fingerprint_magic(path)
}

/// What scanning a file found.
struct Scanned {
    /// The file's facts.
    source: SourceInfo,
    /// Its matched segments.
    segments: Vec<MatchSegment>,
    /// What cut the reading short, if the file could be read only in part.
    cut_short: Option<vfp_extractor::ExtractError>,
    /// Why no verdict can be given if nothing matched.
    inconclusive: Option<ScanError>,
}

/// Clips against one catalog.
#[derive(Debug)]
pub struct Scanner<'c> {
    catalog: &'c Catalog,
    config: ScanConfig,
    /// Which clip moments are searched, how far: by the configuration's
    /// mode and the catalog's size.
    plan: SearchPlan,
}

impl<'c> Scanner<'c> {
    /// A scanner of `catalog` with `config`.
    pub fn new(catalog: &'c Catalog, config: ScanConfig) -> Self {
        let plan = config.search.plan(catalog.frame_count());
        Scanner {
            catalog,
            config,
            plan,
        }
    }

    /// Which clip moments scans search, how far (`verify` searches every
    /// moment at the full radius).
    pub fn search_plan(&self) -> &SearchPlan {
        &self.plan
    }

    /// Scans one file (a video, or a `.vfp`) into its record. Never fails
    /// and never panics: a file that cannot be scanned, or that hits a
    /// bug, gets an error record naming it, so a bulk scan goes on.
    pub fn scan_path(&self, path: &Path) -> FileRecord {
        self.scan_path_costed(path).0
    }

    /// [`scan_path`](Self::scan_path), with what the scan cost: its
    /// wall-clock time, the share of it spent searching the catalog and
    /// matching, and the lookups made (`vfp bench`).
    pub fn scan_path_costed(&self, path: &Path) -> (FileRecord, ScanCost) {
        let started = Instant::now();
        let file = path.display().to_string();
        let mut cost = ScanCost::default();
        let mut record = match isolate(path, || self.scan_file(path, &mut cost)) {
            Ok(scanned) => {
                let mut record =
                    FileRecord::scanned(file, &scanned.source, self.records(&scanned.segments));
                if let Some(damage) = scanned.cut_short {
                    record.partial = true;
                    record.partial_because = Some(crate::error::chain(&damage));
                }
                if let (Some(why), true) = (scanned.inconclusive, record.matches.is_empty()) {
                    record.verdict = Verdict::Inconclusive;
                    record.inconclusive_because = Some(crate::error::chain(&why));
                }
                record
            }
            Err(e) => FileRecord::failed(file, &e),
        }
        .about(path);
        record.exploratory = self.config.exploratory;
        cost.total_s = started.elapsed().as_secs_f64();
        (record, cost)
    }

    /// Scans one file: its facts and matched segments. A video is decoded
    /// densely, or with `--fast` by its keyframes first and densely only
    /// when the keyframes cannot rule it out (a file of at least
    /// [`WINDOWED_MIN_MS`] only around the keyframes that hit, see
    /// `scan_around`); densely, in parts ([`ScanConfig::parts`]), so that
    /// memory does not grow with its length; and where a dense pass finds
    /// evidence of a title short of a match, once more at [`RESCAN_FPS`]
    /// if it sampled less densely (not the windows of `scan_around`). A
    /// file cut short (a download stopped part-way) is matched on what
    /// could be read, and says so.
    fn scan_file(&self, path: &Path, cost: &mut ScanCost) -> Result<Scanned, ScanError> {
        let whole = |source, segments| Scanned {
            source,
            segments,
            cut_short: None,
            inconclusive: None,
        };
        if is_fingerprint_file(path) {
            let fp = vfp_format::read_file(path)?;
            return match self.scan_fingerprint(path, &fp, cost) {
                Ok(segments) => {
                    let inconclusive = self.too_little(path, &fp.source, fp.informative_frames());
                    Ok(Scanned {
                        inconclusive,
                        ..whole(fp.source, segments)
                    })
                }
                Err(why) if why.is_inconclusive() => Ok(Scanned {
                    inconclusive: Some(why),
                    ..whole(fp.source, Vec::new())
                }),
                Err(e) => Err(e),
            };
        }
        if self.config.fast {
            let keys = vfp_extractor::extract(
                path,
                &ExtractOptions {
                    decoder_threads: self.config.decoder_threads,
                    time_limit: self.config.file_time_limit,
                    ..ExtractOptions::with_sampling(Sampling::Keyframes)
                },
            );
            match keys {
                Ok(keys) if keys.informative_frames() >= MIN_TRIAGE_KEYFRAMES => {
                    let hits = self.keyframe_hits(path, &keys, cost)?;
                    if hits.is_empty() {
                        return Ok(whole(keys.source, Vec::new()));
                    }
                    if keys.source.duration_ms >= WINDOWED_MIN_MS {
                        let segments = self.scan_around(path, &keys, &hits, cost)?;
                        return Ok(whole(keys.source, segments));
                    }
                }
                Ok(_) => {}
                // Cut short: the dense pass keeps what can be read.
                Err(vfp_extractor::ExtractError::Damaged { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let evidence_before = cost.evidence();
        let scanned = self.scan_densely(path, self.config.sampling, cost)?;
        match self.rescan_sampling() {
            Some(denser)
                if scanned.segments.is_empty()
                    && scanned.inconclusive.is_none()
                    && cost.evidence() > evidence_before =>
            {
                // Evidence of a title short of a match: the weakest copies
                // the denser sampling finds look like this at the first.
                // (A file too short or too blank to judge stays so.)
                cost.rescans += 1;
                self.scan_densely(path, denser, cost)
            }
            _ => Ok(scanned),
        }
    }

    /// The denser sampling of a second pass, if the scan's first samples
    /// less densely than [`RESCAN_FPS`].
    fn rescan_sampling(&self) -> Option<Sampling> {
        match self.config.sampling {
            Sampling::Dense { fps } if fps < RESCAN_FPS => {
                Some(Sampling::Dense { fps: RESCAN_FPS })
            }
            _ => None,
        }
    }

    /// One dense pass over a video, sampled as `sampling` says, in parts
    /// ([`ScanConfig::parts`]).
    fn scan_densely(
        &self,
        path: &Path,
        sampling: Sampling,
        cost: &mut ScanCost,
    ) -> Result<Scanned, ScanError> {
        let mut segments = Vec::new();
        // Informative frames over the parts (their overlaps counted
        // twice: what matters is a short file's count, which is one part).
        let mut informative = 0;
        let read = vfp_extractor::extract_in_parts(
            path,
            &ExtractOptions {
                keep_partial: true,
                ..self.options_sampled(sampling)
            },
            self.config.parts,
            |part| {
                informative += part.informative_frames();
                join_parts(&mut segments, self.scan_fingerprint(path, &part, cost)?);
                Ok::<(), ScanError>(())
            },
        )?;
        cost.stages.add(&read.times);
        let inconclusive = self.too_little(path, &read.source, informative);
        Ok(Scanned {
            source: read.source,
            segments,
            cut_short: read.cut_short,
            inconclusive,
        })
    }

    /// Why a file with `informative` frames and `source`'s length cannot be
    /// judged, if it cannot: no part of it could meet the rule for a match
    /// (a single picture, a blank clip).
    fn too_little(
        &self,
        path: &Path,
        source: &SourceInfo,
        informative: usize,
    ) -> Option<ScanError> {
        let params = self.params();
        let what = if source.duration_ms < u64::from(params.min_duration_ms) {
            "too short to judge"
        } else if informative < params.min_frames {
            "too little picture to judge"
        } else {
            return None;
        };
        Some(ScanError::TooLittle {
            path: path.to_owned(),
            what,
            informative,
            duration_s: source.duration_ms as f64 / 1000.0,
            min_frames: params.min_frames,
            min_duration_s: f64::from(params.min_duration_ms) / 1000.0,
        })
    }

    /// The matched segments of a fingerprint. A keyframe-only one (`vfp
    /// extract --keyframes`) is judged as the `--fast` triage judges
    /// keyframes: without a match, it rules the clip out only with at
    /// least [`MIN_TRIAGE_KEYFRAMES`] informative keyframes, none near the
    /// catalog; otherwise only a dense pass could tell, and it is an
    /// [`ScanError::Inconclusive`] error, never a "no match".
    fn scan_fingerprint(
        &self,
        path: &Path,
        fp: &Fingerprint,
        cost: &mut ScanCost,
    ) -> Result<Vec<MatchSegment>, ScanError> {
        let segments = self.matches(path, fp, cost)?;
        if fp.params.sampling != Sampling::Keyframes || !segments.is_empty() {
            return Ok(segments);
        }
        let informative = fp.informative_frames();
        let why = if informative < MIN_TRIAGE_KEYFRAMES {
            "too few keyframes to vouch for the file"
        } else if !self.keyframe_hits(path, fp, cost)?.is_empty() {
            "some keyframes lie near catalog frames"
        } else {
            return Ok(segments);
        };
        Err(ScanError::Inconclusive {
            path: path.to_owned(),
            informative,
            why,
        })
    }

    /// A thorough check of one file for a reviewer: every segment (of
    /// `title` only, if given) with every matched frame pair.
    pub fn verify(
        &self,
        path: &Path,
        title: Option<TitleIndex>,
    ) -> Result<Verification, ScanError> {
        // A clip cut short is checked on what can be read, and says so.
        let (fp, cut_short) = if is_fingerprint_file(path) {
            (vfp_format::read_file(path)?, None)
        } else {
            vfp_extractor::extract_partial(path, &self.dense_options())?
        };
        let search = ClipSearch::new(self.catalog, path, &fp)?;
        let params = &self.config.params;
        let mut hits = search.hits(params.radius);
        if let Some(t) = title {
            hits.retain(|h| h.title == t);
        }
        let segments: Vec<SegmentEvidence> = search
            .with_local_matches(
                search.matches_of(&hits, params),
                &self.config.local,
                title,
                params,
            )
            .iter()
            .filter_map(|s| {
                let title = self.catalog.title(s.title)?;
                let mut evidence = SegmentEvidence::new(title, s);
                evidence.public = self
                    .catalog
                    .public_covering(
                        &title.id,
                        u64::from(s.title_start_ms),
                        u64::from(s.title_end_ms),
                    )
                    .map(|p| p.reason.clone());
                Some(evidence)
            })
            .collect();
        let informative = fp.informative_frames();
        let inconclusive = if !segments.is_empty() {
            None
        } else if fp.params.sampling == Sampling::Keyframes {
            Some(ScanError::Inconclusive {
                path: path.to_owned(),
                informative,
                why: "a check needs every frame, and most are not in it",
            })
        } else {
            self.too_little(path, &fp.source, informative)
        };
        Ok(Verification {
            clip: path.display().to_string(),
            clip_sha256: fp.source.sha256_hex(),
            clip_duration_s: fp.source.duration_ms as f64 / 1000.0,
            catalog: self.catalog.path().display().to_string(),
            radius: params.radius,
            follow_radius: params.follow_radius,
            sampled_frames: search.sampled_ms().len(),
            segments,
            exploratory: self.config.exploratory,
            inconclusive_because: inconclusive.map(|e| crate::error::chain(&e)),
            partial_because: cut_short.map(|e| crate::error::chain(&e)),
        })
    }

    /// The records of `segments`.
    fn records(&self, segments: &[MatchSegment]) -> Vec<MatchRecord> {
        segments
            .iter()
            .filter_map(|s| MatchRecord::new(self.catalog, s))
            .collect()
    }

    fn dense_options(&self) -> ExtractOptions {
        self.options_sampled(self.config.sampling)
    }

    /// [`dense_options`](Self::dense_options), sampled as `sampling` says.
    fn options_sampled(&self, sampling: Sampling) -> ExtractOptions {
        ExtractOptions {
            decoder_threads: self.config.decoder_threads,
            time_limit: self.config.file_time_limit,
            ..ExtractOptions::with_sampling(sampling)
        }
        .with_features(if self.catalog.has_features() {
            FeatureOptions::clip()
        } else {
            FeatureOptions::none()
        })
    }

    fn params(&self) -> &MatchParams {
        &self.config.params
    }

    /// The clip's segments: by its hashes, then by its local features for
    /// titles the hashes did not find.
    fn matches(
        &self,
        path: &Path,
        fp: &Fingerprint,
        cost: &mut ScanCost,
    ) -> Result<Vec<MatchSegment>, ScanError> {
        let search = ClipSearch::new(self.catalog, path, fp)?;
        let segments = search.with_local_matches(
            search.planned_matches(self.params(), &self.plan),
            &self.config.local,
            None,
            self.params(),
        );
        cost.add(&search.cost());
        Ok(segments)
    }

    /// The times of the informative frames (keyframes, in the triage) that
    /// come near a catalog frame that is not common, within
    /// [`TRIAGE_RADIUS`] (or the scan's radius, if wider), in order.
    fn keyframe_hits(
        &self,
        path: &Path,
        keys: &Fingerprint,
        cost: &mut ScanCost,
    ) -> Result<Vec<u32>, ScanError> {
        let radius = self.params().radius.max(TRIAGE_RADIUS);
        let search = ClipSearch::new(self.catalog, path, keys)?;
        let mut times: Vec<u32> = search
            .hits(radius)
            .iter()
            .filter(|h| !h.common)
            .map(|h| h.query_ms)
            .collect();
        cost.add(&search.cost());
        times.sort_unstable();
        times.dedup();
        Ok(times)
    }

    /// A long file's segments, decoded densely only around its keyframes
    /// that hit the catalog (`hit_ms`): from the keyframe before each hit
    /// to the one after, [`WINDOW_MARGIN_MS`] wider, and widened while a
    /// segment runs into a window's end. An excerpt none of whose
    /// keyframes hit is missed, as the triage misses a file whose
    /// keyframes all miss.
    fn scan_around(
        &self,
        path: &Path,
        keys: &Fingerprint,
        hit_ms: &[u32],
        cost: &mut ScanCost,
    ) -> Result<Vec<MatchSegment>, ScanError> {
        let end_ms = u32::try_from(keys.source.duration_ms).unwrap_or(u32::MAX);
        let key_ms: Vec<u32> = keys.frames.iter().map(|f| f.t_ms).collect();
        let mut pending: Vec<(u32, u32)> = hit_ms
            .iter()
            .map(|&t| {
                let i = key_ms.partition_point(|&k| k < t);
                let before = i.checked_sub(1).map_or(0, |b| key_ms[b]);
                let after = key_ms.get(i + 1).copied().unwrap_or(end_ms);
                (
                    before.saturating_sub(WINDOW_MARGIN_MS),
                    after.saturating_add(WINDOW_MARGIN_MS).min(end_ms),
                )
            })
            .collect();
        // Neighbouring hits share one window.
        pending.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::new();
        for (from, to) in pending {
            match merged.last_mut() {
                Some(last) if from <= last.1 => last.1 = last.1.max(to),
                _ => merged.push((from, to)),
            }
        }
        let mut pending = merged;
        let mut decoded: Vec<(u32, u32)> = Vec::new();
        let mut segments = Vec::new();
        let options = self.dense_options();
        while let Some(window) = pending.pop() {
            let Some((from, to)) = uncovered(window, &decoded) else {
                continue;
            };
            let fp = vfp_extractor::extract_range(path, &options, from, to)?;
            let found = self.scan_fingerprint(path, &fp, cost)?;
            // An end inside a stretch decoded before is no end of the copy's.
            let open_end = |t: u32| !decoded.iter().any(|&(a, b)| a <= t && t <= b);
            for s in &found {
                if from > 0
                    && s.clip_start_ms <= from.saturating_add(WINDOW_EDGE_MS)
                    && open_end(from - 1)
                {
                    pending.push((
                        from.saturating_sub(WINDOW_STEP_MS),
                        from.saturating_add(WINDOW_OVERLAP_MS),
                    ));
                }
                if to < end_ms
                    && s.clip_end_ms.saturating_add(WINDOW_EDGE_MS) >= to
                    && open_end(to + 1)
                {
                    pending.push((
                        to.saturating_sub(WINDOW_OVERLAP_MS),
                        to.saturating_add(WINDOW_STEP_MS).min(end_ms),
                    ));
                }
            }
            decoded.push((from, to));
            join_parts(&mut segments, found);
        }
        Ok(segments)
    }
}

/// The part of `window` (from, to; ms) still to decode given the ranges
/// already `decoded`, keeping [`WINDOW_OVERLAP_MS`] of them so that
/// segments join; `None` if it lies within one of them.
fn uncovered(window: (u32, u32), decoded: &[(u32, u32)]) -> Option<(u32, u32)> {
    let (mut from, mut to) = window;
    for &(a, b) in decoded {
        if a <= from && to <= b {
            return None;
        }
        if a <= from && from < b {
            from = b.saturating_sub(WINDOW_OVERLAP_MS).max(from);
        }
        if a < to && to <= b {
            to = a.saturating_add(WINDOW_OVERLAP_MS).min(to);
        }
    }
    (from < to).then_some((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{FoundBy, Verdict};
    use crate::search::tests::{catalog_of_three, excerpt};
    use vfp_index::synthetic::{clip_of, unrelated_clip, Rng};

    /// `fp` written as `name` in `dir`.
    fn vfp_file(dir: &Path, name: &str, fp: &Fingerprint) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, vfp_format::encode(fp).unwrap()).unwrap();
        path
    }

    fn keyframes(mut fp: Fingerprint) -> Fingerprint {
        fp.params.sampling = Sampling::Keyframes;
        fp
    }

    #[test]
    fn a_copy_scans_to_a_match_record() {
        let (tmp, catalog, titles) = catalog_of_three();
        let scanner = Scanner::new(&catalog, ScanConfig::default());
        let clip = clip_of(&titles[1], excerpt(20_000, 8, false), &mut Rng(1));
        let record = scanner.scan_path(&vfp_file(tmp.path(), "copy.vfp", &clip));
        assert_eq!(record.verdict, Verdict::Match, "{record:?}");
        assert!(record.file.ends_with("copy.vfp"));
        assert_eq!(record.sha256.as_deref(), Some("07".repeat(32).as_str()));
        assert_eq!(record.duration_s, Some(10.0));
        assert_eq!(record.matches.len(), 1);
        let m = &record.matches[0];
        assert_eq!((m.title_id.as_str(), m.mirrored), ("B", false));
        assert!((m.title_start_s - 20.0).abs() <= 0.25, "{m:?}");
        assert_eq!(m.score, (m.score * 1000.0).round() / 1000.0, "rounded");
    }

    #[test]
    fn a_scan_says_what_it_cost() {
        let (tmp, catalog, titles) = catalog_of_three();
        let scanner = Scanner::new(&catalog, ScanConfig::default());
        let clip = clip_of(&titles[1], excerpt(20_000, 8, false), &mut Rng(1));
        let (record, cost) = scanner.scan_path_costed(&vfp_file(tmp.path(), "copy.vfp", &clip));
        assert_eq!(record.verdict, Verdict::Match);
        // 100 moments, two views each (the whole picture and the
        // catalog's), looked up direct and mirrored.
        assert_eq!((cost.moments, cost.hash_lookups), (100, 400));
        assert!(cost.hash_hits >= 90, "{cost:?}");
        assert!(cost.search_s > 0.0 && cost.hash_search_s == cost.search_s);
        assert!(cost.total_s >= cost.search_s + cost.match_s, "{cost:?}");
        let (failed, cost) = scanner.scan_path_costed(&tmp.path().join("missing.vfp"));
        assert_eq!(failed.verdict, Verdict::Error);
        assert_eq!(cost.hash_lookups, 0);
    }

    #[test]
    fn an_unrelated_clip_scans_to_no_match() {
        let (tmp, catalog, _) = catalog_of_three();
        let scanner = Scanner::new(&catalog, ScanConfig::default());
        let clip = unrelated_clip(10_000, 100, &mut Rng(2));
        let record = scanner.scan_path(&vfp_file(tmp.path(), "other.vfp", &clip));
        assert_eq!(record.verdict, Verdict::NoMatch);
        assert!(record.matches.is_empty() && record.error.is_none());
    }

    #[test]
    fn bad_files_become_error_records_naming_them() {
        let (tmp, catalog, _) = catalog_of_three();
        let scanner = Scanner::new(&catalog, ScanConfig::default());
        let missing = tmp.path().join("missing.mp4");
        let garbage = tmp.path().join("garbage.vfp");
        std::fs::write(&garbage, b"not a fingerprint").unwrap();
        for path in [missing, garbage] {
            let record = scanner.scan_path(&path);
            assert_eq!(record.verdict, Verdict::Error);
            let error = record.error.unwrap();
            assert!(error.starts_with(&path.display().to_string()), "{error}");
            assert!(record.sha256.is_none() && record.duration_s.is_none());
        }
    }

    #[test]
    fn a_keyframe_only_fingerprint_is_inconclusive_never_no_match_on_too_little() {
        let (tmp, catalog, titles) = catalog_of_three();
        let scanner = Scanner::new(&catalog, ScanConfig::default());
        let scan =
            |name: &str, fp: Fingerprint| scanner.scan_path(&vfp_file(tmp.path(), name, &fp));
        // Five unrelated keyframes cannot vouch for a file.
        let few = scan(
            "few.vfp",
            keyframes(unrelated_clip(10_000, 2_000, &mut Rng(3))),
        );
        assert_eq!(few.verdict, Verdict::Inconclusive, "{few:?}");
        assert!(few.error.is_none() && few.sha256.is_some());
        assert!(few
            .inconclusive_because
            .unwrap()
            .contains("too few keyframes"));
        // Twenty, none near the catalog: what the --fast triage rules out.
        let many = scan(
            "many.vfp",
            keyframes(unrelated_clip(40_000, 2_000, &mut Rng(4))),
        );
        assert_eq!(many.verdict, Verdict::NoMatch, "{many:?}");
        // Twenty with one near a catalog frame: only a dense pass can tell.
        let mut near = keyframes(unrelated_clip(40_000, 2_000, &mut Rng(5)));
        near.views[0].frames[7].hash = titles[0].views[0].frames[100].hash;
        let near = scan("near.vfp", near);
        assert_eq!(near.verdict, Verdict::Inconclusive, "{near:?}");
        assert!(near
            .inconclusive_because
            .unwrap()
            .contains("near catalog frames"));
        // A check of every frame cannot be made of keyframes either.
        let path = vfp_file(
            tmp.path(),
            "few-again.vfp",
            &keyframes(unrelated_clip(10_000, 2_000, &mut Rng(3))),
        );
        let v = scanner.verify(&path, None).unwrap();
        assert_eq!(v.verdict(), Verdict::Inconclusive, "{v:?}");
        // Keyframes of a copy still match.
        let copy = clip_of(
            &titles[2],
            vfp_index::synthetic::Excerpt {
                step_ms: 1_000,
                ..excerpt(10_000, 4, false)
            },
            &mut Rng(6),
        );
        let copy = scan("copy.vfp", keyframes(copy));
        assert_eq!(copy.verdict, Verdict::Match, "{copy:?}");
        assert_eq!(copy.matches[0].title_id, "C");
    }

    #[test]
    fn a_clip_too_short_or_too_blank_for_any_match_is_inconclusive() {
        let (tmp, catalog, titles) = catalog_of_three();
        let scanner = Scanner::new(&catalog, ScanConfig::default());
        // 0.5 s of a title: shorter than any match may be.
        let short = clip_of(
            &titles[0],
            vfp_index::synthetic::Excerpt {
                len_ms: 500,
                ..excerpt(20_000, 4, false)
            },
            &mut Rng(8),
        );
        let record = scanner.scan_path(&vfp_file(tmp.path(), "short.vfp", &short));
        assert_eq!(record.verdict, Verdict::Inconclusive, "{record:?}");
        assert!(record
            .inconclusive_because
            .as_deref()
            .unwrap()
            .contains("too short to judge"));
        let v = scanner
            .verify(&vfp_file(tmp.path(), "short.vfp", &short), None)
            .unwrap();
        assert_eq!(v.verdict(), Verdict::Inconclusive);
        // 10 s of unrelated video stays a "no match".
        let other = unrelated_clip(10_000, 100, &mut Rng(9));
        let record = scanner.scan_path(&vfp_file(tmp.path(), "other.vfp", &other));
        assert_eq!(record.verdict, Verdict::NoMatch);
    }

    #[test]
    fn verify_gives_every_frame_pair_of_the_title_asked_for() {
        let (tmp, catalog, titles) = catalog_of_three();
        let scanner = Scanner::new(&catalog, ScanConfig::default());
        let clip = clip_of(&titles[1], excerpt(60_000, 8, false), &mut Rng(7));
        let path = vfp_file(tmp.path(), "copy.vfp", &clip);
        let v = scanner.verify(&path, None).unwrap();
        assert_eq!(v.segments.len(), 1, "{v:?}");
        assert_eq!(v.sampled_frames, 100);
        let s = &v.segments[0];
        assert_eq!(s.title_id, "B");
        assert_eq!(s.title_source_path, "/synthetic/B.mp4");
        assert_eq!(s.frames.len(), s.matched_frames);
        assert!(s.frames.windows(2).all(|w| w[0].clip_ms < w[1].clip_ms));
        assert_eq!(
            s.searched_frames,
            s.frames
                .iter()
                .filter(|f| f.found_by == FoundBy::Search)
                .count()
        );
        assert!(s.clip_start.starts_with("00:00:00."), "{}", s.clip_start);
        assert!(s.title_start.starts_with("00:01:00.") || s.title_start.starts_with("00:00:59."));
        let a = catalog.find_title("A").unwrap();
        assert!(scanner.verify(&path, Some(a)).unwrap().segments.is_empty());
        assert!(matches!(
            scanner.verify(&tmp.path().join("missing.vfp"), None),
            Err(ScanError::Vfp(_))
        ));
    }
}
