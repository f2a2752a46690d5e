//! The embedded default: `gatehouse serve` runs one local `gatehouse-gateway` per gateway group
//! on the group's port — in private-jet mode one per live API instead, each on the API's own
//! port and serving only that API, as the group's manifests do in a cluster — restarts one
//! that dies, starts gateways for groups and APIs that come while it runs, moves one whose port
//! or region changed and stops one no longer wanted — so approval → live traffic works on one
//! machine with no cluster. Each gateway pulls its bundle and sends its events over HTTP like
//! any other, with its group's credential.

use gatehouse_domain::{Db, gateways, groups};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;
use tokio::process::{Child, Command};

/// A gateway this machine should run.
struct Wanted {
    group: String,
    /// The one API it serves (private-jet mode), or every API of the group.
    api: Option<String>,
    port: u16,
    region: String,
}

impl Wanted {
    /// Its name in heartbeats and events.
    fn instance(&self) -> String {
        match &self.api {
            Some(api) => format!("embedded-{}-{api}", self.group),
            None => format!("embedded-{}", self.group),
        }
    }
}

/// A gateway this supervisor started, and the settings it was started with.
struct Running {
    child: Child,
    group: String,
    instance: String,
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

/// The gateway binary to supervise: `GATEHOUSE_GATEWAY_BIN`, else the one beside this
/// executable (which may not be built yet).
pub fn gateway_binary() -> PathBuf {
    if let Ok(path) = std::env::var("GATEHOUSE_GATEWAY_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    exe.parent().map_or_else(|| PathBuf::from("gatehouse-gateway"), |dir| dir.join("gatehouse-gateway"))
}

impl Supervisor {
    /// Start a wanted gateway: the group's, or one serving only its private-jet API.
    async fn start(&self, w: &Wanted) -> Result<Child, String> {
        // Said on the group's page rather than as "No such file": started with `cargo run`
        // alone, the server has no gateway beside it until one is built (then it starts).
        if !self.binary.exists() {
            return Err(format!(
                "{} is not built (`make run` builds it, as does `cargo build -p gatehouse-gateway`)",
                self.binary.display()
            ));
        }
        let token = gateways::embedded_credential(&self.db, &w.group).await.map_err(|e| e.to_string())?;
        let mut state_dir = self.state_root.join(&w.group);
        let mut command = Command::new(&self.binary);
        if let Some(api) = &w.api {
            command.env("GATEWAY_API", api);
            state_dir = state_dir.join(api);
        }
        command
            .env("GATEWAY_LISTEN", format!("127.0.0.1:{}", w.port))
            .env("GATEWAY_ADMIN_LISTEN", format!("127.0.0.1:{}", groups::admin_port(w.port)))
            .env("GATEHOUSE_SERVER", &self.server_url)
            .env("GATEHOUSE_GATEWAY_TOKEN", token)
            .env("GATEWAY_STATE_DIR", state_dir)
            .env("GATEWAY_INSTANCE", w.instance())
            .env("GATEWAY_REGION", &w.region)
            // Stop with this server even if it is killed, so a restart can bind the port again.
            .env("GATEWAY_EXIT_WITH_PARENT", "1")
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.binary.display()))
    }

    /// Note what keeps a wanted gateway from running: logged and shown on its group's page
    /// once, not at every tick.
    async fn note(&self, problems: &mut HashMap<String, String>, key: &str, w: &Wanted, problem: String) {
        if problems.get(key) == Some(&problem) {
            return;
        }
        tracing::error!(gateway = %key, port = w.port, %problem, "local gateway not running");
        if let Err(e) = gateways::record_local_problem(&self.db, &w.group, w.api.as_deref(), w.port, &problem).await {
            tracing::warn!(gateway = %key, error = %e, "cannot record the local gateway's problem");
        }
        problems.insert(key.to_string(), problem);
    }

    /// Forget a gateway's problem (`group`, or `group/api`): it runs, or is no longer wanted.
    async fn settle(&self, problems: &mut HashMap<String, String>, key: &str) {
        if problems.remove(key).is_none() {
            return;
        }
        let (group, api) = key.split_once('/').map_or((key, None), |(group, api)| (group, Some(api)));
        if let Err(e) = gateways::clear_local_problem(&self.db, group, api).await {
            tracing::warn!(gateway = %key, error = %e, "cannot clear the local gateway's problem");
        }
    }

