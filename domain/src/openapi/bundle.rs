//! `$ref` resolution and bundling. Every reference is checked; references into other uploaded
//! files are brought into the entry document so the result is one self-contained document:
//! reusable kinds (schemas, parameters, responses, …) become components, everything else is
//! inlined. Remote URLs are never fetched (SSRF): they stay as they are, with a warning.

use super::files::{Files, join};
use super::findings::Findings;
use super::parse::{self, Parsed, escape_token, pointer_tokens};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};

pub struct Bundled {
    pub document: Value,
    /// Positions in the entry document, for locating later findings.
    pub entry: Parsed,
}

enum Kind {
    /// Copied in place of the `$ref`.
    Inline,
    /// Hoisted once under a container and referenced locally: (3.x container, 2.0 container).
    Component(&'static str, Option<&'static str>),
}

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Keys whose values are literal data, where a `$ref` key is just data.
const LITERAL_KEYS: [&str; 5] = ["example", "default", "enum", "const", "x-example"];

fn is_schema_context(ctx: &[String]) -> bool {
    let last = ctx.last().map(String::as_str).unwrap_or("");
    let parent = if ctx.len() >= 2 { ctx[ctx.len() - 2].as_str() } else { "" };
    matches!(
        last,
        "schema"
            | "items"
            | "additionalProperties"
            | "not"
            | "contains"
            | "if"
            | "then"
            | "else"
            | "propertyNames"
            | "unevaluatedItems"
            | "unevaluatedProperties"
            | "additionalItems"
    ) || matches!(
        parent,
        "properties" | "patternProperties" | "$defs" | "dependentSchemas" | "allOf" | "anyOf" | "oneOf" | "prefixItems"
    ) || (parent == "items" && last.parse::<usize>().is_ok())
        || (parent == "definitions" && ctx.len() > 2)
        || (ctx.len() >= 3 && ctx[ctx.len() - 3] == "components" && parent == "schemas")
}

