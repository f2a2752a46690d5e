//! APIs as the publisher, the REST API and the CLI see them: identity, lifecycle, endpoints,
//! policies, revisions and the semantic diff between two of them.

use crate::definition::{ApiModel, Diagnostic, SpecVersion};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// WSO2's API lifecycle states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum LifecycleState {
    Created,
    Prototyped,
    Published,
    Blocked,
    Deprecated,
    Retired,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum LifecycleAction {
    Publish,
    Prototype,
    Demote,
    Block,
    Deprecate,
    Retire,
}

impl LifecycleState {
    pub const ALL: [LifecycleState; 6] = [
        LifecycleState::Created,
        LifecycleState::Prototyped,
        LifecycleState::Published,
        LifecycleState::Blocked,
        LifecycleState::Deprecated,
        LifecycleState::Retired,
    ];

    /// The states in which the developer portal lists an API (PROTOTYPED and DEPRECATED marked).
    pub const LISTED: [LifecycleState; 3] =
        [LifecycleState::Published, LifecycleState::Prototyped, LifecycleState::Deprecated];

    /// Whether the developer portal lists an API in this state.
    pub fn is_listed(self) -> bool {
        Self::LISTED.contains(&self)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleState::Created => "CREATED",
            LifecycleState::Prototyped => "PROTOTYPED",
            LifecycleState::Published => "PUBLISHED",
            LifecycleState::Blocked => "BLOCKED",
            LifecycleState::Deprecated => "DEPRECATED",
            LifecycleState::Retired => "RETIRED",
        }
    }

    /// The state `action` leads to from here, if the lifecycle allows it.
    pub fn after(self, action: LifecycleAction) -> Option<LifecycleState> {
        use LifecycleAction as A;
        use LifecycleState as S;
        Some(match (self, action) {
            (S::Created, A::Publish) | (S::Prototyped, A::Publish) | (S::Blocked, A::Publish) => S::Published,
            (S::Created, A::Prototype) => S::Prototyped,
            (S::Prototyped, A::Demote) | (S::Published, A::Demote) => S::Created,
            (S::Published, A::Block) => S::Blocked,
            (S::Published, A::Deprecate) | (S::Blocked, A::Deprecate) => S::Deprecated,
            (S::Deprecated, A::Retire) => S::Retired,
            _ => return None,
        })
    }

    /// The actions available from here.
    pub fn actions(self) -> Vec<LifecycleAction> {
        LifecycleAction::ALL.into_iter().filter(|a| self.after(*a).is_some()).collect()
    }
}

impl LifecycleAction {
    pub const ALL: [LifecycleAction; 6] = [
        LifecycleAction::Publish,
        LifecycleAction::Prototype,
        LifecycleAction::Demote,
        LifecycleAction::Block,
        LifecycleAction::Deprecate,
        LifecycleAction::Retire,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleAction::Publish => "publish",
            LifecycleAction::Prototype => "prototype",
            LifecycleAction::Demote => "demote",
            LifecycleAction::Block => "block",
            LifecycleAction::Deprecate => "deprecate",
            LifecycleAction::Retire => "retire",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LifecycleAction::Publish => "Publish",
            LifecycleAction::Prototype => "Deploy as prototype",
            LifecycleAction::Demote => "Demote to created",
            LifecycleAction::Block => "Block",
            LifecycleAction::Deprecate => "Deprecate",
            LifecycleAction::Retire => "Retire",
        }
    }

    /// Steps that cannot be undone: the UI and the API ask for explicit confirmation.
    pub fn is_irreversible(self) -> bool {
        matches!(self, LifecycleAction::Deprecate | LifecycleAction::Retire)
    }

    /// Creators may move their API between CREATED and PROTOTYPED; the rest is the publisher's.
    pub fn is_creators(self) -> bool {
        matches!(self, LifecycleAction::Prototype | LifecycleAction::Demote)
    }
}

impl fmt::Display for LifecycleState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LifecycleState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LifecycleState::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown state `{s}`"))
    }
}

impl FromStr for LifecycleAction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LifecycleAction::ALL.into_iter().find(|a| a.as_str().eq_ignore_ascii_case(s.trim())).ok_or_else(|| {
            format!("unknown action `{s}`: expected publish, prototype, demote, block, deprecate or retire")
        })
    }
}

/// How a gateway spreads calls over several backend URLs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    #[default]
    LoadBalance,
    Failover,
}

/// Where the gateway sends calls: production and sandbox backends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Endpoints {
    pub production: Vec<String>,
    pub sandbox: Vec<String>,
    pub routing: Routing,
    pub timeout_ms: u32,
    /// Container image of the backend; needed to run the gateway as a sidecar.
    #[serde(default)]
    pub backend_image: String,
    /// How the gateway proves itself to the backend.
    #[serde(default)]
    pub backend_auth: BackendAuth,
    /// Headers the gateway sets on every call to the backend (a tenant, a version the backend
    /// routes by), in place of a caller's of the same name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set_headers: Vec<HeaderLine>,
    /// Callers' headers the backend never gets (the callers' credentials never reach it anyway).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drop_headers: Vec<String>,
    /// Whom the gateway trusts, and what it shows, on TLS to `https://` backends.
    #[serde(default, skip_serializing_if = "BackendTls::is_default")]
    pub backend_tls: BackendTls,
}

