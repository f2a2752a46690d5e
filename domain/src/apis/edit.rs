//! The form view's edits, applied to the definition itself (the source of truth), then saved
//! like any other source change: re-checked, and refused whole if it breaks the definition.

use super::{load_editable, refused, save_definition};
use crate::openapi::emit::to_text;
use crate::openapi::files::MemoryFiles;
use crate::openapi::model::METHODS;
use crate::openapi::{self, Imported, checks::template_names, convert, parse};
use crate::{Actor, Db, DomainError, Result};
use gatehouse_contract::{ApiDetail, BodyForm, OperationEdit, OperationForm, Permission, Snapshot, SpecVersion};
use serde_json::{Map, Value, json};

fn method_of(method: &str) -> Result<String> {
    let m = method.trim().to_ascii_lowercase();
    if METHODS.contains(&m.as_str()) {
        Ok(m)
    } else {
        Err(DomainError::invalid("method", format!("`{method}` is not an HTTP method")))
    }
}

fn path_of(path: &str) -> Result<String> {
    let p = path.trim();
    let balanced = p.matches('{').count() == p.matches('}').count();
    if p.starts_with('/') && balanced && !p.chars().any(char::is_whitespace) && p.len() <= 300 {
        Ok(p.to_string())
    } else {
        Err(DomainError::invalid("path", "must start with `/`, have no spaces, and close every `{`"))
    }
}

/// JSON (or YAML) text from a form field; empty text is `None`.
fn parse_field(field: &str, text: &str) -> Result<Option<Value>> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    parse::parse(text)
        .map(|p| Some(p.value))
        .map_err(|e| DomainError::invalid(field, format!("line {}, column {}: {}", e.line, e.column, e.message)))
}

fn media(field: &str, body: &BodyForm) -> Result<Value> {
    let mut content = Map::new();
    if let Some(schema) = parse_field(&format!("{field}.schema"), &body.schema)? {
        content.insert("schema".into(), schema);
    }
    if let Some(example) = parse_field(&format!("{field}.example"), &body.example)? {
        content.insert("example".into(), example);
    }
    let content_type = if body.content_type.trim().is_empty() { "application/json" } else { body.content_type.trim() };
    Ok(json!({ content_type: Value::Object(content) }))
}

fn path_parameters(path: &str) -> Vec<Value> {
    template_names(path)
        .into_iter()
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect()
}

/// Apply one form edit to an OpenAPI 3 document.
pub fn apply(document: &mut Value, edit: &OperationEdit) -> Result<()> {
    let paths = document
        .as_object_mut()
        .ok_or_else(|| DomainError::invalid("definition", "is not a mapping"))?
        .entry("paths")
        .or_insert_with(|| Value::Object(Map::new()));
    let paths = paths.as_object_mut().ok_or_else(|| DomainError::invalid("paths", "is not a mapping"))?;
    match edit {
        OperationEdit::Add { method, path, summary } => {
            let (method, path) = (method_of(method)?, path_of(path)?);
            let item = paths.entry(path.clone()).or_insert_with(|| Value::Object(Map::new()));
            let item =
                item.as_object_mut().ok_or_else(|| DomainError::invalid("path", "its path item is not a mapping"))?;
            if item.contains_key(&method) {
                return Err(DomainError::Conflict(format!("{} {path} already exists", method.to_ascii_uppercase())));
            }
            let mut op = Map::new();
            if !summary.trim().is_empty() {
                op.insert("summary".into(), Value::String(summary.trim().into()));
            }
            let params = path_parameters(&path);
            if !params.is_empty() {
                op.insert("parameters".into(), Value::Array(params));
            }
            op.insert("responses".into(), json!({ "200": { "description": "OK" } }));
            item.insert(method, Value::Object(op));
        }
        OperationEdit::Remove { method, path } => {
            let method = method_of(method)?;
            let item = paths.get_mut(path.as_str()).and_then(Value::as_object_mut);
            let removed = item.and_then(|i| i.remove(&method)).is_some();
            if !removed {
                return Err(DomainError::NotFound(format!("operation {} {path}", method.to_ascii_uppercase())));
            }
            let empty = paths
                .get(path.as_str())
                .and_then(Value::as_object)
                .is_some_and(|i| !i.keys().any(|k| METHODS.contains(&k.as_str())));
            if empty {
                paths.remove(path.as_str());
            }
        }
        OperationEdit::Update { form } => update(paths, form)?,
    }
    Ok(())
}

