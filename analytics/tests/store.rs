//! The analytics store on SQLite and PostgreSQL: exact counts and percentiles (checked against a
//! reference computed here), the same answer before and after compaction, idempotent ingest
//! after compaction, scopes, retention, and the charts and CSV drawn from the answer.

use gatehouse_analytics::{Scope, Store, charts, csv, query};
use gatehouse_contract::{AnalyticsQuery, ErrorType, GatewayEvent, Overview, Panel};
use gatehouse_domain::store::now_ms;
use gatehouse_domain::{Db, db_tests, gateways};

mod common;
use common::event;

/// 1,000 events in the last hour: apis a (60%) and b, apps x and y, a known mix of outcomes.
fn traffic(now: i64, first_id: usize) -> Vec<GatewayEvent> {
    (0..1000)
        .map(|i| {
            let (status, error) = match i % 20 {
                0 => (401, Some(ErrorType::AuthFailure)),
                1 => (429, Some(ErrorType::Throttled)),
                2 => (503, None),
                3 => (404, None),
                _ => (200, None),
            };
            let api = if i % 5 < 3 { "a" } else { "b" };
            let application = if i % 2 == 0 { "x" } else { "y" };
            // Latencies 1..=1000 ms in a scrambled order.
            let latency = ((i * 7919) % 1000 + 1) as f64;
            event(first_id + i, now - 3_000_000 + (i as i64) * 1000, api, application, status, error, latency)
        })
        .collect()
}

fn nearest_rank(mut values: Vec<f64>, q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * q).round() as usize]
}

fn store(db: &Db) -> (Store, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("gatehouse-analytics-{}", uuid::Uuid::new_v4()));
    (Store { db: db.clone(), dir: dir.clone() }, dir)
}

fn last_day() -> AnalyticsQuery {
    AnalyticsQuery { range: Some("24h".into()), ..Default::default() }
}

