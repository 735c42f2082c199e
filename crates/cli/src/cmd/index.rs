//! `vfp index build|add|remove|exclude|list|info|verify|stills|publish`: the catalog of
//! protected titles.

use crate::args::{IndexConfig, TitleSpec, TitlesConfig};
use crate::exit::Status;
use crate::files::chosen;
use crate::output::{catalog as print, count, printable, progress, to_stdout};
use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Condvar, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use vfp_fingerprint::{Fingerprint, HashParams, Sampling};
use vfp_index::catalog::{self, NewTitle, TitleSpool};
use vfp_index::titles::{check_unique, read_manifest};
use vfp_index::{Catalog, IndexError, TitleRecord, TitleSource, Wait, WriterLock};
use vfp_scan::units::timecode;
use vfp_scan::{fingerprint_of, isolate};

/// Takes the writer lock of `dir` through `take`; says so when it waits
/// for another writer.
fn lock(
    dir: &Path,
    wait: Wait,
    take: fn(&Path, Wait) -> Result<WriterLock, IndexError>,
) -> Result<WriterLock> {
    match take(dir, Wait::Fail) {
        Err(IndexError::Locked { .. }) if wait == Wait::Block => {
            eprintln!(
                "vfp: waiting for another vfp process changing {}",
                dir.display()
            );
            Ok(take(dir, Wait::Block)?)
        }
        taken => Ok(taken?),
    }
}

/// Refuses to build over a catalog already at `dir` unless `replace`
/// (as `ffmpeg` refuses to overwrite without `-y`).
fn refuse_existing(dir: &Path, replace: bool) -> Result<()> {
    if replace || !dir.join(catalog::MANIFEST).exists() {
        return Ok(());
    }
    let held = match Catalog::open(dir) {
        Ok(c) => format!(
            "a catalog of {}",
            crate::output::count(c.titles().len(), "title")
        ),
        Err(_) => "a catalog (it does not open)".to_owned(),
    };
    bail!(
        "{} holds {held} already; `vfp index add` adds titles to it, `vfp index build --replace` replaces it",
        dir.display()
    )
}

/// Runs `vfp index ...`.
pub fn run(cfg: IndexConfig) -> Result<Status> {
    match cfg {
        IndexConfig::Build {
            catalog: dir,
            titles,
            replace,
            wait,
        } => {
            let started = Instant::now();
            // Refused before any extraction, and again under the lock (a
            // build elsewhere may have made one meanwhile): a build on an
            // existing catalog replaced it without a word (11 titles
            // became 1).
            refuse_existing(&dir, replace)?;
            // With --no-wait, fail before any extraction if another writer
            // holds the folder (a missing folder is created only once the
            // titles are ready).
            if wait == Wait::Fail && dir.exists() {
                drop(catalog::lock_for_build(&dir, Wait::Fail)?);
            }
            let stills = titles.stills.then_some(titles.jobs);
            let spool = TitleSpool::for_build(&dir, HashParams::default())?;
            let titles = fingerprint_titles(&titles, spool)?;
            let ids = titles.ids().to_vec();
            let lock = lock(&dir, wait, catalog::lock_for_build)?;
            refuse_existing(&dir, replace)?;
            catalog::build_spooled(&lock, titles)?;
            drop(lock);
            if let Some(jobs) = stills {
                keep_stills(&dir, &ids, jobs).with_context(|| {
                    format!("{}: the catalog is built, with every title", dir.display())
                })?;
            }
            let c = Catalog::open(&dir)?;
            eprint!(
                "{}",
                print::changed("built", &dir, &c, started.elapsed().as_secs_f64())
            );
        }
        IndexConfig::Add {
            catalog: dir,
            titles,
            wait,
        } => {
            let started = Instant::now();
            // Fail before any extraction if the catalog cannot take titles.
            let spool = TitleSpool::for_catalog(&dir, &Catalog::open(&dir)?)?;
            if wait == Wait::Fail {
                drop(catalog::lock_catalog(&dir, Wait::Fail)?);
            }
            // Titles are fingerprinted without the lock: other writers
            // wait only for the write itself.
            let stills = titles.stills.then_some(titles.jobs);
            let titles = fingerprint_titles(&titles, spool)?;
            let ids = titles.ids().to_vec();
            let lock = lock(&dir, wait, catalog::lock_catalog)?;
            catalog::add_spooled(&lock, titles)?;
            drop(lock);
            // Made once the titles are in: stills of a title not in the
            // catalog would be removed by the next change.
            if let Some(jobs) = stills {
                keep_stills(&dir, &ids, jobs)
                    .with_context(|| format!("{}: the titles are added", dir.display()))?;
            }
            let c = Catalog::open(&dir)?;
            eprint!(
                "{}",
                print::changed("updated", &dir, &c, started.elapsed().as_secs_f64())
            );
        }
        IndexConfig::Remove {
            catalog: dir,
            id,
            wait,
        } => {
            catalog::remove_locked(&lock(&dir, wait, catalog::lock_catalog)?, &id)?;
            eprintln!("vfp: removed {id:?} from {}", dir.display());
        }
        IndexConfig::Exclude {
            catalog: dir,
            range,
            reason,
            remove,
        } => match range {
            None => to_stdout(&print::public_ranges(&Catalog::open(&dir)?))?,
            Some((id, from_ms, to_ms)) if remove => {
                let n = vfp_index::catalog::remove_public(&dir, &id, from_ms, to_ms)?;
                eprintln!(
                    "vfp: {}: {} of {} forgotten",
                    dir.display(),
                    count(n, "public range"),
                    printable(&id)
                );
            }
            Some((id, from_ms, to_ms)) => {
                vfp_index::catalog::add_public(
                    &dir,
                    vfp_index::catalog::PublicRange {
                        id: id.clone(),
                        from_ms,
                        to_ms,
                        reason,
                        added_unix_s: std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map_or(0, |d| d.as_secs()),
                    },
                )?;
                eprintln!(
                    "vfp: {}: {} {}-{} recorded as public: a copy of only public ranges is allowed",
                    dir.display(),
                    printable(&id),
                    timecode(from_ms),
                    timecode(to_ms)
                );
            }
        },
        IndexConfig::Stills {
            catalog: dir,
            ids,
            jobs,
        } => keep_stills(&dir, &ids, jobs)?,
        IndexConfig::List { catalog: dir } => to_stdout(&print::list(&Catalog::open(&dir)?))?,
        IndexConfig::Info { catalog: dir } => to_stdout(&print::info(&dir, &Catalog::open(&dir)?))?,
        IndexConfig::Verify { catalog: dir } => {
            let c = Catalog::open(&dir)?;
            c.verify()?;
            to_stdout(&print::verified(&dir, &c))?;
        }
        IndexConfig::Publish {
            catalog: dir,
            nats,
            name,
        } => {
            let c = Catalog::open(&dir)?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start the NATS client's runtime")?;
            let published = runtime.block_on(async {
                vfp_fleet::Fleet::connect(&nats)
                    .await?
                    .publish(&c, &name)
                    .await
            })?;
            eprintln!(
                "{}",
                print::published(&dir, &vfp_fleet::redact(&nats), &published)
            );
        }
    }
    Ok(Status::Success)
}

