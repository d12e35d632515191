//! `trailtrim completions` and `trailtrim man`: generated from the same clap definitions the
//! parser uses, so they never drift from the command line.

use super::Status;
use crate::cli::Cli;
use anyhow::{Context, Result};
use clap::{Args, CommandFactory};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `trailtrim.1` and one `trailtrim-<command>.1` per command into this folder
    /// (default: print the main page on stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn completions(a: &CompletionsArgs) -> Result<Status> {
    let mut cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(a.shell, &mut cmd, "trailtrim", &mut out);
    out.flush()?;
    Ok(Status::Ok)
}

pub fn man(a: &ManArgs) -> Result<Status> {
    let cmd = Cli::command();
    match &a.out {
        None => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            out.flush()?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("writing manual pages into {}", dir.display()))?;
        }
    }
    Ok(Status::Ok)
}
