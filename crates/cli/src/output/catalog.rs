//! `vfp index` output: the title list, the catalog's facts, the verify
//! line and the summary after a build or an add.

use super::{count, printable};
use std::fmt::Write as _;
use std::path::Path;
use vfp_index::{catalog, Catalog};
use vfp_scan::units::timecode;

/// `vfp index list`: id, name, duration, frames, owner, asset id,
/// release date, labels; tab-separated, a line per live title. Text is
/// escaped (`\n`, `\t`): a name with a newline cannot forge a row.
pub fn list(c: &Catalog) -> String {
    let mut out = String::new();
    for t in c.titles() {
        let r = &t.record;
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            printable(&r.id),
            printable(&r.name),
            timecode(r.duration_ms),
            t.frames,
            printable(&r.meta.owner),
            printable(&r.meta.asset_id),
            printable(&r.meta.release_date),
            printable(&r.labels)
        );
    }
    out
}

/// `vfp index exclude` without a title: the public ranges, a line each:
/// id, from, to, what it was published as (tab-separated, escaped).
pub fn public_ranges(c: &Catalog) -> String {
    let mut out = String::new();
    for t in c.titles() {
        for p in c.public_ranges(&t.record.id) {
            let _ = writeln!(
                out,
                "{}\t{}\t{}\t{}",
                printable(&p.id),
                timecode(p.from_ms),
                timecode(p.to_ms),
                printable(&p.reason)
            );
        }
    }
    out
}

/// `vfp index info`.
pub fn info(dir: &Path, c: &Catalog) -> String {
    let (segments, bytes, search) = c.storage();
    let frames = c.frame_count();
    let mut out = String::new();
    let _ = writeln!(out, "catalog        {}", dir.display());
    let _ = writeln!(
        out,
        "format         manifest v{}, segments v{}",
        catalog::MANIFEST_VERSION,
        vfp_index::segment::FORMAT_VERSION
    );
    let _ = writeln!(out, "hash           {}", c.hash_params());
    let _ = writeln!(
        out,
        "stored views   centred {} % of each picture{}",
        c.view_pct(),
        if c.stores_windows() {
            "; the 9:16 window of wide pictures"
        } else {
            ""
        }
    );
    let (pictures, keypoints) = c.feature_counts();
    let _ = writeln!(
        out,
        "local features {pictures} title pictures, {keypoints} keypoints{}",
        if pictures == 0 {
            " (none: zooms and panned crops are not searched)"
        } else {
            ""
        }
    );
    let _ = writeln!(out, "titles         {}", c.titles().len());
    let _ = writeln!(
        out,
        "hashes         {frames} (stored frames: views and windows)"
    );
    let _ = writeln!(out, "segments       {segments}");
    let features = c.feature_bytes();
    let _ = writeln!(
        out,
        "size           {bytes} bytes: hashes {:.1} bytes each with their search structure, local features {features} bytes ({:.0} per title picture; search structures {search} bytes in all)",
        bytes.saturating_sub(features) as f64 / frames.max(1) as f64,
        features as f64 / pictures.max(1) as f64,
    );
    let (kept, stills_bytes) = c.stills_kept();
    let _ = writeln!(
        out,
        "stills         {}",
        if kept == 0 {
            "none (evidence pages show title frames only where the titles' videos are; vfp index stills)".to_owned()
        } else {
            format!(
                "of {} title videos, {stills_bytes} bytes (left out of vfp index publish)",
                kept
            )
        }
    );
    out
}

/// `vfp index verify` when every checksum holds.
pub fn verified(dir: &Path, c: &Catalog) -> String {
    let (segments, bytes, _) = c.storage();
    format!(
        "{}: ok, {}, {bytes} bytes, every checksum holds\n",
        dir.display(),
        count(segments, "segment")
    )
}

/// After a build or an add, on stderr: `vfp: built CAT: 3 titles, ...`.
pub fn changed(what: &str, dir: &Path, c: &Catalog, seconds: f64) -> String {
    let (_, bytes, search) = c.storage();
    format!(
        "vfp: {what} {}: {}, {} hashes, {:.1} MB (search structure {:.1} MB) in {seconds:.1} s\n",
        dir.display(),
        count(c.titles().len(), "title"),
        c.frame_count(),
        bytes as f64 / 1e6,
        search as f64 / 1e6,
    )
}

/// After `vfp index publish`, on stderr.
pub fn published(dir: &Path, url: &str, p: &vfp_fleet::catalogs::Published) -> String {
    format!(
        "vfp: published {} to {url} as {:?}, version {}: {}, {} uploaded ({:.1} MB), the others stored already",
        dir.display(),
        p.version.name,
        p.version,
        count(p.segments, "segment"),
        p.uploaded,
        p.uploaded_bytes as f64 / 1e6,
    )
}

#[cfg(test)]
mod list_tests {
    use super::*;
    use vfp_index::synthetic::{title, Rng};

    #[test]
    fn a_name_with_a_newline_cannot_forge_a_row() {
        let dir = tempfile::tempdir().unwrap();
        let mut forged = title("ep1", 50, &mut Rng(1));
        forged.record.name = "Pilot\nep9\tForged title\t00:00:01.000\t1".into();
        vfp_index::catalog::build(dir.path(), Default::default(), vec![forged]).unwrap();
        let listed = list(&Catalog::open(dir.path()).unwrap());
        assert_eq!(listed.lines().count(), 1, "{listed}");
        assert!(
            listed.starts_with("ep1\tPilot\\nep9\\tForged title"),
            "{listed}"
        );
    }
}
