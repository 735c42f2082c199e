//! Synthetic catalog titles as `.vfp` files, to measure what building and
//! growing a catalog of many frames costs (`scripts/bench/catalog.sh`):
//! one-hour titles of 5-second shots whose frames drift a few bits
//! (`vfp_index::synthetic::padding_title`), and a titles CSV naming them.
//!
//! ```text
//! cargo run --release -p vfp-index --example synthetic_titles -- FRAMES DIR [FIRST]
//! ```
//! Writes `DIR/T<n>.vfp` for titles FIRST.. (default 0) holding FRAMES
//! frames in all, and `DIR/titles.csv`.

use std::io::Write as _;
use std::path::PathBuf;
use vfp_fingerprint::{format, HashParams, CATALOG_VIEW_PCT};
use vfp_index::synthetic::{padding_title, Rng, FRAMES_PER_TITLE};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: synthetic_titles FRAMES DIR [FIRST]";
    let frames: u64 = args.next().ok_or(usage)?.parse()?;
    let dir = PathBuf::from(args.next().ok_or(usage)?);
    let first: usize = args.next().map_or(Ok(0), |v| v.parse())?;
    std::fs::create_dir_all(&dir)?;
    let mut csv = std::io::BufWriter::new(std::fs::File::create(dir.join("titles.csv"))?);
    // Each title its own seed: any range of titles is the same whatever
    // the run that made it.
    let mut left = frames;
    let mut n = first;
    while left > 0 {
        let count = left.min(FRAMES_PER_TITLE as u64) as usize;
        let mut rng =
            Rng(0x9e37_79b9_7f4a_7c15 ^ (n as u64 + 1).wrapping_mul(0x2545_f491_4f6c_dd1d));
        let mut title = padding_title(n, count, HashParams::default(), CATALOG_VIEW_PCT, &mut rng);
        // A `.vfp` holds the whole pictures' hashes at the view's times.
        title.fingerprint.frames = title.fingerprint.views[0].frames.clone();
        let name = format!("T{n:06}.vfp");
        std::fs::write(dir.join(&name), format::encode(&title.fingerprint)?)?;
        writeln!(csv, "{},{name}", title.record.id)?;
        left -= count as u64;
        n += 1;
    }
    csv.flush()?;
    println!(
        "{} titles, {frames} frames, in {}",
        n - first,
        dir.display()
    );
    Ok(())
}
