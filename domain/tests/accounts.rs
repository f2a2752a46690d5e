//! Store tests for accounts, tokens, sessions and the audit log, run on SQLite and PostgreSQL.

use gatehouse_contract::{AuditQuery, Role, Settings, SignUpMode, SignUpPolicy};
use gatehouse_domain::throttle::{Limits, SignInThrottle};
use gatehouse_domain::{
    Db, DomainError, accounts, applications, audit, db_tests, groups, keys, seed, sessions::DbSessionStore, settings,
    subscriptions, tokens,
};
use std::time::Duration;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};

const PASSWORD: &str = "correct horse battery";

async fn sign_up_makes_a_consumer_and_refuses_duplicates(db: Db) {
    let user = accounts::sign_up(&db, " Ann@Example.com ", PASSWORD).await.expect("sign up");
    assert_eq!(user.email, "ann@example.com");
    assert_eq!(user.role, Role::Consumer);
    let again = accounts::sign_up(&db, "ann@example.com", PASSWORD).await;
    assert!(matches!(again, Err(DomainError::Conflict(_))), "{again:?}");
    let short = accounts::sign_up(&db, "bob@example.com", "short").await;
    assert!(matches!(short, Err(DomainError::Invalid { ref field, .. }) if field == "password"), "{short:?}");
}

async fn sign_in_gives_one_message_for_unknown_user_and_wrong_password(db: Db) {
    accounts::sign_up(&db, "ann@example.com", PASSWORD).await.expect("sign up");
    let throttle = SignInThrottle::default();
    let ok = accounts::sign_in(&db, &throttle, "ANN@example.com", PASSWORD, "127.0.0.1").await.expect("sign in");
    assert_eq!(ok.email, "ann@example.com");
    let wrong = accounts::sign_in(&db, &throttle, "ann@example.com", "wrong password!", "127.0.0.1")
        .await
        .expect_err("wrong password");
    let unknown =
        accounts::sign_in(&db, &throttle, "nobody@example.com", PASSWORD, "127.0.0.1").await.expect_err("unknown user");
    assert_eq!(wrong.to_string(), unknown.to_string());
    assert!(matches!(wrong, DomainError::Unauthorized(_)));
}

async fn sign_in_is_throttled_per_account(db: Db) {
    accounts::sign_up(&db, "ann@example.com", PASSWORD).await.expect("sign up");
    let throttle = SignInThrottle::new(Limits { per_account: 3, per_address: 100, window: Duration::from_secs(600) });
    for _ in 0..3 {
        let _ = accounts::sign_in(&db, &throttle, "ann@example.com", "nope nope nope", "10.0.0.1").await;
    }
    // Even the right password is refused while the account is locked.
    let locked = accounts::sign_in(&db, &throttle, "ann@example.com", PASSWORD, "10.0.0.2").await;
    assert!(matches!(locked, Err(DomainError::Throttled { .. })), "{locked:?}");
}

async fn role_change_is_audited_and_keeps_one_admin(db: Db) {
    let admin_user =
        accounts::create_user(&db, audit::SYSTEM, "root@example.com", PASSWORD, Role::Admin).await.expect("admin");
    let admin = accounts::actor_by_id(&db, &admin_user.id).await.expect("load").expect("exists");
    let ann = accounts::sign_up(&db, "ann@example.com", PASSWORD).await.expect("sign up");
    let changed = accounts::change_role(&db, &admin, &ann.id, Role::Creator).await.expect("promote");
    assert_eq!(changed.role, Role::Creator);
    let reloaded = accounts::actor_by_id(&db, &ann.id).await.expect("load").expect("exists");
    assert_eq!(reloaded.role, Role::Creator);
    let last_admin = accounts::change_role(&db, &admin, &admin.user_id, Role::Consumer).await;
    assert!(matches!(last_admin, Err(DomainError::Conflict(_))), "{last_admin:?}");
    // Gatehouse's own account (owner of the management API's listing) stays as it is.
    let system = accounts::create_user(&db, audit::SYSTEM, accounts::SYSTEM_OWNER, PASSWORD, Role::Creator)
        .await
        .expect("system account");
    assert!(system.system && !changed.system);
    let promoted = accounts::change_role(&db, &admin, &system.id, Role::Admin).await;
    assert!(matches!(promoted, Err(DomainError::Conflict(_))), "{promoted:?}");
    let taken_over = accounts::set_password(&db, audit::SYSTEM, accounts::SYSTEM_OWNER, "another password 123").await;
    assert!(matches!(taken_over, Err(DomainError::Conflict(_))), "{taken_over:?}");
    let listed = accounts::list_users(&db, "gatehouse.invalid", 10, 0).await.expect("list");
    assert_eq!((listed.items[0].role, listed.items[0].system), (Role::Creator, true));
    let log = audit::list(&db, &Default::default()).await.expect("audit");
    let entry = log.items.iter().find(|e| e.action == "user.role_changed").expect("role change audited");
    assert_eq!(entry.actor, "root@example.com");
    assert_eq!(entry.target, "ann@example.com");
    assert_eq!(entry.detail, "consumer → creator");
}