impl Endpoints {
    /// The names of the secrets the gateway needs for this API's backend: the credential's and
    /// the client certificate's.
    pub fn secrets(&self) -> impl Iterator<Item = &str> {
        self.backend_auth.secret().into_iter().chain(self.backend_tls.client_certificate.as_deref())
    }
}

/// TLS to an API's backends beyond the public Web PKI: a private certificate authority the
/// backends' certificates come from, and a client certificate for backends that ask for one
/// (mutual TLS). The certificate authority is public and travels in the bundle; the client
/// certificate's private key is a secret, so it is named like a credential's secret and each
/// gateway reads it from its own environment or secrets directory.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackendTls {
    /// PEM certificates of the authorities the backends' certificates must chain to. Empty:
    /// the public Web PKI's roots. Given: these alone, so a certificate a public authority
    /// issued for the same name is not accepted either.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub trusted_ca: String,
    /// The secret (`PETSTORE_TLS`) holding the PEM certificate chain and private key the gateway
    /// presents when a backend asks for a client certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificate: Option<String>,
}

impl BackendTls {
    pub fn is_default(&self) -> bool {
        *self == BackendTls::default()
    }
}

/// An HTTP token (RFC 9110 §5.6.2): what a method or a header's name is made of.
pub fn is_http_token(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A scope-token of RFC 6749 §3.3: printable ASCII but space, `"` and `\`. The server holds
/// the scopes an API defines to it, and a gateway the scopes a bundle names (which it writes
/// into `WWW-Authenticate`).
pub fn is_scope_token(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// One header the gateway sends: `x-tenant: acme`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeaderLine {
    pub name: String,
    pub value: String,
}

impl fmt::Display for HeaderLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.value)
    }
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            production: vec![],
            sandbox: vec![],
            routing: Routing::LoadBalance,
            timeout_ms: 30_000,
            backend_image: String::new(),
            backend_auth: BackendAuth::None,
            set_headers: vec![],
            drop_headers: vec![],
            backend_tls: BackendTls::default(),
        }
    }
}

/// The credential a gateway sends its backend, so the backend need not be open to whoever can
/// reach it. The caller's own credential never reaches the backend. Gatehouse stores only the
/// secret's *name*: each gateway reads the value from its own environment, as
/// `GATEWAY_BACKEND_SECRET_<secret>` (`BackendAuth::variable`), so no backend password sits in
/// the database, the bundle or the GitOps repository.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BackendAuth {
    /// The backend gets no credential from the gateway.
    #[default]
    None,
    /// HTTP Basic: this user name, the secret as the password.
    Basic { username: String, secret: String },
    /// The secret as the value of this header: `X-Api-Key`, or `Authorization` with a secret
    /// that reads `Bearer …`.
    Header { name: String, secret: String },
    /// OAuth2's client-credentials grant (RFC 6749 §4.4): the gateway asks `token_url` for an
    /// access token as `client_id`, proving itself as `authentication` says with the secret,
    /// for `scopes` when there are any, and sends it as `Authorization: Bearer …` until it is
    /// nearly expired or the backend answers 401.
    ClientCredentials {
        token_url: String,
        client_id: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        scopes: Vec<String>,
        #[serde(default, skip_serializing_if = "ClientAuthentication::is_client_secret_basic")]
        authentication: ClientAuthentication,
        /// The `kid` of the key a `private_key_jwt` assertion is signed with, for a provider
        /// that holds several of the client's keys.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key_id: Option<String>,
        secret: String,
    },
}

/// How a gateway proves itself to an identity provider's token endpoint, by the names
/// RFC 8414 gives them (`token_endpoint_auth_method`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClientAuthentication {
    /// The secret is the client secret, sent by HTTP Basic (RFC 6749 §2.3.1).
    #[default]
    ClientSecretBasic,
    /// The secret is the client secret, sent in the request's form beside the client id
    /// (RFC 6749 §2.3.1), for a provider that takes no HTTP Basic.
    ClientSecretPost,
    /// The secret is a private key (PEM: RSA of 2048 bits or more, P-256 or Ed25519), which
    /// signs a JWT good for one minute that the gateway sends as its `client_assertion`
    /// (RFC 7523 §2.2); the provider holds the public key, and nothing it could replay
    /// crosses the network.
    PrivateKeyJwt,
    /// The secret is the client secret, which signs (HMAC, HS256) a JWT good for one minute
    /// that the gateway sends as its `client_assertion` (RFC 7523 §2.2, OpenID Connect Core
    /// §9): the provider holds the secret too, but the secret itself does not cross the
    /// network.
    ClientSecretJwt,
}

impl ClientAuthentication {
    pub const ALL: [ClientAuthentication; 4] = [
        ClientAuthentication::ClientSecretBasic,
        ClientAuthentication::ClientSecretPost,
        ClientAuthentication::PrivateKeyJwt,
        ClientAuthentication::ClientSecretJwt,
    ];

    pub fn is_client_secret_basic(&self) -> bool {
        *self == ClientAuthentication::ClientSecretBasic
    }

    /// Whether the gateway proves itself with an assertion it signs with the secret (which
    /// then does not cross the network itself).
    pub fn signs_assertions(&self) -> bool {
        matches!(self, ClientAuthentication::PrivateKeyJwt | ClientAuthentication::ClientSecretJwt)
    }

    /// The method's name on the wire: `client_secret_post`.
    pub fn name(&self) -> &'static str {
        match self {
            ClientAuthentication::ClientSecretBasic => "client_secret_basic",
            ClientAuthentication::ClientSecretPost => "client_secret_post",
            ClientAuthentication::PrivateKeyJwt => "private_key_jwt",
            ClientAuthentication::ClientSecretJwt => "client_secret_jwt",
        }
    }

    /// The method named `name`.
    pub fn from_name(name: &str) -> Option<ClientAuthentication> {
        Self::ALL.into_iter().find(|method| method.name() == name)
    }
}

impl BackendAuth {
    /// What a secret's name is prefixed with in a gateway's environment: a bundle can name
    /// only these variables, never the gateway's own credential or anything else it was given.
    pub const VARIABLE_PREFIX: &'static str = "GATEWAY_BACKEND_SECRET_";

    /// The secret's name (`PETSTORE`), when there is one.
    pub fn secret(&self) -> Option<&str> {
        match self {
            BackendAuth::None => None,
            BackendAuth::Basic { secret, .. }
            | BackendAuth::Header { secret, .. }
            | BackendAuth::ClientCredentials { secret, .. } => Some(secret),
        }
    }

    /// Whether `name` is a secret's name: capitals, digits and `_`, 1 to 64 of them (a
    /// variable's name and a Kubernetes Secret's key alike).
    pub fn is_secret_name(name: &str) -> bool {
        (1..=64).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    }

    /// The environment variable a gateway reads the secret from: `GATEWAY_BACKEND_SECRET_PETSTORE`.
    pub fn variable(&self) -> Option<String> {
        self.secret().map(Self::variable_of)
    }

    /// The environment variable a gateway reads the secret `secret` from.
    pub fn variable_of(secret: &str) -> String {
        format!("{}{secret}", Self::VARIABLE_PREFIX)
    }
}

impl fmt::Display for BackendAuth {
    /// As a reviewer reads it: `header X-Api-Key from secret PETSTORE`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackendAuth::None => f.write_str("none"),
            BackendAuth::Basic { username, secret } => write!(f, "basic as {username} from secret {secret}"),
            BackendAuth::Header { name, secret } => write!(f, "header {name} from secret {secret}"),
            BackendAuth::ClientCredentials { token_url, client_id, scopes, authentication, key_id, secret } => {
                write!(f, "OAuth2 token from {token_url} as {client_id}")?;
                if !scopes.is_empty() {
                    write!(f, " for {}", scopes.join(" "))?;
                }
                match (authentication, key_id) {
                    (ClientAuthentication::ClientSecretBasic, _) => write!(f, " with secret {secret}"),
                    (ClientAuthentication::ClientSecretPost, _) => {
                        write!(f, " with secret {secret} in the request's form")
                    }
                    (ClientAuthentication::PrivateKeyJwt, None) => {
                        write!(f, " signing with the private key in secret {secret}")
                    }
                    (ClientAuthentication::PrivateKeyJwt, Some(key_id)) => {
                        write!(f, " signing with the private key {key_id} in secret {secret}")
                    }
                    (ClientAuthentication::ClientSecretJwt, _) => {
                        write!(f, " signing with the client secret in secret {secret}")
                    }
                }
            }
        }
    }
}

/// A credential kind a gateway accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    /// OAuth2 access token (a signed JWT from the key manager).
    Oauth2,
    ApiKey,
}

/// Security for one operation, overriding the API's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperationSecurity {
    /// `GET /pets/{id}`
    pub operation: String,
    /// Empty: the operation is open (no credential).
    pub security: Vec<AuthKind>,
}

/// The OAuth2 scopes an operation requires of an access token, all of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperationScopes {
    /// `POST /pets`
    pub operation: String,
    /// Names of scopes the API defines.
    pub scopes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Policies {
    /// Credentials accepted by default; empty means the API is open.
    pub security: Vec<AuthKind>,
    #[serde(default)]
    pub operation_security: Vec<OperationSecurity>,
    /// The OAuth2 scopes this API defines: what an application subscribed to it may ask for in
    /// its access tokens.
    #[serde(default)]
    pub scopes: Vec<crate::Scope>,
    /// Operations that need scopes; an operation not listed needs none. API keys carry no
    /// scopes: they are checked for OAuth2 tokens only.
    #[serde(default)]
    pub operation_scopes: Vec<OperationScopes>,
    /// Names of the subscription tiers offered.
    pub tiers: Vec<String>,
    /// Cross-origin calls from browser applications; off unless the API's creator turns it on.
    #[serde(default)]
    pub cors: Cors,
    /// Whether the gateways check each call against the definition (parameters, body's media
    /// type and JSON schema) and answer a call that does not fit 400 or 415 themselves, before
    /// it reaches the backend. Off unless the API's creator turns it on: a definition written
    /// after its backend may be stricter than the backend is.
    #[serde(default)]
    pub validate_requests: bool,
    /// Which addresses may call the API; any, unless the creator lists some.
    #[serde(default, skip_serializing_if = "IpFilter::is_open")]
    pub ip_filter: IpFilter,
    /// How long the gateways keep a GET's answer and serve it again without calling the
    /// backend, in seconds (at most a day); 0, the default, keeps none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cache_seconds: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Which callers' addresses the gateways take the API's calls from, checked before anything
/// else: a caller in `deny` is refused 403, and so is one outside `allow` when it lists any.
/// Addresses and ranges as [`crate::net::IpRange`] reads them (`192.0.2.0/24`, `2001:db8::1`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IpFilter {
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub deny: Vec<String>,
}

impl IpFilter {
    /// Whether every address may call.
    pub fn is_open(&self) -> bool {
        self.allow.is_empty() && self.deny.is_empty()
    }
}

impl fmt::Display for IpFilter {
    /// As a reviewer reads it: `only from 10.0.0.0/8; never from 10.6.6.6`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.allow.is_empty(), self.deny.is_empty()) {
            (true, true) => f.write_str("from any address"),
            (false, true) => write!(f, "only from {}", self.allow.join(", ")),
            (true, false) => write!(f, "never from {}", self.deny.join(", ")),
            (false, false) => write!(f, "only from {}; never from {}", self.allow.join(", "), self.deny.join(", ")),
        }
    }
}

/// Which web pages' scripts may call the API (CORS): the gateway answers their browsers'
/// preflight requests itself and marks its answers to allowed origins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cors {
    pub enabled: bool,
    /// `https://shop.example.com` (scheme, host, port), or `*` for any origin.
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    /// Request headers a page's script may send (the credentials' among them).
    pub allow_headers: Vec<String>,
    /// Whether the browser sends the page's cookies along; needs named origins, not `*`.
    pub allow_credentials: bool,
}

