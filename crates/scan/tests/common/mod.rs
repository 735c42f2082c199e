//! What the scan crate's integration tests share.

use std::path::Path;
use vfp_extractor::material::{write_video, Encoding, Scene};
use vfp_extractor::{extract, ExtractOptions};
use vfp_fingerprint::{Fingerprint, HashParams, Sampling};
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

/// A catalog in `dir/catalog` of one generated title, `scene-1`: the
/// first `seconds` of scene 1, written as `encoding` to `dir/title.mp4`
/// and fingerprinted at the default sampling, without local features.
// Not every test file that shares this module builds a generated title.
#[allow(dead_code)]
pub fn catalog_of_scene_1(dir: &Path, seconds: f64, encoding: &Encoding) -> Catalog {
    let title = dir.join("title.mp4");
    write_video(&title, Scene::shapes(1), 0.0, seconds, encoding).expect("write the title");
    let fingerprint = extract(&title, &ExtractOptions::with_sampling(Sampling::default()))
        .expect("fingerprint the title");
    catalog_of_one(dir, "scene-1", &title, fingerprint)
}
