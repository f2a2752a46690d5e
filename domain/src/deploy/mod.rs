//! Approval triggers deployment. For a group: render the bundle, render the Kubernetes
//! manifests, commit both (and the API project files) to the group's branch of the GitOps
//! repository with an annotated release tag, make the bundle current for the group's gateways,
//! and queue signed webhooks; the repository is then pushed to its remote, if one is configured
//! (`mirror`). Every step is timed and recorded; a failure leaves what was live live and the
//! branch where it was.

pub mod access;
pub mod bundle;
pub mod gitops;
pub mod manifests;
pub mod mirror;
pub mod webhooks;

use crate::apis::lifecycle::Announced;
use crate::apis::{self, docs, project, revisions};
use crate::application_webhooks::{Callbacks, Reach};
use crate::openapi::{design, diff};
use crate::store::{new_id, now_ms};
use crate::{Actor, Db, DomainError, Result, audit, groups, subscriptions};
use gatehouse_contract::{
    ApiDiff, Approval, ApprovalOutcome, ApprovalStatus, Deployment, DeploymentStatus, DeploymentStep, GatewayGroup,
    GroupMode, GroupUpdate, LifecycleState, Permission, Snapshot, Visibility, WebhookEvent,
};
use gitops::{GitOps, Remote, Signature};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{Mutex, Notify, watch};

/// Runs deployments one at a time and tells listeners (gateways long-polling) when a group's
/// bundle changes.
pub struct Deployer {
    pub db: Db,
    pub git: GitOps,
    lock: Mutex<()>,
    changed: watch::Sender<u64>,
    http: reqwest::Client,
    /// Where releases are pushed, if anywhere (see `mirror`).
    remote: Option<Remote>,
    push_wanted: Notify,
    push_lock: Mutex<()>,
    /// Where applications' webhooks may be sent.
    callbacks: Reach,
}

/// The release version of a group after a change, by the documented rule: the first release
/// is 1.0.0; removing or changing anything a client relies on bumps major; adding operations
/// (or an API) bumps minor; anything else bumps patch.
pub fn next_version(previous: Option<(u64, u64, u64)>, change: Option<&ApiDiff>) -> (u64, u64, u64) {
    match (previous, change) {
        (None, _) => (1, 0, 0),
        (Some((ma, _, _)), Some(d)) if !d.is_additive() => (ma + 1, 0, 0),
        (Some((ma, mi, _)), None) => (ma, mi + 1, 0),
        (Some((ma, mi, _)), Some(d)) if !d.operations_added.is_empty() || !d.schemas_added.is_empty() => {
            (ma, mi + 1, 0)
        }
        (Some((ma, mi, pa)), Some(_)) => (ma, mi, pa + 1),
    }
}

fn parse_version(tag: &str) -> Option<(u64, u64, u64)> {
    let v = tag.rsplit_once("-v")?.1;
    let mut parts = v.split('.').map(|p| p.parse::<u64>().ok());
    Some((parts.next()??, parts.next()??, parts.next()??))
}

struct Steps(Vec<DeploymentStep>);

impl Steps {
    fn record<T>(&mut self, name: &str, started: Instant, result: &Result<T>, detail: impl FnOnce(&T) -> String) {
        let ms = started.elapsed().as_millis() as u64;
        match result {
            Ok(v) => self.0.push(DeploymentStep { name: name.into(), ok: true, ms, detail: detail(v) }),
            // Deployment reasons are for the people running the platform: say exactly what failed.
            Err(e) => self.0.push(DeploymentStep { name: name.into(), ok: false, ms, detail: e.to_string() }),
        }
    }
}

#[derive(sqlx::FromRow)]
struct DeploymentRow {
    id: String,
    group_name: String,
    api_id: Option<String>,
    api_name: Option<String>,
    revision: Option<i64>,
    kind: String,
    status: String,
    reason: String,
    tag: String,
    commit_sha: String,
    bundle_sha: String,
    steps: String,
    created_by: String,
    created_at: i64,
    finished_at: Option<i64>,
    pushed_to: String,
}

fn status_of(text: &str) -> DeploymentStatus {
    match text {
        "rendered" => DeploymentStatus::Rendered,
        "committed" => DeploymentStatus::Committed,
        "live" => DeploymentStatus::Live,
        "failed" => DeploymentStatus::Failed,
        _ => DeploymentStatus::Rendering,
    }
}

impl DeploymentRow {
    /// `remote`: the one releases are pushed to now, if any (shown without credentials).
    fn into_deployment(self, live_on: u32, gateways: u32, remote: Option<&str>) -> Deployment {
        // A committed release becomes live once a gateway reports serving it.
        let status = match status_of(&self.status) {
            DeploymentStatus::Committed if live_on > 0 => DeploymentStatus::Live,
            other => other,
        };
        let pushed = remote.filter(|_| !self.commit_sha.is_empty() && status != DeploymentStatus::Failed);
        let pushed = pushed.map(|remote| self.pushed_to == remote);
        Deployment {
            steps: serde_json::from_str(&self.steps).unwrap_or_default(),
            status,
            id: self.id,
            group: self.group_name,
            api_id: self.api_id,
            api_name: self.api_name,
            revision: self.revision,
            kind: self.kind,
            reason: self.reason,
            tag: self.tag,
            commit: self.commit_sha,
            bundle_sha: self.bundle_sha,
            created_by: self.created_by,
            created_at: self.created_at,
            finished_at: self.finished_at,
            live_on,
            gateways,
            pushed,
        }
    }
}

