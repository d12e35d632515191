//! Pipeline benchmark over a million-event lake: usage, recommend and detect end to end, plus
//! the policy engine's effective-permissions and single-request speed.
//!
//!     cargo bench --bench pipeline               # 1 000 000 events of one account (synth's bulk shape)
//!     TRAILTRIM_BENCH_EVENTS=200000 cargo bench --bench pipeline
//!
//! Figures, not assertions: timing belongs in benchmarks, never in tests.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use trailtrim::policy;

#[path = "workload/policy.rs"]
mod pbench;

/// Run the binary, returning wall seconds and the child's peak RSS (polled from /proc).
fn measure(exe: &str, args: &[&str]) -> (f64, u64) {
    let t = Instant::now();
    let mut child = Command::new(exe).args(args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_path) {
            if let Some(kb) = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
            {
                peak = peak.max(kb * 1024);
            }
        }
        if let Some(st) = child.try_wait().unwrap() {
            assert!(st.success() || st.code() == Some(3), "trailtrim {args:?} failed");
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (t.elapsed().as_secs_f64(), peak)
}

fn main() {
    let exe = env!("CARGO_BIN_EXE_trailtrim");
    let events: u64 = std::env::var("TRAILTRIM_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let work = std::env::temp_dir().join(format!("trailtrim-bench-{events}"));
    let logs = work.join("logs");
    let lake = work.join("lake");
    if !logs.join("AWSLogs").exists() {
        let st = Command::new(exe)
            .args(["synth", "--out"])
            .arg(&logs)
            .args(["--events", &events.to_string(), "--shape", "bulk"])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success());
    }
    if !lake.join("events").exists() {
        let st = Command::new(exe).arg("ingest").arg(&logs).arg("--lake").arg(&lake).arg("--quiet").status().unwrap();
        assert!(st.success());
    }
    let iam = logs.join("iam/authorization-details.json");
    let (lake_s, iam_s) = (lake.to_str().unwrap(), iam.to_str().unwrap());
    let _ = std::fs::remove_dir_all(lake.join("usage"));
    let report = |name: &str, (secs, rss): (f64, u64)| {
        println!(
            "{name}: {secs:.2} s, {:.0} events/s, peak RSS {:.0} MiB",
            events as f64 / secs,
            rss as f64 / 1048576.0
        );
    };
    report(
        "usage (facts from scratch)",
        measure(exe, &["usage", "--lake", lake_s, "--iam", iam_s, "--format", "json"]),
    );
    report("usage (facts up to date)", measure(exe, &["usage", "--lake", lake_s, "--iam", iam_s, "--format", "json"]));
    let out = work.join("out");
    report(
        "recommend (all principals)",
        measure(exe, &["recommend", "--lake", lake_s, "--iam", iam_s, "--out", out.to_str().unwrap()]),
    );
    report(
        "detect (with --iam, detection state computed in memory)",
        measure(exe, &["detect", "--lake", lake_s, "--iam", iam_s, "--format", "json"]),
    );
    report("refresh (facts and detection state stored)", measure(exe, &["refresh", "--lake", lake_s]));
    report(
        "detect (with --iam, detection state stored)",
        measure(exe, &["detect", "--lake", lake_s, "--iam", iam_s, "--format", "json"]),
    );
    let _ = Path::new(&out);

    // The policy engine on its own: every catalog action for 1 000 principals, and one request.
    let sets: Vec<_> = (0..1000).map(pbench::synthetic_policy_set).collect();
    let actions: Vec<String> = trailtrim::catalog::catalog().actions().map(|a| a.full_name()).collect();
    let t = Instant::now();
    let counts = pbench::bench_access(&sets, &actions);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "effective permissions: 1000 principals x {} actions in {secs:.2} s ({:.0} ns per action; full/partial/none {counts:?})",
        actions.len(),
        secs * 1e9 / (1000.0 * actions.len() as f64)
    );
    let n = 200_000;
    let t = Instant::now();
    let allowed = pbench::bench_evaluate(&sets[0], &pbench::synthetic_actions(64), n);
    let secs = t.elapsed().as_secs_f64();
    println!("evaluate: {n} requests in {secs:.2} s ({:.2} µs per request, {allowed} allowed)", secs * 1e6 / n as f64);
    let _ = policy::Decision::Allow;
    let total: usize = counts.iter().sum();
    assert_eq!(total, 1000 * actions.len(), "every principal x action classified once");

    // Event -> action mapping: the per-event cost every stage pays.
    let simple = trailtrim::mapping::EventFields {
        event_source: "ec2.amazonaws.com",
        event_name: "DescribeInstances",
        event_type: Some("AwsApiCall"),
        aws_region: Some("us-east-1"),
        recipient_account_id: Some("123456789012"),
        ..Default::default()
    };
    let _ = trailtrim::mapping::map_event(&simple);
    let t = Instant::now();
    let mut mapped = 0usize;
    for _ in 0..n {
        mapped += trailtrim::mapping::map_event(std::hint::black_box(&simple)).actions.len();
    }
    let secs = t.elapsed().as_secs_f64();
    println!("map_event: {n} events in {secs:.2} s ({:.0} ns per event, {mapped} actions)", secs * 1e9 / n as f64);
}
