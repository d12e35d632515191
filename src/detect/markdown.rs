//! Detection results as Markdown: incidents with their timelines, then every finding (the
//! `detect --format md` output and `run`'s findings.md).

use super::analyse::Detection;
use super::incidents;
use super::{Finding, Incident};
use std::collections::HashMap;

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Incidents first (most severe first, each with its timeline), then every finding.
pub fn detection_markdown(d: &Detection) -> String {
    let mut md = format!("# Incidents\n\n{} incidents from {} findings.\n\n", d.incidents.len(), d.findings.len());
    let by_id: HashMap<&str, &Finding> = d.findings.iter().map(|f| (f.id.as_str(), f)).collect();
    let mut sorted: Vec<&Incident> = d.incidents.iter().collect();
    sorted.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.first_seen.cmp(&b.first_seen)).then(a.id.cmp(&b.id)));
    for inc in sorted {
        md.push_str(&format!("## {} · {} · `{}`\n\n", inc.severity.as_str(), md_cell(&inc.title), inc.id));
        md.push_str(&format!("- **Story:** {}\n", md_cell(&inc.story)));
        md.push_str(&format!("- **When:** {} .. {}\n", inc.first_seen, inc.last_seen));
        if !inc.principals.is_empty() {
            md.push_str(&format!(
                "- **Principals:** {}\n",
                inc.principals.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
            ));
        }
        if !inc.actors.is_empty() {
            md.push_str(&format!(
                "- **Actors:** {}\n",
                inc.actors.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
            ));
        }
        md.push_str(&format!("- **Events:** {}\n\n", inc.event_count));
        md.push_str("| time | tactic | severity | detector | principal | summary |\n|---|---|---|---|---|---|\n");
        for f in inc.finding_ids.iter().filter_map(|id| by_id.get(id.as_str())) {
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                f.first_seen,
                incidents::label(&incidents::tactic_of(f)),
                f.severity.as_str(),
                md_cell(&f.detector),
                md_cell(f.principal.as_deref().unwrap_or("-")),
                md_cell(&f.summary)
            ));
        }
        md.push('\n');
    }
    md.push_str(&findings_markdown(&d.findings));
    md
}

/// Findings as a Markdown table (most severe first), for tickets and reports.
pub fn findings_markdown(findings: &[Finding]) -> String {
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.first_seen.cmp(&b.first_seen)).then(a.id.cmp(&b.id)));
    let cell = |s: &str| md_cell(s);
    let mut md = format!("# Findings\n\n{} findings.\n\n", findings.len());
    if sorted.is_empty() {
        return md;
    }
    md.push_str("| severity | detector | MITRE | principal | actor | first seen | last seen | events | summary |\n");
    md.push_str("|---|---|---|---|---|---|---|---:|---|\n");
    for f in sorted {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            f.severity.as_str(),
            cell(&f.detector),
            cell(&f.mitre),
            cell(f.principal.as_deref().unwrap_or("-")),
            cell(f.actor.as_deref().unwrap_or("-")),
            f.first_seen,
            f.last_seen,
            f.event_ids.len(),
            cell(&f.summary)
        ));
    }
    md
}
