//! The fields that choose a new password, typed twice, as sign-up and a password change ask.

use gatehouse_contract::MIN_PASSWORD_LEN;
use leptos::prelude::*;

/// `password` and `password_again`, labelled `{label}` and `{label} again`.
#[component]
pub fn NewPasswordFields(label: &'static str) -> impl IntoView {
    view! {
        <label>{label}
            <input type="password" name="password" autocomplete="new-password" required minlength=MIN_PASSWORD_LEN/>
            <small class="muted">{format!("At least {MIN_PASSWORD_LEN} characters.")}</small>
        </label>
        <label>{format!("{label} again")} <input type="password" name="password_again" autocomplete="new-password" required/></label>
    }
}
