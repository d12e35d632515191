//! Behaviour detectors: bursts found with sliding windows, novelty against the baseline (the
//! earlier part of the window), EC2 instance credentials used from elsewhere, and — with IAM
//! data — the first use of a granted high-risk permission.
//!
//! Baseline semantics:
//! - Novelty (new region / network / user agent / action) and first use of a high-risk permission
//!   are judged only after the baseline end, against what the principal did before it, and only
//!   for principals with at least `baseline_min_events` baseline events.
//! - Bursts (access denied, recon, bulk secret reads) are looked for after the baseline end. A
//!   principal that already burst in the baseline (a scanner, an app that loads its
//!   configuration at start) is held to twice its baseline peak instead of the fixed threshold.
//! - Password spraying is never normal: it is looked for over the whole window.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::event::{arn_account, day_of, get_key, get_str, network_key, parse_ip, Event, FastMap, FastSet};
use super::findings::{common_evidence, json_set, DetectorInfo, Finding, FindingDraft, Severity};
use super::prepared::{flag, origin, Prepared, NONE, NO_PRINCIPAL};

macro_rules! info {
    ($id:expr, $family:expr, $sev:ident, $mitre:expr, $desc:expr) => {
        DetectorInfo { id: $id, family: $family, severity: Severity::$sev, mitre: $mitre, description: $desc }
    };
}

pub static ACCESS_DENIED_BURST: DetectorInfo = info!(
    "behaviour.access-denied-burst",
    "discovery",
    Medium,
    "T1580",
    "Burst of AccessDenied / UnauthorizedOperation errors by one principal (permission probing)."
);
pub static RECON_BURST: DetectorInfo = info!(
    "behaviour.recon-burst",
    "discovery", Medium, "T1580", "Burst of List* / Describe* / Get* calls across many services by one principal."
);
pub static NEW_REGION: DetectorInfo = info!(
    "behaviour.new-region",
    "defense-evasion",
    Medium,
    "T1535",
    "Principal active in a region it never used in the baseline (thin baselines: that nobody used)."
);
pub static NEW_NETWORK: DetectorInfo = info!(
    "behaviour.new-network",
    "initial-access",
    Medium,
    "T1078.004",
    "Principal calling from a public network (/24, /48) it never used in the baseline."
);
pub static NEW_USER_AGENT: DetectorInfo = info!(
    "behaviour.new-user-agent",
    "initial-access", Low, "T1078.004", "Principal using a client (user-agent family) it never used in the baseline."
);
pub static NEW_ACTION: DetectorInfo = info!(
    "behaviour.new-action",
    "initial-access",
    Low,
    "T1078.004",
    "Principal successfully calling a write action it never called in the baseline."
);
pub static PASSWORD_SPRAY: DetectorInfo = info!(
    "behaviour.password-spray",
    "credential-access",
    High,
    "T1110.003",
    "Failed console sign-ins for many user names from one source (critical when one then succeeds)."
);
pub static BULK_SECRETS: DetectorInfo = info!(
    "behaviour.bulk-secrets-read",
    "credential-access",
    High,
    "T1555.006",
    "One principal reading many distinct secrets or SSM parameters in a short time."
);
pub static EC2_CREDS_OUTSIDE: DetectorInfo = info!(
    "behaviour.ec2-credentials-outside",
    "credential-access",
    High,
    "T1552.005",
    "EC2 instance-role credentials used from a public network the instance never used, or against another account."
);
pub static CROSS_ACCOUNT_SOURCE: DetectorInfo = info!(
    "behaviour.cross-account-new-source",
    "lateral-movement",
    High,
    "T1199",
    "Role assumed from another account, or from a network, that never assumed it in the baseline."
);
pub static INSTANCE_RECON: DetectorInfo = info!(
    "behaviour.instance-session-recon",
    "discovery",
    High,
    "T1580",
    "Enumeration (List* / Describe* / Get* across services) with an EC2 instance session's credentials."
);
pub static MASS_DELETE: DetectorInfo = info!(
    "behaviour.s3-mass-delete",
    "impact",
    High,
    "T1485",
    "Burst of S3 object deletions (DeleteObjects batches, DeleteObject calls) by one principal (ransomware, wiping)."
);
pub static FIRST_USE_HIGH_RISK: DetectorInfo = info!(
    "lp.first-use-high-risk",
    "privilege-escalation",
    High,
    "T1078.004",
    "First use of a granted high-risk permission the principal never used in the baseline (needs --iam)."
);

pub fn infos() -> Vec<&'static DetectorInfo> {
    vec![
        &ACCESS_DENIED_BURST,
        &RECON_BURST,
        &NEW_REGION,
        &NEW_NETWORK,
        &NEW_USER_AGENT,
        &NEW_ACTION,
        &PASSWORD_SPRAY,
        &BULK_SECRETS,
        &EC2_CREDS_OUTSIDE,
        &CROSS_ACCOUNT_SOURCE,
        &FIRST_USE_HIGH_RISK,
        &INSTANCE_RECON,
        &MASS_DELETE,
    ]
}

