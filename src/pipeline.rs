//! The stages composed the way the commands use them, so that a command is glue (arguments in,
//! one call, output out) and `run` calls the same functions as the single commands.
//!
//! Layering: `commands` -> `pipeline` -> the stages (`ingest`, `usage`, `detect`, `recommend`,
//! `report`) -> `account`, `policy`, `lake` at the bottom; nothing imports back up.

use crate::account::Account;
use crate::detect::sigma::SigmaRule;
use crate::detect::{self, Detection};
use crate::ingest::{self, IngestOptions, IngestSummary};
use crate::lake::{self, Window};
use crate::usage::facts;
use anyhow::{Context, Result};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Instant;

/// What a refresh of the lake's derived state did.
#[derive(Debug, Clone, Serialize)]
pub struct StateSummary {
    /// Partitions of the lake.
    pub partitions: usize,
    /// Partitions whose state was computed now (the others were up to date).
    pub recomputed: usize,
    /// Partitions of an S3 lake whose event files were merged into one, without duplicates.
    pub compacted: usize,
    pub seconds: f64,
}

/// Bring the lake's derived state up to date (the writer side; readers compute what is stale in
/// memory and never write); `only` limits the work to some partitions (relative paths).
pub fn refresh(lake_dir: &Path, only: Option<&BTreeSet<String>>) -> Result<StateSummary> {
    let started = Instant::now();
    let lock = lake::lock_for_writing(lake_dir)?;
    // A local lake is written under its lock, exactly once; an S3 lake's workers are not.
    let compacted = if lake::store::is_remote(lake_dir) {
        ingest::writer::compact(lake_dir, only).context("merging event files")?
    } else {
        0
    };
    let s = facts::refresh_locked(lake_dir, &lock, only).context("computing usage facts")?;
    Ok(StateSummary {
        partitions: s.partitions,
        recomputed: s.recomputed,
        compacted,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Ingest, then refresh the whole lake's state so that readers find it fresh. The human summary
/// of the ingest goes to stderr as soon as it is known.
pub fn ingest(opts: &IngestOptions) -> Result<(IngestSummary, StateSummary)> {
    let summary = ingest::run(opts)?;
    summary.write_human(&mut std::io::stderr())?;
    let state = refresh(&opts.lake, None)?;
    Ok((summary, state))
}

/// Detection over the window with the lake's stored detection state (`baseline_until`,
/// `gap_ms`, `sigma`: see `detect --baseline-until`, `--incident-gap`, `--sigma`).
pub fn detect(
    lake_dir: &Path,
    account: Option<&Account>,
    window: &Window,
    baseline_until: Option<chrono::NaiveDate>,
    gap_ms: i64,
    sigma: &[SigmaRule],
) -> Result<Detection> {
    let input = detect::analyse::Input {
        lake: lake_dir,
        window,
        state: facts::scan_detect_state(lake_dir, window)?,
        account,
        baseline_until,
    };
    detect::analyse::analyse(input, gap_ms, sigma)
}

/// Detection with the default baseline and incident gap and no Sigma rules: what `run`,
/// `report`, `recommend` and `denials` trim and explain against.
pub fn detection(lake_dir: &Path, account: Option<&Account>, window: &Window) -> Result<Detection> {
    detect(lake_dir, account, window, None, detect::incidents::DEFAULT_GAP_MS, &[])
}
