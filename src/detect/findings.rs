//! Findings: the output of every detector, their stable ids and the catalogue entry describing a
//! detector.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{Map, Value};

use super::event::{iso_time, Event};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// One step lower (failed attempts).
    pub fn lower(self) -> Severity {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            _ => Severity::Low,
        }
    }

    /// One step higher (aggravating circumstances).
    pub fn higher(self) -> Severity {
        match self {
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            _ => Severity::Critical,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One incident: serialises to exactly the JSON shape of the `detect` contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable: FNV-1a 64 of detector, principal and first event id, 16 hex digits.
    pub id: String,
    pub detector: String,
    pub severity: Severity,
    pub mitre: String,
    pub principal: Option<String>,
    pub actor: Option<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub summary: String,
    pub event_ids: Vec<String>,
    /// A JSON object with sorted keys.
    pub evidence: Value,
    /// The incident the finding belongs to ([`super::incidents::group`] sets it).
    pub incident_id: Option<String>,
}

/// The catalogue entry of a detector (for docs and `detect --list`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DetectorInfo {
    pub id: &'static str,
    pub family: &'static str,
    pub severity: Severity,
    pub mitre: &'static str,
    pub description: &'static str,
}

/// 64-bit FNV-1a: tiny, dependency-free and stable across platforms and releases (unlike std's
/// `DefaultHasher`), which is what a finding id needs.
pub(crate) fn fnv1a(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0u8)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

pub fn stable_id(detector: &str, principal: Option<&str>, first_event_id: &str) -> String {
    format!("{:016x}", fnv1a(&[detector, principal.unwrap_or(""), first_event_id]))
}

/// Builds a finding from the indices (into the event slice) of the events behind it.
pub struct FindingDraft<'a> {
    pub info: &'a DetectorInfo,
    pub severity: Severity,
    pub principal: Option<String>,
    pub actor: Option<String>,
    pub summary: String,
    pub evidence: Map<String, Value>,
}

impl FindingDraft<'_> {
    /// `indices` need not be sorted or unique. Panics never: an empty list gives no finding.
    pub fn build(self, events: &[Event], indices: &[usize]) -> Option<Finding> {
        let mut idx: Vec<usize> = indices.to_vec();
        idx.sort_unstable();
        idx.dedup();
        let first = *idx.first()?;
        let last = *idx.last()?;
        let event_ids: Vec<String> = idx.iter().map(|&i| events[i].event_id.clone()).collect();
        let actor = self.actor.or_else(|| distinct_actor(events, &idx));
        Some(Finding {
            id: stable_id(self.info.id, self.principal.as_deref(), &events[first].event_id),
            detector: self.info.id.to_string(),
            severity: self.severity,
            mitre: self.info.mitre.to_string(),
            principal: self.principal,
            actor,
            first_seen: iso_time(events[first].time_ms),
            last_seen: iso_time(events[last].time_ms),
            summary: self.summary,
            event_ids,
            evidence: sorted_object(self.evidence),
            incident_id: None,
        })
    }
}

/// The evidence object with its keys in sorted order, whatever map serde_json is built with
/// (its `preserve_order` feature, which other crates may switch on, keeps insertion order).
fn sorted_object(map: Map<String, Value>) -> Value {
    let sorted: std::collections::BTreeMap<String, Value> = map.into_iter().collect();
    Value::Object(sorted.into_iter().collect())
}

/// The actor of a group of events: the single actor, or all of them joined when they differ.
fn distinct_actor(events: &[Event], idx: &[usize]) -> Option<String> {
    let actors: BTreeSet<String> = idx.iter().filter_map(|&i| events[i].actor()).collect();
    if actors.is_empty() {
        None
    } else {
        Some(actors.into_iter().collect::<Vec<_>>().join(","))
    }
}

/// Sorted, de-duplicated strings as a JSON array (evidence lists).
pub fn json_set<I, S>(values: I) -> Value
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let set: BTreeSet<String> = values.into_iter().map(Into::into).collect();
    Value::Array(set.into_iter().map(Value::String).collect())
}

/// Evidence common to every finding: the event names, regions, source IPs and user agents seen.
pub fn common_evidence(events: &[Event], idx: &[usize]) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("event_names".into(), json_set(idx.iter().map(|&i| events[i].event_name.as_str())));
    m.insert("regions".into(), json_set(idx.iter().map(|&i| events[i].aws_region.as_str())));
    m.insert("source_ips".into(), json_set(idx.iter().filter_map(|&i| events[i].source_ip.as_deref())));
    m.insert("user_agents".into(), json_set(idx.iter().filter_map(|&i| events[i].user_agent.as_deref())));
    m.insert("event_count".into(), Value::from(idx.len()));
    let errors: BTreeSet<&str> = idx.iter().filter_map(|&i| events[i].error_code.as_deref()).collect();
    if !errors.is_empty() {
        m.insert("error_codes".into(), json_set(errors));
    }
    m
}
