//! `trailtrim ingest s3://...` against a local S3 server (moto, started by the test on 127.0.0.1).

use crate::common::*;

fn summary(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("no JSON summary: {}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn ingest_from_s3_reads_every_event_once_and_a_rerun_adds_nothing() {
    let s3 = S3Server::start();
    s3.upload("trail", "org", &sample_logs());
    let dir = scratch("s3-ingest");
    let lake = dir.join("lake");
    let out = s3.run(&["ingest", "s3://trail/org", "--lake", p(&lake), "--json", "--quiet"]);
    let s = summary(&out);
    assert_eq!(out.status.code(), Some(0), "{s:#}");
    let expected: Vec<String> = sample_counts().1.into_iter().collect();
    assert_eq!(lake_ids(&lake), expected);
    // Digest and Config folders are not even listed.
    assert!(
        s["files_skipped"].get("aws-config").is_none() && s["files_skipped"].get("cloudtrail-digest").is_none(),
        "{s:#}"
    );
    // The source file column names the object.
    let df = trailtrim::lake::scan_events(&lake).unwrap().collect().unwrap();
    let src = df.column("source_file").unwrap().str().unwrap().get(0).unwrap().to_owned();
    assert!(src.starts_with("s3://trail/org/"), "{src}");

    // Objects are recognised by key and ETag: a re-run reads nothing.
    let out = s3.run(&["ingest", "s3://trail/org", "--lake", p(&lake), "--json", "--quiet"]);
    let s = summary(&out);
    assert_eq!(
        (out.status.code(), s["files_read"].as_u64(), s["events_written"].as_u64()),
        (Some(0), Some(0), Some(0))
    );
}

#[test]
fn s3_listing_is_pruned_by_day_account_and_region() {
    let s3 = S3Server::start();
    s3.upload("trail", "", &sample_logs());
    let dir = scratch("s3-pruned");
    let lake = dir.join("lake");
    // The events of one day, read from the local copy independently of trailtrim.
    let day = "2026/09/10";
    let mut expected = std::collections::BTreeSet::new();
    for f in delivery_files(&sample_logs()) {
        if f.to_string_lossy().contains(day) {
            for r in read_records(&f) {
                expected.insert(r["eventID"].as_str().unwrap().to_owned());
            }
        }
    }
    assert!(!expected.is_empty(), "the sample has events on {day}");
    let out = s3.run(&[
        "ingest",
        "s3://trail/AWSLogs",
        "--lake",
        p(&lake),
        "--json",
        "--quiet",
        "--from",
        "2026-09-10",
        "--to",
        "2026-09-10",
        "--accounts",
        "111122223333",
        "--regions",
        "us-east-1,eu-west-1",
    ]);
    let s = summary(&out);
    assert_eq!(out.status.code(), Some(0), "{s:#}");
    let got: std::collections::BTreeSet<String> = lake_ids(&lake).into_iter().collect();
    assert_eq!(got, expected);
    // Only that day's delivery files were listed (Config snapshots and other days never were).
    assert_eq!(s["files_found"].as_u64().unwrap() as usize, {
        delivery_files(&sample_logs()).iter().filter(|f| f.to_string_lossy().contains(day)).count()
    });
}

#[test]
fn a_run_killed_mid_way_then_rerun_gives_exactly_the_distinct_events() {
    let s3 = S3Server::start();
    s3.upload("trail", "", &sample_logs());
    let dir = scratch("s3-kill");
    let lake = dir.join("lake");
    let args = ["ingest", "s3://trail/AWSLogs", "--lake", p(&lake), "--quiet", "--max-buffered-rows", "50"];
    let mut child =
        s3.command(&args).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    // Kill it as soon as the first Parquet file is committed (or let it finish, if it is faster).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let committed = trailtrim::lake::event_files(&lake).map(|f| !f.is_empty()).unwrap_or(false);
        if committed || child.try_wait().unwrap().is_some() || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let _ = child.kill(); // SIGKILL
    child.wait().unwrap();
    let out = s3.run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let expected: Vec<String> = sample_counts().1.into_iter().collect();
    assert_eq!(lake_ids(&lake), expected, "every distinct event once");
}
