//! Analytics at 10 million events: (a) ingest into the store through the real path (the
//! gateways' ingest into the database, then compaction into Parquet), (b) every panel of the
//! overview for 30 days computed by polars, (c) the same queries in DuckDB over the same files.
//!
//! Ingest is timed on a sample (the first `--ingest` events); the rest of the 10 million are
//! bulk-loaded into segments with the same writer, so the run takes minutes rather than an hour.

use gatehouse_analytics::{Scope, Store, demo, query};
use gatehouse_contract::AnalyticsQuery;
use gatehouse_domain::{gateways, testing};
use std::process::Command;
use std::time::Instant;

const DAY: i64 = 86_400_000;
const DAYS: i64 = 30;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

pub async fn run(total: u64, ingest: u64, rounds: usize) -> Result<(), String> {
    let sqlite = testing::sqlite().await;
    let db = sqlite.db.clone();
    let dir = std::env::temp_dir().join(format!("gatehouse-bench-analytics-{}", std::process::id()));
    let store = Store::open(db.clone(), dir.clone()).await.map_err(|e| e.to_string())?;
    let outcome = measure(&store, total, ingest.min(total), rounds.max(1)).await;
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

async fn measure(store: &Store, total: u64, ingest: u64, rounds: usize) -> Result<(), String> {
    let now = gatehouse_domain::store::now_ms();
    let from = now - DAYS * DAY;
    let per_day = total as f64 / DAYS as f64;

    // (a) Ingest: the first days' events through the gateways' ingest path, then compaction.
    eprintln!("(a) ingesting {ingest} events through the ingest path into SQLite…");
    let mut day = 0;
    let mut ingested = 0u64;
    let mut ingest_secs = 0.0;
    let mut compact_secs = 0.0;
    while ingested < ingest && day < DAYS {
        let mut events = demo::events_between(from + day * DAY, from + (day + 1) * DAY, per_day, day as u64);
        events.truncate((ingest - ingested) as usize);
        // Each gateway group's events arrive with that group's credential.
        let mut by_group: std::collections::BTreeMap<String, Vec<_>> = std::collections::BTreeMap::new();
        for event in &events {
            by_group.entry(event.group.clone()).or_default().push(event.clone());
        }
        let started = Instant::now();
        for (group, events) in &by_group {
            for batch in events.chunks(gateways::MAX_BATCH) {
                gateways::ingest(&store.db, group, batch).await.map_err(|e| e.to_string())?;
            }
        }
        ingest_secs += started.elapsed().as_secs_f64();
        ingested += events.len() as u64;
        let started = Instant::now();
        while store.compact(gatehouse_domain::store::now_ms() + 1).await.map_err(|e| e.to_string())? > 0 {}
        compact_secs += started.elapsed().as_secs_f64();
        day += 1;
    }
    // The rest, written straight into segments.
    eprintln!("    bulk-loading the remaining days into segments…");
    let started = Instant::now();
    let mut loaded = 0u64;
    for d in day..DAYS {
        let events = demo::events_between(from + d * DAY, from + (d + 1) * DAY, per_day, d as u64);
        loaded += events.len() as u64;
        store.load(events).await.map_err(|e| e.to_string())?;
    }
    let load_secs = started.elapsed().as_secs_f64();
    let stored = ingested + loaded;

    // (b) polars: the whole overview for 30 days.
    eprintln!("(b) polars: the overview over {stored} events, {rounds} rounds…");
    let query = AnalyticsQuery { range: Some("30d".into()), ..Default::default() };
    let mut polars_runs = Vec::new();
    let mut requests = 0;
    let mut window = (0, 0, 0);
    for _ in 0..rounds {
        let started = Instant::now();
        let overview = query::overview(store, &query, &Scope::Everything, now).await.map_err(|e| e.to_string())?;
        polars_runs.push(started.elapsed().as_secs_f64());
        requests = overview.totals.requests;
        window = (overview.from, overview.to, overview.bucket_ms);
    }

    // (c) DuckDB over the same segment files.
    eprintln!("(c) DuckDB: the same queries over the same files…");
    let files = store.segments(window.0, window.1).await.map_err(|e| e.to_string())?;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/bench_duckdb.py");
    let out = Command::new("python3")
        .arg(&script)
        .args([window.0.to_string(), window.1.to_string(), window.2.to_string(), rounds.to_string()])
        .args(&files)
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    if !out.status.success() {
        return Err(format!("DuckDB baseline failed (scripts/setup.sh bench installs duckdb): {}", String::from_utf8_lossy(&out.stderr)));
    }
    let duck: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| format!("DuckDB output: {e}"))?;
    let duck_runs: Vec<f64> = duck["runs"].as_array().map(|r| r.iter().filter_map(|v| v.as_f64()).collect()).unwrap_or_default();
    if duck_runs.is_empty() {
        return Err(format!("DuckDB printed no timings: {duck}"));
    }
    let duck_requests = duck["requests"].as_u64().unwrap_or(0);

    let ingest_rate = ingested as f64 / ingest_secs;
    let compact_rate = ingested as f64 / compact_secs;
    let both = ingested as f64 / (ingest_secs + compact_secs);
    let polars = median(polars_runs.clone());
    let duckdb = median(duck_runs.clone());
    println!("\nAnalytics benchmark — {stored} events over {DAYS} days in {} segment files, SQLite, one 2-core machine", files.len());
    println!("(a) ingest into the database        {ingest_rate:>12.0} events/s   ({ingested} events in batches of {})", gateways::MAX_BATCH);
    println!("    compaction into Parquet         {compact_rate:>12.0} events/s");
    println!("    ingest + compaction             {both:>12.0} events/s   goal ≥ 100,000 events/s  {}", if both >= 100_000.0 { "met" } else { "MISSED" });
    println!("    bulk load of the other {loaded} events: {load_secs:.1} s");
    println!("(b) overview, every panel, polars   {:>10.3} s (median of {rounds}: {})   goal ≤ 1 s  {}", polars, list(&polars_runs), if polars <= 1.0 { "met" } else { "MISSED" });
    println!("(c) the same queries, DuckDB {}    {:>10.3} s (median of {rounds}: {}; {} threads)", duck["threads"].as_str().map(|_| "").unwrap_or(""), duckdb, list(&duck_runs), duck["threads"]);
    println!("(b)/(c)                             {:>10.2}×   goal ≤ 1.0×  {}", polars / duckdb, if polars <= duckdb { "met" } else { "MISSED" });
    if requests != duck_requests || requests != stored {
        return Err(format!("the two engines disagree: polars counted {requests}, DuckDB {duck_requests}, {stored} stored"));
    }
    println!("both counted {requests} requests");
    Ok(())
}

fn list(runs: &[f64]) -> String {
    runs.iter().map(|r| format!("{r:.3}")).collect::<Vec<_>>().join(", ")
}
