//! `gatehouse group`: gateway groups, created and listed as a publisher's pipeline does.

use crate::remote::{Remote, RemoteError};
use clap::Subcommand;
use gatehouse_contract::{GatewayGroup, GroupSummary};

#[derive(Subcommand, Debug)]
pub enum GroupCommand {
    /// Create a gateway group (a publisher's or an admin's).
    Create {
        /// A git branch and Kubernetes name: lower-case letters, digits and `-`.
        #[arg(long)]
        name: String,
        /// The Ingress host its APIs are reached on, e.g. food.example.com.
        #[arg(long)]
        host: String,
        /// shared, private-jet or sidecar.
        #[arg(long, default_value = "shared")]
        mode: String,
        /// functional or regional.
        #[arg(long, default_value = "functional")]
        kind: String,
        /// A region or datacenter label; repeat for more.
        #[arg(long = "region")]
        regions: Vec<String>,
        /// Port of the group's local gateway (default: the next free one from 8081).
        #[arg(long)]
        port: Option<u16>,
    },
    /// List the gateway groups with their newest release and their APIs.
    List,
}

pub async fn run(remote: &Remote, command: GroupCommand) -> Result<(), RemoteError> {
    match command {
        GroupCommand::Create { name, host, mode, kind, regions, port } => {
            let body = serde_json::json!({ "name": name, "host": host, "mode": mode, "kind": kind,
                                           "regions": regions, "port": port });
            let group: GatewayGroup = remote.post("/gateway-groups", &body).await?;
            println!(
                "created the gateway group {} ({}, {}); its local gateway serves on port {}",
                group.name,
                group.mode.as_str(),
                group.kind.as_str(),
                group.port.map(|p| p.to_string()).unwrap_or_else(|| "(none)".into())
            );
        }
        GroupCommand::List => {
            let groups: Vec<GroupSummary> = remote.get("/gateway-groups").await?;
            println!(
                "{:<20} {:<11} {:<12} {:<28} {:<6} {:<24} APIS",
                "NAME", "MODE", "KIND", "HOST", "PORT", "RELEASE"
            );
            for GroupSummary { group, apis, tag } in groups {
                let apis: Vec<String> = apis.iter().map(|a| format!("{} {}", a.name, a.version)).collect();
                println!(
                    "{:<20} {:<11} {:<12} {:<28} {:<6} {:<24} {}",
                    group.name,
                    group.mode.as_str(),
                    group.kind.as_str(),
                    group.host,
                    group.port.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
                    tag.as_deref().unwrap_or("-"),
                    apis.join(", ")
                );
            }
        }
    }
    Ok(())
}
