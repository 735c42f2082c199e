//! `vfp show`: load, validate and describe `.vfp` files.

use crate::args::{ShowConfig, ShowFormat};
use crate::exit::Status;
use crate::output::fingerprint::describe;
use crate::output::to_stdout;
use anyhow::Result;
use vfp_fingerprint::format as vfp_format;
use vfp_scan::isolate;

/// Runs `vfp show`.
pub fn run(cfg: ShowConfig) -> Result<Status> {
    let mut status = Status::Success;
    for file in &cfg.files {
        let outcome = isolate(file, || -> Result<String> {
            let fp = vfp_format::read_file(file)?;
            Ok(match cfg.format {
                ShowFormat::Human => describe(&fp),
                ShowFormat::Json => serde_json::to_string(&fp)? + "\n",
            })
        });
        match outcome {
            Ok(text) => {
                if cfg.format == ShowFormat::Human && cfg.files.len() > 1 {
                    to_stdout(&format!("{}:\n", file.display()))?;
                }
                to_stdout(&text)?;
            }
            Err(e) => {
                eprintln!("vfp: error: {e:#}");
                status = Status::Error;
            }
        }
    }
    Ok(status)
}