async fn counts_and_percentiles_survive_compaction(db: Db) {
    let now = now_ms();
    let (store, dir) = store(&db);
    let store = Store::open(store.db, dir.clone()).await.expect("open");
    let events = traffic(now, 0);
    for batch in events.chunks(300) {
        gateways::ingest(&db, "g", batch).await.expect("ingest");
    }
    let before = query::overview(&store, &last_day(), &Scope::Everything, now).await.expect("overview");
    let t = &before.totals;
    assert_eq!(
        (t.requests, t.success, t.client_error, t.server_error, t.throttled, t.auth_failure),
        (1000, 800, 50, 50, 50, 50)
    );
    assert_eq!(t.errors, 200);
    assert!((t.error_rate - 0.2).abs() < 1e-12);
    let latencies: Vec<f64> = events.iter().map(|e| e.latency_ms).collect();
    assert_eq!(t.latency.p50, Some(nearest_rank(latencies.clone(), 0.5)));
    assert_eq!(t.latency.p95, Some(nearest_rank(latencies.clone(), 0.95)));
    assert_eq!(t.latency.p99, Some(nearest_rank(latencies, 0.99)));
    let backend: Vec<f64> = events.iter().filter_map(|e| e.backend_latency_ms).collect();
    assert_eq!(t.backend_latency.p95, Some(nearest_rank(backend, 0.95)), "null backend times are left out");
    assert_eq!(
        before.top_apis.iter().map(|b| (b.key.as_str(), b.requests)).collect::<Vec<_>>(),
        [("a", 600), ("b", 400)]
    );
    assert_eq!(before.top_apis[0].label, "a <b>name</b>");
    assert_eq!(before.timeline.iter().map(|b| b.totals.requests).sum::<u64>(), 1000, "every event is in one bucket");
    assert_eq!(before.bucket_ms, 900_000, "15-minute buckets for a day");
    assert_eq!(before.status_codes.iter().find(|s| s.key == "503").map(|s| s.requests), Some(50));
    assert!(!before.includes_demo);

    // Compacted: the same answer, read from Parquet now.
    assert_eq!(store.compact(now_ms() + 1).await.expect("compact"), 1000);
    assert_eq!(store.pending().await.expect("pending"), 0);
    assert!(!store.segments(now - 86_400_000, now + 1).await.expect("segments").is_empty());
    let after = query::overview(&store, &last_day(), &Scope::Everything, now).await.expect("overview");
    assert_eq!(after.totals, before.totals);
    assert_eq!(after.timeline, before.timeline);
    assert_eq!(
        (&after.top_apis, &after.top_applications, &after.operations),
        (&before.top_apis, &before.top_applications, &before.operations)
    );
    assert_eq!(
        (&after.status_codes, &after.tier_usage, &after.by_group),
        (&before.status_codes, &before.tier_usage, &before.by_group)
    );
    assert_eq!(after, before);

    // A batch sent again after compaction is still counted once; new events add up.
    let receipt = gateways::ingest(&db, "g", &events[..100]).await.expect("again");
    assert_eq!((receipt.accepted, receipt.duplicates), (0, 100));
    let twice = traffic(now, 9000)[0].clone();
    let receipt = gateways::ingest(&db, "g", &[twice.clone(), twice]).await.expect("twice in one batch");
    assert_eq!((receipt.accepted, receipt.duplicates), (1, 1));
    gateways::ingest(&db, "g", &traffic(now, 5000)[..10]).await.expect("more");
    let mixed = query::overview(&store, &last_day(), &Scope::Everything, now).await.expect("overview");
    assert_eq!(mixed.totals.requests, 1011, "segments plus recent events");

    // Scopes and filters.
    let mine =
        query::overview(&store, &last_day(), &Scope::Applications(vec!["x".into()]), now).await.expect("overview");
    assert_eq!(mine.totals.requests, 506);
    assert!(mine.top_applications.iter().all(|b| b.key == "x"));
    let theirs = query::overview(&store, &last_day(), &Scope::Apis(vec!["b".into()]), now).await.expect("overview");
    assert_eq!(theirs.totals.requests, 404);
    let none = query::overview(&store, &last_day(), &Scope::Apis(vec![]), now).await.expect("overview");
    assert_eq!(none.totals.requests, 0);
    let filtered = query::overview(
        &store,
        &AnalyticsQuery { api: Some("a".into()), application: Some("y".into()), ..last_day() },
        &Scope::Everything,
        now,
    )
    .await
    .expect("overview");
    assert_eq!(
        filtered.totals.requests,
        events.iter().filter(|e| e.api_id == "a" && e.application_id == "y").count() as u64 + 3
    );

    // Charts: one series per outcome, escaped names; CSV rows per bucket.
    let traffic_svg = charts::render(&after, Panel::Traffic);
    assert!(
        traffic_svg.contains("data-series=\"5\"")
            && traffic_svg.contains("<title>Requests over time by outcome</title>")
    );
    let apis_svg = charts::render(&after, Panel::TopApis);
    assert!(apis_svg.contains("a &lt;b&gt;name&lt;/b&gt;") && !apis_svg.contains("<b>"), "names are escaped");
    let rows = csv::render(&after, Panel::Traffic);
    assert_eq!(rows.lines().count(), after.timeline.len() + 1);
    let _ = std::fs::remove_dir_all(dir);
}

async fn retention_drops_old_segments(db: Db) {
    let now = now_ms();
    let (store, dir) = store(&db);
    let old: Vec<GatewayEvent> =
        (0..50).map(|i| event(i, now - 40 * 86_400_000 + i as i64, "a", "x", 200, None, 5.0)).collect();
    gateways::ingest(&db, "g", &old).await.expect("ingest");
    store.compact(now_ms() + 1).await.expect("compact");
    let window = AnalyticsQuery { from: Some(now - 41 * 86_400_000), to: Some(now), ..Default::default() };
    assert_eq!(query::overview(&store, &window, &Scope::Everything, now).await.expect("overview").totals.requests, 50);
    assert_eq!(walk(&dir).len(), 2, "a segment and its rollup");
    assert_eq!(store.retain(30).await.expect("retain"), 1);
    assert_eq!(query::overview(&store, &window, &Scope::Everything, now).await.expect("overview").totals.requests, 0);
    assert_eq!(walk(&dir), Vec::<String>::new(), "both files go");
    let _ = std::fs::remove_dir_all(dir);
}

