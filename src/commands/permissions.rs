//! `trailtrim permissions`: a principal's effective permissions over the whole action catalog.

use super::iam::{with_as_of, AsOfArgs, IamArgs};
use super::Status;
use crate::account::Account;
use crate::catalog::catalog;
use crate::policy::{Access, AccessIndex, PrincipalInfo};
use crate::report::Format;
use crate::text_table::TextTable;
use anyhow::{bail, Result};
use clap::Args;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PermFormat {
    Table,
    Json,
    /// One row per service and access level (the table's rows).
    Csv,
    Md,
}

#[derive(Debug, Args)]
pub struct PermissionsArgs {
    #[command(flatten)]
    pub iam: IamArgs,
    /// A user, role or root ARN of the account, or a user or role name.
    #[arg(long)]
    pub principal: String,
    #[arg(long, value_enum, default_value_t = PermFormat::Table)]
    pub format: PermFormat,
    #[command(flatten)]
    pub as_of: AsOfArgs,
    /// The lake whose IAM-change events --as-of undoes.
    #[arg(long)]
    pub lake: Option<std::path::PathBuf>,
}

/// Effective permissions of one service at one access level.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LevelAccess {
    /// Allowed on every resource, without conditions.
    pub full: Vec<String>,
    /// Allowed on some resources or under conditions.
    pub partial: Vec<String>,
    pub not_allowed: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServicePermissions {
    pub service: String,
    pub levels: BTreeMap<String, LevelAccess>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Permissions {
    pub principal: String,
    pub full: usize,
    pub partial: usize,
    pub not_allowed: usize,
    pub services: Vec<ServicePermissions>,
}

/// Classify every catalog action for `principal` (full, partial or not allowed).
pub fn effective_permissions(account: &Account, principal: &str) -> Result<Permissions> {
    let Some(set) = account.policy_set(principal) else { bail!("principal {principal} is not in the account") };
    let info = PrincipalInfo { arn: principal.to_owned(), account: Some(account.account_id.clone()) };
    let index = AccessIndex::new(&set, &info);
    let mut services: BTreeMap<String, BTreeMap<String, LevelAccess>> = BTreeMap::new();
    let (mut full, mut partial, mut none) = (0, 0, 0);
    for a in catalog().actions() {
        let level =
            services.entry(a.service.clone()).or_default().entry(a.access_level.as_str().to_owned()).or_default();
        match index.access(&a.full_name()) {
            Access::Full => {
                full += 1;
                level.full.push(a.full_name());
            }
            Access::Partial => {
                partial += 1;
                level.partial.push(a.full_name());
            }
            Access::None => {
                none += 1;
                level.not_allowed += 1;
            }
        }
    }
    let services = services
        .into_iter()
        .filter(|(_, levels)| levels.values().any(|l| !l.full.is_empty() || !l.partial.is_empty()))
        .map(|(service, levels)| ServicePermissions { service, levels })
        .collect();
    Ok(Permissions { principal: principal.to_owned(), full, partial, not_allowed: none, services })
}

pub fn run(a: &PermissionsArgs) -> Result<Status> {
    let (account, as_of) = a.as_of.apply(a.iam.load()?, a.lake.as_deref())?;
    let p = effective_permissions(&account, &account.resolve_principal(&a.principal)?)?;
    let mut out = std::io::stdout().lock();
    match a.format {
        PermFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &with_as_of(serde_json::to_value(&p)?, as_of.as_ref()))?;
            writeln!(out)?;
        }
        PermFormat::Csv | PermFormat::Md => {
            let mut cols: [Vec<String>; 2] = Default::default();
            let mut counts: [Vec<u64>; 3] = Default::default();
            for s in &p.services {
                for (level, l) in &s.levels {
                    cols[0].push(s.service.clone());
                    cols[1].push(level.clone());
                    counts[0].push(l.full.len() as u64);
                    counts[1].push(l.partial.len() as u64);
                    counts[2].push(l.not_allowed as u64);
                }
            }
            let [service, level] = cols;
            let [full, partial, denied] = counts;
            let df = polars::df!("service" => service, "access_level" => level, "full" => full,
                "partial" => partial, "denied" => denied)?;
            let format = if a.format == PermFormat::Csv { Format::Csv } else { Format::Md };
            crate::report::frame::render(&df, format, &mut out)?;
        }
        PermFormat::Table => {
            if let Some(r) = &as_of {
                writeln!(
                    out,
                    "as of {} ({} later IAM changes undone, {} uncertain)",
                    r.time,
                    r.undone.len(),
                    r.uncertain.len()
                )?;
            }
            writeln!(
                out,
                "{}: {} actions allowed everywhere, {} on some resources or under conditions",
                p.principal, p.full, p.partial
            )?;
            let mut t = TextTable::new(&["service", "access level", "full", "partial", "denied"]).right(&[2, 3, 4]);
            for s in &p.services {
                for (level, l) in &s.levels {
                    t.row([
                        s.service.to_string(),
                        level.to_string(),
                        l.full.len().to_string(),
                        l.partial.len().to_string(),
                        l.not_allowed.to_string(),
                    ]);
                }
            }
            out.write_all(t.render().as_bytes())?;
        }
    }
    Ok(Status::Ok)
}
