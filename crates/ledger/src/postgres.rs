//! The ledger in PostgreSQL, for a team of reviewers on many machines: the
//! same tables as the SQLite file, the schema version in
//! `vfp_ledger_meta`, migrations under a transaction-scoped advisory lock
//! (two vfp processes opening a new ledger at once do not both migrate),
//! and one current decision per item kept by a partial unique index: of
//! two reviewers marking one item at once, the second's insert fails on
//! it and is told the first one's decision.

use crate::schema::{migrations, ALLOWED_IN_FORCE, ALLOWED_REVOKED, DECISION_COLUMNS};
use crate::{
    AllowKind, Allowed, Decision, Filter, LedgerError, Mark, Revoked, Status, SCHEMA_VERSION,
};
use postgres::error::SqlState;
use postgres::{Client, NoTls, Row};

/// The advisory lock migrations hold (any number the project owns).
const MIGRATION_LOCK: i64 = 0x5646_505f_4c45_4447; // "VFP_LEDG"

pub(crate) struct Postgres {
    client: Client,
    location: String,
    /// Opening made the ledger's tables.
    pub(crate) created: bool,
}

impl Postgres {
    /// Connects with `connect` (a URL or a libpq key-value string);
    /// `shown` is the same without its password, for messages.
    pub(crate) fn open(connect: &str, shown: &str, create: bool) -> Result<Postgres, LedgerError> {
        let client = Client::connect(connect, NoTls).map_err(|e| storage(shown, &e))?;
        let mut ledger = Postgres {
            client,
            location: shown.to_owned(),
            created: false,
        };
        ledger.migrate(create)?;
        Ok(ledger)
    }

    pub(crate) fn location(&self) -> &str {
        &self.location
    }

