//! Subscriptions: an application subscribes to an API with one of the tiers the API offers.
//! Tiers that need approval put a request in the publishers' approval queue (the second kind
//! of request beside revisions); the subscription works once approved. Taking access away
//! (unsubscribing, revoking a credential, deleting an application) records a revocation that
//! reaches gateways in the bundle, since the tokens they verify are self-contained.

use crate::application_webhooks;
use crate::deploy::webhooks;
use crate::store::{new_id, now_ms};
use crate::{Actor, Db, DomainError, Result, apis, applications, audit, keys, tiers};
use gatehouse_contract::{
    LifecycleState, NewSubscription, Permission, Revocation, Subscription, SubscriptionClaim, SubscriptionStatus, Tier,
    VersionRef, WebhookEvent,
};

/// States in which an API's subscriptions may be used (a DEPRECATED API keeps its subscribers).
const CALLABLE: [&str; 3] = ["PUBLISHED", "PROTOTYPED", "DEPRECATED"];
/// States in which an API takes new subscriptions.
const SUBSCRIBABLE: [LifecycleState; 2] = [LifecycleState::Published, LifecycleState::Prototyped];

/// A subscription as [`SELECT`] reads it, before the API's state decides its status.
#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    application_id: String,
    application_name: String,
    consumer: String,
    api_id: String,
    api_name: String,
    api_version: String,
    api_context: String,
    tier: String,
    status: String,
    comment: String,
    created_at: i64,
    activated_at: Option<i64>,
    api_state: String,
    resubscribe_after: Option<i64>,
    requested_tier: Option<String>,
}

const SELECT: &str = "SELECT s.id, s.application_id, ap.name AS application_name, u.email AS consumer, s.api_id, \
    a.name AS api_name, a.version AS api_version, a.context AS api_context, s.tier, s.status, \
    s.decided_comment AS comment, s.created_at, s.activated_at, a.state AS api_state, a.resubscribe_after, \
    s.requested_tier FROM subscriptions s JOIN applications ap ON ap.id = s.application_id \
    JOIN users u ON u.id = ap.owner_id JOIN apis a ON a.id = s.api_id";

/// The status a subscription has now: stored status, then what the API's state does to it.
fn effective(
    stored: &str,
    api_state: &str,
    activated_at: Option<i64>,
    resubscribe_after: Option<i64>,
) -> SubscriptionStatus {
    match stored {
        "pending" => SubscriptionStatus::Pending,
        "rejected" => SubscriptionStatus::Rejected,
        "suspended" => SubscriptionStatus::Suspended,
        _ if api_state == "BLOCKED" => SubscriptionStatus::Blocked,
        _ if api_state == "RETIRED" => SubscriptionStatus::Retired,
        _ if resubscribe_after.is_some_and(|after| activated_at.unwrap_or(0) < after) => {
            SubscriptionStatus::ResubscriptionRequired
        }
        _ => SubscriptionStatus::Active,
    }
}

/// May an active subscription be used now, given its API's state?
pub(crate) fn usable(api_state: &str, activated_at: Option<i64>, resubscribe_after: Option<i64>) -> bool {
    CALLABLE.contains(&api_state)
        && effective("active", api_state, activated_at, resubscribe_after) == SubscriptionStatus::Active
}

fn subscription(row: Row) -> Result<Subscription> {
    Ok(Subscription {
        status: effective(&row.status, &row.api_state, row.activated_at, row.resubscribe_after),
        api_state: row
            .api_state
            .parse()
            .map_err(|e: String| DomainError::Internal(format!("stored API state: {e}")))?,
        newer_version: None,
        id: row.id,
        application_id: row.application_id,
        application_name: row.application_name,
        consumer: row.consumer,
        api_id: row.api_id,
        api_name: row.api_name,
        api_version: row.api_version,
        api_context: row.api_context,
        tier: row.tier,
        requested_tier: row.requested_tier,
        comment: row.comment,
        created_at: row.created_at,
        activated_at: row.activated_at,
    })
}

