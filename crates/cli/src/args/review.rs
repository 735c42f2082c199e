//! Arguments of `vfp review init|mark|allow|list|export`.

use super::EXIT_STATUS_HELP;
use anyhow::{bail, Result};
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

/// `vfp review`: the review ledger.
#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Create the review ledger: an SQLite file, or the ledger's tables in
    /// a PostgreSQL database. Every other command refuses a ledger that
    /// does not exist (a typo must not start an empty one).
    #[command(after_help = EXIT_STATUS_HELP)]
    Init(InitArgs),
    /// Record a decision about a clip showing a title: confirmed,
    /// licensed, false_positive, notice_sent, withdrawn. A case goes
    /// confirmed → notice_sent → withdrawn; any other change of a decision
    /// needs --replace.
    #[command(after_help = EXIT_STATUS_HELP)]
    Mark(MarkArgs),
    /// Put a file (by SHA-256) or a source (by URL prefix, such as a
    /// partner's account) on the allow-list: a scan reports it licensed.
    /// `allow list`, `allow revoke`, `allow export` show and change it.
    #[command(
        after_help = EXIT_STATUS_HELP,
        args_conflicts_with_subcommands = true,
        subcommand_negates_reqs = true
    )]
    Allow(AllowArgs),
    /// List the current decisions (with --history, the replaced ones too).
    #[command(after_help = EXIT_STATUS_HELP)]
    List(ListArgs),
    /// Every decision with its history, as CSV or jsonl for legal.
    #[command(after_help = EXIT_STATUS_HELP)]
    Export(ExportArgs),
    /// Draft takedown notices for the confirmed matches not yet noticed:
    /// one per host, with the work and its owner, the copy's URL, when it
    /// was found, what it shows and the evidence. Nothing is recorded:
    /// mark notice_sent when a notice is sent.
    #[command(after_help = EXIT_STATUS_NOTICE)]
    Notice(NoticeArgs),
}

/// `vfp review notice --help`.
const EXIT_STATUS_NOTICE: &str =
    "Exit status: 0 when a notice was drafted, 1 when nothing is left to notice, 2 on any error.";

/// Output format of `vfp review notice`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NoticeFormat {
    /// The drafts as text, ready to fill in and send.
    Text,
    /// The drafts' elements as one JSON document.
    Json,
}

/// Arguments of `vfp review notice`.
#[derive(Debug, Args)]
pub struct NoticeArgs {
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// The catalog the titles are in (for their owners, asset ids and
    /// release dates).
    #[arg(short, long, value_name = "CATALOG")]
    pub catalog: PathBuf,
    /// Only copies found on this host (`video.example`).
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// Only copies of this title.
    #[arg(long, value_name = "TITLE_ID")]
    pub title: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = NoticeFormat::Text)]
    pub format: NoticeFormat,
}

/// The ledger to use.
#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// The ledger: an SQLite file, or a PostgreSQL URL
    /// (postgres://user@host/db); made by `vfp review init`.
    #[arg(long, value_name = "LEDGER", env = "VFP_LEDGER")]
    pub ledger: String,
}

/// Arguments of `vfp review init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub ledger: LedgerArgs,
}

/// Which clip: a file, or its SHA-256.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct ClipArgs {
    /// The clip (a video, or a .vfp made from it): its SHA-256 is taken.
    #[arg(long, value_name = "FILE")]
    pub clip: Option<PathBuf>,
    /// The clip's SHA-256 (the `sha256` of its scan record).
    #[arg(long, value_name = "HEX")]
    pub clip_sha256: Option<String>,
}

/// A decision, as the ledger stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    /// The clip shows the title.
    Confirmed,
    /// The clip may be posted (a partner's own post).
    Licensed,
    /// Not the title after all.
    #[value(name = "false_positive", alias = "false-positive")]
    FalsePositive,
    /// A takedown notice was sent (--notice-id).
    #[value(name = "notice_sent", alias = "notice-sent")]
    NoticeSent,
    /// A notice was withdrawn.
    Withdrawn,
}

impl From<StatusArg> for vfp_ledger::Status {
    fn from(s: StatusArg) -> Self {
        match s {
            StatusArg::Confirmed => vfp_ledger::Status::Confirmed,
            StatusArg::Licensed => vfp_ledger::Status::Licensed,
            StatusArg::FalsePositive => vfp_ledger::Status::FalsePositive,
            StatusArg::NoticeSent => vfp_ledger::Status::NoticeSent,
            StatusArg::Withdrawn => vfp_ledger::Status::Withdrawn,
        }
    }
}

