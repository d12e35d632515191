//! `trailtrim who-can`: every principal that may perform an action on a resource.

use super::iam::IamArgs;
use super::Status;
use crate::catalog::catalog;
use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WhoCanFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct WhoCanArgs {
    #[command(flatten)]
    pub iam: IamArgs,
    /// An IAM action, e.g. s3:GetObject (checked against the action catalog).
    #[arg(long)]
    pub action: String,
    /// The resource ARN.
    #[arg(long)]
    pub resource: String,
    #[arg(long, value_enum, default_value_t = WhoCanFormat::Table)]
    pub format: WhoCanFormat,
}

pub fn run(a: &WhoCanArgs) -> Result<Status> {
    let Some(action) = catalog().canonical(&a.action) else {
        bail!("{} is not an action of the IAM action catalog", a.action);
    };
    let account = a.iam.load()?;
    let found = account.who_can(&action, &a.resource);
    let mut out = std::io::stdout().lock();
    match a.format {
        WhoCanFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "principals": found }))?;
            writeln!(out)?;
        }
        WhoCanFormat::Table => {
            writeln!(out, "{:<70}  {:<8}  {:<11}  {}", "principal", "via", "decision", "statements / conditions")?;
            for w in &found {
                writeln!(out, "{:<70}  {:<8}  {:<11}  {}", w.arn, w.via, w.decision, w.statements.join(", "))?;
                for c in &w.conditions {
                    writeln!(out, "{:<70}  {:<8}  {:<11}  if {c}", "", "", "")?;
                }
            }
        }
    }
    Ok(Status::Ok)
}
