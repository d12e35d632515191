//! `trailtrim recommend` on the sample: every proposal is checked here with the policy engine,
//! independently of how it was built.

use crate::common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use trailtrim::account::{Account, LoadOptions};
use trailtrim::policy::{self, Access, AccessIndex, NamedPolicy, PolicyKind, PrincipalInfo, Request};

const BOB_INSTANCE: &str = "i-0b0b5eed0b0b5eed0";

/// Calls set aside as used only in incidents (whole actions, or actions on some resources).
fn incident_only(rec: &serde_json::Value, action: &str, resource: Option<&str>) -> bool {
    rec["incident_only"].as_array().unwrap().iter().any(|u| {
        u["action"] == action
            && match u.get("resources") {
                None => true,
                Some(rs) => resource.is_some_and(|r| strings(rs).iter().any(|x| x == r)),
            }
    })
}

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
        rcps: None,
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
        assert_eq!(rec["verification"]["static"], "proved", "{arn}");
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
            let action = u["action"].as_str().unwrap();
            if u["granted"] == false || incident_only(rec, action, None) {
                continue;
            }
            let resources = strings(&u["resources"]);
            let unknown_resource = resources.is_empty();
            let resources = if unknown_resource { vec!["*".to_owned()] } else { resources };
            for r in resources {
                if incident_only(rec, action, Some(&r)) {
                    continue;
                }
                let mut ctx = account.base_context(arn);
                ctx.insert("aws:RequestedRegion", u["regions"][0].as_str().unwrap());
                ctx.insert("aws:SecureTransport", "true");
                if action == "iam:PassRole" {
                    let svc = if arn.contains("ci-deployer") { "lambda.amazonaws.com" } else { "ec2.amazonaws.com" };
                    ctx.insert("iam:PassedToService", svc);
                }
                // Ground truth CloudTrail does not carry: bob's test instance is tagged owner=bob.
                if r.ends_with(BOB_INSTANCE) {
                    ctx.insert("aws:ResourceTag/owner", "bob");
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
    assert_eq!(rec["verification"]["replayed_calls"], 230, "the role's distinct calls in the sample");
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
    crate::golden::assert_golden("tests/golden/sample_app_server_role_report.md", &got);
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

fn rec_of<'a>(recs: &'a serde_json::Value, tail: &str) -> &'a serde_json::Value {
    recs["principals"].as_array().unwrap().iter().find(|r| r["arn"] == arn(tail)).unwrap()
}

#[test]
fn a_grant_conditioned_on_resource_tags_is_kept_as_written() {
    // The developers may start and stop instances tagged with their name; CloudTrail does not record
    // the tag, so the replay cannot prove the condition, but bob's ~50 successful calls prove it held.
    let recs = recs();
    let bob = rec_of(&recs, "user/bob");
    assert!(strings(&bob["used_not_granted"]).is_empty(), "{}", bob["used_not_granted"]);
    let doc = &proposal(bob)[0].1;
    let st = doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Action"].to_string().contains("ec2:StartInstances"))
        .unwrap_or_else(|| panic!("StartInstances dropped: {doc:#}"));
    assert_eq!(st["Action"], serde_json::json!(["ec2:StartInstances", "ec2:StopInstances"]));
    assert_eq!(st["Resource"], "*");
    assert_eq!(st["Condition"]["StringEquals"]["aws:ResourceTag/owner"], "${aws:username}");
    let ev = bob["evidence"].as_array().unwrap().iter().find(|e| e["action"] == "ec2:StartInstances").unwrap();
    assert!(ev["count"].as_u64().unwrap() >= 20, "{ev}");
    assert_eq!(
        ev["unknown_conditions"],
        serde_json::json!(["group/developers/inline/own-instances#OwnInstances: aws:ResourceTag/owner"])
    );
    let md = std::fs::read_to_string(sample_out().join("report.md")).unwrap();
    assert!(md.contains("conditions CloudTrail does not record"));
}

/// What the proposal keeps of a principal: the actions its Allow statements name.
fn kept_actions(rec: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    for (_, d) in proposal(rec) {
        for st in d["Statement"].as_array().unwrap().iter().filter(|s| s["Effect"] == "Allow") {
            match &st["Action"] {
                serde_json::Value::String(a) => out.push(a.clone()),
                serde_json::Value::Array(a) => out.extend(a.iter().map(|x| x.as_str().unwrap().to_owned())),
                _ => {}
            }
        }
    }
    out
}

