//! `--as-of TIME`: the sample account as it was before, during and after INC-08/INC-18, when
//! DeveloperAccess (bob's group policy) had its old broad version v1 as default
//! (2026-10-08T03:48:50Z .. 2026-10-13T14:40:23Z); the export shows the final state (v2).

use crate::common::*;

const BEFORE: &str = "2026-10-01T00:00:00Z";
const DURING: &str = "2026-10-09T00:00:00Z";
const AFTER: &str = "2026-10-14T00:00:00Z";

fn with_iam(cmd: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec![cmd.into()];
    args.extend(sample_iam_args());
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn json_of(args: &[String]) -> serde_json::Value {
    let out = run_owned(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// bob deleting a dev bucket: only `s3:*` of DeveloperAccess v1 allows it.
fn delete_bucket(at: Option<&str>) -> serde_json::Value {
    let lake = p(sample_lake()).to_owned();
    let bucket = "arn:aws:s3:::examplecorp-dev";
    let mut extra = vec!["--principal", "bob", "--action", "s3:DeleteBucket", "--resource", bucket, "--json"];
    if let Some(t) = at {
        extra.extend(["--as-of", t, "--lake", &lake]);
        return json_of(&with_iam("simulate", &extra));
    }
    json_of(&with_iam("simulate", &extra))
}

#[test]
fn simulate_as_of_evaluates_the_policy_version_of_the_time() {
    let now = delete_bucket(None);
    assert_eq!(now["evaluation"]["decision"], "ImplicitDeny");
    assert!(now.get("as_of").is_none(), "no as_of without --as-of");

    let during = delete_bucket(Some(DURING));
    assert_eq!(during["evaluation"]["decision"], "Allow", "{during:#}");
    assert!(during["evaluation"]["statements"].to_string().contains("DeveloperAccess"), "{during:#}");
    let undone = during["as_of"]["undone"].as_array().unwrap();
    assert_eq!(undone.len(), 1, "only INC-18's revert is later: {undone:?}");
    assert_eq!(undone[0]["event_name"], "SetDefaultPolicyVersion");
    assert_eq!(undone[0]["time"], "2026-10-13T14:40:23Z");

    let after = delete_bucket(Some(AFTER));
    assert_eq!(after["evaluation"]["decision"], "ImplicitDeny");
    assert_eq!(after["as_of"]["undone"].as_array().unwrap().len(), 0);

    // Before INC-08 no event names the default: v2, the only other version, is inferred.
    let before = delete_bucket(Some(BEFORE));
    assert_eq!(before["evaluation"]["decision"], "ImplicitDeny", "{before:#}");
    let inferred = strings(&before["as_of"]["inferred"]);
    assert!(inferred.len() == 1 && inferred[0].contains("DeveloperAccess"), "{inferred:?}");
    // INC-08's new trust policy of audit-readonly replaced one that no event carries.
    let uncertain = before["as_of"]["uncertain"].as_array().unwrap();
    assert_eq!(uncertain.len(), 1, "{uncertain:?}");
    assert_eq!(uncertain[0]["subject"], "role/audit-readonly trust policy");
    assert_eq!(uncertain[0]["until"], "2026-10-08T03:48:24Z");
}

#[test]
fn simulate_as_of_says_what_was_undone_and_what_is_uncertain() {
    let lake = p(sample_lake()).to_owned();
    let args = with_iam(
        "simulate",
        &["--principal", "support-ops", "--action", "iam:CreateUser", "--as-of", BEFORE, "--lake", &lake],
    );
    let out = run_owned(&args);
    // support-ops was created by the attacker on 2026-10-08: it did not exist before.
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("support-ops"), "{err}");
    assert!(err.contains("the account as of 2026-10-01T00:00:00Z: 5 later IAM changes undone"), "{err}");
    assert!(err.contains("warning: as of 2026-10-01T00:00:00Z: uncertain: role/audit-readonly trust policy"), "{err}");

    let args = with_iam(
        "simulate",
        &["--principal", "support-ops", "--action", "iam:CreateUser", "--as-of", DURING, "--lake", &lake],
    );
    let text = String::from_utf8(run_owned(&args).stdout).unwrap();
    assert!(text.starts_with("Allow"), "{text}");
    assert!(text.contains("as of 2026-10-09T00:00:00Z (1 later IAM changes undone, 0 uncertain)"), "{text}");
}

#[test]
fn as_of_takes_every_spelling_of_the_one_time_grammar() {
    // The same instant as DURING: a date alone, an offset, a space for the T, epoch seconds.
    for t in ["2026-10-09", "2026-10-09T02:00:00+02:00", "2026-10-09 00:00:00.000", "1791504000"] {
        let v = delete_bucket(Some(t));
        assert_eq!(v["as_of"]["time"], DURING, "{t}");
        assert_eq!(v["evaluation"]["decision"], "Allow", "{t}");
    }
}

#[test]
fn permissions_as_of_two_instants() {
    let lake = p(sample_lake()).to_owned();
    let perms = |t: &str| {
        json_of(&with_iam("permissions", &["--principal", "bob", "--format", "json", "--as-of", t, "--lake", &lake]))
    };
    // Allowed everywhere or (the sample's region-guard SCP has conditions) under conditions.
    let allowed = |v: &serde_json::Value, action: &str| {
        v["services"].as_array().unwrap().iter().any(|s| {
            s["levels"]
                .as_object()
                .unwrap()
                .values()
                .any(|l| strings(&l["full"]).iter().chain(&strings(&l["partial"])).any(|a| a == action))
        })
    };
    let count = |v: &serde_json::Value| v["full"].as_u64().unwrap() + v["partial"].as_u64().unwrap();
    let (during, after) = (perms(DURING), perms(AFTER));
    assert!(allowed(&during, "lambda:DeleteFunction"), "v1 grants lambda:* on *");
    assert!(!allowed(&after, "lambda:DeleteFunction"));
    assert!(count(&during) > count(&after) + 100, "{} vs {}", count(&during), count(&after));
    assert_eq!(during["as_of"]["time"], DURING);
    // The export itself is the state after the last change.
    let now = json_of(&with_iam("permissions", &["--principal", "bob", "--format", "json"]));
    assert_eq!(count(&now), count(&after));

    let table = String::from_utf8(
        run_owned(&with_iam("permissions", &["--principal", "bob", "--as-of", DURING, "--lake", &lake])).stdout,
    )
    .unwrap();
    assert!(table.starts_with("as of 2026-10-09T00:00:00Z (1 later IAM changes undone, 0 uncertain)\n"), "{table}");
}

#[test]
fn who_can_and_usage_as_of() {
    let lake = p(sample_lake()).to_owned();
    let who = |t: &str| {
        let v = json_of(&with_iam(
            "who-can",
            &[
                "--action",
                "lambda:DeleteFunction",
                "--resource",
                &arn_of("lambda:us-east-1", "function:dev-orders-api"),
                "--format",
                "json",
                "--as-of",
                t,
                "--lake",
                &lake,
            ],
        ));
        v["principals"].as_array().unwrap().iter().map(|p| p["arn"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    assert!(who(DURING).contains(&arn("user/bob")));
    assert!(!who(AFTER).contains(&arn("user/bob")));

    let granted = |t: Option<&str>| {
        let mut extra = vec!["--lake", &lake, "--principal", "bob", "--format", "json"];
        if let Some(t) = t {
            extra.extend(["--as-of", t]);
        }
        let v = json_of(&with_iam("usage", &extra));
        v["principals"][0]["granted_actions"].as_u64().unwrap()
    };
    assert!(granted(Some(DURING)) > granted(Some(AFTER)));
    assert_eq!(granted(None), granted(Some(AFTER)));
}

fn arn_of(service_region: &str, tail: &str) -> String {
    format!("arn:aws:{service_region}:{ACCOUNT}:{tail}")
}

#[test]
fn as_of_needs_the_lake_and_a_time() {
    let out = run_owned(&with_iam("permissions", &["--principal", "bob", "--as-of", DURING]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--as-of needs --lake"));

    let lake = p(sample_lake()).to_owned();
    let out = run_owned(&with_iam("permissions", &["--principal", "bob", "--as-of", "last tuesday", "--lake", &lake]));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("\"last tuesday\" is not an ISO-8601 time"), "{err}");

    let out = run(&["usage", "--lake", &lake, "--as-of", DURING]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--as-of needs --iam"));
}

#[test]
fn recommend_tells_never_granted_from_granted_then() {
    let out = scratch("as-of-recommend");
    let lake = p(sample_lake()).to_owned();
    let args = with_iam("recommend", &["--lake", &lake, "--out", p(&out), "--principal", "dave", "--principal", "bob"]);
    let status = run_owned(&args);
    assert_eq!(status.status.code(), Some(0), "{}", String::from_utf8_lossy(&status.stderr));
    let text = std::fs::read_to_string(out.join("recommendations.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let of = |tail: &str| v["principals"].as_array().unwrap().iter().find(|r| r["arn"] == arn(tail)).unwrap().clone();
    // dave's GetFederationToken (INC-20) was granted at no time: no IAM change touched dave.
    let dave = of("user/dave");
    assert_eq!(strings(&dave["used_not_granted"]), vec!["sts:GetFederationToken"]);
    let h = dave["used_not_granted_history"].as_array().unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["status"], "never_granted");
    assert_eq!(h[0]["at"], "2026-10-14T01:50:11Z");
    assert!(h[0].get("uncertain").is_none(), "{h:?}");
    // bob's calls under DeveloperAccess v1 are allowed by v2 too: nothing to tell.
    assert!(of("user/bob").get("used_not_granted_history").is_none());
}
