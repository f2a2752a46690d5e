//! Gateway groups, approval requests, deployments and rollback, the routing table, webhooks.

use crate::http::auth::Caller;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use gatehouse_contract::{
    Approval, ApprovalOutcome, ApprovalStatus, Deployment, GatewayGroup, GitOpsStatus, GroupSummary, GroupUpdate,
    NewWebhook, Permission, Route, Webhook, WebhookDelivery, WebhookRequest,
};
use gatehouse_domain::deploy::webhooks;
use gatehouse_domain::groups;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Every gateway group with its APIs and newest release tag.
#[utoipa::path(get, path = "/gateway-groups", tag = "deployment", responses((status = 200, body = Vec<GroupSummary>)))]
pub async fn list_groups(caller: Caller, State(state): State<AppState>) -> ApiResult<Json<Vec<GroupSummary>>> {
    caller.require(Permission::DesignApis)?;
    Ok(Json(groups::list(&state.db).await?))
}

/// Create a gateway group (publisher/admin). `port` defaults to the next free one from 8081.
#[utoipa::path(post, path = "/gateway-groups", tag = "deployment", request_body = GatewayGroup,
    responses((status = 201, body = GatewayGroup), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_group(
    caller: Caller,
    State(state): State<AppState>,
    Json(body): Json<GatewayGroup>,
) -> ApiResult<(StatusCode, Json<GatewayGroup>)> {
    let actor = caller.require(Permission::ReviewApis)?;
    Ok((StatusCode::CREATED, Json(groups::create(&state.db, actor, body).await?)))
}

/// One group.
#[utoipa::path(get, path = "/gateway-groups/{name}", tag = "deployment", params(("name" = String, Path)),
    responses((status = 200, body = GatewayGroup), (status = 404, body = ErrorBody)))]
