//! What the scan crate's integration tests share.

use std::path::Path;
use vfp_fingerprint::{Fingerprint, HashParams};
use vfp_index::catalog::{self, NewTitle};
use vfp_index::{Catalog, TitleRecord};

/// A catalog in `dir/catalog` of one title, `id`, fingerprinted from
/// `source` as `fingerprint`.
pub fn catalog_of_one(dir: &Path, id: &str, source: &Path, fingerprint: Fingerprint) -> Catalog {
    let record = TitleRecord {
        id: id.into(),
        name: format!("Title {id}"),
        source_path: source.display().to_string(),
        duration_ms: fingerprint.source.duration_ms,
        sha256: fingerprint.source.sha256_hex(),
        added_unix_s: 0,
        labels: String::new(),
        meta: Default::default(),
    };
    let catalog_dir = dir.join("catalog");
    catalog::build(
        &catalog_dir,
        HashParams::default(),
        vec![NewTitle {
            record,
            fingerprint,
        }],
    )
    .expect("build the catalog");
    Catalog::open(&catalog_dir).expect("open the catalog")
}
