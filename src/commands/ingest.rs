use super::Status;
use crate::cli::IngestArgs;
use crate::ingest::{self, IngestOptions, IngestSummary};
use anyhow::Result;
use std::io::Write;

pub fn run(a: &IngestArgs) -> Result<Status> {
    let mut opts = IngestOptions::new(a.sources.clone(), a.lake.clone());
    opts.max_buffered_rows = a.max_buffered_rows;
    opts.progress = !a.quiet;
    opts.stop_after_files = a.stop_after_files;
    opts.decode.account = a.account.clone();
    opts.filter =
        ingest::discover::Filter { from: a.from, to: a.to, accounts: a.accounts.clone(), regions: a.regions.clone() };
    opts.decode.limits =
        ingest::scan::Limits { max_file_bytes: a.max_file_bytes, max_record_bytes: a.max_record_bytes };
    let (summary, state) = crate::pipeline::ingest(&opts)?;
    if a.format.or_json(a.json) == super::SummaryFormat::Json {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &WithState { ingest: &summary, state })?;
        writeln!(out)?;
    }
    Ok(if summary.has_rejections() { Status::Rejected } else { Status::Ok })
}

/// The ingest summary and the state refresh that followed it (`ingest --json`).
#[derive(serde::Serialize)]
struct WithState<'a> {
    #[serde(flatten)]
    ingest: &'a IngestSummary,
    state: crate::pipeline::StateSummary,
}