pub fn run(prep: &Prepared, granted: &BTreeMap<String, BTreeSet<String>>) -> Vec<Finding> {
    let items = collect_burst_items(prep);
    let o = prep.opts;
    let mut out = Vec::new();
    let denied = BurstSpec {
        info: &ACCESS_DENIED_BURST,
        th: Thresholds { window_ms: o.denied_burst_window_ms, min_count: o.denied_burst_threshold, min_distinct: 1 },
        measure: Measure::Count,
    };
    out.extend(burst_findings(prep, &items.denied, &denied, &|prep, idx, ev| {
        ev.insert("threshold".into(), Value::from(o.denied_burst_threshold));
        let actions: BTreeSet<&str> = idx.iter().map(|&i| prep.events[i].event_name.as_str()).collect();
        format!("{} access-denied errors in a burst ({} distinct actions)", idx.len(), actions.len())
    }));
    let recon = BurstSpec {
        info: &RECON_BURST,
        th: Thresholds {
            window_ms: o.recon_window_ms,
            min_count: o.recon_min_calls,
            min_distinct: o.recon_min_services,
        },
        measure: Measure::Count,
    };
    out.extend(burst_findings(prep, &items.recon, &recon, &|prep, idx, ev| {
        let svc: BTreeSet<&str> = idx.iter().map(|&i| prep.events[i].event_source.as_str()).collect();
        ev.insert("services".into(), json_set(svc.iter().copied()));
        format!("{} discovery calls across {} services in a burst", idx.len(), svc.len())
    }));
    let secrets = BurstSpec {
        info: &BULK_SECRETS,
        th: Thresholds {
            window_ms: o.secrets_window_ms,
            min_count: o.secrets_min_distinct,
            min_distinct: o.secrets_min_distinct,
        },
        measure: Measure::Distinct,
    };
    out.extend(burst_findings(prep, &items.secrets, &secrets, &|prep, idx, ev| {
        // Names of refused calls were attempted, not read: counted apart.
        let (ok, refused): (Vec<usize>, Vec<usize>) = idx.iter().partition(|&&i| !prep.events[i].is_error());
        let read: BTreeSet<String> = ok.iter().flat_map(|&i| secret_names(&prep.events[i])).collect();
        let attempted: BTreeSet<String> = refused.iter().flat_map(|&i| secret_names(&prep.events[i])).collect();
        ev.insert("distinct_names".into(), Value::from(read.len()));
        ev.insert("names".into(), json_set(read.iter().cloned()));
        ev.insert("refused_names".into(), json_set(attempted.iter().cloned()));
        if refused.is_empty() {
            format!("read {} distinct secrets / parameters in {} calls", read.len(), idx.len())
        } else {
            format!(
                "read {} distinct secrets / parameters in {} calls; {} more refused in {} calls",
                read.len(),
                ok.len(),
                attempted.len(),
                refused.len()
            )
        }
    }));
    let instance_recon = BurstSpec {
        info: &INSTANCE_RECON,
        th: Thresholds {
            window_ms: o.recon_window_ms,
            min_count: INSTANCE_RECON_CALLS,
            min_distinct: INSTANCE_RECON_SERVICES,
        },
        measure: Measure::Count,
    };
    out.extend(burst_findings(prep, &items.instance_recon, &instance_recon, &|prep, idx, ev| {
        let svc: BTreeSet<&str> = idx.iter().map(|&i| prep.events[i].event_source.as_str()).collect();
        let sessions: BTreeSet<&str> = idx.iter().filter_map(|&i| prep.events[i].session_name.as_deref()).collect();
        ev.insert("services".into(), json_set(svc.iter().copied()));
        ev.insert("instances".into(), json_set(sessions.iter().copied()));
        format!(
            "{} discovery calls across {} services with the instance credentials of {}",
            idx.len(),
            svc.len(),
            sessions.into_iter().collect::<Vec<_>>().join(", ")
        )
    }));
    let deletes = BurstSpec {
        info: &MASS_DELETE,
        th: Thresholds { window_ms: o.recon_window_ms, min_count: MASS_DELETE_ITEMS, min_distinct: 1 },
        measure: Measure::Count,
    };
    out.extend(burst_findings(prep, &items.deletes, &deletes, &|prep, idx, ev| {
        let buckets: BTreeSet<String> = idx
            .iter()
            .filter_map(|&i| prep.events[i].request().and_then(|r| get_str(&r, "bucketName").map(str::to_string)))
            .collect();
        let batches = idx.iter().filter(|&&i| prep.events[i].event_name == "DeleteObjects").count();
        ev.insert("buckets".into(), json_set(buckets.iter().cloned()));
        ev.insert("batch_deletes".into(), Value::from(batches));
        format!(
            "{} S3 delete calls ({} DeleteObjects batches) on {}",
            idx.len(),
            batches,
            buckets.into_iter().collect::<Vec<_>>().join(", ")
        )
    }));
    out.extend(password_spraying(prep));
    out.extend(novelty(prep, granted));
    out.extend(ec2_credentials_outside(prep));
    out.extend(cross_account_new_source(prep));
    out
}

/// A principal's own calls: not AWS services acting for it, not service events.
pub(super) fn is_own_call(e: &Event) -> bool {
    // A failed sign-in is someone typing the user's name, not the user acting.
    let failed_sign_in = e.event_type.as_deref() == Some("AwsConsoleSignIn") && e.is_error();
    !failed_sign_in
        && e.invoked_by.is_none()
        && e.identity_type.as_deref() != Some("AWSService")
        && !matches!(e.event_type.as_deref(), Some("AwsServiceEvent"))
        && !e.source_is_aws_service()
}

/// Burst observations per principal id, gathered in one pass over the events (time order).
struct BurstItems {
    denied: Vec<Vec<Item>>,
    recon: Vec<Vec<Item>>,
    secrets: Vec<Vec<Item>>,
    /// Discovery calls made with EC2 instance-session credentials (per role).
    instance_recon: Vec<Vec<Item>>,
    /// S3 object deletions; a DeleteObjects batch counts as [`DELETE_BATCH_WEIGHT`] items.
    deletes: Vec<Vec<Item>>,
}

