//! Walk the sources and classify files before opening them.

use chrono::{Datelike, NaiveDate};
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

/// Which parts of the delivery layout to read (`--from/--to`, `--accounts`, `--regions`).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Empty: every account.
    pub accounts: Vec<String>,
    /// Empty: every region.
    pub regions: Vec<String>,
}

/// Whether a folder (local or in S3) may hold files the filter keeps (folders outside the delivery
/// layout always may).
pub fn keep_folder(key: &str, f: &Filter) -> bool {
    let parts: Vec<&str> = key.split('/').filter(|p| !p.is_empty()).collect();
    let Some(i) = parts.iter().position(|p| *p == "AWSLogs") else { return true };
    let mut a = i + 1;
    if parts.get(a).is_some_and(|p| p.starts_with("o-")) {
        a += 1;
    }
    if let Some(account) = parts.get(a) {
        if !f.accounts.is_empty() && !f.accounts.iter().any(|x| x == account) {
            return false;
        }
    }
    if parts.get(a + 1).is_some_and(|service| *service != "CloudTrail") {
        // Digest, Insight and Config folders hold no events; local walks still count their files.
        return true;
    }
    if let Some(region) = parts.get(a + 2) {
        if !f.regions.is_empty() && !f.regions.iter().any(|x| x == region) {
            return false;
        }
    }
    // Year, month, day: kept when the period they name meets [from, to].
    let num = |j: usize| parts.get(j).and_then(|p| p.parse::<u32>().ok());
    let (y, m, d) = (num(a + 3), num(a + 4), num(a + 5));
    let Some(y) = y else { return true };
    let lo = |date: NaiveDate| (date.year() as u32, date.month(), date.day());
    let (first, last) = match (m, d) {
        (None, _) => ((y, 1, 1), (y, 12, 31)),
        (Some(m), None) => ((y, m, 1), (y, m, 31)),
        (Some(m), Some(d)) => ((y, m, d), (y, m, d)),
    };
    f.from.is_none_or(|from| last >= lo(from)) && f.to.is_none_or(|to| first <= lo(to))
}

/// A folder of the delivery layout of another service than CloudTrail's events (digests,
/// insights, Config): S3 listings skip it, as its objects hold no events.
pub fn other_service_folder(key: &str) -> bool {
    let parts: Vec<&str> = key.split('/').filter(|p| !p.is_empty()).collect();
    let Some(i) = parts.iter().position(|p| *p == "AWSLogs") else { return false };
    let a = if parts.get(i + 1).is_some_and(|p| p.starts_with("o-")) { i + 2 } else { i + 1 };
    parts.get(a + 1).is_some_and(|service| *service != "CloudTrail")
}

/// A file found under the sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// A local path, or an `s3://bucket/key` URL.
    pub path: PathBuf,
    pub size: u64,
    /// Modification time in nanoseconds since the epoch (0 if unknown).
    pub mtime_ns: i128,
    /// The S3 ETag of an object (identifies its content with the key).
    pub etag: Option<String>,
}

impl Found {
    /// An object in S3 (`s3://bucket/key`) rather than a local file.
    pub fn is_s3(&self) -> bool {
        self.path.to_string_lossy().starts_with("s3://")
    }
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
pub fn walk(sources: &[PathBuf], filter: &Filter) -> (Vec<Found>, Vec<(PathBuf, String)>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for src in sources {
        let walker = walkdir::WalkDir::new(src).follow_links(true).sort_by_file_name();
        let walker = walker
            .into_iter()
            .filter_entry(|e| !e.file_type().is_dir() || keep_folder(&e.path().to_string_lossy(), filter));
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
            found.push(Found { path: entry.into_path(), size: meta.len(), mtime_ns, etag: None });
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
    fn prunes_the_delivery_layout() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let f = Filter {
            from: Some(day("2026-08-30")),
            to: Some(day("2026-09-02")),
            accounts: vec!["111122223333".into()],
            regions: vec!["us-east-1".into()],
        };
        let keep = |k: &str| keep_folder(k, &f);
        assert!(keep("p/AWSLogs"));
        assert!(keep("p/AWSLogs/o-abc"));
        assert!(keep("p/AWSLogs/o-abc/111122223333"));
        assert!(!keep("p/AWSLogs/o-abc/444455556666"));
        assert!(keep("p/AWSLogs/111122223333/CloudTrail"));
        assert!(other_service_folder("p/AWSLogs/111122223333/CloudTrail-Digest"));
        assert!(other_service_folder("p/AWSLogs/o-x/111122223333/Config"));
        assert!(!other_service_folder("p/AWSLogs/o-x/111122223333/CloudTrail/us-east-1"));
        assert!(!keep("p/AWSLogs/111122223333/CloudTrail/eu-west-1"));
        assert!(keep("p/AWSLogs/111122223333/CloudTrail/us-east-1/2026"));
        assert!(!keep("p/AWSLogs/111122223333/CloudTrail/us-east-1/2025"));
        assert!(keep("p/AWSLogs/111122223333/CloudTrail/us-east-1/2026/08"));
        assert!(!keep("p/AWSLogs/111122223333/CloudTrail/us-east-1/2026/07"));
        assert!(keep("p/AWSLogs/111122223333/CloudTrail/us-east-1/2026/08/31"));
        assert!(!keep("p/AWSLogs/111122223333/CloudTrail/us-east-1/2026/08/29"));
        assert!(keep("p/AWSLogs/111122223333/CloudTrail/us-east-1/2026/09/02"));
        assert!(!keep("p/AWSLogs/111122223333/CloudTrail/us-east-1/2026/09/03"));
        assert!(keep("exports/siem"));
        assert!(keep_folder("p/AWSLogs/999988887777/CloudTrail/ap-south-1/2020", &Filter::default()));
    }

    #[test]
    fn a_link_loop_is_reported_not_walked_forever() {
        let dir = std::env::temp_dir().join(format!("trailtrim-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("a")).unwrap();
        std::fs::write(dir.join("a/f.json"), "{}").unwrap();
        std::os::unix::fs::symlink("..", dir.join("a/up")).unwrap();
        let (found, errors) = walk(&[dir.clone()], &Filter::default());
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].1.starts_with("link loop"), "{errors:?}");
    }
}
