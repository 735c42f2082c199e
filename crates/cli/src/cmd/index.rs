//! `vfp index build|add|remove|list|info|verify`: the catalog of protected
//! titles.

use crate::args::{IndexCommand, TitleSpec, TitlesConfig};
use crate::cmd::{isolate, progress_bar, walk};
use crate::exit::Status;
use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use vfp_fingerprint::{format as vfp_format, Fingerprint, HashParams, Sampling};
use vfp_index::catalog::{self, NewTitle};
use vfp_index::titles::{check_unique, read_manifest};
use vfp_index::{Catalog, TitleRecord, TitleSource};

pub fn run(command: IndexCommand) -> Result<Status> {
    match command {
        IndexCommand::Build(a) => {
            let cfg = a.titles.into_config()?;
            let started = Instant::now();
            let titles = fingerprint_titles(&cfg)?;
            let hash = HashParams::default();
            catalog::build(&a.output, hash, titles)?;
            report(&a.output, "built", started)
        }
        IndexCommand::Add(a) => {
            let cfg = a.titles.into_config()?;
            let started = Instant::now();
            // Fail before any extraction if the catalog cannot take titles.
            Catalog::open(&a.catalog)?;
            let titles = fingerprint_titles(&cfg)?;
            catalog::add(&a.catalog, titles)?;
            report(&a.catalog, "updated", started)
        }
        IndexCommand::Remove { catalog: dir, id } => {
            catalog::remove(&dir, &id)?;
            eprintln!("vfp: removed {id:?} from {}", dir.display());
            Ok(Status::Success)
        }
        IndexCommand::List { catalog: dir } => {
            let c = Catalog::open(&dir)?;
            for t in c.titles() {
                println!(
                    "{}\t{}\t{}\t{}",
                    t.record.id,
                    t.record.name,
                    timecode(t.record.duration_ms),
                    t.frames
                );
            }
            Ok(Status::Success)
        }
        IndexCommand::Info { catalog: dir } => {
            let c = Catalog::open(&dir)?;
            let (segments, bytes, search) = c.storage();
            let frames = c.frame_count();
            println!("catalog        {}", dir.display());
            println!(
                "format         manifest v{}, segments v{}",
                catalog::MANIFEST_VERSION,
                vfp_index::segment::FORMAT_VERSION
            );
            println!("hash           {}", c.hash_params());
            println!("stored view    centred {} % of each picture", c.view_pct());
            println!("titles         {}", c.titles().len());
            println!("frames         {frames}");
            println!("segments       {segments}");
            println!(
                "size           {} bytes ({:.1} bytes per frame; search structure {} bytes)",
                bytes,
                bytes as f64 / frames.max(1) as f64,
                search
            );
            Ok(Status::Success)
        }
        IndexCommand::Verify { catalog: dir } => {
            let c = Catalog::open(&dir)?;
            c.verify()?;
            let (segments, bytes, _) = c.storage();
            println!(
                "{}: ok, {segments} segment(s), {bytes} bytes, every checksum holds",
                dir.display()
            );
            Ok(Status::Success)
        }
    }
}

fn report(dir: &Path, what: &str, started: Instant) -> Result<Status> {
    let c = Catalog::open(dir)?;
    let (_, bytes, search) = c.storage();
    eprintln!(
        "vfp: {what} {}: {} titles, {} frames, {:.1} MB (search structure {:.1} MB) in {:.1} s",
        dir.display(),
        c.titles().len(),
        c.frame_count(),
        bytes as f64 / 1e6,
        search as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(Status::Success)
}

/// `HH:MM:SS.mmm`.
pub fn timecode(ms: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// The titles named by the arguments: a CSV, or files and folders.
fn title_sources(spec: &TitleSpec) -> Result<Vec<TitleSource>> {
    let sources = match spec {
        TitleSpec::Manifest(csv) => read_manifest(csv)?,
        TitleSpec::Paths(paths) => {
            let mut files = Vec::new();
            for p in paths {
                if p.is_dir() {
                    walk(p, &mut files)
                        .with_context(|| format!("cannot read folder {}", p.display()))?;
                } else {
                    files.push(p.clone());
                }
            }
            files.iter().map(|f| TitleSource::from_path(f)).collect()
        }
    };
    if sources.is_empty() {
        bail!("no titles to add (no videos or .vfp files found)");
    }
    check_unique(&sources)?;
    Ok(sources)
}

/// Fingerprints (or loads) every title in parallel. All or nothing: a
/// catalog silently missing a title would let its leaks through, so any
/// failure stops the build, after every title has been tried and every
/// failure printed.
fn fingerprint_titles(cfg: &TitlesConfig) -> Result<Vec<NewTitle>> {
    let sources = title_sources(&cfg.spec)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.jobs)
        .build()
        .context("cannot start worker threads")?;
    let progress = progress_bar(sources.len());
    let failures = Mutex::new(0usize);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let titles: Vec<Option<NewTitle>> = pool.install(|| {
        sources
            .par_iter()
            .map(|source| {
                progress.set_message(source.id.clone());
                let outcome = isolate(&source.path, || {
                    let fingerprint = load_or_extract(&source.path, cfg)?;
                    Ok(new_title(source, fingerprint, now))
                });
                progress.inc(1);
                match outcome {
                    Ok(t) => Some(t),
                    Err(e) => {
                        progress.suspend(|| eprintln!("vfp: error: {e:#}"));
                        *failures.lock().unwrap_or_else(|p| p.into_inner()) += 1;
                        None
                    }
                }
            })
            .collect()
    });
    progress.finish_and_clear();
    let failed = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    if failed > 0 {
        bail!(
            "{failed} of {} titles could not be fingerprinted; the catalog was not changed",
            sources.len()
        );
    }
    Ok(titles.into_iter().flatten().collect())
}

fn load_or_extract(path: &Path, cfg: &TitlesConfig) -> Result<Fingerprint> {
    let is_vfp = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("vfp"));
    if !is_vfp {
        return Ok(vfp_extractor::extract(path, &cfg.options)?);
    }
    let fp = vfp_format::read_file(path)?;
    if fp.params.sampling == Sampling::Keyframes {
        bail!(
            "{}: keyframe-only fingerprint; catalog titles must be sampled densely (vfp extract --fps N)",
            path.display()
        );
    }
    Ok(fp)
}

fn new_title(source: &TitleSource, fingerprint: Fingerprint, now: u64) -> NewTitle {
    NewTitle {
        record: TitleRecord {
            id: source.id.clone(),
            name: source.name.clone(),
            source_path: source.path.display().to_string(),
            duration_ms: fingerprint.source.duration_ms,
            sha256: fingerprint
                .source
                .sha256
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            added_unix_s: now,
            labels: source.labels.clone(),
        },
        fingerprint,
    }
}

#[cfg(test)]
mod tests {
    use super::timecode;

    #[test]
    fn timecodes() {
        assert_eq!(timecode(0), "00:00:00.000");
        assert_eq!(timecode(3_723_045), "01:02:03.045");
    }
}
