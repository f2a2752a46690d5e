//! The `gatehouse` command line: `serve`, `migrate`, `user create` and `token create` on the
//! data directory; `api`, `group`, `approval` and `deploy` against a running server's REST API,
//! as a pipeline uses them.

use crate::config::{ServeArgs, StoreArgs};
use crate::http;
use crate::remote::{Remote, RemoteError, is_project_archive};
use crate::state::{AppState, Stopping};
use clap::{Parser, Subcommand};
use gatehouse_contract::{
    ApiDiff, Application, ApprovalOutcome, Deployment, DeploymentStatus, DesignFinding, Diagnostic, FindingLevel,
    GatewayGroup, GroupSummary, NewClientSecret, Overview, PortalApi, Role, SubscriptionStatus,
};
use gatehouse_domain::deploy::Deployer;
use gatehouse_domain::throttle::SignInThrottle;
use gatehouse_domain::{Db, DomainError, accounts, audit, seed, tokens};
use leptos::config::LeptosOptions;
use std::future::IntoFuture;
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
    /// Work with APIs on a running server, as a pipeline would (like apictl).
    Api {
        #[command(flatten)]
        remote: RemoteArgs,
        #[command(subcommand)]
        command: ApiCommand,
    },
    /// Gateway groups on a running server: create and list them.
    Group {
        #[command(flatten)]
        remote: RemoteArgs,
        #[command(subcommand)]
        command: GroupCommand,
    },
    /// Approval requests on a running server: submit a revision for review, approve, reject.
    Approval {
        #[command(flatten)]
        remote: RemoteArgs,
        #[command(subcommand)]
        command: ApprovalCommand,
    },
    /// Deployments on a running server: status and rollback.
    Deploy {
        #[command(flatten)]
        remote: RemoteArgs,
        #[command(subcommand)]
        command: DeployCommand,
    },
    /// Credentials for calling an API through its gateway, as a pipeline's test step needs
    /// them (like apictl's `get keys`).
    Keys {
        #[command(flatten)]
        remote: RemoteArgs,
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// What the gateways saw, from a running server's analytics (a pipeline's check after a
    /// release).
    Analytics {
        #[command(flatten)]
        remote: RemoteArgs,
        #[command(subcommand)]
        command: AnalyticsCommand,
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

#[derive(Subcommand, Debug)]
pub enum ApprovalCommand {
    /// Ask for a revision to be deployed to the API's gateway group.
    Submit {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
        /// The revision's number (`POST /api/v1/apis/{id}/revisions` prints it).
        #[arg(long)]
        revision: i64,
        /// What the reviewer should know.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// List requests (default: pending ones).
    List {
        /// pending, approved or rejected.
        #[arg(long, default_value = "pending")]
        status: String,
    },
    /// Approve a request: its revision is deployed.
    Approve {
        /// The request's id (`approval submit` prints it).
        #[arg(long)]
        id: String,
        /// Shown to the creator and in the audit log.
        #[arg(long, default_value = "")]
        comment: String,
        /// Wait up to this many seconds for the group's gateways to serve the deployment;
        /// fail if they do not.
        #[arg(long, value_name = "SECONDS")]
        wait: Option<u64>,
    },
    /// Reject a request, saying why.
    Reject {
        /// The request's id.
        #[arg(long)]
        id: String,
        /// Why: shown to the creator.
        #[arg(long)]
        comment: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum DeployCommand {
    /// Recent deployments with their status and tag.
    Status {
        /// Only this gateway group.
        #[arg(long)]
        group: Option<String>,
    },
    /// Redeploy an earlier revision of an API in a group (a new release and tag).
    Rollback {
        /// The gateway group to redeploy in.
        #[arg(long)]
        group: String,
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
        /// The earlier revision to deploy again.
        #[arg(long)]
        revision: i64,
        /// Wait up to this many seconds for the group's gateways to serve it; fail if they do not.
        #[arg(long, value_name = "SECONDS")]
        wait: Option<u64>,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Print an access token for an API: an application of yours (made when missing) is
    /// subscribed with a tier the API offers, gets a new client secret for the key type (the
    /// old one stops working), and exchanges it at `/oauth2/token`.
    Get {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
        /// The application to use; keep it for this purpose, as its secret is replaced.
        #[arg(long, default_value = "gatehouse-cli")]
        app: String,
        /// The tier to subscribe with (default: the first the API offers without approval).
        #[arg(long)]
        tier: Option<String>,
        /// production or sandbox.
        #[arg(long, default_value = "production")]
        key_type: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AnalyticsCommand {
    /// Requests, outcomes, latency percentiles and the busiest APIs and applications over a
    /// range (a consumer sees their own applications' traffic only).
    Overview {
        /// 1h, 24h, 7d or 30d.
        #[arg(long, default_value = "24h")]
        range: String,
        /// Only this API (its id).
        #[arg(long)]
        api: Option<String>,
        /// Only this gateway group.
        #[arg(long)]
        group: Option<String>,
        /// Fail (exit status 1) when more than this percentage of requests did not succeed.
        #[arg(long, value_name = "PERCENT")]
        max_error_rate: Option<f64>,
    },
}

#[derive(Subcommand, Debug)]
pub enum GroupCommand {
    /// Create a gateway group (a publisher's or an admin's).
    Create {
        /// A git branch and Kubernetes name: lower-case letters, digits and `-`.
        #[arg(long)]
        name: String,
        /// The Ingress host its APIs are reached on, e.g. food.example.com.
        #[arg(long)]
        host: String,
        /// shared, private-jet or sidecar.
        #[arg(long, default_value = "shared")]
        mode: String,
        /// functional or regional.
        #[arg(long, default_value = "functional")]
        kind: String,
        /// A region or datacenter label; repeat for more.
        #[arg(long = "region")]
        regions: Vec<String>,
        /// Port of the group's local gateway (default: the next free one from 8081).
        #[arg(long)]
        port: Option<u16>,
    },
    /// List the gateway groups with their newest release and their APIs.
    List,
}

#[derive(Subcommand, Debug)]
pub enum ApiCommand {
    /// List APIs (name, version, context, state).
    List {
        /// Search words.
        #[arg(long, short = 'q', default_value = "")]
        query: String,
        /// Only APIs in this lifecycle state.
        #[arg(long)]
        state: Option<String>,
    },
    /// Export an API project archive (api.yaml + definition + docs/).
    Export {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
        /// Where to write the zip (default `<name>-<version>.zip`).
        #[arg(long, short = 'o')]
        output: Option<std::path::PathBuf>,
    },
    /// Import a project archive, a definition (YAML/JSON), or a zip of a multi-file definition.
    Import {
        /// The file to import.
        #[arg(long, short = 'f')]
        file: std::path::PathBuf,
        /// Context for a definition (default `/<name>/<version>`).
        #[arg(long)]
        context: Option<String>,
        /// Root document inside a zipped definition.
        #[arg(long)]
        entry: Option<String>,
    },
    /// Freeze the working copy as the next numbered revision; prints its number.
    Revision {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
        /// What changed, shown with the revision.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Assign the API to the gateway group that will serve it.
    SetGroup {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
        /// The gateway group's name.
        #[arg(long)]
        group: String,
    },
    /// Check a definition file without importing it (a pipeline's lint step): its errors and
    /// warnings with line and column; fails when it cannot be served as written.
    Validate {
        /// A single-file definition (YAML or JSON).
        #[arg(long, short = 'f')]
        file: std::path::PathBuf,
    },
    /// What changed between two versions of an API: operations, schemas, security, endpoints,
    /// tiers.
    Diff {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
        /// A revision number, or `working` (default: the newest revision).
        #[arg(long)]
        from: Option<String>,
        /// A revision number, or `working` (default).
        #[arg(long)]
        to: Option<String>,
        /// Fail (exit status 1) when the change removes or changes what clients rely on.
        #[arg(long)]
        fail_on_breaking: bool,
    },
    /// Rewrite a Swagger 2.0 working copy as OpenAPI 3.0 (revisions keep their definition).
    Convert {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
    },
    /// The design review of a working copy: one finding a line (level, rule, operation, what).
    Review {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
        /// Fail (exit status 1) when the review warns of anything, as a pipeline's gate.
        #[arg(long)]
        strict: bool,
    },
    /// Move an API through its lifecycle: publish, prototype, demote, block, deprecate, retire.
    ChangeStatus {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
        /// publish, prototype, demote, block, deprecate or retire.
        #[arg(long, short = 'a')]
        action: String,
        /// Recorded with the change.
        #[arg(long, default_value = "")]
        comment: String,
        /// Confirm a step that cannot be undone (deprecate, retire).
        #[arg(long)]
        confirm: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account (or set the password and role of an existing one). Without
    /// --password a random one is generated and printed once.
    Create {
        /// The account's email (its sign-in name).
        #[arg(long)]
        email: String,
        /// admin, publisher, creator or consumer.
        #[arg(long)]
        role: Role,
        /// At least 10 characters.
        #[arg(long)]
        password: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a personal access token for an account and print it once.
    Create {
        /// The account the token acts as.
        #[arg(long)]
        email: String,
        /// What the token is for (e.g. the pipeline's name), shown in the account's token list.
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
        Command::Api { remote, command } => run_api(&remote, command).await.map_err(remote_failed),
        Command::Approval { remote, command } => run_approval(&remote, command).await.map_err(remote_failed),
        Command::Deploy { remote, command } => run_deploy(&remote, command).await.map_err(remote_failed),
        Command::Group { remote, command } => run_group(&remote, command).await.map_err(remote_failed),
        Command::Keys { remote, command } => run_keys(&remote, command).await.map_err(remote_failed),
        Command::Analytics { remote, command } => run_analytics(&remote, command).await.map_err(remote_failed),
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
                    let system = gatehouse_domain::Actor {
                        user_id: String::new(),
                        email: audit::SYSTEM.into(),
                        role: Role::Admin,
                    };
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
    // The sample API is deployed only with the demo group it belongs to, on the demo's first run.
    let mut demo_group_created = false;
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
        // A convenience: if it cannot be made (say the demo publisher's role was changed), the
        // server still starts.
        match seed::seed_demo_group(&db).await {
            Ok(Some(group)) => {
                demo_group_created = true;
                let port = group.port.unwrap_or(gatehouse_domain::groups::FIRST_LOCAL_PORT);
                println!(
                    "Demo gateway group: {} — APIs approved for it are served at http://127.0.0.1:{port}",
                    group.name
                );
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not create the demo gateway group"),
        }
    }
    // Dogfooding: the management API is listed in the portal. A failure here must not keep
    // the server from starting; it is logged.
    let document = serde_json::to_string_pretty(http::api::document()).unwrap_or_default();
    if let Err(e) = gatehouse_domain::portal::publish_management_api(&db, &document).await {
        tracing::warn!(error = %e, "could not list the management API in the portal");
    }
    if !args.site_root.join("pkg").exists() {
        tracing::warn!(site_root = %args.site_root.display(), "site root has no pkg/; build the UI with `cargo leptos build` (make run does)");
    }

    let analytics = gatehouse_analytics::Store::open(db.clone(), store.data_dir.join("analytics")).await?;
    if args.demo {
        // In the background: the server answers while a week of traffic is being ingested.
        let db = db.clone();
        tokio::spawn(async move {
            match gatehouse_analytics::demo::seed(&db, gatehouse_domain::store::now_ms()).await {
                Ok(0) => {}
                Ok(n) => println!(
                    "Demo traffic: {n} generated events over the last 7 days (marked as demo data in analytics)."
                ),
                Err(e) => tracing::warn!(error = %e, "could not generate demo traffic"),
            }
        });
    }
    tokio::spawn(analytics.clone().maintain(args.analytics_retention_days));

    let deployer = Deployer::new(db.clone(), store.gitops_repo());
    if demo_group_created {
        // Before the gateways start, so the demo gateway's first bundle serves it.
        match seed::seed_demo_api(&db, &deployer).await {
            Ok(Some(deployment)) => println!(
                "Demo API: Pizza Shack (a prototype answering from its examples), released as {} — try it in the portal",
                deployment.tag
            ),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not deploy the demo API"),
        }
    }
    tokio::spawn(deployer.clone().run_webhooks());
    let (stop, stopping) = Stopping::new();
    let state = AppState {
        leptos_options: leptos_options(&args),
        db: db.clone(),
        throttle: Arc::new(SignInThrottle::default()),
        deployer,
        public_origin: args.public_url.as_deref().map(|u| u.trim_end_matches('/').to_ascii_lowercase().into()),
        analytics,
        stopping: stopping.clone(),
    };
    if !args.no_gateways {
        spawn_gateways(db.clone(), &args, store.data_dir.join("gateways"));
    }
    spawn_session_cleanup(db.clone());
    spawn_key_rotation(db.clone());
    let app = http::router(state, args.secure_cookies());
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| DomainError::Internal(format!("cannot listen on {}: {e}", args.addr)))?;
    println!("Gatehouse is listening on http://{}", args.addr);
    let serve = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(
        async move {
            shutdown_signal().await;
            let _ = stop.send(true);
        },
    );
    // Requests under way get a few seconds to finish; a client that keeps its request open
    // longer does not hold the server (or a restart waiting for its port) hostage.
    tokio::select! {
        served = serve.into_future() => served.map_err(|e| DomainError::Internal(format!("server: {e}"))),
        _ = async {
            stopping.raised().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => {
            tracing::warn!(grace_secs = SHUTDOWN_GRACE.as_secs(), "requests still open after the grace period; stopping anyway");
            Ok(())
        }
    }
}

/// How long a stopping server lets requests under way finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The embedded default: one local gateway per group, supervised (see `supervisor`).
fn spawn_gateways(db: Db, args: &ServeArgs, state_root: std::path::PathBuf) {
    let Some(binary) = crate::supervisor::gateway_binary() else {
        tracing::warn!(
            "gatehouse-gateway was not found beside gatehouse; local gateways are off (cargo build -p gatehouse-gateway)"
        );
        return;
    };
    let host = if args.addr.ip().is_unspecified() { "127.0.0.1".to_string() } else { args.addr.ip().to_string() };
    let server_url = format!("http://{host}:{}", args.addr.port());
    tokio::spawn(crate::supervisor::Supervisor { db, binary, server_url, state_root }.run());
}

/// Signing keys older than 30 days are rotated (checked hourly).
fn spawn_key_rotation(db: Db) {
    const MAX_AGE_MS: i64 = 30 * 24 * 3600 * 1000;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(e) = gatehouse_domain::keys::rotate_if_older(&db, MAX_AGE_MS).await {
                tracing::warn!(error = %e, "scheduled key rotation failed");
            }
        }
    });
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

async fn run_api(args: &RemoteArgs, command: ApiCommand) -> Result<(), RemoteError> {
    let remote = Remote::new(&args.server, &args.token)?;
    match command {
        ApiCommand::List { query, state } => {
            let page = remote.list(&query, state.as_deref()).await?;
            println!("{:<28} {:<10} {:<28} {:<11} OPERATIONS", "NAME", "VERSION", "CONTEXT", "STATE");
            for api in &page.items {
                println!(
                    "{:<28} {:<10} {:<28} {:<11} {}",
                    api.name,
                    api.version,
                    api.context,
                    api.state.as_str(),
                    api.operations
                );
            }
            eprintln!("{} of {} {}", page.items.len(), page.total, if page.total == 1 { "API" } else { "APIs" });
        }
        ApiCommand::Export { name, version, output } => {
            let api = remote.find(&name, &version).await?;
            let bytes = remote.export(&api.id).await?;
            let path = output.unwrap_or_else(|| gatehouse_domain::apis::project::archive_name(&name, &version).into());
            std::fs::write(&path, bytes)
                .map_err(|e| RemoteError::Usage(format!("cannot write {}: {e}", path.display())))?;
            println!("exported {name} {version} to {}", path.display());
        }
        ApiCommand::Import { file, context, entry } => {
            let bytes =
                std::fs::read(&file).map_err(|e| RemoteError::Usage(format!("cannot read {}: {e}", file.display())))?;
            let project = bytes.starts_with(b"PK\x03\x04") && is_project_archive(&bytes);
            let outcome = remote.import(bytes, project, context.as_deref(), entry.as_deref()).await?;
            println!(
                "{} {} {} at {} (id {})",
                if outcome.updated { "updated" } else { "created" },
                outcome.name,
                outcome.version,
                outcome.context,
                outcome.id
            );
            for w in &outcome.warnings {
                eprintln!("warning: {}:{} {} ({})", w.line, w.column, w.message, w.pointer);
            }
        }
        ApiCommand::Revision { name, version, note } => {
            let api = remote.find(&name, &version).await?;
            let created =
                remote.post_json(&format!("/apis/{}/revisions", api.id), &serde_json::json!({ "note": note })).await?;
            // Only the number on stdout, so scripts can capture it: `REV=$(gatehouse api revision …)`.
            println!("{}", created["number"]);
            eprintln!("revision {} of {name} {version} created", created["number"]);
        }
        ApiCommand::SetGroup { name, version, group } => {
            let api = remote.find(&name, &version).await?;
            remote.put_json(&format!("/apis/{}/group", api.id), &serde_json::json!({ "group": group })).await?;
            println!("{name} {version} is served by the gateway group {group}");
        }
        ApiCommand::Validate { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| RemoteError::Usage(format!("cannot read {} as text: {e}", file.display())))?;
            let validation: Validation = remote.post_text("/apis/validate", text, "application/yaml").await?;
            let shown = file.display();
            for (level, diagnostics) in [("error", &validation.errors), ("warning", &validation.warnings)] {
                for d in diagnostics {
                    println!("{level}: {shown}:{}:{} {} ({})", d.line, d.column, d.message, d.pointer);
                }
            }
            if !validation.errors.is_empty() {
                return Err(RemoteError::Usage(format!(
                    "{shown} cannot be served as written: {} error(s)",
                    validation.errors.len()
                )));
            }
            println!("{shown} can be served ({} warning(s))", validation.warnings.len());
        }
        ApiCommand::Diff { name, version, from, to, fail_on_breaking } => {
            let api = remote.find(&name, &version).await?;
            let mut query = Vec::new();
            query.extend(from.as_deref().map(|from| ("from", from)));
            query.extend(to.as_deref().map(|to| ("to", to)));
            let diff: ApiDiff = remote.get_with(&format!("/apis/{}/diff", api.id), &query).await?;
            print_diff(&diff);
            if fail_on_breaking && !diff.is_additive() {
                return Err(RemoteError::Usage("the change removes or changes what clients rely on".into()));
            }
        }
        ApiCommand::Convert { name, version } => {
            let api = remote.find(&name, &version).await?;
            let detail = remote.get_json(&format!("/apis/{}", api.id)).await?;
            let edit_version = detail["edit_version"].as_i64().unwrap_or_default();
            let converted = remote
                .post_json(
                    &format!("/apis/{}/definition/convert", api.id),
                    &serde_json::json!({ "edit_version": edit_version }),
                )
                .await?;
            println!("{name} {version} is OpenAPI 3.0 now (edit {})", converted["edit_version"]);
        }
        ApiCommand::Review { name, version, strict } => {
            let api = remote.find(&name, &version).await?;
            let detail = remote.get_json(&format!("/apis/{}", api.id)).await?;
            let findings: Vec<DesignFinding> = serde_json::from_value(detail["design"].clone())
                .map_err(|e| RemoteError::Usage(format!("the server's design review could not be read: {e}")))?;
            for f in &findings {
                let operation = f.operation.as_deref().unwrap_or("(the API)");
                println!("{:<8} {:<20} {:<28} {}", f.level.as_str(), f.rule, operation, f.message);
            }
            let warnings = findings.iter().filter(|f| f.level == FindingLevel::Warning).count();
            println!("{name} {version}: {warnings} warning(s), {} advice", findings.len() - warnings);
            if strict && warnings > 0 {
                return Err(RemoteError::Usage(format!("the design review warns of {warnings} thing(s) (--strict)")));
            }
        }
        ApiCommand::ChangeStatus { name, version, action, comment, confirm } => {
            let api = remote.find(&name, &version).await?;
            let state = remote.change_status(&api.id, &action, &comment, confirm).await?;
            println!("{name} {version} is now {state}");
        }
    }
    Ok(())
}

/// What `POST /api/v1/apis/validate` answers.
#[derive(serde::Deserialize)]
struct Validation {
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

/// A semantic diff, one change a line: `+` added, `-` removed, `~` changed.
fn print_diff(diff: &ApiDiff) {
    if diff.is_empty() {
        println!("no change");
        return;
    }
    for operation in &diff.operations_added {
        println!("+ {operation}");
    }
    for operation in &diff.operations_removed {
        println!("- {operation}");
    }
    for change in &diff.operations_changed {
        println!("~ {}: {}", change.operation, change.changes.join("; "));
    }
    for (mark, schemas) in [("+", &diff.schemas_added), ("-", &diff.schemas_removed), ("~", &diff.schemas_changed)] {
        for schema in schemas {
            println!("{mark} schema {schema}");
        }
    }
    for (what, changes) in
        [("security", &diff.security), ("endpoints", &diff.endpoints), ("tiers", &diff.tiers), ("other", &diff.other)]
    {
        for change in changes {
            println!("{what}: {change}");
        }
    }
    println!(
        "{}",
        if diff.is_additive() {
            "additive: nothing clients rely on changed"
        } else {
            "breaking: removes or changes what clients rely on"
        }
    );
}

fn remote_failed(e: RemoteError) -> DomainError {
    DomainError::Invalid { field: "server".into(), message: e.to_string() }
}

fn print_deployment(d: &Deployment) {
    let reason = if d.reason.is_empty() { String::new() } else { format!("  ({})", d.reason) };
    println!(
        "{:<38} {:<14} {:<20} rev {:<4} {:<10} {:<22} live on {}/{}{reason}",
        d.id,
        d.group,
        d.api_name,
        d.revision,
        d.status.as_str(),
        d.tag,
        d.live_on,
        d.gateways
    );
}

/// What `GET /api/v1/deployments` answers.
#[derive(serde::Deserialize)]
struct Deployments {
    items: Vec<Deployment>,
}

async fn run_approval(args: &RemoteArgs, command: ApprovalCommand) -> Result<(), RemoteError> {
    let remote = Remote::new(&args.server, &args.token)?;
    match command {
        ApprovalCommand::Submit { name, version, revision, note } => {
            let api = remote.find(&name, &version).await?;
            let created = remote
                .post_json("/approvals", &serde_json::json!({ "api_id": api.id, "revision": revision, "note": note }))
                .await?;
            println!("{}", created["id"].as_str().unwrap_or_default());
            eprintln!("revision {revision} of {name} {version} submitted for review");
        }
        ApprovalCommand::List { status } => {
            let list = remote.get_json(&format!("/approvals?status={status}")).await?;
            for a in list.as_array().into_iter().flatten() {
                // A revision request names its revision and group; a subscription request its tier.
                let what = match a["subscription"].as_object() {
                    Some(sub) => {
                        let tier = sub.get("tier").and_then(|t| t.as_str()).unwrap_or_default();
                        match sub.get("requested_tier").and_then(|t| t.as_str()) {
                            Some(asked) => format!("tier {tier} → {asked}"),
                            None => format!("tier {tier}"),
                        }
                    }
                    None => format!("rev {} → {}", a["revision"], a["group"].as_str().unwrap_or_default()),
                };
                println!(
                    "{:<38} {:<12} {:<20} {:<8} {:<22} by {}",
                    a["id"].as_str().unwrap_or_default(),
                    a["kind"].as_str().unwrap_or_default(),
                    a["api_name"].as_str().unwrap_or_default(),
                    a["api_version"].as_str().unwrap_or_default(),
                    what,
                    a["requested_by"].as_str().unwrap_or_default()
                );
            }
        }
        ApprovalCommand::Approve { id, comment, wait } => {
            let decided: ApprovalOutcome =
                remote.post(&format!("/approvals/{id}/approve"), &serde_json::json!({ "comment": comment })).await?;
            if let Some(deployment) = decided.deployment {
                print_deployment(&deployment);
                if let Some(seconds) = wait {
                    wait_until_live(&remote, &deployment, seconds).await?;
                }
            } else if let Some(s) = decided.subscription {
                println!("approved: {} subscribes to {} with tier {}", s.application_name, s.api_name, s.tier);
            }
        }
        ApprovalCommand::Reject { id, comment } => {
            remote.post_json(&format!("/approvals/{id}/reject"), &serde_json::json!({ "comment": comment })).await?;
            println!("rejected");
        }
    }
    Ok(())
}

async fn run_deploy(args: &RemoteArgs, command: DeployCommand) -> Result<(), RemoteError> {
    let remote = Remote::new(&args.server, &args.token)?;
    match command {
        DeployCommand::Status { group } => {
            let query: Vec<(&str, &str)> = group.as_deref().map(|group| ("group", group)).into_iter().collect();
            let list: Deployments = remote.get_with("/deployments", &query).await?;
            for d in &list.items {
                print_deployment(d);
            }
        }
        DeployCommand::Rollback { group, name, version, revision, wait } => {
            let api = remote.find(&name, &version).await?;
            let body = serde_json::json!({ "group": group, "api_id": api.id, "revision": revision });
            let deployment: Deployment = remote.post("/deployments/rollback", &body).await?;
            print_deployment(&deployment);
            if let Some(seconds) = wait {
                wait_until_live(&remote, &deployment, seconds).await?;
            }
        }
    }
    Ok(())
}

/// Waits until every gateway of the deployment's group that reports serves it (at least one
/// must), so a pipeline's next step can call the API; fails when the deployment failed or the
/// time is up.
async fn wait_until_live(remote: &Remote, deployment: &Deployment, seconds: u64) -> Result<(), RemoteError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        let now: Deployment = remote.get(&format!("/deployments/{}", deployment.id)).await?;
        let (live_on, gateways) = (now.live_on, now.gateways);
        match now.status {
            DeploymentStatus::Failed => {
                return Err(RemoteError::Usage(format!("deployment {} failed: {}", now.id, now.reason)));
            }
            _ if gateways > 0 && live_on == gateways => {
                println!("live on {live_on} of {gateways} gateways");
                return Ok(());
            }
            _ if tokio::time::Instant::now() >= deadline => {
                return Err(RemoteError::Usage(format!(
                    "deployment {} is live on {live_on} of {gateways} gateways after {seconds} s",
                    now.id
                )));
            }
            _ => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

async fn run_keys(args: &RemoteArgs, command: KeysCommand) -> Result<(), RemoteError> {
    let remote = Remote::new(&args.server, &args.token)?;
    let KeysCommand::Get { name, version, app, tier, key_type } = command;
    let api = remote.find_in_portal(&name, &version).await?;
    let applications: Vec<Application> = remote.get("/applications").await?;
    let application = match applications.into_iter().find(|a| a.name == app) {
        Some(application) => application,
        None => {
            let body = serde_json::json!({ "name": app, "description": "Made by `gatehouse keys get`." });
            remote.post("/applications", &body).await?
        }
    };
    let subscription = match application.subscriptions.iter().find(|s| s.api_id == api.id) {
        Some(subscription) => subscription.clone(),
        None => {
            let tier = match tier {
                Some(tier) => tier,
                None => {
                    let page: PortalApi = remote.get(&format!("/portal/apis/{}", api.id)).await?;
                    page.tiers.into_iter().find(|t| !t.needs_approval).map(|t| t.name).ok_or_else(|| {
                        RemoteError::Usage(format!(
                            "{name} {version} offers no tier without approval: choose one with --tier"
                        ))
                    })?
                }
            };
            let body = serde_json::json!({ "application_id": application.id, "api_id": api.id, "tier": tier });
            remote.post("/subscriptions", &body).await?
        }
    };
    if subscription.status != SubscriptionStatus::Active {
        return Err(RemoteError::Usage(format!(
            "{app}'s subscription to {name} {version} is {}: no token can call it yet",
            subscription.status.label()
        )));
    }
    let credentials = format!("/applications/{}/credentials", application.id);
    let client: NewClientSecret = remote.post(&credentials, &serde_json::json!({ "key_type": key_type })).await?;
    let token = remote.access_token(&client.client_id, &client.client_secret).await?;
    // Only the token on stdout, so scripts can capture it: `ACCESS=$(gatehouse keys get …)`.
    println!("{}", token["access_token"].as_str().unwrap_or_default());
    eprintln!(
        "{key_type} token of {app} (tier {}) for {name} {version}; expires in {} s",
        subscription.tier, token["expires_in"]
    );
    Ok(())
}

async fn run_analytics(args: &RemoteArgs, command: AnalyticsCommand) -> Result<(), RemoteError> {
    let remote = Remote::new(&args.server, &args.token)?;
    let AnalyticsCommand::Overview { range, api, group, max_error_rate } = command;
    let mut query = vec![("range", range.as_str())];
    query.extend(api.as_deref().map(|api| ("api", api)));
    query.extend(group.as_deref().map(|group| ("group", group)));
    let overview: Overview = remote.get_with("/analytics/overview", &query).await?;
    let t = &overview.totals;
    let ms = |v: Option<f64>| v.map(|v| format!("{v:.1} ms")).unwrap_or_else(|| "-".into());
    println!(
        "{} requests, {:.1} % not successful: {} client errors, {} server errors, {} throttled, {} auth failures",
        t.requests,
        t.error_rate * 100.0,
        t.client_error,
        t.server_error,
        t.throttled,
        t.auth_failure
    );
    println!(
        "latency p50 {} · p95 {} · p99 {} (backend p95 {})",
        ms(t.latency.p50),
        ms(t.latency.p95),
        ms(t.latency.p99),
        ms(t.backend_latency.p95)
    );
    for (title, rows) in [("APIs", &overview.top_apis), ("applications", &overview.top_applications)] {
        for row in rows.iter().take(5) {
            println!(
                "{title:<13} {:<32} {:>9} requests {:>7} errors  p95 {}",
                row.label,
                row.requests,
                row.errors,
                ms(row.p95_ms)
            );
        }
    }
    if overview.includes_demo {
        eprintln!("(includes demo traffic generated by demo mode, not by real gateways)");
    }
    if let Some(limit) = max_error_rate
        && t.error_rate * 100.0 > limit
    {
        return Err(RemoteError::Usage(format!(
            "{:.1} % of requests did not succeed, more than --max-error-rate {limit} %",
            t.error_rate * 100.0
        )));
    }
    Ok(())
}

async fn run_group(args: &RemoteArgs, command: GroupCommand) -> Result<(), RemoteError> {
    let remote = Remote::new(&args.server, &args.token)?;
    match command {
        GroupCommand::Create { name, host, mode, kind, regions, port } => {
            let body = serde_json::json!({ "name": name, "host": host, "mode": mode, "kind": kind,
                                           "regions": regions, "port": port });
            let group: GatewayGroup = remote.post("/gateway-groups", &body).await?;
            println!(
                "created the gateway group {} ({}, {}); its local gateway serves on port {}",
                group.name,
                group.mode.as_str(),
                group.kind.as_str(),
                group.port.map(|p| p.to_string()).unwrap_or_else(|| "(none)".into())
            );
        }
        GroupCommand::List => {
            let groups: Vec<GroupSummary> = remote.get("/gateway-groups").await?;
            println!(
                "{:<20} {:<11} {:<12} {:<28} {:<6} {:<24} APIS",
                "NAME", "MODE", "KIND", "HOST", "PORT", "RELEASE"
            );
            for GroupSummary { group, apis, tag } in groups {
                let apis: Vec<String> = apis.iter().map(|a| format!("{} {}", a.name, a.version)).collect();
                println!(
                    "{:<20} {:<11} {:<12} {:<28} {:<6} {:<24} {}",
                    group.name,
                    group.mode.as_str(),
                    group.kind.as_str(),
                    group.host,
                    group.port.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
                    tag.as_deref().unwrap_or("-"),
                    apis.join(", ")
                );
            }
        }
    }
    Ok(())
}
