//! Sign-in throttling per account and per client address. Kept in memory: it protects one
//! server process; a restart forgets failures, which only ever errs toward letting people in.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Failures allowed for one account within `window` before it is locked until the window passes.
    pub per_account: u32,
    /// Failures allowed from one address within `window` (covers spraying many accounts).
    pub per_address: u32,
    pub window: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { per_account: 5, per_address: 20, window: Duration::from_secs(15 * 60) }
    }
}

#[derive(Debug)]
struct Failures {
    first: Instant,
    count: u32,
}

#[derive(Debug, Default)]
pub struct SignInThrottle {
    limits: Limits,
    failures: Mutex<HashMap<String, Failures>>,
}

impl SignInThrottle {
    pub fn new(limits: Limits) -> Self {
        SignInThrottle { limits, failures: Mutex::new(HashMap::new()) }
    }

    fn keys(email: &str, address: &str) -> [(String, bool); 2] {
        [(format!("account:{email}"), true), (format!("address:{address}"), false)]
    }

    /// `Some(seconds to wait)` when either key is over its limit.
    pub fn check(&self, email: &str, address: &str) -> Option<u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, f| now.duration_since(f.first) < self.limits.window);
        let mut wait: Option<u64> = None;
        for (key, is_account) in Self::keys(email, address) {
            let limit = if is_account { self.limits.per_account } else { self.limits.per_address };
            if let Some(f) = map.get(&key)
                && f.count >= limit
            {
                let left = self.limits.window.saturating_sub(now.duration_since(f.first));
                let secs = left.as_secs().max(1);
                wait = Some(wait.map_or(secs, |w| w.max(secs)));
            }
        }
        wait
    }

    pub fn record_failure(&self, email: &str, address: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for (key, _) in Self::keys(email, address) {
            let entry = map.entry(key).or_insert(Failures { first: now, count: 0 });
            entry.count += 1;
        }
    }

    /// A successful sign-in clears the account's failures (not the address's: one good
    /// password must not reset a spraying attacker's budget).
    pub fn record_success(&self, email: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("account:{email}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_account_after_limit_and_address_separately() {
        let t = SignInThrottle::new(Limits { per_account: 2, per_address: 3, window: Duration::from_secs(60) });
        assert_eq!(t.check("a@x", "1.1.1.1"), None);
        t.record_failure("a@x", "1.1.1.1");
        t.record_failure("a@x", "1.1.1.1");
        assert!(t.check("a@x", "2.2.2.2").is_some(), "account locked from any address");
        assert_eq!(t.check("b@x", "2.2.2.2"), None);
        t.record_failure("b@x", "1.1.1.1");
        assert!(t.check("c@x", "1.1.1.1").is_some(), "address over its limit");
        t.record_success("a@x");
        assert_eq!(t.check("a@x", "3.3.3.3"), None);
    }
}
