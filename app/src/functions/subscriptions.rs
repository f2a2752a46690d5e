//! Server functions of tiers and subscriptions: check rights, call the domain once.

use crate::AppError;
use gatehouse_contract::{NewSubscription, Subscription, Tier};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server]
pub async fn load_tiers() -> Result<Vec<Tier>, AppError> {
    use super::ssr::context;
    // Public: API pages show the tiers to anonymous visitors too.
    Ok(gatehouse_domain::tiers::list(&context()?.db).await?)
}

#[server(input = Json)]
pub async fn create_tier(tier: Tier) -> Result<Tier, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::ReviewApis).await?;
    Ok(gatehouse_domain::tiers::create(&context()?.db, &actor, &tier).await?)
}

#[server(input = Json)]
pub async fn update_tier(name: String, tier: Tier) -> Result<Tier, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::ReviewApis).await?;
    Ok(gatehouse_domain::tiers::update(&context()?.db, &actor, &name, &tier).await?)
}

#[server]
pub async fn delete_tier(name: String) -> Result<(), AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::ReviewApis).await?;
    Ok(gatehouse_domain::tiers::delete(&context()?.db, &actor, &name).await?)
}

/// The caller's subscriptions that need them (see `Subscription::attention`), or `None` for a
/// visitor who is not signed in: the start page asks, and must not be refused.
#[server]
pub async fn subscriptions_to_act_on() -> Result<Option<Vec<Subscription>>, AppError> {
    use super::ssr::{context, permitted};
    let Some(actor) = permitted(gatehouse_contract::Permission::UsePortal).await? else {
        return Ok(None);
    };
    let all = gatehouse_domain::subscriptions::list(&context()?.db, &actor, None).await?;
    Ok(Some(all.into_iter().filter(|s| s.attention().is_some()).collect()))
}

#[server]
pub async fn load_subscriptions(application_id: Option<String>) -> Result<Vec<Subscription>, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::UsePortal).await?;
    Ok(gatehouse_domain::subscriptions::list(&context()?.db, &actor, application_id.as_deref()).await?)
}

#[server]
pub async fn load_api_subscribers(api_id: String) -> Result<Vec<Subscription>, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(gatehouse_domain::subscriptions::of_api(&context()?.db, &actor, &api_id).await?)
}

#[server(input = Json)]
pub async fn subscribe(request: NewSubscription) -> Result<Subscription, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::UsePortal).await?;
    Ok(gatehouse_domain::subscriptions::subscribe(&context()?.db, &actor, &request).await?)
}

#[server]
pub async fn unsubscribe(id: String) -> Result<(), AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::UsePortal).await?;
    Ok(gatehouse_domain::subscriptions::unsubscribe(&context()?.db, &actor, &id).await?)
}

#[server]
pub async fn change_subscription_tier(id: String, tier: String) -> Result<Subscription, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::UsePortal).await?;
    Ok(gatehouse_domain::subscriptions::change_tier(&context()?.db, &actor, &id, &tier).await?)
}

#[server]
pub async fn suspend_subscription(id: String, reason: String) -> Result<Subscription, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::ReviewApis).await?;
    Ok(gatehouse_domain::subscriptions::suspend(&context()?.db, &actor, &id, &reason).await?)
}

#[server]
pub async fn resume_subscription(id: String) -> Result<Subscription, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::ReviewApis).await?;
    Ok(gatehouse_domain::subscriptions::resume(&context()?.db, &actor, &id).await?)
}