impl Default for Cors {
    fn default() -> Self {
        Cors {
            enabled: false,
            allow_origins: vec![],
            allow_methods: ["GET", "POST", "PUT", "PATCH", "DELETE"].map(String::from).to_vec(),
            allow_headers: ["authorization", "apikey", "content-type", "x-correlation-id"].map(String::from).to_vec(),
            allow_credentials: false,
        }
    }
}

impl Policies {
    /// The credentials an operation (`GET /pets/{id}`) accepts: its override or the API's.
    pub fn security_of(&self, operation: &str) -> &[AuthKind] {
        self.operation_security
            .iter()
            .find(|o| o.operation == operation)
            .map(|o| o.security.as_slice())
            .unwrap_or(&self.security)
    }

    /// The scopes an operation (`POST /pets`) requires of an access token.
    pub fn scopes_of(&self, operation: &str) -> &[String] {
        self.operation_scopes.iter().find(|o| o.operation == operation).map_or(&[], |o| o.scopes.as_slice())
    }

    /// The tiers whose subscriptions' tokens may call an operation: those that every scope it
    /// requires and binds to tiers allows, in the order the first such scope lists them.
    /// `None` when no scope it requires is bound to tiers (any tier may).
    pub fn tiers_of(&self, operation: &str) -> Option<Vec<String>> {
        let mut bound = self
            .scopes_of(operation)
            .iter()
            .filter_map(|name| self.scopes.iter().find(|s| &s.name == name))
            .filter(|s| !s.tiers.is_empty());
        let mut tiers = bound.next()?.tiers.clone();
        for scope in bound {
            tiers.retain(|t| scope.tiers.contains(t));
        }
        Some(tiers)
    }
}