/// One subscription by id, whoever owns it (for the approval queue).
pub async fn get(db: &Db, id: &str) -> Result<Subscription> {
    let row: Option<Row> =
        sqlx::query_as(&format!("{SELECT} WHERE s.id = $1")).bind(id).fetch_optional(&db.pool).await?;
    row.map(subscription).ok_or_else(|| DomainError::NotFound(format!("subscription {id}")))?
}

/// Subscriptions by id, whoever owns them, in one query (for a page of the approval queue);
/// ids that name no subscription are left out.
pub async fn by_ids(db: &Db, ids: &[&str]) -> Result<std::collections::HashMap<String, Subscription>> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!("{SELECT} WHERE s.id IN ({})", placeholders.join(", "));
    let rows: Vec<Row> = ids.iter().fold(sqlx::query_as(&sql), |query, id| query.bind(*id)).fetch_all(&db.pool).await?;
    rows.into_iter().map(|row| Ok((row.id.clone(), subscription(row)?))).collect()
}

/// The actor's subscriptions, optionally of one of their applications.
pub async fn list(db: &Db, actor: &Actor, application_id: Option<&str>) -> Result<Vec<Subscription>> {
    actor.require(Permission::UsePortal)?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE ap.owner_id = $1 AND ($2 = '' OR s.application_id = $2) ORDER BY ap.name, a.name, a.version"
    ))
    .bind(&actor.user_id)
    .bind(application_id.unwrap_or(""))
    .fetch_all(&db.pool)
    .await?;
    let mut subscriptions = rows.into_iter().map(subscription).collect::<Result<Vec<_>>>()?;
    let newer = newer_versions(db, actor, application_id).await?;
    for s in &mut subscriptions {
        s.newer_version = newer.get(&s.api_id).cloned();
    }
    Ok(subscriptions)
}

/// For each API the actor's applications (or the one named) subscribe to, the newest published
/// version of the same API created after it (in the portal's order of versions: creation, then
/// id): where a deprecated (or simply older) version's consumers move. Every published version
/// is listed to a signed-in consumer, so none is hidden from them.
async fn newer_versions(
    db: &Db,
    actor: &Actor,
    application_id: Option<&str>,
) -> Result<std::collections::HashMap<String, VersionRef>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT a.id, n.id, n.version FROM subscriptions s \
         JOIN applications ap ON ap.id = s.application_id JOIN apis a ON a.id = s.api_id \
         JOIN apis n ON n.lineage_id = a.lineage_id AND n.state = 'PUBLISHED' \
         AND (n.created_at > a.created_at OR (n.created_at = a.created_at AND n.id > a.id)) \
         WHERE ap.owner_id = $1 AND ($2 = '' OR s.application_id = $2) ORDER BY n.created_at, n.id",
    )
    .bind(&actor.user_id)
    .bind(application_id.unwrap_or(""))
    .fetch_all(&db.pool)
    .await?;
    // Ordered oldest first, so the newest is the one left for each API.
    Ok(rows
        .into_iter()
        .map(|(api_id, id, version)| (api_id, VersionRef { id, version, state: LifecycleState::Published }))
        .collect())
}

/// Who subscribes to an API: its owner and publishers may see it.
pub async fn of_api(db: &Db, actor: &Actor, api_id: &str) -> Result<Vec<Subscription>> {
    actor.require(Permission::DesignApis)?;
    // Its owner or a publisher, whatever its state: a retired API's subscribers are history.
    let api = apis::load(db, api_id).await?;
    if !apis::can_edit(actor, &api.owner_id) {
        return Err(DomainError::Forbidden(format!(
            "only the owner ({}) or a publisher may see who subscribes to {} {}",
            api.owner, api.name, api.version
        )));
    }
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} WHERE s.api_id = $1 ORDER BY s.created_at DESC"))
        .bind(api_id)
        .fetch_all(&db.pool)
        .await?;
    rows.into_iter().map(subscription).collect()
}

