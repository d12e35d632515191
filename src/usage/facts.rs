//! Usage facts: per (principal, actor, action, resource, via-service), how often a call passed
//! authorisation, how often it was denied and with which codes, first and last seen, from where.
//!
//! Facts are computed per lake partition (account, region, date) and stored beside the events
//! as `DIR/usage/account=../region=../event_date=../facts-<tag>.parquet` (and `mapping-<tag>`),
//! where the tag is a digest of what they were computed from: the partition's event files with
//! their sizes, the state version and the data fingerprint. A partition is recomputed only when
//! its event files changed, so a nightly run touches only the new days. The tag makes the state
//! a pure function of its partition, with no shared state file: whether stored facts are current
//! is read from one listing, and workers on many machines can refresh partitions of one lake
//! (local or S3) at once, without a lock; two on the same partition write the same objects.
//! The detection state (`detect::history`) of a partition lives beside its facts, in
//! `detect-<tag>.parquet`, and is kept up to date by the same machinery.

use crate::lake;
use crate::mapping::{self, EventFields, MappingStatus};
use anyhow::{Context, Result};
use polars::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The whole-lake state file of earlier versions (removed by a full refresh).
const LEGACY_STATE_FILE: &str = "_state.json";
const FACTS_STEM: &str = "facts";
const MAPPING_STEM: &str = "mapping";
/// Detection state (see `detect::history`), beside the facts.
const DETECT_STEM: &str = "detect";
/// Every file a partition's state is made of (the facts last: readers look for them).
const STATE_STEMS: &[&str] = &[MAPPING_STEM, DETECT_STEM, FACTS_STEM];
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
    "response_elements",
    "additional_event_data",
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

impl RowCall<'_> {
    /// The service that made the call for the principal: the action's own (a forward access
    /// session) or the event's (`invokedBy`).
    fn via_service(&self) -> String {
        self.action.via_service.clone().or_else(|| self.principal.via_service.clone()).unwrap_or_default()
    }
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
    let (response, additional) = (s("response_elements")?, s("additional_event_data")?);
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
            response_elements: response.get(i),
            additional_event_data: additional.get(i),
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
    let mut lf = lake::scan_files(files)?.select(
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
            via_service: c.via_service(),
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
                via_service: c.via_service(),
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

/// The number columns of a facts file, after [`FACT_STRING_COLUMNS`].
pub const FACT_NUMBER_COLUMNS: &[&str] = &["count", "denied_count", "first_seen", "last_seen"];

/// The columns of a mapping counts file, in order.
const MAPPING_COLUMNS: &[&str] = &["event_source", "event_name", "status", "events"];

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

/// The version of the code that derives a partition's state (facts, mapping counts, detection
/// tallies): part of every state file's tag, so stored state of another version is recomputed.
/// Bump it by hand in the change that alters what the state says for the same events (the fact
/// builder, `mapping`, `detect::history`'s tallies, their columns); the data files they read are
/// fingerprinted by build.rs, so a data update needs no bump.
pub const STATE_VERSION: u32 = 1;

/// The mapping and catalog data the state is derived from (see build.rs).
const DATA_FINGERPRINT: &str = env!("TRAILTRIM_STATE_DATA_FINGERPRINT");

/// Summary of a refresh (or of a reader's look at the state).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RefreshSummary {
    pub partitions: usize,
    /// Partitions whose facts were (re)computed; for a reader, those computed in memory.
    pub recomputed: usize,
}

/// The first part of every state tag: 12 hex digits of the digest of the state version and the
/// data fingerprint.
fn code_tag(version: u32) -> String {
    let version = format!("state-v{version}");
    lake::store::digest([version.as_str(), DATA_FINGERPRINT])[..12].to_owned()
}