    /// The gateways this machine should run now, by key (`group`, or `group/api` in private-jet
    /// mode): (group, the API it alone serves, port, region).
    async fn wanted(&self) -> Result<HashMap<String, Wanted>, gatehouse_domain::DomainError> {
        let mut wanted = HashMap::new();
        for summary in groups::list(&self.db).await? {
            let g = summary.group;
            // Ports for private-jet APIs released before they had any (or whose allotment failed).
            groups::allot_api_ports(&self.db, &g.name).await?;
            let region = g.regions.first().cloned().unwrap_or_default();
            for (api, port) in groups::local_gateways(&self.db, &g).await? {
                let key = match &api {
                    Some(api) => format!("{}/{api}", g.name),
                    None => g.name.clone(),
                };
                wanted.insert(key, Wanted { group: g.name.clone(), api, port, region: region.clone() });
            }
        }
        Ok(wanted)
    }

    /// Keep the wanted gateways running, forever: start new ones, restart dead ones, move ones
    /// whose port or region changed, stop ones no longer wanted (a group out of private-jet
    /// mode, a retired API).
    pub async fn run(self) {
        let mut running: HashMap<String, Running> = HashMap::new();
        // What keeps each gateway from running, as last recorded (written only when it changes).
        let mut problems: HashMap<String, String> = HashMap::new();
        if let Err(e) = gateways::clear_local_problems(&self.db).await {
            tracing::warn!(error = %e, "cannot clear the last run's local gateway problems");
        }
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        loop {
            tick.tick().await;
            let wanted = match self.wanted().await {
                Ok(wanted) => wanted,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot list the local gateways to run");
                    continue;
                }
            };
            // A gateway no longer wanted has no problem to show.
            let settled: Vec<String> = problems.keys().filter(|key| !wanted.contains_key(*key)).cloned().collect();
            for key in settled {
                self.settle(&mut problems, &key).await;
            }
            let unwanted: Vec<String> = running.keys().filter(|key| !wanted.contains_key(*key)).cloned().collect();
            for key in unwanted {
                if let Some(mut gateway) = running.remove(&key) {
                    tracing::info!(gateway = %key, "gateway no longer wanted; stopping it");
                    let _ = gateway.child.kill().await;
                    // Else it would count as up, and not serving, until its heartbeat times out.
                    if let Err(e) = gateways::forget(&self.db, &gateway.group, &gateway.instance).await {
                        tracing::warn!(gateway = %key, error = %e, "cannot forget the stopped gateway");
                    }
                }
            }
            for (key, w) in wanted {
                if let Some(gateway) = running.get_mut(&key) {
                    match gateway.child.try_wait() {
                        Ok(None) if (gateway.port, &gateway.region) == (w.port, &w.region) => {
                            // Running since the last tick: whatever kept it from it is over.
                            self.settle(&mut problems, &key).await;
                            continue;
                        }
                        Ok(None) => {
                            // A publisher changed the group's port or region: stop this one (its
                            // connections end with it) and start it where the group now says.
                            tracing::info!(gateway = %key, from = gateway.port, to = w.port, "gateway settings changed; moving it");
                            let _ = gateway.child.kill().await;
                        }
                        Ok(Some(status)) => {
                            tracing::warn!(gateway = %key, %status, "gateway exited; restarting it");
                            let problem = format!("the gateway exited ({status}); restarting it");
                            self.note(&mut problems, &key, &w, problem).await;
                            // Not up until its successor reports, rather than until its last
                            // heartbeat times out.
                            if let Err(e) = gateways::forget(&self.db, &gateway.group, &gateway.instance).await {
                                tracing::warn!(gateway = %key, error = %e, "cannot forget the exited gateway");
                            }
                        }
                        Err(e) => tracing::warn!(gateway = %key, error = %e, "cannot check the gateway; restarting it"),
                    }
                    running.remove(&key);
                }
                // Checked before each start, so the group page can say why instead of showing a
                // gateway that exits every tick.
                if let Some(problem) = groups::local_ports_unavailable(w.port) {
                    self.note(&mut problems, &key, &w, problem).await;
                    continue;
                }
                match self.start(&w).await {
                    Ok(child) => {
                        tracing::info!(gateway = %key, port = w.port, "gateway started");
                        let instance = w.instance();
                        running
                            .insert(key, Running { child, group: w.group, instance, port: w.port, region: w.region });
                    }
                    Err(e) => self.note(&mut problems, &key, &w, e).await,
                }
            }
        }
    }
}
