//! Applications' webhooks: a consumer names a URL for one of their applications, and Gatehouse
//! tells it — signed as the admins' webhooks are, through the same stored, retried queue —
//! what happens to the application's subscriptions: an API it subscribes to moves in its
//! lifecycle (deprecated, retired, blocked, published again …), a newer version of one is
//! published, or a publisher decides on, suspends or resumes one of its subscriptions. That is
//! how a consumer's own software learns it must move before calls start failing.
//!
//! Consumers name these URLs, and the server sends to them: left open, any consumer could make
//! the server call its own network (a cloud's metadata service, an admin port). So by default
//! they reach public addresses only — checked as the URL is set, and again on every delivery,
//! after resolving its host, without following redirects or proxies. A server whose consumers'
//! software runs on a private network lets them reach it (`Reach::PrivateNetworksToo`).

use crate::deploy::webhooks::{self, DELIVERY_COLUMNS, new_secret};
use crate::store::{new_id, now_ms};
use crate::{Actor, Db, DomainError, Result, applications, audit};
pub use gatehouse_contract::{ApplicationEvent, ApplicationWebhook, NewWebhook, WebhookDelivery};
use gatehouse_contract::{LifecycleState, Permission};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// How many deliveries an application's webhook lists.
const RECENT_DELIVERIES: i64 = 10;

/// Which addresses applications' webhooks may be sent to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reach {
    /// Public addresses only (the default).
    #[default]
    PublicOnly,
    /// Private networks and this machine too: for a server whose consumers' software runs
    /// inside the organisation's network.
    PrivateNetworksToo,
}

/// Set (or replace) the application's webhook; the answer carries its signing secret, shown
/// only here — setting it again replaces the URL and the secret, and deliveries still pending
/// go to the new URL.
pub async fn set(db: &Db, actor: &Actor, application_id: &str, url: &str, reach: Reach) -> Result<NewWebhook> {
    actor.require(Permission::UsePortal)?;
    let (name, ..) = applications::owned(db, actor, application_id).await?;
    let url = checked_url(url, reach)?;
    let secret = new_secret();
    // One per application: setting it again keeps its id (and its deliveries, pending ones
    // now going to the new URL) and replaces the URL and the secret.
    let id: String = sqlx::query_scalar(
        "INSERT INTO webhooks (id, url, secret, events, groups, created_by, created_at, application_id) \
         VALUES ($1, $2, $3, '', '', $4, $5, $6) \
         ON CONFLICT (application_id) WHERE application_id <> '' DO UPDATE SET url = excluded.url, secret = excluded.secret \
         RETURNING id",
    )
    .bind(new_id())
    .bind(&url)
    .bind(&secret)
    .bind(&actor.email)
    .bind(now_ms())
    .bind(application_id)
    .fetch_one(&db.pool)
    .await?;
    audit::record(db, &actor.email, "application.webhook_set", &name, &url).await?;
    Ok(NewWebhook { id, url, secret })
}

/// The application's webhook with its latest deliveries, if it has one (its owner only).
pub async fn get(db: &Db, actor: &Actor, application_id: &str) -> Result<Option<ApplicationWebhook>> {
    actor.require(Permission::UsePortal)?;
    applications::owned(db, actor, application_id).await?;
    Ok(of(db, &actor.user_id, Some(application_id)).await?.remove(application_id))
}

/// The webhooks of `owner`'s applications (or of `only` that one), each with its latest
/// deliveries, by application id: two reads for the whole of a consumer's dashboard.
pub(crate) async fn of(db: &Db, owner: &str, only: Option<&str>) -> Result<HashMap<String, ApplicationWebhook>> {
    let only = only.unwrap_or_default();
    let hooks: Vec<(String, String, i64, String)> = sqlx::query_as(
        "SELECT w.id, w.url, w.created_at, w.application_id FROM webhooks w JOIN applications ap ON ap.id = w.application_id \
         WHERE ap.owner_id = $1 AND ($2 = '' OR ap.id = $2)",
    )
    .bind(owner)
    .bind(only)
    .fetch_all(&db.pool)
    .await?;
    if hooks.is_empty() {
        return Ok(HashMap::new());
    }
    let recent: Vec<WebhookDelivery> = sqlx::query_as(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM (SELECT d.*, \
           ROW_NUMBER() OVER (PARTITION BY d.webhook_id ORDER BY d.created_at DESC, d.id DESC) AS latest \
           FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN applications ap ON ap.id = w.application_id \
           WHERE ap.owner_id = $1 AND ($2 = '' OR ap.id = $2)) recent \
         WHERE latest <= $3 ORDER BY created_at DESC, id DESC"
    ))
    .bind(owner)
    .bind(only)
    .bind(RECENT_DELIVERIES)
    .fetch_all(&db.pool)
    .await?;
    // Newest first overall, so newest first within each webhook too.
    let mut deliveries: HashMap<String, Vec<WebhookDelivery>> = HashMap::new();
    for delivery in recent {
        deliveries.entry(delivery.webhook_id.clone()).or_default().push(delivery);
    }
    Ok(hooks
        .into_iter()
        .map(|(id, url, created_at, application)| {
            let deliveries = deliveries.remove(&id).unwrap_or_default();
            (application, ApplicationWebhook { id, url, created_at, deliveries })
        })
        .collect())
}