/// What a `$ref` at logical place `ctx` in the bundled document refers to, and whether the
/// specification allows a `$ref` there.
fn kind_of(ctx: &[String]) -> (Kind, bool) {
    let n = ctx.len();
    let last = ctx.last().map(String::as_str).unwrap_or("");
    let parent = if n >= 2 { ctx[n - 2].as_str() } else { "" };
    // A top-level definition that is itself a $ref to a file: take the file's content.
    if (n == 3 && ctx[0] == "components")
        || (n == 2 && matches!(ctx[0].as_str(), "definitions" | "parameters" | "responses"))
    {
        return (Kind::Inline, true);
    }
    if n == 2 && (ctx[0] == "paths" || ctx[0] == "webhooks") {
        return (Kind::Inline, true);
    }
    if n == 3 && (ctx[0] == "paths" || ctx[0] == "webhooks") && METHODS.contains(&last) {
        return (Kind::Inline, false);
    }
    if ctx.iter().any(|k| k.starts_with("x-")) {
        return (Kind::Inline, true);
    }
    if is_schema_context(ctx) {
        return (Kind::Component("schemas", Some("definitions")), true);
    }
    match parent {
        "parameters" => return (Kind::Component("parameters", Some("parameters")), true),
        "responses" => return (Kind::Component("responses", Some("responses")), true),
        "headers" => return (Kind::Component("headers", None), true),
        "examples" => return (Kind::Component("examples", None), true),
        "links" => return (Kind::Component("links", None), true),
        "callbacks" => return (Kind::Component("callbacks", None), true),
        "securitySchemes" => return (Kind::Component("securitySchemes", None), true),
        "pathItems" => return (Kind::Inline, true),
        _ => {}
    }
    if last == "requestBody" {
        return (Kind::Component("requestBodies", None), true);
    }
    // A path item inside a callback expression.
    if n >= 2 && ctx[..n - 1].contains(&"callbacks".to_string()) {
        return (Kind::Inline, true);
    }
    (Kind::Inline, false)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = text.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value at a `#` fragment (a JSON pointer; empty for the whole document).
pub fn resolve_pointer<'v>(value: &'v Value, fragment: &str) -> Option<&'v Value> {
    if fragment.is_empty() {
        return Some(value);
    }
    if !fragment.starts_with('/') {
        return None;
    }
    let mut here = value;
    for token in pointer_tokens(fragment) {
        here = match here {
            Value::Object(map) => map.get(&token)?,
            Value::Array(items) => items.get(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(here)
}

fn pointer_of(tokens: &[String]) -> String {
    tokens.iter().map(|t| format!("/{}", escape_token(t))).collect()
}

fn suggested_name(file: &str, fragment: &str) -> String {
    let raw = match fragment.rsplit('/').next() {
        Some(last) if !last.is_empty() => last.replace("~1", "/").replace("~0", "~"),
        _ => {
            let base = file.rsplit('/').next().unwrap_or(file);
            base.split('.').next().unwrap_or(base).to_string()
        }
    };
    let clean: String =
        raw.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect();
    if clean.is_empty() { "Component".into() } else { clean }
}

pub struct Bundler<'f> {
    files: &'f dyn Files,
    entry_path: String,
    swagger2: bool,
    docs: HashMap<String, Parsed>,
    hoisted: HashMap<String, String>,
    taken: HashSet<String>,
    additions: Vec<(Vec<String>, Value)>,
    pub findings: Findings,
}

impl<'f> Bundler<'f> {
    pub fn new(files: &'f dyn Files, entry_path: &str, entry: Parsed, swagger2: bool) -> Self {
        let mut docs = HashMap::new();
        docs.insert(entry_path.to_string(), entry);
        Bundler {
            files,
            entry_path: entry_path.to_string(),
            swagger2,
            docs,
            hoisted: HashMap::new(),
            taken: HashSet::new(),
            additions: Vec::new(),
            findings: Findings::default(),
        }
    }

    fn file_label<'a>(&self, file: &'a str) -> Option<&'a str> {
        (file != self.entry_path).then_some(file)
    }

    fn locate(&self, file: &str, pointer: &str) -> (u32, u32) {
        self.docs.get(file).map(|d| d.pos.locate(pointer)).unwrap_or((1, 1))
    }

    fn error_at(&mut self, file: &str, src: &[String], message: String) {
        let pointer = format!("{}/$ref", pointer_of(src));
        let at = self.locate(file, &pointer);
        let label = self.file_label(file).map(str::to_string);
        self.findings.error(label.as_deref(), &pointer, at, message);
    }

    fn warn_at(&mut self, file: &str, src: &[String], message: String) {
        let pointer = format!("{}/$ref", pointer_of(src));
        let at = self.locate(file, &pointer);
        let label = self.file_label(file).map(str::to_string);
        self.findings.warn(label.as_deref(), &pointer, at, message);
    }

    /// Parse another file once; `false` (with an error recorded) when it cannot be read.
    fn load(&mut self, path: &str, from_file: &str, src: &[String], reference: &str) -> bool {
        if self.docs.contains_key(path) {
            return true;
        }
        let Some(bytes) = self.files.read(path) else {
            self.error_at(
                from_file,
                src,
                format!("$ref `{reference}` does not resolve: there is no file `{path}` among the uploaded files"),
            );
            return false;
        };
        let text = String::from_utf8_lossy(&bytes);
        match parse::parse(&text) {
            Ok(parsed) => {
                for w in &parsed.warnings {
                    self.findings.warn(Some(path), &w.pointer, (w.line, w.column), w.message.clone());
                }
                self.docs.insert(path.to_string(), parsed);
                true
            }
            Err(e) => {
                self.findings.error(Some(path), "", (e.line, e.column), e.message);
                false
            }
        }
    }

    /// Resolve every reference of the entry document and return the bundled document.
    /// The bundled document, the parsed entry, the findings, and how many files were read.
    pub fn bundle(mut self) -> (Value, Parsed, Findings, usize) {
        let entry_path = self.entry_path.clone();
        let mut document = self.docs.get(&entry_path).map(|d| d.value.clone()).unwrap_or(Value::Null);
        // Names already used by the entry's own components are not handed out again.
        for (container, c2) in [("schemas", "definitions"), ("parameters", "parameters"), ("responses", "responses")] {
            let names: Vec<String> = if self.swagger2 {
                document
                    .get(c2)
                    .and_then(Value::as_object)
                    .map(|m| m.keys().map(|k| format!("{c2}/{k}")).collect())
                    .unwrap_or_default()
            } else {
                document
                    .get("components")
                    .and_then(|c| c.get(container))
                    .and_then(Value::as_object)
                    .map(|m| m.keys().map(|k| format!("components/{container}/{k}")).collect())
                    .unwrap_or_default()
            };
            self.taken.extend(names);
        }
        let mut src = Vec::new();
        let mut ctx = Vec::new();
        let mut stack = Vec::new();
        self.walk(&entry_path, &mut document, &mut src, &mut ctx, &mut stack);
        for (container, value) in std::mem::take(&mut self.additions) {
            insert_at(&mut document, &container, value);
        }
        let files_read = self.docs.len();
        let entry = self.docs.remove(&entry_path).unwrap_or(Parsed {
            value: Value::Null,
            pos: Default::default(),
            warnings: vec![],
        });
        (document, entry, self.findings, files_read)
    }

    fn walk(
        &mut self,
        file: &str,
        value: &mut Value,
        src: &mut Vec<String>,
        ctx: &mut Vec<String>,
        stack: &mut Vec<String>,
    ) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    let reference = reference.clone();
                    if let Some(replacement) = self.resolve(file, &reference, src, ctx, stack) {
                        *value = replacement;
                    }
                    return;
                }
                let keys: Vec<String> = map.keys().cloned().collect();
                for key in keys {
                    if LITERAL_KEYS.contains(&key.as_str()) {
                        continue;
                    }
                    // Example objects hold literal data under `value`.
                    if key == "value" && ctx.len() >= 2 && ctx[ctx.len() - 2] == "examples" {
                        continue;
                    }
                    if let Some(child) = map.get_mut(&key) {
                        src.push(key.clone());
                        ctx.push(key);
                        self.walk(file, child, src, ctx, stack);
                        ctx.pop();
                        src.pop();
                    }
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter_mut().enumerate() {
                    src.push(i.to_string());
                    ctx.push(i.to_string());
                    self.walk(file, child, src, ctx, stack);
                    ctx.pop();
                    src.pop();
                }
            }
            _ => {}
        }
    }

    fn resolve(
        &mut self,
        file: &str,
        reference: &str,
        src: &[String],
        ctx: &[String],
        stack: &mut Vec<String>,
    ) -> Option<Value> {
        let (file_part, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        if file_part.starts_with("http://") || file_part.starts_with("https://") || file_part.starts_with("//") {
            self.warn_at(file, src, format!("remote $ref `{reference}` is not fetched (the server does not fetch URLs for uploads); it stays unresolved"));
            return None;
        }
        let fragment = percent_decode(fragment);
        let target_file = if file_part.is_empty() {
            file.to_string()
        } else {
            match join(file, &percent_decode(file_part)) {
                Some(path) => path,
                None => {
                    self.error_at(file, src, format!("$ref `{reference}` points outside the uploaded files"));
                    return None;
                }
            }
        };
        if !fragment.is_empty() && !fragment.starts_with('/') {
            self.error_at(
                file,
                src,
                format!(
                    "$ref `{reference}` does not resolve: the part after `#` must be a JSON pointer starting with `/`"
                ),
            );
            return None;
        }
        if !self.load(&target_file, file, src, reference) {
            return None;
        }
        let target = self.docs.get(&target_file).and_then(|d| resolve_pointer(&d.value, &fragment)).cloned();
        let Some(mut target) = target else {
            let shown = if target_file == file { format!("#{fragment}") } else { format!("{target_file}#{fragment}") };
            self.error_at(file, src, format!("$ref `{reference}` does not resolve: nothing at `{shown}`"));
            return None;
        };
        if target_file == self.entry_path {
            // A reference into the entry document stays (or becomes) a local one.
            return if file == self.entry_path && file_part.is_empty() {
                None
            } else {
                Some(json!({ "$ref": format!("#{fragment}") }))
            };
        }
        let (kind, allowed) = kind_of(ctx);
        if !allowed {
            self.warn_at(
                file,
                src,
                format!(
                    "OpenAPI does not allow a $ref at `{}`; it was resolved by copying `{reference}` in",
                    pointer_of(ctx)
                ),
            );
        }
        let id = format!("{target_file}#{fragment}");
        let container: Option<Vec<String>> = match kind {
            Kind::Component(c3, c2) => {
                if self.swagger2 {
                    c2.map(|c| vec![c.to_string()])
                } else {
                    Some(vec!["components".to_string(), c3.to_string()])
                }
            }
            Kind::Inline => None,
        };
        let mut target_src: Vec<String> = pointer_tokens(&fragment).collect();
        match container {
            None => {
                if stack.contains(&id) {
                    self.error_at(file, src, format!("$ref `{reference}` is circular through objects that cannot be shared (only schemas may be recursive)"));
                    return None;
                }
                stack.push(id);
                let mut inner_ctx = ctx.to_vec();
                self.walk(&target_file, &mut target, &mut target_src, &mut inner_ctx, stack);
                stack.pop();
                Some(target)
            }
            Some(container) => {
                if let Some(local) = self.hoisted.get(&id) {
                    return Some(json!({ "$ref": local }));
                }
                let base = suggested_name(&target_file, &fragment);
                let prefix = container.join("/");
                let mut name = base.clone();
                let mut n = 2;
                while self.taken.contains(&format!("{prefix}/{name}")) {
                    name = format!("{base}_{n}");
                    n += 1;
                }
                self.taken.insert(format!("{prefix}/{name}"));
                let local = format!("#/{prefix}/{}", escape_token(&name));
                // Recorded before walking the target, so a cycle back to it finds the name.
                self.hoisted.insert(id.clone(), local.clone());
                let mut inner_ctx = container.clone();
                inner_ctx.push(name.clone());
                let mut inner_stack = vec![id];
                self.walk(&target_file, &mut target, &mut target_src, &mut inner_ctx, &mut inner_stack);
                let mut path = container;
                path.push(name);
                self.additions.push((path, target));
                Some(json!({ "$ref": local }))
            }
        }
    }
}

fn insert_at(document: &mut Value, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut here = document;
    for key in parents {
        if !here.is_object() {
            return;
        }
        let Some(map) = here.as_object_mut() else { return };
        here = map.entry(key.clone()).or_insert_with(|| Value::Object(Map::new()));
    }
    if let Some(map) = here.as_object_mut() {
        map.insert(last.clone(), value);
    }
}
