//! The gateway bundle: every live API of a group with its endpoints, security, tiers and mock
//! answers, rendered deterministically (sorted, no clocks) so the same inputs give the same bytes.

use crate::openapi::model::deref;
use gatehouse_contract::{
    AuthKind, Bundle, BundleApi, BundleOperation, BundleTier, LifecycleState, MockResponse, Snapshot,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// One API as it goes into a bundle.
pub struct LiveEntry<'a> {
    pub api_id: &'a str,
    pub state: LifecycleState,
    pub revision: i64,
    pub snapshot: &'a Snapshot,
}

/// A plausible value for a schema, for prototypes whose definition gives no example.
fn sample(document: &Value, schema: &Value, depth: usize) -> Value {
    let schema = deref(document, schema);
    if depth > 4 {
        return Value::Null;
    }
    if let Some(example) = schema.get("example") {
        return example.clone();
    }
    if let Some(first) = schema.get("enum").and_then(Value::as_array).and_then(|e| e.first()) {
        return first.clone();
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(parts) = schema.get(key).and_then(Value::as_array) {
            let mut merged = serde_json::Map::new();
            for part in parts {
                match sample(document, part, depth + 1) {
                    Value::Object(map) => merged.extend(map),
                    other if key != "allOf" => return other,
                    _ => {}
                }
            }
            return Value::Object(merged);
        }
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).find(|t| *t != "null").unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => "",
    };
    match kind {
        "object" => {
            let props = schema.get("properties").and_then(Value::as_object);
            Value::Object(
                props
                    .map(|p| p.iter().map(|(k, v)| (k.clone(), sample(document, v, depth + 1))).collect())
                    .unwrap_or_default(),
            )
        }
        "array" => json!([sample(document, schema.get("items").unwrap_or(&Value::Null), depth + 1)]),
        "integer" => json!(1),
        "number" => json!(1.5),
        "boolean" => json!(true),
        "string" => match schema.get("format").and_then(Value::as_str) {
            Some("date-time") => json!("2026-01-01T00:00:00Z"),
            Some("date") => json!("2026-01-01"),
            Some("uuid") => json!("00000000-0000-4000-8000-000000000000"),
            Some("email") => json!("someone@example.com"),
            _ => json!("string"),
        },
        _ => Value::Null,
    }
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
    let value = media.example.clone().unwrap_or_else(|| sample(&snapshot.document, &media.schema, 0));
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
        .map(|op| {
            let key = op.key();
            let security = s
                .policies
                .operation_security
                .iter()
                .find(|o| o.operation == key)
                .map(|o| o.security.clone())
                .unwrap_or_else(|| s.policies.security.clone());
            BundleOperation {
                method: op.method.clone(),
                path: op.path.clone(),
                security: sorted(security),
                mock: mock(s, op),
            }
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
