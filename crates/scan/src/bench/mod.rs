//! What scanning files against a catalog costs on this machine (`vfp
//! bench`).
//!
//! Per file ([`bench_file`]): its bytes read once, so that no timed pass
//! pays for the disk; then, `repeat` times in turn, a decode-only pass
//! (the physical limit of any scan of the file, measured in the same run:
//! every frame, or keyframes only for `--fast`) and a scan with its
//! [`ScanCost`]; the median of each is kept. Over the files
//! ([`BenchTotals::of`]): the totals, the time by stage (decode; framing
//! and hashing; catalog search; matching) and the rates a capacity plan
//! needs, with "scan time / decode-only time" as the headline, since it
//! holds on any machine. [`bench_parallel`] adds the throughput of many
//! files in flight.

pub mod material;

use crate::error::chain;
use crate::process::cpu_time_s;
use crate::{is_fingerprint_file, isolate, ScanCost, ScanError, Scanner, Verdict};
use rayon::prelude::*;
use serde::Serialize;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How each file is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BenchPlan {
    /// Decode-only passes and scans per file (their medians are kept).
    pub repeat: usize,
    /// The scanner triages by keyframes (`--fast`): the reference is a
    /// keyframe-only decode.
    pub fast: bool,
    /// Decoder threads of the decode-only pass: the scanner's.
    pub decoder_threads: usize,
}

/// The video stream as the decode-only pass found it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VideoFacts {
    /// Coded width, pixels.
    pub width: u32,
    /// Coded height, pixels.
    pub height: u32,
    /// Codec short name.
    pub codec: String,
    /// Frames decoded by one decode-only pass.
    pub decoded_frames: u64,
}

/// One file's measurements.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileBench {
    /// The path as given.
    pub file: String,
    /// What the scan concluded.
    pub verdict: Verdict,
    /// Matched segments.
    pub matches: usize,
    /// Why the file could not be scanned (or decoded), naming it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Duration of the video, s (0 when it could not be scanned).
    pub clip_s: f64,
    /// The stream, if it decoded (not for a `.vfp`).
    pub video: Option<VideoFacts>,
    /// Median wall-clock time of the decode-only passes, s (none for a
    /// `.vfp`, or when the file does not decode).
    pub decode_only_s: Option<f64>,
    /// The scan with the median wall-clock time.
    pub scan: ScanCost,
    /// CPU time of that scan, every thread, s.
    pub scan_cpu_s: f64,
}

impl FileBench {
    /// Whether the file counts toward the stage split and the ratio: it
    /// was scanned and decoded.
    fn measured(&self) -> bool {
        self.error.is_none() && self.decode_only_s.is_some()
    }
}

/// Measures the scan of `path` by `scanner` against its decode-only
/// passes, as `plan` says. Never fails: a file that cannot be scanned
/// gets its error, as in a scan.
pub fn bench_file(scanner: &Scanner, path: &Path, plan: &BenchPlan) -> FileBench {
    read_once(path);
    let mut decodes = Vec::new();
    let mut scans = Vec::new();
    let mut video = None;
    let mut decode_error = None;
    for _ in 0..plan.repeat.max(1) {
        if !is_fingerprint_file(path) && decode_error.is_none() {
            let started = Instant::now();
            let decoded = isolate(path, || {
                vfp_extractor::decode_only(path, plan.decoder_threads, plan.fast)
                    .map_err(ScanError::from)
            });
            match decoded {
                Ok(d) => {
                    decodes.push(started.elapsed().as_secs_f64());
                    video = Some(VideoFacts {
                        width: d.width,
                        height: d.height,
                        codec: d.codec,
                        decoded_frames: d.frames,
                    });
                }
                Err(e) => decode_error = Some(chain(&e)),
            }
        }
        let cpu = cpu_time_s();
        let (record, cost) = scanner.scan_path_costed(path);
        scans.push((cost, cpu_time_s() - cpu, record));
    }
    scans.sort_by(|a, b| a.0.total_s.total_cmp(&b.0.total_s));
    let (scan, scan_cpu_s, record) = scans.swap_remove(scans.len() / 2);
    FileBench {
        file: path.display().to_string(),
        verdict: record.verdict,
        matches: record.matches.len(),
        error: record.error.or(decode_error),
        clip_s: record.duration_s.unwrap_or(0.0),
        video,
        decode_only_s: median(&mut decodes),
        scan,
        scan_cpu_s,
    }
}

