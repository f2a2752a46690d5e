//! The publisher's home: the APIs a creator designs and a publisher reviews.

use crate::components::guard::RequirePermission;
use gatehouse_contract::Permission;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PublisherPage() -> impl IntoView {
    view! {
        <Title text="Publisher"/>
        <RequirePermission permission=Permission::DesignApis>
            <section class="page-head">
                <h1>"Publisher"</h1>
                <p class="lead">"Design APIs, cut revisions and submit them for review."</p>
            </section>
            <section class="panel empty" data-testid="publisher-empty">
                <h2>"No APIs yet"</h2>
                <p class="muted">"Import an OpenAPI document or start from scratch; each API belongs to a gateway group."</p>
            </section>
        </RequirePermission>
    }
}
