//! Ingest benchmark: generate events with `trailtrim synth` in the shape real archives have (a
//! delivery file per account, region and 5 minutes: most files a few KB, some MB), then report
//! the raw gunzip+parse rate of the same files (the floor) and the end-to-end ingest rate and
//! peak memory.
//!
//!     cargo bench --bench ingest                 # 1 000 000 events, realistic shape
//!     TRAILTRIM_BENCH_EVENTS=200000 cargo bench --bench ingest
//!     TRAILTRIM_BENCH_SHAPE=one-event-files TRAILTRIM_BENCH_EVENTS=15000 cargo bench --bench ingest
//!     TRAILTRIM_BENCH_SHAPE=org-trail TRAILTRIM_BENCH_EVENTS=300000 cargo bench --bench ingest
//!
//! Shapes: `realistic` (2 accounts, 5 regions, 7 days), `bulk` (500 large files of one account),
//! `one-event-files`, `org-trail` (30 accounts x 10 regions x 10 days = 3 000 partitions, in 10
//! files that each touch every partition). Figures, not assertions: timing belongs in
//! benchmarks, never in tests.

use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.to_string_lossy().ends_with(".json.gz") && p.to_string_lossy().contains("/CloudTrail/") {
            out.push(p);
        }
    }
}

/// `trailtrim synth` arguments of a bench shape.
fn synth_args(shape: &str, events: u64) -> Vec<String> {
    let args: Vec<String> = match shape {
        "realistic" => vec!["--accounts", "2", "--regions", "5", "--days", "7"].into_iter().map(String::from).collect(),
        "bulk" => vec![],
        "one-event-files" => {
            vec!["--accounts", "1", "--regions", "1", "--days", "7"].into_iter().map(String::from).collect()
        }
        "org-trail" => vec![
            "--accounts".into(),
            "30".into(),
            "--regions".into(),
            "10".into(),
            "--days".into(),
            "10".into(),
            "--events-per-file".into(),
            events.div_ceil(10).to_string(),
        ],
        other => panic!("unknown TRAILTRIM_BENCH_SHAPE {other}: realistic, bulk, one-event-files or org-trail"),
    };
    let mut all = vec!["--events".to_owned(), events.to_string(), "--shape".to_owned(), shape.to_owned()];
    all.extend(args);
    all
}

fn main() {
    let exe = env!("CARGO_BIN_EXE_trailtrim");
    let events: u64 = std::env::var("TRAILTRIM_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let shape = std::env::var("TRAILTRIM_BENCH_SHAPE").unwrap_or_else(|_| "realistic".to_owned());
    let work = std::env::temp_dir().join(format!("trailtrim-bench-{shape}-{events}"));
    let logs = work.join("logs");
    if !logs.join("AWSLogs").exists() {
        let t = Instant::now();
        let st = Command::new(exe)
            .args(["synth", "--out"])
            .arg(&logs)
            .args(synth_args(&shape, events))
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "synth failed");
        eprintln!("generated {events} events ({shape}) in {:.1} s", t.elapsed().as_secs_f64());
    }
    let mut list = Vec::new();
    files(&logs, &mut list);
    let bytes: u64 = list.iter().map(|p| std::fs::metadata(p).unwrap().len()).sum();

    // Raw decode: gunzip + parse every record, in parallel, nothing written.
    let t = Instant::now();
    let n: usize = list.par_iter().map(|p| trailtrim::ingest::decode::decode_file(p).rows.len()).sum();
    let raw = t.elapsed().as_secs_f64();
    println!(
        "{shape}: raw gunzip+parse: {n} events, {} files, {:.1} MiB gz, {:.2} s, {:.0} events/s",
        list.len(),
        bytes as f64 / 1048576.0,
        raw,
        n as f64 / raw
    );

    // End to end: a fresh lake, the real binary, its own summary (events/s, peak RSS).
    let lake = work.join("lake");
    let _ = std::fs::remove_dir_all(&lake);
    let out = Command::new(exe)
        .arg("ingest")
        .arg(&logs)
        .arg("--lake")
        .arg(&lake)
        .args(["--json", "--quiet"])
        .output()
        .unwrap();
    assert!(out.status.success(), "ingest failed: {}", String::from_utf8_lossy(&out.stderr));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rss = s["peak_rss_bytes"].as_u64().unwrap_or(0) as f64 / 1048576.0;
    println!(
        "{shape}: ingest end to end: {} events written, {:.2} s, {:.0} events/s, peak RSS {:.0} MiB",
        s["events_written"],
        s["seconds"].as_f64().unwrap(),
        s["events_per_second"].as_f64().unwrap(),
        rss
    );
    // Re-ingest: every file is in the manifest, nothing is read.
    let t = Instant::now();
    let out = Command::new(exe)
        .arg("ingest")
        .arg(&logs)
        .arg("--lake")
        .arg(&lake)
        .args(["--json", "--quiet"])
        .output()
        .unwrap();
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    println!("re-ingest: {} events written, {:.2} s", s["events_written"], t.elapsed().as_secs_f64());
}
