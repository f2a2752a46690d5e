//! Gateway groups and which APIs they serve.

use crate::error::is_unique_violation;
use crate::store::now_ms;
use crate::{Actor, Db, DomainError, Result, apis, audit};
use gatehouse_contract::{GatewayGroup, GroupKind, GroupMode, GroupSummary, LiveApi, Permission};
use sqlx::AnyConnection;

/// Where embedded gateways get ports when a group names none.
pub const FIRST_LOCAL_PORT: u16 = 8081;

/// The admin (health, metrics) port of a local gateway: its traffic port + 10000 (or − 10000).
pub fn admin_port(port: u16) -> u16 {
    if port <= 55_535 { port + 10_000 } else { port - 10_000 }
}

/// Why a local gateway could not listen on `port` (and its admin port) on this machine now,
/// if it could not, with what the publisher can do about it.
pub fn local_ports_unavailable(port: u16) -> Option<String> {
    [port, admin_port(port)].into_iter().find_map(|p| {
        let error = std::net::TcpListener::bind(("127.0.0.1", p)).err()?;
        // The admin port follows the traffic port, so the remedy is the same for both.
        let which = if p == port { format!("port {p}") } else { format!("port {p} (its admin port)") };
        Some(match error.kind() {
            std::io::ErrorKind::AddrInUse => format!(
                "{which} is in use by another program; pick a free port in the group's settings, or stop that program"
            ),
            _ => format!("cannot listen on {which} ({error}); pick another port in the group's settings"),
        })
    })
}

/// A valid git branch name and Kubernetes DNS label: 1–40 of `a-z0-9-`, not starting or
/// ending with `-` (room is left for suffixes on Kubernetes names).
pub fn check_name(name: &str) -> Result<String> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.len() <= 40
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(name.to_string())
    } else {
        Err(DomainError::invalid(
            "name",
            "use 1–40 lower-case letters, digits and `-` (it becomes a git branch and Kubernetes name)",
        ))
    }
}

fn check_host(host: &str) -> Result<String> {
    let host = host.trim().to_ascii_lowercase();
    let ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    if ok { Ok(host) } else { Err(DomainError::invalid("host", "must be a DNS host name such as food.example.com")) }
}

#[derive(sqlx::FromRow)]
struct GroupRow {
    name: String,
    kind: String,
    regions: String,
    mode: String,
    host: String,
    port: i64,
    replicas_min: i64,
    replicas_max: i64,
    cpu_target: i64,
    image: String,
}

impl GroupRow {
    fn group(self) -> Result<GatewayGroup> {
        Ok(GatewayGroup {
            kind: if self.kind == "regional" { GroupKind::Regional } else { GroupKind::Functional },
            regions: apis::json("regions", &self.regions)?,
            mode: match self.mode.as_str() {
                "private-jet" => GroupMode::PrivateJet,
                "sidecar" => GroupMode::Sidecar,
                _ => GroupMode::Shared,
            },
            port: Some(self.port as u16),
            replicas_min: self.replicas_min as u32,
            replicas_max: self.replicas_max as u32,
            cpu_target: self.cpu_target as u32,
            name: self.name,
            host: self.host,
            image: self.image,
        })
    }
}

const COLUMNS: &str = "name, kind, regions, mode, host, port, replicas_min, replicas_max, cpu_target, image";

pub async fn get(db: &Db, name: &str) -> Result<GatewayGroup> {
    sqlx::query_as::<_, GroupRow>(&format!("SELECT {COLUMNS} FROM gateway_groups WHERE name = $1"))
        .bind(name)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| DomainError::NotFound(format!("gateway group {name}")))?
        .group()
}

fn validate(group: &mut GatewayGroup) -> Result<()> {
    group.name = check_name(&group.name)?;
    group.host = check_host(&group.host)?;
    group.regions = group.regions.iter().map(|r| r.trim().to_string()).filter(|r| !r.is_empty()).collect();
    if group.replicas_min < 1 || group.replicas_max < group.replicas_min || group.replicas_max > 100 {
        return Err(DomainError::invalid("replicas_max", "replicas must satisfy 1 ≤ min ≤ max ≤ 100"));
    }
    if !(10..=100).contains(&group.cpu_target) {
        return Err(DomainError::invalid("cpu_target", "must be between 10 and 100 (%)"));
    }
    if group.image.trim().is_empty() || group.image.chars().any(char::is_whitespace) {
        return Err(DomainError::invalid("image", "must be a container image reference"));
    }
    if group.port.is_some_and(|p| p < 1024) {
        return Err(DomainError::invalid("port", "use a port of 1024 or above"));
    }
    Ok(())
}

