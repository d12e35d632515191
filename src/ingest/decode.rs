//! Decompress and parse one delivery file, salvaging every valid record of a partly bad file.
//!
//! Records are parsed in one pass straight out of the `Records` array and copied into column
//! buffers per partition, on the decoding thread. A file the fast pass cannot read (bad JSON, a
//! record that is not an object, ...) is read again element by element, so that every valid
//! record of a partly bad file is still kept and each bad one is reported with its index.

use super::columns::ColumnsBuilder;
use super::record::{build_row, parse_record, EventRow, RawRecord};
use super::writer::{fingerprint, PartitionKey};
use anyhow::Result;
use flate2::read::MultiGzDecoder;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::cell::RefCell;
use std::fmt;
use std::io::Read;
use std::path::Path;

/// What a file turned out to be once opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// `{"Records": [...]}`: CloudTrail events.
    Events,
    /// A CloudTrail digest file (`digestStartTime`, ...).
    Digest,
    /// An AWS Config snapshot or history file (`configurationItems`).
    Config,
    /// Valid JSON, but not a CloudTrail delivery file (no top-level `Records`).
    Other,
}

/// Where a file's rows come from: fills in what a record lacks.
#[derive(Debug, Clone, Default)]
pub struct FileContext {
    /// The `source_file` column of every row.
    pub source_file: String,
    pub path_account: Option<String>,
    pub path_region: Option<String>,
}

impl FileContext {
    pub fn for_path(path: &Path) -> Self {
        let (path_account, path_region) = super::discover::account_region_from_path(path);
        FileContext { source_file: path.display().to_string(), path_account, path_region }
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
    /// Set when the file as a whole is damaged (valid records before the damage are still kept).
    pub file_error: Option<String>,
    /// None when the content could not be recognised at all.
    pub content: Option<Content>,
    pub bytes_in: u64,
}

thread_local! {
    /// Decompressed text, reused from file to file on each decoding thread: the rows are
    /// copied out of it before the next file, and a fresh multi-megabyte buffer per file
    /// costs page faults.
    static TEXT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A reused buffer above this size is given back rather than kept for the next file.
const MAX_KEPT_BUFFER: usize = 64 << 20;

/// Read and decode a file: gunzip when it is gzip (by magic bytes, not by name), then parse.
pub fn decode_file(path: &Path) -> Decoded {
    let raw = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            return Decoded { file_error: Some(format!("cannot read file: {e}")), ..Default::default() };
        }
    };
    decode_bytes_in(&raw, &FileContext::for_path(path))
}

/// Decode bytes that did not come from a delivery path (tests, tools).
pub fn decode_bytes(raw: &[u8]) -> Decoded {
    decode_bytes_in(raw, &FileContext { source_file: "<bytes>".to_owned(), ..Default::default() })
}

pub fn decode_bytes_in(raw: &[u8], ctx: &FileContext) -> Decoded {
    let bytes_in = raw.len() as u64;
    let mut gz_error = None;
    let mut d = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut text = TEXT.with(|t| std::mem::take(&mut *t.borrow_mut()));
        text.clear();
        text.reserve(raw.len() * 8);
        // A truncated or corrupt stream still yields what was decompressed before the damage.
        if let Err(e) = MultiGzDecoder::new(raw).read_to_end(&mut text) {
            gz_error = Some(format!("gzip stream is damaged ({e}); kept the records before the damage"));
        }
        let d = decode_json_in(&text, ctx);
        if text.capacity() <= MAX_KEPT_BUFFER {
            TEXT.with(|t| *t.borrow_mut() = text);
        }
        d
    } else {
        decode_json_in(raw, ctx)
    };
    d.bytes_in = bytes_in;
    if let Some(g) = gz_error {
        d.file_error = Some(match d.file_error.take() {
            Some(j) if d.content.is_some() || !d.rows.is_empty() => format!("{g}; {j}"),
            _ => g,
        });
    }
    d
}

