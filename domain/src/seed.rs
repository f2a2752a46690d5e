//! Demo data for `make run`: one account per role. Idempotent: accounts that exist are left alone.

use crate::{Db, Result, accounts, audit};
use gatehouse_contract::Role;

pub const DEMO_DOMAIN: &str = "demo.gatehouse.local";

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
