//! What both renderers say, independent of the markup: orderings, totals, shares and wording.

use super::{ComplianceData, DayActivity, FindingRow, IncidentRow, PrincipalStatus};
use crate::report::svg::group_digits;

pub(super) const SEVERITIES: [&str; 4] = ["critical", "high", "medium", "low"];

pub(super) fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", group_digits(n), if n == 1 { one } else { many })
}

/// Rank for sorting: critical first, unknown severities last.
pub(super) fn severity_rank(s: &str) -> usize {
    let s = s.to_ascii_lowercase();
    SEVERITIES.iter().position(|x| *x == s).unwrap_or(SEVERITIES.len())
}

/// The CSS class for a severity badge (never built from the data itself).
pub(super) fn severity_class(s: &str) -> &'static str {
    match severity_rank(s) {
        0 => "sev-critical",
        1 => "sev-high",
        2 => "sev-medium",
        3 => "sev-low",
        _ => "sev-unknown",
    }
}

/// Findings by severity (critical first), then first seen; the rest of the row breaks ties.
pub(super) fn sorted_findings(d: &ComplianceData) -> Vec<&FindingRow> {
    let mut f: Vec<&FindingRow> = d.findings.iter().collect();
    f.sort_by(|a, b| {
        (severity_rank(&a.severity), &a.first_seen, &a.last_seen, &a.id, &a.detector, &a.summary).cmp(&(
            severity_rank(&b.severity),
            &b.first_seen,
            &b.last_seen,
            &b.id,
            &b.detector,
            &b.summary,
        ))
    });
    f
}

/// Principals with the most unused permissions first, so the table reads as a to-do list.
pub(super) fn sorted_principals(d: &ComplianceData) -> Vec<&PrincipalStatus> {
    let mut p: Vec<&PrincipalStatus> = d.principals.iter().collect();
    p.sort_by(|a, b| b.unused.cmp(&a.unused).then_with(|| a.arn.cmp(&b.arn)).then_with(|| a.kind.cmp(&b.kind)));
    p
}

/// Counts per severity in [`SEVERITIES`] order, plus findings with any other severity.
pub(super) fn severity_counts(d: &ComplianceData) -> ([usize; 4], usize) {
    let mut counts = [0; 4];
    let mut other = 0;
    for f in &d.findings {
        match severity_rank(&f.severity) {
            i if i < 4 => counts[i] += 1,
            _ => other += 1,
        }
    }
    (counts, other)
}

pub(super) fn findings_breakdown(d: &ComplianceData) -> String {
    let (counts, other) = severity_counts(d);
    let mut parts: Vec<String> = SEVERITIES.iter().zip(counts).map(|(s, n)| format!("{s} {n}")).collect();
    if other > 0 {
        parts.push(format!("other {other}"));
    }
    parts.join(", ")
}

pub(super) fn percent(num: u64, den: u64) -> String {
    if den == 0 {
        "n/a".to_owned()
    } else {
        let p = 100.0 * num as f64 / den as f64;
        // Never show a non-zero share as 0.0%.
        if num > 0 && p < 0.05 {
            "<0.1%".to_owned()
        } else {
            format!("{p:.1}%")
        }
    }
}

pub(super) struct Totals {
    pub(super) granted: u64,
    pub(super) unused: u64,
    pub(super) with_unused: usize,
}

pub(super) fn totals(d: &ComplianceData) -> Totals {
    Totals {
        granted: d.principals.iter().map(|p| p.granted as u64).sum(),
        unused: d.principals.iter().map(|p| p.unused as u64).sum(),
        with_unused: d.principals.iter().filter(|p| p.unused > 0).count(),
    }
}

/// "12.5% used" of the granted permissions, or "nothing granted".
pub(super) fn used_share(p: &PrincipalStatus) -> String {
    if p.granted == 0 {
        "nothing granted".to_owned()
    } else {
        format!("{} used", percent(p.used.min(p.granted) as u64, p.granted as u64))
    }
}

/// What the recommendation does for a principal, in words.
pub(super) fn recommendation(p: &PrincipalStatus) -> String {
    let mut s = match p.removed_actions {
        Some(0) => "no change needed".to_owned(),
        Some(n) => format!("remove {}", plural(n as u64, "action", "actions")),
        None => "no recommendation".to_owned(),
    };
    match p.verified {
        Some(true) => s.push_str("; verified by replay"),
        Some(false) => s.push_str("; NOT verified by replay"),
        None => {}
    }
    s
}

/// The principal a finding is about, and the actor when it is someone else.
pub(super) fn finding_who(f: &FindingRow) -> (Option<&str>, Option<&str>) {
    match (f.principal.as_deref(), f.actor.as_deref()) {
        (Some(p), Some(a)) if p == a => (Some(p), None),
        (None, Some(a)) => (Some(a), None),
        (p, a) => (p, a),
    }
}

/// A day's events split into disjoint parts: (succeeded, failed other than denied, denied).
/// The data may not be perfectly nested (denied ⊆ errors ⊆ events), so clamp rather than trust.
pub(super) fn day_parts(day: &DayActivity) -> (u64, u64, u64) {
    let denied = day.denied.min(day.events);
    let errors = day.errors.min(day.events).max(denied) - denied;
    (day.events - denied - errors, errors, denied)
}

