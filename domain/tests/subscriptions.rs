//! Tiers, subscriptions and what reaches gateways, on SQLite and PostgreSQL: WSO2's tiers are
//! seeded, subscribing needs an offered tier, "needs approval" waits in the publishers' queue,
//! tokens carry the usable subscriptions, BLOCKED and "re-subscription required" stop them,
//! and unsubscribing or revoking shows up in the group's bundle.

use base64::Engine;
use gatehouse_contract::{
    ApiDetail, ApiSettings, ApprovalStatus, AuditQuery, GatewayGroup, GroupMode, LifecycleState, NewSubscription,
    OperationScopes, Policies, Role, Scope, SubscriptionClaim, SubscriptionStatus, Tier,
};
use gatehouse_domain::apis::lifecycle::{self, LifecycleRequest};
use gatehouse_domain::apis::{self, ImportRequest, revisions};
use gatehouse_domain::application_webhooks::{self, Reach};
use gatehouse_domain::deploy::webhooks::{self, WebhookRequest};
use gatehouse_domain::deploy::{Deployer, access};
use gatehouse_domain::openapi::files::MemoryFiles;
use gatehouse_domain::{
    Actor, Db, DomainError, accounts, applications, audit, db_tests, groups, keys, portal, subscriptions, tiers, tokens,
};

const PETS: &str = "openapi: 3.0.3\ninfo:\n  title: Pets\n  version: 1.0.0\nservers:\n  - url: http://127.0.0.1:9/pets\npaths:\n  /pets:\n    get:\n      summary: List pets\n      responses:\n        '200':\n          description: ok\n";

async fn user(db: &Db, email: &str, role: Role) -> Actor {
    let u = accounts::create_user(db, audit::SYSTEM, email, "correct horse battery", role).await.expect("user");
    accounts::actor_by_id(db, &u.id).await.expect("load").expect("exists")
}

/// A deployer over a new GitOps repository, and a shared gateway group `name` to deploy to.
async fn deployer_with_group(db: &Db, publisher: &Actor, name: &str) -> std::sync::Arc<Deployer> {
    let repo = std::env::temp_dir().join(format!("gatehouse-gitops-{}", uuid::Uuid::new_v4())).join("gitops.git");
    let group = GatewayGroup {
        name: name.into(),
        kind: Default::default(),
        regions: vec![],
        mode: GroupMode::Shared,
        host: format!("{name}.example.com"),
        port: None,
        replicas_min: 1,
        replicas_max: 2,
        cpu_target: 50,
        image: "gatehouse/gateway:test".into(),
    };
    groups::create(db, publisher, group).await.expect("group");
    Deployer::new(db.clone(), repo)
}

/// Revision 1 of an API released into `group`: assigned, cut, submitted and approved.
async fn release(db: &Db, deployer: &Deployer, creator: &Actor, publisher: &Actor, api_id: &str, group: &str) {
    groups::assign(db, creator, api_id, group).await.expect("assign");
    revisions::create(db, creator, api_id, "first").await.expect("revision");
    let request = deployer.submit(creator, api_id, 1, "").await.expect("submit");
    deployer.approve(publisher, &request, "").await.expect("approve");
}

fn claims_of(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).expect("payload");
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("base64"))
        .expect("json")
}

/// `detail`'s settings as they stand, with `policies` in place of its own.
fn settings_with(detail: &ApiDetail, policies: Policies) -> ApiSettings {
    ApiSettings {
        context: detail.summary.context.clone(),
        description: String::new(),
        tags: vec![],
        visibility: detail.visibility,
        endpoints: detail.endpoints.clone(),
        policies,
    }
}

fn step(action: &str) -> LifecycleRequest {
    LifecycleRequest { action: action.into(), ..Default::default() }
}

