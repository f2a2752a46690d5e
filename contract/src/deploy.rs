//! Gateway groups, approval requests, deployments, and the bundle a group's gateways load.

use crate::api::{ApiDiff, AuthKind, Cors, Endpoints, IpFilter, LifecycleState};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum GroupMode {
    /// One gateway serves every API of the group.
    #[default]
    Shared,
    /// A dedicated gateway per API.
    PrivateJet,
    /// The gateway runs as a container in each backend's pod.
    Sidecar,
}

impl GroupMode {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupMode::Shared => "shared",
            GroupMode::PrivateJet => "private-jet",
            GroupMode::Sidecar => "sidecar",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum GroupKind {
    #[default]
    Functional,
    Regional,
}

impl GroupKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupKind::Functional => "functional",
            GroupKind::Regional => "regional",
        }
    }
}

/// A gateway group: the APIs one (set of) microgateway(s) serves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GatewayGroup {
    /// A valid git branch and Kubernetes name: lower-case letters, digits and `-`.
    pub name: String,
    #[serde(default)]
    pub kind: GroupKind,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub mode: GroupMode,
    /// Ingress host, e.g. `food.example.com`.
    pub host: String,
    /// Port of the embedded (local) gateway.
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default = "default_min")]
    pub replicas_min: u32,
    #[serde(default = "default_max")]
    pub replicas_max: u32,
    /// Average CPU utilisation (%) the autoscaler keeps.
    #[serde(default = "default_cpu")]
    pub cpu_target: u32,
    #[serde(default = "default_image")]
    pub image: String,
}

fn default_min() -> u32 {
    1
}
fn default_max() -> u32 {
    5
}
fn default_cpu() -> u32 {
    50
}
pub fn default_image() -> String {
    "ghcr.io/gatehouse/gateway:0.1".into()
}

/// A group's release tag in the GitOps repository: `<group>-v<major>.<minor>.<patch>`, the
/// version being the one a gateway reports serving.
pub fn release_tag(group: &str, version: &str) -> String {
    format!("{group}-v{version}")
}

/// The Kubernetes Secret a group's gateways read their backend credentials' secrets from, one
/// key per secret name (a group's name is already a DNS label): `gw-food-apis-backend-secrets`.
pub fn backend_secrets(group: &str) -> String {
    format!("gw-{group}-backend-secrets")
}

/// A group as listed, with what it serves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupSummary {
    #[serde(flatten)]
    pub group: GatewayGroup,
    pub apis: Vec<LiveApi>,
    /// The newest tag, e.g. `food-apis-v1.2.0`.
    pub tag: Option<String>,
    /// What keeps this machine's gateways of the group from serving, as the embedded supervisor
    /// last found it (a port another program holds, a gateway that keeps exiting); empty while
    /// they run.
    #[serde(default)]
    pub local_problems: Vec<LocalGatewayProblem>,
    /// The folder of the group's branch that each region's cluster applies
    /// (`regions/<region>`, its gateways reporting the region); empty without regions.
    #[serde(default)]
    pub region_overlays: Vec<RegionOverlay>,
}

/// Where in the group's branch a region's cluster finds its manifests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegionOverlay {
    pub region: String,
    /// e.g. `regions/eu-west`.
    pub path: String,
}

/// A local gateway that the embedded supervisor cannot keep running, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocalGatewayProblem {
    /// The one API it would serve (private-jet mode), or empty for every API of the group.
    pub api_id: String,
    pub port: u16,
    /// e.g. "port 8081 is in use by another program".
    pub problem: String,
    /// Unix ms when it was first found.
    pub since: i64,
}

/// An API assigned to a group and the revision live there (if any).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveApi {
    pub api_id: String,
    pub name: String,
    pub version: String,
    pub context: String,
    pub state: LifecycleState,
    pub live_revision: Option<i64>,
    /// The revisions released to this group before (newest first): what a rollback may return to.
    #[serde(default)]
    pub released_revisions: Vec<i64>,
    /// Where this machine's gateway serves it: the group's port, or in private-jet mode the
    /// API's own (none before its first release there).
    #[serde(default)]
    pub local_port: Option<u16>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Rejected,
}

