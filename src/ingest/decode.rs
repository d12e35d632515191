//! Decompress and parse one file of CloudTrail events, salvaging every valid record.
//!
//! The file is streamed: gunzip (member by member, so that a member whose checksum fails can be
//! left out), then `scan` frames each record, then each record is parsed on its own and copied
//! into column buffers per partition. Memory is bounded by the largest record, not the file;
//! a bad record is reported with its index and never costs the others.

use super::columns::ColumnsBuilder;
use super::record::{build_row, clip, EventRow, RawRecord};
use super::scan::{self, ItemSink, Limits, Outline, Place};
use super::writer::{fingerprint, PartitionKey};
use crate::lake::{is_account, is_region};
use anyhow::Result;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// What a file turned out to be once opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// CloudTrail events (in any of the shapes `scan` recognises).
    Events,
    /// A CloudTrail digest file (`digestStartTime`, ...).
    Digest,
    /// An AWS Config snapshot or history file (`configurationItems`).
    Config,
    /// Valid JSON, but no CloudTrail event in it.
    Other,
}

/// How files are read.
#[derive(Debug, Clone, Default)]
pub struct DecodeOptions {
    pub limits: Limits,
    /// The account of events that do not name the account that received them.
    pub account: Option<String>,
}

/// Where a file's rows come from: fills in what a record lacks.
#[derive(Debug, Clone, Default)]
pub struct FileContext {
    /// The `source_file` column of every row.
    pub source_file: String,
    pub path_account: Option<String>,
    pub path_region: Option<String>,
    /// `--account`: for events that do not say which account received them.
    pub default_account: Option<String>,
}

impl FileContext {
    pub fn for_path(path: &Path) -> Self {
        let (path_account, path_region) = super::discover::account_region_from_path(path);
        FileContext { source_file: path.display().to_string(), path_account, path_region, default_account: None }
    }
}

/// The valid rows of one file that belong to one partition, in file order.
#[derive(Debug)]
pub struct PartChunk {
    pub key: PartitionKey,
    /// Rows in the lake's columns.
    pub columns: ColumnsBuilder,
    /// `fingerprint(event_id, event_time)` of each row, for de-duplication.
    pub ids: Vec<u128>,
}

/// The valid rows of one file, split by partition (usually a single one).
#[derive(Debug, Default)]
pub struct Rows {
    pub parts: Vec<PartChunk>,
}

impl Rows {
    pub fn len(&self) -> usize {
        self.parts.iter().map(|p| p.ids.len()).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.parts.iter().all(|p| p.ids.is_empty())
    }
}

/// The result of decoding one file.
#[derive(Debug, Default)]
pub struct Decoded {
    pub rows: Rows,
    /// (record index, reason) of each rejected record.
    pub record_errors: Vec<(usize, String)>,
    /// Set when the file as a whole is damaged (the valid records are still kept).
    pub file_error: Option<String>,
    /// Set when the file must be read again on the next run (its damage may be repaired by a
    /// re-delivery, or it could not be read): it is not recorded in the manifest.
    pub read_again: bool,
    /// None when the content could not be recognised at all.
    pub content: Option<Content>,
    /// Bytes read from the file (compressed, as stored).
    pub bytes_in: u64,
}

impl Decoded {
    /// A file that could not be read at all (it is tried again on the next run).
    pub fn unreadable(reason: String) -> Decoded {
        Decoded { file_error: Some(format!("cannot read file: {reason}")), read_again: true, ..Default::default() }
    }

    fn add_file_error(&mut self, msg: String) {
        self.file_error = Some(match self.file_error.take() {
            Some(prev) => format!("{prev}; {msg}"),
            None => msg,
        });
    }
}

/// Read and decode a file with the default limits.
pub fn decode_file(path: &Path) -> Decoded {
    decode_file_with(path, &DecodeOptions::default())
}

/// Read and decode a file: gunzip when it is gzip (by magic bytes, not by name), then parse.
pub fn decode_file_with(path: &Path, opts: &DecodeOptions) -> Decoded {
    let mut ctx = FileContext::for_path(path);
    ctx.default_account = opts.account.clone();
    let open = || std::fs::File::open(path);
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut d = decode_source(open, &ctx, opts.limits);
    d.bytes_in = size;
    d
}

