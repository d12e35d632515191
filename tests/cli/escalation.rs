//! Privilege-escalation paths in `trailtrim usage` on the sample account.

use crate::common::*;
use serde_json::Value;

fn usage_json() -> Value {
    let mut args: Vec<String> = vec!["usage".into(), "--lake".into(), p(sample_lake()).into()];
    args.extend(sample_iam_args());
    args.extend(["--format".into(), "json".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    json(&args)
}

fn escalation<'a>(report: &'a Value, arn: &str) -> &'a Value {
    &report["principals"].as_array().unwrap().iter().find(|p| p["arn"] == arn).unwrap()["escalation"]
}

fn ids(v: &Value) -> Vec<&str> {
    v.as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect()
}

#[test]
fn usage_reports_granted_and_used_escalation_paths() {
    let report = usage_json();
    for p in report["principals"].as_array().unwrap() {
        let e = &p["escalation"];
        assert!(e["granted"].is_array() && e["used"].is_array(), "{p}");
        if p["in_account"] == true {
            // A path used by a principal of the account is one its policies grant.
            let granted = ids(&e["granted"]);
            assert!(ids(&e["used"]).iter().all(|u| granted.contains(u)), "{}", p["arn"]);
        }
    }
    // alice is an administrator: every path is open to her, none used.
    let alice = escalation(&report, &arn("user/alice"));
    assert_eq!(alice["granted"].as_array().unwrap().len(), 65);
    assert!(alice["used"].as_array().unwrap().is_empty());
    // carol reads only: no path.
    assert!(escalation(&report, &arn("user/carol"))["granted"].as_array().unwrap().is_empty());
    // The incident's pivot role created an access key (iam-002) among others.
    let pivot = escalation(&report, &arn("role/OrganizationAccountAccessRole"));
    assert!(ids(&pivot["used"]).contains(&"iam-002"), "{pivot}");
    // ci-deployer may pass roles to CloudFormation and update Lambda code, and did.
    let ci = escalation(&report, &arn("user/ci-deployer"));
    assert!(ids(&ci["used"]).contains(&"lambda-003"), "{ci}");
}

#[test]
fn usage_table_ranks_principals_by_escalation_risk() {
    let mut args: Vec<String> = vec!["usage".into(), "--lake".into(), p(sample_lake()).into()];
    args.extend(sample_iam_args());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let table = run_ok(&args);
    let section = table.split("privilege-escalation paths").nth(1).expect("the ranked table");
    // After the section's title, the header and its rule of dashes.
    let first = section.lines().skip_while(|l| !l.starts_with("---")).nth(1).unwrap();
    assert!(first.trim_start().starts_with("1 ") && first.contains("OrganizationAccountAccessRole"), "{section}");
    assert!(!section.contains(&arn("user/carol")));
}