impl ApprovalStatus {
    /// As the API spells it: `pending`, `approved`, `rejected`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalStatus::Pending => "pending",
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Rejected => "rejected",
        }
    }
}

/// A request in the publishers' queue and the decision on it: deploy a revision of an API to its
/// group (`kind = revision`), or let an application use a tier that needs approval
/// (`kind = subscription`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Approval {
    pub id: String,
    pub kind: String,
    pub api_id: String,
    pub api_name: String,
    pub api_version: String,
    pub revision: i64,
    pub group: String,
    pub mode: GroupMode,
    pub host: String,
    pub note: String,
    pub requested_by: String,
    pub requested_at: i64,
    pub status: ApprovalStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub comment: String,
    pub deployment_id: Option<String>,
    /// Against the revision live in the group (everything is new when nothing is live); only
    /// computed while the request is pending, empty once it is decided.
    pub diff: ApiDiff,
    /// The design review of the submitted revision (pending requests only).
    #[serde(default)]
    pub design: Vec<crate::DesignFinding>,
    /// The revision live in the group when the request was read (pending requests only).
    pub live_revision: Option<i64>,
    /// For `kind = subscription`: the subscription asking for a tier that needs approval.
    #[serde(default)]
    pub subscription: Option<crate::Subscription>,
}

/// What approving a request did: a revision is deployed, a subscription becomes active.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalOutcome {
    pub approval_id: String,
    /// revision or subscription.
    pub kind: String,
    pub deployment: Option<Deployment>,
    pub subscription: Option<crate::Subscription>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum DeploymentStatus {
    Rendering,
    Rendered,
    Committed,
    Live,
    Failed,
}

impl DeploymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentStatus::Rendering => "rendering",
            DeploymentStatus::Rendered => "rendered",
            DeploymentStatus::Committed => "committed",
            DeploymentStatus::Live => "live",
            DeploymentStatus::Failed => "failed",
        }
    }
}

/// One step of a deployment, with its timing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeploymentStep {
    pub name: String,
    pub ok: bool,
    pub ms: u64,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deployment {
    pub id: String,
    pub group: String,
    /// The API this release changes; `None` for a release of the group's settings alone.
    pub api_id: Option<String>,
    pub api_name: Option<String>,
    pub revision: Option<i64>,
    /// `deploy` (an approval), `rollback`, or `settings` (the group's settings changed).
    pub kind: String,
    pub status: DeploymentStatus,
    /// Why it failed, when it did.
    pub reason: String,
    /// The annotated git tag, e.g. `food-apis-v1.0.0`.
    pub tag: String,
    pub commit: String,
    pub bundle_sha: String,
    pub steps: Vec<DeploymentStep>,
    pub created_by: String,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    /// Gateways serving this deployment's bundle, of those reporting.
    pub live_on: u32,
    pub gateways: u32,
    /// Whether its commit and tag are on the GitOps remote; `None` when no remote is
    /// configured or nothing was committed.
    #[serde(default)]
    pub pushed: Option<bool>,
}

impl Deployment {
    /// What the release changed, as a person reads it: "Pizza Shack revision 3", "group settings".
    pub fn subject(&self) -> String {
        match (&self.api_name, self.revision) {
            (Some(name), Some(revision)) => format!("{name} revision {revision}"),
            _ => "group settings".into(),
        }
    }
}

/// A group's settings after a change, and the release that carried the change to what runs:
/// `None` when the group has not been released yet (its first release will carry the settings)
/// or when only the local gateway's port changed (nothing in the repository depends on it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupUpdate {
    #[serde(flatten)]
    pub group: GatewayGroup,
    pub release: Option<Deployment>,
}

/// The GitOps repository and the remote its releases are pushed to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GitOpsStatus {
    /// The repository deployments commit to, on the server's disk.
    pub repository: String,
    /// The remote's URL without its credentials; `None` when none is configured.
    pub remote: Option<String>,
    /// Release tags committed but not yet on the remote, oldest first.
    pub waiting: Vec<String>,
    pub last_pushed_at: Option<i64>,
    pub last_attempt_at: Option<i64>,
    /// Why the last attempt failed; empty when it did not.
    pub last_error: String,
    /// Attempts failed in a row (the next waits longer).
    pub failures: i64,
}

