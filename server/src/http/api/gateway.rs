//! The gateways' side of the management API, authenticated by a gateway credential (`ggw_…`,
//! one group each): the bundle pull (ETag and long-poll; each pull is also the instance's
//! heartbeat), event ingest and signing off. Publishers create credentials and see instances.

use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gatehouse_contract::{
    Bundle, GatewayCredential, GatewayEvent, GatewayInstance, IngestReceipt, NewGatewayCredential, Permission,
    TierCounts,
};
use gatehouse_domain::deploy::access;
use gatehouse_domain::gateways;
use gatehouse_domain::store::now_ms;
use serde::Deserialize;
use std::time::Duration;
use utoipa::IntoParams;

/// The group of the calling gateway, from its bearer credential.
pub struct GatewayCaller(pub String);

impl FromRequestParts<AppState> for GatewayCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim().to_string())
            .ok_or_else(|| ApiError::unauthorized("send the gateway credential as `Authorization: Bearer ggw_…`"))?;
        Ok(GatewayCaller(gateways::authenticate(&state.db, &token).await?))
    }
}

#[derive(Deserialize, IntoParams)]
pub struct PullQuery {
    /// Seconds to hold the request open while the bundle is unchanged (at most 30).
    wait: Option<u64>,
}

fn text_header(headers: &HeaderMap, name: &str) -> String {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").chars().take(200).collect()
}

/// The group's bundle (before its first deployment, one with no APIs). With `If-None-Match`
/// set to the current ETag, the answer waits (up to `wait` seconds) for a change and is 304
/// when there was none. `X-Gateway-Instance`, `X-Gateway-Version`, `X-Gateway-Started`,
/// `X-Gateway-Api` (the one API a private-jet gateway serves), `X-Gateway-Tier-Counts`
/// (`per_instance`, the default, `shared` or `store_unreachable`) and
/// `X-Gateway-Missing-Secrets` (the backend credentials' variables it lacks, comma-separated)
/// report what the caller serves and how.
#[utoipa::path(get, path = "/gateway/bundle", tag = "gateway", params(PullQuery), security(("gateway" = [])),
    responses((status = 200, body = Bundle), (status = 304, description = "Unchanged"), (status = 401, body = ErrorBody)))]
pub async fn pull_bundle(
    GatewayCaller(group): GatewayCaller,
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<PullQuery>,
) -> ApiResult<Response> {
    let instance = text_header(&headers, "x-gateway-instance");
    let started = text_header(&headers, "x-gateway-started").parse().unwrap_or_else(|_| now_ms());
    // Gateways from before the header counted per instance.
    let tier_counts = match text_header(&headers, "x-gateway-tier-counts").as_str() {
        "" => TierCounts::PerInstance,
        named => TierCounts::parse(named).ok_or_else(|| {
            let names: Vec<&str> = TierCounts::ALL.iter().map(|t| t.as_str()).collect();
            gatehouse_domain::DomainError::invalid(
                "X-Gateway-Tier-Counts",
                format!("one of {}, got {named:?}", names.join(", ")),
            )
        })?,
    };
    // Longer than `text_header` keeps: a gateway may lack several (checked by the domain).
    let missing_secrets: Vec<String> = headers
        .get("x-gateway-missing-secrets")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
        .collect();
    let beat = gateways::Heartbeat {
        missing_secrets: &missing_secrets,
        instance: if instance.is_empty() { "unnamed" } else { &instance },
        version: &text_header(&headers, "x-gateway-version"),
        api: &text_header(&headers, "x-gateway-api"),
        started_at: started,
        tier_counts,
    };
    gateways::report(&state.db, &group, &beat).await?;
    let known = text_header(&headers, "if-none-match").trim_matches('"').to_string();
    let mut deadline = tokio::time::Instant::now() + Duration::from_secs(query.wait.unwrap_or(0).min(30));
    let issuer = state.issuer();
    let mut deployments = state.deployer.subscribe();
    loop {
        let (_, bytes, sha) = access::gateway_bundle(&state.db, &group, &issuer).await?;
        let etag = HeaderValue::from_str(&format!("\"{sha}\""))
            .map_err(|e| ApiError::from(gatehouse_domain::DomainError::Internal(e.to_string())))?;
        if sha != known {
            let mut response =
                (StatusCode::OK, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], bytes)
                    .into_response();
            response.headers_mut().insert(header::ETAG, etag);
            return Ok(response);
        }
        if tokio::time::Instant::now() >= deadline {
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            response.headers_mut().insert(header::ETAG, etag);
            return Ok(response);
        }
        // A deployment wakes the poll at once; access changes (subscriptions, revocations) are
        // noticed within a second; a server stopping answers "unchanged" now.
        tokio::select! {
            _ = deployments.changed() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = tokio::time::sleep_until(deadline) => {}
            _ = state.stopping.raised() => deadline = tokio::time::Instant::now(),
        }
    }
}

