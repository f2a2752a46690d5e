//! The lifecycle (WSO2's states). Creators move their API between CREATED and PROTOTYPED; the
//! rest is the publisher's, who may not publish their own work. Every step is audited.

use super::{load, load_editable};
use crate::application_webhooks::{self, ApiRef};
use crate::deploy::webhooks;
use crate::store::now_ms;
use crate::{Actor, Db, DomainError, Result, audit};
pub use gatehouse_contract::LifecycleRequest;
use gatehouse_contract::{LifecycleAction, LifecycleState, Permission, WebhookEvent};

/// Apply one lifecycle step; returns the new state.
pub async fn change(db: &Db, actor: &Actor, api_id: &str, request: &LifecycleRequest) -> Result<LifecycleState> {
    actor.require(Permission::DesignApis)?;
    let action: LifecycleAction = request.action.parse().map_err(|e: String| DomainError::invalid("action", e))?;
    let row = if action.is_creators() { load_editable(db, actor, api_id).await? } else { load(db, api_id).await? };
    if !action.is_creators() {
        actor.require(Permission::ReviewApis)?;
    }
    if action == LifecycleAction::Publish && row.owner_id == actor.user_id {
        return Err(DomainError::Forbidden("you cannot publish an API you own: another publisher must".into()));
    }
    let from = row.state()?;
    let to = from.after(action).ok_or_else(|| {
        DomainError::Conflict(format!(
            "{} {} is {from}; it cannot be moved with `{}`",
            row.name,
            row.version,
            action.as_str()
        ))
    })?;
    if action.is_irreversible() && !request.confirm {
        return Err(DomainError::invalid(
            "confirm",
            format!("`{}` cannot be undone; confirm it to go ahead", action.as_str()),
        ));
    }
    if request.comment.chars().count() > 1000 {
        return Err(DomainError::invalid("comment", "at most 1000 characters"));
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    // Compare-and-set on the state: two reviewers acting at once cannot both apply a step.
    let done = sqlx::query("UPDATE apis SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4")
        .bind(to.as_str())
        .bind(now)
        .bind(api_id)
        .bind(from.as_str())
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(DomainError::Conflict(format!(
            "{} {} changed state meanwhile; reload and try again",
            row.name, row.version
        )));
    }
    let mut deprecated = Vec::new();
    let mut revoked = None;
    if action == LifecycleAction::Publish {
        if request.require_resubscription {
            sqlx::query("UPDATE apis SET resubscribe_after = $1 WHERE id = $2")
                .bind(now)
                .bind(api_id)
                .execute(&mut *tx)
                .await?;
            // Tokens carry their subscriptions; those issued until now lose this API.
            revoked = Some(crate::subscriptions::revoke_in(&mut tx, &format!("api:{api_id}"), now).await?);
        }
        if request.deprecate_older_versions {
            let older: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
                "SELECT id, version, context, group_name FROM apis WHERE lineage_id = $1 AND id <> $2 AND state = 'PUBLISHED'",
            )
            .bind(&row.lineage_id)
            .bind(api_id)
            .fetch_all(&mut *tx)
            .await?;
            for (id, version, context, group) in older {
                sqlx::query("UPDATE apis SET state = 'DEPRECATED', updated_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                let why = format!("newer version {} published", row.version);
                let older = Announced {
                    id: &id,
                    name: &row.name,
                    version: &version,
                    context: &context,
                    group: group.as_deref(),
                };
                older.enqueue(&mut tx, actor, (LifecycleState::Published, LifecycleState::Deprecated), &why).await?;
                deprecated.push(version);
            }
        }
    }
    Announced::of(&row).enqueue(&mut tx, actor, (from, to), request.comment.trim()).await?;
    tx.commit().await?;
    if let Some(revoked) = revoked {
        revoked.after_commit(db).await;
    }
    let mut detail = format!("{from} → {to}");
    if !request.comment.trim().is_empty() {
        detail.push_str(&format!(": {}", request.comment.trim()));
    }
    if request.require_resubscription && action == LifecycleAction::Publish {
        detail.push_str(" (re-subscription required)");
    }
    let target = format!("{} {}", row.name, row.version);
    audit::record(db, &actor.email, "api.lifecycle", &target, &detail).await?;
    for version in deprecated {
        audit::record(
            db,
            &actor.email,
            "api.lifecycle",
            &format!("{} {version}", row.name),
            &format!("PUBLISHED → DEPRECATED: newer version {} published", row.version),
        )
        .await?;
    }
    Ok(to)
}

