//! The error every server function returns: a code and a sentence for people, nothing more.

use leptos::prelude::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::codec::JsonEncoding;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppError {
    /// Same codes as the REST API's errors: `unauthorized`, `forbidden`, `invalid`, …
    pub code: String,
    pub message: String,
}

impl AppError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        AppError { code: code.into(), message: message.into() }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AppError {}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        // Transport and decoding failures: say what happened without internals.
        let message = match value {
            ServerFnErrorErr::Request(_) => "the server could not be reached; check your connection".to_string(),
            ServerFnErrorErr::Args(e) => format!("the form could not be read: {e}"),
            other => format!("request failed: {other}"),
        };
        AppError::new("request", message)
    }
}

#[cfg(feature = "ssr")]
impl From<gatehouse_domain::DomainError> for AppError {
    fn from(err: gatehouse_domain::DomainError) -> Self {
        if let gatehouse_domain::DomainError::Internal(detail) = &err {
            tracing::error!(%detail, "server function failed");
        }
        if let Some(status) = status_of(&err)
            && let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
        {
            response.set_status(status);
        }
        AppError::new(err.code(), err.public_message())
    }
}

#[cfg(feature = "ssr")]
fn status_of(err: &gatehouse_domain::DomainError) -> Option<http::StatusCode> {
    use gatehouse_domain::DomainError::*;
    use http::StatusCode;
    Some(match err {
        Unauthorized(_) => StatusCode::UNAUTHORIZED,
        Forbidden(_) => StatusCode::FORBIDDEN,
        NotFound(_) => StatusCode::NOT_FOUND,
        Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        Conflict(_) => StatusCode::CONFLICT,
        Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        Upstream(_) => StatusCode::BAD_GATEWAY,
        Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    })
}
