//! Documentation pages of an API, written in Markdown and rendered sanitized.

use super::load_editable;
use crate::store::now_ms;
use crate::{Actor, Db, DomainError, Result, audit, markdown};
use gatehouse_contract::{DocPage, Permission};

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

pub async fn list(db: &Db, api_id: &str) -> Result<Vec<DocPage>> {
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT slug, title, markdown, updated_at FROM api_docs WHERE api_id = $1 ORDER BY position, slug",
    )
    .bind(api_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(slug, title, md, updated_at)| DocPage {
            html: markdown::render(&md),
            slug,
            title,
            markdown: md,
            updated_at,
        })
        .collect())
}

/// Create or replace a page. Without a slug, one is made from the title.
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
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 120 {
        return Err(DomainError::invalid("title", "must be 1 to 120 characters"));
    }
    if markdown_text.len() > MAX_MARKDOWN {
        return Err(DomainError::invalid("markdown", format!("at most {} KB", MAX_MARKDOWN / 1000)));
    }
    let slug = slug.map(str::trim).filter(|s| !s.is_empty()).map(slugify).unwrap_or_else(|| slugify(title));
    let now = now_ms();
    let (position,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(position), 0) + 1 FROM api_docs WHERE api_id = $1")
        .bind(api_id)
        .fetch_one(&db.pool)
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
    .execute(&db.pool)
    .await?;
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
    let done = sqlx::query("DELETE FROM api_docs WHERE api_id = $1 AND slug = $2")
        .bind(api_id)
        .bind(slug)
        .execute(&db.pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(DomainError::NotFound(format!("page {slug}")));
    }
    audit::record(db, &actor.email, "api.doc_deleted", &format!("{} {}", row.name, row.version), slug).await
}

/// Copy every page to another API (a new version starts with its predecessor's docs).
pub async fn copy_all(db: &Db, from: &str, to: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_docs (api_id, slug, title, markdown, position, updated_at) \
         SELECT $1, slug, title, markdown, position, updated_at FROM api_docs WHERE api_id = $2",
    )
    .bind(to)
    .bind(from)
    .execute(&db.pool)
    .await?;
    Ok(())
}
