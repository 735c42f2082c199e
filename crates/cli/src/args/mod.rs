//! Command-line arguments, in two stages: the raw clap structs (their
//! `///` comments are the help text), then for each command a validated
//! configuration that the command runs on. Everything is checked before a
//! catalog is opened or a file read; nothing is clamped silently.

mod bench;
mod extract;
mod fleet;
mod index;
pub mod review;
mod scan;
mod shared;
mod verify;

pub use bench::{BenchArgs, BenchConfig, BenchFormat};
pub use extract::{ExtractArgs, ExtractConfig, ExtractFormat, ShowArgs, ShowConfig, ShowFormat};
pub use fleet::{ResultsArgs, ResultsConfig, SubmitArgs, SubmitConfig, WorkerArgs, WorkerConfig};
pub use index::{IndexCommand, IndexConfig, TitleSpec, TitlesConfig};
pub use review::{ReviewCommand, ReviewConfig, ReviewFormat};
pub use scan::{ScanArgs, ScanConfig, ScanFormat};
pub use shared::shareable_command_line;
pub use verify::{ReportArgs, VerifyArgs, VerifyConfig, VerifyFormat};

use anyhow::{bail, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use vfp_fingerprint::Sampling;

/// What the exit status means, at the end of every `--help`.
pub const EXIT_STATUS_HELP: &str = "Exit status: 0 on success, 2 on any error.";

/// `vfp --help`: every command's statuses.
pub const EXIT_STATUS_ALL: &str = "\
Exit status: 0 on success (scan, verify, results: something matched), 1 \
when every input was processed and nothing matched (scan, verify, \
results), 2 on any error (scan, results: some files failed; the others \
were still scanned), 3 (results) when some submitted files have no result \
yet, 4 (scan, verify, results) when nothing matched and some file could \
not be judged (inconclusive). Each command's --help gives its own.";

/// `vfp extract --help`.
pub const EXIT_STATUS_EXTRACT: &str = "Exit status: 0 when every file was fingerprinted, \
2 when any failed (the others were still written) or the arguments are wrong.";

/// `vfp scan --help`.
pub const EXIT_STATUS_SCAN: &str = "Exit status: 0 something matched, 1 every file \
was scanned and nothing matched, 2 some file failed (the others were still scanned) \
or the arguments are wrong, as grep's; 4 nothing matched and some file could not be \
judged (inconclusive: too short, too blank, keyframes only). With -q: 0 as soon as \
a match is found. With --to-act-on: 0 something is left to act on, 1 nothing is.";

/// `vfp verify --help`.
pub const EXIT_STATUS_VERIFY: &str = "Exit status: 0 the file shows a catalog title, 1 \
it does not, 2 it could not be checked or the arguments are wrong, 4 nothing matched \
and the file holds too little to say it does not (inconclusive).";

/// `vfp report --help`.
pub const EXIT_STATUS_REPORT: &str = "Exit status: 0 when every hit was checked again and has \
its page, 1 when the results hold no hit, 2 when some hit could not be checked (its file \
moved or changed; the page lists it) or on any other error.";

/// `vfp bench --help`.
pub const EXIT_STATUS_BENCH: &str = "Exit status: 0 when every file was measured, 2 when \
any could not be scanned (the others were still measured) or on any other error.";

/// `vfp results --help`.
pub const EXIT_STATUS_RESULTS: &str = "Exit status: 0 something matched, 1 every \
submitted file has a result and nothing matched, 2 some files failed, 3 some \
submitted files have no result yet (the others' records were printed), 4 nothing \
matched and some file could not be judged (inconclusive). With --to-act-on: 0 \
something is left to act on, 1 nothing is.";

/// `vfp worker --help`.
pub const EXIT_STATUS_WORKER: &str = "Exit status: 0 when it stopped as asked (SIGTERM, \
Ctrl-C, --stop-when-idle), 2 when it could not go on (no server, no catalog).";

/// How far the catalog search and the following of a match reach, for
/// `scan` and `verify`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Hamming radius of the per-frame catalog search, bits of 256.
    #[arg(long, value_name = "BITS", default_value_t = vfp_scan::ScanSettings::default().radius)]
    pub radius: u32,
    /// Hamming radius for frames along a match found by the search (each
    /// is compared with the title's frames at its aligned time only).
    #[arg(
        long,
        value_name = "BITS",
        default_value_t = vfp_scan::ScanSettings::default().follow_radius
    )]
    pub follow_radius: u32,
    /// Allow radii beyond the widest tested without a false claim (47 and
    /// 71 bits); every record then says it is exploratory: a lead, not
    /// evidence.
    #[arg(long)]
    pub exploratory: bool,
    /// Which clip moments are searched within the full radius: `dense`
    /// every one; `tiered` six a second (every moment within 10 bits, ten
    /// a second within 21), a few times cheaper at large catalogs for a
    /// few short, hard copies missed; `auto` dense up to 1 M catalog
    /// frames, tiered beyond (`verify` always searches densely).
    #[arg(long, value_enum, value_name = "HOW", default_value_t = SearchHow::Auto)]
    pub search: SearchHow,
    /// Give up on a file after this many seconds of decoding (an error
    /// record; 0: no limit). Files that cost more than any real video,
    /// per byte or per second of content, are refused whatever the limit.
    #[arg(long, value_name = "S", default_value_t = vfp_scan::ScanSettings::default().max_file_seconds)]
    pub max_file_seconds: u64,
}

