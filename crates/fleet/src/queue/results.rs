//! The results: a stream that keeps each job's result for
//! [`RESULTS_KEPT`](super::RESULTS_KEPT), published by workers and read
//! back in order, the first of each job id.

use super::batches::check_batch;
use crate::{Fleet, FleetError};
use async_nats::jetstream::consumer::{pull, DeliverPolicy};
use async_nats::jetstream::stream::{self, RetentionPolicy};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::time::Duration;
use vfp_scan::FileRecord;

/// The stream of results.
pub const RESULTS_STREAM: &str = "VFP_RESULTS";
/// Subjects of results: `vfp.results.<batch>`.
pub const RESULTS_SUBJECTS: &str = "vfp.results.>";
/// How long reading results waits for the server's next one.
const RESULTS_READ_TIMEOUT: Duration = Duration::from_secs(30);

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

impl Fleet {
    async fn results_stream(&self) -> Result<stream::Stream, FleetError> {
        self.stream(RESULTS_STREAM, RESULTS_SUBJECTS, RetentionPolicy::Limits)
            .await
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
            following: false,
            seen: HashSet::new(),
            reopened: 0,
        };
        // The first read gives up as any request does: a server that
        // never answers is an error, not something to wait for.
        let stored = reader.open().await?;
        reader.remaining = (!follow).then_some(stored);
        reader.following = follow;
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
    /// Following results as they come (once the read was first opened):
    /// a server or a cluster's leader gone is waited for, however long.
    following: bool,
    seen: HashSet<String>,
    /// Reopened since the last message.
    reopened: u32,
}

/// Reopenings of a read in a row without a message in between, at most
/// (a reader following results then keeps trying, [`REOPEN_PAUSE`] apart).
const MAX_REOPENS: u32 = 5;

/// Pause between a following reader's reopenings past [`MAX_REOPENS`].
const REOPEN_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);

impl ResultReader {
    /// The next result not seen before; `None` at the end of those
    /// stored when the reader was made (never, when following). A server
    /// lost mid-read is read on from another (in a cluster) or once it is
    /// back, from the result after the last one read: a few tries in a
    /// row, or for as long as the failures are those of a cluster in
    /// transition when following (once in CI, a cluster that had lost the
    /// server leading its metadata failed every read for the 30 s a
    /// request is retried).
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
                    match self.open().await {
                        Ok(_) => {}
                        // Each open retries for a while; a follower then
                        // tries again, for as long as the outage lasts.
                        Err(e)
                            if self.following
                                && crate::connection::is_transient(&e.to_string()) =>
                        {
                            tokio::time::sleep(REOPEN_PAUSE).await;
                        }
                        Err(e) => return Err(e),
                    }
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
                // row at most unless following.
                Some(Err(e)) => {
                    let e = e.to_string();
                    self.reopen(&url, &e).await?;
                    continue;
                }
                None => {
                    self.reopen(&url, "the server ended the read").await?;
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
            // A record of another version, a repeat, or one that is no
            // result of a job of its batch (a forgery naming a job by a
            // guess, on the wrong batch's subject): skipped.
            if let Ok(result) = serde_json::from_slice::<ResultRecord>(&message.payload) {
                let genuine = super::jobs::job_number(&result.batch, &result.job_id).is_some()
                    && message.subject.as_str() == format!("vfp.results.{}", result.batch);
                if genuine && self.seen.insert(result.job_id.clone()) {
                    return Ok(Some(result));
                }
            }
        }
    }

    /// Drops a read that failed with `error`, to be reopened from the
    /// result after the last one read; past [`MAX_REOPENS`] in a row, an
    /// error, unless following.
    async fn reopen(&mut self, url: &str, error: &str) -> Result<(), FleetError> {
        self.messages = None;
        self.reopened += 1;
        if self.reopened > MAX_REOPENS {
            if !self.following {
                return Err(crate::connection::server(
                    url,
                    "cannot read the results",
                    error,
                ));
            }
            tokio::time::sleep(REOPEN_PAUSE).await;
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_is_a_scan_record_with_its_origin() {
        let record = FileRecord {
            sha256: Some("00".into()),
            duration_s: Some(1.5),
            ..FileRecord::new("/shared/a.mp4".into(), vfp_scan::Verdict::NoMatch)
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
