//! APIs: import, list and search, the working copy, form edits, revisions and diffs, the
//! lifecycle, documentation pages and project archives. Every handler checks rights first.

use super::portal::{DefinitionQuery, definition_download};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gatehouse_contract::{
    ApiDetail, ApiDiff, ApiQuery, ApiSettings, ApiSource, ApiSummary, Diagnostic, DocPage, ImportOutcome,
    KeptAnswersPurge, LifecycleRequest, LifecycleState, OperationEdit, Page, Permission, RevisionSummary, Snapshot,
};
use gatehouse_domain::DomainError;
use gatehouse_domain::apis::revisions::{self, Version};
use gatehouse_domain::apis::{self, ImportRequest, docs, edit, lifecycle, project};
use gatehouse_domain::openapi::files::MemoryFiles;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
pub struct ImportParams {
    /// Context to serve the API under, e.g. `/review/v1.0` (default `/<name>/<version>`).
    context: Option<String>,
    /// For a zip: the path of the root document inside it.
    entry: Option<String>,
}

fn is_zip(headers: &HeaderMap, body: &[u8]) -> bool {
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/zip") || v.starts_with("application/x-zip"));
    declared || body.starts_with(b"PK\x03\x04")
}

/// Import a definition: Swagger 2.0, OpenAPI 3.0 or 3.1, JSON or YAML, or a zip of a
/// multi-file definition — or an API project archive (as `/apis/{id}/export` writes it), which
/// brings its settings and pages too. An existing name + version gets a new working copy.
#[utoipa::path(post, path = "/apis/import", tag = "apis", params(ImportParams),
    request_body(content = String, description = "The definition (YAML or JSON), or a zip", content_type = "application/yaml"),
    responses(
        (status = 201, body = ImportOutcome, description = "Created"),
        (status = 200, body = ImportOutcome, description = "Existing API updated"),
        (status = 422, body = ErrorBody, description = "Refused; `details` lists every located error"),
    ))]
pub async fn import_api(
    caller: Caller,
    State(state): State<AppState>,
    Query(params): Query<ImportParams>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ImportOutcome>)> {
    let actor = caller.require(Permission::DesignApis)?;
    let (files, entry) = if is_zip(&headers, &body) {
        let files = MemoryFiles::from_zip(&body).map_err(|e| DomainError::invalid("body", e))?;
        // What Export gives back comes in through the same door, in the browser as in a pipeline.
        if params.entry.is_none() && project::is_project(&files) {
            if params.context.is_some() {
                let message = "a project archive names its own context in api.yaml: leave the context out";
                return Err(DomainError::invalid("context", message).into());
            }
            let outcome = project::import_project(&state.db, actor, &files).await?;
            return Ok((if outcome.updated { StatusCode::OK } else { StatusCode::CREATED }, Json(outcome)));
        }
        let entry = match params.entry {
            Some(entry) => entry,
            None => files.guess_entry().ok_or_else(|| {
                DomainError::invalid("entry", "the zip holds several documents; name the root one with ?entry=<path>")
            })?,
        };
        (files, entry)
    } else {
        if body.is_empty() {
            return Err(DomainError::invalid("body", "send the definition as the request body").into());
        }
        (MemoryFiles::single("definition", body.to_vec()), "definition".to_string())
    };
    let outcome =
        apis::import(&state.db, actor, ImportRequest { files: &files, entry: &entry, context: params.context }).await?;
    let status = if outcome.updated { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(outcome)))
}

#[derive(Deserialize, ToSchema)]
pub struct NewApi {
    name: String,
    version: String,
    context: Option<String>,
    #[serde(default)]
    description: String,
}

/// Start an API from scratch (an empty OpenAPI 3.1 definition); 409 when an API of that name
/// and version exists.
#[utoipa::path(post, path = "/apis", tag = "apis", request_body = NewApi,
    responses((status = 201, body = ImportOutcome), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_api(
    caller: Caller,
    State(state): State<AppState>,
    Json(body): Json<NewApi>,
) -> ApiResult<(StatusCode, Json<ImportOutcome>)> {
    let actor = caller.require(Permission::DesignApis)?;
    let outcome =
        apis::create_blank(&state.db, actor, &body.name, &body.version, body.context, &body.description).await?;
    Ok((StatusCode::CREATED, Json(outcome)))
}

/// The publisher list: filter by state, tag and owner, search, paginate.
#[utoipa::path(get, path = "/apis", tag = "apis", params(ApiQuery), responses((status = 200, body = Page<ApiSummary>)))]
pub async fn list_apis(
    caller: Caller,
    State(state): State<AppState>,
    Query(query): Query<ApiQuery>,
) -> ApiResult<Json<Page<ApiSummary>>> {
    let actor = caller.require(Permission::DesignApis)?;
    Ok(Json(apis::list(&state.db, actor, &query).await?))
}

/// One API's working copy.
#[utoipa::path(get, path = "/apis/{id}", tag = "apis", params(("id" = String, Path)),
    responses((status = 200, body = ApiDetail), (status = 404, body = ErrorBody)))]
