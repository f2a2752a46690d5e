//! The signed-in person's own settings.

pub mod password;
pub mod tokens;

use leptos::prelude::*;
use leptos_router::components::A;

/// Tabs shared by the account pages.
#[component]
pub fn AccountTabs() -> impl IntoView {
    view! {
        <nav class="tabs" aria-label="Account">
            <A href="/account/password">"Password"</A>
            <A href="/account/tokens">"Access tokens"</A>
        </nav>
    }
}
