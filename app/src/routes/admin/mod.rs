//! Administration pages.

pub mod audit;
pub mod settings;
pub mod users;
pub mod webhooks;

use crate::components::guard::RequirePermission;
use gatehouse_contract::Permission;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// An administration page titled `title`: for admins only, under the admin tabs.
#[component]
pub fn AdminPage(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=title/>
        <RequirePermission permission=Permission::Administer>
            <section class="page-head">
                <h1>"Administration"</h1>
                <nav class="tabs" aria-label="Administration">
                    <A href="/admin/users">"Users"</A>
                    <A href="/admin/audit">"Audit log"</A>
                    <A href="/admin/webhooks">"Webhooks"</A>
                    <A href="/admin/settings">"Settings"</A>
                </nav>
            </section>
            {children()}
        </RequirePermission>
    }
}
