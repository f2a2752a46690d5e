//! Plausible values for JSON Schemas: the answers of a prototype whose definition gives no
//! example (rendered into the bundle on the server) and the request the portal's try-it
//! console starts from (in the browser). One function for both, so a consumer trying a
//! prototype sends what its mock answers look like.

use crate::format;
use serde_json::{Map, Value, json};

/// Looks up a local `$ref` (`#/components/schemas/Pet`) in whatever holds the schemas: the
/// whole definition on the server, the operation's reachable schemas in the browser.
pub type Resolve<'a> = dyn Fn(&str) -> Option<&'a Value> + 'a;

/// How deep a sample nests with every property and an item per array; deeper, only what a
/// message must hold (required properties, `minItems`), so recursive schemas (a tree's
/// children) end and a deep one still gives a readable value.
const MAX_DEPTH: usize = 5;
/// Where even a required property stops, with `null`: a schema that requires itself.
const MAX_REQUIRED_DEPTH: usize = 24;

/// `schema` with its `$ref`s followed, as far as they resolve (a chain of at most 32).
pub fn resolved<'s, 'a: 's>(schema: &'s Value, resolve: &Resolve<'a>) -> &'s Value {
    let mut here = schema;
    for _ in 0..32 {
        match here.get("$ref").and_then(Value::as_str).and_then(resolve) {
            Some(target) => here = target,
            None => break,
        }
    }
    here
}

/// Which way a sampled message goes: a request leaves out `readOnly` properties (an id the
/// server assigns), a response `writeOnly` ones (a password).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Request,
    Response,
}

/// A plausible value for `schema`: its own example, else its first enum value, else one built
/// from its type (objects with their properties, arrays of one item).
pub fn sample<'s, 'a: 's>(schema: &'s Value, resolve: &Resolve<'a>, direction: Direction) -> Value {
    Sampler { resolve, direction }.sample(schema, 0)
}

struct Sampler<'r, 'a> {
    resolve: &'r Resolve<'a>,
    direction: Direction,
}