/// Subscribe one of the actor's applications to an API with a tier it offers. A rejected or
/// lapsed (re-subscription required) subscription is replaced; an active or pending one is a
/// conflict. Returns the subscription, `pending` when the tier needs approval.
pub async fn subscribe(db: &Db, actor: &Actor, request: &NewSubscription) -> Result<Subscription> {
    actor.require(Permission::UsePortal)?;
    let (app_name, ..) = applications::owned(db, actor, &request.application_id).await?;
    let api =
        apis::load(db, &request.api_id).await.map_err(|_| DomainError::NotFound(format!("API {}", request.api_id)))?;
    let state = api.state()?;
    if !SUBSCRIBABLE.contains(&state) {
        return Err(match state {
            LifecycleState::Deprecated => DomainError::Conflict(format!(
                "{} {} is deprecated and takes no new subscriptions",
                api.name, api.version
            )),
            // Unlisted APIs answer as if they did not exist, as the portal does.
            _ => DomainError::NotFound(format!("API {}", request.api_id)),
        });
    }
    let tier = offered_tier(db, &api, &request.tier).await?;
    let existing: Option<(String, String, Option<i64>)> =
        sqlx::query_as("SELECT id, status, activated_at FROM subscriptions WHERE application_id = $1 AND api_id = $2")
            .bind(&request.application_id)
            .bind(&request.api_id)
            .fetch_optional(&db.pool)
            .await?;
    let target = format!("{} {}", api.name, api.version);
    if let Some((_, status, activated_at)) = &existing {
        match effective(status, &api.state, *activated_at, api_resubscribe_after(db, &api.id).await?) {
            SubscriptionStatus::Pending => {
                return Err(DomainError::Conflict(format!("{app_name} already waits for approval to use {target}")));
            }
            SubscriptionStatus::Active | SubscriptionStatus::Blocked => {
                return Err(DomainError::Conflict(format!(
                    "{app_name} is already subscribed to {target}; change its tier instead"
                )));
            }
            SubscriptionStatus::Suspended => {
                return Err(DomainError::Conflict(format!(
                    "{app_name}'s subscription to {target} is suspended by a publisher; it stays until they resume it"
                )));
            }
            // A retired API takes no subscriptions (refused above); were it published again, its
            // old subscription would be replaced like a lapsed one.
            SubscriptionStatus::Rejected | SubscriptionStatus::ResubscriptionRequired | SubscriptionStatus::Retired => {
            }
        }
    }
    let now = now_ms();
    let (status, activated_at) = if tier.needs_approval { ("pending", None) } else { ("active", Some(now)) };
    let mut tx = db.begin().await?;
    let id = match existing {
        Some((id, ..)) => {
            sqlx::query("UPDATE subscriptions SET tier = $1, status = $2, created_by = $3, created_at = $4, activated_at = $5, decided_comment = '' WHERE id = $6")
                .bind(&tier.name)
                .bind(status)
                .bind(&actor.user_id)
                .bind(now)
                .bind(activated_at)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            id
        }
        None => {
            let id = new_id();
            sqlx::query(
                "INSERT INTO subscriptions (id, application_id, api_id, tier, status, created_by, created_at, activated_at, decided_comment) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '')",
            )
            .bind(&id)
            .bind(&request.application_id)
            .bind(&request.api_id)
            .bind(&tier.name)
            .bind(status)
            .bind(&actor.user_id)
            .bind(now)
            .bind(activated_at)
            .execute(&mut *tx)
            .await?;
            id
        }
    };
    if tier.needs_approval {
        ask_approval(
            &mut tx,
            actor,
            &api,
            &id,
            &format!("{app_name} asks for tier {} ({})", tier.name, tier.limit_label()),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    let detail = format!(
        "{app_name} with tier {}{}",
        tier.name,
        if tier.needs_approval { ", waiting for approval" } else { "" }
    );
    audit::record(db, &actor.email, "subscription.created", &target, &detail).await?;
    get(db, &id).await
}

/// A tier `api` offers, by name: one of its definition's tiers that still exists.
async fn offered_tier(db: &Db, api: &apis::ApiRow, name: &str) -> Result<Tier> {
    // The server answers its own API with personal access tokens; no gateway would enforce a
    // tier. Here, so that subscribing and changing a tier both refuse it.
    if crate::portal::is_management_api(api) {
        return Err(DomainError::Conflict(format!(
            "{} {} is served by Gatehouse itself and takes no subscriptions: call it with a personal access token",
            api.name, api.version
        )));
    }
    // The tiers consumers are shown: those of the revision the gateways serve.
    let offered = apis::served(db, api).await?.policies.tiers;
    if !offered.iter().any(|t| t == name) {
        return Err(DomainError::invalid(
            "tier",
            format!("{} {} offers {}, not `{name}`", api.name, api.version, offered.join(", ")),
        ));
    }
    tiers::get(db, name).await.map_err(|_| DomainError::invalid("tier", format!("unknown tier `{name}`")))
}

/// Put a subscription's request in the publishers' approval queue.
async fn ask_approval(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    actor: &Actor,
    api: &apis::ApiRow,
    subscription_id: &str,
    note: &str,
    now: i64,
) -> Result<()> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO approvals (id, kind, api_id, revision, group_name, note, requested_by, requested_at, status, comment, subscription_id) \
         VALUES ($1, 'subscription', $2, 0, $3, $4, $5, $6, 'pending', '', $7)",
    )
    .bind(&id)
    .bind(&api.id)
    .bind(api.group_name.clone().unwrap_or_default())
    .bind(note)
    .bind(&actor.user_id)
    .bind(now)
    .bind(subscription_id)
    .execute(&mut **tx)
    .await?;
    let payload = serde_json::json!({
        "event": WebhookEvent::ApprovalRequested, "approval": id, "kind": "subscription", "api_id": api.id,
        "name": api.name, "version": api.version, "subscription": subscription_id, "note": note,
        "group": api.group_name, "requested_by": actor.email,
    });
    webhooks::enqueue_on(tx, &id, WebhookEvent::ApprovalRequested, api.group_name.as_deref(), &payload).await?;
    Ok(())
}