const ATTACKER_ACTIONS: [&str; 5] = [
    "cloudtrail:DeleteTrail",
    "cloudtrail:StopLogging",
    "guardduty:DeleteDetector",
    "iam:CreateAccessKey",
    "iam:AttachUserPolicy",
];

#[test]
fn actions_used_only_in_incidents_are_not_kept() {
    let recs = recs();
    let org = rec_of(&recs, "role/OrganizationAccountAccessRole");
    let kept = kept_actions(org);
    let listed: Vec<&serde_json::Value> = org["incident_only"].as_array().unwrap().iter().collect();
    for a in ATTACKER_ACTIONS {
        assert!(!kept.contains(&a.to_string()), "{a} kept: {kept:?}");
        let u = listed
            .iter()
            .find(|u| u["action"] == a && u.get("resources").is_none())
            .unwrap_or_else(|| panic!("{a} not listed"));
        let note = u["note"].as_str().unwrap();
        assert!(note.starts_with("used only in finding") && note.ends_with(": not kept"), "{note}");
        assert!(!u["findings"].as_array().unwrap().is_empty());
    }
    // Calls of the attacker's session inside a critical incident's span that no finding cites
    // (2026-10-09: StartInstances, DescribeRegions) are the incident's too; the role's own calls
    // of 2026-09-16 are kept.
    for a in ["ec2:StartInstances", "ec2:DescribeRegions", "bedrock:GetFoundationModelAvailability"] {
        assert!(!kept.contains(&a.to_string()), "{a} kept: {kept:?}");
        assert!(listed.iter().any(|u| u["action"] == a), "{a} not listed");
    }
    for a in ["iam:ListRoles", "organizations:DescribeOrganization"] {
        assert!(kept.contains(&a.to_string()), "{a} (used outside incidents) not kept: {kept:?}");
    }
    let alice = rec_of(&recs, "user/alice");
    assert!(!kept_actions(alice).contains(&"iam:SetDefaultPolicyVersion".to_string()));
    assert!(alice["incident_only"].as_array().unwrap().iter().any(|u| u["action"] == "iam:SetDefaultPolicyVersion"));
    let md = std::fs::read_to_string(sample_out().join("report.md")).unwrap();
    assert!(md.contains("### Used only in incidents"));
    // The administrator role's 50-odd incident actions fold to one line per service.
    assert!(md.contains("- `cloudtrail` (3 events): DeleteTrail, PutEventSelectors, StopLogging\n"), "{md}");

    // --findings with detect's own output gives the same recommendations.
    let dir = scratch("recommend-findings");
    let mut args: Vec<String> = vec!["detect".into(), "--lake".into(), p(sample_lake()).into()];
    args.extend(["--iam".into(), p(&sample_iam()).into(), "--format".into(), "json".into()]);
    let o = run_owned(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::write(dir.join("findings.json"), &o.stdout).unwrap();
    let mut args: Vec<String> = vec!["recommend".into(), "--lake".into(), p(sample_lake()).into()];
    args.extend(sample_iam_args());
    let out = dir.join("out");
    args.extend(["--out".into(), p(&out).into(), "--findings".into(), p(&dir.join("findings.json")).into()]);
    let o = run_owned(&args);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(out.join("recommendations.json")).unwrap(),
        std::fs::read_to_string(sample_out().join("recommendations.json")).unwrap()
    );

    // --keep-incident-actions keeps them.
    let mut args: Vec<String> = vec!["recommend".into(), "--lake".into(), p(sample_lake()).into()];
    args.extend(sample_iam_args());
    let out = dir.join("keep");
    args.extend(["--out".into(), p(&out).into(), "--keep-incident-actions".into()]);
    args.extend(["--principal".into(), arn("role/OrganizationAccountAccessRole")]);
    let o = run_owned(&args);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("recommendations.json")).unwrap()).unwrap();
    let org = &v["principals"][0];
    assert!(org["incident_only"].as_array().unwrap().is_empty());
    let text: String =
        strings(&org["policy_files"]).iter().map(|f| std::fs::read_to_string(out.join(f)).unwrap()).collect();
    for a in ATTACKER_ACTIONS {
        assert!(text.contains(a), "{a} not kept with --keep-incident-actions");
    }

    // A findings file that is not one is a clear error.
    std::fs::write(dir.join("bad.json"), "{\"findings\": 3}").unwrap();
    let mut args: Vec<String> = vec!["recommend".into(), "--lake".into(), p(sample_lake()).into()];
    args.extend(sample_iam_args());
    args.extend(["--out".into(), p(&dir.join("bad")).into(), "--findings".into(), p(&dir.join("bad.json")).into()]);
    let o = run_owned(&args);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.json") && err.contains("not a findings.json"), "{err}");
}

