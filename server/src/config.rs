//! Configuration: command-line flags, each mirrored by an environment variable (README lists them).

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the data lives; shared by every command.
#[derive(Args, Clone, Debug)]
pub struct StoreArgs {
    /// Data directory: SQLite database, GitOps repository, analytics segments, spool.
    #[arg(long, env = "GATEHOUSE_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,
    /// Database URL; defaults to the SQLite file in the data directory. `postgres://…` for PostgreSQL.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// The GitOps repository deployments commit to (created bare when missing).
    #[arg(long, env = "GATEHOUSE_GITOPS_REPO", global = true)]
    pub gitops_repo: Option<PathBuf>,
}

impl StoreArgs {
    /// The GitOps repository: `--gitops-repo`, or a bare repository in the data directory.
    pub fn gitops_repo(&self) -> std::path::PathBuf {
        self.gitops_repo.clone().unwrap_or_else(|| self.data_dir.join("gitops.git"))
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| gatehouse_domain::store::Db::sqlite_url(&self.data_dir))
    }
}

/// Settings of `gatehouse serve`.
#[derive(Args, Clone, Debug)]
pub struct ServeArgs {
    /// Listen address.
    #[arg(long, env = "GATEHOUSE_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Directory with the compiled site (wasm, JS, CSS, static files) built by cargo-leptos.
    #[arg(long, env = "GATEHOUSE_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
    /// The URL people use to reach Gatehouse; an https:// URL makes session cookies Secure.
    #[arg(long, env = "GATEHOUSE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Seed demo data (one account per role) on start; idempotent.
    #[arg(long, env = "GATEHOUSE_DEMO", default_value_t = false)]
    pub demo: bool,
    /// Push releases (the GitOps repository's branches and tags) to this Git remote, where
    /// Argo CD or Flux sync from: `https://<token>@github.com/org/gitops.git`,
    /// `git@github.com:org/gitops.git`, or a path.
    #[arg(long, env = "GATEHOUSE_GITOPS_REMOTE", hide_env_values = true)]
    pub gitops_remote: Option<String>,
    /// Let consumers' application webhooks reach private networks and this machine. Off, they
    /// reach public addresses only: a consumer names the URL, and the server must not become
    /// their way into its own network.
    #[arg(long, env = "GATEHOUSE_CALLBACKS_TO_PRIVATE_NETWORKS", default_value_t = false)]
    pub callbacks_to_private_networks: bool,
    /// Do not run the local gateways (when the groups' gateways run elsewhere, e.g. a cluster).
    #[arg(long, env = "GATEHOUSE_NO_GATEWAYS", default_value_t = false)]
    pub no_gateways: bool,
    /// Analytics keeps events for this many days.
    #[arg(long, env = "GATEHOUSE_ANALYTICS_RETENTION_DAYS", default_value_t = 90)]
    pub analytics_retention_days: u32,
}

impl ServeArgs {
    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }
}
