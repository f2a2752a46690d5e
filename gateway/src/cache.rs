//! Answers kept for an API that caches them (`policies.cache_seconds`): a GET's answer is
//! served again from the gateway, without a backend call, for the API's seconds or the
//! backend's `max-age` if shorter.
//!
//! The gateway is the API owner's own cache: the caller's credential never reaches the
//! backend, so an answer depends on the call, not on who made it, and is shared by every
//! subscriber (after each one's credential and tier were checked). What the backend says of
//! caching is obeyed — `no-store`, `private`, `no-cache`, a `Set-Cookie`, or a `Vary` on a
//! header the key does not hold keep an answer out — and a caller asking `no-cache` gets a
//! fresh one.

use crate::http1::{Request, Response, ResponseHead};
use hashbrown::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Answers kept per API; a full cache first drops what has expired, then keeps no more.
const MAX_ENTRIES: usize = 1000;
/// The largest body kept.
const MAX_BODY: usize = 1 << 20;
/// The request headers an answer may vary on, which the key holds.
const KEYED_HEADERS: [&str; 3] = ["accept", "accept-encoding", "accept-language"];

#[derive(Debug)]
pub struct ResponseCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, Kept>>,
}

#[derive(Debug)]
struct Kept {
    response: Response,
    stored: Instant,
    expires: Instant,
}

impl ResponseCache {
    pub fn new(seconds: u32) -> Option<ResponseCache> {
        (seconds > 0).then(|| ResponseCache {
            ttl: Duration::from_secs(u64::from(seconds)),
            entries: Mutex::new(HashMap::new()),
        })
    }

    /// The key of a call whose answer may be kept and served again: a plain GET (not a
    /// protocol switch) that does not ask for a fresh answer. Production and sandbox calls go
    /// to different backends, so they are kept apart.
    pub fn key(&self, request: &Request, sandbox: bool) -> Option<String> {
        let fresh = |name: &str| request.header(name).is_some_and(|v| v.to_ascii_lowercase().contains("no-cache"));
        if request.method() != "GET" || request.upgrade().is_some() || fresh("cache-control") || fresh("pragma") {
            return None;
        }
        let mut key = String::with_capacity(128);
        key.push_str(if sandbox { "sandbox " } else { "production " });
        key.push_str(request.path());
        if let Some(query) = request.query() {
            key.push('?');
            key.push_str(query);
        }
        for name in KEYED_HEADERS {
            key.push('\n');
            key.push_str(request.header(name).unwrap_or(""));
        }
        Some(key)
    }

