//! Decompress and parse one delivery file, salvaging every valid record of a partly bad file.

use super::record::{parse_record, EventRow};
use flate2::read::MultiGzDecoder;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
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

/// The result of decoding one file.
#[derive(Debug, Default)]
pub struct Decoded {
    pub rows: Vec<EventRow>,
    /// (record index, reason) of each rejected record.
    pub record_errors: Vec<(usize, String)>,
    /// Set when the file as a whole is damaged (valid records before the damage are still kept).
    pub file_error: Option<String>,
    /// None when the content could not be recognised at all.
    pub content: Option<Content>,
    pub bytes_in: u64,
}

/// Read and decode a file: gunzip when it is gzip (by magic bytes, not by name), then parse.
pub fn decode_file(path: &Path) -> Decoded {
    let raw = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            return Decoded { file_error: Some(format!("cannot read file: {e}")), ..Default::default() };
        }
    };
    decode_bytes(&raw)
}

pub fn decode_bytes(raw: &[u8]) -> Decoded {
    let bytes_in = raw.len() as u64;
    let mut gz_error = None;
    let text: Vec<u8> = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 8);
        // A truncated or corrupt stream still yields what was decompressed before the damage.
        if let Err(e) = MultiGzDecoder::new(raw).read_to_end(&mut out) {
            gz_error = Some(format!("gzip stream is damaged ({e}); kept the records before the damage"));
        }
        out
    } else {
        raw.to_vec()
    };
    let mut d = decode_json(&text);
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
    let mut out = Decoded::default();
    let text = match std::str::from_utf8(text) {
        Ok(t) => t,
        Err(e) => {
            // Keep the valid prefix: a damaged tail should not cost the records before it.
            let t = std::str::from_utf8(&text[..e.valid_up_to()]).expect("prefix is valid UTF-8");
            out.file_error = Some(format!("invalid UTF-8 at byte {}", e.valid_up_to()));
            return decode_prefix(t, out);
        }
    };
    if text.trim().is_empty() {
        out.file_error = Some("empty file".to_owned());
        return out;
    }
    decode_prefix(text, out)
}

fn decode_prefix(text: &str, mut out: Decoded) -> Decoded {
    let mut raws: Vec<&RawValue> = Vec::new();
    let mut shape = Shape::Unknown;
    let mut de = serde_json::Deserializer::from_str(text);
    let res = TopLevel { records: &mut raws, shape: &mut shape }.deserialize(&mut de).and_then(|_| de.end());
    out.content = match shape {
        Shape::Records => Some(Content::Events),
        Shape::Digest => Some(Content::Digest),
        Shape::Config => Some(Content::Config),
        Shape::Unknown => None,
    };
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
    out.rows.reserve(raws.len());
    for (i, raw) in raws.into_iter().enumerate() {
        match parse_record(raw) {
            Ok(row) => out.rows.push(row),
            Err(e) => out.record_errors.push((i, e.0)),
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Unknown,
    Records,
    Digest,
    Config,
}

/// Walks the top-level object, collecting each element of `Records` as it goes, so that an
/// error part-way through the array leaves the earlier elements collected.
struct TopLevel<'r, 'a> {
    records: &'r mut Vec<&'a RawValue>,
    shape: &'r mut Shape,
}

impl<'de: 'a, 'r, 'a> DeserializeSeed<'de> for TopLevel<'r, 'a> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de: 'a, 'r, 'a> Visitor<'de> for TopLevel<'r, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object with a \"Records\" array")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<(), M::Error> {
        while let Some(key) = m.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "Records" => {
                    *self.shape = Shape::Records;
                    m.next_value_seed(RecordsSeed { records: &mut *self.records })?;
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

struct RecordsSeed<'r, 'a> {
    records: &'r mut Vec<&'a RawValue>,
}

impl<'de: 'a, 'r, 'a> DeserializeSeed<'de> for RecordsSeed<'r, 'a> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de: 'a, 'r, 'a> Visitor<'de> for RecordsSeed<'r, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of records")
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut s: S) -> Result<(), S::Error> {
        while let Some(raw) = s.next_element::<&'de RawValue>()? {
            self.records.push(raw);
        }
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
