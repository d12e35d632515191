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

pub struct ColumnsBuilder {
    strs: Vec<StringChunkedBuilder>,
    extra: StringChunkedBuilder,
    event_time: Vec<i64>,
    session_created: Vec<Option<i64>>,
    read_only: BooleanChunkedBuilder,
    management_event: BooleanChunkedBuilder,
    session_mfa: BooleanChunkedBuilder,
    len: usize,
}

impl ColumnsBuilder {
    pub fn with_capacity(n: usize) -> Self {
        ColumnsBuilder {
            strs: STRING_COLUMNS.iter().map(|c| StringChunkedBuilder::new((*c).into(), n)).collect(),
            extra: StringChunkedBuilder::new("extra".into(), n),
            event_time: Vec::with_capacity(n),
            session_created: Vec::with_capacity(n),
            read_only: BooleanChunkedBuilder::new("read_only".into(), n),
            management_event: BooleanChunkedBuilder::new("management_event".into(), n),
            session_mfa: BooleanChunkedBuilder::new("session_mfa".into(), n),
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push(&mut self, r: &EventRow) {
        let s = &mut self.strs;
        s[0].append_value(&*r.event_id);
        s[1].append_value(&*r.event_source);
        s[2].append_value(&*r.event_name);
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
            b.append_option(v);
        }
        self.extra.append_option(r.extra.as_deref());
        self.event_time.push(r.event_time);
        self.session_created.push(r.session_created);
        self.read_only.append_option(r.read_only);
        self.management_event.append_option(r.management_event);
        self.session_mfa.append_option(r.session_mfa);
        self.len += 1;
    }

    /// The rows as a frame in the lake's column order, every row from `source_file`.
    pub fn finish(self, source_file: &str) -> Result<DataFrame> {
        let n = self.len;
        let time = |name: &str, ca: Int64Chunked| -> Column {
            let DataType::Datetime(unit, tz) = ColumnKind::Time.dtype() else { unreachable!("Time is a Datetime") };
            ca.with_name(name.into()).into_datetime(unit, tz).into_series().into_column()
        };
        let mut named: Vec<(&str, Column)> = Vec::with_capacity(COLUMNS.len());
        for (name, b) in STRING_COLUMNS.iter().zip(self.strs) {
            named.push((name, b.finish().into_column()));
        }
        named.push(("extra", self.extra.finish().into_column()));
        named.push(("source_file", StringChunked::full("source_file".into(), source_file, n).into_column()));
        named.push(("event_time", time("event_time", Int64Chunked::from_vec("".into(), self.event_time))));
        named.push((
            "session_created",
            time("session_created", Int64Chunked::from_iter_options("".into(), self.session_created.into_iter())),
        ));
        named.push(("read_only", self.read_only.finish().into_column()));
        named.push(("management_event", self.management_event.finish().into_column()));
        named.push(("session_mfa", self.session_mfa.finish().into_column()));
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn frame_has_the_lake_schema_and_values() {
        let mut b = ColumnsBuilder::with_capacity(2);
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
        let df = b.finish("f.json.gz").unwrap();
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
    }
}
