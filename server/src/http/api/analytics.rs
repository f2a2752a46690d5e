//! Analytics as JSON, CSV and SVG: the same aggregates the dashboards draw, for scripts and
//! external dashboards. Each caller sees only their share (see `Scope`).

use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use gatehouse_analytics::{charts, csv, query};
use gatehouse_contract::{AnalyticsQuery, Overview, Panel, Permission};

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
