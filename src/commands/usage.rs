//! `trailtrim usage`: per principal, granted actions used / unused / unobservable, denied apart.

use super::iam::{with_as_of, AsOfArgs, IamArgs};
use super::Status;
use crate::account::Account;
use crate::error::{did_you_mean, UsageError};
use crate::text_table::TextTable;
use crate::usage::{self, Window};
use anyhow::Result;
use clap::Args;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UsageFormat {
    Table,
    Json,
    Csv,
    Md,
}

/// What the usage is grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UsageBy {
    /// The IAM principal (user, role, root) whose policies authorised the calls.
    Principal,
    /// The person behind it: SSO user, SAML or web identity subject, source identity, the
    /// origin of a role chain, IAM user.
    Person,
}

#[derive(Debug, Clone, Args)]
pub struct WindowArgs {
    /// First day of the window (YYYY-MM-DD, UTC, inclusive).
    #[arg(long)]
    pub from: Option<chrono::NaiveDate>,
    /// Last day of the window (YYYY-MM-DD, UTC, inclusive).
    #[arg(long)]
    pub to: Option<chrono::NaiveDate>,
}

impl WindowArgs {
    pub fn window(&self) -> Window {
        Window { from: self.from, to: self.to }
    }
}

/// `--facts`: read an organisation-wide roll-up (engines/spark/) instead of the lake's facts.
#[derive(Debug, Clone, Args)]
pub struct FactsArgs {
    /// Usage facts rolled up over the window (a Parquet file or a folder of them, as
    /// engines/spark/rollup.py or `usage --write-rollup` write it) instead of the lake's facts; the
    /// lake still gives the mapping report and the events. The window is the roll-up's.
    #[arg(long, value_name = "PATH")]
    pub facts: Option<PathBuf>,
}

impl FactsArgs {
    /// Make the roll-up the facts source of this run. A roll-up has no days left to filter, so
    /// `--from`/`--to` with it is a usage error rather than silently ignored.
    pub fn apply(&self, window: &WindowArgs) -> Result<()> {
        let Some(path) = &self.facts else { return Ok(()) };
        if window.from.is_some() || window.to.is_some() {
            crate::usage_bail!(
                "--facts {}: a roll-up covers the window it was made for; pass --from/--to to the roll-up job, not here",
                path.display()
            );
        }
        if !path.exists() {
            crate::usage_bail!("--facts {}: does not exist", path.display());
        }
        usage::rollup::use_rollup(path.clone());
        Ok(())
    }
}

#[derive(Debug, Args)]
#[command(mut_arg("iam", |a| a.required(false)))]
pub struct UsageArgs {
    #[arg(long)]
    pub lake: PathBuf,
    #[command(flatten)]
    pub iam: IamArgs,
    /// Only this principal: a user, role or root ARN or a user or role name of the account, or any
    /// principal ARN seen in the logs.
    #[arg(long)]
    pub principal: Option<String>,
    #[command(flatten)]
    pub window: WindowArgs,
    #[arg(long, value_enum, default_value_t = UsageFormat::Table)]
    pub format: UsageFormat,
    /// Group by IAM principal, or by the person behind each session (`person`).
    #[arg(long, value_enum, default_value_t = UsageBy::Principal)]
    pub by: UsageBy,
    /// Days after which a password or access key counts as unused (with --credential-report).
    #[arg(long, default_value_t = 90)]
    pub max_unused_days: i64,
    #[command(flatten)]
    pub facts: FactsArgs,
    /// Write the organisation-wide roll-up of the window's facts to this Parquet file (the
    /// schema engines/spark/rollup.py writes) instead of the report.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["facts", "principal"])]
    pub write_rollup: Option<PathBuf>,
    /// Granted actions as of this instant (needs --iam; see `permissions --as-of`).
    #[command(flatten)]
    pub as_of: AsOfArgs,
}

