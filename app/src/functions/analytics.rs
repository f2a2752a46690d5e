//! Server function of the analytics dashboards: check rights, compute the overview once and
//! draw its charts on the server (plotters SVG).

use crate::AppError;
use gatehouse_contract::{AnalyticsQuery, Overview, Panel};
use leptos::prelude::*;
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
    let charts = panels(consumer).iter().map(|panel| Chart { panel: *panel, svg: gatehouse_analytics::charts::render(&overview, *panel) }).collect();
    Ok(Dashboard { overview, charts })
}
