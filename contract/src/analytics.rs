//! Analytics: what the dashboards and `GET /api/v1/analytics/overview` answer, computed from
//! the events gateways send.

use serde::{Deserialize, Serialize};

/// Which events to aggregate. Times are Unix ms; `from` inclusive, `to` exclusive. Empty filters
/// match everything the caller may see.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct AnalyticsQuery {
    /// Start (Unix ms). With `to` omitted: `range` before now.
    #[serde(default)]
    pub from: Option<i64>,
    #[serde(default)]
    pub to: Option<i64>,
    /// `1h`, `24h`, `7d` or `30d` (default `24h`); ignored when `from` is given.
    #[serde(default)]
    pub range: Option<String>,
    #[serde(default)]
    pub api: Option<String>,
    #[serde(default)]
    pub application: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    /// production | sandbox
    #[serde(default)]
    pub key_type: Option<String>,
}

/// How one request ended, as the charts stack them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 1xx–3xx.
    Success,
    /// 4xx other than throttling and authentication.
    ClientError,
    /// 5xx, including an unreachable backend.
    ServerError,
    /// Over the tier (429).
    Throttled,
    /// No, invalid or revoked credential; not subscribed (401/403).
    AuthFailure,
}

impl Outcome {
    pub const ALL: [Outcome; 5] =
        [Outcome::Success, Outcome::ClientError, Outcome::ServerError, Outcome::Throttled, Outcome::AuthFailure];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::ClientError => "client_error",
            Outcome::ServerError => "server_error",
            Outcome::Throttled => "throttled",
            Outcome::AuthFailure => "auth_failure",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Success => "2xx/3xx",
            Outcome::ClientError => "4xx",
            Outcome::ServerError => "5xx",
            Outcome::Throttled => "Throttled",
            Outcome::AuthFailure => "Auth failure",
        }
    }

    /// The gateway's answer, classified. Authentication and throttling are told apart from other
    /// 4xx by the gateway's error type, not the status alone.
    pub fn of(status: u16, error: Option<crate::ErrorType>) -> Outcome {
        use crate::ErrorType;
        match error {
            Some(ErrorType::Throttled) => Outcome::Throttled,
            Some(ErrorType::AuthFailure | ErrorType::NotSubscribed | ErrorType::InsufficientScope) => {
                Outcome::AuthFailure
            }
            _ if status >= 500 => Outcome::ServerError,
            _ if status >= 400 => Outcome::ClientError,
            _ => Outcome::Success,
        }
    }
}

/// Latency percentiles in milliseconds; `None` with no requests (or no backend calls).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Latency {
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Totals {
    pub requests: u64,
    /// Requests that did not succeed (every outcome but success).
    pub errors: u64,
    /// errors / requests, 0 with no requests.
    pub error_rate: f64,
    pub success: u64,
    pub client_error: u64,
    pub server_error: u64,
    pub throttled: u64,
    pub auth_failure: u64,
    /// Total time in the gateway.
    pub latency: Latency,
    /// Time waiting for the backend.
    pub backend_latency: Latency,
}

/// One time bucket: `start` (Unix ms) to `start + bucket_ms`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bucket {
    pub start: i64,
    pub totals: Totals,
}

/// A row of a "top" or breakdown table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Breakdown {
    /// What is counted: an API id, application id, consumer, group/region, `GET /pets/{id}`, a status code.
    pub key: String,
    /// How to show it: the API's or application's name, else the key.
    pub label: String,
    pub requests: u64,
    pub errors: u64,
    pub p95_ms: Option<f64>,
}

/// Requests of one application to one API in the current minute, against its tier.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TierUsage {
    pub application_id: String,
    pub application_name: String,
    pub api_id: String,
    pub api_name: String,
    pub tier: String,
    /// The tier's limit; `None` for unlimited.
    pub requests_per_minute: Option<u32>,
    /// The busiest minute in the range.
    pub peak_per_minute: u64,
    pub requests: u64,
    pub throttled: u64,
}

/// Every panel of a dashboard for one query.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Overview {
    pub from: i64,
    pub to: i64,
    pub bucket_ms: i64,
    pub totals: Totals,
    /// Every bucket of the range, empty ones included, oldest first.
    pub timeline: Vec<Bucket>,
    pub top_apis: Vec<Breakdown>,
    pub top_applications: Vec<Breakdown>,
    pub top_consumers: Vec<Breakdown>,
    /// key `group / region`.
    pub by_group: Vec<Breakdown>,
    /// key `METHOD /resource`, label with the API's name.
    pub operations: Vec<Breakdown>,
    pub status_codes: Vec<Breakdown>,
    pub tier_usage: Vec<TierUsage>,
    /// Some events in the range were generated by demo mode, not real gateways.
    pub includes_demo: bool,
    /// `None`: percentiles are exact. Ranges of days are read from hourly rollups, whose
    /// latency histograms give percentiles within this relative error (0.01 = 1 %).
    #[serde(default)]
    pub percentile_accuracy: Option<f64>,
}

/// The charts a dashboard draws, each downloadable as CSV.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Panel {
    Traffic,
    ErrorRate,
    Latency,
    TopApis,
    TopApplications,
    TopConsumers,
    Groups,
    Operations,
    StatusCodes,
    TierUsage,
}

impl Panel {
    pub const ALL: [Panel; 10] = [
        Panel::Traffic,
        Panel::ErrorRate,
        Panel::Latency,
        Panel::TopApis,
        Panel::TopApplications,
        Panel::TopConsumers,
        Panel::Groups,
        Panel::Operations,
        Panel::StatusCodes,
        Panel::TierUsage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Panel::Traffic => "traffic",
            Panel::ErrorRate => "error_rate",
            Panel::Latency => "latency",
            Panel::TopApis => "top_apis",
            Panel::TopApplications => "top_applications",
            Panel::TopConsumers => "top_consumers",
            Panel::Groups => "groups",
            Panel::Operations => "operations",
            Panel::StatusCodes => "status_codes",
            Panel::TierUsage => "tier_usage",
        }
    }

    pub fn parse(s: &str) -> Option<Panel> {
        Panel::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            Panel::Traffic => "Requests over time by outcome",
            Panel::ErrorRate => "Error rate over time",
            Panel::Latency => "Latency over time",
            Panel::TopApis => "Top APIs",
            Panel::TopApplications => "Top applications",
            Panel::TopConsumers => "Top consumers",
            Panel::Groups => "Requests by gateway group and region",
            Panel::Operations => "Requests by operation",
            Panel::StatusCodes => "Status codes",
            Panel::TierUsage => "Tier consumption",
        }
    }
}

/// A range name and its length in ms; the bucket sizes follow from it.
pub fn range_ms(range: &str) -> Option<i64> {
    Some(match range {
        "1h" => 3_600_000,
        "24h" => 86_400_000,
        "7d" => 7 * 86_400_000,
        "30d" => 30 * 86_400_000,
        _ => return None,
    })
}

/// A bucket size that gives 30–120 points for a range: 1 min for an hour, 15 min for a day,
/// 2 h for a week, 6 h for 30 days.
pub fn bucket_ms(span_ms: i64) -> i64 {
    const STEPS: [i64; 9] =
        [60_000, 300_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];
    STEPS.into_iter().find(|step| span_ms / step <= 120).unwrap_or(86_400_000)
}
