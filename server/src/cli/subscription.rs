//! `gatehouse subscription`: who subscribes to an API, and a publisher suspending or resuming
//! one application's subscription.

use super::table::Table;
use crate::remote::{Remote, RemoteError};
use clap::Subcommand;
use gatehouse_contract::Subscription;

#[derive(Subcommand, Debug)]
pub enum SubscriptionCommand {
    /// List the applications subscribed to an API, with their owners (the API's owner,
    /// publishers and admins).
    List {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
    },
    /// Suspend a subscription (publishers, admins): the application's calls stop at the
    /// gateways, and its owner reads the reason.
    Suspend {
        /// The subscription's id, as `list` prints it.
        #[arg(long)]
        id: String,
        /// Why: the application's owner reads it.
        #[arg(long)]
        reason: String,
    },
    /// Resume a suspended subscription (publishers, admins).
    Resume {
        #[arg(long)]
        id: String,
    },
}

#[derive(serde::Deserialize)]
struct Listed {
    items: Vec<Subscription>,
}

pub async fn run(remote: &Remote, command: SubscriptionCommand) -> Result<(), RemoteError> {
    match command {
        SubscriptionCommand::List { name, version } => {
            let api = remote.find(&name, &version).await?;
            let listed: Listed = remote.get_with("/subscriptions", &[("api_id", &api.id)]).await?;
            let mut table = Table::new(["ID", "APPLICATION", "OWNER", "TIER", "STATUS"]);
            for s in listed.items {
                let why = if s.comment.is_empty() { String::new() } else { format!(" ({})", s.comment) };
                let tier = s.tier_label();
                table.row([s.id, s.application_name, s.consumer, tier, format!("{}{why}", s.status.label())]);
            }
            print!("{table}");
        }
        SubscriptionCommand::Suspend { id, reason } => {
            let body = serde_json::json!({ "reason": reason });
            let s: Subscription = remote.post(&format!("/subscriptions/{id}/suspend"), &body).await?;
            println!(
                "suspended {}'s subscription to {} {} ({}): {}",
                s.application_name, s.api_name, s.api_version, s.consumer, s.comment
            );
        }
        SubscriptionCommand::Resume { id } => {
            let s: Subscription = remote.post(&format!("/subscriptions/{id}/resume"), &serde_json::json!({})).await?;
            println!("resumed {}'s subscription to {} {}", s.application_name, s.api_name, s.api_version);
        }
    }
    Ok(())
}
