//! The jobs: a work-queue stream that every worker takes from through one
//! shared durable consumer; submitting, taking, signalling progress,
//! acknowledging and handing back.

use super::batches::{check_batch, Batch};
use crate::uploads::Upload;
use crate::{Fleet, FleetError};
use async_nats::jetstream::consumer::{pull, AckPolicy, PullConsumer};
use async_nats::jetstream::context::Publish;
use async_nats::jetstream::kv;
use async_nats::jetstream::message::AckKind;
use async_nats::jetstream::stream::{self, RetentionPolicy};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use vfp_scan::Provenance;

/// The work-queue stream of jobs.
pub const JOBS_STREAM: &str = "VFP_JOBS";
/// Subject of jobs.
pub const JOBS_SUBJECT: &str = "vfp.jobs";
/// The workers' shared durable consumer of jobs.
pub const WORKERS_CONSUMER: &str = "vfp-workers";
/// Jobs published between waits for the server's acks.
const SUBMIT_WINDOW: usize = 1024;

/// One file to scan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Unique and unguessable: `<batch>-<n>-<32 hex digits of random>`
    /// ([`new_job_id`]). Results are kept by job id, the first of each:
    /// with a predictable id, anyone who could publish a result could
    /// pre-empt a job's real one.
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
    /// Where and when the file was found (`vfp submit --from`), carried
    /// into its result's record.
    #[serde(default, skip_serializing_if = "Provenance::is_empty")]
    pub provenance: Provenance,
}

/// A file to submit: its path, its upload, where it was found.
#[derive(Clone, Debug, Default)]
pub struct SubmittedFile {
    /// The path the job names (absolute, or the name of an upload).
    pub path: String,
    /// Its bytes on the server, for workers that cannot read it.
    pub upload: Option<Upload>,
    /// Where and when it was found.
    pub provenance: Provenance,
}

/// Longest path a job may name, bytes.
const MAX_JOB_PATH_BYTES: usize = 4096;

/// Longest job id, bytes.
const MAX_JOB_ID_BYTES: usize = 128;

/// A new job id for the `n`-th file of batch `batch`: the batch, `n`, and
/// 128 bits from the operating system's random source.
pub fn new_job_id(batch: &str, n: usize) -> Result<String, FleetError> {
    let mut random = [0u8; 16];
    getrandom::getrandom(&mut random).map_err(|e| FleetError::Io {
        path: "getrandom".into(),
        what: "cannot draw a random job id",
        source: std::io::Error::other(e.to_string()),
    })?;
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{batch}-{n}-{hex}"))
}

/// `n` of a job id `<batch>-<n>-<32 hex digits>` of batch `batch`;
/// `None` if `id` is not of that form.
pub fn job_number(batch: &str, id: &str) -> Option<u64> {
    if id.len() > MAX_JOB_ID_BYTES {
        return None;
    }
    let (n, random) = id.strip_prefix(batch)?.strip_prefix('-')?.split_once('-')?;
    let random_ok = random.len() == 32
        && random
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if n.is_empty() || n.len() > 19 || !n.bytes().all(|b| b.is_ascii_digit()) || !random_ok {
        return None;
    }
    n.parse().ok()
}

impl Job {
    /// Checks every field of a job taken from the queue, where anyone who
    /// may publish to [`JOBS_SUBJECT`] can put one: the id and the batch
    /// are subject tokens of the expected form (never paths), the path a
    /// plain string, and an upload names its object by the SHA-256 it
    /// states. Why not, else.
    pub fn check(&self) -> Result<(), String> {
        check_batch("", &self.batch).map_err(|_| {
            format!(
                "batch {}: a batch id is 1-64 letters, digits, '-' or '_'",
                quoted(&self.batch)
            )
        })?;
        if job_number(&self.batch, &self.id).is_none() {
            return Err(format!(
                "job id {}: not <batch>-<n>-<32 hex digits>",
                quoted(&self.id)
            ));
        }
        if self.path.is_empty()
            || self.path.len() > MAX_JOB_PATH_BYTES
            || self.path.chars().any(char::is_control)
        {
            return Err(format!(
                "job {}: its path is empty, longer than {MAX_JOB_PATH_BYTES} bytes or holds control characters",
                self.id
            ));
        }
        if let Some(upload) = &self.upload {
            upload
                .check()
                .map_err(|why| format!("job {}: {why}", self.id))?;
        }
        self.provenance
            .check()
            .map_err(|why| format!("job {}: {why}", self.id))?;
        Ok(())
    }
}

