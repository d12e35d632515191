//! Usage: which IAM actions each principal exercised (facts from the lake), compared with what
//! its policies grant: used, unused, unobservable, and denied attempts apart.

pub mod facts;
pub mod people;
pub mod rollup;

use crate::account::{Account, PrincipalRef};
use crate::catalog::catalog;
use crate::mapping;
use crate::policy::{Access, AccessIndex, PrincipalInfo};
use anyhow::{Context, Result};
use polars::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub use crate::lake::Window;

/// One fact row as read back from the usage table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fact {
    pub principal: String,
    pub principal_type: String,
    pub actor: String,
    pub action: String,
    pub resource: String,
    pub via_service: String,
    pub region: String,
    pub count: u64,
    pub denied_count: u64,
    pub error_codes: Vec<String>,
    pub source_ips: Vec<String>,
    pub passed_to_service: Vec<String>,
    pub sample_event_ids: Vec<String>,
    pub first_seen: i64,
    pub last_seen: i64,
}

fn split(s: Option<&str>) -> Vec<String> {
    s.filter(|s| !s.is_empty()).map(|s| s.split(',').map(str::to_owned).collect()).unwrap_or_default()
}

/// Read the facts within the window (stored, or computed in memory where stale), optionally for one principal;
/// or those of the roll-up `--facts` named (which covers the window it was made for).
pub fn load_facts(lake_dir: &Path, window: &Window, principal: Option<&str>) -> Result<Vec<Fact>> {
    let mut lf = match rollup::source() {
        Some(path) => rollup::scan(path)?,
        None => {
            let Some(lf) = facts::scan_facts(lake_dir, window)? else { return Ok(Vec::new()) };
            window.apply(lf)
        }
    };
    if let Some(p) = principal {
        lf = lf.filter(col("principal").eq(lit(p.to_owned())));
    }
    let df =
        lf.with_columns([col("first_seen").cast(DataType::Int64), col("last_seen").cast(DataType::Int64)]).collect()?;
    let s = |n: &str| -> Result<&StringChunked> { Ok(df.column(n)?.str()?) };
    let (principal, ptype, actor, action, resource, via) =
        (s("principal")?, s("principal_type")?, s("actor")?, s("action")?, s("resource")?, s("via_service")?);
    let (codes, ips, passed, samples, region) =
        (s("error_codes")?, s("source_ips")?, s("passed_to_service")?, s("sample_event_ids")?, s("region")?);
    let count = df.column("count")?.u64()?;
    let denied = df.column("denied_count")?.u64()?;
    let first = df.column("first_seen")?.i64()?;
    let last = df.column("last_seen")?.i64()?;
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        out.push(Fact {
            principal: principal.get(i).unwrap_or("").to_owned(),
            principal_type: ptype.get(i).unwrap_or("").to_owned(),
            actor: actor.get(i).unwrap_or("").to_owned(),
            action: action.get(i).unwrap_or("").to_owned(),
            resource: resource.get(i).unwrap_or("").to_owned(),
            via_service: via.get(i).unwrap_or("").to_owned(),
            region: region.get(i).unwrap_or("").to_owned(),
            count: count.get(i).unwrap_or(0),
            denied_count: denied.get(i).unwrap_or(0),
            error_codes: split(codes.get(i)),
            source_ips: split(ips.get(i)),
            passed_to_service: split(passed.get(i)),
            sample_event_ids: split(samples.get(i)),
            first_seen: first.get(i).unwrap_or(0),
            last_seen: last.get(i).unwrap_or(0),
        });
    }
    out.sort_by(|a, b| {
        (&a.principal, &a.action, &a.resource, &a.actor, &a.via_service, &a.region, a.first_seen).cmp(&(
            &b.principal,
            &b.action,
            &b.resource,
            &b.actor,
            &b.via_service,
            &b.region,
            b.first_seen,
        ))
    });
    Ok(out)
}

