//! Ingest: CloudTrail delivery files -> the Parquet event lake.
//!
//! discover (walk + classify) -> decode (gunzip + parse, in parallel) -> writer (partition,
//! de-duplicate, write Parquet atomically) -> manifest (what was ingested, for fast re-runs).

pub mod columns;
pub mod decode;
pub mod discover;
pub mod manifest;
pub mod record;
pub mod s3;
pub mod scan;
pub mod writer;

use crate::lake;
use anyhow::{Context, Result};
use decode::Content;
use discover::SkipReason;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use writer::LakeWriter;

#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub sources: Vec<PathBuf>,
    pub lake: PathBuf,
    /// Upper bound on rows held in memory before partitions are flushed.
    pub max_buffered_rows: usize,
    /// Show a progress bar (it still stays hidden when stderr is not a terminal).
    pub progress: bool,
    /// Stop after this many files have been decoded (used to simulate an interrupted run).
    pub stop_after_files: Option<usize>,
    /// Per-file and per-record size limits, and the account of events that do not name one.
    pub decode: decode::DecodeOptions,
    /// The days, accounts and regions of the delivery layout to read.
    pub filter: discover::Filter,
}

impl IngestOptions {
    pub fn new(sources: Vec<PathBuf>, lake: PathBuf) -> Self {
        IngestOptions {
            sources,
            lake,
            max_buffered_rows: 100_000,
            progress: true,
            stop_after_files: None,
            decode: decode::DecodeOptions::default(),
            filter: discover::Filter::default(),
        }
    }
}

/// One input problem: the file, the record index where it applies, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<usize>,
    pub reason: String,
}

/// The machine summary of a run (`ingest --json`).
#[derive(Debug, Clone, Serialize, Default)]
pub struct IngestSummary {
    pub lake: String,
    pub files_found: u64,
    pub files_read: u64,
    pub files_skipped: BTreeMap<String, u64>,
    pub files_failed: u64,
    pub files_with_rejected_records: u64,
    pub records_read: u64,
    pub records_rejected: u64,
    pub events_written: u64,
    pub duplicates_dropped: u64,
    pub bytes_read: u64,
    pub seconds: f64,
    pub events_per_second: f64,
    /// Peak resident memory of the process, when the platform tells it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_rss_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors_file: Option<String>,
    pub problems: Vec<Problem>,
}

impl IngestSummary {
    /// True when some input was rejected (a whole file or some records).
    pub fn has_rejections(&self) -> bool {
        !self.problems.is_empty()
    }

    /// The human summary (stderr): counts, then each problem with its file and record.
    pub fn write_human(&self, out: &mut dyn std::io::Write) -> Result<()> {
        let s = self;
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
}

/// Files decoded per batch: enough to keep every core busy, few enough to bound memory.
const FILES_PER_BATCH: usize = 8;
/// S3 objects fetched (concurrently) per batch: enough to hide the latency of each request.
const OBJECTS_PER_BATCH: usize = 64;
/// Input bytes per batch (a larger file goes alone): decoded rows take ~10x their gzip size,
/// so a batch of large files holds fewer of them.
const BATCH_BYTES: u64 = 4 << 20;
/// Decoded batches that may wait for the writer.
const DECODED_BATCHES_AHEAD: usize = 2;

/// Consecutive index ranges of the files to read (given their sizes) that make the decoding
/// batches: at most `FILES_PER_BATCH` files and `BATCH_BYTES` (a larger file goes alone).
fn batches(sizes: impl Iterator<Item = u64>) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut bytes, mut n) = (0, 0, 0);
    for (i, size) in sizes.enumerate() {
        if i > start && (i - start >= FILES_PER_BATCH || bytes + size > BATCH_BYTES) {
            out.push(start..i);
            (start, bytes) = (i, 0);
        }
        bytes += size;
        n = i + 1;
    }
    if n > start {
        out.push(start..n);
    }
    out
}

