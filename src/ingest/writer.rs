//! Partitioned, de-duplicated, crash-safe Parquet writing.
//!
//! Rows are buffered per Hive partition (account, region, event date); a partition is flushed
//! to a new Parquet file when the total buffered rows pass a bound, so memory stays bounded
//! whatever the volume. Each file is written under a temporary name and renamed into place,
//! so readers (and an interrupted run) only ever see whole files. De-duplication is per
//! partition: a duplicate delivery of an event has the same time and region, so it lands in
//! the same partition; only the IDs of partitions this run touches are ever loaded.

use super::record::EventRow;
use crate::lake::{self, ColumnKind, COLUMNS};
use anyhow::{Context, Result};
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

/// Where a row belongs in the lake.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionKey {
    pub account: String,
    pub region: String,
    /// `YYYY-MM-DD` of the event time (UTC).
    pub date: String,
}

impl PartitionKey {
    pub fn dir(&self, lake: &Path) -> PathBuf {
        lake::events_dir(lake)
            .join(format!("account={}", self.account))
            .join(format!("region={}", self.region))
            .join(format!("event_date={}", self.date))
    }
}

/// A 128-bit fingerprint of an event ID: two independent SipHash passes, so that holding
/// millions of IDs costs 16 bytes each, with a collision chance that is negligible.
fn fingerprint(id: &str) -> u128 {
    let mut a = std::hash::DefaultHasher::new();
    id.hash(&mut a);
    let mut b = std::hash::DefaultHasher::new();
    (0x5eed_u32, id).hash(&mut b);
    ((a.finish() as u128) << 64) | b.finish() as u128
}

struct Buffer {
    rows: Vec<(EventRow, u32)>,
}

pub struct LakeWriter {
    lake: PathBuf,
    run_tag: String,
    buffers: BTreeMap<PartitionKey, Buffer>,
    buffered: usize,
    max_buffered: usize,
    seen: BTreeMap<PartitionKey, HashSet<u128>>,
    seen_total: usize,
    max_seen: usize,
    files_written: usize,
    pub events_written: u64,
    pub duplicates: u64,
}

impl LakeWriter {
    /// `run_tag` makes this run's file names unique (and sortable) within a partition.
    pub fn new(lake: &Path, run_tag: String, max_buffered: usize) -> Self {
        LakeWriter {
            lake: lake.to_path_buf(),
            run_tag,
            buffers: BTreeMap::new(),
            buffered: 0,
            max_buffered: max_buffered.max(1),
            seen: BTreeMap::new(),
            seen_total: 0,
            max_seen: max_buffered.max(1) * 40,
            files_written: 0,
            events_written: 0,
            duplicates: 0,
        }
    }

    /// Add a row from source file number `file_idx`; false when it was a duplicate.
    pub fn push(&mut self, key: PartitionKey, row: EventRow, file_idx: u32) -> Result<bool> {
        if !self.seen.contains_key(&key) {
            self.evict_seen_if_needed();
            let ids = load_partition_ids(&key.dir(&self.lake))?;
            self.seen_total += ids.len();
            self.seen.insert(key.clone(), ids);
        }
        let seen = self.seen.get_mut(&key).expect("inserted above");
        if !seen.insert(fingerprint(&row.event_id)) {
            self.duplicates += 1;
            return Ok(false);
        }
        self.seen_total += 1;
        self.buffers.entry(key).or_insert_with(|| Buffer { rows: Vec::new() }).rows.push((row, file_idx));
        self.buffered += 1;
        Ok(true)
    }

    /// Forget the IDs of partitions with nothing buffered once too many are held; they are
    /// reloaded from their (now complete) Parquet files if touched again.
    fn evict_seen_if_needed(&mut self) {
        if self.seen_total <= self.max_seen {
            return;
        }
        let idle: Vec<PartitionKey> = self.seen.keys().filter(|k| !self.buffers.contains_key(*k)).cloned().collect();
        for k in idle {
            if let Some(ids) = self.seen.remove(&k) {
                self.seen_total -= ids.len();
            }
        }
    }