/// The API an `api.lifecycle` announcement is about.
pub(crate) struct Announced<'a> {
    id: &'a str,
    name: &'a str,
    version: &'a str,
    context: &'a str,
    /// The gateway group serving it, whose webhooks hear of it.
    group: Option<&'a str>,
}

impl<'a> Announced<'a> {
    pub(crate) fn of(row: &'a super::ApiRow) -> Self {
        Announced {
            id: &row.id,
            name: &row.name,
            version: &row.version,
            context: &row.context,
            group: row.group_name.as_deref(),
        }
    }

    /// As served by `group` (the one a release went to, whatever the API names now).
    pub(crate) fn served_by(self, group: &'a str) -> Self {
        Announced { group: Some(group), ..self }
    }

    /// Queue the `api.lifecycle` webhooks — the admins': which API moved from where to where,
    /// by whom and why; its subscribers' applications': where it moved, and that a newer
    /// version is out when it is a new version's first publication.
    pub(crate) async fn enqueue(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &Actor,
        (from, to): (LifecycleState, LifecycleState),
        comment: &str,
    ) -> Result<usize> {
        let payload = serde_json::json!({
            "event": WebhookEvent::ApiLifecycle, "api_id": self.id, "name": self.name, "version": self.version,
            "context": self.context, "group": self.group, "from": from, "to": to, "by": actor.email, "comment": comment,
        });
        let api = ApiRef { id: self.id, name: self.name, version: self.version, context: self.context };
        let told = application_webhooks::api_moved_on(conn, &api, (from, to)).await?;
        Ok(webhooks::enqueue_on(conn, self.id, WebhookEvent::ApiLifecycle, self.group, &payload).await? + told)
    }
}

/// Delete an API version that never reached a gateway — imported by mistake, or abandoned
/// before its release — with its revisions, documents and requests. One that went live stays,
/// as the record of what was served: a gateway's last bundle may still carry it, and only its
/// state there keeps the gateway refusing it. Its owner or a publisher may; the audit log keeps
/// the deletion.
pub async fn delete(db: &Db, actor: &Actor, api_id: &str) -> Result<()> {
    actor.require(Permission::DesignApis)?;
    let row = load_editable(db, actor, api_id).await?;
    let (name, state) = (format!("{} {}", row.name, row.version), row.state()?);
    // What went live leaves its gateways the way consumers are told of: deprecated, then retired.
    const WENT_LIVE: &str =
        "it stays, as the record of what was served; an API that went live leaves by deprecation and retirement";
    match state {
        LifecycleState::Created | LifecycleState::Prototyped => {}
        LifecycleState::Retired => {
            return Err(DomainError::Conflict(format!(
                "{name} is retired: it stays, as the record of what was served"
            )));
        }
        _ => return Err(DomainError::Conflict(format!("{name} is {state}: {WENT_LIVE}"))),
    }
    let count = |sql: &'static str| async move {
        let (n,): (i64,) = sqlx::query_as(sql).bind(api_id).fetch_one(&db.pool).await?;
        Ok::<i64, DomainError>(n)
    };
    if count("SELECT COUNT(*) FROM group_live WHERE api_id = $1").await? > 0 {
        return Err(DomainError::Conflict(format!("{name} has been deployed to a gateway group: {WENT_LIVE}")));
    }
    let subscriptions = count("SELECT COUNT(*) FROM subscriptions WHERE api_id = $1").await?;
    if subscriptions > 0 {
        return Err(DomainError::Conflict(format!("{name} has {subscriptions} subscription(s): {WENT_LIVE}")));
    }
    // The checks again in the statement itself, so a deployment or subscription that lands
    // meanwhile is not swept away by the cascade.
    let deleted = sqlx::query(
        "DELETE FROM apis WHERE id = $1 AND state = $2 \
         AND NOT EXISTS (SELECT 1 FROM group_live WHERE api_id = $1) \
         AND NOT EXISTS (SELECT 1 FROM subscriptions WHERE api_id = $1)",
    )
    .bind(api_id)
    .bind(state.as_str())
    .execute(&db.pool)
    .await?;
    if deleted.rows_affected() == 0 {
        return Err(DomainError::Conflict(format!("{name} changed meanwhile; reload and try again")));
    }
    audit::record(db, &actor.email, "api.deleted", &name, &format!("{state}, never deployed")).await
}
