//! The dashboards' aggregates, computed by polars over the events ([`Store::frame`]) or, for
//! ranges of days, their hourly rollups ([`Store::rollups`]); one set of plans serves both
//! ([`Detail`]). Percentiles are "nearest rank": the value at index round(q × (n − 1)) of the
//! sorted latencies, exact from events and within 1 % from rollups.

use crate::frame::*;
use crate::rollup::{self, Kind};
use crate::store::Store;
use gatehouse_contract::{
    AnalyticsQuery, Breakdown, Bucket, Latency, Outcome, Overview, Permission, Role, TierUsage, Totals, bucket_ms,
    range_ms,
};
use gatehouse_domain::{Actor, Db, DomainError, Result};
use polars::prelude::*;
use sqlx::Row;
use std::collections::HashMap;

/// The longest range a query may cover.
const MAX_SPAN_MS: i64 = 400 * 86_400_000;
const TOP: u32 = 10;

/// The time range of a query and its bucket size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from: i64,
    pub to: i64,
    pub bucket_ms: i64,
}

impl Window {
    /// `from`/`to` when given, else the named `range` (default 24 h) ending at `now`. Buckets
    /// are aligned to whole bucket sizes so a refresh moves them, not their edges.
    pub fn resolve(query: &AnalyticsQuery, now: i64) -> Result<Window> {
        let (from, to) = match (query.from, query.to) {
            (Some(from), to) => (from, to.unwrap_or(now)),
            (None, Some(_)) => return Err(DomainError::invalid("from", "required when `to` is given")),
            (None, None) => {
                let name = query.range.as_deref().filter(|r| !r.is_empty()).unwrap_or("24h");
                let span = range_ms(name)
                    .ok_or_else(|| DomainError::invalid("range", format!("`{name}` is not one of 1h, 24h, 7d, 30d")))?;
                (now - span, now)
            }
        };
        if from >= to {
            return Err(DomainError::invalid("from", "must be before `to`"));
        }
        if to - from > MAX_SPAN_MS {
            return Err(DomainError::invalid("from", "a query covers at most 400 days"));
        }
        let bucket = bucket_ms(to - from);
        let aligned = from - from.rem_euclid(bucket);
        Ok(Window { from: aligned, to, bucket_ms: bucket })
    }

    /// Whether hourly rollups can answer this window: its buckets are whole hours and it
    /// starts on an hour, so every hour's rollup rows fall in one bucket (an hour it ends inside
    /// is rolled up from its events: see [`Store::rollups`]). Ranges of a day or less have
    /// smaller buckets and read the events.
    pub fn whole_hours(&self) -> bool {
        let hour = rollup::HOUR;
        self.bucket_ms % hour == 0 && self.from % hour == 0
    }
}

/// Whose traffic a caller may see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Everything,
    /// A creator: their own APIs.
    Apis(Vec<String>),
    /// A consumer: their own applications.
    Applications(Vec<String>),
}

impl Scope {
    /// Publishers and admins see everything, creators the APIs they own, consumers their
    /// applications.
    pub async fn of(db: &Db, actor: &Actor) -> Result<Scope> {
        actor.require(Permission::ViewAnalytics)?;
        if actor.role.can(Permission::ReviewApis) {
            return Ok(Scope::Everything);
        }
        let sql = if actor.role == Role::Creator {
            "SELECT id FROM apis WHERE owner_id = $1"
        } else {
            "SELECT id FROM applications WHERE owner_id = $1"
        };
        let ids: Vec<String> =
            sqlx::query(sql).bind(&actor.user_id).fetch_all(&db.pool).await?.iter().map(|r| r.get(0)).collect();
        Ok(if actor.role == Role::Creator { Scope::Apis(ids) } else { Scope::Applications(ids) })
    }
}

fn failed(e: PolarsError) -> DomainError {
    DomainError::Internal(format!("analytics query: {e}"))
}

fn one_of(column: &str, values: &[String]) -> Expr {
    // Compared as the columns' categoricals, not as text (which would decode every row).
    let text = Series::new("values".into(), values);
    let list = text.cast(&DataType::from_categories(Categories::global())).unwrap_or(text);
    col(column).is_in(lit(list).implode(false), false)
}

