//! Why one file could not be scanned; every variant names the file.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use vfp_extractor::ExtractError;
use vfp_fingerprint::VfpFileError;
use vfp_index::IndexError;

/// Why a file could not be scanned or verified.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The video could not be fingerprinted (the error names the file).
    #[error(transparent)]
    Extract(#[from] ExtractError),
    /// The `.vfp` file could not be read (the error names the file).
    #[error(transparent)]
    Vfp(#[from] VfpFileError),
    /// The fingerprint cannot be compared with the catalog (other hash
    /// parameters, or a view the catalog needs is missing).
    #[error("{}", path.display())]
    Catalog {
        /// The scanned file.
        path: PathBuf,
        /// What the catalog refused.
        #[source]
        source: IndexError,
    },
    /// A keyframe-only fingerprint without a match: too few keyframes,
    /// or keyframes near the catalog that only a dense pass could settle.
    #[error("{}: a keyframe-only fingerprint ({informative} informative keyframes) cannot rule out a match: {why}; scan the video itself, or a dense fingerprint (`vfp extract --fps 15`)", path.display())]
    Inconclusive {
        /// The scanned file.
        path: PathBuf,
        /// Informative keyframes in the fingerprint.
        informative: usize,
        /// What stops a decision.
        why: &'static str,
    },
    /// Nothing in the file could meet the rule for a match: shorter than a
    /// match must be, or with fewer informative frames than it needs.
    #[error("{}: {what}: {informative} informative frames over {duration_s:.3} s of video; a match needs at least {min_frames} frames over at least {min_duration_s} s", path.display())]
    TooLittle {
        /// The scanned file.
        path: PathBuf,
        /// "too short to judge", "too little picture to judge".
        what: &'static str,
        /// Its frames that are not blank or flat.
        informative: usize,
        /// Its length, seconds.
        duration_s: f64,
        /// The fewest frames a match needs.
        min_frames: usize,
        /// The shortest a match may be, seconds.
        min_duration_s: f64,
    },
    /// A bug, caught so that a bulk scan goes on with the other files.
    #[error(transparent)]
    Panicked(#[from] Panicked),
}

impl ScanError {
    /// Whether the file was read and nothing matched, but no verdict can
    /// be given on it (a record's `inconclusive`), rather than a failure.
    pub fn is_inconclusive(&self) -> bool {
        matches!(
            self,
            ScanError::Inconclusive { .. } | ScanError::TooLittle { .. }
        )
    }
}

/// A panic while working on one input, turned into an error naming it.
#[derive(Debug, thiserror::Error)]
#[error("{}: internal error, please report it: {message}", path.display())]
pub struct Panicked {
    /// The input being worked on.
    pub path: PathBuf,
    /// The panic's message.
    pub message: String,
}

/// Runs `job` on one input and turns a panic into a [`Panicked`] error
/// naming the input, so that a bug hit by one file of a bulk run is
/// reported and the run goes on with the other files.
pub fn isolate<T, E: From<Panicked>>(
    input: &Path,
    job: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    match catch_unwind(AssertUnwindSafe(job)) {
        Ok(result) => result,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(E::from(Panicked {
                path: input.to_owned(),
                message,
            }))
        }
    }
}

/// An error and its causes, outermost first, joined by ": " (as `anyhow`
/// prints `{:#}`).
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_naming_the_input() {
        let r: Result<(), ScanError> = isolate(Path::new("clip.mp4"), || panic!("boom"));
        let e = r.unwrap_err();
        assert_eq!(
            e.to_string(),
            "clip.mp4: internal error, please report it: boom"
        );
        let r: Result<u8, ScanError> = isolate(Path::new("x"), || Ok(3));
        assert_eq!(r.unwrap(), 3);
    }

    #[test]
    fn chains_join_causes() {
        let e = ScanError::Catalog {
            path: "clip.vfp".into(),
            source: IndexError::UnknownTitle {
                path: "cat".into(),
                id: "t".into(),
            },
        };
        assert_eq!(chain(&e), "clip.vfp: cat: no title \"t\" in the catalog");
    }
}