/// Offboarding: a disabled account's password, sessions, tokens and client credentials all stop
/// working, and tokens its applications hold are revoked at the gateways; enabling restores it.
async fn a_disabled_account_stops_working_everywhere_until_enabled(db: Db) {
    let root =
        accounts::create_user(&db, audit::SYSTEM, "root@example.com", PASSWORD, Role::Admin).await.expect("admin");
    let admin = accounts::actor_by_id(&db, &root.id).await.expect("load").expect("exists");
    let ann_user = accounts::sign_up(&db, "ann@example.com", PASSWORD).await.expect("sign up");
    let ann = accounts::actor_by_id(&db, &ann_user.id).await.expect("load").expect("exists");
    let pat = tokens::create(&db, &ann, "ci").await.expect("token").token;
    let app = applications::create(&db, &ann, "Shop", "").await.expect("application");
    let client = applications::client_secret(&db, &ann, &app.id, "production", 0).await.expect("secret");
    let throttle = SignInThrottle::default();
    let exchange = || keys::issue_token(&db, "http://gatehouse", &client.client_id, &client.client_secret, None);

    let refused = accounts::set_disabled(&db, &ann, &root.id, true).await.expect_err("a consumer disables nobody");
    assert!(matches!(refused, DomainError::Forbidden(_)), "{refused:?}");
    let own = accounts::set_disabled(&db, &admin, &root.id, true).await.expect_err("not oneself");
    assert!(matches!(own, DomainError::Conflict(_)), "{own:?}");

    let disabled = accounts::set_disabled(&db, &admin, &ann.user_id, true).await.expect("disable");
    assert!(disabled.disabled);
    let listed = accounts::list_users(&db, "ann", 10, 0).await.expect("list");
    assert!(listed.items[0].disabled, "the list shows it");
    let sign_in = accounts::sign_in(&db, &throttle, "ann@example.com", PASSWORD, "10.0.0.1").await;
    assert!(matches!(sign_in, Err(DomainError::Forbidden(ref m)) if m.contains("disabled")), "{sign_in:?}");
    let wrong = accounts::sign_in(&db, &throttle, "ann@example.com", "not her password", "10.0.0.1").await;
    assert!(
        matches!(wrong, Err(DomainError::Unauthorized(_))),
        "a wrong password says nothing of the account: {wrong:?}"
    );
    assert!(accounts::session_actor(&db, &ann.user_id, i64::MAX).await.expect("load").is_none(), "her sessions end");
    assert!(matches!(tokens::authenticate(&db, &pat).await, Err(DomainError::Unauthorized(_))));
    let cli = tokens::create_for_email(&db, "ann@example.com", "new").await;
    assert!(matches!(cli, Err(DomainError::Forbidden(_))), "the CLI prints no token that cannot work: {cli:?}");
    assert!(matches!(exchange().await, Err(DomainError::Unauthorized(_))), "no new access tokens");
    let revoked = subscriptions::revocations(&db).await.expect("revocations");
    assert!(revoked.iter().any(|r| r.subject == format!("application:{}", app.id)), "{revoked:?}");

    let enabled = accounts::set_disabled(&db, &admin, &ann.user_id, false).await.expect("enable");
    assert!(!enabled.disabled);
    accounts::sign_in(&db, &throttle, "ann@example.com", PASSWORD, "10.0.0.1").await.expect("signs in again");
    assert_eq!(tokens::authenticate(&db, &pat).await.expect("token works again").email, "ann@example.com");
    exchange().await.expect("access tokens again");
    let log = audit::list(&db, &Default::default()).await.expect("audit").items;
    assert!(log.iter().any(|e| e.action == "user.disabled" && e.target == "ann@example.com"), "audited");
}

