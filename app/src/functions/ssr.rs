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

/// What the server hands every server function through Leptos context.
#[derive(Clone)]
pub struct ServerContext {
    pub db: Db,
    pub throttle: Arc<SignInThrottle>,
    pub deployer: Arc<gatehouse_domain::deploy::Deployer>,
    /// The issuer of access tokens (what gateways expect).
    pub issuer: Arc<str>,
    pub analytics: gatehouse_analytics::Store,
}

pub fn context() -> Result<ServerContext, AppError> {
    use_context::<ServerContext>().ok_or_else(|| AppError::new("internal", "server context missing"))
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|_| AppError::new("internal", "session unavailable"))
}

/// The account behind a session, if someone is signed in and the account still exists.
pub async fn actor_from_session(db: &Db, session: &Session) -> Result<Option<Actor>, DomainError> {
    let user_id: Option<String> =
        session.get(SESSION_USER_KEY).await.map_err(|e| DomainError::Internal(format!("session read: {e}")))?;
    match user_id {
        Some(id) => accounts::actor_by_id(db, &id).await,
        None => Ok(None),
    }
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

/// The client's address for throttling and the audit log (the TCP peer; see README on proxies).
pub async fn client_address() -> String {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|_| "unknown".into())
}
