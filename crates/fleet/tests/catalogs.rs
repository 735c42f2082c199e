//! Catalogs published to and fetched from a real nats-server.

mod common;

use vfp_fingerprint::HashParams;
use vfp_fleet::catalogs::{CATALOGS_BUCKET, SEGMENTS_BUCKET};
use vfp_fleet::local_server::LocalServer;
use vfp_fleet::Fleet;
use vfp_fleet::FleetError;
use vfp_index::synthetic::{title, Rng};
use vfp_index::Catalog;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn catalog_with(dir: &std::path::Path, ids: &[&str], rng: &mut Rng) -> Catalog {
    let titles = ids.iter().map(|id| title(id, 400, rng)).collect();
    vfp_index::catalog::build(dir, HashParams::default(), titles).expect("build");
    Catalog::open(dir).expect("open")
}

#[test]
fn a_published_catalog_is_fetched_whole_and_a_republish_uploads_only_the_new_segment() {
    let server = LocalServer::start().expect("nats-server");
    let tmp = tempfile::tempdir().unwrap();
    let (src, cache) = (tmp.path().join("catalog"), tmp.path().join("cache"));
    let mut rng = Rng(7);
    let catalog = catalog_with(&src, &["ep1", "ep2"], &mut rng);
    let rt = runtime();
    rt.block_on(async {
        let fleet = Fleet::connect(&server.url).await.expect("connect");
        let first = fleet.publish(&catalog, "slate").await.expect("publish");
        assert_eq!((first.segments, first.uploaded), (1, 1));

        let (fetched, version) = fleet.fetch("slate", &cache).await.expect("fetch");
        assert_eq!(version, first.version);
        assert_eq!(fetched.frame_count(), catalog.frame_count());
        assert_eq!(fetched.titles().len(), 2);
        fetched.verify().expect("fetched segments check out");
        // The same files as the source: the manifest and every segment.
        assert_eq!(fetched.files().unwrap(), catalog.files().unwrap());

        // An add makes a second segment; only it is uploaded.
        vfp_index::catalog::add(&src, vec![title("ep3", 300, &mut rng)]).expect("add");
        let grown = Catalog::open(&src).unwrap();
        let second = fleet.publish(&grown, "slate").await.expect("publish again");
        assert_eq!((second.segments, second.uploaded), (2, 1));
        assert!(second.version.revision > first.version.revision);
        assert_ne!(
            second.version.manifest_sha256,
            first.version.manifest_sha256
        );
        let (fetched, version) = fleet.fetch("slate", &cache).await.expect("fetch again");
        assert_eq!(version, second.version);
        assert_eq!(fetched.titles().len(), 3);
        // The first release's folder stays for workers still using it.
        assert!(cache
            .join("catalogs/slate")
            .join(first.version.to_string())
            .is_dir());

        // Publishing the same catalog again uploads nothing.
        let third = fleet.publish(&grown, "slate").await.expect("publish same");
        assert_eq!(third.uploaded, 0);
    });
}

#[test]
fn a_damaged_segment_on_the_server_is_refused_and_nothing_is_installed() {
    let server = LocalServer::start().expect("nats-server");
    let tmp = tempfile::tempdir().unwrap();
    let (src, cache) = (tmp.path().join("catalog"), tmp.path().join("cache"));
    let catalog = catalog_with(&src, &["ep1"], &mut Rng(9));
    let rt = runtime();
    rt.block_on(async {
        let fleet = Fleet::connect(&server.url).await.expect("connect");
        fleet.publish(&catalog, "slate").await.expect("publish");
        let (release, version) = fleet.release("slate").await.expect("release");
        // Someone replaces the segment's object with other bytes.
        let client = async_nats::connect(&server.url).await.unwrap();
        let js = async_nats::jetstream::new(client);
        let store = js.get_object_store(SEGMENTS_BUCKET).await.unwrap();
        let mut other: &[u8] = &vec![7u8; release.segments[0].bytes as usize];
        store
            .put(release.segments[0].object_name().as_str(), &mut other)
            .await
            .unwrap();

        let err = fleet
            .fetch("slate", &cache)
            .await
            .map(|_| ())
            .expect_err("refused");
        assert!(
            matches!(err, FleetError::BadRelease { ref reason, .. } if reason.contains("SHA-256")),
            "{err}"
        );
        assert!(!cache
            .join("catalogs/slate")
            .join(version.to_string())
            .exists());
        let leftovers: Vec<_> = std::fs::read_dir(cache.join("objects")).unwrap().collect();
        assert!(leftovers.is_empty(), "no partial or bad segment kept");
    });
}

#[test]
fn unknown_names_and_unreachable_servers_say_what_to_do() {
    let server = LocalServer::start().expect("nats-server");
    let tmp = tempfile::tempdir().unwrap();
    let rt = runtime();
    rt.block_on(async {
        let fleet = Fleet::connect(&server.url).await.expect("connect");
        let err = fleet
            .fetch("nothing", tmp.path())
            .await
            .map(|_| ())
            .expect_err("no such");
        assert!(err.to_string().contains("vfp index publish"), "{err}");
        let err = fleet
            .fetch("../up", tmp.path())
            .await
            .map(|_| ())
            .expect_err("bad name");
        assert!(err.to_string().contains("catalog name"), "{err}");

        // A port nothing listens on.
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("nats://{}", free.local_addr().unwrap());
        drop(free);
        let err = Fleet::connect(&url)
            .await
            .map(|_| ())
            .expect_err("unreachable");
        assert!(err.to_string().contains(&url), "{err}");
    });
}

