//! Calls checked against the API's definition, when its creator turns that on: a call whose
//! parameters or body do not fit is answered 400 (415 for a body of a media type the operation
//! does not take) with what is wrong and where, and never reaches the backend.
//!
//! Schemas are JSON Schema as OpenAPI 3.0 and 3.1 write it. Checked: `type` (one or a list,
//! `nullable`), `enum`, `const`, numbers' bounds and `multipleOf`, strings' lengths and
//! `pattern`, arrays' `items`, lengths and `uniqueItems`, objects' `required` (a `readOnly`
//! property is the server's to send, so never required of a call), `properties`,
//! `additionalProperties`, counts, `allOf`, `anyOf`, `oneOf`, `not`, and the `format`s
//! [`crate::format`] knows (JSON Schema makes `format` an annotation, but a definition that
//! says `date-time` or `uuid` means it, and the backend would refuse the call). Not checked: a
//! `pattern` Rust's `regex` cannot compile (look-around, back-references); and `oneOf`'s
//! "exactly one": definitions often list alternatives that overlap and mean "one of these", so
//! a call fitting two is let through.
//!
//! The gateways check calls with it; it sits beside the shapes it reads (and beside
//! [`crate::sample`], whose request samples the domain's tests hold to it), behind the `checks`
//! feature so that the browser's build carries no regular expressions.

use crate::format;
use crate::sample::{each_schema, essence, is_json, is_of_type, resolved};
use crate::{BodyShape, ParameterShape, RequestShape};
use regex::Regex;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// Deeper than any schema a person writes; a `$ref` cycle that nests no value ends here.
const MAX_DEPTH: usize = 64;

/// Header parameters OpenAPI says to ignore: the protocol and the security schemes own them.
const IGNORED_HEADERS: [&str; 3] = ["accept", "content-type", "authorization"];

/// A call as the gateway received it, its body read.
pub struct Call<'a> {
    /// The whole path, the API's context included (the template matches its end).
    pub path: &'a str,
    pub query: Option<&'a str>,
    /// A request header's value by its name, in any case.
    pub header: &'a dyn Fn(&str) -> Option<&'a str>,
    pub body: &'a [u8],
}

/// Why a call does not fit its operation.
#[derive(Debug, PartialEq, Eq)]
pub enum Misfit {
    /// Answered 400.
    Invalid(String),
    /// Answered 415: a body of a media type the operation does not take.
    UnsupportedMedia(String),
}

/// Where in a value something is wrong (a JSON pointer, empty for the whole) and what.
struct Wrong {
    at: String,
    what: String,
}

impl Wrong {
    fn new(at: &str, what: impl Into<String>) -> Wrong {
        Wrong { at: at.to_string(), what: what.into() }
    }

    /// ` at /pets/0: expected a string, got a number`, or `: …` for the whole value. A place
    /// is cut short as values are: property names are the caller's and may be of any length.
    fn told(&self) -> String {
        match self.at.char_indices().nth(200) {
            _ if self.at.is_empty() => format!(": {}", self.what),
            Some((end, _)) => format!(" at {}…: {}", &self.at[..end], self.what),
            None => format!(" at {}: {}", self.at, self.what),
        }
    }
}

/// An API's schemas by `$ref`, with the patterns of all its checks compiled once.
#[derive(Debug, Default)]
pub struct Schemas {
    by_ref: BTreeMap<String, Value>,
    patterns: HashMap<String, Regex>,
    /// Patterns `regex` cannot compile, which are not checked: the gateway logs them.
    unchecked_patterns: Vec<String>,
}