/// The subject whose revocation takes one API away from an application's tokens.
fn subject(application_id: &str, api_id: &str) -> String {
    format!("subscription:{application_id}/{api_id}")
}

/// Move an active subscription of one of the actor's applications to another tier its API
/// offers. A tier that needs approval is asked for: the subscription goes on at its current
/// tier until a publisher decides. Otherwise the tier changes at once and tokens issued before
/// now lose the API at the gateways — they carry the old tier — so the next token carries the
/// new one (a downgrade takes effect as surely as an upgrade).
pub async fn change_tier(db: &Db, actor: &Actor, id: &str, tier: &str) -> Result<Subscription> {
    actor.require(Permission::UsePortal)?;
    let current = get(db, id).await?;
    let (app_name, ..) = applications::owned(db, actor, &current.application_id)
        .await
        .map_err(|_| DomainError::NotFound(format!("subscription {id}")))?;
    let target = format!("{} {}", current.api_name, current.api_version);
    match current.status {
        SubscriptionStatus::Active => {}
        SubscriptionStatus::Pending => {
            return Err(DomainError::Conflict(format!(
                "{app_name} still waits for approval to use {target}; unsubscribe to withdraw the request, then subscribe with the tier you want"
            )));
        }
        SubscriptionStatus::Rejected | SubscriptionStatus::ResubscriptionRequired => {
            return Err(DomainError::Conflict(format!(
                "{app_name} has no active subscription to {target}; subscribe again with the tier you want"
            )));
        }
        SubscriptionStatus::Blocked => {
            return Err(DomainError::Conflict(format!(
                "{target} is blocked by its publisher; its tiers cannot change meanwhile"
            )));
        }
        SubscriptionStatus::Suspended => {
            return Err(DomainError::Conflict(format!(
                "{app_name}'s subscription to {target} is suspended by a publisher; its tier cannot change meanwhile"
            )));
        }
        SubscriptionStatus::Retired => {
            return Err(DomainError::Conflict(format!(
                "{target} is retired and takes no calls; subscribe to a newer version instead"
            )));
        }
    }
    if let Some(asked) = &current.requested_tier {
        return Err(DomainError::Conflict(format!(
            "{app_name} already asked to move to tier {asked}; wait for the decision or unsubscribe"
        )));
    }
    let api = apis::load(db, &current.api_id).await?;
    if !SUBSCRIBABLE.contains(&api.state()?) {
        return Err(DomainError::Conflict(format!("{target} is deprecated: its subscriptions keep their tiers")));
    }
    let tier = offered_tier(db, &api, tier).await?;
    if tier.name == current.tier {
        return Err(DomainError::invalid("tier", format!("{app_name} already uses tier {} for {target}", tier.name)));
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    // Only an active subscription with no request open changes: a decision or an unsubscribe
    // that came in meanwhile wins.
    let column = if tier.needs_approval { "requested_tier" } else { "tier" };
    let changed = sqlx::query(&format!(
        "UPDATE subscriptions SET {column} = $1 WHERE id = $2 AND status = 'active' AND requested_tier IS NULL"
    ))
    .bind(&tier.name)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() == 0 {
        return Err(DomainError::Conflict(format!(
            "the subscription of {app_name} to {target} changed meanwhile; reload and try again"
        )));
    }
    let detail = format!("{app_name}: tier {} to {} ({})", current.tier, tier.name, tier.limit_label());
    let revoked = if tier.needs_approval {
        ask_approval(
            &mut tx,
            actor,
            &api,
            id,
            &format!("{app_name} asks to move from tier {} to {} ({})", current.tier, tier.name, tier.limit_label()),
            now,
        )
        .await?;
        None
    } else {
        Some(revoke_in(&mut tx, &subject(&current.application_id, &current.api_id), now).await?)
    };
    tx.commit().await?;
    if let Some(revoked) = revoked {
        revoked.after_commit(db).await;
    }
    let action = if tier.needs_approval { "subscription.tier_requested" } else { "subscription.tier_changed" };
    audit::record(db, &actor.email, action, &target, &detail).await?;
    get(db, id).await
}

async fn api_resubscribe_after(db: &Db, api_id: &str) -> Result<Option<i64>> {
    let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT resubscribe_after FROM apis WHERE id = $1")
        .bind(api_id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.and_then(|(r,)| r))
}

/// End a subscription of one of the actor's applications. Tokens issued before now lose the
/// API at the gateways; a request still waiting for approval is withdrawn.
pub async fn unsubscribe(db: &Db, actor: &Actor, id: &str) -> Result<()> {
    actor.require(Permission::UsePortal)?;
    let s = get(db, id).await?;
    applications::owned(db, actor, &s.application_id)
        .await
        .map_err(|_| DomainError::NotFound(format!("subscription {id}")))?;
    // Unsubscribing and subscribing again would undo the publisher's decision.
    if s.status == SubscriptionStatus::Suspended {
        return Err(DomainError::Conflict(format!(
            "{}'s subscription to {} {} is suspended by a publisher; it stays until they resume it",
            s.application_name, s.api_name, s.api_version
        )));
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    close_requests(&mut tx, actor, id, "withdrawn by the consumer").await?;
    sqlx::query("DELETE FROM subscriptions WHERE id = $1").bind(id).execute(&mut *tx).await?;
    let revoked = revoke_in(&mut tx, &subject(&s.application_id, &s.api_id), now).await?;
    tx.commit().await?;
    revoked.after_commit(db).await;
    audit::record(
        db,
        &actor.email,
        "subscription.deleted",
        &format!("{} {}", s.api_name, s.api_version),
        &s.application_name,
    )
    .await
}

/// Close the subscription's requests still waiting for a publisher (to subscribe, or to change
/// tier), as rejected with `why`, each announced like a publisher's decision: the approval
/// queue and a chat bridge that announced the request both see it end.
async fn close_requests(tx: &mut sqlx::AnyConnection, actor: &Actor, subscription: &str, why: &str) -> Result<()> {
    let pending: Vec<String> =
        sqlx::query_scalar("SELECT id FROM approvals WHERE subscription_id = $1 AND status = 'pending'")
            .bind(subscription)
            .fetch_all(&mut *tx)
            .await?;
    for approval in pending {
        crate::deploy::close_request(tx, actor, &approval, "rejected", why).await?;
    }
    Ok(())
}

/// A publisher stops one application's calls to an API (abuse, an unpaid bill, a leaked
/// credential), saying why: tokens issued before now lose the API at the gateways, its API keys
/// leave the bundle, and the consumer sees the reason. The subscription stays, suspended, so
/// unsubscribing and subscribing again cannot undo it.
pub async fn suspend(db: &Db, actor: &Actor, id: &str, reason: &str) -> Result<Subscription> {
    actor.require(Permission::ReviewApis)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(DomainError::invalid("reason", "say why, in at most 500 characters: the consumer reads it"));
    }
    let current = get(db, id).await?;
    if current.status != SubscriptionStatus::Active {
        return Err(DomainError::Conflict(format!(
            "only an active subscription can be suspended; {}'s is {}",
            current.application_name,
            current.status.label()
        )));
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "UPDATE subscriptions SET status = 'suspended', requested_tier = NULL, decided_comment = $1 WHERE id = $2 AND status = 'active'",
    )
    .bind(reason)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(DomainError::Conflict("the subscription changed meanwhile; look again".into()));
    }
    // A tier change waiting for approval has nothing left to change.
    close_requests(&mut tx, actor, id, "the subscription was suspended").await?;
    let revoked = revoke_in(&mut tx, &subject(&current.application_id, &current.api_id), now).await?;
    application_webhooks::subscription_changed_on(&mut tx, id, "suspended").await?;
    tx.commit().await?;
    revoked.after_commit(db).await;
    let target = format!("{} {}", current.api_name, current.api_version);
    audit::record(
        db,
        &actor.email,
        "subscription.suspended",
        &target,
        &format!("{}: {reason}", current.application_name),
    )
    .await?;
    get(db, id).await
}

