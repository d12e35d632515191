//! report.md and the CSV summary (deterministic: input order, which `recommend_all` sorts).

use std::fmt::Write;

use super::{DiffLine, Recommendation};
use std::collections::{BTreeMap, BTreeSet};

/// The Markdown report: per principal the granted-versus-used diff in the style of cloudtracker
/// (`  ` used, `- ` unused, `? ` unobservable, `+ ` used but no longer granted) and the proposal.
pub fn render_markdown(recs: &[Recommendation]) -> String {
    let mut s = String::new();
    s.push_str("# trailtrim least-privilege recommendations\n\n");
    s.push_str(
        "Markers: two spaces = used, `-` = granted but unused, `?` = granted but not observable in CloudTrail, `+` = used but no longer granted.\n",
    );
    summary(&mut s, recs);
    for r in recs {
        principal(&mut s, r);
    }
    s
}

/// One row per principal: what an administrator reads first.
fn summary(s: &mut String, recs: &[Recommendation]) {
    s.push_str(
        "\n| Principal | Granted -> proposed actions | Removed | Confidence | Notes |\n|---|---:|---:|---|---|\n",
    );
    for r in recs {
        // The ARN's resource part (`role/service/app-server-role`): the account is in the sections.
        let name = crate::arn::Arn::get(&r.arn).map_or(r.arn.as_str(), |a| a.resource);
        let kept = r.granted_actions.saturating_sub(r.removed_actions);
        let pct = if r.granted_actions == 0 {
            0
        } else {
            (r.removed_actions * 100 + r.granted_actions / 2) / r.granted_actions
        };
        let mut notes: Vec<String> = Vec::new();
        if !r.ok {
            notes.push("not written: verification failed".into());
        } else if r.documents.is_empty() {
            notes.push("no policy: nothing used".into());
        } else if r.file_stems.iter().any(|f| f.contains(".managed-")) {
            notes.push(format!(
                "{} managed {}",
                r.documents.len(),
                if r.documents.len() == 1 { "policy" } else { "policies" }
            ));
        }
        let incidents = r.incident_only.iter().filter(|u| u.resources.is_empty()).count();
        if incidents > 0 {
            notes.push(format!("{incidents} incident-only action(s) left out"));
        }
        if r.unobservable_actions > 0 {
            notes.push(format!("{} unobservable", r.unobservable_actions));
        }
        if let Some(t) = r.trust.as_ref().filter(|t| !t.removed.is_empty()) {
            notes.push(format!("trust: {} principal(s) removed", t.removed.len()));
        }
        let _ = writeln!(
            s,
            "| `{name}` | {} -> {kept} | {pct}% | {} | {} |",
            r.granted_actions,
            r.confidence.as_str(),
            notes.join("; ")
        );
    }
}

/// At most this many lines per principal section besides the proposed policy documents (the
/// fenced JSON): a section an administrator reads. Lists fold (per service, then per marker) and
/// at last end in "... N more"; everything stays in recommendations.json.
pub const MAX_SECTION_LINES: usize = 60;

/// A part of a principal's section: a line, or a list that may be shortened to fit the budget.
enum Part {
    Line(String),
    List(List),
}

/// A list's lines in each of its forms, fullest first (later forms fold more), and the line that
/// stands for the lines cut from the last form.
struct List {
    forms: Vec<Vec<String>>,
    more: fn(usize) -> String,
    /// Lines the list gets before the others share the rest (at most half of the room).
    floor: usize,
}

impl List {
    fn new(lines: Vec<String>, more: fn(usize) -> String) -> List {
        List { forms: vec![lines], more, floor: 0 }
    }

    fn demand(&self) -> usize {
        self.forms[0].len()
    }

    /// The first form of at most `cap` lines, else the last one cut to `cap` lines, the last of
    /// which says how many were cut.
    fn fit(&self, cap: usize) -> Vec<String> {
        if let Some(f) = self.forms.iter().find(|f| f.len() <= cap) {
            return f.clone();
        }
        let last = self.forms.last().map(Vec::as_slice).unwrap_or_default();
        if cap == 0 {
            return Vec::new();
        }
        let mut out = last[..cap - 1].to_vec();
        out.push((self.more)(last.len() - (cap - 1)));
        out
    }
}

