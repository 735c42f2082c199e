//! Arguments of `vfp scan`.

use super::{decoder_threads_per_file, jobs_or_cores, settings_error, SearchArgs};
use anyhow::Result;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use vfp_scan::{InputType, ScanSettings, Selection};

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

/// A type of file a scan reads (`-t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TypeArg {
    /// Videos in a format FFmpeg reads and vfp allows.
    Video,
    /// `.vfp` fingerprints (from `vfp extract`).
    Fingerprint,
    /// Single still pictures (JPEG, PNG, WebP...): not read unless asked.
    Still,
}

impl From<TypeArg> for InputType {
    fn from(t: TypeArg) -> InputType {
        match t {
            TypeArg::Video => InputType::Video,
            TypeArg::Fingerprint => InputType::Fingerprint,
            TypeArg::Still => InputType::Still,
        }
    }
}

/// Which files found in folders are read (`-t`, `-e`, `-u`), as fd and
/// ripgrep choose them; files named on the command line are read
/// whatever they are.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Read only files found in folders that hold this type (video,
    /// fingerprint, still; repeat for more) [default: video and
    /// fingerprint]. Decided by the first bytes, never by the name.
    #[arg(short = 't', long = "type", value_enum, value_name = "TYPE")]
    pub types: Vec<TypeArg>,
    /// Read only files found in folders whose name ends in this extension
    /// (`-e mp4 -e part`, any case).
    #[arg(short = 'e', long = "extension", value_name = "EXT")]
    pub extensions: Vec<String>,
    /// Also read hidden files and enter hidden folders (names starting
    /// with `.`), which are otherwise counted as skipped.
    #[arg(short = 'u', long)]
    pub unrestricted: bool,
}