pub fn run(opts: &IngestOptions) -> Result<IngestSummary> {
    let started = Instant::now();
    lake::store::create_dir_all(&lake::events_dir(&opts.lake))
        .with_context(|| format!("creating the lake at {}", opts.lake.display()))?;
    let _lock = lake::lock_for_writing(&opts.lake)?;
    writer::remove_stale_temporaries(&opts.lake)?;
    let mut manifest = manifest::Manifest::open(&opts.lake)?;
    let run_tag = chrono::Utc::now().format("%Y%m%dT%H%M%S%3fZ").to_string();

    let mut summary = IngestSummary { lake: opts.lake.display().to_string(), ..Default::default() };
    let (urls, local): (Vec<&PathBuf>, Vec<&PathBuf>) =
        opts.sources.iter().partition(|p| p.to_string_lossy().starts_with("s3://"));
    let local: Vec<PathBuf> = local.into_iter().cloned().collect();
    let (mut found, walk_errors) = discover::walk(&local, &opts.filter);
    for (p, reason) in walk_errors {
        summary.files_failed += 1;
        summary.problems.push(Problem { file: p.display().to_string(), record: None, reason });
    }
    let mut s3 = if urls.is_empty() { None } else { Some(s3::S3::new()?) };
    if let Some(client) = s3.as_mut() {
        for u in urls {
            let text = u.to_string_lossy();
            let listed = s3::S3Url::parse(&text)
                .ok_or_else(|| anyhow::anyhow!("{text} is not s3://bucket/prefix"))
                .and_then(|url| client.list(&url, &opts.filter));
            match listed {
                Ok(objects) => found.extend(objects.into_iter().map(|o| discover::Found {
                    path: PathBuf::from(o.url),
                    size: o.size,
                    mtime_ns: 0,
                    etag: o.etag,
                })),
                Err(e) => {
                    summary.files_failed += 1;
                    summary.problems.push(Problem { file: text.into_owned(), record: None, reason: format!("{e:#}") });
                }
            }
        }
    }
    summary.files_found = found.len() as u64;
    let skip = |summary: &mut IngestSummary, r: SkipReason| {
        *summary.files_skipped.entry(r.as_str().to_owned()).or_default() += 1;
    };
    let mut to_read = Vec::new();
    for f in found {
        if let Some(r) = discover::classify_path(&f.path) {
            skip(&mut summary, r);
        } else if let Some(rejected) = manifest.ingested(&f) {
            let reason =
                if rejected > 0 { SkipReason::AlreadyIngestedWithRejections } else { SkipReason::AlreadyIngested };
            skip(&mut summary, reason);
        } else {
            to_read.push(f);
        }
    }

    let total_bytes: u64 = to_read.iter().map(|f| f.size).sum();
    let bar = progress_bar(opts.progress, total_bytes);
    let mut lake_writer = LakeWriter::new(&opts.lake, run_tag.clone(), opts.max_buffered_rows);
    // Files whose rows were all accepted and are waiting for their partitions to be flushed
    // before they can be recorded in the manifest.
    let mut awaiting_commit: BTreeMap<u32, manifest::Entry> = BTreeMap::new();
    let limit = opts.stop_after_files.unwrap_or(usize::MAX).min(to_read.len());
    let to_read = &to_read[..limit];

    std::thread::scope(|scope| -> Result<()> {
        // Decoding runs ahead on the rayon pool while this thread writes Parquet.
        // A few batches of slack let decoding go on while partitions are being written.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(usize, decode::Decoded)>>(DECODED_BATCHES_AHEAD);
        let decode_opts = &opts.decode;
        let mut s3 = s3.take();
        scope.spawn(move || {
            let ranges: Vec<std::ops::Range<usize>> = if s3.is_some() {
                (0..to_read.len())
                    .step_by(OBJECTS_PER_BATCH)
                    .map(|s| s..(s + OBJECTS_PER_BATCH).min(to_read.len()))
                    .collect()
            } else {
                batches(to_read.iter().map(|f| f.size))
            };
            for range in ranges {
                let base = range.start;
                let chunk = &to_read[range];
                let fetched = fetch_objects(s3.as_mut(), chunk);
                let decoded: Vec<(usize, decode::Decoded)> = chunk
                    .par_iter()
                    .zip(fetched)
                    .enumerate()
                    .map(|(i, (f, bytes))| {
                        let d = match bytes {
                            None => decode::decode_file_with(&f.path, decode_opts),
                            Some(Ok(b)) => decode::decode_object(&b, &f.path.to_string_lossy(), decode_opts),
                            Some(Err(e)) => decode::Decoded::unreadable(format!("{e:#}")),
                        };
                        (base + i, d)
                    })
                    .collect();
                if tx.send(decoded).is_err() {
                    return;
                }
            }
        });
        for batch in rx {
            for (idx, d) in batch {
                let f = &to_read[idx];
                let file = f.path.display().to_string();
                summary.bytes_read += d.bytes_in;
                bar.inc(f.size);
                match d.content {
                    Some(Content::Digest) if d.rows.is_empty() => {
                        skip(&mut summary, SkipReason::Digest);
                        continue;
                    }
                    Some(Content::Config) if d.rows.is_empty() => {
                        skip(&mut summary, SkipReason::Config);
                        continue;
                    }
                    Some(Content::Other) => {
                        skip(&mut summary, SkipReason::NotCloudTrail);
                        continue;
                    }
                    _ => {}
                }
                summary.files_read += 1;
                // Damaged files enter the manifest too (with their problem count): their valid records
                // are in the lake, and an immutable archive must not be re-reported every night.
                // A file that could not be read, or whose damage a re-delivery can repair (a gzip
                // member that fails its checksum), is read again on the next run.
                let unreadable = d.read_again;
                let problems = u64::from(d.file_error.is_some()) + d.record_errors.len() as u64;
                if let Some(reason) = d.file_error {
                    summary.files_failed += 1;
                    summary.problems.push(Problem { file: file.clone(), record: None, reason });
                }
                if !d.record_errors.is_empty() {
                    summary.files_with_rejected_records += 1;
                }
                for (i, reason) in d.record_errors {
                    summary.records_rejected += 1;
                    summary.problems.push(Problem { file: file.clone(), record: Some(i), reason });
                }
                summary.records_read += d.rows.len() as u64;
                let n_rows = d.rows.len();
                for part in d.rows.parts {
                    lake_writer.push(part.key, part.columns, &part.ids, idx as u32)?;
                }
                if !unreadable {
                    awaiting_commit.insert(idx as u32, manifest::Entry::new(f, n_rows as u64, problems));
                }
                if lake_writer.over_budget() {
                    lake_writer.flush_some()?;
                    commit_finished(&mut manifest, &mut awaiting_commit, &lake_writer)?;
                }
                let secs = started.elapsed().as_secs_f64().max(1e-9);
                bar.set_message(format!(
                    "{}/{} files, {} events, {:.0} events/s",
                    idx + 1,
                    to_read.len(),
                    summary.records_read,
                    summary.records_read as f64 / secs
                ));
            }
        }
        Ok(())
    })?;
    lake_writer.flush_all()?;
    commit_finished(&mut manifest, &mut awaiting_commit, &lake_writer)?;
    bar.finish_and_clear();

    let already = summary.files_skipped.get(SkipReason::AlreadyIngested.as_str()).copied().unwrap_or(0)
        + summary.files_skipped.get(SkipReason::AlreadyIngestedWithRejections.as_str()).copied().unwrap_or(0);
    if summary.records_read == 0 && summary.records_rejected == 0 && already == 0 && summary.problems.is_empty() {
        // Pointing ingest at the wrong folder must not look like success.
        summary.problems.push(Problem {
            file: opts.sources.iter().map(|s| s.display().to_string()).collect::<Vec<_>>().join(", "),
            record: None,
            reason: "no CloudTrail event in the sources".to_owned(),
        });
    }
    summary.events_written = lake_writer.events_written;
    summary.duplicates_dropped = lake_writer.duplicates;
    summary.seconds = started.elapsed().as_secs_f64();
    summary.events_per_second = if summary.seconds > 0.0 { summary.records_read as f64 / summary.seconds } else { 0.0 };
    summary.peak_rss_bytes = crate::measure::peak_rss_bytes();
    if !summary.problems.is_empty() {
        summary.errors_file = Some(write_errors(&opts.lake, &run_tag, &summary.problems)?.display().to_string());
    }
    Ok(summary)
}

