//! Alerts: a condition on a recent window of the gateways' traffic, checked every minute by the
//! server, which records when it starts and stops holding and tells webhooks.

use crate::Totals;
use serde::{Deserialize, Serialize};

/// What an alert watches, read off the window's [`Totals`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertMetric {
    /// Percent of requests answered 5xx, an unreachable or timed-out backend included.
    ServerErrorRate,
    /// Percent of requests that did not succeed (4xx, throttled and auth failures too).
    ErrorRate,
    /// Total time in the gateway, 95th percentile, ms.
    LatencyP95,
    /// Total time in the gateway, 99th percentile, ms.
    LatencyP99,
    /// Time waiting for the backend, 95th percentile, ms.
    BackendLatencyP95,
    /// Requests refused over their tier.
    Throttled,
    /// Requests refused for their credential (missing, invalid, not subscribed).
    AuthFailures,
    /// Requests of any outcome; with `below`, traffic that stopped.
    Requests,
}

impl AlertMetric {
    pub const ALL: [AlertMetric; 8] = [
        AlertMetric::ServerErrorRate,
        AlertMetric::ErrorRate,
        AlertMetric::LatencyP95,
        AlertMetric::LatencyP99,
        AlertMetric::BackendLatencyP95,
        AlertMetric::Throttled,
        AlertMetric::AuthFailures,
        AlertMetric::Requests,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertMetric::ServerErrorRate => "server_error_rate",
            AlertMetric::ErrorRate => "error_rate",
            AlertMetric::LatencyP95 => "latency_p95",
            AlertMetric::LatencyP99 => "latency_p99",
            AlertMetric::BackendLatencyP95 => "backend_latency_p95",
            AlertMetric::Throttled => "throttled",
            AlertMetric::AuthFailures => "auth_failures",
            AlertMetric::Requests => "requests",
        }
    }

    pub fn parse(s: &str) -> Option<AlertMetric> {
        AlertMetric::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            AlertMetric::ServerErrorRate => "5xx rate",
            AlertMetric::ErrorRate => "Error rate (all failures)",
            AlertMetric::LatencyP95 => "Latency p95",
            AlertMetric::LatencyP99 => "Latency p99",
            AlertMetric::BackendLatencyP95 => "Backend latency p95",
            AlertMetric::Throttled => "Throttled requests",
            AlertMetric::AuthFailures => "Auth failures",
            AlertMetric::Requests => "Requests",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            AlertMetric::ServerErrorRate | AlertMetric::ErrorRate => "%",
            AlertMetric::LatencyP95 | AlertMetric::LatencyP99 | AlertMetric::BackendLatencyP95 => "ms",
            AlertMetric::Throttled | AlertMetric::AuthFailures | AlertMetric::Requests => "requests",
        }
    }

    /// The metric over a window, or `None` when the window has nothing to measure (a rate or
    /// a percentile of no requests): an alert never fires on no data, except `requests`, which
    /// is 0 then.
    pub fn value_of(self, totals: &Totals) -> Option<f64> {
        let percent = |count: u64| (totals.requests > 0).then(|| count as f64 * 100.0 / totals.requests as f64);
        match self {
            AlertMetric::ServerErrorRate => percent(totals.server_error),
            AlertMetric::ErrorRate => percent(totals.errors),
            AlertMetric::LatencyP95 => totals.latency.p95,
            AlertMetric::LatencyP99 => totals.latency.p99,
            AlertMetric::BackendLatencyP95 => totals.backend_latency.p95,
            AlertMetric::Throttled => Some(totals.throttled as f64),
            AlertMetric::AuthFailures => Some(totals.auth_failure as f64),
            AlertMetric::Requests => Some(totals.requests as f64),
        }
    }
}

/// Whether an alert holds above or below its threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    Above,
    Below,
}

impl Comparison {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Above => "above",
            Comparison::Below => "below",
        }
    }

    pub fn parse(s: &str) -> Option<Comparison> {
        [Comparison::Above, Comparison::Below].into_iter().find(|c| c.as_str() == s)
    }

    /// Strictly above or below: a threshold of 5 % is not crossed by exactly 5 %.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Above => value > threshold,
            Comparison::Below => value < threshold,
        }
    }
}

/// An alert as a publisher defines it (`POST /api/v1/alerts`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewAlert {
    pub name: String,
    /// One API's traffic; absent for every API's.
    #[serde(default)]
    pub api_id: Option<String>,
    pub metric: AlertMetric,
    pub comparison: Comparison,
    /// In the metric's unit: percent, milliseconds or requests.
    pub threshold: f64,
    /// The window the metric is measured over, ending at each check: 1 to 1,440 minutes.
    pub window_minutes: u32,
}

