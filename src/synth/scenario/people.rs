//! People behind shared roles (issue 13): the `PlatformOps` permission set of IAM Identity Center
//! used by five people (three only read, two write), a role chain (kim's SSO session assumes
//! `release-deployer`), a GitHub Actions workflow federated by OIDC into `gha-deploy`, and the
//! SSE-KMS bucket `examplecorp-secure` whose object calls make S3 use the KMS key as the caller.
//! Kept apart from the other scenario files so that additions to the sample merge cleanly.

use serde_json::{json, Value};

use super::baseline::{at, weekday};
use super::cast::*;
use super::{Sc, Sess};
use crate::synth::identity::{self, Actor};
use crate::synth::record::{fmt_expiration, Resource, UserIdentity};

pub const OPS_ROLE: &str = "AWSReservedSSO_PlatformOps_fedcba9876543210";
pub const RELEASE_ROLE: &str = "release-deployer";
pub const GHA_ROLE: &str = "gha-deploy";
pub const SECURE_BUCKET: &str = "examplecorp-secure";
pub const SECURE_KEY_ID: &str = "5e1c0a9b-3d7f-4b2e-8c6a-1f0e9d8c7b6a";
pub const GHA_SUBJECT: &str = "repo:examplecorp/app:ref:refs/heads/main";
const GHA_PROVIDER: &str = "token.actions.githubusercontent.com";
const IP_OPS: &str = "203.0.113.60";
const IP_GHA: &str = "4.175.114.51";
const UA_GHA: &str = "aws-sdk-js/3.637.0 ua/2.0 os/linux#6.5.0-1025-azure lang/js md/nodejs#20.17.0 api/s3#3.637.0";

/// Who uses PlatformOps: the first three only read.
pub const OPS_PEOPLE: &[&str] =
    &["gina@example.com", "hugo@example.com", "ines@example.com", "jon@example.com", "kim@example.com"];

pub fn secure_key_arn() -> String {
    format!("arn:aws:kms:{US}:{ACCOUNT}:key/{SECURE_KEY_ID}")
}

pub fn generate(sc: &mut Sc) {
    for d in 0..DAYS {
        if matches!(weekday(d), chrono::Weekday::Sat | chrono::Weekday::Sun) {
            continue;
        }
        for (i, who) in OPS_PEOPLE.iter().enumerate() {
            // Each person on about one weekday in three, on their own days.
            if (d + i as i64) % 3 != 0 {
                continue;
            }
            ops_day(sc, d, i, who);
        }
        if d % 7 == 2 {
            github_deploy(sc, d);
        }
    }
}

/// One Identity Center sign-in (AssumeRoleWithSAML) and the session's calls.
fn ops_day(sc: &mut Sc, d: i64, i: usize, who: &'static str) {
    let t = at(d, 10 + i as i64, 5 + sc.rng.range(0, 20));
    let rs = sc.role_session(OPS_ROLE, SSO_PATH, who, t);
    let mut saml = Sess {
        actor: Actor::new(identity::saml_user(who, SSO_PROVIDER_HASH), ACCOUNT, IP_OPS, UA_BROWSER),
        principal: format!("saml/{who}"),
        region: US,
        t: t - 30,
    };
    let provider = format!("arn:aws:iam::{ACCOUNT}:saml-provider/{SSO_PROVIDER}");
    let rec = sc.call(&mut saml, "sts", "AssumeRoleWithSAML", json!({"sAMLAssertionID": format!("_{}", rs.key.to_lowercase()), "roleSessionName": who, "roleArn": rs.role_arn(), "principalArn": provider, "durationSeconds": 28800}));
    rec.respond(json!({
        "credentials": {"accessKeyId": rs.key, "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLETOKEN", "expiration": fmt_expiration(t + 8 * HOUR)},
        "assumedRoleUser": {"assumedRoleId": rs.assumed_id(), "arn": rs.assumed_arn()},
        "subject": who, "subjectType": "persistent", "issuer": "https://portal.sso.us-east-1.amazonaws.com/saml/assertion/MDEyMzQ1Njc4OWFi", "audience": "https://signin.aws.amazon.com/saml", "nameQualifier": "SbdGOnUkh1i4+EVkSjO1o/6gV6A=",
    }))
    .with_resources(vec![
        Resource { account_id: Some(ACCOUNT.into()), kind: "AWS::IAM::Role", arn: rs.role_arn() },
        Resource { account_id: Some(ACCOUNT.into()), kind: "AWS::IAM::SAMLProvider", arn: provider },
    ]);
    rec.read_only = false;
    let mut actor = Actor::new(rs.identity(), ACCOUNT, IP_OPS, UA_CONSOLE);
    actor.console = true;
    let mut s = Sess { actor, principal: format!("role/{OPS_ROLE} ({who})"), region: US, t: t + 3 };
    sc.call(&mut s, "ec2", "DescribeInstances", json!({"instancesSet": {}, "filterSet": {}}));
    sc.call(&mut s, "monitoring", "DescribeAlarms", json!({"maxRecords": 100}));
    sc.s3_bucket(&mut s, "ListBuckets", None, json!({}));
    match who {
        "jon@example.com" => {
            sc.call(
                &mut s,
                "ec2",
                "RebootInstances",
                json!({"instancesSet": {"items": [{"instanceId": DEV_INSTANCE}]}}),
            );
        }
        "kim@example.com" => {
            secure_object(sc, &mut s, "GetObject", "runbooks/release.md");
            release(sc, &mut s, d);
        }
        _ => {}
    }
}