/// The scope and the query's filters as one predicate.
fn predicate(query: &AnalyticsQuery, scope: &Scope) -> Expr {
    let mut predicate = lit(true);
    match scope {
        Scope::Everything => {}
        Scope::Apis(ids) => predicate = predicate.and(one_of(API_ID, ids)),
        Scope::Applications(ids) => predicate = predicate.and(one_of(APPLICATION_ID, ids)),
    }
    for (column, value) in
        [(API_ID, &query.api), (APPLICATION_ID, &query.application), (GROUP, &query.group), (KEY_TYPE, &query.key_type)]
    {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            predicate = predicate.and(col(column).eq(lit(value.to_string())));
        }
    }
    predicate
}

fn quantile(column: &str, q: f64, alias: &str) -> Expr {
    col(column).quantile(lit(q), QuantileMethod::Nearest).alias(alias)
}

const LATENCY_PERCENTILES: [(&str, f64); 3] = [("l50", 0.5), ("l95", 0.95), ("l99", 0.99)];
const BACKEND_PERCENTILES: [(&str, f64); 3] = [("b50", 0.5), ("b95", 0.95), ("b99", 0.99)];
const P95: [(&str, f64); 1] = [("p95", 0.95)];

/// What an overview is computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Every event: exact percentiles.
    Events,
    /// The segments' [`rollup`]s: exact counts, percentiles within [`rollup::ACCURACY`].
    Rollups,
}

/// The same measures over either source, so both run one set of plans.
impl Detail {
    fn requests(self) -> Expr {
        match self {
            Detail::Events => len().cast(DataType::Int64),
            Detail::Rollups => col(rollup::REQUESTS).sum(),
        }
        .alias("n")
    }

    /// Requests with `outcome` (index `i` of `Outcome::ALL`), named after it.
    fn outcome(self, i: usize, outcome: Outcome) -> Expr {
        match self {
            Detail::Events => col(OUTCOME).eq(lit(i as i32)).cast(DataType::Int64).sum(),
            // Rollups count each outcome in a column of its name.
            Detail::Rollups => col(outcome.as_str()).sum(),
        }
        .alias(outcome.as_str())
    }

    fn errors(self) -> Expr {
        match self {
            Detail::Events => col(OUTCOME).neq(lit(0)).cast(DataType::Int64).sum(),
            Detail::Rollups => col(rollup::ERRORS).sum(),
        }
        .alias("errors")
    }

    fn throttled(self) -> Expr {
        self.outcome(3, Outcome::Throttled)
    }

    /// The `wanted` percentiles of total (or backend) latency. From rollups these are the
    /// merged histograms' buckets and counts, which [`read_percentiles`] turns into the
    /// `wanted` columns once collected.
    fn latencies(self, backend: bool, wanted: &[(&str, f64)]) -> Vec<Expr> {
        match self {
            Detail::Events => {
                wanted.iter().map(|(alias, q)| quantile(if backend { BACKEND } else { LATENCY }, *q, alias)).collect()
            }
            Detail::Rollups => {
                let (buckets, counts) = histogram(backend);
                let flat = ExplodeOptions { empty_as_null: false, keep_nulls: false };
                vec![col(buckets).explode(flat), col(counts).explode(flat)]
            }
        }
    }

    /// The rows that count `kind`: rollups keep each kind apart; every event counts for all.
    fn of_kind(self, frame: &LazyFrame, kind: Kind) -> LazyFrame {
        match self {
            Detail::Events => frame.clone(),
            Detail::Rollups => frame.clone().filter(col(rollup::KIND).eq(lit(kind as i32))),
        }
    }
}

fn histogram(backend: bool) -> (&'static str, &'static str) {
    if backend {
        (rollup::BACKEND_BUCKETS, rollup::BACKEND_COUNTS)
    } else {
        (rollup::LATENCY_BUCKETS, rollup::LATENCY_COUNTS)
    }
}