/// Stop telling the application anything; its deliveries go with the webhook.
pub async fn remove(db: &Db, actor: &Actor, application_id: &str) -> Result<()> {
    actor.require(Permission::UsePortal)?;
    let (name, ..) = applications::owned(db, actor, application_id).await?;
    let done =
        sqlx::query("DELETE FROM webhooks WHERE application_id = $1").bind(application_id).execute(&db.pool).await?;
    if done.rows_affected() == 0 {
        return Err(DomainError::NotFound(format!("{name} has no webhook")));
    }
    audit::record(db, &actor.email, "application.webhook_removed", &name, "").await
}

/// Queue a `ping` to the application's webhook, so its owner sees at once whether their
/// receiver answers and verifies the signature.
pub async fn ping(db: &Db, actor: &Actor, application_id: &str) -> Result<WebhookDelivery> {
    actor.require(Permission::UsePortal)?;
    let (name, ..) = applications::owned(db, actor, application_id).await?;
    let hook: Option<String> = sqlx::query_scalar("SELECT id FROM webhooks WHERE application_id = $1")
        .bind(application_id)
        .fetch_optional(&db.pool)
        .await?;
    let hook = hook.ok_or_else(|| DomainError::NotFound(format!("{name} has no webhook")))?;
    let now = now_ms();
    let payload = serde_json::json!({
        "event": ApplicationEvent::Ping, "application": {"id": application_id, "name": name}, "at": now,
    });
    let mut conn = db.pool.acquire().await?;
    let id =
        webhooks::queue(&mut conn, &hook, application_id, ApplicationEvent::Ping.as_str(), &payload.to_string(), now)
            .await?;
    drop(conn);
    webhooks::delivery(db, &id).await
}

/// An API as its subscribers' webhooks name it.
pub(crate) struct ApiRef<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub version: &'a str,
    pub context: &'a str,
}

impl ApiRef<'_> {
    fn json(&self) -> serde_json::Value {
        serde_json::json!({"id": self.id, "name": self.name, "version": self.version, "context": self.context})
    }
}

/// An application with a webhook, subscribed to an API (or to an older version of it): the
/// subscriptions that still concern their application, not those turned down.
#[derive(sqlx::FromRow)]
struct Subscriber {
    hook: String,
    application_id: String,
    application_name: String,
    subscription: String,
    /// The API subscribed to.
    api_id: String,
    api_name: String,
    api_version: String,
    api_context: String,
}

impl Subscriber {
    fn payload(&self, event: ApplicationEvent, at: i64) -> serde_json::Value {
        let api =
            ApiRef { id: &self.api_id, name: &self.api_name, version: &self.api_version, context: &self.api_context };
        serde_json::json!({
            "event": event, "application": {"id": self.application_id, "name": self.application_name},
            "subscription": self.subscription, "api": api.json(), "at": at,
        })
    }
}

const SUBSCRIBER_COLUMNS: &str = "w.id AS hook, ap.id AS application_id, ap.name AS application_name, s.id AS subscription, \
     a.id AS api_id, a.name AS api_name, a.version AS api_version, a.context AS api_context";

