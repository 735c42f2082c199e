//! `vfp review`: decisions about matches in the review ledger, and the
//! allow-list; `list` and `export` print them.

use crate::args::review::{AllowArgs, ClipArgs, MarkArgs};
use crate::args::ReviewConfig;
use crate::exit::Status;
use crate::output::review::{allowed_line, decisions, recorded_line};
use crate::output::to_stdout;
use anyhow::{Context, Result};
use std::path::Path;
use vfp_ledger::{AllowKind, Filter, Item, Ledger, Mark};

/// Runs `vfp review`.
pub fn run(cfg: ReviewConfig) -> Result<Status> {
    match cfg {
        ReviewConfig::Init(a) => {
            let ledger = Ledger::create(&a.ledger.ledger)?;
            let what = if ledger.created() {
                "created"
            } else {
                "exists already, left as it is"
            };
            eprintln!("vfp: review ledger {}: {what}", ledger.location());
            Ok(Status::Success)
        }
        ReviewConfig::Mark(a) => mark(a),
        ReviewConfig::Allow(a) => allow(a),
        ReviewConfig::List(a) => {
            let mut ledger = Ledger::open(&a.ledger.ledger)?;
            let listed = ledger.list(&Filter {
                status: a.status.map(Into::into),
                title_id: a.title,
                clip_sha256: a.clip_sha256,
                history: a.history,
            })?;
            to_stdout(&decisions(a.format, &listed))?;
            Ok(Status::Success)
        }
    }
}

fn mark(a: MarkArgs) -> Result<Status> {
    let clip_sha256 = clip_sha256(&a.clip)?;
    let evidence_sha256 = match (&a.evidence, a.evidence_sha256) {
        (Some(file), _) => Some(sha256_of(file)?),
        (None, given) => given,
    };
    let mut ledger = open(&a.ledger.ledger, a.create)?;
    let decision = ledger.mark(&Mark {
        item: Item {
            clip_sha256,
            title_id: a.title,
            segment: a.segment,
        },
        status: a.status.into(),
        reviewer: a.reviewer,
        note: a.note,
        evidence_sha256,
        notice_id: a.notice_id,
        notice_date: a.notice_date,
        replace: a.replace,
    })?;
    eprint!("{}", recorded_line(ledger.location(), &decision));
    Ok(Status::Success)
}

fn allow(a: AllowArgs) -> Result<Status> {
    let (kind, value) = match (a.what.file, a.what.sha256, a.what.source_prefix) {
        (Some(file), _, _) => (AllowKind::Sha256, sha256_of(&file)?),
        (None, Some(sha), _) => (AllowKind::Sha256, sha),
        (None, None, Some(prefix)) => (AllowKind::SourcePrefix, prefix),
        (None, None, None) => anyhow::bail!("give --file, --sha256 or --source-prefix"),
    };
    let mut ledger = open(&a.ledger.ledger, a.create)?;
    let entry = ledger.allow(kind, &value, &a.reviewer, &a.note)?;
    eprint!("{}", allowed_line(ledger.location(), &entry));
    Ok(Status::Success)
}

/// The ledger at `location`, made first if `create` and there is none
/// (said on stderr).
fn open(location: &str, create: bool) -> Result<Ledger> {
    if !create {
        return Ok(Ledger::open(location)?);
    }
    let ledger = Ledger::create(location)?;
    if ledger.created() {
        eprintln!("vfp: review ledger {}: created", ledger.location());
    }
    Ok(ledger)
}

/// The SHA-256 a scan record gives the clip: of the video's bytes, or for
/// a `.vfp`, of the video it was made from.
fn clip_sha256(clip: &ClipArgs) -> Result<String> {
    match (&clip.clip, &clip.clip_sha256) {
        (_, Some(sha)) => Ok(sha.clone()),
        (Some(path), None) if vfp_scan::is_fingerprint_file(path) => {
            Ok(vfp_fingerprint::format::read_file(path)?
                .source
                .sha256_hex())
        }
        (Some(path), None) => sha256_of(path),
        (None, None) => anyhow::bail!("give --clip or --clip-sha256"),
    }
}

fn sha256_of(path: &Path) -> Result<String> {
    let (_, sha) = vfp_extractor::file_sha256(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(vfp_fingerprint::to_hex(&sha))
}
