//! The event lake's layout and schema, and reading it back as polars LazyFrames.
//!
//! One place knows the layout: `DIR/events/account=<id>/region=<r>/event_date=<YYYY-MM-DD>/*.parquet`
//! (Hive partitions that DuckDB, Athena, Trino and Spark read as they are). `DIR` is a folder
//! or an S3 prefix (`s3://bucket/prefix`); [`store`] is the one place that tells them apart.

use anyhow::{anyhow, bail, Context, Result};
use polars::prelude::*;
use std::path::{Path, PathBuf};

pub mod store;

pub const EVENTS_DIR: &str = "events";
/// Derived state (usage facts, mapping counts, detection tallies), per partition, in the same
/// `account=../region=../event_date=..` folders as the events.
pub const USAGE_DIR: &str = "usage";
pub const ERRORS_DIR: &str = "_errors";
pub const MANIFEST_FILE: &str = "_manifest.jsonl";
/// The manifest of a lake without a lock (S3): one object per commit, never appended to.
pub const MANIFEST_DIR: &str = "_manifest";
pub const LOCK_FILE: &str = "_lock";

/// An exclusive writer lock on the lake, held until dropped. Writers (ingest, the usage
/// refresh) take it so that two runs on the same lake never interleave; readers need none,
/// since every file appears whole (written under a temporary name, then renamed).
/// An S3 lake has no lock: its writers are idempotent instead (content-addressed names, one
/// manifest object per commit), so that many workers can share it.
pub struct WriteLock(#[allow(dead_code)] Option<std::fs::File>);

pub fn lock_for_writing(lake: &Path) -> Result<WriteLock> {
    if store::is_remote(lake) {
        return Ok(WriteLock(None));
    }
    std::fs::create_dir_all(lake).with_context(|| format!("creating the lake at {}", lake.display()))?;
    let path = lake.join(LOCK_FILE);
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    f.lock().with_context(|| format!("locking {}", path.display()))?;
    Ok(WriteLock(Some(f)))
}

pub use crate::names::{is_account_id as is_account, is_region};

/// Columns stored in every events Parquet file, in order, with their types.
/// (Partition columns `account`, `region`, `event_date` come from the directory names.)
pub const COLUMNS: &[(&str, ColumnKind)] = &[
    ("event_id", ColumnKind::Str),
    ("event_time", ColumnKind::Time),
    ("event_source", ColumnKind::Str),
    ("event_name", ColumnKind::Str),
    ("aws_region", ColumnKind::Str),
    ("source_ip", ColumnKind::Str),
    ("user_agent", ColumnKind::Str),
    ("error_code", ColumnKind::Str),
    ("error_message", ColumnKind::Str),
    ("read_only", ColumnKind::Bool),
    ("event_type", ColumnKind::Str),
    ("event_category", ColumnKind::Str),
    ("management_event", ColumnKind::Bool),
    ("recipient_account_id", ColumnKind::Str),
    ("identity_type", ColumnKind::Str),
    ("identity_arn", ColumnKind::Str),
    ("principal_id", ColumnKind::Str),
    ("account_id", ColumnKind::Str),
    ("access_key_id", ColumnKind::Str),
    ("user_name", ColumnKind::Str),
    ("invoked_by", ColumnKind::Str),
    ("session_issuer_arn", ColumnKind::Str),
    ("session_issuer_type", ColumnKind::Str),
    ("session_issuer_name", ColumnKind::Str),
    ("session_name", ColumnKind::Str),
    ("session_mfa", ColumnKind::Bool),
    ("session_created", ColumnKind::Time),
    ("source_identity", ColumnKind::Str),
    ("ec2_role_delivery", ColumnKind::Str),
    ("user_identity", ColumnKind::Str),
    ("request_parameters", ColumnKind::Str),
    ("response_elements", ColumnKind::Str),
    ("additional_event_data", ColumnKind::Str),
    ("resources", ColumnKind::Str),
    ("shared_event_id", ColumnKind::Str),
    ("vpc_endpoint_id", ColumnKind::Str),
    ("event_version", ColumnKind::Str),
    ("request_id", ColumnKind::Str),
    ("tls_details", ColumnKind::Str),
    ("extra", ColumnKind::Str),
    ("source_file", ColumnKind::Str),
];

/// The time window of a report, as inclusive UTC dates (`YYYY-MM-DD`).
#[derive(Debug, Clone, Default)]
pub struct Window {
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
}

impl Window {
    /// Keep the rows of the window, by the `event_date` partition column (whole partitions are
    /// skipped without being read).
    pub fn apply(&self, mut lf: LazyFrame) -> LazyFrame {
        if let Some(from) = self.from {
            lf = lf.filter(col("event_date").gt_eq(lit(from)));
        }
        if let Some(to) = self.to {
            lf = lf.filter(col("event_date").lt_eq(lit(to)));
        }
        lf
    }

    pub fn contains(&self, d: chrono::NaiveDate) -> bool {
        self.from.is_none_or(|f| d >= f) && self.to.is_none_or(|t| d <= t)
    }

    /// True if the partition (a relative `account=../region=../event_date=..` path, or a folder
    /// ending in one) may hold events of the window; one without a date is kept.
    pub fn contains_partition(&self, rel: &str) -> bool {
        partition_values(rel).is_none_or(|(_, _, d)| self.contains(d))
    }
}

/// Where a row belongs in the lake: its Hive partition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionKey {
    pub account: String,
    pub region: String,
    /// `YYYY-MM-DD` of the event time (UTC).
    pub date: String,
}

