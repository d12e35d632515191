//! `trailtrim usage` on the sample lake: exact used-action sets, denied apart, service calls apart.

use crate::common::*;
use std::collections::BTreeSet;

fn used(arn: &str) -> BTreeSet<String> {
    principal(sample_usage(), arn)["used"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["action"].as_str().unwrap().to_owned())
        .collect()
}

fn denied(arn: &str) -> BTreeSet<String> {
    principal(sample_usage(), arn)["denied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["action"].as_str().unwrap().to_owned())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn used_entry<'a>(arn: &str, action: &str) -> &'a serde_json::Value {
    principal(sample_usage(), arn)["used"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["action"] == action)
        .unwrap_or_else(|| panic!("{arn} did not use {action}"))
}

#[test]
fn ec2_instance_role_used_exactly_its_workload_and_the_denied_only_action_is_apart() {
    let role = arn("role/service/app-server-role");
    assert_eq!(
        used(&role),
        set(&[
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Query",
            "kms:Decrypt",
            "logs:CreateLogStream",
            "s3:GetObject",
            "s3:ListBucket",
            "s3:PutObject",
            "sqs:DeleteMessage",
            "sqs:ReceiveMessage",
            "sqs:SendMessage",
            "ssm:GetParameters",
        ])
    );
    // DeleteObject is granted by the role but always refused by the bucket policy: denied, never used.
    assert!(denied(&role).contains("s3:DeleteObject"));
    let p = principal(sample_usage(), &role);
    let d = p["denied"].as_array().unwrap().iter().find(|d| d["action"] == "s3:DeleteObject").unwrap();
    assert_eq!(strings(&d["error_codes"]), vec!["AccessDenied"]);
    assert!(!strings(&p["unused"]).contains(&"s3:GetObject".to_owned()));
    // The actor of an EC2 role session is the instance.
    let actors = strings(&used_entry(&role, "s3:GetObject")["actors"]);
    assert!(actors.iter().any(|a| a.starts_with("i-0abc1234def5678")), "{actors:?}");
    assert_eq!(p["type"], "role");
}

#[test]
fn sso_role_keeps_its_two_humans_apart_as_actors() {
    let role = arn("role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DeveloperAccess_0123456789abcdef");
    let u = used(&role);
    for a in ["cloudformation:UpdateStack", "ec2:RunInstances", "ssm:StartSession", "s3:GetObject", "iam:PassRole"] {
        assert!(u.contains(a), "{a} missing from {u:?}");
    }
    assert_eq!(strings(&used_entry(&role, "cloudformation:UpdateStack")["actors"]), vec!["dana@example.com"]);
    assert_eq!(strings(&used_entry(&role, "ssm:StartSession")["actors"]), vec!["erik@example.com"]);
    // CloudFormation's own calls for dana are the service's, not the role's own use.
    let via: Vec<String> = principal(sample_usage(), &role)["via_service"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| format!("{} {}", v["service"].as_str().unwrap(), v["action"].as_str().unwrap()))
        .collect();
    assert!(via.contains(&"cloudformation.amazonaws.com sqs:CreateQueue".to_owned()), "{via:?}");
    assert!(!u.contains("sqs:CreateQueue") && !u.contains("dynamodb:CreateTable"));
    // RunInstances passed the instance profile: PassRole of the profile's role, to EC2.
    let pass = used_entry(&role, "iam:PassRole");
    assert_eq!(strings(&pass["resources"]), vec![arn("role/service/app-server-role")]);
}

#[test]
fn ci_deployer_maps_dated_lambda_names_and_passrole() {
    let user = arn("user/ci-deployer");
    assert_eq!(
        used(&user),
        set(&[
            "cloudformation:DescribeStacks",
            "cloudformation:UpdateStack",
            "cloudformation:ValidateTemplate",
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:GetFunction",
            "lambda:ListFunctions",
            "lambda:UpdateFunctionCode",
            "s3:PutObject",
        ])
    );
    assert_eq!(strings(&used_entry(&user, "iam:PassRole")["resources"]), vec![arn("role/service/lambda-exec-role")]);
    assert_eq!(used_entry(&user, "lambda:CreateFunction")["count"], 1);
    assert!(denied(&user).contains("lambda:UpdateFunctionCode"), "the refused legacy-billing update is listed apart");
}

#[test]
fn service_calls_on_a_users_behalf_are_not_the_users_own_use() {
    let bob = arn("user/bob");
    let u = used(&bob);
    assert!(
        !u.contains("glue:GetTable") && !u.contains("glue:GetDatabase"),
        "Athena's Glue calls are not bob's: {u:?}"
    );
    let via = principal(sample_usage(), &bob)["via_service"].as_array().unwrap().clone();
    assert!(via.iter().any(|v| v["service"] == "athena.amazonaws.com" && v["action"] == "glue:GetTable"));
    assert!(u.contains("lambda:InvokeFunction"), "lambda Invoke data events map to lambda:InvokeFunction");
    assert!(u.contains("cloudwatch:GetMetricData"), "monitoring.amazonaws.com maps to cloudwatch");
    assert_eq!(denied(&bob), set(&["ec2:RunInstances", "iam:ListRoles", "s3:GetObject"]));
}

#[test]
fn principals_that_made_no_call_are_listed_with_nothing_used() {
    for p in [arn("role/unused-role"), arn("user/svc-backup")] {
        let e = principal(sample_usage(), &p);
        assert!(e["used"].as_array().unwrap().is_empty(), "{p}");
        assert!(!e["unused"].as_array().unwrap().is_empty(), "{p} has granted actions, all unused");
    }
    let alice = principal(sample_usage(), &arn("user/alice"));
    assert!(used(&arn("user/alice")).contains("cloudfront:ListDistributions"), "ListDistributions2020_05_31");
    assert!(used(&arn("user/alice")).contains("ses:GetSendQuota"), "email.amazonaws.com maps to ses");
    // AdministratorAccess: S3 object reads are data events, which the sample logs for S3, so they are
    // observable and unused; a service whose data events are never logged stays unobservable.
    let unobservable = strings(&alice["unobservable"]);
    assert!(unobservable.contains(&"logs:PutLogEvents".to_owned()), "log ingestion is not recorded");
    assert!(
        strings(&alice["unused"]).contains(&"iam:PassRole".to_owned()),
        "PassRole is inferred, so never passing a role is unused"
    );
    assert!(!unobservable.contains(&"s3:GetObject".to_owned()));
}

#[test]
fn the_mapping_report_covers_every_event() {
    let m = &sample_usage()["mapping"];
    let ids = sample_counts().1.len() as u64;
    assert_eq!(m["events"].as_u64().unwrap(), ids);
    let parts = ["mapped", "no_permission_needed", "not_api_call", "unmapped"].map(|k| m[k].as_u64().unwrap());
    assert_eq!(parts.iter().sum::<u64>(), ids);
    assert!(m["no_permission_needed"].as_u64().unwrap() > 0, "GetCallerIdentity needs no permission");
    assert!(m["not_api_call"].as_u64().unwrap() > 0, "console sign-ins are classified, not mapped");
    assert!(m["share_mapped"].as_f64().unwrap() > 0.99);
}

#[test]
fn unmapped_events_are_counted_by_source_and_name() {
    let dir = scratch("unmapped");
    let mut r = record("u-1", "2026-09-01T10:00:00Z", "FrobnicateWidget");
    r["eventSource"] = "widgets.amazonaws.com".into();
    put_delivery(
        &dir.join("logs"),
        "u.json",
        &records_file(&[r, record("u-2", "2026-09-01T10:01:00Z", "ListBuckets")]),
    );
    let lake = dir.join("lake");
    run_ok(&["ingest", p(&dir.join("logs")), "--lake", p(&lake), "--quiet"]);
    let mut args: Vec<String> =
        vec!["usage".into(), "--lake".into(), p(&lake).into(), "--format".into(), "json".into()];
    args.extend(sample_iam_args());
    let out = run_owned(&args);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["mapping"]["unmapped"], 1);
    assert_eq!(v["mapping"]["unmapped_events"][0]["event_source"], "widgets.amazonaws.com");
    assert_eq!(v["mapping"]["unmapped_events"][0]["event_name"], "FrobnicateWidget");
    assert_eq!(v["mapping"]["share_mapped"], 0.5);
}

