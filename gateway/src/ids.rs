//! Request ids without a system call per request: 128 random bits drawn once, then a counter.
//! Each worker thread draws its own prefix, so ids stay unique across workers, instances and
//! restarts (what the idempotent ingest needs of an event id) and counting touches nothing
//! another core writes.

use std::cell::Cell;

pub struct Ids {
    prefix: String,
    next: Cell<u64>,
}

impl Default for Ids {
    fn default() -> Self {
        Ids { prefix: uuid::Uuid::new_v4().simple().to_string(), next: Cell::new(0) }
    }
}

impl Ids {
    pub fn next(&self) -> String {
        let n = self.next.replace(self.next.get() + 1);
        let mut id = String::with_capacity(self.prefix.len() + 17);
        id.push_str(&self.prefix);
        id.push('-');
        let digits = (64 - n.leading_zeros()).div_ceil(4).max(1);
        for shift in (0..digits).rev() {
            id.push(char::from_digit(((n >> (shift * 4)) & 15) as u32, 16).unwrap_or('0'));
        }
        id
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
        assert!(first.ends_with("-0") && a.next().ends_with("-2"));
        let c = Ids::default();
        c.next.set(0xbeef);
        assert!(c.next().ends_with("-beef"));
    }
}
