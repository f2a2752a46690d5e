//! The management plane's side of the microgateways: their credentials (one group each, stored
//! hashed), their heartbeats (every bundle pull says which release an instance serves, which
//! is where "live on N of M" comes from), what keeps a local gateway from running (the embedded
//! supervisor's word), and the durable, idempotent ingest of their events.

use crate::store::{new_id, now_ms};
use crate::tokens::hash_secret;
use crate::{Actor, Db, DomainError, Result, audit, groups};
use base64::Engine;
use gatehouse_contract::{
    BackendAuth, GatewayCredential, GatewayEvent, GatewayInstance, IngestReceipt, LocalGatewayProblem,
    NewGatewayCredential, Permission, TierCounts,
};
use rand::RngCore;
use sqlx::Row;
use std::borrow::Cow;
use std::collections::HashSet;
use uuid::Uuid;

/// An instance counts as up when it pulled within this long (its long-poll is 25 s).
pub const HEARTBEAT_TIMEOUT_MS: i64 = 60_000;
/// At most this many events per batch.
pub const MAX_BATCH: usize = 5_000;

fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("ggw_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// A new credential's id and token.
async fn insert(db: &Db, group: &str, label: &str) -> Result<(String, String)> {
    let token = generate();
    let id = new_id();
    sqlx::query("INSERT INTO gateway_credentials (id, group_name, token_hash, prefix, label, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(group)
        .bind(hash_secret(&token))
        .bind(&token[..10])
        .bind(label)
        .bind(now_ms())
        .execute(&db.pool)
        .await?;
    Ok((id, token))
}

/// A credential for gateways of `group` run elsewhere (a cluster); publishers create them.
/// `server` is this server's address as such gateways reach it (its public URL), when known.
pub async fn create_credential(
    db: &Db,
    actor: &Actor,
    group: &str,
    server: Option<&str>,
) -> Result<NewGatewayCredential> {
    actor.require(Permission::ReviewApis)?;
    groups::get(db, group).await?;
    let (id, token) = insert(db, group, &actor.email).await?;
    audit::record(db, &actor.email, "gateway.credential_created", group, &token[..10]).await?;
    let server = server.map_or_else(|| "\"$GATEHOUSE_URL\"".to_string(), str::to_string);
    let kubernetes_secret = format!(
        "kubectl create secret generic {} --from-literal=server={server} --from-literal=token={token}",
        crate::deploy::manifests::management_secret(group)
    );
    Ok(NewGatewayCredential { id, group: group.to_string(), token, kubernetes_secret })
}

/// The group's gateway credentials, newest first, revoked ones included (for the record) but
/// for the local gateway's earlier ones, which each start of the server replaces.
pub async fn credentials(db: &Db, actor: &Actor, group: &str) -> Result<Vec<GatewayCredential>> {
    actor.require(Permission::ReviewApis)?;
    groups::get(db, group).await?;
    let rows: Vec<(String, String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, prefix, label, created_at, revoked_at FROM gateway_credentials \
         WHERE group_name = $1 AND (label <> $2 OR revoked_at IS NULL) ORDER BY created_at DESC, id DESC",
    )
    .bind(group)
    .bind(EMBEDDED)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, prefix, label, created_at, revoked_at)| GatewayCredential {
            id,
            group: group.to_string(),
            prefix,
            label,
            created_at,
            revoked_at,
        })
        .collect())
}

