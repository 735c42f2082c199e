//! `vfp scan` records as text: one module per `--format`, and the
//! summary a person sees at the end.

mod csv;
mod human;
mod jsonl;

use super::{count, Rendered};
use crate::args::ScanFormat;
use vfp_scan::{FileRecord, Verdict};

/// Text before the first record (the CSV header), if the format has one.
pub fn header(format: ScanFormat) -> Option<String> {
    match format {
        ScanFormat::Csv => Some(csv::header()),
        ScanFormat::Human | ScanFormat::Jsonl => None,
    }
}

/// One file's record in `format`.
pub fn render(format: ScanFormat, record: &FileRecord) -> Rendered {
    match format {
        ScanFormat::Human => human::render(record),
        ScanFormat::Jsonl => Rendered::stdout(jsonl::render(record)),
        ScanFormat::Csv => Rendered::stdout(csv::render(record)),
    }
}

/// How many files ended how.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Files with a match.
    pub matched: usize,
    /// Files without.
    pub no_match: usize,
    /// Files that could not be scanned.
    pub errors: usize,
    /// Files skipped as done by an earlier scan (`--resume`).
    pub skipped: usize,
}

impl Tally {
    /// Counts `verdict`.
    pub fn add(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Match => self.matched += 1,
            Verdict::NoMatch => self.no_match += 1,
            Verdict::Error => self.errors += 1,
        }
    }
}

/// The closing line on stderr: `vfp: scanned 12 files in 40.2 s: 3
/// matched, 8 no match, 1 error`.
pub fn summary(tally: Tally, seconds: f64) -> String {
    let scanned = tally.matched + tally.no_match + tally.errors;
    let mut line = format!(
        "vfp: scanned {} in {seconds:.1} s: {} matched, {} no match, {}",
        count(scanned, "file"),
        tally.matched,
        tally.no_match,
        count(tally.errors, "error"),
    );
    if tally.skipped > 0 {
        line.push_str(&format!("; {} skipped as already scanned", tally.skipped));
    }
    line.push('\n');
    line
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use vfp_scan::MatchRecord;

    /// A match record of title `id` named `name`.
    pub(crate) fn matched(id: &str, name: &str, mirrored: bool) -> MatchRecord {
        MatchRecord {
            title_id: id.into(),
            title_name: name.into(),
            score: 0.981,
            clip_start_s: 0.0,
            clip_end_s: 5.964,
            title_start_s: 62.0,
            title_end_s: 67.964,
            matched_frames: 150,
            speed: 1.0,
            mirrored,
        }
    }

    pub(crate) fn record(verdict: Verdict, matches: Vec<MatchRecord>) -> FileRecord {
        let error = (verdict == Verdict::Error)
            .then(|| "a, b.mp4: cannot read: No such file or directory (os error 2)".to_owned());
        FileRecord {
            file: "a, b.mp4".into(),
            sha256: (verdict != Verdict::Error).then(|| "ab".repeat(32)),
            duration_s: (verdict != Verdict::Error).then_some(9.5),
            verdict,
            error,
            matches,
            exploratory: false,
        }
    }

    #[test]
    fn the_summary_counts_every_verdict() {
        let mut t = Tally::default();
        for v in [
            Verdict::Match,
            Verdict::NoMatch,
            Verdict::NoMatch,
            Verdict::Error,
        ] {
            t.add(v);
        }
        assert_eq!(
            summary(t, 12.04),
            "vfp: scanned 4 files in 12.0 s: 1 matched, 2 no match, 1 error\n"
        );
        t.skipped = 3;
        assert!(summary(t, 1.0).contains("; 3 skipped as already scanned"));
    }

    #[test]
    fn only_csv_has_a_header() {
        assert!(header(ScanFormat::Csv).is_some());
        assert!(header(ScanFormat::Jsonl).is_none() && header(ScanFormat::Human).is_none());
    }
}
