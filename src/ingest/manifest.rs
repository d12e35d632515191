//! The manifest of ingested files: re-running ingest over the same sources skips them fast.
//!
//! An entry is appended only after every row of the file is committed to Parquet, so a file
//! listed here is complete in the lake; a file not listed is read again and its events
//! already in the lake are dropped as duplicates.
//!
//! A local lake appends to one file under the writer lock. An S3 lake (no lock, no append)
//! writes one object per commit under `_manifest/`, named by its content, and reads them all:
//! workers never overwrite each other's entries.

use super::discover::Found;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    pub size: u64,
    pub mtime_ns: i128,
    pub events: u64,
    /// Problems reported for the file when it was read (damage or rejected records); its valid
    /// records are in the lake. A re-delivered (changed) file is read again.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rejected: u64,
    /// For an S3 object: its ETag, which (with the key) identifies its content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Entry {
    pub fn new(f: &Found, events: u64, rejected: u64) -> Self {
        Entry { path: key(f), size: f.size, mtime_ns: f.mtime_ns, events, rejected, etag: f.etag.clone() }
    }
}

/// Local files are identified by absolute path, size and modification time; S3 objects by
/// URL, size and ETag.
fn key(f: &Found) -> String {
    if f.is_s3() {
        return f.path.display().to_string();
    }
    std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.to_path_buf()).display().to_string()
}

pub struct Manifest {
    /// `_manifest.jsonl` of a local lake, or the `_manifest/` prefix of an S3 lake.
    path: PathBuf,
    remote: bool,
    entries: HashMap<String, (u64, i128, u64, Option<String>)>,
}

impl Manifest {
    pub fn open(lake: &Path) -> Result<Manifest> {
        use crate::lake::store;
        let remote = store::is_remote(lake);
        let mut texts = Vec::new();
        let path = if remote {
            let dir = lake.join(crate::lake::MANIFEST_DIR);
            let parts: Vec<PathBuf> = store::list(&dir)?.into_iter().map(|s| s.path).collect();
            texts = store::read_many(&parts)?;
            dir
        } else {
            let path = lake.join(crate::lake::MANIFEST_FILE);
            texts.extend(std::fs::read(&path).ok());
            path
        };
        let mut entries = HashMap::new();
        for text in texts {
            for line in String::from_utf8_lossy(&text).lines() {
                // A torn last line (crash while appending) is ignored: that file is read again.
                if let Ok(e) = serde_json::from_str::<Entry>(line) {
                    entries.insert(e.path, (e.size, e.mtime_ns, e.rejected, e.etag));
                }
            }
        }
        Ok(Manifest { path, remote, entries })
    }

    /// For a file already ingested as it is now: how many problems it had (0 = clean).
    pub fn ingested(&self, f: &Found) -> Option<u64> {
        match self.entries.get(&key(f)) {
            Some((size, mtime, rejected, etag)) if *size == f.size && *mtime == f.mtime_ns && *etag == f.etag => {
                Some(*rejected)
            }
            _ => None,
        }
    }

    pub fn append(&mut self, entries: &[Entry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut text = String::new();
        for e in entries {
            text.push_str(&serde_json::to_string(e)?);
            text.push('\n');
        }
        if self.remote {
            let name = format!("{}.jsonl", crate::lake::store::digest([text.as_str()]));
            crate::lake::store::write(&self.path.join(name), text.into_bytes())?;
        } else {
            self.append_local(&text)?;
        }
        for e in entries {
            self.entries.insert(e.path.clone(), (e.size, e.mtime_ns, e.rejected, e.etag.clone()));
        }
        Ok(())
    }

    fn append_local(&self, text: &str) -> Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .with_context(|| format!("opening {}", self.path.display()))?;
        f.write_all(text.as_bytes())?;
        f.sync_data()?;
        Ok(())
    }
}
