//! `trailtrim run`: the nightly job — ingest, then usage, recommendations, findings and the
//! compliance report, all into one output folder.

use super::iam::IamArgs;
use super::usage::WindowArgs;
use super::Status;
use crate::ingest::{self, IngestOptions};
use crate::output::OutputDir;
use crate::recommend::{IncidentFinding, RecommendOptions};
use crate::report::compliance;
use anyhow::Result;
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// CloudTrail files or folders to ingest first (none: use the lake as it is).
    pub sources: Vec<PathBuf>,
    #[arg(long)]
    pub lake: PathBuf,
    #[command(flatten)]
    pub iam: IamArgs,
    #[command(flatten)]
    pub window: WindowArgs,
    /// Output folder: usage.json, findings.json, findings.md, policies/, recommendations.json,
    /// report.md (recommendations), compliance.html and compliance.md.
    #[arg(long)]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Keep actions used only in the events of high or critical findings in the recommendations
    /// (by default they are left out and listed).
    #[arg(long)]
    pub keep_incident_actions: bool,
    /// Deployable forms of the proposals, as `recommend --emit` (repeatable): cli, terraform,
    /// cloudformation under deploy/<account>/ (json, the policy files, is always written).
    #[arg(long = "emit", value_enum, value_name = "FORM")]
    pub emit: Vec<super::recommend::EmitFormat>,
    /// table: the summary line for people on stderr (always printed); json: also summary.json on
    /// stdout.
    #[arg(long, value_enum, default_value_t)]
    pub format: super::SummaryFormat,
}

#[derive(Serialize)]
struct RunSummary {
    ingest: Option<ingest::IngestSummary>,
    principals: usize,
    policies_written: usize,
    recommendations_not_verified: usize,
    findings: usize,
    findings_by_severity: std::collections::BTreeMap<String, usize>,
    outputs: Vec<String>,
}

fn write_json(out: &mut OutputDir, file: &str, v: &impl Serialize) -> Result<()> {
    let mut text = serde_json::to_string_pretty(v)?;
    text.push('\n');
    out.write(file, text.as_bytes())
}

pub fn run(a: &RunArgs) -> Result<Status> {
    let mut status = Status::Ok;
    // Checked before the work: a folder trailtrim may not write into fails at once.
    let mut out = OutputDir::open(&a.out)?;
    let ingest_summary = if a.sources.is_empty() {
        crate::lake::require(&a.lake)?;
        None
    } else {
        let mut opts = IngestOptions::new(a.sources.clone(), a.lake.clone());
        opts.progress = !a.quiet;
        let (s, _state) = crate::pipeline::ingest(&opts)?;
        if s.has_rejections() {
            status = Status::Rejected;
        }
        Some(s)
    };
    let account = a.iam.load()?;
    let window = a.window.window();

    let usage = crate::usage::report(&a.lake, &account, &window, None, 90)?;
    write_json(&mut out, "usage.json", &usage)?;
    let detection = crate::pipeline::detection(&a.lake, Some(&account), &window)?;
    let findings = &detection.findings;
    let incidents: Vec<IncidentFinding> =
        crate::recommend::incidents::from_detection(&detection.findings, &detection.incidents);
    let recs = super::recommend::compute_with_findings(
        &a.lake,
        &account,
        &window,
        &[],
        &RecommendOptions { keep_unobservable: true, ..RecommendOptions::default() },
        (!a.keep_incident_actions).then_some(&incidents[..]),
    )?;
    super::recommend::write_outputs(&mut out, &recs)?;
    let target = RecommendOptions::default().target;
    super::recommend::write_deployables(&mut out, &account, &recs, target, &a.emit)?;
    write_json(&mut out, "findings.json", &crate::detect::detection_json(findings, &detection.incidents))?;
    out.write("findings.md", crate::detect::markdown::detection_markdown(&detection).as_bytes())?;
    let data =
        crate::report::gather::gather(&a.lake, &account, &window, &usage, &recs, findings, &detection.incidents, "")?;
    out.write("compliance.html", compliance::render_html(&data).as_bytes())?;
    out.write("compliance.md", compliance::render_markdown(&data).as_bytes())?;

    let not_verified = recs.iter().filter(|r| !r.ok).count();
    if not_verified > 0 {
        status = Status::Rejected;
    }
    let mut by_severity = std::collections::BTreeMap::new();
    for f in findings {
        *by_severity.entry(f.severity.as_str().to_owned()).or_insert(0) += 1;
    }
    let summary = RunSummary {
        ingest: ingest_summary,
        principals: usage.principals.len(),
        policies_written: recs.iter().map(|r| r.policy_files.len()).sum(),
        recommendations_not_verified: not_verified,
        findings: findings.len(),
        findings_by_severity: by_severity,
        outputs: [
            "usage.json",
            "policies/",
            "recommendations.json",
            "report.md",
            "findings.json",
            "findings.md",
            "compliance.html",
            "compliance.md",
        ]
        .iter()
        .map(|f| a.out.join(f).display().to_string())
        .collect(),
    };
    eprintln!(
        "run: {} principals, {} policies written, {} findings ({}); see {}",
        summary.principals,
        summary.policies_written,
        summary.findings,
        summary.findings_by_severity.iter().map(|(k, v)| format!("{v} {k}")).collect::<Vec<_>>().join(", "),
        a.out.join("compliance.html").display()
    );
    write_json(&mut out, "summary.json", &summary)?;
    out.finish()?;
    if a.format == super::SummaryFormat::Json {
        let mut text = serde_json::to_string_pretty(&summary)?;
        text.push('\n');
        std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
    }
    Ok(status)
}