pub(super) fn services_total(d: &ComplianceData) -> u64 {
    d.activity_by_service.iter().map(|s| s.events).sum()
}

/// What the Credentials section says when it has no rows.
pub(super) fn credentials_empty_text(d: &ComplianceData) -> &'static str {
    if d.hygiene.root_access_keys_active.is_none() {
        "No credential report was given (--credential-report)."
    } else {
        "No credential issues."
    }
}

/// Incidents by severity (critical first), then first seen, then id.
pub(super) fn sorted_incidents(d: &ComplianceData) -> Vec<&IncidentRow> {
    let mut v: Vec<&IncidentRow> = d.incidents.iter().collect();
    v.sort_by(|a, b| {
        (severity_rank(&a.severity), &a.first_seen, &a.id).cmp(&(severity_rank(&b.severity), &b.first_seen, &b.id))
    });
    v
}

/// An incident's timeline: its findings in its own (time) order; an id the data does not have
/// stays in the timeline as a bare id rather than vanishing.
pub(super) fn timeline<'a>(d: &'a ComplianceData, i: &'a IncidentRow) -> Vec<(&'a str, Option<&'a FindingRow>)> {
    i.finding_ids.iter().map(|id| (id.as_str(), d.findings.iter().find(|f| &f.id == id))).collect()
}

/// Actions grouped by service prefix (`s3:GetObject` -> `s3`), with their count, by service.
pub(super) fn by_service(actions: &[String]) -> Vec<(&str, usize)> {
    let mut m: std::collections::BTreeMap<&str, usize> = Default::default();
    for a in actions {
        *m.entry(a.split_once(':').map_or(a.as_str(), |(s, _)| s)).or_default() += 1;
    }
    m.into_iter().collect()
}

/// What the proposal keeps, in words: "keeps 10 of 12 granted actions", or why there is none.
pub(super) fn proposed_summary(p: &PrincipalStatus) -> String {
    match p.removed_actions {
        Some(removed) if !p.proposed.is_empty() => format!(
            "keeps {} of {} granted {}",
            group_digits(p.granted.saturating_sub(removed) as u64),
            group_digits(p.granted as u64),
            if p.granted == 1 { "action" } else { "actions" }
        ),
        Some(_) => "no policy proposed (it failed verification)".to_owned(),
        None => "no recommendation".to_owned(),
    }
}

/// A `data:` URI holding a JSON document, for a download link that needs no file beside the page.
/// Everything but unreserved characters is percent-encoded, so the URI has no quote, space or `:`
/// after the scheme.
pub(super) fn json_data_uri(json: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    format!("data:application/json;charset=utf-8,{}", percent_encoding::utf8_percent_encode(json, KEEP))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::compliance::sample::{s, sample};

    #[test]
    fn incidents_sorted_and_timelines_follow_the_finding_ids() {
        let d = sample();
        let ids: Vec<&str> = sorted_incidents(&d).iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["I-2", "I-1"]);
        let t = timeline(&d, &d.incidents[0]);
        let got: Vec<(&str, Option<&str>)> = t.iter().map(|(id, f)| (*id, f.map(|f| f.detector.as_str()))).collect();
        assert_eq!(
            got,
            [("F-0002", Some("access-denied-burst")), ("F-0003", Some("console-login-without-mfa")), ("F-9999", None)]
        );
    }

    #[test]
    fn actions_group_by_service() {
        let a = [s("s3:GetObject"), s("s3:PutObject"), s("ec2:RunInstances"), s("odd")];
        assert_eq!(by_service(&a), [("ec2", 1), ("odd", 1), ("s3", 2)]);
        assert!(by_service(&[]).is_empty());
    }

    #[test]
    fn proposed_summary_says_what_is_kept() {
        let d = sample();
        assert_eq!(proposed_summary(&d.principals[1]), "keeps 6 of 88 granted actions");
        assert_eq!(proposed_summary(&d.principals[2]), "no recommendation");
        let failed = PrincipalStatus { removed_actions: Some(3), ..Default::default() };
        assert_eq!(proposed_summary(&failed), "no policy proposed (it failed verification)");
    }

    #[test]
    fn data_uri_encodes_everything_but_unreserved() {
        assert_eq!(
            json_data_uri("{\"a\": \"x:y/<z>\"}\n"),
            "data:application/json;charset=utf-8,%7B%22a%22%3A%20%22x%3Ay%2F%3Cz%3E%22%7D%0A"
        );
    }

    #[test]
    fn day_parts_are_disjoint_even_for_inconsistent_counts() {
        let day = |events, errors, denied| DayActivity { date: s("d"), events, errors, denied };
        assert_eq!(day_parts(&day(100, 10, 4)), (90, 6, 4));
        assert_eq!(day_parts(&day(100, 2, 4)), (96, 0, 4));
        assert_eq!(day_parts(&day(5, 10, 8)), (0, 0, 5));
        assert_eq!(day_parts(&day(0, 0, 0)), (0, 0, 0));
    }
}
