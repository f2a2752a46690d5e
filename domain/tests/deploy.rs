//! Approval triggers deployment, on SQLite and PostgreSQL with a real git repository: the
//! release is committed and tagged, versions bump by the rule, a creator cannot approve their
//! own request, rollback makes a new release, and a failed step leaves the previous one live.

use gatehouse_contract::{
    ApprovalStatus, DeploymentStatus, GatewayGroup, GroupMode, LifecycleState, OperationEdit, Role, WebhookEvent,
};
use gatehouse_domain::apis::lifecycle::{self, LifecycleRequest};
use gatehouse_domain::apis::{self, ImportRequest, docs, edit, revisions};
use gatehouse_domain::application_webhooks::{self, Callbacks, Reach};
use gatehouse_domain::deploy::Deployer;
use gatehouse_domain::deploy::webhooks::{self, WebhookRequest};
use gatehouse_domain::openapi::files::MemoryFiles;
use gatehouse_domain::{Actor, Db, DomainError, accounts, audit, db_tests, groups, portal, seed};
use std::path::Path;
use std::process::Command;

const REVIEWS: &str = "openapi: 3.0.3\ninfo:\n  title: Reviews\n  version: 1.0.0\nservers:\n  - url: http://127.0.0.1:9/reviews\npaths:\n  /reviews:\n    get:\n      summary: List reviews\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              example: [{\"stars\": 5}]\n";

async fn user(db: &Db, email: &str, role: Role) -> Actor {
    let u = accounts::create_user(db, audit::SYSTEM, email, "correct horse battery", role).await.expect("user");
    accounts::actor_by_id(db, &u.id).await.expect("load").expect("exists")
}

fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git").arg("--git-dir").arg(repo).args(args).output().expect("git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn group(name: &str, mode: GroupMode) -> GatewayGroup {
    GatewayGroup {
        name: name.into(),
        kind: Default::default(),
        regions: vec!["eu-west".into()],
        mode,
        host: "food.example.com".into(),
        port: None,
        replicas_min: 1,
        replicas_max: 5,
        cpu_target: 50,
        image: "gatehouse/gateway:test".into(),
    }
}

