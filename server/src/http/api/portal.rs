//! The developer portal's read side: public for public APIs, anyone signed in for the rest.

use crate::http::auth::{Caller, MaybeCaller};
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gatehouse_contract::{
    ApiSummary, Page, Permission, PortalApi, PortalOperation, SourceFormat, TryRequest, TryResponse,
};
use gatehouse_domain::{DomainError, portal};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
pub struct CatalogQuery {
    /// Words to find in names, descriptions, tags, operation paths and summaries; the APIs
    /// whose name holds the most of them come first.
    #[serde(default)]
    q: String,
    tag: Option<String>,
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
}

fn default_limit() -> i64 {
    24
}

/// The catalog of published (and prototyped, deprecated) APIs the caller may see.
#[utoipa::path(get, path = "/portal/apis", tag = "portal", params(CatalogQuery), security((), ("bearer" = []), ("session" = [])),
    responses((status = 200, body = Page<ApiSummary>)))]
pub async fn catalog(
    MaybeCaller(viewer): MaybeCaller,
    State(state): State<AppState>,
    Query(query): Query<CatalogQuery>,
) -> ApiResult<Json<Page<ApiSummary>>> {
    Ok(Json(portal::catalog(&state.db, viewer.as_ref(), &query.q, query.tag, query.limit, query.offset).await?))
}

/// One API's portal page: overview, docs, reference model, versions, endpoints.
#[utoipa::path(get, path = "/portal/apis/{id}", tag = "portal", params(("id" = String, Path)), security((), ("bearer" = []), ("session" = [])),
    responses((status = 200, body = PortalApi), (status = 404, body = ErrorBody)))]
pub async fn api(
    MaybeCaller(viewer): MaybeCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<PortalApi>> {
    Ok(Json(portal::api(&state.db, viewer.as_ref(), &id).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct OperationQuery {
    /// The operation's HTTP method.
    method: String,
    /// Its resource template, as the reference shows it: `/pets/{petId}`.
    path: String,
}

/// One operation of an API's reference with the named schemas it reaches: what the portal loads
/// when an operation of a large API is opened.
#[utoipa::path(get, path = "/portal/apis/{id}/operation", tag = "portal", params(("id" = String, Path), OperationQuery), security((), ("bearer" = []), ("session" = [])),
    responses((status = 200, body = PortalOperation), (status = 404, body = ErrorBody)))]
pub async fn operation(
    MaybeCaller(viewer): MaybeCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<OperationQuery>,
) -> ApiResult<Json<PortalOperation>> {
    let key = format!("{} {}", query.method.to_ascii_uppercase(), query.path);
    Ok(Json(portal::operation(&state.db, viewer.as_ref(), &id, &key).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct DefinitionQuery {
    /// yaml (default) or json.
    format: Option<String>,
}

impl DefinitionQuery {
    /// The format asked for; another word than yaml or json is refused, not taken for YAML.
    pub(super) fn format(&self) -> Result<SourceFormat, ApiError> {
        match self.format.as_deref() {
            None | Some("yaml") => Ok(SourceFormat::Yaml),
            Some("json") => Ok(SourceFormat::Json),
            Some(other) => Err(DomainError::invalid("format", format!("`{other}` is not yaml or json")).into()),
        }
    }
}

/// A definition as a download named `<name>.yaml` or `<name>.json`.
pub(super) fn definition_download(text: String, format: SourceFormat, name: &str) -> ApiResult<Response> {
    let (kind, extension) = match format {
        SourceFormat::Json => ("application/json", "json"),
        SourceFormat::Yaml => ("application/yaml", "yaml"),
    };
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}.{extension}\""))
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "bad header"))?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(kind)), (header::CONTENT_DISPOSITION, disposition)], text)
        .into_response())
}

/// Download an API's definition (self-contained, YAML or JSON).
#[utoipa::path(get, path = "/portal/apis/{id}/definition", tag = "portal", params(("id" = String, Path), DefinitionQuery), security((), ("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The definition", content_type = "application/yaml"), (status = 404, body = ErrorBody)))]
pub async fn definition(
    MaybeCaller(viewer): MaybeCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<DefinitionQuery>,
) -> ApiResult<Response> {
    let format = query.format()?;
    definition_download(portal::definition(&state.db, viewer.as_ref(), &id, format).await?, format, "openapi")
}

/// Send one request to an API through its group's local gateway with a fresh token of one of
/// the caller's applications (the portal's try-it console), and return what came back.
#[utoipa::path(post, path = "/portal/try", tag = "portal", request_body = TryRequest,
    responses((status = 200, body = TryResponse), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn try_operation(
    caller: Caller,
    State(state): State<AppState>,
    Json(body): Json<TryRequest>,
) -> ApiResult<Json<TryResponse>> {
    let actor = caller.require(Permission::UsePortal)?;
    Ok(Json(gatehouse_domain::portal::try_operation(&state.db, actor, &state.issuer(), &body).await?))
}