/// What a group's gateways load. The release part (group, version, APIs, tiers) is rendered
/// deterministically at deployment and committed to GitOps; the access part (keys, API keys,
/// revocations, withdrawn APIs) changes without a release and is filled in when gateways pull.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bundle {
    pub group: String,
    /// The release this bundle belongs to, e.g. `1.2.0`.
    pub version: String,
    pub apis: Vec<BundleApi>,
    pub tiers: Vec<BundleTier>,
    /// Public signing keys (JWK) for verifying access tokens offline.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub keys: Vec<serde_json::Value>,
    /// Token issuer and audience the gateway accepts.
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    pub audience: String,
    /// Access taken away from tokens issued earlier.
    #[serde(default)]
    pub revocations: Vec<crate::Revocation>,
    /// API keys as SHA-256 hashes with what they may call.
    #[serde(default)]
    pub api_keys: Vec<BundleApiKey>,
    /// APIs of the release that must not be served now: BLOCKED (refused, 503) or RETIRED (gone, 404).
    #[serde(default)]
    pub withdrawn: Vec<WithdrawnApi>,
    /// When APIs' kept answers were last purged, for those purged within a day (no answer is
    /// kept longer): a gateway drops the answers it kept before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purges: Vec<KeptAnswersPurge>,
}

