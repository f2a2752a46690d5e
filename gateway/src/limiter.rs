//! Tier enforcement: requests per minute per subscription (application × API), counted in
//! fixed one-minute windows. Alone, an instance counts what it admits, so a group of N gateways
//! admits up to N × the limit. With a shared store (see [`crate::shared`]) the instances add
//! their counts up every [`crate::shared::SYNC`]: a request is still decided here, with no
//! round trip, against the group's total as last seen plus what this instance has admitted
//! since — so the group as a whole keeps to the limit, give or take what the instances admit
//! between two syncs.

use hashbrown::HashMap;
use std::sync::{Arc, Mutex};

/// One subscription's count in one minute.
#[derive(Clone, Copy, Debug, Default)]
struct Window {
    minute: i64,
    /// Every instance's requests, as the shared store last answered (ours included); 0 alone.
    shared: u32,
    /// This instance's requests not added to the shared store yet (all of them, alone).
    unsent: u32,
}

/// Application → API → window. Nested so a request looks its window up by reference; only a
/// subscription's first request allocates. Names are shared, not owned, so listing what is
/// unsent copies no text while the workers wait on the lock.
type Windows = HashMap<Arc<str>, HashMap<Arc<str>, Window>>;

/// A gateway's tier counts, shared by its workers.
pub struct Limiter {
    windows: Mutex<Windows>,
}

/// The decision on one request.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed; remaining requests in this window and seconds until it resets.
    Allowed {
        limit: u32,
        remaining: u32,
        reset_secs: u64,
    },
    Unlimited,
    /// Over the limit: retry after this many seconds.
    Throttled {
        limit: u32,
        retry_after_secs: u64,
    },
}

/// Requests one instance admitted for a subscription in a minute, to add to the shared count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsent {
    pub application: Arc<str>,
    pub api: Arc<str>,
    pub minute: i64,
    pub requests: u32,
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter { windows: Mutex::new(HashMap::new()) }
    }
}

impl Limiter {
    fn windows(&self) -> std::sync::MutexGuard<'_, Windows> {
        self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Count one request of `application` to `api` at `now_ms` against `limit` per minute.
    pub fn check(&self, application: &str, api: &str, limit: Option<u32>, now_ms: i64) -> Verdict {
        let Some(limit) = limit else { return Verdict::Unlimited };
        let minute = now_ms.div_euclid(60_000);
        let reset_secs = u64::try_from((minute + 1) * 60_000 - now_ms).unwrap_or(0).div_ceil(1000);
        let mut windows = self.windows();
        if windows.len() > 100_000 {
            // Forget windows that ended; bounds memory with many short-lived applications.
            windows.retain(|_, apis| {
                apis.retain(|_, w| w.minute == minute);
                !apis.is_empty()
            });
        }
        let window = windows.entry_ref(application).or_default().entry_ref(api).or_default();
        if window.minute != minute {
            *window = Window { minute, ..Window::default() };
        }
        let counted = window.shared.saturating_add(window.unsent);
        if counted >= limit {
            return Verdict::Throttled { limit, retry_after_secs: reset_secs.max(1) };
        }
        window.unsent += 1;
        Verdict::Allowed { limit, remaining: limit - counted - 1, reset_secs }
    }

    /// Every subscription counted in `minute`, with what this instance has admitted in it and
    /// not yet added to the shared count — none, for some: adding nothing still reads the
    /// total, so a subscription this instance serves now and then learns what the others
    /// admitted meanwhile.
    pub fn unsent(&self, minute: i64) -> Vec<Unsent> {
        let windows = self.windows();
        let mut unsent = Vec::new();
        for (application, apis) in windows.iter() {
            for (api, w) in apis.iter().filter(|(_, w)| w.minute == minute) {
                unsent.push(Unsent {
                    application: Arc::clone(application),
                    api: Arc::clone(api),
                    minute,
                    requests: w.unsent,
                });
            }
        }
        unsent
    }

    /// Each `sent` has been added to its shared count, which now stands at `shared`. One sync's
    /// answers are settled under one lock.
    pub fn settle<'a>(&self, settled: impl IntoIterator<Item = (&'a Unsent, u32)>) {
        let mut windows = self.windows();
        for (sent, shared) in settled {
            let Some(w) = windows.get_mut(&*sent.application).and_then(|apis| apis.get_mut(&*sent.api)) else {
                continue;
            };
            if w.minute == sent.minute {
                // Requests admitted while the store answered stay unsent, for the next sync.
                w.unsent = w.unsent.saturating_sub(sent.requests);
                w.shared = w.shared.max(shared);
            }
        }
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
        assert!(
            matches!(l.check("other", "api", Some(2), t), Verdict::Allowed { .. }),
            "another subscription has its own count"
        );
        assert!(
            matches!(l.check("app", "api", Some(2), t + 600), Verdict::Allowed { .. }),
            "a new minute starts afresh"
        );
        assert_eq!(l.check("app", "api", None, t), Verdict::Unlimited);
    }

    #[test]
    fn the_shared_count_holds_the_other_instances_requests() {
        let l = Limiter::default();
        let t = 60_000;
        for _ in 0..3 {
            assert!(matches!(l.check("app", "api", Some(10), t), Verdict::Allowed { .. }));
        }
        let unsent = l.unsent(1);
        assert_eq!(unsent, vec![Unsent { application: "app".into(), api: "api".into(), minute: 1, requests: 3 }]);
        // A request admitted while the store answers stays unsent.
        assert!(matches!(l.check("app", "api", Some(10), t), Verdict::Allowed { remaining: 6, .. }));
        // The store now holds 9: our 3 and another instance's 6.
        l.settle([(&unsent[0], 9)]);
        assert_eq!(l.unsent(1).iter().map(|u| u.requests).collect::<Vec<_>>(), vec![1]);
        assert_eq!(
            l.check("app", "api", Some(10), t),
            Verdict::Throttled { limit: 10, retry_after_secs: 60 },
            "9 shared + 1 unsent"
        );
        // An answer for a minute that has ended changes nothing.
        l.settle([(&Unsent { minute: 0, ..unsent[0].clone() }, 100)]);
        assert_eq!(l.unsent(1)[0].requests, 1);
        assert!(l.unsent(2).is_empty());

        // A subscription with nothing unsent is still listed, so its total is read again.
        assert!(matches!(l.check("quiet", "api", Some(10), t), Verdict::Allowed { remaining: 9, .. }));
        let quiet = |l: &Limiter| l.unsent(1).into_iter().find(|u| &*u.application == "quiet").expect("listed");
        let sent = quiet(&l);
        l.settle([(&sent, 1)]);
        assert_eq!(quiet(&l).requests, 0, "nothing unsent, still listed");
        l.settle([(&quiet(&l), 10)]);
        assert!(
            matches!(l.check("quiet", "api", Some(10), t), Verdict::Throttled { .. }),
            "the others' requests count"
        );
    }
}
