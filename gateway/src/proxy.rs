//! The request path: route, check the credential, enforce the tier, then answer from the
//! prototype's examples or proxy to a backend — and record one event, whatever happened.

use crate::auth::{self, Caller, Denied};
use crate::events::{Batcher, Event};
use crate::ids::Ids;
use crate::limiter::{Limiter, Verdict};
use crate::metrics::Metrics;
use crate::runtime::{Api, Match, Runtime};
use arc_swap::ArcSwapOption;
use bytes::Bytes;
use gatehouse_contract::{AuthKind, ErrorType, LifecycleState, Routing};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Request bodies larger than this are refused (413).
const MAX_BODY: usize = 32 * 1024 * 1024;
const CORRELATION: &str = "x-correlation-id";

/// The HTTP/1 client for backends: hyper's pooled client, `http://` or `https://` (rustls, webpki roots).
pub type Backends = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// What each worker thread has of its own: its backend connections and its batch of events.
pub struct Worker {
    pub backends: Backends,
    pub events: Batcher,
}

pub struct Gateway {
    pub runtime: ArcSwapOption<Runtime>,
    pub limiter: Limiter,
    pub metrics: Arc<Metrics>,
    pub ids: Ids,
    pub instance: String,
    pub region: String,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// What is known about a request as it goes; becomes its event.
struct Trace {
    id: String,
    started: Instant,
    timestamp: i64,
    correlation_id: String,
    method: String,
    user_agent: String,
    request_bytes: u64,
    api: Option<(String, String, String, String)>,
    resource: String,
    caller: Option<Caller>,
    backend_status: Option<u16>,
    backend_latency_ms: Option<f64>,
    error: Option<ErrorType>,
}

/// A client for backends; each worker thread has its own pool.
pub fn backends() -> Backends {
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    http.enforce_http(false);
    let connector = hyper_rustls::HttpsConnectorBuilder::new().with_webpki_roots().https_or_http().enable_http1().wrap_connector(http);
    Client::builder(TokioExecutor::new()).pool_timer(TokioTimer::new()).pool_idle_timeout(std::time::Duration::from_secs(60)).build(connector)
}

fn json_error(status: StatusCode, code: &str, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "error": { "code": code, "message": message } }).to_string();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Hop-by-hop headers (RFC 9110 §7.6.1) and the caller's credentials stay at the gateway.
fn forwardable(name: &HeaderName) -> bool {
    !matches!(
        name.as_str(),
        "connection" | "keep-alive" | "proxy-authenticate" | "proxy-authorization" | "te" | "trailer" | "transfer-encoding" | "upgrade" | "host"
            | "authorization" | "apikey" | "content-length"
    )
}