impl SearchArgs {
    /// The engine's settings with these search flags, the others at their
    /// defaults.
    pub fn settings(&self) -> vfp_scan::ScanSettings {
        vfp_scan::ScanSettings {
            radius: self.radius,
            follow_radius: self.follow_radius,
            exploratory: self.exploratory,
            search: self.search.into(),
            max_file_seconds: self.max_file_seconds,
            ..vfp_scan::ScanSettings::default()
        }
    }
}

/// `--search`: how densely a scan searches the catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SearchHow {
    /// Dense up to 1 M catalog frames, tiered beyond.
    Auto,
    /// Every sampled moment within the full radius.
    Dense,
    /// Six moments a second within the full radius.
    Tiered,
}

impl From<SearchHow> for vfp_scan::SearchMode {
    fn from(how: SearchHow) -> Self {
        match how {
            SearchHow::Auto => vfp_scan::SearchMode::Auto,
            SearchHow::Dense => vfp_scan::SearchMode::Dense,
            SearchHow::Tiered => vfp_scan::SearchMode::Tiered,
        }
    }
}

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

/// Decoder threads for each of `in_flight` files decoded at once: they
/// share the cores (one file gets them all, as many files as cores get
/// one each).
pub fn decoder_threads_per_file(in_flight: usize) -> usize {
    (cores() / in_flight.max(1)).max(1)
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

/// A scan setting out of range, named by its flag:
/// `--min-frames: the fewest matched frames must be at least 2 ...`.
pub fn settings_error(e: vfp_scan::ConfigError) -> anyhow::Error {
    let flag = match e.setting() {
        "radius" => "--radius",
        "follow_radius" => "--follow-radius",
        "min_frames" => "--min-frames",
        "min_duration_s" => "--min-duration",
        "fps" => "--fps",
        other => other,
    };
    anyhow::anyhow!("{flag}: {e}")
}

/// Perceptual video fingerprinting: find leaked catalog content in
/// re-encoded, cropped, mirrored and watermarked copies.
///
/// Typical use: `vfp index build --catalog CAT titles/` once, then `vfp
/// scan --catalog CAT -r downloads/` for every batch, and `vfp verify
/// --catalog CAT clip.mp4 --report evidence.html` before a takedown.
#[derive(Debug, Parser)]
#[command(
    name = "vfp",
    version,
    about,
    propagate_version = true,
    after_help = EXIT_STATUS_ALL
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fingerprint videos: one .vfp file per input, or JSON on stdout.
    #[command(after_help = EXIT_STATUS_EXTRACT)]
    Extract(ExtractArgs),
    /// Check and describe .vfp fingerprint files.
    #[command(after_help = EXIT_STATUS_HELP)]
    Show(ShowArgs),
    /// Build and maintain the catalog of protected titles.
    #[command(subcommand)]
    Index(IndexCommand),
    /// Scan videos (or .vfp fingerprints) for catalog content: one result
    /// per file, files in parallel.
    #[command(after_help = EXIT_STATUS_SCAN)]
    Scan(ScanArgs),
    /// Check one takedown target thoroughly, with timecoded evidence and
    /// an optional HTML evidence page.
    #[command(after_help = EXIT_STATUS_VERIFY)]
    Verify(VerifyArgs),
    /// One HTML page of a scan's hits for review: per file, the matched
    /// frames side by side, the title and its owner, where it was found,
    /// the ledger's state, and a link to its evidence page (written too).
    #[command(after_help = EXIT_STATUS_REPORT)]
    Report(ReportArgs),
    /// Measure what scanning costs on this machine: files against a
    /// catalog (or built-in material), stage by stage, beside decoding
    /// alone; with --pad-frames, at a larger catalog.
    #[command(after_help = EXIT_STATUS_BENCH)]
    Bench(BenchArgs),
    /// Scan files for other machines: take jobs from a NATS JetStream
    /// queue, match each against the current release of a published
    /// catalog, publish one result per file.
    #[command(after_help = EXIT_STATUS_WORKER)]
    Worker(WorkerArgs),
    /// Put files on the NATS JetStream queue for workers to scan; prints
    /// the batch id.
    #[command(after_help = EXIT_STATUS_HELP)]
    Submit(SubmitArgs),
    /// Read the workers' results back: one per submitted file.
    #[command(after_help = EXIT_STATUS_RESULTS)]
    Results(ResultsArgs),
    /// The review ledger: record decisions about matches (confirmed,
    /// licensed, false positive, notice sent, withdrawn), list and export
    /// them.
    #[command(subcommand)]
    Review(ReviewCommand),
    /// Print a man page or shell completions to stdout.
    #[command(after_help = EXIT_STATUS_HELP)]
    Generate(GenerateArgs),
}

