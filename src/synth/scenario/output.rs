//! The sample's delivery files: one log file per region and hour, an organization-trail copy
//! of one day, a digest file and an AWS Config snapshot (the last two are not CloudTrail
//! records: ingest must recognise and skip them).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;

use super::cast::*;
use super::Ev;
use crate::synth::rng::Rng;
use crate::synth::writer::{log_file_name, trail_dir, write_json_gz, write_records, Written};

/// Delivery stamp of a file whose newest event is at `last`: a few minutes later, same day.
fn delivery_stamp(last: i64) -> i64 {
    let five = 5 * MIN;
    let t = (last / five + 2) * five;
    let day_end = (last / DAY + 1) * DAY - MIN;
    t.min(day_end)
}

/// Groups events into files of `window` seconds per region and writes them.
fn write_group(
    out: &Path,
    org: Option<&str>,
    events: &[&Ev],
    window: i64,
    rng: &mut Rng,
    files: &mut Vec<String>,
) -> anyhow::Result<Written> {
    let mut groups: BTreeMap<(&str, i64), Vec<&Ev>> = BTreeMap::new();
    for e in events {
        groups.entry((e.region.as_str(), e.t.div_euclid(window))).or_default().push(e);
    }
    let mut w = Written::default();
    for ((region, slot), evs) in groups {
        let last = evs.iter().map(|e| e.t).max().unwrap_or(slot * window);
        let dir = trail_dir(out, org, ACCOUNT, region, slot * window);
        let name = log_file_name(ACCOUNT, region, delivery_stamp(last), &rng.alnum(16));
        let path = dir.join(&name);
        w.bytes += write_records(&path, evs.iter().map(|e| Ok(&e.rec)), 6, false)?;
        w.files += 1;
        w.events += evs.len() as u64;
        files.push(path.strip_prefix(out).unwrap_or(&path).display().to_string());
    }
    Ok(w)
}

/// What was delivered: totals and the relative paths of the CloudTrail log files.
pub struct Delivery {
    pub written: Written,
    pub log_files: Vec<String>,
    pub org_copy_files: Vec<String>,
    pub org_copy_events: u64,
}

pub fn write_all(out: &Path, seed: u64, events: &[Ev]) -> anyhow::Result<Delivery> {
    let mut rng = Rng::derive(seed, "files");
    let all: Vec<&Ev> = events.iter().collect();
    let mut log_files = Vec::new();
    let mut written = write_group(out, None, &all, HOUR, &mut rng, &mut log_files)?;

    // The organization trail delivers the first incident day of us-east-1 again, cut into
    // half-hour files: same records, other file names.
    let day_start = START + INCIDENT_DAY * DAY;
    let copy: Vec<&Ev> =
        events.iter().filter(|e| e.region == US && e.t >= day_start && e.t < day_start + DAY).collect();
    let mut org_copy_files = Vec::new();
    let org = write_group(out, Some(ORG_ID), &copy, 30 * MIN, &mut rng, &mut org_copy_files)?;
    written.add(org);

    written.add(write_digest(out, &mut rng, events, &log_files)?);
    written.add(write_config(out, &mut rng)?);
    Ok(Delivery { written, log_files, org_copy_files, org_copy_events: org.events })
}

fn iso(secs: i64) -> String {
    crate::synth::record::fmt_time(secs)
}