/// Tell the applications subscribed to `api` that it moved from `from` to `to`, and — when it
/// is published for the first time — those subscribed to an older version of it that a newer
/// one is out. On `conn`, inside the lifecycle step's transaction: told if and only if done.
pub(crate) async fn api_moved_on(
    conn: &mut sqlx::AnyConnection,
    api: &ApiRef<'_>,
    (from, to): (LifecycleState, LifecycleState),
) -> Result<usize> {
    let now = now_ms();
    let subscribers: Vec<Subscriber> = sqlx::query_as(&format!(
        "SELECT {SUBSCRIBER_COLUMNS} FROM subscriptions s JOIN apis a ON a.id = s.api_id \
         JOIN applications ap ON ap.id = s.application_id JOIN webhooks w ON w.application_id = s.application_id \
         WHERE s.api_id = $1 AND s.status <> 'rejected' ORDER BY s.id"
    ))
    .bind(api.id)
    .fetch_all(&mut *conn)
    .await?;
    let mut queued = 0;
    for subscriber in &subscribers {
        let mut payload = subscriber.payload(ApplicationEvent::ApiLifecycle, now);
        payload["from"] = serde_json::json!(from);
        payload["to"] = serde_json::json!(to);
        let event = ApplicationEvent::ApiLifecycle.as_str();
        webhooks::queue(conn, &subscriber.hook, api.id, event, &payload.to_string(), now).await?;
        queued += 1;
    }
    let first_published =
        to == LifecycleState::Published && matches!(from, LifecycleState::Created | LifecycleState::Prototyped);
    if first_published {
        // Older in the portal's order of versions: created before it, ties broken by id.
        let older: Vec<Subscriber> = sqlx::query_as(&format!(
            "SELECT {SUBSCRIBER_COLUMNS} FROM apis n \
             JOIN apis a ON a.lineage_id = n.lineage_id AND (a.created_at < n.created_at OR (a.created_at = n.created_at AND a.id < n.id)) \
             JOIN subscriptions s ON s.api_id = a.id AND s.status <> 'rejected' \
             JOIN applications ap ON ap.id = s.application_id JOIN webhooks w ON w.application_id = s.application_id \
             WHERE n.id = $1 AND a.state <> 'RETIRED' ORDER BY s.id"
        ))
        .bind(api.id)
        .fetch_all(&mut *conn)
        .await?;
        for subscriber in &older {
            let mut payload = subscriber.payload(ApplicationEvent::ApiNewVersion, now);
            payload["newer_version"] = api.json();
            let event = ApplicationEvent::ApiNewVersion.as_str();
            webhooks::queue(conn, &subscriber.hook, &subscriber.api_id, event, &payload.to_string(), now).await?;
            queued += 1;
        }
    }
    Ok(queued)
}

/// Tell a subscription's application what a publisher did to it — `change`: approved,
/// rejected, tier_approved, tier_rejected, suspended or resumed — with the subscription as it
/// now stands and the publisher's comment (the reason, for a suspension). On `conn`, inside
/// the change's transaction.
pub(crate) async fn subscription_changed_on(
    conn: &mut sqlx::AnyConnection,
    subscription: &str,
    change: &str,
) -> Result<usize> {
    let row: Option<SubscriberAndState> = sqlx::query_as(&format!(
        "SELECT {SUBSCRIBER_COLUMNS}, s.status, s.tier, s.decided_comment FROM subscriptions s JOIN apis a ON a.id = s.api_id \
         JOIN applications ap ON ap.id = s.application_id JOIN webhooks w ON w.application_id = s.application_id WHERE s.id = $1"
    ))
    .bind(subscription)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(0);
    };
    let now = now_ms();
    let mut payload = row.subscriber.payload(ApplicationEvent::SubscriptionChanged, now);
    payload["change"] = change.into();
    payload["status"] = row.status.into();
    payload["tier"] = row.tier.into();
    payload["comment"] = row.decided_comment.into();
    let event = ApplicationEvent::SubscriptionChanged.as_str();
    webhooks::queue(conn, &row.subscriber.hook, subscription, event, &payload.to_string(), now).await?;
    Ok(1)
}

/// A subscriber with where their subscription stands.
#[derive(sqlx::FromRow)]
struct SubscriberAndState {
    #[sqlx(flatten)]
    subscriber: Subscriber,
    status: String,
    tier: String,
    decided_comment: String,
}

