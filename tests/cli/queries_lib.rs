//! The investigation query library (`queries/*.sql`), run by name over the sample lake.
//! Every assertion is a fact of `sample-logs/SCENARIO.md`.

use crate::common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const DAVE: &str = "arn:aws:iam::111122223333:user/dave";
const ADMIN_ROLE: &str = "arn:aws:iam::111122223333:role/OrganizationAccountAccessRole";
const AUDIT_ROLE: &str = "arn:aws:iam::111122223333:role/audit-readonly";

/// Run library query `name` with `key=value` parameters; the rows of its JSON output.
fn rows(name: &str, params: &[&str]) -> Vec<Value> {
    let mut args = vec!["query", name, "--lake", p(sample_lake()), "--format", "json"];
    for kv in params {
        args.extend(["--param", *kv]);
    }
    json(&args).as_array().unwrap_or_else(|| panic!("query {name}: output is not a JSON array")).clone()
}

fn s<'a>(row: &'a Value, col: &str) -> &'a str {
    row[col].as_str().unwrap_or("")
}

fn n(row: &Value, col: &str) -> u64 {
    row[col].as_u64().unwrap_or_else(|| panic!("column {col} is not a count: {row}"))
}

fn assert_time_ordered(rows: &[Value], query: &str) {
    // ISO-8601 UTC strings order like the instants they name.
    let times: Vec<(&str, &str)> = rows.iter().map(|r| (s(r, "event_time"), s(r, "event_id"))).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{query}: rows are not in time order");
}

/// The `*.sql` files of `queries/` (names without extension) and their first `-- purpose:` line.
fn library_files() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(repo().join("queries")).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "sql") {
            let text = std::fs::read_to_string(&path).unwrap();
            let purpose = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("-- purpose:"))
                .unwrap_or_else(|| panic!("{} has no `-- purpose:` line", path.display()))
                .trim()
                .to_owned();
            out.insert(path.file_stem().unwrap().to_string_lossy().into_owned(), purpose);
        }
    }
    out
}

#[test]
fn list_shows_every_library_file_with_its_purpose() {
    let files = library_files();
    assert!(files.len() >= 17, "{files:?}");
    let listing = run_ok(&["query", "--list"]);
    for (name, purpose) in &files {
        let line = listing
            .lines()
            .find(|l| l.split("  ").next() == Some(name.as_str()))
            .unwrap_or_else(|| panic!("query --list does not list {name}:\n{listing}"));
        assert!(line.contains(purpose.as_str()), "{name}: purpose missing from {line:?}");
    }
    assert!(listing.contains("--param principal=..."), "{listing}");
    assert!(listing.contains("--param regions=... (default auto)"), "{listing}");
}

#[test]
fn readme_documents_every_query() {
    let readme = std::fs::read_to_string(repo().join("queries/README.md")).unwrap();
    for name in library_files().keys() {
        assert!(readme.contains(&format!("`{name}`")), "queries/README.md does not mention {name}");
    }
    assert!(readme.contains("read_parquet('lake/events/**/*.parquet', hive_partitioning = true"));
}

#[test]
fn missing_or_unknown_parameters_are_clear_errors() {
    let out = run(&["query", "principal_timeline", "--lake", p(sample_lake())]);
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs --param principal"), "{err}");
    assert!(out.stdout.is_empty());

    let out = run(&["query", "root_activity", "--lake", p(sample_lake()), "--param", "principal=x"]);
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("has no parameter \"principal\""), "{err}");
}

