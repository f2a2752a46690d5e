//! Derive the normalized model from a bundled document. Tolerant: it reads what is there and
//! leaves judging to `checks`.

use super::bundle::resolve_pointer;
use super::convert::{form_media_types, inline_schema};
use gatehouse_contract::{
    ApiModel, MediaType, Operation, Parameter, RequestBody, Response, SchemeScopes, Scope, SecurityRequirement,
    SecurityScheme, SpecVersion, TagInfo,
};
use serde_json::{Map, Value, json};

pub const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Follow local `$ref`s (a bounded number of hops, so reference loops end).
pub fn deref<'v>(doc: &'v Value, mut value: &'v Value) -> &'v Value {
    for _ in 0..32 {
        match value.get("$ref").and_then(Value::as_str) {
            Some(r) if r.starts_with('#') => match resolve_pointer(doc, &r[1..]) {
                Some(target) => value = target,
                None => return value,
            },
            _ => return value,
        }
    }
    value
}

fn text(value: &Value, key: &str) -> String {
    match value.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn security(value: Option<&Value>) -> Option<Vec<SecurityRequirement>> {
    let list = value?.as_array()?;
    Some(
        list.iter()
            .filter_map(Value::as_object)
            .map(|req| SecurityRequirement {
                schemes: req
                    .iter()
                    .map(|(name, scopes)| SchemeScopes { name: name.clone(), scopes: strings(Some(scopes)) })
                    .collect(),
            })
            .collect(),
    )
}

fn first_example(media: &Value, doc: &Value) -> Option<Value> {
    if let Some(example) = media.get("example") {
        return Some(example.clone());
    }
    if let Some(examples) = media.get("examples").and_then(Value::as_object)
        && let Some((_, first)) = examples.iter().next()
    {
        let first = deref(doc, first);
        if let Some(v) = first.get("value") {
            return Some(v.clone());
        }
    }
    let schema = deref(doc, media.get("schema").unwrap_or(&Value::Null));
    schema.get("example").cloned()
}

fn content(doc: &Value, value: Option<&Value>) -> Vec<MediaType> {
    value
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .map(|(content_type, media)| {
                    let media = deref(doc, media);
                    MediaType {
                        content_type: content_type.clone(),
                        schema: media.get("schema").cloned().unwrap_or(Value::Null),
                        example: first_example(media, doc),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Path-level and operation-level parameters, the operation's winning on (name, in).
fn merged_parameters<'v>(doc: &'v Value, path_item: &'v Value, op: &'v Value) -> Vec<&'v Value> {
    let mut out: Vec<&Value> = Vec::new();
    for list in [path_item.get("parameters"), op.get("parameters")] {
        for p in list.and_then(Value::as_array).into_iter().flatten() {
            let p = deref(doc, p);
            let key = (text(p, "name"), text(p, "in"));
            out.retain(|q| (text(q, "name"), text(q, "in")) != key);
            out.push(p);
        }
    }
    out
}

pub fn build(doc: &Value, version: SpecVersion) -> ApiModel {
    let info = doc.get("info").unwrap_or(&Value::Null);
    let mut model = ApiModel {
        title: text(info, "title"),
        version: text(info, "version"),
        description: text(info, "description"),
        tags: doc
            .get("tags")
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter().map(|t| TagInfo { name: text(t, "name"), description: text(t, "description") }).collect()
            })
            .unwrap_or_default(),
        security: security(doc.get("security")).unwrap_or_default(),
        ..Default::default()
    };
    if version == SpecVersion::Swagger2 {
        swagger2(doc, &mut model);
    } else {
        openapi3(doc, &mut model);
    }
    model
}

fn openapi3(doc: &Value, model: &mut ApiModel) {
    model.servers = doc
        .get("servers")
        .and_then(Value::as_array)
        .map(|s| s.iter().map(|s| text(s, "url")).filter(|u| !u.is_empty()).collect())
        .unwrap_or_default();
    let operation = |path: &str, item: &Value, method: &str, op: &Value| -> Operation {
        let parameters = merged_parameters(doc, item, op)
            .into_iter()
            .map(|p| Parameter {
                name: text(p, "name"),
                location: text(p, "in"),
                required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                description: text(p, "description"),
                deprecated: p.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
                schema: p
                    .get("schema")
                    .cloned()
                    .or_else(|| {
                        p.get("content")
                            .and_then(Value::as_object)
                            .and_then(|c| c.values().next())
                            .and_then(|m| m.get("schema").cloned())
                    })
                    .unwrap_or(Value::Null),
            })
            .collect();
        let request_body = op.get("requestBody").map(|b| {
            let b = deref(doc, b);
            RequestBody {
                required: b.get("required").and_then(Value::as_bool).unwrap_or(false),
                description: text(b, "description"),
                content: content(doc, b.get("content")),
            }
        });
        Operation {
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            operation_id: text(op, "operationId"),
            summary: text(op, "summary"),
            description: text(op, "description"),
            tags: strings(op.get("tags")),
            deprecated: op.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
            parameters,
            request_body,
            responses: responses(doc, op, |r| content(doc, r.get("content"))),
            security: security(op.get("security")),
        }
    };
    for (target, key) in [(&mut model.operations, "paths"), (&mut model.webhooks, "webhooks")] {
        if let Some(paths) = doc.get(key).and_then(Value::as_object) {
            for (path, item) in paths {
                let item = deref(doc, item);
                for method in METHODS {
                    if let Some(op) = item.get(method) {
                        target.push(operation(path, item, method, deref(doc, op)));
                    }
                }
            }
        }
    }
    if let Some(schemes) = doc.get("components").and_then(|c| c.get("securitySchemes")).and_then(Value::as_object) {
        model.security_schemes = schemes
            .iter()
            .map(|(name, s)| {
                let s = deref(doc, s);
                SecurityScheme {
                    name: name.clone(),
                    kind: text(s, "type"),
                    location: text(s, "in"),
                    parameter_name: text(s, "name"),
                    scheme: text(s, "scheme").to_ascii_lowercase(),
                    description: text(s, "description"),
                    scopes: scopes(
                        s.get("flows").and_then(Value::as_object).into_iter().flat_map(|flows| flows.values()),
                    ),
                }
            })
            .collect();
    }
}

/// The scopes the `scopes` maps of `holders` declare (an OAuth2 scheme's flows, or a 2.0
/// scheme itself), each name once, in the order first declared.
fn scopes<'a>(holders: impl Iterator<Item = &'a Value>) -> Vec<Scope> {
    let mut found: Vec<Scope> = Vec::new();
    for map in holders.filter_map(|h| h.get("scopes").and_then(Value::as_object)) {
        for (name, description) in map {
            if !found.iter().any(|s| &s.name == name) {
                let description = description.as_str().unwrap_or_default().to_string();
                found.push(Scope { name: name.clone(), description, tiers: vec![] });
            }
        }
    }
    found
}

