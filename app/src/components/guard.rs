//! Shows a page only to callers holding a permission. The server refuses these pages and their
//! data on its own; this keeps the client-side view consistent with that.

use crate::app::use_auth;
use gatehouse_contract::{Me, Permission};
use leptos::prelude::*;
use leptos_router::hooks::use_location;

#[derive(Clone, PartialEq)]
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
    // A memo, so the page below is built once per change of access, not on every re-read of
    // the user: building it twice would start its data loads twice.
    let access = Memo::new(move |_| {
        auth.user.get().map(|user| match user {
            Ok(Some(me)) if me.role.can(permission) => Access::Allowed,
            Ok(Some(me)) => Access::Forbidden(me),
            Ok(None) => Access::SignedOut,
            Err(e) => Access::Failed(e.to_string()),
        })
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let children = children.clone();
                access.get().map(move |access| match access {
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
                })
            }}
        </Transition>
    }
}
