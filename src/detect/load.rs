//! Reading the events detection needs from the lake: only the columns the detectors use, one
//! partition at a time.

use super::Event;
use crate::lake;
use anyhow::Result;
use polars::prelude::*;
use std::path::PathBuf;

const COLUMNS: &[&str] = &[
    "event_id",
    "event_time",
    "event_source",
    "event_name",
    "aws_region",
    "source_ip",
    "user_agent",
    "error_code",
    "error_message",
    "event_type",
    "read_only",
    "identity_type",
    "identity_arn",
    "account_id",
    "recipient_account_id",
    "user_name",
    "invoked_by",
    "session_issuer_arn",
    "session_name",
    "session_mfa",
    "ec2_role_delivery",
    "vpc_endpoint_id",
    "request_parameters",
    "response_elements",
    "additional_event_data",
];

/// The detectors read responses and additional event data of console sign-ins only, and
/// incident grouping the responses of STS calls that issue credentials (the issued key links the
/// caller to the new session); other events' copies are left out, which keeps a million-event
/// load well under a gigabyte.
fn column_expr(c: &str) -> Expr {
    let console = || col("event_name").eq(lit("ConsoleLogin"));
    match c {
        "event_time" => col(c).cast(DataType::Int64),
        "response_elements" => when(console().or(col("event_source").eq(lit("sts.amazonaws.com"))))
            .then(col(c))
            .otherwise(lit(NULL).cast(DataType::String))
            .alias(c),
        "additional_event_data" => when(console()).then(col(c)).otherwise(lit(NULL).cast(DataType::String)).alias(c),
        _ => col(c),
    }
}

/// The events of one partition's files, in file order.
pub fn read_partition(files: &[PathBuf]) -> Result<Vec<Event>> {
    let mut df =
        lake::scan_files(files)?.select(COLUMNS.iter().map(|c| column_expr(c)).collect::<Vec<_>>()).collect()?;
    df.rechunk_mut_par();
    let mut out = Vec::new();
    append_events(&df, &mut out)?;
    Ok(out)
}

fn append_events(df: &DataFrame, out: &mut Vec<Event>) -> Result<()> {
    let s = |n: &str| -> Result<&StringChunked> { Ok(df.column(n)?.str()?) };
    let b = |n: &str| -> Result<&BooleanChunked> { Ok(df.column(n)?.bool()?) };
    let o = |c: &StringChunked, i: usize| c.get(i).map(str::to_owned);
    let (id, src, name, region) = (s("event_id")?, s("event_source")?, s("event_name")?, s("aws_region")?);
    let (ip, ua, code, msg, etype) =
        (s("source_ip")?, s("user_agent")?, s("error_code")?, s("error_message")?, s("event_type")?);
    let (itype, iarn, acct, recip, uname) =
        (s("identity_type")?, s("identity_arn")?, s("account_id")?, s("recipient_account_id")?, s("user_name")?);
    let (inv, siarn, sname, ec2, vpce) = (
        s("invoked_by")?,
        s("session_issuer_arn")?,
        s("session_name")?,
        s("ec2_role_delivery")?,
        s("vpc_endpoint_id")?,
    );
    let (req, resp, add) = (s("request_parameters")?, s("response_elements")?, s("additional_event_data")?);
    let (ro, mfa) = (b("read_only")?, b("session_mfa")?);
    let time = df.column("event_time")?.i64()?;
    out.reserve(df.height());
    for i in 0..df.height() {
        out.push(Event {
            event_id: id.get(i).unwrap_or("").to_owned(),
            time_ms: time.get(i).unwrap_or(0),
            event_source: src.get(i).unwrap_or("").to_owned(),
            event_name: name.get(i).unwrap_or("").to_owned(),
            aws_region: region.get(i).unwrap_or("").to_owned(),
            source_ip: o(ip, i),
            user_agent: o(ua, i),
            error_code: o(code, i),
            error_message: o(msg, i),
            event_type: o(etype, i),
            read_only: ro.get(i),
            identity_type: o(itype, i),
            identity_arn: o(iarn, i),
            account_id: o(acct, i),
            recipient_account_id: o(recip, i),
            user_name: o(uname, i),
            invoked_by: o(inv, i),
            session_issuer_arn: o(siarn, i),
            session_name: o(sname, i),
            session_mfa: mfa.get(i),
            ec2_role_delivery: o(ec2, i),
            vpc_endpoint_id: o(vpce, i),
            request_parameters: o(req, i),
            response_elements: o(resp, i),
            additional_event_data: o(add, i),
        });
    }
    Ok(())
}
