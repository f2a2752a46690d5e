//! Shows a page only to callers holding a permission. The server refuses these pages and their
//! data on its own; this keeps the client-side view consistent with that.

use crate::AppError;
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

impl Access {
    fn of(user: Result<Option<Me>, AppError>, permission: Permission) -> Access {
        match user {
            Ok(Some(me)) if me.role.can(permission) => Access::Allowed,
            Ok(Some(me)) => Access::Forbidden(me),
            Ok(None) => Access::SignedOut,
            Err(e) => Access::Failed(e.to_string()),
        }
    }
}

#[component]
pub fn RequirePermission(permission: Permission, children: Children) -> impl IntoView {
    let auth = use_auth();
    let location = use_location();
    let access = move || auth.user.get().map(|user| Access::of(user, permission));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || access().map(|access| match access {
                Access::Allowed => ().into_any(),
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
            })}
            // The page is built once, as the Transition builds its children, and only shown or
            // hidden. Built inside a reactive closure, as before, it was built again each time
            // the server's Suspense walked that closure for pending loads — a varying number of
            // times, depending on when the signed-in user arrived — and each build's data loads
            // took resource ids, so the browser, building it once, paired its loads with another
            // build's data and failed to hydrate now and then. A caller without the permission
            // has the page's loads refused by the server and never sees it.
            <div hidden=move || !matches!(access(), Some(Access::Allowed))>{children()}</div>
        </Transition>
    }
}