/// Independent check through `trailtrim eval` (the batch evaluator, not the recommend engine's
/// replay): for every successful call in usage.json that the original policies allow, the proposal
/// allows it too, with the same boundary, SCPs, resource policy and context.
#[test]
fn trailtrim_eval_allows_every_observed_call_under_the_proposal() {
    let account = account();
    let usage = sample_usage();
    let recs = recs();
    let named = |name: &str, doc: serde_json::Value| serde_json::json!({"name": name, "document": doc});
    let mut cases: Vec<String> = Vec::new();
    for rec in recs["principals"].as_array().unwrap() {
        let arn = rec["arn"].as_str().unwrap();
        let docs = proposal(rec);
        if docs.is_empty() {
            continue;
        }
        let set = account.policy_set(arn).unwrap();
        let original: Vec<serde_json::Value> =
            set.identity.iter().map(|p| named(&p.name, p.policy.to_json())).collect();
        let proposed: Vec<serde_json::Value> = docs.iter().map(|(f, d)| named(f, d.clone())).collect();
        let boundaries: Vec<serde_json::Value> =
            set.boundaries.iter().map(|p| named(&p.name, p.policy.to_json())).collect();
        let scps: Vec<Vec<serde_json::Value>> =
            set.scps.iter().map(|l| l.iter().map(|p| named(&p.name, p.policy.to_json())).collect()).collect();
        let sessions: Vec<serde_json::Value> = set.session_policies.iter().map(|p| p.policy.to_json()).collect();
        for u in principal(usage, arn)["used"].as_array().unwrap() {
            let action = u["action"].as_str().unwrap();
            if u["granted"] == false || incident_only(rec, action, None) {
                continue;
            }
            let resources = strings(&u["resources"]);
            // Calls without a resource are checked by the replay test above (allowed somewhere).
            for r in resources {
                if incident_only(rec, action, Some(&r)) {
                    continue;
                }
                let mut ctx = account.base_context(arn);
                ctx.insert("aws:RequestedRegion", u["regions"][0].as_str().unwrap());
                ctx.insert("aws:SecureTransport", "true");
                if action == "iam:PassRole" {
                    let svc = if arn.contains("ci-deployer") { "lambda.amazonaws.com" } else { "ec2.amazonaws.com" };
                    ctx.insert("iam:PassedToService", svc);
                }
                if r.ends_with(BOB_INSTANCE) {
                    ctx.insert("aws:ResourceTag/owner", "bob");
                }
                let request = serde_json::json!({
                    "principal": arn, "principal_account": ACCOUNT, "action": action, "resource": r,
                    "resource_account": ACCOUNT, "context": ctx,
                });
                let resource_policy = account.resource_policy(&r).map(|p| {
                    let key = if p.kind == PolicyKind::Trust { "trust_policy" } else { "resource_policy" };
                    (key, p.policy.to_json())
                });
                for (which, identity) in [("original", &original), ("proposed", &proposed)] {
                    let mut case = serde_json::json!({
                        "id": format!("{which}|{arn}|{action}|{r}"), "request": request,
                        "identity_policies": identity, "permission_boundaries": boundaries, "scps": scps,
                    });
                    if let Some((key, rp)) = &resource_policy {
                        case[*key] = rp.clone();
                    }
                    if let Some(s) = sessions.first() {
                        case["session_policy"] = s.clone();
                    }
                    cases.push(case.to_string());
                }
            }
        }
    }
    assert!(cases.len() > 200, "only {} cases", cases.len());
    let dir = scratch("recommend-eval");
    std::fs::write(dir.join("cases.jsonl"), cases.join("\n") + "\n").unwrap();
    let o = run(&["eval", "--cases", p(&dir.join("cases.jsonl"))]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let mut decisions: BTreeMap<String, String> = BTreeMap::new();
    for line in String::from_utf8(o.stdout).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v.get("error").is_none(), "{v}");
        decisions.insert(v["id"].as_str().unwrap().to_owned(), v["decision"].as_str().unwrap().to_owned());
    }
    let mut checked = 0;
    for (id, d) in &decisions {
        let Some(rest) = id.strip_prefix("original|") else { continue };
        if d != "Allow" {
            continue;
        }
        checked += 1;
        assert_eq!(
            decisions[&format!("proposed|{rest}")],
            "Allow",
            "{rest}: the original allows, the proposal does not"
        );
    }
    assert!(checked > 100, "only {checked} calls checked");
    assert!(decisions.keys().any(|k| k.contains("ec2:StartInstances") && k.contains("user/bob")));
}

