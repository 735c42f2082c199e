//! The job queue and the results against a real nats-server: what a
//! worker's death, a slow file, a poison file and a server restart do.

use std::time::Duration;
use vfp_fleet::local_server::LocalServer;
use vfp_fleet::queue::{JobQueue, Next, QueueSettings, QueueState, ResultRecord, TakenJob};
use vfp_fleet::Fleet;
use vfp_scan::{FileRecord, Verdict};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn paths(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| format!("/shared/{n}.mp4")).collect()
}

/// A result of job `job_id` (`b4-0` is given the random part a job id
/// has).
fn result(job_id: &str, batch: &str, worker: &str) -> ResultRecord {
    let job_id = if job_id.matches('-').count() >= 2 {
        job_id.to_owned()
    } else {
        format!("{job_id}-{}", "5a".repeat(16))
    };
    ResultRecord {
        record: FileRecord {
            sha256: Some("00".repeat(32)),
            duration_s: Some(10.0),
            ..FileRecord::new(format!("/shared/{batch}.mp4"), Verdict::NoMatch)
        },
        job_id,
        batch: batch.into(),
        worker: worker.into(),
        catalog_version: Some("r1-000000000000".into()),
    }
}

/// The next job of `queue`, if one comes within `wait`.
async fn take(queue: &JobQueue, wait: Duration) -> Option<TakenJob> {
    match queue.next(wait).await.expect("the queue answers") {
        Some(Next::Job(job)) => Some(*job),
        Some(Next::Refused(why)) => panic!("a submitted job was refused: {why}"),
        None => None,
    }
}

/// A job id without its random part: `b1-0` of `b1-0-<32 hex digits>`.
fn numbered(id: &str) -> &str {
    let (head, random) = id.rsplit_once('-').expect("a job id");
    assert_eq!(random.len(), 32, "{id}");
    head
}

const SHORT: QueueSettings = QueueSettings {
    ack_wait: Duration::from_millis(800),
    max_deliver: 3,
};

#[test]
fn a_job_whose_worker_dies_is_handed_out_again_after_its_ack_wait() {
    let server = LocalServer::start().expect("nats-server");
    runtime().block_on(async {
        let fleet = Fleet::connect(&server.url).await.unwrap();
        let jobs = fleet.submit("b1", &paths(&["a", "b"])).await.unwrap();
        assert_eq!(numbered(&jobs[1].id), "b1-1");
        let queue = fleet.job_queue(SHORT).await.unwrap();
        let wait = Duration::from_secs(2);

        // A worker takes "a" and dies: no ack, no progress.
        let a = take(&queue, wait).await.expect("a");
        assert_eq!((a.job.path.as_str(), a.delivery), ("/shared/a.mp4", 1));
        drop(a);
        let b = take(&queue, wait).await.expect("b");
        assert_eq!(numbered(&b.job.id), "b1-1");
        b.done().await.unwrap();
        // "a" comes back once its ack wait has passed.
        let again = take(&queue, Duration::from_secs(3)).await.expect("a again");
        assert_eq!((numbered(&again.job.id), again.delivery), ("b1-0", 2));
        assert!(!again.last_attempt);
        again.done().await.unwrap();
        assert!(take(&queue, Duration::from_millis(1500)).await.is_none());
    });
}

#[test]
fn a_job_in_progress_is_not_handed_to_a_second_worker() {
    let server = LocalServer::start().expect("nats-server");
    runtime().block_on(async {
        let fleet = Fleet::connect(&server.url).await.unwrap();
        fleet.submit("b2", &paths(&["long"])).await.unwrap();
        let (first, second) = (
            fleet.job_queue(SHORT).await.unwrap(),
            fleet.job_queue(SHORT).await.unwrap(),
        );
        let job = take(&first, Duration::from_secs(2)).await.expect("job");
        // Three ack waits of work, with a progress signal every 300 ms.
        for _ in 0..8 {
            job.in_progress().await.unwrap();
            assert!(take(&second, Duration::from_millis(300)).await.is_none());
        }
        job.done().await.unwrap();
        assert!(take(&second, Duration::from_millis(1500)).await.is_none());
    });
}

#[test]
fn a_job_that_kills_every_worker_ends_at_its_last_attempt() {
    let server = LocalServer::start().expect("nats-server");
    runtime().block_on(async {
        let fleet = Fleet::connect(&server.url).await.unwrap();
        fleet.submit("b3", &paths(&["poison"])).await.unwrap();
        let queue = fleet.job_queue(SHORT).await.unwrap();
        for delivery in 1..=2 {
            let job = take(&queue, Duration::from_secs(3)).await.expect("job");
            assert_eq!((job.delivery, job.last_attempt), (delivery, false));
            drop(job); // the worker dies
        }
        let last = take(&queue, Duration::from_secs(3)).await.expect("last");
        assert_eq!((last.delivery, last.last_attempt), (3, true));
        // The worker records an error instead of scanning, and acks.
        fleet
            .publish_result(&result(&last.job.id, "b3", "w1"))
            .await
            .unwrap();
        last.done().await.unwrap();
        assert!(take(&queue, Duration::from_secs(2)).await.is_none());
        assert_eq!(fleet.results(Some("b3")).await.unwrap().len(), 1);
    });
}

