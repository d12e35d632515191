//! Every denied call of the lake explained: which layer denied it, the deciding statements, and
//! the smallest change that would allow it (checked by evaluating the request again with the
//! change applied), grouped by principal, action, resource and layer.
//!
//! A denied event is mapped to its IAM actions exactly as the usage facts map it; each action is
//! evaluated against the account model with the context CloudTrail recorded (region, source IP).
//! Of an event's actions, those the model denies explain it; when the model allows them all, the
//! denial came from something the model does not hold (a VPC endpoint policy, a session policy,
//! another account's SCP...), and the layer is `unknown` with no fix. Denials in the events of
//! high or critical findings are flagged `suspicious` and get no fix: an attacker's probing is
//! not a permission to grant.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Result;
use polars::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};

use crate::account::Account;
use crate::lake::{self, Window};
use crate::policy::{evaluate, parse_policy, Decision, Evaluation, NamedPolicy, PolicyKind, PolicySet, Request};
use crate::usage::facts::{event_facts, is_denied};

/// One group of denials (the `denials` JSON contract).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Denial {
    pub principal: String,
    pub action: String,
    pub resource: String,
    /// `identity|boundary|scp|rcp|resource|session|kms-key|trust|unknown`.
    pub layer: String,
    /// `ExplicitDeny|ImplicitDeny`.
    pub decision: String,
    /// The deciding statements, `policy#Sid` (or `policy#index`).
    pub statements: Vec<String>,
    pub count: u64,
    pub first_seen: String,
    pub last_seen: String,
    pub event_ids: Vec<String>,
    pub fix: Option<Value>,
    pub suspicious: bool,
}

/// A denied event, mapped: (event id, time ms, principal, action, resource, region, source IP).
struct DeniedCall {
    event_id: String,
    time: i64,
    principal: String,
    action: String,
    resource: String,
    region: String,
    source_ip: Option<String>,
}

/// Ids of the denied events in the window.
fn denied_event_ids(lake_dir: &Path, window: &Window) -> Result<BTreeSet<String>> {
    let files: Vec<_> = lake::partition_files(lake_dir, window)?.into_iter().flatten().collect();
    let mut out = BTreeSet::new();
    if files.is_empty() {
        return Ok(out);
    }
    let df = lake::scan_files(&files)?
        .select([col("event_id"), col("error_code")])
        .filter(col("error_code").is_not_null())
        .collect()?;
    let (ids, codes) = (df.column("event_id")?.str()?, df.column("error_code")?.str()?);
    for i in 0..df.height() {
        if let (Some(id), code) = (ids.get(i), codes.get(i)) {
            if is_denied(code) {
                out.insert(id.to_owned());
            }
        }
    }
    Ok(out)
}

/// The request the model decides for a denied call.
fn request(account: &Account, c: &DeniedCall) -> Request {
    let mut context = account.base_context(&c.principal);
    context.insert("aws:RequestedRegion", c.region.clone());
    context.insert("aws:SecureTransport", "true");
    if let Some(ip) = &c.source_ip {
        context.insert("aws:SourceIp", ip.clone());
    }
    let resource_account = crate::arn::account_of(&c.resource).unwrap_or(&account.account_id);
    Request {
        principal: c.principal.clone(),
        principal_account: crate::arn::account_of(&c.principal).map(str::to_owned),
        action: c.action.clone(),
        resource: c.resource.clone(),
        resource_account: Some(resource_account.to_owned()),
        context,
    }
}

fn fix_policy(name: &str, kind: PolicyKind, statement: Value) -> Option<NamedPolicy> {
    let doc = json!({"Version": "2012-10-17", "Statement": [statement]});
    parse_policy(&doc).ok().map(|p| NamedPolicy::new(name, kind, p))
}

/// The statement that allows the request at a layer: identity-side layers name no principal,
/// resource-side ones name the caller.
fn allow_statement(req: &Request, with_principal: bool) -> Value {
    let mut st = json!({"Effect": "Allow", "Action": req.action, "Resource": req.resource});
    if with_principal {
        st["Principal"] = json!({"AWS": req.principal});
    }
    st
}

/// The SCP/RCP level (0-based) an implicit deny names ("SCP level 2 does not allow").
fn failing_level(reason: &str, what: &str) -> Option<usize> {
    let rest = reason.split(&format!("{what} level ")).nth(1)?;
    rest.split_whitespace().next()?.parse::<usize>().ok()?.checked_sub(1)
}

