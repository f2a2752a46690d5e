//! The microgateway against nginx, measured by wrk on one machine in one run: (c) a small
//! backend directly, (a) nginx as a plain `proxy_pass` in front of it, (b) `gatehouse-gateway`
//! in front of it with everything on — JWT validation, a tier counted per request, one event
//! per request sent in batches. Also: startup to the first served request and RSS with a
//! 100-API bundle.
//!
//! wrk sends every target the same request: the consumer's call with its access token, as
//! callers of an API behind nginx would send it too. nginx passes the token on to the backend;
//! the gateway checks it and keeps it from the backend.
//!
//! The bundle and the token come from a real management plane (`gatehouse serve`, set up over
//! REST as a pipeline would). During the load the gateway sends its events to a sink in this
//! process that counts them: the management plane's own ingest cost is analytics' benchmark,
//! not the gateway's, and on two cores it would compete with the gateway for CPU.

use super::median;
use axum::body::Bytes;
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const APIS: usize = 100;
const CONNECTIONS: u32 = 64;
const THREADS: u32 = 2;
const STARTS: usize = 5;
/// The backend's answer, the same for every target.
const BODY: &str = r#"{"id":7,"name":"Rex","tag":"dog"}"#;

/// A child process stopped when dropped, so an error anywhere leaves nothing running.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        // SIGTERM first: an nginx master killed outright leaves its workers running (and
        // holding their ports); asked to stop, it stops them. SIGKILL if that takes too long.
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// A tool from the machine (Debian's wrk and nginx; nginx lives in /usr/sbin).
fn tool(name: &str) -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| format!("`{name}` is not installed; `scripts/setup.sh bench` (run by `make bench`) installs it"))
}

/// `gatehouse` and `gatehouse-gateway`, built in release next to this binary by `make bench`.
fn sibling(name: &str) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let path = exe.with_file_name(name);
    if path.is_file() { Ok(path) } else { Err(format!("{} is missing; `make bench` builds it", path.display())) }
}

