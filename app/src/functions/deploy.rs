//! Server functions of groups, approvals and deployments: check rights, call the domain once.

use crate::AppError;
use gatehouse_contract::{
    Approval, ApprovalOutcome, ApprovalStatus, Deployment, GatewayGroup, GroupSummary, GroupUpdate, Route,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server]
pub async fn list_groups() -> Result<Vec<GroupSummary>, AppError> {
    use super::ssr::{context, require};
    require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(gatehouse_domain::groups::list(&context()?.db).await?)
}

#[server(input = Json)]
pub async fn create_group(group: GatewayGroup) -> Result<GatewayGroup, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::ReviewApis).await?;
    Ok(gatehouse_domain::groups::create(&context()?.db, &actor, group).await?)
}

/// Change a group's settings (its name stays) and release them to what runs.
#[server(input = Json)]
pub async fn update_group(name: String, group: GatewayGroup) -> Result<GroupUpdate, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::ReviewApis).await?;
    Ok(context()?.deployer.update_group(&actor, &name, group).await?)
}

#[server]
pub async fn assign_group(api_id: String, group: String) -> Result<(), AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(gatehouse_domain::groups::assign(&context()?.db, &actor, &api_id, &group).await?)
}

#[server]
pub async fn submit_revision(api_id: String, revision: i64, note: String) -> Result<String, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(context()?.deployer.submit(&actor, &api_id, revision, &note).await?)
}

#[server(input = Json)]
pub async fn list_approvals(status: Option<ApprovalStatus>, api_id: Option<String>) -> Result<Vec<Approval>, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(context()?.deployer.approvals(&actor, status, api_id.as_deref()).await?)
}

/// How many requests wait for the caller's decision, or `None` for a caller who does not review
/// (anyone but a publisher or admin).
#[server]
pub async fn awaiting_review() -> Result<Option<i64>, AppError> {
    use super::ssr::{context, permitted};
    let Some(actor) = permitted(gatehouse_contract::Permission::ReviewApis).await? else {
        return Ok(None);
    };
    Ok(Some(context()?.deployer.awaiting(&actor).await?))
}

#[server]
pub async fn approve_request(id: String, comment: String) -> Result<ApprovalOutcome, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::ReviewApis).await?;
    Ok(context()?.deployer.approve(&actor, &id, &comment).await?)
}

#[server]
pub async fn reject_request(id: String, comment: String) -> Result<(), AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::ReviewApis).await?;
    Ok(context()?.deployer.reject(&actor, &id, &comment).await?)
}

#[server]
pub async fn list_deployments(group: String, api_id: String) -> Result<Vec<Deployment>, AppError> {
    use super::ssr::{context, require};
    require(gatehouse_contract::Permission::DesignApis).await?;
    let (group, api_id) = (Some(group).filter(|g| !g.is_empty()), Some(api_id).filter(|a| !a.is_empty()));
    Ok(context()?.deployer.deployments(group.as_deref(), api_id.as_deref()).await?)
}

#[server]
pub async fn rollback(group: String, api_id: String, revision: i64) -> Result<Deployment, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::ReviewApis).await?;
    Ok(context()?.deployer.rollback(&actor, &group, &api_id, revision).await?)
}

#[server]
pub async fn routing_table() -> Result<Vec<Route>, AppError> {
    use super::ssr::{context, require};
    require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(context()?.deployer.routing().await?)
}

#[server]
pub async fn load_gateway_instances(group: String) -> Result<Vec<gatehouse_contract::GatewayInstance>, AppError> {
    use super::ssr::{context, require};
    require(gatehouse_contract::Permission::DesignApis).await?;
    let db = &context()?.db;
    gatehouse_domain::groups::get(db, &group).await?;
    Ok(gatehouse_domain::gateways::instances(db, &group).await?)
}

#[server]
pub async fn list_gateway_credentials(group: String) -> Result<Vec<gatehouse_contract::GatewayCredential>, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::ReviewApis).await?;
    Ok(gatehouse_domain::gateways::credentials(&context()?.db, &actor, &group).await?)
}

#[server]
pub async fn revoke_gateway_credential(group: String, id: String) -> Result<(), AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::ReviewApis).await?;
    Ok(gatehouse_domain::gateways::revoke_credential(&context()?.db, &actor, &group, &id).await?)
}

#[server]
pub async fn create_gateway_credential(group: String) -> Result<gatehouse_contract::NewGatewayCredential, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::ReviewApis).await?;
    let context = context()?;
    Ok(gatehouse_domain::gateways::create_credential(&context.db, &actor, &group, context.public_origin.as_deref())
        .await?)
}

#[server]
pub async fn gitops_status() -> Result<gatehouse_contract::GitOpsStatus, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(context()?.deployer.gitops_status(&actor).await?)
}

#[server]
pub async fn push_gitops() -> Result<gatehouse_contract::GitOpsStatus, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::ReviewApis).await?;
    Ok(context()?.deployer.push_now(&actor).await?)
}
