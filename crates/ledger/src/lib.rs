//! The review ledger: what a team decided about each match, so that a bulk
//! scan never leads to a second notice for one file, or to a notice for a
//! clip a partner is licensed to post.
//!
//! - A [`Decision`] is about one item, a clip (by its SHA-256) showing a
//!   title, optionally one segment of it (by a label such as the title
//!   range; empty: the clip as a whole): [`Status::Confirmed`],
//!   [`Status::Licensed`], [`Status::FalsePositive`], [`Status::NoticeSent`]
//!   (with the notice's id and date) or [`Status::Withdrawn`]; who, when, a
//!   note and the evidence bundle's SHA-256.
//! - Decisions are kept, never edited: a new decision on an item with one
//!   must say it replaces it ([`Mark::replace`]), and the old one stays as
//!   history ([`Decision::superseded_by`]). Two reviewers marking one item
//!   at once: one wins, the other gets [`LedgerError::AlreadyDecided`] with
//!   the winner's decision.
//! - The allow-list ([`Allowed`]): files (by SHA-256) or sources (by a
//!   URL prefix, such as a partner's account) a partner may post.
//!
//! Storage: an SQLite file (the embedded default, built in through
//! `rusqlite`), or PostgreSQL for a team (`postgres://...`), the same
//! tables in both, the schema in versioned migrations ([`SCHEMA_VERSION`])
//! applied on open; a ledger of a newer schema is refused rather than
//! misread. [`local_postgres`] starts a throwaway server for tests.

pub mod local_postgres;
mod location;
mod postgres;
mod schema;
mod source;
mod sqlite;

pub use location::{Location, REDACTED};
use serde::{Deserialize, Serialize};
pub use source::{NotASource, SourcePrefix};
use std::fmt;

/// The schema version this vfp reads and writes.
pub const SCHEMA_VERSION: u32 = 2;

/// What was decided about an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A reviewer confirmed the match: the clip shows the title.
    Confirmed,
    /// The clip may be posted (a partner's own post): not to act on.
    Licensed,
    /// Not the title after all.
    FalsePositive,
    /// A takedown notice was sent.
    NoticeSent,
    /// A notice was withdrawn.
    Withdrawn,
}

impl Status {
    /// Every status, in the order a case goes.
    pub const ALL: [Status; 5] = [
        Status::Confirmed,
        Status::Licensed,
        Status::FalsePositive,
        Status::NoticeSent,
        Status::Withdrawn,
    ];

    /// The word the ledger stores: `confirmed`, `licensed`,
    /// `false_positive`, `notice_sent`, `withdrawn`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Confirmed => "confirmed",
            Status::Licensed => "licensed",
            Status::FalsePositive => "false_positive",
            Status::NoticeSent => "notice_sent",
            Status::Withdrawn => "withdrawn",
        }
    }

    /// The status a stored word names.
    pub fn parse(word: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == word)
    }

    /// Whether `next` is the next step of a case at this status, which is
    /// recorded without [`Mark::replace`]: a confirmed match gets its
    /// notice sent, a notice is withdrawn. Any other change of an item's
    /// decision is a change of mind, and must say it replaces it.
    pub fn leads_to(self, next: Status) -> bool {
        matches!(
            (self, next),
            (Status::Confirmed, Status::NoticeSent) | (Status::NoticeSent, Status::Withdrawn)
        )
    }

    /// Whether a match with this current decision is settled: nothing is
    /// left to do about it (licensed, a false positive, its notice sent,
    /// a notice withdrawn). A confirmed match is still to act on until its
    /// notice is sent.
    pub fn settles(self) -> bool {
        self != Status::Confirmed
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a decision is about: a clip showing a title, one segment of it
/// or (empty segment) the clip as a whole.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Item {
    /// SHA-256 of the clip's bytes, 64 lowercase hex digits.
    pub clip_sha256: String,
    /// The title's id in the catalog.
    pub title_id: String,
    /// Which segment (a label, such as `00:10:00-00:10:02` of the title);
    /// empty for the clip as a whole.
    pub segment: String,
}

