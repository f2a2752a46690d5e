//! The data plane end to end, with real processes: `gatehouse serve` and a separately started
//! `gatehouse-gateway` (as in a cluster) in front of a real backend. An approved API is
//! callable within a second; no token is 401, an unsubscribed application 403, over the tier
//! 429, a tampered token 401; a prototype answers from its examples; with the management plane
//! killed the gateway keeps serving, and after the restart every event arrives exactly once;
//! answers stream (server-sent events, a download over any buffer); stopping the server does
//! not wait for the gateways' long-polls; a gateway that is stopped signs off; backends get
//! the credentials, tokens and client certificates (mutual TLS) the gateway holds.

use axum::Json;
use axum::http::HeaderMap;
use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");

/// Both tests hold deadlines (a second from approval to traffic, five seconds to notice the
/// store gone) while running a management plane and gateways of their own, so they take turns
/// rather than share two cores when the test threads run side by side.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn gateway_bin() -> PathBuf {
    // Built by the same `cargo test --workspace`, next to this package's binary.
    Path::new(BIN).with_file_name("gatehouse-gateway")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port()
}

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cli(data: &Path, args: &[&str]) -> String {
    let out =
        Command::new(BIN).args(args).env("GATEHOUSE_DATA_DIR", data).env_remove("DATABASE_URL").output().expect("run");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

async fn wait_for(url: &str) {
    let started = Instant::now();
    while !reqwest::get(url).await.map(|r| r.status().is_success()).unwrap_or(false) {
        assert!(started.elapsed() < Duration::from_secs(30), "{url} did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn serve(data: &Path, port: u16) -> Process {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(data.join("server.log")).expect("log");
    Process(
        Command::new(BIN)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--no-gateways"])
            .env("GATEHOUSE_DATA_DIR", data)
            .env_remove("DATABASE_URL")
            .env_remove("GATEHOUSE_PUBLIC_URL")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("serve"),
    )
}

struct Rest {
    base: String,
    http: reqwest::Client,
}

impl Rest {
    async fn call(&self, token: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method.clone(), format!("{}/api/v1{path}", self.base)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("send");
        let status = response.status();
        let text = response.text().await.expect("body");
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn import(&self, token: &str, context: &str, definition: &str) -> String {
        let response = self
            .http
            .post(format!("{}/api/v1/apis/import?context={context}", self.base))
            .bearer_auth(token)
            .header("content-type", "application/yaml")
            .body(definition.to_string())
            .send()
            .await
            .expect("import");
        assert!(response.status().is_success(), "import: {}", response.text().await.unwrap_or_default());
        response.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_string()
    }

    /// The names of `group`'s instances that reported, sorted.
    async fn instances(&self, publisher: &str, group: &str) -> Vec<String> {
        let listed =
            self.call(publisher, reqwest::Method::GET, &format!("/gateway-groups/{group}/instances"), None).await;
        let mut names: Vec<String> = listed
            .as_array()
            .expect("instances")
            .iter()
            .map(|i| i["instance"].as_str().expect("instance").to_string())
            .collect();
        names.sort();
        names
    }

    /// Each instance of `group` and how its last heartbeat said it counts tiers, by name.
    async fn tier_counts(&self, publisher: &str, group: &str) -> Vec<(String, String)> {
        let listed =
            self.call(publisher, reqwest::Method::GET, &format!("/gateway-groups/{group}/instances"), None).await;
        let mut pairs: Vec<(String, String)> = listed
            .as_array()
            .expect("instances")
            .iter()
            .map(|i| {
                (
                    i["instance"].as_str().expect("instance").to_string(),
                    i["tier_counts"].as_str().expect("tier counts").to_string(),
                )
            })
            .collect();
        pairs.sort();
        pairs
    }

    /// Offer `tier` on `api`, put it in `group` and cut its first revision.
    async fn offer(&self, creator: &str, api: &str, context: &str, tier: &str, group: &str) {
        self.offer_with(creator, api, context, tier, group, |_| ()).await;
    }

    /// [`Rest::offer`], with the policies changed by `change` as well.
    async fn offer_with(
        &self,
        creator: &str,
        api: &str,
        context: &str,
        tier: &str,
        group: &str,
        change: impl FnOnce(&mut Value),
    ) {
        let detail = self.call(creator, reqwest::Method::GET, &format!("/apis/{api}"), None).await;
        let mut policies = detail["policies"].clone();
        policies["tiers"] = json!([tier]);
        change(&mut policies);
        self.call(creator, reqwest::Method::PUT, &format!("/apis/{api}/settings"), Some(json!({
            "context": context, "description": "", "tags": [], "visibility": "public", "endpoints": detail["endpoints"],
            "policies": policies, "edit_version": detail["edit_version"],
        }))).await;
        self.call(creator, reqwest::Method::PUT, &format!("/apis/{api}/group"), Some(json!({ "group": group }))).await;
        self.call(creator, reqwest::Method::POST, &format!("/apis/{api}/revisions"), Some(json!({}))).await;
    }

    /// Change what the gateways send `api`'s backend (`endpoints`: its credential, headers…).
    async fn set_endpoints(&self, creator: &str, api: &str, context: &str, change: impl FnOnce(&mut Value)) {
        let detail = self.call(creator, reqwest::Method::GET, &format!("/apis/{api}"), None).await;
        let mut endpoints = detail["endpoints"].clone();
        change(&mut endpoints);
        self.call(
            creator,
            reqwest::Method::PUT,
            &format!("/apis/{api}/settings"),
            Some(json!({
                "context": context, "description": "", "tags": [], "visibility": "public", "endpoints": endpoints,
                "policies": detail["policies"], "edit_version": detail["edit_version"],
            })),
        )
        .await;
    }

    /// Submit revision 1 of `api` and approve it (which deploys it).
    async fn approve(&self, creator: &str, publisher: &str, api: &str) {
        let approval = self
            .call(creator, reqwest::Method::POST, "/approvals", Some(json!({ "api_id": api, "revision": 1 })))
            .await["id"]
            .as_str()
            .expect("id")
            .to_string();
        self.call(publisher, reqwest::Method::POST, &format!("/approvals/{approval}/approve"), Some(json!({}))).await;
    }
}

/// A creator, a publisher and a consumer, and a REST token for each.
fn users(data: &Path) -> [String; 3] {
    [("creator@example.com", "creator"), ("publisher@example.com", "publisher"), ("shop@example.com", "consumer")].map(
        |(email, role)| {
            cli(data, &["user", "create", "--email", email, "--role", role, "--password", "correct horse battery"]);
            cli(data, &["token", "create", "--email", email, "--name", "t"])
        },
    )
}

/// A management plane of the test's own: `gatehouse serve` on a new data directory, with a
/// creator, a publisher and a consumer holding a REST token each. Dropping it stops the server
/// and removes the directory.
struct Plane {
    /// Behind a lock so that a test can stop and restart the server while it holds the rest.
    server: std::sync::Mutex<Process>,
    data: PathBuf,
    port: u16,
    base: String,
    rest: Rest,
    creator: String,
    publisher: String,
    consumer: String,
}

impl Plane {
    async fn start() -> Plane {
        let data = std::env::temp_dir().join(format!("gatehouse-gw-{}", uuid::Uuid::new_v4()));
        let [creator, publisher, consumer] = users(&data);
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let server = serve(&data, port);
        wait_for(&format!("{base}/healthz")).await;
        let rest = Rest { base: base.clone(), http: reqwest::Client::new() };
        Plane { server: std::sync::Mutex::new(server), data, port, base, rest, creator, publisher, consumer }
    }

    /// Kill the server outright, as a crash or a lost machine would stop it.
    fn kill(&self) {
        let mut server = self.server.lock().expect("server");
        let _ = server.0.kill();
        let _ = server.0.wait();
    }

    /// Serve again on the same port and data directory.
    async fn restart(&self) {
        *self.server.lock().expect("server") = serve(&self.data, self.port);
        wait_for(&format!("{}/healthz", self.base)).await;
    }

    /// A new gateway group, and a credential for its gateways.
    async fn group(&self, name: &str) -> String {
        let post = reqwest::Method::POST;
        let group = json!({ "name": name, "host": format!("{name}.example.com") });
        self.rest.call(&self.publisher, post.clone(), "/gateway-groups", Some(group)).await;
        let issued = self.rest.call(&self.publisher, post, &format!("/gateway-groups/{name}/credentials"), None).await;
        issued["token"].as_str().expect("token").to_string()
    }

    /// The consumer's new application, subscribed to `api` with `tier` when one is given.
    async fn application(&self, name: &str, subscription: Option<(&str, &str)>) -> String {
        let post = reqwest::Method::POST;
        let created =
            self.rest.call(&self.consumer, post.clone(), "/applications", Some(json!({ "name": name }))).await;
        let id = created["id"].as_str().expect("id").to_string();
        if let Some((api, tier)) = subscription {
            let subscribe = json!({ "application_id": id, "api_id": api, "tier": tier });
            self.rest.call(&self.consumer, post, "/subscriptions", Some(subscribe)).await;
        }
        id
    }

    /// An access token from `/oauth2/token` for a new production client of `application`.
    async fn access_token(&self, application: &str) -> String {
        let path = format!("/applications/{application}/credentials");
        let client = self
            .rest
            .call(&self.consumer, reqwest::Method::POST, &path, Some(json!({ "key_type": "production" })))
            .await;
        let (id, secret) =
            (client["client_id"].as_str().expect("id"), client["client_secret"].as_str().expect("secret"));
        token(&self.base, id, secret).await
    }
}

impl Drop for Plane {
    fn drop(&mut self) {
        self.kill();
        // A failed test shows what the server logged, before its data directory goes.
        if std::thread::panicking() {
            let log = std::fs::read_to_string(self.data.join("server.log")).unwrap_or_default();
            let problems: Vec<&str> = log.lines().filter(|l| l.contains("ERROR") || l.contains("WARN")).collect();
            eprintln!("the server logged:\n{}", problems.join("\n"));
        }
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// A gateway process serving on `port` (a group's own, where the try-it console sends calls, or
/// any free one), pulling from the management plane at `base` with the group's `credential`,
/// with `env` added to its environment; its API address and its admin address.
async fn gateway(
    port: u16,
    data: &Path,
    base: &str,
    credential: &str,
    instance: &str,
    env: &[(&str, &str)],
) -> (Process, String, String) {
    let admin_port = free_port();
    let log = std::fs::File::create(data.join(format!("{instance}.log"))).expect("log");
    let mut command = Command::new(gateway_bin());
    command
        .env("GATEWAY_LISTEN", format!("127.0.0.1:{port}"))
        .env("GATEWAY_ADMIN_LISTEN", format!("127.0.0.1:{admin_port}"))
        .env("GATEHOUSE_SERVER", base)
        .env("GATEHOUSE_GATEWAY_TOKEN", credential)
        .env("GATEWAY_STATE_DIR", data.join(instance))
        .env("GATEWAY_INSTANCE", instance)
        .env_remove("GATEWAY_RATE_LIMIT_STORE")
        .envs(env.iter().copied())
        // Its log (on stdout) and any panic (on stderr), for a test to read.
        .stdout(log.try_clone().expect("log"))
        .stderr(log);
    let process = Process(command.spawn().expect("gateway"));
    let admin = format!("http://127.0.0.1:{admin_port}");
    wait_for(&format!("{admin}/healthz")).await;
    (process, format!("http://127.0.0.1:{port}"), admin)
}

/// The backend: echoes what reached it (path, query, forwarded headers).
async fn backend() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let app = axum::Router::new().fallback(|uri: axum::http::Uri, headers: HeaderMap| async move {
        let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        // A CORS header of the backend's own, which an API with a CORS policy replaces.
        (
            [("access-control-allow-origin", "https://backend.example")],
            Json(json!({
                "path": uri.path(), "query": uri.query(),
                "forwarded_for": header("x-forwarded-for"), "correlation": header("x-correlation-id"),
                "authorization": header("authorization"), "apikey": header("apikey"), "tag": header("x-tag"),
            })),
        )
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

fn definition(title: &str, backend: &str) -> String {
    format!(
        "openapi: 3.0.3\ninfo:\n  title: {title}\n  version: 1.0.0\nservers:\n  - url: {backend}\npaths:\n  /pets/{{id}}:\n    get:\n      summary: One pet\n      parameters:\n        - {{name: id, in: path, required: true, schema: {{type: string}}}}\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              example: {{id: 7, name: Rex}}\n"
    )
}

async fn token(base: &str, client_id: &str, secret: &str) -> String {
    let answer: Value = reqwest::Client::new()
        .post(format!("{base}/oauth2/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    answer["access_token"].as_str().expect("access_token").to_string()
}

/// How many bundles a gateway has loaded, from its metrics.
async fn bundle_reloads(admin: &str) -> u64 {
    let metrics = reqwest::get(format!("{admin}/metrics")).await.expect("metrics").text().await.expect("text");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("gatehouse_gateway_bundle_reloads_total "))
        .and_then(|n| n.trim().parse().ok())
        .expect("bundle_reloads_total in the metrics")
}

/// The `WWW-Authenticate` challenges of an answer, in order.
fn challenges(answer: &reqwest::Response) -> Vec<&str> {
    answer.headers().get_all("www-authenticate").iter().map(|v| v.to_str().unwrap_or("(not text)")).collect()
}

async fn events_stored(data: &Path) -> i64 {
    let db =
        gatehouse_domain::Db::connect(&format!("sqlite://{}", data.join("gatehouse.db").display())).await.expect("db");
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM event_ids").fetch_one(&db.pool).await.expect("count");
    db.pool.close().await;
    n
}

/// Every stored event as JSON, read straight from the ingested batches (the test is over long
/// before the server compacts them).
async fn raw_events(data: &Path) -> Vec<Value> {
    let db =
        gatehouse_domain::Db::connect(&format!("sqlite://{}", data.join("gatehouse.db").display())).await.expect("db");
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT payload FROM event_batches").fetch_all(&db.pool).await.expect("events");
    db.pool.close().await;
    rows.iter().flat_map(|(p,)| serde_json::from_str::<Vec<Value>>(p).expect("payload")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traffic_through_a_real_gateway() {
    let _turn = ONE_AT_A_TIME.lock().await;
    assert!(gateway_bin().exists(), "{} is built by cargo test --workspace", gateway_bin().display());
    let plane = Plane::start().await;
    let Plane { rest, creator, publisher, consumer, base, data, .. } = &plane;
    let backend_url = format!("http://127.0.0.1:{}", backend().await);
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;

    // A group, a tiny tier, an API offering it; a gateway of the group started on its own.
    let credential = plane.group("pets").await;
    rest.call(publisher, post.clone(), "/tiers", Some(json!({ "name": "Tiny", "requests_per_minute": 3 }))).await;
    let api = rest.import(creator, "/pets/v1", &definition("Pets", &backend_url)).await;
    rest.offer(creator, &api, "/pets/v1", "Tiny", "pets").await;
    let (_gateway, gw, gw_admin) = gateway(free_port(), data, base, &credential, "test-gw", &[]).await;
    let http = reqwest::Client::new();
    let mut sent = 0;

    // Approval → callable through the gateway within a second.
    rest.approve(creator, publisher, &api).await;
    let approved = Instant::now();
    loop {
        let status = http.get(format!("{gw}/pets/v1/pets/1")).send().await.expect("call").status();
        sent += 1;
        if status == 401 {
            break;
        }
        assert!(
            approved.elapsed() < Duration::from_secs(1),
            "not served within a second of approval (last answer {status})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let anonymous = http.get(format!("{gw}/pets/v1/pets/1")).send().await.expect("call");
    sent += 1;
    assert_eq!(anonymous.status(), 401);
    // RFC 6750: no token was sent, so the Bearer challenge carries no error code; the API
    // takes API keys as well (the default security), so both challenges are offered.
    assert_eq!(challenges(&anonymous), ["Bearer realm=\"gatehouse\"", "ApiKey realm=\"gatehouse\", header=\"apikey\""]);

    // Two applications: one subscribed with Tiny, one not.
    let shop = plane.application("Shop", Some((&api, "Tiny"))).await;
    let other = plane.application("Other", None).await;
    let shop_token = plane.access_token(&shop).await;
    let other_token = plane.access_token(&other).await;

    let forbidden = http.get(format!("{gw}/pets/v1/pets/1")).bearer_auth(&other_token).send().await.expect("call");
    sent += 1;
    assert_eq!(forbidden.status(), 403, "not subscribed");
    let mut parts: Vec<String> = shop_token.split('.').map(str::to_string).collect();
    parts[1] = parts[1].chars().rev().collect();
    let tampered = http.get(format!("{gw}/pets/v1/pets/1")).bearer_auth(parts.join(".")).send().await.expect("call");
    sent += 1;
    assert_eq!(tampered.status(), 401, "tampered");
    assert_eq!(
        challenges(&tampered),
        [
            "Bearer realm=\"gatehouse\", error=\"invalid_token\", error_description=\"the token signature does not verify\"",
            "ApiKey realm=\"gatehouse\", header=\"apikey\""
        ]
    );

    // An API key of the same application: refused when unknown, let through when issued, and
    // counted against the same subscription's tier as its tokens.
    let reloads_before = bundle_reloads(&gw_admin).await;
    let issued = rest
        .call(
            consumer,
            post.clone(),
            &format!("/applications/{shop}/api-keys"),
            Some(json!({ "key_type": "production" })),
        )
        .await;
    let shop_key = issued["key"].as_str().expect("key");
    // Keys travel in the bundle's access part: wait for the gateway to load the next bundle.
    let waiting = Instant::now();
    while bundle_reloads(&gw_admin).await == reloads_before {
        assert!(waiting.elapsed() < Duration::from_secs(3), "the API key did not reach the gateway");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let unknown = http.get(format!("{gw}/pets/v1/pets/1")).header("apikey", "not-a-key").send().await.expect("call");
    sent += 1;
    assert_eq!(unknown.status(), 401, "unknown API key");
    assert_eq!(
        challenges(&unknown),
        ["Bearer realm=\"gatehouse\"", "ApiKey realm=\"gatehouse\", header=\"apikey\""],
        "no token was sent, so the Bearer challenge carries no error"
    );
    let keyed = http.get(format!("{gw}/pets/v1/pets/5")).header("apikey", shop_key).send().await.expect("call");
    sent += 1;
    assert_eq!(keyed.status(), 200, "issued API key");
    assert_eq!(keyed.headers().get("x-ratelimit-remaining").and_then(|v| v.to_str().ok()), Some("2"));
    assert_eq!(keyed.json::<Value>().await.expect("json")["apikey"], "", "the key stays at the gateway");

    let ok = http
        .get(format!("{gw}/pets/v1/pets/42?full=1"))
        .bearer_auth(&shop_token)
        .header("x-correlation-id", "corr-1")
        .send()
        .await
        .expect("call");
    sent += 1;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers().get("x-ratelimit-remaining").and_then(|v| v.to_str().ok()), Some("1"));
    let echoed: Value = ok.json().await.expect("json");
    assert_eq!(echoed["path"], "/pets/42", "the context is stripped, the template filled");
    assert_eq!(echoed["query"], "full=1");
    assert_eq!(echoed["correlation"], "corr-1");
    assert_eq!(echoed["forwarded_for"], "127.0.0.1");
    assert_eq!(echoed["authorization"], "", "the caller's credential stays at the gateway");
    assert_eq!(
        http.get(format!("{gw}/pets/v1/pets/1")).bearer_auth(&shop_token).send().await.expect("call").status(),
        200
    );
    sent += 1;
    let throttled = http.get(format!("{gw}/pets/v1/pets/1")).bearer_auth(&shop_token).send().await.expect("call");
    sent += 1;
    assert_eq!(throttled.status(), 429, "over Tiny's 3 per minute");
    assert!(throttled.headers().get("retry-after").is_some());
    let missing = http.get(format!("{gw}/pets/v1/owners")).bearer_auth(&shop_token).send().await.expect("call");
    sent += 1;
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.json::<Value>().await.expect("json")["error"]["code"], "no_route");

    // A prototype answers from its examples, no backend and no credential.
    let proto = rest.import(creator, "/proto/v1", &definition("Proto", "http://127.0.0.1:9")).await;
    rest.call(creator, reqwest::Method::PUT, &format!("/apis/{proto}/group"), Some(json!({ "group": "pets" }))).await;
    rest.call(creator, post.clone(), &format!("/apis/{proto}/lifecycle"), Some(json!({ "action": "prototype" }))).await;
    rest.call(creator, post.clone(), &format!("/apis/{proto}/revisions"), Some(json!({}))).await;
    rest.approve(creator, publisher, &proto).await;
    let started = Instant::now();
    let mocked = loop {
        let r = http.get(format!("{gw}/proto/v1/pets/3")).send().await.expect("call");
        sent += 1;
        if r.status() != 404 {
            break r;
        }
        assert!(started.elapsed() < Duration::from_secs(2), "prototype not served");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(mocked.status(), 200);
    assert_eq!(mocked.json::<Value>().await.expect("json"), json!({ "id": 7, "name": "Rex" }));

    // "Live on 1 of 1" comes from the gateway's heartbeat: the pull that follows installing the
    // bundle reports its version, a moment after the gateway starts serving it.
    let reported = Instant::now();
    let deployments = loop {
        let deployments = rest.call(publisher, get.clone(), "/deployments?group=pets", None).await;
        if deployments["items"][0]["status"] == "live" || reported.elapsed() > Duration::from_secs(2) {
            break deployments;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(deployments["items"][0]["status"], "live", "{deployments}");
    assert_eq!(
        (deployments["items"][0]["live_on"].as_u64(), deployments["items"][0]["gateways"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        rest.tier_counts(publisher, "pets").await,
        [("test-gw".to_string(), "per_instance".to_string())],
        "no shared store configured"
    );

    // The management plane goes down: the gateway keeps serving; its events wait in the spool.
    plane.kill();
    tokio::time::sleep(Duration::from_millis(800)).await;
    for _ in 0..5 {
        let r =
            http.get(format!("{gw}/proto/v1/pets/3")).send().await.expect("call while the management plane is down");
        sent += 1;
        assert_eq!(r.status(), 200);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    plane.restart().await;
    let started = Instant::now();
    loop {
        let stored = events_stored(data).await;
        if stored == sent {
            break;
        }
        assert!(stored < sent, "events were counted twice: {stored} stored for {sent} requests");
        assert!(started.elapsed() < Duration::from_secs(20), "only {stored} of {sent} events arrived");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Nothing arrives twice later either.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(events_stored(data).await, sent, "every event exactly once");

    // Analytics over the same traffic, checked against the raw events the database holds.
    let overview = rest.call(publisher, get.clone(), "/analytics/overview?range=1h", None).await;
    let raw = raw_events(data).await;
    let totals = &overview["totals"];
    assert_eq!(totals["requests"].as_i64(), Some(sent), "{overview}");
    assert_eq!(totals["throttled"], 1, "one request over Tiny");
    assert_eq!(
        totals["auth_failure"], 5,
        "no token, the first call after approval, tampered, unknown API key (401) and not subscribed (403)"
    );
    let count = |range: std::ops::Range<u64>| {
        raw.iter().filter(|e| e["status"].as_u64().is_some_and(|s| range.contains(&s))).count() as u64
    };
    assert_eq!(totals["success"].as_u64(), Some(count(0..400)));
    assert_eq!(
        totals["client_error"].as_u64(),
        Some(count(400..500) - 6),
        "4xx but the throttled and auth failures: unknown routes"
    );
    assert_eq!(totals["server_error"].as_u64(), Some(count(500..600)), "5xx: backend errors, if any");
    let mut latencies: Vec<f64> = raw.iter().map(|e| e["latency_ms"].as_f64().expect("latency")).collect();
    latencies.sort_by(f64::total_cmp);
    let nearest_rank = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    for (field, q) in [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)] {
        assert_eq!(totals["latency"][field].as_f64(), Some(nearest_rank(q)), "{field}");
    }
    let mut by_status = std::collections::BTreeMap::<String, u64>::new();
    for e in &raw {
        *by_status.entry(e["status"].to_string()).or_default() += 1;
    }
    let reported: std::collections::BTreeMap<String, u64> = overview["status_codes"]
        .as_array()
        .expect("status codes")
        .iter()
        .map(|b| (b["key"].as_str().expect("key").to_string(), b["requests"].as_u64().expect("n")))
        .collect();
    assert_eq!(reported, by_status, "status breakdown");
    let proto_row = overview["top_apis"]
        .as_array()
        .expect("top apis")
        .iter()
        .find(|b| b["key"] == proto.as_str())
        .cloned()
        .expect("the prototype API is listed");
    assert_eq!(
        proto_row["requests"], 6,
        "the prototype's answers, five of them sent while the management plane was down"
    );
    // A consumer sees only their own applications' traffic.
    let mine = rest.call(consumer, get.clone(), "/analytics/overview?range=1h", None).await;
    let own =
        raw.iter().filter(|e| e["application_id"] == shop.as_str() || e["application_id"] == other.as_str()).count();
    assert_eq!(mine["totals"]["requests"].as_u64(), Some(own as u64));
    let chart = http
        .get(format!("{base}/api/v1/analytics/charts/traffic.svg?range=1h"))
        .bearer_auth(publisher)
        .send()
        .await
        .expect("chart");
    assert_eq!(chart.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/svg+xml"));
    assert!(chart.text().await.expect("svg").contains("data-series=\"5\""));
}

/// Over the 128 MiB the gateway once read whole before answering.
const DOWNLOAD: usize = 144 * 1024 * 1024;

/// A backend on a raw socket that streams: `…/ticks` sends one server-sent event, then the
/// next only once `go_on` is notified; `…/download` sends [`DOWNLOAD`] bytes with a length;
/// `…/socket` switches to a WebSocket when asked and echoes what it is sent.
async fn streaming_backend(go_on: std::sync::Arc<tokio::sync::Notify>) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let go_on = go_on.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let request_line = String::from_utf8_lossy(&head).lines().next().unwrap_or_default().to_string();
                if request_line.contains("/socket ") {
                    // Switches when asked to, then echoes whatever comes.
                    let asked = String::from_utf8_lossy(&head).to_ascii_lowercase().contains("upgrade: websocket");
                    let answer: &[u8] = if asked {
                        b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n"
                    } else {
                        b"HTTP/1.1 426 Upgrade Required\r\ncontent-length: 0\r\n\r\n"
                    };
                    if socket.write_all(answer).await.is_err() || !asked {
                        return;
                    }
                    let (mut from, mut to) = socket.split();
                    let _ = tokio::io::copy(&mut from, &mut to).await;
                } else if request_line.contains("/ticks ") {
                    let first = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\nb\r\ndata: one\n\n\r\n";
                    if socket.write_all(first.as_bytes()).await.is_err() {
                        return;
                    }
                    go_on.notified().await;
                    let _ = socket.write_all(b"b\r\ndata: two\n\n\r\n0\r\n\r\n").await;
                } else {
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {DOWNLOAD}\r\n\r\n"
                    );
                    if socket.write_all(head.as_bytes()).await.is_err() {
                        return;
                    }
                    let block = vec![b'x'; 64 * 1024];
                    for _ in 0..DOWNLOAD / block.len() {
                        if socket.write_all(&block).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    port
}

/// Answers are relayed as they arrive: a server-sent event reaches the caller while its stream
/// is still open, and a download larger than any buffer the gateway keeps passes whole; a
/// WebSocket handshake becomes a tunnel; each event counts the bytes passed; try-it shows an
/// open stream as far as it arrived.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_stream_through_a_real_gateway() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let plane = Plane::start().await;
    let Plane { rest, creator, publisher, consumer, base, data, .. } = &plane;
    let go_on = std::sync::Arc::new(tokio::sync::Notify::new());
    let backend_url = format!("http://127.0.0.1:{}", streaming_backend(go_on.clone()).await);
    let post = reqwest::Method::POST;
    let credential = plane.group("feed").await;
    let definition = format!(
        "openapi: 3.0.3\ninfo: {{title: Feed, version: 1.0.0}}\nservers: [{{url: '{backend_url}'}}]\npaths:\n  /socket:\n    get: {{responses: {{'101': {{description: a WebSocket}}}}}}\n  /ticks:\n    get: {{responses: {{'200': {{description: events}}}}}}\n  /download:\n    get: {{responses: {{'200': {{description: a file}}}}}}\n"
    );
    let api = rest.import(creator, "/feed/v1", &definition).await;
    // An open API: no credential, so the test needs no application.
    let detail = rest.call(creator, reqwest::Method::GET, &format!("/apis/{api}"), None).await;
    let mut policies = detail["policies"].clone();
    policies["security"] = json!([]);
    rest.call(creator, reqwest::Method::PUT, &format!("/apis/{api}/settings"), Some(json!({
        "context": "/feed/v1", "description": "", "tags": [], "visibility": "public", "endpoints": detail["endpoints"],
        "policies": policies, "edit_version": detail["edit_version"],
    }))).await;
    rest.call(creator, reqwest::Method::PUT, &format!("/apis/{api}/group"), Some(json!({ "group": "feed" }))).await;
    rest.call(creator, post.clone(), &format!("/apis/{api}/revisions"), Some(json!({}))).await;
    let (gateway_process, gw, _) = gateway(free_port(), data, base, &credential, "feed-gw", &[]).await;
    rest.approve(creator, publisher, &api).await;
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut ticks = loop {
        let answer = http.get(format!("{gw}/feed/v1/ticks")).send().await.expect("call");
        if answer.status() == 200 {
            break answer;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "not served after approval: {}", answer.status());
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(ticks.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("text/event-stream"));
    assert!(ticks.headers().get("x-correlation-id").is_some(), "the gateway's headers come with a relayed answer");
    // The backend sends the second event only when told to: the first must arrive without it.
    let first = tokio::time::timeout(Duration::from_secs(5), ticks.chunk())
        .await
        .expect("the first event arrives while the stream is open")
        .expect("read");
    assert_eq!(first.as_deref(), Some(b"data: one\n\n".as_ref()));
    go_on.notify_one();
    let mut rest_of_stream = Vec::new();
    while let Some(chunk) = ticks.chunk().await.expect("read") {
        rest_of_stream.extend_from_slice(&chunk);
    }
    assert_eq!(rest_of_stream, b"data: two\n\n");

    let mut download = http.get(format!("{gw}/feed/v1/download")).send().await.expect("call");
    assert_eq!(download.status(), 200);
    assert_eq!(download.content_length(), Some(DOWNLOAD as u64));
    let mut received = 0;
    while let Some(chunk) = download.chunk().await.expect("read") {
        assert!(chunk.iter().all(|b| *b == b'x'));
        received += chunk.len();
    }
    assert_eq!(received, DOWNLOAD);
    // The download was passed on, not held: the gateway's peak memory stays far below its size.
    let status = std::fs::read_to_string(format!("/proc/{}/status", gateway_process.0.id())).expect("status");
    let peak_kib: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    assert!(peak_kib < 64 * 1024, "the gateway peaked at {peak_kib} KiB relaying {DOWNLOAD} bytes");

    // A WebSocket handshake switches protocols through the gateway, and then bytes pass both
    // ways unread.
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut socket = tokio::net::TcpStream::connect(gw.trim_start_matches("http://")).await.expect("connect");
        socket
            .write_all(b"GET /feed/v1/socket HTTP/1.1\r\nHost: feed\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n")
            .await
            .expect("handshake");
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            socket.read_exact(&mut byte).await.expect("head");
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).to_string();
        assert!(head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"), "{head}");
        assert!(head.contains("upgrade: websocket\r\n") && head.contains("connection: upgrade\r\n"), "{head}");
        for frame in [b"ping".as_ref(), b"and a second frame"] {
            socket.write_all(frame).await.expect("send");
            let mut echoed = vec![0u8; frame.len()];
            socket.read_exact(&mut echoed).await.expect("echo");
            assert_eq!(echoed, frame);
        }
    }

    // Each call's event arrives with the bytes passed on: the bodies' sizes, and both ways
    // through the tunnel (sent when it closed).
    let waited = Instant::now();
    let events = loop {
        let events: Vec<Value> =
            raw_events(data).await.into_iter().filter(|e| e["api_context"] == "/feed/v1").collect();
        if events.len() == 3 || waited.elapsed() > Duration::from_secs(10) {
            break events;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut seen: Vec<(u64, u64, u64)> = events
        .iter()
        .map(|e| {
            let n = |field: &str| e[field].as_u64().unwrap_or(u64::MAX);
            (n("status"), n("request_bytes"), n("response_bytes"))
        })
        .collect();
    seen.sort();
    assert_eq!(seen, [(101, 22, 22), (200, 0, 22), (200, 0, DOWNLOAD as u64)], "{events:?}");

    // The portal's try-it console shows a stream as far as it arrived, and says so. (It calls
    // the group's gateway on this machine: the group is told the port the gateway has.)
    let mut group = rest.call(publisher, reqwest::Method::GET, "/gateway-groups/feed", None).await;
    group["port"] = json!(gw.rsplit(':').next().and_then(|p| p.parse::<u16>().ok()).expect("port"));
    rest.call(publisher, reqwest::Method::PUT, "/gateway-groups/feed", Some(group)).await;
    let tried = rest
        .call(consumer, post.clone(), "/portal/try", Some(json!({ "api_id": api, "method": "GET", "path": "/ticks" })))
        .await;
    assert_eq!(tried["status"], 200, "{tried}");
    assert_eq!(tried["body"], "data: one\n\n", "{tried}");
    assert!(tried["cut"].as_str().is_some_and(|why| why.starts_with("still arriving")), "{tried}");
}

/// A stopping server answers the gateways' long-polls at once, so stopping it (or restarting
/// it, which waits for its port) takes moments, not the 25 seconds a long-poll may wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_stops_promptly_while_gateways_long_poll() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let plane = Plane::start().await;
    let Plane { rest, publisher, base, data, .. } = &plane;
    let credential = plane.group("quiet").await;
    let (_gateway, _, _) = gateway(free_port(), data, base, &credential, "poller", &[]).await;
    // The gateway has pulled once (it reports as it pulls) and now waits in its long-poll.
    let started = Instant::now();
    while rest.instances(publisher, "quiet").await.is_empty() {
        assert!(started.elapsed() < Duration::from_secs(10), "the gateway never pulled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let asked = Instant::now();
    let server = plane.server.lock().expect("server").0.id();
    let signalled = Command::new("kill").args(["-TERM", &server.to_string()]).status().expect("kill");
    assert!(signalled.success());
    while plane.server.lock().expect("server").0.try_wait().expect("server status").is_none() {
        assert!(asked.elapsed() < Duration::from_secs(5), "the server still runs 5 s after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A gateway stopped as Kubernetes stops a pod (SIGTERM) signs off: its group no longer lists it,
/// rather than showing it for the minute its heartbeats would take to time out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_that_is_stopped_signs_off() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let plane = Plane::start().await;
    let Plane { rest, publisher, base, data, .. } = &plane;
    let credential = plane.group("rolling").await;
    let (mut leaving, _, _) = gateway(free_port(), data, base, &credential, "leaving", &[]).await;
    let (_staying, _, _) = gateway(free_port(), data, base, &credential, "staying", &[]).await;
    let instances = || rest.instances(publisher, "rolling");
    let started = Instant::now();
    while instances().await != ["leaving", "staying"] {
        assert!(started.elapsed() < Duration::from_secs(10), "the gateways never pulled: {:?}", instances().await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let signalled = Command::new("kill").args(["-TERM", &leaving.0.id().to_string()]).status().expect("kill");
    assert!(signalled.success());
    let asked = Instant::now();
    let status = loop {
        if let Some(status) = leaving.0.try_wait().expect("gateway status") {
            break status;
        }
        assert!(asked.elapsed() < Duration::from_secs(20), "the gateway still runs 20 s after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "the gateway stopped with {status}");
    assert_eq!(instances().await, ["staying"], "the stopped gateway is still listed");
}

/// A gateway started with what it cannot use says what, and stops.
#[test]
fn a_gateway_names_what_it_cannot_start_with() {
    let dir = std::env::temp_dir().join(format!("gatehouse-gateway-start-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let bundle = dir.join("bundle.json");
    std::fs::write(&bundle, r#"{"group": "g"}"#).expect("bundle");
    let refused = |args: &[&str]| {
        let out = Command::new(gateway_bin())
            .args(args)
            .args(["--state-dir", &dir.join("state").display().to_string()])
            .env_remove("GATEHOUSE_SERVER")
            .env_remove("GATEWAY_BACKEND")
            .output()
            .expect("run the gateway");
        assert!(!out.status.success(), "{args:?} started");
        // Its log lines (stdout) and its last word (stderr).
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
    };
    let bundle = bundle.display().to_string();
    let typo = refused(&["--bundle", &bundle, "--backend", "ftp://backend:8080"]);
    assert!(
        typo.contains("--backend (GATEWAY_BACKEND): endpoint `ftp://backend:8080` is not an http(s) URL"),
        "{typo}"
    );
    let unusable = refused(&["--bundle", &bundle]);
    let said = format!("{bundle} cannot be served (logged above) and no --server can send another");
    assert!(unusable.contains(&said) && unusable.contains("not a bundle"), "{unusable}");
    let _ = std::fs::remove_dir_all(dir);
}

/// A Redis of the test's own, on a free port, keeping nothing on disk.
fn redis() -> (Process, u16) {
    let port = free_port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server (Debian's redis-server package; scripts/setup.sh test installs it)");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(10), "redis-server did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
    (Process(child), port)
}

/// Two gateways of one group sharing tier counts through Redis: a subscription with 10 requests
/// a minute gets 10 from both together, not 10 from each; with the store gone they keep serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gateways_share_a_tier_through_redis() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let plane = Plane::start().await;
    let Plane { rest, creator, publisher, base, data, .. } = &plane;
    let backend_url = format!("http://127.0.0.1:{}", backend().await);
    let credential = plane.group("pets").await;
    rest.call(publisher, reqwest::Method::POST, "/tiers", Some(json!({ "name": "Ten", "requests_per_minute": 10 })))
        .await;
    let api = rest.import(creator, "/pets/v1", &definition("Pets", &backend_url)).await;
    rest.offer(creator, &api, "/pets/v1", "Ten", "pets").await;
    rest.approve(creator, publisher, &api).await;
    let (mut redis, redis_port) = redis();
    let store = format!("redis://127.0.0.1:{redis_port}");
    let (_a, a, a_admin) =
        gateway(free_port(), data, base, &credential, "gw-a", &[("GATEWAY_RATE_LIMIT_STORE", &store)]).await;
    let (_b, b, b_admin) =
        gateway(free_port(), data, base, &credential, "gw-b", &[("GATEWAY_RATE_LIMIT_STORE", &store)]).await;

    let shop = plane.application("Shop", Some((&api, "Ten"))).await;
    let token = plane.access_token(&shop).await;
    let http = reqwest::Client::new();
    let call = |gw: &str| http.get(format!("{gw}/pets/v1/pets/1")).bearer_auth(&token).send();
    // Counts are per minute: start early in one, so every call below (a few seconds) falls in it.
    let into_minute = gatehouse_domain::store::now_ms().rem_euclid(60_000);
    if into_minute > 40_000 {
        tokio::time::sleep(Duration::from_millis((60_100 - into_minute) as u64)).await;
    }
    // Both gateways serve the subscription (each has pulled the bundle that holds it).
    for gw in [&a, &b] {
        let started = Instant::now();
        while call(gw).await.expect("call").status() != 200 {
            assert!(started.elapsed() < Duration::from_secs(5), "{gw} does not serve the subscription");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // Bursts of 4 to each gateway in turn, the gateways syncing between them (every 100 ms): the
    // first 8 (with the 2 above) reach the limit together; alone, each would admit 10.
    let mut admitted = 2;
    for burst in 0..4 {
        let gw = if burst % 2 == 0 { &a } else { &b };
        for _ in 0..4 {
            let response = call(gw).await.expect("call");
            match response.status().as_u16() {
                200 => admitted += 1,
                429 => assert!(response.headers().get("retry-after").is_some()),
                other => panic!("{gw} answered {other}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert_eq!(admitted, 10, "the two gateways together admit the tier's 10 a minute");
    for admin in [&a_admin, &b_admin] {
        let metrics = reqwest::get(format!("{admin}/metrics")).await.expect("metrics").text().await.expect("text");
        assert!(metrics.contains("gatehouse_gateway_rate_limit_store_up 1"), "{metrics}");
    }
    // The group page's gateway table, from the heartbeats: both count through the store.
    let shared = vec![("gw-a".to_string(), "shared".to_string()), ("gw-b".to_string(), "shared".to_string())];
    assert_eq!(
        rest.tier_counts(publisher, "pets").await,
        shared,
        "reported by the heartbeats that followed the first sync"
    );

    // The store goes away: the gateways keep answering, from what they have counted.
    let _ = redis.0.kill();
    let _ = redis.0.wait();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for gw in [&a, &b] {
        assert_eq!(call(gw).await.expect("call").status(), 429, "still over the tier");
        let anonymous = http.get(format!("{gw}/pets/v1/pets/1")).send().await.expect("call without the store");
        assert_eq!(anonymous.status(), 401);
    }
    let started = Instant::now();
    loop {
        let metrics = reqwest::get(format!("{a_admin}/metrics")).await.expect("metrics").text().await.expect("text");
        if metrics.contains("gatehouse_gateway_rate_limit_store_up 0") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "the metric still says the store is up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The heartbeat reports it at once, without waiting out its long poll (25 s).
    let started = Instant::now();
    let unreachable = vec![
        ("gw-a".to_string(), "store_unreachable".to_string()),
        ("gw-b".to_string(), "store_unreachable".to_string()),
    ];
    while rest.tier_counts(publisher, "pets").await != unreachable {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the group page still says the tier counts are shared: {:?}",
            rest.tier_counts(publisher, "pets").await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The portal's try-it console through a real gateway: path, query and header parameters reach
/// the backend; an operation that takes API keys only is called with one (an application's
/// token is refused there, by the gateway); the console's own headers are not the caller's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_try_it_console_sends_parameters_and_an_api_key() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let plane = Plane::start().await;
    let Plane { rest, creator, publisher, consumer, base, data, .. } = &plane;
    let backend_url = format!("http://127.0.0.1:{}", backend().await);
    let (get, post, put) = (reqwest::Method::GET, reqwest::Method::POST, reqwest::Method::PUT);

    let port = free_port();
    let group = json!({ "name": "console", "host": "console.example.com", "port": port });
    rest.call(publisher, post.clone(), "/gateway-groups", Some(group)).await;
    let issued = rest.call(publisher, post.clone(), "/gateway-groups/console/credentials", None).await;
    let (_gateway, _, _) = gateway(port, data, base, issued["token"].as_str().expect("token"), "console", &[]).await;

    let definition = format!(
        "openapi: 3.0.3\ninfo:\n  title: Tagged Pets\n  version: 1.0.0\nservers:\n  - url: {backend_url}\npaths:\n  /pets/{{id}}:\n    get:\n      parameters:\n        - {{name: id, in: path, required: true, schema: {{type: string}}}}\n        - {{name: full, in: query, schema: {{type: boolean}}}}\n        - {{name: X-Tag, in: header, schema: {{type: string}}}}\n      responses:\n        '200':\n          description: ok\n"
    );
    let api = rest.import(creator, "/tagged/v1", &definition).await;
    let detail = rest.call(creator, get, &format!("/apis/{api}"), None).await;
    rest.call(creator, put.clone(), &format!("/apis/{api}/settings"), Some(json!({
        "context": "/tagged/v1", "description": "", "tags": [], "visibility": "public", "endpoints": detail["endpoints"],
        "policies": { "security": ["api_key"], "operation_security": [], "tiers": ["Gold"] },
        "edit_version": detail["edit_version"],
    }))).await;
    rest.call(creator, put, &format!("/apis/{api}/group"), Some(json!({ "group": "console" }))).await;
    rest.call(creator, post.clone(), &format!("/apis/{api}/revisions"), Some(json!({}))).await;
    rest.approve(creator, publisher, &api).await;
    let shop = plane.application("Shop", Some((&api, "Gold"))).await;
    let key = rest
        .call(
            consumer,
            post.clone(),
            &format!("/applications/{shop}/api-keys"),
            Some(json!({ "key_type": "production" })),
        )
        .await["key"]
        .as_str()
        .expect("key")
        .to_string();

    let attempt = |api_key: &str, headers: Value| {
        json!({ "api_id": api, "application_id": shop, "api_key": api_key, "method": "GET", "path": "/pets/7",
                "query": "full=true", "headers": headers })
    };
    // The key reaches the gateway with the next bundle.
    let waiting = Instant::now();
    let answer = loop {
        let answer =
            rest.call(consumer, post.clone(), "/portal/try", Some(attempt(&key, json!([["X-Tag", "blue"]])))).await;
        if answer["status"] == 200 {
            break answer;
        }
        assert!(waiting.elapsed() < Duration::from_secs(5), "not served with the key: {answer}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let echoed: Value = serde_json::from_str(answer["body"].as_str().expect("body")).expect("the backend's JSON");
    assert_eq!((echoed["path"].as_str(), echoed["query"].as_str()), (Some("/pets/7"), Some("full=true")));
    assert_eq!(echoed["tag"], "blue", "the header parameter arrived");
    assert_eq!(echoed["apikey"], "", "the key stays at the gateway");

    let with_token = rest.call(consumer, post.clone(), "/portal/try", Some(attempt("", json!([])))).await;
    assert_eq!(with_token["status"], 401, "the operation takes API keys only: {with_token}");

    let own = refused_try(base, consumer, attempt(&key, json!([["Authorization", "Bearer x"]]))).await;
    assert!(own.contains("set by the console"), "{own}");
    let mut garbled = attempt(&key, json!([]));
    garbled["body_base64"] = json!("not base64!");
    let garbled = refused_try(base, consumer, garbled).await;
    assert!(garbled.contains("body_base64"), "{garbled}");
}

/// Sends a try-it request the server must refuse as invalid (422); returns its message.
async fn refused_try(base: &str, token: &str, request: Value) -> String {
    let answer = reqwest::Client::new()
        .post(format!("{base}/api/v1/portal/try"))
        .bearer_auth(token)
        .json(&request)
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), 422);
    let error: Value = answer.json().await.expect("json");
    error["error"]["message"].as_str().unwrap_or_default().to_string()
}

/// Browsers across origins, through a real gateway: with the API's CORS policy on, a preflight
/// is answered by the gateway (no credential, no backend), answers to an allowed origin are
/// marked — a refusal too, so the page can read it — and another origin gets no mark.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_call_across_origins_when_the_api_allows() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let plane = Plane::start().await;
    let Plane { rest, creator, publisher, base, data, .. } = &plane;
    let backend_url = format!("http://127.0.0.1:{}", backend().await);
    let (get, put) = (reqwest::Method::GET, reqwest::Method::PUT);
    let credential = plane.group("web").await;
    let api = rest.import(creator, "/web/v1", &definition("Web Pets", &backend_url)).await;
    let detail = rest.call(creator, get, &format!("/apis/{api}"), None).await;
    let mut policies = detail["policies"].clone();
    policies["cors"] = json!({ "enabled": true, "allow_origins": ["https://shop.example.com"],
        "allow_methods": ["GET"], "allow_headers": ["authorization", "apikey"], "allow_credentials": false });
    rest.call(creator, put, &format!("/apis/{api}/settings"), Some(json!({
        "context": "/web/v1", "description": "", "tags": [], "visibility": "public", "endpoints": detail["endpoints"],
        "policies": policies, "edit_version": detail["edit_version"],
    }))).await;
    rest.offer(creator, &api, "/web/v1", "Gold", "web").await;
    let (_gateway, gw, _) = gateway(free_port(), data, base, &credential, "web-gw", &[]).await;
    rest.approve(creator, publisher, &api).await;
    let shop = plane.application("Shop", Some((&api, "Gold"))).await;
    let token = plane.access_token(&shop).await;
    let http = reqwest::Client::new();
    let origin = |value: &'static str| move |request: reqwest::RequestBuilder| request.header("origin", value);
    let shop_page = origin("https://shop.example.com");

    let waiting = Instant::now();
    let marked = loop {
        let answer = shop_page(http.get(format!("{gw}/web/v1/pets/3")).bearer_auth(&token)).send().await.expect("call");
        if answer.status() == 200 {
            break answer;
        }
        assert!(waiting.elapsed() < Duration::from_secs(5), "not served: {}", answer.status());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let header = |answer: &reqwest::Response, name: &str| {
        answer.headers().get_all(name).iter().map(|v| v.to_str().unwrap_or("").to_string()).collect::<Vec<_>>()
    };
    assert_eq!(
        header(&marked, "access-control-allow-origin"),
        ["https://shop.example.com"],
        "the backend's is replaced"
    );
    assert!(header(&marked, "access-control-expose-headers")[0].contains("x-ratelimit-remaining"));

    let preflight = shop_page(http.request(reqwest::Method::OPTIONS, format!("{gw}/web/v1/pets/3")))
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .expect("preflight");
    assert_eq!(preflight.status(), 204, "answered by the gateway, with no credential");
    assert_eq!(header(&preflight, "access-control-allow-methods"), ["GET"]);
    assert_eq!(header(&preflight, "access-control-allow-headers"), ["authorization, apikey"]);
    assert_eq!(header(&preflight, "access-control-allow-origin"), ["https://shop.example.com"]);

    let refused = shop_page(http.get(format!("{gw}/web/v1/pets/3"))).send().await.expect("call");
    assert_eq!(refused.status(), 401);
    assert_eq!(header(&refused, "access-control-allow-origin"), ["https://shop.example.com"], "the page reads why");

    let elsewhere = origin("https://elsewhere.example.net");
    let stranger = elsewhere(http.get(format!("{gw}/web/v1/pets/3")).bearer_auth(&token)).send().await.expect("call");
    assert!(header(&stranger, "access-control-allow-origin").is_empty(), "another origin gets no mark");
    let stranger_preflight = elsewhere(http.request(reqwest::Method::OPTIONS, format!("{gw}/web/v1/pets/3")))
        .header("access-control-request-method", "GET")
        .send()
        .await
        .expect("preflight");
    assert_eq!(stranger_preflight.status(), 403);
    let nowhere = shop_page(http.request(reqwest::Method::OPTIONS, format!("{gw}/web/v1/nowhere")))
        .header("access-control-request-method", "GET")
        .send()
        .await
        .expect("preflight");
    assert_eq!(nowhere.status(), 404, "a preflight to no resource is answered as any call to it");
}

/// An API whose backend wants a credential: the gateway that has the secret in its environment
/// sends it in place of the caller's token, with the header the API sets in place of the
/// caller's; one that lacks the secret answers 503 and calls nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backends_get_the_credential_the_gateway_holds_and_a_rotated_one_without_a_restart() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let plane = Plane::start().await;
    let Plane { rest, creator, publisher, base, data, .. } = &plane;
    let backend_url = format!("http://127.0.0.1:{}", backend().await);
    let credential = plane.group("guarded").await;
    let api = rest.import(creator, "/guarded/v1", &definition("Guarded Pets", &backend_url)).await;
    rest.set_endpoints(creator, &api, "/guarded/v1", |endpoints| {
        endpoints["backend_auth"] = json!({ "kind": "basic", "username": "gateway", "secret": "guarded_pets" });
        // A header of the API's own, in place of the caller's.
        endpoints["set_headers"] = json!([{ "name": "X-Tag", "value": "from-gateway" }]);
    })
    .await;
    rest.offer(creator, &api, "/guarded/v1", "Gold", "guarded").await;
    let secret = [("GATEWAY_BACKEND_SECRET_GUARDED_PETS", "s3cret")];
    let (_with, with, _) = gateway(free_port(), data, base, &credential, "with-secret", &secret).await;
    // The other reads its secrets from files (a mounted Secret), where there is none yet.
    let secrets_dir = data.join("backend-secrets");
    std::fs::create_dir_all(&secrets_dir).expect("secrets directory");
    let from_files = [("GATEWAY_BACKEND_SECRETS_DIR", secrets_dir.to_str().expect("a UTF-8 path"))];
    let (_without, without, _) = gateway(free_port(), data, base, &credential, "without-secret", &from_files).await;
    rest.approve(creator, publisher, &api).await;
    let app = plane.application("Guarded", Some((&api, "Gold"))).await;
    let token = plane.access_token(&app).await;
    let http = reqwest::Client::new();

    let waiting = Instant::now();
    let answer = loop {
        let answer = http
            .get(format!("{with}/guarded/v1/pets/3"))
            .bearer_auth(&token)
            .header("x-tag", "from-caller")
            .send()
            .await
            .expect("call");
        if answer.status() == 200 {
            break answer;
        }
        assert!(waiting.elapsed() < Duration::from_secs(5), "not served: {}", answer.status());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let echoed: Value = answer.json().await.expect("json");
    // base64("gateway:s3cret"): the secret's name was upper-cased when saved.
    assert_eq!(echoed["authorization"], "Basic Z2F0ZXdheTpzM2NyZXQ=", "{echoed}");
    assert_eq!(echoed["tag"], "from-gateway", "{echoed}");

    // Until the release reaches it, the other gateway answers no_bundle or no_route.
    once_refused_for_want_of_a_credential(|| http.get(format!("{without}/guarded/v1/pets/3")).bearer_auth(&token))
        .await;
    // Its heartbeat says so, for the group page.
    let lacking = |instances: &Value| {
        let instances = instances.as_array().cloned().unwrap_or_default();
        let of = |name: &str| instances.iter().find(|i| i["instance"] == name).map(|i| i["missing_secrets"].clone());
        (of("with-secret"), of("without-secret"))
    };
    let waiting = Instant::now();
    loop {
        let instances = rest.call(publisher, reqwest::Method::GET, "/gateway-groups/guarded/instances", None).await;
        let (with, without) = lacking(&instances);
        if without == Some(json!(["GATEWAY_BACKEND_SECRET_GUARDED_PETS"])) {
            assert_eq!(with, Some(json!([])), "{instances}");
            break;
        }
        assert!(waiting.elapsed() < Duration::from_secs(5), "{instances}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = std::fs::read_to_string(data.join("without-secret.log")).expect("log");
    assert!(log.contains("GATEWAY_BACKEND_SECRET_GUARDED_PETS"), "the log names the variable: {log}");
    assert!(log.contains("GUARDED_PETS and no variable"), "and the file it looked for: {log}");
    assert!(!log.contains("s3cret"));

    // The operator gives the secret, then rotates it: the running gateway sends each, and its
    // heartbeat stops naming the secret as missing.
    let authorization = |answer: Value| answer["authorization"].as_str().unwrap_or_default().to_string();
    for (value, expected) in [("n3w\n", "Basic Z2F0ZXdheTpuM3c="), ("r0tated", "Basic Z2F0ZXdheTpyMHRhdGVk")] {
        std::fs::write(secrets_dir.join("GUARDED_PETS"), value).expect("write the secret");
        let waiting = Instant::now();
        loop {
            let answer =
                http.get(format!("{without}/guarded/v1/pets/3")).bearer_auth(&token).send().await.expect("call");
            let body: Value = answer.json().await.unwrap_or_default();
            if authorization(body.clone()) == expected {
                break;
            }
            assert!(waiting.elapsed() < Duration::from_secs(10), "{value}: {body}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let waiting = Instant::now();
    loop {
        let instances = rest.call(publisher, reqwest::Method::GET, "/gateway-groups/guarded/instances", None).await;
        if lacking(&instances).1 == Some(json!([])) {
            break;
        }
        assert!(waiting.elapsed() < Duration::from_secs(5), "{instances}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let log = std::fs::read_to_string(data.join("without-secret.log")).expect("log");
    assert!(!log.contains("n3w") && !log.contains("r0tated"), "a secret's value is never logged");
}

/// A backend on a private network: its certificate comes from a private authority, and it
/// accepts only clients with a certificate from that authority too. It is its own identity
/// provider as well (`POST /token` grants `ledger-token`), and echoes the `Authorization` it
/// was sent. Returns its URL, the authority's certificate and a client certificate valid until
/// `client_last_day` with its key (PEM), and how many connections it turned away.
async fn mutual_tls_backend(client_last_day: &str) -> (String, String, String, Arc<AtomicUsize>) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa, KeyPair};
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut authority = CertificateParams::new(Vec::<String>::new()).expect("params");
    authority.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(authority, KeyPair::generate().expect("key")).expect("CA");
    let issue = |name: &str, usage, last_day: Option<&str>| {
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(vec![name.to_string()]).expect("params");
        params.extended_key_usages = vec![usage];
        if let Some(day) = last_day {
            let [y, m, d] = [0, 1, 2].map(|i| day.split('-').nth(i).and_then(|n| n.parse().ok()).expect("a date"));
            params.not_after = rcgen::date_time_ymd(y, m as u8, d as u8);
        }
        (params.signed_by(&key, &ca).expect("issued"), key)
    };
    let (server, server_key) = issue("localhost", ExtendedKeyUsagePurpose::ServerAuth, None);
    let (client, client_key) = issue("gateway.internal", ExtendedKeyUsagePurpose::ClientAuth, Some(client_last_day));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).expect("trusted");
    let clients = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .expect("verifier");
    let key = PrivateKeyDer::from_pem_slice(server_key.serialize_pem().as_bytes()).expect("key");
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_client_cert_verifier(clients)
        .with_single_cert(vec![CertificateDer::from(server.der().to_vec())], key)
        .expect("config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let turned_away = Arc::new(AtomicUsize::new(0));
    let counted = turned_away.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (acceptor, counted) = (acceptor.clone(), counted.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    counted.fetch_add(1, Ordering::SeqCst);
                    return;
                };
                let (mut buf, mut received) = (vec![0u8; 8192], Vec::new());
                loop {
                    // A request's head, and its body when it says it has one (a token request's form).
                    let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n").map(|at| at + 4) else {
                        match tls.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => received.extend_from_slice(&buf[..n]),
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&received[..end]).to_ascii_lowercase();
                    let header = |name: &str| {
                        head.lines()
                            .find_map(|l| l.strip_prefix(name))
                            .map(|v| v.trim().to_string())
                            .unwrap_or_default()
                    };
                    let length: usize = header("content-length:").parse().unwrap_or(0);
                    if received.len() < end + length {
                        match tls.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => received.extend_from_slice(&buf[..n]),
                        }
                        continue;
                    }
                    let body = if head.starts_with("post /token ") {
                        json!({ "access_token": "ledger-token", "token_type": "Bearer", "expires_in": 300 })
                    } else {
                        json!({ "reached": "the private backend", "authorization": header("authorization:") })
                    }
                    .to_string();
                    received.drain(..end + length);
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if tls.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let identity = format!("{}{}", client.pem(), client_key.serialize_pem());
    (format!("https://localhost:{port}"), ca.pem(), identity, turned_away)
}

/// An API whose backend is on a private network trusts the network's certificate authority
/// and shows the gateway's client certificate, taken from a secret's file, to the backend and
/// to its identity provider: the call that the public Web PKI would refuse is answered with a
/// token from that provider, and a gateway without the certificate is told why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backends_behind_a_private_authority_are_reached_with_mutual_tls() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let plane = Plane::start().await;
    let Plane { rest, creator, publisher, base, data, .. } = &plane;
    // The gateway's certificate runs out in 20 days: it says so, and exports when.
    let last_day = gatehouse_contract::tls::date_in_days(20);
    let (backend_url, ca, identity, turned_away) = mutual_tls_backend(&last_day).await;
    let credential = plane.group("internal").await;
    let api = rest.import(creator, "/ledger/v1", &definition("Ledger", &backend_url)).await;
    rest.set_endpoints(creator, &api, "/ledger/v1", |endpoints| {
        endpoints["production"] = json!([backend_url]);
        endpoints["sandbox"] = json!([]);
        endpoints["backend_tls"] = json!({ "trusted_ca": ca, "client_certificate": "ledger_tls" });
        // Its identity provider is on the same private network.
        endpoints["backend_auth"] = json!({
            "kind": "client_credentials", "token_url": format!("{backend_url}/token"), "client_id": "gateway",
            "secret": "ledger_client",
        });
    })
    .await;
    rest.offer(creator, &api, "/ledger/v1", "Gold", "internal").await;
    let secrets_dir = data.join("ledger-secrets");
    std::fs::create_dir_all(&secrets_dir).expect("secrets directory");
    std::fs::write(secrets_dir.join("LEDGER_TLS"), &identity).expect("the certificate's secret");
    std::fs::write(secrets_dir.join("LEDGER_CLIENT"), "c1ient").expect("the client secret");
    let from_files = [("GATEWAY_BACKEND_SECRETS_DIR", secrets_dir.to_str().expect("a UTF-8 path"))];
    let (_with, with, with_admin) =
        gateway(free_port(), data, base, &credential, "with-certificate", &from_files).await;
    let (_without, without, _) = gateway(free_port(), data, base, &credential, "without-certificate", &[]).await;
    rest.approve(creator, publisher, &api).await;
    let app = plane.application("Ledger", Some((&api, "Gold"))).await;
    let token = plane.access_token(&app).await;
    let http = reqwest::Client::new();
    let answer = once_served(|| http.get(format!("{with}/ledger/v1/pets/3")).bearer_auth(&token)).await;
    let reached: Value = answer.json().await.expect("json");
    assert_eq!(reached["reached"], "the private backend");
    assert_eq!(reached["authorization"], "bearer ledger-token", "a token from the private identity provider");
    assert_eq!(turned_away.load(Ordering::SeqCst), 0, "the backend turned no connection away");
    // Without the secret, the gateway does not call the backend without its certificate.
    once_refused_for_want_of_a_credential(|| http.get(format!("{without}/ledger/v1/pets/3")).bearer_auth(&token)).await;
    assert_eq!(turned_away.load(Ordering::SeqCst), 0, "nor did it try");
    // Its heartbeat names both secrets it lacks, for the group page.
    let waiting = Instant::now();
    loop {
        let instances = rest.call(publisher, reqwest::Method::GET, "/gateway-groups/internal/instances", None).await;
        let lacking = instances.as_array().and_then(|all| {
            all.iter().find(|i| i["instance"] == "without-certificate").map(|i| i["missing_secrets"].clone())
        });
        if lacking == Some(json!(["GATEWAY_BACKEND_SECRET_LEDGER_CLIENT", "GATEWAY_BACKEND_SECRET_LEDGER_TLS"])) {
            break;
        }
        assert!(waiting.elapsed() < Duration::from_secs(5), "{instances}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = std::fs::read_to_string(data.join("without-certificate.log")).expect("log");
    assert!(log.contains("GATEWAY_BACKEND_SECRET_LEDGER_TLS"), "the log names the certificate's secret: {log}");
    let log = std::fs::read_to_string(data.join("with-certificate.log")).expect("log");
    assert!(!log.contains("PRIVATE KEY"), "the key is never logged");
    assert!(
        log.contains("the client certificate shown to the backend expires soon") && log.contains(&last_day),
        "{log}"
    );
    let metrics = reqwest::get(format!("{with_admin}/metrics")).await.expect("metrics").text().await.expect("text");
    let expires = gatehouse_contract::time::parse_date(&last_day).expect("a date") / 1000 + 86_400;
    let line = format!("gatehouse_gateway_backend_client_certificate_expiry_seconds{{api=\"Ledger 1.0.0\"}} {expires}");
    assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
}

/// The first 200 to `request`, sent again every 50 ms until the release reaches the gateway;
/// fails after five seconds.
async fn once_served(request: impl Fn() -> reqwest::RequestBuilder) -> reqwest::Response {
    let waiting = Instant::now();
    loop {
        let answer = request().send().await.expect("call");
        if answer.status() == 200 {
            return answer;
        }
        assert!(waiting.elapsed() < Duration::from_secs(5), "not served: {}", answer.status());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (five seconds at most) for the gateway to answer `request` 503 for want of the
/// API's backend credential or client certificate, once the release has reached it.
async fn once_refused_for_want_of_a_credential(request: impl Fn() -> reqwest::RequestBuilder) {
    let waiting = Instant::now();
    loop {
        let answer = request().send().await.expect("call");
        let status = answer.status();
        let body: Value = answer.json().await.unwrap_or_default();
        if body["error"]["code"] == "no_backend_credential" {
            assert_eq!(status, 503, "{body}");
            return;
        }
        assert!(waiting.elapsed() < Duration::from_secs(5), "{status}: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An identity provider for a backend: grants the client `gateway` with the secret `c1ient`
/// tokens `token-1`, `token-2`… of two seconds, records the forms it was sent, and answers 503
/// while it is down.
struct Provider {
    token_url: String,
    granted: Arc<AtomicUsize>,
    forms: Arc<Mutex<Vec<String>>>,
    down: Arc<AtomicBool>,
}

async fn identity_provider() -> Provider {
    let (granted, forms, down) =
        (Arc::new(AtomicUsize::new(0)), Arc::new(Mutex::new(Vec::new())), Arc::new(AtomicBool::new(false)));
    let state = (granted.clone(), forms.clone(), down.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let token_url = format!("http://{}/token", listener.local_addr().expect("addr"));
    let app = axum::Router::new().route(
        "/token",
        axum::routing::post(move |headers: HeaderMap, form: String| {
            let (granted, forms, down) = state.clone();
            async move {
                use axum::http::StatusCode;
                // base64("gateway:c1ient")
                if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Basic Z2F0ZXdheTpjMWllbnQ=") {
                    return (StatusCode::UNAUTHORIZED, Json(json!({ "error": "invalid_client" })));
                }
                forms.lock().expect("forms").push(form);
                if down.load(Ordering::SeqCst) {
                    return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "error": "temporarily_unavailable" })));
                }
                let n = granted.fetch_add(1, Ordering::SeqCst) + 1;
                (
                    StatusCode::OK,
                    Json(json!({ "access_token": format!("token-{n}"), "token_type": "Bearer", "expires_in": 2 })),
                )
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Provider { token_url, granted, forms, down }
}

/// A backend that answers with the `Authorization` it was sent, and 401 at `…/refuse`.
async fn token_taking_backend() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let app = axum::Router::new().fallback(|uri: axum::http::Uri, headers: HeaderMap| async move {
        let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let status = if uri.path().ends_with("/refuse") { 401 } else { 200 };
        (axum::http::StatusCode::from_u16(status).expect("status"), Json(json!({ "authorization": authorization })))
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// An API whose backend takes OAuth2 tokens: the gateway asks the identity provider for one
/// with the client secret from its environment, sends it until it is nearly expired, asks
/// again when the backend refuses it, and answers 503 while no unexpired token can be had.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backends_get_access_tokens_from_their_identity_provider() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let plane = Plane::start().await;
    let Plane { rest, creator, publisher, base, data, .. } = &plane;
    let provider = identity_provider().await;
    let credential = plane.group("tokened").await;
    let api = rest.import(creator, "/tokened/v1", &definition("Tokened Pets", &token_taking_backend().await)).await;
    let client = json!({
        "kind": "client_credentials", "token_url": provider.token_url, "client_id": "gateway",
        "scopes": ["pets:read"], "secret": "tokened_pets",
    });
    rest.set_endpoints(creator, &api, "/tokened/v1", |endpoints| endpoints["backend_auth"] = client).await;
    rest.offer(creator, &api, "/tokened/v1", "Gold", "tokened").await;
    let secret = [("GATEWAY_BACKEND_SECRET_TOKENED_PETS", "c1ient")];
    let (_gateway, gw, _) = gateway(free_port(), data, base, &credential, "tokened-gw", &secret).await;
    rest.approve(creator, publisher, &api).await;
    let app = plane.application("Tokened", Some((&api, "Gold"))).await;
    let token = plane.access_token(&app).await;
    let http = reqwest::Client::new();
    let call = |pet: &str| http.get(format!("{gw}/tokened/v1/pets/{pet}")).bearer_auth(&token).send();
    let sent = |answer: reqwest::Response| async move {
        let status = answer.status().as_u16();
        let body: Value = answer.json().await.expect("json");
        (
            status,
            body["authorization"].as_str().map(str::to_string).unwrap_or_else(|| body["error"]["code"].to_string()),
        )
    };

    let waiting = Instant::now();
    let first = loop {
        let answer = call("1").await.expect("call");
        if answer.status() != 404 {
            break sent(answer).await;
        }
        assert!(waiting.elapsed() < Duration::from_secs(5), "not served");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(first, (200, "Bearer token-1".to_string()), "the caller's own token never reaches the backend");
    assert_eq!(
        sent(call("2").await.expect("call")).await,
        (200, "Bearer token-1".to_string()),
        "kept for the next call"
    );
    assert_eq!(provider.granted.load(Ordering::SeqCst), 1);
    assert_eq!(provider.forms.lock().expect("forms")[0], "grant_type=client_credentials&scope=pets%3Aread");

    // Renewed when nine tenths of its two seconds have passed.
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(sent(call("3").await.expect("call")).await, (200, "Bearer token-2".to_string()));
    // A token the backend refuses (401, relayed to the caller) is not sent again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(sent(call("refuse").await.expect("call")).await, (401, "Bearer token-2".to_string()));
    assert_eq!(sent(call("4").await.expect("call")).await, (200, "Bearer token-3".to_string()));

    // The provider down and the last token expired: the gateway answers 503 itself.
    provider.down.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(sent(call("5").await.expect("call")).await, (503, "\"no_backend_token\"".to_string()));
    // Back up: after a second's rest it is asked again.
    provider.down.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(sent(call("6").await.expect("call")).await, (200, "Bearer token-4".to_string()));
    let log = std::fs::read_to_string(data.join("tokened-gw.log")).expect("log");
    assert!(log.contains("no access token for the backend") && log.contains("503"), "the log says why: {log}");
    assert!(!log.contains("c1ient"), "the client secret stays out of the log");
}

/// An API whose backend's identity provider takes `private_key_jwt`: the gateway signs an
/// assertion with the key in its secrets directory for each token it asks for, which the
/// provider checks against the public key it was given; no client secret is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backends_get_access_tokens_for_assertions_the_gateway_signs() {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use ed25519_dalek::Verifier as _;
    let _turn = ONE_AT_A_TIME.lock().await;
    let plane = Plane::start().await;
    let Plane { rest, creator, publisher, base, data, .. } = &plane;
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).expect("key");
    let public: [u8; 32] = key.public_key_raw().try_into().expect("an Ed25519 public key");
    let public = ed25519_dalek::VerifyingKey::from_bytes(&public).expect("public key");

    // The provider: a grant for each fresh assertion signed by the registered key, for it,
    // by and about the client, not expired; an assertion seen before is refused.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let token_url = format!("http://{}/token", listener.local_addr().expect("addr"));
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let (audience, seen_by_provider) = (token_url.clone(), seen.clone());
    let app = axum::Router::new().route(
        "/token",
        axum::routing::post(move |headers: HeaderMap, axum::Form(form): axum::Form<std::collections::HashMap<String, String>>| {
            let (audience, seen) = (audience.clone(), seen_by_provider.clone());
            async move {
                let checked = (|| -> Result<(), String> {
                    if headers.contains_key("authorization") {
                        return Err("a client secret was sent too".into());
                    }
                    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
                    if field("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                        || field("client_id") != "gateway"
                        || field("grant_type") != "client_credentials"
                    {
                        return Err(format!("not a client assertion: {form:?}"));
                    }
                    let jwt = field("client_assertion");
                    let (signed, signature) = jwt.rsplit_once('.').ok_or("not a JWT")?;
                    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|e| e.to_string())?;
                    let signature = ed25519_dalek::Signature::from_slice(&signature).map_err(|e| e.to_string())?;
                    public.verify(signed.as_bytes(), &signature).map_err(|_| "the signature does not verify")?;
                    let part = |i: usize| -> Result<Value, String> {
                        let bytes = URL_SAFE_NO_PAD.decode(signed.split('.').nth(i).ok_or("no part")?).map_err(|e| e.to_string())?;
                        serde_json::from_slice(&bytes).map_err(|e| e.to_string())
                    };
                    let (header, claims) = (part(0)?, part(1)?);
                    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
                    if header["alg"] != "EdDSA"
                        || header["kid"] != "gw-2026"
                        || claims["iss"] != "gateway"
                        || claims["sub"] != "gateway"
                        || claims["aud"] != audience.as_str()
                        || claims["exp"].as_u64().is_none_or(|exp| exp <= now || exp > now + 300)
                    {
                        return Err(format!("not an assertion for this provider: {header} {claims}"));
                    }
                    let jti = claims["jti"].as_str().ok_or("no jti")?.to_string();
                    let mut seen = seen.lock().expect("seen");
                    if seen.contains(&jti) {
                        return Err("a replayed assertion".into());
                    }
                    seen.push(jti);
                    Ok(())
                })();
                match checked {
                    Ok(()) => {
                        let n = seen.lock().expect("seen").len();
                        let token = json!({ "access_token": format!("token-{n}"), "token_type": "Bearer", "expires_in": 1 });
                        (axum::http::StatusCode::OK, Json(token))
                    }
                    Err(why) => (axum::http::StatusCode::UNAUTHORIZED, Json(json!({ "error": "invalid_client", "error_description": why }))),
                }
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });

    let credential = plane.group("signing").await;
    let api = rest.import(creator, "/signing/v1", &definition("Signing Pets", &token_taking_backend().await)).await;
    let client = json!({
        "kind": "client_credentials", "token_url": token_url, "client_id": "gateway",
        "authentication": "private_key_jwt", "key_id": "gw-2026", "secret": "signing_key",
    });
    rest.set_endpoints(creator, &api, "/signing/v1", |endpoints| endpoints["backend_auth"] = client).await;
    rest.offer(creator, &api, "/signing/v1", "Gold", "signing").await;
    // The key as a mounted Secret's file holds it: PEM, lines and all.
    let secrets_dir = data.join("signing-secrets");
    std::fs::create_dir_all(&secrets_dir).expect("secrets directory");
    std::fs::write(secrets_dir.join("SIGNING_KEY"), key.serialize_pem()).expect("key file");
    let from_files = [("GATEWAY_BACKEND_SECRETS_DIR", secrets_dir.to_str().expect("a UTF-8 path"))];
    let (_gateway, gw, _) = gateway(free_port(), data, base, &credential, "signing-gw", &from_files).await;
    // A gateway given a secret it cannot sign with answers 503 and says why.
    let not_a_key = [("GATEWAY_BACKEND_SECRET_SIGNING_KEY", "c1ient")];
    let (_unsigned, unsigned, _) = gateway(free_port(), data, base, &credential, "unsigned-gw", &not_a_key).await;
    rest.approve(creator, publisher, &api).await;
    let app = plane.application("Signing", Some((&api, "Gold"))).await;
    let token = plane.access_token(&app).await;
    let http = reqwest::Client::new();
    let call = |gw: &str, pet: &str| http.get(format!("{gw}/signing/v1/pets/{pet}")).bearer_auth(&token).send();

    let waiting = Instant::now();
    let first = loop {
        let answer = call(&gw, "1").await.expect("call");
        if answer.status() != 404 {
            break (answer.status().as_u16(), answer.json::<Value>().await.expect("json"));
        }
        assert!(waiting.elapsed() < Duration::from_secs(5), "not served");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(first, (200, json!({ "authorization": "Bearer token-1" })));
    // Renewed with a fresh assertion (the provider refuses one it has seen).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second: Value = call(&gw, "2").await.expect("call").json().await.expect("json");
    assert_eq!(second, json!({ "authorization": "Bearer token-2" }));
    assert_eq!(seen.lock().expect("seen").len(), 2);

    let refused = call(&unsigned, "1").await.expect("call");
    assert_eq!(refused.status(), 503);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"]["code"], "no_backend_credential", "{body}");
    let log = std::fs::read_to_string(data.join("unsigned-gw.log")).expect("log");
    assert!(log.contains("GATEWAY_BACKEND_SECRET_SIGNING_KEY") && log.contains("holds no PEM private key"), "{log}");
    assert!(!log.contains("c1ient"), "the secret stays out of the log");
}

/// A backend that counts the calls it answers (`{"served": n}`), and marks its answers at
/// `…/mine` private.
async fn counting_backend() -> (String, Arc<AtomicUsize>) {
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let n = count.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            let privacy = if uri.path().ends_with("/mine") { "private" } else { "public, max-age=600" };
            ([("cache-control", privacy)], Json(json!({ "served": n })))
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, served)
}

/// An API that keeps its answers: a GET is answered from the gateway for the API's seconds,
/// to any subscriber, by path and query; what the backend marks private, what the caller asks
/// fresh, and what has expired go to the backend.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_kept_and_served_again_without_the_backend() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let plane = Plane::start().await;
    let Plane { rest, creator, publisher, base, data, .. } = &plane;
    let (backend_url, served) = counting_backend().await;
    let credential = plane.group("kept").await;
    let api = rest.import(creator, "/kept/v1", &definition("Kept Pets", &backend_url)).await;
    rest.offer_with(creator, &api, "/kept/v1", "Gold", "kept", |policies| policies["cache_seconds"] = json!(2)).await;
    let (_gateway, gw, admin) = gateway(free_port(), data, base, &credential, "kept-gw", &[]).await;
    rest.approve(creator, publisher, &api).await;
    let (one, other) =
        (plane.application("Kept", Some((&api, "Gold"))).await, plane.application("Also", Some((&api, "Gold"))).await);
    let (token, other_token) = (plane.access_token(&one).await, plane.access_token(&other).await);
    let http = reqwest::Client::new();
    let get = |path: &str, token: &str| http.get(format!("{gw}/kept/v1/pets/{path}")).bearer_auth(token).send();
    let answer = |response: reqwest::Response| async move {
        let age = response.headers().get("age").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body: Value = response.json().await.expect("json");
        (body["served"].as_u64().unwrap_or_default(), age)
    };

    let waiting = Instant::now();
    let first = loop {
        let response = get("1", &token).await.expect("call");
        if response.status() == 200 {
            break answer(response).await;
        }
        assert!(waiting.elapsed() < Duration::from_secs(5), "not served: {}", response.status());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(first, (1, None), "the first call reaches the backend");
    assert_eq!(answer(get("1", &token).await.expect("call")).await, (1, Some("0".into())), "kept");
    assert_eq!(answer(get("1", &other_token).await.expect("call")).await, (1, Some("0".into())), "for any subscriber");
    assert_eq!(answer(get("2", &token).await.expect("call")).await, (2, None), "another path is another answer");
    assert_eq!(answer(get("mine", &token).await.expect("call")).await.0, 3);
    assert_eq!(answer(get("mine", &token).await.expect("call")).await.0, 4, "a private answer is never kept");
    let fresh = http.get(format!("{gw}/kept/v1/pets/1")).bearer_auth(&token).header("cache-control", "no-cache");
    assert_eq!(answer(fresh.send().await.expect("call")).await, (5, None), "asked fresh, it is fresh");
    // Still checked first: no credential, no kept answer.
    assert_eq!(http.get(format!("{gw}/kept/v1/pets/1")).send().await.expect("call").status(), 401);
    // The API's two seconds are the most, whatever the backend's max-age.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(answer(get("1", &token).await.expect("call")).await, (6, None), "expired");
    assert_eq!(served.load(Ordering::SeqCst), 6);
    let metrics = reqwest::get(format!("{admin}/metrics")).await.expect("metrics").text().await.expect("text");
    assert!(metrics.lines().any(|l| l == "gatehouse_gateway_cache_hits_total 2"), "{metrics}");
}

/// Kept answers outlive a bundle that changes access alone (a new API key), and go when the
/// API's creator purges them — all of them, or those under one path — with no release.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_answers_are_purged_on_the_creators_word() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let plane = Plane::start().await;
    let Plane { rest, creator, publisher, consumer, base, data, .. } = &plane;
    let (backend_url, served) = counting_backend().await;
    let credential = plane.group("purged").await;
    let api = rest.import(creator, "/purged/v1", &definition("Purged Pets", &backend_url)).await;
    rest.offer_with(creator, &api, "/purged/v1", "Gold", "purged", |policies| policies["cache_seconds"] = json!(600))
        .await;
    let (_gateway, gw, admin) = gateway(free_port(), data, base, &credential, "purged-gw", &[]).await;
    rest.approve(creator, publisher, &api).await;
    let app = plane.application("Purged", Some((&api, "Gold"))).await;
    let token = plane.access_token(&app).await;
    let http = reqwest::Client::new();
    let served_for = |pet: &'static str| {
        let call = http.get(format!("{gw}/purged/v1/pets/{pet}")).bearer_auth(&token);
        async move {
            let response = call.send().await.expect("call");
            let status = response.status();
            let body: Value = response.json().await.unwrap_or_default();
            (status, body["served"].as_u64())
        }
    };
    let served_now = || served_for("1");
    let waiting = Instant::now();
    while served_now().await.0 != 200 {
        assert!(waiting.elapsed() < Duration::from_secs(5), "not served");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(served_now().await.1, Some(1), "kept");

    let reloads = bundle_reloads(&admin).await;
    let keys = format!("/applications/{app}/api-keys");
    rest.call(consumer, reqwest::Method::POST, &keys, Some(json!({ "key_type": "production" }))).await;
    let waiting = Instant::now();
    while bundle_reloads(&admin).await == reloads {
        assert!(waiting.elapsed() < Duration::from_secs(5), "the new key's bundle never came");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(served_now().await.1, Some(1), "still kept: the answer does not depend on who may call");

    let path = format!("/apis/{api}/kept-answers");
    let refused = http.delete(format!("{base}/api/v1{path}")).bearer_auth(consumer).send().await.expect("send");
    assert_eq!(refused.status(), 403, "a consumer cannot purge");
    let purged = rest.call(creator, reqwest::Method::DELETE, &path, None).await;
    assert_eq!(purged["api_id"], api.as_str(), "{purged}");
    let waiting = Instant::now();
    loop {
        match served_now().await.1 {
            Some(2) => break,
            other => assert_eq!(other, Some(1), "kept until the purge arrives"),
        }
        assert!(waiting.elapsed() < Duration::from_secs(5), "the purge never arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(served_now().await.1, Some(2), "the fresh answer is kept in its turn");
    assert_eq!(served.load(Ordering::SeqCst), 2);

    // One path's answers only: that pet's, whatever the query; the other pet's stay kept.
    assert_eq!(served_for("2").await.1, Some(3));
    let template = http
        .delete(format!("{base}/api/v1{path}?path=/pets/%7Bid%7D"))
        .bearer_auth(creator)
        .send()
        .await
        .expect("send");
    assert_eq!(template.status(), 422);
    let refusal: Value = template.json().await.expect("json");
    assert!(refusal.to_string().contains("not a template"), "{refusal}");
    let purged = rest.call(creator, reqwest::Method::DELETE, &format!("{path}?path=/pets/1"), None).await;
    assert_eq!(purged["path"], "/pets/1", "{purged}");
    let waiting = Instant::now();
    loop {
        match served_now().await.1 {
            Some(4) => break,
            other => assert_eq!(other, Some(2), "kept until the purge arrives"),
        }
        assert!(waiting.elapsed() < Duration::from_secs(5), "the path's purge never arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(served_for("2").await.1, Some(3), "another path's answer is still kept");
    assert_eq!(served_now().await.1, Some(4));
    assert_eq!(served.load(Ordering::SeqCst), 4);
}

/// An API that takes calls from some addresses only, behind a proxy the gateway trusts to name
/// the caller: the caller's address decides, before its credential is looked at.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_are_filtered_by_their_address_behind_a_trusted_proxy() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let plane = Plane::start().await;
    let Plane { rest, creator, publisher, base, data, .. } = &plane;
    let backend_url = format!("http://127.0.0.1:{}", backend().await);
    let credential = plane.group("office").await;
    let api = rest.import(creator, "/office/v1", &definition("Office Pets", &backend_url)).await;
    rest.offer_with(creator, &api, "/office/v1", "Gold", "office", |policies| {
        policies["ip_filter"] = json!({ "allow": ["198.51.100.0/24"], "deny": ["198.51.100.66"] })
    })
    .await;
    // The test's calls come from 127.0.0.1: as from the ingress in front of the gateway.
    let proxies = [("GATEWAY_TRUSTED_PROXIES", "127.0.0.0/8,::1")];
    let (_gateway, gw, _) = gateway(free_port(), data, base, &credential, "office-gw", &proxies).await;
    // And from a proxy that writes RFC 7239's `Forwarded`.
    let rfc_proxies = [proxies[0], ("GATEWAY_FORWARDED_HEADER", "forwarded")];
    let (_rfc_gateway, rfc_gw, _) = gateway(free_port(), data, base, &credential, "office-rfc", &rfc_proxies).await;
    // And from a TCP load balancer that opens each connection with a PROXY protocol header.
    let pp_proxies = [proxies[0], ("GATEWAY_FORWARDED_HEADER", "proxy-protocol")];
    let pp_port = free_port();
    let (_pp_gateway, _, _) = gateway(pp_port, data, base, &credential, "office-pp", &pp_proxies).await;
    rest.approve(creator, publisher, &api).await;
    let app = plane.application("Office", Some((&api, "Gold"))).await;
    let token = plane.access_token(&app).await;
    let http = reqwest::Client::new();
    let call = |forwarded_for: Option<&str>| {
        let call = http.get(format!("{gw}/office/v1/pets/1")).bearer_auth(&token);
        match forwarded_for {
            Some(hops) => call.header("x-forwarded-for", hops),
            None => call,
        }
        .send()
    };

    let waiting = Instant::now();
    loop {
        let answer = call(Some("198.51.100.7")).await.expect("call");
        if answer.status() == 200 {
            break;
        }
        assert!(waiting.elapsed() < Duration::from_secs(5), "not served: {}", answer.status());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // What a caller writes before the proxy's own hop counts for nothing.
    let spoofed = call(Some("198.51.100.7, 203.0.113.9")).await.expect("call");
    assert_eq!(spoofed.status(), 403);
    let body: Value = spoofed.json().await.expect("json");
    assert_eq!(body["error"]["code"], "address_denied", "{body}");
    assert_eq!(body["error"]["message"], "Office Pets 1.0.0 takes no calls from 203.0.113.9");
    assert_eq!(call(Some("198.51.100.66")).await.expect("call").status(), 403, "denied within the allowed range");
    assert_eq!(call(None).await.expect("call").status(), 403, "the proxy itself is not allowed");
    // Refused before the credential is looked at: no token, still 403.
    let anonymous =
        http.get(format!("{gw}/office/v1/pets/1")).header("x-forwarded-for", "203.0.113.9").send().await.expect("call");
    assert_eq!(anonymous.status(), 403);
    let rfc = |header: &str, value: &str| {
        http.get(format!("{rfc_gw}/office/v1/pets/1")).bearer_auth(&token).header(header, value).send()
    };
    let waiting = Instant::now();
    while rfc("forwarded", "for=203.0.113.9, for=\"198.51.100.7:4711\";proto=https").await.expect("call").status()
        != 200
    {
        assert!(waiting.elapsed() < Duration::from_secs(5), "not served through the Forwarded proxy");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let other_header = rfc("x-forwarded-for", "198.51.100.7").await.expect("call");
    assert_eq!(other_header.status(), 403, "that proxy's caller names itself in X-Forwarded-For: not read");

    // Behind the PROXY protocol, the header opening the connection names the caller; what the
    // caller writes in X-Forwarded-For counts for nothing (and reaches the backend before it).
    let through_balancer = |opening: Vec<u8>| {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let request = format!(
            "GET /office/v1/pets/1 HTTP/1.1\r\nhost: gw\r\nauthorization: Bearer {token}\r\nx-forwarded-for: 203.0.113.9\r\nconnection: close\r\n\r\n"
        );
        async move {
            let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", pp_port)).await.expect("connect");
            socket.write_all(&[opening, request.into_bytes()].concat()).await.expect("write");
            let mut answer = Vec::new();
            let _ = socket.read_to_end(&mut answer).await;
            String::from_utf8_lossy(&answer).into_owned()
        }
    };
    let v1 = |caller: &str| format!("PROXY TCP4 {caller} 127.0.0.1 51234 {pp_port}\r\n").into_bytes();
    let waiting = Instant::now();
    let served = loop {
        let answer = through_balancer(v1("198.51.100.7")).await;
        if answer.starts_with("HTTP/1.1 200") {
            break answer;
        }
        assert!(waiting.elapsed() < Duration::from_secs(5), "not served through the PROXY protocol: {answer}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(served.contains(r#""forwarded_for":"203.0.113.9, 198.51.100.7""#), "{served}");
    // Version 2's binary header: TCP over IPv4, 198.51.100.66 (denied) port 51234 to the gateway.
    let v2 = [&b"\r\n\r\n\0\r\nQUIT\n"[..], &[0x21, 0x11, 0, 12, 198, 51, 100, 66, 127, 0, 0, 1, 0xc8, 0x22]]
        .concat()
        .into_iter()
        .chain(pp_port.to_be_bytes())
        .collect();
    let denied = through_balancer(v2).await;
    assert!(denied.starts_with("HTTP/1.1 403") && denied.contains("takes no calls from 198.51.100.66"), "{denied}");
    // The balancer's connection without its header: closed unanswered, as the protocol says
    // (the bytes are not guessed at).
    assert_eq!(through_balancer(Vec::new()).await, "");
    let log = std::fs::read_to_string(data.join("office-pp.log")).expect("log");
    assert!(log.contains("does not begin with a PROXY protocol header"), "the log says why: {log}");

    let waited = Instant::now();
    let denied = loop {
        let denied = raw_events(data).await.into_iter().filter(|e| e["error"] == "address_denied").count();
        if denied >= 6 || waited.elapsed() > Duration::from_secs(10) {
            break denied;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(denied, 6, "each refusal is an event");
}

/// A definition whose operations say what their calls look like: a pet's id is an integer, a
/// new pet a JSON object with a name of at most ten characters.
fn strict_definition(title: &str, backend: &str) -> String {
    format!(
        r##"openapi: 3.0.3
info: {{ title: {title}, version: 1.0.0 }}
servers: [{{ url: "{backend}" }}]
components:
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        name: {{ type: string, maxLength: 10 }}
        id: {{ type: integer, readOnly: true }}
        born: {{ type: string, format: date }}
paths:
  /pets:
    post:
      requestBody:
        required: true
        content: {{ application/json: {{ schema: {{ $ref: "#/components/schemas/Pet" }} }} }}
      responses: {{ "201": {{ description: made }} }}
  /pets/{{id}}:
    parameters: [{{ name: id, in: path, required: true, schema: {{ type: integer }} }}]
    get: {{ responses: {{ "200": {{ description: ok }} }} }}
"##
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_that_do_not_fit_the_definition_stop_at_the_gateway() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let plane = Plane::start().await;
    let Plane { rest, creator, publisher, base, data, .. } = &plane;
    let backend_url = format!("http://127.0.0.1:{}", backend().await);
    let credential = plane.group("strict").await;
    let api = rest.import(creator, "/strict/v1", &strict_definition("Strict Pets", &backend_url)).await;
    rest.offer_with(creator, &api, "/strict/v1", "Gold", "strict", |policies| {
        policies["validate_requests"] = json!(true)
    })
    .await;
    let (_gateway, gw, admin) = gateway(free_port(), data, base, &credential, "strict-gw", &[]).await;
    rest.approve(creator, publisher, &api).await;
    let app = plane.application("Strict", Some((&api, "Gold"))).await;
    let token = plane.access_token(&app).await;
    let http = reqwest::Client::new();

    once_served(|| http.get(format!("{gw}/strict/v1/pets/3")).bearer_auth(&token)).await;
    let post = |body: &'static str, content_type: &'static str| {
        http.post(format!("{gw}/strict/v1/pets"))
            .bearer_auth(&token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    // A call that fits reaches the backend, whatever it leaves out that is the server's to fill.
    let made = post(r#"{"name":"Rex","born":"2020-04-01"}"#, "application/json").await.expect("call");
    assert_eq!(made.status(), 200);
    assert_eq!(made.json::<Value>().await.expect("json")["path"], "/pets", "the backend answered");

    let refused = [
        (
            http.get(format!("{gw}/strict/v1/pets/rex")).bearer_auth(&token).send().await,
            400,
            "path parameter `id`: expected an integer, got \"rex\"",
        ),
        (
            post(r#"{"name":7}"#, "application/json").await,
            400,
            "the request body at /name: expected a string, got an integer",
        ),
        (
            post(r#"{"name":"Rex""#, "application/json").await,
            400,
            "the request body is not valid JSON: EOF while parsing an object at line 1 column 13",
        ),
        (
            post(r#"{"name":"Rex","born":"last spring"}"#, "application/json").await,
            400,
            "the request body at /born: expected a date (RFC 3339, like 2026-01-31), got \"last spring\"",
        ),
        (post("", "application/json").await, 400, "the request needs a body (application/json)"),
        (
            post("name=Rex", "application/x-www-form-urlencoded").await,
            415,
            "this operation takes a body of application/json, not application/x-www-form-urlencoded",
        ),
    ];
    for (answer, status, why) in refused {
        let answer = answer.expect("call");
        assert_eq!(answer.status(), status, "{why}");
        let body: Value = answer.json().await.expect("json");
        assert_eq!(body["error"]["message"], why, "{body}");
        // The gateway answered: the backend's echo has no `error`.
        let code = if status == 415 { "unsupported_media_type" } else { "invalid_request" };
        assert_eq!(body["error"]["code"], code);
    }
    // The credential is checked first: a caller without one learns nothing of the definition.
    let anonymous = http.get(format!("{gw}/strict/v1/pets/rex")).send().await.expect("call");
    assert_eq!(anonymous.status(), 401);

    // Analytics counts the refusals as the caller's errors, by the application that made them.
    let waited = Instant::now();
    let refusals: Vec<Value> = loop {
        let refusals: Vec<Value> =
            raw_events(data).await.into_iter().filter(|e| e["error"] == "invalid_request").collect();
        if refusals.len() >= 6 || waited.elapsed() > Duration::from_secs(10) {
            break refusals;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut statuses: Vec<u64> = refusals.iter().filter_map(|e| e["status"].as_u64()).collect();
    statuses.sort();
    assert_eq!(statuses, [400, 400, 400, 400, 400, 415], "{refusals:?}");
    assert!(refusals.iter().all(|e| e["application_id"] == app.as_str()), "{refusals:?}");

    // A prototype checks the calls it answers from its examples too, with no credential.
    let proto =
        rest.import(creator, "/strict-proto/v1", &strict_definition("Strict Prototype", "http://127.0.0.1:9")).await;
    rest.offer_with(creator, &proto, "/strict-proto/v1", "Gold", "strict", |policies| {
        policies["validate_requests"] = json!(true)
    })
    .await;
    let action = Some(json!({ "action": "prototype" }));
    rest.call(creator, reqwest::Method::POST, &format!("/apis/{proto}/lifecycle"), action).await;
    rest.approve(creator, publisher, &proto).await;
    let waiting = Instant::now();
    let refused = loop {
        let answer = http.get(format!("{gw}/strict-proto/v1/pets/rex")).send().await.expect("call");
        if answer.status() != 404 {
            break answer;
        }
        assert!(waiting.elapsed() < Duration::from_secs(5), "prototype not served");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"]["message"], "path parameter `id`: expected an integer, got \"rex\"", "{body}");
    let made =
        http.post(format!("{gw}/strict-proto/v1/pets")).json(&json!({ "name": "Rex" })).send().await.expect("call");
    assert_eq!((made.status().as_u16(), made.headers().get("x-gatehouse-prototype").is_some()), (201, true));
    // Operators see them counted: six refusals of the published API, one of the prototype.
    let metrics = reqwest::get(format!("{admin}/metrics")).await.expect("metrics").text().await.expect("text");
    assert!(metrics.lines().any(|l| l == "gatehouse_gateway_invalid_requests_total 7"), "{metrics}");
}

/// A definition whose OAuth2 scheme declares scopes: reading a pet needs `read:pets`, removing
/// one `admin:pets` as well.
fn scoped_definition(backend: &str) -> String {
    format!(
        r#"openapi: 3.0.3
info: {{ title: Scoped Pets, version: 1.0.0 }}
servers: [{{ url: "{backend}" }}]
components:
  securitySchemes:
    pets_auth:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: /oauth2/token
          scopes: {{ "read:pets": read pets, "admin:pets": remove pets }}
security: [{{ pets_auth: ["read:pets"] }}]
paths:
  /pets/{{id}}:
    parameters: [{{ name: id, in: path, required: true, schema: {{ type: string }} }}]
    get: {{ responses: {{ "200": {{ description: ok }} }} }}
    delete:
      security: [{{ pets_auth: ["read:pets", "admin:pets"] }}]
      responses: {{ "204": {{ description: gone }} }}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_require_the_scopes_their_definition_names() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let plane = Plane::start().await;
    let Plane { rest, creator, publisher, consumer, base, data, .. } = &plane;
    let backend_url = format!("http://127.0.0.1:{}", backend().await);
    let credential = plane.group("scoped").await;
    let api = rest.import(creator, "/scoped/v1", &scoped_definition(&backend_url)).await;
    // Removing a pet is for Gold subscriptions only (the one tier offered here: what the
    // gateway says and that the token endpoint still grants it to Gold is what is checked).
    let bind_admin = |policies: &mut Value| {
        if let Some(scopes) = policies["scopes"].as_array_mut() {
            scopes.iter_mut().filter(|s| s["name"] == "admin:pets").for_each(|s| s["tiers"] = json!(["Gold"]));
        }
    };
    rest.offer_with(creator, &api, "/scoped/v1", "Gold", "scoped", bind_admin).await;
    let (_gateway, gw, _) = gateway(free_port(), data, base, &credential, "scoped-gw", &[]).await;
    rest.approve(creator, publisher, &api).await;
    let shop = plane.application("Shop", Some((&api, "Gold"))).await;
    let client = rest
        .call(
            consumer,
            reqwest::Method::POST,
            &format!("/applications/{shop}/credentials"),
            Some(json!({ "key_type": "production" })),
        )
        .await;
    let (id, secret) = (client["client_id"].as_str().expect("id"), client["client_secret"].as_str().expect("secret"));
    let http = reqwest::Client::new();
    let exchange = |scope: Option<&'static str>| {
        let mut form = vec![("grant_type", "client_credentials")];
        form.extend(scope.map(|s| ("scope", s)));
        http.post(format!("{base}/oauth2/token")).basic_auth(id, Some(secret)).form(&form).send()
    };

    // The token endpoint grants what the live revision defines, and refuses what it does not.
    let unknown = exchange(Some("read:pets feed:pets")).await.expect("token");
    assert_eq!(unknown.status(), 400);
    let unknown: Value = unknown.json().await.expect("json");
    assert_eq!(unknown["error"], "invalid_scope", "{unknown}");
    assert!(unknown["error_description"].as_str().is_some_and(|d| d.contains("feed:pets")), "{unknown}");
    let granted = |answer: Value| {
        (
            answer["scope"].as_str().unwrap_or("").to_string(),
            answer["access_token"].as_str().expect("token").to_string(),
        )
    };
    let (scope, reader) = granted(exchange(Some("read:pets")).await.expect("token").json().await.expect("json"));
    assert_eq!(scope, "read:pets");
    let (scope, keeper) = granted(exchange(None).await.expect("token").json().await.expect("json"));
    assert_eq!(scope, "admin:pets read:pets", "every scope of the subscribed APIs when none is asked for");

    once_served(|| http.get(format!("{gw}/scoped/v1/pets/3")).bearer_auth(&reader)).await;
    let refused = http.delete(format!("{gw}/scoped/v1/pets/3")).bearer_auth(&reader).send().await.expect("call");
    assert_eq!(refused.status(), 403);
    assert_eq!(
        challenges(&refused),
        ["Bearer realm=\"gatehouse\", error=\"insufficient_scope\", scope=\"admin:pets read:pets\""],
        "RFC 6750: the scopes it takes"
    );
    let why: Value = refused.json().await.expect("json");
    assert_eq!(why["error"]["code"], "insufficient_scope", "{why}");
    assert!(
        why["error"]["message"].as_str().is_some_and(|m| m.ends_with("granted to subscriptions of tier Gold")),
        "{why}"
    );
    let removed = http.delete(format!("{gw}/scoped/v1/pets/3")).bearer_auth(&keeper).send().await.expect("call");
    assert_eq!(removed.status(), 200, "the backend answers once the token holds both");

    // The refusal is counted with the application it came from.
    let waited = Instant::now();
    let refusals = loop {
        let refusals: Vec<Value> =
            raw_events(data).await.into_iter().filter(|e| e["error"] == "insufficient_scope").collect();
        if !refusals.is_empty() || waited.elapsed() > Duration::from_secs(10) {
            break refusals;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert_eq!(
        (refusals[0]["status"].as_u64(), refusals[0]["application_id"].as_str()),
        (Some(403), Some(shop.as_str()))
    );
}