/// The tag of a partition's state, `<code>-<files>`: [`code_tag`] and a digest of the
/// partition's event files with their sizes, `name\x1fsize` by name (file names of the lake are
/// unique, and a rewritten file changes size or name). Other tools recompute the second part to
/// tell current state from stale (engines/spark/rollup.py).
fn state_tag(files: &[(String, u64)]) -> String {
    let mut sizes: Vec<String> = files.iter().map(|(n, s)| format!("{n}\u{1f}{s}")).collect();
    sizes.sort();
    format!("{}-{}", code_tag(STATE_VERSION), lake::store::digest(sizes.iter().map(String::as_str)))
}

fn state_file(stem: &str, tag: &str) -> String {
    format!("{stem}-{tag}.parquet")
}

/// The lake's event partitions (relative `account=../region=../event_date=..` paths) with their
/// files and sizes, the state files stored for each, and which have no current stored facts.
struct Plan {
    events: PathBuf,
    usage: PathBuf,
    parts: BTreeMap<String, Vec<(String, u64)>>,
    /// Every file under `usage/`, by partition (`""` for files outside any partition).
    stored: BTreeMap<String, BTreeSet<String>>,
    stale: BTreeSet<String>,
}

/// The partition folder of a file under `root`, and its name.
fn split_rel(root: &Path, file: &Path) -> Result<(String, String)> {
    let dir = file.parent().unwrap_or(Path::new(""));
    let rel = dir.strip_prefix(root).with_context(|| format!("{} is outside {}", file.display(), root.display()))?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok((rel.to_string_lossy().into_owned(), name))
}

fn plan(lake_dir: &Path) -> Result<Plan> {
    let events = lake::events_dir(lake_dir);
    let usage = lake::usage_dir(lake_dir);
    let mut parts: BTreeMap<String, Vec<(String, u64)>> = BTreeMap::new();
    for f in lake::event_files_sized(lake_dir)? {
        let (rel, name) = split_rel(&events, &f.path)?;
        parts.entry(rel).or_default().push((name, f.size));
    }
    let mut stored: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in lake::store::list(&usage)? {
        let (rel, name) = split_rel(&usage, &f.path)?;
        stored.entry(rel).or_default().insert(name);
    }
    let stale = parts
        .iter()
        .filter(|(rel, files)| {
            let tag = state_tag(files);
            let have = stored.get(*rel);
            !have.is_some_and(|h| STATE_STEMS.iter().all(|stem| h.contains(&state_file(stem, &tag))))
        })
        .map(|(rel, _)| rel.clone())
        .collect();
    Ok(Plan { events, usage, parts, stored, stale })
}

impl Plan {
    fn files(&self, rel: &str) -> Vec<PathBuf> {
        self.parts[rel].iter().map(|(n, _)| self.events.join(rel).join(n)).collect()
    }

    fn tag(&self, rel: &str) -> String {
        state_tag(&self.parts[rel])
    }
}

/// Bring `DIR/usage/` up to date with `DIR/events/`: recompute the partitions whose files (or
/// the state version or data) changed, and drop the facts of partitions that are gone. Takes
/// the writer lock; only writers (ingest, `refresh`) call it.
pub fn refresh(lake_dir: &Path) -> Result<RefreshSummary> {
    let lock = lake::lock_for_writing(lake_dir)?;
    refresh_locked(lake_dir, &lock, None)
}

