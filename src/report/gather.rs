//! The compliance report's data: every section gathered from the lake, the usage report, the
//! recommendations and the findings (rendered by [`super::compliance`]).

use super::compliance::{
    self, ComplianceData, CredentialRow, DayActivity, EscalationRow, FindingRow, Hygiene, IncidentRow, PrincipalStatus,
    ProposedPolicy, ServiceActivity,
};
use crate::account::{Account, FindingKind};
use crate::detect::Finding;
use crate::lake;
use crate::recommend::Recommendation;
use crate::usage::{self, facts, UsageReport};
use anyhow::Result;
use polars::prelude::*;
use std::path::Path;

/// Events per day (with errors and denials) and per service, over the window.
fn activity(
    lake_dir: &Path,
    window: &usage::Window,
) -> Result<(u64, Vec<DayActivity>, Vec<ServiceActivity>, Option<(String, String)>)> {
    let mut df = lake::scan_window(lake_dir, window)?
        .select([col("event_date").cast(DataType::String), col("event_source"), col("error_code")])
        .collect()?;
    df.rechunk_mut_par();
    let (dates, sources, codes) =
        (df.column("event_date")?.str()?, df.column("event_source")?.str()?, df.column("error_code")?.str()?);
    let mut days: std::collections::BTreeMap<String, DayActivity> = Default::default();
    let mut services: std::collections::BTreeMap<String, u64> = Default::default();
    for i in 0..df.height() {
        let d = dates.get(i).unwrap_or("").to_owned();
        let day = days.entry(d.clone()).or_insert_with(|| DayActivity { date: d, ..Default::default() });
        day.events += 1;
        let code = codes.get(i);
        if code.is_some() {
            day.errors += 1;
        }
        if facts::is_denied(code) {
            day.denied += 1;
        }
        *services.entry(sources.get(i).unwrap_or("").trim_end_matches(".amazonaws.com").to_owned()).or_default() += 1;
    }
    let range = days.keys().next().cloned().zip(days.keys().next_back().cloned());
    let mut services: Vec<ServiceActivity> =
        services.into_iter().map(|(service, events)| ServiceActivity { service, events }).collect();
    services.sort_by(|a, b| b.events.cmp(&a.events).then(a.service.cmp(&b.service)));
    Ok((df.height() as u64, days.into_values().collect(), services, range))
}