/// `--principal`: a principal of the account (by ARN or name), or any principal the logs of the
/// window show (another account's role, say); anything else is a usage error with suggestions.
fn resolve_principal(lake: &std::path::Path, account: &Account, window: &Window, given: &str) -> Result<String> {
    if let Ok(arn) = account.resolve_principal(given) {
        return Ok(arn);
    }
    if !usage::load_facts(lake, window, Some(given))?.is_empty() {
        return Ok(given.to_owned());
    }
    let logged = usage::load_facts(lake, window, None)?;
    let mut known: BTreeSet<String> = logged.into_iter().map(|f| f.principal).collect();
    known.extend(account.principals().into_iter().map(|(arn, _)| arn));
    Err(UsageError(format!(
        "principal {given} is neither a user, role or root user of account {} nor seen in the logs of the window{}",
        account.account_id,
        did_you_mean(given, known.iter().map(String::as_str))
    ))
    .into())
}

pub fn run(a: &UsageArgs) -> Result<Status> {
    crate::lake::require(&a.lake)?;
    if let Some(file) = &a.write_rollup {
        usage::note_stale_facts(&a.lake, &a.window.window())?;
        let mut df = usage::rollup::rollup(&a.lake, &a.window.window())?;
        usage::rollup::write(&mut df, file)?;
        eprintln!("trailtrim: wrote the roll-up ({} rows) to {}", df.height(), file.display());
        return Ok(Status::Ok);
    }
    a.facts.apply(&a.window)?;
    let iam_given = a.iam.iam.is_some();
    let account = match a.iam.load_optional()? {
        Some(account) => account,
        None => {
            eprintln!(
                "trailtrim: note: no --iam: each principal's used and denied actions are listed, but what it is \
                 granted (and so what it left unused or cannot be observed) needs --iam"
            );
            Account::default()
        }
    };
    if a.as_of.as_of.is_some() && !iam_given {
        crate::usage_bail!("--as-of needs --iam: it rebuilds the --iam export as of that time");
    }
    let (account, as_of) = a.as_of.apply(account, Some(&a.lake))?;
    let window = a.window.window();
    let principal = a.principal.as_deref().map(|p| resolve_principal(&a.lake, &account, &window, p)).transpose()?;
    if a.by == UsageBy::Person {
        return people(a, &window, principal.as_deref());
    }
    let report = usage::report(&a.lake, &account, &window, principal.as_deref(), a.max_unused_days)?;
    let mut out = std::io::stdout().lock();
    match a.format {
        UsageFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &with_as_of(serde_json::to_value(&report)?, as_of.as_ref()))?;
            writeln!(out)?;
        }
        UsageFormat::Csv => {
            writeln!(out, "principal,type,action,status,count,first_seen,last_seen")?;
            for p in &report.principals {
                for u in &p.used {
                    let status = if u.granted || !iam_given { "used" } else { "used-not-granted" };
                    writeln!(
                        out,
                        "{},{},{},{},{},{},{}",
                        p.arn, p.kind, u.action, status, u.count, u.first_seen, u.last_seen
                    )?;
                }
                for d in &p.denied {
                    writeln!(
                        out,
                        "{},{},{},denied,{},{},{}",
                        p.arn, p.kind, d.action, d.count, d.first_seen, d.last_seen
                    )?;
                }
                for x in &p.unused {
                    writeln!(out, "{},{},{},unused,0,,", p.arn, p.kind, x)?;
                }
                for x in &p.unobservable {
                    writeln!(out, "{},{},{},unobservable,0,,", p.arn, p.kind, x)?;
                }
            }
        }
        UsageFormat::Md => {
            writeln!(out, "| principal | type | granted | used | unused | unobservable | denied |")?;
            writeln!(out, "|---|---|---:|---:|---:|---:|---:|")?;
            let known = |n: usize| if iam_given { n.to_string() } else { "-".to_owned() };
            for p in &report.principals {
                writeln!(
                    out,
                    "| `{}` | {} | {} | {} | {} | {} | {} |",
                    p.arn,
                    p.kind,
                    known(p.granted_actions),
                    p.used.len(),
                    known(p.unused.len()),
                    known(p.unobservable.len()),
                    p.denied.len()
                )?;
            }
        }
        UsageFormat::Table => {
            let mut t = TextTable::new(&["principal", "type", "granted", "used", "unused", "unobs.", "denied"])
                .right(&[2, 3, 4, 5, 6]);
            // Without --iam the granted side is unknown, not zero.
            let known = |n: usize| if iam_given { n.to_string() } else { "-".to_owned() };
            for p in &report.principals {
                t.row([
                    p.arn.to_string(),
                    p.kind.to_string(),
                    known(p.granted_actions),
                    p.used.len().to_string(),
                    known(p.unused.len()),
                    known(p.unobservable.len()),
                    p.denied.len().to_string(),
                ]);
            }
            out.write_all(t.render().as_bytes())?;
            // Escalation paths, riskiest first: used ones, then how many, then the most direct kind.
            let mut ranked: Vec<_> = report.principals.iter().filter(|p| !p.escalation.granted.is_empty()).collect();
            let best = |p: &crate::usage::PrincipalUsage| {
                p.escalation
                    .granted
                    .iter()
                    .filter_map(|id| crate::escalation::path(id))
                    .map(|x| crate::escalation::category_rank(&x.category))
                    .min()
                    .unwrap_or(u8::MAX)
            };
            ranked.sort_by(|a, b| {
                (
                    std::cmp::Reverse(a.escalation.used.len()),
                    std::cmp::Reverse(a.escalation.granted.len()),
                    best(a),
                    &a.arn,
                )
                    .cmp(&(
                        std::cmp::Reverse(b.escalation.used.len()),
                        std::cmp::Reverse(b.escalation.granted.len()),
                        best(b),
                        &b.arn,
                    ))
            });
            if !ranked.is_empty() {
                writeln!(out, "\nprivilege-escalation paths (pathfinding.cloud), riskiest first:")?;
                let mut t = TextTable::new(&["rank", "principal", "granted", "used", "used paths / granted paths"])
                    .right(&[0, 2, 3]);
                for (i, p) in ranked.iter().enumerate() {
                    let shown: Vec<&str> = p.escalation.granted.iter().take(8).map(String::as_str).collect();
                    let more = p.escalation.granted.len().saturating_sub(shown.len());
                    t.row([
                        (i + 1).to_string(),
                        p.arn.to_string(),
                        p.escalation.granted.len().to_string(),
                        p.escalation.used.len().to_string(),
                        format!(
                            "{}{}{}",
                            if p.escalation.used.is_empty() {
                                String::new()
                            } else {
                                format!("used: {} / ", p.escalation.used.join(","))
                            },
                            shown.join(","),
                            if more > 0 { format!(" (+{more})") } else { String::new() }
                        ),
                    ]);
                }
                out.write_all(t.render().as_bytes())?;
            }
            let m = &report.mapping;
            writeln!(
                out,
                "\n{} events: {} mapped to IAM actions, {} need no permission, {} are not API calls, {} unmapped ({:.1}% of API calls mapped)",
                m.events, m.mapped, m.no_permission_needed, m.not_api_call, m.unmapped, m.share_mapped * 100.0
            )?;
            for u in m.unmapped_events.iter().take(20) {
                writeln!(out, "  unmapped: {} {} ({})", u.event_source, u.event_name, u.count)?;
            }
            for c in &report.credentials {
                writeln!(out, "credential: {} {:?}: {}", c.user, c.kind, c.detail)?;
            }
        }
    }
    Ok(Status::Ok)
}

/// `--by person`: the facts of the window attributed to the people behind the sessions.
fn people(a: &UsageArgs, window: &Window, principal: Option<&str>) -> Result<Status> {
    usage::note_stale_facts(&a.lake, window)?;
    let facts = usage::load_facts(&a.lake, window, principal)?;
    let report = usage::people::report(&a.lake, window, &facts, principal)?;
    let mut out = std::io::stdout().lock();
    match a.format {
        UsageFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        UsageFormat::Csv => crate::report::people::csv_rows(&report, &mut out)?,
        UsageFormat::Md => crate::report::people::markdown(&report, &mut out)?,
        UsageFormat::Table => crate::report::people::table(&report, &mut out)?,
    }
    Ok(Status::Ok)
}
