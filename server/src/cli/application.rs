//! `gatehouse application`: a consumer's applications, and the webhook through which one is
//! told what happens to its subscriptions — set up from the consumer's own deployment scripts.

use super::audit::rfc3339;
use super::table::Table;
use crate::remote::{Remote, RemoteError};
use clap::Subcommand;
use gatehouse_contract::{Application, ApplicationWebhook, NewClientSecret, NewWebhook, WebhookDelivery};

#[derive(Subcommand, Debug)]
pub enum ApplicationCommand {
    /// Your applications: their credentials, subscriptions and webhook.
    List,
    /// Create an application; its name must be new among yours.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// The application's OAuth2 client for a key type: created the first time, its secret
    /// regenerated after that. Prints the client id and the secret, shown only now.
    ClientSecret {
        /// The application, by name or id.
        #[arg(long = "app")]
        app: String,
        /// production or sandbox.
        #[arg(long, default_value = "production")]
        key_type: String,
        /// How long the secret it replaces keeps working beside it, in seconds (at most a
        /// week), while the software using it moves over; 0 stops it now.
        #[arg(long, default_value_t = 0)]
        keep_previous: u32,
    },
    /// An application's webhook: set, show, test or remove it.
    Webhook {
        /// The application, by name or id.
        #[arg(long = "app")]
        app: String,
        #[command(subcommand)]
        command: WebhookCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum WebhookCommand {
    /// Send the application's events to URL; prints the signing secret, shown only now.
    /// Setting it again replaces the URL and the secret.
    Set {
        #[arg(long)]
        url: String,
    },
    /// Where it sends, and its latest deliveries with how they went.
    Show,
    /// Send a test `ping` (see its outcome with `show`).
    Ping,
    /// Stop sending; its deliveries go with it.
    Remove,
}

pub async fn run(remote: &Remote, command: ApplicationCommand) -> Result<(), RemoteError> {
    match command {
        ApplicationCommand::List => {
            let applications: Vec<Application> = remote.get("/applications").await?;
            let mut table = Table::new(["ID", "NAME", "CREDENTIALS", "SUBSCRIPTIONS", "WEBHOOK"]);
            for a in applications {
                let webhook = a.webhook.map(|h| h.url).unwrap_or_else(|| "-".into());
                let subscriptions = a.subscriptions.len().to_string();
                table.row([a.id, a.name, a.credentials.len().to_string(), subscriptions, webhook]);
            }
            print!("{table}");
        }
        ApplicationCommand::Create { name, description } => {
            let body = serde_json::json!({ "name": name, "description": description });
            let application: Application = remote.post("/applications", &body).await?;
            println!("created application {} ({})", application.name, application.id);
        }
        ApplicationCommand::ClientSecret { app, key_type, keep_previous } => {
            let application = find(remote, &app).await?;
            let body = serde_json::json!({ "key_type": key_type, "keep_previous_seconds": keep_previous });
            let path = format!("/applications/{}/credentials", application.id);
            let client: NewClientSecret = remote.post(&path, &body).await?;
            println!("{} {} client id: {}", application.name, client.key_type, client.client_id);
            println!("client secret (shown only now): {}", client.client_secret);
            if let Some(until) = client.previous_secret_until {
                println!("the previous secret works until {}", rfc3339(until));
            }
        }
        ApplicationCommand::Webhook { app, command } => {
            let application = find(remote, &app).await?;
            let path = format!("/applications/{}/webhook", application.id);
            match command {
                WebhookCommand::Set { url } => {
                    let hook: NewWebhook = remote.put(&path, &serde_json::json!({ "url": url })).await?;
                    println!("{}'s events go to {}", application.name, hook.url);
                    println!("signing secret (shown only now): {}", hook.secret);
                }
                WebhookCommand::Show => {
                    let hook: ApplicationWebhook = remote.get(&path).await?;
                    println!("{}'s events go to {} (since {})", application.name, hook.url, rfc3339(hook.created_at));
                    print!("{}", deliveries(hook.deliveries));
                }
                WebhookCommand::Ping => {
                    let delivery: WebhookDelivery =
                        remote.post(&format!("{path}/ping"), &serde_json::json!({})).await?;
                    println!("ping queued as delivery {}", delivery.id);
                }
                WebhookCommand::Remove => {
                    remote.delete(&path).await?;
                    println!("{} has no webhook any more", application.name);
                }
            }
        }
    }
    Ok(())
}

/// One of the caller's applications, named as the portal shows it or by id.
async fn find(remote: &Remote, app: &str) -> Result<Application, RemoteError> {
    let applications: Vec<Application> = remote.get("/applications").await?;
    applications
        .into_iter()
        .find(|a| a.name == app || a.id == app)
        .ok_or_else(|| RemoteError::Usage(format!("you have no application {app}")))
}

fn deliveries(deliveries: Vec<WebhookDelivery>) -> Table {
    let mut table = Table::new(["ID", "CREATED", "EVENT", "STATUS", "ATTEMPTS", "ANSWER"]);
    for d in deliveries {
        let answer = Some(d.last_answer()).filter(|a| !a.is_empty()).unwrap_or_else(|| "-".into());
        let created = rfc3339(d.created_at);
        table.row([d.id, created, d.event, d.status, d.attempts.to_string(), answer]);
    }
    table
}
