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

/// Writes `bytes` to `path` as a new regular file readable by all and
/// writable by its owner (0644, whatever the umask or a file there had),
/// through a temporary file beside it renamed into place: a symbolic link
/// at `path` is replaced, never followed (a `report.html` linked elsewhere
/// was written through), and an existing `path` is refused unless
/// `replace`. For files that are handed to others (evidence).
pub fn write_new_file(path: &Path, bytes: &[u8], replace: bool) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let exists = std::fs::symlink_metadata(path).is_ok();
    if exists && !replace {
        bail!(
            "{} exists already; give a new name, or --force to replace it",
            path.display()
        );
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let write = || -> std::io::Result<()> {
        let mut file = tempfile::Builder::new().prefix(".vfp-").tempfile_in(dir)?;
        file.write_all(bytes)?;
        file.as_file().sync_all()?;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
        if replace {
            file.persist(path).map_err(|e| e.error)?;
        } else {
            // Refused if a file appeared meanwhile.
            file.persist_noclobber(path).map_err(|e| e.error)?;
        }
        std::fs::File::open(dir)?.sync_all()
    };
    write().with_context(|| format!("cannot write {}", path.display()))
}

/// Makes `dir` ready for a bundle of new files: created if missing;
/// refused if it is a symbolic link, not a folder, or (unless `replace`)
/// not empty.
pub fn new_folder(dir: &Path, replace: bool) -> Result<()> {
    match std::fs::symlink_metadata(dir) {
        Err(_) => {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
        }
        Ok(meta) if meta.file_type().is_symlink() => bail!(
            "{} is a symbolic link; give the folder itself",
            dir.display()
        ),
        Ok(meta) if !meta.is_dir() => bail!("{} is not a folder", dir.display()),
        Ok(_) => {
            let mut entries =
                std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
            if entries.next().is_some() && !replace {
                bail!(
                    "{} is not empty; give a new or empty folder, or --force to replace the bundle's files in it",
                    dir.display()
                );
            }
            Ok(())
        }
    }
}

/// What listing a folder found: a file to take, or a folder (or entry)
/// that could not be read, which a scan reports as that path's error
/// record and goes on.
#[derive(Debug)]
pub enum Listed {
    /// A video or `.vfp` file.
    File(PathBuf),
    /// A path that could not be listed, and why.
    Unreadable {
        /// The folder or entry.
        path: PathBuf,
        /// What went wrong.
        error: std::io::Error,
    },
}

impl Listed {
    /// The path listed.
    pub fn path(&self) -> &Path {
        match self {
            Listed::File(path) | Listed::Unreadable { path, .. } => path,
        }
    }
}

/// Appends the videos and `.vfp` files under `dir` (recursively, sorted,
/// following symbolic links), and the folders that cannot be read. Each
/// folder is entered once, however many links lead to it (by device and
/// inode), so a link loop ends.
pub fn walk(dir: &Path, out: &mut Vec<Listed>) {
    walk_with(
        dir,
        &read_folder,
        &mut std::collections::HashSet::new(),
        out,
    );
}

/// The paths in folder `dir`.
fn read_folder(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect()
}

