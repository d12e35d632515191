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
    let summary = ingest::run(&opts)?;
    print_human(&summary, &mut std::io::stderr())?;
    let state = super::refresh::after_ingest(&a.lake)?;
    if a.json {
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
    state: super::refresh::StateSummary,
}

/// The human summary (stderr): counts, then each problem with its file and record.
pub fn print_human(s: &IngestSummary, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "ingest into {}:", s.lake)?;
    writeln!(out, "  files found        {}", s.files_found)?;
    writeln!(out, "  files read         {}", s.files_read)?;
    for (reason, n) in &s.files_skipped {
        writeln!(out, "  files skipped      {n} ({reason})")?;
    }
    writeln!(out, "  files failed       {}", s.files_failed)?;
    writeln!(out, "  records read       {}", s.records_read)?;
    writeln!(out, "  records rejected   {}", s.records_rejected)?;
    writeln!(out, "  events written     {}", s.events_written)?;
    writeln!(out, "  duplicates dropped {}", s.duplicates_dropped)?;
    writeln!(out, "  {:.2} s, {:.0} events/s", s.seconds, s.events_per_second)?;
    if let Some(b) = s.peak_rss_bytes {
        writeln!(out, "  peak memory        {} MiB", b / (1024 * 1024))?;
    }
    const SHOWN: usize = 20;
    for p in s.problems.iter().take(SHOWN) {
        match p.record {
            Some(i) => writeln!(out, "  rejected: {} record {}: {}", p.file, i, p.reason)?,
            None => writeln!(out, "  rejected: {}: {}", p.file, p.reason)?,
        }
    }
    if s.problems.len() > SHOWN {
        writeln!(out, "  ... and {} more problems", s.problems.len() - SHOWN)?;
    }
    if let Some(f) = &s.errors_file {
        writeln!(out, "  every problem is listed in {f}")?;
    }
    Ok(())
}
