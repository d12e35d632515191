//! The account inputs shared by every command that reads IAM (`--iam`, `--scps`, ...).

use crate::account::{Account, LoadOptions};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

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
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}