/// What `vfp generate` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Generated {
    /// The man page, roff (`vfp generate man > vfp.1`); with -o DIR, a
    /// page for every command as well (vfp-scan.1, vfp-index-build.1...).
    Man,
    /// Bash completions.
    CompleteBash,
    /// Zsh completions.
    CompleteZsh,
    /// Fish completions.
    CompleteFish,
    /// PowerShell completions.
    CompletePowershell,
    /// Elvish completions.
    CompleteElvish,
}

/// Arguments of `vfp generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// What to print.
    #[arg(value_enum)]
    pub what: Generated,
    /// Write the man pages into this folder, one per command, instead of
    /// printing the first.
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<std::path::PathBuf>,
}

#[cfg(test)]
pub(crate) fn parse(args: &[&str]) -> Result<Command> {
    let mut full = vec!["vfp"];
    full.extend_from_slice(args);
    Ok(Cli::try_parse_from(full)?.command)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_help_states_the_exit_status() {
        let mut cli = Cli::command();
        cli.build();
        for sub in cli.get_subcommands() {
            if ["generate", "index", "review", "help"].contains(&sub.get_name()) {
                continue;
            }
            let help = sub.clone().render_long_help().to_string();
            assert!(help.contains("Exit status: 0"), "{}", sub.get_name());
        }
        for group in ["index", "review"] {
            let group = cli.find_subcommand(group).unwrap();
            for sub in group.get_subcommands().filter(|s| s.get_name() != "help") {
                let help = sub.clone().render_long_help().to_string();
                assert!(
                    help.contains("Exit status: 0"),
                    "{} {}",
                    group.get_name(),
                    sub.get_name()
                );
            }
        }
    }

    #[test]
    fn every_command_names_the_catalog_the_same_way() {
        for args in [
            &["scan", "-c", "cat", "a.mp4"][..],
            &["verify", "-c", "cat", "a.mp4"],
            &["index", "build", "-c", "cat", "a.mp4"],
            &["index", "add", "-c", "cat", "a.mp4"],
            &["index", "remove", "-c", "cat", "id"],
            &["index", "list", "-c", "cat"],
            &["index", "info", "-c", "cat"],
            &["index", "verify", "-c", "cat"],
        ] {
            parse(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            let long: Vec<&str> = args
                .iter()
                .map(|a| if *a == "-c" { "--catalog" } else { a })
                .collect();
            parse(&long).unwrap_or_else(|e| panic!("{long:?}: {e}"));
        }
    }

    #[test]
    fn the_search_help_states_the_dense_limit() {
        // `--search`'s help says "dense up to 1 M catalog frames".
        assert_eq!(vfp_scan::DENSE_SEARCH_MAX_FRAMES, 1_000_000);
        let help = Cli::command()
            .find_subcommand_mut("scan")
            .unwrap()
            .render_long_help()
            .to_string();
        assert!(help.contains("dense up to 1 M catalog frames"), "{help}");
    }

    #[test]
    fn every_help_gives_only_its_own_exit_statuses() {
        let mut cli = Cli::command();
        let help = |cli: &mut clap::Command, path: &[&str]| {
            let mut cmd = cli.clone();
            for name in path {
                cmd = cmd.find_subcommand(name).unwrap().clone();
            }
            // Words, whatever the wrapping.
            let text = cmd.render_long_help().to_string();
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        };
        let scan = help(&mut cli, &["scan"]);
        assert!(
            scan.contains("0 something matched") && scan.contains("With -q"),
            "{scan}"
        );
        assert!(!scan.contains("no result yet"), "{scan}");
        let show = help(&mut cli, &["show"]);
        assert!(
            show.contains("Exit status: 0 on success, 2 on any error."),
            "{show}"
        );
        assert!(!show.contains("matched"), "{show}");
        assert!(help(&mut cli, &["results"]).contains("3 some submitted files"));
        assert!(help(&mut cli, &["index", "build"]).contains("Exit status: 0 on success"));
        let top = cli.render_long_help().to_string();
        let top = top.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(top.contains("Each command's --help gives its own"), "{top}");
    }

    #[test]
    fn the_workers_hint_to_publish_a_catalog_is_a_command_that_parses() {
        let err = vfp_fleet::FleetError::NoSuchCatalog {
            url: "nats://127.0.0.1:4222".into(),
            name: "slate".into(),
        }
        .to_string();
        let hint = err.split('`').nth(1).unwrap();
        let words: Vec<&str> = hint.split_whitespace().skip(1).collect();
        assert!(
            matches!(parse(&words), Ok(Command::Index(_))),
            "{hint}: {:?}",
            parse(&words)
        );
    }

    #[test]
    fn generate_takes_man_and_shells() {
        assert!(matches!(
            parse(&["generate", "man"]).unwrap(),
            Command::Generate(GenerateArgs {
                what: Generated::Man,
                output: None,
            })
        ));
        assert!(parse(&["generate", "complete-zsh"]).is_ok());
        assert!(parse(&["generate", "nonsense"]).is_err());
    }
}
