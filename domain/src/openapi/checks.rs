//! Checks on a bundled document and its model. Errors mean the API cannot be served as
//! written (nothing is stored); warnings name deviations that do not stop serving it.

use super::findings::Findings;
use super::model::{METHODS, deref};
use super::parse::{Pos, escape_token};
use gatehouse_contract::{ApiModel, SpecVersion};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

struct Checker<'a> {
    doc: &'a Value,
    pos: &'a Pos,
    findings: &'a mut Findings,
}

impl Checker<'_> {
    fn error(&mut self, pointer: &str, message: String) {
        let at = self.pos.locate(pointer);
        self.findings.error(None, pointer, at, message);
    }

    fn warn(&mut self, pointer: &str, message: String) {
        let at = self.pos.locate(pointer);
        self.findings.warn(None, pointer, at, message);
    }
}

/// `{name}` placeholders of a path template.
pub fn template_names(path: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                names.push(after[..close].to_string());
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    names
}

pub fn run(doc: &Value, pos: &Pos, version: SpecVersion, model: &ApiModel, findings: &mut Findings) {
    let mut c = Checker { doc, pos, findings };
    info(&mut c);
    if let Some(paths) = doc.get("paths")
        && !paths.is_object()
    {
        c.error("/paths", "`paths` must be a mapping of resource paths to path items".into());
    }
    operations(&mut c, version);
    servers(&mut c);
    if version == SpecVersion::OpenApi31 {
        schema_lints(&mut c, doc, &mut String::new(), 0);
    }
    if model.operations.is_empty() && model.webhooks.is_empty() {
        c.warn("/paths", "the document defines no operations: there is nothing for a gateway to route yet".into());
    }
}

fn info(c: &mut Checker) {
    match c.doc.get("info") {
        None => c.warn("", "`info` is missing: the API has no title or version in the document".into()),
        Some(info) => {
            for key in ["title", "version"] {
                match info.get(key) {
                    None => c.warn("/info", format!("`info.{key}` is missing (required)")),
                    Some(Value::String(_)) => {}
                    Some(_) => c.warn(&format!("/info/{key}"), format!("`info.{key}` must be a string")),
                }
            }
        }
    }
}

fn operations(c: &mut Checker, version: SpecVersion) {
    let doc = c.doc;
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else { return };
    let mut operation_ids: HashMap<String, String> = HashMap::new();
    for (path, item) in paths {
        if !path.starts_with('/') && !path.starts_with("x-") {
            c.warn(&format!("/paths/{}", escape_token(path)), format!("path `{path}` must start with `/`"));
        }
        let item = deref(doc, item);
        let path_params: Vec<&Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|p| deref(doc, p)).collect())
            .unwrap_or_default();
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let op = deref(doc, op);
            let pointer = format!("/paths/{}/{method}", escape_token(path));
            let mut declared: HashSet<String> = HashSet::new();
            for p in path_params
                .iter()
                .copied()
                .chain(op.get("parameters").and_then(Value::as_array).into_iter().flatten().map(|p| deref(doc, p)))
            {
                if p.get("in").and_then(Value::as_str) == Some("path")
                    && let Some(name) = p.get("name").and_then(Value::as_str)
                {
                    declared.insert(name.to_string());
                }
            }
            let missing: Vec<String> = template_names(path).into_iter().filter(|n| !declared.contains(n)).collect();
            if !missing.is_empty() {
                let list = missing.iter().map(|n| format!("{{{n}}}")).collect::<Vec<_>>().join(", ");
                c.error(
                    &pointer,
                    format!(
                        "{} {path} has no `in: path` parameter for {list}: the gateway could not route it",
                        method.to_ascii_uppercase()
                    ),
                );
            }
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                if let Some(first) = operation_ids.get(id) {
                    c.warn(
                        &format!("{pointer}/operationId"),
                        format!("operationId `{id}` is also used by {first}; ids must be unique"),
                    );
                } else {
                    operation_ids.insert(id.to_string(), format!("{} {path}", method.to_ascii_uppercase()));
                }
            }
            match op.get("responses").and_then(Value::as_object) {
                None if version != SpecVersion::OpenApi31 => {
                    c.warn(
                        &pointer,
                        format!(
                            "{} {path} has no `responses` (required before OpenAPI 3.1)",
                            method.to_ascii_uppercase()
                        ),
                    );
                }
                None => {}
                Some(responses) => {
                    for (status, response) in responses {
                        if status.starts_with("x-") {
                            continue;
                        }
                        let r = deref(doc, response);
                        if r.get("description").is_none() {
                            c.warn(
                                &format!("{pointer}/responses/{}", escape_token(status)),
                                format!(
                                    "response {status} of {} {path} has no `description` (required)",
                                    method.to_ascii_uppercase()
                                ),
                            );
                        }
                    }
                }
            }
        }
    }
}

fn servers(c: &mut Checker) {
    let doc = c.doc;
    let Some(servers) = doc.get("servers").and_then(Value::as_array) else { return };
    for (i, server) in servers.iter().enumerate() {
        let Some(vars) = server.get("variables").and_then(Value::as_object) else { continue };
        for (name, var) in vars {
            let pointer = format!("/servers/{i}/variables/{}", escape_token(name));
            if let Some(values) = var.get("enum").and_then(Value::as_array) {
                if values.is_empty() {
                    c.warn(
                        &format!("{pointer}/enum"),
                        format!("server variable `{name}` has an empty `enum` (it must list at least one value)"),
                    );
                } else if let Some(default) = var.get("default")
                    && !values.contains(default)
                {
                    c.warn(
                        &format!("{pointer}/default"),
                        format!("the default of server variable `{name}` is not one of its `enum` values"),
                    );
                }
            }
            if var.get("default").is_none() {
                c.warn(&pointer, format!("server variable `{name}` has no `default` (required)"));
            }
        }
    }
}

/// JSON Schema 2020-12 rules that 3.0-era habits break in 3.1 documents.
fn schema_lints(c: &mut Checker, value: &Value, pointer: &mut String, depth: usize) {
    if depth > 200 {
        return;
    }
    match value {
        Value::Object(map) => {
            for key in ["exclusiveMinimum", "exclusiveMaximum"] {
                if let Some(Value::Bool(_)) = map.get(key) {
                    let at = format!("{pointer}/{key}");
                    c.warn(&at, format!("`{key}` is a boolean (OpenAPI 3.0 style); in 3.1 it must be a number"));
                }
            }
            if let (Some(Value::Array(required)), true) = (
                map.get("required"),
                map.contains_key("properties") || map.get("type") == Some(&Value::String("object".into())),
            ) {
                let mut seen = HashSet::new();
                if let Some(dup) = required.iter().filter_map(Value::as_str).find(|r| !seen.insert(*r)) {
                    let at = format!("{pointer}/required");
                    c.warn(&at, format!("`required` lists `{dup}` more than once (entries must be unique)"));
                }
            }
            for (key, child) in map {
                if key == "example" || key == "examples" || key == "default" || key == "enum" || key == "const" {
                    continue;
                }
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape_token(key));
                schema_lints(c, child, pointer, depth + 1);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                schema_lints(c, child, pointer, depth + 1);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}
