//! Consumers' applications and their credentials: OAuth2 client id + secret per key type
//! (production, sandbox; the secret can be regenerated) and API keys (revocable, optional
//! expiry). Secrets are shown once and stored as SHA-256: they are 256 random bits.

use crate::error::is_unique_violation;
use crate::store::{new_id, now_ms};
use crate::tokens::hash_secret;
use crate::{Actor, Db, DomainError, Result, application_webhooks, audit, subscriptions};
use base64::Engine;
use gatehouse_contract::{
    Application, CredentialSummary, MAX_PREVIOUS_SECRET_SECONDS, NewApiKey, NewClientSecret, Permission,
};
use rand::RngCore;

fn random(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn key_type(value: &str) -> Result<&'static str> {
    match value.trim() {
        "production" | "" => Ok("production"),
        "sandbox" => Ok("sandbox"),
        other => Err(DomainError::invalid("key_type", format!("`{other}` is neither production nor sandbox"))),
    }
}

fn check_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(DomainError::invalid("name", "must be 1 to 80 characters"));
    }
    Ok(name.to_string())
}

/// The application, if the actor owns it; otherwise NotFound (no probing for others' apps).
pub(crate) async fn owned(db: &Db, actor: &Actor, id: &str) -> Result<(String, String, i64)> {
    let row: Option<(String, String, i64)> =
        sqlx::query_as("SELECT name, description, created_at FROM applications WHERE id = $1 AND owner_id = $2")
            .bind(id)
            .bind(&actor.user_id)
            .fetch_optional(&db.pool)
            .await?;
    row.ok_or_else(|| DomainError::NotFound(format!("application {id}")))
}

pub async fn create(db: &Db, actor: &Actor, name: &str, description: &str) -> Result<Application> {
    actor.require(Permission::UsePortal)?;
    let name = check_name(name)?;
    let id = new_id();
    let now = now_ms();
    let inserted = sqlx::query("INSERT INTO applications (id, owner_id, name, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)")
        .bind(&id)
        .bind(&actor.user_id)
        .bind(&name)
        .bind(description.trim())
        .bind(now)
        .execute(&db.pool)
        .await;
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(DomainError::Conflict(format!("you already have an application named {name}")));
        }
        Err(e) => return Err(e.into()),
    }
    audit::record(db, &actor.email, "application.created", &name, "").await?;
    Ok(Application {
        id,
        name,
        description: description.trim().to_string(),
        created_at: now,
        credentials: vec![],
        subscriptions: vec![],
        webhook: None,
    })
}

pub async fn get(db: &Db, actor: &Actor, id: &str) -> Result<Application> {
    actor.require(Permission::UsePortal)?;
    let (name, description, created_at) = owned(db, actor, id).await?;
    let subscriptions = subscriptions::list(db, actor, Some(id)).await?;
    Ok(Application {
        id: id.to_string(),
        name,
        description,
        created_at,
        credentials: credentials(db, id).await?,
        subscriptions,
        webhook: application_webhooks::of(db, &actor.user_id, Some(id)).await?.remove(id),
    })
}

/// The actor's own applications, with their credentials and subscriptions (the consumer's dashboard).
pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<Application>> {
    actor.require(Permission::UsePortal)?;
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT id, name, description, created_at FROM applications WHERE owner_id = $1 ORDER BY created_at, id",
    )
    .bind(&actor.user_id)
    .fetch_all(&db.pool)
    .await?;
    // Every application's subscriptions in one read (with the newer versions they may move to),
    // and their webhooks in another, then handed to their applications.
    let mut subscriptions = subscriptions::list(db, actor, None).await?;
    let mut webhooks = application_webhooks::of(db, &actor.user_id, None).await?;
    let mut out = Vec::new();
    for (id, name, description, created_at) in rows {
        let credentials = credentials(db, &id).await?;
        let webhook = webhooks.remove(&id);
        let (own, rest) = subscriptions.into_iter().partition(|s| s.application_id == id);
        subscriptions = rest;
        out.push(Application { id, name, description, created_at, credentials, subscriptions: own, webhook });
    }
    Ok(out)
}

