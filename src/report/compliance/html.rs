//! The HTML renderer: one self-contained page from maud templates (every value is escaped unless
//! it is wrapped in `PreEscaped`, which only the fixed CSS, the fixed script and the SVG charts of
//! `report::svg` are). Inline CSS and script, inline SVG charts, and a Content-Security-Policy
//! that forbids fetching anything and runs only the page's own script (by its hash).
//!
//! Layout: incidents first with their timelines, then findings, hygiene, least privilege (a table
//! and one section per principal: granted vs used vs proposed, the proposed policy to download,
//! escalation paths), activity, credentials and notes. Tables sort by a click on a column and
//! filter through their search box (`page.js`); below 720 px wide the tables become stacked
//! rows (`page.css`), so nothing scrolls sideways at 400 px.

use super::checks::{attention_summary, hygiene_checks};
use super::view::*;
use super::{ComplianceData, IncidentRow, PrincipalStatus, GENERATED_NOTE, SECTIONS};
use crate::report::html::relative_href;
use crate::report::svg::{self, group_digits, Column, Segment};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use sha2::{Digest, Sha256};

/// Services drawn in the HTML bar chart; the rest are summed up below it.
const TOP_SERVICES: usize = 15;
/// Above this many, a principal's unused actions are shown as counts per service only.
const MAX_LISTED_ACTIONS: usize = 300;
const CSS: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// The page's Content-Security-Policy: nothing may be fetched; inline styles; only the script
/// whose hash this is may run, so even an escaping bug could not run injected script.
fn content_security_policy() -> String {
    let hash = base64(&Sha256::digest(SCRIPT.as_bytes()));
    format!("default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}'")
}

/// Standard base64 with padding (the CSP hash source format).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Render the report as one self-contained HTML page.
pub fn render_html(d: &ComplianceData) -> String {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="Content-Security-Policy" content=(content_security_policy());
                title { "Compliance report: account " (d.account_id) }
                style { (PreEscaped(CSS)) }
            }
            body {
                (header(d))
                main {
                    (summary(d))
                    (incidents(d))
                    (findings(d))
                    (hygiene(d))
                    (least_privilege(d))
                    (activity(d))
                    (credentials(d))
                    (notes(d))
                }
                footer { (GENERATED_NOTE) }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    break_lines(&page.into_string())
}

/// Templates write the page on one line; a line break after each closing block tag keeps the
/// golden file and its diffs readable. Only markup gets one: data is escaped, so `</tr>` and the
/// like never come from it, and the breaks fall where HTML ignores white space.
fn break_lines(html: &str) -> String {
    const BLOCKS: [&str; 14] = [
        "</head>",
        "</header>",
        "</section>",
        "</article>",
        "</h2>",
        "</h3>",
        "</h4>",
        "</p>",
        "</thead>",
        "</tr>",
        "</table>",
        "</li>",
        "</details>",
        "</style>",
    ];
    let mut out = html.replacen("<!DOCTYPE html>", "<!DOCTYPE html>\n", 1);
    for tag in BLOCKS {
        out = out.replace(tag, &format!("{tag}\n"));
    }
    out.push('\n');
    out
}

pub(super) fn section_id(title: &str) -> String {
    title.to_ascii_lowercase().replace(' ', "-")
}

fn section(title: &str, body: Markup) -> Markup {
    html! {
        section id=(section_id(title)) {
            h2 { (title) }
            (body)
        }
    }
}

fn empty(text: &str) -> Markup {
    html! { p.empty { (text) } }
}

fn or_dash(s: Option<&str>) -> &str {
    s.filter(|s| !s.is_empty()).unwrap_or("—")
}

fn severity_badge(severity: &str) -> Markup {
    html! { span class={ "sev " (severity_class(severity)) } { (severity) } }
}

/// The search box that filters the rows of table `table_id` (see `page.js`).
fn filter_box(table_id: &str, what: &str) -> Markup {
    html! {
        div.filter {
            input type="search" placeholder={ "Filter " (what) "…" } aria-label={ "Filter " (what) } data-table=(table_id);
            span.count id={ (table_id) "-count" } aria-live="polite" {}
        }
    }
}

/// A header row; `true` marks a numeric column.
fn head(cols: &[(&str, bool)]) -> Markup {
    html! {
        thead {
            tr {
                @for (c, num) in cols {
                    @if *num { th.num scope="col" { (c) } } @else { th scope="col" { (c) } }
                }
            }
        }
    }
}

