//! Jobs on a JetStream work queue, results on a stream.
//!
//! ```text
//! stream "VFP_JOBS"     subject vfp.jobs      work queue: a job is removed once a worker acks it;
//!                                             JSON Job {id, path, batch, submitted_unix_ms}
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

use crate::uploads::Upload;
use crate::{Fleet, FleetError};
use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy, PullConsumer};
use async_nats::jetstream::context::Publish;
use async_nats::jetstream::kv;
use async_nats::jetstream::message::AckKind;
use async_nats::jetstream::stream::{self, RetentionPolicy, StorageType};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::time::Duration;
use vfp_scan::FileRecord;

/// The work-queue stream of jobs.
pub const JOBS_STREAM: &str = "VFP_JOBS";
/// Subject of jobs.
pub const JOBS_SUBJECT: &str = "vfp.jobs";
/// The stream of results.
pub const RESULTS_STREAM: &str = "VFP_RESULTS";
/// Subjects of results: `vfp.results.<batch>`.
pub const RESULTS_SUBJECTS: &str = "vfp.results.>";
/// Key-value bucket of the submitted batches.
pub const BATCHES_BUCKET: &str = "vfp_batches";
/// How long results and batch records are kept.
pub const RESULTS_KEPT: Duration = Duration::from_secs(30 * 24 * 3600);
/// The workers' shared durable consumer of jobs.
pub const WORKERS_CONSUMER: &str = "vfp-workers";
/// How long reading results waits for the server's next one.
const RESULTS_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// One file to scan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Unique: `<batch>-<n>`.
    pub id: String,
    /// The file, as every worker can read it (a shared file system).
    pub path: String,
    /// The submission it came in.
    pub batch: String,
    /// When it was submitted, ms since the Unix epoch.
    pub submitted_unix_ms: u64,
    /// The file's bytes in [`UPLOADS_BUCKET`](crate::uploads::UPLOADS_BUCKET), for workers that cannot
    /// read `path` (`vfp submit --upload`); `path` then only names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload: Option<Upload>,
}

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

/// A job's result: the scan's record (the same fields as a line of
/// `vfp scan --format jsonl`, its `file` the job's path) and where it
/// came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultRecord {
    /// The scan's record.
    #[serde(flatten)]
    pub record: FileRecord,
    /// The job.
    pub job_id: String,
    /// Its submission.
    pub batch: String,
    /// The worker that made it (`host-pid`, or its `--name`).
    pub worker: String,
    /// The catalog version it was matched against (`r3-5f0c9a1b2e4d`);
    /// none when the job failed without a scan.
    pub catalog_version: Option<String>,
}

/// How jobs are handed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueSettings {
    /// Time without an ack or a progress signal after which a job is
    /// handed to another worker.
    pub ack_wait: Duration,
    /// Deliveries of one job at most (2 or more: one to try, the last to
    /// record an error without a scan).
    pub max_deliver: i64,
}

impl Default for QueueSettings {
    /// A minute without a sign of life; a file gets two scans, then the
    /// third delivery records it as an error.
    fn default() -> Self {
        QueueSettings {
            ack_wait: Duration::from_secs(60),
            max_deliver: 3,
        }
    }
}

/// The workers' view of the queue.
pub struct JobQueue {
    consumer: PullConsumer,
    client: async_nats::Client,
    settings: QueueSettings,
    url: String,
}

/// A job taken from the queue, until it is done or handed back.
pub struct TakenJob {
    message: async_nats::jetstream::Message,
    /// The job.
    pub job: Job,
    /// This is its `delivery`-th delivery (1 the first time).
    pub delivery: i64,
    /// Earlier deliveries did not finish (their workers died or gave up),
    /// and this is the last one the queue makes: record an error rather
    /// than scan it again.
    pub last_attempt: bool,
    client: async_nats::Client,
    url: String,
}

impl Fleet {
    async fn jobs_stream(&self) -> Result<stream::Stream, FleetError> {
        self.stream(JOBS_STREAM, JOBS_SUBJECT, RetentionPolicy::WorkQueue)
            .await
    }

