//! `gatehouse webhook`: where events are announced, set up and checked from a script (admins).

use super::audit::rfc3339;
use super::table::Table;
use crate::remote::{Remote, RemoteError};
use clap::Subcommand;
use gatehouse_contract::{NewWebhook, Webhook, WebhookDelivery};

#[derive(Subcommand, Debug)]
pub enum WebhookCommand {
    /// Every webhook and the events it hears.
    List,
    /// Add a webhook; prints its signing secret, shown only now.
    Create {
        #[arg(long)]
        url: String,
        /// An event it hears (repeat the flag); every event without it. One of
        /// deployment.committed, deployment.failed, deployment.pushed, api.lifecycle,
        /// approval.requested, approval.decided, alert.fired, alert.resolved.
        #[arg(long = "event")]
        events: Vec<String>,
        /// A gateway group whose events it hears (repeat the flag); without it, every group's
        /// and those that concern no group.
        #[arg(long = "group")]
        groups: Vec<String>,
    },
    /// Remove a webhook and its deliveries.
    Delete {
        #[arg(long)]
        id: String,
    },
    /// Send a test `ping` to one webhook (see its outcome with `deliveries`).
    Ping {
        #[arg(long)]
        id: String,
    },
    /// Recent deliveries and how they went, newest first.
    Deliveries {
        /// Only this webhook's.
        #[arg(long)]
        id: Option<String>,
        /// Only those pending, delivered or failed.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Send a delivered or failed delivery's payload again.
    Redeliver {
        #[arg(long)]
        id: String,
    },
}

pub async fn run(remote: &Remote, command: WebhookCommand) -> Result<(), RemoteError> {
    match command {
        WebhookCommand::List => {
            let hooks: Vec<Webhook> = remote.get("/webhooks").await?;
            let mut table = Table::new(["ID", "URL", "HEARS"]);
            for h in hooks {
                let hears = format!("{} of {}", h.hears_label(), h.groups_label());
                table.row([h.id, h.url, hears]);
            }
            print!("{table}");
        }
        WebhookCommand::Create { url, events, groups } => {
            let hook: NewWebhook = remote
                .post("/webhooks", &serde_json::json!({ "url": url, "events": events, "groups": groups }))
                .await?;
            println!("added webhook {} for {}", hook.id, hook.url);
            println!("signing secret (shown only now): {}", hook.secret);
        }
        WebhookCommand::Delete { id } => {
            remote.delete(&format!("/webhooks/{id}")).await?;
            println!("removed webhook {id}");
        }
        WebhookCommand::Ping { id } => {
            let delivery: WebhookDelivery =
                remote.post(&format!("/webhooks/{id}/ping"), &serde_json::json!({})).await?;
            println!("ping queued as delivery {}", delivery.id);
        }
        WebhookCommand::Deliveries { id, status, limit } => {
            let limit = limit.to_string();
            let mut query = vec![("limit", limit.as_str())];
            query.extend(id.as_deref().map(|id| ("webhook", id)));
            query.extend(status.as_deref().map(|s| ("status", s)));
            let deliveries: Vec<WebhookDelivery> = remote.get_with("/webhooks/deliveries", &query).await?;
            let mut table = Table::new(["ID", "CREATED", "EVENT", "STATUS", "ATTEMPTS", "ANSWER"]);
            for d in deliveries {
                let answer = d.last_status.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
                let created = rfc3339(d.created_at);
                let answer = format!("{answer} {}", d.last_error).trim_end().to_string();
                table.row([d.id, created, d.event, d.status, d.attempts.to_string(), answer]);
            }
            print!("{table}");
        }
        WebhookCommand::Redeliver { id } => {
            let delivery: WebhookDelivery =
                remote.post(&format!("/webhooks/deliveries/{id}/redeliver"), &serde_json::json!({})).await?;
            println!("sent again as delivery {}", delivery.id);
        }
    }
    Ok(())
}
