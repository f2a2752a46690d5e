//! Rollups: what the dashboards need of a segment's events, counted per hour (per minute for
//! tier consumption) and written beside the segment when it is compacted. Ranges whose buckets
//! are whole hours (7 days, 30 days, long custom ranges) read rollups instead of every event,
//! so 10 million events become a few hundred thousand rows.
//!
//! Counts are exact. Latencies are kept as log-bucket histograms (DDSketch's mapping): a
//! percentile read from one is within [`ACCURACY`] of the exact nearest-rank value. Ranges of a
//! day or less read the events themselves and their percentiles are exact.

use crate::frame::{self, *};
use gatehouse_contract::GatewayEvent;
use polars::prelude::*;
use std::collections::{BTreeMap, HashMap};

pub const MINUTE: i64 = 60_000;
pub const HOUR: i64 = 3_600_000;

/// Columns only rollups have.
pub const KIND: &str = "kind";
pub const REQUESTS: &str = "requests";
pub const ERRORS: &str = "errors";
/// Requests per outcome: named as `Outcome::as_str`.
pub const SUCCESS: &str = "success";
pub const CLIENT_ERROR: &str = "client_error";
pub const SERVER_ERROR: &str = "server_error";
pub const THROTTLED: &str = "throttled";
pub const AUTH_FAILURE: &str = "auth_failure";
pub const LATENCY_BUCKETS: &str = "latency_buckets";
pub const LATENCY_COUNTS: &str = "latency_counts";
pub const BACKEND_BUCKETS: &str = "backend_buckets";
pub const BACKEND_COUNTS: &str = "backend_counts";
/// Minutes of the hour (0–59) with requests, and how many (kind `Minutes` only): a
/// subscription's busiest minute.
pub const MINUTES: &str = "minutes";
pub const MINUTE_COUNTS: &str = "minute_counts";

/// What a rollup row counts. Every kind keeps the dimensions every panel filters by (API,
/// application, gateway group, key type); each adds the dimensions its panels group by. One
/// row of everything would be nearly as many rows as events (operations × statuses ×
/// applications per hour), so they are counted apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Per hour × region, consumer, tier, with a count per outcome: totals, timeline, top
    /// lists. Both histograms.
    Outcomes = 0,
    /// Per hour × method and resource.
    Operations = 1,
    /// Per hour × status code.
    Statuses = 2,
    /// Per hour × subscription (application, API, tier), with its requests per minute: tier
    /// peaks against their limits. (A row per minute would be most of the rollup's rows.)
    Minutes = 3,
}

/// A percentile read from a histogram is within this relative error of the exact value.
pub const ACCURACY: f64 = 0.01;
/// Latencies up to this (1 µs) fall in bucket 0 and read as 0.
const SMALLEST_MS: f64 = 0.001;

fn gamma() -> f64 {
    (1.0 + ACCURACY) / (1.0 - ACCURACY)
}

/// The histogram bucket of a latency: bucket i ≥ 1 holds (γ^(i−1), γ^i] µs.
pub fn bucket(ms: f64) -> u16 {
    if ms.is_nan() || ms <= SMALLEST_MS {
        return 0;
    }
    ((ms / SMALLEST_MS).ln() / gamma().ln()).ceil().min(f64::from(u16::MAX)) as u16
}

/// The value a bucket stands for: the point within [`ACCURACY`] of both its edges.
pub fn value(bucket: u16) -> f64 {
    if bucket == 0 {
        return 0.0;
    }
    let g = gamma();
    SMALLEST_MS * 2.0 * g.powi(i32::from(bucket)) / (g + 1.0)
}

/// Nearest-rank percentiles (the value at rank round(q × (n − 1)), as the exact queries use) of
/// the histogram made of `buckets` and their `counts` (a bucket may repeat: they add up).
pub fn percentiles(buckets: &[u16], counts: &[u32], qs: &[f64]) -> Vec<Option<f64>> {
    let size = buckets.iter().max().map_or(0, |&b| usize::from(b) + 1);
    let mut dense = vec![0u64; size];
    for (&b, &n) in buckets.iter().zip(counts) {
        dense[usize::from(b)] += u64::from(n);
    }
    let total: u64 = dense.iter().sum();
    qs.iter()
        .map(|&q| {
            if total == 0 {
                return None;
            }
            let rank = (q * (total - 1) as f64).round() as u64;
            let mut seen = 0;
            dense.iter().position(|&n| {
                seen += n;
                seen > rank
            })
            .map(|b| value(b as u16))
        })
        .collect()
}

