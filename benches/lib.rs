//! Criterion benchmarks live in the bench targets of this package:
//! `hash.rs` (per-frame hash), `index.rs` (catalog search) and `scan.rs`
//! (the query path of a scan from a fixed fingerprint: search, alignment).
