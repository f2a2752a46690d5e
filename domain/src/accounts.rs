//! People and their roles: sign-up, sign-in, role changes. Passwords are hashed with argon2id.

use crate::error::is_unique_violation;
use crate::store::{new_id, now_ms};
use crate::throttle::SignInThrottle;
use crate::{Actor, Db, DomainError, Result, audit, settings, subscriptions};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use gatehouse_contract::{NewAccount, Page, Permission, ResetPassword, Role, UserSummary};

pub use gatehouse_contract::MIN_PASSWORD_LEN;
const MAX_PASSWORD_LEN: usize = 256;

#[derive(sqlx::FromRow, Clone, Debug)]
struct UserRow {
    id: String,
    email: String,
    password_hash: String,
    role: String,
    created_at: i64,
    /// 0 while the account may be used; when an admin disabled it (Unix ms).
    disabled_at: i64,
    /// When the password last changed (Unix ms; 0 = not since the account was made): sessions
    /// signed in before it no longer count.
    password_changed_at: i64,
}

const USER_COLUMNS: &str = "id, email, password_hash, role, created_at, disabled_at, password_changed_at";

/// The account that owns what Gatehouse publishes about itself (its management API's portal
/// listing). Its password is random and never shown, and no one may set it or change the
/// account's role: nobody signs in as it.
pub const SYSTEM_OWNER: &str = "system@gatehouse.invalid";

fn refuse_system_account(email: &str) -> Result<()> {
    if email == SYSTEM_OWNER {
        return Err(DomainError::Conflict(format!(
            "{SYSTEM_OWNER} is Gatehouse's own account (it owns the management API's listing); it cannot be changed"
        )));
    }
    Ok(())
}

impl UserRow {
    fn role(&self) -> Result<Role> {
        self.role.parse().map_err(|e| DomainError::Internal(format!("user {} has a bad role: {e}", self.id)))
    }

    fn actor(&self) -> Result<Actor> {
        Ok(Actor { user_id: self.id.clone(), email: self.email.clone(), role: self.role()? })
    }

    fn summary(&self) -> Result<UserSummary> {
        Ok(UserSummary {
            id: self.id.clone(),
            email: self.email.clone(),
            role: self.role()?,
            created_at: self.created_at,
            system: self.email == SYSTEM_OWNER,
            disabled: self.disabled_at != 0,
            owned_apis: 0,
        })
    }
}

/// Trim and lower-case an email and check its shape; the stored form is always normalised.
pub fn normalize_email(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@') && !domain.starts_with('.') && !domain.ends_with('.'));
    if valid { Ok(email) } else { Err(DomainError::invalid("email", "is not a valid email address")) }
}

fn check_password_policy(password: &str) -> Result<()> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(DomainError::invalid("password", format!("must be at least {MIN_PASSWORD_LEN} characters")));
    }
    if len > MAX_PASSWORD_LEN {
        return Err(DomainError::invalid("password", format!("must be at most {MAX_PASSWORD_LEN} characters")));
    }
    Ok(())
}

/// argon2id with the crate's defaults (OWASP's recommended parameters), off the async threads.
async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| DomainError::Internal(format!("hashing password: {e}")))
    })
    .await
    .map_err(|e| DomainError::Internal(format!("hashing task: {e}")))?
}

