//! Alerts: a publisher, or an API's creator, names a condition on the recent traffic — the 5xx
//! rate of one API above 5 % over the last 5 minutes, say, or no requests at all for an hour —
//! and the server checks every alert once a minute against the same events the dashboards
//! read. When an alert starts or stops holding it is recorded (`alert_events`) and queued for
//! every webhook (`alert.fired`, `alert.resolved`) in the same transaction, so an on-call
//! pipeline hears of each change once.
//!
//! An alert changes state by compare-and-set on `firing_since`, so two servers checking the
//! same database record and send each change once.

use crate::Store;
use crate::query::window_totals;
use gatehouse_contract::{
    Alert, AlertEvent, AlertMetric, AnalyticsQuery, Comparison, NewAlert, Permission, Totals, WebhookEvent,
};
use gatehouse_domain::deploy::webhooks;
use gatehouse_domain::store::{new_id, now_ms};
use gatehouse_domain::{Actor, Db, DomainError, Result, audit};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::time::Duration;

/// How often the server checks every alert.
pub const CHECK_EVERY: Duration = Duration::from_secs(60);
/// The longest window an alert may measure: one day.
pub const MAX_WINDOW_MINUTES: u32 = 1440;

const COLUMNS: &str = "a.id, a.name, a.api_id, p.name AS api_name, p.version AS api_version, p.owner_id AS api_owner, \
     a.metric, a.comparison, a.threshold, a.window_minutes, a.created_by, a.created_at, a.firing_since, a.last_value, \
     a.last_checked_at";
const FROM: &str = "alerts a LEFT JOIN apis p ON p.id = a.api_id";

fn unreadable(what: &str, value: &str) -> DomainError {
    DomainError::Internal(format!("stored alert has an unknown {what} `{value}`"))
}

fn metric_of(row: &AnyRow) -> Result<AlertMetric> {
    let metric: String = row.try_get("metric")?;
    AlertMetric::parse(&metric).ok_or_else(|| unreadable("metric", &metric))
}

fn alert_of(row: &AnyRow) -> Result<Alert> {
    let comparison: String = row.try_get("comparison")?;
    let api_name =
        match (row.try_get::<Option<String>, _>("api_name")?, row.try_get::<Option<String>, _>("api_version")?) {
            (Some(name), Some(version)) => Some(format!("{name} {version}")),
            _ => None,
        };
    Ok(Alert {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        api_id: row.try_get("api_id")?,
        api_name,
        metric: metric_of(row)?,
        comparison: Comparison::parse(&comparison).ok_or_else(|| unreadable("comparison", &comparison))?,
        threshold: row.try_get("threshold")?,
        window_minutes: u32::try_from(row.try_get::<i64, _>("window_minutes")?).unwrap_or(MAX_WINDOW_MINUTES),
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        firing_since: row.try_get("firing_since")?,
        last_value: row.try_get("last_value")?,
        last_checked_at: row.try_get("last_checked_at")?,
    })
}

/// Whose alerts `actor` manages: publishers and admins every alert (`None`), a creator those
/// watching an API they own (`Some(their id)`): the traffic their dashboards show them.
fn owner_filter(actor: &Actor) -> Result<Option<&str>> {
    actor.require(Permission::DesignApis)?;
    Ok((!actor.role.can(Permission::ReviewApis)).then_some(actor.user_id.as_str()))
}

/// The alerts `actor` manages, firing ones first.
pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<Alert>> {
    alerts_of(db, owner_filter(actor)?).await
}

/// Every alert, or those watching an API of `owner`.
async fn alerts_of(db: &Db, owner: Option<&str>) -> Result<Vec<Alert>> {
    let filter = if owner.is_some() { "WHERE p.owner_id = $1" } else { "" };
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM} {filter} ORDER BY CASE WHEN a.firing_since IS NULL THEN 1 ELSE 0 END, a.name, a.id"
    );
    let mut query = sqlx::query(&sql);
    if let Some(owner) = owner {
        query = query.bind(owner);
    }
    let rows = query.fetch_all(&db.pool).await?;
    rows.iter().map(alert_of).collect()
}

