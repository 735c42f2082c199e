//! Arguments of `vfp index ...`.

use super::{decoder_threads_per_file, dense_sampling, jobs_or_cores, EXIT_STATUS_HELP};
use anyhow::Result;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use vfp_extractor::features::FeatureOptions;
use vfp_extractor::ExtractOptions;
use vfp_fingerprint::Sampling;
use vfp_index::Wait;

/// `vfp index` subcommands.
#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Build a new catalog from videos or .vfp fingerprints (a catalog
    /// already at that path is refused unless --replace).
    #[command(after_help = EXIT_STATUS_HELP)]
    Build(BuildArgs),
    /// Add titles to a catalog without touching what is there.
    #[command(after_help = EXIT_STATUS_HELP)]
    Add(AddArgs),
    /// Remove a title from a catalog.
    #[command(after_help = EXIT_STATUS_HELP)]
    Remove(RemoveArgs),
    /// Record a range of a title as already public (a trailer, a promo
    /// clip): a copy of only public ranges is allowed, not a leak, and its
    /// record says so. Without a title, list the public ranges.
    #[command(after_help = EXIT_STATUS_HELP)]
    Exclude(ExcludeArgs),
    /// List the titles: id, name, duration, stored hashes (tab-separated;
    /// a wide title has two per sampled moment: its view and its window).
    #[command(after_help = EXIT_STATUS_HELP)]
    List(CatalogArgs),
    /// Counts, sizes, parameters and format version.
    #[command(after_help = EXIT_STATUS_HELP)]
    Info(CatalogArgs),
    /// Check every checksum; status 0 only if all hold.
    #[command(after_help = EXIT_STATUS_HELP)]
    Verify(CatalogArgs),
    /// Keep in the catalog a small picture of titles at each stored moment
    /// (192 pixels wide, JPEG), made from their videos on this machine:
    /// evidence pages made where the videos are not (a laptop, another
    /// office) still show the title's frames beside the clip's.
    #[command(after_help = EXIT_STATUS_HELP)]
    Stills(StillsArgs),
    /// Publish the catalog to a NATS JetStream server, for scans on other
    /// machines: uploads the segments the server lacks and makes this the
    /// current release of the name.
    #[command(after_help = EXIT_STATUS_HELP)]
    Publish(PublishArgs),
}

/// Arguments of `vfp index exclude`.
#[derive(Debug, Args)]
pub struct ExcludeArgs {
    /// The catalog folder.
    #[arg(short, long, value_name = "CATALOG")]
    pub catalog: PathBuf,
    /// The title's id [default: list every public range].
    #[arg(requires = "range", value_name = "TITLE_ID")]
    pub title: Option<String>,
    /// The range of the title: FROM-TO, each `HH:MM:SS[.mmm]`, `MM:SS` or
    /// seconds (`00:01:10-00:03:00`, `70-180`).
    #[arg(value_name = "RANGE")]
    pub range: Option<String>,
    /// What it was published as.
    #[arg(long, value_name = "TEXT", default_value = "public")]
    pub reason: String,
    /// Forget the public ranges of the title that overlap RANGE instead.
    #[arg(long)]
    pub remove: bool,
}

/// A time as `HH:MM:SS[.mmm]`, `MM:SS[.mmm]` or seconds, in ms.
pub fn parse_time_ms(text: &str) -> Option<u64> {
    let mut seconds = 0.0f64;
    let parts: Vec<&str> = text.trim().split(':').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    for (i, part) in parts.iter().enumerate() {
        let value: f64 = part.parse().ok()?;
        let last = i + 1 == parts.len();
        if !value.is_finite() || value < 0.0 || (!last && value.fract() != 0.0) {
            return None;
        }
        if i > 0 && value >= 60.0 {
            return None;
        }
        seconds = seconds * 60.0 + value;
    }
    Some((seconds * 1000.0).round() as u64)
}

/// A range `FROM-TO` in ms (each end as [`parse_time_ms`]).
pub fn parse_range_ms(text: &str) -> Result<(u64, u64)> {
    let bad = || {
        anyhow::anyhow!(
            "{text:?} is not a range FROM-TO of times as HH:MM:SS[.mmm], MM:SS or seconds"
        )
    };
    let (from, to) = text.split_once('-').ok_or_else(bad)?;
    let (from, to) = (
        parse_time_ms(from).ok_or_else(bad)?,
        parse_time_ms(to).ok_or_else(bad)?,
    );
    if from >= to {
        anyhow::bail!("{text:?}: the range ends before it starts");
    }
    Ok((from, to))
}