/// Shares of `budget` lines for lists wanting `demands`: the smallest get all they want, the
/// rest split what is left evenly (never more than `budget` in all).
fn allot(demands: &[usize], budget: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..demands.len()).collect();
    order.sort_by_key(|&i| (demands[i], i));
    let mut caps = vec![0; demands.len()];
    let mut left = budget;
    for (k, &i) in order.iter().enumerate() {
        let share = left / (order.len() - k);
        caps[i] = demands[i].min(share);
        left -= caps[i];
    }
    caps
}

/// The parts as lines, the lists shortened so that all fit in `budget` lines.
fn fit_parts(parts: Vec<Part>, budget: usize) -> Vec<String> {
    let fixed = parts.iter().filter(|p| matches!(p, Part::Line(_))).count();
    let lists: Vec<&List> = parts
        .iter()
        .filter_map(|p| match p {
            Part::List(l) => Some(l),
            Part::Line(_) => None,
        })
        .collect();
    let room = budget.saturating_sub(fixed);
    let mut demands: Vec<usize> = lists.iter().map(|l| l.demand()).collect();
    let mut fitted: Vec<Vec<String>> = Vec::new();
    // A list that folds to fewer lines than its share leaves the rest to the others: a few
    // rounds settle it (each round only lowers demands).
    for _ in 0..4 {
        let mut reserved = 0;
        let floors: Vec<usize> = lists
            .iter()
            .zip(&demands)
            .map(|(l, &d)| {
                let f = l.floor.min(d).min((room - reserved) / 2);
                reserved += f;
                f
            })
            .collect();
        let above: Vec<usize> = demands.iter().zip(&floors).map(|(d, f)| d - f).collect();
        let caps: Vec<usize> = allot(&above, room - reserved).iter().zip(&floors).map(|(c, f)| c + f).collect();
        fitted = lists.iter().zip(&caps).map(|(l, &c)| l.fit(c)).collect();
        let lower: Vec<usize> =
            demands.iter().zip(&caps).zip(&fitted).map(|((&d, &c), f)| if f.len() < c { f.len() } else { d }).collect();
        if lower == demands {
            break;
        }
        demands = lower;
    }
    let mut fitted = fitted.into_iter();
    let mut out = Vec::new();
    for p in parts {
        match p {
            Part::Line(l) => out.push(l),
            Part::List(_) => out.extend(fitted.next().unwrap_or_default()),
        }
    }
    out
}

/// A `### title` subsection: blank line, heading, blank line.
fn heading(parts: &mut Vec<Part>, title: &str) {
    parts.push(Part::Line(String::new()));
    parts.push(Part::Line(format!("### {title}")));
    parts.push(Part::Line(String::new()));
}

fn more_lines(n: usize) -> String {
    format!("... {n} more (each in recommendations.json)")
}

fn more_items(n: usize) -> String {
    format!("- ... {n} more (each in recommendations.json)")
}

fn more_sub_items(n: usize) -> String {
    format!("  - ... {n} more (each in recommendations.json)")
}

fn more_rows(n: usize) -> String {
    format!("| ... {n} more (each in recommendations.json) | | | | |")
}

