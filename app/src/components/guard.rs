//! Shows a page only to callers holding a permission. The server refuses these pages and their
//! data on its own; this keeps the client-side view consistent with that.

use crate::app::use_auth;
use gatehouse_contract::Permission;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

#[component]
pub fn RequirePermission(permission: Permission, children: ChildrenFn) -> impl IntoView {
    let auth = use_auth();
    let location = use_location();
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let children = children.clone();
                auth.user.get().map(move |user| match user {
                    Ok(Some(me)) if me.role.can(permission) => children().into_any(),
                    Ok(Some(me)) => view! {
                        <section class="panel forbidden" data-testid="forbidden">
                            <h1>"Not available to your role"</h1>
                            <p>{format!("You are signed in as {} ({}). This area needs another role; an admin can change yours.", me.email, me.role.label())}</p>
                            <a href="/" class="button">"Back to start"</a>
                        </section>
                    }.into_any(),
                    Ok(None) => {
                        let next = location.pathname.get_untracked();
                        view! {
                            <section class="panel">
                                <h1>"Sign in to continue"</h1>
                                <p>"This page needs an account."</p>
                                <a href=format!("/signin?next={next}") class="button">"Sign in"</a>
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                })
            }}
        </Transition>
    }
}