fn update(paths: &mut Map<String, Value>, form: &OperationForm) -> Result<()> {
    let method = method_of(&form.method)?;
    let op = paths
        .get_mut(form.path.as_str())
        .and_then(Value::as_object_mut)
        .and_then(|item| item.get_mut(&method))
        .and_then(Value::as_object_mut)
        .ok_or_else(|| {
            DomainError::NotFound(format!("operation {} {}", form.method.to_ascii_uppercase(), form.path))
        })?;
    let mut set = |key: &str, value: Option<Value>| match value {
        Some(v) => {
            op.insert(key.to_string(), v);
        }
        None => {
            op.remove(key);
        }
    };
    let text = |s: &str| (!s.trim().is_empty()).then(|| Value::String(s.trim().to_string()));
    set("summary", text(&form.summary));
    set("description", text(&form.description));
    set("deprecated", form.deprecated.then_some(Value::Bool(true)));
    let tags: Vec<Value> =
        form.tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()).map(|t| Value::String(t.into())).collect();
    set("tags", (!tags.is_empty()).then_some(Value::Array(tags)));
    let mut parameters = Vec::new();
    for (i, p) in form.parameters.iter().enumerate() {
        let name = p.name.trim();
        if name.is_empty() {
            continue;
        }
        let location = p.location.trim();
        if !["path", "query", "header", "cookie"].contains(&location) {
            return Err(DomainError::invalid(
                format!("parameters[{i}].location"),
                "must be path, query, header or cookie",
            ));
        }
        let kind = if p.schema_type.trim().is_empty() { "string" } else { p.schema_type.trim() };
        let mut param = json!({ "name": name, "in": location, "schema": { "type": kind } });
        if p.required || location == "path" {
            param["required"] = Value::Bool(true);
        }
        if !p.description.trim().is_empty() {
            param["description"] = Value::String(p.description.trim().into());
        }
        parameters.push(param);
    }
    set("parameters", (!parameters.is_empty()).then_some(Value::Array(parameters)));
    let body = match &form.request_body {
        Some(b) if !b.schema.trim().is_empty() || !b.example.trim().is_empty() => {
            let mut body = json!({ "content": media("request_body", b)? });
            if !b.description.trim().is_empty() {
                body["description"] = Value::String(b.description.trim().into());
            }
            Some(body)
        }
        _ => None,
    };
    set("requestBody", body);
    let mut responses = Map::new();
    for (i, r) in form.responses.iter().enumerate() {
        let status = r.status.trim();
        if status.is_empty() {
            continue;
        }
        let valid = status == "default"
            || (status.len() == 3
                && status.chars().enumerate().all(|(n, c)| c.is_ascii_digit() || (n > 0 && c == 'X')));
        if !valid {
            return Err(DomainError::invalid(
                format!("responses[{i}].status"),
                "must be a status code like 200, a range like 4XX, or default",
            ));
        }
        let description = if r.description.trim().is_empty() { "Response" } else { r.description.trim() };
        let mut response = json!({ "description": description });
        if !r.schema.trim().is_empty() || !r.example.trim().is_empty() {
            response["content"] = media(&format!("responses[{i}]"), r)?;
        }
        responses.insert(status.to_string(), response);
    }
    if responses.is_empty() {
        return Err(DomainError::invalid("responses", "an operation needs at least one response"));
    }
    set("responses", Some(Value::Object(responses)));
    Ok(())
}

