//! The caller, users and roles.

use crate::http::auth::Caller;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::Extension;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use gatehouse_contract::{Me, NewAccount, Page, Permission, ResetPassword, Role, UserSummary};
use gatehouse_domain::accounts;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use tower_sessions::Session;
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
pub struct HandOver {
    /// The email of the account that takes the APIs over (a creator, publisher or admin).
    owner: String,
}

#[derive(Serialize, ToSchema)]
pub struct HandedOver {
    /// How many API versions moved.
    moved: usize,
}

/// Hand every API version an account owns (but retired ones) to another account (admin): the
/// step after disabling someone who leaves, whose APIs otherwise stay theirs.
#[utoipa::path(post, path = "/users/{id}/apis/hand-over", tag = "accounts", request_body = HandOver,
    params(("id" = String, Path, description = "User id of the account handing over")),
    responses((status = 200, body = HandedOver), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn hand_over_apis(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<HandOver>,
) -> ApiResult<Json<HandedOver>> {
    let actor = caller.require(Permission::Administer)?;
    Ok(Json(HandedOver { moved: gatehouse_domain::apis::hand_over_all(&state.db, actor, &id, &body.owner).await? }))
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

#[derive(Deserialize, ToSchema)]
pub struct AccountRequest {
    email: String,
    role: Role,
}

/// Add someone's account (admin). The response is the only time its generated first password
/// is shown; the person changes it with `PUT /me/password`.
#[utoipa::path(post, path = "/users", tag = "accounts", request_body = AccountRequest,
    responses((status = 201, body = NewAccount), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_user(
    caller: Caller,
    State(state): State<AppState>,
    Json(body): Json<AccountRequest>,
) -> ApiResult<(StatusCode, Json<NewAccount>)> {
    let actor = caller.require(Permission::Administer)?;
    Ok((StatusCode::CREATED, Json(accounts::add_user(&state.db, actor, &body.email, body.role).await?)))
}

/// Give someone a new generated password (admin), e.g. when they cannot sign in; their sessions
/// end.
#[utoipa::path(post, path = "/users/{id}/password-reset", tag = "accounts",
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = ResetPassword), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reset_password(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ResetPassword>> {
    let actor = caller.require(Permission::Administer)?;
    Ok(Json(accounts::reset_password(&state.db, actor, &id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    current_password: String,
    password: String,
}

/// Change the caller's own password. Every session signed in before ends, except the one this
/// request came with; personal access tokens stay.
#[utoipa::path(put, path = "/me/password", tag = "accounts", request_body = PasswordChange,
    responses((status = 204, description = "Changed"), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn change_password(
    caller: Caller,
    State(state): State<AppState>,
    session: Session,
    connection: Option<Extension<ConnectInfo<SocketAddr>>>,
    Json(body): Json<PasswordChange>,
) -> ApiResult<StatusCode> {
    use app::functions::ssr::{SESSION_USER_KEY, start_session};
    let actor = caller.require(Permission::UsePortal)?;
    let address = connection.map_or_else(|| "unknown".to_string(), |Extension(ConnectInfo(a))| a.ip().to_string());
    let changed_at =
        accounts::change_password(&state.db, &state.throttle, actor, &body.current_password, &body.password, &address)
            .await?;
    // A request made with the session cookie keeps its session; one made with a token has none.
    let signed_in: Option<String> = session.get(SESSION_USER_KEY).await.ok().flatten();
    if signed_in.as_deref() == Some(actor.user_id.as_str()) {
        start_session(&session, &actor.user_id, changed_at).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