async fn tiers_subscriptions_and_approval(db: Db) {
    let creator = user(&db, "creator@example.com", Role::Creator).await;
    let publisher = user(&db, "publisher@example.com", Role::Publisher).await;
    let ann = user(&db, "ann@example.com", Role::Consumer).await;

    // WSO2's defaults are there; consumers cannot manage tiers.
    let seeded: Vec<(String, Option<u32>)> =
        tiers::list(&db).await.expect("tiers").into_iter().map(|t| (t.name, t.requests_per_minute)).collect();
    assert_eq!(
        seeded,
        vec![
            ("Bronze".into(), Some(1000)),
            ("Silver".into(), Some(2000)),
            ("Gold".into(), Some(5000)),
            ("Unlimited".into(), None)
        ]
    );
    let platinum = Tier {
        name: "Platinum".into(),
        requests_per_minute: Some(20_000),
        description: "for partners".into(),
        needs_approval: true,
    };
    assert!(matches!(tiers::create(&db, &ann, &platinum).await, Err(DomainError::Forbidden(_))));
    tiers::create(&db, &publisher, &platinum).await.expect("create tier");
    assert!(matches!(tiers::create(&db, &publisher, &platinum).await, Err(DomainError::Conflict(_))));
    let zero = Tier { requests_per_minute: Some(0), ..platinum.clone() };
    assert!(
        matches!(tiers::update(&db, &publisher, "Platinum", &zero).await, Err(DomainError::Invalid { ref field, .. }) if field == "requests_per_minute")
    );

    // A new API offers every tier that needs no approval; its creator adds Platinum.
    let files = MemoryFiles::single("p.yaml", PETS.as_bytes().to_vec());
    let api =
        apis::import(&db, &creator, ImportRequest { files: &files, entry: "p.yaml", context: Some("/pets/v1".into()) })
            .await
            .expect("import");
    let detail = apis::get(&db, &creator, &api.id).await.expect("get");
    assert_eq!(detail.policies.tiers, vec!["Bronze", "Silver", "Gold", "Unlimited"]);
    let mut settings = settings_with(&detail, detail.policies.clone());
    settings.policies.tiers = vec!["Gold".into(), "Nonexistent".into()];
    let unknown = apis::save_settings(&db, &creator, &api.id, settings.clone(), detail.edit_version).await;
    assert!(matches!(unknown, Err(DomainError::Invalid { ref field, .. }) if field == "policies.tiers"), "{unknown:?}");
    settings.policies.tiers = vec!["Gold".into(), "Platinum".into()];
    apis::save_settings(&db, &creator, &api.id, settings, detail.edit_version).await.expect("settings");
    assert!(
        matches!(tiers::delete(&db, &publisher, "Platinum").await, Err(DomainError::Conflict(_))),
        "an offered tier stays"
    );

    let shop = applications::create(&db, &ann, "Shop", "").await.expect("app");
    let partner = applications::create(&db, &ann, "Partner", "").await.expect("app");
    let sub = |app: &str, tier: &str| NewSubscription {
        application_id: app.to_string(),
        api_id: api.id.clone(),
        tier: tier.to_string(),
    };

    // Not listed yet: the API does not exist as far as consumers are concerned.
    assert!(matches!(subscriptions::subscribe(&db, &ann, &sub(&shop.id, "Gold")).await, Err(DomainError::NotFound(_))));
    lifecycle::change(&db, &publisher, &api.id, &step("publish")).await.expect("publish");

    let gold = subscriptions::subscribe(&db, &ann, &sub(&shop.id, "Gold")).await.expect("subscribe");
    assert_eq!(gold.status, SubscriptionStatus::Active);
    assert!(matches!(subscriptions::subscribe(&db, &ann, &sub(&shop.id, "Gold")).await, Err(DomainError::Conflict(_))));
    assert!(
        matches!(subscriptions::subscribe(&db, &ann, &sub(&partner.id, "Bronze")).await, Err(DomainError::Invalid { ref field, .. }) if field == "tier")
    );
    let bob = user(&db, "bob@example.com", Role::Consumer).await;
    assert!(
        matches!(subscriptions::subscribe(&db, &bob, &sub(&shop.id, "Gold")).await, Err(DomainError::NotFound(_))),
        "not Bob's application"
    );

    // Platinum waits for a publisher; until then the token does not carry it. A webhook that
    // hears approval requests is told.
    let admin = user(&db, "admin@example.com", Role::Admin).await;
    let hook = WebhookRequest {
        url: "http://127.0.0.1:9/reviews".into(),
        events: vec!["approval.requested".into()],
        ..Default::default()
    };
    webhooks::create(&db, &admin, &hook).await.expect("webhook");
    let pending = subscriptions::subscribe(&db, &ann, &sub(&partner.id, "Platinum")).await.expect("subscribe");
    assert_eq!(pending.status, SubscriptionStatus::Pending);
    assert!(subscriptions::claims(&db, &partner.id).await.expect("claims").is_empty());
    let repo = std::env::temp_dir().join(format!("gatehouse-gitops-{}", uuid::Uuid::new_v4())).join("gitops.git");
    let deployer = Deployer::new(db.clone(), repo);
    let queue = deployer.approvals(&publisher, Some(ApprovalStatus::Pending), None).await.expect("queue");
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].kind, "subscription");
    assert_eq!(queue[0].subscription.as_ref().map(|s| s.tier.as_str()), Some("Platinum"));
    let told: Vec<(String, String)> = webhooks::deliveries(&db, None, None, 10)
        .await
        .expect("deliveries")
        .into_iter()
        .map(|d| (d.event, d.subject))
        .collect();
    assert_eq!(told, vec![("approval.requested".to_string(), queue[0].id.clone())], "only the request, once");
    let secret = applications::client_secret(&db, &ann, &partner.id, "production", 0).await.expect("client");
    let before = keys::issue_token(&db, "https://gatehouse.test", &secret.client_id, &secret.client_secret, None)
        .await
        .expect("token");
    assert_eq!(claims_of(&before.access_token)["subscriptions"], serde_json::json!([]));
    assert!(
        matches!(deployer.approve(&creator, &queue[0].id, "").await, Err(DomainError::Forbidden(_))),
        "creators do not approve"
    );
    let outcome = deployer.approve(&publisher, &queue[0].id, "welcome").await.expect("approve");
    assert!(outcome.deployment.is_none());
    assert_eq!(outcome.subscription.map(|s| s.status), Some(SubscriptionStatus::Active));
    let history = deployer.approvals(&publisher, None, Some(&api.id)).await.expect("history");
    let decided = history.iter().find(|a| a.kind == "subscription").and_then(|a| a.subscription.as_ref());
    assert_eq!(
        decided.map(|s| (s.application_name.as_str(), s.tier.as_str(), s.status)),
        Some(("Partner", "Platinum", SubscriptionStatus::Active)),
        "a decided request still shows its subscription as it is now"
    );
    let token = keys::issue_token(&db, "https://gatehouse.test", &secret.client_id, &secret.client_secret, None)
        .await
        .expect("token");
    assert_eq!(
        claims_of(&token.access_token)["subscriptions"],
        serde_json::json!([{ "api_id": api.id, "tier": "Platinum" }])
    );

    // BLOCKED stops every subscription; publishing again requiring re-subscription lapses them.
    lifecycle::change(&db, &publisher, &api.id, &step("block")).await.expect("block");
    assert!(subscriptions::claims(&db, &shop.id).await.expect("claims").is_empty());
    assert_eq!(
        subscriptions::list(&db, &ann, Some(&shop.id)).await.expect("list")[0].status,
        SubscriptionStatus::Blocked
    );
    lifecycle::change(&db, &publisher, &api.id, &LifecycleRequest { require_resubscription: true, ..step("publish") })
        .await
        .expect("republish");
    assert_eq!(
        subscriptions::list(&db, &ann, Some(&shop.id)).await.expect("list")[0].status,
        SubscriptionStatus::ResubscriptionRequired
    );
    assert!(subscriptions::claims(&db, &shop.id).await.expect("claims").is_empty());
    let revoked = subscriptions::revocations(&db).await.expect("revocations");
    assert!(
        revoked.iter().any(|r| r.subject == format!("api:{}", api.id)),
        "tokens issued before lose the API: {revoked:?}"
    );
    let again = subscriptions::subscribe(&db, &ann, &sub(&shop.id, "Gold")).await.expect("subscribe again");
    assert_eq!(again.id, gold.id, "the lapsed subscription is renewed, not duplicated");
    assert_eq!(
        subscriptions::claims(&db, &shop.id).await.expect("claims"),
        vec![SubscriptionClaim { api_id: api.id.clone(), tier: "Gold".into() }]
    );

    // Unsubscribing records a revocation for tokens already issued.
    subscriptions::unsubscribe(&db, &ann, &again.id).await.expect("unsubscribe");
    assert!(subscriptions::claims(&db, &shop.id).await.expect("claims").is_empty());
    let revoked = subscriptions::revocations(&db).await.expect("revocations");
    assert!(revoked.iter().any(|r| r.subject == format!("subscription:{}/{}", shop.id, api.id)));
    assert!(
        matches!(subscriptions::unsubscribe(&db, &bob, &pending.id).await, Err(DomainError::NotFound(_))),
        "not Bob's subscription"
    );

    // A request the consumer withdraws leaves the queue, and is announced closed like a
    // publisher's decision, so a chat bridge that announced it can say so.
    let decided = WebhookRequest {
        url: "http://127.0.0.1:9/decided".into(),
        events: vec!["approval.decided".into()],
        ..Default::default()
    };
    webhooks::create(&db, &admin, &decided).await.expect("webhook");
    let asked = subscriptions::subscribe(&db, &ann, &sub(&shop.id, "Platinum")).await.expect("subscribe");
    let request = deployer.approvals(&publisher, Some(ApprovalStatus::Pending), None).await.expect("queue");
    assert_eq!(request.len(), 1);
    subscriptions::unsubscribe(&db, &ann, &asked.id).await.expect("withdraw");
    assert!(deployer.approvals(&publisher, Some(ApprovalStatus::Pending), None).await.expect("queue").is_empty());
    let payloads: Vec<(String, String)> =
        sqlx::query_as("SELECT subject, payload FROM webhook_deliveries WHERE event = 'approval.decided'")
            .fetch_all(&db.pool)
            .await
            .expect("deliveries");
    assert_eq!(payloads.len(), 1, "{payloads:?}");
    assert_eq!(payloads[0].0, request[0].id);
    let told: serde_json::Value = serde_json::from_str(&payloads[0].1).expect("json");
    assert_eq!(
        (&told["outcome"], &told["kind"], &told["comment"], &told["requested_by"], &told["decided_by"]),
        (
            &serde_json::json!("rejected"),
            &serde_json::json!("subscription"),
            &serde_json::json!("withdrawn by the consumer"),
            &serde_json::json!("ann@example.com"),
            &serde_json::json!("ann@example.com")
        )
    );
}