    /// The answer kept for `key`, while fresh, with its `age` in seconds.
    pub fn get(&self, key: &str) -> Option<Response> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let kept = entries.get(key)?;
        let now = Instant::now();
        if now >= kept.expires {
            return None;
        }
        let mut response = kept.response.clone();
        response.header_number("age", now.duration_since(kept.stored).as_secs());
        response.header("x-cache", b"HIT");
        Some(response)
    }

    /// Keeps `response` (answered with `head`) for `key`, when the backend allows it: a 200
    /// with a whole body of at most 1 MiB, nothing in its `Cache-Control` against it, no
    /// cookie, and a `Vary` on keyed headers only.
    pub fn keep(&self, key: String, response: &Response, head: &ResponseHead) {
        let Some(ttl) = self.lifetime(head).filter(|_| response.status == 200 && response.body.len() <= MAX_BODY)
        else {
            return;
        };
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, kept| kept.expires > now);
        }
        if entries.len() < MAX_ENTRIES || entries.contains_key(&key) {
            entries.insert(key, Kept { response: response.clone(), stored: now, expires: now + ttl });
        }
    }

    /// Drop the answers under `path` (the gateway's path, context first): its own, whatever
    /// their query, and those of the paths below it.
    pub fn forget_under(&self, path: &str) {
        let under = |key: &str| {
            // `production /pets/1?query\n…`: the path runs from the first space to the query
            // or the first keyed header.
            let kept = key.split_once(' ').map_or("", |(_, rest)| rest);
            let kept = &kept[..kept.find(['?', '\n']).unwrap_or(kept.len())];
            kept.strip_prefix(path).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).retain(|key, _| !under(key));
    }

    /// How long an answer may be kept, by what its headers say: `None` when not at all.
    fn lifetime(&self, head: &ResponseHead) -> Option<Duration> {
        let mut ttl = self.ttl;
        for (name, value) in head.headers() {
            let value = String::from_utf8_lossy(value).to_ascii_lowercase();
            if name.eq_ignore_ascii_case("set-cookie") {
                return None;
            }
            if name.eq_ignore_ascii_case("vary")
                && value.split(',').map(str::trim).any(|v| !v.is_empty() && !KEYED_HEADERS.contains(&v))
            {
                return None;
            }
            if name.eq_ignore_ascii_case("cache-control") {
                for directive in value.split(',').map(str::trim) {
                    let (directive, argument) = directive.split_once('=').unwrap_or((directive, ""));
                    match directive {
                        "no-store" | "private" | "no-cache" => return None,
                        "max-age" | "s-maxage" => {
                            let seconds = argument.trim_matches('"').parse::<u64>().ok()?;
                            ttl = ttl.min(Duration::from_secs(seconds));
                        }
                        _ => {}
                    }
                }
            }
        }
        (!ttl.is_zero()).then_some(ttl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(head: &str) -> Request {
        crate::http1::request_for_test(head.as_bytes(), "127.0.0.1:1".parse().expect("address"))
    }

    fn answered(headers: &str) -> (Response, ResponseHead) {
        let text = format!("HTTP/1.1 200 OK\r\n{headers}content-length: 2\r\n\r\n");
        let head = crate::http1::response_head_for_test(text.as_bytes());
        let mut response = Response::new(200, "application/json", "{}");
        response.header("etag", b"\"1\"");
        (response, head)
    }

    #[test]
    fn gets_are_kept_by_path_query_key_type_and_the_headers_answers_vary_on() {
        let cache = ResponseCache::new(60).expect("a cache");
        let key = |head: &str, sandbox: bool| cache.key(&request(head), sandbox);
        let plain = key("GET /pets/v1/pets?page=2 HTTP/1.1\r\nHost: h\r\nAccept: application/json\r\n\r\n", false);
        assert_eq!(plain.as_deref(), Some("production /pets/v1/pets?page=2\napplication/json\n\n"));
        let sandbox = key("GET /pets/v1/pets?page=2 HTTP/1.1\r\nHost: h\r\nAccept: application/json\r\n\r\n", true);
        assert_ne!(plain, sandbox, "a sandbox call has a backend of its own");
        for uncached in [
            "POST /pets/v1/pets HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
            "HEAD /pets/v1/pets HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /pets/v1/pets HTTP/1.1\r\nHost: h\r\nCache-Control: No-Cache\r\n\r\n",
            "GET /pets/v1/pets HTTP/1.1\r\nHost: h\r\nPragma: no-cache\r\n\r\n",
            "GET /pets/v1/chat HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
        ] {
            assert_eq!(key(uncached, false), None, "{uncached}");
        }
    }

    #[test]
    fn answers_are_kept_as_long_as_the_api_and_the_backend_allow() {
        let cache = ResponseCache::new(60).expect("a cache");
        let kept = |headers: &str| {
            let (response, head) = answered(headers);
            cache.lifetime(&head).filter(|_| response.status == 200)
        };
        assert_eq!(kept(""), Some(Duration::from_secs(60)));
        assert_eq!(kept("Cache-Control: public, max-age=5\r\n"), Some(Duration::from_secs(5)));
        assert_eq!(kept("Cache-Control: max-age=600\r\n"), Some(Duration::from_secs(60)), "the API's is the most");
        assert_eq!(kept("Vary: Accept, accept-encoding\r\n"), Some(Duration::from_secs(60)));
        for refused in [
            "Cache-Control: no-store\r\n",
            "Cache-Control: Private\r\n",
            "Cache-Control: no-cache\r\n",
            "Cache-Control: max-age=0\r\n",
            "Cache-Control: max-age=soon\r\n",
            "Set-Cookie: session=1\r\n",
            "Vary: Authorization\r\n",
            "Vary: *\r\n",
        ] {
            assert_eq!(kept(refused), None, "{refused}");
        }

        let (response, head) = answered("");
        let key = "production /pets/v1/pets\n\n\n".to_string();
        assert!(cache.get(&key).is_none());
        cache.keep(key.clone(), &response, &head);
        let hit = cache.get(&key).expect("kept");
        assert_eq!(
            (hit.status, hit.header_values("etag"), hit.header_values("x-cache")),
            (200, vec!["\"1\"".into()], vec!["HIT".into()])
        );
        assert_eq!(hit.header_values("age"), ["0"]);
        assert_eq!(&hit.body[..], b"{}");
        let (mut missing, head) = answered("");
        missing.status = 404;
        cache.keep("production /pets/v1/gone\n\n\n".into(), &missing, &head);
        assert!(cache.get("production /pets/v1/gone\n\n\n").is_none(), "only a 200 is kept");
    }
}
