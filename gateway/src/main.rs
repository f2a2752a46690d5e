//! `gatehouse-gateway`: the microgateway. Serves one gateway group's APIs from its bundle,
//! validates credentials offline, enforces tiers, answers prototypes from examples, proxies to
//! backends and sends one event per request. Health, readiness and Prometheus metrics are on a
//! separate admin port.
//!
//!   gatehouse-gateway --listen 127.0.0.1:8080 --admin 127.0.0.1:9901 \
//!       [--bundle bundle.json] [--server http://127.0.0.1:3000 --token ggw_…] [--state-dir DIR]
//!       [--rate-limit-store redis://host:6379] [--backend-secrets-dir DIR]

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod auth;
mod backend_token;
mod cache;
mod client_assertion;
mod clock;
mod cors;
mod events;
mod http1;
mod ids;
mod limiter;
mod metrics;
mod proxy;
mod proxy_protocol;
mod pull;
mod runtime;
mod secrets;
mod shared;
mod upstream;

use arc_swap::ArcSwapOption;
use clap::Parser;
use events::Batcher;
use gatehouse_contract::net::IpRange;
use http1::{Body, Request, Response, Service};
use metrics::Metrics;
use proxy::{Gateway, Traffic, Worker};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::LocalSet;

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
    /// Serve only this API (its id) of the group's bundle: a private-jet or sidecar gateway.
    #[arg(long, env = "GATEWAY_API")]
    api: Option<String>,
    /// Send every call to this backend, whatever the bundle's endpoints say: a sidecar gateway's
    /// backend container on localhost (`http://127.0.0.1:8080/v1`).
    #[arg(long, env = "GATEWAY_BACKEND")]
    backend: Option<String>,
    /// A Redis the group's gateways share tier counts through (`redis://[[user]:password@]host[:port][/db]`);
    /// without one, each instance counts its own requests.
    #[arg(long, env = "GATEWAY_RATE_LIMIT_STORE", hide_env_values = true)]
    rate_limit_store: Option<String>,
    /// Request threads (default: one per core the process may use).
    #[arg(long, env = "GATEWAY_WORKERS")]
    workers: Option<std::num::NonZeroUsize>,
    /// The proxies in front of the gateway (an ingress controller, a load balancer), as
    /// addresses or ranges separated by commas: a call that comes through one is taken to be
    /// from the address it names last in `X-Forwarded-For`, for APIs that filter callers by
    /// address.
    #[arg(long, env = "GATEWAY_TRUSTED_PROXIES", value_delimiter = ',', value_parser = trusted_proxy)]
    trusted_proxies: Vec<IpRange>,
    /// The header the trusted proxies name callers in: `x-forwarded-for`, RFC 7239's
    /// `forwarded`, or `proxy-protocol`: the PROXY protocol's header (v1 or v2) that opens each
    /// of their connections, which must then have one. Only that one is read.
    #[arg(long, env = "GATEWAY_FORWARDED_HEADER", value_enum, default_value_t = proxy::ForwardedHeader::XForwardedFor)]
    forwarded_header: proxy::ForwardedHeader,
    /// A directory with a file per backend credential's secret, named as the bundle names it
    /// (a Kubernetes Secret mounted as a volume): read before `GATEWAY_BACKEND_SECRET_<NAME>`,
    /// and again every two seconds, so a changed secret is used without a restart.
    #[arg(long, env = "GATEWAY_BACKEND_SECRETS_DIR")]
    backend_secrets_dir: Option<PathBuf>,
}