/// The URL trimmed, if it is an http(s) URL whose host `reach` allows (a name that resolves
/// to a private address is caught when sending).
fn checked_url(url: &str, reach: Reach) -> Result<String> {
    let url = url.trim();
    let parsed = reqwest::Url::parse(url).map_err(|e| DomainError::invalid("url", format!("not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || url.chars().any(char::is_whitespace) {
        return Err(DomainError::invalid("url", "must be an http(s) URL"));
    }
    if url.chars().count() > 2000 {
        return Err(DomainError::invalid("url", "at most 2000 characters"));
    }
    if let Some(refused) = refusal(&parsed, reach) {
        return Err(DomainError::invalid("url", refused));
    }
    Ok(url.to_string())
}

/// Why `reach` refuses the URL's host as written — an address, or a name that is this machine
/// by definition — if it does.
fn refusal(url: &reqwest::Url, reach: Reach) -> Option<String> {
    if reach == Reach::PrivateNetworksToo {
        return None;
    }
    let host = url.host_str()?;
    // An IPv6 address is written in brackets.
    match host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        Ok(ip) => (!is_public(ip)).then(|| format!("{ip} is a private address: webhooks go to public addresses only")),
        Err(_) => {
            let name = host.trim_end_matches('.').to_ascii_lowercase();
            (name == "localhost" || name.ends_with(".localhost"))
                .then(|| format!("{name} is this server: webhooks go to public addresses only"))
        }
    }
}

/// Whether `ip` is on the public internet: not this machine, a private or shared network,
/// link-local (a cloud's metadata service), multicast or reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier-grade NAT)
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || (first == 0x0064 && ip.segments()[1] == 0xff9b)) // NAT64: an IPv4 address behind it
}

/// What sends applications' webhooks: a client that resolves names to the addresses `reach`
/// allows only, and follows neither redirects nor proxies (either would lead elsewhere).
pub struct Callbacks {
    reach: Reach,
    client: reqwest::Client,
}

impl Callbacks {
    pub fn new(reach: Reach) -> Result<Callbacks> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(Duration::from_secs(5));
        if reach == Reach::PublicOnly {
            builder = builder.dns_resolver(Arc::new(PublicResolver));
        }
        let client = builder.build().map_err(|e| DomainError::Internal(format!("webhook client: {e}")))?;
        Ok(Callbacks { reach, client })
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Why a delivery to `url` is not attempted, if it is not (an address the resolver never
    /// sees, written in the URL itself).
    pub(crate) fn refusal(&self, url: &str) -> Option<String> {
        match reqwest::Url::parse(url) {
            Ok(parsed) => refusal(&parsed, self.reach),
            Err(e) => Some(format!("not a URL: {e}")),
        }
    }
}

/// Resolves a webhook's host to its public addresses; a host with none is refused.
struct PublicResolver;

impl reqwest::dns::Resolve for PublicResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = all.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(
                    format!("{host} resolves to no public address: webhooks go to public addresses only").into()
                );
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            let ip: IpAddr = private.parse().expect("an address");
            assert!(!is_public(ip), "{private} counted as public");
        }
        for public in ["93.184.215.14", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"] {
            let ip: IpAddr = public.parse().expect("an address");
            assert!(is_public(ip), "{public} counted as private");
        }
    }

    #[tokio::test]
    async fn a_name_of_this_machine_resolves_to_no_address_a_webhook_may_use() {
        use reqwest::dns::Resolve;
        // `localhost` is refused by name before resolving; the resolver is what stops any
        // other name that leads here.
        let name: reqwest::dns::Name = "localhost".parse().expect("a name");
        let resolved = PublicResolver.resolve(name).await;
        let error = resolved.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("no public address"), "{error}");
    }

    #[test]
    fn a_url_is_refused_by_where_it_points_unless_private_networks_are_allowed() {
        for refused in [
            "http://127.0.0.1:8080/hook",
            "http://[::1]/hook",
            "http://localhost/hook",
            "http://api.localhost./hook",
            "http://169.254.169.254/latest/meta-data",
            "http://10.0.0.5/hook",
        ] {
            let error = checked_url(refused, Reach::PublicOnly).expect_err(refused).to_string();
            assert!(error.contains("public addresses only"), "{refused}: {error}");
            assert!(checked_url(refused, Reach::PrivateNetworksToo).is_ok(), "{refused} with private networks allowed");
        }
        for malformed in ["ftp://example.com/x", "example.com/hook", "https://exa mple.com/"] {
            assert!(checked_url(malformed, Reach::PrivateNetworksToo).is_err(), "{malformed}");
        }
        assert_eq!(
            checked_url("  https://hooks.example.com/gatehouse ", Reach::PublicOnly).ok().as_deref(),
            Some("https://hooks.example.com/gatehouse")
        );
    }
}