impl Default for Policies {
    /// OAuth2 and API keys; the tiers offered are filled in from the tiers that exist.
    fn default() -> Self {
        Policies {
            security: vec![AuthKind::Oauth2, AuthKind::ApiKey],
            operation_security: vec![],
            scopes: vec![],
            operation_scopes: vec![],
            tiers: vec![],
            cors: Cors::default(),
            validate_requests: false,
            ip_filter: IpFilter::default(),
            cache_seconds: 0,
        }
    }
}

/// Who may see an API in the portal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    #[default]
    Public,
    /// Only signed-in users.
    SignedIn,
}

/// One line of the publisher list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiSummary {
    pub id: String,
    pub name: String,
    pub version: String,
    pub context: String,
    pub description: String,
    pub tags: Vec<String>,
    pub state: LifecycleState,
    pub owner: String,
    pub spec_version: SpecVersion,
    pub operations: i64,
    pub updated_at: i64,
    /// The gateway group the API is assigned to.
    #[serde(default)]
    pub group: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionRef {
    pub id: String,
    pub version: String,
    pub state: LifecycleState,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevisionSummary {
    pub number: i64,
    pub created_at: i64,
    pub created_by: String,
    pub note: String,
    /// The working copy's `edit_version` the revision froze (unknown for revisions cut before
    /// Gatehouse recorded it).
    #[serde(default)]
    pub edit_version: Option<i64>,
}

/// Everything about one API's working copy but the definition's text, which is [`ApiSource`]:
/// a large definition is megabytes (DigitalOcean's 3 MB) that every view of the API would
/// otherwise carry, when only the source view needs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiDetail {
    #[serde(flatten)]
    pub summary: ApiSummary,
    pub visibility: Visibility,
    pub model: ApiModel,
    /// The definition's description as safe HTML (from its Markdown), as the portal shows it.
    #[serde(default)]
    pub description_html: String,
    pub warnings: Vec<Diagnostic>,
    /// The design review of the working copy (see [`DesignFinding`]).
    #[serde(default)]
    pub design: Vec<DesignFinding>,
    pub endpoints: Endpoints,
    /// The authorities of `endpoints.backend_tls.trusted_ca`, each as people check it: common
    /// name, last valid day and SHA-256 fingerprint.
    #[serde(default)]
    pub trusted_authorities: Vec<String>,
    pub policies: Policies,
    /// Incremented on every save; send it back to save, so concurrent edits are detected.
    pub edit_version: i64,
    pub versions: Vec<VersionRef>,
    pub revisions: Vec<RevisionSummary>,
    /// The revision live in the API's gateway group; None before its first release there.
    #[serde(default)]
    pub live_revision: Option<i64>,
    /// Whether the caller may edit this API.
    pub editable: bool,
    /// Every tier there is, so the settings form can offer them.
    #[serde(default)]
    pub available_tiers: Vec<crate::Tier>,
}

