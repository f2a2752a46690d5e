//! Helpers to drive the real router with `oneshot`, as a browser or a script would.

#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use gatehouse_domain::Db;
use gatehouse_server::state::AppState;
use http_body_util::BodyExt;
use leptos::server_fn::ServerFn;
use tower::ServiceExt;

pub const ORIGIN: &str = "http://localhost";
pub const PASSWORD: &str = "correct horse battery";

/// A new account with `role` and a personal access token for it.
pub async fn token_for(db: &Db, email: &str, role: gatehouse_contract::Role) -> String {
    gatehouse_domain::accounts::create_user(db, "system", email, PASSWORD, role).await.expect("user");
    gatehouse_domain::tokens::create_for_email(db, email, "ci").await.expect("token").token
}

/// A request as a script sends it: with a bearer token and a content type.
pub fn call(method: &str, uri: &str, token: &str, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "localhost")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .expect("request")
}

pub fn app(db: &Db) -> Router {
    let scratch = std::env::temp_dir().join(format!("gatehouse-test-{}", uuid::Uuid::new_v4()));
    gatehouse_server::http::router(AppState::in_process(db, &scratch), false)
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The session cookie the response set, as `name=value`.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("gatehouse_session="))
            .map(|c| c.split(';').next().unwrap_or_default().to_string())
    }
}

pub async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response: Response<Body> = app.clone().oneshot(request).await.expect("router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

pub fn get(uri: &str) -> axum::http::request::Builder {
    Request::get(uri).header(header::HOST, "localhost")
}

/// Sign in through the real server function, as the sign-in form does; returns the reply.
pub async fn sign_in(app: &Router, email: &str, password: &str) -> Reply {
    let body = format!("email={}&password={}", email.replace('@', "%40"), password.replace(' ', "+"));
    let request = Request::post(<app::functions::auth::SignIn as ServerFn>::PATH)
        .header(header::HOST, "localhost")
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("request");
    send(app, request).await
}

/// Create an account and sign it in; returns the session cookie.
pub async fn signed_in(app: &Router, db: &Db, email: &str, role: gatehouse_contract::Role) -> String {
    gatehouse_domain::accounts::create_user(db, "system", email, PASSWORD, role).await.expect("create user");
    let reply = sign_in(app, email, PASSWORD).await;
    assert!(reply.status.is_success() || reply.status.is_redirection(), "sign in: {} {}", reply.status, reply.body);
    reply.session_cookie().expect("session cookie set at sign-in")
}
