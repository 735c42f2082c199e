//! The ledger's tables, one text for SQLite and PostgreSQL: migration
//! `n` (1-based) brings the schema from version `n - 1` to `n`
//! ([`SCHEMA_VERSION`](crate::SCHEMA_VERSION) is their count).

/// The columns of a decision, in the order the backends read them.
pub(crate) const DECISION_COLUMNS: &str = "id, clip_sha256, title_id, segment, status, reviewer, \
     decided_unix_ms, note, evidence_sha256, notice_id, notice_date, supersedes, superseded_by, \
     file_name, source_url, found_at, matched_json";

/// The allow-list's entries in force: id, kind, value, reviewer,
/// added_unix_ms, note, and (none here) revoked_by, revoked_unix_ms,
/// revoke_note, the order the backends read them in.
pub(crate) const ALLOWED_IN_FORCE: &str = "SELECT id, kind, value, reviewer, added_unix_ms, note, \
     CAST(NULL AS TEXT) AS revoked_by, CAST(NULL AS BIGINT) AS revoked_unix_ms, \
     CAST(NULL AS TEXT) AS revoke_note FROM allowed";

/// The entries revoked from it, in the same columns.
pub(crate) const ALLOWED_REVOKED: &str = "SELECT id, kind, value, reviewer, added_unix_ms, note, \
     revoked_by, revoked_unix_ms, revoke_note FROM allowed_revoked";

/// The migrations, `{serial}` and `{int64}` standing for the backend's
/// auto-numbered key and 64-bit integer.
const MIGRATIONS: &[&str] = &[
    // 1: decisions (append-only; one current decision per item) and the
    // allow-list.
    "CREATE TABLE decisions (
        id {serial},
        clip_sha256 TEXT NOT NULL,
        title_id TEXT NOT NULL,
        segment TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN
            ('confirmed', 'licensed', 'false_positive', 'notice_sent', 'withdrawn')),
        reviewer TEXT NOT NULL,
        decided_unix_ms {int64} NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        evidence_sha256 TEXT,
        notice_id TEXT,
        notice_date TEXT,
        supersedes {int64} REFERENCES decisions(id),
        superseded_by {int64}
    );
    CREATE UNIQUE INDEX decisions_one_current
        ON decisions (clip_sha256, title_id, segment) WHERE superseded_by IS NULL;
    CREATE INDEX decisions_by_clip ON decisions (clip_sha256);
    CREATE INDEX decisions_by_title ON decisions (title_id);
    CREATE TABLE allowed (
        id {serial},
        kind TEXT NOT NULL CHECK (kind IN ('sha256', 'source_prefix')),
        value TEXT NOT NULL,
        reviewer TEXT NOT NULL,
        added_unix_ms {int64} NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        UNIQUE (kind, value)
    );",
    // 2: the file a decision is about (its name and where it was found),
    // and revoked allow-list entries, kept for the record (an entry is
    // moved here when revoked, so that the value can be allowed again).
    "ALTER TABLE decisions ADD COLUMN file_name TEXT;
    ALTER TABLE decisions ADD COLUMN source_url TEXT;
    ALTER TABLE decisions ADD COLUMN found_at TEXT;
    ALTER TABLE decisions ADD COLUMN matched_json TEXT;
    CREATE TABLE allowed_revoked (
        id {int64} NOT NULL,
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        reviewer TEXT NOT NULL,
        added_unix_ms {int64} NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        revoked_by TEXT NOT NULL,
        revoked_unix_ms {int64} NOT NULL,
        revoke_note TEXT NOT NULL DEFAULT ''
    );",
];

/// The migrations in a backend's words for an auto-numbered key
/// (`serial`) and a 64-bit integer (`int64`).
pub(crate) fn migrations(serial: &str, int64: &str) -> Vec<String> {
    MIGRATIONS
        .iter()
        .map(|m| m.replace("{serial}", serial).replace("{int64}", int64))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_schema_version_counts_the_migrations() {
        assert_eq!(super::MIGRATIONS.len(), crate::SCHEMA_VERSION as usize);
        let sql = super::migrations("BIGSERIAL PRIMARY KEY", "BIGINT");
        assert!(!sql[0].contains('{'), "every placeholder replaced");
    }
}