/// Keeps in the catalog at `dir` the stills of titles `ids` (every title
/// when empty), made from their videos in parallel; a title whose video
/// is not here (or changed, or was a `.vfp`) is named with the reason,
/// and fails the command after the others are done.
fn keep_stills(dir: &Path, ids: &[String], jobs: usize) -> Result<()> {
    let c = Catalog::open(dir)?;
    let mut titles = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for entry in c.titles() {
        if (ids.is_empty() || ids.contains(&entry.record.id)) && seen.insert(&entry.record.sha256) {
            titles.push((entry.index, entry.record.id.clone()));
        }
    }
    for id in ids {
        if c.find_title(id).is_none() {
            bail!(
                "{}: no title {:?} in the catalog",
                dir.display(),
                printable(id)
            );
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .context("cannot start worker threads")?;
    let bar = progress::files(titles.len());
    let started = Instant::now();
    let kept: Vec<Result<vfp_scan::evidence::KeptStills, String>> = pool.install(|| {
        titles
            .par_iter()
            .map(|(index, id)| {
                bar.set_message(id.clone());
                let kept = vfp_scan::evidence::keep_stills(&c, *index);
                bar.inc(1);
                if let Err(why) = &kept {
                    bar.suspend(|| {
                        eprintln!(
                            "vfp: error: {}: stills of {}: {why}",
                            dir.display(),
                            printable(id)
                        );
                    });
                }
                kept
            })
            .collect()
    });
    bar.finish_and_clear();
    let (mut pictures, mut bytes, mut failed) = (0usize, 0u64, 0usize);
    for k in &kept {
        match k {
            Ok(k) => {
                pictures += k.pictures;
                bytes += k.bytes;
            }
            Err(_) => failed += 1,
        }
    }
    eprintln!(
        "vfp: {}: stills of {} kept ({}, {:.1} MB) in {:.1} s",
        dir.display(),
        count(kept.len() - failed, "title"),
        count(pictures, "picture"),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    if failed > 0 {
        bail!(
            "the stills of {} could not be made; pages show their frames only where their videos are",
            count(failed, "title")
        );
    }
    Ok(())
}

/// The titles named by the arguments: a CSV, or files and folders.
fn title_sources(spec: &TitleSpec) -> Result<Vec<TitleSource>> {
    let sources = match spec {
        TitleSpec::Manifest(csv) => read_manifest(csv)?,
        TitleSpec::Paths(paths) => {
            // A catalog is built from every title or none: a file that
            // cannot be read stops it.
            let files = chosen(paths, true, &vfp_scan::Selection::default())?;
            files.iter().map(|f| TitleSource::from_path(f)).collect()
        }
    };
    if sources.is_empty() {
        bail!("no titles to add (no videos or .vfp files found)");
    }
    check_unique(&sources)?;
    Ok(sources)
}

/// Fingerprints (or loads) every title, `cfg.jobs` at a time, into
/// `spool` in the order given. All or nothing: a catalog silently missing
/// a title would let its leaks through, so any failure stops the build,
/// after every title has been tried and every failure printed.
///
/// Each title goes into the spool (on disk, as the catalog stores it) as
/// soon as those before it are in, and a title is started only when at
/// most `2 × jobs` finished ones wait for an earlier one: a few
/// fingerprints are in memory at a time, not all of them (at 100 M
/// catalog frames they would be over 15 GB).
fn fingerprint_titles(cfg: &TitlesConfig, spool: TitleSpool) -> Result<TitleSpool> {
    let sources = title_sources(&cfg.spec)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.jobs)
        .build()
        .context("cannot start worker threads")?;
    let bar = progress::files(sources.len());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let window = 2 * cfg.jobs.max(1);
    let queue = Mutex::new(InOrder {
        spool,
        taken: 0,
        pushed: 0,
        waiting: BTreeMap::new(),
        failures: 0,
    });
    let moved = Condvar::new();
    pool.scope(|scope| {
        for _ in 0..cfg.jobs.max(1) {
            scope.spawn(|_| loop {
                let i = {
                    let mut q = lock_queue(&queue);
                    while q.taken >= q.pushed + window && q.taken < sources.len() {
                        q = moved.wait(q).unwrap_or_else(|p| p.into_inner());
                    }
                    if q.taken >= sources.len() {
                        break;
                    }
                    q.taken += 1;
                    q.taken - 1
                };
                let source = &sources[i];
                bar.set_message(source.id.clone());
                let outcome = isolate(&source.path, || -> Result<NewTitle> {
                    let fingerprint = load_or_extract(&source.path, cfg)?;
                    Ok(new_title(source, fingerprint, now))
                });
                bar.inc(1);
                let mut q = lock_queue(&queue);
                q.waiting.insert(i, outcome);
                while let Some(outcome) = {
                    let next = q.pushed;
                    q.waiting.remove(&next)
                } {
                    let pushed = outcome.and_then(|t| Ok(q.spool.push(t)?));
                    if let Err(e) = pushed {
                        bar.suspend(|| eprintln!("vfp: error: {e:#}"));
                        q.failures += 1;
                    }
                    q.pushed += 1;
                }
                moved.notify_all();
            });
        }
    });
    bar.finish_and_clear();
    let q = queue.into_inner().unwrap_or_else(|p| p.into_inner());
    if q.failures > 0 {
        bail!(
            "{} of {} titles could not be fingerprinted; the catalog was not changed",
            q.failures,
            sources.len()
        );
    }
    Ok(q.spool)
}

/// Titles fingerprinted out of order, put into the spool in order.
struct InOrder {
    spool: TitleSpool,
    /// Titles started (the next to start).
    taken: usize,
    /// Titles put into the spool, or failed (the next to put).
    pushed: usize,
    /// Finished titles waiting for an earlier one.
    waiting: BTreeMap<usize, Result<NewTitle>>,
    failures: usize,
}

fn lock_queue(queue: &Mutex<InOrder>) -> std::sync::MutexGuard<'_, InOrder> {
    queue.lock().unwrap_or_else(|p| p.into_inner())
}

/// A title's fingerprint: its `.vfp`, or its video fingerprinted. Catalog
/// titles must be sampled densely: a keyframe-only `.vfp` is refused.
fn load_or_extract(path: &std::path::Path, cfg: &TitlesConfig) -> Result<Fingerprint> {
    let fp = fingerprint_of(path, &cfg.options)?;
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
            // Absolute, so that the evidence page finds the source from
            // any folder (and checks it is still the same video).
            source_path: std::fs::canonicalize(&source.path)
                .or_else(|_| std::path::absolute(&source.path))
                .unwrap_or_else(|_| source.path.clone())
                .display()
                .to_string(),
            duration_ms: fingerprint.source.duration_ms,
            sha256: fingerprint.source.sha256_hex(),
            added_unix_s: now,
            labels: source.labels.clone(),
            meta: source.meta.clone(),
        },
        fingerprint,
    }
}
