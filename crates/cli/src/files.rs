//! Files the binary writes and the inputs it expands: atomic writes, the
//! files under a folder (chosen by what they hold, see
//! [`vfp_scan::inputs`]), paths from stdin.

use anyhow::{bail, Context, Result};
use atomic_write_file::AtomicWriteFile;
use std::io::{BufRead, Write as _};
use std::path::{Path, PathBuf};
use vfp_scan::{Selection, Skip};

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

/// What listing the inputs found: a file to read, or a folder (or entry)
/// that could not be read, which a scan reports as that path's error
/// record and goes on.
#[derive(Debug)]
pub enum Listed {
    /// Named on the command line or on stdin: read whatever it holds (its
    /// record says what is wrong with it).
    Given(PathBuf),
    /// Found in a folder: read if what it holds is selected
    /// ([`decide`]).
    Found(PathBuf),
    /// Found in a folder and left out by its name (hidden, `-e`).
    Skipped {
        /// The file, or the hidden folder not entered.
        path: PathBuf,
        /// Why.
        skip: Skip,
    },
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
            Listed::Given(path)
            | Listed::Found(path)
            | Listed::Skipped { path, .. }
            | Listed::Unreadable { path, .. } => path,
        }
    }
}

/// What becomes of a listed entry.
#[derive(Debug)]
pub enum Decided {
    /// Read it.
    Read(PathBuf),
    /// Leave it out, and why.
    Skip(PathBuf, Skip),
    /// It could not be read to decide.
    Failed(PathBuf, anyhow::Error),
}

/// Decides `listed`: a file found in a folder is read when what it holds
/// (its first bytes, [`vfp_scan::content_of`]) is of a type `selection`
/// reads; a file given by name is always read.
pub fn decide(listed: &Listed, selection: &Selection) -> Decided {
    match listed {
        Listed::Given(path) => Decided::Read(path.clone()),
        Listed::Found(path) => match vfp_scan::content_of(path) {
            Ok(content) => match selection.by_content(&content) {
                Ok(_) => Decided::Read(path.clone()),
                Err(skip) => Decided::Skip(path.clone(), skip),
            },
            Err(e) => Decided::Failed(path.clone(), anyhow::Error::new(e)),
        },
        Listed::Skipped { path, skip } => Decided::Skip(path.clone(), skip.clone()),
        Listed::Unreadable { path, error } => Decided::Failed(
            path.clone(),
            anyhow::Error::msg(error.to_string())
                .context(format!("{}: cannot read this folder", path.display())),
        ),
    }
}

/// The files to read among `paths` (folders expanded only with
/// `recursive`, `-` for stdin), for commands that take every file or
/// none (`index build`, `submit`, `bench`): the first that cannot be read
/// is the error. Files found in folders are decided in parallel; a line
/// on stderr says how many were left out and why.
pub fn chosen(paths: &[PathBuf], recursive: bool, selection: &Selection) -> Result<Vec<PathBuf>> {
    use rayon::prelude::*;
    let listed = expand(paths, recursive, selection)?;
    let decided: Vec<Decided> = listed.par_iter().map(|l| decide(l, selection)).collect();
    let mut files = Vec::new();
    let mut left_out: std::collections::BTreeMap<vfp_scan::SkipReason, usize> = Default::default();
    for d in decided {
        match d {
            Decided::Read(path) => files.push(path),
            Decided::Skip(_, skip) => *left_out.entry(skip.reason).or_default() += 1,
            Decided::Failed(_, error) => return Err(error),
        }
    }
    if !left_out.is_empty() {
        let reasons: Vec<String> = vfp_scan::SkipReason::ALL
            .iter()
            .filter_map(|r| Some(format!("{} {}", left_out.get(r)?, r.summary_words())))
            .collect();
        eprintln!(
            "vfp: {} found in folders not taken: {}",
            crate::output::count(left_out.values().sum(), "file"),
            reasons.join(", ")
        );
    }
    Ok(files)
}

