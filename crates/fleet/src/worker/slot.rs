//! One slot of a worker: it takes a job at a time until asked to stop,
//! and sees each job through: the file made ready (the shared path, or a
//! checked copy of its upload, [`UploadedCopy`]), the scan on a blocking
//! thread, the result published, the job acknowledged or handed back.
//! While a job is held, progress is signalled every third of the ack
//! wait ([`Slot::with_progress`]).

use super::stop::StopSignal;
use super::{Loaded, Shared, WorkerEvent};
use crate::queue::{Job, Next, QueueSettings, ResultRecord, TakenJob};
use crate::uploads::Upload;
use crate::FleetError;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use vfp_scan::{FileRecord, Scanner, Verdict};

/// How long a slot waits for a job before it looks again (and checks
/// whether to stop).
const TAKE_WAIT: Duration = Duration::from_secs(2);

/// A slot: what it shares with the worker's other slots, and how it is
/// asked to stop.
pub(super) struct Slot {
    shared: Arc<Shared>,
    stop: StopSignal,
}

impl Slot {
    /// A slot of the worker `shared`, stopped by `stop`.
    pub(super) fn new(shared: Arc<Shared>, stop: StopSignal) -> Self {
        Slot { shared, stop }
    }

    /// Takes one job at a time until asked to stop (or, with
    /// `stop_when_idle`, until no job has come for that long). Server
    /// trouble is reported and retried with a growing pause.
    pub(super) async fn run(mut self) {
        let mut backoff = Duration::from_millis(250);
        loop {
            if self.stop.is_stopping() || self.shared.idle_long_enough() {
                return;
            }
            match self.shared.queue.next(TAKE_WAIT).await {
                Ok(Some(Next::Refused(why))) => {
                    self.shared.report(WorkerEvent::Refused { why: &why });
                }
                Ok(Some(Next::Job(taken))) => {
                    backoff = Duration::from_millis(250);
                    self.shared.job_taken();
                    self.process(*taken).await;
                    self.shared.job_ended();
                }
                Ok(None) => {}
                Err(error) => {
                    // The server is away (restarting, a node lost): the
                    // client reconnects; try again a little later.
                    self.shared.report(WorkerEvent::Trouble { error: &error });
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    /// Scans one job, publishes its result, acknowledges it (or hands it
    /// back on [`Stop::HandBack`](super::Stop::HandBack)).
    async fn process(&mut self, taken: TakenJob) {
        let started = Instant::now();
        self.shared.report(WorkerEvent::Took {
            job: &taken.job,
            delivery: taken.delivery,
        });
        let (mut record, version) = if taken.last_attempt {
            let gave_up = GaveUp {
                path: taken.job.path.clone(),
                deliveries: taken.delivery - 1,
            };
            (FileRecord::failed(taken.job.path.clone(), &gave_up), None)
        } else {
            let loaded = self.shared.current.borrow().clone();
            let version = loaded.version.to_string();
            // Held until the job is done or handed back: a copy of an
            // uploaded file is removed then (the next worker fetches its
            // own; a scan still reading it keeps its open file).
            let file = JobFile::ready(&self.shared, &taken.job).await;
            let record = match &file {
                Err(e) => FileRecord::failed(taken.job.path.clone(), e),
                Ok(file) => match self.scan(&taken, loaded, file.path().to_owned()).await {
                    Some(record) => record,
                    None => return self.hand_back(taken).await,
                },
            };
            (record, Some(version))
        };
        // Where the file was found, whatever became of it.
        record.provenance = taken.job.provenance.clone();
        let result = ResultRecord {
            record,
            job_id: taken.job.id.clone(),
            batch: taken.job.batch.clone(),
            worker: self.shared.settings.name.clone(),
            catalog_version: version,
        };
        if !self.publish(&taken, &result).await {
            // Not stored: the job is left unacknowledged, and the queue
            // hands it out again after its ack wait.
            return;
        }
        if let Err(error) = taken.done().await {
            // Stored but not acknowledged: it will be scanned again, and
            // the second result dropped as a repeat of the job id.
            self.shared.report(WorkerEvent::Trouble { error: &error });
        }
        {
            let mut tally = self.shared.tally();
            match result.record.verdict {
                Verdict::Match => tally.matched += 1,
                Verdict::NoMatch | Verdict::Inconclusive => tally.no_match += 1,
                // A worker scans the files it is given: it skips none.
                Verdict::Error | Verdict::Skipped => tally.errors += 1,
            }
        }
        self.shared.report(WorkerEvent::Done {
            result: &result,
            seconds: started.elapsed().as_secs_f64(),
        });
    }

    /// Scans `file` against `loaded` on a blocking thread, signalling
    /// progress meanwhile; its record, named as the job names the file;
    /// `None` if a stop asked for the job to be handed back first (the
    /// scan's thread is left to the process's end).
    async fn scan(
        &mut self,
        taken: &TakenJob,
        loaded: Arc<Loaded>,
        file: PathBuf,
    ) -> Option<FileRecord> {
        let config = self.shared.settings.scan.clone();
        let named = taken.job.path.clone();
        let uploaded = taken.job.upload.is_some();
        let scan = tokio::task::spawn_blocking(move || {
            let mut record = Scanner::new(&loaded.catalog, config).scan_path(&file);
            record.file = named;
            if uploaded {
                // The worker's copy has the file's bytes (its size) but
                // not its modification time.
                record.mtime_ns = None;
            }
            record
        });
        let done = self.with_progress(taken, scan, true).await?;
        Some(match done {
            Ok(record) => record,
            // `scan_path` catches the engine's panics; this is the thread
            // itself failing.
            Err(e) => FileRecord::failed(taken.job.path.clone(), &e),
        })
    }

    /// Publishes `result` (the client retries while the server cannot
    /// store it), signalling progress meanwhile; whether it was stored.
    async fn publish(&mut self, taken: &TakenJob, result: &ResultRecord) -> bool {
        let shared = self.shared.clone();
        let published = self
            .with_progress(taken, shared.fleet.publish_result(result), false)
            .await;
        match published {
            Some(Ok(())) => true,
            Some(Err(error)) => {
                self.shared.report(WorkerEvent::Trouble { error: &error });
                false
            }
            // Not asked for: a result being stored is not handed back.
            None => false,
        }
    }

    /// Gives the job back to the queue at once, for another worker.
    async fn hand_back(&self, taken: TakenJob) {
        let job = taken.job.clone();
        match taken.hand_back().await {
            Ok(()) => {
                self.shared.tally().handed_back += 1;
                self.shared.report(WorkerEvent::HandedBack { job: &job });
            }
            Err(error) => self.shared.report(WorkerEvent::Trouble { error: &error }),
        }
    }

    /// Awaits `work` while holding `taken`, signalling progress every
    /// [`progress_period`] so that the queue does not hand the job to
    /// another worker; `None` if `may_hand_back` and a stop asked for the
    /// job to be handed back first.
    async fn with_progress<T>(
        &mut self,
        taken: &TakenJob,
        work: impl Future<Output = T>,
        may_hand_back: bool,
    ) -> Option<T> {
        tokio::pin!(work);
        let mut beat = tokio::time::interval(progress_period(self.shared.queue.settings()));
        beat.reset(); // the first signal one period in, not at once
        loop {
            tokio::select! {
                done = &mut work => return Some(done),
                _ = beat.tick() => {
                    if let Err(error) = taken.in_progress().await {
                        self.shared.report(WorkerEvent::Trouble { error: &error });
                    }
                }
                _ = self.stop.hand_back_asked(), if may_hand_back => return None,
            }
        }
    }
}

/// How often a job in flight signals progress: three times an ack wait.
fn progress_period(settings: QueueSettings) -> Duration {
    (settings.ack_wait / 3).max(Duration::from_millis(50))
}

/// The file a job names, ready to scan.
enum JobFile {
    /// A path every worker can read (a shared file system).
    Shared(PathBuf),
    /// A checked copy of the file uploaded with the job.
    Uploaded(UploadedCopy),
}

impl JobFile {
    /// The job's file: its path, or its upload fetched into the cache.
    async fn ready(shared: &Shared, job: &Job) -> Result<JobFile, FleetError> {
        match &job.upload {
            None => shared_path(&job.path, &shared.settings.files_under).map(JobFile::Shared),
            Some(upload) => UploadedCopy::fetch(shared, job, upload)
                .await
                .map(JobFile::Uploaded),
        }
    }

    /// Where to read it.
    fn path(&self) -> &Path {
        match self {
            JobFile::Shared(path) => path,
            JobFile::Uploaded(copy) => &copy.path,
        }
    }
}

/// The file a job names on the shared storage, if it lies under one of
/// `roots` (any path if there are none): resolved, symbolic links
/// followed, so that neither `..` nor a link leads out.
fn shared_path(path: &str, roots: &[PathBuf]) -> Result<PathBuf, FleetError> {
    if roots.is_empty() {
        return Ok(PathBuf::from(path));
    }
    let resolved = std::fs::canonicalize(path).map_err(|source| FleetError::Io {
        path: PathBuf::from(path),
        what: "cannot read",
        source,
    })?;
    if roots.iter().any(|root| resolved.starts_with(root)) {
        Ok(resolved)
    } else {
        Err(FleetError::Io {
            path: PathBuf::from(path),
            what: "not read",
            source: std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "outside the folders this worker reads (--files-under)",
            ),
        })
    }
}

/// A job's uploaded file, copied into the worker's own folder of the
/// cache and checked against its digest; removed when dropped, whether the
/// job was done or handed back. Named by what the worker knows to be
/// true, never by what the job says: `<sha256>-<pid>-<n>[.ext]` (a job
/// id named the copy before, and `../../..` in it wrote anywhere the
/// worker could). A copy left by a worker that was killed is removed by
/// the next worker on the same cache ([`remove_orphan_copies`]).
struct UploadedCopy {
    path: PathBuf,
}

/// The folder of upload copies in a worker's cache.
pub(super) fn uploads_dir(cache: &Path) -> PathBuf {
    cache.join("uploads")
}

impl UploadedCopy {
    /// Fetches `upload` of `job` into the cache, keeping the file's
    /// extension if it is a plain one (a `.vfp` is read as a fingerprint).
    async fn fetch(shared: &Shared, job: &Job, upload: &Upload) -> Result<Self, FleetError> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // `Job::check` let only 64 hex digits through as the SHA-256.
        upload.check().map_err(|why| FleetError::Upload {
            path: PathBuf::from(&job.path),
            reason: why,
        })?;
        let extension = Path::new(&job.path)
            .extension()
            .and_then(|e| e.to_str())
            .filter(|e| e.len() <= 8 && e.bytes().all(|b| b.is_ascii_alphanumeric()))
            .map_or_else(String::new, |e| format!(".{e}"));
        let path = uploads_dir(&shared.settings.cache).join(format!(
            "{}-{}-{n}{extension}",
            upload.sha256,
            std::process::id()
        ));
        // Owned before the fetch: a fetch that fails half-way leaves
        // nothing behind either.
        let copy = UploadedCopy { path };
        shared.fleet.fetch_upload(upload, &copy.path).await?;
        Ok(copy)
    }
}

impl Drop for UploadedCopy {
    fn drop(&mut self) {
        // Best effort: a copy left behind is only space in the cache, and
        // the next worker on this cache removes it.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Removes the upload copies in `cache` whose worker process is gone (a
/// worker killed mid-job leaves its copy; workers sharing a cache keep
/// theirs). Returns how many were removed.
pub(super) fn remove_orphan_copies(cache: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(uploads_dir(cache)) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(copy_owner) else {
            continue;
        };
        if !process_alive(pid) && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The worker process that made a copy named `name`
/// (`<sha256>-<pid>-<n>[.ext]`, or a download's partial file beside it).
fn copy_owner(name: &str) -> Option<u32> {
    let name = name.trim_start_matches('.');
    let (sha256, rest) = name.split_once('-')?;
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    rest.split('-').next()?.parse().ok()
}

/// Whether process `pid` runs (on this machine: a cache is local).
fn process_alive(pid: u32) -> bool {
    pid == std::process::id() || Path::new("/proc").join(pid.to_string()).exists()
}

/// A file given up on: every worker that took it stopped before finishing.
#[derive(Debug, thiserror::Error)]
#[error("{path}: given up after {deliveries} deliveries: each worker that took this file stopped before finishing it (killed, or crashed by the file); scan it alone with `vfp scan` to see why")]
struct GaveUp {
    path: String,
    deliveries: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_signalled_three_times_an_ack_wait() {
        let settings = QueueSettings {
            ack_wait: Duration::from_secs(60),
            max_deliver: 3,
        };
        assert_eq!(progress_period(settings), Duration::from_secs(20));
    }

    #[test]
    fn a_file_given_up_on_says_why_and_what_to_do() {
        let record = FileRecord::failed(
            "/shared/x.mp4".into(),
            &GaveUp {
                path: "/shared/x.mp4".into(),
                deliveries: 2,
            },
        );
        let error = record.error.unwrap_or_default();
        assert!(error.starts_with("/shared/x.mp4: given up after 2 deliveries"));
        assert!(error.contains("vfp scan"));
        assert!(super::super::default_name().ends_with(&format!("-{}", std::process::id())));
    }

    #[test]
    fn an_uploaded_copy_is_removed_when_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join(format!("{}-1-0.mp4", "ab".repeat(32)));
        std::fs::write(&path, b"copy").unwrap();
        let copy = JobFile::Uploaded(UploadedCopy { path: path.clone() });
        assert_eq!(copy.path(), path);
        drop(copy);
        assert!(!path.exists());
    }

    #[test]
    fn job_paths_outside_the_worker_s_folders_are_not_read() {
        let tmp = tempfile::tempdir().unwrap();
        let crawl = tmp.path().join("crawl");
        std::fs::create_dir(&crawl).unwrap();
        std::fs::write(crawl.join("a.mp4"), b"x").unwrap();
        std::fs::write(tmp.path().join("secret"), b"x").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("secret"), crawl.join("link.mp4")).unwrap();
        let roots = [std::fs::canonicalize(&crawl).unwrap()];
        let inside = crawl.join("a.mp4");
        assert!(shared_path(inside.to_str().unwrap(), &roots).is_ok());
        for outside in [
            crawl.join("../secret"),
            crawl.join("link.mp4"),
            PathBuf::from("/etc/hostname"),
        ] {
            let err = shared_path(outside.to_str().unwrap(), &roots).unwrap_err();
            assert!(
                std::error::Error::source(&err)
                    .is_some_and(|e| e.to_string().contains("--files-under")),
                "{err}"
            );
        }
        // Without roots, any path (as before).
        assert!(shared_path("/etc/hostname", &[]).is_ok());
    }

    #[test]
    fn copies_of_workers_that_are_gone_are_removed() {
        let cache = tempfile::tempdir().unwrap();
        let dir = uploads_dir(cache.path());
        std::fs::create_dir_all(&dir).unwrap();
        let sha = "cd".repeat(32);
        // No process has pid 2^22 + 1 (Linux's pid_max is 2^22 at most).
        let gone = dir.join(format!("{sha}-4194305-0.mp4"));
        let mine = dir.join(format!("{sha}-{}-3.mp4", std::process::id()));
        let other = dir.join("notes.txt");
        for p in [&gone, &mine, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        assert_eq!(remove_orphan_copies(cache.path()), 1);
        assert!(!gone.exists() && mine.exists() && other.exists());
    }
}
