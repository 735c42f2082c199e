//! `--format csv`: one row per match, or one per file without a match;
//! every row has every column, so a spreadsheet or `csv` reader takes it
//! as is.

use crate::output::review::Review;
use crate::output::text_cell;
use vfp_scan::FileRecord;

/// The columns: the file's, the match's, then what says which file it
/// was (for `--resume`) and why a file was skipped.
const COLUMNS: [&str; 35] = [
    "file",
    "sha256",
    "duration_s",
    "verdict",
    "title_id",
    "title_name",
    "score",
    "clip_start_s",
    "clip_end_s",
    "title_start_s",
    "title_end_s",
    "matched_frames",
    "speed",
    "mirrored",
    "error",
    "exploratory",
    "file_raw",
    "size_bytes",
    "mtime_ns",
    "skipped",
    "skipped_because",
    "partial",
    "partial_because",
    "inconclusive_because",
    "source_url",
    "found_at",
    "crawl",
    "to_act_on",
    "review",
    "allowed",
    "title_owner",
    "title_asset_id",
    "title_release_date",
    "title_labels",
    "public",
];

/// The header row.
pub fn header() -> String {
    rows(&[COLUMNS.map(str::to_owned).to_vec()])
}

/// The record's rows; the review columns are empty without a review
/// ledger's word (`review`).
pub fn render(r: &FileRecord, review: Option<&Review>) -> String {
    let text = |v: Option<String>| v.unwrap_or_default();
    let file = [
        text_cell(&r.file),
        text(r.sha256.clone()),
        text(r.duration_s.map(|d| d.to_string())),
        r.verdict.as_str().to_owned(),
    ];
    let after = [
        text_cell(r.error.as_deref().unwrap_or_default()),
        r.exploratory.to_string(),
        text(r.file_raw.clone()),
        text(r.size_bytes.map(|n| n.to_string())),
        text(r.mtime_ns.map(|n| n.to_string())),
        text(r.skipped.map(|s| s.as_str().to_owned())),
        text_cell(r.skipped_because.as_deref().unwrap_or_default()),
        r.partial.to_string(),
        text_cell(r.partial_because.as_deref().unwrap_or_default()),
        text_cell(r.inconclusive_because.as_deref().unwrap_or_default()),
        text_cell(r.provenance.source_url.as_deref().unwrap_or_default()),
        text_cell(r.provenance.found_at.as_deref().unwrap_or_default()),
        if r.provenance.crawl.is_empty() {
            String::new()
        } else {
            text_cell(&serde_json::to_string(&r.provenance.crawl).unwrap_or_default())
        },
        review.map_or_else(String::new, |v| v.to_act_on.to_string()),
        // `ep1:notice_sent;ep2:confirmed`: the current decisions.
        text_cell(&review.map_or_else(String::new, |v| {
            v.decisions
                .iter()
                .map(|d| format!("{}:{}", d.title_id, d.status))
                .collect::<Vec<_>>()
                .join(";")
        })),
        text_cell(
            &review
                .and_then(|v| v.allowed.as_ref())
                .map_or_else(String::new, |a| format!("{} {}", a.kind.as_str(), a.value)),
        ),
    ];
    let row = |matched: [String; 10],
               facts: Option<(&vfp_scan::TitleFacts, Option<&str>)>|
     -> Vec<String> {
        let facts: [String; 5] = facts.map_or_else(Default::default, |(f, public)| {
            [
                text_cell(&f.owner),
                text_cell(&f.asset_id),
                text_cell(&f.release_date),
                text_cell(&f.labels),
                text_cell(public.unwrap_or_default()),
            ]
        });
        file.iter()
            .cloned()
            .chain(matched)
            .chain(after.iter().cloned())
            .chain(facts)
            .collect()
    };
    if r.matches.is_empty() {
        return rows(&[row(Default::default(), None)]);
    }
    let rows_of: Vec<Vec<String>> = r
        .matches
        .iter()
        .map(|m| {
            row(
                [
                    text_cell(&m.title_id),
                    text_cell(&m.title_name),
                    m.score.to_string(),
                    m.clip_start_s.to_string(),
                    m.clip_end_s.to_string(),
                    m.title_start_s.to_string(),
                    m.title_end_s.to_string(),
                    m.matched_frames.to_string(),
                    m.speed.to_string(),
                    m.mirrored.to_string(),
                ],
                Some((&m.title_facts, m.public.as_deref())),
            )
        })
        .collect();
    rows(&rows_of)
}

