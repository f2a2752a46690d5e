//! Context, description, tags, visibility, endpoints (production, sandbox, load-balance or
//! failover, timeout, backend image, the credential the gateway sends the backend) and policies
//! (security, OAuth2 scopes, per-operation security and scopes, tiers, calls from web pages).

use super::Reload;
use crate::functions::apis::{PurgeKeptAnswers, SaveSettings, TransferOwnership};
use gatehouse_contract::{
    ApiDetail, ApiSettings, AuthKind, BackendAuth, BackendTls, ClientAuthentication, Cors, Endpoints, HeaderLine,
    IpFilter, OperationScopes, OperationSecurity, Policies, Routing, Scope, Visibility,
};
use leptos::prelude::*;

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
}

/// A comma-separated list.
fn items(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|v| !v.is_empty()).map(String::from).collect()
}

/// Scopes as the form shows them: one per line, the name and then what it allows.
fn scopes_text(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| if s.description.is_empty() { s.name.clone() } else { format!("{} {}", s.name, s.description) })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The scopes typed into the form (the server checks the names), with the tiers ticked for
/// each in `bound` (scope name → tiers).
fn scopes_of_text(text: &str, bound: &[(String, Vec<String>)]) -> Vec<Scope> {
    lines(text)
        .into_iter()
        .map(|line| {
            let (name, description) = match line.split_once(char::is_whitespace) {
                Some((name, description)) => (name.to_string(), description.trim().to_string()),
                None => (line, String::new()),
            };
            let tiers = bound.iter().find(|(n, _)| *n == name).map(|(_, t)| t.clone()).unwrap_or_default();
            Scope { name, description, tiers }
        })
        .collect()
}

/// Scope names separated by spaces or commas, as an operation's field takes them.
fn scope_names(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == ',').filter(|s| !s.is_empty()).map(String::from).collect()
}

/// `Name: value` lines as headers; a line without a colon is a header with no value, which the
/// server checks like any other.
fn header_lines(text: &str) -> Vec<HeaderLine> {
    lines(text)
        .into_iter()
        .map(|line| match line.split_once(':') {
            Some((name, value)) => HeaderLine { name: name.trim().to_string(), value: value.trim().to_string() },
            None => HeaderLine { name: line, value: String::new() },
        })
        .collect()
}

/// The backend credential as the form holds it, field by field: its kind (`none`, `basic`,
/// `header`, `client_credentials`), the user name, header or client id, the secret's name, and
/// for OAuth2 the token URL, the scopes (space-separated), how the gateway proves itself (a
/// client secret, or a private key that signs assertions), and that key's id.
struct AuthForm {
    kind: &'static str,
    who: String,
    secret: String,
    token_url: String,
    scopes: String,
    method: ClientAuthentication,
    key_id: String,
}

fn backend_auth_form(auth: &BackendAuth) -> AuthForm {
    let form = |kind, who: &String, secret: &String| AuthForm {
        kind,
        who: who.clone(),
        secret: secret.clone(),
        token_url: String::new(),
        scopes: String::new(),
        method: ClientAuthentication::default(),
        key_id: String::new(),
    };
    match auth {
        BackendAuth::None => form("none", &String::new(), &String::new()),
        BackendAuth::Basic { username, secret } => form("basic", username, secret),
        BackendAuth::Header { name, secret } => form("header", name, secret),
        BackendAuth::ClientCredentials { token_url, client_id, scopes, authentication, key_id, secret } => AuthForm {
            token_url: token_url.clone(),
            scopes: scopes.join(" "),
            method: *authentication,
            key_id: key_id.clone().unwrap_or_default(),
            ..form("client_credentials", client_id, secret)
        },
    }
}

/// The form's backend credential, as the server checks it.
fn backend_auth_of(form: AuthForm) -> BackendAuth {
    let AuthForm { kind, who, secret, token_url, scopes, method, key_id } = form;
    match kind {
        "basic" => BackendAuth::Basic { username: who, secret },
        "header" => BackendAuth::Header { name: who, secret },
        "client_credentials" => BackendAuth::ClientCredentials {
            token_url,
            client_id: who,
            scopes: scopes.split_whitespace().map(String::from).collect(),
            authentication: method,
            key_id: (method == ClientAuthentication::PrivateKeyJwt).then_some(key_id),
            secret,
        },
        _ => BackendAuth::None,
    }
}

fn security_value(list: &[AuthKind]) -> &'static str {
    match (list.contains(&AuthKind::Oauth2), list.contains(&AuthKind::ApiKey)) {
        (true, true) => "both",
        (true, false) => "oauth2",
        (false, true) => "api_key",
        (false, false) => "none",
    }
}

