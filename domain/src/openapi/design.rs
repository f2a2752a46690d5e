//! The design review: rules on an API's design that a valid definition can still break —
//! an operation that changes data open to anyone, one that says nothing of what it returns,
//! a body where clients drop it. (What the specification itself requires, such as unique
//! operation ids, the import's warnings name.) The findings are advice for the creator (the
//! API's page) and the reviewer (the approval), and data for a pipeline's own gate (REST);
//! they never stop a save, a revision or an approval, which stay the people's decisions.
//!
//! The rules read the model and the gateway settings, not the document, so they speak of
//! Swagger 2.0 and OpenAPI 3.x alike and of what the gateway will actually do.

use gatehouse_contract::{
    ApiModel, AuthKind, BackendAuth, DesignFinding, Endpoints, FindingLevel, Operation, Policies,
};

/// Methods that change what the backend holds.
const WRITES: [&str; 4] = ["POST", "PUT", "PATCH", "DELETE"];
/// Methods whose request body many clients, proxies and caches drop.
const NO_BODY: [&str; 3] = ["GET", "HEAD", "DELETE"];

/// Every finding for an API, warnings first, then in the order of its operations.
pub fn review(model: &ApiModel, endpoints: &Endpoints, policies: &Policies) -> Vec<DesignFinding> {
    let mut found = Vec::new();
    let mut api = |rule: &str, level, message: String| {
        found.push(DesignFinding { rule: rule.into(), level, operation: None, message });
    };
    if endpoints.production.is_empty() {
        api(
            "production-endpoint",
            FindingLevel::Warning,
            "no production endpoint is set: once published, the gateway has no backend to send calls to".into(),
        );
    }
    let asks_credentials = model.operations.iter().any(|op| !policies.security_of(&op.key()).is_empty());
    if policies.tiers.is_empty() && asks_credentials {
        api(
            "tiers",
            FindingLevel::Warning,
            "no subscription tier is offered: no application can subscribe, so no call with a credential can succeed"
                .into(),
        );
    }
    // Scopes bind access tokens only; where an API key is also taken, a subscribed
    // application's key gets in without them. Said once for the API: a definition imported with
    // its scopes, under the default "OAuth2 token or API key", is like that on every operation.
    let keys_pass: Vec<String> = model
        .operations
        .iter()
        .map(|op| op.key())
        .filter(|key| !policies.scopes_of(key).is_empty() && policies.security_of(key).contains(&AuthKind::ApiKey))
        .collect();
    if let Some(first) = keys_pass.first() {
        let (which, them) = match keys_pass.len() {
            1 => (format!("{first} requires scopes but also accepts"), "it"),
            n => (format!("{n} operations ({first}, …) require scopes but also accept"), "them"),
        };
        api(
            "scopes-and-api-keys",
            FindingLevel::Warning,
            format!(
                "{which} API keys, which carry none: any subscribed application's key calls {them} without the \
                 scopes (accept OAuth2 tokens only there to enforce them)"
            ),
        );
    }
    // The authorities the gateways trust for the backends run out like any certificate, and
    // then every call fails at the gateway: said a month ahead, while there is time to add the
    // successor beside it.
    let authorities = gatehouse_contract::tls::trusted_certificates(&endpoints.backend_tls.trusted_ca);
    let (today, soon) = (gatehouse_contract::tls::today(), gatehouse_contract::tls::date_in_days(30));
    for facts in authorities.iter().flatten().filter_map(gatehouse_contract::tls::facts) {
        if facts.valid_until <= soon {
            let name = facts.common_name.as_deref().unwrap_or("without a common name");
            let when = if facts.valid_until < today { "expired on" } else { "expires on" };
            api(
                "backend-authority-expiry",
                FindingLevel::Warning,
                format!(
                    "the backends' authority {name} {when} {}: add its successor beside it (Settings → Endpoints), or \
                     the gateways turn every backend certificate away",
                    facts.valid_until
                ),
            );
        }
    }
    // A credential in clear text is anyone's on the network between the gateway and where it
    // goes; on this machine (a sidecar's backend, a local provider) nobody else is on the way.
    let credential = match &endpoints.backend_auth {
        BackendAuth::None => None,
        BackendAuth::Basic { .. } => Some("its HTTP Basic password"),
        BackendAuth::Header { .. } => Some("its credential header"),
        BackendAuth::ClientCredentials { .. } => Some("its access token"),
    };
    let backends = endpoints.production.iter().chain(&endpoints.sandbox);
    if let (Some(credential), Some(host)) = (credential, backends.filter_map(|url| in_clear(url)).next()) {
        api(
            "backend-credential-in-clear",
            FindingLevel::Warning,
            format!(
                "the gateway sends the backend {credential} over http:// to {host}, in clear text: anyone on the \
                 network between them can read and reuse it (use https://)"
            ),
        );
    }
    if let BackendAuth::ClientCredentials { token_url, authentication, .. } = &endpoints.backend_auth
        && !authentication.signs_assertions()
        && let Some(host) = in_clear(token_url)
    {
        api(
            "backend-credential-in-clear",
            FindingLevel::Warning,
            format!(
                "the gateway sends its client secret over http:// to the identity provider {host}, in clear text: \
                 anyone on the network between them can read and reuse it (use https://, or private_key_jwt)"
            ),
        );
    }
    for op in &model.operations {
        found.extend(operation(op, policies));
    }
    // Stable: the order of the operations within each level.
    found.sort_by_key(|f| f.level);
    found
}

