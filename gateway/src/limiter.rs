//! Tier enforcement: requests per minute per subscription (application × API), counted in
//! fixed one-minute windows by this instance. With several instances each counts on its own,
//! so a group of N gateways admits up to N × the limit (documented in the README).

use hashbrown::HashMap;
use std::sync::Mutex;

/// Application → API → (minute, requests counted in it). Nested so a request looks its window
/// up by reference; only a subscription's first request allocates.
pub struct Limiter {
    windows: Mutex<HashMap<String, HashMap<String, (i64, u32)>>>,
}

/// The decision on one request.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed; remaining requests in this window and seconds until it resets.
    Allowed { limit: u32, remaining: u32, reset_secs: u64 },
    Unlimited,
    /// Over the limit: retry after this many seconds.
    Throttled { limit: u32, retry_after_secs: u64 },
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter { windows: Mutex::new(HashMap::new()) }
    }
}

impl Limiter {
    /// Count one request of `application` to `api` at `now_ms` against `limit` per minute.
    pub fn check(&self, application: &str, api: &str, limit: Option<u32>, now_ms: i64) -> Verdict {
        let Some(limit) = limit else { return Verdict::Unlimited };
        let minute = now_ms.div_euclid(60_000);
        let reset_secs = u64::try_from((minute + 1) * 60_000 - now_ms).unwrap_or(0).div_ceil(1000);
        let mut windows = self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() > 100_000 {
            // Forget windows that ended; bounds memory with many short-lived applications.
            windows.retain(|_, apis| {
                apis.retain(|_, (m, _)| *m == minute);
                !apis.is_empty()
            });
        }
        let entry = windows.entry_ref(application).or_default().entry_ref(api).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        if entry.1 >= limit {
            return Verdict::Throttled { limit, retry_after_secs: reset_secs.max(1) };
        }
        entry.1 += 1;
        Verdict::Allowed { limit, remaining: limit - entry.1, reset_secs }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_subscription_per_minute() {
        let l = Limiter::default();
        let t = 120_000 + 59_500;
        assert_eq!(l.check("app", "api", Some(2), t), Verdict::Allowed { limit: 2, remaining: 1, reset_secs: 1 });
        assert_eq!(l.check("app", "api", Some(2), t), Verdict::Allowed { limit: 2, remaining: 0, reset_secs: 1 });
        assert_eq!(l.check("app", "api", Some(2), t), Verdict::Throttled { limit: 2, retry_after_secs: 1 });
        assert!(matches!(l.check("other", "api", Some(2), t), Verdict::Allowed { .. }), "another subscription has its own count");
        assert!(matches!(l.check("app", "api", Some(2), t + 600), Verdict::Allowed { .. }), "a new minute starts afresh");
        assert_eq!(l.check("app", "api", None, t), Verdict::Unlimited);
    }
}
