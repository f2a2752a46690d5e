//! Demo traffic for `gatehouse serve --demo`: a week of realistic events (several APIs and
//! applications, a day/night rhythm, errors, throttling, a latency tail) so a newcomer sees
//! live dashboards at once. Every event carries the instance name [`DEMO_INSTANCE`], and the
//! dashboards say when demo events are in view.

use crate::Store;
use crate::frame::DEMO_INSTANCE;
use gatehouse_contract::{AlertMetric, Comparison, ErrorType, GatewayEvent, NewAlert, Role};
use gatehouse_domain::{Db, Result, gateways};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::Row;

struct DemoApi {
    id: &'static str,
    name: &'static str,
    context: &'static str,
    operations: &'static [(&'static str, &'static str)],
    weight: f64,
    /// Median backend time (ms).
    median_ms: f64,
}

const APIS: [DemoApi; 4] = [
    DemoApi {
        id: "demo-orders",
        name: "Orders",
        context: "/orders/v1",
        operations: &[("GET", "/orders"), ("GET", "/orders/{id}"), ("POST", "/orders")],
        weight: 0.4,
        median_ms: 35.0,
    },
    DemoApi {
        id: "demo-payments",
        name: "Payments",
        context: "/payments/v2",
        operations: &[("POST", "/payments"), ("GET", "/payments/{id}")],
        weight: 0.25,
        median_ms: 120.0,
    },
    DemoApi {
        id: "demo-weather",
        name: "Weather",
        context: "/weather/v1",
        operations: &[("GET", "/forecast"), ("GET", "/current")],
        weight: 0.25,
        median_ms: 20.0,
    },
    DemoApi {
        id: "demo-maps",
        name: "Maps",
        context: "/maps/v1",
        operations: &[("GET", "/tiles/{z}/{x}/{y}"), ("GET", "/geocode")],
        weight: 0.1,
        median_ms: 60.0,
    },
];

/// (application id, name, consumer, tier, key type, weight)
const APPLICATIONS: [(&str, &str, &str, &str, &str, f64); 4] = [
    ("demo-app-shop", "Web shop", "shop@demo.example", "Gold", "production", 0.45),
    ("demo-app-mobile", "Mobile app", "mobile@demo.example", "Silver", "production", 0.35),
    ("demo-app-partner", "Partner sync", "partner@demo.example", "Bronze", "production", 0.15),
    ("demo-app-sandbox", "Integration tests", "qa@demo.example", "Unlimited", "sandbox", 0.05),
];

/// (group, region, share)
const GROUPS: [(&str, &str, f64); 2] = [("demo-eu", "eu-west", 0.6), ("demo-us", "us-east", 0.4)];

fn pick<T>(rng: &mut StdRng, items: &[T], weight: impl Fn(&T) -> f64) -> usize {
    let mut x = rng.r#gen::<f64>() * items.iter().map(&weight).sum::<f64>();
    for (i, item) in items.iter().enumerate() {
        x -= weight(item);
        if x <= 0.0 {
            return i;
        }
    }
    items.len() - 1
}

