//! Findings about a definition: located ones (line:column, the sentence, the JSON pointer)
//! from reading it, and the design review's (rule, the operation, the sentence).

use gatehouse_contract::{DesignFinding, Diagnostic, FindingLevel};
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

/// The design review's findings, warnings first as the review sorts them, or a line saying
/// the review found nothing.
#[component]
pub fn DesignReview(mut items: Vec<DesignFinding>) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="muted" data-testid="design-clean">"The design review finds nothing to change."</p> }
            .into_any();
    }
    let rest = items.split_off(SHOWN.min(items.len()));
    let row = |f: DesignFinding| {
        let class = if f.level == FindingLevel::Warning { "warning" } else { "advice" };
        let rule = f.rule.clone();
        view! {
            <li class=class data-testid="design-finding" data-rule=rule>
                <span class="place">{f.level.as_str()}</span>
                <span class="message">{f.message}</span>
                <code class="pointer">{f.rule}</code>
            </li>
        }
    };
    view! {
        <div data-testid="design-review">
            <ul class="diagnostics design">{items.into_iter().map(row).collect_view()}</ul>
            {(!rest.is_empty()).then(|| view! {
                <details class="diagnostics-more">
                    <summary>{format!("{} more", rest.len())}</summary>
                    <ul class="diagnostics design">{rest.into_iter().map(row).collect_view()}</ul>
                </details>
            })}
        </div>
    }
    .into_any()
}
