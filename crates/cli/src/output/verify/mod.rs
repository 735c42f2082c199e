//! `vfp verify` as text: one module per `--format`.

mod human;
mod json;

use crate::args::VerifyFormat;
use vfp_scan::Verification;

/// The verification in `format`, for stdout.
pub fn render(format: VerifyFormat, v: &Verification) -> String {
    match format {
        VerifyFormat::Human => human::render(v),
        VerifyFormat::Json => json::render(v),
    }
}