const DEPLOYMENT_COLUMNS: &str = "d.id, d.group_name, d.api_id, a.name AS api_name, d.revision, d.kind, d.status, d.reason, d.tag, \
    d.commit_sha, d.bundle_sha, d.steps, d.created_by, d.created_at, d.finished_at, d.pushed_to";

/// An approval request as read before deciding it (only a pending one may be decided).
#[derive(sqlx::FromRow)]
struct Pending {
    kind: String,
    api_id: String,
    revision: i64,
    group_name: String,
    requested_by: String,
    status: String,
    subscription_id: Option<String>,
}

/// What a release changes in its group.
enum Change<'a> {
    /// An API goes live at a revision: approved (`deploy`) or returned to (`rollback`).
    Api { api_id: &'a str, revision: i64, kind: &'static str },
    /// The group's settings alone (`what`: "replicas 1–5 → 1–8"), re-rendered over what is live.
    /// A new host is a major release: clients call the group's APIs there.
    Settings { what: String, host_changed: bool },
}

impl Change<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Change::Api { kind, .. } => kind,
            Change::Settings { .. } => "settings",
        }
    }

    /// The API and revision that go live, if the release is of an API.
    fn api(&self) -> Option<(&str, i64)> {
        match self {
            Change::Api { api_id, revision, .. } => Some((api_id, *revision)),
            Change::Settings { .. } => None,
        }
    }
}

/// What a deployment produced, before it is recorded as committed.
struct Release {
    version: String,
    tag: String,
    commit: String,
    bundle_text: String,
    bundle_sha: String,
    previous_head: Option<String>,
    /// The scopes the deployed revision defines: what tokens may be granted for it.
    scopes: Vec<crate::keys::LiveScope>,
    /// The deployed revision's description, for the portal's catalog.
    description: String,
    /// What the catalog search reads for the deployed API (`apis.catalog_text`).
    catalog_text: Option<String>,
}

impl Deployer {
    pub fn new(db: Db, repo: PathBuf) -> Arc<Self> {
        Deployer::pushing_to(db, repo, None)
    }

    /// A deployer whose releases are also pushed to `remote` (run [`Deployer::run_mirror`]).
    pub fn pushing_to(db: Db, repo: PathBuf, remote: Option<Remote>) -> Arc<Self> {
        Deployer::configured(db, repo, remote, Reach::default())
    }

    /// A deployer pushing releases to `remote`, whose applications' webhooks may be sent to
    /// the addresses `callbacks` allows.
    pub fn configured(db: Db, repo: PathBuf, remote: Option<Remote>, callbacks: Reach) -> Arc<Self> {
        let (changed, _) = watch::channel(0);
        Arc::new(Deployer {
            db,
            git: GitOps::new(repo),
            lock: Mutex::new(()),
            changed,
            http: reqwest::Client::new(),
            remote,
            push_wanted: Notify::new(),
            push_lock: Mutex::new(()),
            callbacks,
        })
    }

    /// Where applications' webhooks may be sent (what setting one checks its URL against).
    pub fn callbacks(&self) -> Reach {
        self.callbacks
    }

