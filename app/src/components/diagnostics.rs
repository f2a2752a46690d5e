//! Located findings about a definition: line:column, the sentence, and the JSON pointer.

use gatehouse_contract::Diagnostic;
use leptos::prelude::*;

#[component]
pub fn Diagnostics(items: Vec<Diagnostic>, #[prop(into)] kind: String) -> impl IntoView {
    if items.is_empty() {
        return ().into_any();
    }
    let class = format!("diagnostics {kind}");
    view! {
        <ul class=class data-testid=format!("diagnostics-{kind}")>
            {items
                .into_iter()
                .map(|d| {
                    let place = format!("{}{}:{}", d.file.as_deref().map(|f| format!("{f}:")).unwrap_or_default(), d.line, d.column);
                    view! {
                        <li>
                            <span class="place">{place}</span>
                            <span class="message">{d.message}</span>
                            {(!d.pointer.is_empty()).then(|| view! { <code class="pointer">{d.pointer}</code> })}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
