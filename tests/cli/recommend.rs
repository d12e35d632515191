//! `trailtrim recommend` on the sample: every proposal is checked here with the policy engine,
//! independently of how it was built.

use crate::common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use trailtrim::account::{Account, LoadOptions};
use trailtrim::policy::{self, Access, AccessIndex, NamedPolicy, PolicyKind, PrincipalInfo, Request};

fn sample_out() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let out = scratch("recommend-out");
        let mut args: Vec<String> = vec!["recommend".into(), "--lake".into(), p(sample_lake()).into()];
        args.extend(sample_iam_args());
        args.extend(["--out".into(), p(&out).into()]);
        let o = run_owned(&args);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        out
    })
}

fn account() -> Account {
    let iam = sample_logs().join("iam");
    Account::load(&LoadOptions {
        iam: iam.join("authorization-details.json"),
        scps: Some(iam.join("scps")),
        resource_policies: Some(iam.join("resource-policies")),
        credential_report: None,
    })
    .unwrap()
}

fn recs() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(sample_out().join("recommendations.json")).unwrap()).unwrap()
}

/// The proposal documents of a principal, as identity policies.
fn proposal(rec: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    strings(&rec["policy_files"])
        .into_iter()
        .map(|f| {
            let doc: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(sample_out().join(&f)).unwrap()).unwrap();
            (f, doc)
        })
        .collect()
}

fn size_without_whitespace(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

#[test]
fn every_proposal_allows_each_observed_call_and_nothing_beyond_the_original() {
    let account = account();
    let usage = sample_usage();
    let recs = recs();
    let mut checked_principals = 0;
    for rec in recs["principals"].as_array().unwrap() {
        let arn = rec["arn"].as_str().unwrap();
        assert_eq!(rec["verification"]["broader_than_original"], false, "{arn}");
        let docs = proposal(rec);
        if docs.is_empty() {
            continue;
        }
        checked_principals += 1;
        let original = account.policy_set(arn).unwrap();
        let mut proposed = original.clone();
        proposed.identity = docs
            .iter()
            .map(|(f, d)| NamedPolicy::new(f.clone(), PolicyKind::Identity, policy::parse_policy(d).unwrap()))
            .collect();
        let limit = if rec["kind"] == "user" { 2048 } else { 10240 };
        let total: usize = docs.iter().map(|(_, d)| size_without_whitespace(&d.to_string())).sum();
        if total > limit {
            // Over the inline limit: the documents are meant as customer managed policies, and say so.
            let notes = rec["notes"].to_string();
            assert!(
                notes.contains("customer managed"),
                "{arn}: {total} characters inline without a managed-policy note"
            );
        }
        for (f, d) in &docs {
            assert!(size_without_whitespace(&d.to_string()) <= limit.max(6144), "{f} is over IAM's size limit");
        }

        // 1. Replay: every successful call the principal made itself is still allowed.
        let entry = principal(usage, arn);
        for u in entry["used"].as_array().unwrap() {
            if u["granted"] == false {
                continue;
            }
            let action = u["action"].as_str().unwrap();
            let resources = strings(&u["resources"]);
            let unknown_resource = resources.is_empty();
            let resources = if unknown_resource { vec!["*".to_owned()] } else { resources };
            for r in resources {
                let mut ctx = account.base_context(arn);
                ctx.insert("aws:RequestedRegion", u["regions"][0].as_str().unwrap());
                ctx.insert("aws:SecureTransport", "true");
                if action == "iam:PassRole" {
                    let svc = if arn.contains("ci-deployer") { "lambda.amazonaws.com" } else { "ec2.amazonaws.com" };
                    ctx.insert("iam:PassedToService", svc);
                }
                let mut set = proposed.clone();
                set.resource_policy = account.resource_policy(&r).cloned();
                let req = Request {
                    principal: arn.to_owned(),
                    principal_account: Some(ACCOUNT.into()),
                    action: action.to_owned(),
                    resource: r.clone(),
                    resource_account: Some(ACCOUNT.into()),
                    context: ctx,
                };
                let ev = policy::evaluate(&set, &req);
                if unknown_resource {
                    // The call's resource could not be seen: where the original allowed the action on
                    // any resource the proposal must too; otherwise it must still allow it somewhere.
                    let mut orig = original.clone();
                    orig.resource_policy = set.resource_policy.clone();
                    if policy::evaluate(&orig, &req).decision == policy::Decision::Allow {
                        assert_eq!(ev.decision, policy::Decision::Allow, "{arn}: {action} on * is no longer allowed");
                    } else {
                        let info = PrincipalInfo { arn: arn.to_owned(), account: Some(ACCOUNT.into()) };
                        assert_ne!(AccessIndex::new(&proposed, &info).access(action), Access::None, "{arn}: {action}");
                    }
                    continue;
                }
                assert_eq!(
                    ev.decision,
                    policy::Decision::Allow,
                    "{arn}: {action} on {r} is no longer allowed: {}",
                    ev.reason
                );
            }
        }
        // 2. Not broader: every catalog action the proposal allows, the original allows too.
        let info = PrincipalInfo { arn: arn.to_owned(), account: Some(ACCOUNT.into()) };
        let (orig_index, prop_index) = (AccessIndex::new(&original, &info), AccessIndex::new(&proposed, &info));
        for a in trailtrim::catalog::catalog().actions() {
            let name = a.full_name();
            if prop_index.access(&name) != Access::None {
                assert_ne!(
                    orig_index.access(&name),
                    Access::None,
                    "{arn}: the proposal grants {name}, the original does not"
                );
            }
        }
    }
    assert!(checked_principals >= 8, "only {checked_principals} principals got a policy");
}

#[test]
fn the_ec2_role_proposal_scopes_objects_by_prefix_and_drops_the_denied_only_action() {
    let rec = recs()["principals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["arn"] == arn("role/service/app-server-role"))
        .unwrap()
        .clone();
    assert_eq!(strings(&rec["policy_files"]), vec!["policies/111122223333/roles/app-server-role.json"]);
    let doc = &proposal(&rec)[0].1;
    let text = doc.to_string();
    assert!(!text.contains("s3:DeleteObject"), "DeleteObject was only ever denied: {text}");
    let get =
        doc["Statement"].as_array().unwrap().iter().find(|s| s["Action"].to_string().contains("s3:GetObject")).unwrap();
    assert_eq!(get["Resource"], "arn:aws:s3:::examplecorp-data/reports/*");
    assert_eq!(rec["confidence"], "high");
    assert!(rec["verification"]["replayed_calls"].as_u64().unwrap() > 10);
    assert_eq!(rec["verification"]["replayed_calls"], rec["verification"]["still_allowed"]);
    let evidence = rec["evidence"].as_array().unwrap();
    assert!(evidence
        .iter()
        .any(|e| e["action"] == "s3:GetObject" && !e["sample_event_ids"].as_array().unwrap().is_empty()));
}

#[test]
fn passrole_is_kept_scoped_to_the_passed_role_and_service() {
    let recs = recs();
    let rec = recs["principals"].as_array().unwrap().iter().find(|r| r["arn"] == arn("user/ci-deployer")).unwrap();
    let doc = &proposal(rec)[0].1;
    let pass = doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Action"] == "iam:PassRole")
        .expect("PassRole statement");
    assert_eq!(pass["Resource"], arn("role/service/lambda-exec-role"));
    assert_eq!(pass["Condition"]["StringEquals"]["iam:PassedToService"], "lambda.amazonaws.com");
}

#[test]
fn unused_principals_get_no_policy_and_the_report_shows_the_diff() {
    let recs = recs();
    let by_arn: BTreeMap<String, &serde_json::Value> =
        recs["principals"].as_array().unwrap().iter().map(|r| (r["arn"].as_str().unwrap().to_owned(), r)).collect();
    let unused = by_arn[&arn("role/unused-role")];
    assert!(unused["policy_files"].as_array().unwrap().is_empty());
    assert_eq!(unused["used_actions"], 0);
    for key in [
        "granted_actions",
        "used_actions",
        "removed_actions",
        "unobservable_actions",
        "confidence",
        "verification",
        "dead_statements",
        "evidence",
    ] {
        assert!(unused.get(key).is_some(), "recommendations.json lacks {key}");
    }
    let md = std::fs::read_to_string(sample_out().join("report.md")).unwrap();
    assert!(md.contains("app-server-role"));
    assert!(md.lines().any(|l| l.starts_with("  s3:GetObject")), "used actions are marked with two spaces");
    assert!(md.lines().any(|l| l.starts_with("- ")), "unused actions are marked with -");
}

#[test]
fn golden_report_for_the_ec2_role() {
    let out = scratch("recommend-golden");
    let mut args: Vec<String> = vec!["recommend".into(), "--lake".into(), p(sample_lake()).into()];
    args.extend(sample_iam_args());
    args.extend(["--out".into(), p(&out).into(), "--principal".into(), arn("role/service/app-server-role")]);
    assert!(run_owned(&args).status.success());
    let got = std::fs::read_to_string(out.join("report.md")).unwrap();
    let golden = repo().join("tests/golden/sample_app_server_role_report.md");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &got).unwrap();
    }
    let want = std::fs::read_to_string(&golden).expect("golden file (UPDATE_GOLDEN=1 to create)");
    assert_eq!(got, want, "report.md differs from {}", golden.display());
}

