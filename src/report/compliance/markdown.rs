//! The Markdown renderer: GitHub-flavoured Markdown, tables and text bars instead of charts.

use super::checks::{attention_summary, hygiene_checks};
use super::view::*;
use super::{ComplianceData, PrincipalStatus, GENERATED_NOTE};
use crate::report::svg::group_digits;

/// Width of the Markdown text bars, in characters.
const MD_BAR_WIDTH: u64 = 20;

/// Text inside a Markdown table cell or list item: backslash-escape what Markdown (and the
/// table syntax) would interpret, and keep it on one line.
fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// An identifier as a code span; the fence is longer than any backtick run inside, and `|` is
/// escaped because GitHub splits table cells on it even inside code spans.
fn md_code(s: &str) -> String {
    let s: String = s.chars().map(|c| if matches!(c, '\n' | '\r' | '\t') { ' ' } else { c }).collect();
    let s = s.replace('|', "\\|");
    if s.is_empty() {
        return "—".to_owned();
    }
    let longest_run = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{s}{pad}{fence}")
}

fn md_opt(s: Option<&str>) -> String {
    match s {
        Some(s) if !s.is_empty() => md_text(s),
        _ => "—".to_owned(),
    }
}

fn md_list(items: &[String]) -> String {
    items.iter().map(|i| md_code(i)).collect::<Vec<_>>().join(", ")
}

fn md_table(out: &mut String, headers: &[(&str, bool)], rows: &[Vec<String>]) {
    out.push('|');
    for (h, _) in headers {
        out.push_str(&format!(" {h} |"));
    }
    out.push_str("\n|");
    for (_, num) in headers {
        out.push_str(if *num { "---:|" } else { "---|" });
    }
    out.push('\n');
    for r in rows {
        out.push('|');
        for c in r {
            out.push_str(&format!(" {c} |"));
        }
        out.push('\n');
    }
    out.push('\n');
}

/// A text bar `width` characters wide at most, at least one character for any non-zero value.
fn text_bar(value: u64, max: u64, width: u64) -> String {
    if value == 0 || max == 0 {
        return String::new();
    }
    let n = (value.saturating_mul(width)).div_ceil(max).clamp(1, width);
    "█".repeat(n as usize)
}

/// One character per value in eight levels; a blank for zero, so that quiet days stand out.
fn sparkline(values: &[u64]) -> String {
    const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0) as u128;
    values
        .iter()
        .map(|v| match *v as u128 {
            0 => ' ',
            v => LEVELS[((v * 8).div_ceil(max) - 1).min(7) as usize],
        })
        .collect()
}