#[test]
fn principal_timeline_of_dave_shows_the_stolen_key_in_time_order() {
    let all = rows("principal_timeline", &[&format!("principal={DAVE}")]);
    // 194, and GetFederationToken in INC-20.
    assert_eq!(all.len(), 195, "dave has 195 events");
    assert_time_ordered(&all, "principal_timeline");
    assert!(all.iter().all(|r| s(r, "caller") == DAVE && s(r, "relation") == "self"));

    // INC-01..03: 30 + 34 + 20 calls from 185.220.101.34 with the Kali client, starting with
    // GetCallerIdentity; INC-20's GetFederationToken.
    let stolen: Vec<&Value> = all.iter().filter(|r| s(r, "source_ip") == "185.220.101.34").collect();
    assert_eq!(stolen.len(), 85);
    assert_eq!(s(stolen[0], "event_time"), "2026-10-08T02:14:06.000Z");
    assert_eq!(s(stolen[0], "event_name"), "GetCallerIdentity");
    assert!(stolen.iter().all(|r| s(r, "user_agent").contains("kali")));
    let first_stolen = all.iter().position(|r| s(r, "source_ip") == "185.220.101.34").unwrap();
    assert!(all[..first_stolen].iter().all(|r| s(r, "source_ip") == "198.51.100.71"), "before: only his home");

    // The day filter is inclusive and uses event_date.
    let day = rows("principal_timeline", &[&format!("principal={DAVE}"), "from=2026-10-08", "to=2026-10-08"]);
    assert!(day.iter().all(|r| s(r, "event_time").starts_with("2026-10-08")));
    assert!(day.len() >= 84 && day.len() < all.len());
}

#[test]
fn principal_timeline_of_a_role_covers_its_sessions_and_who_assumed_it() {
    let all = rows("principal_timeline", &[&format!("principal={ADMIN_ROLE}")]);
    assert_time_ordered(&all, "principal_timeline");
    let count = |rel: &str| all.iter().filter(|r| s(r, "relation") == rel).count();
    // 44, and 32 of the issue-16 techniques (INC-19..INC-22).
    assert_eq!(count("session"), 76, "OrganizationAccountAccessRole has 76 events");
    // 3 AssumeRole from the management account (09-16, INC-05 twice) + dave's refused attempt.
    assert_eq!(count("assumed"), 4);
    assert!(all.iter().any(|r| s(r, "relation") == "assumed"
        && s(r, "caller") == "account/123456789012"
        && s(r, "source_ip") == "185.220.101.34"));

    let session = "arn:aws:sts::111122223333:assumed-role/app-server-role/i-0abc1234def567890";
    let one = rows("principal_timeline", &[&format!("principal={session}"), "from=2026-10-12", "to=2026-10-12"]);
    assert!(one.iter().all(|r| s(r, "caller") == session));
    assert_eq!(one.iter().filter(|r| s(r, "source_ip") == "45.33.18.77").count(), 18, "INC-16");
}

#[test]
fn access_key_timeline_follows_the_key_planted_for_alice() {
    let created = rows("new_access_keys", &[]);
    let planted = created.iter().find(|r| s(r, "for_user") == "alice" && r["error_code"].is_null()).unwrap();
    let key = s(planted, "new_access_key_id");
    assert!(key.starts_with("AKIA"), "{planted}");

    let tl = rows("access_key_timeline", &[&format!("access_key_id={key}")]);
    assert_time_ordered(&tl, "access_key_timeline");
    let rel: Vec<&str> = tl.iter().map(|r| s(r, "relation")).collect();
    assert_eq!(rel, ["issued", "used", "used", "used", "used", "managed"]);
    assert!(s(&tl[0], "caller").contains("assumed-role/OrganizationAccountAccessRole/"));
    // INC-10: used from 185.220.101.77 as alice; INC-17: root deactivates it.
    assert!(tl[1..5]
        .iter()
        .all(|r| s(r, "source_ip") == "185.220.101.77" && s(r, "caller") == "arn:aws:iam::111122223333:user/alice"));
    assert_eq!(s(&tl[5], "event_name"), "UpdateAccessKey");
    assert_eq!(s(&tl[5], "caller"), "arn:aws:iam::111122223333:root");
}

