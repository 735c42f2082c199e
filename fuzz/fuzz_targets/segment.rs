//! Catalog segment files: opened, searched and verified.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| vfp_index::fuzzing::segment(data));
