//! The developer portal: the catalog of APIs and each API's page with its reference.

mod try_it;

use crate::app::use_auth;
use crate::components::notice::ActionError;
use crate::components::schema::SchemaTree;
use crate::components::{count, plain_excerpt, tag_chips};
use crate::functions::applications::{CreateApplication, ListApplications};
use crate::functions::portal::{CATALOG_PAGE, catalog, load_portal_api, load_portal_operation};
use crate::functions::subscriptions::{ChangeSubscriptionTier, Subscribe};
use crate::routes::publisher::state_badge;
use crate::url::encode;
use gatehouse_contract::{
    Application, AuthKind, LifecycleState, NewSubscription, Operation, PortalApi, Subscription, SubscriptionStatus,
    Tier, VersionRef,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::sync::Arc;
use try_it::TryIt;

#[component]
pub fn PortalPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &str| query.read().get(k).unwrap_or_default();
    let page = move || param("page").parse::<i64>().unwrap_or(0).max(0);
    let apis = Resource::new(move || (param("q"), param("tag"), page()), |(q, tag, page)| catalog(q, tag, page));
    let link = move |p: i64| format!("/portal?q={}&tag={}&page={p}", encode(&param("q")), encode(&param("tag")));
    view! {
        <Title text="Developer portal"/>
        <section class="page-head">
            <h1>"Developer portal"</h1>
            <p class="lead">"Find an API, read its reference, and call it through its gateway."</p>
        </section>
        <form method="get" action="/portal" class="toolbar filters panel">
            <input type="search" name="q" placeholder="Search APIs, operations, paths" aria-label="Search the catalog" value=move || param("q")/>
            <input type="text" name="tag" placeholder="Tag" aria-label="Tag" value=move || param("tag")/>
            <button type="submit" class="button small">"Search"</button>
        </form>
        <Transition fallback=|| view! { <p class="muted">"Loading the catalog…"</p> }>
            {move || apis.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(list) if list.items.is_empty() => view! {
                    <section class="panel empty" data-testid="catalog-empty">
                        <h2>"No APIs found"</h2>
                        <p class="muted">"APIs appear here once a publisher approves their deployment."</p>
                    </section>
                }.into_any(),
                Ok(list) => {
                    let current = page();
                    let more = (current + 1) * CATALOG_PAGE < list.total;
                    view! {
                        <section class="cards" data-testid="catalog">
                            {list.items.into_iter().map(|a| view! {
                                <a class="card" href=format!("/portal/apis/{}", a.id) data-testid="catalog-card">
                                    <div class="row">
                                        <h2>{a.name.clone()}</h2>
                                        <span class="muted">{a.version.clone()}</span>
                                    </div>
                                    {(a.state != LifecycleState::Published).then(|| state_badge(a.state))}
                                    <p class="muted">{if a.description.trim().is_empty() { "No description.".to_string() } else { plain_excerpt(&a.description) }}</p>
                                    <div class="tags">
                                        {tag_chips(a.tags.clone())}
                                        {a.group.clone().map(|g| view! { <span class="tag group">{g}</span> })}
                                    </div>
                                </a>
                            }).collect_view()}
                        </section>
                        <div class="pager">
                            {(current > 0).then(|| view! { <a href=link(current - 1)>"← Previous"</a> })}
                            <span class="muted">{count(list.total, "API", "APIs")}</span>
                            {more.then(|| view! { <a href=link(current + 1)>"Next →"</a> })}
                        </div>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

#[component]
pub fn PortalApiPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let api = Resource::new(id, load_portal_api);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || api.get().map(|r| match r {
                Err(e) => view! { <section class="panel"><h1>"API not found"</h1><p class="muted">{e.message}</p></section> }.into_any(),
                Ok(api) => view! { <ApiReference api/> }.into_any(),
            })}
        </Transition>
    }
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

#[component]
fn ApiReference(api: PortalApi) -> impl IntoView {
    let s = api.summary.clone();
    let mut tags: Vec<String> = api.model.tags.iter().map(|t| t.name.clone()).collect();
    for op in &api.model.operations {
        for t in &op.tags {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
    }
    let untagged: Vec<Operation> = api.model.operations.iter().filter(|o| o.tags.is_empty()).cloned().collect();
    let grouped: Vec<(String, Vec<Operation>)> = tags
        .into_iter()
        .map(|t| (t.clone(), api.model.operations.iter().filter(|o| o.tags.contains(&t)).cloned().collect()))
        .chain((!untagged.is_empty()).then(|| ("Other".to_string(), untagged)))
        .filter(|(_, ops)| !ops.is_empty())
        .collect();
    // Shared by every operation's schema trees, not copied into each (DigitalOcean's are 1 MB).
    let schemas = Arc::new(api.schemas.clone());
    // Whole, or an outline whose operations are loaded as they are opened.
    let eager = api.model.operations.len() <= PortalApi::WHOLE_UP_TO;
    view! {
        <Title text=format!("{} {}", s.name, s.version)/>
        <section class="page-head">
            <p class="crumbs"><a href="/portal">"Portal"</a> " / " {s.name.clone()}</p>
            <h1 data-testid="portal-title">{s.name.clone()} " " <span class="muted">{s.version.clone()}</span> " " {(s.state != LifecycleState::Published).then(|| state_badge(s.state))}</h1>
            // Rendered and made safe by the server (domain::markdown).
            <div class="lead markdown" inner_html=api.description_html.clone()></div>
        </section>
        <section class="panel">
            <div class="row">
                <h2>"Call it"</h2>
                <span class="actions">
                    <a class="button small secondary" href=format!("/api/v1/portal/apis/{}/definition", s.id) download>"Definition (YAML)"</a>
                    <a class="button small secondary" href=format!("/api/v1/portal/apis/{}/definition?format=json", s.id) download>"Definition (JSON)"</a>
                </span>
            </div>
            {if api.endpoints.is_empty() {
                view! { <p class="muted">"Not deployed to a gateway yet."</p> }.into_any()
            } else {
                view! {
                    <dl class="facts">
                        {api.endpoints.iter().map(|e| view! { <dt>{e.environment.clone()}</dt><dd><code>{e.url.clone()}</code></dd> }).collect_view()}
                    </dl>
                }.into_any()
            }}
            {(!api.policies.scopes.is_empty() && !api.served_by_server).then(|| view! {
                <div data-testid="portal-scopes">
                    <p class="muted">"OAuth2 scopes: an access token holds every scope its application's subscriptions are granted, or only those it asks for (" <code>"scope=…"</code> " at the token endpoint). A scope marked with tiers is granted to subscriptions of those tiers only."</p>
                    <dl class="facts names">
                        {api.policies.scopes.iter().map(|s| {
                            let tiers = (!s.tiers.is_empty()).then(|| view! { <span class="muted">{format!(" ({} only)", s.tiers.join(", "))}</span> });
                            view! { <dt><code>{s.name.clone()}</code>{tiers}</dt><dd>{s.description.clone()}</dd> }
                        }).collect_view()}
                    </dl>
                </div>
            })}
            {api.policies.cors.enabled.then(|| view! {
                <p class="muted" data-testid="portal-cors">"Callable from web pages at "
                    {api.policies.cors.allow_origins.iter().map(|o| if o == "*" { "any origin".to_string() } else { o.clone() }).collect::<Vec<_>>().join(", ")}
                    " (CORS)."</p>
            })}
            {(api.policies.validate_requests && !api.served_by_server).then(|| view! {
                <p class="muted" data-testid="portal-checked">"The gateway checks each call against this definition: one whose parameters or body do not fit is answered "
                    <code>"400 invalid_request"</code> " (" <code>"415"</code> " for a body of a media type the operation does not take), saying what is wrong and where, and does not reach the backend."</p>
            })}
            {(api.versions.len() > 1).then(|| view! {
                <p class="muted">"Other versions: "
                    {api.versions.iter().filter(|v| v.id != s.id).map(|v| view! { <a href=format!("/portal/apis/{}", v.id)>{v.version.clone()}</a> " " }).collect_view()}
                </p>
            })}
        </section>
        {if api.served_by_server {
            view! {
                <section class="panel" data-testid="access">
                    <h2>"Access"</h2>
                    <p>"Gatehouse serves this API itself: it takes no subscriptions. Send a personal access token as "
                        <code>"Authorization: Bearer …"</code> "; create one on " <a href="/account/tokens">"your tokens page"</a>
                        ". A call can do what your role may do in the browser."</p>
                </section>
            }.into_any()
        } else {
            // The newest published version listed after this one: where a deprecated one's consumers go.
            let successor = api.versions.iter().skip_while(|v| v.id != s.id).skip(1).filter(|v| v.state == LifecycleState::Published).last().cloned();
            view! { <SubscribePanel api_id=s.id.clone() tiers=api.tiers.clone() scopes=api.policies.scopes.clone() state=s.state successor/> }.into_any()
        }}
        {(!api.docs.is_empty()).then(|| view! {
            <section class="panel">
                {api.docs.iter().map(|d| view! {
                    <article class="doc-page" data-testid="portal-doc">
                        <h2>{d.title.clone()}</h2>
                        <div class="markdown" inner_html=d.html.clone()></div>
                    </article>
                }).collect_view()}
            </section>
        })}
        <section class="panel" data-testid="reference">
            <h2>"Reference"</h2>
            {grouped.into_iter().map(|(tag, ops)| view! {
                <h3 class="tag-heading">{tag}</h3>
                {ops.into_iter().map(|op| {
                    let upgrade = op.responses.iter().any(|r| r.status == "101");
                    let security = api.policies.security_of(&op.key());
                    let access = Access {
                        label: credentials_label(api.served_by_server, s.state, security, upgrade),
                        api_key: security.contains(&AuthKind::ApiKey),
                        scopes: if security.contains(&AuthKind::Oauth2) { api.policies.scopes_of(&op.key()).to_vec() } else { vec![] },
                    };
                    let description_html = api.operation_descriptions_html.get(&op.key()).cloned().unwrap_or_default();
                    view! { <OperationReference op description_html schemas=schemas.clone() access api_id=s.id.clone() deployed=s.group.is_some() try_it=!api.served_by_server eager/> }
                }).collect_view()}
            }).collect_view()}
        </section>
    }
}

/// What calling an operation takes.
#[derive(Clone)]
struct Access {
    /// What a caller must send, in words (see [`credentials_label`]).
    label: String,
    /// Whether an API key is accepted: the try-it console then offers to send one.
    api_key: bool,
    /// The scopes an access token must hold to call it.
    scopes: Vec<String>,
}

/// What a caller must send, in words. An operation that switches protocols (a `101` answer: a
/// WebSocket) may also take its credential in the query, which is all a browser's `WebSocket`
/// can send.
fn credentials_label(served_by_server: bool, state: LifecycleState, security: &[AuthKind], upgrade: bool) -> String {
    if served_by_server {
        return "personal access token (Authorization: Bearer) or a signed-in session".into();
    }
    let kinds = (security.contains(&AuthKind::Oauth2), security.contains(&AuthKind::ApiKey));
    let headers = match kinds {
        (true, true) => "OAuth2 access token (Authorization: Bearer) or API key (apikey header)",
        (true, false) => "OAuth2 access token (Authorization: Bearer)",
        (false, true) => "API key (apikey header)",
        (false, false) => "none: open to anyone",
    };
    let query = match kinds {
        (true, true) => "access_token=… or apikey=…",
        (true, false) => "access_token=…",
        (false, true) => "apikey=…",
        (false, false) => "",
    };
    let asked = if upgrade && !query.is_empty() {
        format!("{headers}; from a browser's WebSocket, {query} in the URL's query")
    } else {
        headers.to_string()
    };
    // A prototype's gateway answers from examples and checks nothing.
    match state {
        LifecycleState::Prototyped if !security.is_empty() => {
            format!("none while this API is a prototype; once published, {asked}")
        }
        _ => asked,
    }
}

#[component]
fn OperationReference(
    op: Operation,
    /// The operation's description as safe HTML (see `PortalApi`).
    description_html: String,
    schemas: Arc<serde_json::Value>,
    access: Access,
    api_id: String,
    deployed: bool,
    /// Whether the try-it console is offered: not for the management API, which the server
    /// answers, not a gateway (the Access panel says how to call it).
    try_it: bool,
    /// Whether the details are rendered before the operation is first opened: a reference of
    /// up to [`PortalApi::WHOLE_UP_TO`] operations is rendered whole by the server, readable
    /// and indexable before hydration. A larger one (Gatehouse's own, say) is an outline, and an
    /// operation is loaded and rendered when first opened: rendered up front, DigitalOcean's 659
    /// were 14 MB of HTML and a minute and a half of a debug server's time, Kubernetes' 50 MB.
    eager: bool,
) -> impl IntoView {
    let opened = RwSignal::new(eager);
    let summary = view! {
        <summary>
            <span class=format!("method method-{}", op.method.to_lowercase())>{op.method.clone()}</span>
            " " <code>{op.path.clone()}</code> " " <span class="muted">{plain_excerpt(&op.summary)}</span>
            {op.deprecated.then(|| view! { " " <span class="badge">"deprecated"</span> })}
        </summary>
    };
    view! {
        // The first toggle is always an opening, and only it sets `opened`: once rendered, the
        // details stay (with what was typed into try-it, and an outline's operation as loaded)
        // when the operation is closed and opened again.
        <details class="operation" data-testid="reference-operation" on:toggle=move |_| if !opened.get_untracked() { opened.set(true) }>
            {summary}
            {move || opened.get().then(|| if eager {
                view! {
                    <OperationDetails op=op.clone() description_html=description_html.clone() schemas=schemas.clone()
                        access=access.clone() api_id=api_id.clone() deployed try_it/>
                }.into_any()
            } else {
                view! { <LoadedOperation api_id=api_id.clone() key=op.key() access=access.clone() deployed try_it/> }.into_any()
            })}
        </details>
    }
    .into_any()
}

/// An operation of an outline, loaded from the server when first opened.
#[component]
fn LoadedOperation(api_id: String, key: String, access: Access, deployed: bool, try_it: bool) -> impl IntoView {
    let id = api_id.clone();
    let loaded = LocalResource::new(move || load_portal_operation(id.clone(), key.clone()));
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || loaded.get().map(|found| match found {
                Ok(found) => view! {
                    <OperationDetails op=found.operation description_html=found.description_html
                        schemas=Arc::new(found.schemas) access=access.clone() api_id=api_id.clone() deployed try_it/>
                }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn OperationDetails(
    op: Operation,
    description_html: String,
    schemas: Arc<serde_json::Value>,
    access: Access,
    api_id: String,
    deployed: bool,
    try_it: bool,
) -> impl IntoView {
    let body_schemas = schemas.clone();
    let try_schemas = schemas.clone();
    let request_media = op.request_body.as_ref().and_then(|b| b.content.first()).cloned();
    let response_schemas = schemas;
    view! {
            {(!description_html.is_empty()).then(|| view! { <div class="markdown" inner_html=description_html></div> })}
            <p class="muted" data-testid="operation-security"><strong>"Credentials: "</strong>{access.label}</p>
            {(!access.scopes.is_empty()).then(|| view! {
                <p class="muted" data-testid="operation-scopes"><strong>"Token scopes: "</strong>
                    {access.scopes.iter().map(|s| view! { <code>{s.clone()}</code> " " }).collect_view()}
                    {access.api_key.then_some("(an API key needs none)")}
                </p>
            })}
            {try_it.then(|| view! { <TryIt api_id method=op.method.clone() template=op.path.clone() params=op.parameters.clone() body=request_media schemas=try_schemas api_key=access.api_key scopes=access.scopes.clone() open=deployed/> })}
            {(!op.parameters.is_empty()).then(|| view! {
                <h4>"Parameters"</h4>
                <table class="table compact">
                    <thead><tr><th>"Name"</th><th>"In"</th><th>"Required"</th><th>"Type"</th><th>"Description"</th></tr></thead>
                    <tbody>
                        {op.parameters.iter().map(|p| view! {
                            <tr><td><code>{p.name.clone()}</code></td><td>{p.location.clone()}</td><td>{if p.required { "yes" } else { "no" }}</td>
                                <td><code>{schema_type(&p.schema)}</code></td><td>{p.description.clone()}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            {op.request_body.clone().map(|b| view! {
                <h4>{format!("Request body{}", if b.required { " (required)" } else { "" })}</h4>
                {b.content.into_iter().map(|m| view! {
                    <p class="muted"><code>{m.content_type.clone()}</code></p>
                    {(!m.schema.is_null()).then(|| view! { <SchemaTree schema=m.schema.clone() schemas=body_schemas.clone()/> })}
                    {m.example.clone().map(|e| view! { <p class="muted">"Example"</p><pre class="code">{pretty(&e)}</pre> })}
                }).collect_view()}
            })}
            <h4>"Responses"</h4>
            {op.responses.iter().map(|r| view! {
                <div class="response">
                    <p><strong>{r.status.clone()}</strong> " " {r.description.clone()}</p>
                    {r.content.iter().map(|m| view! {
                        <p class="muted"><code>{m.content_type.clone()}</code></p>
                        {(!m.schema.is_null()).then(|| view! { <SchemaTree schema=m.schema.clone() schemas=response_schemas.clone()/> })}
                        {m.example.clone().map(|e| view! { <p class="muted">"Example"</p><pre class="code">{pretty(&e)}</pre> })}
                    }).collect_view()}
                </div>
            }).collect_view()}
    }
    .into_any()
}

/// A parameter's type in one line (`string`, `array of integer`, a referenced schema's name).
fn schema_type(schema: &serde_json::Value) -> String {
    if let Some(name) = schema.get("$ref").and_then(|r| r.as_str()).and_then(|r| r.rsplit('/').next()) {
        return name.to_string();
    }
    match schema.get("type").and_then(|t| t.as_str()) {
        Some("array") => format!("array of {}", schema.get("items").map(schema_type).unwrap_or_else(|| "any".into())),
        Some(t) => t.to_string(),
        None => String::new(),
    }
}

/// Subscribing from the API page: the offered tiers for everyone (with the scopes bound to
/// each, where the API keeps some from lower tiers), and for a signed-in consumer
/// their applications with their status for this API. An application already subscribed moves
/// to the chosen tier instead; a consumer with no application creates one here. The
/// applications are loaded in the browser only (an action, not a resource), so the
/// server-rendered page is the same for everyone and hydrates cleanly.
#[component]
fn SubscribePanel(
    api_id: String,
    tiers: Vec<Tier>,
    scopes: Vec<gatehouse_contract::Scope>,
    state: LifecycleState,
    successor: Option<VersionRef>,
) -> impl IntoView {
    let auth = use_auth();
    let apps = ServerAction::<ListApplications>::new();
    let create = ServerAction::<CreateApplication>::new();
    let subscribe = ServerAction::<Subscribe>::new();
    let change = ServerAction::<ChangeSubscriptionTier>::new();
    let signed_in = move || auth.me().is_some();
    Effect::new(move |_| {
        // Reload after each new application, subscription or tier change so the list and the
        // statuses are current.
        create.version().get();
        subscribe.version().get();
        change.version().get();
        if signed_in() {
            apps.dispatch(ListApplications {});
        }
    });
    let application = RwSignal::new(String::new());
    let first_tier = tiers.first().map(|t| t.name.clone()).unwrap_or_default();
    let tier = RwSignal::new(first_tier);
    let open = state != LifecycleState::Deprecated;
    let tier_rows = tiers.clone();
    let any_bound = scopes.iter().any(|s| !s.tiers.is_empty());
    let sign_in = format!("/signin?next=/portal/apis/{api_id}");
    let api_for_status = api_id.clone();
    let api_for_deprecated = api_id.clone();
    view! {
        <section class="panel" data-testid="subscribe">
            <h2>"Subscribe"</h2>
            <table class="table compact">
                <thead><tr><th>"Tier"</th><th>"Limit"</th><th>"Description"</th>{any_bound.then(|| view! { <th>"Restricted scopes it grants"</th> })}</tr></thead>
                <tbody>
                    {tier_rows.into_iter().map(|t| {
                        let only: Vec<&str> = scopes.iter().filter(|s| s.tiers.contains(&t.name)).map(|s| s.name.as_str()).collect();
                        let only = any_bound.then(|| view! { <td data-testid="tier-scopes">{(!only.is_empty()).then(|| view! { <code>{only.join(" ")}</code> })}</td> });
                        view! {
                            <tr>
                                <td>{t.name.clone()} {t.needs_approval.then(|| view! { " " <span class="badge">"needs approval"</span> })}</td>
                                <td>{t.limit_label()}</td>
                                <td class="muted">{t.description.clone()}</td>
                                {only}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {(state == LifecycleState::Prototyped).then(|| view! {
                // Subscribing early is allowed, but nothing is enforced yet: say so.
                <p class="muted" data-testid="prototype-subscription">
                    "This API is a prototype: its gateway answers from examples and checks no credential or tier. "
                    "A subscription made now takes effect once the API is published."
                </p>
            })}
            {move || match (signed_in(), open) {
                (_, false) => view! {
                    <p class="muted" data-testid="deprecated">"This version is deprecated: it takes no new subscriptions."
                        {successor.clone().map(|v| view! { " Subscribe to " <a href=format!("/portal/apis/{}", v.id)>{format!("version {}", v.version)}</a> " instead." })}
                    </p>
                    // Its subscribers still call it: they see their subscriptions, as on any API's page.
                    {apps.value().get().and_then(Result::ok).map(|list| view! { <MySubscriptions current=subscriptions_to(&list, &api_for_deprecated)/> })}
                }.into_any(),
                (false, true) => view! { <p class="muted"><a href=sign_in.clone()>"Sign in"</a> " to subscribe one of your applications."</p> }.into_any(),
                (true, true) => {
                    let list = apps.value().get().and_then(|r| r.ok());
                    match list {
                        None => view! { <p class="muted">"Loading your applications…"</p> }.into_any(),
                        Some(list) if list.is_empty() => view! { <FirstApplication create/> }.into_any(),
                        Some(list) => {
                            let api_id = api_for_status.clone();
                            let current = subscriptions_to(&list, &api_id);
                            if application.get_untracked().is_empty() && let Some(first) = list.first() {
                                application.set(first.id.clone());
                            }
                            // The selected application's active subscription (id, tier), which a submit moves to the tier.
                            let active = StoredValue::new(current.iter().filter(|(_, s)| s.status == SubscriptionStatus::Active).map(|(_, s)| (s.application_id.clone(), s.id.clone(), s.tier.clone())).collect::<Vec<_>>());
                            let active_of = move |app_id: &str| active.with_value(|all| all.iter().find(|(app, _, _)| app == app_id).map(|(_, id, tier)| (id.clone(), tier.clone())));
                            let active_one = move || active_of(&application.get()).map(|(id, _)| id);
                            // A subscribed application's tier select starts at the tier it has.
                            if let Some((_, current_tier)) = active_of(&application.get_untracked()) {
                                tier.set(current_tier);
                            }
                            let api_id_submit = api_id.clone();
                            view! {
                                <MySubscriptions current/>
                                <form class="form inline-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                                    ev.prevent_default();
                                    match active_one() {
                                        Some(id) => { change.dispatch(ChangeSubscriptionTier { id, tier: tier.get_untracked() }); }
                                        None => { subscribe.dispatch(Subscribe { request: NewSubscription { application_id: application.get_untracked(), api_id: api_id_submit.clone(), tier: tier.get_untracked() } }); }
                                    }
                                }>
                                    <label>"Application"
                                        <select data-testid="subscribe-application" on:change=move |ev| {
                                            let chosen = event_target_value(&ev);
                                            if let Some((_, current_tier)) = active_of(&chosen) {
                                                tier.set(current_tier);
                                            }
                                            application.set(chosen);
                                        }>
                                            {list.iter().map(|a| view! { <option value=a.id.clone()>{a.name.clone()}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    <label>"Tier"
                                        <select data-testid="subscribe-tier" on:change=move |ev| tier.set(event_target_value(&ev))>
                                            {tiers.iter().map(|t| {
                                                let name = t.name.clone();
                                                view! { <option value=t.name.clone() prop:selected=move || tier.with(|chosen| *chosen == name)>{t.name.clone()}</option> }
                                            }).collect_view()}
                                        </select>
                                    </label>
                                    <button type="submit" class="button" data-testid="subscribe-button">{move || if active_one().is_some() { "Change tier" } else { "Subscribe" }}</button>
                                </form>
                            }.into_any()
                        }
                    }
                }
            }}
            {move || subscribe.value().get().and_then(|r| r.ok()).map(|s| view! {
                <p class="notice" role="status" data-testid="subscribed">{match s.status {
                    SubscriptionStatus::Pending => format!("{} asked for tier {}: a publisher must approve it before calls work.", s.application_name, s.tier),
                    _ => format!("{} is subscribed with tier {}.", s.application_name, s.tier),
                }} " Its credentials (client secret, API keys) are on " <a href="/applications">"your applications"</a> "."</p>
            })}
            {move || change.value().get().and_then(|r| r.ok()).map(|s| view! {
                <p class="notice" role="status" data-testid="tier-changed">{match &s.requested_tier {
                    Some(asked) => format!("{} asked for tier {asked}: calls go on at {} until a publisher approves it.", s.application_name, s.tier),
                    None => format!("{} now uses tier {}. Tokens issued before the change no longer call this API: get a new one.", s.application_name, s.tier),
                }}</p>
            })}
            <ActionError result=subscribe.value().into()/>
            <ActionError result=change.value().into()/>
        </section>
    }
}

/// A consumer with no application yet names one here instead of leaving the API's page for it;
/// once created, the panel lists it to subscribe.
#[component]
fn FirstApplication(create: ServerAction<CreateApplication>) -> impl IntoView {
    view! {
        <p class="muted">"A subscription belongs to an application: the software that calls the API, holding its credentials. You have none yet."</p>
        <ActionForm action=create attr:class="form inline-form" attr:data-testid="first-application">
            <label>"Application name" <input type="text" name="name" required maxlength="80" placeholder="Online store"/></label>
            <input type="hidden" name="description" value=""/>
            <button type="submit" class="button">"Create application"</button>
        </ActionForm>
        <ActionError result=create.value().into()/>
    }
}

/// This API's subscriptions among the consumer's applications, with each application's name.
fn subscriptions_to(applications: &[Application], api_id: &str) -> Vec<(String, Subscription)> {
    applications
        .iter()
        .filter_map(|a| a.subscriptions.iter().find(|s| s.api_id == api_id).map(|s| (a.name.clone(), s.clone())))
        .collect()
}

/// The consumer's subscriptions to this API: application, tier and status; nothing when none.
#[component]
fn MySubscriptions(current: Vec<(String, Subscription)>) -> impl IntoView {
    (!current.is_empty()).then(|| view! {
        <ul class="plain" data-testid="my-subscriptions">
            {current.into_iter().map(|(app, s)| view! {
                <li>{app} " · " <span data-testid="subscription-tier">{s.tier_label()}</span> " · " <span class=format!("badge sub-{}", s.status.as_str()) data-testid="subscription-status">{s.status.label()}</span></li>
            }).collect_view()}
        </ul>
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prototype_asks_for_no_credential_until_published() {
        let oauth = [AuthKind::Oauth2];
        assert_eq!(
            credentials_label(false, LifecycleState::Prototyped, &oauth, false),
            "none while this API is a prototype; once published, OAuth2 access token (Authorization: Bearer)"
        );
        assert_eq!(
            credentials_label(false, LifecycleState::Published, &oauth, false),
            "OAuth2 access token (Authorization: Bearer)"
        );
        assert_eq!(credentials_label(false, LifecycleState::Prototyped, &[], false), "none: open to anyone");
        assert!(credentials_label(true, LifecycleState::Published, &oauth, false).starts_with("personal access token"));
    }

    #[test]
    fn a_websocket_may_send_its_credential_in_the_query() {
        let both = [AuthKind::Oauth2, AuthKind::ApiKey];
        assert_eq!(
            credentials_label(false, LifecycleState::Published, &both, true),
            "OAuth2 access token (Authorization: Bearer) or API key (apikey header); from a browser's WebSocket, access_token=… or apikey=… in the URL's query"
        );
        assert!(
            credentials_label(false, LifecycleState::Published, &[AuthKind::ApiKey], true)
                .ends_with(", apikey=… in the URL's query")
        );
        assert_eq!(credentials_label(false, LifecycleState::Published, &[], true), "none: open to anyone");
    }
}
