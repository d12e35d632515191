//! `trailtrim detect`: security findings from the lake (rules, baselines, and IAM knowledge).

use super::iam::IamArgs;
use super::usage::WindowArgs;
use super::Status;
use crate::detect::{self, incidents};
use crate::text_table::TextTable;
use anyhow::Result;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

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
    let d = crate::pipeline::detect(
        &a.lake,
        account.as_ref(),
        &a.window.window(),
        a.baseline_until,
        a.incident_gap,
        &sigma,
    )?;
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
        DetectFormat::Md => out.write_all(detect::markdown::detection_markdown(&d).as_bytes())?,
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