async fn tokens_authenticate_until_revoked_and_are_stored_hashed(db: Db) {
    accounts::create_user(&db, audit::SYSTEM, "ci@example.com", PASSWORD, Role::Creator).await.expect("user");
    let token = tokens::create_for_email(&db, "ci@example.com", "pipeline").await.expect("token");
    assert!(token.token.starts_with(tokens::TOKEN_PREFIX));
    let actor = tokens::authenticate(&db, &token.token).await.expect("authenticates");
    assert_eq!((actor.email.as_str(), actor.role), ("ci@example.com", Role::Creator));
    let (stored,): (String,) = sqlx::query_as("SELECT token_hash FROM api_tokens WHERE id = $1")
        .bind(&token.id)
        .fetch_one(&db.pool)
        .await
        .expect("row");
    assert_ne!(stored, token.token);
    assert_eq!(stored, tokens::hash_secret(&token.token));
    let listed = tokens::list(&db, &actor).await.expect("list");
    assert!(listed[0].last_used_at.is_some());
    tokens::revoke(&db, &actor, &token.id).await.expect("revoke");
    assert!(matches!(tokens::authenticate(&db, &token.token).await, Err(DomainError::Unauthorized(_))));
    assert!(tokens::authenticate(&db, "gth_not-a-real-token").await.is_err());
}

async fn sessions_survive_a_new_store_and_expire(db: Db) {
    let store = DbSessionStore::new(db.clone());
    let mut record = Record {
        id: Id::default(),
        data: [("user_id".to_string(), serde_json::json!("u1"))].into_iter().collect(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    store.create(&mut record).await.expect("create");
    // A new store over the same database stands for a restarted server.
    let reopened = DbSessionStore::new(db.clone());
    let loaded = reopened.load(&record.id).await.expect("load").expect("present");
    assert_eq!(loaded.data.get("user_id"), Some(&serde_json::json!("u1")));
    record.expiry_date = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    reopened.save(&record).await.expect("save");
    assert!(reopened.load(&record.id).await.expect("load").is_none(), "expired session is not loaded");
    reopened.delete(&record.id).await.expect("delete");
}

async fn the_demo_seeds_accounts_and_a_gateway_group_once(db: Db) {
    let accounts = seed::seed_demo_users(&db).await.expect("seed accounts");
    assert_eq!(accounts.len(), Role::ALL.len());
    // Another program holds the first local port (this test does, for the rest of the run —
    // both databases' runs at once — unless one already did): the demo's gateway gets the
    // next port free on this machine, so it serves at once.
    static HOLDER: std::sync::OnceLock<Option<std::net::TcpListener>> = std::sync::OnceLock::new();
    HOLDER.get_or_init(|| std::net::TcpListener::bind(("127.0.0.1", groups::FIRST_LOCAL_PORT)).ok());
    let group = seed::seed_demo_group(&db).await.expect("seed group").expect("created on the first run");
    assert_eq!(group.name, seed::DEMO_GROUP);
    let port = group.port.expect("a local port");
    assert!(port > groups::FIRST_LOCAL_PORT && groups::local_ports_unavailable(port).is_none(), "{port}");
    let listed = groups::list(&db).await.expect("groups");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].apis.is_empty());
    let log = audit::list(&db, &Default::default()).await.expect("audit");
    assert!(
        log.items.iter().any(|e| e.action == "group.created" && e.actor == "publisher@demo.gatehouse.local"),
        "{log:?}"
    );
    // A second `make run` on the same data creates nothing and changes no password.
    assert!(seed::seed_demo_users(&db).await.expect("again").is_empty());
    assert!(seed::seed_demo_group(&db).await.expect("again").is_none());
    assert_eq!(groups::list(&db).await.expect("groups").len(), 1);
}

async fn the_demo_group_is_not_added_beside_existing_groups(db: Db) {
    seed::seed_demo_users(&db).await.expect("seed accounts");
    let publisher = accounts::actor_by_email(&db, "publisher@demo.gatehouse.local").await.expect("publisher");
    let own = gatehouse_contract::GatewayGroup {
        name: "food-apis".into(),
        kind: Default::default(),
        regions: vec![],
        mode: Default::default(),
        host: "food.example.com".into(),
        port: None,
        replicas_min: 1,
        replicas_max: 2,
        cpu_target: 50,
        image: gatehouse_contract::default_image(),
    };
    groups::create(&db, &publisher, own).await.expect("own group");
    assert!(seed::seed_demo_group(&db).await.expect("seed group").is_none());
    let names: Vec<String> = groups::list(&db).await.expect("groups").into_iter().map(|g| g.group.name).collect();
    assert_eq!(names, vec!["food-apis".to_string()]);
}

