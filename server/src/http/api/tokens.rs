//! The caller's personal access tokens.

use crate::http::auth::Caller;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{Json, Path};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use gatehouse_contract::{NewToken, Permission, TokenSummary};
use gatehouse_domain::tokens;
use serde::Deserialize;
use utoipa::ToSchema;

/// The caller's tokens (secrets are never shown again).
#[utoipa::path(get, path = "/tokens", tag = "tokens",
    responses((status = 200, body = Vec<TokenSummary>), (status = 401, body = ErrorBody)))]
pub async fn list_tokens(caller: Caller, State(state): State<AppState>) -> ApiResult<Json<Vec<TokenSummary>>> {
    let actor = caller.require(Permission::UsePortal)?;
    Ok(Json(tokens::list(&state.db, actor).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    /// What the token is for, e.g. `release pipeline`.
    name: String,
}

/// Create a token; the response is the only time its secret is shown.
#[utoipa::path(post, path = "/tokens", tag = "tokens", request_body = TokenRequest,
    responses((status = 201, body = NewToken), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    caller: Caller,
    State(state): State<AppState>,
    Json(body): Json<TokenRequest>,
) -> ApiResult<(StatusCode, Json<NewToken>)> {
    let actor = caller.require(Permission::UsePortal)?;
    Ok((StatusCode::CREATED, Json(tokens::create(&state.db, actor, &body.name).await?)))
}

/// Revoke one of the caller's tokens.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "tokens",
    params(("id" = String, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let actor = caller.require(Permission::UsePortal)?;
    tokens::revoke(&state.db, actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
