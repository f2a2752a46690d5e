//! A bundle compiled for serving: routes by context, resource template and method; public keys
//! ready to verify; API keys, revocations and tiers in hash maps. Compiling checks the bundle,
//! so an invalid one is refused before it replaces the one being served.

use crate::backend_token::{ClientProof, TokenSource};
use crate::cache::ResponseCache;
use crate::client_assertion::AssertionKey;
use crate::cors::CorsPolicy;
use crate::events::Fields;
use crate::secrets::{Fingerprint, fingerprint};
use crate::upstream::{ApiTls, Backend};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::VerifyingKey;
use gatehouse_contract::checks::Schemas;
use gatehouse_contract::net::IpRange;
use gatehouse_contract::{
    AuthKind, BackendAuth, BackendTls, Bundle, BundleApi, BundleApiKey, ClientAuthentication, Endpoints, IpFilter,
    LifecycleState, MockResponse, RequestShape, is_http_token, is_scope_token, tls,
};
// foldhash (hashbrown's default) rather than SipHash: these maps are read on every request and
// hold only what the bundle says.
use hashbrown::HashMap;
use rustls::pki_types::CertificateDer;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

/// One segment of a resource template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
}

#[derive(Debug)]
pub struct Operation {
    pub method: String,
    pub template: String,
    segments: Vec<Segment>,
    pub security: Vec<AuthKind>,
    /// Scopes an access token must hold, all of them.
    pub scopes: Vec<String>,
    /// Tiers whose subscriptions' tokens may call it, when its scopes are bound to tiers.
    pub tiers: Vec<String>,
    pub mock: Option<MockResponse>,
    /// What a call must look like, when the API's calls are checked against its definition.
    pub request: Option<RequestShape>,
}

#[derive(Debug)]
pub struct Api {
    pub spec: BundleApi,
    pub operations: Vec<Operation>,
    /// `spec.endpoints`' URLs, taken apart.
    pub production: Vec<Backend>,
    pub sandbox: Vec<Backend>,
    /// BLOCKED or RETIRED since the release (the bundle's access part says so).
    pub withdrawn: Option<LifecycleState>,
    /// This API's fields of an event.
    pub event_fields: Fields,
    /// Round-robin position over the backends.
    pub next_backend: AtomicUsize,
    /// Cross-origin calls, when the API allows them.
    pub cors: Option<CorsPolicy>,
    /// What the gateway sends the backend to prove itself.
    pub backend_credential: BackendCredential,
    /// The schemas its operations' `request`s refer to.
    pub schemas: Schemas,
    /// Which addresses may call it, when not any.
    pub ip_filter: Option<AddressFilter>,
    /// The header lines the API sets on every backend call, ready for the request's head.
    pub set_header_lines: Vec<u8>,
    /// Callers' headers not passed on, in lower case: those the API drops and those it sets.
    pub withheld_headers: Vec<String>,
    /// GETs' answers kept, when the API keeps them: taken over from the runtime served
    /// before when the release is the same and no purge came between (see
    /// [`Runtime::keep_answers_of`]), else empty.
    pub cache: Option<Arc<ResponseCache>>,
    /// When the API's kept answers were last purged, as the bundle says.
    pub purged_at: Option<i64>,
    /// The purges of paths of the last day, as the bundle says: each path as callers call it,
    /// the API's context first, and when.
    pub path_purges: Vec<(String, i64)>,
    /// The last day (`YYYY-MM-DD`, UTC) the client certificate it shows its backends is
    /// valid, when it shows one: watched, so that its successor comes before it runs out.
    pub client_certificate_until: Option<String>,
}

/// The lines of the headers an API sets on backend calls, and the callers' headers it withholds
/// (those it drops and those it sets), checked as a header line must be: the server checks
/// them when saved, a bundle edited by hand is checked here.
fn backend_headers(endpoints: &Endpoints) -> Result<(Vec<u8>, Vec<String>), String> {
    let mut lines = Vec::new();
    let mut withheld: Vec<String> = endpoints.drop_headers.iter().map(|n| n.to_ascii_lowercase()).collect();
    for header in &endpoints.set_headers {
        if header.value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return Err(format!("set_headers: the value of {} is not one line", header.name));
        }
        lines.extend_from_slice(format!("{}: {}\r\n", header.name, header.value).as_bytes());
        withheld.push(header.name.to_ascii_lowercase());
    }
    if let Some(bad) = withheld.iter().find(|n| !is_http_token(n)) {
        return Err(format!("`{bad}` is not a header name"));
    }
    Ok((lines, withheld))
}

/// An API's `ip_filter`, its ranges read.
#[derive(Debug)]
pub struct AddressFilter {
    allow: Vec<IpRange>,
    deny: Vec<IpRange>,
}

impl AddressFilter {
    pub fn new(filter: &IpFilter) -> Result<Option<AddressFilter>, String> {
        if filter.is_open() {
            return Ok(None);
        }
        let read = |list: &[String]| list.iter().map(|r| r.parse()).collect::<Result<Vec<IpRange>, String>>();
        Ok(Some(AddressFilter { allow: read(&filter.allow)?, deny: read(&filter.deny)? }))
    }

    /// A denied address never; with addresses allowed, only those.
    pub fn admits(&self, caller: IpAddr) -> bool {
        !self.deny.iter().any(|r| r.contains(caller))
            && (self.allow.is_empty() || self.allow.iter().any(|r| r.contains(caller)))
    }
}

