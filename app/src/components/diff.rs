//! The semantic diff between two snapshots of an API, as a reviewer reads it.

use gatehouse_contract::ApiDiff;
use leptos::prelude::*;

fn section(title: &'static str, class: &'static str, lines: Vec<String>) -> impl IntoView {
    (!lines.is_empty()).then(|| {
        view! {
            <div class=format!("diff-section {class}")>
                <h4>{title}</h4>
                <ul>{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
            </div>
        }
    })
}

#[component]
pub fn DiffView(diff: ApiDiff) -> impl IntoView {
    if diff.is_empty() {
        return view! { <p class="muted" data-testid="diff-empty">"No differences."</p> }.into_any();
    }
    let changed: Vec<String> =
        diff.operations_changed.iter().map(|c| format!("{} — {}", c.operation, c.changes.join("; "))).collect();
    view! {
        <div class="diff" data-testid="diff">
            {section("Operations added", "added", diff.operations_added)}
            {section("Operations removed", "removed", diff.operations_removed)}
            {section("Operations changed", "changed", changed)}
            {section("Schemas added", "added", diff.schemas_added)}
            {section("Schemas removed", "removed", diff.schemas_removed)}
            {section("Schemas changed", "changed", diff.schemas_changed)}
            {section("Security", "changed", diff.security)}
            {section("Endpoints", "changed", diff.endpoints)}
            {section("Tiers", "changed", diff.tiers)}
            {section("Other", "changed", diff.other)}
        </div>
    }
    .into_any()
}
