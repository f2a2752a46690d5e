//! Administration pages.

pub mod audit;
pub mod settings;
pub mod users;
pub mod webhooks;

use leptos::prelude::*;
use leptos_router::components::A;

/// Tabs shared by the admin pages.
#[component]
pub fn AdminTabs() -> impl IntoView {
    view! {
        <nav class="tabs" aria-label="Administration">
            <A href="/admin/users">"Users"</A>
            <A href="/admin/audit">"Audit log"</A>
            <A href="/admin/webhooks">"Webhooks"</A>
            <A href="/admin/settings">"Settings"</A>
        </nav>
    }
}