fn cli(bin: &Path, data: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(bin)
        .args(args)
        .env("GATEHOUSE_DATA_DIR", data)
        .env_remove("DATABASE_URL")
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("gatehouse {args:?}: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

async fn wait_for(url: &str) -> Result<(), String> {
    let started = Instant::now();
    while !reqwest::get(url).await.is_ok_and(|r| r.status().is_success()) {
        if started.elapsed() > Duration::from_secs(30) {
            return Err(format!("{url} did not come up in 30 s"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

struct Rest {
    base: String,
    http: reqwest::Client,
}

impl Rest {
    async fn call(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut request = self.http.request(method.clone(), format!("{}/api/v1{path}", self.base)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        let text = response.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("{method} {path}: {status} {text}"));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn import(&self, token: &str, context: &str, definition: String) -> Result<String, String> {
        let response = self
            .http
            .post(format!("{}/api/v1/apis/import?context={context}", self.base))
            .bearer_auth(token)
            .header("content-type", "application/yaml")
            .body(definition)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let answer: Value = response.json().await.map_err(|e| e.to_string())?;
        match answer["id"].as_str() {
            Some(id) if status.is_success() => Ok(id.to_string()),
            _ => Err(format!("import {context}: {status} {answer}")),
        }
    }
}

fn text(value: &Value, field: &str) -> Result<String, String> {
    value[field].as_str().map(str::to_string).ok_or_else(|| format!("no `{field}` in {value}"))
}

/// The bundle of a group with `APIS` approved APIs (one of them offers the "Bench" tier, the
/// rest are catalog-like definitions of 4–24 operations) and a token of an application
/// subscribed to it, made by a real management plane.
async fn prepare(dir: &Path, backend: &str) -> Result<(Vec<u8>, String), String> {
    let bin = sibling("gatehouse")?;
    let data = dir.join("management");
    for (email, role) in
        [("creator@example.com", "creator"), ("publisher@example.com", "publisher"), ("shop@example.com", "consumer")]
    {
        cli(&bin, &data, &["user", "create", "--email", email, "--role", role, "--password", "correct horse battery"])?;
    }
    let token = |email: &str| cli(&bin, &data, &["token", "create", "--email", email, "--name", "bench"]);
    let (creator, publisher, consumer) =
        (token("creator@example.com")?, token("publisher@example.com")?, token("shop@example.com")?);
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let log = std::fs::File::create(dir.join("management.log")).map_err(|e| e.to_string())?;
    let _server = Process(
        Command::new(&bin)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--no-gateways"])
            .env("GATEHOUSE_DATA_DIR", &data)
            .env_remove("DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| e.to_string())?,
    );
    wait_for(&format!("{base}/healthz")).await?;
    let rest = Rest { base: base.clone(), http: reqwest::Client::new() };
    let (get, post, put) = (reqwest::Method::GET, reqwest::Method::POST, reqwest::Method::PUT);

    rest.call(
        &publisher,
        post.clone(),
        "/gateway-groups",
        Some(json!({ "name": "bench", "host": "bench.example.com" })),
    )
    .await?;
    // A real limit, counted on every request, that the load never reaches.
    rest.call(
        &publisher,
        post.clone(),
        "/tiers",
        Some(json!({ "name": "Bench", "requests_per_minute": 4_000_000_000u32 })),
    )
    .await?;
    let started = Instant::now();
    let mut pets = String::new();
    for i in 0..APIS {
        let (context, definition) = if i == 0 {
            let yaml = format!(
                "openapi: 3.0.3\ninfo:\n  title: Pets\n  version: 1.0.0\nservers:\n  - url: {backend}\npaths:\n  /pets/{{id}}:\n    get:\n      summary: One pet\n      parameters:\n        - {{name: id, in: path, required: true, schema: {{type: string}}}}\n      responses:\n        '200': {{description: ok}}\n"
            );
            ("/pets/v1".to_string(), yaml)
        } else {
            (format!("/bench{i}/v1"), format!("{}servers:\n  - url: {backend}\n", super::catalog::definition(i)))
        };
        let api = rest.import(&creator, &context, definition).await?;
        if i == 0 {
            let detail = rest.call(&creator, get.clone(), &format!("/apis/{api}"), None).await?;
            let mut policies = detail["policies"].clone();
            policies["tiers"] = json!(["Bench"]);
            let settings = json!({
                "context": context, "description": "", "tags": [], "visibility": "public", "endpoints": detail["endpoints"],
                "policies": policies, "edit_version": detail["edit_version"],
            });
            rest.call(&creator, put.clone(), &format!("/apis/{api}/settings"), Some(settings)).await?;
            pets = api.clone();
        }
        rest.call(&creator, put.clone(), &format!("/apis/{api}/group"), Some(json!({ "group": "bench" }))).await?;
        rest.call(&creator, post.clone(), &format!("/apis/{api}/revisions"), Some(json!({}))).await?;
        let approval =
            rest.call(&creator, post.clone(), "/approvals", Some(json!({ "api_id": api, "revision": 1 }))).await?;
        rest.call(&publisher, post.clone(), &format!("/approvals/{}/approve", text(&approval, "id")?), Some(json!({})))
            .await?;
    }
    eprintln!(
        "  {APIS} APIs imported and approved through the management plane in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let shop =
        text(&rest.call(&consumer, post.clone(), "/applications", Some(json!({ "name": "Shop" }))).await?, "id")?;
    rest.call(
        &consumer,
        post.clone(),
        "/subscriptions",
        Some(json!({ "application_id": shop, "api_id": pets, "tier": "Bench" })),
    )
    .await?;
    let client = rest
        .call(
            &consumer,
            post.clone(),
            &format!("/applications/{shop}/credentials"),
            Some(json!({ "key_type": "production" })),
        )
        .await?;
    let answer: Value = rest
        .http
        .post(format!("{base}/oauth2/token"))
        .basic_auth(text(&client, "client_id")?, Some(text(&client, "client_secret")?))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let access_token = text(&answer, "access_token")?;

    let credential = text(&rest.call(&publisher, post, "/gateway-groups/bench/credentials", None).await?, "token")?;
    let bundle = rest
        .http
        .get(format!("{base}/api/v1/gateway/bundle"))
        .bearer_auth(&credential)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !bundle.status().is_success() {
        return Err(format!("bundle: {}", bundle.status()));
    }
    let bytes = bundle.bytes().await.map_err(|e| e.to_string())?.to_vec();
    let served =
        serde_json::from_slice::<Value>(&bytes).map_err(|e| e.to_string())?["apis"].as_array().map_or(0, Vec::len);
    if served != APIS {
        return Err(format!("the bundle holds {served} APIs, expected {APIS}"));
    }
    Ok((bytes, access_token))
}

/// Stands in for the management plane during the load: counts the events it is sent and answers
/// every bundle long-poll with "unchanged". It shares the machine with what is measured, so it
/// only skims each batch (a JSON array of events, each skipped without being decoded); that
/// batches decode as the contract's events is the integration test's job.
async fn sink(events: Arc<AtomicU64>) -> Result<u16, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let app = axum::Router::new()
        .route(
            "/api/v1/gateway/bundle",
            axum::routing::get(|| async {
                tokio::time::sleep(Duration::from_secs(25)).await;
                StatusCode::NOT_MODIFIED
            }),
        )
        .route(
            "/api/v1/gateway/events",
            axum::routing::post(move |body: Bytes| async move {
                match serde_json::from_slice::<Vec<serde::de::IgnoredAny>>(&body) {
                    Ok(batch) => {
                        events.fetch_add(batch.len() as u64, Ordering::Relaxed);
                        (StatusCode::OK, "{}")
                    }
                    Err(_) => (StatusCode::BAD_REQUEST, "{}"),
                }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(port)
}

fn nginx_conf(dir: &Path, name: &str, workers: &str, server: &str) -> Result<PathBuf, String> {
    let prefix = dir.join(name);
    std::fs::create_dir_all(prefix.join("tmp")).map_err(|e| e.to_string())?;
    let p = prefix.display();
    let conf = format!(
        "worker_processes {workers};\ndaemon off;\npid {p}/nginx.pid;\nerror_log {p}/error.log warn;\nevents {{ worker_connections 4096; }}\n\
         http {{\n  access_log off;\n  keepalive_requests 10000000;\n  client_body_temp_path {p}/tmp/body;\n  proxy_temp_path {p}/tmp/proxy;\n{server}\n}}\n"
    );
    let path = prefix.join("nginx.conf");
    std::fs::write(&path, conf).map_err(|e| e.to_string())?;
    Ok(path)
}

fn nginx(dir: &Path, name: &str, workers: &str, server: &str) -> Result<Process, String> {
    let conf = nginx_conf(dir, name, workers, server)?;
    let nginx = tool("nginx")?;
    let prefix = dir.join(name);
    let check = Command::new(&nginx)
        .arg("-t")
        .arg("-q")
        .arg("-p")
        .arg(&prefix)
        .arg("-c")
        .arg(&conf)
        .output()
        .map_err(|e| e.to_string())?;
    if !check.status.success() {
        return Err(format!("nginx refused {}: {}", conf.display(), String::from_utf8_lossy(&check.stderr)));
    }
    let child = Command::new(&nginx)
        .arg("-p")
        .arg(&prefix)
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    Ok(Process(child))
}

fn gateway(dir: &Path, bundle: &Path, listen: u16, sink: u16, state: &str) -> Result<Process, String> {
    let child = Command::new(sibling("gatehouse-gateway")?)
        .env("GATEWAY_LISTEN", format!("127.0.0.1:{listen}"))
        .env("GATEWAY_ADMIN_LISTEN", format!("127.0.0.1:{}", free_port()?))
        .env("GATEWAY_BUNDLE", bundle)
        .env("GATEHOUSE_SERVER", format!("http://127.0.0.1:{sink}"))
        .env("GATEHOUSE_GATEWAY_TOKEN", "ggw_bench")
        .env("GATEWAY_STATE_DIR", dir.join(state))
        .env("GATEWAY_INSTANCE", state)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    Ok(Process(child))
}

/// A process's resident memory, "now" (VmRSS) or "peak" (VmHWM), in MiB.
fn rss_mib(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Every process's id, parent's id and CPU time (user + system) in ticks of USER_HZ (100 on
/// Linux), from /proc.
fn process_table() -> Vec<(u32, u32, u64)> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // Fields after the command, which is in parentheses and may hold spaces.
            let fields: Vec<&str> = stat.get(stat.rfind(')')? + 1..)?.split_whitespace().collect();
            let parent = fields.get(1)?.parse().ok()?;
            let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
            Some((pid, parent, ticks))
        })
        .collect()
}

/// CPU time in seconds of process `root` and, with `descendants`, every process under it
/// (nginx's workers are children of its master), read off `processes`' parent links.
fn cpu_seconds(processes: &[(u32, u32, u64)], root: u32, descendants: bool) -> f64 {
    let mut tree = vec![root];
    let mut i = 0;
    while let Some(&pid) = tree.get(i).filter(|_| descendants) {
        tree.extend(processes.iter().filter(|p| p.1 == pid).map(|p| p.0));
        i += 1;
    }
    processes.iter().filter(|p| tree.contains(&p.0)).map(|p| p.2).sum::<u64>() as f64 / 100.0
}

/// The cores /proc/stat counts (its `cpuN` lines): the divisor for the machine's busy share,
/// which may differ from the cores this process may use.
fn machine_cores() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else { return f64::NAN };
    stat.lines().filter(|l| l.strip_prefix("cpu").is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit()))).count()
        as f64
}

/// CPU time in seconds the whole machine has spent busy (every core, anything not idle).
fn machine_cpu_seconds() -> f64 {
    let Some(line) = std::fs::read_to_string("/proc/stat").ok().and_then(|s| s.lines().next().map(str::to_string))
    else {
        return f64::NAN;
    };
    let ticks: Vec<u64> = line.split_whitespace().skip(1).filter_map(|n| n.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal …
    let busy: u64 = ticks.iter().take(8).enumerate().filter(|(i, _)| *i != 3 && *i != 4).map(|(_, t)| t).sum();
    busy as f64 / 100.0
}

/// Time from spawning the gateway to the first 200 answer to an authenticated call; its RSS
/// just after. The probe connects in a tight loop, so the figure includes exec and bundle load.
async fn startup(dir: &Path, bundle: &Path, sink: u16, token: &str, run: usize) -> Result<(f64, f64), String> {
    let port = free_port()?;
    let url = format!("http://127.0.0.1:{port}/pets/v1/pets/1");
    let http = reqwest::Client::new();
    let started = Instant::now();
    let process = gateway(dir, bundle, port, sink, &format!("startup-{run}"))?;
    loop {
        if http.get(&url).bearer_auth(token).send().await.is_ok_and(|r| r.status() == StatusCode::OK) {
            break;
        }
        if started.elapsed() > Duration::from_secs(10) {
            return Err("the gateway served nothing within 10 s".into());
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss = rss_mib(process.0.id(), "VmRSS:").ok_or("cannot read the gateway's RSS")?;
    Ok((ms, rss))
}

/// One wrk run's figures, and the CPU time per request (µs) that the proxy under test, the
/// backend, this process (the events' sink) and the whole machine spent during it.
#[derive(Clone, Copy, Default)]
struct Figures {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    requests: u64,
    failed: u64,
    proxy_us: f64,
    backend_us: f64,
    sink_us: f64,
    machine_us: f64,
    /// The share of the machine's cores that was busy (any process): requests per second are
    /// `busy × cores ÷ machine CPU per request`, so a run with idle cores is slower at the same
    /// cost per request.
    busy: f64,
}

/// wrk prints latencies as `812.00us`, `1.23ms`, `2.00s`.
fn millis(value: &str) -> Option<f64> {
    let split = value.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => number / 1000.0,
        "ms" => number,
        "s" => number * 1000.0,
        "m" => number * 60_000.0,
        _ => return None,
    })
}

fn parse_wrk(output: &str) -> Result<Figures, String> {
    let mut figures = Figures::default();
    for line in output.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", n] => figures.rps = n.parse().map_err(|_| format!("wrk: {line}"))?,
            ["50%", v] => figures.p50_ms = millis(v).ok_or_else(|| format!("wrk: {line}"))?,
            ["99%", v] => figures.p99_ms = millis(v).ok_or_else(|| format!("wrk: {line}"))?,
            [n, "requests", "in", ..] => figures.requests = n.parse().map_err(|_| format!("wrk: {line}"))?,
            ["Non-2xx", "or", "3xx", "responses:", n] => figures.failed += n.parse::<u64>().unwrap_or(0),
            ["Socket", "errors:", ..] => {
                figures.failed +=
                    line.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse::<u64>().ok()).sum::<u64>()
            }
            _ => {}
        }
    }
    if figures.rps == 0.0 || figures.p99_ms == 0.0 {
        return Err(format!("cannot read wrk's output:\n{output}"));
    }
    Ok(figures)
}

fn wrk(url: &str, token: &str, seconds: u64) -> Result<Figures, String> {
    let mut command = Command::new(tool("wrk")?);
    command.args([
        "-t",
        &THREADS.to_string(),
        "-c",
        &CONNECTIONS.to_string(),
        "-d",
        &format!("{seconds}s"),
        "--latency",
        "-H",
        &format!("Authorization: Bearer {token}"),
    ]);
    let out = command.arg(url).output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("wrk {url}: {}", String::from_utf8_lossy(&out.stderr)));
    }
    parse_wrk(&String::from_utf8_lossy(&out.stdout))
}

/// The processes whose CPU time a run accounts for: the proxy under test (none when wrk calls
/// the backend directly) and the backend.
#[derive(Clone, Copy)]
struct Watched {
    proxy: Option<u32>,
    backend: u32,
}

/// CPU seconds spent so far by the proxy (NaN without one), the backend, this process (the
/// events' sink) and the whole machine.
#[derive(Clone, Copy)]
struct CpuSpent {
    proxy: f64,
    backend: f64,
    sink: f64,
    machine: f64,
}

fn cpu_now(watched: Watched) -> CpuSpent {
    let processes = process_table();
    let tree = |pid| cpu_seconds(&processes, pid, true);
    CpuSpent {
        proxy: watched.proxy.map_or(f64::NAN, tree),
        backend: tree(watched.backend),
        // This process alone: everything measured runs as its children.
        sink: cpu_seconds(&processes, std::process::id(), false),
        machine: machine_cpu_seconds(),
    }
}

/// A wrk run, with the CPU its requests cost. When wrk, the proxy and the backend share the
/// cores, throughput is the machine's CPU per request; who spent it says where a difference is.
fn measured(url: &str, token: &str, seconds: u64, watched: Watched) -> Result<Figures, String> {
    let before = cpu_now(watched);
    let started = Instant::now();
    let mut figures = wrk(url, token, seconds)?;
    let elapsed = started.elapsed().as_secs_f64();
    let after = cpu_now(watched);
    figures.busy = (after.machine - before.machine) / (elapsed * machine_cores());
    let per_request =
        |spent: fn(&CpuSpent) -> f64| (spent(&after) - spent(&before)) * 1e6 / figures.requests.max(1) as f64;
    figures.proxy_us = per_request(|c| c.proxy);
    figures.backend_us = per_request(|c| c.backend);
    figures.sink_us = per_request(|c| c.sink);
    figures.machine_us = per_request(|c| c.machine);
    Ok(figures)
}

/// Microseconds to a tenth, or a dash where nothing was measured.
fn micros(value: f64) -> String {
    if value.is_nan() { "—".to_string() } else { format!("{value:.1}") }
}

pub async fn run(seconds: u64, rounds: usize) -> Result<(), String> {
    let rounds = rounds.max(1);
    tool("wrk")?;
    tool("nginx")?;
    let dir = std::env::temp_dir().join(format!("gatehouse-bench-gateway-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let outcome = measure(&dir, seconds, rounds).await;
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

async fn measure(dir: &Path, seconds: u64, rounds: usize) -> Result<(), String> {
    let backend_port = free_port()?;
    let backend_server = format!(
        "  server {{ listen 127.0.0.1:{backend_port} reuseport; location / {{ default_type application/json; return 200 '{BODY}'; }} }}"
    );
    // One worker: the backend is the same small fixed cost under every target.
    let backend_nginx = nginx(dir, "backend", "1", &backend_server)?;
    let backend = format!("http://127.0.0.1:{backend_port}");
    wait_for(&format!("{backend}/")).await?;

    eprintln!("preparing: management plane, {APIS} APIs, a subscribed application");
    let (bundle_bytes, token) = prepare(dir, &backend).await?;
    let bundle = dir.join("bundle.json");
    std::fs::write(&bundle, &bundle_bytes).map_err(|e| e.to_string())?;

    let events = Arc::new(AtomicU64::new(0));
    let sink_port = sink(events.clone()).await?;

    eprintln!("startup: {STARTS} cold starts from the {APIS}-API bundle file");
    let mut starts = Vec::new();
    let mut rss = Vec::new();
    for run in 0..STARTS {
        let (ms, mib) = startup(dir, &bundle, sink_port, &token, run).await?;
        starts.push(ms);
        rss.push(mib);
    }
    let probes_before = events.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(1)).await;

    let proxy_port = free_port()?;
    let proxy_server = format!(
        "  upstream backend {{ server 127.0.0.1:{backend_port}; keepalive 128; keepalive_requests 10000000; }}\n  server {{ listen 127.0.0.1:{proxy_port}; location / {{ proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection \"\"; }} }}"
    );
    let proxy_nginx = nginx(dir, "proxy", "auto", &proxy_server)?;
    let gateway_port = free_port()?;
    let load_gateway = gateway(dir, &bundle, gateway_port, sink_port, "load")?;
    let path = "/pets/v1/pets/1";
    wait_for(&format!("http://127.0.0.1:{proxy_port}{path}")).await?;
    let http = reqwest::Client::new();
    let gateway_url = format!("http://127.0.0.1:{gateway_port}{path}");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut probes = 0u64;
    loop {
        probes += 1;
        if http.get(&gateway_url).bearer_auth(&token).send().await.is_ok_and(|r| r.status() == StatusCode::OK) {
            break;
        }
        if Instant::now() > deadline {
            return Err("the load gateway does not serve the API".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let backend_pid = backend_nginx.0.id();
    const BACKEND: usize = 0;
    const NGINX: usize = 1;
    const GATEWAY: usize = 2;
    let targets: [(&str, String, Option<u32>); 3] = [
        ("(c) backend directly", format!("{backend}{path}"), None),
        ("(a) nginx proxy_pass", format!("http://127.0.0.1:{proxy_port}{path}"), Some(proxy_nginx.0.id())),
        ("(b) gateway: JWT + tier + events", gateway_url, Some(load_gateway.0.id())),
    ];
    let mut results: Vec<Vec<Figures>> = vec![Vec::new(); targets.len()];
    let mut gateway_requests = 0u64;
    for round in 0..rounds {
        // Interleaved, so a slow patch of the machine falls on every target alike; (a) and (b)
        // run back to back, in turn first, and are compared round by round.
        let order = if round % 2 == 0 { [BACKEND, NGINX, GATEWAY] } else { [BACKEND, GATEWAY, NGINX] };
        for i in order {
            let (name, url, proxy) = &targets[i];
            let watched = Watched { proxy: *proxy, backend: backend_pid };
            let warm = wrk(url, &token, 2)?;
            let figures = measured(url, &token, seconds, watched)?;
            eprintln!(
                "  round {}: {name:<34} {:>8.0} req/s  p50 {:.3} ms  p99 {:.3} ms  CPU/request: proxy {:>5} µs, backend {:.1} µs, machine {:.1} µs; machine {:.1} % busy",
                round + 1,
                figures.rps,
                figures.p50_ms,
                figures.p99_ms,
                micros(figures.proxy_us),
                figures.backend_us,
                figures.machine_us,
                figures.busy * 100.0
            );
            if i == GATEWAY {
                gateway_requests += warm.requests + figures.requests;
            }
            results[i].push(figures);
        }
    }
    let peak_rss = rss_mib(load_gateway.0.id(), "VmHWM:").unwrap_or(f64::NAN);
    // The sender flushes every 500 ms.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = events.load(Ordering::Relaxed) - probes_before;

    let summary: Vec<Figures> = results
        .iter()
        .map(|runs| {
            let middle = |figure: fn(&Figures) -> f64| median(runs.iter().map(figure).collect());
            Figures {
                rps: middle(|f| f.rps),
                p50_ms: middle(|f| f.p50_ms),
                p99_ms: middle(|f| f.p99_ms),
                requests: runs.iter().map(|f| f.requests).sum(),
                failed: runs.iter().map(|f| f.failed).sum(),
                proxy_us: middle(|f| f.proxy_us),
                backend_us: middle(|f| f.backend_us),
                sink_us: middle(|f| f.sink_us),
                machine_us: middle(|f| f.machine_us),
                busy: middle(|f| f.busy),
            }
        })
        .collect();
    // Each round's (b)/(a): the two ran back to back, so the machine's drift between rounds
    // stays out of the ratio (its drift within a round, seconds long, does not).
    let per_round = |ratio: fn(&Figures, &Figures) -> f64| -> Vec<f64> {
        results[GATEWAY].iter().zip(&results[NGINX]).map(|(b, a)| ratio(b, a)).collect()
    };
    let ratios = per_round(|b, a| b.rps / a.rps);
    // The throughput ratio is the product of these two: how much less CPU (b) spends per request
    // than (a), and how busy it keeps the machine's cores, round by round.
    let cost_ratios = per_round(|b, a| a.machine_us / b.machine_us);
    let busy_ratios = per_round(|b, a| b.busy / a.busy);
    let (backend_only, gatehouse) = (summary[BACKEND], summary[GATEWAY]);

    println!(
        "\nGateway benchmark — wrk -t{THREADS} -c{CONNECTIONS}, {rounds} round(s) of {seconds} s per target (median), one machine of {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "runs wrk, the proxy and the backend (nginx, one worker, answering {} bytes of JSON); nginx access log off.",
        BODY.len()
    );
    println!(
        "Every target gets the same call, GET {path} with a {}-byte bearer token (nginx passes it on; the gateway checks it).",
        token.len()
    );
    println!("{:<36} {:>11} {:>9} {:>9} {:>11}", "target", "req/s", "p50 ms", "p99 ms", "failed");
    for ((name, ..), f) in targets.iter().zip(&summary) {
        println!("{name:<36} {:>11.0} {:>9.3} {:>9.3} {:>11}", f.rps, f.p50_ms, f.p99_ms, f.failed);
    }
    println!();
    println!(
        "{:<36} {:>11} {:>9} {:>9} {:>11} {:>9}",
        "CPU per request, µs (median)", "proxy", "backend", "sink", "machine", "busy %"
    );
    for ((name, ..), f) in targets.iter().zip(&summary) {
        println!(
            "{name:<36} {:>11} {:>9.1} {:>9.1} {:>11.1} {:>9.1}",
            micros(f.proxy_us),
            f.backend_us,
            f.sink_us,
            f.machine_us,
            f.busy * 100.0
        );
    }
    let listed = |ratios: &[f64]| ratios.iter().map(|r| format!("{r:.2}")).collect::<Vec<_>>().join(", ");
    let rounds_text = listed(&ratios);
    let ratio = median(ratios);
    let added = gatehouse.p99_ms - backend_only.p99_ms;
    println!();
    // Three places, so a ratio just under the goal does not print as 1.00 beside MISSED.
    println!(
        "(b)/(a) throughput           {ratio:>8.3}×   goal ≥ 1.00×  {}  (median of the rounds' ratios: {rounds_text})",
        verdict(ratio >= 1.0)
    );
    println!(
        "  = machine CPU per request, (a)/(b) {:.2}× (rounds: {})",
        median(cost_ratios.clone()),
        listed(&cost_ratios)
    );
    println!(
        "  × machine busy, (b)/(a)            {:.2}× (rounds: {})",
        median(busy_ratios.clone()),
        listed(&busy_ratios)
    );
    println!("added p99, (b) over (c)      {added:>8.3} ms  goal ≤ 1 ms    {}", verdict(added <= 1.0));
    println!(
        "startup to first served call {:>8.1} ms  goal ≤ 50 ms   {}  (median of {STARTS}; {APIS}-API bundle)",
        median(starts.clone()),
        verdict(median(starts) <= 50.0)
    );
    let idle = rss.iter().copied().fold(0.0, f64::max);
    println!(
        "RSS after startup            {idle:>8.1} MiB goal ≤ 20 MiB  {}  (largest of {STARTS})",
        verdict(idle <= 20.0)
    );
    println!("peak RSS under load          {peak_rss:>8.1} MiB");
    println!(
        "events received by the sink  {received} for {} requests wrk counted (+{probes} probes; wrk leaves up to {CONNECTIONS} in flight uncounted at each stop)",
        gateway_requests
    );
    if gatehouse.failed > 0 {
        return Err(format!("{} gateway requests failed: the figures above are not valid", gatehouse.failed));
    }
    Ok(())
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_output() {
        let output = "Running 2s test @ http://127.0.0.1:1/\n  2 threads and 64 connections\n  Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency   810.12us  300.00us   9.87ms   90.00%\n  Latency Distribution\n     50%  701.00us\n     75%    1.02ms\n     90%    1.40ms\n     99%    2.50ms\n  123456 requests in 2.00s, 20.00MB read\n  Non-2xx or 3xx responses: 3\nRequests/sec:  61728.00\nTransfer/sec:     10.00MB\n";
        let f = parse_wrk(output).expect("parsed");
        assert_eq!(f.requests, 123_456);
        assert_eq!(f.failed, 3);
        assert!((f.p50_ms - 0.701).abs() < 1e-9 && (f.p99_ms - 2.5).abs() < 1e-9 && (f.rps - 61_728.0).abs() < 1e-9);
        assert!(parse_wrk("garbage").is_err());
    }

    #[test]
    fn counts_the_cpu_of_a_process_and_its_children() {
        let me = std::process::id();
        let machine = machine_cpu_seconds();
        // A child that spins for ~0.4 s of CPU: counted under this process's tree, not under this
        // process alone. Both read off one snapshot: other tests' threads run in this process too.
        let mut child = Process(Command::new("sh").args(["-c", "while :; do :; done"]).spawn().expect("sh runs"));
        std::thread::sleep(Duration::from_millis(400));
        let processes = process_table();
        let _ = child.0.kill();
        let child_cpu = cpu_seconds(&processes, child.0.id(), false);
        let (alone, tree) = (cpu_seconds(&processes, me, false), cpu_seconds(&processes, me, true));
        assert!(child_cpu >= 0.1, "the spinning child used {child_cpu} s");
        assert!(
            tree - alone >= child_cpu - 0.005,
            "the tree counts the child: {alone} alone, {tree} with children, child {child_cpu}"
        );
        assert!(
            machine_cpu_seconds() - machine >= child_cpu - 0.02,
            "the machine was busy at least as long as the child"
        );
        let cores = machine_cores();
        assert!(cores >= 1.0 && cores.fract() == 0.0, "{cores} cores");
    }
}
