//! `trailtrim run` (the README's main job) and `trailtrim report`.

use crate::common::*;
use std::path::Path;

fn run_pipeline(dir: &Path) -> std::process::Output {
    let mut args: Vec<String> =
        vec!["run".into(), p(&sample_logs()).into(), "--lake".into(), p(&dir.join("lake")).into()];
    args.extend(sample_iam_args());
    args.extend([
        "--credential-report".into(),
        p(&sample_logs().join("iam/credential-report.csv")).into(),
        "--out".into(),
        p(&dir.join("out")).into(),
        "--quiet".into(),
    ]);
    run_owned(&args)
}

#[test]
fn the_nightly_job_writes_every_output_and_is_deterministic() {
    let a = scratch("run-a");
    let out = run_pipeline(&a);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let o = a.join("out");
    for f in [
        "usage.json",
        "recommendations.json",
        "report.md",
        "findings.json",
        "findings.md",
        "compliance.html",
        "compliance.md",
        "summary.json",
    ] {
        assert!(o.join(f).is_file(), "{f} missing");
    }
    assert!(o.join("policies/111122223333/roles/app-server-role.json").is_file());
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(o.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["ingest"]["events_written"].as_u64().unwrap() as usize, sample_counts().1.len());
    assert_eq!(summary["findings"], 75, "the sample's findings");
    let findings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(o.join("findings.json")).unwrap()).unwrap();
    assert_eq!(findings["findings"].as_array().unwrap().len(), 75, "summary and findings.json agree");

    let html = std::fs::read_to_string(o.join("compliance.html")).unwrap();
    for section in trailtrim::report::compliance::SECTIONS {
        assert!(html.contains(section), "section {section} missing");
    }
    assert!(!html.contains("http://") && !html.contains("https://"), "the page must need no network");
    assert!(html.contains("behaviour.password-spray") && html.contains("app-server-role"));
    let md = std::fs::read_to_string(o.join("compliance.md")).unwrap();
    assert!(md.contains("| ") && md.contains("svc-backup"), "the unused user is listed");

    // Same input, same bytes; the second run takes its options from the shipped trailtrim.toml
    // (README's short command), with the folders overridden on the command line.
    let b = scratch("run-b");
    let config = repo().join("trailtrim.toml");
    let (lake, out) = (b.join("lake"), b.join("out"));
    let short = run(&[
        "run",
        "--config",
        p(&config),
        "--lake",
        p(&lake),
        "--out",
        p(&out),
        "--quiet",
        "--emit",
        "terraform",
        "--emit",
        "cli",
    ]);
    assert_eq!(short.status.code(), Some(0), "{}", String::from_utf8_lossy(&short.stderr));
    // `run --emit` writes the deployable forms as `recommend --emit` does.
    assert!(b.join("out/deploy/111122223333/main.tf").is_file());
    assert!(b.join("out/deploy/111122223333/apply.sh").is_file());
    assert!(!a.join("out/deploy").exists(), "no --emit, no deploy/");
    for f in ["compliance.html", "compliance.md", "recommendations.json", "findings.json", "usage.json", "report.md"] {
        assert_eq!(
            std::fs::read(o.join(f)).unwrap(),
            std::fs::read(b.join("out").join(f)).unwrap(),
            "{f} differs between runs"
        );
    }
}

#[test]
fn report_writes_html_or_markdown() {
    let dir = scratch("report");
    let mut args: Vec<String> = vec!["report".into(), "--lake".into(), p(sample_lake()).into()];
    args.extend(sample_iam_args());
    args.extend(["--credential-report".into(), p(&sample_logs().join("iam/credential-report.csv")).into()]);
    let mut html = args.clone();
    html.extend(["--out".into(), p(&dir.join("r.html")).into()]);
    assert!(run_owned(&html).status.success());
    assert!(std::fs::read_to_string(dir.join("r.html")).unwrap().starts_with("<!DOCTYPE html>"));
    let base = args.clone();
    args.extend(["--out".into(), p(&dir.join("r.md")).into(), "--format".into(), "md".into()]);
    assert!(run_owned(&args).status.success());
    let md = std::fs::read_to_string(dir.join("r.md")).unwrap();
    assert!(md.starts_with("# "), "{}", &md[..md.len().min(200)]);
    assert!(md.contains("Account hygiene"));
    // Without --out the report goes to stdout, so `--output FILE` works as everywhere.
    let stdout = run_owned(&[base.clone(), vec!["--format".into(), "md".into()]].concat());
    assert!(stdout.status.success());
    assert_eq!(String::from_utf8(stdout.stdout).unwrap(), md);
    let via_output = dir.join("o.md");
    let out =
        run_owned(&[base, vec!["--format".into(), "md".into(), "--output".into(), p(&via_output).into()]].concat());
    assert!(out.status.success() && out.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&via_output).unwrap(), md);
}