/// `recommend --emit` with every form on the sample.
fn emitted_out() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let out = scratch("recommend-emit");
        let mut args: Vec<String> = vec!["recommend".into(), "--lake".into(), p(sample_lake()).into()];
        args.extend(sample_iam_args());
        args.extend(["--out".into(), p(&out).into()]);
        for form in ["json", "cli", "terraform", "cloudformation"] {
            args.extend(["--emit".into(), form.into()]);
        }
        let o = run_owned(&args);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        out
    })
}

/// (principal name, kind, policy file, managed) of every written proposal document.
fn written_documents(out: &Path) -> Vec<(String, String, String, bool)> {
    let recs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("recommendations.json")).unwrap()).unwrap();
    let mut docs = Vec::new();
    for r in recs["principals"].as_array().unwrap() {
        for f in strings(&r["policy_files"]) {
            let managed = f.contains(".managed-");
            docs.push((r["name"].as_str().unwrap().to_owned(), r["kind"].as_str().unwrap().to_owned(), f, managed));
        }
    }
    assert!(docs.len() > 5 && docs.iter().any(|d| d.3) && docs.iter().any(|d| !d.3), "{docs:?}");
    docs
}

const DEPLOY: &str = "deploy/111122223333";

#[test]
fn emit_cli_is_a_valid_script_that_applies_every_written_policy() {
    let out = emitted_out();
    let marker = std::fs::read_to_string(out.join(".trailtrim-output")).unwrap();
    for f in ["apply.sh", "main.tf", "template.json"] {
        assert!(marker.lines().any(|l| l == format!("{DEPLOY}/{f}")), "{f} not in the marker:\n{marker}");
    }
    let script = out.join(DEPLOY).join("apply.sh");
    let check = std::process::Command::new("bash").arg("-n").arg(&script).output().unwrap();
    assert!(check.status.success(), "bash -n: {}", String::from_utf8_lossy(&check.stderr));
    let sh = std::fs::read_to_string(&script).unwrap();
    assert!(sh.lines().any(|l| l == "set -euo pipefail"));
    let live: Vec<&str> = sh.lines().filter(|l| !l.starts_with('#') && l.starts_with("aws ")).collect();
    // Nothing is removed unless the reviewer uncomments it.
    assert!(
        live.iter().all(|l| !l.contains(" detach-") && !l.contains(" delete-") && !l.contains("remove-user")),
        "{sh}"
    );
    assert!(sh.lines().any(|l| l.starts_with("# aws iam detach-user-policy --user-name 'support-ops'")), "{sh}");
    assert!(sh.lines().any(|l| l == "# aws iam remove-user-from-group --user-name 'bob' --group-name 'developers'"));
    for (name, kind, file, managed) in written_documents(out) {
        assert!(out.join(&file).is_file());
        let doc = format!("--policy-document 'file://{file}'");
        let line = live.iter().find(|l| l.ends_with(&doc)).unwrap_or_else(|| panic!("{file} is not applied:\n{sh}"));
        if managed {
            assert!(line.starts_with("aws iam create-policy --policy-name 'trailtrim-"), "{line}");
            assert!(
                live.iter().any(|l| l.starts_with(&format!("aws iam attach-{kind}-policy --{kind}-name '{name}' --policy-arn 'arn:aws:iam::111122223333:policy/trailtrim-"))),
                "{name}: no attach"
            );
        } else {
            assert!(line.starts_with(&format!("aws iam put-{kind}-policy --{kind}-name '{name}' ")), "{line}");
        }
    }
}

