//! Webhooks: where deployments, lifecycle changes and alerts are announced, which events (and
//! which gateway groups' events) each URL hears, a test ping, and each delivery's outcome with
//! a way to send it again.

use super::AdminPage;
use crate::components::notice::ActionError;
use crate::functions::admin::{
    CreateWebhook, DeleteWebhook, PingWebhook, RedeliverWebhook, list_deliveries, list_webhooks,
};
use crate::functions::deploy::list_groups;
use crate::time::format_utc;
use gatehouse_contract::{WebhookEvent, WebhookRequest};
use leptos::prelude::*;
use std::time::Duration;

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let create = ServerAction::<CreateWebhook>::new();
    let delete = ServerAction::<DeleteWebhook>::new();
    let ping = ServerAction::<PingWebhook>::new();
    let redeliver = ServerAction::<RedeliverWebhook>::new();
    // The webhook whose removal waits for a second click.
    let removing = RwSignal::new(None::<String>);
    // Bumped to read the deliveries again while fresh ones are on their way.
    let poll = RwSignal::new(0u32);
    let hooks = Resource::new(move || (create.version().get(), delete.version().get()), |_| list_webhooks());
    let deliveries = Resource::new(
        move || {
            (
                create.version().get(),
                delete.version().get(),
                ping.version().get(),
                redeliver.version().get(),
                poll.get(),
            )
        },
        |_| list_deliveries(),
    );
    // A delivery not tried yet is sent within a second; look again shortly so its outcome shows.
    Effect::new(move |_| {
        let fresh = deliveries
            .get()
            .and_then(|r| r.ok())
            .is_some_and(|list| list.iter().any(|d| d.status == "pending" && d.attempts == 0));
        if fresh {
            set_timeout(move || poll.update(|n| *n += 1), Duration::from_millis(1500));
        }
    });
    view! {
        <AdminPage title="Webhooks">
            <section class="panel">
                <h2>"Webhooks"</h2>
                <p class="muted">"Deployments, API lifecycle changes, requests for review and their decisions, and alerts that fire or resolve ("<a href="/analytics/alerts">"Alerts"</a>") are POSTed as JSON to each URL that hears them, signed: "<code>"X-Gatehouse-Signature-256: sha256=HMAC-SHA256(secret, body)"</code>", the event named in "<code>"X-Gatehouse-Event"</code>". A webhook may hear only some gateway groups' events, so that each group's team points its own pipeline at its own releases. Failed deliveries are retried with exponential backoff."</p>
                <NewWebhook create=create/>
                <Transition fallback=|| ()>
                    {move || hooks.get().and_then(|r| r.ok()).map(|list| { let none = list.is_empty(); view! {
                        {none.then(|| view! { <p class="muted">"No webhooks yet: nothing is announced anywhere."</p> })}
                        <table class="table" hidden=none data-testid="webhooks">
                            <thead><tr><th>"URL"</th><th>"Hears"</th><th>"Of"</th><th>"Added"</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|h| view! {
                                    <tr data-testid="webhook">
                                        <td><code>{h.url.clone()}</code></td>
                                        <td>{h.hears_label()}</td>
                                        <td data-testid="webhook-groups">{h.groups_label()}</td>
                                        <td class="muted">{format_utc(h.created_at)}</td>
                                        <td class="nowrap">
                                            <button class="button small" on:click={let id = h.id.clone(); move |_| { ping.dispatch(PingWebhook { id: id.clone() }); }}>"Send test"</button>
                                            " "
                                            <RemoveButton id=h.id.clone() removing=removing delete=delete/>
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }})}
                </Transition>
                <ActionError result=ping.value().into()/>
                <ActionError result=delete.value().into()/>
            </section>
            <section class="panel">
                <h2>"Recent deliveries"</h2>
                <ActionError result=redeliver.value().into()/>
                <Transition fallback=|| ()>
                    {move || {
                        let urls = hooks.get().and_then(|r| r.ok()).unwrap_or_default();
                        deliveries.get().and_then(|r| r.ok()).map(|list| { let none = list.is_empty(); view! {
                            {none.then(|| view! { <p class="muted">"Nothing delivered yet."</p> })}
                            <table class="table" hidden=none data-testid="deliveries">
                                <thead><tr><th>"When"</th><th>"To"</th><th>"Event"</th><th>"Status"</th><th>"Attempts"</th><th>"Last answer"</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|d| {
                                        let to = urls.iter().find(|h| h.id == d.webhook_id).map(|h| h.url.clone()).unwrap_or_default();
                                        let finished = d.status != "pending";
                                        let id = d.id.clone();
                                        view! {
                                            <tr data-testid="delivery">
                                                <td class="muted nowrap">{format_utc(d.created_at)}</td>
                                                <td class="muted"><code>{to}</code></td>
                                                <td><code>{d.event.clone()}</code></td>
                                                <td data-testid="delivery-status">{d.status.clone()}</td>
                                                <td>{d.attempts}</td>
                                                <td class="muted">{d.last_answer()}</td>
                                                <td>{finished.then(|| view! {
                                                    <button class="button small" on:click=move |_| { redeliver.dispatch(RedeliverWebhook { id: id.clone() }); }>"Send again"</button>
                                                })}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }})
                    }}
                </Transition>
            </section>
        </AdminPage>
    }
}

/// Removal takes a second click: it takes the webhook's undelivered events with it, and a new
/// one gets a new secret the receiver must be told.
#[component]
fn RemoveButton(id: String, removing: RwSignal<Option<String>>, delete: ServerAction<DeleteWebhook>) -> impl IntoView {
    let asked = {
        let id = id.clone();
        move || removing.get().as_deref() == Some(id.as_str())
    };
    view! {
        <Show
            when=asked
            fallback={
                let id = id.clone();
                move || {
                    let id = id.clone();
                    view! { <button class="button small danger" on:click=move |_| removing.set(Some(id.clone()))>"Remove"</button> }
                }
            }
        >
            {
                let id = id.clone();
                view! {
                    <span role="alertdialog">
                        <button class="button small danger" on:click=move |_| { removing.set(None); delete.dispatch(DeleteWebhook { id: id.clone() }); }>"Yes, remove"</button>
                        " "
                        <button class="button small" on:click=move |_| removing.set(None)>"Keep"</button>
                    </span>
                }
            }
        </Show>
    }
}

#[component]
fn NewWebhook(create: ServerAction<CreateWebhook>) -> impl IntoView {
    let url = RwSignal::new(String::new());
    let events = RwSignal::new(Vec::<String>::new());
    let groups = RwSignal::new(Vec::<String>::new());
    let known_groups = Resource::new(|| (), |_| list_groups());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateWebhook {
            request: WebhookRequest {
                url: url.get_untracked(),
                events: events.get_untracked(),
                groups: groups.get_untracked(),
            },
        });
    };
    view! {
        <form class="form" on:submit=submit data-testid="webhook-form">
            <label>"URL" <input type="url" name="url" required placeholder="https://ci.example.com/gatehouse-hook" on:input=move |ev| url.set(event_target_value(&ev))/></label>
            <fieldset>
                <legend>"Events (none ticked: every event, kinds added later included)"</legend>
                {WebhookEvent::SUBSCRIBABLE.into_iter().map(|event| view! {
                    <label class="choice">
                        <input type="checkbox" value=event.as_str() on:change=tick(events, event.as_str().to_string())/>
                        <span><code>{event.as_str()}</code> " " <span class="muted">{event.description()}</span></span>
                    </label>
                }).collect_view()}
            </fieldset>
            <fieldset data-testid="webhook-group-choice">
                <legend>"Gateway groups (none ticked: every group's events, and those of no group — an alert over every API, an API in no group)"</legend>
                <Transition fallback=|| ()>
                    {move || known_groups.get().and_then(|r| r.ok()).map(|list| {
                        let none = list.is_empty();
                        view! {
                            {none.then(|| view! { <p class="muted">"No gateway groups yet."</p> })}
                            {list.into_iter().map(|summary| { let name = summary.group.name; view! {
                                <label class="choice">
                                    <input type="checkbox" value=name.clone() on:change=tick(groups, name.clone())/>
                                    <span><code>{name}</code></span>
                                </label>
                            }}).collect_view()}
                        }
                    })}
                </Transition>
            </fieldset>
            <button type="submit" class="button">"Add webhook"</button>
        </form>
        <ActionError result=create.value().into()/>
        {move || create.value().get().and_then(|r| r.ok()).map(|h| view! {
            <div class="callout" data-testid="new-webhook">
                <p><strong>"Webhook added."</strong> " Its signing secret is shown only now:"</p>
                <code class="secret">{h.secret}</code>
            </div>
        })}
    }
}

/// A checkbox's change handler: `name` joins `chosen` when ticked and leaves it when not.
fn tick(chosen: RwSignal<Vec<String>>, name: String) -> impl Fn(leptos::ev::Event) + 'static {
    move |ev| {
        let on = event_target_checked(&ev);
        chosen.update(|list| {
            list.retain(|x| x != &name);
            if on {
                list.push(name.clone());
            }
        });
    }
}
