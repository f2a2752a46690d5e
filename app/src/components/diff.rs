//! The semantic diff between two snapshots of an API, as a reviewer reads it.

use gatehouse_contract::ApiDiff;
use leptos::prelude::*;

/// Lines a section shows before folding the rest away: a first release of a large API adds
/// hundreds of operations and schemas, and the reviewer's decision sits below them.
const SHOWN: usize = 10;

fn section(title: &'static str, class: &'static str, mut lines: Vec<String>) -> impl IntoView {
    (!lines.is_empty()).then(|| {
        let total = lines.len();
        // Folding only pays when it hides more than a line or two.
        let rest = if total > SHOWN + 2 { lines.split_off(SHOWN) } else { Vec::new() };
        let item = |l: String| view! { <li>{l}</li> };
        view! {
            <div class=format!("diff-section {class}")>
                <h4>{format!("{title} ({total})")}</h4>
                <ul>{lines.into_iter().map(item).collect_view()}</ul>
                {(!rest.is_empty()).then(|| view! {
                    <details class="diff-more">
                        <summary>{format!("{} more", rest.len())}</summary>
                        <ul>{rest.into_iter().map(item).collect_view()}</ul>
                    </details>
                })}
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
            {section("Documentation", "changed", diff.docs)}
        </div>
    }
    .into_any()
}

// Rendering to HTML needs the server side of Leptos (`cargo test --workspace` has it).
#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn a_long_section_folds_all_but_its_first_lines() {
        let diff = ApiDiff {
            operations_added: (0..40).map(|i| format!("GET /r{i}")).collect(),
            schemas_added: (0..SHOWN + 2).map(|i| format!("S{i}")).collect(),
            ..Default::default()
        };
        let html = Owner::new().with(|| view! { <DiffView diff/> }.to_html());
        let (shown, folded) = html.split_once("<details").expect("the operations fold");
        assert!(shown.contains("Operations added (40)") && shown.contains("GET /r9<") && !shown.contains("GET /r10<"));
        assert!(folded.contains("30 more") && folded.contains("GET /r39<"), "{folded}");
        // Two more lines than are shown are not worth a fold.
        assert!(folded.contains("Schemas added (12)") && !folded.contains("2 more") && folded.contains("S11<"));
    }
}