/// Decode an object fetched from elsewhere (S3), named by its URL.
pub fn decode_object(raw: &[u8], name: &str, opts: &DecodeOptions) -> Decoded {
    let mut ctx = FileContext::for_path(Path::new(name));
    ctx.source_file = name.to_owned();
    ctx.default_account = opts.account.clone();
    decode_bytes_in(raw, &ctx, opts.limits)
}

/// Decode bytes that did not come from a delivery path (tests, tools).
pub fn decode_bytes(raw: &[u8]) -> Decoded {
    let ctx = FileContext { source_file: "<bytes>".to_owned(), ..Default::default() };
    decode_bytes_in(raw, &ctx, Limits::default())
}

pub fn decode_bytes_in(raw: &[u8], ctx: &FileContext, limits: Limits) -> Decoded {
    let mut d = decode_source(|| Ok(raw), ctx, limits);
    d.bytes_in = raw.len() as u64;
    d
}

/// Decode what `open` gives (it may be opened twice: once more when a gzip member is damaged).
fn decode_source<R: Read>(open: impl Fn() -> io::Result<R>, ctx: &FileContext, limits: Limits) -> Decoded {
    let cannot_read = |e: io::Error| Decoded::unreadable(e.to_string());
    let mut input = match open() {
        Ok(r) => BufReader::with_capacity(64 << 10, r),
        Err(e) => return cannot_read(e),
    };
    let gzip = match input.fill_buf() {
        Ok(b) => b.starts_with(&[0x1f, 0x8b]),
        Err(e) => return cannot_read(e),
    };
    if !gzip {
        return decode_stream(input, ctx, limits);
    }
    let mut members = Members::new(input);
    let mut d = decode_stream(&mut members, ctx, limits);
    let Some(bad) = members.failure.take() else { return d };
    if bad.truncated {
        // The stream just stops: what came before is kept, as CloudTrail writes whole records.
        d.add_file_error(format!(
            "gzip stream is truncated ({}); kept the {} records before the damage",
            bad.error,
            d.rows.len()
        ));
        return d;
    }
    if !bad.produced {
        // Bytes after the last member that are not gzip: every record read is from whole members.
        d.add_file_error(format!("bytes after gzip member {} are not gzip ({}); ignored", bad.member, bad.error));
        return d;
    }
    // A damaged member (bad checksum, corrupt data): none of its rows may be kept, as they may be
    // altered. Read again only the members before it.
    let redo = match open() {
        Ok(r) => r,
        Err(e) => return cannot_read(e),
    };
    let good = Members::new(BufReader::new(redo.take(bad.offset)));
    let mut d = if bad.offset == 0 { Decoded::default() } else { decode_stream(good, ctx, limits) };
    d.content.get_or_insert(Content::Events);
    d.record_errors.retain(|(_, e)| !e.starts_with("the input ends"));
    d.file_error = None;
    d.add_file_error(format!(
        "gzip member {} (at byte {}) is damaged ({}); none of its records is kept, {} records of the members before it are",
        bad.member,
        bad.offset,
        bad.error,
        d.rows.len()
    ));
    d.read_again = true;
    d
}

/// Scan, parse and partition a decompressed stream.
fn decode_stream<R: Read>(r: R, ctx: &FileContext, limits: Limits) -> Decoded {
    let mut sink = RecordSink {
        part: Partitioner::new(ctx),
        errors: Vec::new(),
        file_problems: Vec::new(),
        foreign: Vec::new(),
        events: 0,
    };
    let outline = scan::scan(r, limits, &mut sink);
    finish(sink, outline, limits)
}

