//! Partitioned, de-duplicated, crash-safe Parquet writing.
//!
//! Rows are buffered per Hive partition (account, region, event date), the rows of every file
//! that touches a partition appended into one buffer; the largest partitions are flushed to a
//! new Parquet file when the buffered rows or their allocated bytes pass a bound, so memory
//! stays bounded whatever the number of files, partitions or events. Each file is written under
//! a temporary name and renamed into place, so readers (and an interrupted run) only ever see
//! whole files. De-duplication is by event ID and time within a region and day, across every
//! account (the account field of two deliveries of one event can differ); only the IDs of the
//! scopes this run touches are ever loaded.
//!
//! In an S3 lake (no lock, many workers at once) a file is named by the events it holds, so two
//! workers that write the same rows write the same object, and the second PUT replaces it with
//! the same content instead of adding a copy.

use super::columns::ColumnsBuilder;
use crate::lake;
use anyhow::{Context, Result};
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::path::{Path, PathBuf};

pub use crate::lake::PartitionKey;

/// A 128-bit fingerprint of an event (its ID and time in milliseconds): two independent
/// SipHash passes, so that holding millions of events costs 16 bytes each, with a collision
/// chance that is negligible.
pub fn fingerprint(id: &str, time_ms: i64) -> u128 {
    let mut a = std::hash::DefaultHasher::new();
    (id, time_ms).hash(&mut a);
    let mut b = std::hash::DefaultHasher::new();
    (0x5eed_u32, id, time_ms).hash(&mut b);
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

/// One partition's buffered rows: rows of every file that touched it, appended into one
/// growing buffer (a file with one event costs its bytes, not a buffer of its own).
struct Buffer {
    cols: ColumnsBuilder,
    /// Numbers of the source files with rows in `cols` (each once, in arrival order).
    files: Vec<u32>,
    /// `cols.allocated_bytes()` when last measured.
    bytes: usize,
}

/// Upper bound on the heap bytes of buffered rows, whatever the row bound: rows vary in size,
/// and memory is what must stay bounded. Counted as allocated capacity, not payload.
const MAX_BUFFERED_BYTES: usize = 256 << 20;

/// The de-duplication scope of a row: its region and day, across every account. A duplicate
/// delivery has the same time and region, but not always the same account field (an event
/// delivered once with `recipientAccountId` and once without lands in two account partitions).
type Scope = (String, String);

fn scope_of(key: &PartitionKey) -> Scope {
    (key.region.clone(), key.date.clone())
}

/// One partition's rows on their way to a file.
struct FlushJob {
    dir: PathBuf,
    name: String,
    cols: ColumnsBuilder,
}

pub struct LakeWriter {
    lake: PathBuf,
    run_tag: String,
    buffers: BTreeMap<PartitionKey, Buffer>,
    buffered: usize,
    buffered_bytes: usize,
    max_buffered: usize,
    max_buffered_bytes: usize,
    seen: BTreeMap<Scope, IdSet>,
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
            max_buffered_bytes: MAX_BUFFERED_BYTES,
            seen: BTreeMap::new(),
            seen_total: 0,
            max_seen: max_buffered.max(1) * 40,
            files_written: 0,
            events_written: 0,
            duplicates: 0,
        }
    }

    /// Lower the byte budget (tests: exercise flushing on small inputs).
    pub fn with_max_buffered_bytes(mut self, bytes: usize) -> Self {
        self.max_buffered_bytes = bytes.max(1);
        self
    }

    /// Add the rows of one file for one partition (`ids` holds the fingerprint of each row);
    /// rows whose event is already in the lake or this run, in any account's partition of the
    /// same region and day, are dropped. Returns the number of rows kept.
    pub fn push(&mut self, key: PartitionKey, cols: ColumnsBuilder, ids: &[u128], file_idx: u32) -> Result<usize> {
        let scope = scope_of(&key);
        if !self.seen.contains_key(&scope) {
            self.evict_seen_if_needed();
            let ids = load_scope_ids(&self.lake, &scope)?;
            self.seen_total += ids.len();
            self.seen.insert(scope.clone(), ids);
        }
        let seen = self.seen.get_mut(&scope).expect("inserted above");
        let mut keep: Option<Vec<bool>> = None;
        for (i, id) in ids.iter().enumerate() {
            if seen.insert(*id) {
                self.seen_total += 1;
            } else {
                self.duplicates += 1;
                keep.get_or_insert_with(|| vec![true; ids.len()])[i] = false;
            }
        }
        let n = match &keep {
            Some(k) => k.iter().filter(|k| **k).count(),
            None => cols.len(),
        };
        if n == 0 {
            return Ok(0);
        }
        let buf = self.buffers.entry(key).or_insert_with(|| Buffer {
            cols: ColumnsBuilder::default(),
            files: Vec::new(),
            bytes: 0,
        });
        if buf.cols.is_empty() && keep.is_none() {
            // The first rows of a partition: take the file's buffer as it is, no copy.
            buf.cols = cols;
        } else {
            buf.cols.append(&cols, keep.as_deref());
        }
        if buf.files.last() != Some(&file_idx) {
            buf.files.push(file_idx);
        }
        let bytes = buf.cols.allocated_bytes();
        self.buffered_bytes = self.buffered_bytes + bytes - buf.bytes;
        buf.bytes = bytes;
        self.buffered += n;
        Ok(n)
    }

    /// Forget the IDs of scopes with nothing buffered once too many are held; they are
    /// reloaded from their (now complete) Parquet files if touched again.
    fn evict_seen_if_needed(&mut self) {
        if self.seen_total <= self.max_seen {
            return;
        }
        let busy: BTreeSet<Scope> = self.buffers.keys().map(scope_of).collect();
        let idle: Vec<Scope> = self.seen.keys().filter(|s| !busy.contains(*s)).cloned().collect();
        for s in idle {
            if let Some(ids) = self.seen.remove(&s) {
                self.seen_total -= ids.len();
            }
        }
    }

    pub fn over_budget(&self) -> bool {
        self.buffered >= self.max_buffered || self.buffered_bytes >= self.max_buffered_bytes
    }

    /// Flush the largest partitions (by bytes held) until under half of both bounds.
    pub fn flush_some(&mut self) -> Result<()> {
        let mut by_size: Vec<(usize, usize, &PartitionKey)> =
            self.buffers.iter().map(|(k, b)| (b.bytes, b.cols.len(), k)).collect();
        // Largest first; among equals the smallest key, so the choice is deterministic.
        by_size.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.2.cmp(b.2)));
        let (mut rows_left, mut bytes_left) = (self.buffered, self.buffered_bytes);
        let mut keys = Vec::new();
        for (bytes, rows, key) in by_size {
            if rows_left <= self.max_buffered / 2 && bytes_left <= self.max_buffered_bytes / 2 {
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
        self.buffers.values().flat_map(|b| b.files.iter().copied()).collect()
    }

    /// Rows and bytes buffered now.
    pub fn buffered(&self) -> (usize, usize) {
        (self.buffered, self.buffered_bytes)
    }

    /// Write the given partitions, several at once: each file is sorted, encoded and compressed
    /// independently, so the work spreads over every core.
    fn flush_keys(&mut self, keys: Vec<PartitionKey>) -> Result<()> {
        let mut jobs = Vec::with_capacity(keys.len());
        for key in keys {
            let Some(buf) = self.buffers.remove(&key) else { continue };
            self.buffered -= buf.cols.len();
            self.buffered_bytes -= buf.bytes;
            self.files_written += 1;
            jobs.push(FlushJob {
                dir: key.dir(&self.lake),
                name: lake::run_file_name(&self.run_tag, self.files_written as u64),
                cols: buf.cols,
            });
        }
        for n in crate::threads::on_plain_threads(jobs, write_job) {
            self.events_written += n?;
        }
        Ok(())
    }
}

