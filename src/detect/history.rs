//! Detection state: what the baseline and the burst detectors need from a partition's events,
//! as tallies computed once per lake partition (stored beside the usage facts, see
//! `usage::facts`), so that `detect` holds only the events that can make or explain a finding.
//!
//! A partition's tallies (`what`, `principal`, `value`, `t`, `n`):
//! - `events` per day (`t`: UTC day number) and `region` per region and day: every event;
//! - `own`, `own-region`, `own-network` (public network id), `own-family` (user-agent family),
//!   `own-action` (event source and name, `\u{1f}`-joined) per principal and day: its own calls,
//!   which is what novelty learns from;
//! - `recipient` and `target` per account: the accounts that are "ours" and the lake's main one;
//! - `ec2-first` per EC2 instance session: its first call with an address (the session's home);
//! - per burst detector (its id) per principal and minute (`t`): the items the detector counts.
//!
//! From the tallies of a window, [`Prior`] is the baseline (chosen exactly as from the events:
//! the baseline ends on a day boundary) and [`Candidates`] keeps, partition by partition, the
//! events some detector can report or cite: calls a rule looks at, console sign-ins, STS and
//! CloudTrail calls, EC2 instance sessions' calls from public networks, into other accounts or
//! first of their session, burst items near a minute where enough items were counted to make a
//! burst, and after the baseline the own calls with a value their principal's baseline lacks.
//! Detection over the candidates with the prior gives the findings of the whole window.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use anyhow::Result;
use polars::prelude::*;

use super::behaviour;
use super::event::{arn_account, day_of, Event, FastMap};
use super::prepared::{self, flag, origin, Baseline, Interner, Prepared, DAY_MS, NONE, NO_PRINCIPAL};
use super::{rules, DetectOptions};

const MINUTE_MS: i64 = 60_000;

const EVENTS: &str = "events";
const REGION: &str = "region";
const OWN: &str = "own";
const OWN_REGION: &str = "own-region";
const OWN_NETWORK: &str = "own-network";
const OWN_FAMILY: &str = "own-family";
const OWN_ACTION: &str = "own-action";
const RECIPIENT: &str = "recipient";
const TARGET: &str = "target";
/// Per EC2 instance session (principal: its role, value: session and event id joined, t: time)
/// its first call with an address: where the session calls from first is its home.
const EC2_FIRST: &str = "ec2-first";
/// Joins an action's event source and name in `own-action` values.
const SEP: char = '\u{1f}';

/// The columns of a tallies frame, in order.
pub const COLUMNS: &[&str] = &["what", "principal", "value", "t", "n"];

/// The schema of a tallies frame (an empty window has no tallies).
pub fn schema() -> Schema {
    Schema::from_iter([
        Field::new("what".into(), DataType::String),
        Field::new("principal".into(), DataType::String),
        Field::new("value".into(), DataType::String),
        Field::new("t".into(), DataType::Int64),
        Field::new("n".into(), DataType::UInt64),
    ])
}