async fn approval_deploys_commits_and_tags(db: Db) {
    let repo_dir = std::env::temp_dir().join(format!("gatehouse-gitops-{}", uuid::Uuid::new_v4()));
    let repo = repo_dir.join("gitops.git");
    let deployer = Deployer::new(db.clone(), repo.clone());
    let creator = user(&db, "creator@example.com", Role::Creator).await;
    let publisher = user(&db, "publisher@example.com", Role::Publisher).await;
    let other = user(&db, "other@example.com", Role::Publisher).await;
    groups::create(&db, &publisher, group("food-apis", GroupMode::Shared)).await.expect("group");
    let creating = groups::create(&db, &creator, group("nope", GroupMode::Shared)).await;
    assert!(matches!(creating, Err(DomainError::Forbidden(_))), "creators do not manage groups");

    let files = MemoryFiles::single("r.yaml", REVIEWS.as_bytes().to_vec());
    let api = apis::import(
        &db,
        &creator,
        ImportRequest { files: &files, entry: "r.yaml", context: Some("/review/v1.0".into()) },
    )
    .await
    .expect("import");
    revisions::create(&db, &creator, &api.id, "first").await.expect("revision");
    let unassigned = deployer.submit(&creator, &api.id, 1, "please").await;
    assert!(matches!(unassigned, Err(DomainError::Invalid { .. })), "{unassigned:?}");
    groups::assign(&db, &creator, &api.id, "food-apis").await.expect("assign");
    let request = deployer.submit(&creator, &api.id, 1, "first release").await.expect("submit");
    assert_eq!(apis::get(&db, &creator, &api.id).await.expect("get").live_revision, None, "submitted, not live");
    assert_eq!(deployer.awaiting(&publisher).await.expect("count"), 1, "waits for the publisher");
    assert!(matches!(deployer.awaiting(&creator).await, Err(DomainError::Forbidden(_))), "creators decide nothing");

    let queue = deployer.approvals(&publisher, Some(ApprovalStatus::Pending), None).await.expect("queue");
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].diff.operations_added, vec!["GET /reviews".to_string()], "first deployment: everything is new");
    assert_eq!(queue[0].group, "food-apis");
    assert!(
        !queue[0].design.iter().any(|f| f.rule == "summary"),
        "every operation has a summary: {:?}",
        queue[0].design
    );

    let own = deployer.approve(&creator, &request, "").await;
    assert!(matches!(own, Err(DomainError::Forbidden(_))), "a creator cannot approve: {own:?}");

    let deployment =
        deployer.approve(&publisher, &request, "looks good").await.expect("approve").deployment.expect("deployed");
    assert_eq!(deployment.status, DeploymentStatus::Committed, "{deployment:?}");
    assert_eq!(deployment.tag, "food-apis-v1.0.0");
    assert!(deployment.steps.iter().all(|s| s.ok), "{:?}", deployment.steps);
    assert_eq!(deployer.awaiting(&publisher).await.expect("count"), 0, "decided");
    let detail = apis::get(&db, &creator, &api.id).await.expect("get");
    assert_eq!((detail.summary.state, detail.live_revision), (LifecycleState::Published, Some(1)));

    let log = git(&repo, &["log", "--format=%s", "food-apis"]);
    assert!(log.starts_with("Deploy Reviews 1.0.0 revision 1 to food-apis"), "{log}");
    let tags = git(&repo, &["tag", "-n1", "--list", "food-apis-*"]);
    assert!(tags.contains("food-apis-v1.0.0") && tags.contains("food-apis release 1.0.0"), "{tags}");
    assert_eq!(git(&repo, &["cat-file", "-t", "food-apis-v1.0.0"]).trim(), "tag", "annotated tag");
    let tree = git(&repo, &["ls-tree", "-r", "--name-only", "food-apis"]);
    for file in [
        "bundle.json",
        "kustomization.yaml",
        "manifests/kustomization.yaml",
        "regions/eu-west/kustomization.yaml",
        "manifests/ingress.yaml",
        "manifests/gw-food-apis-deployment.yaml",
        "manifests/gw-food-apis-hpa.yaml",
        "apis/reviews-1-0-0/api.yaml",
        "apis/reviews-1-0-0/definition.yaml",
    ] {
        assert!(tree.lines().any(|l| l == file), "{file} missing from {tree}");
    }
    // The group names the folder its region's cluster applies.
    let listed = groups::list(&db).await.expect("groups");
    let food = listed.iter().find(|g| g.group.name == "food-apis").expect("listed");
    let overlays: Vec<(&str, &str)> =
        food.region_overlays.iter().map(|o| (o.region.as_str(), o.path.as_str())).collect();
    assert_eq!(overlays, [("eu-west", "regions/eu-west")]);
    let (version, sha, bundle) = deployer.current_bundle("food-apis").await.expect("bundle").expect("present");
    assert_eq!(version, "1.0.0");
    assert!(bundle.contains("/review/v1.0"));
    assert_eq!(git(&repo, &["show", "food-apis:bundle.json"]), bundle, "the committed bundle is the served bundle");
    assert_eq!(sha.len(), 64);

    // A second change: an added operation is a minor release. Added without a summary, it
    // draws the design review's advice on the request.
    let v = apis::get(&db, &creator, &api.id).await.expect("get").edit_version;
    let add = OperationEdit::Add { method: "post".into(), path: "/reviews".into(), summary: String::new() };
    edit::edit_operation(&db, &creator, &api.id, &add, v).await.expect("edit");
    let detail = apis::get(&db, &creator, &api.id).await.expect("get");
    let described = gatehouse_contract::ApiSettings {
        context: detail.summary.context.clone(),
        description: "Reviews of dishes, with stars".into(),
        tags: vec![],
        visibility: detail.visibility,
        endpoints: detail.endpoints.clone(),
        policies: detail.policies.clone(),
    };
    apis::save_settings(&db, &creator, &api.id, described, detail.edit_version).await.expect("settings");
    let before_page = apis::get(&db, &creator, &api.id).await.expect("get").edit_version;
    docs::save(&db, &creator, &api.id, None, "Getting started", "Ask for a **token** first.").await.expect("page");
    let after_page = apis::get(&db, &creator, &api.id).await.expect("get");
    assert_eq!(after_page.edit_version, before_page + 1, "a page is an edit of the working copy");
    assert_eq!(after_page.edited_since(), Some(1), "revision 1 is behind the working copy");
    revisions::create(&db, &creator, &api.id, "second").await.expect("revision 2");
    let second = deployer.submit(&creator, &api.id, 2, "adds POST").await.expect("submit");
    // Consumers are shown what the gateways serve: the change waits for review out of sight.
    let shown = |db: Db, id: String| async move {
        let page = portal::api(&db, None, &id).await.expect("portal page");
        let definition = portal::definition(&db, None, &id, gatehouse_contract::SourceFormat::Yaml).await;
        let keys: Vec<String> = page.model.operations.iter().map(|op| op.key()).collect();
        let card = portal::catalog(&db, None, "reviews", None, 10, 0).await.expect("catalog").items.remove(0);
        assert_eq!(card.description, page.summary.description, "the card and the page agree");
        let pages: Vec<String> = page.docs.iter().map(|p| format!("{}: {}", p.title, p.html.trim())).collect();
        let searched = portal::catalog(&db, None, "stars", None, 10, 0).await.expect("search").total;
        (keys, page.summary.description, definition.expect("definition").contains("post:"), pages, searched)
    };
    let found = |db: Db, word: &'static str| async move {
        portal::catalog(&db, None, word, None, 10, 0).await.expect("search").total
    };
    let first = (vec!["GET /reviews".to_string()], String::new(), false, vec![], 0);
    assert_eq!(shown(db.clone(), api.id.clone()).await, first);
    let unserved = portal::operation(&db, None, &api.id, "POST /reviews").await;
    assert!(matches!(unserved, Err(DomainError::NotFound(_))), "{unserved:?}");
    let approvals = deployer.approvals(&publisher, Some(ApprovalStatus::Pending), None).await.expect("queue");
    assert_eq!(approvals[0].diff.operations_added, vec!["POST /reviews".to_string()], "diff against the live revision");
    assert_eq!(approvals[0].live_revision, Some(1));
    assert_eq!(approvals[0].diff.other, ["API description changed".to_string()]);
    assert_eq!(approvals[0].diff.docs, ["documentation page added: Getting started".to_string()]);
    let advice: Vec<_> = approvals[0].design.iter().filter(|f| f.rule == "summary").collect();
    assert_eq!(advice.len(), 1, "{:?}", approvals[0].design);
    assert_eq!(advice[0].operation.as_deref(), Some("POST /reviews"));
    let deployed = deployer.approve(&other, &second, "").await.expect("approve 2").deployment.expect("deployed");
    assert_eq!(deployed.tag, "food-apis-v1.1.0");
    let both = vec!["GET /reviews".to_string(), "POST /reviews".to_string()];
    let page = "Getting started: <p>Ask for a <strong>token</strong> first.</p>".to_string();
    let second = (both, "Reviews of dishes, with stars".to_string(), true, vec![page], 1);
    assert_eq!(shown(db.clone(), api.id.clone()).await, second, "approval deployed it, so it shows");
    // The catalog search reads the live description and operations, and the tags as saved.
    let detail = apis::get(&db, &creator, &api.id).await.expect("get");
    let retagged = gatehouse_contract::ApiSettings {
        context: detail.summary.context.clone(),
        description: "Reviews of dishes, in words".into(),
        tags: vec!["tasting".into()],
        visibility: detail.visibility,
        endpoints: detail.endpoints.clone(),
        policies: detail.policies.clone(),
    };
    apis::save_settings(&db, &creator, &api.id, retagged, detail.edit_version).await.expect("settings");
    assert_eq!((found(db.clone(), "tasting").await, found(db.clone(), "words").await), (1, 0));
    assert_eq!(shown(db.clone(), api.id.clone()).await, second, "the description waits for review");
    // Released before the catalog kept its own text: searched as the working copy until the
    // server's start fills it in from the live revision.
    sqlx::query("UPDATE apis SET catalog_text = NULL").execute(&db.pool).await.expect("forget");
    sqlx::query("UPDATE group_live SET description = NULL").execute(&db.pool).await.expect("forget");
    assert_eq!(found(db.clone(), "words").await, 1);
    assert_eq!(groups::fill_live_text(&db).await.expect("filled"), 1);
    assert_eq!((found(db.clone(), "words").await, found(db.clone(), "tasting").await), (0, 1));
    assert_eq!(shown(db.clone(), api.id.clone()).await, second, "the card's description is the live one again");
    assert_eq!(groups::fill_live_text(&db).await.expect("nothing left"), 0);
    let released = git(&repo, &["show", "food-apis:apis/reviews-1-0-0/docs/getting-started.md"]);
    assert_eq!(released, "Ask for a **token** first.", "the release carries the revision's pages");
    // A page rewritten after the release waits for the next one, in the portal and the diff.
    docs::save(&db, &creator, &api.id, Some("getting-started"), "Getting started", "Rewritten.").await.expect("page");
    assert_eq!(shown(db.clone(), api.id.clone()).await, second, "the edit is not reviewed yet");
    let pending =
        revisions::compare(&db, &creator, &api.id, revisions::Version::Revision(2), revisions::Version::Working);
    let pending = pending.await.expect("diff");
    assert_eq!(pending.other, ["API description changed".to_string()]);
    assert_eq!(pending.docs, ["documentation page changed: Getting started".to_string()]);

    // A failing step: the previous release stays live and the branch does not move.
    let head_before = git(&repo, &["rev-parse", "food-apis"]);
    revisions::create(&db, &creator, &api.id, "third").await.expect("revision 3");
    let third = deployer.submit(&creator, &api.id, 3, "same again").await.expect("submit");
    let broken = Deployer::new(db.clone(), Path::new("/dev/null/not-a-repo").to_path_buf());
    let failed = broken.approve(&publisher, &third, "").await.expect("recorded").deployment.expect("deployed");
    assert_eq!(failed.status, DeploymentStatus::Failed);
    assert!(failed.reason.contains("git"), "{}", failed.reason);
    assert!(failed.steps.iter().any(|s| !s.ok && s.name == "commit and tag"), "{:?}", failed.steps);
    assert_eq!(deployer.current_bundle("food-apis").await.expect("bundle").expect("present").0, "1.1.0");
    assert_eq!(groups::live_apis(&db, "food-apis").await.expect("live")[0].live_revision, Some(2));
    assert_eq!(git(&repo, &["rev-parse", "food-apis"]), head_before);

    // Revision 3 never reached the group (its deployment failed): no rollback to it, which
    // would deploy what no release had. Revisions 1 and 2 were released.
    let skipped = deployer.rollback(&publisher, "food-apis", &api.id, 3).await.expect_err("never released");
    assert!(matches!(&skipped, DomainError::Invalid { field, .. } if field == "revision"), "{skipped:?}");
    assert_eq!(groups::live_apis(&db, "food-apis").await.expect("live")[0].released_revisions, vec![2, 1]);

    // Rollback to revision 1 removes POST: a new, major release; history stays.
    let rolled = deployer.rollback(&publisher, "food-apis", &api.id, 1).await.expect("rollback");
    assert_eq!(rolled.kind, "rollback");
    assert_eq!(rolled.tag, "food-apis-v2.0.0");
    assert_eq!(groups::live_apis(&db, "food-apis").await.expect("live")[0].live_revision, Some(1));
    assert_eq!(apis::get(&db, &creator, &api.id).await.expect("get").live_revision, Some(1));
    assert_eq!(shown(db.clone(), api.id.clone()).await, first, "the portal follows a rollback");
    let tree = git(&repo, &["ls-tree", "-r", "--name-only", "food-apis"]);
    assert!(!tree.contains("docs/"), "revision 1 had no pages: {tree}");
    let commits = git(&repo, &["rev-list", "--count", "food-apis"]);
    assert_eq!(commits.trim(), "3", "three releases, none rewritten");

    // Demoted to CREATED, a deployed API still cannot be deleted: the group's release carries it.
    let demote = apis::lifecycle::LifecycleRequest { action: "demote".into(), ..Default::default() };
    apis::lifecycle::change(&db, &publisher, &api.id, &demote).await.expect("demote");
    let deleting = apis::lifecycle::delete(&db, &creator, &api.id).await;
    assert!(matches!(&deleting, Err(DomainError::Conflict(m)) if m.contains("deployed")), "{deleting:?}");
    let _ = std::fs::remove_dir_all(repo_dir);
}

async fn publishers_cannot_approve_their_own_requests(db: Db) {
    let repo_dir = std::env::temp_dir().join(format!("gatehouse-gitops-{}", uuid::Uuid::new_v4()));
    let deployer = Deployer::new(db.clone(), repo_dir.join("gitops.git"));
    let publisher = user(&db, "publisher@example.com", Role::Publisher).await;
    groups::create(&db, &publisher, group("food-apis", GroupMode::Shared)).await.expect("group");
    let files = MemoryFiles::single("r.yaml", REVIEWS.as_bytes().to_vec());
    let api = apis::import(&db, &publisher, ImportRequest { files: &files, entry: "r.yaml", context: None })
        .await
        .expect("import");
    revisions::create(&db, &publisher, &api.id, "").await.expect("revision");
    groups::assign(&db, &publisher, &api.id, "food-apis").await.expect("assign");
    let request = deployer.submit(&publisher, &api.id, 1, "").await.expect("submit");
    assert_eq!(deployer.awaiting(&publisher).await.expect("count"), 0, "not their own request");
    let own = deployer.approve(&publisher, &request, "").await;
    assert!(matches!(own, Err(DomainError::Forbidden(ref m)) if m.contains("own request")), "{own:?}");
    let _ = std::fs::remove_dir_all(repo_dir);
}

async fn sidecar_groups_need_a_backend_image(db: Db) {
    let publisher = user(&db, "publisher@example.com", Role::Publisher).await;
    groups::create(&db, &publisher, group("sidecars", GroupMode::Sidecar)).await.expect("group");
    let files = MemoryFiles::single("r.yaml", REVIEWS.as_bytes().to_vec());
    let api = apis::import(&db, &publisher, ImportRequest { files: &files, entry: "r.yaml", context: None })
        .await
        .expect("import");
    let refused = groups::assign(&db, &publisher, &api.id, "sidecars").await;
    assert!(
        matches!(refused, Err(DomainError::Invalid { ref message, .. }) if message.contains("backend container image")),
        "{refused:?}"
    );
}