impl Schemas {
    /// `by_ref` from the bundle, and the shapes of the API's operations, whose schemas may
    /// hold patterns of their own.
    pub fn new<'a>(by_ref: BTreeMap<String, Value>, shapes: impl Iterator<Item = &'a RequestShape>) -> Schemas {
        let (mut patterns, mut unchecked_patterns) = (HashMap::new(), Vec::new());
        let shape_schemas: Vec<&Value> = shapes
            .flat_map(|s| {
                s.parameters
                    .iter()
                    .map(|p| &p.schema)
                    .chain(s.body.iter().flat_map(|b| b.media.iter().map(|m| &m.schema)))
            })
            .collect();
        for schema in by_ref.values().chain(shape_schemas) {
            collect_patterns(schema, &mut patterns, &mut unchecked_patterns);
        }
        Schemas { by_ref, patterns, unchecked_patterns }
    }

    /// The patterns that are not checked, as `regex` cannot compile them (look-around,
    /// back-references).
    pub fn unchecked_patterns(&self) -> &[String] {
        &self.unchecked_patterns
    }

    /// Whether `call` fits `shape`, the operation at `template` (`/pets/{petId}`).
    pub fn check(&self, shape: &RequestShape, template: &str, call: &Call) -> Result<(), Misfit> {
        // Taken apart only when the operation has query parameters to check.
        let query = match shape.parameters.iter().any(|p| p.location == "query") {
            true => call.query.map(query_pairs).unwrap_or_default(),
            false => Vec::new(),
        };
        for parameter in &shape.parameters {
            let values: Vec<String> = match parameter.location.as_str() {
                "path" => path_value(template, call.path, &parameter.name).into_iter().collect(),
                "query" => query.iter().filter(|(k, _)| *k == parameter.name).map(|(_, v)| v.clone()).collect(),
                "header" if IGNORED_HEADERS.iter().any(|h| parameter.name.eq_ignore_ascii_case(h)) => continue,
                "header" => (call.header)(&parameter.name).map(str::to_string).into_iter().collect(),
                _ => continue,
            };
            self.check_parameter(parameter, &values).map_err(|w| {
                Misfit::Invalid(format!("{} parameter `{}`{}", parameter.location, parameter.name, w.told()))
            })?;
        }
        match &shape.body {
            Some(shape) => self.check_body(shape, (call.header)("content-type"), call.body),
            None => Ok(()),
        }
    }

    fn check_parameter(&self, parameter: &ParameterShape, values: &[String]) -> Result<(), Wrong> {
        if values.is_empty() {
            return if parameter.required { Err(Wrong::new("", "is required")) } else { Ok(()) };
        }
        let schema = self.resolved(&parameter.schema);
        let value = match first_type(schema) {
            Some("array") => {
                let items = self.resolved(schema.get("items").unwrap_or(&Value::Bool(true)));
                // `?id=1&id=2` (form, exploded: OpenAPI's default) or `?id=1,2`.
                let texts: Vec<&str> = match values {
                    [one] => one.split(',').collect(),
                    many => many.iter().map(String::as_str).collect(),
                };
                let mut list = Vec::with_capacity(texts.len());
                for (i, text) in texts.iter().enumerate() {
                    list.push(typed(text, first_type(items)).map_err(|what| Wrong::new(&format!("/{i}"), what))?);
                }
                Value::Array(list)
            }
            // Objects in parameters (deepObject and the like) are taken as sent.
            Some("object") => return Ok(()),
            kind => typed(&values[0], kind).map_err(|what| Wrong::new("", what))?,
        };
        self.fits(&parameter.schema, &value, &mut String::new(), 0)
    }

    /// Whether a body sent with `content_type` fits `shape`.
    pub fn check_body(&self, shape: &BodyShape, content_type: Option<&str>, body: &[u8]) -> Result<(), Misfit> {
        let accepted = || shape.media.iter().map(|m| essence(&m.content_type)).collect::<Vec<_>>().join(", ");
        if body.is_empty() {
            return match shape.required {
                true => Err(Misfit::Invalid(format!("the request needs a body ({})", accepted()))),
                false => Ok(()),
            };
        }
        if shape.media.is_empty() {
            return Ok(());
        }
        let Some(sent) = content_type.map(essence).filter(|t| !t.is_empty()) else {
            return Err(Misfit::UnsupportedMedia(format!(
                "the request body has no Content-Type; this operation takes {}",
                accepted()
            )));
        };
        let media = shape
            .media
            .iter()
            .find(|m| essence(&m.content_type) == sent)
            .or_else(|| shape.media.iter().find(|m| covers(&essence(&m.content_type), &sent)));
        let Some(media) = media else {
            return Err(Misfit::UnsupportedMedia(format!("this operation takes a body of {}, not {sent}", accepted())));
        };
        if !is_json(&sent) {
            return Ok(());
        }
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| Misfit::Invalid(format!("the request body is not valid JSON: {e}")))?;
        self.fits(&media.schema, &value, &mut String::new(), 0)
            .map_err(|w| Misfit::Invalid(format!("the request body{}", w.told())))
    }

    /// The schema a `$ref` chain ends at (for a parameter's type, before its value is read).
    fn resolved<'s>(&'s self, schema: &'s Value) -> &'s Value {
        resolved(schema, &|reference| self.by_ref.get(reference))
    }

    /// Whether `value`, found at pointer `at`, fits `schema`.
    fn fits(&self, schema: &Value, value: &Value, at: &mut String, depth: usize) -> Result<(), Wrong> {
        let schema = match schema {
            Value::Object(schema) => schema,
            Value::Bool(false) => return Err(Wrong::new(at, "no value is allowed here")),
            _ => return Ok(()),
        };
        if depth > MAX_DEPTH {
            return Ok(());
        }
        // OpenAPI 3.0's `nullable` beside a `$ref` is how such definitions say "or null".
        if value.is_null() && schema.get("nullable") == Some(&Value::Bool(true)) {
            return Ok(());
        }
        if let Some(target) = schema.get("$ref").and_then(Value::as_str).and_then(|r| self.by_ref.get(r)) {
            self.fits(target, value, at, depth + 1)?;
        }
        if let Some(types) = schema.get("type") {
            let types: Vec<&str> = match types {
                Value::String(one) => vec![one.as_str()],
                Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            if !types.is_empty() && !types.iter().any(|t| is_of_type(value, t)) {
                let expected: Vec<&str> = types.iter().map(|t| type_words(t)).collect();
                return Err(Wrong::new(at, format!("expected {}, got {}", expected.join(" or "), kind(value))));
            }
        }
        if let Some(Value::Array(allowed)) = schema.get("enum")
            && !allowed.iter().any(|a| same(a, value))
        {
            let listed: Vec<String> = allowed.iter().take(10).map(Value::to_string).collect();
            let more = if allowed.len() > 10 { ", …" } else { "" };
            return Err(Wrong::new(at, format!("expected one of {}{more}, got {}", listed.join(", "), shown(value))));
        }
        if let Some(constant) = schema.get("const")
            && !same(constant, value)
        {
            return Err(Wrong::new(at, format!("expected {constant}, got {}", shown(value))));
        }
        if let Some(expected) = schema.get("format").and_then(Value::as_str).and_then(|f| format::misfit(f, value)) {
            return Err(Wrong::new(at, format!("expected {expected}, got {}", shown(value))));
        }
        match value {
            Value::Number(n) => self.fits_number(schema, n.as_f64().unwrap_or(0.0), at)?,
            Value::String(s) => self.fits_string(schema, s, at)?,
            Value::Array(items) => self.fits_array(schema, items, at, depth)?,
            Value::Object(fields) => self.fits_object(schema, fields, at, depth)?,
            Value::Null | Value::Bool(_) => {}
        }
        if let Some(Value::Array(all)) = schema.get("allOf") {
            for part in all {
                self.fits(part, value, at, depth + 1)?;
            }
        }
        for keyword in ["anyOf", "oneOf"] {
            if let Some(Value::Array(alternatives)) = schema.get(keyword)
                && !alternatives.is_empty()
            {
                let mut first = None;
                for alternative in alternatives {
                    match self.fits(alternative, value, &mut at.clone(), depth + 1) {
                        Ok(()) => {
                            first = None;
                            break;
                        }
                        Err(wrong) => {
                            first.get_or_insert(wrong);
                        }
                    }
                }
                if let Some(first) = first {
                    let n = alternatives.len();
                    let why = match first.at == *at {
                        true => first.what,
                        false => format!("at {}: {}", first.at, first.what),
                    };
                    return Err(Wrong::new(
                        at,
                        format!("fits none of the {n} schemas {keyword} lists (the first: {why})"),
                    ));
                }
            }
        }
        if let Some(not) = schema.get("not")
            && self.fits(not, value, &mut at.clone(), depth + 1).is_ok()
        {
            return Err(Wrong::new(at, "fits the schema it must not (`not`)"));
        }
        Ok(())
    }

    fn fits_number(&self, schema: &Map<String, Value>, n: f64, at: &str) -> Result<(), Wrong> {
        let number = |key: &str| schema.get(key).and_then(Value::as_f64);
        let flag = |key: &str| schema.get(key) == Some(&Value::Bool(true));
        // 3.0 says `exclusiveMinimum: true` beside `minimum`; 3.1 gives the bound itself.
        if let Some(min) = number("minimum") {
            if flag("exclusiveMinimum") && n <= min {
                return Err(Wrong::new(at, format!("must be above {min}, got {n}")));
            }
            if n < min {
                return Err(Wrong::new(at, format!("must be at least {min}, got {n}")));
            }
        }
        if let Some(max) = number("maximum") {
            if flag("exclusiveMaximum") && n >= max {
                return Err(Wrong::new(at, format!("must be below {max}, got {n}")));
            }
            if n > max {
                return Err(Wrong::new(at, format!("must be at most {max}, got {n}")));
            }
        }
        if let Some(min) = number("exclusiveMinimum")
            && n <= min
        {
            return Err(Wrong::new(at, format!("must be above {min}, got {n}")));
        }
        if let Some(max) = number("exclusiveMaximum")
            && n >= max
        {
            return Err(Wrong::new(at, format!("must be below {max}, got {n}")));
        }
        if let Some(step) = number("multipleOf").filter(|s| *s > 0.0) {
            let quotient = n / step;
            if (quotient - quotient.round()).abs() > 1e-9 {
                return Err(Wrong::new(at, format!("must be a multiple of {step}, got {n}")));
            }
        }
        Ok(())
    }

    fn fits_string(&self, schema: &Map<String, Value>, s: &str, at: &str) -> Result<(), Wrong> {
        // JSON Schema counts characters, not bytes.
        within_counts(
            schema,
            s.chars().count(),
            ["minLength", "maxLength"],
            "be",
            ["character long", "characters long"],
            at,
        )?;
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
            && let Some(regex) = self.patterns.get(pattern)
            && !regex.is_match(s)
        {
            return Err(Wrong::new(at, format!("must match the pattern {pattern}, got {}", shown(&Value::from(s)))));
        }
        Ok(())
    }

    fn fits_array(
        &self,
        schema: &Map<String, Value>,
        items: &[Value],
        at: &mut String,
        depth: usize,
    ) -> Result<(), Wrong> {
        within_counts(schema, items.len(), ["minItems", "maxItems"], "hold", ["item", "items"], at)?;
        if schema.get("uniqueItems") == Some(&Value::Bool(true)) {
            for (i, item) in items.iter().enumerate() {
                if items[..i].iter().any(|earlier| same(earlier, item)) {
                    return Err(Wrong::new(at, format!("must hold each item once; item {i} is a repeat")));
                }
            }
        }
        if let Some(each) = schema.get("items").filter(|s| !s.is_array()) {
            for (i, item) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                self.fits(each, item, at, depth + 1)?;
                at.truncate(len);
            }
        }
        Ok(())
    }

    fn fits_object(
        &self,
        schema: &Map<String, Value>,
        fields: &Map<String, Value>,
        at: &mut String,
        depth: usize,
    ) -> Result<(), Wrong> {
        let properties = schema.get("properties").and_then(Value::as_object);
        if let Some(Value::Array(required)) = schema.get("required") {
            for name in required.iter().filter_map(Value::as_str) {
                let read_only = properties
                    .and_then(|p| p.get(name))
                    .is_some_and(|p| self.resolved(p).get("readOnly") == Some(&Value::Bool(true)));
                if !fields.contains_key(name) && !read_only {
                    return Err(Wrong::new(at, format!("the property `{name}` is required")));
                }
            }
        }
        within_counts(
            schema,
            fields.len(),
            ["minProperties", "maxProperties"],
            "hold",
            ["property", "properties"],
            at,
        )?;
        let additional = schema.get("additionalProperties");
        for (name, field) in fields {
            let len = at.len();
            at.push('/');
            at.push_str(&name.replace('~', "~0").replace('/', "~1"));
            match properties.and_then(|p| p.get(name)) {
                Some(property) => self.fits(property, field, at, depth + 1)?,
                None => match additional {
                    Some(Value::Bool(false)) => return Err(Wrong::new(at, "is not a property this object may have")),
                    Some(other) => self.fits(other, field, at, depth + 1)?,
                    None => {}
                },
            }
            at.truncate(len);
        }
        Ok(())
    }
}

