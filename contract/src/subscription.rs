//! Subscription tiers, subscriptions of applications to APIs, and what gateways are told about
//! access that was taken away.

use crate::{LifecycleState, VersionRef};
use serde::{Deserialize, Serialize};

/// A subscription tier: how many requests per minute a subscription may make.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tier {
    pub name: String,
    /// Requests per minute per subscription; `null` for unlimited.
    pub requests_per_minute: Option<u32>,
    #[serde(default)]
    pub description: String,
    /// Subscribing with this tier waits until a publisher approves.
    #[serde(default)]
    pub needs_approval: bool,
}

impl Tier {
    /// "5000/min" or "unlimited".
    pub fn limit_label(&self) -> String {
        match self.requests_per_minute {
            Some(rpm) => format!("{rpm}/min"),
            None => "unlimited".into(),
        }
    }
}

/// Where a subscription stands, as the consumer and the gateways see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    /// Waiting for a publisher's approval (the tier needs it).
    Pending,
    /// Calls are allowed.
    Active,
    /// A publisher turned the request down.
    Rejected,
    /// The API is BLOCKED: calls are refused until it is re-published.
    Blocked,
    /// The API was published again requiring re-subscription; subscribe again to call it.
    ResubscriptionRequired,
    /// A publisher suspended this one subscription (the comment says why): calls are refused
    /// until they resume it.
    Suspended,
    /// The API is RETIRED: calls are refused for good; a newer version takes subscriptions.
    Retired,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Pending => "pending",
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::Rejected => "rejected",
            SubscriptionStatus::Blocked => "blocked",
            SubscriptionStatus::ResubscriptionRequired => "resubscription_required",
            SubscriptionStatus::Suspended => "suspended",
            SubscriptionStatus::Retired => "retired",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SubscriptionStatus::Pending => "waiting for approval",
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::Rejected => "rejected",
            SubscriptionStatus::Blocked => "API blocked",
            SubscriptionStatus::ResubscriptionRequired => "subscribe again",
            SubscriptionStatus::Suspended => "suspended by a publisher",
            SubscriptionStatus::Retired => "API retired",
        }
    }
}

/// A subscription of an application to an API with a tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subscription {
    pub id: String,
    pub application_id: String,
    pub application_name: String,
    /// Email of the application's owner: who a publisher deals with.
    #[serde(default)]
    pub consumer: String,
    pub api_id: String,
    pub api_name: String,
    pub api_version: String,
    pub api_context: String,
    /// Where the API is in its lifecycle: a DEPRECATED API still takes its subscribers' calls,
    /// and its consumers should move on.
    pub api_state: LifecycleState,
    /// The newest published version of the same API, when it is newer than this one: where its
    /// consumers move to. Only in a consumer's own list (`GET /api/v1/subscriptions`).
    #[serde(default)]
    pub newer_version: Option<VersionRef>,
    pub tier: String,
    pub status: SubscriptionStatus,
    /// A tier the consumer asked to move to, waiting for a publisher's approval; calls go on
    /// at `tier` meanwhile.
    #[serde(default)]
    pub requested_tier: Option<String>,
    /// The publisher's comment when the request was decided.
    pub comment: String,
    pub created_at: i64,
    pub activated_at: Option<i64>,
}

