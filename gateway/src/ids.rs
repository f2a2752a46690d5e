//! Request ids without a system call per request: 128 random bits drawn once at start, then a
//! counter. Ids stay unique across instances and restarts (each start draws a new prefix), which
//! is what the idempotent ingest needs of an event id.

use std::sync::atomic::{AtomicU64, Ordering};

pub struct Ids {
    prefix: String,
    next: AtomicU64,
}

impl Default for Ids {
    fn default() -> Self {
        Ids { prefix: uuid::Uuid::new_v4().simple().to_string(), next: AtomicU64::new(0) }
    }
}

impl Ids {
    pub fn next(&self) -> String {
        format!("{}-{:x}", self.prefix, self.next.fetch_add(1, Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_differ_within_and_across_instances() {
        let (a, b) = (Ids::default(), Ids::default());
        let first = a.next();
        assert_ne!(first, a.next());
        assert_ne!(first, b.next(), "another instance draws another prefix");
        assert!(first.len() <= 100, "fits the ingest's event id limit");
    }
}