/// Parse `{"Records":[...]}`; other known shapes are recognised so they can be skipped by kind.
pub fn decode_json(text: &[u8]) -> Decoded {
    decode_json_in(text, &FileContext { source_file: "<bytes>".to_owned(), ..Default::default() })
}

fn decode_json_in(text: &[u8], ctx: &FileContext) -> Decoded {
    let mut out = Decoded::default();
    let text = match std::str::from_utf8(text) {
        Ok(t) => t,
        Err(e) => {
            // Keep the valid prefix: a damaged tail should not cost the records before it.
            let t = std::str::from_utf8(&text[..e.valid_up_to()]).expect("prefix is valid UTF-8");
            out.file_error = Some(format!("invalid UTF-8 at byte {}", e.valid_up_to()));
            return decode_prefix(t, out, ctx);
        }
    };
    if text.trim().is_empty() {
        out.file_error = Some("empty file".to_owned());
        return out;
    }
    decode_prefix(text, out, ctx)
}

fn content_of(shape: Shape) -> Option<Content> {
    match shape {
        Shape::Records => Some(Content::Events),
        Shape::Digest => Some(Content::Digest),
        Shape::Config => Some(Content::Config),
        Shape::Unknown => None,
    }
}

fn decode_prefix(text: &str, mut out: Decoded, ctx: &FileContext) -> Decoded {
    // Fast path: one pass, each record parsed in place. Any error in it (even one bad record)
    // discards its work and falls through to the careful path below.
    if out.file_error.is_none() {
        let mut shape = Shape::Unknown;
        let mut sink = FastSink { part: Partitioner::new(ctx), errors: Vec::new(), index: 0 };
        let mut de = serde_json::Deserializer::from_str(text);
        let res = TopLevel { sink: &mut sink, shape: &mut shape }.deserialize(&mut de).and_then(|_| de.end());
        if res.is_ok() {
            if let Ok(rows) = sink.part.finish() {
                out.content = Some(content_of(shape).unwrap_or(Content::Other));
                out.rows = rows;
                out.record_errors = sink.errors;
                return out;
            }
        }
    }

    let mut sink = SlowSink { records: Vec::new() };
    let mut shape = Shape::Unknown;
    let mut de = serde_json::Deserializer::from_str(text);
    let res = TopLevel { sink: &mut sink, shape: &mut shape }.deserialize(&mut de).and_then(|_| de.end());
    let raws = sink.records;
    out.content = content_of(shape);
    if let Err(e) = res {
        let msg = format!("invalid JSON: {e}");
        out.file_error = Some(match (&out.file_error, shape) {
            (Some(prev), _) => format!("{prev}; {msg}"),
            (None, Shape::Records) => format!("{msg}; kept the {} records before it", raws.len()),
            (None, _) => msg,
        });
    } else if shape == Shape::Unknown && out.file_error.is_none() {
        out.content = Some(Content::Other);
    }
    let mut part = Partitioner::new(ctx);
    for (i, raw) in raws.into_iter().enumerate() {
        match parse_record(raw) {
            Ok(row) => part.push(&row),
            Err(e) => out.record_errors.push((i, e.0)),
        }
    }
    match part.finish() {
        Ok(rows) => out.rows = rows,
        Err(e) => {
            let msg = format!("cannot build columns: {e}");
            out.file_error = Some(match out.file_error.take() {
                Some(prev) => format!("{prev}; {msg}"),
                None => msg,
            });
        }
    }
    out
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

    fn push(&mut self, row: &EventRow) {
        let account = row
            .recipient_account_id
            .as_deref()
            .or(self.ctx.path_account.as_deref())
            .or(row.account_id.as_deref())
            .unwrap_or("unknown");
        let region = row.aws_region.as_deref().or(self.ctx.path_region.as_deref()).unwrap_or("unknown");
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Unknown,
    Records,
    Digest,
    Config,
}

/// What to do with each element of `Records`.
trait Sink<'de> {
    /// Read the next element; false at the end of the array.
    fn next_record<S: SeqAccess<'de>>(&mut self, s: &mut S) -> Result<bool, S::Error>;
}

