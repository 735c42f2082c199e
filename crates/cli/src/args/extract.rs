//! Arguments of `vfp extract` and `vfp show`.

use super::{decoder_threads_per_file, dense_sampling, jobs_or_cores};
use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use vfp_extractor::features::FeatureOptions;
use vfp_extractor::ExtractOptions;
use vfp_fingerprint::Sampling;

/// Output format of `vfp extract`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExtractFormat {
    /// One binary `<name>.vfp` file per input, in the output folder.
    Vfp,
    /// One JSON object per input and line, on stdout.
    Json,
}

/// Arguments of `vfp extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Video files to fingerprint (anything FFmpeg can read).
    #[arg(required = true, value_name = "VIDEO")]
    pub videos: Vec<PathBuf>,
    /// Folder for the .vfp files (created if missing).
    #[arg(short, long, value_name = "DIR", default_value = ".")]
    pub output: PathBuf,
    /// Dense sampling: frames hashed per second of video [default: 4, the
    /// catalog's rate].
    #[arg(long, value_name = "N", conflicts_with = "keyframes")]
    pub fps: Option<f32>,
    /// Decode and hash keyframes only: many times faster, for triage of
    /// bulk scans; keyframes fall at encoder-chosen times.
    #[arg(long)]
    pub keyframes: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExtractFormat::Vfp)]
    pub format: ExtractFormat,
    /// Files processed in parallel [default: number of cores].
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Decoder threads per file [default: cores shared among the files in
    /// flight].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

/// Validated `vfp extract` configuration.
#[derive(Debug)]
pub struct ExtractConfig {
    pub videos: Vec<PathBuf>,
    pub output: PathBuf,
    pub format: ExtractFormat,
    pub jobs: usize,
    pub options: ExtractOptions,
}

impl ExtractArgs {
    /// Checks the arguments and derives the thread layout.
    pub fn into_config(self) -> Result<ExtractConfig> {
        let sampling = match (self.fps, self.keyframes) {
            (_, true) => Sampling::Keyframes,
            (Some(fps), false) => dense_sampling(fps)?,
            (None, false) => Sampling::default(),
        };
        let jobs = jobs_or_cores(self.jobs)?;
        let in_flight = jobs.min(self.videos.len()).max(1);
        let decoder_threads = match self.threads {
            Some(0) => bail!("--threads must be at least 1"),
            Some(t) => t,
            None if in_flight == 1 => 0,
            None => decoder_threads_per_file(in_flight),
        };
        Ok(ExtractConfig {
            videos: self.videos,
            output: self.output,
            format: self.format,
            jobs,
            // A title's features: what `index add` stores; a scan of the
            // file matches crops at the title's scale by them, not zooms.
            // Keyframe fingerprints are for triage, as in `scan --fast`,
            // which looks at no features.
            options: ExtractOptions {
                decoder_threads,
                ..ExtractOptions::with_sampling(sampling)
            }
            .with_features(if sampling == Sampling::Keyframes {
                FeatureOptions::none()
            } else {
                FeatureOptions::title()
            }),
        })
    }
}

/// Output format of `vfp show`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    /// A summary per file.
    Human,
    /// The whole fingerprint, one JSON object per file and line.
    Json,
}

/// Arguments of `vfp show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// .vfp files to check and describe.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ShowFormat::Human)]
    pub format: ShowFormat,
}

/// Validated `vfp show` configuration.
#[derive(Debug)]
pub struct ShowConfig {
    pub files: Vec<PathBuf>,
    pub format: ShowFormat,
}

impl ShowArgs {
    /// Nothing to check beyond what clap does.
    pub fn into_config(self) -> ShowConfig {
        ShowConfig {
            files: self.files,
            format: self.format,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{cores, Command};

    fn parse(args: &[&str]) -> Result<ExtractConfig> {
        let mut full = vec!["extract"];
        full.extend_from_slice(args);
        match super::super::parse(&full)? {
            Command::Extract(a) => a.into_config(),
            _ => unreachable!("parsed extract"),
        }
    }

    #[test]
    fn defaults_are_dense_sampling_into_the_current_folder() {
        let c = parse(&["a.mp4"]).unwrap();
        assert_eq!(c.options.params.sampling, Sampling::default());
        assert_eq!(c.output, PathBuf::from("."));
        assert_eq!(c.format, ExtractFormat::Vfp);
        assert_eq!(
            c.options.decoder_threads, 0,
            "one file: FFmpeg picks the threads"
        );
    }

    #[test]
    fn fps_and_keyframes_set_the_sampling() {
        let c = parse(&["--fps", "2", "a.mp4"]).unwrap();
        assert_eq!(c.options.params.sampling, Sampling::Dense { fps: 2.0 });
        let c = parse(&["--keyframes", "a.mp4"]).unwrap();
        assert_eq!(c.options.params.sampling, Sampling::Keyframes);
    }

    #[test]
    fn fps_and_keyframes_conflict() {
        assert!(parse(&["--fps", "2", "--keyframes", "a.mp4"]).is_err());
    }

    #[test]
    fn fps_out_of_range_is_refused() {
        for bad in ["0", "-1", "61", "NaN"] {
            assert!(parse(&["--fps", bad, "a.mp4"]).is_err(), "--fps {bad}");
        }
    }

    #[test]
    fn zero_jobs_or_threads_are_refused() {
        assert!(parse(&["-j", "0", "a.mp4"]).is_err());
        assert!(parse(&["--threads", "0", "a.mp4"]).is_err());
    }

    #[test]
    fn files_in_flight_share_the_cores() {
        let c = parse(&["-j", "2", "a.mp4", "b.mp4", "c.mp4"]).unwrap();
        assert_eq!(c.jobs, 2);
        let cores = cores();
        assert_eq!(c.options.decoder_threads, (cores / 2).max(1));
        let c = parse(&["--threads", "3", "a.mp4"]).unwrap();
        assert_eq!(c.options.decoder_threads, 3);
    }

    #[test]
    fn at_least_one_video_is_required() {
        assert!(parse(&[]).is_err());
    }

    #[test]
    fn format_json_is_accepted() {
        assert_eq!(
            parse(&["--format", "json", "a.mp4"]).unwrap().format,
            ExtractFormat::Json
        );
        assert!(parse(&["--format", "xml", "a.mp4"]).is_err());
    }
}
