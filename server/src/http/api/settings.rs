//! What admins change while Gatehouse runs.

use crate::http::auth::Caller;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::Json;
use crate::state::AppState;
use axum::extract::State;
use gatehouse_contract::{Permission, Settings};
use gatehouse_domain::settings;

/// Every setting (admin), with defaults where none was saved.
#[utoipa::path(get, path = "/settings", tag = "settings",
    responses((status = 200, body = Settings), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn get_settings(caller: Caller, State(state): State<AppState>) -> ApiResult<Json<Settings>> {
    let actor = caller.require(Permission::Administer)?;
    Ok(Json(settings::get(&state.db, actor).await?))
}

/// Save every setting (admin); the answer is what was saved (domains normalised).
#[utoipa::path(put, path = "/settings", tag = "settings", request_body = Settings,
    responses((status = 200, body = Settings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_settings(
    caller: Caller,
    State(state): State<AppState>,
    Json(body): Json<Settings>,
) -> ApiResult<Json<Settings>> {
    let actor = caller.require(Permission::Administer)?;
    Ok(Json(settings::update(&state.db, actor, body).await?))
}