async fn verify_password(password: &str, hash: &str) -> bool {
    let password = password.to_owned();
    let hash = hash.to_owned();
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A fixed hash verified against when the account does not exist, so an unknown email takes
/// as long to refuse as a wrong password and timing does not reveal which accounts exist.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$YtlMvDuIh4a0BHhx0jnjd3uvUwTNaOrW1t4vQbxHSh8";

async fn find_by_email(db: &Db, email: &str) -> Result<Option<UserRow>> {
    Ok(sqlx::query_as::<_, UserRow>(&format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1"))
        .bind(email)
        .fetch_optional(&db.pool)
        .await?)
}

async fn find_by_id(db: &Db, id: &str) -> Result<Option<UserRow>> {
    Ok(sqlx::query_as::<_, UserRow>(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?)
}

/// Create an account. `actor` is who created it (`audit::SYSTEM` for sign-up or the CLI).
pub async fn create_user(db: &Db, actor: &str, email: &str, password: &str, role: Role) -> Result<UserSummary> {
    let email = normalize_email(email)?;
    check_password_policy(password)?;
    let hash = hash_password(password).await?;
    let row = UserRow {
        id: new_id(),
        email,
        password_hash: hash,
        role: role.as_str().into(),
        created_at: now_ms(),
        disabled_at: 0,
        password_changed_at: 0,
    };
    let inserted =
        sqlx::query("INSERT INTO users (id, email, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&row.id)
            .bind(&row.email)
            .bind(&row.password_hash)
            .bind(&row.role)
            .bind(row.created_at)
            .execute(&db.pool)
            .await;
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(DomainError::Conflict(format!("an account for {} already exists", row.email)));
        }
        Err(e) => return Err(e.into()),
    }
    let actor = if actor == audit::SYSTEM { row.email.as_str() } else { actor };
    audit::record(db, actor, "user.created", &row.email, &format!("role {}", row.role)).await?;
    row.summary()
}

/// Self sign-up, as far as the admins' policy lets it (Admin → Settings): always a consumer; an
/// admin grants more.
pub async fn sign_up(db: &Db, email: &str, password: &str) -> Result<UserSummary> {
    let email = normalize_email(email)?;
    settings::admit_sign_up(&settings::sign_up_policy(db).await?, &email)?;
    create_user(db, audit::SYSTEM, &email, password, Role::Consumer).await
}

/// An admin adds someone's account with a generated first password, returned this once for the
/// admin to pass on; the person changes it (see [`change_password`]).
pub async fn add_user(db: &Db, actor: &Actor, email: &str, role: Role) -> Result<NewAccount> {
    actor.require(Permission::Administer)?;
    let password = generate_password();
    let user = create_user(db, &actor.email, email, &password, role).await?;
    Ok(NewAccount { user, password })
}

/// Check a password. Unknown account and wrong password give the same error, after the same work.
pub async fn sign_in(db: &Db, throttle: &SignInThrottle, email: &str, password: &str, address: &str) -> Result<Actor> {
    let email = email.trim().to_lowercase();
    if let Some(retry_after_secs) = throttle.check(&email, address) {
        return Err(DomainError::Throttled { retry_after_secs });
    }
    let user = find_by_email(db, &email).await?;
    let hash = user.as_ref().map_or(DUMMY_HASH, |u| u.password_hash.as_str());
    let ok = verify_password(password, hash).await;
    match user {
        Some(user) if ok && user.disabled_at != 0 => {
            audit::record(db, &user.email, "user.sign_in_refused", &user.email, &format!("disabled; from {address}"))
                .await?;
            Err(DomainError::Forbidden("this account is disabled: ask an admin".into()))
        }
        Some(user) if ok => {
            throttle.record_success(&email);
            audit::record(db, &user.email, "user.signed_in", &user.email, &format!("from {address}")).await?;
            user.actor()
        }
        _ => {
            throttle.record_failure(&email, address);
            audit::record(db, &email, "user.sign_in_failed", &email, &format!("from {address}")).await?;
            Err(DomainError::Unauthorized("wrong email or password".into()))
        }
    }
}

/// The actor behind a token's user id, if the account still exists and is not disabled: a
/// disabled account's tokens stop working at their next request.
pub async fn actor_by_id(db: &Db, user_id: &str) -> Result<Option<Actor>> {
    find_by_id(db, user_id).await?.filter(|u| u.disabled_at == 0).map(|u| u.actor()).transpose()
}

/// The actor behind a session that signed in at `signed_in_at` (Unix ms), as [`actor_by_id`]
/// and only if the password has not changed since: a changed or reset password signs out the
/// sessions of the old one.
pub async fn session_actor(db: &Db, user_id: &str, signed_in_at: i64) -> Result<Option<Actor>> {
    find_by_id(db, user_id)
        .await?
        .filter(|u| u.disabled_at == 0 && u.password_changed_at <= signed_in_at)
        .map(|u| u.actor())
        .transpose()
}

/// The account with this email, if it exists, and whether it is disabled.
pub(crate) async fn account_by_email(db: &Db, email: &str) -> Result<Option<(Actor, bool)>> {
    let email = normalize_email(email)?;
    find_by_email(db, &email).await?.map(|u| Ok((u.actor()?, u.disabled_at != 0))).transpose()
}

/// The email of an account, disabled or not.
pub(crate) async fn email_of(db: &Db, user_id: &str) -> Result<String> {
    Ok(find_by_id(db, user_id).await?.ok_or_else(|| DomainError::NotFound(format!("user {user_id}")))?.email)
}

pub async fn actor_by_email(db: &Db, email: &str) -> Result<Actor> {
    let email = normalize_email(email)?;
    find_by_email(db, &email).await?.ok_or_else(|| DomainError::NotFound(format!("user {email}")))?.actor()
}

/// Every account, oldest first, optionally filtered by a substring of the email.
pub async fn list_users(db: &Db, query: &str, limit: i64, offset: i64) -> Result<Page<UserSummary>> {
    let pattern = format!("%{}%", crate::store::like_escape(&query.trim().to_lowercase()));
    let rows: Vec<UserRow> = sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE email LIKE $1 ESCAPE '\\' ORDER BY created_at, id LIMIT $2 OFFSET $3"
    ))
    .bind(&pattern)
    .bind(limit.clamp(1, 500))
    .bind(offset.max(0))
    .fetch_all(&db.pool)
    .await?;
    let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE email LIKE $1 ESCAPE '\\'")
        .bind(&pattern)
        .fetch_one(&db.pool)
        .await?;
    let owned = crate::apis::owned_counts(db).await?;
    let mut items: Vec<UserSummary> = rows.iter().map(UserRow::summary).collect::<Result<_>>()?;
    for user in &mut items {
        user.owned_apis = owned.get(&user.id).copied().unwrap_or(0);
    }
    Ok(Page { items, total })
}

