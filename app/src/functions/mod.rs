//! Server functions, one module per domain area. Each one checks the caller's rights first,
//! then calls the domain once and maps its error.

pub mod admin;
pub mod analytics;
pub mod apis;
pub mod applications;
pub mod auth;
pub mod deploy;
pub mod portal;
pub mod subscriptions;
pub mod tokens;

#[cfg(feature = "ssr")]
pub mod ssr;