/// The credential an API's backend gets from the gateway, made from the gateway's environment
/// when the bundle is compiled (the bundle names the secret, never holds it).
#[derive(Debug, PartialEq, Eq)]
pub enum BackendCredential {
    None,
    /// The header's name, in lower case, and its whole line for the request's head.
    Header {
        name: String,
        line: Vec<u8>,
    },
    /// An OAuth2 access token, asked of an identity provider with the secret.
    Token(Box<TokenSource>),
    /// A secret the credential or the client certificate needs is not set, or cannot be used
    /// (a value that cannot travel in a header, a certificate without its key): the API's
    /// calls are answered 503 rather than sent without what the backend expects. Each such
    /// secret, so that the operator learns of all of them at once.
    Unusable(Vec<SecretProblem>),
}

/// A backend secret a gateway cannot use: its variable, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretProblem {
    pub variable: String,
    pub reason: String,
}

impl BackendCredential {
    fn new(auth: &BackendAuth, secrets: &impl Fn(&str) -> Option<String>) -> BackendCredential {
        let Some(variable) = auth.variable() else { return BackendCredential::None };
        let unusable = |reason: &str| {
            BackendCredential::Unusable(vec![SecretProblem { variable: variable.clone(), reason: reason.into() }])
        };
        let Some(secret) = secrets(&variable) else { return unusable("is not set") };
        // A line break would end the header and let the value write headers of its own.
        let unfit_for_header = secret.is_empty() || secret.bytes().any(|b| b.is_ascii_control() && b != b'\t');
        const UNFIT: &str = "is empty or holds a control character";
        let (name, value) = match auth {
            BackendAuth::None => return BackendCredential::None,
            BackendAuth::ClientCredentials { token_url, client_id, scopes, authentication, key_id, .. } => {
                // A key that signs assertions (a PEM private key, lines and all, or the client
                // secret) is read once here rather than at each token request.
                let signing = |key, secret: &str| ClientProof::Key { pem: fingerprint(secret), key: Box::new(key) };
                let proof = match authentication {
                    ClientAuthentication::PrivateKeyJwt => {
                        AssertionKey::from_pem(&secret, key_id.as_deref()).map(|key| signing(key, &secret))
                    }
                    ClientAuthentication::ClientSecretJwt => {
                        AssertionKey::from_client_secret(&secret).map(|key| signing(key, &secret))
                    }
                    _ if unfit_for_header => Err(UNFIT.to_string()),
                    ClientAuthentication::ClientSecretBasic => Ok(ClientProof::Basic(secret)),
                    ClientAuthentication::ClientSecretPost => Ok(ClientProof::Posted(secret)),
                };
                return match proof {
                    Ok(proof) => {
                        BackendCredential::Token(Box::new(TokenSource::new(token_url, client_id, scopes, proof)))
                    }
                    Err(reason) => unusable(&reason),
                };
            }
            _ if unfit_for_header => return unusable(UNFIT),
            BackendAuth::Basic { username, .. } => {
                ("authorization".to_string(), format!("Basic {}", STANDARD.encode(format!("{username}:{secret}"))))
            }
            BackendAuth::Header { name, .. } => (name.to_ascii_lowercase(), secret),
        };
        let line = format!("{name}: {value}\r\n").into_bytes();
        BackendCredential::Header { name, line }
    }

    /// The header's name and whole line, for a credential that is one.
    pub fn header(&self) -> Option<(&[u8], &[u8])> {
        match self {
            BackendCredential::Header { name, line } => Some((name.as_bytes(), line.as_slice())),
            _ => None,
        }
    }
}

/// An API's own TLS to its backends, when it has a setting of its own: the authorities it
/// trusts (already read from the bundle) and the client certificate from its secret, with the
/// certificate's last valid day. A certificate that is missing or unusable makes the API's
/// backend unusable, as a missing credential does.
fn api_tls(
    setting: &BackendTls,
    trusted: Option<Vec<CertificateDer<'static>>>,
    secrets: &impl Fn(&str) -> Option<String>,
) -> Result<Option<(ApiTls, Option<String>)>, SecretProblem> {
    if setting.is_default() {
        return Ok(None);
    }
    let mut valid_until = None;
    let variable = setting.client_certificate.as_deref().map(BackendAuth::variable_of).unwrap_or_default();
    let mut digest = Sha256::new();
    digest.update(setting.trusted_ca.as_bytes());
    let identity = match setting.client_certificate {
        None => None,
        Some(_) => {
            let problem = |reason: String| SecretProblem { variable: variable.clone(), reason };
            let pem = secrets(&variable).ok_or_else(|| problem("is not set".into()))?;
            digest.update(pem.as_bytes());
            let identity =
                tls::client_identity(&pem).map_err(|why| problem(format!("{why} (PEM certificate and key)")))?;
            // A backend would turn an expired certificate away: say so here, where it is known.
            if let Some(facts) = identity.0.first().and_then(tls::facts) {
                if facts.valid_until < tls::today() {
                    return Err(problem(format!("holds a certificate that expired on {}", facts.valid_until)));
                }
                valid_until = Some(facts.valid_until);
            }
            Some(identity)
        }
    };
    let digest = hex::encode(&digest.finalize()[..8]);
    // The authorities were read by the rule the bundle was checked with: what can fail here is
    // the certificate and its key (a key that is not the certificate's, say).
    match ApiTls::new(trusted, identity, digest) {
        Ok(tls) => Ok(Some((tls, valid_until))),
        Err(reason) => Err(SecretProblem { variable, reason }),
    }
}

/// What a path matched within an API.
pub enum Match<'a> {
    Found(&'a Operation),
    /// The path exists, not with this method: the allowed methods.
    WrongMethod(Vec<String>),
    NotFound,
}

