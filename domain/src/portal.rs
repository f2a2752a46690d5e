//! The developer portal's read side: the catalog of APIs consumers may see, and one API's page
//! (overview, docs, reference, versions, where to call it). Published, prototyped and
//! deprecated APIs are listed; created, blocked and retired ones are not. An API's visibility
//! decides whether anonymous visitors see it.

use crate::apis::ImportRequest;
use crate::apis::{self, docs, json};
use crate::openapi::emit::to_text;
use crate::openapi::files::MemoryFiles;
use crate::{Actor, Db, DomainError, Result, accounts, audit, groups, keys, tiers};
use gatehouse_contract::{
    ApiQuery, ApiSummary, LifecycleState, Page, PortalApi, PortalEndpoint, PortalOperation, Role, SourceFormat,
    TryRequest, TryResponse,
};
use serde_json::Value;

/// The visibilities a viewer may see, as stored.
fn visible(viewer: Option<&Actor>, visibility: &str) -> bool {
    visibility == "public" || viewer.is_some()
}

/// The catalog: listed APIs the viewer may see, searched like the publisher list.
pub async fn catalog(
    db: &Db,
    viewer: Option<&Actor>,
    q: &str,
    tag: Option<String>,
    limit: i64,
    offset: i64,
) -> Result<Page<ApiSummary>> {
    let query = ApiQuery { q: q.to_string(), tag, limit: Some(limit), offset: Some(offset), ..Default::default() };
    let mut page = apis::search(db, &query, apis::Audience::Portal { anonymous: viewer.is_none() }).await?;
    // Each card describes what the gateways serve, as the API's page does (see `apis::served`).
    if !page.items.is_empty() {
        let ids: Vec<String> = (1..=page.items.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT l.api_id, l.description FROM group_live l JOIN apis a ON a.id = l.api_id AND a.group_name = l.group_name \
             WHERE l.description IS NOT NULL AND l.api_id IN ({})",
            ids.join(", ")
        );
        let mut live = sqlx::query_as::<_, (String, String)>(&sql);
        for item in &page.items {
            live = live.bind(&item.id);
        }
        let live: std::collections::HashMap<String, String> = live.fetch_all(&db.pool).await?.into_iter().collect();
        for item in &mut page.items {
            if let Some(description) = live.get(&item.id) {
                item.description.clone_from(description);
            }
        }
    }
    Ok(page)
}

/// The stored API if it is listed and the viewer may see it; otherwise NotFound, the same
/// answer as for an id that does not exist (no probing for hidden APIs).
async fn listed(db: &Db, viewer: Option<&Actor>, id: &str) -> Result<apis::ApiRow> {
    let row = apis::load(db, id).await?;
    if !row.state()?.is_listed() || !visible(viewer, &row.visibility) {
        return Err(DomainError::NotFound(format!("API {id}")));
    }
    Ok(row)
}

/// One API as the portal shows it, or NotFound when the viewer may not see it.
pub async fn api(db: &Db, viewer: Option<&Actor>, id: &str) -> Result<PortalApi> {
    let row = listed(db, viewer, id).await?;
    let snapshot = apis::served(db, &row).await?;
    let pages = docs::of(db, id, &snapshot).await?;
    let served_by_server = is_management_api(&row);
    let tiers = if served_by_server {
        Vec::new()
    } else {
        tiers::list(db).await?.into_iter().filter(|t| snapshot.policies.tiers.contains(&t.name)).collect()
    };
    let versions: Vec<(String, String, String, String)> =
        sqlx::query_as("SELECT id, version, state, visibility FROM apis WHERE lineage_id = $1 ORDER BY created_at, id")
            .bind(&row.lineage_id)
            .fetch_all(&db.pool)
            .await?;
    let mut endpoints = Vec::new();
    if served_by_server {
        endpoints.push(PortalEndpoint {
            environment: "This Gatehouse server, with a personal access token".into(),
            url: MANAGEMENT_CONTEXT.into(),
        });
    }
    if let Some(group) = &row.group_name {
        let g = groups::get(db, group).await?;
        if let Some(port) = groups::local_port(db, &g, &row.id).await? {
            endpoints.push(PortalEndpoint {
                environment: "Gateway (this machine)".into(),
                url: format!("http://127.0.0.1:{port}{}", snapshot.context),
            });
        }
        endpoints.push(PortalEndpoint {
            environment: "Ingress".into(),
            url: format!("https://{}{}", g.host, snapshot.context),
        });
    }
    let description_html = crate::markdown::render(&snapshot.model.description);
    let operation_descriptions_html = snapshot
        .model
        .operations
        .iter()
        .filter(|op| !op.description.trim().is_empty())
        .map(|op| (op.key(), crate::markdown::render(&op.description)))
        .collect();
    let summary = ApiSummary {
        context: snapshot.context.clone(),
        description: snapshot.model.description.clone(),
        spec_version: snapshot.spec_version,
        operations: snapshot.model.operations.len() as i64,
        ..row.summary()?
    };
    Ok(PortalApi {
        summary,
        tags: json("tags", &row.tags)?,
        description_html,
        operation_descriptions_html,
        model: snapshot.model,
        docs: pages,
        versions: versions
            .into_iter()
            .filter_map(|(id, version, state, visibility)| {
                let state: LifecycleState = state.parse().ok()?;
                (state.is_listed() && visible(viewer, &visibility)).then_some(gatehouse_contract::VersionRef {
                    id,
                    version,
                    state,
                })
            })
            .collect(),
        endpoints,
        tiers,
        schemas: named_schemas(&snapshot.document).clone(),
        policies: snapshot.policies,
        served_by_server,
    })
}

