//! `trailtrim ingest`, the writer side: many partitions, bounded buffers, de-duplication scope.

use crate::common::*;
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

fn ingest(src: &Path, lake: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let mut args = vec!["ingest", p(src), "--lake", p(lake), "--json", "--quiet"];
    args.extend_from_slice(extra);
    let out = run(&args);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!("no JSON summary (exit {:?}): {}", out.status.code(), String::from_utf8_lossy(&out.stderr))
    });
    (out.status.code(), v)
}

/// Every event ID in the lake with the number of rows that hold it.
fn lake_id_counts(lake: &Path) -> BTreeMap<String, usize> {
    let df = trailtrim::lake::scan_events(lake).unwrap().select([col("event_id")]).collect().unwrap();
    let mut counts = BTreeMap::new();
    for id in df.column("event_id").unwrap().str().unwrap().iter() {
        *counts.entry(id.unwrap().to_owned()).or_insert(0) += 1;
    }
    counts
}

/// A record of `account` in `region` on day `day` of September 2026.
fn record_in(id: &str, account: &str, region: &str, day: u32) -> serde_json::Value {
    let mut r = record(id, &format!("2026-09-{:02}T10:{:02}:00Z", day, id.len() % 60), "GetObject");
    r["recipientAccountId"] = account.into();
    r["awsRegion"] = region.into();
    r
}

const REGIONS: [&str; 10] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "eu-west-2",
    "eu-central-1",
    "ap-southeast-1",
    "ap-northeast-1",
    "sa-east-1",
];

#[test]
fn an_organisation_export_with_thousands_of_partitions_is_written_once_each() {
    // 30 accounts x 10 regions x 10 days = 3,000 partitions, every file touching all of them:
    // the flush writes thousands of partitions at once (it used to overflow a thread's stack).
    let dir = scratch("many-partitions");
    let src = dir.join("src");
    let mut expected = Vec::new();
    for f in 0..10 {
        let mut recs = Vec::new();
        for a in 0..30 {
            let account = format!("{:012}", 100_000_000_000u64 + a);
            for region in REGIONS {
                for day in 1..=10 {
                    let id = format!("f{f}-{account}-{region}-{day}");
                    recs.push(record_in(&id, &account, region, day));
                    expected.push(id);
                }
            }
        }
        put_delivery(&src, &format!("org-{f}.json.gz"), &gzip(&records_file(&recs)));
    }
    let lake = dir.join("lake");
    let (code, s) = ingest(&src, &lake, &[]);
    assert_eq!(code, Some(0), "{s:#}");
    assert_eq!(s["events_written"], expected.len());
    let counts = lake_id_counts(&lake);
    assert_eq!(counts.len(), expected.len(), "every event is in the lake");
    assert!(counts.values().all(|&n| n == 1), "no event is written twice");
    let partitions = walk_partitions(&lake);
    assert_eq!(partitions, 3_000);
    // A second run reads nothing again.
    let (code, s) = ingest(&src, &lake, &[]);
    assert_eq!((code, s["events_written"].as_u64()), (Some(0), Some(0)));
}

/// Number of `event_date=` directories in the lake.
fn walk_partitions(lake: &Path) -> usize {
    fn walk(d: &Path, n: &mut usize) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if p.file_name().unwrap().to_string_lossy().starts_with("event_date=") {
                    *n += 1;
                } else {
                    walk(&p, n);
                }
            }
        }
    }
    let mut n = 0;
    walk(&trailtrim::lake::events_dir(lake), &mut n);
    n
}

#[test]
fn an_event_delivered_with_and_without_its_recipient_account_is_written_once() {
    let dir = scratch("dedup-across-accounts");
    // A cross-account call: the caller's account differs from the account that received it.
    let with: Vec<_> = (0..20)
        .map(|i| {
            let mut r = record(&format!("x-{i}"), "2026-09-01T12:00:00Z", "GetObject");
            r["userIdentity"]["accountId"] = "999988887777".into();
            r
        })
        .collect();
    // The same events as a SIEM export keeps them: no recipientAccountId, no account in the path.
    let without: Vec<_> = with
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.as_object_mut().unwrap().remove("recipientAccountId");
            r
        })
        .collect();
    put_delivery(&dir.join("trail"), "a.json.gz", &gzip(&records_file(&with)));
    let export = dir.join("export");
    std::fs::create_dir_all(&export).unwrap();
    std::fs::write(export.join("events.json"), records_file(&without[..10])).unwrap();
    let lake = dir.join("lake");
    let (code, s) = ingest(&dir, &lake, &[]);
    assert_eq!(code, Some(0), "{s:#}");
    assert_eq!((s["events_written"].as_u64(), s["duplicates_dropped"].as_u64()), (Some(20), Some(10)));
    // Across runs too: the earlier copies are found under the other account's folder.
    std::fs::write(export.join("more.json"), records_file(&without[10..])).unwrap();
    let (_, s) = ingest(&dir, &lake, &[]);
    assert_eq!((s["events_written"].as_u64(), s["duplicates_dropped"].as_u64()), (Some(0), Some(10)));
    let counts = lake_id_counts(&lake);
    assert_eq!(counts.len(), 20);
    assert!(counts.values().all(|&n| n == 1));
}