/// Arguments of `vfp index publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The catalog folder.
    #[arg(short, long, value_name = "CATALOG")]
    pub catalog: PathBuf,
    /// The NATS server (JetStream on), e.g. nats://10.0.0.5:4222; a
    /// cluster's servers comma-separated; a user and password as
    /// nats://USER:PASSWORD@host:4222 (better in VFP_NATS than on the
    /// command line, where other users of the machine can read it).
    #[arg(long, value_name = "URL", env = "VFP_NATS", hide_env_values = true)]
    pub nats: String,
    /// The catalog's name on the server: letters, digits, '-', '_', '.'
    /// [default: the catalog folder's name].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

/// Arguments of `vfp index stills`.
#[derive(Debug, Args)]
pub struct StillsArgs {
    /// The catalog folder.
    #[arg(short, long, value_name = "CATALOG")]
    pub catalog: PathBuf,
    /// The titles [default: every title].
    #[arg(value_name = "TITLE_ID")]
    pub ids: Vec<String>,
    /// Titles done in parallel [default: number of cores].
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
}

/// A catalog to read.
#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// The catalog folder.
    #[arg(short, long, value_name = "CATALOG")]
    pub catalog: PathBuf,
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
    /// Store no local features (about 2 KB per second of title, see the
    /// costs in docs/how-it-works.md): for catalogs of tens of millions of
    /// frames, which then do not find zooms and crops panned off-centre.
    #[arg(long)]
    pub no_local_features: bool,
    /// Keep a small picture of each title at every stored moment in the
    /// catalog too (`vfp index stills`), for evidence pages made where
    /// the titles' videos are not.
    #[arg(long)]
    pub stills: bool,
}

/// Arguments of `vfp index build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The catalog folder to write (`-o`/`--output` are accepted too).
    #[arg(
        short,
        long,
        value_name = "CATALOG",
        short_alias = 'o',
        alias = "output"
    )]
    pub catalog: PathBuf,
    #[command(flatten)]
    pub titles: TitleArgs,
    /// Replace a catalog already at that path, atomically (its titles are
    /// gone; `vfp index add` adds titles to it instead).
    #[arg(long)]
    pub replace: bool,
    #[command(flatten)]
    pub write: WriteArgs,
}

/// How a change waits for another writer of the catalog.
#[derive(Debug, Args)]
pub struct WriteArgs {
    /// Fail at once if another vfp process is changing the catalog
    /// (default: wait for it; scans are never blocked).
    #[arg(long)]
    pub no_wait: bool,
}

impl WriteArgs {
    fn wait(&self) -> Wait {
        if self.no_wait {
            Wait::Fail
        } else {
            Wait::Block
        }
    }
}

/// Arguments of `vfp index add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The catalog folder.
    #[arg(short, long, value_name = "CATALOG")]
    pub catalog: PathBuf,
    #[command(flatten)]
    pub titles: TitleArgs,
    #[command(flatten)]
    pub write: WriteArgs,
}

/// Arguments of `vfp index remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The catalog folder.
    #[arg(short, long, value_name = "CATALOG")]
    pub catalog: PathBuf,
    /// The title id.
    #[arg(value_name = "TITLE_ID")]
    pub id: String,
    #[command(flatten)]
    pub write: WriteArgs,
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
    /// Where the titles come from.
    pub spec: TitleSpec,
    /// Titles fingerprinted at once.
    pub jobs: usize,
    /// How each is fingerprinted.
    pub options: ExtractOptions,
    /// Whether to keep stills of the titles added.
    pub stills: bool,
}

