//! The request path: route, check the credential, enforce the tier, then answer from the
//! prototype's examples or (the call checked against the definition, when the API asks for
//! that) proxy to a backend — and record one event, whatever happened.
//!
//! A request's trace borrows from the request and the bundle rather than copying strings, and a
//! worker thread keeps to itself what a request touches most (the bundle it serves, verified
//! tokens, backend connections, its batch of events, ids and request counts): two cores never
//! write the same memory for a request except the tier's counter.

use crate::auth::{self, Caller, Denied, VerifiedTokens};
use crate::events::{Batcher, Event, Fields};
use crate::http1::{Body, Framing, ReadError, RelayError, Request, Response, Service, json_error};
use crate::ids::Ids;
use crate::limiter::{Limiter, Verdict};
use crate::metrics::Metrics;
use crate::runtime::{Api, BackendCredential, Match, Operation, Runtime};
use crate::secrets::SecretSource;
use crate::upstream::{self, AnswerBody, Backend};
use arc_swap::ArcSwapOption;
use gatehouse_contract::checks::{Call, Misfit};
use gatehouse_contract::net::IpRange;
use gatehouse_contract::{AuthKind, ErrorType, LifecycleState, Routing};
use std::cell::{Cell, RefCell};
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};

/// Request bodies larger than this are refused (413).
const MAX_BODY: u64 = 32 * 1024 * 1024;
const CORRELATION: &str = "x-correlation-id";

/// What the gateway's worker threads share: the bundle being served, the tiers' counters and
/// the metrics.
pub struct Gateway {
    pub runtime: ArcSwapOption<Runtime>,
    pub limiter: Arc<Limiter>,
    pub metrics: Arc<Metrics>,
    pub instance: String,
    pub region: String,
    /// The one API of its group's bundle this gateway serves (a private-jet gateway), by id;
    /// `None` serves them all.
    pub api: Option<String>,
    /// Where every API's calls go whatever the bundle's endpoints say: the backend container
    /// beside a sidecar gateway, on localhost.
    pub backend: Option<String>,
    /// The proxies in front of the gateway, whose `X-Forwarded-For` (or `Forwarded`) names
    /// the caller.
    pub trusted_proxies: Vec<IpRange>,
    /// Which of the two they write.
    pub forwarded_header: ForwardedHeader,
    /// Where backend credentials' secrets are read from.
    pub secrets: SecretSource,
    /// The bundle being served, as it came: compiled again when a backend secret changes.
    pub installed: Mutex<Option<Arc<[u8]>>>,
}

impl Gateway {
    /// Whether a connection from this address must open with a PROXY protocol header: one from
    /// a trusted proxy, when those speak it.
    pub fn opens_with_proxy_protocol(&self, remote: SocketAddr) -> bool {
        self.forwarded_header == ForwardedHeader::ProxyProtocol
            && self.trusted_proxies.iter().any(|range| range.contains(remote.ip().to_canonical()))
    }
}

/// A bundle as one worker serves it, with the tokens that worker has verified against it.
pub struct Serving {
    pub runtime: Arc<Runtime>,
    verified: VerifiedTokens,
    /// Group, instance and region: the same in every event.
    place: Fields,
}

/// What each worker thread has of its own.
pub struct Worker {
    pub index: usize,
    pub backends: upstream::Pool,
    pub events: Batcher,
    ids: Ids,
    serving: RefCell<Option<Rc<Serving>>>,
    /// Requests being answered, which a stopping worker waits for.
    pub in_flight: Cell<usize>,
    pub stopping: Cell<bool>,
}

impl Worker {
    pub fn new(index: usize, events: Batcher) -> Worker {
        Worker {
            index,
            backends: upstream::Pool::default(),
            events,
            ids: Ids::default(),
            serving: RefCell::new(None),
            in_flight: Cell::new(0),
            stopping: Cell::new(false),
        }
    }

    /// The bundle to serve a request with: the worker's own handle on the gateway's current
    /// one, renewed (with an empty token cache) when a new bundle has been installed.
    fn serving(&self, gateway: &Gateway) -> Option<Rc<Serving>> {
        let current = gateway.runtime.load();
        let mut serving = self.serving.borrow_mut();
        match (current.as_ref(), serving.as_ref()) {
            (None, _) => None,
            (Some(runtime), Some(s)) if Arc::ptr_eq(runtime, &s.runtime) => Some(s.clone()),
            (Some(runtime), _) => {
                let place = Fields::new(&[&runtime.group, &gateway.instance, &gateway.region]);
                let fresh = Rc::new(Serving { runtime: runtime.clone(), verified: VerifiedTokens::default(), place });
                *serving = Some(fresh.clone());
                Some(fresh)
            }
        }
    }
}

/// The API port's requests, served by one worker.
pub struct Traffic {
    pub gateway: Arc<Gateway>,
    pub worker: Rc<Worker>,
}

impl Service for Traffic {
    async fn call<S: AsyncRead + AsyncWrite + Unpin>(&self, request: &Request, body: Body<'_, S>) -> Response {
        let in_flight = &self.worker.in_flight;
        in_flight.set(in_flight.get() + 1);
        let response = self.gateway.handle(&self.worker, request, body).await;
        in_flight.set(in_flight.get() - 1);
        response
    }

    fn stopping(&self) -> bool {
        self.worker.stopping.get()
    }
}

/// What is known about a request as it goes; becomes its event.
struct Trace<'r> {
    id: String,
    started: Instant,
    timestamp: i64,
    /// The caller's correlation id; without one, the request's own id serves.
    correlation: Option<&'r str>,
    method: &'r str,
    user_agent: &'r str,
    request_bytes: u64,
    api: Option<&'r Api>,
    resource: &'r str,
    caller: Option<Caller<'r>>,
    backend_status: Option<u16>,
    backend_latency_ms: Option<f64>,
    error: Option<ErrorType>,
    /// A backend answer whose body is still to come: relayed once the answer's head is whole.
    open: Option<OpenAnswer<'r>>,
    /// The body's length when it was relayed (the answer then carries none).
    relayed_bytes: Option<u64>,
}

/// A backend's answer whose body is relayed as it arrives (or, after a `101`, whose connection
/// becomes a tunnel), and where its connection goes after.
struct OpenAnswer<'r> {
    backend: &'r Backend,
    connection: upstream::Connection,
    framing: Framing,
    /// The backend keeps the connection open after the answer.
    reusable: bool,
    /// The API's timeout, for each wait for more of the body.
    wait: Duration,
}

impl Trace<'_> {
    fn correlation_id(&self) -> &str {
        self.correlation.unwrap_or(&self.id)
    }
}

/// Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, not the message.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// A caller's header that reaches the backend: not hop-by-hop, not the caller's credentials,
/// and not one the gateway sets itself.
fn forwardable(name: &[u8]) -> bool {
    const SET_HERE: [&str; 9] = [
        "host",
        "authorization",
        "apikey",
        "content-length",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "forwarded",
        CORRELATION,
    ];
    !HOP_BY_HOP.iter().chain(&SET_HERE).any(|held| name.eq_ignore_ascii_case(held.as_bytes()))
}

/// A backend's header that reaches the caller: not hop-by-hop, and not the framing or `date`
/// (the gateway frames and dates its answers, as nginx does).
fn returnable(name: &str) -> bool {
    !HOP_BY_HOP.iter().chain(&["content-length", "date"]).any(|held| name.eq_ignore_ascii_case(held))
}

/// Methods that may be sent again when a kept-alive backend connection turns out closed.
fn idempotent(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS" | "TRACE")
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn truncated(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl Gateway {
    pub async fn handle<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        worker: &Worker,
        request: &Request,
        mut body: Body<'_, S>,
    ) -> Response {
        let serving = worker.serving(self);
        let started = Instant::now();
        let mut trace = Trace {
            id: worker.ids.next(),
            started,
            timestamp: crate::clock::unix_ms(started),
            correlation: request.header(CORRELATION).filter(|v| !v.is_empty() && v.len() <= 200),
            method: request.method(),
            user_agent: truncated(request.header("user-agent").unwrap_or(""), 300),
            request_bytes: 0,
            api: None,
            resource: "",
            caller: None,
            backend_status: None,
            backend_latency_ms: None,
            error: None,
            open: None,
            relayed_bytes: None,
        };
        let mut response = match &serving {
            None => json_error(503, "no_bundle", "this gateway has no configuration yet"),
            Some(serving) => self.serve(serving, worker, request, &mut body, &mut trace).await,
        };
        response.header(CORRELATION, trace.correlation_id().as_bytes());
        if let Some(cors) = trace.api.and_then(|api| api.cors.as_ref())
            && let Some(origin) = request.header("origin")
        {
            cors.mark(origin, &mut response);
        }
        match trace.open.take() {
            Some(open) if response.status == 101 => Self::tunnel(open, &response, &mut body, &mut trace).await,
            Some(open) => self.relay(worker, open, &response, &mut body, &mut trace).await,
            None => {}
        }
        match &serving {
            Some(serving) => self.record(worker, &trace, &serving.place, &response),
            None => self.record(worker, &trace, &Fields::new(&["", &self.instance, &self.region]), &response),
        }
        response
    }

    async fn serve<'r, S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        serving: &'r Serving,
        worker: &Worker,
        request: &'r Request,
        body: &mut Body<'_, S>,
        trace: &mut Trace<'r>,
    ) -> Response {
        let rt = &*serving.runtime;
        let path = request.path();
        let Some((api, rest)) = rt.route(path) else {
            trace.error = Some(ErrorType::NoRoute);
            return json_error(404, "no_route", &format!("no API is served at {path}"));
        };
        trace.api = Some(api);
        match api.withdrawn {
            Some(LifecycleState::Blocked) => {
                trace.error = Some(ErrorType::Blocked);
                return json_error(
                    503,
                    "api_blocked",
                    &format!("{} {} is blocked by its publisher", api.spec.name, api.spec.version),
                );
            }
            Some(_) => {
                trace.error = Some(ErrorType::NoRoute);
                return json_error(
                    404,
                    "api_retired",
                    &format!("{} {} has been retired", api.spec.name, api.spec.version),
                );
            }
            None => {}
        }
        if let Some(filter) = &api.ip_filter {
            let caller = caller_address(request, &self.trusted_proxies, self.forwarded_header);
            if !filter.admits(caller) {
                trace.error = Some(ErrorType::AddressDenied);
                return json_error(
                    403,
                    "address_denied",
                    &format!("{} {} takes no calls from {caller}", api.spec.name, api.spec.version),
                );
            }
        }
        let matched = api.find(request.method(), rest);
        // A browser's preflight carries no credential: answered here, for the API's resources.
        if let Some(cors) = &api.cors
            && request.method() == "OPTIONS"
            && !matches!(matched, Match::NotFound)
            && request.header_bytes("access-control-request-method").is_some()
            && let Some(origin) = request.header("origin")
        {
            return cors.preflight(origin);
        }
        let operation = match matched {
            Match::Found(op) => op,
            Match::WrongMethod(allowed) => {
                trace.error = Some(ErrorType::NoRoute);
                let allowed = allowed.join(", ");
                let mut response = json_error(405, "method_not_allowed", &format!("{rest} allows {allowed}"));
                response.header("allow", allowed.as_bytes());
                return response;
            }
            Match::NotFound => {
                trace.error = Some(ErrorType::NoRoute);
                return json_error(
                    404,
                    "no_route",
                    &format!("{} {} has no resource {rest}", api.spec.name, api.spec.version),
                );
            }
        };
        trace.resource = &operation.template;

        // A prototype answers from its definition's examples, with no credential and no backend
        // — if the call fits the definition, when the API has calls checked: consumers trying
        // it learn what its backend will be strict about.
        if api.spec.state == LifecycleState::Prototyped {
            if operation.request.is_some() {
                let body = match read_body(body, trace).await {
                    Ok(body) => body,
                    Err(refusal) => return refusal,
                };
                if let Some(refusal) = self.misfit(api, operation, request, &body, trace) {
                    return refusal;
                }
            }
            return match &operation.mock {
                Some(mock) => {
                    // An example's status is the answer's; one that is not a final status (1xx) or
                    // not a status at all answers 200.
                    let status = if (200..=999).contains(&mock.status) { mock.status } else { 200 };
                    let mut response = Response::new(status, &mock.content_type, mock.body.clone());
                    response.header("x-gatehouse-prototype", b"true");
                    response
                }
                None => json_error(501, "no_example", "this prototype has no example for the operation"),
            };
        }

        if !operation.security.is_empty() {
            match authenticate(serving, api, &operation.security, request, trace.timestamp) {
                Ok(caller) if !caller.holds(&operation.scopes, &operation.tiers) => {
                    // Who it was counts in analytics, though the call is refused.
                    trace.caller = Some(caller);
                    return self.refuse(Denied::InsufficientScope, operation, trace);
                }
                Ok(caller) => trace.caller = Some(caller),
                Err(denied) => return self.refuse(denied, operation, trace),
            }
        }
        let verdict = match &trace.caller {
            Some(caller) => {
                let limit = rt.tiers.get(caller.tier()).copied().flatten();
                self.limiter.check(caller.application_id(), &api.spec.id, limit, trace.timestamp)
            }
            None => Verdict::Unlimited,
        };
        match verdict {
            Verdict::Throttled { limit, retry_after_secs } => {
                trace.error = Some(ErrorType::Throttled);
                self.metrics.throttled.fetch_add(1, Ordering::Relaxed);
                let tier = trace.caller.as_ref().map_or("", Caller::tier);
                let mut response =
                    json_error(429, "throttled", &format!("tier {tier} allows {limit} requests per minute"));
                response.header_number("retry-after", retry_after_secs);
                response.header_number("x-ratelimit-limit", u64::from(limit));
                response.header_number("x-ratelimit-remaining", 0);
                response.header_number("x-ratelimit-reset", retry_after_secs);
                response
            }
            Verdict::Allowed { limit, remaining, reset_secs } => {
                let mut response = self.forward(worker, api, operation, request, body, trace).await;
                response.header_number("x-ratelimit-limit", u64::from(limit));
                response.header_number("x-ratelimit-remaining", u64::from(remaining));
                response.header_number("x-ratelimit-reset", reset_secs);
                response
            }
            Verdict::Unlimited => self.forward(worker, api, operation, request, body, trace).await,
        }
    }

    fn refuse(&self, denied: Denied, operation: &Operation, trace: &mut Trace) -> Response {
        let accepted = operation.security.as_slice();
        let why = match denied {
            Denied::NoCredential => {
                match (accepted.contains(&AuthKind::Oauth2), accepted.contains(&AuthKind::ApiKey)) {
                    (true, false) => "send an access token (Authorization: Bearer)",
                    (false, true) => "send an API key (apikey header)",
                    _ => "send an access token (Authorization: Bearer) or an API key (apikey header)",
                }
            }
            Denied::BadToken(why) | Denied::BadKey(why) => why,
            Denied::NotSubscribed => {
                trace.error = Some(ErrorType::NotSubscribed);
                return json_error(
                    403,
                    "not_subscribed",
                    "the application is not subscribed to this API (or its subscription was revoked)",
                );
            }
            Denied::InsufficientScope => {
                trace.error = Some(ErrorType::InsufficientScope);
                let scopes = operation.scopes.join(" ");
                let mut why = format!("this operation needs an access token with the scopes: {scopes}");
                if !operation.tiers.is_empty() {
                    why.push_str(&format!(", granted to subscriptions of tier {}", operation.tiers.join(", ")));
                }
                let mut response = json_error(403, "insufficient_scope", &why);
                // RFC 6750 §3.1: the scopes it takes, so a client knows what to ask for.
                let challenge = format!("Bearer realm=\"gatehouse\", error=\"insufficient_scope\", scope=\"{scopes}\"");
                response.header("www-authenticate", challenge.as_bytes());
                return response;
            }
        };
        trace.error = Some(ErrorType::AuthFailure);
        self.metrics.auth_failures.fetch_add(1, Ordering::Relaxed);
        let mut response = json_error(401, "unauthorized", why);
        // One challenge per credential the operation accepts. RFC 6750: a request that sent no
        // token gets no error code, one whose token failed gets `invalid_token` and the reason.
        if accepted.contains(&AuthKind::Oauth2) {
            let challenge = match denied {
                Denied::BadToken(why) => {
                    format!("Bearer realm=\"gatehouse\", error=\"invalid_token\", error_description=\"{why}\"")
                }
                _ => "Bearer realm=\"gatehouse\"".to_string(),
            };
            response.header("www-authenticate", challenge.as_bytes());
        }
        if accepted.contains(&AuthKind::ApiKey) {
            response.header("www-authenticate", b"ApiKey realm=\"gatehouse\", header=\"apikey\"");
        }
        response
    }

    /// Proxy to a backend: production or sandbox by the caller's key type, round robin or
    /// failover, with the API's timeout; a call that does not fit the operation's definition,
    /// when the API has it checked, goes no further than the gateway.
    async fn forward<'r, S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        worker: &Worker,
        api: &'r Api,
        operation: &Operation,
        request: &'r Request,
        body: &mut Body<'_, S>,
        trace: &mut Trace<'r>,
    ) -> Response {
        let sandbox = trace.caller.as_ref().is_some_and(|c| c.key_type() == "sandbox");
        let backends = if sandbox { &api.sandbox } else { &api.production };
        if backends.is_empty() {
            trace.error = Some(ErrorType::BackendUnreachable);
            let which = if sandbox { "sandbox" } else { "production" };
            return json_error(
                503,
                "no_backend",
                &format!("{} {} has no {which} endpoint", api.spec.name, api.spec.version),
            );
        }
        if let BackendCredential::Unusable(_) = api.backend_credential {
            // Which variable is missing is the operator's business: it is in the gateway's log.
            trace.error = Some(ErrorType::BackendUnreachable);
            return json_error(
                503,
                "no_backend_credential",
                &format!("this gateway has no credential for the backend of {} {}", api.spec.name, api.spec.version),
            );
        }
        let body = match read_body(body, trace).await {
            Ok(body) => body,
            Err(refusal) => return refusal,
        };
        if let Some(refusal) = self.misfit(api, operation, request, &body, trace) {
            return refusal;
        }
        // A kept answer is served after the caller's credential, tier and call were checked.
        let cache_key = api.cache.as_ref().and_then(|cache| cache.key(request, sandbox));
        if let (Some(cache), Some(key)) = (&api.cache, &cache_key)
            && let Some(kept) = cache.get(key)
        {
            self.metrics.cache_hits.fetch_add(1, Ordering::Relaxed);
            return kept;
        }
        // Asked for after the call is known to fit: a refused call costs the provider nothing.
        let token = match &api.backend_credential {
            BackendCredential::Token(source) => match source.token().await {
                Some(token) => Some((source, token)),
                None => {
                    // Why is in the gateway's log: the provider's answer is the operator's business.
                    trace.error = Some(ErrorType::BackendUnreachable);
                    self.metrics.upstream_errors.fetch_add(1, Ordering::Relaxed);
                    return json_error(
                        503,
                        "no_backend_token",
                        &format!(
                            "this gateway could not get an access token for the backend of {} {}",
                            api.spec.name, api.spec.version
                        ),
                    );
                }
            },
            _ => None,
        };
        let credential: Option<Credential> = api
            .backend_credential
            .header()
            .or_else(|| token.as_ref().map(|(_, token)| (&b"authorization"[..], token.line.as_slice())));
        let endpoints = &api.spec.endpoints;
        let timeout = Duration::from_millis(u64::from(endpoints.timeout_ms.max(1)));
        // Load balancing tries one backend; failover tries each in order until one answers.
        let order: &[Backend] = match endpoints.routing {
            Routing::LoadBalance if backends.len() > 1 => {
                let i = api.next_backend.fetch_add(1, Ordering::Relaxed) % backends.len();
                &backends[i..=i]
            }
            Routing::LoadBalance => &backends[..1],
            Routing::Failover => backends,
        };
        let (method, head_request) = (request.method(), request.method() == "HEAD");
        let upgrade = request.upgrade();
        let mut outgoing = Vec::with_capacity(1024 + body.len().min(crate::http1::COALESCE));
        let mut last_error = "";
        for backend in order {
            outgoing.clear();
            write_head(&mut outgoing, backend, api, request, credential, body.len(), trace.correlation_id(), upgrade);
            // A small body goes out in the same write as the head.
            let rest = if body.len() <= crate::http1::COALESCE {
                outgoing.extend_from_slice(&body);
                &[][..]
            } else {
                &body[..]
            };
            let started = Instant::now();
            let call = upstream::Call {
                head: &outgoing,
                body: rest,
                head_request,
                idempotent: idempotent(method),
                upgrade: upgrade.is_some(),
                now: started,
            };
            let deadline = tokio::time::Instant::from_std(started) + timeout;
            let answer = tokio::time::timeout_at(deadline, worker.backends.call(backend, &call)).await;
            trace.backend_latency_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
            match answer {
                Ok(Ok(answer)) => {
                    trace.backend_status = Some(answer.head.status);
                    if let Some((source, token)) = &token
                        && answer.head.status == 401
                    {
                        source.refused(token);
                    }
                    let switched = answer.head.status == 101;
                    let mut response = Response::empty(answer.head.status);
                    // With a CORS policy of the API's, the backend's own say on it is dropped.
                    let cors_here = api.cors.is_some();
                    for (name, value) in answer.head.headers() {
                        if cors_here && name.get(..15).is_some_and(|p| p.eq_ignore_ascii_case("access-control-")) {
                            continue;
                        }
                        if returnable(name) {
                            response.header(name, value);
                        } else if switched && name.eq_ignore_ascii_case("upgrade") {
                            response.header("upgrade", value);
                        } else if head_request
                            && name.eq_ignore_ascii_case("content-length")
                            && let Some(length) = std::str::from_utf8(value).ok().and_then(|v| v.trim().parse().ok())
                        {
                            response.set_declared_length(length);
                        }
                    }
                    if switched {
                        response.header("connection", b"upgrade");
                    }
                    match answer.body {
                        AnswerBody::Whole(body) => {
                            response.body = body;
                            if let (Some(cache), Some(key)) = (&api.cache, cache_key) {
                                cache.keep(key, &response, &answer.head);
                            }
                        }
                        AnswerBody::Open(connection) => {
                            trace.open = Some(OpenAnswer {
                                backend,
                                connection,
                                framing: answer.head.framing,
                                reusable: !answer.head.close,
                                wait: timeout,
                            });
                        }
                    }
                    return response;
                }
                Ok(Err(e)) => {
                    tracing::warn!(api = %api.spec.name, backend = %backend.url, error = %e, "backend call failed");
                    last_error = "connection failed";
                }
                Err(_) => {
                    tracing::warn!(api = %api.spec.name, backend = %backend.url, timeout_ms = endpoints.timeout_ms, "backend call timed out");
                    last_error = "timed out";
                }
            }
        }
        trace.error = Some(ErrorType::BackendUnreachable);
        self.metrics.upstream_errors.fetch_add(1, Ordering::Relaxed);
        let (status, why) = if last_error == "timed out" {
            (504, format!("timed out after {} ms", endpoints.timeout_ms))
        } else {
            (502, last_error.to_string())
        };
        json_error(
            status,
            "backend_unreachable",
            &format!("the backend of {} {} could not be reached: {why}", api.spec.name, api.spec.version),
        )
    }

    /// The gateway's answer to a call that does not fit its operation's definition, when the
    /// API has calls checked.
    fn misfit(
        &self,
        api: &Api,
        operation: &Operation,
        request: &Request,
        body: &[u8],
        trace: &mut Trace<'_>,
    ) -> Option<Response> {
        let shape = operation.request.as_ref()?;
        let header = |name: &str| request.header(name);
        let call = Call { path: request.path(), query: request.query(), header: &header, body };
        let misfit = api.schemas.check(shape, &operation.template, &call).err()?;
        trace.error = Some(ErrorType::InvalidRequest);
        self.metrics.invalid_requests.fetch_add(1, Ordering::Relaxed);
        Some(match misfit {
            Misfit::Invalid(why) => json_error(400, "invalid_request", &why),
            Misfit::UnsupportedMedia(why) => json_error(415, "unsupported_media_type", &why),
        })
    }

    /// Answer with `response`'s head and relay the open answer's body as it arrives; its
    /// connection goes back to the pool after a whole body.
    async fn relay<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        worker: &Worker,
        mut open: OpenAnswer<'_>,
        response: &Response,
        body: &mut Body<'_, S>,
        trace: &mut Trace<'_>,
    ) {
        let mut sent = 0;
        let (source, buf) = open.connection.parts();
        let relayed = body.relay(response, source, buf, open.framing, open.wait, &mut sent).await;
        trace.relayed_bytes = Some(sent);
        match relayed {
            Ok(()) if open.reusable => worker.backends.give_back(open.backend, open.connection, Instant::now()),
            Ok(()) => {}
            Err(RelayError::Source(e)) => {
                tracing::warn!(backend = %open.backend.url, error = %e, bytes = sent, "the backend's answer stopped short");
                trace.error = Some(ErrorType::BackendUnreachable);
                self.metrics.upstream_errors.fetch_add(1, Ordering::Relaxed);
            }
            Err(RelayError::Sink(e)) => {
                tracing::debug!(error = %e, bytes = sent, "the caller went away during a relayed answer");
            }
        }
    }

    /// Answer with the backend's `101` and pass bytes both ways until one side closes.
    async fn tunnel<S: AsyncRead + AsyncWrite + Unpin>(
        mut open: OpenAnswer<'_>,
        response: &Response,
        body: &mut Body<'_, S>,
        trace: &mut Trace<'_>,
    ) {
        let mut sent = (0, 0);
        let (backend, buf) = open.connection.parts();
        if let Err(e) = body.tunnel(response, backend, buf, &mut sent).await {
            tracing::debug!(backend = %open.backend.url, error = %e, "a tunnel ended with an error");
        }
        trace.request_bytes += sent.0;
        trace.relayed_bytes = Some(sent.1);
    }

    fn record(&self, worker: &Worker, trace: &Trace, place: &Fields, response: &Response) {
        let seconds = trace.started.elapsed().as_secs_f64();
        self.metrics.observe(worker.index, response.status, seconds);
        let caller = trace.caller.as_ref();
        worker.events.push(&Event {
            event_id: &trace.id,
            timestamp: trace.timestamp,
            correlation_id: trace.correlation_id(),
            api: trace.api.map_or(Fields::no_api(), |api| &api.event_fields),
            method: trace.method,
            resource: trace.resource,
            application_id: caller.map_or("", Caller::application_id),
            application_name: caller.map_or("", Caller::application_name),
            consumer: caller.map_or("", Caller::consumer),
            key_type: caller.map_or("", Caller::key_type),
            tier: caller.map_or("", Caller::tier),
            place,
            status: response.status,
            backend_status: trace.backend_status,
            latency_ms: seconds * 1000.0,
            backend_latency_ms: trace.backend_latency_ms,
            request_bytes: trace.request_bytes,
            response_bytes: trace.relayed_bytes.unwrap_or(response.body.len() as u64),
            user_agent: trace.user_agent,
            error: trace.error,
        });
    }
}

