//! The consumer's dashboard: their applications (create, rename, delete), OAuth2 client
//! secrets and API keys per key type (each secret shown once), each application's
//! subscriptions with their status, and its webhook with its latest deliveries.

use crate::components::count;
use crate::components::guard::RequirePermission;
use crate::components::notice::ActionError;
use crate::functions::applications::{
    CreateApiKey, CreateApplication, DeleteApplication, GenerateClientSecret, PingApplicationWebhook,
    RemoveApplicationWebhook, RenameApplication, RevokeCredential, SetApplicationWebhook, list_applications,
};
use crate::functions::subscriptions::Unsubscribe;
use crate::time::format_utc;
use gatehouse_contract::{
    Application, ApplicationWebhook, LifecycleState, Permission, Subscription, SubscriptionStatus,
};
use leptos::prelude::*;
use leptos_meta::Title;
use std::time::Duration;

#[derive(Clone, Copy)]
struct Actions {
    secret: ServerAction<GenerateClientSecret>,
    key: ServerAction<CreateApiKey>,
    revoke: ServerAction<RevokeCredential>,
    rename: ServerAction<RenameApplication>,
    delete: ServerAction<DeleteApplication>,
    unsubscribe: ServerAction<Unsubscribe>,
    set_webhook: ServerAction<SetApplicationWebhook>,
    remove_webhook: ServerAction<RemoveApplicationWebhook>,
    ping_webhook: ServerAction<PingApplicationWebhook>,
}

#[component]
pub fn ApplicationsPage() -> impl IntoView {
    let create = ServerAction::<CreateApplication>::new();
    let actions = Actions {
        secret: ServerAction::new(),
        key: ServerAction::new(),
        revoke: ServerAction::new(),
        rename: ServerAction::new(),
        delete: ServerAction::new(),
        unsubscribe: ServerAction::new(),
        set_webhook: ServerAction::new(),
        remove_webhook: ServerAction::new(),
        ping_webhook: ServerAction::new(),
    };
    // Bumped to read the applications again while a webhook delivery is on its way.
    let poll = RwSignal::new(0u32);
    let apps = Resource::new(
        move || {
            (
                create.version().get(),
                actions.secret.version().get(),
                actions.key.version().get(),
                actions.revoke.version().get(),
                actions.rename.version().get(),
                actions.delete.version().get(),
                actions.unsubscribe.version().get(),
                (actions.set_webhook.version().get(), actions.remove_webhook.version().get()),
                (actions.ping_webhook.version().get(), poll.get()),
            )
        },
        |_| list_applications(),
    );
    // A delivery not tried yet is sent within a second; look again shortly so its outcome shows.
    Effect::new(move |_| {
        let fresh = apps.get().and_then(|r| r.ok()).is_some_and(|list| {
            list.iter()
                .filter_map(|app| app.webhook.as_ref())
                .any(|hook| hook.deliveries.iter().any(|d| d.status == "pending" && d.attempts == 0))
        });
        if fresh {
            set_timeout(move || poll.update(|n| *n += 1), Duration::from_millis(1500));
        }
    });
    // A created application's name is cleared from the form, ready for the next one.
    let new_application = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let (Some(Ok(_)), Some(form)) = (create.value().get(), new_application.get_untracked()) {
            form.reset();
        }
    });
    view! {
        <Title text="Applications"/>
        <RequirePermission permission=Permission::UsePortal>
            <section class="page-head">
                <h1>"Applications"</h1>
                <p class="lead">"An application holds the credentials your software calls APIs with, and its subscriptions: which APIs it may call, at which tier. Subscribe from an API's page in the " <a href="/portal">"portal"</a> "."</p>
            </section>
            <section class="panel">
                <h2>"New application"</h2>
                <ActionForm action=create node_ref=new_application attr:class="form inline-form">
                    <label>"Name" <input type="text" name="name" required maxlength="80" placeholder="Online store"/></label>
                    <label>"Description" <input type="text" name="description"/></label>
                    <button type="submit" class="button">"Create application"</button>
                </ActionForm>
                <ActionError result=create.value().into()/>
            </section>
            {move || actions.secret.value().get().and_then(|r| r.ok()).map(|s| view! {
                <section class="callout" data-testid="new-client-secret">
                    <p><strong>{format!("{} client credentials.", s.key_type)}</strong> " Copy the secret now: it will not be shown again."</p>
                    <p>"Client id " <code data-testid="client-id">{s.client_id.clone()}</code></p>
                    <code class="secret" data-testid="client-secret">{s.client_secret.clone()}</code>
                    {s.previous_secret_until.map(|until| view! {
                        <p data-testid="previous-secret-until">{format!("The previous secret works too until {}: move your software to the new one before then.", format_utc(until))}</p>
                    })}
                    <p>"An access token (valid for an hour) from them:"</p>
                    <pre class="code" data-testid="token-command">{token_command(&s.client_id, &s.client_secret)}</pre>
                    <p class="muted">"The token holds every OAuth2 scope of the APIs the application subscribes to; add " <code>"-d 'scope=…'"</code> " (names separated by spaces) for fewer."</p>
                </section>
            })}
            {move || actions.key.value().get().and_then(|r| r.ok()).map(|k| view! {
                <section class="callout" data-testid="new-api-key">
                    <p><strong>{format!("{} API key.", k.key_type)}</strong> " Copy it now: it will not be shown again."</p>
                    <code class="secret">{k.key}</code>
                    <p class="muted">"Send it in the " <code>"apikey"</code> " header of each call."</p>
                </section>
            })}
            {move || actions.set_webhook.value().get().and_then(|r| r.ok()).map(|h| view! {
                <section class="callout" data-testid="new-webhook-secret">
                    <p><strong>"Webhook set."</strong> " Copy its signing secret now: it will not be shown again."</p>
                    <code class="secret">{h.secret}</code>
                    <p class="muted">"Each delivery to " <code>{h.url}</code> " carries " <code>"X-Gatehouse-Signature-256: sha256=HMAC-SHA256(secret, body)"</code> "; check it before you act on one."</p>
                </section>
            })}
            <ActionError result=actions.unsubscribe.value().into()/>
            <ActionError result=actions.set_webhook.value().into()/>
            <ActionError result=actions.remove_webhook.value().into()/>
            <ActionError result=actions.ping_webhook.value().into()/>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || apps.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <section class="panel empty"><p class="muted">"No applications yet."</p></section> }.into_any(),
                    Ok(list) => list.into_iter().map(|app| view! { <ApplicationCard app actions/> }).collect_view().into_any(),
                })}
            </Transition>
        </RequirePermission>
    }
}

