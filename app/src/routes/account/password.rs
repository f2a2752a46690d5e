//! Change one's own password.

use super::AccountTabs;
use crate::components::guard::RequirePermission;
use crate::components::notice::ActionError;
use crate::components::password::NewPasswordFields;
use crate::functions::auth::ChangePassword;
use gatehouse_contract::Permission;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PasswordPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    view! {
        <Title text="Password"/>
        <RequirePermission permission=Permission::UsePortal>
            <section class="page-head">
                <h1>"Your account"</h1>
                <AccountTabs/>
            </section>
            <section class="panel narrow">
                <h2>"Change your password"</h2>
                <p class="muted">"Your other sessions are signed out; this one goes on. Personal access tokens keep working until you revoke them."</p>
                <ActionForm action=change attr:class="form">
                    <label>"Current password" <input type="password" name="current_password" autocomplete="current-password" required/></label>
                    <NewPasswordFields label="New password"/>
                    <button type="submit" class="button">"Change password"</button>
                </ActionForm>
                <ActionError result=change.value().into()/>
                {move || change.value().get().and_then(|r| r.ok()).map(|_| view! {
                    <p class="notice" role="status" data-testid="password-changed">"Password changed. Your other sessions were signed out."</p>
                })}
            </section>
        </RequirePermission>
    }
}
