//! Webhooks: where deployments and alerts are announced, with each delivery's outcome.

use super::AdminPage;
use crate::components::notice::ActionError;
use crate::functions::admin::{CreateWebhook, DeleteWebhook, list_deliveries, list_webhooks};
use crate::time::format_utc;
use leptos::prelude::*;

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let create = ServerAction::<CreateWebhook>::new();
    let delete = ServerAction::<DeleteWebhook>::new();
    let hooks = Resource::new(move || (create.version().get(), delete.version().get()), |_| list_webhooks());
    let deliveries = Resource::new(move || create.version().get(), |_| list_deliveries());
    view! {
        <AdminPage title="Webhooks">
            <section class="panel">
                <h2>"Webhooks"</h2>
                <p class="muted">"Every deployment, and every alert that fires or resolves ("<a href="/analytics/alerts">"Alerts"</a>"), is POSTed as JSON to each URL, signed: "<code>"X-Gatehouse-Signature-256: sha256=HMAC-SHA256(secret, body)"</code>". Failed deliveries are retried with exponential backoff."</p>
                <ActionForm action=create attr:class="form inline-form">
                    <label>"URL" <input type="url" name="url" required placeholder="https://ci.example.com/gatehouse-hook"/></label>
                    <button type="submit" class="button">"Add webhook"</button>
                </ActionForm>
                <ActionError result=create.value().into()/>
                {move || create.value().get().and_then(|r| r.ok()).map(|h| view! {
                    <div class="callout" data-testid="new-webhook">
                        <p><strong>"Webhook added."</strong> " Its signing secret is shown only now:"</p>
                        <code class="secret">{h.secret}</code>
                    </div>
                })}
                <Transition fallback=|| ()>
                    {move || hooks.get().and_then(|r| r.ok()).map(|list| { let none = list.is_empty(); view! {
                        {none.then(|| view! { <p class="muted">"No webhooks yet: deployments and alerts are not announced anywhere."</p> })}
                        <table class="table" hidden=none>
                            <thead><tr><th>"URL"</th><th>"Added"</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|h| view! {
                                    <tr>
                                        <td><code>{h.url.clone()}</code></td>
                                        <td class="muted">{format_utc(h.created_at)}</td>
                                        <td>
                                            <ActionForm action=delete attr:class="inline">
                                                <input type="hidden" name="id" value=h.id.clone()/>
                                                <button type="submit" class="button small danger">"Remove"</button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }})}
                </Transition>
            </section>
            <section class="panel">
                <h2>"Recent deliveries"</h2>
                <Transition fallback=|| ()>
                    {move || deliveries.get().and_then(|r| r.ok()).map(|list| { let none = list.is_empty(); view! {
                        {none.then(|| view! { <p class="muted">"Nothing delivered yet."</p> })}
                        <table class="table" hidden=none>
                            <thead><tr><th>"When"</th><th>"Event"</th><th>"Status"</th><th>"Attempts"</th><th>"Last answer"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|d| view! {
                                    <tr>
                                        <td class="muted nowrap">{format_utc(d.created_at)}</td>
                                        <td><code>{d.event.clone()}</code></td>
                                        <td>{d.status.clone()}</td>
                                        <td>{d.attempts}</td>
                                        <td class="muted">{d.last_status.map(|s| s.to_string()).unwrap_or_default()} " " {d.last_error.clone()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }})}
                </Transition>
            </section>
        </AdminPage>
    }
}
