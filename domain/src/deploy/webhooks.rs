//! Webhooks: every deployment and every alert that fires or resolves is POSTed, signed with HMAC-SHA256, to each configured URL so an
//! external pipeline (Jenkins, GitHub Actions, Argo CD) can act. Deliveries are stored first
//! and retried with exponential backoff; the UI lists them.

use crate::store::{new_id, now_ms};
use crate::{Actor, Db, DomainError, Result, audit};
use gatehouse_contract::Permission;
pub use gatehouse_contract::{NewWebhook, Webhook, WebhookDelivery as Delivery};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::time::Duration;

/// Attempts before a delivery is marked failed.
pub const MAX_ATTEMPTS: i64 = 8;

/// `sha256=<hex>` of the body under the webhook's secret, as receivers verify it.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length, so this cannot fail; no signature is sent if it ever did.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

pub async fn create(db: &Db, actor: &Actor, url: &str) -> Result<NewWebhook> {
    actor.require(Permission::Administer)?;
    let url = url.trim();
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.chars().any(char::is_whitespace) {
        return Err(DomainError::invalid("url", "must be an http(s) URL"));
    }
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = format!("whsec_{}", hex::encode(bytes));
    let id = new_id();
    sqlx::query("INSERT INTO webhooks (id, url, secret, created_by, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(url)
        .bind(&secret)
        .bind(&actor.email)
        .bind(now_ms())
        .execute(&db.pool)
        .await?;
    audit::record(db, &actor.email, "webhook.created", url, "").await?;
    Ok(NewWebhook { id, url: url.to_string(), secret })
}

pub async fn delete(db: &Db, actor: &Actor, id: &str) -> Result<()> {
    actor.require(Permission::Administer)?;
    let done = sqlx::query("DELETE FROM webhooks WHERE id = $1").bind(id).execute(&db.pool).await?;
    if done.rows_affected() == 0 {
        return Err(DomainError::NotFound(format!("webhook {id}")));
    }
    audit::record(db, &actor.email, "webhook.deleted", id, "").await
}

pub async fn list(db: &Db) -> Result<Vec<Webhook>> {
    Ok(sqlx::query_as("SELECT id, url, created_at FROM webhooks ORDER BY created_at").fetch_all(&db.pool).await?)
}

pub async fn deliveries(db: &Db, limit: i64) -> Result<Vec<Delivery>> {
    Ok(sqlx::query_as(
        "SELECT id, webhook_id, subject, event, status, attempts, last_status, last_error, next_attempt_at, created_at, delivered_at \
         FROM webhook_deliveries ORDER BY created_at DESC, id DESC LIMIT $1",
    )
    .bind(limit.clamp(1, 500))
    .fetch_all(&db.pool)
    .await?)
}

/// Queue one delivery per webhook for an event about `subject` (a deployment's or an alert's id).
pub async fn enqueue(db: &Db, subject: &str, event: &str, payload: &serde_json::Value) -> Result<usize> {
    let mut conn = db.pool.acquire().await?;
    enqueue_on(&mut conn, subject, event, payload).await
}

/// [`enqueue`] on `conn`: inside a transaction, the event is queued if and only if what it
/// reports is written.
pub async fn enqueue_on(
    conn: &mut sqlx::AnyConnection,
    subject: &str,
    event: &str,
    payload: &serde_json::Value,
) -> Result<usize> {
    let hooks: Vec<(String,)> = sqlx::query_as("SELECT id FROM webhooks").fetch_all(&mut *conn).await?;
    let body = serde_json::to_string(payload).unwrap_or_default();
    let now = now_ms();
    for (hook,) in &hooks {
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, webhook_id, subject, event, payload, status, attempts, last_error, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', 0, '', $6, $6)",
        )
        .bind(new_id())
        .bind(hook)
        .bind(subject)
        .bind(event)
        .bind(&body)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(hooks.len())
}

/// Send every delivery that is due; returns how many were attempted.
pub async fn deliver_due(db: &Db, http: &reqwest::Client) -> Result<usize> {
    let due: Vec<(String, String, String, String, i64, String)> = sqlx::query_as(
        "SELECT d.id, w.url, w.secret, d.payload, d.attempts, d.event FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1 ORDER BY d.next_attempt_at LIMIT 20",
    )
    .bind(now_ms())
    .fetch_all(&db.pool)
    .await?;
    for (id, url, secret, payload, attempts, event) in &due {
        let result = http
            .post(url)
            .header("content-type", "application/json")
            .header("x-gatehouse-event", event)
            .header("x-gatehouse-delivery", id)
            .header("x-gatehouse-signature-256", signature(secret, payload.as_bytes()))
            .body(payload.clone())
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        let attempts = attempts + 1;
        let now = now_ms();
        match result {
            Ok(response) if response.status().is_success() => {
                sqlx::query("UPDATE webhook_deliveries SET status = 'delivered', attempts = $1, last_status = $2, last_error = '', delivered_at = $3 WHERE id = $4")
                    .bind(attempts)
                    .bind(response.status().as_u16() as i64)
                    .bind(now)
                    .bind(id)
                    .execute(&db.pool)
                    .await?;
            }
            other => {
                let (code, error) = match other {
                    Ok(r) => (Some(r.status().as_u16() as i64), format!("answered {}", r.status())),
                    Err(e) => (None, e.to_string()),
                };
                // 1 s, 2 s, 4 s … capped at an hour.
                let backoff = 1000 * 2_i64.pow((attempts as u32 - 1).min(12)).min(3600);
                let status = if attempts >= MAX_ATTEMPTS { "failed" } else { "pending" };
                sqlx::query("UPDATE webhook_deliveries SET status = $1, attempts = $2, last_status = $3, last_error = $4, next_attempt_at = $5 WHERE id = $6")
                    .bind(status)
                    .bind(attempts)
                    .bind(code)
                    .bind(error)
                    .bind(now + backoff)
                    .bind(id)
                    .execute(&db.pool)
                    .await?;
            }
        }
    }
    Ok(due.len())
}

#[cfg(test)]
mod tests {
    #[test]
    fn signature_matches_a_known_vector() {
        // RFC 4231-style check computed independently: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
        assert_eq!(
            super::signature("key", b"The quick brown fox jumps over the lazy dog"),
            "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }
}
