//! The caller's own personal access tokens.

use crate::AppError;
use gatehouse_contract::{NewToken, TokenSummary};
use leptos::prelude::*;

#[server]
pub async fn list_tokens() -> Result<Vec<TokenSummary>, AppError> {
    use super::ssr::{context, require};
    use gatehouse_contract::Permission;
    let actor = require(Permission::UsePortal).await?;
    Ok(gatehouse_domain::tokens::list(&context()?.db, &actor).await?)
}

#[server]
pub async fn create_token(name: String) -> Result<NewToken, AppError> {
    use super::ssr::{context, require};
    use gatehouse_contract::Permission;
    let actor = require(Permission::UsePortal).await?;
    Ok(gatehouse_domain::tokens::create(&context()?.db, &actor, &name).await?)
}

#[server]
pub async fn revoke_token(id: String) -> Result<(), AppError> {
    use super::ssr::{context, require};
    use gatehouse_contract::Permission;
    let actor = require(Permission::UsePortal).await?;
    Ok(gatehouse_domain::tokens::revoke(&context()?.db, &actor, &id).await?)
}