impl Subscription {
    /// What its owner should know and act on, if anything — the API on its way out or gone,
    /// calls refused — said for their start page. A request waiting for approval needs nothing
    /// from them.
    pub fn attention(&self) -> Option<String> {
        let api = format!("{} {}", self.api_name, self.api_version);
        let newer = self.newer_version.as_ref().map(|v| format!("; version {} is out", v.version)).unwrap_or_default();
        match self.status {
            SubscriptionStatus::Active if self.api_state == LifecycleState::Deprecated => {
                Some(format!("{api} is deprecated: move before it is retired{newer}"))
            }
            SubscriptionStatus::Active | SubscriptionStatus::Pending => None,
            SubscriptionStatus::Retired => Some(format!("{api} is retired: its calls are refused{newer}")),
            SubscriptionStatus::Blocked => {
                Some(format!("{api} is blocked by its publisher: calls are refused until it is published again"))
            }
            SubscriptionStatus::ResubscriptionRequired => {
                Some(format!("{api} was published again: subscribe again to call it"))
            }
            SubscriptionStatus::Suspended if self.comment.is_empty() => {
                Some(format!("a publisher suspended the subscription to {api}"))
            }
            SubscriptionStatus::Suspended => {
                Some(format!("a publisher suspended the subscription to {api}: {}", self.comment))
            }
            SubscriptionStatus::Rejected => Some(format!("a publisher turned down tier {} for {api}", self.tier)),
        }
    }

    /// "Gold", or "Bronze (asked for Gold)" while a tier change waits for approval.
    pub fn tier_label(&self) -> String {
        match &self.requested_tier {
            Some(asked) => format!("{} (asked for {asked})", self.tier),
            None => self.tier.clone(),
        }
    }
}

/// `POST /api/v1/subscriptions/{id}/suspend`: why a publisher stops one application's calls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suspension {
    /// Shown to the consumer and kept in the audit log.
    pub reason: String,
}

/// `PATCH /api/v1/subscriptions/{id}`: move an active subscription to another tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TierChange {
    pub tier: String,
}

/// `POST /api/v1/subscriptions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewSubscription {
    pub application_id: String,
    pub api_id: String,
    pub tier: String,
}

/// What an access token says an application may call: one entry per active subscription.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionClaim {
    pub api_id: String,
    pub tier: String,
}

/// Access taken away: a gateway refuses any token issued for `subject` at or before
/// `revoked_at` (Unix ms). Subjects: `client:<client id>`, `application:<id>`,
/// `subscription:<application id>/<api id>`, `api:<id>` (re-subscription required).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revocation {
    pub subject: String,
    pub revoked_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscription(status: SubscriptionStatus, api_state: LifecycleState) -> Subscription {
        Subscription {
            id: "s".into(),
            application_id: "a".into(),
            application_name: "Shop".into(),
            consumer: "ann@example.com".into(),
            api_id: "p".into(),
            api_name: "Pets".into(),
            api_version: "1.0.0".into(),
            api_context: "/pets/v1".into(),
            api_state,
            newer_version: None,
            tier: "Gold".into(),
            status,
            requested_tier: None,
            comment: String::new(),
            created_at: 0,
            activated_at: Some(0),
        }
    }

    #[test]
    fn attention_is_asked_only_where_the_owner_has_something_to_do() {
        use LifecycleState as L;
        use SubscriptionStatus as S;
        assert_eq!(subscription(S::Active, L::Published).attention(), None);
        assert_eq!(subscription(S::Pending, L::Published).attention(), None);
        let mut deprecated = subscription(S::Active, L::Deprecated);
        assert_eq!(deprecated.attention().as_deref(), Some("Pets 1.0.0 is deprecated: move before it is retired"));
        deprecated.newer_version = Some(VersionRef { id: "n".into(), version: "2.0.0".into(), state: L::Published });
        assert_eq!(
            deprecated.attention().as_deref(),
            Some("Pets 1.0.0 is deprecated: move before it is retired; version 2.0.0 is out")
        );
        assert_eq!(
            subscription(S::Retired, L::Retired).attention().as_deref(),
            Some("Pets 1.0.0 is retired: its calls are refused")
        );
        let suspended = Subscription { comment: "scraping".into(), ..subscription(S::Suspended, L::Published) };
        assert_eq!(
            suspended.attention().as_deref(),
            Some("a publisher suspended the subscription to Pets 1.0.0: scraping")
        );
        for status in [S::Blocked, S::ResubscriptionRequired, S::Rejected] {
            assert!(subscription(status, L::Published).attention().is_some(), "{status:?}");
        }
    }
}
