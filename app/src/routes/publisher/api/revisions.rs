//! Revisions: cut one from the working copy, list them, and compare any two.

use super::{EditedSince, Reload};
use crate::components::diff::DiffView;
use crate::functions::apis::{CreateRevision, DiffRevisions};
use crate::time::format_utc;
use gatehouse_contract::ApiDetail;
use leptos::prelude::*;

#[component]
pub fn RevisionsTab(api: ApiDetail) -> impl IntoView {
    let reload = expect_context::<Reload>();
    let create = ServerAction::<CreateRevision>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            reload.now();
        }
    });
    let newest = api.revisions.first().map(|r| r.number);
    let from = RwSignal::new(
        api.revisions.get(1).map(|r| r.number.to_string()).or(newest.map(|n| n.to_string())).unwrap_or_default(),
    );
    let to = RwSignal::new(newest.map(|n| n.to_string()).unwrap_or_else(|| "working".into()));
    let id = api.summary.id.clone();
    let compare_id = id.clone();
    let revisions_url = format!("/api/v1/apis/{id}/revisions");
    // A comparison is asked for with a click, so it is an action: nothing of it is rendered
    // on the server, and hydration always meets the same empty spot.
    let diff = ServerAction::<DiffRevisions>::new();
    let options = {
        let revisions = api.revisions.clone();
        move || {
            let mut opts: Vec<(String, String)> = vec![("working".into(), "Working copy".into())];
            opts.extend(revisions.iter().map(|r| (r.number.to_string(), format!("Revision {}", r.number))));
            opts
        }
    };
    let options_to = options.clone();
    view! {
        <section class="panel">
            <h2>"Revisions"</h2>
            <p class="muted">"A revision freezes the definition, endpoints, policies and documentation pages. Reviews and deployments use revisions, never the working copy."</p>
            <EditedSince since=api.edited_since()/>
            {api.editable.then(|| view! {
                <ActionForm action=create attr:class="form inline-form">
                    <input type="hidden" name="id" value=id.clone()/>
                    <label>"Note" <input type="text" name="note" placeholder="What changed" maxlength="500"/></label>
                    <button type="submit" class="button" data-testid="cut-revision">"Cut revision"</button>
                </ActionForm>
            })}
            {move || create.value().get().map(|r| match r {
                Ok(n) => view! { <p class="ok" data-testid="revision-created">{format!("Revision {n} created.")}</p> }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
            })}
            <table class="table" data-testid="revisions">
                <thead><tr><th>"#"</th><th>"Note"</th><th>"By"</th><th>"When"</th><th>"Definition"</th></tr></thead>
                <tbody>
                    {api.revisions.iter().map(|r| {
                        let definition = format!("{revisions_url}/{}/definition", r.number);
                        view! {
                            <tr>
                                <td>{r.number}</td><td>{r.note.clone()}</td><td class="muted">{r.created_by.clone()}</td><td class="muted">{format_utc(r.created_at)}</td>
                                <td><a href=definition.clone() download data-testid="revision-definition">"YAML"</a> " · " <a href=format!("{definition}?format=json") download>"JSON"</a></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <section class="panel">
            <h2>"Compare"</h2>
            <div class="form inline-form">
                <label>"From"
                    <select data-testid="diff-from" on:change=move |ev| from.set(event_target_value(&ev))>
                        {options().into_iter().map(|(v, l)| { let s = v.clone(); view! { <option value=v selected=move || from.get() == s>{l}</option> } }).collect_view()}
                    </select>
                </label>
                <label>"To"
                    <select data-testid="diff-to" on:change=move |ev| to.set(event_target_value(&ev))>
                        {options_to().into_iter().map(|(v, l)| { let s = v.clone(); view! { <option value=v selected=move || to.get() == s>{l}</option> } }).collect_view()}
                    </select>
                </label>
                <button class="button" data-testid="compare" on:click=move |_| {
                    diff.dispatch(DiffRevisions { id: compare_id.clone(), from: from.get_untracked(), to: to.get_untracked() });
                }>"Compare"</button>
            </div>
            {move || diff.value().get().map(|r| match r {
                Ok(d) => view! { <DiffView diff=d/> }.into_any(),
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
            })}
        </section>
    }
}