#[test]
fn source_ip_timeline_shows_the_planted_logins_and_accepts_like_patterns() {
    let tl = rows("source_ip_timeline", &["ip=185.220.101.77"]);
    assert_time_ordered(&tl, "source_ip_timeline");
    let callers: BTreeSet<&str> = tl.iter().map(|r| s(r, "caller")).collect();
    let want: BTreeSet<&str> = [
        "arn:aws:iam::111122223333:user/alice",
        "arn:aws:iam::111122223333:user/bob",
        "arn:aws:iam::111122223333:user/support-ops",
    ]
    .into();
    assert_eq!(callers, want, "INC-09 (support-ops, bob) and INC-10 (alice)");
    assert_eq!(tl.len(), 12);

    let range = rows("source_ip_timeline", &["ip=185.220.101.%"]);
    let ips: BTreeSet<&str> = range.iter().map(|r| s(r, "source_ip")).collect();
    assert_eq!(ips, BTreeSet::from(["185.220.101.34", "185.220.101.77", "185.220.101.91"]));
}

#[test]
fn iam_changes_include_the_persistence_of_inc_08() {
    let all = rows("iam_changes", &[]);
    assert_time_ordered(&all, "iam_changes");
    let create_user = all
        .iter()
        .find(|r| s(r, "event_name") == "CreateUser" && s(r, "target") == "support-ops")
        .expect("CreateUser support-ops");
    assert!(s(create_user, "caller").contains(":assumed-role/OrganizationAccountAccessRole/"));
    assert!(create_user["error_code"].is_null());
    assert_eq!(s(create_user, "source_ip"), "185.220.101.34");

    let has = |name: &str, target: &str| all.iter().any(|r| s(r, "event_name") == name && s(r, "target") == target);
    assert!(has("AttachUserPolicy", "support-ops"));
    assert!(has("CreateAccessKey", "alice"));
    assert!(has("CreateLoginProfile", "bob"));
    assert!(has("UpdateAssumeRolePolicy", "audit-readonly"));
    assert!(has("SetDefaultPolicyVersion", "arn:aws:iam::111122223333:policy/DeveloperAccess"));
    assert!(all.iter().all(|r| s(r, "event_name") != "ListUsers"), "reads are not changes");

    // dave's refused attempts (INC-02), alone with the principal filter.
    let dave = rows("iam_changes", &[&format!("principal={DAVE}")]);
    let names: BTreeSet<&str> = dave.iter().map(|r| s(r, "event_name")).collect();
    assert_eq!(
        names,
        BTreeSet::from(["AttachUserPolicy", "CreateAccessKey", "CreateLoginProfile", "CreateUser", "PutUserPolicy"])
    );
    assert!(dave.iter().all(|r| s(r, "error_code") == "AccessDenied"));
}

#[test]
fn console_logins_show_carol_without_mfa_and_the_spray() {
    let all = rows("console_logins", &[]);
    assert_eq!(all.len(), 51);
    assert_time_ordered(&all, "console_logins");

    let carol = rows("console_logins", &["user=carol"]);
    let ok: Vec<&Value> = carol.iter().filter(|r| s(r, "result") == "Success").collect();
    assert_eq!(ok.len(), 14);
    assert!(ok.iter().all(|r| s(r, "mfa_used") == "No" && s(r, "source_ip") == "198.51.100.44"));

    let support = all.iter().find(|r| s(r, "user_name") == "support-ops").unwrap();
    assert_eq!((s(support, "result"), s(support, "mfa_used")), ("Success", "No"));
    assert_eq!(s(support, "source_ip"), "185.220.101.77");
    assert!(all
        .iter()
        .filter(|r| s(r, "user_name") == "alice" && s(r, "result") == "Success")
        .all(|r| s(r, "mfa_used") == "Yes"));

    // INC-15: 16 failures from 193.32.162.45 for 14 names; unknown users keep the typed name.
    let spray: Vec<&Value> = all.iter().filter(|r| s(r, "source_ip") == "193.32.162.45").collect();
    assert_eq!(spray.len(), 16);
    assert!(spray.iter().all(|r| s(r, "result") == "Failure"));
    assert_eq!(spray.iter().map(|r| s(r, "user_name")).collect::<BTreeSet<_>>().len(), 14);
    assert!(spray.iter().any(|r| s(r, "user_name") == "jenkins" && r["identity_arn"].is_null()));

    let root = rows("console_logins", &["user=root"]);
    assert_eq!(root.len(), 2);
    assert!(root.iter().all(|r| s(r, "mfa_used") == "Yes"));
}