async fn a_stray_segment_file_is_not_counted(db: Db) {
    let now = now_ms();
    let (store, dir) = store(&db);
    gateways::ingest(&db, "g", &traffic(now, 0)[..20]).await.expect("ingest");
    store.compact(now_ms() + 1).await.expect("compact");
    // A compaction that crashed before its commit leaves a pending file with no record.
    let day = std::fs::read_dir(&dir).expect("dir").flatten().next().expect("a day folder").path();
    let file = std::fs::read_dir(&day).expect("day").flatten().next().expect("a segment").path();
    std::fs::copy(&file, day.join("stray.parquet.pending")).expect("copy");
    let store = Store::open(db.clone(), dir.clone()).await.expect("reopen");
    assert!(!day.join("stray.parquet.pending").exists(), "removed on start");
    assert_eq!(
        query::overview(&store, &last_day(), &Scope::Everything, now).await.expect("overview").totals.requests,
        20
    );
    let _ = std::fs::remove_dir_all(dir);
}

async fn bad_windows_are_refused(db: Db) {
    let (store, _) = store(&db);
    let now = now_ms();
    for (query, field) in [
        (AnalyticsQuery { range: Some("2w".into()), ..Default::default() }, "range"),
        (AnalyticsQuery { from: Some(now), to: Some(now - 1), ..Default::default() }, "from"),
        (AnalyticsQuery { to: Some(now), ..Default::default() }, "from"),
    ] {
        let error = query::overview(&store, &query, &Scope::Everything, now).await.expect_err("refused");
        assert!(error.to_string().starts_with(field), "{error}");
    }
}

/// `approximate` within the rollups' accuracy of `exact`.
fn close(approximate: Option<f64>, exact: Option<f64>, what: &str) {
    match (approximate, exact) {
        (Some(a), Some(e)) => {
            assert!((a - e).abs() <= e * gatehouse_analytics::rollup::ACCURACY + 1e-9, "{what}: {a} for {e}")
        }
        (a, e) => assert_eq!(a, e, "{what}"),
    }
}

fn same_but_percentiles(rolled: &Overview, exact: &Overview) {
    let counts = |t: &gatehouse_contract::Totals| {
        (t.requests, t.errors, t.success, t.client_error, t.server_error, t.throttled, t.auth_failure)
    };
    assert_eq!(counts(&rolled.totals), counts(&exact.totals));
    for (what, a, e) in [
        ("p50", rolled.totals.latency.p50, exact.totals.latency.p50),
        ("p95", rolled.totals.latency.p95, exact.totals.latency.p95),
        ("p99", rolled.totals.latency.p99, exact.totals.latency.p99),
    ] {
        close(a, e, what);
    }
    close(rolled.totals.backend_latency.p99, exact.totals.backend_latency.p99, "backend p99");
    assert_eq!(rolled.timeline.len(), exact.timeline.len());
    for (a, e) in rolled.timeline.iter().zip(&exact.timeline) {
        assert_eq!((a.start, counts(&a.totals)), (e.start, counts(&e.totals)));
        close(a.totals.latency.p95, e.totals.latency.p95, "bucket p95");
        close(a.totals.backend_latency.p50, e.totals.backend_latency.p50, "bucket backend p50");
    }
    let lists = |o: &Overview| {
        [
            o.top_apis.clone(),
            o.top_applications.clone(),
            o.top_consumers.clone(),
            o.by_group.clone(),
            o.operations.clone(),
            o.status_codes.clone(),
        ]
    };
    for (a, e) in lists(rolled).iter().zip(lists(exact).iter()) {
        let rows = |l: &[gatehouse_contract::Breakdown]| {
            l.iter().map(|b| (b.key.clone(), b.label.clone(), b.requests, b.errors)).collect::<Vec<_>>()
        };
        assert_eq!(rows(a), rows(e));
        for (a, e) in a.iter().zip(e) {
            close(a.p95_ms, e.p95_ms, &e.key);
        }
    }
    assert_eq!(rolled.tier_usage, exact.tier_usage, "tier peaks are counted per minute, exactly");
    assert_eq!(rolled.includes_demo, exact.includes_demo);
}

