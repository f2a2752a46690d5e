//! Alerts on SQLite and PostgreSQL: who may define what, an alert checked against the events of
//! its window firing and resolving once each, the webhooks told, history kept.

use gatehouse_analytics::{Store, alerts};
use gatehouse_contract::{AlertMetric, AuditQuery, Comparison, GatewayGroup, GroupMode, NewAlert, Role};
use gatehouse_domain::apis::{self, ImportRequest};
use gatehouse_domain::deploy::webhooks;
use gatehouse_domain::openapi::files::MemoryFiles;
use gatehouse_domain::store::now_ms;
use gatehouse_domain::{Actor, Db, DomainError, accounts, audit, db_tests, gateways, groups};

mod common;
use common::event;

const PETS: &str = "openapi: 3.0.3\ninfo:\n  title: Pets\n  version: 1.0.0\npaths:\n  /pets:\n    get:\n      responses:\n        '200':\n          description: ok\n";

async fn user(db: &Db, email: &str, role: Role) -> Actor {
    let u = accounts::create_user(db, audit::SYSTEM, email, "correct horse battery", role).await.expect("user");
    accounts::actor_by_id(db, &u.id).await.expect("load").expect("exists")
}

fn five_minute_5xx(api_id: &str) -> NewAlert {
    NewAlert {
        name: "Pets 5xx".into(),
        api_id: Some(api_id.into()),
        metric: AlertMetric::ServerErrorRate,
        comparison: Comparison::Above,
        threshold: 10.0,
        window_minutes: 5,
    }
}

fn field_of(result: Result<gatehouse_contract::Alert, DomainError>) -> String {
    match result {
        Err(DomainError::Invalid { field, .. }) => field,
        other => panic!("expected a refusal naming a field, got {other:?}"),
    }
}

