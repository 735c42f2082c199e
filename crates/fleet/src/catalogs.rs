//! Catalogs published into JetStream and fetched from it.
//!
//! ```text
//! object store "vfp_segments"   sha256-<hex of the file's SHA-256>  one object per segment file,
//!                                                                   shared by every catalog name
//! key-value "vfp_catalogs"      <name>  JSON Release {format, name, manifest_sha256, manifest,
//!                                       segments: [{file, sha256, bytes}], published_unix_ms}
//! ```
//!
//! A segment never changes once written, so its SHA-256 names it: a
//! re-publish after `vfp index add` uploads the new segment only. The
//! release is put last, so a worker never sees a release whose segments
//! are not all stored. A fetch downloads the segments it does not hold
//! into `CACHE/objects/`, checks each one's size and SHA-256 against the
//! release before keeping it, and installs the catalog as
//! `CACHE/catalogs/<name>/<version>/` by a rename once it opens, so a
//! worker never matches against a half-fetched catalog. The version is
//! the key-value revision of the release with the start of its manifest's
//! SHA-256 (`r3-5f0c9a1b2e4d`): results name it.

use crate::connection::{io, is_stored, server, sha256_hex, unix_ms, Download};
use crate::{Fleet, FleetError};
use async_nats::jetstream::{self, kv, object_store};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use vfp_index::catalog::install_catalog;
use vfp_index::Catalog;

/// Key-value bucket of the current release of each catalog name.
pub const CATALOGS_BUCKET: &str = "vfp_catalogs";
/// Object store of the segment files of every published catalog.
pub const SEGMENTS_BUCKET: &str = "vfp_segments";
/// The release record's format version.
pub const RELEASE_FORMAT: u32 = 1;
/// Releases of each name the key-value bucket keeps (the current and the
/// ones before it, for a look back).
const RELEASE_HISTORY: i64 = 5;

/// A catalog as published: its manifest and the segment files it names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    /// [`RELEASE_FORMAT`].
    pub format: u32,
    /// The catalog's name on the server.
    pub name: String,
    /// SHA-256 of `manifest`, hex.
    pub manifest_sha256: String,
    /// The catalog's MANIFEST file.
    pub manifest: String,
    /// The segment files the manifest names.
    pub segments: Vec<SegmentObject>,
    /// When it was published, ms since the Unix epoch.
    pub published_unix_ms: u64,
}

/// One segment file of a release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentObject {
    /// Its file name in the catalog folder (`seg-000001.vfps`).
    pub file: String,
    /// SHA-256 of the file, hex: its object's name is `sha256-<hex>`.
    pub sha256: String,
    /// Its size, bytes.
    pub bytes: u64,
}

impl SegmentObject {
    /// The name of its object in [`SEGMENTS_BUCKET`].
    pub fn object_name(&self) -> String {
        format!("sha256-{}", self.sha256)
    }
}

/// Which release of a catalog: the key-value revision it was put at and
/// its manifest's SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogVersion {
    /// The catalog's name.
    pub name: String,
    /// Revision of the release in [`CATALOGS_BUCKET`] (grows with every
    /// publish to the server).
    pub revision: u64,
    /// SHA-256 of the release's manifest, hex.
    pub manifest_sha256: String,
}

impl std::fmt::Display for CatalogVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let short = self
            .manifest_sha256
            .get(..12)
            .unwrap_or(&self.manifest_sha256);
        write!(f, "r{}-{short}", self.revision)
    }
}

/// What a publish did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    /// The release now current.
    pub version: CatalogVersion,
    /// Segment files in the catalog.
    pub segments: usize,
    /// Of them, uploaded now (the others were stored already).
    pub uploaded: usize,
    /// Bytes uploaded now.
    pub uploaded_bytes: u64,
}

impl Fleet {
    async fn segments_store(&self) -> Result<object_store::ObjectStore, FleetError> {
        let config = object_store::Config {
            bucket: SEGMENTS_BUCKET.into(),
            description: Some("vfp catalog segments, by SHA-256".into()),
            storage: jetstream::stream::StorageType::File,
            num_replicas: self.replicas,
            ..Default::default()
        };
        self.open_or_create(
            "cannot open the segments object store",
            || self.js.get_object_store(SEGMENTS_BUCKET),
            || self.js.create_object_store(config.clone()),
        )
        .await
    }

    async fn catalogs_kv(&self) -> Result<kv::Store, FleetError> {
        // (Made for each try: the client's config is not `Clone`.)
        let config = || kv::Config {
            bucket: CATALOGS_BUCKET.into(),
            description: "vfp catalogs: the current release of each".into(),
            history: RELEASE_HISTORY,
            storage: jetstream::stream::StorageType::File,
            num_replicas: self.replicas,
            ..Default::default()
        };
        self.open_or_create(
            "cannot open the catalogs key-value bucket",
            || self.js.get_key_value(CATALOGS_BUCKET),
            || self.js.create_key_value(config()),
        )
        .await
    }

