//! Where a backend credential's secret comes from: a file named after it in the secrets
//! directory (`GATEWAY_BACKEND_SECRETS_DIR`), else the gateway's environment
//! (`GATEWAY_BACKEND_SECRET_<NAME>`).
//!
//! A process's environment is fixed when it starts, but a file can change: a Kubernetes Secret
//! mounted as a volume is rewritten in place by the kubelet when an operator changes it. So the
//! gateway reads the files of the secrets it uses again every [`RECHECK`], and when one has
//! changed it compiles its bundle again — a rotated secret takes effect without a restart.

use crate::metrics::Metrics;
use crate::proxy::Gateway;
use gatehouse_contract::BackendAuth;
use sha2::{Digest, Sha256};
use std::io::ErrorKind;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How often the secrets' files are read again: a handful of small files, and no compile
/// unless one has changed.
pub const RECHECK: Duration = Duration::from_secs(2);

/// What identifies a secret's value without holding it: a runtime keeps these to notice a
/// change, not the values a second time.
pub type Fingerprint = [u8; 32];

pub fn fingerprint(value: &str) -> Fingerprint {
    Sha256::digest(value.as_bytes()).into()
}

#[derive(Debug, Default)]
pub struct SecretSource {
    /// A file per secret, named as the bundle names it (`PETSTORE`).
    pub dir: Option<PathBuf>,
}

impl SecretSource {
    /// The value of a backend credential's variable (`GATEWAY_BACKEND_SECRET_PETSTORE`): the
    /// file `PETSTORE` in the directory when there is one, else the variable. A file's line
    /// breaks at its end are not the secret's (`echo secret > PETSTORE` writes one).
    pub fn read(&self, variable: &str) -> Option<String> {
        match self.file(variable) {
            Some(Ok(Some(value))) => Some(value),
            // A file that is there and cannot be read does not fall back to the environment:
            // it is what the operator meant to use. `explain` says why.
            Some(Err(_)) => None,
            Some(Ok(None)) | None => std::env::var(variable).ok(),
        }
    }

    /// Why `variable` has no value, for the log — where it was looked for; `None` when it has
    /// one.
    pub fn explain(&self, variable: &str) -> Option<String> {
        match (self.file(variable), &self.dir) {
            (Some(Err(e)), _) => Some(e),
            (Some(Ok(Some(_))), _) => None,
            _ if std::env::var_os(variable).is_some() => None,
            (_, Some(dir)) => {
                Some(format!("no file {} and no variable {variable}", self.path(dir, variable).display()))
            }
            (_, None) => Some(format!("no variable {variable} (and no GATEWAY_BACKEND_SECRETS_DIR)")),
        }
    }

    fn path(&self, dir: &std::path::Path, variable: &str) -> PathBuf {
        dir.join(variable.strip_prefix(BackendAuth::VARIABLE_PREFIX).unwrap_or(variable))
    }

    /// The secret's file: `None` without a directory, `Ok(None)` when the file is not there.
    fn file(&self, variable: &str) -> Option<Result<Option<String>, String>> {
        let dir = self.dir.as_deref()?;
        // The bundle's secret names are upper-case letters, digits and `_` (checked when it is
        // compiled), so the name cannot leave the directory.
        let path = self.path(dir, variable);
        Some(match std::fs::read(&path) {
            Ok(bytes) => String::from_utf8(bytes)
                .map(|text| Some(text.trim_end_matches(['\r', '\n']).to_string()))
                .map_err(|_| format!("{} is not UTF-8 text", path.display())),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        })
    }
}

/// Compile the bundle again whenever a secret it uses has a new value in its file (or a file
/// appears for one that was missing). Runs only with a secrets directory.
pub async fn watch(gateway: Arc<Gateway>, metrics: Arc<Metrics>) {
    loop {
        tokio::time::sleep(RECHECK).await;
        let Some(runtime) = gateway.runtime.load_full() else { continue };
        let changed = runtime.changed_secrets(|variable| gateway.secrets.read(variable));
        if changed.is_empty() {
            continue;
        }
        tracing::info!(variables = ?changed, "backend secrets changed; compiling the bundle with their new values");
        match crate::pull::reinstall(&gateway, &metrics) {
            // The heartbeat names the secrets it lacks: the group page should not wait for it.
            Ok(()) => metrics.report_now.notify_one(),
            Err(e) => tracing::error!(error = %e, "bundle refused; still serving the previous one"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_read_from_its_file_before_the_environment() {
        let dir = std::env::temp_dir().join(format!("gatehouse-secrets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let source = SecretSource { dir: Some(dir.clone()) };
        // PATH is set in every environment: a variable the file takes the place of.
        let variable = "PATH";
        assert_eq!(source.read(variable), std::env::var(variable).ok(), "no file: the environment's");

        std::fs::write(dir.join("PATH"), "s3cret\r\n").expect("write");
        assert_eq!(source.read(variable).as_deref(), Some("s3cret"), "the file's, without its line break");

        std::fs::write(dir.join("PETS"), "a\nb\n").expect("write");
        assert_eq!(source.read("GATEWAY_BACKEND_SECRET_PETS").as_deref(), Some("a\nb"), "a break inside stays");

        std::fs::write(dir.join("BINARY"), [0xff, 0xfe]).expect("write");
        assert_eq!(source.read("GATEWAY_BACKEND_SECRET_BINARY"), None);
        let explained = |source: &SecretSource, variable: &str| source.explain(variable).unwrap_or_default();
        assert!(explained(&source, "GATEWAY_BACKEND_SECRET_BINARY").ends_with("BINARY is not UTF-8 text"));
        assert!(explained(&source, "GATEWAY_BACKEND_SECRET_GONE").starts_with("no file "));
        assert_eq!(
            explained(&SecretSource::default(), "GATEWAY_BACKEND_SECRET_GONE"),
            "no variable GATEWAY_BACKEND_SECRET_GONE (and no GATEWAY_BACKEND_SECRETS_DIR)"
        );
        assert_eq!(source.explain("GATEWAY_BACKEND_SECRET_PETS"), None, "it has a value");
        assert_eq!(source.explain("PATH"), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
