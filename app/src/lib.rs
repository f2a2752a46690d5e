//! Gatehouse's web UI: the page shell, the router, one module per page under `routes/`, shared
//! components, and the server functions that back them (thin: check rights, call the domain).

// Deeply nested views make deep types; the default limit is too low for the larger pages.
#![recursion_limit = "256"]

pub mod app;
pub mod components;
pub mod error;
pub mod functions;
pub mod routes;
pub mod url;

pub use app::{App, shell};
pub use error::AppError;
/// Dates and times as the pages print them (the contract's, shared with the server).
pub use gatehouse_contract::time;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
