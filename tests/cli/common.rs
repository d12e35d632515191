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

/// The ids of the lake's events, sorted.
pub fn lake_ids(lake: &Path) -> Vec<String> {
    let df = trailtrim::lake::scan_events(lake).unwrap().collect().unwrap();
    let mut ids: Vec<String> =
        df.column("event_id").unwrap().str().unwrap().iter().flatten().map(str::to_owned).collect();
    ids.sort();
    ids
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

/// The project's Python environment (`scripts/test-env.sh`, installed once, under the repo).
pub fn python() -> &'static Path {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        let out = Command::new("bash").arg(repo().join("scripts/test-env.sh")).output().expect("bash runs");
        assert!(out.status.success(), "scripts/test-env.sh failed:\n{}", String::from_utf8_lossy(&out.stderr));
        repo().join(".venv/bin/python")
    })
}

/// A local S3 server (moto) on 127.0.0.1, stopped when dropped.
pub struct S3Server {
    child: std::process::Child,
    pub endpoint: String,
}

impl S3Server {
    pub fn start() -> S3Server {
        let py = python();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(py.with_file_name("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let server = S3Server { child, endpoint: format!("http://127.0.0.1:{port}") };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "the S3 server did not start");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        server
    }

    /// The environment a client of this server needs (no real credentials anywhere).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", "us-east-1".into()),
        ]
    }

    /// Create `bucket` and upload every file under `dir` to `prefix/<path relative to dir>`.
    pub fn upload(&self, bucket: &str, prefix: &str, dir: &Path) {
        let script = r#"
import boto3, os, sys
endpoint, bucket, prefix, root = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
try:
    s3.create_bucket(Bucket=bucket)
except s3.exceptions.BucketAlreadyOwnedByYou:
    pass
for base, _, files in os.walk(root):
    for f in files:
        path = os.path.join(base, f)
        key = "/".join(p for p in [prefix, os.path.relpath(path, root)] if p)
        s3.upload_file(path, bucket, key)
"#;
        let out = Command::new(python())
            .args(["-c", script, &self.endpoint, bucket, prefix, dir.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "upload failed:\n{}", String::from_utf8_lossy(&out.stderr));
    }

    /// Run trailtrim with this server's environment.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut c = Command::new(exe());
        c.args(args);
        for (k, v) in self.env() {
            c.env(k, v);
        }
        c.output().expect("the trailtrim binary runs")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(exe());
        c.args(args);
        for (k, v) in self.env() {
            c.env(k, v);
        }
        c
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
