//! Ingest benchmark: generate ~1M events with `trailtrim synth`, then report the raw
//! gunzip+parse rate of the same files and the end-to-end ingest rate and peak memory.
//!
//!     cargo bench --bench ingest                 # 1 000 000 events
//!     TRAILTRIM_BENCH_EVENTS=200000 cargo bench --bench ingest
//!
//! Figures, not assertions: timing belongs in benchmarks, never in tests.

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

fn main() {
    let exe = env!("CARGO_BIN_EXE_trailtrim");
    let events: u64 = std::env::var("TRAILTRIM_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let work = std::env::temp_dir().join(format!("trailtrim-bench-{events}"));
    let logs = work.join("logs");
    if !logs.join("AWSLogs").exists() {
        let t = Instant::now();
        let st = Command::new(exe)
            .args(["synth", "--out"])
            .arg(&logs)
            .args(["--events", &events.to_string()])
            .status()
            .unwrap();
        assert!(st.success(), "synth failed");
        eprintln!("generated {events} events in {:.1} s", t.elapsed().as_secs_f64());
    }
    let mut list = Vec::new();
    files(&logs, &mut list);
    let bytes: u64 = list.iter().map(|p| std::fs::metadata(p).unwrap().len()).sum();

    // Raw decode: gunzip + parse every record, in parallel, nothing written.
    let t = Instant::now();
    let n: usize = list.par_iter().map(|p| trailtrim::ingest::decode::decode_file(p).rows.len()).sum();
    let raw = t.elapsed().as_secs_f64();
    println!(
        "raw gunzip+parse: {n} events, {} files, {:.1} MiB gz, {:.2} s, {:.0} events/s",
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
        "ingest end to end: {} events written, {:.2} s, {:.0} events/s, peak RSS {:.0} MiB",
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