    /// Brings the schema to [`SCHEMA_VERSION`]: the missing migrations,
    /// each followed by the version it reaches, in one transaction under
    /// the advisory lock.
    fn migrate(&mut self, create: bool) -> Result<(), LedgerError> {
        let location = self.location.clone();
        let fail = |e: postgres::Error| storage(&location, &e);
        let mut tx = self.client.transaction().map_err(fail)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(fail)?;
        let exists: bool = tx
            .query_one("SELECT to_regclass('vfp_ledger_meta') IS NOT NULL", &[])
            .map_err(fail)?
            .get(0);
        if !exists && !create {
            return Err(LedgerError::Missing { location });
        }
        self.created = !exists;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS vfp_ledger_meta (
                 one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
                 schema_version INTEGER NOT NULL
             );
             INSERT INTO vfp_ledger_meta (schema_version) VALUES (0) ON CONFLICT DO NOTHING;",
        )
        .map_err(fail)?;
        let found: i32 = tx
            .query_one("SELECT schema_version FROM vfp_ledger_meta", &[])
            .map_err(fail)?
            .get(0);
        let found = u32::try_from(found).unwrap_or(0);
        if found > SCHEMA_VERSION {
            return Err(LedgerError::NewerSchema {
                location,
                found,
                supported: SCHEMA_VERSION,
            });
        }
        let all = migrations("BIGSERIAL PRIMARY KEY", "BIGINT");
        for (n, migration) in all.iter().enumerate().skip(found as usize) {
            tx.batch_execute(migration).map_err(fail)?;
            let version = i32::try_from(n + 1).unwrap_or(i32::MAX);
            tx.execute(
                "UPDATE vfp_ledger_meta SET schema_version = $1",
                &[&version],
            )
            .map_err(fail)?;
        }
        tx.commit().map_err(fail)
    }

    pub(crate) fn mark(&mut self, mark: &Mark, now_ms: i64) -> Result<Decision, LedgerError> {
        match self.try_mark(mark, now_ms) {
            // Another reviewer's decision came in first (the one-current
            // index): tell who and what.
            Err(Attempt::Raced) => {
                let item = &mark.item;
                let current = self
                    .current(&item.clip_sha256, &item.title_id, &item.segment)?
                    .ok_or_else(|| LedgerError::Storage {
                        location: self.location.clone(),
                        reason: "a concurrent decision was recorded and then removed".into(),
                    })?;
                Err(LedgerError::AlreadyDecided {
                    current: Box::new(current),
                })
            }
            Err(Attempt::Failed(e)) => Err(e),
            Ok(decision) => Ok(decision),
        }
    }

    fn try_mark(&mut self, mark: &Mark, now_ms: i64) -> Result<Decision, Attempt> {
        let location = self.location.clone();
        let fail = |e: postgres::Error| {
            if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                Attempt::Raced
            } else {
                Attempt::Failed(storage(&location, &e))
            }
        };
        let item = &mark.item;
        let mut tx = self.client.transaction().map_err(fail)?;
        // One mark of an item at a time: without it, of reviewers
        // replacing one decision at once, those that waited for the row
        // lock found it replaced already (no current decision), and their
        // inserts then broke the one-current index or deadlocked on it.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2 || '/' || $3, 0))",
            &[&item.clip_sha256, &item.title_id, &item.segment],
        )
        .map_err(fail)?;
        let current = tx
            .query_opt(
                &format!(
                    "SELECT {DECISION_COLUMNS} FROM decisions
                     WHERE clip_sha256 = $1 AND title_id = $2 AND segment = $3
                       AND superseded_by IS NULL
                     FOR UPDATE"
                ),
                &[&item.clip_sha256, &item.title_id, &item.segment],
            )
            .map_err(fail)?
            .map(|row| decision(&row))
            .transpose()
            .map_err(|e| Attempt::Failed(invalid_row(&location, &e)))?;
        if let Some(current) = &current {
            if crate::refused_over(current, mark) {
                return Err(Attempt::Failed(LedgerError::AlreadyDecided {
                    current: Box::new(current.clone()),
                }));
            }
            tx.execute(
                "UPDATE decisions SET superseded_by = 0 WHERE id = $1",
                &[&current.id],
            )
            .map_err(fail)?;
        }
        let row = tx
            .query_one(
                &format!(
                    "INSERT INTO decisions (clip_sha256, title_id, segment, status, reviewer,
                        decided_unix_ms, note, evidence_sha256, notice_id, notice_date, supersedes,
                        file_name, source_url, found_at, matched_json)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                     RETURNING {DECISION_COLUMNS}"
                ),
                &[
                    &item.clip_sha256,
                    &item.title_id,
                    &item.segment,
                    &mark.status.as_str(),
                    &mark.reviewer,
                    &now_ms,
                    &mark.note,
                    &mark.evidence_sha256,
                    &mark.notice_id,
                    &mark.notice_date,
                    &current.as_ref().map(|c| c.id),
                    &mark.file_name,
                    &mark.source_url,
                    &mark.found_at,
                    &crate::matched_json(&mark.matched),
                ],
            )
            .map_err(fail)?;
        let recorded = decision(&row).map_err(|e| Attempt::Failed(invalid_row(&location, &e)))?;
        if let Some(current) = &current {
            tx.execute(
                "UPDATE decisions SET superseded_by = $1 WHERE id = $2",
                &[&recorded.id, &current.id],
            )
            .map_err(fail)?;
        }
        tx.commit().map_err(fail)?;
        Ok(recorded)
    }

    fn current(
        &mut self,
        clip_sha256: &str,
        title_id: &str,
        segment: &str,
    ) -> Result<Option<Decision>, LedgerError> {
        let location = self.location.clone();
        let row = self
            .client
            .query_opt(
                &format!(
                    "SELECT {DECISION_COLUMNS} FROM decisions
                     WHERE clip_sha256 = $1 AND title_id = $2 AND segment = $3
                       AND superseded_by IS NULL"
                ),
                &[&clip_sha256, &title_id, &segment],
            )
            .map_err(|e| storage(&location, &e))?;
        row.map(|r| decision(&r))
            .transpose()
            .map_err(|e| invalid_row(&location, &e))
    }

    pub(crate) fn allow(
        &mut self,
        kind: AllowKind,
        value: &str,
        reviewer: &str,
        note: &str,
        now_ms: i64,
    ) -> Result<Allowed, LedgerError> {
        let location = self.location.clone();
        let fail = |e: postgres::Error| storage(&location, &e);
        self.client
            .execute(
                "INSERT INTO allowed (kind, value, reviewer, added_unix_ms, note)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, value) DO NOTHING",
                &[&kind.as_str(), &value, &reviewer, &now_ms, &note],
            )
            .map_err(fail)?;
        let row = self
            .client
            .query_one(
                &format!("{ALLOWED_IN_FORCE} WHERE kind = $1 AND value = $2"),
                &[&kind.as_str(), &value],
            )
            .map_err(fail)?;
        allowed(&row).map_err(|e| invalid_row(&location, &e))
    }

    pub(crate) fn revoke(
        &mut self,
        kind: AllowKind,
        value: &str,
        reviewer: &str,
        note: &str,
        now_ms: i64,
    ) -> Result<Option<Allowed>, LedgerError> {
        let location = self.location.clone();
        let fail = |e: postgres::Error| storage(&location, &e);
        let mut tx = self.client.transaction().map_err(fail)?;
        let Some(row) = tx
            .query_opt(
                &format!("{ALLOWED_IN_FORCE} WHERE kind = $1 AND value = $2 FOR UPDATE"),
                &[&kind.as_str(), &value],
            )
            .map_err(fail)?
        else {
            return Ok(None);
        };
        let mut entry = allowed(&row).map_err(|e| invalid_row(&location, &e))?;
        tx.execute(
            "INSERT INTO allowed_revoked (id, kind, value, reviewer, added_unix_ms, note,
                revoked_by, revoked_unix_ms, revoke_note)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &entry.id,
                &kind.as_str(),
                &entry.value,
                &entry.reviewer,
                &entry.added_unix_ms,
                &entry.note,
                &reviewer,
                &now_ms,
                &note,
            ],
        )
        .map_err(fail)?;
        tx.execute("DELETE FROM allowed WHERE id = $1", &[&entry.id])
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
        entry.revoked = Some(Revoked {
            reviewer: reviewer.to_owned(),
            unix_ms: now_ms,
            note: note.to_owned(),
        });
        Ok(Some(entry))
    }

    pub(crate) fn list(&mut self, filter: &Filter) -> Result<Vec<Decision>, LedgerError> {
        let location = self.location.clone();
        let rows = self
            .client
            .query(
                &format!(
                    "SELECT {DECISION_COLUMNS} FROM decisions
                     WHERE ($1 OR superseded_by IS NULL)
                       AND ($2::TEXT IS NULL OR status = $2)
                       AND ($3::TEXT IS NULL OR title_id = $3)
                       AND ($4::TEXT IS NULL OR clip_sha256 = $4)
                     ORDER BY id"
                ),
                &[
                    &filter.history,
                    &filter.status.map(Status::as_str),
                    &filter.title_id,
                    &filter.clip_sha256,
                ],
            )
            .map_err(|e| storage(&location, &e))?;
        rows.iter()
            .map(decision)
            .collect::<Result<_, _>>()
            .map_err(|e| invalid_row(&location, &e))
    }

    pub(crate) fn allow_list(&mut self, revoked_too: bool) -> Result<Vec<Allowed>, LedgerError> {
        let location = self.location.clone();
        let query = if revoked_too {
            format!("{ALLOWED_IN_FORCE} UNION ALL {ALLOWED_REVOKED} ORDER BY added_unix_ms, id")
        } else {
            format!("{ALLOWED_IN_FORCE} ORDER BY id")
        };
        let rows = self
            .client
            .query(&query, &[])
            .map_err(|e| storage(&location, &e))?;
        rows.iter()
            .map(allowed)
            .collect::<Result<_, _>>()
            .map_err(|e| invalid_row(&location, &e))
    }
}

