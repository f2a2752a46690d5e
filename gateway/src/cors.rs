//! Cross-origin calls (CORS, as the Fetch standard has browsers ask): an API that allows them
//! gets its browsers' preflight requests answered here — they carry no credential, so they
//! never reach authentication or the backend — and its answers to allowed origins marked so
//! the page's script may read them, errors (401, 403, 429) included. An origin that is not
//! allowed gets no mark: its browser keeps the answer from the page. What the backend says
//! about CORS is replaced by the API's policy, which is the publisher's to set.

use crate::http1::{Response, json_error};
use gatehouse_contract::Cors;

/// Response headers a page's script may read besides the basic ones: the correlation id, the
/// tier's counters and the challenge of a 401.
const EXPOSED: &[u8] =
    b"x-correlation-id, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, retry-after, www-authenticate";
/// How long a browser may reuse a preflight's answer, in seconds.
const PREFLIGHT_MAX_AGE: &[u8] = b"600";

/// An API's CORS policy, ready for each request.
#[derive(Debug)]
pub struct CorsPolicy {
    any_origin: bool,
    /// Lowercase `scheme://host[:port]`.
    origins: Vec<String>,
    methods: String,
    headers: String,
    credentials: bool,
}

impl CorsPolicy {
    pub fn new(cors: &Cors) -> CorsPolicy {
        CorsPolicy {
            any_origin: cors.allow_origins.iter().any(|o| o == "*"),
            origins: cors.allow_origins.iter().map(|o| o.trim_end_matches('/').to_ascii_lowercase()).collect(),
            methods: cors.allow_methods.join(", "),
            headers: cors.allow_headers.join(", "),
            credentials: cors.allow_credentials,
        }
    }

    fn allows(&self, origin: &str) -> bool {
        self.any_origin || self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
    }

    /// The answer to a browser's preflight (`OPTIONS` with `Access-Control-Request-Method`) from
    /// `origin`; [`CorsPolicy::mark`] adds the origin's part.
    pub fn preflight(&self, origin: &str) -> Response {
        if !self.allows(origin) {
            return json_error(403, "origin_not_allowed", &format!("calls from {origin} are not allowed to this API"));
        }
        let mut response = Response::empty(204);
        response.header("access-control-allow-methods", self.methods.as_bytes());
        response.header("access-control-allow-headers", self.headers.as_bytes());
        response.header("access-control-max-age", PREFLIGHT_MAX_AGE);
        response
    }

    /// Mark an answer to a request from `origin`, when the origin is allowed.
    pub fn mark(&self, origin: &str, response: &mut Response) {
        if !self.allows(origin) {
            return;
        }
        // `*` may not go with cookies (browsers refuse it), and a named origin makes the answer
        // depend on the request's Origin, which caches must know.
        if self.any_origin && !self.credentials {
            response.header("access-control-allow-origin", b"*");
        } else {
            response.header("access-control-allow-origin", origin.as_bytes());
            response.header("vary", b"origin");
        }
        if self.credentials {
            response.header("access-control-allow-credentials", b"true");
        }
        response.header("access-control-expose-headers", EXPOSED);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(origins: &[&str], credentials: bool) -> CorsPolicy {
        CorsPolicy::new(&Cors {
            enabled: true,
            allow_origins: origins.iter().map(|o| o.to_string()).collect(),
            allow_credentials: credentials,
            ..Cors::default()
        })
    }

    #[test]
    fn a_preflight_from_an_allowed_origin_is_answered_with_the_policy() {
        let cors = policy(&["https://shop.example.com/"], false);
        let mut answer = cors.preflight("https://SHOP.example.com");
        cors.mark("https://SHOP.example.com", &mut answer);
        assert_eq!(answer.status, 204);
        assert_eq!(answer.header_values("access-control-allow-origin"), ["https://SHOP.example.com"]);
        assert_eq!(answer.header_values("vary"), ["origin"]);
        assert_eq!(answer.header_values("access-control-allow-methods"), ["GET, POST, PUT, PATCH, DELETE"]);
        assert_eq!(
            answer.header_values("access-control-allow-headers"),
            ["authorization, apikey, content-type, x-correlation-id"]
        );
        assert!(answer.header_values("access-control-allow-credentials").is_empty());
    }

    #[test]
    fn another_origin_gets_a_refusal_and_no_mark() {
        let cors = policy(&["https://shop.example.com"], false);
        let mut answer = cors.preflight("https://evil.example.net");
        cors.mark("https://evil.example.net", &mut answer);
        assert_eq!(answer.status, 403);
        assert!(answer.header_values("access-control-allow-origin").is_empty());
        let mut plain = Response::empty(200);
        cors.mark("https://shop.example.com.evil.net", &mut plain);
        assert!(plain.header_values("access-control-allow-origin").is_empty(), "no prefix matching");
    }

    #[test]
    fn any_origin_is_a_star_unless_cookies_are_allowed() {
        let mut open = Response::empty(401);
        policy(&["*"], false).mark("https://a.example", &mut open);
        assert_eq!(open.header_values("access-control-allow-origin"), ["*"]);
        assert!(open.header_values("vary").is_empty());
        assert!(open.header_values("access-control-expose-headers")[0].contains("x-ratelimit-remaining"));
        let mut with_cookies = Response::empty(200);
        policy(&["*"], true).mark("https://a.example", &mut with_cookies);
        assert_eq!(with_cookies.header_values("access-control-allow-origin"), ["https://a.example"]);
        assert_eq!(with_cookies.header_values("access-control-allow-credentials"), ["true"]);
    }
}
