//! Demo data for `make run`: one account per role and a gateway group. Idempotent: what exists
//! is left alone.

use crate::{Db, Result, accounts, audit, groups};
use gatehouse_contract::{GatewayGroup, GroupKind, GroupMode, Role};

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

/// Create the demo accounts that do not exist yet; returns only the ones created now.
pub async fn seed_demo_users(db: &Db) -> Result<Vec<DemoAccount>> {
    let mut created = Vec::new();
    for role in Role::ALL {
        let email = format!("{}@{DEMO_DOMAIN}", role.as_str());
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
    let publisher = accounts::actor_by_email(db, &format!("{}@{DEMO_DOMAIN}", Role::Publisher.as_str())).await?;
    let group = GatewayGroup {
        name: DEMO_GROUP.into(),
        kind: GroupKind::Functional,
        regions: Vec::new(),
        mode: GroupMode::Shared,
        host: DEMO_DOMAIN.into(),
        port: None,
        replicas_min: 1,
        replicas_max: 3,
        cpu_target: 50,
        image: gatehouse_contract::default_image(),
    };
    groups::create(db, &publisher, group).await.map(Some)
}