/// Adds the `wanted` percentile columns of each row's merged histogram (see [`Detail::latencies`]).
fn read_percentiles(df: &mut DataFrame, backend: bool, wanted: &[(&str, f64)]) -> PolarsResult<()> {
    let (buckets, counts) = histogram(backend);
    let qs: Vec<f64> = wanted.iter().map(|(_, q)| *q).collect();
    let mut columns: Vec<Vec<Option<f64>>> = vec![Vec::with_capacity(df.height()); wanted.len()];
    let (bucket_lists, count_lists) = (df.column(buckets)?.list()?.clone(), df.column(counts)?.list()?.clone());
    for row in 0..df.height() {
        let (b, n) = (bucket_lists.get_as_series(row), count_lists.get_as_series(row));
        let read = match (b, n) {
            (Some(b), Some(n)) => {
                let (b, n) = (b.u16()?.rechunk(), n.u32()?.rechunk());
                rollup::percentiles(b.cont_slice()?, n.cont_slice()?, &qs)
            }
            _ => vec![None; qs.len()],
        };
        for (column, value) in columns.iter_mut().zip(read) {
            column.push(value);
        }
    }
    for ((name, _), values) in wanted.iter().zip(columns) {
        df.with_column(Column::new((*name).into(), values))?;
    }
    Ok(())
}

/// The totals of the timeline from rollups (before [`read_percentiles`]): its counts summed,
/// its buckets' histograms merged into one row.
fn sum_of_buckets(timeline: &DataFrame) -> PolarsResult<DataFrame> {
    let counts: Vec<Expr> =
        ["n"].into_iter().chain(Outcome::ALL.iter().map(|o| o.as_str())).map(|c| col(c).sum()).collect();
    let mut totals = timeline.clone().lazy().select(counts).collect()?;
    for (backend, wanted) in [(false, &LATENCY_PERCENTILES), (true, &BACKEND_PERCENTILES)] {
        let (buckets, counts) = histogram(backend);
        let (b, n) = (
            timeline.column(buckets)?.list()?.get_inner().rechunk(),
            timeline.column(counts)?.list()?.get_inner().rechunk(),
        );
        let qs: Vec<f64> = wanted.iter().map(|(_, q)| *q).collect();
        let read = rollup::percentiles(b.u16()?.cont_slice()?, n.u32()?.cont_slice()?, &qs);
        for ((name, _), value) in wanted.iter().zip(read) {
            totals.with_column(Column::new((*name).into(), [value]))?;
        }
    }
    Ok(totals)
}

/// Requests, each outcome's count and the latency percentiles of a set of events.
fn stats(detail: Detail) -> Vec<Expr> {
    let mut exprs = vec![detail.requests()];
    for (i, outcome) in Outcome::ALL.into_iter().enumerate() {
        exprs.push(detail.outcome(i, outcome));
    }
    exprs.extend(detail.latencies(false, &LATENCY_PERCENTILES));
    exprs.extend(detail.latencies(true, &BACKEND_PERCENTILES));
    exprs
}

/// Requests, errors and p95 per key, biggest first.
fn breakdown(detail: Detail, frame: &LazyFrame, kind: Kind, keys: &[&str], label: &str, limit: u32) -> LazyFrame {
    // Events without the first key (e.g. no application on an open operation) are left out.
    let present = if keys[0] == STATUS { lit(true) } else { col(keys[0]).neq(lit("")) };
    let by: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    let mut measures = vec![detail.requests(), detail.errors(), col(label).first().alias("label")];
    measures.extend(detail.latencies(false, &P95));
    detail
        .of_kind(frame, kind)
        .filter(present)
        .group_by(by)
        .agg(measures)
        // Ties in the keys' order, so the same data always lists the same way.
        .sort_by_exprs(
            [col("n")].into_iter().chain(keys.iter().map(|k| col(*k))).collect::<Vec<_>>(),
            SortMultipleOptions::default()
                .with_order_descending_multi(std::iter::once(true).chain(keys.iter().map(|_| false))),
        )
        .limit(limit)
}

/// Each subscription's requests, throttled requests and busiest minutes: from events, one row
/// per minute (its requests are its `peak`); from rollups, one row per hour with the requests
/// of each of its minutes, merged across groups and key types.
fn tier_rows(detail: Detail, frame: &LazyFrame) -> LazyFrame {
    let mut measures = vec![
        detail.requests(),
        detail.throttled(),
        col(APPLICATION_NAME).first().alias("application_name"),
        col(API_NAME).first().alias("api_name"),
    ];
    let rows = detail.of_kind(frame, Kind::Minutes).filter(col(APPLICATION_ID).neq(lit("")));
    match detail {
        Detail::Events => rows
            .with_column((col(TS) - col(TS) % lit(rollup::MINUTE)).alias("minute"))
            .group_by([col(APPLICATION_ID), col(API_ID), col(TIER), col("minute")])
            .agg(measures)
            .with_column(col("n").alias("peak")),
        Detail::Rollups => {
            let flat = ExplodeOptions { empty_as_null: false, keep_nulls: false };
            measures.extend([col(rollup::MINUTES).explode(flat), col(rollup::MINUTE_COUNTS).explode(flat)]);
            rows.group_by([col(APPLICATION_ID), col(API_ID), col(TIER), col(TS)]).agg(measures)
        }
    }
}

