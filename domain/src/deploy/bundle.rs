//! The gateway bundle: every live API of a group with its endpoints, security, tiers and mock
//! answers, rendered deterministically (sorted, no clocks) so the same inputs give the same bytes.

use crate::openapi::bundle::resolve_pointer;
use gatehouse_contract::sample::Direction;
use gatehouse_contract::{
    AuthKind, Bundle, BundleApi, BundleOperation, BundleTier, LifecycleState, MockResponse, Snapshot,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// One API as it goes into a bundle.
pub struct LiveEntry<'a> {
    pub api_id: &'a str,
    pub state: LifecycleState,
    pub revision: i64,
    pub snapshot: &'a Snapshot,
}

/// The first success response with its example (or a sample from its schema).
fn mock(snapshot: &Snapshot, op: &gatehouse_contract::Operation) -> Option<MockResponse> {
    let response = op
        .responses
        .iter()
        .filter(|r| r.status.starts_with('2'))
        .min_by_key(|r| r.status.clone())
        .or_else(|| op.responses.iter().find(|r| r.status == "default"))?;
    let status = response.status.parse::<u16>().unwrap_or(200);
    let Some(media) = response.content.iter().find(|m| m.content_type.contains("json")).or(response.content.first())
    else {
        return Some(MockResponse { status, content_type: String::new(), body: String::new() });
    };
    let document = &snapshot.document;
    let resolve = |reference: &str| resolve_pointer(document, reference.strip_prefix('#')?);
    let value = media
        .example
        .clone()
        .unwrap_or_else(|| gatehouse_contract::sample::sample(&media.schema, &resolve, Direction::Response));
    let body = match &value {
        Value::String(s) if !media.content_type.contains("json") => s.clone(),
        other => serde_json::to_string(other).unwrap_or_default(),
    };
    Some(MockResponse { status, content_type: media.content_type.clone(), body })
}

fn api_entry(entry: &LiveEntry) -> BundleApi {
    let s = entry.snapshot;
    let mut operations: Vec<BundleOperation> = s
        .model
        .operations
        .iter()
        .map(|op| BundleOperation {
            method: op.method.clone(),
            path: op.path.clone(),
            security: sorted(s.policies.security_of(&op.key()).to_vec()),
            scopes: {
                let mut scopes = s.policies.scopes_of(&op.key()).to_vec();
                scopes.sort();
                scopes
            },
            tiers: {
                let mut tiers = s.policies.tiers_of(&op.key()).unwrap_or_default();
                tiers.sort();
                tiers
            },
            mock: mock(s, op),
        })
        .collect();
    operations.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
    let mut tiers = s.policies.tiers.clone();
    tiers.sort();
    BundleApi {
        id: entry.api_id.to_string(),
        name: s.name.clone(),
        version: s.version.clone(),
        context: s.context.clone(),
        state: entry.state,
        revision: entry.revision,
        endpoints: s.endpoints.clone(),
        security: sorted(s.policies.security.clone()),
        tiers,
        operations,
        cors: s.policies.cors.enabled.then(|| s.policies.cors.clone()),
    }
}

fn sorted(mut list: Vec<AuthKind>) -> Vec<AuthKind> {
    list.sort();
    list.dedup();
    list
}

/// The release part of the bundle of `group` at `version` serving `entries` with `tiers`.
pub fn render(group: &str, version: &str, entries: &[LiveEntry], tiers: &[gatehouse_contract::Tier]) -> Bundle {
    let mut apis: Vec<BundleApi> = entries.iter().map(api_entry).collect();
    apis.sort_by(|a, b| a.context.cmp(&b.context));
    Bundle {
        group: group.to_string(),
        version: version.to_string(),
        apis,
        tiers: tiers
            .iter()
            .map(|t| BundleTier { name: t.name.clone(), requests_per_minute: t.requests_per_minute })
            .collect(),
        keys: vec![],
        issuer: String::new(),
        audience: String::new(),
        revocations: vec![],
        api_keys: vec![],
        withdrawn: vec![],
    }
}

/// Canonical bytes of a bundle and their SHA-256 (the ETag gateways poll with).
pub fn encode(bundle: &Bundle) -> (Vec<u8>, String) {
    let bytes = serde_json::to_vec_pretty(bundle).unwrap_or_default();
    let sha = hex::encode(Sha256::digest(&bytes));
    (bytes, sha)
}
