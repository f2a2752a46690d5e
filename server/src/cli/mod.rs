//! The `gatehouse` command line. On the data directory: `serve`, `migrate`, `user create` and
//! `token create`. Against a running server's REST API, as a pipeline uses them (apictl's
//! steps): `api`, `group`, `approval`, `deploy`, `keys`, `subscription`, `analytics`, `alert`, `webhook` and `audit`;
//! for a consumer's scripts, `application`. One module each.

mod accounts;
mod alert;
mod analytics;
mod api;
mod application;
mod approval;
mod audit;
mod deploy;
mod group;
mod keys;
mod serve;
mod subscription;
mod table;
mod webhook;

use crate::config::{ServeArgs, StoreArgs};
use crate::remote::{Remote, RemoteError};
use clap::{Parser, Subcommand};
use gatehouse_domain::{Db, DomainError};

pub use serve::leptos_options;

#[derive(Parser, Debug)]
#[command(name = "gatehouse", version, about = "Gatehouse: decentralized API management")]
pub struct Cli {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web UI and the REST API (applies migrations first).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: accounts::UserCommand,
    },
    /// Manage personal access tokens.
    Token {
        #[command(subcommand)]
        command: accounts::TokenCommand,
    },
    /// Work with APIs on a running server, as a pipeline would (like apictl).
    Api {
        #[command(flatten)]
        remote: RemoteArgs,
        #[command(subcommand)]
        command: api::ApiCommand,
    },
    /// Gateway groups on a running server: create and list them.
    Group {
        #[command(flatten)]
        remote: RemoteArgs,
        #[command(subcommand)]
        command: group::GroupCommand,
    },
    /// Approval requests on a running server: submit a revision for review, approve, reject.
    Approval {
        #[command(flatten)]
        remote: RemoteArgs,
        #[command(subcommand)]
        command: approval::ApprovalCommand,
    },
    /// Deployments on a running server: status and rollback.
    Deploy {
        #[command(flatten)]
        remote: RemoteArgs,
        #[command(subcommand)]
        command: deploy::DeployCommand,
    },
    /// Credentials for calling an API through its gateway, as a pipeline's test step needs
    /// them (like apictl's `get keys`).
    Keys {
        #[command(flatten)]
        remote: RemoteArgs,
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// Who subscribes to an API on a running server, and suspending or resuming one
    /// application's subscription (publishers).
    Subscription {
        #[command(flatten)]
        remote: RemoteArgs,
        #[command(subcommand)]
        command: subscription::SubscriptionCommand,
    },
    /// What the gateways saw, from a running server's analytics (a pipeline's check after a
    /// release).
    Analytics {
        #[command(flatten)]
        remote: RemoteArgs,
        #[command(subcommand)]
        command: analytics::AnalyticsCommand,
    },
    /// Alerts on the gateways' traffic on a running server (publishers): define, list,
    /// remove, and when they fired.
    Alert {
        #[command(flatten)]
        remote: RemoteArgs,
        #[command(subcommand)]
        command: alert::AlertCommand,
    },
    /// Your applications on a running server (consumers): list them, and set, show, test or
    /// remove the webhook that tells one what happens to its subscriptions.
    Application {
        #[command(flatten)]
        remote: RemoteArgs,
        #[command(subcommand)]
        command: application::ApplicationCommand,
    },
    /// Webhooks on a running server (admins): add, list, remove, test, and their deliveries.
    Webhook {
        #[command(flatten)]
        remote: RemoteArgs,
        #[command(subcommand)]
        command: webhook::WebhookCommand,
    },
    /// The audit log on a running server (admins): who did what, to what, when.
    Audit {
        #[command(flatten)]
        remote: RemoteArgs,
        #[command(flatten)]
        args: audit::AuditArgs,
    },
}

/// Which server to talk to, and as whom.
#[derive(clap::Args, Debug)]
pub struct RemoteArgs {
    /// Base URL of the Gatehouse server.
    #[arg(long, env = "GATEHOUSE_SERVER", default_value = "http://127.0.0.1:3000", global = true)]
    pub server: String,
    /// Personal access token (`gatehouse token create`).
    #[arg(long, env = "GATEHOUSE_TOKEN", hide_env_values = true, global = true, default_value = "")]
    pub token: String,
}

impl RemoteArgs {
    fn connect(&self) -> Result<Remote, RemoteError> {
        Remote::new(&self.server, &self.token)
    }
}

/// Open the configured database (creating the data directory for SQLite) and migrate it.
pub async fn open_store(store: &StoreArgs) -> Result<Db, DomainError> {
    std::fs::create_dir_all(&store.data_dir).map_err(|e| {
        DomainError::Internal(format!("cannot create data directory {}: {e}", store.data_dir.display()))
    })?;
    let db = Db::connect(&store.database_url()).await?;
    db.migrate().await?;
    Ok(db)
}

pub async fn run(cli: Cli) -> Result<(), DomainError> {
    match cli.command {
        Command::Serve(args) => serve::serve(&cli.store, args).await,
        Command::Migrate => {
            open_store(&cli.store).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::User { command } => accounts::run_user(&cli.store, command).await,
        Command::Token { command } => accounts::run_token(&cli.store, command).await,
        Command::Api { remote, command } => Ok(api::run(&remote.connect()?, command).await?),
        Command::Group { remote, command } => Ok(group::run(&remote.connect()?, command).await?),
        Command::Approval { remote, command } => Ok(approval::run(&remote.connect()?, command).await?),
        Command::Deploy { remote, command } => Ok(deploy::run(&remote.connect()?, command).await?),
        Command::Keys { remote, command } => Ok(keys::run(&remote.connect()?, command).await?),
        Command::Subscription { remote, command } => Ok(subscription::run(&remote.connect()?, command).await?),
        Command::Analytics { remote, command } => Ok(analytics::run(&remote.connect()?, command).await?),
        Command::Alert { remote, command } => Ok(alert::run(&remote.connect()?, command).await?),
        Command::Application { remote, command } => Ok(application::run(&remote.connect()?, command).await?),
        Command::Webhook { remote, command } => Ok(webhook::run(&remote.connect()?, command).await?),
        Command::Audit { remote, args } => Ok(audit::run(&remote.connect()?, args).await?),
    }
}

/// What the server answered, or why it could not be asked, reported as the CLI's error.
impl From<RemoteError> for DomainError {
    fn from(e: RemoteError) -> Self {
        DomainError::Invalid { field: "server".into(), message: e.to_string() }
    }
}
