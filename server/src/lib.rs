//! The `gatehouse` server: configuration, telemetry, the HTTP application (UI, REST API) and
//! the CLI commands. The binary in `main.rs` only parses arguments and calls in here.

pub mod cli;
pub mod config;
pub mod http;
pub mod remote;
pub mod state;
pub mod supervisor;
pub mod telemetry;
