//! A catalog directory: a manifest naming immutable segment files.
//!
//! ```text
//! CATALOG/
//!   MANIFEST          line 1: "vfp-catalog <version> <crc32 of the rest, 8 hex digits>"
//!                     rest:   JSON {hash, view_pct, windows, segments: [{file, titles, frames, bytes}],
//!                                   removed: [{segment, id}], next_segment}
//!   seg-000001.vfps   segment files (see the segment module), never changed once written
//!   LOCK              empty; changes hold an advisory lock on it (see crate::lock)
//! ```
//!
//! Every change takes the writer lock, reads the manifest, writes new
//! segment files under new names, replaces the manifest by an atomic
//! rename, then deletes the files the new manifest no longer names (and
//! temporary files a killed change left). A reader takes no lock: it holds
//! the segments it mapped even if they are deleted after, and if a segment
//! is deleted between its reading the manifest and opening the segment, it
//! reads the new manifest and opens that. A change killed before its
//! rename leaves the old manifest, whose files are all still there.
//!
//! - `manifest`: the MANIFEST's format, read and written.
//! - `reader`: [`Catalog`], an opened catalog, and what it answers.
//! - `spool`: titles made ready for a build or an add, kept on disk
//!   until the writer lock is taken ([`TitleSpool`]).
//! - `writer`: build, add, remove, copy and install, under the
//!   [writer lock](crate::lock).

mod manifest;
mod reader;
mod spool;
mod writer;

#[cfg(feature = "fuzzing")]
pub(crate) use manifest::parse_manifest;
pub use manifest::{PublicRange, MANIFEST, MANIFEST_MAGIC, MANIFEST_VERSION};
pub use reader::{Catalog, CatalogFiles, FeatureRef, Hit, TitleEntry, TitleFeatures, TitleFrame};
pub use spool::TitleSpool;
pub use writer::{
    add, add_locked, add_public, add_spooled, build, build_locked, build_spooled, install_catalog,
    lock_catalog, lock_for_build, remove, remove_locked, remove_public, NewTitle, MAX_SEGMENTS,
    MAX_SEGMENT_FRAMES,
};
