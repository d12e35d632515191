//! Account loading tests on small inline fixtures.

use super::*;
use serde_json::{json, Value};

const ACCT: &str = "123456789012";

fn allow(action: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})
}

fn trust(service: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
}

/// A CLI-form page: documents as JSON objects.
fn cli_page() -> Value {
    json!({
        "UserDetailList": [{
            "Path": "/", "UserName": "alice", "UserId": "AIDAALICE",
            "Arn": format!("arn:aws:iam::{ACCT}:user/alice"),
            "CreateDate": "2020-01-01T00:00:00+00:00",
            "UserPolicyList": [{"PolicyName": "s3read", "PolicyDocument": allow("s3:GetObject")}],
            "GroupList": ["developers"],
            "AttachedManagedPolicies": [
                {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
                {"PolicyName": "deploy", "PolicyArn": format!("arn:aws:iam::{ACCT}:policy/deploy")}
            ],
            "PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": format!("arn:aws:iam::{ACCT}:policy/boundary")},
            "Tags": [{"Key": "team", "Value": "core"}]
        }, {
            "Path": "/ops/", "UserName": "bob", "UserId": "AIDABOB",
            "Arn": format!("arn:aws:iam::{ACCT}:user/ops/bob"),
            "CreateDate": "2021-01-01T00:00:00+00:00",
            "UserPolicyList": [], "GroupList": ["developers", "admins"],
            "AttachedManagedPolicies": [], "Tags": []
        }],
        "GroupDetailList": [{
            "Path": "/", "GroupName": "developers", "GroupId": "AGPADEV",
            "Arn": format!("arn:aws:iam::{ACCT}:group/developers"),
            "CreateDate": "2020-01-01T00:00:00+00:00",
            "GroupPolicyList": [{"PolicyName": "logs", "PolicyDocument": allow("logs:GetLogEvents")}],
            "AttachedManagedPolicies": [
                {"PolicyName": "deploy", "PolicyArn": format!("arn:aws:iam::{ACCT}:policy/deploy")}
            ]
        }, {
            "Path": "/", "GroupName": "admins", "GroupId": "AGPAADM",
            "Arn": format!("arn:aws:iam::{ACCT}:group/admins"),
            "GroupPolicyList": [],
            "AttachedManagedPolicies": [
                {"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
            ]
        }],
        "RoleDetailList": [{
            "Path": "/service-role/", "RoleName": "app", "RoleId": "AROAAPP",
            "Arn": format!("arn:aws:iam::{ACCT}:role/service-role/app"),
            "CreateDate": "2022-01-01T00:00:00+00:00",
            "AssumeRolePolicyDocument": trust("ec2.amazonaws.com"),
            "InstanceProfileList": [{
                "Path": "/", "InstanceProfileName": "app-profile", "InstanceProfileId": "AIPAAPP",
                "Arn": format!("arn:aws:iam::{ACCT}:instance-profile/app-profile"),
                "CreateDate": "2022-01-01T00:00:00+00:00", "Roles": []
            }],
            "RolePolicyList": [{"PolicyName": "queue", "PolicyDocument": allow("sqs:SendMessage")}],
            "AttachedManagedPolicies": [],
            "Tags": [{"Key": "env", "Value": "prod"}],
            "RoleLastUsed": {"LastUsedDate": "2024-05-01T00:00:00+00:00", "Region": "eu-west-1"}
        }],
        "Policies": [{
            "PolicyName": "deploy", "PolicyId": "ANPADEPLOY",
            "Arn": format!("arn:aws:iam::{ACCT}:policy/deploy"), "Path": "/",
            "DefaultVersionId": "v2", "AttachmentCount": 2, "IsAttachable": true,
            "PolicyVersionList": [
                {"Document": allow("ec2:StartInstances"), "VersionId": "v1", "IsDefaultVersion": false},
                {"Document": allow("ec2:StopInstances"), "VersionId": "v2", "IsDefaultVersion": true}
            ]
        }, {
            "PolicyName": "boundary", "PolicyId": "ANPABOUND",
            "Arn": format!("arn:aws:iam::{ACCT}:policy/boundary"), "Path": "/",
            "DefaultVersionId": "v1",
            "PolicyVersionList": [{"Document": allow("*"), "VersionId": "v1", "IsDefaultVersion": true}]
        }]
    })
}

fn encode(doc: &Value) -> Value {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    Value::String(utf8_percent_encode(&doc.to_string(), NON_ALPHANUMERIC).to_string())
}

/// The same page with every document URL-encoded, as the raw IAM API returns it.
fn raw_page() -> Value {
    let mut page = cli_page();
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for (k, val) in map.iter_mut() {
                    if matches!(k.as_str(), "PolicyDocument" | "Document" | "AssumeRolePolicyDocument") {
                        *val = encode(val);
                    } else {
                        walk(val);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut page);
    page
}

fn load(v: &Value) -> Account {
    Account::from_authorization_details_str(&v.to_string(), "auth.json").unwrap()
}

fn names(set: &[NamedPolicy]) -> Vec<&str> {
    set.iter().map(|p| p.name.as_str()).collect()
}

fn alice() -> String {
    format!("arn:aws:iam::{ACCT}:user/alice")
}

#[test]
fn cli_form_loads_principals_and_policies() {
    let a = load(&cli_page());
    assert_eq!(a.account_id, ACCT);
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    assert_eq!(a.users.len(), 2);
    let u = a.user("alice").unwrap();
    assert_eq!(u.path, "/");
    assert_eq!(u.id, "AIDAALICE");
    assert_eq!(u.create_date.as_deref(), Some("2020-01-01T00:00:00+00:00"));
    assert_eq!(u.tags.get("team").map(String::as_str), Some("core"));
    assert_eq!(u.groups, vec!["developers"]);
    assert_eq!(u.inline_policies[0].name, "s3read");
    assert_eq!(u.inline_policies[0].policy.name, "user/alice/inline/s3read");
    assert_eq!(u.permissions_boundary.as_deref(), Some("arn:aws:iam::123456789012:policy/boundary"));
    let r = a.role("app").unwrap();
    assert_eq!(r.path, "/service-role/");
    assert_eq!(r.tags.get("env").map(String::as_str), Some("prod"));
    assert_eq!(r.trust_document.as_ref().unwrap(), &trust("ec2.amazonaws.com"));
    assert_eq!(r.trust_policy.as_ref().unwrap().kind, PolicyKind::Trust);
    assert_eq!(r.role_last_used.as_ref().unwrap().region.as_deref(), Some("eu-west-1"));
    assert_eq!(r.inline_policies[0].policy.name, "role/app/inline/queue");
}

#[test]
fn raw_url_encoded_form_matches_cli_form() {
    let cli = load(&cli_page());
    let raw = load(&raw_page());
    assert!(raw.warnings.is_empty(), "{:?}", raw.warnings);
    assert_eq!(raw.users.len(), cli.users.len());
    for (a, b) in raw.users.iter().zip(&cli.users) {
        let da: Vec<&Value> = a.inline_policies.iter().map(|p| &p.document).collect();
        let db: Vec<&Value> = b.inline_policies.iter().map(|p| &p.document).collect();
        assert_eq!(da, db);
    }
    assert_eq!(raw.roles[0].trust_document, cli.roles[0].trust_document, "trust policy decoded");
    let key = format!("arn:aws:iam::{ACCT}:policy/deploy");
    assert_eq!(raw.managed[&key].document, cli.managed[&key].document);
}

#[test]
fn paginated_pages_are_merged() {
    let page = cli_page();
    let mut p1 = page.clone();
    let mut p2 = page.clone();
    // Page 1: users and groups; page 2: roles and policies.
    p1.as_object_mut().unwrap().remove("RoleDetailList");
    p1.as_object_mut().unwrap().remove("Policies");
    p1["IsTruncated"] = json!(true);
    p1["Marker"] = json!("abc");
    p2.as_object_mut().unwrap().remove("UserDetailList");
    p2.as_object_mut().unwrap().remove("GroupDetailList");
    let whole = load(&page);
    for text in [format!("{p1}\n{p2}\n"), format!("{p1}{p2}"), json!([p1, p2]).to_string()] {
        let a = Account::from_authorization_details_str(&text, "pages.json").unwrap();
        assert!(a.warnings.is_empty(), "{:?}", a.warnings);
        assert_eq!(a.users.len(), whole.users.len());
        assert_eq!(a.groups.len(), whole.groups.len());
        assert_eq!(a.roles.len(), whole.roles.len());
        assert_eq!(a.managed.keys().collect::<Vec<_>>(), whole.managed.keys().collect::<Vec<_>>());
    }
}

#[test]
fn group_membership_is_merged_across_pages_and_users() {
    // Bob appears on two pages with different group lists.
    let mut p2 = json!({"UserDetailList": [cli_page()["UserDetailList"][1].clone()]});
    p2["UserDetailList"][0]["GroupList"] = json!(["ops"]);
    let text = format!("{}{}", cli_page(), p2);
    let a = Account::from_authorization_details_str(&text, "auth.json").unwrap();
    let bob = a.user("bob").unwrap();
    assert_eq!(bob.groups, vec!["developers", "admins", "ops"]);
    assert_eq!(a.group("developers").unwrap().members, vec!["alice", "bob"]);
    assert_eq!(a.group("admins").unwrap().members, vec!["bob"]);
    // `ops` is not in GroupDetailList: said so, not silently ignored.
    assert_eq!(a.warnings.len(), 1, "{:?}", a.warnings);
    assert!(a.warnings[0].contains("ops") && a.warnings[0].contains("auth.json"));
}

#[test]
fn managed_policy_default_version_is_selected() {
    let a = load(&cli_page());
    let deploy = &a.managed[&format!("arn:aws:iam::{ACCT}:policy/deploy")];
    assert_eq!(deploy.version.as_deref(), Some("v2"));
    assert_eq!(deploy.document, allow("ec2:StopInstances"));
    assert_eq!(deploy.source, PolicySource::AuthorizationDetails);
    assert!(!deploy.aws_managed);
    assert_eq!(deploy.attachment_count, Some(2));

    // Without IsDefaultVersion flags, DefaultVersionId decides.
    let mut page = cli_page();
    for v in page["Policies"][0]["PolicyVersionList"].as_array_mut().unwrap() {
        v.as_object_mut().unwrap().remove("IsDefaultVersion");
    }
    page["Policies"][0]["DefaultVersionId"] = json!("v1");
    let a = load(&page);
    let deploy = &a.managed[&format!("arn:aws:iam::{ACCT}:policy/deploy")];
    assert_eq!(deploy.version.as_deref(), Some("v1"));
    assert_eq!(deploy.document, allow("ec2:StartInstances"));
}

#[test]
fn aws_managed_policies_resolve_from_the_catalog() {
    let a = load(&cli_page());
    let ro = &a.managed["arn:aws:iam::aws:policy/ReadOnlyAccess"];
    assert_eq!(ro.source, PolicySource::Catalog);
    assert!(ro.aws_managed);
    assert_eq!(ro.name, "ReadOnlyAccess");
    assert_eq!(ro.policy.name, "arn:aws:iam::aws:policy/ReadOnlyAccess");
    let admin = &a.managed["arn:aws:iam::aws:policy/AdministratorAccess"];
    assert_eq!(admin.document["Statement"][0]["Action"], "*");
    assert_eq!(admin.path, "/");
}

#[test]
fn unknown_aws_managed_policy_is_a_warning() {
    let mut page = cli_page();
    page["RoleDetailList"][0]["AttachedManagedPolicies"] = json!([
        {"PolicyName": "DoesNotExist", "PolicyArn": "arn:aws:iam::aws:policy/DoesNotExist"},
        {"PolicyName": "gone", "PolicyArn": format!("arn:aws:iam::{ACCT}:policy/gone")}
    ]);
    let a = load(&page);
    assert_eq!(a.warnings.len(), 2, "{:?}", a.warnings);
    let w = a.warnings.join("\n");
    assert!(w.contains("arn:aws:iam::aws:policy/DoesNotExist"), "{w}");
    assert!(w.contains("role/service-role/app"), "{w}");
    assert!(w.contains("policy/gone"), "{w}");
    assert!(!a.managed.contains_key("arn:aws:iam::aws:policy/DoesNotExist"));
}

#[test]
fn malformed_policy_error_names_file_principal_and_statement() {
    let mut page = cli_page();
    page["UserDetailList"][0]["UserPolicyList"][0]["PolicyDocument"] = json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
            {"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"}
        ]
    });
    let err = Account::from_authorization_details_str(&page.to_string(), "iam/auth.json").unwrap_err().to_string();
    assert!(err.contains("iam/auth.json"), "{err}");
    assert!(err.contains(&alice()), "{err}");
    assert!(err.contains("s3read"), "{err}");
    assert!(err.contains("statement 2"), "0-based statement index in {err}");

    let mut page = cli_page();
    page["RoleDetailList"][0]["RolePolicyList"][0]["PolicyDocument"] = json!("%7Bnot json");
    let err = Account::from_authorization_details_str(&page.to_string(), "iam/auth.json").unwrap_err().to_string();
    assert!(err.contains("iam/auth.json") && err.contains("role/service-role/app") && err.contains("queue"), "{err}");
}