/// One event as the rollups see it: from a gateway event, or from a row of a segment written
/// before rollups existed.
pub struct Sample<'a> {
    pub ts: i64,
    pub api_id: &'a str,
    pub api_name: &'a str,
    pub application_id: &'a str,
    pub application_name: &'a str,
    pub consumer: &'a str,
    pub key_type: &'a str,
    pub tier: &'a str,
    pub group: &'a str,
    pub region: &'a str,
    pub method: &'a str,
    pub resource: &'a str,
    pub status: i32,
    /// Index into `Outcome::ALL`.
    pub outcome: i32,
    pub latency_ms: f64,
    pub backend_ms: Option<f64>,
    pub demo: bool,
}

impl<'a> Sample<'a> {
    pub fn of(e: &'a GatewayEvent) -> Sample<'a> {
        Sample {
            ts: e.timestamp,
            api_id: &e.api_id,
            api_name: &e.api_name,
            application_id: &e.application_id,
            application_name: &e.application_name,
            consumer: &e.consumer,
            key_type: &e.key_type,
            tier: &e.tier,
            group: &e.group,
            region: &e.region,
            method: &e.method,
            resource: &e.resource,
            status: i32::from(e.status),
            outcome: frame::outcome_code(e),
            latency_ms: e.latency_ms,
            backend_ms: e.backend_latency_ms,
            demo: e.instance == DEMO_INSTANCE,
        }
    }
}

/// A row's dimensions; those its kind does not keep are empty.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
struct Key<'a> {
    kind: u8,
    ts: i64,
    api_id: &'a str,
    application_id: &'a str,
    key_type: &'a str,
    group: &'a str,
    region: &'a str,
    consumer: &'a str,
    tier: &'a str,
    method: &'a str,
    resource: &'a str,
    status: i32,
    demo: bool,
}

#[derive(Default)]
struct Counts<'a> {
    api_name: &'a str,
    application_name: &'a str,
    requests: i64,
    errors: i64,
    latency: BTreeMap<u16, u32>,
    backend: BTreeMap<u16, u32>,
    minutes: BTreeMap<u16, u32>,
    /// Requests per outcome, in `Outcome::ALL`'s order.
    outcomes: [i64; 5],
}

/// The rollup rows of `samples`, ordered by kind and time (so a time filter skips row groups).
pub fn build<'a>(samples: impl IntoIterator<Item = Sample<'a>>) -> PolarsResult<DataFrame> {
    let mut rows: HashMap<Key<'a>, Counts<'a>> = HashMap::new();
    for s in samples {
        let hour = s.ts - s.ts.rem_euclid(HOUR);
        let filters = Key { ts: hour, api_id: s.api_id, application_id: s.application_id, key_type: s.key_type, group: s.group, ..Key::default() };
        let keys = [
            (Key { kind: Kind::Outcomes as u8, region: s.region, consumer: s.consumer, tier: s.tier, demo: s.demo, ..filters.clone() }, true),
            (Key { kind: Kind::Operations as u8, method: s.method, resource: s.resource, ..filters.clone() }, true),
            (Key { kind: Kind::Statuses as u8, status: s.status, ..filters.clone() }, true),
            (Key { kind: Kind::Minutes as u8, tier: s.tier, ..filters }, false),
        ];
        for (key, latencies) in keys {
            let backend = latencies && key.kind == Kind::Outcomes as u8;
            let minutes = key.kind == Kind::Minutes as u8;
            let row = rows.entry(key).or_default();
            row.api_name = s.api_name;
            row.application_name = s.application_name;
            row.requests += 1;
            row.errors += i64::from(s.outcome != 0);
            if let Some(count) = usize::try_from(s.outcome).ok().and_then(|i| row.outcomes.get_mut(i)) {
                *count += 1;
            }
            if latencies {
                *row.latency.entry(bucket(s.latency_ms)).or_default() += 1;
            }
            if let (true, Some(ms)) = (backend, s.backend_ms) {
                *row.backend.entry(bucket(ms)).or_default() += 1;
            }
            if minutes {
                *row.minutes.entry((s.ts.rem_euclid(HOUR) / MINUTE) as u16).or_default() += 1;
            }
        }
    }
    let mut rows: Vec<(Key, Counts)> = rows.into_iter().collect();
    rows.sort_unstable_by(|a, b| (a.0.kind, a.0.ts).cmp(&(b.0.kind, b.0.ts)));
    frame_of(&rows)
}