async fn the_gateway_bundle_carries_access(db: Db) {
    let creator = user(&db, "creator@example.com", Role::Creator).await;
    let publisher = user(&db, "publisher@example.com", Role::Publisher).await;
    let ann = user(&db, "ann@example.com", Role::Consumer).await;
    let deployer = deployer_with_group(&db, &publisher, "pets").await;
    // Nothing deployed yet: a release with no APIs (the gateways answer 404s), with access.
    let (empty, _, empty_etag) = access::gateway_bundle(&db, "pets", "https://gatehouse.test").await.expect("bundle");
    assert_eq!((empty.group.as_str(), empty.version.as_str(), empty.apis.len()), ("pets", "", 0));
    assert_eq!(empty.keys.len(), 1, "the signing key is published from the start");

    let files = MemoryFiles::single("p.yaml", PETS.as_bytes().to_vec());
    let api =
        apis::import(&db, &creator, ImportRequest { files: &files, entry: "p.yaml", context: Some("/pets/v1".into()) })
            .await
            .expect("import");
    release(&db, &deployer, &creator, &publisher, &api.id, "pets").await;
    assert_eq!(
        apis::get(&db, &creator, &api.id).await.expect("get").summary.state,
        LifecycleState::Published,
        "approval publishes"
    );

    let app = applications::create(&db, &ann, "Shop", "").await.expect("app");
    let key = applications::api_key(&db, &ann, &app.id, "sandbox", None).await.expect("key");
    let (bundle, _, first_etag) = access::gateway_bundle(&db, "pets", "https://gatehouse.test").await.expect("bundle");
    assert_ne!(first_etag, empty_etag, "the first deployment changes the ETag");
    assert_eq!(bundle.apis.len(), 1);
    assert_eq!(bundle.issuer, "https://gatehouse.test");
    assert_eq!(bundle.audience, keys::AUDIENCE);
    assert_eq!(bundle.keys.len(), 1, "the signing key is published");
    assert_eq!(bundle.tiers.len(), 4);
    assert!(bundle.api_keys.is_empty(), "keys of applications without a subscription are not shipped");

    // The creator stops offering Silver in the working copy. Until that is reviewed and
    // deployed, consumers are offered, and may subscribe with, what the gateways serve.
    let detail = apis::get(&db, &creator, &api.id).await.expect("get");
    let mut policies = detail.policies.clone();
    policies.tiers.retain(|t| t != "Silver");
    apis::save_settings(&db, &creator, &api.id, settings_with(&detail, policies), detail.edit_version)
        .await
        .expect("settings");
    let offered = portal::api(&db, Some(&ann), &api.id).await.expect("portal page").tiers;
    assert!(offered.iter().any(|t| t.name == "Silver"), "{offered:?}");
    subscriptions::subscribe(
        &db,
        &ann,
        &NewSubscription { application_id: app.id.clone(), api_id: api.id.clone(), tier: "Silver".into() },
    )
    .await
    .expect("subscribe");
    let (bundle, _, etag) = access::gateway_bundle(&db, "pets", "https://gatehouse.test").await.expect("bundle");
    assert_ne!(etag, first_etag, "a change of access changes the ETag");
    assert_eq!(bundle.api_keys.len(), 1);
    let shipped = &bundle.api_keys[0];
    assert_eq!(shipped.sha256, tokens::hash_secret(&key.key), "shipped as a hash");
    assert!(!serde_json::to_string(&bundle).expect("json").contains(&key.key), "never in clear");
    assert_eq!(shipped.key_type, "sandbox");
    assert_eq!(shipped.subscriptions, vec![SubscriptionClaim { api_id: api.id.clone(), tier: "Silver".into() }]);

    // Blocking withdraws the API at the gateways without a release; revoking drops the key.
    lifecycle::change(&db, &publisher, &api.id, &step("block")).await.expect("block");
    let (bundle, ..) = access::gateway_bundle(&db, "pets", "https://gatehouse.test").await.expect("bundle");
    assert_eq!(bundle.withdrawn.len(), 1);
    assert_eq!(bundle.withdrawn[0].state, LifecycleState::Blocked);
    assert!(bundle.api_keys.is_empty(), "a blocked API's subscriptions stop working");
    lifecycle::change(&db, &publisher, &api.id, &step("publish")).await.expect("unblock");
    applications::revoke(&db, &ann, &app.id, &key.id).await.expect("revoke");
    let (bundle, ..) = access::gateway_bundle(&db, "pets", "https://gatehouse.test").await.expect("bundle");
    assert!(bundle.withdrawn.is_empty());
    assert!(bundle.api_keys.is_empty(), "a revoked key leaves the bundle");
    let client = applications::client_secret(&db, &ann, &app.id, "production", 0).await.expect("client");
    let oauth_id = applications::get(&db, &ann, &app.id)
        .await
        .expect("get")
        .credentials
        .into_iter()
        .find(|c| c.kind == "oauth2")
        .expect("client")
        .id;
    applications::revoke(&db, &ann, &app.id, &oauth_id).await.expect("revoke client");
    let (bundle, ..) = access::gateway_bundle(&db, "pets", "https://gatehouse.test").await.expect("bundle");
    assert!(
        bundle.revocations.iter().any(|r| r.subject == format!("client:{}", client.client_id)),
        "{:?}",
        bundle.revocations
    );

    // A purge of kept answers goes out the same way, only its creator's or a reviewer's to make.
    assert!(bundle.purges.is_empty());
    let refused = apis::kept_answers::purge(&db, &ann, &api.id, None).await;
    assert!(matches!(refused, Err(DomainError::Forbidden(_))), "{refused:?}");
    let other_creator = user(&db, "other@example.com", Role::Creator).await;
    let refused = apis::kept_answers::purge(&db, &other_creator, &api.id, None).await;
    assert!(refused.is_err(), "not the owner's: {refused:?}");
    let purged = apis::kept_answers::purge(&db, &creator, &api.id, Some(" ")).await.expect("purge");
    assert_eq!(purged.path, None, "no path: the whole API");
    let (bundle, _, purged_etag) = access::gateway_bundle(&db, "pets", "https://gatehouse.test").await.expect("bundle");
    assert_eq!(bundle.purges, std::slice::from_ref(&purged));
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let again = apis::kept_answers::purge(&db, &publisher, &api.id, None).await.expect("purge again");
    assert!(again.purged_at > purged.purged_at);
    let (bundle, _, etag) = access::gateway_bundle(&db, "pets", "https://gatehouse.test").await.expect("bundle");
    assert_ne!(etag, purged_etag, "each purge reaches the gateways");
    assert_eq!(bundle.purges.len(), 1, "the latest purge of an API");

    // A path's answers only: each purge of the last day goes out, beside the whole API's latest.
    for (path, why) in [
        ("pets/7", "`pets/7` does not start with /"),
        ("/pets/{id}", "not a template like `/pets/{id}`"),
        ("/pets/7?full=1", "`/pets/7?full=1` holds a space, query or fragment"),
        ("/pets /7", "holds a space, query or fragment"),
    ] {
        match apis::kept_answers::purge(&db, &creator, &api.id, Some(path)).await {
            Err(DomainError::Invalid { field, message }) => {
                assert_eq!(field, "path");
                assert!(message.contains(why), "{path}: {message}");
            }
            other => panic!("{path} was taken: {other:?}"),
        }
    }
    let seven = apis::kept_answers::purge(&db, &creator, &api.id, Some(" /pets/7/ ")).await.expect("a path");
    assert_eq!(seven.path.as_deref(), Some("/pets/7"), "tidied");
    let eight = apis::kept_answers::purge(&db, &creator, &api.id, Some("/pets/8")).await.expect("another path");
    let (bundle, _, etag) = access::gateway_bundle(&db, "pets", "https://gatehouse.test").await.expect("bundle");
    let mut expected = vec![again, seven, eight];
    expected.sort_by_key(|purge| (purge.path.is_some(), purge.purged_at));
    assert_eq!(bundle.purges, expected);
    assert_ne!(etag, purged_etag);
    let logged = audit::list(&db, &AuditQuery { action: Some("api.kept_answers_purged".into()), ..Default::default() })
        .await
        .expect("audit");
    assert_eq!(logged.items.len(), 4, "{:?}", logged.items);
    assert!(logged.items.iter().any(|entry| entry.detail == "/pets/7"), "{:?}", logged.items);
    // Every bundle carries each path purge of the day: past 200 an API's are refused.
    for n in 2..200 {
        apis::kept_answers::purge(&db, &creator, &api.id, Some(&format!("/pets/{n}"))).await.expect("a path");
    }
    match apis::kept_answers::purge(&db, &creator, &api.id, Some("/pets/200")).await {
        Err(DomainError::Invalid { field, message }) => {
            assert_eq!(field, "path");
            assert!(message.contains("purge all its answers instead"), "{message}");
        }
        other => panic!("the 201st path purge was taken: {other:?}"),
    }
    apis::kept_answers::purge(&db, &creator, &api.id, None).await.expect("all of them, still");
}