/// Instances rarely enumerate: a lower bar than a person's recon burst.
const INSTANCE_RECON_CALLS: usize = 15;
const INSTANCE_RECON_SERVICES: usize = 4;
/// Deletions in a window that make a mass delete: 25 DeleteObject calls, or 3 DeleteObjects
/// batches (CloudTrail does not log how many keys a batch names; it can be up to 1000).
const MASS_DELETE_ITEMS: usize = 25;
const DELETE_BATCH_WEIGHT: usize = 10;

/// Each burst detector's observations, as (detector id, window, smallest burst, per principal id
/// the (time, event index) of every item): what the detection state tallies per minute and what
/// the candidate filter keeps.
pub(super) fn burst_observations(prep: &Prepared) -> Vec<(&'static str, i64, usize, Vec<Vec<(i64, usize)>>)> {
    let items = collect_burst_items(prep);
    let times = |lists: Vec<Vec<Item>>| -> Vec<Vec<(i64, usize)>> {
        lists.into_iter().map(|l| l.into_iter().map(|it| (it.t, it.ev)).collect()).collect()
    };
    let lists = [items.denied, items.recon, items.secrets, items.instance_recon, items.deletes];
    burst_thresholds(prep.opts).into_iter().zip(lists).map(|((id, w, c), l)| (id, w, c, times(l))).collect()
}

/// (detector id, window, smallest burst) of the burst detectors, in [`BurstItems`] order.
pub(super) fn burst_thresholds(o: &super::DetectOptions) -> [(&'static str, i64, usize); 5] {
    [
        (ACCESS_DENIED_BURST.id, o.denied_burst_window_ms, o.denied_burst_threshold),
        (RECON_BURST.id, o.recon_window_ms, o.recon_min_calls),
        (BULK_SECRETS.id, o.secrets_window_ms, o.secrets_min_distinct),
        (INSTANCE_RECON.id, o.recon_window_ms, INSTANCE_RECON_CALLS),
        (MASS_DELETE.id, o.recon_window_ms, MASS_DELETE_ITEMS),
    ]
}

fn collect_burst_items(prep: &Prepared) -> BurstItems {
    let n = prep.principals.len();
    let mut items = BurstItems {
        denied: vec![Vec::new(); n],
        recon: vec![Vec::new(); n],
        secrets: vec![Vec::new(); n],
        instance_recon: vec![Vec::new(); n],
        deletes: vec![Vec::new(); n],
    };
    let s3 = prep.sources.get("s3.amazonaws.com");
    let delete_names = [prep.names.get("DeleteObject"), prep.names.get("DeleteObjects")];
    let secret_sources = [prep.sources.get("secretsmanager.amazonaws.com"), prep.sources.get("ssm.amazonaws.com")];
    let mut names: FastMap<String, u32> = FastMap::default();
    for (i, f) in prep.feat.iter().enumerate() {
        if f.pid == NO_PRINCIPAL || !f.has(flag::OWN_CALL) {
            continue;
        }
        let (pid, t) = (f.pid as usize, prep.events[i].time_ms);
        if f.has(flag::DENIED) {
            items.denied[pid].push(Item { t, key: 0, ev: i });
        }
        if f.has(flag::RECON) {
            items.recon[pid].push(Item { t, key: f.source, ev: i });
            if f.has(flag::EC2_OWN) && !is_instance_agent_call(&prep.events[i]) {
                items.instance_recon[pid].push(Item { t, key: f.source, ev: i });
            }
        }
        if Some(f.source) == s3 && !f.has(flag::ERROR) {
            let weight = match f.name {
                n if Some(n) == delete_names[0] => 1,
                n if Some(n) == delete_names[1] => DELETE_BATCH_WEIGHT,
                _ => 0,
            };
            for _ in 0..weight {
                items.deletes[pid].push(Item { t, key: 0, ev: i });
            }
        }
        if secret_sources.contains(&Some(f.source)) {
            for name in secret_names(&prep.events[i]) {
                let next = names.len() as u32;
                let key = *names.entry(name).or_insert(next);
                items.secrets[pid].push(Item { t, key, ev: i });
            }
        }
    }
    items
}

// ---------------------------------------------------------------------------------------------
// Sliding-window bursts

/// One observation in a burst search: a time, a key whose distinct values are counted, and the
/// event it came from (an event may give several items, e.g. GetParameters with many names).
#[derive(Debug, Clone, Copy)]
struct Item {
    t: i64,
    key: u32,
    ev: usize,
}

#[derive(Clone, Copy)]
struct Thresholds {
    window_ms: i64,
    min_count: usize,
    min_distinct: usize,
}

/// Incidents (inclusive item ranges) where some window of `window_ms` holds at least
/// `min_count` items with at least `min_distinct` distinct keys. Overlapping qualifying windows
/// and ones closer than a window apart merge into one incident. O(n).
fn bursts(items: &[Item], th: &Thresholds) -> Vec<(usize, usize)> {
    // A zero threshold would make every call a burst.
    let (min_count, min_distinct) = (th.min_count.max(1), th.min_distinct.max(1));
    let mut counts = KeyCounts::new(items);
    let mut incidents: Vec<(usize, usize)> = Vec::new();
    let mut lo = 0;
    for hi in 0..items.len() {
        counts.add(items[hi].key);
        while items[hi].t - items[lo].t > th.window_ms {
            counts.remove(items[lo].key);
            lo += 1;
        }
        if hi - lo + 1 >= min_count && counts.distinct >= min_distinct {
            match incidents.last_mut() {
                Some(last) if lo <= last.1 + 1 || items[lo].t - items[last.1].t <= th.window_ms => last.1 = hi,
                _ => incidents.push((lo, hi)),
            }
        }
    }
    incidents
}

/// The largest item count and distinct-key count of any window.
fn peak(items: &[Item], window_ms: i64) -> (usize, usize) {
    let mut counts = KeyCounts::new(items);
    let (mut max_count, mut max_distinct) = (0, 0);
    let mut lo = 0;
    for hi in 0..items.len() {
        counts.add(items[hi].key);
        while items[hi].t - items[lo].t > window_ms {
            counts.remove(items[lo].key);
            lo += 1;
        }
        max_count = max_count.max(hi - lo + 1);
        max_distinct = max_distinct.max(counts.distinct);
    }
    (max_count, max_distinct)
}

/// Occurrences per key in the current window; keys are dense interned ids.
struct KeyCounts {
    counts: Vec<u32>,
    distinct: usize,
}

impl KeyCounts {
    fn new(items: &[Item]) -> Self {
        let max = items.iter().map(|it| it.key).max().map_or(0, |k| k as usize + 1);
        KeyCounts { counts: vec![0; max], distinct: 0 }
    }
    fn add(&mut self, key: u32) {
        let c = &mut self.counts[key as usize];
        if *c == 0 {
            self.distinct += 1;
        }
        *c += 1;
    }
    fn remove(&mut self, key: u32) {
        let c = &mut self.counts[key as usize];
        *c -= 1;
        if *c == 0 {
            self.distinct -= 1;
        }
    }
}

/// Which measure a burst detector raises when the principal already burst in the baseline.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Measure {
    Count,
    Distinct,
}

