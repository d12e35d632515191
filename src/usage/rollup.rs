//! Organisation-wide roll-ups: the lake's per-partition usage facts summed over days, one row per
//! (account, region, principal, principal type, actor, action, resource, via-service).
//!
//! The same roll-up is computed by Apache Spark (`engines/spark/rollup.py`) for lakes too big
//! for one machine; both write the facts' columns, then `account` and `region`. `--facts PATH`
//! makes `usage`, `recommend` and `report` read such a roll-up instead of the lake's facts.
//!
//! Rules (Spark follows them exactly): counts are summed; first/last seen are the min/max;
//! `error_codes`, `source_ips` and `passed_to_service` are the sorted union of the days' values;
//! `sample_event_ids` are the days' samples in date order, the first three kept (days do not
//! overlap, so these are the earliest). Rows are ordered by the key.

use super::facts::{FACT_NUMBER_COLUMNS, FACT_STRING_COLUMNS};
use super::Window;
use crate::lake;
use anyhow::{Context, Result};
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The roll-up's key columns, in sort order.
pub const KEY_COLUMNS: &[&str] =
    &["account", "region", "principal", "principal_type", "actor", "action", "resource", "via_service"];

/// Sample event ids kept per row (as in the facts).
const SAMPLES: usize = 3;

static SOURCE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Read facts from this roll-up instead of the lake for the rest of the process (`--facts`; set
/// once by the command, before any facts are read).
pub fn use_rollup(path: PathBuf) {
    let _ = SOURCE.set(path);
}

/// The roll-up `--facts` named, if any.
pub fn source() -> Option<&'static Path> {
    SOURCE.get().map(PathBuf::as_path)
}

#[derive(Default)]
struct Agg {
    count: u64,
    denied: u64,
    first: i64,
    last: i64,
    codes: BTreeSet<String>,
    ips: BTreeSet<String>,
    passed: BTreeSet<String>,
    /// (event_date, the day's sample ids as stored).
    samples: Vec<(String, String)>,
}

fn union(set: &mut BTreeSet<String>, joined: Option<&str>) {
    set.extend(joined.unwrap_or("").split(',').filter(|s| !s.is_empty()).map(str::to_owned));
}

fn join<'a>(it: impl IntoIterator<Item = &'a String>) -> String {
    it.into_iter().map(String::as_str).collect::<Vec<_>>().join(",")
}

/// The roll-up of the lake's facts within the window (stored facts, or computed in memory where
/// stale, exactly as the reports read them).
pub fn rollup(lake_dir: &Path, window: &Window) -> Result<DataFrame> {
    match super::facts::scan_facts(lake_dir, window)? {
        Some(lf) => roll(window.apply(lf)),
        None => roll_rows(BTreeMap::new()),
    }
}

/// Roll up facts rows (the facts' columns with `account`, `region`, `event_date`).
fn roll(lf: LazyFrame) -> Result<DataFrame> {
    let mut aggs: BTreeMap<Vec<String>, Agg> = BTreeMap::new();
    {
        let df = lf
            .with_columns([
                col("first_seen").cast(DataType::Int64),
                col("last_seen").cast(DataType::Int64),
                col("event_date").cast(DataType::String),
            ])
            .collect()?;
        let s = |n: &str| -> Result<&StringChunked> { Ok(df.column(n)?.str()?) };
        let keys: Vec<&StringChunked> = KEY_COLUMNS.iter().map(|c| s(c)).collect::<Result<_>>()?;
        let (codes, ips, passed, samples, date) =
            (s("error_codes")?, s("source_ips")?, s("passed_to_service")?, s("sample_event_ids")?, s("event_date")?);
        let (count, denied) = (df.column("count")?.u64()?, df.column("denied_count")?.u64()?);
        let (first, last) = (df.column("first_seen")?.i64()?, df.column("last_seen")?.i64()?);
        for i in 0..df.height() {
            let key: Vec<String> = keys.iter().map(|k| k.get(i).unwrap_or("").to_owned()).collect();
            let (f, l) = (first.get(i).unwrap_or(0), last.get(i).unwrap_or(0));
            let a = aggs.entry(key).or_insert_with(|| Agg { first: f, last: l, ..Default::default() });
            a.count += count.get(i).unwrap_or(0);
            a.denied += denied.get(i).unwrap_or(0);
            a.first = a.first.min(f);
            a.last = a.last.max(l);
            union(&mut a.codes, codes.get(i));
            union(&mut a.ips, ips.get(i));
            union(&mut a.passed, passed.get(i));
            a.samples.push((date.get(i).unwrap_or("").to_owned(), samples.get(i).unwrap_or("").to_owned()));
        }
    }
    roll_rows(aggs)
}

