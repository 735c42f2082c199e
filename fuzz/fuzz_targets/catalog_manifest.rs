//! A catalog's MANIFEST.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| vfp_index::fuzzing::manifest(data));
