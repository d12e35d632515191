//! One module per subcommand: glue between the command line and the pipeline stages.

pub mod denials;
pub mod detect;
pub mod eval;
pub mod iam;
pub mod ingest;
pub mod manual;
pub mod permissions;
pub mod query;
pub mod recommend;
pub mod refresh;
pub mod report;
pub mod run;
pub mod simulate;
pub mod usage;
pub mod who_can;

use crate::cli::{Cli, Command};

/// `--format` of the commands that print one result (a summary or a decision): the shared
/// vocabulary's `table` (text for people) and `json`. Their older `--json` flag stays as an alias.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SummaryFormat {
    /// Text for people.
    #[default]
    Table,
    /// JSON for machines.
    Json,
}

impl SummaryFormat {
    /// The format asked for, counting the older `--json` flag.
    pub fn or_json(self, json_flag: bool) -> SummaryFormat {
        if json_flag {
            SummaryFormat::Json
        } else {
            self
        }
    }
}

/// Process exit statuses (documented in README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok = 0,
    Failed = 1,
    Usage = 2,
    /// Finished, but some input was rejected.
    Rejected = 3,
}

pub fn run(cli: Cli) -> anyhow::Result<Status> {
    let Some(file) = &cli.output else { return dispatch(cli.command) };
    let redirect = crate::output::StdoutToFile::begin(file)?;
    let result = dispatch(cli.command);
    redirect.finish(matches!(result, Ok(Status::Ok | Status::Rejected)))?;
    result
}

fn dispatch(command: Command) -> anyhow::Result<Status> {
    match command {
        Command::Ingest(a) => ingest::run(&a),
        Command::Query(a) => query::run(&a),
        Command::Simulate(a) => simulate::run(&a),
        Command::Permissions(a) => permissions::run(&a),
        Command::Eval(a) => eval::run(&a),
        Command::Usage(a) => usage::run(&a),
        Command::Recommend(a) => recommend::run(&a),
        Command::Detect(a) => detect::run(&a),
        Command::Report(a) => report::run(&a),
        Command::Run(a) => run::run(&a),
        Command::Refresh(a) => refresh::run(&a),
        Command::Completions(a) => manual::completions(&a),
        Command::Man(a) => manual::man(&a),
        Command::Denials(a) => denials::run(&a),
        Command::WhoCan(a) => who_can::run(&a),
        Command::Synth(a) => {
            let summary = crate::synth::run(&a)?;
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &summary)?;
            std::io::Write::write_all(&mut out, b"\n")?;
            Ok(Status::Ok)
        }
    }
}
