//! Techniques added for issue 16 (2026-10-14), each at least once, so that `detect` is checked
//! end to end on them: bulk credential harvesting (INC-19), backdoors and exposure (INC-20),
//! LLM-jacking (INC-21), ransomware and mining (INC-22), and an instance's credentials used and
//! enumerated from elsewhere (INC-23). Kept apart from `incidents.rs` so that other additions to
//! the sample merge cleanly.

use serde_json::json;

use super::baseline::at;
use super::cast::*;
use super::{Sc, Sess};
use crate::synth::identity::{self, Actor, RoleSession};

/// The attacker's address for this day (never seen before).
const IP_T: &str = "23.129.64.140";
/// A bucket no other incident touches (the ransomware's target).
const ARCHIVE_BUCKET: &str = "examplecorp-archive";
const IP_INSTANCE_THIEF: &str = "91.219.236.18";
const FOREIGN: &str = ATTACKER_ACCOUNT;

pub fn generate(sc: &mut Sc) {
    let d = INCIDENT_DAY + 6;
    let admin = admin_session(sc, at(d, 1, 5));
    credential_harvest(sc, &admin);
    backdoors(sc, &admin, d);
    llm_jacking(sc, &admin);
    ransomware(sc, &admin);
    instance_credentials(sc, d);
}

/// The admin role, entered with the organisation key stolen in INC-05.
fn admin_session(sc: &mut Sc, t: i64) -> Sess {
    let rs = sc.role_session("OrganizationAccountAccessRole", "/", "org-automation", t);
    Sess {
        actor: Actor::new(rs.identity(), ACCOUNT, IP_T, UA_KALI),
        principal: "role/OrganizationAccountAccessRole".into(),
        region: US,
        t,
    }
}

/// INC-19: secrets by filter, all SSM parameters decrypted, user data, Windows passwords, SSH keys
/// pushed through EC2 Instance Connect and the serial console.
fn credential_harvest(sc: &mut Sc, admin: &Sess) {
    let mut s = admin.clone();
    sc.tags = vec!["INC-19"];
    sc.call(
        &mut s,
        "secretsmanager",
        "BatchGetSecretValue",
        json!({"filters": [{"key": "name", "values": ["prod"]}], "maxResults": 20}),
    );
    sc.call(&mut s, "ssm", "GetParametersByPath", json!({"path": "/", "recursive": true, "withDecryption": true}));
    sc.call(&mut s, "ec2", "DescribeInstanceAttribute", json!({"instanceId": DEV_INSTANCE, "attribute": "userData"}));
    sc.call(&mut s, "ec2", "GetPasswordData", json!({"instanceId": BOB_INSTANCE}));
    for name in ["SendSSHPublicKey", "SendSerialConsoleSSHPublicKey"] {
        let mut params = json!({"instanceId": INSTANCE_B, "instanceOSUser": "ec2-user", "sSHPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTheSampleOnly attacker"});
        if name == "SendSerialConsoleSSHPublicKey" {
            params["serialPort"] = json!(0);
        }
        sc.call(&mut s, "ec2-instance-connect", name, params)
            .respond(json!({"requestId": "0f6c7c6e-2b1d-4c55-9a37-5d2c8f1e0a11", "success": true}));
    }
    sc.tags.clear();
}

