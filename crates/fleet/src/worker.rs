//! A worker: jobs from the queue, each scanned against the current
//! release of a catalog by the same engine as `vfp scan`, its result
//! published, then the job acknowledged.
//!
//! Top-down, as [`run`] runs it:
//!
//! 1. The catalog's current release is fetched into the cache folder (or
//!    found there) and opened; a task checks for a newer release every
//!    [`WorkerSettings::refresh`] and swaps it in between jobs (a job in
//!    flight finishes against the catalog it started with; its result
//!    names that version).
//! 2. [`WorkerSettings::jobs`] slots each take a job, scan it on a
//!    blocking thread and send a progress signal every third of the ack
//!    wait meanwhile, so a long file is not handed to a second worker.
//! 3. The result goes to the results stream (retried while the server is
//!    away), and only then is the job acknowledged: a worker that dies
//!    before leaves the job to be handed out again.
//!
//! A job on its last delivery ([`TakenJob::last_attempt`]) is not scanned:
//! every worker that took it before stopped mid-file, so the file is
//! recorded as an error instead of killing another worker.
//!
//! Stopping: [`Stop::Finish`] takes no new job and finishes those in
//! flight; [`Stop::HandBack`] gives those in flight back to the queue at
//! once, for another worker.

use crate::catalogs::CatalogVersion;
use crate::queue::{Job, JobQueue, QueueSettings, ResultRecord, TakenJob};
use crate::Fleet;
use crate::FleetError;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use vfp_index::Catalog;
use vfp_scan::{FileRecord, ScanConfig, Scanner, Verdict};

/// How long a slot waits for a job before it looks again (and checks
/// whether to stop).
const TAKE_WAIT: Duration = Duration::from_secs(2);

/// What a worker does.
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    /// The published catalog's name.
    pub catalog: String,
    /// The local cache folder its releases are fetched into.
    pub cache: PathBuf,
    /// Jobs scanned at once.
    pub jobs: usize,
    /// How jobs are handed out, if this worker creates the queue's
    /// consumer (an existing consumer keeps its own).
    pub queue: QueueSettings,
    /// The scan, as `vfp scan` would run it.
    pub scan: ScanConfig,
    /// The worker's name in results.
    pub name: String,
    /// How often the catalog's current release is checked.
    pub refresh: Duration,
    /// Stop once no job has come for this long (none: run until stopped).
    pub stop_when_idle: Option<Duration>,
}

/// How far a worker is asked to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Keep going.
    Run,
    /// Take no new job; finish those in flight.
    Finish,
    /// Give those in flight back to the queue now.
    HandBack,
}

/// What a worker reports as it goes (for its log).
#[derive(Debug)]
pub enum WorkerEvent<'a> {
    /// A release of the catalog is open and used for the next jobs.
    Catalog {
        /// Its version.
        version: &'a CatalogVersion,
        /// Titles in it.
        titles: usize,
        /// Frames in it.
        frames: usize,
        /// Time to fetch (or find) and open it, seconds.
        seconds: f64,
    },
    /// A job was taken.
    Took {
        /// The job.
        job: &'a Job,
        /// Its delivery (1 the first time).
        delivery: i64,
    },
    /// A job's result is stored and the job acknowledged.
    Done {
        /// The result.
        result: &'a ResultRecord,
        /// Time from taking the job to its acknowledgement, seconds.
        seconds: f64,
    },
    /// A job was given back to the queue (a stop).
    HandedBack {
        /// The job.
        job: &'a Job,
    },
    /// Something failed that the worker retries or leaves to the queue's
    /// redelivery (a server away, a newer release that did not fetch).
    Trouble {
        /// What failed.
        error: &'a FleetError,
    },
}

/// How a worker's jobs ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerTally {
    /// Files with a match.
    pub matched: u64,
    /// Files without.
    pub no_match: u64,
    /// Files recorded as errors (including those given up on).
    pub errors: u64,
    /// Jobs given back on a stop.
    pub handed_back: u64,
}

