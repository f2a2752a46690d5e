//! Pieces shared by several pages.

pub mod guard;
pub mod nav;
pub mod notice;