impl ApiDetail {
    /// The newest revision, when the working copy has been edited since it was cut: those
    /// edits reach review only in a new revision. None when it is up to date, when there is
    /// no revision yet, or when the revision predates Gatehouse recording its edit.
    pub fn edited_since(&self) -> Option<i64> {
        let newest = self.revisions.first()?;
        (newest.edit_version? < self.edit_version).then_some(newest.number)
    }
}

/// An API's definition as written (YAML or JSON), the source of truth, with the edit it is:
/// change it and send it back with that `edit_version`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiSource {
    pub source: String,
    pub source_format: SourceFormat,
    pub edit_version: i64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    #[default]
    Yaml,
    Json,
}

/// The answer to an import: the API and what deserves a look.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportOutcome {
    pub id: String,
    pub name: String,
    pub version: String,
    pub context: String,
    /// `true` when an API of this name and version existed and got a new working copy.
    pub updated: bool,
    pub warnings: Vec<Diagnostic>,
}

/// A finding of the design review: something in an API's design that consumers or its
/// reviewers would want changed, though the definition is valid and can be served.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DesignFinding {
    /// The rule's name, e.g. `open-write` (see the README's list).
    pub rule: String,
    pub level: FindingLevel,
    /// The operation it concerns (`POST /orders`), or none for the API as a whole.
    pub operation: Option<String>,
    pub message: String,
}

/// How much a design finding matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum FindingLevel {
    /// Likely a mistake: callers are exposed or cannot use the API as meant.
    Warning,
    /// Makes the API harder to understand or to use well.
    Advice,
}

impl FindingLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingLevel::Warning => "warning",
            FindingLevel::Advice => "advice",
        }
    }
}

/// What changed between two snapshots of an API, in the domain's words.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiDiff {
    pub operations_added: Vec<String>,
    pub operations_removed: Vec<String>,
    pub operations_changed: Vec<OperationChange>,
    pub schemas_added: Vec<String>,
    pub schemas_removed: Vec<String>,
    pub schemas_changed: Vec<String>,
    pub security: Vec<String>,
    pub endpoints: Vec<String>,
    pub tiers: Vec<String>,
    pub other: Vec<String>,
    /// Documentation pages added, rewritten or removed.
    #[serde(default)]
    pub docs: Vec<String>,
}

impl ApiDiff {
    pub fn is_empty(&self) -> bool {
        self == &ApiDiff::default()
    }