/// Apply the change that lifts `ev`'s denial to `set`; the change as JSON, or None when the
/// layer cannot be changed from here.
fn lift(set: &mut PolicySet, req: &Request, ev: &Evaluation, owner: &str) -> Option<Value> {
    let layer = ev.layer?;
    if ev.decision == Decision::ExplicitDeny {
        let statements: Vec<String> = ev.statements.iter().map(|s| s.to_string()).collect();
        // Remove the denying statements (last index first, so indices stay valid).
        let mut refs = ev.statements.clone();
        refs.sort_by(|a, b| b.index.cmp(&a.index));
        let all = set
            .identity
            .iter_mut()
            .chain(set.boundaries.iter_mut())
            .chain(set.scps.iter_mut().flatten())
            .chain(set.rcps.iter_mut().flatten())
            .chain(set.session_policies.iter_mut())
            .chain(set.resource_policy.iter_mut());
        for p in all {
            for r in refs.iter().filter(|r| r.policy == p.name && r.kind == p.kind) {
                if r.index < p.policy.statements.len() {
                    p.policy.statements.remove(r.index);
                }
            }
        }
        return Some(json!({
            "change": "exempt",
            "layer": layer,
            "policies": ev.statements.iter().map(|s| s.policy.clone()).collect::<BTreeSet<_>>(),
            "statements": statements,
            "action": req.action,
            "resource": req.resource,
            "note": "exempt this principal, action and resource from the denying statements (for example with a condition on aws:PrincipalArn), or remove them",
        }));
    }
    let (target, kind, with_principal) = match layer {
        "identity" => (format!("{owner} (identity policy)"), PolicyKind::Identity, false),
        "boundary" => (set.boundaries.first()?.name.clone(), PolicyKind::PermissionBoundary, false),
        "session" => ("session policy".to_owned(), PolicyKind::Session, false),
        "scp" => {
            let level = failing_level(&ev.reason, "SCP")?;
            (format!("SCP level {}", level + 1), PolicyKind::Scp, false)
        }
        "rcp" => {
            let level = failing_level(&ev.reason, "RCP")?;
            (format!("RCP level {}", level + 1), PolicyKind::Rcp, true)
        }
        "resource" | "kms-key" | "trust" => {
            let name = set.resource_policy.as_ref().map_or_else(|| req.resource.clone(), |p| p.name.clone());
            let kind = set.resource_policy.as_ref().map_or(PolicyKind::Resource, |p| p.kind);
            (name, kind, true)
        }
        _ => return None,
    };
    let mut statement = allow_statement(req, with_principal);
    if kind == PolicyKind::Rcp {
        statement["Principal"] = json!("*");
    }
    let policy = fix_policy("fix", kind, statement.clone())?;
    match layer {
        "identity" => set.identity.push(policy),
        "boundary" => set.boundaries.push(policy),
        "session" => set.session_policies.push(policy),
        "scp" => set.scps[failing_level(&ev.reason, "SCP")?].push(policy),
        "rcp" => set.rcps[failing_level(&ev.reason, "RCP")?].push(policy),
        _ => match &mut set.resource_policy {
            Some(p) => p.policy.statements.extend(policy.policy.statements),
            None => set.resource_policy = Some(NamedPolicy { name: target.clone(), ..policy }),
        },
    }
    Some(json!({"change": "add", "layer": layer, "policy": target, "statement": statement}))
}

/// The smallest set of changes, one per denying layer, after which the model allows the
/// request; None when some layer cannot be changed from the model (or it still denies).
fn fix(set: &PolicySet, req: &Request, first: &Evaluation) -> Option<Value> {
    let mut set = set.clone();
    let mut ev = first.clone();
    let mut changes = Vec::new();
    // Each round lifts one layer; there are at most eight of them.
    for _ in 0..8 {
        if ev.decision == Decision::Allow {
            return Some(json!({"changes": changes}));
        }
        if ev.decision == Decision::Unknown {
            return None;
        }
        changes.push(lift(&mut set, req, &ev, &req.principal)?);
        ev = evaluate(&set, req);
    }
    None
}