    pub fn over_budget(&self) -> bool {
        self.buffered >= self.max_buffered
    }

    /// Flush the largest partitions until under half the bound.
    pub fn flush_some(&mut self) -> Result<()> {
        while self.buffered > self.max_buffered / 2 {
            let Some(key) =
                self.buffers.iter().max_by_key(|(k, b)| (b.rows.len(), std::cmp::Reverse(*k))).map(|(k, _)| k.clone())
            else {
                break;
            };
            self.flush_partition(&key)?;
        }
        Ok(())
    }

    pub fn flush_all(&mut self) -> Result<()> {
        let keys: Vec<PartitionKey> = self.buffers.keys().cloned().collect();
        for k in keys {
            self.flush_partition(&k)?;
        }
        Ok(())
    }

    /// Source files that still have rows waiting in a buffer.
    pub fn pending_files(&self) -> BTreeSet<u32> {
        self.buffers.values().flat_map(|b| b.rows.iter().map(|(_, f)| *f)).collect()
    }

    fn flush_partition(&mut self, key: &PartitionKey) -> Result<()> {
        let Some(buf) = self.buffers.remove(key) else { return Ok(()) };
        self.buffered -= buf.rows.len();
        let mut rows: Vec<EventRow> = buf.rows.into_iter().map(|(r, _)| r).collect();
        // Sorted rows make the file's content independent of read order and give tight
        // row-group statistics on time for pruning.
        rows.sort_by(|a, b| (a.event_time, &a.event_id).cmp(&(b.event_time, &b.event_id)));
        let n = rows.len() as u64;
        let mut df = rows_to_frame(&rows)?;
        drop(rows);
        let dir = key.dir(&self.lake);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        self.files_written += 1;
        let name = format!("part-{}-{:05}.parquet", self.run_tag, self.files_written);
        write_parquet_atomically(&mut df, &dir.join(name))?;
        self.events_written += n;
        Ok(())
    }
}