/// The credential a request carries, checked for the operation's accepted kinds.
fn authenticate<'r>(
    serving: &'r Serving,
    api: &Api,
    accepted: &[AuthKind],
    request: &Request,
    now_ms: i64,
) -> Result<Caller<'r>, Denied> {
    // The token as bytes: a remembered one needs no UTF-8 check (tokens are ~700 bytes).
    let bearer = request
        .header_bytes("authorization")
        .and_then(|v| v.split_at_checked(7))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case(b"bearer "))
        .map(|(_, token)| token.trim_ascii());
    let key = request.header("apikey");
    // A browser's WebSocket cannot set headers: a request to upgrade may carry its credential
    // in the query instead (RFC 6750 §2.3's `access_token`, or `apikey`), which `write_head`
    // then leaves out. Only there, as a URL is more often logged and kept than a header.
    let (bearer, key) = match (bearer, key) {
        (None, None) if request.upgrade().is_some() => {
            (query_credential(request, "access_token").map(str::as_bytes), query_credential(request, "apikey"))
        }
        _ => (bearer, key),
    };
    let rt = &*serving.runtime;
    match (bearer, key) {
        (Some(token), _) if accepted.contains(&AuthKind::Oauth2) => {
            auth::bearer(rt, &serving.verified, token, &api.spec.id, now_ms / 1000)
        }
        (_, Some(key)) if accepted.contains(&AuthKind::ApiKey) => auth::api_key(rt, key, &api.spec.id, now_ms),
        _ => Err(Denied::NoCredential),
    }
}

