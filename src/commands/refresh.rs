//! `trailtrim refresh`: bring the lake's derived state up to date (the writer side; readers
//! compute what is stale in memory and never write).

use super::Status;
use crate::lake;
use anyhow::Result;
use clap::Args;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// The lake: a folder or s3://bucket/prefix.
    #[arg(long)]
    pub lake: PathBuf,
    /// Only this partition (`account=A/region=R/event_date=D`, repeatable): workers that share a
    /// lake split the work by partition.
    #[arg(long)]
    pub partition: Vec<String>,
    /// table: the summary line for people on stderr (always printed); json: also the summary as
    /// JSON on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub format: super::SummaryFormat,
    /// The same as `--format json` (kept for scripts that use it).
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: &RefreshArgs) -> Result<Status> {
    lake::require(&a.lake)?;
    let only = if a.partition.is_empty() {
        None
    } else {
        let mut set = BTreeSet::new();
        for p in &a.partition {
            let p = p.trim_matches('/');
            // Exactly the three partition folders, with values of the lake's own alphabet: a
            // value is only ever compared with the lake's listing, but a typo should say so.
            let safe = |v: &str| !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            let ok = p.split('/').count() == 3
                && lake::partition_values(p).is_some_and(|(account, region, _)| safe(&account) && safe(&region));
            if !ok {
                crate::usage_bail!(
                    "--partition {p}: expected account=<12 digits>/region=<region>/event_date=<YYYY-MM-DD>"
                );
            }
            set.insert(p.to_owned());
        }
        Some(set)
    };
    let s = crate::pipeline::refresh(&a.lake, only.as_ref())?;
    eprintln!(
        "refresh {}: {} partitions, {} recomputed, {:.2} s",
        a.lake.display(),
        s.partitions,
        s.recomputed,
        s.seconds
    );
    if a.format.or_json(a.json) == super::SummaryFormat::Json {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &s)?;
        writeln!(out)?;
    }
    Ok(Status::Ok)
}
