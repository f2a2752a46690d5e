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

    async fn git(&self, args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Result<String> {
        let mut command = Command::new("git");
        command.arg("--git-dir").arg(&self.repo).args(args);
        for (k, v) in env {
            command.env(k, v);
        }
        command
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
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
}
