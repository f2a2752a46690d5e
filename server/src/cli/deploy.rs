//! `gatehouse deploy`: deployments' status and rollback, waiting until the gateways serve one,
//! and the GitOps remote releases are pushed to.

use super::audit::rfc3339;
use crate::remote::{Remote, RemoteError};
use clap::Subcommand;
use gatehouse_contract::{Deployment, DeploymentStatus, GitOpsStatus};
use std::time::Duration;

#[derive(Subcommand, Debug)]
pub enum DeployCommand {
    /// Recent deployments with their status and tag.
    Status {
        /// Only this gateway group.
        #[arg(long)]
        group: Option<String>,
    },
    /// Redeploy an earlier revision of an API in a group (a new release and tag).
    Rollback {
        /// The gateway group to redeploy in.
        #[arg(long)]
        group: String,
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
        /// The earlier revision to deploy again.
        #[arg(long)]
        revision: i64,
        /// Wait up to this many seconds for the group's gateways to serve it; fail if they do not.
        #[arg(long, value_name = "SECONDS")]
        wait: Option<u64>,
    },
    /// The GitOps repository, its remote, and the releases not on the remote yet.
    Gitops,
    /// Push the releases waiting for the GitOps remote now; fails with what the remote said.
    Push,
}

pub async fn run(remote: &Remote, command: DeployCommand) -> Result<(), RemoteError> {
    match command {
        DeployCommand::Status { group } => {
            let query: Vec<(&str, &str)> = group.as_deref().map(|group| ("group", group)).into_iter().collect();
            let list: Deployments = remote.get_with("/deployments", &query).await?;
            for d in &list.items {
                print_deployment(d);
            }
        }
        DeployCommand::Rollback { group, name, version, revision, wait } => {
            let api = remote.find(&name, &version).await?;
            let body = serde_json::json!({ "group": group, "api_id": api.id, "revision": revision });
            let deployment: Deployment = remote.post("/deployments/rollback", &body).await?;
            print_deployment(&deployment);
            if let Some(seconds) = wait {
                wait_until_live(remote, &deployment, seconds).await?;
            }
        }
        DeployCommand::Gitops => print_gitops(&remote.get("/gitops").await?),
        DeployCommand::Push => print_gitops(&remote.post("/gitops/push", &serde_json::json!({})).await?),
    }
    Ok(())
}

fn print_gitops(status: &GitOpsStatus) {
    println!("repository  {}", status.repository);
    let Some(remote) = &status.remote else {
        println!("remote      none (releases stay in the repository; set GATEHOUSE_GITOPS_REMOTE to push them)");
        return;
    };
    println!("remote      {remote}");
    if status.waiting.is_empty() {
        println!("waiting     none: the remote has every release");
    } else {
        println!("waiting     {}", status.waiting.join(", "));
    }
    if let Some(at) = status.last_pushed_at {
        println!("last push   {}", rfc3339(at));
    }
    if !status.last_error.is_empty() {
        println!("last error  {} ({} attempts failed in a row)", status.last_error, status.failures);
    }
}

/// Waits until every gateway of the deployment's group that reports serves it (at least one
/// must), so a pipeline's next step can call the API; fails when the deployment failed or the
/// time is up.
pub(super) async fn wait_until_live(remote: &Remote, deployment: &Deployment, seconds: u64) -> Result<(), RemoteError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        let now: Deployment = remote.get(&format!("/deployments/{}", deployment.id)).await?;
        let (live_on, gateways) = (now.live_on, now.gateways);
        match now.status {
            DeploymentStatus::Failed => {
                return Err(RemoteError::Usage(format!("deployment {} failed: {}", now.id, now.reason)));
            }
            _ if gateways > 0 && live_on == gateways => {
                println!("live on {live_on} of {gateways} gateways");
                return Ok(());
            }
            _ if tokio::time::Instant::now() >= deadline => {
                return Err(RemoteError::Usage(format!(
                    "deployment {} is live on {live_on} of {gateways} gateways after {seconds} s",
                    now.id
                )));
            }
            _ => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

pub(super) fn print_deployment(d: &Deployment) {
    let reason = if d.reason.is_empty() { String::new() } else { format!("  ({})", d.reason) };
    let pushed = match d.pushed {
        Some(true) => "  on the remote",
        Some(false) => "  not on the remote yet",
        None => "",
    };
    println!(
        "{:<38} {:<14} {:<30} {:<10} {:<22} live on {}/{}{pushed}{reason}",
        d.id,
        d.group,
        d.subject(),
        d.status.as_str(),
        d.tag,
        d.live_on,
        d.gateways
    );
}

/// What `GET /api/v1/deployments` answers.
#[derive(serde::Deserialize)]
struct Deployments {
    items: Vec<Deployment>,
}
