//! Analytics dashboards built from gateway events: a range picker, filters, headline figures
//! and charts drawn on the server, each with its data as CSV. Publishers and admins see every
//! API, creators their own APIs, consumers their own applications (checked on the server).

pub mod alerts;

use crate::app::use_auth;
use crate::components::guard::RequirePermission;
use crate::functions::analytics::{Dashboard, WithoutDrawings, alerts_if_managed, load_dashboard};
use crate::time::{format_date, format_utc, parse_date};
use gatehouse_contract::{AnalyticsQuery, Overview, Permission, Role};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

const RANGES: [(&str, &str); 4] = [("1h", "Last hour"), ("24h", "24 hours"), ("7d", "7 days"), ("30d", "30 days")];

/// The query the URL asks for: a named range, or `start`/`end` dates (UTC, end inclusive).
fn query_of(get: impl Fn(&str) -> Option<String>) -> AnalyticsQuery {
    let text = |k: &str| get(k).filter(|v| !v.is_empty());
    let start = text("start").and_then(|d| parse_date(&d));
    let end = text("end").and_then(|d| parse_date(&d)).map(|d| d + 86_400_000);
    AnalyticsQuery {
        from: start,
        to: start.and(end),
        range: if start.is_some() { None } else { text("range") },
        api: text("api"),
        application: text("application"),
        group: text("group"),
        key_type: text("key_type"),
    }
}

/// The URL query string of `query` (for links, CSV downloads).
fn query_string(query: &AnalyticsQuery) -> String {
    let mut parts = Vec::new();
    let mut push = |k: &str, v: &str| {
        parts.push(format!(
            "{k}={}",
            v.replace('%', "%25").replace('&', "%26").replace('#', "%23").replace('+', "%2B").replace(' ', "%20")
        ))
    };
    if let (Some(from), Some(to)) = (query.from, query.to) {
        push("from", &from.to_string());
        push("to", &to.to_string());
    } else if let Some(range) = &query.range {
        push("range", range);
    }
    for (k, v) in [
        ("api", &query.api),
        ("application", &query.application),
        ("group", &query.group),
        ("key_type", &query.key_type),
    ] {
        if let Some(v) = v {
            push(k, v);
        }
    }
    parts.join("&")
}

fn millis(value: Option<f64>) -> String {
    value.map(|v| if v >= 100.0 { format!("{v:.0} ms") } else { format!("{v:.1} ms") }).unwrap_or_else(|| "–".into())
}

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| query_of(|k| p.get(k))));
    let dashboard: Resource<_, WithoutDrawings> =
        Resource::new_with_options(move || query.get(), load_dashboard, false);
    let alerts = Resource::new(|| (), |_| alerts_if_managed());
    let auth = use_auth();
    let consumer = move || auth.me().is_some_and(|u| u.role == Role::Consumer);
    view! {
        <Title text="Analytics"/>
        <RequirePermission permission=Permission::ViewAnalytics>
            <section class="page-head">
                <h1>{move || if consumer() { "My applications' usage" } else { "Analytics" }}</h1>
                <p class="lead">{move || if consumer() {
                    "Requests of your applications per API, errors, latency and how close each subscription comes to its tier's limit."
                } else {
                    "Traffic, errors and latency from the events your gateways send. Publishers and admins see every API; creators see their own."
                }}</p>
                // The alerts the viewer manages; consumers manage none.
                <Transition fallback=|| ()>
                    {move || alerts.get().and_then(Result::ok).flatten().map(|list| {
                        let firing: Vec<String> = list.iter().filter(|a| a.firing()).map(|a| a.name.clone()).collect();
                        let summary = match firing.len() {
                            0 => format!("{} defined, none firing.", list.len()),
                            n => format!("{n} firing: {}.", firing.join(", ")),
                        };
                        view! {
                            <p data-testid="alerts-summary" class:callout=!firing.is_empty()>
                                <a href="/analytics/alerts" data-testid="alerts-link">"Alerts"</a>" — " {summary}
                            </p>
                        }
                    })}
                </Transition>
            </section>
            <RangePicker query/>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || dashboard.get().map(|r| match r {
                    Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                    Ok(d) => view! { <DashboardView dashboard=d query=query.get_untracked()/> }.into_any(),
                })}
            </Transition>
        </RequirePermission>
    }
}

