//! An API's settings beside its definition — context, description, tags, visibility,
//! endpoints and policies (security, scopes, tiers, CORS) — checked and saved as one edit.

use super::{
    ApiRow, check_context, conflict_report, context_or_name_taken, get, json, load_editable_on, load_on, record_edit,
    replace_tags, search_text, store_definition, to_json, visibility_str,
};
use crate::error::is_unique_violation;
use crate::store::now_ms;
use crate::{Actor, Db, DomainError, Result, audit};
use gatehouse_contract::net::IpRange;
use gatehouse_contract::{
    ApiDetail, ApiSettings, BackendAuth, ClientAuthentication, Endpoints, HeaderLine, IpFilter, Permission, Snapshot,
    is_http_token,
};
use sqlx::{Any, AnyConnection, Transaction};

fn check_url(field: &str, url: &str) -> Result<()> {
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() > 8
        && !url.chars().any(char::is_whitespace);
    if ok { Ok(()) } else { Err(DomainError::invalid(field, format!("`{url}` is not an http(s) URL"))) }
}

pub(crate) fn check_settings(settings: &mut ApiSettings) -> Result<()> {
    settings.context = check_context(&settings.context)?;
    settings.tags = settings.tags.iter().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect();
    if settings.tags.iter().any(|t| t.len() > 50) || settings.tags.len() > 20 {
        return Err(DomainError::invalid("tags", "at most 20 tags of at most 50 characters"));
    }
    let e = &mut settings.endpoints;
    e.production.retain(|u| !u.trim().is_empty());
    e.sandbox.retain(|u| !u.trim().is_empty());
    for url in &e.production {
        check_url("endpoints.production", url)?;
    }
    for url in &e.sandbox {
        check_url("endpoints.sandbox", url)?;
    }
    if !(100..=300_000).contains(&e.timeout_ms) {
        return Err(DomainError::invalid("endpoints.timeout_ms", "must be between 100 and 300000 milliseconds"));
    }
    check_backend_auth(&mut e.backend_auth)?;
    check_backend_headers(e)?;
    check_backend_tls(e)?;
    let mut seen = std::collections::HashSet::new();
    settings.policies.tiers.retain(|t| seen.insert(t.clone()));
    super::scopes::check(&mut settings.policies)?;
    check_ip_filter(&mut settings.policies.ip_filter)?;
    if settings.policies.cache_seconds > 86_400 {
        return Err(DomainError::invalid("policies.cache_seconds", "at most 86400 seconds (a day)"));
    }
    check_cors(&mut settings.policies.cors)
}

/// Each list's addresses and ranges read and written back tidied (`192.0.2.7/24` is
/// `192.0.2.0/24`), each once; at most 100 in a list, as the gateway tests a caller against
/// every one.
fn check_ip_filter(filter: &mut IpFilter) -> Result<()> {
    for (field, list) in
        [("policies.ip_filter.allow", &mut filter.allow), ("policies.ip_filter.deny", &mut filter.deny)]
    {
        let mut tidied: Vec<String> = Vec::new();
        for text in list.iter().filter(|t| !t.trim().is_empty()) {
            let range = text.parse::<IpRange>().map_err(|why| DomainError::invalid(field, why))?.to_string();
            if !tidied.contains(&range) {
                tidied.push(range);
            }
        }
        if tidied.len() > 100 {
            return Err(DomainError::invalid(field, "at most 100 addresses or ranges"));
        }
        *list = tidied;
    }
    Ok(())
}

/// Headers a backend credential may not travel in: the gateway sets these itself (framing,
/// forwarding, the correlation id) or they belong to one connection only.
const HEADERS_SET_BY_THE_GATEWAY: [&str; 15] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "proxy-authorization",
    "proxy-connection",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "forwarded",
    "x-correlation-id",
];