/// A decision to record.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    /// What it is about.
    pub item: Item,
    /// What was decided.
    pub status: Status,
    /// Who decided.
    pub reviewer: String,
    /// Why, or anything worth keeping.
    pub note: String,
    /// SHA-256 of the evidence bundle or page it was decided on.
    pub evidence_sha256: Option<String>,
    /// The notice's id ([`Status::NoticeSent`] needs one).
    pub notice_id: Option<String>,
    /// The notice's date.
    pub notice_date: Option<String>,
    /// Replace the item's current decision (without it, an item decided
    /// already is refused, unless the new status is the next step of the
    /// case: [`Status::leads_to`]).
    pub replace: bool,
    /// The clip's file name, as it was found.
    pub file_name: Option<String>,
    /// Where the clip was found.
    pub source_url: Option<String>,
    /// When it was found.
    pub found_at: Option<String>,
    /// What the evidence it was decided on matched: the stretches of the
    /// clip and of the title (what a notice quotes).
    pub matched: Vec<MatchedRange>,
}

/// A stretch of a clip that shows a stretch of the title, as the evidence
/// of a decision gives it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatchedRange {
    /// Start in the clip, `HH:MM:SS.mmm`.
    pub clip_start: String,
    /// End in the clip.
    pub clip_end: String,
    /// Start in the title.
    pub title_start: String,
    /// End in the title.
    pub title_end: String,
    /// The share of the clip it covers, %.
    pub clip_share_pct: f64,
    /// The share of the title it covers, %.
    pub title_share_pct: f64,
    /// Strength of the evidence, 0 to 1.
    pub score: f64,
}

/// A recorded decision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Its number in the ledger.
    pub id: i64,
    /// SHA-256 of the clip.
    pub clip_sha256: String,
    /// The title.
    pub title_id: String,
    /// The segment (empty: the clip as a whole).
    pub segment: String,
    /// What was decided.
    pub status: Status,
    /// Who decided.
    pub reviewer: String,
    /// When, ms since the Unix epoch.
    pub decided_unix_ms: i64,
    /// The note.
    pub note: String,
    /// SHA-256 of the evidence it was decided on.
    pub evidence_sha256: Option<String>,
    /// The notice's id.
    pub notice_id: Option<String>,
    /// The notice's date.
    pub notice_date: Option<String>,
    /// The decision it replaced.
    pub supersedes: Option<i64>,
    /// The decision that replaced it (none: it is the item's current one).
    pub superseded_by: Option<i64>,
    /// The clip's file name, as it was found.
    #[serde(default)]
    pub file_name: Option<String>,
    /// Where the clip was found.
    #[serde(default)]
    pub source_url: Option<String>,
    /// When it was found.
    #[serde(default)]
    pub found_at: Option<String>,
    /// What the evidence it was decided on matched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matched: Vec<MatchedRange>,
}

/// The matched ranges as stored (a JSON array), none as NULL.
pub(crate) fn matched_json(matched: &[MatchedRange]) -> Option<String> {
    (!matched.is_empty()).then(|| serde_json::to_string(matched).unwrap_or_default())
}

/// The matched ranges a stored text holds (none for NULL or text that
/// does not parse: written by hand, it is not evidence).
pub(crate) fn matched_of(json: Option<String>) -> Vec<MatchedRange> {
    json.and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default()
}

/// How an allow-list entry matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllowKind {
    /// A file, by its SHA-256.
    Sha256,
    /// Sources under a URL prefix (a partner's account), by whole path
    /// segments ([`SourcePrefix`]).
    SourcePrefix,
}

impl AllowKind {
    /// The word the ledger stores.
    pub fn as_str(self) -> &'static str {
        match self {
            AllowKind::Sha256 => "sha256",
            AllowKind::SourcePrefix => "source_prefix",
        }
    }

    pub(crate) fn parse(word: &str) -> Option<AllowKind> {
        [AllowKind::Sha256, AllowKind::SourcePrefix]
            .into_iter()
            .find(|k| k.as_str() == word)
    }
}