async fn a_password_change_needs_the_current_one_and_ends_other_sessions(db: Db) {
    let ann_user = accounts::sign_up(&db, "ann@example.com", PASSWORD).await.expect("sign up");
    let ann = accounts::actor_by_id(&db, &ann_user.id).await.expect("load").expect("exists");
    let signed_in_at = gatehouse_domain::store::now_ms();
    assert!(accounts::session_actor(&db, &ann.user_id, signed_in_at).await.expect("load").is_some());
    let pat = tokens::create(&db, &ann, "ci").await.expect("token").token;
    let throttle = SignInThrottle::default();
    let change = |current: &'static str, new: &'static str| {
        accounts::change_password(&db, &throttle, &ann, current, new, "10.0.0.1")
    };

    let wrong = change("not her password", "a new password 42").await;
    assert!(matches!(&wrong, Err(DomainError::Invalid { field, .. }) if field == "current_password"), "{wrong:?}");
    let same = change(PASSWORD, PASSWORD).await;
    assert!(matches!(&same, Err(DomainError::Invalid { field, .. }) if field == "password"), "{same:?}");
    let short = change(PASSWORD, "short").await;
    assert!(matches!(&short, Err(DomainError::Invalid { field, .. }) if field == "password"), "{short:?}");
    assert!(
        accounts::sign_in(&db, &throttle, "ann@example.com", PASSWORD, "10.0.0.1").await.is_ok(),
        "nothing changed yet"
    );

    let changed_at = change(PASSWORD, "a new password 42").await.expect("change");
    assert!(changed_at >= signed_in_at);
    assert!(
        accounts::session_actor(&db, &ann.user_id, changed_at - 1).await.expect("load").is_none(),
        "a session from before the change ends"
    );
    assert!(
        accounts::session_actor(&db, &ann.user_id, changed_at).await.expect("load").is_some(),
        "the session that changed it goes on from the change"
    );
    let old = accounts::sign_in(&db, &throttle, "ann@example.com", PASSWORD, "10.0.0.1").await;
    assert!(matches!(old, Err(DomainError::Unauthorized(_))), "{old:?}");
    accounts::sign_in(&db, &throttle, "ann@example.com", "a new password 42", "10.0.0.1").await.expect("new password");
    assert!(tokens::authenticate(&db, &pat).await.is_ok(), "access tokens stay");
    let log = audit::list(&db, &Default::default()).await.expect("audit");
    let actions: Vec<&str> = log.items.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"user.password_changed") && actions.contains(&"user.password_change_failed"));

    // Guessing the current password from an open session is throttled like signing in.
    let throttle = SignInThrottle::new(Limits { per_account: 2, per_address: 100, window: Duration::from_secs(60) });
    for _ in 0..2 {
        let guess = accounts::change_password(&db, &throttle, &ann, "a guess 1234", "whatever 12345", "10.0.0.3").await;
        assert!(matches!(guess, Err(DomainError::Invalid { .. })), "{guess:?}");
    }
    let locked =
        accounts::change_password(&db, &throttle, &ann, "a new password 42", "whatever 12345", "10.0.0.3").await;
    assert!(matches!(locked, Err(DomainError::Throttled { .. })), "{locked:?}");
}

