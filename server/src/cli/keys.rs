//! `gatehouse keys`: credentials for calling an API through its gateway (apictl's `get keys`).

use crate::remote::{Remote, RemoteError};
use clap::Subcommand;
use gatehouse_contract::{Application, NewClientSecret, PortalApi, SubscriptionStatus};

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Print an access token for an API: an application of yours (made when missing) is
    /// subscribed with a tier the API offers, gets a new client secret for the key type (the
    /// old one stops working), and exchanges it at `/oauth2/token`.
    Get {
        /// The API's name.
        #[arg(long, short = 'n')]
        name: String,
        /// The API's version.
        #[arg(long, short = 'v')]
        version: String,
        /// The application to use; keep it for this purpose, as its secret is replaced.
        #[arg(long, default_value = "gatehouse-cli")]
        app: String,
        /// The tier to subscribe with (default: the first the API offers without approval).
        #[arg(long)]
        tier: Option<String>,
        /// production or sandbox.
        #[arg(long, default_value = "production")]
        key_type: String,
        /// Only these OAuth2 scopes, separated by spaces (default: every scope of the APIs the
        /// application subscribes to).
        #[arg(long)]
        scope: Option<String>,
    },
}

pub async fn run(remote: &Remote, command: KeysCommand) -> Result<(), RemoteError> {
    let KeysCommand::Get { name, version, app, tier, key_type, scope } = command;
    let api = remote.find_in_portal(&name, &version).await?;
    let applications: Vec<Application> = remote.get("/applications").await?;
    let application = match applications.into_iter().find(|a| a.name == app) {
        Some(application) => application,
        None => {
            let body = serde_json::json!({ "name": app, "description": "Made by `gatehouse keys get`." });
            remote.post("/applications", &body).await?
        }
    };
    let subscription = match application.subscriptions.iter().find(|s| s.api_id == api.id) {
        Some(subscription) => subscription.clone(),
        None => {
            let tier = match tier {
                Some(tier) => tier,
                None => {
                    let page: PortalApi = remote.get(&format!("/portal/apis/{}", api.id)).await?;
                    page.tiers.into_iter().find(|t| !t.needs_approval).map(|t| t.name).ok_or_else(|| {
                        RemoteError::Usage(format!(
                            "{name} {version} offers no tier without approval: choose one with --tier"
                        ))
                    })?
                }
            };
            let body = serde_json::json!({ "application_id": application.id, "api_id": api.id, "tier": tier });
            remote.post("/subscriptions", &body).await?
        }
    };
    if subscription.status != SubscriptionStatus::Active {
        return Err(RemoteError::Usage(format!(
            "{app}'s subscription to {name} {version} is {}: no token can call it yet",
            subscription.status.label()
        )));
    }
    let credentials = format!("/applications/{}/credentials", application.id);
    let client: NewClientSecret = remote.post(&credentials, &serde_json::json!({ "key_type": key_type })).await?;
    let token = remote.access_token(&client.client_id, &client.client_secret, scope.as_deref()).await?;
    // Only the token on stdout, so scripts can capture it: `ACCESS=$(gatehouse keys get …)`.
    println!("{}", token.access_token);
    let scopes = token.scope.map(|s| format!(", scopes {s}")).unwrap_or_default();
    eprintln!(
        "{key_type} token of {app} (tier {}{scopes}) for {name} {version}; expires in {} s",
        subscription.tier, token.expires_in
    );
    Ok(())
}