/// Create a group. Without a port, the next free local port from 8081 is taken.
pub async fn create(db: &Db, actor: &Actor, mut group: GatewayGroup) -> Result<GatewayGroup> {
    actor.require(Permission::ReviewApis)?;
    validate(&mut group)?;
    let port = match group.port {
        Some(p) => {
            refuse_api_port(db, p).await?;
            p
        }
        None => next_free_port(db).await?,
    };
    group.port = Some(port);
    let now = now_ms();
    let inserted = sqlx::query(
        "INSERT INTO gateway_groups (name, kind, regions, mode, host, port, replicas_min, replicas_max, cpu_target, image, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(&group.name)
    .bind(group.kind.as_str())
    .bind(apis::to_json(&group.regions))
    .bind(group.mode.as_str())
    .bind(&group.host)
    .bind(port as i64)
    .bind(group.replicas_min as i64)
    .bind(group.replicas_max as i64)
    .bind(group.cpu_target as i64)
    .bind(&group.image)
    .bind(now)
    .execute(&db.pool)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(DomainError::Conflict(format!(
                "a group named {} or using port {port} already exists",
                group.name
            )));
        }
        Err(e) => return Err(e.into()),
    }
    audit::record(
        db,
        &actor.email,
        "group.created",
        &group.name,
        &format!("{} mode, host {}", group.mode.as_str(), group.host),
    )
    .await?;
    Ok(group)
}

/// A change to a group's settings, checked against the stored group: (stored, changed). Its
/// name is its identity and stays; a change that names no port keeps the group's.
/// `Deployer::update_group` is the one way to change a group: it also releases the change.
pub(crate) async fn checked_change(
    db: &Db,
    name: &str,
    mut group: GatewayGroup,
) -> Result<(GatewayGroup, GatewayGroup)> {
    let current = get(db, name).await?;
    group.name = current.name.clone();
    group.port = group.port.or(current.port);
    validate(&mut group)?;
    Ok((current, group))
}

/// Store a checked change (see [`checked_change`]) and audit what changed.
pub(crate) async fn save(db: &Db, actor: &Actor, before: &GatewayGroup, group: &GatewayGroup) -> Result<()> {
    actor.require(Permission::ReviewApis)?;
    if let Some(port) = group.port.filter(|p| before.port != Some(*p)) {
        refuse_api_port(db, port).await?;
    }
    let updated = sqlx::query(
        "UPDATE gateway_groups SET kind = $1, regions = $2, mode = $3, host = $4, port = $5, replicas_min = $6, replicas_max = $7, \
         cpu_target = $8, image = $9, updated_at = $10 WHERE name = $11",
    )
    .bind(group.kind.as_str())
    .bind(apis::to_json(&group.regions))
    .bind(group.mode.as_str())
    .bind(&group.host)
    .bind(group.port.map(i64::from).unwrap_or(0))
    .bind(group.replicas_min as i64)
    .bind(group.replicas_max as i64)
    .bind(group.cpu_target as i64)
    .bind(&group.image)
    .bind(now_ms())
    .bind(&before.name)
    .execute(&db.pool)
    .await;
    match updated {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => return Err(DomainError::Conflict("another group uses that port".into())),
        Err(e) => return Err(e.into()),
    }
    audit::record(db, &actor.email, "group.updated", &before.name, &describe(&changes(before, group))).await
}

/// The next port no group's and no API's local gateway has, from 8081.
async fn next_free_port(db: &Db) -> Result<u16> {
    let (max,): (Option<i64>,) = sqlx::query_as(
        "SELECT MAX(port) FROM (SELECT port FROM gateway_groups UNION ALL SELECT port FROM api_ports) AS taken",
    )
    .fetch_one(&db.pool)
    .await?;
    let next = max.map(|m| m + 1).unwrap_or(FIRST_LOCAL_PORT as i64).max(FIRST_LOCAL_PORT as i64);
    u16::try_from(next).map_err(|_| DomainError::Conflict("no local port is left for another gateway".into()))
}

/// A group may not take the port an API's own (private-jet) gateway serves on.
async fn refuse_api_port(db: &Db, port: u16) -> Result<()> {
    let taken: Option<(String, String)> =
        sqlx::query_as("SELECT a.name, a.version FROM api_ports p JOIN apis a ON a.id = p.api_id WHERE p.port = $1")
            .bind(i64::from(port))
            .fetch_optional(&db.pool)
            .await?;
    match taken {
        Some((name, version)) => Err(DomainError::Conflict(format!(
            "port {port} is where the gateway of {name} {version} serves on this machine"
        ))),
        None => Ok(()),
    }
}