#[test]
fn results_hold_one_record_per_job_of_the_batch() {
    let server = LocalServer::start().expect("nats-server");
    runtime().block_on(async {
        let fleet = Fleet::connect(&server.url).await.unwrap();
        assert!(fleet.results(None).await.unwrap().is_empty());
        // Job b4-0 finished twice (its first worker was thought dead).
        fleet
            .publish_result(&result("b4-0", "b4", "w1"))
            .await
            .unwrap();
        fleet
            .publish_result(&result("b4-0", "b4", "w2"))
            .await
            .unwrap();
        fleet
            .publish_result(&result("b4-1", "b4", "w2"))
            .await
            .unwrap();
        fleet
            .publish_result(&result("b5-0", "b5", "w1"))
            .await
            .unwrap();
        let b4 = fleet.results(Some("b4")).await.unwrap();
        let ids: Vec<(&str, &str)> = b4
            .iter()
            .map(|r| (numbered(&r.job_id), r.worker.as_str()))
            .collect();
        assert_eq!(ids, [("b4-0", "w1"), ("b4-1", "w2")]);
        assert_eq!(fleet.results(None).await.unwrap().len(), 3);
    });
}

#[test]
fn jobs_and_results_survive_a_server_restart() {
    let mut server = LocalServer::start().expect("nats-server");
    let rt = runtime();
    rt.block_on(async {
        let fleet = Fleet::connect(&server.url).await.unwrap();
        fleet.submit("b6", &paths(&["x", "y", "z"])).await.unwrap();
        fleet
            .publish_result(&result("b6-0", "b6", "w1"))
            .await
            .unwrap();
    });
    server.restart().expect("restart");
    rt.block_on(async {
        let fleet = Fleet::connect(&server.url).await.unwrap();
        let queue = fleet.job_queue(SHORT).await.unwrap();
        let mut ids = Vec::new();
        while let Some(job) = take(&queue, Duration::from_secs(2)).await {
            ids.push(numbered(&job.job.id).to_owned());
            job.done().await.unwrap();
        }
        assert_eq!(ids, ["b6-0", "b6-1", "b6-2"], "{}", server.log());
        assert_eq!(fleet.results(Some("b6")).await.unwrap().len(), 1);
    });
}

#[test]
fn a_batch_records_its_size_once_and_is_followed_to_its_end() {
    let server = LocalServer::start().expect("nats-server");
    runtime().block_on(async {
        let fleet = Fleet::connect(&server.url).await.unwrap();
        assert_eq!(fleet.batch("b7").await.unwrap(), None);
        assert_eq!(fleet.queue_state().await.unwrap(), QueueState::default());
        fleet.submit("b7", &paths(&["a", "b"])).await.unwrap();
        fleet.submit("b8", &paths(&["c"])).await.unwrap();
        assert_eq!(fleet.batch("b7").await.unwrap().unwrap().files, 2);
        let ids: Vec<_> = fleet
            .batches()
            .await
            .unwrap()
            .into_iter()
            .map(|b| (b.id, b.files))
            .collect();
        assert_eq!(ids, [("b7".to_owned(), 2), ("b8".to_owned(), 1)]);
        // The same id again would give jobs of the same ids.
        let again = fleet.submit("b7", &paths(&["d"])).await.unwrap_err();
        assert!(again.to_string().contains("submitted already"), "{again}");
        assert!(fleet.submit("b.9", &paths(&["d"])).await.is_err());

        let queue = fleet.job_queue(SHORT).await.unwrap();
        assert_eq!(
            fleet.queue_state().await.unwrap(),
            QueueState {
                waiting: 3,
                taken: 0
            }
        );
        let taken = take(&queue, Duration::from_secs(2)).await.unwrap();
        assert_eq!(
            fleet.queue_state().await.unwrap(),
            QueueState {
                waiting: 2,
                taken: 1
            }
        );
        // A follower sees the batch's results as they come, and only its.
        let mut follower = fleet.read_results(Some("b7"), true).await.unwrap();
        fleet
            .publish_result(&result("b8-0", "b8", "w1"))
            .await
            .unwrap();
        fleet
            .publish_result(&result(&taken.job.id, "b7", "w1"))
            .await
            .unwrap();
        taken.done().await.unwrap();
        let first = follower.next().await.unwrap().unwrap();
        assert_eq!(numbered(&first.job_id), "b7-0");
        let waiting = tokio::time::timeout(Duration::from_millis(500), follower.next()).await;
        assert!(waiting.is_err(), "nothing more yet: {waiting:?}");
        fleet
            .publish_result(&result("b7-1", "b7", "w2"))
            .await
            .unwrap();
        assert_eq!(
            numbered(&follower.next().await.unwrap().unwrap().job_id),
            "b7-1"
        );
    });
}