/// The tallies of some events (one partition's): see the module documentation.
pub fn tallies(events: &[Event], opts: &DetectOptions) -> Result<DataFrame> {
    let prep = Prepared::new(events, opts);
    let mut accounts = Interner::default();
    // (role, session) -> (time, event id) of the session's first call with an address.
    let mut ec2_first: BTreeMap<(&str, &str), (i64, &str)> = BTreeMap::new();
    // (what, principal id, value, t) -> n; the value is an id whose meaning depends on `what`.
    let mut counts: FastMap<(&'static str, u32, u128, i64), u64> = FastMap::default();
    let mut bump = |what: &'static str, pid: u32, value: u128, t: i64| {
        *counts.entry((what, pid, value, t)).or_insert(0) += 1;
    };
    for (i, f) in prep.feat.iter().enumerate() {
        let e = &events[i];
        let day = day_of(e.time_ms);
        bump(EVENTS, NO_PRINCIPAL, 0, day);
        bump(REGION, NO_PRINCIPAL, u128::from(f.region), day);
        if let Some(a) = e.recipient_account_id.as_deref() {
            bump(RECIPIENT, NO_PRINCIPAL, u128::from(accounts.id(a)), 0);
        }
        if let Some(a) = e.target_account() {
            bump(TARGET, NO_PRINCIPAL, u128::from(accounts.id(a)), 0);
        }
        if f.has(flag::EC2_OWN) && f.origin != origin::NONE {
            let first = ec2_first
                .entry((instance_role(e), e.session_name.as_deref().unwrap_or("")))
                .or_insert((e.time_ms, e.event_id.as_str()));
            *first = (*first).min((e.time_ms, e.event_id.as_str()));
        }
        if f.pid == NO_PRINCIPAL || !f.has(flag::OWN_CALL) {
            continue;
        }
        bump(OWN, f.pid, 0, day);
        bump(OWN_REGION, f.pid, u128::from(f.region), day);
        if f.origin > origin::INTERNAL {
            bump(OWN_NETWORK, f.pid, f.origin, day);
        }
        if f.family != NONE {
            bump(OWN_FAMILY, f.pid, u128::from(f.family), day);
        }
        bump(OWN_ACTION, f.pid, u128::from(f.action_key()), day);
    }
    for (detector, _, _, per_principal) in behaviour::burst_observations(&prep) {
        for (pid, items) in per_principal.iter().enumerate() {
            for &(t, _) in items {
                bump(detector, pid as u32, 0, t.div_euclid(MINUTE_MS));
            }
        }
    }
    let value_of = |what: &str, v: u128| -> String {
        let id = v as usize;
        match what {
            REGION | OWN_REGION => prep.regions.values[id].to_owned(),
            RECIPIENT | TARGET => accounts.values[id].to_owned(),
            OWN_NETWORK => v.to_string(),
            OWN_FAMILY => prep.families.values[id].to_owned(),
            OWN_ACTION => {
                let (source, name) = ((v >> 32) as usize, (v & 0xffff_ffff) as usize);
                format!("{}{SEP}{}", prep.sources.values[source], prep.names.values[name])
            }
            _ => String::new(),
        }
    };
    let mut rows: Vec<(&str, &str, String, i64, u64)> = counts
        .iter()
        .map(|(&(what, pid, value, t), &n)| (what, prep.principal(pid).unwrap_or(""), value_of(what, value), t, n))
        .collect();
    rows.extend(
        ec2_first.into_iter().map(|((role, session), (t, id))| (EC2_FIRST, role, format!("{session}{SEP}{id}"), t, 1)),
    );
    rows.sort_unstable();
    Ok(DataFrame::new(
        rows.len(),
        vec![
            Column::new("what".into(), rows.iter().map(|r| r.0).collect::<Vec<_>>()),
            Column::new("principal".into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
            Column::new("value".into(), rows.iter().map(|r| r.2.as_str()).collect::<Vec<_>>()),
            Column::new("t".into(), rows.iter().map(|r| r.3).collect::<Vec<_>>()),
            Column::new("n".into(), rows.iter().map(|r| r.4).collect::<Vec<_>>()),
        ],
    )?)
}

/// What one principal did in the baseline (its own calls).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriorSeen {
    pub events: usize,
    pub regions: BTreeSet<String>,
    /// Public network ids (see [`super::event::network_id`]).
    pub networks: BTreeSet<u128>,
    pub families: BTreeSet<String>,
    /// (event source, event name without API version).
    pub actions: BTreeSet<(String, String)>,
}

