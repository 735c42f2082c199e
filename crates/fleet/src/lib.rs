//! Bulk scans over many machines on NATS JetStream.
//!
//! `vfp scan` is the embedded default on one machine; this crate spreads
//! the same scan over machines through a NATS server with JetStream (one
//! small static binary that clusters with Raft):
//!
//! - [`Fleet`]: the connection they share (one server, or a cluster's
//!   first that answers), its JetStream requests retried while a cluster
//!   moves a leader.
//! - [`catalogs`]: a catalog published into JetStream (its segments in an
//!   object store, content-addressed, so a re-publish after an `add`
//!   uploads only the new segment; the current release in a key-value
//!   bucket) and fetched into a local cache folder, every segment checked
//!   against its SHA-256 before the catalog opens.
//! - [`queue`]: jobs (one file each) on a work-queue stream that hands
//!   each to one worker at a time and again if its worker dies, and
//!   results on a stream, read back once per job.
//! - [`uploads`]: files sent through the server with their jobs, for
//!   workers that cannot read the crawler's storage.
//! - [`worker`]: takes jobs, scans each with the same engine as
//!   `vfp scan` against the current release, publishes its result, and
//!   only then acknowledges it.
//! - [`local_server`]: a throwaway server on a loopback port, for tests
//!   and demos.
//!
//! Supported servers: nats-server 2.9 and later with JetStream on (Debian
//! 12's package is 2.9.10). The client is `async-nats` 0.35.1, the newest
//! whose key-value buckets work against 2.9.

pub mod catalogs;
mod connection;
pub mod local_server;
pub mod queue;
pub mod uploads;
pub mod worker;

pub use connection::{redact, Fleet};

use std::path::PathBuf;

/// Errors of the many-machines mode, each naming the server, bucket or
/// file it is about.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// The NATS server could not be reached or refused a request.
    #[error("NATS server {url}: {what}: {reason}")]
    Server {
        /// The server's URL.
        url: String,
        /// What was being done.
        what: String,
        /// The client's error.
        reason: String,
    },
    /// No catalog of this name was published.
    #[error("no catalog named {name:?} was published to {url}; publish one with `vfp index publish -c CATALOG --nats {url} --name {name}`")]
    NoSuchCatalog {
        /// The server's URL.
        url: String,
        /// The catalog name.
        name: String,
    },
    /// A published catalog's record or a segment does not check out.
    #[error("catalog {name:?} on {url}: {reason}")]
    BadRelease {
        /// The server's URL.
        url: String,
        /// The catalog name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A batch id is not valid, or not new where it must be.
    #[error("NATS server {url}: batch {batch:?}: {reason}")]
    BadBatch {
        /// The server's URL.
        url: String,
        /// The batch id.
        batch: String,
        /// What is wrong.
        reason: String,
    },
    /// A file could not be uploaded with its job, or fetched back.
    #[error("{}: {reason}", path.display())]
    Upload {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A local file or folder could not be read or written.
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
    /// The catalog (local, or as fetched) is not a valid catalog.
    #[error(transparent)]
    Index(#[from] vfp_index::IndexError),
}