pub async fn rename(db: &Db, actor: &Actor, id: &str, name: &str) -> Result<Application> {
    actor.require(Permission::UsePortal)?;
    let (old, ..) = owned(db, actor, id).await?;
    let name = check_name(name)?;
    let updated = sqlx::query("UPDATE applications SET name = $1, updated_at = $2 WHERE id = $3")
        .bind(&name)
        .bind(now_ms())
        .bind(id)
        .execute(&db.pool)
        .await;
    match updated {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(DomainError::Conflict(format!("you already have an application named {name}")));
        }
        Err(e) => return Err(e.into()),
    }
    audit::record(db, &actor.email, "application.renamed", &name, &format!("was {old}")).await?;
    get(db, actor, id).await
}

pub async fn delete(db: &Db, actor: &Actor, id: &str) -> Result<()> {
    actor.require(Permission::UsePortal)?;
    let (name, ..) = owned(db, actor, id).await?;
    let mut tx = db.begin().await?;
    // Its subscription requests leave the approval queue with it.
    sqlx::query(
        "UPDATE approvals SET status = 'rejected', decided_at = $1, comment = 'withdrawn: the application was deleted' \
         WHERE status = 'pending' AND subscription_id IN (SELECT id FROM subscriptions WHERE application_id = $2)",
    )
    .bind(now_ms())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    // Its webhook (and that webhook's deliveries) with it: nothing is told of it any more.
    sqlx::query("DELETE FROM webhooks WHERE application_id = $1").bind(id).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM applications WHERE id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    // Its tokens are self-contained: gateways must be told to refuse them.
    subscriptions::revoke(db, &format!("application:{id}")).await?;
    audit::record(db, &actor.email, "application.deleted", &name, "").await
}

async fn credentials(db: &Db, application_id: &str) -> Result<Vec<CredentialSummary>> {
    Ok(sqlx::query_as(
        "SELECT id, kind, key_type, client_id, prefix, created_at, expires_at, revoked_at, \
         CASE WHEN previous_valid_until > $2 THEN previous_valid_until ELSE NULL END AS previous_secret_until \
         FROM app_credentials WHERE application_id = $1 ORDER BY created_at, id",
    )
    .bind(application_id)
    .bind(now_ms())
    .fetch_all(&db.pool)
    .await?)
}

/// OAuth2 client credentials for a key type. The first call creates the client; later calls
/// regenerate its secret (the client id stays). The old secret stops working at once, or, with
/// `keep_previous_seconds`, keeps working that long beside the new one (at most a week), so
/// that the software using it can be moved to the new one without a failed call; a secret
/// regenerated again in that time replaces the one kept.
pub async fn client_secret(
    db: &Db,
    actor: &Actor,
    application_id: &str,
    key_type_text: &str,
    keep_previous_seconds: u32,
) -> Result<NewClientSecret> {
    actor.require(Permission::UsePortal)?;
    if keep_previous_seconds > MAX_PREVIOUS_SECRET_SECONDS {
        return Err(DomainError::invalid(
            "keep_previous_seconds",
            format!("a previous secret keeps working for a week ({MAX_PREVIOUS_SECRET_SECONDS} s) at the most"),
        ));
    }
    let (name, ..) = owned(db, actor, application_id).await?;
    let key_type = key_type(key_type_text)?;
    let secret = random("ghs_");
    let mut previous_secret_until = None;
    let existing: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT id, client_id FROM app_credentials WHERE application_id = $1 AND kind = 'oauth2' AND key_type = $2 AND revoked_at IS NULL",
    )
    .bind(application_id)
    .bind(key_type)
    .fetch_optional(&db.pool)
    .await?;
    let client_id = match existing {
        Some((id, Some(client_id))) => {
            let now = now_ms();
            let until = now + i64::from(keep_previous_seconds) * 1000;
            previous_secret_until = (keep_previous_seconds > 0).then_some(until);
            // The hash moves over in the statement itself: a secret regenerated meanwhile by
            // another request is the one kept, never a mix of the two.
            let keep = if keep_previous_seconds > 0 { "secret_hash" } else { "''" };
            let mut tx = db.begin().await?;
            sqlx::query(&format!(
                "UPDATE app_credentials SET previous_secret_hash = {keep}, previous_valid_until = $1, \
                 secret_hash = $2, prefix = $3, created_at = $4 WHERE id = $5"
            ))
            .bind(if keep_previous_seconds > 0 { until } else { 0 })
            .bind(hash_secret(&secret))
            .bind(&secret[..10])
            .bind(now)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
            let detail = match previous_secret_until {
                Some(_) => {
                    format!("{key_type} client {client_id}; the previous secret works for {keep_previous_seconds} s")
                }
                None => format!("{key_type} client {client_id}"),
            };
            audit::record_in(&mut tx, &actor.email, "credential.secret_regenerated", &name, &detail).await?;
            tx.commit().await?;
            client_id
        }
        _ => {
            let client_id = random("ghc_")[..26].to_string();
            sqlx::query(
                "INSERT INTO app_credentials (id, application_id, kind, key_type, client_id, secret_hash, prefix, created_at) \
                 VALUES ($1, $2, 'oauth2', $3, $4, $5, $6, $7)",
            )
            .bind(new_id())
            .bind(application_id)
            .bind(key_type)
            .bind(&client_id)
            .bind(hash_secret(&secret))
            .bind(&secret[..10])
            .bind(now_ms())
            .execute(&db.pool)
            .await?;
            audit::record(
                db,
                &actor.email,
                "credential.client_created",
                &name,
                &format!("{key_type} client {client_id}"),
            )
            .await?;
            client_id
        }
    };
    Ok(NewClientSecret { client_id, client_secret: secret, key_type: key_type.to_string(), previous_secret_until })
}

