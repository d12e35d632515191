//! `trailtrim synth`: a deterministic synthetic CloudTrail corpus.
//!
//! * `--events 0` writes the curated sample scenario of the fictional account 111122223333
//!   (Example Corp): 45 days of routine plus an incident week, with matching IAM inputs and a
//!   ground truth (`SCENARIO.md`, `ground-truth.json`). This is what `sample-logs/` holds.
//! * `--events N` writes N events of a synthetic large account for benchmarks, in parallel and
//!   streaming (one file at a time per thread), plus matching authorization details.
//!
//! Same arguments, same bytes: our own PRNG, gzip headers with mtime 0, fixed JSON key order.

pub mod bulk;
pub mod iam;
pub mod identity;
pub mod record;
pub mod rng;
pub mod scenario;
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
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Bulk mode: first day (YYYY-MM-DD, UTC)
    #[arg(long, default_value = "2026-09-01")]
    pub start: String,
    /// Bulk mode: number of days the events spread over
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Bulk mode: events per delivery file
    #[arg(long, default_value_t = 2000)]
    pub events_per_file: u64,
    /// Bulk mode: number of synthetic principals (users and roles) besides the named ones
    #[arg(long, default_value_t = 1000)]
    pub principals: u32,
    /// Bulk mode: gzip level (1 fast .. 9 small)
    #[arg(long, default_value_t = 1)]
    pub gzip_level: u32,
}

impl SynthArgs {
    /// Defaults for `out` (what clap would give).
    pub fn new(out: impl Into<PathBuf>) -> Self {
        SynthArgs {
            out: out.into(),
            events: 0,
            seed: 42,
            start: "2026-09-01".into(),
            days: 30,
            events_per_file: 2000,
            principals: 1000,
            gzip_level: 1,
        }
    }
}

/// What `run` wrote.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SynthSummary {
    /// "sample" or "bulk".
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
    std::fs::create_dir_all(&args.out)?;
    if args.events == 0 {
        let w = scenario::generate(&args.out, args.seed)?;
        Ok(SynthSummary { mode: "sample", files: w.files, events: w.events, bytes: w.bytes })
    } else {
        let w = bulk::generate(args)?;
        Ok(SynthSummary { mode: "bulk", files: w.files, events: w.events, bytes: w.bytes })
    }
}
