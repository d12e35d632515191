//! One pass over the events that every detector then shares: interned principals, event
//! sources, names, regions and user-agent families, the source network, and per-event flags.
//! Detectors loop over these compact arrays instead of re-reading the events' strings (which,
//! once the events are sorted by time, sit all over the heap).

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::behaviour;
use super::event::{base_event_name, is_non_public, network_id, parse_ip, user_agent_family, Event, FastMap};
use super::history::Prior;
use super::rules::RuleEnv;
use super::DetectOptions;

pub const NO_PRINCIPAL: u32 = u32::MAX;
pub const NONE: u32 = u32::MAX;

/// Per-event flags.
pub mod flag {
    /// A principal's own call (not an AWS service acting for it, not a service event).
    pub const OWN_CALL: u16 = 1;
    pub const ERROR: u16 = 1 << 1;
    /// AccessDenied-like error code.
    pub const DENIED: u16 = 1 << 2;
    /// `readOnly` is false.
    pub const WRITE: u16 = 1 << 3;
    /// List* / Describe* / Get*.
    pub const RECON: u16 = 1 << 4;
    /// Source network novelty applies (not Lambda / ECS / EC2 instance workloads).
    pub const NET_NOVELTY: u16 = 1 << 5;
    /// An EC2 instance-profile session calling on its own (no service, agent channel or VPC
    /// endpoint in between).
    pub const EC2_OWN: u16 = 1 << 6;
}

/// Where a call came from: [`origin::NONE`] (no IP: AWS service names, missing),
/// [`origin::INTERNAL`] (private or configured internal), otherwise the network id.
pub mod origin {
    pub const NONE: u128 = 0;
    pub const INTERNAL: u128 = 1;
}

/// The compact view of one event.
#[derive(Debug, Clone, Copy)]
pub struct Feat {
    pub pid: u32,
    pub source: u32,
    /// Event name without API-version suffix.
    pub name: u32,
    pub region: u32,
    /// User-agent family, or [`NONE`].
    pub family: u32,
    pub origin: u128,
    pub flags: u16,
}

impl Feat {
    pub fn has(&self, f: u16) -> bool {
        self.flags & f != 0
    }
    /// (source, name) as one key.
    pub fn action_key(&self) -> u64 {
        (u64::from(self.source) << 32) | u64::from(self.name)
    }
}

/// Interns borrowed strings into dense ids.
#[derive(Default)]
pub struct Interner<'a> {
    ids: FastMap<&'a str, u32>,
    pub values: Vec<&'a str>,
}

impl<'a> Interner<'a> {
    pub fn id(&mut self, s: &'a str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.values.len() as u32;
        self.values.push(s);
        self.ids.insert(s, id);
        id
    }
    pub fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }
}

/// What every detector shares: the events, their compact features, the baseline split.
pub struct Prepared<'a> {
    pub events: &'a [Event],
    pub opts: &'a DetectOptions,
    pub principals: Vec<String>,
    /// Principal id per event ([`NO_PRINCIPAL`] when none).
    pub principal_of: Vec<u32>,
    pub feat: Vec<Feat>,
    pub sources: Interner<'a>,
    pub names: Interner<'a>,
    pub regions: Interner<'a>,
    pub families: Interner<'a>,
    pub baseline_end_ms: i64,
    /// Index of the first event at or after the baseline end.
    pub split: usize,
    /// Which days the baseline covers and whether it is too short to trust.
    pub baseline: Baseline,
    pub rule_env: RuleEnv,
    /// The window's baseline from the lake's detection state, when the events are only the
    /// candidates that can make or explain a finding (see [`super::history`]); `None`: the
    /// events are the whole window and the baseline is learnt from them.
    pub prior: Option<&'a Prior>,
}

/// The baseline period actually used: reported with the findings (`detect --format json` gives
/// it as `baseline`) so that a reader knows what "new" and "routine" were judged against.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Baseline {
    /// First day of the baseline (YYYY-MM-DD, UTC); absent when there are no events.
    pub from: Option<String>,
    /// First day after the baseline (YYYY-MM-DD, exclusive).
    pub to: Option<String>,
    /// Whole or partial days between `from` and `to`.
    pub days: i64,
    /// Events in the baseline.
    pub events: usize,
    /// `density` (chosen from where the events are) or `explicit` (`--baseline-until`).
    pub chosen: &'static str,
    /// Shorter than [`super::DetectOptions::min_baseline_days`] or empty. A short density
    /// baseline is not trusted to excuse anything: bursts and routine-prone rules are then judged
    /// over the whole window.
    pub short: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

pub const DAY_MS: i64 = 86_400_000;

