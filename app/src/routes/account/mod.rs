//! The signed-in person's own settings.

pub mod tokens;
