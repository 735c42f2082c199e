//! What the binary's integration tests share: the generated test videos
//! and a way to run `vfp`.

// Each test file uses its own share of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A generated test video, by absolute path.
pub fn generated(name: &str) -> PathBuf {
    let dir = std::env::var_os("VFP_TESTDATA_GENERATED").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/generated"),
        PathBuf::from,
    );
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run scripts/dev/gen-testdata.sh (or scripts/test.sh)",
        path.display()
    );
    std::fs::canonicalize(path).unwrap()
}

/// Runs `vfp ARGS...` in `dir`, without the ledger and reviewer a test's
/// environment may set.
pub fn vfp<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vfp"))
        .current_dir(dir)
        .args(args)
        .env_remove("VFP_LEDGER")
        .env_remove("VFP_REVIEWER")
        .output()
        .expect("run vfp")
}

/// What `o` wrote to stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// What `o` wrote to stdout.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The jsonl records `o` wrote to stdout.
pub fn jsonl(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// An argument, whatever string type it is given as.
pub fn os<S: AsRef<std::ffi::OsStr> + ?Sized>(s: &S) -> &std::ffi::OsStr {
    s.as_ref()
}

/// Builds catalog `cat` in `dir` from the test film (title id `ref`).
pub fn film_catalog(dir: &Path) {
    let film = generated("ref.mp4");
    let out = vfp(
        dir,
        &[
            os("index"),
            os("build"),
            os("--catalog"),
            os("cat"),
            film.as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
