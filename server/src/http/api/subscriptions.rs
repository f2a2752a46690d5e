//! Subscription tiers (publishers manage them) and subscriptions (consumers subscribe their
//! applications; tiers that need approval wait in the approval queue).

use crate::http::auth::Caller;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use gatehouse_contract::{NewSubscription, Permission, Subscription, Suspension, Tier, TierChange};
use gatehouse_domain::{subscriptions, tiers};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Every tier, with its limit and whether subscribing needs approval.
#[utoipa::path(get, path = "/tiers", tag = "subscriptions", security((), ("bearer" = []), ("session" = [])), responses((status = 200, body = Vec<Tier>)))]
pub async fn list_tiers(State(state): State<AppState>) -> ApiResult<Json<Vec<Tier>>> {
    // Tiers are shown on public API pages, so anyone may read them.
    Ok(Json(tiers::list(&state.db).await?))
}

/// Create a tier (publishers, admins).
#[utoipa::path(post, path = "/tiers", tag = "subscriptions", request_body = Tier,
    responses((status = 201, body = Tier), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_tier(
    caller: Caller,
    State(state): State<AppState>,
    Json(body): Json<Tier>,
) -> ApiResult<(StatusCode, Json<Tier>)> {
    let actor = caller.require(Permission::ReviewApis)?;
    Ok((StatusCode::CREATED, Json(tiers::create(&state.db, actor, &body).await?)))
}

/// Change a tier's limit, description or approval rule (the name in the body is ignored).
#[utoipa::path(put, path = "/tiers/{name}", tag = "subscriptions", params(("name" = String, Path)), request_body = Tier,
    responses((status = 200, body = Tier), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_tier(
    caller: Caller,
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(body): Json<Tier>,
) -> ApiResult<Json<Tier>> {
    let actor = caller.require(Permission::ReviewApis)?;
    Ok(Json(tiers::update(&state.db, actor, &name, &body).await?))
}

/// Delete a tier that no API offers and no subscription uses.
#[utoipa::path(delete, path = "/tiers/{name}", tag = "subscriptions", params(("name" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_tier(
    caller: Caller,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let actor = caller.require(Permission::ReviewApis)?;
    tiers::delete(&state.db, actor, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
pub struct SubscriptionQuery {
    /// Only this application's subscriptions.
    application_id: Option<String>,
    /// Every subscription of this API (its owner, publishers and admins only).
    api_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Subscriptions {
    items: Vec<Subscription>,
}

/// The caller's subscriptions (optionally of one application), or an API's subscribers.
#[utoipa::path(get, path = "/subscriptions", tag = "subscriptions", params(SubscriptionQuery), responses((status = 200, body = Subscriptions)))]
pub async fn list(
    caller: Caller,
    State(state): State<AppState>,
    Query(query): Query<SubscriptionQuery>,
) -> ApiResult<Json<Subscriptions>> {
    let actor = caller.require(Permission::UsePortal)?;
    let items = match &query.api_id {
        Some(api_id) => subscriptions::of_api(&state.db, actor, api_id).await?,
        None => subscriptions::list(&state.db, actor, query.application_id.as_deref()).await?,
    };
    Ok(Json(Subscriptions { items }))
}

/// Subscribe one of the caller's applications to an API with a tier the API offers. The
/// status is `active`, or `pending` when the tier needs a publisher's approval.
#[utoipa::path(post, path = "/subscriptions", tag = "subscriptions", request_body = NewSubscription,
    responses((status = 201, body = Subscription), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn subscribe(
    caller: Caller,
    State(state): State<AppState>,
    Json(body): Json<NewSubscription>,
) -> ApiResult<(StatusCode, Json<Subscription>)> {
    let actor = caller.require(Permission::UsePortal)?;
    Ok((StatusCode::CREATED, Json(subscriptions::subscribe(&state.db, actor, &body).await?)))
}

/// Unsubscribe: tokens issued before now lose the API at the gateways.
#[utoipa::path(delete, path = "/subscriptions/{id}", tag = "subscriptions", params(("id" = String, Path)),
    responses((status = 204, description = "Unsubscribed"), (status = 404, body = ErrorBody)))]
pub async fn unsubscribe(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let actor = caller.require(Permission::UsePortal)?;
    subscriptions::unsubscribe(&state.db, actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Move an active subscription to another tier its API offers. A tier that needs approval is
/// asked for (`requested_tier`; calls go on at the current tier until a publisher decides);
/// otherwise the change is made at once and tokens issued before it lose the API, so the next
/// token carries the new tier.
#[utoipa::path(patch, path = "/subscriptions/{id}", tag = "subscriptions", params(("id" = String, Path)), request_body = TierChange,
    responses((status = 200, body = Subscription), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_tier(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<TierChange>,
) -> ApiResult<Json<Subscription>> {
    let actor = caller.require(Permission::UsePortal)?;
    Ok(Json(subscriptions::change_tier(&state.db, actor, &id, &body.tier).await?))
}

/// Suspend one application's subscription (publishers, admins), saying why: tokens issued
/// before now lose the API at the gateways, its API keys stop, and the consumer reads the
/// reason. The consumer cannot unsubscribe to get round it.
#[utoipa::path(post, path = "/subscriptions/{id}/suspend", tag = "subscriptions", params(("id" = String, Path)), request_body = Suspension,
    responses((status = 200, body = Subscription), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn suspend(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<Suspension>,
) -> ApiResult<Json<Subscription>> {
    let actor = caller.require(Permission::ReviewApis)?;
    Ok(Json(subscriptions::suspend(&state.db, actor, &id, &body.reason).await?))
}

/// Resume a suspended subscription (publishers, admins): the application's next token calls
/// the API again.
#[utoipa::path(post, path = "/subscriptions/{id}/resume", tag = "subscriptions", params(("id" = String, Path)),
    responses((status = 200, body = Subscription), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn resume(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Subscription>> {
    let actor = caller.require(Permission::ReviewApis)?;
    Ok(Json(subscriptions::resume(&state.db, actor, &id).await?))
}
