//! `--format jsonl`: one [`FileRecord`] per line, as serde writes it. The
//! line format is stable: tools and `--resume` read it back.

use vfp_scan::FileRecord;

/// The record's line, with its newline.
pub fn render(record: &FileRecord) -> String {
    // A record of strings, numbers and booleans always serializes; should
    // that ever change, the line still says what went wrong.
    let mut line = serde_json::to_string(record).unwrap_or_else(|e| {
        serde_json::json!({ "file": record.file, "verdict": "error", "error": e.to_string() })
            .to_string()
    });
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::super::tests::{matched, record};
    use super::*;
    use vfp_scan::Verdict;

    #[test]
    fn a_line_reads_back_as_the_record() {
        let r = record(Verdict::Match, vec![matched("ep1", "Pilot", false)]);
        let line = render(&r);
        assert!(line.ends_with("}\n") && line.matches('\n').count() == 1);
        assert_eq!(serde_json::from_str::<FileRecord>(&line).unwrap(), r);
    }
}
