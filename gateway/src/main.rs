//! `gatehouse-gateway`: the microgateway. Serves one gateway group's APIs from its bundle,
//! validates credentials offline, enforces tiers, answers prototypes from examples, proxies to
//! backends and sends one event per request. Health, readiness and Prometheus metrics are on a
//! separate admin port.
//!
//!   gatehouse-gateway --listen 127.0.0.1:8080 --admin 127.0.0.1:9901 \
//!       [--bundle bundle.json] [--server http://127.0.0.1:3000 --token ggw_…] [--state-dir DIR]

mod auth;
mod events;
mod limiter;
mod metrics;
mod proxy;
mod pull;
mod runtime;

use arc_swap::ArcSwapOption;
use bytes::Bytes;
use clap::Parser;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use metrics::Metrics;
use proxy::Gateway;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(name = "gatehouse-gateway", about = "The Gatehouse microgateway")]
struct Args {
    /// Where API traffic is served.
    #[arg(long, env = "GATEWAY_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Health (/healthz, /readyz) and metrics (/metrics).
    #[arg(long, env = "GATEWAY_ADMIN_LISTEN", default_value = "127.0.0.1:9901")]
    admin: SocketAddr,
    /// A bundle to start from (e.g. the ConfigMap's bundle.json); works with no management plane.
    #[arg(long, env = "GATEWAY_BUNDLE")]
    bundle: Option<PathBuf>,
    /// The management plane to pull bundles from and send events to.
    #[arg(long, env = "GATEHOUSE_SERVER")]
    server: Option<String>,
    /// This gateway's credential (`ggw_…`), from the group page or REST.
    #[arg(long, env = "GATEHOUSE_GATEWAY_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Keeps the last good bundle and the event spool.
    #[arg(long, env = "GATEWAY_STATE_DIR", default_value = "gateway-state")]
    state_dir: PathBuf,
    /// This instance's name in events and heartbeats (default: host and process id).
    #[arg(long, env = "GATEWAY_INSTANCE")]
    instance: Option<String>,
    #[arg(long, env = "GATEWAY_REGION", default_value = "")]
    region: String,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn text(status: StatusCode, body: String, content_type: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(content_type));
    response
}

async fn admin(gateway: Arc<Gateway>, metrics: Arc<Metrics>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    match request.uri().path() {
        "/healthz" => text(StatusCode::OK, "ok\n".into(), "text/plain"),
        "/readyz" => match gateway.runtime.load().as_ref() {
            Some(rt) => text(StatusCode::OK, format!("serving {} {}\n", rt.group, rt.version), "text/plain"),
            None => text(StatusCode::SERVICE_UNAVAILABLE, "no bundle yet\n".into(), "text/plain"),
        },
        "/metrics" => text(StatusCode::OK, metrics.render(), "text/plain; version=0.0.4"),
        _ => text(StatusCode::NOT_FOUND, "not found\n".into(), "text/plain"),
    }
}

#[tokio::main]
async fn main() {
    let started = Instant::now();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .json()
        .init();
    let args = Args::parse();
    if let Err(e) = run(args, started).await {
        tracing::error!(error = %e, "gateway stopped");
        eprintln!("gatehouse-gateway: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args, started: Instant) -> Result<(), String> {
    std::fs::create_dir_all(&args.state_dir).map_err(|e| format!("cannot create {}: {e}", args.state_dir.display()))?;
    let instance = args.instance.clone().unwrap_or_else(|| format!("{}-{}", std::env::var("HOSTNAME").unwrap_or_else(|_| "local".into()), std::process::id()));
    #[cfg(unix)]
    if std::env::var("GATEWAY_EXIT_WITH_PARENT").is_ok_and(|v| v == "1") {
        // Supervised by `gatehouse serve`: stop when it is gone, even if it was killed.
        let parent = std::os::unix::process::parent_id();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if std::os::unix::process::parent_id() != parent {
                    tracing::warn!("the supervising server is gone; stopping");
                    std::process::exit(0);
                }
            }
        });
    }
    let metrics = Arc::new(Metrics::default());
    let (events_tx, events_rx) = tokio::sync::mpsc::channel(events::QUEUE);
    let http = reqwest::Client::builder().pool_idle_timeout(Duration::from_secs(60)).build().map_err(|e| e.to_string())?;
    let gateway = Arc::new(Gateway {
        runtime: ArcSwapOption::empty(),
        limiter: limiter::Limiter::default(),
        metrics: metrics.clone(),
        events: events_tx,
        http: http.clone(),
        instance: instance.clone(),
        region: args.region.clone(),
    });

    // Start from the given file, else from the last bundle pulled before a restart.
    let cache = args.state_dir.join("bundle.json");
    let loaded = match &args.bundle {
        Some(path) => pull::load_file(&gateway, &metrics, path),
        None => cache.exists() && pull::load_file(&gateway, &metrics, &cache),
    };
    if !loaded && args.server.is_none() {
        return Err("give --bundle FILE or --server URL (with --token)".into());
    }

    let server = args.server.as_deref().map(|s| s.trim_end_matches('/').to_string());
    if let Some(server) = &server {
        let token = args.token.clone().ok_or("--server needs --token (the gateway credential)")?;
        let puller = pull::Puller { url: format!("{server}/api/v1/gateway/bundle"), token, instance: instance.clone(), started_at: now_ms(), cache, http: http.clone() };
        tokio::spawn(puller.run(gateway.clone(), metrics.clone()));
    }
    let sink = events::Sink {
        ingest_url: server.as_ref().map(|s| format!("{s}/api/v1/gateway/events")),
        token: args.token.clone(),
        spool: args.state_dir.join("spool"),
        http,
        metrics: metrics.clone(),
    };
    tokio::spawn(events::run(sink, events_rx));

    let admin_listener = tokio::net::TcpListener::bind(args.admin).await.map_err(|e| format!("cannot listen on {}: {e}", args.admin))?;
    let (g, m) = (gateway.clone(), metrics.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = admin_listener.accept().await else { continue };
            let (g, m) = (g.clone(), m.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let (g, m) = (g.clone(), m.clone());
                    async move { Ok::<_, Infallible>(admin(g, m, req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });

    let listener = tokio::net::TcpListener::bind(args.listen).await.map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    tracing::info!(listen = %args.listen, admin = %args.admin, instance = %instance, startup_ms = started.elapsed().as_secs_f64() * 1000.0, "gateway ready");
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown_signal());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, remote)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let gateway = gateway.clone();
                let service = service_fn(move |req| {
                    let gateway = gateway.clone();
                    async move { Ok::<_, Infallible>(gateway.handle(req, remote).await) }
                });
                let connection = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                let watched = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = watched.await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
    // In-flight requests finish (for up to 10 s); events still queued are flushed by the sender.
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(10)) => tracing::warn!("connections still open after 10 s; stopping anyway"),
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    Ok(())
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
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
