//! Documentation pages of an API, written in Markdown and rendered sanitized.

use super::{ApiRow, load_editable, load_editable_on};
use crate::store::now_ms;
use crate::{Actor, Db, DomainError, Result, audit, markdown};
use gatehouse_contract::{DocPage, DocSource, Permission, Snapshot};
use sqlx::{Any, AnyConnection, Transaction};

pub const MAX_MARKDOWN: usize = 200_000;

fn slugify(title: &str) -> String {
    let mut slug = String::new();
    for c in title.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_matches('-').to_string();
    if slug.is_empty() { "page".into() } else { slug.chars().take(60).collect() }
}

/// The working copy's pages, in their order.
pub async fn list(db: &Db, api_id: &str) -> Result<Vec<DocPage>> {
    Ok(rendered(sources(&mut *db.pool.acquire().await?, api_id).await?))
}

/// The working copy's pages as a revision freezes them.
pub(crate) async fn sources(conn: &mut AnyConnection, api_id: &str) -> Result<Vec<DocSource>> {
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT slug, title, markdown, updated_at FROM api_docs WHERE api_id = $1 ORDER BY position, slug",
    )
    .bind(api_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(slug, title, markdown, updated_at)| DocSource { slug, title, markdown, updated_at })
        .collect())
}

/// The pages of a snapshot, rendered; for a revision cut before pages were part of
/// revisions, the working copy's.
pub(crate) async fn of(db: &Db, api_id: &str, snapshot: &Snapshot) -> Result<Vec<DocPage>> {
    match &snapshot.docs {
        Some(pages) => Ok(rendered(pages.clone())),
        None => list(db, api_id).await,
    }
}

fn rendered(pages: Vec<DocSource>) -> Vec<DocPage> {
    pages
        .into_iter()
        .map(|p| DocPage {
            html: markdown::render(&p.markdown),
            slug: p.slug,
            title: p.title,
            markdown: p.markdown,
            updated_at: p.updated_at,
        })
        .collect()
}

/// A page's title, trimmed, once it and the page's size are within bounds; `at` prefixes the
/// field named in an error (`docs[2].` for a page of an archive).
fn check_page<'a>(at: &str, title: &'a str, markdown_text: &str) -> Result<&'a str> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 120 {
        return Err(DomainError::invalid(format!("{at}title"), "must be 1 to 120 characters"));
    }
    if markdown_text.len() > MAX_MARKDOWN {
        return Err(DomainError::invalid(format!("{at}markdown"), format!("at most {} KB", MAX_MARKDOWN / 1000)));
    }
    Ok(title)
}

/// Pages as a project archive brings them, checked before anything is stored: titles trimmed,
/// slugs made as [`save`] makes them, and no slug twice (the second would overwrite the first).
pub(crate) fn check_pages(pages: Vec<DocSource>) -> Result<Vec<DocSource>> {
    let mut seen = std::collections::HashSet::new();
    pages
        .into_iter()
        .enumerate()
        .map(|(i, page)| {
            let at = format!("docs[{i}].");
            let title = check_page(&at, &page.title, &page.markdown)?.to_string();
            let slug = slugify(if page.slug.trim().is_empty() { &title } else { &page.slug });
            if !seen.insert(slug.clone()) {
                return Err(DomainError::invalid(format!("{at}slug"), format!("`{slug}` names an earlier page too")));
            }
            Ok(DocSource { slug, title, ..page })
        })
        .collect()
}