impl<'a> Sampler<'_, 'a> {
    /// Whether a property belongs in a message going this way.
    fn carries(&self, property: &Value) -> bool {
        let property = resolved(property, self.resolve);
        let flag = match self.direction {
            Direction::Request => "readOnly",
            Direction::Response => "writeOnly",
        };
        property.get(flag) != Some(&Value::Bool(true))
    }

    fn sample<'s>(&self, schema: &'s Value, depth: usize) -> Value
    where
        'a: 's,
    {
        let schema = resolved(schema, self.resolve);
        if depth >= MAX_REQUIRED_DEPTH {
            return Value::Null;
        }
        // The definition's own values first, those of the schema's type and format: an example
        // written as a string for an object, a `null` default where null is not allowed, or
        // "yesterday" for a date, would show a consumer a message the API refuses.
        let given = schema
            .get("example")
            .into_iter()
            .chain(schema.get("examples").and_then(Value::as_array).and_then(|e| e.first()))
            .chain(schema.get("enum").and_then(Value::as_array).into_iter().flatten())
            .chain(schema.get("default"))
            .find(|value| of_its_type(value, schema));
        if let Some(value) = given {
            return value.clone();
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            let Some(parts) = schema.get(key).and_then(Value::as_array) else { continue };
            let mut samples = parts.iter().enumerate().map(|(i, part)| (i, self.sample(part, depth + 1)));
            let (combined, chosen) = if key == "allOf" {
                // allOf's parts make one value together: their objects merged, else the first
                // part that gives a value.
                let (mut merged, mut other) = (None::<Map<String, Value>>, None);
                for (_, sampled) in samples {
                    match sampled {
                        Value::Object(fields) => merged.get_or_insert_default().extend(fields),
                        Value::Null => {}
                        sampled => {
                            other.get_or_insert(sampled);
                        }
                    }
                }
                (merged.map(Value::Object).or(other).unwrap_or(Value::Null), None)
            } else {
                // Of oneOf/anyOf, the first alternative that gives a value stands for them all
                // (an alternative may only say which properties are required).
                match samples.find(|(_, sampled)| !sampled.is_null()) {
                    Some((i, sampled)) => (sampled, Some(i)),
                    None => (Value::Null, (!parts.is_empty()).then_some(0)),
                }
            };
            // The schema's own properties beside its combinator count too (`type: object`
            // with `oneOf: [{required: [a]}, {required: [b]}]`), but those only the other
            // alternatives require: "one of `a` or `b`" is sent with `a` alone.
            return match (combined, self.typed(schema, depth)) {
                (combined @ (Value::Object(_) | Value::Null), Value::Object(mut own)) => {
                    if let Some(chosen) = chosen {
                        let keep: Vec<&str> =
                            required_of(schema).chain(required_of(resolved(&parts[chosen], self.resolve))).collect();
                        for (_, other) in parts.iter().enumerate().filter(|(i, _)| *i != chosen) {
                            for name in required_of(resolved(other, self.resolve)).filter(|n| !keep.contains(n)) {
                                own.remove(name);
                            }
                        }
                    }
                    if let Value::Object(fields) = combined {
                        own.extend(fields);
                    }
                    Value::Object(own)
                }
                (Value::Null, own) => own,
                (combined, _) => combined,
            };
        }
        self.typed(schema, depth)
    }

    /// A value built from the schema's type (its combinators aside).
    fn typed<'s>(&self, schema: &'s Value, depth: usize) -> Value
    where
        'a: 's,
    {
        let count = |key: &str| schema.get(key).and_then(Value::as_u64);
        match type_of(schema) {
            "object" => {
                let required: Vec<&str> = required_of(schema).collect();
                Value::Object(
                    schema
                        .get("properties")
                        .and_then(Value::as_object)
                        .map(|props| {
                            props
                                .iter()
                                .filter(|(k, v)| {
                                    self.carries(v) && (depth < MAX_DEPTH || required.contains(&k.as_str()))
                                })
                                .map(|(k, v)| (k.clone(), self.sample(v, depth + 1)))
                                .collect()
                        })
                        .unwrap_or_default(),
                )
            }
            "array" => {
                let least = count("minItems").unwrap_or(0);
                let items = if depth < MAX_DEPTH { least.max(1) } else { least }.min(10);
                let item = self.sample(schema.get("items").unwrap_or(&Value::Null), depth + 1);
                Value::Array(vec![item; items as usize])
            }
            "integer" => json!(within_bounds(schema, 1.0, true) as i64),
            "number" => {
                serde_json::Number::from_f64(within_bounds(schema, 1.5, false)).map_or(json!(1.5), Value::Number)
            }
            "boolean" => json!(true),
            "string" => {
                let text = schema.get("format").and_then(Value::as_str).and_then(format::sample).unwrap_or("string");
                // Cut or padded to the lengths allowed (a pattern, it cannot guess).
                let mut text: String = text.chars().take(count("maxLength").unwrap_or(u64::MAX) as usize).collect();
                let short = (count("minLength").unwrap_or(0).min(1000) as usize).saturating_sub(text.chars().count());
                text.extend(std::iter::repeat_n('x', short));
                json!(text)
            }
            _ => Value::Null,
        }
    }
}

/// The property names a schema requires.
fn required_of(schema: &Value) -> impl Iterator<Item = &str> {
    schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str)
}

/// Whether `value` is of a type `schema` names (any value but null, when it names none) and of
/// its format.
fn of_its_type(value: &Value, schema: &Value) -> bool {
    let is = |kind: &str| is_of_type(value, kind);
    if schema.get("format").and_then(Value::as_str).is_some_and(|f| format::misfit(f, value).is_some()) {
        return false;
    }
    match schema.get("type") {
        // Null only where it is allowed in so many words: a `default: null` often just means
        // "absent".
        _ if value.is_null() => {
            schema.get("nullable") == Some(&Value::Bool(true))
                || schema.get("type").and_then(Value::as_array).is_some_and(|t| t.contains(&json!("null")))
        }
        Some(Value::String(kind)) => is(kind),
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).any(is),
        _ => true,
    }
}