/// Where the events really are: the days between the 0.5 % and 99.5 % quantiles of event times,
/// so that a handful of stragglers (one late delivery dated weeks later, a stray old record)
/// cannot stretch the window. `days`: events per day number (every event counted once). Returns
/// (first day, last day) as day numbers.
fn dense_days(days: &BTreeMap<i64, usize>) -> Option<(i64, i64)> {
    let n: usize = days.values().sum();
    if n == 0 {
        return None;
    }
    let lo = (n as f64 * 0.005) as usize;
    let hi = ((n as f64 * 0.995) as usize).clamp(lo, n - 1);
    // The day of the k-th event (0-based) in time order.
    let day_at = |k: usize| {
        let mut seen = 0;
        days.iter().find(|(_, &c)| {
            seen += c;
            seen > k
        })
    };
    Some((*day_at(lo)?.0, *day_at(hi)?.0))
}

/// Events per UTC day number.
pub fn day_counts(events: &[Event]) -> BTreeMap<i64, usize> {
    let mut days = BTreeMap::new();
    for e in events {
        *days.entry(e.time_ms.div_euclid(DAY_MS)).or_insert(0) += 1;
    }
    days
}

/// The baseline end (epoch ms, exclusive) and its description. Density baselines end on a day
/// boundary: the first `baseline_fraction` of the dense days. `days`: events per day number;
/// `split_at(end)`: how many events are before `end`.
pub fn choose_baseline(
    days: &BTreeMap<i64, usize>,
    opts: &DetectOptions,
    split_at: impl Fn(i64) -> usize,
) -> (i64, Baseline) {
    let dense = dense_days(days);
    let (end, chosen, start_day) = match (opts.baseline_end_ms, dense) {
        (Some(end), d) => (end, "explicit", d.map(|(first, _)| first)),
        (None, Some((first, last))) => {
            let span = last - first + 1;
            let days = ((span as f64) * opts.baseline_fraction).floor().max(1.0) as i64;
            ((first + days.min(span)) * DAY_MS, "density", Some(first))
        }
        (None, None) => (0, "density", None),
    };
    let split = split_at(end);
    let from_ms = start_day.map(|d| d * DAY_MS);
    let days = from_ms.map_or(0, |f| ((end - f).max(0) + DAY_MS - 1) / DAY_MS);
    let date = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).map(|t| t.format("%Y-%m-%d").to_string());
    let short = days < opts.min_baseline_days || split == 0;
    let warning = short.then(|| {
        let what = if split == 0 { "holds no events".to_string() } else { format!("covers only {days} day(s)") };
        let consequence = if chosen == "density" {
            "bursts and routine-prone rules are judged over the whole window"
        } else {
            "novelty and routine findings may be missed or noisy"
        };
        format!(
            "baseline {what} (< {} days): {consequence}; give a longer window or --baseline-until",
            opts.min_baseline_days
        )
    });
    let baseline = Baseline {
        from: from_ms.and_then(date),
        to: if from_ms.is_some() { date(end) } else { None },
        days,
        events: split,
        chosen,
        short,
        warning,
    };
    (end, baseline)
}

/// The features of one contiguous chunk of events, with chunk-local ids.
struct Chunk<'a> {
    principals: Vec<Cow<'a, str>>,
    feat: Vec<Feat>,
    sources: Interner<'a>,
    names: Interner<'a>,
    regions: Interner<'a>,
    families: Interner<'a>,
}

fn chunk_features<'a>(events: &'a [Event], opts: &DetectOptions) -> Chunk<'a> {
    let mut ids: FastMap<Cow<'a, str>, u32> = FastMap::default();
    let mut principals: Vec<Cow<'a, str>> = Vec::new();
    let mut feat = Vec::with_capacity(events.len());
    let (mut sources, mut names, mut regions, mut families) =
        (Interner::default(), Interner::default(), Interner::default(), Interner::default());
    for e in events {
        let pid = match principal_key(e) {
            Some(p) => match ids.get(p.as_ref()) {
                Some(&id) => id,
                None => {
                    let id = principals.len() as u32;
                    principals.push(p.clone());
                    ids.insert(p, id);
                    id
                }
            },
            None => NO_PRINCIPAL,
        };
        let mut flags = 0;
        for (f, on) in [
            (flag::OWN_CALL, behaviour::is_own_call(e)),
            (flag::ERROR, e.is_error()),
            (flag::DENIED, behaviour::is_denied(e)),
            (flag::WRITE, e.read_only == Some(false)),
            (flag::RECON, behaviour::is_recon_call(e)),
            (flag::NET_NOVELTY, behaviour::network_novelty_applies(e)),
            (flag::EC2_OWN, behaviour::is_ec2_own_call(e)),
        ] {
            if on {
                flags |= f;
            }
        }
        // Calls through a VPC endpoint come from inside whatever address they show.
        let origin = match e.source_ip.as_deref().and_then(parse_ip) {
            _ if e.vpc_endpoint_id.is_some() => origin::INTERNAL,
            None => origin::NONE,
            Some(ip) if is_non_public(ip) || opts.internal_cidrs.iter().any(|n| n.contains(&ip)) => origin::INTERNAL,
            Some(ip) => network_id(ip),
        };
        feat.push(Feat {
            pid,
            source: sources.id(&e.event_source),
            name: names.id(base_event_name(&e.event_name)),
            region: regions.id(&e.aws_region),
            family: e.user_agent.as_deref().map_or(NONE, |ua| families.id(user_agent_family(ua))),
            origin,
            flags,
        });
    }
    Chunk { principals, feat, sources, names, regions, families }
}

