//! `gatehouse approval`: submit a revision for review, list, approve and reject requests.

use super::deploy::{print_deployment, wait_until_live};
use crate::http::api::deploy::Created;
use crate::remote::{Remote, RemoteError};
use clap::Subcommand;
use gatehouse_contract::{Approval, ApprovalOutcome};

#[derive(Subcommand, Debug)]
pub enum ApprovalCommand {
    /// Ask for a revision to be deployed to the API's gateway group.
    Submit {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
        /// The revision's number (`POST /api/v1/apis/{id}/revisions` prints it).
        #[arg(long)]
        revision: i64,
        /// What the reviewer should know.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// List requests (default: pending ones).
    List {
        /// pending, approved or rejected.
        #[arg(long, default_value = "pending")]
        status: String,
    },
    /// Approve a request: its revision is deployed.
    Approve {
        /// The request's id (`approval submit` prints it).
        #[arg(long)]
        id: String,
        /// Shown to the creator and in the audit log.
        #[arg(long, default_value = "")]
        comment: String,
        /// Wait up to this many seconds for the group's gateways to serve the deployment;
        /// fail if they do not.
        #[arg(long, value_name = "SECONDS")]
        wait: Option<u64>,
    },
    /// Reject a request, saying why.
    Reject {
        /// The request's id.
        #[arg(long)]
        id: String,
        /// Why: shown to the creator.
        #[arg(long)]
        comment: String,
    },
}

pub async fn run(remote: &Remote, command: ApprovalCommand) -> Result<(), RemoteError> {
    match command {
        ApprovalCommand::Submit { name, version, revision, note } => {
            let api = remote.find(&name, &version).await?;
            let body = serde_json::json!({ "api_id": api.id, "revision": revision, "note": note });
            let created: Created = remote.post("/approvals", &body).await?;
            // Only the id on stdout, so scripts can capture it: `REQUEST=$(gatehouse approval submit …)`.
            println!("{}", created.id);
            eprintln!("revision {revision} of {name} {version} submitted for review");
        }
        ApprovalCommand::List { status } => {
            let requests: Vec<Approval> = remote.get_with("/approvals", &[("status", status.as_str())]).await?;
            for a in &requests {
                // A revision request names its revision and group; a subscription request its tier.
                let what = match &a.subscription {
                    Some(subscription) => format!("tier {}", subscription.tier_label()),
                    None => format!("rev {} → {}", a.revision, a.group),
                };
                println!(
                    "{:<38} {:<12} {:<20} {:<8} {:<22} by {}",
                    a.id, a.kind, a.api_name, a.api_version, what, a.requested_by
                );
            }
        }
        ApprovalCommand::Approve { id, comment, wait } => {
            let decided: ApprovalOutcome =
                remote.post(&format!("/approvals/{id}/approve"), &serde_json::json!({ "comment": comment })).await?;
            if let Some(deployment) = decided.deployment {
                print_deployment(&deployment);
                if let Some(seconds) = wait {
                    wait_until_live(remote, &deployment, seconds).await?;
                }
            } else if let Some(s) = decided.subscription {
                println!("approved: {} subscribes to {} with tier {}", s.application_name, s.api_name, s.tier);
            }
        }
        ApprovalCommand::Reject { id, comment } => {
            remote
                .post_no_content(&format!("/approvals/{id}/reject"), &serde_json::json!({ "comment": comment }))
                .await?;
            println!("rejected");
        }
    }
    Ok(())
}