/// Calls `visit` with `schema` and every schema within it (properties, items, combinators…),
/// passing over literal data (examples, enums, defaults), where a schema keyword is only data.
pub fn each_schema<'v>(schema: &'v Value, visit: &mut impl FnMut(&'v Map<String, Value>)) {
    match schema {
        Value::Object(map) => {
            visit(map);
            for (key, child) in map {
                match (key.as_str(), child) {
                    // Schemas by name, whatever the names (a property may be called `example`).
                    ("properties" | "patternProperties", Value::Object(named)) => {
                        named.values().for_each(|schema| each_schema(schema, visit))
                    }
                    ("example" | "examples" | "enum" | "const" | "default", _) => {}
                    _ => each_schema(child, visit),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| each_schema(item, visit)),
        _ => {}
    }
}

/// Whether `value` is of the JSON Schema type `kind` (`integer`: a number with no fraction); a
/// type unknown here is not held against it.
pub fn is_of_type(value: &Value, kind: &str) -> bool {
    match kind {
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => true,
    }
}

/// `preferred`, or the nearest value the schema's bounds (and `multipleOf`) allow.
fn within_bounds(schema: &Value, preferred: f64, integer: bool) -> f64 {
    let number = |key: &str| schema.get(key).and_then(Value::as_f64);
    let flag = |key: &str| schema.get(key) == Some(&Value::Bool(true));
    // Above an exclusive bound by a step: 1 for integers, a small fraction of the range else.
    let step = if integer { 1.0 } else { 0.5 };
    let low = match (number("minimum"), number("exclusiveMinimum")) {
        (Some(min), _) if flag("exclusiveMinimum") => Some(min + step),
        (min, Some(exclusive)) => Some(min.unwrap_or(f64::MIN).max(exclusive + step)),
        (min, None) => min,
    };
    let high = match (number("maximum"), number("exclusiveMaximum")) {
        (Some(max), _) if flag("exclusiveMaximum") => Some(max - step),
        (max, Some(exclusive)) => Some(max.unwrap_or(f64::MAX).min(exclusive - step)),
        (max, None) => max,
    };
    let mut value = preferred;
    if let Some(low) = low {
        value = value.max(low);
    }
    if let Some(high) = high {
        value = value.min(high);
    }
    if let Some(step) = number("multipleOf").filter(|m| *m > 0.0) {
        value = (value / step).ceil() * step;
        if high.is_some_and(|h| value > h) {
            value -= step;
        }
    }
    if integer { value.ceil() } else { value }
}

/// The schema's type: `type` itself, the first not-null one of a list (3.1), or `object` when
/// it only lists properties.
fn type_of(schema: &Value) -> &str {
    match schema.get("type") {
        Some(Value::String(t)) => t,
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).find(|t| *t != "null").unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => "",
    }
}

/// Whether a media type is JSON (`application/json`, `application/problem+json`, …).
pub fn is_json(media_type: &str) -> bool {
    let essence = essence(media_type);
    essence.ends_with("/json") || essence.ends_with("+json")
}

/// A media type without its parameters, in lower case: `application/json` of
/// `Application/JSON; charset=utf-8`.
pub fn essence(media_type: &str) -> String {
    media_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// Whether a media type is an HTML form's: URL-encoded or multipart.
pub fn is_form(media_type: &str) -> bool {
    let essence = essence(media_type);
    essence == "application/x-www-form-urlencoded" || essence == "multipart/form-data"
}

/// One field of a form body, as the try-it console offers it.
#[derive(Clone, Debug, PartialEq)]
pub struct FormField {
    pub name: String,
    pub required: bool,
    /// A file upload (`format: binary` or `base64`): sent as a file part of a multipart body.
    pub file: bool,
    pub description: String,
    /// A plausible value, shown as the field's placeholder.
    pub sample: String,
}

/// The fields of a form body: the properties of its (resolved) object schema, in order, but
/// the `readOnly` ones a request leaves out.
pub fn form_fields<'s, 'a: 's>(schema: &'s Value, resolve: &Resolve<'a>) -> Vec<FormField> {
    let schema = resolved(schema, resolve);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .filter(|(_, property)| Sampler { resolve, direction: Direction::Request }.carries(property))
        .map(|(name, property)| {
            let property = resolved(property, resolve);
            let file = type_of(property) == "string"
                && matches!(property.get("format").and_then(Value::as_str), Some("binary" | "base64"));
            let sample = match sample(property, resolve, Direction::Request) {
                _ if file => String::new(),
                Value::String(s) => s,
                Value::Null => String::new(),
                other => other.to_string(),
            };
            FormField {
                name: name.clone(),
                required: required.contains(&name.as_str()),
                file,
                description: property.get("description").and_then(Value::as_str).unwrap_or_default().to_string(),
                sample,
            }
        })
        .collect()
}

/// What a form field is given: typed text, or a file picked from disk.
#[derive(Clone, Debug, PartialEq)]
pub enum FormValue {
    Text(String),
    File { name: String, content_type: String, bytes: Vec<u8> },
}

impl FormValue {
    fn bytes(&self) -> &[u8] {
        match self {
            FormValue::Text(text) => text.as_bytes(),
            FormValue::File { bytes, .. } => bytes,
        }
    }
}

/// The body of a form submission and its content type. URL-encoded: `name=value` pairs joined
/// by `&`. Multipart: one part per field, a file as a file part with its name and type, with a
/// boundary that none of the values contains. Text fields left empty are not sent, so the
/// operation's defaults apply.
pub fn form_body(media_type: &str, fields: &[(FormField, FormValue)]) -> (String, Vec<u8>) {
    let filled =
        fields.iter().filter(|(_, value)| matches!(value, FormValue::File { .. }) || !value.bytes().is_empty());
    if media_type.trim().to_ascii_lowercase().starts_with("multipart/") {
        let mut boundary = "gatehouse-try-it".to_string();
        while fields.iter().any(|(_, value)| contains(value.bytes(), boundary.as_bytes())) {
            boundary.push('-');
        }
        let mut body = Vec::new();
        for (field, value) in filled {
            let name = header_safe(&field.name);
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes(),
            );
            if let FormValue::File { name: file_name, content_type, .. } = value {
                let content_type = if content_type.is_empty() { "application/octet-stream" } else { content_type };
                let (file_name, content_type) = (header_safe(file_name), header_safe(content_type));
                body.extend_from_slice(
                    format!("; filename=\"{file_name}\"\r\nContent-Type: {content_type}").as_bytes(),
                );
            }
            body.extend_from_slice(b"\r\n\r\n");
            body.extend_from_slice(value.bytes());
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        (format!("multipart/form-data; boundary={boundary}"), body)
    } else {
        let pairs: Vec<String> = filled
            .map(|(field, value)| format!("{}={}", form_encode(field.name.as_bytes()), form_encode(value.bytes())))
            .collect();
        ("application/x-www-form-urlencoded".to_string(), pairs.join("&").into_bytes())
    }
}

/// A name or type as it may stand in a part's header: no quote or line break to end it early.
fn header_safe(text: &str) -> String {
    text.replace(['"', '\r', '\n'], "_")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// `application/x-www-form-urlencoded` encoding of one name or value: spaces as `+`, every
/// byte but the unreserved ones as `%XX`.
pub fn form_encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => (b as char).to_string(),
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schemas() -> Value {
        json!({
            "Pet": {"type": "object", "required": ["name"], "properties": {
                "id": {"type": "integer", "format": "int64"},
                "name": {"type": "string", "example": "Rex"},
                "status": {"type": "string", "enum": ["available", "sold"]},
                "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}},
                "born": {"type": ["string", "null"], "format": "date"}
            }},
            "Tag": {"type": "object", "properties": {"label": {"type": "string"}}},
            "Node": {"type": "object", "properties": {"child": {"$ref": "#/components/schemas/Node"}}},
            "Endless": {"required": ["again"], "properties": {"again": {"$ref": "#/components/schemas/Endless"}}}
        })
    }

    fn by_name<'a>(all: &'a Value) -> impl Fn(&str) -> Option<&'a Value> + 'a {
        move |reference| all.get(reference.strip_prefix("#/components/schemas/")?)
    }

    fn nothing<'a>(_: &str) -> Option<&'a Value> {
        None
    }

    #[test]
    fn objects_get_every_property_from_examples_enums_and_types() {
        let all = schemas();
        let resolve = by_name(&all);
        let pet = json!({"$ref": "#/components/schemas/Pet"});
        assert_eq!(
            sample(&pet, &resolve, Direction::Request),
            json!({"id": 1, "name": "Rex", "status": "available", "tags": [{"label": "string"}], "born": "2026-01-01"})
        );
    }

    #[test]
    fn recursion_ends_where_nothing_more_is_required_and_unresolved_references_give_null() {
        let all = schemas();
        let resolve = by_name(&all);
        let node = sample(&json!({"$ref": "#/components/schemas/Node"}), &resolve, Direction::Response);
        assert_eq!(node, json!({"child": {"child": {"child": {"child": {"child": {}}}}}}));
        // Deep down, only what a message must hold: required properties, `minItems`.
        let leaf = json!({
            "required": ["must"],
            "properties": {"must": {"type": "array", "minItems": 2, "items": {"type": "integer"}},
                           "may": {"type": "string"}, "list": {"type": "array", "items": {}}}});
        let deep = ["e", "d", "c", "b", "a"].iter().fold(leaf, |inner, name| json!({"properties": {*name: inner}}));
        // The leaf is the sample's sixth level.
        let expected = json!({"a": {"b": {"c": {"d": {"e": {"must": [1, 1]}}}}}});
        assert_eq!(sample(&deep, &resolve, Direction::Request), expected);
        // A schema that requires itself ends in null, far down.
        let endless = json!({"$ref": "#/components/schemas/Endless"});
        let mut value = &sample(&endless, &resolve, Direction::Request);
        let mut levels = 0;
        while let Some(next) = value.get("again") {
            (value, levels) = (next, levels + 1);
        }
        assert_eq!((value, levels), (&Value::Null, 24));
        assert_eq!(
            sample(&json!({"$ref": "#/components/schemas/Missing"}), &resolve, Direction::Response),
            Value::Null
        );
    }

    /// Numbers within their bounds and steps, strings within their lengths: a sample the
    /// gateway's checks of the same schema would refuse is no use to a consumer.
    #[test]
    fn numbers_and_strings_keep_to_their_schemas_bounds() {
        let resolve = nothing;
        let of = |schema: Value| sample(&schema, &resolve, Direction::Request);
        assert_eq!(of(json!({"type": "integer", "minimum": 3600})), json!(3600));
        assert_eq!(of(json!({"type": "integer", "exclusiveMinimum": 1})), json!(2));
        assert_eq!(of(json!({"type": "integer", "minimum": 1, "exclusiveMinimum": true})), json!(2));
        assert_eq!(of(json!({"type": "integer", "maximum": 0})), json!(0));
        assert_eq!(of(json!({"type": "integer", "minimum": 10, "multipleOf": 4})), json!(12));
        assert_eq!(of(json!({"type": "number", "maximum": 1})), json!(1.0));
        assert_eq!(of(json!({"type": "number", "exclusiveMaximum": 1})), json!(0.5));
        assert_eq!(of(json!({"type": "string", "maxLength": 2})), json!("st"));
        assert_eq!(of(json!({"type": "string", "minLength": 8})), json!("stringxx"));
    }

    /// The definition's own values when they are of the schema's type; of "one of these
    /// properties", one.
    #[test]
    fn given_values_of_another_type_or_format_are_passed_over_and_exclusive_properties_sent_alone() {
        let resolve = nothing;
        let of = |schema: Value| sample(&schema, &resolve, Direction::Request);
        assert_eq!(
            of(json!({"type": "object", "example": "{\"a\": 1}", "properties": {"a": {"type": "integer"}}})),
            json!({"a": 1})
        );
        assert_eq!(of(json!({"oneOf": [{"type": "string"}], "default": null})), json!("string"));
        assert_eq!(of(json!({"type": "string", "nullable": true, "default": null})), Value::Null);
        assert_eq!(of(json!({"type": "string", "enum": [null, "on"]})), json!("on"));
        // Nor are values of another format: the first date here is not one.
        assert_eq!(
            of(json!({"type": "string", "format": "date", "enum": ["31/01/2026", "2026-01-31"]})),
            json!("2026-01-31")
        );
        assert_eq!(of(json!({"type": "string", "format": "ipv4", "example": "localhost"})), json!("192.0.2.1"));
        let either = json!({
            "properties": {"url": {"type": "string"}, "file_id": {"type": "string"}, "detail": {"type": "string"}},
            "anyOf": [{"required": ["url"]}, {"required": ["file_id"]}],
            "not": {"required": ["url", "file_id"]}
        });
        assert_eq!(of(either), json!({"url": "string", "detail": "string"}));
    }

    #[test]
    fn all_of_merges_and_one_of_takes_the_first() {
        let resolve = nothing;
        let merged =
            json!({"allOf": [{"properties": {"a": {"type": "integer"}}}, {"properties": {"b": {"type": "boolean"}}}]});
        assert_eq!(sample(&merged, &resolve, Direction::Request), json!({"a": 1, "b": true}));
        let either = json!({"oneOf": [{"type": "string"}, {"type": "integer"}]});
        assert_eq!(sample(&either, &resolve, Direction::Request), json!("string"));
    }

    #[test]
    fn requests_leave_out_read_only_properties_and_responses_write_only_ones() {
        let all = json!({"Id": {"type": "integer", "readOnly": true}});
        let resolve = by_name(&all);
        let account = json!({"properties": {
            "id": {"$ref": "#/components/schemas/Id"},
            "email": {"type": "string", "format": "email"},
            "password": {"type": "string", "writeOnly": true}
        }});
        assert_eq!(
            sample(&account, &resolve, Direction::Request),
            json!({"email": "someone@example.com", "password": "string"})
        );
        assert_eq!(sample(&account, &resolve, Direction::Response), json!({"id": 1, "email": "someone@example.com"}));
        let names: Vec<String> = form_fields(&account, &resolve).into_iter().map(|f| f.name).collect();
        assert_eq!(names, ["email", "password"]);
    }

    #[test]
    fn form_fields_follow_the_schema_and_bodies_encode_them() {
        let resolve = nothing;
        let schema = json!({"type": "object", "required": ["note"], "properties": {
            "note": {"type": "string", "description": "What to say"},
            "count": {"type": "integer"},
            "photo": {"type": "string", "format": "binary"}
        }});
        let fields = form_fields(&schema, &resolve);
        let names: Vec<(&str, bool, bool, &str)> =
            fields.iter().map(|f| (f.name.as_str(), f.required, f.file, f.sample.as_str())).collect();
        assert_eq!(names, [("note", true, false, "string"), ("count", false, false, "1"), ("photo", false, true, "")]);
        let photo =
            FormValue::File { name: "cat.png".into(), content_type: "image/png".into(), bytes: vec![0x89, b'P', 0] };
        let filled = [
            (fields[0].clone(), FormValue::Text("hello world & more".into())),
            (fields[1].clone(), FormValue::Text(String::new())),
            (fields[2].clone(), photo),
        ];
        assert_eq!(
            form_body("application/x-www-form-urlencoded", &filled),
            ("application/x-www-form-urlencoded".to_string(), b"note=hello+world+%26+more&photo=%89P%00".to_vec())
        );
        let (content_type, body) = form_body("multipart/form-data", &filled);
        assert_eq!(content_type, "multipart/form-data; boundary=gatehouse-try-it");
        let mut expected =
            b"--gatehouse-try-it\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello world & more\r\n\
             --gatehouse-try-it\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"cat.png\"\r\n\
             Content-Type: image/png\r\n\r\n"
                .to_vec();
        expected.extend_from_slice(&[0x89, b'P', 0]);
        expected.extend_from_slice(b"\r\n--gatehouse-try-it--\r\n");
        assert_eq!(body, expected, "the file's bytes are sent as they are");
    }

    #[test]
    fn an_empty_file_is_sent_and_an_untyped_file_is_octets() {
        let field = FormField {
            name: "doc".into(),
            required: true,
            file: true,
            description: String::new(),
            sample: String::new(),
        };
        let empty = FormValue::File { name: "a\"b.txt".into(), content_type: String::new(), bytes: vec![] };
        let (_, body) = form_body("multipart/form-data", &[(field, empty)]);
        assert_eq!(
            String::from_utf8_lossy(&body),
            "--gatehouse-try-it\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a_b.txt\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n\r\n--gatehouse-try-it--\r\n"
        );
    }

    #[test]
    fn a_boundary_never_occurs_in_a_value() {
        let field = FormField {
            name: "a".into(),
            required: false,
            file: false,
            description: String::new(),
            sample: String::new(),
        };
        let value = FormValue::Text("x--gatehouse-try-it y".into());
        let (content_type, _) = form_body("multipart/form-data", &[(field, value)]);
        assert_eq!(content_type, "multipart/form-data; boundary=gatehouse-try-it-");
    }

    #[test]
    fn media_types_are_told_apart_by_their_essence() {
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("application/problem+json"));
        assert!(!is_json("text/plain"));
        assert!(is_form("multipart/form-data"));
        assert!(is_form("application/x-www-form-urlencoded"));
        assert!(!is_form("application/json"));
    }
}
