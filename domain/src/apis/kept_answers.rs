//! Purging an API's kept answers: its gateways drop the answers they keep for it now rather
//! than when they expire — after the backend's data changed under them.

use super::load_editable;
use crate::store::now_ms;
use crate::{Actor, Db, Result, audit};
use gatehouse_contract::{KeptAnswersPurge, Permission};
use std::collections::BTreeSet;

/// No answer is kept longer than a day (`policies.cache_seconds`), so an older purge has
/// nothing left to drop.
const PURGES_MATTER_MS: i64 = 24 * 60 * 60 * 1000;

/// Have every gateway serving `api_id` drop the answers it keeps for it: the access part of
/// the group's bundle carries the purge, so gateways have it within a second or two, with no
/// release. Its owner or a reviewer may; returns when (Unix ms).
pub async fn purge(db: &Db, actor: &Actor, api_id: &str) -> Result<i64> {
    actor.require(Permission::DesignApis)?;
    let row = load_editable(db, actor, api_id).await?;
    let purged_at = now_ms();
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO kept_answers_purges (api_id, purged_at) VALUES ($1, $2) \
         ON CONFLICT (api_id) DO UPDATE SET purged_at = excluded.purged_at",
    )
    .bind(api_id)
    .bind(purged_at)
    .execute(&mut *tx)
    .await?;
    let name = format!("{} {}", row.name, row.version);
    audit::record_in(&mut tx, &actor.email, "api.kept_answers_purged", &name, "").await?;
    tx.commit().await?;
    Ok(purged_at)
}

/// The purges of the last day of the APIs a bundle serves.
pub(crate) async fn recent(db: &Db, live: &BTreeSet<String>) -> Result<Vec<KeptAnswersPurge>> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT api_id, purged_at FROM kept_answers_purges WHERE purged_at > $1 ORDER BY api_id")
            .bind(now_ms() - PURGES_MATTER_MS)
            .fetch_all(&db.pool)
            .await?;
    Ok(rows
        .into_iter()
        .filter(|(api_id, _)| live.contains(api_id))
        .map(|(api_id, purged_at)| KeptAnswersPurge { api_id, purged_at })
        .collect())
}