/// A value from a stranger, for a message: quoted with control
/// characters escaped (a newline cannot forge a line), at most 80
/// characters of it.
fn quoted(value: &str) -> String {
    let head: String = value.chars().take(80).collect();
    if head.len() < value.len() {
        format!("{head:?}...")
    } else {
        format!("{head:?}")
    }
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

/// What the queue handed out.
pub enum Next {
    /// A job to scan.
    Job(Box<TakenJob>),
    /// A message that is no valid job, removed from the queue for good
    /// (it would otherwise come back until its deliveries ran out, and
    /// stay in the stream): why.
    Refused(String),
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

/// Jobs submitted and not yet done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueState {
    /// Waiting for a worker.
    pub waiting: u64,
    /// Taken by a worker and not yet done (in flight).
    pub taken: u64,
}

impl Fleet {
    async fn jobs_stream(&self) -> Result<stream::Stream, FleetError> {
        self.stream(JOBS_STREAM, JOBS_SUBJECT, RetentionPolicy::WorkQueue)
            .await
    }

    /// Enqueues one job per path as batch `batch` (a new id, see
    /// [`new_batch_id`](super::new_batch_id)); the jobs, in order. A path is passed as given:
    /// every worker must be able to read it. The batch's record, which
    /// says how many results complete it, is stored once every job is.
    pub async fn submit(&self, batch: &str, paths: &[String]) -> Result<Vec<Job>, FleetError> {
        let files: Vec<_> = paths
            .iter()
            .map(|p| SubmittedFile {
                path: p.clone(),
                ..SubmittedFile::default()
            })
            .collect();
        self.submit_files(batch, &files).await
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
            .map(|(p, u)| SubmittedFile {
                path: p.clone(),
                upload: Some(u.clone()),
                provenance: Provenance::default(),
            })
            .collect();
        self.submit_files(batch, &files).await
    }

    /// [`submit`](Self::submit) of files each with its upload (if any) and
    /// where it was found, which its result's record carries.
    pub async fn submit_files(
        &self,
        batch: &str,
        files: &[SubmittedFile],
    ) -> Result<Vec<Job>, FleetError> {
        for f in files {
            f.provenance.check().map_err(|why| FleetError::BadBatch {
                url: self.url.clone(),
                batch: batch.to_owned(),
                reason: format!("{}: {why}", f.path),
            })?;
        }
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
            for (i, file) in chunk.iter().enumerate() {
                let job = Job {
                    id: new_job_id(batch, window * SUBMIT_WINDOW + i)?,
                    path: file.path.clone(),
                    batch: batch.to_owned(),
                    submitted_unix_ms: now,
                    upload: file.upload.clone(),
                    provenance: file.provenance.clone(),
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
}

impl JobQueue {
    /// The next job, waiting up to `wait` for one; `None` if none came.
    /// A message that is no valid job ([`Job::check`]) is terminated (the
    /// server never delivers it again) and said why.
    pub async fn next(&self, wait: Duration) -> Result<Option<Next>, FleetError> {
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
        // One message at most was asked for.
        if let Some(message) = batch.next().await {
            let message = message.map_err(|e| server(&e))?;
            let delivery = message.info().map_or(1, |i| i.delivered);
            let job = serde_json::from_slice::<Job>(&message.payload)
                .map_err(|e| format!("not a job of this vfp: {e}"))
                .and_then(|job| job.check().map(|()| job));
            let job = match job {
                Ok(job) => job,
                Err(why) => {
                    message
                        .ack_with(AckKind::Term)
                        .await
                        .map_err(|e| server(&e))?;
                    return Ok(Some(Next::Refused(why)));
                }
            };
            return Ok(Some(Next::Job(Box::new(TakenJob {
                message,
                job,
                delivery,
                last_attempt: delivery >= self.settings.max_deliver.max(2),
                client: self.client.clone(),
                url: self.url.clone(),
            }))));
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