/// Bursts after the baseline end, with the threshold raised to twice the baseline peak for
/// principals that burst in the baseline. Returns item ranges and the baseline peak if raised.
fn bursts_against_baseline(
    items: &[Item],
    split: usize,
    th: Thresholds,
    measure: Measure,
) -> (Vec<(usize, usize)>, Option<usize>) {
    let k = items.partition_point(|it| it.ev < split);
    let (base, detect) = items.split_at(k);
    let mut th = th;
    let mut raised = None;
    if !bursts(base, &th).is_empty() {
        let (count, distinct) = peak(base, th.window_ms);
        match measure {
            Measure::Count => {
                th.min_count = th.min_count.max(2 * count);
                raised = Some(count);
            }
            Measure::Distinct => {
                th.min_distinct = th.min_distinct.max(2 * distinct);
                raised = Some(distinct);
            }
        }
    }
    let ranges = bursts(detect, &th).into_iter().map(|(a, b)| (a + k, b + k)).collect();
    (ranges, raised)
}

fn item_events(items: &[Item], range: (usize, usize)) -> Vec<usize> {
    let mut idx: Vec<usize> = items[range.0..=range.1].iter().map(|it| it.ev).collect();
    idx.dedup();
    idx
}

pub(super) fn is_denied(e: &Event) -> bool {
    matches!(
        e.error_code.as_deref(),
        Some("AccessDenied" | "UnauthorizedOperation" | "Client.UnauthorizedOperation" | "AccessDeniedException")
    )
}

/// A burst detector: what it reports and its thresholds.
struct BurstSpec {
    info: &'static DetectorInfo,
    th: Thresholds,
    measure: Measure,
}

/// Adds detector-specific evidence and returns the summary.
type Describe<'a> = dyn Fn(&Prepared, &[usize], &mut Map<String, Value>) -> String + 'a;

fn burst_findings(prep: &Prepared, per_principal: &[Vec<Item>], spec: &BurstSpec, describe: &Describe) -> Vec<Finding> {
    let mut out = Vec::new();
    for (pid, items) in per_principal.iter().enumerate() {
        if items.len() < spec.th.min_count {
            continue;
        }
        let (ranges, raised) = bursts_against_baseline(items, prep.judge_from(), spec.th, spec.measure);
        for range in ranges {
            let idx = item_events(items, range);
            let mut ev = common_evidence(prep.events, &idx);
            ev.insert("window_minutes".into(), Value::from(spec.th.window_ms / 60_000));
            if let Some(p) = raised {
                ev.insert("baseline_peak".into(), Value::from(p));
            }
            let summary = describe(prep, &idx, &mut ev);
            let principal = prep.principal(pid as u32).map(str::to_string);
            out.extend(
                FindingDraft {
                    info: spec.info,
                    severity: spec.info.severity,
                    principal,
                    actor: None,
                    summary,
                    evidence: ev,
                }
                .build(prep.events, &idx),
            );
        }
    }
    out
}

/// Reads of data (objects, items, records, secrets), not enumeration of the account: a busy
/// application makes thousands of them across services without doing reconnaissance.
const DATA_READS: &[&str] = &[
    "GetObject",
    "GetObjectAcl",
    "GetObjectTagging",
    "GetObjectAttributes",
    "GetItem",
    "BatchGetItem",
    "GetRecords",
    "GetShardIterator",
    "GetSecretValue",
    "GetParameter",
    "GetParameters",
    "GetParametersByPath",
    "GetLogEvents",
    "GetMetricData",
    "GetMetricStatistics",
    "GetQueueUrl",
    "GetQueueAttributes",
];

/// Enumeration: List* / Describe* / Get* calls other than data reads.
pub(super) fn is_recon_call(e: &Event) -> bool {
    let name = e.base_name();
    (name.starts_with("List") || name.starts_with("Describe") || name.starts_with("Get")) && !DATA_READS.contains(&name)
}

