//! The many-machines commands (`vfp index publish`, `worker`, `submit`,
//! `results`) as processes against a real nats-server on a loopback port:
//! workers killed mid-file, a file that kills every worker, a catalog
//! published mid-run, stops, and records equal to a local scan's.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use vfp_fleet::local_server::LocalServer;
use vfp_fleet::Fleet;
use vfp_index::synthetic::{clip_of, title, Excerpt, Rng};
use vfp_index::Catalog;

fn vfp(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vfp"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run vfp")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn fetched(url: &str, name: &str, cache: &Path) -> (Catalog, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (catalog, version) = Fleet::connect(url)
            .await
            .unwrap()
            .fetch(name, cache)
            .await
            .unwrap();
        (catalog, version.to_string())
    })
}

#[test]
fn index_publish_puts_the_catalog_where_workers_fetch_it() {
    let server = LocalServer::start().expect("nats-server");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut rng = Rng(3);
    let titles = vec![title("ep1", 300, &mut rng), title("ep2", 200, &mut rng)];
    vfp_index::catalog::build(&d.join("slate"), Default::default(), titles).unwrap();

    // The name defaults to the folder's.
    let out = vfp(
        d,
        &["index", "publish", "-c", "slate", "--nats", &server.url],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("as \"slate\", version r"), "{said}");
    assert!(said.contains("1 segment, 1 uploaded"), "{said}");
    let (catalog, version) = fetched(&server.url, "slate", &d.join("cache"));
    assert!(said.contains(&version), "{said} names {version}");
    let local = Catalog::open(&d.join("slate")).unwrap();
    assert_eq!(catalog.files().unwrap(), local.files().unwrap());

    // Again under another name: nothing to upload.
    let out = vfp(
        d,
        &[
            "index",
            "publish",
            "-c",
            "slate",
            "--nats",
            &server.url,
            "--name",
            "studio-a",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("0 uploaded"), "{}", stderr(&out));
}

#[test]
fn index_publish_errors_name_the_server_or_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vfp_index::catalog::build(
        &d.join("cat"),
        Default::default(),
        vec![title("a", 100, &mut Rng(1))],
    )
    .unwrap();
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("nats://{}", free.local_addr().unwrap());
    drop(free);
    let out = vfp(d, &["index", "publish", "-c", "cat", "--nats", &url]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(&url), "{}", stderr(&out));

    let server = LocalServer::start().expect("nats-server");
    let out = vfp(
        d,
        &["index", "publish", "-c", "nowhere", "--nats", &server.url],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("nowhere"), "{}", stderr(&out));
    let out = vfp(
        d,
        &[
            "index",
            "publish",
            "-c",
            "cat",
            "--nats",
            &server.url,
            "--name",
            "a b",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("catalog name"), "{}", stderr(&out));
}

/// A generated test video (scripts/dev/gen-testdata.sh).
fn generated(name: &str) -> PathBuf {
    let dir = std::env::var_os("VFP_TESTDATA_GENERATED").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/generated"),
        PathBuf::from,
    );
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run scripts/dev/fetch-testdata.sh and scripts/dev/gen-testdata.sh (or scripts/test.sh)",
        path.display()
    );
    path.canonicalize().unwrap()
}

/// A `vfp worker` process and its log lines as they come.
struct Worker {
    child: Child,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
}

