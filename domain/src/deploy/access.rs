//! The bundle a gateway pulls: the group's release (committed to GitOps at deployment) plus the
//! access part, which changes without a release and is computed on every pull — current tiers,
//! the key manager's public keys, API keys (as hashes) with what they may call, revocations,
//! the APIs that were blocked or retired since, and the last day's purges of kept answers.

use super::bundle;
use crate::store::now_ms;
use crate::{Db, DomainError, Result, keys, subscriptions, tiers};
use gatehouse_contract::{Bundle, BundleApiKey, BundleTier, LifecycleState, SubscriptionClaim, WithdrawnApi};
use std::collections::BTreeSet;

/// A group's bundle as its gateways load it, with its canonical bytes and their SHA-256 (the
/// ETag). Before the group's first deployment it is a release with no APIs and no version: a
/// new group's gateways then answer every path with a JSON 404 instead of a 503 "no
/// configuration yet", and their long-poll is woken by the first deployment at once.
pub async fn gateway_bundle(db: &Db, group: &str, issuer: &str) -> Result<(Bundle, Vec<u8>, String)> {
    let stored: Option<(String,)> = sqlx::query_as("SELECT bundle FROM group_bundles WHERE group_name = $1")
        .bind(group)
        .fetch_optional(&db.pool)
        .await?;
    let mut b: Bundle = match stored {
        Some((text,)) => {
            serde_json::from_str(&text).map_err(|e| DomainError::Internal(format!("stored bundle of {group}: {e}")))?
        }
        None => bundle::render(group, "", &[], &[]),
    };
    let live: BTreeSet<String> = b.apis.iter().map(|a| a.id.clone()).collect();

    b.tiers = tiers::list(db)
        .await?
        .into_iter()
        .map(|t| BundleTier { name: t.name, requests_per_minute: t.requests_per_minute })
        .collect();
    b.keys = keys::jwks(db).await?.get("keys").and_then(|k| k.as_array()).cloned().unwrap_or_default();
    b.issuer = issuer.to_string();
    b.audience = keys::AUDIENCE.to_string();
    b.revocations = subscriptions::revocations(db).await?;
    b.api_keys = api_keys(db, group, &live).await?;
    b.withdrawn = withdrawn(db, &live).await?;
    b.purges = crate::apis::kept_answers::recent(db, &live).await?;
    let (bytes, sha) = bundle::encode(&b);
    Ok((b, bytes, sha))
}

/// Unexpired, unrevoked API keys of applications with a usable subscription to an API of the
/// group, each with those subscriptions.
async fn api_keys(db: &Db, group: &str, live: &BTreeSet<String>) -> Result<Vec<BundleApiKey>> {
    /// One API key with one of its subscriptions (a key with three subscriptions is three rows).
    #[derive(sqlx::FromRow)]
    struct Row {
        id: String,
        sha256: String,
        application_id: String,
        application_name: String,
        consumer: String,
        key_type: String,
        expires_at: Option<i64>,
        api_id: String,
        tier: String,
        api_state: String,
        activated_at: Option<i64>,
        resubscribe_after: Option<i64>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.id, c.secret_hash AS sha256, c.application_id, ap.name AS application_name, u.email AS consumer, c.key_type, \
         c.expires_at, s.api_id, s.tier, a.state AS api_state, s.activated_at, a.resubscribe_after \
         FROM app_credentials c \
         JOIN applications ap ON ap.id = c.application_id JOIN users u ON u.id = ap.owner_id \
         JOIN subscriptions s ON s.application_id = c.application_id AND s.status = 'active' \
         JOIN apis a ON a.id = s.api_id \
         JOIN group_live gl ON gl.api_id = s.api_id AND gl.group_name = $1 \
         WHERE c.kind = 'api_key' AND c.revoked_at IS NULL AND (c.expires_at IS NULL OR c.expires_at > $2) \
         AND u.disabled_at = 0 \
         ORDER BY c.id, s.api_id",
    )
    .bind(group)
    .bind(now_ms())
    .fetch_all(&db.pool)
    .await?;
    let mut out: Vec<BundleApiKey> = Vec::new();
    for row in rows {
        if !live.contains(&row.api_id)
            || !subscriptions::usable(&row.api_state, row.activated_at, row.resubscribe_after)
        {
            continue;
        }
        let claim = SubscriptionClaim { api_id: row.api_id, tier: row.tier };
        match out.last_mut() {
            Some(last) if last.id == row.id => last.subscriptions.push(claim),
            _ => out.push(BundleApiKey {
                id: row.id,
                sha256: row.sha256,
                application_id: row.application_id,
                application_name: row.application_name,
                consumer: row.consumer,
                key_type: row.key_type,
                subscriptions: vec![claim],
                expires_at: row.expires_at,
            }),
        }
    }
    Ok(out)
}

/// APIs of the release that are BLOCKED or RETIRED now.
async fn withdrawn(db: &Db, live: &BTreeSet<String>) -> Result<Vec<WithdrawnApi>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT id, state FROM apis WHERE state IN ('BLOCKED', 'RETIRED') ORDER BY id")
            .fetch_all(&db.pool)
            .await?;
    Ok(rows
        .into_iter()
        .filter(|(id, _)| live.contains(id))
        .filter_map(|(api_id, state)| Some(WithdrawnApi { api_id, state: state.parse::<LifecycleState>().ok()? }))
        .collect())
}
