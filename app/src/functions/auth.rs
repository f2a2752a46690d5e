//! Sign-up, sign-in, sign-out and "who am I".

use crate::AppError;
use gatehouse_contract::{Me, SignUpPolicy};
use leptos::prelude::*;

#[server]
pub async fn current_user() -> Result<Option<Me>, AppError> {
    use super::ssr::caller;
    Ok(caller().await?.map(|a| Me { email: a.email, role: a.role }))
}

/// Only same-site paths are followed after sign-in, so a crafted link cannot bounce a person
/// to another site (open redirect).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_string(),
        _ => "/".to_string(),
    }
}

#[server]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use super::ssr::{client_address, context, session, start_session};
    use gatehouse_domain::{accounts, store::now_ms};
    let ctx = context()?;
    let address = client_address().await;
    let actor = accounts::sign_in(&ctx.db, &ctx.throttle, &email, &password, &address).await?;
    start_session(&session().await?, &actor.user_id, now_ms()).await?;
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

#[server]
pub async fn sign_up(email: String, password: String, password_again: String) -> Result<(), AppError> {
    use super::ssr::{context, session, start_session};
    use gatehouse_domain::{DomainError, accounts, store::now_ms};
    if password != password_again {
        return Err(DomainError::invalid("password_again", "the two passwords differ").into());
    }
    let ctx = context()?;
    let user = accounts::sign_up(&ctx.db, &email, &password).await?;
    start_session(&session().await?, &user.id, now_ms()).await?;
    leptos_axum::redirect("/portal");
    Ok(())
}

/// Who may sign up, for the sign-up page (anyone may ask).
#[server]
pub async fn who_may_sign_up() -> Result<SignUpPolicy, AppError> {
    use super::ssr::context;
    Ok(gatehouse_domain::settings::sign_up_policy(&context()?.db).await?)
}

/// The signed-in person changes their password; their other sessions end, this one goes on.
#[server]
pub async fn change_password(
    current_password: String,
    password: String,
    password_again: String,
) -> Result<(), AppError> {
    use super::ssr::{client_address, context, require, session, start_session};
    use gatehouse_contract::Permission;
    use gatehouse_domain::{DomainError, accounts};
    let actor = require(Permission::UsePortal).await?;
    if password != password_again {
        return Err(DomainError::invalid("password_again", "the two passwords differ").into());
    }
    let ctx = context()?;
    let address = client_address().await;
    let changed_at =
        accounts::change_password(&ctx.db, &ctx.throttle, &actor, &current_password, &password, &address).await?;
    start_session(&session().await?, &actor.user_id, changed_at).await?;
    Ok(())
}

#[server]
pub async fn sign_out() -> Result<(), AppError> {
    use super::ssr::session;
    let session = session().await?;
    session.flush().await.map_err(|e| AppError::new("internal", format!("session: {e}")))?;
    leptos_axum::redirect("/");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_site() {
        assert_eq!(safe_next(Some("/admin/users")), "/admin/users");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
