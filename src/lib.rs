//! trailtrim: AWS CloudTrail logs -> least-privilege IAM policies, usage and anomaly reports.
//!
//! The modules follow the pipeline: ingest -> lake -> account model -> policy evaluation ->
//! usage -> recommend / detect -> report.

pub mod account;
pub mod arn;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod config;
pub mod denials;
pub mod detect;
pub mod error;
pub mod escalation;
pub mod ingest;
pub mod lake;
pub mod mapping;
pub mod measure;
pub mod names;
pub mod output;
pub mod pipeline;
pub mod policy;
pub mod queries;
pub mod recommend;
pub mod report;
pub mod sql;
pub mod synth;
pub mod text_table;
pub mod threads;
pub mod time;
pub mod usage;
