//! Alerts: conditions on the recent traffic that the server checks every minute, where each
//! stands, and when they fired and resolved. Publishers and admins manage every alert; a
//! creator those on their own APIs (the server decides).

use crate::app::use_auth;
use crate::components::guard::RequirePermission;
use crate::components::notice::ActionError;
use crate::functions::analytics::{CreateAlert, DeleteAlert, alert_history, list_alerts};
use crate::functions::apis::list_apis;
use crate::time::format_utc;
use gatehouse_contract::{Alert, AlertMetric, ApiQuery, Permission, format_reading, format_value, window_label};
use leptos::prelude::*;
use leptos_meta::Title;

/// The windows offered, in minutes.
const WINDOWS: [u32; 5] = [5, 15, 30, 60, 1440];

#[component]
pub fn AlertsPage() -> impl IntoView {
    let create = ServerAction::<CreateAlert>::new();
    let delete = ServerAction::<DeleteAlert>::new();
    let changed = move || (create.version().get(), delete.version().get());
    let alerts = Resource::new(changed, |_| list_alerts());
    let history = Resource::new(changed, |_| alert_history());
    let auth = use_auth();
    // A creator picks among their own APIs; every API's traffic is the publishers' to watch.
    let owner = move || auth.me().and_then(|me| (!me.role.can(Permission::ReviewApis)).then_some(me.email));
    let apis = Resource::new(owner, |owner| list_apis(ApiQuery { limit: Some(200), owner, ..Default::default() }));
    view! {
        <Title text="Alerts"/>
        <RequirePermission permission=Permission::DesignApis>
            <section class="page-head">
                <h1>"Alerts"</h1>
                <p class="lead">"Each alert is checked every minute against the events your gateways send. When one starts or stops holding it is recorded below and POSTed to each webhook that hears it ("<code>"alert.fired"</code>", "<code>"alert.resolved"</code>"; "<a href="/admin/webhooks">"Admin → Webhooks"</a>")."</p>
                <p><a href="/analytics">"← Analytics"</a></p>
            </section>
            <section class="panel">
                <h2>"New alert"</h2>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || apis.get().map(|r| { let apis = r.map(|page| page.items).unwrap_or_default(); view! {
                        <ActionForm action=create attr:class="form inline-form" attr:data-testid="new-alert">
                            <label>"Name" <input type="text" name="name" required maxlength="100" placeholder="Checkout 5xx"/></label>
                            <label>"Traffic of"
                                <select name="api_id">
                                    {auth.can(Permission::ReviewApis).then(|| view! { <option value="">"Every API"</option> })}
                                    {apis.into_iter().map(|a| view! {
                                        <option value=a.id.clone()>{format!("{} {}", a.name, a.version)}</option>
                                    }).collect_view()}
                                </select>
                            </label>
                            <label>"Metric"
                                <select name="metric">
                                    {AlertMetric::ALL.into_iter().map(|m| view! {
                                        <option value=m.as_str()>{match m.unit() { "requests" => m.label().to_string(), unit => format!("{} ({unit})", m.label()) }}</option>
                                    }).collect_view()}
                                </select>
                            </label>
                            <label>"Fires when"
                                <select name="comparison">
                                    <option value="above">"above"</option>
                                    <option value="below">"below"</option>
                                </select>
                            </label>
                            <label>"Threshold" <input type="number" name="threshold" required min="0" step="any" placeholder="5"/></label>
                            <label>"Over the last"
                                <select name="window_minutes">
                                    {WINDOWS.into_iter().map(|minutes| view! { <option value=minutes.to_string()>{window_label(minutes)}</option> }).collect_view()}
                                </select>
                            </label>
                            <button type="submit" class="button">"Add alert"</button>
                        </ActionForm>
                    }})}
                </Transition>
                <ActionError result=create.value().into()/>
            </section>
            <section class="panel">
                <h2>"Alerts"</h2>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || alerts.get().map(|r| match r {
                        Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No alerts yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="table" data-testid="alerts">
                                <thead><tr><th>"Alert"</th><th>"Traffic of"</th><th>"Fires when"</th><th>"State"</th><th>"Last checked"</th><th></th></tr></thead>
                                <tbody>{list.into_iter().map(|a| view! { <AlertRow alert=a delete/> }).collect_view()}</tbody>
                            </table>
                        }.into_any(),
                    })}
                </Transition>
                <ActionError result=delete.value().into()/>
            </section>
            <section class="panel">
                <h2>"History"</h2>
                <Transition fallback=|| ()>
                    {move || history.get().and_then(|r| r.ok()).map(|list| { let none = list.is_empty(); view! {
                        {none.then(|| view! { <p class="muted">"No alert has fired yet."</p> })}
                        <table class="table" hidden=none data-testid="alert-history">
                            <thead><tr><th>"When"</th><th>"Alert"</th><th>"Event"</th><th>"Value"</th><th>"Threshold"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|e| view! {
                                    <tr>
                                        <td class="muted nowrap">{format_utc(e.at)}</td>
                                        <td>{e.alert_name.clone()}</td>
                                        <td><span class=format!("badge alert-{}", e.kind)>{e.kind.clone()}</span></td>
                                        <td>{format_reading(e.metric, e.value)}</td>
                                        <td>{format_value(e.metric, e.threshold)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }})}
                </Transition>
            </section>
        </RequirePermission>
    }
}

#[component]
fn AlertRow(alert: Alert, delete: ServerAction<DeleteAlert>) -> impl IntoView {
    let value = format_reading(alert.metric, alert.last_value);
    let state = match alert.firing_since {
        Some(since) => {
            view! { <span class="badge alert-fired">"Firing"</span> " since " {format_utc(since)} }.into_any()
        }
        None => view! { <span class="badge alert-ok">"OK"</span> }.into_any(),
    };
    let condition = alert.condition();
    let watched = match (&alert.api_id, &alert.api_name) {
        (None, _) => "Every API".to_string(),
        (Some(_), Some(name)) => name.clone(),
        (Some(id), None) => format!("a removed API ({id})"),
    };
    let remove_label = format!("Remove alert {}", alert.name);
    let firing = alert.firing();
    view! {
        <tr data-testid="alert" class:firing=firing>
            <td><strong>{alert.name.clone()}</strong></td>
            <td>{watched}</td>
            <td>{condition}</td>
            <td data-testid="alert-state">{state} <span class="muted">" (" {value} ")"</span></td>
            <td class="muted nowrap">{alert.last_checked_at.map(format_utc).unwrap_or_else(|| "not yet".into())}</td>
            <td>
                <ActionForm action=delete attr:class="inline">
                    <input type="hidden" name="id" value=alert.id.clone()/>
                    <button type="submit" class="button small danger" aria-label=remove_label>"Remove"</button>
                </ActionForm>
            </td>
        </tr>
    }
}