impl Api {
    /// The operation for `method` and `rest` (the path after the context).
    pub fn find(&self, method: &str, rest: &str) -> Match<'_> {
        let parts: Vec<&str> = rest.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
        let mut allowed = Vec::new();
        // Literal segments win over parameters (`/pets/mine` before `/pets/{id}`).
        let mut best: Option<(&Operation, usize)> = None;
        for op in &self.operations {
            if op.segments.len() != parts.len() {
                continue;
            }
            let mut literals = 0;
            let matched = op.segments.iter().zip(&parts).all(|(seg, part)| match seg {
                Segment::Literal(l) => {
                    literals += 1;
                    l == part
                }
                Segment::Param => true,
            });
            if !matched {
                continue;
            }
            if op.method.eq_ignore_ascii_case(method) {
                if best.is_none_or(|(_, n)| literals > n) {
                    best = Some((op, literals));
                }
            } else {
                allowed.push(op.method.clone());
            }
        }
        match best {
            Some((op, _)) => Match::Found(op),
            None if !allowed.is_empty() => Match::WrongMethod(allowed),
            None => Match::NotFound,
        }
    }
}

/// Revocations by what they take away (subjects `client:…`, `application:…`,
/// `subscription:<application>/<api>`, `api:…`), each with its latest time (Unix ms), so a
/// call looks up its own subjects without building their names.
#[derive(Default, Debug)]
pub struct Revocations {
    clients: HashMap<String, i64>,
    applications: HashMap<String, i64>,
    /// Application → API → time.
    subscriptions: HashMap<String, HashMap<String, i64>>,
    apis: HashMap<String, i64>,
}

impl Revocations {
    fn add(&mut self, subject: &str, at: i64) {
        let latest = |map: &mut HashMap<String, i64>, key: &str| {
            let entry = map.entry_ref(key).or_insert(at);
            *entry = (*entry).max(at);
        };
        match subject.split_once(':') {
            Some(("client", id)) => latest(&mut self.clients, id),
            Some(("application", id)) => latest(&mut self.applications, id),
            Some(("api", id)) => latest(&mut self.apis, id),
            Some(("subscription", pair)) => match pair.split_once('/') {
                Some((application, api)) => latest(self.subscriptions.entry_ref(application).or_default(), api),
                None => tracing::warn!(subject, "a subscription revocation without an API; ignored"),
            },
            _ => tracing::warn!(subject, "a revocation of an unknown kind; ignored"),
        }
    }

    pub fn client(&self, id: &str) -> Option<i64> {
        self.clients.get(id).copied()
    }

    pub fn application(&self, id: &str) -> Option<i64> {
        self.applications.get(id).copied()
    }

    pub fn subscription(&self, application: &str, api: &str) -> Option<i64> {
        self.subscriptions.get(application).and_then(|apis| apis.get(api)).copied()
    }

    pub fn api(&self, id: &str) -> Option<i64> {
        self.apis.get(id).copied()
    }
}

pub struct Runtime {
    pub group: String,
    pub version: String,
    /// Sorted by context length, longest first, so `/a/b` wins over `/a`.
    pub apis: Vec<Api>,
    /// Positions in `apis` by the first segment of their context (in `apis`' order), so a
    /// request compares itself with the few APIs that can match, not all of them.
    by_first_segment: HashMap<String, Vec<usize>>,
    pub keys: HashMap<String, VerifyingKey>,
    pub issuer: String,
    pub audience: String,
    pub api_keys: HashMap<String, BundleApiKey>,
    pub revocations: Revocations,
    /// Tier → requests per minute (`None`: unlimited).
    pub tiers: HashMap<String, Option<u32>>,
    /// Each backend credential's variable with what its value was when compiled (`None`: it
    /// had none), to notice a secret that changes while this runtime serves.
    secrets_read: Vec<(String, Option<Fingerprint>)>,
}

fn segments(template: &str) -> Vec<Segment> {
    template
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| if s.starts_with('{') && s.ends_with('}') { Segment::Param } else { Segment::Literal(s.to_string()) })
        .collect()
}

fn first_segment(path: &str) -> &str {
    path.trim_start_matches('/').split('/').next().unwrap_or("")
}

impl Runtime {
    /// Compiles `bundle` with the backend credentials' secrets from this process's environment
    /// (a gateway reads them through its [`crate::secrets::SecretSource`]).
    #[cfg(test)]
    pub fn compile(bundle: Bundle) -> Result<Runtime, String> {
        Self::compile_with(bundle, |variable| std::env::var(variable).ok())
    }

