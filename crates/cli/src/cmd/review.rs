//! `vfp review`: decisions about matches in the review ledger, and the
//! allow-list; `list` and `export` print them.

use crate::args::review::{AllowAdd, AllowWhat, ClipArgs, MarkArgs, NoticeArgs, NoticeFormat};
use crate::args::ReviewConfig;
use crate::exit::Status;
use crate::output::notice::{self, Work};
use crate::output::review::{
    allowed_entries, allowed_line, decisions, recorded_line, revoked_line,
};
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
        ReviewConfig::AllowList(a, revoked_too) => {
            let mut ledger = Ledger::open(&a.ledger.ledger)?;
            let entries = if revoked_too {
                ledger.allow_history()?
            } else {
                ledger.allow_list()?
            };
            to_stdout(&allowed_entries(a.format, &entries))?;
            Ok(Status::Success)
        }
        ReviewConfig::Revoke(a) => {
            let (kind, value) = allow_what(a.what)?;
            let mut ledger = Ledger::open(&a.ledger.ledger)?;
            let entry = ledger.revoke(kind, &value, &a.reviewer, &a.note)?;
            eprint!("{}", revoked_line(ledger.location(), &entry));
            Ok(Status::Success)
        }
        ReviewConfig::Notice(a) => notice(a),
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
    // What the evidence says: the clip's name, where and when it was
    // found, and what matched (a notice quotes it).
    let evidence = match &a.evidence {
        Some(file) => evidence_of(file, &a.title)?,
        None => EvidenceFacts::default(),
    };
    // The name the file was found under, for the record (a SHA-256 alone
    // does not say which post it was).
    let file_name = a
        .clip
        .clip
        .as_deref()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .or(evidence.file_name);
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
        file_name,
        source_url: a.source_url.or(evidence.source_url),
        found_at: a.found_at.or(evidence.found_at),
        matched: evidence.matched,
    })?;
    eprint!("{}", recorded_line(ledger.location(), &decision));
    Ok(Status::Success)
}

/// `vfp review notice`: drafts for the current confirmed decisions.
fn notice(a: NoticeArgs) -> Result<Status> {
    let catalog = vfp_index::Catalog::open(&a.catalog)?;
    let mut ledger = Ledger::open(&a.ledger.ledger)?;
    let confirmed = ledger.list(&Filter {
        status: Some(vfp_ledger::Status::Confirmed),
        title_id: a.title,
        ..Filter::default()
    })?;
    let work_of = |id: &str| {
        let t = catalog.title(catalog.find_title(id)?)?;
        Some(Work {
            title_id: t.id.clone(),
            name: t.name.clone(),
            owner: t.meta.owner.clone(),
            asset_id: t.meta.asset_id.clone(),
            release_date: t.meta.release_date.clone(),
        })
    };
    let drafts = notice::drafts(&confirmed, work_of, a.host.as_deref());
    let out = match a.format {
        NoticeFormat::Text => notice::text(&drafts),
        NoticeFormat::Json => {
            format!("{}\n", serde_json::to_string_pretty(&drafts)?)
        }
    };
    to_stdout(&out)?;
    Ok(if drafts.notices.is_empty() {
        Status::NoMatch
    } else {
        Status::Success
    })
}

/// What a decision keeps of the evidence it was made on.
#[derive(Debug, Default)]
struct EvidenceFacts {
    file_name: Option<String>,
    source_url: Option<String>,
    found_at: Option<String>,
    matched: Vec<vfp_ledger::MatchedRange>,
}

/// The facts of a `vfp verify --bundle` report.json about `title` (an
/// evidence page, or any other file, gives none: only its SHA-256 is
/// kept).
fn evidence_of(file: &Path, title: &str) -> Result<EvidenceFacts> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let Ok(report) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Ok(EvidenceFacts::default());
    };
    let v = &report["verification"];
    let text = |value: &serde_json::Value| value.as_str().map(str::to_owned);
    let number = |value: &serde_json::Value| value.as_f64().unwrap_or(0.0);
    let clip_s = number(&v["clip_duration_s"]);
    let matched = v["segments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["title_id"].as_str() == Some(title))
        .map(|s| {
            let share = |from: f64, to: f64, of: f64| {
                if of > 0.0 {
                    ((to - from).max(0.0) / of * 100.0).min(100.0)
                } else {
                    0.0
                }
            };
            vfp_ledger::MatchedRange {
                clip_start: text(&s["clip_start"]).unwrap_or_default(),
                clip_end: text(&s["clip_end"]).unwrap_or_default(),
                title_start: text(&s["title_start"]).unwrap_or_default(),
                title_end: text(&s["title_end"]).unwrap_or_default(),
                clip_share_pct: share(number(&s["clip_start_s"]), number(&s["clip_end_s"]), clip_s),
                title_share_pct: share(
                    number(&s["title_start_s"]),
                    number(&s["title_end_s"]),
                    number(&s["title_duration_s"]),
                ),
                score: number(&s["score"]),
            }
        })
        .collect();
    // The reviewer's input is flattened into the report's provenance.
    let recorded = &report["provenance"];
    Ok(EvidenceFacts {
        file_name: text(&v["clip"]),
        source_url: text(&recorded["source_url"]),
        found_at: text(&recorded["found_at"]),
        matched,
    })
}

/// What an allow-list entry covers, as the ledger takes it.
fn allow_what(what: AllowWhat) -> Result<(AllowKind, String)> {
    Ok(match (what.file, what.sha256, what.source_prefix) {
        (Some(file), _, _) => (AllowKind::Sha256, sha256_of(&file)?),
        (None, Some(sha), _) => (AllowKind::Sha256, sha),
        (None, None, Some(prefix)) => (AllowKind::SourcePrefix, prefix),
        (None, None, None) => anyhow::bail!("give --file, --sha256 or --source-prefix"),
    })
}

fn allow(a: AllowAdd) -> Result<Status> {
    let (kind, value) = allow_what(a.what)?;
    let mut ledger = open(&a.ledger, a.create)?;
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