const SCOPED: &str = r#"openapi: 3.0.3
info: { title: Zoo, version: 1.0.0 }
servers: [{ url: "http://127.0.0.1:9/zoo" }]
components:
  securitySchemes:
    zoo_auth:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: https://gatehouse.test/oauth2/token
          scopes: { "read:animals": read the animals, "write:animals": change them }
security: [{ zoo_auth: ["read:animals"] }]
paths:
  /animals:
    get: { responses: { "200": { description: ok } } }
    post:
      security: [{ zoo_auth: ["write:animals"] }]
      responses: { "201": { description: made } }
"#;

async fn scopes_come_from_the_definition_and_bound_tokens(db: Db) {
    let creator = user(&db, "creator@example.com", Role::Creator).await;
    let publisher = user(&db, "publisher@example.com", Role::Publisher).await;
    let ann = user(&db, "ann@example.com", Role::Consumer).await;
    let deployer = deployer_with_group(&db, &publisher, "zoo").await;

    // The definition's OAuth2 scopes, and what each operation asks of them, carry over.
    let files = MemoryFiles::single("z.yaml", SCOPED.as_bytes().to_vec());
    let api = apis::import(&db, &creator, ImportRequest { files: &files, entry: "z.yaml", context: None })
        .await
        .expect("import");
    let detail = apis::get(&db, &creator, &api.id).await.expect("get");
    let named = |scopes: &[Scope]| scopes.iter().map(|s| (s.name.clone(), s.description.clone())).collect::<Vec<_>>();
    assert_eq!(
        named(&detail.policies.scopes),
        vec![("read:animals".into(), "read the animals".into()), ("write:animals".into(), "change them".into())]
    );
    assert_eq!(detail.policies.scopes_of("GET /animals"), ["read:animals"]);
    assert_eq!(detail.policies.scopes_of("POST /animals"), ["write:animals"]);

    // Scopes for an operation the definition lacks are refused, naming the entry.
    let settings = |policies: Policies| settings_with(&detail, policies);
    let mut typo = detail.policies.clone();
    typo.operation_scopes
        .push(OperationScopes { operation: "DELETE /animals".into(), scopes: vec!["write:animals".into()] });
    let refused = apis::save_settings(&db, &creator, &api.id, settings(typo), detail.edit_version).await;
    assert!(
        matches!(refused, Err(DomainError::Invalid { ref field, .. }) if field == "policies.operation_scopes[2].operation"),
        "{refused:?}"
    );

    release(&db, &deployer, &creator, &publisher, &api.id, "zoo").await;
    let (bundle, ..) = access::gateway_bundle(&db, "zoo", "https://gatehouse.test").await.expect("bundle");
    let required: Vec<(String, Vec<String>)> =
        bundle.apis[0].operations.iter().map(|o| (o.method.clone(), o.scopes.clone())).collect();
    assert_eq!(
        required,
        vec![("GET".into(), vec!["read:animals".into()]), ("POST".into(), vec!["write:animals".into()])],
        "the gateways learn what each operation requires"
    );

    // Tokens: every scope of the subscribed APIs by default, or the ones asked for; a scope no
    // subscribed API defines is refused.
    let app = applications::create(&db, &ann, "Keeper", "").await.expect("app");
    let client = applications::client_secret(&db, &ann, &app.id, "production", 0).await.expect("client");
    let token = |scope: Option<&'static str>| {
        let (db, client) = (db.clone(), client.clone());
        async move {
            keys::issue_token(&db, "https://gatehouse.test", &client.client_id, &client.client_secret, scope).await
        }
    };
    let unsubscribed = token(None).await.expect("token");
    assert_eq!((unsubscribed.scope, claims_of(&unsubscribed.access_token).get("scope").cloned()), (None, None));
    let refused = token(Some("read:animals")).await;
    assert!(matches!(refused, Err(DomainError::Invalid { ref field, .. }) if field == "scope"), "{refused:?}");
    subscriptions::subscribe(
        &db,
        &ann,
        &NewSubscription { application_id: app.id.clone(), api_id: api.id.clone(), tier: "Gold".into() },
    )
    .await
    .expect("subscribe");
    let every = token(None).await.expect("token");
    assert_eq!(every.scope.as_deref(), Some("read:animals write:animals"));
    assert_eq!(claims_of(&every.access_token)["scope"], "read:animals write:animals");
    assert_eq!(token(Some("  ")).await.expect("token").scope, every.scope, "blank asks for nothing in particular");
    let narrow = token(Some("read:animals read:animals")).await.expect("token");
    assert_eq!(narrow.scope.as_deref(), Some("read:animals"));
    assert_eq!(claims_of(&narrow.access_token)["scope"], "read:animals");
    // The try-it console's token asks the same way.
    let console =
        keys::token_for_application(&db, "https://gatehouse.test", &app.id, "production", Some("read:animals"))
            .await
            .expect("console token");
    assert_eq!(console.scope.as_deref(), Some("read:animals"));
    let refused = token(Some("read:animals feed:animals")).await;
    assert!(
        matches!(refused, Err(DomainError::Invalid { ref field, ref message }) if field == "scope" && message.contains("feed:animals")),
        "{refused:?}"
    );

    // A scope defined in the working copy is granted once its revision is live, and the
    // review shows the change.
    // Scopes bound to tiers are granted to those tiers' subscriptions only (Ann's is Gold).
    let detail = apis::get(&db, &creator, &api.id).await.expect("get");
    let mut policies = detail.policies.clone();
    policies.scopes.push(Scope { name: "feed:animals".into(), description: String::new(), tiers: vec!["Gold".into()] });
    policies.scopes[1].tiers = vec!["Unlimited".into()];
    policies.operation_scopes =
        vec![OperationScopes { operation: "POST /animals".into(), scopes: vec!["feed:animals".into()] }];
    apis::save_settings(&db, &creator, &api.id, settings(policies), detail.edit_version).await.expect("settings");
    assert!(token(Some("feed:animals")).await.is_err(), "not live yet");
    assert!(token(Some("write:animals")).await.is_ok(), "the binding neither");
    revisions::create(&db, &creator, &api.id, "feeding").await.expect("revision");
    deployer.submit(&creator, &api.id, 2, "").await.expect("submit");
    let queue = deployer.approvals(&publisher, Some(ApprovalStatus::Pending), None).await.expect("queue");
    assert_eq!(
        queue[0].diff.security,
        vec![
            "scope defined: feed:animals",
            "scope write:animals: granted to tiers Unlimited only",
            "scope feed:animals: granted to tiers Gold only",
            "POST /animals: requires scopes feed:animals",
            "GET /animals: requires no scopes"
        ]
    );
    deployer.approve(&publisher, &queue[0].id, "").await.expect("approve");
    assert_eq!(token(Some("feed:animals")).await.expect("token").scope.as_deref(), Some("feed:animals"));
    assert_eq!(token(None).await.expect("token").scope.as_deref(), Some("feed:animals read:animals"));
    let withheld = token(Some("read:animals write:animals")).await;
    assert!(
        matches!(withheld, Err(DomainError::Invalid { ref field, ref message })
            if field == "scope" && message.contains("tier Unlimited only") && message.contains("with Gold")),
        "{withheld:?}"
    );
    let (bundle, ..) = access::gateway_bundle(&db, "zoo", "https://gatehouse.test").await.expect("bundle");
    let post = bundle.apis[0].operations.iter().find(|o| o.method == "POST").expect("POST /animals");
    assert_eq!(post.tiers, ["Gold"], "the gateways check the tier too");

    // A tier the API stops offering cannot stay bound to a scope.
    let detail = apis::get(&db, &creator, &api.id).await.expect("get");
    let mut dropped = detail.policies.clone();
    dropped.tiers.retain(|t| t != "Unlimited");
    let refused = apis::save_settings(&db, &creator, &api.id, settings(dropped), detail.edit_version).await;
    assert!(
        matches!(refused, Err(DomainError::Invalid { ref field, ref message })
            if field == "policies.scopes[1].tiers" && message.contains("`Unlimited`")),
        "{refused:?}"
    );
}