fn roll_rows(aggs: BTreeMap<Vec<String>, Agg>) -> Result<DataFrame> {
    let n = aggs.len();
    let mut strings: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let (mut count, mut denied, mut first, mut last) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for (key, mut a) in aggs {
        a.samples.sort();
        let samples: Vec<String> = a
            .samples
            .iter()
            .flat_map(|(_, ids)| ids.split(',').filter(|s| !s.is_empty()))
            .take(SAMPLES)
            .map(str::to_owned)
            .collect();
        for (c, v) in KEY_COLUMNS.iter().zip(key) {
            strings.entry(c).or_default().push(v);
        }
        for (c, v) in [
            ("error_codes", join(&a.codes)),
            ("source_ips", join(&a.ips)),
            ("passed_to_service", join(&a.passed)),
            ("sample_event_ids", join(&samples)),
        ] {
            strings.entry(c).or_default().push(v);
        }
        count.push(a.count);
        denied.push(a.denied);
        first.push(a.first);
        last.push(a.last);
    }
    let ts = lake::ColumnKind::Time.dtype();
    let mut cols: Vec<Column> =
        FACT_STRING_COLUMNS.iter().map(|c| Column::new((*c).into(), strings.remove(c).unwrap_or_default())).collect();
    cols.push(Column::new("count".into(), count));
    cols.push(Column::new("denied_count".into(), denied));
    cols.push(Column::new("first_seen".into(), first).cast(&ts)?);
    cols.push(Column::new("last_seen".into(), last).cast(&ts)?);
    for c in ["account", "region"] {
        cols.push(Column::new(c.into(), strings.remove(c).unwrap_or_default()));
    }
    Ok(DataFrame::new(n, cols)?)
}

/// Write the roll-up as one Parquet file (written whole or not at all).
pub fn write(df: &mut DataFrame, path: &Path) -> Result<()> {
    lake::write_state_parquet(df, path)
}

/// The Parquet files of a roll-up: the file itself, or the `*.parquet` files of a folder (as
/// Spark writes it, beside `_SUCCESS` and checksum files), sorted.
fn files(path: &Path) -> Result<Vec<PathBuf>> {
    if !path.is_dir() {
        std::fs::metadata(path).with_context(|| format!("--facts {}: cannot read it", path.display()))?;
        return Ok(vec![path.to_owned()]);
    }
    let mut out: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("--facts {}: cannot list it", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.ends_with(".parquet") && !name.starts_with(['.', '_'])
        })
        .collect();
    out.sort();
    if out.is_empty() {
        anyhow::bail!(
            "--facts {}: the folder holds no .parquet file (a roll-up is a Parquet file or a folder of them)",
            path.display()
        );
    }
    Ok(out)
}