fn finish(sink: RecordSink, outline: Outline, limits: Limits) -> Decoded {
    let RecordSink { part, mut errors, file_problems, foreign, events } = sink;
    let mut out = Decoded::default();
    // When reading stopped early, "the input ends ..." is that stop, reported once by its cause.
    let stopped = outline.read_error.is_some() || outline.over_limit;
    let cut_short = |reason: &str| stopped && reason.starts_with("the input ends");
    errors.retain(|(_, e)| !cut_short(e));
    for p in file_problems.into_iter().filter(|p| !cut_short(p)) {
        out.add_file_error(p);
    }
    let has_key = |keys: &[&str]| outline.top_keys.iter().any(|k| keys.contains(&k.as_str()));
    out.content = Some(if events > 0 || !outline.containers.is_empty() {
        // Objects beside the events that are not events are rejected records.
        errors.extend(foreign.into_iter().map(|(i, why)| (i, why)));
        Content::Events
    } else if has_key(&["digestStartTime", "digestEndTime", "digestS3Bucket", "logFiles"]) {
        Content::Digest
    } else if has_key(&["configurationItems", "configSnapshotId", "configurationItem"]) {
        Content::Config
    } else if outline.items == 0 && errors.is_empty() && out.file_error.is_none() && outline.read_error.is_none() {
        out.file_error = Some("empty file".to_owned());
        Content::Other
    } else if !foreign.is_empty() || errors.is_empty() {
        Content::Other
    } else {
        // Nothing but damage: reported as such, not skipped as foreign.
        Content::Events
    });
    if out.file_error.is_some() {
        out.content = None;
    }
    if let Some(e) = &outline.read_error {
        // Reported by the gzip layer, which knows which kind of damage it is.
        if e.get_ref().is_none_or(|inner| !inner.is::<MemberError>()) {
            out.add_file_error(format!("cannot read the rest of the file: {e}"));
            out.read_again = e.kind() != io::ErrorKind::UnexpectedEof && e.kind() != io::ErrorKind::InvalidData;
        }
    }
    if outline.over_limit {
        out.add_file_error(format!(
            "the file holds more than {} bytes of text (the per-file limit); the rest is not read",
            limits.max_file_bytes
        ));
    }
    errors.sort_by_key(|e| e.0);
    out.record_errors = errors;
    match part.finish() {
        Ok(rows) => out.rows = rows,
        Err(e) => out.add_file_error(format!("cannot build columns: {e}")),
    }
    out
}

/// Parses each framed item, unwraps envelopes and files the row or the reason it is rejected.
struct RecordSink<'c> {
    part: Partitioner<'c>,
    errors: Vec<(usize, String)>,
    /// Problems of the file as a whole (the input ends inside an array, ...).
    file_problems: Vec<String>,
    /// Top-level objects that are not CloudTrail events (rejected only if the file has events).
    foreign: Vec<(usize, String)>,
    events: usize,
}

impl ItemSink for RecordSink<'_> {
    fn item(&mut self, index: usize, place: Place, bytes: &[u8]) -> bool {
        // One UTF-8 check of the whole record is cheaper than one per string (from_slice).
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                self.errors.push((index, format!("not valid UTF-8 at byte {} of the record", e.valid_up_to())));
                return false;
            }
        };
        match serde_json::from_str::<RawRecord>(text) {
            Ok(rec) => {
                self.record(index, place, rec, 0);
                true
            }
            // Valid JSON that is not an object: not a record (and, at the top level, not CloudTrail).
            Err(e) if e.classify() == serde_json::error::Category::Data => {
                let why = format!("not a record object: {e}");
                match place {
                    Place::TopLevel => self.foreign.push((index, why)),
                    Place::Container => self.errors.push((index, why)),
                }
                true
            }
            Err(e) => {
                self.errors.push((index, format!("not valid JSON: {e}")));
                false
            }
        }
    }

    fn problem(&mut self, index: Option<usize>, reason: String) {
        match index {
            Some(i) => self.errors.push((i, reason)),
            None => self.file_problems.push(reason),
        }
    }
}

