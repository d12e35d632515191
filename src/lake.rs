//! The event lake's layout and schema, and reading it back as polars LazyFrames.
//!
//! One place knows the layout: `DIR/events/account=<id>/region=<r>/event_date=<YYYY-MM-DD>/*.parquet`
//! (Hive partitions that DuckDB, Athena, Trino and Spark read as they are). `DIR` is a folder
//! or an S3 prefix (`s3://bucket/prefix`); [`store`] is the one place that tells them apart.

use anyhow::{bail, Context, Result};
use polars::prelude::*;
use std::path::{Path, PathBuf};

pub mod store;

pub const EVENTS_DIR: &str = "events";
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
        f.sync_all()?;
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

/// Every committed events Parquet file of the lake, sorted (temporary files are not included).
pub fn event_files(lake: &Path) -> Result<Vec<PathBuf>> {
    Ok(event_files_sized(lake)?.into_iter().map(|s| s.path).collect())
}

/// [`event_files`] with their sizes (from the one listing).
pub fn event_files_sized(lake: &Path) -> Result<Vec<store::Stored>> {
    let mut files = store::list(&events_dir(lake))?;
    files.retain(|s| s.path.extension().is_some_and(|e| e == "parquet"));
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
    cols.push(Column::new_empty("account".into(), &DataType::String));
    cols.push(Column::new_empty("region".into(), &DataType::String));
    cols.push(Column::new_empty("event_date".into(), &DataType::Date));
    DataFrame::new_infer_height(cols).expect("schema columns are unique and empty")
}
