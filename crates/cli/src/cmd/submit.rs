//! `vfp submit`: files onto the NATS JetStream queue as one batch, by
//! absolute path; prints the batch id.

use crate::args::SubmitConfig;
use crate::exit::Status;
use crate::files::{expand, Listed};
use crate::output::fleet::submitted;
use crate::output::to_stdout;
use anyhow::{bail, Context, Result};
use vfp_fleet::catalogs::Fleet;

/// Runs `vfp submit`.
pub fn run(cfg: SubmitConfig) -> Result<Status> {
    let mut paths = Vec::new();
    for listed in expand(&cfg.paths, cfg.recursive)? {
        let path = match listed {
            Listed::File(path) => path,
            Listed::Unreadable { path, error } => {
                bail!("{}: cannot read this folder: {error}", path.display())
            }
        };
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
        paths.push(text.to_owned());
    }
    if paths.is_empty() {
        bail!("no files to submit");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the NATS client's runtime")?;
    let jobs = runtime.block_on(async {
        Fleet::connect(&cfg.nats)
            .await?
            .submit(&cfg.batch, &paths)
            .await
    })?;
    to_stdout(&format!("{}\n", cfg.batch))?;
    eprint!("{}", submitted(&cfg.nats, &cfg.batch, jobs.len()));
    Ok(Status::Success)
}
