//! The account inputs shared by every command that reads IAM (`--iam`, `--scps`, ...).

use crate::account::history::{self, AsOf, AsOfReport};
use crate::account::{Account, LoadOptions};
use anyhow::Result;
use clap::Args;
use std::path::{Path, PathBuf};

/// Required by default; a command that can do without (`usage`) lifts that with
/// `#[command(mut_arg("iam", |a| a.required(false)))]` and calls `load_optional`.
#[derive(Debug, Clone, Args)]
pub struct IamArgs {
    /// `aws iam get-account-authorization-details` output (JSON; CLI or raw API form; pages may be concatenated).
    #[arg(long, required = true)]
    pub iam: Option<PathBuf>,
    /// Service control policies: a folder with one JSON file per level (root first, by file name).
    #[arg(long, requires = "iam")]
    pub scps: Option<PathBuf>,
    /// Resource control policies: a folder with one JSON file per level, as for --scps.
    #[arg(long, requires = "iam")]
    pub rcps: Option<PathBuf>,
    /// Folder of resource-based policies (`{"arn": ..., "policy": {...}}` per file).
    #[arg(long, requires = "iam")]
    pub resource_policies: Option<PathBuf>,
    /// IAM credential report CSV (`aws iam get-credential-report`, decoded).
    #[arg(long, requires = "iam")]
    pub credential_report: Option<PathBuf>,
}

impl IamArgs {
    /// The account of `--iam`, if given (see `load`).
    pub fn load_optional(&self) -> Result<Option<Account>> {
        self.iam.as_ref().map(|_| self.load()).transpose()
    }

    /// The `--iam` file (clap requires it unless the command made it optional).
    pub fn path(&self) -> &std::path::Path {
        self.iam.as_deref().expect("--iam is required by clap")
    }

    /// Load the account; load warnings (e.g. an attached policy that cannot be resolved) go to stderr.
    pub fn load(&self) -> Result<Account> {
        let account = Account::load(&LoadOptions {
            iam: self.path().to_path_buf(),
            scps: self.scps.clone(),
            rcps: self.rcps.clone(),
            resource_policies: self.resource_policies.clone(),
            credential_report: self.credential_report.clone(),
        })?;
        for w in &account.warnings {
            eprintln!("trailtrim: warning: {w}");
        }
        Ok(account)
    }
}

/// `--as-of TIME`, shared by the commands that read IAM: the account as it was at an instant.
#[derive(Debug, Clone, Args)]
pub struct AsOfArgs {
    /// The account as it was at this instant (ISO 8601 UTC, e.g. 2026-10-08T12:00:00Z): the IAM
    /// changes the lake's events show after it are undone from the --iam export. Needs --lake.
    #[arg(long, value_name = "TIME", value_parser = parse_instant)]
    pub as_of: Option<i64>,
}

fn parse_instant(s: &str) -> Result<i64, String> {
    crate::time::parse_arg(s)
}

impl AsOfArgs {
    /// The account at `--as-of` (unchanged without it), and what was undone. What could not be
    /// reconstructed is said on stderr (and is in the report for JSON outputs).
    pub fn apply(&self, account: Account, lake: Option<&Path>) -> Result<(Account, Option<AsOfReport>)> {
        let Some(at) = self.as_of else { return Ok((account, None)) };
        let Some(lake) = lake else {
            crate::usage_bail!("--as-of needs --lake: the IAM changes after that time are read from the lake's events")
        };
        let changes = history::load_changes(lake)?;
        let AsOf { account, report } = history::as_of(&account, &changes, at);
        note_as_of(&report);
        Ok((account, Some(report)))
    }
}

/// The stderr notes of an `--as-of` model.
pub fn note_as_of(report: &AsOfReport) {
    eprintln!("trailtrim: note: the account as of {}: {} later IAM changes undone", report.time, report.undone.len());
    for i in &report.inferred {
        eprintln!("trailtrim: note: as of {}: inferred: {i}", report.time);
    }
    for u in &report.uncertain {
        eprintln!(
            "trailtrim: warning: as of {}: uncertain: {} (until {}, event {}): {}",
            report.time, u.subject, u.until, u.event_id, u.reason
        );
    }
}

/// `value` (a JSON object) with the `as_of` report added, if there is one.
pub fn with_as_of(mut value: serde_json::Value, report: Option<&AsOfReport>) -> serde_json::Value {
    if let (Some(r), Some(obj)) = (report, value.as_object_mut()) {
        obj.insert("as_of".into(), serde_json::to_value(r).expect("plain data"));
    }
    value
}

/// `KEY=VALUE` pairs; a repeated key becomes a multi-valued context key.
pub fn parse_context(pairs: &[String]) -> Result<crate::policy::Context> {
    let mut multi: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for p in pairs {
        let Some((k, v)) = p.split_once('=') else { anyhow::bail!("--context {p:?} is not KEY=VALUE") };
        multi.entry(k.to_owned()).or_default().push(v.to_owned());
    }
    let mut c = crate::policy::Context::new();
    for (k, v) in multi {
        c.insert_multi(&k, v);
    }
    Ok(c)
}

/// The account field of an ARN (empty for S3 buckets and objects).
pub fn arn_account(arn: &str) -> Option<&str> {
    crate::arn::account_of(arn)
}
