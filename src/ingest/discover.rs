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
pub fn walk(sources: &[PathBuf]) -> (Vec<Found>, Vec<(PathBuf, String)>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for src in sources {
        visit(src, &mut found, &mut errors);
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found.dedup_by(|a, b| a.path == b.path);
    (found, errors)
}

fn visit(path: &Path, found: &mut Vec<Found>, errors: &mut Vec<(PathBuf, String)>) {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            errors.push((path.to_path_buf(), format!("cannot access: {e}")));
            return;
        }
    };
    if meta.is_dir() {
        let entries = match std::fs::read_dir(path) {
            Ok(e) => e,
            Err(e) => {
                errors.push((path.to_path_buf(), format!("cannot list folder: {e}")));
                return;
            }
        };
        let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        for c in children {
            visit(&c, found, errors);
        }
    } else if meta.is_file() {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as i128)
            .unwrap_or(0);
        found.push(Found { path: path.to_path_buf(), size: meta.len(), mtime_ns });
    }
}

/// The account and region a delivery path names (`AWSLogs/[o-org/]<acct>/CloudTrail/<region>/...`).
pub fn account_region_from_path(path: &Path) -> (Option<String>, Option<String>) {
    let parts: Vec<String> = path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if let Some(i) = parts.iter().position(|p| p == "CloudTrail") {
        let account = i
            .checked_sub(1)
            .map(|j| parts[j].clone())
            .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()));
        let region = parts.get(i + 1).cloned().filter(|r| r.contains('-'));
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
    }
}