impl PartitionKey {
    /// The partition's folder under the events folder: `account=A/region=R/event_date=D`.
    pub fn rel(&self) -> PathBuf {
        Path::new(&format!("account={}", self.account)).join(region_day(&self.region, &self.date))
    }

    /// The partition's folder of events.
    pub fn dir(&self, lake: &Path) -> PathBuf {
        events_dir(lake).join(self.rel())
    }
}

/// `region=R/event_date=D`, the part of a partition's folder below its account.
fn region_day(region: &str, date: &str) -> PathBuf {
    Path::new(&format!("region={region}")).join(format!("event_date={date}"))
}

/// The folders of one region and day in every account folder of the lake (whether they exist
/// or not).
pub fn region_day_dirs(lake: &Path, region: &str, date: &str) -> Result<Vec<PathBuf>> {
    Ok(store::list_dirs(&events_dir(lake))?.into_iter().map(|account| account.join(region_day(region, date))).collect())
}

/// The partition values of a path ending in `account=A/region=R/event_date=D`.
pub fn partition_values(path: &str) -> Option<(String, String, chrono::NaiveDate)> {
    let mut parts = path.trim_end_matches(['/', '\\']).rsplit(['/', '\\']);
    let date = parts.next()?.strip_prefix("event_date=")?;
    let region = parts.next()?.strip_prefix("region=")?;
    let account = parts.next()?.strip_prefix("account=")?;
    let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    Some((account.to_owned(), region.to_owned(), date))
}

/// Check that a reader's `--lake` is a lake (a folder with `events/` or the ingest manifest):
/// a misspelt path is a usage error naming it, never an empty lake.
pub fn require(lake: &Path) -> Result<()> {
    if store::is_remote(lake) {
        if store::has_any(&lake.join(EVENTS_DIR))? || store::has_any(&lake.join(MANIFEST_DIR))? {
            return Ok(());
        }
    } else if lake.join(EVENTS_DIR).is_dir() || lake.join(MANIFEST_FILE).is_file() {
        return Ok(());
    }
    let what =
        if store::has_any(lake)? { "is not a trailtrim lake (it has no events/ folder)" } else { "does not exist" };
    crate::usage_bail!(
        "--lake {}: {what}; run `trailtrim ingest SRC... --lake {}` first",
        lake.display(),
        lake.display()
    )
}

