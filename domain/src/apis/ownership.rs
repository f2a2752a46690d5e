//! Who owns an API: handing one version, every version, or everything an account owns to
//! another account that designs APIs.

use super::{get, load_editable};
use crate::store::now_ms;
use crate::{Actor, Db, DomainError, Result, audit};
use gatehouse_contract::{ApiDetail, Permission};

/// Hand an API version to another account that can design APIs — with `all_versions`, every
/// version of the API its owner holds (but retired ones, which no longer change), as when
/// someone leaves a team. Its owner or a publisher may; each version's move is audited.
pub async fn transfer_ownership(
    db: &Db,
    actor: &Actor,
    id: &str,
    new_owner: &str,
    all_versions: bool,
) -> Result<ApiDetail> {
    actor.require(Permission::DesignApis)?;
    let row = load_editable(db, actor, id).await?;
    let owner = new_owner_of(db, new_owner).await?;
    let email = owner.email.clone();
    if owner.user_id == row.owner_id {
        return Err(DomainError::invalid("owner", format!("{email} already owns {} {}", row.name, row.version)));
    }
    let versions: Vec<(String, String)> = if all_versions {
        sqlx::query_as("SELECT id, version FROM apis WHERE lineage_id = $1 AND owner_id = $2 AND state <> 'RETIRED' ORDER BY created_at, id")
            .bind(&row.lineage_id)
            .bind(&row.owner_id)
            .fetch_all(&db.pool)
            .await?
    } else {
        vec![(row.id.clone(), row.version.clone())]
    };
    let now = now_ms();
    let mut tx = db.begin().await?;
    for (version_id, version) in &versions {
        // Only if the owner is still the one just read: two transfers at once do not both win.
        let moved = sqlx::query("UPDATE apis SET owner_id = $1, updated_at = $2 WHERE id = $3 AND owner_id = $4")
            .bind(&owner.user_id)
            .bind(now)
            .bind(version_id)
            .bind(&row.owner_id)
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() == 0 {
            return Err(DomainError::Conflict(format!(
                "the owner of {} {version} changed meanwhile; reload and try again",
                row.name
            )));
        }
    }
    tx.commit().await?;
    for (_, version) in &versions {
        audit::record(
            db,
            &actor.email,
            "api.owner_changed",
            &format!("{} {version}", row.name),
            &format!("{} to {email}", row.owner),
        )
        .await?;
    }
    get(db, actor, id).await
}

/// The account an API is handed to: one that exists, is not disabled, and may design APIs.
async fn new_owner_of(db: &Db, new_owner: &str) -> Result<Actor> {
    let email = crate::accounts::normalize_email(new_owner)
        .map_err(|_| DomainError::invalid("owner", format!("`{}` is not an email address", new_owner.trim())))?;
    let owner = match crate::accounts::account_by_email(db, &email).await? {
        None => return Err(DomainError::invalid("owner", format!("no account has the email {email}"))),
        Some((_, true)) => return Err(DomainError::invalid("owner", format!("{email} is disabled"))),
        Some((owner, false)) => owner,
    };
    if !owner.role.can(Permission::DesignApis) {
        return Err(DomainError::invalid(
            "owner",
            format!("{email} has the role {}: only creators, publishers and admins own APIs", owner.role.label()),
        ));
    }
    Ok(owner)
}

/// Hand every API version an account owns (but retired ones) to another account: an admin's
/// step when someone leaves, as disabling their account leaves what they own as it is. Each
/// move is audited; the number moved is returned.
pub async fn hand_over_all(db: &Db, actor: &Actor, from_user_id: &str, new_owner: &str) -> Result<usize> {
    actor.require(Permission::Administer)?;
    let from = crate::accounts::email_of(db, from_user_id).await?;
    let owner = new_owner_of(db, new_owner).await?;
    if owner.user_id == from_user_id {
        return Err(DomainError::invalid("owner", format!("{} is the account handing over", owner.email)));
    }
    let versions: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT id, name, version FROM apis WHERE owner_id = $1 AND state <> 'RETIRED' ORDER BY created_at, id",
    )
    .bind(from_user_id)
    .fetch_all(&db.pool)
    .await?;
    let mut tx = db.begin().await?;
    let now = now_ms();
    let mut moved = Vec::new();
    for (id, name, version) in &versions {
        // Only while the leaver still owns it: a version moved meanwhile by hand stays moved,
        // and is neither counted nor audited here.
        let updated = sqlx::query("UPDATE apis SET owner_id = $1, updated_at = $2 WHERE id = $3 AND owner_id = $4")
            .bind(&owner.user_id)
            .bind(now)
            .bind(id)
            .bind(from_user_id)
            .execute(&mut *tx)
            .await?;
        if updated.rows_affected() > 0 {
            moved.push(format!("{name} {version}"));
        }
    }
    tx.commit().await?;
    let detail = format!("{from} to {}", owner.email);
    for api in &moved {
        audit::record(db, &actor.email, "api.owner_changed", api, &detail).await?;
    }
    Ok(moved.len())
}

/// How many API versions (but retired ones) each account owns, by user id.
pub(crate) async fn owned_counts(db: &Db) -> Result<std::collections::HashMap<String, i64>> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT owner_id, COUNT(*) FROM apis WHERE state <> 'RETIRED' GROUP BY owner_id")
            .fetch_all(&db.pool)
            .await?;
    Ok(rows.into_iter().collect())
}
