//! Arguments of `vfp verify`.

use super::{settings_error, SearchArgs};
use anyhow::Result;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use vfp_scan::ScanSettings;

/// Output format of `vfp verify`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum VerifyFormat {
    /// Segments with HH:MM:SS.mmm timecodes.
    Human,
    /// One JSON document with every segment and every matched frame pair.
    Json,
}

/// Arguments of `vfp verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The catalog folder.
    #[arg(short, long, value_name = "CATALOG")]
    pub catalog: PathBuf,
    /// The clip to verify (a video or a .vfp fingerprint).
    #[arg(value_name = "CLIP")]
    pub clip: PathBuf,
    /// Only segments of this title.
    #[arg(long, value_name = "TITLE_ID")]
    pub title: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Human)]
    pub format: VerifyFormat,
    /// Also write a self-contained HTML evidence page here.
    #[arg(long, value_name = "HTML")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub search: SearchArgs,
    /// Frames per second sampled from the clip.
    #[arg(long, value_name = "N", default_value_t = ScanSettings::default().fps)]
    pub fps: f32,
}

/// Validated `vfp verify` configuration.
#[derive(Debug)]
pub struct VerifyConfig {
    /// The catalog folder.
    pub catalog: PathBuf,
    /// The clip.
    pub clip: PathBuf,
    /// Only this title's segments.
    pub title: Option<String>,
    /// Output format.
    pub format: VerifyFormat,
    /// Where the evidence page goes.
    pub report: Option<PathBuf>,
    /// What the engine runs with.
    pub engine: vfp_scan::ScanConfig,
}

impl VerifyArgs {
    /// Checks every value; none is clamped.
    pub fn into_config(self) -> Result<VerifyConfig> {
        let engine = ScanSettings {
            radius: self.search.radius,
            follow_radius: self.search.follow_radius,
            fps: self.fps,
            exploratory: self.search.exploratory,
            search: self.search.search.into(),
            ..ScanSettings::default()
        }
        .validate()
        .map_err(settings_error)?;
        Ok(VerifyConfig {
            catalog: self.catalog,
            clip: self.clip,
            title: self.title,
            format: self.format,
            report: self.report,
            engine,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{parse, Command};

    fn config(args: &[&str]) -> Result<VerifyConfig> {
        let mut full = vec!["verify", "--catalog", "cat"];
        full.extend_from_slice(args);
        match parse(&full)? {
            Command::Verify(a) => a.into_config(),
            _ => unreachable!("parsed verify"),
        }
    }

    #[test]
    fn defaults_are_the_engines() {
        let c = config(&["clip.mp4"]).unwrap();
        assert_eq!(c.engine, vfp_scan::ScanConfig::default());
        assert_eq!(
            (c.format, c.title, c.report),
            (VerifyFormat::Human, None, None)
        );
        assert_eq!(c.clip, PathBuf::from("clip.mp4"));
    }

    #[test]
    fn flags_are_taken() {
        let c = config(&[
            "--title",
            "ep1",
            "--format",
            "json",
            "--report",
            "e.html",
            "--radius",
            "15",
            "--follow-radius",
            "30",
            "--fps",
            "12",
            "clip.mp4",
        ])
        .unwrap();
        assert_eq!(c.title.as_deref(), Some("ep1"));
        assert_eq!(c.format, VerifyFormat::Json);
        assert_eq!(c.report, Some(PathBuf::from("e.html")));
        let p = c.engine.match_params();
        assert_eq!((p.radius, p.follow_radius), (15, 30));
    }

    #[test]
    fn out_of_range_values_are_refused() {
        for args in [
            &["--radius", "999", "c.mp4"][..],
            &["--fps", "-1", "c.mp4"],
            &["--follow-radius", "300", "c.mp4"],
        ] {
            assert!(config(args).is_err(), "{args:?}");
        }
        assert!(parse(&["verify", "c.mp4"]).is_err(), "no catalog");
        assert!(parse(&["verify", "--catalog", "cat"]).is_err(), "no clip");
    }
}
