//! Subscription tiers: requests per minute per subscription, managed by publishers. WSO2's
//! defaults are seeded by the migration. A tier an API offers or a subscription uses cannot be
//! deleted, so no API or subscription is ever left pointing at nothing.

use crate::error::is_unique_violation;
use crate::store::now_ms;
use crate::{Actor, Db, DomainError, Result, audit};
use gatehouse_contract::{Permission, Tier};
use sqlx::AnyConnection;

#[derive(sqlx::FromRow)]
struct Row {
    name: String,
    requests_per_minute: Option<i64>,
    description: String,
    needs_approval: i64,
}

fn tier(row: Row) -> Tier {
    Tier {
        name: row.name,
        requests_per_minute: row.requests_per_minute.and_then(|r| u32::try_from(r).ok()),
        description: row.description,
        needs_approval: row.needs_approval != 0,
    }
}

/// Every tier, the most generous last (unlimited after all limits).
pub async fn list(db: &Db) -> Result<Vec<Tier>> {
    list_on(&mut *db.pool.acquire().await?).await
}

/// The tiers as `conn` sees them: a transaction reads with the connection it writes on.
async fn list_on(conn: &mut AnyConnection) -> Result<Vec<Tier>> {
    let rows: Vec<Row> = sqlx::query_as("SELECT name, requests_per_minute, description, needs_approval FROM tiers")
        .fetch_all(conn)
        .await?;
    let mut tiers: Vec<Tier> = rows.into_iter().map(tier).collect();
    tiers.sort_by_key(|t| (t.requests_per_minute.is_none(), t.requests_per_minute, t.name.clone()));
    Ok(tiers)
}

pub async fn get(db: &Db, name: &str) -> Result<Tier> {
    let row: Option<Row> =
        sqlx::query_as("SELECT name, requests_per_minute, description, needs_approval FROM tiers WHERE name = $1")
            .bind(name)
            .fetch_optional(&db.pool)
            .await?;
    row.map(tier).ok_or_else(|| DomainError::NotFound(format!("tier {name}")))
}

fn check(t: &Tier) -> Result<Tier> {
    let name = t.name.trim();
    if name.is_empty()
        || name.chars().count() > 40
        || !name.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == ' ')
    {
        return Err(DomainError::invalid("name", "1 to 40 letters, digits, spaces, `-` or `_`"));
    }
    if t.requests_per_minute == Some(0) {
        return Err(DomainError::invalid("requests_per_minute", "must be at least 1 (leave it empty for unlimited)"));
    }
    if t.description.chars().count() > 500 {
        return Err(DomainError::invalid("description", "at most 500 characters"));
    }
    Ok(Tier {
        name: name.to_string(),
        requests_per_minute: t.requests_per_minute,
        description: t.description.trim().to_string(),
        needs_approval: t.needs_approval,
    })
}

pub async fn create(db: &Db, actor: &Actor, t: &Tier) -> Result<Tier> {
    actor.require(Permission::ReviewApis)?;
    let t = check(t)?;
    let now = now_ms();
    let inserted = sqlx::query(
        "INSERT INTO tiers (name, requests_per_minute, description, needs_approval, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(&t.name)
    .bind(t.requests_per_minute.map(i64::from))
    .bind(&t.description)
    .bind(i64::from(t.needs_approval))
    .bind(now)
    .execute(&db.pool)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(DomainError::Conflict(format!("a tier named {} exists", t.name)));
        }
        Err(e) => return Err(e.into()),
    }
    audit::record(db, &actor.email, "tier.created", &t.name, &t.limit_label()).await?;
    Ok(t)
}

/// Change a tier's limit, description or approval rule (its name is its identity). Active
/// subscriptions keep the tier and get the new limit with the next bundle.
pub async fn update(db: &Db, actor: &Actor, name: &str, t: &Tier) -> Result<Tier> {
    actor.require(Permission::ReviewApis)?;
    let before = get(db, name).await?;
    let t = check(&Tier { name: before.name.clone(), ..t.clone() })?;
    sqlx::query("UPDATE tiers SET requests_per_minute = $1, description = $2, needs_approval = $3, updated_at = $4 WHERE name = $5")
        .bind(t.requests_per_minute.map(i64::from))
        .bind(&t.description)
        .bind(i64::from(t.needs_approval))
        .bind(now_ms())
        .bind(name)
        .execute(&db.pool)
        .await?;
    let approval = if t.needs_approval { ", needs approval" } else { "" };
    audit::record(
        db,
        &actor.email,
        "tier.updated",
        name,
        &format!("{} → {}{approval}", before.limit_label(), t.limit_label()),
    )
    .await?;
    Ok(t)
}

/// Delete a tier no API offers and no subscription uses or has asked for.
pub async fn delete(db: &Db, actor: &Actor, name: &str) -> Result<()> {
    actor.require(Permission::ReviewApis)?;
    get(db, name).await?;
    let (subscriptions,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM subscriptions WHERE tier = $1 OR requested_tier = $1")
            .bind(name)
            .fetch_one(&db.pool)
            .await?;
    if subscriptions > 0 {
        return Err(DomainError::Conflict(format!(
            "{subscriptions} subscription(s) use or asked for tier {name}; it cannot be deleted"
        )));
    }
    let offering = offered_by(db, name).await?;
    if !offering.is_empty() {
        return Err(DomainError::Conflict(format!(
            "tier {name} is offered by {}; remove it from their settings first",
            offering.join(", ")
        )));
    }
    sqlx::query("DELETE FROM tiers WHERE name = $1").bind(name).execute(&db.pool).await?;
    audit::record(db, &actor.email, "tier.deleted", name, "").await
}

/// "Name version" of the APIs offering a tier. Policies are JSON, so the quoted name is searched
/// first (a `_` in it only widens the match) and each hit is confirmed by parsing.
async fn offered_by(db: &Db, name: &str) -> Result<Vec<String>> {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT name, version, policies FROM apis WHERE policies LIKE $1 AND state <> 'RETIRED'")
            .bind(format!("%\"{name}\"%"))
            .fetch_all(&db.pool)
            .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, _, policies)| {
            serde_json::from_str::<gatehouse_contract::Policies>(policies)
                .map(|p| p.tiers.iter().any(|t| t == name))
                .unwrap_or(false)
        })
        .map(|(n, v, _)| format!("{n} {v}"))
        .collect())
}

/// Refuse tier names that do not exist (an API's settings naming its offered tiers).
pub async fn check_offered(conn: &mut AnyConnection, names: &[String]) -> Result<()> {
    if names.is_empty() {
        return Err(DomainError::invalid("policies.tiers", "offer at least one tier, or consumers cannot subscribe"));
    }
    let known = list_on(conn).await?;
    for name in names {
        if !known.iter().any(|t| &t.name == name) {
            return Err(DomainError::invalid("policies.tiers", format!("unknown tier `{name}`")));
        }
    }
    Ok(())
}

/// What a new API offers: both credential kinds and every tier that needs no approval.
pub async fn default_policies(conn: &mut AnyConnection) -> Result<gatehouse_contract::Policies> {
    let tiers = list_on(conn).await?.into_iter().filter(|t| !t.needs_approval).map(|t| t.name).collect();
    Ok(gatehouse_contract::Policies { tiers, ..Default::default() })
}
