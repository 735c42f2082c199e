//! Jobs on a JetStream work queue, results on a stream.
//!
//! ```text
//! stream "VFP_JOBS"     subject vfp.jobs      work queue: a job is removed once a worker acks it;
//!                                             JSON Job {id, path, batch, submitted_unix_ms}
//!   durable pull consumer "vfp-workers"       shared by every worker: each job to one at a time,
//!                                             again after `ack_wait` without an ack or a progress
//!                                             signal, at most `max_deliver` times
//! stream "VFP_RESULTS"  subject vfp.results   JSON ResultRecord, kept (limits retention)
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

use crate::catalogs::Fleet;
use crate::FleetError;
use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy, PullConsumer};
use async_nats::jetstream::context::Publish;
use async_nats::jetstream::message::AckKind;
use async_nats::jetstream::stream::{self, RetentionPolicy, StorageType};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::time::Duration;

/// The work-queue stream of jobs.
pub const JOBS_STREAM: &str = "VFP_JOBS";
/// Subject of jobs.
pub const JOBS_SUBJECT: &str = "vfp.jobs";
/// The stream of results.
pub const RESULTS_STREAM: &str = "VFP_RESULTS";
/// Subject of results.
pub const RESULTS_SUBJECT: &str = "vfp.results";
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
}

/// A job's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultRecord {
    /// The job.
    pub job_id: String,
    /// Its submission.
    pub batch: String,
    /// The file.
    pub path: String,
    /// The worker that made it (host and process).
    pub worker: String,
    /// The catalog version it was matched against (`r3-5f0c9a1b2e4d`);
    /// none when the job failed before a catalog was used.
    pub catalog_version: Option<String>,
    /// The scan's record, as `vfp scan --format jsonl` prints it.
    pub record: serde_json::Value,
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
    url: String,
}

impl Fleet {
    async fn jobs_stream(&self) -> Result<stream::Stream, FleetError> {
        self.stream(JOBS_STREAM, JOBS_SUBJECT, RetentionPolicy::WorkQueue)
            .await
    }

    async fn results_stream(&self) -> Result<stream::Stream, FleetError> {
        self.stream(RESULTS_STREAM, RESULTS_SUBJECT, RetentionPolicy::Limits)
            .await
    }

    /// Stream `name` of `subject`, created if missing, on file storage
    /// with a duplicate window of two minutes (for `Nats-Msg-Id`).
    async fn stream(
        &self,
        name: &str,
        subject: &str,
        retention: RetentionPolicy,
    ) -> Result<stream::Stream, FleetError> {
        self.js
            .get_or_create_stream(stream::Config {
                name: name.into(),
                subjects: vec![subject.into()],
                retention,
                storage: StorageType::File,
                duplicate_window: Duration::from_secs(120),
                ..Default::default()
            })
            .await
            .map_err(|e| {
                crate::catalogs::server(&self.url, &format!("cannot open the stream {name}"), e)
            })
    }

    /// Enqueues one job per path as batch `batch`; the jobs, in order.
    /// A path is passed as given: every worker must be able to read it.
    pub async fn submit(&self, batch: &str, paths: &[String]) -> Result<Vec<Job>, FleetError> {
        self.jobs_stream().await?;
        let now = crate::catalogs::unix_ms();
        let mut jobs = Vec::with_capacity(paths.len());
        let mut acks = Vec::with_capacity(paths.len());
        for (n, path) in paths.iter().enumerate() {
            let job = Job {
                id: format!("{batch}-{n}"),
                path: path.clone(),
                batch: batch.to_owned(),
                submitted_unix_ms: now,
            };
            let payload = serde_json::to_vec(&job).unwrap_or_default();
            // Publishes are pipelined; the server's acks are awaited after.
            acks.push(
                self.js
                    .send_publish(
                        JOBS_SUBJECT,
                        Publish::build().payload(payload.into()).message_id(&job.id),
                    )
                    .await
                    .map_err(|e| crate::catalogs::server(&self.url, "cannot submit a job", e))?,
            );
            jobs.push(job);
        }
        for ack in acks {
            ack.await
                .map_err(|e| crate::catalogs::server(&self.url, "a job was not stored", e))?;
        }
        Ok(jobs)
    }