/// [`walk`], reading folders with `read`.
fn walk_with(
    dir: &Path,
    read: &dyn Fn(&Path) -> std::io::Result<Vec<PathBuf>>,
    entered: &mut std::collections::HashSet<FolderId>,
    out: &mut Vec<Listed>,
) {
    let unreadable = |error| Listed::Unreadable {
        path: dir.to_owned(),
        error,
    };
    match folder_id(dir) {
        Ok(id) if !entered.insert(id) => return,
        Ok(_) => {}
        Err(error) => return out.push(unreadable(error)),
    }
    let mut paths = match read(dir) {
        Ok(paths) => paths,
        Err(error) => return out.push(unreadable(error)),
    };
    paths.sort();
    for path in paths {
        if path.is_dir() {
            walk_with(&path, read, entered, out);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| INPUT_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        {
            out.push(Listed::File(path));
        }
    }
}

/// A folder's identity, whatever path reaches it.
#[cfg(unix)]
type FolderId = (u64, u64);
#[cfg(not(unix))]
type FolderId = PathBuf;

#[cfg(unix)]
fn folder_id(dir: &Path) -> std::io::Result<FolderId> {
    use std::os::unix::fs::MetadataExt as _;
    let meta = std::fs::metadata(dir)?;
    Ok((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn folder_id(dir: &Path) -> std::io::Result<FolderId> {
    std::fs::canonicalize(dir)
}

/// The paths listed in `input`, one per line, as bytes: file names are
/// not always UTF-8 (leaked files are named by whoever posted them).
/// Blank lines are skipped; a trailing `\r` and surrounding spaces are
/// trimmed.
fn paths_from(mut input: impl BufRead) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = input
            .read_until(b'\n', &mut line)
            .context("cannot read paths from stdin")?;
        if n == 0 {
            return Ok(out);
        }
        let trimmed = line.trim_ascii();
        if !trimmed.is_empty() {
            out.push(path_of_bytes(trimmed));
        }
    }
}

#[cfg(unix)]
fn path_of_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt as _;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn path_of_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

/// The files named by `paths`: paths as given, folders expanded (only
/// with `recursive`), `-` replaced by the paths on stdin, one per line.
pub fn expand(paths: &[PathBuf], recursive: bool) -> Result<Vec<Listed>> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.extend(
                paths_from(std::io::stdin().lock())?
                    .into_iter()
                    .map(Listed::File),
            );
        } else if p.is_dir() {
            if !recursive {
                bail!("{} is a folder; pass -r to scan folders", p.display());
            }
            walk(p, &mut out);
        } else {
            out.push(Listed::File(p.clone()));
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
        assert_eq!(names(d, true), ["a.VFP", "b.mp4", "sub/c.mkv"]);
        let err = expand(&[d.to_owned()], false).unwrap_err();
        assert!(err.to_string().contains("pass -r"), "{err}");
        let given = expand(&[d.join("x.mp4")], false).unwrap();
        assert!(
            matches!(&given[..], [Listed::File(p)] if p == &d.join("x.mp4")),
            "files are taken as given, even missing ones (the scan reports them)"
        );
    }

    /// What `expand` lists under `d`, relative to it; unreadable paths
    /// marked `!`.
    fn names(d: &Path, recursive: bool) -> Vec<String> {
        expand(&[d.to_owned()], recursive)
            .unwrap()
            .iter()
            .map(|l| {
                let name = l.path().strip_prefix(d).unwrap().display().to_string();
                match l {
                    Listed::File(_) => name,
                    Listed::Unreadable { .. } => format!("!{name}"),
                }
            })
            .collect()
    }

    #[cfg(unix)]
    #[test]
    fn link_loops_are_entered_once() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        std::fs::create_dir_all(d.join("a/b")).unwrap();
        std::fs::write(d.join("a/b/v.mp4"), b"x").unwrap();
        // Two loops, and a second way into the same folder.
        std::os::unix::fs::symlink(d.join("a"), d.join("a/b/up")).unwrap();
        std::os::unix::fs::symlink(d, d.join("a/root")).unwrap();
        std::os::unix::fs::symlink(d.join("a/b"), d.join("also-b")).unwrap();
        let listed = names(d, true);
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert!(listed[0].ends_with("v.mp4"), "{listed:?}");
    }

    #[test]
    fn an_unreadable_folder_is_listed_as_such_and_the_rest_taken() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        for sub in ["a", "locked", "z"] {
            std::fs::create_dir(d.join(sub)).unwrap();
            std::fs::write(d.join(sub).join("v.mp4"), b"x").unwrap();
        }
        // Permissions do not stop root (CI runs as root): the folder is
        // made unreadable where it is read.
        let read = |dir: &Path| {
            if dir.ends_with("locked") {
                Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied))
            } else {
                read_folder(dir)
            }
        };
        let mut out = Vec::new();
        walk_with(d, &read, &mut std::collections::HashSet::new(), &mut out);
        let listed: Vec<String> = out
            .iter()
            .map(|l| match l {
                Listed::File(p) => p.strip_prefix(d).unwrap().display().to_string(),
                Listed::Unreadable { path, error } => {
                    assert_eq!(error.kind(), std::io::ErrorKind::PermissionDenied);
                    format!("!{}", path.strip_prefix(d).unwrap().display())
                }
            })
            .collect();
        assert_eq!(listed, ["a/v.mp4", "!locked", "z/v.mp4"]);
    }

    #[cfg(unix)]
    #[test]
    fn paths_on_stdin_are_bytes_not_text() {
        use std::os::unix::ffi::OsStrExt as _;
        let input: &[u8] = b"a.mp4\r\n\n  b\xffc.mp4 \nlast.vfp";
        let paths = paths_from(input).unwrap();
        let bytes: Vec<&[u8]> = paths.iter().map(|p| p.as_os_str().as_bytes()).collect();
        assert_eq!(bytes, [&b"a.mp4"[..], b"b\xffc.mp4", b"last.vfp"]);
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
