//! The review ledger as text: decisions as lines, jsonl or CSV (`vfp review
//! list|export`), what `mark` and `allow` recorded, and what a scan record
//! says of the ledger's decisions (`vfp scan --ledger`).

use super::{printable, text_cell};
use crate::args::ReviewFormat;
use serde::Serialize;
use vfp_ledger::{utc, Allowed, Decision};

/// `decisions` in `format`, oldest first.
pub fn decisions(format: ReviewFormat, decisions: &[Decision]) -> String {
    match format {
        ReviewFormat::Human => decisions.iter().map(human).collect(),
        ReviewFormat::Jsonl => decisions
            .iter()
            .map(|d| format!("{}\n", serde_json::to_string(d).unwrap_or_default()))
            .collect(),
        ReviewFormat::Csv => csv(decisions),
    }
}

/// One decision as a line: `#12 2026-11-30T09:55:12Z notice_sent ep1 of
/// 5f0c9a1b2e4d… (the whole clip) by ann: N-123 2026-11-30; "note"`.
fn human(d: &Decision) -> String {
    let mut line = format!(
        "#{} {} {} {} of {} ({}) by {}",
        d.id,
        utc(d.decided_unix_ms),
        d.status,
        printable(&d.title_id),
        d.clip_sha256,
        if d.segment.is_empty() {
            "the whole clip".to_owned()
        } else {
            format!("segment {}", printable(&d.segment))
        },
        printable(&d.reviewer)
    );
    if let Some(id) = &d.notice_id {
        line.push_str(&format!(", notice {}", printable(id)));
        if let Some(date) = &d.notice_date {
            line.push_str(&format!(" of {}", printable(date)));
        }
    }
    if let Some(name) = &d.file_name {
        line.push_str(&format!(", file {}", printable(name)));
    }
    if let Some(url) = &d.source_url {
        line.push_str(&format!(", found at {}", printable(url)));
    }
    if let Some(old) = d.supersedes {
        line.push_str(&format!(", replacing #{old}"));
    }
    if let Some(new) = d.superseded_by {
        line.push_str(&format!(", replaced by #{new}"));
    }
    if !d.note.is_empty() {
        line.push_str(&format!(": {:?}", d.note));
    }
    line.push('\n');
    line
}

const CSV_HEADER: [&str; 16] = [
    "id",
    "decided_utc",
    "status",
    "clip_sha256",
    "title_id",
    "segment",
    "reviewer",
    "note",
    "evidence_sha256",
    "notice_id",
    "notice_date",
    "supersedes",
    "superseded_by",
    "decided_unix_ms",
    "file_name",
    "source_url",
];

