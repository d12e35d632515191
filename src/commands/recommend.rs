//! `trailtrim recommend`: trimmed, replay-verified least-privilege policies per user and role.

use super::iam::IamArgs;
use super::usage::WindowArgs;
use super::Status;
use crate::account::{history, Account, PrincipalRef};
use crate::error::UsageError;
use crate::output::{self, OutputDir};
use crate::recommend::emit::{self, Form, Replaced};
use crate::recommend::trust::Assumption;
use crate::recommend::{
    self, DeniedCall, IncidentFinding, IncidentUse, ObservedCall, PolicyTarget, PrincipalInput, PrincipalKind,
    RecommendOptions,
};
use crate::usage::{self, facts, Fact};
use anyhow::{Context, Result};
use clap::Args;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SummaryFormat {
    /// One row per principal, as a text table on stdout.
    Table,
    /// The summary as Markdown on stdout (report.md is always written).
    Md,
    /// One CSV row per principal on stdout.
    Csv,
    /// No summary on stdout.
    None,
    /// recommendations.json on stdout; with --explain, the explanation as JSON.
    Json,
}

/// `--emit`: the deployable forms written besides the policy files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EmitFormat {
    /// The policy JSON files alone (always written; the default).
    Json,
    /// deploy/<account>/apply.sh: a reviewed AWS CLI script.
    Cli,
    /// deploy/<account>/main.tf.
    Terraform,
    /// deploy/<account>/template.json.
    Cloudformation,
}

#[derive(Debug, Args)]
pub struct RecommendArgs {
    #[arg(long)]
    pub lake: PathBuf,
    #[command(flatten)]
    pub iam: IamArgs,
    /// Output folder: policies/, recommendations.json, report.md (and deploy/ with --emit).
    #[arg(long, required_unless_present = "explain")]
    pub out: Option<PathBuf>,
    /// Only these principals (repeatable; ARN or user or role name); default every user and role.
    #[arg(long = "principal")]
    pub principals: Vec<String>,
    #[command(flatten)]
    pub window: WindowArgs,
    #[command(flatten)]
    pub facts: super::usage::FactsArgs,
    /// Skip principals whose ARN matches this glob (repeatable).
    #[arg(long = "exclude", value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Observation windows shorter than this many days give low confidence.
    #[arg(long, default_value_t = 30)]
    pub min_days: u32,
    /// Statements whose Sid starts with this are carried over untouched.
    #[arg(long, default_value = "Keep")]
    pub keep_sid_prefix: String,
    /// Drop granted actions that CloudTrail cannot observe (by default they are kept, with their
    /// original resources and conditions, and marked `?` in the report: absence of evidence is not
    /// evidence of absence).
    #[arg(long)]
    pub drop_unobservable: bool,
    /// Write customer-managed-policy-sized documents (6 144 characters) instead of inline ones.
    #[arg(long)]
    pub managed: bool,
    /// Findings to trim against (findings.json of `detect --format json` or `run`); without it the
    /// detectors run on the lake. Calls in the events of high or critical findings are not
    /// evidence of need: actions used only there are left out and listed.
    #[arg(long, value_name = "FILE")]
    pub findings: Option<PathBuf>,
    /// Keep actions used only in the events of high or critical findings.
    #[arg(long, conflicts_with = "findings")]
    pub keep_incident_actions: bool,
    #[arg(long, value_enum, default_value_t = SummaryFormat::None)]
    pub format: SummaryFormat,
    /// Explain why this action was kept or removed for the one --principal (events, first and last
    /// seen, deciding statement, incident, conditions carried): a table, or JSON with --format
    /// json. Writes no files.
    #[arg(long, value_name = "ACTION", requires = "principals")]
    pub explain: Option<String>,
    /// Deployable output besides the policy files (repeatable): json (the files alone, the
    /// default), cli (apply.sh), terraform (main.tf), cloudformation (template.json), under
    /// deploy/<account>/.
    #[arg(long = "emit", value_enum, value_name = "FORM")]
    pub emit: Vec<EmitFormat>,
}

/// Context keys AWS would have set for an observed call, for replaying conditional statements.
fn call_context(account: &Account, principal: &str, f: &Fact) -> Vec<(String, String)> {
    let mut ctx: Vec<(String, String)> = Vec::new();
    for (k, vs) in account.base_context(principal).iter() {
        for v in vs {
            ctx.push((k.to_owned(), v.clone()));
        }
    }
    ctx.push(("aws:RequestedRegion".into(), f.region.clone()));
    if !f.via_service.is_empty() {
        ctx.push(("aws:ViaAWSService".into(), "true".into()));
        ctx.push(("aws:CalledVia".into(), f.via_service.clone()));
        ctx.push(("aws:CalledViaFirst".into(), f.via_service.clone()));
        ctx.push(("aws:CalledViaLast".into(), f.via_service.clone()));
    }
    ctx.push(("aws:SecureTransport".into(), "true".into()));
    if let Some(ip) = f.source_ips.first() {
        ctx.push(("aws:SourceIp".into(), ip.clone()));
    }
    ctx.push(("aws:CurrentTime".into(), crate::time::iso(f.first_seen)));
    ctx
}