/// Store a batch of events. Each event id is stored once: resending a batch is safe. An event
/// is an object or, as gateways send them (half the bytes), an array of its fields in the
/// schema's order.
#[utoipa::path(post, path = "/gateway/events", tag = "gateway", request_body = Vec<GatewayEvent>, security(("gateway" = [])),
    responses((status = 200, body = IngestReceipt), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn ingest_events(
    GatewayCaller(group): GatewayCaller,
    State(state): State<AppState>,
    Json(events): Json<Vec<GatewayEvent>>,
) -> ApiResult<Json<IngestReceipt>> {
    Ok(Json(gateways::ingest(&state.db, &group, &events).await?))
}

/// A gateway instance of the caller's group signs off as it shuts down, so its group page and
/// "live on N of M" drop it now rather than when its heartbeats have been missing for a minute
/// (a rolling update in a cluster replaces every instance). Idempotent.
#[utoipa::path(delete, path = "/gateway/instances/{instance}", tag = "gateway", params(("instance" = String, Path)),
    security(("gateway" = [])), responses((status = 204, description = "Forgotten"), (status = 401, body = ErrorBody)))]
pub async fn sign_off(
    GatewayCaller(group): GatewayCaller,
    State(state): State<AppState>,
    Path(instance): Path<String>,
) -> ApiResult<StatusCode> {
    gateways::forget(&state.db, &group, &instance).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A credential for gateways of this group run outside this server (e.g. in a cluster), and
/// the `kubectl` command that hands it to the group's manifests. The token is shown only in
/// this answer.
#[utoipa::path(post, path = "/gateway-groups/{name}/credentials", tag = "gateway", params(("name" = String, Path)),
    responses((status = 201, body = NewGatewayCredential), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_credential(
    caller: Caller,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<(StatusCode, Json<NewGatewayCredential>)> {
    let actor = caller.require(Permission::ReviewApis)?;
    let credential = gateways::create_credential(&state.db, actor, &name, state.public_origin.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(credential)))
}

/// The group's gateway credentials (never their tokens), newest first, revoked ones included.
#[utoipa::path(get, path = "/gateway-groups/{name}/credentials", tag = "gateway", params(("name" = String, Path)),
    responses((status = 200, body = Vec<GatewayCredential>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_credentials(
    caller: Caller,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Vec<GatewayCredential>>> {
    let actor = caller.require(Permission::ReviewApis)?;
    Ok(Json(gateways::credentials(&state.db, actor, &name).await?))
}

/// Revoke a gateway credential: pulls and event batches with it are refused from now on.
#[utoipa::path(delete, path = "/gateway-groups/{name}/credentials/{id}", tag = "gateway", params(("name" = String, Path), ("id" = String, Path)),
    responses((status = 204, description = "Revoked"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn revoke_credential(
    caller: Caller,
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let actor = caller.require(Permission::ReviewApis)?;
    gateways::revoke_credential(&state.db, actor, &name, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The group's gateway instances that reported in the last hour, and the release each serves.
#[utoipa::path(get, path = "/gateway-groups/{name}/instances", tag = "gateway", params(("name" = String, Path)),
    responses((status = 200, body = Vec<GatewayInstance>), (status = 403, body = ErrorBody)))]
pub async fn list_instances(
    caller: Caller,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Vec<GatewayInstance>>> {
    caller.require(Permission::DesignApis)?;
    gatehouse_domain::groups::get(&state.db, &name).await?;
    Ok(Json(gateways::instances(&state.db, &name).await?))
}