/// A new API key; `expires_at` (Unix ms) must be in the future when given.
pub async fn api_key(
    db: &Db,
    actor: &Actor,
    application_id: &str,
    key_type_text: &str,
    expires_at: Option<i64>,
) -> Result<NewApiKey> {
    actor.require(Permission::UsePortal)?;
    let (name, ..) = owned(db, actor, application_id).await?;
    let key_type = key_type(key_type_text)?;
    if expires_at.is_some_and(|t| t <= now_ms()) {
        return Err(DomainError::invalid("expires_at", "must be in the future"));
    }
    let key = random("gak_");
    let id = new_id();
    sqlx::query(
        "INSERT INTO app_credentials (id, application_id, kind, key_type, secret_hash, prefix, created_at, expires_at) \
         VALUES ($1, $2, 'api_key', $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(application_id)
    .bind(key_type)
    .bind(hash_secret(&key))
    .bind(&key[..10])
    .bind(now_ms())
    .bind(expires_at)
    .execute(&db.pool)
    .await?;
    audit::record(db, &actor.email, "credential.api_key_created", &name, &format!("{key_type} key {}", &key[..10]))
        .await?;
    Ok(NewApiKey { id, key, key_type: key_type.to_string(), expires_at })
}

/// Revoke an OAuth2 client or an API key of one of the actor's applications.
pub async fn revoke(db: &Db, actor: &Actor, application_id: &str, credential_id: &str) -> Result<()> {
    actor.require(Permission::UsePortal)?;
    let (name, ..) = owned(db, actor, application_id).await?;
    let client: Option<(Option<String>,)> =
        sqlx::query_as("SELECT client_id FROM app_credentials WHERE id = $1 AND application_id = $2")
            .bind(credential_id)
            .bind(application_id)
            .fetch_optional(&db.pool)
            .await?;
    let done = sqlx::query(
        "UPDATE app_credentials SET revoked_at = $1 WHERE id = $2 AND application_id = $3 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(credential_id)
    .bind(application_id)
    .execute(&db.pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(DomainError::NotFound(format!("active credential {credential_id}")));
    }
    // Tokens issued to a revoked OAuth2 client stop at the gateways; revoked API keys simply
    // leave the bundle.
    if let Some((Some(client_id),)) = client {
        subscriptions::revoke(db, &format!("client:{client_id}")).await?;
    }
    audit::record(db, &actor.email, "credential.revoked", &name, credential_id).await
}

/// The application and key type behind an OAuth2 client id and secret (for the token
/// endpoint), or `Unauthorized` with one message whatever was wrong.
pub async fn verify_client(db: &Db, client_id: &str, secret: &str) -> Result<(String, String)> {
    let row: Option<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT c.application_id, c.key_type, c.secret_hash, c.previous_secret_hash, c.previous_valid_until \
         FROM app_credentials c \
         JOIN applications a ON a.id = c.application_id JOIN users u ON u.id = a.owner_id \
         WHERE c.client_id = $1 AND c.kind = 'oauth2' AND c.revoked_at IS NULL AND u.disabled_at = 0",
    )
    .bind(client_id)
    .fetch_optional(&db.pool)
    .await?;
    let given = hash_secret(secret);
    match row {
        Some((application_id, key_type, current, previous, until))
            if given == current || (given == previous && now_ms() < until) =>
        {
            Ok((application_id, key_type))
        }
        _ => Err(DomainError::Unauthorized("invalid client credentials".into())),
    }
}