/// An alert and where it stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Alert {
    pub id: String,
    pub name: String,
    pub api_id: Option<String>,
    /// The API's name and version, absent for every API.
    pub api_name: Option<String>,
    pub metric: AlertMetric,
    pub comparison: Comparison,
    pub threshold: f64,
    pub window_minutes: u32,
    pub created_by: String,
    pub created_at: i64,
    /// When the condition started holding; absent while it does not.
    pub firing_since: Option<i64>,
    /// The metric at the last check (absent: no data to measure, or not checked yet).
    pub last_value: Option<f64>,
    pub last_checked_at: Option<i64>,
}

impl Alert {
    pub fn firing(&self) -> bool {
        self.firing_since.is_some()
    }

    /// `5xx rate above 5.0 % over 15 minutes`: what the alert watches, for people.
    pub fn condition(&self) -> String {
        format!(
            "{} {} {} over {}",
            self.metric.label(),
            self.comparison.as_str(),
            format_value(self.metric, self.threshold),
            window_label(self.window_minutes)
        )
    }
}

/// `15 minutes`, `1 hour`, `6 hours`, `1 day`.
pub fn window_label(minutes: u32) -> String {
    match minutes {
        1440 => "1 day".into(),
        60 => "1 hour".into(),
        m if m % 60 == 0 => format!("{} hours", m / 60),
        1 => "1 minute".into(),
        m => format!("{m} minutes"),
    }
}

/// An alert started or stopped holding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertEvent {
    pub id: String,
    pub alert_id: String,
    /// The alert's name when it happened (the alert may be gone since).
    pub alert_name: String,
    /// What the alert watched, the unit of `value` and `threshold`.
    pub metric: AlertMetric,
    /// `fired` or `resolved`.
    pub kind: String,
    /// The metric at that check; absent when it resolved for want of data.
    pub value: Option<f64>,
    pub threshold: f64,
    pub at: i64,
}

/// A reading of `metric` for people: [`format_value`], or `no data` when there was nothing to
/// measure.
pub fn format_reading(metric: AlertMetric, value: Option<f64>) -> String {
    value.map_or_else(|| "no data".into(), |v| format_value(metric, v))
}

/// `12.5 %`, `340 ms`, `1204 requests`: a value in its metric's unit, for people.
pub fn format_value(metric: AlertMetric, value: f64) -> String {
    match metric.unit() {
        "%" => format!("{:.1} %", value),
        "ms" => format!("{:.0} ms", value),
        _ => match value.round() as i64 {
            1 => "1 request".into(),
            n => format!("{n} requests"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Latency;

    #[test]
    fn metrics_read_the_window_and_say_when_there_is_nothing_to_measure() {
        let busy = Totals {
            requests: 200,
            errors: 30,
            server_error: 10,
            throttled: 7,
            auth_failure: 5,
            latency: Latency { p50: Some(3.0), p95: Some(40.0), p99: Some(90.0) },
            backend_latency: Latency { p50: Some(2.0), p95: Some(35.0), p99: Some(80.0) },
            ..Default::default()
        };
        let read: Vec<Option<f64>> = AlertMetric::ALL.iter().map(|m| m.value_of(&busy)).collect();
        assert_eq!(
            read,
            [Some(5.0), Some(15.0), Some(40.0), Some(90.0), Some(35.0), Some(7.0), Some(5.0), Some(200.0)]
        );
        let idle = Totals::default();
        let read: Vec<Option<f64>> = AlertMetric::ALL.iter().map(|m| m.value_of(&idle)).collect();
        assert_eq!(
            read,
            [None, None, None, None, None, Some(0.0), Some(0.0), Some(0.0)],
            "counts are 0, rates unknown"
        );
        for metric in AlertMetric::ALL {
            assert_eq!(AlertMetric::parse(metric.as_str()), Some(metric));
        }
    }

    #[test]
    fn thresholds_are_crossed_strictly() {
        assert!(Comparison::Above.holds(5.1, 5.0) && !Comparison::Above.holds(5.0, 5.0));
        assert!(Comparison::Below.holds(0.0, 1.0) && !Comparison::Below.holds(1.0, 1.0));
        assert_eq!(format_value(AlertMetric::ServerErrorRate, 12.345), "12.3 %");
        assert_eq!(format_value(AlertMetric::LatencyP95, 340.4), "340 ms");
        assert_eq!(format_value(AlertMetric::Requests, 1204.0), "1204 requests");
        assert_eq!(format_value(AlertMetric::AuthFailures, 1.0), "1 request");
        assert_eq!(format_reading(AlertMetric::LatencyP95, None), "no data");
        let labels: Vec<String> = [1, 5, 60, 120, 1440].into_iter().map(window_label).collect();
        assert_eq!(labels, ["1 minute", "5 minutes", "1 hour", "2 hours", "1 day"]);
    }
}