/// Two list columns per row: a sparse histogram's keys and its counts.
fn histogram_columns<'a>(rows: &[(Key<'a>, Counts<'a>)], buckets: &str, counts: &str, of: impl for<'r> Fn(&'r Counts<'a>) -> &'r BTreeMap<u16, u32>) -> [Column; 2] {
    let values: usize = rows.iter().map(|(_, c)| of(c).len()).sum();
    let mut b = ListPrimitiveChunkedBuilder::<UInt16Type>::new(buckets.into(), rows.len(), values, DataType::UInt16);
    let mut n = ListPrimitiveChunkedBuilder::<UInt32Type>::new(counts.into(), rows.len(), values, DataType::UInt32);
    for (_, c) in rows {
        let histogram = of(c);
        b.append_values_iter(histogram.keys().copied());
        n.append_values_iter(histogram.values().copied());
    }
    [b.finish().into_column(), n.finish().into_column()]
}

fn frame_of<'a>(rows: &[(Key<'a>, Counts<'a>)]) -> PolarsResult<DataFrame> {
    let text = |name: &str, f: &dyn Fn(&(Key<'a>, Counts<'a>)) -> &'a str| frame::categorical(name, rows.iter().map(f).collect());
    let int = |name: &str, f: &dyn Fn(&(Key<'a>, Counts<'a>)) -> i64| Column::new(name.into(), rows.iter().map(f).collect::<Vec<i64>>());
    let [latency_buckets, latency_counts] = histogram_columns(rows, LATENCY_BUCKETS, LATENCY_COUNTS, |c| &c.latency);
    let [backend_buckets, backend_counts] = histogram_columns(rows, BACKEND_BUCKETS, BACKEND_COUNTS, |c| &c.backend);
    let [minutes, minute_counts] = histogram_columns(rows, MINUTES, MINUTE_COUNTS, |c| &c.minutes);
    DataFrame::new_infer_height(vec![
        Column::new(KIND.into(), rows.iter().map(|(k, _)| i32::from(k.kind)).collect::<Vec<i32>>()),
        int(TS, &|(k, _)| k.ts),
        text(API_ID, &|(k, _)| k.api_id)?,
        text(API_NAME, &|(_, c)| c.api_name)?,
        text(APPLICATION_ID, &|(k, _)| k.application_id)?,
        text(APPLICATION_NAME, &|(_, c)| c.application_name)?,
        text(CONSUMER, &|(k, _)| k.consumer)?,
        text(KEY_TYPE, &|(k, _)| k.key_type)?,
        text(TIER, &|(k, _)| k.tier)?,
        text(GROUP, &|(k, _)| k.group)?,
        text(REGION, &|(k, _)| k.region)?,
        text(METHOD, &|(k, _)| k.method)?,
        text(RESOURCE, &|(k, _)| k.resource)?,
        Column::new(STATUS.into(), rows.iter().map(|(k, _)| k.status).collect::<Vec<i32>>()),
        int(SUCCESS, &|(_, c)| c.outcomes[0]),
        int(CLIENT_ERROR, &|(_, c)| c.outcomes[1]),
        int(SERVER_ERROR, &|(_, c)| c.outcomes[2]),
        int(THROTTLED, &|(_, c)| c.outcomes[3]),
        int(AUTH_FAILURE, &|(_, c)| c.outcomes[4]),
        Column::new(DEMO.into(), rows.iter().map(|(k, _)| k.demo).collect::<Vec<bool>>()),
        int(REQUESTS, &|(_, c)| c.requests),
        int(ERRORS, &|(_, c)| c.errors),
        latency_buckets,
        latency_counts,
        backend_buckets,
        backend_counts,
        minutes,
        minute_counts,
    ])
}

