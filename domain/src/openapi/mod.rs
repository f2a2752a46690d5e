//! OpenAPI import: parse (YAML/JSON with positions), resolve and bundle `$ref`s across the
//! uploaded files, check, and derive the normalized model. Swagger 2.0, OpenAPI 3.0 and 3.1.

pub mod bundle;
pub mod checks;
pub mod convert;
pub mod design;
pub mod diff;
pub mod emit;
pub mod files;
pub mod findings;
pub mod import;
pub mod model;
pub mod parse;

pub use import::{Imported, Refused, import};
