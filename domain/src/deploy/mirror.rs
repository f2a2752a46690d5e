//! Releases pushed to a GitOps remote. Deployments commit to a repository on the server's disk;
//! with a remote configured (`GATEHOUSE_GITOPS_REMOTE`) its branches and tags are pushed to the
//! Git host that Argo CD or Flux watch. A push follows each deployment and, when it fails (the
//! host is down, a credential expired, someone moved the branch there), is tried again with
//! backoff. A deployment never waits for the push or fails by it: the release is committed and
//! the local gateways serve it either way; the page shows what has not reached the remote yet.

use super::Deployer;
use super::gitops::{Pushed, Remote};
use super::webhooks;
use crate::store::now_ms;
use crate::{Actor, DomainError, Result, audit};
use gatehouse_contract::{GitOpsStatus, Permission, WebhookEvent};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// A committed deployment that is not on the remote yet.
#[derive(sqlx::FromRow)]
struct Waiting {
    id: String,
    group_name: String,
    tag: String,
    commit_sha: String,
}

impl Waiting {
    /// On the remote when both its branch (which only ever moves forward from its commit) and
    /// its tag are.
    fn arrived(&self, pushed: &Pushed) -> bool {
        pushed.on_remote.contains(&format!("refs/heads/{}", self.group_name))
            && pushed.on_remote.contains(&format!("refs/tags/{}", self.tag))
    }
}

/// The wait before trying again after `failures` failed pushes in a row: 5 s, doubling, at most
/// 5 minutes — a Git host that is down is not hammered, and one that is back is soon used.
pub fn retry_after(failures: u32) -> Duration {
    Duration::from_secs((5u64 << failures.saturating_sub(1).min(6)).min(300))
}

impl Deployer {
    /// The repository, the remote and how pushing to it goes.
    pub async fn gitops_status(&self, actor: &Actor) -> Result<GitOpsStatus> {
        actor.require(Permission::DesignApis)?;
        self.mirror_status().await
    }

    async fn mirror_status(&self) -> Result<GitOpsStatus> {
        let repository = self.git.path().display().to_string();
        let Some(remote) = &self.remote else {
            return Ok(GitOpsStatus { repository, ..Default::default() });
        };
        let waiting = self.waiting(remote).await?.into_iter().map(|w| w.tag).collect();
        let row: Option<(Option<i64>, Option<i64>, String, i64)> = sqlx::query_as(
            "SELECT last_attempt_at, last_pushed_at, last_error, failures FROM gitops_remotes WHERE remote = $1",
        )
        .bind(remote.shown())
        .fetch_optional(&self.db.pool)
        .await?;
        let (last_attempt_at, last_pushed_at, last_error, failures) = row.unwrap_or((None, None, String::new(), 0));
        Ok(GitOpsStatus {
            repository,
            remote: Some(remote.shown().to_string()),
            waiting,
            last_pushed_at,
            last_attempt_at,
            last_error,
            failures,
        })
    }

    /// Committed deployments not yet on `remote`, oldest first.
    async fn waiting(&self, remote: &Remote) -> Result<Vec<Waiting>> {
        Ok(sqlx::query_as(
            "SELECT id, group_name, tag, commit_sha FROM deployments WHERE status = 'committed' AND pushed_to <> $1 \
             ORDER BY finished_at, id",
        )
        .bind(remote.shown())
        .fetch_all(&self.db.pool)
        .await?)
    }

    /// A publisher's *Push now*: push at once instead of at the next retry. Fails (502) with
    /// what the remote said when the push does not go through.
    pub async fn push_now(&self, actor: &Actor) -> Result<GitOpsStatus> {
        actor.require(Permission::ReviewApis)?;
        let Some(remote) = &self.remote else {
            return Err(DomainError::Conflict(
                "no GitOps remote is configured: start the server with GATEHOUSE_GITOPS_REMOTE (or --gitops-remote)"
                    .into(),
            ));
        };
        let pushed = self.push_releases().await;
        let detail = match &pushed {
            Ok(tags) if tags.is_empty() => "nothing was waiting".to_string(),
            Ok(tags) => tags.join(", "),
            Err(e) => e.to_string(),
        };
        audit::record(&self.db, &actor.email, "gitops.pushed", remote.shown(), &detail).await?;
        pushed?;
        self.mirror_status().await
    }

