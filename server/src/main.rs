//! `gatehouse`: serve the management plane, or run one administrative command.

use clap::Parser;
use gatehouse_server::{cli, telemetry};
use std::process::ExitCode;

// The allocator: see mimalloc in the workspace Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let args = cli::Cli::parse();
    telemetry::init();
    match cli::run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
