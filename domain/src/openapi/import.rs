//! The import pipeline: detect the version, bundle, check, build the model.

use super::bundle::Bundler;
use super::files::Files;
use super::findings::Findings;
use super::parse::{self, escape_token};
use super::{checks, model};
use gatehouse_contract::{ApiModel, Diagnostic, SpecVersion};
use serde_json::Value;

/// A definition that can be served: the bundled document, its model and the warnings.
#[derive(Debug)]
pub struct Imported {
    pub spec_version: SpecVersion,
    /// One self-contained document (references into other uploaded files brought in).
    pub document: Value,
    pub model: ApiModel,
    pub warnings: Vec<Diagnostic>,
    /// How many files the definition spans (1 when it is self-contained).
    pub files_read: usize,
}

/// A definition refused: every error found, each located.
#[derive(Debug)]
pub struct Refused {
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

impl Refused {
    fn one(message: impl Into<String>, line: u32, column: u32) -> Self {
        Refused {
            errors: vec![Diagnostic { pointer: String::new(), line, column, message: message.into(), file: None }],
            warnings: vec![],
        }
    }

    /// The first error as one sentence with its place.
    pub fn summary(&self) -> String {
        match self.errors.first() {
            Some(e) => format!(
                "{}{}:{}: {}{}",
                e.file.as_deref().map(|f| format!("{f}:")).unwrap_or_default(),
                e.line,
                e.column,
                e.message,
                if self.errors.len() > 1 {
                    format!(" (and {} more errors)", self.errors.len() - 1)
                } else {
                    String::new()
                }
            ),
            None => "the definition was refused".into(),
        }
    }
}

fn detect_version(doc: &Value, pos: &parse::Pos, findings: &mut Findings) -> Result<SpecVersion, Refused> {
    let Some(map) = doc.as_object() else {
        return Err(Refused::one(
            "the document is not a mapping (a JSON object): this is not an OpenAPI definition",
            1,
            1,
        ));
    };
    let (key, raw) = match (map.get("openapi"), map.get("swagger")) {
        (Some(v), _) => ("openapi", v),
        (None, Some(v)) => ("swagger", v),
        (None, None) => {
            return Err(Refused::one(
                "neither `openapi` nor `swagger` is set: this is not an OpenAPI or Swagger definition",
                1,
                1,
            ));
        }
    };
    let pointer = format!("/{key}");
    let (line, column) = pos.locate(&pointer);
    let text = match raw {
        Value::String(s) => s.clone(),
        Value::Number(n) => {
            findings.warn(
                None,
                &pointer,
                (line, column),
                format!("`{key}` must be a string (e.g. \"{n}\"), not a number; read as \"{n}\""),
            );
            let s = n.to_string();
            if s.contains('.') { s } else { format!("{s}.0") }
        }
        _ => {
            return Err(Refused {
                errors: vec![Diagnostic {
                    pointer,
                    line,
                    column,
                    message: format!("`{key}` must be a version string"),
                    file: None,
                }],
                warnings: vec![],
            });
        }
    };
    let version = match (key, text.as_str()) {
        ("swagger", "2.0") => SpecVersion::Swagger2,
        ("openapi", v) if v.starts_with("3.0") => SpecVersion::OpenApi30,
        ("openapi", v) if v.starts_with("3.1") => SpecVersion::OpenApi31,
        ("openapi", v) if v.starts_with("3.") => {
            findings.warn(
                None,
                &pointer,
                (line, column),
                format!("OpenAPI {v} is newer than this importer knows; read as 3.1"),
            );
            SpecVersion::OpenApi31
        }
        _ => {
            return Err(Refused {
                errors: vec![Diagnostic {
                    pointer,
                    line,
                    column,
                    message: format!(
                        "unsupported version `{key}: {text}`: Swagger 2.0, OpenAPI 3.0 and 3.1 are supported"
                    ),
                    file: None,
                }],
                warnings: vec![],
            });
        }
    };
    Ok(version)
}

/// A 3.0 document read into the `openapiv3` types: a failure names the first place where the
/// document leaves the 3.0 structure (a warning: the tolerant model still serves it).
fn strict_30(document: &Value, pos: &parse::Pos, findings: &mut Findings) {
    let deserializer = document.clone();
    let result: Result<openapiv3::OpenAPI, _> = serde_path_to_error::deserialize(deserializer);
    if let Err(e) = result {
        let pointer: String = e
            .path()
            .iter()
            .filter_map(|seg| match seg {
                serde_path_to_error::Segment::Map { key } => Some(format!("/{}", escape_token(key))),
                serde_path_to_error::Segment::Seq { index } => Some(format!("/{index}")),
                _ => None,
            })
            .collect();
        let at = pos.locate(&pointer);
        findings.warn(None, &pointer, at, format!("does not follow the OpenAPI 3.0 structure here: {}", e.inner()));
    }
}

/// Import the definition whose root document is `entry` among `files`.
pub fn import(files: &dyn Files, entry: &str) -> Result<Imported, Refused> {
    let Some(bytes) = files.read(entry) else {
        return Err(Refused::one(format!("there is no file `{entry}` among the uploaded files"), 1, 1));
    };
    let text = String::from_utf8_lossy(&bytes);
    let parsed = parse::parse(&text).map_err(|e| Refused::one(e.message, e.line, e.column))?;
    let mut early = Findings::default();
    for w in &parsed.warnings {
        early.warn(None, &w.pointer, (w.line, w.column), w.message.clone());
    }
    let version = detect_version(&parsed.value, &parsed.pos, &mut early)?;
    let (document, entry_doc, mut findings, files_read) =
        Bundler::new(files, entry, parsed, version == SpecVersion::Swagger2).bundle();
    findings.warnings.splice(0..0, early.warnings);
    let model = model::build(&document, version);
    checks::run(&document, &entry_doc.pos, version, &model, &mut findings);
    if version == SpecVersion::OpenApi30 && findings.errors.is_empty() {
        strict_30(&document, &entry_doc.pos, &mut findings);
    }
    if !findings.errors.is_empty() {
        let errors = std::mem::take(&mut findings.errors);
        return Err(Refused { errors, warnings: findings.into_warnings() });
    }
    Ok(Imported { spec_version: version, document, model, warnings: findings.into_warnings(), files_read })
}
