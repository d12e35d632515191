//! `trailtrim denials` and `trailtrim who-can` on the sample account.

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeSet;

fn denials(extra: &[String]) -> Vec<Value> {
    let mut args: Vec<String> = vec!["denials".into(), "--lake".into(), p(sample_lake()).into()];
    args.extend(sample_iam_args());
    args.extend(["--format".into(), "json".into()]);
    args.extend(extra.iter().cloned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    json(&args)["denials"].as_array().unwrap().clone()
}

/// The ids of the sample's denied events, read from the delivery files.
fn denied_ids() -> BTreeSet<String> {
    let denied = ["AccessDenied", "AccessDeniedException", "Client.UnauthorizedOperation", "UnauthorizedOperation"];
    delivery_files(&sample_logs())
        .iter()
        .flat_map(|f| read_records(f))
        .filter(|r| r["errorCode"].as_str().is_some_and(|c| denied.contains(&c)))
        .map(|r| r["eventID"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_denied_call_is_explained_with_its_layer_and_fix() {
    let all = denials(&[]);
    assert!(!all.is_empty());
    let mut seen = BTreeSet::new();
    for d in &all {
        let ids: Vec<&str> = d["event_ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(d["count"].as_u64().unwrap() as usize, ids.len(), "{d}");
        assert!(d["first_seen"].as_str().unwrap() <= d["last_seen"].as_str().unwrap());
        let layer = d["layer"].as_str().unwrap();
        assert!(
            ["identity", "boundary", "scp", "rcp", "resource", "session", "kms-key", "trust", "unknown"]
                .contains(&layer),
            "{d}"
        );
        assert!(["ExplicitDeny", "ImplicitDeny"].contains(&d["decision"].as_str().unwrap()));
        if d["suspicious"] == true || layer == "unknown" {
            assert!(d["fix"].is_null(), "{d}");
        }
        seen.extend(ids.into_iter().map(str::to_owned));
    }
    // Nothing denied is left out.
    let want = denied_ids();
    assert!(!want.is_empty());
    let missing: Vec<_> = want.difference(&seen).collect();
    assert!(missing.is_empty(), "denied events not explained: {missing:?}");

    // The bucket policy's explicit deny of DeleteObject: the resource layer, the statement, and
    // the fix exempts the caller from it.
    let delete = all
        .iter()
        .find(|d| d["action"] == "s3:DeleteObject" && d["principal"].as_str().unwrap().contains("app-server-role"))
        .expect("app-server-role's refused DeleteObject");
    assert_eq!(delete["layer"], "resource");
    assert_eq!(delete["decision"], "ExplicitDeny");
    assert!(delete["statements"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s.as_str().unwrap().ends_with("#DenyDeleteObjects")));
    assert_eq!(delete["suspicious"], false);
    assert_eq!(delete["fix"]["changes"][0]["change"], "exempt");

    // dave's burst (INC-02) is probing: flagged, never fixed.
    let dave: Vec<&Value> = all.iter().filter(|d| d["principal"].as_str().unwrap().ends_with("user/dave")).collect();
    assert!(dave.iter().any(|d| d["suspicious"] == true));
    assert!(dave.iter().filter(|d| d["suspicious"] == true).all(|d| d["fix"].is_null()));

    // An SCP's explicit deny is named as such.
    assert!(all.iter().any(|d| d["layer"] == "scp" && d["decision"] == "ExplicitDeny"), "no SCP denial");
    // An implicit deny of the identity layer that is not suspicious gets an added statement.
    let fixable = all
        .iter()
        .find(|d| d["layer"] == "identity" && d["decision"] == "ImplicitDeny" && d["suspicious"] == false)
        .expect("a fixable identity denial");
    let change = &fixable["fix"]["changes"][0];
    assert_eq!(change["change"], "add");
    assert_eq!(change["statement"]["Action"], fixable["action"]);
}

#[test]
fn an_rcp_that_denies_is_the_deciding_layer() {
    let dir = scratch("denials-rcps");
    std::fs::write(
        dir.join("00-root.json"),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},
            {"Sid":"NoDeletes","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"*"}]}"#,
    )
    .unwrap();
    let all = denials(&["--rcps".into(), p(&dir).into()]);
    let delete = all
        .iter()
        .find(|d| d["action"] == "s3:DeleteObject" && d["principal"].as_str().unwrap().contains("app-server-role"))
        .unwrap();
    assert_eq!(delete["layer"], "rcp", "{delete}");
    let stmts: Vec<&str> = delete["statements"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(stmts.contains(&"rcp/00-root/00-root#NoDeletes"), "{stmts:?}");
    assert!(stmts.iter().any(|s| s.ends_with("#DenyDeleteObjects")), "{stmts:?}");
}

#[test]
fn denials_table_and_markdown() {
    let mut args: Vec<String> = vec!["denials".into(), "--lake".into(), p(sample_lake()).into()];
    args.extend(sample_iam_args());
    let base: Vec<&str> = args.iter().map(String::as_str).collect();
    let table = run_ok(&base);
    assert!(table.contains("SUSPICIOUS"), "{table}");
    assert!(table.contains("decided by"));
    let mut md_args = base.clone();
    md_args.extend(["--format", "md"]);
    let md = run_ok(&md_args);
    assert!(md.starts_with("# Denied calls"), "{md}");
    assert!(md.contains("| principal | action |"));
}

fn who_can(action: &str, resource: &str) -> Vec<Value> {
    let mut args: Vec<String> = vec!["who-can".into()];
    args.extend(sample_iam_args());
    args.extend([
        "--action".into(),
        action.into(),
        "--resource".into(),
        resource.into(),
        "--format".into(),
        "json".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    json(&args)["principals"].as_array().unwrap().clone()
}

fn find<'a>(all: &'a [Value], arn: &str) -> Option<&'a Value> {
    all.iter().find(|w| w["arn"] == arn)
}

#[test]
fn who_can_lists_identity_and_resource_grants() {
    // alice is an administrator; carol reads everything; the public-read bucket policy lets
    // anyone read backups.
    let all = who_can("s3:GetObject", "arn:aws:s3:::examplecorp-backups/db.dump");
    let alice = find(&all, &arn("user/alice")).expect("alice");
    assert_eq!(alice["via"], "identity");
    assert!(find(&all, &arn("user/carol")).is_some());
    let anyone = find(&all, "*").expect("the public grant");
    assert_eq!(anyone["via"], "resource");
    assert_eq!(anyone["decision"], "Allow");
    assert!(anyone["statements"][0].as_str().unwrap().ends_with("#PublicRead"));
    // Nobody may write: no principal is listed twice, and the root user is.
    let arns: Vec<&str> = all.iter().map(|w| w["arn"].as_str().unwrap()).collect();
    let unique: BTreeSet<&str> = arns.iter().copied().collect();
    assert_eq!(arns.len(), unique.len());
    assert!(unique.contains(arn("root").as_str()));
    // The bucket policy denies DeleteObject to everyone on examplecorp-data.
    let none = who_can("s3:DeleteObject", "arn:aws:s3:::examplecorp-data/reports/x.csv");
    assert!(none.iter().all(|w| !w["arn"].as_str().unwrap().starts_with("arn:aws:iam::")), "{none:?}");
}

#[test]
fn who_can_follows_a_cross_account_trust_and_conditions() {
    // audit-readonly trusts account 444455556666: that account may assume it.
    let all = who_can("sts:AssumeRole", &arn("role/audit-readonly"));
    let partner = find(&all, "arn:aws:iam::444455556666:root").expect("the trusted account");
    assert_eq!(partner["via"], "resource");
    // The KMS key lets CloudTrail encrypt only under an encryption-context condition.
    let key = "arn:aws:kms:us-east-1:111122223333:key/0f2a4c6e-8b1d-4e3f-9a5b-7c9d1e3f5a7b";
    let all = who_can("kms:GenerateDataKey", key);
    let trail = find(&all, "cloudtrail.amazonaws.com").expect("CloudTrail");
    assert_eq!(trail["decision"], "Conditional");
    assert!(trail["conditions"][0].as_str().unwrap().contains("kms:EncryptionContext:aws:cloudtrail:arn"));
}
