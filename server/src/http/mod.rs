//! The HTTP application: health, the REST API under /api/v1 with its generated OpenAPI
//! document, Leptos server functions, the server-rendered UI, and the guards around them.

pub mod api;
pub mod auth;
pub mod error;
pub mod extract;
pub mod oauth;

use crate::state::AppState;
use app::{App, shell};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router, middleware};
use gatehouse_domain::sessions::DbSessionStore;
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list, handle_server_fns_with_context};
use std::sync::LazyLock;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// Largest request body accepted (definitions and project archives).
pub const MAX_BODY: usize = 32 * 1024 * 1024;

/// The UI's routes, listed once per process. Listing them renders the app while a process-wide
/// flag in leptos_router holds back every resource's first load, so a page rendered meanwhile
/// by another router in the same process waited forever on its data (leptos-rs/leptos#4773):
/// the SSR test that hung now and then when tests ran side by side. Listed once, before any
/// router exists, no page can be rendering while they are listed.
fn app_routes() -> Vec<AxumRouteListing> {
    static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));
    ROUTES.clone()
}

/// Build the whole application. Tests drive this same router with `oneshot`.
pub fn router(state: AppState, secure_cookies: bool) -> Router {
    let api_router: Router<AppState> = api::router().into();
    let routes = app_routes();
    let context = state.server_context();
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name(auth::SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::days(7)));

    Router::new()
        .route("/healthz", get(healthz))
        .route("/oauth2/token", axum::routing::post(oauth::token))
        .route("/.well-known/jwks.json", get(oauth::jwks))
        .merge(api_router)
        .route("/api/v1/{*rest}", axum::routing::any(api_not_found))
        .route("/api/{*fn_name}", get(server_fns).post(server_fns))
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let context = context.clone();
                move || provide_context(context.clone())
            },
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        // The not-found page renders with the same context as the others, so its header knows
        // who is signed in.
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            move || provide_context(context.clone()),
            shell,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), auth::page_guard))
        // Real-world definitions run to several megabytes (the corpus has 3 MB single files).
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(state.clone(), auth::csrf_guard))
        .layer(sessions)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        // Pages, CSS, JS, JSON and SVG go out gzip- or brotli-compressed when the client asks.
        // The wasm bundle is compressed once, when `make run` builds the release (`--precompress`;
        // the static file service sends the `.br`/`.gz` files); compressing megabytes again on
        // every page load would cost more than it saves. No response carries a secret beside
        // text an attacker chose (secrets are shown once, in answers to same-origin POSTs), so
        // compression leaks nothing (BREACH).
        .layer(
            CompressionLayer::new()
                .compress_when(DefaultPredicate::new().and(NotForContentType::const_new("application/wasm"))),
        )
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn server_fns(State(state): State<AppState>, request: Request<Body>) -> impl IntoResponse {
    let context = state.server_context();
    handle_server_fns_with_context(move || provide_context(context.clone()), request).await
}

/// Ready when the database answers.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(_) => Json(serde_json::json!({ "status": "ok" })).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({ "status": "database unavailable" })))
                .into_response()
        }
    }
}

async fn api_not_found() -> error::ApiError {
    error::ApiError::not_found("no such REST endpoint; see /api/v1/openapi.json")
}