/// Build the engine's input for one principal from its facts and the usage report entry.
#[allow(clippy::too_many_arguments)]
fn input_for(
    account: &Account,
    arn: &str,
    kind: PrincipalKind,
    name: &str,
    created: Option<&str>,
    facts: &[&Fact],
    unobservable: &BTreeSet<String>,
    incident_only: Vec<IncidentUse>,
    window: (i64, i64),
) -> Option<PrincipalInput> {
    let policies = account.policy_set(arn)?;
    // One observed call per (action, resource, passed-to service, region): facts of different
    // actors and days merge here.
    let mut calls: BTreeMap<(String, String, String, String), ObservedCall> = BTreeMap::new();
    let mut denied: BTreeMap<String, DeniedCall> = BTreeMap::new();
    // Calls a service made for the principal (`invokedBy`: Athena reading S3, CloudFormation
    // creating a queue) run on the principal's own permissions (forward access sessions): the
    // trimmed policy must keep them, although usage lists them apart from the principal's own use.
    for f in facts {
        if f.count > 0 {
            let passed = f.passed_to_service.first().cloned().unwrap_or_default();
            let key = (f.action.clone(), f.resource.clone(), passed.clone(), format!("{}|{}", f.region, f.via_service));
            let c = calls.entry(key).or_insert_with(|| ObservedCall {
                action: f.action.clone(),
                resource: (!f.resource.is_empty()).then(|| f.resource.clone()),
                count: 0,
                first_seen_ms: f.first_seen,
                last_seen_ms: f.last_seen,
                sample_event_ids: Vec::new(),
                passed_to_service: (!passed.is_empty()).then_some(passed),
                context: call_context(account, arn, f),
            });
            c.count += f.count;
            c.first_seen_ms = c.first_seen_ms.min(f.first_seen);
            c.last_seen_ms = c.last_seen_ms.max(f.last_seen);
            for id in &f.sample_event_ids {
                if c.sample_event_ids.len() < 3 && !c.sample_event_ids.contains(id) {
                    c.sample_event_ids.push(id.clone());
                }
            }
        }
        if f.denied_count > 0 && f.via_service.is_empty() {
            let d = denied.entry(f.action.clone()).or_insert_with(|| DeniedCall {
                action: f.action.clone(),
                count: 0,
                error_codes: Vec::new(),
            });
            d.count += f.denied_count;
            for c in &f.error_codes {
                if !d.error_codes.contains(c) {
                    d.error_codes.push(c.clone());
                }
            }
        }
    }
    Some(PrincipalInput {
        arn: arn.to_owned(),
        kind,
        name: name.to_owned(),
        account: account.account_id.clone(),
        policies,
        resource_policies: account.resource_policies.clone(),
        created_ms: created.and_then(crate::time::parse_ms),
        observed: calls.into_values().collect(),
        denied: denied.into_values().collect(),
        unobservable: unobservable.clone(),
        incident_only,
        window_start_ms: window.0,
        window_end_ms: window.1,
    })
}

/// Compute recommendations (shared with `report`), counting every successful call as use.
pub fn compute(
    lake: &Path,
    account: &Account,
    window: &usage::Window,
    only: &[String],
    opts: &RecommendOptions,
) -> Result<Vec<recommend::Recommendation>> {
    compute_with_findings(lake, account, window, only, opts, None)
}