/// Make the working copy's pages exactly `pages` (checked by [`check_pages`]), in their order,
/// in `tx`: one edit, or none when they are so already.
pub(crate) async fn replace_all(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    api_id: &str,
    pages: &[DocSource],
) -> Result<()> {
    actor.require(Permission::DesignApis)?;
    let row = load_editable_on(tx, actor, api_id).await?;
    let same = |a: &DocSource, b: &DocSource| (&a.slug, &a.title, &a.markdown) == (&b.slug, &b.title, &b.markdown);
    let current = sources(tx, api_id).await?;
    if current.len() == pages.len() && current.iter().zip(pages).all(|(a, b)| same(a, b)) {
        return Ok(());
    }
    sqlx::query("DELETE FROM api_docs WHERE api_id = $1").bind(api_id).execute(&mut **tx).await?;
    let now = now_ms();
    for (position, page) in pages.iter().enumerate() {
        // A page the archive leaves as it was keeps its date.
        let updated_at = current.iter().find(|c| same(c, page)).map_or(now, |c| c.updated_at);
        sqlx::query(
            "INSERT INTO api_docs (api_id, slug, title, markdown, position, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(api_id)
        .bind(&page.slug)
        .bind(&page.title)
        .bind(&page.markdown)
        .bind(position as i64 + 1)
        .bind(updated_at)
        .execute(&mut **tx)
        .await?;
    }
    record_edit(tx, actor, &row).await?;
    let detail = format!("{} page(s) from a project archive", pages.len());
    audit::record_in(tx, &actor.email, "api.docs_replaced", &format!("{} {}", row.name, row.version), &detail).await
}

/// Create or replace a page. Without a slug, one is made from the title. Pages are part of
/// the working copy: saving one is an edit, and the portal shows it once a revision carrying
/// it is deployed.
pub async fn save(
    db: &Db,
    actor: &Actor,
    api_id: &str,
    slug: Option<&str>,
    title: &str,
    markdown_text: &str,
) -> Result<DocPage> {
    actor.require(Permission::DesignApis)?;
    let row = load_editable(db, actor, api_id).await?;
    let title = check_page("", title, markdown_text)?;
    let slug = slug.map(str::trim).filter(|s| !s.is_empty()).map(slugify).unwrap_or_else(|| slugify(title));
    let now = now_ms();
    let mut tx = db.begin().await?;
    let (position,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(position), 0) + 1 FROM api_docs WHERE api_id = $1")
        .bind(api_id)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO api_docs (api_id, slug, title, markdown, position, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (api_id, slug) DO UPDATE SET title = excluded.title, markdown = excluded.markdown, updated_at = excluded.updated_at",
    )
    .bind(api_id)
    .bind(&slug)
    .bind(title)
    .bind(markdown_text)
    .bind(position)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    record_edit(&mut tx, actor, &row).await?;
    tx.commit().await?;
    audit::record(db, &actor.email, "api.doc_saved", &format!("{} {}", row.name, row.version), &slug).await?;
    Ok(DocPage {
        slug,
        title: title.to_string(),
        html: markdown::render(markdown_text),
        markdown: markdown_text.to_string(),
        updated_at: now,
    })
}

pub async fn delete(db: &Db, actor: &Actor, api_id: &str, slug: &str) -> Result<()> {
    actor.require(Permission::DesignApis)?;
    let row = load_editable(db, actor, api_id).await?;
    let mut tx = db.begin().await?;
    let done = sqlx::query("DELETE FROM api_docs WHERE api_id = $1 AND slug = $2")
        .bind(api_id)
        .bind(slug)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(DomainError::NotFound(format!("page {slug}")));
    }
    record_edit(&mut tx, actor, &row).await?;
    tx.commit().await?;
    audit::record(db, &actor.email, "api.doc_deleted", &format!("{} {}", row.name, row.version), slug).await
}

/// A page saved or deleted is an edit of the working copy: the edit version moves on, so the
/// revision tabs can say the working copy has changed since a revision, and an editor holding
/// an older version hears of it.
async fn record_edit(tx: &mut Transaction<'_, Any>, actor: &Actor, row: &ApiRow) -> Result<()> {
    let (edit_version,): (i64,) = sqlx::query_as(
        "UPDATE apis SET edit_version = edit_version + 1, updated_at = $1 WHERE id = $2 RETURNING edit_version",
    )
    .bind(now_ms())
    .bind(&row.id)
    .fetch_one(&mut **tx)
    .await?;
    super::record_edit(tx, &row.id, edit_version, &row.snapshot()?, &actor.email).await
}

/// Copy every page to another API (a new version starts with its predecessor's docs).
pub(crate) async fn copy_all(conn: &mut AnyConnection, from: &str, to: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_docs (api_id, slug, title, markdown, position, updated_at) \
         SELECT $1, slug, title, markdown, position, updated_at FROM api_docs WHERE api_id = $2",
    )
    .bind(to)
    .bind(from)
    .execute(conn)
    .await?;
    Ok(())
}
