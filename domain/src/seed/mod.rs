//! Demo data for `make run`: one account per role, a gateway group and a sample API deployed
//! to it. Idempotent: what exists is left alone.

use crate::apis::{self, ImportRequest, docs, lifecycle, revisions};
use crate::deploy::Deployer;
use crate::openapi::files::MemoryFiles;
use crate::{Actor, Db, DomainError, Result, accounts, audit, groups};
use gatehouse_contract::{
    ApiSettings, AuthKind, Deployment, GatewayGroup, GroupKind, GroupMode, LifecycleRequest, Role,
};

pub const DEMO_DOMAIN: &str = "demo.gatehouse.local";
/// The demo's gateway group: approving an API for it makes the API callable at once through the
/// local gateway `gatehouse serve` runs for it.
pub const DEMO_GROUP: &str = "demo";

/// One freshly created demo account and its password (printed once, never stored in clear).
pub struct DemoAccount {
    pub email: String,
    pub role: Role,
    pub password: String,
}

fn demo_email(role: Role) -> String {
    format!("{}@{DEMO_DOMAIN}", role.as_str())
}

/// The demo account of `role`, as an actor (what the demo's seeds act as).
pub async fn demo_account(db: &Db, role: Role) -> Result<Actor> {
    accounts::actor_by_email(db, &demo_email(role)).await
}

/// Create the demo accounts that do not exist yet; returns only the ones created now.
pub async fn seed_demo_users(db: &Db) -> Result<Vec<DemoAccount>> {
    let mut created = Vec::new();
    for role in Role::ALL {
        let email = demo_email(role);
        if accounts::actor_by_email(db, &email).await.is_ok() {
            continue;
        }
        let password = accounts::generate_password();
        accounts::create_user(db, audit::SYSTEM, &email, &password, role).await?;
        created.push(DemoAccount { email, role, password });
    }
    Ok(created)
}

/// Create the demo gateway group (shared mode, the first local gateway port) when there is no
/// group yet, as the demo publisher; returns it when created now. An installation that has
/// groups — the demo's or its own — is left as it is.
pub async fn seed_demo_group(db: &Db) -> Result<Option<GatewayGroup>> {
    if groups::any(db).await? {
        return Ok(None);
    }
    let publisher = demo_account(db, Role::Publisher).await?;
    // The demo's gateway must serve at once on a fresh machine, where another program may well
    // hold 8081: the first local port from there that none does.
    let port = (groups::FIRST_LOCAL_PORT..groups::FIRST_LOCAL_PORT + 100)
        .find(|port| groups::local_ports_unavailable(*port).is_none());
    let group = GatewayGroup {
        name: DEMO_GROUP.into(),
        kind: GroupKind::Functional,
        regions: Vec::new(),
        mode: GroupMode::Shared,
        host: DEMO_DOMAIN.into(),
        port,
        replicas_min: 1,
        replicas_max: 3,
        cpu_target: 50,
        image: gatehouse_contract::default_image(),
    };
    groups::create(db, &publisher, group).await.map(Some)
}

/// The demo's sample API: a definition whose every operation has an example.
const SAMPLE_API: &str = include_str!("pizza-shack.yaml");
const SAMPLE_NAME: (&str, &str) = ("Pizza Shack", "1.0.0");
const SAMPLE_CONTEXT: &str = "/pizzashack/v1";
const SAMPLE_GUIDE: &str = "\
Pizza Shack is a **prototype**: the demo gateway answers each operation from the examples in its \
definition, with no backend behind it and no credential asked for.

1. Signed in (*Sign up* makes a consumer account), open an operation under *Reference* and \
   press **Try it**: the call goes through the demo gateway, and the answer is the operation's \
   example.
2. The call is counted: it shows in *Analytics* a few seconds later.
3. When a backend exists, the API's creator sets its endpoint and a publisher publishes it. \
   From then on the gateway asks for an access token of a subscribed application: create an \
   application under *Applications*, subscribe it here with a tier, and try again.
4. Orders need the token to hold a scope: `orders:read` to follow one, `orders:write` to place, \
   change or cancel one. A token holds both unless its client asks for fewer \
   (`scope=orders:read` at the token endpoint).
";

