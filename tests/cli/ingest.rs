//! `trailtrim ingest`: the sample corpus, bad input, duplicates, re-ingest, interruption.

use crate::common::*;
use polars::prelude::*;
use std::path::Path;

fn lake_rows(lake: &Path) -> DataFrame {
    trailtrim::lake::scan_events(lake).unwrap().collect().unwrap()
}

fn ingest(src: &Path, lake: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let mut args = vec!["ingest", p(src), "--lake", p(lake), "--json", "--quiet"];
    args.extend_from_slice(extra);
    let out = run(&args);
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("no JSON summary: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), v)
}

#[test]
fn sample_lake_holds_each_distinct_event_once_with_the_documented_columns() {
    let (total, ids) = sample_counts();
    assert!(ids.len() >= 500, "the sample corpus should have hundreds of events, has {}", ids.len());
    assert!(total > ids.len(), "the sample includes an overlapping organisation trail copy");
    let lake = sample_lake();
    let df = lake_rows(lake);
    assert_eq!(df.height(), ids.len());
    let got: std::collections::BTreeSet<String> =
        df.column("event_id").unwrap().str().unwrap().iter().map(|s| s.unwrap().to_owned()).collect();
    assert_eq!(got, ids);
    for (name, kind) in trailtrim::lake::COLUMNS {
        let c = df.column(name).unwrap_or_else(|_| panic!("column {name} missing"));
        assert_eq!(c.dtype(), &kind.dtype(), "column {name}");
    }
    for name in ["account", "region", "event_date"] {
        assert!(df.column(name).is_ok(), "partition column {name}");
    }
    // Identity flattening on real sample rows.
    let roles = df
        .clone()
        .lazy()
        .filter(col("identity_type").eq(lit("AssumedRole")))
        .select([col("session_issuer_arn"), col("session_name")])
        .collect()
        .unwrap();
    assert!(roles.height() > 0);
    assert_eq!(roles.column("session_issuer_arn").unwrap().null_count(), 0);
    assert_eq!(roles.column("session_name").unwrap().null_count(), 0);
}

#[test]
fn sample_ingest_summary_counts_skips_and_duplicates() {
    let lake = scratch("summary");
    let (code, s) = ingest(&sample_logs(), &lake, &[]);
    assert_eq!(code, Some(0));
    let (total, ids) = sample_counts();
    assert_eq!(s["events_written"], ids.len());
    assert_eq!(s["duplicates_dropped"], total - ids.len());
    assert_eq!(s["records_rejected"], 0);
    assert_eq!(s["files_skipped"]["cloudtrail-digest"], 1);
    assert_eq!(s["files_skipped"]["aws-config"], 1);
    assert_eq!(s["files_failed"], 0);
    for key in ["files_read", "files_failed", "seconds", "events_per_second", "bytes_read"] {
        assert!(s.get(key).is_some(), "summary lacks {key}");
    }
    // Re-running over the same sources reads nothing again and adds nothing.
    let (code, s2) = ingest(&sample_logs(), &lake, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(s2["events_written"], 0);
    assert_eq!(s2["files_read"], 0);
    assert_eq!(s2["files_skipped"]["already-ingested"], s["files_read"]);
    assert_eq!(lake_rows(&lake).height(), ids.len());
}

#[test]
fn lake_files_are_readable_by_an_independent_parquet_reader() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let lake = sample_lake();
    let files = trailtrim::lake::event_files(lake).unwrap();
    assert!(!files.is_empty());
    let mut rows = 0i64;
    for f in &files {
        let rel = f.strip_prefix(lake).unwrap().to_string_lossy().into_owned();
        assert!(
            rel.starts_with("events/account=111122223333/region=") && rel.contains("/event_date=20"),
            "Hive layout: {rel}"
        );
        let reader = SerializedFileReader::new(std::fs::File::open(f).unwrap()).unwrap();
        let meta = reader.metadata();
        rows += meta.file_metadata().num_rows();
        let names: Vec<String> =
            meta.file_metadata().schema_descr().columns().iter().map(|c| c.name().to_owned()).collect();
        assert!(names.contains(&"event_id".to_owned()) && names.contains(&"event_time".to_owned()));
        for rg in meta.row_groups() {
            for c in rg.columns() {
                assert!(
                    matches!(c.compression(), parquet::basic::Compression::ZSTD(_)),
                    "column {} of {rel}",
                    c.column_path()
                );
            }
        }
        // Decode every row, not only the footer.
        let n = reader.get_row_iter(None).unwrap().count() as i64;
        assert_eq!(n, meta.file_metadata().num_rows());
    }
    assert_eq!(rows as usize, sample_counts().1.len());
}

#[test]
fn bad_input_is_reported_with_file_and_record_and_valid_records_are_kept() {
    let dir = scratch("bad-input");
    let t = "2026-09-01T10:00:00Z";
    // A truncated gzip of 400 good records: the records before the damage are kept.
    let many: Vec<_> = (0..400).map(|i| record(&format!("trunc-{i:04}"), t, "ListBuckets")).collect();
    let gz = gzip(&records_file(&many));
    put_delivery(&dir, "a_truncated.json.gz", &gz[..gz.len() * 2 / 3]);
    // Invalid JSON after two good records.
    let mut bad = String::from(r#"{"Records":["#);
    bad.push_str(&record("json-1", t, "GetObject").to_string());
    bad.push(',');
    bad.push_str(&record("json-2", t, "GetObject").to_string());
    bad.push_str(r#",{"eventID": oops}]}"#);
    put_delivery(&dir, "b_invalid.json", bad.as_bytes());
    put_delivery(&dir, "c_empty.json.gz", b"");
    put_delivery(&dir, "d_empty_gzip.json.gz", &gzip(b""));
    // A record without eventTime, one without eventName: rejected by index; the third is kept.
    let mut no_time = record("no-time", t, "ListBuckets");
    no_time.as_object_mut().unwrap().remove("eventTime");
    let mut no_name = record("no-name", t, "ListBuckets");
    no_name.as_object_mut().unwrap().remove("eventName");
    put_delivery(
        &dir,
        "e_records.json.gz",
        &gzip(&records_file(&[no_time, no_name, record("good-1", t, "ListBuckets")])),
    );
    put_delivery(&dir, "f_not_cloudtrail.json", br#"{"hello": "world"}"#);
    std::fs::write(dir.join("AWSLogs/README.txt"), "not a log").unwrap();

    let lake = dir.join("lake");
    let (code, s) = ingest(&dir.join("AWSLogs"), &lake, &[]);
    assert_eq!(code, Some(3), "finished with rejected input: {s:#}");
    let problems = s["problems"].as_array().unwrap();
    let find = |file: &str, record: Option<u64>| {
        problems
            .iter()
            .find(|p| p["file"].as_str().unwrap().ends_with(file) && p["record"].as_u64() == record)
            .unwrap_or_else(|| panic!("no problem reported for {file} {record:?}: {problems:#?}"))["reason"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(find("a_truncated.json.gz", None).contains("gzip"));
    assert!(find("b_invalid.json", Some(2)).contains("not valid JSON"));
    assert_eq!(find("c_empty.json.gz", None), "empty file");
    assert_eq!(find("d_empty_gzip.json.gz", None), "empty file");
    assert!(find("e_records.json.gz", Some(0)).contains("eventTime"));
    assert!(find("e_records.json.gz", Some(1)).contains("eventName"));
    assert!(!problems.iter().any(|p| p["file"].as_str().unwrap().ends_with("f_not_cloudtrail.json")));
    assert_eq!(s["files_skipped"]["not-cloudtrail"], 1, "valid JSON that is not CloudTrail is skipped, not rejected");
    assert_eq!(s["files_skipped"]["not-json"], 1);
    assert_eq!(s["records_rejected"], 3);

    let df = lake_rows(&lake);
    let ids: Vec<&str> = df.column("event_id").unwrap().str().unwrap().iter().flatten().collect();
    let truncated_kept = ids.iter().filter(|i| i.starts_with("trunc-")).count();
    assert!(truncated_kept > 50 && truncated_kept < 400, "kept {truncated_kept} of the truncated file");
    assert!(ids.contains(&"json-1") && ids.contains(&"json-2") && ids.contains(&"good-1"));
    assert_eq!(s["events_written"].as_u64().unwrap() as usize, df.height());

    // The errors folder lists every problem, one JSON line each, naming the file.
    let errors = std::fs::read_to_string(s["errors_file"].as_str().unwrap()).unwrap();
    assert_eq!(errors.lines().count(), problems.len());
    assert!(errors.contains("e_records.json.gz") && errors.contains("\"record\":1"));

    // A second run over the same (unchanged) files reads nothing again: the damaged ones were
    // recorded with their problem count, so an immutable archive is not re-reported every night.
    let (code, s2) = ingest(&dir.join("AWSLogs"), &lake, &[]);
    assert_eq!(code, Some(0), "{s2:#}");
    assert_eq!(s2["events_written"], 0);
    assert_eq!(s2["files_read"], 0);
    assert_eq!(s2["files_skipped"]["already-ingested-with-rejections"], 5);
    assert_eq!(lake_rows(&lake).height(), df.height());
    // A re-delivered (changed) file is read again: its good record is a duplicate, its bad ones reported again.
    put_delivery(
        &dir,
        "e_records.json.gz",
        &gzip(&records_file(&[record("good-1", t, "ListBuckets"), record("good-2", t, "ListBuckets")])),
    );
    let (code, s3) = ingest(&dir.join("AWSLogs"), &lake, &[]);
    assert_eq!(code, Some(0));
    assert_eq!((s3["events_written"].as_u64(), s3["duplicates_dropped"].as_u64()), (Some(1), Some(1)));
}

#[test]
fn real_world_damage_costs_only_the_damaged_records() {
    let dir = scratch("real-world-damage");
    let t = "2026-09-01T10:00:00Z";
    let recs = |prefix: &str, n: usize| -> Vec<serde_json::Value> {
        (0..n).map(|i| record(&format!("{prefix}-{i:02}"), t, "ListBuckets")).collect()
    };
    // Record 10 of 99 damaged in each of these ways: the other 98 are kept.
    let damaged: [(&str, &dyn Fn(Vec<u8>) -> Vec<u8>); 6] = [
        ("ff", &|b| b.into_iter().map(|c| if c == b'#' { 0xFF } else { c }).collect()),
        ("latin1", &|b| b.into_iter().map(|c| if c == b'#' { 0xE9 } else { c }).collect()),
        ("nul", &|b| b.into_iter().map(|c| if c == b'#' { 0 } else { c }).collect()),
        ("nan", &|b| String::from_utf8(b).unwrap().replace("\"#\"", "NaN").into_bytes()),
        ("region", &|b| {
            String::from_utf8(b).unwrap().replace("\"#\"", &format!("\"{}\"", "x".repeat(300))).into_bytes()
        }),
        ("quote", &|b| String::from_utf8(b).unwrap().replace("\"#\"", "\"#").into_bytes()),
    ];
    for (name, damage) in damaged {
        let mut rs = recs(name, 99);
        let field = if name == "region" { "awsRegion" } else { "userAgent" };
        rs[10][field] = serde_json::json!("#");
        put_delivery(&dir, &format!("{name}.json.gz"), &gzip(&damage(records_file(&rs))));
    }
    // A byte-order mark, and two records with no comma between them.
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(&records_file(&recs("bom", 3)));
    put_delivery(&dir, "bom.json", &bom);
    let two = recs("glued", 2);
    let glued = format!("{{\"Records\":[{}{}]}}", two[0], two[1]);
    put_delivery(&dir, "glued.json", glued.as_bytes());
    // A link back up the tree is walked once, not forever.
    std::os::unix::fs::symlink("../..", dir.join("AWSLogs/111122223333/CloudTrail/us-east-1/2026/09/01/loop")).unwrap();

    let lake = dir.join("lake");
    let (code, s) = ingest(&dir.join("AWSLogs"), &lake, &[]);
    assert_eq!(code, Some(3), "{s:#}");
    let ids = lake_ids(&lake);
    for name in ["ff", "latin1", "nul", "nan", "region", "quote"] {
        let kept = ids.iter().filter(|i| i.starts_with(&format!("{name}-"))).count();
        assert_eq!(kept, 98, "{name}: {s:#}");
        assert!(!ids.contains(&format!("{name}-10")), "{name}");
    }
    assert_eq!(ids.iter().filter(|i| i.starts_with("bom-") || i.starts_with("glued-")).count(), 5);
    let problems = s["problems"].as_array().unwrap();
    let region = problems.iter().find(|p| p["file"].as_str().unwrap().ends_with("region.json.gz")).unwrap();
    assert_eq!(region["record"], 10);
    assert!(region["reason"].as_str().unwrap().contains("not a region name"));
    assert!(problems.iter().any(|p| p["reason"].as_str().unwrap().starts_with("link loop")), "{problems:#?}");
    // No partition directory was made from a record's value.
    let regions: Vec<String> = std::fs::read_dir(lake.join("events/account=111122223333"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(regions, ["region=us-east-1"]);
}

#[test]
fn a_gzip_member_that_fails_its_checksum_is_read_again_until_repaired() {
    let dir = scratch("gzip-crc");
    let t = "2026-09-01T10:00:00Z";
    let all: Vec<_> = (0..40).map(|i| record(&format!("crc-{i:02}"), t, "ListBuckets")).collect();
    let text = records_file(&all);
    let (a, b) = text.split_at(text.len() / 2);
    let mut file = gzip(a);
    let mut second = gzip(b);
    let n = second.len();
    second[n - 8] ^= 0x55;
    file.extend_from_slice(&second);
    let path = put_delivery(&dir, "crc.json.gz", &file);
    let lake = dir.join("lake");
    let (code, s) = ingest(&dir.join("AWSLogs"), &lake, &[]);
    assert_eq!(code, Some(3), "{s:#}");
    assert!(s["problems"][0]["reason"].as_str().unwrap().contains("gzip member 2"), "{s:#}");
    let first = lake_ids(&lake).len();
    assert!(first < 40, "no row of the damaged member is kept ({first})");
    // Not recorded as ingested: the next run reads it again (and reports it again).
    let (code, s) = ingest(&dir.join("AWSLogs"), &lake, &[]);
    assert_eq!((code, s["files_read"].as_u64()), (Some(3), Some(1)));
    // A correct re-delivery repairs it: every event, once.
    let mut good = gzip(a);
    good.extend_from_slice(&gzip(b));
    std::fs::write(&path, good).unwrap();
    let (code, _) = ingest(&dir.join("AWSLogs"), &lake, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(lake_ids(&lake).len(), 40);
}

#[test]
fn every_export_shape_is_read() {
    let dir = scratch("export-shapes");
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let t = "2026-09-01T10:00:00Z";
    let r = |id: &str| record(id, t, "ListBuckets");
    let lines = format!("{}\n{}\n", r("jsonl-1"), r("jsonl-2"));
    std::fs::write(src.join("firehose.json"), &lines).unwrap();
    std::fs::write(src.join("siem.json.gz"), gzip(lines.replace("jsonl", "gzl").as_bytes())).unwrap();
    std::fs::write(src.join("array.json"), serde_json::to_vec(&vec![r("array-1")]).unwrap()).unwrap();
    let lookup = serde_json::json!({"Events": [{"EventId": "lookup-1", "EventName": "ListBuckets",
        "CloudTrailEvent": r("lookup-1").to_string()}], "NextToken": "t"});
    std::fs::write(src.join("lookup-events.json"), lookup.to_string()).unwrap();
    let bridge = serde_json::json!({"version": "0", "id": "e", "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.s3", "account": "111122223333", "detail": r("bridge-1")});
    std::fs::write(src.join("eventbridge.json"), format!("{bridge}\n")).unwrap();
    std::fs::write(src.join("lower.json"), serde_json::json!({"records": [r("lower-1")]}).to_string()).unwrap();
    let lake = dir.join("lake");
    let (code, s) = ingest(&src, &lake, &[]);
    assert_eq!(code, Some(0), "{s:#}");
    assert_eq!(lake_ids(&lake), ["array-1", "bridge-1", "gzl-1", "gzl-2", "jsonl-1", "jsonl-2", "lookup-1", "lower-1"]);
}

#[test]
fn sources_without_any_event_exit_3() {
    let dir = scratch("no-events");
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("app.json"), "{\"level\":\"info\"}\n").unwrap();
    std::fs::write(src.join("notes.txt"), "x").unwrap();
    let (code, s) = ingest(&src, &dir.join("lake"), &[]);
    assert_eq!(code, Some(3), "{s:#}");
    assert_eq!(s["files_skipped"]["not-cloudtrail"], 1);
    assert!(s["problems"][0]["reason"].as_str().unwrap().contains("no CloudTrail event"));
}

#[test]
fn duplicate_deliveries_in_one_run_and_across_runs_are_written_once() {
    let dir = scratch("duplicates");
    let t = "2026-09-01T11:00:00Z";
    let recs: Vec<_> = (0..50).map(|i| record(&format!("dup-{i}"), t, "GetObject")).collect();
    let body = gzip(&records_file(&recs));
    put_delivery(&dir.join("account-trail"), "x.json.gz", &body);
    // The organisation trail delivers the same events under another prefix.
    let org = dir.join("org-trail/AWSLogs/o-abcdef1234/111122223333/CloudTrail/us-east-1/2026/09/01");
    std::fs::create_dir_all(&org).unwrap();
    std::fs::write(org.join("y.json.gz"), &body).unwrap();
    let lake = dir.join("lake");
    let (code, s) = ingest(&dir, &lake, &[]);
    assert_eq!(code, Some(0));
    assert_eq!((s["events_written"].as_u64(), s["duplicates_dropped"].as_u64()), (Some(50), Some(50)));
    // A later delivery that repeats half of them, in a new file, adds only the new half.
    let later: Vec<_> = (25..75).map(|i| record(&format!("dup-{i}"), t, "GetObject")).collect();
    put_delivery(&dir.join("account-trail"), "z.json.gz", &gzip(&records_file(&later)));
    let (_, s) = ingest(&dir, &lake, &[]);
    assert_eq!((s["events_written"].as_u64(), s["duplicates_dropped"].as_u64()), (Some(25), Some(25)));
    assert_eq!(lake_rows(&lake).height(), 75);
}

#[test]
fn an_interrupted_run_leaves_a_readable_lake_and_the_next_run_completes_it() {
    let lake = scratch("interrupted");
    let lake = lake.join("lake");
    // Stop part-way with tiny buffers so some partitions are committed and others are not.
    let (code, s) = ingest(&sample_logs(), &lake, &["--stop-after-files", "7", "--max-buffered-rows", "10"]);
    assert_eq!(code, Some(0));
    let partial = s["events_written"].as_u64().unwrap();
    assert!(partial > 0);
    assert_eq!(lake_rows(&lake).height() as u64, partial);
    // Leave what a crash leaves: a half-written temporary file and a torn manifest line.
    let files = trailtrim::lake::event_files(&lake).unwrap();
    let tmp = files[0].with_extension("parquet.tmp");
    std::fs::write(&tmp, b"PAR1 half written").unwrap();
    let manifest = lake.join("_manifest.jsonl");
    let mut m = std::fs::read_to_string(&manifest).unwrap();
    m.push_str("{\"path\":\"/torn");
    std::fs::write(&manifest, m).unwrap();

    let (code, s) = ingest(&sample_logs(), &lake, &[]);
    assert_eq!(code, Some(0), "{s:#}");
    assert!(!tmp.exists(), "stale temporary files are removed");
    let ids = sample_counts().1;
    let df = lake_rows(&lake);
    assert_eq!(df.height(), ids.len(), "no event lost, none twice");
    assert_eq!(df.column("event_id").unwrap().n_unique().unwrap(), ids.len());
}

#[test]
fn exit_statuses_distinguish_usage_errors_and_failures() {
    assert_eq!(run(&["ingest", "sample-logs"]).status.code(), Some(2), "missing --lake is a usage error");
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    let dir = scratch("cannot-run");
    let not_a_dir = dir.join("file");
    std::fs::write(&not_a_dir, "x").unwrap();
    let out = run(&["ingest", p(&sample_logs()), "--lake", p(&not_a_dir), "--quiet"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("creating the lake"));
}

#[test]
fn a_missing_source_is_reported_and_the_rest_is_ingested() {
    let dir = scratch("missing-source");
    let src = dir.join("src");
    put_delivery(&src, "ok.json", &records_file(&[record("m-1", "2026-09-01T10:00:00Z", "ListBuckets")]));
    let lake = dir.join("lake");
    let (code, s) = ingest(&src, &lake, &[dir.join("does-not-exist").to_str().unwrap()]);
    assert_eq!(code, Some(3));
    assert_eq!(s["events_written"], 1);
    assert!(s["problems"][0]["file"].as_str().unwrap().ends_with("does-not-exist"));
}

#[test]
fn the_committed_sample_is_what_synth_generates() {
    let out = scratch("synth-sample");
    run_ok(&["synth", "--out", p(&out)]);
    fn files(root: &Path, dir: &Path, acc: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                files(root, &path, acc);
            } else {
                acc.push(path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    files(&out, &out, &mut a);
    files(&sample_logs(), &sample_logs(), &mut b);
    a.sort();
    b.sort();
    assert_eq!(a, b, "regenerate with `trailtrim synth --out sample-logs`");
    for f in &a {
        assert!(
            std::fs::read(out.join(f)).unwrap() == std::fs::read(sample_logs().join(f)).unwrap(),
            "{f} differs from the generator's output"
        );
    }
}
