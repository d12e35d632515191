//! End-to-end tests of the `trailtrim` command line (one test binary: one link of polars).

mod as_of;
mod command_line;
mod common;
mod denials;
mod detect;
mod engines;
mod errors;
mod escalation;
#[path = "../support/golden.rs"]
mod golden;
mod ingest;
mod ingest_writer;
mod people;
mod policy_cli;
mod queries_lib;
mod query;
mod recommend;
mod report_browser;
mod run;
mod s3;
mod s3_lake;
mod safety;
mod state;
mod usage;
