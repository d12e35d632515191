//! Recommendation tests on small hand-made policy sets and usage facts.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::*;
use crate::catalog::catalog;
use crate::policy::{parse_policy, NamedPolicy, PolicyKind, PolicySet};

const ACCOUNT: &str = "111122223333";
const DAY: i64 = 86_400_000;
/// 2026-01-01T00:00:00Z
const T0: i64 = 1_767_225_600_000;

fn pol(name: &str, doc: Value) -> NamedPolicy {
    NamedPolicy::new(name, PolicyKind::Identity, parse_policy(&doc).expect("test policy parses"))
}

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn input(kind: PrincipalKind, name: &str, policies: Vec<NamedPolicy>, observed: Vec<ObservedCall>) -> PrincipalInput {
    let arn = match kind {
        PrincipalKind::Role => format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
        PrincipalKind::User => format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
        PrincipalKind::Group => format!("arn:aws:iam::{ACCOUNT}:group/{name}"),
    };
    PrincipalInput {
        arn,
        kind,
        name: name.into(),
        account: ACCOUNT.into(),
        policies: PolicySet { identity: policies, ..PolicySet::default() },
        resource_policies: BTreeMap::new(),
        created_ms: Some(T0 - 400 * DAY),
        observed,
        denied: Vec::new(),
        unobservable: BTreeSet::new(),
        incident_only: Vec::new(),
        window_start_ms: T0,
        window_end_ms: T0 + 90 * DAY,
    }
}

fn call(action: &str, resource: Option<&str>, count: u64) -> ObservedCall {
    ObservedCall {
        action: action.into(),
        resource: resource.map(str::to_string),
        count,
        first_seen_ms: T0 + DAY,
        last_seen_ms: T0 + 80 * DAY,
        sample_event_ids: vec![format!("evt-{action}-{}", resource.unwrap_or("none").len())],
        passed_to_service: None,
        context: Vec::new(),
    }
}

/// All statements of all documents.
fn statements(r: &Recommendation) -> Vec<Value> {
    r.documents.iter().flat_map(|d| d["Statement"].as_array().cloned().unwrap_or_default()).collect()
}

