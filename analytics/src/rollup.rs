//! Rollups: what the dashboards need of a segment's events, counted per hour (per minute for
//! tier consumption) and written beside the segment when it is compacted. Ranges whose buckets
//! are whole hours (7 days, 30 days, long custom ranges) read rollups instead of every event,
//! so 10 million events become a few hundred thousand rows.
//!
//! Counts are exact. Latencies are kept as log-bucket histograms (DDSketch's mapping): a
//! percentile read from one is within [`ACCURACY`] of the exact nearest-rank value. Ranges of a
//! day or less read the events themselves and their percentiles are exact.

use crate::frame::*;
use polars::prelude::*;
use std::collections::BTreeMap;

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
            dense
                .iter()
                .position(|&n| {
                    seen += n;
                    seen > rank
                })
                .map(|b| value(b as u16))
        })
        .collect()
}

/// The text dimensions a rollup key holds, as category codes; a kind's unused ones hold the
/// code of "".
const DIMENSIONS: [&str; 9] = [API_ID, APPLICATION_ID, KEY_TYPE, GROUP, REGION, CONSUMER, TIER, METHOD, RESOURCE];
const D_API: usize = 0;
const D_APPLICATION: usize = 1;
const D_KEY_TYPE: usize = 2;
const D_GROUP: usize = 3;
const D_REGION: usize = 4;
const D_CONSUMER: usize = 5;
const D_TIER: usize = 6;
const D_METHOD: usize = 7;
const D_RESOURCE: usize = 8;

/// A row's dimensions. Text dimensions are the events' category codes (polars' global
/// categories): hashing and comparing nine integers per key instead of nine strings is what
/// makes the rollup cheap next to writing the segment.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    kind: u8,
    ts: i64,
    dims: [u32; 9],
    status: i32,
    demo: bool,
}

#[derive(Default)]
struct Counts {
    /// Category codes of the names, as the first event of the row has them.
    api_name: u32,
    application_name: u32,
    requests: i64,
    errors: i64,
    latency: BTreeMap<u16, u32>,
    backend: BTreeMap<u16, u32>,
    minutes: BTreeMap<u16, u32>,
    /// Requests per outcome, in `Outcome::ALL`'s order.
    outcomes: [i64; 5],
}

/// A text column's category codes in `dtype` (polars' global categories).
fn codes(events: &DataFrame, name: &str, dtype: &DataType) -> PolarsResult<Vec<u32>> {
    let column = events.column(name)?.cast(dtype)?;
    Ok(column.cat32()?.physical().iter().map(Option::unwrap_or_default).collect())
}

