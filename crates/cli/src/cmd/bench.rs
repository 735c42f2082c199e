//! `vfp bench`: what scanning costs on this machine.
//!
//! Top-down: arguments checked → the built-in material made if files or
//! catalog are missing → the catalog copied and padded (`--pad-frames`) →
//! opened (timed) → per file, one at a time on one core,
//! [`bench_file`] (decode-only passes and
//! scans, alternated) → with `-j`, every file once more with that many in
//! flight → the report, as tables or JSON.

use crate::args::{BenchConfig, BenchFormat};
use crate::exit::Status;
use crate::files::chosen;
use crate::output::{bench as print, progress, to_stdout};
use anyhow::{Context, Result};
use std::path::Path;
use std::time::Instant;
use vfp_index::synthetic::{self, Rng};
use vfp_index::Catalog;
use vfp_scan::bench::{
    bench_file, bench_parallel, material, median, verdict, BenchPlan, BenchReport, BenchSettings,
    BenchTotals, CatalogFacts, Machine,
};
use vfp_scan::process::{peak_rss_bytes, reset_peak_rss};
use vfp_scan::Scanner;

/// Opens of the catalog timed; the median is reported.
const OPENS: usize = 5;

/// Runs `vfp bench`.
pub fn run(cfg: BenchConfig) -> Result<Status> {
    let say = |text: &str| {
        if !cfg.quiet {
            eprintln!("vfp bench: {text}");
        }
    };
    let mut files = chosen(&cfg.paths, cfg.recursive, &vfp_scan::Selection::default())?;
    let built_in_files = files.is_empty();
    let built_in_catalog = cfg.catalog.is_none();
    let material = if built_in_files || built_in_catalog {
        Some(
            material::prepare(&cfg.material, |step| {
                say(&format!(
                    "generating built-in material in {}: {step}",
                    cfg.material.display()
                ))
            })
            .context("cannot make the built-in material")?,
        )
    } else {
        None
    };
    if let Some(m) = &material {
        if built_in_files {
            files = m.clips.clone();
        }
    }
    let catalog_dir = match (&cfg.catalog, &material) {
        (Some(dir), _) => dir.clone(),
        (None, Some(m)) => m.catalog.clone(),
        (None, None) => unreachable!("material is made when no catalog is given"),
    };

    // The padded copy lives as long as this folder.
    let mut padded: Option<tempfile::TempDir> = None;
    let mut pad_build_s = None;
    let searched_dir = if cfg.pad_frames > 0 {
        let original = Catalog::open(&catalog_dir)?;
        std::fs::create_dir_all(&cfg.pad_dir)
            .with_context(|| format!("cannot create {}", cfg.pad_dir.display()))?;
        let tmp = tempfile::Builder::new()
            .prefix("vfp-bench-padded-")
            .tempdir_in(&cfg.pad_dir)
            .with_context(|| format!("cannot create a folder in {}", cfg.pad_dir.display()))?;
        let dir = tmp.path().join("catalog");
        say(&format!(
            "copying the catalog to {} and adding {} synthetic frames",
            dir.display(),
            cfg.pad_frames
        ));
        original.copy_to(&dir)?;
        drop(original);
        let started = Instant::now();
        synthetic::pad(
            &dir,
            cfg.pad_frames,
            synthetic::PAD_FRAMES_PER_SEGMENT,
            &mut Rng(0x5eed),
            |n| say(&format!("  {n} of {} frames added", cfg.pad_frames)),
        )?;
        pad_build_s = Some(started.elapsed().as_secs_f64());
        padded = Some(tmp);
        dir
    } else {
        catalog_dir.clone()
    };

    let open_ms = median_open_ms(&searched_dir)?;
    let catalog = Catalog::open(&searched_dir)?;
    let scanner = Scanner::new(&catalog, cfg.engine.clone());
    let plan = BenchPlan {
        repeat: cfg.repeat,
        fast: cfg.engine.fast(),
        decoder_threads: cfg.engine.decoder_threads(),
    };

    let was_reset = reset_peak_rss();
    let bar = progress::files(files.len());
    if cfg.quiet {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let mut measured = Vec::with_capacity(files.len());
    for path in &files {
        bar.set_message(progress::file_label(path));
        measured.push(bench_file(&scanner, path, &plan));
        bar.inc(1);
    }
    bar.finish_and_clear();
    let totals = BenchTotals::of(&measured);
    let parallel = match cfg.jobs {
        Some(jobs) => {
            say(&format!("scanning every file once more, {jobs} at a time"));
            Some(
                bench_parallel(&scanner, &files, jobs, &totals)
                    .context("cannot start worker threads")?,
            )
        }
        None => None,
    };
    let (peak_rss_bytes, peak_rss_scope) = peak_rss_bytes(was_reset);

    let (segments, bytes, search_bytes) = catalog.storage();
    let frames = catalog.frame_count();
    let report = BenchReport {
        vfp_version: env!("CARGO_PKG_VERSION").into(),
        machine: Machine::this(),
        settings: BenchSettings {
            repeat: cfg.repeat,
            fast: plan.fast,
            radius: cfg.engine.match_params().radius,
            follow_radius: cfg.engine.match_params().follow_radius,
            fps: match cfg.engine.sampling() {
                vfp_fingerprint::Sampling::Dense { fps } => fps,
                vfp_fingerprint::Sampling::Keyframes => 0.0,
            },
            decoder_threads: plan.decoder_threads,
            dense_search: *scanner.search_plan() == vfp_scan::SearchPlan::dense(),
        },
        catalog: CatalogFacts {
            path: catalog_dir.display().to_string(),
            built_in: built_in_catalog,
            titles: catalog.titles().len(),
            frames,
            padded_frames: cfg.pad_frames,
            segments,
            bytes,
            search_bytes,
            bytes_per_frame: bytes as f64 / frames.max(1) as f64,
            local_features: catalog.has_features(),
            open_ms,
            pad_build_s,
            pad_frames_per_s: pad_build_s.map(|s| cfg.pad_frames as f64 / s.max(1e-9)),
        },
        built_in_files,
        verdict: verdict(&totals, plan.fast),
        sizing: cfg
            .sizing
            .and_then(|(files, seconds)| vfp_scan::bench::Sizing::of(&totals, files, seconds)),
        files: measured,
        totals,
        parallel,
        peak_rss_bytes,
        peak_rss_scope,
    };
    drop(scanner);
    drop(catalog);
    drop(padded);
    match cfg.format {
        BenchFormat::Human => to_stdout(&print::human(&report))?,
        BenchFormat::Json => to_stdout(&print::json(&report)?)?,
    }
    Ok(if report.totals.errors > 0 {
        Status::Error
    } else {
        Status::Success
    })
}

/// The median time of [`OPENS`] opens of the catalog in `dir`, ms.
fn median_open_ms(dir: &Path) -> Result<f64> {
    let mut times = Vec::with_capacity(OPENS);
    for _ in 0..OPENS {
        let started = Instant::now();
        drop(Catalog::open(dir)?);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(median(&mut times).unwrap_or(0.0))
}
