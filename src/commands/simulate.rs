use super::iam::{arn_account, parse_context, with_as_of, AsOfArgs, IamArgs};
use super::Status;
use crate::catalog::catalog;
use crate::error::UsageError;
use crate::policy::{evaluate, Request};
use anyhow::{bail, Result};
use clap::Args;
use std::io::Write;

#[derive(Debug, Args)]
pub struct SimulateArgs {
    #[command(flatten)]
    pub iam: IamArgs,
    /// The caller: a user, role, assumed-role session or root ARN of the account.
    #[arg(long)]
    pub principal: String,
    /// An IAM action, e.g. s3:GetObject (checked against the action catalog).
    #[arg(long)]
    pub action: String,
    /// The resource ARN (or *).
    #[arg(long, default_value = "*")]
    pub resource: String,
    /// Request context, KEY=VALUE (repeat a key for a multi-valued key).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// The region the request is made in (`aws:RequestedRegion`); default: the resource ARN's
    /// region, else us-east-1. Use `--context aws:RequestedRegion=...` to override or remove it.
    #[arg(long)]
    pub region: Option<String>,
    /// table (the decision and the statements that made it) or json.
    #[arg(long, value_enum, default_value_t)]
    pub format: super::SummaryFormat,
    /// The same as `--format json` (kept for scripts that use it).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub as_of: AsOfArgs,
    /// The lake whose IAM-change events --as-of undoes.
    #[arg(long)]
    pub lake: Option<std::path::PathBuf>,
}

pub fn run(a: &SimulateArgs) -> Result<Status> {
    let Some(action) = catalog().canonical(&a.action) else {
        bail!("{} is not an action of the IAM action catalog", a.action);
    };
    let (account, as_of) = a.as_of.apply(a.iam.load()?, a.lake.as_deref())?;
    // An ARN is used as given (a session ARN keeps its session); a bare name becomes its ARN.
    let principal =
        if a.principal.starts_with("arn:") { a.principal.clone() } else { account.resolve_principal(&a.principal)? };
    let Some(set) = account.policy_set_for_request(&principal, &action, &a.resource) else {
        return Err(account
            .resolve_principal(&principal)
            .err()
            .unwrap_or_else(|| UsageError(format!("principal {principal} is not in {}", a.iam.path().display()))))?;
    };
    let mut context = account.base_context(&principal);
    // Keys every real API request carries; without them region guards in SCPs would always fire.
    let region = a
        .region
        .clone()
        .or_else(|| crate::arn::Arn::get(&a.resource).map(|r| r.region).filter(|r| !r.is_empty()).map(str::to_owned));
    context.insert("aws:RequestedRegion", region.unwrap_or_else(|| "us-east-1".to_owned()));
    context.insert("aws:SecureTransport", "true");
    for (k, v) in parse_context(&a.context)?.iter() {
        context.insert_multi(k, v.to_vec());
    }
    let req = Request {
        principal,
        principal_account: Some(account.account_id.clone()),
        action,
        resource: a.resource.clone(),
        resource_account: Some(arn_account(&a.resource).unwrap_or(&account.account_id).to_owned()),
        context,
    };
    let ev = evaluate(&set, &req);
    let mut out = std::io::stdout().lock();
    if a.format.or_json(a.json) == super::SummaryFormat::Json {
        let v = serde_json::json!({"request": req, "evaluation": ev});
        serde_json::to_writer_pretty(&mut out, &with_as_of(v, as_of.as_ref()))?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}  {} on {} by {}", ev.decision, req.action, req.resource, req.principal)?;
        if let Some(r) = &as_of {
            writeln!(
                out,
                "as of {} ({} later IAM changes undone, {} uncertain)",
                r.time,
                r.undone.len(),
                r.uncertain.len()
            )?;
        }
        writeln!(out, "reason: {}", ev.reason)?;
        for s in &ev.statements {
            writeln!(out, "  decided by {s} ({:?})", s.kind)?;
        }
    }
    Ok(Status::Ok)
}
