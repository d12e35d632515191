//! The lake on S3 (`--lake s3://bucket/prefix`) against a local S3 server (moto): every command
//! gives what it gives on a local lake, and stateless workers can share one lake at once.

use crate::common::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

/// Every object of a bucket under a prefix, with its size (independently of trailtrim).
fn objects(s3: &S3Server, bucket: &str, prefix: &str) -> BTreeMap<String, u64> {
    let script = r#"
import boto3, json, sys
endpoint, bucket, prefix = sys.argv[1:4]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
out = {}
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
    for o in page.get("Contents", []):
        out[o["Key"]] = o["Size"]
print(json.dumps(out))
"#;
    let out = Command::new(python()).args(["-c", script, &s3.endpoint, bucket, prefix]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ok(out: Output) -> Output {
    assert!(out.status.success(), "exit {:?}:\n{}", out.status.code(), String::from_utf8_lossy(&out.stderr));
    out
}

/// usage JSON, detect JSON and recommendations.json of a lake (local path or s3:// URL).
fn outputs(s3: &S3Server, lake: &str, out: &Path) -> (Vec<u8>, Vec<u8>, String) {
    let iam = sample_iam_args();
    let iam: Vec<&str> = iam.iter().map(String::as_str).collect();
    let u = ok(s3.run(&[&["usage", "--lake", lake, "--format", "json"][..], &iam].concat()));
    let stderr = String::from_utf8_lossy(&u.stderr);
    assert!(!stderr.contains("missing or stale"), "the writers left stale state in {lake}: {stderr}");
    let d = ok(s3.run(&["detect", "--lake", lake, "--format", "json", "--iam", p(&sample_iam())]));
    ok(s3.run(&[&["recommend", "--lake", lake, "--out", p(out)][..], &iam].concat()));
    (u.stdout, d.stdout, std::fs::read_to_string(out.join("recommendations.json")).unwrap())
}

fn assert_same(got: &(Vec<u8>, Vec<u8>, String), want: &(Vec<u8>, Vec<u8>, String)) {
    assert!(got.0 == want.0, "usage JSON differs from the local lake's");
    assert!(got.1 == want.1, "detect JSON differs from the local lake's");
    assert!(got.2 == want.2, "recommendations differ from the local lake's");
}

/// The event IDs of an S3 lake, one row each (duplicates stay visible).
fn s3_event_ids(s3: &S3Server, lake: &str) -> Vec<String> {
    let out =
        ok(s3.run(&["query", "select event_id from events order by event_id", "--lake", lake, "--format", "csv"]));
    String::from_utf8(out.stdout).unwrap().lines().skip(1).map(str::to_owned).collect()
}

fn local_event_ids() -> Vec<String> {
    let mut ids = lake_ids(sample_lake());
    ids.sort();
    ids
}

#[test]
fn a_lake_on_s3_gives_every_command_the_local_lake_s_answers() {
    let s3 = S3Server::start();
    s3.upload("lakes", "readme", &repo().join("queries"));
    let lake = "s3://lakes/org/lake";
    let dir = scratch("s3-lake-e2e");

    let out = ok(s3.run(&["ingest", p(&sample_logs()), "--lake", lake, "--json", "--quiet"]));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (_, distinct) = sample_counts();
    assert_eq!(s["events_written"].as_u64(), Some(distinct.len() as u64), "{s:#}");
    assert_eq!(s["state"]["recomputed"], s["state"]["partitions"], "{s:#}");

    // The objects: Hive partitions of content-named files, state beside them, a manifest
    // object per commit, and nothing temporary.
    let keys = objects(&s3, "lakes", "org/lake/");
    assert!(keys.keys().all(|k| !k.ends_with(".tmp")), "{keys:?}");
    let events: Vec<&String> = keys.keys().filter(|k| k.starts_with("org/lake/events/")).collect();
    assert!(!events.is_empty());
    for k in &events {
        let name = k.rsplit('/').next().unwrap();
        assert!(k.contains("/account=") && k.contains("/region=") && k.contains("/event_date="), "{k}");
        assert!(name.starts_with("part-") && name.len() == "part-.parquet".len() + 32, "{k}");
    }
    assert!(keys.keys().any(|k| k.starts_with("org/lake/_manifest/")), "{keys:?}");
    assert!(keys.keys().any(|k| k.starts_with("org/lake/usage/") && k.contains("/facts-")), "{keys:?}");

    assert_eq!(s3_event_ids(&s3, lake), local_event_ids());
    let local = outputs(&s3, p(sample_lake()), &dir.join("out-local"));
    assert_same(&outputs(&s3, lake, &dir.join("out-s3")), &local);

    // A re-run reads nothing (the manifest objects), writes nothing and recomputes nothing.
    let again = ok(s3.run(&["ingest", p(&sample_logs()), "--lake", lake, "--json", "--quiet"]));
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!((again["files_read"].as_u64(), again["events_written"].as_u64()), (Some(0), Some(0)), "{again:#}");
    assert_eq!(again["state"]["recomputed"], 0);
    assert_eq!(objects(&s3, "lakes", "org/lake/"), keys, "a re-run changed the lake");

    // The other readers work on it too.
    let iam = sample_iam_args();
    let iam: Vec<&str> = iam.iter().map(String::as_str).collect();
    ok(s3.run(&[&["report", "--lake", lake, "--out", p(&dir.join("report.html"))][..], &iam].concat()));
    ok(s3.run(&[&["denials", "--lake", lake, "--format", "json"][..], &iam].concat()));
    // A window reads only its partitions (pruning), and its answer is the local one.
    let window = ["--from", "2026-10-01", "--to", "2026-10-03"];
    let u_s3 = ok(s3.run(&[&["usage", "--lake", lake, "--format", "json"][..], &iam, &window].concat()));
    let u_local = ok(s3.run(&[&["usage", "--lake", p(sample_lake()), "--format", "json"][..], &iam, &window].concat()));
    assert!(u_s3.stdout == u_local.stdout, "windowed usage differs");

    // Events committed twice (a racing worker's file: the same events under another name) are
    // merged away by the partition's refresh worker.
    let (part, _) = events[0].rsplit_once('/').unwrap();
    let copy = r#"
import boto3, sys
endpoint, bucket, key, to = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
s3.copy_object(Bucket=bucket, Key=to, CopySource={"Bucket": bucket, "Key": key})
"#;
    let to = format!("{part}/part-copy.parquet");
    let out = Command::new(python()).args(["-c", copy, &s3.endpoint, "lakes", events[0], &to]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(s3_event_ids(&s3, lake).len() > local_event_ids().len());
    let rel = part.trim_start_matches("org/lake/events/");
    let r = ok(s3.run(&["refresh", "--lake", lake, "--partition", rel, "--json"]));
    let r: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    // The merged file holds the original's events, under its name: its state stays current.
    assert_eq!((r["compacted"].as_u64(), r["recomputed"].as_u64()), (Some(1), Some(0)), "{r:#}");
    assert_eq!(s3_event_ids(&s3, lake), local_event_ids());
    assert_eq!(objects(&s3, "lakes", &format!("{part}/")).into_keys().collect::<Vec<_>>(), [events[0].clone()]);
    assert_same(&outputs(&s3, lake, &dir.join("out-s3-merged")), &local);
}

#[test]
fn interrupted_runs_into_an_s3_lake_then_a_rerun_give_exactly_the_distinct_events() {
    let s3 = S3Server::start();
    s3.upload("lakes", "readme", &repo().join("queries"));
    let lake = "s3://lakes/lake";
    let logs = sample_logs();
    let args = ["ingest", p(&logs), "--lake", lake, "--quiet", "--max-buffered-rows", "50"];
    // Stopped after some files (some partitions committed, the rest not), then killed (SIGKILL)
    // wherever it is, then run to the end.
    let stopped = s3.run(&[&args[..], &["--stop-after-files", "60"]].concat());
    assert!(stopped.status.code().is_some_and(|c| c == 0 || c == 3), "{}", String::from_utf8_lossy(&stopped.stderr));
    let some = s3_event_ids(&s3, lake);
    assert!(!some.is_empty() && some.len() < local_event_ids().len(), "{}", some.len());
    let mut child =
        s3.command(&args).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    let _ = child.kill();
    child.wait().unwrap();
    ok(s3.run(&args));
    assert_eq!(s3_event_ids(&s3, lake), local_event_ids(), "every distinct event exactly once");
    assert!(objects(&s3, "lakes", "lake/").keys().all(|k| !k.ends_with(".tmp")));
}

#[test]
fn a_missing_s3_lake_is_a_usage_error_naming_it() {
    let s3 = S3Server::start();
    s3.upload("lakes", "readme", &repo().join("queries"));
    let out = s3.run(&["usage", "--lake", "s3://lakes/nothing-here"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("s3://lakes/nothing-here"));
}

#[test]
fn concurrent_workers_on_one_s3_lake_give_the_local_lake_s_result() {
    let s3 = S3Server::start();
    s3.upload("trail", "", &sample_logs());
    let lake = "s3://trail/lake";
    let dir = scratch("s3-lake-workers");

    // One worker per range of delivery days, each range run twice at once (a retried or
    // duplicated task): no lock, no coordination.
    let ranges = [("2026-09-01", "2026-09-15"), ("2026-09-16", "2026-09-30"), ("2026-10-01", "2026-10-15")];
    let spawn = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        s3.command(&args).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()).spawn().unwrap()
    };
    let workers: Vec<_> = ranges
        .iter()
        .flat_map(|(from, to)| {
            let args: Vec<String> =
                ["ingest", "s3://trail/AWSLogs", "--lake", lake, "--quiet", "--from", from, "--to", to]
                    .map(String::from)
                    .to_vec();
            [spawn(args.clone()), spawn(args)]
        })
        .collect();
    for w in workers {
        ok(w.wait_with_output().unwrap());
    }
    assert_eq!(s3_event_ids(&s3, lake), local_event_ids(), "workers lost or duplicated events");

    // Per-partition refresh workers, two on each partition, at once, from a lake without state.
    let state: Vec<String> =
        objects(&s3, "trail", "lake/usage/").into_keys().map(|k| format!("s3://trail/{k}")).collect();
    let rm = r#"
import boto3, sys
endpoint, bucket = sys.argv[1:3]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
for k in sys.argv[3:]:
    s3.delete_object(Bucket=bucket, Key=k.removeprefix("s3://" + bucket + "/"))
"#;
    let out = Command::new(python())
        .args([&["-c", rm, &s3.endpoint, "trail"][..], &state.iter().map(String::as_str).collect::<Vec<_>>()].concat())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let parts: Vec<String> = objects(&s3, "trail", "lake/events/")
        .into_keys()
        .map(|k| k.trim_start_matches("lake/events/").rsplit_once('/').unwrap().0.to_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(parts.len() > 10, "{parts:?}");
    // Four workers, each taking every other partition twice over: every partition is refreshed
    // by two workers at once.
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let mut args: Vec<String> = ["refresh", "--lake", lake].map(String::from).to_vec();
            for part in parts.iter().skip(w % 2).step_by(2) {
                args.extend(["--partition".to_owned(), part.clone()]);
            }
            spawn(args)
        })
        .collect();
    for w in workers {
        ok(w.wait_with_output().unwrap());
    }
    let usage = objects(&s3, "trail", "lake/usage/");
    assert_eq!(usage.len(), 3 * parts.len(), "one facts, mapping and detection object per partition: {usage:?}");
    let local = outputs(&s3, p(sample_lake()), &dir.join("out-local"));
    assert_same(&outputs(&s3, lake, &dir.join("out-s3")), &local);
}
