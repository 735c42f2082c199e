//! Exit statuses, like grep's: 0 success (for `scan`: a match), 1 no match,
//! 2 if anything failed; and 3 for `results` not yet complete.

use std::process::ExitCode;

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Every input was processed (`scan`: and something matched).
    Success = 0,
    /// `scan`: every input was processed and nothing matched.
    NoMatch = 1,
    /// At least one input failed (others may have succeeded).
    Error = 2,
    /// `results`: some submitted files have no result yet (the others'
    /// records were printed).
    Incomplete = 3,
    /// `scan`, `verify`, `results`: nothing matched, but some file could
    /// not be judged (too short, too blank, keyframes only).
    Inconclusive = 4,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> ExitCode {
        ExitCode::from(s as u8)
    }
}
