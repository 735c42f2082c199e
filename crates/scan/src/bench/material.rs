//! `vfp bench`'s built-in material, for a machine with no files or no
//! catalog at hand: two generated titles (a minute each, 720p), a catalog
//! of them, and four clips of the kind the throughput targets name (H.264,
//! 720p and 1080p, 20-30 s): a re-encoded excerpt of each title and two
//! unrelated ones. The titles are drawn as flat shapes; the unrelated clips
//! as footage-like texture, as most of what a crawl brings is unrelated
//! footage that shares nothing with the catalog (drawn in the titles' look,
//! they shared its shapes: their pictures agreed with title pictures by
//! keypoints, and every such clip was scanned twice). Generated once into a folder and reused; every file is
//! written under a temporary name and renamed, so an interrupted run
//! leaves nothing that looks finished.

use crate::{fingerprint_of, ScanError};
use std::path::{Path, PathBuf};
use vfp_extractor::features::FeatureOptions;
use vfp_extractor::material::{write_video, Encoding, Scene};
use vfp_extractor::ExtractOptions;
use vfp_fingerprint::{HashParams, Sampling};
use vfp_index::catalog::{self, NewTitle};
use vfp_index::{Catalog, TitleRecord};

/// Version of the material: a folder made by another version is not
/// reused (it lives in a subfolder named by it).
pub const MATERIAL_VERSION: u32 = 2;

/// The built-in titles: (id, scene, seconds).
const TITLES: [(&str, Scene, f64); 2] = [
    ("scene-1", Scene::shapes(1), 60.0),
    ("scene-2", Scene::shapes(2), 60.0),
];

/// The built-in clips: (file, scene, from s, seconds, encoding).
const CLIPS: [(&str, Scene, f64, f64, Encoding); 4] = [
    ("copy-720p.mp4", Scene::shapes(1), 12.0, 20.0, COPY_720P),
    ("copy-1080p.mp4", Scene::shapes(2), 20.0, 30.0, COPY_1080P),
    (
        "other-720p.mp4",
        Scene::footage(1_001),
        0.0,
        20.0,
        COPY_720P,
    ),
    (
        "other-1080p.mp4",
        Scene::footage(1_002),
        0.0,
        30.0,
        COPY_1080P,
    ),
];

const TITLE: Encoding = Encoding {
    width: 1280,
    height: 720,
    fps: 30,
    crf: 18,
    keyframe_s: 2,
};
const COPY_720P: Encoding = Encoding {
    width: 1280,
    height: 720,
    fps: 30,
    crf: 28,
    keyframe_s: 2,
};
const COPY_1080P: Encoding = Encoding {
    width: 1920,
    height: 1080,
    fps: 30,
    crf: 26,
    keyframe_s: 2,
};

/// The built-in material, ready.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Material {
    /// The catalog of the built-in titles.
    pub catalog: PathBuf,
    /// The clips, in a fixed order.
    pub clips: Vec<PathBuf>,
}

/// Makes what is missing of the built-in material in `dir` (created if
/// needed) and returns it; `step` is told of each file being made (it is
/// a while: about a minute and a half in all on one core).
pub fn prepare(dir: &Path, mut step: impl FnMut(&str)) -> Result<Material, ScanError> {
    let dir = dir.join(format!("v{MATERIAL_VERSION}"));
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| ScanError::Extract(vfp_extractor::ExtractError::Io { path, source })
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let mut titles = Vec::new();
    for (id, scene, seconds) in TITLES {
        let path = dir.join(format!("{id}.mp4"));
        if !path.is_file() {
            step(&format!("{id}.mp4"));
            write_video(&path, scene, 0.0, seconds, &TITLE)?;
        }
        titles.push((id, path));
    }
    let mut clips = Vec::new();
    for (name, scene, from_s, seconds, encoding) in CLIPS {
        let path = dir.join(name);
        if !path.is_file() {
            step(name);
            write_video(&path, scene, from_s, seconds, &encoding)?;
        }
        clips.push(path);
    }
    let catalog = dir.join("catalog");
    if Catalog::open(&catalog).is_err() {
        step("catalog");
        build_catalog(&catalog, &titles)?;
    }
    Ok(Material { catalog, clips })
}

/// Builds the catalog of `titles` at `dir`: in a temporary folder beside
/// it, renamed into place (another run that got there first wins).
fn build_catalog(dir: &Path, titles: &[(&str, PathBuf)]) -> Result<(), ScanError> {
    let options =
        ExtractOptions::with_sampling(Sampling::default()).with_features(FeatureOptions::title());
    let mut new = Vec::new();
    for (id, path) in titles {
        let fingerprint = fingerprint_of(path, &options)?;
        new.push(NewTitle {
            record: TitleRecord {
                id: (*id).into(),
                name: format!("Generated {id}"),
                source_path: path.display().to_string(),
                duration_ms: fingerprint.source.duration_ms,
                sha256: fingerprint.source.sha256_hex(),
                added_unix_s: 0,
                labels: "generated".into(),
                meta: Default::default(),
            },
            fingerprint,
        });
    }
    let tmp = dir.with_file_name(format!(".catalog.{}.tmp", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let catalog_error = |source| ScanError::Catalog {
        path: dir.to_owned(),
        source,
    };
    catalog::build(&tmp, HashParams::default(), new).map_err(catalog_error)?;
    // A stale or half-made folder from an earlier run is replaced.
    if dir.exists() && Catalog::open(dir).is_err() {
        let _ = std::fs::remove_dir_all(dir);
    }
    if std::fs::rename(&tmp, dir).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
        Catalog::open(dir).map_err(catalog_error)?;
    }
    Ok(())
}
