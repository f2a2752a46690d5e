//! The developer portal's catalog of published APIs.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PortalPage() -> impl IntoView {
    view! {
        <Title text="Developer portal"/>
        <section class="page-head">
            <h1>"Developer portal"</h1>
            <p class="lead">"Published APIs appear here once a publisher approves their deployment."</p>
        </section>
        <section class="panel empty" data-testid="catalog-empty">
            <h2>"No APIs are published yet"</h2>
            <p class="muted">"When an API is approved and deployed to its gateway group, it is listed here with its reference and try-it console."</p>
        </section>
    }
}