    /// Nothing a client relies on was removed or changed (only additions): a minor release.
    pub fn is_additive(&self) -> bool {
        self.operations_removed.is_empty()
            && self.operations_changed.is_empty()
            && self.schemas_removed.is_empty()
            && self.schemas_changed.is_empty()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperationChange {
    pub operation: String,
    pub changes: Vec<String>,
}

/// A documentation page of an API, in Markdown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocPage {
    pub slug: String,
    pub title: String,
    pub markdown: String,
    /// Rendered and sanitized HTML, safe to insert.
    pub html: String,
    pub updated_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client secret by HTTP Basic is what a bundle without the field meant before, and is
    /// still written without it; the reviewer reads which one a release uses.
    #[test]
    fn client_credentials_say_how_the_gateway_proves_itself() {
        let before = r#"{"kind":"client_credentials","token_url":"https://idp/token","client_id":"gw","secret":"IDP"}"#;
        let basic: BackendAuth = serde_json::from_str(before).expect("parsed");
        assert!(matches!(
            &basic,
            BackendAuth::ClientCredentials {
                authentication: ClientAuthentication::ClientSecretBasic,
                key_id: None,
                ..
            }
        ));
        assert_eq!(serde_json::to_string(&basic).expect("json"), before);
        assert_eq!(basic.to_string(), "OAuth2 token from https://idp/token as gw with secret IDP");
        let signed = r#"{"kind":"client_credentials","token_url":"https://idp/token","client_id":"gw","authentication":"private_key_jwt","key_id":"gw-1","secret":"IDP_KEY"}"#;
        let signed: BackendAuth = serde_json::from_str(signed).expect("parsed");
        assert_eq!(
            signed.to_string(),
            "OAuth2 token from https://idp/token as gw signing with the private key gw-1 in secret IDP_KEY"
        );
        let posted = r#"{"kind":"client_credentials","token_url":"https://idp/token","client_id":"gw","authentication":"client_secret_post","secret":"IDP"}"#;
        let posted: BackendAuth = serde_json::from_str(posted).expect("parsed");
        assert_eq!(
            posted.to_string(),
            "OAuth2 token from https://idp/token as gw with secret IDP in the request's form"
        );
        let hmac = r#"{"kind":"client_credentials","token_url":"https://idp/token","client_id":"gw","authentication":"client_secret_jwt","secret":"IDP"}"#;
        let hmac: BackendAuth = serde_json::from_str(hmac).expect("parsed");
        assert_eq!(
            hmac.to_string(),
            "OAuth2 token from https://idp/token as gw signing with the client secret in secret IDP"
        );
        for method in ClientAuthentication::ALL {
            assert_eq!(serde_json::to_value(method).expect("json"), method.name(), "the wire name is serde's");
            assert_eq!(ClientAuthentication::from_name(method.name()), Some(method));
        }
        assert_eq!(ClientAuthentication::from_name("tls_client_auth"), None);
        let unknown = r#"{"kind":"client_credentials","token_url":"u","client_id":"gw","authentication":"tls_client_auth","secret":"S"}"#;
        let refused = serde_json::from_str::<BackendAuth>(unknown).expect_err("refused").to_string();
        assert!(refused.contains("unknown variant `tls_client_auth`"), "{refused}");
    }

    #[test]
    fn lifecycle_follows_wso2() {
        use LifecycleAction as A;
        use LifecycleState as S;
        assert_eq!(S::Created.after(A::Publish), Some(S::Published));
        assert_eq!(S::Created.after(A::Prototype), Some(S::Prototyped));
        assert_eq!(S::Prototyped.after(A::Demote), Some(S::Created));
        assert_eq!(S::Published.after(A::Block), Some(S::Blocked));
        assert_eq!(S::Blocked.after(A::Publish), Some(S::Published));
        assert_eq!(S::Blocked.after(A::Deprecate), Some(S::Deprecated));
        assert_eq!(S::Deprecated.after(A::Retire), Some(S::Retired));
        assert_eq!(S::Created.after(A::Retire), None);
        assert_eq!(S::Deprecated.after(A::Publish), None);
        assert!(S::Retired.actions().is_empty(), "RETIRED is final");
    }

    #[test]
    fn a_new_version_keeps_the_shape_of_the_context() {
        let cases = [
            // The version as the last segment is replaced.
            (("/pet-store/1.0.0", "1.0.0", "2.0.0"), "/pet-store/2.0.0"),
            // A major-version segment moves with the major version.
            (("/pizzashack/v1", "1.0.0", "2.0.0"), "/pizzashack/v2"),
            (("/shop/V3/orders/v3", "3.2.0", "4.0.0"), "/shop/V3/orders/v4"),
            // The same major would clash with the older version: the whole version instead.
            (("/pizzashack/v1", "1.0.0", "1.1.0"), "/pizzashack/1.1.0"),
            (("/pizzashack/v1", "1.0.0", "beta"), "/pizzashack/beta"),
            // No version part: one is added.
            (("/pizzashack", "1.0.0", "2.0.0"), "/pizzashack/2.0.0"),
            (("/orders/", "1.0.0", "2.0.0"), "/orders/2.0.0"),
            (("/orders/view", "1.0.0", "2.0.0"), "/orders/view/2.0.0"),
            (("/vault", "1.0.0", "2.0.0"), "/vault/2.0.0"),
            // A version that is no segment on its own is made one, as for a new API.
            (("/pet-store/2024-q1", "2024 Q1", "2024 Q2"), "/pet-store/2024-q2"),
        ];
        for ((context, old, new), expected) in cases {
            assert_eq!(next_context(context, old, new), expected, "{context} from {old} to {new}");
        }
        assert_eq!(default_context("Pet Store", "1.0.0"), "/pet-store/1.0.0");
    }
}

/// One parameter row of the operation form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParameterForm {
    pub name: String,
    /// path, query, header or cookie.
    pub location: String,
    pub required: bool,
    pub description: String,
    /// JSON Schema type: string, integer, number, boolean, array.
    pub schema_type: String,
}

/// A request body or response in the operation form; schema and example are JSON text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BodyForm {
    /// For responses: the status (`200`, `4XX`, `default`).
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub description: String,
    pub content_type: String,
    pub schema: String,
    #[serde(default)]
    pub example: String,
}

/// The form view of one operation (OpenAPI 3 definitions).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperationForm {
    /// Identifies the operation: method and path as they are now.
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub deprecated: bool,
    pub tags: Vec<String>,
    pub parameters: Vec<ParameterForm>,
    pub request_body: Option<BodyForm>,
    pub responses: Vec<BodyForm>,
}

/// A change made in the form view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
// An edit travels once per submit of the form; boxing the form would only make it harder to
// build and match on.
#[allow(clippy::large_enum_variant)]
pub enum OperationEdit {
    Add { method: String, path: String, summary: String },
    Remove { method: String, path: String },
    Update { form: OperationForm },
}

/// Everything that deploys, frozen: what a revision stores and what the diff compares.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Snapshot {
    pub name: String,
    pub version: String,
    pub context: String,
    pub spec_version: SpecVersion,
    pub source: String,
    pub source_format: SourceFormat,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub document: serde_json::Value,
    pub model: ApiModel,
    pub endpoints: Endpoints,
    pub policies: Policies,
    /// The documentation pages, in their order. Absent from revisions cut before pages were
    /// part of revisions: for those, the working copy's pages are shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs: Option<Vec<DocSource>>,
}

/// A documentation page as a revision freezes it: the Markdown, rendered when shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocSource {
    pub slug: String,
    pub title: String,
    pub markdown: String,
    #[serde(default)]
    pub updated_at: i64,
}

/// The fields of an API that are not in its definition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiSettings {
    pub context: String,
    pub description: String,
    pub tags: Vec<String>,
    pub visibility: Visibility,
    pub endpoints: Endpoints,
    pub policies: Policies,
}