#[test]
fn emit_terraform_parses_as_hcl_and_names_every_written_policy() {
    let out = emitted_out();
    let tf = out.join(DEPLOY).join("main.tf");
    // An independent HCL2 parser (python-hcl2, from scripts/test-requirements.txt).
    let o = std::process::Command::new(python())
        .args(["-c", "import hcl2, json, sys; print(json.dumps(hcl2.load(open(sys.argv[1]))))", p(&tf)])
        .output()
        .unwrap();
    assert!(o.status.success(), "main.tf does not parse: {}", String::from_utf8_lossy(&o.stderr));
    let parsed: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let unquote = |s: &str| s.trim_matches('"').to_owned();
    // (type, name) -> attributes, every resource once.
    let mut resources: BTreeMap<(String, String), serde_json::Value> = BTreeMap::new();
    for block in parsed["resource"].as_array().unwrap() {
        for (ty, named) in block.as_object().unwrap() {
            for (name, attrs) in named.as_object().unwrap() {
                let key = (unquote(ty), unquote(name));
                let valid = key.1.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && key.1.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                assert!(valid, "invalid Terraform name {:?}", key.1);
                assert!(resources.insert(key.clone(), attrs.clone()).is_none(), "{key:?} twice");
            }
        }
    }
    let docs = written_documents(out);
    for (name, kind, file, managed) in &docs {
        let reads = |a: &serde_json::Value| a["policy"] == format!("${{file(\"${{path.module}}/../../{file}\")}}");
        let (key, attrs) = resources.iter().find(|(_, a)| reads(a)).unwrap_or_else(|| panic!("{file} not in main.tf"));
        assert_eq!(
            unquote(attrs["name"].as_str().unwrap()),
            format!("trailtrim-{}", file.rsplit('/').next().unwrap().trim_end_matches(".json"))
        );
        if *managed {
            assert_eq!(key.0, "aws_iam_policy");
            let attachment = &resources[&(format!("aws_iam_{kind}_policy_attachment"), key.1.clone())];
            assert_eq!(unquote(attachment[kind.as_str()].as_str().unwrap()), *name);
            assert_eq!(attachment["policy_arn"], format!("${{aws_iam_policy.{}.arn}}", key.1));
        } else {
            assert_eq!(key.0, format!("aws_iam_{kind}_policy"));
            assert_eq!(unquote(attrs[kind.as_str()].as_str().unwrap()), *name);
        }
    }
    let managed = docs.iter().filter(|d| d.3).count();
    assert_eq!(resources.len(), docs.len() + managed, "one resource per document, one attachment per managed one");
}

#[test]
fn emit_cloudformation_embeds_each_proposal_unchanged() {
    let out = emitted_out();
    let template: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(DEPLOY).join("template.json")).unwrap()).unwrap();
    assert_eq!(template["AWSTemplateFormatVersion"], "2010-09-09");
    let resources = template["Resources"].as_object().unwrap();
    let docs = written_documents(out);
    assert_eq!(resources.len(), docs.len());
    for id in resources.keys() {
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
    }
    for (name, kind, file, managed) in docs {
        let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join(&file)).unwrap()).unwrap();
        let r = resources
            .values()
            .find(|r| r["Properties"]["PolicyDocument"] == doc)
            .unwrap_or_else(|| panic!("{file}: no resource with this document"));
        let props = &r["Properties"];
        match (kind.as_str(), managed) {
            (_, true) => {
                assert_eq!(r["Type"], "AWS::IAM::ManagedPolicy");
                let holders = if kind == "user" { "Users" } else { "Roles" };
                assert_eq!(props[holders], serde_json::json!([name]));
            }
            ("user", false) => {
                assert_eq!(r["Type"], "AWS::IAM::UserPolicy");
                assert_eq!(props["UserName"], name.as_str());
            }
            (_, false) => {
                assert_eq!(r["Type"], "AWS::IAM::RolePolicy");
                assert_eq!(props["RoleName"], name.as_str());
            }
        }
    }
}

fn explain(args: &[&str]) -> std::process::Output {
    let mut all: Vec<String> = vec!["recommend".into(), "--lake".into(), p(sample_lake()).into()];
    all.extend(sample_iam_args());
    all.extend(args.iter().map(|s| s.to_string()));
    run_owned(&all)
}