/// Let a suspended subscription call again: the application's next token carries the API (the
/// ones revoked at suspension stay revoked) and its API keys return to the bundle.
pub async fn resume(db: &Db, actor: &Actor, id: &str) -> Result<Subscription> {
    actor.require(Permission::ReviewApis)?;
    let current = get(db, id).await?;
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "UPDATE subscriptions SET status = 'active', decided_comment = '' WHERE id = $1 AND status = 'suspended'",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(DomainError::Conflict(format!(
            "{}'s subscription is not suspended; it is {}",
            current.application_name,
            current.status.label()
        )));
    }
    application_webhooks::subscription_changed_on(&mut tx, id, "resumed").await?;
    tx.commit().await?;
    let target = format!("{} {}", current.api_name, current.api_version);
    audit::record(db, &actor.email, "subscription.resumed", &target, &current.application_name).await?;
    get(db, id).await
}

/// A publisher's decision on a subscription request (called from the approval queue): a new
/// subscription becomes active or is rejected; a tier change is made (tokens issued before it
/// lose the API, as in [`change_tier`]) or dropped, the subscription going on at its tier.
pub(crate) async fn decide(db: &Db, actor: &Actor, id: &str, approve: bool, comment: &str) -> Result<Subscription> {
    actor.require(Permission::ReviewApis)?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let tier_change = if approve {
        "UPDATE subscriptions SET tier = requested_tier, requested_tier = NULL, decided_comment = $1 WHERE id = $2 AND status = 'active' AND requested_tier IS NOT NULL"
    } else {
        "UPDATE subscriptions SET requested_tier = NULL, decided_comment = $1 WHERE id = $2 AND status = 'active' AND requested_tier IS NOT NULL"
    };
    let changed = sqlx::query(tier_change).bind(comment.trim()).bind(id).execute(&mut *tx).await?.rows_affected() > 0;
    let mut revoked = None;
    if changed && approve {
        let (application_id, api_id): (String, String) =
            sqlx::query_as("SELECT application_id, api_id FROM subscriptions WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        revoked = Some(revoke_in(&mut tx, &subject(&application_id, &api_id), now).await?);
    }
    if !changed {
        let (status, activated_at) = if approve { ("active", Some(now)) } else { ("rejected", None) };
        let done = sqlx::query("UPDATE subscriptions SET status = $1, activated_at = $2, decided_comment = $3 WHERE id = $4 AND status = 'pending'")
            .bind(status)
            .bind(activated_at)
            .bind(comment.trim())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(DomainError::Conflict("the subscription was withdrawn or decided meanwhile".into()));
        }
    }
    let change = match (changed, approve) {
        (true, true) => "tier_approved",
        (true, false) => "tier_rejected",
        (false, true) => "approved",
        (false, false) => "rejected",
    };
    application_webhooks::subscription_changed_on(&mut tx, id, change).await?;
    tx.commit().await?;
    if let Some(revoked) = revoked {
        revoked.after_commit(db).await;
    }
    let s = get(db, id).await?;
    audit::record(
        db,
        &actor.email,
        &format!("subscription.{change}"),
        &format!("{} {}", s.api_name, s.api_version),
        &format!("{} with tier {}", s.application_name, s.tier),
    )
    .await?;
    Ok(s)
}