/// A window's baseline and account facts, from tallies.
#[derive(Debug, Clone, PartialEq)]
pub struct Prior {
    /// End of the baseline (epoch ms, exclusive; a day boundary).
    pub end_ms: i64,
    pub baseline: Baseline,
    /// Per principal ARN.
    pub seen: BTreeMap<String, PriorSeen>,
    /// Regions any event of the baseline was in.
    pub account_regions: BTreeSet<String>,
    /// Every recipient account of the window.
    pub accounts: BTreeSet<String>,
    /// The account most events of the window were delivered to.
    pub main_account: Option<String>,
    /// Per (burst detector, principal): inclusive minute ranges whose items can be part of a
    /// burst (or decide where one starts), see [`hot_minutes`].
    pub hot: BTreeMap<(String, String), Vec<(i64, i64)>>,
    /// Event ids of every EC2 instance session's first call with an address.
    pub ec2_first: HashSet<String>,
}

/// The role of an EC2 instance session, as the instance-credentials detector names it.
fn instance_role(e: &Event) -> &str {
    e.session_issuer_arn.as_deref().or(e.identity_arn.as_deref()).unwrap_or("")
}

/// One tallies row, borrowed.
struct Row<'a> {
    what: &'a str,
    principal: &'a str,
    value: &'a str,
    t: i64,
    n: u64,
}

fn rows(df: &DataFrame) -> Result<Vec<Row<'_>>> {
    let s = |c: &str| -> Result<&StringChunked> { Ok(df.column(c)?.str()?) };
    let (what, principal, value) = (s("what")?, s("principal")?, s("value")?);
    let (t, n) = (df.column("t")?.i64()?, df.column("n")?.u64()?);
    Ok((0..df.height())
        .map(|i| Row {
            what: what.get(i).unwrap_or(""),
            principal: principal.get(i).unwrap_or(""),
            value: value.get(i).unwrap_or(""),
            t: t.get(i).unwrap_or(0),
            n: n.get(i).unwrap_or(0),
        })
        .collect())
}

impl Prior {
    /// The prior of a window from its partitions' tallies (one frame, any row order).
    pub fn from_tallies(df: &DataFrame, opts: &DetectOptions) -> Result<Prior> {
        Self::from_lazy(df.clone().lazy(), opts)
    }