/// One alert `actor` manages, or why not.
async fn managed(db: &Db, actor: &Actor, id: &str) -> Result<Alert> {
    let owner = owner_filter(actor)?;
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| DomainError::NotFound(format!("alert {id}")))?;
    let alert = alert_of(&row)?;
    if let Some(owner) = owner
        && row.try_get::<Option<String>, _>("api_owner")?.as_deref() != Some(owner)
    {
        return Err(DomainError::Forbidden(format!("the alert {} watches traffic that is not yours", alert.name)));
    }
    Ok(alert)
}

/// Why `alert` cannot be kept as it is, naming the field.
async fn check_new(db: &Db, alert: &NewAlert) -> Result<()> {
    let name = alert.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(DomainError::invalid("name", "must be 1 to 100 characters"));
    }
    if !(1..=MAX_WINDOW_MINUTES).contains(&alert.window_minutes) {
        return Err(DomainError::invalid("window_minutes", format!("must be 1 to {MAX_WINDOW_MINUTES} minutes")));
    }
    let unit = alert.metric.unit();
    if !alert.threshold.is_finite() || alert.threshold < 0.0 {
        return Err(DomainError::invalid("threshold", format!("must be a number of {unit}, 0 or more")));
    }
    if unit == "%" && alert.threshold > 100.0 {
        return Err(DomainError::invalid("threshold", "a percentage cannot be above 100"));
    }
    // A condition that can never hold would look like a quiet system.
    let never = match alert.comparison {
        Comparison::Below => alert.threshold == 0.0,
        Comparison::Above => unit == "%" && alert.threshold == 100.0,
    };
    if never {
        return Err(DomainError::invalid(
            "threshold",
            format!("{} {} {} can never hold", alert.metric.label(), alert.comparison.as_str(), alert.threshold),
        ));
    }
    if let Some(api) = &alert.api_id {
        let found: Option<(String,)> =
            sqlx::query_as("SELECT id FROM apis WHERE id = $1").bind(api).fetch_optional(&db.pool).await?;
        if found.is_none() {
            return Err(DomainError::invalid("api_id", format!("there is no API {api}")));
        }
    }
    Ok(())
}