impl RecordSink<'_> {
    fn record(&mut self, index: usize, place: Place, rec: RawRecord<'_>, depth: u8) {
        if !rec.looks_like_event() && depth == 0 {
            // EventBridge: `{"detail-type": "AWS API Call via CloudTrail", "detail": {record}}`.
            if let (Some(detail), Some(_)) = (rec.other_field("detail"), rec.other_field("detail-type")) {
                return match serde_json::from_str::<RawRecord>(detail.get()) {
                    Ok(inner) => self.record(index, place, inner, 1),
                    Err(e) => self.errors.push((index, format!("EventBridge detail is not a record: {e}"))),
                };
            }
            // `aws cloudtrail lookup-events`: `{"EventId": ..., "CloudTrailEvent": "<record as JSON text>"}`.
            if let Some(text) = rec.other_field("CloudTrailEvent") {
                let parsed = serde_json::from_str::<String>(text.get()).map_err(|e| e.to_string()).and_then(|s| {
                    let inner = serde_json::from_str::<RawRecord>(&s).map_err(|e| e.to_string())?;
                    self.accept(index, inner);
                    Ok(())
                });
                if let Err(e) = parsed {
                    self.errors.push((index, format!("CloudTrailEvent is not a record: {e}")));
                }
                return;
            }
            if place == Place::TopLevel {
                self.foreign
                    .push((index, "not a CloudTrail event (no eventID, eventTime, eventSource, eventName)".to_owned()));
                return;
            }
        }
        self.accept(index, rec);
    }

    fn accept(&mut self, index: usize, rec: RawRecord<'_>) {
        let checked = build_row(rec).and_then(|row| {
            let (account, region) = partition_of(&row, self.part.ctx)?;
            Ok((row, account, region))
        });
        match checked {
            Ok((row, account, region)) => {
                self.events += 1;
                self.part.push(&row, &account, &region);
            }
            Err(e) => self.errors.push((index, e.0)),
        }
    }
}

/// The account, region and (checked) date of a row's partition: values that become directory
/// names are validated, never trusted.
fn partition_of(row: &EventRow, ctx: &FileContext) -> Result<(String, String), super::record::RecordError> {
    use super::record::RecordError;
    let account = match row.recipient_account_id.as_deref() {
        Some(a) if is_account(a) => a,
        Some(a) => return Err(RecordError(format!("recipientAccountId {} is not a 12-digit account id", clip(a)))),
        // An event that does not say who received it: the operator's word, the delivery path,
        // then the caller's own account.
        None => ctx
            .default_account
            .as_deref()
            .or(ctx.path_account.as_deref())
            .or(row.account_id.as_deref().filter(|a| is_account(a)))
            .unwrap_or("unknown"),
    };
    let region = match row.aws_region.as_deref() {
        Some(r) if is_region(r) => r,
        Some(r) => return Err(RecordError(format!("awsRegion {} is not a region name", clip(r)))),
        None => ctx.path_region.as_deref().filter(|r| is_region(r)).unwrap_or("unknown"),
    };
    let earliest = 1_072_915_200_000; // 2004-01-01, before CloudTrail existed
    let latest = chrono::Utc::now().timestamp_millis() + MS_PER_DAY;
    if row.event_time < earliest || row.event_time > latest {
        let t = crate::time::iso(row.event_time);
        return Err(RecordError(format!("eventTime {t} is outside 2004-01-01 .. tomorrow")));
    }
    Ok((account.to_owned(), region.to_owned()))
}

/// The error a damaged gzip member ended the stream with (so the scan does not report it again).
#[derive(Debug)]
struct MemberError(String);

impl std::fmt::Display for MemberError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MemberError {}

/// Where a gzip stream failed.
#[derive(Debug)]
struct MemberFailure {
    /// 1-based number of the member.
    member: usize,
    /// Compressed offset where the member starts.
    offset: u64,
    /// The member had produced text before failing.
    produced: bool,
    /// The input ended inside the member (rather than failing a check).
    truncated: bool,
    error: String,
}

/// Gunzip member by member, knowing where each starts, so that the members before a damaged one
/// can be read again on their own.
struct Members<R: BufRead> {
    dec: Option<flate2::bufread::GzDecoder<Counting<R>>>,
    member: usize,
    offset: u64,
    produced: bool,
    failure: Option<MemberFailure>,
}

impl<R: BufRead> Members<R> {
    fn new(r: R) -> Self {
        Members {
            dec: Some(flate2::bufread::GzDecoder::new(Counting { r, n: 0 })),
            member: 1,
            offset: 0,
            produced: false,
            failure: None,
        }
    }
}

