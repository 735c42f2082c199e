//! The ledger in an SQLite file: WAL journal (readers never wait for the
//! writer), every change in an immediate transaction (writers take turns;
//! a writer waits up to [`BUSY_WAIT`] for another), the schema brought up
//! to date on open.

use crate::schema::{migrations, ALLOWED_IN_FORCE, ALLOWED_REVOKED, DECISION_COLUMNS};
use crate::{
    AllowKind, Allowed, Decision, Filter, LedgerError, Mark, Revoked, Status, SCHEMA_VERSION,
};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::time::Duration;

/// How long a writer waits for another before it fails.
const BUSY_WAIT: Duration = Duration::from_secs(30);

pub(crate) struct Sqlite {
    conn: Connection,
    location: String,
    /// Opening made the ledger.
    pub(crate) created: bool,
}

impl Sqlite {
    /// Opens the ledger file at `path`; a missing file is
    /// [`LedgerError::Missing`] unless `create`.
    pub(crate) fn open(path: &std::path::Path, create: bool) -> Result<Sqlite, LedgerError> {
        use rusqlite::OpenFlags;
        let location = path.display().to_string();
        let fail = |e: rusqlite::Error| storage(&location, e);
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        } else if std::fs::symlink_metadata(path).is_err() {
            return Err(LedgerError::Missing { location });
        }
        let conn = Connection::open_with_flags(path, flags).map_err(fail)?;
        conn.busy_timeout(BUSY_WAIT).map_err(fail)?;
        // WAL: readers (scans) never wait for a reviewer's write.
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .map_err(fail)?;
        conn.execute_batch("PRAGMA foreign_keys = ON")
            .map_err(fail)?;
        let mut ledger = Sqlite {
            conn,
            location,
            created: false,
        };
        ledger.check_integrity()?;
        ledger.migrate(create)?;
        Ok(ledger)
    }

    /// Refuses a damaged file: `PRAGMA integrity_check` (not the quick
    /// check, which does not compare indexes with their tables: one byte
    /// changed in an index made a `notice_sent` decision invisible to the
    /// queries that use it, and the file opened as if sound). The ledger
    /// is small beside what it guards; the check reads it once.
    fn check_integrity(&self) -> Result<(), LedgerError> {
        let fail = |e: rusqlite::Error| storage(&self.location, e);
        let mut statement = self
            .conn
            .prepare("PRAGMA integrity_check(5)")
            .map_err(fail)?;
        let problems: Vec<String> = statement
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(fail)?
            .collect::<Result<_, _>>()
            .map_err(fail)?;
        if problems.len() == 1 && problems[0] == "ok" {
            return Ok(());
        }
        Err(LedgerError::Storage {
            location: self.location.clone(),
            reason: format!(
                "the file is damaged (SQLite's integrity check: {}); restore it from a backup, or recover it with `sqlite3 FILE .recover`",
                problems.join("; ")
            ),
        })
    }

    pub(crate) fn location(&self) -> &str {
        &self.location
    }

    /// Brings the schema to [`SCHEMA_VERSION`]: the missing migrations,
    /// each followed by the version it reaches, in one immediate
    /// transaction (a second process opening the file waits, then finds
    /// it done).
    fn migrate(&mut self, create: bool) -> Result<(), LedgerError> {
        let location = self.location.clone();
        let fail = |e: rusqlite::Error| storage(&location, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let found: u32 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(fail)?;
        // Version 0: an empty file, or a database of something else.
        if found == 0 && !create {
            return Err(LedgerError::Missing { location });
        }
        self.created = found == 0;
        if found > SCHEMA_VERSION {
            return Err(LedgerError::NewerSchema {
                location,
                found,
                supported: SCHEMA_VERSION,
            });
        }
        let all = migrations("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER");
        for (n, migration) in all.iter().enumerate().skip(found as usize) {
            tx.execute_batch(migration).map_err(fail)?;
            tx.execute_batch(&format!("PRAGMA user_version = {}", n + 1))
                .map_err(fail)?;
        }
        tx.commit().map_err(fail)
    }

    pub(crate) fn mark(&mut self, mark: &Mark, now_ms: i64) -> Result<Decision, LedgerError> {
        let location = self.location.clone();
        let fail = |e: rusqlite::Error| storage(&location, e);
        // Immediate: the check and the write are one turn of the writers.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let item = &mark.item;
        let current = tx
            .query_row(
                &format!(
                    "SELECT {DECISION_COLUMNS} FROM decisions
                     WHERE clip_sha256 = ?1 AND title_id = ?2 AND segment = ?3
                       AND superseded_by IS NULL"
                ),
                params![item.clip_sha256, item.title_id, item.segment],
                decision,
            )
            .optional()
            .map_err(fail)?;
        if let Some(current) = &current {
            if crate::refused_over(current, mark) {
                return Err(LedgerError::AlreadyDecided {
                    current: Box::new(current.clone()),
                });
            }
            // Out of the way of the one-current index until the new
            // decision's id is known.
            tx.execute(
                "UPDATE decisions SET superseded_by = 0 WHERE id = ?1",
                params![current.id],
            )
            .map_err(fail)?;
        }
        tx.execute(
            "INSERT INTO decisions (clip_sha256, title_id, segment, status, reviewer,
                decided_unix_ms, note, evidence_sha256, notice_id, notice_date, supersedes,
                file_name, source_url, found_at, matched_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![
                item.clip_sha256,
                item.title_id,
                item.segment,
                mark.status.as_str(),
                mark.reviewer,
                now_ms,
                mark.note,
                mark.evidence_sha256,
                mark.notice_id,
                mark.notice_date,
                current.as_ref().map(|c| c.id),
                mark.file_name,
                mark.source_url,
                mark.found_at,
                crate::matched_json(&mark.matched),
            ],
        )
        .map_err(fail)?;
        let id = tx.last_insert_rowid();
        if let Some(current) = &current {
            tx.execute(
                "UPDATE decisions SET superseded_by = ?1 WHERE id = ?2",
                params![id, current.id],
            )
            .map_err(fail)?;
        }
        let recorded = tx
            .query_row(
                &format!("SELECT {DECISION_COLUMNS} FROM decisions WHERE id = ?1"),
                params![id],
                decision,
            )
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
        Ok(recorded)
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
        let fail = |e: rusqlite::Error| storage(&location, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        tx.execute(
            "INSERT INTO allowed (kind, value, reviewer, added_unix_ms, note)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (kind, value) DO NOTHING",
            params![kind.as_str(), value, reviewer, now_ms, note],
        )
        .map_err(fail)?;
        let entry = tx
            .query_row(
                &format!("{ALLOWED_IN_FORCE} WHERE kind = ?1 AND value = ?2"),
                params![kind.as_str(), value],
                allowed,
            )
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
        Ok(entry)
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
        let fail = |e: rusqlite::Error| storage(&location, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let Some(mut entry) = tx
            .query_row(
                &format!("{ALLOWED_IN_FORCE} WHERE kind = ?1 AND value = ?2"),
                params![kind.as_str(), value],
                allowed,
            )
            .optional()
            .map_err(fail)?
        else {
            return Ok(None);
        };
        tx.execute(
            "INSERT INTO allowed_revoked (id, kind, value, reviewer, added_unix_ms, note,
                revoked_by, revoked_unix_ms, revoke_note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                entry.id,
                kind.as_str(),
                entry.value,
                entry.reviewer,
                entry.added_unix_ms,
                entry.note,
                reviewer,
                now_ms,
                note
            ],
        )
        .map_err(fail)?;
        tx.execute("DELETE FROM allowed WHERE id = ?1", params![entry.id])
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
        entry.revoked = Some(Revoked {
            reviewer: reviewer.to_owned(),
            unix_ms: now_ms,
            note: note.to_owned(),
        });
        Ok(Some(entry))
    }

    pub(crate) fn list(&self, filter: &Filter) -> Result<Vec<Decision>, LedgerError> {
        let fail = |e: rusqlite::Error| storage(&self.location, e);
        let mut statement = self
            .conn
            .prepare(&format!(
                "SELECT {DECISION_COLUMNS} FROM decisions
                 WHERE (?1 OR superseded_by IS NULL)
                   AND (?2 IS NULL OR status = ?2)
                   AND (?3 IS NULL OR title_id = ?3)
                   AND (?4 IS NULL OR clip_sha256 = ?4)
                 ORDER BY id"
            ))
            .map_err(fail)?;
        let rows = statement
            .query_map(
                params![
                    filter.history,
                    filter.status.map(Status::as_str),
                    filter.title_id,
                    filter.clip_sha256
                ],
                decision,
            )
            .map_err(fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }

    pub(crate) fn allow_list(&self, revoked_too: bool) -> Result<Vec<Allowed>, LedgerError> {
        let fail = |e: rusqlite::Error| storage(&self.location, e);
        let query = if revoked_too {
            format!("{ALLOWED_IN_FORCE} UNION ALL {ALLOWED_REVOKED} ORDER BY added_unix_ms, id")
        } else {
            format!("{ALLOWED_IN_FORCE} ORDER BY id")
        };
        let mut statement = self.conn.prepare(&query).map_err(fail)?;
        let rows = statement.query_map([], allowed).map_err(fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }
}

fn decision(row: &rusqlite::Row<'_>) -> rusqlite::Result<Decision> {
    let status: String = row.get(4)?;
    Ok(Decision {
        id: row.get(0)?,
        clip_sha256: row.get(1)?,
        title_id: row.get(2)?,
        segment: row.get(3)?,
        // The CHECK constraint keeps other words out.
        status: Status::parse(&status).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                4,
                rusqlite::types::Type::Text,
                format!("unknown status {status:?}").into(),
            )
        })?,
        reviewer: row.get(5)?,
        decided_unix_ms: row.get(6)?,
        note: row.get(7)?,
        evidence_sha256: row.get(8)?,
        notice_id: row.get(9)?,
        notice_date: row.get(10)?,
        supersedes: row.get(11)?,
        superseded_by: row.get(12)?,
        file_name: row.get(13)?,
        source_url: row.get(14)?,
        found_at: row.get(15)?,
        matched: crate::matched_of(row.get(16)?),
    })
}