/// A log-normal sample around `median` (Box–Muller), with a 1% tail ten times slower.
fn latency(rng: &mut StdRng, median: f64) -> f64 {
    let (u, v): (f64, f64) = (rng.r#gen::<f64>().max(1e-12), rng.r#gen());
    let normal = (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos();
    let sample = median * (0.45 * normal).exp();
    if rng.r#gen::<f64>() < 0.01 { sample * 10.0 } else { sample }
}

/// About `per_day` events a day for the `days` before `now`, busiest in the afternoon (UTC).
pub fn events(now: i64, days: i64, per_day: f64, seed: u64) -> Vec<GatewayEvent> {
    events_between(now - days * 86_400_000, now, per_day, seed)
}

/// The same for the minutes of [from, to).
pub fn events_between(from: i64, to: i64, per_day: f64, seed: u64) -> Vec<GatewayEvent> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::new();
    for minute in from / 60_000..to / 60_000 {
        let hour = (minute % 1440) as f64 / 60.0;
        let rhythm = 0.25 + 0.75 * (((hour - 9.0) / 24.0 * std::f64::consts::TAU).sin() + 1.0) / 2.0;
        let expected = per_day / 1440.0 * rhythm * 1.6;
        let count = (expected + rng.gen_range(-0.5..0.5) * expected.sqrt()).round().max(0.0) as usize;
        for k in 0..count {
            let api = &APIS[pick(&mut rng, &APIS, |a| a.weight)];
            let app = APPLICATIONS[pick(&mut rng, &APPLICATIONS, |a| a.5)];
            let group = GROUPS[pick(&mut rng, &GROUPS, |g| g.2)];
            let (method, resource) = api.operations[rng.gen_range(0..api.operations.len())];
            let roll = rng.r#gen::<f64>();
            let (status, error, backend) = match roll {
                r if r < 0.015 => (401, Some(ErrorType::AuthFailure), None),
                r if r < 0.03 => (429, Some(ErrorType::Throttled), None),
                r if r < 0.035 => (504, Some(ErrorType::BackendUnreachable), Some(30_000.0)),
                r if r < 0.045 => (500, None, Some(latency(&mut rng, api.median_ms))),
                r if r < 0.085 => {
                    (if rng.gen_bool(0.5) { 404 } else { 400 }, None, Some(latency(&mut rng, api.median_ms / 2.0)))
                }
                _ => (if method == "POST" { 201 } else { 200 }, None, Some(latency(&mut rng, api.median_ms))),
            };
            let overhead = 0.2 + rng.r#gen::<f64>() * 0.6;
            let ts = minute * 60_000 + rng.gen_range(0..60_000);
            out.push(GatewayEvent {
                event_id: format!("demo-{minute}-{k}"),
                timestamp: ts,
                correlation_id: format!("demo-{minute}-{k}"),
                api_id: api.id.into(),
                api_name: api.name.into(),
                api_version: "1.0.0".into(),
                api_context: api.context.into(),
                method: method.into(),
                resource: resource.into(),
                application_id: if error == Some(ErrorType::AuthFailure) { String::new() } else { app.0.into() },
                application_name: if error == Some(ErrorType::AuthFailure) { String::new() } else { app.1.into() },
                consumer: if error == Some(ErrorType::AuthFailure) { String::new() } else { app.2.into() },
                key_type: app.4.into(),
                tier: app.3.into(),
                group: group.0.into(),
                instance: DEMO_INSTANCE.into(),
                region: group.1.into(),
                status,
                backend_status: backend.map(|_| status),
                latency_ms: backend.unwrap_or(0.0) + overhead,
                backend_latency_ms: backend,
                request_bytes: if method == "POST" { 420 } else { 0 },
                response_bytes: 900 + rng.gen_range(0..4000),
                user_agent: "demo".into(),
                error,
            });
        }
    }
    out
}

/// Ingest a week of demo traffic unless the last day already has some; returns how many events.
pub async fn seed(db: &Db, now: i64) -> Result<usize> {
    let recent: i64 = sqlx::query("SELECT COUNT(*) FROM event_ids WHERE event_id LIKE 'demo-%' AND ts > $1")
        .bind(now - 86_400_000)
        .fetch_one(&db.pool)
        .await?
        .get(0);
    if recent > 0 {
        return Ok(0);
    }
    let events = events(now, 7, 12_000.0, now as u64);
    for (group, ..) in GROUPS {
        let of_group: Vec<GatewayEvent> = events.iter().filter(|e| e.group == group).cloned().collect();
        for batch in of_group.chunks(1000) {
            gateways::ingest(db, group, batch).await?;
        }
    }
    Ok(events.len())
}

/// The demo's alerts, defined as the demo publisher when no alert exists yet, so the demo
/// shows alerts fed by its traffic: errors over the last 15 minutes, the p99 latency over the
/// last hour, and traffic that stopped. Returns how many were made.
pub async fn seed_alerts(store: &Store) -> Result<usize> {
    let publisher = gatehouse_domain::seed::demo_account(&store.db, Role::Publisher).await?;
    if !crate::alerts::list(&store.db, &publisher).await?.is_empty() {
        return Ok(0);
    }
    let alerts = [
        ("Errors above 10 %", AlertMetric::ErrorRate, Comparison::Above, 10.0, 15),
        ("Slow p99", AlertMetric::LatencyP99, Comparison::Above, 1000.0, 60),
        ("No traffic for an hour", AlertMetric::Requests, Comparison::Below, 1.0, 60),
    ];
    for (name, metric, comparison, threshold, window_minutes) in alerts {
        let alert = NewAlert { name: name.into(), api_id: None, metric, comparison, threshold, window_minutes };
        crate::alerts::create(store, &publisher, alert).await?;
    }
    Ok(alerts.len())
}
