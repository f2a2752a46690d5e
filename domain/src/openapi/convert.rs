//! Swagger 2.0 → OpenAPI 3.0, for a Swagger 2.0 working copy that its creator wants to edit in
//! the form view (which writes OpenAPI 3). The rules are the OpenAPI Initiative's migration
//! rules, as swagger2openapi applies them: `host`/`basePath`/`schemes` become `servers`; body
//! and form parameters become a `requestBody` in the media types `consumes` names; response
//! schemas move under `content` in the media types `produces` names; `definitions`,
//! `parameters`, `responses` and `securityDefinitions` move under `components` (every local
//! `$ref` rewritten to match); OAuth2 flows are renamed; `x-nullable`, `null` types, `type: file`,
//! lists of item schemas and string discriminators take their OpenAPI 3 forms. Everything else
//! is kept as it is, in its order.

use super::model::{METHODS, deref};
use serde_json::{Map, Value, json};

/// The version written: the last 3.0 release, which every 3.0 tool reads.
pub const TARGET_VERSION: &str = "3.0.3";

/// The OpenAPI 3.0 form of a (bundled, self-contained) Swagger 2.0 document.
pub fn swagger2_to_openapi3(doc: &Value) -> Value {
    let Some(source) = doc.as_object() else { return doc.clone() };
    let consumes = media_types(source.get("consumes"));
    let produces = media_types(source.get("produces"));
    let mut out = Map::new();
    out.insert("openapi".into(), TARGET_VERSION.into());
    let mut components = Map::new();
    for (key, value) in source {
        match key.as_str() {
            "swagger" | "host" | "basePath" | "schemes" | "consumes" | "produces" => {}
            "info" => {
                out.insert(key.clone(), value.clone());
                if let Some(servers) = servers(source) {
                    out.insert("servers".into(), servers);
                }
            }
            "paths" => {
                out.insert(key.clone(), paths(doc, value, &consumes, &produces));
            }
            "definitions" => {
                components.insert("schemas".into(), map_values(value, schema));
            }
            "parameters" => {
                // A body or form parameter has no OpenAPI 3 counterpart under `parameters`: it is
                // written into each operation that uses it (see `operation`), as the operation's
                // own `consumes` decides its media types, and kept as a request body of the
                // components, so one no operation uses is not lost.
                let (payload, kept): (Vec<_>, Vec<_>) =
                    value.as_object().into_iter().flatten().partition(|(_, p)| is_payload(p));
                if !kept.is_empty() {
                    let kept = kept.into_iter().map(|(name, p)| (name.clone(), parameter(p))).collect();
                    components.insert("parameters".into(), Value::Object(kept));
                }
                let bodies: Map<String, Value> = payload
                    .into_iter()
                    .filter_map(|(name, p)| Some((name.clone(), request_body(&[p], &consumes)?)))
                    .collect();
                if !bodies.is_empty() {
                    components.insert("requestBodies".into(), Value::Object(bodies));
                }
            }
            "responses" => {
                components.insert("responses".into(), map_values(value, |r| response(r, &produces)));
            }
            "securityDefinitions" => {
                components.insert("securitySchemes".into(), map_values(value, security_scheme));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    if source.get("info").is_none()
        && let Some(servers) = servers(source)
    {
        out.insert("servers".into(), servers);
    }
    if !components.is_empty() {
        out.insert("components".into(), Value::Object(components));
    }
    Value::Object(out)
}

/// The media types a `consumes` or `produces` list names.
fn media_types(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// `types`, or JSON when none is named, as Swagger 2.0 tools assume.
fn or_json(types: &[String]) -> Vec<String> {
    if types.is_empty() { vec!["application/json".to_string()] } else { types.to_vec() }
}

/// `host`, `basePath` and `schemes` as server URLs (https when no scheme is named).
fn servers(source: &Map<String, Value>) -> Option<Value> {
    let text = |key: &str| source.get(key).and_then(Value::as_str).unwrap_or_default();
    let (host, base) = (text("host"), text("basePath"));
    let urls: Vec<String> = if !host.is_empty() {
        let schemes = media_types(source.get("schemes"));
        let schemes = if schemes.is_empty() { vec!["https".to_string()] } else { schemes };
        schemes.iter().map(|s| format!("{s}://{host}{base}")).collect()
    } else if !base.is_empty() {
        vec![base.to_string()]
    } else {
        return None;
    };
    Some(Value::Array(urls.into_iter().map(|url| json!({ "url": url })).collect()))
}

fn map_values(value: &Value, convert: impl Fn(&Value) -> Value) -> Value {
    match value.as_object() {
        Some(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), convert(v))).collect()),
        None => value.clone(),
    }
}

/// A local reference with its Swagger 2.0 section renamed to the OpenAPI 3 one.
fn reference(target: &str) -> String {
    for (from, to) in [
        ("#/definitions/", "#/components/schemas/"),
        ("#/parameters/", "#/components/parameters/"),
        ("#/responses/", "#/components/responses/"),
    ] {
        if let Some(rest) = target.strip_prefix(from) {
            return format!("{to}{rest}");
        }
    }
    target.to_string()
}

/// A schema with its Swagger 2.0 forms rewritten, all the way down.
fn schema(value: &Value) -> Value {
    let Some(fields) = value.as_object() else { return value.clone() };
    let mut out = Map::new();
    for (key, v) in fields {
        match key.as_str() {
            "$ref" => {
                out.insert(key.clone(), v.as_str().map(reference).map_or_else(|| v.clone(), Value::String));
            }
            "type" if v == "file" => {
                out.insert("type".into(), "string".into());
                out.insert("format".into(), "binary".into());
            }
            // OpenAPI 3.0 has one type per schema and no `null` type: `nullable` says it.
            "type" if v == "null" => {
                out.insert("nullable".into(), true.into());
            }
            "type" if v.is_array() => {
                let names: Vec<&Value> = v.as_array().into_iter().flatten().collect();
                let types: Vec<&Value> = names.iter().copied().filter(|t| *t != "null").collect();
                if types.len() < names.len() {
                    out.insert("nullable".into(), true.into());
                }
                match types.as_slice() {
                    [] => {}
                    [one] => {
                        out.insert("type".into(), (*one).clone());
                    }
                    many if !fields.contains_key("anyOf") => {
                        out.insert("anyOf".into(), many.iter().map(|t| json!({ "type": t })).collect());
                    }
                    _ => {
                        out.insert("x-type".into(), v.clone());
                    }
                }
            }
            "x-nullable" => {
                out.insert("nullable".into(), v.clone());
            }
            "discriminator" if v.is_string() => {
                out.insert(key.clone(), json!({ "propertyName": v }));
            }
            "properties" => {
                out.insert(key.clone(), map_values(v, schema));
            }
            "additionalProperties" | "not" if v.is_object() => {
                out.insert(key.clone(), schema(v));
            }
            "items" => {
                out.insert(
                    key.clone(),
                    match v {
                        // A list of item schemas is not allowed in OpenAPI 3 (nor in Swagger 2.0,
                        // though documents use it to mean "any of these"): written as `anyOf`, as
                        // swagger2openapi does.
                        Value::Array(items) => {
                            // `[A, {type: null}]` means "A or null".
                            let kinds: Vec<&Value> = items.iter().filter(|i| !is_null_type(i)).collect();
                            let mut item = match kinds.as_slice() {
                                [one] => schema(one),
                                _ => json!({ "anyOf": kinds.iter().map(|k| schema(k)).collect::<Vec<_>>() }),
                            };
                            if kinds.len() < items.len()
                                && let Some(fields) = item.as_object_mut()
                            {
                                fields.insert("nullable".into(), true.into());
                            }
                            ref_beside_nullable(item)
                        }
                        _ => schema(v),
                    },
                );
            }
            "allOf" | "anyOf" | "oneOf" => {
                out.insert(
                    key.clone(),
                    match v {
                        Value::Array(items) => Value::Array(items.iter().map(schema).collect()),
                        _ => v.clone(),
                    },
                );
            }
            _ => {
                out.insert(key.clone(), v.clone());
            }
        }
    }
    ref_beside_nullable(Value::Object(out))
}

/// OpenAPI 3.0 ignores what stands beside a `$ref`: a nullable reference is written as the
/// nullable `allOf` of it.
fn ref_beside_nullable(schema: Value) -> Value {
    match schema {
        Value::Object(mut fields) if fields.contains_key("$ref") && fields.contains_key("nullable") => {
            let nullable = fields.remove("nullable").unwrap_or(Value::Bool(true));
            let target = fields.remove("$ref").unwrap_or_default();
            fields.insert("allOf".into(), json!([{ "$ref": target }]));
            fields.insert("nullable".into(), nullable);
            Value::Object(fields)
        }
        other => other,
    }
}

/// A schema that only says "null" (with perhaps a title or description).
fn is_null_type(value: &Value) -> bool {
    value.as_object().is_some_and(|fields| {
        fields.get("type").is_some_and(|t| t == "null")
            && fields.keys().all(|k| matches!(k.as_str(), "type" | "title" | "description"))
    })
}

/// The JSON Schema keywords a Swagger 2.0 parameter, header or `items` carries inline.
const SCHEMA_KEYWORDS: [&str; 16] = [
    "type",
    "format",
    "items",
    "enum",
    "default",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "pattern",
    "maxLength",
    "minLength",
    "maxItems",
    "minItems",
    "uniqueItems",
    "multipleOf",
];

/// The schema a parameter, header or `items` object describes with its own keywords (nested
/// `items` too; their `collectionFormat` has no place in a schema).
pub(crate) fn inline_schema(fields: &Map<String, Value>) -> Value {
    let kept: Map<String, Value> = fields
        .iter()
        .filter(|(k, _)| SCHEMA_KEYWORDS.contains(&k.as_str()))
        .map(|(k, v)| match (k.as_str(), v.as_object()) {
            ("items", Some(items)) => (k.clone(), inline_schema(items)),
            _ => (k.clone(), v.clone()),
        })
        .collect();
    schema(&Value::Object(kept))
}

fn is_payload(parameter: &Value) -> bool {
    matches!(parameter.get("in").and_then(Value::as_str), Some("body" | "formData"))
}

/// A path, query, header parameter (or a `$ref` to one) in OpenAPI 3 form.
fn parameter(p: &Value) -> Value {
    let Some(fields) = p.as_object() else { return p.clone() };
    if let Some(target) = fields.get("$ref").and_then(Value::as_str) {
        return json!({ "$ref": reference(target) });
    }
    let mut out = Map::new();
    for (key, v) in fields {
        match key.as_str() {
            "name" | "in" | "description" | "required" | "allowEmptyValue" => {
                out.insert(key.clone(), v.clone());
            }
            "x-example" => {
                out.insert("example".into(), v.clone());
            }
            k if k.starts_with("x-") => {
                out.insert(key.clone(), v.clone());
            }
            _ => {}
        }
    }
    out.extend(array_style(fields));
    out.insert("schema".into(), inline_schema(fields));
    Value::Object(out)
}

/// How an array parameter or form field (`fields`) is written, in OpenAPI 3's words: `style`
/// and `explode` for its Swagger 2.0 `collectionFormat`. Empty for a value that is no array,
/// and where OpenAPI 3's default says the same.
fn array_style(fields: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    if fields.get("type").and_then(Value::as_str) != Some("array") {
        return out;
    }
    let in_path_or_header = matches!(fields.get("in").and_then(Value::as_str), Some("path" | "header"));
    // Swagger 2.0's default is `csv`: commas in one value, which OpenAPI 3 calls `form`
    // without `explode` in a query or a form (`simple`, the default, in a path or header).
    let style = match fields.get("collectionFormat").and_then(Value::as_str).unwrap_or("csv") {
        "csv" if !in_path_or_header => Some(("form", false)),
        "ssv" => Some(("spaceDelimited", false)),
        "pipes" => Some(("pipeDelimited", false)),
        "multi" => Some(("form", true)),
        // `tsv` has no OpenAPI 3 style: kept where a reader can see it.
        "tsv" => {
            out.insert("x-collectionFormat".into(), "tsv".into());
            None
        }
        _ => None,
    };
    if let Some((style, explode)) = style {
        out.insert("style".into(), style.into());
        out.insert("explode".into(), explode.into());
    }
    out
}

fn paths(doc: &Value, paths: &Value, consumes: &[String], produces: &[String]) -> Value {
    let Some(paths) = paths.as_object() else { return paths.clone() };
    let mut out = Map::new();
    for (path, item) in paths {
        let Some(fields) = item.as_object().filter(|_| !path.starts_with("x-")) else {
            out.insert(path.clone(), item.clone());
            continue;
        };
        // The path's body and form parameters go to each of its operations' request bodies.
        let shared: Vec<&Value> = fields.get("parameters").and_then(Value::as_array).into_iter().flatten().collect();
        let mut converted = Map::new();
        for (key, v) in fields {
            match key.as_str() {
                "parameters" => {
                    let kept: Vec<Value> =
                        shared.iter().filter(|p| !is_payload(deref(doc, p))).map(|p| parameter(p)).collect();
                    if !kept.is_empty() {
                        converted.insert(key.clone(), Value::Array(kept));
                    }
                }
                method if METHODS.contains(&method) => {
                    converted.insert(key.clone(), operation(doc, v, &shared, consumes, produces));
                }
                _ => {
                    converted.insert(key.clone(), v.clone());
                }
            }
        }
        out.insert(path.clone(), Value::Object(converted));
    }
    Value::Object(out)
}

fn operation(doc: &Value, op: &Value, shared: &[&Value], consumes: &[String], produces: &[String]) -> Value {
    let Some(fields) = op.as_object() else { return op.clone() };
    let consumes = fields.get("consumes").map(|c| media_types(Some(c))).unwrap_or_else(|| consumes.to_vec());
    let produces = fields.get("produces").map(|c| media_types(Some(c))).unwrap_or_else(|| produces.to_vec());
    let own: Vec<&Value> = fields.get("parameters").and_then(Value::as_array).into_iter().flatten().collect();
    // The body or form fields, the operation's own winning over the path's of the same name.
    let mut payload: Vec<&Value> = Vec::new();
    for p in shared.iter().chain(&own).map(|p| deref(doc, p)).filter(|p| is_payload(p)) {
        let key = (p.get("name"), p.get("in"));
        payload.retain(|q| (q.get("name"), q.get("in")) != key);
        payload.push(p);
    }
    let body = request_body(&payload, &consumes);
    let mut out = Map::new();
    for (key, v) in fields {
        match key.as_str() {
            "consumes" | "produces" | "schemes" => {}
            "parameters" => {
                let kept: Vec<Value> =
                    own.iter().filter(|p| !is_payload(deref(doc, p))).map(|p| parameter(p)).collect();
                if !kept.is_empty() {
                    out.insert(key.clone(), Value::Array(kept));
                }
                if let Some(body) = &body {
                    out.insert("requestBody".into(), body.clone());
                }
            }
            "responses" => {
                out.insert(key.clone(), map_values(v, |r| response(r, &produces)));
            }
            _ => {
                out.insert(key.clone(), v.clone());
            }
        }
    }
    // A body that comes only from the path's parameters.
    if let Some(body) = body
        && !out.contains_key("requestBody")
    {
        out.insert("requestBody".into(), body);
    }
    Value::Object(out)
}

/// The request body a `body` parameter, or a set of `formData` ones, describe.
fn request_body(payload: &[&Value], consumes: &[String]) -> Option<Value> {
    if let Some(body) = payload.iter().find(|p| p.get("in").and_then(Value::as_str) == Some("body")) {
        let mut media = Map::new();
        media.insert("schema".into(), schema(body.get("schema").unwrap_or(&json!({}))));
        if let Some(example) = body.get("x-example") {
            media.insert("example".into(), example.clone());
        }
        let media = Value::Object(media);
        let mut out = Map::new();
        if let Some(description) = body.get("description") {
            out.insert("description".into(), description.clone());
        }
        out.insert(
            "content".into(),
            Value::Object(or_json(consumes).into_iter().map(|c| (c, media.clone())).collect()),
        );
        if body.get("required").and_then(Value::as_bool) == Some(true) {
            out.insert("required".into(), true.into());
        }
        return Some(Value::Object(out));
    }
    if payload.is_empty() {
        return None;
    }
    let (mut properties, mut required, mut encoding) = (Map::new(), Vec::new(), Map::new());
    for field in payload {
        let Some(fields) = field.as_object() else { continue };
        let name = fields.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
        let style = array_style(fields);
        if !style.is_empty() {
            encoding.insert(name.clone(), Value::Object(style));
        }
        let mut property = inline_schema(fields);
        if let (Some(description), Some(property)) = (fields.get("description"), property.as_object_mut()) {
            property.insert("description".into(), description.clone());
        }
        if fields.get("required").and_then(Value::as_bool) == Some(true) {
            required.push(Value::String(name.clone()));
        }
        properties.insert(name, property);
    }
    let mut form = Map::new();
    form.insert("type".into(), "object".into());
    form.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        form.insert("required".into(), Value::Array(required.clone()));
    }
    let types = form_media_types(payload, consumes);
    let mut media = json!({ "schema": Value::Object(form) });
    if !encoding.is_empty() {
        media["encoding"] = Value::Object(encoding);
    }
    let mut out = Map::new();
    out.insert("content".into(), Value::Object(types.into_iter().map(|c| (c, media.clone())).collect()));
    if !required.is_empty() {
        out.insert("required".into(), true.into());
    }
    Some(Value::Object(out))
}