/// One operation of a listed API, `key` as `METHOD /path`, with the named schemas it reaches:
/// what the portal's page loads when an operation is opened (see [`PortalApi::outline`]).
pub async fn operation(db: &Db, viewer: Option<&Actor>, id: &str, key: &str) -> Result<PortalOperation> {
    let snapshot = apis::served(db, &listed(db, viewer, id).await?).await?;
    let named = named_schemas(&snapshot.document);
    let operation = snapshot
        .model
        .operations
        .into_iter()
        .find(|op| op.key() == key)
        .ok_or_else(|| DomainError::NotFound(format!("operation {key} of API {id}")))?;
    let media = operation
        .request_body
        .iter()
        .flat_map(|b| &b.content)
        .chain(operation.responses.iter().flat_map(|r| &r.content));
    let uses = operation.parameters.iter().map(|p| &p.schema).chain(media.map(|m| &m.schema));
    Ok(PortalOperation {
        schemas: reachable_schemas(named, uses),
        description_html: crate::markdown::render(&operation.description),
        operation,
    })
}

/// The definition's named schemas: `components.schemas`, or Swagger 2.0's `definitions`.
fn named_schemas(document: &Value) -> &Value {
    const NONE: &Value = &Value::Null;
    document.pointer("/components/schemas").or_else(|| document.get("definitions")).unwrap_or(NONE)
}

/// The schemas of `named` that `uses` refer to through local `$ref`s, directly or through one
/// another, by name.
fn reachable_schemas<'a>(named: &'a Value, uses: impl Iterator<Item = &'a Value>) -> Value {
    let mut found = serde_json::Map::new();
    let mut pending: Vec<&Value> = uses.collect();
    while let Some(value) = pending.pop() {
        match value {
            Value::Object(fields) => {
                let reference = fields.get("$ref").and_then(Value::as_str);
                let name = reference
                    .and_then(|r| r.strip_prefix("#/components/schemas/").or_else(|| r.strip_prefix("#/definitions/")));
                if let Some((name, schema)) = name.and_then(|n| Some((n, named.get(n)?)))
                    && !found.contains_key(name)
                {
                    found.insert(name.to_string(), schema.clone());
                    pending.push(schema);
                }
                pending.extend(fields.values());
            }
            Value::Array(items) => pending.extend(items),
            _ => {}
        }
    }
    Value::Object(found)
}

/// The definition of a listed API, as YAML or JSON (the bundled document: self-contained).
pub async fn definition(db: &Db, viewer: Option<&Actor>, id: &str, format: SourceFormat) -> Result<String> {
    let snapshot = apis::served(db, &listed(db, viewer, id).await?).await?;
    Ok(to_text(&snapshot.document, format))
}

/// Where the management API is served, as its context.
pub const MANAGEMENT_CONTEXT: &str = "/api/v1";

/// Whether a stored API is the management API's listing, which the server serves itself, not
/// through a gateway.
pub(crate) fn is_management_api(api: &apis::ApiRow) -> bool {
    api.owner == accounts::SYSTEM_OWNER && api.context == MANAGEMENT_CONTEXT
}