/// `serve --demo`'s sample API goes through the real loop on the first run: released to the
/// demo group as a prototype whose every operation answers from an example.
async fn the_demo_api_is_released_as_a_prototype(db: Db) {
    let repo = std::env::temp_dir().join(format!("gatehouse-gitops-{}", uuid::Uuid::new_v4())).join("gitops.git");
    let deployer = Deployer::new(db.clone(), repo.clone());
    assert!(seed::seed_demo_api(&db, &deployer).await.expect("no demo yet").is_none(), "no demo group, no demo API");
    seed::seed_demo_users(&db).await.expect("users");
    seed::seed_demo_group(&db).await.expect("group").expect("created");

    let deployment = seed::seed_demo_api(&db, &deployer).await.expect("seeded").expect("deployed");
    assert_eq!(deployment.status, DeploymentStatus::Committed, "{deployment:?}");
    assert_eq!(deployment.tag, "demo-v1.0.0");
    assert!(git(&repo, &["tag", "--list"]).contains("demo-v1.0.0"));

    let listed = portal::catalog(&db, None, "pizza", None, 10, 0).await.expect("catalog");
    assert_eq!(listed.total, 1, "anyone may see it in the portal");
    let page = portal::api(&db, None, &listed.items[0].id).await.expect("page");
    assert_eq!(page.summary.state, LifecycleState::Prototyped);
    assert_eq!(page.docs.len(), 1, "a getting-started page");
    let publisher = accounts::actor_by_email(&db, "publisher@demo.gatehouse.local").await.expect("publisher");
    let detail = apis::get(&db, &publisher, &listed.items[0].id).await.expect("detail");
    assert!(detail.warnings.is_empty(), "the sample imports cleanly: {:?}", detail.warnings);
    assert!(detail.design.is_empty(), "and is designed cleanly: {:?}", detail.design);
    // The creator's next change waits for the publisher; the portal shows what is live.
    let waiting = deployer.approvals(&publisher, Some(ApprovalStatus::Pending), None).await.expect("queue");
    assert_eq!(waiting.len(), 1);
    assert_eq!((waiting[0].revision, waiting[0].live_revision), (2, Some(1)));
    assert_eq!(waiting[0].diff.operations_added, vec!["GET /menu/{name}".to_string()]);
    assert!(waiting[0].design.is_empty(), "{:?}", waiting[0].design);
    assert_eq!(page.model.operations.len(), 5, "revision 1 is the one live");
    assert_eq!(detail.model.operations.len(), 6);

    let (_, _, bundle) = deployer.current_bundle("demo").await.expect("bundle").expect("present");
    let bundle: serde_json::Value = serde_json::from_str(&bundle).expect("json");
    let api = &bundle["apis"][0];
    assert_eq!((api["context"].as_str(), api["state"].as_str()), (Some("/pizzashack/v1"), Some("PROTOTYPED")));
    let operations = api["operations"].as_array().expect("operations");
    assert_eq!(operations.len(), 5);
    for op in operations {
        assert!(op["mock"].is_object(), "every operation answers as a prototype: {op}");
    }
    let menu = operations.iter().find(|op| op["method"] == "GET" && op["path"] == "/menu").expect("GET /menu");
    assert!(menu["mock"]["body"].as_str().is_some_and(|b| b.contains("Margherita")), "{menu}");
    // Its orders take the scopes its definition names; the menu takes none.
    let scopes = |method: &str, path: &str| {
        let op = operations.iter().find(|op| op["method"] == method && op["path"] == path).expect("operation");
        op.get("scopes").cloned().unwrap_or_default()
    };
    assert_eq!(scopes("GET", "/menu"), serde_json::Value::Null);
    assert_eq!(scopes("POST", "/order"), serde_json::json!(["orders:write"]));
    assert_eq!(scopes("GET", "/order/{orderId}"), serde_json::json!(["orders:read"]));

    assert!(seed::seed_demo_api(&db, &deployer).await.expect("again").is_none(), "seeded once");

    // A revision cut before pages were part of revisions stored none: the portal shows the
    // working copy's pages for it, and a diff does not claim they were all added.
    let id = &listed.items[0].id;
    let (stored,): (String,) = sqlx::query_as("SELECT snapshot FROM api_revisions WHERE api_id = $1 AND number = 1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .expect("revision 1");
    let mut older: serde_json::Value = serde_json::from_str(&stored).expect("json");
    assert!(older.as_object_mut().expect("object").remove("docs").is_some(), "revision 1 carries its pages");
    sqlx::query("UPDATE api_revisions SET snapshot = $1 WHERE api_id = $2 AND number = 1")
        .bind(older.to_string())
        .bind(id)
        .execute(&db.pool)
        .await
        .expect("stored");
    let creator = accounts::actor_by_email(&db, "creator@demo.gatehouse.local").await.expect("creator");
    docs::save(&db, &creator, id, None, "Toppings", "Ask for extra cheese.").await.expect("page");
    assert_eq!(portal::api(&db, None, id).await.expect("page").docs.len(), 2, "the working copy's pages");
    let diff = revisions::compare(&db, &creator, id, revisions::Version::Revision(1), revisions::Version::Working);
    assert_eq!(diff.await.expect("diff").docs, Vec::<String>::new());
}

/// A publisher changes a group's settings: the name stays, a refused value or a taken port
/// leaves the stored group as it was, and the audit log says what changed. Once the group has a
/// release, a change to its manifests is released at once (patch; a new host is major), a
/// change of the local port alone is not, and a mode the live APIs cannot run in is refused
/// with nothing saved.
async fn a_publisher_changes_a_groups_settings(db: Db) {
    let repo_dir = std::env::temp_dir().join(format!("gatehouse-gitops-{}", uuid::Uuid::new_v4()));
    let repo = repo_dir.join("gitops.git");
    let deployer = Deployer::new(db.clone(), repo.clone());
    let admin = user(&db, "admin@example.com", Role::Admin).await;
    let creator = user(&db, "creator@example.com", Role::Creator).await;
    let publisher = user(&db, "publisher@example.com", Role::Publisher).await;
    let food =
        groups::create(&db, &publisher, GatewayGroup { port: Some(9301), ..group("food-apis", GroupMode::Shared) })
            .await
            .expect("group");
    groups::create(&db, &publisher, GatewayGroup { port: Some(9302), ..group("payments", GroupMode::Shared) })
        .await
        .expect("group");
    let update = |group: GatewayGroup| deployer.update_group(&publisher, "food-apis", group);
    let wanted = GatewayGroup { name: "renamed".into(), replicas_max: 8, port: Some(9311), ..food.clone() };
    let by_creator = deployer.update_group(&creator, "food-apis", wanted.clone()).await;
    assert!(matches!(by_creator, Err(DomainError::Forbidden(_))), "{by_creator:?}");
    match update(GatewayGroup { replicas_max: 0, ..wanted.clone() }).await {
        Err(DomainError::Invalid { field, .. }) => assert_eq!(field, "replicas_max"),
        other => panic!("a refused value names its field: {other:?}"),
    }
    let taken = update(GatewayGroup { port: Some(9302), ..wanted.clone() }).await;
    assert!(matches!(taken, Err(DomainError::Conflict(_))), "{taken:?}");
    assert_eq!(groups::get(&db, "food-apis").await.expect("get"), food, "nothing refused was stored");

    let updated = update(wanted).await.expect("update");
    assert_eq!(updated.group.name, "food-apis", "the name is the branch and tag prefix: it stays");
    assert_eq!(updated.release, None, "nothing released yet: the first release takes the settings");
    let stored = groups::get(&db, "food-apis").await.expect("get");
    assert_eq!((stored.replicas_max, stored.port), (8, Some(9311)));
    let logged = audit::list(&db, &Default::default()).await.expect("audit");
    let entry = logged.items.iter().find(|e| e.action == "group.updated").expect("audited");
    assert_eq!((entry.target.as_str(), entry.detail.as_str()), ("food-apis", "port 9301 → 9311; replicas 1–5 → 1–8"));

    // Released once: from now on the settings travel as releases.
    let hook = WebhookRequest {
        url: "http://127.0.0.1:9/hook".into(),
        events: vec!["deployment.committed".into()],
        groups: vec!["food-apis".into()],
    };
    webhooks::create(&db, &admin, &hook).await.expect("webhook");
    let files = MemoryFiles::single("r.yaml", REVIEWS.as_bytes().to_vec());
    let request = ImportRequest { files: &files, entry: "r.yaml", context: Some("/review/v1.0".into()) };
    let api = apis::import(&db, &creator, request).await.expect("import");
    groups::assign(&db, &creator, &api.id, "food-apis").await.expect("assign");
    revisions::create(&db, &creator, &api.id, "first").await.expect("revision");
    let approval = deployer.submit(&creator, &api.id, 1, "").await.expect("submit");
    deployer.approve(&publisher, &approval, "").await.expect("approve").deployment.expect("deployed");

    let moved = update(GatewayGroup { port: Some(9312), ..stored.clone() }).await.expect("port");
    assert_eq!(moved.release, None, "the local port is in no manifest: nothing to release");

    let scaled = update(GatewayGroup { replicas_max: 10, ..moved.group.clone() }).await.expect("scale");
    let release = scaled.release.expect("released");
    assert_eq!(release.status, DeploymentStatus::Committed, "{release:?}");
    assert_eq!((release.kind.as_str(), release.tag.as_str()), ("settings", "food-apis-v1.0.1"), "a patch release");
    assert_eq!((release.api_id.as_deref(), release.revision, release.subject()), (None, None, "group settings".into()));
    assert_eq!(release.steps[0].detail, "replicas 1–8 → 1–10");
    let log = git(&repo, &["log", "-1", "--format=%B", "food-apis"]);
    assert!(log.starts_with("Release the settings of food-apis: replicas 1–8 → 1–10"), "{log}");
    assert!(log.contains("Changed by publisher@example.com"), "{log}");
    let hpa = git(&repo, &["show", "food-apis-v1.0.1:manifests/gw-food-apis-hpa.yaml"]);
    assert!(hpa.contains("maxReplicas: 10"), "the tagged manifests carry the settings: {hpa}");
    let (version, _, bundle) = deployer.current_bundle("food-apis").await.expect("bundle").expect("present");
    assert_eq!(version, "1.0.1", "the gateways load the release, so it can be seen live");
    assert!(bundle.contains("/review/v1.0"), "what was live stays live");
    let live = groups::live_apis(&db, "food-apis").await.expect("live");
    assert_eq!((live[0].live_revision, live[0].released_revisions.clone()), (Some(1), vec![1]));
    let listed = deployer.deployments(Some("food-apis"), None).await.expect("deployments");
    assert_eq!(listed[0].id, release.id, "listed with the API's releases");
    let logged = audit::list(&db, &Default::default()).await.expect("audit");
    assert!(logged.items.iter().any(|e| e.action == "deployment.committed"
        && e.target == "food-apis"
        && e.detail == "settings to food-apis as food-apis-v1.0.1: replicas 1–8 → 1–10"));
    let payload: (String,) =
        sqlx::query_as("SELECT payload FROM webhook_deliveries WHERE subject = $1 AND event = 'deployment.committed'")
            .bind(&release.id)
            .fetch_one(&db.pool)
            .await
            .expect("the group's webhook hears the release");
    let payload: serde_json::Value = serde_json::from_str(&payload.0).expect("json");
    assert_eq!(
        (payload["kind"].as_str(), payload["settings"].as_str()),
        (Some("settings"), Some("replicas 1–8 → 1–10"))
    );
    assert!(payload["api_id"].is_null() && payload["revision"].is_null(), "{payload}");

    // Clients call the APIs on the host: a new one is a major release.
    let rehosted = update(GatewayGroup { host: "eat.example.com".into(), ..scaled.group.clone() }).await;
    assert_eq!(rehosted.expect("host").release.expect("released").tag, "food-apis-v2.0.0");

    // Sidecar mode needs each live API's backend image: refused by the manifests, nothing saved.
    let before = groups::get(&db, "food-apis").await.expect("get");
    let releases = deployer.deployments(Some("food-apis"), None).await.expect("deployments").len();
    match update(GatewayGroup { mode: GroupMode::Sidecar, replicas_max: 3, ..before.clone() }).await {
        Err(DomainError::Invalid { field, message }) => {
            assert_eq!(field, "endpoints.backend_image");
            assert!(message.contains("Reviews 1.0.0"), "{message}");
        }
        other => panic!("the manifests refuse it: {other:?}"),
    }
    assert_eq!(groups::get(&db, "food-apis").await.expect("get"), before, "nothing refused was stored");
    assert_eq!(deployer.deployments(Some("food-apis"), None).await.expect("deployments").len(), releases);
    let _ = std::fs::remove_dir_all(repo_dir);
}

/// In private-jet mode each API has a gateway of its own: on this machine each gets a port of
/// its own at its first release, kept across releases, never one a group has or takes; the
/// routing table and the portal point at it; out of private-jet mode, the group's port again.
async fn private_jet_apis_get_local_ports_of_their_own(db: Db) {
    let repo_dir = std::env::temp_dir().join(format!("gatehouse-gitops-{}", uuid::Uuid::new_v4()));
    let deployer = Deployer::new(db.clone(), repo_dir.join("gitops.git"));
    let creator = user(&db, "creator@example.com", Role::Creator).await;
    let publisher = user(&db, "publisher@example.com", Role::Publisher).await;
    let jets = groups::create(&db, &publisher, group("jets", GroupMode::PrivateJet)).await.expect("group");
    let shared = groups::create(&db, &publisher, group("shared", GroupMode::Shared)).await.expect("group");
    assert_eq!((jets.port, shared.port), (Some(8081), Some(8082)));
    assert_eq!(groups::local_gateways(&db, &jets).await.expect("gateways"), [], "nothing live, nothing to run");

    let mut ids = Vec::new();
    for (title, context) in [("Reviews", "/review/v1.0"), ("Ratings", "/rating/v1.0")] {
        let text = REVIEWS.replace("title: Reviews", &format!("title: {title}"));
        let files = MemoryFiles::single("r.yaml", text.into_bytes());
        let request = ImportRequest { files: &files, entry: "r.yaml", context: Some(context.into()) };
        let api = apis::import(&db, &creator, request).await.expect("import");
        groups::assign(&db, &creator, &api.id, "jets").await.expect("assign");
        revisions::create(&db, &creator, &api.id, "").await.expect("revision");
        let approval = deployer.submit(&creator, &api.id, 1, "").await.expect("submit");
        deployer.approve(&publisher, &approval, "").await.expect("approve").deployment.expect("deployed");
        ids.push(api.id);
    }
    let gateways = groups::local_gateways(&db, &jets).await.expect("gateways");
    let port_of = |id: &str| gateways.iter().find(|(api, _)| api.as_deref() == Some(id)).map(|(_, port)| *port);
    let (reviews, ratings) = (port_of(&ids[0]).expect("reviews' port"), port_of(&ids[1]).expect("ratings' port"));
    assert_eq!(gateways.len(), 2, "{gateways:?}");
    assert!(reviews > 8082 && ratings > 8082 && reviews != ratings, "{gateways:?}");
    assert_eq!(groups::local_port(&db, &jets, &ids[0]).await.expect("port"), Some(reviews));
    let routes = deployer.routing().await.expect("routing");
    let local = |context: &str| routes.iter().find(|r| r.context == context).map(|r| r.local_url.clone());
    assert_eq!(local("/rating/v1.0"), Some(format!("http://127.0.0.1:{ratings}/rating/v1.0")));
    let page = portal::api(&db, None, &ids[0]).await.expect("portal page");
    assert!(page.endpoints.iter().any(|e| e.url == format!("http://127.0.0.1:{reviews}/review/v1.0")), "{page:?}");

    // Kept across releases; a group never takes an API's port.
    groups::allot_api_ports(&db, "jets").await.expect("again");
    assert_eq!(groups::local_gateways(&db, &jets).await.expect("gateways"), gateways);
    let next = groups::create(&db, &publisher, group("later", GroupMode::Shared)).await.expect("group");
    assert!(next.port > Some(reviews.max(ratings)), "{next:?}");
    let taken =
        groups::create(&db, &publisher, GatewayGroup { port: Some(ratings), ..group("clash", GroupMode::Shared) });
    match taken.await {
        Err(DomainError::Conflict(message)) => assert!(message.contains("Ratings 1.0.0"), "{message}"),
        other => panic!("an API's port is refused to a group: {other:?}"),
    }
    let moved = deployer.update_group(&publisher, "shared", GatewayGroup { port: Some(reviews), ..shared.clone() });
    assert!(matches!(moved.await, Err(DomainError::Conflict(_))), "nor when a group moves");

    // Out of private-jet mode, the group's one gateway serves both on the group's port.
    let update = deployer.update_group(&publisher, "jets", GatewayGroup { mode: GroupMode::Shared, ..jets.clone() });
    let now_shared = update.await.expect("to shared").group;
    assert_eq!(groups::local_gateways(&db, &now_shared).await.expect("gateways"), [(None, 8081)]);
    assert_eq!(groups::local_port(&db, &now_shared, &ids[1]).await.expect("port"), Some(8081));
    let _ = std::fs::remove_dir_all(repo_dir);
}

db_tests!(
    a_publisher_changes_a_groups_settings,
    private_jet_apis_get_local_ports_of_their_own,
    approval_deploys_commits_and_tags,
    publishers_cannot_approve_their_own_requests,
    sidecar_groups_need_a_backend_image,
    the_demo_api_is_released_as_a_prototype
);

/// An application's webhook is sent its deliveries signed with its own secret, through a
/// client that keeps to public addresses unless the server lets consumers reach private ones
/// (a URL on this machine is never called by default) and follows no redirect.
async fn an_applications_webhook_reaches_only_what_the_server_allows(db: Db) {
    let ann = user(&db, "ann@example.com", Role::Consumer).await;
    let (url, seen) = receiver(0).await;
    let shop = gatehouse_domain::applications::create(&db, &ann, "Shop", "").await.expect("app");
    let hook = application_webhooks::set(&db, &ann, &shop.id, &url, Reach::PrivateNetworksToo).await.expect("set");
    application_webhooks::ping(&db, &ann, &shop.id).await.expect("ping");
    let http = reqwest::Client::new();

    // A server that keeps to public addresses does not call it, and says why.
    let public_only = Callbacks::new(Reach::PublicOnly).expect("webhook client");
    assert_eq!(webhooks::deliver_due(&db, &http, &public_only).await.expect("deliver"), 1);
    let refused = application_webhooks::get(&db, &ann, &shop.id).await.expect("get").expect("hook").deliveries;
    assert_eq!((refused[0].status.as_str(), refused[0].attempts), ("pending", 1));
    assert!(refused[0].last_error.contains("public addresses only"), "{}", refused[0].last_error);
    assert!(seen.lock().expect("lock").is_empty());

    // One that lets consumers reach private networks does.
    sqlx::query("UPDATE webhook_deliveries SET next_attempt_at = 0").execute(&db.pool).await.expect("due");
    let private_too = Callbacks::new(Reach::PrivateNetworksToo).expect("webhook client");
    assert_eq!(webhooks::deliver_due(&db, &http, &private_too).await.expect("deliver"), 1);
    let delivered = application_webhooks::get(&db, &ann, &shop.id).await.expect("get").expect("hook").deliveries;
    assert_eq!((delivered[0].status.as_str(), delivered[0].last_status), ("delivered", Some(200)));
    let calls = seen.lock().expect("lock").clone();
    let (event, signature, body) = &calls[0];
    assert_eq!(event, "ping");
    assert_eq!(signature, &webhooks::signature(&hook.secret, body), "signed with the application's secret");
    let payload: serde_json::Value = serde_json::from_slice(body).expect("json");
    assert_eq!(payload["application"]["name"], "Shop");

    // A redirect is not followed: a public receiver could otherwise lead the server anywhere.
    let redirector = redirecting_to(&url).await;
    application_webhooks::set(&db, &ann, &shop.id, &redirector, Reach::PrivateNetworksToo).await.expect("set");
    application_webhooks::ping(&db, &ann, &shop.id).await.expect("ping");
    assert_eq!(webhooks::deliver_due(&db, &http, &private_too).await.expect("deliver"), 1);
    let redirected = application_webhooks::get(&db, &ann, &shop.id).await.expect("get").expect("hook").deliveries;
    assert_eq!((redirected[0].status.as_str(), redirected[0].last_status), ("pending", Some(307)));
    assert_eq!(seen.lock().expect("lock").len(), 1, "the redirect's target heard nothing more");
}

/// A request read whole from `socket` — its head and the body its Content-Length announces
/// (closing with some of it unread would reset the connection before the client reads the
/// answer) — as (head, body); none if the connection ends first.
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<(String, Vec<u8>)> {
    use tokio::io::AsyncReadExt;
    let (mut buffer, mut chunk) = (Vec::new(), [0u8; 8192]);
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_string();
            let length = header(&head, "content-length").parse::<usize>().unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                return Some((head, buffer[end + 4..end + 4 + length].to_vec()));
            }
        }
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A header's value in a request's head ('' when it has none).
fn header(head: &str, name: &str) -> String {
    head.lines()
        .find_map(|l| l.split_once(':').filter(|(n, _)| n.trim().eq_ignore_ascii_case(name)))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

/// A receiver that answers every request with a redirect to `target`; its URL.
async fn redirecting_to(target: &str) -> String {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let answer = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: {target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            read_request(&mut socket).await;
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    url
}

/// A local receiver standing in for Jenkins / GitHub Actions: records what it is sent.
async fn receiver(fail_first: usize) -> (String, std::sync::Arc<std::sync::Mutex<Vec<(String, String, Vec<u8>)>>>) {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let store = seen.clone();
    tokio::spawn(async move {
        let mut calls = 0usize;
        while let Ok((mut socket, _)) = listener.accept().await {
            calls += 1;
            if let Some((head, body)) = read_request(&mut socket).await {
                let event = header(&head, "x-gatehouse-event");
                store.lock().expect("lock").push((event, header(&head, "x-gatehouse-signature-256"), body));
            }
            let status = if calls <= fail_first { "500 Internal Server Error" } else { "200 OK" };
            let _ = socket
                .write_all(format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").as_bytes())
                .await;
        }
    });
    (url, seen)
}

async fn deployments_are_posted_to_webhooks_signed_and_retried(db: Db) {
    let repo_dir = std::env::temp_dir().join(format!("gatehouse-gitops-{}", uuid::Uuid::new_v4()));
    let deployer = Deployer::new(db.clone(), repo_dir.join("gitops.git"));
    let admin = user(&db, "admin@example.com", Role::Admin).await;
    let creator = user(&db, "creator@example.com", Role::Creator).await;
    let (url, seen) = receiver(1).await;
    let request = WebhookRequest { url, events: vec!["deployment.committed".into()], ..Default::default() };
    let hook = webhooks::create(&db, &admin, &request).await.expect("webhook");
    groups::create(&db, &admin, group("food-apis", GroupMode::Shared)).await.expect("group");
    let files = MemoryFiles::single("r.yaml", REVIEWS.as_bytes().to_vec());
    let api = apis::import(&db, &creator, ImportRequest { files: &files, entry: "r.yaml", context: None })
        .await
        .expect("import");
    revisions::create(&db, &creator, &api.id, "").await.expect("revision");
    groups::assign(&db, &creator, &api.id, "food-apis").await.expect("assign");
    let request = deployer.submit(&creator, &api.id, 1, "").await.expect("submit");
    let deployment = deployer.approve(&admin, &request, "").await.expect("approve").deployment.expect("deployed");

    let http = reqwest::Client::new();
    let callbacks = Callbacks::new(Reach::PublicOnly).expect("webhook client");
    // First attempt: the receiver answers 500; the delivery stays pending with a backoff.
    assert_eq!(webhooks::deliver_due(&db, &http, &callbacks).await.expect("deliver"), 1);
    let after_first = webhooks::deliveries(&db, None, None, 10).await.expect("list");
    assert_eq!(
        (after_first[0].status.as_str(), after_first[0].attempts, after_first[0].last_status),
        ("pending", 1, Some(500))
    );
    // Make it due now instead of waiting out the backoff.
    sqlx::query("UPDATE webhook_deliveries SET next_attempt_at = 0").execute(&db.pool).await.expect("due");
    assert_eq!(webhooks::deliver_due(&db, &http, &callbacks).await.expect("deliver"), 1);
    let delivered = webhooks::deliveries(&db, None, None, 10).await.expect("list");
    assert_eq!((delivered[0].status.as_str(), delivered[0].attempts), ("delivered", 2));

    let calls = seen.lock().expect("lock").clone();
    assert_eq!(calls.len(), 2);
    let (event, signature, body) = &calls[1];
    assert_eq!(event, "deployment.committed");
    assert_eq!(signature, &webhooks::signature(&hook.secret, body), "signed with the webhook's secret");
    let payload: serde_json::Value = serde_json::from_slice(body).expect("json");
    assert_eq!(payload["tag"], "food-apis-v1.0.0");
    assert_eq!(payload["deployment"], deployment.id.as_str());
    let _ = std::fs::remove_dir_all(repo_dir);
}

/// Each webhook hears the events it names (or all), lifecycle changes and failed deployments
/// are announced, a ping reaches only the webhook tested, and a finished delivery can be sent
/// again; only admins manage any of it.
async fn webhooks_hear_their_events_and_deliveries_can_be_repeated(db: Db) {
    let admin = user(&db, "admin@example.com", Role::Admin).await;
    let creator = user(&db, "creator@example.com", Role::Creator).await;
    let publisher = user(&db, "publisher@example.com", Role::Publisher).await;
    let (url, seen) = receiver(0).await;
    let request = |events: &[&str]| WebhookRequest {
        url: url.clone(),
        events: events.iter().map(|e| e.to_string()).collect(),
        ..Default::default()
    };
    let everything = webhooks::create(&db, &admin, &request(&[])).await.expect("every event");
    let lifecycle_only =
        webhooks::create(&db, &admin, &request(&["api.lifecycle", " api.lifecycle"])).await.expect("lifecycle");
    let alerts_only = webhooks::create(&db, &admin, &request(&["alert.fired"])).await.expect("alerts");
    match webhooks::create(&db, &admin, &request(&["deployment.done"])).await {
        Err(DomainError::Invalid { field, message }) => {
            assert_eq!(field, "events");
            assert!(message.contains("`deployment.done`") && message.contains("deployment.failed"), "{message}");
        }
        other => panic!("an unknown event is refused: {other:?}"),
    }
    assert!(matches!(webhooks::create(&db, &publisher, &request(&[])).await, Err(DomainError::Forbidden(_))));
    let listed = webhooks::list(&db).await.expect("list");
    assert_eq!(listed.len(), 3, "the refused ones were not stored");
    let lifecycle_listed = listed.iter().find(|h| h.id == lifecycle_only.id).expect("listed");
    assert_eq!(lifecycle_listed.events, vec![WebhookEvent::ApiLifecycle], "named once");
    assert!(
        lifecycle_listed.hears(WebhookEvent::ApiLifecycle, None)
            && !lifecycle_listed.hears(WebhookEvent::AlertFired, None)
    );

    // A publish: the two webhooks that hear lifecycle changes are told, the alerts one is not.
    let files = MemoryFiles::single("r.yaml", REVIEWS.as_bytes().to_vec());
    let api = apis::import(&db, &creator, ImportRequest { files: &files, entry: "r.yaml", context: None })
        .await
        .expect("import");
    let publish = LifecycleRequest { action: "publish".into(), comment: "go".into(), ..Default::default() };
    lifecycle::change(&db, &publisher, &api.id, &publish).await.expect("publish");
    let queued = webhooks::deliveries(&db, None, None, 10).await.expect("deliveries");
    let mut told: Vec<&str> = queued.iter().map(|d| d.webhook_id.as_str()).collect();
    told.sort();
    let mut expected = vec![everything.id.as_str(), lifecycle_only.id.as_str()];
    expected.sort();
    assert_eq!(told, expected);
    assert!(queued.iter().all(|d| d.event == "api.lifecycle" && d.subject == api.id));
    let http = reqwest::Client::new();
    let callbacks = Callbacks::new(Reach::PublicOnly).expect("webhook client");
    assert_eq!(webhooks::deliver_due(&db, &http, &callbacks).await.expect("deliver"), 2);
    let calls = seen.lock().expect("lock").clone();
    let payload: serde_json::Value = serde_json::from_slice(&calls[0].2).expect("json");
    assert_eq!((payload["from"].as_str(), payload["to"].as_str()), (Some("CREATED"), Some("PUBLISHED")));
    assert_eq!((payload["by"].as_str(), payload["comment"].as_str()), (Some("publisher@example.com"), Some("go")));

    // A refused step announces nothing.
    let again = lifecycle::change(&db, &publisher, &api.id, &publish).await;
    assert!(matches!(again, Err(DomainError::Conflict(_))), "{again:?}");
    assert_eq!(webhooks::deliveries(&db, None, None, 10).await.expect("deliveries").len(), 2);

    // A failed deployment is announced with its reason, to the webhook that hears everything.
    groups::create(&db, &admin, group("food-apis", GroupMode::Shared)).await.expect("group");
    revisions::create(&db, &creator, &api.id, "").await.expect("revision");
    groups::assign(&db, &creator, &api.id, "food-apis").await.expect("assign");
    let broken = Deployer::new(db.clone(), Path::new("/dev/null/not-a-repo").to_path_buf());
    let request_id = broken.submit(&creator, &api.id, 1, "please").await.expect("submit");
    // The request for review is announced first.
    let requested = webhooks::deliveries(&db, None, None, 1).await.expect("deliveries").remove(0);
    assert_eq!((requested.event.as_str(), requested.subject.as_str()), ("approval.requested", request_id.as_str()));
    assert_eq!(webhooks::deliver_due(&db, &http, &callbacks).await.expect("deliver"), 1);
    let calls = seen.lock().expect("lock").clone();
    let payload: serde_json::Value = serde_json::from_slice(&calls[2].2).expect("json");
    assert_eq!(
        (payload["kind"].as_str(), payload["revision"].as_i64(), payload["note"].as_str()),
        (Some("revision"), Some(1), Some("please"))
    );
    let failed = broken.approve(&publisher, &request_id, "").await.expect("recorded").deployment.expect("deployed");
    assert_eq!(failed.status, DeploymentStatus::Failed);
    // The decision, then the failure, each to the webhook that hears everything alone.
    let newest: Vec<(String, String, String)> = webhooks::deliveries(&db, None, None, 2)
        .await
        .expect("deliveries")
        .into_iter()
        .map(|d| (d.event, d.subject, d.webhook_id))
        .collect();
    assert_eq!(
        newest,
        vec![
            ("deployment.failed".to_string(), failed.id.clone(), everything.id.clone()),
            ("approval.decided".to_string(), request_id.clone(), everything.id.clone()),
        ]
    );
    assert_eq!(webhooks::deliveries(&db, None, None, 10).await.expect("deliveries").len(), 5);
    assert_eq!(webhooks::deliver_due(&db, &http, &callbacks).await.expect("deliver"), 2);
    let calls = seen.lock().expect("lock").clone();
    let sent = |event: &str| -> serde_json::Value {
        let call = calls.iter().rev().find(|c| c.0 == event).expect("sent");
        serde_json::from_slice(&call.2).expect("json")
    };
    assert_eq!(sent("deployment.failed")["reason"].as_str(), Some(failed.reason.as_str()));
    let decided = sent("approval.decided");
    assert_eq!(
        (decided["outcome"].as_str(), decided["requested_by"].as_str(), decided["decided_by"].as_str()),
        (Some("approved"), Some("creator@example.com"), Some("publisher@example.com"))
    );

    // A ping goes to the one webhook tested, signed like the rest.
    let ping = webhooks::ping(&db, &admin, &alerts_only.id).await.expect("ping");
    assert_eq!(
        (ping.event.as_str(), ping.webhook_id.as_str(), ping.status.as_str()),
        ("ping", alerts_only.id.as_str(), "pending")
    );
    assert!(matches!(webhooks::ping(&db, &publisher, &alerts_only.id).await, Err(DomainError::Forbidden(_))));
    assert!(matches!(webhooks::ping(&db, &admin, "no-such-hook").await, Err(DomainError::NotFound(_))));
    assert_eq!(webhooks::deliver_due(&db, &http, &callbacks).await.expect("deliver"), 1);
    let calls = seen.lock().expect("lock").clone();
    let (event, signature, body) = calls.last().expect("the ping");
    assert_eq!(event, "ping");
    assert_eq!(signature, &webhooks::signature(&alerts_only.secret, body));

    // Sent again: a new delivery of the same payload; the first keeps its outcome.
    let repeat = webhooks::redeliver(&db, &admin, &ping.id).await.expect("redeliver");
    assert_ne!(repeat.id, ping.id);
    assert_eq!((repeat.event.as_str(), repeat.status.as_str(), repeat.attempts), ("ping", "pending", 0));
    let pending = webhooks::redeliver(&db, &admin, &repeat.id).await;
    assert!(matches!(pending, Err(DomainError::Conflict(_))), "still being tried: {pending:?}");
    assert!(matches!(webhooks::redeliver(&db, &publisher, &ping.id).await, Err(DomainError::Forbidden(_))));
    assert_eq!(webhooks::deliver_due(&db, &http, &callbacks).await.expect("deliver"), 1);
    let calls = seen.lock().expect("lock").clone();
    let [.., first, again] = calls.as_slice() else { panic!("two pings: {calls:?}") };
    assert_eq!((again.0.as_str(), &again.2), ("ping", &first.2), "the same payload");
    let all = webhooks::deliveries(&db, None, None, 10).await.expect("deliveries");
    assert!(all.iter().filter(|d| d.event == "ping").all(|d| d.status == "delivered"), "{all:?}");
    // Narrowed to one webhook, or to a status.
    let tested = webhooks::deliveries(&db, Some(&alerts_only.id), None, 10).await.expect("one webhook's");
    assert_eq!(tested.iter().map(|d| d.event.as_str()).collect::<Vec<_>>(), ["ping", "ping"]);
    let delivered = webhooks::deliveries(&db, None, Some("delivered"), 10).await.expect("delivered");
    assert_eq!(delivered.len(), all.len(), "the receiver took every one");
    assert!(webhooks::deliveries(&db, None, Some("failed"), 10).await.expect("failed").is_empty());
    match webhooks::deliveries(&db, None, Some("lost"), 10).await {
        Err(DomainError::Invalid { field, .. }) => assert_eq!(field, "status"),
        other => panic!("an unknown status is refused: {other:?}"),
    }
    let logged = audit::list(&db, &Default::default()).await.expect("audit");
    assert!(logged.items.iter().any(|e| e.action == "webhook.redelivered"), "audited");
}

/// A webhook for some gateway groups hears their APIs' requests, decisions, releases and
/// lifecycle changes (the publish by a first approved deployment included) and nothing of
/// another group's or of an API in no group; a group that does not exist is refused by name.
async fn a_groups_webhook_hears_only_its_groups_events(db: Db) {
    let repo_dir = std::env::temp_dir().join(format!("gatehouse-gitops-{}", uuid::Uuid::new_v4()));
    let deployer = Deployer::new(db.clone(), repo_dir.join("gitops.git"));
    let admin = user(&db, "admin@example.com", Role::Admin).await;
    let creator = user(&db, "creator@example.com", Role::Creator).await;
    let publisher = user(&db, "publisher@example.com", Role::Publisher).await;
    groups::create(&db, &publisher, group("food-apis", GroupMode::Shared)).await.expect("group");
    groups::create(&db, &publisher, group("payments", GroupMode::Shared)).await.expect("group");
    let request = |groups: &[&str]| WebhookRequest {
        url: "http://127.0.0.1:9/hook".into(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        ..Default::default()
    };
    match webhooks::create(&db, &admin, &request(&["food-apis", "fod-apis"])).await {
        Err(DomainError::Invalid { field, message }) => {
            assert_eq!(field, "groups");
            assert!(message.contains("`fod-apis`"), "{message}");
        }
        other => panic!("an unknown group is refused: {other:?}"),
    }
    let food = webhooks::create(&db, &admin, &request(&["food-apis", " food-apis"])).await.expect("food's");
    let every = webhooks::create(&db, &admin, &request(&[])).await.expect("every group's");
    let listed = webhooks::list(&db).await.expect("list");
    assert_eq!(listed.len(), 2, "the refused one was not stored");
    let food_listed = listed.iter().find(|h| h.id == food.id).expect("listed");
    assert_eq!(
        (food_listed.groups.clone(), food_listed.groups_label()),
        (vec!["food-apis".to_string()], "food-apis".into())
    );

    let import = |title: &str, group: Option<&str>| {
        let (db, creator) = (&db, &creator);
        let (text, group) = (REVIEWS.replace("title: Reviews", &format!("title: {title}")), group.map(str::to_string));
        async move {
            let files = MemoryFiles::single("r.yaml", text.into_bytes());
            let api = apis::import(db, creator, ImportRequest { files: &files, entry: "r.yaml", context: None })
                .await
                .expect("import");
            if let Some(group) = group {
                groups::assign(db, creator, &api.id, &group).await.expect("assign");
            }
            api.id
        }
    };
    let reviews = import("Reviews", Some("food-apis")).await;
    let payments = import("Payments", Some("payments")).await;
    let drafts = import("Drafts", None).await;
    for api in [&reviews, &payments] {
        revisions::create(&db, &creator, api, "").await.expect("revision");
        let approval = deployer.submit(&creator, api, 1, "").await.expect("submit");
        deployer.approve(&publisher, &approval, "").await.expect("approve").deployment.expect("deployed");
    }
    // The first approved deployment published the two; the third is published by hand.
    let publish = LifecycleRequest { action: "publish".into(), ..Default::default() };
    lifecycle::change(&db, &publisher, &drafts, &publish).await.expect("publish");

    let heard = |hook: &str| {
        let (db, hook) = (&db, hook.to_string());
        async move {
            let mut heard: Vec<(String, String)> = webhooks::deliveries(db, Some(&hook), None, 100)
                .await
                .expect("deliveries")
                .into_iter()
                .map(|d| (d.event, d.subject))
                .collect();
            heard.sort();
            heard
        }
    };
    let food_heard = heard(&food.id).await;
    let events: Vec<&str> = food_heard.iter().map(|(event, _)| event.as_str()).collect();
    assert_eq!(events, ["api.lifecycle", "approval.decided", "approval.requested", "deployment.committed"]);
    assert!(food_heard.iter().any(|(event, subject)| event == "api.lifecycle" && subject == &reviews));
    // Every group's webhook hears both groups' and the API in no group's.
    assert_eq!(heard(&every.id).await.len(), 2 * 4 + 1);
    let logged = audit::list(&db, &Default::default()).await.expect("audit");
    assert!(logged.items.iter().any(|e| e.action == "webhook.created" && e.detail == "every event of food-apis"));
    let _ = std::fs::remove_dir_all(repo_dir);
}

db_tests!(
    deployments_are_posted_to_webhooks_signed_and_retried,
    webhooks_hear_their_events_and_deliveries_can_be_repeated,
    a_groups_webhook_hears_only_its_groups_events,
    an_applications_webhook_reaches_only_what_the_server_allows
);

/// Releases reach the GitOps remote (a real bare repository standing in for the Git host): a
/// deployment is marked once its branch and tag are there, a CD pipeline hears
/// `deployment.pushed`, a remote that moved the branch on its own refuses and is not
/// overwritten, the failure says why and is counted, and a push through once it is back in
/// line; credentials in the remote's URL appear nowhere.
async fn releases_are_pushed_to_the_gitops_remote(db: Db) {
    use gatehouse_domain::deploy::gitops::{GitOps, Remote, Signature};
    let dir = std::env::temp_dir().join(format!("gatehouse-gitops-{}", uuid::Uuid::new_v4()));
    let (repo, remote) = (dir.join("gitops.git"), dir.join("remote.git"));
    let init = Command::new("git").args(["init", "--bare", "--quiet"]).arg(&remote).output().expect("git init");
    assert!(init.status.success());
    let shown = remote.display().to_string();
    let deployer = Deployer::pushing_to(db.clone(), repo.clone(), Some(Remote::new(&shown).expect("remote")));
    let admin = user(&db, "admin@example.com", Role::Admin).await;
    let creator = user(&db, "creator@example.com", Role::Creator).await;
    let publisher = user(&db, "publisher@example.com", Role::Publisher).await;
    let hook = WebhookRequest {
        url: "http://127.0.0.1:9/hook".into(),
        events: vec!["deployment.pushed".into()],
        ..Default::default()
    };
    webhooks::create(&db, &admin, &hook).await.expect("webhook");
    let status = deployer.gitops_status(&creator).await.expect("status");
    assert_eq!((status.remote.as_deref(), status.waiting.len()), (Some(shown.as_str()), 0));
    let status = deployer.push_now(&publisher).await.expect("no release yet: nothing to push is no failure");
    assert!(status.last_error.is_empty() && status.last_pushed_at.is_some(), "{status:?}");

    groups::create(&db, &publisher, group("food-apis", GroupMode::Shared)).await.expect("group");
    let files = MemoryFiles::single("r.yaml", REVIEWS.as_bytes().to_vec());
    let api = apis::import(&db, &creator, ImportRequest { files: &files, entry: "r.yaml", context: None })
        .await
        .expect("import");
    groups::assign(&db, &creator, &api.id, "food-apis").await.expect("assign");
    let release = |n: i64| {
        let (db, deployer, creator, publisher, api) = (&db, &deployer, &creator, &publisher, &api.id);
        async move {
            if n > 1 {
                let v = apis::get(db, creator, api).await.expect("get").edit_version;
                let add =
                    OperationEdit::Add { method: "post".into(), path: format!("/reviews{n}"), summary: "Add".into() };
                edit::edit_operation(db, creator, api, &add, v).await.expect("edit");
            }
            revisions::create(db, creator, api, "").await.expect("revision");
            let request = deployer.submit(creator, api, n, "").await.expect("submit");
            deployer.approve(publisher, &request, "").await.expect("approve").deployment.expect("deployed")
        }
    };
    let first = release(1).await;
    assert_eq!(first.pushed, Some(false), "committed here, not on the remote yet");
    assert_eq!(deployer.gitops_status(&creator).await.expect("status").waiting, vec!["food-apis-v1.0.0"]);

    assert_eq!(deployer.push_releases().await.expect("pushed"), vec!["food-apis-v1.0.0"]);
    assert_eq!(git(&remote, &["rev-parse", "food-apis"]), git(&repo, &["rev-parse", "food-apis"]));
    assert_eq!(git(&remote, &["cat-file", "-t", "food-apis-v1.0.0"]).trim(), "tag", "the annotated tag itself");
    assert_eq!(deployer.deployment(&first.id).await.expect("deployment").pushed, Some(true));
    let status = deployer.gitops_status(&creator).await.expect("status");
    assert!(status.waiting.is_empty() && status.last_error.is_empty() && status.last_pushed_at.is_some(), "{status:?}");
    let payloads: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM webhook_deliveries WHERE event = 'deployment.pushed'")
            .fetch_all(&db.pool)
            .await
            .expect("deliveries");
    assert_eq!(payloads.len(), 1, "{payloads:?}");
    let payload: serde_json::Value = serde_json::from_str(&payloads[0]).expect("json");
    assert_eq!(payload["remote"], shown.as_str());
    assert_eq!((payload["group"].as_str(), payload["tag"].as_str()), (Some("food-apis"), Some("food-apis-v1.0.0")));
    assert_eq!(
        (&payload["commit"], &payload["deployment"]),
        (&first.commit.as_str().into(), &first.id.as_str().into())
    );
    assert_eq!(deployer.push_releases().await.expect("again"), Vec::<String>::new(), "nothing new");

    // Someone commits to the group's branch on the Git host itself: the next release is refused
    // there, and what they wrote stays.
    let theirs = GitOps::new(&remote)
        .commit(
            "food-apis",
            &[("README.md".to_string(), b"hand-made".to_vec())].into(),
            "by hand",
            &Signature { name: "Someone", email: "someone@example.com" },
        )
        .await
        .expect("commit on the remote");
    let second = release(2).await;
    assert_eq!(second.tag, "food-apis-v1.1.0");
    let refused = deployer.push_releases().await;
    match &refused {
        Err(DomainError::Upstream(message)) => {
            assert!(message.contains("refused refs/heads/food-apis") && message.contains("rejected"), "{message}")
        }
        other => panic!("expected the remote's refusal, got {other:?}"),
    }
    assert_eq!(git(&remote, &["rev-parse", "food-apis"]).trim(), theirs, "not overwritten");
    assert_eq!(deployer.deployment(&second.id).await.expect("deployment").pushed, Some(false));
    assert_eq!(second.status, DeploymentStatus::Committed, "the release itself stands: {second:?}");
    let status = deployer.gitops_status(&creator).await.expect("status");
    assert_eq!((status.waiting.clone(), status.failures), (vec!["food-apis-v1.1.0".to_string()], 1));
    assert!(status.last_error.contains("refs/heads/food-apis"), "{status:?}");
    assert!(matches!(deployer.push_now(&creator).await, Err(DomainError::Forbidden(_))), "a creator does not push");
    assert!(matches!(deployer.push_now(&publisher).await, Err(DomainError::Upstream(_))));
    assert_eq!(deployer.gitops_status(&creator).await.expect("status").failures, 2);

    // Back in line with this repository, the branch moves forward and the release arrives.
    git(&remote, &["update-ref", "refs/heads/food-apis", &first.commit]);
    let status = deployer.push_now(&publisher).await.expect("pushed");
    assert!(status.waiting.is_empty() && status.failures == 0 && status.last_error.is_empty(), "{status:?}");
    assert_eq!(git(&remote, &["rev-parse", "food-apis"]).trim(), second.commit);
    let logged = audit::list(&db, &Default::default()).await.expect("audit");
    let pushes: Vec<_> = logged.items.iter().filter(|e| e.action == "gitops.pushed").collect();
    assert_eq!(pushes.len(), 3, "each of the publisher's pushes: {pushes:?}");
    assert_eq!(pushes[0].detail, "food-apis-v1.1.0", "newest first");
    assert!(pushes[1].detail.contains("refused refs/heads/food-apis"), "{pushes:?}");
    assert_eq!(pushes[2].detail, "nothing was waiting");

    // Another remote has none of it yet; its URL's credentials are never shown or stored.
    let secret = "https://ci-bot:s3cr3t-token@127.0.0.1:1/gitops.git";
    let elsewhere = Deployer::pushing_to(db.clone(), repo.clone(), Some(Remote::new(secret).expect("remote")));
    let failed = elsewhere.push_now(&publisher).await.expect_err("nothing listens on port 1");
    let status = elsewhere.gitops_status(&creator).await.expect("status");
    assert_eq!(status.remote.as_deref(), Some("https://127.0.0.1:1/gitops.git"));
    assert_eq!(status.waiting, vec!["food-apis-v1.0.0", "food-apis-v1.1.0"]);
    let logged = audit::list(&db, &Default::default()).await.expect("audit");
    for text in [failed.to_string(), status.last_error, format!("{logged:?}")] {
        assert!(!text.contains("s3cr3t") && !text.contains("ci-bot"), "{text}");
    }
    assert_eq!(elsewhere.deployment(&second.id).await.expect("deployment").pushed, Some(false));

    let unmirrored = Deployer::new(db.clone(), repo);
    assert!(matches!(unmirrored.push_now(&publisher).await, Err(DomainError::Conflict(_))));
    assert_eq!(unmirrored.gitops_status(&creator).await.expect("status").remote, None);
    assert_eq!(unmirrored.deployment(&second.id).await.expect("deployment").pushed, None);
    let _ = std::fs::remove_dir_all(dir);
}

db_tests!(releases_are_pushed_to_the_gitops_remote);

/// Each bundle pull is a heartbeat: the group page lists the instance with the release it
/// serves and how it counts tiers, and the next heartbeat replaces both.
async fn heartbeats_report_releases_and_tier_counts(db: Db) {
    use gatehouse_contract::TierCounts;
    use gatehouse_domain::gateways;
    let publisher = user(&db, "publisher@example.com", Role::Publisher).await;
    groups::create(&db, &publisher, group("pets", GroupMode::Shared)).await.expect("group");
    let beat = |instance, version, api, tier_counts| gateways::Heartbeat {
        instance,
        version,
        api,
        started_at: 1,
        tier_counts,
        missing_secrets: &[],
    };
    gateways::report(&db, "pets", &beat("gw-a", "", "", TierCounts::StoreUnreachable)).await.expect("first heartbeat");
    gateways::report(&db, "pets", &beat("gw-b", "1.0.0", "", TierCounts::PerInstance)).await.expect("heartbeat");
    gateways::report(&db, "pets", &beat("gw-a", "1.0.0", "", TierCounts::Shared)).await.expect("second heartbeat");
    let mut listed: Vec<_> = gateways::instances(&db, "pets")
        .await
        .expect("instances")
        .into_iter()
        .map(|i| (i.instance, i.version, i.tier_counts, i.up))
        .collect();
    listed.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        listed,
        [
            ("gw-a".to_string(), "1.0.0".to_string(), TierCounts::Shared, true),
            ("gw-b".to_string(), "1.0.0".to_string(), TierCounts::PerInstance, true)
        ]
    );
    assert_eq!(gateways::live_on(&db, "pets", "1.0.0", None).await.expect("live"), (2, 2));
    // A private-jet gateway of another API, still on the previous release, says nothing of the
    // release of this API; it does count for a release of the whole group (settings).
    gateways::report(&db, "pets", &beat("gw-menu", "0.9.0", "menu", TierCounts::PerInstance)).await.expect("menu");
    assert_eq!(gateways::live_on(&db, "pets", "1.0.0", Some("orders")).await.expect("live"), (2, 2));
    assert_eq!(gateways::live_on(&db, "pets", "1.0.0", Some("menu")).await.expect("live"), (2, 3));
    assert_eq!(gateways::live_on(&db, "pets", "1.0.0", None).await.expect("live"), (2, 3));
    // Stopped on purpose, it is forgotten at once rather than left "up" until it times out.
    gateways::forget(&db, "pets", "gw-menu").await.expect("forget");
    assert_eq!(gateways::live_on(&db, "pets", "1.0.0", None).await.expect("live"), (2, 2));
    // A heartbeat of that run, in flight as it stopped, does not bring it back...
    gateways::report(&db, "pets", &beat("gw-menu", "0.9.0", "menu", TierCounts::PerInstance)).await.expect("late");
    assert_eq!(gateways::live_on(&db, "pets", "1.0.0", None).await.expect("live"), (2, 2));
    // ...but a new run under the same name (a container restarted in its pod) counts again.
    let restarted = gateways::Heartbeat { started_at: 2, ..beat("gw-menu", "1.0.0", "menu", TierCounts::PerInstance) };
    gateways::report(&db, "pets", &restarted).await.expect("restarted");
    assert_eq!(gateways::live_on(&db, "pets", "1.0.0", None).await.expect("live"), (3, 3));
    // An instance silent for over an hour (no longer listed) is dropped at the next sign-off.
    sqlx::query("UPDATE gateway_instances SET seen_at = seen_at - 7200000 WHERE instance = 'gw-b'")
        .execute(&db.pool)
        .await
        .expect("age");
    gateways::forget(&db, "pets", "gw-menu").await.expect("forget");
    let rows: Vec<String> = sqlx::query_scalar("SELECT instance FROM gateway_instances ORDER BY instance")
        .fetch_all(&db.pool)
        .await
        .expect("rows");
    assert_eq!(rows, ["gw-a", "gw-menu"]);
    let unnamed = gateways::report(&db, "pets", &beat("", "1.0.0", "", TierCounts::Shared)).await;
    assert!(matches!(unnamed, Err(DomainError::Invalid { .. })), "{unnamed:?}");
    // A gateway without a backend credential's secret says which; the group page lists it
    // until a heartbeat no longer names it.
    let missing = |names: &[String]| {
        let names = names.to_vec();
        let db = db.clone();
        async move {
            let beat = gateways::Heartbeat { missing_secrets: &names, ..beat("gw-a", "1.0.0", "", TierCounts::Shared) };
            gateways::report(&db, "pets", &beat).await?;
            let listed = gateways::instances(&db, "pets").await?;
            Ok::<_, DomainError>(listed.into_iter().find(|i| i.instance == "gw-a").map(|i| i.missing_secrets))
        }
    };
    let lacking = ["GATEWAY_BACKEND_SECRET_PETS".to_string(), "GATEWAY_BACKEND_SECRET_VETS".to_string()];
    assert_eq!(missing(&lacking).await.expect("reported"), Some(lacking.to_vec()));
    assert_eq!(missing(&[]).await.expect("reported"), Some(vec![]));
    // Only a backend credential's variable is listed: the page shows nothing else a gateway says.
    let other = ["GATEHOUSE_GATEWAY_TOKEN".to_string(), "<b>".to_string(), lacking[0].clone()];
    assert_eq!(missing(&other).await.expect("reported"), Some(vec![lacking[0].clone()]));
}

db_tests!(heartbeats_report_releases_and_tier_counts);

/// What the embedded supervisor finds keeping a local gateway from running is listed with its
/// group until it runs: a problem keeps when it was first found while it stays the same.
async fn local_gateway_problems_are_listed_with_their_group_until_cleared(db: Db) {
    use gatehouse_domain::gateways;
    let publisher = user(&db, "publisher@example.com", Role::Publisher).await;
    groups::create(&db, &publisher, group("jets", GroupMode::PrivateJet)).await.expect("group");
    groups::create(&db, &publisher, group("shared", GroupMode::Shared)).await.expect("group");
    let problems_of = |name: &'static str| {
        let db = db.clone();
        async move {
            let listed = groups::list(&db).await.expect("groups");
            listed.into_iter().find(|g| g.group.name == name).expect("listed").local_problems
        }
    };
    let busy = "port 8081 is in use by another program";
    gateways::record_local_problem(&db, "shared", None, 8081, busy).await.expect("record");
    gateways::record_local_problem(&db, "jets", Some("menu"), 8090, "the gateway exited (signal: 9)")
        .await
        .expect("record");
    let first = problems_of("shared").await;
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].api_id.as_str(), first[0].port, first[0].problem.as_str()), ("", 8081, busy));
    assert_eq!(problems_of("jets").await[0].api_id, "menu", "each group lists its own");
    // Found again at the next tick: the same problem, since the first time.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    gateways::record_local_problem(&db, "shared", None, 8081, busy).await.expect("again");
    assert_eq!(problems_of("shared").await, first);
    // Another problem is new.
    gateways::record_local_problem(&db, "shared", None, 8082, "port 8082 is in use by another program")
        .await
        .expect("other");
    let other = problems_of("shared").await;
    assert!(other[0].port == 8082 && other[0].since > first[0].since, "{other:?}");
    // It runs: gone. A starting supervisor clears what an earlier run found.
    gateways::clear_local_problem(&db, "shared", None).await.expect("runs");
    assert!(problems_of("shared").await.is_empty());
    gateways::clear_local_problems(&db).await.expect("clear");
    assert!(problems_of("jets").await.is_empty());
}

db_tests!(local_gateway_problems_are_listed_with_their_group_until_cleared);
