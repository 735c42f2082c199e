//! `vfp`: fingerprint videos and find leaked catalog content.
//!
//! This binary only parses arguments, calls the library crates and prints:
//! `args` (clap structs → validated configurations), `cmd` (one module per
//! subcommand, wiring a configuration to the libraries), `output` (records
//! → text, one module per format), `files` (atomic writes, input lists).
//! "A clip against the catalog" lives in `vfp-scan`.

mod args;
mod cmd;
mod crawl;
mod exit;
mod files;
mod output;
mod resume;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match run(cli) {
        Ok(status) => status.into(),
        // The reader of our output has gone (`vfp ... | head`): nothing
        // failed that anyone is waiting to hear of.
        Err(err) if output::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("vfp: error: {err:#}");
            exit::Status::Error.into()
        }
    }
}

fn run(cli: args::Cli) -> anyhow::Result<exit::Status> {
    use args::Command;
    match cli.command {
        Command::Extract(a) => cmd::extract::run(a.into_config()?),
        Command::Show(a) => cmd::show::run(a.into_config()),
        Command::Index(c) => cmd::index::run(c.into_config()?),
        Command::Scan(a) => cmd::scan::run(a.into_config()?),
        Command::Verify(a) => cmd::verify::run(a.into_config()?),
        Command::Report(a) => cmd::report::run(a),
        Command::Bench(a) => cmd::bench::run(a.into_config()?),
        Command::Worker(a) => cmd::worker::run(a.into_config()?),
        Command::Submit(a) => cmd::submit::run(a.into_config()),
        Command::Results(a) => cmd::results::run(a),
        Command::Review(c) => cmd::review::run(c.into_config()?),
        Command::Generate(a) => cmd::generate::run(a.what, a.output.as_deref()),
    }
}
