//! The audit log: who did what, to what, when. Written by the domain functions themselves so
//! the UI, the REST API and the CLI leave the same trail.

use crate::store::{new_id, now_ms};
use crate::{Db, Result};
use gatehouse_contract::{AuditEntry, Page};

/// The actor name used when the server or the CLI acts on its own.
pub const SYSTEM: &str = "system";

pub async fn record(db: &Db, actor: &str, action: &str, target: &str, detail: &str) -> Result<()> {
    sqlx::query("INSERT INTO audit_log (id, at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(new_id())
        .bind(now_ms())
        .bind(actor)
        .bind(action)
        .bind(target)
        .bind(detail)
        .execute(&db.pool)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: String,
    at: i64,
    actor: String,
    action: String,
    target: String,
    detail: String,
}

/// Newest first. `limit` is clamped to 1..=500.
pub async fn list(db: &Db, limit: i64, offset: i64) -> Result<Page<AuditEntry>> {
    let limit = limit.clamp(1, 500);
    let offset = offset.max(0);
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT id, at, actor, action, target, detail FROM audit_log ORDER BY at DESC, id DESC LIMIT $1 OFFSET $2",
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?;
    let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log").fetch_one(&db.pool).await?;
    Ok(Page {
        items: rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                at: r.at,
                actor: r.actor,
                action: r.action,
                target: r.target,
                detail: r.detail,
            })
            .collect(),
        total,
    })
}
