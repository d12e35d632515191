//! `recommend --explain ACTION --principal ARN`: why one action was kept in or removed from a
//! principal's proposal, from the same recommendation the command writes (never a second
//! computation that could disagree with it).

use std::fmt::Write;

use serde::Serialize;

use super::trim::identity_statements;
use super::{DiffLine, IncidentUse, PrincipalInput, Recommendation};
use crate::policy::{parse_policy, Effect};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The proposal grants the action.
    Kept,
    /// Granted today, not granted by the proposal.
    Removed,
    /// Used only in the events of high or critical findings: not evidence of need, not kept.
    SetAside,
    /// Neither granted today nor by the proposal.
    NotGranted,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Kept => "kept",
            Verdict::Removed => "removed",
            Verdict::SetAside => "set aside (incident)",
            Verdict::NotGranted => "not granted",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refused {
    pub events: u64,
    pub error_codes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub principal: String,
    pub action: String,
    pub verdict: Verdict,
    pub reason: String,
    /// Successful calls counted as use in the window.
    pub events: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    pub sample_event_ids: Vec<String>,
    /// Original statements that allowed the observed calls (`policy#sid`).
    pub deciding_statements: Vec<String>,
    /// Original Allow statements that name the action, used or not.
    pub granting_statements: Vec<String>,
    /// Original Deny statements that name the action (kept in the proposal when it applies).
    pub denying_statements: Vec<String>,
    /// `statement: keys` of conditions CloudTrail does not record, carried into the proposal.
    pub conditions_carried: Vec<String>,
    /// Calls set aside because they are in the events of high or critical findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident: Option<IncidentUse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<Refused>,
    /// Granted, but CloudTrail cannot show its use.
    pub unobservable: bool,
    /// Proposal statements that grant it (`file stem#Sid`).
    pub proposal_statements: Vec<String>,
}

/// The diff marker of an action (`"- "` also through a folded `service:*` line), if any.
fn marker<'a>(diff: &'a [DiffLine], action: &str) -> Option<&'a str> {
    let lower = action.to_ascii_lowercase();
    let service = lower.split(':').next().unwrap_or("");
    diff.iter()
        .find(|d| {
            let a = d.action.to_ascii_lowercase();
            a == lower || (d.count > 1 && a.strip_suffix(":*") == Some(service))
        })
        .map(|d| d.marker.as_str())
}

/// Explain `action` (canonical catalog name) for the principal of `input`, whose recommendation
/// is `rec`.
pub fn explain(input: &PrincipalInput, rec: &Recommendation, action: &str) -> Explanation {
    let stmts = identity_statements(&input.policies);
    let naming = |effect: Effect| -> Vec<String> {
        stmts.iter().filter(|s| s.st.effect == effect && s.st.matches_action(action)).map(|s| s.label.clone()).collect()
    };
    let granting_statements = naming(Effect::Allow);
    let denying_statements = naming(Effect::Deny);
    let mut proposal_statements = Vec::new();
    for (i, doc) in rec.documents.iter().enumerate() {
        let Ok(p) = parse_policy(doc) else { continue };
        let stem = rec.file_stems.get(i).cloned().unwrap_or_else(|| format!("document-{}", i + 1));
        for (k, st) in p.statements.iter().enumerate() {
            if st.effect == Effect::Allow && st.matches_action(action) {
                proposal_statements.push(format!("{stem}#{}", st.sid.clone().unwrap_or_else(|| k.to_string())));
            }
        }
    }
    let same = |a: &str| a.eq_ignore_ascii_case(action);
    let evidence = rec.evidence.iter().find(|e| same(&e.action));
    let incident = rec.incident_only.iter().find(|u| same(&u.action)).cloned();
    let refused = input.denied.iter().filter(|d| same(&d.action)).fold(None, |acc: Option<Refused>, d| {
        let mut r = acc.unwrap_or(Refused { events: 0, error_codes: Vec::new() });
        r.events += d.count;
        for c in &d.error_codes {
            if !r.error_codes.contains(c) {
                r.error_codes.push(c.clone());
            }
        }
        Some(r)
    });
    let mark = marker(&rec.diff, action);
    let unobservable = mark == Some("? ");
    let kept = !proposal_statements.is_empty();
    let in_findings = |u: &IncidentUse| u.findings.join(", ");

    let (verdict, reason) = if let Some(e) = evidence {
        let mut why = format!(
            "used: {} successful call(s) allowed by {}",
            e.count,
            if e.statements.is_empty() { "resource policies".to_string() } else { e.statements.join(", ") }
        );
        if !e.unknown_conditions.is_empty() {
            why.push_str(
                "; its conditions on keys CloudTrail does not record are carried with the statement's resources",
            );
        }
        if let Some(u) = &incident {
            let _ = write!(why, "; calls on some resources set aside (finding {})", in_findings(u));
        }
        if kept {
            (Verdict::Kept, why)
        } else {
            why.push_str(", but allowed by resource policies alone, so not added to the identity policy");
            (Verdict::Removed, why)
        }
    } else if let Some(u) = incident.as_ref().filter(|u| u.resources.is_empty()) {
        (
            Verdict::SetAside,
            format!(
                "used only in the events of finding {} ({} call(s)): not evidence of need, not kept (--keep-incident-actions keeps it)",
                in_findings(u),
                u.events
            ),
        )
    } else if rec.used_not_granted.iter().any(|a| same(a)) {
        (
            Verdict::NotGranted,
            "used in the window, but the current policies no longer allow it: reported, not added".to_string(),
        )
    } else if kept && unobservable {
        (
            Verdict::Kept,
            "granted, and CloudTrail cannot show its use: kept with the original resources and conditions".to_string(),
        )
    } else if kept {
        (Verdict::Kept, "granted by a statement carried over unchanged".to_string())
    } else if unobservable {
        (Verdict::Removed, "granted, but CloudTrail cannot show its use: removed (--drop-unobservable)".to_string())
    } else if mark == Some("- ") {
        (Verdict::Removed, "granted, but no successful call in the window".to_string())
    } else if let Some(r) = &refused {
        (
            Verdict::NotGranted,
            format!(
                "tried {} time(s) and refused ({}), never successful: not granted",
                r.events,
                r.error_codes.join(", ")
            ),
        )
    } else {
        (Verdict::NotGranted, "not granted by the current policies and not used in the window".to_string())
    };

    Explanation {
        principal: rec.arn.clone(),
        action: action.to_string(),
        verdict,
        reason,
        events: evidence.map_or(0, |e| e.count),
        first_seen: evidence.map(|e| e.first_seen.clone()),
        last_seen: evidence.map(|e| e.last_seen.clone()),
        sample_event_ids: evidence.map(|e| e.sample_event_ids.clone()).unwrap_or_default(),
        deciding_statements: evidence.map(|e| e.statements.clone()).unwrap_or_default(),
        granting_statements,
        denying_statements,
        conditions_carried: evidence.map(|e| e.unknown_conditions.clone()).unwrap_or_default(),
        incident,
        refused,
        unobservable,
        proposal_statements,
    }
}

