//! Usage facts: per (principal, actor, action, resource, via-service), how often a call passed
//! authorisation, how often it was denied and with which codes, first and last seen, from where.
//!
//! Facts are computed per lake partition (account, region, date) and stored beside the events
//! as `DIR/usage/account=../region=../event_date=../facts.parquet`. A partition is recomputed
//! only when its event files changed, so a nightly run touches only the new days.

use crate::lake;
use crate::mapping::{self, EventFields, MappingStatus};
use anyhow::{Context, Result};
use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub const USAGE_DIR: &str = "usage";
const STATE_FILE: &str = "_state.json";
const FACTS_FILE: &str = "facts.parquet";
const MAPPING_FILE: &str = "mapping.parquet";
/// Sample event IDs kept per fact (the earliest ones), as evidence.
const SAMPLES: usize = 3;
/// Source IPs kept per fact.
const MAX_IPS: usize = 16;

/// Error codes that mean "not authorised": the call did not get the permission.
pub fn is_denied(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "AccessDenied"
                | "AccessDeniedException"
                | "Client.UnauthorizedOperation"
                | "UnauthorizedOperation"
                | "UnauthorizedAccess"
                | "Client.AccessDenied"
                | "AuthorizationError"
                | "AuthorizationErrorException"
                | "NotAuthorized"
                | "NotAuthorizedException"
                | "Forbidden"
                | "ForbiddenException"
        )
    )
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct FactKey {
    principal: String,
    principal_type: String,
    actor: String,
    action: String,
    resource: String,
    via_service: String,
}

#[derive(Debug, Clone, Default)]
struct FactAgg {
    count: u64,
    denied: u64,
    error_codes: BTreeSet<String>,
    first: i64,
    last: i64,
    ips: BTreeSet<String>,
    samples: Vec<(i64, String)>,
    passed_to_service: BTreeSet<String>,
}

/// Counts of events by (event source, event name, mapping status) — the mapping report.
type MappingCounts = BTreeMap<(String, String, &'static str), u64>;

fn status_str(s: &MappingStatus) -> &'static str {
    match s {
        MappingStatus::Mapped => "mapped",
        MappingStatus::NoPermissionNeeded => "no-permission-needed",
        MappingStatus::NotApiCall => "not-api-call",
        MappingStatus::Unmapped => "unmapped",
    }
}

const READ_COLUMNS: &[&str] = &[
    "event_id",
    "event_time",
    "event_source",
    "event_name",
    "event_type",
    "identity_type",
    "identity_arn",
    "principal_id",
    "account_id",
    "user_name",
    "invoked_by",
    "session_issuer_arn",
    "session_issuer_type",
    "session_name",
    "source_identity",
    "source_ip",
    "aws_region",
    "recipient_account_id",
    "request_parameters",
    "resources",
    "error_code",
];

/// One authorisation an event stands for, as the facts count it.
struct RowCall<'a> {
    event_id: &'a str,
    time: i64,
    principal: &'a mapping::Principal,
    principal_arn: &'a str,
    action: &'a mapping::RequiredAction,
    resource: &'a str,
    denied: bool,
    error_code: Option<&'a str>,
    source_ip: Option<&'a str>,
    region: &'a str,
}

