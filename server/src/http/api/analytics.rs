//! Analytics as JSON, CSV and SVG: the same aggregates the dashboards draw, for scripts and
//! external dashboards. Each caller sees only their share (see `Scope`). And alerts on them.

use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use gatehouse_analytics::{alerts, charts, csv, query};
use gatehouse_contract::{Alert, AlertEvent, AnalyticsQuery, NewAlert, Overview, Panel, Permission};
use serde::Deserialize;
use utoipa::IntoParams;

/// Traffic, errors, latency percentiles, top APIs / applications / consumers, groups,
/// operations, status codes and tier consumption for a time range. Publishers and admins see
/// every API, creators their own APIs, consumers their own applications.
#[utoipa::path(get, path = "/analytics/overview", tag = "analytics", params(AnalyticsQuery),
    responses((status = 200, body = Overview), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn overview(
    caller: Caller,
    State(state): State<AppState>,
    Query(q): Query<AnalyticsQuery>,
) -> ApiResult<Json<Overview>> {
    let actor = caller.require(Permission::ViewAnalytics)?;
    Ok(Json(query::overview_for(&state.analytics, actor, &q).await?))
}

fn panel(file: &str, extension: &str) -> Result<Panel, ApiError> {
    file.strip_suffix(extension).and_then(Panel::parse).ok_or_else(|| {
        ApiError::not_found(format!(
            "chart `{file}` (one of {})",
            Panel::ALL.map(|p| format!("{}{extension}", p.as_str())).join(", ")
        ))
    })
}

/// One panel's data as CSV, e.g. `traffic.csv`, `top_apis.csv`.
#[utoipa::path(get, path = "/analytics/csv/{panel}", tag = "analytics", params(("panel" = String, Path, description = "`<panel>.csv`"), AnalyticsQuery),
    responses((status = 200, description = "RFC 4180 CSV", content_type = "text/csv"), (status = 404, body = ErrorBody)))]
pub async fn panel_csv(
    caller: Caller,
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(q): Query<AnalyticsQuery>,
) -> ApiResult<impl IntoResponse> {
    let actor = caller.require(Permission::ViewAnalytics)?;
    let panel = panel(&file, ".csv")?;
    let overview = query::overview_for(&state.analytics, actor, &q).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", file)),
        ],
        csv::render(&overview, panel),
    ))
}

/// One panel drawn as SVG, e.g. `traffic.svg`.
#[utoipa::path(get, path = "/analytics/charts/{panel}", tag = "analytics", params(("panel" = String, Path, description = "`<panel>.svg`"), AnalyticsQuery),
    responses((status = 200, description = "The chart", content_type = "image/svg+xml"), (status = 404, body = ErrorBody)))]
pub async fn panel_svg(
    caller: Caller,
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(q): Query<AnalyticsQuery>,
) -> ApiResult<impl IntoResponse> {
    let actor = caller.require(Permission::ViewAnalytics)?;
    let panel = panel(&file, ".svg")?;
    let overview = query::overview_for(&state.analytics, actor, &q).await?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], charts::render(&overview, panel)))
}

/// The alerts the caller manages and where each stands, firing ones first: publishers and
/// admins every alert, a creator those on their own APIs.
#[utoipa::path(get, path = "/alerts", tag = "analytics", responses((status = 200, body = Vec<Alert>), (status = 403, body = ErrorBody)))]
pub async fn list_alerts(caller: Caller, State(state): State<AppState>) -> ApiResult<Json<Vec<Alert>>> {
    let actor = caller.require(Permission::DesignApis)?;
    Ok(Json(alerts::list(&state.db, actor).await?))
}

/// Define an alert: a metric of one API's traffic (or every API's, publishers only) above or
/// below a threshold over a window of minutes. It is checked at once and then every minute; each time it starts
/// or stops holding, every webhook receives `alert.fired` or `alert.resolved`.
#[utoipa::path(post, path = "/alerts", tag = "analytics", request_body = NewAlert,
    responses((status = 201, body = Alert), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_alert(
    caller: Caller,
    State(state): State<AppState>,
    Json(body): Json<NewAlert>,
) -> ApiResult<(StatusCode, Json<Alert>)> {
    let actor = caller.require(Permission::DesignApis)?;
    Ok((StatusCode::CREATED, Json(alerts::create(&state.analytics, actor, body).await?)))
}

/// Remove an alert; the history of when it fired stays.
#[utoipa::path(delete, path = "/alerts/{id}", tag = "analytics", params(("id" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 404, body = ErrorBody)))]
pub async fn delete_alert(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let actor = caller.require(Permission::DesignApis)?;
    alerts::delete(&state.db, actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// At most this many (1–500, default 100).
    #[serde(default)]
    limit: Option<i64>,
}

/// When alerts fired and resolved, newest first.
#[utoipa::path(get, path = "/alerts/history", tag = "analytics", params(HistoryQuery),
    responses((status = 200, body = Vec<AlertEvent>), (status = 403, body = ErrorBody)))]
pub async fn alert_history(
    caller: Caller,
    State(state): State<AppState>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<Vec<AlertEvent>>> {
    let actor = caller.require(Permission::DesignApis)?;
    Ok(Json(alerts::history(&state.db, actor, q.limit.unwrap_or(100)).await?))
}
