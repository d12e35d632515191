//! Detection over the lake: load each partition's candidate events (see [`super::history`]),
//! run the detectors and the Sigma rules, and group the findings into incidents.
//!
//! The stored detection state is read by the caller (it lives with the usage facts, which
//! import this module) and handed in as a LazyFrame; the columns are chosen here.

use super::incidents::{self, Traces};
use super::sigma::SigmaRule;
use super::{history, DetectOptions, Event, Finding, Incident};
use crate::account::Account;
use crate::catalog::catalog;
use crate::lake::{self, Window};
use anyhow::Result;
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

/// For every principal of the account, the high-risk catalog actions its policies grant.
pub fn granted_high_risk(account: &Account) -> BTreeMap<String, BTreeSet<String>> {
    let high: Vec<&String> = catalog().full_names().iter().filter(|a| catalog().is_high_risk(a)).collect();
    let mut out = BTreeMap::new();
    for (arn, _) in account.principals() {
        let Some(set) = account.policy_set(&arn) else { continue };
        let info = crate::policy::PrincipalInfo { arn: arn.clone(), account: Some(account.account_id.clone()) };
        let index = crate::policy::AccessIndex::new(&set, &info);
        let granted: BTreeSet<String> =
            high.iter().filter(|a| index.access(a) != crate::policy::Access::None).map(|a| (*a).clone()).collect();
        out.insert(arn, granted);
    }
    out
}

/// The stored detection state in the columns [`history::Prior`] reads (an empty frame of that
/// schema when the window has none).
pub fn prior_frame(state: Option<LazyFrame>) -> LazyFrame {
    match state {
        Some(lf) => lf.select(history::COLUMNS.iter().map(|c| col(*c)).collect::<Vec<_>>()),
        None => DataFrame::empty_with_schema(&history::schema()).lazy(),
    }
}

/// What a detection run reads: the lake, the window and the window's stored detection state.
pub struct Input<'a> {
    pub lake: &'a Path,
    pub window: &'a Window,
    /// The window's detection state (`usage::facts::scan_detect_state`).
    pub state: Option<LazyFrame>,
    /// Enables first-use-of-high-risk-permission findings.
    pub account: Option<&'a Account>,
    /// End of the baseline (exclusive); default: see [`DetectOptions::baseline_end_ms`].
    pub baseline_until: Option<chrono::NaiveDate>,
}

/// Detection's events (the candidates, see `detect::history`), its findings, the baseline they
/// were judged against and the lake's main account. The baseline comes from the lake's
/// detection state; partitions are read one at a time and only their candidate events are kept
/// (`keep_ids` too), so memory follows the findings' events, not the window.
fn detect_events(
    input: Input<'_>,
    keep_ids: &HashSet<String>,
) -> Result<(Vec<Event>, Vec<Finding>, super::Baseline, Option<String>)> {
    let mut opts = DetectOptions::default();
    if let Some(d) = input.baseline_until {
        opts.baseline_end_ms = d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis());
    }
    let granted = input.account.map(granted_high_risk).unwrap_or_default();
    let prior = super::Prior::from_lazy(prior_frame(input.state), &opts)?;
    let candidates = history::Candidates { prior: &prior, opts: &opts, granted: &granted, keep_ids };
    let mut events = Vec::new();
    for files in lake::partition_files(input.lake, input.window)? {
        events.extend(candidates.keep(super::load::read_partition(&files)?));
    }
    events.sort_by(|a, b| (a.time_ms, &a.event_id).cmp(&(b.time_ms, &b.event_id)));
    let (findings, baseline) = super::detect_with_prior(&events, &opts, &granted, Some(&prior));
    Ok((events, findings, baseline, prior.main_account))
}

/// Findings and the incidents they form.
#[derive(Debug, Clone, Default)]
pub struct Detection {
    pub findings: Vec<Finding>,
    pub incidents: Vec<Incident>,
    /// The lake's main account (ASFF needs an account for every finding).
    pub account_id: Option<String>,
    /// The baseline period the findings were judged against.
    pub baseline: Option<super::Baseline>,
}

/// Run detection and group the findings into incidents (`gap_ms`: see `--incident-gap`).
pub fn analyse(input: Input<'_>, gap_ms: i64, sigma: &[SigmaRule]) -> Result<Detection> {
    let (lake_dir, window) = (input.lake, input.window);
    // Sigma matches first: their events are kept with detection's candidates.
    let mut hits: Vec<Vec<String>> = vec![Vec::new(); sigma.len()];
    if !sigma.is_empty() {
        for files in lake::partition_files(lake_dir, window)? {
            for (all, found) in hits.iter_mut().zip(super::sigma::matches(lake::scan_files(&files)?, sigma)?) {
                all.extend(found);
            }
        }
    }
    let keep: HashSet<String> = hits.iter().flatten().cloned().collect();
    let (events, mut findings, baseline, account_id) = detect_events(input, &keep)?;
    if !sigma.is_empty() {
        findings.extend(super::sigma::findings(sigma, &hits, &events, DetectOptions::default().group_gap_ms));
        findings.sort_by(|a, b| (&a.first_seen, &a.detector, &a.id).cmp(&(&b.first_seen, &b.detector, &b.id)));
    }
    let keys = access_keys(lake_dir, window, &Traces::wanted_ids(&events, &findings))?;
    let traces = Traces::new(&events, &findings, &keys);
    drop(events);
    let incidents = incidents::group(&mut findings, &traces, gap_ms);
    Ok(Detection { findings, incidents, account_id, baseline: Some(baseline) })
}

/// The access key ids of some events (event id -> key; events without one are left out).
fn access_keys(lake_dir: &Path, window: &Window, ids: &BTreeSet<String>) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let wanted = Series::new("ids".into(), ids.iter().cloned().collect::<Vec<String>>());
    for files in lake::partition_files(lake_dir, window)? {
        let df = lake::scan_files(&files)?
            .select([col("event_id"), col("access_key_id")])
            .filter(
                col("event_id")
                    .is_in(lit(wanted.clone()).implode(false), false)
                    .and(col("access_key_id").is_not_null()),
            )
            .collect()?;
        let (id, key) = (df.column("event_id")?.str()?, df.column("access_key_id")?.str()?);
        for (i, k) in id.iter().zip(key.iter()) {
            if let (Some(i), Some(k)) = (i, k) {
                out.insert(i.to_owned(), k.to_owned());
            }
        }
    }
    Ok(out)
}