pub use crate::time::iso;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UsedAction {
    pub action: String,
    pub count: u64,
    pub first_seen: String,
    pub last_seen: String,
    pub resources: Vec<String>,
    /// Whether the principal's current policies allow it (false: the grant was removed since).
    pub granted: bool,
    /// Who inside the principal made the calls (session names, source identities, user names).
    pub actors: Vec<String>,
    pub regions: Vec<String>,
    pub source_ips: Vec<String>,
    pub sample_event_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeniedAction {
    pub action: String,
    pub count: u64,
    pub error_codes: Vec<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub resources: Vec<String>,
    pub actors: Vec<String>,
}

/// Calls a service made on the principal's behalf (`invokedBy`): kept apart, never "used".
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ServiceCall {
    pub service: String,
    pub action: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PrincipalUsage {
    pub arn: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// False for principals seen in the logs but not in the authorization details.
    pub in_account: bool,
    pub used: Vec<UsedAction>,
    pub denied: Vec<DeniedAction>,
    pub unused: Vec<String>,
    pub unobservable: Vec<String>,
    pub granted_actions: usize,
    pub via_service: Vec<ServiceCall>,
    /// Known privilege-escalation paths its granted permissions enable, and those it used.
    pub escalation: crate::escalation::Escalation,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UnmappedEvent {
    pub event_source: String,
    pub event_name: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct MappingReport {
    pub events: u64,
    pub mapped: u64,
    pub no_permission_needed: u64,
    pub not_api_call: u64,
    pub unmapped: u64,
    /// Share of API-call events (mapped + no permission needed + unmapped) that were mapped.
    pub share_mapped: f64,
    pub unmapped_events: Vec<UnmappedEvent>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UsageReport {
    pub principals: Vec<PrincipalUsage>,
    pub mapping: MappingReport,
    /// Services whose data events appear in the window (their data-plane actions are observable).
    pub data_event_services: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<crate::account::CredentialFinding>,
}

fn service_of(action: &str) -> &str {
    action.split(':').next().unwrap_or("")
}

/// PassRole facts name the instance profile an EC2 call passed; IAM checks the profile's role.
pub fn resolve_passed_roles(facts: &[Fact], account: &Account) -> Vec<Fact> {
    facts
        .iter()
        .map(|f| {
            let mut f = f.clone();
            if f.action == "iam:PassRole" {
                f.resource = account.passed_role_arn(&f.resource);
            }
            f
        })
        .collect()
}

/// Every catalog action the principal's policies allow at least partly.
pub fn granted_actions(account: &Account, arn: &str) -> BTreeSet<String> {
    let Some(set) = account.policy_set(arn) else { return BTreeSet::new() };
    let info = PrincipalInfo { arn: arn.to_owned(), account: Some(account.account_id.clone()) };
    let index = AccessIndex::new(&set, &info);
    catalog().full_names().iter().filter(|a| index.access(a) != Access::None).cloned().collect()
}

fn account_kind(account: &Account, arn: &str) -> Option<&'static str> {
    match account.principal(arn)? {
        PrincipalRef::User(_) => Some("user"),
        PrincipalRef::Role(_) => Some("role"),
        PrincipalRef::Root => Some("root"),
    }
}

/// Build the usage report from facts and the account.
pub fn build_report(facts: &[Fact], account: &Account, only: Option<&str>) -> UsageReport {
    let resolved;
    let facts = if facts.iter().any(|f| f.action == "iam:PassRole" && f.resource.contains(":instance-profile/")) {
        resolved = resolve_passed_roles(facts, account);
        &resolved[..]
    } else {
        facts
    };
    // Data-plane actions are observable only for services whose data events were logged.
    let data_services: BTreeSet<String> = facts
        .iter()
        .filter(|f| mapping::is_data_event_action(&f.action))
        .map(|f| service_of(&f.action).to_owned())
        .collect();

    let mut by_principal: BTreeMap<&str, Vec<&Fact>> = BTreeMap::new();
    for f in facts {
        by_principal.entry(f.principal.as_str()).or_default().push(f);
    }
    let mut arns: BTreeSet<String> = account.principals().into_iter().map(|(a, _)| a).collect();
    arns.extend(by_principal.keys().map(|s| s.to_string()));
    if let Some(p) = only {
        arns.retain(|a| a == p);
        if arns.is_empty() {
            arns.insert(p.to_owned());
        }
    }
    let empty = Vec::new();
    let mut principals = Vec::new();
    for arn in arns {
        let fs = by_principal.get(arn.as_str()).unwrap_or(&empty);
        let kind = account_kind(account, &arn)
            .map(str::to_owned)
            .or_else(|| fs.first().map(|f| f.principal_type.clone()))
            .unwrap_or_else(|| "unknown".to_owned());
        let in_account = account.principal(&arn).is_some();
        let granted = if in_account { granted_actions(account, &arn) } else { BTreeSet::new() };
        principals.push(principal_usage(&arn, kind, in_account, fs, &granted, &data_services));
    }
    UsageReport {
        principals,
        mapping: MappingReport::default(),
        data_event_services: data_services.into_iter().collect(),
        credentials: Vec::new(),
    }
}

#[derive(Default)]
struct Acc {
    count: u64,
    first: i64,
    last: i64,
    resources: BTreeSet<String>,
    actors: BTreeSet<String>,
    regions: BTreeSet<String>,
    ips: BTreeSet<String>,
    codes: BTreeSet<String>,
    samples: BTreeSet<(i64, String)>,
}

impl Acc {
    fn add(&mut self, f: &Fact, n: u64) {
        if self.count == 0 {
            self.first = f.first_seen;
            self.last = f.last_seen;
        }
        self.count += n;
        self.first = self.first.min(f.first_seen);
        self.last = self.last.max(f.last_seen);
        if !f.resource.is_empty() {
            self.resources.insert(f.resource.clone());
        }
        if !f.actor.is_empty() {
            self.actors.insert(f.actor.clone());
        }
        self.regions.insert(f.region.clone());
        self.ips.extend(f.source_ips.iter().cloned());
        self.codes.extend(f.error_codes.iter().cloned());
        for id in &f.sample_event_ids {
            self.samples.insert((f.first_seen, id.clone()));
        }
    }
}

fn principal_usage(
    arn: &str,
    kind: String,
    in_account: bool,
    facts: &[&Fact],
    granted: &BTreeSet<String>,
    data_services: &BTreeSet<String>,
) -> PrincipalUsage {
    let mut used: BTreeMap<&str, Acc> = BTreeMap::new();
    let mut denied: BTreeMap<&str, Acc> = BTreeMap::new();
    let mut via: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for f in facts {
        if !f.via_service.is_empty() {
            *via.entry((f.via_service.as_str(), f.action.as_str())).or_default() += f.count + f.denied_count;
            continue;
        }
        if f.count > 0 {
            used.entry(&f.action).or_default().add(f, f.count);
        }
        if f.denied_count > 0 {
            denied.entry(&f.action).or_default().add(f, f.denied_count);
        }
    }
    let unobservable: BTreeSet<String> = granted
        .iter()
        .filter(|a| !used.contains_key(a.as_str()))
        .filter(|a| {
            mapping::is_unobservable(a) || (mapping::is_data_event_action(a) && !data_services.contains(service_of(a)))
        })
        .cloned()
        .collect();
    let unused: Vec<String> = granted
        .iter()
        .filter(|a| !used.contains_key(a.as_str()) && !unobservable.contains(a.as_str()))
        .cloned()
        .collect();
    let used_actions: BTreeSet<String> = used.keys().map(|a| a.to_string()).collect();
    let escalation = crate::escalation::assess(granted, &used_actions);
    PrincipalUsage {
        escalation,
        arn: arn.to_owned(),
        kind,
        in_account,
        granted_actions: granted.len(),
        used: used
            .into_iter()
            .map(|(a, acc)| UsedAction {
                action: a.to_owned(),
                count: acc.count,
                first_seen: iso(acc.first),
                last_seen: iso(acc.last),
                granted: !in_account || granted.contains(a),
                resources: acc.resources.into_iter().collect(),
                actors: acc.actors.into_iter().collect(),
                regions: acc.regions.into_iter().collect(),
                source_ips: acc.ips.into_iter().collect(),
                sample_event_ids: acc.samples.into_iter().take(3).map(|(_, id)| id).collect(),
            })
            .collect(),
        denied: denied
            .into_iter()
            .map(|(a, acc)| DeniedAction {
                action: a.to_owned(),
                count: acc.count,
                error_codes: acc.codes.into_iter().collect(),
                first_seen: iso(acc.first),
                last_seen: iso(acc.last),
                resources: acc.resources.into_iter().collect(),
                actors: acc.actors.into_iter().collect(),
            })
            .collect(),
        unused,
        unobservable: unobservable.into_iter().collect(),
        via_service: via
            .into_iter()
            .map(|((s, a), n)| ServiceCall { service: s.to_owned(), action: a.to_owned(), count: n })
            .collect(),
    }
}

/// The mapping report over the window: how many events mapped, and which did not.
pub fn mapping_report(lake_dir: &Path, window: &Window) -> Result<MappingReport> {
    let Some(mut lf) = facts::scan_mapping_counts(lake_dir, window)? else { return Ok(MappingReport::default()) };
    lf = window.apply(lf);
    let df = lf
        .group_by([col("event_source"), col("event_name"), col("status")])
        .agg([col("events").sum()])
        .sort(["event_source", "event_name", "status"], Default::default())
        .collect()?;
    let (src, name, status) =
        (df.column("event_source")?.str()?, df.column("event_name")?.str()?, df.column("status")?.str()?);
    let events = df.column("events")?.u64()?;
    let mut r = MappingReport::default();
    for i in 0..df.height() {
        let n = events.get(i).unwrap_or(0);
        r.events += n;
        match status.get(i).unwrap_or("") {
            "mapped" => r.mapped += n,
            "no-permission-needed" => r.no_permission_needed += n,
            "not-api-call" => r.not_api_call += n,
            _ => {
                r.unmapped += n;
                r.unmapped_events.push(UnmappedEvent {
                    event_source: src.get(i).unwrap_or("").to_owned(),
                    event_name: name.get(i).unwrap_or("").to_owned(),
                    count: n,
                });
            }
        }
    }
    let api = r.mapped + r.no_permission_needed + r.unmapped;
    r.share_mapped = if api == 0 { 1.0 } else { (r.mapped + r.no_permission_needed) as f64 / api as f64 };
    r.unmapped_events.sort_by(|a, b| {
        b.count.cmp(&a.count).then(a.event_source.cmp(&b.event_source)).then(a.event_name.cmp(&b.event_name))
    });
    Ok(r)
}

/// Say (once per run) when the lake's stored usage facts are missing or stale for the window:
/// readers then compute them in memory and never write; `trailtrim refresh` stores them.
pub fn note_stale_facts(lake: &Path, window: &Window) -> Result<()> {
    static SAID: std::sync::Once = std::sync::Once::new();
    let st = facts::status(lake, window).context("reading the usage state")?;
    if st.recomputed > 0 {
        SAID.call_once(|| {
            eprintln!(
                "trailtrim: note: the stored usage facts of {} of {} partitions are missing or stale; computing them in memory (`trailtrim refresh --lake {}` stores them)",
                st.recomputed,
                st.partitions,
                lake.display()
            )
        });
    }
    Ok(())
}

/// The usage report of the window from the lake's facts and mapping counts (with the credential
/// findings when the account has a credential report).
pub fn report(
    lake: &Path,
    account: &Account,
    window: &Window,
    principal: Option<&str>,
    max_unused_days: i64,
) -> Result<UsageReport> {
    note_stale_facts(lake, window)?;
    let facts = load_facts(lake, window, principal)?;
    let mut report = build_report(&facts, account, principal);
    report.mapping = mapping_report(lake, window)?;
    if let Some(cr) = &account.credential_report {
        // "Now" is the end of the observed window, not the wall clock: same input, same output.
        let end_ms = window
            .to
            .and_then(|d| d.and_hms_opt(23, 59, 59))
            .map(|t| t.and_utc().timestamp_millis())
            .or_else(|| facts.iter().map(|f| f.last_seen).max())
            .unwrap_or(0);
        let now = chrono::DateTime::from_timestamp_millis(end_ms).unwrap_or_default();
        report.credentials = cr.findings(now, max_unused_days);
    }
    Ok(report)
}
