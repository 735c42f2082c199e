//! Arguments of `vfp scan`.

use super::{decoder_threads_per_file, jobs_or_cores, settings_error, SearchArgs};
use anyhow::Result;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use vfp_scan::ScanSettings;

/// Output format of `vfp scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// One line per file, one indented line per match; errors on stderr.
    Human,
    /// One JSON record per file and line (errors too).
    Jsonl,
    /// One CSV row per match, or per file without one (errors too).
    Csv,
}

/// What decides a match, for `scan` and `worker`.
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// Triage: decode keyframes only; a file with any hit is re-checked
    /// densely before it is reported as a match.
    #[arg(long)]
    pub fast: bool,
    /// Shortest match reported, in seconds of the scanned file.
    #[arg(long, value_name = "S", default_value_t = ScanSettings::default().min_duration_s)]
    pub min_duration: f64,
    /// Fewest time-consistent matched frames for a match (at least 2).
    #[arg(long, value_name = "N", default_value_t = ScanSettings::default().min_frames)]
    pub min_frames: usize,
    #[command(flatten)]
    pub search: SearchArgs,
    /// Frames per second sampled from scanned videos.
    #[arg(long, value_name = "N", default_value_t = ScanSettings::default().fps)]
    pub fps: f32,
}

impl EngineArgs {
    /// The engine's configuration (decoder threads: as many as the
    /// engine picks until [`vfp_scan::ScanConfig::with_decoder_threads`]);
    /// every value checked, none clamped.
    pub fn into_config(self) -> Result<vfp_scan::ScanConfig> {
        ScanSettings {
            min_frames: self.min_frames,
            min_duration_s: self.min_duration,
            fps: self.fps,
            fast: self.fast,
            decoder_threads: 0,
            ..self.search.settings()
        }
        .validate()
        .map_err(settings_error)
    }
}

/// Arguments of `vfp scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The catalog folder.
    #[arg(short, long, value_name = "CATALOG")]
    pub catalog: PathBuf,
    /// Videos, .vfp fingerprints, folders (with -r), or `-` to read paths
    /// from stdin, one per line.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Search folders recursively for videos and .vfp files.
    #[arg(short, long)]
    pub recursive: bool,
    /// Files scanned in parallel [default: number of cores].
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Human)]
    pub format: ScanFormat,
    /// Skip files already in this jsonl results file (from an earlier,
    /// interrupted scan), except those that failed.
    #[arg(long, value_name = "RESULTS")]
    pub resume: Option<PathBuf>,
    /// Append the records to this file instead of printing them: a line
    /// cut short by a killed scan is dropped first, and with jsonl the
    /// files it already holds a finished record of are skipped (so the
    /// same command resumes).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// No progress bar and no closing summary on stderr (errors are still
    /// records).
    #[arg(short, long)]
    pub quiet: bool,
    /// Annotate each record with the review ledger's decisions (an SQLite
    /// file): a file already confirmed, noticed or licensed says so, and a
    /// match is marked to act on or not (jsonl `review`, human lines).
    #[arg(long, value_name = "LEDGER", env = "VFP_LEDGER")]
    pub ledger: Option<String>,
}

/// Validated `vfp scan` configuration.
#[derive(Debug)]
pub struct ScanConfig {
    /// The catalog folder.
    pub catalog: PathBuf,
    /// The paths as given (`-` for stdin).
    pub paths: Vec<PathBuf>,
    /// Expand folders.
    pub recursive: bool,
    /// Files in flight.
    pub jobs: usize,
    /// Output format.
    pub format: ScanFormat,
    /// Earlier results to skip.
    pub resume: Option<PathBuf>,
    /// Where records are appended (stdout if none).
    pub output: Option<PathBuf>,
    /// No progress bar, no summary.
    pub quiet: bool,
    /// The review ledger to annotate records from.
    pub ledger: Option<String>,
    /// What the engine runs with; decoder threads are set once the number
    /// of files is known (see [`ScanConfig::engine_for`]).
    pub engine: vfp_scan::ScanConfig,
}

