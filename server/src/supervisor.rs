//! The embedded default: `gatehouse serve` runs one local `gatehouse-gateway` per gateway group
//! on the group's port, restarts it when it dies, and starts gateways for groups created while
//! it runs, and moves one whose port or region changed — so approval → live traffic works on
//! one machine with no cluster. Each gateway
//! pulls its bundle and sends its events over HTTP like any other, with its own credential.

use gatehouse_domain::{Db, gateways, groups};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;
use tokio::process::{Child, Command};

/// A gateway this supervisor started, and the settings it was started with.
struct Running {
    child: Child,
    port: u16,
    region: String,
}

pub struct Supervisor {
    pub db: Db,
    /// The gateway binary (beside `gatehouse`, or `GATEHOUSE_GATEWAY_BIN`).
    pub binary: PathBuf,
    /// How gateways reach this server.
    pub server_url: String,
    /// Each group's gateway keeps its state (last good bundle, event spool) under here.
    pub state_root: PathBuf,
}

/// The admin (health, metrics) port of a group's gateway: its traffic port + 10000 (or − 10000).
pub fn admin_port(port: u16) -> u16 {
    if port <= 55_535 { port + 10_000 } else { port - 10_000 }
}

/// The gateway binary to supervise: `GATEHOUSE_GATEWAY_BIN`, else the one beside this executable.
pub fn gateway_binary() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("GATEHOUSE_GATEWAY_BIN") {
        return Some(PathBuf::from(path));
    }
    let beside = std::env::current_exe().ok()?.parent()?.join("gatehouse-gateway");
    beside.exists().then_some(beside)
}

impl Supervisor {
    async fn start(&self, group: &str, port: u16, region: &str) -> Result<Child, String> {
        let token = gateways::embedded_credential(&self.db, group).await.map_err(|e| e.to_string())?;
        let state_dir = self.state_root.join(group);
        Command::new(&self.binary)
            .env("GATEWAY_LISTEN", format!("127.0.0.1:{port}"))
            .env("GATEWAY_ADMIN_LISTEN", format!("127.0.0.1:{}", admin_port(port)))
            .env("GATEHOUSE_SERVER", &self.server_url)
            .env("GATEHOUSE_GATEWAY_TOKEN", token)
            .env("GATEWAY_STATE_DIR", state_dir)
            .env("GATEWAY_INSTANCE", format!("embedded-{group}"))
            .env("GATEWAY_REGION", region)
            // Stop with this server even if it is killed, so a restart can bind the port again.
            .env("GATEWAY_EXIT_WITH_PARENT", "1")
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.binary.display()))
    }

    /// Keep one gateway per group running, forever.
    pub async fn run(self) {
        let mut running: HashMap<String, Running> = HashMap::new();
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        loop {
            tick.tick().await;
            let list = match groups::list(&self.db).await {
                Ok(list) => list,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot list gateway groups");
                    continue;
                }
            };
            for summary in list {
                let g = summary.group;
                let Some(port) = g.port else { continue };
                let region = g.regions.first().cloned().unwrap_or_default();
                if let Some(gateway) = running.get_mut(&g.name) {
                    match gateway.child.try_wait() {
                        Ok(None) if (gateway.port, &gateway.region) == (port, &region) => continue,
                        Ok(None) => {
                            // A publisher changed the group's port or region: stop this one (its
                            // connections end with it) and start it where the group now says.
                            tracing::info!(group = %g.name, from = gateway.port, to = port, "gateway settings changed; moving it");
                            let _ = gateway.child.kill().await;
                        }
                        Ok(Some(status)) => tracing::warn!(group = %g.name, %status, "gateway exited; restarting it"),
                        Err(e) => {
                            tracing::warn!(group = %g.name, error = %e, "cannot check the gateway; restarting it")
                        }
                    }
                    running.remove(&g.name);
                }
                match self.start(&g.name, port, &region).await {
                    Ok(child) => {
                        tracing::info!(group = %g.name, port, "gateway started");
                        running.insert(g.name.clone(), Running { child, port, region });
                    }
                    Err(e) => tracing::error!(group = %g.name, error = %e, "gateway could not start"),
                }
            }
        }
    }
}
