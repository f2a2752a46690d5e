//! APIs: the working copy a creator edits — imported, written from scratch, or saved as a
//! definition — and the rows they are stored as. Settings, search, ownership, revisions, the
//! lifecycle, documentation pages and project archives live in the submodules.

pub mod docs;
pub mod edit;
pub mod kept_answers;
pub mod lifecycle;
mod ownership;
pub mod project;
pub mod revisions;
pub(crate) mod scopes;
mod search;
mod settings;

pub(crate) use ownership::owned_counts;
pub use ownership::{hand_over_all, transfer_ownership};
pub use search::list;
pub(crate) use search::{Audience, search};
pub(crate) use settings::check_settings;
pub use settings::save_settings;

use crate::error::is_unique_violation;
use crate::openapi::design;
use crate::openapi::diff::{self, Side};
use crate::openapi::emit::{detect_format, to_text};
use crate::openapi::files::{Files, MemoryFiles};
use crate::openapi::{self, Imported};
use crate::store::{new_id, now_ms};
use crate::{Actor, Db, DomainError, Result, audit};
use gatehouse_contract::{
    ApiDetail, ApiModel, ApiSource, ApiSummary, Endpoints, ImportOutcome, LifecycleState, Permission, Policies,
    SourceFormat, SpecVersion, VersionRef, Visibility,
};
pub use gatehouse_contract::{ApiQuery, ApiSettings, Snapshot};

/// The parts of a snapshot the diff compares.
pub fn side(snapshot: &Snapshot) -> Side<'_> {
    Side {
        document: &snapshot.document,
        model: &snapshot.model,
        endpoints: &snapshot.endpoints,
        policies: &snapshot.policies,
        context: &snapshot.context,
        docs: snapshot.docs.as_deref(),
    }
}
use serde::Serialize;
use serde_json::Value;
use sqlx::{Any, AnyConnection, Transaction};

#[derive(sqlx::FromRow, Clone, Debug)]
pub(crate) struct ApiRow {
    pub id: String,
    pub lineage_id: String,
    pub name: String,
    pub version: String,
    pub context: String,
    pub description: String,
    pub tags: String,
    pub owner_id: String,
    pub owner: String,
    pub state: String,
    pub visibility: String,
    pub spec_version: String,
    pub source: String,
    pub source_format: String,
    pub document: String,
    pub model: String,
    pub warnings: String,
    pub endpoints: String,
    pub policies: String,
    pub operations: i64,
    pub edit_version: i64,
    pub updated_at: i64,
    pub group_name: Option<String>,
}

const ROW_COLUMNS: &str = "a.id, a.lineage_id, a.name, a.version, a.context, a.description, a.tags, a.owner_id, u.email AS owner, \
    a.state, a.visibility, a.spec_version, d.source, a.source_format, d.document, d.model, d.warnings, a.endpoints, a.policies, \
    a.operations, a.edit_version, a.updated_at, a.group_name";

const ROW_FROM: &str = "apis a JOIN users u ON u.id = a.owner_id JOIN api_definitions d ON d.api_id = a.id";

fn corrupt(what: &str, e: impl std::fmt::Display) -> DomainError {
    DomainError::Internal(format!("stored {what} cannot be read: {e}"))
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn spec_version_of(text: &str) -> Result<SpecVersion> {
    json("spec version", &format!("\"{text}\""))
}

fn visibility_str(v: Visibility) -> &'static str {
    match v {
        Visibility::Public => "public",
        Visibility::SignedIn => "signed_in",
    }
}

fn format_str(f: SourceFormat) -> &'static str {
    match f {
        SourceFormat::Yaml => "yaml",
        SourceFormat::Json => "json",
    }
}

impl ApiRow {
    pub fn state(&self) -> Result<LifecycleState> {
        self.state.parse().map_err(|e: String| corrupt("state", e))
    }

