//! Column buffers for the rows of one file and one partition: each row is copied once, straight
//! from the borrowed JSON text into Arrow buffers, so no row ever owns its strings.

use super::record::EventRow;
use crate::lake::{ColumnKind, COLUMNS};
use anyhow::{anyhow, Result};
use polars::prelude::*;

/// String columns filled from a row, in the order `push` fills them (`source_file` is added at
/// the end, once per chunk).
const STRING_COLUMNS: [&str; 34] = [
    "event_id",
    "event_source",
    "event_name",
    "aws_region",
    "source_ip",
    "user_agent",
    "error_code",
    "error_message",
    "event_type",
    "event_category",
    "recipient_account_id",
    "identity_type",
    "identity_arn",
    "principal_id",
    "account_id",
    "access_key_id",
    "user_name",
    "invoked_by",
    "session_issuer_arn",
    "session_issuer_type",
    "session_issuer_name",
    "session_name",
    "source_identity",
    "ec2_role_delivery",
    "user_identity",
    "request_parameters",
    "response_elements",
    "additional_event_data",
    "resources",
    "shared_event_id",
    "vpc_endpoint_id",
    "event_version",
    "request_id",
    "tls_details",
];

/// One nullable string column: every value's bytes end to end. `ends[i]` is the end offset of
/// value `i` shifted left once, its low bit set when the value is null (one vector, not two).
#[derive(Default)]
struct StrColumn {
    bytes: Vec<u8>,
    ends: Vec<u64>,
}

impl StrColumn {
    fn push(&mut self, v: Option<&str>) {
        if let Some(v) = v {
            self.bytes.extend_from_slice(v.as_bytes());
        }
        self.ends.push(((self.bytes.len() as u64) << 1) | u64::from(v.is_none()));
    }

    fn get_bytes(&self, i: usize) -> Option<&[u8]> {
        let e = self.ends[i];
        if e & 1 == 1 {
            return None;
        }
        let start = if i == 0 { 0 } else { (self.ends[i - 1] >> 1) as usize };
        Some(&self.bytes[start..(e >> 1) as usize])
    }

    fn get(&self, i: usize) -> Option<&str> {
        // Only whole `&str` values are ever pushed, so every value is valid UTF-8.
        self.get_bytes(i).map(|b| std::str::from_utf8(b).unwrap_or_default())
    }

    /// Append rows of `other` (those whose `keep` is true, or all of them).
    fn append(&mut self, other: &StrColumn, keep: Option<&[bool]>) {
        match keep {
            None => {
                let base = (self.bytes.len() as u64) << 1;
                self.bytes.extend_from_slice(&other.bytes);
                self.ends.extend(other.ends.iter().map(|e| e + base));
            }
            Some(keep) => {
                for i in (0..other.ends.len()).filter(|&i| keep[i]) {
                    self.push(other.get(i));
                }
            }
        }
    }

    fn allocated(&self) -> usize {
        self.bytes.capacity() + self.ends.capacity() * 8
    }

    /// The values in `order` as a polars column.
    fn to_column(&self, name: &str, order: &[u32]) -> Column {
        let mut b = StringChunkedBuilder::new(name.into(), order.len());
        for &i in order {
            b.append_option(self.get(i as usize));
        }
        b.finish().into_column()
    }
}

/// The rows of one partition, column by column in plain growable vectors: they start empty and
/// grow with the data (no fixed per-builder minimum), their real size is known
/// (`allocated_bytes`), and rows of many files append cheaply into one buffer per partition.
/// Polars arrays are built once, in sorted order, when the partition is written.
#[derive(Default)]
pub struct ColumnsBuilder {
    strs: Vec<StrColumn>,
    extra: StrColumn,
    event_time: Vec<i64>,
    session_created: Vec<Option<i64>>,
    read_only: Vec<Option<bool>>,
    management_event: Vec<Option<bool>>,
    session_mfa: Vec<Option<bool>>,
    /// The distinct `source_file` values, and the index of each row's.
    sources: Vec<String>,
    source_of_row: Vec<u32>,
}

impl std::fmt::Debug for ColumnsBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ColumnsBuilder").field("rows", &self.len()).field("sources", &self.sources).finish()
    }
}

