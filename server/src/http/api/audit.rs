//! The audit log.

use crate::http::auth::Caller;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{Json, Query};
use crate::state::AppState;
use axum::extract::State;
use gatehouse_contract::{AuditEntry, AuditQuery, Page, Permission};
use gatehouse_domain::audit;

/// Audit log entries, newest first, narrowed by who, what, to what and when (admin).
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Page<AuditEntry>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn list_audit(
    caller: Caller,
    State(state): State<AppState>,
    Query(query): Query<AuditQuery>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    caller.require(Permission::Administer)?;
    Ok(Json(audit::list(&state.db, &query).await?))
}
