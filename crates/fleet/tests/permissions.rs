//! The example configuration `docs/nats-server.conf` against a real
//! nats-server: each role (publisher, submitter, worker) does its work
//! through it, and nothing more. A submitter cannot forge a result or
//! write a catalog; a worker cannot submit a job or write a catalog; a
//! publisher cannot read or take jobs and results; nobody can delete or
//! purge the queue.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use vfp_fleet::local_server::LocalServer;
use vfp_fleet::queue::{new_batch_id, ResultRecord};
use vfp_fleet::worker::Stop;
use vfp_fleet::Fleet;
use vfp_index::synthetic::{title, Rng};
use vfp_scan::{FileRecord, Verdict};

fn config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/nats-server.conf")
}

const PASSWORDS: [(&str, &str); 3] = [
    ("VFP_SUBMITTER_PASSWORD", "sub-7c1e"),
    ("VFP_WORKER_PASSWORD", "work-93ad"),
    ("VFP_PUBLISHER_PASSWORD", "pub-40b2"),
];

/// The server's URL with a role's user and password.
fn as_role(url: &str, user: &str, password: &str) -> String {
    url.replacen("nats://", &format!("nats://{user}:{password}@"), 1)
}

/// A raw client of `url` as a role.
async fn raw(url: &str) -> async_nats::Client {
    let parsed: async_nats::ServerAddr = url.parse().expect("a URL");
    let options = async_nats::ConnectOptions::with_user_and_password(
        parsed.username().expect("a user").to_owned(),
        parsed.password().expect("a password").to_owned(),
    );
    options.connect(parsed).await.expect("connects")
}

