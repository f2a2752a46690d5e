//! Where bundles come from: a file (the ConfigMap in Kubernetes, or the last good bundle this
//! gateway saved) and the management plane, pulled with the gateway's credential using ETag
//! and long-poll. A bundle that does not compile is refused and the current one stays.

use crate::metrics::Metrics;
use crate::proxy::Gateway;
use crate::runtime::{BackendCredential, Runtime, SecretProblem};
use gatehouse_contract::Bundle;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// How long the management plane may hold a pull open.
pub const LONG_POLL_SECS: u64 = 25;

/// Parse and compile bundle bytes, then swap them in. Requests in flight keep the runtime they
/// started with.
pub fn install(gateway: &Gateway, metrics: &Metrics, bytes: &[u8], origin: &str) -> Result<(), String> {
    let mut installed = gateway.installed.lock().unwrap_or_else(|e| e.into_inner());
    compile_and_swap(gateway, metrics, bytes, origin, Answers::KeepWhatMayBe)?;
    *installed = Some(bytes.into());
    Ok(())
}

/// Compile the bundle being served again, for a backend secret whose value has changed.
pub fn reinstall(gateway: &Gateway, metrics: &Metrics) -> Result<(), String> {
    // Held throughout, so that a bundle pulled meanwhile is not replaced by this older one.
    let installed = gateway.installed.lock().unwrap_or_else(|e| e.into_inner());
    match installed.as_deref() {
        // Another credential may get other answers from the backend.
        Some(bytes) => {
            compile_and_swap(gateway, metrics, bytes, "the same bundle, for a changed backend secret", Answers::Drop)
        }
        None => Ok(()),
    }
}

/// What becomes of the answers the runtime being replaced keeps.
enum Answers {
    /// Kept where they cannot have changed ([`Runtime::keep_answers_of`]).
    KeepWhatMayBe,
    Drop,
}

fn compile_and_swap(
    gateway: &Gateway,
    metrics: &Metrics,
    bytes: &[u8],
    origin: &str,
    answers: Answers,
) -> Result<(), String> {
    let mut bundle: Bundle = serde_json::from_slice(bytes).map_err(|e| format!("{origin}: not a bundle: {e}"))?;
    if let Some(only) = &gateway.api {
        bundle.apis.retain(|api| api.id == *only);
    }
    if let Some(backend) = &gateway.backend {
        for api in &mut bundle.apis {
            api.endpoints.production = vec![backend.clone()];
            api.endpoints.sandbox = vec![backend.clone()];
        }
    }
    let mut runtime = Runtime::compile_with(bundle, |variable| gateway.secrets.read(variable))
        .map_err(|e| format!("{origin}: {e}"))?;
    if let (Answers::KeepWhatMayBe, Some(serving)) = (answers, gateway.runtime.load_full()) {
        runtime.keep_answers_of(&serving);
    }
    for api in &runtime.apis {
        if let BackendCredential::Unusable(problems) = &api.backend_credential {
            for SecretProblem { variable, reason } in problems {
                // Where it was looked for, when it was not found at all.
                let looked = gateway.secrets.explain(variable).unwrap_or_default();
                tracing::error!(
                    api = %api.spec.name, version = %api.spec.version, variable, reason, looked,
                    "no credential for the backend: the API's calls are answered 503 until the secret is given"
                );
            }
        }
    }
    let mut certificates = Vec::new();
    let warn_from = gatehouse_contract::tls::date_in_days(30);
    for api in &runtime.apis {
        let Some(until) = &api.client_certificate_until else { continue };
        let name = format!("{} {}", api.spec.name, api.spec.version);
        // A backend turns the certificate away the day after: said a month ahead, at each load.
        if *until <= warn_from {
            tracing::warn!(
                api = %name, valid_until = %until,
                "the client certificate shown to the backend expires soon: put its successor in the secret before then"
            );
        }
        if let Some(midnight) = gatehouse_contract::time::parse_date(until) {
            certificates.push((name, midnight / 1000 + 86_400));
        }
    }
    metrics.set_backend_certificates(certificates);
    metrics.set_bundle(&runtime.group, &runtime.version);
    tracing::info!(group = %runtime.group, version = %runtime.version, apis = runtime.apis.len(), origin, "bundle loaded");
    gateway.runtime.store(Some(Arc::new(runtime)));
    metrics.bundle_reloads.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

/// Load a bundle file; a bad file is logged and leaves the gateway as it was.
pub fn load_file(gateway: &Gateway, metrics: &Metrics, path: &Path) -> bool {
    match std::fs::read(path) {
        Ok(bytes) => match install(gateway, metrics, &bytes, &path.display().to_string()) {
            Ok(()) => true,
            Err(e) => {
                metrics.bundle_rejected.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, "bundle refused");
                false
            }
        },
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot read the bundle file");
            false
        }
    }
}

pub struct Puller {
    pub url: String,
    pub token: String,
    pub instance: String,
    pub started_at: i64,
    /// Where the last good bundle is kept, to start from when the management plane is down.
    pub cache: PathBuf,
    pub http: reqwest::Client,
}