    /// Publishes `catalog` as `name`: uploads the segments the server does
    /// not hold yet, then makes this the current release of `name`.
    pub async fn publish(&self, catalog: &Catalog, name: &str) -> Result<Published, FleetError> {
        check_name(&self.url, name)?;
        let files = catalog.files()?;
        let manifest = String::from_utf8(files.manifest).map_err(|_| FleetError::BadRelease {
            url: self.url.clone(),
            name: name.to_owned(),
            reason: "the catalog's manifest is not UTF-8".into(),
        })?;
        let store = self.segments_store().await?;
        let (mut segments, mut uploaded, mut uploaded_bytes) = (Vec::new(), 0, 0);
        for (file, bytes) in files.segments {
            let segment = SegmentObject {
                file: file.to_owned(),
                sha256: sha256_hex(Sha256::digest(bytes)),
                bytes: bytes.len() as u64,
            };
            let object = segment.object_name();
            if !is_stored(&store, &object, segment.bytes).await {
                let mut reader = bytes;
                store
                    .put(object.as_str(), &mut reader)
                    .await
                    .map_err(|e| server(&self.url, &format!("cannot upload {file}"), e))?;
                uploaded += 1;
                uploaded_bytes += segment.bytes;
            }
            segments.push(segment);
        }
        let release = Release {
            format: RELEASE_FORMAT,
            name: name.to_owned(),
            manifest_sha256: sha256_hex(Sha256::digest(manifest.as_bytes())),
            manifest,
            segments,
            published_unix_ms: unix_ms(),
        };
        let json = serde_json::to_vec(&release).map_err(|e| FleetError::BadRelease {
            url: self.url.clone(),
            name: name.to_owned(),
            reason: e.to_string(),
        })?;
        let releases = self.catalogs_kv().await?;
        let revision = self
            .api(&format!("cannot set the release of {name:?}"), || {
                releases.put(name, json.clone().into())
            })
            .await?;
        Ok(Published {
            version: CatalogVersion {
                name: name.to_owned(),
                revision,
                manifest_sha256: release.manifest_sha256,
            },
            segments: release.segments.len(),
            uploaded,
            uploaded_bytes,
        })
    }

    /// The current release of `name`, and its version.
    pub async fn release(&self, name: &str) -> Result<(Release, CatalogVersion), FleetError> {
        check_name(&self.url, name)?;
        let bad = |reason: String| FleetError::BadRelease {
            url: self.url.clone(),
            name: name.to_owned(),
            reason,
        };
        let releases = self.catalogs_kv().await?;
        let entry = self
            .api(&format!("cannot read the release of {name:?}"), || {
                releases.entry(name)
            })
            .await?;
        let Some(entry) = entry.filter(|e| e.operation == kv::Operation::Put) else {
            return Err(FleetError::NoSuchCatalog {
                url: self.url.clone(),
                name: name.to_owned(),
            });
        };
        let release: Release = serde_json::from_slice(&entry.value)
            .map_err(|e| bad(format!("unreadable release record: {e}")))?;
        if release.format != RELEASE_FORMAT {
            return Err(bad(format!(
                "release format {} (this vfp reads {RELEASE_FORMAT}); update vfp",
                release.format
            )));
        }
        if sha256_hex(Sha256::digest(release.manifest.as_bytes())) != release.manifest_sha256 {
            return Err(bad("the manifest does not match its SHA-256".into()));
        }
        let version = CatalogVersion {
            name: name.to_owned(),
            revision: entry.revision,
            manifest_sha256: release.manifest_sha256.clone(),
        };
        Ok((release, version))
    }

    /// The current release of `name` as a local catalog under `cache`
    /// (downloaded where the cache does not hold it yet), opened, and its
    /// version.
    pub async fn fetch(
        &self,
        name: &str,
        cache: &Path,
    ) -> Result<(Catalog, CatalogVersion), FleetError> {
        let (release, version) = self.release(name).await?;
        let dir = cache.join("catalogs").join(name).join(version.to_string());
        if dir.is_dir() {
            if let Ok(catalog) = Catalog::open(&dir) {
                return Ok((catalog, version));
            }
            // A damaged cached copy: fetched again below.
            std::fs::remove_dir_all(&dir).map_err(io(&dir, "cannot remove a damaged copy"))?;
        }
        let objects = cache.join("objects");
        std::fs::create_dir_all(&objects).map_err(io(&objects, "cannot create the folder"))?;
        let (mut files, mut store) = (Vec::new(), None);
        for segment in &release.segments {
            let path = self
                .fetch_segment(name, segment, &objects, &mut store)
                .await?;
            files.push((segment.file.clone(), path));
        }
        let catalog = install_catalog(&dir, release.manifest.as_bytes(), &files)?;
        Ok((catalog, version))
    }

