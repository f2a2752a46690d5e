//! Server functions of a consumer's applications and credentials.

use crate::AppError;
use gatehouse_contract::{Application, NewApiKey, NewClientSecret, NewWebhook, WebhookDelivery};
use leptos::prelude::*;

#[server]
pub async fn list_applications() -> Result<Vec<Application>, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::UsePortal).await?;
    Ok(gatehouse_domain::applications::list(&context()?.db, &actor).await?)
}

#[server]
pub async fn create_application(name: String, description: String) -> Result<Application, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::UsePortal).await?;
    Ok(gatehouse_domain::applications::create(&context()?.db, &actor, &name, &description).await?)
}

#[server]
pub async fn rename_application(id: String, name: String) -> Result<Application, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::UsePortal).await?;
    Ok(gatehouse_domain::applications::rename(&context()?.db, &actor, &id, &name).await?)
}

#[server]
pub async fn delete_application(id: String) -> Result<(), AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::UsePortal).await?;
    Ok(gatehouse_domain::applications::delete(&context()?.db, &actor, &id).await?)
}

/// `keep_previous_seconds`: how long a regenerated secret's predecessor keeps working.
#[server]
pub async fn generate_client_secret(
    id: String,
    key_type: String,
    keep_previous_seconds: u32,
) -> Result<NewClientSecret, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::UsePortal).await?;
    let db = &context()?.db;
    Ok(gatehouse_domain::applications::client_secret(db, &actor, &id, &key_type, keep_previous_seconds).await?)
}

#[server]
pub async fn create_api_key(id: String, key_type: String) -> Result<NewApiKey, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::UsePortal).await?;
    Ok(gatehouse_domain::applications::api_key(&context()?.db, &actor, &id, &key_type, None).await?)
}

#[server]
pub async fn revoke_credential(id: String, credential_id: String) -> Result<(), AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::UsePortal).await?;
    Ok(gatehouse_domain::applications::revoke(&context()?.db, &actor, &id, &credential_id).await?)
}

#[server]
pub async fn set_application_webhook(id: String, url: String) -> Result<NewWebhook, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::UsePortal).await?;
    let ctx = context()?;
    let reach = ctx.deployer.callbacks();
    Ok(gatehouse_domain::application_webhooks::set(&ctx.db, &actor, &id, &url, reach).await?)
}

#[server]
pub async fn remove_application_webhook(id: String) -> Result<(), AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::UsePortal).await?;
    Ok(gatehouse_domain::application_webhooks::remove(&context()?.db, &actor, &id).await?)
}

#[server]
pub async fn ping_application_webhook(id: String) -> Result<WebhookDelivery, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::UsePortal).await?;
    Ok(gatehouse_domain::application_webhooks::ping(&context()?.db, &actor, &id).await?)
}