/// The rollup rows of a frame of events ([`crate::frame::of_events`] or a segment read back), ordered
/// by kind and time (so a time filter skips row groups).
pub fn build(events: &DataFrame) -> PolarsResult<DataFrame> {
    // Holds the mapping the codes refer to for as long as the rollup is built.
    let categories = Categories::global();
    let mapping = categories.mapping();
    let dtype = DataType::Categorical(categories, mapping.clone());
    let dims: Vec<Vec<u32>> = DIMENSIONS.iter().map(|name| codes(events, name, &dtype)).collect::<PolarsResult<_>>()?;
    let api_names = codes(events, API_NAME, &dtype)?;
    let application_names = codes(events, APPLICATION_NAME, &dtype)?;
    let empty = mapping.insert_cat("")?;
    let ts = events.column(TS)?.i64()?;
    let status = events.column(STATUS)?.i32()?;
    let outcome = events.column(OUTCOME)?.i32()?;
    let latency = events.column(LATENCY)?.f64()?;
    let backend = events.column(BACKEND)?.f64()?;
    let demo = events.column(DEMO)?.bool()?;

    let mut rows: PlHashMap<Key, Counts> = PlHashMap::default();
    for i in 0..events.height() {
        let ts = ts.get(i).unwrap_or_default();
        let hour = ts - ts.rem_euclid(HOUR);
        let dim = |d: usize| dims[d][i];
        let mut filters = [empty; 9];
        for d in [D_API, D_APPLICATION, D_KEY_TYPE, D_GROUP] {
            filters[d] = dim(d);
        }
        let with = |kept: &[usize]| {
            let mut dims = filters;
            for &d in kept {
                dims[d] = dim(d);
            }
            dims
        };
        let plain = Key { kind: 0, ts: hour, dims: filters, status: 0, demo: false };
        let keys = [
            Key {
                kind: Kind::Outcomes as u8,
                dims: with(&[D_REGION, D_CONSUMER, D_TIER]),
                demo: demo.get(i).unwrap_or_default(),
                ..plain
            },
            Key { kind: Kind::Operations as u8, dims: with(&[D_METHOD, D_RESOURCE]), ..plain },
            Key { kind: Kind::Statuses as u8, status: status.get(i).unwrap_or_default(), ..plain },
            Key { kind: Kind::Minutes as u8, dims: with(&[D_TIER]), ..plain },
        ];
        let outcome = outcome.get(i).unwrap_or_default();
        let latency = bucket(latency.get(i).unwrap_or_default());
        let backend = backend.get(i).map(bucket);
        for key in keys {
            let row = rows.entry(key).or_insert_with(|| Counts {
                api_name: api_names[i],
                application_name: application_names[i],
                ..Counts::default()
            });
            row.requests += 1;
            row.errors += i64::from(outcome != 0);
            if let Some(count) = usize::try_from(outcome).ok().and_then(|o| row.outcomes.get_mut(o)) {
                *count += 1;
            }
            match key.kind {
                k if k == Kind::Minutes as u8 => {
                    *row.minutes.entry((ts.rem_euclid(HOUR) / MINUTE) as u16).or_default() += 1
                }
                k => {
                    *row.latency.entry(latency).or_default() += 1;
                    if let (true, Some(b)) = (k == Kind::Outcomes as u8, backend) {
                        *row.backend.entry(b).or_default() += 1;
                    }
                }
            }
        }
    }
    let mut rows: Vec<(Key, Counts)> = rows.into_iter().collect();
    rows.sort_unstable_by_key(|(k, _)| (k.kind, k.ts));
    let mut columns = vec![
        Column::new(KIND.into(), rows.iter().map(|(k, _)| i32::from(k.kind)).collect::<Vec<i32>>()),
        Column::new(TS.into(), rows.iter().map(|(k, _)| k.ts).collect::<Vec<i64>>()),
    ];
    // The text columns in the order segments have them (older rollup files are read with these).
    for name in
        [API_ID, API_NAME, APPLICATION_ID, APPLICATION_NAME, CONSUMER, KEY_TYPE, TIER, GROUP, REGION, METHOD, RESOURCE]
    {
        let dim = DIMENSIONS.iter().position(|d| *d == name);
        let code = |(key, counts): &(Key, Counts)| match (name, dim) {
            (API_NAME, _) => counts.api_name,
            (APPLICATION_NAME, _) => counts.application_name,
            (_, Some(d)) => key.dims[d],
            (_, None) => empty,
        };
        let codes = UInt32Chunked::from_vec(name.into(), rows.iter().map(code).collect());
        columns.push(Categorical32Chunked::from_cats_and_dtype(codes, dtype.clone()).into_series().into_column());
    }
    let int = |name: &str, f: &dyn Fn(&Counts) -> i64| {
        Column::new(name.into(), rows.iter().map(|(_, c)| f(c)).collect::<Vec<i64>>())
    };
    let [latency_buckets, latency_counts] = histogram_columns(&rows, LATENCY_BUCKETS, LATENCY_COUNTS, |c| &c.latency);
    let [backend_buckets, backend_counts] = histogram_columns(&rows, BACKEND_BUCKETS, BACKEND_COUNTS, |c| &c.backend);
    let [minutes, minute_counts] = histogram_columns(&rows, MINUTES, MINUTE_COUNTS, |c| &c.minutes);
    columns.extend([
        Column::new(STATUS.into(), rows.iter().map(|(k, _)| k.status).collect::<Vec<i32>>()),
        int(SUCCESS, &|c| c.outcomes[0]),
        int(CLIENT_ERROR, &|c| c.outcomes[1]),
        int(SERVER_ERROR, &|c| c.outcomes[2]),
        int(THROTTLED, &|c| c.outcomes[3]),
        int(AUTH_FAILURE, &|c| c.outcomes[4]),
        Column::new(DEMO.into(), rows.iter().map(|(k, _)| k.demo).collect::<Vec<bool>>()),
        int(REQUESTS, &|c| c.requests),
        int(ERRORS, &|c| c.errors),
        latency_buckets,
        latency_counts,
        backend_buckets,
        backend_counts,
        minutes,
        minute_counts,
    ]);
    DataFrame::new_infer_height(columns)
}

/// Two list columns per row: a sparse histogram's keys and its counts.
fn histogram_columns(
    rows: &[(Key, Counts)],
    buckets: &str,
    counts: &str,
    of: impl Fn(&Counts) -> &BTreeMap<u16, u32>,
) -> [Column; 2] {
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
        let [p50, p95, p99] = percentiles(&buckets, &counts, &[0.5, 0.95, 0.99])[..] else {
            panic!("three percentiles")
        };
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
        let df = build(&of_events(&events).expect("frame")).expect("rollup");
        let kinds = df.column(KIND).expect("kind").i32().expect("i32").clone();
        let requests = df.column(REQUESTS).expect("requests").i64().expect("i64").clone();
        for kind in [Kind::Outcomes, Kind::Operations, Kind::Statuses, Kind::Minutes] {
            let total: i64 = kinds
                .iter()
                .zip(requests.iter())
                .filter(|(k, _)| *k == Some(kind as i32))
                .map(|(_, n)| n.unwrap_or(0))
                .sum();
            assert_eq!(total, events.len() as i64, "{kind:?}");
        }
        assert!(df.height() * 5 < events.len(), "{} rows for {} events", df.height(), events.len());
    }
}