fn trusted_proxy(text: &str) -> Result<IpRange, String> {
    text.parse()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// The admin port: health, readiness and metrics.
struct Admin {
    gateway: Arc<Gateway>,
    metrics: Arc<Metrics>,
}

impl Service for Admin {
    async fn call<S: AsyncRead + AsyncWrite + Unpin>(&self, request: &Request, _body: Body<'_, S>) -> Response {
        match request.path() {
            "/healthz" => Response::new(200, "text/plain", "ok\n"),
            "/readyz" => match self.gateway.runtime.load().as_ref() {
                Some(rt) if rt.version.is_empty() => {
                    Response::new(200, "text/plain", format!("serving {}: no release deployed yet\n", rt.group))
                }
                Some(rt) => Response::new(200, "text/plain", format!("serving {} {}\n", rt.group, rt.version)),
                None => Response::new(503, "text/plain", "no bundle yet\n"),
            },
            "/metrics" => Response::new(200, "text/plain; version=0.0.4", self.metrics.render()),
            _ => Response::new(404, "text/plain", "not found\n"),
        }
    }
}

fn main() {
    let started = Instant::now();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .json()
        .init();
    let args = Args::parse();
    // The main thread runs the control plane side: accepting connections, bundle pulls, the
    // event sender, the admin port and signals. Requests run on the workers (see `worker`).
    let outcome = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
        .and_then(|rt| LocalSet::new().block_on(&rt, run(args, started)));
    if let Err(e) = outcome {
        tracing::error!(error = %e, "gateway stopped");
        eprintln!("gatehouse-gateway: {e}");
        std::process::exit(1);
    }
}

/// A connection handed to a worker.
type Connection = (std::net::TcpStream, SocketAddr);

/// One request thread per core, each with its own single-threaded runtime, in the manner of
/// nginx's workers: a connection, its requests and their backend calls stay on one thread, so
/// a request never waits for a wake-up from another core, and what the thread keeps for itself
/// (backend connections, events, verified tokens) needs no lock. Returns when `connections`
/// closes and the requests in flight have been answered (for up to 10 s), each closing its
/// connection; idle kept-alive connections are closed as the worker ends.
fn worker(
    index: usize,
    gateway: Arc<Gateway>,
    events: Batcher,
    mut connections: tokio::sync::mpsc::UnboundedReceiver<Connection>,
) -> Result<std::thread::JoinHandle<()>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start worker {index}: {e}"))?;
    let spawned = std::thread::Builder::new().name(format!("gateway-worker-{index}")).spawn(move || {
        LocalSet::new().block_on(&runtime, async move {
            let own = Rc::new(Worker::new(index, events));
            let flusher = own.clone();
            tokio::task::spawn_local(async move {
                let mut tick = tokio::time::interval(events::FLUSH);
                loop {
                    tick.tick().await;
                    clock::tick();
                    flusher.events.flush();
                }
            });
            let traffic = Rc::new(Traffic { gateway, worker: own.clone() });
            while let Some((stream, remote)) = connections.recv().await {
                let Ok(mut stream) = tokio::net::TcpStream::from_std(stream) else { continue };
                let traffic = traffic.clone();
                tokio::task::spawn_local(async move {
                    let mut buf = bytes::BytesMut::with_capacity(8 * 1024);
                    let caller = if traffic.gateway.opens_with_proxy_protocol(remote) {
                        match proxy_protocol::caller(&mut stream, remote, &mut buf).await {
                            Some(caller) => caller,
                            None => return,
                        }
                    } else {
                        remote
                    };
                    http1::serve_from(stream, caller, buf, &*traffic).await
                });
            }
            own.stopping.set(true);
            let deadline = Instant::now() + Duration::from_secs(10);
            while own.in_flight.get() > 0 {
                if Instant::now() > deadline {
                    tracing::warn!(
                        worker = index,
                        requests = own.in_flight.get(),
                        "requests still in flight after 10 s; stopping anyway"
                    );
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            own.events.flush();
        });
    });
    spawned.map_err(|e| format!("cannot start worker {index}: {e}"))
}

async fn run(args: Args, started: Instant) -> Result<(), String> {
    std::fs::create_dir_all(&args.state_dir).map_err(|e| format!("cannot create {}: {e}", args.state_dir.display()))?;
    let instance = args.instance.clone().unwrap_or_else(|| {
        format!("{}-{}", std::env::var("HOSTNAME").unwrap_or_else(|_| "local".into()), std::process::id())
    });
    if let Some(backend) = &args.backend {
        // Checked here, not as a bundle's endpoint, so that a typo is named as the setting it is.
        upstream::Backend::parse(backend).map_err(|e| format!("--backend (GATEWAY_BACKEND): {e}"))?;
    }
    let supervised = std::env::var("GATEWAY_EXIT_WITH_PARENT").is_ok_and(|v| v == "1");
    #[cfg(unix)]
    if supervised {
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
    let store = args.rate_limit_store.as_deref().map(shared::Store::parse).transpose()?;
    let count = args.workers.or_else(|| std::thread::available_parallelism().ok()).map_or(1, |n| n.get());
    let metrics = Arc::new(Metrics::new(count));
    let (batches, batches_rx) = tokio::sync::mpsc::channel(events::QUEUE);
    let http =
        reqwest::Client::builder().pool_idle_timeout(Duration::from_secs(60)).build().map_err(|e| e.to_string())?;
    let gateway = Arc::new(Gateway {
        runtime: ArcSwapOption::empty(),
        limiter: Arc::new(limiter::Limiter::default()),
        metrics: metrics.clone(),
        instance: instance.clone(),
        region: args.region.clone(),
        api: args.api.clone(),
        backend: args.backend.clone(),
        trusted_proxies: args.trusted_proxies.clone(),
        forwarded_header: args.forwarded_header,
        secrets: secrets::SecretSource { dir: args.backend_secrets_dir.clone() },
        installed: Default::default(),
    });

    // Start from the given file, else from the last bundle pulled before a restart.
    let cache = args.state_dir.join("bundle.json");
    let loaded = match &args.bundle {
        Some(path) => pull::load_file(&gateway, &metrics, path),
        None => cache.exists() && pull::load_file(&gateway, &metrics, &cache),
    };
    if !loaded && args.server.is_none() {
        return Err(match &args.bundle {
            Some(path) => {
                format!("{} cannot be served (logged above) and no --server can send another", path.display())
            }
            None => "give --bundle FILE or --server URL (with --token)".into(),
        });
    }

    if let Some(store) = store {
        // Not shared until the first sync succeeds; set before the first heartbeat reports it
        // (and without waking the puller, which has not pulled yet).
        metrics.rate_limit_store_up.store(0, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(store = %store.address, "tier counts are shared through the rate-limit store");
        tokio::spawn(shared::run(store, gateway.limiter.clone(), metrics.clone()));
    }
    if args.backend_secrets_dir.is_some() {
        tokio::spawn(secrets::watch(gateway.clone(), metrics.clone()));
    }
    let server = args.server.as_deref().map(|s| s.trim_end_matches('/').to_string());
    let puller = match &server {
        Some(server) => {
            let token = args.token.clone().ok_or("--server needs --token (the gateway credential)")?;
            let puller = pull::Puller {
                url: format!("{server}/api/v1/gateway/bundle"),
                token: token.clone(),
                instance: instance.clone(),
                started_at: now_ms(),
                cache,
                http: http.clone(),
            };
            Some((tokio::spawn(puller.run(gateway.clone(), metrics.clone())), server.clone(), token))
        }
        None => None,
    };
    let sink = events::Sink {
        ingest_url: server.as_ref().map(|s| format!("{s}/api/v1/gateway/events")),
        token: args.token.clone(),
        spool: args.state_dir.join("spool"),
        http: http.clone(),
        metrics: metrics.clone(),
    };
    let sender = tokio::spawn(events::run(sink, batches_rx));

    let admin_listener =
        tokio::net::TcpListener::bind(args.admin).await.map_err(|e| format!("cannot listen on {}: {e}", args.admin))?;
    let admin = Rc::new(Admin { gateway: gateway.clone(), metrics: metrics.clone() });
    tokio::task::spawn_local(async move {
        loop {
            let Ok((stream, remote)) = admin_listener.accept().await else { continue };
            let admin = admin.clone();
            tokio::task::spawn_local(async move { http1::serve(stream, remote, &*admin).await });
        }
    });

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let mut workers = Vec::with_capacity(count);
    for index in 0..count {
        let (send, receive) = tokio::sync::mpsc::unbounded_channel();
        workers.push((send, worker(index, gateway.clone(), Batcher::new(batches.clone(), metrics.clone()), receive)?));
    }
    tracing::info!(listen = %args.listen, admin = %args.admin, instance = %instance, workers = count, startup_ms = started.elapsed().as_secs_f64() * 1000.0, "gateway ready");
    // The workers hold the only senders now: the sender stops once they all have.
    drop(batches);
    let mut shutdown = std::pin::pin!(shutdown_signal());
    let mut next = 0;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, remote)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let Ok(stream) = stream.into_std() else { continue };
                // Round robin: with keep-alive clients, connections are few and long.
                let _ = workers[next % count].0.send((stream, remote));
                next += 1;
            }
            _ = &mut shutdown => break,
        }
    }
    // No new connections from here on: the group stops counting this instance now (the pulls,
    // which are its heartbeats, stop first) — unless `gatehouse serve` runs it, which forgets
    // the gateways it stops itself and is stopping too when they all get Ctrl-C. Closing the
    // channels stops the workers; in-flight requests finish (for up to 10 s), then the sender
    // delivers (or spools) the events still queued.
    drop(listener);
    if let Some((pulls, server, token)) = puller {
        pulls.abort();
        if !supervised {
            pull::sign_off(&http, &server, &token, &instance).await;
        }
    }
    let threads: Vec<_> = workers
        .into_iter()
        .map(|(send, thread)| {
            drop(send);
            thread
        })
        .collect();
    let _ = tokio::task::spawn_blocking(move || {
        for thread in threads {
            let _ = thread.join();
        }
    })
    .await;
    if tokio::time::timeout(Duration::from_secs(15), sender).await.is_err() {
        tracing::warn!("events still unsent after 15 s; stopping anyway");
    }
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