/// An allow-list entry: what a partner may post.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allowed {
    /// Its number in the ledger.
    pub id: i64,
    /// How it matches.
    pub kind: AllowKind,
    /// The SHA-256, or the URL prefix.
    pub value: String,
    /// Who added it.
    pub reviewer: String,
    /// When, ms since the Unix epoch.
    pub added_unix_ms: i64,
    /// Whose it is, why.
    pub note: String,
    /// Set when the entry was revoked (it then allows nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Revoked>,
}

/// Who revoked an allow-list entry, when and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revoked {
    /// Who revoked it.
    pub reviewer: String,
    /// When, ms since the Unix epoch.
    pub unix_ms: i64,
    /// Why.
    pub note: String,
}

/// Which decisions to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only of this status.
    pub status: Option<Status>,
    /// Only about this title.
    pub title_id: Option<String>,
    /// Only about this clip.
    pub clip_sha256: Option<String>,
    /// Replaced decisions too (the history), not only current ones.
    pub history: bool,
}

/// What went wrong, naming the ledger.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The ledger could not be opened or read.
    #[error("ledger {location}: {reason}")]
    Storage {
        /// The ledger's file or URL.
        location: String,
        /// The storage's error.
        reason: String,
    },
    /// No ledger at the location: a file that does not exist, or a
    /// database or file without the ledger's tables. Only creating one
    /// ([`Ledger::create`]) makes one: a typo in `--ledger` must not
    /// give an empty ledger, in which every settled match reads as new.
    #[error("ledger {location}: there is no ledger there (a typo?); create one with `vfp review init --ledger LEDGER`, or give --create to review mark or allow")]
    Missing {
        /// The ledger's file or URL.
        location: String,
    },
    /// Written by a newer vfp.
    #[error("ledger {location}: schema version {found}, this vfp reads {supported}; update vfp")]
    NewerSchema {
        /// The ledger's file or URL.
        location: String,
        /// Its schema version.
        found: u32,
        /// The newest this vfp reads.
        supported: u32,
    },
    /// The item has a decision already (perhaps made meanwhile by
    /// another reviewer).
    #[error("{} of {} ({}) was already marked {} by {} ({}); to change it, mark it again with --replace",
        .current.title_id, short(&.current.clip_sha256), segment_words(&.current.segment),
        .current.status, .current.reviewer, describe_time(.current.decided_unix_ms))]
    AlreadyDecided {
        /// The item's current decision.
        current: Box<Decision>,
    },
    /// A value that cannot be recorded.
    #[error("{0}")]
    Invalid(String),
}

fn short(sha256: &str) -> &str {
    sha256.get(..12).unwrap_or(sha256)
}

fn segment_words(segment: &str) -> String {
    if segment.is_empty() {
        "the whole clip".into()
    } else {
        format!("segment {segment}")
    }
}

fn describe_time(unix_ms: i64) -> String {
    format!("on {}", utc(unix_ms))
}

/// `unix_ms` as a UTC time to the second: `2026-11-30T09:55:12Z`.
pub fn utc(unix_ms: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ms) * 1_000_000) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => format!("{unix_ms} ms since the Unix epoch"),
    }
}

/// Now as a UTC time to the second ([`utc`]).
pub fn utc_now() -> String {
    utc(now_ms())
}

/// A ledger, open.
pub struct Ledger {
    store: Store,
}

enum Store {
    Sqlite(sqlite::Sqlite),
    Postgres(Box<postgres::Postgres>),
}

impl Ledger {
    /// Opens the ledger at `location` ([`Location::parse`]): a PostgreSQL
    /// server (`postgres://user[:password]@host[:port]/database`, or a
    /// libpq key-value string), or else an SQLite file; brings its schema
    /// up to [`SCHEMA_VERSION`]. A location that holds no ledger is
    /// [`LedgerError::Missing`]. Messages show the location without its
    /// password.
    pub fn open(location: &str) -> Result<Ledger, LedgerError> {
        Ledger::open_or_create(location, false)
    }

