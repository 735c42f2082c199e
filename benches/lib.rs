//! Criterion benchmarks live in the bench targets of this package:
//! `hash.rs` (per-frame hash) and `index.rs` (catalog search).
