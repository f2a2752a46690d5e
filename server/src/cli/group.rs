//! `gatehouse group`: gateway groups, created and listed as a publisher's pipeline does.

use super::table::Table;
use crate::remote::{Remote, RemoteError};
use clap::Subcommand;
use gatehouse_contract::{DeploymentStatus, GatewayGroup, GroupMode, GroupSummary, GroupUpdate, NewGatewayCredential};

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
    /// Change a group's settings; what is not named stays. Once the group has a release, a change
    /// to its manifests is released (committed and tagged) at once.
    Update {
        /// The group to change (its name stays).
        #[arg(long)]
        name: String,
        /// A new Ingress host (a major release: clients call the APIs there).
        #[arg(long)]
        host: Option<String>,
        /// shared, private-jet or sidecar.
        #[arg(long)]
        mode: Option<String>,
        /// functional or regional.
        #[arg(long)]
        kind: Option<String>,
        /// The region or datacenter labels, replacing the group's; repeat for more;
        /// `--region ''` clears them.
        #[arg(long = "region")]
        regions: Vec<String>,
        /// Port of the group's local gateway.
        #[arg(long)]
        port: Option<u16>,
        /// Fewest replicas the autoscaler keeps.
        #[arg(long)]
        replicas_min: Option<u32>,
        /// Most replicas the autoscaler runs.
        #[arg(long)]
        replicas_max: Option<u32>,
        /// Average CPU utilisation (%) above which the autoscaler adds replicas.
        #[arg(long)]
        cpu_target: Option<u32>,
        /// The gateway container image.
        #[arg(long)]
        image: Option<String>,
        /// Wait up to this many seconds for the group's gateways to serve the release.
        #[arg(long, value_name = "SECONDS")]
        wait: Option<u64>,
    },
    /// List the gateway groups with their newest release and their APIs.
    List,
    /// A credential for the group's gateways run elsewhere (a cluster): prints the token, shown
    /// only now, and the `kubectl` command that puts it in the Secret the group's manifests read.
    Credential {
        /// The group.
        #[arg(long)]
        name: String,
    },
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
        GroupCommand::Update {
            name,
            host,
            mode,
            kind,
            regions,
            port,
            replicas_min,
            replicas_max,
            cpu_target,
            image,
            wait,
        } => {
            let path = format!("/gateway-groups/{name}");
            // The group as stored, with the named settings replaced: the server checks the whole.
            let mut body: serde_json::Value = remote.get(&path).await?;
            let changes = [
                ("host", host.map(serde_json::Value::from)),
                ("mode", mode.map(serde_json::Value::from)),
                ("kind", kind.map(serde_json::Value::from)),
                // Named at all, they replace the group's: `--region ''` leaves none.
                (
                    "regions",
                    (!regions.is_empty()).then(|| {
                        serde_json::Value::from(
                            regions.into_iter().filter(|r| !r.trim().is_empty()).collect::<Vec<_>>(),
                        )
                    }),
                ),
                ("port", port.map(serde_json::Value::from)),
                ("replicas_min", replicas_min.map(serde_json::Value::from)),
                ("replicas_max", replicas_max.map(serde_json::Value::from)),
                ("cpu_target", cpu_target.map(serde_json::Value::from)),
                ("image", image.map(serde_json::Value::from)),
            ];
            for (field, value) in changes {
                if let Some(value) = value {
                    body[field] = value;
                }
            }
            let updated: GroupUpdate = remote.put(&path, &body).await?;
            match &updated.release {
                None => println!("updated the gateway group {name}; nothing to release"),
                Some(release) => {
                    println!("updated the gateway group {name}");
                    super::deploy::print_deployment(release);
                    if release.status == DeploymentStatus::Failed {
                        return Err(RemoteError::Usage(format!("releasing the settings failed: {}", release.reason)));
                    }
                    if let Some(seconds) = wait {
                        super::deploy::wait_until_live(remote, release, seconds).await?;
                    }
                }
            }
        }
        GroupCommand::Credential { name } => {
            let credential: NewGatewayCredential =
                remote.post(&format!("/gateway-groups/{name}/credentials"), &serde_json::json!({})).await?;
            println!("gateway credential (shown only now): {}", credential.token);
            println!("for the group's cluster: {}", credential.kubernetes_secret);
        }
        GroupCommand::List => {
            let groups: Vec<GroupSummary> = remote.get("/gateway-groups").await?;
            let mut table = Table::new(["NAME", "MODE", "KIND", "HOST", "PORT", "RELEASE", "APIS"]);
            for GroupSummary { group, apis, tag, local_problems, .. } in groups {
                // A private-jet API is served locally on a port of its own, not the group's.
                let served: Vec<String> = apis
                    .iter()
                    .map(|a| match a.local_port {
                        Some(port) if group.mode == GroupMode::PrivateJet => {
                            format!("{} {} (:{port})", a.name, a.version)
                        }
                        _ => format!("{} {}", a.name, a.version),
                    })
                    .collect();
                let kind = match group.regions.is_empty() {
                    true => group.kind.as_str().to_string(),
                    false => format!("{} ({})", group.kind.as_str(), group.regions.join(", ")),
                };
                table.row([
                    group.name,
                    group.mode.as_str().into(),
                    kind,
                    group.host,
                    group.port.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
                    tag.unwrap_or_else(|| "-".into()),
                    served.join(", "),
                ]);
                for p in local_problems {
                    let whose = match apis.iter().find(|a| a.api_id == p.api_id) {
                        Some(a) => format!(" ({} {})", a.name, a.version),
                        None => String::new(),
                    };
                    table.note(format!("not serving on this machine{whose}: {}", p.problem));
                }
            }
            print!("{table}");
        }
    }
    Ok(())
}