async fn admins_add_accounts_and_reset_passwords(db: Db) {
    let root =
        accounts::create_user(&db, audit::SYSTEM, "root@example.com", PASSWORD, Role::Admin).await.expect("admin");
    let admin = accounts::actor_by_id(&db, &root.id).await.expect("load").expect("exists");
    let throttle = SignInThrottle::default();

    let added = accounts::add_user(&db, &admin, " Pat@Example.com", Role::Publisher).await.expect("add");
    assert_eq!((added.user.email.as_str(), added.user.role), ("pat@example.com", Role::Publisher));
    let pat = accounts::sign_in(&db, &throttle, "pat@example.com", &added.password, "10.0.0.1")
        .await
        .expect("the first password signs in");
    let again = accounts::add_user(&db, &admin, "pat@example.com", Role::Consumer).await;
    assert!(matches!(again, Err(DomainError::Conflict(_))), "{again:?}");
    let not_admin = accounts::add_user(&db, &pat, "eve@example.com", Role::Admin).await;
    assert!(matches!(not_admin, Err(DomainError::Forbidden(_))), "{not_admin:?}");
    let not_admin = accounts::reset_password(&db, &pat, &root.id).await;
    assert!(matches!(not_admin, Err(DomainError::Forbidden(_))), "{not_admin:?}");

    let before = gatehouse_domain::store::now_ms() - 1;
    let reset = accounts::reset_password(&db, &admin, &pat.user_id).await.expect("reset");
    assert_eq!(reset.email, "pat@example.com");
    assert_ne!(reset.password, added.password);
    assert!(accounts::session_actor(&db, &pat.user_id, before).await.expect("load").is_none(), "sessions end");
    let old = accounts::sign_in(&db, &throttle, "pat@example.com", &added.password, "10.0.0.1").await;
    assert!(matches!(old, Err(DomainError::Unauthorized(_))), "{old:?}");
    accounts::sign_in(&db, &throttle, "pat@example.com", &reset.password, "10.0.0.1").await.expect("new password");
    let system = accounts::create_user(&db, audit::SYSTEM, accounts::SYSTEM_OWNER, PASSWORD, Role::Creator)
        .await
        .expect("system account");
    let taken_over = accounts::reset_password(&db, &admin, &system.id).await;
    assert!(matches!(taken_over, Err(DomainError::Conflict(_))), "{taken_over:?}");
    let log = audit::list(&db, &Default::default()).await.expect("audit");
    assert!(log.items.iter().any(|e| e.action == "user.password_reset" && e.actor == "root@example.com"));
    assert!(log.items.iter().any(|e| e.action == "user.created" && e.actor == "root@example.com"));
}

async fn sign_up_follows_the_admins_policy(db: Db) {
    let root =
        accounts::create_user(&db, audit::SYSTEM, "root@example.com", PASSWORD, Role::Admin).await.expect("admin");
    let admin = accounts::actor_by_id(&db, &root.id).await.expect("load").expect("exists");
    assert_eq!(settings::get(&db, &admin).await.expect("settings"), Settings::default(), "open until changed");
    let ann_user = accounts::sign_up(&db, "ann@example.com", PASSWORD).await.expect("open to anyone");
    let ann = accounts::actor_by_id(&db, &ann_user.id).await.expect("load").expect("exists");
    let policy = |mode, domains: &[&str]| Settings {
        sign_up: SignUpPolicy { mode, domains: domains.iter().map(|d| d.to_string()).collect() },
    };

    let refused = settings::update(&db, &ann, policy(SignUpMode::Closed, &[])).await;
    assert!(matches!(refused, Err(DomainError::Forbidden(_))), "{refused:?}");
    assert!(matches!(settings::get(&db, &ann).await, Err(DomainError::Forbidden(_))));
    let bad = settings::update(&db, &admin, policy(SignUpMode::Domains, &["corp.example", "not a domain"])).await;
    assert!(matches!(&bad, Err(DomainError::Invalid { field, .. }) if field == "sign_up.domains"), "{bad:?}");
    assert_eq!(settings::sign_up_policy(&db).await.expect("policy"), SignUpPolicy::default(), "nothing half-saved");

    let saved = settings::update(&db, &admin, policy(SignUpMode::Domains, &["Corp.Example", "@partner.example"]))
        .await
        .expect("save");
    assert_eq!(saved.sign_up.domains, ["corp.example", "partner.example"]);
    assert_eq!(settings::get(&db, &admin).await.expect("settings"), saved);
    let outsider = accounts::sign_up(&db, "bob@other.example", PASSWORD).await;
    assert!(matches!(&outsider, Err(DomainError::Invalid { field, .. }) if field == "email"), "{outsider:?}");
    accounts::sign_up(&db, "Bob@Partner.example", PASSWORD).await.expect("a listed domain");

    settings::update(&db, &admin, policy(SignUpMode::Closed, &["corp.example"])).await.expect("close");
    let closed = accounts::sign_up(&db, "carl@corp.example", PASSWORD).await;
    assert!(matches!(closed, Err(DomainError::Forbidden(_))), "{closed:?}");
    accounts::add_user(&db, &admin, "carl@corp.example", Role::Consumer).await.expect("admins still add accounts");
    let log = audit::list(&db, &Default::default()).await.expect("audit");
    let mut updates: Vec<&str> =
        log.items.iter().filter(|e| e.action == "settings.updated").map(|e| e.detail.as_str()).collect();
    updates.sort();
    assert_eq!(updates, ["sign-up closed", "sign-up open to corp.example, partner.example"]);
}

