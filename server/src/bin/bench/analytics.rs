//! Analytics at 10 million events: (a) ingest into the store through the real path (the
//! gateways' ingest into the database, then compaction into Parquet), (b) every panel of the
//! overview for 30 days computed by polars, (c) the same queries in DuckDB over the same files.
//!
//! Ingest is timed on a sample (the first `--ingest` events); the rest of the 10 million are
//! bulk-loaded into segments with the same writer, so the run takes minutes rather than an hour.

use super::median;
use gatehouse_analytics::store::COMPACT_AT;
use gatehouse_analytics::{Scope, Store, demo, query};
use gatehouse_contract::{AnalyticsQuery, GatewayEvent};
use gatehouse_domain::{gateways, testing};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

const DAY: i64 = 86_400_000;
const DAYS: i64 = 30;

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

    // (a) Ingest: the first days' events through the gateways' ingest path while compaction
    // runs beside it, as in the server; sustained = from the first batch until every event is
    // in Parquet.
    eprintln!("(a) ingesting {ingest} events through the ingest path into SQLite, compacting meanwhile…");
    let mut day = 0;
    let mut batches: Vec<(String, Vec<GatewayEvent>)> = Vec::new();
    let mut ingested = 0u64;
    while ingested < ingest && day < DAYS {
        let mut events = demo::events_between(from + day * DAY, from + (day + 1) * DAY, per_day, day as u64);
        events.truncate((ingest - ingested) as usize);
        ingested += events.len() as u64;
        // Each gateway group's events arrive with that group's credential, in batches as
        // large as a gateway sends.
        let mut by_group: std::collections::BTreeMap<String, Vec<GatewayEvent>> = std::collections::BTreeMap::new();
        for event in events {
            by_group.entry(event.group.clone()).or_default().push(event);
        }
        for (group, events) in by_group {
            batches.extend(events.chunks(gateways::MAX_BATCH).map(|b| (group.clone(), b.to_vec())));
        }
        day += 1;
    }
    let ingesting = Arc::new(AtomicBool::new(true));
    let compactor = tokio::spawn(compact_while(store.clone(), ingesting.clone()));
    let started = Instant::now();
    let mut ingest_secs = 0.0;
    for (group, batch) in &batches {
        let one = Instant::now();
        gateways::ingest(&store.db, group, batch).await.map_err(|e| e.to_string())?;
        ingest_secs += one.elapsed().as_secs_f64();
    }
    ingesting.store(false, Ordering::SeqCst);
    let (compact_secs, compacted) = compactor.await.map_err(|e| e.to_string())??;
    let sustained_secs = started.elapsed().as_secs_f64();
    if compacted != ingested {
        return Err(format!("{ingested} events ingested, {compacted} compacted"));
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

    // (b) polars: the whole overview for 30 days, from the rollups (what the dashboards read
    // for 30 days) and, for comparison, from every event with exact percentiles.
    let query = AnalyticsQuery { range: Some("30d".into()), ..Default::default() };
    eprintln!("(b) polars: the overview over {stored} events, {rounds} rounds from rollups, {rounds} from the events…");
    let mut rolled = Timed::default();
    let mut exact = Timed::default();
    for _ in 0..rounds {
        rolled.time(query::overview(store, &query, &Scope::Everything, now)).await?;
        exact.time(query::exact_overview(store, &query, &Scope::Everything, now)).await?;
    }
    let (Some(rolled_answer), Some(exact_answer)) = (rolled.answer.take(), exact.answer.take()) else {
        return Err("no rounds".into());
    };
    if rolled_answer.percentile_accuracy.is_none() {
        return Err("the 30-day overview did not read the rollups".into());
    }
    let (from, to, bucket) = (rolled_answer.from, rolled_answer.to, rolled_answer.bucket_ms);

    // (c) DuckDB: the same queries over the same files.
    eprintln!("(c) DuckDB: the same queries over the same files…");
    let segments = store.segments(from, to).await.map_err(|e| e.to_string())?;
    let rollups = store.rollup_files(from, to).await.map_err(|e| e.to_string())?.ok_or("a segment has no rollup")?;
    let duck_rolled = duckdb("rollups", (from, to, bucket), rounds, &rollups)?;
    let duck_exact = duckdb("events", (from, to, bucket), rounds, &segments)?;

    let ingest_rate = ingested as f64 / ingest_secs;
    let compact_rate = ingested as f64 / compact_secs;
    let both = ingested as f64 / sustained_secs;
    let (polars, duck) = (median(rolled.runs.clone()), median(duck_rolled.runs.clone()));
    let (polars_exact, duck_exact_secs) = (median(exact.runs.clone()), median(duck_exact.runs.clone()));
    let rows = gatehouse_analytics::store::rows(&rollups).map_err(|e| e.to_string())?;
    println!(
        "\nAnalytics benchmark — {stored} events over {DAYS} days in {} segment files, SQLite, one 2-core machine",
        segments.len()
    );
    println!(
        "(a) ingest into the database        {ingest_rate:>12.0} events/s   ({ingested} events in batches of {}, time in ingest calls)",
        gateways::MAX_BATCH
    );
    println!(
        "    compaction into Parquet         {compact_rate:>12.0} events/s   (segments and their rollups, time in compactions)"
    );
    println!(
        "    sustained, both at once         {both:>12.0} events/s   goal ≥ 100,000 events/s  {}   (first batch until all in Parquet)",
        if both >= 100_000.0 { "met" } else { "MISSED" }
    );
    println!("    bulk load of the other {loaded} events: {load_secs:.1} s");
    println!(
        "The overview for 30 days, every panel — from the hourly rollups ({rows} rows; what the dashboards read):"
    );
    println!(
        "(b) polars                          {:>10.3} s (median of {rounds}: {})   goal ≤ 1 s  {}",
        polars,
        list(&rolled.runs),
        if polars <= 1.0 { "met" } else { "MISSED" }
    );
    println!(
        "(c) DuckDB, the same queries        {:>10.3} s (median of {rounds}: {}; {} threads)",
        duck,
        list(&duck_rolled.runs),
        duck_rolled.threads
    );
    println!(
        "(b)/(c)                             {:>10.2}×   goal ≤ 1.0×  {}",
        polars / duck,
        if polars <= duck { "met" } else { "MISSED" }
    );
    println!("The same from all {stored} events, exact percentiles (what ranges of a day or less read):");
    println!(
        "    polars                          {:>10.3} s (median of {rounds}: {})",
        polars_exact,
        list(&exact.runs)
    );
    println!(
        "    DuckDB                          {:>10.3} s (median of {rounds}: {})   ratio {:.2}×",
        duck_exact_secs,
        list(&duck_exact.runs),
        polars_exact / duck_exact_secs
    );

    // The engines must agree, or the timings compare different work.
    let counted =
        [rolled_answer.totals.requests, exact_answer.totals.requests, duck_rolled.requests, duck_exact.requests];
    if counted.iter().any(|&n| n != stored) {
        return Err(format!(
            "the answers disagree: polars counted {} (rollups) and {} (events), DuckDB {} and {}; {stored} stored",
            counted[0], counted[1], counted[2], counted[3]
        ));
    }
    let l = &rolled_answer.totals.latency;
    let polars_rolled = [l.p50, l.p95, l.p99].map(|v| v.unwrap_or(f64::NAN));
    let l = &exact_answer.totals.latency;
    let polars_exact = [l.p50, l.p95, l.p99].map(|v| v.unwrap_or(f64::NAN));
    for (what, a, b, tolerance) in [
        ("polars and DuckDB from rollups", polars_rolled, duck_rolled.latency, 1e-6),
        // Neighbouring samples: DuckDB's quantile_disc rounds the rank down, polars' nearest rounds it.
        ("polars and DuckDB from events", polars_exact, duck_exact.latency, 1e-3),
        ("rollups and events", polars_rolled, polars_exact, query_accuracy()),
    ] {
        if a.iter().zip(&b).any(|(a, b)| (a - b).abs() > b * tolerance + 1e-9) {
            return Err(format!("latency p50/p95/p99 disagree, {what}: {a:?} and {b:?}"));
        }
    }
    println!(
        "all four counted {stored} requests; latency p50/p95/p99 {:.2}/{:.2}/{:.2} ms exact, {:.2}/{:.2}/{:.2} ms from rollups",
        polars_exact[0], polars_exact[1], polars_exact[2], polars_rolled[0], polars_rolled[1], polars_rolled[2]
    );
    Ok(())
}