/// Reads the file through once (untimed), so that its bytes are in the
/// page cache for every timed pass alike.
fn read_once(path: &Path) {
    if let Ok(mut file) = std::fs::File::open(path) {
        let mut buf = vec![0u8; 1 << 20];
        while matches!(file.read(&mut buf), Ok(n) if n > 0) {}
    }
}

/// The median of `values` (the upper one of an even count), sorting them;
/// `None` if there are none.
pub fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied()
}

/// Time of one stage and its share of the scan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Stage {
    /// Seconds over the measured files.
    pub s: f64,
    /// Share of the scan's time, 0-1.
    pub share: f64,
}

/// Where a scan's time goes, over the files that were both scanned and
/// decoded, each stage as measured where it ran in the scan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Stages {
    /// Reading the file for its SHA-256.
    pub read: Stage,
    /// Demuxing and decoding, in the scan (fewer frames than the
    /// decode-only pass where the scan skips what it does not sample).
    pub decode: Stage,
    /// swscale: decoded frames to the working and the features' pictures.
    pub scale: Stage,
    /// Framing: borders, captions, tilt, inset, split screen, screen.
    pub framing: Stage,
    /// Resampling each view of each sample to the hash's input.
    pub views: Stage,
    /// DCT hashing of the views.
    pub hash: Stage,
    /// Local features: scale pyramid, corners, descriptors.
    pub features: Stage,
    /// The rest of the extraction: sampling, handing parts over, clocks.
    pub other: Stage,
    /// Catalog search: hash and keypoint lookups.
    pub search: Stage,
    /// Matching: lines of consistent offset followed through the clip,
    /// keypoint comparisons.
    pub matching: Stage,
}

impl Stages {
    /// Decoding, framing and hashing: everything before the catalog.
    pub fn extraction(&self) -> Stage {
        let all = [
            self.read,
            self.decode,
            self.scale,
            self.framing,
            self.views,
            self.hash,
            self.features,
            self.other,
        ];
        all.iter().fold(Stage::default(), |sum, st| Stage {
            s: sum.s + st.s,
            share: sum.share + st.share,
        })
    }
}

/// The figures over all files of a bench.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct BenchTotals {
    /// Files measured.
    pub files: usize,
    /// Of which matched, not matched, failed.
    pub matched: usize,
    /// Files scanned without a match.
    pub no_match: usize,
    /// Files that could not be scanned or decoded.
    pub errors: usize,
    /// Video scanned, s.
    pub clip_s: f64,
    /// Wall-clock time of the scans (medians, summed), s.
    pub scan_s: f64,
    /// CPU time of those scans, s.
    pub scan_cpu_s: f64,
    /// Decode-only time of the files also scanned, s.
    pub decode_only_s: f64,
    /// Scan time over decode-only time, of the files both apply to: the
    /// headline (1.0 is the physical limit).
    pub scan_over_decode: Option<f64>,
    /// Files scanned per second, one at a time.
    pub files_per_s: f64,
    /// Seconds of video scanned per second of CPU.
    pub clip_s_per_core_s: f64,
    /// Seconds of video decoded per second by the decode-only passes.
    pub decode_only_clip_s_per_s: Option<f64>,
    /// The scan's time by stage.
    pub stages: Stages,
    /// The scans' costs summed (times and counts).
    pub cost: ScanCost,
    /// Hash lookups a second of search time.
    pub lookups_per_s: Option<f64>,
    /// Catalog frames found per hash lookup.
    pub hits_per_lookup: Option<f64>,
}