/// What an application's tokens may call: its usable subscriptions (active, API not blocked,
/// no re-subscription required), sorted by API id.
pub async fn claims(db: &Db, application_id: &str) -> Result<Vec<SubscriptionClaim>> {
    type Row = (String, String, String, Option<i64>, Option<i64>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT s.api_id, s.tier, a.state, s.activated_at, a.resubscribe_after FROM subscriptions s JOIN apis a ON a.id = s.api_id \
         WHERE s.application_id = $1 AND s.status = 'active' ORDER BY s.api_id",
    )
    .bind(application_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, _, state, activated_at, after)| usable(state, *activated_at, *after))
        .map(|(api_id, tier, ..)| SubscriptionClaim { api_id, tier })
        .collect())
}

/// A revocation written inside the transaction that makes its change, so the change is never
/// committed without it. Its stamp is taken before the commit, though, and a token issued in
/// between (its `iat_ms` later than the stamp, its claims read before the commit, so still
/// granting what was revoked) would pass it: [`Restamp::after_commit`] stamps it again.
pub(crate) async fn revoke_in(tx: &mut sqlx::Transaction<'_, sqlx::Any>, subject: &str, at: i64) -> Result<Restamp> {
    sqlx::query("DELETE FROM revocations WHERE expires_at <= $1").bind(at).execute(&mut **tx).await?;
    sqlx::query("INSERT INTO revocations (subject, revoked_at, expires_at) VALUES ($1, $2, $3) ON CONFLICT (subject, revoked_at) DO NOTHING")
        .bind(subject)
        .bind(at)
        .bind(at + keys::TOKEN_TTL_SECS * 1000)
        .execute(&mut **tx)
        .await?;
    Ok(Restamp(subject.to_string()))
}