fn write_job(job: FlushJob) -> Result<u64> {
    let mut df = job.cols.to_sorted_frame()?;
    drop(job.cols);
    let name = if lake::store::is_remote(&job.dir) { lake::content_file_name(&df)? } else { job.name };
    lake::store::create_dir_all(&job.dir)?;
    lake::write_events_file(&mut df, &job.dir.join(name))?;
    Ok(df.height() as u64)
}

/// The fingerprints of the events already committed in a scope: its region and day in every
/// account's folder.
fn load_scope_ids(lake: &Path, (region, date): &Scope) -> Result<IdSet> {
    let mut ids = IdSet::default();
    for dir in lake::region_day_dirs(lake, region, date)? {
        load_partition_ids(&dir, &mut ids)?;
    }
    Ok(ids)
}

/// S3 objects of one partition fetched at once (their latency overlaps).
const IDS_FETCH_BATCH: usize = 16;

/// Add the fingerprints of the events committed in one partition directory.
fn load_partition_ids(dir: &Path, ids: &mut IdSet) -> Result<()> {
    let files = lake::files_in(dir)?;
    let mut add = |df: DataFrame| -> Result<()> {
        let times = df.column("event_time")?.datetime()?.physical();
        for (id, t) in df.column("event_id")?.str()?.iter().zip(times.iter()) {
            if let (Some(id), Some(t)) = (id, t) {
                ids.insert(fingerprint(id, t));
            }
        }
        Ok(())
    };
    let columns = || Some(vec!["event_id".into(), "event_time".into()]);
    if lake::store::is_remote(dir) {
        for chunk in files.chunks(IDS_FETCH_BATCH) {
            for (path, bytes) in chunk.iter().zip(lake::store::read_many(chunk)?) {
                let df = ParquetReader::new(std::io::Cursor::new(bytes))
                    .with_columns(columns())
                    .finish()
                    .map_err(anyhow::Error::from)
                    .with_context(|| format!("reading event IDs from {}", path.display()))?;
                add(df)?;
            }
        }
        return Ok(());
    }
    for path in files {
        let f = std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?;
        let df = ParquetReader::new(f)
            .with_columns(columns())
            .finish()
            .map_err(anyhow::Error::from)
            .with_context(|| format!("reading event IDs from {}", path.display()))?;
        add(df)?;
    }
    Ok(())
}