#[component]
fn RangePicker(query: Memo<AnalyticsQuery>) -> impl IntoView {
    let link = move |range: &str| {
        let q = AnalyticsQuery { from: None, to: None, range: Some(range.to_string()), ..query.get() };
        format!("/analytics?{}", query_string(&q))
    };
    let active = move |range: &str| {
        let q = query.get();
        q.from.is_none() && q.range.as_deref().unwrap_or("24h") == range
    };
    view! {
        <nav class="tabs range-picker" aria-label="Time range" data-testid="range-picker">
            {RANGES.into_iter().map(|(range, label)| view! {
                <a href=move || link(range) aria-current=move || active(range).then_some("page") data-range=range>{label}</a>
            }).collect_view()}
        </nav>
        <form method="get" action="/analytics" class="inline-form custom-range" data-testid="custom-range">
            <label>"From " <input type="date" name="start" required value=move || query.get().from.map(format_date).unwrap_or_default()/></label>
            <label>" to " <input type="date" name="end" required value=move || query.get().to.map(|t| format_date(t - 1)).unwrap_or_default()/></label>
            {move || {
                let q = query.get();
                [("api", q.api), ("application", q.application), ("group", q.group), ("key_type", q.key_type)]
                    .into_iter()
                    .filter_map(|(k, v)| v.map(|v| view! { <input type="hidden" name=k value=v/> }))
                    .collect_view()
            }}
            <button type="submit" class="button small">"Show"</button>
        </form>
    }
}

#[component]
fn Filters(overview: Overview, query: AnalyticsQuery) -> impl IntoView {
    // The choices are what the current range has traffic for; a chosen one stays listed.
    let option = |value: String, label: String, chosen: &Option<String>| {
        let selected = chosen.as_deref() == Some(value.as_str());
        view! { <option value=value selected=selected>{label}</option> }
    };
    let mut apis: Vec<(String, String)> = overview.top_apis.iter().map(|b| (b.key.clone(), b.label.clone())).collect();
    let mut applications: Vec<(String, String)> =
        overview.top_applications.iter().map(|b| (b.key.clone(), b.label.clone())).collect();
    let mut groups: Vec<String> =
        overview.by_group.iter().map(|b| b.key.split(" / ").next().unwrap_or_default().to_string()).collect();
    groups.dedup();
    for (list, chosen) in [(&mut apis, &query.api), (&mut applications, &query.application)] {
        if let Some(c) = chosen.as_ref().filter(|c| !list.iter().any(|(k, _)| k == *c)) {
            list.push((c.clone(), c.clone()));
        }
    }
    if let Some(g) = query.group.as_ref().filter(|g| !groups.contains(g)) {
        groups.push(g.clone());
    }
    let (range, from, to) = (query.range.clone(), query.from, query.to);
    view! {
        <form method="get" action="/analytics" class="inline-form filters" data-testid="filters">
            {range.map(|r| view! { <input type="hidden" name="range" value=r/> })}
            {from.zip(to).map(|(f, t)| view! {
                <input type="hidden" name="start" value=format_date(f)/>
                <input type="hidden" name="end" value=format_date(t - 1)/>
            })}
            <label>"API "
                <select name="api"><option value="">"All"</option>
                    {apis.into_iter().map(|(k, l)| option(k, l, &query.api)).collect_view()}
                </select>
            </label>
            <label>" Application "
                <select name="application"><option value="">"All"</option>
                    {applications.into_iter().map(|(k, l)| option(k, l, &query.application)).collect_view()}
                </select>
            </label>
            <label>" Group "
                <select name="group"><option value="">"All"</option>
                    {groups.into_iter().map(|g| option(g.clone(), g, &query.group)).collect_view()}
                </select>
            </label>
            <label>" Key type "
                <select name="key_type"><option value="">"All"</option>
                    {["production", "sandbox"].map(|k| option(k.to_string(), k.to_string(), &query.key_type)).collect_view()}
                </select>
            </label>
            <button type="submit" class="button small">"Filter"</button>
        </form>
    }
}

