//! The gateway bundle: every live API of a group with its endpoints, security, tiers and mock
//! answers, rendered deterministically (sorted, no clocks) so the same inputs give the same bytes.

use crate::openapi::bundle::resolve_pointer;
use gatehouse_contract::sample::{Direction, each_schema};
use gatehouse_contract::{
    AuthKind, BodyShape, Bundle, BundleApi, BundleOperation, BundleTier, LifecycleState, MediaShape, MockResponse,
    ParameterShape, RequestShape, Snapshot,
};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

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

/// What a call of `op` must look like, with every schema its `$ref`s reach added to `schemas`.
pub fn request_shape(
    document: &Value,
    op: &gatehouse_contract::Operation,
    schemas: &mut BTreeMap<String, Value>,
) -> RequestShape {
    let parameters: Vec<ParameterShape> = op
        .parameters
        .iter()
        .filter(|p| matches!(p.location.as_str(), "path" | "query" | "header"))
        .map(|p| ParameterShape {
            name: p.name.clone(),
            location: p.location.clone(),
            required: p.required || p.location == "path",
            schema: p.schema.clone(),
        })
        .collect();
    let body = op.request_body.as_ref().map(|body| BodyShape {
        required: body.required,
        media: body
            .content
            .iter()
            .map(|m| MediaShape { content_type: m.content_type.to_ascii_lowercase(), schema: m.schema.clone() })
            .collect(),
    });
    let shape = RequestShape { parameters, body };
    for schema in shape
        .parameters
        .iter()
        .map(|p| &p.schema)
        .chain(shape.body.iter().flat_map(|b| b.media.iter().map(|m| &m.schema)))
    {
        add_references(document, schema, schemas);
    }
    shape
}

/// Every local `$ref` in `value`, and in what they refer to, resolved into `schemas`. One that
/// does not resolve is left out (the importer reported it); the gateway accepts anything there.
fn add_references(document: &Value, value: &Value, schemas: &mut BTreeMap<String, Value>) {
    let mut found = Vec::new();
    each_schema(value, &mut |schema| {
        if let Some(Value::String(reference)) = schema.get("$ref") {
            found.push(reference);
        }
    });
    for reference in found {
        if schemas.contains_key(reference) {
            continue;
        }
        if let Some(target) = reference.strip_prefix('#').and_then(|f| resolve_pointer(document, f)) {
            schemas.insert(reference.clone(), target.clone());
            add_references(document, target, schemas);
        }
    }
}

fn api_entry(entry: &LiveEntry) -> BundleApi {
    let s = entry.snapshot;
    let mut schemas = BTreeMap::new();
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
            request: s.policies.validate_requests.then(|| request_shape(&s.document, op, &mut schemas)),
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
        ip_filter: s.policies.ip_filter.clone(),
        cache_seconds: (s.policies.cache_seconds > 0).then_some(s.policies.cache_seconds),
        schemas,
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
        purges: vec![],
    }
}

/// Canonical bytes of a bundle and their SHA-256 (the ETag gateways poll with).
pub fn encode(bundle: &Bundle) -> (Vec<u8>, String) {
    let bytes = serde_json::to_vec_pretty(bundle).unwrap_or_default();
    let sha = hex::encode(Sha256::digest(&bytes));
    (bytes, sha)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi::model;
    use gatehouse_contract::SpecVersion;
    use serde_json::json;

    /// An operation's shape carries its path, query and header parameters (a path parameter
    /// is always required) and its body's media types, and every schema their `$ref`s reach is
    /// gathered, recursion included; a `$ref` in literal data (an example) is not followed.
    #[test]
    fn shapes_carry_parameters_bodies_and_the_schemas_they_reach() {
        let document = json!({
            "openapi": "3.0.3",
            "info": { "title": "Toys", "version": "1" },
            "paths": {
                "/toys/{id}": {
                    "parameters": [{ "name": "id", "in": "path", "schema": { "type": "integer" } }],
                    "put": {
                        "parameters": [
                            { "name": "dry", "in": "query", "schema": { "type": "boolean" } },
                            { "name": "session", "in": "cookie", "schema": { "type": "string" } }
                        ],
                        "requestBody": { "required": true, "content": {
                            "Application/JSON": { "schema": { "$ref": "#/components/schemas/Toy" } } } },
                        "responses": { "204": { "description": "Saved" } }
                    },
                    "get": { "responses": { "200": { "description": "A toy" } } }
                }
            },
            "components": { "schemas": {
                "Toy": { "type": "object", "properties": {
                    "parts": { "type": "array", "items": { "$ref": "#/components/schemas/Part" } },
                    "example": { "$ref": "#/components/schemas/Label" } },
                    "example": { "$ref": "#/components/schemas/Unused" } },
                "Part": { "properties": { "of": { "$ref": "#/components/schemas/Part" } } },
                "Label": { "type": "string" },
                "Unused": { "type": "string" }
            } }
        });
        let model = model::build(&document, SpecVersion::OpenApi30);
        let mut schemas = BTreeMap::new();
        let put = model.operations.iter().find(|op| op.method == "PUT").expect("PUT");
        let shape = request_shape(&document, put, &mut schemas);
        let parameters: Vec<(&str, &str, bool)> =
            shape.parameters.iter().map(|p| (p.name.as_str(), p.location.as_str(), p.required)).collect();
        assert_eq!(parameters, vec![("id", "path", true), ("dry", "query", false)], "a path parameter is required");
        let body = shape.body.expect("a body");
        assert!(body.required);
        assert_eq!(body.media[0].content_type, "application/json");
        let names: Vec<&str> = schemas.keys().map(String::as_str).collect();
        assert_eq!(names, ["#/components/schemas/Label", "#/components/schemas/Part", "#/components/schemas/Toy"]);

        let get = model.operations.iter().find(|op| op.method == "GET").expect("GET");
        assert_eq!(request_shape(&document, get, &mut BTreeMap::new()).body, None, "no body, none checked");
    }
}