/// [`refresh`] under a lock the caller holds (an S3 lake has none: the work is idempotent);
/// `only` limits the work to some partitions (relative paths), for workers that share a lake.
pub fn refresh_locked(
    lake_dir: &Path,
    _lock: &lake::WriteLock,
    only: Option<&BTreeSet<String>>,
) -> Result<RefreshSummary> {
    let plan = plan(lake_dir)?;
    lake::store::create_dir_all(&plan.usage)?;
    let todo: Vec<&String> = plan.stale.iter().filter(|k| only.is_none_or(|o| o.contains(*k))).collect();
    // Polars inside: plain threads, not rayon (see `threads`).
    crate::threads::on_plain_threads(todo.clone(), |rel| -> Result<()> {
        let (mut facts, mut counts) = partition_facts(&plan.files(rel))?;
        let dir = plan.usage.join(rel);
        lake::store::create_dir_all(&dir)?;
        let tag = plan.tag(rel);
        // The facts file is what readers look for, so it comes last.
        lake::write_state_parquet(&mut counts, &dir.join(state_file(MAPPING_STEM, &tag)))?;
        lake::write_state_parquet(&mut detect_state(&plan.files(rel))?, &dir.join(state_file(DETECT_STEM, &tag)))?;
        lake::write_state_parquet(&mut facts, &dir.join(state_file(FACTS_STEM, &tag)))?;
        Ok(())
    })
    .into_iter()
    .collect::<Result<Vec<()>>>()?;
    remove_superseded(&plan, only)?;
    Ok(RefreshSummary { partitions: plan.parts.len(), recomputed: todo.len() })
}

/// Remove stored state that no reader will use: files of other tags in the partitions this
/// refresh covered, and (on a whole refresh) the state of partitions that no longer have events
/// and the whole-lake state file of earlier versions. A worker that removes a newer tag (it saw
/// an older listing) costs a recomputation, never a wrong answer: readers only use the tag of
/// the files they see.
fn remove_superseded(plan: &Plan, only: Option<&BTreeSet<String>>) -> Result<()> {
    for (rel, names) in &plan.stored {
        if only.is_some_and(|o| !o.contains(rel)) {
            continue;
        }
        let keep: BTreeSet<String> = match plan.parts.get(rel) {
            Some(files) => {
                let tag = state_tag(files);
                STATE_STEMS.iter().map(|stem| state_file(stem, &tag)).collect()
            }
            // Files beside the partitions: only the old state file is ours to remove.
            None if rel.is_empty() => names.iter().filter(|n| *n != LEGACY_STATE_FILE).cloned().collect(),
            None if only.is_some() => continue,
            None => BTreeSet::new(),
        };
        for name in names.difference(&keep) {
            lake::store::remove(&plan.usage.join(rel).join(name))?;
        }
    }
    Ok(())
}

/// How up to date the stored facts are, without writing anything: `recomputed` counts the
/// partitions a reader computes in memory.
pub fn status(lake_dir: &Path, window: &super::Window) -> Result<RefreshSummary> {
    let plan = plan(lake_dir)?;
    let in_window = |rel: &String| window.contains_partition(rel);
    Ok(RefreshSummary {
        partitions: plan.parts.keys().filter(|k| in_window(k)).count(),
        recomputed: plan.stale.iter().filter(|k| in_window(k)).count(),
    })
}