/// The form's view of one operation, read from the definition.
pub fn form_of(document: &Value, method: &str, path: &str) -> Option<OperationForm> {
    let op = document.get("paths")?.get(path)?.get(method.to_ascii_lowercase())?;
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let json_text =
        |v: Option<&Value>| v.map(|v| serde_json::to_string_pretty(v).unwrap_or_default()).unwrap_or_default();
    let body_of = |status: String, description: String, content: Option<&Value>| {
        let first = content.and_then(Value::as_object).and_then(|c| c.iter().next());
        BodyForm {
            status,
            description,
            content_type: first.map(|(k, _)| k.clone()).unwrap_or_else(|| "application/json".into()),
            schema: json_text(first.and_then(|(_, m)| m.get("schema"))),
            example: json_text(first.and_then(|(_, m)| m.get("example"))),
        }
    };
    Some(OperationForm {
        method: method.to_ascii_uppercase(),
        path: path.to_string(),
        summary: text(op, "summary"),
        description: text(op, "description"),
        deprecated: op.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
        tags: op
            .get("tags")
            .and_then(Value::as_array)
            .map(|t| t.iter().filter_map(|x| x.as_str().map(String::from)).collect())
            .unwrap_or_default(),
        parameters: op
            .get("parameters")
            .and_then(Value::as_array)
            .map(|ps| {
                ps.iter()
                    .filter(|p| p.get("$ref").is_none())
                    .map(|p| gatehouse_contract::ParameterForm {
                        name: text(p, "name"),
                        location: text(p, "in"),
                        required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                        description: text(p, "description"),
                        schema_type: p.get("schema").map(|s| text(s, "type")).unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        request_body: op.get("requestBody").map(|b| body_of(String::new(), text(b, "description"), b.get("content"))),
        responses: op
            .get("responses")
            .and_then(Value::as_object)
            .map(|rs| {
                rs.iter().map(|(status, r)| body_of(status.clone(), text(r, "description"), r.get("content"))).collect()
            })
            .unwrap_or_default(),
    })
}

/// Apply a form edit to the API's definition and save it (optimistically, like any save).
pub async fn edit_operation(
    db: &Db,
    actor: &Actor,
    api_id: &str,
    edit: &OperationEdit,
    expected: i64,
) -> Result<ApiDetail> {
    actor.require(Permission::DesignApis)?;
    let row = load_editable(db, actor, api_id).await?;
    let snapshot = row.snapshot()?;
    if snapshot.spec_version == SpecVersion::Swagger2 {
        return Err(DomainError::invalid(
            "definition",
            "the form edits OpenAPI 3 definitions; edit this Swagger 2.0 definition in the source view",
        ));
    }
    let (source, imported) = rewritten(&snapshot, |mut document| {
        apply(&mut document, edit)?;
        Ok(document)
    })?;
    save_definition(db, actor, &row, source, snapshot.source_format, imported, None, expected).await?;
    super::get(db, actor, api_id).await
}

/// The definition of `snapshot` with `description` as its `info.description` (none when
/// empty), re-checked like any edit: the text to store and what importing it gave.
pub(crate) fn with_description(snapshot: &Snapshot, description: &str) -> Result<(String, Imported)> {
    rewritten(snapshot, |mut document| {
        let info = document
            .get_mut("info")
            .and_then(Value::as_object_mut)
            .ok_or_else(|| DomainError::invalid("definition", "the definition has no `info` object"))?;
        if description.is_empty() {
            info.remove("description");
        } else {
            info.insert("description".into(), Value::String(description.into()));
        }
        Ok(document)
    })
}

/// The stored definition of `snapshot` parsed, changed by `change`, written back in its format
/// and imported again: the text to store and what importing it gave, or the refusal when the
/// change left a definition that cannot be served.
fn rewritten(snapshot: &Snapshot, change: impl FnOnce(Value) -> Result<Value>) -> Result<(String, Imported)> {
    let document = parse::parse(&snapshot.source)
        .map_err(|e| DomainError::invalid("definition", format!("the stored source does not parse: {}", e.message)))?
        .value;
    let source = to_text(&change(document)?, snapshot.source_format);
    let files = MemoryFiles::single("definition", source.clone().into_bytes());
    let imported = openapi::import(&files, "definition").map_err(refused)?;
    Ok((source, imported))
}

/// Rewrite a Swagger 2.0 working copy as OpenAPI 3.0 (see [`crate::openapi::convert`]), so the
/// form view can edit it; saved like any source change, checked again, and refused whole if the
/// result could not be served. Revisions already cut keep their Swagger 2.0 definition.
pub async fn convert_to_openapi3(db: &Db, actor: &Actor, api_id: &str, expected: i64) -> Result<ApiDetail> {
    actor.require(Permission::DesignApis)?;
    let row = load_editable(db, actor, api_id).await?;
    let snapshot = row.snapshot()?;
    if snapshot.spec_version != SpecVersion::Swagger2 {
        return Err(DomainError::invalid("definition", "the definition is OpenAPI 3 already"));
    }
    let (source, imported) = rewritten(&snapshot, |document| Ok(convert::swagger2_to_openapi3(&document)))?;
    save_definition(db, actor, &row, source, snapshot.source_format, imported, None, expected).await?;
    super::get(db, actor, api_id).await
}