async fn a_publisher_suspends_and_resumes_a_subscription(db: Db) {
    let creator = user(&db, "creator@example.com", Role::Creator).await;
    let publisher = user(&db, "publisher@example.com", Role::Publisher).await;
    let ann = user(&db, "ann@example.com", Role::Consumer).await;
    let deployer = deployer_with_group(&db, &publisher, "pets").await;
    let files = MemoryFiles::single("p.yaml", PETS.as_bytes().to_vec());
    let api =
        apis::import(&db, &creator, ImportRequest { files: &files, entry: "p.yaml", context: Some("/pets/v1".into()) })
            .await
            .expect("import");
    release(&db, &deployer, &creator, &publisher, &api.id, "pets").await;
    let shop = applications::create(&db, &ann, "Shop", "").await.expect("app");
    applications::api_key(&db, &ann, &shop.id, "production", None).await.expect("key");
    let sub = subscriptions::subscribe(
        &db,
        &ann,
        &NewSubscription { application_id: shop.id.clone(), api_id: api.id.clone(), tier: "Gold".into() },
    )
    .await
    .expect("subscribe");
    let bundle = || access::gateway_bundle(&db, "pets", "https://gatehouse.test");
    assert_eq!(bundle().await.expect("bundle").0.api_keys.len(), 1);

    // The API's publishers see who subscribes; only they suspend, and they say why.
    let subscribers = subscriptions::of_api(&db, &publisher, &api.id).await.expect("subscribers");
    assert_eq!(
        subscribers.iter().map(|s| (s.application_name.as_str(), s.consumer.as_str())).collect::<Vec<_>>(),
        [("Shop", "ann@example.com")]
    );
    assert!(matches!(subscriptions::suspend(&db, &creator, &sub.id, "abuse").await, Err(DomainError::Forbidden(_))));
    let silent = subscriptions::suspend(&db, &publisher, &sub.id, "  ").await;
    assert!(matches!(silent, Err(DomainError::Invalid { ref field, .. }) if field == "reason"), "{silent:?}");
    let suspended =
        subscriptions::suspend(&db, &publisher, &sub.id, " scraping the catalogue ").await.expect("suspend");
    assert_eq!(
        (suspended.status, suspended.comment.as_str()),
        (SubscriptionStatus::Suspended, "scraping the catalogue")
    );

    // The gateways stop it: no claim in new tokens, tokens issued before revoked, the key gone.
    assert!(subscriptions::claims(&db, &shop.id).await.expect("claims").is_empty());
    let (cut_off, ..) = bundle().await.expect("bundle");
    assert!(cut_off.api_keys.is_empty(), "its API keys leave the bundle");
    assert!(
        cut_off.revocations.iter().any(|r| r.subject == format!("subscription:{}/{}", shop.id, api.id)),
        "{:?}",
        cut_off.revocations
    );
    // The consumer reads why, and cannot get round it.
    let seen = &subscriptions::list(&db, &ann, Some(&shop.id)).await.expect("list")[0];
    assert_eq!((seen.status, seen.comment.as_str()), (SubscriptionStatus::Suspended, "scraping the catalogue"));
    assert!(matches!(subscriptions::unsubscribe(&db, &ann, &sub.id).await, Err(DomainError::Conflict(_))));
    let again = NewSubscription { application_id: shop.id.clone(), api_id: api.id.clone(), tier: "Silver".into() };
    assert!(matches!(subscriptions::subscribe(&db, &ann, &again).await, Err(DomainError::Conflict(_))));
    assert!(matches!(subscriptions::change_tier(&db, &ann, &sub.id, "Silver").await, Err(DomainError::Conflict(_))));
    assert!(matches!(subscriptions::suspend(&db, &publisher, &sub.id, "again").await, Err(DomainError::Conflict(_))));

    let resumed = subscriptions::resume(&db, &publisher, &sub.id).await.expect("resume");
    assert_eq!(
        (resumed.status, resumed.comment.as_str(), resumed.tier.as_str()),
        (SubscriptionStatus::Active, "", "Gold")
    );
    assert_eq!(subscriptions::claims(&db, &shop.id).await.expect("claims").len(), 1);
    assert_eq!(bundle().await.expect("bundle").0.api_keys.len(), 1, "the key is back");
    assert!(matches!(subscriptions::resume(&db, &publisher, &sub.id).await, Err(DomainError::Conflict(_))));
    let trail = audit::list(&db, &AuditQuery { action: Some("subscription.".into()), ..AuditQuery::default() })
        .await
        .expect("audit");
    let trail: Vec<(&str, &str, &str)> =
        trail.items.iter().map(|e| (e.action.as_str(), e.actor.as_str(), e.detail.as_str())).collect();
    assert_eq!(
        trail[..2],
        [
            ("subscription.resumed", "publisher@example.com", "Shop"),
            ("subscription.suspended", "publisher@example.com", "Shop: scraping the catalogue")
        ]
    );
}