    /// Opens the ledger at `location`, making it first if there is none
    /// (an SQLite file is created; a PostgreSQL database gets the
    /// ledger's tables). Whether it was made is [`Ledger::created`].
    pub fn create(location: &str) -> Result<Ledger, LedgerError> {
        Ledger::open_or_create(location, true)
    }

    fn open_or_create(location: &str, create: bool) -> Result<Ledger, LedgerError> {
        let store = match Location::parse(location)? {
            Location::Postgres { connect, shown } => Store::Postgres(Box::new(
                postgres::Postgres::open(&connect, &shown, create)?,
            )),
            Location::Sqlite(path) => Store::Sqlite(sqlite::Sqlite::open(&path, create)?),
        };
        Ok(Ledger { store })
    }

    /// Whether opening made the ledger (it held none before).
    pub fn created(&self) -> bool {
        match &self.store {
            Store::Sqlite(s) => s.created,
            Store::Postgres(p) => p.created,
        }
    }

    /// Records `mark`; the decision as recorded. Refused with
    /// [`LedgerError::AlreadyDecided`] if the item has a decision and
    /// `mark.replace` is not set.
    pub fn mark(&mut self, mark: &Mark) -> Result<Decision, LedgerError> {
        check_mark(mark)?;
        match &mut self.store {
            Store::Sqlite(s) => s.mark(mark, now_ms()),
            Store::Postgres(p) => p.mark(mark, now_ms()),
        }
    }

    /// Adds `value` to the allow-list (an entry there already is kept and
    /// returned).
    pub fn allow(
        &mut self,
        kind: AllowKind,
        value: &str,
        reviewer: &str,
        note: &str,
    ) -> Result<Allowed, LedgerError> {
        let value = allow_value(kind, value)?;
        check_reviewer(reviewer)?;
        match &mut self.store {
            Store::Sqlite(s) => s.allow(kind, &value, reviewer, note, now_ms()),
            Store::Postgres(p) => p.allow(kind, &value, reviewer, note, now_ms()),
        }
    }

    /// Decisions as `filter` says, oldest first.
    pub fn list(&mut self, filter: &Filter) -> Result<Vec<Decision>, LedgerError> {
        match &mut self.store {
            Store::Sqlite(s) => s.list(filter),
            Store::Postgres(p) => p.list(filter),
        }
    }

    /// The allow-list, oldest first.
    pub fn allow_list(&mut self) -> Result<Vec<Allowed>, LedgerError> {
        match &mut self.store {
            Store::Sqlite(s) => s.allow_list(false),
            Store::Postgres(p) => p.allow_list(false),
        }
    }

    /// The allow-list with the entries revoked from it, in the order they
    /// were added (for the record).
    pub fn allow_history(&mut self) -> Result<Vec<Allowed>, LedgerError> {
        match &mut self.store {
            Store::Sqlite(s) => s.allow_list(true),
            Store::Postgres(p) => p.allow_list(true),
        }
    }

    /// Revokes the allow-list entry for `value`: it allows nothing from
    /// now on and is kept, revoked, for the record; the entry as revoked.
    /// An entry that is not on the list is [`LedgerError::Invalid`].
    pub fn revoke(
        &mut self,
        kind: AllowKind,
        value: &str,
        reviewer: &str,
        note: &str,
    ) -> Result<Allowed, LedgerError> {
        let value = allow_value(kind, value)?;
        check_reviewer(reviewer)?;
        let revoked = match &mut self.store {
            Store::Sqlite(s) => s.revoke(kind, &value, reviewer, note, now_ms()),
            Store::Postgres(p) => p.revoke(kind, &value, reviewer, note, now_ms()),
        }?;
        revoked.ok_or_else(|| {
            LedgerError::Invalid(format!(
                "{} {value} is not on the allow-list",
                kind.as_str()
            ))
        })
    }