/// Define an alert, checked at once so it shows where it stands. A creator's alert watches
/// one of their own APIs; every API's traffic is the publishers' to watch.
pub async fn create(store: &Store, actor: &Actor, mut alert: NewAlert) -> Result<Alert> {
    let owner = owner_filter(actor)?;
    alert.api_id = alert.api_id.map(|id| id.trim().to_string()).filter(|id| !id.is_empty());
    check_new(&store.db, &alert).await?;
    if let Some(owner) = owner {
        let Some(api) = &alert.api_id else {
            return Err(DomainError::Forbidden(
                "an alert on every API's traffic is a publisher's; choose one of your APIs".into(),
            ));
        };
        let (api_owner,): (String,) =
            sqlx::query_as("SELECT owner_id FROM apis WHERE id = $1").bind(api).fetch_one(&store.db.pool).await?;
        if api_owner != owner {
            return Err(DomainError::Forbidden(format!("API {api} is not yours: its owner or a publisher watches it")));
        }
    }
    let id = new_id();
    let name = alert.name.trim();
    sqlx::query(
        "INSERT INTO alerts (id, name, api_id, metric, comparison, threshold, window_minutes, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(name)
    .bind(&alert.api_id)
    .bind(alert.metric.as_str())
    .bind(alert.comparison.as_str())
    .bind(alert.threshold)
    .bind(i64::from(alert.window_minutes))
    .bind(&actor.email)
    .bind(now_ms())
    .execute(&store.db.pool)
    .await?;
    let created = managed(&store.db, actor, &id).await?;
    audit::record(&store.db, &actor.email, "alert.created", &created.name, &describe(&created)).await?;
    // Stored either way: a check that fails now is logged, and the next minute's retries it.
    if let Err(e) = check(store, &created, now_ms()).await {
        tracing::error!(alert = %id, error = %e, "checking a new alert failed");
    }
    managed(&store.db, actor, &id).await
}

/// Remove an alert; what it recorded stays in the history.
pub async fn delete(db: &Db, actor: &Actor, id: &str) -> Result<()> {
    let alert = managed(db, actor, id).await?;
    sqlx::query("DELETE FROM alerts WHERE id = $1").bind(id).execute(&db.pool).await?;
    audit::record(db, &actor.email, "alert.deleted", &alert.name, &describe(&alert)).await
}

/// The newest changes of the alerts `actor` manages (see [`list`]), newest first.
pub async fn history(db: &Db, actor: &Actor, limit: i64) -> Result<Vec<AlertEvent>> {
    let owner = owner_filter(actor)?;
    // A creator's: the changes of alerts that still watch one of their APIs.
    let (from, filter) = match owner {
        Some(_) => (
            "alert_events e JOIN alerts a ON a.id = e.alert_id JOIN apis p ON p.id = a.api_id",
            "WHERE p.owner_id = $2",
        ),
        None => ("alert_events e", ""),
    };
    let sql = format!(
        "SELECT e.id, e.alert_id, e.alert_name, e.metric, e.kind, e.value, e.threshold, e.at FROM {from} {filter} \
         ORDER BY e.at DESC, e.id DESC LIMIT $1"
    );
    let mut query = sqlx::query(&sql).bind(limit.clamp(1, 500));
    if let Some(owner) = owner {
        query = query.bind(owner);
    }
    let rows = query.fetch_all(&db.pool).await?;
    rows.iter()
        .map(|row| {
            Ok(AlertEvent {
                id: row.try_get("id")?,
                alert_id: row.try_get("alert_id")?,
                alert_name: row.try_get("alert_name")?,
                metric: metric_of(row)?,
                kind: row.try_get("kind")?,
                value: row.try_get("value")?,
                threshold: row.try_get("threshold")?,
                at: row.try_get("at")?,
            })
        })
        .collect()
}

/// `5xx rate above 5.0 % over 5 minutes of Checkout 1.0.0`: the condition, for the audit log.
fn describe(alert: &Alert) -> String {
    format!("{} of {}", alert.condition(), alert.api_name.as_deref().unwrap_or("every API"))
}

/// Where an optional number goes in a statement: parameter `$n`, bound only when present, or
/// the literal NULL. sqlx 0.8's Any driver binds an absent f64 as PostgreSQL's 4-byte float4,
/// and a statement prepared that way on a connection then refuses an 8-byte value ("incorrect
/// binary data format"); with NULL written out, each form is a statement of its own.
fn nullable(value: Option<f64>, n: usize) -> String {
    if value.is_some() { format!("${n}") } else { "NULL".into() }
}

/// The totals an alert watches: its API's (or every API's) events over its window to `now`.
async fn watched_totals(store: &Store, alert: &Alert, now: i64) -> Result<Totals> {
    let query = AnalyticsQuery { api: alert.api_id.clone(), ..Default::default() };
    window_totals(store, &query, now - i64::from(alert.window_minutes) * 60_000, now).await
}

/// Check one alert against the window ending at `now`; returns the change it made, if any.
pub async fn check(store: &Store, alert: &Alert, now: i64) -> Result<Option<AlertEvent>> {
    let totals = watched_totals(store, alert, now).await?;
    record_check(store, alert, &totals, now).await
}

/// Record one check of `alert` whose window came to `totals`: its last value, and a fired or
/// resolved event (told to webhooks) when that changes its state.
async fn record_check(store: &Store, alert: &Alert, totals: &Totals, now: i64) -> Result<Option<AlertEvent>> {
    let value = alert.metric.value_of(totals);
    let holds = value.is_some_and(|v| alert.comparison.holds(v, alert.threshold));
    let mut tx = store.db.begin().await?;
    let last = format!("UPDATE alerts SET last_checked_at = $1, last_value = {} WHERE id = $2", nullable(value, 3));
    let mut update = sqlx::query(&last).bind(now).bind(&alert.id);
    if let Some(value) = value {
        update = update.bind(value);
    }
    update.execute(&mut *tx).await?;
    // Compare-and-set: only the check that flips the state records the change.
    let flip = if holds {
        sqlx::query("UPDATE alerts SET firing_since = $1 WHERE id = $2 AND firing_since IS NULL")
            .bind(now)
            .bind(&alert.id)
    } else {
        sqlx::query("UPDATE alerts SET firing_since = NULL WHERE id = $1 AND firing_since IS NOT NULL").bind(&alert.id)
    };
    if flip.execute(&mut *tx).await?.rows_affected() == 0 {
        tx.commit().await?;
        return Ok(None);
    }
    let event = AlertEvent {
        id: new_id(),
        alert_id: alert.id.clone(),
        alert_name: alert.name.clone(),
        metric: alert.metric,
        kind: if holds { "fired" } else { "resolved" }.into(),
        value,
        threshold: alert.threshold,
        at: now,
    };
    let insert = format!(
        "INSERT INTO alert_events (id, alert_id, alert_name, metric, kind, threshold, at, value) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, {})",
        nullable(value, 8)
    );
    let mut insert = sqlx::query(&insert)
        .bind(&event.id)
        .bind(&event.alert_id)
        .bind(&event.alert_name)
        .bind(event.metric.as_str())
        .bind(&event.kind)
        .bind(event.threshold)
        .bind(event.at);
    if let Some(value) = value {
        insert = insert.bind(value);
    }
    insert.execute(&mut *tx).await?;
    let now_alert =
        Alert { firing_since: holds.then_some(now), last_value: value, last_checked_at: Some(now), ..alert.clone() };
    let kind = if holds { WebhookEvent::AlertFired } else { WebhookEvent::AlertResolved };
    // An alert on one API concerns the group serving it; one over every API, no group.
    let group: Option<(Option<String>,)> = match &alert.api_id {
        Some(api) => {
            sqlx::query_as("SELECT group_name FROM apis WHERE id = $1").bind(api).fetch_optional(&mut *tx).await?
        }
        None => None,
    };
    let group = group.and_then(|(g,)| g);
    let payload = serde_json::json!({ "event": kind, "alert": now_alert, "group": group, "value": value, "at": now });
    webhooks::enqueue_on(&mut tx, &alert.id, kind, group.as_deref(), &payload).await?;
    tx.commit().await?;
    Ok(Some(event))
}

/// Check every alert at `now`; returns the changes.
pub async fn check_all(store: &Store, now: i64) -> Result<Vec<AlertEvent>> {
    let mut changes = Vec::new();
    // Alerts on the same API and window (an error rate and a p95, say) read one set of totals:
    // each read scans the window's events.
    let mut read: HashMap<(Option<String>, u32), Totals> = HashMap::new();
    for alert in alerts_of(&store.db, None).await? {
        let totals = match read.entry((alert.api_id.clone(), alert.window_minutes)) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(unread) => match watched_totals(store, &alert, now).await {
                Ok(totals) => unread.insert(totals),
                Err(e) => {
                    // One alert that cannot be checked must not silence the others.
                    tracing::error!(alert = %alert.id, error = %e, "alert check failed");
                    continue;
                }
            },
        };
        match record_check(store, &alert, totals, now).await {
            Ok(change) => changes.extend(change),
            Err(e) => tracing::error!(alert = %alert.id, error = %e, "alert check failed"),
        }
    }
    Ok(changes)
}

/// Check every alert each [`CHECK_EVERY`], for as long as the server runs.
pub async fn watch(store: Store) {
    let mut every = tokio::time::interval(CHECK_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match check_all(&store, now_ms()).await {
            Ok(changes) => {
                for change in changes {
                    tracing::warn!(alert = %change.alert_name, kind = %change.kind, value = ?change.value, "alert");
                }
            }
            Err(e) => tracing::error!(error = %e, "checking alerts failed"),
        }
    }
}