async fn a_subscription_changes_tier(db: Db) {
    let creator = user(&db, "creator@example.com", Role::Creator).await;
    let publisher = user(&db, "publisher@example.com", Role::Publisher).await;
    let ann = user(&db, "ann@example.com", Role::Consumer).await;
    let bob = user(&db, "bob@example.com", Role::Consumer).await;
    let platinum = Tier {
        name: "Platinum".into(),
        requests_per_minute: Some(20_000),
        description: "for partners".into(),
        needs_approval: true,
    };
    tiers::create(&db, &publisher, &platinum).await.expect("create tier");
    let files = MemoryFiles::single("p.yaml", PETS.as_bytes().to_vec());
    let api =
        apis::import(&db, &creator, ImportRequest { files: &files, entry: "p.yaml", context: Some("/pets/v1".into()) })
            .await
            .expect("import");
    let detail = apis::get(&db, &creator, &api.id).await.expect("get");
    let mut policies = detail.policies.clone();
    policies.tiers = vec!["Bronze".into(), "Gold".into(), "Platinum".into()];
    apis::save_settings(&db, &creator, &api.id, settings_with(&detail, policies), detail.edit_version)
        .await
        .expect("settings");
    lifecycle::change(&db, &publisher, &api.id, &step("publish")).await.expect("publish");
    let shop = applications::create(&db, &ann, "Shop", "").await.expect("app");
    let bronze = subscriptions::subscribe(
        &db,
        &ann,
        &NewSubscription { application_id: shop.id.clone(), api_id: api.id.clone(), tier: "Bronze".into() },
    )
    .await
    .expect("subscribe");
    let secret = applications::client_secret(&db, &ann, &shop.id, "production", 0).await.expect("client");
    let token = || keys::issue_token(&db, "https://gatehouse.test", &secret.client_id, &secret.client_secret, None);
    let subject = format!("subscription:{}/{}", shop.id, api.id);
    let latest_revocation = || async {
        subscriptions::revocations(&db)
            .await
            .expect("revocations")
            .into_iter()
            .filter(|r| r.subject == subject)
            .map(|r| r.revoked_at)
            .max()
    };

    // Tiers the API does not offer, the tier it has, someone else's subscription: refused.
    let silver = subscriptions::change_tier(&db, &ann, &bronze.id, "Silver").await;
    assert!(
        matches!(silver, Err(DomainError::Invalid { ref field, ref message }) if field == "tier" && message.contains("offers Bronze, Gold, Platinum")),
        "{silver:?}"
    );
    assert!(
        matches!(subscriptions::change_tier(&db, &ann, &bronze.id, "Bronze").await, Err(DomainError::Invalid { ref field, .. }) if field == "tier")
    );
    assert!(
        matches!(subscriptions::change_tier(&db, &bob, &bronze.id, "Gold").await, Err(DomainError::NotFound(_))),
        "not Bob's subscription"
    );
    assert!(
        matches!(subscriptions::change_tier(&db, &publisher, &bronze.id, "Gold").await, Err(DomainError::NotFound(_))),
        "nor a publisher's"
    );
    assert_eq!(latest_revocation().await, None);

    // A tier without approval: at once, and tokens issued before lose the API (they say Bronze).
    let before = token().await.expect("token");
    let gold = subscriptions::change_tier(&db, &ann, &bronze.id, "Gold").await.expect("change");
    assert_eq!(
        (gold.id.as_str(), gold.tier.as_str(), gold.status, gold.requested_tier.as_deref()),
        (bronze.id.as_str(), "Gold", SubscriptionStatus::Active, None)
    );
    assert_eq!(
        subscriptions::claims(&db, &shop.id).await.expect("claims"),
        vec![SubscriptionClaim { api_id: api.id.clone(), tier: "Gold".into() }]
    );
    let revoked_at = latest_revocation().await.expect("the change revokes earlier tokens");
    let old_iat = claims_of(&before.access_token)["iat"].as_i64().expect("iat");
    assert!(old_iat <= revoked_at / 1000, "the earlier token ({old_iat}) is caught by the revocation ({revoked_at})");
    // A token asked for right away is issued after the revocation, and says so to the
    // millisecond, so gateways take it.
    let after = token().await.expect("token");
    let claims = claims_of(&after.access_token);
    assert!(claims["iat_ms"].as_i64().expect("iat_ms") > revoked_at, "{claims} against {revoked_at}");
    assert_eq!(claims["subscriptions"], serde_json::json!([{ "api_id": api.id, "tier": "Gold" }]));

    // A tier that needs approval is asked for; calls go on at Gold meanwhile.
    let asked = subscriptions::change_tier(&db, &ann, &bronze.id, "Platinum").await.expect("ask");
    assert_eq!(
        (asked.tier.as_str(), asked.requested_tier.as_deref(), asked.status),
        ("Gold", Some("Platinum"), SubscriptionStatus::Active)
    );
    assert_eq!(asked.tier_label(), "Gold (asked for Platinum)");
    assert_eq!(
        subscriptions::claims(&db, &shop.id).await.expect("claims"),
        vec![SubscriptionClaim { api_id: api.id.clone(), tier: "Gold".into() }]
    );
    assert_eq!(latest_revocation().await, Some(revoked_at), "asking revokes nothing");
    assert!(
        matches!(subscriptions::change_tier(&db, &ann, &bronze.id, "Bronze").await, Err(DomainError::Conflict(_))),
        "one request at a time"
    );
    assert!(
        matches!(tiers::delete(&db, &publisher, "Platinum").await, Err(DomainError::Conflict(_))),
        "a tier asked for stays"
    );
    let repo = std::env::temp_dir().join(format!("gatehouse-gitops-{}", uuid::Uuid::new_v4())).join("gitops.git");
    let deployer = Deployer::new(db.clone(), repo);
    let queue = deployer.approvals(&publisher, Some(ApprovalStatus::Pending), None).await.expect("queue");
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].kind, "subscription");
    assert!(queue[0].note.contains("from tier Gold to Platinum"), "{}", queue[0].note);
    assert_eq!(queue[0].subscription.as_ref().and_then(|s| s.requested_tier.as_deref()), Some("Platinum"));
    let outcome = deployer.approve(&publisher, &queue[0].id, "fine").await.expect("approve");
    let approved = outcome.subscription.expect("subscription");
    assert_eq!(
        (approved.tier.as_str(), approved.requested_tier.as_deref(), approved.status),
        ("Platinum", None, SubscriptionStatus::Active)
    );
    assert_eq!(
        subscriptions::claims(&db, &shop.id).await.expect("claims"),
        vec![SubscriptionClaim { api_id: api.id.clone(), tier: "Platinum".into() }]
    );
    assert!(latest_revocation().await.expect("revoked") >= revoked_at, "approval revokes tokens that say Gold");

    // Rejected: the subscription goes on at its tier, with the publisher's comment.
    subscriptions::change_tier(&db, &ann, &bronze.id, "Bronze").await.expect("down to Bronze");
    subscriptions::change_tier(&db, &ann, &bronze.id, "Platinum").await.expect("ask again");
    let queue = deployer.approvals(&publisher, Some(ApprovalStatus::Pending), None).await.expect("queue");
    deployer.reject(&publisher, &queue[0].id, "Bronze covers your traffic").await.expect("reject");
    let kept = subscriptions::get(&db, &bronze.id).await.expect("get");
    assert_eq!(
        (kept.tier.as_str(), kept.requested_tier.as_deref(), kept.status, kept.comment.as_str()),
        ("Bronze", None, SubscriptionStatus::Active, "Bronze covers your traffic")
    );

    // Only an active subscription changes tier, and only while the API takes subscriptions.
    let partner = applications::create(&db, &ann, "Partner", "").await.expect("app");
    let pending = subscriptions::subscribe(
        &db,
        &ann,
        &NewSubscription { application_id: partner.id.clone(), api_id: api.id.clone(), tier: "Platinum".into() },
    )
    .await
    .expect("subscribe");
    assert!(
        matches!(subscriptions::change_tier(&db, &ann, &pending.id, "Gold").await, Err(DomainError::Conflict(_))),
        "a pending subscription is withdrawn, not changed"
    );
    lifecycle::change(&db, &publisher, &api.id, &LifecycleRequest { confirm: true, ..step("deprecate") })
        .await
        .expect("deprecate");
    assert!(matches!(subscriptions::change_tier(&db, &ann, &bronze.id, "Gold").await, Err(DomainError::Conflict(_))));
}