/// Every denied call of the window, grouped and explained. `incident_events`: the event ids of
/// high or critical findings.
pub fn explain(
    lake_dir: &Path,
    account: &Account,
    window: &Window,
    incident_events: &BTreeSet<String>,
) -> Result<Vec<Denial>> {
    let ids = denied_event_ids(lake_dir, window)?;
    let mut by_event: BTreeMap<String, Vec<DeniedCall>> = BTreeMap::new();
    for (id, f) in event_facts(lake_dir, window, &ids)? {
        by_event.entry(id.clone()).or_default().push(DeniedCall {
            event_id: id,
            time: f.first_seen,
            principal: f.principal,
            action: f.action,
            resource: if f.resource.is_empty() { "*".to_owned() } else { f.resource },
            region: f.region,
            source_ip: f.source_ips.into_iter().next(),
        });
    }
    type Key = (String, String, String, String);
    struct Group {
        decision: &'static str,
        statements: Vec<String>,
        events: BTreeSet<(i64, String)>,
        fix: Option<Value>,
    }
    let mut groups: BTreeMap<Key, Group> = BTreeMap::new();
    // The same request is decided once.
    let mut decided: BTreeMap<(String, String, String, String, Option<String>), (Evaluation, Option<Value>)> =
        BTreeMap::new();
    for calls in by_event.values() {
        let mut explained: Vec<(&DeniedCall, Evaluation, Option<Value>)> = Vec::new();
        for c in calls {
            let key =
                (c.principal.clone(), c.action.clone(), c.resource.clone(), c.region.clone(), c.source_ip.clone());
            let (ev, fx) = decided
                .entry(key)
                .or_insert_with(|| {
                    let req = request(account, c);
                    match account.policy_set_for_request(&c.principal, &c.action, &c.resource) {
                        Some(set) => {
                            let ev = evaluate(&set, &req);
                            let fx = matches!(ev.decision, Decision::ExplicitDeny | Decision::ImplicitDeny)
                                .then(|| fix(&set, &req, &ev))
                                .flatten();
                            (ev, fx)
                        }
                        None => (unknown("the principal is not in the account model"), None),
                    }
                })
                .clone();
            explained.push((c, ev, fx));
        }
        let denied: Vec<_> = explained
            .iter()
            .filter(|(_, ev, _)| matches!(ev.decision, Decision::ExplicitDeny | Decision::ImplicitDeny))
            .collect();
        let chosen: Vec<(&DeniedCall, Evaluation, Option<Value>)> = if denied.is_empty() {
            // The model allows every action of the event: the denial came from elsewhere.
            explained.first().map(|(c, _, _)| (*c, unknown("the model allows it"), None)).into_iter().collect()
        } else {
            denied.into_iter().map(|(c, ev, fx)| (*c, ev.clone(), fx.clone())).collect()
        };
        for (c, ev, fx) in chosen {
            let layer = ev.layer.unwrap_or("unknown").to_owned();
            let decision = if ev.decision == Decision::ExplicitDeny { "ExplicitDeny" } else { "ImplicitDeny" };
            let g =
                groups.entry((c.principal.clone(), c.action.clone(), c.resource.clone(), layer)).or_insert_with(|| {
                    Group {
                        decision,
                        statements: ev.statements.iter().map(|s| s.to_string()).collect(),
                        events: BTreeSet::new(),
                        fix: fx.clone(),
                    }
                });
            g.events.insert((c.time, c.event_id.clone()));
        }
    }
    let mut out: Vec<Denial> = groups
        .into_iter()
        .map(|((principal, action, resource, layer), g)| {
            let suspicious = g.events.iter().any(|(_, id)| incident_events.contains(id));
            let mut event_ids: Vec<String> = g.events.iter().map(|(_, id)| id.clone()).collect();
            event_ids.sort();
            Denial {
                principal,
                action,
                resource,
                layer,
                decision: g.decision.to_owned(),
                statements: g.statements,
                count: g.events.len() as u64,
                first_seen: g.events.first().map(|(t, _)| crate::usage::iso(*t)).unwrap_or_default(),
                last_seen: g.events.last().map(|(t, _)| crate::usage::iso(*t)).unwrap_or_default(),
                event_ids,
                fix: if suspicious { None } else { g.fix },
                suspicious,
            }
        })
        .collect();
    // Most frequent first, then by principal, action, resource, layer.
    out.sort_by(|a, b| {
        (std::cmp::Reverse(a.count), &a.principal, &a.action, &a.resource, &a.layer).cmp(&(
            std::cmp::Reverse(b.count),
            &b.principal,
            &b.action,
            &b.resource,
            &b.layer,
        ))
    });
    Ok(out)
}

fn unknown(reason: &str) -> Evaluation {
    Evaluation {
        decision: Decision::ImplicitDeny,
        statements: Vec::new(),
        reason: reason.to_owned(),
        assumed: Vec::new(),
        layer: Some("unknown"),
    }
}

/// `{"denials": [...]}`.
pub fn to_json(denials: &[Denial]) -> Value {
    json!({ "denials": denials })
}

