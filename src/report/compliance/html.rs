//! The HTML renderer: one self-contained page (inline CSS, inline SVG charts, no script) with a
//! Content-Security-Policy that forbids fetching anything.

use super::checks::{hygiene_checks, Status};
use super::view::*;
use super::{ComplianceData, GENERATED_NOTE, SECTIONS};
use crate::report::html::{escape, relative_href};
use crate::report::svg::{self, group_digits, Column, Segment};

/// Services drawn in the HTML bar chart; the rest are summed up below it.
const TOP_SERVICES: usize = 15;

const CSS: &str = r#"
:root{--fg:#1f2328;--muted:#59636e;--border:#d1d9e0;--alt:#f6f8fa;--ok:#4c78a8;--err:#f58518;--denied:#d62728;--used:#54a24b;--unused:#e45756;--unobs:#bab0ac}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:#fff;margin:0 auto;max-width:1240px;padding:24px 32px 48px;line-height:1.45;font-size:14px;-webkit-print-color-adjust:exact;print-color-adjust:exact}
h1{font-size:26px;margin:0 0 6px}
h2{font-size:20px;margin:36px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--border)}
h3{font-size:15px;margin:20px 0 8px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;overflow-wrap:anywhere}
a{color:#0969da}
.meta{color:var(--muted);margin:2px 0}
.meta strong{color:var(--fg)}
nav{margin-top:10px;font-size:13px}
nav a{margin-right:14px;text-decoration:none}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px}
.card{border:1px solid var(--border);border-radius:8px;padding:12px 14px}
.card .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .value{font-size:28px;font-weight:600;margin:2px 0}
.card .sub{color:var(--muted);font-size:12.5px}
.card .sev{margin:2px 4px 2px 0}
table{border-collapse:collapse;width:100%;margin:8px 0 4px}
caption{text-align:left;color:var(--muted);font-size:12.5px;padding:4px 0}
th,td{border-bottom:1px solid var(--border);padding:6px 8px;text-align:left;vertical-align:top}
th{background:var(--alt);font-weight:600;font-size:12.5px}
tbody tr:nth-child(even){background:#fbfcfd}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.nowrap{white-space:nowrap}
.small{font-size:12px;color:var(--muted)}
.sev,.status{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
.sev{color:#fff}
.sev-critical{background:#6f1d9b}.sev-high{background:#c62828}.sev-medium{background:#d46b08}.sev-low{background:#3b6fb6}.sev-unknown{background:#6e7781}
.st-pass{background:#dafbe1;color:#116329}.st-fail{background:#ffebe9;color:#a40e26}.st-warn{background:#fff8c5;color:#7d4e00}.st-unknown{background:#eaeef2;color:#424a53}
.items code{display:inline-block;margin:2px 6px 0 0}
.empty{color:var(--muted);font-style:italic}
.bad{color:#a40e26;font-weight:600}
.chart{width:100%;height:auto;display:block;margin:4px 0}
.chart .grid{stroke:#e6e9ed;stroke-width:1}
.chart .axis{stroke:#8c959f;stroke-width:1}
.chart text{font-size:11px;fill:var(--muted)}
.chart text.label{font-size:12px;fill:var(--fg)}
.chart text.value{font-size:11.5px;fill:var(--fg)}
.chart .hit{fill:transparent}
.chart g:hover rect:not(.hit){opacity:.8}
.seg-ok,.seg-bar{fill:var(--ok)}.seg-err{fill:var(--err)}.seg-denied{fill:var(--denied)}
.seg-used{fill:var(--used)}.seg-unused{fill:var(--unused)}.seg-unobs{fill:var(--unobs)}.seg-track{fill:#eef1f4}
.pbar{width:120px;height:12px;vertical-align:middle;margin-right:6px}
.legend{font-size:12.5px;color:var(--muted);margin:4px 0}
.legend span{margin-right:16px;white-space:nowrap}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.sw-ok{background:var(--ok)}.sw-err{background:var(--err)}.sw-denied{background:var(--denied)}.sw-used{background:var(--used)}.sw-unused{background:var(--unused)}.sw-unobs{background:var(--unobs)}
details{margin:6px 0}
details table{width:auto;min-width:50%}
td.arn{min-width:210px}
td.rec{min-width:210px}
th.num{white-space:normal}
summary{cursor:pointer;color:var(--muted);font-size:13px}
footer{margin-top:40px;color:var(--muted);font-size:12px;border-top:1px solid var(--border);padding-top:8px}
@media print{body{padding:0;max-width:none;font-size:11px}nav,details{display:none}h2{break-after:avoid}tr,.card,svg{break-inside:avoid}}
"#;

/// Render the report as one self-contained HTML page.
pub fn render_html(d: &ComplianceData) -> String {
    let mut h = String::with_capacity(32 * 1024);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // Belt and braces: even a bug in the escaping could not make the page fetch or run anything.
    h.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    h.push_str(&format!("<title>Compliance report: account {}</title>\n", escape(&d.account_id)));
    h.push_str("<style>");
    h.push_str(CSS);
    h.push_str("</style>\n</head>\n<body>\n");
    html_header(&mut h, d);
    h.push_str("<main>\n");
    html_summary(&mut h, d);
    html_hygiene(&mut h, d);
    html_findings(&mut h, d);
    html_least_privilege(&mut h, d);
    html_activity(&mut h, d);
    html_credentials(&mut h, d);
    html_notes(&mut h, d);
    h.push_str("</main>\n");
    h.push_str(&format!("<footer>{}</footer>\n</body>\n</html>\n", escape(GENERATED_NOTE)));
    h
}

pub(super) fn section_id(title: &str) -> String {
    title.to_ascii_lowercase().replace(' ', "-")
}

fn open_section(h: &mut String, title: &str) {
    h.push_str(&format!("<section id=\"{}\">\n<h2>{}</h2>\n", section_id(title), escape(title)));
}

fn empty_html(h: &mut String, text: &str) {
    h.push_str(&format!("<p class=\"empty\">{}</p>\n", escape(text)));
}

fn code(s: &str) -> String {
    format!("<code>{}</code>", escape(s))
}

fn or_dash(s: Option<&str>) -> String {
    match s {
        Some(s) if !s.is_empty() => escape(s),
        _ => "—".to_owned(),
    }
}

fn html_header(h: &mut String, d: &ComplianceData) {
    h.push_str("<header>\n<h1>trailtrim compliance report</h1>\n");
    h.push_str(&format!(
        "<p class=\"meta\">Account <strong>{}</strong> · {} to {} · {}</p>\n",
        code(&d.account_id),
        escape(&d.window_from),
        escape(&d.window_to),
        plural(d.events, "event", "events")
    ));
    h.push_str(&format!("<p class=\"meta small\">{}</p>\n<nav>", escape(GENERATED_NOTE)));
    for s in SECTIONS {
        h.push_str(&format!("<a href=\"#{}\">{}</a>", section_id(s), escape(s)));
    }
    h.push_str("</nav>\n</header>\n");
}

fn card(h: &mut String, label: &str, value: &str, sub_html: &str) {
    h.push_str(&format!(
        "<div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div><div class=\"sub\">{}</div></div>\n",
        escape(label),
        escape(value),
        sub_html
    ));
}

fn html_summary(h: &mut String, d: &ComplianceData) {
    open_section(h, "Summary");
    h.push_str("<div class=\"cards\">\n");
    let (counts, other) = severity_counts(d);
    let mut badges: String = SEVERITIES
        .iter()
        .zip(counts)
        .map(|(s, n)| format!("<span class=\"sev {}\">{s} {n}</span>", severity_class(s)))
        .collect();
    if other > 0 {
        badges.push_str(&format!("<span class=\"sev sev-unknown\">other {other}</span>"));
    }
    card(h, "Findings", &group_digits(d.findings.len() as u64), &badges);
    let t = totals(d);
    card(
        h,
        "Principals",
        &group_digits(d.principals.len() as u64),
        &escape(&format!("{} with unused permissions", group_digits(t.with_unused as u64))),
    );
    card(
        h,
        "Granted permissions unused",
        &percent(t.unused, t.granted),
        &escape(&format!("{} of {} granted, across all principals", group_digits(t.unused), group_digits(t.granted))),
    );
    let checks = hygiene_checks(&d.hygiene);
    let attention = checks.iter().filter(|c| matches!(c.status, Status::Fail | Status::Warn)).count();
    let unknown = checks.iter().filter(|c| c.status == Status::Unknown).count();
    let mut sub = format!("of {} checks need attention", checks.len());
    if unknown > 0 {
        sub.push_str(&format!(", {unknown} unknown"));
    }
    card(h, "Account hygiene", &attention.to_string(), &escape(&sub));
    card(h, "Events analysed", &group_digits(d.events), &escape(&format!("{} to {}", d.window_from, d.window_to)));
    h.push_str("</div>\n</section>\n");
}

fn html_hygiene(h: &mut String, d: &ComplianceData) {
    open_section(h, "Account hygiene");
    h.push_str("<table>\n<thead><tr><th scope=\"col\">Check</th><th scope=\"col\">Status</th><th scope=\"col\">Detail</th></tr></thead>\n<tbody>\n");
    for c in hygiene_checks(&d.hygiene) {
        h.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td><span class=\"status {}\">{}</span></td><td>{}",
            escape(c.name),
            c.status.css(),
            c.status.word(),
            escape(&c.detail)
        ));
        if !c.items.is_empty() {
            h.push_str("<div class=\"items\">");
            for i in c.items {
                h.push_str(&code(i));
            }
            h.push_str("</div>");
        }
        h.push_str("</td></tr>\n");
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn html_findings(h: &mut String, d: &ComplianceData) {
    open_section(h, "Findings");
    if d.findings.is_empty() {
        empty_html(h, "No findings in this window.");
        h.push_str("</section>\n");
        return;
    }
    h.push_str("<table>\n<caption>Sorted by severity, then first seen.</caption>\n<thead><tr>");
    for (c, class) in [
        ("Severity", ""),
        ("Finding", ""),
        ("Principal", ""),
        ("MITRE ATT&CK", ""),
        ("First seen", ""),
        ("Last seen", ""),
        ("Events", " class=\"num\""),
    ] {
        h.push_str(&format!("<th scope=\"col\"{class}>{}</th>", escape(c)));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for f in sorted_findings(d) {
        let (who, actor) = finding_who(f);
        let mut who_html = who.map(code).unwrap_or_else(|| "—".to_owned());
        if let Some(a) = actor {
            who_html.push_str(&format!("<div class=\"small\">actor {}</div>", code(a)));
        }
        h.push_str(&format!(
            "<tr><td><span class=\"sev {}\">{}</span></td><td>{}<div class=\"small\">{} · {}</div></td><td class=\"arn\">{}</td><td class=\"nowrap\">{}</td><td class=\"nowrap\">{}</td><td class=\"nowrap\">{}</td><td class=\"num\">{}</td></tr>\n",
            severity_class(&f.severity),
            escape(&f.severity),
            escape(&f.summary),
            escape(&f.detector),
            code(&f.id),
            who_html,
            or_dash(Some(&f.mitre)),
            escape(&f.first_seen),
            escape(&f.last_seen),
            group_digits(f.events as u64)
        ));
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn html_least_privilege(h: &mut String, d: &ComplianceData) {
    open_section(h, "Least privilege");
    if d.principals.is_empty() {
        empty_html(h, "No principals in the IAM data.");
        h.push_str("</section>\n");
        return;
    }
    h.push_str("<p class=\"legend\"><span><i class=\"sw sw-used\"></i>used</span><span><i class=\"sw sw-unused\"></i>granted, unused</span><span><i class=\"sw sw-unobs\"></i>granted, not observable in CloudTrail</span></p>\n");
    h.push_str("<table>\n<caption>Most unused permissions first. Denied: actions attempted but not granted.</caption>\n<thead><tr>");
    for (c, num) in [
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
    ] {
        let class = if num { " class=\"num\"" } else { "" };
        h.push_str(&format!("<th scope=\"col\"{class}>{}</th>", escape(c)));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for p in sorted_principals(d) {
        let granted = p.granted as u64;
        let title =
            format!("{} used, {} unused, {} not observable of {} granted", p.used, p.unused, p.unobservable, p.granted);
        let bar = svg::proportion_bar(
            &title,
            &[
                Segment { value: p.used as u64, class: "seg-used" },
                Segment { value: p.unused as u64, class: "seg-unused" },
                Segment { value: p.unobservable as u64, class: "seg-unobs" },
            ],
            granted,
        );
        let rec_class = if p.verified == Some(false) { " class=\"bad\"" } else { "" };
        let mut rec = format!("<span{rec_class}>{}</span>", escape(&recommendation(p)));
        for file in &p.policy_files {
            match relative_href(file) {
                Some(href) => rec.push_str(&format!("<div><a href=\"{href}\">{}</a></div>", code(file))),
                None => rec.push_str(&format!("<div>{}</div>", code(file))),
            }
        }
        h.push_str(&format!(
            "<tr><td class=\"arn\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"nowrap\">{}<span class=\"small\">{}</span></td><td>{}</td><td class=\"rec\">{}</td></tr>\n",
            code(&p.arn),
            escape(&p.kind),
            group_digits(granted),
            group_digits(p.used as u64),
            group_digits(p.unused as u64),
            group_digits(p.unobservable as u64),
            group_digits(p.denied as u64),
            bar,
            escape(&used_share(p)),
            or_dash(p.confidence.as_deref()),
            rec
        ));
    }
    h.push_str("</tbody>\n</table>\n");
    if !d.shared_roles.is_empty() {
        h.push_str("<h3>People behind shared roles</h3>\n<ul>\n");
        for r in &d.shared_roles {
            h.push_str(&format!("<li>{} {}", escape(&r.summary), code(&r.role)));
            if r.groups.len() > 1 {
                h.push_str("<ul>");
                for g in &r.groups {
                    h.push_str(&format!("<li>{}</li>", escape(g)));
                }
                h.push_str("</ul>");
            }
            h.push_str("</li>\n");
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</section>\n");
}

fn html_activity(h: &mut String, d: &ComplianceData) {
    open_section(h, "Activity");
    h.push_str("<h3>Events per day</h3>\n");
    if d.activity_by_day.is_empty() {
        empty_html(h, "No events in this window.");
    } else {
        h.push_str("<p class=\"legend\"><span><i class=\"sw sw-ok\"></i>succeeded</span><span><i class=\"sw sw-err\"></i>failed (other errors)</span><span><i class=\"sw sw-denied\"></i>access denied</span></p>\n");
        let day_label = |date: &str| if date.len() == 10 { date[5..].to_owned() } else { date.to_owned() };
        let cols: Vec<Column> = d
            .activity_by_day
            .iter()
            .map(|day| {
                let (ok, err, denied) = day_parts(day);
                Column {
                    label: day_label(&day.date),
                    title: format!(
                        "{}: {}, {} failed, {} denied",
                        day.date,
                        plural(day.events, "event", "events"),
                        group_digits(day.errors),
                        group_digits(day.denied)
                    ),
                    segments: vec![
                        Segment { value: ok, class: "seg-ok" },
                        Segment { value: err, class: "seg-err" },
                        Segment { value: denied, class: "seg-denied" },
                    ],
                }
            })
            .collect();
        h.push_str(&svg::column_chart("Events per day", "day", &cols));
        h.push('\n');
        // Failures are usually a small share of all events: give them their own scale.
        if d.activity_by_day.iter().any(|day| day.errors > 0 || day.denied > 0) {
            h.push_str("<h3>Failed and denied calls per day</h3>\n");
            let err_cols: Vec<Column> = cols
                .iter()
                .map(|c| Column { label: c.label.clone(), title: c.title.clone(), segments: c.segments[1..].to_vec() })
                .collect();
            h.push_str(&svg::column_chart("Failed and denied calls per day", "day-errors", &err_cols));
            h.push('\n');
        }
        h.push_str("<details><summary>Daily counts as a table</summary>\n<table>\n<thead><tr><th scope=\"col\">Date</th><th scope=\"col\" class=\"num\">Events</th><th scope=\"col\" class=\"num\">Failed</th><th scope=\"col\" class=\"num\">Denied</th></tr></thead>\n<tbody>\n");
        for day in &d.activity_by_day {
            h.push_str(&format!(
                "<tr><td class=\"nowrap\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                escape(&day.date),
                group_digits(day.events),
                group_digits(day.errors),
                group_digits(day.denied)
            ));
        }
        h.push_str("</tbody>\n</table>\n</details>\n");
    }

    h.push_str("<h3>Events by service</h3>\n");
    if d.activity_by_service.is_empty() {
        empty_html(h, "No events in this window.");
    } else {
        let rows: Vec<(String, u64)> =
            d.activity_by_service.iter().take(TOP_SERVICES).map(|s| (s.service.clone(), s.events)).collect();
        h.push_str(&svg::bar_chart("Events by service", "svc", &rows));
        h.push('\n');
        let rest = &d.activity_by_service[rows.len()..];
        if !rest.is_empty() {
            h.push_str(&format!(
                "<p class=\"small\">and {} more {} with {}.</p>\n",
                group_digits(rest.len() as u64),
                if rest.len() == 1 { "service" } else { "services" },
                plural(rest.iter().map(|s| s.events).sum(), "event", "events")
            ));
        }
        let total = services_total(d);
        h.push_str("<details><summary>All services as a table</summary>\n<table>\n<thead><tr><th scope=\"col\">Service</th><th scope=\"col\" class=\"num\">Events</th><th scope=\"col\" class=\"num\">Share</th></tr></thead>\n<tbody>\n");
        for s in &d.activity_by_service {
            h.push_str(&format!(
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                code(&s.service),
                group_digits(s.events),
                escape(&percent(s.events, total))
            ));
        }
        h.push_str("</tbody>\n</table>\n</details>\n");
    }
    h.push_str("</section>\n");
}

fn html_credentials(h: &mut String, d: &ComplianceData) {
    open_section(h, "Credentials");
    if d.credentials.is_empty() {
        empty_html(h, credentials_empty_text(d));
    } else {
        h.push_str("<table>\n<thead><tr><th scope=\"col\">User</th><th scope=\"col\">Kind</th><th scope=\"col\">Detail</th></tr></thead>\n<tbody>\n");
        for c in &d.credentials {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                code(&c.user),
                escape(&c.kind),
                escape(&c.detail)
            ));
        }
        h.push_str("</tbody>\n</table>\n");
    }
    h.push_str("</section>\n");
}

fn html_notes(h: &mut String, d: &ComplianceData) {
    open_section(h, "Notes");
    if d.notes.is_empty() {
        empty_html(h, "None.");
    } else {
        h.push_str("<ul>\n");
        for n in &d.notes {
            h.push_str(&format!("<li>{}</li>\n", escape(n)));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::compliance::sample::{s, sample};
    use crate::report::compliance::{DayActivity, ServiceActivity};

    /// The values of every `name="..."` attribute in `html`.
    fn attribute_values<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
        let needle = format!(" {name}=\"");
        html.match_indices(&needle)
            .map(|(i, _)| {
                let rest = &html[i + needle.len()..];
                &rest[..rest.find('"').expect("attribute is closed")]
            })
            .collect()
    }

    #[test]
    fn html_fetches_nothing_from_the_network() {
        let mut d = sample();
        d.notes.push(s("see https://example.com/x.js and http://example.com/y.css"));
        d.principals[0].policy_files.push(s("https://example.com/policy.json"));
        d.principals[0].policy_files.push(s("javascript:alert(1)"));
        let html = render_html(&d);
        for attr in ["src", "href", "xlink:href", "action", "srcset"] {
            for v in attribute_values(&html, attr) {
                let v = v.to_ascii_lowercase();
                assert!(
                    !v.contains("://") && !v.starts_with("//") && !v.contains(':'),
                    "{attr}=\"{v}\" points outside the report"
                );
            }
        }
        for forbidden in ["<link", "<img", "<script", "<iframe", "<object", "<embed", "@import", "url(", "<base"] {
            assert!(!html.to_ascii_lowercase().contains(forbidden), "{forbidden} in the page");
        }
        // The URLs in data are shown as text only.
        assert!(html.contains("<li>see https://example.com/x.js and http://example.com/y.css</li>"));
        assert!(html.contains("<div><code>https://example.com/policy.json</code></div>"));
        // Without URLs in the data there are none at all (inline SVG needs no xmlns).
        let clean = render_html(&sample());
        assert!(!clean.contains("http://") && !clean.contains("https://"));
        assert!(clean.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    }

    #[test]
    fn policy_files_are_relative_links() {
        let html = render_html(&sample());
        assert!(html.contains(
            "<a href=\"policies/111122223333/roles/reporting.json\"><code>policies/111122223333/roles/reporting.json</code></a>"
        ));
        let hrefs = attribute_values(&html, "href");
        assert!(hrefs.iter().filter(|h| !h.starts_with('#')).all(|h| h.starts_with("policies/")), "{hrefs:?}");
    }

    #[test]
    fn one_svg_column_per_day() {
        let d = sample();
        let html = render_html(&d);
        assert_eq!(html.matches("<g class=\"day\">").count(), d.activity_by_day.len());
        assert_eq!(html.matches("<g class=\"day-errors\">").count(), d.activity_by_day.len());
        assert_eq!(html.matches("<g class=\"svc\">").count(), d.activity_by_service.len());
        // A year of days still gives one column each, and the services chart stops at the top 15.
        let mut big = sample();
        big.activity_by_day = (0..365)
            .map(|i| DayActivity { date: format!("day{i:03}"), events: i * 10, errors: 0, denied: 0 })
            .collect();
        big.activity_by_service =
            (0..40).map(|i| ServiceActivity { service: format!("svc{i:02}.amazonaws.com"), events: 100 - i }).collect();
        let html = render_html(&big);
        assert_eq!(html.matches("<g class=\"day\">").count(), 365);
        assert_eq!(html.matches("<g class=\"day-errors\">").count(), 0, "no failures, no failures chart");
        assert_eq!(html.matches("<g class=\"svc\">").count(), TOP_SERVICES);
        assert!(html.contains("and 25 more services with 1,825 events."));
    }

    #[test]
    fn golden_html_report() {
        // Open tests/golden/compliance_report.html in a browser to look at it.
        let html = render_html(&sample());
        crate::report::golden::assert_golden("tests/golden/compliance_report.html", &html);
    }
}
