//! `vfp scan`: scraped files → catalog matches, in parallel across files,
//! one record per file streamed as each finishes.
//!
//! Per file, top-down: path → fingerprint (dense decode, or the `.vfp`) →
//! catalog search of every informative frame (direct and mirrored hash) →
//! hits → temporal alignment, lines followed through the clip → segments →
//! record.

use crate::args::{cores, dense_sampling, jobs_or_cores, ScanArgs, ScanFormat};
use crate::cmd::search::ClipSearch;
use crate::cmd::{isolate, progress_bar, walk};
use crate::exit::Status;
use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use vfp_extractor::ExtractOptions;
use vfp_fingerprint::{format as vfp_format, Fingerprint, Sampling};
use vfp_index::Catalog;
use vfp_matcher::{MatchParams, MatchSegment};

/// One match in a record (field names follow what takedown tools consume).
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct MatchRecord {
    pub title_id: String,
    pub title_name: String,
    pub score: f64,
    pub clip_start_s: f64,
    pub clip_end_s: f64,
    pub title_start_s: f64,
    pub title_end_s: f64,
    pub matched_frames: usize,
    pub speed: f64,
    pub mirrored: bool,
}

/// The result for one input file.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct FileRecord {
    pub file: String,
    pub sha256: Option<String>,
    pub duration_s: Option<f64>,
    /// `match`, `no_match` or `error`.
    pub verdict: String,
    pub error: Option<String>,
    pub matches: Vec<MatchRecord>,
}

/// Radius of the keyframe triage of `--fast` (see `Scanner::any_hit`).
const TRIAGE_RADIUS: u32 = 31;

/// Fewest informative keyframes for `--fast` to rule a file out by them;
/// a file with fewer is decoded densely. Measured on the shared dev set
/// (`scripts/eval.sh --fast`): a copy's single keyframe hit the catalog in
/// 32 of 56 clips, and a clip's keyframes miss together more often than
/// chance (2 keyframes: 12 of 22), so a few keyframes cannot vouch for a
/// file; files with so few are mostly short, and cheap to decode densely.
const MIN_TRIAGE_KEYFRAMES: usize = 8;

struct Scanner<'a> {
    catalog: &'a Catalog,
    params: MatchParams,
    dense: ExtractOptions,
    fast: bool,
}

pub fn run(args: ScanArgs) -> Result<Status> {
    let catalog = Catalog::open(&args.catalog)?;
    if !(args.min_duration.is_finite() && args.min_duration >= 0.0) {
        bail!("--min-duration must be a number of seconds >= 0");
    }
    let sampling = dense_sampling(args.fps)?;
    let cores = cores();
    let jobs = jobs_or_cores(args.jobs)?;
    let inputs = inputs(&args.paths, args.recursive)?;
    let done = match &args.resume {
        Some(path) => finished_files(path)?,
        None => HashSet::new(),
    };
    let inputs: Vec<PathBuf> = inputs
        .into_iter()
        .filter(|p| !done.contains(&p.display().to_string()))
        .collect();
    let scanner = Scanner {
        catalog: &catalog,
        params: MatchParams {
            radius: args.radius,
            follow_radius: args.follow_radius,
            min_duration_ms: (args.min_duration * 1000.0).round() as u32,
            min_frames: args.min_frames.max(2),
            ..MatchParams::default()
        },
        dense: ExtractOptions {
            decoder_threads: (cores / jobs.min(inputs.len()).max(1)).max(1),
            ..ExtractOptions::with_sampling(sampling)
        },
        fast: args.fast,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .context("cannot start worker threads")?;
    let progress = progress_bar(inputs.len());
    let out = Mutex::new(std::io::stdout());
    if args.format == ScanFormat::Csv {
        let mut o = out.lock().unwrap_or_else(|p| p.into_inner());
        writeln!(o, "file,verdict,title_id,score,clip_start_s,clip_end_s,title_start_s,title_end_s,matched_frames,speed,mirrored,error")?;
    }
    let (any_match, any_error) = (AtomicBool::new(false), AtomicBool::new(false));
    let write_failed: Mutex<Option<std::io::Error>> = Mutex::new(None);
    pool.install(|| {
        inputs.par_iter().for_each(|path| {
            progress.set_message(
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            );
            let record = match isolate(path, || scanner.scan(path)) {
                Ok(r) => r,
                Err(e) => FileRecord {
                    file: path.display().to_string(),
                    sha256: None,
                    duration_s: None,
                    verdict: "error".into(),
                    error: Some(format!("{e:#}")),
                    matches: Vec::new(),
                },
            };
            match record.verdict.as_str() {
                "match" => any_match.store(true, Ordering::Relaxed),
                "error" => any_error.store(true, Ordering::Relaxed),
                _ => {}
            }
            let text = render(&record, args.format);
            progress.suspend(|| {
                let mut o = out.lock().unwrap_or_else(|p| p.into_inner());
                if let Err(e) = o.write_all(text.as_bytes()).and_then(|()| o.flush()) {
                    write_failed
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get_or_insert(e);
                }
            });
            progress.inc(1);
        });
    });
    progress.finish_and_clear();
    if let Some(e) = write_failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(anyhow::Error::new(e).context("cannot write the results"));
    }
    Ok(if any_error.into_inner() {
        Status::Error
    } else if any_match.into_inner() {
        Status::Success
    } else {
        Status::NoMatch
    })
}