#[test]
fn role_assumption_chains_show_the_external_account_and_the_admin_sessions() {
    let all = rows("role_assumption_chains", &[]);
    assert_time_ordered(&all, "role_assumption_chains");
    assert!(all.iter().all(|r| !s(r, "assumed_by").starts_with("service/")), "services only on request");

    // INC-11: 999988887777 -> audit-readonly from 185.220.101.91, then 4 reads.
    let ext = all.iter().find(|r| s(r, "caller_account") == "999988887777").expect("999988887777 assumes a role");
    assert_eq!(s(ext, "role_arn"), AUDIT_ROLE);
    assert_eq!(s(ext, "source_ip"), "185.220.101.91");
    assert!(s(ext, "session_access_key").starts_with("ASIA"));
    assert_eq!(n(ext, "session_calls"), 4);
    assert_eq!(s(ext, "session_source_ips"), "185.220.101.91");

    // INC-05: the admin role from 123456789012 via 185.220.101.34; the two sessions made 40 calls.
    let admin = rows("role_assumption_chains", &[&format!("role={ADMIN_ROLE}")]);
    assert!(admin.iter().all(|r| s(r, "role_arn") == ADMIN_ROLE));
    let attacker: Vec<&Value> = admin.iter().filter(|r| s(r, "source_ip") == "185.220.101.34").collect();
    let from_account: Vec<&&Value> = attacker.iter().filter(|r| s(r, "caller_account") == "123456789012").collect();
    assert_eq!(from_account.len(), 2);
    assert_eq!(from_account.iter().map(|r| n(r, "session_calls")).sum::<u64>(), 40);
    assert!(s(from_account[1], "session_regions").contains("ap-southeast-1"), "INC-14");
    // dave's refused attempt has no session.
    let dave = attacker.iter().find(|r| s(r, "assumed_by") == DAVE).unwrap();
    assert_eq!(s(dave, "error_code"), "AccessDenied");
    assert_eq!(n(dave, "session_calls"), 0);

    let with_services = rows("role_assumption_chains", &["include_services=true"]);
    assert_eq!(with_services.iter().filter(|r| s(r, "assumed_by") == "service/ec2.amazonaws.com").count(), 90);
}

#[test]
fn top_errors_rank_the_denied_deletes_of_the_app_role_first() {
    let all = rows("top_errors", &[]);
    let top = &all[0];
    assert_eq!(s(top, "event_name"), "DeleteObject");
    assert_eq!(s(top, "error_code"), "AccessDenied");
    assert!(s(top, "caller").contains("assumed-role/app-server-role/"));
    assert_eq!(n(top, "errors"), 30);
    let counts: Vec<u64> = all.iter().map(|r| n(r, "errors")).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]));
    // 125 errors in the corpus: 109 refused calls (17 of them INC-23's) and 16 failed sign-ins
    // (which carry no errorCode).
    assert_eq!(counts.iter().sum::<u64>(), 125);
    assert!(all.iter().any(|r| s(r, "error_code") == "ConsoleLoginFailure" && s(r, "source_ips") == "193.32.162.45"));
}

#[test]
fn denied_calls_name_the_action_and_the_refusing_policy() {
    let all = rows("denied_calls", &[]);
    assert_time_ordered(&all, "denied_calls");
    let leave = all.iter().find(|r| s(r, "event_name") == "LeaveOrganization").expect("INC-07");
    assert_eq!(s(leave, "denied_by"), "explicit deny: SCP");
    assert_eq!(s(leave, "denied_action"), "organizations:LeaveOrganization");
    let delete = all.iter().find(|r| s(r, "event_name") == "DeleteObject").unwrap();
    assert_eq!(s(delete, "denied_by"), "explicit deny: resource policy");
    assert!(s(delete, "denied_resource").starts_with("arn:aws:s3:::examplecorp-data/reports/"));

    // INC-01 + INC-02: 49 denied calls of dave's key within 8 minutes.
    let dave = rows("denied_calls", &[&format!("principal={DAVE}")]);
    let burst = dave.iter().filter(|r| ("2026-10-08T02:14".."2026-10-08T02:22").contains(&s(r, "event_time"))).count();
    assert_eq!(burst, 49);
    let secret = dave.iter().find(|r| s(r, "denied_action") == "ssm:GetParameters").unwrap();
    assert_eq!(s(secret, "denied_by"), "no identity policy allows");
}

