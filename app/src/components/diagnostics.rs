//! Located findings about a definition: line:column, the sentence, and the JSON pointer.

use gatehouse_contract::Diagnostic;
use leptos::prelude::*;

/// How many findings show before the rest fold away: a large definition can have hundreds
/// (DigitalOcean's has 201, nearly all of one kind), and the first few say what they are.
const SHOWN: usize = 10;

#[component]
pub fn Diagnostics(mut items: Vec<Diagnostic>, #[prop(into)] kind: String) -> impl IntoView {
    if items.is_empty() {
        return ().into_any();
    }
    let class = format!("diagnostics {kind}");
    let rest = items.split_off(SHOWN.min(items.len()));
    view! {
        <div data-testid=format!("diagnostics-{kind}")>
            <ul class=class.clone()>{items.into_iter().map(finding).collect_view()}</ul>
            {(!rest.is_empty()).then(|| view! {
                <details class="diagnostics-more">
                    <summary>{format!("{} more", rest.len())}</summary>
                    <ul class=class>{rest.into_iter().map(finding).collect_view()}</ul>
                </details>
            })}
        </div>
    }
    .into_any()
}

fn finding(d: Diagnostic) -> impl IntoView {
    let place = format!("{}{}:{}", d.file.as_deref().map(|f| format!("{f}:")).unwrap_or_default(), d.line, d.column);
    view! {
        <li>
            <span class="place">{place}</span>
            <span class="message">{d.message}</span>
            {(!d.pointer.is_empty()).then(|| view! { <code class="pointer">{d.pointer}</code> })}
        </li>
    }
}
