//! `trailtrim usage --by person` on the sample lake: the people behind the PlatformOps permission
//! set, a role chain, a GitHub Actions web identity, and the KMS calls S3 makes for its callers.

use crate::common::*;
use serde_json::Value;

fn people() -> &'static Value {
    static PEOPLE: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    PEOPLE.get_or_init(|| json(&["usage", "--lake", p(sample_lake()), "--by", "person", "--format", "json"]))
}

fn person(name: &str) -> &'static Value {
    people()["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["person"] == name)
        .unwrap_or_else(|| panic!("no person {name}"))
}

fn used<'a>(person: &'a Value, action: &str) -> Vec<&'a Value> {
    person["used"].as_array().unwrap().iter().filter(|u| u["action"] == action).collect()
}

const OPS: &str = "role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_PlatformOps_fedcba9876543210";

#[test]
fn every_person_has_the_contract_fields() {
    for x in people()["people"].as_array().unwrap() {
        assert!(x["person"].is_string() && x["identities"].is_array() && x["roles"].is_array(), "{x}");
        for u in x["used"].as_array().unwrap() {
            assert!(u["action"].is_string() && u["count"].as_u64().unwrap() > 0, "{u}");
            assert!(u["first_seen"].as_str().unwrap() <= u["last_seen"].as_str().unwrap(), "{u}");
        }
    }
    // Machines are no people: the EC2 instance sessions and the Lambda function's.
    let names: Vec<String> =
        people()["people"].as_array().unwrap().iter().map(|x| x["person"].as_str().unwrap().to_owned()).collect();
    assert!(!names.iter().any(|n| n.starts_with("i-0abc") || n == "app-orders"), "{names:?}");
}

#[test]
fn the_permission_set_is_five_people_and_the_writes_come_from_two() {
    for who in ["gina@example.com", "hugo@example.com", "ines@example.com", "jon@example.com", "kim@example.com"] {
        let x = person(who);
        assert_eq!(x["kind"], "sso", "{who}");
        assert!(strings(&x["roles"]).contains(&arn(OPS)), "{who}: {}", x["roles"]);
        // The Identity Center sign-in is a usage row of the person.
        assert_eq!(used(x, "sts:AssumeRoleWithSAML").len(), 1, "{who}");
        assert!(x["federation"][0]["issuer"].as_str().unwrap().starts_with("https://portal.sso."), "{who}");
    }
    let role = people()["roles"].as_array().unwrap().iter().find(|r| r["role"] == arn(OPS)).unwrap();
    assert_eq!(role["permission_set"], "PlatformOps");
    assert_eq!(strings(&role["read_only"]), ["gina@example.com", "hugo@example.com", "ines@example.com"]);
    let writers: Vec<&str> =
        role["writers"].as_array().unwrap().iter().map(|w| w["person"].as_str().unwrap()).collect();
    assert_eq!(writers, ["jon@example.com", "kim@example.com"]);
    // The split proposal: readers, jon's reboots, kim's release.
    assert_eq!(role["groups"].as_array().unwrap().len(), 3, "{}", role["groups"]);
    let table = run_ok(&["usage", "--lake", p(sample_lake()), "--by", "person"]);
    assert!(
        table.contains("PlatformOps: 5 people; 3 used only read actions; the write actions come from 2 people (jon@example.com, kim@example.com)"),
        "{table}"
    );
}

#[test]
fn a_role_chain_keeps_its_origin_and_s3_uses_the_kms_key_as_the_caller() {
    let kim = person("kim@example.com");
    assert!(strings(&kim["roles"]).contains(&arn("role/release-deployer")), "{}", kim["roles"]);
    let put = used(kim, "s3:PutObject");
    assert_eq!(put.len(), 1);
    assert_eq!(strings(&put[0]["principals"]), [arn("role/release-deployer")]);
    // The dependent KMS actions, made by S3 with kim's sessions, marked via-service.
    for action in ["kms:Decrypt", "kms:GenerateDataKey"] {
        let rows = used(kim, action);
        assert_eq!(rows.len(), 1, "{action}: {}", kim["used"]);
        assert_eq!(rows[0]["via_service"], "s3.amazonaws.com", "{action}");
    }
    // The principal view shows them apart, as calls S3 made for the role.
    let release = principal(sample_usage(), &arn("role/release-deployer"));
    let via: Vec<(String, String)> = release["via_service"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["service"].as_str().unwrap().to_owned(), v["action"].as_str().unwrap().to_owned()))
        .collect();
    assert!(via.contains(&("s3.amazonaws.com".into(), "kms:GenerateDataKey".into())), "{via:?}");
    assert!(via.contains(&("s3.amazonaws.com".into(), "kms:Decrypt".into())), "{via:?}");
}