/// INC-20: a Lambda function invocable by anyone and given a layer from the attacker's account,
/// IAM Roles Anywhere trusting the attacker's CA, a bucket policy granting the attacker's
/// account, RDP and SSH opened to odd world ranges, and federation tokens from dave's key.
fn backdoors(sc: &mut Sc, admin: &Sess, d: i64) {
    let mut s = admin.clone();
    s.t += 20 * MIN;
    sc.tags = vec!["INC-20"];
    sc.call(&mut s, "lambda", "AddPermission20150331v2", json!({"functionName": "app-orders", "statementId": "public-invoke", "action": "lambda:InvokeFunction", "principal": "*"}));
    let layer = format!("arn:aws:lambda:{US}:{FOREIGN}:layer:telemetry-ext:7");
    sc.call(
        &mut s,
        "lambda",
        "UpdateFunctionConfiguration20150331v2",
        json!({"functionName": "app-orders", "layers": [layer]}),
    );
    sc.call(&mut s, "rolesanywhere", "CreateTrustAnchor", json!({"name": "partner-ca", "enabled": true, "source": {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": "-----BEGIN CERTIFICATE-----(sample)-----END CERTIFICATE-----"}}}));
    sc.call(&mut s, "rolesanywhere", "CreateProfile", json!({"name": "partner", "enabled": true, "roleArns": [format!("arn:aws:iam::{ACCOUNT}:role/OrganizationAccountAccessRole")]}));
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Replication", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{FOREIGN}:root")}, "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [format!("arn:aws:s3:::{FINANCE_BUCKET}"), format!("arn:aws:s3:::{FINANCE_BUCKET}/*")]}]});
    sc.s3_bucket(&mut s, "PutBucketPolicy", Some(FINANCE_BUCKET), json!({"policy": "", "bucketPolicy": policy}));
    sc.call(&mut s, "ec2", "AuthorizeSecurityGroupIngress", json!({"groupId": "sg-0a1b2c3d4e5f60002", "ipPermissions": {"items": [
        {"ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389, "groups": {}, "ipRanges": {"items": [{"cidrIp": "0.0.0.0/1"}, {"cidrIp": "128.0.0.0/1"}]}, "ipv6Ranges": {}, "prefixListIds": {}},
        {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "groups": {}, "ipRanges": {}, "ipv6Ranges": {"items": [{"cidrIpv6": "::/0"}]}, "prefixListIds": {}}]}}))
        .respond(json!({"_return": true}));
    sc.tags.clear();

    sc.tags = vec!["INC-20"];
    let key = identity::user_key("dave", 1);
    let mut dave = Sess {
        actor: Actor::new(identity::iam_user(ACCOUNT, "dave", &key), ACCOUNT, IP_ATTACKER, UA_KALI),
        principal: "user/dave".into(),
        region: US,
        t: at(d, 1, 50),
    };
    sc.call(&mut dave, "sts", "GetFederationToken", json!({"name": "svc-sync", "durationSeconds": 129600, "policyArns": [{"arn": "arn:aws:iam::aws:policy/AdministratorAccess"}]}));
    sc.tags.clear();
}

/// INC-21: model access enabled and Claude invoked by a role that never used Bedrock.
fn llm_jacking(sc: &mut Sc, admin: &Sess) {
    let mut s = admin.clone();
    s.t += 40 * MIN;
    sc.tags = vec!["INC-21"];
    let model = "anthropic.claude-3-5-sonnet-20240620-v1:0";
    sc.call(&mut s, "bedrock", "GetFoundationModelAvailability", json!({"modelId": model}));
    sc.call(&mut s, "bedrock", "PutUseCaseForModelAccess", json!({"formData": "HIDDEN_DUE_TO_SECURITY_REASONS"}));
    sc.call(&mut s, "bedrock", "PutFoundationModelEntitlement", json!({"modelId": model}));
    for name in ["InvokeModel", "InvokeModel", "Converse", "InvokeModelWithResponseStream"] {
        sc.call(&mut s, "bedrock", name, json!({"modelId": model}));
    }
    sc.tags.clear();
}

/// INC-22: GPU instances, objects rewritten with a customer key, mass deletion, the KMS key
/// disabled and scheduled for deletion.
fn ransomware(sc: &mut Sc, admin: &Sess) {
    let mut s = admin.clone();
    s.t += 60 * MIN;
    sc.tags = vec!["INC-22"];
    sc.call(&mut s, "ec2", "RunInstances", json!({"instancesSet": {"items": [{"imageId": "ami-0f9e8d7c6b5a43210", "minCount": 2, "maxCount": 2}]}, "instanceType": "p4d.24xlarge", "blockDeviceMapping": {}, "monitoring": {"enabled": false}, "disableApiTermination": false}));
    for i in 1..=6 {
        let k = format!("archive/2026/10/customers-{i:02}.csv");
        let params = json!({"bucketName": ARCHIVE_BUCKET, "Host": format!("{ARCHIVE_BUCKET}.s3.{US}.amazonaws.com"), "key": k,
            "x-amz-copy-source": format!("{ARCHIVE_BUCKET}/{k}"), "x-amz-server-side-encryption-customer-algorithm": "AES256"});
        sc.call(&mut s, "s3", "CopyObject", params).data(identity::s3_object_resources(ACCOUNT, ARCHIVE_BUCKET, &k));
    }
    for _ in 0..4 {
        let params = json!({"bucketName": ARCHIVE_BUCKET, "Host": format!("{ARCHIVE_BUCKET}.s3.{US}.amazonaws.com"), "delete": ""});
        sc.call(&mut s, "s3", "DeleteObjects", params).data(identity::s3_bucket_resources(ACCOUNT, ARCHIVE_BUCKET));
    }
    sc.call(&mut s, "kms", "DisableKey", json!({"keyId": KMS_KEY_ID}));
    sc.call(&mut s, "kms", "ScheduleKeyDeletion", json!({"keyId": KMS_KEY_ID, "pendingWindowInDays": 7}))
        .with_resources(identity::one_resource(ACCOUNT, "AWS::KMS::Key", kms_key_arn()));
    sc.tags.clear();
}

/// INC-23: instance B's role credentials (ec2RoleDelivery 2.0) used from a VPS to enumerate the
/// account across services.
fn instance_credentials(sc: &mut Sc, d: i64) {
    sc.tags = vec!["INC-23"];
    let rs: RoleSession = sc.day_sessions[d as usize][1].clone();
    let mut s = Sess {
        actor: Actor::new(rs.identity(), ACCOUNT, IP_INSTANCE_THIEF, UA_THIEF),
        principal: "role/app-server-role".into(),
        region: US,
        t: at(d, 5, 40),
    };
    let calls: &[(&str, &str, serde_json::Value)] = &[
        ("sts", "GetCallerIdentity", json!(null)),
        ("iam", "ListRoles", json!(null)),
        ("iam", "ListUsers", json!(null)),
        ("iam", "GetAccountAuthorizationDetails", json!({"filter": ["Role", "User"]})),
        ("ec2", "DescribeInstances", json!({"instancesSet": {}, "filterSet": {}})),
        ("ec2", "DescribeSecurityGroups", json!({"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}})),
        ("ec2", "DescribeVpcs", json!({"vpcSet": {}, "filterSet": {}})),
        (
            "ec2",
            "DescribeSnapshots",
            json!({"snapshotSet": {}, "ownersSet": {"items": [{"owner": "self"}]}, "filterSet": {}}),
        ),
        ("lambda", "ListFunctions20150331", json!(null)),
        ("rds", "DescribeDBInstances", json!(null)),
        ("rds", "DescribeDBSnapshots", json!(null)),
        ("dynamodb", "ListTables", json!(null)),
        ("secretsmanager", "ListSecrets", json!(null)),
        ("ssm", "DescribeParameters", json!(null)),
        ("kms", "ListKeys", json!(null)),
        ("sns", "ListTopics", json!(null)),
        ("sqs", "ListQueues", json!(null)),
        ("cloudtrail", "DescribeTrails", json!(null)),
    ];
    // The role may do none of this: everything but GetCallerIdentity is refused.
    for (svc, name, params) in calls {
        if *name == "GetCallerIdentity" {
            sc.call(&mut s, svc, name, params.clone());
        } else {
            let action = format!("{svc}:{}", name.trim_end_matches("20150331"));
            sc.denied(&mut s, svc, name, params.clone(), &action, "*", super::Denial::NoIdentityAllow);
        }
    }
    sc.tags.clear();
}
