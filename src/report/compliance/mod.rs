//! The compliance report (`trailtrim report`): one self-contained HTML page, or GitHub-flavoured
//! Markdown, with account hygiene, least-privilege status per principal, findings and activity.
//!
//! The command gathers a [`ComplianceData`] (this file: the data model); the parts that say
//! something about it live beside it, each with its own tests:
//! - `checks`: the account hygiene rules (PASS / WARN / FAIL / UNKNOWN),
//! - `view`: what both renderers show (orderings, totals, shares, wording),
//! - `html` and `markdown`: the two renderers.
//!
//! Both renderers are pure functions of the data (no clock, no hash-map order), so the nightly
//! run can diff reports.

mod checks;
mod html;
mod markdown;
#[cfg(test)]
mod sample;
mod view;

pub use html::render_html;
pub use markdown::render_markdown;
use serde::Serialize;

/// Everything the compliance report shows, gathered by the `report` command.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ComplianceData {
    pub account_id: String,
    /// First and last day of the analysed window, `YYYY-MM-DD`.
    pub window_from: String,
    pub window_to: String,
    pub events: u64,
    pub hygiene: Hygiene,
    pub principals: Vec<PrincipalStatus>,
    pub findings: Vec<FindingRow>,
    /// Findings joined into stories (the page shows them first, each with its timeline).
    pub incidents: Vec<IncidentRow>,
    /// Sorted by date.
    pub activity_by_day: Vec<DayActivity>,
    /// Sorted by events (descending), then service name.
    pub activity_by_service: Vec<ServiceActivity>,
    pub credentials: Vec<CredentialRow>,
    /// Free-text remarks, e.g. load warnings or the share of events that could not be mapped.
    pub notes: Vec<String>,
    /// Roles (permission sets) used by more than one person: who reads, who writes.
    pub shared_roles: Vec<SharedRole>,
}

/// The people behind one shared role.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SharedRole {
    pub role: String,
    /// "PowerUser: 12 people; 10 used only read actions; the write actions come from 2 people (...)".
    pub summary: String,
    /// One line per group of people with the same write actions (a possible split).
    pub groups: Vec<String>,
}

/// Account-level hygiene facts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Hygiene {
    pub root_events: u64,
    pub root_console_logins: u64,
    /// `None` without a credential report.
    pub root_access_keys_active: Option<bool>,
    pub users_without_mfa: Vec<String>,
    pub unused_users: Vec<String>,
    pub unused_roles: Vec<String>,
    pub unused_access_keys: Vec<String>,
    pub stale_access_keys: Vec<String>,
}

/// Least-privilege status of one principal: what it is granted against what it used.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PrincipalStatus {
    pub arn: String,
    pub kind: String,
    pub granted: usize,
    pub used: usize,
    pub unused: usize,
    pub unobservable: usize,
    pub denied: usize,
    pub confidence: Option<String>,
    /// Recommended policy files, relative to the report's directory (they become links).
    pub policy_files: Vec<String>,
    pub removed_actions: Option<usize>,
    pub verified: Option<bool>,
    /// Granted actions it called, sorted.
    pub used_actions: Vec<String>,
    /// Granted actions it never called, sorted.
    pub unused_actions: Vec<String>,
    /// The recommended policy documents (empty without a verified recommendation).
    pub proposed: Vec<ProposedPolicy>,
    /// Escalation paths its permissions enable, riskiest category first.
    pub escalation: Vec<EscalationRow>,
}

/// One incident: findings of one actor or chain of sessions, close in time.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IncidentRow {
    pub id: String,
    /// The highest severity of its findings.
    pub severity: String,
    pub title: String,
    pub principals: Vec<String>,
    pub first_seen: String,
    pub last_seen: String,
    /// ATT&CK tactics in the order the incident first reached them.
    pub tactics: Vec<String>,
    /// Its findings in time order (ids of [`ComplianceData::findings`]): the timeline.
    pub finding_ids: Vec<String>,
    pub events: usize,
    /// The timeline in one line.
    pub story: String,
}

