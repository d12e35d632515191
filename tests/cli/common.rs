//! Shared helpers: run the binary, the ingested sample lake (built once per test run).

use flate2::{write::GzEncoder, Compression};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_trailtrim")
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn sample_logs() -> PathBuf {
    repo().join("sample-logs")
}

pub fn sample_iam() -> PathBuf {
    sample_logs().join("iam").join("authorization-details.json")
}

/// A fresh, empty scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-tests").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn run(args: &[&str]) -> Output {
    Command::new(exe()).args(args).output().expect("the trailtrim binary runs")
}

pub fn run_ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "trailtrim {args:?} failed with {:?}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn json(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&run_ok(args)).expect("stdout is JSON")
}

pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The sample lake, ingested once from `sample-logs/` for every test that reads it.
pub fn sample_lake() -> &'static Path {
    static LAKE: OnceLock<PathBuf> = OnceLock::new();
    LAKE.get_or_init(|| {
        let lake = scratch("sample-lake");
        let out = run(&["ingest", p(&sample_logs()), "--lake", p(&lake), "--json", "--quiet"]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        lake
    })
}

/// Every CloudTrail delivery file under `dir` (by the S3 layout), read independently of trailtrim.
pub fn delivery_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.components().any(|c| c.as_os_str() == "CloudTrail") && p.to_string_lossy().ends_with(".json.gz")
            {
                out.push(p);
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, &mut v);
    v.sort();
    v
}

pub fn read_records(path: &Path) -> Vec<serde_json::Value> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()).read_to_string(&mut text).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["Records"].as_array().unwrap().clone()
}

/// (total records, distinct event IDs) of the sample corpus.
pub fn sample_counts() -> (usize, BTreeSet<String>) {
    let mut total = 0;
    let mut ids = BTreeSet::new();
    for f in delivery_files(&sample_logs()) {
        for r in read_records(&f) {
            total += 1;
            ids.insert(r["eventID"].as_str().unwrap().to_owned());
        }
    }
    (total, ids)
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A minimal valid record.
pub fn record(id: &str, time: &str, name: &str) -> serde_json::Value {
    serde_json::json!({
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": "arn:aws:iam::111122223333:user/test",
                         "accountId": "111122223333", "accessKeyId": "AKIAEXAMPLE", "userName": "test"},
        "eventTime": time, "eventSource": "s3.amazonaws.com", "eventName": name, "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.9", "userAgent": "aws-cli/2.15.0", "requestParameters": {"bucketName": "b"},
        "responseElements": null, "eventID": id, "readOnly": true, "eventType": "AwsApiCall", "managementEvent": true,
        "recipientAccountId": "111122223333", "eventCategory": "Management"
    })
}

pub fn records_file(records: &[serde_json::Value]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "Records": records })).unwrap()
}

/// Write `bytes` at `dir/AWSLogs/111122223333/CloudTrail/us-east-1/2026/09/01/<name>`.
pub fn put_delivery(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let d = dir.join("AWSLogs/111122223333/CloudTrail/us-east-1/2026/09/01");
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

pub const ACCOUNT: &str = "111122223333";

pub fn arn(tail: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:{tail}")
}

/// `--iam ... --scps ... --resource-policies ...` for the sample account.
pub fn sample_iam_args() -> Vec<String> {
    let iam = sample_logs().join("iam");
    vec![
        "--iam".into(),
        iam.join("authorization-details.json").display().to_string(),
        "--scps".into(),
        iam.join("scps").display().to_string(),
        "--resource-policies".into(),
        iam.join("resource-policies").display().to_string(),
    ]
}

/// Run with owned arguments.
pub fn run_owned(args: &[String]) -> Output {
    let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    run(&refs)
}

/// `trailtrim usage --format json` over the sample lake (computed once).
pub fn sample_usage() -> &'static serde_json::Value {
    static USAGE: OnceLock<serde_json::Value> = OnceLock::new();
    USAGE.get_or_init(|| {
        let mut args: Vec<String> = vec!["usage".into(), "--lake".into(), p(sample_lake()).into()];
        args.extend(sample_iam_args());
        args.extend(["--credential-report".into(), p(&sample_logs().join("iam/credential-report.csv")).into()]);
        args.extend(["--format".into(), "json".into()]);
        let out = run_owned(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    })
}

pub fn principal<'a>(usage: &'a serde_json::Value, arn: &str) -> &'a serde_json::Value {
    usage["principals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["arn"] == arn)
        .unwrap_or_else(|| panic!("no principal {arn}"))
}

pub fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
}