/// State of stale partitions computed by readers, kept for the process (a command reads the
/// facts several times). Keyed by the partition's folder, its files with their sizes, and the
/// state file it stands for.
type Memo = std::sync::Mutex<BTreeMap<(PathBuf, Vec<(String, u64)>, &'static str), Arc<DataFrame>>>;
static MEMO: std::sync::OnceLock<Memo> = std::sync::OnceLock::new();

fn computed(plan: &Plan, rel: &str, file: &'static str) -> Result<Arc<DataFrame>> {
    let key = |f: &'static str| (plan.events.join(rel), plan.parts[rel].clone(), f);
    let memo = MEMO.get_or_init(Default::default);
    if let Some(hit) = memo.lock().unwrap().get(&key(file)) {
        return Ok(hit.clone());
    }
    let mut got = Vec::new();
    if file == DETECT_STEM {
        got.push((DETECT_STEM, detect_state(&plan.files(rel))?));
    } else {
        // Facts and mapping counts come from one pass.
        let (facts, counts) = partition_facts(&plan.files(rel))?;
        got.extend([(FACTS_STEM, facts), (MAPPING_STEM, counts)]);
    }
    let mut memo = memo.lock().unwrap();
    for (f, df) in got {
        memo.insert(key(f), Arc::new(df));
    }
    Ok(memo[&key(file)].clone())
}

/// The detection state of one partition (its files).
fn detect_state(files: &[PathBuf]) -> Result<DataFrame> {
    let events = crate::detect::load::read_partition(files)?;
    crate::detect::history::tallies(&events, &crate::detect::DetectOptions::default())
}

/// The facts (or mapping counts) of the window's partitions: stored files where they are up to
/// date, computed in memory where they are missing or stale (never written: readers do not
/// write), with the partition columns `account`, `region`, `event_date`.
fn scan_usage(lake_dir: &Path, window: &super::Window, file: &'static str) -> Result<Option<LazyFrame>> {
    let plan = plan(lake_dir)?;
    let mut stored = Vec::new();
    let mut frames = Vec::new();
    for rel in plan.parts.keys().filter(|k| window.contains_partition(k)) {
        if !plan.stale.contains(rel) {
            stored.push(plan.usage.join(rel).join(state_file(file, &plan.tag(rel))));
            continue;
        }
        let df = computed(&plan, rel, file)?;
        frames.push(lake::with_partition_columns(df.as_ref().clone().lazy(), rel)?);
    }
    if !stored.is_empty() {
        frames.push(lake::scan_parquet(&stored, true)?);
    }
    if frames.is_empty() {
        return Ok(None);
    }
    // One column order for stored and computed parts.
    let names: Vec<Expr> = match file {
        MAPPING_STEM => MAPPING_COLUMNS.iter().map(|c| col(*c)).collect(),
        DETECT_STEM => crate::detect::history::COLUMNS.iter().map(|c| col(*c)).collect(),
        _ => FACT_STRING_COLUMNS.iter().chain(FACT_NUMBER_COLUMNS).map(|c| col(*c)).collect(),
    };
    let order: Vec<Expr> = names.into_iter().chain(lake::PARTITION_COLUMNS.iter().map(|c| col(*c))).collect();
    let frames: Vec<LazyFrame> = frames.into_iter().map(|f| f.select(order.clone())).collect();
    Ok(Some(concat(frames, UnionArgs::default())?))
}

/// Every usage fact of the window, with the partition columns `account`, `region`, `event_date`.
pub fn scan_facts(lake_dir: &Path, window: &super::Window) -> Result<Option<LazyFrame>> {
    scan_usage(lake_dir, window, FACTS_STEM)
}

/// The mapping report rows (event source, name, status, events) of the window's partitions.
pub fn scan_mapping_counts(lake_dir: &Path, window: &super::Window) -> Result<Option<LazyFrame>> {
    scan_usage(lake_dir, window, MAPPING_STEM)
}

/// The detection state (`detect::history` tallies) of the window's partitions, with the
/// partition columns.
pub fn scan_detect_state(lake_dir: &Path, window: &super::Window) -> Result<Option<LazyFrame>> {
    scan_usage(lake_dir, window, DETECT_STEM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_tags_name_the_version_the_data_and_the_files() {
        let files = vec![("part-b.parquet".to_owned(), 20), ("part-a.parquet".to_owned(), 10)];
        let tag = state_tag(&files);
        let (code, rest) = tag.split_once('-').unwrap();
        assert_eq!(code, code_tag(STATE_VERSION));
        assert!(code.len() == 12 && rest.len() == 32 && tag.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        // The files part is what other tools recompute: MD5 of `name\x1fsize` lines by name.
        assert_eq!(rest, lake::store::digest(["part-a.parquet\u{1f}10", "part-b.parquet\u{1f}20"]));
        // Another version, or other files, is another tag; the order of the listing is not.
        assert_ne!(code_tag(STATE_VERSION + 1), code);
        assert_ne!(state_tag(&files[..1]), tag);
        assert_eq!(state_tag(&[files[1].clone(), files[0].clone()]), tag);
        assert_eq!(state_file(FACTS_STEM, &tag), format!("facts-{tag}.parquet"));
    }
}
