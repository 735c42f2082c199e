//! `vfp show`: load, validate and describe `.vfp` files.

use crate::args::{ShowConfig, ShowFormat};
use crate::cmd::isolate;
use crate::exit::Status;
use anyhow::Result;
use std::fmt::Write as _;
use vfp_fingerprint::{format as vfp_format, Fingerprint, ViewRegion};

pub fn run(cfg: ShowConfig) -> Result<Status> {
    let mut status = Status::Success;
    for file in &cfg.files {
        let outcome = isolate(file, || {
            let fp = vfp_format::read_file(file)?;
            Ok(match cfg.format {
                ShowFormat::Human => describe(&fp),
                ShowFormat::Json => serde_json::to_string(&fp)?,
            })
        });
        match outcome {
            Ok(text) => {
                if cfg.format == ShowFormat::Human && cfg.files.len() > 1 {
                    println!("{}:", file.display());
                }
                println!("{text}");
            }
            Err(e) => {
                eprintln!("vfp: error: {e:#}");
                status = Status::Error;
            }
        }
    }
    Ok(status)
}

fn describe(fp: &Fingerprint) -> String {
    let s = &fp.source;
    let mut out = String::new();
    let sha: String = s.sha256.iter().map(|b| format!("{b:02x}")).collect();
    let _ = writeln!(out, "source     {} ({} bytes)", s.file_name, s.file_size);
    let _ = writeln!(out, "sha256     {sha}");
    let _ = writeln!(
        out,
        "video      {} {}x{} at {:.3} fps, {:.3} s, rotation {}°",
        s.codec,
        s.width,
        s.height,
        s.fps,
        s.duration_ms as f64 / 1000.0,
        s.rotation_deg
    );
    let _ = writeln!(out, "sampling   {}", fp.params.sampling);
    let _ = writeln!(out, "hash       {}", fp.params.hash);
    let _ = writeln!(out, "views      whole picture");
    for v in &fp.views {
        let region = match v.region {
            ViewRegion::Active => "centred",
            ViewRegion::Inset => "inset picture",
            ViewRegion::Frame => "uncut frame",
        };
        let used = v.frames.iter().filter(|f| f.is_informative()).count();
        let _ = writeln!(
            out,
            "           {region} {} % ({used} informative)",
            v.zoom_pct
        );
    }
    let span = match (fp.frames.first(), fp.frames.last()) {
        (Some(a), Some(b)) => format!(
            ", {:.3} s to {:.3} s",
            a.t_ms as f64 / 1000.0,
            b.t_ms as f64 / 1000.0
        ),
        _ => String::new(),
    };
    let _ = write!(
        out,
        "frames     {} ({} informative){span}",
        fp.frames.len(),
        fp.informative_frames()
    );
    out
}