/// Map every event of `df` (READ_COLUMNS, `event_time` as Int64) and call `f` per (action,
/// resource) it needs; every event is counted in `counts` by its mapping status.
fn for_each_call(df: &DataFrame, counts: &mut MappingCounts, mut f: impl FnMut(RowCall<'_>)) -> Result<()> {
    let s = |name: &str| -> Result<&StringChunked> { Ok(df.column(name)?.str()?) };
    let ids = s("event_id")?;
    let times = df.column("event_time")?.i64()?;
    let (src, name, etype) = (s("event_source")?, s("event_name")?, s("event_type")?);
    let (itype, iarn, pid, acct) = (s("identity_type")?, s("identity_arn")?, s("principal_id")?, s("account_id")?);
    let (uname, invoked, siarn, sitype) =
        (s("user_name")?, s("invoked_by")?, s("session_issuer_arn")?, s("session_issuer_type")?);
    let (sname, sid, ip, region) = (s("session_name")?, s("source_identity")?, s("source_ip")?, s("aws_region")?);
    let (recipient, params, resources, err) =
        (s("recipient_account_id")?, s("request_parameters")?, s("resources")?, s("error_code")?);
    for i in 0..df.height() {
        let ev = EventFields {
            event_source: src.get(i).unwrap_or(""),
            event_name: name.get(i).unwrap_or(""),
            event_type: etype.get(i),
            identity_type: itype.get(i),
            identity_arn: iarn.get(i),
            principal_id: pid.get(i),
            account_id: acct.get(i),
            user_name: uname.get(i),
            invoked_by: invoked.get(i),
            session_issuer_arn: siarn.get(i),
            session_issuer_type: sitype.get(i),
            session_name: sname.get(i),
            source_identity: sid.get(i),
            source_ip: ip.get(i),
            aws_region: region.get(i),
            recipient_account_id: recipient.get(i),
            request_parameters: params.get(i),
            resources: resources.get(i),
            error_code: err.get(i),
        };
        let m = mapping::map_event(&ev);
        *counts.entry((ev.event_source.to_owned(), ev.event_name.to_owned(), status_str(&m.status))).or_default() += 1;
        if m.actions.is_empty() {
            continue;
        }
        let p = mapping::resolve_principal(&ev);
        let Some(principal_arn) = p.arn.as_deref() else { continue };
        let denied = is_denied(ev.error_code);
        let time = times.get(i).unwrap_or(0);
        let event_id = ids.get(i).unwrap_or("");
        for a in &m.actions {
            let resources: Vec<&str> =
                if a.resources.is_empty() { vec![""] } else { a.resources.iter().map(|s| s.as_str()).collect() };
            for r in resources {
                f(RowCall {
                    event_id,
                    time,
                    principal: &p,
                    principal_arn,
                    action: a,
                    resource: r,
                    denied,
                    error_code: ev.error_code,
                    source_ip: ev.source_ip,
                    region: ev.aws_region.unwrap_or(""),
                });
            }
        }
    }
    Ok(())
}

fn read_events(files: &[PathBuf], filter: Option<Expr>) -> Result<DataFrame> {
    let paths: Vec<PlRefPath> = files.iter().map(|p| PlRefPath::new(p.to_string_lossy().as_ref())).collect();
    let args = ScanArgsParquet { glob: false, ..Default::default() };
    let mut lf = LazyFrame::scan_parquet_files(paths.into_iter().collect(), args)?.select(
        READ_COLUMNS
            .iter()
            .map(|c| if *c == "event_time" { col(*c).cast(DataType::Int64) } else { col(*c) })
            .collect::<Vec<_>>(),
    );
    if let Some(f) = filter {
        lf = lf.filter(f);
    }
    let mut df = lf
        .collect()
        .map_err(anyhow::Error::from)
        .with_context(|| format!("reading events of {}", files[0].parent().unwrap_or(Path::new("")).display()))?;
    df.rechunk_mut_par();
    Ok(df)
}

/// Compute the facts of one partition from its event files.
fn partition_facts(files: &[PathBuf]) -> Result<(DataFrame, DataFrame)> {
    let df = read_events(files, None)?;
    let mut facts: BTreeMap<FactKey, FactAgg> = BTreeMap::new();
    let mut counts: MappingCounts = BTreeMap::new();
    for_each_call(&df, &mut counts, |c| {
        let key = FactKey {
            principal: c.principal_arn.to_owned(),
            principal_type: c.principal.kind.as_str().to_owned(),
            actor: c.principal.actor.clone().unwrap_or_default(),
            action: c.action.action.clone(),
            resource: c.resource.to_owned(),
            via_service: c.principal.via_service.clone().unwrap_or_default(),
        };
        let t = c.time;
        let f = facts.entry(key).or_insert_with(|| FactAgg { first: t, last: t, ..Default::default() });
        if c.denied {
            f.denied += 1;
        } else {
            f.count += 1;
        }
        if let Some(code) = c.error_code {
            f.error_codes.insert(code.to_owned());
        }
        f.first = f.first.min(t);
        f.last = f.last.max(t);
        if let Some(ip) = c.source_ip {
            if f.ips.len() < MAX_IPS {
                f.ips.insert(ip.to_owned());
            }
        }
        if let Some(svc) = &c.action.passed_to_service {
            f.passed_to_service.insert(svc.clone());
        }
        f.samples.push((t, c.event_id.to_owned()));
        if f.samples.len() > SAMPLES * 4 {
            f.samples.sort();
            f.samples.truncate(SAMPLES);
        }
    })?;
    Ok((facts_frame(facts)?, counts_frame(counts)?))
}

/// The facts of single events: for each of `event_ids` found in the lake within the window, one
/// fact (count or denied_count 1) per (action, resource) the event stands for, mapped exactly as
/// [`refresh`] maps it. Keyed by event id.
pub fn event_facts(
    lake_dir: &Path,
    window: &super::Window,
    event_ids: &BTreeSet<String>,
) -> Result<Vec<(String, super::Fact)>> {
    let mut out = Vec::new();
    if event_ids.is_empty() {
        return Ok(out);
    }
    let wanted = Series::new("ids".into(), event_ids.iter().cloned().collect::<Vec<String>>());
    // One scan of the window (the region partition is the event's own region).
    let files: Vec<PathBuf> = lake::partition_files(lake_dir, window)?.into_iter().flatten().collect();
    if !files.is_empty() {
        let df = read_events(&files, Some(col("event_id").is_in(lit(wanted).implode(false), false)))?;
        let mut counts = MappingCounts::new();
        for_each_call(&df, &mut counts, |c| {
            let fact = super::Fact {
                principal: c.principal_arn.to_owned(),
                principal_type: c.principal.kind.as_str().to_owned(),
                actor: c.principal.actor.clone().unwrap_or_default(),
                action: c.action.action.clone(),
                resource: c.resource.to_owned(),
                via_service: c.principal.via_service.clone().unwrap_or_default(),
                region: c.region.to_owned(),
                count: u64::from(!c.denied),
                denied_count: u64::from(c.denied),
                error_codes: c.error_code.map(str::to_owned).into_iter().collect(),
                source_ips: c.source_ip.map(str::to_owned).into_iter().collect(),
                passed_to_service: c.action.passed_to_service.clone().into_iter().collect(),
                sample_event_ids: vec![c.event_id.to_owned()],
                first_seen: c.time,
                last_seen: c.time,
            };
            out.push((c.event_id.to_owned(), fact));
        })?;
    }
    out.sort_by(|a, b| (&a.0, &a.1.action, &a.1.resource).cmp(&(&b.0, &b.1.action, &b.1.resource)));
    Ok(out)
}

fn join(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(",")
}

fn facts_frame(facts: BTreeMap<FactKey, FactAgg>) -> Result<DataFrame> {
    let n = facts.len();
    let mut cols: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut nums: [Vec<u64>; 2] = [Vec::with_capacity(n), Vec::with_capacity(n)];
    let mut times: [Vec<i64>; 2] = [Vec::with_capacity(n), Vec::with_capacity(n)];
    for (k, mut f) in facts {
        f.samples.sort();
        f.samples.truncate(SAMPLES);
        for (c, v) in [
            ("principal", k.principal),
            ("principal_type", k.principal_type),
            ("actor", k.actor),
            ("action", k.action),
            ("resource", k.resource),
            ("via_service", k.via_service),
            ("error_codes", join(&f.error_codes)),
            ("source_ips", join(&f.ips)),
            ("passed_to_service", join(&f.passed_to_service)),
            ("sample_event_ids", f.samples.iter().map(|(_, id)| id.as_str()).collect::<Vec<_>>().join(",")),
        ] {
            cols.entry(c).or_default().push(v);
        }
        nums[0].push(f.count);
        nums[1].push(f.denied);
        times[0].push(f.first);
        times[1].push(f.last);
    }
    let ts = lake::ColumnKind::Time.dtype();
    let mut out: Vec<Column> = Vec::new();
    for name in FACT_STRING_COLUMNS {
        out.push(Column::new((*name).into(), cols.remove(name).unwrap_or_default()));
    }
    let [count, denied] = nums;
    out.push(Column::new("count".into(), count));
    out.push(Column::new("denied_count".into(), denied));
    let [first, last] = times;
    out.push(Column::new("first_seen".into(), first).cast(&ts)?);
    out.push(Column::new("last_seen".into(), last).cast(&ts)?);
    Ok(DataFrame::new(n, out)?)
}

/// String columns of a facts file, in order (then count, denied_count, first_seen, last_seen).
pub const FACT_STRING_COLUMNS: &[&str] = &[
    "principal",
    "principal_type",
    "actor",
    "action",
    "resource",
    "via_service",
    "error_codes",
    "source_ips",
    "passed_to_service",
    "sample_event_ids",
];

fn counts_frame(counts: MappingCounts) -> Result<DataFrame> {
    let n = counts.len();
    let (mut s, mut e, mut st, mut c) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ((src, name, status), k) in counts {
        s.push(src);
        e.push(name);
        st.push(status);
        c.push(k);
    }
    Ok(DataFrame::new(
        n,
        vec![
            Column::new("event_source".into(), s),
            Column::new("event_name".into(), e),
            Column::new("status".into(), st),
            Column::new("events".into(), c),
        ],
    )?)
}

/// What a partition's facts were computed from: its event files with their sizes, and the
/// code that mapped them (facts made by an older mapping are recomputed).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
struct State {
    #[serde(default)]
    fingerprint: String,
    partitions: BTreeMap<String, Vec<(String, u64)>>,
}

const FINGERPRINT: &str = env!("TRAILTRIM_FACTS_FINGERPRINT");

/// Summary of a refresh.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RefreshSummary {
    pub partitions: usize,
    pub recomputed: usize,
}