impl Puller {
    /// Pull forever: each answer is a new bundle (200) or "unchanged" after the long-poll (304).
    pub async fn run(self, gateway: Arc<Gateway>, metrics: Arc<Metrics>) {
        let mut etag = String::new();
        let mut backoff = Duration::from_millis(500);
        loop {
            let (version, missing_secrets) = match gateway.runtime.load().as_ref() {
                Some(rt) => (rt.version.clone(), rt.missing_secrets().join(",")),
                None => Default::default(),
            };
            let request = self
                .http
                .get(format!("{}?wait={LONG_POLL_SECS}", self.url))
                .bearer_auth(&self.token)
                .header("if-none-match", format!("\"{etag}\""))
                .header("x-gateway-instance", &self.instance)
                .header("x-gateway-version", &version)
                .header("x-gateway-api", gateway.api.as_deref().unwrap_or_default())
                .header("x-gateway-started", self.started_at.to_string())
                .header("x-gateway-tier-counts", metrics.tier_counts().as_str())
                .header("x-gateway-missing-secrets", missing_secrets)
                .timeout(Duration::from_secs(LONG_POLL_SECS + 10))
                .send();
            let sent = tokio::select! {
                sent = request => sent,
                // The shared store went away or came back, or a secret was given: pull again at
                // once, so the group page shows this instance as it is now, not after the long
                // poll.
                () = metrics.report_now.notified() => continue,
            };
            match sent {
                Ok(r) if r.status() == reqwest::StatusCode::NOT_MODIFIED => backoff = Duration::from_millis(500),
                Ok(r) if r.status().is_success() => {
                    backoff = Duration::from_millis(500);
                    let tag = r
                        .headers()
                        .get("etag")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .trim_matches('"')
                        .to_string();
                    match r.bytes().await {
                        Ok(bytes) => match install(&gateway, &metrics, &bytes, "management plane") {
                            Ok(()) => {
                                etag = tag;
                                self.save(&bytes);
                            }
                            Err(e) => {
                                // Keep asking with the old ETag: a fixed bundle will come as a new answer.
                                metrics.bundle_rejected.fetch_add(1, Ordering::Relaxed);
                                tracing::error!(error = %e, "bundle refused; still serving the previous one");
                                tokio::time::sleep(Duration::from_secs(2)).await;
                            }
                        },
                        Err(e) => tracing::warn!(error = %e, "bundle download cut off"),
                    }
                }
                Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => {
                    // Nothing deployed to the group yet.
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Ok(r) => {
                    tracing::warn!(status = %r.status(), "bundle pull refused");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
                Err(e) => {
                    tracing::debug!(error = %e, "management plane unreachable; serving the last good bundle");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    fn save(&self, bytes: &[u8]) {
        let partial = self.cache.with_extension("part");
        if let Err(e) = std::fs::write(&partial, bytes).and_then(|_| std::fs::rename(&partial, &self.cache)) {
            tracing::warn!(error = %e, "cannot keep a copy of the bundle");
        }
    }
}

/// Tell the management plane this instance is stopping, so its group stops counting it now
/// rather than once its heartbeats have been missing for a minute. Best effort: the pulls
/// (heartbeats) must have stopped first, or the next one would report the instance again.
pub async fn sign_off(http: &reqwest::Client, server: &str, token: &str, instance: &str) {
    let Ok(mut url) = reqwest::Url::parse(&format!("{server}/api/v1/gateway/instances")) else {
        return;
    };
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.push(instance);
    }
    match http.delete(url).bearer_auth(token).timeout(Duration::from_secs(2)).send().await {
        Ok(r) if r.status().is_success() => tracing::info!("signed off from the management plane"),
        Ok(r) => tracing::warn!(status = %r.status(), "the management plane refused the sign-off"),
        Err(e) => {
            tracing::warn!(error = %e, "cannot sign off; the management plane drops this instance after a minute")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limiter::Limiter;
    use arc_swap::ArcSwapOption;

    fn gateway(api: Option<&str>, backend: Option<&str>) -> Gateway {
        Gateway {
            runtime: ArcSwapOption::empty(),
            limiter: Arc::new(Limiter::default()),
            metrics: Arc::new(Metrics::new(1)),
            instance: "test".into(),
            region: String::new(),
            api: api.map(str::to_string),
            backend: backend.map(str::to_string),
            trusted_proxies: Vec::new(),
            forwarded_header: Default::default(),
            secrets: Default::default(),
            installed: Default::default(),
        }
    }

    /// A sidecar gateway keeps its one API of whatever bundle it loads — the file it started
    /// from or the group's, pulled — and sends its calls to the backend container beside it.
    #[test]
    fn a_sidecar_gateway_serves_its_api_from_its_own_backend() {
        let bytes = serde_json::to_vec(&crate::runtime::tests::bundle()).expect("json");
        let metrics = Metrics::new(1);

        let sidecar = gateway(Some("/pets/v2"), Some("http://127.0.0.1:8081/v1"));
        install(&sidecar, &metrics, &bytes, "test").expect("install");
        let rt = sidecar.runtime.load_full().expect("runtime");
        let apis: Vec<(&str, &[String], &[String])> = rt
            .apis
            .iter()
            .map(|a| (a.spec.id.as_str(), &a.spec.endpoints.production[..], &a.spec.endpoints.sandbox[..]))
            .collect();
        let local = ["http://127.0.0.1:8081/v1".to_string()];
        assert_eq!(apis, [("/pets/v2", &local[..], &local[..])]);

        let shared = gateway(None, None);
        install(&shared, &metrics, &bytes, "test").expect("install");
        let rt = shared.runtime.load_full().expect("runtime");
        assert_eq!(rt.apis.len(), 2);
        assert!(rt.apis.iter().all(|a| a.spec.endpoints.production == ["http://127.0.0.1:9"]));
    }
}