/// A proposed policy document, ready to download.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProposedPolicy {
    /// File name for the download, e.g. `reporting.json`.
    pub name: String,
    /// The policy document, pretty-printed JSON.
    pub json: String,
}

/// A known privilege-escalation path a principal's permissions enable.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EscalationRow {
    pub id: String,
    pub name: String,
    pub category: String,
    /// It called every action of the path in the window.
    pub used: bool,
}

/// One detection finding.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FindingRow {
    pub id: String,
    pub detector: String,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: String,
    pub mitre: String,
    pub principal: Option<String>,
    pub actor: Option<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub summary: String,
    pub events: usize,
}

/// Event counts of one day.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DayActivity {
    pub date: String,
    pub events: u64,
    pub errors: u64,
    pub denied: u64,
}

/// Event count of one service (event source).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ServiceActivity {
    pub service: String,
    pub events: u64,
}

/// One remark from the credential report (e.g. a password never used, a key not rotated).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CredentialRow {
    pub user: String,
    pub kind: String,
    pub detail: String,
}

/// Section titles, shared by both formats (and by the tests).
pub const SECTIONS: [&str; 8] =
    ["Summary", "Incidents", "Findings", "Account hygiene", "Least privilege", "Activity", "Credentials", "Notes"];
pub(crate) const GENERATED_NOTE: &str = "Generated by trailtrim from the CloudTrail lake. No generation time is recorded, so the same data always gives the same report.";

#[cfg(test)]
mod tests {
    use super::html::section_id;
    use super::sample::{finding, s, sample};
    use super::view::{percent, sorted_findings};
    use super::*;

    #[test]
    fn shared_roles_show_in_both_formats() {
        let d = sample();
        let html = render_html(&d);
        assert!(html.contains("<h3>People behind shared roles</h3>"), "{html}");
        assert!(html.contains("<li>c@x: write ec2:RunInstances (5 actions in all)</li>"));
        let md = render_markdown(&d);
        assert!(
            md.contains("### People behind shared roles\n\n- PowerUser: 3 people; 2 used only read actions"),
            "{md}"
        );
        assert!(md.contains("  - a@x, b@x: only read (4 actions in all)\n"));
        let empty = render_markdown(&ComplianceData { shared_roles: vec![], ..d });
        assert!(!empty.contains("People behind shared roles"));
    }