fn as_list(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

fn proposed_actions(r: &Recommendation) -> BTreeSet<String> {
    statements(r).iter().filter(|s| s["Effect"] == "Allow").flat_map(|s| as_list(&s["Action"])).collect()
}

/// The statement allowing an action (first match).
fn statement_for(r: &Recommendation, action: &str) -> Value {
    statements(r)
        .into_iter()
        .find(|s| s["Effect"] == "Allow" && as_list(&s["Action"]).iter().any(|a| a == action))
        .unwrap_or_else(|| panic!("no statement for {action}: {:#?}", r.documents))
}

fn app_policy() -> NamedPolicy {
    pol(
        "app-inline",
        doc(json!([
            {"Sid": "S3", "Effect": "Allow", "Action": "s3:*",
             "Resource": ["arn:aws:s3:::examplecorp-data", "arn:aws:s3:::examplecorp-data/*"]},
            {"Sid": "Ec2Read", "Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"},
            {"Sid": "Dynamo", "Effect": "Allow", "Action": "dynamodb:*",
             "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/*"}
        ])),
    )
}

fn assert_verified(r: &Recommendation) {
    assert!(r.ok, "not ok: {:#?}\n{:#?}", r.verification, r.documents);
    assert_eq!(r.verification.still_allowed, r.verification.replayed_calls);
    assert!(!r.verification.broader_than_original);
    for d in &r.documents {
        parse_policy(d).expect("proposal parses");
    }
}

#[test]
fn trim_keeps_only_used_actions() {
    let i = input(
        PrincipalKind::Role,
        "app",
        vec![app_policy()],
        vec![
            call("s3:GetObject", Some("arn:aws:s3:::examplecorp-data/a.csv"), 5),
            call("s3:ListBucket", Some("arn:aws:s3:::examplecorp-data"), 2),
            call("ec2:DescribeInstances", None, 40),
        ],
    );
    let r = recommend(&i, &RecommendOptions::default());
    assert_verified(&r);
    assert_eq!(
        proposed_actions(&r),
        ["ec2:DescribeInstances", "s3:GetObject", "s3:ListBucket"].iter().map(|s| s.to_string()).collect()
    );
    assert_eq!(r.used_actions, 3);
    assert_eq!(r.verification.replayed_calls, 3);
    assert_eq!(r.verification.replayed_events, 47);
    assert!(r.granted_actions > 100, "{}", r.granted_actions);
    assert_eq!(r.removed_actions, r.granted_actions - 3);
    assert_eq!(statement_for(&r, "s3:GetObject")["Resource"], "arn:aws:s3:::examplecorp-data/a.csv");
    assert_eq!(statement_for(&r, "ec2:DescribeInstances")["Resource"], "*");
    assert_eq!(r.dead_statements, vec!["app-inline#Dynamo"]);
    assert_eq!(r.confidence, Confidence::High, "{:?}", r.confidence_reasons);
    // Provenance in the evidence.
    let ev = r.evidence.iter().find(|e| e.action == "s3:GetObject").unwrap();
    assert_eq!(ev.statements, vec!["app-inline#S3"]);
    assert_eq!(ev.count, 5);
    assert_eq!(ev.first_seen, "2026-01-02T00:00:00Z");
    // Sparse wildcards: s3:* used for 2 actions.
    assert!(r.sparse_wildcards.iter().any(|w| w.pattern == "s3:*" && w.used.len() == 2));
    // Diff markers.
    let line = |a: &str| r.diff.iter().find(|d| d.action == a).map(|d| d.marker.clone());
    assert_eq!(line("s3:GetObject").as_deref(), Some("  "));
    assert_eq!(line("s3:PutObject").as_deref(), Some("- "));
}

#[test]
fn denied_only_action_is_excluded() {
    let mut i = input(
        PrincipalKind::Role,
        "app",
        vec![app_policy()],
        vec![call("s3:GetObject", Some("arn:aws:s3:::examplecorp-data/a.csv"), 5)],
    );
    i.denied.push(DeniedCall { action: "s3:DeleteObject".into(), count: 3, error_codes: vec!["AccessDenied".into()] });
    let r = recommend(&i, &RecommendOptions::default());
    assert_verified(&r);
    assert!(!proposed_actions(&r).contains("s3:DeleteObject"));
    assert_eq!(r.denied_only, vec!["s3:DeleteObject"]);
    assert!(r.notes.iter().any(|n| n.contains("s3:DeleteObject")));
}

#[test]
fn used_but_no_longer_granted_is_reported_not_added() {
    let i = input(
        PrincipalKind::Role,
        "app",
        vec![app_policy()],
        vec![
            call("s3:GetObject", Some("arn:aws:s3:::examplecorp-data/a.csv"), 5),
            call("iam:CreateUser", Some("arn:aws:iam::111122223333:user/x"), 1),
            // Granted action, but on a resource the policy does not cover.
            call("s3:GetObject", Some("arn:aws:s3:::other-bucket/a.csv"), 1),
        ],
    );
    let r = recommend(&i, &RecommendOptions::default());
    assert_verified(&r);
    assert_eq!(r.used_not_granted, vec!["iam:CreateUser", "s3:GetObject"]);
    assert!(!proposed_actions(&r).contains("iam:CreateUser"));
    assert_eq!(statement_for(&r, "s3:GetObject")["Resource"], "arn:aws:s3:::examplecorp-data/a.csv");
    assert!(r.diff.iter().any(|d| d.marker == "+ " && d.action == "iam:CreateUser"));
    assert_eq!(r.verification.replayed_calls, 1);
}

fn report_objects(n: usize) -> Vec<ObservedCall> {
    (0..n)
        .map(|k| {
            let arn = format!("arn:aws:s3:::examplecorp-data/reports/2026/{:02}/part-{k:03}.parquet", k % 12 + 1);
            call("s3:GetObject", Some(&arn), 2)
        })
        .collect()
}

#[test]
fn s3_objects_scoped_by_prefix() {
    let i = input(PrincipalKind::Role, "etl", vec![app_policy()], report_objects(30));
    let r = recommend(&i, &RecommendOptions::default());
    assert_verified(&r);
    assert_eq!(statement_for(&r, "s3:GetObject")["Resource"], "arn:aws:s3:::examplecorp-data/reports/*");
    assert_eq!(r.verification.replayed_calls, 30);
}

#[test]
fn s3_prefix_never_wider_than_original() {
    let narrow = pol(
        "etl-inline",
        doc(json!([{"Sid": "Reports2026", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                     "Resource": "arn:aws:s3:::examplecorp-data/reports/2026/*"}])),
    );
    let i = input(PrincipalKind::Role, "etl", vec![narrow], report_objects(30));
    let r = recommend(&i, &RecommendOptions::default());
    assert_verified(&r);
    assert_eq!(statement_for(&r, "s3:GetObject")["Resource"], "arn:aws:s3:::examplecorp-data/reports/2026/*");
    assert!(r.dead_statements.is_empty());
}

#[test]
fn pass_role_scoped_with_passed_to_service() {
    let p = pol(
        "launcher",
        doc(json!([
            {"Sid": "Run", "Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:DescribeInstances"], "Resource": "*"},
            {"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/*"}
        ])),
    );
    let mut pass = call("iam:PassRole", Some("arn:aws:iam::111122223333:role/app-instance"), 4);
    pass.passed_to_service = Some("ec2.amazonaws.com".into());
    let run = call("ec2:RunInstances", Some("arn:aws:ec2:us-east-1:111122223333:instance/*"), 4);
    let i = input(PrincipalKind::Role, "launcher", vec![p], vec![pass, run]);
    let r = recommend(&i, &RecommendOptions::default());
    assert_verified(&r);
    let st = statement_for(&r, "iam:PassRole");
    assert_eq!(st["Resource"], "arn:aws:iam::111122223333:role/app-instance");
    assert_eq!(st["Condition"], json!({"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}));
    assert!(!proposed_actions(&r).contains("ec2:DescribeInstances"));
}

#[test]
fn conditions_of_the_allowing_statement_are_kept() {
    let p = pol(
        "office",
        doc(json!([{"Sid": "FromOffice", "Effect": "Allow", "Action": "s3:GetObject",
                     "Resource": "arn:aws:s3:::examplecorp-data/*",
                     "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}])),
    );
    let mut c = call("s3:GetObject", Some("arn:aws:s3:::examplecorp-data/x"), 3);
    c.context = vec![("aws:SourceIp".into(), "10.0.1.5".into())];
    let mut outside = call("s3:GetObject", Some("arn:aws:s3:::examplecorp-data/y"), 1);
    outside.context = vec![("aws:SourceIp".into(), "192.0.2.1".into())];
    let i = input(PrincipalKind::User, "alice", vec![p], vec![c, outside]);
    let r = recommend(&i, &RecommendOptions::default());
    assert_verified(&r);
    let st = statement_for(&r, "s3:GetObject");
    assert_eq!(st["Condition"], json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}));
    // The call from outside the range was not allowed: reported, its object not added.
    assert_eq!(st["Resource"], "arn:aws:s3:::examplecorp-data/x");
    assert_eq!(r.used_not_granted, vec!["s3:GetObject"]);
}

#[test]
fn keep_statements_and_denies_are_carried() {
    let p = pol(
        "ops",
        doc(json!([
            {"Sid": "KeepBreakGlass", "Effect": "Allow", "Action": "sts:AssumeRole",
             "Resource": "arn:aws:iam::111122223333:role/break-glass"},
            {"Sid": "All", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::secrets/*"}
        ])),
    );
    let i = input(
        PrincipalKind::Role,
        "ops",
        vec![p],
        vec![call("s3:GetObject", Some("arn:aws:s3:::examplecorp-data/a"), 1)],
    );
    let r = recommend(&i, &RecommendOptions::default());
    assert_verified(&r);
    let sts = statements(&r);
    let keep = sts.iter().find(|s| s["Sid"] == "KeepBreakGlass").expect("kept");
    assert_eq!(
        keep,
        &json!({"Action": "sts:AssumeRole", "Effect": "Allow", "Resource": "arn:aws:iam::111122223333:role/break-glass", "Sid": "KeepBreakGlass"})
    );
    assert!(sts.iter().any(|s| s["Sid"] == "NoSecrets" && s["Effect"] == "Deny"));
    // A different prefix: not kept.
    let opts = RecommendOptions { keep_sid_prefix: "Retain".into(), ..RecommendOptions::default() };
    let r = recommend(&i, &opts);
    assert!(!statements(&r).iter().any(|s| s["Sid"] == "KeepBreakGlass"));
}

#[test]
fn size_limit_forces_a_split_for_a_user_with_many_actions() {
    // Every other ec2 action, listed explicitly: no wildcard may add the skipped ones.
    let actions: Vec<String> = catalog().service_actions("ec2").iter().step_by(2).map(|a| a.full_name()).collect();
    assert!(actions.len() > 300);
    let p = pol("big", doc(json!([{"Sid": "Listed", "Effect": "Allow", "Action": actions, "Resource": "*"}])));
    let observed: Vec<ObservedCall> = actions.iter().map(|a| call(a, None, 1)).collect();
    let i = input(PrincipalKind::User, "builder", vec![p], observed);
    let r = recommend(&i, &RecommendOptions::default());
    assert_verified(&r);
    assert!(r.documents.len() >= 2, "{}", r.documents.len());
    for d in &r.documents {
        assert!(policy_size(d) <= MANAGED_LIMIT, "{}", policy_size(d));
    }
    assert_eq!(
        r.policy_files,
        (1..=r.documents.len())
            .map(|k| format!("policies/{ACCOUNT}/users/builder.managed-{k}.json"))
            .collect::<Vec<_>>()
    );
    assert!(r.notes.iter().any(|n| n.contains("split into")), "{:?}", r.notes);
    // A user's inline limit is 2,048 characters as IAM counts them (white space excluded): a proposal
    // just over it becomes one managed policy, named as one.
    let some: Vec<String> = actions.iter().take(150).cloned().collect();
    let p = pol("some", doc(json!([{"Effect": "Allow", "Action": some, "Resource": "*"}])));
    let one = input(PrincipalKind::User, "builder", vec![p], some.iter().map(|a| call(a, None, 1)).collect());
    let managed = recommend(&one, &RecommendOptions::default());
    assert_verified(&managed);
    assert_eq!(managed.documents.len(), 1);
    let size = policy_size(&managed.documents[0]);
    assert!(size > USER_INLINE_LIMIT && size <= MANAGED_LIMIT, "{size}");
    assert_eq!(managed.policy_files, vec![format!("policies/{ACCOUNT}/users/builder.managed-1.json")]);
    // Everything used is still there (wildcards only cover used actions).
    let proposed = proposed_actions(&r);
    for a in &actions {
        assert!(
            proposed.contains(a) || proposed.iter().any(|p| p.ends_with('*') && a.starts_with(p.trim_end_matches('*'))),
            "{a} missing"
        );
    }
    // A role has a larger inline limit: 100 actions fit into one document.
    let few: Vec<String> = actions.iter().take(100).cloned().collect();
    let p = pol("few", doc(json!([{"Effect": "Allow", "Action": few, "Resource": "*"}])));
    let i = input(PrincipalKind::Role, "builder", vec![p], few.iter().map(|a| call(a, None, 1)).collect());
    let r = recommend(&i, &RecommendOptions::default());
    assert_verified(&r);
    assert_eq!(r.documents.len(), 1);
    assert!(policy_size(&r.documents[0]) <= ROLE_INLINE_LIMIT);
    assert_eq!(r.policy_files, vec![format!("policies/{ACCOUNT}/roles/builder.json")]);
}

#[test]
fn verifier_catches_broken_proposals() {
    let i = input(
        PrincipalKind::Role,
        "app",
        vec![app_policy()],
        vec![
            call("s3:GetObject", Some("arn:aws:s3:::examplecorp-data/reports/a.csv"), 5),
            call("ec2:DescribeInstances", None, 2),
        ],
    );
    let good = doc(json!([
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::examplecorp-data/reports/*"},
        {"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}
    ]));
    let v = verify(&i, &[good]);
    assert!(v.failures.is_empty(), "{:?}", v.failures);
    assert_eq!((v.replayed_calls, v.still_allowed), (2, 2));

    // Drops a used action: replay fails.
    let missing =
        doc(json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::examplecorp-data/*"}]));
    let v = verify(&i, &[missing]);
    assert_eq!(v.still_allowed, 1);
    assert!(v.failures.iter().any(|f| f.contains("replay: ec2:DescribeInstances")), "{:?}", v.failures);
    assert!(!v.broader_than_original);

    // Adds an action the original does not grant.
    let escalates = doc(json!([
        {"Effect": "Allow", "Action": ["s3:GetObject", "iam:CreateUser"], "Resource": "*"},
        {"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}
    ]));
    let v = verify(&i, &[escalates]);
    assert!(v.broader_than_original);
    assert!(v.failures.iter().any(|f| f.contains("iam:CreateUser")), "{:?}", v.failures);
    assert!(v.failures.iter().any(|f| f.contains("s3:GetObject on *")), "{:?}", v.failures);

    // Drops a condition of the original.
    let c = pol(
        "office",
        doc(json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                     "Condition": {"Bool": {"aws:SecureTransport": "true"}}}])),
    );
    let mut secure = call("s3:GetObject", Some("arn:aws:s3:::b/x"), 1);
    secure.context = vec![("aws:SecureTransport".into(), "true".into())];
    let i = input(PrincipalKind::Role, "app", vec![c], vec![secure]);
    let v = verify(&i, &[doc(json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/x"}]))]);
    assert!(v.broader_than_original, "{v:?}");
    assert_eq!(v.still_allowed, 1);

    // Not a policy at all.
    let v = verify(&i, &[json!({"Statement": "nope"})]);
    assert!(!v.failures.is_empty());
}

#[test]
fn output_is_deterministic() {
    let mut calls = report_objects(25);
    calls.push(call("ec2:DescribeInstances", None, 3));
    calls.push(call("dynamodb:GetItem", Some("arn:aws:dynamodb:us-east-1:111122223333:table/Orders"), 3));
    let i = input(PrincipalKind::Role, "app", vec![app_policy()], calls.clone());
    let opts = RecommendOptions::default();
    let a = recommend(&i, &opts);
    let b = recommend(&i, &opts);
    calls.reverse();
    let c = recommend(&input(PrincipalKind::Role, "app", vec![app_policy()], calls), &opts);
    let ser = |r: &Recommendation| {
        (
            serde_json::to_string(&r.documents).unwrap(),
            serde_json::to_string(r).unwrap(),
            render_markdown(std::slice::from_ref(r)),
        )
    };
    assert_eq!(ser(&a), ser(&b));
    assert_eq!(ser(&a), ser(&c));
}

#[test]
fn confidence_levels() {
    let calls = vec![call("s3:GetObject", Some("arn:aws:s3:::examplecorp-data/a"), 50)];
    let mut i = input(PrincipalKind::Role, "app", vec![app_policy()], calls);
    let opts = RecommendOptions::default();
    assert_eq!(recommend(&i, &opts).confidence, Confidence::High);
    i.unobservable.insert("s3:GetObjectTagging".into());
    let r = recommend(&i, &opts);
    assert_eq!(r.confidence, Confidence::Medium);
    assert_eq!(r.unobservable_actions, 1);
    assert!(r.diff.iter().any(|d| d.marker == "? " && d.action == "s3:GetObjectTagging"));
    // Kept on request.
    let keep = RecommendOptions { keep_unobservable: true, ..RecommendOptions::default() };
    let r = recommend(&i, &keep);
    assert_verified(&r);
    assert!(proposed_actions(&r).contains("s3:GetObjectTagging"));
    i.created_ms = Some(T0 + 5 * DAY);
    assert_eq!(recommend(&i, &opts).confidence, Confidence::Low);
    i.created_ms = None;
    i.window_end_ms = T0 + 7 * DAY;
    let r = recommend(&i, &opts);
    assert_eq!(r.confidence, Confidence::Low);
    assert!(r.confidence_reasons[0].contains("7 day"));
}

#[test]
fn resource_policies_and_boundaries_take_part() {
    // A boundary that does not allow DynamoDB: the granted set excludes it.
    let mut i = input(
        PrincipalKind::Role,
        "app",
        vec![app_policy()],
        vec![call("s3:GetObject", Some("arn:aws:s3:::examplecorp-data/a"), 20)],
    );
    i.policies.boundaries.push(NamedPolicy::new(
        "boundary",
        PolicyKind::PermissionBoundary,
        parse_policy(&doc(json!([{"Effect": "Allow", "Action": ["s3:*", "ec2:*"], "Resource": "*"}]))).unwrap(),
    ));
    let r = recommend(&i, &RecommendOptions::default());
    assert_verified(&r);
    assert!(!r.diff.iter().any(|d| d.action.starts_with("dynamodb:")));
    // A bucket policy granting the role directly: allowed without identity statement.
    let bucket = NamedPolicy::new(
        "bucket-policy",
        PolicyKind::Resource,
        parse_policy(&json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"}, "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::shared/*"}]}))
        .unwrap(),
    );
    i.resource_policies.insert("arn:aws:s3:::shared".into(), bucket);
    assert!(i.resource_policy_for("arn:aws:s3:::shared/x").is_some());
    assert!(i.resource_policy_for("arn:aws:s3:::shared2/x").is_none());
    i.observed.push(call("s3:GetObject", Some("arn:aws:s3:::shared/x"), 1));
    let r = recommend(&i, &RecommendOptions::default());
    assert_verified(&r);
    assert_eq!(r.verification.replayed_calls, 2);
    assert!(r.notes.iter().any(|n| n.contains("resource policies alone")), "{:?}", r.notes);
}

#[test]
fn exclusion_globs_and_csv() {
    assert!(is_excluded("arn:aws:iam::111122223333:role/aws-reserved/sso/X", &["*:role/aws-reserved/*".into()]));
    assert!(!is_excluded("arn:aws:iam::111122223333:role/app", &["*:role/aws-reserved/*".into()]));
    let i = input(PrincipalKind::Role, "app", vec![app_policy()], vec![call("ec2:DescribeInstances", None, 50)]);
    let excluded = RecommendOptions { exclude: vec!["*:role/app".into()], ..RecommendOptions::default() };
    assert!(recommend_all(std::slice::from_ref(&i), &excluded).is_empty());
    let recs = recommend_all(&[i], &RecommendOptions::default());
    let csv = render_csv(&recs);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[1].starts_with("arn:aws:iam::111122223333:role/app,111122223333,role,app,high,"), "{}", lines[1]);
    let j = recommendations_json(&recs);
    let p = &j["principals"][0];
    assert_eq!(p["policy_files"], json!(["policies/111122223333/roles/app.json"]));
    assert_eq!(p["verification"]["broader_than_original"], json!(false));
    assert_eq!(p["confidence"], json!("high"));
    assert!(p["evidence"][0]["sample_event_ids"].is_array());
}

/// The role used for the golden report: a bit of everything.
fn golden_role() -> PrincipalInput {
    let p = pol(
        "reporting-inline",
        doc(json!([
            {"Sid": "Data", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "s3:PutObject", "s3:DeleteObject"],
             "Resource": ["arn:aws:s3:::examplecorp-data", "arn:aws:s3:::examplecorp-data/*"]},
            {"Sid": "Describe", "Effect": "Allow", "Action": ["ec2:DescribeInstances", "ec2:RunInstances"], "Resource": "*"},
            {"Sid": "PassInstanceRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/*"},
            {"Sid": "Queue", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:111122223333:reports"},
            {"Sid": "KeepSupport", "Effect": "Allow", "Action": "support:DescribeCases", "Resource": "*"}
        ])),
    );
    let mut observed = report_objects(24);
    observed.push(call("s3:ListBucket", Some("arn:aws:s3:::examplecorp-data"), 12));
    observed.push(call("s3:PutObject", Some("arn:aws:s3:::examplecorp-data/exports/summary.csv"), 3));
    observed.push(call("ec2:RunInstances", Some("arn:aws:ec2:us-east-1:111122223333:instance/*"), 2));
    let mut pass = call("iam:PassRole", Some("arn:aws:iam::111122223333:role/report-worker"), 2);
    pass.passed_to_service = Some("ec2.amazonaws.com".into());
    observed.push(pass);
    observed.push(call("sns:Publish", Some("arn:aws:sns:us-east-1:111122223333:alerts"), 1));
    let mut i = input(PrincipalKind::Role, "reporting", vec![p], observed);
    i.denied.push(DeniedCall { action: "s3:DeleteBucket".into(), count: 1, error_codes: vec!["AccessDenied".into()] });
    i.unobservable.insert("s3:GetObjectAttributes".into());
    i
}

#[test]
fn golden_report_for_one_role() {
    let r = recommend(&golden_role(), &RecommendOptions::default());
    assert_verified(&r);
    let md = render_markdown(&[r]);
    crate::report::golden::assert_golden("tests/golden/recommend_report_role.md", &md);
}

#[test]
fn synthetic_workload_verifies() {
    let inputs = super::synthetic::synthetic_inputs(10, 300);
    let start = std::time::Instant::now();
    let recs = recommend_all(&inputs, &RecommendOptions::default());
    eprintln!("10 principals x 300 calls: {:?}", start.elapsed());
    assert_eq!(recs.len(), 10);
    for r in &recs {
        assert_verified(r);
        assert!(r.used_actions > 5);
        for (d, size) in r.documents.iter().zip(&r.policy_sizes) {
            assert_eq!(policy_size(d), *size);
        }
    }
    // Administrators (every fifth) are trimmed from everything to what they used.
    let admin = recs.iter().find(|r| r.name == "principal-0005").unwrap();
    assert!(admin.granted_actions > 10_000);
    assert!(admin.diff.len() < 2_000, "{}", admin.diff.len());
}

#[test]
fn variable_resources_are_kept_as_written() {
    let p = pol(
        "home",
        doc(json!([{"Sid": "Home", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                     "Resource": "arn:aws:s3:::home/${aws:username}/*"}])),
    );
    let mut c = call("s3:GetObject", Some("arn:aws:s3:::home/alice/notes.txt"), 2);
    c.context = vec![("aws:username".into(), "alice".into())];
    let i = input(PrincipalKind::User, "alice", vec![p], vec![c]);
    let r = recommend(&i, &RecommendOptions::default());
    assert_verified(&r);
    let st = statement_for(&r, "s3:GetObject");
    assert_eq!(st["Resource"], "arn:aws:s3:::home/${aws:username}/*");
    assert!(!proposed_actions(&r).contains("s3:PutObject"));
}

#[test]
fn resource_policy_lookup_uses_boundaries() {
    let mut i = input(PrincipalKind::Role, "app", vec![app_policy()], Vec::new());
    let rp = |name: &str| {
        NamedPolicy::new(
            name,
            PolicyKind::Resource,
            parse_policy(&json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]})).unwrap(),
        )
    };
    i.resource_policies.insert("arn:aws:s3:::b".into(), rp("bucket"));
    i.resource_policies.insert("arn:aws:s3:::b/private/".into(), rp("private"));
    i.resource_policies.insert("arn:aws:sqs:us-east-1:111122223333:q".into(), rp("queue"));
    let name = |r: &str| i.resource_policy_for(r).map(|(_, p)| p.name.clone());
    assert_eq!(name("arn:aws:s3:::b").as_deref(), Some("bucket"));
    assert_eq!(name("arn:aws:s3:::b/x/y").as_deref(), Some("bucket"));
    assert_eq!(name("arn:aws:s3:::b/private/y").as_deref(), Some("private"));
    assert_eq!(name("arn:aws:s3:::bb/x"), None);
    assert_eq!(name("arn:aws:sqs:us-east-1:111122223333:q").as_deref(), Some("queue"));
    assert_eq!(name("arn:aws:sqs:us-east-1:111122223333:q2"), None);
}

#[test]
fn names_and_accounts_from_input_never_climb_out_of_the_policies_folder() {
    let p = pol("p", doc(json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}])));
    let mut i = input(PrincipalKind::Role, "../../../../tmp/x/evil-role", vec![p], vec![call("s3:GetObject", None, 3)]);
    i.account = "../..".into();
    let r = recommend(&i, &RecommendOptions::default());
    assert_verified(&r);
    assert_eq!(r.policy_files, vec!["policies/..%2F../roles/..%2F..%2F..%2F..%2Ftmp%2Fx%2Fevil-role.json".to_owned()]);
    for f in &r.policy_files {
        assert!(std::path::Path::new(f).components().all(|c| matches!(c, std::path::Component::Normal(_))), "{f}");
    }
    // An account field of exactly `..` cannot name the parent folder either.
    i.account = "..".into();
    let r = recommend(&i, &RecommendOptions::default());
    assert!(r.policy_files[0].starts_with("policies/%2E%2E/roles/"), "{:?}", r.policy_files);
}

fn tag_gated_group_policy() -> NamedPolicy {
    pol(
        "developers/own-instances",
        doc(json!([
            {"Sid": "OwnInstances", "Effect": "Allow", "Action": ["ec2:StartInstances", "ec2:StopInstances"],
             "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}}},
            {"Sid": "Read", "Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"},
            {"Sid": "Reboot", "Effect": "Allow", "Action": "ec2:RebootInstances", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}}}
        ])),
    )
}

#[test]
fn conditional_grants_on_keys_cloudtrail_lacks_are_kept_with_their_conditions() {
    let instance = "arn:aws:ec2:us-east-1:111122223333:instance/i-0b0b";
    let mut calls = vec![
        call("ec2:StartInstances", Some(instance), 25),
        call("ec2:StopInstances", Some(instance), 25),
        call("ec2:DescribeInstances", None, 10),
    ];
    for c in &mut calls {
        c.context = vec![("aws:username".into(), "bob".into())];
    }
    let r = recommend(
        &input(PrincipalKind::User, "bob", vec![tag_gated_group_policy()], calls),
        &RecommendOptions::default(),
    );
    assert_verified(&r);
    assert!(r.used_not_granted.is_empty(), "{:?}", r.used_not_granted);
    let st = statement_for(&r, "ec2:StartInstances");
    assert_eq!(as_list(&st["Action"]), vec!["ec2:StartInstances", "ec2:StopInstances"]);
    // The statement's resources, not the one instance seen: new instances tagged for bob work too.
    assert_eq!(st["Resource"], "*");
    assert_eq!(st["Condition"]["StringEquals"]["aws:ResourceTag/owner"], "${aws:username}");
    // RebootInstances was never called: removed as usual.
    assert!(!proposed_actions(&r).contains("ec2:RebootInstances"));
    let ev = r.evidence.iter().find(|e| e.action == "ec2:StopInstances").unwrap();
    assert_eq!(ev.unknown_conditions, vec!["developers/own-instances#OwnInstances: aws:ResourceTag/owner"]);
    assert!(r.evidence.iter().find(|e| e.action == "ec2:DescribeInstances").unwrap().unknown_conditions.is_empty());
    assert!(r
        .notes
        .iter()
        .any(|n| n.contains("conditions CloudTrail does not record") && n.contains("ec2:StartInstances")));
    let json = serde_json::to_string(&r.evidence).unwrap();
    assert!(json.contains("unknown_conditions"));
}

#[test]
fn a_known_key_that_fails_still_drops_the_call_and_a_proven_statement_wins() {
    // A call whose known context contradicts every allowing statement is "no longer granted";
    // where a proven statement also allows, it is chosen over the one that only may allow.
    let policy = pol(
        "p",
        doc(json!([
            {"Sid": "Office", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
             "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}, "StringEquals": {"s3:ExistingObjectTag/team": "x"}}},
            {"Sid": "Tagged", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*",
             "Condition": {"StringEquals": {"aws:RequestTag/team": "x"}}},
            {"Sid": "Plain", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/in/*"}
        ])),
    );
    let mut get = call("s3:GetObject", Some("arn:aws:s3:::b/k"), 3);
    get.context = vec![("aws:SourceIp".into(), "192.0.2.1".into())];
    let put = call("s3:PutObject", Some("arn:aws:s3:::b/in/k"), 3);
    let r = recommend(&input(PrincipalKind::Role, "r", vec![policy], vec![get, put]), &RecommendOptions::default());
    assert_verified(&r);
    assert_eq!(r.used_not_granted, vec!["s3:GetObject"]);
    let st = statement_for(&r, "s3:PutObject");
    assert!(st.get("Condition").is_none(), "{st}");
    assert!(r.evidence.iter().all(|e| e.unknown_conditions.is_empty()));
}

#[test]
fn inferred_passrole_without_a_known_service_may_be_allowed() {
    let policy = pol(
        "p",
        doc(json!([
            {"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/app",
             "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}
        ])),
    );
    // Inferred from RunInstances with an instance profile: the service is not recorded.
    let pass = call("iam:PassRole", Some("arn:aws:iam::111122223333:role/app"), 2);
    let r = recommend(&input(PrincipalKind::Role, "r", vec![policy], vec![pass]), &RecommendOptions::default());
    assert_verified(&r);
    assert!(r.used_not_granted.is_empty());
    let st = statement_for(&r, "iam:PassRole");
    assert_eq!(st["Condition"]["StringEquals"]["iam:PassedToService"], "ec2.amazonaws.com");
    assert_eq!(r.evidence[0].unknown_conditions, vec!["p#Pass: iam:PassedToService"]);
}

#[test]
fn carried_keys_are_known_and_others_unknown() {
    for k in ["aws:sourceip", "aws:username", "aws:principaltag/team", "aws:requestedregion"] {
        assert!(!unknown_key(k), "{k}");
    }
    for k in [
        "aws:resourcetag/owner",
        "aws:requesttag/x",
        "aws:tagkeys",
        "aws:sourcevpce",
        "aws:principalorgpaths",
        "aws:resourceorgid",
        "aws:multifactorauthpresent",
        "s3:prefix",
        "iam:passedtoservice",
        "ec2:resourcetag/x",
    ] {
        assert!(unknown_key(k), "{k}");
    }
}

#[test]
fn the_static_check_catches_a_broadened_proposal() {
    let i = input(
        PrincipalKind::Role,
        "app",
        vec![app_policy()],
        vec![call("s3:GetObject", Some("arn:aws:s3:::examplecorp-data/a.csv"), 5)],
    );
    let r = recommend(&i, &RecommendOptions::default());
    assert_verified(&r);
    assert_eq!(r.verification.static_check, StaticCheck::Proved);
    assert!(r.verification.counterexample.is_none());
    let json = serde_json::to_value(&r.verification).unwrap();
    assert_eq!(json["static"], "proved");

    // Every observed call is still allowed, so replay alone would pass these.
    let broadened = [
        // Another bucket.
        doc(json!([{"Sid": "Wide", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*"}])),
        // A wildcard the original covers (s3:* on the bucket), then an action it never grants.
        doc(
            json!([{"Sid": "Wild", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::examplecorp-data/*"},
                   {"Sid": "Kms", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]),
        ),
        // A condition of the original dropped.
        doc(json!([{"Sid": "Plain", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}])),
    ];
    let conditional = pol(
        "cond",
        doc(json!([{"Sid": "Vpc", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
                    "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}])),
    );
    let cond_input =
        input(PrincipalKind::Role, "c", vec![conditional], vec![call("s3:GetObject", Some("arn:aws:s3:::b/k"), 1)]);
    let expected = [
        (&i, "s3:GetObject", "arn:aws:s3:::*", "Wide"),
        (&i, "kms:Decrypt", "*", "Kms"),
        (&cond_input, "s3:GetObject", "arn:aws:s3:::b/*", "Plain"),
    ];
    for (d, (inp, action, resource, sid)) in broadened.iter().zip(expected) {
        let v = verify(inp, std::slice::from_ref(d));
        assert_eq!(v.static_check, StaticCheck::Failed, "{d}");
        assert_eq!(v.still_allowed, v.replayed_calls, "replay passes: {:?}", v.failures);
        assert_eq!(serde_json::to_value(&v).unwrap()["counterexample"]["action"], action);
        let c = v.counterexample.expect("a counterexample");
        assert_eq!(
            (c.action.as_str(), c.resource.as_str(), c.statement.as_str()),
            (action, resource, sid),
            "{}",
            c.reason
        );
    }
}

#[test]
fn explain_says_why_each_action_was_kept_or_removed() {
    use super::explain::{explain, render_table, Verdict};
    let instance = "arn:aws:ec2:us-east-1:111122223333:instance/i-0b0b";
    let mut calls = vec![call("ec2:StartInstances", Some(instance), 25), call("ec2:DescribeInstances", None, 10)];
    for c in &mut calls {
        c.context = vec![("aws:username".into(), "bob".into())];
    }
    let mut i = input(PrincipalKind::User, "bob", vec![tag_gated_group_policy()], calls);
    i.denied = vec![DeniedCall { action: "iam:CreateUser".into(), count: 3, error_codes: vec!["AccessDenied".into()] }];
    i.incident_only = vec![IncidentUse {
        action: "ec2:RebootInstances".into(),
        resources: Vec::new(),
        findings: vec!["F-7".into()],
        events: 2,
        note: "used only in finding F-7: not kept".into(),
    }];
    let r = recommend(&i, &RecommendOptions::default());
    assert_verified(&r);

    // Kept, with its evidence, deciding statement and the conditions carried.
    let e = explain(&i, &r, "ec2:StartInstances");
    assert_eq!(e.verdict, Verdict::Kept);
    assert_eq!(e.events, 25);
    assert_eq!(e.first_seen.as_deref(), Some("2026-01-02T00:00:00Z"));
    assert_eq!(e.last_seen.as_deref(), Some("2026-03-22T00:00:00Z"));
    assert_eq!(e.deciding_statements, vec!["developers/own-instances#OwnInstances"]);
    assert_eq!(e.conditions_carried, vec!["developers/own-instances#OwnInstances: aws:ResourceTag/owner"]);
    assert_eq!(e.proposal_statements.len(), 1, "{:?}", e.proposal_statements);
    assert!(e.proposal_statements[0].starts_with("bob#"), "{:?}", e.proposal_statements);
    assert!(e.reason.contains("carried"), "{}", e.reason);

    // Granted and never called: removed, naming the statement that grants it today.
    let e = explain(&i, &r, "ec2:StopInstances");
    assert_eq!((e.verdict, e.events), (Verdict::Removed, 0));
    assert_eq!(e.granting_statements, vec!["developers/own-instances#OwnInstances"]);
    assert!(e.proposal_statements.is_empty() && e.deciding_statements.is_empty());

    // Used only in an incident: set aside, with the finding.
    let e = explain(&i, &r, "ec2:RebootInstances");
    assert_eq!(e.verdict, Verdict::SetAside);
    assert!(e.reason.contains("F-7"), "{}", e.reason);
    assert_eq!(e.incident.as_ref().unwrap().events, 2);

    // Refused and never granted.
    let e = explain(&i, &r, "iam:CreateUser");
    assert_eq!(e.verdict, Verdict::NotGranted);
    assert_eq!(e.refused.as_ref().unwrap().events, 3);
    assert!(e.reason.contains("refused"), "{}", e.reason);

    // Neither granted nor seen.
    let e = explain(&i, &r, "s3:GetObject");
    assert_eq!(e.verdict, Verdict::NotGranted);
    assert!(e.granting_statements.is_empty());

    let table = render_table(&explain(&i, &r, "ec2:StartInstances"));
    assert!(table.lines().any(|l| l.starts_with("verdict") && l.ends_with("kept")), "{table}");
    assert!(table.lines().any(|l| l.starts_with("events") && l.ends_with("25")), "{table}");
    assert!(table.contains("developers/own-instances#OwnInstances"), "{table}");
}

#[test]
fn explain_takes_catalog_actions_only_and_suggests_close_ones() {
    use super::explain::catalog_action;
    assert_eq!(catalog_action("S3:getobject").unwrap(), "s3:GetObject");
    let err = catalog_action("s3:GetObjct").unwrap_err();
    assert!(err.contains("did you mean s3:GetObject"), "{err}");
    let err = catalog_action("ec2:DescribeInstanse").unwrap_err();
    assert!(err.contains("ec2:DescribeInstances"), "{err}");
    assert!(catalog_action("s3:Get*").unwrap_err().contains("pattern"));
    let err = catalog_action("zz:Qqqqqqq").unwrap_err();
    assert!(err.contains("not an action") && !err.contains("did you mean"), "{err}");
}

/// A role (inline), a user whose proposal is split into managed policies, and a group (inline).
fn deployable_recs() -> Vec<Recommendation> {
    let read = pol("p", doc(json!([{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}])));
    let role = recommend(
        &input(
            PrincipalKind::Role,
            "app.role",
            vec![read.clone()],
            vec![call("s3:GetObject", Some("arn:aws:s3:::b/k"), 3)],
        ),
        &RecommendOptions::default(),
    );
    // `app_role` sanitises to the same Terraform name as `app.role`: it must get another.
    let twin = recommend(
        &input(
            PrincipalKind::Role,
            "app_role",
            vec![read.clone()],
            vec![call("s3:GetObject", Some("arn:aws:s3:::b/k"), 3)],
        ),
        &RecommendOptions::default(),
    );
    let some: Vec<String> =
        catalog().service_actions("ec2").iter().step_by(2).take(150).map(|a| a.full_name()).collect();
    let p = pol("some", doc(json!([{"Effect": "Allow", "Action": some, "Resource": "*"}])));
    let user = recommend(
        &input(PrincipalKind::User, "builder", vec![p], some.iter().map(|a| call(a, None, 1)).collect()),
        &RecommendOptions::default(),
    );
    let group = recommend(
        &input(PrincipalKind::Group, "devs", vec![read], vec![call("s3:GetObject", Some("arn:aws:s3:::b/k"), 3)]),
        &RecommendOptions::default(),
    );
    for r in [&role, &twin, &user, &group] {
        assert_verified(r);
    }
    assert_eq!(user.file_stems, vec!["builder.managed-1"]);
    assert_eq!(group.policy_files, vec![format!("policies/{ACCOUNT}/groups/devs.json")]);
    vec![role, twin, user, group]
}

#[test]
fn emit_writes_each_kind_with_its_own_commands_and_resources() {
    use super::emit::{render, Form, Replaced};
    let recs = deployable_recs();
    let mut replaced = BTreeMap::new();
    replaced.insert(
        recs[0].arn.clone(),
        Replaced {
            inline: vec!["old-inline".into()],
            managed: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
            groups: vec![],
        },
    );
    replaced.insert(recs[2].arn.clone(), Replaced { groups: vec!["builders".into()], ..Replaced::default() });
    let files: BTreeMap<String, String> =
        render(&recs, &replaced, PolicyTarget::Inline, &[Form::Terraform, Form::Cli, Form::CloudFormation])
            .into_iter()
            .collect();
    let dir = format!("deploy/{ACCOUNT}");
    assert_eq!(
        files.keys().cloned().collect::<Vec<_>>(),
        vec![format!("{dir}/apply.sh"), format!("{dir}/main.tf"), format!("{dir}/template.json")]
    );

    let sh = &files[&format!("{dir}/apply.sh")];
    assert!(sh.starts_with("#!/usr/bin/env bash\n") && sh.contains("\nset -euo pipefail\n"), "{sh}");
    let commands: Vec<&str> = sh.lines().filter(|l| l.starts_with("aws ")).collect();
    assert_eq!(
        commands,
        vec![
            format!("aws iam put-role-policy --role-name 'app.role' --policy-name 'trailtrim-app.role' --policy-document 'file://policies/{ACCOUNT}/roles/app.role.json'"),
            format!("aws iam put-role-policy --role-name 'app_role' --policy-name 'trailtrim-app_role' --policy-document 'file://policies/{ACCOUNT}/roles/app_role.json'"),
            format!("aws iam create-policy --policy-name 'trailtrim-builder.managed-1' --policy-document 'file://policies/{ACCOUNT}/users/builder.managed-1.json'"),
            format!("aws iam attach-user-policy --user-name 'builder' --policy-arn 'arn:aws:iam::{ACCOUNT}:policy/trailtrim-builder.managed-1'"),
            format!("aws iam put-group-policy --group-name 'devs' --policy-name 'trailtrim-devs' --policy-document 'file://policies/{ACCOUNT}/groups/devs.json'"),
        ]
    );
    // What is replaced is there, commented out.
    for l in [
        "# aws iam delete-role-policy --role-name 'app.role' --policy-name 'old-inline'",
        "# aws iam detach-role-policy --role-name 'app.role' --policy-arn 'arn:aws:iam::aws:policy/ReadOnlyAccess'",
        "# aws iam remove-user-from-group --user-name 'builder' --group-name 'builders'",
    ] {
        assert!(sh.lines().any(|x| x == l), "{l} missing:\n{sh}");
    }
    let syntax = std::process::Command::new("bash").arg("-n").arg("-c").arg(sh).output().unwrap();
    assert!(syntax.status.success(), "{}", String::from_utf8_lossy(&syntax.stderr));

    let tf = &files[&format!("{dir}/main.tf")];
    for block in [
        "resource \"aws_iam_role_policy\" \"role_app_role\" {",
        "resource \"aws_iam_role_policy\" \"role_app_role_2\" {",
        "resource \"aws_iam_policy\" \"user_builder_managed-1\" {",
        "resource \"aws_iam_user_policy_attachment\" \"user_builder_managed-1\" {",
        "  policy_arn = aws_iam_policy.user_builder_managed-1.arn",
        "resource \"aws_iam_group_policy\" \"group_devs\" {",
        "  group  = \"devs\"",
        &format!("  policy = file(\"${{path.module}}/../../policies/{ACCOUNT}/groups/devs.json\")"),
        "# replaces inline policy old-inline",
    ] {
        assert!(tf.lines().any(|l| l == block), "{block} missing:\n{tf}");
    }

    let cfn: Value = serde_json::from_str(&files[&format!("{dir}/template.json")]).unwrap();
    let res = cfn["Resources"].as_object().unwrap();
    let types: BTreeMap<&str, &str> = res.iter().map(|(k, v)| (k.as_str(), v["Type"].as_str().unwrap())).collect();
    assert_eq!(
        types,
        BTreeMap::from([
            ("GroupDevsPolicy", "AWS::IAM::GroupPolicy"),
            ("RoleAppRolePolicy", "AWS::IAM::RolePolicy"),
            ("RoleAppRolePolicy2", "AWS::IAM::RolePolicy"),
            ("UserBuilderManaged1Policy", "AWS::IAM::ManagedPolicy"),
        ])
    );
    assert_eq!(res["UserBuilderManaged1Policy"]["Properties"]["Users"], json!(["builder"]));
    assert_eq!(res["UserBuilderManaged1Policy"]["Properties"]["PolicyDocument"], recs[2].documents[0]);
    assert_eq!(res["GroupDevsPolicy"]["Properties"]["GroupName"], "devs");
    assert_eq!(res["RoleAppRolePolicy"]["Properties"]["PolicyDocument"], recs[0].documents[0]);
    assert!(cfn["Description"].as_str().unwrap().contains("old-inline"));

    // --managed: every document is a customer managed policy.
    let managed = render(&recs[..1], &BTreeMap::new(), PolicyTarget::Managed, &[Form::Cli]);
    assert!(managed[0].1.contains("aws iam create-policy --policy-name 'trailtrim-app.role'"), "{}", managed[0].1);
    assert!(managed[0].1.contains("aws iam attach-role-policy --role-name 'app.role'"), "{}", managed[0].1);
}

#[test]
fn emitted_names_are_quoted_and_escaped() {
    use super::emit::{hcl_string, logical_id, shell_quote, terraform_id};
    // The shell gives back exactly the value, whatever it holds.
    for v in ["o'brien", "a b;rm -rf /", "$(x)`y`", "\"q\""] {
        let out =
            std::process::Command::new("bash").arg("-c").arg(format!("printf %s {}", shell_quote(v))).output().unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), v);
    }
    assert_eq!(hcl_string("a\"b\\c${x}%{y}$z"), r#""a\"b\\c$${x}%%{y}$z""#);
    let mut taken = BTreeSet::new();
    assert_eq!(terraform_id(PrincipalKind::Role, "a.b", &mut taken), "role_a_b");
    assert_eq!(terraform_id(PrincipalKind::Role, "a@b", &mut taken), "role_a_b_2");
    assert_eq!(terraform_id(PrincipalKind::Role, "a_b_2", &mut taken), "role_a_b_2_2");
    assert_eq!(terraform_id(PrincipalKind::User, "%2E%2E", &mut taken), "user__2E_2E");
    let mut taken = BTreeSet::new();
    assert_eq!(logical_id(PrincipalKind::User, "bob.managed-1", &mut taken), "UserBobManaged1Policy");
    assert_eq!(logical_id(PrincipalKind::User, "bob-managed.1", &mut taken), "UserBobManaged1Policy2");
}

fn assumed(caller: &str, t: i64) -> trust::Assumption {
    let mut a = trust::Assumption {
        role_arn: format!("arn:aws:iam::{ACCOUNT}:role/r"),
        event_name: "AssumeRole".into(),
        time_ms: T0 + t * DAY,
        ..Default::default()
    };
    if let Some(s) = caller.strip_prefix("service:") {
        a.service = Some(s.into());
    } else if let Some(p) = caller.strip_prefix("saml:") {
        a.event_name = "AssumeRoleWithSAML".into();
        a.provider = Some(p.into());
        a.subject = Some("dana@example.com".into());
    } else if let Some(acct) = caller.strip_prefix("account:") {
        a.caller_account = Some(acct.into());
    } else {
        a.caller_arn = Some(caller.into());
        a.caller_account = Some(ACCOUNT.into());
    }
    a
}

#[test]
fn trust_keeps_the_principals_that_assumed_the_role_and_the_conditions() {
    use trust::{trim, TrustPrincipal};
    let doc = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole",
         "Principal": {"AWS": ["arn:aws:iam::444455556666:root", "arn:aws:iam::999988887777:root"]},
         "Condition": {"StringEquals": {"sts:ExternalId": "x-1"}}},
        {"Sid": "Services", "Effect": "Allow", "Action": "sts:AssumeRole",
         "Principal": {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}},
        {"Sid": "Nobody", "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/old")}}
    ]});
    let mut cross = assumed("account:444455556666", 3);
    cross.external_id = Some("x-1".into());
    cross.source_identity = Some("scanner".into());
    let calls = [cross.clone(), assumed("account:444455556666", 9), assumed("service:ec2.amazonaws.com", 5)];
    let refs: Vec<&trust::Assumption> = calls.iter().collect();
    // The attacker's assumption from 999988887777 is set aside: that account is removed.
    let attacker = assumed("account:999988887777", 20);
    let t = trim(&doc, &refs, &[(&attacker, vec!["F-11".to_string()])]);
    assert_eq!(t.incident_assumptions, 1);
    assert!(
        t.notes
            .iter()
            .any(|n| n
                == "assumed by account 999988887777 on 2026-01-21T00:00:00Z only in finding F-11: not counted as use"),
        "{:?}",
        t.notes
    );
    assert_eq!((t.assumptions, t.unexplained, t.changed), (3, 0, true));
    assert_eq!(t.admitted.len(), 5);
    let used: Vec<(&str, &str, u64)> = t.used.iter().map(|u| (u.kind.as_str(), u.value.as_str(), u.events)).collect();
    assert_eq!(used, vec![("AWS", "arn:aws:iam::444455556666:root", 2), ("Service", "ec2.amazonaws.com", 1)]);
    assert_eq!(t.used[0].external_ids, vec!["x-1"]);
    assert_eq!(t.used[0].source_identities, vec!["scanner"]);
    assert_eq!(t.used[0].callers, vec!["account 444455556666"]);
    assert_eq!(t.used[0].first_seen, "2026-01-04T00:00:00Z");
    let p = t.proposed.as_ref().unwrap();
    let st = p["Statement"].as_array().unwrap();
    assert_eq!(st.len(), 2, "{p}");
    assert_eq!(st[0]["Principal"], json!({"AWS": "arn:aws:iam::444455556666:root"}));
    assert_eq!(st[0]["Condition"], json!({"StringEquals": {"sts:ExternalId": "x-1"}}));
    assert_eq!(st[1]["Principal"], json!({"Service": "ec2.amazonaws.com"}));
    let removed: Vec<&TrustPrincipal> = t.removed.iter().collect();
    assert_eq!(removed.len(), 3, "{removed:?}");
    assert!(t.notes.iter().any(|n| n.contains("Nobody") && n.contains("removed")), "{:?}", t.notes);
}

#[test]
fn trust_keeps_wildcards_and_federation_and_proposes_nothing_without_use() {
    use trust::{admits, trim};
    let wild = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "*"},
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}]});
    let a = assumed(&format!("arn:aws:iam::{ACCOUNT}:role/ci"), 1);
    let t = trim(&wild, &[&a], &[]);
    assert_eq!(t.proposed.as_ref().unwrap(), &wild);
    assert!(!t.changed);
    assert!(t.notes.iter().any(|n| n.contains("wildcard principal with conditions is kept as it is")), "{:?}", t.notes);

    let saml = "arn:aws:iam::111122223333:saml-provider/AWSSSO_1";
    let fed = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"], "Principal": {"Federated": saml},
         "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]});
    let t = trim(&fed, &[&assumed(&format!("saml:{saml}"), 2)], &[]);
    assert_eq!(t.proposed.as_ref().unwrap(), &fed);
    assert_eq!(t.used[0].callers, vec!["dana@example.com"]);

    // Nobody assumed it: nothing proposed (a trust policy admitting nobody would break the role).
    let t = trim(&fed, &[], &[]);
    assert!(t.proposed.is_none() && t.notes[0].contains("not assumed"), "{:?}", t.notes);
    // A caller the policy does not explain: nothing proposed either.
    let t = trim(&fed, &[&assumed("service:ec2.amazonaws.com", 1)], &[]);
    assert_eq!(t.unexplained, 1);
    assert!(t.proposed.is_none());

    let role = format!("arn:aws:iam::{ACCOUNT}:role/ci");
    assert!(admits("AWS", &role, &assumed(&role, 0)));
    assert!(admits("AWS", ACCOUNT, &assumed(&role, 0)));
    assert!(admits("AWS", &format!("arn:aws:iam::{ACCOUNT}:root"), &assumed(&role, 0)));
    assert!(!admits("AWS", "arn:aws:iam::444455556666:root", &assumed(&role, 0)));
    assert!(!admits("AWS", "*", &assumed("service:ec2.amazonaws.com", 0)));
    let mut web = assumed("account:1", 0);
    web.caller_account = None;
    web.provider = Some("token.actions.githubusercontent.com".into());
    assert!(admits("Federated", "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com", &web));
    assert!(!admits("Federated", "arn:aws:iam::111122223333:oidc-provider/other.example.com", &web));
}

#[test]
fn the_report_opens_with_one_summary_row_per_principal() {
    let r = recommend(&golden_role(), &RecommendOptions::default());
    let md = render_markdown(std::slice::from_ref(&r));
    let lines: Vec<&str> = md.lines().collect();
    let header = lines.iter().position(|l| l.starts_with("| Principal | Granted -> proposed actions")).unwrap();
    // Before the first principal's section.
    assert!(header < lines.iter().position(|l| l.starts_with("## ")).unwrap());
    let row = lines[header + 2];
    let kept = r.granted_actions - r.removed_actions;
    let pct = (r.removed_actions * 100 + r.granted_actions / 2) / r.granted_actions;
    assert!(row.starts_with(&format!("| `role/reporting` | {} -> {kept} | {pct}% | ", r.granted_actions)), "{row}");
}

#[test]
fn used_but_not_granted_actions_are_checked_against_the_policies_of_their_time() {
    let now = pol("dev", doc(json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}])));
    let then =
        pol("dev", doc(json!([{"Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteBucket"], "Resource": "*"}])));
    let mut late = call("s3:DeleteBucket", Some("arn:aws:s3:::b"), 2);
    late.first_seen_ms = T0 + 10 * DAY;
    late.last_seen_ms = T0 + 20 * DAY;
    let i = input(
        PrincipalKind::User,
        "bob",
        vec![now.clone()],
        vec![call("s3:GetObject", Some("arn:aws:s3:::b/k"), 3), late, call("sqs:DeleteQueue", None, 1)],
    );
    let mut r = recommend(&i, &RecommendOptions::default());
    assert_eq!(r.used_not_granted, vec!["s3:DeleteBucket", "sqs:DeleteQueue"]);
    let mut asked = Vec::new();
    // The broad version was the default until day 15.
    check_not_granted(&mut r, &i, |t| {
        asked.push(t);
        let p = if t < T0 + 15 * DAY { then.clone() } else { now.clone() };
        Some((PolicySet { identity: vec![p], ..PolicySet::default() }, vec!["x (until y): z".to_owned()]))
    });
    let h = &r.used_not_granted_history;
    assert_eq!(h.len(), 2);
    assert_eq!((h[0].action.as_str(), h[0].status), ("s3:DeleteBucket", NotGrantedStatus::GrantedThenRemovedSince));
    // The last call (day 20) was not allowed any more; the first (day 10) was.
    assert_eq!(h[0].at, crate::usage::iso(T0 + 10 * DAY));
    assert_eq!(h[0].statements, vec!["dev#0"]);
    assert_eq!((h[1].action.as_str(), h[1].status), ("sqs:DeleteQueue", NotGrantedStatus::NeverGranted));
    assert_eq!(h[1].at, crate::usage::iso(T0 + 80 * DAY));
    assert_eq!(h[1].uncertain, vec!["x (until y): z"]);
    assert!(r.notes.iter().any(|n| n.starts_with("s3:DeleteBucket was granted when it was used")), "{:?}", r.notes);
    assert!(asked.contains(&(T0 + 20 * DAY)) && asked.contains(&(T0 + 10 * DAY)));
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["used_not_granted_history"][0]["status"], "granted_then_removed_since");
}

/// Lines of each `## ` section of report.md, the fenced policy documents left out.
fn section_lines(md: &str) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    let mut in_json = false;
    for l in md.lines() {
        if let Some(arn) = l.strip_prefix("## ") {
            out.push((arn.to_owned(), 0));
        }
        if l == "```json" {
            in_json = true;
        }
        let counted = !in_json;
        if in_json && l == "```" {
            in_json = false;
        }
        if let (true, Some(last)) = (counted, out.last_mut()) {
            last.1 += 1;
        }
    }
    out
}

#[test]
fn every_section_stays_within_sixty_lines_however_long_its_lists() {
    let mut r = recommend(&golden_role(), &RecommendOptions::default());
    let short = section_lines(&render_markdown(std::slice::from_ref(&r)))[0].1;
    assert!(short < render::MAX_SECTION_LINES, "{short}");
    // An administrator grant used a little: hundreds of services, every list long.
    for svc in 0..300 {
        for a in 0..4 {
            let marker = ["  ", "- ", "? ", "+ "][svc % 4];
            r.diff.push(DiffLine { marker: marker.into(), action: format!("svc{svc:03}:Act{a}"), count: 1 });
        }
    }
    // The engine's order: by action (markers interleave).
    r.diff.sort_by(|a, b| a.action.cmp(&b.action));
    let ev = r.evidence[0].clone();
    r.evidence.extend((0..150).map(|i| Evidence { action: format!("svc{:03}:Act0", i * 2), ..ev.clone() }));
    r.incident_only.extend((0..80).map(|i| IncidentUse {
        action: format!("svc{i:03}:Bad"),
        resources: Vec::new(),
        findings: vec!["f1".into()],
        events: 2,
        note: "used only in finding f1: not kept".into(),
    }));
    r.dead_statements.extend((0..40).map(|i| format!("policy#{i}")));
    r.sparse_wildcards.extend((0..30).map(|i| SparseWildcard {
        statement: format!("p#{i}"),
        pattern: format!("svc{i:03}:*"),
        expands_to: 40,
        used: vec![format!("svc{i:03}:Act0")],
    }));
    r.notes.extend((0..50).map(|i| format!("note {i}")));
    r.confidence_reasons.extend((0..12).map(|i| format!("reason {i}")));
    let proposal = r.documents[0].clone();
    r.trust = Some(trust::Trust {
        admitted: Vec::new(),
        used: (0..25)
            .map(|i| trust::UsedPrincipal {
                kind: "AWS".into(),
                value: format!("arn:aws:iam::{i:012}:root"),
                events: 1,
                first_seen: "2026-01-01T00:00:00Z".into(),
                last_seen: "2026-01-02T00:00:00Z".into(),
                callers: vec![format!("{i:012}")],
                source_identities: Vec::new(),
                external_ids: Vec::new(),
            })
            .collect(),
        assumptions: 25,
        unexplained: 0,
        proposed: Some(proposal),
        changed: true,
        file: Some("policies/x.trust.json".into()),
        removed: Vec::new(),
        incident_assumptions: 0,
        notes: (0..20).map(|i| format!("trust note {i}")).collect(),
    });
    let md = render_markdown(std::slice::from_ref(&r));
    let sections = section_lines(&md);
    assert_eq!(sections.len(), 1);
    assert!(sections[0].1 <= render::MAX_SECTION_LINES, "{} lines:\n{md}", sections[0].1);
    // Every subsection is still there, folded or cut with a count of what was left out.
    for heading in ["### Granted versus used", "### Used only in incidents", "### Evidence", "### Notes"] {
        assert!(md.contains(heading), "{heading} missing:\n{md}");
    }
    assert!(md.contains("more (each in recommendations.json)"), "{md}");
    // The used actions fold to one line per service, the unused ones to one line in all.
    assert!(md.lines().any(|l| l == "  svc000: Act0, Act1, Act2, Act3"), "{md}");
    assert!(md.lines().any(|l| l.starts_with("- ") && l.contains(" unused actions in ")), "{md}");
    // The proposal is whole: the fenced document follows its title.
    let doc = serde_json::to_string_pretty(&r.documents[0]).unwrap();
    assert!(md.contains(&format!("characters):\n```json\n{doc}\n```\n")), "{md}");
}

#[test]
fn assumptions_come_from_the_identity_events_the_people_report_reads() {
    use crate::usage::people::IdentityEvent;
    let role = format!("arn:aws:iam::{ACCOUNT}:role/deploy");
    let rp = |extra: Value| {
        let mut v = json!({"roleArn": role, "roleSessionName": "s"});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        v.to_string()
    };
    let chained = IdentityEvent {
        time: 5,
        event_id: "e1".into(),
        event_name: "AssumeRole".into(),
        identity_type: "AssumedRole".into(),
        identity_arn: format!("arn:aws:sts::{ACCOUNT}:assumed-role/ci/run-1"),
        session_issuer_arn: format!("arn:aws:iam::{ACCOUNT}:role/ci"),
        account_id: ACCOUNT.into(),
        request_parameters: rp(json!({"externalId": "x-1", "sourceIdentity": "kim"})),
        ..Default::default()
    };
    let service = IdentityEvent {
        event_id: "e2".into(),
        event_name: "AssumeRole".into(),
        identity_type: "AWSService".into(),
        invoked_by: "ec2.amazonaws.com".into(),
        request_parameters: rp(json!({})),
        ..Default::default()
    };
    let saml = IdentityEvent {
        event_id: "e3".into(),
        event_name: "AssumeRoleWithSAML".into(),
        identity_type: "SAMLUser".into(),
        user_name: "dana@example.com".into(),
        request_parameters: rp(json!({"principalArn": format!("arn:aws:iam::{ACCOUNT}:saml-provider/sso")})),
        ..Default::default()
    };
    let failed = IdentityEvent { event_id: "e4".into(), error_code: "AccessDenied".into(), ..chained.clone() };
    let sign_in = IdentityEvent { event_id: "e5".into(), event_name: "ListAccounts".into(), ..Default::default() };
    let got = trust::assumptions(&[chained, service, saml, failed, sign_in]);
    assert_eq!(got.iter().map(|a| a.event_id.as_str()).collect::<Vec<_>>(), ["e1", "e2", "e3"], "{got:#?}");
    assert_eq!(got[0].caller_arn.as_deref(), Some(format!("arn:aws:iam::{ACCOUNT}:role/ci").as_str()));
    assert_eq!(got[0].caller_account.as_deref(), Some(ACCOUNT));
    assert_eq!((got[0].external_id.as_deref(), got[0].source_identity.as_deref()), (Some("x-1"), Some("kim")));
    assert_eq!(got[0].time_ms, 5);
    assert_eq!(got[1].service.as_deref(), Some("ec2.amazonaws.com"));
    assert_eq!(got[2].provider.as_deref(), Some(format!("arn:aws:iam::{ACCOUNT}:saml-provider/sso").as_str()));
    assert_eq!(got[2].subject.as_deref(), Some("dana@example.com"));
    assert!(got.iter().all(|a| a.role_arn == role));
}
