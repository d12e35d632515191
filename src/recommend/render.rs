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

fn principal(s: &mut String, r: &Recommendation) {
    let _ = writeln!(s, "\n## {}\n", r.arn);
    let _ = writeln!(s, "- Kind: {} `{}` in account {}", r.kind.as_str(), r.name, r.account);
    let _ = writeln!(s, "- Confidence: {}", r.confidence.as_str());
    for reason in &r.confidence_reasons {
        let _ = writeln!(s, "  - {reason}");
    }
    let _ = writeln!(
        s,
        "- Actions: {} granted, {} used, {} removed, {} unobservable",
        r.granted_actions, r.used_actions, r.removed_actions, r.unobservable_actions
    );
    let v = &r.verification;
    let _ = writeln!(
        s,
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
    );
    if r.ok {
        if r.policy_files.is_empty() {
            let _ = writeln!(s, "- Policy files: none");
        } else {
            let _ = writeln!(s, "- Policy files: {}", backticked(&r.policy_files));
        }
    } else {
        let _ = writeln!(s, "- **Not written**: the proposal failed verification");
        for f in &v.failures {
            let _ = writeln!(s, "  - {f}");
        }
    }

    s.push_str("\n### Granted versus used\n\n```\n");
    for line in folded_diff(&r.diff) {
        let _ = writeln!(s, "{line}");
    }
    s.push_str("```\n");

    if !r.incident_only.is_empty() {
        s.push_str("\n### Used only in incidents\n\n");
        if r.incident_only.len() <= MAX_LINES_PER_MARKER {
            for u in &r.incident_only {
                let _ = writeln!(s, "- `{}` ({} events): {}", u.action, u.events, u.note);
            }
        } else {
            // An attacker's session touches dozens of actions: one line per service (the
            // findings of each action are in recommendations.json).
            let mut per_service: BTreeMap<&str, (Vec<&str>, u64)> = BTreeMap::new();
            for u in &r.incident_only {
                let e = per_service.entry(service_name(&u.action)).or_default();
                e.0.push(u.action.split_once(':').map_or(u.action.as_str(), |(_, a)| a));
                e.1 += u.events;
            }
            let _ = writeln!(
                s,
                "{} actions in {} services, not kept (findings per action in recommendations.json):\n",
                r.incident_only.len(),
                per_service.len()
            );
            for (svc, (actions, events)) in per_service {
                let _ = writeln!(s, "- `{svc}` ({events} events): {}", actions.join(", "));
            }
        }
    }
    if !r.dead_statements.is_empty() {
        s.push_str("\n### Statements that matched no call\n\n");
        for d in &r.dead_statements {
            let _ = writeln!(s, "- `{d}`");
        }
    }
    if !r.sparse_wildcards.is_empty() {
        s.push_str("\n### Wildcards exercised for few of their actions\n\n");
        for w in &r.sparse_wildcards {
            let _ = writeln!(
                s,
                "- `{}` in `{}`: {} of {} actions used ({})",
                w.pattern,
                w.statement,
                w.used.len(),
                w.expands_to,
                w.used.join(", ")
            );
        }
    }
    if !r.evidence.is_empty() {
        s.push_str(
            "\n### Evidence\n\n| Action | Events | First seen | Last seen | Allowed by |\n|---|---:|---|---|---|\n",
        );
        for e in &r.evidence {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                e.action,
                e.count,
                e.first_seen,
                e.last_seen,
                e.statements.join(", ")
            );
        }
    }
    if !r.documents.is_empty() {
        s.push_str("\n### Proposed policy\n");
        for (i, d) in r.documents.iter().enumerate() {
            let title = match r.file_stems.get(i) {
                Some(stem) => format!("{stem}.json"),
                None => format!("document {}", i + 1),
            };
            let size = r.policy_sizes.get(i).copied().unwrap_or(0);
            let _ = writeln!(s, "\n`{title}` ({size} characters)\n");
            s.push_str("```json\n");
            s.push_str(&serde_json::to_string_pretty(d).unwrap_or_default());
            s.push_str("\n```\n");
        }
    }
    if let Some(t) = &r.trust {
        trust_section(s, t);
    }
    if !r.notes.is_empty() {
        s.push_str("\n### Notes\n\n");
        for n in &r.notes {
            let _ = writeln!(s, "- {n}");
        }
    }
}

fn trust_section(s: &mut String, t: &super::trust::Trust) {
    s.push_str("\n### Trust policy\n\n");
    let admitted: Vec<String> = t.admitted.iter().map(|p| format!("{} `{}`", p.kind, p.value)).collect();
    let _ = writeln!(s, "- Admits: {}", if admitted.is_empty() { "nobody".to_string() } else { admitted.join(", ") });
    for u in &t.used {
        let mut extra = String::new();
        if !u.source_identities.is_empty() {
            let _ = write!(extra, "; source identities {}", u.source_identities.join(", "));
        }
        if !u.external_ids.is_empty() {
            let _ = write!(extra, "; external ids {}", u.external_ids.join(", "));
        }
        let _ = writeln!(
            s,
            "- Assumed through {} `{}`: {} events, {} to {}, by {}{extra}",
            u.kind,
            u.value,
            u.events,
            u.first_seen,
            u.last_seen,
            u.callers.join(", ")
        );
    }
    match (&t.proposed, &t.file) {
        (Some(_), Some(f)) => {
            let _ = writeln!(s, "- Proposed: `{f}`{}", if t.changed { "" } else { " (same as today)" });
        }
        _ => s.push_str("- Proposed: none\n"),
    }
    for n in &t.notes {
        let _ = writeln!(s, "- {n}");
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
            let mut per_service: BTreeMap<&str, usize> = BTreeMap::new();
            for x in diff.iter().filter(|x| x.marker == marker) {
                *per_service.entry(service_name(&x.action)).or_default() += x.count.max(1);
            }
            let total: usize = per_service.values().sum();
            let mut top: Vec<(&str, usize)> = per_service.iter().map(|(k, v)| (*k, *v)).collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let named: Vec<String> = top.iter().take(8).map(|(k, v)| format!("{k} {v}")).collect();
            let what = if marker.trim() == "?" { "unobservable" } else { "unused" };
            out.push(format!(
                "{marker}{total} {what} actions in {} services ({}, ...; each in recommendations.json)",
                per_service.len(),
                named.join(", ")
            ));
        }
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