/// One lifecycle step, as the UI, REST and the CLI ask for it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LifecycleRequest {
    /// publish, prototype, demote, block, deprecate or retire.
    pub action: String,
    #[serde(default)]
    pub comment: String,
    /// Required for steps that cannot be undone (deprecate, retire).
    #[serde(default)]
    pub confirm: bool,
    /// On publish: deprecate the other published versions of this API.
    #[serde(default)]
    pub deprecate_older_versions: bool,
    /// On publish: existing subscriptions must subscribe again.
    #[serde(default)]
    pub require_resubscription: bool,
}

/// Filters of the publisher list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
pub struct ApiQuery {
    /// Words that must all appear in the name, description, tags, operation paths or summaries;
    /// the APIs whose name holds the most of them come first, then the newest.
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub state: Option<LifecycleState>,
    #[serde(default)]
    pub tag: Option<String>,
    /// Owner's email.
    #[serde(default)]
    pub owner: Option<String>,
    /// Gateway group name.
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub offset: Option<i64>,
}

/// Where an API can be called, per environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PortalEndpoint {
    pub environment: String,
    pub url: String,
}

/// One API as the developer portal shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PortalApi {
    pub summary: ApiSummary,
    pub tags: Vec<String>,
    pub model: ApiModel,
    pub docs: Vec<DocPage>,
    /// Other listed versions of the same API.
    pub versions: Vec<VersionRef>,
    pub endpoints: Vec<PortalEndpoint>,
    /// The tiers consumers may subscribe with.
    #[serde(default)]
    pub tiers: Vec<crate::Tier>,
    /// The credentials the gateway asks for, per API and per operation.
    #[serde(default)]
    pub policies: Policies,
    /// `components.schemas` of the bundled definition, so the reference can resolve `$ref`s.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub schemas: serde_json::Value,
    /// The API's description (CommonMark, as OpenAPI has it) rendered to HTML that is safe to
    /// insert: raw HTML shown as text, only http(s), mailto and relative links.
    #[serde(default)]
    pub description_html: String,
    /// Each operation's description rendered the same way, by `METHOD /path`; operations with
    /// no description are left out.
    #[serde(default)]
    pub operation_descriptions_html: std::collections::BTreeMap<String, String>,
    /// Gatehouse's own management API: the server answers it, with personal access tokens, so
    /// it has no gateway, no tiers and takes no subscriptions.
    #[serde(default)]
    pub served_by_server: bool,
}

impl PortalApi {
    /// A reference of up to this many operations is sent and rendered whole; a larger one is
    /// sent as an outline and each operation is loaded when it is first opened (DigitalOcean's
    /// 659 operations and 1 MB of schemas made a 3 MB page, most of it the hydration data).
    pub const WHOLE_UP_TO: usize = 100;

    /// What the portal's page starts from: the API whole when its reference is small, else with
    /// each operation reduced to its line in the reference (method, path, summary, tags,
    /// deprecation, its answers' statuses) and without the schemas and operation descriptions, which
    /// [`PortalOperation`] brings for one operation.
    pub fn outline(mut self) -> PortalApi {
        if self.model.operations.len() <= Self::WHOLE_UP_TO {
            return self;
        }
        for op in &mut self.model.operations {
            *op = crate::Operation {
                method: std::mem::take(&mut op.method),
                path: std::mem::take(&mut op.path),
                operation_id: std::mem::take(&mut op.operation_id),
                summary: std::mem::take(&mut op.summary),
                tags: std::mem::take(&mut op.tags),
                deprecated: op.deprecated,
                // Their statuses only: a `101` says the operation is a WebSocket.
                responses: op
                    .responses
                    .iter()
                    .map(|r| crate::Response { status: r.status.clone(), ..Default::default() })
                    .collect(),
                ..Default::default()
            };
        }
        self.model.webhooks.clear();
        self.schemas = serde_json::Value::Null;
        self.operation_descriptions_html.clear();
        self
    }
}

/// One operation of a listed API with what its reference shows: loaded when first opened on the
/// page of an API too large to send whole (see [`PortalApi::outline`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PortalOperation {
    pub operation: crate::Operation,
    /// Its description rendered as in [`PortalApi::operation_descriptions_html`].
    pub description_html: String,
    /// The definition's named schemas that the operation reaches through `$ref`s, directly or
    /// through one another, by name.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub schemas: serde_json::Value,
}

/// A consumer's application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Application {
    pub id: String,
    pub name: String,
    pub description: String,
    pub created_at: i64,
    pub credentials: Vec<CredentialSummary>,
    #[serde(default)]
    pub subscriptions: Vec<crate::Subscription>,
    /// Where Gatehouse tells the application's owner what happens to its subscriptions.
    #[serde(default)]
    pub webhook: Option<ApplicationWebhook>,
}

/// An application's webhook: a URL its owner's software listens on, told — signed like the
/// admins' webhooks — when an API it subscribes to is deprecated, retired, blocked or
/// published again, when a newer version of it is published, and when a publisher decides on,
/// suspends or resumes one of its subscriptions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationWebhook {
    pub id: String,
    pub url: String,
    pub created_at: i64,
    /// The latest deliveries, newest first.
    pub deliveries: Vec<crate::WebhookDelivery>,
}