/// Dogfooding: Gatehouse's own management REST API is listed in its portal like any other API,
/// its reference rendered by the same code. Called at start with the generated document; the
/// API is imported when new or changed, and published by the system.
pub async fn publish_management_api(db: &Db, document: &str) -> Result<String> {
    let owner = match accounts::actor_by_email(db, accounts::SYSTEM_OWNER).await {
        Ok(actor) => actor,
        Err(_) => {
            accounts::create_user(
                db,
                audit::SYSTEM,
                accounts::SYSTEM_OWNER,
                &accounts::generate_password(),
                Role::Creator,
            )
            .await?;
            accounts::actor_by_email(db, accounts::SYSTEM_OWNER).await?
        }
    };
    let unchanged: Option<(String,)> = sqlx::query_as(
        "SELECT a.id FROM apis a JOIN api_definitions d ON d.api_id = a.id WHERE a.owner_id = $1 AND a.context = $2 AND d.source = $3",
    )
    .bind(&owner.user_id)
    .bind(MANAGEMENT_CONTEXT)
    .bind(document)
    .fetch_optional(&db.pool)
    .await?;
    let id = match unchanged {
        Some((id,)) => id,
        None => {
            let files = MemoryFiles::single("gatehouse-openapi.json", document.as_bytes().to_vec());
            let request = ImportRequest {
                files: &files,
                entry: "gatehouse-openapi.json",
                context: Some(MANAGEMENT_CONTEXT.into()),
            };
            apis::import(db, &owner, request).await?.id
        }
    };
    let published =
        sqlx::query("UPDATE apis SET state = 'PUBLISHED', updated_at = $1 WHERE id = $2 AND state = 'CREATED'")
            .bind(crate::store::now_ms())
            .bind(&id)
            .execute(&db.pool)
            .await?;
    if published.rows_affected() > 0 {
        audit::record(
            db,
            audit::SYSTEM,
            "api.lifecycle",
            "Gatehouse management API",
            "CREATED → PUBLISHED: listed in its own portal",
        )
        .await?;
    }
    Ok(id)
}

/// The try-it console: send one request to an API through its group's local gateway, with a
/// fresh access token of one of the caller's applications (so no secret is pasted into the
/// page), and return what came back.
pub async fn try_operation(db: &Db, actor: &Actor, issuer: &str, request: &TryRequest) -> Result<TryResponse> {
    actor.require(gatehouse_contract::Permission::UsePortal)?;
    let row = listed(db, Some(actor), &request.api_id).await?;
    let group = row.group_name.clone().ok_or_else(|| {
        DomainError::Conflict(format!("{} {} is not deployed to a gateway yet", row.name, row.version))
    })?;
    let port = groups::local_port(db, &groups::get(db, &group).await?, &row.id)
        .await?
        .ok_or_else(|| DomainError::Conflict(format!("{} {} has no local gateway yet", row.name, row.version)))?;
    if !request.path.starts_with('/') || request.path.contains("..") || request.path.contains('#') {
        return Err(DomainError::invalid("path", "an absolute path within the API, e.g. /pets/7"));
    }
    let method = reqwest::Method::from_bytes(request.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| DomainError::invalid("method", "not an HTTP method"))?;
    let context = apis::served(db, &row).await?.context;
    let mut url = format!("http://127.0.0.1:{port}{}{}", context.trim_end_matches('/'), request.path);
    if !request.query.trim().is_empty() {
        url.push('?');
        url.push_str(request.query.trim().trim_start_matches('?'));
    }
    let headers = console_headers(&request.headers)?;
    let body = if request.body_base64.is_empty() {
        request.body.clone().into_bytes()
    } else {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(request.body_base64.trim())
            .map_err(|e| DomainError::invalid("body_base64", format!("not standard base64: {e}")))?
    };
    let http = reqwest::Client::new();
    let mut outgoing = http.request(method, &url).timeout(std::time::Duration::from_secs(30)).headers(headers);
    let api_key = request.api_key.trim();
    if !api_key.is_empty() {
        let value = reqwest::header::HeaderValue::from_str(api_key)
            .map_err(|_| DomainError::invalid("api_key", "an API key is text without spaces"))?;
        outgoing = outgoing.header("apikey", value);
    } else if let Some(application_id) = request.application_id.as_deref().filter(|a| !a.is_empty()) {
        crate::applications::owned(db, actor, application_id).await?;
        let scope = Some(request.scope.trim()).filter(|s| !s.is_empty());
        let token = keys::token_for_application(db, issuer, application_id, &request.key_type, scope).await?;
        outgoing = outgoing.bearer_auth(token.access_token);
    }
    if !body.is_empty() {
        outgoing = outgoing
            .header(
                "content-type",
                if request.content_type.is_empty() { "application/json" } else { &request.content_type },
            )
            .body(body);
    }
    let started = std::time::Instant::now();
    let answer = outgoing
        .send()
        .await
        .map_err(|e| DomainError::Conflict(format!("the gateway at {url} did not answer: {e}")))?;
    let status = answer.status().as_u16();
    let headers =
        answer.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("(binary)").to_string())).collect();
    let (bytes, cut) = read_shown(answer).await?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let body = String::from_utf8_lossy(&bytes).into_owned();
    Ok(TryResponse { url, status, headers, body, cut, ms })
}