/// Write a Parquet file as the lake writes every file: under a temporary name in the same
/// folder, fsync, then rename into place, so readers see a file whole or not at all (on S3:
/// encoded in memory, then one PUT).
pub fn write_parquet(
    df: &mut DataFrame,
    path: &Path,
    compression: ParquetCompression,
    statistics: StatisticsOptions,
) -> Result<()> {
    if store::is_remote(path) {
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes)
            .with_compression(compression)
            .with_statistics(statistics)
            .finish(df)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("encoding {}", path.display()))?;
        return store::write(path, bytes);
    }
    let tmp = path.with_extension("parquet.tmp");
    {
        let f = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        // Buffered: the Parquet writer emits metadata in many tiny writes (a syscall each).
        let mut out = std::io::BufWriter::with_capacity(1 << 20, f);
        ParquetWriter::new(&mut out)
            .with_compression(compression)
            .with_statistics(statistics)
            .finish(df)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("writing {}", tmp.display()))?;
        let f = out.into_inner().map_err(|e| e.into_error()).with_context(|| format!("writing {}", tmp.display()))?;
        f.sync_all().with_context(|| format!("writing {}", tmp.display()))?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("renaming {} into place", tmp.display()))?;
    Ok(())
}

/// Derived state (facts and the like): zstd at its default level, full statistics.
pub fn write_state_parquet(df: &mut DataFrame, path: &Path) -> Result<()> {
    write_parquet(df, path, ParquetCompression::Zstd(None), StatisticsOptions::full())
}

/// Scan Parquet files (no globbing); with `hive`, add the partition columns from their paths.
pub fn scan_parquet(files: &[PathBuf], hive: bool) -> Result<LazyFrame> {
    let paths: Vec<PlRefPath> = files.iter().map(|p| PlRefPath::new(p.to_string_lossy().as_ref())).collect();
    let mut args = ScanArgsParquet { glob: false, ..Default::default() };
    if hive {
        args.hive_options =
            HiveOptions { enabled: Some(true), hive_start_idx: 0, schema: Some(hive_schema()), try_parse_dates: true };
    }
    LazyFrame::scan_parquet_files(paths.into_iter().collect(), args).map_err(anyhow::Error::from)
}

/// Hive partition columns, outermost first.
pub const PARTITION_COLUMNS: &[&str] = &["account", "region", "event_date"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Str,
    Bool,
    /// Datetime in milliseconds, UTC.
    Time,
}

impl ColumnKind {
    pub fn dtype(self) -> DataType {
        match self {
            ColumnKind::Str => DataType::String,
            ColumnKind::Bool => DataType::Boolean,
            ColumnKind::Time => DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)),
        }
    }
}

pub fn events_dir(lake: &Path) -> PathBuf {
    lake.join(EVENTS_DIR)
}

pub fn usage_dir(lake: &Path) -> PathBuf {
    lake.join(USAGE_DIR)
}

/// The committed event files of one partition folder, sorted.
pub fn files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = store::list(dir)?.into_iter().map(|s| s.path).collect();
    files.retain(|p| is_event_file(p));
    Ok(files)
}

/// Committed event files end in `.parquet` (temporary ones in `.parquet.tmp`).
fn is_event_file(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "parquet")
}

/// zstd level of event files: level 1 compresses nearly as well as the default on this
/// repetitive text at a fraction of the CPU time.
const EVENTS_ZSTD_LEVEL: i32 = 1;

/// Write an events file (atomically, see [`write_parquet`]) with the lake's encoding settings.
pub fn write_events_file(df: &mut DataFrame, path: &Path) -> Result<()> {
    let level = polars::polars_utils::compression::ZstdLevel::try_new(EVENTS_ZSTD_LEVEL)?;
    write_parquet(df, path, ParquetCompression::Zstd(Some(level)), StatisticsOptions::default())
}