/// Give each API live in a private-jet group a local port of its own, once (see the
/// `api_ports` migration); nothing for other modes, whose gateway serves on the group's port.
pub async fn allot_api_ports(db: &Db, group: &str) -> Result<()> {
    if get(db, group).await?.mode != GroupMode::PrivateJet {
        return Ok(());
    }
    let without: Vec<(String,)> = sqlx::query_as(
        "SELECT l.api_id FROM group_live l LEFT JOIN api_ports p ON p.api_id = l.api_id \
         WHERE l.group_name = $1 AND p.api_id IS NULL ORDER BY l.api_id",
    )
    .bind(group)
    .fetch_all(&db.pool)
    .await?;
    for (api_id,) in without {
        // Another server process may take the same port at the same moment: then take the next.
        let mut attempts = 0;
        loop {
            // An API cannot pick its port, so it is not given one another program holds on this
            // machine now (the port or its admin port), which would leave its gateway unable to
            // start; a group's own port is the publisher's to change.
            let mut port = next_free_port(db).await?;
            for _ in 0..100 {
                if local_ports_unavailable(port).is_none() {
                    break;
                }
                port = port
                    .checked_add(1)
                    .ok_or_else(|| DomainError::Conflict("no local port is left for another gateway".into()))?;
            }
            let inserted =
                sqlx::query("INSERT INTO api_ports (api_id, port) VALUES ($1, $2) ON CONFLICT (api_id) DO NOTHING")
                    .bind(&api_id)
                    .bind(i64::from(port))
                    .execute(&db.pool)
                    .await;
            match inserted {
                Err(e) if is_unique_violation(&e) && attempts < 5 => attempts += 1,
                other => {
                    other?;
                    break;
                }
            }
        }
    }
    Ok(())
}

/// The local gateways a group runs on this machine: (the API it alone serves, port) — one for
/// the group (`None`), or in private-jet mode one per live API that has its port.
pub async fn local_gateways(db: &Db, group: &GatewayGroup) -> Result<Vec<(Option<String>, u16)>> {
    if group.mode != GroupMode::PrivateJet {
        return Ok(group.port.map(|port| (None, port)).into_iter().collect());
    }
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT p.api_id, p.port FROM api_ports p JOIN group_live l ON l.api_id = p.api_id AND l.group_name = $1 \
         JOIN apis a ON a.id = p.api_id WHERE a.state <> 'RETIRED' ORDER BY p.port",
    )
    .bind(&group.name)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|(api_id, port)| (Some(api_id), port as u16)).collect())
}

/// The port among a group's `local_gateways` that serves `api_id`: the group's one gateway, or
/// the API's own.
pub fn serving(gateways: &[(Option<String>, u16)], api_id: &str) -> Option<u16> {
    gateways.iter().find(|(only, _)| only.as_deref().is_none_or(|only| only == api_id)).map(|(_, port)| *port)
}

/// Where this machine's gateway serves an API of `group`: the group's port, or in private-jet
/// mode the API's own (`None` until its first release there).
pub async fn local_port(db: &Db, group: &GatewayGroup, api_id: &str) -> Result<Option<u16>> {
    if group.mode != GroupMode::PrivateJet {
        return Ok(group.port);
    }
    let port: Option<(i64,)> =
        sqlx::query_as("SELECT port FROM api_ports WHERE api_id = $1").bind(api_id).fetch_optional(&db.pool).await?;
    Ok(port.map(|(p,)| p as u16))
}