/// Rows quoted as CSV needs (RFC 4180, by the `csv` crate).
fn rows(rows: &[Vec<String>]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for row in rows {
        // Writing to memory cannot fail.
        let _ = writer.write_record(row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{matched, record};
    use super::*;
    use crate::output::text_cell;
    use vfp_scan::Verdict;

    fn parse(text: &str) -> Vec<csv::StringRecord> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn free_text_cannot_run_as_a_spreadsheet_formula() {
        let mut r = record(
            Verdict::Match,
            vec![matched("=HYPERLINK(\"http://x\")", "@SUM(A1)", false)],
        );
        r.file = "+cmd|' /C calc'!A0.mp4".into();
        let rows = parse(&render(&r, None));
        assert_eq!(&rows[0][0], "'+cmd|' /C calc'!A0.mp4");
        assert_eq!(&rows[0][4], "'=HYPERLINK(\"http://x\")");
        assert_eq!(&rows[0][5], "'@SUM(A1)");
        // Numbers and ordinary names are left alone.
        assert_eq!(&rows[0][6], "0.981");
        assert_eq!(text_cell("ep-1"), "ep-1");
    }

    #[test]
    fn the_ledgers_word_fills_the_review_columns() {
        use crate::output::review::tests::decision;
        let r = record(Verdict::Match, vec![matched("ep1", "Pilot", false)]);
        let review = Review::of(
            &["ep1"],
            None,
            vec![decision(3, "ep1", vfp_ledger::Status::NoticeSent)],
        );
        let rows = parse(&render(&r, Some(&review)));
        let at = |name: &str| COLUMNS.iter().position(|c| *c == name).unwrap();
        assert_eq!(&rows[0][at("to_act_on")], "false");
        assert_eq!(&rows[0][at("review")], "ep1:notice_sent");
        let rows = parse(&render(&r, None));
        assert_eq!(&rows[0][at("to_act_on")], "", "no ledger, no word");
    }

    #[test]
    fn every_row_has_every_column() {
        let mut text = header();
        for r in [
            record(
                Verdict::Match,
                vec![
                    matched("ep1", "Pilot, part 1", false),
                    matched("ep2", "ep2", true),
                ],
            ),
            record(Verdict::NoMatch, vec![]),
            record(Verdict::Error, vec![]),
        ] {
            text.push_str(&render(&r, None));
        }
        let rows = parse(&text);
        assert_eq!(rows.len(), 5);
        assert!(rows.iter().all(|r| r.len() == COLUMNS.len()), "{rows:?}");
        assert_eq!(&rows[0][0], "file");
        let m = &rows[1];
        assert_eq!(
            (&m[0], &m[3], &m[4], &m[5]),
            ("a, b.mp4", "match", "ep1", "Pilot, part 1")
        );
        assert_eq!(
            (&m[1], &m[2], &m[6], &m[13]),
            (&*"ab".repeat(32), "9.5", "0.981", "false")
        );
        assert_eq!(&rows[2][13], "true");
        let none = &rows[3];
        assert_eq!((&none[3], &none[4], &none[14]), ("no_match", "", ""));
        let err = &rows[4];
        assert_eq!((&err[1], &err[3]), ("", "error"));
        assert!(err[14].contains("cannot read"));
    }
}
