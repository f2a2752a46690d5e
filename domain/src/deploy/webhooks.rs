//! Webhooks: deployments (committed or failed), API lifecycle changes and alerts that fire or
//! resolve are POSTed, signed with HMAC-SHA256, to each configured URL that hears that event,
//! so an external pipeline (Jenkins, GitHub Actions, Argo CD) or a chat bridge can act. A
//! webhook may hear only some gateway groups' events: in decentralized API management each
//! group's team runs its own pipeline for its own releases.
//! Deliveries are stored first and retried with exponential backoff; the UI lists them, sends
//! a test `ping` and sends a finished delivery again.
//!
//! Applications' webhooks (`crate::application_webhooks`) share the table, the queue and the
//! signing; the functions here that list or change webhooks see only the admins' ones
//! (`application_id = ''`).

use crate::application_webhooks::Callbacks;
use crate::store::{new_id, now_ms};
use crate::{Actor, Db, DomainError, Result, audit, groups};
pub use gatehouse_contract::{NewWebhook, Webhook, WebhookDelivery as Delivery, WebhookEvent, WebhookRequest};
use gatehouse_contract::{Permission, groups_label};
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

pub async fn create(db: &Db, actor: &Actor, request: &WebhookRequest) -> Result<NewWebhook> {
    actor.require(Permission::Administer)?;
    let url = request.url.trim();
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.chars().any(char::is_whitespace) {
        return Err(DomainError::invalid("url", "must be an http(s) URL"));
    }
    let events = parse_events(&request.events)?;
    let groups = existing_groups(db, &request.groups).await?;
    let secret = new_secret();
    let id = new_id();
    sqlx::query(
        "INSERT INTO webhooks (id, url, secret, events, groups, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(url)
    .bind(&secret)
    .bind(join_events(&events))
    .bind(groups.join(","))
    .bind(&actor.email)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    let hears = format!("{} of {}", WebhookEvent::label_of(&events), groups_label(&groups));
    audit::record(db, &actor.email, "webhook.created", url, &hears).await?;
    Ok(NewWebhook { id, url: url.to_string(), secret })
}

/// A signing secret: 192 random bits.
pub(crate) fn new_secret() -> String {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("whsec_{}", hex::encode(bytes))
}

/// The named events, each once; unknown names are refused by name.
fn parse_events(names: &[String]) -> Result<Vec<WebhookEvent>> {
    let mut events = Vec::new();
    for name in names.iter().map(|n| n.trim()) {
        let event = WebhookEvent::parse(name).ok_or_else(|| {
            let known: Vec<&str> = WebhookEvent::SUBSCRIBABLE.iter().map(|e| e.as_str()).collect();
            DomainError::invalid("events", format!("unknown event `{name}`; one of {}", known.join(", ")))
        })?;
        if !events.contains(&event) {
            events.push(event);
        }
    }
    Ok(events)
}

/// The named gateway groups, each once; a group that does not exist is refused by name (a typo
/// would otherwise leave the webhook silent for good).
async fn existing_groups(db: &Db, names: &[String]) -> Result<Vec<String>> {
    let mut groups = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        match groups::get(db, name).await {
            Err(DomainError::NotFound(_)) => {
                return Err(DomainError::invalid("groups", format!("there is no gateway group `{name}`")));
            }
            other => other?,
        };
        if !groups.iter().any(|g| g == name) {
            groups.push(name.to_string());
        }
    }
    Ok(groups)
}

/// The `events` column: names separated by commas, '' for every event.
fn join_events(events: &[WebhookEvent]) -> String {
    events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(",")
}

fn split_events(column: &str) -> Vec<WebhookEvent> {
    column.split(',').filter_map(WebhookEvent::parse).collect()
}

pub async fn delete(db: &Db, actor: &Actor, id: &str) -> Result<()> {
    actor.require(Permission::Administer)?;
    let done =
        sqlx::query("DELETE FROM webhooks WHERE id = $1 AND application_id = ''").bind(id).execute(&db.pool).await?;
    if done.rows_affected() == 0 {
        return Err(DomainError::NotFound(format!("webhook {id}")));
    }
    audit::record(db, &actor.email, "webhook.deleted", id, "").await
}

pub async fn list(db: &Db) -> Result<Vec<Webhook>> {
    let mut conn = db.pool.acquire().await?;
    list_on(&mut conn).await
}

async fn list_on(conn: &mut sqlx::AnyConnection) -> Result<Vec<Webhook>> {
    let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT id, url, events, groups, created_at FROM webhooks WHERE application_id = '' ORDER BY created_at",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, url, events, groups, created_at)| Webhook {
            id,
            url,
            events: split_events(&events),
            groups: groups.split(',').filter(|g| !g.is_empty()).map(str::to_string).collect(),
            created_at,
        })
        .collect())
}

pub(crate) const DELIVERY_COLUMNS: &str = "id, webhook_id, subject, event, status, attempts, last_status, last_error, next_attempt_at, created_at, delivered_at";

/// Recent deliveries to the admins' webhooks, newest first: all, or one webhook's, or those
/// with one status.
pub async fn deliveries(db: &Db, webhook: Option<&str>, status: Option<&str>, limit: i64) -> Result<Vec<Delivery>> {
    if let Some(status) = status
        && !["pending", "delivered", "failed"].contains(&status)
    {
        return Err(DomainError::invalid("status", format!("`{status}` is not pending, delivered or failed")));
    }
    Ok(sqlx::query_as(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE ($1 = '' OR webhook_id = $1) AND ($2 = '' OR status = $2) \
         AND webhook_id IN (SELECT id FROM webhooks WHERE application_id = '') \
         ORDER BY created_at DESC, id DESC LIMIT $3"
    ))
    .bind(webhook.unwrap_or_default())
    .bind(status.unwrap_or_default())
    .bind(limit.clamp(1, 500))
    .fetch_all(&db.pool)
    .await?)
}

