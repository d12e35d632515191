//! trailtrim: thin entry point. Parse the command line, run one command, map the outcome to
//! an exit status (0 ok, 3 finished but some input was rejected, 2 usage error, 1 could not run).

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = trailtrim::cli::Cli::parse();
    match trailtrim::commands::run(cli) {
        Ok(status) => ExitCode::from(status as u8),
        Err(e) => {
            eprintln!("trailtrim: error: {e:#}");
            ExitCode::from(trailtrim::commands::Status::Failed as u8)
        }
    }
}
