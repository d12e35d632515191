//! The incident week (2026-10-08 .. 2026-10-15): dave's leaked access key, the pivot into
//! OrganizationAccountAccessRole, persistence, exposure, execution, a new region, password
//! spraying, stolen instance credentials, and the owner's response. Incident ids (`INC-nn`) are
//! documented in SCENARIO.md and listed with their event ids in ground-truth.json.

use serde_json::json;

use super::baseline::{at, console_sess, user_sess};
use super::cast::*;
use super::{Denial, Sc, Sess};
use crate::synth::identity::{self, Actor, RoleSession};

pub fn generate(sc: &mut Sc) {
    let d = INCIDENT_DAY;
    stolen_key_recon(sc, d);
    let org = pivot(sc, d, 3, 31);
    tamper_and_evade(sc, &org);
    persistence(sc, &org);
    let org2 = pivot(sc, d + 1, 3, 5);
    exposure(sc, &org2);
    execution(sc, &org2);
    new_region(sc, &org2);
    persistence_used(sc, d);
    password_spray(sc, d + 3);
    ec2_credentials_outside(sc, d + 4);
    root_response(sc, d + 5);
}

fn dave_attacker(t: i64) -> Sess {
    let mut s = user_sess("dave", IP_ATTACKER, UA_KALI, t);
    s.principal = "user/dave".into();
    s
}

fn deny(sc: &mut Sc, s: &mut Sess, svc: &str, name: &str, params: serde_json::Value, action: &str, res: &str) {
    sc.denied(s, svc, name, params, action, res, Denial::NoIdentityAllow);
}