async fn an_alert_fires_and_resolves_once_and_tells_webhooks(db: Db) {
    let dir = std::env::temp_dir().join(format!("gatehouse-alerts-{}", uuid::Uuid::new_v4()));
    let store = Store::open(db.clone(), dir.clone()).await.expect("open");
    let admin = user(&db, "admin@example.com", Role::Admin).await;
    let publisher = user(&db, "publisher@example.com", Role::Publisher).await;
    let creator = user(&db, "creator@example.com", Role::Creator).await;
    let files = MemoryFiles::single("p.yaml", PETS.as_bytes().to_vec());
    let api = apis::import(&db, &creator, ImportRequest { files: &files, entry: "p.yaml", context: None })
        .await
        .expect("import");
    let hook = webhooks::WebhookRequest {
        url: "http://127.0.0.1:9/hooks".into(),
        events: vec!["alert.fired".into(), "alert.resolved".into()],
        ..Default::default()
    };
    let every_group = webhooks::create(&db, &admin, &hook).await.expect("webhook");
    // The Pets API is served by the pets-apis group, whose team hears of alerts on its APIs.
    let pets_group = GatewayGroup {
        name: "pets-apis".into(),
        kind: Default::default(),
        regions: vec![],
        mode: GroupMode::Shared,
        host: "pets.example.com".into(),
        port: None,
        replicas_min: 1,
        replicas_max: 1,
        cpu_target: 50,
        image: "gatehouse/gateway:test".into(),
    };
    groups::create(&db, &publisher, pets_group).await.expect("group");
    groups::assign(&db, &creator, &api.id, "pets-apis").await.expect("assign");
    let pets_team = webhooks::WebhookRequest { groups: vec!["pets-apis".into()], ..hook };
    let pets_team = webhooks::create(&db, &admin, &pets_team).await.expect("webhook");

    // In the last two minutes: the Pets API answered 10 calls, 2 of them 503; another API
    // answered only 500s, which an alert on Pets must not count.
    let now = now_ms();
    let mut events: Vec<_> = (0..10)
        .map(|i| event(i, now - 120_000 + i as i64 * 1000, &api.id, "x", if i < 2 { 503 } else { 200 }, None, 5.0))
        .collect();
    events.extend((10..20).map(|i| event(i, now - 60_000, "other", "x", 500, None, 5.0)));
    gateways::ingest(&db, "g", &events).await.expect("ingest");

    // Consumers read their own usage; alerts are for those who design and run APIs. A creator
    // watches their own APIs only: not every API's traffic, not a colleague's API.
    let consumer = user(&db, "consumer@example.com", Role::Consumer).await;
    let colleague = user(&db, "colleague@example.com", Role::Creator).await;
    let every_api = NewAlert { api_id: None, ..five_minute_5xx(&api.id) };
    for (who, alert) in
        [(&consumer, five_minute_5xx(&api.id)), (&colleague, five_minute_5xx(&api.id)), (&creator, every_api)]
    {
        assert!(matches!(alerts::create(&store, who, alert).await, Err(DomainError::Forbidden(_))), "{}", who.email);
    }
    assert!(matches!(alerts::list(&db, &consumer).await, Err(DomainError::Forbidden(_))));

    // Each refusal names the field at fault, and nothing is stored.
    let refused = [
        (NewAlert { name: " ".into(), ..five_minute_5xx(&api.id) }, "name"),
        (NewAlert { window_minutes: 0, ..five_minute_5xx(&api.id) }, "window_minutes"),
        (NewAlert { window_minutes: 1441, ..five_minute_5xx(&api.id) }, "window_minutes"),
        (NewAlert { threshold: 120.0, ..five_minute_5xx(&api.id) }, "threshold"),
        (NewAlert { threshold: f64::NAN, ..five_minute_5xx(&api.id) }, "threshold"),
        (NewAlert { threshold: -1.0, metric: AlertMetric::LatencyP95, ..five_minute_5xx(&api.id) }, "threshold"),
        (
            NewAlert {
                threshold: 0.0,
                metric: AlertMetric::Requests,
                comparison: Comparison::Below,
                ..five_minute_5xx(&api.id)
            },
            "threshold",
        ),
        (NewAlert { api_id: Some("no-such-api".into()), ..five_minute_5xx(&api.id) }, "api_id"),
    ];
    for (alert, field) in refused {
        assert_eq!(field_of(alerts::create(&store, &publisher, alert.clone()).await), field, "{alert:?}");
    }
    assert!(alerts::list(&db, &publisher).await.expect("list").is_empty());

    // 2 of 10 is 20 %, above 10 %: checked when created, it fires at once.
    let errors = alerts::create(&store, &publisher, five_minute_5xx(&api.id)).await.expect("create");
    assert_eq!(errors.last_value, Some(20.0));
    assert!(errors.firing(), "{errors:?}");
    assert_eq!(errors.api_name.as_deref(), Some("Pets 1.0.0"));
    // Traffic of every API in the last hour is above 5 requests: it does not fire.
    let quiet = NewAlert {
        name: "No traffic".into(),
        api_id: None,
        metric: AlertMetric::Requests,
        comparison: Comparison::Below,
        threshold: 5.0,
        window_minutes: 60,
    };
    let quiet = alerts::create(&store, &publisher, quiet).await.expect("create");
    assert_eq!((quiet.last_value, quiet.firing()), (Some(20.0), false));
    let listed = alerts::list(&db, &publisher).await.expect("list");
    assert_eq!(listed.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["Pets 5xx", "No traffic"], "firing first");

    // The creator sees the alert on their API, the colleague none; only the publisher both.
    let names = |list: Vec<gatehouse_contract::Alert>| list.into_iter().map(|a| a.name).collect::<Vec<_>>();
    assert_eq!(names(alerts::list(&db, &creator).await.expect("list")), ["Pets 5xx"]);
    assert!(alerts::list(&db, &colleague).await.expect("list").is_empty());
    assert!(matches!(alerts::delete(&db, &colleague, &errors.id).await, Err(DomainError::Forbidden(_))));

    // Checked again with nothing new: no change is recorded twice.
    assert!(alerts::check_all(&store, now_ms()).await.expect("check").is_empty());

    // Ten minutes on, the window holds no Pets calls: a rate of nothing resolves the alert
    // (no data is not an alarm); two hours on, every API has been quiet for an hour.
    let changes = alerts::check_all(&store, now + 600_000).await.expect("check");
    assert_eq!(
        changes.iter().map(|c| (c.alert_name.as_str(), c.kind.as_str(), c.value)).collect::<Vec<_>>(),
        [("Pets 5xx", "resolved", None)]
    );
    let changes = alerts::check_all(&store, now + 7_200_000).await.expect("check");
    assert_eq!(
        changes.iter().map(|c| (c.alert_name.as_str(), c.kind.as_str(), c.value)).collect::<Vec<_>>(),
        [("No traffic", "fired", Some(0.0))]
    );
    let history = alerts::history(&db, &publisher, 10).await.expect("history");
    assert_eq!(
        history.iter().map(|e| (e.alert_name.as_str(), e.kind.as_str())).collect::<Vec<_>>(),
        [("No traffic", "fired"), ("Pets 5xx", "resolved"), ("Pets 5xx", "fired")],
        "newest first"
    );
    let own = alerts::history(&db, &creator, 10).await.expect("history");
    assert_eq!(own.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["resolved", "fired"], "only their alert's");
    assert_eq!(history[2].value, Some(20.0));
    assert_eq!((history[2].metric, history[2].threshold), (AlertMetric::ServerErrorRate, 10.0));

    // Every change went to the webhook of every group, naming the alert; the pets-apis group's
    // webhook heard of the alert on its API, not of the one over every API.
    let sent = |hook: &str| {
        let (db, hook) = (&db, hook.to_string());
        async move {
            let mut sent: Vec<(String, String)> = webhooks::deliveries(db, Some(&hook), None, 10)
                .await
                .expect("deliveries")
                .into_iter()
                .map(|d| (d.event, d.subject))
                .collect();
            sent.sort();
            sent
        }
    };
    let mut expected = vec![
        ("alert.fired".to_string(), errors.id.clone()),
        ("alert.fired".to_string(), quiet.id.clone()),
        ("alert.resolved".to_string(), errors.id.clone()),
    ];
    expected.sort();
    assert_eq!(sent(&every_group.id).await, expected);
    expected.retain(|(_, subject)| subject == &errors.id);
    assert_eq!(sent(&pets_team.id).await, expected);

    // Removing an alert keeps what it recorded; both steps are audited.
    alerts::delete(&db, &publisher, &errors.id).await.expect("delete");
    assert!(matches!(alerts::delete(&db, &publisher, &errors.id).await, Err(DomainError::NotFound(_))));
    assert_eq!(alerts::list(&db, &publisher).await.expect("list").len(), 1);
    assert_eq!(alerts::history(&db, &publisher, 10).await.expect("history").len(), 3);
    let trail =
        audit::list(&db, &AuditQuery { action: Some("alert.".into()), ..Default::default() }).await.expect("audit");
    let actions: Vec<&str> = trail.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["alert.deleted", "alert.created", "alert.created"]);
    assert!(
        trail
            .items
            .iter()
            .any(|e| e.target == "Pets 5xx" && e.detail == "5xx rate above 10.0 % over 5 minutes of Pets 1.0.0"),
        "the audit log says what the alert watched"
    );

    let _ = std::fs::remove_dir_all(dir);
}