/// The bytes of the S3 objects of a batch (fetched together); `None` for local files.
fn fetch_objects(s3: Option<&mut s3::S3>, chunk: &[discover::Found]) -> Vec<Option<Result<Vec<u8>>>> {
    let Some(s3) = s3 else { return chunk.iter().map(|_| None).collect() };
    let urls: Vec<String> = chunk.iter().filter(|f| f.is_s3()).map(|f| f.path.to_string_lossy().into_owned()).collect();
    let mut got = s3.fetch(&urls).into_iter();
    chunk.iter().map(|f| if f.is_s3() { got.next() } else { None }).collect()
}

fn commit_finished(
    manifest: &mut manifest::Manifest,
    awaiting: &mut BTreeMap<u32, manifest::Entry>,
    w: &LakeWriter,
) -> Result<()> {
    let pending = w.pending_files();
    let done: Vec<u32> = awaiting.keys().copied().filter(|i| !pending.contains(i)).collect();
    let entries: Vec<manifest::Entry> = done.iter().filter_map(|i| awaiting.remove(i)).collect();
    manifest.append(&entries)
}

fn write_errors(lake: &Path, run_tag: &str, problems: &[Problem]) -> Result<PathBuf> {
    let path = lake.join(lake::ERRORS_DIR).join(format!("ingest-{run_tag}.jsonl"));
    let mut text = String::new();
    for p in problems {
        text.push_str(&serde_json::to_string(p)?);
        text.push('\n');
    }
    lake::store::write(&path, text.into_bytes())?;
    Ok(path)
}

