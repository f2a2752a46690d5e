//! The wall clock as a request thread sees it: read once per tick (every half second), not per
//! request. Between ticks, a wall-clock time is derived from the monotonic clock, which the
//! request path reads anyway; the `Date` header's text is formatted at the tick. A thread that
//! never ticks (the admin port's, tests) reads the wall clock each time.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The last tick: wall clock (Unix ms) and monotonic clock read together, and the `Date` text.
struct Tick {
    unix_ms: i64,
    at: Instant,
    date: Rc<str>,
}

thread_local! {
    static LAST: RefCell<Option<Tick>> = const { RefCell::new(None) };
}

fn wall() -> (SystemTime, i64) {
    let now = SystemTime::now();
    (now, now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64))
}

/// Read the wall clock for this thread's requests until the next tick.
pub fn tick() {
    let ((now, unix_ms), at) = (wall(), Instant::now());
    let date = Rc::from(httpdate::fmt_http_date(now));
    LAST.with(|last| *last.borrow_mut() = Some(Tick { unix_ms, at, date }));
}

/// The wall-clock time (Unix ms) of `at`, a moment since the last tick.
pub fn unix_ms(at: Instant) -> i64 {
    LAST.with(|last| match &*last.borrow() {
        Some(tick) => tick.unix_ms + at.saturating_duration_since(tick.at).as_millis() as i64,
        None => wall().1,
    })
}

/// The `Date` header's value (RFC 9110 §6.6.1), to the second.
pub fn http_date() -> Rc<str> {
    LAST.with(|last| match &*last.borrow() {
        Some(tick) => tick.date.clone(),
        None => Rc::from(httpdate::fmt_http_date(SystemTime::now())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_between_ticks_follow_the_wall_clock() {
        let untick = wall().1;
        assert!((unix_ms(Instant::now()) - untick).abs() < 1000, "without a tick, the wall clock");
        tick();
        let later = Instant::now() + std::time::Duration::from_millis(1500);
        let derived = unix_ms(later);
        assert!((derived - (wall().1 + 1500)).abs() < 50, "derived {derived}");
        assert!(http_date().ends_with(" GMT"));
    }
}