/// Compute recommendations; with `findings`, the calls in the events of high or critical ones
/// are not counted as use (see [`recommend::incidents`]).
pub fn compute_with_findings(
    lake: &Path,
    account: &Account,
    window: &usage::Window,
    only: &[String],
    opts: &RecommendOptions,
    findings: Option<&[IncidentFinding]>,
) -> Result<Vec<recommend::Recommendation>> {
    let findings = findings.map(|f| recommend::incidents::with_incident_calls(lake, window, f)).transpose()?;
    let findings = findings.as_deref();
    let inputs = inputs(lake, account, window, only, findings)?;
    let mut recs = recommend::recommend_all(&inputs, opts);
    check_not_granted(lake, account, &inputs, &mut recs)?;
    // Event id -> the high or critical findings that hold it: those assumptions are not use.
    let mut incident: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for f in findings.unwrap_or_default().iter().filter(|f| f.is_incident()) {
        for id in &f.event_ids {
            incident.entry(id.as_str()).or_default().push(f.id.clone());
        }
    }
    let identity = usage::people::read_identity_events(lake, window)?;
    let assumptions = recommend::trust::assumptions(&identity);
    let mut by_role: BTreeMap<&str, (Vec<&Assumption>, Vec<(&Assumption, Vec<String>)>)> = BTreeMap::new();
    for a in &assumptions {
        if let Some(PrincipalRef::Role(r)) = account.principal(&a.role_arn) {
            let entry = by_role.entry(r.arn.as_str()).or_default();
            match incident.get(a.event_id.as_str()) {
                Some(ids) => entry.1.push((a, ids.clone())),
                None => entry.0.push(a),
            }
        }
    }
    let none = (Vec::new(), Vec::new());
    for rec in recs.iter_mut().filter(|r| r.kind == PrincipalKind::Role) {
        let Some(PrincipalRef::Role(role)) = account.principal(&rec.arn) else { continue };
        let Some(doc) = &role.trust_document else { continue };
        let (used, set_aside) = by_role.get(role.arn.as_str()).unwrap_or(&none);
        let mut t = recommend::trust::trim(doc, used, set_aside);
        if t.proposed.is_some() {
            t.file = Some(format!(
                "policies/{}/roles/{}.trust.json",
                output::segment(&rec.account),
                output::segment(&rec.name)
            ));
        }
        rec.trust = Some(t);
    }
    // Roles whose people fall into more than one group of use: propose one set per group.
    let people = usage::people::report_from(&identity, &usage::load_facts(lake, window, None)?, None);
    for role in people.roles.into_iter().filter(|r| r.groups.len() > 1) {
        if let Some(rec) = recs.iter_mut().find(|r| r.arn == role.role) {
            rec.split_by_people = Some(role);
        }
    }
    Ok(recs)
}

/// Tell, for each used action the current policies do not grant, whether the policies at the
/// time of its calls did (the account rebuilt from the lake's IAM changes, see
/// `account::history`).
fn check_not_granted(
    lake: &Path,
    account: &Account,
    inputs: &[PrincipalInput],
    recs: &mut [recommend::Recommendation],
) -> Result<()> {
    if recs.iter().all(|r| r.used_not_granted.is_empty()) {
        return Ok(());
    }
    let changes = history::load_changes(lake)?;
    // The model changes only at a change: one per number of changes later than the instant.
    let mut models: BTreeMap<usize, history::AsOf> = BTreeMap::new();
    for rec in recs.iter_mut().filter(|r| !r.used_not_granted.is_empty()) {
        let Some(input) = inputs.iter().find(|i| i.arn == rec.arn) else { continue };
        let arn = rec.arn.clone();
        recommend::check_not_granted(rec, input, |t| {
            let later = changes.iter().filter(|c| c.time_ms > t).count();
            let m = models.entry(later).or_insert_with(|| history::as_of(account, &changes, t));
            let unsure = m
                .uncertain_for(&arn)
                .iter()
                .map(|u| format!("{} (until {}): {}", u.subject, u.until, u.reason))
                .collect();
            Some((m.account.policy_set(&arn)?, unsure))
        });
    }
    Ok(())
}

