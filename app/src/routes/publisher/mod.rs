//! The publisher: the list of APIs, creating and importing them, and each API's workspace.

pub mod api;
pub mod deployments;
pub mod import;
pub mod new;
pub mod tiers;

use crate::components::guard::RequirePermission;
use crate::components::{count, tag_chips};
use crate::functions::apis::list_apis;
use crate::time::format_utc;
use crate::url::encode;
use gatehouse_contract::{ApiQuery, LifecycleState, Permission};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

pub const PAGE_SIZE: i64 = 25;

/// A state badge, coloured by state.
pub fn state_badge(state: LifecycleState) -> impl IntoView {
    view! { <span class=format!("badge state-{}", state.as_str().to_lowercase())>{state.as_str()}</span> }
}

#[component]
pub fn PublisherPage() -> impl IntoView {
    view! {
        <Title text="Publisher"/>
        <RequirePermission permission=Permission::DesignApis>
            <section class="page-head row">
                <div>
                    <h1>"Publisher"</h1>
                    <p class="lead">"Design APIs, cut revisions and take them through review."</p>
                </div>
                <div class="actions">
                    <a class="button" href="/publisher/import">"Import definition"</a>
                    <a class="button secondary" href="/publisher/new">"Start from scratch"</a>
                </div>
            </section>
            <deployments::PublisherTabs/>
            <ApiList/>
        </RequirePermission>
    }
}

/// Filters live in the URL (`?q=&state=&tag=&owner=&page=`): pages can be shared and reloaded,
/// and the list works before hydration through the plain GET form.
#[component]
fn ApiList() -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &str| query.read().get(k).unwrap_or_default();
    let page = move || param("page").parse::<i64>().unwrap_or(0).max(0);
    let apis = Resource::new(
        move || ApiQuery {
            q: param("q"),
            state: param("state").parse().ok(),
            tag: Some(param("tag")).filter(|t| !t.is_empty()),
            owner: Some(param("owner")).filter(|o| !o.is_empty()),
            group: Some(param("group")).filter(|g| !g.is_empty()),
            limit: Some(PAGE_SIZE),
            offset: Some(page() * PAGE_SIZE),
        },
        list_apis,
    );
    let link = move |p: i64| {
        format!(
            "/publisher?q={}&state={}&tag={}&owner={}&group={}&page={p}",
            encode(&param("q")),
            encode(&param("state")),
            encode(&param("tag")),
            encode(&param("owner")),
            encode(&param("group"))
        )
    };
    view! {
        <section class="panel">
            <form method="get" action="/publisher" class="toolbar filters">
                <input type="search" name="q" placeholder="Search name, description, tags, paths" aria-label="Search APIs" value=move || param("q")/>
                <select name="state" aria-label="State">
                    <option value="">"Any state"</option>
                    {LifecycleState::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=move || param("state") == s.as_str()>{s.as_str()}</option>
                    }).collect_view()}
                </select>
                <input type="text" name="tag" placeholder="Tag" aria-label="Tag" value=move || param("tag")/>
                <input type="text" name="owner" placeholder="Owner email" aria-label="Owner" value=move || param("owner")/>
                <input type="text" name="group" placeholder="Group" aria-label="Gateway group" value=move || param("group")/>
                <button type="submit" class="button small">"Filter"</button>
            </form>
            <Transition fallback=|| view! { <p class="muted">"Loading APIs…"</p> }>
                {move || apis.get().map(|result| match result {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(list) if list.items.is_empty() => view! {
                        <div class="empty" data-testid="publisher-empty">
                            <h2>"No APIs match"</h2>
                            <p class="muted">"Import an OpenAPI definition or start from scratch."</p>
                        </div>
                    }.into_any(),
                    Ok(list) => {
                        let current = page();
                        let has_more = (current + 1) * PAGE_SIZE < list.total;
                        view! {
                            <table class="table" data-testid="api-table">
                                <thead><tr><th>"API"</th><th>"Context"</th><th>"State"</th><th>"Operations"</th><th>"Owner"</th><th>"Updated"</th></tr></thead>
                                <tbody>
                                    {list.items.into_iter().map(|a| view! {
                                        <tr data-testid="api-row">
                                            <td>
                                                <a href=format!("/publisher/apis/{}", a.id)><strong>{a.name.clone()}</strong></a>
                                                " " <span class="muted">{a.version.clone()}</span>
                                                <div class="tags">{tag_chips(a.tags.clone())}</div>
                                            </td>
                                            <td><code>{a.context.clone()}</code></td>
                                            <td>{state_badge(a.state)}</td>
                                            <td>{a.operations}</td>
                                            <td class="muted">{a.owner.clone()}</td>
                                            <td class="muted nowrap">{format_utc(a.updated_at)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <div class="pager">
                                {(current > 0).then(|| view! { <a href=link(current - 1)>"← Previous"</a> })}
                                <span class="muted">{count(list.total, "API", "APIs")}</span>
                                {has_more.then(|| view! { <a href=link(current + 1)>"Next →"</a> })}
                            </div>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}