/// Secret / parameter names read by a call (several for the batch APIs).
fn secret_names(e: &Event) -> Vec<String> {
    let name = e.event_name.as_str();
    let wanted = match (e.event_source.as_str(), name) {
        ("secretsmanager.amazonaws.com", "GetSecretValue") => Some("secretId"),
        ("secretsmanager.amazonaws.com", "BatchGetSecretValue") => Some("secretIdList"),
        ("ssm.amazonaws.com", "GetParameter") => Some("name"),
        ("ssm.amazonaws.com", "GetParameters") => Some("names"),
        ("ssm.amazonaws.com", "GetParametersByPath") => Some("path"),
        _ => None,
    };
    let Some(key) = wanted else { return Vec::new() };
    let Some(req) = e.request() else { return vec![format!("{name}:?")] };
    let prefix = if e.event_source.starts_with("ssm") { "ssm:" } else { "secret:" };
    match get_key(&req, key) {
        Some(Value::String(s)) => vec![format!("{prefix}{s}")],
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str()).map(|s| format!("{prefix}{s}")).collect(),
        _ => vec![format!("{name}:?")],
    }
}

// ---------------------------------------------------------------------------------------------
// Password spraying

/// A ConsoleLogin outcome: Some(true) success, Some(false) failure.
fn console_login_outcome(e: &Event) -> Option<bool> {
    if e.event_name != "ConsoleLogin" {
        return None;
    }
    let result = e.response().and_then(|r| get_str(&r, "ConsoleLogin").map(str::to_string));
    match result.as_deref() {
        Some(r) if r.eq_ignore_ascii_case("Success") && !e.is_error() => Some(true),
        Some(r) if r.eq_ignore_ascii_case("Failure") => Some(false),
        _ if e.is_error() => Some(false),
        _ => None,
    }
}

