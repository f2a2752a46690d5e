//! The key manager: OAuth2 client-credentials tokens as self-contained JWTs signed with
//! Ed25519 (EdDSA), verifiable offline with the published JWKS. Keys rotate on demand (admin)
//! and on schedule; a rotated-out key stays published until its last token has expired.

use crate::store::{new_id, now_ms};
use crate::{Actor, Db, DomainError, Result, applications, audit, subscriptions};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::{Signer, SigningKey};
use gatehouse_contract::{AccessClaims, Permission, SubscriptionClaim};
use serde::Serialize;
use serde_json::{Value, json};

/// Lifetime of an access token.
pub const TOKEN_TTL_SECS: i64 = 3600;
/// The audience gateways accept.
pub const AUDIENCE: &str = "gatehouse-gateways";

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

async fn create_key(db: &Db) -> Result<(String, SigningKey)> {
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let kid = new_id();
    sqlx::query("INSERT INTO signing_keys (kid, private_key, public_key, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&kid)
        .bind(STANDARD.encode(key.to_bytes()))
        .bind(URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes()))
        .bind(now_ms())
        .execute(&db.pool)
        .await?;
    Ok((kid, key))
}

/// The key that signs now, created on first use.
async fn current(db: &Db) -> Result<(String, SigningKey)> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT kid, private_key FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid DESC LIMIT 1",
    )
    .fetch_optional(&db.pool)
    .await?;
    match row {
        Some((kid, private)) => {
            let bytes: [u8; 32] = STANDARD
                .decode(private)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| DomainError::Internal(format!("signing key {kid} is unreadable")))?;
            Ok((kid, SigningKey::from_bytes(&bytes)))
        }
        None => create_key(db).await,
    }
}

/// Retire the signing key and start a new one. The old one stays in the JWKS for one token
/// lifetime, so tokens it signed keep verifying until they expire.
pub async fn rotate(db: &Db, actor: Option<&Actor>) -> Result<String> {
    if let Some(actor) = actor {
        actor.require(Permission::Administer)?;
    }
    let now = now_ms();
    sqlx::query("UPDATE signing_keys SET retired_at = $1, expires_at = $2 WHERE retired_at IS NULL")
        .bind(now)
        .bind(now + TOKEN_TTL_SECS * 1000)
        .execute(&db.pool)
        .await?;
    let (kid, _) = create_key(db).await?;
    let who = actor.map(|a| a.email.as_str()).unwrap_or(audit::SYSTEM);
    audit::record(db, who, "keys.rotated", &kid, "").await?;
    Ok(kid)
}

/// Rotate when the signing key is older than `max_age_ms` (the scheduled rotation).
pub async fn rotate_if_older(db: &Db, max_age_ms: i64) -> Result<bool> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT created_at FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1")
            .fetch_optional(&db.pool)
            .await?;
    match row {
        Some((created,)) if now_ms() - created > max_age_ms => rotate(db, None).await.map(|_| true),
        _ => Ok(false),
    }
}

/// The public keys a verifier needs: the signing key and retired keys still within a token lifetime.
pub async fn jwks(db: &Db) -> Result<Value> {
    current(db).await?;
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT kid, public_key FROM signing_keys WHERE expires_at IS NULL OR expires_at > $1 ORDER BY created_at DESC",
    )
    .bind(now_ms())
    .fetch_all(&db.pool)
    .await?;
    let keys: Vec<Value> = rows
        .into_iter()
        .map(|(kid, x)| json!({ "kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig" }))
        .collect();
    Ok(json!({ "keys": keys }))
}

/// The client-credentials grant: a signed, self-contained access token for the application.
pub async fn issue_token(
    db: &Db,
    issuer: &str,
    client_id: &str,
    secret: &str,
    scope: Option<&str>,
) -> Result<TokenResponse> {
    let (application_id, key_type) = applications::verify_client(db, client_id, secret).await?;
    sign_for(db, issuer, client_id, application_id, key_type, scope).await
}

/// A token for one of the caller's applications without its secret, for the portal's try-it
/// console (the caller proved who they are by signing in; ownership is checked by the caller),
/// with the scopes asked for as at the token endpoint.
pub async fn token_for_application(
    db: &Db,
    issuer: &str,
    application_id: &str,
    key_type: &str,
    scope: Option<&str>,
) -> Result<TokenResponse> {
    let key_type = if key_type == "sandbox" { "sandbox" } else { "production" };
    let client: Option<(Option<String>,)> =
        sqlx::query_as("SELECT client_id FROM app_credentials WHERE application_id = $1 AND kind = 'oauth2' AND key_type = $2 AND revoked_at IS NULL")
            .bind(application_id)
            .bind(key_type)
            .fetch_optional(&db.pool)
            .await?;
    let subject = client.and_then(|(c,)| c).unwrap_or_else(|| format!("console:{application_id}"));
    sign_for(db, issuer, &subject, application_id.to_string(), key_type.to_string(), scope).await
}