    pub(crate) fn summary(&self) -> Result<ApiSummary> {
        Ok(ApiSummary {
            id: self.id.clone(),
            name: self.name.clone(),
            version: self.version.clone(),
            context: self.context.clone(),
            description: self.description.clone(),
            tags: json("tags", &self.tags)?,
            state: self.state()?,
            owner: self.owner.clone(),
            spec_version: spec_version_of(&self.spec_version)?,
            operations: self.operations,
            updated_at: self.updated_at,
            group: self.group_name.clone(),
        })
    }

    pub fn snapshot(&self) -> Result<Snapshot> {
        Ok(Snapshot {
            name: self.name.clone(),
            version: self.version.clone(),
            context: self.context.clone(),
            spec_version: spec_version_of(&self.spec_version)?,
            source: self.source.clone(),
            source_format: if self.source_format == "json" { SourceFormat::Json } else { SourceFormat::Yaml },
            document: json("document", &self.document)?,
            model: json("model", &self.model)?,
            endpoints: json("endpoints", &self.endpoints)?,
            policies: json("policies", &self.policies)?,
            docs: None,
        })
    }
}

/// The whole working copy, documentation pages included: what a revision freezes.
pub(crate) async fn working(db: &Db, row: &ApiRow) -> Result<Snapshot> {
    working_on(&mut *db.pool.acquire().await?, row).await
}

async fn working_on(conn: &mut AnyConnection, row: &ApiRow) -> Result<Snapshot> {
    let docs = docs::sources(conn, &row.id).await?;
    Ok(Snapshot { docs: Some(docs), ..row.snapshot()? })
}

/// What consumers are shown of an API: the revision live in its group, which is what its
/// gateways answer, so edits and policies waiting for review stay out of the portal until an
/// approval deploys them. An API that no gateway serves yet (published before its first
/// deployment, or the management API) is shown as its working copy.
pub(crate) async fn served(db: &Db, row: &ApiRow) -> Result<Snapshot> {
    let live = match &row.group_name {
        Some(group) => crate::groups::live_snapshot(db, group, &row.id).await?,
        None => None,
    };
    match live {
        Some((_, snapshot)) => Ok(snapshot),
        // Without its pages: the portal page reads them with `docs::of`, which finds the
        // working copy's; the other callers have no use for them.
        None => row.snapshot(),
    }
}

/// May `actor` change this API? Its owner may, and so may reviewers (publishers, admins).
pub fn can_edit(actor: &Actor, owner_id: &str) -> bool {
    actor.role.can(Permission::ReviewApis) || (actor.role.can(Permission::DesignApis) && actor.user_id == owner_id)
}

pub(crate) async fn load(db: &Db, id: &str) -> Result<ApiRow> {
    load_on(&mut *db.pool.acquire().await?, id).await
}

/// Load an API as `conn` sees it: within a transaction, with what it has written so far.
pub(crate) async fn load_on(conn: &mut AnyConnection, id: &str) -> Result<ApiRow> {
    sqlx::query_as::<_, ApiRow>(&format!("SELECT {ROW_COLUMNS} FROM {ROW_FROM} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| DomainError::NotFound(format!("API {id}")))
}

/// Load an API the actor may change, or say why not.
pub(crate) async fn load_editable(db: &Db, actor: &Actor, id: &str) -> Result<ApiRow> {
    editable(actor, load(db, id).await?)
}

/// Load an API the actor may change as `conn` sees it, or say why not.
pub(crate) async fn load_editable_on(conn: &mut AnyConnection, actor: &Actor, id: &str) -> Result<ApiRow> {
    editable(actor, load_on(conn, id).await?)
}

fn editable(actor: &Actor, row: ApiRow) -> Result<ApiRow> {
    if !can_edit(actor, &row.owner_id) {
        return Err(DomainError::Forbidden(format!(
            "only the owner ({}) or a publisher may change {} {}",
            row.owner, row.name, row.version
        )));
    }
    if row.state()? == LifecycleState::Retired {
        return Err(DomainError::Conflict(format!("{} {} is retired and can no longer change", row.name, row.version)));
    }
    Ok(row)
}

/// Check a context path: `/` then segments of letters, digits and `-._~`; no `..`.
pub fn check_context(context: &str) -> Result<String> {
    let context = context.trim().trim_end_matches('/').to_string();
    let valid = context.starts_with('/')
        && context.len() <= 200
        && context[1..].split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
        });
    if valid {
        Ok(context)
    } else {
        Err(DomainError::invalid(
            "context",
            "must look like /name/v1: a `/` then segments of letters, digits, `-`, `.`, `_`, `~`",
        ))
    }
}

