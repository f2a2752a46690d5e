//! A JSON Schema as a nested, readable tree for the API reference: `$ref`s are resolved against
//! the definition's schemas and named; a schema that refers back to one being shown is marked
//! as recursive instead of being expanded forever.

use leptos::prelude::*;
use serde_json::Value;

/// Deeper than this, the tree says so rather than growing without bound.
const MAX_DEPTH: usize = 12;

/// The name a local `$ref` points at (`#/components/schemas/Pet`, `#/definitions/Pet`).
fn ref_name(reference: &str) -> Option<&str> {
    reference.strip_prefix("#/components/schemas/").or_else(|| reference.strip_prefix("#/definitions/"))
}

/// A short type label: `string (date-time)`, `array of Pet`, `integer`, `object`.
fn type_label(schema: &Value) -> String {
    if let Some(name) = schema.get("$ref").and_then(Value::as_str).and_then(ref_name) {
        return name.to_string();
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "),
        _ if schema.get("properties").is_some() => "object".into(),
        _ if schema.get("allOf").is_some() => "all of".into(),
        _ if schema.get("oneOf").is_some() => "one of".into(),
        _ if schema.get("anyOf").is_some() => "any of".into(),
        _ => "any".into(),
    };
    if kind == "array" {
        return format!("array of {}", schema.get("items").map(type_label).unwrap_or_else(|| "any".into()));
    }
    match schema.get("format").and_then(Value::as_str) {
        Some(format) => format!("{kind} ({format})"),
        None => kind,
    }
}

/// Constraints worth a reader's eye: enum values, defaults, bounds, patterns.
fn constraints(schema: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        parts.push(format!("one of {}", values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", ")));
    }
    for (key, label) in [
        ("default", "default"),
        ("minimum", "≥"),
        ("maximum", "≤"),
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("pattern", "pattern"),
    ] {
        if let Some(v) = schema.get(key) {
            parts.push(format!("{label} {v}"));
        }
    }
    if schema.get("nullable").and_then(Value::as_bool) == Some(true) {
        parts.push("nullable".into());
    }
    parts.join(" · ")
}

/// The schema `schema` stands for once its `$ref` is followed, with the name it was reached by.
fn resolve<'a>(schema: &'a Value, schemas: &'a Value) -> (Option<String>, &'a Value) {
    match schema.get("$ref").and_then(Value::as_str).and_then(ref_name) {
        Some(name) => (Some(name.to_string()), schemas.get(name).unwrap_or(&Value::Null)),
        None => (None, schema),
    }
}

/// The children of a schema: properties, array items, and the parts of allOf/oneOf/anyOf.
fn children(schema: &Value, schemas: &Value, stack: &mut Vec<String>, depth: usize) -> AnyView {
    if depth > MAX_DEPTH {
        return view! { <li class="muted">"… (nested deeper than shown)"</li> }.into_any();
    }
    let mut rows: Vec<AnyView> = Vec::new();
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (name, property) in properties {
            rows.push(node(Some(name.clone()), required.contains(&name.as_str()), property, schemas, stack, depth + 1));
        }
    }
    if let Some(items) = schema.get("items") {
        rows.push(node(Some("[items]".into()), false, items, schemas, stack, depth + 1));
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(parts) = schema.get(key).and_then(Value::as_array) {
            for part in parts {
                rows.push(node(Some(format!("({key})")), false, part, schemas, stack, depth + 1));
            }
        }
    }
    if let Some(extra) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        rows.push(node(Some("[any key]".into()), false, extra, schemas, stack, depth + 1));
    }
    rows.into_iter().collect_view().into_any()
}

fn node(
    name: Option<String>,
    required: bool,
    schema: &Value,
    schemas: &Value,
    stack: &mut Vec<String>,
    depth: usize,
) -> AnyView {
    let label = type_label(schema);
    let (reached_as, target) = resolve(schema, schemas);
    let description = target
        .get("description")
        .or_else(|| schema.get("description"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let notes = constraints(target);
    let recursive = reached_as.as_ref().is_some_and(|n| stack.contains(n));
    let nested = if recursive {
        view! { <ul><li class="muted recursive">{format!("↻ {} refers back to itself; shown above", reached_as.clone().unwrap_or_default())}</li></ul> }.into_any()
    } else {
        if let Some(n) = &reached_as {
            stack.push(n.clone());
        }
        let inner = children(target, schemas, stack, depth);
        if reached_as.is_some() {
            stack.pop();
        }
        view! { <ul>{inner}</ul> }.into_any()
    };
    view! {
        <li>
            {name.map(|n| view! { <code class="schema-name">{n}</code> " " })}
            <span class="schema-type">{label}</span>
            {required.then(|| view! { " " <span class="badge required">"required"</span> })}
            {(!notes.is_empty()).then(|| view! { " " <span class="muted">{notes}</span> })}
            {(!description.is_empty()).then(|| view! { <div class="muted">{description}</div> })}
            {nested}
        </li>
    }
    .into_any()
}

/// The tree of `schema`, resolving `$ref`s against `schemas` (the definition's named schemas).
#[component]
pub fn SchemaTree(schema: Value, schemas: Value) -> impl IntoView {
    let mut stack = Vec::new();
    let tree = node(None, false, &schema, &schemas, &mut stack, 0);
    view! { <ul class="schema-tree" data-testid="schema-tree">{tree}</ul> }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_follow_refs_arrays_and_formats() {
        assert_eq!(type_label(&json!({ "$ref": "#/components/schemas/Pet" })), "Pet");
        assert_eq!(type_label(&json!({ "type": "array", "items": { "$ref": "#/definitions/Pet" } })), "array of Pet");
        assert_eq!(type_label(&json!({ "type": "string", "format": "date-time" })), "string (date-time)");
        assert_eq!(type_label(&json!({ "type": ["string", "null"] })), "string | null");
    }

    #[test]
    fn constraints_are_listed() {
        assert_eq!(constraints(&json!({ "enum": ["a", "b"], "minimum": 1 })), "one of \"a\", \"b\" · ≥ 1");
    }
}
