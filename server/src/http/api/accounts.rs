//! The caller, users and roles.

use crate::http::auth::Caller;
use crate::http::error::{ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use gatehouse_contract::{Me, Page, Permission, Role, UserSummary};
use gatehouse_domain::accounts;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// The caller's email and role.
#[utoipa::path(get, path = "/me", tag = "accounts",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(caller: Caller) -> Json<Me> {
    Json(Me { email: caller.0.email, role: caller.0.role })
}

#[derive(Deserialize, IntoParams)]
pub struct UserQuery {
    /// Part of an email to match.
    #[serde(default)]
    q: String,
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
}

fn default_limit() -> i64 {
    50
}

/// Every account (admin).
#[utoipa::path(get, path = "/users", tag = "accounts", params(UserQuery),
    responses((status = 200, body = Page<UserSummary>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_users(
    caller: Caller,
    State(state): State<AppState>,
    Query(query): Query<UserQuery>,
) -> ApiResult<Json<Page<UserSummary>>> {
    caller.require(Permission::Administer)?;
    Ok(Json(accounts::list_users(&state.db, &query.q, query.limit, query.offset).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct Disabling {
    disabled: bool,
}

/// Disable someone's account (admin), or enable it again: a disabled account cannot sign in, its
/// sessions and tokens stop working, its applications' credentials are refused and the access
/// tokens they hold are revoked at the gateways.
#[utoipa::path(put, path = "/users/{id}/disabled", tag = "accounts", request_body = Disabling,
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserSummary), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn set_disabled(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<Disabling>,
) -> ApiResult<Json<UserSummary>> {
    let actor = caller.require(Permission::Administer)?;
    Ok(Json(accounts::set_disabled(&state.db, actor, &id, body.disabled).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct RoleChange {
    role: Role,
}

/// Change a user's role (admin).
#[utoipa::path(put, path = "/users/{id}/role", tag = "accounts", request_body = RoleChange,
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserSummary), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn change_role(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<RoleChange>,
) -> ApiResult<Json<UserSummary>> {
    let actor = caller.require(Permission::Administer)?;
    Ok(Json(accounts::change_role(&state.db, actor, &id, body.role).await?))
}