fn allowed(row: &rusqlite::Row<'_>) -> rusqlite::Result<Allowed> {
    let kind: String = row.get(1)?;
    Ok(Allowed {
        id: row.get(0)?,
        kind: AllowKind::parse(&kind).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                1,
                rusqlite::types::Type::Text,
                format!("unknown kind {kind:?}").into(),
            )
        })?,
        value: row.get(2)?,
        reviewer: row.get(3)?,
        added_unix_ms: row.get(4)?,
        note: row.get(5)?,
        revoked: match (row.get(6)?, row.get(7)?, row.get::<_, Option<String>>(8)?) {
            (Some(reviewer), Some(unix_ms), note) => Some(Revoked {
                reviewer,
                unix_ms,
                note: note.unwrap_or_default(),
            }),
            _ => None,
        },
    })
}

fn storage(location: &str, e: rusqlite::Error) -> LedgerError {
    LedgerError::Storage {
        location: location.to_owned(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ledger_of_the_first_schema_is_brought_up_with_its_records() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("v1.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            let v1 = &migrations("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER")[0];
            conn.execute_batch(v1).unwrap();
            conn.execute_batch(
                "PRAGMA user_version = 1;
                 INSERT INTO allowed (kind, value, reviewer, added_unix_ms, note)
                     VALUES ('source_prefix', 'https://video.example/@studio/', 'ann', 1, 'own');
                 INSERT INTO decisions (clip_sha256, title_id, segment, status, reviewer,
                     decided_unix_ms) VALUES ('ab', 'ep1', '', 'confirmed', 'ann', 2);",
            )
            .unwrap();
        }
        let mut ledger = Sqlite::open(&path, false).unwrap();
        assert!(!ledger.created);
        let allowed = ledger.allow_list(true).unwrap();
        assert_eq!(allowed.len(), 1);
        assert!(allowed[0].revoked.is_none());
        let decisions = ledger.list(&Filter::default()).unwrap();
        assert_eq!(decisions[0].status, Status::Confirmed);
        assert_eq!(decisions[0].file_name, None);
        let version: u32 = ledger
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        // The revoked list exists and takes an entry.
        let revoked = ledger
            .revoke(
                AllowKind::SourcePrefix,
                "https://video.example/@studio/",
                "bob",
                "",
                3,
            )
            .unwrap();
        assert!(revoked.is_some());
        assert_eq!(ledger.allow_list(true).unwrap().len(), 1);
        assert!(ledger.allow_list(false).unwrap().is_empty());
    }
}