/// Validated `vfp index` configuration.
#[derive(Debug)]
pub enum IndexConfig {
    /// Write a new catalog.
    Build {
        /// The catalog folder.
        catalog: PathBuf,
        /// Its titles.
        titles: TitlesConfig,
        /// Replace a catalog already there.
        replace: bool,
        /// Whether to wait for another writer.
        wait: Wait,
    },
    /// Add titles.
    Add {
        /// The catalog folder.
        catalog: PathBuf,
        /// The new titles.
        titles: TitlesConfig,
        /// Whether to wait for another writer.
        wait: Wait,
    },
    /// Remove a title.
    Remove {
        /// The catalog folder.
        catalog: PathBuf,
        /// The title's id.
        id: String,
        /// Whether to wait for another writer.
        wait: Wait,
    },
    /// Record, forget or list public ranges.
    Exclude {
        /// The catalog folder.
        catalog: PathBuf,
        /// The title, the range in ms, and what it was published as; none
        /// to list.
        range: Option<(String, u64, u64)>,
        /// What it was published as.
        reason: String,
        /// Forget rather than record.
        remove: bool,
    },
    /// List the titles.
    List {
        /// The catalog folder.
        catalog: PathBuf,
    },
    /// Describe the catalog.
    Info {
        /// The catalog folder.
        catalog: PathBuf,
    },
    /// Check every checksum.
    Verify {
        /// The catalog folder.
        catalog: PathBuf,
    },
    /// Keep stills of titles.
    Stills {
        /// The catalog folder.
        catalog: PathBuf,
        /// The titles; every title when empty.
        ids: Vec<String>,
        /// Titles done at once.
        jobs: usize,
    },
    /// Publish to a NATS JetStream server.
    Publish {
        /// The catalog folder.
        catalog: PathBuf,
        /// The server's URL.
        nats: String,
        /// The name to publish it as.
        name: String,
    },
}

impl IndexCommand {
    /// Checks the values of the subcommand.
    pub fn into_config(self) -> Result<IndexConfig> {
        Ok(match self {
            IndexCommand::Build(a) => IndexConfig::Build {
                catalog: a.catalog,
                titles: a.titles.into_config()?,
                replace: a.replace,
                wait: a.write.wait(),
            },
            IndexCommand::Add(a) => IndexConfig::Add {
                catalog: a.catalog,
                titles: a.titles.into_config()?,
                wait: a.write.wait(),
            },
            IndexCommand::Remove(a) => IndexConfig::Remove {
                catalog: a.catalog,
                id: a.id,
                wait: a.write.wait(),
            },
            IndexCommand::Exclude(a) => IndexConfig::Exclude {
                catalog: a.catalog,
                range: match (a.title, a.range) {
                    (Some(title), Some(range)) => {
                        let (from, to) = parse_range_ms(&range)?;
                        Some((title, from, to))
                    }
                    _ => None,
                },
                reason: a.reason,
                remove: a.remove,
            },
            IndexCommand::List(a) => IndexConfig::List { catalog: a.catalog },
            IndexCommand::Info(a) => IndexConfig::Info { catalog: a.catalog },
            IndexCommand::Verify(a) => IndexConfig::Verify { catalog: a.catalog },
            IndexCommand::Stills(a) => IndexConfig::Stills {
                catalog: a.catalog,
                ids: a.ids,
                jobs: jobs_or_cores(a.jobs)?,
            },
            IndexCommand::Publish(a) => {
                let name = match a.name {
                    Some(name) => name,
                    None => std::path::absolute(&a.catalog)
                        .ok()
                        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                        .ok_or_else(|| {
                            anyhow::anyhow!(
                                "{}: no folder name to publish it as; give --name",
                                a.catalog.display()
                            )
                        })?,
                };
                IndexConfig::Publish {
                    catalog: a.catalog,
                    nats: a.nats,
                    name,
                }
            }
        })
    }
}