/// Bring `DIR/usage/` up to date with `DIR/events/`: recompute the partitions whose files changed.
pub fn refresh(lake_dir: &Path) -> Result<RefreshSummary> {
    let _lock = lake::lock_for_writing(lake_dir)?;
    let events = lake::events_dir(lake_dir);
    let usage = lake_dir.join(USAGE_DIR);
    std::fs::create_dir_all(&usage).with_context(|| format!("creating {}", usage.display()))?;
    let state_path = usage.join(STATE_FILE);
    let old: State =
        std::fs::read_to_string(&state_path).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();

    let mut parts: BTreeMap<String, Vec<(String, u64)>> = BTreeMap::new();
    for f in lake::event_files(lake_dir)? {
        let rel = f.parent().unwrap().strip_prefix(&events)?.to_string_lossy().into_owned();
        let size = std::fs::metadata(&f)?.len();
        parts.entry(rel).or_default().push((f.file_name().unwrap().to_string_lossy().into_owned(), size));
    }
    let stale: Vec<&String> = parts
        .keys()
        .filter(|k| old.partitions.get(*k) != parts.get(*k) || !usage.join(k).join(FACTS_FILE).exists())
        .collect();
    let recomputed = stale.len();
    stale
        .par_iter()
        .map(|rel| -> Result<()> {
            let files: Vec<PathBuf> = parts[*rel].iter().map(|(n, _)| events.join(rel).join(n)).collect();
            let (mut facts, mut counts) = partition_facts(&files)?;
            let dir = usage.join(rel);
            std::fs::create_dir_all(&dir)?;
            crate::ingest::writer::write_parquet_atomically(&mut facts, &dir.join(FACTS_FILE))?;
            crate::ingest::writer::write_parquet_atomically(&mut counts, &dir.join(MAPPING_FILE))?;
            Ok(())
        })
        .collect::<Result<Vec<()>>>()?;
    let state = State { fingerprint: FINGERPRINT.to_owned(), partitions: parts };
    let tmp = state_path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_string(&state)?)?;
    std::fs::rename(&tmp, &state_path)?;
    Ok(RefreshSummary { partitions: state.partitions.len(), recomputed })
}