/// The query parameters that carry a credential on a request to upgrade (see `authenticate`).
const QUERY_CREDENTIALS: [&str; 2] = ["access_token", "apikey"];

/// The value of query parameter `name`, as sent (tokens and keys are URL-safe as issued).
fn query_credential<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.query()?.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('=')).filter(|v| !v.is_empty())
}

/// The head of the request to `backend`: the caller's method, the backend's base path followed
/// by the path after the API's context, the caller's headers but hop-by-hop ones and
/// credentials, and `X-Forwarded-*`, `Forwarded`, the correlation id and the gateway's own
/// credential for the backend, when the API has one.
#[allow(clippy::too_many_arguments)] // each is one part of the head; a struct would only rename them
fn write_head(
    out: &mut Vec<u8>,
    backend: &Backend,
    api: &Api,
    request: &Request,
    credential: Option<Credential>,
    body_length: usize,
    correlation_id: &str,
    upgrade: Option<&[u8]>,
) {
    let context = api.spec.context.trim_end_matches('/');
    let rest = request.path().strip_prefix(context).unwrap_or("");
    out.extend_from_slice(request.method().as_bytes());
    out.push(b' ');
    out.extend_from_slice(backend.base_path.as_bytes());
    out.extend_from_slice(rest.as_bytes());
    if backend.base_path.is_empty() && rest.is_empty() {
        out.push(b'/');
    }
    match request.query() {
        Some(query) if upgrade.is_some() => {
            let mut pairs = query
                .split('&')
                .filter(|pair| !QUERY_CREDENTIALS.iter().any(|name| pair.split('=').next() == Some(*name)));
            if let Some(first) = pairs.next() {
                extend(out, &[b"?", first.as_bytes()]);
                pairs.for_each(|pair| extend(out, &[b"&", pair.as_bytes()]));
            }
        }
        Some(query) => extend(out, &[b"?", query.as_bytes()]),
        None => {}
    }
    out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    out.extend_from_slice(backend.authority.as_bytes());
    out.extend_from_slice(b"\r\n");
    let mut earlier_hops: Option<&[u8]> = None;
    // The gateway's credential and the headers the API sets replace a caller's of the same
    // name; those the API drops are not passed on.
    for (name, value) in request.headers() {
        if forwardable(name)
            && credential.is_none_or(|(held, _)| !name.eq_ignore_ascii_case(held))
            && !api.withheld_headers.iter().any(|held| name.eq_ignore_ascii_case(held.as_bytes()))
        {
            out.extend_from_slice(name);
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        } else if name.eq_ignore_ascii_case(b"x-forwarded-for") {
            earlier_hops = Some(value);
        }
    }
    // Hop-by-hop, but a protocol switch must reach the backend to happen.
    if let Some(protocol) = upgrade {
        extend(out, &[b"connection: upgrade\r\nupgrade: ", protocol, b"\r\n"]);
    }
    let host = request.header("host").unwrap_or("").as_bytes();
    let ip = request.client_ip.as_bytes();
    let (open, close): (&[u8], &[u8]) = if request.remote.is_ipv6() { (b"[", b"]") } else { (b"", b"") };
    extend(out, &[b"x-forwarded-for: "]);
    if let Some(earlier) = earlier_hops {
        extend(out, &[earlier, b", "]);
    }
    extend(
        out,
        &[
            ip,
            b"\r\nx-forwarded-host: ",
            host,
            b"\r\nx-forwarded-proto: http\r\nforwarded: for=\"",
            open,
            ip,
            close,
            b"\";host=\"",
            host,
            b"\";proto=http\r\n",
        ],
    );
    extend(out, &[CORRELATION.as_bytes(), b": ", correlation_id.as_bytes(), b"\r\n"]);
    if let Some((_, line)) = credential {
        out.extend_from_slice(line);
    }
    out.extend_from_slice(&api.set_header_lines);
    if body_length > 0 || matches!(request.method(), "POST" | "PUT" | "PATCH") {
        extend(out, &[b"content-length: ", itoa::Buffer::new().format(body_length).as_bytes(), b"\r\n"]);
    }
    out.extend_from_slice(b"\r\n");
}