/// The media types form fields are sent as: the form types `consumes` names, or else
/// `multipart/form-data` when a field is a file (Swagger 2.0 requires it then) and
/// `application/x-www-form-urlencoded` when none is.
pub(crate) fn form_media_types(fields: &[&Value], consumes: &[String]) -> Vec<String> {
    let named: Vec<String> = consumes.iter().filter(|c| c.contains("form")).cloned().collect();
    if !named.is_empty() {
        return named;
    }
    let file = fields.iter().any(|f| f.get("type").and_then(Value::as_str) == Some("file"));
    vec![if file { "multipart/form-data" } else { "application/x-www-form-urlencoded" }.to_string()]
}

/// A response (or a `$ref` to one) in OpenAPI 3 form: its schema, and its examples per media
/// type, under `content`.
fn response(r: &Value, produces: &[String]) -> Value {
    let Some(fields) = r.as_object() else { return r.clone() };
    if let Some(target) = fields.get("$ref").and_then(Value::as_str) {
        return json!({ "$ref": reference(target) });
    }
    let mut out = Map::new();
    // OpenAPI 3 requires a description; Swagger 2.0 did too, but documents leave it out.
    out.insert("description".into(), fields.get("description").cloned().unwrap_or_else(|| "".into()));
    for (key, v) in fields {
        match key.as_str() {
            "description" => {}
            // Examples without a schema still say what the response looks like (and a prototype
            // answers with them).
            "examples" if !fields.contains_key("schema") => {
                let content: Map<String, Value> = v
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(c, example)| (c.clone(), json!({ "example": example })))
                    .collect();
                out.insert("content".into(), Value::Object(content));
            }
            "examples" => {}
            "schema" => {
                let examples = fields.get("examples").and_then(Value::as_object);
                let content: Map<String, Value> = or_json(produces)
                    .into_iter()
                    .map(|c| {
                        let mut media = Map::new();
                        media.insert("schema".into(), schema(v));
                        if let Some(example) = examples.and_then(|e| e.get(&c)) {
                            media.insert("example".into(), example.clone());
                        }
                        (c, Value::Object(media))
                    })
                    .collect();
                out.insert("content".into(), Value::Object(content));
            }
            "headers" => {
                out.insert(key.clone(), map_values(v, header));
            }
            _ => {
                out.insert(key.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

fn header(h: &Value) -> Value {
    let Some(fields) = h.as_object() else { return h.clone() };
    let mut out = Map::new();
    for (key, v) in fields {
        if key == "description" || key.starts_with("x-") {
            out.insert(key.clone(), v.clone());
        }
    }
    out.insert("schema".into(), inline_schema(fields));
    Value::Object(out)
}

fn security_scheme(s: &Value) -> Value {
    let Some(fields) = s.as_object() else { return s.clone() };
    let kind = fields.get("type").and_then(Value::as_str).unwrap_or_default();
    let mut out = Map::new();
    match kind {
        "basic" => {
            out.insert("type".into(), "http".into());
            out.insert("scheme".into(), "basic".into());
        }
        "oauth2" => {
            out.insert("type".into(), "oauth2".into());
            let flow = match fields.get("flow").and_then(Value::as_str).unwrap_or_default() {
                "application" => "clientCredentials",
                "accessCode" => "authorizationCode",
                other => other,
            };
            let mut details = Map::new();
            for key in ["authorizationUrl", "tokenUrl"] {
                if let Some(url) = fields.get(key) {
                    details.insert(key.into(), url.clone());
                }
            }
            details.insert("scopes".into(), fields.get("scopes").cloned().unwrap_or_else(|| json!({})));
            out.insert("flows".into(), json!({ flow: Value::Object(details) }));
        }
        _ => {
            for key in ["type", "name", "in"] {
                if let Some(v) = fields.get(key) {
                    out.insert(key.into(), v.clone());
                }
            }
        }
    }
    for (key, v) in fields {
        if key == "description" || key.starts_with("x-") {
            out.insert(key.clone(), v.clone());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(doc: Value) -> Value {
        swagger2_to_openapi3(&doc)
    }

    #[test]
    fn servers_come_from_host_base_path_and_schemes() {
        let out = convert(json!({ "swagger": "2.0", "info": {}, "host": "api.example.com", "basePath": "/v1",
            "schemes": ["http", "https"], "paths": {} }));
        assert_eq!(out["openapi"], TARGET_VERSION);
        assert_eq!(
            out["servers"],
            json!([{ "url": "http://api.example.com/v1" }, { "url": "https://api.example.com/v1" }])
        );
        assert!(out.get("host").is_none() && out.get("swagger").is_none());
        let relative = convert(json!({ "swagger": "2.0", "info": {}, "basePath": "/v1", "paths": {} }));
        assert_eq!(relative["servers"], json!([{ "url": "/v1" }]));
    }

    #[test]
    fn a_body_parameter_becomes_a_request_body_in_each_consumed_type() {
        let out = convert(json!({ "swagger": "2.0", "info": {}, "consumes": ["application/json", "application/xml"],
            "paths": { "/pets": { "post": {
                "parameters": [
                    { "name": "pet", "in": "body", "required": true, "description": "The pet",
                      "schema": { "$ref": "#/definitions/Pet" }, "x-example": { "name": "Rex" } },
                    { "name": "dry", "in": "query", "type": "boolean" }
                ],
                "responses": { "201": { "description": "Created" } } } } },
            "definitions": { "Pet": { "type": "object", "x-nullable": true } } }));
        let post = &out["paths"]["/pets"]["post"];
        assert_eq!(post["parameters"], json!([{ "name": "dry", "in": "query", "schema": { "type": "boolean" } }]));
        let body = &post["requestBody"];
        assert_eq!(body["required"], true);
        assert_eq!(body["description"], "The pet");
        for media in ["application/json", "application/xml"] {
            assert_eq!(body["content"][media]["schema"], json!({ "$ref": "#/components/schemas/Pet" }));
            assert_eq!(body["content"][media]["example"], json!({ "name": "Rex" }));
        }
        assert_eq!(out["components"]["schemas"]["Pet"], json!({ "type": "object", "nullable": true }));
        assert!(out.get("definitions").is_none());
    }

    #[test]
    fn form_fields_become_one_object_and_a_file_makes_it_multipart() {
        let out = convert(json!({ "swagger": "2.0", "info": {}, "paths": { "/upload": {
            "parameters": [{ "name": "folder", "in": "formData", "type": "string", "required": true }],
            "post": { "parameters": [
                { "name": "file", "in": "formData", "type": "file", "description": "The file" },
                { "name": "tags", "in": "formData", "type": "array", "items": { "type": "string" } },
                { "name": "ids", "in": "formData", "type": "array", "items": { "type": "integer" }, "collectionFormat": "multi" }
            ], "responses": { "200": { "description": "OK" } } } } } }));
        let body = &out["paths"]["/upload"]["post"]["requestBody"];
        assert_eq!(body["required"], true);
        assert_eq!(
            body["content"]["multipart/form-data"]["schema"],
            json!({ "type": "object", "properties": {
                "folder": { "type": "string" },
                "file": { "type": "string", "format": "binary", "description": "The file" },
                "tags": { "type": "array", "items": { "type": "string" } },
                "ids": { "type": "array", "items": { "type": "integer" } } }, "required": ["folder"] })
        );
        assert_eq!(
            body["content"]["multipart/form-data"]["encoding"],
            json!({ "tags": { "style": "form", "explode": false }, "ids": { "style": "form", "explode": true } }),
            "csv, the default, and multi"
        );
        assert!(out["paths"]["/upload"].get("parameters").is_none(), "the form field left the path's parameters");
    }

    #[test]
    fn arrays_keep_their_collection_format_as_a_style() {
        let param = |format: Option<&str>, location: &str| {
            let mut p = json!({ "name": "ids", "in": location, "type": "array", "items": { "type": "integer" } });
            if let Some(f) = format {
                p["collectionFormat"] = f.into();
            }
            parameter(&p)
        };
        assert_eq!(
            (param(None, "query")["style"].clone(), param(None, "query")["explode"].clone()),
            ("form".into(), false.into())
        );
        assert_eq!(param(Some("multi"), "query")["explode"], true);
        assert_eq!(param(Some("pipes"), "query")["style"], "pipeDelimited");
        assert_eq!(param(Some("ssv"), "query")["style"], "spaceDelimited");
        assert!(param(None, "path").get("style").is_none(), "csv in a path is OpenAPI 3's default");
        assert_eq!(param(Some("tsv"), "query")["x-collectionFormat"], "tsv");
        assert_eq!(param(None, "path")["schema"], json!({ "type": "array", "items": { "type": "integer" } }));
    }

    #[test]
    fn responses_move_under_content_with_their_examples_and_headers() {
        let out = convert(json!({ "swagger": "2.0", "info": {}, "produces": ["application/json"],
            "paths": { "/pets": { "get": { "responses": {
                "200": { "description": "Pets", "schema": { "type": "array", "items": { "$ref": "#/definitions/Pet" } },
                         "examples": { "application/json": [{ "name": "Rex" }] },
                         "headers": { "X-Rate-Limit": { "type": "integer", "description": "Calls left" } } },
                "default": { "$ref": "#/responses/Error" } } } } },
            "responses": { "Error": { "description": "Failed", "schema": { "$ref": "#/definitions/Error" } } } }));
        let ok = &out["paths"]["/pets"]["get"]["responses"]["200"];
        assert_eq!(ok["content"]["application/json"]["schema"]["items"]["$ref"], "#/components/schemas/Pet");
        assert_eq!(ok["content"]["application/json"]["example"], json!([{ "name": "Rex" }]));
        assert_eq!(
            ok["headers"]["X-Rate-Limit"],
            json!({ "description": "Calls left", "schema": { "type": "integer" } })
        );
        assert_eq!(
            out["paths"]["/pets"]["get"]["responses"]["default"],
            json!({ "$ref": "#/components/responses/Error" })
        );
        assert_eq!(
            out["components"]["responses"]["Error"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Error"
        );
    }

    #[test]
    fn security_definitions_become_schemes_with_renamed_flows() {
        let out = convert(json!({ "swagger": "2.0", "info": {}, "paths": {}, "securityDefinitions": {
            "basic": { "type": "basic" },
            "key": { "type": "apiKey", "in": "header", "name": "X-Key", "description": "A key" },
            "oauth": { "type": "oauth2", "flow": "application", "tokenUrl": "https://auth/token", "scopes": { "read": "Read" } },
            "code": { "type": "oauth2", "flow": "accessCode", "authorizationUrl": "https://auth/a", "tokenUrl": "https://auth/t" } } }));
        let schemes = &out["components"]["securitySchemes"];
        assert_eq!(schemes["basic"], json!({ "type": "http", "scheme": "basic" }));
        assert_eq!(
            schemes["key"],
            json!({ "type": "apiKey", "name": "X-Key", "in": "header", "description": "A key" })
        );
        assert_eq!(
            schemes["oauth"]["flows"],
            json!({ "clientCredentials": { "tokenUrl": "https://auth/token", "scopes": { "read": "Read" } } })
        );
        assert_eq!(schemes["code"]["flows"]["authorizationCode"]["scopes"], json!({}));
    }

    #[test]
    fn shared_parameters_split_between_components_and_operations() {
        let out = convert(json!({ "swagger": "2.0", "info": {}, "paths": { "/pets": { "post": { "parameters": [
                { "$ref": "#/parameters/Limit" }, { "$ref": "#/parameters/NewPet" } ], "responses": {} } } },
            "parameters": {
                "Limit": { "name": "limit", "in": "query", "type": "integer" },
                "NewPet": { "name": "pet", "in": "body", "schema": { "$ref": "#/definitions/Pet" } } } }));
        let post = &out["paths"]["/pets"]["post"];
        assert_eq!(post["parameters"], json!([{ "$ref": "#/components/parameters/Limit" }]));
        assert_eq!(post["requestBody"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/Pet");
        assert_eq!(
            out["components"]["parameters"],
            json!({ "Limit": { "name": "limit", "in": "query", "schema": { "type": "integer" } } })
        );
        assert_eq!(
            out["components"]["requestBodies"]["NewPet"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Pet",
            "a shared body is kept among the components too"
        );
    }

    #[test]
    fn shared_body_and_form_parameters_no_operation_uses_are_kept() {
        let out = convert(json!({ "swagger": "2.0", "info": {}, "paths": {}, "consumes": ["application/xml"],
            "parameters": {
                "Note": { "name": "note", "in": "body", "description": "A note", "schema": { "type": "string" } },
                "Avatar": { "name": "avatar", "in": "formData", "type": "file", "required": true } } }));
        let bodies = &out["components"]["requestBodies"];
        assert_eq!(
            bodies["Note"],
            json!({ "description": "A note", "content": { "application/xml": { "schema": { "type": "string" } } } })
        );
        assert_eq!(
            bodies["Avatar"]["content"]["multipart/form-data"]["schema"]["properties"]["avatar"],
            json!({ "type": "string", "format": "binary" })
        );
        assert!(out["components"].get("parameters").is_none());
    }

    #[test]
    fn discriminators_files_nulls_and_item_lists_take_their_openapi_3_forms() {
        let converted = schema(&json!({ "discriminator": "kind", "properties": {
            "photo": { "type": "file" }, "parts": { "allOf": [{ "$ref": "#/definitions/Part" }] },
            "either": { "type": "array", "items": [{ "type": "string" }, { "type": "integer" }] },
            "maybe": { "type": ["null", "string"] },
            "latest": { "type": "array", "items": [{ "$ref": "#/definitions/Message" }, { "type": "null" }] } } }));
        assert_eq!(
            converted,
            json!({ "discriminator": { "propertyName": "kind" }, "properties": {
                "photo": { "type": "string", "format": "binary" },
                "parts": { "allOf": [{ "$ref": "#/components/schemas/Part" }] },
                "either": { "type": "array", "items": { "anyOf": [{ "type": "string" }, { "type": "integer" }] } },
                "maybe": { "nullable": true, "type": "string" },
                "latest": { "type": "array", "items": { "allOf": [{ "$ref": "#/components/schemas/Message" }], "nullable": true } } } })
        );
    }
}
