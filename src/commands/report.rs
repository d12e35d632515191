//! `trailtrim report`: the compliance page (HTML, or Markdown) from usage, recommendations,
//! detection and the credential report.

use super::iam::IamArgs;
use super::usage::WindowArgs;
use super::Status;
use crate::recommend::RecommendOptions;
use crate::report::compliance::{self, ComplianceData};
use anyhow::{Context, Result};
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Html,
    Md,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[arg(long)]
    pub lake: PathBuf,
    #[command(flatten)]
    pub iam: IamArgs,
    #[command(flatten)]
    pub window: WindowArgs,
    #[command(flatten)]
    pub facts: super::usage::FactsArgs,
    /// The report file to write (written whole or not at all). Without it the report goes to
    /// standard output, so the global `--output FILE` works as for every other command.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
    pub format: ReportFormat,
    /// Days after which a password or access key counts as unused.
    #[arg(long, default_value_t = 90)]
    pub max_unused_days: i64,
}

pub fn run(a: &ReportArgs) -> Result<Status> {
    crate::lake::require(&a.lake)?;
    if let Some(out) = a.out.as_deref().filter(|o| o.is_dir()) {
        crate::usage_bail!("--out {}: is a folder; `report --out` names the report file to write", out.display());
    }
    a.facts.apply(&a.window)?;
    let account = a.iam.load()?;
    let window = a.window.window();
    let usage = crate::usage::report(&a.lake, &account, &window, None, a.max_unused_days)?;
    let detection = crate::pipeline::detection(&a.lake, Some(&account), &window)?;
    let findings = detection.findings.clone();
    // The same recommendations as `run` and `recommend`: calls of incidents are not evidence of need.
    let incidents = crate::recommend::incidents::from_detection(&detection.findings, &detection.incidents);
    let recs = super::recommend::compute_with_findings(
        &a.lake,
        &account,
        &window,
        &[],
        &RecommendOptions { keep_unobservable: true, ..RecommendOptions::default() },
        Some(&incidents),
    )?;
    let data =
        crate::report::gather::gather(&a.lake, &account, &window, &usage, &recs, &findings, &detection.incidents, "")?;
    match &a.out {
        Some(out) => {
            write_report(out, a.format, &data)?;
            eprintln!("report: wrote {}", out.display());
        }
        None => std::io::stdout().lock().write_all(render_report(a.format, &data).as_bytes())?,
    }
    Ok(Status::Ok)
}

pub fn render_report(format: ReportFormat, data: &ComplianceData) -> String {
    match format {
        ReportFormat::Html => compliance::render_html(data),
        ReportFormat::Md => compliance::render_markdown(data),
    }
}

/// Write the report file named by `--out` (the only file `report` replaces), complete or not at all.
pub fn write_report(path: &Path, format: ReportFormat, data: &ComplianceData) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    crate::output::write_atomically(path, render_report(format, data).as_bytes())
}
