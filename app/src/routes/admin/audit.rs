//! The audit log: who did what, when; newest first, paginated, narrowed by who, what, to what
//! and on which days.

use super::AdminPage;
use crate::components::{count, wrap_after};
use crate::functions::admin::audit_log;
use crate::time::{format_utc, parse_date};
use crate::url::encode;
use gatehouse_contract::AuditQuery;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

const PAGE_SIZE: i64 = 50;
const DAY_MS: i64 = 86_400_000;

/// The filters as the URL carries them (`?actor=&action=&target=&from=&to=&page=`; days as
/// `YYYY-MM-DD`, both included), so a filtered log can be shared and reloaded.
#[derive(Clone, Debug, Default, PartialEq)]
struct Filters {
    actor: String,
    action: String,
    target: String,
    from: String,
    to: String,
}

impl Filters {
    /// The query for one page, or which day field is not a date.
    fn query(&self, page: i64) -> Result<AuditQuery, String> {
        let day = |field: &str, text: &str| match text.trim() {
            "" => Ok(None),
            text => parse_date(text).map(Some).ok_or_else(|| format!("{field}: “{text}” is not a date (YYYY-MM-DD)")),
        };
        let given = |text: &str| Some(text.trim().to_string()).filter(|t| !t.is_empty());
        Ok(AuditQuery {
            actor: given(&self.actor),
            action: given(&self.action),
            target: given(&self.target),
            from: day("From", &self.from)?,
            // The last day is included: up to the midnight after it.
            to: day("To", &self.to)?.map(|start| start + DAY_MS),
            limit: Some(PAGE_SIZE),
            offset: Some(page * PAGE_SIZE),
        })
    }

    /// The log's address with these filters, on `page`.
    fn link(&self, page: i64) -> String {
        let Filters { actor, action, target, from, to } = self;
        let fields = [("actor", actor), ("action", action), ("target", target), ("from", from), ("to", to)];
        let mut url = String::from("/admin/audit?");
        for (name, value) in fields.into_iter().filter(|(_, v)| !v.is_empty()) {
            url.push_str(&format!("{name}={}&", encode(value)));
        }
        url.push_str(&format!("page={page}"));
        url
    }

    /// These filters with one field set to `value`: what clicking a cell of the log does.
    fn with(&self, field: &str, value: &str) -> Filters {
        let mut next = self.clone();
        let slot = match field {
            "actor" => &mut next.actor,
            "action" => &mut next.action,
            _ => &mut next.target,
        };
        *slot = value.to_string();
        next
    }
}

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
    let filters = Memo::new(move |_| {
        let q = query.read();
        let field = |k: &str| q.get(k).unwrap_or_default();
        Filters {
            actor: field("actor"),
            action: field("action"),
            target: field("target"),
            from: field("from"),
            to: field("to"),
        }
    });
    let page = move || query.read().get("page").and_then(|p| p.parse::<i64>().ok()).unwrap_or(0).max(0);
    let entries = Resource::new(
        move || filters.get().query(page()),
        |query| async move {
            match query {
                Ok(query) => audit_log(query).await.map_err(|e| e.message),
                Err(message) => Err(message),
            }
        },
    );
    let filtered = move || filters.get() != Filters::default();
    view! {
        <section class="panel">
            <form method="get" action="/admin/audit" class="toolbar filters audit-filters" data-testid="audit-filters">
                <input type="text" name="actor" placeholder="Who (email)" title="Part of an email, or system" aria-label="Who" value=move || filters.get().actor/>
                <input type="text" name="action" placeholder="What (e.g. api.)" title="An action, or how it starts: api. or user.role_changed" aria-label="What" value=move || filters.get().action/>
                <input type="text" name="target" placeholder="Target" title="Part of an email, an API and version, a group" aria-label="Target" value=move || filters.get().target/>
                <label>"From " <input type="date" name="from" value=move || filters.get().from/></label>
                <label>" to " <input type="date" name="to" value=move || filters.get().to/></label>
                <button type="submit" class="button small">"Filter"</button>
                {move || filtered().then(|| view! { <a href="/admin/audit">"Clear"</a> })}
            </form>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || entries.get().map(|result| match result {
                    Err(message) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                    Ok(log) if log.items.is_empty() => view! {
                        <p class="muted" data-testid="audit-empty">
                            {if filtered() { "No entries match these filters." } else { "Nothing has been recorded yet." }}
                        </p>
                    }.into_any(),
                    Ok(log) => {
                        let current = page();
                        let has_older = (current + 1) * PAGE_SIZE < log.total;
                        let shown = filters.get_untracked();
                        // Each of who, what and target links to the log narrowed to it.
                        let narrow = move |field: &'static str, value: String, after: char| {
                            let href = shown.with(field, &value).link(0);
                            view! { <a class="plain-link" href=href title=format!("Only entries with this {field}")>{wrap_after(value, after)}</a> }
                        };
                        view! {
                            <table class="table" data-testid="audit-table">
                                <thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Target"</th><th>"Detail"</th></tr></thead>
                                <tbody>
                                    {log.items.into_iter().map(|e| view! {
                                        <tr>
                                            <td class="muted nowrap">{format_utc(e.at)}</td>
                                            <td>{narrow("actor", e.actor, '@')}</td>
                                            <td><code>{narrow("action", e.action, '.')}</code></td>
                                            <td>{narrow("target", e.target, '@')}</td>
                                            <td class="muted">{e.detail}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <div class="pager">
                                {(current > 0).then(|| view! { <a href=filters.get_untracked().link(current - 1)>"← Newer"</a> })}
                                <span class="muted">{count(log.total, "entry", "entries")}</span>
                                {has_older.then(|| view! { <a href=filters.get_untracked().link(current + 1)>"Older →"</a> })}
                            </div>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::format_date;

    #[test]
    fn days_become_a_half_open_range_that_includes_the_last_day() {
        let filters = Filters { from: "2026-12-01".into(), to: "2026-12-02".into(), ..Default::default() };
        let query = filters.query(2).expect("dates");
        assert_eq!(query.from.map(format_date).as_deref(), Some("2026-12-01"));
        assert_eq!(query.to.map(format_date).as_deref(), Some("2026-12-03"));
        assert_eq!((query.limit, query.offset), (Some(PAGE_SIZE), Some(2 * PAGE_SIZE)));
        let wrong = Filters { to: "next week".into(), ..Default::default() }.query(0);
        assert_eq!(wrong, Err("To: “next week” is not a date (YYYY-MM-DD)".to_string()));
    }

    #[test]
    fn links_keep_the_filters_encoded() {
        let filters = Filters { actor: "ann@example.com".into(), target: "Pizza & Co".into(), ..Default::default() };
        assert_eq!(filters.link(1), "/admin/audit?actor=ann%40example.com&target=Pizza%20%26%20Co&page=1");
        assert_eq!(
            filters.with("action", "api.").link(0),
            "/admin/audit?actor=ann%40example.com&action=api.&target=Pizza%20%26%20Co&page=0"
        );
    }
}
