//! The lake on other engines: the Spark roll-up (engines/spark/) against trailtrim's own, and
//! the Athena/Trino forms of the tables and queries (engines/athena/) against the sample lake.

use crate::common::*;
use polars::prelude::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Spark needs Java: say how to get it instead of skipping (CI must run this test).
fn require_java() {
    let ok = Command::new("java").arg("-version").output().is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "the Spark roll-up test needs Java 17 or later on PATH (`java -version` failed); \
         install it (Debian: apt-get install openjdk-17-jre-headless) and run the tests again"
    );
}

/// A roll-up read back as trailtrim reads `--facts`, ordered by its key.
fn rollup_rows(path: &Path) -> DataFrame {
    let key: Vec<PlSmallStr> = trailtrim::usage::rollup::KEY_COLUMNS.iter().map(|c| (*c).into()).collect();
    trailtrim::usage::rollup::scan(path)
        .unwrap()
        .sort(key, SortMultipleOptions::default())
        .collect()
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The first row where two frames differ, shown whole (for a readable failure).
fn first_difference(a: &DataFrame, b: &DataFrame) -> Option<String> {
    if a.height() != b.height() {
        return Some(format!("{} rows against {}", a.height(), b.height()));
    }
    for i in 0..a.height() {
        let (ra, rb) = (a.get_row(i).unwrap(), b.get_row(i).unwrap());
        if ra != rb {
            return Some(format!("row {i}:\n  trailtrim {:?}\n  spark     {:?}", ra.0, rb.0));
        }
    }
    None
}

#[test]
fn spark_rollup_equals_trailtrims_and_facts_give_the_same_recommendations() {
    require_java();
    let py = python();
    let dir = scratch("engines-spark");
    let lake = sample_lake();
    let spark_out = dir.join("spark-rollup");
    let out = Command::new(py)
        .arg(repo().join("engines/spark/rollup.py"))
        .args(["--lake", p(lake), "--out", p(&spark_out), "--master", "local[2]"])
        .env("PYSPARK_PYTHON", py)
        .current_dir(&dir)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "engines/spark/rollup.py failed ({:?}):\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );

    // trailtrim's own roll-up, row for row.
    let own = dir.join("trailtrim-rollup.parquet");
    run_ok(&["usage", "--lake", p(lake), "--write-rollup", p(&own)]);
    let (a, b) = (rollup_rows(&own), rollup_rows(&spark_out));
    assert!(a.height() > 100, "the sample's roll-up has rows ({})", a.height());
    if let Some(d) = first_difference(&a, &b) {
        panic!("the Spark roll-up differs from trailtrim's: {d}");
    }
    // Days were rolled up: fewer rows than the per-partition facts.
    let per_day = trailtrim::usage::facts::scan_facts(lake, &Default::default()).unwrap().unwrap().collect().unwrap();
    assert!(b.height() < per_day.height(), "{} roll-up rows, {} facts", b.height(), per_day.height());

    // --facts gives what the lake gives.
    let mut usage: Vec<String> = vec!["usage".into(), "--lake".into(), p(lake).into()];
    usage.extend(sample_iam_args());
    usage.extend(["--format".into(), "json".into()]);
    let from_lake = run_owned(&usage);
    usage.extend(["--facts".into(), p(&spark_out).into()]);
    let from_rollup = run_owned(&usage);
    assert!(from_rollup.status.success(), "{}", String::from_utf8_lossy(&from_rollup.stderr));
    // Sample event ids aside: the facts keep no time per sample, so the three an action shows
    // are chosen among other candidates once days are rolled up (both are calls of the action).
    fn without_samples(out: &[u8]) -> Value {
        let mut v: Value = serde_json::from_slice(out).unwrap();
        for p in v["principals"].as_array_mut().unwrap() {
            for u in p["used"].as_array_mut().unwrap() {
                u.as_object_mut().unwrap().remove("sample_event_ids");
            }
        }
        v
    }
    let (a, b) = (without_samples(&from_lake.stdout), without_samples(&from_rollup.stdout));
    assert!(a["principals"].as_array().unwrap().len() > 5);
    assert!(a == b, "usage --facts differs from usage over the lake");
    let recommend = |name: &str, facts: Option<&Path>| -> String {
        let out_dir = dir.join(name);
        let mut args: Vec<String> =
            vec!["recommend".into(), "--lake".into(), p(lake).into(), "--out".into(), p(&out_dir).into()];
        args.extend(sample_iam_args());
        if let Some(f) = facts {
            args.extend(["--facts".into(), p(f).into()]);
        }
        let out = run_owned(&args);
        assert!(out.status.success(), "recommend {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        std::fs::read_to_string(out_dir.join("recommendations.json")).unwrap()
    };
    let (lake_json, facts_json) = (recommend("rec-lake", None), recommend("rec-facts", Some(&spark_out)));
    let written: Value = serde_json::from_str(&lake_json).unwrap();
    assert!(written["principals"].as_array().unwrap().len() > 5, "recommendations were written");
    assert!(lake_json == facts_json, "recommend --facts gives other recommendations.json than the lake");
}

#[test]
fn facts_with_a_window_or_of_the_wrong_shape_are_refused_by_name() {
    let lake = sample_lake();
    let dir = scratch("engines-facts-errors");
    let own = dir.join("r.parquet");
    run_ok(&["usage", "--lake", p(lake), "--write-rollup", p(&own)]);
    let out = run(&["usage", "--lake", p(lake), "--facts", p(&own), "--from", "2026-09-01"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a roll-up covers the window it was made for"));
    let missing = dir.join("nothing-here");
    let out = run(&["usage", "--lake", p(lake), "--facts", p(&missing)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing-here: does not exist"));
    // An events file is Parquet, but not a roll-up.
    let events = trailtrim::lake::event_files(lake).unwrap().remove(0);
    let out = run(&["usage", "--lake", p(lake), "--facts", p(&events)]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not a usage roll-up") && err.contains("no column principal"), "{err}");
}

const DAVE: &str = "arn:aws:iam::111122223333:user/dave";

#[test]
fn athena_forms_are_current_parse_and_give_trailtrims_rows_on_the_sample_lake() {
    let py = python();
    let athena = repo().join("engines/athena");
    // One source of truth: the generated files are those gen.py writes now.
    let out = Command::new(py).arg(athena.join("gen.py")).arg("--check").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // The DDL's events table is the lake's schema (names and kinds, in order).
    let ddl = std::fs::read_to_string(athena.join("ddl/athena.sql")).unwrap();
    let events = ddl.split("CREATE EXTERNAL TABLE IF NOT EXISTS events (").nth(1).unwrap().split("\n)").next().unwrap();
    let declared: Vec<(String, String)> = events
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut it = l.trim().trim_end_matches(',').split_whitespace();
            (it.next().unwrap().trim_matches('`').to_owned(), it.next().unwrap().to_owned())
        })
        .collect();
    let lake_columns: Vec<(String, String)> = trailtrim::lake::COLUMNS
        .iter()
        .map(|(c, k)| {
            let t = match k {
                trailtrim::lake::ColumnKind::Str => "string",
                trailtrim::lake::ColumnKind::Bool => "boolean",
                trailtrim::lake::ColumnKind::Time => "timestamp",
            };
            ((*c).to_owned(), t.to_owned())
        })
        .collect();
    assert_eq!(declared, lake_columns, "engines/athena/gen.py EVENT_COLUMNS is not src/lake.rs COLUMNS");
    for needle in ["'projection.enabled' = 'true'", "storage.location.template", "partition_projection_enabled = true"]
    {
        let both = ddl.clone() + &std::fs::read_to_string(athena.join("ddl/trino.sql")).unwrap();
        assert!(both.contains(needle), "the DDL uses partition projection ({needle})");
    }

    // Parse in both dialects, check the tables against the files, run every query in DuckDB.
    let dir = scratch("engines-athena");
    let rollup = dir.join("rollup.parquet");
    run_ok(&["usage", "--lake", p(sample_lake()), "--write-rollup", p(&rollup)]);
    let params =
        [format!("principal={DAVE}"), "access_key_id=AKIAFAH4UB4U5BEOSCEV".to_owned(), "ip=185.220.101.34".to_owned()];
    let mut cmd = Command::new(py);
    cmd.arg(athena.join("check.py")).args(["--lake", p(sample_lake()), "--rollup", p(&rollup)]);
    for kv in &params {
        cmd.args(["--param", kv]);
    }
    let out = cmd.current_dir(&athena).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("check.py printed no JSON:\n{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(report["problems"], serde_json::json!([]), "{:#}", report["problems"]);
    assert!(out.status.success());
    let results = report["results"].as_object().unwrap();

    // Each query gives trailtrim's rows: as many, the same columns, the same events in order.
    let names: Vec<&String> = results.keys().filter(|k| !k.starts_with("table:")).collect();
    assert_eq!(names.len(), 17, "every library query ran: {names:?}");
    let mut nonempty = 0;
    for name in names {
        let mut args = vec!["query", name.as_str(), "--lake", p(sample_lake()), "--format", "json"];
        for kv in &params {
            let key = kv.split('=').next().unwrap();
            if std::fs::read_to_string(repo().join("queries").join(format!("{name}.sql")))
                .unwrap()
                .contains(&format!("-- param: {key} "))
            {
                args.extend(["--param", kv.as_str()]);
            }
        }
        let ours = json(&args);
        let ours = ours.as_array().unwrap();
        let theirs = &results[name.as_str()];
        let columns: Vec<&str> = theirs["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        let rows = theirs["rows"].as_array().unwrap();
        assert_eq!(rows.len(), ours.len(), "{name}: DuckDB gives {} rows, trailtrim {}", rows.len(), ours.len());
        if let Some(first) = ours.first() {
            let ours_cols: Vec<&str> = first.as_object().unwrap().keys().map(String::as_str).collect();
            let mut a = columns.clone();
            let mut b = ours_cols.clone();
            a.sort();
            b.sort();
            assert_eq!(a, b, "{name}: other columns");
            nonempty += 1;
        }
        if let Some(i) = columns.iter().position(|c| *c == "event_id") {
            let theirs: Vec<&str> = rows.iter().map(|r| r[i].as_str().unwrap_or("")).collect();
            let ours: Vec<&str> = ours.iter().map(|r| r["event_id"].as_str().unwrap_or("")).collect();
            assert_eq!(theirs, ours, "{name}: other events or order");
        }
    }
    assert!(nonempty >= 12, "most queries have rows on the sample ({nonempty})");
    assert!(results["table:usage_facts"]["count"].as_u64().unwrap() > 0);
    assert!(results["table:usage_rollup"]["count"].as_u64().unwrap() > 0);
}

#[test]
fn the_spark_job_refuses_stale_facts_naming_the_partition_to_refresh() {
    // Checked before Spark starts on a local lake: no Java needed, and fast.
    let dir = scratch("engines-spark-stale");
    let lake = dir.join("lake");
    run_ok(&["ingest", p(&sample_logs()), "--lake", p(&lake), "--quiet"]);
    let facts = walk_files(&lake.join("usage"))
        .into_iter()
        .find(|f| f.file_name().is_some_and(|n| n.to_string_lossy().starts_with("facts-")))
        .unwrap();
    std::fs::remove_file(&facts).unwrap();
    let partition = facts.parent().unwrap().strip_prefix(lake.join("usage")).unwrap().to_string_lossy().into_owned();
    let out = Command::new(python())
        .arg(repo().join("engines/spark/rollup.py"))
        .args(["--lake", p(&lake), "--out", p(&dir.join("out"))])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1 of ") && err.contains(&format!("refresh --lake {} --partition {partition}", p(&lake))),
        "{err}"
    );
    assert!(!dir.join("out").exists(), "nothing written");
    // Refreshed, the lake is accepted up to Spark (an empty window is refused by name instead).
    run_ok(&["refresh", "--lake", p(&lake)]);
    let out = Command::new(python())
        .arg(repo().join("engines/spark/rollup.py"))
        .args(["--lake", p(&lake), "--out", p(&dir.join("out")), "--from", "2031-01-01"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no partition with events in the window"));
}

fn walk_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for e in entries {
            if e.is_dir() {
                todo.push(e);
            } else {
                out.push(e);
            }
        }
    }
    out.sort();
    out
}