/// Chunk-local id -> global id.
fn remap<'a>(global: &mut Interner<'a>, local: &Interner<'a>) -> Vec<u32> {
    local.values.iter().map(|v| global.id(v)).collect()
}

impl<'a> Prepared<'a> {
    /// Computes the features in parallel chunks (scoped threads), then merges the chunk-local
    /// ids into global ones.
    pub fn new(events: &'a [Event], opts: &'a DetectOptions) -> Self {
        Self::with_prior(events, opts, None)
    }

    /// [`Prepared::new`] over candidate events, judged against a baseline from the lake's state.
    pub fn with_prior(events: &'a [Event], opts: &'a DetectOptions, prior: Option<&'a Prior>) -> Self {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
        let chunk_len = events.len().div_ceil(threads).max(50_000);
        let (chunks, mut rule_env) = std::thread::scope(|scope| {
            let env = scope.spawn(|| RuleEnv::from_events(events, &opts.trusted_accounts));
            let handles: Vec<_> =
                events.chunks(chunk_len).map(|part| scope.spawn(move || chunk_features(part, opts))).collect();
            let chunks: Vec<Chunk> =
                handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect();
            (chunks, env.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        });
        let mut principal_ids: FastMap<String, u32> = FastMap::default();
        let mut principals: Vec<String> = Vec::new();
        let (mut sources, mut names, mut regions, mut families) =
            (Interner::default(), Interner::default(), Interner::default(), Interner::default());
        let mut feat = Vec::with_capacity(events.len());
        for chunk in chunks {
            let pmap: Vec<u32> = chunk
                .principals
                .iter()
                .map(|p| match principal_ids.get(p.as_ref()) {
                    Some(&id) => id,
                    None => {
                        let id = principals.len() as u32;
                        principals.push(p.to_string());
                        principal_ids.insert(p.to_string(), id);
                        id
                    }
                })
                .collect();
            let (smap, nmap, rmap, fmap) = (
                remap(&mut sources, &chunk.sources),
                remap(&mut names, &chunk.names),
                remap(&mut regions, &chunk.regions),
                remap(&mut families, &chunk.families),
            );
            feat.extend(chunk.feat.into_iter().map(|f| Feat {
                pid: if f.pid == NO_PRINCIPAL { NO_PRINCIPAL } else { pmap[f.pid as usize] },
                source: smap[f.source as usize],
                name: nmap[f.name as usize],
                region: rmap[f.region as usize],
                family: if f.family == NONE { NONE } else { fmap[f.family as usize] },
                ..f
            }));
        }
        let principal_of = feat.iter().map(|f| f.pid).collect();
        let (baseline_end_ms, baseline) = match prior {
            Some(p) => {
                // Accounts of events that are not candidates are still "ours".
                rule_env.known_accounts.extend(p.accounts.iter().cloned());
                (p.end_ms, p.baseline.clone())
            }
            None => choose_baseline(&day_counts(events), opts, |end| events.partition_point(|e| e.time_ms < end)),
        };
        let split = events.partition_point(|e| e.time_ms < baseline_end_ms);
        Prepared {
            events,
            opts,
            principals,
            principal_of,
            feat,
            sources,
            names,
            regions,
            families,
            baseline_end_ms,
            split,
            baseline,
            rule_env,
            prior,
        }
    }

    /// Whether the baseline may excuse activity (routine-prone rules, raised burst bars): not
    /// when it was chosen automatically and is too short to know what routine is.
    pub fn baseline_trusted(&self) -> bool {
        !(self.baseline.short && self.baseline.chosen == "density")
    }

    /// The first event that bursts and routine-prone rules judge: after the baseline when it is
    /// trusted, otherwise the whole window.
    pub fn judge_from(&self) -> usize {
        if self.baseline_trusted() {
            self.split
        } else {
            0
        }
    }

    pub fn principal(&self, pid: u32) -> Option<&str> {
        self.principals.get(pid as usize).map(String::as_str)
    }
}

/// [`Event::principal`] without allocating for the common identity types.
fn principal_key(e: &Event) -> Option<Cow<'_, str>> {
    match (e.identity_type.as_deref(), &e.identity_arn, &e.session_issuer_arn) {
        (Some("IAMUser"), Some(arn), _) => Some(Cow::Borrowed(arn.as_str())),
        (Some("AssumedRole"), _, Some(issuer)) => Some(Cow::Borrowed(issuer.as_str())),
        _ => e.principal().map(Cow::Owned),
    }
}