/// The one subscription of `application` as its owner's list shows it: the API's state, the
/// newer version offered, the status.
async fn seen(
    db: &Db,
    owner: &Actor,
    application: &str,
) -> (LifecycleState, Option<(String, String)>, SubscriptionStatus) {
    let listed = subscriptions::list(db, owner, Some(application)).await.expect("list");
    assert_eq!(listed.len(), 1, "{listed:?}");
    let s = listed.into_iter().next().expect("one");
    (s.api_state, s.newer_version.map(|v| (v.id, v.version)), s.status)
}

/// A consumer is told where to move: a newer published version shows beside the subscription,
/// a deprecated API's subscription goes on working, and a retired API's says so and stops.
async fn consumers_see_a_newer_version_and_a_retired_api(db: Db) {
    let creator = user(&db, "creator@example.com", Role::Creator).await;
    let publisher = user(&db, "publisher@example.com", Role::Publisher).await;
    let ann = user(&db, "ann@example.com", Role::Consumer).await;
    let files = MemoryFiles::single("p.yaml", PETS.as_bytes().to_vec());
    let v1 =
        apis::import(&db, &creator, ImportRequest { files: &files, entry: "p.yaml", context: Some("/pets/v1".into()) })
            .await
            .expect("import");
    lifecycle::change(&db, &publisher, &v1.id, &step("publish")).await.expect("publish");
    let shop = applications::create(&db, &ann, "Shop", "").await.expect("app");
    let request = NewSubscription { application_id: shop.id.clone(), api_id: v1.id.clone(), tier: "Gold".into() };
    let subscription = subscriptions::subscribe(&db, &ann, &request).await.expect("subscribe");
    assert_eq!(seen(&db, &ann, &shop.id).await, (LifecycleState::Published, None, SubscriptionStatus::Active));

    // A version still being designed is nowhere to move to.
    let v2 = apis::new_version(&db, &creator, &v1.id, "2.0.0", Some("/pets/v2".into())).await.expect("v2");
    assert_eq!(seen(&db, &ann, &shop.id).await.1, None);

    // Published, it deprecates 1.0.0, whose subscription still calls.
    let publish = LifecycleRequest { deprecate_older_versions: true, ..step("publish") };
    lifecycle::change(&db, &publisher, &v2.id, &publish).await.expect("publish v2");
    assert_eq!(
        seen(&db, &ann, &shop.id).await,
        (LifecycleState::Deprecated, Some((v2.id.clone(), "2.0.0".to_string())), SubscriptionStatus::Active)
    );
    assert_eq!(subscriptions::claims(&db, &shop.id).await.expect("claims").len(), 1);

    // Retired, it takes no calls, and its tier no longer changes.
    lifecycle::change(&db, &publisher, &v1.id, &LifecycleRequest { confirm: true, ..step("retire") })
        .await
        .expect("retire");
    assert_eq!(
        seen(&db, &ann, &shop.id).await,
        (LifecycleState::Retired, Some((v2.id.clone(), "2.0.0".to_string())), SubscriptionStatus::Retired)
    );
    assert!(subscriptions::claims(&db, &shop.id).await.expect("claims").is_empty());
    let changed = subscriptions::change_tier(&db, &ann, &subscription.id, "Silver").await;
    assert!(matches!(changed, Err(DomainError::Conflict(ref m)) if m.contains("retired")), "{changed:?}");
    subscriptions::unsubscribe(&db, &ann, &subscription.id).await.expect("the consumer tidies up");

    // The newest version has nothing newer.
    let request = NewSubscription { api_id: v2.id.clone(), ..request };
    subscriptions::subscribe(&db, &ann, &request).await.expect("subscribe to v2");
    assert_eq!(seen(&db, &ann, &shop.id).await, (LifecycleState::Published, None, SubscriptionStatus::Active));
}

/// What an application's webhook was told, oldest first: (event, payload).
async fn told(db: &Db, owner: &Actor, application: &str) -> Vec<(String, serde_json::Value)> {
    let hook = application_webhooks::get(db, owner, application).await.expect("get").expect("a webhook");
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT event, payload FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY created_at, id")
            .bind(&hook.id)
            .fetch_all(&db.pool)
            .await
            .expect("deliveries");
    rows.into_iter().map(|(event, payload)| (event, serde_json::from_str(&payload).expect("json"))).collect()
}