fn security_of(value: &str) -> Vec<AuthKind> {
    match value {
        "both" => vec![AuthKind::Oauth2, AuthKind::ApiKey],
        "oauth2" => vec![AuthKind::Oauth2],
        "api_key" => vec![AuthKind::ApiKey],
        _ => vec![],
    }
}

#[component]
pub fn SettingsTab(api: ApiDetail) -> impl IntoView {
    let reload = expect_context::<Reload>();
    let save = ServerAction::<SaveSettings>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            reload.now();
        }
    });
    let context = RwSignal::new(api.summary.context.clone());
    let description = RwSignal::new(api.summary.description.clone());
    let tags = RwSignal::new(api.summary.tags.join(", "));
    let visibility = RwSignal::new(api.visibility);
    let production = RwSignal::new(api.endpoints.production.join("\n"));
    let sandbox = RwSignal::new(api.endpoints.sandbox.join("\n"));
    let routing = RwSignal::new(api.endpoints.routing);
    let timeout = RwSignal::new(api.endpoints.timeout_ms.to_string());
    let image = RwSignal::new(api.endpoints.backend_image.clone());
    let set_headers =
        RwSignal::new(api.endpoints.set_headers.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"));
    let drop_headers = RwSignal::new(api.endpoints.drop_headers.join("\n"));
    let trusted_ca = RwSignal::new(api.endpoints.backend_tls.trusted_ca.clone());
    let client_certificate = RwSignal::new(api.endpoints.backend_tls.client_certificate.clone().unwrap_or_default());
    let auth = backend_auth_form(&api.endpoints.backend_auth);
    let kind = auth.kind;
    let secrets_of_group = gatehouse_contract::backend_secrets(api.summary.group.as_deref().unwrap_or("<group>"));
    let (auth_kind, auth_who, auth_secret) =
        (RwSignal::new(auth.kind), RwSignal::new(auth.who), RwSignal::new(auth.secret));
    let (auth_token_url, auth_scopes) = (RwSignal::new(auth.token_url), RwSignal::new(auth.scopes));
    let (auth_method, auth_key_id) = (RwSignal::new(auth.method), RwSignal::new(auth.key_id));
    let auth_private_key = move || auth_method.get() == ClientAuthentication::PrivateKeyJwt;
    let security = RwSignal::new(security_value(&api.policies.security).to_string());
    let overrides = RwSignal::new(api.policies.operation_security.clone());
    let scopes = RwSignal::new(scopes_text(&api.policies.scopes));
    let scope_tiers = RwSignal::new(
        api.policies.scopes.iter().map(|s| (s.name.clone(), s.tiers.clone())).collect::<Vec<(String, Vec<String>)>>(),
    );
    let tier_names: Vec<String> = api.available_tiers.iter().map(|t| t.name.clone()).collect();
    let operation_scopes = RwSignal::new(api.policies.operation_scopes.clone());
    let tiers = RwSignal::new(api.policies.tiers.clone());
    let cors = api.policies.cors.clone();
    let cors_enabled = RwSignal::new(cors.enabled);
    let cors_origins = RwSignal::new(cors.allow_origins.join("\n"));
    let cors_methods = RwSignal::new(cors.allow_methods.join(", "));
    let cors_headers = RwSignal::new(cors.allow_headers.join(", "));
    let cors_credentials = RwSignal::new(cors.allow_credentials);
    let validate_requests = RwSignal::new(api.policies.validate_requests);
    let cache_seconds = RwSignal::new(api.policies.cache_seconds.to_string());
    let allowed_addresses = RwSignal::new(api.policies.ip_filter.allow.join("\n"));
    let denied_addresses = RwSignal::new(api.policies.ip_filter.deny.join("\n"));
    let operations: Vec<String> = api.model.operations.iter().map(|o| o.key()).collect();
    let known_operations = operations.clone();
    let id = api.summary.id.clone();
    let edit_version = api.edit_version;
    let editable = api.editable;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let settings = ApiSettings {
            context: context.get_untracked(),
            description: description.get_untracked(),
            tags: tags.get_untracked().split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect(),
            visibility: visibility.get_untracked(),
            endpoints: Endpoints {
                production: lines(&production.get_untracked()),
                sandbox: lines(&sandbox.get_untracked()),
                routing: routing.get_untracked(),
                timeout_ms: timeout.get_untracked().trim().parse().unwrap_or(0),
                backend_image: image.get_untracked().trim().to_string(),
                backend_auth: backend_auth_of(AuthForm {
                    kind: auth_kind.get_untracked(),
                    who: auth_who.get_untracked(),
                    secret: auth_secret.get_untracked(),
                    token_url: auth_token_url.get_untracked(),
                    scopes: auth_scopes.get_untracked(),
                    method: auth_method.get_untracked(),
                    key_id: auth_key_id.get_untracked(),
                }),
                set_headers: header_lines(&set_headers.get_untracked()),
                drop_headers: lines(&drop_headers.get_untracked()),
                backend_tls: BackendTls {
                    trusted_ca: trusted_ca.get_untracked(),
                    client_certificate: Some(client_certificate.get_untracked()).filter(|s| !s.trim().is_empty()),
                },
            },
            policies: Policies {
                security: security_of(&security.get_untracked()),
                operation_security: overrides.get_untracked(),
                // A tier no longer offered leaves its scopes too: its box is gone from the form.
                scopes: scopes_of_text(&scopes.get_untracked(), &scope_tiers.get_untracked())
                    .into_iter()
                    .map(|mut scope| {
                        tiers.with_untracked(|offered| scope.tiers.retain(|t| offered.contains(t)));
                        scope
                    })
                    .collect(),
                // Only the definition's operations: one it no longer has would be refused.
                operation_scopes: operation_scopes
                    .get_untracked()
                    .into_iter()
                    .filter(|o| known_operations.contains(&o.operation))
                    .collect(),
                tiers: tiers.get_untracked(),
                cors: Cors {
                    enabled: cors_enabled.get_untracked(),
                    allow_origins: lines(&cors_origins.get_untracked()),
                    allow_methods: items(&cors_methods.get_untracked()),
                    allow_headers: items(&cors_headers.get_untracked()),
                    allow_credentials: cors_credentials.get_untracked(),
                },
                validate_requests: validate_requests.get_untracked(),
                // Empty is never; not a number is sent as one the server refuses, saying why.
                cache_seconds: match cache_seconds.get_untracked().trim() {
                    "" => 0,
                    seconds => seconds.parse().unwrap_or(u32::MAX),
                },
                ip_filter: IpFilter {
                    allow: lines(&allowed_addresses.get_untracked()),
                    deny: lines(&denied_addresses.get_untracked()),
                },
            },
        };
        save.dispatch(SaveSettings { id: id.clone(), settings, edit_version });
    };
    view! {
        <form class="form" on:submit=submit data-testid="settings-form">
            <fieldset disabled=!editable class="panel">
                <h2>"Identity and visibility"</h2>
                <div class="grid-2">
                    <label>"Context" <input type="text" value=context.get_untracked() on:input=move |ev| context.set(event_target_value(&ev))/></label>
                    <label>"Visible in the portal to"
                        <select on:change=move |ev| visibility.set(if event_target_value(&ev) == "signed_in" { Visibility::SignedIn } else { Visibility::Public })>
                            <option value="public" selected=api.visibility == Visibility::Public>"Everyone"</option>
                            <option value="signed_in" selected=api.visibility == Visibility::SignedIn>"Signed-in users"</option>
                        </select>
                    </label>
                </div>
                <label>"Description" <textarea rows="3" on:input=move |ev| description.set(event_target_value(&ev))>{description.get_untracked()}</textarea></label>
                <p class="muted">"Markdown, saved into the definition as its info.description. The portal shows it once a revision carrying it is deployed."</p>
                <label>"Tags (comma-separated)" <input type="text" value=tags.get_untracked() on:input=move |ev| tags.set(event_target_value(&ev))/></label>
            </fieldset>
            <fieldset disabled=!editable class="panel">
                <h2>"Endpoints"</h2>
                <div class="grid-2">
                    <label>"Production URLs (one per line)" <textarea class="code" rows="3" data-testid="production-urls" on:input=move |ev| production.set(event_target_value(&ev))>{production.get_untracked()}</textarea></label>
                    <label>"Sandbox URLs (one per line)" <textarea class="code" rows="3" on:input=move |ev| sandbox.set(event_target_value(&ev))>{sandbox.get_untracked()}</textarea></label>
                </div>
                <div class="grid-3">
                    <label>"With several URLs"
                        <select on:change=move |ev| routing.set(if event_target_value(&ev) == "failover" { Routing::Failover } else { Routing::LoadBalance })>
                            <option value="load_balance" selected=api.endpoints.routing == Routing::LoadBalance>"Load-balance (round robin)"</option>
                            <option value="failover" selected=api.endpoints.routing == Routing::Failover>"Fail over in order"</option>
                        </select>
                    </label>
                    <label>"Timeout (ms)" <input type="number" min="100" max="300000" value=timeout.get_untracked() on:input=move |ev| timeout.set(event_target_value(&ev))/></label>
                    <label>"Backend container image (for sidecar mode)" <input type="text" placeholder="registry/reviews:1.0" value=image.get_untracked() on:input=move |ev| image.set(event_target_value(&ev))/></label>
                </div>
                <div class="grid-3" data-testid="backend-auth">
                    <label>"Credential the gateway sends the backend"
                        <select data-testid="backend-auth-kind" on:change=move |ev| auth_kind.set(match event_target_value(&ev).as_str() { "basic" => "basic", "header" => "header", "client_credentials" => "client_credentials", _ => "none" })>
                            <option value="none" selected=kind == "none">"None"</option>
                            <option value="basic" selected=kind == "basic">"HTTP Basic (user name and password)"</option>
                            <option value="header" selected=kind == "header">"A header (an API key or a bearer token)"</option>
                            <option value="client_credentials" selected=kind == "client_credentials">"An OAuth2 token (client credentials)"</option>
                        </select>
                    </label>
                    <label hidden=move || auth_kind.get() == "none">
                        {move || match auth_kind.get() { "basic" => "User name", "client_credentials" => "Client ID", _ => "Header" }}
                        <input type="text" data-testid="backend-auth-who" placeholder=move || match auth_kind.get() { "basic" => "gateway", "client_credentials" => "gatehouse-gateway", _ => "x-api-key" } value=auth_who.get_untracked() on:input=move |ev| auth_who.set(event_target_value(&ev))/>
                    </label>
                    <label hidden=move || auth_kind.get() == "none">
                        {move || match (auth_kind.get(), auth_private_key()) {
                            ("client_credentials", true) => "Secret's name (the private key, PEM)",
                            ("client_credentials", false) => "Secret's name (the client secret)",
                            _ => "Secret's name",
                        }}
                        <input type="text" class="code" data-testid="backend-auth-secret" placeholder="PETSTORE" value=auth_secret.get_untracked() on:input=move |ev| auth_secret.set(event_target_value(&ev))/>
                    </label>
                </div>
                <div class="grid-3" hidden=move || auth_kind.get() != "client_credentials">
                    <label>"Token URL"
                        <input type="url" class="code" data-testid="backend-auth-token-url" placeholder="https://idp.example.com/oauth2/token" value=auth_token_url.get_untracked() on:input=move |ev| auth_token_url.set(event_target_value(&ev))/>
                    </label>
                    <label>"Scopes (space-separated, optional)"
                        <input type="text" class="code" data-testid="backend-auth-scopes" placeholder="pets:read" value=auth_scopes.get_untracked() on:input=move |ev| auth_scopes.set(event_target_value(&ev))/>
                    </label>
                    <label>"The gateway proves itself with"
                        <select data-testid="backend-auth-method" on:change=move |ev| {
                            if let Some(method) = ClientAuthentication::from_name(&event_target_value(&ev)) {
                                auth_method.set(method);
                            }
                        }>
                            {ClientAuthentication::ALL.into_iter().map(|method| {
                                let label = match method {
                                    ClientAuthentication::ClientSecretBasic => "A client secret (HTTP Basic)",
                                    ClientAuthentication::ClientSecretPost => "A client secret (in the form)",
                                    ClientAuthentication::PrivateKeyJwt => "A private key (private_key_jwt)",
                                    ClientAuthentication::ClientSecretJwt => "A client secret signing a JWT (client_secret_jwt)",
                                };
                                view! { <option value=method.name() selected=auth_method.get_untracked() == method>{label}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <label hidden=move || !auth_private_key()>"Key ID (kid, optional)"
                        <input type="text" class="code" data-testid="backend-auth-key-id" placeholder="gatehouse-2026" value=auth_key_id.get_untracked() on:input=move |ev| auth_key_id.set(event_target_value(&ev))/>
                    </label>
                </div>
                <p class="muted" hidden=move || auth_kind.get() != "client_credentials">
                    {move || match auth_method.get() {
                        ClientAuthentication::PrivateKeyJwt => "The gateway asks the token URL for an access token as this client with a JWT it signs for each request (RFC 7523: issued by and about the client, for the token URL, good for one minute) with the private key the secret holds — RSA of 2048 bits or more, P-256 or Ed25519, PEM; register its public key with the identity provider. ",
                        ClientAuthentication::ClientSecretJwt => "The gateway asks the token URL for an access token as this client with a JWT it signs for each request with the client secret (HS256; RFC 7523, good for one minute), so the secret itself never crosses the network; HS256 needs a secret of at least 32 bytes. ",
                        ClientAuthentication::ClientSecretPost => "The gateway asks the token URL for an access token as this client, the client id and the secret as the client secret in the request's form (client_secret_post). ",
                        ClientAuthentication::ClientSecretBasic => "The gateway asks the token URL for an access token as this client (HTTP Basic, the secret as the client secret). ",
                    }}
                    "It sends the token to the backend as "<code>"Authorization: Bearer …"</code>" and asks for a new one when it nearly expires or the backend answers 401. While the identity provider cannot be reached, calls are answered 503 once the last token has expired."
                </p>
                <p class="muted" hidden=move || auth_kind.get() == "none">
                    "Gatehouse keeps only the secret's name, never its value: each gateway reads it from its environment as "
                    <code data-testid="backend-auth-variable">{move || BackendAuth::variable_of(&auth_secret.get().trim().to_ascii_uppercase())}</code>
                    " (or from a file of the secret's name in its "<code>"GATEWAY_BACKEND_SECRETS_DIR"</code>"). On this machine, set it for "<code>"gatehouse serve"</code>", whose gateways inherit it; in Kubernetes, put it in the group's Secret "
                    <code>{secrets_of_group}</code>" under the secret's name, where a changed value reaches the running gateways within a minute or two. Until a gateway has it, it answers the API's calls 503. The caller's own credential never reaches the backend."
                </p>
                <div class="grid-2" data-testid="backend-headers">
                    <label>"Headers the backend gets (Name: value, one per line)" <textarea class="code" rows="2" placeholder="X-Tenant: acme" data-testid="set-headers" on:input=move |ev| set_headers.set(event_target_value(&ev))>{set_headers.get_untracked()}</textarea></label>
                    <label>"Callers' headers it never gets (one per line)" <textarea class="code" rows="2" placeholder="X-Debug" data-testid="drop-headers" on:input=move |ev| drop_headers.set(event_target_value(&ev))>{drop_headers.get_untracked()}</textarea></label>
                </div>
                <h3>"TLS to https:// backends"</h3>
                <div class="grid-2" data-testid="backend-tls">
                    <label>"Certificate authorities trusted (PEM; empty: the public ones)" <textarea class="code" rows="3" placeholder="-----BEGIN CERTIFICATE-----" data-testid="trusted-ca" on:input=move |ev| trusted_ca.set(event_target_value(&ev))>{trusted_ca.get_untracked()}</textarea></label>
                    <label>"Client certificate (mutual TLS): its secret's name, optional" <input type="text" class="code" placeholder="PETSTORE_TLS" data-testid="client-certificate" value=client_certificate.get_untracked() on:input=move |ev| client_certificate.set(event_target_value(&ev))/></label>
                </div>
                {(!api.trusted_authorities.is_empty()).then(|| view! {
                    <p class="muted">"Trusted as saved:"</p>
                    <ul class="muted" data-testid="trusted-authorities">
                        {api.trusted_authorities.iter().map(|a| view! { <li><code>{a.clone()}</code></li> }).collect_view()}
                    </ul>
                })}
                <p class="muted">
                    "Given authorities replace the public ones for this API's backends: a backend on a private network shows a certificate from its own authority, and no other is accepted. A backend that asks for a client certificate gets the one in the secret — its PEM certificate chain and private key in one value, read like the credential's secret (as "
                    <code>{move || {
                        let name = client_certificate.get().trim().to_ascii_uppercase();
                        BackendAuth::variable_of(if name.is_empty() { "<name>" } else { &name })
                    }}</code>
                    " or a file of that name) and taken up again when it changes."
                </p>
            </fieldset>
            <fieldset disabled=!editable class="panel">
                <h2>"Security and tiers"</h2>
                <label>"Credentials the gateway accepts"
                    <select on:change=move |ev| security.set(event_target_value(&ev))>
                        {[("both", "OAuth2 token or API key"), ("oauth2", "OAuth2 token (JWT)"), ("api_key", "API key"), ("none", "None (open)")]
                            .into_iter()
                            .map(|(v, l)| view! { <option value=v selected=move || security.get() == v>{l}</option> })
                            .collect_view()}
                    </select>
                </label>
                <h3>"OAuth2 scopes"</h3>
                <label>"Scopes this API defines (one per line: the name, then what it allows)"
                    <textarea class="code" rows="3" data-testid="scopes" placeholder="read:pets See the pets" on:input=move |ev| scopes.set(event_target_value(&ev))>{scopes.get_untracked()}</textarea>
                </label>
                {move || {
                    let defined = scopes_of_text(&scopes.get(), &[]);
                    // The tiers offered, as ticked below: a scope can be bound to those only.
                    let offered = tiers.get();
                    let tier_names: Vec<String> = tier_names.iter().filter(|t| offered.contains(t)).cloned().collect();
                    (!defined.is_empty()).then(|| {
                        view! {
                            <table class="table compact" data-testid="scope-tiers">
                                <thead><tr><th>"Scope"</th><th>"Granted only to subscriptions of (none ticked: every tier)"</th></tr></thead>
                                <tbody>
                                    {defined.into_iter().map(|scope| {
                                        let ticked = scope_tiers.with_untracked(|b| b.iter().find(|(n, _)| *n == scope.name).map(|(_, t)| t.clone()).unwrap_or_default());
                                        view! {
                                            <tr>
                                                <td><code>{scope.name.clone()}</code></td>
                                                <td class="checks">
                                                    {tier_names.iter().map(|tier| {
                                                        let (name, tier) = (scope.name.clone(), tier.clone());
                                                        let checked = ticked.contains(&tier);
                                                        let (label, text) = (format!("{name} for {tier}"), tier.clone());
                                                        view! {
                                                            <label class="checkbox">
                                                                <input type="checkbox" checked=checked aria-label=label on:change=move |ev| {
                                                                    let on = event_target_checked(&ev);
                                                                    scope_tiers.update_untracked(|bound| {
                                                                        let at = match bound.iter().position(|(n, _)| *n == name) {
                                                                            Some(at) => at,
                                                                            None => { bound.push((name.clone(), vec![])); bound.len() - 1 }
                                                                        };
                                                                        bound[at].1.retain(|t| *t != tier);
                                                                        if on { bound[at].1.push(tier.clone()); }
                                                                    });
                                                                }/>
                                                                {text}
                                                            </label>
                                                        }
                                                    }).collect_view()}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }
                    })
                }}
                <p class="muted">"An operation that names scopes below is called only with an access token holding all of them; the gateway answers others 403 (insufficient_scope). A scope granted only to some tiers is withheld from other subscriptions' tokens, and the gateway checks the caller's tier as well. API keys carry no scopes: an operation that also accepts them lets any subscribed key through."</p>
                <h3>"Per-operation security"</h3>
                <table class="table compact">
                    <thead><tr><th>"Operation"</th><th>"Security"</th><th>"Token scopes (space-separated)"</th></tr></thead>
                    <tbody>
                        {operations.into_iter().map(|op| {
                            let key = op.clone();
                            let scope_key = op.clone();
                            let required = operation_scopes.get_untracked().iter().find(|o| o.operation == op).map(|o| o.scopes.join(" ")).unwrap_or_default();
                            let current = overrides.get_untracked().iter().find(|o| o.operation == op).map(|o| security_value(&o.security)).unwrap_or("inherit");
                            view! {
                                <tr>
                                    <td><code>{op.clone()}</code></td>
                                    <td>
                                        <select on:change=move |ev| {
                                            let value = event_target_value(&ev);
                                            let key = key.clone();
                                            overrides.update_untracked(|list| {
                                                list.retain(|o| o.operation != key);
                                                if value != "inherit" {
                                                    list.push(OperationSecurity { operation: key.clone(), security: security_of(&value) });
                                                }
                                            });
                                        }>
                                            {[("inherit", "As the API"), ("both", "OAuth2 or API key"), ("oauth2", "OAuth2"), ("api_key", "API key"), ("none", "None (open)")]
                                                .into_iter()
                                                .map(|(v, l)| view! { <option value=v selected=v == current>{l}</option> })
                                                .collect_view()}
                                        </select>
                                    </td>
                                    <td>
                                        <input type="text" class="code" aria-label=format!("Token scopes of {op}") data-testid="operation-scopes" value=required on:input=move |ev| {
                                            let names = scope_names(&event_target_value(&ev));
                                            let key = scope_key.clone();
                                            operation_scopes.update_untracked(|list| {
                                                list.retain(|o| o.operation != key);
                                                if !names.is_empty() {
                                                    list.push(OperationScopes { operation: key.clone(), scopes: names });
                                                }
                                            });
                                        }/>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                <h3>"Tiers offered"</h3>
                <div class="checks">
                    {api.available_tiers.iter().map(|tier| {
                        let name = tier.name.clone();
                        let approval = if tier.needs_approval { ", needs approval" } else { "" };
                        let label = format!("{} ({}{approval})", tier.name, tier.limit_label());
                        let checked = api.policies.tiers.contains(&tier.name);
                        view! {
                            <label class="checkbox">
                                <input type="checkbox" checked=checked on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    tiers.update(|t| { t.retain(|x| x != &name); if on { t.push(name.clone()); } });
                                }/>
                                {label}
                            </label>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
            <fieldset disabled=!editable class="panel" data-testid="cors">
                <h2>"Calls from web pages (CORS)"</h2>
                <p class="muted">"Lets scripts on the pages named here call the API from their visitors' browsers. The gateway answers the browsers' preflight requests itself and marks its answers, errors included, for these origins; what the backend says about CORS is replaced."</p>
                <label class="checkbox"><input type="checkbox" data-testid="cors-enabled" prop:checked=move || cors_enabled.get() on:change=move |ev| cors_enabled.set(event_target_checked(&ev))/> "Allow cross-origin calls"</label>
                <div class="grid-2">
                    <label>"Origins (one per line, or *)" <textarea class="code" rows="3" data-testid="cors-origins" placeholder="https://shop.example.com" on:input=move |ev| cors_origins.set(event_target_value(&ev))>{cors_origins.get_untracked()}</textarea></label>
                    <div>
                        <label>"Methods" <input type="text" value=cors_methods.get_untracked() on:input=move |ev| cors_methods.set(event_target_value(&ev))/></label>
                        <label>"Request headers" <input type="text" value=cors_headers.get_untracked() on:input=move |ev| cors_headers.set(event_target_value(&ev))/></label>
                    </div>
                </div>
                <label class="checkbox"><input type="checkbox" prop:checked=move || cors_credentials.get() on:change=move |ev| cors_credentials.set(event_target_checked(&ev))/> "Send the page's cookies along (needs named origins)"</label>
            </fieldset>
            <fieldset disabled=!editable class="panel" data-testid="validation">
                <h2>"Checking calls"</h2>
                <p class="muted">"The gateway checks each call against the definition — path, query and header parameters, the body's media type and its JSON schema, formats like date-time and uuid included — and answers one that does not fit itself: 400 (415 for a media type the operation does not take), saying what is wrong and where. The backend sees only calls that fit. Turn it on once the definition is as strict as the backend, no stricter."</p>
                <label class="checkbox"><input type="checkbox" data-testid="validate-requests" prop:checked=move || validate_requests.get() on:change=move |ev| validate_requests.set(event_target_checked(&ev))/> "Check calls against the definition"</label>
            </fieldset>
            <fieldset disabled=!editable class="panel" data-testid="caching">
                <h2>"Keeping answers"</h2>
                <p class="muted">"The gateways keep the backend's answer to a GET call and serve it again, without calling the backend, to every subscriber making the same call (same path, query and Accept headers) — after each caller's credential and tier are checked. The backend's own say is obeyed: an answer marked no-store, private or no-cache, with a cookie or a shorter max-age is kept less or not at all. Only for answers that do not depend on who asks."</p>
                <label>"Keep answers to GET calls for (seconds; 0: never)" <input type="number" min="0" max="86400" data-testid="cache-seconds" value=cache_seconds.get_untracked() on:input=move |ev| cache_seconds.set(event_target_value(&ev))/></label>
            </fieldset>
            <fieldset disabled=!editable class="panel" data-testid="ip-filter">
                <h2>"Callers' addresses"</h2>
                <p class="muted">"Addresses or ranges, one per line ("<code>"192.0.2.0/24"</code>", "<code>"2001:db8::/32"</code>", "<code>"198.51.100.7"</code>"). The gateway answers a call from a denied address, or from one outside the allowed ones when there are any, 403 before it looks at the credential. Behind an ingress or a load balancer, list it in the gateways' "<code>"GATEWAY_TRUSTED_PROXIES"</code>" so that the caller's own address, as the proxy names it in "<code>"X-Forwarded-For"</code>" (or in "<code>"Forwarded"</code>", with "<code>"GATEWAY_FORWARDED_HEADER=forwarded"</code>"; behind a TCP load balancer, in its PROXY protocol header, with "<code>"GATEWAY_FORWARDED_HEADER=proxy-protocol"</code>"), is the one filtered. The portal's try-it console calls from the Gatehouse server's address."</p>
                <div class="grid-2">
                    <label>"Allow only (empty: any address)" <textarea class="code" rows="3" data-testid="ip-allow" on:input=move |ev| allowed_addresses.set(event_target_value(&ev))>{allowed_addresses.get_untracked()}</textarea></label>
                    <label>"Deny" <textarea class="code" rows="3" data-testid="ip-deny" on:input=move |ev| denied_addresses.set(event_target_value(&ev))>{denied_addresses.get_untracked()}</textarea></label>
                </div>
            </fieldset>
            {editable.then(|| view! { <button type="submit" class="button">"Save settings"</button> })}
            {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.message}</p> })}
        </form>
        // Only where a live revision may keep answers: the working copy's setting goes live with it.
        {(editable && api.live_revision.is_some() && api.policies.cache_seconds > 0)
            .then(|| view! { <KeptAnswers api_id=api.summary.id.clone()/> })}
        {editable.then(|| view! { <Ownership api_id=api.summary.id.clone() owner=api.summary.owner.clone()/> })}
    }
}

/// Purge the answers the gateways keep for the API, after its backend's data changed under them.
#[component]
fn KeptAnswers(api_id: String) -> impl IntoView {
    let purge = ServerAction::<PurgeKeptAnswers>::new();
    view! {
        <section class="panel" data-testid="kept-answers">
            <h2>"Kept answers"</h2>
            <p class="muted">"When the backend's data has changed, have the gateways drop the answers they keep for this API now, not when they expire: the next calls reach the backend again. No release is needed. Give a path to drop only the answers under it (every query of "<code>"/pets/7"</code>", and what is below it)."</p>
            <ActionForm action=purge attr:class="form inline-form">
                <input type="hidden" name="id" value=api_id/>
                <label>"Only under the path (optional)" <input type="text" class="code" name="path" placeholder="/pets/7" data-testid="purge-path"/></label>
                <button type="submit" class="button secondary" data-testid="purge-kept-answers">"Purge kept answers"</button>
            </ActionForm>
            {move || purge.value().get().map(|purged| match purged {
                Ok(purge) => view! {
                    <p class="notice" role="status" data-testid="kept-answers-purged">
                        {format!(
                            "Purged{} at {}: the gateways drop what they kept within a second or two.",
                            purge.path.map(|path| format!(" under {path}")).unwrap_or_default(),
                            crate::time::format_utc(purge.purged_at)
                        )}
                    </p>
                }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
            })}
        </section>
    }
}

/// Hand the API to another account (when people change teams or leave).
#[component]
fn Ownership(api_id: String, owner: String) -> impl IntoView {
    let reload = expect_context::<Reload>();
    let transfer = ServerAction::<TransferOwnership>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = transfer.value().get() {
            reload.now();
        }
    });
    view! {
        <section class="panel">
            <h2>"Owner"</h2>
            <p class="muted">{format!("{owner} owns this version. Its owner or a publisher can hand it to a creator, publisher or admin.")}</p>
            <ActionForm action=transfer attr:class="form inline-form">
                <input type="hidden" name="id" value=api_id/>
                <label>"New owner's email" <input type="email" name="owner" required data-testid="new-owner"/></label>
                <label class="checkbox"><input type="checkbox" name="all_versions" data-testid="all-versions"/> {format!("Every version {owner} owns")}</label>
                <button type="submit" class="button secondary" data-testid="transfer-owner">"Transfer"</button>
            </ActionForm>
            {move || transfer.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.message}</p> })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_written_one_per_line_and_read_back() {
        let scopes = vec![
            Scope { name: "read:pets".into(), description: "See the pets".into(), tiers: vec![] },
            Scope { name: "admin".into(), description: String::new(), tiers: vec!["Gold".into()] },
        ];
        assert_eq!(scopes_text(&scopes), "read:pets See the pets\nadmin");
        let bound =
            vec![("admin".to_string(), vec!["Gold".to_string()]), ("gone".to_string(), vec!["Bronze".to_string()])];
        assert_eq!(
            scopes_of_text(&scopes_text(&scopes), &bound),
            scopes,
            "tiers ticked for a scope since removed are dropped"
        );
        assert_eq!(
            scopes_of_text("  write:pets\tChange   them \n\n", &[]),
            vec![Scope { name: "write:pets".into(), description: "Change   them".into(), tiers: vec![] }]
        );
        assert_eq!(scope_names(" read:pets, write:pets  admin "), ["read:pets", "write:pets", "admin"]);
        assert!(scope_names(" , ").is_empty());
    }
}