impl ColumnsBuilder {
    /// An empty buffer whose rows come from `source_file`.
    pub fn for_source(source_file: &str) -> Self {
        ColumnsBuilder { sources: vec![source_file.to_owned()], ..Default::default() }
    }

    pub fn len(&self) -> usize {
        self.event_time.len()
    }

    pub fn is_empty(&self) -> bool {
        self.event_time.is_empty()
    }

    /// Add a row from the last source file.
    pub fn push(&mut self, r: &EventRow) {
        if self.strs.is_empty() {
            self.strs.resize_with(STRING_COLUMNS.len(), StrColumn::default);
        }
        if self.sources.is_empty() {
            self.sources.push(String::new());
        }
        let s = &mut self.strs;
        s[0].push(Some(&*r.event_id));
        s[1].push(Some(&*r.event_source));
        s[2].push(Some(&*r.event_name));
        let opt = [
            r.aws_region.as_deref(),
            r.source_ip.as_deref(),
            r.user_agent.as_deref(),
            r.error_code.as_deref(),
            r.error_message.as_deref(),
            r.event_type.as_deref(),
            r.event_category.as_deref(),
            r.recipient_account_id.as_deref(),
            r.identity_type.as_deref(),
            r.identity_arn.as_deref(),
            r.principal_id.as_deref(),
            r.account_id.as_deref(),
            r.access_key_id.as_deref(),
            r.user_name.as_deref(),
            r.invoked_by.as_deref(),
            r.session_issuer_arn.as_deref(),
            r.session_issuer_type.as_deref(),
            r.session_issuer_name.as_deref(),
            r.session_name.as_deref(),
            r.source_identity.as_deref(),
            r.ec2_role_delivery.as_deref(),
            r.user_identity,
            r.request_parameters,
            r.response_elements,
            r.additional_event_data,
            r.resources,
            r.shared_event_id.as_deref(),
            r.vpc_endpoint_id.as_deref(),
            r.event_version.as_deref(),
            r.request_id.as_deref(),
            r.tls_details,
        ];
        for (b, v) in s[3..].iter_mut().zip(opt) {
            b.push(v);
        }
        self.extra.push(r.extra.as_deref());
        self.event_time.push(r.event_time);
        self.session_created.push(r.session_created);
        self.read_only.push(r.read_only);
        self.management_event.push(r.management_event);
        self.session_mfa.push(r.session_mfa);
        self.source_of_row.push(self.sources.len() as u32 - 1);
    }

    /// Append the rows of `other` whose `keep` flag is true (all rows when `keep` is None).
    pub fn append(&mut self, other: &ColumnsBuilder, keep: Option<&[bool]>) {
        if let Some(k) = keep {
            debug_assert_eq!(k.len(), other.len());
        }
        if other.is_empty() || keep.is_some_and(|k| !k.contains(&true)) {
            return;
        }
        if self.strs.is_empty() {
            self.strs.resize_with(STRING_COLUMNS.len(), StrColumn::default);
        }
        for (a, b) in self.strs.iter_mut().zip(&other.strs) {
            a.append(b, keep);
        }
        self.extra.append(&other.extra, keep);
        fn take<T: Copy>(to: &mut Vec<T>, from: &[T], keep: Option<&[bool]>) {
            match keep {
                None => to.extend_from_slice(from),
                Some(k) => to.extend(from.iter().zip(k).filter(|(_, k)| **k).map(|(v, _)| *v)),
            }
        }
        take(&mut self.event_time, &other.event_time, keep);
        take(&mut self.session_created, &other.session_created, keep);
        take(&mut self.read_only, &other.read_only, keep);
        take(&mut self.management_event, &other.management_event, keep);
        take(&mut self.session_mfa, &other.session_mfa, keep);
        // The other buffer's sources, numbered after ours (only the last one is looked up for
        // reuse: a search through thousands of file names per append would be quadratic).
        let remap: Vec<u32> = other
            .sources
            .iter()
            .map(|s| {
                if self.sources.last() != Some(s) {
                    self.sources.push(s.clone());
                }
                self.sources.len() as u32 - 1
            })
            .collect();
        let rows = other.source_of_row.iter().map(|&i| remap[i as usize]);
        match keep {
            None => self.source_of_row.extend(rows),
            Some(k) => self.source_of_row.extend(rows.zip(k).filter(|(_, k)| **k).map(|(v, _)| v)),
        }
    }