/// One setting a change touched: what, before, after.
pub(crate) type Changed = (&'static str, String, String);

/// The settings that differ between `before` and `after`.
pub(crate) fn changes(before: &GatewayGroup, after: &GatewayGroup) -> Vec<Changed> {
    let replicas = |g: &GatewayGroup| format!("{}–{}", g.replicas_min, g.replicas_max);
    let port = |g: &GatewayGroup| g.port.map(|p| p.to_string()).unwrap_or_else(|| "none".into());
    let fields: [Changed; 8] = [
        ("kind", before.kind.as_str().into(), after.kind.as_str().into()),
        ("regions", before.regions.join(", "), after.regions.join(", ")),
        ("mode", before.mode.as_str().into(), after.mode.as_str().into()),
        ("host", before.host.clone(), after.host.clone()),
        ("port", port(before), port(after)),
        ("replicas", replicas(before), replicas(after)),
        ("CPU target", format!("{}%", before.cpu_target), format!("{}%", after.cpu_target)),
        ("image", before.image.clone(), after.image.clone()),
    ];
    fields.into_iter().filter(|(_, b, a)| b != a).collect()
}

/// Changes as the audit log and release notes say them: "replicas 1–5 → 1–8; port 8081 → 8191".
pub(crate) fn describe(changes: &[Changed]) -> String {
    let said: Vec<String> = changes.iter().map(|(what, b, a)| format!("{what} {b} → {a}")).collect();
    if said.is_empty() { "nothing changed".into() } else { said.join("; ") }
}

/// Whether any gateway group exists (one query; `list` reads each group's APIs and tag too).
pub async fn any(db: &Db) -> Result<bool> {
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM gateway_groups").fetch_one(&db.pool).await?;
    Ok(count > 0)
}

/// Every group with its APIs and newest tag.
pub async fn list(db: &Db) -> Result<Vec<GroupSummary>> {
    let rows: Vec<GroupRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM gateway_groups ORDER BY name")).fetch_all(&db.pool).await?;
    let mut problems = crate::gateways::local_problems(db).await?;
    let mut out = Vec::new();
    for row in rows {
        let group = row.group()?;
        let mut apis = live_apis(db, &group.name).await?;
        let gateways = local_gateways(db, &group).await?;
        for api in &mut apis {
            api.local_port = serving(&gateways, &api.api_id);
        }
        let tag = latest_tag(db, &group.name).await?;
        let local_problems = problems.extract_if(.., |(g, _)| *g == group.name).map(|(_, p)| p).collect();
        let region_overlays = crate::deploy::manifests::region_overlays(&group.regions);
        out.push(GroupSummary { group, apis, tag, local_problems, region_overlays });
    }
    Ok(out)
}

/// The revision of `api_id` live in `group`; None before its first release there.
pub(crate) async fn live_revision(db: &Db, group: &str, api_id: &str) -> Result<Option<i64>> {
    live_revision_on(&mut *db.pool.acquire().await?, group, api_id).await
}

async fn live_revision_on(conn: &mut AnyConnection, group: &str, api_id: &str) -> Result<Option<i64>> {
    let live: Option<(i64,)> = sqlx::query_as("SELECT revision FROM group_live WHERE group_name = $1 AND api_id = $2")
        .bind(group)
        .bind(api_id)
        .fetch_optional(conn)
        .await?;
    Ok(live.map(|(revision,)| revision))
}

/// The revision of `api_id` live in `group`, with its snapshot; None before its first release.
pub(crate) async fn live_snapshot(db: &Db, group: &str, api_id: &str) -> Result<Option<(i64, apis::Snapshot)>> {
    live_snapshot_on(&mut *db.pool.acquire().await?, group, api_id).await
}

/// [`live_snapshot`] as `conn` sees it: a transaction reads with the connection it writes on.
pub(crate) async fn live_snapshot_on(
    conn: &mut AnyConnection,
    group: &str,
    api_id: &str,
) -> Result<Option<(i64, apis::Snapshot)>> {
    match live_revision_on(conn, group, api_id).await? {
        Some(revision) => Ok(Some((revision, apis::revisions::snapshot_on(conn, api_id, revision).await?))),
        None => Ok(None),
    }
}

/// Fill in what releases made before these columns existed did not record: each live
/// revision's description (`group_live.description`, the catalog's cards) and the catalog's
/// search text (`apis.catalog_text`). Run when the server starts; nothing to do once every live
/// API has both. Returns how many APIs it filled in.
pub async fn fill_live_text(db: &Db) -> Result<usize> {
    let missing: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT l.group_name, l.api_id, l.revision FROM group_live l \
         JOIN apis a ON a.id = l.api_id AND a.group_name = l.group_name \
         WHERE l.description IS NULL OR a.catalog_text IS NULL",
    )
    .fetch_all(&db.pool)
    .await?;
    for (group, api_id, revision) in &missing {
        let row = apis::load(db, api_id).await?;
        let live = apis::revisions::snapshot(db, api_id, *revision).await?;
        let tags: Vec<String> = apis::json("tags", &row.tags)?;
        let mut tx = db.begin().await?;
        sqlx::query("UPDATE group_live SET description = $1 WHERE group_name = $2 AND api_id = $3")
            .bind(&live.model.description)
            .bind(group)
            .bind(api_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE apis SET catalog_text = $1 WHERE id = $2")
            .bind(apis::catalog_text(&row.name, &tags, &live))
            .bind(api_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(missing.len())
}

/// The APIs assigned to a group and the revision live for each (`list` adds their local ports).
pub async fn live_apis(db: &Db, group: &str) -> Result<Vec<LiveApi>> {
    let rows: Vec<(String, String, String, String, String, Option<i64>)> = sqlx::query_as(
        "SELECT a.id, a.name, a.version, a.context, a.state, l.revision FROM apis a \
         LEFT JOIN group_live l ON l.api_id = a.id AND l.group_name = $1 \
         WHERE a.group_name = $1 OR l.group_name = $1 ORDER BY a.context",
    )
    .bind(group)
    .fetch_all(&db.pool)
    .await?;
    let released: Vec<(String, i64)> = sqlx::query_as(&format!(
        "SELECT DISTINCT api_id, revision FROM deployments WHERE group_name = $1 AND api_id IS NOT NULL AND status IN {RELEASED} \
         ORDER BY revision DESC"
    ))
    .bind(group)
    .fetch_all(&db.pool)
    .await?;
    rows.into_iter()
        .map(|(api_id, name, version, context, state, live_revision)| {
            let released_revisions = released.iter().filter(|(id, _)| *id == api_id).map(|(_, r)| *r).collect();
            Ok(LiveApi {
                state: state.parse().map_err(|e: String| DomainError::Internal(e))?,
                api_id,
                name,
                version,
                context,
                live_revision,
                released_revisions,
                local_port: None,
            })
        })
        .collect()
}

/// The statuses of a deployment that reached the GitOps repository, as SQL: a release.
pub(crate) const RELEASED: &str = "('committed', 'live')";

/// The tag of the group's newest release, e.g. `food-apis-v1.2.0`.
pub(crate) async fn latest_tag(db: &Db, group: &str) -> Result<Option<String>> {
    let tag: Option<(String,)> = sqlx::query_as(&format!(
        "SELECT tag FROM deployments WHERE group_name = $1 AND status IN {RELEASED} AND tag <> '' ORDER BY created_at DESC, id DESC LIMIT 1"
    ))
    .bind(group)
    .fetch_optional(&db.pool)
    .await?;
    Ok(tag.map(|(t,)| t))
}

/// Put an API in a group. It lives in one group at a time: moving it out of a group where it
/// is live must wait until it is retired there.
pub async fn assign(db: &Db, actor: &Actor, api_id: &str, group: &str) -> Result<()> {
    actor.require(Permission::DesignApis)?;
    let row = apis::load_editable(db, actor, api_id).await?;
    let target = get(db, group).await?;
    let live_elsewhere: Option<(String,)> =
        sqlx::query_as("SELECT group_name FROM group_live WHERE api_id = $1 AND group_name <> $2")
            .bind(api_id)
            .bind(&target.name)
            .fetch_optional(&db.pool)
            .await?;
    if let Some((other,)) = live_elsewhere {
        return Err(DomainError::Conflict(format!(
            "{} {} is live in group {other}; an API lives in one group at a time",
            row.name, row.version
        )));
    }
    if target.mode == GroupMode::Sidecar {
        let endpoints: gatehouse_contract::Endpoints = apis::json("endpoints", &row.endpoints)?;
        if endpoints.backend_image.trim().is_empty() {
            return Err(DomainError::invalid(
                "group",
                format!(
                    "group {} runs gateways as sidecars: set the API's backend container image first (Endpoints & policies)",
                    target.name
                ),
            ));
        }
    }
    sqlx::query("UPDATE apis SET group_name = $1, updated_at = $2 WHERE id = $3")
        .bind(&target.name)
        .bind(now_ms())
        .bind(api_id)
        .execute(&db.pool)
        .await?;
    audit::record(db, &actor.email, "api.group_assigned", &format!("{} {}", row.name, row.version), &target.name).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_is_audited_as_what_changed() {
        let before = GatewayGroup {
            name: "food-apis".into(),
            kind: GroupKind::Functional,
            regions: vec!["eu-west".into()],
            mode: GroupMode::Shared,
            host: "food.example.com".into(),
            port: Some(8081),
            replicas_min: 1,
            replicas_max: 5,
            cpu_target: 50,
            image: "gatehouse/gateway:1".into(),
        };
        assert_eq!(describe(&changes(&before, &before)), "nothing changed");
        let after = GatewayGroup { replicas_max: 8, port: Some(8191), ..before.clone() };
        assert_eq!(describe(&changes(&before, &after)), "port 8081 → 8191; replicas 1–5 → 1–8");
    }
}