impl BenchTotals {
    /// Sums `files`.
    pub fn of(files: &[FileBench]) -> BenchTotals {
        let mut t = BenchTotals {
            files: files.len(),
            ..BenchTotals::default()
        };
        let mut measured_clip_s = 0.0;
        let mut measured_scan_s = 0.0;
        let mut staged = ScanCost::default();
        for f in files {
            match (&f.error, f.verdict) {
                // Bench is given its files, and skips none.
                (Some(_), _) | (None, Verdict::Error | Verdict::Skipped) => t.errors += 1,
                (None, Verdict::Match) => t.matched += 1,
                (None, Verdict::NoMatch | Verdict::Inconclusive) => t.no_match += 1,
            }
            t.clip_s += f.clip_s;
            t.scan_s += f.scan.total_s;
            t.scan_cpu_s += f.scan_cpu_s;
            t.cost.add(&f.scan);
            if let (true, Some(decode_s)) = (f.measured(), f.decode_only_s) {
                t.decode_only_s += decode_s;
                measured_clip_s += f.clip_s;
                measured_scan_s += f.scan.total_s;
                staged.add(&f.scan);
            }
        }
        let per = |n: f64, d: f64| (d > 0.0).then(|| n / d);
        t.scan_over_decode = per(measured_scan_s, t.decode_only_s);
        t.files_per_s = per(files.len() as f64, t.scan_s).unwrap_or(0.0);
        t.clip_s_per_core_s = per(t.clip_s, t.scan_cpu_s).unwrap_or(0.0);
        t.decode_only_clip_s_per_s = per(measured_clip_s, t.decode_only_s);
        let stage = |s: f64| Stage {
            s,
            share: per(s, measured_scan_s).unwrap_or(0.0),
        };
        let x = &staged.stages;
        t.stages = Stages {
            read: stage(x.read_s),
            decode: stage(x.decode_s),
            scale: stage(x.scale_s),
            framing: stage(x.framing_s),
            views: stage(x.views_s),
            hash: stage(x.hash_s),
            features: stage(x.features_s),
            other: stage((staged.extract_s() - x.total_s()).max(0.0)),
            search: stage(staged.search_s),
            matching: stage(staged.match_s),
        };
        t.lookups_per_s = per(t.cost.hash_lookups as f64, t.cost.hash_search_s);
        t.hits_per_lookup = per(t.cost.hash_hits as f64, t.cost.hash_lookups as f64);
        t
    }
}

/// Many files in flight at once.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ParallelBench {
    /// Files scanned at once (one decoder thread each).
    pub jobs: usize,
    /// Wall-clock time of scanning every file once, s.
    pub wall_s: f64,
    /// Files scanned per second.
    pub files_per_s: f64,
    /// Seconds of video scanned per second.
    pub clip_s_per_s: f64,
    /// Throughput over `jobs` × the one-at-a-time throughput (1.0: no
    /// serial bottleneck, no contention).
    pub efficiency: f64,
}

/// Scans `files` once with `jobs` in flight and compares the throughput
/// with the one-at-a-time figures of `single` (the same files, measured
/// by [`bench_file`] with the same scanner settings).
pub fn bench_parallel(
    scanner: &Scanner,
    files: &[PathBuf],
    jobs: usize,
    single: &BenchTotals,
) -> Result<ParallelBench, rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
    let started = Instant::now();
    let clip_s: f64 = pool.install(|| {
        files
            .par_iter()
            .map(|path| scanner.scan_path(path).duration_s.unwrap_or(0.0))
            .sum()
    });
    let wall_s = started.elapsed().as_secs_f64().max(1e-9);
    Ok(ParallelBench {
        jobs,
        wall_s,
        files_per_s: files.len() as f64 / wall_s,
        clip_s_per_s: clip_s / wall_s,
        efficiency: single.scan_s / (jobs as f64 * wall_s),
    })
}

/// The machine a bench ran on.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Machine {
    /// Cores available to the process.
    pub cores: usize,
    /// The processor's model name, where the system says.
    pub cpu: Option<String>,
}

