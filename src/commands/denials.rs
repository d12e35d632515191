//! `trailtrim denials`: every denied call of the lake, the layer that denied it and the fix.

use super::iam::IamArgs;
use super::usage::WindowArgs;
use super::Status;
use crate::denials;
use crate::recommend::incidents::{parse_findings, IncidentFinding};
use crate::text_table::TextTable;
use anyhow::{Context as _, Result};
use clap::{Args, ValueEnum};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DenialsFormat {
    Table,
    Json,
    Md,
    /// One row per denial; statements and event ids joined by "; ", the fix as JSON.
    Csv,
}

#[derive(Debug, Args)]
pub struct DenialsArgs {
    /// The lake: a folder or s3://bucket/prefix.
    #[arg(long)]
    pub lake: PathBuf,
    #[command(flatten)]
    pub iam: IamArgs,
    #[command(flatten)]
    pub window: WindowArgs,
    /// Findings (findings.json of `detect --format json` or `run`): denials in the events of high
    /// or critical ones are suspicious. Without it the detectors run on the lake.
    #[arg(long)]
    pub findings: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = DenialsFormat::Table)]
    pub format: DenialsFormat,
}

pub fn run(a: &DenialsArgs) -> Result<Status> {
    crate::lake::require(&a.lake)?;
    let account = a.iam.load()?;
    let window = a.window.window();
    let findings: Vec<IncidentFinding> = match &a.findings {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            parse_findings(&text).map_err(|e| anyhow::anyhow!("{}: not a findings.json ({e})", path.display()))?
        }
        None => {
            let d = crate::pipeline::detection(&a.lake, Some(&account), &window)?;
            crate::recommend::incidents::from_detection(&d.findings, &d.incidents)
        }
    };
    let incident_events: BTreeSet<String> =
        findings.iter().filter(|f| f.is_incident()).flat_map(|f| f.event_ids.iter().cloned()).collect();
    let found = denials::explain(&a.lake, &account, &window, &incident_events)?;
    let mut out = std::io::stdout().lock();
    match a.format {
        DenialsFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &denials::to_json(&found))?;
            writeln!(out)?;
        }
        DenialsFormat::Md => out.write_all(denials::markdown(&found).as_bytes())?,
        DenialsFormat::Csv => {
            let col = |f: &dyn Fn(&denials::Denial) -> String| -> Vec<String> { found.iter().map(f).collect() };
            let df = polars::df!(
                "count" => found.iter().map(|d| d.count).collect::<Vec<u64>>(),
                "layer" => col(&|d| d.layer.clone()),
                "decision" => col(&|d| d.decision.clone()),
                "principal" => col(&|d| d.principal.clone()),
                "action" => col(&|d| d.action.clone()),
                "resource" => col(&|d| d.resource.clone()),
                "statements" => col(&|d| d.statements.join("; ")),
                "first_seen" => col(&|d| d.first_seen.clone()),
                "last_seen" => col(&|d| d.last_seen.clone()),
                "suspicious" => found.iter().map(|d| d.suspicious).collect::<Vec<bool>>(),
                "event_ids" => col(&|d| d.event_ids.join("; ")),
                "fix" => col(&|d| d.fix.as_ref().map(|f| f.to_string()).unwrap_or_default()),
            )?;
            crate::report::frame::render(&df, crate::report::Format::Csv, &mut out)?;
        }
        DenialsFormat::Table => {
            let mut t =
                TextTable::new(&["count", "layer", "decision", "principal", "action", "resource / fix"]).right(&[0]);
            for d in &found {
                let fix = if d.suspicious {
                    "SUSPICIOUS: part of a finding, not fixed".to_owned()
                } else {
                    denials::describe_fix(&d.fix)
                };
                t.row([
                    d.count.to_string(),
                    d.layer.to_string(),
                    d.decision.to_string(),
                    d.principal.to_string(),
                    d.action.to_string(),
                    d.resource.to_string(),
                ]);
                // Continuation rows: the deciding statements and the fix, under the resource.
                if !d.statements.is_empty() {
                    t.row(["", "", "", "", "", &format!("decided by {}", d.statements.join(", "))]);
                }
                if !fix.is_empty() {
                    t.row(["", "", "", "", "", &format!("fix: {fix}")]);
                }
            }
            out.write_all(t.render().as_bytes())?;
        }
    }
    Ok(Status::Ok)
}