    /// Heap bytes held (capacity, not length: what the allocator really gave).
    pub fn allocated_bytes(&self) -> usize {
        self.strs.iter().map(StrColumn::allocated).sum::<usize>()
            + self.extra.allocated()
            + self.event_time.capacity() * 8
            + self.session_created.capacity() * 16
            + (self.read_only.capacity() + self.management_event.capacity() + self.session_mfa.capacity())
            + self.sources.iter().map(|s| s.capacity() + 24).sum::<usize>()
            + self.source_of_row.capacity() * 4
    }

    /// Row indices sorted by (event_time, event_id): a file's content is then independent of
    /// read order, and row-group statistics on time are tight for pruning.
    pub fn sorted_order(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.len() as u32).collect();
        let ids = &self.strs.first();
        order.sort_unstable_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            self.event_time[a].cmp(&self.event_time[b]).then_with(|| match ids {
                Some(ids) => ids.get_bytes(a).cmp(&ids.get_bytes(b)),
                None => std::cmp::Ordering::Equal,
            })
        });
        order
    }

    /// The rows as a frame in the lake's column order, rows taken in `order`.
    pub fn to_frame(&self, order: &[u32]) -> Result<DataFrame> {
        let n = order.len();
        let time = |name: &str, ca: Int64Chunked| -> Column {
            let DataType::Datetime(unit, tz) = ColumnKind::Time.dtype() else { unreachable!("Time is a Datetime") };
            ca.with_name(name.into()).into_datetime(unit, tz).into_series().into_column()
        };
        let pick = |i: &u32| *i as usize;
        let bools = |name: &str, v: &[Option<bool>]| -> Column {
            BooleanChunked::from_iter_options(name.into(), order.iter().map(|i| v[pick(i)])).into_column()
        };
        let empty = StrColumn::default();
        let mut named: Vec<(&str, Column)> = Vec::with_capacity(COLUMNS.len());
        for (k, name) in STRING_COLUMNS.iter().enumerate() {
            let c = self.strs.get(k).unwrap_or(&empty);
            named.push((name, if c.ends.is_empty() { null_strings(name, n) } else { c.to_column(name, order) }));
        }
        named.push(("extra", self.extra.to_column("extra", order)));
        let mut src = StringChunkedBuilder::new("source_file".into(), n);
        for i in order {
            src.append_value(&self.sources[self.source_of_row[pick(i)] as usize]);
        }
        named.push(("source_file", src.finish().into_column()));
        let times = Int64Chunked::from_vec("".into(), order.iter().map(|i| self.event_time[pick(i)]).collect());
        named.push(("event_time", time("event_time", times)));
        let created = Int64Chunked::from_iter_options("".into(), order.iter().map(|i| self.session_created[pick(i)]));
        named.push(("session_created", time("session_created", created)));
        named.push(("read_only", bools("read_only", &self.read_only)));
        named.push(("management_event", bools("management_event", &self.management_event)));
        named.push(("session_mfa", bools("session_mfa", &self.session_mfa)));
        let mut cols = Vec::with_capacity(COLUMNS.len());
        for (name, _) in COLUMNS {
            let i = named
                .iter()
                .position(|(n, _)| n == name)
                .ok_or_else(|| anyhow!("lake column {name} has no builder"))?;
            cols.push(named.swap_remove(i).1);
        }
        Ok(DataFrame::new(n, cols)?)
    }

    /// The rows as a frame sorted by (event_time, event_id).
    pub fn to_sorted_frame(&self) -> Result<DataFrame> {
        self.to_frame(&self.sorted_order())
    }
}

