//! `vfp`: fingerprint videos and find leaked catalog content.
//!
//! This binary only parses arguments, calls the library crates and prints;
//! the work lives in `vfp-extractor`, `vfp-index` and `vfp-fingerprint`.

mod args;
mod cmd;
mod exit;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match run(cli) {
        Ok(status) => status.into(),
        Err(err) => {
            eprintln!("vfp: error: {err:#}");
            exit::Status::Error.into()
        }
    }
}

fn run(cli: args::Cli) -> anyhow::Result<exit::Status> {
    match cli.command {
        args::Command::Extract(a) => cmd::extract::run(a.into_config()?),
        args::Command::Show(a) => cmd::show::run(a.into_config()),
        args::Command::Index(c) => cmd::index::run(c),
        args::Command::Scan(a) => cmd::scan::run(a),
        args::Command::Verify(a) => cmd::verify::run(a),
    }
}
