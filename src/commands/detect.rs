//! `trailtrim detect`: security findings from the lake (rules, baselines, and IAM knowledge).

use super::iam::IamArgs;
use super::usage::WindowArgs;
use super::Status;
use crate::account::Account;
use crate::catalog::catalog;
use crate::detect::{self, DetectOptions, Event, Finding};
use crate::lake;
use crate::usage::Window;
use anyhow::Result;
use clap::Args;
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DetectFormat {
    Table,
    Json,
    Md,
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
    /// End of the baseline period (YYYY-MM-DD, exclusive); default: the first 2/3 of the window.
    #[arg(long)]
    pub baseline_until: Option<chrono::NaiveDate>,
    /// List the detectors and exit.
    #[arg(long)]
    pub list: bool,
}

const COLUMNS: &[&str] = &[
    "event_id",
    "event_time",
    "event_source",
    "event_name",
    "aws_region",
    "source_ip",
    "user_agent",
    "error_code",
    "error_message",
    "event_type",
    "read_only",
    "identity_type",
    "identity_arn",
    "account_id",
    "recipient_account_id",
    "user_name",
    "invoked_by",
    "session_issuer_arn",
    "session_name",
    "session_mfa",
    "ec2_role_delivery",
    "vpc_endpoint_id",
    "request_parameters",
    "response_elements",
    "additional_event_data",
];

/// The detectors read responses and additional event data of console sign-ins only; other
/// events' copies are left out, which keeps a million-event load well under a gigabyte.
fn column_expr(c: &str) -> Expr {
    match c {
        "event_time" => col(c).cast(DataType::Int64),
        "response_elements" | "additional_event_data" => when(col("event_name").eq(lit("ConsoleLogin")))
            .then(col(c))
            .otherwise(lit(NULL).cast(DataType::String))
            .alias(c),
        _ => col(c),
    }
}

/// Read the events detection needs from the lake, sorted by time then event id. Partitions are
/// loaded one at a time, so only one partition's frame is in memory beside the events.
pub fn load_events(lake_dir: &Path, window: &Window) -> Result<Vec<Event>> {
    let mut out = Vec::new();
    for files in lake::partition_files(lake_dir, window)? {
        let mut df =
            lake::scan_files(&files)?.select(COLUMNS.iter().map(|c| column_expr(c)).collect::<Vec<_>>()).collect()?;
        df.rechunk_mut_par();
        append_events(&df, &mut out)?;
    }
    out.sort_by(|a, b| (a.time_ms, &a.event_id).cmp(&(b.time_ms, &b.event_id)));
    Ok(out)
}

fn append_events(df: &DataFrame, out: &mut Vec<Event>) -> Result<()> {
    let s = |n: &str| -> Result<&StringChunked> { Ok(df.column(n)?.str()?) };
    let b = |n: &str| -> Result<&BooleanChunked> { Ok(df.column(n)?.bool()?) };
    let o = |c: &StringChunked, i: usize| c.get(i).map(str::to_owned);
    let (id, src, name, region) = (s("event_id")?, s("event_source")?, s("event_name")?, s("aws_region")?);
    let (ip, ua, code, msg, etype) =
        (s("source_ip")?, s("user_agent")?, s("error_code")?, s("error_message")?, s("event_type")?);
    let (itype, iarn, acct, recip, uname) =
        (s("identity_type")?, s("identity_arn")?, s("account_id")?, s("recipient_account_id")?, s("user_name")?);
    let (inv, siarn, sname, ec2, vpce) = (
        s("invoked_by")?,
        s("session_issuer_arn")?,
        s("session_name")?,
        s("ec2_role_delivery")?,
        s("vpc_endpoint_id")?,
    );
    let (req, resp, add) = (s("request_parameters")?, s("response_elements")?, s("additional_event_data")?);
    let (ro, mfa) = (b("read_only")?, b("session_mfa")?);
    let time = df.column("event_time")?.i64()?;
    out.reserve(df.height());
    for i in 0..df.height() {
        out.push(Event {
            event_id: id.get(i).unwrap_or("").to_owned(),
            time_ms: time.get(i).unwrap_or(0),
            event_source: src.get(i).unwrap_or("").to_owned(),
            event_name: name.get(i).unwrap_or("").to_owned(),
            aws_region: region.get(i).unwrap_or("").to_owned(),
            source_ip: o(ip, i),
            user_agent: o(ua, i),
            error_code: o(code, i),
            error_message: o(msg, i),
            event_type: o(etype, i),
            read_only: ro.get(i),
            identity_type: o(itype, i),
            identity_arn: o(iarn, i),
            account_id: o(acct, i),
            recipient_account_id: o(recip, i),
            user_name: o(uname, i),
            invoked_by: o(inv, i),
            session_issuer_arn: o(siarn, i),
            session_name: o(sname, i),
            session_mfa: mfa.get(i),
            ec2_role_delivery: o(ec2, i),
            vpc_endpoint_id: o(vpce, i),
            request_parameters: o(req, i),
            response_elements: o(resp, i),
            additional_event_data: o(add, i),
        });
    }
    Ok(())
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
    let events = load_events(lake_dir, window)?;
    let mut opts = DetectOptions::default();
    if let Some(d) = baseline_until {
        opts.baseline_end_ms = d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis());
    }
    let granted = account.map(granted_high_risk).unwrap_or_default();
    Ok(detect::detect(&events, &opts, &granted))
}

pub fn run(a: &DetectArgs) -> Result<Status> {
    let mut out = std::io::stdout().lock();
    if a.list {
        for d in detect::list_detectors() {
            writeln!(out, "{:<44} {:<9} {:<10} {}", d.id, d.severity.as_str(), d.mitre, d.description)?;
        }
        return Ok(Status::Ok);
    }
    let account = match &a.iam {
        Some(p) => Some(
            IamArgs { iam: Some(p.clone()), scps: None, rcps: None, resource_policies: None, credential_report: None }
                .load()?,
        ),
        None => None,
    };
    let findings = compute(&a.lake, account.as_ref(), &a.window.window(), a.baseline_until)?;
    match a.format {
        DetectFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "findings": findings }))?;
            writeln!(out)?;
        }
        DetectFormat::Md => out.write_all(findings_markdown(&findings).as_bytes())?,
        DetectFormat::Table => {
            writeln!(
                out,
                "{:<9} {:<44} {:<20} {:<60} {}",
                "severity", "detector", "first seen", "principal", "summary"
            )?;
            for f in &findings {
                writeln!(
                    out,
                    "{:<9} {:<44} {:<20} {:<60} {}",
                    f.severity.as_str(),
                    f.detector,
                    f.first_seen,
                    f.principal.as_deref().unwrap_or("-"),
                    f.summary
                )?;
            }
            writeln!(out, "({} findings)", findings.len())?;
        }
    }
    Ok(Status::Ok)
}

/// Findings as a Markdown table (most severe first), for tickets and reports.
pub fn findings_markdown(findings: &[Finding]) -> String {
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.first_seen.cmp(&b.first_seen)).then(a.id.cmp(&b.id)));
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
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