    /// Notified with a counter each time any group's bundle changes.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Deliver due webhooks forever (spawned by the server).
    pub async fn run_webhooks(self: Arc<Self>) {
        let callbacks = match Callbacks::new(self.callbacks) {
            Ok(callbacks) => callbacks,
            Err(e) => {
                tracing::error!(error = %e, "webhooks cannot be sent");
                return;
            }
        };
        loop {
            if let Err(e) = webhooks::deliver_due(&self.db, &self.http, &callbacks).await {
                tracing::warn!(error = %e, "webhook delivery round failed");
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }

    /// A creator asks for a revision of their API to be deployed to the API's group.
    pub async fn submit(&self, actor: &Actor, api_id: &str, revision: i64, note: &str) -> Result<String> {
        actor.require(Permission::DesignApis)?;
        let row = apis::load_editable(&self.db, actor, api_id).await?;
        let group: Option<(Option<String>,)> = sqlx::query_as("SELECT group_name FROM apis WHERE id = $1")
            .bind(api_id)
            .fetch_optional(&self.db.pool)
            .await?;
        let Some(group) = group.and_then(|(g,)| g) else {
            return Err(DomainError::invalid(
                "group",
                format!("{} {} is in no gateway group yet; assign one first", row.name, row.version),
            ));
        };
        revisions::snapshot(&self.db, api_id, revision).await?;
        if note.chars().count() > 1000 {
            return Err(DomainError::invalid("note", "at most 1000 characters"));
        }
        let pending: Option<(String,)> = sqlx::query_as(
            "SELECT id FROM approvals WHERE kind = 'revision' AND api_id = $1 AND revision = $2 AND status = 'pending'",
        )
        .bind(api_id)
        .bind(revision)
        .fetch_optional(&self.db.pool)
        .await?;
        if pending.is_some() {
            return Err(DomainError::Conflict(format!(
                "revision {revision} of {} {} is already waiting for review",
                row.name, row.version
            )));
        }
        let id = new_id();
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "INSERT INTO approvals (id, kind, api_id, revision, group_name, note, requested_by, requested_at, status, comment) \
             VALUES ($1, 'revision', $2, $3, $4, $5, $6, $7, 'pending', '')",
        )
        .bind(&id)
        .bind(api_id)
        .bind(revision)
        .bind(&group)
        .bind(note.trim())
        .bind(&actor.user_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let payload = serde_json::json!({
            "event": WebhookEvent::ApprovalRequested, "approval": id, "kind": "revision", "api_id": api_id,
            "name": row.name, "version": row.version, "revision": revision, "group": group, "note": note.trim(),
            "requested_by": actor.email,
        });
        webhooks::enqueue_on(&mut tx, &id, WebhookEvent::ApprovalRequested, Some(&group), &payload).await?;
        tx.commit().await?;
        audit::record(
            &self.db,
            &actor.email,
            "approval.requested",
            &format!("{} {}", row.name, row.version),
            &format!("revision {revision} to {group}"),
        )
        .await?;
        Ok(id)
    }

    /// Approval requests, newest first, each with its diff against what is live in its group.
    pub async fn approvals(
        &self,
        actor: &Actor,
        status: Option<ApprovalStatus>,
        api_id: Option<&str>,
    ) -> Result<Vec<Approval>> {
        actor.require(Permission::DesignApis)?;
        #[derive(sqlx::FromRow)]
        struct Row {
            id: String,
            kind: String,
            api_id: String,
            api_name: String,
            api_version: String,
            revision: i64,
            group_name: String,
            note: String,
            requested_by: String,
            requested_at: i64,
            status: String,
            decided_by: Option<String>,
            decided_at: Option<i64>,
            comment: String,
            deployment_id: Option<String>,
            subscription_id: Option<String>,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT p.id, p.kind, p.api_id, a.name AS api_name, a.version AS api_version, p.revision, p.group_name, p.note, \
             r.email AS requested_by, p.requested_at, p.status, dcd.email AS decided_by, p.decided_at, p.comment, p.deployment_id, \
             p.subscription_id \
             FROM approvals p JOIN apis a ON a.id = p.api_id JOIN users r ON r.id = p.requested_by LEFT JOIN users dcd ON dcd.id = p.decided_by \
             WHERE ($1 = '' OR p.status = $1) AND ($2 = '' OR p.api_id = $2) ORDER BY p.requested_at DESC, p.id DESC LIMIT 200",
        )
        .bind(status.map(ApprovalStatus::as_str).unwrap_or(""))
        .bind(api_id.unwrap_or(""))
        .fetch_all(&self.db.pool)
        .await?;
        let subscription_ids: Vec<&str> = rows.iter().filter_map(|row| row.subscription_id.as_deref()).collect();
        let subscriptions = subscriptions::by_ids(&self.db, &subscription_ids).await?;
        let mut groups_seen: std::collections::HashMap<String, GatewayGroup> = std::collections::HashMap::new();
        let mut out = Vec::new();
        for row in rows {
            let group = row.group_name;
            // A subscription request may concern an API in no group.
            let (mode, host) = match groups_seen.get(&group) {
                Some(g) => (g.mode, g.host.clone()),
                None if group.is_empty() => (GroupMode::default(), String::new()),
                None => {
                    let g = groups::get(&self.db, &group).await?;
                    groups_seen.insert(group.clone(), g.clone());
                    (g.mode, g.host)
                }
            };
            let status = match row.status.as_str() {
                "approved" => ApprovalStatus::Approved,
                "rejected" => ApprovalStatus::Rejected,
                _ => ApprovalStatus::Pending,
            };
            // One subscription may have several requests (a tier change asks again).
            let subscription = row.subscription_id.as_deref().and_then(|id| subscriptions.get(id).cloned());
            // The diff against what is live only means something while the request waits;
            // decided requests skip the two snapshot loads.
            let (diff, design, live_revision) = if status == ApprovalStatus::Pending && row.kind == "revision" {
                let target = revisions::snapshot(&self.db, &row.api_id, row.revision).await?;
                let live = groups::live_snapshot(&self.db, &group, &row.api_id).await?;
                let diff = match &live {
                    Some((_, before)) => diff::diff(&apis::side(before), &apis::side(&target)),
                    None => diff::diff(&apis::side(&empty_like(&target)), &apis::side(&target)),
                };
                let design = design::review(&target.model, &target.endpoints, &target.policies);
                (diff, design, live.map(|(r, _)| r))
            } else {
                (ApiDiff::default(), Vec::new(), None)
            };
            out.push(Approval {
                id: row.id,
                kind: row.kind,
                api_id: row.api_id,
                api_name: row.api_name,
                api_version: row.api_version,
                revision: row.revision,
                mode,
                host,
                group,
                note: row.note,
                requested_by: row.requested_by,
                requested_at: row.requested_at,
                status,
                decided_by: row.decided_by,
                decided_at: row.decided_at,
                comment: row.comment,
                deployment_id: row.deployment_id,
                diff,
                design,
                live_revision,
                subscription,
            });
        }
        Ok(out)
    }

    async fn pending(&self, approval_id: &str) -> Result<Pending> {
        let p: Pending = sqlx::query_as(
            "SELECT kind, api_id, revision, group_name, requested_by, status, subscription_id FROM approvals WHERE id = $1",
        )
        .bind(approval_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or_else(|| DomainError::NotFound(format!("approval request {approval_id}")))?;
        if p.status != "pending" {
            return Err(DomainError::Conflict(format!("this request was already {}", p.status)));
        }
        Ok(p)
    }

    /// Mark a pending request decided and announce it, in one transaction; a conflict when
    /// someone else decided it first.
    async fn decide(&self, actor: &Actor, approval_id: &str, status: &str, comment: &str) -> Result<()> {
        let mut tx = self.db.begin().await?;
        if !close_request(&mut tx, actor, approval_id, status, comment).await? {
            return Err(DomainError::Conflict("this request was decided meanwhile".into()));
        }
        tx.commit().await?;
        Ok(())
    }

    /// How many requests wait for `actor`'s decision: pending ones someone else made (nobody
    /// decides their own). What the start page tells a publisher.
    pub async fn awaiting(&self, actor: &Actor) -> Result<i64> {
        actor.require(Permission::ReviewApis)?;
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM approvals WHERE status = 'pending' AND requested_by <> $1")
                .bind(&actor.user_id)
                .fetch_one(&self.db.pool)
                .await?;
        Ok(count)
    }

    /// A publisher approves: a revision is deployed to its group, a subscription becomes active.
    /// Nobody approves their own request.
    pub async fn approve(&self, actor: &Actor, approval_id: &str, comment: &str) -> Result<ApprovalOutcome> {
        actor.require(Permission::ReviewApis)?;
        let p = self.pending(approval_id).await?;
        if p.requested_by == actor.user_id {
            return Err(DomainError::Forbidden("you cannot approve your own request: another publisher must".into()));
        }
        let outcome = |deployment, subscription| ApprovalOutcome {
            approval_id: approval_id.to_string(),
            kind: p.kind.clone(),
            deployment,
            subscription,
        };
        if let Some(subscription_id) = &p.subscription_id {
            self.decide(actor, approval_id, "approved", comment).await?;
            let subscription = subscriptions::decide(&self.db, actor, subscription_id, true, comment).await?;
            return Ok(outcome(None, Some(subscription)));
        }
        self.decide(actor, approval_id, "approved", comment).await?;
        let row = apis::load(&self.db, &p.api_id).await?;
        audit::record(
            &self.db,
            &actor.email,
            "approval.approved",
            &format!("{} {}", row.name, row.version),
            &format!("revision {}: {}", p.revision, comment.trim()),
        )
        .await?;
        let change = Change::Api { api_id: &p.api_id, revision: p.revision, kind: "deploy" };
        let deployment = self.deploy(actor, &p.group_name, change).await?;
        sqlx::query("UPDATE approvals SET deployment_id = $1 WHERE id = $2")
            .bind(&deployment.id)
            .bind(approval_id)
            .execute(&self.db.pool)
            .await?;
        Ok(outcome(Some(deployment), None))
    }

    pub async fn reject(&self, actor: &Actor, approval_id: &str, comment: &str) -> Result<()> {
        actor.require(Permission::ReviewApis)?;
        let p = self.pending(approval_id).await?;
        if p.requested_by == actor.user_id {
            return Err(DomainError::Forbidden("you cannot decide your own request".into()));
        }
        if comment.trim().is_empty() {
            return Err(DomainError::invalid("comment", "say why, so the requester can act on it"));
        }
        self.decide(actor, approval_id, "rejected", comment).await?;
        if let Some(subscription_id) = &p.subscription_id {
            subscriptions::decide(&self.db, actor, subscription_id, false, comment).await?;
            return Ok(());
        }
        let row = apis::load(&self.db, &p.api_id).await?;
        audit::record(
            &self.db,
            &actor.email,
            "approval.rejected",
            &format!("{} {}", row.name, row.version),
            &format!("revision {}: {}", p.revision, comment.trim()),
        )
        .await
    }

    /// Redeploy an earlier revision of an API in its group: a new deployment and a new tag.
    /// Only to a revision released to the group before: anything else has not been approved
    /// there, and rolling back to it would skip review.
    pub async fn rollback(&self, actor: &Actor, group: &str, api_id: &str, revision: i64) -> Result<Deployment> {
        actor.require(Permission::ReviewApis)?;
        groups::get(&self.db, group).await?;
        revisions::snapshot(&self.db, api_id, revision).await?;
        let released: Option<(i64,)> = sqlx::query_as(&format!(
            "SELECT revision FROM deployments WHERE group_name = $1 AND api_id = $2 AND revision = $3 AND status IN {} LIMIT 1",
            groups::RELEASED
        ))
        .bind(group)
        .bind(api_id)
        .bind(revision)
        .fetch_optional(&self.db.pool)
        .await?;
        if released.is_none() {
            return Err(DomainError::invalid(
                "revision",
                format!(
                    "revision {revision} was never released to {group}: a rollback returns to an earlier release, a new revision goes through review"
                ),
            ));
        }
        self.deploy(actor, group, Change::Api { api_id, revision, kind: "rollback" }).await
    }

    /// Change a group's settings. Once the group has a release, a change to what its manifests
    /// say (host, mode, autoscaling, image) is released at once — committed and tagged like an
    /// approval, announced as `deployment.committed` — so what the cluster runs follows the
    /// settings without waiting for the next API change. A change the manifests cannot carry
    /// (sidecar mode while a live API has no backend image) is refused and nothing is saved.
    /// The local gateway's port is this machine's alone and released nowhere.
    pub async fn update_group(&self, actor: &Actor, name: &str, group: GatewayGroup) -> Result<GroupUpdate> {
        actor.require(Permission::ReviewApis)?;
        let _one_at_a_time = self.lock.lock().await;
        let (before, after) = groups::checked_change(&self.db, name, group).await?;
        let manifests_change = match self.current_bundle(&before.name).await? {
            None => false,
            Some((_, _, text)) => {
                let live: gatehouse_contract::Bundle =
                    serde_json::from_str(&text).map_err(|e| DomainError::Internal(format!("stored bundle: {e}")))?;
                let next = manifests::render(&after, &live)?;
                manifests::render(&before, &live).ok() != Some(next)
            }
        };
        groups::save(&self.db, actor, &before, &after).await?;
        let release = if manifests_change {
            let released: Vec<_> =
                groups::changes(&before, &after).into_iter().filter(|(what, ..)| *what != "port").collect();
            let change =
                Change::Settings { what: groups::describe(&released), host_changed: before.host != after.host };
            Some(self.deploy_locked(actor, &before.name, change).await?)
        } else {
            None
        };
        Ok(GroupUpdate { group: after, release })
    }

    async fn deploy(&self, actor: &Actor, group_name: &str, change: Change<'_>) -> Result<Deployment> {
        let _one_at_a_time = self.lock.lock().await;
        self.deploy_locked(actor, group_name, change).await
    }

    /// Release `change` to the group; the caller holds the deployment lock.
    async fn deploy_locked(&self, actor: &Actor, group_name: &str, change: Change<'_>) -> Result<Deployment> {
        let id = new_id();
        let (api_id, revision) = change.api().unzip();
        let kind = change.kind();
        let started = now_ms();
        sqlx::query(
            "INSERT INTO deployments (id, group_name, api_id, revision, kind, status, reason, tag, commit_sha, bundle_sha, steps, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'rendering', '', '', '', '', '[]', $6, $7)",
        )
        .bind(&id)
        .bind(group_name)
        .bind(api_id)
        .bind(revision)
        .bind(kind)
        .bind(&actor.email)
        .bind(started)
        .execute(&self.db.pool)
        .await?;
        let mut steps = Steps(Vec::new());
        let outcome = self.release(actor, group_name, &change, &id, &mut steps).await;
        let steps_json = apis::to_json(&steps.0);
        match outcome {
            Ok(release) => {
                let recorded = self.record_release(actor, group_name, &change, &id, &release, &steps_json).await;
                if let Err(e) = recorded {
                    // The database did not take it: take the commit and tag back off the branch.
                    let _ = self.git.reset(group_name, release.previous_head.as_deref(), &release.commit).await;
                    let _ = tokio::process::Command::new("git")
                        .arg("--git-dir")
                        .arg(self.git.path())
                        .args(["tag", "-d", &release.tag])
                        .output()
                        .await;
                    self.fail(&id, &e.to_string(), &steps_json).await?;
                    return Err(e);
                }
                // A private-jet API's own local gateway needs its port before it can serve (the
                // supervisor gives missing ones too, so a failure here heals on its next round).
                if let Err(e) = groups::allot_api_ports(&self.db, group_name).await {
                    tracing::warn!(group = group_name, error = %e, "cannot give the APIs their local ports");
                }
                self.changed.send_modify(|n| *n += 1);
                self.push_wanted.notify_one();
                let payload = serde_json::json!({
                    "event": WebhookEvent::DeploymentCommitted, "deployment": id, "group": group_name, "api_id": api_id,
                    "revision": revision, "kind": kind, "tag": release.tag, "commit": release.commit, "bundle_sha256": release.bundle_sha,
                    "repository": self.git.path().display().to_string(), "settings": settings_changed(&change),
                });
                webhooks::enqueue(&self.db, &id, WebhookEvent::DeploymentCommitted, Some(group_name), &payload).await?;
            }
            Err(e) => {
                tracing::warn!(deployment = %id, error = %e, "deployment failed");
                self.fail(&id, &e.to_string(), &steps_json).await?;
                let payload = serde_json::json!({
                    "event": WebhookEvent::DeploymentFailed, "deployment": id, "group": group_name, "api_id": api_id,
                    "revision": revision, "kind": kind, "reason": e.to_string(), "settings": settings_changed(&change),
                });
                webhooks::enqueue(&self.db, &id, WebhookEvent::DeploymentFailed, Some(group_name), &payload).await?;
            }
        }
        self.deployment(&id).await
    }

    async fn fail(&self, id: &str, reason: &str, steps: &str) -> Result<()> {
        sqlx::query(
            "UPDATE deployments SET status = 'failed', reason = $1, steps = $2, finished_at = $3 WHERE id = $4",
        )
        .bind(reason)
        .bind(steps)
        .bind(now_ms())
        .bind(id)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    async fn release(
        &self,
        actor: &Actor,
        group_name: &str,
        change: &Change<'_>,
        deployment_id: &str,
        steps: &mut Steps,
    ) -> Result<Release> {
        let group = groups::get(&self.db, group_name).await?;
        if let Change::Settings { what, .. } = change {
            steps.0.push(DeploymentStep { name: "settings".into(), ok: true, ms: 0, detail: what.clone() });
        }
        // What will be live: everything live now, with the API (if any) at its new revision.
        let t = Instant::now();
        let plan = self.plan(&group, change.api()).await;
        steps.record("plan", t, &plan, |p| count_apis(p.len()));
        let plan = plan?;
        let previous = groups::latest_tag(&self.db, group_name).await?.as_deref().and_then(parse_version);
        let ((ma, mi, pa), headline, (scopes, description, catalog_text)) = match change {
            Change::Api { api_id, revision, kind } => {
                let before = groups::live_snapshot(&self.db, group_name, api_id).await?;
                let target = plan
                    .iter()
                    .find(|(id, ..)| id == api_id)
                    .map(|(_, _, _, s)| s)
                    .ok_or_else(|| DomainError::Internal("plan lost the API".into()))?;
                let change = before.as_ref().map(|(_, s)| diff::diff(&apis::side(s), &apis::side(target)));
                let verb = if *kind == "rollback" { "Roll back" } else { "Deploy" };
                let headline = format!("{verb} {} {} revision {revision} to {group_name}", target.name, target.version);
                let scopes = target
                    .policies
                    .scopes
                    .iter()
                    .map(|s| crate::keys::LiveScope { name: s.name.clone(), tiers: s.tiers.clone() })
                    .collect();
                let description = target.model.description.clone();
                let row = apis::load(&self.db, api_id).await?;
                let tags: Vec<String> = apis::json("tags", &row.tags)?;
                let catalog_text = apis::catalog_text(&row.name, &tags, target);
                (next_version(previous, change.as_ref()), headline, (scopes, description, Some(catalog_text)))
            }
            Change::Settings { what, host_changed } => {
                let Some((ma, mi, pa)) = previous else {
                    return Err(DomainError::Conflict(format!(
                        "{group_name} has no release to change the settings of"
                    )));
                };
                let version = if *host_changed { (ma + 1, 0, 0) } else { (ma, mi, pa + 1) };
                (version, format!("Release the settings of {group_name}: {what}"), (Vec::new(), String::new(), None))
            }
        };
        let version = format!("{ma}.{mi}.{pa}");
        let tag = gatehouse_contract::release_tag(group_name, &version);

        let t = Instant::now();
        let entries: Vec<bundle::LiveEntry> = plan
            .iter()
            .map(|(id, state, rev, snapshot)| bundle::LiveEntry { api_id: id, state: *state, revision: *rev, snapshot })
            .collect();
        let tiers = crate::tiers::list(&self.db).await?;
        let rendered = bundle::render(group_name, &version, &entries, &tiers);
        let (bundle_bytes, bundle_sha) = bundle::encode(&rendered);
        steps.record::<()>("render bundle", t, &Ok(()), |_| {
            format!("{}, sha256 {}", count_apis(rendered.apis.len()), &bundle_sha[..12])
        });

        let t = Instant::now();
        let manifests = manifests::render(&group, &rendered);
        steps.record("render manifests", t, &manifests, |m| {
            format!("{} files for {} mode", m.len(), group.mode.as_str())
        });
        let manifests = manifests?;
        sqlx::query("UPDATE deployments SET status = 'rendered', bundle_sha = $1 WHERE id = $2")
            .bind(&bundle_sha)
            .bind(deployment_id)
            .execute(&self.db.pool)
            .await?;

        let t = Instant::now();
        let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        files.insert("bundle.json".into(), bundle_bytes.clone());
        for (path, text) in manifests {
            files.insert(path, text.into_bytes());
        }
        for (id, _, _, snapshot) in &plan {
            let row = apis::load(&self.db, id).await?;
            let pages = docs::of(&self.db, id, snapshot).await?;
            let tags: Vec<String> = apis::json("tags", &row.tags)?;
            let visibility = if row.visibility == "signed_in" { Visibility::SignedIn } else { Visibility::Public };
            let folder = manifests::k8s_name(&format!("{}-{}", snapshot.name, snapshot.version));
            for (path, bytes) in
                project::project_files(snapshot, &snapshot.model.description, &tags, visibility, &pages)?
            {
                files.insert(format!("apis/{folder}/{path}"), bytes);
            }
        }
        let who = Signature { name: "Gatehouse", email: "gatehouse@localhost" };
        let by = if change.api().is_some() { "Approved" } else { "Changed" };
        let message = format!("{headline}\n\nRelease {version}. {by} by {}.", actor.email);
        let previous_head = self.git.head(group_name).await?;
        let committed = async {
            let commit = self.git.commit(group_name, &files, &message, &who).await?;
            if let Err(e) =
                self.git.tag(&tag, &commit, &format!("{group_name} release {version}\n\n{message}"), &who).await
            {
                self.git.reset(group_name, previous_head.as_deref(), &commit).await?;
                return Err(e);
            }
            Ok(commit)
        }
        .await;
        steps.record("commit and tag", t, &committed, |c| format!("{tag} at {}", &c[..c.len().min(12)]));
        let commit = committed?;
        Ok(Release {
            version,
            tag,
            commit,
            bundle_text: String::from_utf8_lossy(&bundle_bytes).into_owned(),
            bundle_sha,
            previous_head,
            scopes,
            description,
            catalog_text,
        })
    }

    /// The live set after deploying `revision` of `api_id` (or as it is, for `None`):
    /// (api id, state, revision, snapshot), by context.
    async fn plan(
        &self,
        group: &GatewayGroup,
        api: Option<(&str, i64)>,
    ) -> Result<Vec<(String, LifecycleState, i64, Snapshot)>> {
        let live: Vec<(String, i64, String)> = sqlx::query_as(
            "SELECT l.api_id, l.revision, a.state FROM group_live l JOIN apis a ON a.id = l.api_id WHERE l.group_name = $1",
        )
        .bind(&group.name)
        .fetch_all(&self.db.pool)
        .await?;
        let mut plan = Vec::new();
        for (id, rev, state) in live {
            let state: LifecycleState = state.parse().map_err(DomainError::Internal)?;
            if api.is_some_and(|(api_id, _)| id == api_id) || state == LifecycleState::Retired {
                continue;
            }
            plan.push((id.clone(), state, rev, revisions::snapshot(&self.db, &id, rev).await?));
        }
        let Some((api_id, revision)) = api else {
            plan.sort_by(|a, b| a.3.context.cmp(&b.3.context));
            return Ok(plan);
        };
        let row = apis::load(&self.db, api_id).await?;
        let state = match row.state()? {
            // A prototype is deployed as a prototype (answered from its examples); a new API is
            // published by its first approved deployment.
            LifecycleState::Created => LifecycleState::Published,
            LifecycleState::Retired => {
                return Err(DomainError::Conflict(format!("{} {} is retired", row.name, row.version)));
            }
            other => other,
        };
        let snapshot = revisions::snapshot(&self.db, api_id, revision).await?;
        if let Some((other, ..)) = plan.iter().find(|(_, _, _, s)| s.context == snapshot.context) {
            return Err(DomainError::Conflict(format!(
                "context {} is already served in this group by API {other}",
                snapshot.context
            )));
        }
        plan.push((api_id.to_string(), state, revision, snapshot));
        plan.sort_by(|a, b| a.3.context.cmp(&b.3.context));
        Ok(plan)
    }

    /// Make a committed release current: the group's bundle, the deployment's status and, for
    /// an API, what is live of it (publishing it if it was only CREATED) — in one transaction.
    async fn record_release(
        &self,
        actor: &Actor,
        group: &str,
        change: &Change<'_>,
        id: &str,
        release: &Release,
        steps: &str,
    ) -> Result<()> {
        let now = now_ms();
        let api = match change.api() {
            Some((api_id, revision)) => Some((apis::load(&self.db, api_id).await?, revision)),
            None => None,
        };
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "INSERT INTO group_bundles (group_name, version, sha, bundle, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (group_name) DO UPDATE SET version = excluded.version, sha = excluded.sha, bundle = excluded.bundle, updated_at = excluded.updated_at",
        )
        .bind(group)
        .bind(&release.version)
        .bind(&release.bundle_sha)
        .bind(&release.bundle_text)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE deployments SET status = 'committed', tag = $1, commit_sha = $2, steps = $3, finished_at = $4 WHERE id = $5")
            .bind(&release.tag)
            .bind(&release.commit)
            .bind(steps)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let Some((row, revision)) = api else {
            tx.commit().await?;
            let what = match change {
                Change::Settings { what, .. } => what.as_str(),
                Change::Api { .. } => "",
            };
            let detail = format!("settings to {group} as {}: {what}", release.tag);
            return audit::record(&self.db, &actor.email, "deployment.committed", group, &detail).await;
        };
        sqlx::query(
            "INSERT INTO group_live (group_name, api_id, revision, deployment_id, scopes, description) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (group_name, api_id) DO UPDATE SET revision = excluded.revision, deployment_id = excluded.deployment_id, \
             scopes = excluded.scopes, description = excluded.description",
        )
        .bind(group)
        .bind(&row.id)
        .bind(revision)
        .bind(id)
        .bind(serde_json::to_string(&release.scopes).unwrap_or_else(|_| "[]".into()))
        .bind(&release.description)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE apis SET catalog_text = $1 WHERE id = $2")
            .bind(&release.catalog_text)
            .bind(&row.id)
            .execute(&mut *tx)
            .await?;
        let published =
            sqlx::query("UPDATE apis SET state = 'PUBLISHED', updated_at = $1 WHERE id = $2 AND state = 'CREATED'")
                .bind(now)
                .bind(&row.id)
                .execute(&mut *tx)
                .await?;
        if published.rows_affected() > 0 {
            // Told like a publisher's publish, so a pipeline that follows lifecycle changes
            // does not miss the most common one.
            let published = Announced::of(&row).served_by(group);
            let transition = (LifecycleState::Created, LifecycleState::Published);
            published.enqueue(&mut tx, actor, transition, "first approved deployment").await?;
        }
        tx.commit().await?;
        let target = format!("{} {}", row.name, row.version);
        audit::record(
            &self.db,
            &actor.email,
            "deployment.committed",
            &target,
            &format!("revision {revision} to {group} as {}", release.tag),
        )
        .await?;
        if published.rows_affected() > 0 {
            audit::record(&self.db, &actor.email, "api.lifecycle", &target, "→ PUBLISHED: first approved deployment")
                .await?;
        }
        Ok(())
    }

    pub async fn deployment(&self, id: &str) -> Result<Deployment> {
        let row: DeploymentRow = sqlx::query_as(&format!(
            "SELECT {DEPLOYMENT_COLUMNS} FROM deployments d LEFT JOIN apis a ON a.id = d.api_id WHERE d.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or_else(|| DomainError::NotFound(format!("deployment {id}")))?;
        let (live_on, gateways) = self.live_on(&row.group_name, &row.tag, row.api_id.as_deref()).await?;
        Ok(row.into_deployment(live_on, gateways, self.remote.as_ref().map(Remote::shown)))
    }

    /// Deployments, newest first, optionally of one group and/or one API.
    pub async fn deployments(&self, group: Option<&str>, api_id: Option<&str>) -> Result<Vec<Deployment>> {
        let rows: Vec<DeploymentRow> = sqlx::query_as(&format!(
            "SELECT {DEPLOYMENT_COLUMNS} FROM deployments d LEFT JOIN apis a ON a.id = d.api_id WHERE ($1 = '' OR d.group_name = $1) \
             AND ($2 = '' OR d.api_id = $2) ORDER BY d.created_at DESC, d.id DESC LIMIT 200"
        ))
        .bind(group.unwrap_or(""))
        .bind(api_id.unwrap_or(""))
        .fetch_all(&self.db.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let (live_on, gateways) = self.live_on(&row.group_name, &row.tag, row.api_id.as_deref()).await?;
            out.push(row.into_deployment(live_on, gateways, self.remote.as_ref().map(Remote::shown)));
        }
        Ok(out)
    }

    /// "Live on N of M" for a release tag (`group-v1.2.0`), from the gateways' heartbeats.
    async fn live_on(&self, group: &str, tag: &str, api: Option<&str>) -> Result<(u32, u32)> {
        match tag.strip_prefix(&gatehouse_contract::release_tag(group, "")) {
            Some(version) => crate::gateways::live_on(&self.db, group, version, api).await,
            None => Ok((0, 0)),
        }
    }

    /// The ingress table across groups, from each group's current bundle.
    pub async fn routing(&self) -> Result<Vec<gatehouse_contract::Route>> {
        let mut rows = Vec::new();
        for summary in groups::list(&self.db).await? {
            if let Some((_, _, text)) = self.current_bundle(&summary.group.name).await? {
                let bundle: gatehouse_contract::Bundle =
                    serde_json::from_str(&text).map_err(|e| DomainError::Internal(format!("stored bundle: {e}")))?;
                for (host, context, service) in manifests::routes(&summary.group, &bundle) {
                    // The group's gateway, or in private-jet mode the one of the API at this context.
                    let api = bundle.apis.iter().find(|a| a.context == context).map(|a| a.id.as_str());
                    let live = summary.apis.iter().find(|a| Some(a.api_id.as_str()) == api);
                    let local_url = match live.and_then(|a| a.local_port) {
                        Some(port) => format!("http://127.0.0.1:{port}{context}"),
                        None => String::new(),
                    };
                    rows.push(gatehouse_contract::Route {
                        host,
                        context,
                        group: summary.group.name.clone(),
                        service,
                        local_url,
                    });
                }
            }
        }
        rows.sort_by(|a, b| (&a.host, &a.context).cmp(&(&b.host, &b.context)));
        Ok(rows)
    }

    /// A group's current bundle (version, sha, JSON), if it has been deployed.
    pub async fn current_bundle(&self, group: &str) -> Result<Option<(String, String, String)>> {
        Ok(sqlx::query_as("SELECT version, sha, bundle FROM group_bundles WHERE group_name = $1")
            .bind(group)
            .fetch_optional(&self.db.pool)
            .await?)
    }
}

/// A snapshot with nothing in it, to diff a first deployment against.
fn empty_like(s: &Snapshot) -> Snapshot {
    Snapshot {
        document: serde_json::json!({}),
        model: Default::default(),
        endpoints: Default::default(),
        policies: gatehouse_contract::Policies { security: vec![], tiers: vec![], ..Default::default() },
        source: String::new(),
        docs: s.docs.as_ref().map(|_| Vec::new()),
        ..s.clone()
    }
}

/// Close a pending approval request as `status` (approved or rejected) and announce it
/// (`approval.decided`: the outcome, the comment, who asked and who decided, so a chat bridge
/// can tell the requester), on `conn` — inside the caller's transaction, so the request closes
/// with what closed it: a publisher's decision, or a subscription request withdrawn by its
/// consumer or closed by a suspension. False when the request was no longer pending.
pub(crate) async fn close_request(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    approval_id: &str,
    status: &str,
    comment: &str,
) -> Result<bool> {
    #[derive(sqlx::FromRow)]
    struct Request {
        kind: String,
        api_id: String,
        revision: i64,
        group_name: String,
        subscription_id: Option<String>,
        name: String,
        version: String,
        requester: String,
    }
    // Closing only a request still pending tells, in the same statement, whether someone else
    // decided it meanwhile.
    let closed = sqlx::query("UPDATE approvals SET status = $1, decided_by = $2, decided_at = $3, comment = $4 WHERE id = $5 AND status = 'pending'")
        .bind(status)
        .bind(&actor.user_id)
        .bind(now_ms())
        .bind(comment.trim())
        .bind(approval_id)
        .execute(&mut *conn)
        .await?;
    if closed.rows_affected() == 0 {
        return Ok(false);
    }
    let r: Request = sqlx::query_as(
        "SELECT r.kind, r.api_id, r.revision, r.group_name, r.subscription_id, a.name, a.version, \
         COALESCE(u.email, '') AS requester FROM approvals r JOIN apis a ON a.id = r.api_id \
         LEFT JOIN users u ON u.id = r.requested_by WHERE r.id = $1",
    )
    .bind(approval_id)
    .fetch_one(&mut *conn)
    .await?;
    let payload = serde_json::json!({
        "event": WebhookEvent::ApprovalDecided, "approval": approval_id, "kind": r.kind, "outcome": status,
        "api_id": r.api_id, "name": r.name, "version": r.version, "group": r.group_name,
        "revision": (r.kind == "revision").then_some(r.revision), "subscription": r.subscription_id,
        "requested_by": r.requester, "decided_by": actor.email, "comment": comment.trim(),
    });
    webhooks::enqueue_on(conn, approval_id, WebhookEvent::ApprovalDecided, Some(&r.group_name), &payload).await?;
    Ok(true)
}

/// What a settings release changed, for its webhook payloads (`null` for an API's release).
fn settings_changed(change: &Change) -> Option<String> {
    match change {
        Change::Settings { what, .. } => Some(what.clone()),
        Change::Api { .. } => None,
    }
}

/// "1 API", "3 APIs", for the deployment's step details.
fn count_apis(n: usize) -> String {
    format!("{n} {}", if n == 1 { "API" } else { "APIs" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_follow_the_bump_rule() {
        let added = ApiDiff { operations_added: vec!["GET /x".into()], ..Default::default() };
        let removed = ApiDiff { operations_removed: vec!["GET /x".into()], ..Default::default() };
        let endpoints = ApiDiff { endpoints: vec!["production changed".into()], ..Default::default() };
        assert_eq!(next_version(None, None), (1, 0, 0));
        assert_eq!(next_version(Some((1, 0, 0)), None), (1, 1, 0), "a new API in the group is a minor release");
        assert_eq!(next_version(Some((1, 1, 0)), Some(&added)), (1, 2, 0));
        assert_eq!(next_version(Some((1, 2, 0)), Some(&removed)), (2, 0, 0));
        assert_eq!(next_version(Some((2, 0, 0)), Some(&endpoints)), (2, 0, 1));
        assert_eq!(parse_version("food-apis-v1.12.3"), Some((1, 12, 3)));
    }
}