/// A week read from rollups: the same counts, tier peaks and breakdowns as the events give, and
/// percentiles within 1 %; with segments, events not compacted yet, scopes and filters.
async fn rollups_agree_with_the_events(db: Db) {
    let now = now_ms();
    let (store, dir) = store(&db);
    let store = Store::open(store.db, dir.clone()).await.expect("open");
    let week = AnalyticsQuery { range: Some("7d".into()), ..Default::default() };
    let mut events = gatehouse_analytics::demo::events(now, 7, 4000.0, 3);
    let recent = events.split_off(events.len() - 500);
    store.load(events).await.expect("load");
    for group in ["demo-eu", "demo-us"] {
        let of_group: Vec<GatewayEvent> = recent.iter().filter(|e| e.group == group).cloned().collect();
        gateways::ingest(&db, group, &of_group).await.expect("ingest");
    }

    let rolled = query::overview(&store, &week, &Scope::Everything, now).await.expect("overview");
    let exact = query::exact_overview(&store, &week, &Scope::Everything, now).await.expect("overview");
    assert_eq!((rolled.percentile_accuracy, exact.percentile_accuracy), (Some(0.01), None));
    assert!(rolled.totals.requests > 25_000 && rolled.includes_demo);
    same_but_percentiles(&rolled, &exact);
    for (query, scope) in [
        (week.clone(), Scope::Applications(vec!["demo-app-shop".into(), "demo-app-partner".into()])),
        (week.clone(), Scope::Apis(vec!["demo-maps".into()])),
        (
            AnalyticsQuery {
                api: Some("demo-orders".into()),
                group: Some("demo-eu".into()),
                key_type: Some("production".into()),
                ..week.clone()
            },
            Scope::Everything,
        ),
    ] {
        let rolled = query::overview(&store, &query, &scope, now).await.expect("overview");
        let exact = query::exact_overview(&store, &query, &scope, now).await.expect("overview");
        assert!(rolled.totals.requests > 0 && rolled.percentile_accuracy.is_some(), "{scope:?}");
        same_but_percentiles(&rolled, &exact);
    }
    // A past week that ends inside an hour (as a CSV link passes the window the dashboard drew):
    // the whole hours from rollups, the last one from its events up to `to` and no further.
    let hour = gatehouse_analytics::rollup::HOUR;
    let to = now - now.rem_euclid(hour) - 2 * hour + 1_234_567;
    let past =
        AnalyticsQuery { from: Some(to - to.rem_euclid(hour) - 6 * 24 * hour), to: Some(to), ..Default::default() };
    let (past_rolled, past_exact) = (
        query::overview(&store, &past, &Scope::Everything, now).await.expect("overview"),
        query::exact_overview(&store, &past, &Scope::Everything, now).await.expect("overview"),
    );
    assert_eq!(past_rolled.percentile_accuracy, Some(0.01));
    same_but_percentiles(&past_rolled, &past_exact);

    // A day has 15-minute buckets: read from the events, exactly.
    assert_eq!(
        query::overview(&store, &last_day(), &Scope::Everything, now).await.expect("overview").percentile_accuracy,
        None
    );

    // Segments from before rollups: read from the events until their rollups are written.
    sqlx::query("UPDATE analytics_segments SET rollup = NULL").execute(&db.pool).await.expect("forget");
    let before = query::overview(&store, &week, &Scope::Everything, now).await.expect("overview");
    assert_eq!(before.percentile_accuracy, None);
    assert!(store.backfill_rollups().await.expect("backfill") >= 7);
    assert_eq!(store.backfill_rollups().await.expect("backfill"), 0, "once");
    let after = query::overview(&store, &week, &Scope::Everything, now).await.expect("overview");
    assert_eq!(after.percentile_accuracy, Some(0.01));
    same_but_percentiles(&after, &exact);
    let _ = std::fs::remove_dir_all(dir);
}

/// Two compactors at once (two servers on one PostgreSQL) take the same batches: one records
/// them, the other gives its files up; every event is counted once and no file is left over.
async fn two_compactors_count_each_event_once(db: Db) {
    let now = now_ms();
    let (store, dir) = store(&db);
    let store = Store::open(store.db, dir.clone()).await.expect("open");
    let events = traffic(now, 0);
    for batch in events.chunks(100) {
        gateways::ingest(&db, "g", batch).await.expect("ingest");
    }
    let (a, b) = tokio::join!(store.compact(now_ms() + 1), store.compact(now_ms() + 1));
    let moved = a.expect("first") + b.expect("second");
    while store.compact(now_ms() + 1).await.expect("drain") > 0 {}
    assert!(moved <= 1000, "{moved} events moved by two compactors");
    assert_eq!(store.pending().await.expect("pending"), 0);
    assert_eq!(
        query::exact_overview(&store, &last_day(), &Scope::Everything, now).await.expect("overview").totals.requests,
        1000
    );
    let files = walk(&dir);
    assert!(files.iter().all(|f| !f.ends_with(".pending")), "{files:?}");
    let recorded: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM analytics_segments").fetch_one(&db.pool).await.expect("count");
    assert_eq!(files.len() as i64, 2 * recorded, "a segment and its rollup each: {files:?}");
    let _ = std::fs::remove_dir_all(dir);
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.path().is_dir() {
            found.extend(walk(&entry.path()));
        } else {
            found.push(entry.path().to_string_lossy().into_owned());
        }
    }
    found
}