#[test]
fn a_web_identity_subject_is_a_person_with_its_sign_in() {
    let gha = person("repo:examplecorp/app:ref:refs/heads/main");
    assert_eq!(gha["kind"], "web-identity");
    assert_eq!(strings(&gha["roles"]), [arn("role/gha-deploy")]);
    assert!(!used(gha, "sts:AssumeRoleWithWebIdentity").is_empty());
    assert!(!used(gha, "s3:GetObject").is_empty());
    assert_eq!(gha["federation"][0]["audience"], "sts.amazonaws.com");
}

#[test]
fn one_role_and_the_other_formats() {
    let only = json(&[
        "usage",
        "--lake",
        p(sample_lake()),
        "--by",
        "person",
        "--principal",
        &arn("role/release-deployer"),
        "--format",
        "json",
    ]);
    let names: Vec<&str> = only["people"].as_array().unwrap().iter().map(|x| x["person"].as_str().unwrap()).collect();
    assert_eq!(names, ["kim@example.com"]);
    let md = run_ok(&["usage", "--lake", p(sample_lake()), "--by", "person", "--format", "md"]);
    assert!(md.contains("## People per role") && md.contains("| kim@example.com | sso |"), "{md}");
    let csv = run_ok(&["usage", "--lake", p(sample_lake()), "--by", "person", "--format", "csv"]);
    assert!(
        csv.lines().any(|l| l.starts_with("kim@example.com,sso,kms:GenerateDataKey,used,s3.amazonaws.com,")),
        "{csv}"
    );
}

#[test]
fn recommend_proposes_a_split_and_the_report_says_who_writes() {
    let out = scratch("people-recommend");
    let mut args: Vec<String> = vec!["recommend".into(), "--lake".into(), p(sample_lake()).into()];
    args.extend(sample_iam_args());
    args.extend([
        "--out".into(),
        p(&out).into(),
        "--principal".into(),
        "AWSReservedSSO_PlatformOps_fedcba9876543210".into(),
    ]);
    let o = run_owned(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let recs: Value = serde_json::from_slice(&std::fs::read(out.join("recommendations.json")).unwrap()).unwrap();
    let split = &recs["principals"][0]["split_by_people"];
    let groups: Vec<Vec<String>> = split["groups"].as_array().unwrap().iter().map(|g| strings(&g["people"])).collect();
    assert_eq!(
        groups,
        [
            vec!["gina@example.com", "hugo@example.com", "ines@example.com"],
            vec!["jon@example.com"],
            vec!["kim@example.com"]
        ]
    );
    assert_eq!(strings(&split["groups"][0]["write_actions"]), Vec::<String>::new());
    assert_eq!(strings(&split["groups"][1]["write_actions"]), ["ec2:RebootInstances"]);

    let report = scratch("people-report").join("report.md");
    let mut args: Vec<String> = vec!["report".into(), "--lake".into(), p(sample_lake()).into()];
    args.extend(sample_iam_args());
    args.extend(["--out".into(), p(&report).into(), "--format".into(), "md".into()]);
    let o = run_owned(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(md.contains("### People behind shared roles"), "{md}");
    assert!(md.contains("- PlatformOps: 5 people; 3 used only read actions; the write actions come from 2 people (jon@example.com, kim@example.com)"), "{md}");
    assert!(
        md.contains("  - gina@example.com, hugo@example.com, ines@example.com: only read (3 actions in all)"),
        "{md}"
    );
}
