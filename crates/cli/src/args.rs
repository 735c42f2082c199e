//! Command-line arguments, in two stages: the raw clap structs, then a
//! validated configuration that the commands run on.

use anyhow::{bail, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use vfp_extractor::ExtractOptions;
use vfp_fingerprint::Sampling;

/// The number of cores, the default for `--jobs`.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `--jobs`: at least 1, the core count when not given.
pub fn jobs_or_cores(jobs: Option<usize>) -> Result<usize> {
    match jobs {
        Some(0) => bail!("--jobs must be at least 1"),
        Some(j) => Ok(j),
        None => Ok(cores()),
    }
}

/// Dense sampling at `--fps N`, refused outside `0 < N <= MAX_FPS`.
pub fn dense_sampling(fps: f32) -> Result<Sampling> {
    let sampling = Sampling::Dense { fps };
    if !sampling.is_valid() {
        bail!(
            "--fps must be above 0 and at most {}, got {fps}",
            Sampling::MAX_FPS
        );
    }
    Ok(sampling)
}

/// Perceptual video fingerprinting: find leaked catalog content in
/// re-encoded, cropped, mirrored and watermarked copies.
#[derive(Debug, Parser)]
#[command(name = "vfp", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fingerprint videos: one .vfp file per input, or JSON on stdout.
    Extract(ExtractArgs),
    /// Check and describe .vfp fingerprint files.
    Show(ShowArgs),
    /// Build and maintain the catalog of protected titles.
    #[command(subcommand)]
    Index(IndexCommand),
    /// Scan videos (or .vfp fingerprints) for catalog content.
    Scan(ScanArgs),
    /// Re-check one takedown target thoroughly, with timecoded evidence.
    Verify(VerifyArgs),
}

/// Output format of `vfp verify`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum VerifyFormat {
    /// Segments with HH:MM:SS.mmm timecodes.
    Human,
    /// One JSON document with every segment and its per-frame distances.
    Json,
}

/// Arguments of `vfp verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The catalog folder.
    #[arg(long, value_name = "CATALOG")]
    pub catalog: PathBuf,
    /// The clip to verify (a video or a .vfp fingerprint).
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
    /// Hamming radius of the per-frame search.
    #[arg(long, value_name = "BITS", default_value_t = vfp_matcher::DEFAULT_RADIUS)]
    pub radius: u32,
    /// Hamming radius for frames along a match found by the search (each
    /// is compared with the title's frames at its aligned time only).
    #[arg(long, value_name = "BITS", default_value_t = vfp_matcher::DEFAULT_FOLLOW_RADIUS)]
    pub follow_radius: u32,
    /// Frames per second sampled from the clip.
    #[arg(long, value_name = "N", default_value_t = 30.0)]
    pub fps: f32,
}

/// Output format of `vfp scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// One line per file, one indented line per match.
    Human,
    /// One JSON record per file and line.
    Jsonl,
    /// One CSV row per match (or per file without one).
    Csv,
}

/// Arguments of `vfp scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The catalog folder.
    #[arg(long, value_name = "CATALOG")]
    pub catalog: PathBuf,
    /// Videos, .vfp fingerprints, folders (with -r), or `-` to read paths
    /// from stdin, one per line.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Search folders recursively.
    #[arg(short, long)]
    pub recursive: bool,
    /// Files scanned in parallel [default: number of cores].
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Human)]
    pub format: ScanFormat,
    /// Triage: decode keyframes only; a file with any hit is re-checked
    /// densely before it is reported as a match.
    #[arg(long)]
    pub fast: bool,
    /// Shortest match reported, in seconds of the scanned file.
    #[arg(long, value_name = "S", default_value_t = f64::from(vfp_matcher::DEFAULT_MIN_DURATION_MS) / 1000.0)]
    pub min_duration: f64,
    /// Skip files already in this jsonl results file (from an earlier,
    /// interrupted scan), except those that failed.
    #[arg(long, value_name = "RESULTS")]
    pub resume: Option<PathBuf>,
    /// Fewest time-consistent matched frames for a match.
    #[arg(long, value_name = "N", default_value_t = vfp_matcher::DEFAULT_MIN_FRAMES)]
    pub min_frames: usize,
    /// Hamming radius of the per-frame catalog search.
    #[arg(long, value_name = "BITS", default_value_t = vfp_matcher::DEFAULT_RADIUS)]
    pub radius: u32,
    /// Hamming radius for frames along a match found by the search (each
    /// is compared with the title's frames at its aligned time only).
    #[arg(long, value_name = "BITS", default_value_t = vfp_matcher::DEFAULT_FOLLOW_RADIUS)]
    pub follow_radius: u32,
    /// Frames per second sampled from scanned videos.
    #[arg(long, value_name = "N", default_value_t = 30.0)]
    pub fps: f32,
}

/// `vfp index` subcommands.
#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Build a catalog from videos or .vfp fingerprints (replaces any
    /// catalog at the output path, atomically).
    Build(BuildArgs),
    /// Add titles to a catalog without touching what is there.
    Add(AddArgs),
    /// Remove a title from a catalog.
    Remove {
        /// The catalog folder.
        catalog: PathBuf,
        /// The title id.
        id: String,
    },
    /// List the titles: id, name, duration, frames.
    List {
        /// The catalog folder.
        catalog: PathBuf,
    },
    /// Counts, sizes, parameters and format version.
    Info {
        /// The catalog folder.
        catalog: PathBuf,
    },
    /// Check every checksum; status 0 only if all hold.
    Verify {
        /// The catalog folder.
        catalog: PathBuf,
    },
}