/// A backend credential tidied (trimmed; the header's name in lower case, the secret's name in
/// capitals, scopes one by one) and checked: a user name Basic can carry, a header the gateway
/// may send, a token URL and OAuth2 scopes, and a secret name that makes an environment
/// variable and a Kubernetes Secret's key.
fn check_backend_auth(auth: &mut BackendAuth) -> Result<()> {
    let field = "endpoints.backend_auth";
    match auth {
        BackendAuth::None => return Ok(()),
        BackendAuth::Basic { username, .. } => {
            *username = username.trim().to_string();
            // RFC 7617: the user id ends at the first colon.
            if username.is_empty() || username.len() > 200 || username.chars().any(|c| c == ':' || c.is_control()) {
                return Err(DomainError::invalid(
                    format!("{field}.username"),
                    "name the user, up to 200 characters, without a colon",
                ));
            }
        }
        BackendAuth::Header { name, .. } => {
            *name = name.trim().to_ascii_lowercase();
            if !is_http_token(name) || name.len() > 100 {
                return Err(DomainError::invalid(format!("{field}.name"), format!("`{name}` is not a header name")));
            }
            if HEADERS_SET_BY_THE_GATEWAY.contains(&name.as_str()) {
                return Err(DomainError::invalid(
                    format!("{field}.name"),
                    format!("the gateway sets {name} itself; pick the header the backend reads its credential from"),
                ));
            }
        }
        BackendAuth::ClientCredentials { token_url, client_id, scopes, authentication, key_id, .. } => {
            *token_url = token_url.trim().to_string();
            check_url(&format!("{field}.token_url"), token_url)?;
            *client_id = client_id.trim().to_string();
            if client_id.is_empty() || client_id.len() > 200 || client_id.chars().any(char::is_control) {
                return Err(DomainError::invalid(
                    format!("{field}.client_id"),
                    "name the client the identity provider knows the gateway as, up to 200 characters",
                ));
            }
            // A form's field may hold several, as the grant's `scope` does: space-separated.
            let mut listed: Vec<String> = Vec::new();
            for scope in scopes.iter().flat_map(|s| s.split_whitespace()) {
                if !super::scopes::is_scope_name(scope) {
                    return Err(DomainError::invalid(
                        format!("{field}.scopes"),
                        format!("`{scope}` is not an OAuth2 scope"),
                    ));
                }
                if !listed.iter().any(|s| s == scope) {
                    listed.push(scope.to_string());
                }
            }
            if listed.len() > 20 {
                return Err(DomainError::invalid(format!("{field}.scopes"), "at most 20 scopes"));
            }
            *scopes = listed;
            *key_id = key_id.as_deref().map(str::trim).filter(|k| !k.is_empty()).map(str::to_string);
            if let Some(key_id) = key_id {
                if *authentication != ClientAuthentication::PrivateKeyJwt {
                    return Err(DomainError::invalid(
                        format!("{field}.key_id"),
                        "a key id names the key of a private_key_jwt client; a client secret has none",
                    ));
                }
                if key_id.len() > 200 || key_id.chars().any(char::is_control) {
                    return Err(DomainError::invalid(
                        format!("{field}.key_id"),
                        "give the key's id (its kid) as the identity provider knows it, up to 200 characters",
                    ));
                }
            }
        }
    }
    if let BackendAuth::Basic { secret, .. }
    | BackendAuth::Header { secret, .. }
    | BackendAuth::ClientCredentials { secret, .. } = auth
    {
        *secret = secret.trim().to_ascii_uppercase();
        if !BackendAuth::is_secret_name(secret) {
            return Err(DomainError::invalid(
                format!("{field}.secret"),
                format!(
                    "`{secret}` is not a secret name: letters, digits and _, up to 64 (the gateway reads it from {}<name>)",
                    BackendAuth::VARIABLE_PREFIX
                ),
            ));
        }
    }
    Ok(())
}

