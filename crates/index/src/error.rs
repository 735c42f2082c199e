//! [`IndexError`]: what went wrong with a catalog, naming the file it is
//! about and, where there is one, the remedy.

use crate::SegmentError;
use std::path::{Path, PathBuf};

/// Errors of the catalog, each naming the file it is about.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// A file could not be read or written.
    #[error("{}: {what}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The path is not a catalog at all.
    #[error("{}: not a vfp catalog ({reason}); build one with `vfp index build --catalog {}`", path.display(), path.display())]
    NotACatalog {
        /// The path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Another process is changing the catalog (and the change was asked
    /// not to wait).
    #[error("{}: another vfp process is changing this catalog; try again when it is done, or leave out --no-wait to wait for it", path.display())]
    Locked {
        /// The catalog folder.
        path: PathBuf,
    },
    /// A catalog is to be built in a folder that holds other files.
    #[error("{}: the folder is not empty and is not a vfp catalog; build the catalog in a new or empty folder (vfp never writes catalog files among other files)", path.display())]
    FolderNotEmpty {
        /// The folder.
        path: PathBuf,
    },
    /// The catalog manifest is damaged or from another version.
    #[error("{}: damaged or unsupported catalog manifest ({reason}); rebuild with `vfp index build`", path.display())]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A segment file is damaged, truncated or from another version.
    #[error("{}: damaged or unsupported catalog segment; rebuild with `vfp index build`", path.display())]
    Segment {
        /// The segment file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: SegmentError,
    },
    /// A title's stills pack is damaged, of another version or refused.
    #[error("{}: {reason}; make the title's stills again with `vfp index stills`", path.display())]
    Stills {
        /// The pack (or the catalog's stills folder).
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Hashes made with other parameters cannot be compared.
    #[error("{}: the catalog holds {catalog} hashes but these were made with {query}; extract them again with the catalog's settings", path.display())]
    IncompatibleHash {
        /// The catalog.
        path: PathBuf,
        /// The catalog's parameters.
        catalog: String,
        /// The other parameters.
        query: String,
    },
    /// A fingerprint lacks the view the catalog stores.
    #[error("{}: the catalog stores hashes of the centred {view_pct} % of each picture, and this fingerprint has none (made by an older vfp?); extract the video again", path.display())]
    MissingView {
        /// The catalog, or the title's source.
        path: PathBuf,
        /// The catalog's view.
        view_pct: u8,
    },
    /// A title id is used twice.
    #[error("title id {id:?} is used twice ({first} and {second})")]
    DuplicateTitle {
        /// The id.
        id: String,
        /// Where it was first seen.
        first: String,
        /// Where it was seen again.
        second: String,
    },
    /// `add` of a title whose id the catalog holds already.
    #[error("{}: title {id:?} is in the catalog already; to replace it, remove it first (`vfp index remove -c {} {id}`) then add it, or give the new one another id (a titles CSV names ids: `id,path`)", catalog.display(), catalog.display())]
    TitleExists {
        /// The catalog.
        catalog: PathBuf,
        /// The id.
        id: String,
    },
    /// No such title in the catalog.
    #[error("{}: no title {id:?} in the catalog", path.display())]
    UnknownTitle {
        /// The catalog.
        path: PathBuf,
        /// The id.
        id: String,
    },
    /// A public range that is not within its title.
    #[error("{}: {from_ms}-{to_ms} ms is not a range within title {id:?} (0-{duration_ms} ms)", path.display())]
    BadRange {
        /// The catalog.
        path: PathBuf,
        /// The title.
        id: String,
        /// Start asked for, ms.
        from_ms: u64,
        /// End asked for, ms.
        to_ms: u64,
        /// The title's length, ms.
        duration_ms: u64,
    },
    /// A line of a titles CSV is wrong.
    #[error("{}:{line}: {reason}", path.display())]
    ManifestLine {
        /// The CSV file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// The catalog was replaced, with other hash or view settings, while
    /// titles were made ready for it.
    #[error("{}: the catalog was rebuilt with other settings while the titles were being fingerprinted; run the add again", path.display())]
    CatalogChanged {
        /// The catalog.
        path: PathBuf,
    },
    /// More frames than a segment can address.
    #[error("a segment can hold at most 2^32 - 1 frames, got {frames}; build the catalog in several adds")]
    TooLarge {
        /// Frames asked for.
        frames: u64,
    },
}

impl IndexError {
    /// The error of an I/O operation on `path`, saying `what` was being
    /// done: `.map_err(IndexError::io(path, "cannot read ..."))`.
    pub(crate) fn io<'a>(
        path: &'a Path,
        what: &'static str,
    ) -> impl FnOnce(std::io::Error) -> IndexError + 'a {
        move |source| IndexError::Io {
            path: path.to_owned(),
            what,
            source,
        }
    }

    /// Whether the error is a file that does not exist (a catalog segment
    /// a writer deleted, a folder that is gone).
    pub fn is_missing_file(&self) -> bool {
        matches!(self, IndexError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}
