//! Server function of the analytics dashboards: check rights, compute the overview once and
//! draw its charts on the server (plotters SVG).

use crate::AppError;
use gatehouse_contract::{AnalyticsQuery, Overview, Panel};
use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// A chart as drawn by the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    pub panel: Panel,
    pub svg: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub overview: Overview,
    pub charts: Vec<Chart>,
}

/// How the analytics page carries a loaded dashboard from the server's render to the browser:
/// as JSON without the charts' SVG. The server-rendered HTML holds each chart already, and
/// hydrating an `inner_html` keeps what the server drew, so the drawings are not sent twice.
/// A dashboard loaded later in the browser (another range) comes from the server function, with
/// its drawings.
pub struct WithoutDrawings;

impl Encoder<Result<Dashboard, AppError>> for WithoutDrawings {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &Result<Dashboard, AppError>) -> Result<String, serde_json::Error> {
        let undrawn = value.as_ref().map(|d| Dashboard {
            overview: d.overview.clone(),
            charts: d.charts.iter().map(|c| Chart { panel: c.panel, svg: String::new() }).collect(),
        });
        serde_json::to_string(&undrawn)
    }
}

impl Decoder<Result<Dashboard, AppError>> for WithoutDrawings {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(json: &str) -> Result<Result<Dashboard, AppError>, serde_json::Error> {
        serde_json::from_str(json)
    }
}

/// The panels a role sees: consumers their usage and tier consumption; everyone else all.
pub fn panels(consumer: bool) -> &'static [Panel] {
    if consumer {
        &[Panel::Traffic, Panel::ErrorRate, Panel::Latency, Panel::TopApis, Panel::TierUsage, Panel::Operations]
    } else {
        &Panel::ALL
    }
}

#[server(input = Json)]
pub async fn load_dashboard(query: AnalyticsQuery) -> Result<Dashboard, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::ViewAnalytics).await?;
    let overview = gatehouse_analytics::query::overview_for(&context()?.analytics, &actor, &query).await?;
    let consumer = actor.role == gatehouse_contract::Role::Consumer;
    // With no requests there is nothing to draw: the page says what would fill the charts.
    let charts = match overview.totals.requests {
        0 => Vec::new(),
        _ => panels(consumer)
            .iter()
            .map(|panel| Chart { panel: *panel, svg: gatehouse_analytics::charts::render(&overview, *panel) })
            .collect(),
    };
    Ok(Dashboard { overview, charts })
}

#[server]
pub async fn list_alerts() -> Result<Vec<gatehouse_contract::Alert>, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(gatehouse_analytics::alerts::list(&context()?.db, &actor).await?)
}

/// The alerts the caller manages, or `None` for a caller who manages none (a consumer): the
/// dashboard sums them up for those who do.
#[server]
pub async fn alerts_if_managed() -> Result<Option<Vec<gatehouse_contract::Alert>>, AppError> {
    use super::ssr::{context, permitted};
    let Some(actor) = permitted(gatehouse_contract::Permission::DesignApis).await? else {
        return Ok(None);
    };
    Ok(Some(gatehouse_analytics::alerts::list(&context()?.db, &actor).await?))
}

#[server]
pub async fn alert_history() -> Result<Vec<gatehouse_contract::AlertEvent>, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(gatehouse_analytics::alerts::history(&context()?.db, &actor, 50).await?)
}

/// Define an alert from the page's form (`api_id` empty for every API).
#[server]
pub async fn create_alert(
    name: String,
    api_id: String,
    metric: gatehouse_contract::AlertMetric,
    comparison: gatehouse_contract::Comparison,
    threshold: String,
    window_minutes: u32,
) -> Result<gatehouse_contract::Alert, AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    let threshold = threshold.trim().parse::<f64>().map_err(|_| {
        AppError::from(gatehouse_domain::DomainError::invalid("threshold", format!("`{threshold}` is not a number")))
    })?;
    let alert =
        gatehouse_contract::NewAlert { name, api_id: Some(api_id), metric, comparison, threshold, window_minutes };
    Ok(gatehouse_analytics::alerts::create(&context()?.analytics, &actor, alert).await?)
}

#[server]
pub async fn delete_alert(id: String) -> Result<(), AppError> {
    use super::ssr::{context, require};
    let actor = require(gatehouse_contract::Permission::DesignApis).await?;
    Ok(gatehouse_analytics::alerts::delete(&context()?.db, &actor, &id).await?)
}
