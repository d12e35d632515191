//! Detection engine: single-event rules, behaviour against a baseline, and least privilege ×
//! behaviour, over in-memory events (pure); [`analyse`] loads them from the lake.
//!
//! - [`rules`]: declarative single-event rules (root, console, CloudTrail tampering, defence
//!   evasion, IAM persistence, exposure, execution), grouped per incident.
//! - [`behaviour`]: sliding-window bursts, novelty against the baseline, EC2 credentials used
//!   outside the instance, first use of granted high-risk permissions.
//! - [`findings`]: the finding type (the JSON contract of `trailtrim detect`) and detector
//!   catalogue.
//! - [`incidents`]: findings of one actor (access key, session, address, AssumeRole chain)
//!   within a gap, grouped into incidents told as a timeline of ATT&CK tactics.
//! - [`export`]: findings as OCSF Detection Findings and AWS Security Finding Format.
//! - [`sigma`]: Sigma rules for CloudTrail compiled to polars expressions over the lake.
//! - [`analyse`]: detection over the lake (candidate events per partition, Sigma, incidents).
//! - [`markdown`]: incidents and findings as Markdown.
//! - [`prepared`]: one parallel pass that interns what the detectors compare (principals,
//!   sources, names, regions, user-agent families, networks) so they loop over compact arrays.
//!
//! The baseline is the events before `baseline_end_ms` (default: the first 2/3 of the days where
//! the events are, see [`prepared::Baseline`]; stragglers far from the rest do not stretch it).
//! Novelty and first-use detectors judge only the events after it; bursts are looked for after
//! it too, with a raised bar for principals that already burst in the baseline; single-event
//! rules and password spraying apply to the whole window (routine-prone rules, all of medium
//! severity or lower, skip principals that already matched them in the baseline). An automatic
//! baseline shorter than `min_baseline_days` excuses nothing: bursts and routine-prone rules are
//! then judged over the whole window, and the baseline is reported as short. Findings are
//! deterministic: same events, same findings, same ids, same order.

pub mod analyse;
pub mod behaviour;
pub mod event;
pub mod export;
pub mod findings;
pub mod history;
pub mod incidents;
pub mod load;
pub mod markdown;
pub mod prepared;
pub mod rules;
pub mod sigma;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use ipnet::IpNet;

pub use analyse::Detection;
pub use event::Event;
pub use findings::{DetectorInfo, Finding, Severity};
pub use history::Prior;
pub use incidents::{Incident, Traces};
pub use prepared::{Baseline, Prepared};

/// Tuning of the behaviour detectors and the baseline split.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectOptions {
    /// The baseline is the first `baseline_fraction` of the days where the events are (when
    /// `baseline_end_ms` is not given; see [`prepared::Baseline`]).
    pub baseline_fraction: f64,
    /// A baseline shorter than this (days) is reported as short; an automatic one is then not
    /// trusted to excuse bursts or routine-prone rules.
    pub min_baseline_days: i64,
    /// Explicit end of the baseline (epoch ms, exclusive).
    pub baseline_end_ms: Option<i64>,
    /// Novelty is judged only for principals with at least this many baseline events.
    pub baseline_min_events: usize,
    /// Single-event matches of one rule by one principal separated by at most this gap are one
    /// incident.
    pub group_gap_ms: i64,
    pub denied_burst_threshold: usize,
    pub denied_burst_window_ms: i64,
    pub recon_min_calls: usize,
    pub recon_min_services: usize,
    pub recon_window_ms: i64,
    pub spray_min_users: usize,
    pub spray_window_ms: i64,
    pub secrets_min_distinct: usize,
    pub secrets_window_ms: i64,
    /// Networks that are "inside" (never novel, never "outside the instance").
    pub internal_cidrs: Vec<IpNet>,
    /// Accounts besides those in the lake that are not "outside" (partners, vendors).
    pub trusted_accounts: BTreeSet<String>,
}