/// Whether `n` (a string's characters, an array's items, an object's properties) is within the
/// schema's least and most (`keys`): "must {verb} at least 2 {things}, got 1", the thing
/// named as one or many.
fn within_counts(
    schema: &Map<String, Value>,
    n: usize,
    keys: [&str; 2],
    verb: &str,
    [thing, things]: [&str; 2],
    at: &str,
) -> Result<(), Wrong> {
    let count = |key: &str| schema.get(key).and_then(Value::as_u64);
    let n = n as u64;
    let named = |bound: u64| if bound == 1 { thing } else { things };
    if let Some(least) = count(keys[0])
        && n < least
    {
        return Err(Wrong::new(at, format!("must {verb} at least {least} {}, got {n}", named(least))));
    }
    if let Some(most) = count(keys[1])
        && n > most
    {
        return Err(Wrong::new(at, format!("must {verb} at most {most} {}, got {n}", named(most))));
    }
    Ok(())
}

/// Every `pattern` in `schema` that compiles, by its text, and those that do not.
fn collect_patterns(schema: &Value, patterns: &mut HashMap<String, Regex>, unchecked: &mut Vec<String>) {
    each_schema(schema, &mut |map| {
        if let Some(Value::String(pattern)) = map.get("pattern")
            && !patterns.contains_key(pattern)
            && !unchecked.contains(pattern)
        {
            match Regex::new(pattern) {
                Ok(regex) => {
                    patterns.insert(pattern.clone(), regex);
                }
                Err(_) => unchecked.push(pattern.clone()),
            }
        }
    });
}

