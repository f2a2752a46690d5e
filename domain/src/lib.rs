//! Gatehouse's domain: everything the UI, the REST API and the CLI share, with no web framework
//! in it. One function per behaviour; callers check rights, then call it once.

pub mod accounts;
pub mod apis;
pub mod application_webhooks;
pub mod applications;
pub mod audit;
pub mod deploy;
pub mod error;
pub mod gateways;
pub mod groups;
pub mod keys;
pub mod markdown;
pub mod openapi;
pub mod portal;
pub mod seed;
pub mod sessions;
pub mod settings;
pub mod store;
pub mod subscriptions;
pub mod throttle;
pub mod tiers;
pub mod tokens;

#[cfg(feature = "test-support")]
pub mod testing;

pub use error::{DomainError, Result};
pub use store::Db;

use gatehouse_contract::{Permission, Role};

/// Who is acting: a signed-in person or the holder of a personal access token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: String,
    pub email: String,
    pub role: Role,
}

impl Actor {
    /// Refuse with `Forbidden` unless the actor's role grants `permission`.
    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.role.can(permission) {
            Ok(())
        } else {
            Err(DomainError::Forbidden(format!("your role ({}) does not allow this", self.role.as_str())))
        }
    }
}
