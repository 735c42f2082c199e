//! The review ledger through the real binary: decisions recorded, refused
//! when a second reviewer was first, listed and exported, and read back by
//! `vfp scan --ledger` so a file already noticed or licensed says so.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

mod common;

use common::{stderr, stdout, vfp};
use std::path::Path;
use vfp_index::synthetic::{clip_of, title, Excerpt, Rng};

fn catalog_and_clips(dir: &Path) {
    let mut rng = Rng(21);
    let titles: Vec<_> = ["ep1", "ep2"]
        .iter()
        .map(|id| title(id, 400, &mut rng))
        .collect();
    let fingerprints: Vec<_> = titles.iter().map(|t| t.fingerprint.clone()).collect();
    vfp_index::catalog::build(&dir.join("cat"), Default::default(), titles).unwrap();
    for (name, (fp, byte)) in ["a.vfp", "b.vfp"]
        .iter()
        .zip(fingerprints.iter().zip([0x0a, 0x0b]))
    {
        let excerpt = Excerpt {
            from_ms: 20_000,
            len_ms: 10_000,
            step_ms: 100,
            noise_bits: 8,
            mirrored: false,
        };
        let mut clip = clip_of(fp, excerpt, &mut Rng(5));
        clip.source.sha256 = [byte; 32];
        std::fs::write(
            dir.join(name),
            vfp_fingerprint::format::encode(&clip).unwrap(),
        )
        .unwrap();
    }
}