/// The explanation as a two-column table for a terminal.
pub fn render_table(e: &Explanation) -> String {
    let list = |v: &[String]| if v.is_empty() { "-".to_string() } else { v.join(", ") };
    let mut rows: Vec<(&str, String)> = vec![
        ("principal", e.principal.clone()),
        ("action", e.action.clone()),
        ("verdict", e.verdict.as_str().to_string()),
        ("reason", e.reason.clone()),
        ("events", e.events.to_string()),
    ];
    if let (Some(f), Some(l)) = (&e.first_seen, &e.last_seen) {
        rows.push(("first seen", f.clone()));
        rows.push(("last seen", l.clone()));
    }
    if !e.sample_event_ids.is_empty() {
        rows.push(("sample events", list(&e.sample_event_ids)));
    }
    rows.push(("deciding statements", list(&e.deciding_statements)));
    rows.push(("granted by", list(&e.granting_statements)));
    if !e.denying_statements.is_empty() {
        rows.push(("denied by", list(&e.denying_statements)));
    }
    if !e.conditions_carried.is_empty() {
        rows.push(("conditions carried", list(&e.conditions_carried)));
    }
    if let Some(u) = &e.incident {
        rows.push(("incident", u.note.clone()));
    }
    if let Some(r) = &e.refused {
        rows.push(("refused", format!("{} event(s): {}", r.events, r.error_codes.join(", "))));
    }
    if e.unobservable {
        rows.push(("unobservable", "yes".into()));
    }
    rows.push(("in the proposal", list(&e.proposal_statements)));
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut s = String::new();
    for (k, v) in rows {
        let _ = writeln!(s, "{k:width$}  {v}");
    }
    s
}

/// The catalog name of an action given on the command line (any case), or a message with the
/// closest actions: of the same service when the service is known, else of every service.
pub fn catalog_action(given: &str) -> Result<String, String> {
    let cat = crate::catalog::catalog();
    if given.contains(['*', '?']) {
        return Err(format!("{given:?} is a pattern; give one action, e.g. s3:GetObject"));
    }
    if let Some(a) = cat.canonical(given) {
        return Ok(a);
    }
    let lower = given.to_ascii_lowercase();
    let service = lower.split(':').next().unwrap_or("");
    let names: Vec<String> = if lower.contains(':') && cat.has_service(service) {
        cat.service_actions(service).iter().map(|a| a.full_name()).collect()
    } else {
        cat.full_names().to_vec()
    };
    let mut scored: Vec<(f64, &String)> = names
        .iter()
        .map(|n| (strsim::jaro_winkler(&lower, &n.to_ascii_lowercase()), n))
        .filter(|(s, _)| *s >= 0.85)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let close: Vec<&str> = scored.iter().take(3).map(|(_, n)| n.as_str()).collect();
    let hint = if close.is_empty() { String::new() } else { format!("; did you mean {}?", close.join(" or ")) };
    Err(format!("{given:?} is not an action of the IAM catalog{hint}"))
}
