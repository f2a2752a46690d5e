//! Pieces shared by several pages.

pub mod diagnostics;
pub mod diff;
pub mod guard;
pub mod nav;
pub mod notice;
pub mod schema;

/// "1 API", "3 APIs": a count with its noun in the right number.
pub fn count(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