async fn the_audit_log_is_narrowed_by_who_what_target_and_time(db: Db) {
    let entries = [
        ("ann@example.com", "api.created", "Pizza Shack 1.0.0", ""),
        ("bob@example.com", "api.lifecycle", "Pizza Shack 1.0.0", "CREATED → PUBLISHED"),
        ("ann@example.com", "user.role_changed", "carl@example.com", "consumer → creator"),
        ("system", "apis_x", "100%_sure", ""),
    ];
    for (actor, action, target, detail) in entries {
        audit::record(&db, actor, action, target, detail).await.expect("record");
    }
    let list = |actor: &str, action: &str, target: &str| {
        let query = AuditQuery {
            actor: Some(actor.to_string()),
            action: Some(action.to_string()),
            target: Some(target.to_string()),
            ..Default::default()
        };
        let db = db.clone();
        async move {
            let page = audit::list(&db, &query).await.expect("list");
            assert_eq!(page.total as usize, page.items.len());
            page.items.into_iter().map(|e| e.action).collect::<Vec<_>>()
        }
    };
    // Blank filters are no filters; the actor in any case; newest first.
    assert_eq!(list(" ", "", "").await, ["apis_x", "user.role_changed", "api.lifecycle", "api.created"]);
    assert_eq!(list("ANN", "", "").await, ["user.role_changed", "api.created"]);
    // An action by how it starts: `api.` is not `apis_x`, and the middle of a name is no match.
    assert_eq!(list("", "api.", "").await, ["api.lifecycle", "api.created"]);
    assert_eq!(list("", "api.lifecycle", "").await, ["api.lifecycle"]);
    assert!(list("", "lifecycle", "").await.is_empty());
    assert_eq!(list("", "", "pizza").await, ["api.lifecycle", "api.created"]);
    assert_eq!(list("ann", "api.", "").await, ["api.created"]);
    // `%` and `_` are matched as written, not as wildcards.
    assert_eq!(list("", "", "%").await, ["apis_x"]);
    assert_eq!(list("", "", "0%_s").await, ["apis_x"]);
    assert!(list("", "api_", "").await.is_empty());

    let all = audit::list(&db, &AuditQuery::default()).await.expect("all");
    let (first, last) = (all.items.iter().map(|e| e.at).min().expect("entries"), all.items[0].at);
    let window = |from, to| AuditQuery { from, to, ..Default::default() };
    assert_eq!(audit::list(&db, &window(Some(first), Some(last + 1))).await.expect("window").total, 4);
    assert_eq!(audit::list(&db, &window(Some(last + 1), None)).await.expect("after").total, 0);
    assert_eq!(audit::list(&db, &window(None, Some(first))).await.expect("before").total, 0);
    let backwards = audit::list(&db, &window(Some(last), Some(last))).await;
    assert!(matches!(backwards, Err(DomainError::Invalid { ref field, .. }) if field == "from"), "{backwards:?}");
    let paged = AuditQuery { limit: Some(1), offset: Some(1), ..Default::default() };
    let page = audit::list(&db, &paged).await.expect("page");
    assert_eq!((page.total, page.items.len(), page.items[0].action.as_str()), (4, 1, "user.role_changed"));
}

db_tests!(
    the_audit_log_is_narrowed_by_who_what_target_and_time,
    the_demo_seeds_accounts_and_a_gateway_group_once,
    the_demo_group_is_not_added_beside_existing_groups,
    sign_up_makes_a_consumer_and_refuses_duplicates,
    sign_up_follows_the_admins_policy,
    a_password_change_needs_the_current_one_and_ends_other_sessions,
    admins_add_accounts_and_reset_passwords,
    sign_in_gives_one_message_for_unknown_user_and_wrong_password,
    sign_in_is_throttled_per_account,
    role_change_is_audited_and_keeps_one_admin,
    a_disabled_account_stops_working_everywhere_until_enabled,
    tokens_authenticate_until_revoked_and_are_stored_hashed,
    sessions_survive_a_new_store_and_expire,
);