/// Adds each hour's busiest minute as `peak` (see [`tier_rows`]).
fn busiest_minutes(df: &mut DataFrame) -> PolarsResult<()> {
    let (minutes, counts) =
        (df.column(rollup::MINUTES)?.list()?.clone(), df.column(rollup::MINUTE_COUNTS)?.list()?.clone());
    let mut peaks = Vec::with_capacity(df.height());
    for row in 0..df.height() {
        let mut per_minute = [0i64; 60];
        if let (Some(m), Some(n)) = (minutes.get_as_series(row), counts.get_as_series(row)) {
            for (m, n) in m.u16()?.into_no_null_iter().zip(n.u32()?.into_no_null_iter()) {
                per_minute[usize::from(m).min(59)] += i64::from(n);
            }
        }
        peaks.push(per_minute.into_iter().max().unwrap_or(0));
    }
    df.with_column(Column::new("peak".into(), peaks))?;
    Ok(())
}

/// The biggest subscriptions with their busiest minute.
fn per_subscription(rows: LazyFrame) -> LazyFrame {
    rows.group_by([col(APPLICATION_ID), col(API_ID), col(TIER)])
        .agg([
            col("peak").max().alias("peak"),
            col("n").sum().alias("n"),
            col("throttled").sum().alias("throttled"),
            col("application_name").first(),
            col("api_name").first(),
        ])
        .sort_by_exprs(
            vec![col("n"), col(APPLICATION_ID), col(API_ID)],
            SortMultipleOptions::default().with_order_descending_multi([true, false, false]),
        )
        .limit(20)
}

fn int(df: &DataFrame, name: &str, row: usize) -> u64 {
    df.column(name).ok().and_then(|c| c.get(row).ok()).and_then(|v| v.extract::<i64>()).map_or(0, |v| v.max(0) as u64)
}

fn float(df: &DataFrame, name: &str, row: usize) -> Option<f64> {
    df.column(name).ok().and_then(|c| c.get(row).ok()).and_then(|v| v.extract::<f64>())
}

fn text(df: &DataFrame, name: &str, row: usize) -> String {
    match df.column(name).ok().and_then(|c| c.get(row).ok()) {
        Some(AnyValue::Null) | None => String::new(),
        Some(value) => value.get_str().map_or_else(|| value.to_string(), str::to_string),
    }
}

fn totals(df: &DataFrame, row: usize) -> Totals {
    let requests = int(df, "n", row);
    let count = |o: Outcome| int(df, o.as_str(), row);
    let errors = requests.saturating_sub(count(Outcome::Success));
    Totals {
        requests,
        errors,
        error_rate: if requests == 0 { 0.0 } else { errors as f64 / requests as f64 },
        success: count(Outcome::Success),
        client_error: count(Outcome::ClientError),
        server_error: count(Outcome::ServerError),
        throttled: count(Outcome::Throttled),
        auth_failure: count(Outcome::AuthFailure),
        latency: Latency { p50: float(df, "l50", row), p95: float(df, "l95", row), p99: float(df, "l99", row) },
        backend_latency: Latency { p50: float(df, "b50", row), p95: float(df, "b95", row), p99: float(df, "b99", row) },
    }
}

fn breakdown_rows(df: &DataFrame, keys: &[&str], separator: &str) -> Vec<Breakdown> {
    (0..df.height())
        .map(|row| {
            let key =
                keys.iter().map(|k| text(df, k, row)).filter(|k| !k.is_empty()).collect::<Vec<_>>().join(separator);
            let label = text(df, "label", row);
            Breakdown {
                label: if label.is_empty() { key.clone() } else { label },
                key,
                requests: int(df, "n", row),
                errors: int(df, "errors", row),
                p95_ms: float(df, "p95", row),
            }
        })
        .collect()
}