pub(crate) async fn delivery(db: &Db, id: &str) -> Result<Delivery> {
    sqlx::query_as(&format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| DomainError::NotFound(format!("webhook delivery {id}")))
}

/// Queue one delivery per webhook that hears `event`, about `subject` (a deployment's, an
/// API's or an alert's id) in `group`, the gateway group it concerns if any.
pub async fn enqueue(
    db: &Db,
    subject: &str,
    event: WebhookEvent,
    group: Option<&str>,
    payload: &serde_json::Value,
) -> Result<usize> {
    let mut conn = db.pool.acquire().await?;
    enqueue_on(&mut conn, subject, event, group, payload).await
}

/// [`enqueue`] on `conn`: inside a transaction, the event is queued if and only if what it
/// reports is written.
pub async fn enqueue_on(
    conn: &mut sqlx::AnyConnection,
    subject: &str,
    event: WebhookEvent,
    group: Option<&str>,
    payload: &serde_json::Value,
) -> Result<usize> {
    let hooks = list_on(conn).await?;
    let group = group.filter(|g| !g.is_empty());
    let body = serde_json::to_string(payload).unwrap_or_default();
    let now = now_ms();
    let mut queued = 0;
    for hook in hooks.iter().filter(|h| h.hears(event, group)) {
        queue(conn, &hook.id, subject, event.as_str(), &body, now).await?;
        queued += 1;
    }
    Ok(queued)
}

pub(crate) async fn queue(
    conn: &mut sqlx::AnyConnection,
    hook: &str,
    subject: &str,
    event: &str,
    body: &str,
    now: i64,
) -> Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, webhook_id, subject, event, payload, status, attempts, last_error, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'pending', 0, '', $6, $6)",
    )
    .bind(&id)
    .bind(hook)
    .bind(subject)
    .bind(event)
    .bind(body)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Queue a `ping` to one webhook, so an admin sees at once whether its receiver answers and
/// verifies the signature; the delivery shows in the list like any other.
pub async fn ping(db: &Db, actor: &Actor, id: &str) -> Result<Delivery> {
    actor.require(Permission::Administer)?;
    let hook = list(db)
        .await?
        .into_iter()
        .find(|h| h.id == id)
        .ok_or_else(|| DomainError::NotFound(format!("webhook {id}")))?;
    let now = now_ms();
    let payload = serde_json::json!({
        "event": WebhookEvent::Ping, "webhook": hook, "sent_by": actor.email, "at": now,
    });
    let mut conn = db.pool.acquire().await?;
    let delivery_id = queue(&mut conn, id, id, WebhookEvent::Ping.as_str(), &payload.to_string(), now).await?;
    drop(conn);
    delivery(db, &delivery_id).await
}

/// Send a finished delivery's payload again, as a new delivery (the old one keeps its
/// outcome) — after a receiver's outage outlasted the retries, say.
pub async fn redeliver(db: &Db, actor: &Actor, delivery_id: &str) -> Result<Delivery> {
    actor.require(Permission::Administer)?;
    let row: Option<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT d.webhook_id, d.subject, d.event, d.payload, d.status FROM webhook_deliveries d \
         JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1 AND w.application_id = ''",
    )
    .bind(delivery_id)
    .fetch_optional(&db.pool)
    .await?;
    let Some((hook, subject, event, payload, status)) = row else {
        return Err(DomainError::NotFound(format!("webhook delivery {delivery_id}")));
    };
    if status == "pending" {
        return Err(DomainError::Conflict(format!(
            "delivery {delivery_id} is still being tried; wait for its outcome"
        )));
    }
    let mut conn = db.pool.acquire().await?;
    let id = queue(&mut conn, &hook, &subject, &event, &payload, now_ms()).await?;
    drop(conn);
    audit::record(db, &actor.email, "webhook.redelivered", &event, &format!("delivery {delivery_id} as {id}")).await?;
    delivery(db, &id).await
}

/// A failed attempt, with its causes: reqwest's own message is only "error sending request",
/// the reason (refused, timed out, no public address) is beneath it.
fn explain(error: reqwest::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}

/// Send every delivery that is due — to the admins' webhooks with `http`, to applications'
/// with `callbacks`, which keeps to the addresses consumers may reach — and returns how many
/// were attempted.
pub async fn deliver_due(db: &Db, http: &reqwest::Client, callbacks: &Callbacks) -> Result<usize> {
    type Due = (String, String, String, String, i64, String, String);
    let due: Vec<Due> = sqlx::query_as(
        "SELECT d.id, w.url, w.secret, d.payload, d.attempts, d.event, w.application_id FROM webhook_deliveries d \
         JOIN webhooks w ON w.id = d.webhook_id \
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1 ORDER BY d.next_attempt_at LIMIT 20",
    )
    .bind(now_ms())
    .fetch_all(&db.pool)
    .await?;
    for (id, url, secret, payload, attempts, event, application) in &due {
        let post = |client: &reqwest::Client| {
            client
                .post(url)
                .header("content-type", "application/json")
                .header("x-gatehouse-event", event)
                .header("x-gatehouse-delivery", id)
                .header("x-gatehouse-signature-256", signature(secret, payload.as_bytes()))
                .body(payload.clone())
                .timeout(Duration::from_secs(10))
                .send()
        };
        let result = if application.is_empty() {
            post(http).await.map_err(explain)
        } else {
            match callbacks.refusal(url) {
                Some(refused) => Err(refused),
                None => post(callbacks.client()).await.map_err(explain),
            }
        };
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
                    Err(e) => (None, e),
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