fn scan_review(dir: &Path) -> Vec<serde_json::Value> {
    let out = vfp(
        dir,
        &[
            "scan",
            "-c",
            "cat",
            "--ledger",
            "ledger.sqlite",
            "--format",
            "jsonl",
            "--no-progress",
            "a.vfp",
            "b.vfp",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut records: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    records.sort_by_key(|r| r["file"].as_str().unwrap().to_owned());
    records
}

#[test]
fn decisions_are_recorded_listed_exported_and_read_by_scans() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    catalog_and_clips(d);
    let (a, b) = ("0a".repeat(32), "0b".repeat(32));

    // A typo in --ledger is refused, naming it, and makes nothing: an
    // empty ledger would show every settled match as new.
    let out = vfp(
        d,
        &["scan", "-c", "cat", "--ledger", "ledgr.sqlite", "a.vfp"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("ledgr.sqlite") && stderr(&out).contains("review init"),
        "{}",
        stderr(&out)
    );
    assert!(!d.join("ledgr.sqlite").exists());
    let out = vfp(d, &["review", "list", "--ledger", "ledgr.sqlite"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!d.join("ledgr.sqlite").exists());
    for said in ["created", "exists already"] {
        let out = vfp(d, &["review", "init", "--ledger", "ledger.sqlite"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stderr(&out).contains(said), "{}", stderr(&out));
    }

    // Nothing decided yet: both matches are to act on.
    let records = scan_review(d);
    assert_eq!(records.len(), 2);
    for r in &records {
        assert_eq!(r["verdict"], "match", "{r}");
        assert_eq!(r["review"]["to_act_on"], true, "{r}");
    }

    // ann confirms a.vfp as ep1 (by its file); bob, a moment later,
    // marks it too and is told.
    let out = vfp(
        d,
        &[
            "review",
            "mark",
            "--ledger",
            "ledger.sqlite",
            "--clip",
            "a.vfp",
            "--title",
            "ep1",
            "--status",
            "confirmed",
            "--reviewer",
            "ann",
            "--note",
            "clear copy",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("recorded #1"), "{}", stderr(&out));
    let out = vfp(
        d,
        &[
            "review",
            "mark",
            "--ledger",
            "ledger.sqlite",
            "--clip-sha256",
            &a,
            "--title",
            "ep1",
            "--status",
            "false-positive",
            "--reviewer",
            "bob",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("already marked confirmed by ann"),
        "{}",
        stderr(&out)
    );
    // The notice, replacing the confirmation; b.vfp's source is a partner's.
    std::fs::write(d.join("notice.html"), "evidence").unwrap();
    let out = vfp(
        d,
        &[
            "review",
            "mark",
            "--ledger",
            "ledger.sqlite",
            "--clip-sha256",
            &a,
            "--title",
            "ep1",
            "--status",
            "notice-sent",
            "--notice-id",
            "N-123",
            "--notice-date",
            "2026-11-30",
            "--evidence",
            "notice.html",
            "--reviewer",
            "ann",
            "--replace",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = vfp(
        d,
        &[
            "review",
            "allow",
            "--ledger",
            "ledger.sqlite",
            "--sha256",
            &b,
            "--reviewer",
            "ann",
            "--note",
            "partner trailer",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Verified for a notice, found on the partner's account: the bundle
    // says it is licensed.
    let out = vfp(
        d,
        &[
            "review",
            "allow",
            "--ledger",
            "ledger.sqlite",
            "--source-prefix",
            "https://video.example/@studio/",
            "--reviewer",
            "ann",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = vfp(
        d,
        &[
            "verify",
            "-c",
            "cat",
            "--ledger",
            "ledger.sqlite",
            "--source-url",
            "https://video.example/@studio/v/7",
            "--bundle",
            "case",
            "a.vfp",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("case/report.json")).unwrap()).unwrap();
    let review = &report["provenance"]["review"];
    assert_eq!(review["allowed"]["kind"], "source_prefix", "{review}");
    assert_eq!(review["decisions"][0]["status"], "notice_sent", "{review}");
    assert_eq!(review["to_act_on"], false, "{review}");

    // A scan now says so: nothing left to act on.
    let records = scan_review(d);
    assert_eq!(records[0]["review"]["to_act_on"], false, "{}", records[0]);
    assert_eq!(
        records[0]["review"]["decisions"][0]["status"],
        "notice_sent"
    );
    assert_eq!(records[0]["review"]["decisions"][0]["notice_id"], "N-123");
    assert_eq!(records[1]["review"]["to_act_on"], false, "{}", records[1]);
    assert_eq!(records[1]["review"]["allowed"]["note"], "partner trailer");
    let out = vfp(
        d,
        &[
            "scan",
            "-c",
            "cat",
            "--ledger",
            "ledger.sqlite",
            "a.vfp",
            "b.vfp",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("review: already #2"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("review: licensed: on the allow-list"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("review ledger: 0 of the matched files to act on, 2 settled"),
        "{}",
        stderr(&out)
    );

    // Listed (current), exported with history.
    let out = vfp(d, &["review", "list", "--ledger", "ledger.sqlite"]);
    assert_eq!(stdout(&out).lines().count(), 1, "{}", stdout(&out));
    assert!(stdout(&out).contains("notice_sent ep1"), "{}", stdout(&out));
    let out = vfp(
        d,
        &[
            "review",
            "export",
            "--ledger",
            "ledger.sqlite",
            "--format",
            "csv",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let rows: Vec<_> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2, "both decisions");
    assert_eq!((&rows[0][2], &rows[1][2]), ("confirmed", "notice_sent"));
    assert_eq!(rows[1][8].len(), 64, "the evidence's SHA-256");
    let out = vfp(
        d,
        &[
            "review",
            "export",
            "--ledger",
            "ledger.sqlite",
            "--format",
            "jsonl",
        ],
    );
    assert_eq!(stdout(&out).lines().count(), 2);
}

#[test]
fn a_bad_ledger_is_named_and_a_scan_without_one_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    catalog_and_clips(d);
    std::fs::write(d.join("junk.sqlite"), vec![0x5a; 8192]).unwrap();
    let out = vfp(
        d,
        &["scan", "-c", "cat", "--ledger", "junk.sqlite", "a.vfp"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("junk.sqlite"), "{}", stderr(&out));
    let out = vfp(
        d,
        &[
            "review",
            "mark",
            "--ledger",
            "junk.sqlite",
            "--clip",
            "a.vfp",
            "--title",
            "ep1",
            "--status",
            "confirmed",
            "--reviewer",
            "ann",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("junk.sqlite"), "{}", stderr(&out));
    let out = vfp(d, &["scan", "-c", "cat", "--format", "jsonl", "a.vfp"]);
    assert!(!stdout(&out).contains("review"), "{}", stdout(&out));
}

#[test]
fn a_team_ledger_on_postgresql_works_the_same() {
    let server = vfp_ledger::local_postgres::LocalPostgres::start().expect("PostgreSQL");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    catalog_and_clips(d);
    let ledger = server.url.as_str();
    let out = vfp(
        d,
        &[
            "review",
            "mark",
            "--create",
            "--ledger",
            ledger,
            "--clip",
            "a.vfp",
            "--title",
            "ep1",
            "--status",
            "notice-sent",
            "--notice-id",
            "N-9",
            "--reviewer",
            "ann",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = vfp(
        d,
        &[
            "review",
            "mark",
            "--ledger",
            ledger,
            "--clip",
            "a.vfp",
            "--title",
            "ep1",
            "--status",
            "confirmed",
            "--reviewer",
            "bob",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("already marked notice_sent by ann"),
        "{}",
        stderr(&out)
    );
    let out = vfp(
        d,
        &[
            "scan",
            "-c",
            "cat",
            "--ledger",
            ledger,
            "--format",
            "jsonl",
            "--no-progress",
            "a.vfp",
            "b.vfp",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut records: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    records.sort_by_key(|r| r["file"].as_str().unwrap().to_owned());
    assert_eq!(records[0]["review"]["to_act_on"], false, "{}", records[0]);
    assert_eq!(records[1]["review"]["to_act_on"], true, "{}", records[1]);
}

#[test]
fn a_case_runs_its_course_and_a_scan_says_what_is_left_to_act_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    catalog_and_clips(d);
    let b = "0b".repeat(32);
    let review = |args: &[&str]| {
        let mut full = vec!["review"];
        full.extend_from_slice(args);
        full.extend(["--ledger", "ledger.sqlite"]);
        vfp(d, &full)
    };
    let to_act_on = |format: &str| {
        vfp(
            d,
            &[
                "scan",
                "-c",
                "cat",
                "--ledger",
                "ledger.sqlite",
                "--to-act-on",
                "--format",
                format,
                "--no-progress",
                "a.vfp",
                "b.vfp",
            ],
        )
    };
    // Records come in the order the files finish, which two jobs may swap.
    let files = |out: &std::process::Output| -> Vec<String> {
        let mut files: Vec<String> = stdout(out)
            .lines()
            .map(|l| {
                let r: serde_json::Value = serde_json::from_str(l).unwrap();
                r["file"].as_str().unwrap().to_owned()
            })
            .collect();
        files.sort();
        files
    };
    assert_eq!(review(&["init"]).status.code(), Some(0));
    let out = to_act_on("jsonl");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(files(&out), ["a.vfp", "b.vfp"]);

    // confirmed → notice_sent → withdrawn, each without --replace; the
    // statuses spelled as the ledger stores them.
    let mark = |status: &str, extra: &[&str]| {
        let mut args = vec![
            "mark",
            "--clip",
            "a.vfp",
            "--title",
            "ep1",
            "--status",
            status,
            "--reviewer",
            "ann",
        ];
        args.extend_from_slice(extra);
        review(&args)
    };
    let out = mark(
        "confirmed",
        &["--source-url", "https://video.example/@leaker/v/1"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = mark("notice_sent", &["--notice-id", "N-7"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = review(&["list"]);
    let listed = stdout(&out);
    assert!(
        listed.contains("notice_sent ep1")
            && listed.contains("file a.vfp")
            && listed.contains("replacing #1"),
        "{listed}"
    );
    let out = to_act_on("jsonl");
    assert_eq!(files(&out), ["b.vfp"], "a.vfp's notice is sent");
    let out = to_act_on("human");
    assert!(
        stderr(&out).contains("1 of the matched files to act on, 1 settled"),
        "{}",
        stderr(&out)
    );

    // b.vfp is a partner's: nothing is left, and the status says so.
    let out = review(&[
        "allow",
        "--sha256",
        &b,
        "--reviewer",
        "ann",
        "--note",
        "partner",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = to_act_on("jsonl");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(files(&out).is_empty());
    // The CSV carries the ledger's word.
    let out = to_act_on("csv");
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "the header only: {text}");
    assert!(text.contains("to_act_on,review,allowed"), "{text}");

    let out = mark("withdrawn", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = mark("false-positive", &[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a change of mind needs --replace"
    );
    assert!(stderr(&out).contains("--replace"), "{}", stderr(&out));

    // The allow-list, listed, revoked and exported for the record.
    let out = review(&["allow", "list"]);
    assert!(stdout(&out).contains(&b), "{}", stdout(&out));
    let out = review(&[
        "allow",
        "revoke",
        "--sha256",
        &b,
        "--reviewer",
        "bob",
        "--note",
        "contract ended",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("revoked by bob"), "{}", stderr(&out));
    assert_eq!(stdout(&review(&["allow", "list"])), "");
    let out = review(&["allow", "export", "--format", "csv"]);
    let mut rows = csv::Reader::from_reader(out.stdout.as_slice());
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!((&rows[0][6], &rows[0][8]), ("bob", "contract ended"));
    let out = to_act_on("jsonl");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(files(&out), ["b.vfp"], "licensed no more");
}
