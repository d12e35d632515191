//! Incidents: the findings of one actor, told as one story.
//!
//! Two findings belong to the same incident when their events share an actor key — the access
//! key, the role session, the source address — and the two sightings of that key are at most
//! `gap_ms` apart. Credentials handed out by STS (`AssumeRole*`, `GetSessionToken`,
//! `GetFederationToken`) carry the chain on: the call's own keys and the keys it issued are one
//! actor, so a pivot into a role from a new address stays in the story of whoever assumed it.
//! Such calls link findings even when no detector cites them ("bridges").
//!
//! Sightings are compared event by event, not finding interval by interval, so a finding that
//! spans weeks (a posture finding such as routine sign-ins without MFA) only joins what happened
//! near one of its own events. Source addresses are compared exactly (an IPv6 address by its
//! /64): a /24 would join neighbours on the same provider block.
//!
//! Pure and deterministic: same findings and traces, same incidents, ids and order.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;

use super::event::{get_key, get_str, is_aws_service_source, is_non_public, parse_ip, Event};
use super::findings::{fnv1a, Finding, Severity};

/// Findings of one actor further apart than this are separate incidents (default of
/// `detect --incident-gap`).
pub const DEFAULT_GAP_MS: i64 = 2 * 60 * 60 * 1000;

/// What grouping needs of one event: when it happened and which actor keys it carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    pub time_ms: i64,
    /// `key:<access key id>`, `session:<session ARN>`, `ip:<address>`; for calls that issue
    /// credentials, the issued key and session too. Sorted, unique.
    pub keys: Vec<String>,
    /// Whether some of `keys` were issued by this call (it links its caller to a new session).
    pub issues_credentials: bool,
}

/// STS calls whose response holds credentials for a new session.
const ISSUING_CALLS: &[&str] = &[
    "AssumeRole",
    "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
    "AssumeRoot",
    "GetSessionToken",
    "GetFederationToken",
];

impl Trace {
    /// The trace of an event; `access_key` is the lake's `access_key_id` of the event.
    pub fn of(e: &Event, access_key: Option<&str>) -> Trace {
        let mut keys = BTreeSet::new();
        if let Some(k) = access_key.filter(|k| !k.is_empty()) {
            keys.insert(format!("key:{k}"));
        }
        let ty = e.identity_type.as_deref().unwrap_or("");
        if matches!(ty, "AssumedRole" | "FederatedUser") {
            if let Some(arn) = e.identity_arn.as_deref() {
                keys.insert(format!("session:{arn}"));
            }
        }
        if let Some(ip) = e.source_ip.as_deref().and_then(address_key) {
            keys.insert(ip);
        }
        let mut issues_credentials = false;
        if !e.is_error() && e.event_source == "sts.amazonaws.com" && ISSUING_CALLS.contains(&e.event_name.as_str()) {
            if let Some(resp) = e.response() {
                let issued_key = get_key(&resp, "credentials").and_then(|c| get_str(c, "accessKeyId"));
                let issued_arn = ["assumedRoleUser", "federatedUser"]
                    .iter()
                    .find_map(|k| get_key(&resp, k).and_then(|u| get_str(u, "arn")));
                if let Some(k) = issued_key {
                    issues_credentials |= keys.insert(format!("key:{k}"));
                }
                if let Some(a) = issued_arn {
                    issues_credentials |= keys.insert(format!("session:{a}"));
                }
            }
        }
        Trace { time_ms: e.time_ms, keys: keys.into_iter().collect(), issues_credentials }
    }
}

/// The actor key of a source address: public addresses only (not AWS service names, not
/// private ranges); IPv6 by its /64.
fn address_key(source: &str) -> Option<String> {
    if is_aws_service_source(source) {
        return None;
    }
    let ip = parse_ip(source)?;
    if is_non_public(ip) {
        return None;
    }
    Some(match ip {
        std::net::IpAddr::V4(v4) => format!("ip:{v4}"),
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    })
}

/// The traces grouping works on: those of the findings' events, and the credential-issuing calls
/// that no finding cites (bridges).
#[derive(Debug, Clone, Default)]
pub struct Traces {
    pub by_event: HashMap<String, Trace>,
    pub bridges: Vec<Trace>,
}

