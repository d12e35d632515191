//! Which IAM actions count as high-risk.
//!
//! Rule (an action is high-risk if any holds):
//! 1. its access level is `Permissions management` (it can change who may do what: policies,
//!    grants, resource policies, ACLs);
//! 2. it is in [`CURATED`]: credential access (minting keys, passwords, sessions, reading secrets,
//!    decrypting), logging and detection tampering, and destructive actions whose names do not start
//!    with `Delete`/`Terminate` (e.g. `kms:ScheduleKeyDeletion`);
//! 3. it is a `Write` action named `Delete*`, `BatchDelete*`, `Terminate*`, `Purge*` or `Empty*` on
//!    a data store service ([`DATA_STORE_PREFIXES`]): data destruction.
//!
//! Every curated name is checked against the catalog by a unit test.

use super::{AccessLevel, ActionInfo};

/// Hand-picked high-risk actions (canonical names).
pub const CURATED: &[&str] = &[
    // Credential access / minting.
    "iam:CreateAccessKey",
    "iam:UpdateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:CreateServiceSpecificCredential",
    "iam:ResetServiceSpecificCredential",
    "sts:AssumeRole",
    "sts:AssumeRoot",
    "sts:GetFederationToken",
    "secretsmanager:GetSecretValue",
    "secretsmanager:BatchGetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "ssm:GetParameterHistory",
    "ssm:StartSession",
    "ssm:SendCommand",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "ec2-instance-connect:SendSSHPublicKey",
    "ec2-instance-connect:SendSerialConsoleSSHPublicKey",
    "ec2:GetPasswordData",
    "ec2:CreateKeyPair",
    "ecr:GetAuthorizationToken",
    "redshift:GetClusterCredentials",
    "rds-db:connect",
    "cognito-idp:AdminSetUserPassword",
    "cognito-idp:AdminInitiateAuth",
    // Logging, monitoring and detection tampering.
    "cloudtrail:StopLogging",
    "cloudtrail:DeleteTrail",
    "cloudtrail:UpdateTrail",
    "cloudtrail:PutEventSelectors",
    "cloudtrail:DeleteEventDataStore",
    "cloudtrail:StopEventDataStoreIngestion",
    "config:StopConfigurationRecorder",
    "config:DeleteConfigurationRecorder",
    "config:DeleteDeliveryChannel",
    "guardduty:DeleteDetector",
    "guardduty:UpdateDetector",
    "guardduty:DisassociateFromMasterAccount",
    "guardduty:DisassociateFromAdministratorAccount",
    "guardduty:CreateFilter",
    "guardduty:UpdateIPSet",
    "guardduty:DeletePublishingDestination",
    "securityhub:DisableSecurityHub",
    "securityhub:BatchDisableStandards",
    "logs:DeleteLogGroup",
    "logs:DeleteLogStream",
    "logs:PutRetentionPolicy",
    "logs:DeleteSubscriptionFilter",
    "ec2:DeleteFlowLogs",
    "s3:PutBucketLogging",
    "macie2:DisableMacie",
    "access-analyzer:DeleteAnalyzer",
    "detective:DeleteGraph",
    "cloudwatch:DeleteAlarms",
    "cloudwatch:DisableAlarmActions",
    "events:DisableRule",
    "events:DeleteRule",
    "inspector2:Disable",
    "organizations:LeaveOrganization",
    "firehose:DeleteDeliveryStream",
    "wafv2:DeleteLoggingConfiguration",
    // Destruction not caught by the name rule.
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "kms:DeleteImportedKeyMaterial",
    "s3:PutLifecycleConfiguration",
    "sqs:PurgeQueue",
];

/// Services that hold customer data; their `Delete*`/`Terminate*` writes destroy data.
pub const DATA_STORE_PREFIXES: &[&str] = &[
    "s3",
    "s3express",
    "s3-outposts",
    "s3tables",
    "dynamodb",
    "rds",
    "redshift",
    "redshift-serverless",
    "ec2",
    "ebs",
    "elasticfilesystem",
    "fsx",
    "glacier",
    "backup",
    "elasticache",
    "memorydb",
    "dax",
    "cassandra",
    "es",
    "aoss",
    "timestream",
    "kinesis",
    "sqs",
    "secretsmanager",
    "ssm",
    "kms",
    "logs",
    "ecr",
    "codecommit",
    "glue",
    "athena",
    "lightsail",
    "neptune-db",
    "qldb",
    "docdb-elastic",
];

const DESTRUCTIVE_PREFIXES: &[&str] = &["Delete", "BatchDelete", "Terminate", "Purge", "Empty"];

pub(super) fn is_high_risk(a: &ActionInfo) -> bool {
    if a.access_level == AccessLevel::PermissionsManagement {
        return true;
    }
    if CURATED.iter().any(|c| c.split_once(':') == Some((a.service.as_str(), a.name.as_str()))) {
        return true;
    }
    a.access_level == AccessLevel::Write
        && DATA_STORE_PREFIXES.contains(&a.service.as_str())
        && DESTRUCTIVE_PREFIXES.iter().any(|p| a.name.starts_with(p))
}