fn null_strings(name: &str, n: usize) -> Column {
    StringChunked::full_null(name.into(), n).into_column()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn frame_has_the_lake_schema_and_values() {
        let mut b = ColumnsBuilder::for_source("f.json.gz");
        let row = EventRow {
            event_id: Cow::Borrowed("e1"),
            event_time: 1_788_256_800_000,
            event_source: Cow::Borrowed("s3.amazonaws.com"),
            event_name: Cow::Borrowed("GetObject"),
            user_agent: Some(Cow::Owned("a long user agent string".into())),
            read_only: Some(true),
            request_parameters: Some(r#"{"bucketName":"b"}"#),
            ..Default::default()
        };
        b.push(&row);
        b.push(&EventRow { event_id: Cow::Borrowed("e2"), read_only: None, ..row.clone() });
        let df = b.to_sorted_frame().unwrap();
        let names: Vec<&str> = df.get_column_names().iter().map(|s| s.as_str()).collect();
        let expected: Vec<&str> = COLUMNS.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, expected);
        for (name, kind) in COLUMNS {
            assert_eq!(df.column(name).unwrap().dtype(), &kind.dtype(), "{name}");
        }
        assert_eq!(df.height(), 2);
        let ids: Vec<_> = df.column("event_id").unwrap().str().unwrap().iter().collect();
        assert_eq!(ids, [Some("e1"), Some("e2")]);
        let ro: Vec<_> = df.column("read_only").unwrap().bool().unwrap().iter().collect();
        assert_eq!(ro, [Some(true), None]);
        let src: Vec<_> = df.column("source_file").unwrap().str().unwrap().iter().collect();
        assert_eq!(src, [Some("f.json.gz"), Some("f.json.gz")]);
        assert_eq!(df.column("error_code").unwrap().null_count(), 2);
        let ua: Vec<_> = df.column("user_agent").unwrap().str().unwrap().iter().collect();
        assert_eq!(ua, [Some("a long user agent string"); 2]);
    }

    fn row(id: &str, t: i64) -> EventRow<'_> {
        EventRow {
            event_id: Cow::Borrowed(id),
            event_time: t,
            event_source: Cow::Borrowed("s3.amazonaws.com"),
            event_name: Cow::Borrowed("GetObject"),
            error_code: (t % 20 == 0).then(|| Cow::Owned(format!("code-{id}"))),
            session_mfa: Some(t % 3 == 0),
            ..Default::default()
        }
    }

    fn strings(df: &DataFrame, name: &str) -> Vec<Option<String>> {
        df.column(name).unwrap().str().unwrap().iter().map(|s| s.map(str::to_owned)).collect()
    }

    #[test]
    fn appended_buffers_keep_values_and_sources_and_sort_by_time_then_id() {
        let mut a = ColumnsBuilder::for_source("a.json.gz");
        a.push(&row("a3", 30));
        a.push(&row("a1", 10));
        let mut b = ColumnsBuilder::for_source("b.json.gz");
        b.push(&row("b2", 20));
        b.push(&row("b0", 10));
        b.push(&row("dropped", 5));
        let mut all = ColumnsBuilder::default();
        all.append(&a, None);
        all.append(&b, Some(&[true, true, false]));
        // Appending the same source again reuses its entry.
        all.append(&a, Some(&[false, true]));
        assert_eq!(all.len(), 5);
        assert!(all.allocated_bytes() > 0);
        let df = all.to_sorted_frame().unwrap();
        let ids: Vec<_> = strings(&df, "event_id").into_iter().map(Option::unwrap).collect();
        assert_eq!(ids, ["a1", "a1", "b0", "b2", "a3"]);
        let src: Vec<_> = strings(&df, "source_file").into_iter().map(Option::unwrap).collect();
        assert_eq!(src, ["a.json.gz", "a.json.gz", "b.json.gz", "b.json.gz", "a.json.gz"]);
        let codes = strings(&df, "error_code");
        assert_eq!(codes, [None, None, None, Some("code-b2".into()), None]);
        let mfa: Vec<_> = df.column("session_mfa").unwrap().bool().unwrap().iter().collect();
        assert_eq!(mfa, [Some(false), Some(false), Some(false), Some(false), Some(true)]);
        let t: Vec<_> = df.column("event_time").unwrap().datetime().unwrap().physical().iter().collect();
        assert_eq!(t, [Some(10), Some(10), Some(10), Some(20), Some(30)]);
    }
}
