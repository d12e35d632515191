//! Incident-aware trimming: the calls behind a high or critical finding are not evidence that a
//! principal needs a permission (an attacker's `cloudtrail:StopLogging` must not survive into the
//! trimmed policy of the role they used).
//!
//! The caller gives the findings, the usage facts and the facts of the findings' single events
//! (mapped like the usage facts). [`with_incident_calls`] (which reads the lake) adds to each
//! incident the other calls of its actors; [`set_aside`] (pure) takes the incident events out of
//! the facts and returns, per principal, the actions that were used only in incidents.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::usage::Fact;

/// What trimming needs of a finding (a `findings.json` entry, or a [`crate::detect::Finding`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IncidentFinding {
    pub id: String,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: String,
    #[serde(default)]
    pub detector: String,
    pub event_ids: Vec<String>,
    /// The finding's incident (findings of one actor close in time, see `detect::incidents`).
    #[serde(default)]
    pub incident_id: Option<String>,
    /// That incident's severity: a medium finding inside a critical incident is the attacker's
    /// too. Filled from the incidents of the same findings.json.
    #[serde(default)]
    pub incident_severity: Option<String>,
    /// For an incident itself (not one finding): its time span and actors, so that every call
    /// of those actors inside the span counts as the incident's (see `with_incident_calls`).
    #[serde(default)]
    pub span: Option<IncidentSpan>,
}

/// A high or critical incident's time span (RFC 3339) and actors (session or user names).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IncidentSpan {
    pub first_seen: String,
    pub last_seen: String,
    pub actors: Vec<String>,
}

fn serious(s: &str) -> bool {
    matches!(s.to_ascii_lowercase().as_str(), "high" | "critical")
}

/// What an incident entry is made from: a detector's incident or a findings.json entry.
struct IncidentParts<'a> {
    id: &'a str,
    severity: &'a str,
    first_seen: &'a str,
    last_seen: &'a str,
    actors: &'a [String],
    /// The findings the incident groups (by id).
    finding_ids: &'a [String],
}

/// The pseudo-finding of a high or critical incident: the events of its findings (by event id,
/// whatever their own severity), and, when it names actors, a span whose other calls of those
/// actors are looked up later ([`with_incident_calls`]). An incident without a resolvable actor
/// (root, a service, a bare access key) still sets its findings' events aside.
fn incident_entry(i: &IncidentParts, findings: &[IncidentFinding]) -> Option<IncidentFinding> {
    if !serious(i.severity) {
        return None;
    }
    let mut event_ids: Vec<String> = findings
        .iter()
        .filter(|f| i.finding_ids.contains(&f.id) || f.incident_id.as_deref() == Some(i.id))
        .flat_map(|f| f.event_ids.iter().cloned())
        .collect();
    event_ids.sort();
    event_ids.dedup();
    // A blank actor would match every event without a session or user name.
    let actors: Vec<String> = i.actors.iter().filter(|a| !a.trim().is_empty()).cloned().collect();
    Some(IncidentFinding {
        id: i.id.to_owned(),
        severity: i.severity.to_owned(),
        detector: "incident".into(),
        event_ids,
        incident_id: Some(i.id.to_owned()),
        incident_severity: Some(i.severity.to_owned()),
        span: (!actors.is_empty()).then(|| IncidentSpan {
            first_seen: i.first_seen.to_owned(),
            last_seen: i.last_seen.to_owned(),
            actors,
        }),
    })
}

impl From<&crate::detect::Finding> for IncidentFinding {
    fn from(f: &crate::detect::Finding) -> IncidentFinding {
        IncidentFinding {
            id: f.id.clone(),
            severity: f.severity.as_str().to_owned(),
            detector: f.detector.clone(),
            event_ids: f.event_ids.clone(),
            incident_id: f.incident_id.clone(),
            incident_severity: None,
            span: None,
        }
    }
}

/// The findings as trimming needs them, each with its incident's severity.
pub fn from_detection(
    findings: &[crate::detect::Finding],
    incidents: &[crate::detect::Incident],
) -> Vec<IncidentFinding> {
    let severity: BTreeMap<&str, &str> = incidents.iter().map(|i| (i.id.as_str(), i.severity.as_str())).collect();
    let mut out: Vec<IncidentFinding> = findings
        .iter()
        .map(|f| {
            let mut i = IncidentFinding::from(f);
            i.incident_severity = i.incident_id.as_deref().and_then(|id| severity.get(id)).map(|s| (*s).to_owned());
            i
        })
        .collect();
    let entries: Vec<IncidentFinding> = incidents
        .iter()
        .filter_map(|i| {
            let parts = IncidentParts {
                id: &i.id,
                severity: i.severity.as_str(),
                first_seen: &i.first_seen,
                last_seen: &i.last_seen,
                actors: &i.actors,
                finding_ids: &i.finding_ids,
            };
            incident_entry(&parts, &out)
        })
        .collect();
    out.extend(entries);
    out
}