/// A revocation whose transaction has yet to commit.
#[must_use = "stamp the revocation again once its transaction has committed"]
pub(crate) struct Restamp(String);

impl Restamp {
    /// Call once the transaction has committed. Gateways refuse a token whose `iat_ms` is not
    /// later than a revocation of its subjects, and a token takes its `iat_ms` before it reads
    /// its claims, so a stamp taken now catches every token whose claims were read before the
    /// commit. The change is made by then: a failure here is logged, not returned, and leaves
    /// the first stamp in force.
    pub(crate) async fn after_commit(self, db: &Db) {
        if let Err(e) = revoke(db, &self.0).await {
            tracing::warn!(subject = %self.0, error = %e, "a committed revocation could not be stamped again");
        }
    }
}

/// Record that tokens issued for `subject` until now must be refused — for a change already
/// committed. Returns once the clock has passed the stamp, so a token asked for afterwards
/// (one with the new claims) is later than it to the millisecond and gateways take it.
pub async fn revoke(db: &Db, subject: &str) -> Result<()> {
    let at = now_ms();
    let mut tx = db.begin().await?;
    // The change has committed already, so this stamp is the late one: nothing to restamp.
    let _ = revoke_in(&mut tx, subject, at).await?;
    tx.commit().await?;
    while now_ms() <= at {
        tokio::time::sleep(std::time::Duration::from_micros(200)).await;
    }
    Ok(())
}

