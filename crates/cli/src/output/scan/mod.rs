//! `vfp scan` records as text: one module per `--format`, and the
//! summary a person sees at the end.

mod csv;
mod human;
mod jsonl;
mod printer;

pub use printer::Printer;

use super::review::Review;
use super::{count, Rendered};
use crate::args::ScanFormat;
use vfp_scan::{FileRecord, SkipReason, Verdict};

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
        ScanFormat::Csv => Rendered::stdout(csv::render(record, None)),
    }
}

/// One file's record in `format` with what the review ledger says of it:
/// jsonl adds `review` to the record, human adds lines under it, CSV fills
/// its review columns.
pub fn render_reviewed(format: ScanFormat, record: &FileRecord, review: &Review) -> Rendered {
    match format {
        ScanFormat::Human => {
            let mut rendered = human::render(record);
            rendered.stdout.push_str(&review.human());
            rendered
        }
        ScanFormat::Jsonl => {
            let mut value = serde_json::to_value(record).unwrap_or_default();
            if let Some(fields) = value.as_object_mut() {
                fields.insert(
                    "review".into(),
                    serde_json::to_value(review).unwrap_or_default(),
                );
            }
            Rendered::stdout(format!("{value}\n"))
        }
        ScanFormat::Csv => Rendered::stdout(csv::render(record, Some(review))),
    }
}

/// How many files ended how, and how much video they held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Files with a match.
    pub matched: usize,
    /// Files without.
    pub no_match: usize,
    /// Files that could not be scanned.
    pub errors: usize,
    /// Files scanned without a match that could not be judged.
    pub inconclusive: usize,
    /// Files skipped as done by an earlier scan (`--resume`, `--append`).
    pub already_scanned: usize,
    /// Files found in folders and not scanned, by reason (in the order of
    /// [`SkipReason::ALL`]).
    pub not_scanned: [usize; SkipReason::ALL.len()],
    /// Files read only in part (cut short), with a verdict on that part.
    pub partial: usize,
    /// Video in the files scanned, ms.
    pub video_ms: u64,
    /// With a review ledger: matched files still to act on.
    pub to_act_on: usize,
    /// With a review ledger: matched files the ledger settles (licensed,
    /// false positive, notice sent, withdrawn).
    pub settled: usize,
    /// Whether a review ledger was read.
    pub reviewed: bool,
}

impl Tally {
    /// Counts what the ledger says of `record`'s file.
    pub fn add_review(&mut self, record: &FileRecord, review: &Review) {
        self.reviewed = true;
        if record.verdict == Verdict::Match {
            if review.to_act_on {
                self.to_act_on += 1;
            } else {
                self.settled += 1;
            }
        }
    }

    /// Counts `record`.
    pub fn add(&mut self, record: &FileRecord) {
        match record.verdict {
            Verdict::Match => self.matched += 1,
            Verdict::NoMatch => self.no_match += 1,
            Verdict::Error => self.errors += 1,
            Verdict::Inconclusive => self.inconclusive += 1,
            Verdict::Skipped => {
                let reason = record.skipped.unwrap_or(SkipReason::NotVideo);
                if let Some(i) = SkipReason::ALL.iter().position(|&r| r == reason) {
                    self.not_scanned[i] += 1;
                }
            }
        }
        if record.partial {
            self.partial += 1;
        }
        let ms = record.duration_s.unwrap_or(0.0) * 1000.0;
        if ms.is_finite() && ms > 0.0 {
            self.video_ms += ms.round() as u64;
        }
    }
}

