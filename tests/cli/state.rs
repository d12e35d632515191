//! The lake's derived state: computed once per partition by writers (ingest, refresh), read
//! by every other command, which never writes and computes what is stale in memory.

use crate::common::*;
use std::collections::BTreeMap;
use std::path::Path;

/// Event files per partition folder (relative), sorted.
fn partitions(lake: &Path) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in walkdir::WalkDir::new(lake.join("events")).sort_by_file_name() {
        let e = e.unwrap();
        if e.path().extension().is_some_and(|x| x == "parquet") {
            let rel = e.path().parent().unwrap().strip_prefix(lake.join("events")).unwrap();
            out.entry(rel.display().to_string()).or_default().push(e.file_name().to_string_lossy().into_owned());
        }
    }
    out
}

/// Every file under a folder with its size and modification time.
fn listing(dir: &Path) -> Vec<(String, u64, std::time::SystemTime)> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            (e.path().display().to_string(), m.len(), m.modified().unwrap())
        })
        .collect()
}

fn outputs(lake: &Path, out: &Path) -> (Vec<u8>, Vec<u8>, String) {
    let mut usage: Vec<String> = vec!["usage".into(), "--lake".into(), p(lake).into()];
    usage.extend(sample_iam_args());
    usage.extend(["--format".into(), "json".into()]);
    let u = run_owned(&usage);
    assert!(u.status.success(), "{}", String::from_utf8_lossy(&u.stderr));
    let mut detect: Vec<String> =
        vec!["detect".into(), "--lake".into(), p(lake).into(), "--format".into(), "json".into()];
    detect.extend(["--iam".into(), p(&sample_iam()).into()]);
    let d = run_owned(&detect);
    assert!(d.status.success(), "{}", String::from_utf8_lossy(&d.stderr));
    let mut rec: Vec<String> = vec!["recommend".into(), "--lake".into(), p(lake).into(), "--out".into(), p(out).into()];
    rec.extend(sample_iam_args());
    let r = run_owned(&rec);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    (u.stdout, d.stdout, std::fs::read_to_string(out.join("recommendations.json")).unwrap())
}

#[test]
fn a_new_day_recomputes_only_its_partitions_and_matches_a_fresh_lake() {
    let dir = scratch("state-incremental");
    let lake = dir.join("lake");
    let first = json(&["ingest", p(&sample_logs()), "--lake", p(&lake), "--to", "2026-10-14", "--json", "-q"]);
    assert_eq!(first["state"]["recomputed"], first["state"]["partitions"]);
    let before = partitions(&lake);

    // The night that adds the last day: only partitions whose files changed are recomputed.
    let night = json(&["ingest", p(&sample_logs()), "--lake", p(&lake), "--json", "-q"]);
    let after = partitions(&lake);
    let changed = after.iter().filter(|(k, v)| before.get(*k) != Some(v)).count();
    assert!(changed > 0 && changed < after.len() / 4, "{changed} of {} partitions changed", after.len());
    assert_eq!(night["state"]["recomputed"], changed as u64);
    assert_eq!(night["state"]["partitions"], after.len() as u64);

    // A second refresh has nothing to do.
    let again = json(&["refresh", "--lake", p(&lake), "--json"]);
    assert_eq!(again["recomputed"], 0);

    // Incremental and from scratch give the same JSON, byte for byte.
    let incremental = outputs(&lake, &dir.join("out-incremental"));
    let scratch_outputs = outputs(sample_lake(), &dir.join("out-scratch"));
    assert!(incremental.0 == scratch_outputs.0, "usage JSON differs");
    assert!(incremental.1 == scratch_outputs.1, "detect JSON differs");
    assert_eq!(incremental.2, scratch_outputs.2, "recommendations differ");
}