/// The header the trusted proxies name callers in. Only theirs is read: a caller may send
/// the other, and a proxy that does not write it passes it on as the caller wrote it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: caller, proxy` (nginx and most ingress controllers and load balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239's `Forwarded: for=caller;proto=https, for=proxy` (Envoy, HAProxy's `option
    /// forwarded`, Traefik).
    Forwarded,
    /// No header: the PROXY protocol's, which opens each of the proxies' connections (a TCP
    /// load balancer: AWS's Network Load Balancer, HAProxy's `send-proxy`). The connection is
    /// taken to be the caller's from then on (`proxy_protocol.rs`).
    ProxyProtocol,
}

impl ForwardedHeader {
    /// The header's name; `None` for the PROXY protocol, which is not one.
    fn name(self) -> Option<&'static [u8]> {
        match self {
            ForwardedHeader::XForwardedFor => Some(b"x-forwarded-for"),
            ForwardedHeader::Forwarded => Some(b"forwarded"),
            ForwardedHeader::ProxyProtocol => None,
        }
    }

    /// The address one hop (one comma-separated part of the header) names.
    fn address(self, hop: &str) -> Option<IpAddr> {
        match self {
            ForwardedHeader::XForwardedFor => hop.trim().parse().ok(),
            ForwardedHeader::Forwarded => forwarded_for(hop),
            ForwardedHeader::ProxyProtocol => None,
        }
    }
}