impl Scanner<'_> {
    fn scan(&self, path: &Path) -> Result<FileRecord> {
        let is_vfp = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("vfp"));
        let (fp, segments) = if is_vfp {
            let fp = vfp_format::read_file(path)?;
            let segments = self.matches(path, &fp)?;
            (fp, segments)
        } else if self.fast {
            let keys =
                vfp_extractor::extract(path, &ExtractOptions::with_sampling(Sampling::Keyframes))?;
            let informative = keys.frames.iter().filter(|f| f.is_informative()).count();
            if informative < MIN_TRIAGE_KEYFRAMES || self.any_hit(path, &keys)? {
                let fp = vfp_extractor::extract(path, &self.dense)?;
                let segments = self.matches(path, &fp)?;
                (fp, segments)
            } else {
                (keys, Vec::new())
            }
        } else {
            let fp = vfp_extractor::extract(path, &self.dense)?;
            let segments = self.matches(path, &fp)?;
            (fp, segments)
        };
        let matches: Vec<MatchRecord> = segments.iter().filter_map(|s| self.record(s)).collect();
        Ok(FileRecord {
            file: path.display().to_string(),
            sha256: Some(
                fp.source
                    .sha256
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect(),
            ),
            duration_s: Some(fp.source.duration_ms as f64 / 1000.0),
            verdict: if matches.is_empty() {
                "no_match"
            } else {
                "match"
            }
            .into(),
            error: None,
            matches,
        })
    }

    fn matches(&self, path: &Path, fp: &Fingerprint) -> Result<Vec<MatchSegment>> {
        Ok(ClipSearch::new(self.catalog, path, fp)?.matches(&self.params))
    }

    /// Triage: does any keyframe come near a catalog frame that is not
    /// common? Keyframes fall anywhere between the catalog's samples, so the
    /// triage never searches narrower than [`TRIAGE_RADIUS`], even when the
    /// dense scan does; there are only a few keyframes per file.
    fn any_hit(&self, path: &Path, keys: &Fingerprint) -> Result<bool> {
        let radius = self.params.radius.max(TRIAGE_RADIUS);
        let hits = ClipSearch::new(self.catalog, path, keys)?.hits(radius);
        Ok(hits.iter().any(|h| !h.common))
    }

    fn record(&self, s: &MatchSegment) -> Option<MatchRecord> {
        let title = self.catalog.title(s.title)?;
        let secs = |ms: u32| f64::from(ms) / 1000.0;
        Some(MatchRecord {
            title_id: title.id.clone(),
            title_name: title.name.clone(),
            score: (s.score * 1000.0).round() / 1000.0,
            clip_start_s: secs(s.clip_start_ms),
            clip_end_s: secs(s.clip_end_ms),
            title_start_s: secs(s.title_start_ms),
            title_end_s: secs(s.title_end_ms),
            matched_frames: s.matched_frames,
            speed: (s.speed * 1000.0).round() / 1000.0,
            mirrored: s.mirrored,
        })
    }
}

/// The files to scan: paths as given, folders expanded (with -r), `-`
/// replaced by the paths on stdin.
fn inputs(paths: &[PathBuf], recursive: bool) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            for line in std::io::stdin().lock().lines() {
                let line = line.context("cannot read paths from stdin")?;
                let line = line.trim();
                if !line.is_empty() {
                    out.push(PathBuf::from(line));
                }
            }
        } else if p.is_dir() {
            if !recursive {
                bail!("{} is a folder; pass -r to scan folders", p.display());
            }
            walk(p, &mut out).with_context(|| format!("cannot read folder {}", p.display()))?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Files with a result other than an error in an earlier jsonl results
/// file.
fn finished_files(path: &Path) -> Result<HashSet<String>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut done = HashSet::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        // The last line of an interrupted scan may be cut short: skip it.
        let Ok(record) = serde_json::from_str::<FileRecord>(&line) else {
            eprintln!(
                "vfp: warning: {}:{}: not a scan record, ignored",
                path.display(),
                i + 1
            );
            continue;
        };
        if record.verdict != "error" {
            done.insert(record.file);
        }
    }
    Ok(done)
}

fn render(r: &FileRecord, format: ScanFormat) -> String {
    match format {
        ScanFormat::Jsonl => serde_json::to_string(r)
            .map_or_else(|e| format!("{{\"error\":\"{e}\"}}\n"), |s| s + "\n"),
        ScanFormat::Human => {
            let mut s = match (r.verdict.as_str(), &r.error) {
                ("error", Some(e)) => format!("{}: error: {e}\n", r.file),
                ("match", _) => format!("{}: MATCH ({} segment(s))\n", r.file, r.matches.len()),
                _ => format!("{}: no match\n", r.file),
            };
            for m in &r.matches {
                s.push_str(&format!(
                    "  {} \"{}\" score {:.3}: clip {:.3}-{:.3} s = title {:.3}-{:.3} s, {} frames, speed {:.3}{}\n",
                    m.title_id,
                    m.title_name,
                    m.score,
                    m.clip_start_s,
                    m.clip_end_s,
                    m.title_start_s,
                    m.title_end_s,
                    m.matched_frames,
                    m.speed,
                    if m.mirrored { ", mirrored" } else { "" }
                ));
            }
            s
        }
        ScanFormat::Csv => {
            let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
            if r.matches.is_empty() {
                return format!(
                    "{},{},,,,,,,,,,{}\n",
                    q(&r.file),
                    r.verdict,
                    q(r.error.as_deref().unwrap_or(""))
                );
            }
            r.matches
                .iter()
                .map(|m| {
                    format!(
                        "{},{},{},{},{},{},{},{},{},{},{},\n",
                        q(&r.file),
                        r.verdict,
                        q(&m.title_id),
                        m.score,
                        m.clip_start_s,
                        m.clip_end_s,
                        m.title_start_s,
                        m.title_end_s,
                        m.matched_frames,
                        m.speed,
                        m.mirrored
                    )
                })
                .collect()
        }
    }
}
