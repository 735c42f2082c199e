//! Arguments of `vfp bench`.

use super::{jobs_or_cores, settings_error, SearchArgs};
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use vfp_fingerprint::Sampling;
use vfp_scan::ScanSettings;

/// Output format of `vfp bench`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchFormat {
    /// Tables for people (and capacity plans).
    Human,
    /// One JSON document with every figure.
    Json,
}

/// Arguments of `vfp bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The catalog folder [default: a built-in catalog of two generated
    /// titles].
    #[arg(short, long, value_name = "CATALOG")]
    pub catalog: Option<PathBuf>,
    /// Videos, .vfp fingerprints, folders (with -r), or `-` to read paths
    /// from stdin [default: four built-in generated clips, 720p and 1080p
    /// H.264, two of them excerpts of the built-in titles].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Search folders recursively for videos and .vfp files.
    #[arg(short, long)]
    pub recursive: bool,
    /// Decode-only passes and scans per file; medians are reported.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub repeat: usize,
    /// Measure the --fast keyframe triage, against keyframe-only
    /// decoding.
    #[arg(long)]
    pub fast: bool,
    /// Also scan every file once with N files in flight, and report the
    /// throughput against N × the one-file-at-a-time figures (everything
    /// else runs on one core).
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Add synthetic titles holding this many catalog frames (k, M and G
    /// suffixes: 10M) to a copy of the catalog, to see what a search
    /// costs at that size before the catalog grows to it. Hashes only; a
    /// copy needs about 100 bytes a frame on disk.
    #[arg(long, value_name = "FRAMES", value_parser = parse_count, conflicts_with = "pad_hours")]
    pub pad_frames: Option<u64>,
    /// As --pad-frames, in hours of titles: at the catalog's sampling
    /// (4 frames a second), 10,000 hours are 144 M frames.
    #[arg(long, value_name = "HOURS")]
    pub pad_hours: Option<f64>,
    /// Size a fleet: how many cores scan this many files a day (k, M
    /// suffixes), at the measured CPU cost per second of video.
    #[arg(long, value_name = "N", value_parser = parse_count)]
    pub files_per_day: Option<u64>,
    /// With --files-per-day: their mean length, seconds [default: the
    /// measured files' mean length].
    #[arg(long, value_name = "S", requires = "files_per_day")]
    pub clip_seconds: Option<f64>,
    /// Folder for the padded copy of the catalog (deleted afterwards);
    /// the same file system as the catalog saves copying it [default:
    /// the system's temporary folder].
    #[arg(long, value_name = "DIR")]
    pub pad_dir: Option<PathBuf>,
    /// Folder for the built-in material, kept for the next run [default:
    /// $XDG_CACHE_HOME/vfp/bench or ~/.cache/vfp/bench].
    #[arg(long, value_name = "DIR")]
    pub material: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = BenchFormat::Human)]
    pub format: BenchFormat,
    #[command(flatten)]
    pub search: SearchArgs,
    /// Frames per second sampled from scanned videos.
    #[arg(long, value_name = "N", default_value_t = ScanSettings::default().fps)]
    pub fps: f32,
    /// No progress bar on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Validated `vfp bench` configuration.
#[derive(Debug)]
pub struct BenchConfig {
    /// The catalog folder; the built-in one if none.
    pub catalog: Option<PathBuf>,
    /// The paths as given; the built-in clips if none.
    pub paths: Vec<PathBuf>,
    /// Expand folders.
    pub recursive: bool,
    /// Passes per file.
    pub repeat: usize,
    /// Files in flight for the parallel measurement (none if 1).
    pub jobs: Option<usize>,
    /// Synthetic catalog frames to add.
    pub pad_frames: u64,
    /// Files a day to size a fleet for, and their mean length (seconds;
    /// the measured files' if none).
    pub sizing: Option<(u64, Option<f64>)>,
    /// Where the padded copy goes.
    pub pad_dir: PathBuf,
    /// Where the built-in material goes.
    pub material: PathBuf,
    /// Output format.
    pub format: BenchFormat,
    /// No progress bar.
    pub quiet: bool,
    /// The scan as measured: one decoder thread.
    pub engine: vfp_scan::ScanConfig,
}

impl BenchArgs {
    /// Checks every value; none is clamped.
    pub fn into_config(self) -> Result<BenchConfig> {
        if self.repeat == 0 {
            bail!("--repeat must be at least 1");
        }
        let jobs = match self.jobs {
            None => None,
            Some(j) => Some(jobs_or_cores(Some(j))?).filter(|&j| j > 1),
        };
        let engine = ScanSettings {
            fps: self.fps,
            fast: self.fast,
            decoder_threads: 1,
            ..self.search.settings()
        }
        .validate()
        .map_err(settings_error)?;
        Ok(BenchConfig {
            catalog: self.catalog,
            paths: self.paths,
            recursive: self.recursive,
            repeat: self.repeat,
            jobs,
            pad_frames: match (self.pad_frames, self.pad_hours) {
                (Some(frames), _) => frames,
                (None, Some(hours)) => pad_frames_of_hours(hours)?,
                (None, None) => 0,
            },
            sizing: match (self.files_per_day, self.clip_seconds) {
                (None, _) => None,
                (Some(_), Some(s)) if !(s.is_finite() && s > 0.0) => {
                    bail!("--clip-seconds must be a number of seconds above 0, got {s}")
                }
                (Some(n), s) => Some((n, s)),
            },
            pad_dir: self.pad_dir.unwrap_or_else(std::env::temp_dir),
            material: match self.material {
                Some(dir) => dir,
                None => default_material_dir()?,
            },
            format: self.format,
            quiet: self.quiet,
            engine,
        })
    }
}