fn header(d: &ComplianceData) -> Markup {
    html! {
        header {
            h1 { "trailtrim compliance report" }
            p.meta {
                "Account " strong { code { (d.account_id) } } " · " (d.window_from) " to " (d.window_to) " · "
                (plural(d.events, "event", "events"))
            }
            p.meta.small { (GENERATED_NOTE) }
            nav { @for s in SECTIONS { a href={ "#" (section_id(s)) } { (s) } } }
        }
    }
}

fn card(label: &str, value: &str, sub: Markup) -> Markup {
    html! {
        div.card { div.label { (label) } div.value { (value) } div.sub { (sub) } }
    }
}

fn summary(d: &ComplianceData) -> Markup {
    let (counts, other) = severity_counts(d);
    let t = totals(d);
    let checks = hygiene_checks(&d.hygiene);
    let (attention, of) = attention_summary(&checks);
    section(
        "Summary",
        html! {
            div.cards {
                (card("Incidents", &group_digits(d.incidents.len() as u64), html! { "findings joined into stories" }))
                (card("Findings", &group_digits(d.findings.len() as u64), html! {
                    @for (s, n) in SEVERITIES.iter().zip(counts) { span class={ "sev " (severity_class(s)) } { (s) " " (n) } }
                    @if other > 0 { span.sev.sev-unknown { "other " (other) } }
                }))
                (card("Principals", &group_digits(d.principals.len() as u64), html! {
                    (group_digits(t.with_unused as u64)) " with unused permissions"
                }))
                (card("Granted permissions unused", &percent(t.unused, t.granted), html! {
                    (group_digits(t.unused)) " of " (group_digits(t.granted)) " granted, across all principals"
                }))
                (card("Account hygiene", &attention.to_string(), html! { (of) }))
                (card("Events analysed", &group_digits(d.events), html! { (d.window_from) " to " (d.window_to) }))
            }
        },
    )
}

fn incidents(d: &ComplianceData) -> Markup {
    let list = sorted_incidents(d);
    section(
        "Incidents",
        html! {
            @if list.is_empty() {
                (empty("No incidents in this window."))
            } @else {
                p.small { "Most severe first. Each timeline lists the incident's findings in time order." }
                @for (n, i) in list.iter().enumerate() { (incident(d, n + 1, i)) }
            }
        },
    )
}

fn incident(d: &ComplianceData, n: usize, i: &IncidentRow) -> Markup {
    html! {
        article.incident id={ "incident-" (n) } {
            h3 { (severity_badge(&i.severity)) " " (i.title) }
            p.meta {
                (i.first_seen) " to " (i.last_seen) " · " (plural(i.events as u64, "event", "events")) " · " code { (i.id) }
            }
            @if !i.principals.is_empty() {
                p { "Principals: " @for p in &i.principals { code { (p) } " " } }
            }
            @if !i.tactics.is_empty() {
                p.tactics.small {
                    "Tactics: "
                    @for (k, t) in i.tactics.iter().enumerate() { @if k > 0 { " → " } span { (t) } }
                }
            }
            ol.timeline {
                @for (id, f) in timeline(d, i) {
                    li {
                        @match f {
                            Some(f) => {
                                time.nowrap { (f.first_seen) }
                                (severity_badge(&f.severity)) " " strong { (f.summary) }
                                div.small {
                                    (f.detector) " · " code { (id) }
                                    @if let (Some(who), _) = finding_who(f) { " · " code { (who) } }
                                }
                            }
                            None => { code { (id) } " " span.small { "(finding not in this report)" } }
                        }
                    }
                }
            }
        }
    }
}

fn findings(d: &ComplianceData) -> Markup {
    section(
        "Findings",
        html! {
            @if d.findings.is_empty() {
                (empty("No findings in this window."))
            } @else {
                (filter_box("findings-table", "findings"))
                table #findings-table .sortable {
                    caption { "Sorted by severity, then first seen." }
                    (head(&[("Severity", false), ("Finding", false), ("Principal", false), ("MITRE ATT&CK", false),
                        ("First seen", false), ("Last seen", false), ("Events", true)]))
                    tbody {
                        @for f in sorted_findings(d) {
                            @let (who, actor) = finding_who(f);
                            tr {
                                td data-label="Severity" data-sort=(severity_rank(&f.severity)) { (severity_badge(&f.severity)) }
                                td data-label="Finding" {
                                    (f.summary) div.small { (f.detector) " · " code { (f.id) } }
                                }
                                td.arn data-label="Principal" {
                                    @match who { Some(w) => code { (w) }, None => "—" }
                                    @if let Some(a) = actor { div.small { "actor " code { (a) } } }
                                }
                                td.nowrap data-label="MITRE ATT&CK" { (or_dash(Some(&f.mitre))) }
                                td.nowrap data-label="First seen" { (f.first_seen) }
                                td.nowrap data-label="Last seen" { (f.last_seen) }
                                td.num data-label="Events" data-sort=(f.events) { (group_digits(f.events as u64)) }
                            }
                        }
                    }
                }
            }
        },
    )
}

