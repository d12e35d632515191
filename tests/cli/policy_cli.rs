//! `trailtrim simulate`, `permissions` and `eval` against the sample account.

use crate::common::*;
use std::io::Write;
use std::process::{Command, Stdio};

fn simulate(principal: &str, action: &str, resource: &str, extra: &[&str]) -> serde_json::Value {
    let mut args: Vec<String> = vec!["simulate".into()];
    args.extend(sample_iam_args());
    for a in ["--principal", principal, "--action", action, "--resource", resource, "--json"] {
        args.push(a.into());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = run_owned(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn decision(v: &serde_json::Value) -> &str {
    v["evaluation"]["decision"].as_str().unwrap()
}

#[test]
fn simulate_follows_groups_managed_policies_scps_and_resource_policies() {
    // alice: admins group -> AWS managed AdministratorAccess, resolved from the shipped catalog.
    let v = simulate(&arn("user/alice"), "iam:CreateUser", &arn("user/new"), &[]);
    assert_eq!(decision(&v), "Allow");
    assert!(v["evaluation"]["statements"][0]["policy"].as_str().unwrap().ends_with("AdministratorAccess"));
    // carol: ReadOnlyAccess allows reads, nothing allows writes.
    assert_eq!(
        decision(&simulate(&arn("user/carol"), "s3:GetObject", "arn:aws:s3:::examplecorp-data/x", &[])),
        "Allow"
    );
    assert_eq!(
        decision(&simulate(&arn("user/carol"), "s3:PutObject", "arn:aws:s3:::examplecorp-data/x", &[])),
        "ImplicitDeny"
    );
    // The Workloads OU SCP denies leaving the organization even to an administrator.
    let v = simulate(&arn("user/alice"), "organizations:LeaveOrganization", "*", &[]);
    assert_eq!(decision(&v), "ExplicitDeny");
    assert_eq!(v["evaluation"]["statements"][0]["kind"], "Scp");
    // The bucket policy denies DeleteObject on examplecorp-data, whatever the role's policy says.
    let v = simulate(
        &arn("role/service/app-server-role"),
        "s3:DeleteObject",
        "arn:aws:s3:::examplecorp-data/reports/2026/10/01/a.csv",
        &[],
    );
    assert_eq!(decision(&v), "ExplicitDeny");
    assert_eq!(v["evaluation"]["statements"][0]["kind"], "Resource");
    // AssumeRole is decided by the role's trust policy: lambda-exec-role trusts only Lambda.
    let v = simulate(&arn("user/alice"), "sts:AssumeRole", &arn("role/service/lambda-exec-role"), &[]);
    assert_eq!(decision(&v), "ImplicitDeny");
    assert!(v["evaluation"]["reason"].as_str().unwrap().contains("trust policy"));
    // SCPs do not apply to service-linked roles.
    let v = simulate(
        &arn("role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"),
        "config:PutEvaluations",
        "*",
        &["--region", "ap-southeast-1"],
    );
    assert_ne!(decision(&v), "ExplicitDeny");
    // ci-deployer's PassRole is conditional on the service it is passed to.
    let role = arn("role/service/lambda-exec-role");
    let ok = simulate(
        &arn("user/ci-deployer"),
        "iam:PassRole",
        &role,
        &["--context", "iam:PassedToService=lambda.amazonaws.com"],
    );
    assert_eq!(decision(&ok), "Allow");
    let no = simulate(
        &arn("user/ci-deployer"),
        "iam:PassRole",
        &role,
        &["--context", "iam:PassedToService=ec2.amazonaws.com"],
    );
    assert_ne!(decision(&no), "Allow");
}

#[test]
fn simulate_explains_in_text_and_rejects_unknown_actions() {
    let mut args: Vec<String> = vec!["simulate".into()];
    args.extend(sample_iam_args());
    args.extend([
        "--principal".into(),
        arn("user/carol"),
        "--action".into(),
        "s3:PutObject".into(),
        "--resource".into(),
        "arn:aws:s3:::b/k".into(),
    ]);
    let text = String::from_utf8(run_owned(&args).stdout).unwrap();
    assert!(text.starts_with("ImplicitDeny  s3:PutObject"), "{text}");
    assert!(text.contains("reason:"));
    let n = args.len();
    args[n - 3] = "s3:GetObjectz".into();
    let out = run_owned(&args);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an action of the IAM action catalog"));
}

#[test]
fn permissions_reports_effective_access_by_service_and_level() {
    let mut args: Vec<String> = vec!["permissions".into()];
    args.extend(sample_iam_args());
    args.extend(["--principal".into(), arn("user/carol"), "--format".into(), "json".into()]);
    let v: serde_json::Value = serde_json::from_slice(&run_owned(&args).stdout).unwrap();
    let s3 = v["services"].as_array().unwrap().iter().find(|s| s["service"] == "s3").unwrap();
    // The region-guard SCP has conditions, so reads are allowed "under conditions" (partial).
    let read = [strings(&s3["levels"]["Read"]["full"]), strings(&s3["levels"]["Read"]["partial"])].concat();
    assert!(read.contains(&"s3:GetObject".to_owned()));
    let write = &s3["levels"]["Write"];
    assert!(
        write["full"].as_array().unwrap().is_empty() && write["partial"].as_array().unwrap().is_empty(),
        "ReadOnlyAccess grants no S3 write"
    );
    assert!(v["full"].as_u64().unwrap() + v["partial"].as_u64().unwrap() > 1000);

    let mut args: Vec<String> = vec!["permissions".into()];
    args.extend(sample_iam_args());
    args.extend(["--principal".into(), arn("user/svc-backup")]);
    let table = String::from_utf8(run_owned(&args).stdout).unwrap();
    assert!(table.lines().any(|l| l.starts_with("s3 ") && l.contains("Read")), "{table}");
    assert!(!table.lines().any(|l| l.starts_with("ec2 ")), "svc-backup has no EC2 access: {table}");
}

#[test]
fn eval_answers_each_line_in_order_and_reports_malformed_lines() {
    let allow = r#"{"id":"c1","request":{"principal":"arn:aws:iam::111122223333:user/alice","action":"s3:GetObject","resource":"arn:aws:s3:::bucket/key","resource_account":"111122223333","context":{"aws:SourceIp":"10.1.2.3"}},"identity_policies":[{"name":"p1","document":{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::bucket/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}}]}"#;
    let deny = r#"{"id":"c2","request":{"principal":"arn:aws:iam::111122223333:user/alice","action":"s3:GetObject","resource":"arn:aws:s3:::bucket/key"},"identity_policies":[{"name":"p1","document":{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}}],"scps":[[{"name":"root","document":{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"NoS3","Effect":"Deny","Action":"s3:*","Resource":"*"}]}}]]}"#;
    let input = format!("{allow}\nthis is not json\n{deny}\n");
    let mut child = Command::new(exe())
        .args(["eval", "--cases", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3), "a malformed line is reported and the rest go on");
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!((lines[0]["id"].as_str(), lines[0]["decision"].as_str()), (Some("c1"), Some("Allow")));
    assert_eq!(lines[0]["statements"][0]["sid"], "Read");
    assert!(lines[1]["error"].as_str().unwrap().contains("invalid JSON"));
    assert_eq!((lines[2]["id"].as_str(), lines[2]["decision"].as_str()), (Some("c2"), Some("ExplicitDeny")));
    assert_eq!(lines[2]["statements"][0]["sid"], "NoS3");
}

/// The specification tables, run through the command: every decision case as one line of
/// `eval --cases -`, each checked by eval itself against the case's expectations (`ok`). The
/// library runs the same tables in `src/policy/spec_tests.rs`.
#[test]
fn eval_agrees_with_every_specification_table() {
    let mut input = String::new();
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(repo().join("tests/policy_spec")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".json") || name == "parse_errors.json" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for mut case in trailtrim::policy::case::expand_table(&text).unwrap_or_else(|e| panic!("{name}: {e}")) {
            // Static-access cases have no request to decide.
            if trailtrim::policy::case::split_access(&mut case).is_some() {
                continue;
            }
            ids.push(format!("{name}:{}", case["id"].as_str().unwrap()));
            input.push_str(&serde_json::to_string(&case).unwrap());
            input.push('\n');
        }
    }
    let mut child = Command::new(exe())
        .args(["eval", "--cases", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), ids.len());
    assert_eq!(lines.len(), 350, "every decision case of the tables");
    let failed: Vec<String> = ids
        .iter()
        .zip(&lines)
        .filter(|(_, l)| l["ok"] != true)
        .map(|(id, l)| format!("{id}: {}", l.get("mismatches").unwrap_or(l)))
        .collect();
    assert!(failed.is_empty(), "{} cases differ through eval:\n{}", failed.len(), failed.join("\n"));
    assert_eq!(out.status.code(), Some(0));
}