/// The rollup of a segment file written before rollups existed.
pub fn of_segment(segment: &DataFrame) -> PolarsResult<DataFrame> {
    let text = |name: &str| -> PolarsResult<Vec<String>> {
        let column = segment.column(name)?.cast(&DataType::String)?;
        Ok(column.str()?.iter().map(|v| v.unwrap_or_default().to_string()).collect())
    };
    let ints = |name: &str| -> PolarsResult<Vec<i64>> { Ok(segment.column(name)?.cast(&DataType::Int64)?.i64()?.iter().map(Option::unwrap_or_default).collect()) };
    let floats = |name: &str| -> PolarsResult<Vec<Option<f64>>> { Ok(segment.column(name)?.cast(&DataType::Float64)?.f64()?.iter().collect()) };
    let names = [API_ID, API_NAME, APPLICATION_ID, APPLICATION_NAME, CONSUMER, KEY_TYPE, TIER, GROUP, REGION, METHOD, RESOURCE];
    let columns: Vec<Vec<String>> = names.iter().map(|n| text(n)).collect::<PolarsResult<_>>()?;
    let (ts, status, outcome) = (ints(TS)?, ints(STATUS)?, ints(OUTCOME)?);
    let (latency, backend) = (floats(LATENCY)?, floats(BACKEND)?);
    let demo: Vec<bool> = segment.column(DEMO)?.bool()?.iter().map(Option::unwrap_or_default).collect();
    build((0..segment.height()).map(|i| {
        let t = |c: usize| columns[c][i].as_str();
        Sample {
            ts: ts[i],
            api_id: t(0),
            api_name: t(1),
            application_id: t(2),
            application_name: t(3),
            consumer: t(4),
            key_type: t(5),
            tier: t(6),
            group: t(7),
            region: t(8),
            method: t(9),
            resource: t(10),
            status: status[i] as i32,
            outcome: outcome[i] as i32,
            latency_ms: latency[i].unwrap_or_default(),
            backend_ms: backend[i],
            demo: demo[i],
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_stands_for_its_values_within_the_accuracy() {
        for ms in [0.0015, 0.2, 0.7, 1.0, 3.3, 35.0, 120.5, 999.9, 30_000.0, 3_600_000.0] {
            let read = value(bucket(ms));
            assert!((read - ms).abs() <= ms * ACCURACY * 1.000_001, "{ms} ms reads as {read}");
        }
        assert_eq!(bucket(0.0), 0);
        assert_eq!(value(bucket(0.0)), 0.0);
        assert!(bucket(1.0) < bucket(1.03), "buckets are narrower than 3 %");
    }

    #[test]
    fn percentiles_are_nearest_rank_over_the_merged_histogram() {
        // 1..=100 ms, the 100 split across two rows of the same bucket.
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        let mut buckets: Vec<u16> = values.iter().map(|&v| bucket(v)).collect();
        let mut counts = vec![1u32; 100];
        buckets.push(bucket(100.0));
        counts.push(0);
        let [p50, p95, p99] = percentiles(&buckets, &counts, &[0.5, 0.95, 0.99])[..] else { panic!("three percentiles") };
        // Ranks round(0.5 × 99) = 50, 94, 98 (0-based) → 51, 95, 99 ms.
        for (read, exact) in [(p50, 51.0), (p95, 95.0), (p99, 99.0)] {
            let read = read.expect("a value");
            assert!((read - exact).abs() <= exact * ACCURACY, "{read} for {exact}");
        }
        assert_eq!(percentiles(&[], &[], &[0.5]), vec![None]);
    }

    #[test]
    fn each_kind_counts_every_event_once() {
        let events = crate::demo::events_between(0, 2 * HOUR, 1_000_000.0, 7);
        let df = build(events.iter().map(Sample::of)).expect("rollup");
        let kinds = df.column(KIND).expect("kind").i32().expect("i32").clone();
        let requests = df.column(REQUESTS).expect("requests").i64().expect("i64").clone();
        for kind in [Kind::Outcomes, Kind::Operations, Kind::Statuses, Kind::Minutes] {
            let total: i64 = kinds.iter().zip(requests.iter()).filter(|(k, _)| *k == Some(kind as i32)).map(|(_, n)| n.unwrap_or(0)).sum();
            assert_eq!(total, events.len() as i64, "{kind:?}");
        }
        assert!(df.height() * 5 < events.len(), "{} rows for {} events", df.height(), events.len());
    }
}
