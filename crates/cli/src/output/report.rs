//! `vfp report`: one self-contained HTML page of a scan's hits for a
//! reviewer who works through a day's hits in a browser: per file, the
//! first matched pair side by side, the title and its owner, what the
//! copy shows, where and when it was found, what the review ledger says,
//! and a link to its evidence page.

use super::printable;
use askama::Template;
use vfp_scan::evidence::{Evidence, Picture as ShownPicture, THUMBNAIL_WIDTH};
use vfp_scan::FileRecord;

/// One hit as the page shows it.
pub struct Hit {
    /// 1-based.
    pub number: usize,
    /// Its evidence page, relative to the index.
    pub page: String,
    /// The copy's frame, a PNG data URL.
    pub clip_picture: Option<String>,
    /// The catalog's frame, a PNG data URL.
    pub title_picture: Option<String>,
    /// Why there is no catalog frame.
    pub title_picture_missing: String,
    /// `ep1 "Pilot"`.
    pub title: String,
    /// The title's owner.
    pub owner: String,
    /// `clip 00:00:01-00:00:07 shows title 00:10:00-00:10:06`.
    pub summary: String,
    /// Strength of the evidence.
    pub score: f64,
    /// Shown mirrored.
    pub mirrored: bool,
    /// Read only in part (cut short).
    pub partial: bool,
    /// A public part of the title: what it was published as.
    pub public: Option<String>,
    /// The file as the scan named it.
    pub file: String,
    /// Where it was found.
    pub source_url: Option<String>,
    /// When.
    pub found_at: Option<String>,
    /// To act on, and the ledger's current decisions in words.
    pub review: Option<(bool, String)>,
}

impl Hit {
    /// The row of `record`'s hit, number `number`, whose evidence page
    /// is `page`; its pictures from `evidence` (the first matched pair).
    pub fn new(
        number: usize,
        page: String,
        record: &FileRecord,
        evidence: Option<&Evidence>,
        review: Option<(bool, String)>,
    ) -> Hit {
        let first = evidence.and_then(|e| e.pairs.iter().flatten().next());
        let picture = |p: Option<&ShownPicture>| match p {
            Some(ShownPicture::Frame(t)) => super::evidence::png_data_url(t),
            _ => None,
        };
        let title_picture_missing = match first.map(|f| &f.title) {
            Some(ShownPicture::Missing(why)) => why.clone(),
            _ => "no picture".into(),
        };
        let m = record.matches.first();
        Hit {
            number,
            page,
            clip_picture: picture(first.map(|f| &f.clip)),
            title_picture: picture(first.map(|f| &f.title)),
            title_picture_missing,
            title: m.map_or_else(String::new, |m| {
                printable(&super::title_label(&m.title_id, &m.title_name)).into_owned()
            }),
            owner: m.map_or_else(String::new, |m| {
                printable(&m.title_facts.owner).into_owned()
            }),
            summary: m.map_or_else(String::new, |m| {
                let tc = |s: f64| vfp_scan::units::timecode((s * 1000.0).round().max(0.0) as u64);
                format!(
                    "copy {}-{} shows title {}-{}{}",
                    tc(m.clip_start_s),
                    tc(m.clip_end_s),
                    tc(m.title_start_s),
                    tc(m.title_end_s),
                    match record.matches.len() {
                        1 => String::new(),
                        n => format!(" ({n} segments)"),
                    }
                )
            }),
            score: m.map_or(0.0, |m| m.score),
            mirrored: m.is_some_and(|m| m.mirrored),
            partial: record.partial,
            public: m.and_then(|m| m.public.clone()),
            file: printable(&record.file).into_owned(),
            source_url: record.provenance.source_url.clone(),
            found_at: record.provenance.found_at.clone(),
            review,
        }
    }
}

/// The page.
#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    source: &'a str,
    records: usize,
    hits: &'a [Hit],
    to_act_on: usize,
    settled: usize,
    not_checked: &'a [String],
    made_utc: &'a str,
    vfp_version: &'a str,
    catalog_sha256: &'a str,
    thumb_width: u32,
}

/// The facts the page states besides the hits.
pub struct ReportFacts<'a> {
    /// The results file, by its name.
    pub source: &'a str,
    /// Records in it.
    pub records: usize,
    /// Hits that could not be checked again, and why.
    pub not_checked: &'a [String],
    /// When the page was made, UTC.
    pub made_utc: &'a str,
    /// The catalog's identity.
    pub catalog_sha256: &'a str,
}

/// The page's HTML.
pub fn render(facts: &ReportFacts<'_>, hits: &[Hit]) -> anyhow::Result<String> {
    let to_act_on = hits
        .iter()
        .filter(|h| h.review.as_ref().is_some_and(|r| r.0))
        .count();
    let settled = hits
        .iter()
        .filter(|h| h.review.as_ref().is_some_and(|r| !r.0))
        .count();
    Ok(Page {
        source: facts.source,
        records: facts.records,
        hits,
        to_act_on,
        settled,
        not_checked: facts.not_checked,
        made_utc: facts.made_utc,
        vfp_version: env!("CARGO_PKG_VERSION"),
        catalog_sha256: facts.catalog_sha256,
        thumb_width: THUMBNAIL_WIDTH,
    }
    .render()?)
}
