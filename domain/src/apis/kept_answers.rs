//! Purging an API's kept answers, all of them or those under one path: its gateways drop the
//! answers they keep for it now rather than when they expire — after the backend's data
//! changed under them.

use super::load_editable;
use crate::store::now_ms;
use crate::{Actor, Db, DomainError, Result, audit};
use gatehouse_contract::{KeptAnswersPurge, Permission};
use std::collections::BTreeSet;

/// No answer is kept longer than a day (`policies.cache_seconds`), so an older purge has
/// nothing left to drop.
const PURGES_MATTER_MS: i64 = 24 * 60 * 60 * 1000;
/// Path purges of one API in a day, each of which every bundle of its group carries: past
/// these, purging all of its answers says the same in one.
const MAX_PATH_PURGES: i64 = 200;

/// Have every gateway serving `api_id` drop the answers it keeps for it — all of them, or
/// those under `path` (`/pets/7`, as callers call it after the API's context): the access part
/// of the group's bundle carries the purge, so gateways have it within a second or two, with
/// no release. Its owner or a reviewer may.
pub async fn purge(db: &Db, actor: &Actor, api_id: &str, path: Option<&str>) -> Result<KeptAnswersPurge> {
    actor.require(Permission::DesignApis)?;
    let path = purged_path(path)?;
    let row = load_editable(db, actor, api_id).await?;
    let purged_at = now_ms();
    let mut tx = db.begin().await?;
    match &path {
        None => {
            sqlx::query(
                "INSERT INTO kept_answers_purges (api_id, purged_at) VALUES ($1, $2) \
                 ON CONFLICT (api_id) DO UPDATE SET purged_at = excluded.purged_at",
            )
            .bind(api_id)
            .bind(purged_at)
            .execute(&mut *tx)
            .await?;
        }
        Some(path) => {
            // Each is kept for a day, when the answers it is about have expired anyway.
            sqlx::query("DELETE FROM kept_answers_path_purges WHERE purged_at <= $1")
                .bind(purged_at - PURGES_MATTER_MS)
                .execute(&mut *tx)
                .await?;
            let (today,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM kept_answers_path_purges WHERE api_id = $1 AND purged_at > $2")
                    .bind(api_id)
                    .bind(purged_at - PURGES_MATTER_MS)
                    .fetch_one(&mut *tx)
                    .await?;
            if today >= MAX_PATH_PURGES {
                return Err(DomainError::invalid(
                    "path",
                    format!(
                        "{MAX_PATH_PURGES} paths of this API were purged in the last day: purge all its answers instead"
                    ),
                ));
            }
            sqlx::query("INSERT INTO kept_answers_path_purges (id, api_id, path, purged_at) VALUES ($1, $2, $3, $4)")
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(api_id)
                .bind(path)
                .bind(purged_at)
                .execute(&mut *tx)
                .await?;
        }
    }
    let name = format!("{} {}", row.name, row.version);
    audit::record_in(&mut tx, &actor.email, "api.kept_answers_purged", &name, path.as_deref().unwrap_or("")).await?;
    tx.commit().await?;
    Ok(KeptAnswersPurge { api_id: api_id.to_string(), purged_at, path })
}

/// The path a purge is about, as callers call it: `None` for the whole API.
fn purged_path(path: Option<&str>) -> Result<Option<String>> {
    let path = path.map(str::trim).unwrap_or("").trim_end_matches('/');
    if path.is_empty() {
        return Ok(None);
    }
    let refuse = |why: String| Err(DomainError::invalid("path", why));
    if !path.starts_with('/') {
        return refuse(format!(
            "`{path}` does not start with /: give the path as callers call it after the API's context (`/pets/7`)"
        ));
    }
    if path.len() > 500 {
        return refuse("the path is over 500 characters".into());
    }
    if path.contains(['{', '}']) {
        return refuse(format!("give a path as callers call it (`/pets/7`), not a template like `{path}`"));
    }
    if path.chars().any(|c| c.is_whitespace() || c.is_control() || c == '?' || c == '#') {
        return refuse(format!(
            "`{path}` holds a space, query or fragment: give the path alone, whose answers are dropped whatever their query"
        ));
    }
    Ok(Some(path.to_string()))
}

/// The purges of the last day of the APIs a bundle serves: each API's latest purge of all its
/// answers, and every purge of a path.
pub(crate) async fn recent(db: &Db, live: &BTreeSet<String>) -> Result<Vec<KeptAnswersPurge>> {
    let since = now_ms() - PURGES_MATTER_MS;
    let whole: Vec<(String, i64)> =
        sqlx::query_as("SELECT api_id, purged_at FROM kept_answers_purges WHERE purged_at > $1 ORDER BY api_id")
            .bind(since)
            .fetch_all(&db.pool)
            .await?;
    let paths: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT api_id, purged_at, path FROM kept_answers_path_purges WHERE purged_at > $1 \
         ORDER BY api_id, purged_at, path",
    )
    .bind(since)
    .fetch_all(&db.pool)
    .await?;
    let whole = whole.into_iter().map(|(api_id, purged_at)| KeptAnswersPurge { api_id, purged_at, path: None });
    let paths =
        paths.into_iter().map(|(api_id, purged_at, path)| KeptAnswersPurge { api_id, purged_at, path: Some(path) });
    Ok(whole.chain(paths).filter(|purge| live.contains(&purge.api_id)).collect())
}