impl<R: BufRead> Read for Members<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(dec) = self.dec.as_mut() else { return Ok(0) };
            match dec.read(buf) {
                Ok(0) => {
                    let mut inner = self.dec.take().expect("present").into_inner();
                    if inner.fill_buf()?.is_empty() {
                        return Ok(0);
                    }
                    self.offset = inner.n;
                    self.member += 1;
                    self.produced = false;
                    self.dec = Some(flate2::bufread::GzDecoder::new(inner));
                }
                Ok(n) => {
                    self.produced = true;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let truncated = e.kind() == io::ErrorKind::UnexpectedEof;
                    self.failure = Some(MemberFailure {
                        member: self.member,
                        offset: self.offset,
                        produced: self.produced,
                        truncated,
                        error: e.to_string(),
                    });
                    self.dec = None;
                    return Err(io::Error::new(e.kind(), MemberError(e.to_string())));
                }
            }
        }
    }
}

/// Counts the bytes consumed from a buffered reader.
struct Counting<R> {
    r: R,
    n: u64,
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.r.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.r.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.n += amt as u64;
        self.r.consume(amt);
    }
}

/// Splits a file's rows by partition into column buffers.
struct Partitioner<'c> {
    ctx: &'c FileContext,
    parts: Vec<(PartitionKey, ColumnsBuilder, Vec<u128>)>,
    /// (account, region, day) of the previous row and its part: rows of a file nearly always
    /// share one partition, so the key is rarely rebuilt.
    last: Option<(String, String, i64, usize)>,
}

const MS_PER_DAY: i64 = 86_400_000;

impl<'c> Partitioner<'c> {
    fn new(ctx: &'c FileContext) -> Self {
        Partitioner { ctx, parts: Vec::new(), last: None }
    }

    fn push(&mut self, row: &EventRow, account: &str, region: &str) {
        let day = row.event_time.div_euclid(MS_PER_DAY);
        let i = match &self.last {
            Some((a, r, d, i)) if a == account && r == region && *d == day => *i,
            _ => {
                let key = partition_key(account, region, row.event_time);
                let i = match self.parts.iter().position(|(k, _, _)| *k == key) {
                    Some(i) => i,
                    None => {
                        // Empty buffers that grow with the rows: most files hold few.
                        self.parts.push((key, ColumnsBuilder::for_source(&self.ctx.source_file), Vec::new()));
                        self.parts.len() - 1
                    }
                };
                self.last = Some((account.to_owned(), region.to_owned(), day, i));
                i
            }
        };
        let (_, cols, ids) = &mut self.parts[i];
        cols.push(row);
        ids.push(fingerprint(&row.event_id, row.event_time));
    }

    fn finish(self) -> Result<Rows> {
        let mut parts = Vec::with_capacity(self.parts.len());
        for (key, cols, ids) in self.parts {
            parts.push(PartChunk { key, columns: cols, ids });
        }
        Ok(Rows { parts })
    }
}

/// The partition of a row: the account that received the event, its region and UTC date.
fn partition_key(account: &str, region: &str, event_time: i64) -> PartitionKey {
    let date = chrono::DateTime::from_timestamp_millis(event_time)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "unknown".to_owned());
    PartitionKey { account: sanitize(account), region: sanitize(region), date }
}