#[test]
fn unexpected_regions_find_ap_southeast_1() {
    let all = rows("unexpected_regions", &[]);
    let by_region =
        |region: &str| -> u64 { all.iter().filter(|r| s(r, "aws_region") == region).map(|r| n(r, "calls")).sum() };
    assert_eq!(by_region("ap-southeast-1"), 7);
    assert_eq!(by_region("us-west-2"), 1);
    let regions: BTreeSet<&str> = all.iter().map(|r| s(r, "aws_region")).collect();
    assert_eq!(regions, BTreeSet::from(["ap-southeast-1", "us-west-2"]));
    let run = all
        .iter()
        .find(|r| s(r, "event_name") == "RunInstances" && s(r, "caller").contains("OrganizationAccountAccessRole"))
        .unwrap();
    assert_eq!((n(run, "calls"), n(run, "errors")), (3, 0), "INC-14: 3x RunInstances");

    let only_main = rows("unexpected_regions", &["regions=us-east-1"]);
    assert_eq!(only_main.iter().filter(|r| s(r, "aws_region") == "eu-west-1").map(|r| n(r, "calls")).sum::<u64>(), 81);
    let named = rows("unexpected_regions", &["regions=us-east-1, eu-west-1"]);
    assert_eq!(named, all, "the derived regions of the sample are us-east-1 (45 of 45 days) and eu-west-1 (25 days)");
}

#[test]
fn unexpected_regions_derive_the_usual_regions_from_the_lake() {
    let regions = |params: &[&str]| -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for r in rows("unexpected_regions", params) {
            *out.entry(s(&r, "aws_region").to_owned()).or_default() += n(&r, "calls");
        }
        out
    };
    let calls =
        |list: &[(&str, u64)]| -> BTreeMap<String, u64> { list.iter().map(|(r, c)| (r.to_string(), *c)).collect() };
    // eu-west-1 is active on 25 of the 45 days: usual at the default share, not at 0.9.
    assert_eq!(regions(&["usual_share=0.9"]), calls(&[("ap-southeast-1", 7), ("eu-west-1", 81), ("us-west-2", 1)]));
    assert_eq!(regions(&["usual_share=0.5"]), calls(&[("ap-southeast-1", 7), ("us-west-2", 1)]));
    // The incident week alone: the attacker's regions (1 and 2 of its 8 days) stay unusual.
    assert_eq!(regions(&["from=2026-10-08"]), calls(&[("ap-southeast-1", 7), ("us-west-2", 1)]));
    // One day: every region used that day is usual, so an explicit list is the way to ask.
    assert_eq!(regions(&["from=2026-10-08", "to=2026-10-08"]), calls(&[]));
    assert_eq!(
        regions(&["from=2026-10-08", "to=2026-10-08", "regions=us-east-1,eu-west-1"]),
        calls(&[("ap-southeast-1", 1), ("us-west-2", 1)])
    );
}

#[test]
fn resources_touched_list_the_secrets_and_the_exposed_bucket() {
    let dave = rows("resources_touched", &[&format!("principal={DAVE}"), "from=2026-10-08"]);
    let secrets: Vec<&Value> =
        dave.iter().filter(|r| s(r, "resource").starts_with("arn:aws:secretsmanager:")).collect();
    assert_eq!(secrets.len(), 18, "INC-03: all 18 secrets");
    assert!(secrets.iter().all(|r| s(r, "actions") == "GetSecretValue"));

    let admin = rows("resources_touched", &[&format!("principal={ADMIN_ROLE}")]);
    let find = |res: &str| admin.iter().find(|r| s(r, "resource") == res).unwrap_or_else(|| panic!("no {res}"));
    let bucket = find("arn:aws:s3:::examplecorp-backups");
    assert!(s(bucket, "actions").contains("PutBucketPolicy"));
    assert_eq!(n(bucket, "calls"), 2, "one event counts once even when found twice");
    assert!(s(find("user/support-ops"), "actions").contains("CreateUser"));
    assert!(s(find("arn:aws:cloudtrail:us-east-1:111122223333:trail/examplecorp-data-events"), "actions")
        .contains("StopLogging"));
    let names: Vec<&str> = admin.iter().map(|r| s(r, "resource")).collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
}