/// Revoke a leaked or retired credential: its gateways' next pull or event batch is refused
/// (they keep serving their last bundle and spool their events until given a new one). The
/// embedded gateway's credential is not revoked here: `gatehouse serve` renews it at each start.
pub async fn revoke_credential(db: &Db, actor: &Actor, group: &str, id: &str) -> Result<()> {
    actor.require(Permission::ReviewApis)?;
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT prefix, label FROM gateway_credentials WHERE id = $1 AND group_name = $2")
            .bind(id)
            .bind(group)
            .fetch_optional(&db.pool)
            .await?;
    let (prefix, label) = row.ok_or_else(|| DomainError::NotFound(format!("gateway credential {id} of {group}")))?;
    if label == EMBEDDED {
        return Err(DomainError::Conflict(
            "this is the local gateway's credential, renewed at each start of the server; revoke credentials given to gateways elsewhere".into(),
        ));
    }
    sqlx::query("UPDATE gateway_credentials SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now_ms())
        .bind(id)
        .execute(&db.pool)
        .await?;
    audit::record(db, &actor.email, "gateway.credential_revoked", group, &prefix).await
}

/// The label of the credential `gatehouse serve` gives the local gateway it supervises.
const EMBEDDED: &str = "embedded";

/// The credential the embedded supervisor hands its local gateway: a fresh one per start,
/// replacing the previous embedded one so old tokens do not pile up.
pub async fn embedded_credential(db: &Db, group: &str) -> Result<String> {
    sqlx::query(
        "UPDATE gateway_credentials SET revoked_at = $1 WHERE group_name = $2 AND label = $3 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(group)
    .bind(EMBEDDED)
    .execute(&db.pool)
    .await?;
    Ok(insert(db, group, EMBEDDED).await?.1)
}

/// The group a gateway token belongs to, or `Unauthorized`.
pub async fn authenticate(db: &Db, token: &str) -> Result<String> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT group_name FROM gateway_credentials WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(hash_secret(token))
            .fetch_optional(&db.pool)
            .await?;
    row.map(|(g,)| g).ok_or_else(|| DomainError::Unauthorized("invalid gateway credential".into()))
}

/// What a gateway says of itself with each bundle pull.
#[derive(Clone, Copy, Debug)]
pub struct Heartbeat<'a> {
    pub instance: &'a str,
    /// The release version it serves; empty before its first bundle.
    pub version: &'a str,
    /// The one API it serves (a private-jet gateway), or empty for every API of its group.
    pub api: &'a str,
    pub started_at: i64,
    pub tier_counts: TierCounts,
    /// The backend credentials' variables it lacks (`GATEWAY_BACKEND_SECRET_PETSTORE`).
    pub missing_secrets: &'a [String],
}