pub async fn get_api(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiDetail>> {
    let actor = caller.require(Permission::DesignApis)?;
    Ok(Json(apis::get(&state.db, actor, &id).await?))
}

/// Delete an API version that never went live (CREATED or PROTOTYPED, never deployed, no
/// subscriptions), with its revisions, documents and requests; 409 for one that went live.
#[utoipa::path(delete, path = "/apis/{id}", tag = "apis", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_api(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let actor = caller.require(Permission::DesignApis)?;
    lifecycle::delete(&state.db, actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The working copy's definition as written, with the `edit_version` to save a change with.
#[utoipa::path(get, path = "/apis/{id}/definition", tag = "apis", params(("id" = String, Path)),
    responses((status = 200, body = ApiSource), (status = 404, body = ErrorBody)))]
pub async fn get_definition(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiSource>> {
    let actor = caller.require(Permission::DesignApis)?;
    Ok(Json(apis::source(&state.db, actor, &id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct DefinitionSave {
    /// The whole definition, YAML or JSON.
    source: String,
    /// The `edit_version` the change was made on; a newer one on the server is a 409.
    edit_version: i64,
}

/// Replace the definition (the source view's save).
#[utoipa::path(put, path = "/apis/{id}/definition", tag = "apis", params(("id" = String, Path)), request_body = DefinitionSave,
    responses((status = 200, body = ApiDetail), (status = 409, body = ErrorBody, description = "Saved meanwhile by someone else; says what changed"), (status = 422, body = ErrorBody)))]
pub async fn save_definition(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<DefinitionSave>,
) -> ApiResult<Json<ApiDetail>> {
    let actor = caller.require(Permission::DesignApis)?;
    Ok(Json(apis::save_source(&state.db, actor, &id, &body.source, body.edit_version).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct SettingsSave {
    #[serde(flatten)]
    settings: ApiSettings,
    edit_version: i64,
}

/// Save context, description, tags, visibility, endpoints and policies.
#[utoipa::path(put, path = "/apis/{id}/settings", tag = "apis", params(("id" = String, Path)), request_body = SettingsSave,
    responses((status = 200, body = ApiDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_settings(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<SettingsSave>,
) -> ApiResult<Json<ApiDetail>> {
    let actor = caller.require(Permission::DesignApis)?;
    Ok(Json(apis::save_settings(&state.db, actor, &id, body.settings, body.edit_version).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct OwnerChange {
    /// The email of the account that takes the API over (a creator, publisher or admin).
    owner: String,
    /// Every version of the API its owner holds (but retired ones), not only this one.
    #[serde(default)]
    all_versions: bool,
}

/// Hand the API — this version, or every version its owner holds — to another account (its
/// owner or a publisher may).
#[utoipa::path(put, path = "/apis/{id}/owner", tag = "apis", params(("id" = String, Path)), request_body = OwnerChange,
    responses((status = 200, body = ApiDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn transfer_ownership(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<OwnerChange>,
) -> ApiResult<Json<ApiDetail>> {
    let actor = caller.require(Permission::DesignApis)?;
    Ok(Json(apis::transfer_ownership(&state.db, actor, &id, &body.owner, body.all_versions).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct PurgeParams {
    /// Only the answers under this path, as callers call it after the API's context
    /// (`/pets/7`: that pet's, whatever the query, and those below it); none, all of them.
    path: Option<String>,
}

/// Purge the API's kept answers: its gateways drop the GET answers they keep for it (see
/// `policies.cache_seconds`) — all, or those under `path` — within a second or two, with no
/// release, and ask its backend again (its owner or a publisher may).
#[utoipa::path(delete, path = "/apis/{id}/kept-answers", tag = "apis", params(("id" = String, Path), PurgeParams),
    responses((status = 200, body = KeptAnswersPurge), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn purge_kept_answers(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<PurgeParams>,
) -> ApiResult<Json<KeptAnswersPurge>> {
    let actor = caller.require(Permission::DesignApis)?;
    Ok(Json(apis::kept_answers::purge(&state.db, actor, &id, params.path.as_deref()).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct OperationChange {
    edit: OperationEdit,
    edit_version: i64,
}

/// Add, remove or update one operation (the form view).
#[utoipa::path(post, path = "/apis/{id}/operations", tag = "apis", params(("id" = String, Path)), request_body = OperationChange,
    responses((status = 200, body = ApiDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit_operation(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<OperationChange>,
) -> ApiResult<Json<ApiDetail>> {
    let actor = caller.require(Permission::DesignApis)?;
    Ok(Json(edit::edit_operation(&state.db, actor, &id, &body.edit, body.edit_version).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct Conversion {
    /// The `edit_version` the conversion was asked on; a newer one on the server is a 409.
    edit_version: i64,
}

/// Rewrite a Swagger 2.0 working copy as OpenAPI 3.0 (the form view edits only OpenAPI 3);
/// revisions already cut keep their Swagger 2.0. 422 when the definition is OpenAPI 3 already.
#[utoipa::path(post, path = "/apis/{id}/definition/convert", tag = "apis", params(("id" = String, Path)), request_body = Conversion,
    responses((status = 200, body = ApiDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn convert_definition(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<Conversion>,
) -> ApiResult<Json<ApiDetail>> {
    let actor = caller.require(Permission::DesignApis)?;
    Ok(Json(edit::convert_to_openapi3(&state.db, actor, &id, body.edit_version).await?))
}

#[derive(Serialize, ToSchema)]
pub struct Validation {
    /// Empty when the definition can be served.
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

/// Check a definition without storing it (the editor validates as you type).
#[utoipa::path(post, path = "/apis/validate", tag = "apis",
    request_body(content = String, content_type = "application/yaml"), responses((status = 200, body = Validation)))]
pub async fn validate(caller: Caller, body: String) -> ApiResult<Json<Validation>> {
    caller.require(Permission::DesignApis)?;
    Ok(Json(match apis::validate_source(&body) {
        Ok(warnings) => Validation { errors: vec![], warnings },
        Err(errors) => Validation { errors, warnings: vec![] },
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct NewVersion {
    version: String,
    context: Option<String>,
}

/// Copy an API (definition, endpoints, policies, docs) to a new version.
#[utoipa::path(post, path = "/apis/{id}/versions", tag = "apis", params(("id" = String, Path)), request_body = NewVersion,
    responses((status = 201, body = ImportOutcome), (status = 409, body = ErrorBody)))]
pub async fn new_version(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<NewVersion>,
) -> ApiResult<(StatusCode, Json<ImportOutcome>)> {
    let actor = caller.require(Permission::DesignApis)?;
    Ok((StatusCode::CREATED, Json(apis::new_version(&state.db, actor, &id, &body.version, body.context).await?)))
}

/// The API's revisions, newest first.
#[utoipa::path(get, path = "/apis/{id}/revisions", tag = "revisions", params(("id" = String, Path)),
    responses((status = 200, body = Vec<RevisionSummary>)))]
pub async fn list_revisions(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<RevisionSummary>>> {
    caller.require(Permission::DesignApis)?;
    apis::get(&state.db, &caller.0, &id).await?;
    Ok(Json(revisions::list(&state.db, &id).await?))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct RevisionRequest {
    #[serde(default)]
    note: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct RevisionCreated {
    pub number: i64,
}

/// Freeze the working copy as the next numbered revision.
#[utoipa::path(post, path = "/apis/{id}/revisions", tag = "revisions", params(("id" = String, Path)), request_body = RevisionRequest,
    responses((status = 201, body = RevisionCreated), (status = 403, body = ErrorBody)))]
pub async fn create_revision(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Option<Json<RevisionRequest>>,
) -> ApiResult<(StatusCode, Json<RevisionCreated>)> {
    let actor = caller.require(Permission::DesignApis)?;
    let note = body.map(|Json(b)| b.note).unwrap_or_default();
    let number = revisions::create(&state.db, actor, &id, &note).await?;
    Ok((StatusCode::CREATED, Json(RevisionCreated { number })))
}

/// One revision's snapshot.
#[utoipa::path(get, path = "/apis/{id}/revisions/{number}", tag = "revisions", params(("id" = String, Path), ("number" = i64, Path)),
    responses((status = 200, body = Snapshot), (status = 404, body = ErrorBody)))]
pub async fn get_revision(
    caller: Caller,
    State(state): State<AppState>,
    Path((id, number)): Path<(String, i64)>,
) -> ApiResult<Json<Snapshot>> {
    caller.require(Permission::DesignApis)?;
    apis::get(&state.db, &caller.0, &id).await?;
    Ok(Json(revisions::snapshot(&state.db, &id, number).await?))
}

/// One revision's definition, self-contained, YAML or JSON: what a reviewer reads.
#[utoipa::path(get, path = "/apis/{id}/revisions/{number}/definition", tag = "revisions", params(("id" = String, Path), ("number" = i64, Path), DefinitionQuery),
    responses((status = 200, description = "The definition", content_type = "application/yaml"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn revision_definition(
    caller: Caller,
    State(state): State<AppState>,
    Path((id, number)): Path<(String, i64)>,
    Query(query): Query<DefinitionQuery>,
) -> ApiResult<Response> {
    let actor = caller.require(Permission::DesignApis)?;
    let format = query.format()?;
    let text = revisions::definition(&state.db, actor, &id, number, format).await?;
    definition_download(text, format, &format!("revision-{number}"))
}

#[derive(Deserialize, IntoParams)]
pub struct DiffParams {
    /// A revision number, or `working` (default: the newest revision).
    from: Option<String>,
    /// A revision number, or `working` (default).
    to: Option<String>,
}

/// The semantic diff between two revisions (or a revision and the working copy).
#[utoipa::path(get, path = "/apis/{id}/diff", tag = "revisions", params(("id" = String, Path), DiffParams),
    responses((status = 200, body = ApiDiff), (status = 404, body = ErrorBody)))]
pub async fn diff(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<DiffParams>,
) -> ApiResult<Json<ApiDiff>> {
    let actor = caller.require(Permission::DesignApis)?;
    let from = match params.from {
        Some(f) => f.parse::<Version>()?,
        None => match revisions::list(&state.db, &id).await?.first() {
            Some(r) => Version::Revision(r.number),
            None => return Err(DomainError::NotFound("a revision to compare with".into()).into()),
        },
    };
    let to = params.to.map(|t| t.parse::<Version>()).transpose()?.unwrap_or(Version::Working);
    Ok(Json(revisions::compare(&state.db, actor, &id, from, to).await?))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct LifecycleOutcome {
    pub state: LifecycleState,
}

/// Move the API through its lifecycle. `deprecate` and `retire` need `"confirm": true`.
#[utoipa::path(post, path = "/apis/{id}/lifecycle", tag = "apis", params(("id" = String, Path)), request_body = LifecycleRequest,
    responses((status = 200, body = LifecycleOutcome), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_lifecycle(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<LifecycleRequest>,
) -> ApiResult<Json<LifecycleOutcome>> {
    let actor = caller.require(Permission::DesignApis)?;
    Ok(Json(LifecycleOutcome { state: lifecycle::change(&state.db, actor, &id, &body).await? }))
}

/// The working copy's documentation pages (the portal shows the live revision's).
#[utoipa::path(get, path = "/apis/{id}/docs", tag = "docs", params(("id" = String, Path)), responses((status = 200, body = Vec<DocPage>)))]
pub async fn list_docs(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<DocPage>>> {
    caller.require(Permission::DesignApis)?;
    apis::get(&state.db, &caller.0, &id).await?;
    Ok(Json(docs::list(&state.db, &id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct DocSave {
    title: String,
    markdown: String,
}

/// Create or replace a documentation page (Markdown; rendered sanitized). Pages are part of
/// the working copy: the next revision carries them to the portal.
#[utoipa::path(put, path = "/apis/{id}/docs/{slug}", tag = "docs", params(("id" = String, Path), ("slug" = String, Path)), request_body = DocSave,
    responses((status = 200, body = DocPage), (status = 422, body = ErrorBody)))]
pub async fn save_doc(
    caller: Caller,
    State(state): State<AppState>,
    Path((id, slug)): Path<(String, String)>,
    Json(body): Json<DocSave>,
) -> ApiResult<Json<DocPage>> {
    let actor = caller.require(Permission::DesignApis)?;
    Ok(Json(docs::save(&state.db, actor, &id, Some(&slug), &body.title, &body.markdown).await?))
}

/// Delete a documentation page.
#[utoipa::path(delete, path = "/apis/{id}/docs/{slug}", tag = "docs", params(("id" = String, Path), ("slug" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)))]
pub async fn delete_doc(
    caller: Caller,
    State(state): State<AppState>,
    Path((id, slug)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let actor = caller.require(Permission::DesignApis)?;
    docs::delete(&state.db, actor, &id, &slug).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The API project archive (api.yaml + definition + docs/), as `gatehouse api export` writes it.
#[utoipa::path(get, path = "/apis/{id}/export", tag = "apis", params(("id" = String, Path)),
    responses((status = 200, description = "zip archive", content_type = "application/zip")))]
pub async fn export_api(caller: Caller, State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let actor = caller.require(Permission::DesignApis)?;
    let (name, bytes) = project::export(&state.db, actor, &id).await?;
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "bad file name"))?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/zip")),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// Import an API project archive; an existing name + version is updated.
#[utoipa::path(post, path = "/apis/import-project", tag = "apis",
    request_body(content = Vec<u8>, content_type = "application/zip"),
    responses((status = 201, body = ImportOutcome), (status = 200, body = ImportOutcome), (status = 422, body = ErrorBody)))]
pub async fn import_project(
    caller: Caller,
    State(state): State<AppState>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ImportOutcome>)> {
    let actor = caller.require(Permission::DesignApis)?;
    let outcome = project::import_archive(&state.db, actor, &body).await?;
    Ok((if outcome.updated { StatusCode::OK } else { StatusCode::CREATED }, Json(outcome)))
}
