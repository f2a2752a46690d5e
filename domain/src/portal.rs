//! The developer portal's read side: the catalog of APIs consumers may see, and one API's page
//! (overview, docs, reference, versions, where to call it). Published, prototyped and
//! deprecated APIs are listed; created, blocked and retired ones are not. An API's visibility
//! decides whether anonymous visitors see it.

use crate::apis::{self, docs, json};
use crate::openapi::emit::to_text;
use crate::{Actor, Db, DomainError, Result, groups, tiers};
use gatehouse_contract::{ApiQuery, ApiSummary, LifecycleState, Page, PortalApi, PortalEndpoint, SourceFormat};

const LISTED: [LifecycleState; 3] = [LifecycleState::Published, LifecycleState::Prototyped, LifecycleState::Deprecated];

/// The visibilities a viewer may see, as stored.
fn visible(viewer: Option<&Actor>, visibility: &str) -> bool {
    visibility == "public" || viewer.is_some()
}

/// The catalog: listed APIs the viewer may see, searched like the publisher list.
pub async fn catalog(db: &Db, viewer: Option<&Actor>, q: &str, tag: Option<String>, limit: i64, offset: i64) -> Result<Page<ApiSummary>> {
    let query = ApiQuery { q: q.to_string(), tag, limit: Some(limit), offset: Some(offset), ..Default::default() };
    apis::search(db, &query, &LISTED, viewer.is_none()).await
}

/// One API as the portal shows it, or NotFound when the viewer may not see it.
pub async fn api(db: &Db, viewer: Option<&Actor>, id: &str) -> Result<PortalApi> {
    let row = apis::load(db, id).await?;
    let state = row.state()?;
    if !LISTED.contains(&state) || !visible(viewer, &row.visibility) {
        // The same answer as for an id that does not exist: no probing for hidden APIs.
        return Err(DomainError::NotFound(format!("API {id}")));
    }
    let snapshot = row.snapshot()?;
    let pages = docs::list(db, id).await?;
    let tiers = tiers::list(db).await?.into_iter().filter(|t| snapshot.policies.tiers.contains(&t.name)).collect();
    let versions: Vec<(String, String, String, String)> =
        sqlx::query_as("SELECT id, version, state, visibility FROM apis WHERE lineage_id = $1 ORDER BY created_at, id")
            .bind(&row.lineage_id)
            .fetch_all(&db.pool)
            .await?;
    let mut endpoints = Vec::new();
    if let Some(group) = &row.group_name {
        let g = groups::get(db, group).await?;
        endpoints.push(PortalEndpoint { environment: "Gateway (this machine)".into(), url: format!("http://127.0.0.1:{}{}", g.port.unwrap_or_default(), snapshot.context) });
        endpoints.push(PortalEndpoint { environment: "Ingress".into(), url: format!("https://{}{}", g.host, snapshot.context) });
    }
    Ok(PortalApi {
        summary: row.summary()?,
        tags: json("tags", &row.tags)?,
        model: snapshot.model,
        docs: pages,
        versions: versions
            .into_iter()
            .filter_map(|(id, version, state, visibility)| {
                let state: LifecycleState = state.parse().ok()?;
                (LISTED.contains(&state) && visible(viewer, &visibility)).then_some(gatehouse_contract::VersionRef { id, version, state })
            })
            .collect(),
        endpoints,
        tiers,
    })
}

/// The definition of a listed API, as YAML or JSON (the bundled document: self-contained).
pub async fn definition(db: &Db, viewer: Option<&Actor>, id: &str, format: SourceFormat) -> Result<String> {
    api(db, viewer, id).await?;
    let snapshot = apis::load(db, id).await?.snapshot()?;
    Ok(to_text(&snapshot.document, format))
}
