//! `trailtrim detect`: security findings from the lake (rules, baselines, and IAM knowledge).

use super::iam::IamArgs;
use super::usage::WindowArgs;
use super::Status;
use crate::account::Account;
use crate::catalog::catalog;
use crate::detect::incidents::{self, Traces};
use crate::detect::sigma::SigmaRule;
use crate::detect::{self, DetectOptions, Event, Finding, Incident};
use crate::lake;
use crate::text_table::TextTable;
use crate::usage::Window;
use anyhow::Result;
use clap::Args;
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DetectFormat {
    Table,
    Json,
    Md,
    /// OCSF Detection Finding (class 2004), one JSON object per line.
    Ocsf,
    /// AWS Security Finding Format: the `{"Findings": [...]}` body of Security Hub's
    /// BatchImportFindings.
    Asff,
    /// One row per finding; event ids joined by "; " (the evidence stays in JSON).
    Csv,
}

#[derive(Debug, Args)]
pub struct DetectArgs {
    #[arg(long)]
    pub lake: PathBuf,
    /// Authorization details: enables first-use-of-high-risk-permission findings.
    #[arg(long)]
    pub iam: Option<PathBuf>,
    #[command(flatten)]
    pub window: WindowArgs,
    #[arg(long, value_enum, default_value_t = DetectFormat::Table)]
    pub format: DetectFormat,
    /// End of the baseline period (YYYY-MM-DD, exclusive); default: the first 2/3 of the days
    /// where the events are.
    #[arg(long)]
    pub baseline_until: Option<chrono::NaiveDate>,
    /// List the detectors and exit.
    #[arg(long)]
    pub list: bool,
    /// Findings of one actor (access key, session, source address, AssumeRole chain) at most
    /// this far apart are one incident: a number and a unit s, m, h or d.
    #[arg(long, default_value = "2h", value_parser = incidents::parse_gap)]
    pub incident_gap: i64,
    /// Also run the Sigma rules (logsource aws / cloudtrail) of this folder; a rule that cannot
    /// be run is skipped with a warning naming its file (exit status 3).
    #[arg(long, value_name = "DIR")]
    pub sigma: Option<PathBuf>,
    /// `--format asff`: the Security Hub region the findings are imported into (their
    /// ProductArn names it).
    #[arg(long, default_value = "us-east-1")]
    pub asff_region: String,
}

/// For every principal of the account, the high-risk catalog actions its policies grant.
pub fn granted_high_risk(account: &Account) -> BTreeMap<String, BTreeSet<String>> {
    let high: Vec<&String> = catalog().full_names().iter().filter(|a| catalog().is_high_risk(a)).collect();
    let mut out = BTreeMap::new();
    for (arn, _) in account.principals() {
        let Some(set) = account.policy_set(&arn) else { continue };
        let info = crate::policy::PrincipalInfo { arn: arn.clone(), account: Some(account.account_id.clone()) };
        let index = crate::policy::AccessIndex::new(&set, &info);
        let granted: BTreeSet<String> =
            high.iter().filter(|a| index.access(a) != crate::policy::Access::None).map(|a| (*a).clone()).collect();
        out.insert(arn, granted);
    }
    out
}

/// Run detection over the lake (shared with `report`).
pub fn compute(
    lake_dir: &Path,
    account: Option<&Account>,
    window: &Window,
    baseline_until: Option<chrono::NaiveDate>,
) -> Result<Vec<Finding>> {
    Ok(detect_events(lake_dir, account, window, baseline_until, &HashSet::new())?.1)
}