impl Traces {
    /// The event ids whose access key grouping needs: the findings' events and the successful
    /// credential-issuing calls.
    pub fn wanted_ids(events: &[Event], findings: &[Finding]) -> BTreeSet<String> {
        let mut ids: BTreeSet<String> = findings.iter().flat_map(|f| f.event_ids.iter().cloned()).collect();
        ids.extend(events.iter().filter(|e| is_issuing(e)).map(|e| e.event_id.clone()));
        ids
    }

    /// `access_keys`: event id -> access key id (events without one may be missing).
    pub fn new(events: &[Event], findings: &[Finding], access_keys: &HashMap<String, String>) -> Traces {
        let cited: HashSet<&str> = findings.iter().flat_map(|f| f.event_ids.iter().map(String::as_str)).collect();
        let mut out = Traces::default();
        for e in events {
            let cited_here = cited.contains(e.event_id.as_str());
            if !cited_here && !is_issuing(e) {
                continue;
            }
            let trace = Trace::of(e, access_keys.get(&e.event_id).map(String::as_str));
            if cited_here {
                out.by_event.insert(e.event_id.clone(), trace);
            } else if trace.issues_credentials && trace.keys.len() >= 2 {
                // A bridge links a caller to what it was issued: useless without both.
                out.bridges.push(trace);
            }
        }
        out
    }
}

fn is_issuing(e: &Event) -> bool {
    !e.is_error() && e.event_source == "sts.amazonaws.com" && ISSUING_CALLS.contains(&e.event_name.as_str())
}

/// One incident: serialises to the `incidents[]` entries of `detect --format json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    /// Stable: FNV-1a 64 of "incident" and the id of its first finding, 16 hex digits.
    pub id: String,
    pub severity: Severity,
    pub title: String,
    pub principals: Vec<String>,
    pub actors: Vec<String>,
    pub first_seen: String,
    pub last_seen: String,
    /// ATT&CK tactics in the order the incident first reached them.
    pub tactics: Vec<String>,
    /// In time order.
    pub finding_ids: Vec<String>,
    /// Distinct events behind the findings.
    pub event_count: usize,
    /// The timeline in one line: `entry: <first finding> -> <tactic> xN -> ...`.
    pub story: String,
}

/// Groups `findings` (sorted by first_seen, detector, id, as [`super::detect`] returns them)
/// into incidents and sets each finding's `incident_id`. Incidents come sorted by first_seen,
/// then id.
pub fn group(findings: &mut [Finding], traces: &Traces, gap_ms: i64) -> Vec<Incident> {
    let n = findings.len();
    let mut uf = UnionFind::new(n + traces.bridges.len());
    // (key, time, node) of every sighting; consecutive sightings of one key within the gap join.
    let mut sightings: Vec<(&str, i64, usize)> = Vec::new();
    for (node, f) in findings.iter().enumerate() {
        for id in &f.event_ids {
            if let Some(t) = traces.by_event.get(id) {
                sightings.extend(t.keys.iter().map(|k| (k.as_str(), t.time_ms, node)));
            }
        }
    }
    for (i, t) in traces.bridges.iter().enumerate() {
        sightings.extend(t.keys.iter().map(|k| (k.as_str(), t.time_ms, n + i)));
    }
    sightings.sort_unstable();
    for w in sightings.windows(2) {
        if w[0].0 == w[1].0 && w[1].1 - w[0].1 <= gap_ms {
            uf.union(w[0].2, w[1].2);
        }
    }
    // Components in the order of their first finding (findings are sorted).
    let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut order: Vec<usize> = Vec::new();
    for i in 0..n {
        let root = uf.find(i);
        let list = members.entry(root).or_default();
        if list.is_empty() {
            order.push(root);
        }
        list.push(i);
    }
    let mut incidents: Vec<Incident> = order.iter().map(|root| build(findings, &members[root])).collect();
    for (inc, root) in incidents.iter().zip(&order) {
        for &i in &members[root] {
            findings[i].incident_id = Some(inc.id.clone());
        }
    }
    incidents.sort_by(|a, b| (&a.first_seen, &a.id).cmp(&(&b.first_seen, &b.id)));
    incidents
}