/// The host of an `http://` URL that is not this machine: what is sent there crosses the
/// network in clear text. (`*.localhost` and loopback addresses are this machine, as the
/// application webhooks' check reads them.)
fn in_clear(url: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).ok().filter(|url| url.scheme() == "http")?;
    let host = url.host_str()?;
    let this_machine = match host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
        Ok(address) => address.to_canonical().is_loopback(),
        Err(_) => {
            let name = host.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    };
    (!this_machine).then(|| host.to_string())
}

fn operation(op: &Operation, policies: &Policies) -> Vec<DesignFinding> {
    let key = op.key();
    let mut found = Vec::new();
    let mut add = |rule: &str, level, message: String| {
        found.push(DesignFinding { rule: rule.into(), level, operation: Some(key.clone()), message });
    };
    if WRITES.contains(&op.method.as_str()) && policies.security_of(&key).is_empty() {
        add(
            "open-write",
            FindingLevel::Warning,
            format!("{key} changes data and asks for no credential: anyone who reaches the gateway can call it"),
        );
    }
    let security = policies.security_of(&key);
    if !policies.scopes_of(&key).is_empty() && !security.contains(&AuthKind::Oauth2) {
        add(
            "unchecked-scopes",
            FindingLevel::Warning,
            format!("{key} requires scopes but accepts no OAuth2 token, so no scope is ever checked"),
        );
    }
    if op.request_body.is_some() && NO_BODY.contains(&op.method.as_str()) {
        add(
            "body-on-read",
            FindingLevel::Warning,
            format!("{key} takes a request body, which many clients, proxies and caches drop for a {}", op.method),
        );
    }
    if !op.responses.iter().any(|r| r.status.starts_with('2') || r.status.starts_with('3')) {
        add(
            "success-response",
            FindingLevel::Warning,
            format!("{key} documents no success response (2xx or 3xx): consumers cannot tell what a call returns"),
        );
    }
    if op.summary.trim().is_empty() && op.description.trim().is_empty() {
        add(
            "summary",
            FindingLevel::Advice,
            format!("{key} has no summary or description: the portal lists it by its path alone"),
        );
    }
    if op.path.len() > 1 && op.path.ends_with('/') {
        add(
            "trailing-slash",
            FindingLevel::Advice,
            format!("{key} ends in `/`: the gateway routes `{}` elsewhere", op.path.trim_end_matches('/')),
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_contract::{ClientAuthentication, OperationScopes, OperationSecurity, RequestBody, Response};

    fn op(method: &str, path: &str) -> Operation {
        Operation {
            method: method.into(),
            path: path.into(),
            summary: "Does a thing".into(),
            responses: vec![Response { status: "200".into(), ..Default::default() }],
            ..Default::default()
        }
    }

    fn rules(found: &[DesignFinding]) -> Vec<(&str, Option<&str>)> {
        found.iter().map(|f| (f.rule.as_str(), f.operation.as_deref())).collect()
    }

    /// The API's settings as a creator leaves them: credentials asked, a tier offered.
    fn offered() -> Policies {
        Policies { tiers: vec!["Gold".into()], ..Policies::default() }
    }

    fn backend() -> Endpoints {
        Endpoints { production: vec!["http://backend".into()], ..Default::default() }
    }

    #[test]
    fn a_well_designed_api_has_no_findings() {
        let model = ApiModel { operations: vec![op("GET", "/pets"), op("POST", "/pets")], ..Default::default() };
        assert_eq!(review(&model, &backend(), &offered()), []);
    }

    #[test]
    fn a_credential_sent_in_clear_text_off_this_machine_is_warned_of() {
        let model = ApiModel { operations: vec![op("GET", "/pets")], ..Default::default() };
        let with = |urls: &[&str], auth: BackendAuth| Endpoints {
            production: urls.iter().map(|u| u.to_string()).collect(),
            backend_auth: auth,
            ..Default::default()
        };
        let basic = || BackendAuth::Basic { username: "gw".into(), secret: "PETS".into() };
        let client = |token_url: &str, authentication| BackendAuth::ClientCredentials {
            token_url: token_url.into(),
            client_id: "gw".into(),
            scopes: vec![],
            authentication,
            key_id: None,
            secret: "PETS".into(),
        };
        let found =
            review(&model, &with(&["https://a.example", "http://gw:s@pets.internal:8080/v1"], basic()), &offered());
        assert_eq!(rules(&found), [("backend-credential-in-clear", None)]);
        assert!(
            found[0].message.contains("its HTTP Basic password over http:// to pets.internal,"),
            "{}",
            found[0].message
        );
        // On this machine, over TLS, or with no credential: nothing to say.
        for (urls, auth) in [
            (&["http://127.0.0.1:8080", "http://localhost/v1", "http://[::1]:9000"][..], basic()),
            (&["https://pets.internal"][..], basic()),
            (&["http://pets.internal"][..], BackendAuth::None),
        ] {
            assert_eq!(review(&model, &with(urls, auth.clone()), &offered()), [], "{urls:?} {auth:?}");
        }
        // A client secret to a provider in clear text; a signed assertion is for one request only.
        for method in [ClientAuthentication::ClientSecretBasic, ClientAuthentication::ClientSecretPost] {
            let secret = client("http://idp.internal/token", method);
            let found = review(&model, &with(&["https://pets.internal"], secret), &offered());
            assert_eq!(rules(&found), [("backend-credential-in-clear", None)], "{method:?}");
            assert!(found[0].message.contains("client secret over http:// to the identity provider idp.internal"));
        }
        for method in [ClientAuthentication::PrivateKeyJwt, ClientAuthentication::ClientSecretJwt] {
            let signed = client("http://idp.internal/token", method);
            assert_eq!(review(&model, &with(&["https://pets.internal"], signed), &offered()), [], "{method:?}");
        }
        assert_eq!(in_clear("http://[2001:db8::1]:443/x").as_deref(), Some("[2001:db8::1]"));
        assert_eq!(in_clear("http://[::ffff:127.0.0.1]/x"), None);
        assert_eq!(in_clear("http://pets.localhost:8080"), None);
    }

    #[test]
    fn a_backend_authority_is_warned_of_a_month_before_it_expires() {
        let authority = |days: i64| {
            let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
            params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            params.distinguished_name.push(rcgen::DnType::CommonName, format!("CA of {days} days"));
            params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(days);
            params.self_signed(&rcgen::KeyPair::generate().expect("key")).expect("certificate").pem()
        };
        let model = ApiModel { operations: vec![op("GET", "/pets")], ..Default::default() };
        let mut endpoints = Endpoints { production: vec!["https://pets.internal".into()], ..backend() };
        endpoints.backend_tls.trusted_ca = format!("{}{}", authority(400), authority(20));
        let found = review(&model, &endpoints, &offered());
        assert_eq!(rules(&found), [("backend-authority-expiry", None)]);
        assert!(
            found[0].message.starts_with("the backends' authority CA of 20 days expires on "),
            "{}",
            found[0].message
        );
        endpoints.backend_tls.trusted_ca = authority(400);
        assert_eq!(review(&model, &endpoints, &offered()), []);
    }

    #[test]
    fn writes_open_to_anyone_are_warned_of_and_reads_are_not() {
        let model = ApiModel { operations: vec![op("GET", "/pets"), op("DELETE", "/pets/{id}")], ..Default::default() };
        let open = Policies { security: vec![], ..offered() };
        let found = review(&model, &backend(), &open);
        assert_eq!(rules(&found), [("open-write", Some("DELETE /pets/{id}"))]);
        assert!(found[0].message.contains("asks for no credential"), "{}", found[0].message);
        // An override on the one operation closes it again.
        let guarded = Policies {
            operation_security: vec![OperationSecurity {
                operation: "DELETE /pets/{id}".into(),
                security: vec![AuthKind::Oauth2],
            }],
            ..open
        };
        assert_eq!(review(&model, &backend(), &guarded), []);
    }

    #[test]
    fn each_operation_rule_names_its_operation_and_warnings_come_first() {
        let mut quiet = op("GET", "/search/");
        quiet.summary.clear();
        quiet.responses = vec![Response { status: "404".into(), ..Default::default() }];
        quiet.request_body = Some(RequestBody::default());
        let model = ApiModel { operations: vec![quiet], ..Default::default() };
        let found = review(&model, &backend(), &offered());
        let key = Some("GET /search/");
        assert_eq!(
            rules(&found),
            [("body-on-read", key), ("success-response", key), ("summary", key), ("trailing-slash", key)]
        );
        assert_eq!(found[0].level, FindingLevel::Warning);
        assert_eq!(found[3].level, FindingLevel::Advice);
    }

    #[test]
    fn scopes_that_a_credential_bypasses_or_nobody_checks_are_warned_of() {
        let model = ApiModel {
            operations: vec![op("GET", "/pets"), op("POST", "/pets"), op("DELETE", "/pets/{id}")],
            ..Default::default()
        };
        let requires = |operation: &str| OperationScopes { operation: operation.into(), scopes: vec!["admin".into()] };
        let scoped =
            Policies { operation_scopes: vec![requires("POST /pets"), requires("DELETE /pets/{id}")], ..offered() };
        let found = review(&model, &backend(), &scoped);
        assert_eq!(rules(&found), [("scopes-and-api-keys", None)], "once for the API");
        assert!(found[0].message.starts_with("2 operations (POST /pets, …) require scopes"), "{}", found[0].message);
        let tokens_only = Policies { security: vec![AuthKind::Oauth2], ..scoped.clone() };
        assert_eq!(review(&model, &backend(), &tokens_only), [], "enforced");
        let keys_only = Policies {
            security: vec![AuthKind::Oauth2],
            operation_security: vec![OperationSecurity {
                operation: "DELETE /pets/{id}".into(),
                security: vec![AuthKind::ApiKey],
            }],
            ..scoped
        };
        let found = review(&model, &backend(), &keys_only);
        assert_eq!(rules(&found), [("scopes-and-api-keys", None), ("unchecked-scopes", Some("DELETE /pets/{id}"))]);
        assert!(
            found[0].message.starts_with("DELETE /pets/{id} requires scopes but also accepts API keys"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn an_api_without_backend_or_tiers_is_warned_of() {
        let model = ApiModel { operations: vec![op("GET", "/pets")], ..Default::default() };
        let no_tiers = Policies { tiers: vec![], ..Policies::default() };
        let found = review(&model, &Endpoints::default(), &no_tiers);
        assert_eq!(rules(&found), [("production-endpoint", None), ("tiers", None)]);
        // An API open to anyone needs no subscription, so no tier.
        let open = Policies { security: vec![], tiers: vec![], ..Policies::default() };
        assert_eq!(rules(&review(&model, &backend(), &open)), []);
    }
}