fn password_spraying(prep: &Prepared) -> Vec<Finding> {
    let o = prep.opts;
    // source -> failure items, success event indices
    let mut failures: BTreeMap<&str, Vec<Item>> = BTreeMap::new();
    let mut successes: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut users: FastMap<String, u32> = FastMap::default();
    let mut hidden = 0u32;
    for (i, e) in prep.events.iter().enumerate() {
        let Some(outcome) = console_login_outcome(e) else { continue };
        let Some(src) = e.source_ip.as_deref() else { continue };
        if outcome {
            successes.entry(src).or_default().push(i);
            continue;
        }
        let user = e.user_name.clone().or_else(|| e.identity_arn.clone()).unwrap_or_default();
        // AWS hides the user name when it does not exist; each such attempt is a distinct guess.
        let key = if user.is_empty() || user == "HIDDEN_DUE_TO_SECURITY_REASONS" {
            hidden += 1;
            format!("\u{0}hidden{hidden}")
        } else {
            format!("{}/{user}", e.target_account().unwrap_or(""))
        };
        let next = users.len() as u32;
        let key = *users.entry(key).or_insert(next);
        failures.entry(src).or_default().push(Item { t: e.time_ms, key, ev: i });
    }
    let mut out = Vec::new();
    for (src, items) in failures {
        let th =
            Thresholds { window_ms: o.spray_window_ms, min_count: o.spray_min_users, min_distinct: o.spray_min_users };
        for range in bursts(&items, &th) {
            let mut idx = item_events(&items, range);
            let (start, end) = (prep.events[idx[0]].time_ms, prep.events[*idx.last().unwrap_or(&idx[0])].time_ms);
            let won: Vec<usize> = successes
                .get(src)
                .map(|s| {
                    s.iter()
                        .copied()
                        .filter(|&i| (start..=end + o.spray_window_ms).contains(&prep.events[i].time_ms))
                        .collect()
                })
                .unwrap_or_default();
            let targeted: BTreeSet<String> = idx
                .iter()
                .map(|&i| prep.events[i].user_name.clone().unwrap_or_else(|| "HIDDEN_DUE_TO_SECURITY_REASONS".into()))
                .collect();
            let mut ev = common_evidence(prep.events, &idx);
            ev.insert("failed_logins".into(), Value::from(idx.len()));
            ev.insert("user_names".into(), json_set(targeted.iter().cloned()));
            let mut severity = PASSWORD_SPRAY.severity;
            if !won.is_empty() {
                severity = Severity::Critical;
                let who: BTreeSet<String> = won.iter().filter_map(|&i| prep.events[i].user_name.clone()).collect();
                ev.insert("successful_logins".into(), json_set(who));
                idx.extend(&won);
            }
            let summary = format!(
                "{} failed console sign-ins for {} user names from {src}{}",
                ev["failed_logins"],
                targeted.len(),
                if won.is_empty() { "" } else { ", followed by a successful sign-in" }
            );
            out.extend(
                FindingDraft {
                    info: &PASSWORD_SPRAY,
                    severity,
                    principal: None,
                    actor: Some(src.to_string()),
                    summary,
                    evidence: ev,
                }
                .build(prep.events, &idx),
            );
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Novelty against the baseline, and first use of granted high-risk permissions

/// Workloads whose addresses legitimately change all the time (Lambda, ECS) are left out of
/// network novelty; EC2 instance sessions have their own detector.
pub(super) fn network_novelty_applies(e: &Event) -> bool {
    let ua = e.user_agent.as_deref().unwrap_or("");
    !(ua.contains("exec-env/AWS_Lambda") || ua.contains("AWS_ECS") || is_instance_session(e))
}

/// What a principal did in the baseline (interned ids).
#[derive(Default)]
struct Seen {
    regions: FastSet<u32>,
    networks: FastSet<u128>,
    families: FastSet<u32>,
    /// (event source, event name) as [`super::prepared::Feat::action_key`].
    actions: FastSet<u64>,
}

/// (event indices, new values) of one detector, principal and day.
type NoveltyGroup = (Vec<usize>, BTreeSet<String>);

/// What every principal did in the baseline, how many of its own calls the baseline holds,
/// the regions anyone used in it, and whether the account's baseline is long enough to judge
/// principals with a thin one.
type Learnt = (Vec<Seen>, Vec<usize>, FastSet<u32>, bool);

fn seen_from_events(prep: &Prepared) -> Learnt {
    let mut seen: Vec<Seen> = (0..prep.principals.len()).map(|_| Seen::default()).collect();
    let mut baseline_events = vec![0usize; prep.principals.len()];
    // Regions anyone used in the baseline: the reference for principals with a thin baseline.
    let mut account_regions: FastSet<u32> = FastSet::default();
    for f in &prep.feat[..prep.split] {
        account_regions.insert(f.region);
        if f.pid == NO_PRINCIPAL || !f.has(flag::OWN_CALL) {
            continue;
        }
        let s = &mut seen[f.pid as usize];
        baseline_events[f.pid as usize] += 1;
        s.regions.insert(f.region);
        if f.origin > origin::INTERNAL {
            s.networks.insert(f.origin);
        }
        if f.family != NONE {
            s.families.insert(f.family);
        }
        s.actions.insert(f.action_key());
    }
    (seen, baseline_events, account_regions, prep.split >= prep.opts.baseline_min_events)
}

/// [`seen_from_events`] from the lake's state; values no loaded event has cannot be new.
fn seen_from_prior(prep: &Prepared, prior: &super::history::Prior) -> Learnt {
    let mut seen: Vec<Seen> = (0..prep.principals.len()).map(|_| Seen::default()).collect();
    let mut baseline_events = vec![0usize; prep.principals.len()];
    for (pid, p) in prep.principals.iter().enumerate() {
        let Some(known) = prior.seen.get(p) else { continue };
        let s = &mut seen[pid];
        baseline_events[pid] = known.events;
        s.regions.extend(known.regions.iter().filter_map(|r| prep.regions.get(r)));
        s.networks.extend(known.networks.iter().copied());
        s.families.extend(known.families.iter().filter_map(|f| prep.families.get(f)));
        for (source, name) in &known.actions {
            if let (Some(src), Some(n)) = (prep.sources.get(source), prep.names.get(name)) {
                s.actions.insert((u64::from(src) << 32) | u64::from(n));
            }
        }
    }
    let account_regions = prior.account_regions.iter().filter_map(|r| prep.regions.get(r)).collect();
    (seen, baseline_events, account_regions, prior.baseline.events >= prep.opts.baseline_min_events)
}

fn novelty(prep: &Prepared, granted: &BTreeMap<String, BTreeSet<String>>) -> Vec<Finding> {
    let o = prep.opts;
    let events = prep.events;
    let infos = [&NEW_REGION, &NEW_NETWORK, &NEW_USER_AGENT, &NEW_ACTION, &FIRST_USE_HIGH_RISK];
    // Two sequential passes over the compact features: learn the baseline, then judge.
    let (seen, baseline_events, account_regions, account_baseline) = match prep.prior {
        Some(prior) => seen_from_prior(prep, prior),
        None => seen_from_events(prep),
    };
    let is_public = |origin: u128| origin > origin::INTERNAL;
    let high_risk: Vec<FastSet<String>> = prep
        .principals
        .iter()
        .map(|p| granted.get(p).map(|s| s.iter().map(|a| a.to_ascii_lowercase()).collect()).unwrap_or_default())
        .collect();
    // (detector index, principal, day) -> (event indices, new values)
    let mut groups: BTreeMap<(usize, u32, i64), NoveltyGroup> = BTreeMap::new();
    let mut add = |det: usize, pid: u32, i: usize, value: String| {
        let entry = groups.entry((det, pid, day_of(events[i].time_ms))).or_default();
        entry.0.push(i);
        entry.1.insert(value);
    };
    let mut first_used: FastSet<(u32, u64)> = FastSet::default();
    for (i, f) in prep.feat.iter().enumerate().skip(prep.split) {
        let pid = f.pid;
        if pid == NO_PRINCIPAL || !f.has(flag::OWN_CALL) {
            continue;
        }
        let (s, risky) = (&seen[pid as usize], &high_risk[pid as usize]);
        let novelty_on = baseline_events[pid as usize] >= o.baseline_min_events;
        let e = &events[i];
        if !novelty_on && account_baseline && !account_regions.contains(&f.region) {
            add(0, pid, i, prep.regions.values[f.region as usize].to_string());
        }
        if !novelty_on && risky.is_empty() {
            continue;
        }
        // First uses only: once reported, an action is no longer new for this principal.
        let new_action = !s.actions.contains(&f.action_key()) && !first_used.contains(&(pid, f.action_key()));
        if new_action && !risky.is_empty() && !f.has(flag::ERROR) {
            if let Some(action) = e.actions().into_iter().find(|a| risky.contains(a)) {
                first_used.insert((pid, f.action_key()));
                add(4, pid, i, display_action(&action));
            }
        }
        if !novelty_on {
            continue;
        }
        if !s.regions.contains(&f.region) {
            add(0, pid, i, prep.regions.values[f.region as usize].to_string());
        }
        if f.has(flag::NET_NOVELTY) && is_public(f.origin) && !s.networks.contains(&f.origin) {
            let ip = e.source_ip.as_deref().and_then(parse_ip);
            add(1, pid, i, ip.map(network_key).unwrap_or_default());
        }
        if f.family != NONE && !s.families.contains(&f.family) {
            add(2, pid, i, prep.families.values[f.family as usize].to_string());
        }
        // Reads and failures are covered by the burst detectors; a new successful write is what
        // changes the account.
        if new_action && f.has(flag::WRITE) && !f.has(flag::ERROR) {
            first_used.insert((pid, f.action_key()));
            let action = e.actions().into_iter().next().unwrap_or_else(|| e.action());
            add(3, pid, i, display_action(&action));
        }
    }
    let mut out = Vec::new();
    for ((det, pid, _day), (idx, values)) in groups {
        let info = infos[det];
        let principal = prep.principal(pid).map(str::to_string);
        let mut ev: Map<String, Value> = common_evidence(events, &idx);
        let label = match det {
            0 => "new_regions",
            1 => "new_networks",
            2 => "new_user_agents",
            3 => "new_actions",
            _ => "high_risk_actions",
        };
        ev.insert(label.into(), json_set(values.iter().cloned()));
        let list = values.iter().cloned().collect::<Vec<_>>().join(", ");
        let summary = match det {
            0 => format!("active in new region(s) {list}"),
            1 => format!("calls from new network(s) {list}"),
            2 => format!("calls with new client(s) {list}"),
            3 => format!("first call(s) of {list}"),
            _ => format!("first use of granted high-risk permission(s) {list}"),
        };
        out.extend(
            FindingDraft { info, severity: info.severity, principal, actor: None, summary, evidence: ev }
                .build(events, &idx),
        );
    }
    out
}

// ---------------------------------------------------------------------------------------------
// EC2 instance credentials used outside the instance

/// An EC2 instance-profile session: delivered by IMDS, or named after the instance id.
pub(super) fn is_instance_session(e: &Event) -> bool {
    if e.identity_type.as_deref() != Some("AssumedRole") {
        return false;
    }
    e.ec2_role_delivery.is_some()
        || e.session_name
            .as_deref()
            .is_some_and(|s| s.len() >= 10 && s.starts_with("i-") && s[2..].bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Calls that the SSM agent makes through AWS's own messaging endpoints.
fn is_agent_channel(e: &Event) -> bool {
    matches!(e.event_source.as_str(), "ssmmessages.amazonaws.com" | "ec2messages.amazonaws.com")
}

/// An instance session calling on its own: no AWS service or SSM agent channel in between (VPC
/// endpoint calls count, as internal origins).
pub(super) fn is_ec2_own_call(e: &Event) -> bool {
    is_instance_session(e) && e.invoked_by.is_none() && !is_agent_channel(e)
}

/// (event indices, reasons, instance sessions) of one role on one day.
type OutsideGroup = (Vec<usize>, BTreeSet<String>, BTreeSet<String>);

/// Calls that only the instance itself makes: the SSM agent's channel and its heartbeat, and the
/// agents' own user agents. Where they come from is the instance's network for sure (an attacker
/// with the credentials has no reason to make them).
fn is_instance_agent_call(e: &Event) -> bool {
    let ua = e.user_agent.as_deref().unwrap_or("");
    is_agent_channel(e)
        || (e.event_source == "ssm.amazonaws.com" && e.event_name == "UpdateInstanceInformation")
        || ua.contains("amazon-ssm-agent")
        || ua.contains("CWAgent")
        || ua.contains("amazon-cloudwatch-agent")
}

/// Where an instance session's calls may come from. Judged over the whole window, never only
/// after the baseline: credentials stolen on day one are as stolen as on day ten.
/// - Networks the instance's agents called from (per session, and per role: instances of a role
///   share their NAT) are home; when a role has such certain homes, any other public network is
///   outside, even if it is the only one a session was ever seen from.
/// - Without agent calls for the role, a session's first public network is its home (the
///   instance's own calls usually come first), and networks the role's instances used in a
///   trusted baseline are home too.
/// - A call into an account other than the role's own that the role's instances never called in
///   the baseline is outside as well (credentials used from another account).
fn ec2_credentials_outside(prep: &Prepared) -> Vec<Finding> {
    let events = prep.events;
    let mut certain_session: FastSet<(&str, &str, u128)> = FastSet::default();
    let mut certain_role: FastMap<&str, FastSet<u128>> = FastMap::default();
    for (i, e) in events.iter().enumerate() {
        let origin = prep.feat[i].origin;
        if origin > origin::INTERNAL && is_instance_session(e) && is_instance_agent_call(e) {
            let role = e.session_issuer_arn.as_deref().or(e.identity_arn.as_deref()).unwrap_or("");
            certain_session.insert((role, e.session_name.as_deref().unwrap_or(""), origin));
            certain_role.entry(role).or_default().insert(origin);
        }
    }
    let trusted = prep.baseline_trusted();
    let mut role_origins: FastMap<&str, FastSet<u128>> = FastMap::default();
    let mut role_accounts: FastMap<&str, FastSet<&str>> = FastMap::default();
    let mut first_seen: FastMap<(&str, &str), u128> = FastMap::default();
    let mut groups: BTreeMap<(String, i64), OutsideGroup> = BTreeMap::new();
    for (i, f) in prep.feat.iter().enumerate() {
        if !f.has(flag::EC2_OWN) || f.origin == origin::NONE {
            continue;
        }
        let e = &events[i];
        let origin = f.origin;
        let role = e.session_issuer_arn.as_deref().or(e.identity_arn.as_deref()).unwrap_or("");
        let session = e.session_name.as_deref().unwrap_or("");
        let target = e.recipient_account_id.as_deref();
        let session_home = *first_seen.entry((role, session)).or_insert(origin);
        let in_baseline = trusted && i < prep.split;
        if in_baseline {
            role_origins.entry(role).or_default().insert(origin);
            if let Some(t) = target {
                role_accounts.entry(role).or_default().insert(t);
            }
        }
        let mut reasons = Vec::new();
        let outside_network = origin != origin::INTERNAL
            && match certain_role.get(role) {
                Some(homes) => !homes.contains(&origin) && !certain_session.contains(&(role, session, origin)),
                None => {
                    !in_baseline
                        && origin != session_home
                        && !role_origins.get(role).is_some_and(|s| s.contains(&origin))
                }
            };
        if outside_network {
            let ip = e.source_ip.as_deref().and_then(parse_ip);
            reasons.push(format!("network {}", ip.map(network_key).unwrap_or_default()));
        }
        if let (Some(t), Some(ra), false) = (target, arn_account(role), in_baseline) {
            if t != ra && !role_accounts.get(role).is_some_and(|s| s.contains(t)) {
                reasons.push(format!("account {t}"));
            }
        }
        if reasons.is_empty() {
            continue;
        }
        let entry = groups.entry((role.to_string(), day_of(e.time_ms))).or_default();
        entry.0.push(i);
        entry.1.extend(reasons);
        entry.2.insert(session.to_string());
    }
    let mut out = Vec::new();
    for ((role, _day), (idx, reasons, sessions)) in groups {
        let mut ev = common_evidence(events, &idx);
        ev.insert("outside".into(), json_set(reasons.iter().cloned()));
        ev.insert("instances".into(), json_set(sessions.iter().cloned()));
        let summary = format!(
            "instance credentials of {} used from outside the instance: {}",
            sessions.iter().cloned().collect::<Vec<_>>().join(", "),
            reasons.iter().cloned().collect::<Vec<_>>().join(", ")
        );
        out.extend(
            FindingDraft {
                info: &EC2_CREDS_OUTSIDE,
                severity: EC2_CREDS_OUTSIDE.severity,
                principal: Some(role),
                actor: None,
                summary,
                evidence: ev,
            }
            .build(events, &idx),
        );
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Cross-account role assumption from a new source

/// AssumeRole calls made by another account into a role of this one: who may enter a role is its
/// trust policy, who does is learned from the baseline (per role: calling accounts and public
/// networks). A new account, or a known account from a new network, is reported.
fn cross_account_new_source(prep: &Prepared) -> Vec<Finding> {
    let events = prep.events;
    let Some(assume) = prep.names.get("AssumeRole") else { return Vec::new() };
    let mut known: FastSet<(String, String)> = FastSet::default();
    // (role, day) -> (event indices, reasons, calling accounts)
    let mut groups: BTreeMap<(String, i64), OutsideGroup> = BTreeMap::new();
    for (i, f) in prep.feat.iter().enumerate() {
        if f.name != assume || events[i].event_source != "sts.amazonaws.com" {
            continue;
        }
        let e = &events[i];
        let (Some(caller), Some(target)) = (e.account_id.as_deref(), e.recipient_account_id.as_deref()) else {
            continue;
        };
        if caller == target || e.invoked_by.is_some() || e.source_is_aws_service() {
            continue;
        }
        let Some(role) = e.request().and_then(|r| get_str(&r, "roleArn").map(str::to_string)) else { continue };
        let account_key = format!("account {caller}");
        let network_key_str = if f.origin > origin::INTERNAL {
            e.source_ip.as_deref().and_then(parse_ip).map(|ip| format!("network {}", network_key(ip)))
        } else {
            None
        };
        if i < prep.split {
            known.insert((role.clone(), account_key));
            if let Some(n) = network_key_str {
                known.insert((role, n));
            }
            continue;
        }
        let mut reasons = Vec::new();
        if !known.contains(&(role.clone(), account_key.clone())) {
            reasons.push(account_key);
        } else if let Some(n) = network_key_str.filter(|n| !known.contains(&(role.clone(), n.clone()))) {
            reasons.push(format!("{n} (account {caller})"));
        }
        if reasons.is_empty() {
            continue;
        }
        let entry = groups.entry((role, day_of(e.time_ms))).or_default();
        entry.0.push(i);
        entry.1.extend(reasons);
        entry.2.insert(caller.to_string());
    }
    let mut out = Vec::new();
    for ((role, _day), (idx, reasons, callers)) in groups {
        let mut ev = common_evidence(events, &idx);
        ev.insert("new_sources".into(), json_set(reasons.iter().cloned()));
        ev.insert("calling_accounts".into(), json_set(callers.iter().cloned()));
        let summary = format!(
            "role assumed from a new cross-account source: {}",
            reasons.iter().cloned().collect::<Vec<_>>().join(", ")
        );
        let actor = Some(callers.iter().cloned().collect::<Vec<_>>().join(","));
        out.extend(
            FindingDraft {
                info: &CROSS_ACCOUNT_SOURCE,
                severity: CROSS_ACCOUNT_SOURCE.severity,
                principal: Some(role),
                actor,
                summary,
                evidence: ev,
            }
            .build(events, &idx),
        );
    }
    out
}

/// The catalog's spelling of an action (`iam:UpdateAccessKey`) for summaries, when it has one.
fn display_action(lower: &str) -> String {
    crate::catalog::catalog().canonical(lower).unwrap_or_else(|| lower.to_owned())
}