/// An admin changes someone's role. The last admin cannot demote themselves out of the role,
/// or nobody could administer the system any more.
pub async fn change_role(db: &Db, actor: &Actor, user_id: &str, role: Role) -> Result<UserSummary> {
    let mut tx = db.begin().await?;
    let user: UserRow = sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| DomainError::NotFound(format!("user {user_id}")))?;
    refuse_system_account(&user.email)?;
    let old = user.role()?;
    if old == role {
        return user.summary();
    }
    if old == Role::Admin {
        let (admins,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM users WHERE role = 'admin'").fetch_one(&mut *tx).await?;
        if admins <= 1 {
            return Err(DomainError::Conflict(format!(
                "{} is the only admin; make someone else admin first",
                user.email
            )));
        }
    }
    sqlx::query("UPDATE users SET role = $1 WHERE id = $2").bind(role.as_str()).bind(user_id).execute(&mut *tx).await?;
    tx.commit().await?;
    audit::record(db, &actor.email, "user.role_changed", &user.email, &format!("{} → {}", old, role)).await?;
    Ok(UserSummary { role, ..user.summary()? })
}

/// An admin disables the account of someone who left, or enables it again. A disabled account
/// cannot sign in, its sessions and personal access tokens stop working, its applications get
/// no new tokens, their API keys leave the gateways' bundles and the tokens they already hold
/// are revoked. Nothing is deleted: what the person did stays theirs in the audit log. Nobody
/// disables their own account (an admin would lock themselves out).
pub async fn set_disabled(db: &Db, actor: &Actor, user_id: &str, disabled: bool) -> Result<UserSummary> {
    actor.require(Permission::Administer)?;
    let user = find_by_id(db, user_id).await?.ok_or_else(|| DomainError::NotFound(format!("user {user_id}")))?;
    refuse_system_account(&user.email)?;
    if user.id == actor.user_id {
        return Err(DomainError::Conflict("you cannot disable your own account: another admin must".into()));
    }
    if (user.disabled_at != 0) == disabled {
        return user.summary();
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
        .bind(if disabled { now } else { 0 })
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let mut restamps = Vec::new();
    if disabled {
        let applications: Vec<(String,)> =
            sqlx::query_as("SELECT id FROM applications WHERE owner_id = $1").bind(user_id).fetch_all(&mut *tx).await?;
        for (application_id,) in applications {
            restamps.push(subscriptions::revoke_in(&mut tx, &format!("application:{application_id}"), now).await?);
        }
    }
    tx.commit().await?;
    for restamp in restamps {
        restamp.after_commit(db).await;
    }
    let action = if disabled { "user.disabled" } else { "user.enabled" };
    audit::record(db, &actor.email, action, &user.email, "").await?;
    UserRow { disabled_at: if disabled { now } else { 0 }, ..user }.summary()
}

/// Set a new password from the server's machine (CLI `user create` on an existing account: the
/// way back into an account nobody can sign in to).
pub async fn set_password(db: &Db, actor: &str, email: &str, password: &str) -> Result<()> {
    let email = normalize_email(email)?;
    refuse_system_account(&email)?;
    store_password(db, &email, password).await?;
    audit::record(db, actor, "user.password_set", &email, "").await
}

/// A signed-in person changes their own password. The current one is asked for, so a session
/// left open is not enough to take the account over, and wrong guesses count toward the
/// sign-in throttle. Returns when the change took effect: the caller's own session restarts
/// from it, the other sessions end. Personal access tokens stay (they are revoked one by one).
pub async fn change_password(
    db: &Db,
    throttle: &SignInThrottle,
    actor: &Actor,
    current: &str,
    new: &str,
    address: &str,
) -> Result<i64> {
    if let Some(retry_after_secs) = throttle.check(&actor.email, address) {
        return Err(DomainError::Throttled { retry_after_secs });
    }
    let user =
        find_by_id(db, &actor.user_id).await?.ok_or_else(|| DomainError::NotFound(format!("user {}", actor.email)))?;
    if !verify_password(current, &user.password_hash).await {
        throttle.record_failure(&actor.email, address);
        audit::record(db, &actor.email, "user.password_change_failed", &actor.email, &format!("from {address}"))
            .await?;
        return Err(DomainError::invalid("current_password", "is not your current password"));
    }
    if current == new {
        return Err(DomainError::invalid("password", "is your current password: choose a new one"));
    }
    let changed_at = store_password(db, &user.email, new).await?;
    audit::record(db, &actor.email, "user.password_changed", &actor.email, "other sessions signed out").await?;
    Ok(changed_at)
}

/// An admin gives someone who cannot sign in a new generated password, returned this once to
/// pass on; the person's sessions end.
pub async fn reset_password(db: &Db, actor: &Actor, user_id: &str) -> Result<ResetPassword> {
    actor.require(Permission::Administer)?;
    let user = find_by_id(db, user_id).await?.ok_or_else(|| DomainError::NotFound(format!("user {user_id}")))?;
    refuse_system_account(&user.email)?;
    let password = generate_password();
    store_password(db, &user.email, &password).await?;
    audit::record(db, &actor.email, "user.password_reset", &user.email, "sessions signed out").await?;
    Ok(ResetPassword { email: user.email, password })
}

/// Every way a password changes ends here, so each one signs out the sessions of the old one
/// (see [`session_actor`]). Returns when it changed.
async fn store_password(db: &Db, email: &str, password: &str) -> Result<i64> {
    check_password_policy(password)?;
    let hash = hash_password(password).await?;
    let changed_at = now_ms();
    let done = sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE email = $3")
        .bind(hash)
        .bind(changed_at)
        .bind(email)
        .execute(&db.pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(DomainError::NotFound(format!("user {email}")));
    }
    Ok(changed_at)
}

/// A random password for accounts created without one (demo users, CLI without `--password`).
pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..16).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(normalize_email("  Ann@Example.COM ").ok().as_deref(), Some("ann@example.com"));
        for bad in ["", "ann", "@x.com", "ann@", "a b@x.com", "a@b@c", "a@.x"] {
            assert!(normalize_email(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