/// Render the report as GitHub-flavoured Markdown (tables, no charts).
pub fn render_markdown(d: &ComplianceData) -> String {
    let mut m = String::with_capacity(8 * 1024);
    m.push_str("# trailtrim compliance report\n\n");
    m.push_str(&format!("- Account: {}\n", md_code(&d.account_id)));
    m.push_str(&format!("- Window: {} to {}\n", md_text(&d.window_from), md_text(&d.window_to)));
    m.push_str(&format!("- Events: {}\n", group_digits(d.events)));
    m.push_str(&format!("- {GENERATED_NOTE}\n\n"));

    // Summary
    m.push_str("## Summary\n\n");
    let t = totals(d);
    let checks = hygiene_checks(&d.hygiene);
    let (attention, of) = attention_summary(&checks);
    let hygiene_summary = format!("{attention} {of}");
    md_table(
        &mut m,
        &[("Measure", false), ("Value", false)],
        &[
            vec!["Findings".into(), format!("{} ({})", group_digits(d.findings.len() as u64), findings_breakdown(d))],
            vec![
                "Principals".into(),
                format!(
                    "{} ({} with unused permissions)",
                    group_digits(d.principals.len() as u64),
                    group_digits(t.with_unused as u64)
                ),
            ],
            vec![
                "Granted permissions unused".into(),
                format!(
                    "{} ({} of {})",
                    md_text(&percent(t.unused, t.granted)),
                    group_digits(t.unused),
                    group_digits(t.granted)
                ),
            ],
            vec!["Account hygiene".into(), hygiene_summary],
            vec!["Events analysed".into(), group_digits(d.events)],
        ],
    );

    // Incidents
    m.push_str("## Incidents\n\n");
    let incidents = sorted_incidents(d);
    if incidents.is_empty() {
        m.push_str("No incidents in this window.\n\n");
    } else {
        m.push_str("Most severe first. Each incident's findings are listed under Findings.\n\n");
        let rows: Vec<Vec<String>> = incidents
            .into_iter()
            .map(|i| {
                vec![
                    format!("**{}**", md_text(&i.severity)),
                    md_text(&i.title),
                    md_list(&i.principals),
                    md_text(&i.first_seen),
                    md_text(&i.last_seen),
                    group_digits(i.events as u64),
                    md_text(&i.story),
                ]
            })
            .collect();
        md_table(
            &mut m,
            &[
                ("Severity", false),
                ("Incident", false),
                ("Principals", false),
                ("First seen", false),
                ("Last seen", false),
                ("Events", true),
                ("Timeline", false),
            ],
            &rows,
        );
    }

    // Findings
    m.push_str("## Findings\n\n");
    if d.findings.is_empty() {
        m.push_str("No findings in this window.\n\n");
    } else {
        m.push_str("Sorted by severity, then first seen.\n\n");
        let rows: Vec<Vec<String>> = sorted_findings(d)
            .into_iter()
            .map(|f| {
                let (who, actor) = finding_who(f);
                vec![
                    format!("**{}**", md_text(&f.severity)),
                    md_text(&f.detector),
                    md_text(&f.summary),
                    who.map(md_code).unwrap_or_else(|| "—".into()),
                    actor.map(md_code).unwrap_or_else(|| "—".into()),
                    md_opt(Some(&f.mitre)),
                    md_text(&f.first_seen),
                    md_text(&f.last_seen),
                    group_digits(f.events as u64),
                    md_code(&f.id),
                ]
            })
            .collect();
        md_table(
            &mut m,
            &[
                ("Severity", false),
                ("Detector", false),
                ("Summary", false),
                ("Principal", false),
                ("Actor", false),
                ("MITRE ATT&CK", false),
                ("First seen", false),
                ("Last seen", false),
                ("Events", true),
                ("ID", false),
            ],
            &rows,
        );
    }

    // Account hygiene
    m.push_str("## Account hygiene\n\n");
    let rows: Vec<Vec<String>> = checks
        .iter()
        .map(|c| {
            let mut detail = md_text(&c.detail);
            if !c.items.is_empty() {
                detail.push_str(": ");
                detail.push_str(&md_list(c.items));
            }
            vec![c.name.to_owned(), format!("**{}**", c.status.word()), detail]
        })
        .collect();
    md_table(&mut m, &[("Check", false), ("Status", false), ("Detail", false)], &rows);

    // Least privilege
    m.push_str("## Least privilege\n\n");
    if d.principals.is_empty() {
        m.push_str("No principals in the IAM data.\n\n");
    } else {
        m.push_str("Most unused permissions first. Bar: `█` used, `░` unused, `·` not observable in CloudTrail. Denied: actions attempted but not granted.\n\n");
        let rows: Vec<Vec<String>> = sorted_principals(d)
            .into_iter()
            .map(|p| {
                let mut rec = md_text(&recommendation(p));
                for f in &p.policy_files {
                    rec.push_str("<br>");
                    rec.push_str(&md_code(f));
                }
                vec![
                    md_code(&p.arn),
                    md_text(&p.kind),
                    group_digits(p.granted as u64),
                    group_digits(p.used as u64),
                    group_digits(p.unused as u64),
                    group_digits(p.unobservable as u64),
                    group_digits(p.denied as u64),
                    match usage_bar(p) {
                        bar if bar.is_empty() => md_text(&used_share(p)),
                        bar => format!("`{bar}` {}", md_text(&used_share(p))),
                    },
                    md_opt(p.confidence.as_deref()),
                    rec,
                ]
            })
            .collect();
        md_table(
            &mut m,
            &[
                ("Principal", false),
                ("Kind", false),
                ("Granted", true),
                ("Used", true),
                ("Unused", true),
                ("Not observable", true),
                ("Denied", true),
                ("Granted vs used", false),
                ("Confidence", false),
                ("Recommendation", false),
            ],
            &rows,
        );
    }
    if !d.shared_roles.is_empty() {
        m.push_str("### People behind shared roles\n\n");
        for r in &d.shared_roles {
            m.push_str(&format!("- {} ({})\n", md_text(&r.summary), md_code(&r.role)));
            if r.groups.len() > 1 {
                for g in &r.groups {
                    m.push_str(&format!("  - {}\n", md_text(g)));
                }
            }
        }
        m.push('\n');
    }

    // Activity
    m.push_str("## Activity\n\n### Events per day\n\n");
    if d.activity_by_day.is_empty() {
        m.push_str("No events in this window.\n\n");
    } else {
        let events: Vec<u64> = d.activity_by_day.iter().map(|x| x.events).collect();
        m.push_str(&format!("`{}`\n\n", sparkline(&events)));
        let max = events.iter().copied().max().unwrap_or(0);
        let rows: Vec<Vec<String>> = d
            .activity_by_day
            .iter()
            .map(|x| {
                vec![
                    md_text(&x.date),
                    group_digits(x.events),
                    group_digits(x.errors),
                    group_digits(x.denied),
                    text_bar(x.events, max, MD_BAR_WIDTH),
                ]
            })
            .collect();
        md_table(&mut m, &[("Date", false), ("Events", true), ("Failed", true), ("Denied", true), ("", false)], &rows);
    }
    m.push_str("### Events by service\n\n");
    if d.activity_by_service.is_empty() {
        m.push_str("No events in this window.\n\n");
    } else {
        let total = services_total(d);
        let max = d.activity_by_service.iter().map(|s| s.events).max().unwrap_or(0);
        let rows: Vec<Vec<String>> = d
            .activity_by_service
            .iter()
            .map(|s| {
                vec![
                    md_code(&s.service),
                    group_digits(s.events),
                    md_text(&percent(s.events, total)),
                    text_bar(s.events, max, MD_BAR_WIDTH),
                ]
            })
            .collect();
        md_table(&mut m, &[("Service", false), ("Events", true), ("Share", true), ("", false)], &rows);
    }

    // Credentials
    m.push_str("## Credentials\n\n");
    if d.credentials.is_empty() {
        m.push_str(&format!("{}\n\n", md_text(credentials_empty_text(d))));
    } else {
        let rows: Vec<Vec<String>> =
            d.credentials.iter().map(|c| vec![md_code(&c.user), md_text(&c.kind), md_text(&c.detail)]).collect();
        md_table(&mut m, &[("User", false), ("Kind", false), ("Detail", false)], &rows);
    }

    // Notes
    m.push_str("## Notes\n\n");
    if d.notes.is_empty() {
        m.push_str("None.\n");
    } else {
        for n in &d.notes {
            m.push_str(&format!("- {}\n", md_text(n)));
        }
    }
    m
}