const MINUTE: i64 = 60_000;

impl Default for DetectOptions {
    fn default() -> Self {
        DetectOptions {
            baseline_fraction: 2.0 / 3.0,
            min_baseline_days: 14,
            baseline_end_ms: None,
            baseline_min_events: 20,
            group_gap_ms: 60 * MINUTE,
            denied_burst_threshold: 20,
            denied_burst_window_ms: 10 * MINUTE,
            recon_min_calls: 30,
            recon_min_services: 5,
            recon_window_ms: 10 * MINUTE,
            spray_min_users: 5,
            spray_window_ms: 60 * MINUTE,
            secrets_min_distinct: 10,
            secrets_window_ms: 10 * MINUTE,
            internal_cidrs: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
                .iter()
                .filter_map(|c| c.parse().ok())
                .collect(),
            trusted_accounts: BTreeSet::new(),
        }
    }
}

/// Runs every detector. `events` should be sorted by time then event id (they are sorted here
/// when they are not). `granted_high_risk`: principal ARN -> high-risk IAM actions it is granted
/// (from `--iam`; empty without it). Findings come sorted by first_seen, detector, id.
pub fn detect(
    events: &[Event],
    opts: &DetectOptions,
    granted_high_risk: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<Finding> {
    detect_with_baseline(events, opts, granted_high_risk).0
}

/// [`detect`], plus the baseline period it judged against.
pub fn detect_with_baseline(
    events: &[Event],
    opts: &DetectOptions,
    granted_high_risk: &BTreeMap<String, BTreeSet<String>>,
) -> (Vec<Finding>, Baseline) {
    detect_with_prior(events, opts, granted_high_risk, None)
}

/// [`detect_with_baseline`]; with a `prior`, `events` are only the window's candidates (see
/// [`history::Candidates`]) and the baseline is the prior's: the findings are the same as over
/// the whole window.
pub fn detect_with_prior(
    events: &[Event],
    opts: &DetectOptions,
    granted_high_risk: &BTreeMap<String, BTreeSet<String>>,
    prior: Option<&Prior>,
) -> (Vec<Finding>, Baseline) {
    let sorted = events.windows(2).all(|w| (w[0].time_ms, &w[0].event_id) <= (w[1].time_ms, &w[1].event_id));
    let owned;
    let events = if sorted {
        events
    } else {
        let mut v = events.to_vec();
        v.sort_by(|a, b| (a.time_ms, &a.event_id).cmp(&(b.time_ms, &b.event_id)));
        owned = v;
        &owned[..]
    };
    let prep = Prepared::with_prior(events, opts, prior);
    // The rules and the behaviour detectors are independent passes: run them side by side.
    let mut findings = std::thread::scope(|scope| {
        let rule_pass = scope.spawn(|| rules::run(&prep));
        let mut found = behaviour::run(&prep, granted_high_risk);
        found.extend(rule_pass.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        found
    });
    findings.sort_by(|a, b| (&a.first_seen, &a.detector, &a.id).cmp(&(&b.first_seen, &b.detector, &b.id)));
    (findings, prep.baseline.clone())
}

/// Findings alone: `{"findings": [...]}`.
pub fn findings_json(findings: &[Finding]) -> serde_json::Value {
    serde_json::json!({ "findings": findings })
}

/// The `detect --format json` document: `{"incidents": [...], "findings": [...]}`.
pub fn detection_json(findings: &[Finding], incidents: &[Incident]) -> serde_json::Value {
    serde_json::json!({ "incidents": incidents, "findings": findings })
}

/// Every detector: id, family, severity, MITRE technique, description (sorted by id).
pub fn list_detectors() -> Vec<DetectorInfo> {
    let mut all: Vec<DetectorInfo> = rules::rules().iter().map(|r| r.info.clone()).collect();
    all.extend(behaviour::infos().into_iter().cloned());
    all.sort_by(|a, b| a.id.cmp(b.id));
    all
}
