//! `gatehouse api`: design-time work on a running server (apictl's steps): list, import,
//! export, validate, revise, diff, review, convert, bind scopes to tiers and move through the
//! lifecycle.

use super::table::Table;
use crate::http::api::apis::RevisionCreated;
use crate::remote::{Remote, RemoteError};
use clap::Subcommand;
use gatehouse_contract::{ApiDetail, ApiDiff, ApiSettings, Diagnostic, FindingLevel, KeptAnswersPurge};

#[derive(Subcommand, Debug)]
pub enum ApiCommand {
    /// List APIs (name, version, context, state).
    List {
        /// Search words.
        #[arg(long, short = 'q', default_value = "")]
        query: String,
        /// Only APIs in this lifecycle state.
        #[arg(long)]
        state: Option<String>,
    },
    /// Export an API project archive (api.yaml + definition + docs/).
    Export {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
        /// Where to write the zip (default `<name>-<version>.zip`).
        #[arg(long, short = 'o')]
        output: Option<std::path::PathBuf>,
    },
    /// Import a project archive, a definition (YAML/JSON), or a zip of a multi-file definition.
    Import {
        /// The file to import.
        #[arg(long, short = 'f')]
        file: std::path::PathBuf,
        /// Context for a definition (default `/<name>/<version>`); a project archive names its own.
        #[arg(long)]
        context: Option<String>,
        /// Root document inside a zipped definition.
        #[arg(long)]
        entry: Option<String>,
    },
    /// Freeze the working copy as the next numbered revision; prints its number.
    Revision {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
        /// What changed, shown with the revision.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Assign the API to the gateway group that will serve it.
    SetGroup {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
        /// The gateway group's name.
        #[arg(long)]
        group: String,
    },
    /// Check a definition file without importing it (a pipeline's lint step): its errors and
    /// warnings with line and column; fails when it cannot be served as written.
    Validate {
        /// A single-file definition (YAML or JSON).
        #[arg(long, short = 'f')]
        file: std::path::PathBuf,
    },
    /// What changed between two versions of an API: operations, schemas, security, endpoints,
    /// tiers.
    Diff {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
        /// A revision number, or `working` (default: the newest revision).
        #[arg(long)]
        from: Option<String>,
        /// A revision number, or `working` (default).
        #[arg(long)]
        to: Option<String>,
        /// Fail (exit status 1) when the change removes or changes what clients rely on.
        #[arg(long)]
        fail_on_breaking: bool,
    },
    /// Rewrite a Swagger 2.0 working copy as OpenAPI 3.0 (revisions keep their definition).
    Convert {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
    },
    /// The design review of a working copy: one finding a line (level, rule, operation, what).
    Review {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
        /// Fail (exit status 1) when the review warns of anything, as a pipeline's gate.
        #[arg(long)]
        strict: bool,
    },
    /// The OAuth2 scopes of a working copy: the tiers each is granted to and the operations that
    /// require it. With `--bind`, grant that scope to the `--tier`s named only (none named:
    /// every tier); the next revision deployed carries it.
    Scopes {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
        /// The scope to bind.
        #[arg(long, value_name = "SCOPE")]
        bind: Option<String>,
        /// A tier whose subscriptions are granted the scope (repeat for several).
        #[arg(long, requires = "bind")]
        tier: Vec<String>,
    },
    /// Delete an API version that never went live (never deployed, no subscriptions), with its
    /// revisions and documents; one that went live stays (deprecate and retire it).
    Delete {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
        /// Confirm the deletion: it cannot be undone.
        #[arg(long)]
        confirm: bool,
    },
    /// Have the gateways drop the answers they keep for a live API (`policies.cache_seconds`)
    /// now rather than when they expire — after its backend's data changed; no release needed.
    PurgeKeptAnswers {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
        /// Only the answers under this path, as callers call it after the API's context
        /// (`/pets/7`: that pet's, whatever the query, and those below it).
        #[arg(long)]
        path: Option<String>,
    },
    /// Move an API through its lifecycle: publish, prototype, demote, block, deprecate, retire.
    ChangeStatus {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
        /// publish, prototype, demote, block, deprecate or retire.
        #[arg(long, short = 'a')]
        action: String,
        /// Recorded with the change.
        #[arg(long, default_value = "")]
        comment: String,
        /// Confirm a step that cannot be undone (deprecate, retire).
        #[arg(long)]
        confirm: bool,
    },
}

pub async fn run(remote: &Remote, command: ApiCommand) -> Result<(), RemoteError> {
    match command {
        ApiCommand::List { query, state } => {
            let page = remote.list(&query, state.as_deref()).await?;
            let mut table = Table::new(["NAME", "VERSION", "CONTEXT", "STATE", "OPERATIONS"]);
            for api in &page.items {
                table.row([
                    api.name.clone(),
                    api.version.clone(),
                    api.context.clone(),
                    api.state.as_str().into(),
                    api.operations.to_string(),
                ]);
            }
            print!("{table}");
            eprintln!("{} of {} {}", page.items.len(), page.total, if page.total == 1 { "API" } else { "APIs" });
        }
        ApiCommand::Export { name, version, output } => {
            let api = remote.find(&name, &version).await?;
            let bytes = remote.export(&api.id).await?;
            let path = output.unwrap_or_else(|| gatehouse_domain::apis::project::archive_name(&name, &version).into());
            std::fs::write(&path, bytes)
                .map_err(|e| RemoteError::Usage(format!("cannot write {}: {e}", path.display())))?;
            println!("exported {name} {version} to {}", path.display());
        }
        ApiCommand::Import { file, context, entry } => {
            let bytes =
                std::fs::read(&file).map_err(|e| RemoteError::Usage(format!("cannot read {}: {e}", file.display())))?;
            let outcome = remote.import(bytes, context.as_deref(), entry.as_deref()).await?;
            println!(
                "{} {} {} at {} (id {})",
                if outcome.updated { "updated" } else { "created" },
                outcome.name,
                outcome.version,
                outcome.context,
                outcome.id
            );
            for w in &outcome.warnings {
                eprintln!("warning: {}:{} {} ({})", w.line, w.column, w.message, w.pointer);
            }
        }
        ApiCommand::Revision { name, version, note } => {
            let api = remote.find(&name, &version).await?;
            let created: RevisionCreated =
                remote.post(&format!("/apis/{}/revisions", api.id), &serde_json::json!({ "note": note })).await?;
            // Only the number on stdout, so scripts can capture it: `REV=$(gatehouse api revision …)`.
            println!("{}", created.number);
            eprintln!("revision {} of {name} {version} created", created.number);
        }
        ApiCommand::SetGroup { name, version, group } => {
            let api = remote.find(&name, &version).await?;
            remote.put_no_content(&format!("/apis/{}/group", api.id), &serde_json::json!({ "group": group })).await?;
            println!("{name} {version} is served by the gateway group {group}");
        }
        ApiCommand::Validate { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| RemoteError::Usage(format!("cannot read {} as text: {e}", file.display())))?;
            let validation: Validation = remote.post_text("/apis/validate", text, "application/yaml").await?;
            let shown = file.display();
            for (level, diagnostics) in [("error", &validation.errors), ("warning", &validation.warnings)] {
                for d in diagnostics {
                    println!("{level}: {shown}:{}:{} {} ({})", d.line, d.column, d.message, d.pointer);
                }
            }
            if !validation.errors.is_empty() {
                return Err(RemoteError::Usage(format!(
                    "{shown} cannot be served as written: {} error(s)",
                    validation.errors.len()
                )));
            }
            println!("{shown} can be served ({} warning(s))", validation.warnings.len());
        }
        ApiCommand::Diff { name, version, from, to, fail_on_breaking } => {
            let api = remote.find(&name, &version).await?;
            let mut query = Vec::new();
            query.extend(from.as_deref().map(|from| ("from", from)));
            query.extend(to.as_deref().map(|to| ("to", to)));
            let diff: ApiDiff = remote.get_with(&format!("/apis/{}/diff", api.id), &query).await?;
            print_diff(&diff);
            if fail_on_breaking && !diff.is_additive() {
                return Err(RemoteError::Usage("the change removes or changes what clients rely on".into()));
            }
        }
        ApiCommand::Convert { name, version } => {
            let api = remote.find(&name, &version).await?;
            let detail: ApiDetail = remote.get(&format!("/apis/{}", api.id)).await?;
            let body = serde_json::json!({ "edit_version": detail.edit_version });
            let converted: ApiDetail = remote.post(&format!("/apis/{}/definition/convert", api.id), &body).await?;
            println!("{name} {version} is OpenAPI 3.0 now (edit {})", converted.edit_version);
        }
        ApiCommand::Review { name, version, strict } => {
            let api = remote.find(&name, &version).await?;
            let detail: ApiDetail = remote.get(&format!("/apis/{}", api.id)).await?;
            let findings = detail.design;
            for f in &findings {
                let operation = f.operation.as_deref().unwrap_or("(the API)");
                println!("{:<8} {:<20} {:<28} {}", f.level.as_str(), f.rule, operation, f.message);
            }
            let warnings = findings.iter().filter(|f| f.level == FindingLevel::Warning).count();
            println!("{name} {version}: {warnings} warning(s), {} advice", findings.len() - warnings);
            if strict && warnings > 0 {
                return Err(RemoteError::Usage(format!("the design review warns of {warnings} thing(s) (--strict)")));
            }
        }
        ApiCommand::Scopes { name, version, bind, tier } => {
            let api = remote.find(&name, &version).await?;
            let mut detail: ApiDetail = remote.get(&format!("/apis/{}", api.id)).await?;
            if let Some(bind) = bind {
                let Some(scope) = detail.policies.scopes.iter_mut().find(|s| s.name == bind) else {
                    return Err(RemoteError::Usage(format!("{name} {version} defines no scope `{bind}`")));
                };
                scope.tiers = tier;
                // The server checks the tiers; the edit version keeps a change made meanwhile
                // in the browser from being overwritten.
                let settings = ApiSettings {
                    context: detail.summary.context.clone(),
                    description: detail.summary.description.clone(),
                    tags: detail.summary.tags.clone(),
                    visibility: detail.visibility,
                    endpoints: detail.endpoints.clone(),
                    policies: detail.policies.clone(),
                };
                let mut body = serde_json::to_value(&settings)
                    .map_err(|e| RemoteError::Usage(format!("cannot write the settings: {e}")))?;
                body["edit_version"] = detail.edit_version.into();
                detail = remote.put(&format!("/apis/{}/settings", api.id), &body).await?;
            }
            let mut table = Table::new(["SCOPE", "TIERS", "REQUIRED BY", "DESCRIPTION"]);
            for scope in &detail.policies.scopes {
                let required: Vec<&str> = detail
                    .policies
                    .operation_scopes
                    .iter()
                    .filter(|o| o.scopes.contains(&scope.name))
                    .map(|o| o.operation.as_str())
                    .collect();
                table.row([
                    scope.name.clone(),
                    if scope.tiers.is_empty() { "every tier".into() } else { scope.tiers.join(", ") },
                    if required.is_empty() { "-".into() } else { required.join(", ") },
                    scope.description.clone(),
                ]);
            }
            print!("{table}");
        }
        ApiCommand::Delete { name, version, confirm } => {
            if !confirm {
                return Err(RemoteError::Usage(format!("deleting {name} {version} cannot be undone: add --confirm")));
            }
            let api = remote.find(&name, &version).await?;
            remote.delete(&format!("/apis/{}", api.id)).await?;
            println!("deleted {name} {version}");
        }
        ApiCommand::PurgeKeptAnswers { name, version, path } => {
            let api = remote.find(&name, &version).await?;
            let query: Vec<(&str, &str)> = path.as_deref().map(|path| ("path", path)).into_iter().collect();
            // What the server recorded (the path as it tidied it), not what was asked.
            let purge: KeptAnswersPurge = remote.delete_for(&format!("/apis/{}/kept-answers", api.id), &query).await?;
            let under = purge.path.map(|path| format!(" under {path}")).unwrap_or_default();
            println!(
                "purged: the gateways drop the answers they keep for {name} {version}{under} within a second or two"
            );
        }
        ApiCommand::ChangeStatus { name, version, action, comment, confirm } => {
            let api = remote.find(&name, &version).await?;
            let state = remote.change_status(&api.id, &action, &comment, confirm).await?;
            println!("{name} {version} is now {}", state.as_str());
        }
    }
    Ok(())
}

/// What `POST /api/v1/apis/validate` answers.
#[derive(serde::Deserialize)]
struct Validation {
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

/// A semantic diff, one change a line: `+` added, `-` removed, `~` changed.
fn print_diff(diff: &ApiDiff) {
    if diff.is_empty() {
        println!("no change");
        return;
    }
    for operation in &diff.operations_added {
        println!("+ {operation}");
    }
    for operation in &diff.operations_removed {
        println!("- {operation}");
    }
    for change in &diff.operations_changed {
        println!("~ {}: {}", change.operation, change.changes.join("; "));
    }
    for (mark, schemas) in [("+", &diff.schemas_added), ("-", &diff.schemas_removed), ("~", &diff.schemas_changed)] {
        for schema in schemas {
            println!("{mark} schema {schema}");
        }
    }
    for (what, changes) in [
        ("security", &diff.security),
        ("endpoints", &diff.endpoints),
        ("tiers", &diff.tiers),
        ("other", &diff.other),
        ("docs", &diff.docs),
    ] {
        for change in changes {
            println!("{what}: {change}");
        }
    }
    println!(
        "{}",
        if diff.is_additive() {
            "additive: nothing clients rely on changed"
        } else {
            "breaking: removes or changes what clients rely on"
        }
    );
}
