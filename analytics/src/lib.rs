//! Analytics built from the events gateways send. Events land durably in the database
//! (`gateways::ingest`, idempotent by event id); [`Store::compact`] moves them into Parquet
//! segments partitioned by day, which polars scans lazily with the time filter pushed down.
//! Every query reads the segments plus the events not compacted yet, so a dashboard is as fresh
//! as the gateways' last flush. Each segment has a [`rollup`] beside it (counts per hour,
//! latency histograms) that ranges of days read instead of the events. [`charts`] draws the panels as SVG with plotters.
//!
//! No Leptos here: the UI's server functions and the REST API call the same functions.

pub mod alerts;
pub mod charts;
pub mod csv;
pub mod demo;
mod frame;
pub mod query;
pub mod rollup;
pub mod store;

pub use query::{Scope, Window};
pub use store::Store;