impl Gateway {
    pub async fn handle(&self, worker: &Worker, request: Request<Incoming>, remote: SocketAddr) -> Response<Full<Bytes>> {
        let id = self.ids.next();
        // The caller's correlation id is passed on; without one, the request's own id serves.
        let correlation_id = request
            .headers()
            .get(CORRELATION)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 200)
            .map_or_else(|| id.clone(), str::to_string);
        let mut trace = Trace {
            id,
            started: Instant::now(),
            timestamp: now_ms(),
            correlation_id: correlation_id.clone(),
            method: request.method().to_string(),
            user_agent: request.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").chars().take(300).collect(),
            request_bytes: 0,
            api: None,
            resource: String::new(),
            caller: None,
            backend_status: None,
            backend_latency_ms: None,
            error: None,
        };
        let runtime = self.runtime.load_full();
        let mut response = match &runtime {
            None => json_error(StatusCode::SERVICE_UNAVAILABLE, "no_bundle", "this gateway has no configuration yet"),
            Some(rt) => self.serve(rt, &worker.backends, request, remote, &mut trace).await,
        };
        response.headers_mut().insert(HeaderName::from_static(CORRELATION), HeaderValue::from_str(&correlation_id).unwrap_or(HeaderValue::from_static("invalid")));
        let group = runtime.as_ref().map_or("", |rt| rt.group.as_str());
        self.record(&worker.events, &trace, group, &response);
        response
    }

    async fn serve(&self, rt: &Runtime, backends: &Backends, request: Request<Incoming>, remote: SocketAddr, trace: &mut Trace) -> Response<Full<Bytes>> {
        let path = request.uri().path().to_string();
        let Some((api, rest)) = rt.route(&path) else {
            trace.error = Some(ErrorType::NoRoute);
            return json_error(StatusCode::NOT_FOUND, "no_route", &format!("no API is served at {path}"));
        };
        trace.api = Some((api.spec.id.clone(), api.spec.name.clone(), api.spec.version.clone(), api.spec.context.clone()));
        match rt.withdrawn.get(&api.spec.id) {
            Some(LifecycleState::Blocked) => {
                trace.error = Some(ErrorType::Blocked);
                return json_error(StatusCode::SERVICE_UNAVAILABLE, "api_blocked", &format!("{} {} is blocked by its publisher", api.spec.name, api.spec.version));
            }
            Some(_) => {
                trace.error = Some(ErrorType::NoRoute);
                return json_error(StatusCode::NOT_FOUND, "api_retired", &format!("{} {} has been retired", api.spec.name, api.spec.version));
            }
            None => {}
        }
        let operation = match api.find(request.method().as_str(), rest) {
            Match::Found(op) => op,
            Match::WrongMethod(allowed) => {
                trace.error = Some(ErrorType::NoRoute);
                let mut response = json_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", &format!("{rest} allows {}", allowed.join(", ")));
                if let Ok(v) = HeaderValue::from_str(&allowed.join(", ")) {
                    response.headers_mut().insert(header::ALLOW, v);
                }
                return response;
            }
            Match::NotFound => {
                trace.error = Some(ErrorType::NoRoute);
                return json_error(StatusCode::NOT_FOUND, "no_route", &format!("{} {} has no resource {rest}", api.spec.name, api.spec.version));
            }
        };
        trace.resource = operation.template.clone();

        // A prototype answers from its definition's examples, with no credential and no backend.
        if api.spec.state == LifecycleState::Prototyped {
            return match &operation.mock {
                Some(mock) => {
                    let mut response = Response::new(Full::new(Bytes::from(mock.body.clone())));
                    *response.status_mut() = StatusCode::from_u16(mock.status).unwrap_or(StatusCode::OK);
                    if let Ok(v) = HeaderValue::from_str(&mock.content_type) {
                        response.headers_mut().insert(header::CONTENT_TYPE, v);
                    }
                    response.headers_mut().insert("x-gatehouse-prototype", HeaderValue::from_static("true"));
                    response
                }
                None => json_error(StatusCode::NOT_IMPLEMENTED, "no_example", "this prototype has no example for the operation"),
            };
        }

        if !operation.security.is_empty() {
            match self.authenticate(rt, api, &operation.security, request.headers()) {
                Ok(caller) => trace.caller = Some(caller),
                Err(denied) => return self.refuse(denied, &operation.security, trace),
            }
        }
        if let Some(caller) = &trace.caller {
            let limit = rt.tiers.get(&caller.tier).copied().flatten();
            match self.limiter.check(&caller.application_id, &api.spec.id, limit, trace.timestamp) {
                Verdict::Throttled { limit, retry_after_secs } => {
                    trace.error = Some(ErrorType::Throttled);
                    self.metrics.throttled.fetch_add(1, Ordering::Relaxed);
                    let mut response = json_error(StatusCode::TOO_MANY_REQUESTS, "throttled", &format!("tier {} allows {limit} requests per minute", caller.tier));
                    let h = response.headers_mut();
                    h.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                    h.insert("x-ratelimit-limit", HeaderValue::from(limit));
                    h.insert("x-ratelimit-remaining", HeaderValue::from(0));
                    h.insert("x-ratelimit-reset", HeaderValue::from(retry_after_secs));
                    return response;
                }
                Verdict::Allowed { limit, remaining, reset_secs } => {
                    let mut response = self.forward(backends, api, request, remote, trace).await;
                    let h = response.headers_mut();
                    h.insert("x-ratelimit-limit", HeaderValue::from(limit));
                    h.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
                    h.insert("x-ratelimit-reset", HeaderValue::from(reset_secs));
                    return response;
                }
                Verdict::Unlimited => {}
            }
        }
        self.forward(backends, api, request, remote, trace).await
    }

    fn authenticate(&self, rt: &Runtime, api: &Api, accepted: &[AuthKind], headers: &HeaderMap) -> Result<Caller, Denied> {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        let key = headers.get("apikey").and_then(|v| v.to_str().ok());
        match (bearer, key) {
            (Some(token), _) if accepted.contains(&AuthKind::Oauth2) => auth::bearer(rt, token, &api.spec.id, now_ms() / 1000),
            (_, Some(key)) if accepted.contains(&AuthKind::ApiKey) => auth::api_key(rt, key, &api.spec.id, now_ms()),
            _ => Err(Denied::Unauthenticated("send an access token (Authorization: Bearer) or an API key (apikey header)")),
        }
    }

    fn refuse(&self, denied: Denied, accepted: &[AuthKind], trace: &mut Trace) -> Response<Full<Bytes>> {
        match denied {
            Denied::Unauthenticated(why) => {
                trace.error = Some(ErrorType::AuthFailure);
                self.metrics.auth_failures.fetch_add(1, Ordering::Relaxed);
                let mut response = json_error(StatusCode::UNAUTHORIZED, "unauthorized", why);
                let challenge = if accepted.contains(&AuthKind::Oauth2) {
                    format!("Bearer realm=\"gatehouse\", error=\"invalid_token\", error_description=\"{why}\"")
                } else {
                    "ApiKey realm=\"gatehouse\", header=\"apikey\"".to_string()
                };
                if let Ok(v) = HeaderValue::from_str(&challenge) {
                    response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
                }
                response
            }
            Denied::NotSubscribed => {
                trace.error = Some(ErrorType::NotSubscribed);
                json_error(StatusCode::FORBIDDEN, "not_subscribed", "the application is not subscribed to this API (or its subscription was revoked)")
            }
        }
    }

    /// Proxy to a backend: production or sandbox by the caller's key type, round robin or
    /// failover, with the API's timeout.
    async fn forward(&self, client: &Backends, api: &Api, request: Request<Incoming>, remote: SocketAddr, trace: &mut Trace) -> Response<Full<Bytes>> {
        let sandbox = trace.caller.as_ref().is_some_and(|c| c.key_type == "sandbox");
        let endpoints = &api.spec.endpoints;
        let backends = if sandbox { &endpoints.sandbox } else { &endpoints.production };
        if backends.is_empty() {
            trace.error = Some(ErrorType::BackendUnreachable);
            let which = if sandbox { "sandbox" } else { "production" };
            return json_error(StatusCode::SERVICE_UNAVAILABLE, "no_backend", &format!("{} {} has no {which} endpoint", api.spec.name, api.spec.version));
        }
        let (parts, body) = request.into_parts();
        let body = match Limited::new(body, MAX_BODY).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => return json_error(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "the request body is over 32 MiB or was cut off"),
        };
        trace.request_bytes = body.len() as u64;
        let context = api.spec.context.trim_end_matches('/');
        let rest = parts.uri.path().strip_prefix(context).unwrap_or("");
        let query = parts.uri.query().map(|q| format!("?{q}")).unwrap_or_default();
        let host = parts.headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let mut headers = HeaderMap::with_capacity(parts.headers.len() + 5);
        for (name, value) in &parts.headers {
            if forwardable(name) {
                headers.append(name.clone(), value.clone());
            }
        }
        let client_ip = remote.ip().to_string();
        let forwarded_for = match parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
            Some(earlier) => format!("{earlier}, {client_ip}"),
            None => client_ip.clone(),
        };
        for (name, value) in [
            ("x-forwarded-for", forwarded_for),
            ("x-forwarded-host", host.clone()),
            ("x-forwarded-proto", "http".to_string()),
            ("forwarded", format!("for=\"{client_ip}\";host=\"{host}\";proto=http")),
            (CORRELATION, trace.correlation_id.clone()),
        ] {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), v);
            }
        }
        let timeout = std::time::Duration::from_millis(u64::from(endpoints.timeout_ms.max(1)));
        let start = api.next_backend.fetch_add(1, Ordering::Relaxed);
        // Load balancing tries one backend; failover tries each in order until one answers.
        let order: Vec<&String> = match endpoints.routing {
            Routing::LoadBalance => vec![&backends[start % backends.len()]],
            Routing::Failover => backends.iter().collect(),
        };
        let mut last_error = String::new();
        for (attempt, base) in order.iter().enumerate() {
            let Ok(uri) = format!("{}{rest}{query}", base.trim_end_matches('/')).parse::<http::Uri>() else {
                last_error = "the backend URL with this path is not a valid URI".into();
                continue;
            };
            let mut outgoing = Request::new(Full::new(body.clone()));
            *outgoing.method_mut() = parts.method.clone();
            *outgoing.uri_mut() = uri;
            // The last attempt takes the headers; earlier ones (failover) copy them.
            *outgoing.headers_mut() = if attempt + 1 == order.len() { std::mem::take(&mut headers) } else { headers.clone() };
            let started = Instant::now();
            let answer = tokio::time::timeout(timeout, async {
                let answer = client.request(outgoing).await.map_err(|e| e.to_string())?;
                let (head, incoming) = answer.into_parts();
                let bytes = incoming.collect().await.map_err(|e| e.to_string())?.to_bytes();
                Ok::<_, String>((head, bytes))
            })
            .await;
            trace.backend_latency_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
            match answer {
                Ok(Ok((head, bytes))) => {
                    trace.backend_status = Some(head.status.as_u16());
                    let mut response = Response::new(Full::new(bytes));
                    *response.status_mut() = head.status;
                    for (name, value) in &head.headers {
                        if forwardable(name) {
                            response.headers_mut().append(name.clone(), value.clone());
                        }
                    }
                    return response;
                }
                Ok(Err(e)) => {
                    tracing::warn!(api = %api.spec.name, backend = %base, error = %e, "backend call failed");
                    last_error = "connection failed".into();
                }
                Err(_) => {
                    tracing::warn!(api = %api.spec.name, backend = %base, timeout_ms = endpoints.timeout_ms, "backend call timed out");
                    last_error = format!("timed out after {} ms", endpoints.timeout_ms);
                }
            }
        }
        trace.error = Some(ErrorType::BackendUnreachable);
        self.metrics.upstream_errors.fetch_add(1, Ordering::Relaxed);
        let status = if last_error.starts_with("timed out") { StatusCode::GATEWAY_TIMEOUT } else { StatusCode::BAD_GATEWAY };
        json_error(status, "backend_unreachable", &format!("the backend of {} {} could not be reached: {last_error}", api.spec.name, api.spec.version))
    }

    fn record(&self, events: &Batcher, trace: &Trace, group: &str, response: &Response<Full<Bytes>>) {
        use hyper::body::Body;
        let seconds = trace.started.elapsed().as_secs_f64();
        let status = response.status().as_u16();
        self.metrics.observe(status, seconds);
        let (api_id, api_name, api_version, api_context) = trace.api.as_ref().map_or(("", "", "", ""), |(id, name, version, context)| (id.as_str(), name.as_str(), version.as_str(), context.as_str()));
        let caller = trace.caller.as_ref();
        let of_caller = |field: fn(&Caller) -> &str| caller.map_or("", field);
        events.push(&Event {
            event_id: &trace.id,
            timestamp: trace.timestamp,
            correlation_id: &trace.correlation_id,
            api_id,
            api_name,
            api_version,
            api_context,
            method: &trace.method,
            resource: &trace.resource,
            application_id: of_caller(|c| &c.application_id),
            application_name: of_caller(|c| &c.application_name),
            consumer: of_caller(|c| &c.consumer),
            key_type: of_caller(|c| &c.key_type),
            tier: of_caller(|c| &c.tier),
            group,
            instance: &self.instance,
            region: &self.region,
            status,
            backend_status: trace.backend_status,
            latency_ms: seconds * 1000.0,
            backend_latency_ms: trace.backend_latency_ms,
            request_bytes: trace.request_bytes,
            response_bytes: response.body().size_hint().exact().unwrap_or(0),
            user_agent: &trace.user_agent,
            error: trace.error,
        });
    }
}