#[test]
fn credential_report_findings_are_included() {
    let kinds: BTreeSet<String> = sample_usage()["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {}", c["user"].as_str().unwrap(), c["kind"].as_str().unwrap()))
        .collect();
    assert!(kinds.iter().any(|k| k.starts_with("carol ") && k.contains("mfa")), "{kinds:?}");
    assert!(kinds.iter().any(|k| k.starts_with("svc-backup ")), "{kinds:?}");
}

#[test]
fn window_and_principal_filters_and_other_formats() {
    let lake = sample_lake();
    let dave = arn("user/dave");
    let mut args: Vec<String> = vec![
        "usage".into(),
        "--lake".into(),
        p(lake).into(),
        "--principal".into(),
        dave.clone(),
        "--to".into(),
        "2026-10-07".into(),
    ];
    args.extend(sample_iam_args());
    args.extend(["--format".into(), "json".into()]);
    let v: serde_json::Value = serde_json::from_slice(&run_owned(&args).stdout).unwrap();
    assert_eq!(v["principals"].as_array().unwrap().len(), 1);
    let before: BTreeSet<String> = v["principals"][0]["used"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["action"].as_str().unwrap().to_owned())
        .collect();
    assert!(!before.contains("secretsmanager:GetSecretValue"), "dave first read a secret on 2026-10-08");
    assert!(used(&dave).contains("secretsmanager:GetSecretValue"));
    let n = args.len();
    args[n - 1] = "csv".into();
    let csv = String::from_utf8(run_owned(&args).stdout).unwrap();
    assert!(csv.starts_with("principal,type,action,status,count,first_seen,last_seen\n"));
    assert!(csv.contains(&format!("{dave},user,s3:GetObject,used,")));
    args[n - 1] = "table".into();
    let table = String::from_utf8(run_owned(&args).stdout).unwrap();
    assert!(table.contains(&dave) && table.contains("% of API calls mapped"));
}

#[test]
fn usage_facts_are_recomputed_only_for_partitions_with_new_events() {
    let dir = scratch("incremental-usage");
    let lake = dir.join("lake");
    put_delivery(&dir.join("a"), "a.json", &records_file(&[record("i-1", "2026-09-01T10:00:00Z", "ListBuckets")]));
    let first = json(&["ingest", p(&dir.join("a")), "--lake", p(&lake), "--quiet", "--json"]);
    assert_eq!((&first["state"]["partitions"], &first["state"]["recomputed"]), (&1.into(), &1.into()));
    assert_eq!(trailtrim::usage::facts::refresh(&lake).unwrap().recomputed, 0);
    let d = dir.join("b/AWSLogs/111122223333/CloudTrail/us-east-1/2026/09/02");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("b.json"), records_file(&[record("i-2", "2026-09-02T10:00:00Z", "ListBuckets")])).unwrap();
    let third = json(&["ingest", p(&dir.join("b")), "--lake", p(&lake), "--quiet", "--json"]);
    assert_eq!((&third["state"]["partitions"], &third["state"]["recomputed"]), (&2.into(), &1.into()));
}