#[test]
fn principal_resolution() {
    let a = load(&cli_page());
    assert!(matches!(a.principal(&alice()), Some(PrincipalRef::User(u)) if u.name == "alice"));
    assert!(matches!(
        a.principal("arn:aws:iam::123456789012:user/bob"),
        Some(PrincipalRef::User(u)) if u.name == "bob"
    ));
    let session = "arn:aws:sts::123456789012:assumed-role/app/i-0abc";
    assert!(matches!(a.principal(session), Some(PrincipalRef::Role(r)) if r.name == "app"));
    assert!(matches!(a.principal("arn:aws:iam::123456789012:role/app"), Some(PrincipalRef::Role(_))));
    assert!(matches!(a.principal("arn:aws:iam::123456789012:root"), Some(PrincipalRef::Root)));
    assert!(a.principal("arn:aws:iam::999999999999:root").is_none());
    assert!(a.principal("arn:aws:sts::999999999999:assumed-role/app/x").is_none());
    assert!(a.principal("arn:aws:iam::123456789012:user/carol").is_none());
    assert_eq!(
        a.principals(),
        vec![
            ("arn:aws:iam::123456789012:role/service-role/app".to_string(), "role"),
            ("arn:aws:iam::123456789012:root".to_string(), "root"),
            ("arn:aws:iam::123456789012:user/alice".to_string(), "user"),
            ("arn:aws:iam::123456789012:user/ops/bob".to_string(), "user"),
        ]
    );
}

