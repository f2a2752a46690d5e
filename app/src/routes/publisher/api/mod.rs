//! One API's workspace: overview, the form view, the source view, settings, docs, revisions
//! and diffs, the lifecycle, subscribers, and versions. Tabs live in the URL (`?tab=`).

mod deploy;
mod design;
mod docs;
mod lifecycle;
mod revisions;
mod settings;
mod source;
mod subscribers;
mod versions;

use super::state_badge;
use crate::components::diagnostics::{DesignReview, Diagnostics};
use crate::components::guard::RequirePermission;
use crate::functions::apis::get_api;
use gatehouse_contract::{ApiDetail, Permission};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Shared by the tabs: bump it after a save so the working copy is read again.
#[derive(Clone, Copy)]
pub struct Reload(pub RwSignal<u32>);

impl Reload {
    pub fn now(&self) {
        self.0.update(|n| *n += 1);
    }
}

/// The add-operation form's fields, kept by the page: a save reads the working copy again and
/// draws the tab afresh, which would lose a new operation half typed before another edit.
#[derive(Clone, Copy)]
pub struct NewOperation {
    pub method: RwSignal<String>,
    pub path: RwSignal<String>,
    pub summary: RwSignal<String>,
}

impl NewOperation {
    fn new() -> NewOperation {
        NewOperation {
            method: RwSignal::new("GET".into()),
            path: RwSignal::new(String::new()),
            summary: RwSignal::new(String::new()),
        }
    }

    pub fn clear(&self) {
        self.path.set(String::new());
        self.summary.set(String::new());
    }
}

/// Said on the Revisions and Review & deploy tabs: edits made since the newest revision reach
/// review only in a new one, which is easy to forget between saving and submitting.
#[component]
fn EditedSince(since: Option<i64>) -> impl IntoView {
    since.map(|number| {
        view! {
            <p class="callout" role="status" data-testid="edited-since">
                {format!("The working copy has edits made after revision {number}. Cut a new revision to submit them for review.")}
            </p>
        }
    })
}

const TABS: [(&str, &str); 10] = [
    ("overview", "Overview"),
    ("design", "Design"),
    ("source", "Source"),
    ("settings", "Endpoints & policies"),
    ("docs", "Docs"),
    ("revisions", "Revisions"),
    ("deploy", "Review & deploy"),
    ("lifecycle", "Lifecycle"),
    ("subscribers", "Subscribers"),
    ("versions", "Versions"),
];

#[component]
pub fn ApiPage() -> impl IntoView {
    view! {
        <RequirePermission permission=Permission::DesignApis>
            <ApiWorkspace/>
        </RequirePermission>
    }
}

