//! The `vfp` catalog: the protected titles' frame hashes on disk, opened
//! instantly through memory maps and searched exactly by Hamming radius.
//!
//! - [`segment`]: one immutable, versioned, checksummed segment file (frame
//!   hashes, times, stop-list flags, title table, search structure).
//! - [`mih`]: multi-index hashing, the search structure.
//! - [`catalog`]: a catalog directory: a manifest naming its segments;
//!   build, add (a new segment), remove, verify, search.
//! - [`titles`]: title records and the titles CSV manifest.
//! - [`stills`]: a small picture of a title at each sampled moment, kept
//!   beside the catalog for evidence pages made away from the vault.
//! - [`synthetic`]: synthetic catalogs for benchmarks.
//!
//! Writes are atomic: segments are written under new names and the
//! manifest is replaced by rename, so readers see the old catalog or the
//! new one, and a killed build leaves the old one intact.

pub mod catalog;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod lock;
pub mod mih;
pub mod segment;
pub mod stills;
pub mod synthetic;
pub mod titles;

pub use catalog::{Catalog, FeatureRef, Hit, TitleFeatures, TitleFrame};
pub use error::IndexError;
pub use lock::{Wait, WriterLock};
pub use segment::{Segment, SegmentBuilder, SegmentError};
pub use titles::{TitleMeta, TitleRecord, TitleSource};
