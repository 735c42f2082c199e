//! Files the binary writes and the inputs it expands: atomic writes, the
//! videos and `.vfp` files under a folder, paths from stdin.

use anyhow::{bail, Context, Result};
use atomic_write_file::AtomicWriteFile;
use std::io::{BufRead, Write as _};
use std::path::{Path, PathBuf};

/// File extensions taken from folders: fingerprints and common videos.
pub const INPUT_EXTENSIONS: &[&str] = &[
    "vfp", "mp4", "m4v", "mkv", "webm", "mov", "avi", "mpg", "mpeg", "ts", "m2ts", "flv", "wmv",
    "ogv", "3gp",
];

/// Writes `bytes` to `path` through a temporary file in the same folder,
/// synced, renamed over `path`, the folder synced: readers see the old
/// file or the whole new one. Errors name `path` (not the temporary
/// file).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let write = || -> std::io::Result<()> {
        let mut file = AtomicWriteFile::open(path)?;
        file.write_all(bytes)?;
        file.commit()
    };
    write().with_context(|| format!("cannot write {}", path.display()))
}

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

/// The files named by `paths`: paths as given, folders expanded (only
/// with `recursive`), `-` replaced by the paths on stdin, one per line.
pub fn expand(paths: &[PathBuf], recursive: bool) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            for line in std::io::stdin().lock().lines() {
                let line = line.context("cannot read paths from stdin")?;
                let line = line.trim();
                if !line.is_empty() {
                    out.push(PathBuf::from(line));
                }
            }
        } else if p.is_dir() {
            if !recursive {
                bail!("{} is a folder; pass -r to scan folders", p.display());
            }
            walk(p, &mut out).with_context(|| format!("cannot read folder {}", p.display()))?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_expand_to_videos_and_fingerprints_in_order() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        std::fs::create_dir(d.join("sub")).unwrap();
        for f in ["b.mp4", "a.VFP", "notes.txt", "sub/c.mkv"] {
            std::fs::write(d.join(f), b"x").unwrap();
        }
        let found = expand(&[d.to_owned()], true).unwrap();
        let names: Vec<String> = found
            .iter()
            .map(|p| p.strip_prefix(d).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["a.VFP", "b.mp4", "sub/c.mkv"]);
        let err = expand(&[d.to_owned()], false).unwrap_err();
        assert!(err.to_string().contains("pass -r"), "{err}");
        assert_eq!(
            expand(&[d.join("x.mp4")], false).unwrap(),
            [d.join("x.mp4")],
            "files are taken as given, even missing ones (the scan reports them)"
        );
    }

    #[test]
    fn a_failed_write_names_the_file_not_a_temporary_one() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("missing-folder").join("page.html");
        let err = write_atomically(&out, b"x").unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.starts_with(&format!("cannot write {}", out.display())),
            "{text}"
        );
        let folder = tmp.path().display().to_string();
        assert_eq!(
            text.matches(&folder).count(),
            1,
            "no other file named: {text}"
        );
        let ok = tmp.path().join("page.html");
        write_atomically(&ok, b"hello").unwrap();
        assert_eq!(std::fs::read(&ok).unwrap(), b"hello");
        assert_eq!(
            std::fs::read_dir(tmp.path()).unwrap().count(),
            1,
            "no leftovers"
        );
    }
}