/// The name of the `n`th events file a (local) run writes: `part-<run>-<n>.parquet`.
pub fn run_file_name(run_tag: &str, n: u64) -> String {
    format!("part-{run_tag}-{n:05}.parquet")
}

/// `part-<digest>.parquet`, the digest of the file's set of events (ID and time, in any order):
/// the same events give the same name whichever worker writes them (S3 lakes).
pub fn content_file_name(df: &DataFrame) -> Result<String> {
    let times = df.column("event_time")?.datetime()?.physical().clone();
    let mut keys: Vec<String> = df
        .column("event_id")?
        .str()?
        .iter()
        .zip(times.iter())
        .map(|(id, t)| format!("{}\u{1f}{}", id.unwrap_or_default(), t.unwrap_or_default()))
        .collect();
    keys.sort_unstable();
    Ok(format!("part-{}.parquet", store::digest(keys.iter().map(String::as_str))))
}

/// Every committed events Parquet file of the lake, sorted (temporary files are not included).
pub fn event_files(lake: &Path) -> Result<Vec<PathBuf>> {
    Ok(event_files_sized(lake)?.into_iter().map(|s| s.path).collect())
}

/// [`event_files`] with their sizes (from the one listing).
pub fn event_files_sized(lake: &Path) -> Result<Vec<store::Stored>> {
    let mut files = store::list(&events_dir(lake))?;
    files.retain(|s| is_event_file(&s.path));
    Ok(files)
}

/// The committed event files grouped by partition directory (sorted), keeping the partitions
/// whose `event_date` falls in the window. Stages that hold per-event data load one
/// partition at a time so the frame and the converted rows are never both whole in memory.
pub fn partition_files(lake: &Path, window: &Window) -> Result<Vec<Vec<PathBuf>>> {
    let mut groups: std::collections::BTreeMap<PathBuf, Vec<PathBuf>> = Default::default();
    for f in event_files(lake)? {
        let dir = f.parent().map(Path::to_path_buf).unwrap_or_default();
        if window.contains_partition(&dir.to_string_lossy()) {
            groups.entry(dir).or_default().push(f);
        }
    }
    Ok(groups.into_values().collect())
}

/// Scan some event files (no partition columns), for per-partition work.
pub fn scan_files(files: &[PathBuf]) -> Result<LazyFrame> {
    scan_parquet(files, false)
}

/// The Hive partition columns with their types (dates parsed).
pub fn hive_schema() -> SchemaRef {
    Arc::new(Schema::from_iter([
        Field::new("account".into(), DataType::String),
        Field::new("region".into(), DataType::String),
        Field::new("event_date".into(), DataType::Date),
    ]))
}

/// The partition columns `account`, `region`, `event_date` of a partition (a relative
/// `account=../region=../event_date=..` path) added to a frame of its rows, as a Hive scan adds
/// them to stored files.
pub fn with_partition_columns(lf: LazyFrame, rel: &str) -> Result<LazyFrame> {
    let (account, region, date) =
        partition_values(rel).ok_or_else(|| anyhow!("{rel} is not an account=/region=/event_date= partition"))?;
    // A date literal is a Datetime in polars: cast it to the Hive scan's Date, so computed and
    // stored parts of one frame agree (and `event_date` casts to `YYYY-MM-DD` in both).
    Ok(lf.with_columns([
        lit(account).alias("account"),
        lit(region).alias("region"),
        lit(date).cast(DataType::Date).alias("event_date"),
    ]))
}

/// The lake's events of the window (event columns plus the partition columns; partitions out of
/// the window are not read).
pub fn scan_window(lake: &Path, window: &Window) -> Result<LazyFrame> {
    Ok(window.apply(scan_events(lake)?))
}

