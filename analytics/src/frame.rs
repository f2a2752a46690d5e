//! Events as a polars frame: the one column layout shared by segments and recent events.

use gatehouse_contract::{GatewayEvent, Outcome};
use polars::prelude::*;

/// Column names, shared by the writer and the queries.
pub const TS: &str = "ts";
pub const API_ID: &str = "api_id";
pub const API_NAME: &str = "api_name";
pub const APPLICATION_ID: &str = "application_id";
pub const APPLICATION_NAME: &str = "application_name";
pub const CONSUMER: &str = "consumer";
pub const KEY_TYPE: &str = "key_type";
pub const TIER: &str = "tier";
pub const GROUP: &str = "group";
pub const REGION: &str = "region";
pub const METHOD: &str = "method";
pub const RESOURCE: &str = "resource";
pub const STATUS: &str = "status";
/// Index into [`Outcome::ALL`].
pub const OUTCOME: &str = "outcome";
pub const LATENCY: &str = "latency_ms";
/// Null when no backend was called.
pub const BACKEND: &str = "backend_ms";
pub const DEMO: &str = "demo";

/// Events from demo mode carry this instance name.
pub const DEMO_INSTANCE: &str = "demo-traffic";

fn outcome_code(event: &GatewayEvent) -> i32 {
    let outcome = Outcome::of(event.status, event.error);
    Outcome::ALL.iter().position(|o| *o == outcome).unwrap_or(0) as i32
}

/// The frame of `events`, in the order given. The text columns are dimensions with few distinct
/// values (APIs, applications, statuses of a deployment), so they are categoricals: Parquet
/// stores them dictionary-encoded and queries group and compare small integer codes instead of
/// strings. All share polars' global categories, so segments and recent events combine.
pub fn of_events(events: &[GatewayEvent]) -> PolarsResult<DataFrame> {
    let text = |name: &str, f: &dyn Fn(&GatewayEvent) -> &str| categorical(name, events.iter().map(f).collect());
    DataFrame::new_infer_height(vec![
        Column::new(TS.into(), events.iter().map(|e| e.timestamp).collect::<Vec<i64>>()),
        text(API_ID, &|e| &e.api_id)?,
        text(API_NAME, &|e| &e.api_name)?,
        text(APPLICATION_ID, &|e| &e.application_id)?,
        text(APPLICATION_NAME, &|e| &e.application_name)?,
        text(CONSUMER, &|e| &e.consumer)?,
        text(KEY_TYPE, &|e| &e.key_type)?,
        text(TIER, &|e| &e.tier)?,
        text(GROUP, &|e| &e.group)?,
        text(REGION, &|e| &e.region)?,
        text(METHOD, &|e| &e.method)?,
        text(RESOURCE, &|e| &e.resource)?,
        Column::new(STATUS.into(), events.iter().map(|e| i32::from(e.status)).collect::<Vec<i32>>()),
        Column::new(OUTCOME.into(), events.iter().map(outcome_code).collect::<Vec<i32>>()),
        Column::new(LATENCY.into(), events.iter().map(|e| e.latency_ms).collect::<Vec<f64>>()),
        Column::new(BACKEND.into(), events.iter().map(|e| e.backend_latency_ms).collect::<Vec<Option<f64>>>()),
        Column::new(DEMO.into(), events.iter().map(|e| e.instance == DEMO_INSTANCE).collect::<Vec<bool>>()),
    ])
}

/// A text column as a categorical of polars' global categories (see [`of_events`]).
fn categorical(name: &str, values: Vec<&str>) -> PolarsResult<Column> {
    Column::new(name.into(), values).cast(&DataType::from_categories(Categories::global()))
}