impl Machine {
    /// This machine.
    pub fn this() -> Machine {
        Machine {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu: std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, name)| name.trim().to_owned())
            }),
        }
    }
}

/// The catalog a bench searched.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CatalogFacts {
    /// The folder given, or the built-in catalog's.
    pub path: String,
    /// Whether it is the built-in catalog of generated titles.
    pub built_in: bool,
    /// Titles, the padding's included.
    pub titles: usize,
    /// Catalog frames (stored hashes), the padding's included.
    pub frames: usize,
    /// Of which synthetic padding (`--pad-frames`).
    pub padded_frames: u64,
    /// Segment files.
    pub segments: usize,
    /// Bytes on disk.
    pub bytes: u64,
    /// Of which the search structures.
    pub search_bytes: u64,
    /// Bytes on disk per catalog frame, search structures and local
    /// features included.
    pub bytes_per_frame: f64,
    /// Whether titles carry local features (zooms, pans).
    pub local_features: bool,
    /// Median time to open it (read the manifest, map the segments), ms.
    pub open_ms: f64,
    /// Time to add the padding, s, and its rate, frames/s.
    pub pad_build_s: Option<f64>,
    /// Padding frames added per second.
    pub pad_frames_per_s: Option<f64>,
}

/// How a bench measured.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BenchSettings {
    /// Decode-only passes and scans per file.
    pub repeat: usize,
    /// The scan triages by keyframes (`--fast`).
    pub fast: bool,
    /// Search radius, bits.
    pub radius: u32,
    /// Follow radius, bits.
    pub follow_radius: u32,
    /// Clip samples per second (dense scans).
    pub fps: f32,
    /// Decoder threads per file.
    pub decoder_threads: usize,
    /// Every clip moment searched within the full radius (else the
    /// tiered [`SearchPlan`](crate::SearchPlan)).
    pub dense_search: bool,
}

/// Everything `vfp bench` measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BenchReport {
    /// The version of vfp that ran.
    pub vfp_version: String,
    /// Where it ran.
    pub machine: Machine,
    /// How it measured.
    pub settings: BenchSettings,
    /// What it searched.
    pub catalog: CatalogFacts,
    /// Whether the files are the built-in generated clips.
    pub built_in_files: bool,
    /// Per file.
    pub files: Vec<FileBench>,
    /// Over all files, one at a time.
    pub totals: BenchTotals,
    /// Many files in flight (`-j`).
    pub parallel: Option<ParallelBench>,
    /// Peak resident memory while scanning, bytes (the catalog's mapped
    /// pages read included).
    pub peak_rss_bytes: u64,
    /// Since when that peak counts.
    pub peak_rss_scope: crate::process::PeakScope,
    /// The conclusion in a sentence or two.
    pub verdict: String,
    /// How many cores a given load needs (`--files-per-day`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sizing: Option<Sizing>,
}

/// How many cores scan a day's files, at the measured CPU cost.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sizing {
    /// Files a day.
    pub files_per_day: u64,
    /// Their mean length, seconds.
    pub clip_seconds: f64,
    /// Whether that length was given (else: the measured files' mean).
    pub clip_seconds_given: bool,
    /// Seconds of video scanned a day.
    pub video_s_per_day: f64,
    /// Seconds of video one core scans per second, as measured.
    pub video_s_per_core_s: f64,
    /// Cores busy around the clock.
    pub cores: f64,
}

impl Sizing {
    /// The cores `files_per_day` files of `clip_seconds` (the measured
    /// mean if none) need at `totals`' cost; `None` without a measured
    /// cost.
    pub fn of(
        totals: &BenchTotals,
        files_per_day: u64,
        clip_seconds: Option<f64>,
    ) -> Option<Sizing> {
        let rate = totals.clip_s_per_core_s;
        if !(rate.is_finite() && rate > 0.0) || totals.files == 0 {
            return None;
        }
        let mean_s = totals.clip_s / totals.files as f64;
        let clip_seconds_given = clip_seconds.is_some();
        let clip_seconds = clip_seconds.unwrap_or(mean_s);
        let video_s_per_day = files_per_day as f64 * clip_seconds;
        Some(Sizing {
            files_per_day,
            clip_seconds,
            clip_seconds_given,
            video_s_per_day,
            video_s_per_core_s: rate,
            cores: video_s_per_day / rate / 86_400.0,
        })
    }
}