/// Record a heartbeat of a gateway of `group`: which release it serves, and how. A heartbeat
/// of a run that has signed off (it was in flight as the gateway stopped) is dropped.
pub async fn report(db: &Db, group: &str, beat: &Heartbeat<'_>) -> Result<()> {
    if beat.instance.is_empty() || beat.instance.len() > 200 {
        return Err(DomainError::invalid("X-Gateway-Instance", "1 to 200 characters"));
    }
    if beat.api.len() > 100 {
        return Err(DomainError::invalid("X-Gateway-Api", "at most 100 characters"));
    }
    // Only what a backend credential's variable can be, and a bounded list: this is shown on the
    // group page. Anything else is left out rather than refused, since refusing the heartbeat
    // would refuse the gateway its bundle.
    let missing_secrets: Vec<&str> = beat
        .missing_secrets
        .iter()
        .map(String::as_str)
        .filter(|v| v.strip_prefix(BackendAuth::VARIABLE_PREFIX).is_some_and(BackendAuth::is_secret_name))
        .take(100)
        .collect();
    sqlx::query(
        "INSERT INTO gateway_instances (group_name, instance, version, started_at, seen_at, tier_counts, api_id, missing_secrets) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (group_name, instance) \
         DO UPDATE SET version = $3, started_at = $4, seen_at = $5, tier_counts = $6, api_id = $7, missing_secrets = $8, stopped = 0 \
         WHERE gateway_instances.stopped = 0 OR gateway_instances.started_at <> excluded.started_at",
    )
    .bind(group)
    .bind(beat.instance)
    .bind(beat.version)
    .bind(beat.started_at)
    .bind(now_ms())
    .bind(beat.tier_counts.as_str())
    .bind(beat.api)
    .bind(missing_secrets.join(","))
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Forget an instance that stopped — it signed off as it shut down, or the embedded
/// supervisor stopped it or saw it exit — so it is neither shown as up nor counted in "live on
/// N of M" from now on, rather than until its heartbeats time out. The row stays, marked, so that a
/// heartbeat of the same run that was already on its way cannot report it again.
pub async fn forget(db: &Db, group: &str, instance: &str) -> Result<()> {
    sqlx::query("UPDATE gateway_instances SET stopped = 1 WHERE group_name = $1 AND instance = $2")
        .bind(group)
        .bind(instance)
        .execute(&db.pool)
        .await?;
    // Every pod of a cluster reports under a name of its own, so rows would pile up; a
    // sign-off (every rolling update brings some) drops the group's rows nobody shows any more.
    sqlx::query("DELETE FROM gateway_instances WHERE group_name = $1 AND seen_at < $2")
        .bind(group)
        .bind(now_ms() - LISTED_FOR_MS)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Record what keeps a local gateway of `group` (the one for `api`, in private-jet mode) from
/// serving on `port`. A problem keeps the time it was first found while it stays the same.
pub async fn record_local_problem(db: &Db, group: &str, api: Option<&str>, port: u16, problem: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO local_gateway_problems (group_name, api_id, port, problem, since) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (group_name, api_id) DO UPDATE SET port = excluded.port, problem = excluded.problem, \
         since = CASE WHEN local_gateway_problems.problem = excluded.problem THEN local_gateway_problems.since ELSE excluded.since END",
    )
    .bind(group)
    .bind(api.unwrap_or_default())
    .bind(i64::from(port))
    .bind(problem)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The local gateway of `group` (for `api`) runs, or is no longer wanted: no problem to show.
pub async fn clear_local_problem(db: &Db, group: &str, api: Option<&str>) -> Result<()> {
    sqlx::query("DELETE FROM local_gateway_problems WHERE group_name = $1 AND api_id = $2")
        .bind(group)
        .bind(api.unwrap_or_default())
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Forget every local gateway problem: a starting supervisor finds its own.
pub async fn clear_local_problems(db: &Db) -> Result<()> {
    sqlx::query("DELETE FROM local_gateway_problems").execute(&db.pool).await?;
    Ok(())
}

/// The local gateway problems of every group, by group name.
pub async fn local_problems(db: &Db) -> Result<Vec<(String, LocalGatewayProblem)>> {
    let rows: Vec<(String, String, i64, String, i64)> = sqlx::query_as(
        "SELECT group_name, api_id, port, problem, since FROM local_gateway_problems ORDER BY group_name, api_id",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(group, api_id, port, problem, since)| {
            (group, LocalGatewayProblem { api_id, port: u16::try_from(port).unwrap_or_default(), problem, since })
        })
        .collect())
}

/// How long an instance that stopped reporting stays listed (as down).
const LISTED_FOR_MS: i64 = 3_600_000;

/// The instances of a group that reported in the last hour and did not stop, newest first.
pub async fn instances(db: &Db, group: &str) -> Result<Vec<GatewayInstance>> {
    let now = now_ms();
    let rows: Vec<(String, String, i64, i64, String, String, String)> = sqlx::query_as(
        "SELECT instance, version, started_at, seen_at, tier_counts, api_id, missing_secrets FROM gateway_instances \
         WHERE group_name = $1 AND seen_at > $2 AND stopped = 0 ORDER BY seen_at DESC",
    )
    .bind(group)
    .bind(now - LISTED_FOR_MS)
    .fetch_all(&db.pool)
    .await?;
    rows.into_iter()
        .map(|(instance, version, started_at, seen_at, tier_counts, api_id, missing_secrets)| {
            let tier_counts = TierCounts::parse(&tier_counts).ok_or_else(|| {
                DomainError::Internal(format!("gateway instance {instance}: unknown tier counts {tier_counts:?}"))
            })?;
            Ok(GatewayInstance {
                up: now - seen_at < HEARTBEAT_TIMEOUT_MS,
                instance,
                version,
                started_at,
                seen_at,
                tier_counts,
                api_id,
                missing_secrets: missing_secrets.split(',').filter(|v| !v.is_empty()).map(String::from).collect(),
            })
        })
        .collect()
}

/// (instances up serving `version`, instances up) in `group`: "live on N of M" — of the
/// instances that serve `api` when the release is of one API (a private-jet gateway serves one
/// API only, and another API's gateway says nothing of this one's release).
pub async fn live_on(db: &Db, group: &str, version: &str, api: Option<&str>) -> Result<(u32, u32)> {
    let serves = |i: &GatewayInstance| i.api_id.is_empty() || api.is_none_or(|api| api == i.api_id);
    let up: Vec<GatewayInstance> = instances(db, group).await?.into_iter().filter(|i| i.up && serves(i)).collect();
    let serving = up.iter().filter(|i| i.version == version).count();
    Ok((u32::try_from(serving).unwrap_or(u32::MAX), u32::try_from(up.len()).unwrap_or(u32::MAX)))
}

/// Store a batch of events from a gateway of `group`, each at most once: an event id seen
/// before is counted as a duplicate and left as it was. All or nothing per batch: the new ids
/// and the batch of their events (one row) commit together.
pub async fn ingest(db: &Db, group: &str, events: &[GatewayEvent]) -> Result<IngestReceipt> {
    if events.len() > MAX_BATCH {
        return Err(DomainError::invalid("events", format!("at most {MAX_BATCH} per batch, got {}", events.len())));
    }
    for (i, e) in events.iter().enumerate() {
        if e.event_id.is_empty() || e.event_id.len() > 100 {
            return Err(DomainError::invalid(format!("events[{i}].event_id"), "1 to 100 characters"));
        }
        // A gateway without a bundle yet does not know its group; its credential does.
        if !e.group.is_empty() && e.group != group {
            return Err(DomainError::invalid(
                format!("events[{i}].group"),
                format!("this credential belongs to group {group}, not {}", e.group),
            ));
        }
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    // Claim the ids: the ones the database did not know come back. 100 rows per statement:
    // SQLite looks each `$N` up by name, so binding grows with the square of a statement's
    // parameters, and 200 keeps that small while the round trips stay few.
    const ROWS: usize = 100;
    let mut new_ids: HashSet<String> = HashSet::with_capacity(events.len());
    for chunk in events.chunks(ROWS) {
        let mut sql = String::from("INSERT INTO event_ids (event_id, ts) VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("(${}, ${})", 2 * i + 1, 2 * i + 2));
        }
        sql.push_str(" ON CONFLICT (event_id) DO NOTHING RETURNING event_id");
        let mut query = sqlx::query(&sql);
        for e in chunk {
            query = query.bind(&e.event_id).bind(e.timestamp);
        }
        for row in query.fetch_all(&mut *tx).await? {
            new_ids.insert(row.try_get(0)?);
        }
    }
    // Each new id once, even when the batch itself repeats it.
    // Stored with the credential's group (copied only when the gateway did not name it).
    let fresh: Vec<Cow<GatewayEvent>> = events
        .iter()
        .filter(|e| new_ids.remove(&e.event_id))
        .map(|e| {
            if e.group == group {
                Cow::Borrowed(e)
            } else {
                Cow::Owned(GatewayEvent { group: group.to_string(), ..e.clone() })
            }
        })
        .collect();
    let accepted = fresh.len() as u64;
    if let (Some(min_ts), Some(max_ts)) =
        (fresh.iter().map(|e| e.timestamp).min(), fresh.iter().map(|e| e.timestamp).max())
    {
        let payload = serde_json::to_string(&fresh).map_err(|err| DomainError::Internal(format!("events: {err}")))?;
        sqlx::query("INSERT INTO event_batches (id, received_at, min_ts, max_ts, events, payload) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(Uuid::now_v7().to_string())
            .bind(now)
            .bind(min_ts)
            .bind(max_ts)
            .bind(accepted as i64)
            .bind(payload)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(IngestReceipt { accepted, duplicates: events.len() as u64 - accepted })
}
