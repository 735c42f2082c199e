//! Arguments of the many-machines commands: `vfp worker`, `vfp submit`,
//! `vfp results`.

use super::scan::{EngineArgs, ScanFormat};
use super::{decoder_threads_per_file, jobs_or_cores};
use anyhow::{bail, Context as _, Result};
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;
use vfp_fleet::queue::QueueSettings;
use vfp_fleet::worker::WorkerSettings;

/// Arguments of `vfp worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The NATS server (JetStream on), e.g. nats://10.0.0.5:4222; a
    /// cluster's servers comma-separated; a user and password as
    /// nats://USER:PASSWORD@host:4222 (better in VFP_NATS than on the
    /// command line, where other users of the machine can read it).
    #[arg(long, value_name = "URL", env = "VFP_NATS", hide_env_values = true)]
    pub nats: String,
    /// The published catalog to match against: its name on the server
    /// (`vfp index publish --name`).
    #[arg(short, long, value_name = "NAME")]
    pub catalog: String,
    /// Folder the catalog's releases are fetched into and read from
    /// [default: $XDG_CACHE_HOME/vfp, or ~/.cache/vfp].
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Files scanned at once [default: number of cores].
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// The worker's name in results [default: host-pid].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Seconds without a sign of life from the worker scanning a job after
    /// which the job goes to another (set when the queue is first opened;
    /// a worker scanning signals every third of it).
    #[arg(long, value_name = "S", default_value_t = 60.0)]
    pub ack_wait: f64,
    /// Deliveries of a job at most: the last records an error without a
    /// scan, so a file that kills its worker every time ends (set when the
    /// queue is first opened; at least 2).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_deliver: i64,
    /// Seconds between checks for a newer release of the catalog (taken
    /// up between jobs).
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    pub refresh: f64,
    /// Stop once no job has come for this many seconds (for batch runs;
    /// default: run until SIGTERM or Ctrl-C).
    #[arg(long, value_name = "S")]
    pub stop_when_idle: Option<f64>,
    /// Log only trouble and the closing summary, not every job.
    #[arg(short, long)]
    pub quiet: bool,
    /// Read job files only under this folder (repeatable; symbolic links
    /// resolved first): a job naming any other path gets an error record,
    /// unread. Without it, a job may name any file the worker can read.
    #[arg(long, value_name = "DIR")]
    pub files_under: Vec<PathBuf>,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// Validated `vfp worker` configuration.
#[derive(Debug)]
pub struct WorkerConfig {
    /// The server.
    pub nats: String,
    /// What the worker does.
    pub settings: WorkerSettings,
    /// Every job logged.
    pub quiet: bool,
}

