//! The batches: a key-value bucket holding, per submission, how many
//! results make it complete; and batch ids, checked at the edge (a batch
//! id is a subject token and a key, never anything else).

use super::RESULTS_KEPT;
use crate::{Fleet, FleetError};
use async_nats::jetstream::kv;
use async_nats::jetstream::stream::StorageType;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

/// Key-value bucket of the submitted batches.
pub const BATCHES_BUCKET: &str = "vfp_batches";
/// A submission: a set of jobs whose results are read back together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// Its id (`20261130-085152-3fa2`): letters, digits, '-' and '_'.
    pub id: String,
    /// Files submitted in it: one result each makes it complete.
    pub files: u64,
    /// When it was submitted, ms since the Unix epoch.
    pub submitted_unix_ms: u64,
}

impl Fleet {
    pub(super) async fn batches_kv(&self) -> Result<kv::Store, FleetError> {
        // (Made for each try: the client's config is not `Clone`.)
        let config = || kv::Config {
            bucket: BATCHES_BUCKET.into(),
            description: "vfp batches: files submitted in each".into(),
            max_age: RESULTS_KEPT,
            storage: StorageType::File,
            num_replicas: self.replicas,
            ..Default::default()
        };
        self.open_or_create(
            "cannot open the batches bucket",
            || self.js.get_key_value(BATCHES_BUCKET),
            || self.js.create_key_value(config()),
        )
        .await
    }

    /// The record of batch `id`; `None` if it was not (fully) submitted or
    /// has expired.
    pub async fn batch(&self, id: &str) -> Result<Option<Batch>, FleetError> {
        check_batch(&self.url, id)?;
        let batches = self.batches_kv().await?;
        let entry = self
            .api("cannot read the batches", || batches.entry(id))
            .await?;
        Ok(entry
            .filter(|e| e.operation == kv::Operation::Put)
            .and_then(|e| serde_json::from_slice(&e.value).ok()))
    }

    /// Every batch on record, oldest first.
    pub async fn batches(&self) -> Result<Vec<Batch>, FleetError> {
        let store = self.batches_kv().await?;
        let what = "cannot read the batches";
        let mut keys = self.api(what, || store.keys()).await?;
        let mut out = Vec::new();
        while let Some(key) = keys.next().await {
            let key = key.map_err(|e| crate::connection::server(&self.url, what, e))?;
            let entry = self.api(what, || store.entry(&key)).await?;
            if let Some(batch) = entry
                .filter(|e| e.operation == kv::Operation::Put)
                .and_then(|e| serde_json::from_slice::<Batch>(&e.value).ok())
            {
                out.push(batch);
            }
        }
        out.sort_by(|a, b| (a.submitted_unix_ms, &a.id).cmp(&(b.submitted_unix_ms, &b.id)));
        Ok(out)
    }
}

/// A new batch id: the UTC time and 16 bits that differ between processes
/// and calls (`20261130-085152-3fa2`).
pub fn new_batch_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let now = time::OffsetDateTime::now_utc();
    // A randomly keyed hash of the process and the time.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_i128(now.unix_timestamp_nanos());
    format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}-{:04x}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        h.finish() & 0xffff
    )
}

/// A batch id: one token of a subject and a key of the batches bucket.
pub(super) fn check_batch(url: &str, id: &str) -> Result<(), FleetError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(FleetError::BadBatch {
            url: url.to_owned(),
            batch: id.to_owned(),
            reason: "a batch id is 1-64 letters, digits, '-' or '_'".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_ids_are_subject_tokens() {
        let id = new_batch_id();
        assert!(check_batch("u", &id).is_ok(), "{id}");
        assert_eq!(id.len(), "20261130-085152-3fa2".len(), "{id}");
        assert_ne!(id, new_batch_id());
        for bad in ["", "a.b", "a b", "a*", "a>", &"x".repeat(65)] {
            assert!(check_batch("u", bad).is_err(), "{bad}");
        }
    }
}