fn scan_usage_files(lake_dir: &Path, file: &str) -> Result<Option<LazyFrame>> {
    let mut files = Vec::new();
    let usage = lake_dir.join(USAGE_DIR);
    fn walk(d: &Path, file: &str, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        v.sort();
        for p in v {
            if p.is_dir() {
                walk(&p, file, out);
            } else if p.file_name().is_some_and(|n| n == file) {
                out.push(p);
            }
        }
    }
    walk(&usage, file, &mut files);
    if files.is_empty() {
        return Ok(None);
    }
    let paths: Vec<PlRefPath> = files.iter().map(|p| PlRefPath::new(p.to_string_lossy().as_ref())).collect();
    let args = ScanArgsParquet {
        hive_options: HiveOptions {
            enabled: Some(true),
            hive_start_idx: 0,
            schema: Some(Arc::new(Schema::from_iter([
                Field::new("account".into(), DataType::String),
                Field::new("region".into(), DataType::String),
                Field::new("event_date".into(), DataType::Date),
            ]))),
            try_parse_dates: true,
        },
        glob: false,
        ..Default::default()
    };
    Ok(Some(LazyFrame::scan_parquet_files(paths.into_iter().collect(), args)?))
}

/// Every usage fact (after `refresh`), with the partition columns `account`, `region`, `event_date`.
pub fn scan_facts(lake_dir: &Path) -> Result<Option<LazyFrame>> {
    scan_usage_files(lake_dir, FACTS_FILE)
}

/// The mapping report rows (event source, name, status, events) of every partition.
pub fn scan_mapping_counts(lake_dir: &Path) -> Result<Option<LazyFrame>> {
    scan_usage_files(lake_dir, MAPPING_FILE)
}