#[test]
fn recommendations_are_deterministic_and_csv_is_available() {
    let a = std::fs::read_to_string(sample_out().join("recommendations.json")).unwrap();
    let out = scratch("recommend-again");
    let mut args: Vec<String> = vec!["recommend".into(), "--lake".into(), p(sample_lake()).into()];
    args.extend(sample_iam_args());
    args.extend(["--out".into(), p(&out).into(), "--format".into(), "csv".into()]);
    let o = run_owned(&args);
    assert!(o.status.success());
    assert_eq!(std::fs::read_to_string(out.join("recommendations.json")).unwrap(), a);
    let csv = String::from_utf8(o.stdout).unwrap();
    assert!(csv.lines().next().unwrap().starts_with("arn,"));
    assert!(csv.lines().any(|l| l.contains("app-server-role")));
    // --exclude skips principals by glob.
    args.extend(["--exclude".into(), "*:user/*".into()]);
    let o = run_owned(&args);
    assert!(o.status.success());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("recommendations.json")).unwrap()).unwrap();
    assert!(v["principals"].as_array().unwrap().iter().all(|r| !r["arn"].as_str().unwrap().contains(":user/")));
}

#[test]
fn calls_a_service_makes_on_the_principals_behalf_are_kept() {
    // bob's Athena queries read the Glue catalog and S3 with bob's own permissions (invokedBy athena):
    // they are not bob's direct use, but trimming them away would break his queries.
    let recs = recs();
    let rec = recs["principals"].as_array().unwrap().iter().find(|r| r["arn"] == arn("user/bob")).unwrap();
    let text = proposal(rec).iter().map(|(_, d)| d.to_string()).collect::<String>();
    assert!(text.contains("glue:GetTable") && text.contains("glue:GetDatabase"), "{text}");
    let usage_bob = principal(sample_usage(), &arn("user/bob"));
    assert!(
        usage_bob["used"].as_array().unwrap().iter().all(|u| u["action"] != "glue:GetTable"),
        "usage keeps them apart"
    );
}