#[test]
fn explain_tells_why_an_action_was_kept_or_set_aside() {
    // bob's tag-gated StartInstances: kept, with the statement and the condition carried.
    let o = explain(&["--explain", "ec2:startinstances", "--principal", "bob"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let table = String::from_utf8(o.stdout).unwrap();
    let row = |k: &str| table.lines().find(|l| l.starts_with(k)).map(|l| l[k.len()..].trim().to_owned());
    assert_eq!(row("action").as_deref(), Some("ec2:StartInstances"));
    assert_eq!(row("verdict").as_deref(), Some("kept"));
    assert!(row("events").unwrap().parse::<u64>().unwrap() > 0);
    assert!(row("first seen").is_some() && row("last seen").is_some(), "{table}");
    assert!(row("deciding statements").unwrap().contains("own-instances#OwnInstances"), "{table}");
    assert!(row("conditions carried").unwrap().contains("aws:ResourceTag/owner"), "{table}");

    // alice's SetDefaultPolicyVersion: only in the incident, set aside.
    let o =
        explain(&["--explain", "iam:SetDefaultPolicyVersion", "--principal", &arn("user/alice"), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(e["verdict"], "set_aside");
    assert_eq!(e["events"], 0);
    assert!(!e["incident"]["findings"].as_array().unwrap().is_empty(), "{e}");
    assert!(e["granting_statements"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s.as_str().unwrap().contains("AdministratorAccess")));
    assert!(e["proposal_statements"].as_array().unwrap().is_empty());

    // Granted, never used: removed.
    let o = explain(&["--explain", "ec2:RebootInstances", "--principal", "alice", "--format", "json"]);
    let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(e["verdict"], "removed", "{e}");
}

#[test]
fn explain_refuses_an_unknown_action_with_suggestions() {
    let o = explain(&["--explain", "s3:GetObjct", "--principal", "bob"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("not an action") && err.contains("did you mean s3:GetObject"), "{err}");
    // One principal, named.
    let o = explain(&["--explain", "s3:GetObject"]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    let o = explain(&["--explain", "s3:GetObject", "--principal", "bob", "--principal", "alice"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("exactly one --principal"));
}

#[test]
fn trust_policies_are_trimmed_to_the_principals_that_assumed_each_role() {
    let recs = recs();
    let trust = |name: &str| -> serde_json::Value {
        let r = recs["principals"].as_array().unwrap().iter().find(|r| r["name"] == name).unwrap();
        r["trust"].clone()
    };
    // Two accounts admitted, one used: the other is removed, and the file is written.
    let audit = trust("audit-readonly");
    assert_eq!(audit["admitted"].as_array().unwrap().len(), 2, "{audit}");
    assert_eq!(audit["used"][0]["value"], "arn:aws:iam::444455556666:root");
    assert!(audit["used"][0]["events"].as_u64().unwrap() > 0);
    assert_eq!(audit["changed"], true);
    // 999988887777 was added by the attacker (INC-08) and used only in INC-11: not evidence of need.
    assert_eq!(audit["removed"], serde_json::json!([{"kind": "AWS", "value": "arn:aws:iam::999988887777:root"}]));
    assert_eq!(audit["incident_assumptions"], 1);
    assert!(
        strings(&audit["notes"])
            .iter()
            .any(|n| n.starts_with("assumed by account 999988887777") && n.contains("only in finding")),
        "{audit}"
    );
    let file = audit["file"].as_str().unwrap();
    assert_eq!(file, "policies/111122223333/roles/audit-readonly.trust.json");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sample_out().join(file)).unwrap()).unwrap();
    assert_eq!(written, audit["proposed"]);
    assert_eq!(written["Statement"][0]["Principal"]["AWS"], "arn:aws:iam::444455556666:root");
    // The service that assumed the role stays.
    let app = trust("app-server-role");
    assert_eq!(app["used"][0]["kind"], "Service");
    assert_eq!(app["proposed"]["Statement"][0]["Principal"]["Service"], "ec2.amazonaws.com");
    assert_eq!(app["changed"], false);
    // SAML federation: the provider and its condition stay; the users are listed.
    let sso = trust("AWSReservedSSO_DeveloperAccess_0123456789abcdef");
    assert_eq!(
        sso["proposed"]["Statement"][0]["Condition"]["StringEquals"]["SAML:aud"],
        "https://signin.aws.amazon.com/saml"
    );
    assert!(strings(&sso["used"][0]["callers"]).contains(&"dana@example.com".to_string()), "{sso}");
    // Never assumed: no proposal, no file.
    let unused = trust("unused-role");
    assert!(unused.get("proposed").is_none() && unused.get("file").is_none(), "{unused}");
    assert!(!sample_out().join("policies/111122223333/roles/unused-role.trust.json").exists());
    // Users have no trust policy.
    assert!(trust("alice").is_null());
}

/// Lines of each principal section (`## <arn>`) of report.md, the fenced policy documents left out.
fn section_lines(md: &str) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    let mut in_json = false;
    for l in md.lines() {
        if let Some(arn) = l.strip_prefix("## ") {
            out.push((arn.to_owned(), 0));
        }
        let counted = !in_json && l != "```json";
        if l == "```json" {
            in_json = true;
        } else if in_json && l == "```" {
            in_json = false;
        }
        if let (true, Some(last)) = (counted, out.last_mut()) {
            last.1 += 1;
        }
    }
    out
}

#[test]
fn every_principal_has_at_most_sixty_report_lines_besides_its_policy() {
    let md = std::fs::read_to_string(sample_out().join("report.md")).unwrap();
    let sections = section_lines(&md);
    let recs = recs();
    let arns: Vec<&str> = recs["principals"].as_array().unwrap().iter().map(|r| r["arn"].as_str().unwrap()).collect();
    assert_eq!(sections.iter().map(|(a, _)| a.as_str()).collect::<Vec<_>>(), arns);
    for (arn, n) in &sections {
        assert!(*n <= 60, "{arn}: {n} lines besides the policy");
    }
    // The administrator grants fold: one line for thousands of unused actions, one per service used.
    let dev =
        md.split("\n## ").find(|s| s.starts_with("arn:") && s.contains("AWSReservedSSO_DeveloperAccess")).unwrap();
    assert!(dev.lines().any(|l| l.starts_with("- ") && l.contains(" unused actions in ")), "{dev}");
    // The policy itself is whole: every written document is in the report, fenced.
    for rec in recs["principals"].as_array().unwrap() {
        for (f, _) in proposal(rec) {
            let text = std::fs::read_to_string(sample_out().join(&f)).unwrap();
            assert!(md.contains(&format!("```json\n{}```\n", text)), "{f} is not in report.md whole");
        }
    }
}

/// Roles whose trimmed trust policy differs from today's: (role name, trust file, proposal).
fn changed_trusts(out: &Path) -> Vec<(String, String, serde_json::Value)> {
    let recs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("recommendations.json")).unwrap()).unwrap();
    let mut v = Vec::new();
    for r in recs["principals"].as_array().unwrap() {
        let t = &r["trust"];
        if t["changed"] == true {
            let file = t["file"].as_str().unwrap().to_owned();
            let written: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(out.join(&file)).unwrap()).unwrap();
            assert_eq!(written, t["proposed"], "{file}");
            v.push((r["name"].as_str().unwrap().to_owned(), file, written));
        }
    }
    v
}

#[test]
fn emit_carries_each_trimmed_trust_policy_for_review() {
    let out = emitted_out();
    let trusts = changed_trusts(out);
    assert!(trusts.iter().any(|t| t.0 == "audit-readonly"), "{trusts:?}");
    let recs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("recommendations.json")).unwrap()).unwrap();
    let unchanged: Vec<String> = recs["principals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["trust"]["changed"] == false)
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(unchanged.contains(&"app-server-role".to_string()));

    // The CLI script: commented out (it removes who may assume the role), valid once uncommented.
    let sh = std::fs::read_to_string(out.join(DEPLOY).join("apply.sh")).unwrap();
    for (name, file, _) in &trusts {
        let cmd = format!("aws iam update-assume-role-policy --role-name '{name}' --policy-document 'file://{file}'");
        assert!(sh.lines().any(|l| l == format!("# {cmd}")), "{name}: no trust update in apply.sh:\n{sh}");
    }
    assert!(!sh.lines().any(|l| l.starts_with("aws iam update-assume-role-policy")), "a live trust update");
    for name in &unchanged {
        assert!(!sh.contains(&format!("update-assume-role-policy --role-name '{name}'")), "{name} is unchanged");
    }
    let uncommented: String = sh
        .lines()
        .map(|l| l.strip_prefix("# ").filter(|c| c.starts_with("aws iam update-assume-role-policy")).unwrap_or(l))
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = scratch("recommend-emit-trust");
    std::fs::write(dir.join("apply.sh"), &uncommented).unwrap();
    let check = std::process::Command::new("bash").arg("-n").arg(dir.join("apply.sh")).output().unwrap();
    assert!(check.status.success(), "bash -n: {}", String::from_utf8_lossy(&check.stderr));

    // Terraform: the assume_role_policy argument to set, as a comment; it parses once placed in a role.
    let tf = std::fs::read_to_string(out.join(DEPLOY).join("main.tf")).unwrap();
    let mut block = String::new();
    for (i, (name, file, _)) in trusts.iter().enumerate() {
        let arg = format!("assume_role_policy = file(\"${{path.module}}/../../{file}\")");
        assert!(tf.lines().any(|l| l == format!("#   {arg}")), "{name}: no assume_role_policy in main.tf:\n{tf}");
        block.push_str(&format!("resource \"aws_iam_role\" \"r{i}\" {{\n  name = \"{name}\"\n  {arg}\n}}\n"));
    }
    std::fs::write(dir.join("roles.tf"), &block).unwrap();
    let o = std::process::Command::new(python())
        .args([
            "-c",
            "import hcl2, json, sys; print(json.dumps(hcl2.load(open(sys.argv[1]))))",
            p(&dir.join("roles.tf")),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let parsed: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(parsed["resource"].as_array().unwrap().len(), trusts.len());

    // CloudFormation: each proposal, unchanged, in the template's metadata (no Role resource,
    // which would try to create the existing role).
    let template: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(DEPLOY).join("template.json")).unwrap()).unwrap();
    let roles = template["Metadata"]["TrailtrimTrustPolicies"]["Roles"].as_array().unwrap();
    assert_eq!(roles.len(), trusts.len());
    for (name, file, doc) in &trusts {
        let r = roles.iter().find(|r| r["RoleName"] == name.as_str()).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(r["AssumeRolePolicyDocument"], *doc);
        assert_eq!(r["File"], file.as_str());
    }
    assert!(template["Resources"].as_object().unwrap().values().all(|r| r["Type"] != "AWS::IAM::Role"));
}