impl TitleArgs {
    /// Checks the rate and the thread layout.
    pub fn into_config(self) -> Result<TitlesConfig> {
        let sampling = dense_sampling(self.fps)?;
        let jobs = jobs_or_cores(self.jobs)?;
        let spec = match self.manifest {
            Some(csv) => TitleSpec::Manifest(csv),
            None => TitleSpec::Paths(self.inputs),
        };
        Ok(TitlesConfig {
            spec,
            jobs,
            stills: self.stills,
            options: ExtractOptions {
                // Many titles in flight share the cores.
                decoder_threads: decoder_threads_per_file(jobs),
                ..ExtractOptions::with_sampling(sampling)
            }
            .with_features(if self.no_local_features {
                FeatureOptions::none()
            } else {
                FeatureOptions::title()
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_and_ranges_read_as_people_write_them() {
        use super::{parse_range_ms, parse_time_ms};
        assert_eq!(parse_time_ms("00:01:10"), Some(70_000));
        assert_eq!(parse_time_ms("1:10.5"), Some(70_500));
        assert_eq!(parse_time_ms("70"), Some(70_000));
        for bad in ["", "1:70", "a", "-1", "1:2:3:4", "1.5:00"] {
            assert_eq!(parse_time_ms(bad), None, "{bad}");
        }
        assert_eq!(
            parse_range_ms("00:01:10-00:03:00").unwrap(),
            (70_000, 180_000)
        );
        assert!(parse_range_ms("3:00-1:10").is_err());
        assert!(parse_range_ms("70").is_err());
    }

    use super::*;
    use crate::args::{parse, Command};

    fn config(args: &[&str]) -> Result<IndexConfig> {
        let mut full = vec!["index"];
        full.extend_from_slice(args);
        match parse(&full)? {
            Command::Index(c) => c.into_config(),
            _ => unreachable!("parsed index"),
        }
    }

    #[test]
    fn build_takes_paths_or_a_manifest() {
        let IndexConfig::Build {
            catalog,
            titles,
            replace,
            wait,
        } = config(&["build", "--catalog", "cat", "a.mp4", "dir"]).unwrap()
        else {
            unreachable!("build")
        };
        assert_eq!(catalog, PathBuf::from("cat"));
        assert!(!replace, "an existing catalog is refused by default");
        assert_eq!(wait, Wait::Block, "changes wait for another writer");
        assert!(matches!(titles.spec, TitleSpec::Paths(ref p) if p.len() == 2));
        assert_eq!(titles.options.params.sampling, Sampling::default());
        let IndexConfig::Build { titles, .. } =
            config(&["build", "-c", "cat", "--manifest", "t.csv", "--fps", "8"]).unwrap()
        else {
            unreachable!("build")
        };
        assert!(matches!(titles.spec, TitleSpec::Manifest(_)));
        assert_eq!(titles.options.params.sampling, Sampling::Dense { fps: 8.0 });
        let IndexConfig::Build { replace, .. } =
            config(&["build", "-c", "cat", "--replace", "a.mp4"]).unwrap()
        else {
            unreachable!("build")
        };
        assert!(replace);
    }

    #[test]
    fn changes_can_refuse_to_wait() {
        for args in [
            &["build", "-c", "cat", "--no-wait", "a.mp4"][..],
            &["add", "-c", "cat", "--no-wait", "a.mp4"],
            &["remove", "-c", "cat", "--no-wait", "T1"],
        ] {
            let wait = match config(args).unwrap() {
                IndexConfig::Build { wait, .. }
                | IndexConfig::Add { wait, .. }
                | IndexConfig::Remove { wait, .. } => wait,
                _ => unreachable!("a change"),
            };
            assert_eq!(wait, Wait::Fail, "{args:?}");
        }
    }

    #[test]
    fn build_still_takes_the_old_output_flag() {
        for flag in ["-o", "--output"] {
            let IndexConfig::Build { catalog, .. } =
                config(&["build", flag, "cat", "a.mp4"]).unwrap()
            else {
                unreachable!("build")
            };
            assert_eq!(catalog, PathBuf::from("cat"));
        }
    }

    #[test]
    fn build_needs_a_catalog_and_titles() {
        assert!(config(&["build", "a.mp4"]).is_err(), "no catalog");
        assert!(config(&["build", "-c", "cat"]).is_err(), "no titles");
        assert!(
            config(&["build", "-c", "cat", "--manifest", "t.csv", "a.mp4"]).is_err(),
            "both"
        );
        assert!(config(&["build", "-c", "cat", "--fps", "0", "a.mp4"]).is_err());
        assert!(config(&["build", "-c", "cat", "-j", "0", "a.mp4"]).is_err());
    }

    #[test]
    fn the_other_subcommands_take_the_catalog_flag() {
        assert!(matches!(
            config(&["add", "-c", "cat", "b.mp4"]).unwrap(),
            IndexConfig::Add { .. }
        ));
        assert!(matches!(
            config(&["remove", "-c", "cat", "ep1"]).unwrap(),
            IndexConfig::Remove { ref id, .. } if id == "ep1"
        ));
        for sub in ["list", "info", "verify"] {
            assert!(config(&[sub, "--catalog", "cat"]).is_ok(), "{sub}");
            assert!(config(&[sub]).is_err(), "{sub} without a catalog");
        }
        assert!(config(&["remove", "-c", "cat"]).is_err(), "no id");
    }
}
