//! Personal access tokens for pipelines and scripts. The token is shown once; only its SHA-256
//! is stored (a fast hash is right here: the token is 256 random bits, not a guessable password).

use crate::store::{new_id, now_ms};
use crate::{Actor, Db, DomainError, Result, accounts, audit};
use base64::Engine;
use gatehouse_contract::{NewToken, TokenSummary};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Every token starts with this, so secret scanners and people can recognise one.
pub const TOKEN_PREFIX: &str = "gth_";

pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn check_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(DomainError::invalid("name", "must be 1 to 100 characters"));
    }
    Ok(name.to_string())
}

/// Create a token for the actor themselves.
pub async fn create(db: &Db, actor: &Actor, name: &str) -> Result<NewToken> {
    let name = check_name(name)?;
    let token = generate_token();
    let id = new_id();
    sqlx::query(
        "INSERT INTO api_tokens (id, user_id, name, prefix, token_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(&actor.user_id)
    .bind(&name)
    .bind(&token[..12])
    .bind(hash_secret(&token))
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    audit::record(db, &actor.email, "token.created", &name, &token[..12]).await?;
    Ok(NewToken { id, name, token })
}

/// Create a token for the account with `email` (the CLI, run by whoever holds the data directory).
pub async fn create_for_email(db: &Db, email: &str, name: &str) -> Result<NewToken> {
    let actor = accounts::actor_by_email(db, email).await?;
    // What a token authenticates as: none for a disabled account, so print none either.
    if accounts::actor_by_id(db, &actor.user_id).await?.is_none() {
        return Err(DomainError::Forbidden(format!("the account {} is disabled: an admin can enable it", actor.email)));
    }
    create(db, &actor, name).await
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: String,
    name: String,
    prefix: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<TokenSummary>> {
    let rows: Vec<TokenRow> = sqlx::query_as(
        "SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC",
    )
    .bind(&actor.user_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TokenSummary {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        })
        .collect())
}

/// Revoke one of the actor's own tokens. Revoking twice is harmless.
pub async fn revoke(db: &Db, actor: &Actor, token_id: &str) -> Result<()> {
    let name: Option<(String,)> = sqlx::query_as("SELECT name FROM api_tokens WHERE id = $1 AND user_id = $2")
        .bind(token_id)
        .bind(&actor.user_id)
        .fetch_optional(&db.pool)
        .await?;
    let Some((name,)) = name else {
        return Err(DomainError::NotFound(format!("token {token_id}")));
    };
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now_ms())
        .bind(token_id)
        .execute(&db.pool)
        .await?;
    audit::record(db, &actor.email, "token.revoked", &name, "").await
}

/// The actor a bearer token speaks for, or `Unauthorized` when it is unknown or revoked.
pub async fn authenticate(db: &Db, token: &str) -> Result<Actor> {
    let refused = || DomainError::Unauthorized("invalid or revoked access token".into());
    if !token.starts_with(TOKEN_PREFIX) {
        return Err(refused());
    }
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT id, user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(hash_secret(token))
            .fetch_optional(&db.pool)
            .await?;
    let (token_id, user_id) = row.ok_or_else(refused)?;
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(&token_id)
        .execute(&db.pool)
        .await?;
    accounts::actor_by_id(db, &user_id).await?.ok_or_else(refused)
}
