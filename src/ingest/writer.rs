//! Partitioned, de-duplicated, crash-safe Parquet writing.
//!
//! Rows are buffered per Hive partition (account, region, event date); a partition is flushed
//! to a new Parquet file when the total buffered rows pass a bound, so memory stays bounded
//! whatever the volume. Each file is written under a temporary name and renamed into place,
//! so readers (and an interrupted run) only ever see whole files. De-duplication is per
//! partition: a duplicate delivery of an event has the same time and region, so it lands in
//! the same partition; only the IDs of partitions this run touches are ever loaded.

use crate::lake;
use anyhow::{bail, Context, Result};
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

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
pub fn fingerprint(id: &str) -> u128 {
    let mut a = std::hash::DefaultHasher::new();
    id.hash(&mut a);
    let mut b = std::hash::DefaultHasher::new();
    (0x5eed_u32, id).hash(&mut b);
    ((a.finish() as u128) << 64) | b.finish() as u128
}

/// Fingerprints are already uniformly random: the set hashes them by folding, not rehashing.
#[derive(Default)]
pub struct FingerprintHasher(u64);

impl Hasher for FingerprintHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ b as u64;
        }
    }
    fn write_u128(&mut self, v: u128) {
        self.0 ^= (v as u64) ^ ((v >> 64) as u64);
    }
}

type IdSet = HashSet<u128, BuildHasherDefault<FingerprintHasher>>;

/// zstd level of event files: level 1 compresses nearly as well as the default on this
/// repetitive text at a fraction of the CPU time.
const ZSTD_LEVEL: i32 = 1;

struct Buffer {
    /// Chunks of rows in arrival order, each with the number of the file it came from.
    chunks: Vec<(DataFrame, u32)>,
    rows: usize,
    bytes: usize,
}

/// Upper bound on the bytes of buffered rows, whatever the row bound: rows vary in size, and
/// memory is what must stay bounded. Flushing partitions of a few thousand rows costs little.
const MAX_BUFFERED_BYTES: usize = 128 << 20;

/// One partition's rows on their way to a file.
struct FlushJob {
    dir: PathBuf,
    name: String,
    chunks: Vec<DataFrame>,
}

pub struct LakeWriter {
    lake: PathBuf,
    run_tag: String,
    buffers: BTreeMap<PartitionKey, Buffer>,
    buffered: usize,
    buffered_bytes: usize,
    max_buffered: usize,
    seen: BTreeMap<PartitionKey, IdSet>,
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
            buffered_bytes: 0,
            max_buffered: max_buffered.max(1),
            seen: BTreeMap::new(),
            seen_total: 0,
            max_seen: max_buffered.max(1) * 40,
            files_written: 0,
            events_written: 0,
            duplicates: 0,
        }
    }

    /// Add the rows of one file for one partition (`ids` holds the fingerprint of each row's
    /// event ID); rows whose event is already in the partition are dropped. Returns the number
    /// of rows kept.
    pub fn push(&mut self, key: PartitionKey, frame: DataFrame, ids: &[u128], file_idx: u32) -> Result<usize> {
        if !self.seen.contains_key(&key) {
            self.evict_seen_if_needed();
            let ids = load_partition_ids(&key.dir(&self.lake))?;
            self.seen_total += ids.len();
            self.seen.insert(key.clone(), ids);
        }
        let seen = self.seen.get_mut(&key).expect("inserted above");
        let mut keep: Option<Vec<bool>> = None;
        for (i, id) in ids.iter().enumerate() {
            if seen.insert(*id) {
                self.seen_total += 1;
            } else {
                self.duplicates += 1;
                keep.get_or_insert_with(|| vec![true; ids.len()])[i] = false;
            }
        }
        let frame = match keep {
            Some(mask) => frame.filter(&BooleanChunked::from_slice("keep".into(), &mask))?,
            None => frame,
        };
        let n = frame.height();
        if n == 0 {
            return Ok(0);
        }
        let bytes = frame.estimated_size();
        let buf = self.buffers.entry(key).or_insert_with(|| Buffer { chunks: Vec::new(), rows: 0, bytes: 0 });
        buf.chunks.push((frame, file_idx));
        buf.rows += n;
        buf.bytes += bytes;
        self.buffered += n;
        self.buffered_bytes += bytes;
        Ok(n)
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
        self.buffered >= self.max_buffered || self.buffered_bytes >= MAX_BUFFERED_BYTES
    }

    /// Flush the largest partitions until under half of both bounds.
    pub fn flush_some(&mut self) -> Result<()> {
        let mut by_size: Vec<(usize, usize, &PartitionKey)> =
            self.buffers.iter().map(|(k, b)| (b.rows, b.bytes, k)).collect();
        // Largest first; among equals the smallest key, so the choice is deterministic.
        by_size.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.2.cmp(b.2)));
        let (mut rows_left, mut bytes_left) = (self.buffered, self.buffered_bytes);
        let mut keys = Vec::new();
        for (rows, bytes, key) in by_size {
            if rows_left <= self.max_buffered / 2 && bytes_left <= MAX_BUFFERED_BYTES / 2 {
                break;
            }
            rows_left -= rows;
            bytes_left -= bytes;
            keys.push(key.clone());
        }
        self.flush_keys(keys)
    }

    pub fn flush_all(&mut self) -> Result<()> {
        let keys: Vec<PartitionKey> = self.buffers.keys().cloned().collect();
        self.flush_keys(keys)
    }

    /// Source files that still have rows waiting in a buffer.
    pub fn pending_files(&self) -> BTreeSet<u32> {
        self.buffers.values().flat_map(|b| b.chunks.iter().map(|(_, f)| *f)).collect()
    }

    /// Write the given partitions, several at once: each file is sorted, encoded and compressed
    /// independently, so the work spreads over every core.
    fn flush_keys(&mut self, keys: Vec<PartitionKey>) -> Result<()> {
        let mut jobs = Vec::with_capacity(keys.len());
        for key in keys {
            let Some(buf) = self.buffers.remove(&key) else { continue };
            self.buffered -= buf.rows;
            self.buffered_bytes -= buf.bytes;
            self.files_written += 1;
            jobs.push(FlushJob {
                dir: key.dir(&self.lake),
                name: format!("part-{}-{:05}.parquet", self.run_tag, self.files_written),
                chunks: buf.chunks.into_iter().map(|(df, _)| df).collect(),
            });
        }
        for n in run_jobs(jobs) {
            self.events_written += n?;
        }
        Ok(())
    }
}