/// The caller's address: the connection's, or, when that is a trusted proxy's, the last
/// address the proxies' header names that is not a trusted proxy's (the ones before it are
/// whatever the caller chose to send). Behind the PROXY protocol the connection's address is
/// already the caller's, as the proxy's header named it.
fn caller_address(request: &Request, trusted_proxies: &[IpRange], header: ForwardedHeader) -> IpAddr {
    let trusted = |address: IpAddr| trusted_proxies.iter().any(|range| range.contains(address));
    let mut caller = request.remote.ip().to_canonical();
    let Some(header_name) = header.name() else { return caller };
    if !trusted(caller) {
        return caller;
    }
    let hops: Vec<&[u8]> = request
        .headers()
        .filter(|(name, _)| name.eq_ignore_ascii_case(header_name))
        .flat_map(|(_, value)| value.split(|b| *b == b','))
        .collect();
    for hop in hops.into_iter().rev() {
        match std::str::from_utf8(hop).ok().and_then(|hop| header.address(hop)) {
            Some(address) => caller = address.to_canonical(),
            // Not an address (`unknown`, an obfuscated name): the last one read stands.
            None => break,
        }
        if !trusted(caller) {
            break;
        }
    }
    caller
}

/// The address in the `for` parameter of one element of a `Forwarded` header (RFC 7239 §4,
/// §6): `for=192.0.2.60`, `for="192.0.2.60:4711"`, `for="[2001:db8::17]:4711"`.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    let node = element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim().eq_ignore_ascii_case("for").then(|| value.trim().trim_matches('"'))
    })?;
    match node.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?.parse().ok(),
        None => node.split(':').next()?.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4),
    }
}

/// The header the gateway sends a backend to prove itself: its name, in lower case, and its
/// whole line.
type Credential<'a> = (&'a [u8], &'a [u8]);

/// The request's whole body, counted in the trace, or the answer to a body that cannot be read.
async fn read_body<S: AsyncRead + AsyncWrite + Unpin>(
    body: &mut Body<'_, S>,
    trace: &mut Trace<'_>,
) -> Result<bytes::Bytes, Response> {
    let body = match body.read(MAX_BODY).await {
        Ok(body) => body,
        Err(ReadError::BodyTooLarge) => return Err(json_error(413, "too_large", "the request body is over 32 MiB")),
        Err(e) => return Err(json_error(400, "bad_body", &format!("the request body could not be read: {e}"))),
    };
    trace.request_bytes = body.len() as u64;
    Ok(body)
}

