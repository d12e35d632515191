//! `trailtrim query`: SQL over the lake, and the investigation library.

use crate::common::*;

#[test]
fn sql_over_the_sample_lake_in_every_format() {
    let lake = sample_lake();
    let ids = sample_counts().1;
    let v = json(&["query", "SELECT count(*) AS n FROM events", "--lake", p(lake), "--format", "json"]);
    assert_eq!(v[0]["n"].as_u64().unwrap() as usize, ids.len());

    let csv = run_ok(&[
        "query",
        "SELECT event_name, count(*) AS n FROM events WHERE event_source = 's3.amazonaws.com' GROUP BY event_name ORDER BY n DESC, event_name",
        "--lake",
        p(lake),
        "--format",
        "csv",
    ]);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("event_name,n"));
    assert_eq!(lines.count(), 13, "the sample's distinct S3 event names");

    let table =
        run_ok(&["query", "SELECT event_id, event_time FROM events ORDER BY event_time LIMIT 3", "--lake", p(lake)]);
    assert!(table.starts_with("event_id"), "{table}");
    assert!(table.contains("2026-09-01T"), "times print as UTC ISO-8601: {table}");
    assert!(table.trim_end().ends_with("(3 rows)"));
}

#[test]
fn invalid_sql_is_a_clear_error() {
    let out = run(&["query", "SELEC nonsense", "--lake", p(sample_lake())]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SQL"));
}
