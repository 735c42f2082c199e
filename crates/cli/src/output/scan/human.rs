//! `--format human`: a line per file, an indented line per match, in
//! timecodes; errors go to stderr, once, naming the file.

use crate::output::{count, printable, title_label, Rendered};
use vfp_scan::units::timecode;
use vfp_scan::{FileRecord, Verdict};

/// The record for a person; control characters in file names and titles
/// are escaped.
pub fn render(r: &FileRecord) -> Rendered {
    let file = printable(&r.file);
    match r.verdict {
        Verdict::Error => {
            let error = printable(r.error.as_deref().unwrap_or("unknown error"));
            // Errors name their file; say which one if this one does not.
            let text = if error.starts_with(file.as_ref()) {
                format!("vfp: error: {error}\n")
            } else {
                format!("vfp: error: {file}: {error}\n")
            };
            Rendered::stderr(text)
        }
        Verdict::Inconclusive => Rendered::stdout(format!(
            "{file}: inconclusive: {}\n{}",
            printable(
                r.inconclusive_because
                    .as_deref()
                    .unwrap_or("no verdict can be given")
            ),
            cut_short(r)
        )),
        Verdict::NoMatch if r.partial => Rendered::stdout(format!(
            "{file}: no match in the part that could be read\n{}",
            cut_short(r)
        )),
        Verdict::NoMatch => Rendered::stdout(format!("{file}: no match\n")),
        // Counted in the summary: a crawl folder holds files by the
        // thousand that are not videos (`--format jsonl` lists them).
        Verdict::Skipped => Rendered::default(),
        Verdict::Match => {
            // A match found with untested radii is a lead, not evidence.
            let kind = if r.exploratory {
                "exploratory MATCH (radii beyond the tested ones)"
            } else {
                "MATCH"
            };
            let mut text = format!(
                "{file}: {kind}, {}{}\n",
                count(r.matches.len(), "segment"),
                if r.partial {
                    " in the part that could be read"
                } else {
                    ""
                }
            );
            text.push_str(&cut_short(r));
            if let Some(url) = &r.provenance.source_url {
                let found = match &r.provenance.found_at {
                    Some(at) => format!(", found {}", printable(at)),
                    None => String::new(),
                };
                text.push_str(&format!("  source: {}{found}\n", printable(url)));
            }
            for m in &r.matches {
                text.push_str(&format!(
                    "  {}: clip {}-{} = title {}-{}, score {:.3}, {} frames, speed {:.3}{}\n",
                    printable(&title_label(&m.title_id, &m.title_name)),
                    tc(m.clip_start_s),
                    tc(m.clip_end_s),
                    tc(m.title_start_s),
                    tc(m.title_end_s),
                    m.score,
                    m.matched_frames,
                    m.speed,
                    if m.mirrored { ", mirrored" } else { "" }
                ));
                if let Some(reason) = &m.public {
                    text.push_str(&format!(
                        "    public: this part of the title was published ({}); a copy of it is allowed\n",
                        printable(reason)
                    ));
                }
                if let Some(facts) = facts_words(&m.title_facts) {
                    text.push_str(&format!("    title: {}\n", printable(&facts)));
                }
            }
            Rendered::stdout(text)
        }
    }
}

/// A title's owner, asset id and release date, as words: `owner Example
/// Studios, asset EX-0001, released 2027-03-01` (none if the catalog has
/// none of them).
fn facts_words(f: &vfp_scan::TitleFacts) -> Option<String> {
    let parts: Vec<String> = [
        ("owner", &f.owner),
        ("asset", &f.asset_id),
        ("release date", &f.release_date),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k} {v}"))
    .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The line saying why a partial file was read only in part, if it was.
fn cut_short(r: &FileRecord) -> String {
    match (&r.partial_because, r.partial) {
        (Some(why), true) => format!("  partial: {}\n", printable(why)),
        (None, true) => "  partial: only part of the file could be read\n".into(),
        _ => String::new(),
    }
}

/// A record's seconds as `HH:MM:SS.mmm`.
fn tc(seconds: f64) -> String {
    timecode((seconds * 1000.0).round().max(0.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{matched, record};
    use super::*;

    #[test]
    fn a_match_in_timecodes_with_the_title_named_once() {
        let r = record(
            Verdict::Match,
            vec![matched("ep1", "ep1", true), matched("ep2", "Pilot", false)],
        );
        let out = render(&r);
        assert_eq!(out.stderr, "");
        assert_eq!(
            out.stdout,
            "a, b.mp4: MATCH, 2 segments\n\
             \x20 ep1: clip 00:00:00.000-00:00:05.964 = title 00:01:02.000-00:01:07.964, score 0.981, 150 frames, speed 1.000, mirrored\n\
             \x20 ep2 \"Pilot\": clip 00:00:00.000-00:00:05.964 = title 00:01:02.000-00:01:07.964, score 0.981, 150 frames, speed 1.000\n"
        );
        let one = render(&record(Verdict::Match, vec![matched("x", "x", false)]));
        assert!(one.stdout.starts_with("a, b.mp4: MATCH, 1 segment\n"));
    }

    #[test]
    fn a_file_name_cannot_forge_a_line_or_drive_the_terminal() {
        let mut r = record(Verdict::NoMatch, vec![]);
        r.file = "x.mp4: no match\nep1.mp4: MATCH\x1b[2J.mp4".into();
        let out = render(&r).stdout;
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(out.contains("\\n") && out.contains("\\u{1b}"), "{out}");
    }

    #[test]
    fn no_match_is_one_line() {
        assert_eq!(
            render(&record(Verdict::NoMatch, vec![])),
            Rendered::stdout("a, b.mp4: no match\n".into())
        );
    }

    #[test]
    fn an_error_goes_to_stderr_naming_the_file_once() {
        let out = render(&record(Verdict::Error, vec![]));
        assert_eq!(out.stdout, "");
        assert_eq!(
            out.stderr,
            "vfp: error: a, b.mp4: cannot read: No such file or directory (os error 2)\n"
        );
        let mut r = record(Verdict::Error, vec![]);
        r.error = Some("something without a path".into());
        assert_eq!(
            render(&r).stderr,
            "vfp: error: a, b.mp4: something without a path\n"
        );
    }
}
