//! The audit log: who did what, when; newest first, paginated.

use super::AdminPage;
use crate::components::{count, wrap_after};
use crate::functions::admin::{AUDIT_PAGE_SIZE, audit_log};
use crate::time::format_utc;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <AdminPage title="Audit log">
            <AuditTable/>
        </AdminPage>
    }
}

#[component]
fn AuditTable() -> impl IntoView {
    let query = use_query_map();
    let page = move || query.read().get("page").and_then(|p| p.parse::<i64>().ok()).unwrap_or(0).max(0);
    let entries = Resource::new(page, audit_log);
    view! {
        <section class="panel">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || entries.get().map(|result| match result {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(log) => {
                        let current = page();
                        let has_older = (current + 1) * AUDIT_PAGE_SIZE < log.total;
                        view! {
                            <table class="table" data-testid="audit-table">
                                <thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Target"</th><th>"Detail"</th></tr></thead>
                                <tbody>
                                    {log.items.into_iter().map(|e| view! {
                                        <tr>
                                            <td class="muted nowrap">{format_utc(e.at)}</td>
                                            <td>{wrap_after(e.actor, '@')}</td>
                                            <td><code>{wrap_after(e.action, '.')}</code></td>
                                            <td>{wrap_after(e.target, '@')}</td>
                                            <td class="muted">{e.detail}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <div class="pager">
                                {(current > 0).then(|| view! { <a href=format!("/admin/audit?page={}", current - 1)>"← Newer"</a> })}
                                <span class="muted">{count(log.total, "entry", "entries")}</span>
                                {has_older.then(|| view! { <a href=format!("/admin/audit?page={}", current + 1)>"Older →"</a> })}
                            </div>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}
