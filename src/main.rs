//! trailtrim: thin entry point. Parse the command line, run one command, map the outcome to
//! an exit status (0 ok, 3 finished but some input was rejected, 2 usage error, 1 could not run).

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = trailtrim::config::expand(std::env::args_os().collect())
        .map(trailtrim::cli::Cli::parse_from)
        .and_then(trailtrim::commands::run);
    match cli {
        Ok(status) => ExitCode::from(status as u8),
        // `trailtrim ... | head -1`: the reader stopped reading; nothing is wrong.
        Err(e) if trailtrim::error::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trailtrim: error: {e:#}");
            let status = if trailtrim::error::is_usage_error(&e) {
                trailtrim::commands::Status::Usage
            } else {
                trailtrim::commands::Status::Failed
            };
            ExitCode::from(status as u8)
        }
    }
}