async fn sign_for(
    db: &Db,
    issuer: &str,
    client_id: &str,
    application_id: String,
    key_type: String,
    scope: Option<&str>,
) -> Result<TokenResponse> {
    let (kid, key) = current(db).await?;
    // Milliseconds as well as `iat`'s seconds, so that a token asked for right after a
    // revocation (a tier changed, a credential rotated) is not caught by it.
    let issued_ms = now_ms();
    let now = issued_ms / 1000;
    let header = json!({ "alg": "EdDSA", "typ": "JWT", "kid": kid });
    let (application_name, consumer): (String, String) =
        sqlx::query_as("SELECT a.name, u.email FROM applications a JOIN users u ON u.id = a.owner_id WHERE a.id = $1")
            .bind(&application_id)
            .fetch_one(&db.pool)
            .await?;
    let subscriptions = subscriptions::claims(db, &application_id).await?;
    let scope = granted_scopes(db, &application_id, &subscriptions, scope).await?;
    let claims = AccessClaims {
        iss: issuer.to_string(),
        aud: AUDIENCE.to_string(),
        sub: client_id.to_string(),
        iat: now,
        iat_ms: Some(issued_ms),
        nbf: now,
        exp: now + TOKEN_TTL_SECS,
        jti: new_id(),
        // Self-contained, as WSO2's tokens are: gateways need no call back to know what the
        // application may call and at which tier.
        subscriptions,
        application_id,
        application_name,
        consumer,
        key_type,
        scope: scope.clone(),
    };
    let claims = serde_json::to_string(&claims).map_err(|e| DomainError::Internal(format!("claims: {e}")))?;
    let signing_input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims));
    let signature = key.sign(signing_input.as_bytes());
    Ok(TokenResponse {
        access_token: format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes())),
        token_type: "Bearer",
        expires_in: TOKEN_TTL_SECS,
        scope,
    })
}

/// A scope of a live revision, as `group_live` keeps it for the token endpoint.
#[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(from = "StoredScope")]
pub(crate) struct LiveScope {
    pub name: String,
    /// The tiers whose subscriptions may be granted it; empty, any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<String>,
}

/// Rows written before scopes could be bound to tiers hold bare names.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum StoredScope {
    Name(String),
    Scope {
        name: String,
        #[serde(default)]
        tiers: Vec<String>,
    },
}

impl From<StoredScope> for LiveScope {
    fn from(stored: StoredScope) -> Self {
        match stored {
            StoredScope::Name(name) => LiveScope { name, tiers: vec![] },
            StoredScope::Scope { name, tiers } => LiveScope { name, tiers },
        }
    }
}

/// The scopes a token of the application gets: those asked for (RFC 6749 §3.3, separated by
/// spaces), each of which a revision live for an API of its `subscriptions` must define for
/// the subscription's tier; with none asked for, every such scope, as a client that names none
/// expects the access its subscriptions give. `None` when there are none to grant.
async fn granted_scopes(
    db: &Db,
    application_id: &str,
    subscriptions: &[SubscriptionClaim],
    requested: Option<&str>,
) -> Result<Option<String>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT l.api_id, l.scopes FROM subscriptions s JOIN group_live l ON l.api_id = s.api_id WHERE s.application_id = $1",
    )
    .bind(application_id)
    .fetch_all(&db.pool)
    .await?;
    let mut available = std::collections::BTreeSet::new();
    // Scopes the application's tier keeps it from, to say so when one is asked for.
    let mut withheld = std::collections::BTreeMap::new();
    for (api_id, scopes) in rows {
        let Some(subscription) = subscriptions.iter().find(|s| s.api_id == api_id) else { continue };
        let scopes: Vec<LiveScope> =
            serde_json::from_str(&scopes).map_err(|e| DomainError::Internal(format!("live scopes: {e}")))?;
        for scope in scopes {
            if scope.tiers.is_empty() || scope.tiers.contains(&subscription.tier) {
                available.insert(scope.name);
            } else {
                withheld.insert(scope.name, (scope.tiers, subscription.tier.clone()));
            }
        }
    }
    let requested: Vec<&str> = requested.unwrap_or_default().split_ascii_whitespace().collect();
    if requested.is_empty() {
        return Ok((!available.is_empty()).then(|| available.into_iter().collect::<Vec<_>>().join(" ")));
    }
    let mut granted = std::collections::BTreeSet::new();
    for name in requested {
        if !available.contains(name) {
            let message = match withheld.get(name) {
                Some((tiers, tier)) => format!(
                    "`{name}` is granted to subscriptions of tier {} only, and the application subscribes with {tier}",
                    tiers.join(", ")
                ),
                None => format!("`{name}` is not a scope of an API the application subscribes to (as deployed)"),
            };
            return Err(DomainError::invalid("scope", message));
        }
        granted.insert(name);
    }
    Ok(Some(granted.into_iter().collect::<Vec<_>>().join(" ")))
}
