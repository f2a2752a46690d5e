//! Server functions of the developer portal. Anonymous visitors may call them: the domain
//! shows each viewer only what they may see.

use crate::AppError;
use gatehouse_contract::{ApiSummary, Page, PortalApi, PortalOperation, TryRequest, TryResponse};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

pub const CATALOG_PAGE: i64 = 24;

#[server]
pub async fn catalog(q: String, tag: String, page: i64) -> Result<Page<ApiSummary>, AppError> {
    use super::ssr::{caller, context};
    let viewer = caller().await?;
    let tag = Some(tag).filter(|t| !t.is_empty());
    Ok(gatehouse_domain::portal::catalog(
        &context()?.db,
        viewer.as_ref(),
        &q,
        tag,
        CATALOG_PAGE,
        page.max(0) * CATALOG_PAGE,
    )
    .await?)
}

#[server]
pub async fn load_portal_api(id: String) -> Result<PortalApi, AppError> {
    use super::ssr::{caller, context};
    let viewer = caller().await?;
    // An outline when the reference is large: its operations come one at a time, as opened.
    Ok(gatehouse_domain::portal::api(&context()?.db, viewer.as_ref(), &id).await?.outline())
}

/// One operation of an API sent as an outline, `key` as `METHOD /path`.
#[server]
pub async fn load_portal_operation(id: String, key: String) -> Result<PortalOperation, AppError> {
    use super::ssr::{caller, context};
    let viewer = caller().await?;
    Ok(gatehouse_domain::portal::operation(&context()?.db, viewer.as_ref(), &id, &key).await?)
}

/// The try-it console: one request through the API's gateway with the caller's application.
#[server(input = Json)]
pub async fn try_operation(request: TryRequest) -> Result<TryResponse, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::UsePortal).await?;
    let ctx = context()?;
    Ok(gatehouse_domain::portal::try_operation(&ctx.db, &actor, &ctx.issuer, &request).await?)
}
