//! Who calls the API: each application subscribed, its owner, tier and status. Publishers
//! suspend one subscription, saying why (the consumer reads it), and resume it.

use crate::app::use_auth;
use crate::functions::subscriptions::{LoadApiSubscribers, ResumeSubscription, SuspendSubscription};
use crate::time::format_date;
use gatehouse_contract::{ApiDetail, Permission, Subscription, SubscriptionStatus};
use leptos::prelude::*;

#[component]
pub fn SubscribersTab(api: ApiDetail) -> impl IntoView {
    let reviewer = use_auth().can_untracked(Permission::ReviewApis);
    let suspend = ServerAction::<SuspendSubscription>::new();
    let resume = ServerAction::<ResumeSubscription>::new();
    // Loaded by an action in the browser, not a resource: this tab is built inside the API
    // workspace's <Transition>, where a resource's id can pair with another build's data on
    // hydration (README, "Pages render whole on the server").
    let load = ServerAction::<LoadApiSubscribers>::new();
    let api_id = api.summary.id.clone();
    Effect::new(move |_| {
        suspend.version().get();
        resume.version().get();
        load.dispatch(LoadApiSubscribers { api_id: api_id.clone() });
    });
    view! {
        <section class="panel" data-testid="subscribers">
            <h2>"Subscribers"</h2>
            <p class="muted">{if reviewer {
                "Suspending a subscription stops that application's calls at the gateways at once, with the reason shown to its owner; the owner cannot unsubscribe to get round it. Resuming lets its next token call again."
            } else {
                "Publishers can suspend a subscription, saying why, and resume it."
            }}</p>
            {move || match load.value().get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(result) => match result {
                    Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                    Ok(items) if items.is_empty() => view! { <p class="muted" data-testid="no-subscribers">"No application subscribes yet."</p> }.into_any(),
                    Ok(items) => view! {
                        <table class="table" data-testid="subscriber-table">
                            <thead><tr><th>"Application"</th><th>"Owner"</th><th>"Tier"</th><th>"Status"</th><th>"Since"</th>{reviewer.then(|| view! { <th></th> })}</tr></thead>
                            <tbody>
                                {items.into_iter().map(|s| view! { <SubscriberRow subscription=s reviewer suspend resume/> }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                },
            }}
            {move || suspend.value().get().and_then(|r| r.err()).or_else(|| resume.value().get().and_then(|r| r.err())).map(|e| view! {
                <p class="error" role="alert">{e.message}</p>
            })}
        </section>
    }
}

#[component]
fn SubscriberRow(
    subscription: Subscription,
    reviewer: bool,
    suspend: ServerAction<SuspendSubscription>,
    resume: ServerAction<ResumeSubscription>,
) -> impl IntoView {
    let s = subscription;
    let since = format_date(s.activated_at.unwrap_or(s.created_at));
    let why_label = format!("Why suspend {}", s.application_name);
    let id = s.id.clone();
    let action = match s.status {
        SubscriptionStatus::Active => view! {
            <ActionForm action=suspend attr:class="inline-form">
                <input type="hidden" name="id" value=id.clone()/>
                <input type="text" name="reason" required maxlength="500" placeholder="Why (the owner reads it)" aria-label=why_label/>
                <button type="submit" class="button small danger" data-testid="suspend">"Suspend"</button>
            </ActionForm>
        }
        .into_any(),
        SubscriptionStatus::Suspended => view! {
            <ActionForm action=resume attr:class="inline-form">
                <input type="hidden" name="id" value=id/>
                <button type="submit" class="button small secondary" data-testid="resume">"Resume"</button>
            </ActionForm>
        }
        .into_any(),
        _ => ().into_any(),
    };
    view! {
        <tr data-testid="subscriber">
            <td>{s.application_name.clone()}</td>
            <td>{s.consumer.clone()}</td>
            <td>{s.tier_label()}</td>
            <td data-testid="subscriber-status">{s.status.label()}
                {(s.status == SubscriptionStatus::Suspended && !s.comment.is_empty()).then(|| view! { <br/><span class="muted">{s.comment.clone()}</span> })}
            </td>
            <td>{since}</td>
            {reviewer.then(|| view! { <td>{action}</td> })}
        </tr>
    }
}