/// Every panel of the dashboard for `query`, limited to `scope`: from rollups when the
/// window allows it (see [`Window::whole_hours`]) and every segment in it has one, else from
/// the events.
pub async fn overview(store: &Store, query: &AnalyticsQuery, scope: &Scope, now: i64) -> Result<Overview> {
    overview_from(store, query, scope, now, Detail::Rollups).await
}

/// The same from the events alone, with exact percentiles (what rollups are checked against).
pub async fn exact_overview(store: &Store, query: &AnalyticsQuery, scope: &Scope, now: i64) -> Result<Overview> {
    overview_from(store, query, scope, now, Detail::Events).await
}

async fn overview_from(
    store: &Store,
    query: &AnalyticsQuery,
    scope: &Scope,
    now: i64,
    wanted: Detail,
) -> Result<Overview> {
    let window = Window::resolve(query, now)?;
    let rollups = if wanted == Detail::Rollups && window.whole_hours() {
        store.rollups(window.from, window.to).await?
    } else {
        None
    };
    let (detail, frame) = match rollups {
        Some(frame) => (Detail::Rollups, frame),
        None => (Detail::Events, store.frame(window.from, window.to).await?),
    };
    let frame = frame.filter(predicate(query, scope));
    let limits: HashMap<String, Option<u32>> = sqlx::query("SELECT name, requests_per_minute FROM tiers")
        .fetch_all(&store.db.pool)
        .await?
        .iter()
        .map(|r| (r.get::<String, _>(0), r.get::<Option<i64>, _>(1).and_then(|n| u32::try_from(n).ok())))
        .collect();
    tokio::task::spawn_blocking(move || compute(detail, frame, window, &limits))
        .await
        .map_err(|e| DomainError::Internal(format!("analytics query: {e}")))?
}

