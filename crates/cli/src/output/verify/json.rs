//! `--format json`: the [`Verification`] as one pretty-printed document;
//! every matched frame pair labelled (`clip_ms`, `title_ms`, `distance`,
//! `found_by`).

use vfp_scan::Verification;

/// The document, with its newline.
pub fn render(v: &Verification) -> String {
    let mut text = serde_json::to_string_pretty(v).unwrap_or_else(|e| {
        serde_json::json!({ "clip": v.clip, "error": e.to_string() }).to_string()
    });
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use vfp_scan::testing::verification;

    #[test]
    fn frame_pairs_are_labelled_and_the_document_reads_back() {
        let v = verification(true);
        let text = render(&v);
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let f = &doc["segments"][0]["frames"][1];
        assert_eq!(f["clip_ms"], 2_000);
        assert_eq!(f["title_ms"], 601_000);
        assert_eq!(f["distance"], 40);
        assert_eq!(f["found_by"], "follow");
        assert_eq!(doc["segments"][0]["score"], 0.975);
        assert!(doc["segments"][0].get("title_source_path").is_none());
        let back: Verification = serde_json::from_str(&text).unwrap();
        assert_eq!(back.segments[0].frames, v.segments[0].frames);
    }
}
