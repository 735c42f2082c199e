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
    /// Also write a self-contained HTML evidence page here (and its
    /// SHA-256 beside it, HTML.sha256).
    #[arg(long, value_name = "HTML")]
    pub report: Option<PathBuf>,
    /// Also write the evidence bundle into this folder: report.html,
    /// report.json (everything on the page and every matched frame pair)
    /// and SHA256SUMS.
    #[arg(long, value_name = "DIR")]
    pub bundle: Option<PathBuf>,
    /// Replace an existing page (--report) or the bundle's files in a
    /// folder that is not empty (--bundle); without it, both are refused.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub provenance: ProvenanceArgs,
    /// The review ledger (an SQLite file or postgres:// URL): its decisions
    /// about the clip, and whether the clip or its source is on the
    /// allow-list, go on the page and into the bundle.
    #[arg(long, value_name = "LEDGER", env = "VFP_LEDGER")]
    pub ledger: Option<String>,
    #[command(flatten)]
    pub search: SearchArgs,
    /// Frames per second sampled from the clip (twice a scan's default).
    #[arg(long, value_name = "N", default_value_t = vfp_scan::DEFAULT_VERIFY_FPS)]
    pub fps: f32,
}

/// Arguments of `vfp report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A scan's jsonl records (`vfp scan --format jsonl -o RESULTS`).
    #[arg(value_name = "RESULTS")]
    pub results: PathBuf,
    /// The catalog the scan used.
    #[arg(short, long, value_name = "CATALOG")]
    pub catalog: PathBuf,
    /// The folder to write: index.html, and pages/NNNN.html, the evidence
    /// page of each hit.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Replace the files of a folder that is not empty.
    #[arg(long)]
    pub force: bool,
    /// The review ledger: each hit's state as it is now [default: what
    /// the records say, if the scan had --ledger].
    #[arg(long, value_name = "LEDGER", env = "VFP_LEDGER")]
    pub ledger: Option<String>,
    /// Files checked in parallel [default: number of cores].
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
}

/// Where the clip came from and who checks it: shown on the evidence page
/// and in the bundle.
#[derive(Debug, Default, Args)]
pub struct ProvenanceArgs {
    /// Where the clip was found (the post's URL).
    #[arg(long, value_name = "URL")]
    pub source_url: Option<String>,
    /// When it was found (as you record it, e.g. 2026-11-30T08:12:00Z).
    #[arg(long, value_name = "TIME")]
    pub found_at: Option<String>,
    /// Who checks it.
    #[arg(long, value_name = "NAME")]
    pub reviewer: Option<String>,
    /// The case it belongs to (free text or an id).
    #[arg(long, value_name = "CASE")]
    pub case: Option<String>,
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
    /// Where the evidence bundle goes.
    pub bundle: Option<PathBuf>,
    /// Replace existing evidence files.
    pub force: bool,
    /// Where the clip came from, who checks it.
    pub provenance: vfp_scan::evidence::ReviewerInput,
    /// The review ledger to consult.
    pub ledger: Option<String>,
    /// What the engine runs with.
    pub engine: vfp_scan::ScanConfig,
}

impl VerifyArgs {
    /// Checks every value; none is clamped.
    pub fn into_config(self) -> Result<VerifyConfig> {
        let engine = ScanSettings {
            fps: self.fps,
            ..self.search.settings()
        }
        .validate()
        .map_err(settings_error)?;
        Ok(VerifyConfig {
            catalog: self.catalog,
            clip: self.clip,
            title: self.title,
            format: self.format,
            report: self.report,
            bundle: self.bundle,
            force: self.force,
            provenance: vfp_scan::evidence::ReviewerInput {
                source_url: self.provenance.source_url,
                found_at: self.provenance.found_at,
                reviewer: self.provenance.reviewer,
                case: self.provenance.case,
            },
            ledger: self.ledger,
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
    fn defaults_are_the_engines_but_denser_sampling() {
        let c = config(&["clip.mp4"]).unwrap();
        let denser = ScanSettings {
            fps: 30.0,
            ..ScanSettings::default()
        };
        assert_eq!(c.engine, denser.validate().unwrap());
        assert_ne!(c.engine, vfp_scan::ScanConfig::default());
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
            "--bundle",
            "case-7",
            "--source-url",
            "https://example.com/v/1",
            "--found-at",
            "2026-11-30T08:12:00Z",
            "--reviewer",
            "A. Reviewer",
            "--case",
            "C-7",
            "clip.mp4",
        ])
        .unwrap();
        assert_eq!(c.bundle, Some(PathBuf::from("case-7")));
        let given = &c.provenance;
        assert_eq!(given.source_url.as_deref(), Some("https://example.com/v/1"));
        assert_eq!(given.found_at.as_deref(), Some("2026-11-30T08:12:00Z"));
        assert_eq!(given.reviewer.as_deref(), Some("A. Reviewer"));
        assert_eq!(given.case.as_deref(), Some("C-7"));
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