#[component]
fn ApiWorkspace() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let tab = move || query.read().get("tab").unwrap_or_else(|| "overview".into());
    let reload = Reload(RwSignal::new(0));
    provide_context(reload);
    let new_operation = NewOperation::new();
    provide_context(new_operation);
    // A draft belongs to the API it was typed for.
    Effect::new(move |_| {
        id();
        new_operation.clear();
    });
    let detail = Resource::new(move || (id(), reload.0.get()), |(id, _)| get_api(id));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || detail.get().map(|result| match result {
                Err(e) => view! { <section class="panel"><p class="error">{e.message}</p></section> }.into_any(),
                Ok(api) => {
                    let current = tab();
                    let id = api.summary.id.clone();
                    view! {
                        <Title text=format!("{} {}", api.summary.name, api.summary.version)/>
                        <section class="page-head">
                            <p class="crumbs"><a href="/publisher">"Publisher"</a> " / " {api.summary.name.clone()}</p>
                            <h1 data-testid="api-title">{api.summary.name.clone()} " " <span class="muted">{api.summary.version.clone()}</span> " " {state_badge(api.summary.state)}</h1>
                            <p class="muted"><code>{api.summary.context.clone()}</code> " · " {api.summary.spec_version.label()} " · owner " {api.summary.owner.clone()} " · edit " {api.edit_version}
                                {api.summary.state.is_listed().then(|| view! { " · " <a href=format!("/portal/apis/{id}") data-testid="in-portal">"In the portal"</a> })}
                            </p>
                            <nav class="tabs" aria-label="API">
                                {TABS.into_iter().map(|(key, label)| {
                                    let href = format!("/publisher/apis/{id}?tab={key}");
                                    view! { <a href=href aria-current=(key == current).then_some("page")>{label}</a> }
                                }).collect_view()}
                            </nav>
                        </section>
                        {match current.as_str() {
                            "design" => view! { <design::DesignTab api=api.clone()/> }.into_any(),
                            "source" => view! { <source::SourceTab api=api.clone()/> }.into_any(),
                            "settings" => view! { <settings::SettingsTab api=api.clone()/> }.into_any(),
                            "docs" => view! { <docs::DocsTab api=api.clone()/> }.into_any(),
                            "revisions" => view! { <revisions::RevisionsTab api=api.clone()/> }.into_any(),
                            "deploy" => view! { <deploy::DeployTab api=api.clone()/> }.into_any(),
                            "lifecycle" => view! { <lifecycle::LifecycleTab api=api.clone()/> }.into_any(),
                            "subscribers" => view! { <subscribers::SubscribersTab api=api.clone()/> }.into_any(),
                            "versions" => view! { <versions::VersionsTab api=api.clone()/> }.into_any(),
                            _ => view! { <Overview api=api.clone()/> }.into_any(),
                        }}
                    }.into_any()
                }
            })}
        </Transition>
    }
}

#[component]
fn Overview(api: ApiDetail) -> impl IntoView {
    let export = format!("/api/v1/apis/{}/export", api.summary.id);
    view! {
        <section class="panel">
            <div class="row">
                <div>
                    <h2>"Overview"</h2>
                    {if api.description_html.is_empty() {
                        view! { <p class="muted">"No description yet."</p> }.into_any()
                    } else {
                        view! { <div class="markdown" data-testid="api-description" inner_html=api.description_html.clone()></div> }.into_any()
                    }}
                </div>
                <a class="button secondary" href=export download>"Export project"</a>
            </div>
            <dl class="facts">
                <dt>"Operations"</dt><dd>{api.model.operations.len()}</dd>
                <dt>"Webhooks"</dt><dd>{api.model.webhooks.len()}</dd>
                <dt>"Production"</dt><dd>{if api.endpoints.production.is_empty() { "not set".to_string() } else { api.endpoints.production.join(", ") }}</dd>
                <dt>"Sandbox"</dt><dd>{if api.endpoints.sandbox.is_empty() { "not set".to_string() } else { api.endpoints.sandbox.join(", ") }}</dd>
                <dt>"Tiers"</dt><dd>{api.policies.tiers.join(", ")}</dd>
                <dt>"Revisions"</dt><dd>{api.revisions.len()}</dd>
                <dt>"Gateway group"</dt><dd>{api.summary.group.clone().unwrap_or_else(|| "none yet".into())}</dd>
                <dt>"Live"</dt><dd data-testid="overview-live">{match api.live_revision {
                    Some(n) => format!("revision {n}"),
                    None => "not deployed".into(),
                }}</dd>
            </dl>
        </section>
        {(!api.warnings.is_empty()).then(|| view! {
            <section class="panel">
                <h2>{format!("Warnings ({})", api.warnings.len())}</h2>
                <p class="muted">"The definition can be served, but these deviate from the specification."</p>
                <Diagnostics items=api.warnings.clone() kind="warning"/>
            </section>
        })}
        <section class="panel">
            <h2>{format!("Design review ({})", api.design.len())}</h2>
            <p class="muted">"What consumers and reviewers would want changed in the working copy; reviewers see the same for each revision submitted. Advice only: nothing here stops a revision or an approval."</p>
            <DesignReview items=api.design.clone()/>
        </section>
    }
}