    /// The workers' consumer of the queue (created with `settings` if it
    /// does not exist; an existing one keeps its own).
    pub async fn job_queue(&self, settings: QueueSettings) -> Result<JobQueue, FleetError> {
        let consumer = self
            .jobs_stream()
            .await?
            .get_or_create_consumer(
                WORKERS_CONSUMER,
                pull::Config {
                    durable_name: Some(WORKERS_CONSUMER.into()),
                    ack_policy: AckPolicy::Explicit,
                    ack_wait: settings.ack_wait,
                    max_deliver: settings.max_deliver.max(2),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| crate::catalogs::server(&self.url, "cannot open the jobs consumer", e))?;
        Ok(JobQueue {
            consumer,
            settings,
            url: self.url.clone(),
        })
    }

    /// Publishes a job's result (the job id is its `Nats-Msg-Id`).
    pub async fn publish_result(&self, result: &ResultRecord) -> Result<(), FleetError> {
        self.results_stream().await?;
        let payload = serde_json::to_vec(result).unwrap_or_default();
        self.js
            .send_publish(
                RESULTS_SUBJECT,
                Publish::build()
                    .payload(payload.into())
                    .message_id(&result.job_id),
            )
            .await
            .map_err(|e| crate::catalogs::server(&self.url, "cannot publish a result", e))?
            .await
            .map_err(|e| crate::catalogs::server(&self.url, "a result was not stored", e))?;
        Ok(())
    }

    /// Every result so far (of `batch` only, if given), the first of each
    /// job id, in the order they were stored.
    pub async fn results(&self, batch: Option<&str>) -> Result<Vec<ResultRecord>, FleetError> {
        let mut stream = self.results_stream().await?;
        let stored = stream
            .info()
            .await
            .map_err(|e| crate::catalogs::server(&self.url, "cannot read the results stream", e))?
            .state
            .messages;
        let mut out = Vec::new();
        if stored == 0 {
            return Ok(out);
        }
        let consumer = stream
            .create_consumer(pull::OrderedConfig {
                deliver_policy: DeliverPolicy::All,
                ..Default::default()
            })
            .await
            .map_err(|e| crate::catalogs::server(&self.url, "cannot read the results", e))?;
        let mut messages = consumer
            .messages()
            .await
            .map_err(|e| crate::catalogs::server(&self.url, "cannot read the results", e))?;
        let mut seen = HashSet::new();
        loop {
            // A stream emptied meanwhile (its limits) would leave the read
            // waiting: a server that sends nothing for this long has failed.
            let next = tokio::time::timeout(RESULTS_READ_TIMEOUT, messages.next())
                .await
                .map_err(|_| {
                    crate::catalogs::server(
                        &self.url,
                        "cannot read the results",
                        format!("nothing came for {} s", RESULTS_READ_TIMEOUT.as_secs()),
                    )
                })?;
            let Some(message) = next else {
                break;
            };
            let message = message
                .map_err(|e| crate::catalogs::server(&self.url, "cannot read the results", e))?;
            let pending = message.info().map_or(0, |i| i.pending);
            if let Ok(result) = serde_json::from_slice::<ResultRecord>(&message.payload) {
                if batch.is_none_or(|b| b == result.batch) && seen.insert(result.job_id.clone()) {
                    out.push(result);
                }
            }
            if pending == 0 {
                break;
            }
        }
        Ok(out)
    }
}

impl JobQueue {
    /// The next job, waiting up to `wait` for one; `None` if none came.
    pub async fn next(&self, wait: Duration) -> Result<Option<TakenJob>, FleetError> {
        let server =
            |e: &dyn std::fmt::Display| crate::catalogs::server(&self.url, "cannot take a job", e);
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
            .map_err(|e| crate::catalogs::server(&self.url, "cannot signal progress", e))
    }

    /// The job is done (its result published): removes it from the queue,
    /// waiting for the server to confirm.
    pub async fn done(self) -> Result<(), FleetError> {
        self.message
            .double_ack()
            .await
            .map_err(|e| crate::catalogs::server(&self.url, "cannot acknowledge a job", e))
    }

    /// Gives the job back for another worker at once (a worker stopping).
    pub async fn hand_back(self) -> Result<(), FleetError> {
        self.message
            .ack_with(AckKind::Nak(None))
            .await
            .map_err(|e| crate::catalogs::server(&self.url, "cannot hand a job back", e))
    }
}