db_tests!(
    counts_and_percentiles_survive_compaction,
    retention_drops_old_segments,
    a_stray_segment_file_is_not_counted,
    bad_windows_are_refused,
    rollups_agree_with_the_events,
    two_compactors_count_each_event_once
);

#[test]
fn demo_traffic_has_a_rhythm_errors_and_a_tail() {
    let now = 1_800_000_000_000;
    let events = gatehouse_analytics::demo::events(now, 2, 5000.0, 7);
    assert!(events.len() > 7000 && events.len() < 13_000, "{}", events.len());
    assert!(events.iter().all(|e| e.timestamp < now && e.instance == "demo-traffic"));
    let errors = events.iter().filter(|e| e.status >= 400).count() as f64 / events.len() as f64;
    assert!((0.05..0.15).contains(&errors), "{errors}");
    let mut latencies: Vec<f64> = events.iter().map(|e| e.latency_ms).collect();
    latencies.sort_by(f64::total_cmp);
    assert!(latencies[latencies.len() * 99 / 100] > 3.0 * latencies[latencies.len() / 2], "a latency tail");
}

#[test]
fn csv_fields_are_quoted_and_never_formulas() {
    let overview = gatehouse_contract::Overview {
        top_apis: vec![gatehouse_contract::Breakdown {
            key: "=1+1".into(),
            label: "a, \"b\"".into(),
            requests: 3,
            errors: 1,
            p95_ms: Some(2.0),
        }],
        ..Default::default()
    };
    assert_eq!(
        csv::render(&overview, Panel::TopApis),
        "key,label,requests,errors,p95_ms\n'=1+1,\"a, \"\"b\"\"\",3,1,2.000\n"
    );
}

/// An attribute's number in the first element of `svg`.
fn attribute(svg: &str, name: &str) -> f64 {
    let at = svg.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
    svg[at..at + svg[at..].find('"').expect("closing quote")].parse().expect("a number")
}

/// The drawn `<text>` element (after the accessible title and description) holding `needle`.
fn text_element<'a>(svg: &'a str, needle: &str) -> &'a str {
    let drawn = svg.find("</desc>").expect("a description");
    let at = drawn + svg[drawn..].find(needle).expect(needle);
    &svg[svg[..at].rfind("<text").expect("a text element")..at]
}

#[test]
fn short_and_empty_bar_charts_stay_readable() {
    let empty = charts::render(&gatehouse_contract::Overview::default(), Panel::Groups);
    let (y, height) = (attribute(text_element(&empty, "no requests in this range"), "y"), attribute(&empty, "height"));
    assert!(y > 0.0 && y < height, "the empty chart's message at y={y} is inside its {height} px");

    let group = |label: &str, requests| gatehouse_contract::Breakdown {
        key: label.into(),
        label: label.into(),
        requests,
        errors: 1,
        p95_ms: None,
    };
    let two = gatehouse_contract::Overview {
        by_group: vec![group("eu / eu-west", 70), group("us / us-east", 50)],
        ..Default::default()
    };
    let svg = charts::render(&two, Panel::Groups);
    let ten = charts::render(
        &gatehouse_contract::Overview {
            by_group: (0..10).map(|i| group(&format!("g{i}"), 10)).collect(),
            ..Default::default()
        },
        Panel::Groups,
    );
    let (height, ten_high) = (attribute(&svg, "height"), attribute(&ten, "height"));
    assert!(height >= 160.0 && height < ten_high, "two bars get room for four ({height} px; ten bars {ten_high} px)");
    let size = |svg: &str, label: &str| attribute(text_element(svg, label), "font-size");
    assert_eq!(size(&svg, "eu / eu-west"), size(&ten, "g0"), "labels keep their size whatever the height");
}