fn progress_bar(enabled: bool, total: u64) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    // indicatif draws nothing when stderr is not a terminal, so piped runs stay quiet.
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} {msg}",
        )
        .expect("valid template"),
    );
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_human_summary_lists_the_first_problems_and_where_the_rest_are() {
        let problem = |i: usize| Problem {
            file: format!("f{i}.json.gz"),
            record: (i % 2 == 0).then_some(i),
            reason: "bad".into(),
        };
        let s = IngestSummary {
            lake: "/l".into(),
            files_found: 30,
            records_read: 7,
            problems: (0..22).map(problem).collect(),
            errors_file: Some("/l/_errors/run.jsonl".into()),
            ..IngestSummary::default()
        };
        let mut out = Vec::new();
        s.write_human(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "ingest into /l:");
        assert_eq!(lines[1], "  files found        30");
        assert!(text.contains("  rejected: f0.json.gz record 0: bad\n  rejected: f1.json.gz: bad\n"), "{text}");
        assert_eq!(text.matches("  rejected: ").count(), 20);
        assert_eq!(lines[lines.len() - 2], "  ... and 2 more problems");
        assert_eq!(lines[lines.len() - 1], "  every problem is listed in /l/_errors/run.jsonl");
    }

    #[test]
    fn decoding_batches_are_bounded_by_file_count_and_bytes() {
        let small = batches(std::iter::repeat_n(1_000, 20));
        assert_eq!(small, [0..8, 8..16, 16..20]);
        // Large files go one or two at a time; one larger than the budget goes alone.
        let large = batches([3 << 20, 1 << 20, 1, 50 << 20, 2].into_iter());
        assert_eq!(large, [0..2, 2..3, 3..4, 4..5]);
        assert!(batches(std::iter::empty()).is_empty());
    }
}