#[test]
fn two_fetches_into_one_cache_at_once_both_get_the_catalog() {
    let server = LocalServer::start().expect("nats-server");
    let tmp = tempfile::tempdir().unwrap();
    let (src, cache) = (tmp.path().join("catalog"), tmp.path().join("cache"));
    let catalog = catalog_with(&src, &["ep1", "ep2"], &mut Rng(11));
    runtime().block_on(async {
        let (a, b) = (
            Fleet::connect(&server.url).await.unwrap(),
            Fleet::connect(&server.url).await.unwrap(),
        );
        a.publish(&catalog, "slate").await.expect("publish");
        let (first, second) = tokio::join!(a.fetch("slate", &cache), b.fetch("slate", &cache));
        let ((c1, v1), (c2, v2)) = (first.expect("first"), second.expect("second"));
        assert_eq!(v1, v2);
        assert_eq!(c1.files().unwrap(), c2.files().unwrap());
        let names = |dir: std::path::PathBuf| -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        assert_eq!(names(cache.join("catalogs/slate")), [v1.to_string()]);
        assert_eq!(
            names(cache.join("objects")).len(),
            1,
            "one segment, no partial files"
        );
    });
}

#[test]
fn a_damaged_release_record_is_refused() {
    let server = LocalServer::start().expect("nats-server");
    let tmp = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let fleet = Fleet::connect(&server.url).await.expect("connect");
        // Make the bucket, then write garbage where a release belongs.
        let catalog = catalog_with(&tmp.path().join("catalog"), &["ep1"], &mut Rng(5));
        fleet.publish(&catalog, "slate").await.expect("publish");
        let js = async_nats::jetstream::new(async_nats::connect(&server.url).await.unwrap());
        let kv = js.get_key_value(CATALOGS_BUCKET).await.unwrap();
        kv.put("slate", "{not json".into()).await.unwrap();
        let err = fleet
            .fetch("slate", &tmp.path().join("cache"))
            .await
            .map(|_| ())
            .expect_err("refused");
        assert!(
            err.to_string().contains("unreadable release record"),
            "{err}"
        );
        // A release whose manifest does not match its SHA-256.
        let (mut release, _) = {
            kv.put("slate", "{}".into()).await.unwrap();
            fleet.publish(&catalog, "slate").await.unwrap();
            fleet.release("slate").await.unwrap()
        };
        release.manifest.push(' ');
        kv.put("slate", serde_json::to_vec(&release).unwrap().into())
            .await
            .unwrap();
        let err = fleet
            .release("slate")
            .await
            .map(|_| ())
            .expect_err("refused");
        assert!(err.to_string().contains("SHA-256"), "{err}");
    });
}

#[test]
fn a_worker_keeps_its_last_good_release_when_a_bad_one_is_published() {
    // A bad release made a starting worker exit, and running workers
    // downloaded its bad segment again on every refresh.
    let server = LocalServer::start().expect("nats-server");
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let mut rng = Rng(13);
    let episode = title("ep1", 400, &mut rng);
    let fingerprint = episode.fingerprint.clone();
    vfp_index::catalog::build(
        &tmp.path().join("catalog"),
        HashParams::default(),
        vec![episode],
    )
    .expect("build");
    let catalog = Catalog::open(&tmp.path().join("catalog")).expect("open");
    let clip = tmp.path().join("clip.vfp");
    common::write_clip(&clip, &fingerprint, &mut rng);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let fleet = Fleet::connect(&server.url).await.expect("connect");
        let good = fleet.publish(&catalog, "slate").await.expect("publish");
        // A worker ran with it before: the cache holds it.
        fleet.fetch("slate", &cache).await.expect("fetch");
        // A release naming a segment the server does not hold.
        let (mut release, _) = fleet.release("slate").await.expect("release");
        release.segments[0].sha256 = "ab".repeat(32);
        let js = async_nats::jetstream::new(async_nats::connect(&server.url).await.unwrap());
        let kv = js.get_key_value(CATALOGS_BUCKET).await.unwrap();
        kv.put("slate", serde_json::to_vec(&release).unwrap().into())
            .await
            .unwrap();
        let batch = vfp_fleet::queue::new_batch_id();
        fleet
            .submit(&batch, &[clip.display().to_string()])
            .await
            .expect("submit");

        let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let log = events.clone();
        let settings = common::worker_settings(
            cache.clone(),
            std::time::Duration::from_millis(200),
            std::time::Duration::from_secs(3),
        );
        let (_stop, stop) = tokio::sync::watch::channel(vfp_fleet::worker::Stop::Run);
        let tally = vfp_fleet::worker::run(
            std::sync::Arc::new(fleet),
            settings,
            stop,
            std::sync::Arc::new(move |e| log.lock().unwrap().push(format!("{e:?}"))),
        )
        .await
        .expect("the worker starts on its last good release");
        assert_eq!(tally.matched, 1, "{tally:?}");
        let events = events.lock().unwrap();
        let opened: Vec<_> = events.iter().filter(|e| e.starts_with("Catalog")).collect();
        assert_eq!(opened.len(), 1, "{events:?}");
        assert!(
            opened[0].contains(&good.version.manifest_sha256),
            "{events:?}"
        );
        // Over some fifteen refreshes, the bad release is tried at the
        // start and once more, not on every one.
        let troubles = events.iter().filter(|e| e.starts_with("Trouble")).count();
        assert!((1..=2).contains(&troubles), "{events:?}");
    });
}
