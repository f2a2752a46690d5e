//! Subscription tiers: publishers set each tier's requests per minute and whether subscribing
//! with it waits for their approval.

use super::deployments::PublisherTabs;
use crate::app::use_auth;
use crate::components::guard::RequirePermission;
use crate::components::notice::ActionError;
use crate::functions::subscriptions::{CreateTier, DeleteTier, UpdateTier, load_tiers};
use gatehouse_contract::{Permission, Tier};
use leptos::prelude::*;
use leptos_meta::Title;

/// "" is unlimited; otherwise a positive whole number.
fn parse_limit(text: &str) -> Result<Option<u32>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u32>().map(Some).map_err(|_| format!("`{text}` is not a whole number of requests per minute"))
}

#[component]
pub fn TiersPage() -> impl IntoView {
    let create = ServerAction::<CreateTier>::new();
    let update = ServerAction::<UpdateTier>::new();
    let delete = ServerAction::<DeleteTier>::new();
    let tiers = Resource::new(
        move || (create.version().get(), update.version().get(), delete.version().get()),
        |_| load_tiers(),
    );
    let auth = use_auth();
    view! {
        <Title text="Tiers"/>
        <RequirePermission permission=Permission::DesignApis>
            <section class="page-head">
                <h1>"Subscription tiers"</h1>
                <p class="lead">"A tier limits each subscription (application × API) to a number of requests per minute, enforced by every gateway. Tiers marked “needs approval” put subscriptions in the approval queue."</p>
                <PublisherTabs/>
            </section>
            <section class="panel">
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || tiers.get().map(|r| match r {
                        Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="table" data-testid="tiers">
                                <thead><tr><th>"Tier"</th><th>"Requests per minute"</th><th>"Description"</th><th>"Needs approval"</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|t| view! { <TierRow tier=t update delete editable=auth.can(Permission::ReviewApis)/> }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    })}
                </Transition>
                <ActionError result=update.value().into()/>
                <ActionError result=delete.value().into()/>
            </section>
            {move || auth.can(Permission::ReviewApis).then(|| view! { <NewTier create/> })}
        </RequirePermission>
    }
}

#[component]
fn TierRow(
    tier: Tier,
    update: ServerAction<UpdateTier>,
    delete: ServerAction<DeleteTier>,
    editable: bool,
) -> impl IntoView {
    let limit = RwSignal::new(tier.requests_per_minute.map(|n| n.to_string()).unwrap_or_default());
    let description = RwSignal::new(tier.description.clone());
    let needs_approval = RwSignal::new(tier.needs_approval);
    let problem = RwSignal::new(None::<String>);
    let name = tier.name.clone();
    let (save_name, delete_name) = (name.clone(), name.clone());
    let save = move |_| match parse_limit(&limit.get_untracked()) {
        Err(e) => problem.set(Some(e)),
        Ok(requests_per_minute) => {
            problem.set(None);
            update.dispatch(UpdateTier {
                name: save_name.clone(),
                tier: Tier {
                    name: save_name.clone(),
                    requests_per_minute,
                    description: description.get_untracked(),
                    needs_approval: needs_approval.get_untracked(),
                },
            });
        }
    };
    view! {
        <tr data-testid="tier" data-tier=name.clone()>
            <th scope="row">{name.clone()}</th>
            <td><input type="text" inputmode="numeric" size="8" placeholder="unlimited" disabled=!editable value=limit.get_untracked() on:input=move |ev| limit.set(event_target_value(&ev)) aria-label=format!("{name} requests per minute")/></td>
            <td><input type="text" disabled=!editable value=description.get_untracked() on:input=move |ev| description.set(event_target_value(&ev)) aria-label="Description"/></td>
            <td><input type="checkbox" data-testid="needs-approval" disabled=!editable checked=tier.needs_approval on:change=move |ev| needs_approval.set(event_target_checked(&ev)) aria-label="Needs approval"/></td>
            <td>
                {editable.then(|| view! {
                    <button class="button small" data-testid="save-tier" on:click=save>"Save"</button>
                    " "
                    <button class="button small danger" on:click=move |_| { delete.dispatch(DeleteTier { name: delete_name.clone() }); }>"Delete"</button>
                })}
                {move || problem.get().map(|p| view! { <p class="error" role="alert">{p}</p> })}
            </td>
        </tr>
    }
}

#[component]
fn NewTier(create: ServerAction<CreateTier>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let limit = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let needs_approval = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match parse_limit(&limit.get_untracked()) {
            Err(e) => problem.set(Some(e)),
            Ok(requests_per_minute) => {
                problem.set(None);
                create.dispatch(CreateTier {
                    tier: Tier {
                        name: name.get_untracked(),
                        requests_per_minute,
                        description: description.get_untracked(),
                        needs_approval: needs_approval.get_untracked(),
                    },
                });
            }
        }
    };
    view! {
        <section class="panel">
            <h2>"New tier"</h2>
            <form class="form inline-form" on:submit=submit>
                <label>"Name" <input type="text" required on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <label>"Requests per minute" <input type="text" inputmode="numeric" placeholder="empty: unlimited" on:input=move |ev| limit.set(event_target_value(&ev))/></label>
                <label>"Description" <input type="text" on:input=move |ev| description.set(event_target_value(&ev))/></label>
                <label class="checkbox"><input type="checkbox" on:change=move |ev| needs_approval.set(event_target_checked(&ev))/> "Needs approval"</label>
                <button type="submit" class="button">"Add tier"</button>
            </form>
            {move || problem.get().map(|p| view! { <p class="error" role="alert">{p}</p> })}
            <ActionError result=create.value().into()/>
        </section>
    }
}
