//! Files sent through the server with their jobs (`vfp submit --upload`),
//! for workers that cannot read the crawler's storage.
//!
//! ```text
//! object store "vfp_uploads"   sha256-<hex of the file's SHA-256>  one object per file's bytes,
//!                                                                  kept 7 days
//! ```
//!
//! A job names its file's object ([`Upload`]); a worker downloads it,
//! checked against its size and SHA-256, scans the copy and removes it.

use crate::connection::{is_stored, Download};
use crate::{Fleet, FleetError};
use async_nats::jetstream::object_store;
use async_nats::jetstream::stream::StorageType;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// A file uploaded with its job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    /// Its object in [`UPLOADS_BUCKET`]: `sha256-<hex>`.
    pub object: String,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Its size, bytes.
    pub bytes: u64,
}

impl Upload {
    /// Checks an upload a job names: its object is `sha256-<its SHA-256>`,
    /// 64 lowercase hex digits, of at most [`MAX_UPLOAD_BYTES`].
    pub fn check(&self) -> Result<(), String> {
        let hex = self.sha256.len() == 64
            && self
                .sha256
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !hex || self.object != format!("sha256-{}", self.sha256) {
            return Err("its upload is not named sha256-<the file's SHA-256>".into());
        }
        if self.bytes == 0 || self.bytes > MAX_UPLOAD_BYTES {
            return Err(format!(
                "its upload of {} bytes is empty or over {} MiB",
                self.bytes,
                MAX_UPLOAD_BYTES >> 20
            ));
        }
        Ok(())
    }
}

/// Object store of the files uploaded with their jobs, by SHA-256.
pub const UPLOADS_BUCKET: &str = "vfp_uploads";
/// How long an uploaded file is kept.
pub const UPLOADS_KEPT: Duration = Duration::from_secs(7 * 24 * 3600);
/// The largest file `--upload` takes: uploads are for short clips, the
/// rest belongs on storage every worker reads.
pub const MAX_UPLOAD_BYTES: u64 = 256 << 20;

impl Fleet {
    async fn uploads_store(&self) -> Result<object_store::ObjectStore, FleetError> {
        let config = object_store::Config {
            bucket: UPLOADS_BUCKET.into(),
            description: Some("vfp files uploaded with their jobs, by SHA-256".into()),
            max_age: UPLOADS_KEPT,
            storage: StorageType::File,
            num_replicas: self.replicas,
            ..Default::default()
        };
        self.open_or_create(
            "cannot open the uploads object store",
            || self.js.get_object_store(UPLOADS_BUCKET),
            || self.js.create_object_store(config.clone()),
        )
        .await
    }

    /// Uploads the file at `local` (at most [`MAX_UPLOAD_BYTES`]) for a job
    /// to carry; a file of the same bytes stored already is not sent again.
    pub async fn upload(&self, local: &Path) -> Result<Upload, FleetError> {
        let failed = |reason: String| FleetError::Upload {
            path: local.to_owned(),
            reason,
        };
        let bytes = tokio::fs::metadata(local)
            .await
            .map_err(|e| failed(e.to_string()))?
            .len();
        if bytes > MAX_UPLOAD_BYTES {
            return Err(failed(format!(
                "{bytes} bytes, over the {} MiB an upload takes: put it where every worker can read it and submit it without --upload",
                MAX_UPLOAD_BYTES >> 20
            )));
        }
        let mut file = tokio::fs::File::open(local)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let (mut hasher, mut buf) = (Sha256::new(), vec![0u8; 1 << 20]);
        loop {
            let n = file
                .read(&mut buf)
                .await
                .map_err(|e| failed(e.to_string()))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        let sha256 = vfp_fingerprint::to_hex(&hasher.finalize().into());
        let upload = Upload {
            object: format!("sha256-{sha256}"),
            sha256,
            bytes,
        };
        let store = self.uploads_store().await?;
        if !is_stored(&store, &upload.object, bytes).await {
            file.seek(std::io::SeekFrom::Start(0))
                .await
                .map_err(|e| failed(e.to_string()))?;
            store
                .put(upload.object.as_str(), &mut file)
                .await
                .map_err(|e| {
                    crate::connection::server(
                        &self.url,
                        &format!("cannot upload {}", local.display()),
                        e,
                    )
                })?;
        }
        Ok(upload)
    }

    /// The file of `upload` downloaded to `path`, its size and SHA-256
    /// checked.
    pub async fn fetch_upload(&self, upload: &Upload, path: &Path) -> Result<(), FleetError> {
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|source| FleetError::Io {
                    path: dir.to_owned(),
                    what: "cannot create the folder",
                    source,
                })?;
        }
        let store = self.uploads_store().await?;
        match self
            .download_checked(&store, &upload.object, &upload.sha256, upload.bytes, path)
            .await
        {
            Ok(()) => Ok(()),
            Err(Download::Mismatch) => Err(FleetError::Upload {
                path: path.to_owned(),
                reason: format!(
                    "the upload {} as fetched does not match its size and SHA-256",
                    upload.object
                ),
            }),
            Err(Download::Server(e)) => Err(crate::connection::server(
                &self.url,
                &format!(
                    "cannot fetch the upload {} (uploads are kept {} days)",
                    upload.object,
                    UPLOADS_KEPT.as_secs() / 86_400
                ),
                e,
            )),
            Err(Download::Failed(e)) => Err(e),
        }
    }
}
