//! One module per subcommand: each wires a validated configuration to the
//! library crates and hands the records to the output layer.

pub mod bench;
pub mod extract;
pub mod generate;
pub mod index;
pub mod results;
pub mod review;
pub mod scan;
pub mod show;
pub mod submit;
pub mod verify;
pub mod worker;
