//! The titles CSV of `vfp index build --manifest`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| vfp_index::fuzzing::titles_csv(data));
