//! Pieces shared by several pages.

pub mod diagnostics;
pub mod diff;
pub mod guard;
pub mod nav;
pub mod notice;
pub mod schema;
