//! Every chart's data as CSV (RFC 4180), for spreadsheets and scripts.

use gatehouse_contract::{Breakdown, Overview, Panel};

fn field(value: &str) -> String {
    // Quote when needed; a leading = + - @ is prefixed so a spreadsheet never runs it as a formula.
    let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_string() };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

fn number(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.3}")).unwrap_or_default()
}

fn iso(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

fn breakdown(rows: &[Breakdown]) -> String {
    let mut out = String::from("key,label,requests,errors,p95_ms\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            field(&r.key),
            field(&r.label),
            r.requests,
            r.errors,
            number(r.p95_ms)
        ));
    }
    out
}

/// The rows behind one panel.
pub fn render(overview: &Overview, panel: Panel) -> String {
    match panel {
        Panel::Traffic | Panel::ErrorRate | Panel::Latency => {
            let mut out = String::from(
                "bucket_start,requests,success,client_error,server_error,throttled,auth_failure,error_rate,p50_ms,p95_ms,p99_ms,backend_p50_ms,backend_p95_ms,backend_p99_ms\n",
            );
            for b in &overview.timeline {
                let t = &b.totals;
                out.push_str(&format!(
                    "{},{},{},{},{},{},{},{:.6},{},{},{},{},{},{}\n",
                    iso(b.start),
                    t.requests,
                    t.success,
                    t.client_error,
                    t.server_error,
                    t.throttled,
                    t.auth_failure,
                    t.error_rate,
                    number(t.latency.p50),
                    number(t.latency.p95),
                    number(t.latency.p99),
                    number(t.backend_latency.p50),
                    number(t.backend_latency.p95),
                    number(t.backend_latency.p99)
                ));
            }
            out
        }
        Panel::TopApis => breakdown(&overview.top_apis),
        Panel::TopApplications => breakdown(&overview.top_applications),
        Panel::TopConsumers => breakdown(&overview.top_consumers),
        Panel::Groups => breakdown(&overview.by_group),
        Panel::Operations => breakdown(&overview.operations),
        Panel::StatusCodes => breakdown(&overview.status_codes),
        Panel::TierUsage => {
            let mut out = String::from(
                "application_id,application,api_id,api,tier,requests_per_minute,peak_per_minute,requests,throttled\n",
            );
            for t in &overview.tier_usage {
                out.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{}\n",
                    field(&t.application_id),
                    field(&t.application_name),
                    field(&t.api_id),
                    field(&t.api_name),
                    field(&t.tier),
                    t.requests_per_minute.map(|n| n.to_string()).unwrap_or_else(|| "unlimited".into()),
                    t.peak_per_minute,
                    t.requests,
                    t.throttled
                ));
            }
            out
        }
    }
}
