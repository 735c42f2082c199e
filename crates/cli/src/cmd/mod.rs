//! One module per subcommand: each wires a validated configuration to the
//! library crates and hands the records to the output layer.

pub mod bench;
pub mod extract;
pub mod generate;
pub mod index;
pub mod report;
pub mod results;
pub mod review;
pub mod scan;
pub mod show;
pub mod submit;
pub mod verify;
pub mod worker;

use crate::output::review::Review;
use vfp_scan::FileRecord;

/// What the ledger says of `record`'s file (by its SHA-256, and its source
/// URL where the record has one). A ledger that cannot be read mid-scan
/// says so in the review rather than stopping the scan.
pub fn review_of(ledger: &mut vfp_ledger::Ledger, record: &FileRecord) -> Review {
    let Some(sha256) = &record.sha256 else {
        return Review::default();
    };
    // A match of a public part of its title (a trailer) is allowed: not
    // to act on.
    let titles: Vec<&str> = record
        .matches
        .iter()
        .filter(|m| m.public.is_none())
        .map(|m| m.title_id.as_str())
        .collect();
    match ledger.about_clip(sha256, record.provenance.source_url.as_deref()) {
        Ok((allowed, decisions)) => Review::of(&titles, allowed, decisions),
        Err(e) => Review::unreadable(&titles, &e),
    }
}