/// Merge the event files of each partition that has several into one de-duplicated,
/// content-named file (S3 lakes, `refresh`): writers of an S3 lake take no lock, so two workers
/// whose sources overlap can both commit an event, and runs add small files. Limited to the
/// `only` partitions (relative paths) when given. Returns the partitions rewritten.
///
/// Safe to run on many machines at once: workers that see the same files write the same object,
/// a file is removed only once the merged file holding its events is committed, and one removed
/// under a worker's feet makes it look again.
pub fn compact(lake: &Path, only: Option<&BTreeSet<String>>) -> Result<usize> {
    let events = lake::events_dir(lake);
    let todo: Vec<PathBuf> = lake::partition_files(lake, &lake::Window::default())?
        .into_iter()
        .filter(|files| files.len() > 1)
        .filter_map(|files| files[0].parent().map(Path::to_path_buf))
        .filter(|dir| {
            only.is_none_or(|o| dir.strip_prefix(&events).is_ok_and(|rel| o.contains(&*rel.to_string_lossy())))
        })
        .collect();
    let mut n = 0;
    for changed in crate::threads::on_plain_threads(todo, compact_partition) {
        n += usize::from(changed?);
    }
    Ok(n)
}

/// Attempts at merging one partition whose files another worker removes meanwhile.
const COMPACT_ATTEMPTS: usize = 4;

fn compact_partition(dir: PathBuf) -> Result<bool> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let files = lake::files_in(&dir)?;
        if files.len() < 2 {
            return Ok(false);
        }
        let bytes = match lake::store::read_many(&files) {
            Ok(b) => b,
            // Another worker merged them first: look again.
            Err(_) if attempt < COMPACT_ATTEMPTS => continue,
            Err(e) => return Err(e),
        };
        let mut all: Option<DataFrame> = None;
        for (path, b) in files.iter().zip(bytes) {
            let df = ParquetReader::new(std::io::Cursor::new(b))
                .finish()
                .map_err(anyhow::Error::from)
                .with_context(|| format!("reading {}", path.display()))?;
            match all.as_mut() {
                Some(a) => {
                    a.vstack_mut(&df)
                        .map_err(anyhow::Error::from)
                        .with_context(|| format!("merging {}", path.display()))?;
                }
                None => all = Some(df),
            }
        }
        let mut df = distinct_events(all.expect("two files or more"))?;
        let name = lake::content_file_name(&df)?;
        lake::write_events_file(&mut df, &dir.join(&name))?;
        for f in files.iter().filter(|f| f.file_name().is_none_or(|n| *n != *name)) {
            lake::store::remove(f)?;
        }
        return Ok(true);
    }
}

