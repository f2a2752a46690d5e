//! The state every request handler can reach.

use app::functions::ssr::ServerContext;
use axum::extract::FromRef;
use gatehouse_domain::Db;
use gatehouse_domain::deploy::Deployer;
use gatehouse_domain::throttle::SignInThrottle;
use leptos::config::LeptosOptions;
use std::net::SocketAddr;
use std::path::Path;
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
    /// Raised when the server begins to stop.
    pub stopping: Stopping,
}

/// Tells long-running requests (the gateways' long-polls) that the server is stopping, so a
/// graceful shutdown need not wait out their 25 seconds.
#[derive(Clone)]
pub struct Stopping(tokio::sync::watch::Receiver<bool>);

impl Stopping {
    /// The signal, and what raises it.
    pub fn new() -> (tokio::sync::watch::Sender<bool>, Self) {
        let (raise, signal) = tokio::sync::watch::channel(false);
        (raise, Self(signal))
    }

    /// A signal nothing raises (tests and benchmarks serve until dropped).
    pub fn never() -> Self {
        Self(tokio::sync::watch::channel(false).1)
    }

    /// Resolves once the server begins to stop; never, if nothing can raise the signal.
    pub async fn raised(&self) {
        if self.0.clone().wait_for(|stopping| *stopping).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl AppState {
    /// The state of a server answering in-process callers (integration tests, benchmarks): no
    /// public origin, no local gateways, and its GitOps repository and analytics segments under
    /// `scratch`.
    pub fn in_process(db: &Db, scratch: &Path) -> Self {
        let args = crate::config::ServeArgs {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            site_root: scratch.join("site"),
            public_url: None,
            demo: false,
            no_gateways: true,
            gitops_remote: None,
            callbacks_to_private_networks: false,
            analytics_retention_days: 90,
        };
        Self {
            leptos_options: crate::cli::leptos_options(&args),
            db: db.clone(),
            throttle: Arc::new(SignInThrottle::default()),
            deployer: Deployer::new(db.clone(), scratch.join("gitops.git")),
            public_origin: None,
            analytics: gatehouse_analytics::Store { db: db.clone(), dir: scratch.join("analytics") },
            stopping: Stopping::never(),
        }
    }

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
            public_origin: self.public_origin.clone(),
            analytics: self.analytics.clone(),
        }
    }
}
