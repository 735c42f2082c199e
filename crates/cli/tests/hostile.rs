//! Attacks on the real binary, each as an attacker would play it: a
//! scanned file chosen to forge evidence, and secrets or the studio's
//! layout planted in every input to see whether any reaches a page that
//! leaves the studio. Each test failed before its fix.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

mod common;

use common::{generated, vfp};
use std::path::{Path, PathBuf};
use std::process::Output;

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A catalog `dir/vault-SECRETLAYOUT/catalog` of one title, `ep1`, whose
/// source video lies in the same vault folder.
fn vault_catalog(dir: &Path) -> (PathBuf, PathBuf) {
    let vault = dir.join("vault-SECRETLAYOUT").join("unreleased");
    std::fs::create_dir_all(&vault).unwrap();
    let source = vault.join("ep1.mp4");
    std::fs::copy(generated("ref.mp4"), &source).unwrap();
    let catalog = dir.join("vault-SECRETLAYOUT").join("catalog");
    let out = vfp(
        dir,
        &[
            "index",
            "build",
            "-c",
            path_str(&catalog),
            path_str(&source),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    (catalog, source)
}

/// `vfp scan -c CATALOG --format jsonl FILES...` in `dir`.
fn scan(dir: &Path, catalog: &Path, files: &[&str]) -> Output {
    let mut args = vec!["scan", "-c", path_str(catalog), "--format", "jsonl"];
    args.extend_from_slice(files);
    vfp(dir, &args)
}

#[test]
fn a_playlist_is_refused_and_the_scan_goes_on() {
    // An 84-byte HLS playlist saved as .mp4 scanned as a MATCH with the
    // frames of the local file it named, under its own SHA-256.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (catalog, _) = vault_catalog(d);
    let playlist = format!(
        "#EXTM3U\n#EXT-X-TARGETDURATION:12\n#EXTINF:12.0,\n{}\n#EXT-X-ENDLIST\n",
        path_str(&generated("ref.ts"))
    );
    std::fs::write(d.join("pl.mp4"), playlist).unwrap();
    let copy = generated("downscale-240p.mp4");
    let out = scan(d, &catalog, &["pl.mp4", path_str(&copy)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let records: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let of = |name: &str| {
        records
            .iter()
            .find(|r| r["file"].as_str().is_some_and(|f| f.ends_with(name)))
            .unwrap_or_else(|| panic!("no record of {name}: {}", text(&out)))
    };
    assert_eq!(of("pl.mp4")["verdict"], "error", "{}", of("pl.mp4"));
    let error = of("pl.mp4")["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("refused") && error.contains("hls"),
        "{error}"
    );
    assert_eq!(of("downscale-240p.mp4")["verdict"], "match");
}

#[test]
fn no_secret_or_internal_path_reaches_the_evidence() {
    let server = vfp_ledger::local_postgres::LocalPostgres::start().expect("PostgreSQL");
    let password = server.password.clone();
    let port = server.port;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (catalog, source) = vault_catalog(d);
    let crawl = d.join("crawl-INTERNALDIR");
    std::fs::create_dir_all(&crawl).unwrap();
    let clip = crawl.join("clip.mp4");
    std::fs::copy(generated("downscale-240p.mp4"), &clip).unwrap();
    let by_url = server.url.clone();
    let by_query = format!("postgresql://vfp@127.0.0.1:{port}/postgres?password={password}");
    let by_key_value =
        format!("host=127.0.0.1 port={port} user=vfp password={password} dbname=postgres");

    let mut shared: Vec<PathBuf> = Vec::new();
    let mut printed = String::new();
    let out = vfp(d, &["review", "init", "--ledger", &by_url]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    printed.push_str(&text(&out));
    for (run, ledger) in [&by_url, &by_query, &by_key_value].into_iter().enumerate() {
        if run == 2 {
            // The title's source video is no longer on this machine: the
            // page said so with its absolute path.
            std::fs::rename(&source, d.join("moved.mp4")).unwrap();
        }
        let bundle = d.join(format!("bundle-{run}"));
        let report = d.join(format!("report-{run}.html"));
        let out = vfp(
            d,
            &[
                "verify",
                "--catalog",
                path_str(&catalog),
                path_str(&clip),
                "--ledger",
                ledger,
                "--bundle",
                path_str(&bundle),
                "--report",
                path_str(&report),
                "--source-url",
                "https://video.example/@someone/123",
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        printed.push_str(&text(&out));
        for entry in std::fs::read_dir(&bundle).unwrap() {
            shared.push(entry.unwrap().path());
        }
        shared.push(report.clone());
        shared.push(PathBuf::from(format!("{}.sha256", report.display())));
    }
    let page = std::fs::read_to_string(d.join("report-2.html")).unwrap();
    assert!(
        page.contains("the title&#39;s source video is not on this machine"),
        "{page}"
    );

    // Decisions recorded and refused, by every form of the ledger.
    let sha256 = {
        let line = std::fs::read_to_string(d.join("bundle-0/report.json")).unwrap();
        let report: serde_json::Value = serde_json::from_str(&line).unwrap();
        report["verification"]["clip_sha256"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    for ledger in [&by_url, &by_query, &by_key_value] {
        let out = vfp(
            d,
            &[
                "review",
                "mark",
                "--ledger",
                ledger,
                "--clip-sha256",
                &sha256,
                "--title",
                "ep1",
                "--status",
                "confirmed",
                "--reviewer",
                "ann",
            ],
        );
        printed.push_str(&text(&out));
    }
    let wrong_database = by_query.replace("/postgres?", "/nosuchdb?");
    let out = vfp(d, &["review", "list", "--ledger", &wrong_database]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    printed.push_str(&text(&out));

    assert!(!printed.contains(&password), "{printed}");
    let binary = Path::new(env!("CARGO_BIN_EXE_vfp"));
    let internal = [
        password.as_str(),
        "SECRETLAYOUT",
        "INTERNALDIR",
        path_str(d),
        path_str(binary.parent().unwrap()),
    ];
    for file in &shared {
        let bytes = std::fs::read(file).unwrap();
        let content = String::from_utf8_lossy(&bytes);
        for planted in internal {
            assert!(
                !content.contains(planted),
                "{} shows {planted:?}",
                file.display()
            );
        }
    }
    assert!(shared.len() >= 12, "{shared:?}");
}

#[test]
fn an_error_never_quotes_the_bytes_of_the_file() {
    // `s.vfp -> /etc/shadow`: the error quoted the first 8 bytes of the
    // file it could not read as a fingerprint (`root:*:2`, in hex).
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (catalog, _) = vault_catalog(d);
    std::fs::write(d.join("shadow"), "root:*:20000:0:99999:7:::\n").unwrap();
    std::os::unix::fs::symlink(d.join("shadow"), d.join("s.vfp")).unwrap();
    let out = scan(d, &catalog, &["s.vfp"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("not a .vfp fingerprint"), "{said}");
    for secret in ["root", "72, 6f", "72 6f", "726f6f74"] {
        assert!(!said.contains(secret), "{said}");
    }
}

#[test]
fn a_file_past_the_time_limit_is_an_error_record_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (catalog, _) = vault_catalog(d);
    let long = generated("long.mp4");
    let text_file = generated("text.mp4");
    let mut args = vec!["scan", "-c", path_str(&catalog), "--format", "jsonl"];
    args.extend(["--max-file-seconds", "1", "-j", "1"]);
    args.extend([path_str(&long), path_str(&text_file)]);
    let out = vfp(d, &args);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("long.mp4: gave up after 1 s of decoding"),
        "{said}"
    );
    assert!(said.contains("text.mp4: not a video"), "{said}");
}