    /// Compiles `bundle`, reading each backend credential's secret with `secrets`, and refuses
    /// one that cannot be served as it says.
    pub fn compile_with(bundle: Bundle, secrets: impl Fn(&str) -> Option<String>) -> Result<Runtime, String> {
        let read = std::cell::RefCell::new(std::collections::BTreeMap::new());
        let secrets = |variable: &str| {
            let value = secrets(variable);
            read.borrow_mut().insert(variable.to_string(), value.as_deref().map(fingerprint));
            value
        };
        let mut keys = HashMap::new();
        for (i, jwk) in bundle.keys.iter().enumerate() {
            let kid = jwk.get("kid").and_then(|v| v.as_str()).ok_or(format!("keys[{i}]: no kid"))?;
            let x = jwk.get("x").and_then(|v| v.as_str()).ok_or(format!("keys[{i}]: no x"))?;
            if jwk.get("crv").and_then(|v| v.as_str()) != Some("Ed25519") {
                return Err(format!("keys[{i}]: only Ed25519 keys are supported"));
            }
            let bytes: [u8; 32] = URL_SAFE_NO_PAD
                .decode(x)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or(format!("keys[{i}]: x is not a 32-byte key"))?;
            let key = VerifyingKey::from_bytes(&bytes).map_err(|e| format!("keys[{i}]: {e}"))?;
            keys.insert(kid.to_string(), key);
        }
        let mut apis = Vec::new();
        let mut contexts = std::collections::HashSet::new();
        let withdrawn: HashMap<String, LifecycleState> =
            bundle.withdrawn.into_iter().map(|w| (w.api_id, w.state)).collect();
        let mut purges: HashMap<String, i64> = HashMap::new();
        let mut path_purges: HashMap<String, Vec<(String, i64)>> = HashMap::new();
        for purge in bundle.purges {
            match purge.path {
                None => _ = purges.insert(purge.api_id, purge.purged_at),
                Some(path) => path_purges.entry(purge.api_id).or_default().push((path, purge.purged_at)),
            }
        }
        for (i, mut spec) in bundle.apis.into_iter().enumerate() {
            if !spec.context.starts_with('/') {
                return Err(format!("apis[{i}].context `{}` must start with /", spec.context));
            }
            if !contexts.insert(spec.context.trim_end_matches('/').to_string()) {
                return Err(format!("apis[{i}].context `{}` is served twice", spec.context));
            }
            let backends = |urls: &[String]| {
                urls.iter()
                    .map(|url| Backend::parse(url))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("apis[{i}] ({}): {e}", spec.name))
            };
            let (mut production, mut sandbox) =
                (backends(&spec.endpoints.production)?, backends(&spec.endpoints.sandbox)?);
            if let Some(secret) = spec.endpoints.backend_auth.secret().filter(|s| !BackendAuth::is_secret_name(s)) {
                return Err(format!("apis[{i}].endpoints.backend_auth.secret: `{secret}` is not a secret name"));
            }
            let tls = &spec.endpoints.backend_tls;
            if let Some(secret) = tls.client_certificate.as_deref().filter(|s| !BackendAuth::is_secret_name(s)) {
                return Err(format!(
                    "apis[{i}].endpoints.backend_tls.client_certificate: `{secret}` is not a secret name"
                ));
            }
            let trusted = match tls.trusted_ca.as_str() {
                "" => None,
                pem => Some(
                    tls::trusted_certificates(pem)
                        .map_err(|e| format!("apis[{i}].endpoints.backend_tls.trusted_ca: {e}"))?,
                ),
            };
            if let BackendAuth::ClientCredentials { token_url, scopes, .. } = &spec.endpoints.backend_auth {
                let url = reqwest::Url::parse(token_url).ok().filter(|u| matches!(u.scheme(), "http" | "https"));
                if url.is_none() {
                    return Err(format!(
                        "apis[{i}].endpoints.backend_auth.token_url: `{token_url}` is not an http(s) URL"
                    ));
                }
                if let Some(bad) = scopes.iter().find(|s| !is_scope_token(s)) {
                    return Err(format!("apis[{i}].endpoints.backend_auth.scopes: `{bad}` is not a scope name"));
                }
            }
            let mut operations = Vec::with_capacity(spec.operations.len());
            for (j, op) in spec.operations.iter().enumerate() {
                // They are named in a `WWW-Authenticate` header: RFC 6749's characters only.
                if let Some(bad) = op.scopes.iter().find(|s| !is_scope_token(s)) {
                    return Err(format!("apis[{i}].operations[{j}].scopes: `{bad}` is not a scope name"));
                }
                operations.push(Operation {
                    method: op.method.to_ascii_uppercase(),
                    template: op.path.clone(),
                    segments: segments(&op.path),
                    security: op.security.clone(),
                    scopes: op.scopes.clone(),
                    tiers: op.tiers.clone(),
                    mock: op.mock.clone(),
                    request: op.request.clone(),
                });
            }
            let withdrawn = withdrawn.get(&spec.id).copied();
            let event_fields = Fields::new(&[&spec.id, &spec.name, &spec.version, &spec.context]);
            let cors = spec.cors.as_ref().map(CorsPolicy::new);
            let ip_filter =
                AddressFilter::new(&spec.ip_filter).map_err(|e| format!("apis[{i}].ip_filter ({}): {e}", spec.name))?;
            let (set_header_lines, withheld_headers) =
                backend_headers(&spec.endpoints).map_err(|e| format!("apis[{i}].endpoints ({}): {e}", spec.name))?;
            // A prototype answers from its examples and never calls its backend.
            let mut backend_credential = match spec.state {
                LifecycleState::Prototyped => BackendCredential::None,
                _ => BackendCredential::new(&spec.endpoints.backend_auth, &secrets),
            };
            let mut client_certificate_until = None;
            if spec.state != LifecycleState::Prototyped {
                match api_tls(&spec.endpoints.backend_tls, trusted, &secrets) {
                    Ok(None) => {}
                    Ok(Some((tls, valid_until))) => {
                        client_certificate_until = valid_until;
                        production.iter_mut().chain(&mut sandbox).for_each(|b| b.use_tls(&tls));
                        if let BackendCredential::Token(source) = &mut backend_credential {
                            source.use_tls(tls.provider_config());
                        }
                    }
                    // Sent without the certificate, the calls would fail at the backend anyway.
                    Err(problem) => match &mut backend_credential {
                        BackendCredential::Unusable(problems) => problems.push(problem),
                        _ => backend_credential = BackendCredential::Unusable(vec![problem]),
                    },
                }
            }
            let schemas =
                Schemas::new(std::mem::take(&mut spec.schemas), operations.iter().filter_map(|op| op.request.as_ref()));
            let cache = spec.cache_seconds.and_then(ResponseCache::new).map(Arc::new);
            let purged_at = purges.get(spec.id.as_str()).copied();
            let context = spec.context.trim_end_matches('/');
            let path_purges = path_purges
                .remove(spec.id.as_str())
                .unwrap_or_default()
                .into_iter()
                .map(|(path, at)| (format!("{context}{path}"), at))
                .collect();
            apis.push(Api {
                cache,
                purged_at,
                path_purges,
                client_certificate_until,
                schemas,
                ip_filter,
                set_header_lines,
                withheld_headers,
                cors,
                backend_credential,
                spec,
                operations,
                production,
                sandbox,
                withdrawn,
                event_fields,
                next_backend: AtomicUsize::new(0),
            });
        }
        apis.sort_by_key(|a| std::cmp::Reverse(a.spec.context.trim_end_matches('/').len()));
        let mut by_first_segment: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, api) in apis.iter().enumerate() {
            by_first_segment.entry(first_segment(&api.spec.context).to_string()).or_default().push(i);
        }
        let mut revocations = Revocations::default();
        for r in &bundle.revocations {
            revocations.add(&r.subject, r.revoked_at);
        }
        Ok(Runtime {
            group: bundle.group,
            version: bundle.version,
            apis,
            by_first_segment,
            keys,
            issuer: bundle.issuer,
            audience: bundle.audience,
            api_keys: bundle.api_keys.into_iter().map(|k| (k.sha256.clone(), k)).collect(),
            revocations,
            tiers: bundle.tiers.into_iter().map(|t| (t.name, t.requests_per_minute)).collect(),
            secrets_read: read.into_inner().into_iter().collect(),
        })
    }

    /// Take over the answers `serving` keeps, for the APIs whose answers cannot have changed
    /// since: the same release (so the same definition, backends and keeping), no purge of all
    /// of them between, and without those under the paths purged since. A bundle that differs
    /// in access alone — a new subscription, a revoked token — then leaves them kept, while a
    /// new release or a purge starts the API's empty.
    pub fn keep_answers_of(&mut self, serving: &Runtime) {
        if serving.version != self.version {
            return;
        }
        let kept: HashMap<&str, &Api> =
            serving.apis.iter().filter(|api| api.cache.is_some()).map(|api| (api.spec.id.as_str(), api)).collect();
        for api in &mut self.apis {
            if let Some(before) = kept.get(api.spec.id.as_str())
                && let Some(cache) = &before.cache
                && api.cache.is_some()
                && before.purged_at == api.purged_at
            {
                // The serving runtime dropped the answers of the purges it had (or was compiled
                // after them, empty): the new ones are those it did not have.
                for (path, _) in api.path_purges.iter().filter(|purge| !before.path_purges.contains(purge)) {
                    cache.forget_under(path);
                }
                api.cache = Some(Arc::clone(cache));
            }
        }
    }

    /// The backend credentials' variables whose value `secrets` gives now differs from the one
    /// this runtime was compiled with.
    pub fn changed_secrets(&self, secrets: impl Fn(&str) -> Option<String>) -> Vec<&str> {
        self.secrets_read
            .iter()
            .filter(|(variable, was)| secrets(variable).as_deref().map(fingerprint) != *was)
            .map(|(variable, _)| variable.as_str())
            .collect()
    }

    /// The variables of the backend credentials this gateway lacks, each once: what its
    /// heartbeat tells the management plane, so the group page can say what to set.
    pub fn missing_secrets(&self) -> Vec<&str> {
        let mut missing: Vec<&str> = self
            .apis
            .iter()
            .flat_map(|api| match &api.backend_credential {
                BackendCredential::Unusable(problems) => problems.as_slice(),
                _ => &[],
            })
            .map(|problem| problem.variable.as_str())
            .collect();
        missing.sort_unstable();
        missing.dedup();
        missing
    }

    /// The API whose context prefixes `path`, and the rest of the path.
    pub fn route<'a>(&self, path: &'a str) -> Option<(&Api, &'a str)> {
        // An API at the root context (`/`) has the empty first segment and comes last.
        let candidates =
            [first_segment(path), ""].into_iter().filter_map(|segment| self.by_first_segment.get(segment)).flatten();
        candidates.map(|&i| &self.apis[i]).find_map(|api| {
            let context = api.spec.context.trim_end_matches('/');
            let rest = path.strip_prefix(context)?;
            (rest.is_empty() || rest.starts_with('/')).then_some((api, rest))
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use gatehouse_contract::{BundleOperation, Endpoints};

    pub(crate) fn bundle() -> Bundle {
        let op = |method: &str, path: &str| BundleOperation {
            method: method.into(),
            path: path.into(),
            security: vec![AuthKind::Oauth2],
            scopes: vec![],
            tiers: vec![],
            mock: None,
            request: None,
        };
        let api = |context: &str| BundleApi {
            id: context.into(),
            name: "Pets".into(),
            version: "1".into(),
            context: context.into(),
            state: LifecycleState::Published,
            revision: 1,
            endpoints: Endpoints { production: vec!["http://127.0.0.1:9".into()], ..Default::default() },
            security: vec![AuthKind::Oauth2],
            tiers: vec![],
            operations: vec![op("GET", "/pets/{id}"), op("GET", "/pets/mine"), op("POST", "/pets")],
            cors: None,
            ip_filter: Default::default(),
            cache_seconds: None,
            schemas: Default::default(),
        };
        Bundle {
            group: "g".into(),
            version: "1.0.0".into(),
            apis: vec![api("/pets"), api("/pets/v2")],
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

    #[test]
    fn routes_by_longest_context_then_template_then_method() {
        let rt = Runtime::compile(bundle()).expect("compile");
        let (api, rest) = rt.route("/pets/v2/pets/7").expect("route");
        assert_eq!((api.spec.context.as_str(), rest), ("/pets/v2", "/pets/7"));
        assert!(rt.route("/petshop/x").is_none(), "a context matches whole segments only");
        let (api, _) = rt.route("/pets/pets/mine").expect("route");
        assert!(
            matches!(api.find("GET", "/pets/mine"), Match::Found(op) if op.template == "/pets/mine"),
            "literals win over parameters"
        );
        assert!(matches!(api.find("GET", "/pets/42"), Match::Found(op) if op.template == "/pets/{id}"));
        assert!(matches!(api.find("DELETE", "/pets"), Match::WrongMethod(m) if m == vec!["POST".to_string()]));
        assert!(matches!(api.find("GET", "/owners"), Match::NotFound));
    }

    #[test]
    fn an_api_at_the_root_takes_what_no_other_context_matches() {
        let mut b = bundle();
        let mut root = b.apis[0].clone();
        (root.id, root.context) = ("root".into(), "/".into());
        b.apis.push(root);
        let rt = Runtime::compile(b).expect("compile");
        assert_eq!(rt.route("/pets/v2/pets/7").map(|(api, _)| api.spec.context.as_str()), Some("/pets/v2"));
        assert_eq!(rt.route("/owners/1").map(|(api, rest)| (api.spec.id.as_str(), rest)), Some(("root", "/owners/1")));
        assert_eq!(rt.route("/petshop").map(|(api, _)| api.spec.id.as_str()), Some("root"));
    }

    #[test]
    fn a_backend_secret_is_read_from_its_own_variable_and_must_fit_in_a_header() {
        let auth = BackendAuth::Header { name: "X-Api-Key".into(), secret: "PETS".into() };
        let from = |value: &'static str| {
            move |variable: &str| (variable == "GATEWAY_BACKEND_SECRET_PETS").then(|| value.to_string())
        };
        assert_eq!(
            BackendCredential::new(&auth, &from("k-1")),
            BackendCredential::Header { name: "x-api-key".into(), line: b"x-api-key: k-1\r\n".to_vec() }
        );
        for (value, reason) in [
            ("", "is empty or holds a control character"),
            ("k\r\nhost: evil", "is empty or holds a control character"),
        ] {
            assert_eq!(
                BackendCredential::new(&auth, &from(value)),
                BackendCredential::Unusable(vec![SecretProblem {
                    variable: "GATEWAY_BACKEND_SECRET_PETS".into(),
                    reason: reason.into()
                }])
            );
        }
        assert_eq!(BackendCredential::new(&BackendAuth::None, &from("k-1")), BackendCredential::None);
        // An OAuth2 client's secret is asked for a token with, when a call first needs one: by
        // HTTP Basic or in the form, as its method says.
        let client = |authentication, key_id: Option<&str>| BackendAuth::ClientCredentials {
            token_url: "https://idp.example.com/token".into(),
            client_id: "gateway".into(),
            scopes: vec!["pets:read".into(), "pets:write".into()],
            authentication,
            key_id: key_id.map(str::to_string),
            secret: "PETS".into(),
        };
        let source = |proof| {
            BackendCredential::Token(Box::new(TokenSource::new(
                "https://idp.example.com/token",
                "gateway",
                &["pets:read".into(), "pets:write".into()],
                proof,
            )))
        };
        let basic = client(ClientAuthentication::ClientSecretBasic, None);
        assert_eq!(BackendCredential::new(&basic, &from("c-1")), source(ClientProof::Basic("c-1".into())));
        assert!(matches!(BackendCredential::new(&basic, &from("")), BackendCredential::Unusable(_)));
        let poster = client(ClientAuthentication::ClientSecretPost, None);
        assert_eq!(
            BackendCredential::new(&poster, &from("c-1")),
            source(ClientProof::Posted("c-1".into())),
            "the secret goes in the form"
        );
        // A private_key_jwt client's secret is its key, read when the bundle is: one it cannot
        // sign with is named as the reason.
        let signer = client(ClientAuthentication::PrivateKeyJwt, Some("gw-1"));
        let pem = rcgen::KeyPair::generate().expect("key").serialize_pem();
        let with_key = |variable: &str| (variable == "GATEWAY_BACKEND_SECRET_PETS").then(|| pem.clone());
        match BackendCredential::new(&signer, &with_key) {
            BackendCredential::Token(source) => assert_eq!(source.client_id, "gateway"),
            other => panic!("no token source: {other:?}"),
        }
        assert_eq!(
            BackendCredential::new(&signer, &from("c-1")),
            BackendCredential::Unusable(vec![SecretProblem {
                variable: "GATEWAY_BACKEND_SECRET_PETS".into(),
                reason: "holds no PEM private key (-----BEGIN PRIVATE KEY-----)".into()
            }])
        );
        // A client_secret_jwt client's secret signs too, when it is long enough for HS256.
        let hmac = client(ClientAuthentication::ClientSecretJwt, None);
        let secret = "k3ycloak-client-secret-0123456789";
        assert_eq!(
            BackendCredential::new(&hmac, &from(secret)),
            source(ClientProof::Key {
                pem: fingerprint(secret),
                key: Box::new(AssertionKey::from_client_secret(secret).expect("key")),
            })
        );
        match BackendCredential::new(&hmac, &from("c-1")) {
            BackendCredential::Unusable(problems) => {
                assert!(problems[0].reason.contains("at least 32"), "{problems:?}")
            }
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn a_gateway_lacks_only_the_secrets_of_apis_that_call_their_backends() {
        let mut b = bundle();
        for api in &mut b.apis {
            api.endpoints.backend_auth = BackendAuth::Header { name: "x-api-key".into(), secret: "PETS".into() };
        }
        let nothing_set = |_: &str| None;
        let rt = Runtime::compile_with(b.clone(), nothing_set).expect("compile");
        assert_eq!(rt.missing_secrets(), ["GATEWAY_BACKEND_SECRET_PETS"], "each variable once");
        // A prototype answers from its examples: it needs no credential.
        for api in &mut b.apis {
            api.state = LifecycleState::Prototyped;
        }
        let rt = Runtime::compile_with(b, nothing_set).expect("compile");
        assert!(rt.missing_secrets().is_empty());
        assert!(rt.apis.iter().all(|api| api.backend_credential == BackendCredential::None));
    }

    #[test]
    fn an_apis_own_tls_takes_its_client_certificate_from_a_secret() {
        let pki = crate::upstream::tests::pki();
        let mut b = bundle();
        b.apis[0].endpoints.production = vec!["https://localhost:8443".into()];
        b.apis[0].endpoints.backend_tls =
            BackendTls { trusted_ca: pki.ca.clone(), client_certificate: Some("PETS_TLS".into()) };
        let given = |value: String| move |v: &str| (v == "GATEWAY_BACKEND_SECRET_PETS_TLS").then(|| value.clone());
        let rt = Runtime::compile_with(b.clone(), given(pki.client.clone())).expect("compile");
        assert!(rt.missing_secrets().is_empty());
        let api = rt.apis.iter().find(|a| a.spec.id == b.apis[0].id).expect("the API");
        assert_eq!(api.backend_credential, BackendCredential::None);
        // Watched until its last valid day, as the certificate says.
        use rustls::pki_types::pem::PemObject;
        let shown = CertificateDer::from_pem_slice(pki.client.as_bytes()).expect("certificate");
        assert_eq!(api.client_certificate_until, tls::facts(&shown).map(|facts| facts.valid_until));
        assert!(api.client_certificate_until.is_some());
        // Without it, or with what is not a certificate and key, the API's calls are not sent.
        let rt = Runtime::compile_with(b.clone(), |_: &str| None).expect("compile");
        assert_eq!(rt.missing_secrets(), ["GATEWAY_BACKEND_SECRET_PETS_TLS"]);
        // With a credential's secret missing too, both are named at once.
        b.apis[0].endpoints.backend_auth = BackendAuth::Header { name: "x-api-key".into(), secret: "PETS".into() };
        let rt = Runtime::compile_with(b.clone(), |_: &str| None).expect("compile");
        assert_eq!(rt.missing_secrets(), ["GATEWAY_BACKEND_SECRET_PETS", "GATEWAY_BACKEND_SECRET_PETS_TLS"]);
        b.apis[0].endpoints.backend_auth = BackendAuth::None;
        for (value, reason) in [
            ("hunter2".to_string(), "holds no PEM certificate (-----BEGIN CERTIFICATE-----) (PEM certificate and key)"),
            (pki.ca.clone(), "holds no private key (PEM certificate and key)"),
            (pki.expired_client.clone(), "holds a certificate that expired on 2024-12-31"),
        ] {
            let rt = Runtime::compile_with(b.clone(), given(value)).expect("compile");
            let credential = rt.apis.iter().find(|a| a.spec.id == b.apis[0].id).map(|a| &a.backend_credential);
            assert_eq!(
                credential,
                Some(&BackendCredential::Unusable(vec![SecretProblem {
                    variable: "GATEWAY_BACKEND_SECRET_PETS_TLS".into(),
                    reason: reason.into()
                }]))
            );
        }
        // Authorities that cannot be read refuse the bundle: they are in it, not in a secret.
        b.apis[0].endpoints.backend_tls.trusted_ca =
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".into();
        let refused = Runtime::compile_with(b, given(pki.client)).err().unwrap_or_default();
        assert!(
            refused.starts_with("apis[0].endpoints.backend_tls.trusted_ca: certificate 1 cannot be trusted"),
            "{refused}"
        );
    }

    #[test]
    fn kept_answers_outlive_a_change_of_access_not_a_release_or_a_purge() {
        let mut b = bundle();
        b.apis[0].cache_seconds = Some(60);
        let serving = Runtime::compile(b.clone()).expect("compile");
        let cache = |rt: &Runtime| rt.apis.iter().find_map(|api| api.cache.clone()).expect("a cache");
        let next = |change: &dyn Fn(&mut Bundle)| {
            let mut next = b.clone();
            change(&mut next);
            let mut rt = Runtime::compile(next).expect("compile");
            rt.keep_answers_of(&serving);
            Arc::ptr_eq(&cache(&rt), &cache(&serving))
        };
        let revoked = |b: &mut Bundle| {
            b.revocations.push(gatehouse_contract::Revocation { subject: "application:a".into(), revoked_at: 1 });
        };
        assert!(next(&revoked), "a revocation changes no answer");
        assert!(!next(&|b: &mut Bundle| b.version = "1.0.1".into()), "a new release starts empty");
        let purged = |b: &mut Bundle| {
            b.purges.push(gatehouse_contract::KeptAnswersPurge {
                api_id: b.apis[0].id.clone(),
                purged_at: 5,
                path: None,
            });
        };
        assert!(!next(&purged), "a purge empties it");
        let other_purged = |b: &mut Bundle| {
            b.purges.push(gatehouse_contract::KeptAnswersPurge {
                api_id: b.apis[1].id.clone(),
                purged_at: 5,
                path: None,
            });
        };
        assert!(next(&other_purged), "another API's purge is that API's");
    }

    /// A purge of one path drops the answers under it and keeps the rest; a bundle that
    /// brings the same purge again drops nothing more.
    #[test]
    fn a_purge_of_a_path_drops_the_answers_under_it_once() {
        use crate::http1::{Response, request_for_test, response_head_for_test};
        let mut b = bundle();
        b.apis[0].cache_seconds = Some(60);
        let context = b.apis[0].context.clone();
        let mut serving = Runtime::compile(b.clone()).expect("compile");
        let cache_of = |rt: &Runtime| rt.apis.iter().find_map(|api| api.cache.clone()).expect("a cache");
        let cache = cache_of(&serving);
        let head = response_head_for_test(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n");
        let key = |path: &str| {
            let head = format!("GET {context}{path} HTTP/1.1\r\nhost: gw\r\n\r\n");
            let request = request_for_test(head.as_bytes(), "127.0.0.1:1".parse().expect("address"));
            cache.key(&request, false).expect("a key")
        };
        let paths = ["/pets/1", "/pets/1?fields=name", "/pets/1/toys", "/pets/10", "/pets", "/owners/1"];
        for path in paths {
            cache.keep(key(path), &Response::new(200, "application/json", "{}"), &head);
        }
        let kept = |rt: &Runtime| paths.map(|path| cache_of(rt).get(&key(path)).is_some());

        let mut purged = b.clone();
        purged.purges.push(gatehouse_contract::KeptAnswersPurge {
            api_id: b.apis[0].id.clone(),
            purged_at: 5,
            path: Some("/pets/1".into()),
        });
        let mut next = Runtime::compile(purged.clone()).expect("compile");
        next.keep_answers_of(&serving);
        assert!(Arc::ptr_eq(&cache_of(&next), &cache), "the rest is kept");
        assert_eq!(kept(&next), [false, false, false, true, true, true], "that pet's, whatever the query, and below");
        // The same purge in the next bundle (a change of access) is not done again.
        serving = next;
        cache.keep(key("/pets/1"), &Response::new(200, "application/json", "{}"), &head);
        let mut again = Runtime::compile(purged).expect("compile");
        again.keep_answers_of(&serving);
        assert_eq!(kept(&again), [true, false, false, true, true, true]);
    }

    #[test]
    fn a_runtime_notices_a_secret_that_changed_since_it_was_compiled() {
        let mut b = bundle();
        b.apis[0].endpoints.backend_auth = BackendAuth::Header { name: "x-api-key".into(), secret: "PETS".into() };
        b.apis[1].endpoints.backend_auth = BackendAuth::Basic { username: "gw".into(), secret: "STORE".into() };
        let given = |pets: Option<&'static str>| {
            move |variable: &str| match variable {
                "GATEWAY_BACKEND_SECRET_PETS" => pets.map(str::to_string),
                "GATEWAY_BACKEND_SECRET_STORE" => Some("store".to_string()),
                _ => None,
            }
        };
        let rt = Runtime::compile_with(b.clone(), given(None)).expect("compile");
        assert_eq!(rt.missing_secrets(), ["GATEWAY_BACKEND_SECRET_PETS"]);
        assert!(rt.changed_secrets(given(None)).is_empty());
        assert_eq!(rt.changed_secrets(given(Some("one"))), ["GATEWAY_BACKEND_SECRET_PETS"], "it was given");

        let rt = Runtime::compile_with(b, given(Some("one"))).expect("compile");
        assert!(rt.missing_secrets().is_empty());
        assert!(rt.changed_secrets(given(Some("one"))).is_empty());
        assert_eq!(rt.changed_secrets(given(Some("two"))), ["GATEWAY_BACKEND_SECRET_PETS"], "it was rotated");
        assert_eq!(rt.changed_secrets(given(None)), ["GATEWAY_BACKEND_SECRET_PETS"], "it was taken away");
    }

    #[test]
    fn invalid_bundles_are_refused() {
        let mut b = bundle();
        b.apis[1].context = "/pets".into();
        assert!(Runtime::compile(b).is_err_and(|e| e.contains("served twice")));
        let mut b = bundle();
        b.apis[0].endpoints.production = vec!["ftp://x".into()];
        assert!(Runtime::compile(b).is_err_and(|e| e.contains("not an http(s) URL")));
        let mut b = bundle();
        b.keys = vec![serde_json::json!({ "kid": "k", "crv": "Ed25519", "x": "short" })];
        assert!(Runtime::compile(b).is_err_and(|e| e.contains("32-byte")));
        let mut b = bundle();
        b.apis[0].operations[2].scopes = vec!["write:pets".into(), "a\"quote".into()];
        assert!(
            Runtime::compile(b).is_err_and(|e| e == "apis[0].operations[2].scopes: `a\"quote` is not a scope name"),
            "a scope name goes into a header: it must be one"
        );
        let mut b = bundle();
        b.apis[0].endpoints.backend_auth =
            BackendAuth::Basic { username: "gw".into(), secret: "GATEHOUSE_GATEWAY_TOKEN\nX".into() };
        assert!(
            Runtime::compile(b).is_err_and(|e| e.starts_with("apis[0].endpoints.backend_auth.secret:")),
            "a secret's name makes a variable of the prefix's only"
        );
        let client = |token_url: &str, scope: &str| BackendAuth::ClientCredentials {
            token_url: token_url.into(),
            client_id: "gateway".into(),
            scopes: vec![scope.into()],
            authentication: Default::default(),
            key_id: None,
            secret: "PETS".into(),
        };
        for (auth, error) in [
            (
                client("idp.example.com/token", "read"),
                "apis[0].endpoints.backend_auth.token_url: `idp.example.com/token` is not an http(s) URL",
            ),
            (
                client("https://idp.example.com/token", "a b"),
                "apis[0].endpoints.backend_auth.scopes: `a b` is not a scope name",
            ),
        ] {
            let mut b = bundle();
            b.apis[0].endpoints.backend_auth = auth;
            assert!(Runtime::compile(b).is_err_and(|e| e == error), "{error}");
        }
    }
}
