//! End-to-end tests of the `trailtrim` command line (one test binary: one link of polars).

mod command_line;
mod common;
mod denials;
mod detect;
mod escalation;
mod ingest;
mod ingest_writer;
mod policy_cli;
mod queries_lib;
mod query;
mod recommend;
mod run;
mod s3;
mod s3_lake;
mod safety;
mod state;
mod usage;