/// One row per event (ID and time), ordered by time, ID and source file; of the copies of one
/// event the one from the first source file (by name) is kept, as a sequential ingest keeps
/// the first delivery it reads.
fn distinct_events(df: DataFrame) -> Result<DataFrame> {
    let times = df.column("event_time")?.datetime()?.physical().clone();
    let ids = df.column("event_id")?.str()?.clone();
    let sources = df.column("source_file")?.str()?.clone();
    let mut order: Vec<(Option<i64>, Option<&str>, Option<&str>, IdxSize)> = times
        .iter()
        .zip(ids.iter())
        .zip(sources.iter())
        .enumerate()
        .map(|(i, ((t, id), src))| (t, id, src, i as IdxSize))
        .collect();
    order.sort_unstable();
    order.dedup_by(|b, a| a.0 == b.0 && a.1 == b.1);
    let idx = IdxCa::from_vec("idx".into(), order.into_iter().map(|o| o.3).collect());
    Ok(df.take(&idx)?)
}

/// Remove temporary files an interrupted run left behind (they were never visible to readers).
/// An S3 lake has none: an interrupted PUT leaves no object.
pub fn remove_stale_temporaries(lake: &Path) -> Result<usize> {
    if lake::store::is_remote(lake) {
        return Ok(0);
    }
    fn walk(dir: &Path, n: &mut usize) -> Result<()> {
        let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
        for e in entries {
            let p = e.with_context(|| format!("reading {}", dir.display()))?.path();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::record::EventRow;
    use std::borrow::Cow;

    fn key(account: &str, date: &str) -> PartitionKey {
        PartitionKey { account: account.into(), region: "us-east-1".into(), date: date.into() }
    }

    /// One file's rows: `ids` at 2026-09-01T10:00Z.
    fn chunk(file: &str, ids: &[String]) -> (ColumnsBuilder, Vec<u128>) {
        chunk_at(file, ids, 1_788_256_800_000)
    }

    fn chunk_at(file: &str, ids: &[String], time: i64) -> (ColumnsBuilder, Vec<u128>) {
        let mut cols = ColumnsBuilder::for_source(file);
        let mut fps = Vec::new();
        for id in ids {
            let row = EventRow {
                event_id: Cow::Borrowed(id),
                event_time: time,
                event_source: Cow::Borrowed("s3.amazonaws.com"),
                event_name: Cow::Borrowed("GetObject"),
                user_agent: Some(Cow::Borrowed("aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux#6.5.0-41-generic")),
                request_parameters: Some(r#"{"bucketName":"example-bucket","key":"data/part-00001.parquet"}"#),
                ..Default::default()
            };
            cols.push(&row);
            fps.push(fingerprint(id, row.event_time));
        }
        (cols, fps)
    }

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("trailtrim-writer-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn lake_ids(lake: &Path) -> Vec<String> {
        let df = lake::scan_events(lake).unwrap().collect().unwrap();
        let mut ids: Vec<String> =
            df.column("event_id").unwrap().str().unwrap().iter().map(|s| s.unwrap().to_owned()).collect();
        ids.sort();
        ids
    }

    #[test]
    fn a_one_event_file_costs_a_few_hundred_bytes_of_buffer_not_a_buffer_of_its_own() {
        let lake = scratch("per-file");
        let mut w = LakeWriter::new(&lake, "t".into(), 1_000_000);
        for f in 0..2_000u32 {
            let (cols, ids) = chunk(&format!("/logs/AWSLogs/111122223333/file-{f:05}.json.gz"), &[format!("e{f}")]);
            w.push(key("111122223333", "2026-09-01"), cols, &ids, f).unwrap();
        }
        let (rows, bytes) = w.buffered();
        assert_eq!(rows, 2_000);
        // The row's text is ~250 bytes; growth by doubling at most doubles it.
        assert!(bytes / rows < 1_500, "{} bytes per one-event file", bytes / rows);
        assert_eq!(w.pending_files().len(), 2_000);
        w.flush_all().unwrap();
        assert!(w.pending_files().is_empty());
        assert_eq!(w.events_written, 2_000);
        // All files' rows of the partition went into one Parquet file.
        assert_eq!(lake::event_files(&lake).unwrap().len(), 1);
        let _ = std::fs::remove_dir_all(&lake);
    }

    #[test]
    fn the_byte_budget_flushes_the_largest_partitions_and_only_their_files_leave_pending() {
        let lake = scratch("budget");
        let mut w = LakeWriter::new(&lake, "t".into(), 1_000_000).with_max_buffered_bytes(64 << 10);
        let mut flushes = 0;
        let mut all = Vec::new();
        for f in 0..200u32 {
            // Files 0, 2, 4, ... feed a busy partition (20 rows each); odd files a quiet one.
            let (date, n) = if f % 2 == 0 { ("2026-09-01", 20) } else { ("2026-09-02", 1) };
            let ids: Vec<String> = (0..n).map(|i| format!("f{f}-{i}")).collect();
            all.extend(ids.iter().cloned());
            let (cols, fps) = chunk(&format!("file-{f}"), &ids);
            w.push(key("111122223333", date), cols, &fps, f).unwrap();
            if w.over_budget() {
                let largest = w.buffers.iter().max_by_key(|(_, b)| b.bytes).map(|(k, _)| k.clone()).unwrap();
                w.flush_some().unwrap();
                flushes += 1;
                let (_, bytes) = w.buffered();
                assert!(bytes <= 32 << 10, "after a flush {bytes} bytes stay buffered");
                // The largest partition went first; only the other one's files can be pending.
                assert!(!w.buffers.contains_key(&largest));
                let flushed_parity = u32::from(largest.date == "2026-09-02");
                let pending = w.pending_files();
                assert!(pending.iter().all(|f| f % 2 != flushed_parity), "{pending:?}");
            }
        }
        assert!(flushes >= 3, "{flushes} flushes");
        w.flush_all().unwrap();
        all.sort();
        assert_eq!(lake_ids(&lake), all);
        let _ = std::fs::remove_dir_all(&lake);
    }

    #[test]
    fn an_event_is_kept_once_whatever_account_partition_its_copies_land_in() {
        let lake = scratch("dedup-scope");
        let ids: Vec<String> = (0..10).map(|i| format!("e{i}")).collect();
        let mut w = LakeWriter::new(&lake, "a".into(), 1_000);
        let (cols, fps) = chunk("with-recipient", &ids);
        assert_eq!(w.push(key("111122223333", "2026-09-01"), cols, &fps, 0).unwrap(), 10);
        // The same events, partitioned under the caller's account (no recipientAccountId).
        let (cols, fps) = chunk("without-recipient", &ids);
        assert_eq!(w.push(key("999988887777", "2026-09-01"), cols, &fps, 1).unwrap(), 0);
        w.flush_all().unwrap();
        assert_eq!(w.duplicates, 10);
        // A later run loads the scope from every account's folder.
        let mut w = LakeWriter::new(&lake, "b".into(), 1_000);
        let (cols, fps) = chunk("again", &ids[5..]);
        assert_eq!(w.push(key("444455556666", "2026-09-01"), cols, &fps, 0).unwrap(), 0);
        // Another day is another scope; the same ID at another time is another event.
        let (cols, fps) = chunk_at("next-day", &ids[..1], 1_788_256_800_000 + 86_400_000);
        assert_eq!(w.push(key("111122223333", "2026-09-02"), cols, &fps, 1).unwrap(), 1);
        w.flush_all().unwrap();
        assert_eq!(lake_ids(&lake).len(), 11);
        let _ = std::fs::remove_dir_all(&lake);
    }
}