fn build(findings: &[Finding], idx: &[usize]) -> Incident {
    let mut fs: Vec<&Finding> = idx.iter().map(|&i| &findings[i]).collect();
    fs.sort_by(|a, b| (&a.first_seen, &a.detector, &a.id).cmp(&(&b.first_seen, &b.detector, &b.id)));
    let first = fs[0];
    let tactic_list: Vec<String> = fs.iter().map(|f| tactic_of(f)).collect();
    let mut tactics: Vec<String> = Vec::new();
    for t in &tactic_list {
        if !tactics.contains(t) {
            tactics.push(t.clone());
        }
    }
    let principals: BTreeSet<String> = fs.iter().filter_map(|f| f.principal.clone()).collect();
    let actors: BTreeSet<String> =
        fs.iter().filter_map(|f| f.actor.as_deref()).flat_map(|a| a.split(',')).map(str::to_owned).collect();
    let events: BTreeSet<&str> = fs.iter().flat_map(|f| f.event_ids.iter().map(String::as_str)).collect();
    let max = fs.iter().map(|f| f.severity).max().unwrap_or(Severity::Low);
    // A high-severity finding in a chain of three or more tactics is an attack in progress, not
    // an isolated signal.
    let severity = if max == Severity::High && tactics.len() >= 3 { Severity::Critical } else { max };
    let title = if fs.len() == 1 {
        first.summary.clone()
    } else {
        // Principals in the order they appear: the entry point first.
        let who: Vec<String> = fs.iter().filter_map(|f| f.principal.as_deref()).map(short_principal).collect();
        let who = short_list(&who);
        let who = if who.is_empty() { "unknown principal".to_owned() } else { who };
        let labels: Vec<String> = tactics.iter().map(|t| label(t)).collect();
        format!("{who}: {} findings ({})", fs.len(), labels.join(", "))
    };
    Incident {
        id: format!("{:016x}", fnv1a(&["incident", &first.id])),
        severity,
        title,
        principals: principals.into_iter().collect(),
        actors: actors.into_iter().collect(),
        first_seen: first.first_seen.clone(),
        last_seen: fs.iter().map(|f| f.last_seen.as_str()).max().unwrap_or("").to_owned(),
        tactics,
        finding_ids: fs.iter().map(|f| f.id.clone()).collect(),
        event_count: events.len(),
        story: story(&first.summary, &tactic_list[1..]),
    }
}

/// `entry: <summary> -> discovery x2 -> persistence`: the findings after the entry, counted by
/// tactic, tactics in the order the incident first reached them (the exact order is the
/// timeline).
fn story(entry: &str, rest: &[String]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for t in rest {
        match counts.iter_mut().find(|(name, _)| *name == t.as_str()) {
            Some((_, n)) => *n += 1,
            None => counts.push((t.as_str(), 1)),
        }
    }
    let mut s = format!("entry: {entry}");
    for (t, n) in counts {
        s.push_str(" -> ");
        s.push_str(&label(t));
        if n > 1 {
            s.push_str(&format!(" x{n}"));
        }
    }
    s
}

/// `defense-evasion` -> `defense evasion`.
pub fn label(tactic: &str) -> String {
    tactic.replace('-', " ")
}

fn short_principal(arn: &str) -> String {
    if arn.ends_with(":root") {
        return "root".into();
    }
    arn.rsplit('/').next().unwrap_or(arn).to_owned()
}

fn short_list(items: &[String]) -> String {
    let mut uniq: Vec<&String> = Vec::new();
    for i in items {
        if !uniq.contains(&i) {
            uniq.push(i);
        }
    }
    let shown: Vec<&str> = uniq.iter().take(3).map(|s| s.as_str()).collect();
    let mut s = shown.join(", ");
    if uniq.len() > 3 {
        s.push_str(&format!(" +{} more", uniq.len() - 3));
    }
    s
}

/// The ATT&CK tactics (enterprise), as our detector families spell them.
pub const TACTICS: &[&str] = &[
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
];

/// The tactic of a finding: an `attack.<tactic>` tag in its evidence (Sigma rules), else its
/// detector's family when that is a tactic, else the tactic of its MITRE technique, else
/// `other`.
pub fn tactic_of(f: &Finding) -> String {
    if let Some(tags) = f.evidence.get("tags").and_then(|t| t.as_array()) {
        for tag in tags.iter().filter_map(|t| t.as_str()) {
            if let Some(t) = tag.strip_prefix("attack.") {
                let t = t.replace('_', "-");
                if TACTICS.contains(&t.as_str()) {
                    return t;
                }
            }
        }
    }
    if let Some(family) = family_of(&f.detector) {
        if TACTICS.contains(&family) {
            return family.to_owned();
        }
    }
    technique_tactic(&f.mitre).unwrap_or("other").to_owned()
}

