//! `gatehouse serve`: the management plane, with its background tasks and local gateways.

use super::open_store;
use crate::config::{ServeArgs, StoreArgs};
use crate::http;
use crate::state::{AppState, Stopping};
use gatehouse_domain::application_webhooks::Reach;
use gatehouse_domain::deploy::Deployer;
use gatehouse_domain::deploy::gitops::Remote;
use gatehouse_domain::throttle::SignInThrottle;
use gatehouse_domain::{Db, DomainError, seed};
use leptos::config::LeptosOptions;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub fn leptos_options(args: &ServeArgs) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("gatehouse")
        .site_root(args.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(args.addr)
        .build()
}

pub async fn serve(store: &StoreArgs, args: ServeArgs) -> Result<(), DomainError> {
    let db = open_store(store).await?;
    let filled = gatehouse_domain::groups::fill_live_text(&db).await?;
    if filled > 0 {
        tracing::info!(apis = filled, "recorded the live revision's catalog text of APIs released before it was kept");
    }
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
        let analytics = analytics.clone();
        tokio::spawn(async move {
            match gatehouse_analytics::demo::seed(&analytics.db, gatehouse_domain::store::now_ms()).await {
                Ok(0) => {}
                Ok(n) => println!(
                    "Demo traffic: {n} generated events over the last 7 days (marked as demo data in analytics)."
                ),
                Err(e) => tracing::warn!(error = %e, "could not generate demo traffic"),
            }
            // After the traffic, so they are first checked against it.
            match gatehouse_analytics::demo::seed_alerts(&analytics).await {
                Ok(0) => {}
                Ok(n) => println!("Demo alerts: {n}, under Analytics → Alerts."),
                Err(e) => tracing::warn!(error = %e, "could not define the demo alerts"),
            }
        });
    }
    tokio::spawn(analytics.clone().maintain(args.analytics_retention_days));
    tokio::spawn(gatehouse_analytics::alerts::watch(analytics.clone()));

    let remote = args.gitops_remote.as_deref().filter(|r| !r.trim().is_empty()).map(Remote::new).transpose()?;
    if let Some(remote) = &remote {
        println!("Releases are pushed to {}", remote.shown());
    }
    let callbacks = if args.callbacks_to_private_networks {
        println!("Applications' webhooks may be sent to private networks and this machine");
        Reach::PrivateNetworksToo
    } else {
        Reach::PublicOnly
    };
    let deployer = Deployer::configured(db.clone(), store.gitops_repo(), remote, callbacks);
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
    tokio::spawn(deployer.clone().run_mirror());
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
    let binary = crate::supervisor::gateway_binary();
    if !binary.exists() {
        // The supervisor runs all the same: each group's page says why nothing serves, and the
        // gateways start once the binary is built.
        tracing::warn!(binary = %binary.display(), "the gateway is not built; local gateways wait for it (cargo build -p gatehouse-gateway)");
    }
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