impl IncidentFinding {
    /// High and critical findings, and any finding of a high or critical incident, are
    /// incidents; other findings are routine-prone signals whose calls still count as use.
    pub fn is_incident(&self) -> bool {
        serious(&self.severity) || self.incident_severity.as_deref().is_some_and(serious)
    }
}

/// The `findings` array of a findings.json (from `detect --format json` or `run`).
pub fn parse_findings(text: &str) -> Result<Vec<IncidentFinding>, String> {
    #[derive(Deserialize)]
    struct Incident {
        id: String,
        severity: String,
        #[serde(default)]
        first_seen: String,
        #[serde(default)]
        last_seen: String,
        #[serde(default)]
        actors: Vec<String>,
        #[serde(default)]
        finding_ids: Vec<String>,
    }
    #[derive(Deserialize)]
    struct Doc {
        findings: Vec<IncidentFinding>,
        #[serde(default)]
        incidents: Vec<Incident>,
    }
    let doc = serde_json::from_str::<Doc>(text).map_err(|e| e.to_string())?;
    let severity: BTreeMap<&str, &str> = doc.incidents.iter().map(|i| (i.id.as_str(), i.severity.as_str())).collect();
    let mut findings = doc.findings;
    for f in &mut findings {
        if let Some(s) = f.incident_id.as_deref().and_then(|id| severity.get(id)) {
            f.incident_severity = Some((*s).to_owned());
        }
    }
    let entries: Vec<IncidentFinding> = doc
        .incidents
        .iter()
        .filter_map(|i| {
            let parts = IncidentParts {
                id: &i.id,
                severity: &i.severity,
                first_seen: &i.first_seen,
                last_seen: &i.last_seen,
                actors: &i.actors,
                finding_ids: &i.finding_ids,
            };
            incident_entry(&parts, &findings)
        })
        .collect();
    findings.extend(entries);
    Ok(findings)
}

/// An action a principal used only in the events of incident findings, or (with `resources`)
/// an action still in use whose calls on these resources were all in such events.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct IncidentUse {
    pub action: String,
    /// Empty: the whole action. Otherwise the resources used only in incidents.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// Ids of the findings whose events hold the calls.
    pub findings: Vec<String>,
    /// Successful calls set aside.
    pub events: u64,
    /// `used only in finding <id>: not kept`, or for resources `on <resources> used only in
    /// finding <id>: not counted as use`.
    pub note: String,
}

/// The findings with each incident entry's calls added to its findings' events: every event of
/// the incident's actors (session or user names) inside its time span, cited by a finding or not
/// (an attacker's `DescribeRegions` between two findings is theirs too). Reads the lake.
pub fn with_incident_calls(
    lake: &Path,
    window: &crate::usage::Window,
    findings: &[IncidentFinding],
) -> anyhow::Result<Vec<IncidentFinding>> {
    use polars::prelude::*;
    let ms = crate::time::parse_ms;
    let mut out = findings.to_vec();
    for f in out.iter_mut() {
        let Some(span) = &f.span else { continue };
        let (Some(first), Some(last)) = (ms(&span.first_seen), ms(&span.last_seen)) else {
            eprintln!(
                "trailtrim: warning: incident {}: time span {:?} to {:?} is not RFC 3339: only the events of its findings are set aside",
                f.id, span.first_seen, span.last_seen
            );
            continue;
        };
        let actors = Series::new("actors".into(), span.actors.clone());
        let by_actor = col("session_name")
            .is_in(lit(actors.clone()).implode(false), false)
            .or(col("user_name").is_in(lit(actors).implode(false), false));
        let t = col("event_time").cast(DataType::Int64);
        let df = window
            .apply(crate::lake::scan_events(lake)?)
            .filter(t.clone().gt_eq(lit(first)).and(t.lt_eq(lit(last))).and(by_actor))
            .select([col("event_id")])
            .collect()?;
        let mut ids: BTreeSet<String> = std::mem::take(&mut f.event_ids).into_iter().collect();
        ids.extend(df.column("event_id")?.str()?.iter().flatten().map(str::to_owned));
        f.event_ids = ids.into_iter().collect();
    }
    Ok(out)
}

