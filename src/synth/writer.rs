//! Writing delivery files: S3-style paths, gzip with a fixed header (mtime 0) so that the same
//! input gives byte-identical files.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use flate2::{Compression, GzBuilder};
use serde::Serialize;

use super::record::Record;

/// What was written: files, events and compressed bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub files: u64,
    pub events: u64,
    pub bytes: u64,
}

impl Written {
    pub fn add(&mut self, other: Written) {
        self.files += other.files;
        self.events += other.events;
        self.bytes += other.bytes;
    }
}

/// `YYYY/MM/DD` of epoch seconds.
pub fn date_dirs(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default().format("%Y/%m/%d").to_string()
}

/// `YYYYMMDDTHHMMZ` of epoch seconds (the delivery stamp in a log file name).
pub fn stamp(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default().format("%Y%m%dT%H%MZ").to_string()
}

/// The folder of a CloudTrail log file; `org` puts it under an organization trail's prefix.
pub fn trail_dir(out: &Path, org: Option<&str>, account: &str, region: &str, secs: i64) -> PathBuf {
    let mut p = out.join("AWSLogs");
    if let Some(org) = org {
        p = p.join(org);
    }
    p.join(account).join("CloudTrail").join(region).join(date_dirs(secs))
}

/// `<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<suffix>.json.gz`
pub fn log_file_name(account: &str, region: &str, secs: i64, suffix: &str) -> String {
    format!("{account}_CloudTrail_{region}_{}_{suffix}.json.gz", stamp(secs))
}

/// A gzip writer with a deterministic header.
pub fn gz_create(path: &Path, level: u32) -> anyhow::Result<flate2::write::GzEncoder<BufWriter<File>>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    Ok(GzBuilder::new().mtime(0).write(BufWriter::with_capacity(1 << 16, file), Compression::new(level)))
}

fn finish(enc: flate2::write::GzEncoder<BufWriter<File>>, path: &Path) -> anyhow::Result<u64> {
    let mut buf = enc.finish().with_context(|| format!("writing {}", path.display()))?;
    buf.flush().with_context(|| format!("writing {}", path.display()))?;
    Ok(std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?.len())
}

/// Writes `{"Records":[...]}` gzipped; returns the compressed size. Records may be made as they
/// are written (the benchmark corpora never hold a file's records at once). `blocks`: serialize
/// into 128 KiB blocks before compressing (fewer, bigger calls into deflate). The compressed bytes
/// depend on how the text is handed to deflate, so each corpus keeps its own way.
pub fn write_records<R: std::borrow::Borrow<Record>>(
    path: &Path,
    records: impl IntoIterator<Item = anyhow::Result<R>>,
    level: u32,
    blocks: bool,
) -> anyhow::Result<u64> {
    let mut enc = gz_create(path, level)?;
    enc.write_all(b"{\"Records\":[")?;
    let mut buf = Vec::with_capacity(if blocks { 1 << 18 } else { 0 });
    for (i, r) in records.into_iter().enumerate() {
        let r = r?;
        if !blocks {
            if i > 0 {
                enc.write_all(b",")?;
            }
            serde_json::to_writer(&mut enc, r.borrow())?;
            continue;
        }
        if i > 0 {
            buf.push(b',');
        }
        serde_json::to_writer(&mut buf, r.borrow())?;
        if buf.len() >= 1 << 17 {
            enc.write_all(&buf)?;
            buf.clear();
        }
    }
    if blocks {
        enc.write_all(&buf)?;
    }
    enc.write_all(b"]}")?;
    finish(enc, path)
}

/// Writes any serializable value as gzipped JSON; returns the compressed size.
pub fn write_json_gz(path: &Path, value: &impl Serialize) -> anyhow::Result<u64> {
    let mut enc = gz_create(path, 6)?;
    serde_json::to_writer(&mut enc, value)?;
    finish(enc, path)
}

/// Writes pretty JSON (plain text, for the IAM inputs).
pub fn write_pretty(path: &Path, value: &impl Serialize) -> anyhow::Result<u64> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    write_text(path, &text)
}

pub fn write_text(path: &Path, text: &str) -> anyhow::Result<u64> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(text.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_delivery_layout() {
        let t = 1_788_220_800 + 9 * 3600 + 35 * 60; // 2026-09-01T09:35Z
        assert_eq!(
            log_file_name("111122223333", "us-east-1", t, "AbCdEfGhIjKlMnOp"),
            "111122223333_CloudTrail_us-east-1_20260901T0935Z_AbCdEfGhIjKlMnOp.json.gz"
        );
        let d = trail_dir(Path::new("/o"), Some("o-x"), "111122223333", "eu-west-1", t);
        assert_eq!(d, Path::new("/o/AWSLogs/o-x/111122223333/CloudTrail/eu-west-1/2026/09/01"));
    }
}