/// A CloudTrail digest for the last day of us-east-1 (hashes are placeholders).
fn write_digest(out: &Path, rng: &mut Rng, events: &[Ev], log_files: &[String]) -> anyhow::Result<Written> {
    let day_start = START + (DAYS - 1) * DAY;
    let end = day_start + DAY - MIN;
    let stamp = chrono::DateTime::from_timestamp(end, 0).unwrap_or_default();
    let prefix = format!("AWSLogs/{ACCOUNT}/CloudTrail/{US}/{}", stamp.format("%Y/%m/%d"));
    let in_day: Vec<&Ev> =
        events.iter().filter(|e| e.region == US && e.t >= day_start && e.t < day_start + DAY).collect();
    let oldest = in_day.iter().map(|e| e.t).min().unwrap_or(day_start);
    let newest = in_day.iter().map(|e| e.t).max().unwrap_or(end);
    let logs: Vec<serde_json::Value> = log_files
        .iter()
        .filter(|f| f.starts_with(&prefix))
        .map(|f| json!({"s3Bucket": TRAIL_BUCKET, "s3Object": f, "hashValue": rng.hex(64), "hashAlgorithm": "SHA-256", "newestEventTime": iso(newest), "oldestEventTime": iso(oldest)}))
        .collect();
    let name = format!("{ACCOUNT}_CloudTrail-Digest_{US}_{TRAIL}_{US}_{}.json.gz", stamp.format("%Y%m%dT%H%M%SZ"));
    let rel = format!("AWSLogs/{ACCOUNT}/CloudTrail-Digest/{US}/{}/{name}", stamp.format("%Y/%m/%d"));
    let digest = json!({
        "awsAccountId": ACCOUNT,
        "digestStartTime": iso(end - HOUR),
        "digestEndTime": iso(end),
        "digestS3Bucket": TRAIL_BUCKET,
        "digestS3Object": rel,
        "digestPublicKeyFingerprint": rng.hex(32),
        "digestSignatureAlgorithm": "SHA256withRSA",
        "newestEventTime": iso(newest),
        "oldestEventTime": iso(oldest),
        "previousDigestS3Bucket": TRAIL_BUCKET,
        "previousDigestS3Object": rel.replace(&stamp.format("%H%M%S").to_string(), &chrono::DateTime::from_timestamp(end - HOUR, 0).unwrap_or_default().format("%H%M%S").to_string()),
        "previousDigestHashValue": rng.hex(64),
        "previousDigestHashAlgorithm": "SHA-256",
        "previousDigestSignature": rng.hex(512),
        "logFiles": logs,
    });
    let bytes = write_json_gz(&out.join(&rel), &digest)?;
    Ok(Written { files: 1, events: 0, bytes })
}

/// An AWS Config snapshot delivered to the same bucket.
fn write_config(out: &Path, rng: &mut Rng) -> anyhow::Result<Written> {
    let t = START + (DAYS - 1) * DAY + 4 * HOUR;
    let stamp = chrono::DateTime::from_timestamp(t, 0).unwrap_or_default();
    let id = rng.uuid();
    let item = |kind: &str, rid: &str, name: &str, arn: String, conf: serde_json::Value, rng: &mut Rng| {
        json!({
            "configurationItemVersion": "1.3", "configurationItemCaptureTime": iso(t - rng.range(600, 86_000)),
            "configurationStateId": 1_780_000_000_000i64 + rng.range(0, 9_000_000_000), "awsAccountId": ACCOUNT,
            "configurationItemStatus": "OK", "resourceType": kind, "resourceId": rid, "resourceName": name,
            "ARN": arn, "awsRegion": US, "availabilityZone": "Regional", "configuration": conf,
            "supplementaryConfiguration": {}, "tags": {}, "relationships": [],
        })
    };
    let items = vec![
        item(
            "AWS::S3::Bucket",
            DATA_BUCKET,
            DATA_BUCKET,
            format!("arn:aws:s3:::{DATA_BUCKET}"),
            json!({"name": DATA_BUCKET, "owner": {"id": rng.hex(64)}, "creationDate": "2023-03-01T10:00:00.000Z"}),
            rng,
        ),
        item(
            "AWS::S3::Bucket",
            BACKUP_BUCKET,
            BACKUP_BUCKET,
            format!("arn:aws:s3:::{BACKUP_BUCKET}"),
            json!({"name": BACKUP_BUCKET, "owner": {"id": rng.hex(64)}, "creationDate": "2022-11-03T16:00:00.000Z"}),
            rng,
        ),
        item(
            "AWS::EC2::Instance",
            INSTANCE_A,
            INSTANCE_A,
            format!("arn:aws:ec2:{US}:{ACCOUNT}:instance/{INSTANCE_A}"),
            json!({"instanceId": INSTANCE_A, "instanceType": "m6i.large", "iamInstanceProfile": {"arn": format!("arn:aws:iam::{ACCOUNT}:instance-profile/service/app-server-profile")}, "privateIpAddress": INSTANCE_A_IP}),
            rng,
        ),
        item(
            "AWS::IAM::Role",
            &crate::synth::identity::role_id("app-server-role"),
            "app-server-role",
            format!("arn:aws:iam::{ACCOUNT}:role/service/app-server-role"),
            json!({"path": "/service/", "roleName": "app-server-role"}),
            rng,
        ),
    ];
    let name = format!("{ACCOUNT}_Config_{US}_ConfigSnapshot_{}_{id}.json.gz", stamp.format("%Y%m%dT%H%M%SZ"));
    let path = out
        .join("AWSLogs")
        .join(ACCOUNT)
        .join("Config")
        .join(US)
        .join(stamp.format("%Y/%-m/%-d").to_string())
        .join("ConfigSnapshot")
        .join(name);
    let bytes =
        write_json_gz(&path, &json!({"fileVersion": "1.0", "configSnapshotId": id, "configurationItems": items}))?;
    Ok(Written { files: 1, events: 0, bytes })
}