#[test]
fn an_incident_without_actors_still_sets_its_events_aside() {
    // Findings from elsewhere: a critical incident that names no actor (root, a bare access key),
    // its one finding medium and without an incident id. The events are bob's few calls of one
    // action: set aside by event id, the action not kept.
    let recs = recs();
    let bob = rec_of(&recs, "user/bob");
    let ev = bob["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            let ids = e["sample_event_ids"].as_array().unwrap();
            e["count"].as_u64() == Some(ids.len() as u64) && e["unknown_conditions"].is_null()
        })
        .expect("an action bob used at most three times");
    let action = ev["action"].as_str().unwrap();
    let findings = serde_json::json!({
        "incidents": [{"id": "inc-nameless", "severity": "critical", "first_seen": "2026-09-01T00:00:00Z",
            "last_seen": "2026-10-31T00:00:00Z", "actors": [], "finding_ids": ["f-nameless"]}],
        "findings": [{"id": "f-nameless", "severity": "medium", "detector": "elsewhere",
            "event_ids": ev["sample_event_ids"]}],
    });
    let dir = scratch("recommend-nameless");
    std::fs::write(dir.join("findings.json"), findings.to_string()).unwrap();
    let mut args: Vec<String> = vec!["recommend".into(), "--lake".into(), p(sample_lake()).into()];
    args.extend(sample_iam_args());
    args.extend(["--out".into(), p(&dir.join("out")).into(), "--principal".into(), "bob".into()]);
    args.extend(["--findings".into(), p(&dir.join("findings.json")).into()]);
    let o = run_owned(&args);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/recommendations.json")).unwrap()).unwrap();
    let rec = &v["principals"][0];
    let set_aside = rec["incident_only"].as_array().unwrap().iter().find(|u| u["action"] == action);
    let u = set_aside.unwrap_or_else(|| panic!("{action} not set aside: {}", rec["incident_only"]));
    assert_eq!(u["findings"], serde_json::json!(["inc-nameless"]));
    assert_eq!(u["note"], "used only in finding inc-nameless: not kept");
    let text: String = strings(&rec["policy_files"])
        .iter()
        .map(|f| std::fs::read_to_string(dir.join("out").join(f)).unwrap())
        .collect();
    assert!(!text.contains(&format!("\"{action}\"")), "{action} kept:\n{text}");
    // Only those calls: the rest of bob's work is kept.
    for a in kept_actions(bob).into_iter().filter(|a| a != action) {
        assert!(text.contains(&format!("\"{a}\"")), "{a} dropped");
    }
}
