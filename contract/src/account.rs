//! Accounts, roles, personal access tokens and the audit log as clients see them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Shortest password accepted at sign-up (NIST SP 800-63B asks for at least 8).
pub const MIN_PASSWORD_LEN: usize = 10;

/// A person's role. Each role grants a fixed set of [`Permission`]s (see [`Role::can`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Publisher,
    Creator,
    Consumer,
}

/// Something a caller may be allowed to do. Checked by every server function and REST handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Browse the developer portal, manage one's own applications and tokens.
    UsePortal,
    /// Design APIs: import, edit, cut revisions, submit for review.
    DesignApis,
    /// Review submitted revisions, run the lifecycle, manage gateway groups and tiers.
    ReviewApis,
    /// See analytics (scoped to what the caller owns unless they may review).
    ViewAnalytics,
    /// Manage users and roles, read the audit log, change settings.
    Administer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Publisher, Role::Creator, Role::Consumer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Publisher => "publisher",
            Role::Creator => "creator",
            Role::Consumer => "consumer",
        }
    }

    /// Human label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Publisher => "Publisher",
            Role::Creator => "Creator",
            Role::Consumer => "Consumer",
        }
    }

    /// The one table of who may do what. Publishers review but a creator's own work is kept
    /// from them by the approval rules, not here.
    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Publisher => matches!(permission, UsePortal | DesignApis | ReviewApis | ViewAnalytics),
            Role::Creator => matches!(permission, UsePortal | DesignApis | ViewAnalytics),
            Role::Consumer => matches!(permission, UsePortal | ViewAnalytics),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of the four role names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRole(pub String);

impl fmt::Display for UnknownRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown role `{}`: expected admin, publisher, creator or consumer", self.0)
    }
}

impl std::error::Error for UnknownRole {}

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "publisher" => Ok(Role::Publisher),
            "creator" => Ok(Role::Creator),
            "consumer" => Ok(Role::Consumer),
            _ => Err(UnknownRole(s.to_string())),
        }
    }
}

/// The signed-in caller, as `GET /api/v1/me` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub email: String,
    pub role: Role,
}

/// One account in the admin's user list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserSummary {
    pub id: String,
    pub email: String,
    pub role: Role,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Gatehouse's own account, which owns the management API's portal listing: nobody signs
    /// in as it and its role cannot be changed.
    #[serde(default)]
    pub system: bool,
    /// Disabled by an admin: cannot sign in, and its tokens and credentials no longer work.
    #[serde(default)]
    pub disabled: bool,
    /// API versions the account owns, retired ones aside (in lists; 0 elsewhere).
    #[serde(default)]
    pub owned_apis: i64,
}

/// An account an admin added, with its first password: shown this once, for the admin to pass
/// on (the person changes it under Account → Password).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewAccount {
    pub user: UserSummary,
    pub password: String,
}

/// A password an admin reset, shown this once for the admin to pass on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetPassword {
    pub email: String,
    pub password: String,
}

/// Who may create their own account on the sign-up page (always as a consumer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SignUpMode {
    /// Anyone with an email address.
    #[default]
    Open,
    /// Only addresses at one of [`SignUpPolicy::domains`].
    Domains,
    /// Nobody: admins add accounts.
    Closed,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignUpPolicy {
    pub mode: SignUpMode,
    /// Email domains (`example.com`) sign-up is open to in `domains` mode; kept, unused, in the
    /// other modes so switching back needs no retyping.
    #[serde(default)]
    pub domains: Vec<String>,
}

/// What an admin changes while Gatehouse runs (Admin → Settings, `/api/v1/settings`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Settings {
    pub sign_up: SignUpPolicy,
}

/// A personal access token as listed; the secret itself is never shown again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenSummary {
    pub id: String,
    pub name: String,
    /// The first characters of the token, enough to recognise it.
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A newly created personal access token: the only time its secret is visible.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewToken {
    pub id: String,
    pub name: String,
    pub token: String,
}

/// Which audit log entries to list, newest first: each filter given narrows the list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
pub struct AuditQuery {
    /// Part of the actor's email (or `system`), in any case.
    #[serde(default)]
    pub actor: Option<String>,
    /// An action, or how it starts: `api.` lists everything done to APIs.
    #[serde(default)]
    pub action: Option<String>,
    /// Part of the target (an email, an API's name and version, a group), in any case.
    #[serde(default)]
    pub target: Option<String>,
    /// From this instant on (Unix milliseconds).
    #[serde(default)]
    pub from: Option<i64>,
    /// Before this instant (Unix milliseconds).
    #[serde(default)]
    pub to: Option<i64>,
    /// At most this many entries (1 to 500; 100 when not given).
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub offset: Option<i64>,
}

/// One line of the audit log: who did what, to what, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: String,
    /// Unix milliseconds.
    pub at: i64,
    /// Email of the actor, or `system` for the server itself.
    pub actor: String,
    /// Dotted action name, e.g. `user.sign_in` or `user.role_changed`.
    pub action: String,
    /// What the action was applied to (an email, a token name, an API).
    pub target: String,
    pub detail: String,
}

/// A page of results with the total count for pagination.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn consumer_cannot_design_or_administer() {
        assert!(!Role::Consumer.can(Permission::DesignApis));
        assert!(!Role::Consumer.can(Permission::Administer));
        assert!(Role::Creator.can(Permission::DesignApis));
        assert!(!Role::Creator.can(Permission::ReviewApis));
        assert!(Role::Publisher.can(Permission::ReviewApis));
        assert!(!Role::Publisher.can(Permission::Administer));
        assert!(Role::Admin.can(Permission::Administer));
    }
}