    /// [`Prior::from_tallies`] from a scan: the days first, then the other tallies with the
    /// per-day learning of the baseline days only and without their day (what was seen, not
    /// when), so that only what the prior keeps is collected.
    pub fn from_lazy(lf: LazyFrame, opts: &DetectOptions) -> Result<Prior> {
        let day_rows = lf.clone().filter(col("what").eq(lit(EVENTS))).collect()?;
        let mut days: BTreeMap<i64, usize> = BTreeMap::new();
        for r in rows(&day_rows)? {
            *days.entry(r.t).or_insert(0) += r.n as usize;
        }
        // The baseline ends on a day boundary (`--baseline-until` is a date).
        let (end_ms, baseline) = prepared::choose_baseline(&days, opts, |end| {
            days.range(..end.div_euclid(DAY_MS)).map(|(_, c)| c).sum::<usize>()
        });
        let per_day = Series::new("per_day".into(), [REGION, OWN, OWN_REGION, OWN_NETWORK, OWN_FAMILY, OWN_ACTION]);
        let learnt = || col("what").is_in(lit(per_day.clone()).implode(false), false);
        let df = lf
            .filter(col("what").neq(lit(EVENTS)).and(learnt().not().or(col("t").lt(lit(end_ms.div_euclid(DAY_MS))))))
            .with_column(when(learnt()).then(lit(i64::MIN)).otherwise(col("t")).alias("t"))
            .group_by([col("what"), col("principal"), col("value"), col("t")])
            .agg([col("n").sum()])
            .collect()?;
        let rows = rows(&df)?;
        let mut seen: BTreeMap<String, PriorSeen> = BTreeMap::new();
        let mut account_regions = BTreeSet::new();
        let mut accounts = BTreeSet::new();
        let mut targets: BTreeMap<&str, u64> = BTreeMap::new();
        let mut minutes: BTreeMap<(&str, &str), BTreeMap<i64, u64>> = BTreeMap::new();
        let mut ec2_first: BTreeMap<(&str, &str), (i64, &str)> = BTreeMap::new();
        for r in &rows {
            match r.what {
                EVENTS => {}
                EC2_FIRST => {
                    let (session, id) = r.value.split_once(SEP).unwrap_or((r.value, ""));
                    let first = ec2_first.entry((r.principal, session)).or_insert((r.t, id));
                    *first = (*first).min((r.t, id));
                }
                // Per-day learning rows are of the baseline only (filtered above).
                REGION => {
                    account_regions.insert(r.value.to_owned());
                }
                RECIPIENT => {
                    accounts.insert(r.value.to_owned());
                }
                TARGET => *targets.entry(r.value).or_insert(0) += r.n,
                OWN | OWN_REGION | OWN_NETWORK | OWN_FAMILY | OWN_ACTION => {
                    let s = seen.entry(r.principal.to_owned()).or_default();
                    match r.what {
                        OWN => s.events += r.n as usize,
                        OWN_REGION => {
                            s.regions.insert(r.value.to_owned());
                        }
                        OWN_NETWORK => {
                            s.networks.extend(r.value.parse::<u128>().ok());
                        }
                        OWN_FAMILY => {
                            s.families.insert(r.value.to_owned());
                        }
                        _ => {
                            if let Some((src, name)) = r.value.split_once(SEP) {
                                s.actions.insert((src.to_owned(), name.to_owned()));
                            }
                        }
                    }
                }
                detector => *minutes.entry((detector, r.principal)).or_default().entry(r.t).or_insert(0) += r.n,
            }
        }
        let bursts: BTreeMap<&str, (i64, usize)> =
            behaviour::burst_thresholds(opts).into_iter().map(|(id, w, c)| (id, (w, c))).collect();
        let mut hot = BTreeMap::new();
        for ((detector, principal), counts) in minutes {
            let Some(&(window_ms, min_count)) = bursts.get(detector) else { continue };
            let ranges = hot_minutes(&counts, window_ms, min_count);
            if !ranges.is_empty() {
                hot.insert((detector.to_owned(), principal.to_owned()), ranges);
            }
        }
        // Same tie-break as over the events: most events, then the smallest account id.
        let main_account =
            targets.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0))).map(|(a, _)| a.to_owned());
        let ec2_first = ec2_first.into_values().map(|(_, id)| id.to_owned()).collect();
        Ok(Prior { end_ms, baseline, seen, account_regions, accounts, main_account, hot, ec2_first })
    }
}

/// The minutes whose items a burst search needs, from items per minute: a window of
/// `window_ms` with at least `min_count` items lies within `W + 1` minutes (W = whole minutes of
/// the window, plus one for the window's alignment), so every minute `a` whose next `W + 1`
/// minutes hold `min_count` items is hot, with the `W + 1` minutes before it (an incident
/// absorbs items up to a window before a burst). Each run of hot minutes also takes the last
/// minute with items before it: the item just before a burst decides whether the burst continues
/// the previous one. Inclusive ranges, sorted.
pub fn hot_minutes(counts: &BTreeMap<i64, u64>, window_ms: i64, min_count: usize) -> Vec<(i64, i64)> {
    let w = window_ms.max(0) / MINUTE_MS + 1;
    let min = min_count.max(1) as u64;
    let mut ranges: Vec<(i64, i64)> = Vec::new();
    for &a in counts.keys() {
        let sum: u64 = counts.range(a..=a + w).map(|(_, n)| n).sum();
        if sum < min {
            continue;
        }
        let (from, to) = (a - w - 1, a + w);
        match ranges.last_mut() {
            Some(last) if from <= last.1 + 1 => last.1 = last.1.max(to),
            _ => ranges.push((from, to)),
        }
    }
    for r in ranges.iter_mut() {
        if let Some((&before, _)) = counts.range(..r.0).next_back() {
            r.0 = before;
        }
    }
    // Extending the starts may make ranges touch: merge again.
    let mut merged: Vec<(i64, i64)> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.0 <= last.1 + 1 => last.1 = last.1.max(r.1),
            _ => merged.push(r),
        }
    }
    merged
}