#[test]
fn root_activity_lists_both_root_sessions() {
    let all = rows("root_activity", &[]);
    assert_eq!(all.len(), 12);
    assert_time_ordered(&all, "root_activity");
    assert!(all.iter().all(|r| s(r, "source_ip") == "198.51.100.23"));
    let logins: Vec<&Value> = all.iter().filter(|r| s(r, "event_name") == "ConsoleLogin").collect();
    assert_eq!(logins.len(), 2);
    assert!(logins.iter().all(|r| s(r, "mfa_used") == "Yes"));
    assert!(all.iter().any(|r| s(r, "event_name") == "UpdateAccessKey"), "INC-17");
}

#[test]
fn new_access_keys_show_the_planted_key_and_its_use() {
    let all = rows("new_access_keys", &[]);
    assert_eq!(all.len(), 2);
    let refused = &all[0];
    assert_eq!((s(refused, "created_by"), s(refused, "error_code")), (DAVE, "AccessDenied"));
    assert!(refused["new_access_key_id"].is_null());
    let planted = &all[1];
    assert!(s(planted, "created_by").contains(":assumed-role/OrganizationAccountAccessRole/"));
    assert_eq!(s(planted, "for_user"), "alice");
    assert_eq!(n(planted, "calls"), 4);
    assert_eq!(s(planted, "used_from"), "185.220.101.77");
    assert_eq!(s(planted, "first_used"), "2026-10-10T04:10:05.000Z");
}

#[test]
fn logging_changes_show_the_tampering_and_the_restoration() {
    let all = rows("logging_changes", &[]);
    assert_time_ordered(&all, "logging_changes");
    let admin_ok = |name: &str| {
        all.iter().any(|r| {
            s(r, "event_name") == name
                && s(r, "caller").contains("OrganizationAccountAccessRole")
                && r["error_code"].is_null()
                && s(r, "effect") == "weakens"
        })
    };
    for name in ["StopLogging", "DeleteTrail", "PutEventSelectors", "StopConfigurationRecorder", "DeleteFlowLogs"] {
        assert!(admin_ok(name), "{name}");
    }
    let detectors: BTreeSet<&str> =
        all.iter().filter(|r| s(r, "event_name") == "DeleteDetector").map(|r| s(r, "aws_region")).collect();
    assert_eq!(detectors, BTreeSet::from(["eu-west-1", "us-east-1"]));
    assert!(all
        .iter()
        .any(|r| s(r, "event_name") == "StopLogging" && s(r, "caller") == DAVE && !r["error_code"].is_null()));
    assert!(all.iter().any(|r| s(r, "event_name") == "LeaveOrganization" && !r["error_code"].is_null()));
    let restored: BTreeSet<&str> =
        all.iter().filter(|r| s(r, "effect") == "restores").map(|r| s(r, "event_name")).collect();
    assert_eq!(restored, BTreeSet::from(["CreateDetector", "StartConfigurationRecorder"]));
}

#[test]
fn resource_exposure_flags_the_public_grants_of_inc_12() {
    let all = rows("resource_exposure", &[]);
    let public: BTreeSet<&str> =
        all.iter().filter(|r| r["public"] == Value::Bool(true)).map(|r| s(r, "event_name")).collect();
    // INC-12's grants, and INC-20's Lambda made invocable by "*".
    let want: BTreeSet<&str> = [
        "AddPermission20150331v2",
        "AuthorizeSecurityGroupIngress",
        "DeleteBucketPublicAccessBlock",
        "ModifyImageAttribute",
        "ModifySnapshotAttribute",
        "PutBucketPolicy",
        "PutBucketPublicAccessBlock",
    ]
    .into();
    assert_eq!(public, want);
    let trust = all.iter().find(|r| s(r, "event_name") == "UpdateAssumeRolePolicy").expect("INC-08 trust change");
    assert!(s(trust, "request_parameters").contains("999988887777"));
}