    #[test]
    fn every_data_string_is_escaped() {
        let mut d = sample();
        let evil = "<script>alert('x')</script>";
        d.account_id = format!("1111\"{evil}");
        d.principals[0].arn = format!("arn:aws:iam::111122223333:user/{evil}");
        d.principals[0].kind = s(evil);
        d.principals[0].confidence = Some(s(evil));
        d.principals[0].policy_files.push(format!("policies/{evil}.json"));
        d.findings[0].summary = s(evil);
        d.findings[0].severity = s(evil);
        d.findings[0].mitre = s(evil);
        d.findings[0].actor = Some(s(evil));
        d.hygiene.unused_roles.push(s(evil));
        d.activity_by_day[0].date = s(evil);
        d.activity_by_service[0].service = s(evil);
        d.credentials[0].detail = s(evil);
        d.notes.push(s(evil));
        let html = render_html(&d);
        // The page's own script is its only script element.
        assert_eq!(html.matches("<script").count(), 1, "unescaped script tag in:\n{html}");
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("arn:aws:iam::111122223333:user/&lt;script&gt;alert('x')&lt;/script&gt;"));
        // The unknown severity does not become a CSS class.
        assert!(html.contains("<span class=\"sev sev-unknown\">&lt;script&gt;"));
        // Markdown: free text is backslash-escaped, identifiers are code spans.
        let md = render_markdown(&d);
        assert!(md.contains("- \\<script\\>alert('x')\\</script\\>\n"));
        assert!(md.contains("`arn:aws:iam::111122223333:user/<script>alert('x')</script>`"));
    }

    #[test]
    fn every_section_is_present_in_both_formats() {
        for d in [sample(), ComplianceData::default()] {
            let html = render_html(&d);
            let md = render_markdown(&d);
            for title in SECTIONS {
                assert!(html.contains(&format!("<h2>{title}</h2>")), "HTML lacks {title}");
                assert!(html.contains(&format!("<a href=\"#{}\">", section_id(title))));
                assert!(md.contains(&format!("\n## {title}\n")), "Markdown lacks {title}");
            }
            assert!(html.contains("<h3>Events per day</h3>") && html.contains("<h3>Events by service</h3>"));
            assert!(md.contains("### Events per day") && md.contains("### Events by service"));
        }
    }

    #[test]
    fn empty_data_renders_placeholders() {
        let d = ComplianceData::default();
        let html = render_html(&d);
        let md = render_markdown(&d);
        for out in [&html, &md] {
            assert!(out.contains("No findings in this window."));
            assert!(out.contains("No incidents in this window."));
            assert!(out.contains("No principals in the IAM data."));
            assert!(out.contains("No events in this window."));
            assert!(out.contains("None."));
            assert!(out.contains("n/a"));
        }
        assert!(html.contains("No credential report was given (--credential-report)."));
        assert!(!html.contains("<svg"));
        assert!(html.ends_with("</html>\n"));
    }

    #[test]
    fn findings_sorted_by_severity_then_first_seen() {
        let mut d = sample();
        d.findings.push(finding("F-0005", "critical", "2024-03-01T00:00:00Z", None));
        d.findings.push(finding("F-0006", "CRITICAL", "2024-03-05T00:00:00Z", None));
        d.findings.push(finding("F-0007", "weird", "2024-03-01T00:00:00Z", None));
        let ids: Vec<String> = sorted_findings(&d).iter().map(|f| f.id.clone()).collect();
        assert_eq!(ids, ["F-0005", "F-0001", "F-0006", "F-0002", "F-0003", "F-0004", "F-0007"]);
        let html = render_html(&d);
        // Positions in the findings table (the incidents' timelines name findings too).
        let table = &html[html.find("id=\"findings-table\"").unwrap()..];
        let pos = |id: &str| table.find(&format!("<code>{id}</code>")).unwrap();
        assert!(pos("F-0005") < pos("F-0001") && pos("F-0001") < pos("F-0002") && pos("F-0004") < pos("F-0007"));
        assert!(render_markdown(&d).contains("| Findings | 7 (critical 3, high 1, medium 1, low 1, other 1) |"));
    }

    #[test]
    fn output_depends_only_on_the_data() {
        let d = sample();
        let mut shuffled = sample();
        shuffled.findings.reverse();
        shuffled.principals.reverse();
        assert_eq!(render_html(&d), render_html(&d));
        assert_eq!(render_html(&d), render_html(&shuffled));
        assert_eq!(render_markdown(&d), render_markdown(&shuffled));
    }

    #[test]
    fn summary_counts_unused_share_across_principals() {
        let md = render_markdown(&sample());
        // (2 + 82 + 0) unused of (12 + 88 + 4) granted.
        assert!(md.contains("| Granted permissions unused | 80.8% (84 of 104) |"), "{md}");
        assert!(md.contains("| Principals | 3 (2 with unused permissions) |"));
        assert!(render_html(&sample()).contains("<div class=\"value\">80.8%</div>"));
    }

    #[test]
    fn tiny_shares_are_not_shown_as_zero() {
        assert_eq!(percent(1, 10_000), "<0.1%");
        assert_eq!(percent(0, 5), "0.0%");
        assert_eq!(percent(5, 5), "100.0%");
        assert_eq!(percent(1, 0), "n/a");
        let mut d = sample();
        d.activity_by_service.push(ServiceActivity { service: s("tag.amazonaws.com"), events: 0 });
        d.activity_by_service[0].events = 1_000_000;
        d.activity_by_service[2].events = 1;
        assert!(render_html(&d).contains("<td class=\"num\" data-label=\"Share\" data-sort=\"1\">&lt;0.1%</td>"));
        assert!(render_markdown(&d).contains("| `iam.amazonaws.com` | 1 | \\<0.1% | █ |"));
    }
}