/// One line per fix change, for the table and Markdown.
pub fn describe_fix(fix: &Option<Value>) -> String {
    let Some(f) = fix else { return String::new() };
    let changes = f["changes"].as_array().map(Vec::as_slice).unwrap_or_default();
    changes
        .iter()
        .map(|c| match c["change"].as_str() {
            Some("exempt") => format!(
                "exempt from {}",
                c["statements"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => format!(
                "add Allow {} on {} to {}",
                c["statement"]["Action"].as_str().unwrap_or_default(),
                c["statement"]["Resource"].as_str().unwrap_or_default(),
                c["policy"].as_str().unwrap_or_default()
            ),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The Markdown report.
pub fn markdown(denials: &[Denial]) -> String {
    let total: u64 = denials.iter().map(|d| d.count).sum();
    let mut md = format!("# Denied calls\n\n{total} denied calls in {} groups.\n\n", denials.len());
    md.push_str("| principal | action | resource | layer | decision | count | first seen | last seen | deciding statements | fix |\n");
    md.push_str("|---|---|---|---|---|---|---|---|---|---|\n");
    for d in denials {
        let fix =
            if d.suspicious { "**suspicious: part of a finding, not fixed**".to_owned() } else { describe_fix(&d.fix) };
        md.push_str(&format!(
            "| `{}` | `{}` | `{}` | {} | {} | {} | {} | {} | {} | {} |\n",
            d.principal,
            d.action,
            d.resource,
            d.layer,
            d.decision,
            d.count,
            d.first_seen,
            d.last_seen,
            d.statements.join(", "),
            fix.replace('|', "\\|"),
        ));
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    fn named(name: &str, kind: PolicyKind, doc: &str) -> NamedPolicy {
        NamedPolicy::new(name, kind, Policy::from_json_str(doc).unwrap())
    }

    fn req(action: &str, resource: &str) -> Request {
        Request {
            principal: "arn:aws:iam::111122223333:user/dave".into(),
            action: action.into(),
            resource: resource.into(),
            ..Request::default()
        }
    }

    #[test]
    fn the_fix_lifts_every_denying_layer_and_is_verified() {
        let set = PolicySet {
            identity: vec![named(
                "p",
                PolicyKind::Identity,
                r#"{"Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#,
            )],
            boundaries: vec![named(
                "arn:aws:iam::111122223333:policy/B",
                PolicyKind::PermissionBoundary,
                r#"{"Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#,
            )],
            ..PolicySet::default()
        };
        let r = req("s3:GetObject", "arn:aws:s3:::b/k");
        let ev = evaluate(&set, &r);
        assert_eq!(ev.layer, Some("identity"));
        let f = fix(&set, &r, &ev).unwrap();
        let changes = f["changes"].as_array().unwrap();
        assert_eq!(changes.len(), 2, "{f}");
        assert_eq!(changes[0]["layer"], "identity");
        assert_eq!(changes[1]["layer"], "boundary");
        assert_eq!(changes[1]["policy"], "arn:aws:iam::111122223333:policy/B");
        assert_eq!(changes[1]["statement"]["Action"], "s3:GetObject");
        assert!(describe_fix(&Some(f))
            .contains("add Allow s3:GetObject on arn:aws:s3:::b/k to arn:aws:iam::111122223333:policy/B"));
    }

    #[test]
    fn an_explicit_deny_is_lifted_by_exempting_the_statement() {
        let set = PolicySet {
            identity: vec![named(
                "p",
                PolicyKind::Identity,
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"NoDelete","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}"#,
            )],
            scps: vec![vec![named(
                "scp",
                PolicyKind::Scp,
                r#"{"Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#,
            )]],
            ..PolicySet::default()
        };
        let r = req("s3:DeleteObject", "arn:aws:s3:::b/k");
        let ev = evaluate(&set, &r);
        assert_eq!((ev.decision, ev.layer), (Decision::ExplicitDeny, Some("identity")));
        let f = fix(&set, &r, &ev).unwrap();
        let changes = f["changes"].as_array().unwrap();
        assert_eq!(changes[0]["change"], "exempt");
        assert_eq!(changes[0]["statements"][0], "p#NoDelete");
        assert_eq!(changes[1]["layer"], "scp");
        assert_eq!(changes[1]["policy"], "SCP level 1");
    }

    #[test]
    fn an_unresolved_policy_gets_no_fix() {
        let set = PolicySet {
            unresolved: vec![("arn:aws:iam::111122223333:policy/Gone".into(), PolicyKind::Identity)],
            ..PolicySet::default()
        };
        let r = req("s3:GetObject", "*");
        let ev = evaluate(&set, &r);
        assert_eq!(ev.decision, Decision::Unknown);
        assert!(fix(&set, &r, &ev).is_none());
    }
}