/// Search and matching above this share of the scan: they, not decoding,
/// set the throughput.
pub const BOUND_SHARE: f64 = 0.2;

/// The conclusion of `totals` in plain words: what bounds the scan, and
/// the headline ratio.
pub fn verdict(totals: &BenchTotals, fast: bool) -> String {
    let reference = if fast {
        "decoding keyframes alone"
    } else {
        "decoding alone"
    };
    let Some(ratio) = totals.scan_over_decode else {
        return "No file was both decoded and scanned: nothing to compare the scan with.".into();
    };
    let st = &totals.stages;
    let pct = |x: f64| format!("{:.0} %", x * 100.0);
    let added = st.search.share + st.matching.share;
    let bound = if added <= BOUND_SHARE {
        "the catalog adds little: the scan is bound by decoding and hashing the clips"
    } else if st.search.share >= st.matching.share {
        "the catalog search is a large part of the cost, and grows with the catalog"
    } else {
        "matching (alignment, keypoint comparisons) is a large part of the cost"
    };
    let hashing = st.extraction().share - st.decode.share;
    let mut text = format!(
        "Decoding is {} of the scan, framing and hashing {}, catalog search {}, matching {}: {bound}. The scan takes {ratio:.2} × the time of {reference} on the same files.",
        pct(st.decode.share),
        pct(hashing),
        pct(st.search.share),
        pct(st.matching.share),
    );
    // A scan can cost less than decoding every frame: say why, or the
    // figure reads as a measuring error.
    let decoded = st.decode.s / totals.decode_only_s;
    if !fast && decoded < SKIPPED_DECODING {
        text.push_str(&format!(
            " Its decoding took {decoded:.2} × decoding every frame: frames that no sample shows and no other frame refers to are not decoded."
        ));
    }
    text
}

/// Below this share of decoding every frame, the verdict says the scan
/// skipped frames.
const SKIPPED_DECODING: f64 = 0.9;

#[cfg(test)]
mod tests {

    #[test]
    fn a_fleet_is_sized_by_the_cpu_cost_of_a_second_of_video() {
        let totals = BenchTotals {
            files: 4,
            clip_s: 40.0,
            clip_s_per_core_s: 5.0,
            ..BenchTotals::default()
        };
        // 864,000 files of 10 s: 8.64 M s of video, at 5 s a CPU-second:
        // 1.728 M CPU-seconds, 20 cores for a day.
        let z = Sizing::of(&totals, 864_000, None).unwrap();
        assert_eq!(z.clip_seconds, 10.0);
        assert!(!z.clip_seconds_given);
        assert!((z.cores - 20.0).abs() < 1e-9, "{z:?}");
        let z = Sizing::of(&totals, 864_000, Some(30.0)).unwrap();
        assert!((z.cores - 60.0).abs() < 1e-9, "{z:?}");
        let nothing = BenchTotals::default();
        assert!(Sizing::of(&nothing, 10, None).is_none());
    }

    use super::*;

    fn file(decode_s: Option<f64>, total_s: f64, search_s: f64, error: bool) -> FileBench {
        FileBench {
            file: "a.mp4".into(),
            verdict: if error {
                Verdict::Error
            } else {
                Verdict::Match
            },
            matches: usize::from(!error),
            error: error.then(|| "a.mp4: broken".into()),
            clip_s: 10.0,
            video: None,
            decode_only_s: decode_s,
            scan: ScanCost {
                total_s,
                search_s,
                hash_search_s: search_s,
                match_s: 0.1,
                hash_lookups: 100,
                hash_hits: 5,
                // Half the extraction decoding, a quarter hashing.
                stages: vfp_extractor::StageTimes {
                    decode_s: (total_s - search_s - 0.1) / 2.0,
                    hash_s: (total_s - search_s - 0.1) / 4.0,
                    ..Default::default()
                },
                ..ScanCost::default()
            },
            scan_cpu_s: total_s,
        }
    }