/// Detection's events (the candidates, see `detect::history`), its findings, the baseline they
/// were judged against and the lake's main account. The baseline comes from the lake's
/// detection state; partitions are read one at a time and only their candidate events are kept
/// (`keep_ids` too), so memory follows the findings' events, not the window.
fn detect_events(
    lake_dir: &Path,
    account: Option<&Account>,
    window: &Window,
    baseline_until: Option<chrono::NaiveDate>,
    keep_ids: &HashSet<String>,
) -> Result<(Vec<Event>, Vec<Finding>, detect::Baseline, Option<String>)> {
    let mut opts = DetectOptions::default();
    if let Some(d) = baseline_until {
        opts.baseline_end_ms = d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis());
    }
    let granted = account.map(granted_high_risk).unwrap_or_default();
    let state = match crate::usage::facts::scan_detect_state(lake_dir, window)? {
        Some(lf) => lf.select(detect::history::COLUMNS.iter().map(|c| col(*c)).collect::<Vec<_>>()),
        None => DataFrame::empty_with_schema(&detect::history::schema()).lazy(),
    };
    let prior = detect::Prior::from_lazy(state, &opts)?;
    let candidates = detect::history::Candidates { prior: &prior, opts: &opts, granted: &granted, keep_ids };
    let mut events = Vec::new();
    for files in lake::partition_files(lake_dir, window)? {
        events.extend(candidates.keep(detect::load::read_partition(&files)?));
    }
    events.sort_by(|a, b| (a.time_ms, &a.event_id).cmp(&(b.time_ms, &b.event_id)));
    let (findings, baseline) = detect::detect_with_prior(&events, &opts, &granted, Some(&prior));
    Ok((events, findings, baseline, prior.main_account))
}

/// Findings and the incidents they form.
#[derive(Debug, Clone, Default)]
pub struct Detection {
    pub findings: Vec<Finding>,
    pub incidents: Vec<Incident>,
    /// The lake's main account (ASFF needs an account for every finding).
    pub account_id: Option<String>,
    /// The baseline period the findings were judged against.
    pub baseline: Option<detect::Baseline>,
}

/// Run detection and group the findings into incidents (`gap_ms`: see `--incident-gap`).
pub fn analyse(
    lake_dir: &Path,
    account: Option<&Account>,
    window: &Window,
    baseline_until: Option<chrono::NaiveDate>,
    gap_ms: i64,
    sigma: &[SigmaRule],
) -> Result<Detection> {
    // Sigma matches first: their events are kept with detection's candidates.
    let mut hits: Vec<Vec<String>> = vec![Vec::new(); sigma.len()];
    if !sigma.is_empty() {
        for files in lake::partition_files(lake_dir, window)? {
            for (all, found) in hits.iter_mut().zip(detect::sigma::matches(lake::scan_files(&files)?, sigma)?) {
                all.extend(found);
            }
        }
    }
    let keep: HashSet<String> = hits.iter().flatten().cloned().collect();
    let (events, mut findings, baseline, account_id) = detect_events(lake_dir, account, window, baseline_until, &keep)?;
    if !sigma.is_empty() {
        findings.extend(detect::sigma::findings(sigma, &hits, &events, DetectOptions::default().group_gap_ms));
        findings.sort_by(|a, b| (&a.first_seen, &a.detector, &a.id).cmp(&(&b.first_seen, &b.detector, &b.id)));
    }
    let keys = access_keys(lake_dir, window, &Traces::wanted_ids(&events, &findings))?;
    let traces = Traces::new(&events, &findings, &keys);
    drop(events);
    let incidents = incidents::group(&mut findings, &traces, gap_ms);
    Ok(Detection { findings, incidents, account_id, baseline: Some(baseline) })
}

/// The access key ids of some events (event id -> key; events without one are left out).
fn access_keys(lake_dir: &Path, window: &Window, ids: &BTreeSet<String>) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let wanted = Series::new("ids".into(), ids.iter().cloned().collect::<Vec<String>>());
    for files in lake::partition_files(lake_dir, window)? {
        let df = lake::scan_files(&files)?
            .select([col("event_id"), col("access_key_id")])
            .filter(
                col("event_id")
                    .is_in(lit(wanted.clone()).implode(false), false)
                    .and(col("access_key_id").is_not_null()),
            )
            .collect()?;
        let (id, key) = (df.column("event_id")?.str()?, df.column("access_key_id")?.str()?);
        for (i, k) in id.iter().zip(key.iter()) {
            if let (Some(i), Some(k)) = (i, k) {
                out.insert(i.to_owned(), k.to_owned());
            }
        }
    }
    Ok(out)
}