fn hygiene(d: &ComplianceData) -> Markup {
    section(
        "Account hygiene",
        html! {
            table {
                (head(&[("Check", false), ("Status", false), ("Detail", false)]))
                tbody {
                    @for c in hygiene_checks(&d.hygiene) {
                        tr {
                            th scope="row" { (c.name) }
                            td data-label="Status" { span class={ "status " (c.status.css()) } { (c.status.word()) } }
                            td data-label="Detail" {
                                (c.detail)
                                @if !c.items.is_empty() { div.items { @for i in c.items { code { (i) } } } }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// The anchor of a principal's own section, by its place in the least-privilege table.
fn principal_anchor(n: usize) -> String {
    format!("principal-{n}")
}

fn least_privilege(d: &ComplianceData) -> Markup {
    let principals = sorted_principals(d);
    section(
        "Least privilege",
        html! {
            @if principals.is_empty() {
                (empty("No principals in the IAM data."))
            } @else {
                p.legend {
                    span { i.sw.sw-used {} "used" }
                    span { i.sw.sw-unused {} "granted, unused" }
                    span { i.sw.sw-unobs {} "granted, not observable in CloudTrail" }
                }
                (filter_box("principals-table", "principals"))
                table #principals-table .sortable {
                    caption { "Most unused permissions first. Denied: actions attempted but not granted." }
                    (head(&[("Principal", false), ("Kind", false), ("Granted", true), ("Used", true), ("Unused", true),
                        ("Not observable", true), ("Denied", true), ("Granted vs used", false), ("Confidence", false),
                        ("Recommendation", false)]))
                    tbody {
                        @for (n, p) in principals.iter().enumerate() { (principal_row(n + 1, p)) }
                    }
                }
                @if !d.shared_roles.is_empty() {
                    h3 { "People behind shared roles" }
                    ul {
                        @for r in &d.shared_roles {
                            li {
                                (r.summary) " " code { (r.role) }
                                @if r.groups.len() > 1 { ul { @for g in &r.groups { li { (g) } } } }
                            }
                        }
                    }
                }
                h3 { "Per principal" }
                p.small { "Granted against used against proposed, the proposed policy to download, and the known privilege-escalation paths its permissions enable." }
                @for (n, p) in principals.iter().enumerate() { (principal_details(n + 1, p)) }
            }
        },
    )
}

fn principal_row(n: usize, p: &PrincipalStatus) -> Markup {
    let title =
        format!("{} used, {} unused, {} not observable of {} granted", p.used, p.unused, p.unobservable, p.granted);
    let bar = svg::proportion_bar(
        &title,
        &[
            Segment { value: p.used as u64, class: "seg-used" },
            Segment { value: p.unused as u64, class: "seg-unused" },
            Segment { value: p.unobservable as u64, class: "seg-unobs" },
        ],
        p.granted as u64,
    );
    html! {
        tr {
            td.arn data-label="Principal" { a href={ "#" (principal_anchor(n)) } { code { (p.arn) } } }
            td data-label="Kind" { (p.kind) }
            td.num data-label="Granted" data-sort=(p.granted) { (group_digits(p.granted as u64)) }
            td.num data-label="Used" data-sort=(p.used) { (group_digits(p.used as u64)) }
            td.num data-label="Unused" data-sort=(p.unused) { (group_digits(p.unused as u64)) }
            td.num data-label="Not observable" data-sort=(p.unobservable) { (group_digits(p.unobservable as u64)) }
            td.num data-label="Denied" data-sort=(p.denied) { (group_digits(p.denied as u64)) }
            td.nowrap data-label="Granted vs used" { (PreEscaped(bar)) span.small { (used_share(p)) } }
            td data-label="Confidence" { (or_dash(p.confidence.as_deref())) }
            td.rec data-label="Recommendation" {
                @if p.verified == Some(false) { span.bad { (recommendation(p)) } } @else { span { (recommendation(p)) } }
                @for file in &p.policy_files {
                    div {
                        @match relative_href(file) {
                            Some(href) => a href=(PreEscaped(href)) { code { (file) } },
                            None => code { (file) },
                        }
                    }
                }
            }
        }
    }
}

fn action_list(actions: &[String]) -> Markup {
    html! {
        ul.actions {
            @for (service, n) in by_service(actions) {
                li {
                    strong { (service) } " (" (n) ")"
                    @if actions.len() <= MAX_LISTED_ACTIONS {
                        ": "
                        @for a in actions.iter().filter(|a| a.split_once(':').map_or(a.as_str(), |(s, _)| s) == service) {
                            code { (a) } " "
                        }
                    }
                }
            }
        }
    }
}

fn principal_details(n: usize, p: &PrincipalStatus) -> Markup {
    let used_escalation = p.escalation.iter().filter(|e| e.used).count();
    html! {
        details.principal id=(principal_anchor(n)) {
            summary {
                code { (p.arn) } " " span.small { (p.kind) " · " (used_share(p)) }
                @if !p.escalation.is_empty() {
                    " " span.sev.sev-high { (plural(p.escalation.len() as u64, "escalation path", "escalation paths")) }
                }
            }
            div.gup {
                div { "Granted" b { (group_digits(p.granted as u64)) } span.small { "actions" } }
                div { "Used" b { (group_digits(p.used as u64)) } span.small { (used_share(p)) } }
                div { "Proposed" b { (proposed_summary(p)) } span.small { (recommendation(p)) } }
            }
            h4 { "Used (" (p.used_actions.len()) ")" }
            @if p.used_actions.is_empty() { (empty("No granted action was used in this window.")) }
            @else { (action_list(&p.used_actions)) }
            h4 { "Granted, never used (" (p.unused_actions.len()) ")" }
            @if p.unused_actions.is_empty() { (empty("None.")) }
            @else {
                (action_list(&p.unused_actions))
                @if p.unused_actions.len() > MAX_LISTED_ACTIONS {
                    p.small { "Counted per service; the full list is in the recommendation's report." }
                }
            }
            h4 { "Proposed policy" }
            @if p.proposed.is_empty() { (empty(&proposed_summary(p))) }
            @for doc in &p.proposed {
                p { a.download href=(json_data_uri(&doc.json)) download=(doc.name) { "Download " (doc.name) } }
                pre { code { (doc.json) } }
            }
            h4 { "Escalation paths" }
            @if p.escalation.is_empty() {
                (empty("Its permissions enable no known privilege-escalation path."))
            } @else {
                p.small {
                    (plural(p.escalation.len() as u64, "known path its permissions enable", "known paths its permissions enable"))
                    @if used_escalation > 0 { "; " span.bad { (used_escalation) " used in this window" } }
                    ". A granted path is a possibility to review, not a proof: its prerequisites are not checked."
                }
                table {
                    (head(&[("Path", false), ("Category", false), ("Used", false)]))
                    tbody {
                        @for e in &p.escalation {
                            tr {
                                td data-label="Path" { (e.name) div.small { code { (e.id) } } }
                                td data-label="Category" { (e.category) }
                                td data-label="Used" { @if e.used { span.bad { "used" } } @else { "not used" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn activity(d: &ComplianceData) -> Markup {
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
    // Failures are usually a small share of all events: give them their own scale.
    let err_cols: Vec<Column> = cols
        .iter()
        .map(|c| Column { label: c.label.clone(), title: c.title.clone(), segments: c.segments[1..].to_vec() })
        .collect();
    let any_failures = d.activity_by_day.iter().any(|day| day.errors > 0 || day.denied > 0);
    let top: Vec<(String, u64)> =
        d.activity_by_service.iter().take(TOP_SERVICES).map(|s| (s.service.clone(), s.events)).collect();
    let rest = &d.activity_by_service[top.len()..];
    let total = services_total(d);
    section(
        "Activity",
        html! {
            h3 { "Events per day" }
            @if d.activity_by_day.is_empty() {
                (empty("No events in this window."))
            } @else {
                p.legend {
                    span { i.sw.sw-ok {} "succeeded" }
                    span { i.sw.sw-err {} "failed (other errors)" }
                    span { i.sw.sw-denied {} "access denied" }
                }
                (PreEscaped(svg::column_chart("Events per day", "day", &cols)))
                @if any_failures {
                    h3 { "Failed and denied calls per day" }
                    (PreEscaped(svg::column_chart("Failed and denied calls per day", "day-errors", &err_cols)))
                }
                details {
                    summary { "Daily counts as a table" }
                    table.sortable {
                        (head(&[("Date", false), ("Events", true), ("Failed", true), ("Denied", true)]))
                        tbody {
                            @for day in &d.activity_by_day {
                                tr {
                                    td.nowrap data-label="Date" { (day.date) }
                                    td.num data-label="Events" data-sort=(day.events) { (group_digits(day.events)) }
                                    td.num data-label="Failed" data-sort=(day.errors) { (group_digits(day.errors)) }
                                    td.num data-label="Denied" data-sort=(day.denied) { (group_digits(day.denied)) }
                                }
                            }
                        }
                    }
                }
            }
            h3 { "Events by service" }
            @if d.activity_by_service.is_empty() {
                (empty("No events in this window."))
            } @else {
                (PreEscaped(svg::bar_chart("Events by service", "svc", &top)))
                @if !rest.is_empty() {
                    p.small {
                        "and " (group_digits(rest.len() as u64)) " more " (if rest.len() == 1 { "service" } else { "services" })
                        " with " (plural(rest.iter().map(|s| s.events).sum(), "event", "events")) "."
                    }
                }
                details {
                    summary { "All services as a table" }
                    table.sortable {
                        (head(&[("Service", false), ("Events", true), ("Share", true)]))
                        tbody {
                            @for s in &d.activity_by_service {
                                tr {
                                    td data-label="Service" { code { (s.service) } }
                                    td.num data-label="Events" data-sort=(s.events) { (group_digits(s.events)) }
                                    td.num data-label="Share" data-sort=(s.events) { (percent(s.events, total)) }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

fn credentials(d: &ComplianceData) -> Markup {
    section(
        "Credentials",
        html! {
            @if d.credentials.is_empty() {
                (empty(credentials_empty_text(d)))
            } @else {
                (filter_box("credentials-table", "credentials"))
                table #credentials-table .sortable {
                    (head(&[("User", false), ("Kind", false), ("Detail", false)]))
                    tbody {
                        @for c in &d.credentials {
                            tr {
                                td data-label="User" { code { (c.user) } }
                                td data-label="Kind" { (c.kind) }
                                td data-label="Detail" { (c.detail) }
                            }
                        }
                    }
                }
            }
        },
    )
}

fn notes(d: &ComplianceData) -> Markup {
    section(
        "Notes",
        html! {
            @if d.notes.is_empty() {
                (empty("None."))
            } @else {
                ul { @for n in &d.notes { li { (n) } } }
            }
        },
    )
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
                // A proposed policy's download link holds the document itself.
                let v = v.strip_prefix("data:application/json;charset=utf-8,").unwrap_or(&v);
                assert!(
                    !v.contains("://") && !v.starts_with("//") && !v.contains(':'),
                    "{attr}=\"{v}\" points outside the report"
                );
            }
        }
        // One script, inline: the page's own.
        assert_eq!(html.matches("<script").count(), 1);
        assert!(html.contains("<script>// Sorting and filtering"));
        for forbidden in ["<link", "<img", "<script src", "<iframe", "<object", "<embed", "@import", "url(", "<base"] {
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
        let files: Vec<&&str> = hrefs.iter().filter(|h| !h.starts_with('#') && !h.starts_with("data:")).collect();
        // In the table's order: most unused permissions first.
        assert_eq!(files, [&"policies/111122223333/roles/reporting.json", &"policies/111122223333/users/alice.json"]);
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
    fn csp_runs_only_the_pages_own_script() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        // SHA-256 of "abc", base64 (FIPS 180-2 test vector).
        assert_eq!(base64(&Sha256::digest(b"abc")), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
        let html = render_html(&sample());
        let csp = content_security_policy();
        assert!(csp.starts_with("default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-"));
        assert!(html.contains(&format!("content=\"{csp}\"")));
        assert!(html.contains(&format!("<script>{SCRIPT}</script>")), "the hashed text is the script's whole text");
        assert!(!SCRIPT.contains("</"), "the script cannot end its element early");
    }

    #[test]
    fn incidents_come_first_with_their_timelines() {
        let html = render_html(&sample());
        let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} missing"));
        assert!(at("<h2>Incidents</h2>") < at("<h2>Findings</h2>"));
        assert_eq!(html.matches("<article class=\"incident\"").count(), 2);
        // Critical first; the high one's timeline has its two findings and the unknown id.
        assert!(at("Root user activity</h3>") < at("Denied burst, then a console sign-in without MFA</h3>"));
        let high = &html[at("id=\"incident-2\"")..];
        let timeline = &high[..high.find("</ol>").unwrap()];
        assert_eq!(timeline.matches("<li>").count(), 3);
        assert!(timeline.find("<code>F-0002</code>") < timeline.find("<code>F-0003</code>"));
        assert!(timeline.contains("<code>F-9999</code> <span class=\"small\">(finding not in this report)</span>"));
        assert!(high.contains("Tactics: <span>Discovery</span> → <span>Initial Access</span>"));
    }

    #[test]
    fn each_principal_has_its_section_with_policy_and_escalation() {
        let d = sample();
        let html = render_html(&d);
        assert_eq!(html.matches("<details class=\"principal\"").count(), d.principals.len());
        // Table rows link to the sections, in the table's order (most unused first: reporting).
        assert!(html.contains("<a href=\"#principal-1\"><code>arn:aws:iam::111122223333:role/reporting</code></a>"));
        let reporting = &html[html.find("id=\"principal-1\"").unwrap()..];
        let reporting = &reporting[..reporting.find("</details>").unwrap()];
        assert!(reporting.contains("<b>keeps 6 of 88 granted actions</b>"));
        assert!(reporting.contains(
            "<li><strong>iam</strong> (2): <code>iam:CreatePolicyVersion</code> <code>iam:PassRole</code> </li>"
        ));
        assert!(reporting.contains(
            "<a class=\"download\" href=\"data:application/json;charset=utf-8,%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%5B%5D%7D\" download=\"reporting.json\">"
        ));
        assert!(reporting.contains("<span class=\"sev sev-high\">2 escalation paths</span>"));
        assert!(reporting.contains("<span class=\"bad\">1 used in this window</span>"));
        assert_eq!(reporting.matches("<td data-label=\"Category\">").count(), 2);
        // Without a recommendation or paths, the section says so.
        let ci = &html[html.find("id=\"principal-3\"").unwrap()..];
        assert!(ci.contains("<p class=\"empty\">no recommendation</p>"));
        assert!(ci.contains("Its permissions enable no known privilege-escalation path."));
        // Many unused actions: counts per service only.
        let mut big = sample();
        big.principals[1].unused_actions = (0..400).map(|i| format!("s3:Action{i:03}")).collect();
        let html = render_html(&big);
        assert!(html.contains("<li><strong>s3</strong> (400)</li>") && !html.contains("s3:Action000"));
    }

    #[test]
    fn filterable_tables_have_their_search_box() {
        let html = render_html(&sample());
        for table in ["findings-table", "principals-table", "credentials-table"] {
            assert!(html.contains(&format!("<table class=\"sortable\" id=\"{table}\">")), "{table}");
            assert!(html.contains(&format!("data-table=\"{table}\">")), "{table} has no search box");
            assert!(html.contains(&format!("<span class=\"count\" id=\"{table}-count\"")));
        }
        // Every body cell of a stacked (narrow) table names its column.
        let findings = &html[html.find("id=\"findings-table\"").unwrap()..];
        let findings = &findings[..findings.find("</table>").unwrap()];
        assert_eq!(
            findings.matches("<td").count(),
            findings.matches("<td class=\"").count() + findings.matches("<td data-label=").count()
        );
        assert_eq!(findings.matches("<td").count(), findings.matches("data-label=").count());
    }

    #[test]
    fn page_breaks_lines_only_after_block_tags() {
        let html = render_html(&sample());
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\"><head>"));
        assert!(html.lines().count() > 100 && html.lines().all(|l| l.len() < 20_000));
        assert!(html.ends_with("</html>\n"));
        // The policy text keeps its own lines only.
        let json = &sample().principals[0].proposed[0].json;
        assert!(html.contains(&format!("<pre><code>{}</code></pre>", maud::html! { (json) }.into_string())));
    }

    #[test]
    fn golden_html_report() {
        // Open tests/golden/compliance_report.html in a browser to look at it.
        let html = render_html(&sample());
        crate::report::golden::assert_golden("tests/golden/compliance_report.html", &html);
    }
}