/// Revocations still relevant: younger than a token lifetime (older tokens have expired).
pub async fn revocations(db: &Db) -> Result<Vec<Revocation>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT subject, revoked_at FROM revocations WHERE expires_at > $1 ORDER BY subject, revoked_at",
    )
    .bind(now_ms())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|(subject, revoked_at)| Revocation { subject, revoked_at }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{accounts, applications, audit};
    use gatehouse_contract::Role;

    fn iat_ms(token: &str) -> i64 {
        use base64::Engine;
        let payload = token.split('.').nth(1).expect("payload");
        let claims: serde_json::Value =
            serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("base64"))
                .expect("json");
        claims["iat_ms"].as_i64().expect("iat_ms")
    }

    /// The race the second stamp closes: a token issued while a revoking transaction is open
    /// reads the claims from before it, and is later than the first stamp.
    async fn a_token_issued_before_a_revocation_commits_is_caught_by_it(db: Db) {
        let ann = accounts::create_user(&db, audit::SYSTEM, "ann@example.com", "correct horse battery", Role::Consumer)
            .await
            .expect("user");
        let ann = accounts::actor_by_id(&db, &ann.id).await.expect("load").expect("exists");
        let shop = applications::create(&db, &ann, "Shop", "").await.expect("app");
        let token = || keys::token_for_application(&db, "https://gatehouse.test", &shop.id, "production", None);
        token().await.expect("the signing key exists before the transaction opens");
        let subject = format!("application:{}", shop.id);
        let latest = || async {
            revocations(&db)
                .await
                .expect("revocations")
                .into_iter()
                .filter(|r| r.subject == subject)
                .map(|r| r.revoked_at)
                .max()
        };

        let first = now_ms();
        let mut tx = db.begin().await.expect("begin");
        let revoked = revoke_in(&mut tx, &subject, first).await.expect("revoke");
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        let meanwhile = iat_ms(&token().await.expect("a token while the transaction is open").access_token);
        assert!(meanwhile > first, "the race: issued after the first stamp ({meanwhile} against {first})");
        tx.commit().await.expect("commit");
        assert_eq!(latest().await, Some(first));
        revoked.after_commit(&db).await;
        let stamped = latest().await.expect("stamped");
        assert!(meanwhile <= stamped, "gateways refuse the token issued meanwhile ({meanwhile} against {stamped})");
        let after = iat_ms(&token().await.expect("a token afterwards").access_token);
        assert!(after > stamped, "a token asked for afterwards is later than the stamp ({after} against {stamped})");
    }

    crate::db_tests!(a_token_issued_before_a_revocation_commits_is_caught_by_it);
}
