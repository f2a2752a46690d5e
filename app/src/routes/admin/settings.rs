//! Settings: who may sign up.

use super::AdminPage;
use crate::components::notice::ActionError;
use crate::functions::admin::{SaveSettings, get_settings};
use gatehouse_contract::SignUpMode;
use leptos::prelude::*;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveSettings>::new();
    let settings = Resource::new(move || save.version().get(), |_| get_settings());
    view! {
        <AdminPage title="Settings">
            <section class="panel">
                <h2>"Sign-up"</h2>
                <p class="muted">"Who may create their own account on the sign-up page. Such accounts are consumers; admins add everyone else under Users."</p>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || settings.get().map(|result| match result {
                        Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                        Ok(current) => {
                            let policy = current.sign_up;
                            let chosen = policy.mode;
                            let domains = policy.domains.join(", ");
                            // The properties as well as the attributes: a re-render after a save
                            // patches these inputs in place, and typing has detached their shown
                            // value from the attribute.
                            let choice = move |mode: SignUpMode, value: &'static str, label: &'static str, hint: &'static str| view! {
                                <label class="choice">
                                    <input type="radio" name="sign_up_mode" value=value checked=chosen == mode prop:checked=chosen == mode data-testid=format!("sign-up-mode-{value}")/>
                                    <span><strong>{label}</strong> " " <span class="muted">{hint}</span></span>
                                </label>
                            };
                            view! {
                                <ActionForm action=save attr:class="form">
                                    <fieldset>
                                        <legend>"Sign-up is"</legend>
                                        {choice(SignUpMode::Open, "open", "Open", "to anyone with an email address")}
                                        {choice(SignUpMode::Domains, "domains", "Open to some domains", "only addresses at the domains below")}
                                        {choice(SignUpMode::Closed, "closed", "Closed", "admins add every account")}
                                    </fieldset>
                                    <label>"Email domains"
                                        <input type="text" name="sign_up_domains" value=domains.clone() prop:value=domains placeholder="example.com, example.org" data-testid="sign-up-domains"/>
                                        <small class="muted">"Separated by commas. Only exact matches: example.com does not admit eu.example.com."</small>
                                    </label>
                                    <button type="submit" class="button">"Save settings"</button>
                                </ActionForm>
                            }.into_any()
                        }
                    })}
                </Transition>
                <ActionError result=save.value().into()/>
                {move || save.value().get().and_then(|r| r.ok()).map(|_| view! {
                    <p class="notice" role="status" data-testid="settings-saved">"Settings saved."</p>
                })}
            </section>
        </AdminPage>
    }
}