#[test]
fn command_line_principals_resolve_to_arns_or_suggest_the_closest() {
    let a = load(&cli_page());
    assert_eq!(a.resolve_principal("bob").unwrap(), "arn:aws:iam::123456789012:user/ops/bob");
    assert_eq!(
        a.resolve_principal("arn:aws:iam::123456789012:user/bob").unwrap(),
        "arn:aws:iam::123456789012:user/ops/bob"
    );
    assert_eq!(a.resolve_principal("app").unwrap(), "arn:aws:iam::123456789012:role/service-role/app");
    assert_eq!(a.resolve_principal("arn:aws:iam::123456789012:root").unwrap(), "arn:aws:iam::123456789012:root");
    let err = a.resolve_principal("arn:aws:iam::123456789012:user/alcie").unwrap_err().to_string();
    assert!(
        err.contains("is not a user, role or the root user")
            && err.contains("did you mean arn:aws:iam::123456789012:user/alice?"),
        "{err}"
    );
    let err = a.resolve_principal("nobody-at-all").unwrap_err().to_string();
    assert!(!err.contains("did you mean"), "{err}");
}

#[test]
fn policy_sets_collect_identity_boundary_and_scps() {
    let mut a = load(&cli_page());
    a.scps = vec![scp::parse_level(&allow("*").to_string(), "00-root", "00-root.json").unwrap()];
    let set = a.policy_set(&alice()).unwrap();
    assert_eq!(
        names(&set.identity),
        vec![
            "user/alice/inline/s3read",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::123456789012:policy/deploy",
            "group/developers/inline/logs",
        ],
        "deploy is attached to alice and her group but listed once"
    );
    assert_eq!(names(&set.boundaries), vec!["arn:aws:iam::123456789012:policy/boundary"]);
    assert_eq!(set.boundaries[0].kind, PolicyKind::PermissionBoundary);
    assert_eq!(set.scps.len(), 1);
    assert!(set.resource_policy.is_none() && set.session_policies.is_empty());

    let bob = a.policy_set("arn:aws:iam::123456789012:user/ops/bob").unwrap();
    assert_eq!(
        names(&bob.identity),
        vec![
            "group/developers/inline/logs",
            "arn:aws:iam::123456789012:policy/deploy",
            "arn:aws:iam::aws:policy/AdministratorAccess",
        ]
    );
    assert!(bob.boundaries.is_empty());

    let role = a.policy_set("arn:aws:sts::123456789012:assumed-role/app/s").unwrap();
    assert_eq!(names(&role.identity), vec!["role/app/inline/queue"]);

    let root = a.policy_set("arn:aws:iam::123456789012:root").unwrap();
    assert_eq!(names(&root.identity), vec![ROOT_POLICY_NAME]);
    assert!(a.policy_set("arn:aws:iam::123456789012:user/nobody").is_none());
}