fn principal(s: &mut String, r: &Recommendation) {
    let mut parts: Vec<Part> = Vec::new();
    fn line(parts: &mut Vec<Part>, l: String) {
        parts.push(Part::Line(l));
    }
    line(&mut parts, format!("## {}", r.arn));
    line(&mut parts, String::new());
    line(&mut parts, format!("- Kind: {} `{}` in account {}", r.kind.as_str(), r.name, r.account));
    line(&mut parts, format!("- Confidence: {}", r.confidence.as_str()));
    if !r.confidence_reasons.is_empty() {
        let reasons = r.confidence_reasons.iter().map(|x| format!("  - {x}")).collect();
        parts.push(Part::List(List::new(reasons, more_sub_items)));
    }
    line(
        &mut parts,
        format!(
            "- Actions: {} granted, {} used, {} removed, {} unobservable",
            r.granted_actions, r.used_actions, r.removed_actions, r.unobservable_actions
        ),
    );
    let v = &r.verification;
    line(
        &mut parts,
        format!(
            "- Verification: {} of {} observed calls ({} events) still allowed; broader than original: {}; static check: {}",
            v.still_allowed,
            v.replayed_calls,
            v.replayed_events,
            if v.broader_than_original { "yes" } else { "no" },
            match v.static_check {
                super::StaticCheck::Proved => "proved".to_string(),
                super::StaticCheck::Failed => match &v.counterexample {
                    Some(c) => format!("failed ({} on {} in {})", c.action, c.resource, c.statement),
                    None => "failed".to_string(),
                },
            }
        ),
    );
    if r.ok {
        if r.policy_files.is_empty() {
            line(&mut parts, "- Policy files: none".into());
        } else {
            line(&mut parts, format!("- Policy files: {}", backticked(&r.policy_files)));
        }
    } else {
        line(&mut parts, "- **Not written**: the proposal failed verification".into());
        if !v.failures.is_empty() {
            let failures = v.failures.iter().map(|f| format!("  - {f}")).collect();
            parts.push(Part::List(List::new(failures, more_sub_items)));
        }
    }

    heading(&mut parts, "Granted versus used");
    line(&mut parts, "```".into());
    let mut diff = List::new(folded_diff(&r.diff), more_lines);
    // The diff is what the section is about: it is cut last.
    diff.floor = 20;
    diff.forms.push(per_service_diff(&r.diff, false));
    diff.forms.push(per_service_diff(&r.diff, true));
    parts.push(Part::List(diff));
    line(&mut parts, "```".into());

    if !r.incident_only.is_empty() {
        heading(&mut parts, "Used only in incidents");
        let mut list = List::new(
            r.incident_only.iter().map(|u| format!("- `{}` ({} events): {}", u.action, u.events, u.note)).collect(),
            more_items,
        );
        list.forms.push(incidents_per_service(r));
        parts.push(Part::List(list));
    }
    if !r.dead_statements.is_empty() {
        heading(&mut parts, "Statements that matched no call");
        parts.push(Part::List(List::new(r.dead_statements.iter().map(|d| format!("- `{d}`")).collect(), more_items)));
    }
    if !r.sparse_wildcards.is_empty() {
        heading(&mut parts, "Wildcards exercised for few of their actions");
        let lines = r
            .sparse_wildcards
            .iter()
            .map(|w| {
                format!(
                    "- `{}` in `{}`: {} of {} actions used ({})",
                    w.pattern,
                    w.statement,
                    w.used.len(),
                    w.expands_to,
                    w.used.join(", ")
                )
            })
            .collect();
        parts.push(Part::List(List::new(lines, more_items)));
    }
    if !r.evidence.is_empty() {
        heading(&mut parts, "Evidence");
        line(&mut parts, "| Action | Events | First seen | Last seen | Allowed by |".into());
        line(&mut parts, "|---|---:|---|---|---|".into());
        let rows = r
            .evidence
            .iter()
            .map(|e| {
                format!(
                    "| {} | {} | {} | {} | {} |",
                    e.action,
                    e.count,
                    e.first_seen,
                    e.last_seen,
                    e.statements.join(", ")
                )
            })
            .collect();
        let mut list = List::new(rows, more_rows);
        list.forms.push(evidence_per_service(&r.evidence));
        parts.push(Part::List(list));
    }
    // The documents are the policy, outside the budget: each follows its title line.
    let mut documents: BTreeMap<String, String> = BTreeMap::new();
    if !r.documents.is_empty() {
        heading(&mut parts, "Proposed policy");
        for (i, d) in r.documents.iter().enumerate() {
            let title = match r.file_stems.get(i) {
                Some(stem) => format!("{stem}.json"),
                None => format!("document {}", i + 1),
            };
            let size = r.policy_sizes.get(i).copied().unwrap_or(0);
            let label = format!("`{title}` ({size} characters):");
            documents.insert(label.clone(), serde_json::to_string_pretty(d).unwrap_or_default());
            line(&mut parts, label);
        }
    }
    if let Some(t) = &r.trust {
        trust_section(&mut parts, t);
    }
    if !r.notes.is_empty() {
        heading(&mut parts, "Notes");
        parts.push(Part::List(List::new(r.notes.iter().map(|n| format!("- {n}")).collect(), more_items)));
    }
    // One line of the budget is the blank line between this section and the next.
    s.push('\n');
    for l in fit_parts(parts, MAX_SECTION_LINES - 1) {
        s.push_str(&l);
        s.push('\n');
        if let Some(json) = documents.remove(&l) {
            let _ = writeln!(s, "```json\n{json}\n```");
        }
    }
}