impl Worker {
    /// `vfp worker --nats URL -c slate --cache CACHE ARGS...` in `dir`.
    fn start(dir: &Path, url: &str, args: &[&str]) -> Worker {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vfp"))
            .current_dir(dir)
            .args(["worker", "--nats", url, "-c", "slate", "--cache", "cache"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Worker {
            child,
            lines,
            log: Vec::new(),
        }
    }

    /// Waits up to `within` for a log line containing `text`.
    fn wait_for(&mut self, text: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.log.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line with {text:?} within {within:?}; log:\n{}",
                    self.log.join("\n")
                ),
            }
        }
    }

    /// Its log so far (and the rest, if it has ended).
    fn log(&mut self) -> String {
        while let Ok(line) = self.lines.try_recv() {
            self.log.push(line);
        }
        self.log.join("\n")
    }

    fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, signal).unwrap();
    }

    /// Kills it as a crash would.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Waits up to `within` for it to exit; its status code and log.
    fn wait(mut self, within: Duration) -> (Option<i32>, String) {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // The reader thread ends with the pipe.
                while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
                    self.log.push(line);
                }
                return (status.code(), self.log.join("\n"));
            }
            if Instant::now() > deadline {
                let log = self.log();
                self.child.kill().unwrap();
                panic!("the worker did not exit within {within:?}; log:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `vfp submit --nats URL FILES...`: the batch id.
fn submit(dir: &Path, url: &str, files: &[&Path]) -> String {
    let mut args = vec!["submit".as_ref(), "--nats".as_ref(), url.as_ref()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    let out = Command::new(env!("CARGO_BIN_EXE_vfp"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// `vfp results --nats URL --batch B --format jsonl`: exit status and
/// records.
fn results(dir: &Path, url: &str, batch: &str) -> (Option<i32>, Vec<serde_json::Value>) {
    let out = vfp(
        dir,
        &[
            "results", "--nats", url, "--batch", batch, "--format", "jsonl", "-q",
        ],
    );
    let records = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (out.status.code(), records)
}

/// `vfp results ... --ledger l.sqlite --to-act-on` of `batch`: exit
/// status and the records left to act on.
fn results_to_act_on(dir: &Path, url: &str, batch: &str) -> (Option<i32>, Vec<serde_json::Value>) {
    let out = vfp(
        dir,
        &[
            "results",
            "--nats",
            url,
            "--batch",
            batch,
            "--format",
            "jsonl",
            "-q",
            "--ledger",
            "l.sqlite",
            "--to-act-on",
        ],
    );
    let records = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (out.status.code(), records)
}

/// `vfp index publish -c FOLDER --nats URL --name slate` in `dir`.
fn publish_as_slate(dir: &Path, url: &str, folder: &str) {
    let out = vfp(
        dir,
        &[
            "index", "publish", "-c", folder, "--nats", url, "--name", "slate",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Publishes a catalog of synthetic titles `ids` as "slate" (from folder
/// `folder` in `dir`); the titles' fingerprints.
fn publish_synthetic(
    dir: &Path,
    url: &str,
    folder: &str,
    ids: &[&str],
) -> Vec<vfp_fingerprint::Fingerprint> {
    let mut rng = Rng(11);
    let titles: Vec<_> = ids.iter().map(|id| title(id, 400, &mut rng)).collect();
    let fingerprints = titles.iter().map(|t| t.fingerprint.clone()).collect();
    vfp_index::catalog::build(&dir.join(folder), Default::default(), titles).unwrap();
    publish_as_slate(dir, url, folder);
    fingerprints
}

/// A clip of `title` (20 s in, 10 s long) as a .vfp file in `dir`.
fn clip_file(dir: &Path, name: &str, title: &vfp_fingerprint::Fingerprint) -> PathBuf {
    let excerpt = Excerpt {
        from_ms: 20_000,
        len_ms: 10_000,
        step_ms: 100,
        noise_bits: 8,
        mirrored: false,
    };
    let clip = clip_of(title, excerpt, &mut Rng(5));
    let path = dir.join(name);
    std::fs::write(&path, vfp_fingerprint::format::encode(&clip).unwrap()).unwrap();
    path
}

/// The record a local scan would print: a result without where it came
/// from.
fn scan_record(mut result: serde_json::Value) -> serde_json::Value {
    for origin in ["job_id", "batch", "worker", "catalog_version"] {
        result.as_object_mut().unwrap().remove(origin);
    }
    result
}

/// Records in file order.
fn sorted(mut records: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    records.sort_by_key(|v| v["file"].as_str().unwrap().to_owned());
    records
}

#[test]
fn workers_give_the_records_a_local_scan_gives() {
    let server = LocalServer::start().expect("nats-server");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let film = generated("ref.mp4").display().to_string();
    let out = vfp(d, &["index", "build", "-c", "cat", "--fps", "10", &film]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    publish_as_slate(d, &server.url, "cat");
    let files: Vec<PathBuf> = [
        "crf-low-bitrate.mp4",
        "mirrored.mp4",
        "odd-size.mkv",
        "empty.mp4",
        "random.mp4",
    ]
    .iter()
    .map(|f| generated(f))
    .collect();
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let batch = submit(d, &server.url, &refs);
    // Nothing scanned yet: status 3, not a verdict.
    let (status, records) = results(d, &server.url, &batch);
    assert_eq!((status, records.len()), (Some(3), 0));

    let worker = Worker::start(
        d,
        &server.url,
        &[
            "-j",
            "2",
            "--fps",
            "10",
            "--stop-when-idle",
            "3",
            "--name",
            "w1",
        ],
    );
    let (status, log) = worker.wait(Duration::from_secs(600));
    assert_eq!(status, Some(0), "{log}");
    assert!(
        log.contains("stopped after 5 files: 2 matched, 1 no match, 2 errors"),
        "{log}"
    );

    // Errors among the files: status 2, as a scan's.
    let (status, records) = results(d, &server.url, &batch);
    assert_eq!((status, records.len()), (Some(2), 5));
    let version = &records[0]["catalog_version"];
    assert!(version.as_str().unwrap().starts_with("r1-"), "{version}");
    for r in &records {
        assert_eq!(r["batch"], batch.as_str());
        assert_eq!(r["worker"], "w1");
        assert_eq!(&r["catalog_version"], version);
    }
    let mut args = vec![
        "scan".to_owned(),
        "-c".into(),
        "cat".into(),
        "--fps".into(),
        "10".into(),
        "--format".into(),
        "jsonl".into(),
        "--no-progress".into(),
    ];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let out = vfp(d, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let local: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mirrored = records
        .iter()
        .find(|r| r["file"].as_str().unwrap().ends_with("mirrored.mp4"))
        .unwrap()["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        sorted(records.into_iter().map(scan_record).collect()),
        sorted(local)
    );

    // With the review ledger, as a scan: the mirrored copy was judged a
    // false positive, so one match is left to act on.
    for args in [
        &["review", "init", "--ledger", "l.sqlite"][..],
        &[
            "review",
            "mark",
            "--ledger",
            "l.sqlite",
            "--clip-sha256",
            &mirrored,
            "--title",
            "ref",
            "--status",
            "false_positive",
            "--reviewer",
            "ann",
        ],
    ] {
        let out = vfp(d, args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let (status, left) = results_to_act_on(d, &server.url, &batch);
    assert_eq!(status, Some(2));
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0]["file"]
        .as_str()
        .unwrap()
        .ends_with("crf-low-bitrate.mp4"));
    assert_eq!(left[0]["review"]["to_act_on"], true);
}

#[test]
fn a_worker_killed_mid_file_leaves_its_job_to_another_and_one_result_is_kept() {
    let server = LocalServer::start().expect("nats-server");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    publish_synthetic(d, &server.url, "cat", &["ep1"]);
    // A long real video: its scan takes seconds, long enough to be killed in.
    let film = generated("long.mp4");
    let batch = submit(d, &server.url, &[&film]);
    let short = ["-j", "1", "--ack-wait", "1"];
    let mut first = Worker::start(d, &server.url, &[&short[..], &["--name", "w1"]].concat());
    first.wait_for("taken (delivery 1)", Duration::from_secs(60));
    let mut second = Worker::start(
        d,
        &server.url,
        &[&short[..], &["--name", "w2", "--stop-when-idle", "8"]].concat(),
    );
    second.wait_for("ready in", Duration::from_secs(60));
    // Three ack waits: the first worker's progress signals keep the job.
    std::thread::sleep(Duration::from_secs(3));
    assert!(!second.log().contains("taken"), "{}", second.log());
    assert!(
        !first.log().contains("match"),
        "still scanning: {}",
        first.log()
    );
    first.kill();
    second.wait_for("taken (delivery 2)", Duration::from_secs(30));
    let (status, log) = second.wait(Duration::from_secs(600));
    assert_eq!(status, Some(0), "{log}");
    let (status, records) = results(d, &server.url, &batch);
    assert_eq!((status, records.len()), (Some(1), 1), "{records:?}");
    assert_eq!(records[0]["worker"], "w2");
    assert_eq!(records[0]["verdict"], "no_match");
}

#[test]
fn a_file_that_kills_every_worker_ends_as_an_error_record() {
    let server = LocalServer::start().expect("nats-server");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    publish_synthetic(d, &server.url, "cat", &["ep1"]);
    let film = generated("long.mp4");
    let batch = submit(d, &server.url, &[&film]);
    let args = ["-j", "1", "--ack-wait", "1", "--max-deliver", "3"];
    for delivery in 1..=2 {
        let mut worker = Worker::start(d, &server.url, &args);
        worker.wait_for(
            &format!("taken (delivery {delivery})"),
            Duration::from_secs(60),
        );
        worker.kill();
    }
    let mut last = Worker::start(
        d,
        &server.url,
        &[&args[..], &["--stop-when-idle", "3"]].concat(),
    );
    last.wait_for("taken (delivery 3)", Duration::from_secs(60));
    let line = last.wait_for("given up after 2 deliveries", Duration::from_secs(10));
    assert!(!line.contains("match,"), "{line}");
    let (status, log) = last.wait(Duration::from_secs(60));
    assert_eq!(status, Some(0), "{log}");
    let (status, records) = results(d, &server.url, &batch);
    assert_eq!((status, records.len()), (Some(2), 1), "{records:?}");
    assert_eq!(records[0]["verdict"], "error");
    assert_eq!(records[0]["catalog_version"], serde_json::Value::Null);
    assert!(records[0]["error"]
        .as_str()
        .unwrap()
        .starts_with(&film.display().to_string()));
}

#[test]
fn a_catalog_published_mid_run_is_used_for_the_next_jobs() {
    let server = LocalServer::start().expect("nats-server");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let titles = publish_synthetic(d, &server.url, "cat1", &["ep1"]);
    let mut worker = Worker::start(d, &server.url, &["-j", "1", "--refresh", "0.3"]);
    worker.wait_for("catalog \"slate\" r1-", Duration::from_secs(60));
    // A clip of a title the catalog does not hold yet.
    let more = {
        let mut rng = Rng(11);
        let _ = title("ep1", 400, &mut rng);
        title("ep2", 400, &mut rng).fingerprint
    };
    let clip = clip_file(d, "clip.vfp", &more);
    let before = submit(d, &server.url, &[&clip]);
    worker.wait_for("no match", Duration::from_secs(60));
    let titles2 = publish_synthetic(d, &server.url, "cat2", &["ep1", "ep2"]);
    assert_eq!(titles2[0], titles[0]);
    assert_eq!(titles2[1], more);
    worker.wait_for("catalog \"slate\" r2-", Duration::from_secs(30));
    let after = submit(d, &server.url, &[&clip]);
    worker.wait_for("match, ep2", Duration::from_secs(60));

    let (status, first) = results(d, &server.url, &before);
    assert_eq!(
        (status, first[0]["verdict"].as_str()),
        (Some(1), Some("no_match"))
    );
    assert!(first[0]["catalog_version"]
        .as_str()
        .unwrap()
        .starts_with("r1-"));
    let (status, second) = results(d, &server.url, &after);
    assert_eq!(
        (status, second[0]["verdict"].as_str()),
        (Some(0), Some("match"))
    );
    assert!(second[0]["catalog_version"]
        .as_str()
        .unwrap()
        .starts_with("r2-"));
    // The older release is gone from the cache; the new one is whole.
    let releases: Vec<_> = std::fs::read_dir(d.join("cache/catalogs/slate"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(releases.len(), 1, "{releases:?}");
    assert!(releases[0].starts_with("r2-"), "{releases:?}");
}

#[test]
fn sigterm_finishes_the_job_in_flight_and_a_second_hands_it_back() {
    use nix::sys::signal::Signal::SIGTERM;
    let server = LocalServer::start().expect("nats-server");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    publish_synthetic(d, &server.url, "cat", &["ep1"]);
    let film = generated("long.mp4");
    let batch = submit(d, &server.url, &[&film, &film]);

    // One SIGTERM: the file in flight is finished, the other left.
    let mut worker = Worker::start(d, &server.url, &["-j", "1", "--name", "w1"]);
    worker.wait_for("taken (delivery 1)", Duration::from_secs(60));
    worker.signal(SIGTERM);
    worker.wait_for("finishing the jobs in flight", Duration::from_secs(10));
    let (status, log) = worker.wait(Duration::from_secs(600));
    assert_eq!(status, Some(0), "{log}");
    assert!(
        log.contains("stopped after 1 file: 0 matched, 1 no match"),
        "{log}"
    );
    let (status, records) = results(d, &server.url, &batch);
    assert_eq!((status, records.len()), (Some(3), 1));

    // Two: the file in flight goes back to the queue at once (well
    // before its 60 s ack wait), and the next worker finishes it.
    let mut worker = Worker::start(d, &server.url, &["-j", "1", "--name", "w2"]);
    worker.wait_for("taken (delivery 1)", Duration::from_secs(60));
    worker.signal(SIGTERM);
    worker.wait_for("finishing", Duration::from_secs(10));
    worker.signal(SIGTERM);
    worker.wait_for("handed back", Duration::from_secs(10));
    let (status, log) = worker.wait(Duration::from_secs(30));
    assert_eq!(status, Some(0), "{log}");
    assert!(log.contains("1 handed back"), "{log}");
    let handed_back = Instant::now();
    let mut last = Worker::start(
        d,
        &server.url,
        &["-j", "1", "--name", "w3", "--stop-when-idle", "3"],
    );
    last.wait_for("taken (delivery 2)", Duration::from_secs(30));
    assert!(handed_back.elapsed() < Duration::from_secs(30));
    let (status, log) = last.wait(Duration::from_secs(600));
    assert_eq!(status, Some(0), "{log}");
    let (status, records) = results(d, &server.url, &batch);
    assert_eq!((status, records.len()), (Some(1), 2), "{records:?}");
}

#[test]
fn submit_and_results_refuse_what_they_cannot_do() {
    let server = LocalServer::start().expect("nats-server");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = vfp(d, &["submit", "--nats", &server.url, "missing.mp4"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("missing.mp4"), "{}", stderr(&out));
    std::fs::write(d.join("a.mp4"), b"x").unwrap();
    let out = vfp(
        d,
        &["submit", "--nats", &server.url, "--batch", "a.b", "a.mp4"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("batch id"), "{}", stderr(&out));
    let out = vfp(d, &["results", "--nats", &server.url, "--batch", "nope"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no batch \"nope\""),
        "{}",
        stderr(&out)
    );
    // A worker for a catalog never published says so and stops.
    let worker = Worker::start(d, &server.url, &[]);
    let (status, log) = worker.wait(Duration::from_secs(30));
    assert_eq!(status, Some(2), "{log}");
    assert!(log.contains("no catalog named \"slate\""), "{log}");
}

#[test]
fn uploaded_files_are_scanned_by_workers_that_cannot_read_them() {
    let server = LocalServer::start().expect("nats-server");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let titles = publish_synthetic(d, &server.url, "cat", &["ep1"]);
    let crawl = d.join("crawl");
    std::fs::create_dir(&crawl).unwrap();
    let clip = clip_file(&crawl, "clip.vfp", &titles[0]);
    let video = crawl.join("other.mkv");
    std::fs::copy(generated("odd-size.mkv"), &video).unwrap();
    let out = vfp(
        d,
        &[
            "scan",
            "-c",
            "cat",
            "--format",
            "jsonl",
            "--no-progress",
            clip.to_str().unwrap(),
            video.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let local: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();

    let out = vfp(
        d,
        &[
            "submit",
            "--nats",
            &server.url,
            "--upload",
            "-r",
            crawl.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let batch = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    // The worker cannot read the crawler's files: they are gone.
    std::fs::remove_dir_all(&crawl).unwrap();
    let worker = Worker::start(d, &server.url, &["--stop-when-idle", "3"]);
    let (status, log) = worker.wait(Duration::from_secs(300));
    assert_eq!(status, Some(0), "{log}");
    let (status, records) = results(d, &server.url, &batch);
    assert_eq!(status, Some(0), "{records:?}");
    // A worker's copy has the file's bytes and size, not its modification
    // time, which its record leaves out.
    let local = local
        .into_iter()
        .map(|mut r| {
            r.as_object_mut().unwrap().remove("mtime_ns");
            r
        })
        .collect();
    assert_eq!(
        sorted(records.into_iter().map(scan_record).collect()),
        sorted(local)
    );
    // The copies scanned are removed.
    let left = std::fs::read_dir(d.join("cache/uploads")).unwrap().count();
    assert_eq!(left, 0);

    // Uploads are for short clips.
    let big = d.join("big.mp4");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(300 << 20)
        .unwrap();
    let out = vfp(d, &["submit", "--nats", &server.url, "--upload", "big.mp4"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("big.mp4"), "{}", stderr(&out));
    assert!(stderr(&out).contains("256 MiB"), "{}", stderr(&out));
}

#[test]
fn a_server_restarted_while_a_worker_scans_loses_nothing() {
    let mut server = LocalServer::start().expect("nats-server");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let titles = publish_synthetic(d, &server.url, "cat", &["ep1"]);
    let clip = clip_file(d, "clip.vfp", &titles[0]);
    let film = generated("long.mp4");
    let batch = submit(d, &server.url, &[&film, &clip]);
    let mut worker = Worker::start(d, &server.url, &["-j", "1", "--stop-when-idle", "5"]);
    worker.wait_for("taken (delivery 1)", Duration::from_secs(60));
    // Killed as a crash would, and started again on its store, while the
    // worker is in the middle of the film.
    server.restart().expect("restart");
    worker.wait_for("clip.vfp: match", Duration::from_secs(120));
    let (status, log) = worker.wait(Duration::from_secs(120));
    assert_eq!(status, Some(0), "{log}");
    assert!(!log.contains("delivery 2"), "{log}");
    assert!(
        log.contains("stopped after 2 files: 1 matched, 1 no match"),
        "{log}"
    );
    let (status, records) = results(d, &server.url, &batch);
    assert_eq!((status, records.len()), (Some(0), 2), "{records:?}");
}

#[test]
fn a_password_in_the_url_authenticates_and_is_never_shown() {
    let server =
        LocalServer::start_with(&["--user", "vfp", "--pass", "s3cret"]).expect("nats-server");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vfp_index::catalog::build(
        &d.join("cat"),
        Default::default(),
        vec![title("a", 100, &mut Rng(1))],
    )
    .unwrap();
    let with_password = server.url.replace("nats://", "nats://vfp:s3cret@");
    let wrong = server.url.replace("nats://", "nats://vfp:wrong@");

    // Refused with a wrong password, the URL shown without it.
    let out = vfp(d, &["index", "publish", "-c", "cat", "--nats", &wrong]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!stderr(&out).contains("wrong"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nats://***@127.0.0.1"),
        "{}",
        stderr(&out)
    );

    // Taken from VFP_NATS, and not printed.
    let out = Command::new(env!("CARGO_BIN_EXE_vfp"))
        .current_dir(d)
        .args(["index", "publish", "-c", "cat"])
        .env("VFP_NATS", &with_password)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("s3cret"), "{}", stderr(&out));
    std::fs::write(d.join("a.mp4"), b"x").unwrap();
    let out = vfp(d, &["submit", "--nats", &with_password, "a.mp4"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("s3cret"), "{}", stderr(&out));
}

#[test]
fn an_uploaded_file_handed_back_leaves_no_copy_behind() {
    use nix::sys::signal::Signal::SIGTERM;
    let server = LocalServer::start().expect("nats-server");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    publish_synthetic(d, &server.url, "cat", &["ep1"]);
    // A long real video: its scan takes seconds, long enough to stop in.
    let film = generated("long.mp4");
    let out = vfp(
        d,
        &[
            "submit",
            "--nats",
            &server.url,
            "--upload",
            film.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut worker = Worker::start(d, &server.url, &["-j", "1"]);
    worker.wait_for("taken (delivery 1)", Duration::from_secs(60));
    worker.signal(SIGTERM);
    worker.wait_for("finishing", Duration::from_secs(10));
    worker.signal(SIGTERM);
    worker.wait_for("handed back", Duration::from_secs(10));
    let (status, log) = worker.wait(Duration::from_secs(30));
    assert_eq!(status, Some(0), "{log}");
    let left: Vec<_> = std::fs::read_dir(d.join("cache/uploads"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn hostile_jobs_are_removed_and_nothing_is_written_outside_the_cache() {
    // Anyone who may publish to vfp.jobs talks to every worker: a job id
    // named the copy of its upload, so `../../..` in it wrote a file of
    // the publisher's choosing anywhere the worker could; a job of a
    // batch id that is no subject token was delivered again and again and
    // stayed in the queue for good. Played by a submitter the example
    // permissions (docs/nats-server.conf) allow to publish jobs.
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/nats-server.conf");
    let passwords = [
        ("VFP_SUBMITTER_PASSWORD", "s-1"),
        ("VFP_WORKER_PASSWORD", "w-2"),
        ("VFP_PUBLISHER_PASSWORD", "p-3"),
    ];
    let server = LocalServer::start_with_env(&["-c", config.to_str().unwrap()], &passwords)
        .expect("nats-server");
    let as_role = |user: &str, password: &str| {
        server
            .url
            .replacen("nats://", &format!("nats://{user}:{password}@"), 1)
    };
    let (submitter, worker, publisher) = (
        as_role("submitter", "s-1"),
        as_role("worker", "w-2"),
        as_role("publisher", "p-3"),
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let titles = publish_synthetic(d, &publisher, "cat", &["ep1"]);
    let clip = clip_file(d, "clip.vfp", &titles[0]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let planted = d.join("planted");
    let batch = runtime.block_on(async {
        let fleet = Fleet::connect(&submitter).await.unwrap();
        let upload = fleet.upload(&clip).await.unwrap();
        let nats = async_nats::ConnectOptions::with_user_and_password("submitter".into(), "s-1".into())
            .connect(server.url.as_str())
            .await
            .unwrap();
        let js = async_nats::jetstream::new(nats);
        // The queue exists once anything was submitted.
        let batch = submit(d, &submitter, &[&clip]);
        let traversal = format!("../../../../../../../..{}", planted.display());
        let hostile = [
            serde_json::json!({"id": traversal, "path": "x.vfp", "batch": batch,
                "submitted_unix_ms": 0, "upload": upload}),
            serde_json::json!({"id": format!("{batch}-1-{}", "ab".repeat(16)), "path": "x.vfp",
                "batch": batch, "submitted_unix_ms": 0,
                "upload": {"object": "sha256-../../planted", "sha256": upload.sha256, "bytes": upload.bytes}}),
            serde_json::json!({"id": "a.b-0", "path": "/etc/hostname", "batch": "a.b",
                "submitted_unix_ms": 0}),
            serde_json::json!({"id": format!("{batch}-2-{}", "cd".repeat(16)),
                "path": "forged\nvfp worker x: line", "batch": batch, "submitted_unix_ms": 0}),
        ];
        for job in hostile {
            js.publish("vfp.jobs", serde_json::to_vec(&job).unwrap().into())
                .await
                .unwrap()
                .await
                .unwrap();
        }
        js.publish("vfp.jobs", b"\x00 not json".to_vec().into())
            .await
            .unwrap()
            .await
            .unwrap();
        batch
    });
    let worker = Worker::start(d, &worker, &["--stop-when-idle", "3"]);
    let (status, log) = worker.wait(Duration::from_secs(120));
    assert_eq!(status, Some(0), "{log}");
    assert_eq!(
        log.matches("not a valid job").count(),
        5,
        "each hostile message refused: {log}"
    );
    assert!(!log.contains("\nvfp worker x: line"), "{log}");
    // (The copy was named `<id>-<pid>.<ext>`: `planted-<pid>.vfp` here.)
    let outside: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("planted"))
        .collect();
    assert!(outside.is_empty(), "written outside the cache: {outside:?}");
    // Nothing is left in the queue, and the real job's result is there.
    runtime.block_on(async {
        let fleet = Fleet::connect(&submitter).await.unwrap();
        assert_eq!(
            fleet.queue_state().await.unwrap(),
            vfp_fleet::queue::QueueState::default()
        );
    });
    let copies = std::fs::read_dir(d.join("cache/uploads"))
        .map(|entries| entries.count())
        .unwrap_or(0);
    assert_eq!(copies, 0);
    let (status, records) = results(d, &submitter, &batch);
    assert_eq!(status, Some(0), "{records:?}");
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["verdict"], "match", "{records:?}");
}

#[test]
fn a_crawlers_manifest_reaches_the_workers_results_and_the_allow_list() {
    let server = LocalServer::start().expect("nats-server");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let film = generated("ref.mp4").display().to_string();
    let out = vfp(d, &["index", "build", "-c", "cat", "--fps", "10", &film]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    publish_as_slate(d, &server.url, "cat");
    std::fs::create_dir(d.join("crawl")).unwrap();
    std::fs::copy(generated("crf-low-bitrate.mp4"), d.join("crawl/97a81f")).unwrap();
    std::fs::copy(generated("mirrored.mp4"), d.join("crawl/b.part")).unwrap();
    std::fs::write(
        d.join("crawl/manifest.jsonl"),
        concat!(
            r#"{"path":"97a81f","source_url":"https://video.example/@studio/v/1","found_at":"2026-12-07T01:00:00Z","account":"@studio"}"#,
            "\n",
            r#"{"path":"b.part","source_url":"https://video.example/@leaker/v/2"}"#,
            "\n",
        ),
    )
    .unwrap();
    let out = vfp(
        d,
        &[
            "submit",
            "--nats",
            &server.url,
            "--from",
            "crawl/manifest.jsonl",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let batch = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let worker = Worker::start(d, &server.url, &["--fps", "10", "--stop-when-idle", "3"]);
    let (status, log) = worker.wait(Duration::from_secs(300));
    assert_eq!(status, Some(0), "{log}");
    let (status, records) = results(d, &server.url, &batch);
    assert_eq!(status, Some(0), "{records:?}");
    let by_name = |name: &str| {
        records
            .iter()
            .find(|r| r["file"].as_str().unwrap().ends_with(name))
            .unwrap()
            .clone()
    };
    let own = by_name("97a81f");
    assert_eq!(
        own["source_url"], "https://video.example/@studio/v/1",
        "{own}"
    );
    assert_eq!(own["found_at"], "2026-12-07T01:00:00Z");
    assert_eq!(own["crawl"]["account"], "@studio");
    // The studio's own account is allowed: only the leak is left.
    for args in [
        &["review", "init", "--ledger", "l.sqlite"][..],
        &[
            "review",
            "allow",
            "--ledger",
            "l.sqlite",
            "--source-prefix",
            "https://video.example/@studio",
            "--reviewer",
            "ann",
        ],
    ] {
        let out = vfp(d, args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let (status, left) = results_to_act_on(d, &server.url, &batch);
    assert_eq!(status, Some(0));
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0]["file"].as_str().unwrap().ends_with("b.part"));
}