/// Run the flush jobs on a few plain threads, each taking the next job when it is done.
///
/// Not on a rayon pool: polars blocks on its own pool inside a job, and a rayon worker that
/// blocks across pools steals the next job onto the same stack (thousands of partitions then
/// nest thousands of jobs and overflow it). A plain thread just waits.
fn run_jobs(jobs: Vec<FlushJob>) -> Vec<Result<u64>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(jobs.len());
    let slots: Vec<Mutex<Option<FlushJob>>> = jobs.into_iter().map(|j| Mutex::new(Some(j))).collect();
    let results: Vec<Mutex<Option<Result<u64>>>> = slots.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(slot) = slots.get(i) else { break };
                let job = slot.lock().expect("job slot").take().expect("each job is taken once");
                *results[i].lock().expect("result slot") = Some(write_job(job));
            });
        }
    });
    results.into_iter().map(|r| r.into_inner().expect("result slot").expect("every job ran")).collect()
}

fn write_job(job: FlushJob) -> Result<u64> {
    let mut df = sorted_frame(job.chunks)?;
    std::fs::create_dir_all(&job.dir).with_context(|| format!("creating {}", job.dir.display()))?;
    write_events_file(&mut df, &job.dir.join(job.name))?;
    Ok(df.height() as u64)
}

/// The chunks as one frame, rows sorted by (event_time, event_id): the file's content is then
/// independent of read order, and row-group statistics on time are tight for pruning.
fn sorted_frame(chunks: Vec<DataFrame>) -> Result<DataFrame> {
    let mut keys: Vec<(i64, &str, IdxSize)> = Vec::with_capacity(chunks.iter().map(|c| c.height()).sum());
    for c in &chunks {
        let times = c.column("event_time")?.datetime()?.physical();
        let ids = c.column("event_id")?.str()?;
        for (t, id) in times.iter().zip(ids.iter()) {
            let i = keys.len() as IdxSize;
            keys.push((t.unwrap_or_default(), id.unwrap_or_default(), i));
        }
    }
    keys.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let order = IdxCa::from_vec("order".into(), keys.into_iter().map(|k| k.2).collect());
    let mut iter = chunks.iter();
    let Some(first) = iter.next() else { bail!("a flushed partition has no rows") };
    let mut all = first.clone();
    for c in iter {
        all.vstack_mut(c)?;
    }
    Ok(all.take(&order)?)
}

/// Write an events file (see `write_parquet_atomically`) with the lake's encoding settings.
fn write_events_file(df: &mut DataFrame, path: &Path) -> Result<()> {
    let level = polars::polars_utils::compression::ZstdLevel::try_new(ZSTD_LEVEL)?;
    write_atomically(df, path, ParquetCompression::Zstd(Some(level)), StatisticsOptions::default())
}

/// Write under a temporary name in the same directory, fsync, then rename into place.
pub fn write_parquet_atomically(df: &mut DataFrame, path: &Path) -> Result<()> {
    write_atomically(df, path, ParquetCompression::Zstd(None), StatisticsOptions::full())
}

fn write_atomically(
    df: &mut DataFrame,
    path: &Path,
    compression: ParquetCompression,
    statistics: StatisticsOptions,
) -> Result<()> {
    let tmp = path.with_extension("parquet.tmp");
    {
        let mut f = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        ParquetWriter::new(&mut f)
            .with_compression(compression)
            .with_statistics(statistics)
            .finish(df)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("writing {}", tmp.display()))?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("renaming {} into place", tmp.display()))?;
    Ok(())
}

/// The event IDs already committed in one partition directory.
fn load_partition_ids(dir: &Path) -> Result<IdSet> {
    let mut ids = IdSet::default();
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