/// The incident-only actions in one line per service, after a line that says so.
fn incidents_per_service(r: &Recommendation) -> Vec<String> {
    let mut per_service: BTreeMap<&str, (Vec<&str>, u64)> = BTreeMap::new();
    for u in &r.incident_only {
        let e = per_service.entry(service_name(&u.action)).or_default();
        e.0.push(u.action.split_once(':').map_or(u.action.as_str(), |(_, a)| a));
        e.1 += u.events;
    }
    let mut out = vec![
        format!(
            "{} actions in {} services, not kept (findings per action in recommendations.json):",
            r.incident_only.len(),
            per_service.len()
        ),
        String::new(),
    ];
    for (svc, (actions, events)) in per_service {
        out.push(format!("- `{svc}` ({events} events): {}", actions.join(", ")));
    }
    out
}

/// Evidence rows folded to one per service: events summed, first and last seen over all, the
/// statements that allowed any.
fn evidence_per_service(evidence: &[super::Evidence]) -> Vec<String> {
    type Acc<'a> = (usize, u64, &'a str, &'a str, BTreeSet<&'a str>);
    let mut per_service: BTreeMap<&str, Acc> = BTreeMap::new();
    for e in evidence {
        let x =
            per_service.entry(service_name(&e.action)).or_insert((0, 0, &e.first_seen, &e.last_seen, BTreeSet::new()));
        x.0 += 1;
        x.1 += e.count;
        x.2 = x.2.min(e.first_seen.as_str());
        x.3 = x.3.max(e.last_seen.as_str());
        x.4.extend(e.statements.iter().map(String::as_str));
    }
    per_service
        .into_iter()
        .map(|(svc, (n, count, first, last, statements))| {
            let what = if n == 1 { "action" } else { "actions" };
            let statements: Vec<&str> = statements.into_iter().collect();
            format!("| {svc} ({n} {what}) | {count} | {first} | {last} | {} |", statements.join(", "))
        })
        .collect()
}

fn trust_section(parts: &mut Vec<Part>, t: &super::trust::Trust) {
    heading(parts, "Trust policy");
    let admitted: Vec<String> = t.admitted.iter().map(|p| format!("{} `{}`", p.kind, p.value)).collect();
    parts.push(Part::Line(format!(
        "- Admits: {}",
        if admitted.is_empty() { "nobody".to_string() } else { admitted.join(", ") }
    )));
    let used: Vec<String> = t
        .used
        .iter()
        .map(|u| {
            let mut extra = String::new();
            if !u.source_identities.is_empty() {
                let _ = write!(extra, "; source identities {}", u.source_identities.join(", "));
            }
            if !u.external_ids.is_empty() {
                let _ = write!(extra, "; external ids {}", u.external_ids.join(", "));
            }
            format!(
                "- Assumed through {} `{}`: {} events, {} to {}, by {}{extra}",
                u.kind,
                u.value,
                u.events,
                u.first_seen,
                u.last_seen,
                u.callers.join(", ")
            )
        })
        .collect();
    if !used.is_empty() {
        parts.push(Part::List(List::new(used, more_items)));
    }
    parts.push(Part::Line(match (&t.proposed, &t.file) {
        (Some(_), Some(f)) => format!("- Proposed: `{f}`{}", if t.changed { "" } else { " (same as today)" }),
        _ => "- Proposed: none".to_string(),
    }));
    if !t.notes.is_empty() {
        parts.push(Part::List(List::new(t.notes.iter().map(|n| format!("- {n}")).collect(), more_items)));
    }
}

fn backticked(items: &[String]) -> String {
    items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
}