async fn applications_are_told_what_happens_to_their_subscriptions(db: Db) {
    let creator = user(&db, "creator@example.com", Role::Creator).await;
    let publisher = user(&db, "publisher@example.com", Role::Publisher).await;
    let ann = user(&db, "ann@example.com", Role::Consumer).await;
    let bob = user(&db, "bob@example.com", Role::Consumer).await;
    let files = MemoryFiles::single("p.yaml", PETS.as_bytes().to_vec());
    let v1 =
        apis::import(&db, &creator, ImportRequest { files: &files, entry: "p.yaml", context: Some("/pets/v1".into()) })
            .await
            .expect("import");
    let platinum = Tier {
        name: "Platinum".into(),
        requests_per_minute: Some(20_000),
        description: "for partners".into(),
        needs_approval: true,
    };
    tiers::create(&db, &publisher, &platinum).await.expect("tier");
    let detail = apis::get(&db, &creator, &v1.id).await.expect("get");
    let mut settings = settings_with(&detail, detail.policies.clone());
    settings.policies.tiers = vec!["Gold".into(), "Platinum".into()];
    apis::save_settings(&db, &creator, &v1.id, settings, detail.edit_version).await.expect("settings");
    lifecycle::change(&db, &publisher, &v1.id, &step("publish")).await.expect("publish");

    // Only its owner sets an application's webhook, and only to a public address by default.
    let shop = applications::create(&db, &ann, "Shop", "").await.expect("app");
    let url = "https://hooks.example.com/shop";
    let private =
        application_webhooks::set(&db, &ann, &shop.id, "http://169.254.169.254/latest", Reach::PublicOnly).await;
    assert!(matches!(private, Err(DomainError::Invalid { ref field, .. }) if field == "url"), "{private:?}");
    let others = application_webhooks::set(&db, &bob, &shop.id, url, Reach::PublicOnly).await;
    assert!(matches!(others, Err(DomainError::NotFound(_))), "{others:?}");
    let first = application_webhooks::set(&db, &ann, &shop.id, "https://old.example.com/", Reach::PublicOnly)
        .await
        .expect("set");
    let hook = application_webhooks::set(&db, &ann, &shop.id, url, Reach::PublicOnly).await.expect("set again");
    assert_eq!(hook.id, first.id, "setting again replaces the URL");
    assert_ne!(hook.secret, first.secret, "… and the secret");
    assert!(hook.secret.starts_with("whsec_"));
    assert!(matches!(application_webhooks::get(&db, &bob, &shop.id).await, Err(DomainError::NotFound(_))));
    let shown = applications::get(&db, &ann, &shop.id).await.expect("app").webhook.expect("listed with its app");
    assert_eq!(shown.url, url);
    // It is the consumer's, not one of the admins' webhooks.
    assert!(webhooks::list(&db).await.expect("admin list").is_empty());

    // Another application is subscribed but has no webhook; a third has one but no subscription.
    let bobs = applications::create(&db, &bob, "Bob's", "").await.expect("app");
    let idle = applications::create(&db, &bob, "Idle", "").await.expect("app");
    application_webhooks::set(&db, &bob, &idle.id, "https://bob.example.com/", Reach::PublicOnly).await.expect("set");
    let gold = |application_id: &str| NewSubscription {
        application_id: application_id.into(),
        api_id: v1.id.clone(),
        tier: "Gold".into(),
    };
    subscriptions::subscribe(&db, &bob, &gold(&bobs.id)).await.expect("bob subscribes");

    // A publisher's decisions on the subscription, the reason for a suspension included.
    let request = NewSubscription { tier: "Platinum".into(), ..gold(&shop.id) };
    let sub = subscriptions::subscribe(&db, &ann, &request).await.expect("subscribe");
    let approval: String = sqlx::query_scalar("SELECT id FROM approvals WHERE subscription_id = $1")
        .bind(&sub.id)
        .fetch_one(&db.pool)
        .await
        .expect("approval");
    let deployer = Deployer::new(db.clone(), std::env::temp_dir().join(format!("gatehouse-{}", uuid::Uuid::new_v4())));
    deployer.approve(&publisher, &approval, "welcome aboard").await.expect("approve");
    subscriptions::suspend(&db, &publisher, &sub.id, "unpaid invoice").await.expect("suspend");
    subscriptions::resume(&db, &publisher, &sub.id).await.expect("resume");

    // A new version, published over the old one; then the old one retired.
    let v2 = apis::new_version(&db, &creator, &v1.id, "2.0.0", Some("/pets/v2".into())).await.expect("v2");
    let publish = LifecycleRequest { deprecate_older_versions: true, ..step("publish") };
    lifecycle::change(&db, &publisher, &v2.id, &publish).await.expect("publish v2");
    lifecycle::change(&db, &publisher, &v1.id, &LifecycleRequest { confirm: true, ..step("retire") })
        .await
        .expect("retire");

    let told = told(&db, &ann, &shop.id).await;
    let summary: Vec<(&str, &str)> = told
        .iter()
        .map(|(event, p)| {
            let what = p.get("change").or_else(|| p.get("to")).or_else(|| p["newer_version"].get("version"));
            (event.as_str(), what.and_then(|w| w.as_str()).unwrap_or_default())
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("subscription.changed", "approved"),
            ("subscription.changed", "suspended"),
            ("subscription.changed", "resumed"),
            ("api.lifecycle", "DEPRECATED"),
            ("api.new_version", "2.0.0"),
            ("api.lifecycle", "RETIRED"),
        ]
    );
    let (_, approved) = &told[0];
    assert_eq!(
        (approved["application"]["name"].as_str(), approved["api"]["version"].as_str(), approved["comment"].as_str()),
        (Some("Shop"), Some("1.0.0"), Some("welcome aboard"))
    );
    assert_eq!(
        (told[1].1["status"].as_str(), told[1].1["comment"].as_str()),
        (Some("suspended"), Some("unpaid invoice"))
    );
    let (_, newer) = &told[4];
    assert_eq!(
        (
            newer["api"]["id"].as_str(),
            newer["newer_version"]["id"].as_str(),
            newer["newer_version"]["context"].as_str()
        ),
        (Some(v1.id.as_str()), Some(v2.id.as_str()), Some("/pets/v2"))
    );
    assert_eq!(told[3].1["from"].as_str(), Some("PUBLISHED"));
    assert!(told.iter().all(|(_, p)| p["subscription"].as_str() == Some(sub.id.as_str())));
    // Consumers are not told who did it.
    assert!(told.iter().all(|(_, p)| p.get("by").is_none()));
    // An application not subscribed hears nothing; the admins' deliveries do not list these.
    assert_eq!(told_count(&db, &bob, &idle.id).await, 0);
    assert!(webhooks::deliveries(&db, None, None, 100).await.expect("admin deliveries").is_empty());

    // The dashboard reads all of a consumer's webhooks at once, each handed to its own
    // application with its latest deliveries, ten at most.
    for _ in 0..11 {
        application_webhooks::ping(&db, &bob, &idle.id).await.expect("ping");
    }
    let listed = applications::list(&db, &bob).await.expect("list");
    let webhook_of = |name: &str| listed.iter().find(|a| a.name == name).and_then(|a| a.webhook.clone());
    assert_eq!(webhook_of("Bob's"), None);
    let idle_hook = webhook_of("Idle").expect("Idle's webhook");
    assert_eq!(idle_hook.url, "https://bob.example.com/");
    assert_eq!(idle_hook.deliveries.len(), 10);
    assert!(idle_hook.deliveries.iter().all(|d| d.event == "ping" && d.webhook_id == idle_hook.id));

    // A test delivery on request; removing the webhook, or the application, ends it.
    let ping = application_webhooks::ping(&db, &ann, &shop.id).await.expect("ping");
    assert_eq!((ping.event.as_str(), ping.status.as_str()), ("ping", "pending"));
    assert!(matches!(application_webhooks::ping(&db, &bob, &shop.id).await, Err(DomainError::NotFound(_))));
    application_webhooks::remove(&db, &ann, &shop.id).await.expect("remove");
    assert_eq!(application_webhooks::get(&db, &ann, &shop.id).await.expect("get"), None);
    assert!(matches!(application_webhooks::remove(&db, &ann, &shop.id).await, Err(DomainError::NotFound(_))));
    applications::delete(&db, &bob, &idle.id).await.expect("delete app");
    let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM webhooks").fetch_one(&db.pool).await.expect("count");
    assert_eq!(left, 0);
}

async fn told_count(db: &Db, owner: &Actor, application: &str) -> usize {
    application_webhooks::get(db, owner, application).await.expect("get").map_or(0, |h| h.deliveries.len())
}

db_tests!(
    tiers_subscriptions_and_approval,
    the_gateway_bundle_carries_access,
    a_subscription_changes_tier,
    scopes_come_from_the_definition_and_bound_tokens,
    a_publisher_suspends_and_resumes_a_subscription,
    consumers_see_a_newer_version_and_a_retired_api,
    applications_are_told_what_happens_to_their_subscriptions
);