fn family_of(detector: &str) -> Option<&'static str> {
    static FAMILIES: std::sync::OnceLock<HashMap<&'static str, &'static str>> = std::sync::OnceLock::new();
    FAMILIES
        .get_or_init(|| super::list_detectors().into_iter().map(|d| (d.id, d.family)).collect())
        .get(detector)
        .copied()
}

/// The main tactic of the cloud techniques detectors report (by technique, sub-technique cut).
pub fn technique_tactic(mitre: &str) -> Option<&'static str> {
    let t = mitre.trim().to_ascii_uppercase();
    let base = t.split('.').next().unwrap_or("");
    Some(match base {
        "T1595" | "T1589" | "T1590" | "T1591" | "T1592" | "T1593" | "T1594" | "T1596" | "T1597" | "T1598" => {
            "reconnaissance"
        }
        "T1583" | "T1584" | "T1585" | "T1586" | "T1587" | "T1588" | "T1608" => "resource-development",
        "T1078" | "T1190" | "T1199" | "T1133" | "T1566" | "T1195" => "initial-access",
        "T1059" | "T1648" | "T1651" | "T1204" | "T1609" | "T1610" | "T1072" => "execution",
        "T1098" | "T1136" | "T1525" | "T1546" | "T1543" | "T1547" | "T1505" => "persistence",
        "T1548" | "T1484" | "T1068" => "privilege-escalation",
        "T1562" | "T1535" | "T1578" | "T1666" | "T1070" | "T1550" | "T1564" | "T1036" | "T1211" | "T1480" => {
            "defense-evasion"
        }
        "T1110" | "T1552" | "T1555" | "T1528" | "T1606" | "T1621" | "T1556" | "T1212" | "T1539" => "credential-access",
        "T1580" | "T1526" | "T1087" | "T1069" | "T1619" | "T1538" | "T1082" | "T1518" | "T1613" | "T1201" | "T1046"
        | "T1654" => "discovery",
        "T1021" | "T1570" | "T1563" => "lateral-movement",
        "T1530" | "T1213" | "T1005" | "T1119" | "T1074" | "T1114" => "collection",
        "T1071" | "T1090" | "T1105" | "T1572" | "T1102" => "command-and-control",
        "T1537" | "T1567" | "T1048" | "T1020" | "T1041" => "exfiltration",
        "T1496" | "T1485" | "T1486" | "T1490" | "T1531" | "T1489" | "T1657" | "T1491" | "T1565" | "T1499" => "impact",
        _ => return None,
    })
}

/// Parses an incident gap: a number with a unit `s`, `m`, `h` or `d` (`2h`, `90m`, `1d`).
pub fn parse_gap(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().map_err(|_| format!("`{s}`: expected a number and a unit (s, m, h, d), e.g. 2h"))?;
    let ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("`{s}`: unknown unit `{unit}` (use s, m, h or d, e.g. 2h)")),
    };
    n.checked_mul(ms).ok_or_else(|| format!("`{s}`: too large"))
}

struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind { parent: (0..n).collect() }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    /// The smaller index becomes the root, so the root does not depend on the union order.
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[hi] = lo;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const H: i64 = 3_600_000;

    fn event(id: &str, t: i64, ip: &str) -> Event {
        Event {
            event_id: id.into(),
            time_ms: t,
            event_source: "iam.amazonaws.com".into(),
            event_name: "ListUsers".into(),
            source_ip: Some(ip.into()),
            identity_type: Some("IAMUser".into()),
            identity_arn: Some("arn:aws:iam::111122223333:user/dave".into()),
            ..Default::default()
        }
    }

    fn finding(id: &str, detector: &str, mitre: &str, t: i64, events: &[&str]) -> Finding {
        Finding {
            id: id.into(),
            detector: detector.into(),
            severity: Severity::Medium,
            mitre: mitre.into(),
            principal: Some(format!("arn:aws:iam::111122223333:user/{id}")),
            actor: Some(id.into()),
            first_seen: super::super::event::iso_time(t),
            last_seen: super::super::event::iso_time(t),
            summary: format!("summary of {id}"),
            event_ids: events.iter().map(|s| s.to_string()).collect(),
            evidence: json!({}),
            incident_id: None,
        }
    }

    fn traces(events: &[Event], findings: &[Finding], keys: &[(&str, &str)]) -> Traces {
        let keys: HashMap<String, String> = keys.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        Traces::new(events, findings, &keys)
    }

    #[test]
    fn same_address_within_the_gap_is_one_incident_beyond_it_two() {
        let evs = vec![
            event("e1", 0, "185.220.101.34"),
            event("e2", H, "185.220.101.34"),
            event("e3", 4 * H, "185.220.101.34"),
        ];
        let mut fs = vec![
            finding("a", "behaviour.recon-burst", "T1580", 0, &["e1"]),
            finding("b", "cloudtrail.tampering", "T1562.008", H, &["e2"]),
            finding("c", "iam.persistence.new-user", "T1136.003", 4 * H, &["e3"]),
        ];
        let t = traces(&evs, &fs, &[]);
        let inc = group(&mut fs, &t, DEFAULT_GAP_MS);
        assert_eq!(inc.len(), 2);
        assert_eq!(inc[0].finding_ids, ["a", "b"]);
        assert_eq!(inc[1].finding_ids, ["c"]);
        assert_eq!(fs[0].incident_id, fs[1].incident_id);
        assert_ne!(fs[0].incident_id, fs[2].incident_id);
        assert_eq!(inc[0].tactics, ["discovery", "defense-evasion"]);
        assert_eq!(inc[0].story, "entry: summary of a -> defense evasion");
        // A wider gap joins the third; the id of an incident is that of its first finding.
        let first_id = inc[0].id.clone();
        let inc = group(&mut fs, &t, 3 * H);
        assert_eq!(inc.len(), 1);
        assert_eq!(inc[0].id, first_id);
        assert_eq!(inc[0].event_count, 3);
    }

    #[test]
    fn different_addresses_and_private_or_service_sources_do_not_link() {
        let evs = vec![
            event("e1", 0, "198.51.100.23"),
            event("e2", 60_000, "198.51.100.44"),
            event("e3", 120_000, "10.0.1.5"),
            event("e4", 180_000, "10.0.1.5"),
            event("e5", 240_000, "cloudformation.amazonaws.com"),
            event("e6", 300_000, "cloudformation.amazonaws.com"),
        ];
        let mut fs: Vec<Finding> = (1..=6)
            .map(|i| finding(&format!("f{i}"), "root.activity", "T1078.004", (i - 1) * 60_000, &[&format!("e{i}")]))
            .collect();
        let t = traces(&evs, &fs, &[]);
        assert_eq!(group(&mut fs, &t, DEFAULT_GAP_MS).len(), 6);
    }

    #[test]
    fn an_access_key_links_across_addresses() {
        let evs = vec![event("e1", 0, "203.0.113.10"), event("e2", H, "45.33.18.77")];
        let mut fs = vec![
            finding("a", "behaviour.new-network", "T1078", 0, &["e1"]),
            finding("b", "root.activity", "T1078", H, &["e2"]),
        ];
        let t = traces(&evs, &fs, &[("e1", "AKIAEXAMPLE"), ("e2", "AKIAEXAMPLE")]);
        assert_eq!(group(&mut fs, &t, DEFAULT_GAP_MS).len(), 1);
        let t = traces(&evs, &fs, &[("e1", "AKIAEXAMPLE"), ("e2", "AKIAOTHER")]);
        assert_eq!(group(&mut fs, &t, DEFAULT_GAP_MS).len(), 2);
    }

    /// dave's key assumes a role (no finding cites the AssumeRole call); the role's session,
    /// used from elsewhere, tampers with CloudTrail: one story through the issued credentials.
    #[test]
    fn the_chain_through_assume_role_is_one_actor() {
        let mut assume = event("as", 30 * 60_000, "185.220.101.34");
        assume.event_source = "sts.amazonaws.com".into();
        assume.event_name = "AssumeRole".into();
        assume.response_elements = Some(
            json!({"credentials": {"accessKeyId": "ASIAROLE", "sessionToken": "x"},
                   "assumedRoleUser": {"arn": "arn:aws:sts::111122223333:assumed-role/Admin/s1", "assumedRoleId": "AROA:s1"}})
            .to_string(),
        );
        let mut used = event("use", H, "3.3.3.3");
        used.identity_type = Some("AssumedRole".into());
        used.identity_arn = Some("arn:aws:sts::111122223333:assumed-role/Admin/s1".into());
        let evs = vec![event("e1", 0, "185.220.101.34"), assume.clone(), used];
        let mut fs = vec![
            finding("a", "behaviour.recon-burst", "T1580", 0, &["e1"]),
            finding("b", "cloudtrail.tampering", "T1562.008", H, &["use"]),
        ];
        let t = traces(&evs, &fs, &[("e1", "AKIADAVE"), ("as", "AKIADAVE"), ("use", "ASIAROLE")]);
        assert_eq!(t.bridges.len(), 1);
        let inc = group(&mut fs, &t, DEFAULT_GAP_MS);
        assert_eq!(inc.len(), 1, "{inc:?}");
        // A refused AssumeRole issues nothing: no bridge, two incidents.
        let mut refused = assume;
        refused.error_code = Some("AccessDenied".into());
        let evs2 = vec![evs[0].clone(), refused, evs[2].clone()];
        let t = traces(&evs2, &fs, &[("e1", "AKIADAVE"), ("as", "AKIADAVE"), ("use", "ASIAROLE")]);
        assert!(t.bridges.is_empty());
        assert_eq!(group(&mut fs, &t, DEFAULT_GAP_MS).len(), 2);
    }

    #[test]
    fn severity_title_and_story() {
        let evs: Vec<Event> = (0..6).map(|i| event(&format!("e{i}"), i * 60_000, "185.220.101.34")).collect();
        let mut fs = vec![
            finding("a", "behaviour.new-network", "T1078.004", 0, &["e0"]),
            finding("b", "defense-evasion.guardduty", "T1562.001", 60_000, &["e1"]),
            finding("c", "defense-evasion.config", "T1562.001", 120_000, &["e2"]),
            finding("d", "iam.persistence.new-user", "T1136.003", 180_000, &["e3"]),
            finding("e", "sigma.x", "T9999", 240_000, &["e4"]),
            finding("f", "defense-evasion.flow-logs", "T1562.008", 300_000, &["e5"]),
        ];
        fs[1].severity = Severity::High;
        fs[4].evidence = json!({"tags": ["attack.t1098", "attack.privilege_escalation"]});
        let t = traces(&evs, &fs, &[]);
        let inc = group(&mut fs, &t, DEFAULT_GAP_MS);
        assert_eq!(inc.len(), 1);
        let i = &inc[0];
        assert_eq!(i.severity, Severity::Critical, "high in a chain of 3+ tactics");
        assert_eq!(i.tactics, ["initial-access", "defense-evasion", "persistence", "privilege-escalation"]);
        assert_eq!(i.story, "entry: summary of a -> defense evasion x3 -> persistence -> privilege escalation");
        assert_eq!(
            i.title,
            "a, b, c +3 more: 6 findings (initial access, defense evasion, persistence, privilege escalation)"
        );
        assert_eq!(i.first_seen, "1970-01-01T00:00:00Z");
        assert_eq!(i.last_seen, "1970-01-01T00:05:00Z");
        let v = serde_json::to_value(i).unwrap();
        for key in [
            "id",
            "severity",
            "title",
            "principals",
            "actors",
            "first_seen",
            "last_seen",
            "tactics",
            "finding_ids",
            "event_count",
        ] {
            assert!(v.get(key).is_some(), "{key}");
        }
    }

    #[test]
    fn tactics_of_families_and_techniques() {
        let mut f = finding("a", "root.activity", "T1078.004", 0, &[]);
        assert_eq!(tactic_of(&f), "initial-access", "family root is not a tactic: by technique");
        f.detector = "exposure.bucket-public".into();
        assert_eq!(tactic_of(&f), "exfiltration");
        f.detector = "unknown".into();
        f.mitre = "".into();
        assert_eq!(tactic_of(&f), "other");
    }

    #[test]
    fn gaps_parse() {
        assert_eq!(parse_gap("2h"), Ok(2 * H));
        assert_eq!(parse_gap("90m"), Ok(90 * 60_000));
        assert_eq!(parse_gap("1d"), Ok(24 * H));
        assert!(parse_gap("2").unwrap_err().contains("unknown unit"));
        assert!(parse_gap("h").unwrap_err().contains("expected a number"));
    }
}
