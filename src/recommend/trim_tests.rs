//! Unit tests of the steps of [`run`]: group, grants, carried statements, verify, name.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::*;
use crate::policy::{parse_policy, NamedPolicy, PolicySet};
use crate::recommend::PrincipalKind;

const ACCOUNT: &str = "111122223333";

fn input(statements: Value, observed: Vec<ObservedCall>) -> PrincipalInput {
    let doc = json!({"Version": "2012-10-17", "Statement": statements});
    let policy = NamedPolicy::new("app", PolicyKind::Identity, parse_policy(&doc).expect("test policy parses"));
    PrincipalInput {
        arn: format!("arn:aws:iam::{ACCOUNT}:role/app"),
        kind: PrincipalKind::Role,
        name: "app".into(),
        account: ACCOUNT.into(),
        policies: PolicySet { identity: vec![policy], ..PolicySet::default() },
        resource_policies: BTreeMap::new(),
        created_ms: None,
        observed,
        denied: Vec::new(),
        unobservable: BTreeSet::new(),
        incident_only: Vec::new(),
        window_start_ms: 0,
        window_end_ms: 90 * DAY_MS,
    }
}

fn call(action: &str, resource: Option<&str>) -> ObservedCall {
    ObservedCall {
        action: action.into(),
        resource: resource.map(str::to_string),
        count: 2,
        first_seen_ms: DAY_MS,
        last_seen_ms: 2 * DAY_MS,
        sample_event_ids: vec![format!("evt-{action}")],
        passed_to_service: None,
        context: Vec::new(),
    }
}

fn keep_prefix(st: &Statement) -> bool {
    st.sid.as_deref().is_some_and(|s| s.starts_with("Keep"))
}

fn no_keep(_: &Statement) -> bool {
    false
}