/// INC-01 recon burst, INC-02 AccessDenied burst (with INC-06/INC-08/INC-14 attempts),
/// INC-03 bulk secret reads and INC-04 first use of secretsmanager:GetSecretValue.
fn stolen_key_recon(sc: &mut Sc, d: i64) {
    let acct_res = |r: &str| format!("arn:aws:{r}");
    sc.tags = vec!["INC-01"];
    sc.pace = (1, 9);
    let mut s = dave_attacker(at(d, 2, 14));
    sc.call(&mut s, "sts", "GetCallerIdentity", json!(null));
    let dave_arn = identity::user_arn(ACCOUNT, "dave");
    for (name, params) in [
        ("ListUsers", json!(null)),
        ("ListRoles", json!(null)),
        ("ListPolicies", json!({"scope": "Local", "onlyAttached": false})),
        ("ListGroups", json!(null)),
        ("ListAccessKeys", json!({"userName": "dave"})),
        ("ListAttachedUserPolicies", json!({"userName": "dave"})),
        ("ListUserPolicies", json!({"userName": "dave"})),
    ] {
        sc.call(&mut s, "iam", name, params);
    }
    deny(
        sc,
        &mut s,
        "iam",
        "GetUser",
        json!({"userName": "alice"}),
        "iam:GetUser",
        &identity::user_arn(ACCOUNT, "alice"),
    );
    sc.s3_bucket(&mut s, "ListBuckets", None, json!({}));
    for b in [DATA_BUCKET, BACKUP_BUCKET, FINANCE_BUCKET] {
        sc.s3_bucket(&mut s, "GetBucketAcl", Some(b), json!({"acl": ""}));
        sc.s3_bucket(&mut s, "GetBucketPolicy", Some(b), json!({"policy": ""}));
    }
    let star = "*";
    let recon_denied: &[(&str, &str, &str)] = &[
        ("ec2", "DescribeInstances", "ec2:DescribeInstances"),
        ("ec2", "DescribeSecurityGroups", "ec2:DescribeSecurityGroups"),
        ("ec2", "DescribeRegions", "ec2:DescribeRegions"),
        ("lambda", "ListFunctions20150331", "lambda:ListFunctions"),
        ("rds", "DescribeDBInstances", "rds:DescribeDBInstances"),
        ("dynamodb", "ListTables", "dynamodb:ListTables"),
        ("kms", "ListKeys", "kms:ListKeys"),
        ("secretsmanager", "ListSecrets", "secretsmanager:ListSecrets"),
        ("cloudtrail", "DescribeTrails", "cloudtrail:DescribeTrails"),
        ("guardduty", "ListDetectors", "guardduty:ListDetectors"),
        ("sns", "ListTopics", "sns:ListTopics"),
        ("sqs", "ListQueues", "sqs:ListQueues"),
        ("ssm", "DescribeParameters", "ssm:DescribeParameters"),
        ("organizations", "DescribeOrganization", "organizations:DescribeOrganization"),
    ];
    for (svc, name, action) in recon_denied {
        deny(sc, &mut s, svc, name, json!(null), action, star);
    }

    // INC-02: brute-forcing what the key may do, 35 refusals in a few minutes.
    sc.tags = vec!["INC-02"];
    s.t = s.t.max(at(d, 2, 19));
    let user = |n: &str| identity::user_arn(ACCOUNT, n);
    sc.tags = vec!["INC-02", "INC-08"];
    deny(sc, &mut s, "iam", "CreateUser", json!({"userName": "backup-svc2"}), "iam:CreateUser", &user("backup-svc2"));
    deny(sc, &mut s, "iam", "CreateAccessKey", json!({"userName": "alice"}), "iam:CreateAccessKey", &user("alice"));
    deny(
        sc,
        &mut s,
        "iam",
        "AttachUserPolicy",
        json!({"userName": "dave", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        "iam:AttachUserPolicy",
        &dave_arn,
    );
    deny(
        sc,
        &mut s,
        "iam",
        "PutUserPolicy",
        json!({"userName": "dave", "policyName": "admin", "policyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}),
        "iam:PutUserPolicy",
        &dave_arn,
    );
    deny(
        sc,
        &mut s,
        "iam",
        "CreateLoginProfile",
        json!({"userName": "dave", "passwordResetRequired": false}),
        "iam:CreateLoginProfile",
        &dave_arn,
    );
    sc.tags = vec!["INC-02"];
    deny(sc, &mut s, "iam", "GetAccountAuthorizationDetails", json!(null), "iam:GetAccountAuthorizationDetails", star);
    deny(
        sc,
        &mut s,
        "sts",
        "AssumeRole",
        json!({"roleArn": format!("arn:aws:iam::{ACCOUNT}:role/OrganizationAccountAccessRole"), "roleSessionName": "test"}),
        "sts:AssumeRole",
        &format!("arn:aws:iam::{ACCOUNT}:role/OrganizationAccountAccessRole"),
    );
    sc.tags = vec!["INC-02", "INC-06"];
    deny(
        sc,
        &mut s,
        "cloudtrail",
        "StopLogging",
        json!({"name": trail_arn(TRAIL)}),
        "cloudtrail:StopLogging",
        &trail_arn(TRAIL),
    );
    deny(
        sc,
        &mut s,
        "cloudtrail",
        "PutEventSelectors",
        json!({"trailName": TRAIL, "eventSelectors": [{"readWriteType": "All", "includeManagementEvents": false}]}),
        "cloudtrail:PutEventSelectors",
        &trail_arn(TRAIL),
    );
    deny(sc, &mut s, "cloudtrail", "DeleteTrail", json!({"name": TRAIL}), "cloudtrail:DeleteTrail", &trail_arn(TRAIL));
    sc.tags = vec!["INC-02", "INC-14"];
    s.region = AP;
    let run = json!({"instancesSet": {"items": [{"imageId": "ami-0f9e8d7c6b5a43210", "minCount": 1, "maxCount": 10}]}, "instanceType": "c5.4xlarge"});
    sc.denied(
        &mut s,
        "ec2",
        "RunInstances",
        run,
        "ec2:RunInstances",
        &format!("arn:aws:ec2:{AP}:{ACCOUNT}:instance/*"),
        Denial::Scp,
    );
    s.region = "us-west-2";
    sc.denied(
        &mut s,
        "ec2",
        "DescribeInstances",
        json!({"instancesSet": {}, "filterSet": {}}),
        "ec2:DescribeInstances",
        star,
        Denial::Scp,
    );
    s.region = US;
    sc.tags = vec!["INC-02"];
    let more: &[(&str, &str, &str, String)] = &[
        ("lambda", "GetFunction20150331v2", "lambda:GetFunction", function_arn(US, "app-orders")),
        ("lambda", "ListFunctions20150331", "lambda:ListFunctions", star.into()),
        ("dynamodb", "Scan", "dynamodb:Scan", table_arn(US, "orders")),
        ("dynamodb", "DescribeTable", "dynamodb:DescribeTable", table_arn(US, "customers")),
        ("kms", "Decrypt", "kms:Decrypt", kms_key_arn()),
        ("kms", "ListAliases", "kms:ListAliases", star.into()),
        ("rds", "DescribeDBInstances", "rds:DescribeDBInstances", acct_res(&format!("rds:{US}:{ACCOUNT}:db:*"))),
        ("ec2", "DescribeSnapshots", "ec2:DescribeSnapshots", star.into()),
        ("ec2", "DescribeVolumes", "ec2:DescribeVolumes", star.into()),
        ("ec2", "DescribeImages", "ec2:DescribeImages", star.into()),
        ("ec2", "DescribeVpcs", "ec2:DescribeVpcs", star.into()),
        ("config", "DescribeConfigurationRecorders", "config:DescribeConfigurationRecorders", star.into()),
        ("organizations", "ListAccounts", "organizations:ListAccounts", star.into()),
        ("logs", "DescribeLogGroups", "logs:DescribeLogGroups", star.into()),
        (
            "monitoring",
            "DescribeAlarms",
            "cloudwatch:DescribeAlarms",
            acct_res(&format!("cloudwatch:{US}:{ACCOUNT}:alarm:*")),
        ),
        (
            "ecr",
            "DescribeRepositories",
            "ecr:DescribeRepositories",
            acct_res(&format!("ecr:{US}:{ACCOUNT}:repository/*")),
        ),
        ("eks", "ListClusters", "eks:ListClusters", star.into()),
        ("ecs", "ListClusters", "ecs:ListClusters", star.into()),
        ("sns", "ListSubscriptions", "sns:ListSubscriptions", star.into()),
        ("guardduty", "ListDetectors", "guardduty:ListDetectors", star.into()),
        ("access-analyzer", "ListAnalyzers", "access-analyzer:ListAnalyzers", star.into()),
        ("ssm", "DescribeInstanceInformation", "ssm:DescribeInstanceInformation", star.into()),
    ];
    for (svc, name, action, res) in more {
        deny(sc, &mut s, svc, name, json!(null), action, res);
    }

    // INC-03 / INC-04: every secret, by name (ListSecrets was refused), then SSM parameters.
    sc.tags = vec!["INC-03", "INC-04"];
    s.t = at(d, 2, 41);
    for name in SECRETS {
        sc.call(&mut s, "secretsmanager", "GetSecretValue", json!({"secretId": name}))
            .with_resources(identity::one_resource(ACCOUNT, "AWS::SecretsManager::Secret", secret_arn(name)));
        sc.tags = vec!["INC-03"];
    }
    sc.pace = (2, 35);
    for chunk in SSM_PARAMS.chunks(2) {
        let res = format!("arn:aws:ssm:{US}:{ACCOUNT}:parameter{}", chunk[0]);
        deny(
            sc,
            &mut s,
            "ssm",
            "GetParameters",
            json!({"names": chunk, "withDecryption": true}),
            "ssm:GetParameters",
            &res,
        );
    }
    sc.tags.clear();
}

/// INC-05: with the management-account key found in `ops/org-automation`, the attacker assumes
/// OrganizationAccountAccessRole (AdministratorAccess) from a new address.
fn pivot(sc: &mut Sc, d: i64, hour: i64, minute: i64) -> Sess {
    sc.tags = vec!["INC-05"];
    let t = at(d, hour, minute);
    let caller_id = identity::user_id("org-automation");
    let mut caller = Sess {
        actor: Actor::new(identity::aws_account(&caller_id, MGMT_ACCOUNT), ACCOUNT, IP_ATTACKER, UA_KALI),
        principal: format!("account/{MGMT_ACCOUNT}"),
        region: US,
        t,
    };
    let rs = sc.role_session("OrganizationAccountAccessRole", "/", "org-automation", t);
    sc.assume_role(&mut caller, &rs, true);
    sc.tags.clear();
    Sess {
        actor: Actor::new(rs.identity(), ACCOUNT, IP_ATTACKER, UA_KALI),
        principal: "role/OrganizationAccountAccessRole".into(),
        region: US,
        t: t + 20,
    }
}

/// INC-06 CloudTrail tampering and INC-07 defence evasion (2026-10-08).
fn tamper_and_evade(sc: &mut Sc, org: &Sess) {
    let mut s = org.clone();
    sc.tags = vec!["INC-06"];
    sc.call(&mut s, "cloudtrail", "DescribeTrails", json!(null));
    sc.call(&mut s, "cloudtrail", "PutEventSelectors", json!({"trailName": DATA_TRAIL, "eventSelectors": [{"readWriteType": "All", "includeManagementEvents": false, "dataResources": []}]}))
        .with_resources(identity::one_resource(ACCOUNT, "AWS::CloudTrail::Trail", trail_arn(DATA_TRAIL)));
    sc.call(&mut s, "cloudtrail", "StopLogging", json!({"name": trail_arn(DATA_TRAIL)}))
        .with_resources(identity::one_resource(ACCOUNT, "AWS::CloudTrail::Trail", trail_arn(DATA_TRAIL)));
    sc.call(&mut s, "cloudtrail", "DeleteTrail", json!({"name": DATA_TRAIL})).with_resources(identity::one_resource(
        ACCOUNT,
        "AWS::CloudTrail::Trail",
        trail_arn(DATA_TRAIL),
    ));
    sc.tags = vec!["INC-07"];
    for (region, detector) in [(US, "12abc34d567e8fa901bc2d34e56789f0"), (EU, "5cbd6a1e8f2e4a7b9c0d1e2f3a4b5c6d")] {
        s.region = region;
        sc.call(&mut s, "guardduty", "ListDetectors", json!(null));
        sc.call(&mut s, "guardduty", "DeleteDetector", json!({"detectorId": detector}));
    }
    s.region = US;
    sc.call(&mut s, "config", "StopConfigurationRecorder", json!({"configurationRecorderName": "default"}));
    let request = sc.rng.uuid();
    sc.call(&mut s, "ec2", "DeleteFlowLogs", json!({"DeleteFlowLogsRequest": {"FlowLogId": {"content": "fl-0123456789abcdef0", "tag": 1}}}))
        .respond(json!({"DeleteFlowLogsResponse": {"xmlns": "http://ec2.amazonaws.com/doc/2016-11-15/", "unsuccessful": "", "requestId": request}}));
    sc.denied(
        &mut s,
        "organizations",
        "LeaveOrganization",
        json!(null),
        "organizations:LeaveOrganization",
        "*",
        Denial::Scp,
    );
    sc.tags.clear();
}

/// INC-08 IAM persistence through the admin role (2026-10-08).
fn persistence(sc: &mut Sc, org: &Sess) {
    let mut s = org.clone();
    s.t += 15 * MIN;
    sc.tags = vec!["INC-08"];
    let created = crate::synth::record::fmt_time(s.t);
    sc.call(&mut s, "iam", "CreateUser", json!({"userName": "support-ops"}))
        .respond(json!({"user": {"path": "/", "userName": "support-ops", "userId": identity::user_id("support-ops"), "arn": identity::user_arn(ACCOUNT, "support-ops"), "createDate": created}}));
    sc.call(&mut s, "iam", "CreateLoginProfile", json!({"userName": "support-ops", "passwordResetRequired": true}))
        .respond(
            json!({"loginProfile": {"userName": "support-ops", "createDate": created, "passwordResetRequired": true}}),
        );
    sc.call(
        &mut s,
        "iam",
        "AttachUserPolicy",
        json!({"userName": "support-ops", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    );
    sc.call(&mut s, "iam", "UpdateLoginProfile", json!({"userName": "support-ops", "passwordResetRequired": false}));
    sc.call(&mut s, "iam", "CreateAccessKey", json!({"userName": "alice"}))
        .respond(json!({"accessKey": {"userName": "alice", "accessKeyId": identity::user_key("alice", 1), "status": "Active", "createDate": created}}));
    sc.call(&mut s, "iam", "CreateLoginProfile", json!({"userName": "bob", "passwordResetRequired": false}))
        .respond(json!({"loginProfile": {"userName": "bob", "createDate": created, "passwordResetRequired": false}}));
    let trust = super::super::iam::audit_trust_policy(true).to_string();
    sc.call(&mut s, "iam", "UpdateAssumeRolePolicy", json!({"roleName": "audit-readonly", "policyDocument": trust}));
    sc.call(
        &mut s,
        "iam",
        "SetDefaultPolicyVersion",
        json!({"policyArn": format!("arn:aws:iam::{ACCOUNT}:policy/DeveloperAccess"), "versionId": "v1"}),
    );
    sc.tags.clear();
}

/// INC-12 resource exposure (2026-10-09).
fn exposure(sc: &mut Sc, org: &Sess) {
    let mut s = org.clone();
    sc.tags = vec!["INC-12"];
    sc.call(&mut s, "ec2", "ModifySnapshotAttribute", json!({"snapshotId": "snap-0a1b2c3d4e5f67890", "createVolumePermission": {"add": {"items": [{"group": "all"}]}}, "attributeType": "CREATE_VOLUME_PERMISSION"}))
        .respond(json!({"_return": true}));
    sc.call(&mut s, "ec2", "ModifyImageAttribute", json!({"imageId": "ami-0a1b2c3d4e5f67890", "launchPermission": {"add": {"items": [{"group": "all"}]}}, "attributeType": "launchPermission"}))
        .respond(json!({"_return": true}));
    sc.s3_bucket(&mut s, "DeleteBucketPublicAccessBlock", Some(BACKUP_BUCKET), json!({"publicAccessBlock": ""}));
    sc.s3_bucket(
        &mut s,
        "PutBucketPolicy",
        Some(BACKUP_BUCKET),
        json!({"policy": "", "bucketPolicy": super::super::iam::public_backup_policy()}),
    );
    sc.s3_bucket(&mut s, "PutBucketPublicAccessBlock", Some(EXPORTS_BUCKET), json!({"publicAccessBlock": "", "PublicAccessBlockConfiguration": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", "BlockPublicAcls": false, "IgnorePublicAcls": false, "BlockPublicPolicy": false, "RestrictPublicBuckets": false}}));
    sc.call(&mut s, "ec2", "AuthorizeSecurityGroupIngress", json!({"groupId": "sg-0a1b2c3d4e5f60001", "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "groups": {}, "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}, "ipv6Ranges": {}, "prefixListIds": {}}]}}))
        .respond(json!({"_return": true, "securityGroupRuleSet": {"items": [{"groupOwnerId": ACCOUNT, "groupId": "sg-0a1b2c3d4e5f60001", "securityGroupRuleId": "sgr-0f1e2d3c4b5a69788", "isEgress": false, "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0"}]}}));
    sc.tags.clear();
}

/// INC-13 execution on instances and in Lambda (2026-10-09).
fn execution(sc: &mut Sc, org: &Sess) {
    let mut s = org.clone();
    s.t += 12 * MIN;
    sc.tags = vec!["INC-13"];
    let cmd = sc.rng.uuid();
    sc.call(&mut s, "ssm", "SendCommand", json!({"documentName": "AWS-RunShellScript", "instanceIds": [INSTANCE_A], "interactive": false, "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS"}))
        .respond(json!({"command": {"commandId": cmd, "documentName": "AWS-RunShellScript", "instanceIds": [INSTANCE_A], "status": "Pending"}}));
    let sid = format!("org-automation-{}", sc.rng.hex(17));
    sc.call(&mut s, "ssm", "StartSession", json!({"target": INSTANCE_B}))
        .respond(json!({"sessionId": sid, "tokenValue": "Value hidden due to security reasons.", "streamUrl": format!("wss://ssmmessages.{US}.amazonaws.com/v1/data-channel/{sid}?role=publish_subscribe")}));
    sc.call(
        &mut s,
        "ec2",
        "StopInstances",
        json!({"instancesSet": {"items": [{"instanceId": DEV_INSTANCE}]}, "force": false}),
    );
    s.t += 90;
    sc.call(
        &mut s,
        "ec2",
        "ModifyInstanceAttribute",
        json!({"instanceId": DEV_INSTANCE, "userData": "<sensitiveDataRemoved>"}),
    )
    .respond(json!({"_return": true}));
    sc.call(&mut s, "ec2", "StartInstances", json!({"instancesSet": {"items": [{"instanceId": DEV_INSTANCE}]}}));
    let layer = format!("arn:aws:lambda:{US}:{ACCOUNT}:layer:monitoring-ext");
    sc.call(&mut s, "lambda", "PublishLayerVersion20181031", json!({"layerName": "monitoring-ext", "content": {"zipFile": "<sensitiveDataRemoved>"}, "compatibleRuntimes": ["python3.12"]}))
        .respond(json!({"layerArn": layer, "layerVersionArn": format!("{layer}:1"), "version": 1}));
    sc.call(&mut s, "lambda", "UpdateFunctionConfiguration20150331v2", json!({"functionName": "app-orders", "layers": [format!("{layer}:1")]}))
        .respond(json!({"functionName": "app-orders", "functionArn": function_arn(US, "app-orders"), "layers": [{"arn": format!("{layer}:1")}]}));
    sc.call(
        &mut s,
        "lambda",
        "UpdateFunctionCode20150331v2",
        json!({"functionName": "app-orders", "zipFile": "<sensitiveDataRemoved>", "publish": true}),
    )
    .respond(
        json!({"functionName": "app-orders", "functionArn": function_arn(US, "app-orders"), "version": "$LATEST"}),
    );
    sc.tags.clear();
}

/// INC-14 crypto-mining instances in a region the account never used (2026-10-09).
fn new_region(sc: &mut Sc, org: &Sess) {
    let mut s = org.clone();
    s.t += 30 * MIN;
    sc.tags = vec!["INC-14"];
    sc.call(&mut s, "ec2", "DescribeRegions", json!({"regionSet": {}, "allRegions": true}));
    s.region = AP;
    sc.call(&mut s, "ec2", "DescribeImages", json!({"imagesSet": {}, "filterSet": {"items": [{"name": "name", "valueSet": {"items": [{"value": "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*"}]}}]}}));
    sc.call(&mut s, "ec2", "CreateKeyPair", json!({"keyName": "k1", "keyType": "rsa", "keyFormat": "pem"}))
        .respond(json!({"keyName": "k1", "keyFingerprint": "3f:1b:8c:aa:01:9e:57:42:bd:6c:0e:12:77:90:ab:cd", "keyPairId": "key-0a9b8c7d6e5f40312", "keyMaterial": "<sensitiveDataRemoved>"}));
    for i in 0..3 {
        let inst = format!("i-0a9b8c7d6e5f4031{i}");
        sc.call(&mut s, "ec2", "RunInstances", json!({"instancesSet": {"items": [{"imageId": "ami-0f9e8d7c6b5a43210", "minCount": 4, "maxCount": 4, "keyName": "k1"}]}, "instanceType": "c5.4xlarge", "blockDeviceMapping": {}, "monitoring": {"enabled": false}, "disableApiTermination": false}))
            .respond(json!({"reservationId": format!("r-0a9b8c7d6e5f4031{i}"), "ownerId": ACCOUNT, "instancesSet": {"items": [{"instanceId": inst, "imageId": "ami-0f9e8d7c6b5a43210", "instanceType": "c5.4xlarge"}]}}));
    }
    sc.call(&mut s, "ec2", "DescribeInstances", json!({"instancesSet": {}, "filterSet": {}}));
    sc.tags.clear();
}

/// INC-09 console sign-ins without MFA through planted passwords, INC-10 use of the access key
/// created for alice, INC-11 audit-readonly assumed from the attacker's account.
fn persistence_used(sc: &mut Sc, d: i64) {
    sc.tags = vec!["INC-09"];
    let mut s = console_sess(sc, "support-ops", IP_ATTACKER_2, at(d + 1, 10, 12), false);
    s.actor.user_agent = UA_CONSOLE.into();
    sc.call(&mut s, "iam", "ListUsers", json!(null));
    sc.call(&mut s, "secretsmanager", "ListSecrets", json!({"maxResults": 100}));
    sc.s3_bucket(&mut s, "ListBuckets", None, json!({}));
    let mut s = console_sess(sc, "bob", IP_ATTACKER_2, at(d + 2, 2, 30), false);
    sc.s3_bucket(&mut s, "ListBuckets", None, json!({}));
    sc.call(&mut s, "dynamodb", "ListTables", json!(null));
    sc.call(&mut s, "ec2", "DescribeInstances", json!({"instancesSet": {}, "filterSet": {}}));

    sc.tags = vec!["INC-10"];
    let key = identity::user_key("alice", 1);
    let mut s = Sess {
        actor: Actor::new(identity::iam_user(ACCOUNT, "alice", &key), ACCOUNT, IP_ATTACKER_2, UA_KALI),
        principal: "user/alice".into(),
        region: US,
        t: at(d + 2, 4, 10),
    };
    sc.call(&mut s, "sts", "GetCallerIdentity", json!(null));
    sc.s3_bucket(&mut s, "ListBuckets", None, json!({}));
    sc.call(&mut s, "ec2", "DescribeInstances", json!({"instancesSet": {}, "filterSet": {}}));
    sc.call(&mut s, "iam", "ListUsers", json!(null));

    sc.tags = vec!["INC-11"];
    let t = at(d + 3, 5, 20);
    let caller_id = format!("{}:x", identity::role_id("attacker-ops"));
    let mut caller = Sess {
        actor: Actor::new(identity::aws_account(&caller_id, ATTACKER_ACCOUNT), ACCOUNT, IP_ATTACKER_ACCT, UA_KALI),
        principal: format!("account/{ATTACKER_ACCOUNT}"),
        region: US,
        t,
    };
    let rs = sc.role_session("audit-readonly", "/", "x", t);
    sc.assume_role(&mut caller, &rs, true);
    let mut s = Sess {
        actor: Actor::new(rs.identity(), ACCOUNT, IP_ATTACKER_ACCT, UA_KALI),
        principal: "role/audit-readonly".into(),
        region: US,
        t: t + 5,
    };
    sc.call(&mut s, "iam", "ListRoles", json!(null));
    sc.s3_bucket(&mut s, "ListBuckets", None, json!({}));
    sc.call(&mut s, "ec2", "DescribeInstances", json!({"instancesSet": {}, "filterSet": {}}));
    sc.call(&mut s, "secretsmanager", "ListSecrets", json!(null));
    sc.tags.clear();
}

/// INC-15: one address tries 14 user names in 25 minutes (2026-10-11).
fn password_spray(sc: &mut Sc, d: i64) {
    sc.tags = vec!["INC-15"];
    let names: &[(&str, bool)] = &[
        ("admin", false),
        ("alice", true),
        ("administrator", false),
        ("bob", true),
        ("test", false),
        ("carol", true),
        ("devops", false),
        ("dave", true),
        ("backup", false),
        ("svc-backup", true),
        ("deploy", false),
        ("jenkins", false),
        ("support", false),
        ("ubuntu", false),
        ("alice", true),
        ("admin", false),
    ];
    let mut t = at(d, 21, 2);
    for (name, exists) in names {
        t += sc.rng.range(40, 110);
        let label = if *exists { format!("user/{name}") } else { format!("unknown-user/{name}") };
        sc.console_login(&label, identity::user_signin(ACCOUNT, name, *exists), IP_SPRAY, UA_SPRAY, t, false, false);
    }
    sc.tags.clear();
}

/// INC-16: instance A's role credentials used from outside AWS (2026-10-12).
fn ec2_credentials_outside(sc: &mut Sc, d: i64) {
    sc.tags = vec!["INC-16"];
    let rs: RoleSession = sc.day_sessions[d as usize][0].clone();
    let mut s = Sess {
        actor: Actor::new(rs.identity(), ACCOUNT, IP_EC2_THIEF, UA_THIEF),
        principal: "role/app-server-role".into(),
        region: US,
        t: at(d, 4, 15),
    };
    sc.call(&mut s, "sts", "GetCallerIdentity", json!(null));
    sc.denied(
        &mut s,
        "s3",
        "ListBuckets",
        json!({"Host": format!("s3.{US}.amazonaws.com")}),
        "s3:ListAllMyBuckets",
        "arn:aws:s3:::",
        Denial::NoIdentityAllow,
    );
    sc.s3_list(&mut s, DATA_BUCKET, "reports/2026/09/");
    for day in 1..=12 {
        sc.s3_object(&mut s, "GetObject", DATA_BUCKET, &format!("reports/2026/09/{day:02}/daily-customers.csv"));
    }
    sc.call(&mut s, "ssm", "GetParameters", json!({"names": SSM_PARAMS, "withDecryption": true}));
    let scan = sc.denied(
        &mut s,
        "dynamodb",
        "Scan",
        json!({"tableName": "customers"}),
        "dynamodb:Scan",
        &table_arn(US, "customers"),
        Denial::NoIdentityAllow,
    );
    scan.data(identity::one_resource(ACCOUNT, "AWS::DynamoDB::Table", table_arn(US, "customers")));
    sc.denied(
        &mut s,
        "secretsmanager",
        "ListSecrets",
        json!(null),
        "secretsmanager:ListSecrets",
        "*",
        Denial::NoIdentityAllow,
    );
    sc.tags.clear();
}

/// INC-17 root activity during the response, INC-18 alice restores DeveloperAccess v2 (2026-10-13).
fn root_response(sc: &mut Sc, d: i64) {
    sc.tags = vec!["INC-17"];
    let t = at(d, 14, 5);
    sc.console_login("root", identity::root_signin(ACCOUNT), IP_OWNER, UA_BROWSER, t, true, true);
    let key = sc.session_key();
    let mut actor = Actor::new(identity::root_console(ACCOUNT, &key, t, true), ACCOUNT, IP_OWNER, UA_CONSOLE);
    actor.console = true;
    let mut s = Sess { actor, principal: "root".into(), region: US, t: t + 10 };
    sc.call(&mut s, "iam", "GetAccountSummary", json!(null));
    sc.call(&mut s, "iam", "ListUsers", json!(null));
    sc.call(&mut s, "iam", "ListAccessKeys", json!({"userName": "alice"}));
    sc.call(
        &mut s,
        "iam",
        "UpdateAccessKey",
        json!({"userName": "alice", "accessKeyId": identity::user_key("alice", 1), "status": "Inactive"}),
    );
    sc.call(&mut s, "cloudtrail", "DescribeTrails", json!(null));
    sc.call(
        &mut s,
        "guardduty",
        "CreateDetector",
        json!({"enable": true, "findingPublishingFrequency": "FIFTEEN_MINUTES"}),
    )
    .respond(json!({"detectorId": "7d3e9a1b2c4f5e6d7a8b9c0d1e2f3a4b"}));
    sc.call(&mut s, "config", "StartConfigurationRecorder", json!({"configurationRecorderName": "default"}));

    sc.tags = vec!["INC-18"];
    let mut s = console_sess(sc, "alice", IP_ALICE, at(d, 14, 40), true);
    let policy = format!("arn:aws:iam::{ACCOUNT}:policy/DeveloperAccess");
    sc.call(&mut s, "iam", "ListPolicyVersions", json!({"policyArn": policy}));
    sc.call(&mut s, "iam", "SetDefaultPolicyVersion", json!({"policyArn": policy, "versionId": "v2"}));
    sc.call(&mut s, "iam", "GetPolicyVersion", json!({"policyArn": policy, "versionId": "v2"}));
    sc.tags.clear();
}