#[component]
fn DashboardView(dashboard: Dashboard, query: AnalyticsQuery) -> impl IntoView {
    let overview = dashboard.overview;
    let t = overview.totals.clone();
    let range = format!("{} – {}", format_utc(overview.from), format_utc(overview.to));
    let filtered = [&query.api, &query.application, &query.group, &query.key_type].iter().any(|f| f.is_some());
    let csv_query = query_string(&AnalyticsQuery {
        from: Some(overview.from),
        to: Some(overview.to),
        range: None,
        ..query.clone()
    });
    view! {
        {overview.includes_demo.then(|| view! {
            <p class="notice demo" role="note" data-testid="demo-notice">"Includes demo traffic generated by demo mode, not by real gateways."</p>
        })}
        <Filters overview=overview.clone() query=query/>
        <p class="muted" data-testid="range">{range}</p>
        {overview.percentile_accuracy.map(|accuracy| view! {
            <p class="muted" data-testid="percentile-accuracy">{format!("Read from hourly rollups: counts are exact, latency percentiles within {:.0} %.", accuracy * 100.0)}</p>
        })}
        <section class="figures" aria-label="Headline figures">
            <div class="figure"><span class="label">"Requests"</span><strong data-testid="total-requests">{t.requests}</strong></div>
            <div class="figure"><span class="label">"Error rate"</span><strong data-testid="error-rate">{format!("{:.1} %", t.error_rate * 100.0)}</strong></div>
            <div class="figure"><span class="label">"Latency p50"</span><strong>{millis(t.latency.p50)}</strong></div>
            <div class="figure"><span class="label">"p95"</span><strong>{millis(t.latency.p95)}</strong></div>
            <div class="figure"><span class="label">"p99"</span><strong>{millis(t.latency.p99)}</strong></div>
            <div class="figure"><span class="label">"Backend p95"</span><strong>{millis(t.backend_latency.p95)}</strong></div>
        </section>
        {(t.requests == 0).then(|| view! { <NoTraffic filtered=filtered/> })}
        <section class="charts">
            {dashboard.charts.into_iter().map(|chart| {
                let href = format!("/api/v1/analytics/csv/{}.csv?{}", chart.panel.as_str(), csv_query);
                view! {
                    <figure class="chart-panel" data-testid="chart" data-panel=chart.panel.as_str()>
                        // Drawn by plotters on the server, which escapes every label it writes.
                        <div class="chart-svg" inner_html=chart.svg></div>
                        <figcaption>
                            {chart.panel.title()} " · "
                            <a href=href download=format!("{}.csv", chart.panel.as_str()) rel="external" data-testid="csv">"Download CSV"</a>
                        </figcaption>
                    </figure>
                }
            }).collect_view()}
        </section>
    }
    .into_any()
}

/// In place of charts with nothing to draw: what would put something there.
#[component]
fn NoTraffic(filtered: bool) -> impl IntoView {
    let auth = use_auth();
    let consumer = move || auth.me().is_some_and(|u| u.role == Role::Consumer);
    let words = move || match (filtered, consumer()) {
        (true, _) => ("No requests match these filters in this range.", "Clear a filter or pick a wider range."),
        (false, true) => (
            "No calls from your applications in this range.",
            "Subscribe an application to an API in the portal and call it through its gateway — from the API's try-it console or your own code; each call shows here within seconds.",
        ),
        (false, false) => (
            "No requests reached the gateways in this range.",
            "Each call through a group's gateway shows here within seconds: pick a wider range, or call an API from the portal's try-it console.",
        ),
    };
    view! {
        <section class="panel empty" data-testid="no-traffic">
            <h2>{move || words().0}</h2>
            <p class="muted">{move || words().1}</p>
            <a class="button" href="/portal" hidden=move || filtered || !consumer()>"Browse the portal"</a>
        </section>
    }
}
