//! A crawl folder through the real binary: files chosen by what they
//! hold, whatever their names; every file found accounted for in the
//! records and the summary; a resumed scan that tells apart names that
//! print the same.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

mod common;

use common::{film_catalog, generated, os, stderr, vfp};
use std::path::{Path, PathBuf};
use std::process::Output;

/// The jsonl records of `o`, by file name (the last path component).
fn records(o: &Output) -> std::collections::BTreeMap<String, serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|r| {
            let file = r["file"].as_str().unwrap();
            let name = file.rsplit('/').next().unwrap().to_owned();
            (name, r)
        })
        .collect()
}

/// `vfp scan -c cat -r crawl --format jsonl ARGS...` in `dir`.
fn scan_crawl(dir: &Path, args: &[&str]) -> Output {
    let mut full = vec![
        os("scan"),
        os("-c"),
        os("cat"),
        os("-r"),
        os("crawl"),
        os("--format"),
        os("jsonl"),
    ];
    full.extend(args.iter().map(os));
    vfp(dir, &full)
}

/// A crawl store as crawlers leave it: copies named by hash, `.bin`,
/// `.part`; notes, a thumbnail, a failed download, hidden files.
fn crawl_store(dir: &Path) {
    let crawl = dir.join("crawl");
    std::fs::create_dir_all(crawl.join(".cache")).unwrap();
    let copy = |from: &str, to: &str| {
        std::fs::copy(generated(from), crawl.join(to)).unwrap();
    };
    copy("crf-low-bitrate.mp4", "97a81f0c2d");
    copy("ref.ts", "clip.mp4.part");
    copy("odd-size.mkv", "blob.bin");
    copy("ref.mp4", ".hidden.mp4");
    copy("ref.mp4", ".cache/seen.mp4");
    std::fs::write(
        crawl.join("notes.mp4"),
        "found at https://video.example/v/1\n",
    )
    .unwrap();
    // A 16×16 PNG: a still picture.
    std::fs::write(
        crawl.join("thumb"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x02\0\0\0\x90\x91h6",
    )
    .unwrap();
    std::fs::write(crawl.join("failed.mp4"), b"").unwrap();
}

#[test]
fn a_crawl_folder_is_read_by_what_its_files_hold_and_every_file_is_accounted_for() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    crawl_store(d);

    let out = scan_crawl(d, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = records(&out);
    let verdict = |name: &str| got[name]["verdict"].as_str().unwrap().to_owned();
    let skipped = |name: &str| got[name]["skipped"].as_str().unwrap_or("").to_owned();
    // The two leaks, whatever their names; the other video scanned.
    assert_eq!(verdict("97a81f0c2d"), "match", "{got:?}");
    assert_eq!(verdict("clip.mp4.part"), "match", "{got:?}");
    assert_ne!(verdict("blob.bin"), "skipped", "{got:?}");
    // Every other file has a record saying why it was not read.
    for (name, reason) in [
        ("notes.mp4", "not_video"),
        ("thumb", "type"),
        ("failed.mp4", "empty"),
        (".hidden.mp4", "hidden"),
        (".cache", "hidden"),
    ] {
        assert_eq!(verdict(name), "skipped", "{name}: {:?}", got[name]);
        assert_eq!(skipped(name), reason, "{name}: {:?}", got[name]);
        assert!(
            !got[name]["skipped_because"].as_str().unwrap().is_empty(),
            "{name}"
        );
    }
    assert_eq!(
        got.len(),
        8,
        "one record per file or hidden folder: {got:?}"
    );

    // The summary counts them by reason, in the human format.
    let out = vfp(d, &[os("scan"), os("-c"), os("cat"), os("-r"), os("crawl")]);
    let summary = stderr(&out);
    assert!(
        summary.contains("vfp: scanned 3 files")
            && summary.contains(
                "5 files not scanned: 1 not a video, 1 empty, 1 left out by -t, 2 hidden (-u reads them)"
            ),
        "{summary}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("notes.mp4"));

    // -u reads hidden files and folders.
    let got = records(&scan_crawl(d, &["-u"]));
    for name in [".hidden.mp4", "seen.mp4"] {
        assert_eq!(got[name]["verdict"], "match", "{name}: {got:?}");
    }
    // -e reads only names with those extensions; the rest are said.
    let got = records(&scan_crawl(d, &["-e", "part", "-e", ".BIN"]));
    assert_eq!(got["clip.mp4.part"]["verdict"], "match");
    assert_ne!(got["blob.bin"]["verdict"], "skipped");
    assert_eq!(got["97a81f0c2d"]["skipped"], "extension", "{got:?}");
    // -t reads only files holding those types.
    let got = records(&scan_crawl(d, &["-t", "fingerprint"]));
    assert_eq!(got["97a81f0c2d"]["skipped"], "type", "{got:?}");
    // A file named is read whatever it holds: its error says what.
    let out = vfp(d, &[os("scan"), os("-c"), os("cat"), os("crawl/notes.mp4")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("notes.mp4"), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn a_resumed_scan_tells_apart_names_that_print_the_same() {
    use std::os::unix::ffi::OsStrExt as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    std::fs::create_dir(d.join("crawl")).unwrap();
    // x\xff.mp4 and x\xfe.mp4 both print as x\u{fffd}.mp4.
    let name = |byte: u8| {
        let mut bytes = b"crawl/x".to_vec();
        bytes.push(byte);
        bytes.extend_from_slice(b".mp4");
        PathBuf::from(std::ffi::OsStr::from_bytes(&bytes))
    };
    let (first, second) = (name(0xff), name(0xfe));
    std::fs::copy(generated("odd-size.mkv"), d.join(&first)).unwrap();
    std::fs::copy(generated("crf-low-bitrate.mp4"), d.join(&second)).unwrap();
    let out = vfp(
        d,
        &[
            os("scan"),
            os("-c"),
            os("cat"),
            os("--format"),
            os("jsonl"),
            os("-o"),
            os("r.jsonl"),
            first.as_os_str(),
        ],
    );
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
    // The same folder, resumed: the second is another file, and the leak.
    let out = scan_crawl(d, &["-o", "r.jsonl", "--append"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 skipped as already scanned"),
        "{}",
        stderr(&out)
    );
    let text = std::fs::read_to_string(d.join("r.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["file_raw"], "crawl/x%FF.mp4", "{text}");
    assert_eq!(lines[1]["file_raw"], "crawl/x%FE.mp4", "{text}");
    assert_eq!(lines[1]["verdict"], "match", "{text}");
}

#[test]
fn a_download_cut_short_keeps_the_matches_of_what_could_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    std::fs::create_dir(d.join("crawl")).unwrap();
    // The film's first half (its index at the front): the rest never came.
    std::fs::copy(
        generated("truncated-faststart.mp4"),
        d.join("crawl/half.mp4.part"),
    )
    .unwrap();
    // Cut with its index at the end: nothing can be read.
    std::fs::copy(generated("truncated.mp4"), d.join("crawl/unreadable.mp4")).unwrap();
    let out = scan_crawl(d, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let got = records(&out);
    let half = &got["half.mp4.part"];
    assert_eq!(half["verdict"], "match", "{half}");
    assert_eq!(half["partial"], true, "{half}");
    let why = half["partial_because"].as_str().unwrap();
    assert!(
        why.contains("half.mp4.part") && why.contains("truncated"),
        "{why}"
    );
    let m = &half["matches"][0];
    assert_eq!(m["title_id"], "ref", "{half}");
    assert!(m["clip_end_s"].as_f64().unwrap() < 6.5, "{half}");
    let unreadable = &got["unreadable.mp4"];
    assert_eq!(unreadable["verdict"], "error", "{unreadable}");
    assert!(unreadable.get("partial").is_none(), "{unreadable}");

    // In a person's words, and counted.
    let out = vfp(d, &[os("scan"), os("-c"), os("cat"), os("-r"), os("crawl")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("MATCH, 1 segment in the part that could be read")
            && text.contains("  partial: "),
        "{text}"
    );
    assert!(
        stderr(&out).contains("(1 of them read only in part, cut short)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_crawlers_manifest_carries_each_files_source_into_its_record_and_the_allow_list() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    crawl_store(d);
    std::fs::write(
        d.join("crawl/manifest.jsonl"),
        concat!(
            r#"{"path":"97a81f0c2d","source_url":"https://video.example/@studio/v/1","found_at":"2026-12-07T01:00:00Z","account":"@studio"}"#,
            "\n",
            r#"{"path":"clip.mp4.part","source_url":"https://video.example/@leaker/v/9","found_at":"2026-12-07T01:05:00Z"}"#,
            "\n",
        ),
    )
    .unwrap();
    let ledger = |args: &[&str]| {
        let mut full = vec![os("review")];
        full.extend(args.iter().map(os));
        full.extend([os("--ledger"), os("ledger.sqlite")]);
        vfp(d, &full)
    };
    let out = ledger(&["init"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = ledger(&[
        "allow",
        "--source-prefix",
        "https://video.example/@studio",
        "--reviewer",
        "ann",
        "--note",
        "the studio's own account",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = vfp(
        d,
        &[
            os("scan"),
            os("-c"),
            os("cat"),
            os("--from"),
            os("crawl/manifest.jsonl"),
            os("--ledger"),
            os("ledger.sqlite"),
            os("--format"),
            os("jsonl"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = records(&out);
    assert_eq!(got.len(), 2, "only the files listed: {got:?}");
    let own = &got["97a81f0c2d"];
    assert_eq!(own["verdict"], "match", "{own}");
    assert_eq!(own["source_url"], "https://video.example/@studio/v/1");
    assert_eq!(own["found_at"], "2026-12-07T01:00:00Z");
    assert_eq!(own["crawl"]["account"], "@studio");
    assert_eq!(own["review"]["to_act_on"], false, "{own}");
    assert_eq!(own["review"]["allowed"]["note"], "the studio's own account");
    let leak = &got["clip.mp4.part"];
    assert_eq!(leak["source_url"], "https://video.example/@leaker/v/9");
    assert_eq!(leak["review"]["to_act_on"], true, "{leak}");

    // A manifest line that cannot be read stops the scan before any file.
    std::fs::write(d.join("bad.csv"), "file,url\nx,y\n").unwrap();
    let out = vfp(
        d,
        &[os("scan"), os("-c"), os("cat"), os("--from"), os("bad.csv")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("bad.csv") && stderr(&out).contains("`path`"),
        "{}",
        stderr(&out)
    );
}

/// A catalog `cat` in `dir` of the test film as title `ep1` "Pilot", with
/// its owner, asset id, release date and labels.
fn owned_catalog(dir: &Path) {
    std::fs::write(
        dir.join("titles.csv"),
        format!(
            "id,path,name,owner,asset_id,release_date,labels\nep1,{},Pilot,Example Studios,EX-0001,2099-03-01,season=1\n",
            generated("ref.mp4").display()
        ),
    )
    .unwrap();
    let out = vfp(
        dir,
        &["index", "build", "-c", "cat", "--manifest", "titles.csv"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_titles_owner_asset_and_release_date_reach_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    owned_catalog(d);
    let out = vfp(d, &[os("index"), os("list"), os("-c"), os("cat")]);
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        listed.ends_with("\tExample Studios\tEX-0001\t2099-03-01\tseason=1\n"),
        "{listed}"
    );
    let copy = generated("crf-low-bitrate.mp4");
    let out = vfp(
        d,
        &[
            os("scan"),
            os("-c"),
            os("cat"),
            os("--format"),
            os("jsonl"),
            copy.as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let record: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    let m = &record["matches"][0];
    assert_eq!(
        (
            &m["title_owner"],
            &m["title_asset_id"],
            &m["title_release_date"],
            &m["title_labels"]
        ),
        (
            &serde_json::json!("Example Studios"),
            &serde_json::json!("EX-0001"),
            &serde_json::json!("2099-03-01"),
            &serde_json::json!("season=1")
        )
    );
    let out = vfp(
        d,
        &[
            os("verify"),
            os("-c"),
            os("cat"),
            copy.as_os_str(),
            os("--report"),
            os("page.html"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = std::fs::read_to_string(d.join("page.html")).unwrap();
    assert!(
        page.contains("Example Studios") && page.contains("not released when this page was made"),
        "the page names the owner and says the work is unreleased"
    );
    // A date that is not one is refused, naming the line.
    std::fs::write(d.join("bad.csv"), "ep2,x.mp4,,,,,2027-02-30\n").unwrap();
    let out = vfp(
        d,
        &[
            os("index"),
            os("build"),
            os("-c"),
            os("cat2"),
            os("--manifest"),
            os("bad.csv"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad.csv:1"), "{}", stderr(&out));
}

#[test]
fn a_confirmed_copy_becomes_a_notice_draft_until_its_notice_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    owned_catalog(d);
    let run = |args: &[&str]| vfp(d, args);
    let ok = |out: Output| {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        out
    };
    let copy = generated("crf-low-bitrate.mp4");
    let copy = copy.to_str().unwrap();
    ok(run(&[
        "verify",
        "-c",
        "cat",
        copy,
        "--bundle",
        "case",
        "--source-url",
        "https://video.example/@leaker/v/7",
        "--found-at",
        "2026-12-07T01:00:00Z",
    ]));
    ok(run(&["review", "init", "--ledger", "l.sqlite"]));
    let notice = |format: &str| {
        run(&[
            "review", "notice", "--ledger", "l.sqlite", "-c", "cat", "--format", format,
        ])
    };
    let out = notice("text");
    assert_eq!(out.status.code(), Some(1), "nothing confirmed yet");
    // Confirmed on the bundle's report: its URL, time and timecodes kept.
    ok(run(&[
        "review",
        "mark",
        "--ledger",
        "l.sqlite",
        "--clip",
        copy,
        "--title",
        "ep1",
        "--status",
        "confirmed",
        "--reviewer",
        "ann",
        "--evidence",
        "case/report.json",
    ]));
    let out = ok(notice("text"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for element in [
        "To: the designated agent of video.example",
        "On behalf of: Example Studios",
        "The work: ep1 \"Pilot\", asset EX-0001",
        "The infringing copy: https://video.example/@leaker/v/7 (file crf-low-bitrate.mp4), found 2026-12-07T01:00:00Z",
        "of the work (",
        "Evidence: SHA-256 ",
        "under penalty of perjury",
    ] {
        assert!(text.contains(element), "{element}: {text}");
    }
    let out = ok(notice("json"));
    let drafts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let item = &drafts["notices"][0]["items"][0];
    assert_eq!(item["work"]["owner"], "Example Studios");
    assert!(
        item["matched"][0]["title_share_pct"].as_f64().unwrap() > 50.0,
        "{item}"
    );
    // Sent: recorded by the user, and no longer drafted.
    ok(run(&[
        "review",
        "mark",
        "--ledger",
        "l.sqlite",
        "--clip",
        copy,
        "--title",
        "ep1",
        "--status",
        "notice_sent",
        "--notice-id",
        "N-1",
        "--reviewer",
        "ann",
    ]));
    assert_eq!(notice("text").status.code(), Some(1));
}

#[test]
fn a_copy_of_a_public_part_of_a_title_is_allowed_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    let copy = generated("crf-low-bitrate.mp4");
    let copy = copy.to_str().unwrap();
    let run = |args: &[&str]| vfp(d, args);
    let scan = || {
        let out = run(&[
            "scan", "-c", "cat", "--format", "jsonl", "--ledger", "l.sqlite", copy,
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    assert_eq!(
        run(&["review", "init", "--ledger", "l.sqlite"])
            .status
            .code(),
        Some(0)
    );
    let before = scan();
    assert!(before["matches"][0].get("public").is_none(), "{before}");
    assert_eq!(before["review"]["to_act_on"], true);
    // The whole film was released as a trailer.
    let out = run(&[
        "index",
        "exclude",
        "-c",
        "cat",
        "ref",
        "00:00:00-00:00:11.303",
        "--reason",
        "trailer",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(&["index", "exclude", "-c", "cat"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ref\t00:00:00.000\t00:00:11.303\ttrailer\n"
    );
    let after = scan();
    assert_eq!(after["matches"][0]["public"], "trailer", "{after}");
    assert_eq!(after["review"]["to_act_on"], false, "{after}");
    let out = run(&["scan", "-c", "cat", copy]);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("public: this part of the title was published (trailer)"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // A range outside the title, or a title not in the catalog, is refused.
    for args in [
        &["index", "exclude", "-c", "cat", "ref", "00:00:05-00:01:00"][..],
        &["index", "exclude", "-c", "cat", "nope", "0-5"],
        &["index", "exclude", "-c", "cat", "ref", "5-2"],
    ] {
        assert_eq!(run(args).status.code(), Some(2), "{args:?}");
    }
    // Forgotten: the copy is a leak again.
    let out = run(&["index", "exclude", "-c", "cat", "ref", "0-11", "--remove"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(scan()["matches"][0].get("public").is_none());
}

#[test]
fn a_days_hits_become_one_page_each_linking_to_its_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    std::fs::create_dir(d.join("crawl")).unwrap();
    for (from, to) in [
        ("mirrored.mp4", "a.mp4"),
        ("crf-low-bitrate.mp4", "b.mp4"),
        ("odd-size.mkv", "other.mkv"),
    ] {
        std::fs::copy(generated(from), d.join("crawl").join(to)).unwrap();
    }
    let run = |args: &[&str]| vfp(d, args);
    let out = run(&[
        "scan", "-c", "cat", "-r", "crawl", "--format", "jsonl", "-o", "r.jsonl",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(&["report", "r.jsonl", "-c", "cat", "-o", "review"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let index = std::fs::read_to_string(d.join("review/index.html")).unwrap();
    assert!(
        index.contains("2 files with a match, of 3 records"),
        "{index}"
    );
    assert_eq!(
        index.matches("<img src=\"data:image/png;base64,").count(),
        4,
        "two pairs of pictures"
    );
    for page in ["review/pages/0001.html", "review/pages/0002.html"] {
        let html = std::fs::read_to_string(d.join(page)).unwrap();
        assert!(
            html.contains("This clip shows the catalog title ref"),
            "{page}"
        );
    }
    // A results file whose last line is cut short (a scan still
    // writing) gives the page of the lines before it, and says so; a
    // line that is not a record anywhere else is refused by its number.
    let text = std::fs::read_to_string(d.join("r.jsonl")).unwrap();
    let cut = format!("{text}{{\"file\":\"crawl/c.mp4\",\"verd");
    std::fs::write(d.join("cut.jsonl"), cut).unwrap();
    let out = run(&["report", "cut.jsonl", "-c", "cat", "-o", "cut"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cut.jsonl:4: the last line is cut short"),
        "{}",
        stderr(&out)
    );
    assert!(d.join("cut/index.html").exists());
    for bad in ["{\"file\": 1}\n", "not json\n"] {
        std::fs::write(d.join("bad.jsonl"), format!("{bad}{text}")).unwrap();
        let out = run(&["report", "bad.jsonl", "-c", "cat", "-o", "bad"]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("bad.jsonl:1: not a scan record ("),
            "{}",
            stderr(&out)
        );
        assert!(!d.join("bad").exists(), "nothing written");
    }
    // A folder with a page already is refused without --force.
    let out = run(&["report", "r.jsonl", "-c", "cat", "-o", "review"]);
    assert_eq!(out.status.code(), Some(2));
    // A hit whose file is gone is listed, not dropped; the status says so.
    std::fs::remove_file(d.join("crawl/b.mp4")).unwrap();
    let out = run(&["report", "r.jsonl", "-c", "cat", "-o", "again"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let index = std::fs::read_to_string(d.join("again/index.html")).unwrap();
    assert!(
        index.contains("Not checked again (1): crawl/b.mp4"),
        "{index}"
    );
    // Results without a hit: nothing to review.
    std::fs::write(d.join("none.jsonl"), "").unwrap();
    assert_eq!(
        run(&["report", "none.jsonl", "-c", "cat", "-o", "empty"])
            .status
            .code(),
        Some(1)
    );
}