/// What the portal's catalog search reads for an API while `live` is the revision its gateways
/// serve: the name and tags (settings, which apply when saved) with the live description and
/// operations.
pub(crate) fn catalog_text(name: &str, tags: &[String], live: &Snapshot) -> String {
    search_text(name, &live.model.description, tags, &live.model)
}

/// Lower-cased text searched by the publisher list and the portal: name, description, tags,
/// then each distinct operation path and summary word once, so the column stays short and a
/// search scans little.
fn search_text(name: &str, description: &str, tags: &[String], model: &ApiModel) -> String {
    let mut text = format!("{name} {description} {}", tags.join(" ")).to_lowercase();
    let mut seen: std::collections::HashSet<String> = text.split_whitespace().map(str::to_string).collect();
    for op in &model.operations {
        let words = std::iter::once(op.path.to_lowercase())
            .chain(op.summary.to_lowercase().split_whitespace().map(str::to_string).collect::<Vec<_>>());
        for word in words {
            if seen.insert(word.clone()) {
                text.push(' ');
                text.push_str(&word);
            }
        }
        // Bound the column: very large APIs stay searchable by their first thousands of words.
        if text.len() > 8_000 {
            break;
        }
    }
    text
}

fn tags_of(model: &ApiModel) -> Vec<String> {
    let mut tags: Vec<String> = model.tags.iter().map(|t| t.name.clone()).collect();
    for op in &model.operations {
        for t in &op.tags {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
    }
    tags.truncate(20);
    tags
}

fn default_endpoints(model: &ApiModel) -> Endpoints {
    let urls: Vec<String> = model
        .servers
        .iter()
        .filter(|s| s.starts_with("http://") || s.starts_with("https://"))
        .take(1)
        .cloned()
        .collect();
    Endpoints { production: urls.clone(), sandbox: urls, ..Endpoints::default() }
}

async fn replace_tags(tx: &mut Transaction<'_, Any>, api_id: &str, tags: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM api_tags WHERE api_id = $1").bind(api_id).execute(&mut **tx).await?;
    let mut seen = std::collections::HashSet::new();
    for tag in tags.iter().filter(|t| seen.insert(t.to_lowercase())) {
        sqlx::query("INSERT INTO api_tags (api_id, tag) VALUES ($1, $2)")
            .bind(api_id)
            .bind(tag)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Record the working copy as saved at `edit_version` (with its pages as they are in `tx`),
/// for conflict reports.
async fn record_edit(
    tx: &mut Transaction<'_, Any>,
    api_id: &str,
    edit_version: i64,
    snapshot: &Snapshot,
    actor: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_edits (api_id, edit_version, snapshot, edited_by, edited_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(api_id)
    .bind(edit_version)
    .bind(to_json(&Snapshot { docs: Some(docs::sources(tx, api_id).await?), ..snapshot.clone() }))
    .bind(actor)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn refused(refusal: openapi::Refused) -> DomainError {
    DomainError::Unprocessable {
        message: format!("the definition cannot be served as written: {}", refusal.summary()),
        details: refusal.errors,
    }
}

/// Where a new definition comes from.
pub struct ImportRequest<'a> {
    pub files: &'a dyn Files,
    pub entry: &'a str,
    /// Overrides the derived context (`/<name>/<version>`).
    pub context: Option<String>,
}

/// The API with this name and version, if there is one (the pair names an API).
pub(crate) async fn id_by_name(conn: &mut AnyConnection, name: &str, version: &str) -> Result<Option<String>> {
    let found: Option<(String,)> = sqlx::query_as("SELECT id FROM apis WHERE name = $1 AND version = $2")
        .bind(name)
        .bind(version)
        .fetch_optional(conn)
        .await?;
    Ok(found.map(|(id,)| id))
}

/// A definition read and checked, not yet stored: what an import stores, and what a project
/// archive checks against its `api.yaml` before anything is written.
pub(crate) struct ReadDefinition {
    pub imported: Imported,
    pub source: String,
    pub source_format: SourceFormat,
    /// `info.title` and `info.version`, trimmed: together they name the API.
    pub name: String,
    pub version: String,
}

/// Read a definition from its files; nothing is stored.
pub(crate) fn read_definition(files: &dyn Files, entry: &str) -> Result<ReadDefinition> {
    let imported = openapi::import(files, entry).map_err(refused)?;
    let (source, source_format) = match files.read(entry) {
        // A single file is kept exactly as written; a multi-file upload is kept bundled.
        Some(bytes) if imported.files_read == 1 => {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let format = detect_format(&text);
            (text, format)
        }
        _ => (to_text(&imported.document, SourceFormat::Yaml), SourceFormat::Yaml),
    };
    let name = imported.model.title.trim().to_string();
    let version = imported.model.version.trim().to_string();
    if name.is_empty() {
        return Err(DomainError::invalid("info.title", "the definition needs a title: it names the API"));
    }
    if version.is_empty() {
        return Err(DomainError::invalid("info.version", "the definition needs a version: it names the API version"));
    }
    Ok(ReadDefinition { imported, source, source_format, name, version })
}

/// Import a definition: a new API, or — when one with the same name and version exists — a
/// new working copy of it (never a duplicate). Nothing is stored when the document is refused.
pub async fn import(db: &Db, actor: &Actor, request: ImportRequest<'_>) -> Result<ImportOutcome> {
    actor.require(Permission::DesignApis)?;
    let read = read_definition(request.files, request.entry)?;
    let mut tx = db.begin().await?;
    let outcome = store_import(&mut tx, db, actor, read, request.context).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Store a definition read by [`read_definition`] in `tx`, as [`import`] says.
pub(crate) async fn store_import(
    tx: &mut Transaction<'_, Any>,
    db: &Db,
    actor: &Actor,
    read: ReadDefinition,
    context: Option<String>,
) -> Result<ImportOutcome> {
    let ReadDefinition { imported, source, source_format, name, version } = read;
    match id_by_name(tx, &name, &version).await? {
        Some(id) => {
            let row = load_editable_on(tx, actor, &id).await?;
            let context = match context {
                Some(c) => check_context(&c)?,
                None => row.context.clone(),
            };
            let (context, warnings) = save_definition_in(
                tx,
                db,
                actor,
                &row,
                source,
                source_format,
                imported,
                Some(context),
                row.edit_version,
            )
            .await?;
            Ok(ImportOutcome { id, name, version, context, updated: true, warnings })
        }
        None => {
            let context =
                check_context(&context.unwrap_or_else(|| gatehouse_contract::default_context(&name, &version)))?;
            let id = new_id();
            // The definition's OAuth2 scopes carry over, so the gateway enforces what it says.
            let (scopes, operation_scopes) = scopes::from_definition(&imported.model);
            let policies = Policies { scopes, operation_scopes, ..crate::tiers::default_policies(tx).await? };
            create(
                tx,
                db,
                actor,
                &id,
                &id,
                &name,
                &version,
                &context,
                source,
                source_format,
                &imported,
                default_endpoints(&imported.model),
                policies,
            )
            .await?;
            Ok(ImportOutcome { id, name, version, context, updated: false, warnings: imported.warnings })
        }
    }
}

/// Create an API in `tx`; `db` only names what clashed when the name or context is taken.
#[allow(clippy::too_many_arguments)]
async fn create(
    tx: &mut Transaction<'_, Any>,
    db: &Db,
    actor: &Actor,
    id: &str,
    lineage_id: &str,
    name: &str,
    version: &str,
    context: &str,
    source: String,
    source_format: SourceFormat,
    imported: &Imported,
    endpoints: Endpoints,
    policies: Policies,
) -> Result<()> {
    let model = &imported.model;
    let tags = tags_of(model);
    let now = now_ms();
    let inserted = sqlx::query(
        "INSERT INTO apis (id, lineage_id, name, version, context, description, tags, owner_id, state, visibility, spec_version, \
         source_format, endpoints, policies, operations, search_text, edit_version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 1, $17, $17)",
    )
    .bind(id)
    .bind(lineage_id)
    .bind(name)
    .bind(version)
    .bind(context)
    .bind(&model.description)
    .bind(to_json(&tags))
    .bind(&actor.user_id)
    .bind(LifecycleState::Created.as_str())
    .bind(visibility_str(Visibility::Public))
    .bind(spec_label(imported.spec_version))
    .bind(format_str(source_format))
    .bind(to_json(&endpoints))
    .bind(to_json(&policies))
    .bind(model.operations.len() as i64)
    .bind(search_text(name, &model.description, &tags, model))
    .bind(now)
    .execute(&mut **tx)
    .await;
    if let Err(e) = inserted {
        return Err(if is_unique_violation(&e) {
            context_or_name_taken(db, name, version, context).await
        } else {
            e.into()
        });
    }
    sqlx::query("INSERT INTO api_definitions (api_id, source, document, model, warnings) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(&source)
        .bind(to_json(&imported.document))
        .bind(to_json(model))
        .bind(to_json(&imported.warnings))
        .execute(&mut **tx)
        .await?;
    replace_tags(tx, id, &tags).await?;
    let snapshot = Snapshot {
        name: name.into(),
        version: version.into(),
        context: context.into(),
        spec_version: imported.spec_version,
        source,
        source_format,
        document: imported.document.clone(),
        model: model.clone(),
        endpoints,
        policies,
        docs: None,
    };
    record_edit(tx, id, 1, &snapshot, &actor.email).await?;
    audit::record_in(tx, &actor.email, "api.created", &format!("{name} {version}"), &format!("context {context}")).await
}

fn spec_label(v: SpecVersion) -> &'static str {
    match v {
        SpecVersion::Swagger2 => "2.0",
        SpecVersion::OpenApi30 => "3.0",
        SpecVersion::OpenApi31 => "3.1",
    }
}

/// Which of name+version or context clashed, in a sentence.
async fn context_or_name_taken(db: &Db, name: &str, version: &str, context: &str) -> DomainError {
    let taken: Option<(String, String)> =
        sqlx::query_as("SELECT name, version FROM apis WHERE context = $1 AND state <> 'RETIRED'")
            .bind(context)
            .fetch_optional(&db.pool)
            .await
            .ok()
            .flatten();
    match taken {
        Some((n, v)) if (n.as_str(), v.as_str()) != (name, version) => {
            DomainError::Conflict(format!("context {context} is already used by {n} {v}; choose another"))
        }
        _ => DomainError::Conflict(format!("{name} {version} already exists")),
    }
}

/// Tell a conflicting saver what changed since the version they loaded, and who changed it.
async fn conflict_report(conn: &mut AnyConnection, row: &ApiRow, expected: i64) -> DomainError {
    let base: Option<(String,)> =
        sqlx::query_as("SELECT snapshot FROM api_edits WHERE api_id = $1 AND edit_version = $2")
            .bind(&row.id)
            .bind(expected)
            .fetch_optional(&mut *conn)
            .await
            .ok()
            .flatten();
    let by: Option<(String, i64)> =
        sqlx::query_as("SELECT edited_by, edited_at FROM api_edits WHERE api_id = $1 AND edit_version = $2")
            .bind(&row.id)
            .bind(row.edit_version)
            .fetch_optional(&mut *conn)
            .await
            .ok()
            .flatten();
    let who = by.map(|(email, _)| email).unwrap_or_else(|| "someone".into());
    let changes = match (base.and_then(|(s,)| serde_json::from_str::<Snapshot>(&s).ok()), working_on(conn, row).await) {
        (Some(base), Ok(current)) => {
            let d = diff::diff(&side(&base), &side(&current));
            let mut lines: Vec<String> = Vec::new();
            lines.extend(d.operations_added.iter().map(|o| format!("added {o}")));
            lines.extend(d.operations_removed.iter().map(|o| format!("removed {o}")));
            lines.extend(
                d.operations_changed.iter().map(|o| format!("changed {}: {}", o.operation, o.changes.join("; "))),
            );
            lines.extend(d.schemas_changed.iter().map(|s| format!("schema {s} changed")));
            lines.extend(d.endpoints.iter().chain(&d.security).chain(&d.tiers).chain(&d.other).chain(&d.docs).cloned());
            if lines.is_empty() && base.source != current.source {
                lines.push("the definition text changed".into());
            }
            if lines.is_empty() { "details changed".to_string() } else { lines.join("; ") }
        }
        _ => "the API changed".to_string(),
    };
    DomainError::Conflict(format!(
        "{} {} was saved by {who} (edit {}) after you opened edit {expected}: {changes}. Reload to see it, then apply your change again.",
        row.name, row.version, row.edit_version
    ))
}

/// Store a new definition on an existing API (optimistic: `expected` must be current).
/// Returns the context and the warnings.
#[allow(clippy::too_many_arguments)]
async fn save_definition(
    db: &Db,
    actor: &Actor,
    row: &ApiRow,
    source: String,
    source_format: SourceFormat,
    imported: Imported,
    context: Option<String>,
    expected: i64,
) -> Result<(String, Vec<gatehouse_contract::Diagnostic>)> {
    let mut tx = db.begin().await?;
    let saved = save_definition_in(&mut tx, db, actor, row, source, source_format, imported, context, expected).await?;
    tx.commit().await?;
    Ok(saved)
}

/// [`save_definition`] in `tx`; `db` only names what clashed when the context is taken.
#[allow(clippy::too_many_arguments)]
async fn save_definition_in(
    tx: &mut Transaction<'_, Any>,
    db: &Db,
    actor: &Actor,
    row: &ApiRow,
    source: String,
    source_format: SourceFormat,
    imported: Imported,
    context: Option<String>,
    expected: i64,
) -> Result<(String, Vec<gatehouse_contract::Diagnostic>)> {
    let model = &imported.model;
    let tags = tags_of(model);
    let context = context.unwrap_or_else(|| row.context.clone());
    let current = row.snapshot()?;
    let snapshot = Snapshot {
        context: context.clone(),
        spec_version: imported.spec_version,
        source,
        source_format,
        document: imported.document.clone(),
        model: model.clone(),
        ..current
    };
    let updated = sqlx::query(
        "UPDATE apis SET context = $1, description = $2, tags = $3, spec_version = $4, source_format = $5, \
         operations = $6, search_text = $7, edit_version = edit_version + 1, updated_at = $8 \
         WHERE id = $9 AND edit_version = $10",
    )
    .bind(&context)
    .bind(&model.description)
    .bind(to_json(&tags))
    .bind(spec_label(imported.spec_version))
    .bind(format_str(source_format))
    .bind(model.operations.len() as i64)
    .bind(search_text(&row.name, &model.description, &tags, model))
    .bind(now_ms())
    .bind(&row.id)
    .bind(expected)
    .execute(&mut **tx)
    .await;
    let updated = match updated {
        Ok(done) => done,
        Err(e) if is_unique_violation(&e) => {
            return Err(context_or_name_taken(db, &row.name, &row.version, &context).await);
        }
        Err(e) => return Err(e.into()),
    };
    if updated.rows_affected() == 0 {
        // Read in `tx`, which sees what the other saver committed.
        let fresh = load_on(tx, &row.id).await?;
        return Err(conflict_report(tx, &fresh, expected).await);
    }
    store_definition(tx, &row.id, &snapshot.source, &imported).await?;
    replace_tags(tx, &row.id, &tags).await?;
    record_edit(tx, &row.id, expected + 1, &snapshot, &actor.email).await?;
    audit::record_in(
        tx,
        &actor.email,
        "api.saved",
        &format!("{} {}", row.name, row.version),
        &format!("edit {}", expected + 1),
    )
    .await?;
    Ok((context, imported.warnings))
}

/// Write an API's definition: its text and what importing it gave.
pub(crate) async fn store_definition(
    tx: &mut Transaction<'_, Any>,
    api_id: &str,
    source: &str,
    imported: &Imported,
) -> Result<()> {
    sqlx::query("UPDATE api_definitions SET source = $1, document = $2, model = $3, warnings = $4 WHERE api_id = $5")
        .bind(source)
        .bind(to_json(&imported.document))
        .bind(to_json(&imported.model))
        .bind(to_json(&imported.warnings))
        .bind(api_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Save the definition's source text (the source view). Refused text stores nothing.
pub async fn save_source(db: &Db, actor: &Actor, id: &str, source: &str, expected: i64) -> Result<ApiDetail> {
    actor.require(Permission::DesignApis)?;
    let row = load_editable(db, actor, id).await?;
    let format = detect_format(source);
    let name = if format == SourceFormat::Json { "definition.json" } else { "definition.yaml" };
    let files = MemoryFiles::single(name, source.as_bytes().to_vec());
    let imported = openapi::import(&files, name).map_err(refused)?;
    save_definition(db, actor, &row, source.to_string(), format, imported, None, expected).await?;
    get(db, actor, id).await
}

/// Check a source text without storing anything: the editor's validation as you type.
pub fn validate_source(
    source: &str,
) -> std::result::Result<Vec<gatehouse_contract::Diagnostic>, Vec<gatehouse_contract::Diagnostic>> {
    let format = detect_format(source);
    let name = if format == SourceFormat::Json { "definition.json" } else { "definition.yaml" };
    let files = MemoryFiles::single(name, source.as_bytes().to_vec());
    match openapi::import(&files, name) {
        Ok(imported) => Ok(imported.warnings),
        Err(refusal) => Err(refusal.errors),
    }
}

/// Start a blank API from name, version and context: a minimal OpenAPI 3.1 document.
pub async fn create_blank(
    db: &Db,
    actor: &Actor,
    name: &str,
    version: &str,
    context: Option<String>,
    description: &str,
) -> Result<ImportOutcome> {
    actor.require(Permission::DesignApis)?;
    let (name, version) = (name.trim(), version.trim());
    if name.is_empty() || name.len() > 100 {
        return Err(DomainError::invalid("name", "must be 1 to 100 characters"));
    }
    if version.is_empty() || version.len() > 30 || version.chars().any(char::is_whitespace) {
        return Err(DomainError::invalid("version", "must be 1 to 30 characters without spaces"));
    }
    // Unlike an import, which brings a new working copy of an API it names, starting afresh
    // must not empty an existing API's definition.
    if id_by_name(&mut *db.pool.acquire().await?, name, version).await?.is_some() {
        return Err(DomainError::Conflict(format!(
            "{name} {version} already exists: open it from the API list, or start another version"
        )));
    }
    let document = serde_json::json!({
        "openapi": "3.1.0",
        "info": { "title": name, "version": version, "description": description },
        "paths": {}
    });
    let text = to_text(&document, SourceFormat::Yaml);
    let files = MemoryFiles::single("definition.yaml", text.into_bytes());
    import(db, actor, ImportRequest { files: &files, entry: "definition.yaml", context }).await
}

/// One API with everything the editor shows.
pub async fn get(db: &Db, actor: &Actor, id: &str) -> Result<ApiDetail> {
    actor.require(Permission::DesignApis)?;
    let row = load(db, id).await?;
    let versions: Vec<(String, String, String)> =
        sqlx::query_as("SELECT id, version, state FROM apis WHERE lineage_id = $1 ORDER BY created_at, id")
            .bind(&row.lineage_id)
            .fetch_all(&db.pool)
            .await?;
    let revisions = revisions::list(db, id).await?;
    let live_revision = match &row.group_name {
        Some(group) => crate::groups::live_revision(db, group, id).await?,
        None => None,
    };
    let model: ApiModel = json("model", &row.model)?;
    let (endpoints, policies) = (json("endpoints", &row.endpoints)?, json("policies", &row.policies)?);
    Ok(ApiDetail {
        summary: row.summary()?,
        visibility: if row.visibility == "signed_in" { Visibility::SignedIn } else { Visibility::Public },
        description_html: crate::markdown::render(&model.description),
        design: design::review(&model, &endpoints, &policies),
        model,
        warnings: json("warnings", &row.warnings)?,
        // Checked when saved: empty when there are none.
        trusted_authorities: crate::openapi::diff::authorities(&endpoints.backend_tls.trusted_ca).unwrap_or_default(),
        endpoints,
        policies,
        edit_version: row.edit_version,
        versions: versions
            .into_iter()
            .map(|(id, version, state)| {
                Ok(VersionRef { id, version, state: state.parse().map_err(|e: String| corrupt("state", e))? })
            })
            .collect::<Result<_>>()?,
        revisions,
        live_revision,
        editable: can_edit(actor, &row.owner_id),
        available_tiers: crate::tiers::list(db).await?,
    })
}

/// The working copy's definition as written, for the source view and pipelines that edit it.
pub async fn source(db: &Db, actor: &Actor, id: &str) -> Result<ApiSource> {
    actor.require(Permission::DesignApis)?;
    let row = load(db, id).await?;
    Ok(ApiSource {
        source_format: if row.source_format == "json" { SourceFormat::Json } else { SourceFormat::Yaml },
        source: row.source,
        edit_version: row.edit_version,
    })
}

/// "New version": copy definition, endpoints, policies and docs to a new version and context.
pub async fn new_version(
    db: &Db,
    actor: &Actor,
    id: &str,
    version: &str,
    context: Option<String>,
) -> Result<ImportOutcome> {
    actor.require(Permission::DesignApis)?;
    let row = load(db, id).await?;
    let version = version.trim();
    if version.is_empty() || version.len() > 30 || version.chars().any(char::is_whitespace) {
        return Err(DomainError::invalid("version", "must be 1 to 30 characters without spaces"));
    }
    let snapshot = row.snapshot()?;
    let mut document = snapshot.document.clone();
    let mut source_doc =
        crate::openapi::parse::parse(&snapshot.source).map(|p| p.value).unwrap_or_else(|_| document.clone());
    for doc in [&mut document, &mut source_doc] {
        if let Some(info) = doc.get_mut("info").and_then(Value::as_object_mut) {
            info.insert("version".into(), Value::String(version.to_string()));
        }
    }
    let source = to_text(&source_doc, snapshot.source_format);
    let files = MemoryFiles::single("definition", source.clone().into_bytes());
    let imported = openapi::import(&files, "definition").map_err(refused)?;
    let context = check_context(
        &context.unwrap_or_else(|| gatehouse_contract::next_context(&row.context, &row.version, version)),
    )?;
    let new_id = new_id();
    let mut tx = db.begin().await?;
    create(
        &mut tx,
        db,
        actor,
        &new_id,
        &row.lineage_id,
        &row.name,
        version,
        &context,
        source,
        snapshot.source_format,
        &imported,
        snapshot.endpoints,
        snapshot.policies,
    )
    .await?;
    docs::copy_all(&mut tx, id, &new_id).await?;
    audit::record_in(
        &mut tx,
        &actor.email,
        "api.new_version",
        &format!("{} {}", row.name, version),
        &format!("from {}", row.version),
    )
    .await?;
    tx.commit().await?;
    Ok(ImportOutcome {
        id: new_id,
        name: row.name,
        version: version.to_string(),
        context,
        updated: false,
        warnings: imported.warnings,
    })
}