/// An API's kept answers dropped on its creator's or a publisher's word, before they expire:
/// after the backend's data changed under them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeptAnswersPurge {
    pub api_id: String,
    /// Unix ms.
    pub purged_at: i64,
    /// Only the answers under this path of the API (`/pets/7`: that pet's, and those below
    /// it, whatever their query); none, all of them. A gateway that does not know the field
    /// drops all of the API's answers, which is never wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WithdrawnApi {
    pub api_id: String,
    pub state: LifecycleState,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleTier {
    pub name: String,
    /// `None`: unlimited.
    pub requests_per_minute: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleApiKey {
    pub id: String,
    pub sha256: String,
    pub application_id: String,
    #[serde(default)]
    pub application_name: String,
    /// Email of the application's owner.
    #[serde(default)]
    pub consumer: String,
    pub key_type: String,
    pub subscriptions: Vec<crate::SubscriptionClaim>,
    pub expires_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleApi {
    pub id: String,
    pub name: String,
    pub version: String,
    pub context: String,
    pub state: LifecycleState,
    pub revision: i64,
    pub endpoints: Endpoints,
    pub security: Vec<AuthKind>,
    pub tiers: Vec<String>,
    pub operations: Vec<BundleOperation>,
    /// Present when the API allows cross-origin calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cors: Option<Cors>,
    /// Which addresses may call the API; absent, any.
    #[serde(default, skip_serializing_if = "IpFilter::is_open")]
    pub ip_filter: IpFilter,
    /// How long a GET's answer is kept and served again, in seconds; absent, not at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_seconds: Option<u32>,
    /// When the API's calls are checked against its definition: every schema the operations'
    /// `request`s refer to, by `$ref` (`#/components/schemas/Pet`), references within them
    /// included, so the gateway needs no document.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub schemas: BTreeMap<String, serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleOperation {
    pub method: String,
    /// Resource template, e.g. `/pets/{petId}`.
    pub path: String,
    pub security: Vec<AuthKind>,
    /// Scopes an access token must hold, all of them (API keys carry none and are not asked).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// When a scope it requires is bound to tiers: the tiers whose subscriptions' tokens may
    /// call it (those every such scope allows). Empty, any tier.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<String>,
    /// The answer a PROTOTYPED API gives, from the definition's examples.
    pub mock: Option<MockResponse>,
    /// What a call must look like, when the API's calls are checked against its definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestShape>,
}

/// An operation's parameters and body as its definition describes them, for the gateway to
/// check calls against.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestShape {
    /// Path, query and header parameters (cookies are not checked).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<ParameterShape>,
    /// `None`: the operation takes no body, and one sent is passed on unchecked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<BodyShape>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParameterShape {
    pub name: String,
    /// `path`, `query` or `header`.
    pub location: String,
    pub required: bool,
    /// A JSON schema; its `$ref`s are keys of the API's `schemas`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub schema: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BodyShape {
    pub required: bool,
    /// The media types accepted, each with its schema; a JSON one's is checked.
    pub media: Vec<MediaShape>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MediaShape {
    /// `application/json`, `application/*+json`, `*/*`…
    pub content_type: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub schema: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MockResponse {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

/// One row of the ingress table across groups: host, context → group → gateway Service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Route {
    pub host: String,
    pub context: String,
    pub group: String,
    pub service: String,
    /// Where the embedded gateway serves it on this machine.
    pub local_url: String,
}

/// What a webhook is told about. The name travels as `X-Gatehouse-Event` and as the payload's
/// `event`; receivers switch on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum WebhookEvent {
    #[serde(rename = "deployment.committed")]
    DeploymentCommitted,
    #[serde(rename = "deployment.failed")]
    DeploymentFailed,
    #[serde(rename = "deployment.pushed")]
    DeploymentPushed,
    #[serde(rename = "api.lifecycle")]
    ApiLifecycle,
    #[serde(rename = "approval.requested")]
    ApprovalRequested,
    #[serde(rename = "approval.decided")]
    ApprovalDecided,
    #[serde(rename = "alert.fired")]
    AlertFired,
    #[serde(rename = "alert.resolved")]
    AlertResolved,
    /// Sent only when an admin asks, to the one webhook tested; never subscribed to.
    #[serde(rename = "ping")]
    Ping,
}

impl WebhookEvent {
    /// The events a webhook can listen for.
    pub const SUBSCRIBABLE: [WebhookEvent; 8] = [
        WebhookEvent::DeploymentCommitted,
        WebhookEvent::DeploymentFailed,
        WebhookEvent::DeploymentPushed,
        WebhookEvent::ApiLifecycle,
        WebhookEvent::ApprovalRequested,
        WebhookEvent::ApprovalDecided,
        WebhookEvent::AlertFired,
        WebhookEvent::AlertResolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::DeploymentCommitted => "deployment.committed",
            WebhookEvent::DeploymentFailed => "deployment.failed",
            WebhookEvent::DeploymentPushed => "deployment.pushed",
            WebhookEvent::ApiLifecycle => "api.lifecycle",
            WebhookEvent::ApprovalRequested => "approval.requested",
            WebhookEvent::ApprovalDecided => "approval.decided",
            WebhookEvent::AlertFired => "alert.fired",
            WebhookEvent::AlertResolved => "alert.resolved",
            WebhookEvent::Ping => "ping",
        }
    }

    /// A webhook's events: `every event` for none, else the names.
    pub fn label_of(events: &[WebhookEvent]) -> String {
        if events.is_empty() {
            "every event".into()
        } else {
            events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ")
        }
    }

    /// One of [`WebhookEvent::SUBSCRIBABLE`] by its name.
    pub fn parse(s: &str) -> Option<WebhookEvent> {
        WebhookEvent::SUBSCRIBABLE.into_iter().find(|e| e.as_str() == s)
    }

    pub fn description(self) -> &'static str {
        match self {
            WebhookEvent::DeploymentCommitted => "A release was committed and tagged in the GitOps repository",
            WebhookEvent::DeploymentFailed => "A deployment failed, with the reason",
            WebhookEvent::DeploymentPushed => "Releases reached the GitOps remote (where Argo CD or Flux sync from)",
            WebhookEvent::ApiLifecycle => "An API changed lifecycle state (published, deprecated, retired …)",
            WebhookEvent::ApprovalRequested => "A revision or a subscription waits for a publisher's review",
            WebhookEvent::ApprovalDecided => "A publisher approved or rejected a request, with the comment",
            WebhookEvent::AlertFired => "An alert started holding",
            WebhookEvent::AlertResolved => "An alert stopped holding",
            WebhookEvent::Ping => "A test delivery",
        }
    }
}

/// A URL deployments, lifecycle changes and alerts are POSTed to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub id: String,
    pub url: String,
    /// The events it hears; empty for every event, kinds added later included.
    pub events: Vec<WebhookEvent>,
    /// The gateway groups whose events it hears; empty for every group, and for events that
    /// concern no group (an alert over every API, an API in no group).
    #[serde(default)]
    pub groups: Vec<String>,
    pub created_at: i64,
}

