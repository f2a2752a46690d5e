//! `gatehouse`: serve the management plane, or run one administrative command.

use clap::Parser;
use gatehouse_server::{cli, telemetry};
use std::process::ExitCode;

// The allocator: see mimalloc in the workspace Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runtime threads' stacks: 8 MiB rather than tokio's 2. The server renders a page's views as
/// nested futures, and a page deep enough in a debug build once overflowed 2 MiB — which aborts
/// the whole process, every user's requests and the local gateways with it. Tests keep
/// rendering pages on 2 MiB threads (`server/tests/corpus_pages.rs`), so the margin is not
/// spent unnoticed.
const STACK_SIZE: usize = 8 << 20;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    telemetry::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(STACK_SIZE).build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