/// The engine's inputs: one per user and role of the account (or of `only`), with its facts.
fn inputs(
    lake: &Path,
    account: &Account,
    window: &usage::Window,
    only: &[String],
    findings: Option<&[IncidentFinding]>,
) -> Result<Vec<PrincipalInput>> {
    usage::note_stale_facts(lake, window)?;
    let mut all = usage::resolve_passed_roles(&usage::load_facts(lake, window, None)?, account);
    let mut incident_only = BTreeMap::new();
    if let Some(findings) = findings {
        let ids: BTreeSet<String> =
            findings.iter().filter(|f| f.is_incident()).flat_map(|f| f.event_ids.iter().cloned()).collect();
        let events: Vec<(String, Fact)> = facts::event_facts(lake, window, &ids)?
            .into_iter()
            .map(|(id, f)| (id, usage::resolve_passed_roles(std::slice::from_ref(&f), account).remove(0)))
            .collect();
        (all, incident_only) = recommend::incidents::set_aside(all, &events, findings);
    }
    let report = usage::build_report(&all, account, None);
    let unobservable: BTreeMap<&str, BTreeSet<String>> =
        report.principals.iter().map(|p| (p.arn.as_str(), p.unobservable.iter().cloned().collect())).collect();
    let start = window
        .from
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
        .or_else(|| all.iter().map(|f| f.first_seen).min())
        .unwrap_or(0);
    let end = window
        .to
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map(|t| t.and_utc().timestamp_millis())
        .or_else(|| all.iter().map(|f| f.last_seen).max())
        .unwrap_or(0);
    let mut by_principal: BTreeMap<&str, Vec<&Fact>> = BTreeMap::new();
    for f in &all {
        by_principal.entry(f.principal.as_str()).or_default().push(f);
    }
    let empty = BTreeSet::new();
    let mut inputs = Vec::new();
    for (arn, _) in account.principals() {
        if !only.is_empty() && !only.contains(&arn) {
            continue;
        }
        let (kind, name, created) = match account.principal(&arn) {
            Some(PrincipalRef::User(u)) => (PrincipalKind::User, u.name.clone(), u.create_date.clone()),
            // Service-linked roles are managed by AWS: nothing to trim.
            Some(PrincipalRef::Role(r)) if !r.is_service_linked() => {
                (PrincipalKind::Role, r.name.clone(), r.create_date.clone())
            }
            _ => continue,
        };
        let fs = by_principal.get(arn.as_str()).cloned().unwrap_or_default();
        let unobs = unobservable.get(arn.as_str()).unwrap_or(&empty);
        let incidents = incident_only.remove(&arn).unwrap_or_default();
        if let Some(i) = input_for(account, &arn, kind, &name, created.as_deref(), &fs, unobs, incidents, (start, end))
        {
            inputs.push(i);
        }
    }
    Ok(inputs)
}

pub fn run(a: &RecommendArgs) -> Result<Status> {
    crate::lake::require(&a.lake)?;
    a.facts.apply(&a.window)?;
    let account = a.iam.load()?;
    let opts = RecommendOptions {
        keep_sid_prefix: a.keep_sid_prefix.clone(),
        min_days: a.min_days,
        keep_unobservable: !a.drop_unobservable,
        target: if a.managed { PolicyTarget::Managed } else { PolicyTarget::Inline },
        exclude: a.exclude.clone(),
        ..Default::default()
    };
    let only = a.principals.iter().map(|p| account.resolve_principal(p)).collect::<Result<Vec<_>, _>>()?;
    let explain_action = match &a.explain {
        Some(given) => {
            let action =
                recommend::explain::catalog_action(given).map_err(|e| UsageError(format!("--explain: {e}")))?;
            if only.len() != 1 {
                return Err(UsageError("--explain needs exactly one --principal".into()).into());
            }
            if a.format == SummaryFormat::Csv {
                return Err(UsageError("--explain prints a table or JSON, not CSV".into()).into());
            }
            Some(action)
        }
        None => None,
    };
    // Checked before the work: a folder trailtrim may not write into fails at once.
    let out_dir = match (&explain_action, &a.out) {
        (None, Some(out)) => Some(OutputDir::open(out)?),
        _ => None,
    };
    let window = a.window.window();
    let findings: Option<Vec<IncidentFinding>> = if a.keep_incident_actions {
        None
    } else if let Some(path) = &a.findings {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let parsed = recommend::incidents::parse_findings(&text)
            .map_err(|e| anyhow::anyhow!("{}: not a findings.json ({e})", path.display()))?;
        Some(parsed)
    } else {
        let d = crate::pipeline::detection(&a.lake, Some(&account), &window)?;
        Some(recommend::incidents::from_detection(&d.findings, &d.incidents))
    };
    if let Some(action) = explain_action {
        let input =
            inputs(&a.lake, &account, &window, &only, findings.as_deref())?.into_iter().next().ok_or_else(|| {
                UsageError(format!("{}: not trimmed (only users and roles that are not service-linked are)", only[0]))
            })?;
        let rec = recommend::recommend(&input, &opts);
        let e = recommend::explain::explain(&input, &rec, &action);
        let text = match a.format {
            SummaryFormat::Json => serde_json::to_string_pretty(&e)? + "\n",
            _ => recommend::explain::render_table(&e),
        };
        std::io::stdout().lock().write_all(text.as_bytes())?;
        return Ok(Status::Ok);
    }
    // clap requires --out unless --explain is given.
    let (Some(mut out_dir), Some(out_path)) = (out_dir, a.out.as_ref()) else {
        return Err(UsageError("--out is required".into()).into());
    };
    let recs = compute_with_findings(&a.lake, &account, &window, &only, &opts, findings.as_deref())?;
    write_outputs(&mut out_dir, &recs)?;
    write_deployables(&mut out_dir, &account, &recs, opts.target, &a.emit)?;
    out_dir.finish()?;
    let mut out = std::io::stdout().lock();
    match a.format {
        SummaryFormat::Table => out.write_all(recommend::render_table(&recs).as_bytes())?,
        SummaryFormat::Md => out.write_all(recommend::render_markdown(&recs).as_bytes())?,
        SummaryFormat::Csv => out.write_all(recommend::render_csv(&recs).as_bytes())?,
        SummaryFormat::Json => {
            let mut json = serde_json::to_string_pretty(&recommend::recommendations_json(&recs))?;
            json.push('\n');
            out.write_all(json.as_bytes())?
        }
        SummaryFormat::None => {}
    }
    let failed = recs.iter().filter(|r| !r.ok).count();
    eprintln!(
        "recommend: {} principals, {} policies written to {}, {} not written (verification failed)",
        recs.len(),
        recs.iter().map(|r| r.policy_files.len()).sum::<usize>(),
        out_path.display(),
        failed
    );
    Ok(if failed > 0 { Status::Rejected } else { Status::Ok })
}