    async fn results_stream(&self) -> Result<stream::Stream, FleetError> {
        self.stream(RESULTS_STREAM, RESULTS_SUBJECTS, RetentionPolicy::Limits)
            .await
    }

    async fn batches_kv(&self) -> Result<kv::Store, FleetError> {
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

    /// Stream `name` of `subject`, created if missing, on file storage
    /// with a duplicate window of two minutes (for `Nats-Msg-Id`); a
    /// limits stream keeps messages for [`RESULTS_KEPT`].
    async fn stream(
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

    /// Enqueues one job per path as batch `batch` (a new id, see
    /// [`new_batch_id`]); the jobs, in order. A path is passed as given:
    /// every worker must be able to read it. The batch's record, which
    /// says how many results complete it, is stored once every job is.
    pub async fn submit(&self, batch: &str, paths: &[String]) -> Result<Vec<Job>, FleetError> {
        let files: Vec<_> = paths.iter().map(|p| (p.clone(), None)).collect();
        self.submit_jobs(batch, &files).await
    }

    /// [`submit`](Self::submit) for files uploaded with [`upload`](Self::upload):
    /// each path only names its file in the results.
    pub async fn submit_uploaded(
        &self,
        batch: &str,
        files: &[(String, Upload)],
    ) -> Result<Vec<Job>, FleetError> {
        let files: Vec<_> = files
            .iter()
            .map(|(p, u)| (p.clone(), Some(u.clone())))
            .collect();
        self.submit_jobs(batch, &files).await
    }

    async fn submit_jobs(
        &self,
        batch: &str,
        files: &[(String, Option<Upload>)],
    ) -> Result<Vec<Job>, FleetError> {
        check_batch(&self.url, batch)?;
        let batches = self.batches_kv().await?;
        let known = self
            .api("cannot read the batches", || batches.entry(batch))
            .await?;
        if known.is_some_and(|e| e.operation == kv::Operation::Put) {
            return Err(FleetError::BadBatch {
                url: self.url.clone(),
                batch: batch.to_owned(),
                reason: "a batch of this id was submitted already".into(),
            });
        }
        self.jobs_stream().await?;
        let now = crate::connection::unix_ms();
        let mut jobs = Vec::with_capacity(files.len());
        // Publishes are pipelined, the server's acks awaited a window at a
        // time.
        for (window, chunk) in files.chunks(SUBMIT_WINDOW).enumerate() {
            let mut acks = Vec::with_capacity(chunk.len());
            for (i, (path, upload)) in chunk.iter().enumerate() {
                let job = Job {
                    id: format!("{batch}-{}", window * SUBMIT_WINDOW + i),
                    path: path.clone(),
                    batch: batch.to_owned(),
                    submitted_unix_ms: now,
                    upload: upload.clone(),
                };
                let payload = serde_json::to_vec(&job).unwrap_or_default();
                let ack = self
                    .js
                    .send_publish(
                        JOBS_SUBJECT,
                        Publish::build()
                            .payload(payload.clone().into())
                            .message_id(&job.id),
                    )
                    .await
                    .ok();
                acks.push((ack, payload));
                jobs.push(job);
            }
            let first = window * SUBMIT_WINDOW;
            for (i, (ack, payload)) in acks.into_iter().enumerate() {
                let stored = match ack {
                    Some(ack) => ack.await.is_ok(),
                    None => false,
                };
                if !stored {
                    // Sent again one at a time; the job id keeps a job
                    // that was stored after all from being stored twice.
                    let id = &jobs[first + i].id;
                    self.publish_acked(JOBS_SUBJECT.to_owned(), payload, id, "cannot submit a job")
                        .await?;
                }
            }
        }
        let record = Batch {
            id: batch.to_owned(),
            files: files.len() as u64,
            submitted_unix_ms: now,
        };
        let record = serde_json::to_vec(&record).unwrap_or_default();
        self.api("cannot record the batch", || {
            batches.put(batch, record.clone().into())
        })
        .await?;
        Ok(jobs)
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

    /// Jobs waiting and jobs taken, now.
    pub async fn queue_state(&self) -> Result<QueueState, FleetError> {
        let stream = self.jobs_stream().await?;
        let what = "cannot read the jobs queue";
        let stored = self
            .api(what, || async {
                stream.clone().info().await.map(|i| i.state.messages)
            })
            .await?;
        // No worker has opened the queue yet: every stored job waits.
        let Ok(consumer) = stream.get_consumer::<pull::Config>(WORKERS_CONSUMER).await else {
            return Ok(QueueState {
                waiting: stored,
                taken: 0,
            });
        };
        let info = self
            .api(what, || async { consumer.clone().info().await.cloned() })
            .await?;
        Ok(QueueState {
            waiting: info.num_pending,
            taken: info.num_ack_pending as u64,
        })
    }

    /// The workers' consumer of the queue (created with `settings` if it
    /// does not exist; an existing one keeps its own).
    pub async fn job_queue(&self, settings: QueueSettings) -> Result<JobQueue, FleetError> {
        let stream = self.jobs_stream().await?;
        let config = pull::Config {
            durable_name: Some(WORKERS_CONSUMER.into()),
            ack_policy: AckPolicy::Explicit,
            ack_wait: settings.ack_wait,
            max_deliver: settings.max_deliver.max(2),
            ..Default::default()
        };
        let consumer = self
            .api("cannot open the jobs consumer", || {
                stream.get_or_create_consumer(WORKERS_CONSUMER, config.clone())
            })
            .await?;
        // The server's settings win: the consumer may predate these.
        let config = &consumer.cached_info().config;
        let settings = QueueSettings {
            ack_wait: config.ack_wait,
            max_deliver: config.max_deliver,
        };
        Ok(JobQueue {
            consumer,
            client: self.client.clone(),
            settings,
            url: self.url.clone(),
        })
    }

    /// Publishes a job's result on `vfp.results.<batch>` (the job id is
    /// its `Nats-Msg-Id`).
    pub async fn publish_result(&self, result: &ResultRecord) -> Result<(), FleetError> {
        check_batch(&self.url, &result.batch)?;
        self.results_stream().await?;
        let payload = serde_json::to_vec(result).unwrap_or_default();
        self.publish_acked(
            format!("vfp.results.{}", result.batch),
            payload,
            &result.job_id,
            "cannot publish a result",
        )
        .await
    }

    /// Publishes `payload` on `subject` as message `id` and waits for the
    /// server to store it, retrying for up to [`PUBLISH_RETRY`]: in a
    /// cluster a stream just created is not yet known on every server,
    /// and while a server is lost its streams elect new leaders. The id
    /// keeps a message stored by a try that seemed to fail from being
    /// stored twice.
    async fn publish_acked(
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

    /// Reads results (of `batch` only, if given) in the order they were
    /// stored, the first of each job id: those stored so far, or with
    /// `follow` also those to come.
    pub async fn read_results(
        &self,
        batch: Option<&str>,
        follow: bool,
    ) -> Result<ResultReader, FleetError> {
        if let Some(batch) = batch {
            check_batch(&self.url, batch)?;
        }
        let mut reader = ResultReader {
            fleet: self.clone(),
            filter: batch.map_or_else(
                || RESULTS_SUBJECTS.to_owned(),
                |b| format!("vfp.results.{b}"),
            ),
            messages: None,
            next_sequence: 1,
            remaining: None,
            seen: HashSet::new(),
            reopened: 0,
        };
        let stored = reader.open().await?;
        reader.remaining = (!follow).then_some(stored);
        Ok(reader)
    }

    /// Every result so far (of `batch` only, if given), the first of each
    /// job id, in the order they were stored.
    pub async fn results(&self, batch: Option<&str>) -> Result<Vec<ResultRecord>, FleetError> {
        let mut reader = self.read_results(batch, false).await?;
        let mut out = Vec::new();
        while let Some(result) = reader.next().await? {
            out.push(result);
        }
        Ok(out)
    }
}

/// Jobs submitted and not yet done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueState {
    /// Waiting for a worker.
    pub waiting: u64,
    /// Taken by a worker and not yet done (in flight).
    pub taken: u64,
}

/// Results as they are read, see [`Fleet::read_results`].
pub struct ResultReader {
    fleet: Fleet,
    /// The results' subjects.
    filter: String,
    /// Results from the server, in stream order (none after a failure,
    /// until reopened).
    messages: Option<pull::Ordered>,
    /// The stream sequence to read from when reopening.
    next_sequence: u64,
    /// Messages left to read; `None` when following.
    remaining: Option<u64>,
    seen: HashSet<String>,
    /// Reopened since the last message.
    reopened: u32,
}

/// Reopenings of a read in a row without a message in between, at most.
const MAX_REOPENS: u32 = 5;

impl ResultReader {
    /// The next result not seen before; `None` at the end of those
    /// stored when the reader was made (never, when following). A server
    /// lost mid-read is read on from another (in a cluster) or once it is
    /// back, from the result after the last one read.
    pub async fn next(&mut self) -> Result<Option<ResultRecord>, FleetError> {
        let url = self.fleet.url.clone();
        let server = |e: &dyn std::fmt::Display| {
            crate::connection::server(&url, "cannot read the results", e)
        };
        loop {
            if self.remaining == Some(0) {
                return Ok(None);
            }
            let messages = match &mut self.messages {
                Some(messages) => messages,
                None => {
                    self.open().await?;
                    continue;
                }
            };
            let next = match self.remaining {
                // A stream emptied meanwhile (its limits) would leave the
                // read waiting: a server that sends nothing for this long
                // has failed.
                Some(_) => tokio::time::timeout(RESULTS_READ_TIMEOUT, messages.next())
                    .await
                    .map_err(|_| {
                        server(&format!(
                            "nothing came for {} s",
                            RESULTS_READ_TIMEOUT.as_secs()
                        ))
                    })?,
                None => messages.next().await,
            };
            let message = match next {
                Some(Ok(message)) => message,
                // Reopened from the last result read, a few times in a
                // row at most.
                Some(Err(e)) => {
                    self.reopened += 1;
                    if self.reopened > MAX_REOPENS {
                        return Err(server(&e));
                    }
                    self.messages = None;
                    continue;
                }
                None => {
                    self.reopened += 1;
                    if self.reopened > MAX_REOPENS {
                        return Err(server(&"the server ended the read"));
                    }
                    self.messages = None;
                    continue;
                }
            };
            self.reopened = 0;
            if let Ok(info) = message.info() {
                self.next_sequence = info.stream_sequence + 1;
            }
            if let Some(remaining) = &mut self.remaining {
                *remaining = remaining.saturating_sub(1);
            }
            // A record of another version, or a repeat: skipped.
            if let Ok(result) = serde_json::from_slice::<ResultRecord>(&message.payload) {
                if self.seen.insert(result.job_id.clone()) {
                    return Ok(Some(result));
                }
            }
        }
    }

    /// (Re)opens the read at `next_sequence`; the results there and after.
    async fn open(&mut self) -> Result<u64, FleetError> {
        let stream = self.fleet.results_stream().await?;
        let deliver_policy = match self.next_sequence {
            0 | 1 => DeliverPolicy::All,
            start_sequence => DeliverPolicy::ByStartSequence { start_sequence },
        };
        let what = "cannot read the results";
        let (messages, stored) = self
            .fleet
            .api(what, || async {
                let mut consumer = stream
                    .create_consumer(pull::OrderedConfig {
                        deliver_policy,
                        filter_subject: self.filter.clone(),
                        ..Default::default()
                    })
                    .await
                    .map_err(|e| e.to_string())?;
                let stored = consumer
                    .info()
                    .await
                    .map_err(|e| e.to_string())?
                    .num_pending;
                let messages = consumer.messages().await.map_err(|e| e.to_string())?;
                Ok::<_, String>((messages, stored))
            })
            .await?;
        self.messages = Some(messages);
        Ok(stored)
    }
}

/// How long a message is retried while the server cannot store it.
const PUBLISH_RETRY: Duration = Duration::from_secs(30);

/// Jobs published between waits for the server's acks.
const SUBMIT_WINDOW: usize = 1024;

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
fn check_batch(url: &str, id: &str) -> Result<(), FleetError> {
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

impl JobQueue {
    /// The next job, waiting up to `wait` for one; `None` if none came.
    pub async fn next(&self, wait: Duration) -> Result<Option<TakenJob>, FleetError> {
        let server = |e: &dyn std::fmt::Display| {
            crate::connection::server(&self.url, "cannot take a job", e)
        };
        let mut batch = self
            .consumer
            .fetch()
            .max_messages(1)
            .expires(wait)
            .messages()
            .await
            .map_err(|e| server(&e))?;
        while let Some(message) = batch.next().await {
            let message = message.map_err(|e| server(&e))?;
            let delivery = message.info().map_or(1, |i| i.delivered);
            let Ok(job) = serde_json::from_slice::<Job>(&message.payload) else {
                // Not a job of this version: dropped, or it would come
                // back forever.
                message.ack().await.map_err(|e| server(&e))?;
                continue;
            };
            return Ok(Some(TakenJob {
                message,
                job,
                delivery,
                last_attempt: delivery >= self.settings.max_deliver.max(2),
                client: self.client.clone(),
                url: self.url.clone(),
            }));
        }
        Ok(None)
    }

    /// The settings the queue was opened with.
    pub fn settings(&self) -> QueueSettings {
        self.settings
    }
}

impl TakenJob {
    /// Tells the server the job is still being worked on, so that it is
    /// not handed to another worker (send it well within `ack_wait`).
    pub async fn in_progress(&self) -> Result<(), FleetError> {
        self.message
            .ack_with(AckKind::Progress)
            .await
            .map_err(|e| crate::connection::server(&self.url, "cannot signal progress", e))
    }

    /// The job is done (its result published): removes it from the queue,
    /// waiting for the server to confirm.
    pub async fn done(self) -> Result<(), FleetError> {
        self.message
            .double_ack()
            .await
            .map_err(|e| crate::connection::server(&self.url, "cannot acknowledge a job", e))
    }

    /// Gives the job back for another worker at once (a worker stopping),
    /// waiting until the server has it: the process may end right after.
    pub async fn hand_back(self) -> Result<(), FleetError> {
        let failed = |e: &dyn std::fmt::Display| {
            crate::connection::server(&self.url, "cannot hand a job back", e)
        };
        self.message
            .ack_with(AckKind::Nak(None))
            .await
            .map_err(|e| failed(&e))?;
        self.client.flush().await.map_err(|e| failed(&e))
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

    #[test]
    fn a_result_is_a_scan_record_with_its_origin() {
        let record = FileRecord {
            file: "/shared/a.mp4".into(),
            sha256: Some("00".into()),
            duration_s: Some(1.5),
            verdict: vfp_scan::Verdict::NoMatch,
            error: None,
            matches: Vec::new(),
            exploratory: false,
        };
        let result = ResultRecord {
            record: record.clone(),
            job_id: "b-0".into(),
            batch: "b".into(),
            worker: "host-1".into(),
            catalog_version: Some("r1-000000000000".into()),
        };
        let json = serde_json::to_value(&result).unwrap_or_default();
        assert_eq!(json["file"], "/shared/a.mp4");
        assert_eq!(json["verdict"], "no_match");
        assert_eq!(json["worker"], "host-1");
        // A scan's reader of jsonl reads it as the scan's record.
        let text = serde_json::to_string(&result).unwrap_or_default();
        assert_eq!(serde_json::from_str::<FileRecord>(&text).ok(), Some(record));
        assert_eq!(
            serde_json::from_str::<ResultRecord>(&text).ok(),
            Some(result)
        );
    }
}
