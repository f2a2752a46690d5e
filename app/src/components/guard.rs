//! Shows a page only to callers holding a permission. The server refuses these pages and their
//! data on its own; this keeps the client-side view consistent with that.

use crate::app::use_auth;
use gatehouse_contract::{Me, Permission};
use leptos::prelude::*;
use leptos_router::hooks::use_location;

enum Access {
    Allowed,
    Forbidden(Me),
    SignedOut,
    Failed(String),
}

#[component]
pub fn RequirePermission(permission: Permission, children: ChildrenFn) -> impl IntoView {
    let auth = use_auth();
    let location = use_location();
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            // The user is awaited inside the Transition (not read by a memo outside it): a
            // resource read outside Suspense is not tracked by hydration, and the page below
            // then and again failed to hydrate (the wasm panicked on a mismatch).
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    let access = match auth.user.await {
                        Ok(Some(me)) if me.role.can(permission) => Access::Allowed,
                        Ok(Some(me)) => Access::Forbidden(me),
                        Ok(None) => Access::SignedOut,
                        Err(e) => Access::Failed(e.to_string()),
                    };
                    match access {
                        Access::Allowed => children().into_any(),
                        Access::Forbidden(me) => view! {
                            <section class="panel forbidden" data-testid="forbidden">
                                <h1>"Not available to your role"</h1>
                                <p>{format!("You are signed in as {} ({}). This area needs another role; an admin can change yours.", me.email, me.role.label())}</p>
                                <a href="/" class="button">"Back to start"</a>
                            </section>
                        }.into_any(),
                        Access::SignedOut => {
                            let next = location.pathname.get_untracked();
                            view! {
                                <section class="panel">
                                    <h1>"Sign in to continue"</h1>
                                    <p>"This page needs an account."</p>
                                    <a href=format!("/signin?next={next}") class="button">"Sign in"</a>
                                </section>
                            }.into_any()
                        }
                        Access::Failed(message) => view! { <p class="error">{message}</p> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}
