//! A clip against the catalog: the query side of `vfp` as a library.
//!
//! `vfp scan`, `vfp verify` and anything else that asks "does this file
//! show a protected title?" call this crate; the binary only parses
//! arguments and prints what it returns. Per file, top-down, as
//! [`Scanner::scan_path`] runs it:
//!
//! 1. [`fingerprint_of`]: the file's fingerprint: read from a `.vfp`, or
//!    decoded and hashed by `vfp-extractor` (densely; with `--fast`,
//!    keyframes first, and a long file whose keyframes hit only around
//!    the hits, see [`triage`](Scanner::scan_path)).
//! 2. [`ClipSearch`]: the clip's informative moments, every view, direct
//!    and mirrored hash, searched in the catalog within
//!    [`MatchParams::radius`](vfp_matcher::MatchParams::radius) → hits.
//! 3. `vfp-matcher`: hits → lines of consistent offset, each followed
//!    through the clip by the same [`ClipSearch`] (it is the
//!    [`Probe`](vfp_matcher::Probe)) → segments.
//! 4. [`record`]: segments → a [`FileRecord`] with a [`Verdict`], or a
//!    [`Verification`] with every matched frame for a reviewer.
//!
//! For a reviewer, [`evidence`] gathers what an evidence page shows
//! besides the verification: the provenance, and frame pairs with their
//! pictures.
//!
//! [`ScanSettings`] are the decision parameters as a user gives them;
//! [`ScanSettings::validate`] turns them into a [`ScanConfig`] or says
//! which one is wrong, before any file is touched. A failure on one file
//! (bad input, or a bug that panics) becomes that file's error record;
//! the caller goes on with the next.

pub mod bench;
mod config;
mod cost;
mod error;
pub mod evidence;
pub mod inputs;
pub mod process;
pub mod record;
mod scanner;
mod search;
#[doc(hidden)]
pub mod testing;
pub mod units;

pub use config::{
    ConfigError, ScanConfig, ScanSettings, DEFAULT_SCAN_FPS, DEFAULT_VERIFY_FPS, RESCAN_FPS,
    SCAN_PARTS,
};
pub use cost::ScanCost;
pub use error::{isolate, Panicked, ScanError};
pub use inputs::{content_of, Content, InputType, Selection, Skip, SkipReason};
pub use record::{
    FileRecord, FileStamp, MatchRecord, Provenance, TitleFacts, Verdict, Verification,
};
pub use scanner::{
    fingerprint_of, is_fingerprint_file, Scanner, MIN_TRIAGE_KEYFRAMES, TRIAGE_RADIUS,
    WINDOWED_MIN_MS,
};
pub use search::{
    meets_the_rule, ClipSearch, SearchMode, SearchPlan, Tier, DENSE_SEARCH_MAX_FRAMES,
};