fn statements() -> Value {
    json!([
        {"Sid": "Broad", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Sid": "Reports", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"},
        {"Sid": "KeepList", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::reports"},
        {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
        {"Sid": "NoEc2", "Effect": "Deny", "Action": "ec2:TerminateInstances", "Resource": "*"}
    ])
}

#[test]
fn group_chooses_the_narrowest_statement_and_skips_keep_marked_ones() {
    let input = input(
        statements(),
        vec![
            call("s3:GetObject", Some("arn:aws:s3:::reports/a.csv")),
            call("s3:ListBucket", Some("arn:aws:s3:::reports")),
            call("s3:PutObject", Some("arn:aws:s3:::reports/b.csv")),
        ],
    );
    let original = base_set(&input);
    let index = AccessIndex::new(&original, &principal_info(&input));
    let mut set = base_set(&input);
    let c = classify(&input, &mut set, &index);
    let stmts = identity_statements(&original);
    let g = group(&c.included, &stmts, &keep_prefix);

    // Broad (0) and Reports (1) both allow GetObject: both are matched, Reports is chosen.
    assert_eq!(g.matched, BTreeSet::from([0, 1, 2]));
    assert_eq!(g.per_action_stmts["s3:GetObject"], BTreeSet::from([0, 1]));
    assert_eq!(g.per_action_stmts["s3:ListBucket"], BTreeSet::from([0, 2]));
    // ListBucket's chosen statement is keep-marked: carried as written, no group.
    let keys: Vec<(String, usize)> = g.groups.keys().cloned().collect();
    assert_eq!(keys, vec![("s3:GetObject".to_string(), 1), ("s3:PutObject".to_string(), 0)]);
    assert_eq!(
        g.groups[&("s3:GetObject".to_string(), 1)].resources,
        BTreeSet::from(["arn:aws:s3:::reports/a.csv".to_string()])
    );
    assert!(g.resource_policy_only.is_empty());
    assert!(g.unknown_conditions.is_empty());
}

#[test]
fn grants_generalise_observed_resources_and_keep_the_statement_for_unscoped_calls() {
    let input = input(
        json!([
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::reports/*"},
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}
        ]),
        vec![
            call("s3:GetObject", Some("arn:aws:s3:::reports/2026/a.csv")),
            ObservedCall {
                passed_to_service: Some("ec2.amazonaws.com".into()),
                ..call("iam:PassRole", Some("arn:aws:iam::111122223333:role/web"))
            },
        ],
    );
    let original = base_set(&input);
    let stmts = identity_statements(&original);
    let mut groups: BTreeMap<(String, usize), GroupAcc> = BTreeMap::new();
    groups.insert(
        ("s3:GetObject".into(), 0),
        GroupAcc { resources: BTreeSet::from(["arn:aws:s3:::reports/2026/a.csv".to_string()]), ..GroupAcc::default() },
    );
    groups.insert(("s3:PutObject".into(), 0), GroupAcc { any_resource: true, ..GroupAcc::default() });
    groups.insert(
        ("iam:PassRole".into(), 1),
        GroupAcc {
            resources: BTreeSet::from(["arn:aws:iam::111122223333:role/web".to_string()]),
            passed: BTreeSet::from(["ec2.amazonaws.com".to_string()]),
            ..GroupAcc::default()
        },
    );
    let (grants, unscoped) = grants_of(&groups, &stmts, &RecommendOptions::default());
    assert_eq!(unscoped, BTreeSet::from(["s3:PutObject".to_string()]));
    let by: BTreeMap<&str, &Grant> = grants.iter().map(|g| (g.action.as_str(), g)).collect();
    assert_eq!(by["s3:GetObject"].resources, ResourceSpec::Resource(vec!["arn:aws:s3:::reports/2026/a.csv".into()]));
    assert_eq!(by["s3:GetObject"].condition, None);
    assert_eq!(by["s3:PutObject"].resources, ResourceSpec::Resource(vec!["arn:aws:s3:::reports/*".into()]));
    assert_eq!(by["iam:PassRole"].resources, ResourceSpec::Resource(vec!["arn:aws:iam::111122223333:role/web".into()]));
    assert_eq!(
        by["iam:PassRole"].condition,
        Some(json!({"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}))
    );
}

#[test]
fn unobservable_grants_take_every_allowing_statement_but_keep_marked_ones() {
    let input = input(statements(), Vec::new());
    let original = base_set(&input);
    let stmts = identity_statements(&original);
    let unobservable = BTreeSet::from(["s3:GetObject".to_string(), "s3:ListBucket".to_string()]);
    let grants = unobservable_grants(&unobservable, &stmts, &keep_prefix);
    let got: Vec<(&str, &ResourceSpec)> = grants.iter().map(|g| (g.action.as_str(), &g.resources)).collect();
    let star = ResourceSpec::Resource(vec!["*".into()]);
    let reports = ResourceSpec::Resource(vec!["arn:aws:s3:::reports/*".into()]);
    assert_eq!(got, vec![("s3:GetObject", &star), ("s3:GetObject", &reports), ("s3:ListBucket", &star)]);
}

#[test]
fn carried_keeps_marked_statements_and_only_denies_that_still_apply() {
    let input = input(statements(), Vec::new());
    let original = base_set(&input);
    let stmts = identity_statements(&original);
    let grants = vec![Grant {
        action: "s3:DeleteObject".into(),
        resources: ResourceSpec::Resource(vec!["*".into()]),
        condition: None,
    }];
    let c = carried(&stmts, &keep_prefix, &grants);
    assert_eq!(c.labels, vec!["app#KeepList".to_string()]);
    assert_eq!(c.keep.len(), 1);
    assert_eq!(c.keep[0]["Sid"], json!("KeepList"));
    // NoDelete applies to a granted action; NoEc2 to nothing the proposal grants.
    let sids: Vec<&Value> = c.denies.iter().map(|d| &d["Sid"]).collect();
    assert_eq!(sids, vec![&json!("NoDelete")]);

    let none = carried(&stmts, &no_keep, &[]);
    assert!(none.keep.is_empty() && none.labels.is_empty() && none.denies.is_empty());
}

#[test]
fn verify_proposal_fails_an_empty_proposal_and_counts_removed_actions() {
    let input = input(
        json!([{"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:DeleteQueue"], "Resource": "*"}]),
        vec![call("sqs:SendMessage", Some("arn:aws:sqs:us-east-1:111122223333:jobs"))],
    );
    let original = base_set(&input);
    let index = AccessIndex::new(&original, &principal_info(&input));
    let granted = granted_actions(&original, &index, false);
    assert_eq!(granted, BTreeSet::from(["sqs:DeleteQueue".to_string(), "sqs:SendMessage".to_string()]));
    let mut set = base_set(&input);
    let c = classify(&input, &mut set, &index);

    let doc = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:111122223333:jobs"}
    ]});
    let (v, removed) = verify_proposal(&input, &original, &granted, &c.included, &[doc.clone()], &[]);
    assert_eq!(v.failures, Vec::<String>::new());
    assert_eq!((v.replayed_calls, v.replayed_events, removed), (1, 2, 1));

    let (v, removed) = verify_proposal(&input, &original, &granted, &c.included, &[doc], &["too big".to_string()]);
    assert_eq!(v.failures, vec!["too big".to_string()]);
    assert_eq!(removed, 1);

    let (v, removed) = verify_proposal(&input, &original, &granted, &c.included, &[], &[]);
    assert_eq!(v.failures.len(), 1, "{:?}", v.failures);
    assert_eq!(removed, 2);
}

#[test]
fn name_gives_one_inline_file_numbered_managed_files_or_none() {
    let mut input = input(json!([]), Vec::new());
    input.name = "app/ops".into();
    let (stems, files) = name(&input, true, false, 1);
    let seg = crate::output::segment("app/ops").into_owned();
    assert_eq!(stems, vec![seg.clone()]);
    assert_eq!(files, vec![format!("policies/{ACCOUNT}/roles/{seg}.json")]);

    let (stems, files) = name(&input, true, true, 2);
    assert_eq!(stems, vec![format!("{seg}.managed-1"), format!("{seg}.managed-2")]);
    assert_eq!(files[1], format!("policies/{ACCOUNT}/roles/{seg}.managed-2.json"));

    assert_eq!(name(&input, false, false, 1), (Vec::new(), Vec::new()));
    assert_eq!(name(&input, true, false, 0), (Vec::new(), Vec::new()));
}
