//! A JSON Schema as a nested, readable tree for the API reference: `$ref`s are resolved against
//! the definition's schemas and named; a schema that refers back to one being shown is marked
//! as recursive instead of being expanded forever.

use leptos::prelude::*;
use serde_json::Value;
use std::sync::Arc;

/// Deeper than this, the tree says so rather than growing without bound.
const MAX_DEPTH: usize = 12;
/// More nodes than this in one tree and the rest is left to the definition: a schema that
/// reaches many others would otherwise repeat them all under every operation that uses it.
const MAX_NODES: usize = 400;

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

/// A tree as HTML, written as text rather than built from nested views: a view per node put
/// hundreds of nested futures on the server's stack when the page was rendered, and a large
/// definition's reference (DigitalOcean's) overflowed it, which aborts the whole server.
struct Tree<'a> {
    schemas: &'a Value,
    /// The named schemas on the way from the root, to mark recursion.
    stack: Vec<String>,
    nodes: usize,
    truncated: bool,
    html: String,
}

impl Tree<'_> {
    fn node(&mut self, name: Option<&str>, required: bool, schema: &Value, depth: usize) {
        self.nodes += 1;
        let (reached_as, target) = resolve(schema, self.schemas);
        let description = target.get("description").or_else(|| schema.get("description")).and_then(Value::as_str);
        let notes = constraints(target);
        self.html.push_str("<li>");
        if let Some(name) = name {
            self.html.push_str(&format!(r#"<code class="schema-name">{}</code> "#, escape(name)));
        }
        self.html.push_str(&format!(r#"<span class="schema-type">{}</span>"#, escape(&type_label(schema))));
        if required {
            self.html.push_str(r#" <span class="badge required">required</span>"#);
        }
        if !notes.is_empty() {
            self.html.push_str(&format!(r#" <span class="muted">{}</span>"#, escape(&notes)));
        }
        if let Some(description) = description.filter(|d| !d.is_empty()) {
            self.html.push_str(&format!(r#"<div class="muted">{}</div>"#, escape(description)));
        }
        self.html.push_str("<ul>");
        match reached_as {
            Some(n) if self.stack.contains(&n) => self.html.push_str(&format!(
                r#"<li class="muted recursive">↻ {} refers back to itself; shown above</li>"#,
                escape(&n)
            )),
            Some(n) => {
                self.stack.push(n);
                self.children(target, depth);
                self.stack.pop();
            }
            None => self.children(target, depth),
        }
        self.html.push_str("</ul></li>");
    }

    /// The children of a schema: properties, array items, and the parts of allOf/oneOf/anyOf.
    fn children(&mut self, schema: &Value, depth: usize) {
        if depth > MAX_DEPTH {
            self.html.push_str(r#"<li class="muted">… (nested deeper than shown)</li>"#);
            return;
        }
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut rows: Vec<(String, bool, &Value)> = Vec::new();
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            rows.extend(properties.iter().map(|(name, p)| (name.clone(), required.contains(&name.as_str()), p)));
        }
        if let Some(items) = schema.get("items") {
            rows.push(("[items]".into(), false, items));
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            if let Some(parts) = schema.get(key).and_then(Value::as_array) {
                rows.extend(parts.iter().map(|part| (format!("({key})"), false, part)));
            }
        }
        if let Some(extra) = schema.get("additionalProperties").filter(|v| v.is_object()) {
            rows.push(("[any key]".into(), false, extra));
        }
        for (name, required, child) in rows {
            if self.nodes >= MAX_NODES {
                if !self.truncated {
                    self.truncated = true;
                    self.html.push_str(&format!(
                        r#"<li class="muted">… more than {MAX_NODES} fields: the rest is in the definition (YAML or JSON above)</li>"#
                    ));
                }
                return;
            }
            self.node(Some(&name), required, child, depth + 1);
        }
    }
}

/// Text made safe inside an HTML element.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The `<li>` items of the tree of `schema`, resolving `$ref`s against `schemas`.
fn tree_html(schema: &Value, schemas: &Value) -> String {
    let mut tree = Tree { schemas, stack: Vec::new(), nodes: 0, truncated: false, html: String::new() };
    tree.node(None, false, schema, 0);
    tree.html
}

/// The tree of `schema`, resolving `$ref`s against `schemas` (the definition's named schemas).
#[component]
pub fn SchemaTree(schema: Value, schemas: Arc<Value>) -> impl IntoView {
    view! { <ul class="schema-tree" data-testid="schema-tree" inner_html=tree_html(&schema, &schemas)></ul> }
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
    fn refs_are_named_and_recursion_marked() {
        let schemas = json!({
            "Node": { "type": "object", "required": ["name"], "properties": {
                "name": { "type": "string", "description": "Its <b>name</b>" },
                "children": { "type": "array", "items": { "$ref": "#/components/schemas/Node" } }
            } }
        });
        let html = tree_html(&json!({ "$ref": "#/components/schemas/Node" }), &schemas);
        assert!(html.starts_with(r#"<li><span class="schema-type">Node</span>"#), "{html}");
        assert!(html.contains(r#"<code class="schema-name">name</code> <span class="schema-type">string</span> <span class="badge required">required</span>"#), "{html}");
        assert!(html.contains("Its &lt;b&gt;name&lt;/b&gt;"), "descriptions are text: {html}");
        assert!(html.contains("↻ Node refers back to itself"), "{html}");
        assert_eq!(html.matches("<li").count(), 5, "root, name, children, [items], the recursion note: {html}");
    }

    #[test]
    fn a_large_tree_is_cut_short_and_says_so() {
        // 30 schemas of 30 fields, each field referring to the next schema: 30^12 nodes if expanded.
        let schemas: serde_json::Map<String, Value> = (0..30)
            .map(|n| {
                let fields: serde_json::Map<String, Value> = (0..30)
                    .map(|f| (format!("f{f}"), json!({ "$ref": format!("#/components/schemas/S{}", (n + 1) % 30) })))
                    .collect();
                (format!("S{n}"), json!({ "type": "object", "properties": fields }))
            })
            .collect();
        let html = tree_html(&json!({ "$ref": "#/components/schemas/S0" }), &Value::Object(schemas));
        assert_eq!(html.matches(r#"<span class="schema-type">"#).count(), MAX_NODES);
        assert_eq!(html.matches("more than 400 fields").count(), 1, "said once");
        assert_eq!(html.matches("<li").count(), html.matches("</li>").count(), "well formed");
    }

    #[test]
    fn constraints_are_listed() {
        assert_eq!(constraints(&json!({ "enum": ["a", "b"], "minimum": 1 })), "one of \"a\", \"b\" · ≥ 1");
    }
}