/// Arguments of `vfp review mark`.
#[derive(Debug, Args)]
pub struct MarkArgs {
    #[command(flatten)]
    pub ledger: LedgerArgs,
    #[command(flatten)]
    pub clip: ClipArgs,
    /// The title's id in the catalog.
    #[arg(long, value_name = "TITLE_ID")]
    pub title: String,
    /// One segment only (a label, such as the title range
    /// 00:10:00-00:10:02) [default: the clip as a whole].
    #[arg(long, value_name = "LABEL", default_value = "")]
    pub segment: String,
    /// The decision.
    #[arg(long, value_enum)]
    pub status: StatusArg,
    /// Who decides.
    #[arg(long, value_name = "NAME", env = "VFP_REVIEWER")]
    pub reviewer: String,
    /// Why, or anything worth keeping.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub note: String,
    /// The evidence it was decided on (a page or report.json of `vfp
    /// verify`): its SHA-256 is recorded.
    #[arg(long, value_name = "FILE", conflicts_with = "evidence_sha256")]
    pub evidence: Option<PathBuf>,
    /// The evidence's SHA-256.
    #[arg(long, value_name = "HEX")]
    pub evidence_sha256: Option<String>,
    /// The notice's id (notice_sent needs one).
    #[arg(long, value_name = "ID")]
    pub notice_id: Option<String>,
    /// The notice's date.
    #[arg(long, value_name = "DATE")]
    pub notice_date: Option<String>,
    /// Replace the item's current decision (kept as history).
    #[arg(long)]
    pub replace: bool,
    /// Where the clip was found (its page or file URL), kept with the
    /// decision; `--clip FILE` keeps the file's name too. [default: the
    /// evidence's, with --evidence report.json]
    #[arg(long, value_name = "URL")]
    pub source_url: Option<String>,
    /// When the clip was found. [default: the evidence's]
    #[arg(long, value_name = "TIME")]
    pub found_at: Option<String>,
    /// Create the ledger if there is none (as `vfp review init`).
    #[arg(long)]
    pub create: bool,
}

/// Arguments of `vfp review allow`.
#[derive(Debug, Args)]
pub struct AllowArgs {
    /// Show or change the allow-list instead of adding to it.
    #[command(subcommand)]
    pub action: Option<AllowAction>,
    /// The ledger: an SQLite file, or a PostgreSQL URL
    /// (postgres://user@host/db); made by `vfp review init`.
    // Options, required unless a subcommand is given: the subcommands take
    // their own.
    #[arg(long, value_name = "LEDGER", env = "VFP_LEDGER", required = true)]
    pub ledger: Option<String>,
    #[command(flatten)]
    pub what: AllowWhat,
    /// Who adds it.
    #[arg(long, value_name = "NAME", env = "VFP_REVIEWER", required = true)]
    pub reviewer: Option<String>,
    /// Whose it is, why.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub note: String,
    /// Create the ledger if there is none (as `vfp review init`).
    #[arg(long)]
    pub create: bool,
}

/// What `vfp review allow` adds, checked.
#[derive(Debug)]
pub struct AllowAdd {
    /// The ledger.
    pub ledger: String,
    /// What the entry covers.
    pub what: AllowWhat,
    /// Who adds it.
    pub reviewer: String,
    /// Whose it is, why.
    pub note: String,
    /// Create the ledger if there is none.
    pub create: bool,
}

/// `vfp review allow list|revoke|export`.
#[derive(Debug, Subcommand)]
pub enum AllowAction {
    /// The entries in force.
    #[command(after_help = EXIT_STATUS_HELP)]
    List(AllowListArgs),
    /// Take an entry off the allow-list (kept, revoked, for the record).
    #[command(after_help = EXIT_STATUS_HELP)]
    Revoke(RevokeArgs),
    /// Every entry, revoked ones too, as CSV or jsonl for legal.
    #[command(after_help = EXIT_STATUS_HELP)]
    Export(ExportArgs),
}

/// Arguments of `vfp review allow list`.
#[derive(Debug, Args)]
pub struct AllowListArgs {
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReviewFormat::Human)]
    pub format: ReviewFormat,
}

/// Arguments of `vfp review allow revoke`.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub ledger: LedgerArgs,
    #[command(flatten)]
    pub what: AllowWhat,
    /// Who revokes it.
    #[arg(long, value_name = "NAME", env = "VFP_REVIEWER")]
    pub reviewer: String,
    /// Why.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub note: String,
}

/// What the allow-list entry covers.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct AllowWhat {
    /// A file: its SHA-256 is taken.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// A file's SHA-256.
    #[arg(long, value_name = "HEX")]
    pub sha256: Option<String>,
    /// Sources under this http(s) URL (a partner's account), matched on
    /// whole path segments: `https://video.example/@studio` covers
    /// `.../@studio/v/1`, not `.../@studio-leaks/v/1`.
    #[arg(long, value_name = "URL")]
    pub source_prefix: Option<String>,
}

