//! Server-side helpers shared by the server functions and the REST layer: the state the server
//! provides, the caller behind a session, and rights checks.

use crate::AppError;
use gatehouse_contract::Permission;
use gatehouse_domain::throttle::SignInThrottle;
use gatehouse_domain::{Actor, Db, DomainError, accounts};
use leptos::prelude::use_context;
use std::sync::Arc;
use tower_sessions::Session;

/// Session key holding the signed-in user's id. Only the id is kept: role changes take effect
/// on the next request because the account is read fresh each time.
pub const SESSION_USER_KEY: &str = "user_id";

/// Session key holding when it signed in (Unix ms): a password changed later ends it.
pub const SESSION_SIGNED_IN_KEY: &str = "signed_in_at";

/// What the server hands every server function through Leptos context.
#[derive(Clone)]
pub struct ServerContext {
    pub db: Db,
    pub throttle: Arc<SignInThrottle>,
    pub deployer: Arc<gatehouse_domain::deploy::Deployer>,
    /// The issuer of access tokens (what gateways expect).
    pub issuer: Arc<str>,
    /// This server's public URL, when configured (`GATEHOUSE_PUBLIC_URL`).
    pub public_origin: Option<Arc<str>>,
    pub analytics: gatehouse_analytics::Store,
}

pub fn context() -> Result<ServerContext, AppError> {
    use_context::<ServerContext>().ok_or_else(|| AppError::new("internal", "server context missing"))
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|_| AppError::new("internal", "session unavailable"))
}

/// The account behind a session, if someone is signed in, the account may still be used and
/// its password has not changed since.
pub async fn actor_from_session(db: &Db, session: &Session) -> Result<Option<Actor>, DomainError> {
    let read = |e: tower_sessions::session::Error| DomainError::Internal(format!("session read: {e}"));
    let user_id: Option<String> = session.get(SESSION_USER_KEY).await.map_err(read)?;
    // Sessions from before the key existed count as signed in at 0: ended by any change.
    let signed_in_at: i64 = session.get(SESSION_SIGNED_IN_KEY).await.map_err(read)?.unwrap_or(0);
    match user_id {
        Some(id) => accounts::session_actor(db, &id, signed_in_at).await,
        None => Ok(None),
    }
}

/// Sign `user_id` in on `session` as of `at` (Unix ms): under a new session id, which defeats
/// session fixation.
pub async fn start_session(session: &Session, user_id: &str, at: i64) -> Result<(), DomainError> {
    let write = |e: tower_sessions::session::Error| DomainError::Internal(format!("session: {e}"));
    session.cycle_id().await.map_err(write)?;
    session.insert(SESSION_USER_KEY, user_id).await.map_err(write)?;
    session.insert(SESSION_SIGNED_IN_KEY, at).await.map_err(write)
}

/// The signed-in caller, or `None`.
pub async fn caller() -> Result<Option<Actor>, AppError> {
    let ctx = context()?;
    let session = session().await?;
    Ok(actor_from_session(&ctx.db, &session).await?)
}

/// The signed-in caller holding `permission`; otherwise 401 or 403.
pub async fn require(permission: Permission) -> Result<Actor, AppError> {
    let actor = caller().await?.ok_or_else(|| DomainError::Unauthorized("sign in first".into()))?;
    actor.require(permission)?;
    Ok(actor)
}

/// The signed-in caller if they hold `permission`, else `None`: for what a page shows only to
/// some of those who may see the page. Refusing there would make the whole page answer 401 or
/// 403 (a refused server function sets the status of the page being rendered).
pub async fn permitted(permission: Permission) -> Result<Option<Actor>, AppError> {
    Ok(caller().await?.filter(|actor| actor.require(permission).is_ok()))
}

/// The client's address for throttling and the audit log (the TCP peer; see README on proxies).
pub async fn client_address() -> String {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|_| "unknown".into())
}
