//! Sign-in and sign-up pages.

use crate::app::use_auth;
use crate::components::notice::ActionError;
use crate::components::password::NewPasswordFields;
use crate::functions::auth::who_may_sign_up;
use gatehouse_contract::{SignUpMode, SignUpPolicy};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SignInPage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let show_password = RwSignal::new(false);
    view! {
        <Title text="Sign in"/>
        <section class="panel narrow">
            <h1>"Sign in"</h1>
            <ActionForm action=auth.sign_in attr:class="form">
                <label>"Email" <input type="email" name="email" autocomplete="username" required/></label>
                <label>"Password"
                    <span class="password-field">
                        <input type=move || if show_password.get() { "text" } else { "password" } name="password" autocomplete="current-password" required/>
                        <button type="button" class="link-button" on:click=move |_| show_password.update(|s| *s = !*s)>
                            {move || if show_password.get() { "Hide" } else { "Show" }}
                        </button>
                    </span>
                </label>
                <input type="hidden" name="next" value=next/>
                <button type="submit" class="button">"Sign in"</button>
                <ActionError result=auth.sign_in.value().into()/>
            </ActionForm>
            <p class="muted">"No account yet? " <a href="/signup">"Sign up"</a></p>
        </section>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let auth = use_auth();
    let policy = Resource::new(|| (), |_| who_may_sign_up());
    view! {
        <Title text="Sign up"/>
        <section class="panel narrow">
            <h1>"Create your account"</h1>
            <Transition fallback=|| ()>
                {move || policy.get().map(|result| match result {
                    Ok(SignUpPolicy { mode: SignUpMode::Closed, .. }) => view! {
                        <p data-testid="sign-up-closed">"Sign-up is closed here: an admin adds accounts. Ask yours for one."</p>
                    }.into_any(),
                    Ok(policy) => view! {
                        <p class="muted">"New accounts can browse the portal and subscribe applications. An admin can grant more."</p>
                        {(policy.mode == SignUpMode::Domains).then(|| view! {
                            <p class="muted" data-testid="sign-up-domains-hint">{format!("Sign-up is open to addresses at {}.", policy.domains.join(", "))}</p>
                        })}
                        <ActionForm action=auth.sign_up attr:class="form">
                            <label>"Email" <input type="email" name="email" autocomplete="username" required/></label>
                            <NewPasswordFields label="Password"/>
                            <button type="submit" class="button">"Sign up"</button>
                            <ActionError result=auth.sign_up.value().into()/>
                        </ActionForm>
                    }.into_any(),
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                })}
            </Transition>
            <p class="muted">"Already have an account? " <a href="/signin">"Sign in"</a></p>
        </section>
    }
}