/// Appends every file under `dir` (recursively, sorted, following
/// symbolic links) as found, or as skipped where `selection` leaves it
/// out by name (hidden folders are not entered), and the folders that
/// cannot be read. Each folder is entered once, however many links lead
/// to it (by device and inode), so a link loop ends.
pub fn walk(dir: &Path, selection: &Selection, out: &mut Vec<Listed>) {
    walk_with(
        dir,
        selection,
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
    selection: &Selection,
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
        let is_folder = path.is_dir();
        if let Some(skip) = selection.by_name(&path, is_folder) {
            out.push(Listed::Skipped { path, skip });
        } else if is_folder {
            walk_with(&path, selection, read, entered, out);
        } else {
            out.push(Listed::Found(path));
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
/// with `recursive`, see [`walk`]), `-` replaced by the paths on stdin,
/// one per line.
pub fn expand(paths: &[PathBuf], recursive: bool, selection: &Selection) -> Result<Vec<Listed>> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.extend(
                paths_from(std::io::stdin().lock())?
                    .into_iter()
                    .map(Listed::Given),
            );
        } else if p.is_dir() {
            if !recursive {
                bail!("{} is a folder; pass -r to scan folders", p.display());
            }
            walk(p, selection, &mut out);
        } else {
            out.push(Listed::Given(p.clone()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_expand_to_every_file_in_order_and_hidden_ones_are_left_out() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        std::fs::create_dir_all(d.join("sub/.cache")).unwrap();
        for f in [
            "b.mp4",
            "a.VFP",
            "97a81f",
            "sub/c.mkv.part",
            ".x.mp4",
            "sub/.cache/y.mp4",
        ] {
            std::fs::write(d.join(f), b"x").unwrap();
        }
        assert_eq!(
            names(d, &Selection::default()),
            [
                "-.x.mp4",
                "97a81f",
                "a.VFP",
                "b.mp4",
                "-sub/.cache",
                "sub/c.mkv.part"
            ]
        );
        let unrestricted = Selection {
            hidden: true,
            ..Selection::default()
        };
        assert_eq!(
            names(d, &unrestricted),
            [
                ".x.mp4",
                "97a81f",
                "a.VFP",
                "b.mp4",
                "sub/.cache/y.mp4",
                "sub/c.mkv.part"
            ]
        );
        let part = Selection {
            extensions: vec!["part".into()],
            ..Selection::default()
        };
        assert_eq!(
            names(d, &part),
            [
                "-.x.mp4",
                "-97a81f",
                "-a.VFP",
                "-b.mp4",
                "-sub/.cache",
                "sub/c.mkv.part"
            ]
        );
        let err = expand(&[d.to_owned()], false, &Selection::default()).unwrap_err();
        assert!(err.to_string().contains("pass -r"), "{err}");
        let given = expand(&[d.join("x.txt")], false, &Selection::default()).unwrap();
        assert!(
            matches!(&given[..], [Listed::Given(p)] if p == &d.join("x.txt")),
            "files are taken as given, even missing ones (the scan reports them)"
        );
    }

    #[test]
    fn files_found_are_decided_by_what_they_hold() {
        let tmp = tempfile::tempdir().unwrap();
        let text = tmp.path().join("clip.mp4");
        std::fs::write(&text, "not a video\n").unwrap();
        let all = Selection::default();
        assert!(matches!(
            decide(&Listed::Found(text.clone()), &all),
            Decided::Skip(
                _,
                Skip {
                    reason: vfp_scan::SkipReason::NotVideo,
                    ..
                }
            )
        ));
        assert!(
            matches!(decide(&Listed::Given(text.clone()), &all), Decided::Read(_)),
            "a file named is read whatever it holds"
        );
        assert!(matches!(
            decide(&Listed::Found(tmp.path().join("gone")), &all),
            Decided::Failed(..)
        ));
    }

    /// What `expand` lists under `d`, relative to it; unreadable paths
    /// marked `!`, skipped ones `-`.
    fn names(d: &Path, selection: &Selection) -> Vec<String> {
        expand(&[d.to_owned()], true, selection)
            .unwrap()
            .iter()
            .map(|l| {
                let name = l.path().strip_prefix(d).unwrap().display().to_string();
                match l {
                    Listed::Given(_) | Listed::Found(_) => name,
                    Listed::Skipped { .. } => format!("-{name}"),
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
        let listed = names(d, &Selection::default());
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
        walk_with(
            d,
            &Selection::default(),
            &read,
            &mut std::collections::HashSet::new(),
            &mut out,
        );
        let listed: Vec<String> = out
            .iter()
            .map(|l| match l {
                Listed::Unreadable { path, error } => {
                    assert_eq!(error.kind(), std::io::ErrorKind::PermissionDenied);
                    format!("!{}", path.strip_prefix(d).unwrap().display())
                }
                other => other.path().strip_prefix(d).unwrap().display().to_string(),
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