#[test]
fn readers_never_write_and_compute_stale_state_in_memory() {
    let dir = scratch("state-readonly");
    let lake = dir.join("lake");
    run_ok(&["ingest", p(&sample_logs()), "--lake", p(&lake), "-q"]);
    let fresh = outputs(&lake, &dir.join("out-fresh"));

    // The stored state goes (an old lake, or one written by an older trailtrim).
    std::fs::remove_dir_all(lake.join("usage")).unwrap();
    let untouched = listing(&lake);
    let mut usage: Vec<String> = vec!["usage".into(), "--lake".into(), p(&lake).into()];
    usage.extend(sample_iam_args());
    let out = run_owned(&usage);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("stored usage facts of 73 of 73 partitions are missing or stale"), "{stderr}");
    let stale = outputs(&lake, &dir.join("out-stale"));
    assert_eq!(listing(&lake), untouched, "a reader wrote into the lake");
    assert!(stale.0 == fresh.0 && stale.1 == fresh.1 && stale.2 == fresh.2, "stale state changed a result");

    // State made by other code (another tag: the state version and data fingerprint are part of it) is stale as a
    // whole, and a refresh replaces it.
    run_ok(&["refresh", "--lake", p(&lake)]);
    let stored: Vec<std::path::PathBuf> = walkdir::WalkDir::new(lake.join("usage"))
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    assert_eq!(stored.len(), 3 * 73, "facts, mapping and detection state per partition");
    for f in &stored {
        let name = f.file_name().unwrap().to_string_lossy();
        let (stem, _) = name.split_once('-').unwrap();
        std::fs::rename(f, f.with_file_name(format!("{stem}-older-code.parquet"))).unwrap();
    }
    assert_eq!(json(&["refresh", "--lake", p(&lake), "--json"])["recomputed"], 73);
    let names: std::collections::BTreeSet<String> = walkdir::WalkDir::new(lake.join("usage"))
        .into_iter()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("older-code")), "superseded state was kept: {names:?}");
}

#[test]
fn refresh_of_one_partition_leaves_the_others_stale() {
    let dir = scratch("state-partition");
    let lake = dir.join("lake");
    run_ok(&["ingest", p(&sample_logs()), "--lake", p(&lake), "-q"]);
    std::fs::remove_dir_all(lake.join("usage")).unwrap();
    let one = partitions(&lake).into_keys().next().unwrap();
    let r = json(&["refresh", "--lake", p(&lake), "--partition", &one, "--json"]);
    assert_eq!(r["recomputed"], 1);
    let stored: Vec<String> = std::fs::read_dir(lake.join("usage").join(&one))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(stored.iter().any(|n| n.starts_with("facts-")) && stored.len() == 3, "{stored:?}");
    assert!(stored.iter().any(|n| n.starts_with("detect-")), "no detection state beside the facts: {stored:?}");
    assert_eq!(json(&["refresh", "--lake", p(&lake), "--json"])["recomputed"], 72);

    for bad in [
        "account=1/../../x",
        "../x/account=111122223333/region=us-east-1/event_date=2026-10-01",
        "account=111122223333/region=../event_date=2026-10-01",
    ] {
        let out = run(&["refresh", "--lake", p(&lake), "--partition", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--partition"), "{bad}");
    }
}

#[test]
fn a_misspelt_lake_is_a_usage_error_naming_it() {
    let dir = scratch("state-no-lake");
    let missing = dir.join("lkae");
    let iam = sample_iam_args();
    let iam: Vec<&str> = iam.iter().map(String::as_str).collect();
    let out_dir = dir.join("out");
    let report = dir.join("r.html");
    let cases: Vec<Vec<&str>> = vec![
        vec!["usage", "--lake", p(&missing)],
        vec!["detect", "--lake", p(&missing)],
        vec!["query", "select count(*) from events", "--lake", p(&missing)],
        [&["recommend", "--lake", p(&missing), "--out", p(&out_dir)][..], &iam].concat(),
        [&["report", "--lake", p(&missing), "--out", p(&report)][..], &iam].concat(),
        [&["run", "--lake", p(&missing), "--out", p(&out_dir)][..], &iam].concat(),
        vec!["refresh", "--lake", p(&missing)],
        [&["denials", "--lake", p(&missing)][..], &iam].concat(),
    ];
    for args in cases {
        let out = run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(p(&missing)) && stderr.contains("does not exist"), "{args:?}: {stderr}");
        assert!(!missing.exists(), "{args:?} created the misspelt lake");
    }
}
