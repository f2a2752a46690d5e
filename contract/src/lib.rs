//! Types spoken between Gatehouse's parts: the UI and the server, REST clients and the server.
//! Plain serde data with no behaviour beyond small derived facts, so it compiles to wasm too;
//! the exceptions are [`sample`], [`format`] and [`time`], which both the server and the browser need,
//! `checks` (behind its feature), which the gateways need, and `tls` (behind its feature), which
//! the server and the gateways need.

pub mod account;
pub mod alert;
pub mod analytics;
pub mod api;
#[cfg(feature = "checks")]
pub mod checks;
pub mod definition;
pub mod deploy;
pub mod format;
pub mod gateway;
pub mod net;
pub mod sample;
pub mod subscription;
pub mod time;
#[cfg(feature = "tls")]
pub mod tls;

pub use account::*;
pub use alert::*;
pub use analytics::*;
pub use api::*;
pub use definition::*;
pub use deploy::*;
pub use gateway::*;
pub use subscription::*;