/// The first type a schema names other than `null` (3.1 writes `["integer", "null"]`).
fn first_type(schema: &Value) -> Option<&str> {
    match schema.get("type")? {
        Value::String(one) => Some(one),
        Value::Array(list) => list.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    }
}

/// A parameter's text as the JSON value its type says it is.
fn typed(text: &str, kind: Option<&str>) -> Result<Value, String> {
    let wrong = |expected: &str| format!("expected {expected}, got {}", shown(&Value::from(text)));
    Ok(match kind {
        Some("integer") => Value::from(text.trim().parse::<i64>().map_err(|_| wrong("an integer"))?),
        Some("number") => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| wrong("a number"))?,
        Some("boolean") => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(wrong("true or false")),
        },
        _ => Value::from(text),
    })
}

fn type_words(kind: &str) -> &str {
    match kind {
        "string" => "a string",
        "number" => "a number",
        "integer" => "an integer",
        "boolean" => "true or false",
        "array" => "an array",
        "object" => "an object",
        "null" => "null",
        other => other,
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value as a message shows it: short ones whole, long ones cut.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(60) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

/// JSON equality, with numbers compared by value (`1` is `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Whether a media range the definition names (`*/*`, `image/*`) covers the type sent.
fn covers(range: &str, sent: &str) -> bool {
    range == "*/*" || range.strip_suffix("/*").is_some_and(|top| sent.split('/').next() == Some(top))
}

/// The value of the path parameter `name` in `path`, matched by `template`: the segments are
/// counted from the end, as the API's context comes before the template.
fn path_value(template: &str, path: &str, name: &str) -> Option<String> {
    let named = |segment: &str| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) == Some(name);
    let from_end = template.split('/').filter(|s| !s.is_empty()).rev().position(named)?;
    let segment = path.split('/').filter(|s| !s.is_empty()).rev().nth(from_end)?;
    Some(percent_decoded(segment, false))
}

/// The query's name-value pairs, decoded (`+` is a space in a query).
fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decoded(name, true), percent_decoded(value, true))
        })
        .collect()
}