/// Headers the console sets itself: the credential (from the chosen application or API key),
/// the message's framing, and the gateway's own forwarding headers.
const CONSOLE_HEADERS: [&str; 14] = [
    "apikey",
    "authorization",
    "connection",
    "content-length",
    "content-type",
    "forwarded",
    "host",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "x-forwarded-for",
];

/// The header parameters a console request sends, checked: each a valid name and value, none
/// of the console's own. A row with no name and no value (an empty field) is left out.
fn console_headers(headers: &[(String, String)]) -> Result<reqwest::header::HeaderMap> {
    use reqwest::header::{HeaderName, HeaderValue};
    let mut map = reqwest::header::HeaderMap::new();
    for (name, value) in headers {
        let name = name.trim();
        if name.is_empty() && value.is_empty() {
            continue;
        }
        let field = format!("headers.{name}");
        let parsed = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| DomainError::invalid(&field, format!("`{name}` is not a header name")))?;
        if CONSOLE_HEADERS.contains(&parsed.as_str()) {
            return Err(DomainError::invalid(&field, format!("`{name}` is set by the console itself")));
        }
        let value = HeaderValue::from_str(value)
            .map_err(|_| DomainError::invalid(&field, "a header value is one line of visible text"))?;
        map.append(parsed, value);
    }
    Ok(map)
}

/// The most of an answer's body the console shows, so the page stays usable.
const SHOWN_BYTES: usize = 256 * 1024;
/// How long the console reads a body after its head: a stream that has not ended by then is
/// shown as far as it arrived.
const SHOWN_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// As much of `answer`'s body as the console shows, and why it is not all, when it is not.
async fn read_shown(mut answer: reqwest::Response) -> Result<(Vec<u8>, Option<String>)> {
    let until = tokio::time::Instant::now() + SHOWN_WAIT;
    let mut bytes = Vec::new();
    loop {
        match tokio::time::timeout_at(until, answer.chunk()).await {
            Ok(Ok(Some(chunk))) => {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > SHOWN_BYTES {
                    bytes.truncate(SHOWN_BYTES);
                    return Ok((bytes, Some(format!("the first {} KiB of a larger answer", SHOWN_BYTES / 1024))));
                }
            }
            Ok(Ok(None)) => return Ok((bytes, None)),
            Ok(Err(e)) => return Err(DomainError::Conflict(format!("the answer was cut off: {e}"))),
            Err(_) => {
                let why = format!("still arriving after {} s: what had arrived by then", SHOWN_WAIT.as_secs());
                return Ok((bytes, Some(why)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Result<reqwest::header::HeaderMap> {
        console_headers(&pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect::<Vec<_>>())
    }

    #[test]
    fn console_headers_are_checked_and_the_consoles_own_refused() {
        let sent = headers(&[("X-Tag", "blue"), ("", ""), ("Accept-Language", "de")]).expect("valid");
        assert_eq!(sent.len(), 2, "the empty row is left out");
        assert_eq!(sent["x-tag"], "blue");
        for own in ["Authorization", "apikey", "Host", "Content-Length", "Transfer-Encoding"] {
            match headers(&[(own, "x")]) {
                Err(DomainError::Invalid { field, message }) => {
                    assert_eq!(field, format!("headers.{own}"));
                    assert!(message.contains("set by the console"), "{message}");
                }
                other => panic!("{own} was not refused: {other:?}"),
            }
        }
        assert!(matches!(headers(&[("Bad Name", "x")]), Err(DomainError::Invalid { .. })));
        assert!(matches!(headers(&[("X-Tag", "two\r\nlines")]), Err(DomainError::Invalid { .. })));
    }
}
