//! Finding APIs: the publisher's list and the portal's catalog share one search.

use super::{corrupt, json, spec_version_of};
use crate::store::like_escape;
use crate::{Actor, Db, Result};
use gatehouse_contract::{ApiQuery, ApiSummary, LifecycleState, Page, Permission};

/// The publisher list: filtered, searched, newest first, one page at a time.
pub async fn list(db: &Db, actor: &Actor, query: &ApiQuery) -> Result<Page<ApiSummary>> {
    actor.require(Permission::DesignApis)?;
    search(db, query, Audience::Publishers).await
}

/// Who a search is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Audience {
    /// Every API, its working copy's text searched.
    Publishers,
    /// The portal's catalog: listed APIs only (public ones only for an anonymous visitor),
    /// searched by what their gateways serve (`apis.catalog_text`).
    Portal { anonymous: bool },
}

/// Search APIs for `audience`. Shared by the publisher list and the portal.
pub(crate) async fn search(db: &Db, query: &ApiQuery, audience: Audience) -> Result<Page<ApiSummary>> {
    let (states, public_only, text) = match audience {
        Audience::Publishers => (&[][..], false, "a.search_text"),
        Audience::Portal { anonymous } => {
            (&LifecycleState::LISTED[..], anonymous, "COALESCE(a.catalog_text, a.search_text)")
        }
    };
    let mut conditions: Vec<String> = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    if !states.is_empty() {
        // Written as the states left out: an `IN` list of the states kept reads to SQLite's
        // planner (which has no statistics) as a reason to take the state index and sort every
        // listed API for one page; `NOT IN` leaves it the recent index, which gives the page in
        // order. The two say the same, as every state is either kept or left out.
        let mut placeholders = Vec::new();
        for state in LifecycleState::ALL.into_iter().filter(|s| !states.contains(s)) {
            binds.push(state.as_str().to_string());
            placeholders.push(format!("${}", binds.len()));
        }
        if !placeholders.is_empty() {
            conditions.push(format!("a.state NOT IN ({})", placeholders.join(", ")));
        }
    }
    if public_only {
        conditions.push("a.visibility = 'public'".to_string());
    }
    // A search ranks the APIs whose name holds the most of its words first (one asking for
    // "payments" wants the Payments API before every API that mentions payments), newest
    // first among equals.
    let mut name_hits = Vec::new();
    for term in query.q.to_lowercase().split_whitespace().take(8) {
        binds.push(format!("%{}%", like_escape(term)));
        conditions.push(format!("{text} LIKE ${} ESCAPE '\\'", binds.len()));
        name_hits.push(format!("CASE WHEN LOWER(a.name) LIKE ${} ESCAPE '\\' THEN 1 ELSE 0 END", binds.len()));
    }
    if let Some(state) = query.state {
        binds.push(state.as_str().to_string());
        conditions.push(format!("a.state = ${}", binds.len()));
    }
    if let Some(tag) = query.tag.as_ref().filter(|t| !t.is_empty()) {
        binds.push(tag.clone());
        conditions
            .push(format!("EXISTS (SELECT 1 FROM api_tags t WHERE t.api_id = a.id AND t.tag = ${})", binds.len()));
    }
    if let Some(group) = query.group.as_ref().filter(|g| !g.is_empty()) {
        binds.push(group.clone());
        conditions.push(format!("a.group_name = ${}", binds.len()));
    }
    let by_owner = query.owner.as_ref().filter(|o| !o.is_empty());
    if let Some(owner) = by_owner {
        binds.push(owner.trim().to_lowercase());
        conditions.push(format!("u.email = ${}", binds.len()));
    }
    let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
    let limit = query.limit.unwrap_or(25).clamp(1, 200);
    let offset = query.offset.unwrap_or(0).max(0);
    let columns = "a.id, a.name, a.version, a.context, a.description, a.tags, a.state, u.email AS owner, \
        a.spec_version, a.operations, a.updated_at, a.group_name";
    let matching = if by_owner.is_some() { "apis a JOIN users u ON u.id = a.owner_id" } else { "apis a" };
    let order = "ORDER BY a.updated_at DESC, a.id DESC";
    let sql = if !name_hits.is_empty() {
        // A search tests every row's text whatever the page, so it counts in that same scan;
        // the count and the rank ride on ids alone and the page's columns are read for its
        // rows only (a count over whole rows materialised every match: 25 ms for a word most
        // APIs have).
        let rank = name_hits.join(" + ");
        format!(
            "SELECT {columns}, p.total FROM (SELECT a.id, {rank} AS name_rank, COUNT(*) OVER () AS total \
             FROM {matching} {filter} ORDER BY name_rank DESC, a.updated_at DESC, a.id DESC LIMIT {limit} OFFSET {offset}) p \
             JOIN apis a ON a.id = p.id JOIN users u ON u.id = a.owner_id ORDER BY p.name_rank DESC, a.updated_at DESC, a.id DESC"
        )
    } else {
        // Browsing reads the page off `apis_recent` in order, so the first page of 10,000 APIs
        // reads 25 rows; the total, where needed, comes from a count of its own (below).
        format!(
            "SELECT {columns} FROM apis a JOIN users u ON u.id = a.owner_id {filter} {order} LIMIT {limit} OFFSET {offset}"
        )
    };
    let mut rows = sqlx::query_as::<_, SummaryRow>(&sql);
    for b in &binds {
        rows = rows.bind(b);
    }
    let rows = rows.fetch_all(&db.pool).await?;
    let shown = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    let total = match rows.first().and_then(|r| r.total) {
        Some(total) => total,
        // A page that is not full is the last one and says the total itself.
        None if shown < limit && (shown > 0 || offset == 0) => offset + shown,
        // A full page while browsing, or a page past the end: count. Two statements, so the
        // total may be one write behind the page.
        None => {
            let count_sql = format!("SELECT COUNT(*) FROM {matching} {filter}");
            let mut count = sqlx::query_as::<_, (i64,)>(&count_sql);
            for b in &binds {
                count = count.bind(b);
            }
            count.fetch_one(&db.pool).await?.0
        }
    };
    Ok(Page { items: rows.into_iter().map(SummaryRow::into_summary).collect::<Result<_>>()?, total })
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: String,
    name: String,
    version: String,
    context: String,
    description: String,
    tags: String,
    state: String,
    owner: String,
    spec_version: String,
    operations: i64,
    updated_at: i64,
    group_name: Option<String>,
    /// Every match's count, when the query counted in the same scan (a search).
    #[sqlx(default)]
    total: Option<i64>,
}

impl SummaryRow {
    fn into_summary(self) -> Result<ApiSummary> {
        Ok(ApiSummary {
            tags: json("tags", &self.tags)?,
            state: self.state.parse().map_err(|e: String| corrupt("state", e))?,
            spec_version: spec_version_of(&self.spec_version)?,
            id: self.id,
            name: self.name,
            version: self.version,
            context: self.context,
            description: self.description,
            owner: self.owner,
            operations: self.operations,
            updated_at: self.updated_at,
            group: self.group_name,
        })
    }
}
