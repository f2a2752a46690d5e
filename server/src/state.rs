//! The state every request handler can reach.

use app::functions::ssr::ServerContext;
use axum::extract::FromRef;
use gatehouse_domain::Db;
use gatehouse_domain::deploy::Deployer;
use gatehouse_domain::throttle::SignInThrottle;
use leptos::config::LeptosOptions;
use std::sync::Arc;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub throttle: Arc<SignInThrottle>,
    pub deployer: Arc<Deployer>,
    /// The origin people use (scheme://host[:port]) when configured; CSRF checks accept it.
    pub public_origin: Option<Arc<str>>,
    /// Events compacted for analytics (segments under the data directory).
    pub analytics: gatehouse_analytics::Store,
}

impl AppState {
    /// The issuer of access tokens: the public origin when configured, else `gatehouse`.
    pub fn issuer(&self) -> String {
        self.public_origin.as_deref().unwrap_or("gatehouse").to_string()
    }

    /// What server functions get through Leptos context.
    pub fn server_context(&self) -> ServerContext {
        ServerContext {
            db: self.db.clone(),
            throttle: self.throttle.clone(),
            deployer: self.deployer.clone(),
            issuer: self.issuer().into(),
            analytics: self.analytics.clone(),
        }
    }
}
