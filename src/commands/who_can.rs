//! `trailtrim who-can`: every principal that may perform an action on a resource.

use super::iam::{with_as_of, AsOfArgs, IamArgs};
use super::Status;
use crate::catalog::catalog;
use crate::report::Format;
use crate::text_table::TextTable;
use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WhoCanFormat {
    Table,
    Json,
    /// One row per principal; conditions and statements joined by "; ".
    Csv,
    Md,
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
    #[command(flatten)]
    pub as_of: AsOfArgs,
    /// The lake whose IAM-change events --as-of undoes.
    #[arg(long)]
    pub lake: Option<std::path::PathBuf>,
}

pub fn run(a: &WhoCanArgs) -> Result<Status> {
    let Some(action) = catalog().canonical(&a.action) else {
        bail!("{} is not an action of the IAM action catalog", a.action);
    };
    let (account, as_of) = a.as_of.apply(a.iam.load()?, a.lake.as_deref())?;
    let found = account.who_can(&action, &a.resource);
    let mut out = std::io::stdout().lock();
    match a.format {
        WhoCanFormat::Json => {
            let v = serde_json::json!({ "principals": found });
            serde_json::to_writer_pretty(&mut out, &with_as_of(v, as_of.as_ref()))?;
            writeln!(out)?;
        }
        WhoCanFormat::Csv | WhoCanFormat::Md => {
            let col = |f: &dyn Fn(&crate::account::who_can::WhoCan) -> String| -> Vec<String> {
                found.iter().map(f).collect()
            };
            let df = polars::df!(
                "principal" => col(&|w| w.arn.clone()),
                "via" => col(&|w| w.via.to_owned()),
                "decision" => col(&|w| w.decision.to_owned()),
                "statements" => col(&|w| w.statements.join("; ")),
                "conditions" => col(&|w| w.conditions.join("; ")),
            )?;
            let format = if a.format == WhoCanFormat::Csv { Format::Csv } else { Format::Md };
            crate::report::frame::render(&df, format, &mut out)?;
        }
        WhoCanFormat::Table => {
            if let Some(r) = &as_of {
                let (n, k) = (r.undone.len(), r.uncertain.len());
                writeln!(out, "as of {} ({n} later IAM changes undone, {k} uncertain)", r.time)?;
            }
            let mut t = TextTable::new(&["principal", "via", "decision", "statements / conditions"]);
            for w in &found {
                t.row([w.arn.to_string(), w.via.to_string(), w.decision.to_string(), w.statements.join(", ")]);
                for c in &w.conditions {
                    t.row(["", "", "", &format!("if {c}")]);
                }
            }
            out.write_all(t.render().as_bytes())?;
        }
    }
    Ok(Status::Ok)
}
