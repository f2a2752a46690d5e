//! The `gatehouse` command line: `serve`, `migrate`, `user create`, `token create`.

use crate::config::{ServeArgs, StoreArgs};
use crate::http;
use crate::state::AppState;
use clap::{Parser, Subcommand};
use gatehouse_contract::Role;
use gatehouse_domain::throttle::SignInThrottle;
use gatehouse_domain::{Db, DomainError, accounts, audit, seed, tokens};
use leptos::config::LeptosOptions;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

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
        command: UserCommand,
    },
    /// Manage personal access tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account (or set the password and role of an existing one). Without
    /// --password a random one is generated and printed once.
    Create {
        #[arg(long)]
        email: String,
        /// admin, publisher, creator or consumer.
        #[arg(long)]
        role: Role,
        #[arg(long)]
        password: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a personal access token for an account and print it once.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
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
        Command::Serve(args) => serve(&cli.store, args).await,
        Command::Migrate => {
            open_store(&cli.store).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::User { command: UserCommand::Create { email, role, password } } => {
            let db = open_store(&cli.store).await?;
            let generated = password.is_none();
            let password = password.unwrap_or_else(accounts::generate_password);
            match accounts::create_user(&db, audit::SYSTEM, &email, &password, role).await {
                Ok(user) => println!("created {} ({})", user.email, user.role),
                Err(DomainError::Conflict(_)) => {
                    // Re-running the command converges the account to what was asked for.
                    accounts::set_password(&db, audit::SYSTEM, &email, &password).await?;
                    let actor = accounts::actor_by_email(&db, &email).await?;
                    let system = gatehouse_domain::Actor { user_id: String::new(), email: audit::SYSTEM.into(), role: Role::Admin };
                    accounts::change_role(&db, &system, &actor.user_id, role).await?;
                    println!("updated {} ({role})", actor.email);
                }
                Err(e) => return Err(e),
            }
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        Command::Token { command: TokenCommand::Create { email, name } } => {
            let db = open_store(&cli.store).await?;
            let token = tokens::create_for_email(&db, &email, &name).await?;
            // Only the token on stdout, so scripts can capture it: `T=$(gatehouse token create …)`.
            println!("{}", token.token);
            eprintln!("token “{}” created for {email}; it is shown only this once", token.name);
            Ok(())
        }
    }
}

pub fn leptos_options(args: &ServeArgs) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("gatehouse")
        .site_root(args.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(args.addr)
        .build()
}

async fn serve(store: &StoreArgs, args: ServeArgs) -> Result<(), DomainError> {
    let db = open_store(store).await?;
    if args.demo {
        let created = seed::seed_demo_users(&db).await?;
        if created.is_empty() {
            println!("Demo accounts already exist (their passwords were printed when they were created).");
        } else {
            println!("Demo accounts (passwords shown only this once):");
            for account in &created {
                println!("  {:<10} {:<36} {}", account.role.as_str(), account.email, account.password);
            }
        }
    }
    if !args.site_root.join("pkg").exists() {
        tracing::warn!(site_root = %args.site_root.display(), "site root has no pkg/; build the UI with `cargo leptos build` (make run does)");
    }

    let state = AppState {
        leptos_options: leptos_options(&args),
        db: db.clone(),
        throttle: Arc::new(SignInThrottle::default()),
        public_origin: args.public_url.as_deref().map(|u| u.trim_end_matches('/').to_ascii_lowercase().into()),
    };
    spawn_session_cleanup(db.clone());
    let app = http::router(state, args.secure_cookies());
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| DomainError::Internal(format!("cannot listen on {}: {e}", args.addr)))?;
    println!("Gatehouse is listening on http://{}", args.addr);
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| DomainError::Internal(format!("server: {e}")))
}

/// Expired sessions are removed hourly so the table does not grow without bound.
fn spawn_session_cleanup(db: Db) {
    use tower_sessions::session_store::ExpiredDeletion;
    let store = gatehouse_domain::sessions::DbSessionStore::new(db);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(e) = store.delete_expired().await {
                tracing::warn!(error = %e, "could not delete expired sessions");
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}
