//! The key manager's endpoints: `POST /oauth2/token` (client credentials grant, RFC 6749
//! §4.4; client authentication by HTTP Basic or form; `scope` narrows the token to the scopes
//! named) and `GET /.well-known/jwks.json`.

use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use gatehouse_domain::{DomainError, keys};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

/// An OAuth2 error answer: `{"error", "error_description"}`.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response =
        (status, Json(serde_json::json!({ "error": error, "error_description": description }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"gatehouse\""));
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `client_id:client_secret` from an HTTP Basic header.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send application/x-www-form-urlencoded with grant_type=client_credentials",
        );
    };
    if form.grant_type.as_deref() != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only grant_type=client_credentials is supported",
        );
    }
    let credentials = basic(&headers).or_else(|| Some((form.client_id.clone()?, form.client_secret.clone()?)));
    let Some((client_id, secret)) = credentials else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "authenticate with HTTP Basic or client_id and client_secret",
        );
    };
    let issuer = state.issuer();
    match keys::issue_token(&state.db, &issuer, &client_id, &secret, form.scope.as_deref()).await {
        Ok(token) => {
            let mut response = Json(token).into_response();
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(DomainError::Unauthorized(_)) => {
            oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "invalid client credentials")
        }
        Err(DomainError::Invalid { field, message }) if field == "scope" => {
            oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", &message)
        }
        Err(e) => {
            tracing::error!(error = %e, "token endpoint failed");
            oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "the token could not be issued")
        }
    }
}

pub async fn jwks(State(state): State<AppState>) -> Response {
    match keys::jwks(&state.db).await {
        Ok(set) => Json(set).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "jwks failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