/// TLS to the backends checked as a gateway reads it: authorities it can trust, a secret name
/// for the client certificate (not the credential's: one secret holds one thing), and an
/// `https://` backend for them to apply to.
fn check_backend_tls(endpoints: &mut Endpoints) -> Result<()> {
    let field = "endpoints.backend_tls";
    let tls = &mut endpoints.backend_tls;
    tls.trusted_ca = tls.trusted_ca.trim().to_string();
    if !tls.trusted_ca.is_empty() {
        let certificates = gatehouse_contract::tls::trusted_certificates(&tls.trusted_ca)
            .map_err(|why| DomainError::invalid(format!("{field}.trusted_ca"), why))?;
        // An expired authority would have every call fail at the gateway, as a bad gateway.
        let today = gatehouse_contract::tls::today();
        for (i, certificate) in certificates.iter().enumerate() {
            let facts = gatehouse_contract::tls::facts(certificate);
            if let Some(facts) = facts.filter(|f| f.valid_until < today) {
                return Err(DomainError::invalid(
                    format!("{field}.trusted_ca"),
                    format!(
                        "certificate {} ({}) expired on {}",
                        i + 1,
                        facts.common_name.as_deref().unwrap_or("no common name"),
                        facts.valid_until
                    ),
                ));
            }
        }
        tls.trusted_ca.push('\n');
    }
    tls.client_certificate =
        tls.client_certificate.as_deref().map(|s| s.trim().to_ascii_uppercase()).filter(|s| !s.is_empty());
    if let Some(secret) = &tls.client_certificate {
        if !BackendAuth::is_secret_name(secret) {
            return Err(DomainError::invalid(
                format!("{field}.client_certificate"),
                format!("`{secret}` is not a secret name: letters, digits and _, up to 64"),
            ));
        }
        if endpoints.backend_auth.secret() == Some(secret.as_str()) {
            return Err(DomainError::invalid(
                format!("{field}.client_certificate"),
                format!("{secret} is the backend credential's secret; the certificate needs a secret of its own"),
            ));
        }
    }
    let https = endpoints.production.iter().chain(&endpoints.sandbox).any(|url| url.starts_with("https://"));
    if !endpoints.backend_tls.is_default() && !https {
        return Err(DomainError::invalid(
            field,
            "no production or sandbox URL is https://, so the gateway would never use this TLS setting",
        ));
    }
    Ok(())
}

/// The headers the gateway sets and drops, tidied (names in lower case, values trimmed, each
/// name once) and checked: names the gateway may send, not its own (framing, forwarding, the
/// backend credential's), values a header line can carry.
fn check_backend_headers(endpoints: &mut Endpoints) -> Result<()> {
    let credential = match &endpoints.backend_auth {
        BackendAuth::None => None,
        BackendAuth::Header { name, .. } => Some(name.clone()),
        BackendAuth::Basic { .. } | BackendAuth::ClientCredentials { .. } => Some("authorization".to_string()),
    };
    let check_name = |field: &str, name: &str| -> Result<String> {
        let name = name.trim().to_ascii_lowercase();
        if !is_http_token(&name) || name.len() > 100 {
            return Err(DomainError::invalid(field, format!("`{name}` is not a header name")));
        }
        if HEADERS_SET_BY_THE_GATEWAY.contains(&name.as_str()) || credential.as_deref() == Some(name.as_str()) {
            return Err(DomainError::invalid(field, format!("the gateway sets {name} itself")));
        }
        Ok(name)
    };
    let mut set: Vec<HeaderLine> = Vec::new();
    for line in &endpoints.set_headers {
        let name = check_name("endpoints.set_headers", &line.name)?;
        let value = line.value.trim().to_string();
        if value.len() > 1000 || value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(DomainError::invalid(
                "endpoints.set_headers",
                format!("the value of {name} must be one line of at most 1000 characters"),
            ));
        }
        if set.iter().any(|l| l.name == name) {
            return Err(DomainError::invalid("endpoints.set_headers", format!("{name} is set twice")));
        }
        set.push(HeaderLine { name, value });
    }
    let mut dropped: Vec<String> = Vec::new();
    for name in endpoints.drop_headers.iter().filter(|n| !n.trim().is_empty()) {
        let name = check_name("endpoints.drop_headers", name)?;
        if !dropped.contains(&name) {
            dropped.push(name);
        }
    }
    if set.len() > 20 || dropped.len() > 20 {
        return Err(DomainError::invalid("endpoints.set_headers", "at most 20 headers set and 20 dropped"));
    }
    (endpoints.set_headers, endpoints.drop_headers) = (set, dropped);
    Ok(())
}