/// Output format of `vfp review list|export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReviewFormat {
    /// One line per decision.
    Human,
    /// One JSON object per decision and line.
    Jsonl,
    /// One CSV row per decision.
    Csv,
}

/// Arguments of `vfp review list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// Only decisions of this status.
    #[arg(long, value_enum)]
    pub status: Option<StatusArg>,
    /// Only about this title.
    #[arg(long, value_name = "TITLE_ID")]
    pub title: Option<String>,
    /// Only about this clip (its SHA-256).
    #[arg(long, value_name = "HEX")]
    pub clip_sha256: Option<String>,
    /// The replaced decisions too.
    #[arg(long)]
    pub history: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReviewFormat::Human)]
    pub format: ReviewFormat,
}

/// Arguments of `vfp review export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: ReviewFormat,
}

/// Validated `vfp review` configuration.
#[derive(Debug)]
pub enum ReviewConfig {
    /// Create the ledger.
    Init(InitArgs),
    /// Show or export the allow-list.
    AllowList(AllowListArgs, bool),
    /// Revoke an allow-list entry.
    Revoke(RevokeArgs),
    /// Draft notices.
    Notice(NoticeArgs),
    /// Record a decision.
    Mark(MarkArgs),
    /// Add to the allow-list.
    Allow(AllowAdd),
    /// List decisions.
    List(ListArgs),
}

impl ReviewCommand {
    /// Checks what clap cannot.
    pub fn into_config(self) -> Result<ReviewConfig> {
        Ok(match self {
            ReviewCommand::Init(a) => ReviewConfig::Init(a),
            ReviewCommand::Notice(a) => ReviewConfig::Notice(a),
            ReviewCommand::Mark(a) => ReviewConfig::Mark(a),
            ReviewCommand::Allow(AllowArgs {
                action: Some(action),
                ..
            }) => match action {
                AllowAction::List(a) => ReviewConfig::AllowList(a, false),
                AllowAction::Revoke(a) => ReviewConfig::Revoke(a),
                AllowAction::Export(a) => {
                    if a.format == ReviewFormat::Human {
                        bail!("allow export writes csv or jsonl (--format csv|jsonl)");
                    }
                    ReviewConfig::AllowList(
                        AllowListArgs {
                            ledger: a.ledger,
                            format: a.format,
                        },
                        true,
                    )
                }
            },
            ReviewCommand::Allow(a) => {
                let (Some(ledger), Some(reviewer)) = (a.ledger, a.reviewer) else {
                    bail!("give --ledger and --reviewer");
                };
                ReviewConfig::Allow(AllowAdd {
                    ledger,
                    what: a.what,
                    reviewer,
                    note: a.note,
                    create: a.create,
                })
            }
            ReviewCommand::List(a) => ReviewConfig::List(a),
            ReviewCommand::Export(a) => {
                if a.format == ReviewFormat::Human {
                    bail!("export writes csv or jsonl (--format csv|jsonl)");
                }
                ReviewConfig::List(ListArgs {
                    ledger: a.ledger,
                    status: None,
                    title: None,
                    clip_sha256: None,
                    history: true,
                    format: a.format,
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::args::{parse, Command};

    #[test]
    fn a_mark_needs_one_clip_a_title_a_status_and_a_reviewer() {
        let ok = parse(&[
            "review",
            "mark",
            "--ledger",
            "l.sqlite",
            "--clip",
            "c.mp4",
            "--title",
            "ep1",
            "--status",
            "notice-sent",
            "--notice-id",
            "N-1",
            "--reviewer",
            "ann",
        ]);
        assert!(matches!(ok, Ok(Command::Review(_))), "{ok:?}");
        for bad in [
            &[
                "review",
                "mark",
                "--ledger",
                "l",
                "--title",
                "ep1",
                "--status",
                "confirmed",
                "--reviewer",
                "a",
            ][..],
            &[
                "review",
                "mark",
                "--ledger",
                "l",
                "--clip",
                "c",
                "--clip-sha256",
                "00",
                "--title",
                "ep1",
                "--status",
                "confirmed",
                "--reviewer",
                "a",
            ],
            &[
                "review",
                "mark",
                "--ledger",
                "l",
                "--clip",
                "c",
                "--title",
                "ep1",
                "--status",
                "done",
                "--reviewer",
                "a",
            ],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let Ok(Command::Review(export)) =
            parse(&["review", "export", "--ledger", "l", "--format", "human"])
        else {
            panic!("parsed export")
        };
        assert!(export.into_config().is_err(), "export is for tools");
    }
}