fn csv_field(f: &str) -> String {
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

/// One summary row per principal.
/// The summary for people: one row per principal (the same rows as the CSV, fewer columns).
pub fn render_table(recs: &[Recommendation]) -> String {
    let mut t = crate::text_table::TextTable::new(&[
        "principal",
        "kind",
        "confidence",
        "granted",
        "used",
        "removed",
        "replayed",
        "verified",
    ])
    .right(&[3, 4, 5, 6]);
    for r in recs {
        t.row([
            r.arn.clone(),
            r.kind.as_str().to_string(),
            r.confidence.as_str().to_string(),
            r.granted_actions.to_string(),
            r.used_actions.to_string(),
            r.removed_actions.to_string(),
            r.verification.replayed_calls.to_string(),
            if r.ok { "yes".to_owned() } else { "no (not written)".to_owned() },
        ]);
    }
    t.render()
}

pub fn render_csv(recs: &[Recommendation]) -> String {
    let mut s = String::from(
        "arn,account,kind,name,confidence,granted_actions,used_actions,removed_actions,unobservable_actions,replayed_calls,still_allowed,broader_than_original,ok,documents,policy_files,dead_statements,used_not_granted\n",
    );
    for r in recs {
        let row = [
            r.arn.clone(),
            r.account.clone(),
            r.kind.as_str().to_string(),
            r.name.clone(),
            r.confidence.as_str().to_string(),
            r.granted_actions.to_string(),
            r.used_actions.to_string(),
            r.removed_actions.to_string(),
            r.unobservable_actions.to_string(),
            r.verification.replayed_calls.to_string(),
            r.verification.still_allowed.to_string(),
            r.verification.broader_than_original.to_string(),
            r.ok.to_string(),
            r.documents.len().to_string(),
            r.policy_files.join(";"),
            r.dead_statements.len().to_string(),
            r.used_not_granted.join(";"),
        ];
        let line: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        s.push_str(&line.join(","));
        s.push('\n');
    }
    s
}

/// Unused or unobservable actions of one service beyond this many are folded into one line
/// (`- ec2: 612 unused (ec2:A, ec2:B, ec2:C, ...)`): a read-only or administrator grant would
/// otherwise list thousands of lines and hide the ones that matter.
const FOLD_OVER: usize = 3;

/// At most this many lines of unused (or unobservable) actions per principal: beyond, they fold
/// into one line naming the services with the most (the full list stays in recommendations.json).
const MAX_LINES_PER_MARKER: usize = 20;

/// The diff lines as text: runs of unused (`-`) and unobservable (`?`) actions of one service
/// folded, and when that still leaves too many, all of one marker in one line.
fn folded_diff(diff: &[DiffLine]) -> Vec<String> {
    let lines = folded_per_service(diff);
    let mut out = Vec::new();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    for (line, d) in &lines {
        let marker = d.map(|d| d.marker.as_str()).unwrap_or("");
        let many = lines.iter().filter(|(_, x)| x.is_some_and(|x| x.marker == marker)).count();
        if !matches!(marker.trim(), "-" | "?") || many <= MAX_LINES_PER_MARKER {
            out.push(line.clone());
            continue;
        }
        if done.insert(marker) {
            out.push(marker_total(diff, marker));
        }
    }
    out
}

/// All unused (or unobservable) actions in one line: `- 612 unused actions in 40 services (ec2
/// 100, ...)`, naming the services with the most.
fn marker_total(diff: &[DiffLine], marker: &str) -> String {
    let mut per_service: BTreeMap<&str, usize> = BTreeMap::new();
    for x in diff.iter().filter(|x| x.marker == marker) {
        *per_service.entry(service_name(&x.action)).or_default() += x.count.max(1);
    }
    let total: usize = per_service.values().sum();
    let mut top: Vec<(&str, usize)> = per_service.iter().map(|(k, v)| (*k, *v)).collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let named: Vec<String> = top.iter().take(8).map(|(k, v)| format!("{k} {v}")).collect();
    let what = if marker.trim() == "?" { "unobservable" } else { "unused" };
    let etc = if top.len() > 8 { ", ..." } else { "" };
    format!(
        "{marker}{total} {what} actions in {} services ({}{etc}; each in recommendations.json)",
        per_service.len(),
        named.join(", ")
    )
}

/// The diff in one line per service and marker (`  ec2: DescribeInstances, RunInstances`,
/// `- ec2: 612 unused`), in the order of the diff; with `fold_markers`, the unused and the
/// unobservable actions of all services in one line each.
fn per_service_diff(diff: &[DiffLine], fold_markers: bool) -> Vec<String> {
    let mut groups: Vec<((&str, &str), Vec<&DiffLine>)> = Vec::new();
    for d in diff {
        let key = (d.marker.as_str(), service_name(&d.action));
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, lines)) => lines.push(d),
            None => groups.push((key, vec![d])),
        }
    }
    let mut out = Vec::new();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    for ((marker, svc), lines) in &groups {
        let unused = matches!(marker.trim(), "-" | "?");
        if unused && fold_markers && groups.iter().filter(|((m, _), _)| m == marker).count() > 1 {
            if done.insert(marker) {
                out.push(marker_total(diff, marker));
            }
            continue;
        }
        let line = match lines.as_slice() {
            [d] if d.count > 1 => format!("{marker}{} ({} actions)", d.action, d.count),
            [d] => format!("{marker}{}", d.action),
            _ if unused => {
                let total: usize = lines.iter().map(|d| d.count.max(1)).sum();
                let what = if marker.trim() == "?" { "unobservable" } else { "unused" };
                format!("{marker}{svc}: {total} {what}")
            }
            _ => {
                let names: Vec<&str> =
                    lines.iter().map(|d| d.action.split_once(':').map_or(d.action.as_str(), |(_, a)| a)).collect();
                format!("{marker}{svc}: {}", names.join(", "))
            }
        };
        out.push(line);
    }
    out
}

