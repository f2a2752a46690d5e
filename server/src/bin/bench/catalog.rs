//! Publisher list and portal catalog: server time per request on the real router, SQLite and
//! PostgreSQL side by side.

use axum::body::Body;
use axum::http::{Request, header};
use gatehouse_contract::Role;
use gatehouse_domain::apis::{self, ImportRequest};
use gatehouse_domain::openapi::files::MemoryFiles;
use gatehouse_domain::store::Backend;
use gatehouse_domain::{Db, accounts, audit, testing, tokens};
use gatehouse_server::state::AppState;
use http_body_util::BodyExt;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const WORDS: [&str; 24] = [
    "orders",
    "payments",
    "inventory",
    "shipping",
    "customers",
    "reviews",
    "catalog",
    "pricing",
    "loyalty",
    "billing",
    "identity",
    "search",
    "weather",
    "maps",
    "tickets",
    "bookings",
    "claims",
    "policies",
    "accounts",
    "ledger",
    "devices",
    "telemetry",
    "media",
    "messages",
];
const REGIONS: [&str; 5] = ["eu", "us", "apac", "latam", "mea"];

/// A realistic definition: a domain noun, a region, 4–24 operations with summaries and tags.
pub fn definition(i: usize) -> String {
    let noun = WORDS[i % WORDS.len()];
    let other = WORDS[(i / WORDS.len() + 7) % WORDS.len()];
    let region = REGIONS[i % REGIONS.len()];
    let mut doc = format!(
        "openapi: 3.0.3\ninfo:\n  title: {noun} {region} service {i}\n  version: 1.{}.0\n  description: Manages {noun} and {other} for the {region} region.\ntags:\n  - name: {noun}\n  - name: {region}\npaths:\n",
        i % 7
    );
    for op in 0..(4 + i % 21) {
        let resource = if op % 2 == 0 { noun } else { other };
        doc.push_str(&format!(
            "  /{resource}/v{op}/{{id}}:\n    get:\n      summary: Read one {resource} record {op}\n      tags: [{noun}]\n      parameters:\n        - {{name: id, in: path, required: true, schema: {{type: string}}}}\n      responses:\n        '200': {{description: ok}}\n    delete:\n      summary: Delete {resource} {op}\n      parameters:\n        - {{name: id, in: path, required: true, schema: {{type: string}}}}\n      responses:\n        '204': {{description: gone}}\n"
        ));
    }
    doc
}

/// Import `count` APIs; for the portal, also give them the mix of states and visibilities a
/// real catalog has (5% still CREATED and unlisted, 5% PROTOTYPED, 10% for signed-in users only).
async fn seed(db: &Db, count: usize, catalog: bool) -> String {
    let user = accounts::create_user(db, audit::SYSTEM, "bench@example.com", "correct horse battery", Role::Publisher)
        .await
        .expect("user");
    let actor = accounts::actor_by_id(db, &user.id).await.expect("actor").expect("exists");
    let started = Instant::now();
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let files = MemoryFiles::single("d.yaml", definition(i).into_bytes());
        ids.push(
            apis::import(db, &actor, ImportRequest { files: &files, entry: "d.yaml", context: None })
                .await
                .expect("import")
                .id,
        );
    }
    if catalog {
        // Set-up only, so plain SQL rather than 10,000 audited lifecycle steps.
        for (i, id) in ids.iter().enumerate() {
            let state = match i % 20 {
                0 => "CREATED",
                1 => "PROTOTYPED",
                _ => "PUBLISHED",
            };
            let visibility = if i % 10 == 5 { "signed_in" } else { "public" };
            sqlx::query("UPDATE apis SET state = $1, visibility = $2 WHERE id = $3")
                .bind(state)
                .bind(visibility)
                .bind(id)
                .execute(&db.pool)
                .await
                .expect("state");
        }
    }
    eprintln!("  seeded {count} APIs in {:.1} s", started.elapsed().as_secs_f64());
    if db.backend == Backend::Postgres {
        // A PostgreSQL in service has statistics (autovacuum takes them within a minute of a
        // bulk load): time the plans it makes with them, not plans made blind just after seeding.
        // SQLite keeps none unless told to, so it is timed as it runs.
        sqlx::query("ANALYZE").execute(&db.pool).await.expect("analyze");
    }
    tokens::create_for_email(db, "bench@example.com", "bench").await.expect("token").token
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

