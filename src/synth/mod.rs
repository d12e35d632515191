//! `trailtrim synth`: a deterministic synthetic CloudTrail corpus.
//!
//! * `--events 0` writes the curated sample scenario of the fictional account 111122223333
//!   (Example Corp): 45 days of routine plus an incident week, with matching IAM inputs and a
//!   ground truth (`SCENARIO.md`, `ground-truth.json`). This is what `sample-logs/` holds.
//! * `--events N` writes N events for benchmarks, in parallel and streaming (one file at a time
//!   per thread), plus matching authorization details, in the `--shape` of a real archive by
//!   default (a delivery file per account, region and 5 minutes: see `shapes`), or as the
//!   `bulk` mode's large files of one account, or a pathological shape.
//!
//! Same arguments, same bytes: our own PRNG, gzip headers with mtime 0, fixed JSON key order.

pub mod bulk;
pub mod iam;
pub mod identity;
pub mod record;
pub mod rng;
pub mod scenario;
pub mod shapes;
pub mod writer;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

use serde::Serialize;

#[derive(clap::Args, Debug, Clone)]
pub struct SynthArgs {
    /// Output folder (an S3-like tree is written under it)
    #[arg(long)]
    pub out: PathBuf,
    /// Number of events; 0 = the curated sample scenario only
    #[arg(long, default_value_t = 0)]
    pub events: u64,
    /// With --events: how the events are laid out in files
    #[arg(long, value_enum, default_value_t = Shape::Realistic)]
    pub shape: Shape,
    /// Realistic, one-event-files and org-trail shapes: number of accounts
    #[arg(long, default_value_t = 2)]
    pub accounts: u32,
    /// Realistic, one-event-files and org-trail shapes: number of regions (at most 10)
    #[arg(long, default_value_t = 5)]
    pub regions: u32,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// With --events: first day (YYYY-MM-DD, UTC)
    #[arg(long, default_value = "2026-09-01")]
    pub start: String,
    /// With --events: number of days the events spread over
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Bulk and org-trail shapes: events per delivery file
    #[arg(long, default_value_t = 2000)]
    pub events_per_file: u64,
    /// With --events: number of synthetic principals (users and roles) besides the named ones
    #[arg(long, default_value_t = 1000)]
    pub principals: u32,
    /// With --events: gzip level (1 fast .. 9 small)
    #[arg(long, default_value_t = 1)]
    pub gzip_level: u32,
}

impl SynthArgs {
    /// Defaults for `out` (what clap would give).
    pub fn new(out: impl Into<PathBuf>) -> Self {
        SynthArgs {
            out: out.into(),
            events: 0,
            shape: Shape::Realistic,
            accounts: 2,
            regions: 5,
            seed: 42,
            start: "2026-09-01".into(),
            days: 30,
            events_per_file: 2000,
            principals: 1000,
            gzip_level: 1,
        }
    }
}

/// The layout of a `--events N` corpus.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A delivery file per account, region and 5 minutes, over days: most files a few KB.
    Realistic,
    /// Files of `--events-per-file` events of one account (large files).
    Bulk,
    /// One event per file.
    OneEventFiles,
    /// An organisation export: every file spans every account, region and day.
    OrgTrail,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Realistic => "realistic",
            Shape::Bulk => "bulk",
            Shape::OneEventFiles => "one-event-files",
            Shape::OrgTrail => "org-trail",
        }
    }
}

/// What `run` wrote.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SynthSummary {
    /// "sample", or the shape of a `--events N` corpus ("realistic", "bulk", ...).
    pub mode: &'static str,
    /// Every file written (log files, digest/config files, IAM inputs, ground truth).
    pub files: u64,
    /// CloudTrail records written (in the sample, the organization-trail copy counts twice).
    pub events: u64,
    /// Bytes written (compressed size for .gz files).
    pub bytes: u64,
}

/// Writes the corpus described by `args`.
pub fn run(args: &SynthArgs) -> anyhow::Result<SynthSummary> {
    std::fs::create_dir_all(&args.out).map_err(|e| anyhow::anyhow!("creating {}: {e}", args.out.display()))?;
    if args.events == 0 {
        let w = scenario::generate(&args.out, args.seed)?;
        Ok(SynthSummary { mode: "sample", files: w.files, events: w.events, bytes: w.bytes })
    } else {
        let w = match args.shape {
            Shape::Bulk => bulk::generate(args)?,
            _ => shapes::generate(args)?,
        };
        Ok(SynthSummary { mode: args.shape.name(), files: w.files, events: w.events, bytes: w.bytes })
    }
}