/// [`folded_diff`]'s first step: each output line with the diff line it starts from (the
/// first of a folded run).
fn folded_per_service(diff: &[DiffLine]) -> Vec<(String, Option<&DiffLine>)> {
    let service = |a: &str| a.split(':').next().unwrap_or("").to_owned();
    let foldable = |d: &DiffLine| matches!(d.marker.trim(), "-" | "?") && d.count <= 1;
    let mut per_service: BTreeMap<(String, String), usize> = BTreeMap::new();
    for d in diff.iter().filter(|d| foldable(d)) {
        *per_service.entry((d.marker.clone(), service(&d.action))).or_default() += 1;
    }
    // Whole services granted and not used at all (`svc:*` lines): an administrator grant has
    // hundreds; beyond FOLD_OVER they become one line per marker.
    let whole = |d: &DiffLine| matches!(d.marker.trim(), "-" | "?") && d.count > 1;
    let mut whole_per_marker: BTreeMap<&str, (usize, usize, Vec<&str>)> = BTreeMap::new();
    for d in diff.iter().filter(|d| whole(d)) {
        let e = whole_per_marker.entry(d.marker.as_str()).or_default();
        e.0 += 1;
        e.1 += d.count;
        if e.2.len() < 5 {
            e.2.push(service_name(&d.action));
        }
    }
    let mut out = Vec::new();
    let mut folded: BTreeSet<(String, String)> = BTreeSet::new();
    for d in diff {
        if whole(d) {
            let (services, actions, sample) = &whole_per_marker[d.marker.as_str()];
            if *services > FOLD_OVER {
                if folded.insert((d.marker.clone(), "*".into())) {
                    let what = if d.marker.trim() == "?" { "unobservable" } else { "unused" };
                    let line = format!(
                        "{}{services} whole services {what}: {actions} actions ({}, ...; each in recommendations.json)",
                        d.marker,
                        sample.join(", ")
                    );
                    out.push((line, Some(d)));
                }
                continue;
            }
        }
        let key = (d.marker.clone(), service(&d.action));
        let n = per_service.get(&key).copied().unwrap_or(0);
        if foldable(d) && n > FOLD_OVER {
            if folded.insert(key.clone()) {
                let sample: Vec<&str> = diff
                    .iter()
                    .filter(|x| foldable(x) && x.marker == d.marker && service(&x.action) == key.1)
                    .take(3)
                    .map(|x| x.action.as_str())
                    .collect();
                let what = if d.marker.trim() == "?" { "unobservable" } else { "unused" };
                out.push((format!("{}{}: {n} {what} ({}, ...)", d.marker, key.1, sample.join(", ")), Some(d)));
            }
            continue;
        }
        if d.count > 1 {
            out.push((format!("{}{} ({} actions)", d.marker, d.action, d.count), Some(d)));
        } else {
            out.push((format!("{}{}", d.marker, d.action), Some(d)));
        }
    }
    out
}