/// `$XDG_CACHE_HOME/vfp/bench`, else `$HOME/.cache/vfp/bench`.
fn default_material_dir() -> Result<PathBuf> {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let cache = non_empty("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| non_empty("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .context("neither XDG_CACHE_HOME nor HOME is set; give --material DIR")?;
    Ok(cache.join("vfp").join("bench"))
}

/// A count with an optional k, M or G suffix (powers of 1000): `250k`,
/// `10M`, `1.5M`.
/// Catalog frames in `hours` of titles at the catalog's default sampling.
fn pad_frames_of_hours(hours: f64) -> Result<u64> {
    if !(hours.is_finite() && hours > 0.0 && hours <= 1e7) {
        bail!("--pad-hours must be a number of hours above 0 (at most 10 M), got {hours}");
    }
    Ok((hours * 3600.0 * f64::from(Sampling::DEFAULT_FPS)).round() as u64)
}

fn parse_count(text: &str) -> Result<u64, String> {
    let (digits, scale) = match text.char_indices().last() {
        Some((i, 'k' | 'K')) => (&text[..i], 1e3),
        Some((i, 'M')) => (&text[..i], 1e6),
        Some((i, 'G')) => (&text[..i], 1e9),
        _ => (text, 1.0),
    };
    let value: f64 = digits
        .parse()
        .map_err(|_| format!("expected a count such as 500000, 250k or 10M, got {text:?}"))?;
    let count = value * scale;
    if !count.is_finite() || !(0.0..=1e10).contains(&count) || count.fract() != 0.0 {
        return Err(format!(
            "expected a whole count from 0 to 10G frames, got {text:?}"
        ));
    }
    Ok(count as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{parse, Command};

    fn config(args: &[&str]) -> Result<BenchConfig> {
        let mut full = vec!["bench"];
        full.extend_from_slice(args);
        match parse(&full)? {
            Command::Bench(a) => a.into_config(),
            _ => unreachable!("parsed bench"),
        }
    }

    #[test]
    fn nothing_is_required_and_the_scan_runs_on_one_core() {
        let c = config(&[]).unwrap();
        assert!(c.catalog.is_none() && c.paths.is_empty());
        assert_eq!((c.repeat, c.jobs, c.pad_frames), (3, None, 0));
        assert_eq!(c.engine.decoder_threads(), 1);
        assert_eq!(c.engine.match_params().radius, 31);
        assert!(c.material.ends_with("vfp/bench"), "{:?}", c.material);
        assert_eq!(c.format, BenchFormat::Human);
    }

    #[test]
    fn a_fleet_is_sized_and_a_catalog_padded_in_hours() {
        let c = config(&[
            "--pad-hours",
            "1",
            "--files-per-day",
            "1M",
            "--clip-seconds",
            "30",
        ])
        .unwrap();
        assert_eq!(c.pad_frames, 3600 * 4);
        assert_eq!(c.sizing, Some((1_000_000, Some(30.0))));
        assert_eq!(
            config(&["--files-per-day", "2k"]).unwrap().sizing,
            Some((2_000, None))
        );
        for bad in [
            &["--clip-seconds", "30"][..],
            &["--files-per-day", "10", "--clip-seconds", "0"],
            &["--pad-hours", "-1"],
            &["--pad-hours", "1", "--pad-frames", "10"],
        ] {
            assert!(config(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn flags_reach_the_config() {
        let c = config(&[
            "-c",
            "cat",
            "--repeat",
            "5",
            "--fast",
            "-j",
            "4",
            "--pad-frames",
            "10M",
            "--pad-dir",
            "/big",
            "--material",
            "/m",
            "--format",
            "json",
            "--radius",
            "20",
            "-q",
            "a.mp4",
        ])
        .unwrap();
        assert_eq!(c.catalog, Some(PathBuf::from("cat")));
        assert_eq!((c.repeat, c.jobs, c.pad_frames), (5, Some(4), 10_000_000));
        assert_eq!(c.pad_dir, PathBuf::from("/big"));
        assert_eq!(c.material, PathBuf::from("/m"));
        assert!(c.engine.fast() && c.quiet);
        assert_eq!(c.engine.match_params().radius, 20);
        assert_eq!(c.format, BenchFormat::Json);
        assert_eq!(config(&["-j", "1"]).unwrap().jobs, None);
    }

    #[test]
    fn counts_take_suffixes_and_refuse_nonsense() {
        assert_eq!(parse_count("500000"), Ok(500_000));
        assert_eq!(parse_count("250k"), Ok(250_000));
        assert_eq!(parse_count("1.5M"), Ok(1_500_000));
        assert_eq!(parse_count("1G"), Ok(1_000_000_000));
        for bad in ["", "M", "-1M", "1.5", "ten", "1e300", "20G", "NaN"] {
            assert!(parse_count(bad).is_err(), "{bad}");
        }
        assert!(config(&["--repeat", "0"]).is_err());
        assert!(config(&["-j", "0"]).is_err());
        assert!(config(&["--fps", "0"]).is_err());
    }
}