/// Keeps each element's raw JSON, so that one bad element cannot hide the others.
struct SlowSink<'a> {
    records: Vec<&'a RawValue>,
}

impl<'de: 'a, 'a> Sink<'de> for SlowSink<'a> {
    fn next_record<S: SeqAccess<'de>>(&mut self, s: &mut S) -> Result<bool, S::Error> {
        match s.next_element::<&'de RawValue>()? {
            Some(raw) => {
                self.records.push(raw);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// Parses each element as a record in place and files the row (or the reason it is rejected).
struct FastSink<'c> {
    part: Partitioner<'c>,
    errors: Vec<(usize, String)>,
    index: usize,
}

impl<'de, 'c> Sink<'de> for FastSink<'c> {
    fn next_record<S: SeqAccess<'de>>(&mut self, s: &mut S) -> Result<bool, S::Error> {
        let Some(rec) = s.next_element::<RawRecord<'de>>()? else { return Ok(false) };
        match build_row(rec) {
            Ok(row) => self.part.push(&row),
            Err(e) => self.errors.push((self.index, e.0)),
        }
        self.index += 1;
        Ok(true)
    }
}

/// Walks the top-level object, handing each element of `Records` to the sink as it goes, so
/// that an error part-way through the array leaves the earlier elements collected.
struct TopLevel<'r, K> {
    sink: &'r mut K,
    shape: &'r mut Shape,
}

impl<'de, 'r, K: Sink<'de>> DeserializeSeed<'de> for TopLevel<'r, K> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, 'r, K: Sink<'de>> Visitor<'de> for TopLevel<'r, K> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object with a \"Records\" array")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<(), M::Error> {
        while let Some(key) = m.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "Records" => {
                    *self.shape = Shape::Records;
                    m.next_value_seed(RecordsSeed { sink: &mut *self.sink })?;
                }
                "digestStartTime" | "digestEndTime" | "digestS3Bucket" | "logFiles"
                    if *self.shape == Shape::Unknown =>
                {
                    *self.shape = Shape::Digest;
                    m.next_value::<IgnoredAny>()?;
                }
                "configurationItems" | "configSnapshotId" if *self.shape == Shape::Unknown => {
                    *self.shape = Shape::Config;
                    m.next_value::<IgnoredAny>()?;
                }
                _ => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct RecordsSeed<'r, K> {
    sink: &'r mut K,
}

impl<'de, 'r, K: Sink<'de>> DeserializeSeed<'de> for RecordsSeed<'r, K> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, 'r, K: Sink<'de>> Visitor<'de> for RecordsSeed<'r, K> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of records")
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut s: S) -> Result<(), S::Error> {
        while self.sink.next_record(&mut s)? {}
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
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
        assert!(d.file_error.as_deref().unwrap().contains("gzip stream is damaged"), "{:?}", d.file_error);
        assert!(d.rows.len() > 100 && d.rows.len() < 2000, "kept {}", d.rows.len());
    }

    #[test]
    fn invalid_json_keeps_earlier_records_and_counts_bad_ones() {
        let mut s = records(3);
        s.truncate(s.len() - 5);
        s.push_str("garbage");
        let d = decode_bytes(s.as_bytes());
        assert_eq!(d.rows.len(), 2);
        assert!(d.file_error.unwrap().starts_with("invalid JSON"));

        let s = r#"{"Records":[{"eventID":"a"}, 5, {"eventID":"b","eventTime":"2026-09-01T10:00:00Z","eventSource":"x","eventName":"y"}]}"#;
        let d = decode_bytes(s.as_bytes());
        assert_eq!(d.rows.len(), 1);
        assert_eq!(d.record_errors.len(), 2);
        assert_eq!(d.record_errors[0].0, 0);
        assert_eq!(d.record_errors[1].0, 1);
        assert_eq!(d.file_error, None);
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
        assert_eq!(d.content, None);
        assert!(d.file_error.unwrap().contains("invalid JSON"));
        let d = decode_bytes(br#"{"Records":[]}"#);
        assert_eq!((d.content, d.rows.len(), d.file_error), (Some(Content::Events), 0, None));
    }
}
