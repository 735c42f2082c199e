//! `vfp extract`: videos → `.vfp` files or JSON lines, in parallel across
//! files; a file that fails is reported and the others go on.

use crate::args::{ExtractConfig, ExtractFormat};
use crate::exit::Status;
use crate::files::write_atomically;
use crate::output::{fingerprint::extracted, progress};
use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use vfp_fingerprint::{format as vfp_format, Fingerprint};
use vfp_scan::isolate;

/// One line of `--format json`.
#[derive(Serialize)]
struct JsonRecord<'a> {
    /// The input path as given.
    input: String,
    #[serde(flatten)]
    fingerprint: &'a Fingerprint,
}

/// What to do with one input.
struct Job {
    video: PathBuf,
    /// Where its `.vfp` goes (`None` for JSON output), or why it cannot go
    /// anywhere.
    target: Result<Option<PathBuf>, String>,
}

/// Runs `vfp extract`.
pub fn run(cfg: ExtractConfig) -> Result<Status> {
    if cfg.format == ExtractFormat::Vfp {
        std::fs::create_dir_all(&cfg.output)
            .with_context(|| format!("cannot create output folder {}", cfg.output.display()))?;
    }
    let jobs = match cfg.format {
        ExtractFormat::Vfp => plan(&cfg.videos, &cfg.output),
        ExtractFormat::Json => cfg
            .videos
            .iter()
            .map(|video| Job {
                video: video.clone(),
                target: Ok(None),
            })
            .collect(),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.jobs)
        .build()
        .context("cannot start worker threads")?;
    let bar = progress::files(jobs.len());
    let failed = AtomicUsize::new(0);
    let stdout = Mutex::new(std::io::stdout());
    let fatal: Mutex<Option<anyhow::Error>> = Mutex::new(None);

    pool.install(|| {
        jobs.par_iter().for_each(|job| {
            bar.set_message(progress::file_label(&job.video));
            let outcome = isolate(&job.video, || -> Result<Fingerprint> {
                let target = job
                    .target
                    .as_ref()
                    .map_err(|why| anyhow::anyhow!("{why}"))?;
                let fp = vfp_extractor::extract(&job.video, &cfg.options)?;
                match target {
                    Some(target) => {
                        let bytes = vfp_format::encode(&fp).with_context(|| {
                            format!("{}: cannot encode its fingerprint", job.video.display())
                        })?;
                        write_atomically(target, &bytes)?;
                    }
                    None => {
                        let record = JsonRecord {
                            input: job.video.display().to_string(),
                            fingerprint: &fp,
                        };
                        let line = serde_json::to_string(&record)?;
                        let mut out = stdout.lock().unwrap_or_else(|p| p.into_inner());
                        if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush()) {
                            // stdout is gone (a closed pipe): nothing more to say.
                            fatal
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .get_or_insert(
                                    anyhow::Error::new(e).context("cannot write to stdout"),
                                );
                        }
                    }
                }
                Ok(fp)
            });
            match outcome {
                Ok(fp) => bar.suspend(|| {
                    eprint!(
                        "{}",
                        extracted(
                            &job.video,
                            job.target.as_ref().ok().and_then(Option::as_deref),
                            &fp
                        )
                    )
                }),
                Err(e) => {
                    failed.fetch_add(1, Ordering::Relaxed);
                    bar.suspend(|| eprintln!("vfp: error: {e:#}"));
                }
            }
            bar.inc(1);
        });
    });
    bar.finish_and_clear();
    if let Some(e) = fatal.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let failed = failed.into_inner();
    if jobs.len() > 1 {
        eprintln!(
            "vfp: extracted {} of {} files{}",
            jobs.len() - failed,
            jobs.len(),
            if failed > 0 {
                format!(", {failed} failed")
            } else {
                String::new()
            }
        );
    }
    Ok(if failed == 0 {
        Status::Success
    } else {
        Status::Error
    })
}

/// Output paths, refusing two inputs that would write the same `.vfp`.
fn plan(videos: &[PathBuf], output: &Path) -> Vec<Job> {
    let mut claimed: HashMap<PathBuf, &Path> = HashMap::new();
    videos
        .iter()
        .map(|video| {
            let target = match video.file_stem() {
                None => Err(format!("{}: not a file name", video.display())),
                Some(stem) => {
                    let mut name = stem.to_os_string();
                    name.push(".vfp");
                    let target = output.join(name);
                    match claimed.get(&target) {
                        Some(first) => Err(format!(
                            "{}: its fingerprint {} would overwrite the one of {}; extract them into different folders",
                            video.display(),
                            target.display(),
                            first.display()
                        )),
                        None => {
                            claimed.insert(target.clone(), video);
                            Ok(Some(target))
                        }
                    }
                }
            };
            Job {
                video: video.clone(),
                target,
            }
        })
        .collect()
}
