//! Server functions of the publisher: each checks rights, then calls the domain once.

use crate::AppError;
use gatehouse_contract::{
    ApiDetail, ApiDiff, ApiQuery, ApiSettings, ApiSource, ApiSummary, Diagnostic, DocPage, ImportOutcome,
    LifecycleRequest, LifecycleState, OperationEdit, OperationForm, Page,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

#[server(input = Json)]
pub async fn list_apis(query: ApiQuery) -> Result<Page<ApiSummary>, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(gatehouse_domain::apis::list(&context()?.db, &actor, &query).await?)
}

#[server]
pub async fn get_api(id: String) -> Result<ApiDetail, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(gatehouse_domain::apis::get(&context()?.db, &actor, &id).await?)
}

#[server]
pub async fn get_api_source(id: String) -> Result<ApiSource, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(gatehouse_domain::apis::source(&context()?.db, &actor, &id).await?)
}

#[server]
pub async fn create_api(
    name: String,
    version: String,
    context: String,
    description: String,
) -> Result<ImportOutcome, AppError> {
    use super::ssr::{context as ctx, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    let context = Some(context).filter(|c| !c.trim().is_empty());
    let outcome =
        gatehouse_domain::apis::create_blank(&ctx()?.db, &actor, &name, &version, context, &description).await?;
    leptos_axum::redirect(&format!("/publisher/apis/{}?tab=design", outcome.id));
    Ok(outcome)
}

#[server]
pub async fn save_source(id: String, source: String, edit_version: i64) -> Result<ApiDetail, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(gatehouse_domain::apis::save_source(&context()?.db, &actor, &id, &source, edit_version).await?)
}

/// Errors (the definition would be refused) and warnings of a source text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validation {
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

#[server]
pub async fn validate_definition(source: String) -> Result<Validation, AppError> {
    use super::ssr::require;
    require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(match gatehouse_domain::apis::validate_source(&source) {
        Ok(warnings) => Validation { errors: vec![], warnings },
        Err(errors) => Validation { errors, warnings: vec![] },
    })
}

#[server]
pub async fn load_operation_form(id: String, method: String, path: String) -> Result<Option<OperationForm>, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    let source = gatehouse_domain::apis::source(&context()?.db, &actor, &id).await?;
    let document = gatehouse_domain::openapi::parse::parse(&source.source).map(|p| p.value).ok();
    Ok(document.and_then(|d| gatehouse_domain::apis::edit::form_of(&d, &method, &path)))
}

#[server(input = Json)]
pub async fn edit_operation(id: String, edit: OperationEdit, edit_version: i64) -> Result<ApiDetail, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(gatehouse_domain::apis::edit::edit_operation(&context()?.db, &actor, &id, &edit, edit_version).await?)
}

/// Rewrite a Swagger 2.0 working copy as OpenAPI 3.0, so the form view can edit it.
#[server]
pub async fn convert_to_openapi3(id: String, edit_version: i64) -> Result<ApiDetail, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(gatehouse_domain::apis::edit::convert_to_openapi3(&context()?.db, &actor, &id, edit_version).await?)
}

/// `all_versions` is the form's checkbox: sent (as `on`) only when ticked.
#[server]
pub async fn transfer_ownership(
    id: String,
    owner: String,
    all_versions: Option<String>,
) -> Result<ApiDetail, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(gatehouse_domain::apis::transfer_ownership(&context()?.db, &actor, &id, &owner, all_versions.is_some()).await?)
}

/// The gateways told to drop the API's kept answers: all of them, or those under `path` (empty:
/// all).
#[server]
pub async fn purge_kept_answers(id: String, path: String) -> Result<gatehouse_contract::KeptAnswersPurge, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(gatehouse_domain::apis::kept_answers::purge(&context()?.db, &actor, &id, Some(&path)).await?)
}

#[server(input = Json)]
pub async fn save_settings(id: String, settings: ApiSettings, edit_version: i64) -> Result<ApiDetail, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(gatehouse_domain::apis::save_settings(&context()?.db, &actor, &id, settings, edit_version).await?)
}

#[server]
pub async fn create_revision(id: String, note: String) -> Result<i64, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(gatehouse_domain::apis::revisions::create(&context()?.db, &actor, &id, &note).await?)
}

#[server]
pub async fn diff_revisions(id: String, from: String, to: String) -> Result<ApiDiff, AppError> {
    use super::ssr::{context, require};
    use gatehouse_domain::apis::revisions::{Version, compare};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    let (from, to): (Version, Version) = (from.parse()?, to.parse()?);
    Ok(compare(&context()?.db, &actor, &id, from, to).await?)
}

#[server(input = Json)]
pub async fn change_lifecycle(id: String, request: LifecycleRequest) -> Result<LifecycleState, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(gatehouse_domain::apis::lifecycle::change(&context()?.db, &actor, &id, &request).await?)
}

#[server]
pub async fn delete_api(id: String) -> Result<(), AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(gatehouse_domain::apis::lifecycle::delete(&context()?.db, &actor, &id).await?)
}

#[server]
pub async fn list_docs(id: String) -> Result<Vec<DocPage>, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    let db = &context()?.db;
    gatehouse_domain::apis::get(db, &actor, &id).await?;
    Ok(gatehouse_domain::apis::docs::list(db, &id).await?)
}

#[server]
pub async fn save_doc(id: String, slug: String, title: String, markdown: String) -> Result<DocPage, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    let slug = Some(slug).filter(|s| !s.trim().is_empty());
    Ok(gatehouse_domain::apis::docs::save(&context()?.db, &actor, &id, slug.as_deref(), &title, &markdown).await?)
}

#[server]
pub async fn delete_doc(id: String, slug: String) -> Result<(), AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(gatehouse_domain::apis::docs::delete(&context()?.db, &actor, &id, &slug).await?)
}

#[server]
pub async fn new_version(id: String, version: String, context: String) -> Result<ImportOutcome, AppError> {
    use super::ssr::{context as ctx, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    let context = Some(context).filter(|c| !c.trim().is_empty());
    let outcome = gatehouse_domain::apis::new_version(&ctx()?.db, &actor, &id, &version, context).await?;
    leptos_axum::redirect(&format!("/publisher/apis/{}", outcome.id));
    Ok(outcome)
}
