//! Administration: users and roles, the audit log.

use crate::AppError;
use gatehouse_contract::{AuditEntry, AuditQuery, NewAccount, Page, Settings, SignUpMode, UserSummary};
use leptos::prelude::*;

#[server]
pub async fn list_users() -> Result<Page<UserSummary>, AppError> {
    use super::ssr::{context, require};
    use gatehouse_contract::Permission;
    require(Permission::Administer).await?;
    Ok(gatehouse_domain::accounts::list_users(&context()?.db, "", 500, 0).await?)
}

#[server]
pub async fn change_role(user_id: String, role: String) -> Result<UserSummary, AppError> {
    use super::ssr::{context, require};
    use gatehouse_contract::{Permission, Role};
    use gatehouse_domain::DomainError;
    let actor = require(Permission::Administer).await?;
    let role: Role =
        role.parse().map_err(|e: gatehouse_contract::UnknownRole| DomainError::invalid("role", e.to_string()))?;
    Ok(gatehouse_domain::accounts::change_role(&context()?.db, &actor, &user_id, role).await?)
}

#[server]
pub async fn set_user_disabled(user_id: String, disabled: bool) -> Result<UserSummary, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::Administer).await?;
    Ok(gatehouse_domain::accounts::set_disabled(&context()?.db, &actor, &user_id, disabled).await?)
}

/// Hand every API an account owns to another account (after disabling someone who leaves);
/// the number of API versions moved.
#[server]
pub async fn hand_over_apis(user_id: String, owner: String) -> Result<usize, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::Administer).await?;
    Ok(gatehouse_domain::apis::hand_over_all(&context()?.db, &actor, &user_id, &owner).await?)
}

/// Add someone's account; its generated first password comes back this once.
#[server]
pub async fn add_user(email: String, role: String) -> Result<NewAccount, AppError> {
    use super::ssr::{context, require};
    use gatehouse_contract::{Permission, Role};
    use gatehouse_domain::DomainError;
    let actor = require(Permission::Administer).await?;
    let role: Role =
        role.parse().map_err(|e: gatehouse_contract::UnknownRole| DomainError::invalid("role", e.to_string()))?;
    Ok(gatehouse_domain::accounts::add_user(&context()?.db, &actor, &email, role).await?)
}

/// Give someone a new generated password (shown this once); their sessions end.
#[server]
pub async fn reset_password(user_id: String) -> Result<gatehouse_contract::ResetPassword, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::Administer).await?;
    Ok(gatehouse_domain::accounts::reset_password(&context()?.db, &actor, &user_id).await?)
}

#[server]
pub async fn get_settings() -> Result<Settings, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::Administer).await?;
    Ok(gatehouse_domain::settings::get(&context()?.db, &actor).await?)
}

/// Save the settings form: `domains` as typed, separated by commas, spaces or lines.
#[server]
pub async fn save_settings(sign_up_mode: SignUpMode, sign_up_domains: String) -> Result<Settings, AppError> {
    use super::ssr::{context, require};
    use gatehouse_contract::SignUpPolicy;
    let actor = require(gatehouse_contract::Permission::Administer).await?;
    let domains = sign_up_domains.split([',', ' ', '\n', '\r', '\t']).filter(|d| !d.is_empty()).map(str::to_string);
    let settings = Settings { sign_up: SignUpPolicy { mode: sign_up_mode, domains: domains.collect() } };
    Ok(gatehouse_domain::settings::update(&context()?.db, &actor, settings).await?)
}

#[server]
pub async fn audit_log(query: AuditQuery) -> Result<Page<AuditEntry>, AppError> {
    use super::ssr::{context, require};
    use gatehouse_contract::Permission;
    require(Permission::Administer).await?;
    Ok(gatehouse_domain::audit::list(&context()?.db, &query).await?)
}

#[server]
pub async fn list_webhooks() -> Result<Vec<gatehouse_contract::Webhook>, AppError> {
    use super::ssr::{context, require};
    require(gatehouse_contract::Permission::Administer).await?;
    Ok(gatehouse_domain::deploy::webhooks::list(&context()?.db).await?)
}

#[server]
pub async fn create_webhook(
    request: gatehouse_contract::WebhookRequest,
) -> Result<gatehouse_contract::NewWebhook, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::Administer).await?;
    Ok(gatehouse_domain::deploy::webhooks::create(&context()?.db, &actor, &request).await?)
}

#[server]
pub async fn ping_webhook(id: String) -> Result<gatehouse_contract::WebhookDelivery, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::Administer).await?;
    Ok(gatehouse_domain::deploy::webhooks::ping(&context()?.db, &actor, &id).await?)
}

#[server]
pub async fn redeliver_webhook(id: String) -> Result<gatehouse_contract::WebhookDelivery, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::Administer).await?;
    Ok(gatehouse_domain::deploy::webhooks::redeliver(&context()?.db, &actor, &id).await?)
}

#[server]
pub async fn delete_webhook(id: String) -> Result<(), AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::Administer).await?;
    Ok(gatehouse_domain::deploy::webhooks::delete(&context()?.db, &actor, &id).await?)
}

#[server]
pub async fn list_deliveries() -> Result<Vec<gatehouse_contract::WebhookDelivery>, AppError> {
    use super::ssr::{context, require};
    require(gatehouse_contract::Permission::Administer).await?;
    Ok(gatehouse_domain::deploy::webhooks::deliveries(&context()?.db, None, None, 100).await?)
}
