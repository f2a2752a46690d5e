//! Revisions: immutable, numbered snapshots of everything that deploys (documentation pages
//! included), and the diff between any two of them (or a revision and the working copy).

use super::{Snapshot, json, load, load_editable, side as side_of, to_json};
use crate::error::is_unique_violation;
use crate::openapi::diff;
use crate::openapi::emit::to_text;
use crate::store::now_ms;
use crate::{Actor, Db, DomainError, Result, audit};
use gatehouse_contract::{ApiDiff, Permission, RevisionSummary, SourceFormat};

pub async fn list(db: &Db, api_id: &str) -> Result<Vec<RevisionSummary>> {
    let rows: Vec<(i64, i64, String, String, Option<i64>)> = sqlx::query_as(
        "SELECT number, created_at, created_by, note, edit_version FROM api_revisions WHERE api_id = $1 ORDER BY number DESC",
    )
    .bind(api_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(number, created_at, created_by, note, edit_version)| RevisionSummary {
            number,
            created_at,
            created_by,
            note,
            edit_version,
        })
        .collect())
}

/// Freeze the working copy as the next revision number.
pub async fn create(db: &Db, actor: &Actor, api_id: &str, note: &str) -> Result<i64> {
    actor.require(Permission::DesignApis)?;
    let row = load_editable(db, actor, api_id).await?;
    if note.chars().count() > 500 {
        return Err(DomainError::invalid("note", "at most 500 characters"));
    }
    let snapshot = to_json(&super::working(db, &row).await?);
    // Two people cutting a revision at once: the loser of the race takes the next number.
    for _ in 0..3 {
        let (next,): (i64,) =
            sqlx::query_as("SELECT COALESCE(MAX(number), 0) + 1 FROM api_revisions WHERE api_id = $1")
                .bind(api_id)
                .fetch_one(&db.pool)
                .await?;
        let inserted = sqlx::query(
            "INSERT INTO api_revisions (api_id, number, snapshot, note, created_by, created_at, edit_version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(api_id)
        .bind(next)
        .bind(&snapshot)
        .bind(note.trim())
        .bind(&actor.email)
        .bind(now_ms())
        .bind(row.edit_version)
        .execute(&db.pool)
        .await;
        match inserted {
            Ok(_) => {
                audit::record(
                    db,
                    &actor.email,
                    "api.revision_created",
                    &format!("{} {}", row.name, row.version),
                    &format!("revision {next}"),
                )
                .await?;
                return Ok(next);
            }
            Err(e) if is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(DomainError::Conflict("another revision was being created at the same moment; try again".into()))
}

/// The snapshot of one revision.
pub async fn snapshot(db: &Db, api_id: &str, number: i64) -> Result<Snapshot> {
    snapshot_on(&mut *db.pool.acquire().await?, api_id, number).await
}

pub(crate) async fn snapshot_on(conn: &mut sqlx::AnyConnection, api_id: &str, number: i64) -> Result<Snapshot> {
    let row: Option<(String,)> = sqlx::query_as("SELECT snapshot FROM api_revisions WHERE api_id = $1 AND number = $2")
        .bind(api_id)
        .bind(number)
        .fetch_optional(conn)
        .await?;
    let (text,) = row.ok_or_else(|| DomainError::NotFound(format!("revision {number}")))?;
    json("revision", &text)
}

/// A revision's definition as text, self-contained (the bundled document): what a reviewer
/// reads of the revision under review.
pub async fn definition(db: &Db, actor: &Actor, api_id: &str, number: i64, format: SourceFormat) -> Result<String> {
    actor.require(Permission::DesignApis)?;
    load(db, api_id).await?;
    Ok(to_text(&snapshot(db, api_id, number).await?.document, format))
}

/// One side of a diff: a revision number, or the working copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Working,
    Revision(i64),
}

impl std::str::FromStr for Version {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "working" | "" => Ok(Version::Working),
            n => n.parse::<i64>().map(Version::Revision).map_err(|_| {
                DomainError::invalid("revision", format!("`{n}` is neither a revision number nor `working`"))
            }),
        }
    }
}

async fn side(db: &Db, api_id: &str, version: Version) -> Result<Snapshot> {
    match version {
        Version::Working => super::working(db, &load(db, api_id).await?).await,
        Version::Revision(n) => snapshot(db, api_id, n).await,
    }
}

/// What changed from `from` to `to`.
pub async fn compare(db: &Db, actor: &Actor, api_id: &str, from: Version, to: Version) -> Result<ApiDiff> {
    actor.require(Permission::DesignApis)?;
    let (a, b) = (side(db, api_id, from).await?, side(db, api_id, to).await?);
    Ok(diff::diff(&side_of(&a), &side_of(&b)))
}
