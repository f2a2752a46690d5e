//! The files an import reads: one pasted document, the files of an uploaded zip, or a
//! directory on disk (CLI and tests). Relative `$ref`s resolve between them, never outside.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

pub const MAX_ZIP_FILES: usize = 10_000;
pub const MAX_ZIP_BYTES: u64 = 100 * 1024 * 1024;

pub trait Files: Send + Sync {
    /// The bytes of the file at `path` (relative, `/`-separated), if there is one.
    fn read(&self, path: &str) -> Option<Vec<u8>>;
}

/// Files held in memory: a pasted document or an unpacked zip.
#[derive(Clone, Debug, Default)]
pub struct MemoryFiles {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl MemoryFiles {
    pub fn single(name: &str, bytes: Vec<u8>) -> Self {
        MemoryFiles { files: [(name.to_string(), bytes)].into_iter().collect() }
    }

    /// Unpack a zip, refusing entries that escape it and archives that unpack too large.
    pub fn from_zip(bytes: &[u8]) -> Result<Self, String> {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map_err(|e| format!("not a readable zip archive: {e}"))?;
        if archive.len() > MAX_ZIP_FILES {
            return Err(format!("the zip holds {} entries; at most {MAX_ZIP_FILES} are accepted", archive.len()));
        }
        let mut files = BTreeMap::new();
        let mut total: u64 = 0;
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).map_err(|e| format!("zip entry {i}: {e}"))?;
            if entry.is_dir() {
                continue;
            }
            let Some(path) = entry.enclosed_name() else {
                return Err(format!("zip entry `{}` points outside the archive", entry.name()));
            };
            let name = path.to_string_lossy().replace('\\', "/");
            let mut content = Vec::new();
            // Read through a limit: the size in the header is the uploader's claim, not a fact.
            let left = MAX_ZIP_BYTES.saturating_sub(total);
            (&mut entry).take(left + 1).read_to_end(&mut content).map_err(|e| format!("zip entry `{name}`: {e}"))?;
            total += content.len() as u64;
            if total > MAX_ZIP_BYTES {
                return Err(format!("the zip unpacks to more than {} MiB", MAX_ZIP_BYTES / 1024 / 1024));
            }
            files.insert(name, content);
        }
        Ok(MemoryFiles { files })
    }

    /// The root document when none is named: the only definition at the shallowest level that
    /// looks like one (`openapi.*`, `swagger.*`), or the only YAML/JSON file.
    pub fn guess_entry(&self) -> Option<String> {
        let documents: Vec<&String> = self
            .files
            .keys()
            .filter(|k| [".yaml", ".yml", ".json"].iter().any(|e| k.to_ascii_lowercase().ends_with(e)))
            .collect();
        if documents.len() == 1 {
            return Some(documents[0].clone());
        }
        let named: Vec<&&String> = documents
            .iter()
            .filter(|k| {
                let base = k.rsplit('/').next().unwrap_or(k).to_ascii_lowercase();
                base.starts_with("openapi.") || base.starts_with("swagger.") || base.starts_with("api.")
            })
            .collect();
        let depth = |k: &str| k.matches('/').count();
        let shallowest = named.iter().map(|k| depth(k)).min()?;
        let top: Vec<&&&String> = named.iter().filter(|k| depth(k) == shallowest).collect();
        (top.len() == 1).then(|| (**top[0]).clone())
    }
}

impl Files for MemoryFiles {
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.files.get(path).cloned()
    }
}

/// Files under a directory on disk.
pub struct DirFiles {
    pub root: PathBuf,
}

impl Files for DirFiles {
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        // `join` already refused `..` that escapes; absolute paths never reach here.
        std::fs::read(self.root.join(path)).ok()
    }
}

/// Resolve `reference` (a relative file path) against the file `from`. `None` when it would
/// leave the set of files (an absolute path or too many `..`).
pub fn join(from: &str, reference: &str) -> Option<String> {
    if reference.starts_with('/') || reference.contains(":\\") || reference.contains("://") {
        return None;
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for segment in reference.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_relative_paths_and_refuses_escapes() {
        assert_eq!(join("spec/swagger.yaml", "../common/Error.yaml").as_deref(), Some("common/Error.yaml"));
        assert_eq!(join("spec/swagger.yaml", "./Pet.yaml").as_deref(), Some("spec/Pet.yaml"));
        assert_eq!(join("a.yaml", "b.yaml").as_deref(), Some("b.yaml"));
        assert_eq!(join("a.yaml", "../b.yaml"), None);
        assert_eq!(join("a.yaml", "/etc/passwd"), None);
    }
}