/// Resources a note names at most (an exfiltration touches hundreds).
const NOTE_RESOURCES: usize = 3;

/// Which of a fact's calls are incident calls: facts are per (principal, actor, action,
/// resource, via service, region).
type Key = (String, String, String, String, String, String);

fn key(f: &Fact) -> Key {
    (
        f.principal.clone(),
        f.actor.clone(),
        f.action.clone(),
        f.resource.clone(),
        f.via_service.clone(),
        f.region.clone(),
    )
}

/// Take the successful calls of incident events out of `facts`. `event_facts`: (event id, the
/// single-event fact) as [`crate::usage::facts::event_facts`] gives them. Returns the remaining
/// facts (a fact left with no call is dropped) and, per principal, the actions no remaining call
/// uses, with the findings they came from.
pub fn set_aside(
    facts: Vec<Fact>,
    event_facts: &[(String, Fact)],
    findings: &[IncidentFinding],
) -> (Vec<Fact>, BTreeMap<String, Vec<IncidentUse>>) {
    let mut by_event: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.is_incident()) {
        for e in &f.event_ids {
            by_event.entry(e.as_str()).or_default().insert(f.id.as_str());
        }
    }
    // Per fact key: the successful incident calls (time, event id, findings), each to be taken
    // once out of the fact (one per lake partition) whose time span holds it.
    type Call<'a> = (i64, &'a str, &'a BTreeSet<&'a str>);
    let mut incident: BTreeMap<Key, Vec<Call>> = BTreeMap::new();
    for (event, f) in event_facts {
        let Some(ids) = by_event.get(event.as_str()) else { continue };
        if f.count == 0 {
            continue;
        }
        incident.entry(key(f)).or_default().push((f.first_seen, event.as_str(), ids));
    }
    // Per (principal, action, resource): calls left, and incident calls with their findings.
    let mut left: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    let mut taken: BTreeMap<(String, String, String), (u64, BTreeSet<&str>)> = BTreeMap::new();
    let mut out = Vec::with_capacity(facts.len());
    for mut f in facts {
        if let Some(calls) = incident.get_mut(&key(&f)) {
            let mut events: BTreeSet<&str> = BTreeSet::new();
            calls.retain(|(t, event, ids)| {
                let inside = *t >= f.first_seen && *t <= f.last_seen && (events.len() as u64) < f.count;
                if inside {
                    events.insert(event);
                    let e = taken.entry((f.principal.clone(), f.action.clone(), f.resource.clone())).or_default();
                    e.0 += 1;
                    e.1.extend(ids.iter().copied());
                }
                !inside
            });
            f.count -= events.len() as u64;
            f.sample_event_ids.retain(|e| !events.contains(e.as_str()));
        }
        *left.entry((f.principal.clone(), f.action.clone(), f.resource.clone())).or_default() += f.count;
        if f.count > 0 || f.denied_count > 0 {
            out.push(f);
        }
    }
    // Per (principal, action): calls left in all; incident-only resources with their calls.
    let mut action_left: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for ((p, a, _), n) in &left {
        *action_left.entry((p.as_str(), a.as_str())).or_default() += n;
    }
    type Acc<'a> = (BTreeSet<String>, u64, BTreeSet<&'a str>);
    let mut by_action: BTreeMap<(String, String), Acc> = BTreeMap::new();
    for ((principal, action, resource), (events, ids)) in taken {
        let resource_left = left.get(&(principal.clone(), action.clone(), resource.clone())).copied().unwrap_or(0);
        let whole = action_left.get(&(principal.as_str(), action.as_str())).copied().unwrap_or(0) == 0;
        if resource_left > 0 || (!whole && resource.is_empty()) {
            continue;
        }
        let e = by_action.entry((principal, action)).or_default();
        if !whole {
            e.0.insert(resource);
        }
        e.1 += events;
        e.2.extend(ids);
    }
    let mut uses: BTreeMap<String, Vec<IncidentUse>> = BTreeMap::new();
    for ((principal, action), (resources, events, ids)) in by_action {
        let findings: Vec<String> = ids.into_iter().map(str::to_owned).collect();
        let resources: Vec<String> = resources.into_iter().collect();
        let plural = if findings.len() > 1 { "s" } else { "" };
        // A resource's calls are not evidence, but the action stays and a kept resource pattern
        // may still cover the resource: "not counted as use", not "not kept".
        let note = if resources.is_empty() {
            format!("used only in finding{plural} {}: not kept", findings.join(", "))
        } else {
            // The resources in full are in `resources`: the note names a few.
            let named = match resources.len() {
                n if n > NOTE_RESOURCES => {
                    format!("{} and {} more", resources[..NOTE_RESOURCES].join(", "), n - NOTE_RESOURCES)
                }
                _ => resources.join(", "),
            };
            format!("on {named} used only in finding{plural} {}: not counted as use", findings.join(", "))
        };
        uses.entry(principal).or_default().push(IncidentUse { action, resources, findings, events, note });
    }
    (out, uses)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(principal: &str, action: &str, resource: &str, count: u64, samples: &[&str]) -> Fact {
        Fact {
            first_seen: 0,
            last_seen: 1000,
            principal: principal.into(),
            action: action.into(),
            resource: resource.into(),
            region: "us-east-1".into(),
            count,
            sample_event_ids: samples.iter().map(|s| s.to_string()).collect(),
            ..Fact::default()
        }
    }

    fn finding(id: &str, severity: &str, events: &[&str]) -> IncidentFinding {
        IncidentFinding {
            id: id.into(),
            severity: severity.into(),
            detector: "d".into(),
            event_ids: events.iter().map(|s| s.to_string()).collect(),
            incident_id: None,
            incident_severity: None,
            span: None,
        }
    }

    #[test]
    fn a_medium_finding_of_a_critical_incident_is_an_incident() {
        let mut f = finding("f1", "medium", &["e1"]);
        assert!(!f.is_incident());
        f.incident_severity = Some("critical".into());
        assert!(f.is_incident());
        let text = r#"{"incidents":[{"id":"i1","severity":"critical"},{"id":"i2","severity":"low"}],
            "findings":[{"id":"a","severity":"medium","event_ids":["e1"],"incident_id":"i1"},
                        {"id":"b","severity":"medium","event_ids":["e2"],"incident_id":"i2"},
                        {"id":"c","severity":"high","event_ids":["e3"]}]}"#;
        let parsed = parse_findings(text).unwrap();
        let serious: Vec<&str> = parsed.iter().filter(|f| f.is_incident()).map(|f| f.id.as_str()).collect();
        // "a" through its incident's severity; the critical incident's own entry holds its events.
        assert_eq!(serious, ["a", "c", "i1"]);
        // An incident with actors and a span becomes an entry whose calls are looked up.
        let text = r#"{"incidents":[{"id":"i1","severity":"critical","first_seen":"2026-10-08T02:00:00Z",
            "last_seen":"2026-10-08T03:00:00Z","actors":["org-automation"]},
            {"id":"i2","severity":"medium","first_seen":"x","last_seen":"y","actors":["bob"]}],"findings":[]}"#;
        let parsed = parse_findings(text).unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].span.as_ref().unwrap().actors, ["org-automation"]);
    }

    #[test]
    fn an_incident_without_actors_sets_its_findings_events_aside() {
        // Root's calls (no session or user name): the incident names no actor. Its medium
        // finding carries no incident id; the incident lists it.
        let text = r#"{"incidents":[{"id":"i1","severity":"critical","first_seen":"2026-10-08T02:00:00Z",
            "last_seen":"2026-10-08T03:00:00Z","actors":[],"finding_ids":["a"]},
            {"id":"i2","severity":"high","actors":["", " "],"finding_ids":["b"]}],
            "findings":[{"id":"a","severity":"medium","event_ids":["e1","e2"]},
                        {"id":"b","severity":"low","event_ids":["e3"],"incident_id":"i2"},
                        {"id":"c","severity":"medium","event_ids":["e4"]}]}"#;
        let parsed = parse_findings(text).unwrap();
        let entry = |id: &str| parsed.iter().find(|f| f.id == id && f.detector == "incident").unwrap();
        assert_eq!(entry("i1").event_ids, ["e1", "e2"]);
        assert!(entry("i1").span.is_none(), "no actor to look up");
        assert_eq!(entry("i2").event_ids, ["e3"]);
        assert!(entry("i2").span.is_none(), "blank actors would match every nameless event");
        let role = "arn:aws:iam::1:role/admin";
        let facts = vec![
            fact(role, "cloudtrail:StopLogging", "", 2, &["e1", "e2"]),
            fact(role, "s3:ListBuckets", "", 1, &["e4"]),
        ];
        let one = |id: &str, f: &Fact| {
            let mut f = f.clone();
            f.count = 1;
            f.sample_event_ids = vec![id.to_string()];
            (id.to_string(), f)
        };
        let events = vec![one("e1", &facts[0]), one("e2", &facts[0]), one("e4", &facts[1])];
        let (left, uses) = set_aside(facts, &events, &parsed);
        assert_eq!(left.iter().map(|f| f.action.as_str()).collect::<Vec<_>>(), ["s3:ListBuckets"]);
        assert_eq!(uses[role][0].action, "cloudtrail:StopLogging");
        assert_eq!(uses[role][0].findings, ["i1"]);
        assert_eq!(uses[role][0].note, "used only in finding i1: not kept");
    }

    #[test]
    fn incident_only_actions_are_set_aside_and_shared_ones_kept() {
        let role = "arn:aws:iam::1:role/admin";
        let facts = vec![
            fact(role, "cloudtrail:StopLogging", "arn:t", 1, &["e1"]),
            fact(role, "iam:CreateAccessKey", "arn:u/a", 1, &["e2"]),
            fact(role, "iam:CreateAccessKey", "arn:u/b", 1, &["e3"]),
            // Used in the incident and in routine work: kept, with one call fewer.
            fact(role, "s3:ListBuckets", "", 10, &["e4", "r1", "r2"]),
            // Only in a medium finding: still use.
            fact(role, "ec2:DescribeRegions", "", 1, &["e5"]),
            // A bucket the role read only during the incident, another one routinely.
            fact(role, "s3:GetObject", "arn:aws:s3:::loot/x", 1, &["e6"]),
            fact(role, "s3:GetObject", "arn:aws:s3:::app/y", 3, &["r4"]),
            // The same call on another day (another lake partition): untouched.
            Fact { first_seen: 86_400_000, last_seen: 86_401_000, ..fact(role, "s3:ListBuckets", "", 4, &["r3"]) },
        ];
        let one = |id: &str, f: &Fact| {
            let mut f = f.clone();
            f.count = 1;
            f.sample_event_ids = vec![id.to_string()];
            (id.to_string(), f)
        };
        let events = vec![
            one("e1", &facts[0]),
            one("e2", &facts[1]),
            one("e3", &facts[2]),
            one("e4", &facts[3]),
            one("e5", &facts[4]),
            one("e6", &facts[5]),
        ];
        let findings = vec![
            finding("f-tamper", "critical", &["e1", "e4"]),
            finding("f-keys", "high", &["e2", "e6"]),
            finding("f-keys2", "high", &["e3"]),
            finding("f-recon", "medium", &["e5"]),
        ];
        let (left, uses) = set_aside(facts, &events, &findings);
        let actions: Vec<&str> = left.iter().map(|f| f.action.as_str()).collect();
        assert_eq!(actions, vec!["s3:ListBuckets", "ec2:DescribeRegions", "s3:GetObject", "s3:ListBuckets"]);
        assert_eq!(left[0].count, 9);
        assert_eq!(left[3].count, 4);
        assert_eq!(left[0].sample_event_ids, vec!["r1", "r2"]);
        let u = &uses[role];
        assert_eq!(u.len(), 3, "{u:#?}");
        assert_eq!(u[0].action, "cloudtrail:StopLogging");
        assert_eq!(u[0].note, "used only in finding f-tamper: not kept");
        assert_eq!(u[1].action, "iam:CreateAccessKey");
        assert_eq!(u[1].events, 2);
        assert_eq!(u[1].findings, vec!["f-keys", "f-keys2"]);
        assert_eq!(u[1].note, "used only in findings f-keys, f-keys2: not kept");
        assert_eq!(u[2].action, "s3:GetObject");
        assert_eq!(u[2].resources, vec!["arn:aws:s3:::loot/x"]);
        assert_eq!(u[2].note, "on arn:aws:s3:::loot/x used only in finding f-keys: not counted as use");
    }

    #[test]
    fn findings_json_is_read_and_bad_input_named() {
        let f = parse_findings(
            r#"{"findings": [{"id": "a1", "detector": "x", "severity": "high", "event_ids": ["e"], "summary": "s"}]}"#,
        )
        .unwrap();
        assert_eq!(f[0].id, "a1");
        assert!(f[0].is_incident());
        let err = parse_findings(r#"{"findings": [{"id": "a1"}]}"#).unwrap_err();
        assert!(err.contains("severity"), "{err}");
    }
}