#[test]
fn secrets_access_shows_the_bulk_read() {
    let all = rows("secrets_access", &[]);
    let bulk = all.iter().find(|r| s(r, "caller") == DAVE && s(r, "event_name") == "GetSecretValue").expect("INC-03");
    assert_eq!(s(bulk, "source_ip"), "185.220.101.34");
    assert_eq!((n(bulk, "calls"), n(bulk, "distinct_secrets"), n(bulk, "errors")), (18, 18, 0));
    let ssm = all.iter().find(|r| s(r, "caller") == DAVE && s(r, "event_name") == "GetParameters").unwrap();
    assert_eq!(n(ssm, "errors"), 2);
}

#[test]
fn instance_credentials_outside_find_inc_16_only() {
    let all = rows("instance_credentials_outside", &[]);
    // INC-16, and INC-23 (instance B's credentials enumerating from 91.219.236.18).
    assert_eq!(all.len(), 2, "{all:?}");
    let other = all.iter().find(|r| s(r, "source_ip") == "91.219.236.18").expect("INC-23");
    assert!(s(other, "session_arn").ends_with("/i-0abc1234def567891"));
    let r = all.iter().find(|r| s(r, "source_ip") == "45.33.18.77").expect("INC-16");
    assert_eq!(s(r, "session_arn"), "arn:aws:sts::111122223333:assumed-role/app-server-role/i-0abc1234def567890");
    assert_eq!((n(r, "calls"), n(r, "errors")), (18, 3));
    assert!(s(r, "first_seen").starts_with("2026-10-12"));
}

#[test]
fn source_ips_by_principal_show_dave_s_new_addresses() {
    let dave = rows("source_ips_by_principal", &[&format!("principal={DAVE}")]);
    let ips: Vec<&str> = dave.iter().map(|r| s(r, "source_ip")).collect();
    assert_eq!(ips, ["198.51.100.71", "185.220.101.34", "193.32.162.45"], "ordered by first use");
    assert_eq!(n(&dave[1], "calls"), 85);
    assert_eq!(n(&dave[0], "calls") + n(&dave[1], "calls") + n(&dave[2], "calls"), 195);

    let all = rows("source_ips_by_principal", &[]);
    let app: Vec<&str> = all
        .iter()
        .filter(|r| s(r, "principal") == "arn:aws:iam::111122223333:role/service/app-server-role")
        .map(|r| s(r, "source_ip"))
        .collect();
    // The instances, INC-16's and INC-23's thieves.
    assert_eq!(app, ["10.0.1.23", "10.0.2.57", "45.33.18.77", "91.219.236.18"]);
}

/// A lake of a few hand-written records (one delivery file).
fn small_lake(name: &str, records: &[Value]) -> std::path::PathBuf {
    let dir = scratch(name);
    put_delivery(&dir.join("logs"), "f.json", &records_file(records));
    let lake = dir.join("lake");
    run_ok(&["ingest", p(&dir.join("logs")), "--lake", p(&lake), "--quiet"]);
    lake
}

fn call(id: &str, time: &str, source: &str, name: &str, request: Value) -> Value {
    let mut r = record(id, time, name);
    r["eventSource"] = Value::from(source);
    r["requestParameters"] = request;
    r["readOnly"] = Value::Bool(false);
    r
}

fn lake_rows(lake: &std::path::Path, name: &str, params: &[&str]) -> Vec<Value> {
    let mut args = vec!["query", name, "--lake", p(lake), "--format", "json"];
    for kv in params {
        args.extend(["--param", *kv]);
    }
    json(&args).as_array().unwrap().clone()
}

