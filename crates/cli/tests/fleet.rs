//! `vfp index publish` (and the commands of the many-machines mode)
//! against a real nats-server on a loopback port.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

use std::path::Path;
use std::process::{Command, Output};
use vfp_fleet::catalogs::Fleet;
use vfp_fleet::local_server::LocalServer;
use vfp_index::synthetic::{title, Rng};
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