async fn the_demo_defines_its_alerts_once(db: Db) {
    let dir = std::env::temp_dir().join(format!("gatehouse-alerts-{}", uuid::Uuid::new_v4()));
    let store = Store::open(db.clone(), dir.clone()).await.expect("open");
    gatehouse_domain::seed::seed_demo_users(&db).await.expect("demo users");
    assert_eq!(gatehouse_analytics::demo::seed_alerts(&store).await.expect("seed"), 3);
    assert_eq!(gatehouse_analytics::demo::seed_alerts(&store).await.expect("again"), 0, "a restart adds none");
    let publisher = gatehouse_domain::seed::demo_account(&db, Role::Publisher).await.expect("publisher");
    let alerts = alerts::list(&db, &publisher).await.expect("list");
    // With no traffic at all, only the alert for traffic that stopped holds.
    let firing: Vec<&str> = alerts.iter().filter(|a| a.firing()).map(|a| a.name.as_str()).collect();
    assert_eq!(firing, ["No traffic for an hour"]);
    assert!(alerts.iter().all(|a| a.last_checked_at.is_some()), "each checked when defined");
    let _ = std::fs::remove_dir_all(dir);
}

/// An alert checked with no data, then with a value, then none again, records each change: on
/// PostgreSQL a statement first run with no value once refused every value after it.
async fn an_alert_flaps_between_no_data_and_a_value(db: Db) {
    let dir = std::env::temp_dir().join(format!("gatehouse-alerts-{}", uuid::Uuid::new_v4()));
    let store = Store::open(db.clone(), dir.clone()).await.expect("open");
    let publisher = user(&db, "publisher@example.com", Role::Publisher).await;
    let slow = NewAlert { name: "p95".into(), api_id: None, metric: AlertMetric::LatencyP95, ..five_minute_5xx("") };
    // No traffic yet: checked when created, with nothing to measure.
    let slow = alerts::create(&store, &publisher, NewAlert { threshold: 1.0, ..slow }).await.expect("create");
    assert_eq!((slow.last_value, slow.firing()), (None, false));
    let now = now_ms();
    gateways::ingest(&db, "g", &[event(0, now - 1000, "a", "x", 200, None, 5.0)]).await.expect("ingest");
    for _ in 0..5 {
        let fired = alerts::check(&store, &slow, now).await.expect("a value");
        assert_eq!(fired.map(|c| (c.kind, c.value)), Some(("fired".to_string(), Some(5.0))));
        let resolved = alerts::check(&store, &slow, now + 600_000).await.expect("no data");
        assert_eq!(resolved.map(|c| (c.kind, c.value)), Some(("resolved".to_string(), None)));
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// `check_all` reads one set of totals per API and window: alerts sharing them each take their
/// own metric from it, and an alert on another window reads its own.
async fn alerts_on_one_window_share_its_totals(db: Db) {
    let dir = std::env::temp_dir().join(format!("gatehouse-alerts-{}", uuid::Uuid::new_v4()));
    let store = Store::open(db.clone(), dir.clone()).await.expect("open");
    let publisher = user(&db, "publisher@example.com", Role::Publisher).await;
    let every_api = |name: &str, metric, window_minutes| NewAlert {
        name: name.into(),
        api_id: None,
        metric,
        comparison: Comparison::Above,
        threshold: 5.0,
        window_minutes,
    };
    for alert in [
        every_api("5xx rate", AlertMetric::ServerErrorRate, 5),
        every_api("busy", AlertMetric::Requests, 5),
        every_api("busy this minute", AlertMetric::Requests, 1),
    ] {
        let created = alerts::create(&store, &publisher, alert).await.expect("create");
        assert!(!created.firing(), "no traffic yet: {created:?}");
    }
    // 10 calls two minutes ago, 2 of them 503: outside the one-minute window.
    let now = now_ms();
    let events: Vec<_> = (0..10)
        .map(|i| event(i, now - 120_000 + i as i64 * 1000, "a", "x", if i < 2 { 503 } else { 200 }, None, 5.0))
        .collect();
    gateways::ingest(&db, "g", &events).await.expect("ingest");
    let changes = alerts::check_all(&store, now).await.expect("check");
    let mut fired: Vec<_> = changes.iter().map(|c| (c.alert_name.as_str(), c.kind.as_str(), c.value)).collect();
    fired.sort_by(|a, b| a.0.cmp(b.0));
    assert_eq!(fired, [("5xx rate", "fired", Some(20.0)), ("busy", "fired", Some(10.0))]);
    let last: Vec<_> = alerts::list(&db, &publisher)
        .await
        .expect("list")
        .into_iter()
        .filter(|a| a.name == "busy this minute")
        .map(|a| a.last_value)
        .collect();
    assert_eq!(last, [Some(0.0)], "its own window holds none of them");
    let _ = std::fs::remove_dir_all(dir);
}

db_tests!(
    alerts_on_one_window_share_its_totals,
    an_alert_fires_and_resolves_once_and_tells_webhooks,
    the_demo_defines_its_alerts_once,
    an_alert_flaps_between_no_data_and_a_value
);