/// Cut as text, `"AWS":"*"` (a regex for polars' strpos) matches any principal and Lambda's
/// lower-case `principal` is missed; read as JSON, each grant is judged by its principal.
#[test]
fn resource_exposure_reads_the_grants_not_the_text() {
    let policy = |principal: Value| serde_json::json!({"Statement": [{"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]});
    let records = [
        call(
            "foreign",
            "2026-09-01T10:00:00Z",
            "s3.amazonaws.com",
            "PutBucketPolicy",
            serde_json::json!({"bucketName": "b", "bucketPolicy": policy(serde_json::json!({"AWS": "arn:aws:iam::999988887777:root"}))}),
        ),
        call(
            "everyone",
            "2026-09-01T10:01:00Z",
            "s3.amazonaws.com",
            "PutBucketPolicy",
            serde_json::json!({"bucketName": "b", "bucketPolicy": policy(serde_json::json!({"AWS": ["arn:aws:iam::999988887777:root", "*"]}))}),
        ),
        call(
            "lambda",
            "2026-09-01T10:02:00Z",
            "lambda.amazonaws.com",
            "AddPermission20150331v2",
            serde_json::json!({"functionName": "f", "statementId": "s", "action": "lambda:InvokeFunction", "principal": "*"}),
        ),
        call(
            "lambda-account",
            "2026-09-01T10:03:00Z",
            "lambda.amazonaws.com",
            "AddPermission20150331v2",
            serde_json::json!({"functionName": "f", "statementId": "t", "action": "lambda:InvokeFunction", "principal": "999988887777"}),
        ),
        call(
            "sns",
            "2026-09-01T10:04:00Z",
            "sns.amazonaws.com",
            "SetTopicAttributes",
            serde_json::json!({"topicArn": "arn:aws:sns:us-east-1:111122223333:t", "attributeName": "Policy",
                                "attributeValue": policy(serde_json::json!({"AWS": "*"})).to_string()}),
        ),
        call(
            "pab",
            "2026-09-01T10:05:00Z",
            "s3.amazonaws.com",
            "PutBucketPublicAccessBlock",
            serde_json::json!({"bucketName": "b", "PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true, "note": "false"}}),
        ),
    ];
    let lake = small_lake("query-exposure-json", &records);
    let public: BTreeMap<String, bool> = lake_rows(&lake, "resource_exposure", &[])
        .iter()
        .map(|r| (s(r, "event_id").to_owned(), r["public"] == Value::Bool(true)))
        .collect();
    let want: BTreeMap<String, bool> = [
        ("everyone", true),
        ("foreign", false),
        ("lambda", true),
        ("lambda-account", false),
        ("pab", false),
        ("sns", true),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(public, want);
}

/// `.` and `+` are legal in role names and special in a regex: the timeline of role `ci.prod`
/// must not include the assumption of `ci-prod`, and that of `deploy+ci` must include its own.
#[test]
fn principal_timeline_matches_role_arns_exactly() {
    let assume = |id: &str, time: &str, role: &str, key: &str| {
        let mut r = call(
            id,
            time,
            "sts.amazonaws.com",
            "AssumeRole",
            serde_json::json!({"roleArn": format!("arn:aws:iam::111122223333:role/{role}"), "roleSessionName": "s"}),
        );
        r["responseElements"] = serde_json::json!({"credentials": {"accessKeyId": key, "expiration": "x"},
            "assumedRoleUser": {"arn": format!("arn:aws:sts::111122223333:assumed-role/{role}/s")}});
        r
    };
    let records = [
        assume("a-dot", "2026-09-01T10:00:00Z", "ci.prod", "ASIADOT"),
        assume("a-dash", "2026-09-01T10:01:00Z", "ci-prod", "ASIADASH"),
        assume("a-plus", "2026-09-01T10:02:00Z", "deploy+ci", "ASIAPLUS"),
    ];
    let lake = small_lake("query-timeline-json", &records);
    let ids = |role: &str| -> Vec<String> {
        lake_rows(&lake, "principal_timeline", &[&format!("principal=arn:aws:iam::111122223333:role/{role}")])
            .iter()
            .map(|r| s(r, "event_id").to_owned())
            .collect()
    };
    assert_eq!(ids("ci.prod"), ["a-dot"]);
    assert_eq!(ids("deploy+ci"), ["a-plus"]);
}