/// What each proposal replaces: the principal's own inline and attached policies, a user's groups.
fn replaced(account: &Account, recs: &[recommend::Recommendation]) -> BTreeMap<String, Replaced> {
    let mut out = BTreeMap::new();
    for r in recs {
        let rep = match account.principal(&r.arn) {
            Some(PrincipalRef::User(u)) => Replaced {
                inline: u.inline_policies.iter().map(|p| p.name.clone()).collect(),
                managed: u.attached_policies.clone(),
                groups: u.groups.clone(),
            },
            Some(PrincipalRef::Role(role)) => Replaced {
                inline: role.inline_policies.iter().map(|p| p.name.clone()).collect(),
                managed: role.attached_policies.clone(),
                groups: Vec::new(),
            },
            _ => continue,
        };
        out.insert(r.arn.clone(), rep);
    }
    out
}

/// The `--emit` forms under deploy/<account>/ (the policy files are written by `write_outputs`).
pub fn write_deployables(
    out: &mut OutputDir,
    account: &Account,
    recs: &[recommend::Recommendation],
    target: PolicyTarget,
    emits: &[EmitFormat],
) -> Result<()> {
    let forms: Vec<Form> = emits
        .iter()
        .filter_map(|e| match e {
            EmitFormat::Json => None,
            EmitFormat::Cli => Some(Form::Cli),
            EmitFormat::Terraform => Some(Form::Terraform),
            EmitFormat::Cloudformation => Some(Form::CloudFormation),
        })
        .collect();
    if forms.is_empty() {
        return Ok(());
    }
    for (rel, text) in emit::render(recs, &replaced(account, recs), target, &forms) {
        out.write(&rel, text.as_bytes())?;
        #[cfg(unix)]
        if rel.ends_with(".sh") {
            use std::os::unix::fs::PermissionsExt;
            let path = out.root().join(&rel);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .with_context(|| format!("making {} executable", path.display()))?;
        }
    }
    Ok(())
}

/// Write policies/, recommendations.json and report.md into an output folder (each file complete
/// or not at all; stale policies of an earlier run are removed by `OutputDir::finish`).
pub fn write_outputs(out: &mut OutputDir, recs: &[recommend::Recommendation]) -> Result<()> {
    let mut encoded = BTreeSet::new();
    for r in recs.iter().filter(|r| r.ok) {
        if !output::is_account_id(&r.account) {
            encoded.insert(format!("account id {:?} is not 12 digits", r.account));
        }
        if !output::is_iam_name(&r.name) {
            encoded.insert(format!("{} is named {:?}, not a valid IAM name", r.arn, r.name));
        }
        for (file, doc) in r.policy_files.iter().zip(&r.documents) {
            let mut text = serde_json::to_string_pretty(doc)?;
            text.push('\n');
            out.write(file, text.as_bytes())?;
        }
    }
    for t in recs.iter().filter_map(|r| r.trust.as_ref()) {
        if let (Some(doc), Some(file)) = (&t.proposed, &t.file) {
            let mut text = serde_json::to_string_pretty(doc)?;
            text.push('\n');
            out.write(file, text.as_bytes())?;
        }
    }
    for w in encoded {
        eprintln!("trailtrim: warning: {w}: percent-encoded in the policy file's path");
    }
    let mut json = serde_json::to_string_pretty(&recommend::recommendations_json(recs))?;
    json.push('\n');
    out.write("recommendations.json", json.as_bytes())?;
    out.write("report.md", recommend::render_markdown(recs).as_bytes())?;
    Ok(())
}