fn responses(doc: &Value, op: &Value, content_of: impl Fn(&Value) -> Vec<MediaType>) -> Vec<Response> {
    op.get("responses")
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .filter(|(status, _)| !status.starts_with("x-"))
                .map(|(status, r)| {
                    let r = deref(doc, r);
                    Response { status: status.clone(), description: text(r, "description"), content: content_of(r) }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A 2.0 non-body parameter's type fields, gathered into a JSON Schema (as the conversion to
/// OpenAPI 3 writes it, so both forms of a definition have one model).
fn swagger2_param_schema(p: &Value) -> Value {
    p.as_object().map(inline_schema).unwrap_or_else(|| json!({}))
}

fn swagger2(doc: &Value, model: &mut ApiModel) {
    let host = text(doc, "host");
    let base = text(doc, "basePath");
    let schemes = strings(doc.get("schemes"));
    if !host.is_empty() {
        let schemes = if schemes.is_empty() { vec!["https".to_string()] } else { schemes };
        model.servers = schemes.iter().map(|s| format!("{s}://{host}{base}")).collect();
    } else if !base.is_empty() {
        model.servers = vec![base.clone()];
    }
    let global_consumes = strings(doc.get("consumes"));
    let global_produces = strings(doc.get("produces"));
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let item = deref(doc, item);
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let op = deref(doc, op);
                let consumes = op.get("consumes").map(|c| strings(Some(c))).unwrap_or_else(|| global_consumes.clone());
                let produces = op.get("produces").map(|c| strings(Some(c))).unwrap_or_else(|| global_produces.clone());
                let consumes = if consumes.is_empty() { vec!["application/json".to_string()] } else { consumes };
                let produces = if produces.is_empty() { vec!["application/json".to_string()] } else { produces };
                let all = merged_parameters(doc, item, op);
                let mut parameters = Vec::new();
                let mut body: Option<RequestBody> = None;
                let mut form = Map::new();
                let mut form_fields = Vec::new();
                let mut form_required = Vec::new();
                for p in all {
                    match text(p, "in").as_str() {
                        "body" => {
                            let schema = p.get("schema").cloned().unwrap_or(Value::Null);
                            body = Some(RequestBody {
                                required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                                description: text(p, "description"),
                                content: consumes
                                    .iter()
                                    .map(|c| MediaType {
                                        content_type: c.clone(),
                                        schema: schema.clone(),
                                        example: p.get("x-example").cloned(),
                                    })
                                    .collect(),
                            });
                        }
                        "formData" => {
                            let name = text(p, "name");
                            if p.get("required").and_then(Value::as_bool).unwrap_or(false) {
                                form_required.push(Value::String(name.clone()));
                            }
                            form.insert(name, swagger2_param_schema(p));
                            form_fields.push(p);
                        }
                        location => parameters.push(Parameter {
                            name: text(p, "name"),
                            location: location.to_string(),
                            required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                            description: text(p, "description"),
                            deprecated: false,
                            schema: swagger2_param_schema(p),
                        }),
                    }
                }
                if body.is_none() && !form.is_empty() {
                    let schema = json!({ "type": "object", "properties": form, "required": form_required });
                    let types = form_media_types(&form_fields, &consumes);
                    body = Some(RequestBody {
                        required: !form_required.is_empty(),
                        description: String::new(),
                        content: types
                            .into_iter()
                            .map(|c| MediaType { content_type: c, schema: schema.clone(), example: None })
                            .collect(),
                    });
                }
                let responses = responses(doc, op, |r| match r.get("schema") {
                    Some(schema) => produces
                        .iter()
                        .map(|c| MediaType {
                            content_type: c.clone(),
                            schema: schema.clone(),
                            example: r.get("examples").and_then(|e| e.get(c)).cloned(),
                        })
                        .collect(),
                    None => Vec::new(),
                });
                model.operations.push(Operation {
                    method: method.to_ascii_uppercase(),
                    path: path.clone(),
                    operation_id: text(op, "operationId"),
                    summary: text(op, "summary"),
                    description: text(op, "description"),
                    tags: strings(op.get("tags")),
                    deprecated: op.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
                    parameters,
                    request_body: body,
                    responses,
                    security: security(op.get("security")),
                });
            }
        }
    }
    if let Some(defs) = doc.get("securityDefinitions").and_then(Value::as_object) {
        model.security_schemes = defs
            .iter()
            .map(|(name, s)| {
                let kind = text(s, "type");
                let (kind, scheme) =
                    if kind == "basic" { ("http".to_string(), "basic".to_string()) } else { (kind, String::new()) };
                SecurityScheme {
                    name: name.clone(),
                    kind,
                    location: text(s, "in"),
                    parameter_name: text(s, "name"),
                    scheme,
                    description: text(s, "description"),
                    scopes: scopes(std::iter::once(s)),
                }
            })
            .collect();
    }
}