/// `token`: `None` measures an anonymous visitor.
async fn measure(app: &axum::Router, token: Option<&str>, uri: &str, rounds: usize) -> (f64, f64, usize) {
    let mut times = Vec::with_capacity(rounds);
    let mut bytes = 0;
    for _ in 0..rounds {
        let mut request = Request::get(uri).header(header::HOST, "localhost");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request.body(Body::empty()).expect("request");
        let started = Instant::now();
        let response = app.clone().oneshot(request).await.expect("response");
        assert!(response.status().is_success(), "{uri}: {}", response.status());
        let body = response.into_body().collect().await.expect("body").to_bytes();
        times.push(started.elapsed());
        bytes = body.len();
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.95), bytes)
}

/// One measured request: its label, whether it is made signed in, and its URI.
type Query = (&'static str, bool, &'static str);

pub const PUBLISHER: [Query; 7] = [
    ("list, first page", true, "/api/v1/apis?limit=25"),
    ("list, page 200", true, "/api/v1/apis?limit=25&offset=5000"),
    ("search one word", true, "/api/v1/apis?q=inventory&limit=25"),
    ("search two words + state", true, "/api/v1/apis?q=telemetry%20apac&state=CREATED&limit=25"),
    ("search a path", true, "/api/v1/apis?q=%2Fledger%2Fv3&limit=25"),
    ("filter by tag", true, "/api/v1/apis?tag=latam&limit=25"),
    ("no match", true, "/api/v1/apis?q=zzzz-nothing&limit=25"),
];

pub const PORTAL: [Query; 8] = [
    ("catalog, anonymous", false, "/api/v1/portal/apis?limit=24"),
    ("catalog, signed in", true, "/api/v1/portal/apis?limit=24"),
    ("search one word", false, "/api/v1/portal/apis?q=payments&limit=24"),
    ("search an operation summary", false, "/api/v1/portal/apis?q=read%20one%20ledger&limit=24"),
    ("search a path", true, "/api/v1/portal/apis?q=%2Fmaps%2Fv5&limit=24"),
    ("filter by tag + word", false, "/api/v1/portal/apis?tag=mea&q=billing&limit=24"),
    ("page 100", false, "/api/v1/portal/apis?limit=24&offset=2400"),
    ("catalog page (HTML, SSR)", false, "/portal?q=weather"),
];

/// Seed each database, then time every query on the real router; print one table.
pub async fn run(title: &str, queries: &[Query], count: usize, catalog: bool) {
    let mut results: Vec<Vec<(f64, f64)>> = vec![Vec::new(); queries.len()];
    let mut backends = Vec::new();
    let sqlite = testing::sqlite().await;
    let postgres = testing::postgres().await;
    for (name, db) in [("SQLite", Some(&sqlite.db)), ("PostgreSQL", postgres.as_ref().map(|p| &p.db))] {
        let Some(db) = db else {
            eprintln!("PostgreSQL unreachable: its column is skipped");
            continue;
        };
        eprintln!("{name}:");
        let token = seed(db, count, catalog).await;
        let state = AppState::in_process(db, &std::env::temp_dir().join("gatehouse-bench"));
        let app = gatehouse_server::http::router(state, false);
        for (i, (_, signed_in, uri)) in queries.iter().enumerate() {
            let token = signed_in.then_some(token.as_str());
            measure(&app, token, uri, 10).await; // warm up caches and the planner
            let (p50, p95, _) = measure(&app, token, uri, 200).await;
            results[i].push((p50, p95));
        }
        backends.push(name);
    }
    println!("\n{title} over {count} APIs — server time per request (ms), 200 requests each, goal p95 ≤ 30 ms");
    print!("{:<30}", "query");
    for b in &backends {
        print!(" {:>10} {:>10}", format!("{b} p50"), "p95");
    }
    println!();
    for ((name, ..), figures) in queries.iter().zip(&results) {
        print!("{name:<30}");
        for (p50, p95) in figures {
            print!(" {p50:>10.2} {p95:>10.2}");
        }
        println!();
    }
}
