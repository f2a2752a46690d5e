//! Consumers' applications and their credentials (OAuth2 client secrets, API keys).

use crate::http::auth::Caller;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{Json, Path};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use gatehouse_contract::{
    Application, ApplicationWebhook, ApplicationWebhookRequest, NewApiKey, NewClientSecret, NewWebhook, Permission,
    WebhookDelivery,
};
use gatehouse_domain::{application_webhooks, applications};
use serde::Deserialize;
use utoipa::ToSchema;

/// The caller's applications with their credentials (never their secrets).
#[utoipa::path(get, path = "/applications", tag = "applications", responses((status = 200, body = Vec<Application>)))]
pub async fn list(caller: Caller, State(state): State<AppState>) -> ApiResult<Json<Vec<Application>>> {
    let actor = caller.require(Permission::UsePortal)?;
    Ok(Json(applications::list(&state.db, actor).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct NewApplication {
    name: String,
    #[serde(default)]
    description: String,
}

/// Create an application.
#[utoipa::path(post, path = "/applications", tag = "applications", request_body = NewApplication,
    responses((status = 201, body = Application), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    caller: Caller,
    State(state): State<AppState>,
    Json(body): Json<NewApplication>,
) -> ApiResult<(StatusCode, Json<Application>)> {
    let actor = caller.require(Permission::UsePortal)?;
    Ok((StatusCode::CREATED, Json(applications::create(&state.db, actor, &body.name, &body.description).await?)))
}

/// One of the caller's applications.
#[utoipa::path(get, path = "/applications/{id}", tag = "applications", params(("id" = String, Path)),
    responses((status = 200, body = Application), (status = 404, body = ErrorBody)))]
pub async fn get(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Application>> {
    let actor = caller.require(Permission::UsePortal)?;
    Ok(Json(applications::get(&state.db, actor, &id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct Rename {
    name: String,
}

/// Rename an application.
#[utoipa::path(patch, path = "/applications/{id}", tag = "applications", params(("id" = String, Path)), request_body = Rename,
    responses((status = 200, body = Application), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn rename(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<Rename>,
) -> ApiResult<Json<Application>> {
    let actor = caller.require(Permission::UsePortal)?;
    Ok(Json(applications::rename(&state.db, actor, &id, &body.name).await?))
}

/// Delete an application and every credential of it.
#[utoipa::path(delete, path = "/applications/{id}", tag = "applications", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)))]
pub async fn delete(caller: Caller, State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let actor = caller.require(Permission::UsePortal)?;
    applications::delete(&state.db, actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct CredentialRequest {
    /// production (default) or sandbox.
    #[serde(default)]
    key_type: String,
    /// When regenerating: how long the previous secret keeps working beside the new one, in
    /// seconds (at most a week); 0, the default, stops it now.
    #[serde(default)]
    keep_previous_seconds: u32,
}

/// OAuth2 client credentials for a key type; calling again regenerates the secret, the old
/// one working on for `keep_previous_seconds`. The secret is shown only in this answer.
#[utoipa::path(post, path = "/applications/{id}/credentials", tag = "applications", params(("id" = String, Path)), request_body = CredentialRequest,
    responses((status = 200, body = NewClientSecret), (status = 404, body = ErrorBody)))]
pub async fn client_secret(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<CredentialRequest>,
) -> ApiResult<Json<NewClientSecret>> {
    let actor = caller.require(Permission::UsePortal)?;
    Ok(Json(applications::client_secret(&state.db, actor, &id, &body.key_type, body.keep_previous_seconds).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct ApiKeyRequest {
    #[serde(default)]
    key_type: String,
    /// Unix milliseconds; none for a key that does not expire.
    expires_at: Option<i64>,
}

/// A new API key, shown only in this answer.
#[utoipa::path(post, path = "/applications/{id}/api-keys", tag = "applications", params(("id" = String, Path)), request_body = ApiKeyRequest,
    responses((status = 201, body = NewApiKey), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_key(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<ApiKeyRequest>,
) -> ApiResult<(StatusCode, Json<NewApiKey>)> {
    let actor = caller.require(Permission::UsePortal)?;
    Ok((
        StatusCode::CREATED,
        Json(applications::api_key(&state.db, actor, &id, &body.key_type, body.expires_at).await?),
    ))
}

/// Revoke an OAuth2 client or an API key.
#[utoipa::path(delete, path = "/applications/{id}/credentials/{credential_id}", tag = "applications",
    params(("id" = String, Path), ("credential_id" = String, Path)),
    responses((status = 204, description = "Revoked"), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    caller: Caller,
    State(state): State<AppState>,
    Path((id, credential_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let actor = caller.require(Permission::UsePortal)?;
    applications::revoke(&state.db, actor, &id, &credential_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The application's webhook with its latest deliveries; 404 when it has none.
#[utoipa::path(get, path = "/applications/{id}/webhook", tag = "applications", params(("id" = String, Path)),
    responses((status = 200, body = ApplicationWebhook), (status = 404, body = ErrorBody)))]
pub async fn webhook(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ApplicationWebhook>> {
    let actor = caller.require(Permission::UsePortal)?;
    let hook = application_webhooks::get(&state.db, actor, &id).await?;
    Ok(Json(hook.ok_or_else(|| gatehouse_domain::DomainError::NotFound(format!("application {id} has no webhook")))?))
}

/// Set where the application is told what happens to its subscriptions (`api.lifecycle`,
/// `api.new_version`, `subscription.changed`), signed `X-Gatehouse-Signature-256` with the
/// secret in this answer, shown only here. Setting it again replaces the URL and the secret.
/// Unless the server allows private networks, the URL must lead to a public address.
#[utoipa::path(put, path = "/applications/{id}/webhook", tag = "applications", params(("id" = String, Path)),
    request_body = ApplicationWebhookRequest,
    responses((status = 200, body = NewWebhook), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_webhook(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<ApplicationWebhookRequest>,
) -> ApiResult<Json<NewWebhook>> {
    let actor = caller.require(Permission::UsePortal)?;
    let reach = state.deployer.callbacks();
    Ok(Json(application_webhooks::set(&state.db, actor, &id, &body.url, reach).await?))
}

/// Remove the application's webhook, with its deliveries.
#[utoipa::path(delete, path = "/applications/{id}/webhook", tag = "applications", params(("id" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 404, body = ErrorBody)))]
pub async fn remove_webhook(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let actor = caller.require(Permission::UsePortal)?;
    application_webhooks::remove(&state.db, actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Queue a `ping` to the application's webhook; its outcome shows in the webhook's deliveries.
#[utoipa::path(post, path = "/applications/{id}/webhook/ping", tag = "applications", params(("id" = String, Path)),
    responses((status = 201, body = WebhookDelivery), (status = 404, body = ErrorBody)))]
pub async fn ping_webhook(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<WebhookDelivery>)> {
    let actor = caller.require(Permission::UsePortal)?;
    Ok((StatusCode::CREATED, Json(application_webhooks::ping(&state.db, actor, &id).await?)))
}
