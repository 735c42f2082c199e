//! `vfp results`: the workers' results read back from NATS JetStream, one
//! per submitted file, printed as `vfp scan` prints its records; with
//! `--follow`, until every submitted file has one.
//!
//! The exit status is the scan's (0 a match, 1 none, 2 some files failed)
//! once every file of the batches read has a result, 3 before.

use super::review_of;
use crate::args::ResultsConfig;
use crate::exit::Status;
use crate::output::fleet::{following, result, results_summary, ResultsSeen};
use crate::output::scan::header;
use crate::output::{progress, to_stdout, Rendered};
use anyhow::{anyhow, Context, Result};
use std::collections::HashMap;
use std::time::Duration;
use vfp_fleet::Fleet;

/// How often a follower refreshes the queue's state.
const FOLLOW_TICK: Duration = Duration::from_secs(1);
/// Ticks between re-reads of every batch on record (following without
/// `--batch`: batches submitted meanwhile join).
const BATCHES_EVERY: u32 = 10;

/// Runs `vfp results`.
pub fn run(cfg: ResultsConfig) -> Result<Status> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the NATS client's runtime")?;
    runtime.block_on(read(cfg))
}

async fn read(cfg: ResultsConfig) -> Result<Status> {
    let mut ledger = match &cfg.ledger {
        Some(location) => Some(vfp_ledger::Ledger::open(location)?),
        None => None,
    };
    let fleet = Fleet::connect(&cfg.nats).await?;
    // Files submitted per batch: what completes each.
    let mut submitted = batches(&fleet, cfg.batch.as_deref()).await?;
    let mut reader = fleet.read_results(cfg.batch.as_deref(), cfg.follow).await?;
    let mut seen = ResultsSeen::default();
    let mut done: HashMap<String, u64> = HashMap::new();
    let bar = if cfg.follow && !cfg.quiet {
        progress::files(0)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let count = |submitted: &HashMap<String, u64>, done: &HashMap<String, u64>| {
        let total: u64 = submitted.values().sum();
        let finished: u64 = submitted
            .iter()
            .map(|(b, n)| done.get(b).copied().unwrap_or(0).min(*n))
            .sum();
        (finished, total)
    };
    if let Some(text) = header(cfg.format) {
        to_stdout(&text)?;
    }
    let mut tick = tokio::time::interval(FOLLOW_TICK);
    let mut ticks = 0u32;
    loop {
        let (finished, total) = count(&submitted, &done);
        bar.set_length(total);
        bar.set_position(finished);
        if cfg.follow && finished == total {
            break;
        }
        tokio::select! {
            next = reader.next() => {
                let Some(r) = next? else { break };
                *done.entry(r.batch.clone()).or_default() += 1;
                seen.tally.add(&r.record);
                let review = ledger.as_mut().map(|l| review_of(l, &r.record));
                if let Some(review) = &review {
                    seen.tally.add_review(&r.record, review);
                }
                seen.workers.insert(r.worker.clone());
                if let Some(v) = &r.catalog_version {
                    seen.versions.insert(v.clone());
                }
                if cfg.to_act_on && !review.as_ref().is_some_and(|v| v.to_act_on) {
                    continue;
                }
                let Rendered { stdout, stderr } = result(cfg.format, &r, review.as_ref());
                let printed = bar.suspend(|| {
                    if !stderr.is_empty() {
                        eprint!("{stderr}");
                    }
                    to_stdout(&stdout)
                });
                printed?;
            }
            _ = tick.tick(), if cfg.follow => {
                ticks += 1;
                // Every batch on record is one read each: not every tick.
                if cfg.batch.is_none() && ticks.is_multiple_of(BATCHES_EVERY) {
                    submitted = batches(&fleet, None).await?;
                }
                if let Ok(queue) = fleet.queue_state().await {
                    bar.set_message(following(queue, seen.workers.len()));
                }
            }
        }
    }
    bar.finish_and_clear();
    let (finished, total) = count(&submitted, &done);
    seen.done = finished;
    seen.submitted = total;
    seen.batches = submitted.len();
    if !cfg.quiet {
        eprint!("{}", results_summary(&seen, fleet.queue_state().await.ok()));
    }
    Ok(if finished < total {
        Status::Incomplete
    } else if seen.tally.errors > 0 {
        Status::Error
    } else if cfg.to_act_on {
        if seen.tally.to_act_on > 0 {
            Status::Success
        } else {
            Status::NoMatch
        }
    } else if seen.tally.matched > 0 {
        Status::Success
    } else if seen.tally.inconclusive > 0 {
        Status::Inconclusive
    } else {
        Status::NoMatch
    })
}

/// Files submitted per batch: of `only`, or of every batch on record.
async fn batches(fleet: &Fleet, only: Option<&str>) -> Result<HashMap<String, u64>> {
    Ok(match only {
        Some(id) => {
            let batch = fleet.batch(id).await?.ok_or_else(|| {
                anyhow!(
                    "{}: no batch {id:?} on record: not submitted (or not completely), or older than 30 days",
                    fleet.url()
                )
            })?;
            HashMap::from([(batch.id, batch.files)])
        }
        None => fleet
            .batches()
            .await?
            .into_iter()
            .map(|b| (b.id, b.files))
            .collect(),
    })
}
