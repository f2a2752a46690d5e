//! Analytics dashboards built from gateway events.

use crate::components::guard::RequirePermission;
use gatehouse_contract::Permission;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    view! {
        <Title text="Analytics"/>
        <RequirePermission permission=Permission::ViewAnalytics>
            <section class="page-head">
                <h1>"Analytics"</h1>
                <p class="lead">"Traffic, errors and latency, from the events your gateways send."</p>
            </section>
            <section class="panel empty">
                <h2>"No traffic recorded yet"</h2>
                <p class="muted">"Charts appear once gateways serve requests."</p>
            </section>
        </RequirePermission>
    }
}
