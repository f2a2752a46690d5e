//! The audit log: who did what, to what, when. Written by the domain functions themselves so
//! the UI, the REST API and the CLI leave the same trail.

use crate::store::{like_escape, new_id, now_ms};
use crate::{Db, DomainError, Result};
use gatehouse_contract::{AuditEntry, AuditQuery, Page};

/// The actor name used when the server or the CLI acts on its own.
pub const SYSTEM: &str = "system";

pub async fn record(db: &Db, actor: &str, action: &str, target: &str, detail: &str) -> Result<()> {
    record_in(&mut *db.pool.acquire().await?, actor, action, target, detail).await
}

/// Record an entry on `conn`: in a transaction, it is written only if the change it tells of is.
pub async fn record_in(
    conn: &mut sqlx::AnyConnection,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO audit_log (id, at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(new_id())
        .bind(now_ms())
        .bind(actor)
        .bind(action)
        .bind(target)
        .bind(detail)
        .execute(conn)
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

/// Entries matching `query`, newest first; `limit` clamped to 1..=500.
pub async fn list(db: &Db, query: &AuditQuery) -> Result<Page<AuditEntry>> {
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from >= to
    {
        return Err(DomainError::invalid("from", format!("{from} must be before `to` ({to})")));
    }
    let limit = query.limit.unwrap_or(100).clamp(1, 500);
    let offset = query.offset.unwrap_or(0).max(0);
    // Patterns are bound first, then instants: the placeholders are numbered in that order.
    let mut conditions: Vec<String> = Vec::new();
    let mut patterns: Vec<String> = Vec::new();
    // The actor and the target by a part of them, the action by how it starts.
    let texts = [("actor", &query.actor, "%"), ("action", &query.action, ""), ("target", &query.target, "%")];
    for (column, value, lead) in texts {
        if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            patterns.push(format!("{lead}{}%", like_escape(&value.to_lowercase())));
            // LOWER on both sides: PostgreSQL's LIKE tells case apart, SQLite's does not.
            conditions.push(format!("LOWER({column}) LIKE ${} ESCAPE '\\'", patterns.len()));
        }
    }
    let mut instants: Vec<i64> = Vec::new();
    for (bound, op) in [(query.from, ">="), (query.to, "<")] {
        if let Some(at) = bound {
            instants.push(at);
            conditions.push(format!("at {op} ${}", patterns.len() + instants.len()));
        }
    }
    let filter = conditions.join(" AND ");
    let filter = if filter.is_empty() { String::new() } else { format!("WHERE {filter}") };
    let bound = patterns.len() + instants.len();
    let select = format!(
        "SELECT id, at, actor, action, target, detail FROM audit_log {filter} \
         ORDER BY at DESC, id DESC LIMIT ${} OFFSET ${}",
        bound + 1,
        bound + 2
    );
    let count = format!("SELECT COUNT(*) FROM audit_log {filter}");
    let mut rows = sqlx::query_as::<_, AuditRow>(&select);
    let mut total = sqlx::query_as::<_, (i64,)>(&count);
    for pattern in &patterns {
        rows = rows.bind(pattern);
        total = total.bind(pattern);
    }
    for at in &instants {
        rows = rows.bind(at);
        total = total.bind(at);
    }
    let rows = rows.bind(limit).bind(offset).fetch_all(&db.pool).await?;
    let (total,) = total.fetch_one(&db.pool).await?;
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
