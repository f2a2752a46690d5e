//! Versions of one API, linked, and "new version".

use super::super::state_badge;
use crate::functions::apis::NewVersion;
use gatehouse_contract::{ApiDetail, next_context};
use leptos::prelude::*;

#[component]
pub fn VersionsTab(api: ApiDetail) -> impl IntoView {
    let create = ServerAction::<NewVersion>::new();
    let current = api.summary.id.clone();
    // The next major version is the usual reason for a new one; the context that goes with
    // what is typed shows as the context field's default.
    let suggested = api
        .summary
        .version
        .split('.')
        .next()
        .and_then(|major| major.trim_start_matches(['v', 'V']).parse::<u64>().ok())
        .map_or_else(|| "2.0.0".to_string(), |major| format!("{}.0.0", major + 1));
    let typed = RwSignal::new(String::new());
    let (context, version) = (api.summary.context.clone(), api.summary.version.clone());
    let suggested_for_context = suggested.clone();
    let default_context = move || {
        let new =
            typed.with(|t| if t.trim().is_empty() { suggested_for_context.clone() } else { t.trim().to_string() });
        format!("default {}", next_context(&context, &version, &new))
    };
    view! {
        <section class="panel">
            <h2>"Versions"</h2>
            <table class="table" data-testid="versions">
                <thead><tr><th>"Version"</th><th>"State"</th></tr></thead>
                <tbody>
                    {api.versions.iter().map(|v| view! {
                        <tr class:current=v.id == current>
                            <td><a href=format!("/publisher/apis/{}", v.id)>{v.version.clone()}</a></td>
                            <td>{state_badge(v.state)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <section class="panel">
            <h2>"New version"</h2>
            <p class="muted">"Copies the definition, endpoints, policies and docs to a new version in state CREATED."</p>
            <ActionForm action=create attr:class="form inline-form">
                <input type="hidden" name="id" value=api.summary.id.clone()/>
                <label>"Version" <input type="text" name="version" required placeholder=suggested on:input=move |ev| typed.set(event_target_value(&ev))/></label>
                <label>"Context" <input type="text" name="context" placeholder=default_context data-testid="new-version-context"/></label>
                <button type="submit" class="button">"Create version"</button>
            </ActionForm>
            {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.message}</p> })}
        </section>
    }
}