fn percent_decoded(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The shape of `POST /pets/{petId}/toys` in a small pet store, and its schemas.
    fn store() -> (Schemas, RequestShape) {
        let shape: RequestShape = serde_json::from_value(json!({
            "parameters": [
                { "name": "petId", "location": "path", "required": true, "schema": { "type": "integer", "minimum": 1 } },
                { "name": "limit", "location": "query", "required": false,
                  "schema": { "type": "integer", "maximum": 100 } },
                { "name": "color", "location": "query", "required": false,
                  "schema": { "type": "array", "items": { "type": "string", "enum": ["red", "blue"] } } },
                { "name": "dry", "location": "query", "required": true, "schema": { "type": "boolean" } },
                { "name": "since", "location": "query", "required": false,
                  "schema": { "type": "string", "format": "date" } },
                { "name": "X-Request-Tag", "location": "header", "required": true,
                  "schema": { "type": "string", "pattern": "^[a-z]+$" } },
                { "name": "Authorization", "location": "header", "required": true, "schema": { "type": "string" } }
            ],
            "body": { "required": true, "media": [
                { "content_type": "application/json", "schema": { "$ref": "#/components/schemas/Toy" } },
                { "content_type": "image/*", "schema": {} }
            ] }
        }))
        .expect("shape");
        let by_ref: BTreeMap<String, Value> = serde_json::from_value(json!({
            "#/components/schemas/Toy": {
                "type": "object",
                "required": ["id", "name", "parts"],
                "additionalProperties": false,
                "properties": {
                    "id": { "type": "string", "readOnly": true },
                    "name": { "type": "string", "minLength": 2, "maxLength": 5 },
                    "price": { "type": "number", "exclusiveMinimum": 0, "multipleOf": 0.01 },
                    "made": { "type": "string", "format": "date-time" },
                    "count": { "type": "integer", "format": "int32" },
                    "owner": { "$ref": "#/components/schemas/Owner", "nullable": true },
                    "parts": { "type": "array", "uniqueItems": true, "items": { "$ref": "#/components/schemas/Part" } },
                    "code": { "type": "string", "pattern": "(?<=a)b" },
                    // A property named like literal data is a schema all the same.
                    "default": { "type": "string", "pattern": "(?=x)" },
                    "tag": { "oneOf": [{ "type": "integer" }, { "type": "string", "maxLength": 3 }] }
                }
            },
            "#/components/schemas/Owner": { "type": "object", "required": ["email"] },
            // Recursive: a part may be made of parts.
            "#/components/schemas/Part": {
                "type": "object",
                "properties": { "kind": { "type": ["string", "null"] },
                                "parts": { "type": "array", "items": { "$ref": "#/components/schemas/Part" } } }
            }
        }))
        .expect("schemas");
        (Schemas::new(by_ref, std::iter::once(&shape)), shape)
    }

    fn call(target: &str, headers: &str, body: &str) -> Result<(), Misfit> {
        let (schemas, shape) = store();
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (target, None),
        };
        let headers: Vec<(&str, &str)> = headers.split("\r\n").filter_map(|line| line.split_once(": ")).collect();
        let header = |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v);
        let call = Call { path, query, header: &header, body: body.as_bytes() };
        schemas.check(&shape, "/pets/{petId}/toys", &call)
    }

    const GOOD_HEADERS: &str = "x-request-tag: abc\r\ncontent-type: application/json; charset=utf-8\r\n";
    const GOOD_BODY: &str = r#"{"name":"Rex","price":9.99,"owner":null,"parts":[{"kind":"ball","parts":[{"kind":null}]}],"tag":7,"made":"2026-01-31T09:30:00+01:00","count":3}"#;

    fn invalid(why: &str) -> Result<(), Misfit> {
        Err(Misfit::Invalid(why.into()))
    }

    #[test]
    fn a_call_that_fits_passes() {
        assert_eq!(
            call(
                "/pets/v1/pets/7/toys?dry=false&limit=100&color=red&color=blue&since=2026-01-31",
                GOOD_HEADERS,
                GOOD_BODY
            ),
            Ok(())
        );
        // Percent-encoding and `+` decoded; an array as one comma-separated value.
        assert_eq!(call("/pets/v1/pets/%37/toys?dry=%74rue&color=red,blue", GOOD_HEADERS, GOOD_BODY), Ok(()));
        // A body of another media type the operation takes is not looked into.
        let image = "x-request-tag: abc\r\ncontent-type: image/png\r\n";
        assert_eq!(call("/pets/v1/pets/7/toys?dry=true", image, "\u{89}PNG"), Ok(()));
    }

    #[test]
    fn parameters_are_checked_by_name_and_type() {
        let json = "content-type: application/json\r\n";
        let tagged = "x-request-tag: ABC\r\ncontent-type: application/json\r\n";
        let cases = [
            ("7/toys?limit=5", GOOD_HEADERS, "query parameter `dry`: is required"),
            ("7/toys?dry=yes", GOOD_HEADERS, "query parameter `dry`: expected true or false, got \"yes\""),
            ("7/toys?dry=true&limit=ten", GOOD_HEADERS, "query parameter `limit`: expected an integer, got \"ten\""),
            ("7/toys?dry=true&limit=101", GOOD_HEADERS, "query parameter `limit`: must be at most 100, got 101"),
            (
                "7/toys?dry=true&color=red&color=green",
                GOOD_HEADERS,
                "query parameter `color` at /1: expected one of \"red\", \"blue\", got \"green\"",
            ),
            (
                "7/toys?dry=true&since=2026-02-30",
                GOOD_HEADERS,
                "query parameter `since`: expected a date (RFC 3339, like 2026-01-31), got \"2026-02-30\"",
            ),
            ("0/toys?dry=true", GOOD_HEADERS, "path parameter `petId`: must be at least 1, got 0"),
            ("rex/toys?dry=true", GOOD_HEADERS, "path parameter `petId`: expected an integer, got \"rex\""),
            ("7/toys?dry=true", json, "header parameter `X-Request-Tag`: is required"),
            (
                "7/toys?dry=true",
                tagged,
                "header parameter `X-Request-Tag`: must match the pattern ^[a-z]+$, got \"ABC\"",
            ),
        ];
        for (rest, headers, why) in cases {
            assert_eq!(call(&format!("/pets/v1/pets/{rest}"), headers, GOOD_BODY), invalid(why), "{rest}");
        }
    }

    #[test]
    fn bodies_are_checked_by_media_type_and_schema_with_where() {
        let target = "/pets/v1/pets/7/toys?dry=true";
        assert_eq!(call(target, GOOD_HEADERS, ""), invalid("the request needs a body (application/json, image/*)"));
        assert_eq!(
            call(target, "x-request-tag: abc\r\ncontent-type: text/plain\r\n", "hi"),
            Err(Misfit::UnsupportedMedia(
                "this operation takes a body of application/json, image/*, not text/plain".into()
            ))
        );
        assert_eq!(
            call(target, "x-request-tag: abc\r\n", "hi"),
            Err(Misfit::UnsupportedMedia(
                "the request body has no Content-Type; this operation takes application/json, image/*".into()
            ))
        );
        assert_eq!(
            call(target, GOOD_HEADERS, "{\"name\": "),
            invalid("the request body is not valid JSON: EOF while parsing a value at line 1 column 9")
        );
        let body = |change: &str| GOOD_BODY.replacen("\"name\":\"Rex\"", change, 1);
        let cases = [
            ("\"name\":7", "the request body at /name: expected a string, got an integer"),
            ("\"name\":\"R\"", "the request body at /name: must be at least 2 characters long, got 1"),
            ("\"name\":\"Rexy€€\"", "the request body at /name: must be at most 5 characters long, got 6"),
            ("\"nick\":\"Rex\"", "the request body: the property `name` is required"),
            ("\"name\":\"Rex\",\"a/b\":1", "the request body at /a~1b: is not a property this object may have"),
        ];
        for (change, why) in cases {
            assert_eq!(call(target, GOOD_HEADERS, &body(change)), invalid(why), "{change}");
        }
        let replaced = [
            ("\"price\":9.99", "\"price\":0", "the request body at /price: must be above 0, got 0"),
            ("\"price\":9.99", "\"price\":1.001", "the request body at /price: must be a multiple of 0.01, got 1.001"),
            ("\"owner\":null", "\"owner\":{}", "the request body at /owner: the property `email` is required"),
            (
                "\"made\":\"2026-01-31T09:30:00+01:00\"",
                "\"made\":\"yesterday\"",
                "the request body at /made: expected a date and time (RFC 3339, like 2026-01-31T09:30:00Z), got \"yesterday\"",
            ),
            (
                "\"count\":3",
                "\"count\":4294967296",
                "the request body at /count: expected an integer of 32 bits (int32), got 4294967296",
            ),
            (
                "\"tag\":7",
                "\"tag\":\"long\"",
                "the request body at /tag: fits none of the 2 schemas oneOf lists (the first: expected an integer, got a string)",
            ),
        ];
        for (from, to, why) in replaced {
            assert_eq!(call(target, GOOD_HEADERS, &GOOD_BODY.replacen(from, to, 1)), invalid(why), "{to}");
        }
        // Down a recursive schema, with the place named.
        let deep = GOOD_BODY.replace("{\"kind\":null}", "{\"kind\":3}");
        assert_eq!(
            call(target, GOOD_HEADERS, &deep),
            invalid("the request body at /parts/0/parts/0/kind: expected a string or null, got an integer")
        );
        let twice = GOOD_BODY.replace("[{\"kind\":\"ball\"", "[{},{},{\"kind\":\"ball\"");
        assert_eq!(
            call(target, GOOD_HEADERS, &twice),
            invalid("the request body at /parts: must hold each item once; item 1 is a repeat")
        );
        let long = format!("\"name\":\"Rex\",\"{}\":1", "k".repeat(5000));
        let Err(Misfit::Invalid(why)) = call(target, GOOD_HEADERS, &body(&long)) else { panic!("a long name passed") };
        assert_eq!(why, format!("the request body at /{}…: is not a property this object may have", "k".repeat(199)));
        // A pattern Rust's regex cannot compile (look-behind) is not held against the call.
        assert_eq!(store().0.unchecked_patterns(), ["(?<=a)b", "(?=x)"]);
        assert_eq!(call(target, GOOD_HEADERS, &body("\"name\":\"Rex\",\"code\":\"zz\"")), Ok(()));
    }

    /// The keywords that combine schemas, and `const`, on a value of their own.
    #[test]
    fn combined_schemas_are_all_checked() {
        let schemas = Schemas::default();
        let schema = json!({
            "allOf": [{ "type": "object", "required": ["kind"] }, { "properties": { "size": { "maximum": 3 } } }],
            "properties": { "kind": { "const": "box" }, "lid": { "not": { "type": "string" } } }
        });
        let check = |value: Value| schemas.fits(&schema, &value, &mut String::new(), 0).map_err(|w| w.told());
        assert!(check(json!({ "kind": "box", "size": 3, "lid": true })).is_ok());
        assert_eq!(check(json!({ "size": 1 })), Err(": the property `kind` is required".into()));
        assert_eq!(check(json!({ "kind": "box", "size": 4 })), Err(" at /size: must be at most 3, got 4".into()));
        assert_eq!(check(json!({ "kind": "bag" })), Err(r#" at /kind: expected "box", got "bag""#.into()));
        assert_eq!(
            check(json!({ "kind": "box", "lid": "on" })),
            Err(" at /lid: fits the schema it must not (`not`)".into())
        );
    }

    /// Arrays' and objects' least and most.
    #[test]
    fn counts_are_held_to_their_bounds() {
        let schemas = Schemas::default();
        let schema = json!({"properties": {"list": {"minItems": 1, "maxItems": 2}, "map": {"maxProperties": 1}}});
        let check = |value: Value| schemas.fits(&schema, &value, &mut String::new(), 0).map_err(|w| w.told());
        assert!(check(json!({"list": [1, 2], "map": {"a": 1}})).is_ok());
        assert_eq!(check(json!({"list": []})), Err(" at /list: must hold at least 1 item, got 0".into()));
        assert_eq!(check(json!({"list": [1, 2, 3]})), Err(" at /list: must hold at most 2 items, got 3".into()));
        assert_eq!(
            check(json!({"map": {"a": 1, "b": 2}})),
            Err(" at /map: must hold at most 1 property, got 2".into())
        );
    }
}
