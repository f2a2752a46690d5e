//! Versions of one API, linked, and "new version".

use super::super::state_badge;
use crate::functions::apis::NewVersion;
use gatehouse_contract::ApiDetail;
use leptos::prelude::*;

#[component]
pub fn VersionsTab(api: ApiDetail) -> impl IntoView {
    let create = ServerAction::<NewVersion>::new();
    let current = api.summary.id.clone();
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
                <label>"Version" <input type="text" name="version" required placeholder="2.0.0"/></label>
                <label>"Context" <input type="text" name="context" placeholder="default /name/version"/></label>
                <button type="submit" class="button">"Create version"</button>
            </ActionForm>
            {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.message}</p> })}
        </section>
    }
}
