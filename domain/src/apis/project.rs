//! API project archives (like apictl's): a zip with `api.yaml` (metadata, endpoints, policies),
//! the definition as written, and `docs/*.md`. Export then import gives the same API; importing
//! an existing name and version updates its working copy.

use super::scopes::check_operations;
use super::settings::save_settings_in;
use super::{ApiSettings, check_settings, docs, load, load_on, read_definition, store_import};
use crate::openapi::emit::to_text;
use crate::openapi::files::MemoryFiles;
use crate::openapi::parse;
use crate::{Actor, Db, DomainError, Result};
use gatehouse_contract::{
    DocPage, DocSource, Endpoints, ImportOutcome, Permission, Policies, Snapshot, SourceFormat, Visibility,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;

pub const META_FILE: &str = "api.yaml";
/// The `kind` of a project's `api.yaml`.
const PROJECT_KIND: &str = "gatehouse/api";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProjectMeta {
    /// Always `gatehouse/api`, so a stray zip is recognised as not being a project.
    pub kind: String,
    pub name: String,
    pub version: String,
    pub context: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub visibility: Visibility,
    /// Path of the definition inside the project.
    pub definition: String,
    pub endpoints: Endpoints,
    pub policies: Policies,
    #[serde(default)]
    pub docs: Vec<ProjectDoc>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProjectDoc {
    pub slug: String,
    pub title: String,
    pub file: String,
}

/// `<name>-<version>.zip`, the file name an export is offered under.
pub fn archive_name(name: &str, version: &str) -> String {
    let clean = |s: &str| {
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect::<String>()
    };
    format!("{}-{}.zip", clean(name), clean(version))
}

/// The files of an API project (api.yaml, the definition, docs/*.md) for a snapshot: what an
/// export zips and what a deployment commits to the GitOps repository.
pub fn project_files(
    snapshot: &Snapshot,
    description: &str,
    tags: &[String],
    visibility: Visibility,
    pages: &[DocPage],
) -> Result<BTreeMap<String, Vec<u8>>> {
    let definition = match snapshot.source_format {
        SourceFormat::Json => "definition.json",
        SourceFormat::Yaml => "definition.yaml",
    };
    let meta = ProjectMeta {
        kind: PROJECT_KIND.into(),
        name: snapshot.name.clone(),
        version: snapshot.version.clone(),
        context: snapshot.context.clone(),
        description: description.to_string(),
        tags: tags.to_vec(),
        visibility,
        definition: definition.into(),
        endpoints: snapshot.endpoints.clone(),
        policies: snapshot.policies.clone(),
        docs: pages
            .iter()
            .map(|p| ProjectDoc { slug: p.slug.clone(), title: p.title.clone(), file: format!("docs/{}.md", p.slug) })
            .collect(),
    };
    let meta_text =
        to_text(&serde_json::to_value(&meta).map_err(|e| DomainError::Internal(e.to_string()))?, SourceFormat::Yaml);
    let mut files = BTreeMap::new();
    files.insert(META_FILE.to_string(), meta_text.into_bytes());
    files.insert(definition.to_string(), snapshot.source.clone().into_bytes());
    for page in pages {
        files.insert(format!("docs/{}.md", page.slug), page.markdown.clone().into_bytes());
    }
    Ok(files)
}

/// The project of one API's working copy as zip bytes.
pub async fn export(db: &Db, actor: &Actor, api_id: &str) -> Result<(String, Vec<u8>)> {
    actor.require(Permission::DesignApis)?;
    let detail = super::get(db, actor, api_id).await?;
    let row = load(db, api_id).await?;
    let pages = docs::list(db, api_id).await?;
    let files = project_files(&row.snapshot()?, &row.description, &detail.summary.tags, detail.visibility, &pages)?;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, bytes) in &files {
        zip.start_file(name.as_str(), options).map_err(|e| DomainError::Internal(format!("writing archive: {e}")))?;
        zip.write_all(bytes).map_err(|e| DomainError::Internal(format!("writing archive: {e}")))?;
    }
    let bytes = zip.finish().map_err(|e| DomainError::Internal(format!("writing archive: {e}")))?.into_inner();
    Ok((archive_name(&row.name, &row.version), bytes))
}

/// Where a zip's `api.yaml` is, when the zip is an API project: at its top level or inside
/// one folder (the shallowest wins).
fn meta_path(files: &MemoryFiles) -> Option<String> {
    files
        .files
        .keys()
        .filter(|k| k.as_str() == META_FILE || k.ends_with(&format!("/{META_FILE}")))
        .min_by_key(|k| k.matches('/').count())
        .cloned()
}

/// Whether a zip's files are an API project (an `api.yaml` of kind `gatehouse/api` beside the
/// definition) rather than a definition split over several files, whose root may be called
/// `api.yaml` too.
pub fn is_project(files: &MemoryFiles) -> bool {
    let meta = meta_path(files).and_then(|path| files.files.get(&path));
    meta.and_then(|bytes| parse::parse(&String::from_utf8_lossy(bytes)).ok())
        .is_some_and(|parsed| parsed.value.get("kind").and_then(|k| k.as_str()) == Some(PROJECT_KIND))
}

/// Import a project archive: create the API, or update the one with the same name and version.
pub async fn import_archive(db: &Db, actor: &Actor, bytes: &[u8]) -> Result<ImportOutcome> {
    actor.require(Permission::DesignApis)?;
    let files = MemoryFiles::from_zip(bytes).map_err(|e| DomainError::invalid("archive", e))?;
    import_project(db, actor, &files).await
}

/// Import the files of a project archive, as [`import_archive`] says.
pub async fn import_project(db: &Db, actor: &Actor, files: &MemoryFiles) -> Result<ImportOutcome> {
    actor.require(Permission::DesignApis)?;
    let meta_path = meta_path(files).ok_or_else(|| {
        DomainError::invalid("archive", format!("no {META_FILE} in the archive: this is not an API project"))
    })?;
    let base = meta_path.strip_suffix(META_FILE).unwrap_or("").to_string();
    let meta_text =
        String::from_utf8_lossy(files.files.get(&meta_path).map(Vec::as_slice).unwrap_or_default()).into_owned();
    let meta_value = parse::parse(&meta_text)
        .map_err(|e| DomainError::invalid(META_FILE, format!("line {}: {}", e.line, e.message)))?
        .value;
    let meta: ProjectMeta =
        serde_json::from_value(meta_value).map_err(|e| DomainError::invalid(META_FILE, e.to_string()))?;
    if meta.kind != PROJECT_KIND {
        return Err(DomainError::invalid(format!("{META_FILE}: kind"), format!("must be {PROJECT_KIND}")));
    }
    let mut settings = ApiSettings {
        context: meta.context.clone(),
        description: meta.description.clone(),
        tags: meta.tags.clone(),
        visibility: meta.visibility,
        endpoints: meta.endpoints.clone(),
        policies: meta.policies.clone(),
    };
    // Check everything before anything is stored: the settings, the pages, and that the
    // definition is the API `api.yaml` names and has the operations its scopes name.
    check_settings(&mut settings).map_err(in_meta)?;
    crate::tiers::check_offered(&mut *db.pool.acquire().await?, &settings.policies.tiers).await.map_err(in_meta)?;
    let mut pages = Vec::new();
    for (i, doc) in meta.docs.iter().enumerate() {
        let text = files.files.get(&format!("{base}{}", doc.file)).ok_or_else(|| {
            DomainError::invalid(format!("{META_FILE}: docs[{i}].file"), format!("{} is not in the archive", doc.file))
        })?;
        let markdown = String::from_utf8_lossy(text).into_owned();
        pages.push(DocSource { slug: doc.slug.clone(), title: doc.title.clone(), markdown, updated_at: 0 });
    }
    let pages = docs::check_pages(pages).map_err(in_meta)?;
    let definition = read_definition(files, &format!("{base}{}", meta.definition))?;
    if (definition.name.as_str(), definition.version.as_str()) != (meta.name.as_str(), meta.version.as_str()) {
        return Err(DomainError::invalid(
            META_FILE,
            format!(
                "says {} {} but the definition is {} {}",
                meta.name, meta.version, definition.name, definition.version
            ),
        ));
    }
    check_operations(&settings.policies, &definition.imported.model).map_err(in_meta)?;
    // Definition, settings and pages are stored as one: should any step fail, none is.
    let mut tx = db.begin().await?;
    let outcome = store_import(&mut tx, db, actor, definition, Some(meta.context.clone())).await?;
    let current = load_on(&mut tx, &outcome.id).await?;
    save_settings_in(&mut tx, db, actor, &current, settings, current.edit_version).await?;
    // The pages become the archive's: one it no longer has is deleted.
    docs::replace_all(&mut tx, actor, &outcome.id, &pages).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// An error about a field of `api.yaml`, said so.
fn in_meta(error: DomainError) -> DomainError {
    match error {
        DomainError::Invalid { field, message } => DomainError::invalid(format!("{META_FILE}: {field}"), message),
        other => other,
    }
}