impl WorkerArgs {
    /// Checks every value; none is clamped.
    pub fn into_config(self) -> Result<WorkerConfig> {
        let jobs = jobs_or_cores(self.jobs)?;
        let scan = self
            .engine
            .into_config()?
            .with_decoder_threads(decoder_threads_per_file(jobs));
        if self.max_deliver < 2 {
            bail!(
                "--max-deliver must be at least 2 (one to scan, the last to record an error), got {}",
                self.max_deliver
            );
        }
        let cache = match self.cache {
            Some(dir) => dir,
            None => default_cache()?,
        };
        let stop_when_idle = self
            .stop_when_idle
            .map(|s| seconds("--stop-when-idle", s))
            .transpose()?;
        let files_under = self
            .files_under
            .iter()
            .map(|dir| {
                std::fs::canonicalize(dir)
                    .with_context(|| format!("--files-under {}: cannot resolve", dir.display()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(WorkerConfig {
            nats: self.nats,
            settings: WorkerSettings {
                catalog: self.catalog,
                cache,
                jobs,
                queue: QueueSettings {
                    ack_wait: seconds("--ack-wait", self.ack_wait)?,
                    max_deliver: self.max_deliver,
                },
                scan,
                name: self.name.unwrap_or_else(vfp_fleet::worker::default_name),
                refresh: seconds("--refresh", self.refresh)?,
                stop_when_idle,
                files_under,
            },
            quiet: self.quiet,
        })
    }
}

/// `$XDG_CACHE_HOME/vfp`, or `~/.cache/vfp`.
fn default_cache() -> Result<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")));
    match base {
        Some(base) => Ok(base.join("vfp")),
        None => bail!("no cache folder: neither XDG_CACHE_HOME nor HOME is set; give --cache"),
    }
}

/// A duration flag: finite, above 0, at most a day.
fn seconds(flag: &str, s: f64) -> Result<Duration> {
    if !(s.is_finite() && s > 0.0 && s <= 86_400.0) {
        bail!("{flag} must be above 0 and at most 86400 seconds, got {s}");
    }
    Ok(Duration::from_secs_f64(s))
}

/// Arguments of `vfp submit`.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// The NATS server (JetStream on), e.g. nats://10.0.0.5:4222; a
    /// cluster's servers comma-separated; a user and password as
    /// nats://USER:PASSWORD@host:4222 (better in VFP_NATS than on the
    /// command line, where other users of the machine can read it).
    #[arg(long, value_name = "URL", env = "VFP_NATS", hide_env_values = true)]
    pub nats: String,
    /// Videos, .vfp fingerprints, folders (with -r), or `-` to read paths
    /// from stdin, one per line. Each is submitted as an absolute path,
    /// which every worker must be able to read (a shared file system).
    #[arg(required_unless_present = "from", value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// A crawler's manifest (jsonl or CSV, as `vfp scan --from`): its
    /// files, each with its source_url, found_at and other fields, which
    /// its result's record carries.
    #[arg(long, value_name = "MANIFEST")]
    pub from: Option<PathBuf>,
    /// Search folders recursively for videos and .vfp files.
    #[arg(short, long)]
    pub recursive: bool,
    /// The batch id: letters, digits, '-', '_' [default: the UTC time and
    /// a random suffix].
    #[arg(long, value_name = "ID")]
    pub batch: Option<String>,
    /// Send each file's bytes through the server (its object store, kept 7
    /// days), for workers that cannot read this machine's files: up to 256
    /// MiB a file; the path then only names the file in the results.
    #[arg(long)]
    pub upload: bool,
}

/// Validated `vfp submit` configuration.
#[derive(Debug)]
pub struct SubmitConfig {
    /// The server.
    pub nats: String,
    /// The paths as given (`-` for stdin).
    pub paths: Vec<PathBuf>,
    /// A crawler's manifest of more files.
    pub from: Option<PathBuf>,
    /// Expand folders.
    pub recursive: bool,
    /// The batch id.
    pub batch: String,
    /// Files sent through the server.
    pub upload: bool,
}

impl SubmitArgs {
    /// The configuration (the batch id is checked by the server's client).
    pub fn into_config(self) -> SubmitConfig {
        SubmitConfig {
            nats: self.nats,
            paths: self.paths,
            from: self.from,
            recursive: self.recursive,
            batch: self.batch.unwrap_or_else(vfp_fleet::queue::new_batch_id),
            upload: self.upload,
        }
    }
}

/// Arguments of `vfp results`.
#[derive(Debug, Args)]
pub struct ResultsArgs {
    /// The NATS server (JetStream on), e.g. nats://10.0.0.5:4222; a
    /// cluster's servers comma-separated; a user and password as
    /// nats://USER:PASSWORD@host:4222 (better in VFP_NATS than on the
    /// command line, where other users of the machine can read it).
    #[arg(long, value_name = "URL", env = "VFP_NATS", hide_env_values = true)]
    pub nats: String,
    /// Only this batch (the id `vfp submit` printed) [default: every
    /// batch on record].
    #[arg(long, value_name = "ID")]
    pub batch: Option<String>,
    /// Wait for results still to come, until every submitted file has one.
    #[arg(short, long)]
    pub follow: bool,
    /// Output format (jsonl: the scan's record with job_id, batch, worker
    /// and catalog_version).
    #[arg(long, value_enum, default_value_t = ScanFormat::Human)]
    pub format: ScanFormat,
    /// No progress bar and no closing summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// Annotate each result with the review ledger's decisions, as `vfp
    /// scan --ledger` does.
    #[arg(long, value_name = "LEDGER", env = "VFP_LEDGER")]
    pub ledger: Option<String>,
    /// With --ledger: print only the files with a match still to act on;
    /// the exit status is 0 if there is one, 1 if nothing is left to act
    /// on (3 while results are missing).
    #[arg(long, requires = "ledger")]
    pub to_act_on: bool,
}

/// Validated `vfp results` configuration: the arguments as given.
pub type ResultsConfig = ResultsArgs;

#[cfg(test)]
mod tests {
    use crate::args::{cores, parse, Command};

    fn worker(args: &[&str]) -> Result<super::WorkerConfig, anyhow::Error> {
        let mut full = vec!["worker", "--nats", "nats://127.0.0.1:4222", "-c", "slate"];
        full.extend_from_slice(args);
        match parse(&full)? {
            Command::Worker(a) => a.into_config(),
            _ => unreachable!("parsed worker"),
        }
    }

    #[test]
    fn a_worker_runs_the_scans_engine_with_its_queue_settings() {
        let c = worker(&["--cache", "/var/cache/vfp"]).unwrap();
        let s = &c.settings;
        assert_eq!((s.catalog.as_str(), s.jobs), ("slate", cores()));
        assert_eq!(s.cache, std::path::PathBuf::from("/var/cache/vfp"));
        assert_eq!(s.queue, vfp_fleet::queue::QueueSettings::default());
        assert_eq!(
            s.scan.match_params(),
            vfp_scan::ScanConfig::default().match_params()
        );
        assert_eq!(s.stop_when_idle, None);
        assert!(s.name.ends_with(&format!("-{}", std::process::id())));

        let c = worker(&[
            "-j",
            "2",
            "--ack-wait",
            "1.5",
            "--max-deliver",
            "4",
            "--refresh",
            "0.5",
            "--stop-when-idle",
            "3",
            "--name",
            "w7",
            "--min-frames",
            "5",
            "--fast",
        ])
        .unwrap();
        let s = &c.settings;
        assert_eq!((s.jobs, s.name.as_str()), (2, "w7"));
        assert_eq!(s.queue.ack_wait, std::time::Duration::from_millis(1500));
        assert_eq!(s.queue.max_deliver, 4);
        assert_eq!(s.refresh, std::time::Duration::from_millis(500));
        assert_eq!(s.stop_when_idle, Some(std::time::Duration::from_secs(3)));
        assert_eq!(s.scan.match_params().min_frames, 5);
        assert!(s.scan.fast());
        assert_eq!(s.scan.decoder_threads(), (cores() / 2).max(1));
    }

    #[test]
    fn out_of_range_worker_values_are_refused() {
        for args in [
            &["--max-deliver", "1"][..],
            &["--ack-wait", "0"],
            &["--ack-wait", "NaN"],
            &["--refresh=-1"],
            &["--stop-when-idle", "inf"],
            &["-j", "0"],
            &["--min-frames", "1"],
        ] {
            let err = worker(args).unwrap_err();
            assert!(format!("{err:#}").starts_with("--"), "{args:?}: {err:#}");
        }
    }
}