/// Build a DataFrame in the lake's column order from rows.
pub fn rows_to_frame(rows: &[EventRow]) -> Result<DataFrame> {
    macro_rules! s {
        ($f:ident) => {
            rows.iter().map(|r| r.$f.as_deref()).collect::<Vec<Option<&str>>>()
        };
    }
    let mut cols = Vec::with_capacity(COLUMNS.len());
    for (name, kind) in COLUMNS {
        let col: Column = match *name {
            "event_id" => Column::new((*name).into(), rows.iter().map(|r| r.event_id.as_str()).collect::<Vec<_>>()),
            "event_time" => Column::new((*name).into(), rows.iter().map(|r| r.event_time).collect::<Vec<i64>>()),
            "event_source" => {
                Column::new((*name).into(), rows.iter().map(|r| r.event_source.as_str()).collect::<Vec<_>>())
            }
            "event_name" => Column::new((*name).into(), rows.iter().map(|r| r.event_name.as_str()).collect::<Vec<_>>()),
            "aws_region" => Column::new((*name).into(), s!(aws_region)),
            "source_ip" => Column::new((*name).into(), s!(source_ip)),
            "user_agent" => Column::new((*name).into(), s!(user_agent)),
            "error_code" => Column::new((*name).into(), s!(error_code)),
            "error_message" => Column::new((*name).into(), s!(error_message)),
            "read_only" => Column::new((*name).into(), rows.iter().map(|r| r.read_only).collect::<Vec<_>>()),
            "event_type" => Column::new((*name).into(), s!(event_type)),
            "event_category" => Column::new((*name).into(), s!(event_category)),
            "management_event" => {
                Column::new((*name).into(), rows.iter().map(|r| r.management_event).collect::<Vec<_>>())
            }
            "recipient_account_id" => Column::new((*name).into(), s!(recipient_account_id)),
            "identity_type" => Column::new((*name).into(), s!(identity_type)),
            "identity_arn" => Column::new((*name).into(), s!(identity_arn)),
            "principal_id" => Column::new((*name).into(), s!(principal_id)),
            "account_id" => Column::new((*name).into(), s!(account_id)),
            "access_key_id" => Column::new((*name).into(), s!(access_key_id)),
            "user_name" => Column::new((*name).into(), s!(user_name)),
            "invoked_by" => Column::new((*name).into(), s!(invoked_by)),
            "session_issuer_arn" => Column::new((*name).into(), s!(session_issuer_arn)),
            "session_issuer_type" => Column::new((*name).into(), s!(session_issuer_type)),
            "session_issuer_name" => Column::new((*name).into(), s!(session_issuer_name)),
            "session_name" => Column::new((*name).into(), s!(session_name)),
            "session_mfa" => Column::new((*name).into(), rows.iter().map(|r| r.session_mfa).collect::<Vec<_>>()),
            "session_created" => {
                Column::new((*name).into(), rows.iter().map(|r| r.session_created).collect::<Vec<_>>())
            }
            "source_identity" => Column::new((*name).into(), s!(source_identity)),
            "ec2_role_delivery" => Column::new((*name).into(), s!(ec2_role_delivery)),
            "user_identity" => Column::new((*name).into(), s!(user_identity)),
            "request_parameters" => Column::new((*name).into(), s!(request_parameters)),
            "response_elements" => Column::new((*name).into(), s!(response_elements)),
            "additional_event_data" => Column::new((*name).into(), s!(additional_event_data)),
            "resources" => Column::new((*name).into(), s!(resources)),
            "shared_event_id" => Column::new((*name).into(), s!(shared_event_id)),
            "vpc_endpoint_id" => Column::new((*name).into(), s!(vpc_endpoint_id)),
            "event_version" => Column::new((*name).into(), s!(event_version)),
            "request_id" => Column::new((*name).into(), s!(request_id)),
            "tls_details" => Column::new((*name).into(), s!(tls_details)),
            "extra" => Column::new((*name).into(), s!(extra)),
            "source_file" => Column::new((*name).into(), s!(source_file)),
            other => unreachable!("column {other} has no builder"),
        };
        let col = if *kind == ColumnKind::Time { col.cast(&kind.dtype())? } else { col };
        cols.push(col);
    }
    Ok(DataFrame::new(rows.len(), cols)?)
}

/// Write under a temporary name in the same directory, fsync, then rename into place.
pub fn write_parquet_atomically(df: &mut DataFrame, path: &Path) -> Result<()> {
    let tmp = path.with_extension("parquet.tmp");
    {
        let mut f = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        ParquetWriter::new(&mut f)
            .with_compression(ParquetCompression::Zstd(None))
            .with_statistics(StatisticsOptions::full())
            .finish(df)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("writing {}", tmp.display()))?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("renaming {} into place", tmp.display()))?;
    Ok(())
}

/// The event IDs already committed in one partition directory.
fn load_partition_ids(dir: &Path) -> Result<HashSet<u128>> {
    let mut ids = HashSet::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(ids) };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    for path in files {
        if path.extension().is_none_or(|e| e != "parquet") {
            continue;
        }
        let f = std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?;
        let df = ParquetReader::new(f)
            .with_columns(Some(vec!["event_id".into()]))
            .finish()
            .map_err(anyhow::Error::from)
            .with_context(|| format!("reading event IDs from {}", path.display()))?;
        for id in df.column("event_id")?.str()?.iter().flatten() {
            ids.insert(fingerprint(id));
        }
    }
    Ok(ids)
}

/// Remove temporary files an interrupted run left behind (they were never visible to readers).
pub fn remove_stale_temporaries(lake: &Path) -> Result<usize> {
    fn walk(dir: &Path, n: &mut usize) -> Result<()> {
        let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
        for e in entries {
            let p = e?.path();
            if p.is_dir() {
                walk(&p, n)?;
            } else if p.to_string_lossy().ends_with(".tmp") {
                std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
                *n += 1;
            }
        }
        Ok(())
    }
    let mut n = 0;
    walk(&lake::events_dir(lake), &mut n)?;
    Ok(n)
}