    #[test]
    fn totals_split_the_scan_by_stage_over_the_measured_files() {
        let files = [
            file(Some(1.0), 2.0, 0.4, false),
            file(Some(2.0), 3.0, 0.4, false),
            // A .vfp: scanned, no decode reference.
            file(None, 0.5, 0.4, false),
            file(None, 0.1, 0.0, true),
        ];
        let t = BenchTotals::of(&files);
        assert_eq!((t.files, t.matched, t.errors), (4, 3, 1));
        assert_eq!(t.scan_over_decode, Some(5.0 / 3.0));
        assert_eq!(t.decode_only_s, 3.0);
        // 5.0 s of scans: 0.8 search, 0.2 matching, 4.0 extraction of
        // which 2.0 decoding, 1.0 hashing and 1.0 left over.
        let st = &t.stages;
        assert!((st.decode.s - 2.0).abs() < 1e-9, "{st:?}");
        assert!((st.hash.s - 1.0).abs() < 1e-9, "{st:?}");
        assert!((st.other.s - 1.0).abs() < 1e-9, "{st:?}");
        assert!((st.search.s - 0.8).abs() < 1e-9);
        assert!((st.extraction().s - 4.0).abs() < 1e-9);
        let shares = st.extraction().share + st.search.share + st.matching.share;
        assert!((shares - 1.0).abs() < 1e-9, "{shares}");
        assert!((st.decode.share - 0.4).abs() < 1e-9);
        assert_eq!(t.cost.hash_lookups, 400);
        assert_eq!(t.hits_per_lookup, Some(0.05));
        assert!((t.lookups_per_s.unwrap() - 400.0 / 1.2).abs() < 1e-6);
        assert_eq!(t.clip_s, 40.0);
        assert!((t.files_per_s - 4.0 / 5.6).abs() < 1e-9);
    }

    #[test]
    fn stages_measured_beyond_the_scans_time_leave_nothing_over_not_less() {
        let mut f = file(Some(3.0), 2.0, 0.4, false);
        f.scan.stages.features_s = 5.0;
        let t = BenchTotals::of(&[f]);
        assert_eq!(t.stages.other.s, 0.0, "{:?}", t.stages);
    }

    #[test]
    fn the_verdict_names_what_bounds_the_scan() {
        let decode_bound = BenchTotals::of(&[file(Some(1.0), 1.2, 0.05, false)]);
        let text = verdict(&decode_bound, false);
        assert!(text.contains("bound by decoding and hashing"), "{text}");
        assert!(text.contains("1.20 × the time of decoding alone"), "{text}");
        // 0.55 s of decoding in the scan, against 1 s decoding every
        // frame, and against 0.5 s.
        let skipping = BenchTotals::of(&[file(Some(1.0), 1.25, 0.05, false)]);
        let text = verdict(&skipping, false);
        assert!(text.contains("took 0.55 × decoding every frame"), "{text}");
        let every_frame = BenchTotals::of(&[file(Some(0.5), 1.25, 0.05, false)]);
        let text = verdict(&every_frame, false);
        assert!(!text.contains("not decoded"), "{text}");
        let search_bound = BenchTotals::of(&[file(Some(1.0), 3.0, 1.5, false)]);
        let text = verdict(&search_bound, true);
        assert!(text.contains("catalog search"), "{text}");
        assert!(text.contains("catalog search 50 %"), "{text}");
        assert!(text.contains("keyframes alone"), "{text}");
        assert!(verdict(&BenchTotals::of(&[]), false).contains("nothing to compare"));
    }

    #[test]
    fn no_files_no_division_by_zero() {
        let t = BenchTotals::of(&[]);
        assert_eq!(t.scan_over_decode, None);
        assert_eq!(t.files_per_s, 0.0);
        assert_eq!(t.lookups_per_s, None);
    }
}