/// The titles to put in a catalog.
#[derive(Debug, Args)]
pub struct TitleArgs {
    /// A titles CSV: `id,path[,name][,labels]` per line (paths relative to
    /// the CSV's folder).
    #[arg(long, value_name = "CSV", conflicts_with = "inputs")]
    pub manifest: Option<PathBuf>,
    /// Videos, .vfp fingerprints, or folders searched for them; each title
    /// id is the file stem.
    #[arg(
        value_name = "VIDEO_OR_VFP_OR_DIR",
        required_unless_present = "manifest"
    )]
    pub inputs: Vec<PathBuf>,
    /// Samples per second of video for the catalog (dense sampling).
    #[arg(long, value_name = "N", default_value_t = Sampling::DEFAULT_FPS)]
    pub fps: f32,
    /// Files fingerprinted in parallel [default: number of cores].
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
}

/// Arguments of `vfp index build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The catalog folder to write.
    #[arg(short, long, value_name = "CATALOG")]
    pub output: PathBuf,
    #[command(flatten)]
    pub titles: TitleArgs,
}

/// Arguments of `vfp index add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The catalog folder.
    pub catalog: PathBuf,
    #[command(flatten)]
    pub titles: TitleArgs,
}

/// Where a catalog's titles come from.
#[derive(Debug)]
pub enum TitleSpec {
    /// A titles CSV.
    Manifest(PathBuf),
    /// Files and folders; ids are file stems.
    Paths(Vec<PathBuf>),
}

/// Validated titles to fingerprint and store.
#[derive(Debug)]
pub struct TitlesConfig {
    pub spec: TitleSpec,
    pub jobs: usize,
    pub options: ExtractOptions,
}

impl TitleArgs {
    /// Checks the rate and the thread layout.
    pub fn into_config(self) -> Result<TitlesConfig> {
        let sampling = dense_sampling(self.fps)?;
        let cores = cores();
        let jobs = jobs_or_cores(self.jobs)?;
        let spec = match self.manifest {
            Some(csv) => TitleSpec::Manifest(csv),
            None => TitleSpec::Paths(self.inputs),
        };
        Ok(TitlesConfig {
            spec,
            jobs,
            options: ExtractOptions {
                // Many titles in flight share the cores.
                decoder_threads: (cores / jobs).max(1),
                ..ExtractOptions::with_sampling(sampling)
            },
        })
    }
}

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
    /// Dense sampling: frames hashed per second of video.
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
        let cores = cores();
        let jobs = jobs_or_cores(self.jobs)?;
        // Files in flight share the cores: one file gets them all, as many
        // files as cores get one decoder thread each.
        let in_flight = jobs.min(self.videos.len()).max(1);
        let decoder_threads = match self.threads {
            Some(0) => bail!("--threads must be at least 1"),
            Some(t) => t,
            None if in_flight == 1 => 0,
            None => (cores / in_flight).max(1),
        };
        Ok(ExtractConfig {
            videos: self.videos,
            output: self.output,
            format: self.format,
            jobs,
            options: ExtractOptions {
                decoder_threads,
                ..ExtractOptions::with_sampling(sampling)
            },
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

    #[test]
    fn scan_defaults_and_checks() {
        let parsed = Cli::try_parse_from(["vfp", "scan", "--catalog", "cat", "a.mp4"]).unwrap();
        let Command::Scan(s) = parsed.command else {
            unreachable!("parsed scan")
        };
        assert_eq!(
            (s.radius, s.fps, s.min_duration, s.format),
            (31, 30.0, 1.0, ScanFormat::Human)
        );
        assert!(
            Cli::try_parse_from(["vfp", "scan", "a.mp4"]).is_err(),
            "no catalog"
        );
        assert!(
            Cli::try_parse_from(["vfp", "scan", "--catalog", "cat"]).is_err(),
            "no path"
        );
    }

    fn parse(args: &[&str]) -> Result<ExtractConfig> {
        let mut full = vec!["vfp", "extract"];
        full.extend_from_slice(args);
        match Cli::try_parse_from(full)?.command {
            Command::Extract(a) => a.into_config(),
            _ => unreachable!("parsed extract"),
        }
    }

    fn parse_build(args: &[&str]) -> Result<(PathBuf, TitlesConfig)> {
        let mut full = vec!["vfp", "index", "build"];
        full.extend_from_slice(args);
        match Cli::try_parse_from(full)?.command {
            Command::Index(IndexCommand::Build(b)) => Ok((b.output, b.titles.into_config()?)),
            _ => unreachable!("parsed index build"),
        }
    }

    #[test]
    fn index_build_takes_paths_or_a_manifest() {
        let (out, c) = parse_build(&["-o", "cat", "a.mp4", "dir"]).unwrap();
        assert_eq!(out, PathBuf::from("cat"));
        assert!(matches!(c.spec, TitleSpec::Paths(ref p) if p.len() == 2));
        assert_eq!(c.options.params.sampling, Sampling::default());
        let (_, c) = parse_build(&["-o", "cat", "--manifest", "t.csv", "--fps", "8"]).unwrap();
        assert!(matches!(c.spec, TitleSpec::Manifest(_)));
        assert_eq!(c.options.params.sampling, Sampling::Dense { fps: 8.0 });
    }

    #[test]
    fn index_build_needs_an_output_and_titles() {
        assert!(parse_build(&["a.mp4"]).is_err(), "no -o");
        assert!(parse_build(&["-o", "cat"]).is_err(), "no titles");
        assert!(
            parse_build(&["-o", "cat", "--manifest", "t.csv", "a.mp4"]).is_err(),
            "both"
        );
        assert!(parse_build(&["-o", "cat", "--fps", "0", "a.mp4"]).is_err());
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
