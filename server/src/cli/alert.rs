//! `gatehouse alert`: alerts on the gateways' traffic, defined and read from a pipeline
//! (publishers and admins).

use super::audit::rfc3339;
use super::table::Table;
use crate::remote::{Remote, RemoteError};
use clap::Subcommand;
use gatehouse_contract::{Alert, AlertEvent, AlertMetric, Comparison, format_reading, format_value};

#[derive(Subcommand, Debug)]
pub enum AlertCommand {
    /// Every alert and where it stands, firing ones first.
    List,
    /// Define an alert, checked at once and then every minute; webhooks hear when it fires
    /// and resolves.
    Create {
        #[arg(long)]
        name: String,
        /// server_error_rate, error_rate (percent), latency_p95, latency_p99,
        /// backend_latency_p95 (ms), throttled, auth_failures or requests (a count).
        #[arg(long, value_parser = parse_metric)]
        metric: AlertMetric,
        /// Fires while the metric is above this value…
        #[arg(long, conflicts_with = "below", required_unless_present = "below")]
        above: Option<f64>,
        /// …or below this one (`--metric requests --below 1`: traffic stopped).
        #[arg(long)]
        below: Option<f64>,
        /// Minutes of traffic measured, up to each check (1–1440).
        #[arg(long, default_value_t = 5)]
        window: u32,
        /// Only this API's traffic (its name, with --api-version); every API's without it.
        #[arg(long, requires = "api_version")]
        api: Option<String>,
        #[arg(long, requires = "api")]
        api_version: Option<String>,
    },
    /// Remove an alert (its history stays).
    Delete {
        #[arg(long)]
        id: String,
    },
    /// When alerts fired and resolved, newest first.
    History {
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
}

fn parse_metric(s: &str) -> Result<AlertMetric, String> {
    AlertMetric::parse(s)
        .ok_or_else(|| format!("unknown metric `{s}`; one of {}", AlertMetric::ALL.map(AlertMetric::as_str).join(", ")))
}

fn state(alert: &Alert) -> String {
    let value = format_reading(alert.metric, alert.last_value);
    if alert.firing() { format!("FIRING ({value})") } else { format!("ok ({value})") }
}

pub async fn run(remote: &Remote, command: AlertCommand) -> Result<(), RemoteError> {
    match command {
        AlertCommand::List => {
            let alerts: Vec<Alert> = remote.get("/alerts").await?;
            let mut table = Table::new(["ID", "NAME", "CONDITION", "STATE"]);
            for a in alerts {
                let condition = format!("{}, {}", a.condition(), a.api_name.as_deref().unwrap_or("every API"));
                table.row([a.id.clone(), a.name.clone(), condition, state(&a)]);
            }
            print!("{table}");
        }
        AlertCommand::Create { name, metric, above, below, window, api, api_version } => {
            let (comparison, threshold) = match (above, below) {
                (Some(t), _) => (Comparison::Above, t),
                (None, Some(t)) => (Comparison::Below, t),
                (None, None) => return Err(RemoteError::Usage("give --above or --below".into())),
            };
            let api_id = match (api, api_version) {
                (Some(name), Some(version)) => Some(remote.find(&name, &version).await?.id),
                _ => None,
            };
            let body = serde_json::json!({
                "name": name, "api_id": api_id, "metric": metric, "comparison": comparison,
                "threshold": threshold, "window_minutes": window,
            });
            let alert: Alert = remote.post("/alerts", &body).await?;
            println!("{} {}: {}", alert.id, alert.name, state(&alert));
        }
        AlertCommand::Delete { id } => {
            remote.delete(&format!("/alerts/{id}")).await?;
            println!("removed alert {id}");
        }
        AlertCommand::History { limit } => {
            let events: Vec<AlertEvent> = remote.get_with("/alerts/history", &[("limit", &limit.to_string())]).await?;
            for e in events {
                let value = format_reading(e.metric, e.value);
                let threshold = format_value(e.metric, e.threshold);
                println!("{:<29} {:<8} {:<24} {value} (threshold {threshold})", rfc3339(e.at), e.kind, e.alert_name);
            }
        }
    }
    Ok(())
}
