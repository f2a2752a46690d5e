//! What the microgateway and the management plane say to each other: the claims of the access
//! tokens gateways verify offline, the analytics event each request produces, and the answer
//! to a batch of events.

use crate::SubscriptionClaim;
use serde::{Deserialize, Serialize};

/// The claims of an access token from `/oauth2/token`: self-contained, so a gateway decides
/// without calling back (as WSO2's self-contained tokens do).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The OAuth2 client id.
    pub sub: String,
    pub iat: i64,
    /// When the token was issued, in Unix milliseconds (a private claim): gateways order it
    /// against a revocation (also in milliseconds) exactly. A token without it is ordered by
    /// `iat`, in seconds, erring on the side of refusing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat_ms: Option<i64>,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    pub application_id: String,
    #[serde(default)]
    pub application_name: String,
    /// Email of the application's owner.
    #[serde(default)]
    pub consumer: String,
    /// production or sandbox.
    pub key_type: String,
    pub subscriptions: Vec<SubscriptionClaim>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// Why a request did not reach (or came back badly from) a backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    /// Missing, invalid, expired or revoked credential (401).
    AuthFailure,
    /// Valid credential, but the application is not subscribed (403).
    NotSubscribed,
    /// A valid access token without a scope the operation requires (403).
    InsufficientScope,
    /// Over the subscription's tier (429).
    Throttled,
    /// The backend could not be reached or timed out (502/504).
    BackendUnreachable,
    /// No API or operation matches (404/405).
    NoRoute,
    /// The API is BLOCKED (503).
    Blocked,
    /// The call does not fit the operation's definition, which the API has its gateways check
    /// (400, or 415 for a body of a media type the operation does not take).
    InvalidRequest,
    /// The caller's address is not one the API takes calls from (403).
    AddressDenied,
}

impl ErrorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::AuthFailure => "auth_failure",
            ErrorType::NotSubscribed => "not_subscribed",
            ErrorType::InsufficientScope => "insufficient_scope",
            ErrorType::Throttled => "throttled",
            ErrorType::BackendUnreachable => "backend_unreachable",
            ErrorType::NoRoute => "no_route",
            ErrorType::Blocked => "blocked",
            ErrorType::InvalidRequest => "invalid_request",
            ErrorType::AddressDenied => "address_denied",
        }
    }
}

/// One request through a gateway (fields modelled on WSO2's analytics events). In JSON, an
/// object or an array of the fields in this order, which is how gateways send them: the field
/// order is part of the wire format.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GatewayEvent {
    /// Unique per request: ingest ignores an id it has seen, so retries never double count.
    pub event_id: String,
    /// When the request arrived (Unix ms).
    pub timestamp: i64,
    pub correlation_id: String,
    pub api_id: String,
    pub api_name: String,
    pub api_version: String,
    pub api_context: String,
    pub method: String,
    /// The resource template matched, e.g. `/pets/{petId}`; empty when none matched.
    pub resource: String,
    pub application_id: String,
    pub application_name: String,
    pub consumer: String,
    /// production or sandbox; empty for open operations.
    pub key_type: String,
    pub tier: String,
    pub group: String,
    pub instance: String,
    pub region: String,
    /// The status the gateway answered with.
    pub status: u16,
    /// The backend's status, when a backend answered.
    pub backend_status: Option<u16>,
    /// Total time in the gateway (ms, fractional).
    pub latency_ms: f64,
    /// Time waiting for the backend (ms), when one was called.
    pub backend_latency_ms: Option<f64>,
    pub request_bytes: u64,
    pub response_bytes: u64,
    pub user_agent: String,
    pub error: Option<ErrorType>,
}

/// The answer to a batch of events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IngestReceipt {
    /// Events stored now.
    pub accepted: u64,
    /// Events already stored before (a retry).
    pub duplicates: u64,
}

/// A new gateway credential: the only time its token is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewGatewayCredential {
    pub id: String,
    pub group: String,
    pub token: String,
    /// The `kubectl` command that puts the token, and this server's address, in the Secret the
    /// group's manifests read (`gw-<group>-management`): its gateways then pull access changes,
    /// report what they serve and send their events. `"$GATEHOUSE_URL"` stands for the address
    /// when the server has no public URL configured.
    pub kubernetes_secret: String,
}

/// A gateway credential as listed: never its token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GatewayCredential {
    pub id: String,
    pub group: String,
    /// The token's first characters, to recognise it by.
    pub prefix: String,
    /// Who created it, or `embedded` for the one `gatehouse serve` gives its local gateway.
    pub label: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A gateway instance as last reported by its bundle pulls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GatewayInstance {
    pub instance: String,
    /// The release version it serves; empty before its first bundle.
    pub version: String,
    pub started_at: i64,
    pub seen_at: i64,
    /// Reported within the heartbeat timeout.
    pub up: bool,
    /// How it counts its tiers, as of its last heartbeat.
    pub tier_counts: TierCounts,
    /// The one API it serves (a private-jet gateway), or empty for every API of its group.
    #[serde(default)]
    pub api_id: String,
    /// The variables of backend credentials it has no usable value for
    /// (`GATEWAY_BACKEND_SECRET_PETSTORE`): it answers those APIs' calls 503.
    #[serde(default)]
    pub missing_secrets: Vec<String>,
}

/// How a gateway instance counts the requests its tiers allow: on its own, or together with
/// the group's other instances through a shared store (`--rate-limit-store`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TierCounts {
    /// No shared store is configured: each instance admits a whole tier.
    #[default]
    PerInstance,
    /// The instance's last sync with the shared store succeeded.
    Shared,
    /// A shared store is configured but its last sync failed: counted per instance until it
    /// answers again.
    StoreUnreachable,
}

impl TierCounts {
    pub const ALL: [TierCounts; 3] = [TierCounts::PerInstance, TierCounts::Shared, TierCounts::StoreUnreachable];

    /// The name in JSON, in the `X-Gateway-Tier-Counts` heartbeat header and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            TierCounts::PerInstance => "per_instance",
            TierCounts::Shared => "shared",
            TierCounts::StoreUnreachable => "store_unreachable",
        }
    }

    pub fn parse(s: &str) -> Option<TierCounts> {
        TierCounts::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            TierCounts::PerInstance => "per instance",
            TierCounts::Shared => "shared",
            TierCounts::StoreUnreachable => "per instance: shared store unreachable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TierCounts;

    #[test]
    fn tier_counts_have_one_name_in_json_headers_and_the_database() {
        for counts in TierCounts::ALL {
            assert_eq!(serde_json::to_string(&counts).expect("json"), format!("\"{}\"", counts.as_str()));
            assert_eq!(TierCounts::parse(counts.as_str()), Some(counts));
        }
        assert_eq!(TierCounts::parse("Shared"), None);
    }
}