/// A 20-character text bar of used / unused / not observable out of granted; empty when nothing
/// is granted.
fn usage_bar(p: &PrincipalStatus) -> String {
    const W: usize = 20;
    if p.granted == 0 {
        return String::new();
    }
    // Rounded to the nearest cell, but a non-zero count always gets one.
    let cells = |n: usize| if n == 0 { 0 } else { ((n * W + p.granted / 2) / p.granted).max(1) };
    let used = cells(p.used.min(p.granted));
    let unused = cells(p.unused).min(W - used);
    let unobs = cells(p.unobservable).min(W - used - unused);
    let rest = W - used - unused - unobs;
    format!("{}{}{}{}", "█".repeat(used), "░".repeat(unused), "·".repeat(unobs), " ".repeat(rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::compliance::sample::sample;

    #[test]
    fn markdown_helpers_keep_tables_intact() {
        assert_eq!(md_code("a|b"), "`a\\|b`");
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("`x"), "`` `x ``");
        assert_eq!(md_code(""), "—");
        assert_eq!(md_text("a*b_c|d\ne"), "a\\*b\\_c\\|d e");
        assert_eq!(sparkline(&[0, 1, 4, 8]), " ▁▄█");
        assert_eq!(text_bar(0, 10, 20), "");
        assert_eq!(text_bar(1, 1000, 20), "█");
        assert_eq!(text_bar(1000, 1000, 20).chars().count(), 20);
        let p = PrincipalStatus { granted: 88, used: 5, unused: 82, unobservable: 1, ..Default::default() };
        let bar = usage_bar(&p);
        assert_eq!(bar.chars().count(), 20);
        assert_eq!(bar, format!("█{}", "░".repeat(19)));
        let p = PrincipalStatus { granted: 1000, used: 1, unused: 900, unobservable: 99, ..Default::default() };
        assert_eq!(usage_bar(&p), format!("█{}·", "░".repeat(18)));
        assert_eq!(usage_bar(&PrincipalStatus::default()), "");
        let over = PrincipalStatus { granted: 2, used: 5, unused: 2, unobservable: 2, ..Default::default() };
        assert_eq!(usage_bar(&over), "█".repeat(20));
    }

    #[test]
    fn golden_markdown_report() {
        let md = render_markdown(&sample());
        crate::report::golden::assert_golden("tests/golden/compliance_report.md", &md);
    }
}