/// What an application's webhook is told about, named in `X-Gatehouse-Event` and the
/// payload's `event`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ApplicationEvent {
    /// An API it subscribes to was deprecated, retired, blocked or published again.
    #[serde(rename = "api.lifecycle")]
    ApiLifecycle,
    /// A newer version of an API it subscribes to was published.
    #[serde(rename = "api.new_version")]
    ApiNewVersion,
    /// A publisher approved or turned down one of its subscriptions (or a tier change), or
    /// suspended or resumed one.
    #[serde(rename = "subscription.changed")]
    SubscriptionChanged,
    /// A test delivery its owner asked for.
    #[serde(rename = "ping")]
    Ping,
}

impl ApplicationEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationEvent::ApiLifecycle => "api.lifecycle",
            ApplicationEvent::ApiNewVersion => "api.new_version",
            ApplicationEvent::SubscriptionChanged => "subscription.changed",
            ApplicationEvent::Ping => "ping",
        }
    }
}

/// Where an application's webhook goes (`PUT /api/v1/applications/{id}/webhook`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationWebhookRequest {
    /// An http(s) URL.
    pub url: String,
}

/// A credential as listed: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct CredentialSummary {
    pub id: String,
    /// oauth2 or api_key.
    pub kind: String,
    /// production or sandbox.
    pub key_type: String,
    pub client_id: Option<String>,
    pub prefix: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// Until when (Unix ms) an OAuth2 client's previous secret still works, after it was
    /// regenerated with an overlap.
    #[serde(default)]
    pub previous_secret_until: Option<i64>,
}

/// OAuth2 client credentials, the only time the secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewClientSecret {
    pub client_id: String,
    pub client_secret: String,
    pub key_type: String,
    /// Until when (Unix ms) the secret this one replaces still works; absent, it stopped now.
    #[serde(default)]
    pub previous_secret_until: Option<i64>,
}

/// The longest a regenerated client secret's predecessor keeps working: a week, time enough
/// to roll the new one out; longer would make regenerating no answer to a leaked secret.
pub const MAX_PREVIOUS_SECRET_SECONDS: u32 = 7 * 24 * 60 * 60;

/// A new API key, the only time it is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewApiKey {
    pub id: String,
    pub key: String,
    pub key_type: String,
    pub expires_at: Option<i64>,
}

/// One request from the API reference's try-it console.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TryRequest {
    pub api_id: String,
    /// The application whose credential is sent; none for open operations.
    #[serde(default)]
    pub application_id: Option<String>,
    /// production (default) or sandbox.
    #[serde(default)]
    pub key_type: String,
    pub method: String,
    /// The path within the API with its parameters filled in, e.g. `/pets/7`.
    pub path: String,
    /// An API key, sent in the `apikey` header instead of the application's token (for
    /// operations that take API keys only); the gateway checks it as any call's.
    #[serde(default)]
    pub api_key: String,
    /// The OAuth2 scopes the application's token asks for, separated by spaces; empty: every
    /// scope the application may have (as at the token endpoint).
    #[serde(default)]
    pub scope: String,
    /// The query string, without `?`.
    #[serde(default)]
    pub query: String,
    /// Header parameters: name and value. The credential and the message's framing are the
    /// console's to set, not these.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    #[serde(default)]
    pub body: String,
    /// A body that is not text (a multipart form with a file picked from disk), as standard
    /// base64; sent instead of `body` when given.
    #[serde(default)]
    pub body_base64: String,
    #[serde(default)]
    pub content_type: String,
}

/// What the gateway answered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TryResponse {
    pub url: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Why `body` is not the whole answer, when it is not: a large one is cut, and a stream
    /// (server-sent events, say) is shown as far as it arrived within a few seconds.
    #[serde(default)]
    pub cut: Option<String>,
    /// Round trip through the gateway, in milliseconds.
    pub ms: f64,
}

/// A name or version as a context segment: lower case, runs of other characters as one `-`.
fn context_segment(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// `/pet-store/1.0.0` from a name and a version.
pub fn default_context(name: &str, version: &str) -> String {
    let name = context_segment(name);
    let version = context_segment(version);
    format!("/{}/{}", if name.is_empty() { "api" } else { &name }, if version.is_empty() { "v1" } else { &version })
}

/// The context a new version gets when none is given: the old version's, with its version part
/// changed, so the URLs its consumers know keep their shape — `/pizzashack/v1` becomes
/// `/pizzashack/v2` for 2.0.0 and `/pet-store/1.0.0` becomes `/pet-store/2.0.0`. When the major
/// version stays (`/pizzashack/v1` for 1.1.0) the segment becomes the whole version, as the
/// older one may still be live at `/pizzashack/v1`; a context without a version part gets one.
pub fn next_context(context: &str, old_version: &str, new_version: &str) -> String {
    let version = match context_segment(new_version) {
        v if v.is_empty() => "v1".to_string(),
        v => v,
    };
    let major = |v: &str| -> Option<u64> {
        let digits: String = v.trim_start_matches(['v', 'V']).chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    let context = context.trim_end_matches('/');
    match context.rsplit_once('/') {
        Some((base, last)) if !base.is_empty() && last == context_segment(old_version) => format!("{base}/{version}"),
        Some((base, last))
            if !base.is_empty()
                && last.len() > 1
                && last.starts_with(['v', 'V'])
                && last[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            match major(new_version) {
                Some(new_major) if Some(new_major) != major(last) => format!("{base}/v{new_major}"),
                _ => format!("{base}/{version}"),
            }
        }
        _ => format!("{context}/{version}"),
    }
}