/// `ec2` of `ec2:*`.
fn service_name(action: &str) -> &str {
    action.split(':').next().unwrap_or(action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_than_twenty_unused_lines_fold_into_one() {
        let mut diff = vec![line("  ", "s3:GetObject")];
        for svc in 0..30 {
            diff.extend((0..5).map(|i| line("- ", &format!("svc{svc:02}:Get{i}"))));
        }
        diff.extend((0..7).map(|i| line("- ", &format!("ec2:Describe{i}"))));
        diff.push(line("+ ", "kms:Decrypt"));
        assert_eq!(
            folded_diff(&diff),
            vec![
                "  s3:GetObject",
                "- 157 unused actions in 31 services (ec2 7, svc00 5, svc01 5, svc02 5, svc03 5, svc04 5, svc05 5, svc06 5, ...; each in recommendations.json)",
                "+ kms:Decrypt",
            ]
        );
    }

    #[test]
    fn many_wholly_unused_services_fold_to_one_line() {
        let whole = |m: &str, svc: &str, n: usize| DiffLine { marker: m.into(), action: format!("{svc}:*"), count: n };
        let mut diff = vec![line("  ", "s3:GetObject")];
        diff.extend(["a2c", "a4b", "acm", "ec2", "iam", "kms"].iter().map(|s| whole("- ", s, 10)));
        diff.extend([whole("? ", "sso", 4), whole("? ", "cloudshell", 3)]);
        assert_eq!(
            folded_diff(&diff),
            vec![
                "  s3:GetObject",
                "- 6 whole services unused: 60 actions (a2c, a4b, acm, ec2, iam, ...; each in recommendations.json)",
                "? sso:* (4 actions)",
                "? cloudshell:* (3 actions)",
            ]
        );
    }

    #[test]
    fn shares_never_exceed_the_budget_and_small_lists_get_all_they_want() {
        assert_eq!(allot(&[2, 50, 30], 20), vec![2, 9, 9]);
        assert_eq!(allot(&[2, 3], 20), vec![2, 3]);
        assert_eq!(allot(&[5, 5, 5], 2).iter().sum::<usize>(), 2);
    }

    #[test]
    fn a_list_takes_its_first_form_that_fits_else_is_cut_with_a_count() {
        let mut l = List::new((0..10).map(|i| format!("a{i}")).collect(), more_items);
        l.forms.push(vec!["folded 1".into(), "folded 2".into(), "folded 3".into()]);
        assert_eq!(l.fit(10).len(), 10);
        assert_eq!(l.fit(5), vec!["folded 1", "folded 2", "folded 3"]);
        assert_eq!(l.fit(2), vec!["folded 1", "- ... 2 more (each in recommendations.json)"]);
        assert!(l.fit(0).is_empty());
    }

    #[test]
    fn per_service_lines_name_used_actions_and_count_unused_ones() {
        let diff = vec![
            line("  ", "ec2:DescribeInstances"),
            line("  ", "ec2:RunInstances"),
            line("- ", "ec2:StopInstances"),
            line("- ", "ec2:TerminateInstances"),
            line("? ", "es:ESHttpGet"),
            line("- ", "iam:ListRoles"),
            line("  ", "s3:GetObject"),
        ];
        assert_eq!(
            per_service_diff(&diff, false),
            vec![
                "  ec2: DescribeInstances, RunInstances",
                "- ec2: 2 unused",
                "? es:ESHttpGet",
                "- iam:ListRoles",
                "  s3:GetObject"
            ]
        );
        assert_eq!(
            per_service_diff(&diff, true),
            vec![
                "  ec2: DescribeInstances, RunInstances",
                "- 3 unused actions in 2 services (ec2 2, iam 1; each in recommendations.json)",
                "? es:ESHttpGet",
                "  s3:GetObject"
            ]
        );
    }

    fn line(marker: &str, action: &str) -> DiffLine {
        DiffLine { marker: marker.into(), action: action.into(), count: 1 }
    }

    #[test]
    fn unused_and_unobservable_runs_fold_to_one_line_per_service() {
        let mut diff: Vec<DiffLine> =
            ["A", "B", "C", "D", "E"].iter().map(|a| line("? ", &format!("s3:Get{a}"))).collect();
        diff.extend([line("- ", "ec2:A"), line("- ", "ec2:B"), line("  ", "s3:Put")]);
        diff.extend(["A", "B", "C", "D"].iter().map(|a| line("- ", &format!("iam:List{a}"))));
        assert_eq!(
            folded_diff(&diff),
            vec![
                "? s3: 5 unobservable (s3:GetA, s3:GetB, s3:GetC, ...)",
                "- ec2:A",
                "- ec2:B",
                "  s3:Put",
                "- iam: 4 unused (iam:ListA, iam:ListB, iam:ListC, ...)",
            ]
        );
    }
}
