//! The compliance page in a real browser: Debian's chromium (scripts/browser-env.sh) driven by
//! playwright (scripts/test-requirements.txt) through tests/cli/report_browser.py. A missing
//! browser or driver fails the test: CI installs both, so a skip would hide a broken page.

use crate::common::*;
use std::process::Command;

/// The sample report (with the credential report), in a scratch folder of its own (tests run in
/// parallel).
fn sample_report(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    let out = dir.join("compliance.html");
    let mut args: Vec<String> = vec!["report".into(), "--lake".into(), p(sample_lake()).into()];
    args.extend(sample_iam_args());
    args.extend(["--credential-report".into(), p(&sample_logs().join("iam/credential-report.csv")).into()]);
    args.extend(["--out".into(), p(&out).into()]);
    let run = run_owned(&args);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    out
}

#[test]
fn sample_report_has_incidents_principals_and_downloads() {
    let html = std::fs::read_to_string(sample_report("report-page")).unwrap();
    let incidents = html.matches("<article class=\"incident\"").count();
    assert!(incidents > 0 && html.matches("<ol class=\"timeline\">").count() == incidents, "incidents with timelines");
    assert!(html.find("<h2>Incidents</h2>") < html.find("<h2>Findings</h2>"), "incidents come first");
    let principals = html.matches("<details class=\"principal\"").count();
    assert_eq!(principals, html.matches("<td class=\"arn\" data-label=\"Principal\"><a href=\"#principal-").count());
    assert!(html.contains("<a class=\"download\" href=\"data:application/json;charset=utf-8,"));
    // Every principal whose permissions enable an escalation path shows them.
    let with_paths = sample_usage()["principals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["in_account"] == true && !p["escalation"]["granted"].as_array().unwrap().is_empty())
        .count();
    assert!(with_paths > 0, "the sample has principals with escalation paths");
    assert_eq!(html.matches("<th scope=\"col\">Category</th>").count(), with_paths);
}

#[test]
fn sample_report_works_in_headless_chromium() {
    let env = Command::new("bash").arg(repo().join("scripts/browser-env.sh")).output().expect("bash runs");
    assert!(env.status.success(), "scripts/browser-env.sh failed:\n{}", String::from_utf8_lossy(&env.stderr));
    let report = sample_report("report-browser");
    let out = Command::new(python())
        .arg(repo().join("tests/cli/report_browser.py"))
        .arg(&report)
        .output()
        .expect("python runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "browser checks failed on {}:\n{stdout}\n{stderr}", report.display());
    // The driver ran every check (a driver that stopped early would print fewer).
    assert!(stdout.lines().filter(|l| l.starts_with("ok: ")).count() >= 14, "{stdout}");
}