fn query_accuracy() -> f64 {
    gatehouse_analytics::rollup::ACCURACY
}

/// Timings of one kind of overview, and its last answer.
#[derive(Default)]
struct Timed {
    runs: Vec<f64>,
    answer: Option<gatehouse_contract::Overview>,
}

impl Timed {
    async fn time(
        &mut self,
        overview: impl std::future::Future<Output = gatehouse_domain::Result<gatehouse_contract::Overview>>,
    ) -> Result<(), String> {
        let started = Instant::now();
        let answer = overview.await.map_err(|e| e.to_string())?;
        self.runs.push(started.elapsed().as_secs_f64());
        self.answer = Some(answer);
        Ok(())
    }
}

struct DuckRuns {
    runs: Vec<f64>,
    requests: u64,
    latency: [f64; 3],
    threads: serde_json::Value,
}

/// scripts/bench_duckdb.py in `mode` over `files`.
fn duckdb(
    mode: &str,
    (from, to, bucket): (i64, i64, i64),
    rounds: usize,
    files: &[std::path::PathBuf],
) -> Result<DuckRuns, String> {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/bench_duckdb.py");
    let out = Command::new("python3")
        .arg(&script)
        .args([mode.to_string(), from.to_string(), to.to_string(), bucket.to_string(), rounds.to_string()])
        .args(files)
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "DuckDB baseline failed (scripts/setup.sh bench installs duckdb): {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let duck: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| format!("DuckDB output: {e}"))?;
    let runs: Vec<f64> =
        duck["runs"].as_array().map(|r| r.iter().filter_map(|v| v.as_f64()).collect()).unwrap_or_default();
    let latency: Vec<f64> =
        duck["latency"].as_array().map(|r| r.iter().filter_map(|v| v.as_f64()).collect()).unwrap_or_default();
    let (Ok(latency), false) = (<[f64; 3]>::try_from(latency), runs.is_empty()) else {
        return Err(format!("DuckDB printed no timings: {duck}"));
    };
    Ok(DuckRuns { runs, requests: duck["requests"].as_u64().unwrap_or(0), latency, threads: duck["threads"].clone() })
}

/// Compact whatever is pending until ingest has stopped and nothing is left; returns the time
/// spent compacting and the events moved.
async fn compact_while(store: Store, ingesting: Arc<AtomicBool>) -> Result<(f64, u64), String> {
    let (mut busy, mut moved) = (0.0, 0);
    loop {
        // Read before compacting: once ingest has stopped, an empty round means drained.
        let last = !ingesting.load(Ordering::SeqCst);
        // As the server does: a compaction once enough events are pending, not per batch.
        if !last && store.pending().await.map_err(|e| e.to_string())? < COMPACT_AT {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        }
        let started = Instant::now();
        let n = store.compact(gatehouse_domain::store::now_ms() + 1).await.map_err(|e| e.to_string())?;
        if n > 0 {
            busy += started.elapsed().as_secs_f64();
            moved += n;
        } else if last {
            return Ok((busy, moved));
        } else {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

fn list(runs: &[f64]) -> String {
    runs.iter().map(|r| format!("{r:.3}")).collect::<Vec<_>>().join(", ")
}