/// The roll-up at `path` with the facts' column types (Spark writes signed counts and may write
/// microsecond times), the facts' columns then `account`, `region`. A file without a needed
/// column is an error naming the file and the columns.
pub fn scan(path: &Path) -> Result<LazyFrame> {
    let mut frames = Vec::new();
    for f in files(path)? {
        let mut lf = lake::scan_parquet(std::slice::from_ref(&f), false)?;
        let schema = lf
            .collect_schema()
            .map_err(anyhow::Error::from)
            .with_context(|| format!("--facts: reading {}", f.display()))?;
        let needed = FACT_STRING_COLUMNS.iter().chain(FACT_NUMBER_COLUMNS);
        let missing: Vec<&str> =
            needed.chain(["account", "region"].iter()).copied().filter(|c| schema.get(c).is_none()).collect();
        if !missing.is_empty() {
            anyhow::bail!(
                "--facts: {} is not a usage roll-up: it has no column {} (see engines/spark/README.md)",
                f.display(),
                missing.join(", ")
            );
        }
        let ts = lake::ColumnKind::Time.dtype();
        let mut sel: Vec<Expr> = FACT_STRING_COLUMNS.iter().map(|c| col(*c).strict_cast(DataType::String)).collect();
        sel.extend([
            col("count").strict_cast(DataType::UInt64),
            col("denied_count").strict_cast(DataType::UInt64),
            col("first_seen").strict_cast(ts.clone()),
            col("last_seen").strict_cast(ts),
            col("account").strict_cast(DataType::String),
            col("region").strict_cast(DataType::String),
        ]);
        frames.push(lf.select(sel));
    }
    Ok(concat(frames, UnionArgs::default())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One facts row of role `app` calling s3:GetObject on one object, on `date`.
    fn day(date: &str, region: &str, samples: &str, ips: &str, codes: &str, count: u64, first: i64) -> DataFrame {
        let mut cols: Vec<Column> = FACT_STRING_COLUMNS
            .iter()
            .map(|c| {
                let v = match *c {
                    "principal" => "arn:aws:iam::111111111111:role/app",
                    "principal_type" => "role",
                    "action" => "s3:GetObject",
                    "resource" => "arn:aws:s3:::b/k",
                    "source_ips" => ips,
                    "sample_event_ids" => samples,
                    "error_codes" => codes,
                    _ => "",
                };
                Column::new((*c).into(), [v])
            })
            .collect();
        cols.push(Column::new("count".into(), [count]));
        cols.push(Column::new("denied_count".into(), [1u64]));
        cols.push(Column::new("first_seen".into(), [first]).cast(&lake::ColumnKind::Time.dtype()).unwrap());
        cols.push(Column::new("last_seen".into(), [first + 10]).cast(&lake::ColumnKind::Time.dtype()).unwrap());
        cols.push(Column::new("account".into(), ["111111111111"]));
        cols.push(Column::new("region".into(), [region]));
        cols.push(Column::new("event_date".into(), [date]).cast(&DataType::Date).unwrap());
        DataFrame::new(1, cols).unwrap()
    }

    fn strs(df: &DataFrame, c: &str) -> Vec<String> {
        df.column(c).unwrap().str().unwrap().iter().map(|s| s.unwrap_or("").to_owned()).collect()
    }

    #[test]
    fn days_are_summed_and_the_earliest_samples_kept() {
        // Out of date order: the roll-up orders the days itself.
        let days = [
            day("2026-01-03", "eu-west-1", "e", "", "", 1, 3_000),
            day("2026-01-02", "eu-west-1", "c,d", "10.0.0.3,10.0.0.2", "AccessDenied", 5, 2_000),
            day("2026-01-01", "eu-west-1", "a,b", "10.0.0.1", "", 2, 1_000),
            day("2026-01-01", "us-east-1", "x", "10.0.0.9", "", 7, 1_500),
        ];
        let lfs: Vec<LazyFrame> = days.into_iter().map(|d| d.lazy()).collect();
        let df = roll(concat(lfs, UnionArgs::default()).unwrap()).unwrap();
        assert_eq!(df.height(), 2, "one row per region");
        assert_eq!(strs(&df, "region"), ["eu-west-1", "us-east-1"]);
        assert_eq!(strs(&df, "sample_event_ids"), ["a,b,c", "x"]);
        assert_eq!(strs(&df, "source_ips"), ["10.0.0.1,10.0.0.2,10.0.0.3", "10.0.0.9"]);
        assert_eq!(strs(&df, "error_codes"), ["AccessDenied", ""]);
        let counts: Vec<u64> = df.column("count").unwrap().u64().unwrap().iter().flatten().collect();
        assert_eq!(counts, [8, 7]);
        let denied: Vec<u64> = df.column("denied_count").unwrap().u64().unwrap().iter().flatten().collect();
        assert_eq!(denied, [3, 1]);
        let times = |c: &str| -> Vec<i64> {
            df.column(c).unwrap().cast(&DataType::Int64).unwrap().i64().unwrap().iter().flatten().collect()
        };
        assert_eq!(times("first_seen"), [1_000, 1_500]);
        assert_eq!(times("last_seen"), [3_010, 1_510]);
    }

    #[test]
    fn a_file_without_the_rollup_columns_is_refused_by_name() {
        let dir = std::env::temp_dir().join(format!("trailtrim-rollup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("part-0.parquet");
        let mut df = DataFrame::new(1, vec![Column::new("principal".into(), ["x"])]).unwrap();
        lake::write_state_parquet(&mut df, &f).unwrap();
        let err = format!("{:#}", scan(&dir).err().expect("refused"));
        assert!(err.contains("part-0.parquet") && err.contains("no column principal_type"), "{err}");
        let empty = dir.join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        assert!(format!("{:#}", scan(&empty).err().unwrap()).contains("holds no .parquet file"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
