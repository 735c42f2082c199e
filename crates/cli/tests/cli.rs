//! The real `vfp` binary, run in a temporary folder.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

mod common;

use common::{film_catalog, generated, jsonl, os, stderr, stdout, vfp};
use std::path::Path;
use std::process::{Command, Output};

#[test]
fn extract_writes_one_vfp_per_input() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (generated("ref.mp4"), generated("odd-size.mkv"));
    let out = vfp(
        dir.path(),
        &[
            os("extract"),
            os("-o"),
            os("fps"),
            a.as_os_str(),
            b.as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for name in ["ref.vfp", "odd-size.vfp"] {
        let path = dir.path().join("fps").join(name);
        let fp = vfp_fingerprint::format::read_file(&path).unwrap();
        assert!(!fp.frames.is_empty());
    }
    assert!(
        stderr(&out).contains("extracted 2 of 2 files"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn extract_json_prints_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let a = generated("ref.mp4");
    let out = vfp(
        dir.path(),
        &[
            os("extract"),
            os("--format"),
            os("json"),
            os("--fps"),
            os("2"),
            a.as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(v["source"]["file_name"], "ref.mp4");
    assert_eq!(v["params"]["sampling"]["mode"], "dense");
    assert_eq!(v["frames"].as_array().unwrap().len(), 23);
    assert_eq!(v["frames"][0]["hash"].as_str().unwrap().len(), 64);
    // Nothing written to disk in JSON mode.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn json_output_takes_inputs_with_the_same_name() {
    // Two inputs named ref.mp4 would collide as ref.vfp, but not on stdout.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("ref.mp4");
    std::fs::copy(generated("ref.mp4"), &copy).unwrap();
    let a = generated("ref.mp4");
    let out = vfp(
        dir.path(),
        &[
            os("extract"),
            os("--format"),
            os("json"),
            os("--fps"),
            os("1"),
            a.as_os_str(),
            copy.as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
}

#[test]
fn keyframes_flag_sets_keyframe_sampling() {
    let dir = tempfile::tempdir().unwrap();
    let a = generated("ref.mp4");
    let out = vfp(
        dir.path(),
        &[os("extract"), os("--keyframes"), a.as_os_str()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let fp = vfp_fingerprint::format::read_file(&dir.path().join("ref.vfp")).unwrap();
    assert_eq!(fp.params.sampling, vfp_fingerprint::Sampling::Keyframes);
}

#[test]
fn one_bad_file_does_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let bad = [
        generated("empty.mp4"),
        generated("truncated.mp4"),
        generated("truncated-faststart.mp4"),
        generated("random.mp4"),
        generated("text.mp4"),
        generated("audio-only.m4a"),
        dir.path().join("missing.mp4"),
    ];
    let good = generated("ref.mp4");
    let mut args = vec![os("extract"), os("-j"), os("2")];
    args.extend(bad.iter().map(|p| p.as_os_str()));
    args.push(good.as_os_str());
    let out = vfp(dir.path(), &args);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for p in &bad {
        let name = p.file_name().unwrap().to_string_lossy();
        assert!(
            err.lines()
                .any(|l| l.starts_with("vfp: error:") && l.contains(&*name)),
            "no error line names {name}:\n{err}"
        );
    }
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("extracted 1 of 8 files, 7 failed"), "{err}");
    assert!(dir.path().join("ref.vfp").exists());
    // No fingerprint, and no temporary file, for the bad inputs.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["ref.vfp".to_owned()]);
}

#[test]
fn colliding_output_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("other");
    std::fs::create_dir(&sub).unwrap();
    let copy = sub.join("ref.mp4");
    std::fs::copy(generated("ref.mp4"), &copy).unwrap();
    let a = generated("ref.mp4");
    let out = vfp(
        dir.path(),
        &[
            os("extract"),
            os("-j"),
            os("1"),
            a.as_os_str(),
            copy.as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("would overwrite"), "{}", stderr(&out));
}

#[test]
fn show_describes_a_fingerprint_and_rejects_damaged_ones() {
    let dir = tempfile::tempdir().unwrap();
    let a = generated("ref.mp4");
    let out = vfp(dir.path(), &[os("extract"), a.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let good = dir.path().join("ref.vfp");
    let out = vfp(dir.path(), &[os("show"), good.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("ref.mp4") && text.contains("dense 4 fps") && text.contains("dct256-v1"),
        "{text}"
    );
    // A title's local features: a picture a second, at its own scale.
    let features = text
        .lines()
        .find(|l| l.starts_with("features"))
        .unwrap_or("");
    assert!(
        features.contains(" pictures, ") && features.ends_with("at 100 %"),
        "{text}"
    );

    // One flipped byte in the frames, and a truncated copy.
    let mut bytes = std::fs::read(&good).unwrap();
    let damaged = dir.path().join("damaged.vfp");
    let at = bytes.len() - 100;
    bytes[at] ^= 1;
    std::fs::write(&damaged, &bytes).unwrap();
    let truncated = dir.path().join("truncated.vfp");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let out = vfp(
        dir.path(),
        &[
            os("show"),
            damaged.as_os_str(),
            good.as_os_str(),
            truncated.as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("damaged.vfp: checksum mismatch"), "{err}");
    assert!(err.contains("truncated.vfp: truncated"), "{err}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("dct256-v1"),
        "the good file is still shown"
    );
}

#[test]
fn bad_arguments_exit_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["extract"],
        vec!["extract", "--fps", "0", "a.mp4"],
        vec!["frobnicate"],
    ] {
        let args: Vec<&std::ffi::OsStr> = args.iter().map(os).collect();
        let out = vfp(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

/// `vfp scan --catalog cat ARGS...` in `dir`.
fn scan_cat(dir: &Path, args: &[&std::ffi::OsStr]) -> Output {
    let mut full = vec![os("scan"), os("--catalog"), os("cat")];
    full.extend_from_slice(args);
    vfp(dir, &full)
}

#[test]
fn index_build_list_info_verify_add_remove() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (film, odd) = (generated("ref.mp4"), generated("odd-size.mkv"));
    // A .vfp input too: fingerprinted elsewhere, shipped as a file.
    let out = vfp(
        d,
        &[
            os("extract"),
            os("-o"),
            os("fps"),
            generated("vfr.mp4").as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = vfp(
        d,
        &[
            os("index"),
            os("build"),
            os("--catalog"),
            os("cat"),
            film.as_os_str(),
            odd.as_os_str(),
            os("fps/vfr.vfp"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("3 titles"), "{}", stderr(&out));

    // Building again over it is refused, before any extraction, unless
    // --replace (it replaced the catalog without a word: 11 titles
    // became 1); adding a title it holds says how to replace it.
    let out = vfp(
        d,
        &[
            os("index"),
            os("build"),
            os("-c"),
            os("cat"),
            film.as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cat holds a catalog of 3 titles already")
            && stderr(&out).contains("--replace"),
        "{}",
        stderr(&out)
    );
    let out = vfp(
        d,
        &[
            os("index"),
            os("add"),
            os("-c"),
            os("cat"),
            film.as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("title \"ref\" is in the catalog already")
            && stderr(&out).contains("vfp index remove -c cat ref"),
        "{}",
        stderr(&out)
    );

    let out = vfp(d, &[os("index"), os("list"), os("--catalog"), os("cat")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let list = stdout(&out);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    assert!(lines[0].starts_with("ref\tref\t00:00:11.30"), "{list}");

    let out = vfp(d, &[os("index"), os("info"), os("--catalog"), os("cat")]);
    assert!(
        stdout(&out).contains("titles         3") && stdout(&out).contains("dct256-v1"),
        "{}",
        stdout(&out)
    );
    let out = vfp(d, &[os("index"), os("verify"), os("--catalog"), os("cat")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("every checksum holds"));

    // Add from a titles CSV with names and labels; then remove one.
    std::fs::copy(generated("downscale-240p.mp4"), d.join("small.mp4")).unwrap();
    std::fs::write(
        d.join("titles.csv"),
        "id,path,name,labels\nep9,small.mp4,Episode Nine,embargo=yes\n",
    )
    .unwrap();
    let out = vfp(
        d,
        &[
            os("index"),
            os("add"),
            os("--catalog"),
            os("cat"),
            os("--manifest"),
            os("titles.csv"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let list = stdout(&vfp(
        d,
        &[os("index"), os("list"), os("--catalog"), os("cat")],
    ));
    assert!(list.contains("ep9\tEpisode Nine\t"), "{list}");
    let out = vfp(
        d,
        &[
            os("index"),
            os("remove"),
            os("--catalog"),
            os("cat"),
            os("odd-size"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let list = stdout(&vfp(
        d,
        &[os("index"), os("list"), os("--catalog"), os("cat")],
    ));
    assert!(
        !list.contains("odd-size") && list.lines().count() == 3,
        "{list}"
    );
}

#[test]
fn index_errors_name_the_path_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let film = generated("ref.mp4");
    // A missing catalog.
    let out = vfp(
        d,
        &[os("index"), os("list"), os("--catalog"), os("nowhere")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("nowhere") && stderr(&out).contains("not a vfp catalog"),
        "{}",
        stderr(&out)
    );
    // A bad titles CSV line, with its number.
    std::fs::write(d.join("bad.csv"), "ep1,a.mp4\nep2\n").unwrap();
    let out = vfp(
        d,
        &[
            os("index"),
            os("build"),
            os("--catalog"),
            os("cat"),
            os("--manifest"),
            os("bad.csv"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad.csv:2:"), "{}", stderr(&out));
    // Duplicate ids (the same stem twice).
    std::fs::create_dir(d.join("other")).unwrap();
    std::fs::copy(&film, d.join("other/ref.mp4")).unwrap();
    let out = vfp(
        d,
        &[
            os("index"),
            os("build"),
            os("--catalog"),
            os("cat"),
            film.as_os_str(),
            os("other/ref.mp4"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("used twice"), "{}", stderr(&out));
    // One unreadable title fails the whole build and writes nothing.
    let out = vfp(
        d,
        &[
            os("index"),
            os("build"),
            os("--catalog"),
            os("cat"),
            film.as_os_str(),
            generated("random.mp4").as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("random.mp4") && stderr(&out).contains("not changed"),
        "{}",
        stderr(&out)
    );
    assert!(!d.join("cat").exists());
    // A damaged segment: open fails or verify fails, naming the file.
    let out = vfp(
        d,
        &[
            os("index"),
            os("build"),
            os("--catalog"),
            os("cat"),
            film.as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let seg = d.join("cat/seg-000001.vfps");
    let mut bytes = std::fs::read(&seg).unwrap();
    let at = bytes.len() - 20;
    bytes[at] ^= 0xff;
    std::fs::write(&seg, &bytes).unwrap();
    let out = vfp(d, &[os("index"), os("verify"), os("--catalog"), os("cat")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("seg-000001.vfps"), "{}", stderr(&out));
}

#[test]
fn scan_reports_matches_no_matches_and_errors_with_grep_like_status() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    let copy = generated("crf-low-bitrate.mp4");
    let mirrored = generated("mirrored.mp4");
    let other = generated("odd-size.mkv");

    // A match: exit 0, a jsonl record with the agreed fields.
    let out = vfp(
        d,
        &[
            os("scan"),
            os("--catalog"),
            os("cat"),
            os("--format"),
            os("jsonl"),
            copy.as_os_str(),
            mirrored.as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let records = jsonl(&out);
    assert_eq!(records.len(), 2);
    for r in &records {
        assert_eq!(r["verdict"], "match", "{r}");
        assert_eq!(r["sha256"].as_str().unwrap().len(), 64);
        let m = &r["matches"][0];
        assert_eq!(m["title_id"], "ref");
        for field in [
            "title_name",
            "score",
            "clip_start_s",
            "clip_end_s",
            "title_start_s",
            "title_end_s",
            "matched_frames",
            "speed",
            "mirrored",
        ] {
            assert!(!m[field].is_null(), "{field} missing in {m}");
        }
        // The copies keep the film's timeline.
        let offset = m["title_start_s"].as_f64().unwrap() - m["clip_start_s"].as_f64().unwrap();
        assert!(offset.abs() < 0.5, "{m}");
    }
    let mirrored_flag = |r: &serde_json::Value| r["matches"][0]["mirrored"].as_bool().unwrap();
    assert_eq!(records.iter().filter(|r| mirrored_flag(r)).count(), 1);

    // No match: exit 1.
    let out = vfp(
        d,
        &[os("scan"), os("--catalog"), os("cat"), other.as_os_str()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("no match"));

    // An error among others: exit 2, an error record, the others still scanned.
    let bad = generated("random.mp4");
    let out = vfp(
        d,
        &[
            os("scan"),
            os("--catalog"),
            os("cat"),
            os("--format"),
            os("jsonl"),
            bad.as_os_str(),
            copy.as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(
        text.contains("\"verdict\":\"error\"") && text.contains("random.mp4"),
        "{text}"
    );
    assert!(text.contains("\"verdict\":\"match\""), "{text}");

    // Resume: files already done are skipped; the failed one is retried;
    // a line cut short by an interrupted scan is ignored.
    std::fs::write(d.join("done.jsonl"), format!("{text}{{\"file\":\"cut sh")).unwrap();
    let out = vfp(
        d,
        &[
            os("scan"),
            os("--catalog"),
            os("cat"),
            os("--format"),
            os("jsonl"),
            os("--resume"),
            os("done.jsonl"),
            bad.as_os_str(),
            copy.as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stdout(&out).lines().count(),
        1,
        "only the failed file is scanned again"
    );
}

#[test]
fn fast_scans_triage_by_keyframes_and_confirm_densely() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    // A copy with a keyframe a second (triaged, then confirmed densely),
    // one with 4 keyframes (too few to rule it out: decoded densely), and
    // 30 s of unrelated footage with 12 keyframes (ruled out by them).
    let keyed = generated("keyint-1s.mp4");
    let few = generated("mirrored.mp4");
    let street = generated("street-keyint-1s.mp4");
    let out = vfp(
        d,
        &[
            os("scan"),
            os("--catalog"),
            os("cat"),
            os("--fast"),
            os("--format"),
            os("jsonl"),
            keyed.as_os_str(),
            few.as_os_str(),
            street.as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let records = jsonl(&out);
    let verdict = |name: &str| {
        let r = records
            .iter()
            .find(|r| Path::new(r["file"].as_str().unwrap()).file_name() == Some(os(name)))
            .unwrap();
        (r["verdict"].as_str().unwrap().to_owned(), r.clone())
    };
    for name in ["keyint-1s.mp4", "mirrored.mp4"] {
        let (v, r) = verdict(name);
        assert_eq!(v, "match", "{r}");
        // Confirmed densely: a segment of many frames, on the timeline.
        let m = &r["matches"][0];
        assert!(m["matched_frames"].as_u64().unwrap() >= 20, "{r}");
        let offset = m["title_start_s"].as_f64().unwrap() - m["clip_start_s"].as_f64().unwrap();
        assert!(offset.abs() < 0.5, "{m}");
    }
    let (v, r) = verdict("street-keyint-1s.mp4");
    assert_eq!(v, "no_match", "{r}");
    assert!(
        (r["duration_s"].as_f64().unwrap() - 30.0).abs() < 0.2,
        "{r}"
    );
}

#[test]
fn verify_gives_timecoded_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    let copy = generated("mirrored.mp4");
    let out = vfp(
        d,
        &[os("verify"), os("--catalog"), os("cat"), copy.as_os_str()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("segment 1: ref")
            && text.contains("mirrored")
            && text.contains("clip  00:00:00."),
        "{text}"
    );

    let v = verify_json(d, &[os("--title"), os("ref"), copy.as_os_str()]);
    let s = &v["segments"][0];
    assert_eq!(s["title_id"], "ref");
    assert_eq!(s["mirrored"], true);
    let frames = s["frames"].as_array().unwrap();
    assert!(frames.len() >= 20 && frames.len() == s["matched_frames"].as_u64().unwrap() as usize);
    let searched = s["searched_frames"].as_u64().unwrap();
    assert!(searched >= 2 && searched <= frames.len() as u64, "{s}");
    assert_eq!(
        v["follow_radius"],
        vfp_scan::ScanSettings::default().follow_radius
    );
    // Each frame shows the title at (about) the same time: the copy keeps the timeline.
    for f in frames {
        let (clip_ms, title_ms) = (
            f["clip_ms"].as_i64().unwrap(),
            f["title_ms"].as_i64().unwrap(),
        );
        assert!((clip_ms - title_ms).abs() <= 300, "{f}");
        assert!(f["distance"].as_u64().unwrap() <= 55, "{f}");
    }
    let by_search = frames.iter().filter(|f| f["found_by"] == "search").count();
    assert_eq!(by_search as u64, searched, "{s}");
    let score = s["score"].as_f64().unwrap();
    assert_eq!(
        score,
        (score * 1000.0).round() / 1000.0,
        "the score is rounded"
    );

    // The evidence page: self-contained, clip and catalog frames side by
    // side (the catalog was built from the video, which is still here).
    let out = vfp(
        d,
        &[
            os("verify"),
            os("--catalog"),
            os("cat"),
            os("--report"),
            os("evidence.html"),
            copy.as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let html = std::fs::read_to_string(d.join("evidence.html")).unwrap();
    assert_eq!(
        html.matches("<img src=\"data:image/png;base64,").count(),
        8,
        "4 clip + 4 catalog frames"
    );
    assert!(html.contains("<svg") && html.contains("Segment 1: ref") && html.contains("mirrored"));
    assert!(
        html.contains(&format!(
            "search radius {}",
            vfp_scan::ScanSettings::default().radius
        )),
        "the plot marks the search radius"
    );
    assert!(
        !html.contains("src=\"http") && !html.contains("<script"),
        "no external resources"
    );
    // Its SHA-256 beside it, as sha256sum writes it.
    let sum = std::fs::read_to_string(d.join("evidence.html.sha256")).unwrap();
    assert!(
        sum.ends_with("  evidence.html\n") && sum.len() == 64 + 2 + 13 + 1,
        "{sum}"
    );
    assert!(
        html.contains("This clip shows the catalog title ref"),
        "the verdict in words"
    );

    // The bundle, with where the clip came from.
    let out = vfp(
        d,
        &[
            os("verify"),
            os("--catalog"),
            os("cat"),
            os("--bundle"),
            os("case-7"),
            os("--source-url"),
            os("https://example.com/p/1"),
            os("--reviewer"),
            os("A. Reviewer"),
            os("--case"),
            os("C-7"),
            os("--found-at"),
            os("2026-11-30T08:12:00Z"),
            copy.as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("case-7/report.json")).unwrap()).unwrap();
    assert_eq!(
        report["provenance"]["source_url"],
        "https://example.com/p/1"
    );
    assert_eq!(report["provenance"]["case"], "C-7");
    assert!(report["provenance"]["command_line"]
        .as_str()
        .unwrap()
        .contains("--reviewer 'A. Reviewer'"));
    assert!(
        report["verification"]["segments"][0]["frames"]
            .as_array()
            .unwrap()
            .len()
            > 100,
        "every matched frame pair"
    );
    let check = Command::new("sha256sum")
        .current_dir(d.join("case-7"))
        .args(["-c", "SHA256SUMS"])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );

    // Unrelated clip: exit 1. Unknown title: exit 2 naming it.
    let out = vfp(
        d,
        &[
            os("verify"),
            os("--catalog"),
            os("cat"),
            generated("odd-size.mkv").as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let out = vfp(
        d,
        &[
            os("verify"),
            os("--catalog"),
            os("cat"),
            os("--title"),
            os("nope"),
            copy.as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("\"nope\""));
}

#[test]
fn human_output_reads_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    let copy = generated("crf-low-bitrate.mp4");
    let missing = d.join("nonexist.mp4");
    let out = scan_cat(d, &[copy.as_os_str(), missing.as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    let (text, err) = (stdout(&out), stderr(&out));
    // The match in timecodes, the title named once (its name is its id).
    assert!(
        text.contains("crf-low-bitrate.mp4: MATCH, 1 segment\n"),
        "{text}"
    );
    assert!(text.contains("  ref: clip 00:00:0"), "{text}");
    assert!(!text.contains("\"ref\""), "{text}");
    // The error on stderr only, naming the file once.
    assert!(!text.contains("nonexist"), "{text}");
    let line = err
        .lines()
        .find(|l| l.contains("nonexist.mp4"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(line.starts_with("vfp: error: "), "{line}");
    assert_eq!(line.matches("nonexist.mp4").count(), 1, "{line}");
    // The summary, with the rates.
    assert!(
        err.contains("vfp: scanned 2 files in ")
            && err.contains(": 1 matched, 0 no match, 1 error; ")
            && err.contains(" files/s, ")
            && err.contains("s of video)"),
        "{err}"
    );
    // No progress bar: the same records and summary.
    let plain = scan_cat(
        d,
        &[os("--no-progress"), copy.as_os_str(), missing.as_os_str()],
    );
    assert_eq!(plain.status.code(), Some(2));
    assert_eq!(stdout(&plain), text);
    assert!(stderr(&plain).contains("vfp: scanned 2 files"));
    // Quiet, as grep -q: nothing printed, a match is the answer (0)
    // whatever else failed; without one, the error's status and words.
    let quiet = scan_cat(d, &[os("-q"), copy.as_os_str(), missing.as_os_str()]);
    assert_eq!(quiet.status.code(), Some(0), "{}", stderr(&quiet));
    assert_eq!(stdout(&quiet), "");
    assert!(
        !stderr(&quiet).contains("vfp: scanned"),
        "{}",
        stderr(&quiet)
    );
    let quiet = scan_cat(d, &[os("-q"), missing.as_os_str()]);
    assert_eq!(quiet.status.code(), Some(2));
    assert_eq!(stdout(&quiet), "");
    assert!(
        stderr(&quiet).contains("nonexist.mp4"),
        "{}",
        stderr(&quiet)
    );
}

#[test]
fn csv_rows_have_every_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    let out = scan_cat(
        d,
        &[
            os("--format"),
            os("csv"),
            os("-j"),
            os("1"),
            generated("crf-low-bitrate.mp4").as_os_str(),
            generated("odd-size.mkv").as_os_str(),
            generated("random.mp4").as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(text.starts_with("file,sha256,duration_s,verdict,title_id,title_name,score"));
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 3, "{text}");
    let verdicts: Vec<&str> = rows.iter().map(|r| &r[3]).collect();
    assert_eq!(
        verdicts,
        ["match", "no_match", "error"],
        "-j 1 keeps the order"
    );
    assert_eq!((&rows[0][4], &rows[0][5]), ("ref", "ref"));
    assert_eq!(rows[0][1].len(), 64, "sha256");
    assert!(rows[1][4].is_empty() && rows[1][1].len() == 64);
    assert!(rows[2][14].contains("random.mp4"), "{:?}", rows[2]);
}

#[test]
fn out_of_range_settings_are_refused_before_the_catalog_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (args, says) in [
        (
            &["scan", "--catalog", "missing", "--min-frames", "1", "a.mp4"][..],
            "at least 2",
        ),
        (
            &["scan", "--catalog", "missing", "--radius", "300", "a.mp4"],
            "at most 256",
        ),
        (
            &["verify", "--catalog", "missing", "--fps", "0", "a.mp4"],
            "sampling rate",
        ),
    ] {
        let args: Vec<&std::ffi::OsStr> = args.iter().map(os).collect();
        let out = vfp(d, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains(says) && !err.contains("not a vfp catalog"),
            "{err}"
        );
    }
}

#[test]
fn a_keyframe_only_fingerprint_is_not_called_clean() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    let out = vfp(
        d,
        &[
            os("extract"),
            os("--keyframes"),
            os("-o"),
            os("keys"),
            generated("street-keyint-1s.mp4").as_os_str(),
            generated("mirrored.mp4").as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let scan = |vfp_file: &str| scan_cat(d, &[os(vfp_file)]);
    // Unrelated, with enough keyframes, none near the catalog: what the
    // --fast triage rules out.
    let out = scan("keys/street-keyint-1s.vfp");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // A copy with 4 keyframes: too few to match, too few to vouch for
    // it: inconclusive (status 4), with why.
    let out = scan("keys/mirrored.vfp");
    assert_eq!(out.status.code(), Some(4), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("mirrored.vfp: inconclusive: ")
            && stdout(&out).contains("cannot rule out a match"),
        "{}",
        stdout(&out)
    );
    // verify says so too, and its page has no verdict to give.
    let out = vfp(
        d,
        &[
            os("verify"),
            os("-c"),
            os("cat"),
            os("keys/mirrored.vfp"),
            os("--report"),
            os("page.html"),
        ],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let page = std::fs::read_to_string(d.join("page.html")).unwrap();
    assert!(page.contains("No verdict"), "{page}");
}

#[test]
fn a_man_page_and_completions_are_generated() {
    let dir = tempfile::tempdir().unwrap();
    let out = vfp(dir.path(), &[os("generate"), os("man")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(".TH vfp"), "{}", stdout(&out));
    let out = vfp(dir.path(), &[os("generate"), os("complete-bash")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("_vfp()"), "{}", stdout(&out));
}

#[test]
fn help_states_defaults_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    for (args, wants) in [
        (&["extract", "--help"][..], "default: 4"),
        (&["scan", "--help"], "[default: 31]"),
        (&["scan", "--help"], "Exit status: 0"),
        (&["verify", "--help"], "Exit status: 0"),
        (&["index", "build", "--help"], "--catalog <CATALOG>"),
    ] {
        let args: Vec<&std::ffi::OsStr> = args.iter().map(os).collect();
        let out = vfp(dir.path(), &args);
        assert_eq!(out.status.code(), Some(0));
        assert!(stdout(&out).contains(wants), "{args:?}: {}", stdout(&out));
    }
}

#[test]
fn framing_that_changes_inside_a_clip_loses_little() {
    // The film pillarboxed after a 0.5 s full-frame card, before one, and
    // windowboxed between 1.5 s of full-frame street footage on each side.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    let out = scan_cat(
        d,
        &[
            os("--format"),
            os("jsonl"),
            os("-j"),
            os("1"),
            generated("intro-card-pillarbox.mp4").as_os_str(),
            generated("pillarbox-outro-card.mp4").as_os_str(),
            generated("compilation-windowbox.mp4").as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let records = jsonl(&out);
    let span = |r: &serde_json::Value| {
        let m = &r["matches"][0];
        let f = |k: &str| m[k].as_f64().unwrap_or_else(|| panic!("{k} in {r}"));
        (f("clip_start_s"), f("clip_end_s"), f("title_start_s"))
    };
    // The card is cut off, the 11.3 s film matched nearly whole.
    let (start, end, title_start) = span(&records[0]);
    assert!((start - title_start - 0.5).abs() < 0.1, "{}", records[0]);
    assert!(start >= 0.4 && end - start >= 10.5, "{}", records[0]);
    let (start, end, _) = span(&records[1]);
    assert!(end - start >= 10.5, "{}", records[1]);
    // Between other footage: found at its place in the compilation, whole
    // (the windows shared with the street footage are decided in parts).
    let (start, end, title_start) = span(&records[2]);
    assert!((start - title_start - 1.5).abs() < 0.1, "{}", records[2]);
    assert!(end - start >= 10.5, "{}", records[2]);
}

/// `vfp verify --format json` of `args` against the catalog `cat` in `d`,
/// which must succeed.
fn verify_json(d: &Path, args: &[&std::ffi::OsStr]) -> serde_json::Value {
    let mut all = vec![
        os("verify"),
        os("--catalog"),
        os("cat"),
        os("--format"),
        os("json"),
    ];
    all.extend_from_slice(args);
    let out = vfp(d, &all);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// Scans `clip` (the film's timeline kept) against the film's catalog in
/// `d` and asserts it matches the film, time for time, over `min_s`
/// seconds at least.
fn assert_found_time_for_time(d: &Path, clip: &str, min_s: f64) {
    assert_found_time_for_time_within(d, clip, min_s, 0.1)
}

/// [`assert_found_time_for_time`] with the clip and title times of the
/// match's start at most `tolerance_s` apart.
fn assert_found_time_for_time_within(d: &Path, clip: &str, min_s: f64, tolerance_s: f64) {
    let out = scan_cat(
        d,
        &[os("--format"), os("jsonl"), generated(clip).as_os_str()],
    );
    assert_eq!(out.status.code(), Some(0), "{clip}: {}", stderr(&out));
    let r = &jsonl(&out)[0];
    let m = &r["matches"][0];
    assert_eq!(m["title_id"], "ref", "{r}");
    let f = |k: &str| m[k].as_f64().unwrap();
    assert!(
        (f("clip_start_s") - f("title_start_s")).abs() < tolerance_s,
        "{r}"
    );
    assert!(f("clip_end_s") - f("clip_start_s") >= min_s, "{r}");
}

#[test]
fn a_vertical_re_post_is_found_through_the_catalogs_9_16_window() {
    // The film cropped to fill a 9:16 screen keeps 41 % of its width: no
    // centred view of the film lies inside it, its 9:16 window does.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    let out = vfp(d, &[os("index"), os("info"), os("--catalog"), os("cat")]);
    assert!(stdout(&out).contains("9:16 window"), "{}", stdout(&out));
    assert_found_time_for_time(d, "vertical-crop.mp4", 10.0);
}

#[test]
fn a_split_screen_is_found_through_its_panes_9_16_window() {
    // The film fills the top half of a 9:16 screen, street footage the
    // bottom half: the whole frame matches neither.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    assert_found_time_for_time(d, "split-screen.mp4", 10.0);
}

#[test]
fn a_zoom_and_a_panned_crop_are_found_by_local_features() {
    // A zoom keeping 62 % of each side off-centre, and a 9:16 crop away
    // from the centre: no view of the film that the catalog stores lies
    // inside either, but its corners do, moved and scaled.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    let out = vfp(d, &[os("index"), os("info"), os("--catalog"), os("cat")]);
    assert!(stdout(&out).contains("local features"), "{}", stdout(&out));
    // Title pictures with local features are a second apart and the
    // clip's a quarter second: the offset is known to a fraction of that.
    assert_found_time_for_time_within(d, "zoom.mp4", 8.0, 0.25);
    assert_found_time_for_time_within(d, "vertical-crop-pan.mp4", 8.0, 0.25);
    // A reviewer's verify shows the same match, its frames found by keypoints.
    let v = verify_json(d, &[generated("zoom.mp4").as_os_str()]);
    let s = &v["segments"][0];
    assert_eq!(s["title_id"], "ref", "{v}");
    let frames = s["frames"].as_array().unwrap();
    assert!(frames.len() >= 4, "{s}");
    assert!(frames.iter().all(|f| f["found_by"] == "keypoints"), "{s}");
}

#[test]
fn a_filmed_screen_is_found_unwarped() {
    // The film on a monitor filmed with a phone: keystoned inside a dark
    // surround, with vignette, blur and grain.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    assert_found_time_for_time(d, "camcord.mp4", 10.0);
}

#[test]
fn caption_boxes_over_a_fitted_picture_leave_its_scale_alone() {
    // White caption boxes laid over the top and bottom edges of the film
    // fitted to a 9:16 screen. The first window's dark scene shows nothing
    // beside the boxes, so the picture's edges under them are known from
    // about 4 s on.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    assert_found_time_for_time(d, "caption-bars.mp4", 6.5);
}

#[test]
fn concurrent_index_changes_in_processes_lose_no_title() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    let out = vfp(d, &[os("extract"), generated("ref.mp4").as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    std::fs::rename(d.join("ref.vfp"), d.join("film.vfp")).unwrap();
    // Four writers at once, three rounds; each adds its own title (the
    // same fingerprint under another id).
    for round in 0..3 {
        let names: Vec<String> = (0..4).map(|i| format!("r{round}w{i}.vfp")).collect();
        for name in &names {
            std::fs::copy(d.join("film.vfp"), d.join(name)).unwrap();
        }
        let writers: Vec<_> = names
            .iter()
            .map(|name| {
                Command::new(env!("CARGO_BIN_EXE_vfp"))
                    .current_dir(d)
                    .args(["index", "add", "--catalog", "cat", "-j", "1", name])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for w in writers {
            let out = w.wait_with_output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        }
    }
    let out = vfp(d, &[os("index"), os("list"), os("--catalog"), os("cat")]);
    let listed = stdout(&out);
    for round in 0..3 {
        for i in 0..4 {
            assert!(listed.contains(&format!("r{round}w{i}")), "{listed}");
        }
    }
    let out = vfp(d, &[os("index"), os("verify"), os("--catalog"), os("cat")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_catalog_change_can_refuse_to_wait_for_another() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    let held = vfp_index::catalog::lock_catalog(&d.join("cat"), vfp_index::Wait::Fail).unwrap();
    let remove = [
        os("index"),
        os("remove"),
        os("--catalog"),
        os("cat"),
        os("--no-wait"),
        os("ref"),
    ];
    let out = vfp(d, &remove);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("another vfp process is changing"),
        "{}",
        stderr(&out)
    );
    // Scans read on.
    assert_found_time_for_time(d, "ref.mp4", 10.0);
    drop(held);
    let out = vfp(d, &remove);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_reader_that_stops_early_ends_the_output_quietly() {
    // `vfp show ... | head -c 10`: the rest of the output (over a pipe
    // buffer's 64 KiB) meets a closed pipe.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = vfp(d, &[os("extract"), generated("ref.mp4").as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut child = Command::new(env!("CARGO_BIN_EXE_vfp"))
        .current_dir(d)
        .args(["show", "--format", "json"])
        .args(std::iter::repeat_n("ref.vfp", 4))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 10];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn radii_beyond_the_tested_ones_are_refused_unless_the_run_is_exploratory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    let film = generated("ref.mp4");
    let out = scan_cat(d, &[os("--radius"), os("100000"), film.as_os_str()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = scan_cat(d, &[os("--radius"), os("60"), film.as_os_str()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--exploratory"), "{}", stderr(&out));
    let wide = [
        os("--radius"),
        os("60"),
        os("--follow-radius"),
        os("90"),
        os("--exploratory"),
    ];
    let mut args = wide.to_vec();
    args.extend([os("--format"), os("jsonl"), film.as_os_str()]);
    let out = scan_cat(d, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(jsonl(&out)[0]["exploratory"], true);
    let mut args = wide.to_vec();
    args.extend([os("--format"), os("csv"), film.as_os_str()]);
    let out = scan_cat(d, &args);
    let text = stdout(&out);
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let column = rows
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "exploratory")
        .unwrap_or_else(|| panic!("{text}"));
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert!(!rows.is_empty(), "{text}");
    assert!(rows.iter().all(|r| &r[column] == "true"), "{text}");
    let mut args = wide.to_vec();
    args.push(film.as_os_str());
    let out = scan_cat(d, &args);
    assert!(
        stdout(&out).contains("exploratory MATCH"),
        "{}",
        stdout(&out)
    );
    // A run within the tested radii says nothing of it.
    let out = scan_cat(d, &[os("--format"), os("jsonl"), film.as_os_str()]);
    assert!(!stdout(&out).contains("exploratory"), "{}", stdout(&out));
}

#[cfg(unix)]
#[test]
fn a_recursive_scan_enters_each_folder_once_through_link_loops() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    let clips = d.join("clips");
    std::fs::create_dir_all(clips.join("sub")).unwrap();
    std::fs::copy(generated("vertical-crop.mp4"), clips.join("sub/v.mp4")).unwrap();
    std::os::unix::fs::symlink(&clips, clips.join("sub/loop")).unwrap();
    std::os::unix::fs::symlink(clips.join("sub"), clips.join("again")).unwrap();
    let out = scan_cat(
        d,
        &[os("--format"), os("jsonl"), os("-r"), clips.as_os_str()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(jsonl(&out).len(), 1, "{}", stdout(&out));
}

#[test]
fn the_evidence_page_shows_the_titles_frames_only_from_the_titles_own_video() {
    // The catalog is built from a relative path; the page is then made
    // from another folder where that relative path holds another video,
    // and after the title's own file was replaced.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("work/src")).unwrap();
    std::fs::create_dir_all(d.join("elsewhere/src")).unwrap();
    std::fs::copy(generated("ref.mp4"), d.join("work/src/film.mp4")).unwrap();
    std::fs::copy(
        generated("street-keyint-1s.mp4"),
        d.join("elsewhere/src/film.mp4"),
    )
    .unwrap();
    let out = vfp(
        &d.join("work"),
        &[
            os("index"),
            os("build"),
            os("--catalog"),
            os("../cat"),
            os("src/film.mp4"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = |from: &Path| {
        let out = vfp(
            from,
            &[
                os("verify"),
                os("--catalog"),
                d.join("cat").as_os_str(),
                os("--report"),
                d.join("page.html").as_os_str(),
                os("--force"),
                generated("ref.mp4").as_os_str(),
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        std::fs::read_to_string(d.join("page.html")).unwrap()
    };
    let frames = |html: &str| html.matches("<img src=\"data:image/png;base64,").count();
    // From elsewhere: the title's own video (its path is stored absolute).
    let html = page(&d.join("elsewhere"));
    assert_eq!(frames(&html), 8, "4 clip + 4 catalog frames");
    // The title's file replaced by another video: its frames are not shown
    // as the title's, and the page says why.
    std::fs::copy(
        generated("street-keyint-1s.mp4"),
        d.join("work/src/film.mp4"),
    )
    .unwrap();
    let html = page(&d.join("elsewhere"));
    assert_eq!(frames(&html), 4, "the clip's frames only");
    assert!(html.contains("is not the title"), "{html}");
}

/// The pictures of an evidence page, in the order shown (per pair: the
/// clip's, then the title's), decoded.
fn page_pictures(html: &str) -> Vec<image::RgbImage> {
    use base64::Engine as _;
    html.split("<img src=\"data:image/png;base64,")
        .skip(1)
        .map(|rest| {
            let data = &rest[..rest.find('"').unwrap()];
            let png = base64::engine::general_purpose::STANDARD
                .decode(data)
                .unwrap();
            image::load_from_memory(&png).unwrap().into_rgb8()
        })
        .collect()
}

/// Mean difference of two pictures' grey levels at 32×24, 0 to 255.
fn picture_difference(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    let small = |p: &image::RgbImage| {
        image::imageops::resize(
            &image::DynamicImage::ImageRgb8(p.clone()).into_luma8(),
            32,
            24,
            image::imageops::FilterType::Triangle,
        )
    };
    let (a, b) = (small(a), small(b));
    a.pixels()
        .zip(b.pixels())
        .map(|(x, y)| f64::from(x.0[0].abs_diff(y.0[0])))
        .sum::<f64>()
        / (32.0 * 24.0)
}

#[test]
fn a_page_made_away_from_the_titles_videos_shows_the_stills_kept_in_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("vault")).unwrap();
    std::fs::copy(generated("ref.mp4"), d.join("vault/film.mp4")).unwrap();
    let out = vfp(
        d,
        &[
            os("index"),
            os("build"),
            os("-c"),
            os("cat"),
            os("--stills"),
            os("vault/film.mp4"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("stills of 1 title kept (45 pictures"),
        "{}",
        stderr(&out)
    );
    let page = || {
        let out = vfp(
            d,
            &[
                os("verify"),
                os("-c"),
                os("cat"),
                os("--report"),
                os("page.html"),
                os("--force"),
                generated("ref.mp4").as_os_str(),
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        std::fs::read_to_string(d.join("page.html")).unwrap()
    };
    let stills_note = "the catalog&#39;s still";
    // With the video here, its frames; no word of stills.
    let html = page();
    assert_eq!(page_pictures(&html).len(), 8, "4 clip + 4 title frames");
    assert!(!html.contains(stills_note));

    // Away from the vault: the kept stills, said to be such, each the
    // picture of the clip's frame beside it (the clip is the title).
    std::fs::rename(d.join("vault"), d.join("gone")).unwrap();
    let html = page();
    let pictures = page_pictures(&html);
    assert_eq!(pictures.len(), 8, "{html}");
    assert_eq!(html.matches(stills_note).count(), 4, "{html}");
    assert!(html.contains("not on this machine"), "{html}");
    assert!(!html.contains("vault"), "no path of the vault on the page");
    for pair in pictures.chunks(2) {
        let (clip, still) = (&pair[0], &pair[1]);
        assert_eq!(still.width(), 192);
        let same = picture_difference(clip, still);
        assert!(same < 8.0, "a still {same} grey levels off its frame");
    }
    let other = picture_difference(&pictures[0], &pictures[7]);
    assert!(other > 8.0, "the first and last frames differ by {other}");

    // A damaged pack is refused by name in verify, and on the page.
    let pack = std::fs::read_dir(d.join("cat/stills"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&pack).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&pack, &bytes).unwrap();
    let out = vfp(d, &[os("index"), os("verify"), os("-c"), os("cat")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(".vfpst: damaged"), "{}", stderr(&out));
    let html = page();
    assert_eq!(page_pictures(&html).len(), 4, "the clip's frames only");
    assert!(html.contains("damaged (checksum mismatch)"), "{html}");

    // Made again from the video, and removed with its title.
    std::fs::rename(d.join("gone"), d.join("vault")).unwrap();
    let out = vfp(d, &[os("index"), os("stills"), os("-c"), os("cat")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = vfp(d, &[os("index"), os("verify"), os("-c"), os("cat")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = vfp(
        d,
        &[os("index"), os("remove"), os("-c"), os("cat"), os("film")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!pack.exists(), "a removed title's stills go with it");
    // A title whose video is not here is named, with the reason.
    let out = vfp(
        d,
        &[
            os("index"),
            os("add"),
            os("-c"),
            os("cat"),
            os("vault/film.mp4"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    std::fs::remove_dir_all(d.join("vault")).unwrap();
    let out = vfp(d, &[os("index"), os("stills"), os("-c"), os("cat")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("stills of film: the title's source video is not on this machine"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_copy_matches_every_version_of_a_work_in_the_catalog() {
    // Three versions of one episode (a vendor's cuts or dubs): before,
    // each made the others' frames "common" and a verbatim copy matched
    // none of them.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for v in ["v1", "v2", "v3"] {
        std::fs::copy(generated("ref.mp4"), d.join(format!("{v}.mp4"))).unwrap();
    }
    let out = vfp(
        d,
        &[
            os("index"),
            os("build"),
            os("--catalog"),
            os("cat"),
            os("v1.mp4"),
            os("v2.mp4"),
            os("v3.mp4"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = scan_cat(
        d,
        &[
            os("--format"),
            os("jsonl"),
            generated("crf-low-bitrate.mp4").as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = &jsonl(&out)[0];
    let mut ids: Vec<&str> = r["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["title_id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids, ["v1", "v2", "v3"], "{r}");
}

#[test]
fn an_output_file_is_replaced_or_appended_to_safely_and_resumed_from() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    let results = d.join("r.jsonl");
    let first = generated("ref.mp4");
    let second = generated("vertical-crop.mp4");
    let scan_to = |files: &[&std::ffi::OsStr]| {
        let mut args = vec![
            os("--format"),
            os("jsonl"),
            os("-o"),
            results.as_os_str(),
            os("--append"),
        ];
        args.extend_from_slice(files);
        scan_cat(d, &args)
    };
    // -o replaces what the file held, as a shell's > does (a daily run
    // appending duplicated every row).
    std::fs::write(&results, "yesterday's results\n").unwrap();
    let replace = [
        os("--format"),
        os("jsonl"),
        os("-o"),
        results.as_os_str(),
        first.as_os_str(),
    ];
    for _ in 0..2 {
        let out = scan_cat(d, &replace);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stdout(&out).is_empty(), "records go to the file");
        let text = std::fs::read_to_string(&results).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
    }
    // --resume from the file -o would replace is refused.
    let mut clash = replace.to_vec();
    clash.extend([os("--resume"), results.as_os_str()]);
    let out = scan_cat(d, &clash);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--append"), "{}", stderr(&out));
    // A scan killed mid-write leaves a cut last line.
    let mut text = std::fs::read_to_string(&results).unwrap();
    text.push_str("{\"file\":\"half");
    std::fs::write(&results, text).unwrap();
    let out = scan_to(&[first.as_os_str(), second.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("dropped a last line"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("1 skipped"), "{}", stderr(&out));
    let text = std::fs::read_to_string(&results).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let files: Vec<&str> = records
        .iter()
        .map(|r| r["file"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 2, "{text}");
    assert!(files[0].ends_with("ref.mp4") && files[1].ends_with("vertical-crop.mp4"));
}

#[test]
fn bench_measures_files_against_a_padded_catalog_and_reports_every_figure() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    film_catalog(d);
    let before = std::fs::read(d.join("cat/MANIFEST")).unwrap();
    std::fs::write(d.join("garbage.mp4"), b"not a video at all").unwrap();
    let (copy, other) = (generated("crf-low-bitrate.mp4"), generated("odd-size.mkv"));
    let out = vfp(
        d,
        &[
            os("bench"),
            os("-c"),
            os("cat"),
            os("--repeat"),
            os("1"),
            os("--pad-frames"),
            os("20k"),
            os("--pad-dir"),
            d.as_os_str(),
            os("-j"),
            os("2"),
            os("--format"),
            os("json"),
            os("-q"),
            os("--files-per-day"),
            os("100k"),
            copy.as_os_str(),
            other.as_os_str(),
            os("garbage.mp4"),
        ],
    );
    // A file that could not be scanned: status 2, as a scan would.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    for key in [
        "vfp_version",
        "machine",
        "settings",
        "catalog",
        "built_in_files",
        "files",
        "totals",
        "parallel",
        "peak_rss_bytes",
        "peak_rss_scope",
        "verdict",
        "sizing",
    ] {
        assert!(r.get(key).is_some(), "no {key} in {r}");
    }
    // 100,000 files a day of the measured files' mean length, at the
    // measured cost of a second of video.
    let z = &r["sizing"];
    let rate = r["totals"]["clip_s_per_core_s"].as_f64().unwrap();
    let cores = z["video_s_per_day"].as_f64().unwrap() / rate / 86_400.0;
    assert!((z["cores"].as_f64().unwrap() - cores).abs() < 1e-6, "{z}");
    assert_eq!(z["files_per_day"], 100_000);
    let c = &r["catalog"];
    assert_eq!(c["padded_frames"], 20_000);
    assert!(c["frames"].as_u64().unwrap() > 20_000, "{c}");
    assert!(c["open_ms"].as_f64().unwrap() > 0.0, "{c}");
    assert!(c["pad_frames_per_s"].as_f64().unwrap() > 0.0, "{c}");
    assert_eq!(c["built_in"], false);
    let files = r["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    assert_eq!(files[0]["verdict"], "match");
    assert_eq!(files[1]["verdict"], "no_match");
    assert_eq!(files[2]["verdict"], "error");
    assert!(files[2]["error"].as_str().unwrap().contains("garbage.mp4"));
    for f in &files[..2] {
        let scan = &f["scan"];
        assert!(f["decode_only_s"].as_f64().unwrap() > 0.0, "{f}");
        assert!(scan["hash_lookups"].as_u64().unwrap() > 0, "{f}");
        assert!(scan["total_s"].as_f64().unwrap() > scan["search_s"].as_f64().unwrap());
        assert!(!f["video"]["codec"].as_str().unwrap().is_empty(), "{f}");
    }
    let t = &r["totals"];
    assert_eq!(
        (t["files"].as_u64(), t["errors"].as_u64()),
        (Some(3), Some(1))
    );
    // Every stage of the scan measured where it ran, adding up to it.
    let stages = [
        "read", "decode", "scale", "framing", "views", "hash", "features", "other", "search",
        "matching",
    ];
    let share: f64 = stages
        .iter()
        .map(|s| t["stages"][s]["share"].as_f64().unwrap())
        .sum();
    assert!((share - 1.0).abs() < 1e-6, "{t}");
    for measured in ["read", "decode", "scale", "framing", "views", "hash"] {
        assert!(
            t["stages"][measured]["s"].as_f64().unwrap() > 0.0,
            "{measured}: {t}"
        );
    }
    assert!(t["scan_over_decode"].as_f64().unwrap() > 1.0, "{t}");
    assert!(t["lookups_per_s"].as_f64().unwrap() > 0.0, "{t}");
    assert_eq!(r["parallel"]["jobs"], 2);
    assert!(r["parallel"]["efficiency"].as_f64().unwrap() > 0.0);
    assert!(r["peak_rss_bytes"].as_u64().unwrap() > 1_000_000);
    // The padded copy is gone and the catalog untouched.
    let left: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("vfp-bench-padded"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(std::fs::read(d.join("cat/MANIFEST")).unwrap(), before);

    // The tables say the same in words.
    let out = vfp(
        d,
        &[
            os("bench"),
            os("-c"),
            os("cat"),
            os("--repeat"),
            os("1"),
            copy.as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for words in [
        "crf-low-bitrate.mp4",
        "match (1)",
        "catalog search",
        "local features",
        "× the time of decoding alone",
        "peak",
    ] {
        assert!(text.contains(words), "no {words:?} in\n{text}");
    }
}

/// Titles fingerprinted several at a time go into the catalog in the order
/// given, whichever finishes first; one that fails stops the build after
/// every title is tried, and leaves nothing behind (the titles waited in
/// an unnamed temporary file).
#[test]
fn index_build_keeps_the_order_given_and_a_failure_leaves_nothing() {
    use vfp_index::synthetic::{title, Rng};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut rng = Rng(11);
    let mut csv = String::new();
    // The first titles are the longest: they finish last.
    for (i, frames) in [100_000, 40_000, 50, 60, 70, 80, 90, 100]
        .into_iter()
        .enumerate()
    {
        let t = title(&format!("T{i}"), frames, &mut rng);
        std::fs::write(
            dir.join(format!("t{i}.vfp")),
            vfp_fingerprint::format::encode(&t.fingerprint).unwrap(),
        )
        .unwrap();
        csv += &format!("T{i},t{i}.vfp\n");
    }
    std::fs::write(dir.join("titles.csv"), &csv).unwrap();
    let build = [
        "index",
        "build",
        "-c",
        "cat",
        "--manifest",
        "titles.csv",
        "-j",
        "3",
    ];
    let out = vfp(dir, &build);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let catalog = vfp_index::Catalog::open(&dir.join("cat")).unwrap();
    let ids: Vec<String> = catalog
        .titles()
        .iter()
        .map(|t| t.record.id.clone())
        .collect();
    assert_eq!(ids, ["T0", "T1", "T2", "T3", "T4", "T5", "T6", "T7"]);
    drop(catalog);

    std::fs::remove_dir_all(dir.join("cat")).unwrap();
    std::fs::write(dir.join("t3.vfp"), b"VFP damaged").unwrap();
    let before: std::collections::BTreeSet<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let out = vfp(dir, &build);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("t3.vfp"), "{err}");
    assert!(
        err.contains("1 of 8 titles could not be fingerprinted"),
        "{err}"
    );
    let after: std::collections::BTreeSet<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(after, before, "nothing made, nothing left");
}