    /// The current decisions about clip `sha256`, oldest first.
    pub fn current_for_clip(&mut self, sha256: &str) -> Result<Vec<Decision>, LedgerError> {
        self.list(&Filter {
            clip_sha256: Some(sha256.to_owned()),
            ..Filter::default()
        })
    }

    /// The allow-list entry that covers a file of SHA-256 `sha256` found at
    /// `source_url`, if any.
    pub fn allowed_for(
        &mut self,
        sha256: &str,
        source_url: Option<&str>,
    ) -> Result<Option<Allowed>, LedgerError> {
        Ok(self.allow_list()?.into_iter().find(|a| match a.kind {
            AllowKind::Sha256 => a.value == sha256,
            // Parsed, whole path segments ([`SourcePrefix::covers`]); a
            // stored prefix that does not parse (written by an older vfp)
            // covers nothing.
            AllowKind::SourcePrefix => source_url.is_some_and(|u| {
                SourcePrefix::parse(&a.value).is_ok_and(|prefix| prefix.covers(u))
            }),
        }))
    }

    /// What the ledger holds about a clip of SHA-256 `sha256` found at
    /// `source_url`: the allow-list entry that covers it, and its current
    /// decisions (what `vfp scan --ledger` and `vfp verify --ledger` show).
    pub fn about_clip(
        &mut self,
        sha256: &str,
        source_url: Option<&str>,
    ) -> Result<(Option<Allowed>, Vec<Decision>), LedgerError> {
        let allowed = self.allowed_for(sha256, source_url)?;
        Ok((allowed, self.current_for_clip(sha256)?))
    }

    /// Where the ledger is (its file, or its URL without a password).
    pub fn location(&self) -> &str {
        match &self.store {
            Store::Sqlite(s) => s.location(),
            Store::Postgres(p) => p.location(),
        }
    }
}

/// An allow-list value as stored: a SHA-256 checked, a prefix parsed and
/// normalised ([`SourcePrefix`]).
fn allow_value(kind: AllowKind, value: &str) -> Result<String, LedgerError> {
    match kind {
        AllowKind::Sha256 => {
            check_sha256("the file's SHA-256", value)?;
            Ok(value.to_owned())
        }
        AllowKind::SourcePrefix => Ok(SourcePrefix::parse(value)
            .map_err(|e| LedgerError::Invalid(format!("source prefix: {e}")))?
            .as_str()
            .to_owned()),
    }
}

/// Whether `mark` may be recorded over the item's `current` decision
/// without saying it replaces it.
pub(crate) fn refused_over(current: &Decision, mark: &Mark) -> bool {
    !mark.replace && !current.status.leads_to(mark.status)
}

fn check_mark(mark: &Mark) -> Result<(), LedgerError> {
    check_sha256("the clip's SHA-256", &mark.item.clip_sha256)?;
    if mark.item.title_id.trim().is_empty() {
        return Err(LedgerError::Invalid(
            "a decision needs the title's id".into(),
        ));
    }
    check_reviewer(&mark.reviewer)?;
    if let Some(sha) = &mark.evidence_sha256 {
        check_sha256("the evidence's SHA-256", sha)?;
    }
    if mark.status == Status::NoticeSent && mark.notice_id.as_deref().is_none_or(str::is_empty) {
        return Err(LedgerError::Invalid(
            "notice_sent needs the notice's id (--notice-id)".into(),
        ));
    }
    Ok(())
}

fn check_sha256(what: &str, value: &str) -> Result<(), LedgerError> {
    if value.len() == 64
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(LedgerError::Invalid(format!(
            "{what} must be 64 lowercase hex digits, got {value:?}"
        )))
    }
}

fn check_reviewer(reviewer: &str) -> Result<(), LedgerError> {
    if reviewer.trim().is_empty() {
        Err(LedgerError::Invalid(
            "a decision needs the reviewer's name (--reviewer)".into(),
        ))
    } else {
        Ok(())
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::parse("done"), None);
        assert_eq!(AllowKind::parse("sha256"), Some(AllowKind::Sha256));
        assert_eq!(utc(1_764_496_512_000), "2025-11-30T09:55:12Z");
    }
}
