//! Tests of event mapping: the override table row by row, specific mappings, and the panther
//! sample records.

use super::overrides::{overrides, OverrideTarget};
use super::*;
use crate::catalog::catalog;

fn api<'a>(source: &'a str, name: &'a str) -> EventFields<'a> {
    EventFields {
        event_source: source,
        event_name: name,
        event_type: Some("AwsApiCall"),
        aws_region: Some("us-east-1"),
        recipient_account_id: Some("123456789012"),
        ..Default::default()
    }
}

fn action_names(m: &Mapping) -> Vec<&str> {
    m.actions.iter().map(|a| a.action.as_str()).collect()
}

#[test]
fn every_override_row_exists_in_catalog_and_is_returned() {
    let cat = catalog();
    for row in overrides() {
        let ev = api(&row.event_source, &row.event_name);
        let m = map_event(&ev);
        match &row.target {
            OverrideTarget::NoPermission => {
                assert_eq!(m.status, MappingStatus::NoPermissionNeeded, "{} {}", row.event_source, row.event_name);
                assert!(m.actions.is_empty());
            }
            OverrideTarget::Actions(list) => {
                for a in list {
                    assert_eq!(
                        cat.canonical(a).as_deref(),
                        Some(a.as_str()),
                        "override action {a} is not a canonical catalog action"
                    );
                }
                assert_eq!(m.status, MappingStatus::Mapped, "{} {}", row.event_source, row.event_name);
                let got: Vec<&str> = m.actions.iter().filter(|a| !a.dependent).map(|a| a.action.as_str()).collect();
                let want: Vec<&str> = list.iter().map(String::as_str).collect();
                assert_eq!(got, want, "{} {}", row.event_source, row.event_name);
            }
        }
    }
}

