//! The many-machines commands as text: a worker's log lines, what
//! `submit` did, and `results` (each result as `vfp scan` prints its
//! record, jsonl with where it came from) with its summary.

use super::review::Review;
use super::scan::{render as render_record, render_reviewed, Tally};
use super::{count, printable, Rendered};
use crate::args::ScanFormat;
use vfp_fleet::queue::{QueueState, ResultRecord};
use vfp_fleet::worker::{WorkerEvent, WorkerTally};
use vfp_scan::Verdict;

/// A worker's log line for `event` (with its newline); `None` for the
/// per-job lines when `quiet`.
pub fn worker_event(worker: &str, event: &WorkerEvent<'_>, quiet: bool) -> Option<String> {
    let line = match event {
        WorkerEvent::Catalog {
            version,
            titles,
            frames,
            seconds,
        } => format!(
            "catalog {:?} {version}: {}, {} frames, ready in {seconds:.1} s",
            version.name,
            count(*titles, "title"),
            frames
        ),
        WorkerEvent::Took { job, delivery } if !quiet => format!(
            "{} {}: taken (delivery {delivery})",
            printable(&job.id),
            printable(&job.path)
        ),
        WorkerEvent::Done { result, seconds } if !quiet => {
            let record = &result.record;
            let outcome = match record.verdict {
                Verdict::Match => match record.matches.first() {
                    Some(m) => format!(
                        "match, {} (score {:.3}), {}",
                        printable(&m.title_id),
                        m.score,
                        count(record.matches.len(), "segment")
                    ),
                    None => "match".into(),
                },
                Verdict::NoMatch => "no match".into(),
                Verdict::Error => format!(
                    "error: {}",
                    printable(record.error.as_deref().unwrap_or("unknown"))
                ),
                Verdict::Inconclusive => format!(
                    "inconclusive: {}",
                    printable(record.inconclusive_because.as_deref().unwrap_or("unknown"))
                ),
                Verdict::Skipped => format!(
                    "skipped: {}",
                    printable(record.skipped_because.as_deref().unwrap_or("unknown"))
                ),
            };
            format!(
                "{} {}: {outcome}, {seconds:.1} s",
                printable(&result.job_id),
                printable(&record.file)
            )
        }
        WorkerEvent::HandedBack { job } => {
            format!(
                "{} {}: handed back",
                printable(&job.id),
                printable(&job.path)
            )
        }
        WorkerEvent::Cleaned { copies } => format!(
            "removed {} left in the cache by workers that are gone",
            count(*copies, "upload copy file")
        ),
        WorkerEvent::Refused { why } => {
            format!(
                "warning: removed from the queue, not a valid job: {}",
                printable(why)
            )
        }
        WorkerEvent::Trouble { error } => format!("warning: {}", printable(&error.to_string())),
        WorkerEvent::Took { .. } | WorkerEvent::Done { .. } => return None,
    };
    Some(format!("vfp worker {worker}: {line}\n"))
}

/// The worker's last line.
pub fn worker_stopped(worker: &str, tally: &WorkerTally) -> String {
    let files = tally.matched + tally.no_match + tally.errors;
    format!(
        "vfp worker {worker}: stopped after {}: {} matched, {} no match, {}; {} handed back\n",
        count(files as usize, "file"),
        tally.matched,
        tally.no_match,
        count(tally.errors as usize, "error"),
        tally.handed_back
    )
}

/// What a stop signal does now.
pub fn worker_stopping(worker: &str, hand_back: bool) -> String {
    if hand_back {
        format!("vfp worker {worker}: stopping: handing the jobs in flight back\n")
    } else {
        format!(
            "vfp worker {worker}: stopping: finishing the jobs in flight (signal again to hand them back)\n"
        )
    }
}

/// `submit`'s note on stderr.
pub fn submitted(url: &str, batch: &str, files: usize) -> String {
    format!(
        "vfp: submitted {} to {url} as batch {batch}; read the results with\n  vfp results --nats {url} --batch {batch} --follow\n",
        count(files, "file")
    )
}

/// One result in `format`: the scan's rendering of its record; jsonl adds
/// where it came from (`job_id`, `batch`, `worker`, `catalog_version`).
pub fn result(format: ScanFormat, result: &ResultRecord, review: Option<&Review>) -> Rendered {
    match format {
        ScanFormat::Jsonl => {
            let mut value = serde_json::to_value(result).unwrap_or_else(|e| {
                serde_json::json!({
                    "file": result.record.file,
                    "job_id": result.job_id,
                    "verdict": "error",
                    "error": e.to_string(),
                })
            });
            if let (Some(review), Some(fields)) = (review, value.as_object_mut()) {
                fields.insert(
                    "review".into(),
                    serde_json::to_value(review).unwrap_or_default(),
                );
            }
            Rendered::stdout(format!("{value}\n"))
        }
        ScanFormat::Human | ScanFormat::Csv => match review {
            Some(review) => render_reviewed(format, &result.record, review),
            None => render_record(format, &result.record),
        },
    }
}