pub fn run(a: &DetectArgs) -> Result<Status> {
    crate::lake::require(&a.lake)?;
    let mut out = std::io::stdout().lock();
    if a.list {
        let mut t = TextTable::new(&["detector", "severity", "mitre", "description"]);
        for d in detect::list_detectors() {
            t.row([d.id.to_string(), d.severity.as_str().to_owned(), d.mitre.to_string(), d.description.to_string()]);
        }
        out.write_all(t.render().as_bytes())?;
        return Ok(Status::Ok);
    }
    let account = match &a.iam {
        Some(p) => Some(
            IamArgs { iam: Some(p.clone()), scps: None, rcps: None, resource_policies: None, credential_report: None }
                .load()?,
        ),
        None => None,
    };
    let mut status = Status::Ok;
    let sigma = match &a.sigma {
        Some(dir) => {
            let set = detect::sigma::load_dir(dir)?;
            for s in &set.skipped {
                eprintln!("warning: {s}");
            }
            if !set.skipped.is_empty() {
                status = Status::Rejected;
            }
            eprintln!(
                "sigma: {} rule(s) run from {}, {} skipped, {} for other log sources",
                set.rules.len(),
                dir.display(),
                set.skipped.len(),
                set.other_logsource
            );
            set.rules
        }
        None => Vec::new(),
    };
    let d = analyse(&a.lake, account.as_ref(), &a.window.window(), a.baseline_until, a.incident_gap, &sigma)?;
    let findings = &d.findings;
    if let Some(b) = &d.baseline {
        if let Some(w) = &b.warning {
            eprintln!(
                "warning: {w} (baseline {} .. {})",
                b.from.as_deref().unwrap_or("-"),
                b.to.as_deref().unwrap_or("-")
            );
        }
    }
    match a.format {
        DetectFormat::Ocsf => {
            for f in findings {
                serde_json::to_writer(&mut out, &detect::export::ocsf(f, d.account_id.as_deref()))?;
                writeln!(out)?;
            }
        }
        DetectFormat::Asff => {
            let (doc, skipped) = detect::export::asff_document(findings, d.account_id.as_deref(), &a.asff_region);
            for id in &skipped {
                eprintln!("warning: finding {id} names no AWS account: left out of the ASFF document");
            }
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        DetectFormat::Json => {
            let mut doc = detect::detection_json(findings, &d.incidents);
            doc["baseline"] = serde_json::to_value(&d.baseline)?;
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        DetectFormat::Md => out.write_all(detection_markdown(&d).as_bytes())?,
        DetectFormat::Csv => {
            let col = |f: &dyn Fn(&detect::Finding) -> String| -> Vec<String> { findings.iter().map(f).collect() };
            let df = polars::df!(
                "id" => col(&|f| f.id.clone()),
                "severity" => col(&|f| f.severity.as_str().to_owned()),
                "detector" => col(&|f| f.detector.clone()),
                "mitre" => col(&|f| f.mitre.clone()),
                "principal" => col(&|f| f.principal.clone().unwrap_or_default()),
                "actor" => col(&|f| f.actor.clone().unwrap_or_default()),
                "first_seen" => col(&|f| f.first_seen.clone()),
                "last_seen" => col(&|f| f.last_seen.clone()),
                "incident_id" => col(&|f| f.incident_id.clone().unwrap_or_default()),
                "summary" => col(&|f| f.summary.clone()),
                "event_ids" => col(&|f| f.event_ids.join("; ")),
            )?;
            crate::report::frame::render(&df, crate::report::Format::Csv, &mut out)?;
        }
        DetectFormat::Table => {
            let mut t = TextTable::new(&["severity", "detector", "first seen", "principal", "summary"]);
            for f in findings {
                t.row([
                    f.severity.as_str().to_owned(),
                    f.detector.to_string(),
                    f.first_seen.to_string(),
                    f.principal.as_deref().unwrap_or("-").to_owned(),
                    f.summary.to_string(),
                ]);
            }
            out.write_all(t.render().as_bytes())?;
            writeln!(out, "({} findings)", findings.len())?;
        }
    }
    Ok(status)
}

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