#[test]
fn resource_policy_for_s3_object_is_the_bucket_policy() {
    let mut a = load(&cli_page());
    let text = json!({"arn": "arn:aws:s3:::data", "policy": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::data/*"}]
    }})
    .to_string();
    a.resource_policies =
        resource_policies::parse_file(&text, "data.json", "rp/data.json").unwrap().into_iter().collect();
    let set = a.policy_set_for_resource(&alice(), "arn:aws:s3:::data/reports/q1.csv").unwrap();
    assert_eq!(set.resource_policy.as_ref().unwrap().name, "arn:aws:s3:::data");
    assert_eq!(set.identity.len(), 4);
    let none = a.policy_set_for_resource(&alice(), "arn:aws:s3:::other/x").unwrap();
    assert!(none.resource_policy.is_none());
}

#[test]
fn trust_policy_and_instance_profiles() {
    let a = load(&cli_page());
    let t = a.trust_policy("arn:aws:iam::123456789012:role/service-role/app").unwrap();
    assert_eq!(t.name, "role/app/trust");
    assert!(a.trust_policy(&alice()).is_none());
    assert_eq!(a.instance_profile_role("app-profile").unwrap().name, "app");
    assert_eq!(a.instance_profile_role("arn:aws:iam::123456789012:instance-profile/app-profile").unwrap().name, "app");
    assert!(a.instance_profile_role("nope").is_none());
}

#[test]
fn non_authorization_details_input_is_rejected_or_warned() {
    let err = Account::from_authorization_details_str("", "empty.json").unwrap_err().to_string();
    assert!(err.contains("empty.json"), "{err}");
    let err = Account::from_authorization_details_str("[1]", "x.json").unwrap_err().to_string();
    assert!(err.contains("x.json") && err.contains("number"), "{err}");
    // A JSON object of another shape (a policy document, say) is refused, naming what was expected.
    let err = Account::from_authorization_details_str("{\"Version\": \"2012-10-17\", \"Statement\": []}", "x.json")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("x.json")
            && err.contains("UserDetailList")
            && err.contains("Version")
            && err.contains("Statement"),
        "{err}"
    );
    assert!(Account::from_authorization_details_str("{}", "x.json").unwrap_err().to_string().contains("empty object"));
    // One odd page among real ones is only a warning.
    let text = format!("{}\n{{\"Foo\": 1}}", cli_page());
    let a = Account::from_authorization_details_str(&text, "x.json").unwrap();
    assert_eq!(a.warnings.len(), 1, "{:?}", a.warnings);
}

#[test]
fn load_reads_all_inputs_from_files() {
    let dir = std::env::temp_dir().join(format!("trailtrim-account-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("scps")).unwrap();
    std::fs::create_dir_all(dir.join("rp")).unwrap();
    // Authorization details gzipped, to check transparent decompression.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, cli_page().to_string().as_bytes()).unwrap();
    std::fs::write(dir.join("auth.json.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(dir.join("scps/00-root.json"), allow("*").to_string()).unwrap();
    let bucket_policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]});
    std::fs::write(dir.join("rp/arn%3Aaws%3As3%3A%3A%3Adata.json"), bucket_policy.to_string()).unwrap();
    let header = format!("user,arn,{}", crate::account::credential_report::REQUIRED_COLUMNS.join(","));
    let root =
        "<root_account>,arn:aws:iam::123456789012:root,not_supported,N/A,true,false,N/A,N/A,false,N/A,N/A,false,false";
    std::fs::write(dir.join("report.csv"), format!("{header}\n{root}\n")).unwrap();
    let a = Account::load(&LoadOptions {
        rcps: None,
        iam: dir.join("auth.json.gz"),
        scps: Some(dir.join("scps")),
        resource_policies: Some(dir.join("rp")),
        credential_report: Some(dir.join("report.csv")),
    })
    .unwrap();
    assert_eq!(a.users.len(), 2);
    assert_eq!(a.scps.len(), 1);
    assert!(a.resource_policy("arn:aws:s3:::data/k").is_some());
    assert!(a.credential_report.as_ref().unwrap().root().unwrap().mfa_active);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The demo corpus's authorization details: every attached managed policy must resolve.
#[test]
fn sample_authorization_details_resolve_without_warnings() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs/iam/authorization-details.json");
    let a = Account::load(&LoadOptions { iam: path, ..LoadOptions::default() }).unwrap();
    assert!(a.warnings.is_empty(), "{:#?}", a.warnings);
    assert!(!a.users.is_empty() || !a.roles.is_empty());
    for (arn, _) in a.principals() {
        let set = a.policy_set(&arn).unwrap();
        let attached: Vec<&String> = match a.principal(&arn).unwrap() {
            PrincipalRef::User(u) => u.attached_policies.iter().collect(),
            PrincipalRef::Role(r) => r.attached_policies.iter().collect(),
            PrincipalRef::Root => Vec::new(),
        };
        for p in attached {
            assert!(set.identity.iter().any(|n| &n.name == p), "{arn}: {p} unresolved");
        }
    }
}

fn decide(set: &PolicySet, principal: &str, action: &str, resource: &str) -> &'static str {
    let req = crate::policy::Request {
        principal: principal.to_string(),
        principal_account: None,
        action: action.to_string(),
        resource: resource.to_string(),
        resource_account: None,
        context: crate::policy::Context::new(),
    };
    crate::policy::evaluate(set, &req).decision.as_str()
}

/// The loaded sets drive the real evaluator: catalog policies grant, SCPs and resource
/// policies deny.
#[test]
fn policy_sets_evaluate() {
    let mut a = load(&cli_page());
    let alice = alice();
    let set = a.policy_set(&alice).unwrap();
    // ReadOnlyAccess (from the catalog) grants reads; nothing grants iam:CreateUser.
    assert_eq!(decide(&set, &alice, "ec2:DescribeInstances", "*"), "Allow");
    assert_eq!(decide(&set, &alice, "iam:CreateUser", "*"), "ImplicitDeny");
    let bob = "arn:aws:iam::123456789012:user/ops/bob";
    let set = a.policy_set(bob).unwrap();
    assert_eq!(decide(&set, bob, "iam:CreateUser", "*"), "Allow", "admins group");

    // An SCP level that denies IAM writes applies to every principal.
    a.scps = vec![scp::parse_level(
        r#"{"policies":[{"name":"all","document":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}},{"name":"noiam","document":{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}]}}]}"#,
        "00-root",
        "00-root.json",
    )
    .unwrap()];
    let set = a.policy_set(bob).unwrap();
    assert_eq!(decide(&set, bob, "iam:CreateUser", "*"), "ExplicitDeny");
    let root = a.root_arn();
    let set = a.policy_set(&root).unwrap();
    assert_eq!(decide(&set, &root, "s3:GetObject", "arn:aws:s3:::x/y"), "Allow");
    assert_eq!(decide(&set, &root, "iam:CreateUser", "*"), "ExplicitDeny");

    // A bucket policy denying everyone governs objects in the bucket.
    let text = json!({"arn": "arn:aws:s3:::data", "policy": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]
    }})
    .to_string();
    a.resource_policies =
        resource_policies::parse_file(&text, "data.json", "rp/data.json").unwrap().into_iter().collect();
    let obj = "arn:aws:s3:::data/k.csv";
    let set = a.policy_set_for_resource(&alice, obj).unwrap();
    assert_eq!(decide(&set, &alice, "s3:GetObject", obj), "ExplicitDeny");
    let set = a.policy_set_for_resource(&alice, "arn:aws:s3:::open/k").unwrap();
    assert_eq!(decide(&set, &alice, "s3:GetObject", "arn:aws:s3:::open/k"), "Allow");
}

#[test]
fn an_unresolved_boundary_or_managed_policy_never_allows() {
    // The boundary and the customer managed policy are missing from the file.
    let mut page = cli_page();
    page["Policies"] = json!([]);
    let a = load(&page);
    let set = a.policy_set(&alice()).unwrap();
    let unresolved: Vec<&str> = set.unresolved.iter().map(|(arn, _)| arn.as_str()).collect();
    assert!(unresolved.contains(&format!("arn:aws:iam::{ACCT}:policy/boundary").as_str()), "{unresolved:?}");
    assert!(unresolved.contains(&format!("arn:aws:iam::{ACCT}:policy/deploy").as_str()), "{unresolved:?}");
    let req = crate::policy::Request {
        principal: alice(),
        action: "s3:GetObject".into(),
        resource: "arn:aws:s3:::b/k".into(),
        ..Default::default()
    };
    // The inline policy allows, but the boundary is unknown: never Allow.
    let ev = crate::policy::evaluate(&set, &req);
    assert_eq!(ev.decision, crate::policy::Decision::Unknown, "{}", ev.reason);
    assert!(ev.reason.contains("policy/boundary"), "{}", ev.reason);
}

#[test]
fn rcps_govern_only_the_accounts_resources_and_not_service_linked_roles() {
    let mut a = load(&cli_page());
    let deny = crate::policy::parse_policy(&json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}))
    .unwrap();
    a.rcps = vec![vec![NamedPolicy::new("rcp/00-root/deny", PolicyKind::Rcp, deny)]];
    let own = a.policy_set_for_request(&alice(), "s3:GetObject", "arn:aws:s3:::b/k").unwrap();
    assert_eq!(own.rcps.len(), 1);
    let other = a.policy_set_for_request(&alice(), "sqs:SendMessage", "arn:aws:sqs:us-east-1:999999999999:q").unwrap();
    assert!(other.rcps.is_empty(), "another account's resource");
}

#[test]
fn an_unreadable_condition_value_loads_with_a_warning() {
    let mut page = cli_page();
    page["UserDetailList"][0]["UserPolicyList"][0]["PolicyDocument"] = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Office", "Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"NotIpAddress": {"aws:SourceIp": "300.1.2.3"}}}]});
    let a = load(&page);
    let w = a.invalid_policy_warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("300.1.2.3") && w[0].contains("Office"), "{w:?}");
}
