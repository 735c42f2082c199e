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
//! A job on its last delivery ([`TakenJob::last_attempt`](crate::queue::TakenJob::last_attempt)) is not scanned:
//! every worker that took it before stopped mid-file, so the file is
//! recorded as an error instead of killing another worker.
//!
//! Stopping: [`Stop::Finish`] takes no new job and finishes those in
//! flight; [`Stop::HandBack`] gives those in flight back to the queue at
//! once, for another worker.
//!
//! - `slot`: one slot's loop and the life of a job in it.
//! - `stop`: how a worker is asked to stop, as each slot sees it.

mod slot;
mod stop;

pub use stop::Stop;

use crate::catalogs::CatalogVersion;
use crate::queue::{Job, JobQueue, QueueSettings, ResultRecord};
use crate::Fleet;
use crate::FleetError;
use slot::Slot;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use stop::StopSignal;
use tokio::sync::watch;
use vfp_index::Catalog;
use vfp_scan::ScanConfig;

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
    /// The folders job paths must lie under, resolved (symbolic links
    /// followed); empty: any path. A job naming another path gets an
    /// error record, its file unread.
    pub files_under: Vec<PathBuf>,
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
    /// Upload copies left by workers that are gone (killed mid-job) were
    /// removed from the cache.
    Cleaned {
        /// How many.
        copies: usize,
    },
    /// A message on the queue that is no valid job was removed for good.
    Refused {
        /// Why it is no job.
        why: &'a str,
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
pub(super) struct Loaded {
    pub(super) catalog: Catalog,
    pub(super) version: CatalogVersion,
}

impl Loaded {
    /// The event of this release opened, `started` when its fetch began.
    fn opened(&self, started: Instant) -> WorkerEvent<'_> {
        WorkerEvent::Catalog {
            version: &self.version,
            titles: self.catalog.titles().len(),
            frames: self.catalog.frame_count(),
            seconds: started.elapsed().as_secs_f64(),
        }
    }
}

/// What every slot shares.
pub(super) struct Shared {
    pub(super) fleet: Arc<Fleet>,
    pub(super) queue: JobQueue,
    pub(super) settings: WorkerSettings,
    pub(super) current: watch::Receiver<Arc<Loaded>>,
    events: Events,
    tally: Mutex<WorkerTally>,
    /// Jobs in flight, and when the last one ended (for `stop_when_idle`).
    busy: AtomicUsize,
    last_busy: Mutex<Instant>,
}

impl Shared {
    /// The tally so far.
    pub(super) fn tally(&self) -> MutexGuard<'_, WorkerTally> {
        self.tally.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reports `event`.
    pub(super) fn report(&self, event: WorkerEvent<'_>) {
        (self.events)(event);
    }

    /// A slot took a job.
    pub(super) fn job_taken(&self) {
        self.busy.fetch_add(1, Ordering::SeqCst);
    }

    /// A slot's job ended (done, handed back or left to the queue).
    pub(super) fn job_ended(&self) {
        *self
            .last_busy
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Instant::now();
        self.busy.fetch_sub(1, Ordering::SeqCst);
    }

    /// Whether no job has been in flight for
    /// [`WorkerSettings::stop_when_idle`] (never without it).
    pub(super) fn idle_long_enough(&self) -> bool {
        self.settings.stop_when_idle.is_some_and(|idle| {
            self.busy.load(Ordering::SeqCst) == 0
                && self
                    .last_busy
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .elapsed()
                    >= idle
        })
    }
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
    let loaded = match load(&fleet, &settings).await {
        Ok(loaded) => loaded,
        // The current release does not fetch or open (a bad publish, a
        // server away): the last good one in the cache serves, if any.
        Err(error) => match Fleet::cached(&settings.catalog, &settings.cache) {
            Some((catalog, version)) => {
                events(WorkerEvent::Trouble { error: &error });
                Loaded { catalog, version }
            }
            None => return Err(error),
        },
    };
    events(loaded.opened(started));
    let orphans = slot::remove_orphan_copies(&settings.cache);
    if orphans > 0 {
        events(WorkerEvent::Cleaned { copies: orphans });
    }
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
        .map(|_| tokio::spawn(Slot::new(shared.clone(), StopSignal::new(stop.clone())).run()))
        .collect();
    for slot in slots {
        // A slot's task ends on its own; a panic in one is a bug that
        // must not take the others' jobs with it.
        let _ = slot.await;
    }
    refresher.abort();
    let tally = *shared.tally();
    Ok(tally)
}

/// The current release of the catalog, fetched and open.
async fn load(fleet: &Fleet, settings: &WorkerSettings) -> Result<Loaded, FleetError> {
    let (catalog, version) = fleet.fetch(&settings.catalog, &settings.cache).await?;
    Ok(Loaded { catalog, version })
}

/// Checks for a newer release every `refresh` and hands it to the slots.
/// A release that failed to fetch or open is not tried again (each try
/// downloaded its bad segment anew): the next publish is.
async fn refresh(shared: Arc<Shared>, publish: watch::Sender<Arc<Loaded>>) {
    let name = &shared.settings.catalog;
    let mut failed: Option<CatalogVersion> = None;
    loop {
        tokio::time::sleep(shared.settings.refresh).await;
        let current = publish.borrow().version.clone();
        let offered = match shared.fleet.release(name).await {
            Ok((_, version)) => version,
            Err(error) => {
                shared.report(WorkerEvent::Trouble { error: &error });
                continue;
            }
        };
        if offered == current || failed.as_ref() == Some(&offered) {
            continue;
        }
        let started = Instant::now();
        match load(&shared.fleet, &shared.settings).await {
            Ok(loaded) => {
                shared.report(loaded.opened(started));
                let keep = loaded.version.clone();
                publish.send_replace(Arc::new(loaded));
                // Jobs in flight keep the release they started with open
                // (mapped): removing its files does not disturb them.
                if let Err(error) =
                    crate::catalogs::prune_cache(&shared.settings.cache, name, &keep)
                {
                    shared.report(WorkerEvent::Trouble { error: &error });
                }
            }
            Err(error) => {
                failed = Some(offered);
                shared.report(WorkerEvent::Trouble { error: &error });
            }
        }
    }
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
