//! The CLI as a pipeline uses it, against real `gatehouse serve` processes: export an API
//! project from one server and import it into an empty one; the result is the same API; a
//! release from a gateway group to the group's gateway serving it, by the CLI alone.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");

struct Server {
    child: Child,
    url: String,
    data: PathBuf,
    token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A failed test shows what the server and its gateways logged, before the data goes.
        if std::thread::panicking() {
            let log = std::fs::read_to_string(self.data.join("server.log")).unwrap_or_default();
            let problems: Vec<&str> = log.lines().filter(|l| l.contains("ERROR") || l.contains("WARN")).collect();
            eprintln!("the server logged:\n{}", problems.join("\n"));
        }
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

fn run(data: &Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env("GATEHOUSE_DATA_DIR", data)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run gatehouse");
    assert!(
        out.status.success(),
        "gatehouse {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn start() -> Server {
    start_with(&[])
}

/// A server started with `env` set for `gatehouse serve`.
fn start_with(env: &[(&str, &str)]) -> Server {
    let data = std::env::temp_dir().join(format!("gatehouse-cli-{}", uuid::Uuid::new_v4()));
    run(
        &data,
        &["user", "create", "--email", "ci@example.com", "--role", "publisher", "--password", "correct horse battery"],
    );
    let token = run(&data, &["token", "create", "--email", "ci@example.com", "--name", "pipeline"]).trim().to_string();
    // The port is free when probed, but a parallel test may take it before the server binds
    // it: then the server exits and whatever listens there is not ours. So a server counts as
    // started when it is still running and its own /healthz answers; else another port.
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let mut child = Command::new(BIN)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .envs(env.iter().copied())
            .env("GATEHOUSE_DATA_DIR", &data)
            .env_remove("DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(data.join("server.log"))
                    .expect("server log"),
            )
            .spawn()
            .expect("start server");
        let started = Instant::now();
        while child.try_wait().expect("server status").is_none() {
            if is_gatehouse(port) && child.try_wait().expect("status").is_none() {
                return Server { child, url: format!("http://127.0.0.1:{port}"), data, token };
            }
            assert!(started.elapsed() < Duration::from_secs(30), "server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    panic!("the server exited on start five times")
}

fn api(server: &Server, args: &[&str]) -> String {
    let mut all = vec!["api", "--server", &server.url, "--token", &server.token];
    all.extend_from_slice(args);
    run(&server.data, &all)
}

/// Runs a command against the server as the holder of `token`.
fn remote(server: &Server, token: &str, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--server", &server.url, "--token", token]);
    run(&server.data, &all)
}

/// A creator `dev@example.com` on the server's data directory, and a token of theirs.
fn creator_token(server: &Server) -> String {
    let user =
        ["user", "create", "--email", "dev@example.com", "--role", "creator", "--password", "correct horse battery"];
    run(&server.data, &user);
    run(&server.data, &["token", "create", "--email", "dev@example.com", "--name", "ci"]).trim().to_string()
}

/// Runs an `api` command that must fail, and returns what it said on stderr.
fn api_fails(server: &Server, args: &[&str]) -> String {
    let mut all = vec!["api"];
    all.extend_from_slice(args);
    remote_fails(server, &server.token, &all)
}

/// Runs a command against the server as the holder of `token` that must fail, and returns
/// what it said on stderr.
fn remote_fails(server: &Server, token: &str, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--server", &server.url, "--token", token]);
    let out = Command::new(BIN).args(&all).env("GATEHOUSE_DATA_DIR", &server.data).output().expect("run gatehouse");
    assert!(!out.status.success(), "gatehouse {all:?} succeeded: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// What the test backend answers every request with.
const REVIEWS: &str = r#"[{"stars":5}]"#;

/// Whether a Gatehouse server answers its health check on `port` (and not some other listener).
fn is_gatehouse(port: u16) -> bool {
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
    let mut answer = String::new();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").is_ok()
        && stream.read_to_string(&mut answer).is_ok()
        && answer.starts_with("HTTP/1.1 200")
        && answer.contains(r#""status":"ok""#)
}

/// A backend on a free port answering every request with [`REVIEWS`].
fn backend() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("backend port");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{REVIEWS}",
                REVIEWS.len()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    port
}

/// A GET on 127.0.0.1 with extra header lines; the whole answer as text.
fn get(port: u16, path: &str, headers: &str) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: food.example.com\r\n{headers}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    answer
}

/// A GET on 127.0.0.1 when something listens on `port`; empty when nothing does.
fn get_if_listening(port: u16, path: &str) -> String {
    match std::net::TcpStream::connect(("127.0.0.1", port)) {
        Ok(_) => get(port, path, ""),
        Err(_) => String::new(),
    }
}

/// The process of the local gateway listening on `port`, found by the environment the
/// supervisor started it with.
fn gateway_process(port: u16) -> Option<u32> {
    let listen = format!("GATEWAY_LISTEN=127.0.0.1:{port}");
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
        let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
        let environ = std::fs::read(entry.path().join("environ")).ok()?;
        environ.split(|b| *b == 0).any(|var| var == listen.as_bytes()).then_some(pid)
    })
}

/// Writes a file into the server's data directory; its path, as the CLI takes it.
fn write(server: &Server, name: &str, text: &str) -> String {
    let path = server.data.join(name);
    std::fs::write(&path, text).expect("write a file for the CLI");
    path.to_str().expect("a UTF-8 path").to_string()
}

fn unzip(path: &Path) -> Vec<(String, String)> {
    let file = std::fs::File::open(path).expect("open zip");
    let mut archive = zip::ZipArchive::new(file).expect("zip");
    let mut files: Vec<(String, String)> = (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).expect("entry");
            let mut text = String::new();
            entry.read_to_string(&mut text).expect("read");
            (entry.name().to_string(), text)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn export_then_import_into_an_empty_server_gives_the_same_api() {
    let first = start();
    let definition = write(
        &first,
        "reviews.yaml",
        "openapi: 3.0.3\ninfo:\n  title: Reviews\n  version: 1.0.0\npaths:\n  /reviews:\n    get:\n      summary: List reviews\n      responses:\n        '200':\n          description: ok\n",
    );
    let created = api(&first, &["import", "--file", &definition, "--context", "/review/v1.0"]);
    assert!(created.starts_with("created Reviews 1.0.0 at /review/v1.0"), "{created}");
    let exported = first.data.join("reviews.zip");
    api(&first, &["export", "-n", "Reviews", "-v", "1.0.0", "-o", exported.to_str().expect("path")]);

    let second = start();
    let imported = api(&second, &["import", "--file", exported.to_str().expect("path")]);
    assert!(imported.starts_with("created Reviews 1.0.0 at /review/v1.0"), "{imported}");
    let listed = api(&second, &["list"]);
    assert!(listed.contains("Reviews") && listed.contains("/review/v1.0") && listed.contains("CREATED"), "{listed}");
    let again = second.data.join("again.zip");
    api(&second, &["export", "-n", "Reviews", "-v", "1.0.0", "-o", again.to_str().expect("path")]);
    assert_eq!(unzip(&exported), unzip(&again), "the round trip changes nothing");

    let reimported = api(&second, &["import", "--file", exported.to_str().expect("path")]);
    assert!(reimported.starts_with("updated"), "{reimported}");
    // Publishing needs someone other than the owner: the importing token's user owns it here.
    let prototyped = api(&second, &["change-status", "-n", "Reviews", "-v", "1.0.0", "-a", "prototype"]);
    assert!(prototyped.contains("is now PROTOTYPED"), "{prototyped}");
}

#[test]
fn convert_rewrites_a_swagger2_working_copy_and_delete_removes_it() {
    let server = start();
    let definition = write(
        &server,
        "legacy.json",
        r#"{"swagger": "2.0", "info": {"title": "Legacy", "version": "2.1.0"}, "basePath": "/legacy",
            "paths": {"/items": {"post": {"parameters": [{"name": "item", "in": "body", "schema": {"type": "object"}}],
            "responses": {"201": {"description": "Added"}}}}}}"#,
    );
    api(&server, &["import", "--file", &definition]);
    let converted = api(&server, &["convert", "-n", "Legacy", "-v", "2.1.0"]);
    assert!(converted.starts_with("Legacy 2.1.0 is OpenAPI 3.0 now"), "{converted}");
    let exported = server.data.join("legacy.zip");
    api(&server, &["export", "-n", "Legacy", "-v", "2.1.0", "-o", exported.to_str().expect("path")]);
    let files = unzip(&exported);
    let (_, text) = files.iter().find(|(name, _)| name.contains("definition")).expect("the definition is exported");
    let document: serde_json::Value = serde_json::from_str(text).expect("the definition stays JSON");
    assert_eq!(document["openapi"], "3.0.3");
    assert_eq!(document["servers"][0]["url"], "/legacy");
    assert!(document["paths"]["/items"]["post"]["requestBody"]["content"]["application/json"].is_object(), "{text}");

    // Once is enough: a second conversion says why it does nothing.
    let again = api_fails(&server, &["convert", "-n", "Legacy", "-v", "2.1.0"]);
    assert!(again.contains("OpenAPI 3 already"), "{again}");

    // Never deployed, it can be deleted — once confirmed.
    let unconfirmed = api_fails(&server, &["delete", "-n", "Legacy", "-v", "2.1.0"]);
    assert!(unconfirmed.contains("--confirm"), "{unconfirmed}");
    let deleted = api(&server, &["delete", "-n", "Legacy", "-v", "2.1.0", "--confirm"]);
    assert_eq!(deleted.trim(), "deleted Legacy 2.1.0");
    let gone = api_fails(&server, &["export", "-n", "Legacy", "-v", "2.1.0"]);
    assert!(gone.contains("no API named `Legacy` with version `2.1.0`"), "{gone}");
}

#[test]
fn review_lists_the_design_findings_and_strict_fails_on_a_warning() {
    let server = start();
    let definition = write(
        &server,
        "notes.yaml",
        "openapi: 3.0.3\ninfo: {title: Notes, version: 1.0.0}\nservers: [{url: 'http://127.0.0.1:9'}]\npaths:\n  \
         /notes:\n    get:\n      summary: List notes\n      responses: {'200': {description: ok}}\n    \
         post:\n      responses: {'400': {description: refused}}\n",
    );
    api(&server, &["import", "--file", &definition]);
    let review = api(&server, &["review", "-n", "Notes", "-v", "1.0.0"]);
    let lines: Vec<&str> = review.lines().collect();
    assert!(
        lines.iter().any(|l| l.starts_with("warning") && l.contains("success-response") && l.contains("POST /notes")),
        "{review}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("advice") && l.contains("summary") && l.contains("POST /notes")),
        "{review}"
    );
    assert!(!review.contains("GET /notes"), "the well-described read has no finding: {review}");

    let strict = api_fails(&server, &["review", "-n", "Notes", "-v", "1.0.0", "--strict"]);
    assert!(strict.contains("(--strict)"), "a warning fails --strict: {strict}");
}

#[test]
fn scopes_lists_a_working_copys_scopes_and_binds_one_to_tiers() {
    let server = start();
    let definition = write(
        &server,
        "ledger.yaml",
        "openapi: 3.0.3\ninfo: {title: Ledger, version: 1.0.0}\nservers: [{url: 'http://127.0.0.1:9'}]\n\
         components:\n  securitySchemes:\n    auth:\n      type: oauth2\n      flows:\n        clientCredentials:\n          \
         tokenUrl: /oauth2/token\n          scopes: {'ledger:read': See the entries, 'ledger:write': Add entries}\n\
         paths:\n  /entries:\n    get:\n      security: [{auth: ['ledger:read']}]\n      responses: {'200': {description: ok}}\n    \
         post:\n      security: [{auth: ['ledger:write']}]\n      responses: {'201': {description: made}}\n",
    );
    api(&server, &["import", "--file", &definition]);
    let scopes = ["scopes", "-n", "Ledger", "-v", "1.0.0"];
    let listed = api(&server, &scopes);
    let row = |out: &str, scope: &str| out.lines().find(|l| l.starts_with(scope)).unwrap_or_default().to_string();
    let write_row = row(&listed, "ledger:write");
    assert!(write_row.contains("every tier") && write_row.contains("POST /entries"), "{listed}");
    assert!(write_row.ends_with("Add entries"), "{listed}");

    let bound =
        api(&server, &[&scopes[..], &["--bind", "ledger:write", "--tier", "Gold", "--tier", "Unlimited"]].concat());
    assert!(row(&bound, "ledger:write").contains("Gold, Unlimited"), "{bound}");
    assert!(row(&bound, "ledger:read").contains("every tier"), "the others as they were: {bound}");
    assert!(row(&api(&server, &scopes), "ledger:write").contains("Gold, Unlimited"), "saved: {listed}");

    let unoffered = api_fails(&server, &[&scopes[..], &["--bind", "ledger:write", "--tier", "Platinum"]].concat());
    assert!(unoffered.contains("bound to tier `Platinum`, which this API does not offer"), "{unoffered}");
    let unknown = api_fails(&server, &[&scopes[..], &["--bind", "ledger:admin", "--tier", "Gold"]].concat());
    assert!(unknown.contains("Ledger 1.0.0 defines no scope `ledger:admin`"), "{unknown}");
    let every = api(&server, &[&scopes[..], &["--bind", "ledger:write"]].concat());
    assert!(row(&every, "ledger:write").contains("every tier"), "no tier named: every tier again: {every}");
}

/// A release by the CLI alone: a publisher creates a gateway group; the API's creator assigns
/// the API to it, cuts a revision and submits it; the publisher approves and waits until the
/// group's local gateway (run by `gatehouse serve`) serves it — and it does: a consumer gets a
/// token with `keys get` and calls the API through the gateway, and the calls show in the
/// analytics overview.
#[test]
fn a_pipeline_releases_an_api_and_waits_until_its_gateway_serves_it() {
    // Releases are pushed to a Git host's repository, as Argo CD would sync from.
    let gitops_remote = std::env::temp_dir().join(format!("gatehouse-remote-{}.git", uuid::Uuid::new_v4()));
    let init = Command::new("git").args(["init", "--bare", "--quiet"]).arg(&gitops_remote).output().expect("git");
    assert!(init.status.success());
    let server = start_with(&[("GATEHOUSE_GITOPS_REMOTE", &gitops_remote.display().to_string())]);
    let publisher = server.token.clone();
    let creator = creator_token(&server);
    let port = TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port().to_string();
    let group = ["group", "create", "--name", "food-apis", "--host", "food.example.com", "--port", &port];
    let created = remote(&server, &publisher, &group);
    assert!(
        created.contains(&format!("food-apis (shared, functional); its local gateway serves on port {port}")),
        "{created}"
    );

    let definition = write(
        &server,
        "reviews.yaml",
        &format!(
            "openapi: 3.0.3\ninfo: {{title: Reviews, version: 1.0.0}}\nservers: [{{url: 'http://127.0.0.1:{}'}}]\n\
             paths:\n  /reviews:\n    get:\n      summary: List reviews\n      responses: {{'200': {{description: ok}}}}\n",
            backend()
        ),
    );
    let path = &definition;
    remote(&server, &creator, &["api", "import", "--file", path, "--context", "/review/v1.0"]);
    let assigned =
        remote(&server, &creator, &["api", "set-group", "-n", "Reviews", "-v", "1.0.0", "--group", "food-apis"]);
    assert!(assigned.contains("served by the gateway group food-apis"), "{assigned}");
    let revision = remote(&server, &creator, &["api", "revision", "-n", "Reviews", "-v", "1.0.0", "--note", "first"]);
    assert_eq!(revision.trim(), "1", "only the number, for a script to capture");
    let submit = ["approval", "submit", "-n", "Reviews", "-v", "1.0.0", "--revision", "1"];
    let request = remote(&server, &creator, &submit).trim().to_string();
    let pending = remote(&server, &publisher, &["approval", "list"]);
    let line = pending.lines().find(|l| l.starts_with(&request)).unwrap_or_default();
    assert!(
        line.contains("Reviews") && line.contains("rev 1 → food-apis") && line.ends_with("by dev@example.com"),
        "{pending}"
    );

    let approved = remote(&server, &publisher, &["approval", "approve", "--id", &request, "--wait", "30"]);
    assert!(approved.contains("food-apis-v1.0.0"), "{approved}");
    assert!(approved.trim_end().ends_with("live on 1 of 1 gateways"), "{approved}");
    let status = remote(&server, &publisher, &["deploy", "status", "--group", "food-apis"]);
    assert!(status.contains("Reviews") && status.contains("live") && status.contains("live on 1/1"), "{status}");
    // The approval woke the push: the release reaches the remote without anyone asking.
    let waiting = Instant::now();
    let gitops = loop {
        let gitops = remote(&server, &creator, &["deploy", "gitops"]);
        if gitops.contains("waiting     none") {
            break gitops;
        }
        assert!(waiting.elapsed() < Duration::from_secs(20), "the release was not pushed: {gitops}");
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(
        gitops.contains(&format!("remote      {}", gitops_remote.display())) && gitops.contains("last push"),
        "{gitops}"
    );
    let tags = Command::new("git").arg("--git-dir").arg(&gitops_remote).args(["tag", "--list"]).output().expect("git");
    assert_eq!(String::from_utf8_lossy(&tags.stdout).trim(), "food-apis-v1.0.0");
    assert!(remote_fails(&server, &creator, &["deploy", "push"]).contains("403"), "publishers push, creators do not");
    let pushed = remote(&server, &publisher, &["deploy", "push"]);
    assert!(pushed.contains("waiting     none: the remote has every release"), "{pushed}");
    let status = remote(&server, &publisher, &["deploy", "status", "--group", "food-apis"]);
    assert!(status.contains("live on 1/1  on the remote"), "{status}");
    let _ = std::fs::remove_dir_all(&gitops_remote);
    // After the backend's data changed, a pipeline has the gateways drop what they kept of one
    // path; a template is refused, saying why.
    let purge = ["api", "purge-kept-answers", "-n", "Reviews", "-v", "1.0.0", "--path"];
    // What the server recorded: the path as given (a + is not a space), tidied.
    let purged = remote(&server, &creator, &[&purge[..], &["/reviews/a+b/"]].concat());
    assert!(purged.contains("drop the answers they keep for Reviews 1.0.0 under /reviews/a+b within"), "{purged}");
    let refused = remote_fails(&server, &creator, &[&purge[..], &["/reviews/{id}"]].concat());
    assert!(refused.contains("not a template like `/reviews/{id}`"), "{refused}");
    // A second request is turned down: it leaves the pending queue with the publisher's reason.
    remote(&server, &creator, &["api", "revision", "-n", "Reviews", "-v", "1.0.0"]);
    let resubmit = ["approval", "submit", "-n", "Reviews", "-v", "1.0.0", "--revision", "2"];
    let second = remote(&server, &creator, &resubmit).trim().to_string();
    remote(&server, &publisher, &["approval", "reject", "--id", &second, "--comment", "not this week"]);
    assert!(!remote(&server, &publisher, &["approval", "list"]).contains(&second));
    let rejected = remote(&server, &publisher, &["approval", "list", "--status", "rejected"]);
    assert!(rejected.contains(&second) && rejected.contains("rev 2 → food-apis"), "{rejected}");
    // Served: the gateway knows the route and asks for a credential (a 404 if it did not).
    let gateway = port.parse::<u16>().expect("port");
    let refused = get(gateway, "/review/v1.0/reviews", "");
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");

    // A consumer's pipeline gets a token (an application, a subscription and a secret made on
    // the way) and calls the API through the gateway.
    run(
        &server.data,
        &["user", "create", "--email", "shop@example.com", "--role", "consumer", "--password", "correct horse battery"],
    );
    let consumer =
        run(&server.data, &["token", "create", "--email", "shop@example.com", "--name", "ci"]).trim().to_string();
    let access = remote(&server, &consumer, &["keys", "get", "-n", "Reviews", "-v", "1.0.0"]).trim().to_string();
    let answer = get(gateway, "/review/v1.0/reviews", &format!("Authorization: Bearer {access}\r\n"));
    assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with(REVIEWS), "{answer}");
    // Again: the same application and subscription, a new secret; the new token works too.
    let again = remote(&server, &consumer, &["keys", "get", "-n", "Reviews", "-v", "1.0.0"]).trim().to_string();
    assert_ne!(again, access);
    let answer = get(gateway, "/review/v1.0/reviews", &format!("Authorization: Bearer {again}\r\n"));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // The gateway's events reach analytics: three calls, one refused for want of a credential.
    let overview = ["analytics", "overview", "--range", "1h"];
    let waiting = Instant::now();
    let seen = loop {
        let seen = remote(&server, &publisher, &overview);
        if seen.starts_with("3 requests") {
            break seen;
        }
        assert!(waiting.elapsed() < Duration::from_secs(20), "the events did not arrive: {seen}");
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(seen.contains("1 auth failures"), "{seen}");
    let busiest = |title: &str, name: &str| seen.lines().any(|l| l.starts_with(title) && l.contains(name));
    assert!(busiest("APIs", "Reviews") && busiest("applications", "gatehouse-cli"), "{seen}");
    let gate = remote_fails(&server, &publisher, &[&overview[..], &["--max-error-rate", "10"]].concat());
    assert!(gate.contains("33.3 % of requests did not succeed"), "{gate}");
    // Alerts on that traffic: checked when defined, the failing one fires at once.
    fn alert<'a>(name: &'a str, metric: &'a str, above: &'a str) -> Vec<&'a str> {
        let api = ["--api", "Reviews", "--api-version", "1.0.0", "--window", "60"];
        [&["alert", "create", "--name", name, "--metric", metric, "--above", above][..], &api[..]].concat()
    }
    let failing = remote(&server, &publisher, &alert("Reviews failures", "error_rate", "20"));
    assert!(failing.trim_end().ends_with("Reviews failures: FIRING (33.3 %)"), "{failing}");
    let fine = remote(&server, &publisher, &alert("Reviews 5xx", "server_error_rate", "5"));
    assert!(fine.trim_end().ends_with("Reviews 5xx: ok (0.0 %)"), "{fine}");
    let listed = remote(&server, &publisher, &["alert", "list"]);
    let rows: Vec<&str> = listed.lines().skip(1).collect();
    assert!(
        rows.len() == 2 && rows[0].contains("Reviews failures") && rows[0].ends_with("FIRING (33.3 %)"),
        "{listed}"
    );
    assert!(rows[1].contains("5xx rate above 5.0 % over 1 hour, Reviews 1.0.0"), "{listed}");
    let history = remote(&server, &publisher, &["alert", "history"]);
    assert!(history.lines().count() == 1 && history.contains("fired    Reviews failures"), "{history}");
    assert!(history.contains("33.3 % (threshold 20.0 %)"), "values in their unit: {history}");
    let too_high = remote_fails(&server, &publisher, &alert("Impossible", "error_rate", "150"));
    assert!(too_high.contains("a percentage cannot be above 100"), "{too_high}");
    let unknown = remote_fails(&server, &publisher, &alert("Typo", "errors", "1"));
    assert!(unknown.contains("unknown metric `errors`"), "{unknown}");
    assert!(
        remote(&server, &creator, &["alert", "list"]).contains("Reviews failures"),
        "the API's owner sees its alerts"
    );
    assert!(remote_fails(&server, &consumer, &["alert", "list"]).contains("403"), "a consumer has none");
    let id = rows[1].split_whitespace().next().unwrap_or_default();
    remote(&server, &publisher, &["alert", "delete", "--id", id]);
    assert_eq!(remote(&server, &publisher, &["alert", "list"]).lines().count(), 2, "one alert left");
    // A scope the API does not define is refused by the token endpoint, and the CLI says why.
    let scoped = ["keys", "get", "-n", "Reviews", "-v", "1.0.0", "--scope", "reviews:write"];
    let unknown = remote_fails(&server, &consumer, &scoped);
    assert!(unknown.contains("`reviews:write` is not a scope of an API the application subscribes to"), "{unknown}");
    // The publisher sees who subscribes, suspends the pipeline's application (no token for it
    // then), and resumes it.
    let listed = remote(&server, &publisher, &["subscription", "list", "-n", "Reviews", "-v", "1.0.0"]);
    let row = listed.lines().find(|l| l.contains("gatehouse-cli")).unwrap_or_default();
    assert!(row.contains("shop@example.com") && row.ends_with("active"), "{listed}");
    let id = row.split_whitespace().next().unwrap_or_default();
    let suspended = remote(&server, &publisher, &["subscription", "suspend", "--id", id, "--reason", "a runaway job"]);
    assert!(suspended.contains("suspended gatehouse-cli's subscription to Reviews 1.0.0"), "{suspended}");
    let listed = remote(&server, &publisher, &["subscription", "list", "-n", "Reviews", "-v", "1.0.0"]);
    assert!(listed.contains("suspended by a publisher (a runaway job)"), "{listed}");
    let stopped = remote_fails(&server, &consumer, &["keys", "get", "-n", "Reviews", "-v", "1.0.0"]);
    assert!(stopped.contains("is suspended by a publisher: no token can call it yet"), "{stopped}");
    let refused = remote_fails(&server, &consumer, &["subscription", "resume", "--id", id]);
    assert!(refused.contains("403"), "a consumer does not resume their own: {refused}");
    remote(&server, &publisher, &["subscription", "resume", "--id", id]);
    remote(&server, &consumer, &["keys", "get", "-n", "Reviews", "-v", "1.0.0"]);

    let groups = remote(&server, &publisher, &["group", "list"]);
    let row = groups.lines().find(|l| l.starts_with("food-apis")).unwrap_or_default();
    assert!(row.contains("food-apis-v1.0.0") && row.ends_with("Reviews 1.0.0"), "{groups}");
    // Scaling the group out is released at once — a patch release the gateways load — a
    // refused value names its field, and a save that changes nothing releases nothing.
    let scale = ["group", "update", "--name", "food-apis", "--replicas-max", "8", "--wait", "30"];
    let scaled = remote(&server, &publisher, &scale);
    assert!(scaled.contains("group settings") && scaled.contains("food-apis-v1.0.1"), "{scaled}");
    assert!(scaled.trim_end().ends_with("live on 1 of 1 gateways"), "{scaled}");
    let refused = remote_fails(&server, &publisher, &["group", "update", "--name", "food-apis", "--cpu-target", "0"]);
    assert!(refused.contains("cpu_target"), "{refused}");
    let unchanged = ["group", "update", "--name", "food-apis", "--port", &port];
    assert!(remote(&server, &publisher, &unchanged).contains("nothing to release"));
    // Region labels replace the group's; `--region ''` clears them.
    remote(
        &server,
        &publisher,
        &["group", "update", "--name", "food-apis", "--region", "eu-west", "--region", "eu-north"],
    );
    let row_of = |listed: &str| listed.lines().find(|l| l.starts_with("food-apis")).unwrap_or_default().to_string();
    let labelled = row_of(&remote(&server, &publisher, &["group", "list"]));
    assert!(labelled.contains("(eu-west, eu-north)"), "{labelled}");
    remote(&server, &publisher, &["group", "update", "--name", "food-apis", "--region", ""]);
    let cleared = row_of(&remote(&server, &publisher, &["group", "list"]));
    assert!(!cleared.contains("eu-"), "{cleared}");
    // The group's gateways in a cluster get a credential through the Secret their manifests read.
    let credential = remote(&server, &publisher, &["group", "credential", "--name", "food-apis"]);
    let token = credential.lines().find_map(|l| l.strip_prefix("gateway credential (shown only now): "));
    let token = token.unwrap_or_else(|| panic!("no credential: {credential}"));
    let secret = format!(
        "for the group's cluster: kubectl create secret generic gw-food-apis-management \
                          --from-literal=server=\"$GATEHOUSE_URL\" --from-literal=token={token}"
    );
    assert!(token.starts_with("ggw_") && credential.contains(&secret), "{credential}");

    // An admin reads back who decided the release: the audit log, narrowed, as JSON lines.
    run(
        &server.data,
        &["user", "create", "--email", "root@example.com", "--role", "admin", "--password", "correct horse battery"],
    );
    let admin =
        run(&server.data, &["token", "create", "--email", "root@example.com", "--name", "audit"]).trim().to_string();
    let decisions = remote(&server, &admin, &["audit", "--action", "approval.", "--since", "1h", "--json"]);
    let decisions: Vec<gatehouse_contract::AuditEntry> =
        decisions.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    let actions: Vec<(&str, &str)> = decisions.iter().map(|e| (e.action.as_str(), e.actor.as_str())).collect();
    assert_eq!(
        actions,
        [
            ("approval.rejected", "ci@example.com"),
            ("approval.requested", "dev@example.com"),
            ("approval.approved", "ci@example.com"),
            ("approval.requested", "dev@example.com")
        ]
    );
    let creator_steps = remote(&server, &admin, &["audit", "--actor", "DEV@", "--action", "api.", "--limit", "2"]);
    assert_eq!(creator_steps.lines().count(), 2, "{creator_steps}");
    assert!(creator_steps.lines().all(|l| l.contains("dev@example.com") && l.contains(" api.")), "{creator_steps}");
    let refused = remote_fails(&server, &publisher, &["audit"]);
    assert!(refused.contains("403"), "{refused}");
    let wrong = remote_fails(&server, &admin, &["audit", "--since", "a week"]);
    assert!(wrong.contains("--since a week: expected a number with m, h or d"), "{wrong}");
}

/// A pipeline's gates before a release: `api validate` checks a file without importing it, and
/// `api diff --fail-on-breaking` fails when the working copy drops or changes what the last
/// revision offered.
/// A private-jet group runs a gateway per API on this machine, as its manifests do in a
/// cluster: each API answers on a port of its own and only there, and the group's port serves
/// nothing.
#[test]
fn a_private_jet_group_runs_a_gateway_per_api() {
    let server = start();
    let publisher = server.token.clone();
    let creator = creator_token(&server);
    let group_port = TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let port = group_port.to_string();
    let group =
        ["group", "create", "--name", "jets", "--host", "jets.example.com", "--mode", "private-jet", "--port", &port];
    remote(&server, &publisher, &group);
    for (title, context) in [("Menu", "/menu/v1"), ("Orders", "/orders/v1")] {
        let definition = format!(
            "openapi: 3.0.3\ninfo:\n  title: {title}\n  version: 1.0.0\npaths:\n  /items:\n    get:\n      summary: List items\n      \
             responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              \
             example:\n                from: {title}\n"
        );
        let file = write(&server, &format!("{title}.yaml"), &definition);
        let api = ["-n", title, "-v", "1.0.0"];
        remote(&server, &creator, &["api", "import", "--file", &file, "--context", context]);
        remote(&server, &creator, &[&["api", "set-group"][..], &api, &["--group", "jets"]].concat());
        remote(&server, &creator, &[&["api", "change-status"][..], &api, &["-a", "prototype"]].concat());
        remote(&server, &creator, &[&["api", "revision"][..], &api].concat());
        let request = remote(&server, &creator, &[&["approval", "submit"][..], &api, &["--revision", "1"]].concat());
        let approve = ["approval", "approve", "--id", request.trim(), "--wait", "30"];
        let approved = remote(&server, &publisher, &approve);
        // Live once the API's own gateway serves it (the other API's gateway is not its).
        assert!(approved.trim_end().ends_with("live on 1 of 1 gateways"), "{approved}");
    }

    let server_port: u16 = server.url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("server port");
    let answer = get(server_port, "/api/v1/routing", &format!("Authorization: Bearer {publisher}\r\n"));
    let routes: serde_json::Value =
        serde_json::from_str(answer.split_once("\r\n\r\n").map(|(_, body)| body).unwrap_or_default()).expect("json");
    let port_of = |context: &str| -> u16 {
        let route = routes.as_array().into_iter().flatten().find(|r| r["context"] == context).expect("routed");
        let url = route["local_url"].as_str().unwrap_or_default();
        url.trim_start_matches("http://127.0.0.1:").trim_end_matches(context).parse().expect("a local port")
    };
    let (menu, orders) = (port_of("/menu/v1"), port_of("/orders/v1"));
    assert!(menu != orders && menu != group_port && orders != group_port, "{routes}");
    let served = get(menu, "/menu/v1/items", "");
    assert!(served.starts_with("HTTP/1.1 200") && served.contains(r#""from":"Menu""#), "{served}");
    let served = get(orders, "/orders/v1/items", "");
    assert!(served.starts_with("HTTP/1.1 200") && served.contains(r#""from":"Orders""#), "{served}");
    let elsewhere = get(menu, "/orders/v1/items", "");
    assert!(elsewhere.starts_with("HTTP/1.1 404"), "the menu's gateway serves the menu alone: {elsewhere}");

    // A gateway that dies is started again, on its port, serving its API.
    let died = gateway_process(menu).expect("the menu's gateway process");
    assert!(Command::new("kill").args(["-9", &died.to_string()]).status().expect("kill").success());
    let restarting = Instant::now();
    while gateway_process(menu).is_none_or(|pid| pid == died)
        || !get_if_listening(menu, "/menu/v1/items").contains(r#""from":"Menu""#)
    {
        assert!(restarting.elapsed() < Duration::from_secs(15), "the supervisor restarts the menu's gateway");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Asked of the processes, not the port: another test's program may take a port this one
    // freed (it happened once, in CI).
    assert_eq!(gateway_process(group_port), None, "no gateway for the whole group");
    let listed = remote(&server, &publisher, &["group", "list"]);
    let row = listed.lines().find(|l| l.starts_with("jets")).unwrap_or_default();
    assert!(row.ends_with(&format!("Menu 1.0.0 (:{menu}), Orders 1.0.0 (:{orders})")), "{listed}");

    // Out of private-jet mode: the group's one gateway serves both and the per-API ones stop —
    // and are forgotten, so the next release waits on the group's gateway alone.
    remote(&server, &publisher, &["group", "update", "--name", "jets", "--mode", "shared", "--wait", "30"]);
    let moving = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", menu)).is_ok()
        || !get_if_listening(group_port, "/orders/v1/items").contains(r#""from":"Orders""#)
    {
        assert!(moving.elapsed() < Duration::from_secs(15), "the group's gateway takes over");
        std::thread::sleep(Duration::from_millis(100));
    }
    let scaled =
        remote(&server, &publisher, &["group", "update", "--name", "jets", "--replicas-max", "4", "--wait", "30"]);
    assert!(scaled.trim_end().ends_with("live on 1 of 1 gateways"), "{scaled}");
}

#[test]
fn a_group_whose_port_another_program_holds_says_so_until_it_is_free() {
    let server = start();
    let publisher = server.token.clone();
    let holder = TcpListener::bind("127.0.0.1:0").expect("a port another program holds");
    let port = holder.local_addr().expect("addr").port();
    let group = ["group", "create", "--name", "busy", "--host", "busy.example.com", "--port", &port.to_string()];
    remote(&server, &publisher, &group);
    let problem = format!("not serving on this machine: port {port} is in use by another program");
    let waiting = Instant::now();
    while !remote(&server, &publisher, &["group", "list"]).contains(&problem) {
        assert!(waiting.elapsed() < Duration::from_secs(15), "the group list says why its gateway does not run");
        std::thread::sleep(Duration::from_millis(200));
    }
    // The program lets go of the port: the gateway starts there, and the problem is gone.
    drop(holder);
    let waiting = Instant::now();
    while remote(&server, &publisher, &["group", "list"]).contains("not serving")
        || get_if_listening(port, "/nothing/here").is_empty()
    {
        assert!(waiting.elapsed() < Duration::from_secs(15), "the gateway starts once the port is free");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_server_whose_gateway_is_not_built_says_so_on_each_group() {
    let missing = std::env::temp_dir().join(format!("gatehouse-gateway-{}", uuid::Uuid::new_v4()));
    let server = start_with(&[("GATEHOUSE_GATEWAY_BIN", missing.to_str().expect("a UTF-8 path"))]);
    let publisher = server.token.clone();
    let port = TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let group = ["group", "create", "--name", "unbuilt", "--host", "unbuilt.example.com", "--port", &port.to_string()];
    remote(&server, &publisher, &group);
    let problem = format!("not serving on this machine: {} is not built", missing.display());
    let waiting = Instant::now();
    while !remote(&server, &publisher, &["group", "list"]).contains(&problem) {
        assert!(waiting.elapsed() < Duration::from_secs(15), "the group list says the gateway is not built");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn an_admin_sets_up_a_webhook_tests_it_and_sends_a_delivery_again() {
    let server = start();
    run(
        &server.data,
        &["user", "create", "--email", "ops@example.com", "--role", "admin", "--password", "correct horse battery"],
    );
    let admin =
        run(&server.data, &["token", "create", "--email", "ops@example.com", "--name", "setup"]).trim().to_string();
    let url = format!("http://127.0.0.1:{}/hooks", backend());
    let created = remote(
        &server,
        &admin,
        &["webhook", "create", "--url", &url, "--event", "deployment.failed", "--event", "api.lifecycle"],
    );
    let id = created.lines().next().and_then(|l| l.split_whitespace().nth(2)).unwrap_or_default().to_string();
    assert!(created.contains("signing secret (shown only now): whsec_"), "{created}");
    let listed = remote(&server, &admin, &["webhook", "list"]);
    assert!(
        listed.lines().any(|l| l.starts_with(&id) && l.ends_with("deployment.failed, api.lifecycle of every group")),
        "{listed}"
    );
    let unknown = remote_fails(&server, &admin, &["webhook", "create", "--url", &url, "--event", "deploy"]);
    assert!(unknown.contains("events") && unknown.contains("unknown event `deploy`"), "{unknown}");
    let no_group = remote_fails(&server, &admin, &["webhook", "create", "--url", &url, "--group", "nowhere"]);
    assert!(no_group.contains("groups") && no_group.contains("no gateway group `nowhere`"), "{no_group}");
    assert!(
        remote_fails(&server, &server.token, &["webhook", "list"]).contains("403"),
        "publishers do not manage webhooks"
    );

    // A ping reaches the receiver within a few seconds; sent again, it reaches it twice.
    let ping = remote(&server, &admin, &["webhook", "ping", "--id", &id]);
    let first = ping.trim().rsplit(' ').next().unwrap_or_default().to_string();
    let delivered = |delivery: &str| {
        let waiting = Instant::now();
        loop {
            let deliveries = remote(&server, &admin, &["webhook", "deliveries"]);
            let row = deliveries.lines().find(|l| l.starts_with(delivery)).unwrap_or_default().to_string();
            if row.contains(" delivered ") {
                break row;
            }
            assert!(waiting.elapsed() < Duration::from_secs(20), "not delivered: {deliveries}");
            std::thread::sleep(Duration::from_millis(250));
        }
    };
    let row = delivered(&first);
    assert!(row.contains(" ping ") && row.contains(" 200"), "{row}");
    let again = remote(&server, &admin, &["webhook", "redeliver", "--id", &first]);
    let second = again.trim().rsplit(' ').next().unwrap_or_default().to_string();
    assert_ne!(second, first);
    delivered(&second);
    assert!(remote_fails(&server, &admin, &["webhook", "redeliver", "--id", "nope"]).contains("404"));
    let narrowed = remote(&server, &admin, &["webhook", "deliveries", "--id", &id, "--status", "delivered"]);
    assert_eq!(narrowed.lines().skip(1).count(), 2, "{narrowed}");
    let refused = remote_fails(&server, &admin, &["webhook", "deliveries", "--status", "lost"]);
    assert!(refused.contains("`lost` is not pending, delivered or failed"), "{refused}");

    remote(&server, &admin, &["webhook", "delete", "--id", &id]);
    assert_eq!(remote(&server, &admin, &["webhook", "list"]).lines().count(), 1, "only the heading");
}

#[test]
fn a_consumer_points_an_applications_webhook_at_their_receiver_and_tests_it() {
    // The receiver runs on this machine, which consumers' webhooks reach only when allowed.
    let server = start_with(&[("GATEHOUSE_CALLBACKS_TO_PRIVATE_NETWORKS", "true")]);
    let consumer_token = |email: &str| {
        run(
            &server.data,
            &["user", "create", "--email", email, "--role", "consumer", "--password", "correct horse battery"],
        );
        run(&server.data, &["token", "create", "--email", email, "--name", "deploy"]).trim().to_string()
    };
    let (consumer, other) = (consumer_token("shop@example.com"), consumer_token("other@example.com"));
    let created = remote(&server, &consumer, &["application", "create", "--name", "Shop"]);
    assert!(created.starts_with("created application Shop ("), "{created}");
    // Its client secret, from a deployment script: rotated with an hour's overlap.
    let secret = |args: &[&str]| {
        remote(&server, &consumer, &[&["application", "client-secret", "--app", "Shop"], args].concat())
    };
    let first = secret(&[]);
    assert!(first.contains("Shop production client id: ghc_") && first.contains("(shown only now): ghs_"), "{first}");
    assert!(!first.contains("previous secret"), "{first}");
    let second = secret(&["--keep-previous", "3600"]);
    assert!(second.contains("the previous secret works until 20"), "{second}");
    let too_long = remote_fails(
        &server,
        &consumer,
        &["application", "client-secret", "--app", "Shop", "--keep-previous", "999999"],
    );
    assert!(too_long.contains("keep_previous_seconds"), "{too_long}");
    fn hook<'a>(args: &[&'a str]) -> Vec<&'a str> {
        [&["application", "webhook", "--app", "Shop"], args].concat()
    }

    let refused = remote_fails(&server, &consumer, &hook(&["set", "--url", "ftp://127.0.0.1/hooks"]));
    assert!(refused.contains("url") && refused.contains("must be an http(s) URL"), "{refused}");
    let url = format!("http://127.0.0.1:{}/hooks", backend());
    let set = remote(&server, &consumer, &hook(&["set", "--url", &url]));
    assert!(set.contains(&format!("Shop's events go to {url}")), "{set}");
    assert!(set.contains("signing secret (shown only now): whsec_"), "{set}");
    let listed = remote(&server, &consumer, &["application", "list"]);
    assert!(listed.lines().any(|l| l.contains(" Shop ") && l.ends_with(&url)), "{listed}");
    let missing = remote_fails(&server, &other, &hook(&["show"]));
    assert!(missing.contains("you have no application Shop"), "another consumer's application: {missing}");

    // The ping reaches the receiver within a few seconds, and `show` says so.
    let ping = remote(&server, &consumer, &hook(&["ping"]));
    let delivery = ping.trim().rsplit(' ').next().unwrap_or_default().to_string();
    let waiting = Instant::now();
    let row = loop {
        let shown = remote(&server, &consumer, &hook(&["show"]));
        let row = shown.lines().find(|l| l.starts_with(&delivery)).unwrap_or_default().to_string();
        if row.contains(" delivered ") {
            break row;
        }
        assert!(waiting.elapsed() < Duration::from_secs(20), "not delivered: {shown}");
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(row.contains(" ping ") && row.ends_with(" 200"), "{row}");

    let removed = remote(&server, &consumer, &hook(&["remove"]));
    assert!(removed.contains("Shop has no webhook any more"), "{removed}");
    let gone = remote_fails(&server, &consumer, &hook(&["show"]));
    assert!(gone.contains("404") && gone.contains("has no webhook"), "{gone}");
}

#[test]
fn validate_checks_a_file_and_diff_fails_on_a_breaking_change() {
    let server = start();
    let broken = write(
        &server,
        "broken.yaml",
        "openapi: 3.0.3\ninfo: {title: Broken, version: 1.0.0}\npaths:\n  /a:\n    get:\n      responses:\n        \
         '200':\n          description: ok\n          content:\n            application/json:\n              \
         schema: {$ref: '#/components/schemas/Missing'}\n",
    );
    let refused = api_fails(&server, &["validate", "-f", &broken]);
    assert!(refused.contains("cannot be served as written: 1 error(s)"), "{refused}");

    let v1 = "openapi: 3.0.3\ninfo: {title: Reviews, version: 1.0.0}\npaths:\n  /reviews:\n    get:\n      \
              summary: List reviews\n      responses: {'200': {description: ok}}\n";
    let path = &write(&server, "reviews.yaml", v1);
    let checked = api(&server, &["validate", "-f", path]);
    assert!(checked.trim_end().ends_with("can be served (0 warning(s))"), "{checked}");
    api(&server, &["import", "-f", path]);
    api(&server, &["revision", "-n", "Reviews", "-v", "1.0.0"]);

    // Adding an operation is additive; dropping the one clients use is not.
    let latest = "  /reviews/latest:\n    get:\n      responses: {'200': {description: ok}}\n";
    write(&server, "reviews.yaml", &format!("{v1}{latest}"));
    api(&server, &["import", "-f", path]);
    let added = api(&server, &["diff", "-n", "Reviews", "-v", "1.0.0", "--fail-on-breaking"]);
    assert!(
        added.contains("+ GET /reviews/latest")
            && added.trim_end().ends_with("additive: nothing clients rely on changed"),
        "{added}"
    );

    write(&server, "reviews.yaml", &v1.replace("/reviews:", "/ratings:"));
    api(&server, &["import", "-f", path]);
    let dropped = api(&server, &["diff", "-n", "Reviews", "-v", "1.0.0", "--from", "1", "--to", "working"]);
    assert!(dropped.contains("- GET /reviews") && dropped.contains("+ GET /ratings"), "{dropped}");
    let gate = api_fails(&server, &["diff", "-n", "Reviews", "-v", "1.0.0", "--fail-on-breaking"]);
    assert!(gate.contains("removes or changes what clients rely on"), "{gate}");
}