#[component]
fn ApplicationCard(app: Application, actions: Actions) -> impl IntoView {
    let id = app.id.clone();
    let (secret_id, key_id, delete_id, rename_id) = (id.clone(), id.clone(), id.clone(), id.clone());
    let key_type = RwSignal::new("production".to_string());
    let keep_previous = RwSignal::new(0u32);
    let has_client = app.credentials.iter().any(|c| c.kind == "oauth2" && c.revoked_at.is_none());
    let active = app.credentials.iter().filter(|c| c.revoked_at.is_none()).count();
    let rename_value = app.name.clone();
    view! {
        <section class="panel" data-testid="application" data-name=app.name.clone()>
            <div class="row">
                <h2>{app.name.clone()}</h2>
                <span class="muted">{format!("created {} · {}", format_utc(app.created_at), count(active as i64, "active credential", "active credentials"))}</span>
            </div>
            <div class="form inline-form">
                <label class="narrow-field">"Key type"
                    <select on:change=move |ev| key_type.set(event_target_value(&ev))>
                        <option value="production">"Production"</option>
                        <option value="sandbox">"Sandbox"</option>
                    </select>
                </label>
                // Asked only where there is a secret to replace.
                {has_client.then(|| view! {
                    <label class="keep-previous-field">"The old secret"
                        <select data-testid="keep-previous" on:change=move |ev| keep_previous.set(event_target_value(&ev).parse().unwrap_or(0))>
                            <option value="0">"stops working now"</option>
                            <option value="3600">"works for another hour"</option>
                            <option value="86400">"works for another day"</option>
                        </select>
                    </label>
                })}
                <button class="button" data-testid="generate-secret" on:click=move |_| {
                    actions.secret.dispatch(GenerateClientSecret {
                        id: secret_id.clone(),
                        key_type: key_type.get_untracked(),
                        keep_previous_seconds: keep_previous.get_untracked(),
                    });
                }>"Generate client secret"</button>
                <button class="button secondary" on:click=move |_| {
                    actions.key.dispatch(CreateApiKey { id: key_id.clone(), key_type: key_type.get_untracked() });
                }>"Create API key"</button>
            </div>
            {app.credentials.is_empty().then(|| view! {
                <p class="muted">"No credentials yet: generate a client secret (OAuth2 tokens) or create an API key, for production or the sandbox."</p>
            })}
            <table class="table compact" hidden=app.credentials.is_empty()>
                <thead><tr><th>"Kind"</th><th>"Key type"</th><th>"Client id / key"</th><th>"Created"</th><th></th></tr></thead>
                <tbody>
                    {app.credentials.iter().map(|c| {
                        let (app_id, cred_id) = (id.clone(), c.id.clone());
                        let revoked = c.revoked_at.is_some();
                        view! {
                            <tr class:revoked=revoked>
                                <td>{if c.kind == "oauth2" { "OAuth2 client" } else { "API key" }}</td>
                                <td>{c.key_type.clone()}</td>
                                <td><code>{c.client_id.clone().unwrap_or_else(|| format!("{}…", c.prefix))}</code></td>
                                <td class="muted">
                                    {format_utc(c.created_at)}
                                    {c.previous_secret_until.map(|until| view! {
                                        <br/><span data-testid="previous-secret-works">{format!("previous secret works until {}", format_utc(until))}</span>
                                    })}
                                </td>
                                <td>{(!revoked).then(|| view! {
                                    <button class="button small danger" on:click=move |_| {
                                        actions.revoke.dispatch(RevokeCredential { id: app_id.clone(), credential_id: cred_id.clone() });
                                    }>"Revoke"</button>
                                })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <h3>"Subscriptions"</h3>
            {if app.subscriptions.is_empty() {
                view! { <p class="muted">"None yet: open an API in the " <a href="/portal">"portal"</a> " and subscribe."</p> }.into_any()
            } else {
                view! {
                    <table class="table compact" data-testid="subscriptions">
                        <thead><tr><th>"API"</th><th>"Tier"</th><th>"Status"</th><th>"Since"</th><th></th></tr></thead>
                        <tbody>
                            {app.subscriptions.iter().map(|sub| {
                                let sub_id = sub.id.clone();
                                view! {
                                    <tr data-testid="subscription" data-api=sub.api_name.clone()>
                                        <td><SubscribedApi subscription=sub.clone()/></td>
                                        <td data-testid="subscription-tier">{sub.tier_label()}</td>
                                        <td>
                                            <span class=format!("badge sub-{}", sub.status.as_str()) data-testid="subscription-status">{sub.status.label()}</span>
                                            {(!sub.comment.is_empty()).then(|| view! { " " <span class="muted">{sub.comment.clone()}</span> })}
                                        </td>
                                        <td class="muted">{format_utc(sub.activated_at.unwrap_or(sub.created_at))}</td>
                                        // A suspended subscription stays until a publisher resumes it.
                                        <td>{(sub.status != SubscriptionStatus::Suspended).then(|| view! {
                                            <button class="button small danger" on:click=move |_| { actions.unsubscribe.dispatch(Unsubscribe { id: sub_id.clone() }); }>"Unsubscribe"</button>
                                        })}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <WebhookSection application=id.clone() webhook=app.webhook.clone() actions/>
            <div class="row section-foot">
                <ActionForm action=actions.rename attr:class="form inline-form">
                    <input type="hidden" name="id" value=rename_id/>
                    <label>"Rename" <input type="text" name="name" required maxlength="80" value=rename_value/></label>
                    <button type="submit" class="button small secondary">"Rename"</button>
                </ActionForm>
                <button class="button small danger" on:click=move |_| { actions.delete.dispatch(DeleteApplication { id: delete_id.clone() }); }>"Delete application"</button>
            </div>
        </section>
    }
}

/// Where the application is told what happens to its subscriptions, and how the latest
/// deliveries went.
#[component]
fn WebhookSection(application: String, webhook: Option<ApplicationWebhook>, actions: Actions) -> impl IntoView {
    let (ping_id, remove_id) = (application.clone(), application.clone());
    let current = webhook.as_ref().map(|h| h.url.clone()).unwrap_or_default();
    let set_label = if webhook.is_some() { "Change URL" } else { "Add webhook" };
    view! {
        <h3>"Webhook"</h3>
        <p class="muted">"Your software is told, as signed JSON, when an API this application subscribes to is deprecated, retired, blocked or published again (" <code>"api.lifecycle"</code> "), when a newer version of it is out (" <code>"api.new_version"</code> "), and when a publisher approves, turns down, suspends or resumes a subscription (" <code>"subscription.changed"</code> ")."</p>
        <ActionForm action=actions.set_webhook attr:class="form inline-form">
            <input type="hidden" name="id" value=application/>
            <label>"URL" <input type="url" name="url" required maxlength="2000" value=current placeholder="https://example.com/gatehouse-events"/></label>
            <button type="submit" class="button small secondary">{set_label}</button>
        </ActionForm>
        {webhook.map(|hook| {
            let none = hook.deliveries.is_empty();
            view! {
                <div class="row webhook-current">
                    <span>"Sends to " <code data-testid="webhook-url">{hook.url.clone()}</code> <span class="muted">{format!(" since {}. A new URL gets a new secret.", format_utc(hook.created_at))}</span></span>
                    <span class="nowrap">
                        <button class="button small" data-testid="ping-webhook" on:click=move |_| { actions.ping_webhook.dispatch(PingApplicationWebhook { id: ping_id.clone() }); }>"Send test"</button>
                        " "
                        <button class="button small danger" on:click=move |_| { actions.remove_webhook.dispatch(RemoveApplicationWebhook { id: remove_id.clone() }); }>"Remove webhook"</button>
                    </span>
                </div>
                {none.then(|| view! { <p class="muted">"Nothing sent yet."</p> })}
                <table class="table compact" hidden=none data-testid="webhook-deliveries">
                    <thead><tr><th>"When"</th><th>"Event"</th><th>"Status"</th><th>"Attempts"</th><th>"Last answer"</th></tr></thead>
                    <tbody>
                        {hook.deliveries.into_iter().map(|d| view! {
                            <tr data-testid="webhook-delivery">
                                <td class="muted nowrap">{format_utc(d.created_at)}</td>
                                <td><code>{d.event.clone()}</code></td>
                                <td data-testid="webhook-delivery-status">{d.status.clone()}</td>
                                <td>{d.attempts}</td>
                                <td class="muted">{d.last_answer()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }
        })}
    }
}

/// The API a subscription is to, and where its consumer should move when a newer version is
/// out: a deprecated version still answers, but not for ever; a retired one is gone from the
/// portal, so it is named without a link.
#[component]
fn SubscribedApi(subscription: Subscription) -> impl IntoView {
    let title = format!("{} {}", subscription.api_name, subscription.api_version);
    let state = subscription.api_state;
    let name = if state == LifecycleState::Retired {
        view! { <span>{title}</span> }.into_any()
    } else {
        view! { <a href=format!("/portal/apis/{}", subscription.api_id)>{title}</a> }.into_any()
    };
    let deprecated =
        (state == LifecycleState::Deprecated).then(|| view! { " " <span class="badge">"deprecated"</span> });
    let newer = subscription.newer_version.map(|v| {
        let lead = match state {
            LifecycleState::Deprecated | LifecycleState::Retired => "Move to ",
            _ => "Newer: ",
        };
        view! {
            <br/><small class="muted" data-testid="newer-version">{lead}<a href=format!("/portal/apis/{}", v.id)>{format!("{} {}", subscription.api_name, v.version)}</a></small>
        }
    });
    view! { {name} {deprecated} {newer} }
}

/// The curl command that exchanges client credentials for an access token at this server (as
/// the browser reaches it). Shown with the secret, which is on the page at that moment anyway.
fn token_command(client_id: &str, client_secret: &str) -> String {
    let origin = window().location().origin().unwrap_or_default();
    format!("curl -u '{client_id}:{client_secret}' -d grant_type=client_credentials {origin}/oauth2/token")
}