    /// Push the repository to the remote and record which releases are there now: their
    /// deployments are marked, and a `deployment.pushed` event names each group's newest
    /// release that arrived. Returns the tags that arrived; fails when any stayed behind.
    pub async fn push_releases(&self) -> Result<Vec<String>> {
        let Some(remote) = &self.remote else { return Ok(Vec::new()) };
        // One push at a time: the loop and a publisher's button would only race each other.
        let _one_at_a_time = self.push_lock.lock().await;
        // Read before pushing: every one of these is committed in git already, so the push
        // carries it; a deployment committed meanwhile waits for the next push.
        let waiting = self.waiting(remote).await?;
        let attempt = self.git.push(remote).await;
        let now = now_ms();
        let (arrived, failure): (Vec<&Waiting>, Option<DomainError>) = match attempt {
            Ok(pushed) => {
                let arrived = waiting.iter().filter(|w| w.arrived(&pushed)).collect();
                let refused = (!pushed.refused.is_empty()).then(|| {
                    DomainError::Upstream(format!(
                        "the remote {} refused {}; nothing is forced over what is there — bring it back in line \
                         with this repository (or point Gatehouse at another remote)",
                        remote.shown(),
                        pushed.refused.join("; ")
                    ))
                });
                (arrived, refused)
            }
            Err(e) => (Vec::new(), Some(e)),
        };
        let mut tx = self.db.begin().await?;
        for w in &arrived {
            sqlx::query("UPDATE deployments SET pushed_to = $1 WHERE id = $2")
                .bind(remote.shown())
                .bind(&w.id)
                .execute(&mut *tx)
                .await?;
        }
        let error = failure.as_ref().map(|e| e.to_string()).unwrap_or_default();
        sqlx::query(
            "INSERT INTO gitops_remotes (remote, last_attempt_at, last_pushed_at, last_error, failures) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (remote) DO UPDATE SET last_attempt_at = excluded.last_attempt_at, \
             last_pushed_at = COALESCE(excluded.last_pushed_at, gitops_remotes.last_pushed_at), \
             last_error = excluded.last_error, \
             failures = CASE WHEN excluded.failures = 0 THEN 0 ELSE gitops_remotes.failures + 1 END",
        )
        .bind(remote.shown())
        .bind(now)
        .bind(failure.is_none().then_some(now))
        .bind(&error)
        .bind(i64::from(failure.is_some()))
        .execute(&mut *tx)
        .await?;
        // What a CD pipeline acts on: where each group's branch now stands on the remote, one
        // event per group so that each group's webhooks hear of their own releases only.
        let mut newest: BTreeMap<&str, &Waiting> = BTreeMap::new();
        for w in &arrived {
            newest.insert(&w.group_name, w);
        }
        for w in newest.values() {
            let payload = serde_json::json!({
                "event": WebhookEvent::DeploymentPushed, "remote": remote.shown(), "group": w.group_name,
                "tag": w.tag, "commit": w.commit_sha, "deployment": w.id,
            });
            webhooks::enqueue_on(&mut tx, &w.id, WebhookEvent::DeploymentPushed, Some(&w.group_name), &payload).await?;
        }
        tx.commit().await?;
        match failure {
            Some(e) => {
                tracing::warn!(remote = remote.shown(), error = %e, "GitOps push failed");
                Err(e)
            }
            None => Ok(arrived.iter().map(|w| w.tag.clone()).collect()),
        }
    }

    /// Push after every deployment and retry failures with backoff, forever (spawned by the
    /// server when a remote is configured). Starts with a push, for releases committed while
    /// the server was down or the remote unreachable.
    pub async fn run_mirror(self: Arc<Self>) {
        let Some(remote) = &self.remote else { return };
        let mut failures = 0u32;
        loop {
            // Nothing waiting after a push that went through: nothing to say to the remote.
            let idle = failures == 0 && self.waiting(remote).await.is_ok_and(|w| w.is_empty());
            if !idle {
                match self.push_releases().await {
                    Ok(_) => failures = 0,
                    Err(_) => failures = failures.saturating_add(1),
                }
            }
            // A new deployment or a publisher's push wakes this early; otherwise a quiet
            // minute passes (or the backoff) before checking again.
            let wait = if failures == 0 { Duration::from_secs(60) } else { retry_after(failures) };
            let _ = tokio::time::timeout(wait, self.push_wanted.notified()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::retry_after;
    use std::time::Duration;

    #[test]
    fn retries_back_off_from_five_seconds_to_five_minutes() {
        let waits: Vec<u64> = (1..=9).map(|n| retry_after(n).as_secs()).collect();
        assert_eq!(waits, vec![5, 10, 20, 40, 80, 160, 300, 300, 300]);
        assert_eq!(retry_after(u32::MAX), Duration::from_secs(300));
    }
}
