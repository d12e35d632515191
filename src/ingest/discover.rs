//! Walk the sources and classify files before opening them.

use std::path::{Path, PathBuf};

/// Why a file is not read as CloudTrail events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    Digest,
    Config,
    Insight,
    NotJson,
    NotCloudTrail,
    AlreadyIngested,
    AlreadyIngestedWithRejections,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Digest => "cloudtrail-digest",
            SkipReason::Config => "aws-config",
            SkipReason::Insight => "cloudtrail-insight",
            SkipReason::NotJson => "not-json",
            SkipReason::NotCloudTrail => "not-cloudtrail",
            SkipReason::AlreadyIngested => "already-ingested",
            SkipReason::AlreadyIngestedWithRejections => "already-ingested-with-rejections",
        }
    }
}

/// A file found under the sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    pub size: u64,
    /// Modification time in nanoseconds since the epoch (0 if unknown).
    pub mtime_ns: i128,
}

/// Classify by name and place (S3 delivery layout); `None` means "read it".
pub fn classify_path(path: &Path) -> Option<SkipReason> {
    let s = path.to_string_lossy();
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let in_dir = |d: &str| path.components().any(|c| c.as_os_str() == d);
    if in_dir("CloudTrail-Digest") || name.contains("_CloudTrail-Digest_") {
        return Some(SkipReason::Digest);
    }
    if in_dir("CloudTrail-Insight") || name.contains("_CloudTrail-Insight_") {
        return Some(SkipReason::Insight);
    }
    if (in_dir("Config") && s.contains("AWSLogs"))
        || name.contains("_Config_")
        || name.contains("ConfigSnapshot")
        || name.contains("ConfigHistory")
    {
        return Some(SkipReason::Config);
    }
    let lower = name.to_ascii_lowercase();
    if !(lower.ends_with(".json.gz") || lower.ends_with(".json")) {
        return Some(SkipReason::NotJson);
    }
    None
}

/// Walk files and folders recursively, in sorted order; unreadable paths are reported.
/// Links are followed, each folder once: a link back up the tree (`x -> .`) is reported as a
/// loop instead of being walked forever.
pub fn walk(sources: &[PathBuf]) -> (Vec<Found>, Vec<(PathBuf, String)>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for src in sources {
        let walker = walkdir::WalkDir::new(src).follow_links(true).sort_by_file_name();
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let path = e.path().unwrap_or(src).to_path_buf();
                    let reason = match e.loop_ancestor() {
                        Some(a) => format!("link loop: leads back to {}; not walked again", a.display()),
                        None => format!("cannot access: {}", e.io_error().map_or(e.to_string(), |io| io.to_string())),
                    };
                    errors.push((path, reason));
                    continue;
                }
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let Ok(meta) = entry.metadata() else {
                errors.push((entry.path().to_path_buf(), "cannot access: no metadata".to_owned()));
                continue;
            };
            let mtime_ns = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_nanos() as i128)
                .unwrap_or(0);
            found.push(Found { path: entry.into_path(), size: meta.len(), mtime_ns });
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found.dedup_by(|a, b| a.path == b.path);
    (found, errors)
}

/// The account and region a delivery path names (`AWSLogs/[o-org/]<acct>/CloudTrail/<region>/...`).
pub fn account_region_from_path(path: &Path) -> (Option<String>, Option<String>) {
    let parts: Vec<String> = path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if let Some(i) = parts.iter().position(|p| p == "CloudTrail") {
        let account = i.checked_sub(1).map(|j| parts[j].clone()).filter(|a| crate::lake::is_account(a));
        let region = parts.get(i + 1).cloned().filter(|r| crate::lake::is_region(r));
        return (account, region);
    }
    (None, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_delivery_layout() {
        let p = |s: &str| classify_path(Path::new(s));
        assert_eq!(p("AWSLogs/111122223333/CloudTrail/us-east-1/2026/09/01/111122223333_CloudTrail_us-east-1_20260901T0000Z_abc.json.gz"), None);
        assert_eq!(p("AWSLogs/o-abc/111122223333/CloudTrail/us-east-1/2026/09/01/x.json"), None);
        assert_eq!(p("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/09/01/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20260901T000000Z.json.gz"), Some(SkipReason::Digest));
        assert_eq!(
            p("AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/09/01/a.json.gz"),
            Some(SkipReason::Insight)
        );
        assert_eq!(
            p("AWSLogs/111122223333/Config/us-east-1/2026/9/1/ConfigSnapshot/x.json.gz"),
            Some(SkipReason::Config)
        );
        assert_eq!(p("logs/readme.txt"), Some(SkipReason::NotJson));
        assert_eq!(p("logs/.DS_Store"), Some(SkipReason::NotJson));
    }

    #[test]
    fn reads_account_and_region_from_path() {
        let (a, r) = account_region_from_path(Path::new(
            "x/AWSLogs/o-abc/111122223333/CloudTrail/eu-west-1/2026/09/01/f.json.gz",
        ));
        assert_eq!((a.as_deref(), r.as_deref()), (Some("111122223333"), Some("eu-west-1")));
        assert_eq!(account_region_from_path(Path::new("f.json")), (None, None));
        let (_, r) = account_region_from_path(Path::new("AWSLogs/111122223333/CloudTrail/../../x/f.json"));
        assert_eq!(r, None);
    }

    #[test]
    fn a_link_loop_is_reported_not_walked_forever() {
        let dir = std::env::temp_dir().join(format!("trailtrim-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("a")).unwrap();
        std::fs::write(dir.join("a/f.json"), "{}").unwrap();
        std::os::unix::fs::symlink("..", dir.join("a/up")).unwrap();
        let (found, errors) = walk(&[dir.clone()]);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].1.starts_with("link loop"), "{errors:?}");
    }
}