impl Webhook {
    /// Whether `event` about `group` (the gateway group it concerns, if any) is sent here.
    pub fn hears(&self, event: WebhookEvent, group: Option<&str>) -> bool {
        let event_heard = self.events.is_empty() || self.events.contains(&event);
        let group_heard = self.groups.is_empty() || group.is_some_and(|g| self.groups.iter().any(|x| x == g));
        event_heard && group_heard
    }

    /// What it hears, as the page, the CLI and the audit log say it.
    pub fn hears_label(&self) -> String {
        WebhookEvent::label_of(&self.events)
    }

    /// Whose events it hears: "every group", or the groups by name.
    pub fn groups_label(&self) -> String {
        groups_label(&self.groups)
    }
}

/// "every group", or the groups named, as the page, the CLI and the audit log say it.
pub fn groups_label(groups: &[String]) -> String {
    if groups.is_empty() { "every group".to_string() } else { groups.join(", ") }
}

/// A webhook to add: where, which events (none named: every event) and whose (no group named:
/// every group's, and events that concern no group).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookRequest {
    pub url: String,
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

/// A new webhook: the only time its signing secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewWebhook {
    pub id: String,
    pub url: String,
    /// Verify `X-Gatehouse-Signature-256: sha256=HMAC(secret, body)`.
    pub secret: String,
}

/// One delivery of an event to a webhook, and how it went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct WebhookDelivery {
    pub id: String,
    pub webhook_id: String,
    /// What the event is about: a deployment's id (`deployment.*`), an API's (`api.*`), an
    /// approval request's (`approval.*`), an alert's (`alert.*`) or the webhook's own (`ping`).
    pub subject: String,
    pub event: String,
    /// pending, delivered or failed.
    pub status: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: String,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

impl WebhookDelivery {
    /// What the receiver said last: its status, or why no answer came (the error already names
    /// a refusing receiver's status).
    pub fn last_answer(&self) -> String {
        match (&self.last_status, self.last_error.as_str()) {
            (_, error) if !error.is_empty() => error.to_string(),
            (Some(status), _) => status.to_string(),
            (None, _) => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_event_is_named_the_same_in_the_header_and_the_payload() {
        let every = [WebhookEvent::SUBSCRIBABLE.as_slice(), &[WebhookEvent::Ping]].concat();
        for event in every {
            assert_eq!(serde_json::to_value(event).ok(), Some(serde_json::Value::from(event.as_str())));
        }
    }

    #[test]
    fn a_ping_cannot_be_subscribed_to_and_no_events_means_every_event() {
        assert_eq!(WebhookEvent::parse("alert.fired"), Some(WebhookEvent::AlertFired));
        assert_eq!(WebhookEvent::parse("ping"), None);
        let all = Webhook { id: "w".into(), url: "https://x".into(), events: vec![], groups: vec![], created_at: 0 };
        assert!(all.hears(WebhookEvent::DeploymentFailed, Some("payments")));
        assert!(all.hears(WebhookEvent::AlertFired, None));
        assert_eq!(all.hears_label(), "every event");
        assert_eq!(all.groups_label(), "every group");
        let some = Webhook { events: vec![WebhookEvent::AlertFired, WebhookEvent::AlertResolved], ..all.clone() };
        assert!(!some.hears(WebhookEvent::ApiLifecycle, None));
        assert_eq!(some.hears_label(), "alert.fired, alert.resolved");
    }

    #[test]
    fn a_webhook_for_some_groups_hears_only_their_events() {
        let hook = Webhook {
            id: "w".into(),
            url: "https://x".into(),
            events: vec![],
            groups: vec!["payments".into(), "eu-west".into()],
            created_at: 0,
        };
        assert!(hook.hears(WebhookEvent::DeploymentCommitted, Some("eu-west")));
        assert!(!hook.hears(WebhookEvent::DeploymentCommitted, Some("food")));
        // An event about no group (an alert over every API) is not one of theirs.
        assert!(!hook.hears(WebhookEvent::AlertFired, None));
        assert_eq!(hook.groups_label(), "payments, eu-west");
    }
}