/// Reports a worker's events.
pub type Events = Arc<dyn Fn(WorkerEvent<'_>) + Send + Sync>;

/// A catalog release, open.
struct Loaded {
    catalog: Catalog,
    version: CatalogVersion,
}

/// What every slot shares.
struct Shared {
    fleet: Arc<Fleet>,
    queue: JobQueue,
    settings: WorkerSettings,
    current: watch::Receiver<Arc<Loaded>>,
    events: Events,
    tally: Mutex<WorkerTally>,
    /// Jobs in flight, and when the last one ended (for `stop_when_idle`).
    busy: AtomicUsize,
    last_busy: Mutex<Instant>,
}

/// Runs a worker until `stop` asks it to (or, with
/// [`WorkerSettings::stop_when_idle`], until no job comes); how its jobs
/// ended. Fails only when the catalog cannot be fetched at the start or
/// the queue cannot be opened: later server trouble is reported as an
/// event and retried.
pub async fn run(
    fleet: Arc<Fleet>,
    settings: WorkerSettings,
    stop: watch::Receiver<Stop>,
    events: Events,
) -> Result<WorkerTally, FleetError> {
    let started = Instant::now();
    let loaded = load(&fleet, &settings).await?;
    events(WorkerEvent::Catalog {
        version: &loaded.version,
        titles: loaded.catalog.titles().len(),
        frames: loaded.catalog.frame_count(),
        seconds: started.elapsed().as_secs_f64(),
    });
    let (publish_catalog, current) = watch::channel(Arc::new(loaded));
    let queue = fleet.job_queue(settings.queue).await?;
    let shared = Arc::new(Shared {
        fleet,
        queue,
        settings,
        current,
        events,
        tally: Mutex::new(WorkerTally::default()),
        busy: AtomicUsize::new(0),
        last_busy: Mutex::new(Instant::now()),
    });
    let refresher = tokio::spawn(refresh(shared.clone(), publish_catalog));
    let slots: Vec<_> = (0..shared.settings.jobs.max(1))
        .map(|_| tokio::spawn(slot(shared.clone(), stop.clone())))
        .collect();
    for slot in slots {
        // A slot's task ends on its own; a panic in one is a bug that
        // must not take the others' jobs with it.
        let _ = slot.await;
    }
    refresher.abort();
    let tally = *lock(&shared.tally);
    Ok(tally)
}

/// The current release of the catalog, fetched and open.
async fn load(fleet: &Fleet, settings: &WorkerSettings) -> Result<Loaded, FleetError> {
    let (catalog, version) = fleet.fetch(&settings.catalog, &settings.cache).await?;
    Ok(Loaded { catalog, version })
}

/// Checks for a newer release every `refresh` and hands it to the slots.
async fn refresh(shared: Arc<Shared>, publish: watch::Sender<Arc<Loaded>>) {
    let name = &shared.settings.catalog;
    loop {
        tokio::time::sleep(shared.settings.refresh).await;
        let current = publish.borrow().version.clone();
        let newer = match shared.fleet.release(name).await {
            Ok((_, version)) => version != current,
            Err(error) => {
                (shared.events)(WorkerEvent::Trouble { error: &error });
                continue;
            }
        };
        if !newer {
            continue;
        }
        let started = Instant::now();
        match load(&shared.fleet, &shared.settings).await {
            Ok(loaded) => {
                (shared.events)(WorkerEvent::Catalog {
                    version: &loaded.version,
                    titles: loaded.catalog.titles().len(),
                    frames: loaded.catalog.frame_count(),
                    seconds: started.elapsed().as_secs_f64(),
                });
                let keep = loaded.version.clone();
                publish.send_replace(Arc::new(loaded));
                // Jobs in flight keep the release they started with open
                // (mapped): removing its files does not disturb them.
                if let Err(error) =
                    crate::catalogs::prune_cache(&shared.settings.cache, name, &keep)
                {
                    (shared.events)(WorkerEvent::Trouble { error: &error });
                }
            }
            Err(error) => (shared.events)(WorkerEvent::Trouble { error: &error }),
        }
    }
}

/// One job at a time until asked to stop.
async fn slot(shared: Arc<Shared>, mut stop: watch::Receiver<Stop>) {
    let mut backoff = Duration::from_millis(250);
    loop {
        if *stop.borrow() != Stop::Run || idle_long_enough(&shared) {
            return;
        }
        match shared.queue.next(TAKE_WAIT).await {
            Ok(Some(taken)) => {
                backoff = Duration::from_millis(250);
                shared.busy.fetch_add(1, Ordering::SeqCst);
                process(&shared, taken, &mut stop).await;
                *lock(&shared.last_busy) = Instant::now();
                shared.busy.fetch_sub(1, Ordering::SeqCst);
            }
            Ok(None) => {}
            Err(error) => {
                // The server is away (restarting, a node lost): the
                // client reconnects; try again a little later.
                (shared.events)(WorkerEvent::Trouble { error: &error });
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

fn idle_long_enough(shared: &Shared) -> bool {
    shared.settings.stop_when_idle.is_some_and(|idle| {
        shared.busy.load(Ordering::SeqCst) == 0 && lock(&shared.last_busy).elapsed() >= idle
    })
}

/// Scans one job, publishes its result, acknowledges it (or hands it back
/// on [`Stop::HandBack`]).
async fn process(shared: &Shared, taken: TakenJob, stop: &mut watch::Receiver<Stop>) {
    let started = Instant::now();
    let events = &shared.events;
    events(WorkerEvent::Took {
        job: &taken.job,
        delivery: taken.delivery,
    });
    let path = taken.job.path.clone();
    let (record, version) = if taken.last_attempt {
        let gave_up = GaveUp {
            path: path.clone(),
            deliveries: taken.delivery - 1,
        };
        (FileRecord::failed(path, &gave_up), None)
    } else {
        // A file uploaded with its job is scanned from a checked copy in
        // the cache; its record names the path it was submitted as.
        let local = match &taken.job.upload {
            None => Ok(PathBuf::from(&path)),
            Some(upload) => {
                let copy = upload_copy(&shared.settings.cache, &taken.job);
                shared
                    .fleet
                    .fetch_upload(upload, &copy)
                    .await
                    .map(|()| copy)
            }
        };
        let loaded = shared.current.borrow().clone();
        let version = loaded.version.to_string();
        let record = match local {
            Err(e) => FileRecord::failed(path, &e),
            Ok(file) => {
                match scan_in_flight(shared, &taken, stop, loaded, file.clone(), path).await {
                    Some(record) => record,
                    None => {
                        if taken.job.upload.is_some() {
                            // The copy of an uploaded file: the next worker
                            // fetches its own. (The scan still reading it
                            // keeps its open file until the process ends.)
                            let _ = std::fs::remove_file(&file);
                        }
                        let job = taken.job.clone();
                        match taken.hand_back().await {
                            Ok(()) => {
                                lock(&shared.tally).handed_back += 1;
                                events(WorkerEvent::HandedBack { job: &job });
                            }
                            Err(error) => events(WorkerEvent::Trouble { error: &error }),
                        }
                        return;
                    }
                }
            }
        };
        (record, Some(version))
    };
    let result = ResultRecord {
        record,
        job_id: taken.job.id.clone(),
        batch: taken.job.batch.clone(),
        worker: shared.settings.name.clone(),
        catalog_version: version,
    };
    if !publish(shared, &taken, &result).await {
        // Not stored: the job is left unacknowledged, and the queue hands
        // it out again after its ack wait.
        return;
    }
    if let Err(error) = taken.done().await {
        // Stored but not acknowledged: it will be scanned again, and the
        // second result dropped as a repeat of the job id.
        events(WorkerEvent::Trouble { error: &error });
    }
    {
        let mut tally = lock(&shared.tally);
        match result.record.verdict {
            Verdict::Match => tally.matched += 1,
            Verdict::NoMatch => tally.no_match += 1,
            Verdict::Error => tally.errors += 1,
        }
    }
    events(WorkerEvent::Done {
        result: &result,
        seconds: started.elapsed().as_secs_f64(),
    });
}

/// Scans `file` against `loaded` on a blocking thread, signalling
/// progress on `taken` meanwhile; its record, named `named` (a copy of an
/// uploaded file is removed after); `None` if a stop asked for the job to
/// be handed back first (the scan's thread is left to the process's end).
async fn scan_in_flight(
    shared: &Shared,
    taken: &TakenJob,
    stop: &mut watch::Receiver<Stop>,
    loaded: Arc<Loaded>,
    file: PathBuf,
    named: String,
) -> Option<FileRecord> {
    let config = shared.settings.scan.clone();
    let failed_as = named.clone();
    let mut scan = tokio::task::spawn_blocking(move || {
        let mut record = Scanner::new(&loaded.catalog, config).scan_path(&file);
        if file.as_os_str() != named.as_str() {
            record.file = named;
            let _ = std::fs::remove_file(&file);
        }
        record
    });
    let mut beat = tokio::time::interval(taken_beat(shared.queue.settings()));
    beat.reset(); // the first signal one period in, not at once
    loop {
        tokio::select! {
            done = &mut scan => return Some(match done {
                Ok(record) => record,
                // `scan_path` catches the engine's panics; this is the
                // thread itself failing.
                Err(e) => FileRecord::failed(failed_as, &e),
            }),
            _ = beat.tick() => {
                if let Err(error) = taken.in_progress().await {
                    (shared.events)(WorkerEvent::Trouble { error: &error });
                }
            }
            _ = hand_back_asked(stop) => return None,
        }
    }
}

/// Publishes `result` (the client retries while the server cannot store
/// it), signalling progress on the job meanwhile; whether it was stored.
async fn publish(shared: &Shared, taken: &TakenJob, result: &ResultRecord) -> bool {
    let publishing = shared.fleet.publish_result(result);
    tokio::pin!(publishing);
    let mut beat = tokio::time::interval(taken_beat(shared.queue.settings()));
    beat.reset();
    loop {
        tokio::select! {
            published = &mut publishing => {
                return match published {
                    Ok(()) => true,
                    Err(error) => {
                        (shared.events)(WorkerEvent::Trouble { error: &error });
                        false
                    }
                };
            }
            _ = beat.tick() => {
                let _ = taken.in_progress().await;
            }
        }
    }
}

/// Where a job's uploaded file is copied to be scanned: in the cache,
/// named by the job and keeping the file's extension (a `.vfp` is read as
/// a fingerprint).
fn upload_copy(cache: &Path, job: &Job) -> PathBuf {
    let extension = Path::new(&job.path)
        .extension()
        .and_then(|e| e.to_str())
        .filter(|e| e.len() <= 8 && e.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map_or_else(String::new, |e| format!(".{e}"));
    cache
        .join("uploads")
        .join(format!("{}-{}{extension}", job.id, std::process::id()))
}

/// How often a job in flight signals progress: three times an ack wait.
fn taken_beat(settings: QueueSettings) -> Duration {
    (settings.ack_wait / 3).max(Duration::from_millis(50))
}

/// Resolves once a stop asks for jobs in flight to be handed back; never,
/// if no one can ask any more.
async fn hand_back_asked(stop: &mut watch::Receiver<Stop>) {
    if stop.wait_for(|s| *s == Stop::HandBack).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// A file given up on: every worker that took it stopped before finishing.
#[derive(Debug, thiserror::Error)]
#[error("{path}: given up after {deliveries} deliveries: each worker that took this file stopped before finishing it (killed, or crashed by the file); scan it alone with `vfp scan` to see why")]
struct GaveUp {
    path: String,
    deliveries: i64,
}

/// `host-pid`: the default name of a worker.
pub fn default_name() -> String {
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into());
    format!("{host}-{}", std::process::id())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
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
        assert_eq!(taken_beat(settings), Duration::from_secs(20));
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
        assert!(default_name().ends_with(&format!("-{}", std::process::id())));
    }
}