fn extend(out: &mut Vec<u8>, parts: &[&[u8]]) {
    for part in parts {
        out.extend_from_slice(part);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::AddressFilter;
    use gatehouse_contract::{BackendAuth, Bundle, BundleApi, Endpoints, HeaderLine};

    fn api(context: &str, backend: &str) -> Api {
        let spec = BundleApi {
            id: "pets".into(),
            name: "Pets".into(),
            version: "1".into(),
            context: context.into(),
            state: LifecycleState::Published,
            revision: 1,
            endpoints: Endpoints { production: vec![backend.into()], ..Default::default() },
            security: vec![],
            tiers: vec![],
            operations: vec![],
            cors: None,
            ip_filter: Default::default(),
            cache_seconds: None,
            schemas: Default::default(),
        };
        runtime_of(spec).apis.remove(0)
    }

    /// A bundle of group `g`, release 1, with nothing in it.
    fn runtime_bundle() -> Bundle {
        Bundle {
            group: "g".into(),
            version: "1".into(),
            apis: vec![],
            tiers: vec![],
            keys: vec![],
            issuer: String::new(),
            audience: String::new(),
            revocations: vec![],
            api_keys: vec![],
            withdrawn: vec![],
            purges: vec![],
        }
    }

    fn runtime_of(spec: BundleApi) -> Runtime {
        Runtime::compile(Bundle { apis: vec![spec], ..runtime_bundle() }).unwrap_or_else(|e| panic!("{e}"))
    }

    fn remote() -> std::net::SocketAddr {
        "127.0.0.1:1".parse().expect("address")
    }

    fn head(api: &Api, request: &[u8], remote: &str, body_length: usize) -> String {
        let request = crate::http1::request_for_test(request, remote.parse().expect("address"));
        let mut out = Vec::new();
        let credential = api.backend_credential.header();
        write_head(&mut out, &api.production[0], api, &request, credential, body_length, "corr-1", request.upgrade());
        String::from_utf8(out).expect("text")
    }

    /// Behind a trusted proxy the caller is the last address it was not sent by; anywhere
    /// else, the connection's.
    #[test]
    fn callers_are_known_by_address_through_trusted_proxies_and_filtered() {
        let proxies: Vec<IpRange> = ["10.0.0.0/8", "fd00::/8"].iter().map(|r| r.parse().expect("range")).collect();
        let through = |header: ForwardedHeader, remote: &str, lines: &[&str]| {
            let name = String::from_utf8_lossy(header.name().expect("a header"));
            let mut head = String::from("GET /pets/v1/pets HTTP/1.1\r\nHost: gw\r\n");
            for line in lines {
                head.push_str(&format!("{name}: {line}\r\n"));
            }
            head.push_str("\r\n");
            let request = crate::http1::request_for_test(head.as_bytes(), remote.parse().expect("address"));
            caller_address(&request, &proxies, header).to_string()
        };
        let from = |remote: &str, lines: &[&str]| through(ForwardedHeader::XForwardedFor, remote, lines);
        let cases = [
            // Straight from the caller: what it says of itself counts for nothing.
            ("203.0.113.9:5000", &["198.51.100.1"][..], "203.0.113.9"),
            // Through the ingress: the address it appended.
            ("10.1.2.3:5000", &["198.51.100.1, 203.0.113.9"][..], "203.0.113.9"),
            // Through two proxies, the header given twice.
            ("10.1.2.3:5000", &["198.51.100.1", "203.0.113.9, 10.9.9.9"][..], "203.0.113.9"),
            ("[::ffff:10.1.2.3]:5000", &["203.0.113.9"][..], "203.0.113.9"),
            ("[fd00::1]:5000", &["2001:db8::7"][..], "2001:db8::7"),
            // A proxy that names no one, or nonsense: the last proxy's own.
            ("10.1.2.3:5000", &[][..], "10.1.2.3"),
            ("10.1.2.3:5000", &["unknown, 10.4.4.4"][..], "10.4.4.4"),
        ];
        for (remote, forwarded, caller) in cases {
            assert_eq!(from(remote, forwarded), caller, "{remote} {forwarded:?}");
        }
        // Behind proxies that write RFC 7239's header, it alone is read.
        let forwarded = |remote: &str, lines: &[&str]| through(ForwardedHeader::Forwarded, remote, lines);
        let cases = [
            ("10.1.2.3:5000", &["for=198.51.100.1, for=203.0.113.9;proto=https"][..], "203.0.113.9"),
            (
                "10.1.2.3:5000",
                &["for=198.51.100.1", "For=\"203.0.113.9:4711\";by=10.1.2.3, for=10.9.9.9"][..],
                "203.0.113.9",
            ),
            ("10.1.2.3:5000", &["proto=https;for=\"[2001:db8::7]:4711\""][..], "2001:db8::7"),
            ("203.0.113.9:5000", &["for=198.51.100.1"][..], "203.0.113.9"),
            ("10.1.2.3:5000", &["for=unknown, for=10.4.4.4"][..], "10.4.4.4"),
            ("10.1.2.3:5000", &["for=_hidden"][..], "10.1.2.3"),
            ("10.1.2.3:5000", &["proto=https"][..], "10.1.2.3"),
        ];
        for (remote, lines, caller) in cases {
            assert_eq!(forwarded(remote, lines), caller, "{remote} {lines:?}");
        }
        // A caller's header of the other kind is not the proxies'.
        assert_eq!(forwarded("10.1.2.3:5000", &[]), "10.1.2.3");
        assert_eq!(from("10.1.2.3:5000", &[]), "10.1.2.3");
        let mixed = crate::http1::request_for_test(
            b"GET / HTTP/1.1\r\nHost: gw\r\nX-Forwarded-For: 198.51.100.1\r\nForwarded: for=203.0.113.9\r\n\r\n",
            "10.1.2.3:5000".parse().expect("address"),
        );
        assert_eq!(caller_address(&mixed, &proxies, ForwardedHeader::Forwarded).to_string(), "203.0.113.9");
        assert_eq!(caller_address(&mixed, &proxies, ForwardedHeader::XForwardedFor).to_string(), "198.51.100.1");
        // Behind the PROXY protocol the connection is the caller's (its header named it): no
        // header is read, whatever the caller wrote.
        assert_eq!(caller_address(&mixed, &proxies, ForwardedHeader::ProxyProtocol).to_string(), "10.1.2.3");

        let filter = |allow: &[&str], deny: &[&str]| {
            let list = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
            AddressFilter::new(&gatehouse_contract::IpFilter { allow: list(allow), deny: list(deny) })
                .expect("filter")
                .expect("not open")
        };
        let ip = |text: &str| text.parse::<IpAddr>().expect("address");
        let office = filter(&["198.51.100.0/24"], &["198.51.100.66"]);
        assert!(office.admits(ip("198.51.100.7")));
        assert!(!office.admits(ip("198.51.100.66")), "a denied address in an allowed range");
        assert!(!office.admits(ip("203.0.113.9")), "outside what is allowed");
        let blocklist = filter(&[], &["203.0.113.0/24"]);
        assert!(blocklist.admits(ip("198.51.100.7")) && !blocklist.admits(ip("203.0.113.9")));
        assert!(AddressFilter::new(&Default::default()).expect("open").is_none(), "no filter, no test per call");
    }

    #[test]
    fn the_backend_gets_the_path_after_the_context_and_forwarding_headers_without_credentials() {
        let pets = api("/pets/v1/", "http://backend.internal:8080/base/");
        let sent = head(
            &pets,
            b"GET /pets/v1/pets/7?full=1 HTTP/1.1\r\nHost: api.example.com\r\nAuthorization: Bearer secret\r\napikey: k\r\nX-Forwarded-For: 10.0.0.1\r\nForwarded: for=evil\r\nConnection: keep-alive\r\nAccept: application/json\r\nX-Correlation-ID: theirs\r\n\r\n",
            "192.0.2.9:5000",
            0,
        );
        assert!(sent.starts_with("GET /base/pets/7?full=1 HTTP/1.1\r\nhost: backend.internal:8080\r\n"), "{sent}");
        for line in [
            "Accept: application/json\r\n",
            "x-forwarded-for: 10.0.0.1, 192.0.2.9\r\n",
            "x-forwarded-host: api.example.com\r\n",
            "x-forwarded-proto: http\r\n",
            "forwarded: for=\"192.0.2.9\";host=\"api.example.com\";proto=http\r\n",
            "x-correlation-id: corr-1\r\n",
        ] {
            assert!(sent.contains(line), "missing {line:?} in {sent}");
        }
        for gone in ["secret", "apikey", "evil", "keep-alive", "theirs", "content-length"] {
            assert!(!sent.contains(gone), "{gone:?} passed on in {sent}");
        }
        assert!(sent.ends_with("\r\n\r\n"));
    }

    #[test]
    fn the_backend_gets_the_headers_its_api_sets_and_not_those_it_drops() {
        let mut spec = api("/pets/v1", "http://backend:9").spec.clone();
        spec.endpoints.set_headers = vec![HeaderLine { name: "x-tenant".into(), value: "acme".into() }];
        spec.endpoints.drop_headers = vec!["x-debug".into()];
        let tenanted = runtime_of(spec).apis.remove(0);
        let sent = head(
            &tenanted,
            b"GET /pets/v1/pets HTTP/1.1\r\nHost: h\r\nX-Tenant: evil\r\nX-DEBUG: 1\r\nAccept: */*\r\n\r\n",
            "127.0.0.1:1",
            0,
        );
        assert!(sent.contains("x-tenant: acme\r\n") && sent.contains("Accept: */*\r\n"), "{sent}");
        for gone in ["evil", "X-DEBUG"] {
            assert!(!sent.contains(gone), "{gone:?} passed on in {sent}");
        }
        let mut spec = api("/pets/v1", "http://backend:9").spec.clone();
        spec.endpoints.set_headers = vec![HeaderLine { name: "x-tenant".into(), value: "acme\r\nhost: evil".into() }];
        let refused = Runtime::compile(Bundle { apis: vec![spec], ..runtime_bundle() }).err();
        assert_eq!(
            refused.as_deref(),
            Some("apis[0].endpoints (Pets): set_headers: the value of x-tenant is not one line")
        );
    }

    #[test]
    fn the_backend_gets_the_gateways_credential_in_place_of_the_callers() {
        let with = |auth: BackendAuth| {
            let mut spec = api("/pets/v1", "http://backend:9").spec.clone();
            spec.endpoints.backend_auth = auth;
            let bundle = Bundle { apis: vec![spec], ..runtime_bundle() };
            let secrets = |variable: &str| (variable == "GATEWAY_BACKEND_SECRET_PETS").then(|| "s3cret".to_string());
            Runtime::compile_with(bundle, secrets).unwrap_or_else(|e| panic!("{e}")).apis.remove(0)
        };
        const CALL: &[u8] =
            b"GET /pets/v1/pets HTTP/1.1\r\nHost: h\r\nX-Api-Key: theirs\r\nAuthorization: Bearer caller-token\r\n\r\n";

        let header = with(BackendAuth::Header { name: "x-api-key".into(), secret: "PETS".into() });
        let sent = head(&header, CALL, "127.0.0.1:1", 0);
        assert_eq!(sent.to_ascii_lowercase().matches("x-api-key:").count(), 1, "{sent}");
        assert!(sent.contains("x-api-key: s3cret\r\n") && !sent.contains("theirs"), "{sent}");
        assert!(!sent.contains("caller-token"), "{sent}");

        let basic = with(BackendAuth::Basic { username: "gateway".into(), secret: "PETS".into() });
        let sent = head(&basic, CALL, "127.0.0.1:1", 0);
        // base64("gateway:s3cret")
        assert!(sent.contains("authorization: Basic Z2F0ZXdheTpzM2NyZXQ=\r\n"), "{sent}");
        assert!(sent.contains("X-Api-Key: theirs\r\n") && !sent.contains("caller-token"), "{sent}");

        let unset = with(BackendAuth::Header { name: "x-api-key".into(), secret: "OTHER".into() });
        assert_eq!(
            unset.backend_credential,
            BackendCredential::Unusable(vec![crate::runtime::SecretProblem {
                variable: "GATEWAY_BACKEND_SECRET_OTHER".into(),
                reason: "is not set".into()
            }])
        );
    }

    #[test]
    fn bodies_get_a_length_and_an_ipv6_caller_is_bracketed() {
        let root = api("/", "http://[::1]:9");
        let sent = head(&root, b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n", "[2001:db8::1]:5000", 5);
        assert!(sent.starts_with("POST / HTTP/1.1\r\nhost: [::1]:9\r\n"), "{sent}");
        assert!(
            sent.contains("forwarded: for=\"[2001:db8::1]\";") && sent.contains("x-forwarded-for: 2001:db8::1\r\n"),
            "{sent}"
        );
        assert_eq!(sent.matches("content-length: 5\r\n").count(), 1, "{sent}");
        let empty_post = head(&root, b"POST / HTTP/1.1\r\nHost: h\r\n\r\n", "127.0.0.1:1", 0);
        assert!(empty_post.contains("content-length: 0\r\n"), "a POST always says its length: {empty_post}");
    }

    #[test]
    fn a_protocol_switch_reaches_the_backend_only_when_asked_for() {
        let root = api("/", "http://backend:9");
        let asked = head(
            &root,
            b"GET /chat HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\n\r\n",
            "127.0.0.1:1",
            0,
        );
        assert!(asked.contains("connection: upgrade\r\nupgrade: websocket\r\n"), "{asked}");
        assert!(asked.contains("Sec-WebSocket-Key: k\r\n") && !asked.contains("keep-alive"), "{asked}");
        let unasked = head(&root, b"GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n", "127.0.0.1:1", 0);
        assert!(!unasked.to_ascii_lowercase().contains("upgrade"), "Upgrade without Connection: upgrade: {unasked}");
    }

    #[test]
    fn a_request_to_upgrade_may_carry_its_credential_in_the_query_which_stays_at_the_gateway() {
        const UPGRADE: &[u8] = b" HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
        const PLAIN: &[u8] = b" HTTP/1.1\r\nHost: h\r\n\r\n";
        let mut bundle_key = gatehouse_contract::BundleApiKey {
            id: "k1".into(),
            sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"the-key")),
            application_id: "app-1".into(),
            application_name: "Chat".into(),
            consumer: "c@example.com".into(),
            key_type: "PRODUCTION".into(),
            subscriptions: vec![gatehouse_contract::SubscriptionClaim { api_id: "pets".into(), tier: "Gold".into() }],
            expires_at: None,
        };
        let mut runtime = runtime_of(api("/", "http://backend:9").spec.clone());
        runtime.api_keys.insert(std::mem::take(&mut bundle_key.sha256), bundle_key);
        let serving =
            Serving { runtime: Arc::new(runtime), verified: VerifiedTokens::default(), place: Fields::new(&[]) };
        let pets = &serving.runtime.apis[0];
        let ask = |target: &str, rest: &[u8]| {
            let request = crate::http1::request_for_test(&[b"GET ", target.as_bytes(), rest].concat(), remote());
            match authenticate(&serving, pets, &[AuthKind::ApiKey], &request, 0) {
                Ok(caller) => Ok(caller.application_id().to_string()),
                Err(denied) => Err(denied),
            }
        };
        assert_eq!(ask("/chat?room=1&apikey=the-key", UPGRADE), Ok("app-1".into()));
        assert_eq!(ask("/chat?apikey=another", UPGRADE), Err(Denied::BadKey("unknown or revoked API key")));
        assert_eq!(ask("/chat?apikey=the-key", PLAIN), Err(Denied::NoCredential), "only a request to upgrade");
        assert_eq!(ask("/chat?my_apikey=the-key", UPGRADE), Err(Denied::NoCredential), "the name in full");

        let root = api("/", "http://backend:9");
        let sent = head(
            &root,
            &[b"GET /chat?room=1&access_token=t&apikey=k&x=2".as_ref(), UPGRADE].concat(),
            "127.0.0.1:1",
            0,
        );
        assert!(sent.starts_with("GET /chat?room=1&x=2 HTTP/1.1\r\n"), "{sent}");
        let only = head(&root, &[b"GET /chat?access_token=t".as_ref(), UPGRADE].concat(), "127.0.0.1:1", 0);
        assert!(only.starts_with("GET /chat HTTP/1.1\r\n"), "{only}");
        let plain = head(&root, &[b"GET /chat?apikey=theirs".as_ref(), PLAIN].concat(), "127.0.0.1:1", 0);
        assert!(plain.starts_with("GET /chat?apikey=theirs HTTP/1.1\r\n"), "an API's own parameter otherwise: {plain}");
    }
}