fn csv(decisions: &[Decision]) -> String {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(CSV_HEADER);
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let num = |v: Option<i64>| v.map_or_else(String::new, |n| n.to_string());
    for d in decisions {
        let _ = writer.write_record([
            d.id.to_string(),
            utc(d.decided_unix_ms),
            d.status.to_string(),
            d.clip_sha256.clone(),
            // What reviewers typed: the legal export opens in spreadsheets.
            text_cell(&d.title_id),
            text_cell(&d.segment),
            text_cell(&d.reviewer),
            text_cell(&d.note),
            opt(&d.evidence_sha256),
            text_cell(&opt(&d.notice_id)),
            text_cell(&opt(&d.notice_date)),
            num(d.supersedes),
            num(d.superseded_by),
            d.decided_unix_ms.to_string(),
            text_cell(&opt(&d.file_name)),
            text_cell(&opt(&d.source_url)),
        ]);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// What `mark` recorded.
pub fn recorded_line(ledger: &str, d: &Decision) -> String {
    format!("vfp: {ledger}: recorded {}", human(d))
}

/// What `allow` recorded.
pub fn allowed_line(ledger: &str, a: &Allowed) -> String {
    format!("vfp: {ledger}: allowed {}", allowed_human(a))
}

/// What `allow revoke` recorded.
pub fn revoked_line(ledger: &str, a: &Allowed) -> String {
    format!("vfp: {ledger}: revoked {}", allowed_human(a))
}

/// One allow-list entry as a line: `#3 source_prefix
/// https://video.example/@studio/ (added by ann on 2026-11-30T09:55:12Z:
/// "own account")`, and who revoked it.
fn allowed_human(a: &Allowed) -> String {
    let mut line = format!(
        "#{} {} {} (added by {} on {}",
        a.id,
        a.kind.as_str(),
        printable(&a.value),
        printable(&a.reviewer),
        utc(a.added_unix_ms)
    );
    if !a.note.is_empty() {
        line.push_str(&format!(": {:?}", a.note));
    }
    line.push(')');
    if let Some(r) = &a.revoked {
        line.push_str(&format!(
            ", revoked by {} on {}",
            printable(&r.reviewer),
            utc(r.unix_ms)
        ));
        if !r.note.is_empty() {
            line.push_str(&format!(": {:?}", r.note));
        }
    }
    line.push('\n');
    line
}

/// Allow-list entries in `format`, oldest first.
pub fn allowed_entries(format: ReviewFormat, entries: &[Allowed]) -> String {
    match format {
        ReviewFormat::Human => entries.iter().map(allowed_human).collect(),
        ReviewFormat::Jsonl => entries
            .iter()
            .map(|a| format!("{}\n", serde_json::to_string(a).unwrap_or_default()))
            .collect(),
        ReviewFormat::Csv => {
            let mut writer = ::csv::Writer::from_writer(Vec::new());
            let _ = writer.write_record([
                "id",
                "kind",
                "value",
                "reviewer",
                "added_utc",
                "note",
                "revoked_by",
                "revoked_utc",
                "revoke_note",
            ]);
            for a in entries {
                let r = a.revoked.as_ref();
                let _ = writer.write_record([
                    a.id.to_string(),
                    a.kind.as_str().to_owned(),
                    text_cell(&a.value),
                    text_cell(&a.reviewer),
                    utc(a.added_unix_ms),
                    text_cell(&a.note),
                    text_cell(r.map_or("", |r| r.reviewer.as_str())),
                    r.map_or_else(String::new, |r| utc(r.unix_ms)),
                    text_cell(r.map_or("", |r| r.note.as_str())),
                ]);
            }
            String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
        }
    }
}

/// What the ledger says of a scanned file: added to its jsonl record as
/// `review`, and under its human lines.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Review {
    /// The allow-list entry that covers the file: licensed, not to act on.
    pub allowed: Option<Allowed>,
    /// The current decisions about the file.
    pub decisions: Vec<Decision>,
    /// Whether a match in it is still to act on: a matched title without a
    /// decision that settles it (licensed, false positive, notice sent,
    /// withdrawn), and the file not on the allow-list.
    pub to_act_on: bool,
    /// The ledger could not be read for this file (then nothing is known
    /// of it: every match is to act on, after a look at the ledger).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Review {
    /// The review of a file whose record matched `matched_titles`.
    pub fn of(
        matched_titles: &[&str],
        allowed: Option<Allowed>,
        decisions: Vec<Decision>,
    ) -> Review {
        let settled = |title: &str| {
            decisions
                .iter()
                .any(|d| d.title_id == title && d.status.settles())
        };
        let to_act_on = allowed.is_none() && matched_titles.iter().any(|t| !settled(t));
        Review {
            allowed,
            decisions,
            to_act_on,
            error: None,
        }
    }

    /// The review of a file the ledger could not be read for.
    pub fn unreadable(matched_titles: &[&str], error: &dyn std::fmt::Display) -> Review {
        Review {
            to_act_on: !matched_titles.is_empty(),
            error: Some(error.to_string()),
            ..Review::default()
        }
    }

    /// The lines under a file's human record (empty when the ledger says
    /// nothing of it).
    pub fn human(&self) -> String {
        let mut out = String::new();
        if let Some(e) = &self.error {
            out.push_str(&format!("  review: the ledger could not be read: {e}\n"));
        }
        if let Some(a) = &self.allowed {
            out.push_str(&format!(
                "  review: licensed: on the allow-list ({} {}, by {}{}); not to act on\n",
                a.kind.as_str(),
                a.value,
                a.reviewer,
                if a.note.is_empty() {
                    String::new()
                } else {
                    format!(": {:?}", a.note)
                }
            ));
        }
        for d in &self.decisions {
            out.push_str(&format!("  review: already {}", human(d)));
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use vfp_ledger::Status;

    pub(crate) fn decision(id: i64, title: &str, status: Status) -> Decision {
        Decision {
            id,
            clip_sha256: "ab".repeat(32),
            title_id: title.into(),
            segment: String::new(),
            status,
            reviewer: "ann".into(),
            decided_unix_ms: 1_764_496_512_000,
            note: "seen, \"clear\"".into(),
            evidence_sha256: None,
            notice_id: (status == Status::NoticeSent).then(|| "N-123".into()),
            notice_date: None,
            supersedes: None,
            superseded_by: None,
            file_name: None,
            source_url: None,
            found_at: None,
            matched: Vec::new(),
        }
    }

    #[test]
    fn decisions_print_as_lines_jsonl_and_csv() {
        let d = [decision(3, "ep1", Status::NoticeSent)];
        let line = decisions(ReviewFormat::Human, &d);
        assert_eq!(
            line,
            format!(
                "#3 2025-11-30T09:55:12Z notice_sent ep1 of {} (the whole clip) by ann, notice N-123: \"seen, \\\"clear\\\"\"\n",
                "ab".repeat(32)
            )
        );
        let json: serde_json::Value =
            serde_json::from_str(&decisions(ReviewFormat::Jsonl, &d)).unwrap_or_default();
        assert_eq!(json["status"], "notice_sent");
        let text = decisions(ReviewFormat::Csv, &d);
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<_> = reader.records().map(|r| r.unwrap_or_default()).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].len(), CSV_HEADER.len());
        assert_eq!(&rows[0][7], "seen, \"clear\"");

        // The legal export cannot run a formula in a spreadsheet.
        let mut hostile = decision(4, "=HYPERLINK(\"http://x\")", Status::Confirmed);
        hostile.note = "+cmd|' /C calc'!A0".into();
        hostile.reviewer = "@SUM(1)".into();
        let text = decisions(ReviewFormat::Csv, &[hostile]);
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        let row = reader.records().next().unwrap().unwrap();
        for cell in [&row[4], &row[6], &row[7]] {
            assert!(cell.starts_with('\''), "{cell}");
        }
    }

    #[test]
    fn a_match_is_to_act_on_until_a_decision_settles_it() {
        assert!(Review::of(&["ep1"], None, vec![]).to_act_on);
        assert!(Review::of(&["ep1"], None, vec![decision(1, "ep1", Status::Confirmed)]).to_act_on);
        for settled in [
            Status::Licensed,
            Status::FalsePositive,
            Status::NoticeSent,
            Status::Withdrawn,
        ] {
            assert!(!Review::of(&["ep1"], None, vec![decision(1, "ep1", settled)]).to_act_on);
        }
        // Another title of the same file is still to act on.
        assert!(
            Review::of(
                &["ep1", "ep2"],
                None,
                vec![decision(1, "ep1", Status::NoticeSent)]
            )
            .to_act_on
        );
        assert!(!Review::of(&[], None, vec![]).to_act_on, "no match");
    }
}