    /// The newest release of `name` that `cache` holds and that opens, and
    /// its version: what a worker matches against when the current
    /// release cannot be fetched (a bad publish, or a server away).
    pub fn cached(name: &str, cache: &Path) -> Option<(Catalog, CatalogVersion)> {
        let releases = cache.join("catalogs").join(name);
        let mut found: Vec<(u64, String, PathBuf)> = std::fs::read_dir(&releases)
            .ok()?
            .flatten()
            .filter_map(|entry| {
                let folder = entry.file_name().to_str()?.to_owned();
                let (revision, short) = folder.strip_prefix('r')?.split_once('-')?;
                Some((revision.parse().ok()?, short.to_owned(), entry.path()))
            })
            .collect();
        found.sort_by_key(|f| std::cmp::Reverse(f.0));
        found.into_iter().find_map(|(revision, short, dir)| {
            let catalog = Catalog::open(&dir).ok()?;
            let manifest_sha256 = sha256_hex(Sha256::digest(catalog.files().ok()?.manifest));
            manifest_sha256.starts_with(&short).then(|| {
                let version = CatalogVersion {
                    name: name.to_owned(),
                    revision,
                    manifest_sha256,
                };
                (catalog, version)
            })
        })
    }

    /// The file of `segment` in `objects`, downloaded and checked first if
    /// it is not there (through `store`, opened on the first download).
    async fn fetch_segment(
        &self,
        name: &str,
        segment: &SegmentObject,
        objects: &Path,
        store: &mut Option<object_store::ObjectStore>,
    ) -> Result<PathBuf, FleetError> {
        let bad = |reason: String| FleetError::BadRelease {
            url: self.url.clone(),
            name: name.to_owned(),
            reason,
        };
        if segment.sha256.len() != 64 || !segment.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad(format!(
                "segment {} has no valid SHA-256",
                segment.file
            )));
        }
        let object = segment.object_name();
        let path = objects.join(&object);
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == segment.bytes) {
            return Ok(path);
        }
        let store = match store {
            Some(store) => store,
            None => store.insert(self.segments_store().await?),
        };
        match self
            .download_checked(store, &object, &segment.sha256, segment.bytes, &path)
            .await
        {
            Ok(()) => Ok(path),
            Err(Download::Mismatch) => Err(bad(format!(
                "segment {} as fetched does not match its size and SHA-256",
                segment.file
            ))),
            Err(Download::Server(e)) => Err(server(
                &self.url,
                &format!("cannot fetch {}", segment.file),
                e,
            )),
            Err(Download::Failed(e)) => Err(e),
        }
    }
}

/// How old an unreferenced segment file in a cache must be before
/// [`prune_cache`] removes it: younger, it may be a fetch's download not
/// yet linked into its catalog folder.
const UNREFERENCED_KEPT: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes from `cache` the releases of `name` other than `keep`, and the
/// segment files no release in the cache uses any more (none links to
/// them) that are older than an hour. A process that still has a removed
/// release open keeps reading it: its files go once they are unmapped.
pub fn prune_cache(cache: &Path, name: &str, keep: &CatalogVersion) -> Result<(), FleetError> {
    use std::os::unix::fs::MetadataExt;
    let releases = cache.join("catalogs").join(name);
    let keep = keep.to_string();
    for entry in std::fs::read_dir(&releases).map_err(io(&releases, "cannot list the folder"))? {
        let entry = entry.map_err(io(&releases, "cannot list the folder"))?;
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        // Dot folders are installs in progress.
        if file_name != keep.as_str() && !file_name.starts_with('.') {
            let path = entry.path();
            std::fs::remove_dir_all(&path).map_err(io(&path, "cannot remove an old release"))?;
        }
    }
    let objects = cache.join("objects");
    for entry in std::fs::read_dir(&objects).map_err(io(&objects, "cannot list the folder"))? {
        let entry = entry.map_err(io(&objects, "cannot list the folder"))?;
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        let unused = meta.is_file()
            && meta.nlink() == 1
            && entry.file_name().to_string_lossy().starts_with("sha256-")
            && meta
                .modified()
                .ok()
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|age| age >= UNREFERENCED_KEPT);
        if unused {
            std::fs::remove_file(&path).map_err(io(&path, "cannot remove an unused segment"))?;
        }
    }
    Ok(())
}

/// A catalog name: a key of the bucket and a folder name of the cache.
fn check_name(url: &str, name: &str) -> Result<(), FleetError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['.', '-'])
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(FleetError::BadRelease {
            url: url.to_owned(),
            name: name.to_owned(),
            reason: "a catalog name is 1-64 letters, digits, '-', '_' or '.', not starting with '.' or '-'".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_keys_and_folder_names() {
        for good in ["slate", "studio-a_2026.q4", "A1"] {
            assert!(check_name("u", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ".hidden",
            "-x",
            "a/b",
            "a b",
            "..",
            "é",
            &"x".repeat(65),
        ] {
            assert!(check_name("u", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn versions_read_short() {
        let v = CatalogVersion {
            name: "slate".into(),
            revision: 3,
            manifest_sha256: "5f0c9a1b2e4d77".into(),
        };
        assert_eq!(v.to_string(), "r3-5f0c9a1b2e4d");
        assert_eq!(
            sha256_hex(Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