/// kim's session assumes `release-deployer` (a role chain) and uploads the release bundle.
fn release(sc: &mut Sc, kim: &mut Sess, d: i64) {
    let session = format!("kim-release-{d}");
    let chained = sc.role_session(RELEASE_ROLE, "/", &session, kim.t + 20);
    sc.assume_role(kim, &chained, false);
    let mut s = Sess {
        actor: Actor::new(chained.identity(), ACCOUNT, IP_OPS, UA_BOB),
        principal: format!("role/{RELEASE_ROLE}"),
        region: US,
        t: chained.created + 2,
    };
    secure_object(sc, &mut s, "PutObject", &format!("releases/2026/{d:02}/bundle.zip"));
    secure_object(sc, &mut s, "GetObject", "releases/manifest.json");
}

/// A GitHub Actions run: AssumeRoleWithWebIdentity into `gha-deploy`, then it reads a bundle.
fn github_deploy(sc: &mut Sc, d: i64) {
    let t = at(d, 15, 10 + sc.rng.range(0, 30));
    let run = 9_000_000 + d * 37;
    let session = format!("GitHubActions-{run}");
    let rs = sc.role_session(GHA_ROLE, "/", &session, t);
    let provider = format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{GHA_PROVIDER}");
    let who = UserIdentity {
        principal_id: Some(format!("{provider}:sts.amazonaws.com:{GHA_SUBJECT}")),
        user_name: Some(GHA_SUBJECT.into()),
        identity_provider: Some(provider.clone()),
        ..UserIdentity::bare("WebIdentityUser")
    };
    let mut oidc = Sess {
        actor: Actor::new(who, ACCOUNT, IP_GHA, UA_GHA),
        principal: format!("web/{GHA_SUBJECT}"),
        region: US,
        t: t - 40,
    };
    let rec = sc.call(
        &mut oidc,
        "sts",
        "AssumeRoleWithWebIdentity",
        json!({"roleArn": rs.role_arn(), "roleSessionName": session, "durationSeconds": 3600}),
    );
    rec.respond(json!({
        "credentials": {"accessKeyId": rs.key, "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLETOKEN", "expiration": fmt_expiration(t + HOUR)},
        "assumedRoleUser": {"assumedRoleId": rs.assumed_id(), "arn": rs.assumed_arn()},
        "subjectFromWebIdentityToken": GHA_SUBJECT, "provider": provider, "audience": "sts.amazonaws.com",
    }))
    .with_resources(identity::one_resource(ACCOUNT, "AWS::IAM::Role", rs.role_arn()));
    rec.read_only = false;
    let mut s = Sess {
        actor: Actor::new(rs.identity(), ACCOUNT, IP_GHA, UA_GHA),
        principal: format!("role/{GHA_ROLE}"),
        region: US,
        t: t + 2,
    };
    secure_object(sc, &mut s, "GetObject", "releases/manifest.json");
}

/// An object call on the SSE-KMS bucket: S3 names the key it used in the response.
fn secure_object(sc: &mut Sc, s: &mut Sess, name: &str, key: &str) {
    let kms = json!({"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": secure_key_arn(), "x-amz-server-side-encryption-bucket-key-enabled": false});
    let rec = sc.s3_object(s, name, SECURE_BUCKET, key);
    if name == "PutObject" {
        rec.request_parameters["x-amz-server-side-encryption"] = json!("aws:kms");
        rec.request_parameters["x-amz-server-side-encryption-aws-kms-key-id"] = json!(secure_key_arn());
    }
    rec.respond(kms);
}

/// The roles of this part, for the authorization details (see `iam.rs`).
pub fn iam_roles(role: &dyn Fn(&str, &str, Value, Vec<(&str, Value)>, Vec<Value>) -> Value) -> Vec<Value> {
    const V: &str = "2012-10-17";
    let secure = format!("arn:aws:s3:::{SECURE_BUCKET}");
    let sso_trust = json!({"Version": V, "Statement": [{"Effect": "Allow", "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:saml-provider/{SSO_PROVIDER}")}, "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"], "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]});
    let ops = json!({"Version": V, "Statement": [
        {"Sid": "Operate", "Effect": "Allow", "Action": ["ec2:RebootInstances", "ec2:StartInstances", "ec2:StopInstances"], "Resource": "*"},
        {"Sid": "Runbooks", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": format!("{secure}/*")},
        {"Sid": "Release", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": format!("arn:aws:iam::{ACCOUNT}:role/{RELEASE_ROLE}")},
        {"Sid": "Key", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": secure_key_arn()}]});
    let release_trust = json!({"Version": V, "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:role{SSO_PATH}{OPS_ROLE}")}, "Action": "sts:AssumeRole"}]});
    let release = json!({"Version": V, "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": format!("{secure}/releases/*")},
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": secure_key_arn()}]});
    let gha_trust = json!({"Version": V, "Statement": [{"Effect": "Allow", "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{GHA_PROVIDER}")}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {format!("{GHA_PROVIDER}:aud"): "sts.amazonaws.com", format!("{GHA_PROVIDER}:sub"): GHA_SUBJECT}}}]});
    let gha = json!({"Version": V, "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": format!("{secure}/releases/*")},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": secure_key_arn()}]});
    vec![
        role(
            OPS_ROLE,
            SSO_PATH,
            sso_trust,
            vec![("AwsSSOInlinePolicy", ops)],
            vec![json!({"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})],
        ),
        role(RELEASE_ROLE, "/", release_trust, vec![("release-bundles", release)], vec![]),
        role(GHA_ROLE, "/", gha_trust, vec![("read-releases", gha)], vec![]),
    ]
}
