//! The top navigation: links shown by role, and the account menu.

use crate::app::use_auth;
use gatehouse_contract::Permission;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

#[component]
pub fn Nav() -> impl IntoView {
    let auth = use_auth();
    let location = use_location();
    let admin_page = move || location.pathname.get().starts_with("/admin/");
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">
                <svg class="brand-mark" viewBox="0 0 32 32" width="26" height="26" aria-hidden="true">
                    <rect width="32" height="32" rx="7" fill="#2d5b8f"/>
                    <path d="M6 11h20M9 11v14M23 11v14M5 7h22" stroke="#f4b942" stroke-width="3" stroke-linecap="round" fill="none"/>
                </svg>
                <span>"Gatehouse"</span>
            </A>
            <Transition fallback=|| view! { <nav class="nav" aria-label="Main"></nav> }>
                {move || {
                    let me = auth.me();
                    let role = me.as_ref().map(|m| m.role);
                    let can = move |p: Permission| role.is_some_and(|r| r.can(p));
                    view! {
                        <nav class="nav" aria-label="Main">
                            <A href="/portal">"Portal"</A>
                            <Show when=move || can(Permission::UsePortal)>
                                <A href="/applications">"Applications"</A>
                            </Show>
                            <Show when=move || can(Permission::DesignApis)>
                                <A href="/publisher">"Publisher"</A>
                            </Show>
                            <Show when=move || can(Permission::ViewAnalytics)>
                                <A href="/analytics">"Analytics"</A>
                            </Show>
                            <Show when=move || can(Permission::Administer)>
                                // Every admin page, not only the users list it opens on, marks it.
                                <a href="/admin/users" aria-current=move || admin_page().then_some("page")>"Admin"</a>
                            </Show>
                        </nav>
                        <div class="account">
                            {match me {
                                Some(me) => view! {
                                    <span class="who" data-testid="who">
                                        <span class="email">{me.email.clone()}</span>
                                        <span class=format!("badge role-{}", me.role.as_str())>{me.role.label()}</span>
                                    </span>
                                    <A href="/account/password">"Account"</A>
                                    <ActionForm action=auth.sign_out attr:class="inline">
                                        <button type="submit" class="link-button">"Sign out"</button>
                                    </ActionForm>
                                }.into_any(),
                                None => view! {
                                    <A href="/signin">"Sign in"</A>
                                    <A href="/signup" attr:class="button small">"Sign up"</A>
                                }.into_any(),
                            }}
                        </div>
                    }
                }}
            </Transition>
        </header>
    }
}