/// Put the sample API through the loop a person would — the demo creator imports it, makes it a
/// prototype, documents it, cuts revision 1 and submits it for the demo group; the demo
/// publisher approves — so the demo's first release is a real deployment (committed, tagged,
/// served by the group's gateway) and the portal has an API to try. Returns the deployment, or
/// `None` when the sample exists already or there is no demo group.
pub async fn seed_demo_api(db: &Db, deployer: &Deployer) -> Result<Option<Deployment>> {
    let (name, version) = SAMPLE_NAME;
    if apis::id_by_name(&mut *db.pool.acquire().await?, name, version).await?.is_some() {
        return Ok(None);
    }
    match groups::get(db, DEMO_GROUP).await {
        Err(DomainError::NotFound(_)) => return Ok(None),
        other => other?,
    };
    let creator = demo_account(db, Role::Creator).await?;
    let publisher = demo_account(db, Role::Publisher).await?;
    let files = MemoryFiles::single("pizza-shack.yaml", SAMPLE_API.as_bytes().to_vec());
    let request = ImportRequest { files: &files, entry: "pizza-shack.yaml", context: Some(SAMPLE_CONTEXT.into()) };
    let id = apis::import(db, &creator, request).await?.id;
    // Orders take the scopes the definition names (import carried them over); only an access
    // token holds scopes, so the sample takes no API key, which would pass without them.
    let detail = apis::get(db, &creator, &id).await?;
    let mut policies = detail.policies.clone();
    policies.security = vec![AuthKind::Oauth2];
    let settings = ApiSettings {
        context: detail.summary.context,
        description: detail.summary.description,
        tags: detail.summary.tags,
        visibility: detail.visibility,
        endpoints: detail.endpoints,
        policies,
    };
    apis::save_settings(db, &creator, &id, settings, detail.edit_version).await?;
    docs::save(db, &creator, &id, None, "Getting started", SAMPLE_GUIDE).await?;
    let prototype = LifecycleRequest {
        action: "prototype".into(),
        comment: "Demo: try it before the backend exists".into(),
        ..Default::default()
    };
    lifecycle::change(db, &creator, &id, &prototype).await?;
    groups::assign(db, &creator, &id, DEMO_GROUP).await?;
    let revision = revisions::create(db, &creator, &id, "Demo: first revision").await?;
    let approval = deployer.submit(&creator, &id, revision, "Demo: the sample API's first release").await?;
    let outcome = deployer.approve(&publisher, &approval, "Demo: approved when the demo was set up").await?;
    let deployment = outcome
        .deployment
        .ok_or_else(|| DomainError::Internal("approving the sample API made no deployment".into()))?;
    submit_next_revision(db, deployer, &creator, &id).await?;
    Ok(Some(deployment))
}

/// The operation the demo creator adds after the first release: one pizza of the menu, with an
/// example the prototype answers from.
const NEXT_OPERATION: &str = r##"{
  "get": {
    "tags": ["Menu"],
    "operationId": "getPizza",
    "summary": "One pizza of the menu",
    "description": "A pizza of today's menu by its name, with its price in euros.",
    "parameters": [
      { "name": "name", "in": "path", "required": true, "schema": { "type": "string" }, "example": "Margherita" }
    ],
    "responses": {
      "200": {
        "description": "The pizza",
        "content": {
          "application/json": {
            "schema": { "$ref": "#/components/schemas/MenuItem" },
            "example": { "name": "Margherita", "description": "Tomato, mozzarella, basil", "price": 9.5, "vegetarian": true }
          }
        }
      },
      "404": { "description": "Not on today's menu" }
    }
  }
}"##;

/// The demo creator's next change — `GET /menu/{name}`, cut as revision 2 and submitted — left
/// in the demo publisher's queue, so the review and a release can be tried at once.
async fn submit_next_revision(db: &Db, deployer: &Deployer, creator: &Actor, id: &str) -> Result<()> {
    let current = apis::source(db, creator, id).await?;
    let mut document = crate::openapi::parse::parse(&current.source)
        .map_err(|e| DomainError::Internal(format!("the sample API does not parse: {}", e.message)))?
        .value;
    let operation: serde_json::Value = serde_json::from_str(NEXT_OPERATION)
        .map_err(|e| DomainError::Internal(format!("the sample's next operation: {e}")))?;
    document
        .get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
        .ok_or_else(|| DomainError::Internal("the sample API has no paths".into()))?
        .insert("/menu/{name}".into(), operation);
    let source = crate::openapi::emit::to_text(&document, current.source_format);
    apis::save_source(db, creator, id, &source, current.edit_version).await?;
    let revision = revisions::create(db, creator, id, "Demo: one pizza by its name").await?;
    deployer.submit(creator, id, revision, "Demo: adds GET /menu/{name}, waiting for a publisher").await?;
    Ok(())
}