/// Partition values become directory names: keep them to a safe alphabet.
fn sanitize(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;

    const REC: &str = r#"{"eventID":"ID","eventTime":"2026-09-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1"}"#;

    fn records(n: usize) -> String {
        let recs: Vec<String> = (0..n).map(|i| REC.replace("\"ID\"", &format!("\"e{i}\""))).collect();
        format!("{{\"Records\":[{}]}}", recs.join(","))
    }

    fn gz(b: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn decodes_gzip_and_plain() {
        let d = decode_bytes(&gz(records(3).as_bytes()));
        assert_eq!((d.rows.len(), d.file_error, d.content), (3, None, Some(Content::Events)));
        let d = decode_bytes(records(2).as_bytes());
        assert_eq!(d.rows.len(), 2);
    }

    #[test]
    fn truncated_gzip_keeps_records_before_the_damage() {
        let full = gz(records(2000).as_bytes());
        let d = decode_bytes(&full[..full.len() / 2]);
        assert!(d.file_error.as_deref().unwrap().starts_with("gzip stream is truncated"), "{:?}", d.file_error);
        assert!(d.rows.len() > 100 && d.rows.len() < 2000, "kept {}", d.rows.len());
    }

    #[test]
    fn invalid_json_keeps_earlier_records_and_counts_bad_ones() {
        let mut s = records(3);
        s.truncate(s.len() - 5);
        s.push_str("garbage");
        let d = decode_bytes(s.as_bytes());
        assert_eq!(d.rows.len(), 2);
        assert_eq!(d.record_errors, [(2, "the input ends inside this record".to_owned())]);
        assert!(d.file_error.unwrap().contains("the input ends"));

        let s = r#"{"Records":[{"eventID":"a"}, 5, {"eventID":"b","eventTime":"2026-09-01T10:00:00Z","eventSource":"x","eventName":"y"}]}"#;
        let d = decode_bytes(s.as_bytes());
        assert_eq!(d.rows.len(), 1);
        assert_eq!(d.record_errors.len(), 2);
        assert_eq!(d.record_errors[0].0, 0);
        assert_eq!(d.record_errors[1].0, 1);
        assert_eq!(d.file_error, None);
    }

    #[test]
    fn event_times_follow_the_one_grammar_and_stay_in_range() {
        let rec = |t: &str| {
            format!(
                r#"{{"Records":[{{"eventID":"a","eventTime":"{t}","eventSource":"x","eventName":"y","recipientAccountId":"111122223333","awsRegion":"us-east-1"}}]}}"#
            )
        };
        // An export's space-separated form and epoch seconds are the same instant as the ISO form:
        // the same day partition and the same (event id, time) fingerprint.
        let iso = decode_bytes(rec("2026-09-01T10:00:00Z").as_bytes());
        for t in ["2026-09-01 10:00:00.000000000", "1788256800"] {
            let d = decode_bytes(rec(t).as_bytes());
            assert_eq!((d.rows.len(), d.record_errors.len()), (1, 0), "{t}: {:?}", d.record_errors);
            assert_eq!(d.rows.parts[0].key.date, "2026-09-01", "{t}");
            assert_eq!(d.rows.parts[0].ids, iso.rows.parts[0].ids, "{t}");
        }
        let d = decode_bytes(rec("2003-12-31T23:59:59Z").as_bytes());
        assert_eq!(
            d.record_errors,
            [(0, "eventTime 2003-12-31T23:59:59Z is outside 2004-01-01 .. tomorrow".to_owned())]
        );
        let d = decode_bytes(rec("next tuesday").as_bytes());
        assert_eq!(d.record_errors, [(0, "eventTime \"next tuesday\" is not an ISO-8601 timestamp".to_owned())]);
    }

    #[test]
    fn recognises_other_kinds_and_empty_files() {
        assert_eq!(decode_bytes(b"").file_error.as_deref(), Some("empty file"));
        assert_eq!(decode_bytes(&gz(b"")).file_error.as_deref(), Some("empty file"));
        let d = decode_bytes(br#"{"awsAccountId":"1","digestStartTime":"x","logFiles":[]}"#);
        assert_eq!(d.content, Some(Content::Digest));
        let d = decode_bytes(br#"{"fileVersion":"1.0","configSnapshotId":"x","configurationItems":[]}"#);
        assert_eq!(d.content, Some(Content::Config));
        let d = decode_bytes(br#"{"hello":1}"#);
        assert_eq!((d.content, d.file_error), (Some(Content::Other), None));
        let d = decode_bytes(br#"[1,2]"#);
        assert_eq!((d.content, d.rows.len()), (Some(Content::Other), 0));
        let d = decode_bytes(br#"{"Records":[]}"#);
        assert_eq!((d.content, d.rows.len(), d.file_error), (Some(Content::Events), 0, None));
    }

    /// 99 records, with `bad` in place of record 10.
    fn with_bad_record_10(bad: &[u8]) -> Vec<u8> {
        let mut out = b"{\"Records\":[".to_vec();
        for i in 0..99 {
            if i > 0 {
                out.push(b',');
            }
            if i == 10 {
                out.extend_from_slice(bad);
            } else {
                out.extend_from_slice(REC.replace("\"ID\"", &format!("\"e{i}\"")).as_bytes());
            }
        }
        out.extend_from_slice(b"]}");
        out
    }

    #[test]
    fn a_bad_byte_or_value_costs_one_record_only() {
        let rec10 = REC.replace("\"ID\"", "\"e10\"");
        for (what, bad) in [
            ("0xFF", rec10.replace("ListBuckets", "List\u{FF}").into_bytes()),
            ("Latin-1", rec10.replace("ListBuckets", "Caf\u{E9}").into_bytes()),
            ("NUL", rec10.replace("ListBuckets", "List\0").into_bytes()),
            ("NaN", rec10.replace("\"us-east-1\"", "NaN").into_bytes()),
            ("number id", rec10.replace("\"e10\"", "10").into_bytes()),
            ("long region", rec10.replace("us-east-1", &"x".repeat(300)).into_bytes()),
            ("unterminated string", rec10.replace("\"ListBuckets\"", "\"ListBuckets").into_bytes()),
        ] {
            // Raw bytes, not the UTF-8 of the characters above.
            let bad: Vec<u8> = match what {
                "0xFF" => rec10
                    .replace("ListBuckets", "List#")
                    .into_bytes()
                    .into_iter()
                    .map(|b| if b == b'#' { 0xFF } else { b })
                    .collect(),
                "Latin-1" => rec10
                    .replace("ListBuckets", "Caf#")
                    .into_bytes()
                    .into_iter()
                    .map(|b| if b == b'#' { 0xE9 } else { b })
                    .collect(),
                _ => bad,
            };
            let d = decode_bytes(&with_bad_record_10(&bad));
            assert_eq!(d.rows.len(), 98, "{what}: {:?} {:?}", d.record_errors, d.file_error);
            assert_eq!(d.record_errors.len(), 1, "{what}: {:?}", d.record_errors);
            assert_eq!(d.record_errors[0].0, 10, "{what}");
            assert_eq!(d.file_error, None, "{what}");
        }
    }

    #[test]
    fn a_byte_order_mark_and_concatenated_objects_lose_nothing() {
        let mut text = vec![0xEF, 0xBB, 0xBF];
        text.extend_from_slice(records(5).as_bytes());
        assert_eq!(decode_bytes(&text).rows.len(), 5);
        let two = format!("{}{}", REC.replace("\"ID\"", "\"a\""), REC.replace("\"ID\"", "\"b\""));
        let d = decode_bytes(&with_bad_record_10(two.as_bytes()));
        assert_eq!(d.rows.len(), 100, "{:?}", d.record_errors);
        assert!(d.record_errors[0].1.contains("no comma"));
    }

    #[test]
    fn a_gzip_member_that_fails_its_checksum_contributes_no_rows() {
        // Two members: the file is one document split in two compressed pieces.
        let text = records(6);
        let (a, b) = text.split_at(text.len() / 2);
        let mut file = gz(a.as_bytes());
        let mut second = gz(b.as_bytes());
        let n = second.len();
        second[n - 8] ^= 0xFF; // the CRC32 of the trailer
        file.extend_from_slice(&second);
        let d = decode_bytes(&file);
        assert!(d.read_again);
        assert!(d.file_error.as_deref().unwrap().contains("gzip member 2"), "{:?}", d.file_error);
        let whole = decode_bytes(&gz(text.as_bytes())).rows.len();
        assert!(d.rows.len() < whole, "{} of {whole}", d.rows.len());
        // A correct file (a re-delivery) is read whole.
        let mut good = gz(a.as_bytes());
        good.extend_from_slice(&gz(b.as_bytes()));
        let d = decode_bytes(&good);
        assert_eq!((d.rows.len(), d.read_again, d.file_error), (6, false, None));
    }

    #[test]
    fn reads_every_export_shape() {
        let r = |id: &str| REC.replace("\"ID\"", &format!("\"{id}\""));
        let lines = format!("{}\n{}\n", r("a"), r("b"));
        assert_eq!(decode_bytes(lines.as_bytes()).rows.len(), 2);
        assert_eq!(decode_bytes(&gz(lines.as_bytes())).rows.len(), 2);
        let array = format!("[{}, {}]", r("a"), r("b"));
        assert_eq!(decode_bytes(array.as_bytes()).rows.len(), 2);
        let lower = format!("{{\"records\":[{}]}}", r("a"));
        assert_eq!(decode_bytes(lower.as_bytes()).rows.len(), 1);
        let lookup = format!(
            "{{\"Events\":[{{\"EventId\":\"a\",\"EventName\":\"ListBuckets\",\"CloudTrailEvent\":{}}}],\"NextToken\":\"x\"}}",
            serde_json::to_string(&r("a")).unwrap()
        );
        let d = decode_bytes(lookup.as_bytes());
        assert_eq!((d.rows.len(), d.content), (1, Some(Content::Events)), "{:?}", d.record_errors);
        let bridge = format!(
            "{{\"version\":\"0\",\"id\":\"x\",\"detail-type\":\"AWS API Call via CloudTrail\",\"source\":\"aws.s3\",\"detail\":{}}}\n",
            r("a")
        );
        // The same event twice: two rows here, one after the writer's de-duplication.
        assert_eq!(decode_bytes(bridge.repeat(2).as_bytes()).rows.len(), 2);
    }

    #[test]
    fn a_file_of_other_lines_is_not_cloudtrail() {
        let d = decode_bytes(b"{\"level\":\"info\",\"msg\":\"x\"}\n{\"level\":\"warn\"}\n");
        assert_eq!((d.content, d.rows.len(), d.record_errors.len()), (Some(Content::Other), 0, 0));
        // Beside events, such lines are rejected records.
        let mixed = format!("{}\n{{\"level\":\"warn\"}}\n", REC);
        let d = decode_bytes(mixed.as_bytes());
        assert_eq!((d.content, d.rows.len(), d.record_errors.len()), (Some(Content::Events), 1, 1));
    }

    #[test]
    fn the_account_of_an_event_that_does_not_name_one() {
        let ctx = |path: Option<&str>, default: Option<&str>| FileContext {
            source_file: "f".into(),
            path_account: path.map(str::to_owned),
            path_region: None,
            default_account: default.map(str::to_owned),
        };
        let rec = REC.replace(
            "\"awsRegion\"",
            "\"userIdentity\":{\"type\":\"IAMUser\",\"accountId\":\"222233334444\"},\"awsRegion\"",
        );
        let text = format!("{{\"Records\":[{rec}]}}");
        let account = |c: FileContext| {
            let d = decode_bytes_in(text.as_bytes(), &c, Limits::default());
            d.rows.parts[0].key.account.clone()
        };
        assert_eq!(account(ctx(None, None)), "222233334444");
        assert_eq!(account(ctx(Some("111122223333"), None)), "111122223333");
        assert_eq!(account(ctx(Some("111122223333"), Some("999988887777"))), "999988887777");
        let named = text.replace("\"awsRegion\"", "\"recipientAccountId\":\"555566667777\",\"awsRegion\"");
        let d = decode_bytes_in(named.as_bytes(), &ctx(Some("111122223333"), None), Limits::default());
        assert_eq!(d.rows.parts[0].key.account, "555566667777");
        let bad = text.replace("\"awsRegion\"", "\"recipientAccountId\":\"../../etc\",\"awsRegion\"");
        let d = decode_bytes(bad.as_bytes());
        assert_eq!(d.rows.len(), 0);
        assert!(d.record_errors[0].1.contains("not a 12-digit account id"));
    }

    #[test]
    fn the_per_file_limit_is_reported() {
        let d = decode_bytes_in(
            &gz(records(200).as_bytes()),
            &FileContext::default(),
            Limits { max_file_bytes: 4096, ..Default::default() },
        );
        assert!(d.rows.len() < 200);
        assert!(d.file_error.unwrap().contains("per-file limit"));
    }
}