impl SelectArgs {
    /// The selection.
    pub fn selection(&self) -> Selection {
        let default = Selection::default();
        Selection {
            types: if self.types.is_empty() {
                default.types
            } else {
                self.types.iter().map(|&t| t.into()).collect()
            },
            extensions: self
                .extensions
                .iter()
                .map(|e| e.trim_start_matches('.').to_ascii_lowercase())
                .collect(),
            hidden: self.unrestricted,
        }
    }
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
    /// Fewest time-consistent frames matched by their hashes for a match
    /// (at least 2).
    #[arg(long, value_name = "N", default_value_t = ScanSettings::default().min_frames)]
    pub min_frames: usize,
    /// Fewest title pictures matched by their keypoints at one time offset
    /// for a match found by local features (at least 2; the title keeps a
    /// picture a second).
    #[arg(long, value_name = "N", default_value_t = ScanSettings::default().min_pictures)]
    pub min_pictures: usize,
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
            min_pictures: self.min_pictures,
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
    #[arg(required_unless_present = "from", value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// A crawler's manifest (jsonl or CSV): the files it lists, each with
    /// its `path` and, carried into its record, its `source_url`,
    /// `found_at` and any other field.
    #[arg(long, value_name = "MANIFEST")]
    pub from: Option<PathBuf>,
    /// Search folders recursively for videos and .vfp files, known by
    /// what they hold, whatever their names (extensionless, `.bin`,
    /// `.part`); every other file found is counted as skipped, with why.
    #[arg(short, long)]
    pub recursive: bool,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Files scanned in parallel [default: number of cores].
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Decoder threads per file [default: cores shared among the files in
    /// flight]; `--threads 1` with `-j 1` keeps a scan on one core, as
    /// `vfp bench` measures it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Human)]
    pub format: ScanFormat,
    /// Skip the files an earlier scan finished, from its results (jsonl or
    /// CSV): same path bytes, same size and modification time; files that
    /// failed are scanned again.
    #[arg(long, value_name = "RESULTS")]
    pub resume: Option<PathBuf>,
    /// Write the records to this file instead of stdout, replacing it
    /// (see --append).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// With -o: add to the file instead of replacing it, and skip the
    /// files it holds a finished record of (so the same command resumes
    /// an interrupted scan); a last line cut short is dropped first.
    #[arg(long, requires = "output")]
    pub append: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Print nothing, as grep -q: the exit status says whether anything
    /// matched; without -o, the scan stops at the first match.
    #[arg(short, long)]
    pub quiet: bool,
    /// No progress bar on stderr (the records and the closing summary are
    /// still printed).
    #[arg(long)]
    pub no_progress: bool,
    /// Annotate each record with the review ledger's decisions (an SQLite
    /// file): a file already confirmed, noticed or licensed says so, and a
    /// match is marked to act on or not (jsonl `review`, human lines).
    #[arg(long, value_name = "LEDGER", env = "VFP_LEDGER")]
    pub ledger: Option<String>,
    /// With --ledger: print only the files with a match still to act on
    /// (no decision settles it, not on the allow-list); the exit status
    /// is 0 if there is one, 1 if nothing is left to act on.
    #[arg(long, requires = "ledger")]
    pub to_act_on: bool,
}

/// Validated `vfp scan` configuration.
#[derive(Debug)]
pub struct ScanConfig {
    /// The catalog folder.
    pub catalog: PathBuf,
    /// The paths as given (`-` for stdin).
    pub paths: Vec<PathBuf>,
    /// A crawler's manifest of more files.
    pub from: Option<PathBuf>,
    /// Expand folders.
    pub recursive: bool,
    /// Which files found in folders are read.
    pub selection: Selection,
    /// Files in flight.
    pub jobs: usize,
    /// Decoder threads per file, if given (else the cores are shared).
    pub threads: Option<usize>,
    /// Output format.
    pub format: ScanFormat,
    /// Earlier results to skip.
    pub resume: Option<PathBuf>,
    /// Where records are written (stdout if none).
    pub output: Option<PathBuf>,
    /// Add to `output` rather than replace it.
    pub append: bool,
    /// Print nothing; stop at the first match without `output`.
    pub quiet: bool,
    /// No progress bar.
    pub no_progress: bool,
    /// The review ledger to annotate records from.
    pub ledger: Option<String>,
    /// Print only what is still to act on.
    pub to_act_on: bool,
    /// What the engine runs with; decoder threads are set once the number
    /// of files is known (see [`ScanConfig::engine_for`]).
    pub engine: vfp_scan::ScanConfig,
}

impl ScanArgs {
    /// Checks every value; none is clamped.
    pub fn into_config(self) -> Result<ScanConfig> {
        let jobs = jobs_or_cores(self.jobs)?;
        if self.threads == Some(0) {
            anyhow::bail!("--threads must be at least 1");
        }
        let engine = self.engine.into_config()?;
        if let (Some(resume), Some(output), false) = (&self.resume, &self.output, self.append) {
            if same_file(resume, output) {
                anyhow::bail!(
                    "-o {} would replace the results --resume reads; add --append to add to them",
                    output.display()
                );
            }
        }
        Ok(ScanConfig {
            catalog: self.catalog,
            paths: self.paths,
            from: self.from,
            recursive: self.recursive,
            selection: self.select.selection(),
            jobs,
            threads: self.threads,
            format: self.format,
            resume: self.resume,
            output: self.output,
            append: self.append,
            quiet: self.quiet,
            no_progress: self.no_progress,
            ledger: self.ledger,
            to_act_on: self.to_act_on,
            engine,
        })
    }
}

/// Whether `a` and `b` are the same file (by device and inode), or the
/// same path.
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
        _ => a == b,
    }
}

impl ScanConfig {
    /// The engine's configuration for `files` inputs: files in flight
    /// share the cores between their decoders, unless `--threads` says.
    pub fn engine_for(&self, files: usize) -> vfp_scan::ScanConfig {
        let in_flight = self.jobs.min(files).max(1);
        let threads = self
            .threads
            .unwrap_or_else(|| decoder_threads_per_file(in_flight));
        self.engine.clone().with_decoder_threads(threads)
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
        assert_eq!(c.engine.sampling(), Sampling::Dense { fps: 15.0 });
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
    fn threads_given_are_kept_for_any_number_of_files() {
        let c = config(&["-j", "1", "--threads", "1", "a.mp4"]).unwrap();
        assert_eq!(c.engine_for(1).decoder_threads(), 1);
        assert_eq!(c.engine_for(10).decoder_threads(), 1);
        let c = config(&["-j", "4", "--threads", "3", "a.mp4"]).unwrap();
        assert_eq!(c.engine_for(10).decoder_threads(), 3);
        assert!(config(&["--threads", "0", "a.mp4"]).is_err());
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