fn compute(
    detail: Detail,
    frame: LazyFrame,
    window: Window,
    limits: &HashMap<String, Option<u32>>,
) -> Result<Overview> {
    // Rollups are small: read them once. Left lazy, each panel's filter on its kind would be
    // pushed down into a scan of its own, decoding every file once per panel.
    let frame = match detail {
        Detail::Rollups => frame.collect().map_err(failed)?.lazy(),
        Detail::Events => frame,
    };
    let demo = col(DEMO).cast(DataType::Int64).sum().alias("demo");
    let outcomes = detail.of_kind(&frame, Kind::Outcomes);
    let plans = [
        match detail {
            Detail::Events => outcomes.clone().select(stats(detail).into_iter().chain([demo]).collect::<Vec<_>>()),
            // The range's totals are its buckets' (see `sum_of_buckets`): rollups need not be
            // merged twice.
            Detail::Rollups => outcomes.clone().select([demo]),
        },
        outcomes
            .with_column((col(TS) - (col(TS) - lit(window.from)) % lit(window.bucket_ms)).alias("bucket"))
            .group_by([col("bucket")])
            .agg(stats(detail)),
        breakdown(detail, &frame, Kind::Outcomes, &[API_ID], API_NAME, TOP),
        breakdown(detail, &frame, Kind::Outcomes, &[APPLICATION_ID], APPLICATION_NAME, TOP),
        breakdown(detail, &frame, Kind::Outcomes, &[CONSUMER], CONSUMER, TOP),
        breakdown(detail, &frame, Kind::Outcomes, &[GROUP, REGION], GROUP, TOP),
        breakdown(detail, &frame, Kind::Operations, &[METHOD, RESOURCE, API_ID], API_NAME, 20),
        breakdown(detail, &frame, Kind::Statuses, &[STATUS], STATUS, 50),
        match detail {
            Detail::Events => per_subscription(tier_rows(detail, &frame)),
            // The hours' busiest minutes are read after collecting; see `busiest_minutes`.
            Detail::Rollups => tier_rows(detail, &frame),
        },
    ];
    let frames = LazyFrame::collect_all_with_engine(
        plans.into_iter().map(|p| p.logical_plan).collect(),
        Engine::Auto,
        OptFlags::default(),
    )
    .map_err(failed)?;
    let [
        mut overall,
        mut timeline,
        mut apis,
        mut applications,
        mut consumers,
        mut groups,
        mut operations,
        mut statuses,
        mut tiers,
    ] = <[DataFrame; 9]>::try_from(frames)
        .map_err(|_| DomainError::Internal("analytics query: wrong number of results".into()))?;
    if detail == Detail::Rollups {
        let demo = overall.column("demo").map_err(failed)?.clone();
        overall = sum_of_buckets(&timeline).map_err(failed)?;
        overall.with_column(demo).map_err(failed)?;
        read_percentiles(&mut timeline, false, &LATENCY_PERCENTILES).map_err(failed)?;
        read_percentiles(&mut timeline, true, &BACKEND_PERCENTILES).map_err(failed)?;
        for df in [&mut apis, &mut applications, &mut consumers, &mut groups, &mut operations, &mut statuses] {
            read_percentiles(df, false, &P95).map_err(failed)?;
        }
        busiest_minutes(&mut tiers).map_err(failed)?;
        tiers = per_subscription(tiers.lazy()).collect().map_err(failed)?;
    }

    let by_bucket: HashMap<i64, Totals> =
        (0..timeline.height()).map(|row| (int(&timeline, "bucket", row) as i64, totals(&timeline, row))).collect();
    let mut buckets = Vec::new();
    let mut start = window.from;
    while start < window.to {
        buckets.push(Bucket { start, totals: by_bucket.get(&start).cloned().unwrap_or_default() });
        start += window.bucket_ms;
    }
    let mut operation_rows = breakdown_rows(&operations, &[METHOD, RESOURCE], " ");
    for (row, op) in operation_rows.iter_mut().enumerate() {
        // Labelled "API: GET /pets/{id}"; the key keeps the API id so equal paths stay apart.
        op.label = format!("{}: {}", op.label, op.key);
        op.key = format!("{} {}", text(&operations, API_ID, row), op.key);
    }
    let tier_usage = (0..tiers.height())
        .map(|row| {
            let tier = text(&tiers, TIER, row);
            TierUsage {
                application_id: text(&tiers, APPLICATION_ID, row),
                application_name: text(&tiers, "application_name", row),
                api_id: text(&tiers, API_ID, row),
                api_name: text(&tiers, "api_name", row),
                requests_per_minute: limits.get(&tier).copied().flatten(),
                tier,
                peak_per_minute: int(&tiers, "peak", row),
                requests: int(&tiers, "n", row),
                throttled: int(&tiers, "throttled", row),
            }
        })
        .collect();
    Ok(Overview {
        from: window.from,
        to: window.to,
        bucket_ms: window.bucket_ms,
        totals: totals(&overall, 0),
        includes_demo: int(&overall, "demo", 0) > 0,
        timeline: buckets,
        top_apis: breakdown_rows(&apis, &[API_ID], ""),
        top_applications: breakdown_rows(&applications, &[APPLICATION_ID], ""),
        top_consumers: breakdown_rows(&consumers, &[CONSUMER], ""),
        by_group: breakdown_rows(&groups, &[GROUP, REGION], " / ")
            .into_iter()
            .map(|b| Breakdown { label: b.key.clone(), ..b })
            .collect(),
        operations: operation_rows,
        status_codes: breakdown_rows(&statuses, &[STATUS], ""),
        tier_usage,
        percentile_accuracy: (detail == Detail::Rollups).then_some(rollup::ACCURACY),
    })
}

/// The totals alone of every event in [from, to) matching `query`'s filters: what an alert
/// checks each minute, without the dashboard's other panels.
pub async fn window_totals(store: &Store, query: &AnalyticsQuery, from: i64, to: i64) -> Result<Totals> {
    let frame = store.frame(from, to).await?.filter(predicate(query, &Scope::Everything));
    tokio::task::spawn_blocking(move || {
        let df = frame.select(stats(Detail::Events)).collect().map_err(failed)?;
        Ok(totals(&df, 0))
    })
    .await
    .map_err(|e| DomainError::Internal(format!("analytics query: {e}")))?
}

/// The overview `actor` may see for `query`: what the REST API and the dashboards both call.
pub async fn overview_for(store: &Store, actor: &Actor, query: &AnalyticsQuery) -> Result<Overview> {
    let scope = Scope::of(&store.db, actor).await?;
    overview(store, query, &scope, gatehouse_domain::store::now_ms()).await
}