pub async fn get_group(
    caller: Caller,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<GatewayGroup>> {
    caller.require(Permission::DesignApis)?;
    Ok(Json(groups::get(&state.db, &name).await?))
}

/// Change a group's settings. Once the group has a release, a change to its manifests is
/// released at once (`release`: a deployment of kind `settings`, tagged like an approval).
#[utoipa::path(put, path = "/gateway-groups/{name}", tag = "deployment", params(("name" = String, Path)), request_body = GatewayGroup,
    responses((status = 200, body = GroupUpdate), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_group(
    caller: Caller,
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(body): Json<GatewayGroup>,
) -> ApiResult<Json<GroupUpdate>> {
    let actor = caller.require(Permission::ReviewApis)?;
    Ok(Json(state.deployer.update_group(actor, &name, body).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct GroupAssignment {
    group: String,
}

/// Put an API in a gateway group (one group at a time).
#[utoipa::path(put, path = "/apis/{id}/group", tag = "deployment", params(("id" = String, Path)), request_body = GroupAssignment,
    responses((status = 204, description = "Assigned"), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign_group(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<GroupAssignment>,
) -> ApiResult<StatusCode> {
    let actor = caller.require(Permission::DesignApis)?;
    groups::assign(&state.db, actor, &id, &body.group).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
pub struct ApprovalQuery {
    /// pending, approved or rejected.
    status: Option<ApprovalStatus>,
    api_id: Option<String>,
}

/// Approval requests with their diff against what is live in the group.
#[utoipa::path(get, path = "/approvals", tag = "deployment", params(ApprovalQuery), responses((status = 200, body = Vec<Approval>)))]
pub async fn list_approvals(
    caller: Caller,
    State(state): State<AppState>,
    Query(query): Query<ApprovalQuery>,
) -> ApiResult<Json<Vec<Approval>>> {
    let actor = caller.require(Permission::DesignApis)?;
    Ok(Json(state.deployer.approvals(actor, query.status, query.api_id.as_deref()).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct ApprovalRequest {
    api_id: String,
    revision: i64,
    #[serde(default)]
    note: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct Created {
    pub id: String,
}

/// Submit a revision of an API for review, to be deployed to the API's group.
#[utoipa::path(post, path = "/approvals", tag = "deployment", request_body = ApprovalRequest,
    responses((status = 201, body = Created), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit(
    caller: Caller,
    State(state): State<AppState>,
    Json(body): Json<ApprovalRequest>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let actor = caller.require(Permission::DesignApis)?;
    let id = state.deployer.submit(actor, &body.api_id, body.revision, &body.note).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct Decision {
    #[serde(default)]
    comment: String,
}

/// Approve a request: a revision is deployed (bundle, manifests, GitOps commit and tag), a
/// subscription becomes active. Nobody approves their own request.
#[utoipa::path(post, path = "/approvals/{id}/approve", tag = "deployment", params(("id" = String, Path)), request_body = Decision,
    responses((status = 200, body = ApprovalOutcome), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn approve(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Option<Json<Decision>>,
) -> ApiResult<Json<ApprovalOutcome>> {
    let actor = caller.require(Permission::ReviewApis)?;
    let comment = body.map(|Json(d)| d.comment).unwrap_or_default();
    Ok(Json(state.deployer.approve(actor, &id, &comment).await?))
}

/// Reject a request, saying why.
#[utoipa::path(post, path = "/approvals/{id}/reject", tag = "deployment", params(("id" = String, Path)), request_body = Decision,
    responses((status = 204, description = "Rejected"), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reject(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Option<Json<Decision>>,
) -> ApiResult<StatusCode> {
    let actor = caller.require(Permission::ReviewApis)?;
    let comment = body.map(|Json(d)| d.comment).unwrap_or_default();
    state.deployer.reject(actor, &id, &comment).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
pub struct DeploymentQuery {
    group: Option<String>,
    api_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Deployments {
    items: Vec<Deployment>,
}

/// Deployments, newest first, with status, steps and tag.
#[utoipa::path(get, path = "/deployments", tag = "deployment", params(DeploymentQuery), responses((status = 200, body = Deployments)))]
pub async fn list_deployments(
    caller: Caller,
    State(state): State<AppState>,
    Query(query): Query<DeploymentQuery>,
) -> ApiResult<Json<Deployments>> {
    caller.require(Permission::DesignApis)?;
    Ok(Json(Deployments { items: state.deployer.deployments(query.group.as_deref(), query.api_id.as_deref()).await? }))
}

/// One deployment.
#[utoipa::path(get, path = "/deployments/{id}", tag = "deployment", params(("id" = String, Path)),
    responses((status = 200, body = Deployment), (status = 404, body = ErrorBody)))]
pub async fn get_deployment(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Deployment>> {
    caller.require(Permission::DesignApis)?;
    Ok(Json(state.deployer.deployment(&id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct Rollback {
    group: String,
    api_id: String,
    revision: i64,
}

/// Redeploy an earlier revision: a new deployment and a new tag; history is never rewritten.
#[utoipa::path(post, path = "/deployments/rollback", tag = "deployment", request_body = Rollback,
    responses((status = 200, body = Deployment), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn rollback(
    caller: Caller,
    State(state): State<AppState>,
    Json(body): Json<Rollback>,
) -> ApiResult<Json<Deployment>> {
    let actor = caller.require(Permission::ReviewApis)?;
    Ok(Json(state.deployer.rollback(actor, &body.group, &body.api_id, body.revision).await?))
}

/// The ingress table across groups: host, context → group → gateway Service.
#[utoipa::path(get, path = "/routing", tag = "deployment", responses((status = 200, body = Vec<Route>)))]
pub async fn routing(caller: Caller, State(state): State<AppState>) -> ApiResult<Json<Vec<Route>>> {
    caller.require(Permission::DesignApis)?;
    Ok(Json(state.deployer.routing().await?))
}

/// The GitOps repository, the remote its releases are pushed to, and the release tags that
/// have not reached the remote yet with why the last push failed.
#[utoipa::path(get, path = "/gitops", tag = "deployment", responses((status = 200, body = GitOpsStatus)))]
pub async fn gitops(caller: Caller, State(state): State<AppState>) -> ApiResult<Json<GitOpsStatus>> {
    let actor = caller.require(Permission::DesignApis)?;
    Ok(Json(state.deployer.gitops_status(actor).await?))
}

/// Push the releases waiting for the GitOps remote now, rather than at the next retry.
#[utoipa::path(post, path = "/gitops/push", tag = "deployment",
    responses((status = 200, body = GitOpsStatus), (status = 403, body = ErrorBody),
        (status = 409, description = "No remote is configured", body = ErrorBody),
        (status = 502, description = "The remote refused or did not answer; the message says what it said", body = ErrorBody)))]
pub async fn push_gitops(caller: Caller, State(state): State<AppState>) -> ApiResult<Json<GitOpsStatus>> {
    let actor = caller.require(Permission::ReviewApis)?;
    Ok(Json(state.deployer.push_now(actor).await?))
}

/// Configured webhooks (admin).
#[utoipa::path(get, path = "/webhooks", tag = "deployment", responses((status = 200, body = Vec<Webhook>)))]
pub async fn list_webhooks(caller: Caller, State(state): State<AppState>) -> ApiResult<Json<Vec<Webhook>>> {
    caller.require(Permission::Administer)?;
    Ok(Json(webhooks::list(&state.db).await?))
}

/// Add a webhook; the events it names (every event when none are named) are POSTed to it,
/// signed with HMAC-SHA256. The secret is shown only in this answer.
#[utoipa::path(post, path = "/webhooks", tag = "deployment", request_body = WebhookRequest,
    responses((status = 201, body = NewWebhook), (status = 422, body = ErrorBody)))]
pub async fn create_webhook(
    caller: Caller,
    State(state): State<AppState>,
    Json(body): Json<WebhookRequest>,
) -> ApiResult<(StatusCode, Json<NewWebhook>)> {
    let actor = caller.require(Permission::Administer)?;
    Ok((StatusCode::CREATED, Json(webhooks::create(&state.db, actor, &body).await?)))
}

/// Send a test `ping` to one webhook; the answer is the queued delivery, sent within a second.
#[utoipa::path(post, path = "/webhooks/{id}/ping", tag = "deployment", params(("id" = String, Path)),
    responses((status = 202, body = WebhookDelivery), (status = 404, body = ErrorBody)))]
pub async fn ping_webhook(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<WebhookDelivery>)> {
    let actor = caller.require(Permission::Administer)?;
    Ok((StatusCode::ACCEPTED, Json(webhooks::ping(&state.db, actor, &id).await?)))
}

/// Send a delivered or failed delivery's payload again, as a new delivery.
#[utoipa::path(post, path = "/webhooks/deliveries/{id}/redeliver", tag = "deployment", params(("id" = String, Path)),
    responses((status = 202, body = WebhookDelivery), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn redeliver_webhook(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<WebhookDelivery>)> {
    let actor = caller.require(Permission::Administer)?;
    Ok((StatusCode::ACCEPTED, Json(webhooks::redeliver(&state.db, actor, &id).await?)))
}

/// Remove a webhook.
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "deployment", params(("id" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 404, body = ErrorBody)))]
pub async fn delete_webhook(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let actor = caller.require(Permission::Administer)?;
    webhooks::delete(&state.db, actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
pub struct DeliveryQuery {
    /// Only this webhook's deliveries.
    webhook: Option<String>,
    /// pending, delivered or failed.
    status: Option<String>,
    /// At most this many (1–500; 100 by default).
    limit: Option<i64>,
}

/// Recent webhook deliveries and their outcome, newest first.
#[utoipa::path(get, path = "/webhooks/deliveries", tag = "deployment", params(DeliveryQuery),
    responses((status = 200, body = Vec<WebhookDelivery>), (status = 422, body = ErrorBody)))]
pub async fn list_deliveries(
    caller: Caller,
    State(state): State<AppState>,
    Query(q): Query<DeliveryQuery>,
) -> ApiResult<Json<Vec<WebhookDelivery>>> {
    caller.require(Permission::Administer)?;
    let limit = q.limit.unwrap_or(100);
    Ok(Json(webhooks::deliveries(&state.db, q.webhook.as_deref(), q.status.as_deref(), limit).await?))
}

#[derive(Serialize, ToSchema)]
pub struct Rotated {
    /// The new signing key's id.
    kid: String,
}

/// Rotate the token signing key now (admin). The old key stays published until its last
/// token has expired.
#[utoipa::path(post, path = "/keys/rotate", tag = "applications", responses((status = 200, body = Rotated), (status = 403, body = ErrorBody)))]
pub async fn rotate_keys(caller: Caller, State(state): State<AppState>) -> ApiResult<Json<Rotated>> {
    let actor = caller.require(Permission::Administer)?;
    Ok(Json(Rotated { kid: gatehouse_domain::keys::rotate(&state.db, Some(actor)).await? }))
}