#[test]
fn s3_names_and_copy_resources() {
    let mut ev = api("s3.amazonaws.com", "CopyObject");
    ev.request_parameters =
        Some(r#"{"bucketName":"dst","key":"a/b.txt","x-amz-copy-source":"src/c%20d.txt?versionId=1"}"#);
    let m = map_event(&ev);
    assert_eq!(action_names(&m), vec!["s3:PutObject", "s3:GetObject"]);
    assert_eq!(m.actions[0].resources, vec!["arn:aws:s3:::dst/a/b.txt"]);
    assert_eq!(m.actions[1].resources, vec!["arn:aws:s3:::src/c d.txt"]);

    let mut ev = api("s3.amazonaws.com", "ListObjects");
    ev.request_parameters = Some(r#"{"bucketName":"b","prefix":""}"#);
    let m = map_event(&ev);
    assert_eq!(action_names(&m), vec!["s3:ListBucket"]);
    assert_eq!(m.actions[0].resources, vec!["arn:aws:s3:::b"]);
    // The default rule still applies where names agree.
    assert_eq!(action_names(&map_event(&api("s3.amazonaws.com", "GetBucketPolicy"))), vec!["s3:GetBucketPolicy"]);
}

#[test]
fn record_resources_take_precedence_and_copy_source_stays_on_read_side() {
    let mut ev = api("s3.amazonaws.com", "CopyObject");
    ev.request_parameters = Some(r#"{"bucketName":"dst","key":"k","x-amz-copy-source":"src/k"}"#);
    ev.resources = Some(
        r#"[{"ARN":"arn:aws:s3:::src/k","type":"AWS::S3::Object"},{"ARN":"arn:aws:s3:::dst/k","type":"AWS::S3::Object"},{"ARN":"arn:aws:s3:::dst","type":"AWS::S3::Bucket"}]"#,
    );
    let m = map_event(&ev);
    assert_eq!(m.actions[0].resources, vec!["arn:aws:s3:::dst/k"]);
    assert_eq!(m.actions[1].resources, vec!["arn:aws:s3:::src/k"]);
}

#[test]
fn pass_role_is_inferred() {
    let mut ev = api("lambda.amazonaws.com", "CreateFunction20150331");
    ev.request_parameters = Some(
        r#"{"functionName":"f","role":"arn:aws:iam::123456789012:role/service-role/exec","runtime":"python3.12"}"#,
    );
    let m = map_event(&ev);
    assert_eq!(action_names(&m), vec!["lambda:CreateFunction", "iam:PassRole"]);
    assert_eq!(m.actions[0].resources, vec!["arn:aws:lambda:us-east-1:123456789012:function:f"]);
    let pr = &m.actions[1];
    assert!(pr.dependent);
    assert_eq!(pr.resources, vec!["arn:aws:iam::123456789012:role/service-role/exec"]);
    assert_eq!(pr.passed_to_service.as_deref(), Some("lambda.amazonaws.com"));

    let mut ev = api("ec2.amazonaws.com", "RunInstances");
    ev.request_parameters = Some(r#"{"iamInstanceProfile":{"name":"web"},"instanceType":"t3.micro"}"#);
    let m = map_event(&ev);
    assert_eq!(action_names(&m), vec!["ec2:RunInstances", "iam:PassRole"]);
    assert_eq!(m.actions[1].resources, vec!["arn:aws:iam::123456789012:instance-profile/web"]);
    assert_eq!(m.actions[1].passed_to_service.as_deref(), Some("ec2.amazonaws.com"));

    // Reads and deletes naming a role pass nothing; nor does AssumeRole.
    let mut ev = api("sts.amazonaws.com", "AssumeRole");
    ev.request_parameters = Some(r#"{"roleArn":"arn:aws:iam::123456789012:role/x","roleSessionName":"s"}"#);
    let m = map_event(&ev);
    assert_eq!(action_names(&m), vec!["sts:AssumeRole"]);
    assert_eq!(m.actions[0].resources, vec!["arn:aws:iam::123456789012:role/x"]);
}

#[test]
fn classification_and_status() {
    let mut ev = api("signin.amazonaws.com", "ConsoleLogin");
    ev.event_type = Some("AwsConsoleSignIn");
    assert_eq!(classify(&ev), EventClass::ConsoleSignIn);
    assert_eq!(map_event(&ev).status, MappingStatus::NotApiCall);
    let mut svc = api("ec2.amazonaws.com", "SharedSnapshotCopyInitiated");
    svc.event_type = Some("AwsServiceEvent");
    assert_eq!(classify(&svc), EventClass::ServiceEvent);
    let mut ins = api("ec2.amazonaws.com", "RunInstances");
    ins.event_type = Some("AwsCloudTrailInsight");
    assert_eq!(classify(&ins), EventClass::Insight);
    let mut act = api("s3.amazonaws.com", "x");
    act.event_type = Some("AwsConsoleAction");
    assert_eq!(classify(&act), EventClass::ConsoleAction);
    assert_eq!(map_event(&api("sts.amazonaws.com", "GetCallerIdentity")).status, MappingStatus::NoPermissionNeeded);
    assert_eq!(map_event(&api("iam.amazonaws.com", "MadeUpCall")).status, MappingStatus::Unmapped);
}

#[test]
fn dynamodb_partiql_and_transactions() {
    let mut ev = api("dynamodb.amazonaws.com", "ExecuteStatement");
    ev.request_parameters = Some(r#"{"statement":"SELECT * FROM \"t\" WHERE pk = ?"}"#);
    assert_eq!(action_names(&map_event(&ev)), vec!["dynamodb:PartiQLSelect"]);
    let mut ev = api("dynamodb.amazonaws.com", "TransactWriteItems");
    ev.request_parameters = Some(r#"{"transactItems":[{"put":{"tableName":"t"}},{"delete":{"tableName":"t"}}]}"#);
    assert_eq!(action_names(&map_event(&ev)), vec!["dynamodb:DeleteItem", "dynamodb:PutItem"]);
}

/// Owned copy of the fields of one sample record.
struct Owned {
    v: [Option<String>; 19],
}

fn owned_fields(e: &serde_json::Value) -> Owned {
    let s = |v: Option<&serde_json::Value>| -> Option<String> {
        match v? {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    };
    let ui = e.get("userIdentity");
    let uget = |k: &str| ui.and_then(|u| u.get(k));
    let issuer = ui.and_then(|u| u.pointer("/sessionContext/sessionIssuer"));
    Owned {
        v: [
            s(e.get("eventSource")),
            s(e.get("eventName")),
            s(e.get("eventType")),
            s(uget("type")),
            s(uget("arn")),
            s(uget("principalId")),
            s(uget("accountId")),
            s(uget("userName")),
            s(uget("invokedBy")),
            s(issuer.and_then(|i| i.get("arn"))),
            s(issuer.and_then(|i| i.get("type"))),
            None,
            s(ui.and_then(|u| u.pointer("/sessionContext/sourceIdentity"))),
            s(e.get("sourceIPAddress")),
            s(e.get("awsRegion")),
            s(e.get("recipientAccountId")),
            s(e.get("requestParameters")),
            s(e.get("resources")),
            s(e.get("errorCode")),
        ],
    }
}

fn fields(o: &Owned) -> EventFields<'_> {
    let g = |i: usize| o.v[i].as_deref();
    EventFields {
        event_source: g(0).unwrap_or(""),
        event_name: g(1).unwrap_or(""),
        event_type: g(2),
        identity_type: g(3),
        identity_arn: g(4),
        principal_id: g(5),
        account_id: g(6),
        user_name: g(7),
        invoked_by: g(8),
        session_issuer_arn: g(9),
        session_issuer_type: g(10),
        session_name: g(11),
        source_identity: g(12),
        source_ip: g(13),
        aws_region: g(14),
        recipient_account_id: g(15),
        request_parameters: g(16),
        resources: g(17),
        error_code: g(18),
        ..Default::default()
    }
}

/// Real-world records (detection-rule fixtures); `TRAILTRIM_SAMPLES` overrides the path.
const SAMPLES_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/panther-cloudtrail-tests.jsonl");

fn sample_records() -> Vec<Owned> {
    let path = std::env::var("TRAILTRIM_SAMPLES").unwrap_or_else(|_| SAMPLES_PATH.to_string());
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read sample records {path}: {e} (set TRAILTRIM_SAMPLES)"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("sample line is JSON");
            owned_fields(&v["event"])
        })
        .collect()
}

#[test]
fn panther_samples_map_well() {
    let cat = catalog();
    let recs = sample_records();
    assert!(recs.len() > 400);
    let (mut api_calls, mut mapped, mut no_perm) = (0usize, 0usize, 0usize);
    let mut unmapped = Vec::new();
    for o in &recs {
        let ev = fields(o);
        let m = map_event(&ev);
        for a in &m.actions {
            assert_eq!(cat.canonical(&a.action).as_deref(), Some(a.action.as_str()), "{a:?}");
            for r in &a.resources {
                assert!(r.starts_with("arn:"), "{r}");
            }
        }
        let _ = resolve_principal(&ev);
        match m.status {
            MappingStatus::Mapped => {
                api_calls += 1;
                mapped += 1;
            }
            MappingStatus::NoPermissionNeeded => {
                api_calls += 1;
                no_perm += 1;
            }
            MappingStatus::Unmapped => {
                api_calls += 1;
                unmapped.push(format!("{} {}", ev.event_source, ev.event_name));
            }
            MappingStatus::NotApiCall => {}
        }
    }
    unmapped.sort();
    // The samples are detection-rule fixtures; some use names that are not real API calls of
    // that service (negative tests) or lack an event source. Anything else unmapped is a gap.
    const SYNTHETIC: &[&str] = &[
        " DeleteBucket",
        " DeleteObject",
        "cloudtrail.amazonaws.com DeleteRule",
        "cloudtrail.amazonaws.com DescribeTrail",
        "cloudtrail.amazonaws.com EnableRegion",
        "ec2.amazonaws.com DeleteBucketEncryption",
        "ec2.amazonaws.com DeleteBucketPublicAccessBlock",
        "ec2.amazonaws.com DeleteBucketReplication",
        "ec2.amazonaws.com PutBucketLogging",
        "ec2.amazonaws.com PutBucketVersioning",
        "ec2.amazonaws.com RegisterManagedInstance",
        "ec2messages.amazonaws.com SendHeartbeat",
        "iam.amazonaws.com DescribePolicy",
        "iam.amazonaws.com DetachUserGroup",
        "iam.amazonaws.com NotCreateUser",
        "iam.amazonaws.com PutPolicy",
        "macie.amazonaws.com UpdateMacieSession",
        "s3.amazonaws.com CreateServiceLinkedRole",
        "s3.amazonaws.com SetQueueAttributes",
    ];
    let gaps: Vec<&String> = unmapped.iter().filter(|u| !SYNTHETIC.contains(&u.as_str())).collect();
    assert!(gaps.is_empty(), "unmapped real API calls: {gaps:?}");
    let share = (mapped + no_perm) as f64 / api_calls as f64;
    println!(
        "panther samples: {} records, {api_calls} API calls, {mapped} mapped, {no_perm} no-permission, {} unmapped ({:.1}% resolved): {unmapped:?}",
        recs.len(),
        unmapped.len(),
        share * 100.0
    );
    assert!(share >= 0.94, "only {:.1}% of API calls resolved: {unmapped:?}", share * 100.0);
}

#[test]
fn get_session_token_needs_no_permission() {
    assert_eq!(map_event(&api("sts.amazonaws.com", "GetSessionToken")).status, MappingStatus::NoPermissionNeeded);
}

#[test]
fn roles_in_nested_request_fields_are_passed() {
    // EC2 flow logs: the role is `DeliverLogsPermissionArn` inside `CreateFlowLogsRequest`.
    let mut ev = api("ec2.amazonaws.com", "CreateFlowLogs");
    ev.request_parameters = Some(
        r#"{"CreateFlowLogsRequest":{"ResourceId":{"item":"vpc-1"},"ResourceType":"VPC","TrafficType":"ALL",
            "LogDestinationType":"cloud-watch-logs","LogGroupName":"flow",
            "DeliverLogsPermissionArn":"arn:aws:iam::123456789012:role/flow-logs"}}"#,
    );
    let m = map_event(&ev);
    assert_eq!(action_names(&m), vec!["ec2:CreateFlowLogs", "iam:PassRole"]);
    assert_eq!(m.actions[1].resources, vec!["arn:aws:iam::123456789012:role/flow-logs"]);
    assert_eq!(m.actions[1].passed_to_service.as_deref(), Some("ec2.amazonaws.com"));

    // S3 replication: `replicationConfiguration.role`, nested.
    let mut ev = api("s3.amazonaws.com", "PutBucketReplication");
    ev.request_parameters = Some(
        r#"{"bucketName":"b","ReplicationConfiguration":{"Role":"arn:aws:iam::123456789012:role/repl","Rule":[]}}"#,
    );
    let m = map_event(&ev);
    assert!(m
        .actions
        .iter()
        .any(|a| a.action == "iam:PassRole" && a.resources == ["arn:aws:iam::123456789012:role/repl"]));

    // A role named in a policy document or as a principal is not passed.
    let mut ev = api("sqs.amazonaws.com", "CreateQueue");
    ev.request_parameters = Some(
        r#"{"queueName":"q","attributes":{"RedrivePolicy":{"role":"arn:aws:iam::123456789012:role/no"}},
            "principals":{"roleArn":"arn:aws:iam::123456789012:role/no"}}"#,
    );
    assert!(!action_names(&map_event(&ev)).contains(&"iam:PassRole"));
}

#[test]
fn batch_get_secret_value_with_filters_also_lists_secrets() {
    let mut ev = api("secretsmanager.amazonaws.com", "BatchGetSecretValue");
    ev.request_parameters = Some(r#"{"filters":[{"key":"name","values":["prod/"]}]}"#);
    assert_eq!(action_names(&map_event(&ev)), vec!["secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets"]);
    ev.request_parameters = Some(r#"{"secretIdList":["prod/db"]}"#);
    assert_eq!(action_names(&map_event(&ev)), vec!["secretsmanager:BatchGetSecretValue"]);
}

#[test]
fn lambda_versions_and_aliases_resolve_to_the_function() {
    let f = "arn:aws:lambda:us-east-1:123456789012:function:orders";
    for name in [
        "orders:PROD",
        "orders:7",
        "123456789012:function:orders:PROD",
        "arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST",
        "arn:aws:lambda:us-east-1:123456789012:function:orders",
    ] {
        let mut ev = api("lambda.amazonaws.com", "GetFunction20150331v2");
        let params = format!(r#"{{"functionName":"{name}"}}"#);
        ev.request_parameters = Some(Box::leak(params.into_boxed_str()));
        assert_eq!(map_event(&ev).actions[0].resources, vec![f], "{name}");
    }
    // The record's own resources[] with a qualified ARN too.
    let mut ev = api("lambda.amazonaws.com", "Invoke");
    ev.resources =
        Some(r#"[{"ARN":"arn:aws:lambda:us-east-1:123456789012:function:orders:3","type":"AWS::Lambda::Function"}]"#);
    assert_eq!(map_event(&ev).actions[0].resources, vec![f]);
}