impl ScanArgs {
    /// Checks every value; none is clamped.
    pub fn into_config(self) -> Result<ScanConfig> {
        let jobs = jobs_or_cores(self.jobs)?;
        let engine = self.engine.into_config()?;
        Ok(ScanConfig {
            catalog: self.catalog,
            paths: self.paths,
            recursive: self.recursive,
            jobs,
            format: self.format,
            resume: self.resume,
            output: self.output,
            quiet: self.quiet,
            ledger: self.ledger,
            engine,
        })
    }
}

impl ScanConfig {
    /// The engine's configuration for `files` inputs: files in flight
    /// share the cores between their decoders.
    pub fn engine_for(&self, files: usize) -> vfp_scan::ScanConfig {
        let in_flight = self.jobs.min(files).max(1);
        self.engine
            .clone()
            .with_decoder_threads(decoder_threads_per_file(in_flight))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{cores, parse, Command};
    use vfp_fingerprint::Sampling;

    fn config(args: &[&str]) -> Result<ScanConfig> {
        let mut full = vec!["scan", "--catalog", "cat"];
        full.extend_from_slice(args);
        match parse(&full)? {
            Command::Scan(a) => a.into_config(),
            _ => unreachable!("parsed scan"),
        }
    }

    #[test]
    fn defaults_are_the_engines() {
        let c = config(&["a.mp4"]).unwrap();
        assert_eq!(c.engine, vfp_scan::ScanConfig::default());
        assert_eq!(
            (c.format, c.recursive, c.jobs),
            (ScanFormat::Human, false, cores())
        );
        assert!(!c.quiet);
        assert_eq!(c.engine.match_params().radius, 31);
        assert_eq!(c.engine.sampling(), Sampling::Dense { fps: 30.0 });
    }

    #[test]
    fn flags_reach_the_engine() {
        let c = config(&[
            "--radius",
            "20",
            "--follow-radius",
            "40",
            "--min-frames",
            "3",
            "--min-duration",
            "2",
            "--fps",
            "10",
            "--fast",
            "-j",
            "3",
            "-r",
            "--format",
            "csv",
            "--resume",
            "old.jsonl",
            "-q",
            "dir",
        ])
        .unwrap();
        assert!(c.quiet);
        let p = c.engine.match_params();
        assert_eq!(
            (p.radius, p.follow_radius, p.min_frames, p.min_duration_ms),
            (20, 40, 3, 2_000)
        );
        assert!(c.engine.fast() && c.recursive);
        assert_eq!((c.jobs, c.format), (3, ScanFormat::Csv));
        assert_eq!(c.resume, Some(PathBuf::from("old.jsonl")));
        assert_eq!(c.engine_for(10).decoder_threads(), (cores() / 3).max(1));
        assert_eq!(c.engine_for(1).decoder_threads(), cores());
    }

    #[test]
    fn out_of_range_values_are_refused_not_clamped() {
        for args in [
            &["--min-frames", "1", "a.mp4"][..],
            &["--min-frames", "0", "a.mp4"],
            &["--radius", "300", "a.mp4"],
            &["--follow-radius", "257", "a.mp4"],
            &["--min-duration", "-1", "a.mp4"],
            &["--min-duration", "NaN", "a.mp4"],
            &["--fps", "0", "a.mp4"],
            &["--fps", "90", "a.mp4"],
            &["-j", "0", "a.mp4"],
        ] {
            let err = config(args).unwrap_err();
            assert!(!format!("{err:#}").is_empty(), "{args:?}");
        }
        let err = config(&["--min-frames", "1", "a.mp4"]).unwrap_err();
        assert!(format!("{err:#}").starts_with("--min-frames: "), "{err:#}");
        assert!(format!("{err:#}").contains("at least 2"), "{err:#}");
        let err = config(&["--follow-radius", "300", "a.mp4"]).unwrap_err();
        assert!(
            format!("{err:#}").starts_with("--follow-radius: "),
            "{err:#}"
        );
    }

    #[test]
    fn a_catalog_and_a_path_are_required() {
        assert!(parse(&["scan", "a.mp4"]).is_err(), "no catalog");
        assert!(parse(&["scan", "--catalog", "cat"]).is_err(), "no path");
    }
}
