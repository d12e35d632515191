//! Command-line definitions only (clap derive); the work is in `commands`.

use crate::report::Format;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "trailtrim",
    version,
    about = "AWS CloudTrail logs -> least-privilege IAM policies, usage and anomaly reports"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Take options from a TOML file (keys are option names; `[run]` etc. per command;
    /// options on the command line win). Read before parsing; see `config`.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Write what the command prints to FILE instead of standard output. FILE appears only
    /// when the command finishes; if it fails, an earlier FILE is left as it was.
    #[arg(long, global = true, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read CloudTrail delivery files into the Parquet event lake.
    Ingest(IngestArgs),
    /// Run SQL, or a named query of the investigation library, over the lake's events.
    Query(QueryArgs),
    /// Decide one request against the account's policies and say which statements decided.
    Simulate(crate::commands::simulate::SimulateArgs),
    /// A principal's effective permissions over the whole IAM action catalog.
    Permissions(crate::commands::permissions::PermissionsArgs),
    /// Batch policy evaluation: one JSON case per input line, one decision per output line.
    Eval(crate::commands::eval::EvalArgs),
    /// Per principal: granted actions used, unused or unobservable, and denied attempts.
    Usage(crate::commands::usage::UsageArgs),
    /// Trimmed, replay-verified least-privilege policies for every user and role.
    Recommend(crate::commands::recommend::RecommendArgs),
    /// Security findings: single-event rules, behaviour against a baseline, and IAM knowledge.
    Detect(crate::commands::detect::DetectArgs),
    /// The compliance report: one self-contained HTML page (or Markdown).
    Report(crate::commands::report::ReportArgs),
    /// The nightly job: ingest, usage, recommendations, findings and the compliance report.
    Run(crate::commands::run::RunArgs),
    /// Store the derived state (usage facts) of the lake's partitions that changed; readers never
    /// write, so run it (or `ingest`, which does it) on a lake others read.
    Refresh(crate::commands::refresh::RefreshArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(crate::commands::manual::CompletionsArgs),
    /// Print the manual page (roff), or write one page per command into a folder.
    Man(crate::commands::manual::ManArgs),
    /// Every denied call of the lake: the layer that denied it, the deciding statements, the fix.
    Denials(crate::commands::denials::DenialsArgs),
    /// Every principal that may perform an action on a resource, and through which policy.
    WhoCan(crate::commands::who_can::WhoCanArgs),
    /// Generate a synthetic CloudTrail corpus (the sample, or N events for benchmarks).
    Synth(crate::synth::SynthArgs),
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Files or folders of CloudTrail files (walked recursively), or s3://bucket/prefix URLs.
    #[arg(required = true)]
    pub sources: Vec<PathBuf>,
    /// The lake: a folder (created if missing) or s3://bucket/prefix.
    #[arg(long)]
    pub lake: PathBuf,
    /// table: the summary for people on stderr (always printed); json: also the machine summary
    /// as JSON on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub format: crate::commands::SummaryFormat,
    /// The same as `--format json` (kept for scripts that use it).
    #[arg(long)]
    pub json: bool,
    /// Rows held in memory before partitions are flushed to Parquet (a byte budget applies too).
    #[arg(long, default_value_t = 100_000)]
    pub max_buffered_rows: usize,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Stop after decoding this many files (simulates an interrupted run; for testing).
    #[arg(long, hide = true)]
    pub stop_after_files: Option<usize>,
    /// The account of events that do not name the account that received them
    /// (`recipientAccountId`), when the path does not say it either.
    #[arg(long, value_parser = parse_account)]
    pub account: Option<String>,
    /// Most bytes of text one file may expand to; a larger file is read up to it and reported.
    #[arg(long, default_value_t = 4 << 30)]
    pub max_file_bytes: u64,
    /// Most bytes one record may take; a larger record is rejected.
    #[arg(long, default_value_t = 4 << 20)]
    pub max_record_bytes: usize,
    /// Read only the delivery folders of this day and later (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<chrono::NaiveDate>,
    /// Read only the delivery folders of this day and earlier (YYYY-MM-DD).
    #[arg(long)]
    pub to: Option<chrono::NaiveDate>,
    /// Read only these accounts' delivery folders (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_parser = parse_account)]
    pub accounts: Vec<String>,
    /// Read only these regions' delivery folders (comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    pub regions: Vec<String>,
}

fn parse_account(s: &str) -> Result<String, String> {
    if crate::lake::is_account(s) {
        Ok(s.to_owned())
    } else {
        Err(format!("{s:?} is not a 12-digit AWS account id"))
    }
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// SQL text (the table is `events`), the name of a query in the library, a .sql file, or `-`
    /// for SQL on stdin.
    #[arg(required_unless_present = "list")]
    pub query: Option<String>,
    /// The lake: a folder or s3://bucket/prefix.
    #[arg(long, required_unless_present = "list")]
    pub lake: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// A query parameter, `name=value` (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// List the queries of the library.
    #[arg(long)]
    pub list: bool,
    /// Let table functions (`read_csv('path')`, `read_parquet(...)`) read files outside the lake;
    /// by default they may read only the lake's own files.
    #[arg(long)]
    pub allow_files: bool,
}