/// Publishes `payload` on `subject` as `user` through `client`; whether
/// the server refused it (its log says so within a few seconds). A
/// JetStream API request is such a publish.
async fn refused(
    server: &LocalServer,
    client: &async_nats::Client,
    user: &str,
    subject: &str,
    payload: &[u8],
) -> bool {
    client
        .publish(subject.to_owned(), payload.to_vec().into())
        .await
        .expect("sent");
    client.flush().await.expect("flushed");
    let said = format!("User \"{user}\", Subject \"{subject}\"");
    for _ in 0..50 {
        if server
            .log()
            .lines()
            .any(|l| l.contains("Publish Violation") && l.contains(&said))
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[test]
fn each_role_does_its_work_and_nothing_more() {
    let config = config();
    let server = LocalServer::start_with_env(&["-c", config.to_str().expect("UTF-8")], &PASSWORDS)
        .expect("nats-server with docs/nats-server.conf");
    let url = server.url.clone();
    let submitter_url = as_role(&url, "submitter", PASSWORDS[0].1);
    let worker_url = as_role(&url, "worker", PASSWORDS[1].1);
    let publisher_url = as_role(&url, "publisher", PASSWORDS[2].1);
    let dir = tempfile::tempdir().expect("a folder");
    let d = dir.path();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        // The publisher publishes a catalog of one title.
        let mut rng = Rng(3);
        let episode = title("ep1", 400, &mut rng);
        let fingerprint = episode.fingerprint.clone();
        vfp_index::catalog::build(&d.join("cat"), Default::default(), vec![episode])
            .expect("a catalog");
        let catalog = vfp_index::Catalog::open(&d.join("cat")).expect("opens");
        let publisher = Fleet::connect(&publisher_url).await.expect("publisher");
        let published = publisher.publish(&catalog, "slate").await.expect("publish");

        // The submitter uploads a clip of it and submits it.
        let clip = d.join("clip.vfp");
        common::write_clip(&clip, &fingerprint, &mut rng);
        let submitter = Fleet::connect(&submitter_url).await.expect("submitter");
        let upload = submitter.upload(&clip).await.expect("upload");
        let batch = new_batch_id();
        let jobs = submitter
            .submit_uploaded(&batch, &[("clip.vfp".to_owned(), upload)])
            .await
            .expect("submit");

        // A worker scans it.
        let worker = Arc::new(Fleet::connect(&worker_url).await.expect("worker"));
        let settings = common::worker_settings(
            d.join("cache"),
            Duration::from_secs(60),
            Duration::from_secs(2),
        );
        let (_stop, stop) = tokio::sync::watch::channel(Stop::Run);
        let tally = vfp_fleet::worker::run(worker, settings, stop, Arc::new(|_| {}))
            .await
            .expect("the worker runs");
        assert_eq!(tally.matched, 1, "{tally:?}; {}", server.log());

        // The submitter reads its result.
        let results = submitter.results(Some(&batch)).await.expect("results");
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].record.verdict, Verdict::Match);

        // And what `vfp results` without --batch, and --follow, ask.
        let batches = submitter.batches().await.expect("batches");
        assert_eq!(batches.len(), 1);
        submitter.queue_state().await.expect("queue state");

        // All of it within the permissions.
        assert!(
            !server.log().contains("Violation"),
            "a role's work was refused:\n{}",
            server.log()
        );

        // A submitter cannot publish a result (a forged "no match" for
        // the real job), write a catalog, take a job, or purge or delete
        // the queue.
        let forged = ResultRecord {
            record: FileRecord {
                sha256: Some("00".repeat(32)),
                duration_s: Some(10.0),
                ..FileRecord::new("clip.vfp".into(), Verdict::NoMatch)
            },
            job_id: jobs[0].id.clone(),
            batch: batch.clone(),
            worker: "w1".into(),
            catalog_version: None,
        };
        let forged = serde_json::to_vec(&forged).expect("JSON");
        let results_subject = format!("vfp.results.{batch}");
        let as_submitter = raw(&submitter_url).await;
        for subject in [
            results_subject.as_str(),
            "$KV.vfp_catalogs.slate",
            "$O.vfp_segments.M.x",
            "$JS.API.STREAM.PURGE.VFP_JOBS",
            "$JS.API.STREAM.PURGE.VFP_RESULTS",
            "$JS.API.STREAM.DELETE.VFP_RESULTS",
            "$JS.API.STREAM.DELETE.KV_vfp_catalogs",
            "$JS.API.STREAM.UPDATE.VFP_RESULTS",
            "$JS.API.CONSUMER.DELETE.VFP_JOBS.vfp-workers",
            "$JS.API.CONSUMER.MSG.NEXT.VFP_JOBS.vfp-workers",
        ] {
            assert!(
                refused(&server, &as_submitter, "submitter", subject, &forged).await,
                "submitter may publish to {subject}:\n{}",
                server.log()
            );
        }

        // A worker cannot submit a job, write a catalog or a batch, or
        // purge the results.
        let as_worker = raw(&worker_url).await;
        for subject in [
            "vfp.jobs",
            "$KV.vfp_catalogs.slate",
            "$KV.vfp_batches.x",
            "$O.vfp_uploads.M.x",
            "$JS.API.STREAM.PURGE.VFP_RESULTS",
        ] {
            assert!(
                refused(&server, &as_worker, "worker", subject, b"{}").await,
                "worker may publish to {subject}"
            );
        }

        // A publisher sees no job and no result.
        let as_publisher = raw(&publisher_url).await;
        for subject in [
            "vfp.jobs",
            results_subject.as_str(),
            "$JS.API.CONSUMER.CREATE.VFP_RESULTS",
            "$JS.API.CONSUMER.MSG.NEXT.VFP_JOBS.vfp-workers",
        ] {
            assert!(
                refused(&server, &as_publisher, "publisher", subject, b"{}").await,
                "publisher may publish to {subject}"
            );
        }

        // The result and the catalog are as they were.
        let results = submitter.results(Some(&batch)).await.expect("results");
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].record.verdict, Verdict::Match);
        let (_, version) = publisher.release("slate").await.expect("release");
        assert_eq!(version, published.version);
    });
}