/// The closing line on stderr: `vfp: scanned 12 files in 40.2 s: 3
/// matched, 8 no match, 1 error; 0.30 files/s, 5.1 s of video a second
/// (3 min 24 s of video)`.
pub fn summary(tally: Tally, seconds: f64) -> String {
    let scanned = tally.matched + tally.no_match + tally.inconclusive + tally.errors;
    let mut line = format!(
        "vfp: scanned {} in {seconds:.1} s: {} matched, {} no match, {}",
        count(scanned, "file"),
        tally.matched,
        tally.no_match,
        count(tally.errors, "error"),
    );
    if tally.inconclusive > 0 {
        line.push_str(&format!(", {} inconclusive", tally.inconclusive));
    }
    if tally.partial > 0 {
        line.push_str(&format!(
            " ({} of them read only in part, cut short)",
            tally.partial
        ));
    }
    if seconds > 0.0 && scanned > 0 {
        let video_s = tally.video_ms as f64 / 1000.0;
        line.push_str(&format!(
            "; {:.2} files/s, {:.1} s of video a second ({} of video)",
            scanned as f64 / seconds,
            video_s / seconds,
            duration_words(video_s)
        ));
    }
    if tally.reviewed {
        line.push_str(&format!(
            "; review ledger: {} of the matched files to act on, {} settled",
            tally.to_act_on, tally.settled
        ));
    }
    let not_scanned: usize = tally.not_scanned.iter().sum();
    if not_scanned > 0 {
        let reasons: Vec<String> = SkipReason::ALL
            .iter()
            .zip(tally.not_scanned)
            .filter(|&(_, n)| n > 0)
            .map(|(reason, n)| format!("{n} {}", reason.summary_words()))
            .collect();
        line.push_str(&format!(
            "; {} not scanned: {}",
            count(not_scanned, "file"),
            reasons.join(", ")
        ));
    }
    if tally.already_scanned > 0 {
        line.push_str(&format!(
            "; {} skipped as already scanned",
            tally.already_scanned
        ));
    }
    line.push('\n');
    line
}

/// `3 h 02 min`, `3 min 24 s`, `12.5 s`.
fn duration_words(s: f64) -> String {
    let whole = s.round() as u64;
    if whole >= 3600 {
        format!("{} h {:02} min", whole / 3600, whole % 3600 / 60)
    } else if whole >= 60 {
        format!("{} min {:02} s", whole / 60, whole % 60)
    } else {
        format!("{s:.1} s")
    }
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
            title_facts: Default::default(),
            public: None,
        }
    }

    pub(crate) fn record(verdict: Verdict, matches: Vec<MatchRecord>) -> FileRecord {
        let error = (verdict == Verdict::Error)
            .then(|| "a, b.mp4: cannot read: No such file or directory (os error 2)".to_owned());
        let mut r = FileRecord::failed(
            "a, b.mp4".into(),
            &std::io::Error::other("cannot read: No such file or directory (os error 2)"),
        );
        r.sha256 = (verdict != Verdict::Error).then(|| "ab".repeat(32));
        r.duration_s = (verdict != Verdict::Error).then_some(9.5);
        r.verdict = verdict;
        r.error = error;
        r.matches = matches;
        r
    }

    #[test]
    fn the_summary_counts_every_verdict_and_the_rates() {
        let mut t = Tally::default();
        for v in [
            Verdict::Match,
            Verdict::NoMatch,
            Verdict::NoMatch,
            Verdict::Error,
        ] {
            t.add(&record(v, Vec::new()));
        }
        // Three files scanned hold 9.5 s of video each; the error none.
        assert_eq!(t.video_ms, 28_500);
        assert_eq!(
            summary(t, 12.0),
            "vfp: scanned 4 files in 12.0 s: 1 matched, 2 no match, 1 error; \
             0.33 files/s, 2.4 s of video a second (28.5 s of video)\n"
        );
        t.video_ms = 3 * 3_600_000 + 125_000;
        assert!(
            summary(t, 1.0).contains("(3 h 02 min of video)"),
            "{}",
            summary(t, 1.0)
        );
        t.video_ms = 204_000;
        assert!(
            summary(t, 1.0).contains("(3 min 24 s of video)"),
            "{}",
            summary(t, 1.0)
        );
        t.already_scanned = 3;
        assert!(summary(t, 1.0).contains("; 3 skipped as already scanned"));
        // Nothing scanned (all skipped): no rates.
        assert_eq!(
            summary(Tally { already_scanned: 2, ..Tally::default() }, 0.5),
            "vfp: scanned 0 files in 0.5 s: 0 matched, 0 no match, 0 errors; 2 skipped as already scanned\n"
        );
    }

    #[test]
    fn only_csv_has_a_header() {
        assert!(header(ScanFormat::Csv).is_some());
        assert!(header(ScanFormat::Jsonl).is_none() && header(ScanFormat::Human).is_none());
    }
}
