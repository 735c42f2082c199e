//! `vfp worker`: jobs from the NATS JetStream queue, scanned against the
//! current release of a published catalog, one result each; SIGTERM or
//! Ctrl-C finishes the jobs in flight, a second one hands them back.

use crate::args::WorkerConfig;
use crate::exit::Status;
use crate::output::fleet::{worker_event, worker_stopped, worker_stopping};
use anyhow::{Context, Result};
use std::sync::Arc;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;
use vfp_fleet::worker::{Events, Stop};
use vfp_fleet::Fleet;

/// Runs `vfp worker` until stopped.
pub fn run(cfg: WorkerConfig) -> Result<Status> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the NATS client's runtime")?;
    let name = cfg.settings.name.clone();
    let quiet = cfg.quiet;
    let result = runtime.block_on(async {
        let (stop, stopped) = watch::channel(Stop::Run);
        let mut term = signal(SignalKind::terminate()).context("cannot catch SIGTERM")?;
        let mut interrupt = signal(SignalKind::interrupt()).context("cannot catch SIGINT")?;
        let log_name = name.clone();
        tokio::spawn(async move {
            for level in [Stop::Finish, Stop::HandBack] {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = interrupt.recv() => {}
                }
                eprint!("{}", worker_stopping(&log_name, level == Stop::HandBack));
                stop.send_replace(level);
            }
        });
        let fleet = Arc::new(Fleet::connect(&cfg.nats).await?);
        let log_name = name.clone();
        let events: Events = Arc::new(move |event| {
            if let Some(line) = worker_event(&log_name, &event, quiet) {
                eprint!("{line}");
            }
        });
        anyhow::Ok(vfp_fleet::worker::run(fleet, cfg.settings, stopped, events).await?)
    });
    // A scan handed back may still be running on a blocking thread: the
    // process ends without waiting for it.
    runtime.shutdown_background();
    let tally = result?;
    eprint!("{}", worker_stopped(&name, &tally));
    Ok(Status::Success)
}