/// A backend secret belongs to one API, in all its versions. A gateway holds the secrets of
/// every API it serves (on one machine, every local gateway inherits the server's environment),
/// so another API naming the same secret would have the gateway send it to that API's backend.
async fn check_secrets_are_its_own(conn: &mut AnyConnection, row: &ApiRow, endpoints: &Endpoints) -> Result<()> {
    for secret in endpoints.secrets() {
        let field = if endpoints.backend_auth.secret() == Some(secret) {
            "endpoints.backend_auth.secret"
        } else {
            "endpoints.backend_tls.client_certificate"
        };
        // A rough cut in SQL (`_` matches any character there), the exact test on the parsed JSON.
        let others: Vec<(String, String, String)> =
            sqlx::query_as("SELECT name, version, endpoints FROM apis WHERE name <> $1 AND endpoints LIKE $2")
                .bind(&row.name)
                .bind(format!("%\"{secret}\"%"))
                .fetch_all(&mut *conn)
                .await?;
        for (name, version, theirs) in others {
            if json::<Endpoints>("endpoints", &theirs)?.secrets().any(|s| s == secret) {
                return Err(DomainError::invalid(
                    field,
                    format!(
                        "{name} {version} sends its backend the secret {secret}; a secret is one API's, so name \
                         another (a gateway would send this one to both backends)"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A CORS policy tidied (trimmed, methods in capitals, headers in lower case, no repeats) and
/// checked: origins as browsers send them, methods and headers as HTTP names them.
fn check_cors(cors: &mut gatehouse_contract::Cors) -> Result<()> {
    fn tidy(list: &mut Vec<String>, case: fn(&str) -> String) {
        let mut seen = std::collections::HashSet::new();
        *list = list.iter().map(|v| case(v.trim())).filter(|v| !v.is_empty() && seen.insert(v.clone())).collect();
    }
    tidy(&mut cors.allow_origins, |o| o.trim_end_matches('/').to_ascii_lowercase());
    tidy(&mut cors.allow_methods, str::to_ascii_uppercase);
    tidy(&mut cors.allow_headers, str::to_ascii_lowercase);
    for origin in &cors.allow_origins {
        let host = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
        let valid = origin == "*"
            || host.is_some_and(|h| {
                !h.is_empty() && h.len() <= 253 && h.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
            });
        if !valid {
            return Err(DomainError::invalid(
                "policies.cors.allow_origins",
                format!("`{origin}` is not an origin: scheme and host (and port), as https://shop.example.com, or *"),
            ));
        }
    }
    if let Some(method) = cors.allow_methods.iter().find(|m| !is_http_token(m)) {
        return Err(DomainError::invalid("policies.cors.allow_methods", format!("`{method}` is not an HTTP method")));
    }
    if let Some(header) = cors.allow_headers.iter().find(|h| !is_http_token(h)) {
        return Err(DomainError::invalid("policies.cors.allow_headers", format!("`{header}` is not a header name")));
    }
    if cors.allow_credentials && cors.allow_origins.iter().any(|o| o == "*") {
        return Err(DomainError::invalid(
            "policies.cors.allow_origins",
            "with cookies allowed, name the origins: any page's script could otherwise act as its visitor",
        ));
    }
    if cors.enabled && cors.allow_origins.is_empty() {
        return Err(DomainError::invalid("policies.cors.allow_origins", "name the origins allowed, or * for any"));
    }
    Ok(())
}

/// Save context, description, tags, visibility, endpoints and policies.
pub async fn save_settings(
    db: &Db,
    actor: &Actor,
    id: &str,
    settings: ApiSettings,
    expected: i64,
) -> Result<ApiDetail> {
    actor.require(Permission::DesignApis)?;
    let mut tx = db.begin().await?;
    let row = load_editable_on(&mut tx, actor, id).await?;
    save_settings_in(&mut tx, db, actor, &row, settings, expected).await?;
    tx.commit().await?;
    get(db, actor, id).await
}

/// [`save_settings`] of `row`, as loaded in `tx`; `db` only names what clashed when the context
/// is taken.
pub(crate) async fn save_settings_in(
    tx: &mut Transaction<'_, Any>,
    db: &Db,
    actor: &Actor,
    row: &ApiRow,
    mut settings: ApiSettings,
    expected: i64,
) -> Result<()> {
    let id = row.id.as_str();
    check_settings(&mut settings)?;
    check_secrets_are_its_own(tx, row, &settings.endpoints).await?;
    crate::tiers::check_offered(tx, &settings.policies.tiers).await?;
    let mut snapshot = Snapshot {
        context: settings.context.clone(),
        endpoints: settings.endpoints.clone(),
        policies: settings.policies.clone(),
        ..row.snapshot()?
    };
    super::scopes::check_operations(&settings.policies, &snapshot.model)?;
    // The description is the definition's `info.description`: written there, it goes into the
    // next revision, the portal's page and the downloaded definition, and a later edit of the
    // definition keeps it.
    settings.description = settings.description.trim().to_string();
    let redefined = if settings.description != snapshot.model.description.trim() {
        let (source, imported) = super::edit::with_description(&snapshot, &settings.description)?;
        snapshot.source = source;
        snapshot.document = imported.document.clone();
        snapshot.model = imported.model.clone();
        Some(imported)
    } else {
        None
    };
    // Tags apply when saved, in the catalog search too; the rest of what it reads stays the
    // live revision's (read only when the tags change: a live snapshot can be megabytes).
    let retagged = super::json::<Vec<String>>("tags", &row.tags)? != settings.tags;
    let catalog_text = match &row.group_name {
        Some(group) if retagged => crate::groups::live_snapshot_on(tx, group, id)
            .await?
            .map(|(_, live)| super::catalog_text(&row.name, &settings.tags, &live)),
        _ => None,
    };
    let updated = sqlx::query(
        "UPDATE apis SET context = $1, description = $2, tags = $3, visibility = $4, endpoints = $5, policies = $6, search_text = $7, \
         edit_version = edit_version + 1, updated_at = $8 WHERE id = $9 AND edit_version = $10",
    )
    .bind(&settings.context)
    .bind(&settings.description)
    .bind(to_json(&settings.tags))
    .bind(visibility_str(settings.visibility))
    .bind(to_json(&settings.endpoints))
    .bind(to_json(&settings.policies))
    .bind(search_text(&row.name, &settings.description, &settings.tags, &snapshot.model))
    .bind(now_ms())
    .bind(id)
    .bind(expected)
    .execute(&mut **tx)
    .await;
    let updated = match updated {
        Ok(done) => done,
        Err(e) if is_unique_violation(&e) => {
            return Err(context_or_name_taken(db, &row.name, &row.version, &settings.context).await);
        }
        Err(e) => return Err(e.into()),
    };
    if updated.rows_affected() == 0 {
        // Read in `tx`, which sees what the other saver committed.
        let fresh = load_on(tx, id).await?;
        return Err(conflict_report(tx, &fresh, expected).await);
    }
    if let Some(imported) = &redefined {
        store_definition(tx, id, &snapshot.source, imported).await?;
    }
    replace_tags(tx, id, &settings.tags).await?;
    if let Some(text) = &catalog_text {
        sqlx::query("UPDATE apis SET catalog_text = $1 WHERE id = $2").bind(text).bind(id).execute(&mut **tx).await?;
    }
    record_edit(tx, id, expected + 1, &snapshot, &actor.email).await?;
    audit::record_in(
        tx,
        &actor.email,
        "api.settings_saved",
        &format!("{} {}", row.name, row.version),
        &format!("edit {}", expected + 1),
    )
    .await
}