/// The lake's events as a LazyFrame (event columns plus the partition columns).
pub fn scan_events(lake: &Path) -> Result<LazyFrame> {
    let files = event_files(lake)?;
    if files.is_empty() {
        if !store::has_any(lake)? {
            bail!(
                "lake {} does not exist (run `trailtrim ingest ... --lake {}` first)",
                lake.display(),
                lake.display()
            );
        }
        // An empty lake is a valid lake: an empty frame with the documented schema.
        return Ok(empty_events().lazy());
    }
    scan_parquet(&files, true).with_context(|| format!("scanning the lake at {}", lake.display()))
}

/// An empty frame with the full events schema (stored columns, then partition columns).
pub fn empty_events() -> DataFrame {
    let mut cols: Vec<Column> =
        COLUMNS.iter().map(|(name, kind)| Column::new_empty((*name).into(), &kind.dtype())).collect();
    cols.extend(hive_schema().iter_fields().map(|f| Column::new_empty(f.name, &f.dtype)));
    DataFrame::new_infer_height(cols).expect("schema columns are unique and empty")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_are_hive_folders_that_parse_back() {
        let key =
            PartitionKey { account: "111122223333".into(), region: "eu-west-1".into(), date: "2026-10-08".into() };
        let rel = key.rel();
        assert_eq!(rel, Path::new("account=111122223333/region=eu-west-1/event_date=2026-10-08"));
        assert_eq!(key.dir(Path::new("/l")), Path::new("/l/events").join(&rel));
        let date = chrono::NaiveDate::from_ymd_opt(2026, 10, 8).unwrap();
        assert_eq!(partition_values(&rel.to_string_lossy()), Some(("111122223333".into(), "eu-west-1".into(), date)));
        assert_eq!(run_file_name("20261201T000000Z", 7), "part-20261201T000000Z-00007.parquet");
    }

    #[test]
    fn layout_lists_and_partition_columns_come_from_one_place() {
        let lake = std::env::temp_dir().join(format!("trailtrim-lake-layout-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&lake);
        for account in ["111122223333", "444455556666"] {
            let key = PartitionKey { account: account.into(), region: "us-east-1".into(), date: "2026-10-08".into() };
            store::write(&key.dir(&lake).join("part-a.parquet"), vec![1]).unwrap();
            store::write(&key.dir(&lake).join("part-b.parquet.tmp"), vec![1]).unwrap();
        }
        let dirs = region_day_dirs(&lake, "us-east-1", "2026-10-08").unwrap();
        assert_eq!(dirs.len(), 2);
        assert!(dirs[1].ends_with("account=444455556666/region=us-east-1/event_date=2026-10-08"), "{dirs:?}");
        // Committed files only: a temporary one is not an event file yet.
        assert_eq!(files_in(&dirs[0]).unwrap(), vec![dirs[0].join("part-a.parquet")]);
        assert_eq!(event_files(&lake).unwrap().len(), 2);
        std::fs::remove_dir_all(&lake).unwrap();

        let rel = "account=111122223333/region=us-east-1/event_date=2026-10-08";
        let df = with_partition_columns(df!("n" => [1u32]).unwrap().lazy(), rel).unwrap().collect().unwrap();
        let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
        assert_eq!(names, ["n", "account", "region", "event_date"]);
        assert_eq!(&names[1..], PARTITION_COLUMNS);
        let hive: Vec<(String, DataType)> =
            hive_schema().iter_fields().map(|f| (f.name.to_string(), f.dtype.clone())).collect();
        let added: Vec<(String, DataType)> =
            df.columns()[1..].iter().map(|c| (c.name().to_string(), c.dtype().clone())).collect();
        assert_eq!(added, hive, "computed partition columns have the Hive scan's types");
        assert!(with_partition_columns(df!("n" => [1u32]).unwrap().lazy(), "events/x").is_err());
        let empty = empty_events();
        assert_eq!(empty.width(), COLUMNS.len() + PARTITION_COLUMNS.len());
    }
}