/// Gather every section's data; `policy_prefix` goes before each proposal's file name (where
/// the report sits relative to the policies).
#[allow(clippy::too_many_arguments)]
pub fn gather(
    lake_dir: &Path,
    account: &Account,
    window: &usage::Window,
    usage: &UsageReport,
    recs: &[Recommendation],
    findings: &[Finding],
    incidents: &[crate::detect::incidents::Incident],
    policy_prefix: &str,
) -> Result<ComplianceData> {
    let (events, activity_by_day, activity_by_service, range) = activity(lake_dir, window)?;
    let from = window.from.map(|d| d.to_string()).or_else(|| range.clone().map(|r| r.0)).unwrap_or_default();
    let to = window.to.map(|d| d.to_string()).or_else(|| range.map(|r| r.1)).unwrap_or_default();
    let root = account.root_arn();
    let root_usage = usage.principals.iter().find(|p| p.arn == root);
    let creds = &usage.credentials;
    let cred_users = |k: FindingKind| -> Vec<String> {
        let mut v: Vec<String> = creds
            .iter()
            .filter(|c| c.kind == k)
            .map(|c| match c.slot {
                Some(s) => format!("{} (key {s})", c.user),
                None => c.user.clone(),
            })
            .collect();
        v.dedup();
        v
    };
    let hygiene = Hygiene {
        root_events: root_usage
            .map(|p| p.used.iter().map(|u| u.count).sum::<u64>() + p.denied.iter().map(|d| d.count).sum::<u64>())
            .unwrap_or(0),
        root_console_logins: count_root_logins(lake_dir, window)?,
        root_access_keys_active: account
            .credential_report
            .as_ref()
            .map(|_| creds.iter().any(|c| c.kind == FindingKind::RootAccessKey)),
        users_without_mfa: cred_users(FindingKind::UserWithoutMfa),
        unused_users: usage
            .principals
            .iter()
            .filter(|p| p.kind == "user" && p.used.is_empty())
            .map(|p| p.arn.clone())
            .collect(),
        unused_roles: usage
            .principals
            .iter()
            .filter(|p| p.kind == "role" && p.used.is_empty() && !p.arn.contains(":role/aws-service-role/"))
            .map(|p| p.arn.clone())
            .collect(),
        unused_access_keys: cred_users(FindingKind::UnusedAccessKey),
        stale_access_keys: cred_users(FindingKind::AccessKeyNotRotated),
    };
    let principals = usage
        .principals
        .iter()
        .filter(|p| p.in_account)
        .map(|p| {
            let rec = recs.iter().find(|r| r.arn == p.arn);
            PrincipalStatus {
                arn: p.arn.clone(),
                kind: p.kind.clone(),
                granted: p.granted_actions,
                used: p.used.iter().filter(|u| u.granted).count(),
                unused: p.unused.len(),
                unobservable: p.unobservable.len(),
                denied: p.denied.len(),
                confidence: rec.map(|r| {
                    serde_json::to_value(r.confidence)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                }),
                policy_files: rec
                    .map(|r| r.policy_files.iter().map(|f| format!("{policy_prefix}{f}")).collect())
                    .unwrap_or_default(),
                removed_actions: rec.map(|r| r.removed_actions),
                verified: rec.map(|r| r.ok),
                used_actions: sorted(p.used.iter().filter(|u| u.granted).map(|u| u.action.clone()).collect()),
                unused_actions: sorted(p.unused.clone()),
                proposed: rec.map(proposed_policies).unwrap_or_default(),
                escalation: escalation_rows(&p.escalation),
            }
        })
        .collect();
    let findings = findings
        .iter()
        .map(|f| FindingRow {
            id: f.id.clone(),
            detector: f.detector.clone(),
            severity: f.severity.as_str().to_owned(),
            mitre: f.mitre.clone(),
            principal: f.principal.clone(),
            actor: f.actor.clone(),
            first_seen: f.first_seen.clone(),
            last_seen: f.last_seen.clone(),
            summary: f.summary.clone(),
            events: f.event_ids.len(),
        })
        .collect();
    let credentials = creds
        .iter()
        .map(|c| CredentialRow {
            user: c.user.clone(),
            kind: serde_json::to_value(c.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
            detail: c.detail.clone(),
        })
        .collect();
    let mut notes: Vec<String> = account.warnings.clone();
    let m = &usage.mapping;
    notes.push(format!(
        "{} of {} API-call events mapped to IAM actions ({:.1}%); {} unmapped.",
        m.mapped + m.no_permission_needed,
        m.mapped + m.no_permission_needed + m.unmapped,
        m.share_mapped * 100.0,
        m.unmapped
    ));
    Ok(ComplianceData {
        account_id: account.account_id.clone(),
        window_from: from,
        window_to: to,
        events,
        hygiene,
        principals,
        findings,
        incidents: incidents.iter().map(incident_row).collect(),
        activity_by_day,
        activity_by_service,
        credentials,
        notes,
        shared_roles: shared_roles(lake_dir, window)?,
    })
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

fn incident_row(i: &crate::detect::incidents::Incident) -> IncidentRow {
    IncidentRow {
        id: i.id.clone(),
        severity: i.severity.as_str().to_owned(),
        title: i.title.clone(),
        principals: i.principals.clone(),
        first_seen: i.first_seen.clone(),
        last_seen: i.last_seen.clone(),
        tactics: i.tactics.clone(),
        finding_ids: i.finding_ids.clone(),
        events: i.event_count,
        story: i.story.clone(),
    }
}

/// The documents a verified recommendation proposes, named as `recommend` names their files.
fn proposed_policies(r: &Recommendation) -> Vec<ProposedPolicy> {
    if !r.ok {
        return Vec::new();
    }
    r.documents
        .iter()
        .zip(&r.file_stems)
        .map(|(doc, stem)| ProposedPolicy {
            name: format!("{stem}.json"),
            json: serde_json::to_string_pretty(doc).unwrap_or_default(),
        })
        .collect()
}

/// The escalation paths a principal's permissions enable, riskiest category first.
fn escalation_rows(e: &crate::escalation::Escalation) -> Vec<EscalationRow> {
    let mut rows: Vec<EscalationRow> = e
        .granted
        .iter()
        .map(|id| {
            let path = crate::escalation::path(id);
            EscalationRow {
                id: id.clone(),
                name: path.map(|p| p.name.clone()).unwrap_or_else(|| id.clone()),
                category: path.map(|p| p.category.clone()).unwrap_or_default(),
                used: e.used.contains(id),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (crate::escalation::category_rank(&a.category), &a.id)
            .cmp(&(crate::escalation::category_rank(&b.category), &b.id))
    });
    rows
}

/// The roles more than one person used, from the people behind each session.
fn shared_roles(lake_dir: &Path, window: &usage::Window) -> Result<Vec<compliance::SharedRole>> {
    let facts = usage::load_facts(lake_dir, window, None)?;
    let people = usage::people::report(lake_dir, window, &facts, None)?;
    Ok(people
        .roles
        .iter()
        .filter(|r| r.people.len() > 1)
        .map(|r| compliance::SharedRole {
            role: r.role.clone(),
            summary: r.summary(),
            groups: r
                .groups
                .iter()
                .map(|g| {
                    let what = if g.write_actions.is_empty() {
                        "only read".to_owned()
                    } else {
                        format!("write {}", g.write_actions.join(", "))
                    };
                    format!("{}: {what} ({} actions in all)", g.people.join(", "), g.actions.len())
                })
                .collect(),
        })
        .collect())
}

fn count_root_logins(lake_dir: &Path, window: &usage::Window) -> Result<u64> {
    let df = lake::scan_window(lake_dir, window)?
        .filter(col("identity_type").eq(lit("Root")).and(col("event_name").eq(lit("ConsoleLogin"))))
        .select([len().alias("n")])
        .collect()?;
    Ok(df.column("n")?.get(0)?.extract::<u64>().unwrap_or(0))
}
