//! `vfp submit`: files onto the NATS JetStream queue as one batch, by
//! absolute path (with `--upload`, their bytes through the server's object
//! store); prints the batch id.

use crate::args::SubmitConfig;
use crate::exit::Status;
use crate::files::chosen;
use crate::output::fleet::submitted;
use crate::output::to_stdout;
use anyhow::{bail, Context, Result};
use vfp_fleet::Fleet;

/// Runs `vfp submit`.
pub fn run(cfg: SubmitConfig) -> Result<Status> {
    let mut paths: Vec<(String, std::path::PathBuf)> = Vec::new();
    for path in chosen(&cfg.paths, cfg.recursive, &vfp_scan::Selection::default())? {
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
        paths.push((text.to_owned(), path));
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
        if !cfg.upload {
            let named: Vec<String> = paths.into_iter().map(|(named, _)| named).collect();
            return fleet.submit(&cfg.batch, &named).await;
        }
        let mut uploaded = Vec::with_capacity(paths.len());
        for (named, local) in paths {
            let upload = fleet.upload(&local).await?;
            uploaded.push((named, upload));
        }
        fleet.submit_uploaded(&cfg.batch, &uploaded).await
    })?;
    to_stdout(&format!("{}\n", cfg.batch))?;
    eprint!(
        "{}",
        submitted(&vfp_fleet::redact(&cfg.nats), &cfg.batch, jobs.len())
    );
    Ok(Status::Success)
}
