//! The semantic diff between two snapshots of an API: operations, parameters, schemas,
//! security, endpoints and tiers, in words a reviewer reads.

use gatehouse_contract::{ApiDiff, ApiModel, AuthKind, DocSource, Endpoints, Operation, OperationChange, Policies};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The parts of an API that a diff compares.
pub struct Side<'a> {
    pub document: &'a Value,
    pub model: &'a ApiModel,
    pub endpoints: &'a Endpoints,
    pub policies: &'a Policies,
    pub context: &'a str,
    /// `None` for a revision cut before pages were part of revisions: its pages are unknown,
    /// so they are not compared.
    pub docs: Option<&'a [DocSource]>,
}

fn schemas(document: &Value) -> BTreeMap<String, &Value> {
    let from = document.get("components").and_then(|c| c.get("schemas")).or_else(|| document.get("definitions"));
    from.and_then(Value::as_object).map(|m| m.iter().map(|(k, v)| (k.clone(), v)).collect()).unwrap_or_default()
}

fn auth_list(list: &[AuthKind]) -> String {
    if list.is_empty() {
        return "none".into();
    }
    list.iter()
        .map(|k| match k {
            AuthKind::Oauth2 => "OAuth2",
            AuthKind::ApiKey => "API key",
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

fn operation_changes(a: &Operation, b: &Operation) -> Vec<String> {
    let mut changes = Vec::new();
    if a.summary != b.summary {
        changes.push(format!("summary: “{}” → “{}”", a.summary, b.summary));
    }
    if a.description != b.description {
        changes.push("description changed".into());
    }
    if a.deprecated != b.deprecated {
        changes.push(if b.deprecated { "now deprecated".into() } else { "no longer deprecated".into() });
    }
    let key = |p: &gatehouse_contract::Parameter| format!("{} `{}`", p.location, p.name);
    for p in &b.parameters {
        match a.parameters.iter().find(|q| q.name == p.name && q.location == p.location) {
            None => changes.push(format!("parameter added: {}{}", key(p), if p.required { " (required)" } else { "" })),
            Some(q) => {
                if q.required != p.required {
                    changes.push(format!(
                        "parameter {} is now {}",
                        key(p),
                        if p.required { "required" } else { "optional" }
                    ));
                }
                if q.schema != p.schema {
                    changes.push(format!("parameter {} schema changed", key(p)));
                }
            }
        }
    }
    for q in &a.parameters {
        if !b.parameters.iter().any(|p| p.name == q.name && p.location == q.location) {
            changes.push(format!("parameter removed: {}", key(q)));
        }
    }
    match (&a.request_body, &b.request_body) {
        (None, Some(_)) => changes.push("request body added".into()),
        (Some(_), None) => changes.push("request body removed".into()),
        (Some(x), Some(y)) => {
            if x.required != y.required {
                changes.push(format!("request body is now {}", if y.required { "required" } else { "optional" }));
            }
            let types = |r: &gatehouse_contract::RequestBody| {
                r.content.iter().map(|m| m.content_type.clone()).collect::<Vec<_>>()
            };
            if types(x) != types(y) {
                changes.push(format!("request content types: {} → {}", types(x).join(", "), types(y).join(", ")));
            }
            if x.content.iter().map(|m| &m.schema).ne(y.content.iter().map(|m| &m.schema)) {
                changes.push("request body schema changed".into());
            }
        }
        (None, None) => {}
    }
    for r in &b.responses {
        match a.responses.iter().find(|s| s.status == r.status) {
            None => changes.push(format!("response {} added", r.status)),
            Some(s) if s.content.iter().map(|m| &m.schema).ne(r.content.iter().map(|m| &m.schema)) => {
                changes.push(format!("response {} schema changed", r.status));
            }
            _ => {}
        }
    }
    for s in &a.responses {
        if !b.responses.iter().any(|r| r.status == s.status) {
            changes.push(format!("response {} removed", s.status));
        }
    }
    if a.security != b.security {
        changes.push("security requirements in the definition changed".into());
    }
    changes
}

pub fn diff(a: &Side, b: &Side) -> ApiDiff {
    let mut out = ApiDiff::default();
    let ops_a: BTreeMap<String, &Operation> = a.model.operations.iter().map(|o| (o.key(), o)).collect();
    let ops_b: BTreeMap<String, &Operation> = b.model.operations.iter().map(|o| (o.key(), o)).collect();
    for (key, op) in &ops_b {
        match ops_a.get(key) {
            None => out.operations_added.push(key.clone()),
            Some(before) => {
                let changes = operation_changes(before, op);
                if !changes.is_empty() {
                    out.operations_changed.push(OperationChange { operation: key.clone(), changes });
                }
            }
        }
    }
    out.operations_removed = ops_a.keys().filter(|k| !ops_b.contains_key(*k)).cloned().collect();

    let (sa, sb) = (schemas(a.document), schemas(b.document));
    for (name, schema) in &sb {
        match sa.get(name) {
            None => out.schemas_added.push(name.clone()),
            Some(before) if before != schema => out.schemas_changed.push(name.clone()),
            _ => {}
        }
    }
    out.schemas_removed = sa.keys().filter(|k| !sb.contains_key(*k)).cloned().collect();

    let names = |m: &ApiModel| m.security_schemes.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
    for name in names(b.model) {
        if !names(a.model).contains(&name) {
            out.security.push(format!("security scheme added: {name}"));
        }
    }
    for name in names(a.model) {
        if !names(b.model).contains(&name) {
            out.security.push(format!("security scheme removed: {name}"));
        }
    }
    if a.policies.security != b.policies.security {
        out.security.push(format!(
            "gateway security: {} → {}",
            auth_list(&a.policies.security),
            auth_list(&b.policies.security)
        ));
    }
    if a.policies.operation_security != b.policies.operation_security {
        for o in &b.policies.operation_security {
            let before = a.policies.operation_security.iter().find(|x| x.operation == o.operation);
            if before.map(|x| &x.security) != Some(&o.security) {
                out.security.push(format!("{}: security {}", o.operation, auth_list(&o.security)));
            }
        }
        for o in &a.policies.operation_security {
            if !b.policies.operation_security.iter().any(|x| x.operation == o.operation) {
                out.security.push(format!("{}: back to the API's security", o.operation));
            }
        }
    }
    let defined = |p: &Policies| p.scopes.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
    let (da, db) = (defined(a.policies), defined(b.policies));
    out.security.extend(db.iter().filter(|s| !da.contains(s)).map(|s| format!("scope defined: {s}")));
    out.security.extend(da.iter().filter(|s| !db.contains(s)).map(|s| format!("scope removed: {s}")));
    for scope in &b.policies.scopes {
        let before = a.policies.scopes.iter().find(|s| s.name == scope.name).map_or(&[][..], |s| s.tiers.as_slice());
        if before != scope.tiers.as_slice() {
            out.security.push(match scope.tiers.as_slice() {
                [] => format!("scope {}: granted to every tier", scope.name),
                tiers => format!("scope {}: granted to tiers {} only", scope.name, tiers.join(", ")),
            });
        }
    }
    for o in &b.policies.operation_scopes {
        if a.policies.scopes_of(&o.operation) != o.scopes.as_slice() {
            out.security.push(format!("{}: requires scopes {}", o.operation, o.scopes.join(", ")));
        }
    }
    for o in &a.policies.operation_scopes {
        if b.policies.scopes_of(&o.operation).is_empty() {
            out.security.push(format!("{}: requires no scopes", o.operation));
        }
    }
    if a.model.security != b.model.security {
        out.security.push("global security requirements in the definition changed".into());
    }

    let (ea, eb) = (a.endpoints, b.endpoints);
    if ea.production != eb.production {
        out.endpoints.push(format!("production: {} → {}", ea.production.join(", "), eb.production.join(", ")));
    }
    if ea.sandbox != eb.sandbox {
        out.endpoints.push(format!("sandbox: {} → {}", ea.sandbox.join(", "), eb.sandbox.join(", ")));
    }
    if ea.routing != eb.routing {
        out.endpoints.push(format!("routing: {:?} → {:?}", ea.routing, eb.routing));
    }
    if ea.timeout_ms != eb.timeout_ms {
        out.endpoints.push(format!("timeout: {} ms → {} ms", ea.timeout_ms, eb.timeout_ms));
    }
    if ea.backend_image != eb.backend_image {
        out.endpoints.push(format!("backend image: {} → {}", ea.backend_image, eb.backend_image));
    }
    if (&ea.set_headers, &ea.drop_headers) != (&eb.set_headers, &eb.drop_headers) {
        out.endpoints.push(format!("backend headers: {} → {}", header_words(ea), header_words(eb)));
    }
    if ea.backend_auth != eb.backend_auth {
        out.endpoints.push(format!("backend credential: {} → {}", ea.backend_auth, eb.backend_auth));
    }
    if ea.backend_tls.trusted_ca != eb.backend_tls.trusted_ca {
        out.endpoints.push(format!(
            "backend certificates trusted: {} → {}",
            trust_words(&ea.backend_tls.trusted_ca),
            trust_words(&eb.backend_tls.trusted_ca)
        ));
    }
    if ea.backend_tls.client_certificate != eb.backend_tls.client_certificate {
        let words = |secret: &Option<String>| match secret {
            Some(secret) => format!("from secret {secret}"),
            None => "none".to_string(),
        };
        out.endpoints.push(format!(
            "client certificate to the backend: {} → {}",
            words(&ea.backend_tls.client_certificate),
            words(&eb.backend_tls.client_certificate)
        ));
    }
    for t in &b.policies.tiers {
        if !a.policies.tiers.contains(t) {
            out.tiers.push(format!("tier added: {t}"));
        }
    }
    for t in &a.policies.tiers {
        if !b.policies.tiers.contains(t) {
            out.tiers.push(format!("tier removed: {t}"));
        }
    }
    if a.policies.cors != b.policies.cors {
        out.other.push(format!(
            "cross-origin calls: {} → {}",
            cors_words(&a.policies.cors),
            cors_words(&b.policies.cors)
        ));
    }
    if a.policies.validate_requests != b.policies.validate_requests {
        let words = |on: bool| if on { "checked against the definition" } else { "not checked" };
        out.other.push(format!(
            "calls: {} → {}",
            words(a.policies.validate_requests),
            words(b.policies.validate_requests)
        ));
    }
    if a.policies.cache_seconds != b.policies.cache_seconds {
        let words = |seconds: u32| match seconds {
            0 => "not kept".to_string(),
            s => format!("kept {s} s"),
        };
        out.other.push(format!(
            "answers to GET calls: {} → {}",
            words(a.policies.cache_seconds),
            words(b.policies.cache_seconds)
        ));
    }
    if a.policies.ip_filter != b.policies.ip_filter {
        out.other.push(format!("callers' addresses: {} → {}", a.policies.ip_filter, b.policies.ip_filter));
    }
    if a.context != b.context {
        out.other.push(format!("context: {} → {}", a.context, b.context));
    }
    if a.model.description.trim() != b.model.description.trim() {
        // What consumers read first in the portal; its text is in the definition's diff.
        out.other.push("API description changed".into());
    }
    if a.model.title != b.model.title || a.model.version != b.model.version {
        out.other.push(format!(
            "title/version: {} {} → {} {}",
            a.model.title, a.model.version, b.model.title, b.model.version
        ));
    }
    if let (Some(pages_a), Some(pages_b)) = (a.docs, b.docs) {
        out.docs = doc_changes(pages_a, pages_b);
    }
    out
}

/// Documentation pages added, removed or rewritten, by slug, named by their title.
fn doc_changes(a: &[DocSource], b: &[DocSource]) -> Vec<String> {
    let before: BTreeMap<&str, &DocSource> = a.iter().map(|p| (p.slug.as_str(), p)).collect();
    let after: BTreeMap<&str, &DocSource> = b.iter().map(|p| (p.slug.as_str(), p)).collect();
    let mut changes = Vec::new();
    for page in b {
        match before.get(page.slug.as_str()) {
            None => changes.push(format!("documentation page added: {}", page.title)),
            Some(old) if old.title != page.title || old.markdown != page.markdown => {
                changes.push(format!("documentation page changed: {}", page.title))
            }
            Some(_) => {}
        }
    }
    for page in a.iter().filter(|p| !after.contains_key(p.slug.as_str())) {
        changes.push(format!("documentation page removed: {}", page.title));
    }
    changes
}

/// The headers the gateway sets and drops in a reviewer's words: `sets x-tenant: acme; drops
/// x-debug`, or `as the caller sent them`.
fn header_words(endpoints: &gatehouse_contract::Endpoints) -> String {
    let mut words = Vec::new();
    if !endpoints.set_headers.is_empty() {
        let lines: Vec<String> = endpoints.set_headers.iter().map(ToString::to_string).collect();
        words.push(format!("sets {}", lines.join(", ")));
    }
    if !endpoints.drop_headers.is_empty() {
        words.push(format!("drops {}", endpoints.drop_headers.join(", ")));
    }
    if words.is_empty() { "as the caller sent them".into() } else { words.join("; ") }
}

/// The authorities an API's backends are trusted by, in a reviewer's words.
fn trust_words(trusted_ca: &str) -> String {
    if trusted_ca.is_empty() {
        return "the public Web PKI".into();
    }
    match authorities(trusted_ca) {
        Ok(words) => words.join(", "),
        Err(why) => format!("certificates that cannot be read ({why})"),
    }
}

/// Each authority of `trusted_ca` as people check it: its common name, last valid day and
/// SHA-256 fingerprint (what `openssl x509 -fingerprint -sha256` prints).
pub fn authorities(trusted_ca: &str) -> Result<Vec<String>, String> {
    let certificates = gatehouse_contract::tls::trusted_certificates(trusted_ca)?;
    Ok(certificates
        .iter()
        .map(|c| {
            let print = hex::encode_upper(Sha256::digest(c.as_ref()));
            match gatehouse_contract::tls::facts(c) {
                Some(facts) => format!(
                    "{} until {} (SHA-256 {print})",
                    facts.common_name.as_deref().unwrap_or("a certificate without a common name"),
                    facts.valid_until
                ),
                None => format!("SHA-256 {print}"),
            }
        })
        .collect())
}

/// A CORS policy in a reviewer's words.
fn cors_words(cors: &gatehouse_contract::Cors) -> String {
    if !cors.enabled {
        return "off".into();
    }
    format!(
        "from {} ({}; headers {}{})",
        cors.allow_origins.join(", "),
        cors.allow_methods.join(", "),
        cors.allow_headers.join(", "),
        if cors.allow_credentials { "; with cookies" } else { "" }
    )
}
