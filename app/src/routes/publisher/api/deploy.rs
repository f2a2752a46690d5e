//! The API's way to its gateways: its group, submitting a revision for review, and its history
//! of requests, decisions and deployments.

use super::{EditedSince, Reload};
use crate::functions::deploy::{AssignGroup, ListApprovals, ListDeployments, ListGroups, SubmitRevision};
use crate::routes::publisher::deployments::DeploymentCard;
use crate::time::format_utc;
use gatehouse_contract::ApiDetail;
use leptos::prelude::*;

#[component]
pub fn DeployTab(api: ApiDetail) -> impl IntoView {
    let reload = expect_context::<Reload>();
    let assign = ServerAction::<AssignGroup>::new();
    let submit = ServerAction::<SubmitRevision>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = assign.value().get() {
            reload.now();
        }
    });
    let id = api.summary.id.clone();
    // Loaded by actions from an effect, i.e. only in the browser: the server renders the empty
    // frame and hydration never meets half-loaded lists.
    let groups = ServerAction::<ListGroups>::new();
    let deployments_id = id.clone();
    let history = ServerAction::<ListApprovals>::new();
    let deployments = ServerAction::<ListDeployments>::new();
    Effect::new(move |_| {
        groups.dispatch(ListGroups {});
        deployments.dispatch(ListDeployments { group: String::new(), api_id: deployments_id.clone() });
    });
    let history_id = id.clone();
    Effect::new(move |_| {
        submit.version().get();
        history.dispatch(ListApprovals { status: None, api_id: Some(history_id.clone()) });
    });
    // The select starts at the API's group, so the form shows where it is.
    let group = RwSignal::new(api.summary.group.clone().unwrap_or_default());
    let revision = RwSignal::new(api.revisions.first().map(|r| r.number.to_string()).unwrap_or_default());
    let note = RwSignal::new(String::new());
    let (assign_id, submit_id) = (id.clone(), id.clone());
    let (mine, editable) = (api.summary.group.clone(), api.editable);
    view! {
        <section class="panel">
            <h2>"Gateway group"</h2>
            <div>
                {move || {
                    let assign_id = assign_id.clone();
                    let mine = mine.clone();
                    groups.value().get().and_then(|r| r.ok()).map(|list| {
                        view! {
                            <p data-testid="current-group">{match &mine { Some(g) => format!("In group {g}."), None => "In no group yet.".to_string() }}</p>
                            {editable.then(|| view! {
                                <div class="form inline-form">
                                    <label>"Group"
                                        <select data-testid="group-select" on:change=move |ev| group.set(event_target_value(&ev))>
                                            <option value="">"Choose a group"</option>
                                            {list.iter().map(|g| {
                                                let name = g.group.name.clone();
                                                view! { <option value=g.group.name.clone() prop:selected=move || group.with(|chosen| *chosen == name)>{format!("{} ({}, {})", g.group.name, g.group.mode.as_str(), g.group.host)}</option> }
                                            }).collect_view()}
                                        </select>
                                    </label>
                                    <button class="button" data-testid="assign-group" on:click=move |_| { assign.dispatch(AssignGroup { api_id: assign_id.clone(), group: group.get_untracked() }); }>"Assign"</button>
                                </div>
                            })}
                        }
                    })
                }}
            </div>
            {move || assign.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.message}</p> })}
        </section>
        {api.editable.then(|| view! {
            <section class="panel">
                <h2>"Submit for review"</h2>
                <EditedSince since=api.edited_since()/>
                {if api.revisions.is_empty() {
                    view! { <p class="muted">"Cut a revision first: reviews and deployments use revisions."</p> }.into_any()
                } else {
                    view! {
                        <div class="form inline-form">
                            <label class="narrow-field">"Revision"
                                <select data-testid="submit-revision" on:change=move |ev| revision.set(event_target_value(&ev))>
                                    {api.revisions.iter().map(|r| {
                                        let live = if api.live_revision == Some(r.number) { " (live)" } else { "" };
                                        view! { <option value=r.number.to_string()>{format!("Revision {}{live}", r.number)}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                            <label>"Note for the reviewer" <input type="text" maxlength="1000" on:input=move |ev| note.set(event_target_value(&ev))/></label>
                            <button class="button" data-testid="submit-review" on:click=move |_| {
                                if let Ok(number) = revision.get_untracked().parse::<i64>() {
                                    submit.dispatch(SubmitRevision { api_id: submit_id.clone(), revision: number, note: note.get_untracked() });
                                }
                            }>"Submit for review"</button>
                        </div>
                    }.into_any()
                }}
                {move || submit.value().get().map(|r| match r {
                    Ok(_) => view! { <p class="ok" data-testid="submitted">"Submitted: a publisher will review it."</p> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                })}
            </section>
        })}
        <section class="panel">
            <h2>"History"</h2>
            <div>
                {move || history.value().get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="muted">"No revision of this API has been submitted for review yet."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <table class="table" data-testid="approval-history">
                            <thead><tr><th>"Revision"</th><th>"Group"</th><th>"Requested"</th><th>"Status"</th><th>"Decided by"</th><th>"Comment"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|a| view! {
                                    <tr>
                                        <td>{a.revision}</td>
                                        <td>{a.group.clone()}</td>
                                        <td class="muted">{format!("{} · {}", a.requested_by, format_utc(a.requested_at))}</td>
                                        <td>{a.status.as_str()}</td>
                                        <td class="muted">{a.decided_by.clone().unwrap_or_default()}</td>
                                        <td>{a.comment.clone()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </div>
            <div>
                {move || deployments.value().get().and_then(|r| r.ok()).map(|list| list.into_iter().map(|d| view! { <DeploymentCard deployment=d/> }).collect_view())}
            </div>
        </section>
    }
}