/// How one try at recording a decision ended, when not recorded.
enum Attempt {
    /// Another reviewer's decision on the item was recorded meanwhile.
    Raced,
    /// Anything else.
    Failed(LedgerError),
}

fn decision(row: &Row) -> Result<Decision, String> {
    let status: String = row.try_get(4).map_err(|e| e.to_string())?;
    let get = |e: postgres::Error| e.to_string();
    Ok(Decision {
        id: row.try_get(0).map_err(get)?,
        clip_sha256: row.try_get(1).map_err(get)?,
        title_id: row.try_get(2).map_err(get)?,
        segment: row.try_get(3).map_err(get)?,
        status: Status::parse(&status).ok_or_else(|| format!("unknown status {status:?}"))?,
        reviewer: row.try_get(5).map_err(get)?,
        decided_unix_ms: row.try_get(6).map_err(get)?,
        note: row.try_get(7).map_err(get)?,
        evidence_sha256: row.try_get(8).map_err(get)?,
        notice_id: row.try_get(9).map_err(get)?,
        notice_date: row.try_get(10).map_err(get)?,
        supersedes: row.try_get(11).map_err(get)?,
        superseded_by: row.try_get(12).map_err(get)?,
        file_name: row.try_get(13).map_err(get)?,
        source_url: row.try_get(14).map_err(get)?,
        found_at: row.try_get(15).map_err(get)?,
        matched: crate::matched_of(row.try_get(16).map_err(get)?),
    })
}

fn allowed(row: &Row) -> Result<Allowed, String> {
    let kind: String = row.try_get(1).map_err(|e| e.to_string())?;
    let get = |e: postgres::Error| e.to_string();
    Ok(Allowed {
        id: row.try_get(0).map_err(get)?,
        kind: AllowKind::parse(&kind).ok_or_else(|| format!("unknown kind {kind:?}"))?,
        value: row.try_get(2).map_err(get)?,
        reviewer: row.try_get(3).map_err(get)?,
        added_unix_ms: row.try_get(4).map_err(get)?,
        note: row.try_get(5).map_err(get)?,
        revoked: match (
            row.try_get::<_, Option<String>>(6).map_err(get)?,
            row.try_get::<_, Option<i64>>(7).map_err(get)?,
            row.try_get::<_, Option<String>>(8).map_err(get)?,
        ) {
            (Some(reviewer), Some(unix_ms), note) => Some(Revoked {
                reviewer,
                unix_ms,
                note: note.unwrap_or_default(),
            }),
            _ => None,
        },
    })
}

fn storage(location: &str, e: &postgres::Error) -> LedgerError {
    invalid_row(location, &describe(e))
}

fn invalid_row(location: &str, reason: &str) -> LedgerError {
    LedgerError::Storage {
        location: location.to_owned(),
        reason: reason.to_owned(),
    }
}

/// What the server said (a wrong password read "db error" before: the
/// client's error shows the server's message only as its cause).
fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} {}: {}", db.severity(), db.code().code(), db.message());
    }
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}
