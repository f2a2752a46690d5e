//! Who is calling: a bearer personal access token or a session cookie. Plus the two guards
//! that sit in front of everything: CSRF for cookie-authenticated writes, and page rights.

use super::error::ApiError;
use crate::state::AppState;
use app::functions::ssr::actor_from_session;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use gatehouse_contract::Permission;
use gatehouse_domain::{Actor, tokens};
use tower_sessions::Session;

/// Cookie name of the session; the CSRF guard looks for it.
pub const SESSION_COOKIE: &str = "gatehouse_session";

/// The authenticated caller of a REST handler. Handlers still check rights themselves with
/// `caller.require(…)`, first thing.
pub struct Caller(pub Actor);

impl Caller {
    pub fn require(&self, permission: Permission) -> Result<&Actor, ApiError> {
        self.0.require(permission)?;
        Ok(&self.0)
    }
}

fn bearer(headers: &HeaderMap) -> Option<Result<&str, ()>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let value = value.to_str().map_err(|_| ());
    Some(value.and_then(|v| {
        let (scheme, token) = v.split_once(' ').ok_or(())?;
        if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() { Ok(token.trim()) } else { Err(()) }
    }))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match bearer(&parts.headers) {
            Some(Ok(token)) => return Ok(Caller(tokens::authenticate(&state.db, token).await?)),
            Some(Err(())) => return Err(ApiError::unauthorized("the Authorization header must be `Bearer <token>`")),
            None => {}
        }
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::unauthorized("sign in or send a bearer token"))?;
        actor_from_session(&state.db, &session)
            .await?
            .map(Caller)
            .ok_or_else(|| ApiError::unauthorized("sign in or send a bearer token"))
    }
}

/// The caller if there is one: anonymous visitors are welcome (the portal), but a bearer
/// token that is sent must be valid.
pub struct MaybeCaller(pub Option<Actor>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if bearer(&parts.headers).is_some() {
            return Caller::from_request_parts(parts, state).await.map(|Caller(actor)| MaybeCaller(Some(actor)));
        }
        let Ok(session) = Session::from_request_parts(parts, state).await else {
            return Ok(MaybeCaller(None));
        };
        Ok(MaybeCaller(actor_from_session(&state.db, &session).await?))
    }
}

fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| format!("{}://{}", scheme.to_ascii_lowercase(), host.to_ascii_lowercase()))
}

fn has_session_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|cookies| cookies.split(';').any(|c| c.trim_start().starts_with(&format!("{SESSION_COOKIE}="))))
}

/// Refuses state-changing requests that ride on the session cookie from another site. Bearer
/// requests carry no ambient authority and pass. With no Origin/Referer at all a request passes
/// only if it carries no session cookie (a script or curl without cookies cannot be forged).
pub async fn csrf_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let headers = request.headers();
    if safe || bearer(headers).is_some() {
        return next.run(request).await;
    }
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .map(|v| origin_of(v).unwrap_or_else(|| v.to_string()));
    let allowed = match claimed {
        None => !has_session_cookie(headers),
        Some(origin) => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
            let matches_host =
                ["http", "https"].iter().any(|s| origin == format!("{s}://{}", host.to_ascii_lowercase()));
            matches_host || state.public_origin.as_deref().is_some_and(|p| p == origin)
        }
    };
    if allowed {
        next.run(request).await
    } else {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "cross-site request refused: the Origin does not match this server",
        )
        .into_response()
    }
}

/// The permission a UI page needs, by path prefix.
fn page_permission(path: &str) -> Option<Permission> {
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    if under("/publisher") {
        Some(Permission::DesignApis)
    } else if under("/admin") {
        Some(Permission::Administer)
    } else if under("/analytics/alerts") {
        Some(Permission::DesignApis)
    } else if under("/analytics") {
        Some(Permission::ViewAnalytics)
    } else if under("/account") || under("/applications") {
        Some(Permission::UsePortal)
    } else {
        None
    }
}

/// The server refuses protected pages on its own: signed-out visitors are sent to sign in,
/// signed-in people without the right get 403 (the page then explains why).
pub async fn page_guard(
    State(state): State<AppState>,
    session: Session,
    request: Request<Body>,
    next: Next,
) -> Response {
    let Some(permission) = page_permission(request.uri().path()) else {
        return next.run(request).await;
    };
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let actor = match actor_from_session(&state.db, &session).await {
        Ok(actor) => actor,
        Err(e) => return ApiError::from(e).into_response(),
    };
    match actor {
        None => Redirect::to(&sign_in_url(request.uri())).into_response(),
        Some(actor) if actor.role.can(permission) => next.run(request).await,
        Some(_) => {
            let mut response = next.run(request).await;
            *response.status_mut() = StatusCode::FORBIDDEN;
            response
        }
    }
}

fn sign_in_url(uri: &Uri) -> String {
    let next = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let encoded: String = next
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("/signin?next={encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_map_to_permissions() {
        assert_eq!(page_permission("/publisher"), Some(Permission::DesignApis));
        assert_eq!(page_permission("/publisher/apis/1"), Some(Permission::DesignApis));
        assert_eq!(page_permission("/publishers"), None);
        assert_eq!(page_permission("/admin/users"), Some(Permission::Administer));
        assert_eq!(page_permission("/analytics"), Some(Permission::ViewAnalytics));
        assert_eq!(page_permission("/analytics/alerts"), Some(Permission::DesignApis));
        assert_eq!(page_permission("/portal"), None);
    }

    #[test]
    fn origins_are_normalised() {
        assert_eq!(origin_of("http://127.0.0.1:3000/signin?x=1").as_deref(), Some("http://127.0.0.1:3000"));
        assert_eq!(origin_of("HTTPS://Example.com").as_deref(), Some("https://example.com"));
        assert_eq!(origin_of("null"), None);
    }

    #[test]
    fn sign_in_url_encodes_next() {
        let uri: Uri = "/admin/audit?page=2".parse().expect("uri");
        assert_eq!(sign_in_url(&uri), "/signin?next=/admin/audit%3Fpage%3D2");
    }
}
