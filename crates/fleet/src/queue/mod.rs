//! Jobs on a JetStream work queue, results on a stream, batches in a
//! key-value bucket: one file each (`jobs`, `results`, `batches`).
//!
//! ```text
//! stream "VFP_JOBS"     subject vfp.jobs      work queue: a job is removed once a worker acks it;
//!                                             JSON Job {id, path, batch, submitted_unix_ms,
//!                                             upload?, provenance?: source_url, found_at,
//!                                             crawl}, each field checked when taken
//!                                             (Job::check); the id <batch>-<n>-<128 random bits>
//!   durable pull consumer "vfp-workers"       shared by every worker: each job to one at a time,
//!                                             again after `ack_wait` without an ack or a progress
//!                                             signal, at most `max_deliver` times
//! stream "VFP_RESULTS"  vfp.results.<batch>   JSON ResultRecord: the scan's jsonl record with
//!                                             job_id, batch, worker, catalog_version; kept 30 days
//! key-value "vfp_batches"  <batch>            JSON Batch {id, files, submitted_unix_ms}: how many
//!                                             results make the batch complete; kept 30 days
//! ```
//!
//! Processing is at least once: a worker killed mid-file leaves its job
//! unacknowledged, and the server hands it to another worker once
//! `ack_wait` has passed (a worker still busy sends progress signals, so
//! a long file is not handed out twice). So a job can have two results:
//! [`Fleet::results`] keeps the first of each job id, and results are
//! published with the job id as `Nats-Msg-Id` so that the server drops a
//! repeat within its duplicate window too. A file that kills every worker
//! that takes it is delivered at most `max_deliver` times; the worker that
//! takes it the last time ([`TakenJob::last_attempt`]) records an error
//! instead of scanning it.

mod batches;
mod jobs;
mod results;

pub use batches::{new_batch_id, Batch, BATCHES_BUCKET};
pub use jobs::{
    job_number, new_job_id, Job, JobQueue, Next, QueueSettings, QueueState, SubmittedFile,
    TakenJob, JOBS_STREAM, JOBS_SUBJECT, WORKERS_CONSUMER,
};
pub use results::{ResultReader, ResultRecord, RESULTS_STREAM, RESULTS_SUBJECTS};

use crate::{Fleet, FleetError};
use async_nats::jetstream::context::Publish;
use async_nats::jetstream::stream::{self, RetentionPolicy, StorageType};
use std::time::Duration;

/// How long results and batch records are kept.
pub const RESULTS_KEPT: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long a message is retried while the server cannot store it.
const PUBLISH_RETRY: Duration = Duration::from_secs(30);

impl Fleet {
    /// Stream `name` of `subject`, created if missing, on file storage
    /// with a duplicate window of two minutes (for `Nats-Msg-Id`); a
    /// limits stream keeps messages for [`RESULTS_KEPT`].
    pub(super) async fn stream(
        &self,
        name: &str,
        subject: &str,
        retention: RetentionPolicy,
    ) -> Result<stream::Stream, FleetError> {
        let max_age = match retention {
            RetentionPolicy::Limits => RESULTS_KEPT,
            _ => Duration::ZERO,
        };
        let config = stream::Config {
            name: name.into(),
            subjects: vec![subject.into()],
            retention,
            max_age,
            storage: StorageType::File,
            num_replicas: self.replicas,
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        };
        self.open_or_create(
            &format!("cannot open the stream {name}"),
            || self.js.get_stream(name),
            || self.js.create_stream(config.clone()),
        )
        .await
    }

    /// Publishes `payload` on `subject` as message `id` and waits for the
    /// server to store it, retrying for up to [`PUBLISH_RETRY`]: in a
    /// cluster a stream just created is not yet known on every server,
    /// and while a server is lost its streams elect new leaders. The id
    /// keeps a message stored by a try that seemed to fail from being
    /// stored twice.
    pub(super) async fn publish_acked(
        &self,
        subject: String,
        payload: Vec<u8>,
        id: &str,
        what: &str,
    ) -> Result<(), FleetError> {
        let deadline = tokio::time::Instant::now() + PUBLISH_RETRY;
        let mut backoff = Duration::from_millis(100);
        loop {
            let tried = async {
                self.js
                    .send_publish(
                        subject.clone(),
                        Publish::build()
                            .payload(payload.clone().into())
                            .message_id(id),
                    )
                    .await
                    .map_err(|e| e.to_string())?
                    .await
                    .map_err(|e| e.to_string())
            }
            .await;
            match tried {
                Ok(_) => return Ok(()),
                Err(e) if tokio::time::Instant::now() >= deadline => {
                    return Err(crate::connection::server(&self.url, what, e))
                }
                Err(_) => {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                }
            }
        }
    }
}
