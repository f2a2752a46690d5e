//! The lifecycle: the actions the current state allows, for the caller's role. Steps that
//! cannot be undone ask for confirmation first.

use super::super::state_badge;
use super::Reload;
use crate::app::use_auth;
use crate::components::count;
use crate::functions::apis::{ChangeLifecycle, DeleteApi};
use crate::functions::subscriptions::LoadApiSubscribers;
use gatehouse_contract::{
    ApiDetail, LifecycleAction, LifecycleRequest, LifecycleState, Permission, SubscriptionStatus,
};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

#[component]
pub fn LifecycleTab(api: ApiDetail) -> impl IntoView {
    let reload = expect_context::<Reload>();
    let auth = use_auth();
    let change = ServerAction::<ChangeLifecycle>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = change.value().get() {
            reload.now();
        }
    });
    let comment = RwSignal::new(String::new());
    let deprecate_older = RwSignal::new(false);
    let resubscribe = RwSignal::new(false);
    let pending = RwSignal::new(None::<LifecycleAction>);
    let reviewer = auth.can_untracked(Permission::ReviewApis);
    let actions: Vec<LifecycleAction> = api
        .summary
        .state
        .actions()
        .into_iter()
        .filter(|a| if a.is_creators() { api.editable } else { reviewer })
        .collect();
    let id = api.summary.id.clone();
    let run = move |action: LifecycleAction, confirm: bool| {
        change.dispatch(ChangeLifecycle {
            id: id.clone(),
            request: LifecycleRequest {
                action: action.as_str().into(),
                comment: comment.get_untracked(),
                confirm,
                deprecate_older_versions: deprecate_older.get_untracked(),
                require_resubscription: resubscribe.get_untracked(),
            },
        });
        pending.set(None);
    };
    let run_confirmed = run.clone();
    // Who still calls the API, asked for when a step that cannot be undone is about to be
    // confirmed: the publisher should know whose calls deprecation or retirement touches.
    let subscribers = ServerAction::<LoadApiSubscribers>::new();
    let api_id = api.summary.id.clone();
    let can_publish = actions.contains(&LifecycleAction::Publish);
    let deletable = api.editable && matches!(api.summary.state, LifecycleState::Created | LifecycleState::Prototyped);
    view! {
        <section class="panel" data-testid="lifecycle">
            <h2>"Lifecycle"</h2>
            <p>"Current state: " {state_badge(api.summary.state)}</p>
            {if actions.is_empty() {
                view! { <p class="muted">"No step is open to you from this state."</p> }.into_any()
            } else {
                view! {
                    <label class="form">"Comment (kept in the audit log)" <input type="text" maxlength="1000" value=comment.get_untracked() on:input=move |ev| comment.set(event_target_value(&ev))/></label>
                    {can_publish.then(|| view! {
                        <div class="checks">
                            <label class="checkbox"><input type="checkbox" on:change=move |ev| deprecate_older.set(event_target_checked(&ev))/> "On publish, deprecate older versions"</label>
                            <label class="checkbox"><input type="checkbox" on:change=move |ev| resubscribe.set(event_target_checked(&ev))/> "On publish, require re-subscription"</label>
                        </div>
                    })}
                    <div class="actions">
                        {actions.into_iter().map(|action| {
                            let run = run.clone();
                            let api_id = api_id.clone();
                            let class = if action.is_irreversible() { "button danger" } else { "button" };
                            view! {
                                <button class=class data-action=action.as_str() on:click=move |_| {
                                    if action.is_irreversible() {
                                        pending.set(Some(action));
                                        subscribers.dispatch(LoadApiSubscribers { api_id: api_id.clone() });
                                    } else {
                                        run(action, false);
                                    }
                                }>{action.label()}</button>
                            }
                        }).collect_view()}
                    </div>
                }.into_any()
            }}
            {move || pending.get().map(|action| {
                let run = run_confirmed.clone();
                view! {
                    <div class="callout confirm" role="alertdialog" data-testid="confirm">
                        <p><strong>{format!("{} cannot be undone.", action.label())}</strong>
                           {if action == LifecycleAction::Retire { " A retired API is gone from the portal and its gateways for good." } else { " A deprecated API can only be retired afterwards." }}</p>
                        {move || subscribers.value().get().and_then(Result::ok).map(|list| {
                            let active = list.iter().filter(|s| s.status == SubscriptionStatus::Active).count() as i64;
                            let effect = if action == LifecycleAction::Retire {
                                "retiring refuses their calls; their owners are told to move to a newer version"
                            } else {
                                "deprecating keeps their calls working, takes no new subscriptions and asks their owners to move"
                            };
                            view! {
                                <p data-testid="confirm-subscribers">{if active == 0 {
                                    "No application calls it through an active subscription.".to_string()
                                } else {
                                    format!("{} through an active subscription: {effect}.", count(active, "application calls it", "applications call it"))
                                }}</p>
                            }
                        })}
                        <button class="button danger" data-testid="confirm-action" on:click=move |_| run(action, true)>{format!("Yes, {}", action.as_str())}</button>
                        " "
                        <button class="button secondary" on:click=move |_| pending.set(None)>"Cancel"</button>
                    </div>
                }
            })}
            {move || change.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.message}</p> })}
        </section>
        {deletable.then(|| view! { <DeleteApiPanel id=api.summary.id.clone()/> })}
    }
}

/// Deleting an API version that never went live: imported by mistake, or abandoned. The server
/// refuses one that was deployed or has subscriptions: those stay, as the record of what was served.
#[component]
fn DeleteApiPanel(id: String) -> impl IntoView {
    let delete = ServerAction::<DeleteApi>::new();
    let asked = RwSignal::new(false);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            navigate("/publisher", Default::default());
        }
    });
    view! {
        <section class="panel" data-testid="delete-api">
            <h2>"Delete"</h2>
            <p class="muted">"An API that never went live — never deployed to a gateway group, no subscriptions — can be deleted with its revisions, documents and review requests. One that went live stays, and leaves its gateways by deprecation and retirement."</p>
            {move || if asked.get() {
                let id = id.clone();
                view! {
                    <div class="callout confirm" role="alertdialog">
                        <p><strong>"Deleting cannot be undone."</strong></p>
                        <button class="button danger" data-testid="confirm-delete" on:click=move |_| { delete.dispatch(DeleteApi { id: id.clone() }); }>"Yes, delete it"</button>
                        " "
                        <button class="button secondary" on:click=move |_| asked.set(false)>"Cancel"</button>
                    </div>
                }.into_any()
            } else {
                view! { <button class="button danger" data-testid="delete" on:click=move |_| asked.set(true)>"Delete this API"</button> }.into_any()
            }}
            {move || delete.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.message}</p> })}
        </section>
    }
}
