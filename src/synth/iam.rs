//! The sample account's IAM inputs: `aws iam get-account-authorization-details` output, the
//! credential report, SCPs and resource policies. They describe the account as it is at the end
//! of the window (after the incident week, see SCENARIO.md), and they agree with the events:
//! every successful call of the scenario is allowed by them, every refusal is a real denial.

use std::path::Path;

use serde_json::{json, Value};

use super::identity::{role_id, user_arn, user_id, user_key};
use super::rng::stable_id;
use super::scenario::cast::*;
use super::scenario::Ev;
use super::writer::{write_pretty, write_text, Written};

const V: &str = "2012-10-17";

fn iso(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default().format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

fn managed(name: &str) -> Value {
    json!({"PolicyName": name, "PolicyArn": format!("arn:aws:iam::aws:policy/{name}")})
}

/// audit-readonly's trust policy; the attacker adds their account during INC-08.
pub fn audit_trust_policy(with_attacker: bool) -> Value {
    let mut principals = vec![format!("arn:aws:iam::{AUDIT_ACCOUNT}:root")];
    if with_attacker {
        principals.push(format!("arn:aws:iam::{ATTACKER_ACCOUNT}:root"));
    }
    json!({"Version": V, "Statement": [{"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"}]})
}

/// The bucket policy the attacker puts on examplecorp-backups (INC-12).
pub fn public_backup_policy() -> Value {
    json!({"Version": V, "Statement": [{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{BACKUP_BUCKET}/*")}]})
}

pub fn developer_access_v2() -> Value {
    json!({"Version": V, "Statement": [
        {"Sid": "ListAllBuckets", "Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "s3:GetBucketLocation"], "Resource": "*"},
        {"Sid": "ListProjectBuckets", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": [format!("arn:aws:s3:::{DEV_BUCKET}"), format!("arn:aws:s3:::{DATA_BUCKET}"), format!("arn:aws:s3:::{ATHENA_BUCKET}")]},
        {"Sid": "DevObjects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "Resource": [format!("arn:aws:s3:::{DEV_BUCKET}/*"), format!("arn:aws:s3:::{ATHENA_BUCKET}/*")]},
        {"Sid": "ReadDataExports", "Effect": "Allow", "Action": "s3:GetObject", "Resource": [format!("arn:aws:s3:::{DATA_BUCKET}/exports/*"), format!("arn:aws:s3:::{DATA_BUCKET}/curated/*")]},
        {"Sid": "DevTables", "Effect": "Allow", "Action": ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:Scan"], "Resource": format!("arn:aws:dynamodb:*:{ACCOUNT}:table/dev-*")},
        {"Sid": "ListTables", "Effect": "Allow", "Action": "dynamodb:ListTables", "Resource": "*"},
        {"Sid": "DevFunctions", "Effect": "Allow", "Action": ["lambda:GetFunction", "lambda:InvokeFunction", "lambda:UpdateFunctionCode"], "Resource": format!("arn:aws:lambda:*:{ACCOUNT}:function:dev-*")},
        {"Sid": "ListFunctions", "Effect": "Allow", "Action": "lambda:ListFunctions", "Resource": "*"},
        {"Sid": "DevLogs", "Effect": "Allow", "Action": ["logs:FilterLogEvents", "logs:GetLogEvents", "logs:DescribeLogStreams"], "Resource": format!("arn:aws:logs:*:{ACCOUNT}:log-group:/aws/lambda/dev-*")},
        {"Sid": "LogGroups", "Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*"},
        {"Sid": "Metrics", "Effect": "Allow", "Action": ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "cloudwatch:DescribeAlarms"], "Resource": "*"},
        {"Sid": "Ec2Read", "Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"},
        {"Sid": "Athena", "Effect": "Allow", "Action": ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults"], "Resource": format!("arn:aws:athena:{US}:{ACCOUNT}:workgroup/primary")},
        {"Sid": "GlueCatalog", "Effect": "Allow", "Action": ["glue:GetDatabase", "glue:GetTable"], "Resource": [format!("arn:aws:glue:{US}:{ACCOUNT}:catalog"), format!("arn:aws:glue:{US}:{ACCOUNT}:database/analytics"), format!("arn:aws:glue:{US}:{ACCOUNT}:table/analytics/*")]},
    ]})
}

fn developer_access_v1() -> Value {
    json!({"Version": V, "Statement": [{"Sid": "LegacyBroad", "Effect": "Allow", "Action": ["s3:*", "dynamodb:*", "lambda:*", "logs:*", "cloudwatch:*", "ec2:Describe*", "athena:*", "glue:*"], "Resource": "*"}]})
}

fn deployer_boundary() -> Value {
    json!({"Version": V, "Statement": [
        {"Sid": "DeployerCeiling", "Effect": "Allow", "Action": ["lambda:*", "cloudformation:*", "s3:GetObject", "s3:PutObject", "s3:ListBucket", "iam:PassRole", "iam:GetRole", "logs:*"], "Resource": "*"},
        {"Sid": "NoIamWrites", "Effect": "Deny", "Action": ["iam:Create*", "iam:Delete*", "iam:Put*", "iam:Attach*", "iam:Update*"], "Resource": "*"},
    ]})
}

fn ci_deploy_policy() -> Value {
    json!({"Version": V, "Statement": [
        {"Sid": "LambdaDeploy", "Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:UpdateFunctionCode", "lambda:GetFunction"], "Resource": format!("arn:aws:lambda:*:{ACCOUNT}:function:app-*")},
        {"Sid": "LambdaList", "Effect": "Allow", "Action": "lambda:ListFunctions", "Resource": "*"},
        {"Sid": "PassExecRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": format!("arn:aws:iam::{ACCOUNT}:role/service/lambda-exec-role"), "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
        {"Sid": "Stacks", "Effect": "Allow", "Action": ["cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents", "cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet", "cloudformation:ExecuteChangeSet", "cloudformation:GetTemplate"], "Resource": format!("arn:aws:cloudformation:*:{ACCOUNT}:stack/app-*/*")},
        {"Sid": "Templates", "Effect": "Allow", "Action": "cloudformation:ValidateTemplate", "Resource": "*"},
        {"Sid": "Artifacts", "Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": format!("arn:aws:s3:::{ARTIFACTS_BUCKET}/*")},
    ]})
}

fn dave_policy() -> Value {
    json!({"Version": V, "Statement": [
        {"Sid": "DataLake", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Sid": "IamInventory", "Effect": "Allow", "Action": "iam:List*", "Resource": "*"},
        {"Sid": "PipelineSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": format!("arn:aws:secretsmanager:{US}:{ACCOUNT}:secret:*")},
    ]})
}

fn app_server_policy() -> Value {
    json!({"Version": V, "Statement": [
        {"Sid": "DataBucketList", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": format!("arn:aws:s3:::{DATA_BUCKET}")},
        {"Sid": "DataObjects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "Resource": [format!("arn:aws:s3:::{DATA_BUCKET}/reports/*"), format!("arn:aws:s3:::{DATA_BUCKET}/config/*")]},
        {"Sid": "Tables", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"], "Resource": [format!("arn:aws:dynamodb:{US}:{ACCOUNT}:table/orders"), format!("arn:aws:dynamodb:{US}:{ACCOUNT}:table/customers")]},
        {"Sid": "Queue", "Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"], "Resource": queue_arn()},
        {"Sid": "Kms", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": kms_key_arn()},
        {"Sid": "AppConfig", "Effect": "Allow", "Action": "ssm:GetParameters", "Resource": format!("arn:aws:ssm:{US}:{ACCOUNT}:parameter/app/prod/*")},
        {"Sid": "Logs", "Effect": "Allow", "Action": "logs:*", "Resource": format!("arn:aws:logs:{US}:{ACCOUNT}:log-group:/app/*")},
    ]})
}

fn trust_service(svc: &str) -> Value {
    json!({"Version": V, "Statement": [{"Effect": "Allow", "Principal": {"Service": svc}, "Action": "sts:AssumeRole"}]})
}

fn trust_account(account: &str) -> Value {
    json!({"Version": V, "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{account}:root")}, "Action": "sts:AssumeRole"}]})
}

/// Last use of something in the events: (time, region, service prefix).
type LastUse = Option<(i64, String, String)>;

fn last_use(events: &[Ev], pred: impl Fn(&Ev) -> bool) -> LastUse {
    events.iter().filter(|e| pred(e)).max_by_key(|e| e.t).map(|e| {
        let svc = e.rec.event_source.split('.').next().unwrap_or_default().to_string();
        (e.t, e.region.clone(), svc)
    })
}

fn role_last_used(events: &[Ev], role: &str) -> Value {
    let needle = format!("role/{role}");
    match last_use(events, |e| {
        e.rec.user_identity.kind == "AssumedRole"
            && e.rec.user_identity.invoked_by.is_none()
            && e.rec
                .user_identity
                .session_context
                .as_ref()
                .and_then(|c| c.session_issuer.arn.as_deref())
                .is_some_and(|a| a.ends_with(&needle))
    }) {
        Some((t, region, _)) => json!({"LastUsedDate": iso(t), "Region": region}),
        None => json!({}),
    }
}

#[allow(clippy::too_many_arguments)]
fn role(
    events: &[Ev],
    name: &str,
    path: &str,
    created: &str,
    trust: Value,
    inline: Vec<(&str, Value)>,
    attached: Vec<Value>,
    profiles: Vec<Value>,
    tags: Value,
) -> Value {
    json!({
        "Path": path, "RoleName": name, "RoleId": role_id(name),
        "Arn": format!("arn:aws:iam::{ACCOUNT}:role{path}{name}"), "CreateDate": created,
        "AssumeRolePolicyDocument": trust,
        "InstanceProfileList": profiles,
        "RolePolicyList": inline.into_iter().map(|(n, d)| json!({"PolicyName": n, "PolicyDocument": d})).collect::<Vec<_>>(),
        "AttachedManagedPolicies": attached,
        "Tags": tags,
        "RoleLastUsed": role_last_used(events, name),
    })
}

fn user(
    name: &str,
    created: &str,
    groups: &[&str],
    inline: Vec<(&str, Value)>,
    attached: Vec<Value>,
    tags: Value,
) -> Value {
    json!({
        "Path": "/", "UserName": name, "UserId": user_id(name), "Arn": user_arn(ACCOUNT, name),
        "CreateDate": created,
        "UserPolicyList": inline.into_iter().map(|(n, d)| json!({"PolicyName": n, "PolicyDocument": d})).collect::<Vec<_>>(),
        "GroupList": groups, "AttachedManagedPolicies": attached, "Tags": tags,
    })
}

fn group(name: &str, created: &str, inline: Vec<(&str, Value)>, attached: Vec<Value>) -> Value {
    json!({
        "Path": "/", "GroupName": name, "GroupId": stable_id("AGPA", name, 17),
        "Arn": format!("arn:aws:iam::{ACCOUNT}:group/{name}"), "CreateDate": created,
        "GroupPolicyList": inline.into_iter().map(|(n, d)| json!({"PolicyName": n, "PolicyDocument": d})).collect::<Vec<_>>(),
        "AttachedManagedPolicies": attached,
    })
}

/// Developers may start and stop the instances tagged with their own name (CloudTrail does not
/// record the tag: a trimmed policy must keep this grant as it is).
fn own_instances_policy() -> Value {
    json!({"Version": V, "Statement": [
        {"Sid": "OwnInstances", "Effect": "Allow", "Action": ["ec2:StartInstances", "ec2:StopInstances"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}}},
    ]})
}

/// The `get-account-authorization-details` document at the end of the window.
pub fn authorization_details(events: &[Ev]) -> Value {
    let support_created = events
        .iter()
        .find(|e| e.rec.event_name == "CreateUser" && e.rec.error_code.is_none())
        .map(|e| iso(e.t))
        .unwrap_or_else(|| iso(START + INCIDENT_DAY * DAY));
    let mut ci = user(
        "ci-deployer",
        "2023-08-01T12:00:00+00:00",
        &[],
        vec![("ci-deploy", ci_deploy_policy())],
        vec![],
        json!([{"Key": "owner", "Value": "platform"}]),
    );
    ci["PermissionsBoundary"] = json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": format!("arn:aws:iam::{ACCOUNT}:policy/DeployerBoundary")});
    let users = vec![
        user(
            "alice",
            "2021-06-14T09:12:00+00:00",
            &["admins"],
            vec![],
            vec![],
            json!([{"Key": "team", "Value": "platform"}]),
        ),
        user(
            "bob",
            "2023-02-20T10:30:00+00:00",
            &["developers"],
            vec![],
            vec![],
            json!([{"Key": "team", "Value": "orders"}]),
        ),
        user(
            "carol",
            "2024-05-07T08:45:00+00:00",
            &["readonly"],
            vec![],
            vec![],
            json!([{"Key": "team", "Value": "finance"}]),
        ),
        ci,
        user(
            "dave",
            "2024-02-11T14:20:00+00:00",
            &[],
            vec![("data-engineer", dave_policy())],
            vec![],
            json!([{"Key": "team", "Value": "data"}]),
        ),
        user(
            "svc-backup",
            "2022-11-03T16:00:00+00:00",
            &[],
            vec![(
                "backup-read",
                json!({"Version": V, "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [format!("arn:aws:s3:::{BACKUP_BUCKET}"), format!("arn:aws:s3:::{BACKUP_BUCKET}/*")]}]}),
            )],
            vec![],
            json!([]),
        ),
        user("support-ops", &support_created, &[], vec![], vec![managed("AdministratorAccess")], json!([])),
    ];
    let groups = vec![
        group("admins", "2021-06-14T09:00:00+00:00", vec![], vec![managed("AdministratorAccess")]),
        group(
            "developers",
            "2023-02-20T10:00:00+00:00",
            vec![("own-instances", own_instances_policy())],
            vec![
                json!({"PolicyName": "DeveloperAccess", "PolicyArn": format!("arn:aws:iam::{ACCOUNT}:policy/DeveloperAccess")}),
            ],
        ),
        group("readonly", "2024-05-07T08:30:00+00:00", vec![], vec![managed("ReadOnlyAccess")]),
    ];
    let app_role_min = json!({"Path": "/service/", "RoleName": "app-server-role", "RoleId": role_id("app-server-role"), "Arn": format!("arn:aws:iam::{ACCOUNT}:role/service/app-server-role"), "CreateDate": "2023-03-01T10:00:00+00:00", "AssumeRolePolicyDocument": trust_service("ec2.amazonaws.com")});
    let profile = json!({"Path": "/service/", "InstanceProfileName": "app-server-profile", "InstanceProfileId": stable_id("AIPA", "app-server-profile", 17), "Arn": format!("arn:aws:iam::{ACCOUNT}:instance-profile/service/app-server-profile"), "CreateDate": "2023-03-01T10:00:00+00:00", "Roles": [app_role_min]});
    let sso_trust = json!({"Version": V, "Statement": [{"Effect": "Allow", "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:saml-provider/{SSO_PROVIDER}")}, "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"], "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]});
    let sso_inline = json!({"Version": V, "Statement": [{"Sid": "PassAppServerRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": format!("arn:aws:iam::{ACCOUNT}:role/service/app-server-role"), "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}]});
    let unused_trust = json!({"Version": V, "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]});
    let mut roles = vec![
        role(
            events,
            "app-server-role",
            "/service/",
            "2023-03-01T10:00:00+00:00",
            trust_service("ec2.amazonaws.com"),
            vec![("app-server-access", app_server_policy())],
            vec![],
            vec![profile],
            json!([{"Key": "app", "Value": "orders"}]),
        ),
        role(
            events,
            SSO_ROLE,
            SSO_PATH,
            "2024-01-15T11:00:00+00:00",
            sso_trust,
            vec![("AwsSSOInlinePolicy", sso_inline)],
            vec![managed("PowerUserAccess")],
            vec![],
            json!([]),
        ),
        role(
            events,
            "lambda-exec-role",
            "/service/",
            "2023-05-10T09:00:00+00:00",
            trust_service("lambda.amazonaws.com"),
            vec![(
                "app-orders-table",
                json!({"Version": V, "Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"], "Resource": format!("arn:aws:dynamodb:{US}:{ACCOUNT}:table/orders")}]}),
            )],
            vec![
                json!({"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}),
            ],
            vec![],
            json!([{"Key": "app", "Value": "orders"}]),
        ),
        role(
            events,
            "unused-role",
            "/",
            "2022-07-19T15:00:00+00:00",
            unused_trust,
            vec![(
                "legacy-ops",
                json!({"Version": V, "Statement": [{"Effect": "Allow", "Action": ["ec2:*", "s3:*"], "Resource": "*"}]}),
            )],
            vec![],
            vec![],
            json!([]),
        ),
        role(
            events,
            "audit-readonly",
            "/",
            "2024-03-04T08:00:00+00:00",
            audit_trust_policy(true),
            vec![],
            vec![managed("SecurityAudit")],
            vec![],
            json!([{"Key": "owner", "Value": "security"}]),
        ),
        role(
            events,
            "OrganizationAccountAccessRole",
            "/",
            "2021-06-01T00:00:00+00:00",
            trust_account(MGMT_ACCOUNT),
            vec![],
            vec![managed("AdministratorAccess")],
            vec![],
            json!([]),
        ),
        role(
            events,
            CONFIG_SLR,
            CONFIG_SLR_PATH,
            "2021-06-02T00:00:00+00:00",
            trust_service("config.amazonaws.com"),
            vec![],
            vec![
                json!({"PolicyName": "AWSConfigServiceRolePolicy", "PolicyArn": "arn:aws:iam::aws:policy/aws-service-role/AWSConfigServiceRolePolicy"}),
            ],
            vec![],
            json!([]),
        ),
    ];
    roles.extend(super::scenario::people::iam_roles(&|name, path, trust, inline, attached| {
        role(events, name, path, "2025-06-02T09:00:00+00:00", trust, inline, attached, vec![], json!([]))
    }));
    let dev_update = events
        .iter()
        .filter(|e| e.rec.event_name == "SetDefaultPolicyVersion")
        .map(|e| iso(e.t))
        .next_back()
        .unwrap_or_else(|| "2025-11-04T10:00:00+00:00".into());
    let policies = vec![
        json!({"PolicyName": "DeveloperAccess", "PolicyId": stable_id("ANPA", "DeveloperAccess", 17), "Arn": format!("arn:aws:iam::{ACCOUNT}:policy/DeveloperAccess"), "Path": "/", "DefaultVersionId": "v2", "AttachmentCount": 1, "PermissionsBoundaryUsageCount": 0, "IsAttachable": true, "CreateDate": "2025-03-10T09:00:00+00:00", "UpdateDate": dev_update,
        "PolicyVersionList": [
            {"Document": developer_access_v2(), "VersionId": "v2", "IsDefaultVersion": true, "CreateDate": "2025-11-04T10:00:00+00:00"},
            {"Document": developer_access_v1(), "VersionId": "v1", "IsDefaultVersion": false, "CreateDate": "2025-03-10T09:00:00+00:00"},
        ]}),
        json!({"PolicyName": "DeployerBoundary", "PolicyId": stable_id("ANPA", "DeployerBoundary", 17), "Arn": format!("arn:aws:iam::{ACCOUNT}:policy/DeployerBoundary"), "Path": "/", "DefaultVersionId": "v1", "AttachmentCount": 0, "PermissionsBoundaryUsageCount": 1, "IsAttachable": true, "CreateDate": "2023-08-01T11:00:00+00:00", "UpdateDate": "2023-08-01T11:00:00+00:00",
            "PolicyVersionList": [{"Document": deployer_boundary(), "VersionId": "v1", "IsDefaultVersion": true, "CreateDate": "2023-08-01T11:00:00+00:00"}]}),
    ];
    json!({"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies})
}

const CRED_HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

fn na_or(v: Option<String>) -> String {
    v.unwrap_or_else(|| "N/A".into())
}

/// `aws iam generate-credential-report` CSV; last-use columns come from the events.
pub fn credential_report(events: &[Ev]) -> String {
    let login = |name: &str| {
        last_use(events, |e| {
            e.rec.event_name == "ConsoleLogin" && e.principal == format!("user/{name}") && e.rec.error_message.is_none()
        })
        .map(|(t, _, _)| iso(t))
    };
    let key_use = |key: &str| last_use(events, |e| e.rec.user_identity.access_key_id.as_deref() == Some(key));
    let created = |name: &str| {
        events
            .iter()
            .find(|e| {
                e.rec.event_name == "CreateLoginProfile"
                    && e.rec.error_code.is_none()
                    && e.rec.request_parameters["userName"] == name
            })
            .map(|e| iso(e.t))
    };
    // (user, created, password, mfa, key: (id, active, rotated))
    struct Row<'a> {
        name: &'a str,
        created: String,
        password: bool,
        password_changed: Option<String>,
        mfa: bool,
        key: Option<(String, bool, String)>,
    }
    let support_created = created("support-ops").unwrap_or_default();
    let alice_key_created = events
        .iter()
        .find(|e| e.rec.event_name == "CreateAccessKey" && e.rec.error_code.is_none())
        .map(|e| iso(e.t))
        .unwrap_or_default();
    let rows = vec![
        Row {
            name: "alice",
            created: "2021-06-14T09:12:00+00:00".into(),
            password: true,
            password_changed: Some("2026-07-01T08:00:00+00:00".into()),
            mfa: true,
            key: Some((user_key("alice", 1), false, alice_key_created)),
        },
        Row {
            name: "bob",
            created: "2023-02-20T10:30:00+00:00".into(),
            password: true,
            password_changed: created("bob"),
            mfa: false,
            key: Some((user_key("bob", 1), true, "2025-12-01T09:00:00+00:00".into())),
        },
        Row {
            name: "carol",
            created: "2024-05-07T08:45:00+00:00".into(),
            password: true,
            password_changed: Some("2024-05-07T08:50:00+00:00".into()),
            mfa: false,
            key: None,
        },
        Row {
            name: "ci-deployer",
            created: "2023-08-01T12:00:00+00:00".into(),
            password: false,
            password_changed: None,
            mfa: false,
            key: Some((user_key("ci-deployer", 1), true, "2026-06-01T12:00:00+00:00".into())),
        },
        Row {
            name: "dave",
            created: "2024-02-11T14:20:00+00:00".into(),
            password: false,
            password_changed: None,
            mfa: false,
            key: Some((user_key("dave", 1), true, "2024-02-11T14:25:00+00:00".into())),
        },
        Row {
            name: "svc-backup",
            created: "2022-11-03T16:00:00+00:00".into(),
            password: false,
            password_changed: None,
            mfa: false,
            key: Some((user_key("svc-backup", 1), true, "2022-11-03T16:05:00+00:00".into())),
        },
        Row {
            name: "support-ops",
            created: support_created.clone(),
            password: true,
            password_changed: Some(support_created),
            mfa: false,
            key: None,
        },
    ];
    let mut out = String::from(CRED_HEADER);
    out.push('\n');
    let root_login = last_use(events, |e| e.principal == "root").map(|(t, _, _)| iso(t));
    out.push_str(&format!(
        "<root_account>,arn:aws:iam::{ACCOUNT}:root,2019-04-02T10:00:00+00:00,not_supported,{},not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n",
        na_or(root_login)
    ));
    for r in rows {
        let (k_active, k_rot, k_date, k_region, k_svc) = match &r.key {
            Some((id, active, rotated)) => {
                let u = key_use(id);
                (
                    active.to_string(),
                    rotated.clone(),
                    na_or(u.as_ref().map(|x| iso(x.0))),
                    na_or(u.as_ref().map(|x| x.1.clone())),
                    na_or(u.as_ref().map(|x| x.2.clone())),
                )
            }
            None => ("false".into(), "N/A".into(), "N/A".into(), "N/A".into(), "N/A".into()),
        };
        let (p_used, p_changed) = if r.password {
            (login(r.name).unwrap_or_else(|| "no_information".into()), na_or(r.password_changed))
        } else {
            ("N/A".into(), "N/A".into())
        };
        out.push_str(&format!(
            "{},{},{},{},{},{},N/A,{},{},{},{},{},{},false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n",
            r.name,
            user_arn(ACCOUNT, r.name),
            r.created,
            r.password,
            p_used,
            p_changed,
            r.mfa,
            k_active,
            k_rot,
            k_date,
            k_region,
            k_svc
        ));
    }
    out
}

fn full_aws_access() -> Value {
    json!({"name": "FullAWSAccess", "document": {"Version": V, "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}})
}

/// SCP levels: the root and the Workloads OU the account sits in.
pub fn scps() -> Vec<(&'static str, Value)> {
    let guardrails = json!({"Version": V, "Statement": [
        {"Sid": "DenyLeaveOrganization", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"},
        {"Sid": "DenyOutsideApprovedRegions", "Effect": "Deny",
         "NotAction": ["iam:*", "organizations:*", "sts:*", "cloudfront:*", "route53:*", "support:*", "budgets:*", "ce:*", "account:*", "health:*", "trustedadvisor:*", "waf:*", "globalaccelerator:*", "sso:*", "s3:ListAllMyBuckets", "s3:GetBucketLocation"],
         "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": [US, EU]}, "ArnNotLike": {"aws:PrincipalARN": ["arn:aws:iam::*:role/OrganizationAccountAccessRole", "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_*"]}}},
    ]});
    vec![
        ("00-root.json", json!({"policies": [full_aws_access()]})),
        (
            "10-ou-workloads.json",
            json!({"policies": [full_aws_access(), {"name": "workloads-guardrails", "document": guardrails}]}),
        ),
    ]
}

/// Resource policies as they are at the end of the window.
pub fn resource_policies() -> Vec<(&'static str, Value)> {
    let data = json!({"Version": V, "Statement": [
        {"Sid": "DenyDeleteObjects", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": format!("arn:aws:s3:::{DATA_BUCKET}/*")},
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [format!("arn:aws:s3:::{DATA_BUCKET}"), format!("arn:aws:s3:::{DATA_BUCKET}/*")], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    ]});
    let key = json!({"Version": V, "Id": "key-policy-cloudtrail", "Statement": [
        {"Sid": "EnableIAMUserPermissions", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "AllowCloudTrailToEncryptLogs", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*", "Resource": "*", "Condition": {"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": format!("arn:aws:cloudtrail:*:{ACCOUNT}:trail/*")}}},
    ]});
    vec![
        ("s3-examplecorp-data.json", json!({"arn": format!("arn:aws:s3:::{DATA_BUCKET}"), "policy": data})),
        (
            "s3-examplecorp-backups.json",
            json!({"arn": format!("arn:aws:s3:::{BACKUP_BUCKET}"), "policy": public_backup_policy()}),
        ),
        ("kms-app-key.json", json!({"arn": kms_key_arn(), "policy": key})),
    ]
}

/// Writes `<out>/iam/...` for the sample.
pub fn write_sample(out: &Path, events: &[Ev]) -> anyhow::Result<Written> {
    let dir = out.join("iam");
    let mut w = Written::default();
    let mut put = |bytes: u64| {
        w.files += 1;
        w.bytes += bytes;
    };
    put(write_pretty(&dir.join("authorization-details.json"), &authorization_details(events))?);
    put(write_text(&dir.join("credential-report.csv"), &credential_report(events))?);
    for (name, v) in scps() {
        put(write_pretty(&dir.join("scps").join(name), &v)?);
    }
    for (name, v) in resource_policies() {
        put(write_pretty(&dir.join("resource-policies").join(name), &v)?);
    }
    Ok(w)
}
