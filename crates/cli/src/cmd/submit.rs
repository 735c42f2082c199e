//! `vfp submit`: files onto the NATS JetStream queue as one batch, by
//! absolute path (with `--upload`, their bytes through the server's object
//! store); prints the batch id.

use crate::args::SubmitConfig;
use crate::exit::Status;
use crate::files::chosen;
use crate::output::fleet::submitted;
use crate::output::to_stdout;
use anyhow::{bail, Context, Result};
use vfp_fleet::queue::SubmittedFile;
use vfp_fleet::Fleet;

/// Runs `vfp submit`.
pub fn run(cfg: SubmitConfig) -> Result<Status> {
    // Files named, and those of a crawler's manifest with where each was
    // found.
    let mut files: Vec<(std::path::PathBuf, vfp_scan::Provenance)> =
        chosen(&cfg.paths, cfg.recursive, &vfp_scan::Selection::default())?
            .into_iter()
            .map(|p| (p, vfp_scan::Provenance::default()))
            .collect();
    if let Some(manifest) = &cfg.from {
        files.extend(
            crate::crawl::read_manifest(manifest)?
                .into_iter()
                .map(|c| (c.path, c.provenance)),
        );
    }
    let mut paths: Vec<(String, std::path::PathBuf, vfp_scan::Provenance)> = Vec::new();
    for (path, provenance) in files {
        // Refused here, before anything is queued: a worker would only
        // report it missing later.
        let meta = std::fs::metadata(&path)
            .with_context(|| format!("{}: cannot submit it", path.display()))?;
        if !meta.is_file() {
            bail!("{}: cannot submit it: not a regular file", path.display());
        }
        let absolute = std::path::absolute(&path)
            .with_context(|| format!("{}: cannot make the path absolute", path.display()))?;
        let Some(text) = absolute.to_str() else {
            bail!(
                "{}: cannot submit it: the path is not UTF-8",
                absolute.display()
            );
        };
        paths.push((text.to_owned(), path, provenance));
    }
    if paths.is_empty() {
        bail!("no files to submit");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the NATS client's runtime")?;
    let jobs = runtime.block_on(async {
        let fleet = Fleet::connect(&cfg.nats).await?;
        let mut jobs = Vec::with_capacity(paths.len());
        for (named, local, provenance) in paths {
            let upload = if cfg.upload {
                Some(fleet.upload(&local).await?)
            } else {
                None
            };
            jobs.push(SubmittedFile {
                path: named,
                upload,
                provenance,
            });
        }
        fleet.submit_files(&cfg.batch, &jobs).await
    })?;
    to_stdout(&format!("{}\n", cfg.batch))?;
    eprint!(
        "{}",
        submitted(&vfp_fleet::redact(&cfg.nats), &cfg.batch, jobs.len())
    );
    Ok(Status::Success)
}
