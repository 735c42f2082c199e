//! One module per subcommand.

pub mod evidence;
pub mod extract;
pub mod index;
pub mod scan;
pub mod search;
pub mod show;
pub mod verify;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// Runs `job` on one input and turns a panic into an error naming the
/// input, so that a bug hit by one file of a bulk run is reported and the
/// run goes on with the other files.
pub fn isolate<T>(input: &Path, job: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
    match catch_unwind(AssertUnwindSafe(job)) {
        Ok(result) => result,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(anyhow::anyhow!(
                "{}: internal error, please report it: {what}",
                input.display()
            ))
        }
    }
}

/// A progress bar over `len` files on a terminal; hidden when stderr is
/// not one.
pub fn progress_bar(len: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:30} {pos}/{len} files, {per_sec}, eta {eta} {msg}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// File extensions taken from folders: fingerprints and common videos.
pub const INPUT_EXTENSIONS: &[&str] = &[
    "vfp", "mp4", "m4v", "mkv", "webm", "mov", "avi", "mpg", "mpeg", "ts", "m2ts", "flv", "wmv",
    "ogv", "3gp",
];

/// Appends the videos and `.vfp` files under `dir` (recursively, sorted).
pub fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| INPUT_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        {
            out.push(path);
        }
    }
    Ok(())
}