fn in_ranges(ranges: &[(i64, i64)], minute: i64) -> bool {
    let k = ranges.partition_point(|r| r.1 < minute);
    ranges.get(k).is_some_and(|r| r.0 <= minute)
}

/// Picks the candidate events of a window, partition by partition.
pub struct Candidates<'a> {
    pub prior: &'a Prior,
    pub opts: &'a DetectOptions,
    /// Principals with granted high-risk permissions (first use is judged for them even with a
    /// thin baseline).
    pub granted: &'a BTreeMap<String, BTreeSet<String>>,
    /// Events kept whatever they are (Sigma matches).
    pub keep_ids: &'a HashSet<String>,
}

impl Candidates<'_> {
    /// An EC2 instance session's call that the instance-credentials detector can judge or learn
    /// from: calls from public networks (agents' or not), into an account other than the role's,
    /// and each session's first call with an address (its home). Its other calls (the instance's
    /// routine, from inside) change nothing.
    fn instance_candidate(&self, e: &Event, f: &prepared::Feat) -> bool {
        if !behaviour::is_instance_session(e) {
            return false;
        }
        let other_account = match (e.recipient_account_id.as_deref(), arn_account(instance_role(e))) {
            (Some(t), Some(own)) => t != own,
            _ => false,
        };
        f.origin > origin::INTERNAL
            || (f.has(flag::EC2_OWN)
                && f.origin != origin::NONE
                && (other_account || self.prior.ec2_first.contains(&e.event_id)))
    }

    /// The events of `events` (one partition's) that detection over the window can report or
    /// cite, in their order.
    pub fn keep(&self, events: Vec<Event>) -> Vec<Event> {
        let mut keep = vec![false; events.len()];
        {
            let prep = Prepared::new(&events, self.opts);
            for (i, e) in events.iter().enumerate() {
                keep[i] = self.keep_ids.contains(&e.event_id)
                    || e.event_name == "ConsoleLogin"
                    || e.event_source == "sts.amazonaws.com"
                    || e.event_source == "cloudtrail.amazonaws.com"
                    || self.instance_candidate(e, &prep.feat[i])
                    || rules::could_match(e);
            }
            for (detector, _, _, per_principal) in behaviour::burst_observations(&prep) {
                for (pid, items) in per_principal.iter().enumerate() {
                    let principal = prep.principal(pid as u32).unwrap_or("");
                    let Some(ranges) = self.prior.hot.get(&(detector.to_owned(), principal.to_owned())) else {
                        continue;
                    };
                    for &(t, ev) in items {
                        if in_ranges(ranges, t.div_euclid(MINUTE_MS)) {
                            keep[ev] = true;
                        }
                    }
                }
            }
            let no_seen = PriorSeen::default();
            for (i, f) in prep.feat.iter().enumerate() {
                if keep[i] || f.pid == NO_PRINCIPAL || !f.has(flag::OWN_CALL) || events[i].time_ms < self.prior.end_ms {
                    continue;
                }
                let principal = prep.principal(f.pid).unwrap_or("");
                let seen = self.prior.seen.get(principal).unwrap_or(&no_seen);
                let region = prep.regions.values[f.region as usize];
                let (source, name) = (prep.sources.values[f.source as usize], prep.names.values[f.name as usize]);
                let new_action = !seen.actions.contains(&(source.to_owned(), name.to_owned()));
                keep[i] = if seen.events < self.opts.baseline_min_events {
                    !self.prior.account_regions.contains(region)
                        || (new_action && self.granted.get(principal).is_some_and(|g| !g.is_empty()))
                } else {
                    !seen.regions.contains(region)
                        || (f.has(flag::NET_NOVELTY)
                            && f.origin > origin::INTERNAL
                            && !seen.networks.contains(&f.origin))
                        || (f.family != NONE && !seen.families.contains(prep.families.values[f.family as usize]))
                        || new_action
                };
            }
        }
        events.into_iter().zip(keep).filter_map(|(e, k)| k.then_some(e)).collect()
    }
}
