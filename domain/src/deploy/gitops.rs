//! The GitOps repository: a real git repository (by default a bare one in the data directory),
//! written with git's plumbing so a commit lands on its branch whole or not at all: objects
//! first, then the branch moves by compare-and-swap (`update-ref <new> <old>`).

use crate::{DomainError, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

const ZERO: &str = "0000000000000000000000000000000000000000";

#[derive(Clone, Debug)]
pub struct GitOps {
    pub repo: PathBuf,
}

/// Who commits and tags.
pub struct Signature<'a> {
    pub name: &'a str,
    pub email: &'a str,
}

fn failed(what: &str, e: impl std::fmt::Display) -> DomainError {
    DomainError::Internal(format!("git {what}: {e}"))
}

impl GitOps {
    pub fn new(repo: impl Into<PathBuf>) -> Self {
        GitOps { repo: repo.into() }
    }

    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = Command::new("git");
        command.arg("--git-dir").arg(&self.repo).args(args);
        for (k, v) in env {
            command.env(k, v);
        }
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        command
    }

    async fn git(&self, args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Result<String> {
        let mut command = self.command(args, env);
        command.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        let mut child = command.spawn().map_err(|e| {
            failed(args.first().copied().unwrap_or("command"), format!("cannot run git ({e}); is git installed?"))
        })?;
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(input).await.map_err(|e| failed("stdin", e))?;
            drop(pipe);
        }
        let out = child.wait_with_output().await.map_err(|e| failed("wait", e))?;
        if !out.status.success() {
            return Err(failed(args.join(" ").as_str(), String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Create the bare repository if it is not there yet.
    pub async fn ensure(&self) -> Result<()> {
        if self.repo.join("HEAD").exists() {
            return Ok(());
        }
        if let Some(parent) = self.repo.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(|e| failed("init", e))?;
        }
        let out = Command::new("git")
            .args(["init", "--bare", "--quiet", "--initial-branch=main"])
            .arg(&self.repo)
            .output()
            .await
            .map_err(|e| failed("init", format!("cannot run git ({e}); is git installed?")))?;
        if !out.status.success() {
            return Err(failed("init", String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(())
    }

    /// The commit a branch points at, if the branch exists.
    pub async fn head(&self, branch: &str) -> Result<Option<String>> {
        match self
            .git(&["rev-parse", "--verify", "--quiet", &format!("refs/heads/{branch}^{{commit}}")], &[], None)
            .await
        {
            Ok(sha) if !sha.is_empty() => Ok(Some(sha)),
            _ => Ok(None),
        }
    }

    /// Commit `files` (path → content) as the whole tree of `branch`, on top of its head.
    /// Returns the new commit. The branch moves only if nobody moved it meanwhile.
    pub async fn commit(
        &self,
        branch: &str,
        files: &BTreeMap<String, Vec<u8>>,
        message: &str,
        who: &Signature<'_>,
    ) -> Result<String> {
        self.ensure().await?;
        let mut index_info = String::new();
        for (path, content) in files {
            let sha = self.git(&["hash-object", "-w", "--stdin"], &[], Some(content)).await?;
            index_info.push_str(&format!("100644 blob {sha}\t{path}\n"));
        }
        let index = std::env::temp_dir().join(format!("gatehouse-index-{}", uuid::Uuid::new_v4()));
        let index_str = index.to_string_lossy().to_string();
        let env = [("GIT_INDEX_FILE", index_str.as_str())];
        let tree = async {
            self.git(&["read-tree", "--empty"], &env, None).await?;
            self.git(&["update-index", "--index-info"], &env, Some(index_info.as_bytes())).await?;
            self.git(&["write-tree"], &env, None).await
        }
        .await;
        let _ = tokio::fs::remove_file(&index).await;
        let tree = tree?;
        let parent = self.head(branch).await?;
        let mut args = vec!["commit-tree", tree.as_str(), "-m", message];
        if let Some(p) = &parent {
            args.push("-p");
            args.push(p);
        }
        let identity = [
            ("GIT_AUTHOR_NAME", who.name),
            ("GIT_AUTHOR_EMAIL", who.email),
            ("GIT_COMMITTER_NAME", who.name),
            ("GIT_COMMITTER_EMAIL", who.email),
        ];
        let commit = self.git(&args, &identity, None).await?;
        let old = parent.as_deref().unwrap_or(ZERO);
        self.git(&["update-ref", &format!("refs/heads/{branch}"), &commit, old], &[], None).await?;
        Ok(commit)
    }

    /// Move a branch back (used when a later step of the same deployment fails).
    pub async fn reset(&self, branch: &str, to: Option<&str>, from: &str) -> Result<()> {
        match to {
            Some(sha) => {
                self.git(&["update-ref", &format!("refs/heads/{branch}"), sha, from], &[], None).await.map(|_| ())
            }
            None => self.git(&["update-ref", "-d", &format!("refs/heads/{branch}"), from], &[], None).await.map(|_| ()),
        }
    }

    /// An annotated tag on `commit`.
    pub async fn tag(&self, name: &str, commit: &str, message: &str, who: &Signature<'_>) -> Result<()> {
        let identity = [("GIT_COMMITTER_NAME", who.name), ("GIT_COMMITTER_EMAIL", who.email)];
        self.git(&["tag", "-a", name, commit, "-m", message], &identity, None).await.map(|_| ())
    }

    /// Tags starting with `prefix`.
    pub async fn tags(&self, prefix: &str) -> Result<Vec<String>> {
        if !self.repo.join("HEAD").exists() {
            return Ok(vec![]);
        }
        let out = self.git(&["tag", "--list", &format!("{prefix}*")], &[], None).await?;
        Ok(out.lines().map(str::to_string).filter(|l| !l.is_empty()).collect())
    }

    pub fn path(&self) -> &Path {
        &self.repo
    }

    /// Push every branch and tag to `remote`, never forcing: a branch the remote moved on its
    /// own, or a tag it holds on another commit, is refused there and named in the outcome, so
    /// history is never overwritten. The other refs go through regardless.
    pub async fn push(&self, remote: &Remote) -> Result<Pushed> {
        self.ensure().await?;
        // Before the first release there is nothing to push, and git refuses a push of nothing.
        if self.git(&["for-each-ref", "--count=1", "refs/heads", "refs/tags"], &[], None).await?.is_empty() {
            return Ok(Pushed::default());
        }
        // The URL reaches git through the environment, not the command line, where any local
        // user could read its credentials in the process list.
        let mut env = vec![
            ("GIT_CONFIG_COUNT", "1"),
            ("GIT_CONFIG_KEY_0", "remote.gitops-remote.url"),
            ("GIT_CONFIG_VALUE_0", remote.url.as_str()),
            // Never wait for someone to type a password or accept a host key.
            ("GIT_TERMINAL_PROMPT", "0"),
        ];
        if std::env::var_os("GIT_SSH_COMMAND").is_none() {
            env.push(("GIT_SSH_COMMAND", "ssh -o BatchMode=yes"));
        }
        let args = ["push", "--porcelain", "gitops-remote", "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"];
        let mut command = self.command(&args, &env);
        command.stdin(Stdio::null()).kill_on_drop(true);
        let out = tokio::time::timeout(PUSH_TIMEOUT, command.output())
            .await
            .map_err(|_| remote.failed(format!("no answer within {} s", PUSH_TIMEOUT.as_secs())))?
            .map_err(|e| remote.failed(format!("cannot run git ({e}); is git installed?")))?;
        let report = String::from_utf8_lossy(&out.stdout);
        let mut pushed = Pushed::default();
        for line in report.lines() {
            // `<flag>\t<from>:<to>\t<summary>`; `!` is a refusal, anything else is on the remote.
            let mut fields = line.split('\t');
            let (Some(flag), Some(refs), Some(summary)) = (fields.next(), fields.next(), fields.next()) else {
                continue;
            };
            let Some((_, to)) = refs.split_once(':') else { continue };
            if flag == "!" {
                pushed.refused.push(format!("{to} {summary}"));
            } else {
                pushed.on_remote.insert(to.to_string());
            }
        }
        if !out.status.success() && pushed.refused.is_empty() {
            return Err(remote.failed(String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(pushed)
    }
}

/// How long a push may take before it is given up (and tried again later).
const PUSH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Where the repository is pushed: the URL as configured (credentials and all) and as shown.
#[derive(Clone)]
pub struct Remote {
    url: String,
    shown: String,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Remote").field(&self.shown).finish()
    }
}

impl Remote {
    /// Any URL `git push` takes: `https://…` (a token as the user or password), `ssh://…`,
    /// `git@host:org/repo.git`, or a path.
    pub fn new(url: &str) -> Result<Remote> {
        let url = url.trim();
        if url.is_empty() || url.starts_with('-') || url.chars().any(char::is_control) {
            let shown = without_credentials(url);
            return Err(DomainError::invalid("gitops_remote", format!("`{shown}` is not a git remote URL")));
        }
        Ok(Remote { url: url.to_string(), shown: without_credentials(url) })
    }

    /// The URL without its credentials: what is shown, logged and stored.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// A failure to push, in words that carry no credential (git's own message may quote the
    /// URL as configured).
    fn failed(&self, why: impl std::fmt::Display) -> DomainError {
        let mut why = why.to_string().replace(&self.url, &self.shown);
        for secret in self.secrets() {
            why = why.replace(&secret, "***");
        }
        DomainError::Upstream(format!("git push to {}: {why}", self.shown))
    }

    /// The parts of the URL that are credentials: a password, and over http(s) a user name long
    /// enough to be a token (`https://<token>@github.com/…`); `git` or `me` are only names.
    fn secrets(&self) -> Vec<String> {
        let Ok(url) = reqwest::Url::parse(&self.url) else { return Vec::new() };
        let user = Some(url.username()).filter(|u| url.scheme().starts_with("http") && u.len() >= 8);
        url.password().into_iter().chain(user).filter(|s| !s.is_empty()).map(str::to_string).collect()
    }
}

/// `https://user:token@host/x.git` → `https://host/x.git`. Over http(s) the user name is often
/// the token itself, so both go; for ssh only a password would be secret (`git@` is not).
fn without_credentials(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.has_host() => {
            let _ = parsed.set_password(None);
            if parsed.scheme().starts_with("http") {
                let _ = parsed.set_username("");
            }
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// What a push left on the remote.
#[derive(Debug, Default)]
pub struct Pushed {
    /// Refs the remote now holds as they are here (`refs/heads/…`, `refs/tags/…`).
    pub on_remote: std::collections::BTreeSet<String>,
    /// Refs the remote refused, each with git's reason (`… [rejected] (fetch first)`).
    pub refused: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::Remote;

    #[test]
    fn a_remote_is_shown_without_its_credentials() {
        let shown = |url: &str| Remote::new(url).expect("remote").shown().to_string();
        assert_eq!(shown("https://ci-bot:ghp_token@github.com/org/gitops.git"), "https://github.com/org/gitops.git");
        assert_eq!(shown("https://ghp_token@github.com/org/gitops.git"), "https://github.com/org/gitops.git");
        assert_eq!(shown("ssh://git@github.com/org/gitops.git"), "ssh://git@github.com/org/gitops.git");
        assert_eq!(shown("ssh://git:pw@host/gitops.git"), "ssh://git@host/gitops.git");
        assert_eq!(shown("git@github.com:org/gitops.git"), "git@github.com:org/gitops.git");
        assert_eq!(shown("/srv/git/gitops.git"), "/srv/git/gitops.git");
        for wrong in ["", "  ", "--upload-pack=x", "https://host/a\nb"] {
            assert!(Remote::new(wrong).is_err(), "{wrong:?}");
        }
    }

    #[test]
    fn a_failure_names_the_remote_but_not_its_credentials() {
        let remote = Remote::new("https://ci-bot:ghp_token@github.com/org/gitops.git").expect("remote");
        let said = "fatal: unable to access 'https://ci-bot:ghp_token@github.com/org/gitops.git/': ghp_token rejected";
        let message = remote.failed(said).to_string();
        assert!(!message.contains("ghp_token") && !message.contains("ci-bot"), "{message}");
        assert!(message.contains("https://github.com/org/gitops.git"), "{message}");
    }
}
