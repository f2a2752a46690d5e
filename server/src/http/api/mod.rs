//! The management REST API under /api/v1, one module per resource. Routes and their OpenAPI
//! description are registered together (utoipa-axum), so the served document cannot miss one.

pub mod accounts;
pub mod analytics;
pub mod apis;
pub mod applications;
pub mod audit;
pub mod deploy;
pub mod gateway;
pub mod portal;
pub mod settings;
pub mod subscriptions;
pub mod tokens;

use crate::http::extract::Json;
use crate::state::AppState;
use std::sync::OnceLock;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gatehouse management API",
        description = "Drive everything a person can do in Gatehouse from a pipeline or script. \
                       Authenticate with `Authorization: Bearer <personal access token>` or a session cookie.",
    ),
    modifiers(&SecuritySchemes),
    security(("bearer" = []), ("session" = [])),
    tags(
        (name = "accounts", description = "The caller, users and roles"),
        (name = "tokens", description = "Personal access tokens"),
        (name = "audit", description = "The audit log"),
        (name = "settings", description = "What admins change while Gatehouse runs, such as who may sign up"),
        (name = "apis", description = "Design APIs: import, edit, lifecycle, project archives"),
        (name = "revisions", description = "Immutable revisions and the semantic diff"),
        (name = "docs", description = "Documentation pages"),
        (name = "applications", description = "Consumers' applications and credentials"),
        (name = "subscriptions", description = "Subscription tiers and subscriptions of applications to APIs"),
        (name = "portal", description = "The developer portal: catalog, API pages, definitions"),
        (name = "deployment", description = "Gateway groups, approvals, deployments, rollback, routing, webhooks"),
        (name = "gateway", description = "What gateways call (bundle pull, event ingest) with a gateway credential; gateway credentials and instances"),
        (name = "analytics", description = "Aggregates of gateway events: JSON, CSV per chart, SVG charts; alerts on them"),
        (name = "meta", description = "This document"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("Personal access token (`gth_…`)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "gateway",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("Gateway credential (`ggw_…`), one group each"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(super::auth::SESSION_COOKIE))),
        );
    }
}

/// The generated document. It is a pure function of the code, so one per process is exact.
static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();

/// This API's own OpenAPI 3 document.
#[utoipa::path(get, path = "/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "This API's OpenAPI 3 document", content_type = "application/json")))]
pub async fn openapi_document() -> Json<utoipa::openapi::OpenApi> {
    Json(document().clone())
}

/// The document of every route `router()` registers.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    DOCUMENT.get_or_init(|| router().into_openapi())
}

pub fn router() -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::new()
        .routes(routes!(openapi_document))
        .routes(routes!(accounts::me))
        .routes(routes!(accounts::change_password))
        .routes(routes!(accounts::list_users, accounts::add_user))
        .routes(routes!(accounts::reset_password))
        .routes(routes!(accounts::change_role))
        .routes(routes!(accounts::set_disabled))
        .routes(routes!(accounts::hand_over_apis))
        .routes(routes!(tokens::list_tokens, tokens::create_token))
        .routes(routes!(tokens::revoke_token))
        .routes(routes!(audit::list_audit))
        .routes(routes!(settings::get_settings, settings::save_settings))
        .routes(routes!(apis::import_api))
        .routes(routes!(apis::import_project))
        .routes(routes!(apis::validate))
        .routes(routes!(apis::list_apis, apis::create_api))
        .routes(routes!(apis::get_api, apis::delete_api))
        .routes(routes!(apis::get_definition, apis::save_definition))
        .routes(routes!(apis::save_settings))
        .routes(routes!(apis::transfer_ownership))
        .routes(routes!(apis::purge_kept_answers))
        .routes(routes!(apis::edit_operation))
        .routes(routes!(apis::convert_definition))
        .routes(routes!(apis::new_version))
        .routes(routes!(apis::list_revisions, apis::create_revision))
        .routes(routes!(apis::get_revision))
        .routes(routes!(apis::revision_definition))
        .routes(routes!(apis::diff))
        .routes(routes!(apis::change_lifecycle))
        .routes(routes!(apis::list_docs))
        .routes(routes!(apis::save_doc, apis::delete_doc))
        .routes(routes!(apis::export_api))
        .routes(routes!(deploy::list_groups, deploy::create_group))
        .routes(routes!(deploy::get_group, deploy::update_group))
        .routes(routes!(deploy::assign_group))
        .routes(routes!(deploy::list_approvals, deploy::submit))
        .routes(routes!(deploy::approve))
        .routes(routes!(deploy::reject))
        .routes(routes!(deploy::list_deployments))
        .routes(routes!(deploy::get_deployment))
        .routes(routes!(deploy::rollback))
        .routes(routes!(deploy::routing))
        .routes(routes!(deploy::gitops))
        .routes(routes!(deploy::push_gitops))
        .routes(routes!(deploy::list_webhooks, deploy::create_webhook))
        .routes(routes!(deploy::delete_webhook))
        .routes(routes!(deploy::ping_webhook))
        .routes(routes!(deploy::redeliver_webhook))
        .routes(routes!(deploy::list_deliveries))
        .routes(routes!(portal::catalog))
        .routes(routes!(portal::api))
        .routes(routes!(portal::operation))
        .routes(routes!(portal::definition))
        .routes(routes!(portal::try_operation))
        .routes(routes!(applications::list, applications::create))
        .routes(routes!(applications::get, applications::rename, applications::delete))
        .routes(routes!(applications::client_secret))
        .routes(routes!(applications::api_key))
        .routes(routes!(applications::revoke))
        .routes(routes!(applications::webhook, applications::set_webhook, applications::remove_webhook))
        .routes(routes!(applications::ping_webhook))
        .routes(routes!(subscriptions::list_tiers, subscriptions::create_tier))
        .routes(routes!(subscriptions::update_tier, subscriptions::delete_tier))
        .routes(routes!(subscriptions::list, subscriptions::subscribe))
        .routes(routes!(subscriptions::unsubscribe, subscriptions::change_tier))
        .routes(routes!(subscriptions::suspend))
        .routes(routes!(subscriptions::resume))
        .routes(routes!(gateway::pull_bundle))
        .routes(routes!(gateway::ingest_events))
        .routes(routes!(gateway::sign_off))
        .routes(routes!(gateway::create_credential, gateway::list_credentials))
        .routes(routes!(gateway::revoke_credential))
        .routes(routes!(gateway::list_instances))
        .routes(routes!(deploy::rotate_keys))
        .routes(routes!(analytics::overview))
        .routes(routes!(analytics::panel_csv))
        .routes(routes!(analytics::panel_svg))
        .routes(routes!(analytics::list_alerts, analytics::create_alert))
        .routes(routes!(analytics::delete_alert))
        .routes(routes!(analytics::alert_history));
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", v1)
}