/// What `results` read, for its summary.
#[derive(Clone, Debug, Default)]
pub struct ResultsSeen {
    /// How the files ended.
    pub tally: Tally,
    /// Results of the batches on record.
    pub done: u64,
    /// Files submitted in them.
    pub submitted: u64,
    /// Batches read.
    pub batches: usize,
    /// Workers that made the results.
    pub workers: std::collections::BTreeSet<String>,
    /// Catalog versions the results were matched against.
    pub versions: std::collections::BTreeSet<String>,
}

/// The closing lines of `results` on stderr: `vfp: 48 of 50 files have a
/// result: 3 matched, 44 no match, 1 error; 2 in flight, 0 waiting; 3
/// workers; catalog r3-5f0c9a1b2e4d`.
pub fn results_summary(seen: &ResultsSeen, queue: Option<QueueState>) -> String {
    let t = &seen.tally;
    let mut line = format!(
        "vfp: {} of {} submitted in {} have a result: {} matched, {} no match, {}",
        seen.done,
        count(seen.submitted as usize, "file"),
        if seen.batches == 1 {
            "1 batch".to_owned()
        } else {
            format!("{} batches", seen.batches)
        },
        t.matched,
        t.no_match,
        count(t.errors, "error"),
    );
    if t.inconclusive > 0 {
        line.push_str(&format!(", {} inconclusive", t.inconclusive));
    }
    if t.reviewed {
        line.push_str(&format!(
            "; review ledger: {} of the matched files to act on, {} settled",
            t.to_act_on, t.settled
        ));
    }
    if let Some(q) = queue {
        line.push_str(&format!(
            "; queue: {} in flight, {} waiting",
            q.taken, q.waiting
        ));
    }
    if !seen.workers.is_empty() {
        line.push_str(&format!("; {}", count(seen.workers.len(), "worker")));
    }
    if !seen.versions.is_empty() {
        let versions: Vec<&str> = seen.versions.iter().map(String::as_str).collect();
        line.push_str(&format!("; catalog {}", versions.join(", ")));
    }
    line.push('\n');
    line
}

/// The progress bar's message while following.
pub fn following(queue: QueueState, workers: usize) -> String {
    format!(
        "{} in flight, {} waiting, {}",
        queue.taken,
        queue.waiting,
        count(workers, "worker")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::scan::tests::{matched, record};

    fn result_of(verdict: Verdict) -> ResultRecord {
        let matches = match verdict {
            Verdict::Match => vec![matched("ep1", "Pilot", false)],
            _ => Vec::new(),
        };
        ResultRecord {
            record: record(verdict, matches),
            job_id: "b-0".into(),
            batch: "b".into(),
            worker: "host-7".into(),
            catalog_version: Some("r3-5f0c9a1b2e4d".into()),
        }
    }

    #[test]
    fn a_result_prints_as_the_scan_prints_its_record() {
        let r = result_of(Verdict::Match);
        for format in [ScanFormat::Human, ScanFormat::Csv] {
            assert_eq!(result(format, &r, None), render_record(format, &r.record));
        }
        let line = result(ScanFormat::Jsonl, &r, None).stdout;
        let json: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        assert_eq!(json["worker"], "host-7");
        assert_eq!(json["catalog_version"], "r3-5f0c9a1b2e4d");
        assert_eq!(json["matches"][0]["title_id"], "ep1");
        assert_eq!(
            serde_json::from_str::<vfp_scan::FileRecord>(&line).ok(),
            Some(r.record)
        );
    }

    #[test]
    fn the_worker_logs_each_job_unless_quiet() {
        let r = result_of(Verdict::Match);
        let done = WorkerEvent::Done {
            result: &r,
            seconds: 2.04,
        };
        let line = worker_event("w1", &done, false).unwrap_or_default();
        assert!(
            line.starts_with("vfp worker w1: b-0 ")
                && line.ends_with(": match, ep1 (score 0.981), 1 segment, 2.0 s\n"),
            "{line}"
        );
        assert_eq!(worker_event("w1", &done, true), None);
        let error = vfp_fleet::FleetError::NoSuchCatalog {
            url: "nats://h:4222".into(),
            name: "slate".into(),
        };
        let trouble = worker_event("w1", &WorkerEvent::Trouble { error: &error }, true);
        assert!(trouble.is_some_and(|l| l.contains("warning: no catalog named")));
    }

    #[test]
    fn the_summary_says_how_far_the_batch_is() {
        let mut seen = ResultsSeen {
            done: 2,
            submitted: 3,
            batches: 1,
            ..Default::default()
        };
        seen.tally.add(&result_of(Verdict::Match).record);
        seen.tally.add(&result_of(Verdict::NoMatch).record);
        seen.workers.insert("w1".into());
        seen.versions.insert("r1-000000000000".into());
        let text = results_summary(
            &seen,
            Some(QueueState {
                waiting: 0,
                taken: 1,
            }),
        );
        assert_eq!(
            text,
            "vfp: 2 of 3 files submitted in 1 batch have a result: 1 matched, 1 no match, 0 errors; queue: 1 in flight, 0 waiting; 1 worker; catalog r1-000000000000\n"
        );
    }
}
