//! The fictional account "Example Corp": ids, addresses, clients and resources shared by the
//! scenario's events and its IAM files.

pub const ACCOUNT: &str = "111122223333";
/// The organization's management account (trusted by OrganizationAccountAccessRole).
pub const MGMT_ACCOUNT: &str = "123456789012";
/// The security team's audit account (trusted by audit-readonly).
pub const AUDIT_ACCOUNT: &str = "444455556666";
/// The attacker's account, added to audit-readonly's trust policy during the incident.
pub const ATTACKER_ACCOUNT: &str = "999988887777";
pub const ORG_ID: &str = "o-exampleorg1";
pub const US: &str = "us-east-1";
pub const EU: &str = "eu-west-1";
pub const AP: &str = "ap-southeast-1";

/// 2026-09-01T00:00:00Z.
pub const START: i64 = 1_788_220_800;
pub const DAYS: i64 = 45;
/// Day index of 2026-10-08, the first day of the incident phase.
pub const INCIDENT_DAY: i64 = 37;
pub const DAY: i64 = 86_400;
pub const HOUR: i64 = 3_600;
pub const MIN: i64 = 60;

pub const TRAIL: &str = "management-events";
pub const DATA_TRAIL: &str = "examplecorp-data-events";
pub const TRAIL_BUCKET: &str = "examplecorp-cloudtrail-logs";

pub const DATA_BUCKET: &str = "examplecorp-data";
pub const DEV_BUCKET: &str = "examplecorp-dev";
pub const ARTIFACTS_BUCKET: &str = "examplecorp-artifacts";
pub const ATHENA_BUCKET: &str = "examplecorp-athena-results";
pub const FINANCE_BUCKET: &str = "examplecorp-finance";
pub const BACKUP_BUCKET: &str = "examplecorp-backups";
pub const EXPORTS_BUCKET: &str = "examplecorp-exports";
pub const EU_BUCKET: &str = "examplecorp-eu-data";

pub const KMS_KEY_ID: &str = "0f2a4c6e-8b1d-4e3f-9a5b-7c9d1e3f5a7b";
pub const QUEUE: &str = "orders-queue";

pub const INSTANCE_A: &str = "i-0abc1234def567890";
pub const INSTANCE_B: &str = "i-0abc1234def567891";
pub const DEV_INSTANCE: &str = "i-0de55aa66bb77cc88";
/// bob's own test instance, tagged owner=bob (the developers' conditional grant).
pub const BOB_INSTANCE: &str = "i-0b0b5eed0b0b5eed0";
pub const INSTANCE_A_IP: &str = "10.0.1.23";
pub const INSTANCE_B_IP: &str = "10.0.2.57";
pub const S3_VPCE: &str = "vpce-0a1b2c3d4e5f60718";

pub const SSO_ROLE: &str = "AWSReservedSSO_DeveloperAccess_0123456789abcdef";
pub const SSO_PATH: &str = "/aws-reserved/sso.amazonaws.com/";
pub const SSO_PROVIDER: &str = "AWSSSO_0123abcd4567ef89_DO_NOT_DELETE";
pub const SSO_PROVIDER_HASH: &str = "Q0OFKpgQDD6ljCiiRehWAhStXxA=";
pub const CONFIG_SLR: &str = "AWSServiceRoleForConfig";
pub const CONFIG_SLR_PATH: &str = "/aws-service-role/config.amazonaws.com/";

// Addresses (documentation ranges for people, RFC 1918 inside the VPC).
pub const IP_ALICE: &str = "203.0.113.10";
pub const IP_BOB_OFFICE: &str = "203.0.113.25";
pub const IP_BOB_HOME: &str = "198.51.100.7";
pub const IP_DANA: &str = "203.0.113.31";
pub const IP_ERIK: &str = "203.0.113.32";
pub const IP_MGMT_ADMIN: &str = "203.0.113.50";
pub const IP_CAROL: &str = "198.51.100.44";
pub const IP_DAVE: &str = "198.51.100.71";
pub const IP_OWNER: &str = "198.51.100.23";
pub const IP_CI: &str = "192.0.2.15";
pub const IP_AUDIT: &str = "54.240.197.10";
pub const IP_ATTACKER: &str = "185.220.101.34";
pub const IP_ATTACKER_2: &str = "185.220.101.77";
pub const IP_ATTACKER_ACCT: &str = "185.220.101.91";
pub const IP_SPRAY: &str = "193.32.162.45";
pub const IP_EC2_THIEF: &str = "45.33.18.77";

// Clients.
pub const UA_BROWSER: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36";
pub const UA_CONSOLE: &str = "AWS Internal";
pub const UA_CONSOLE_HOST: &str = "console.amazonaws.com";
pub const UA_BOB: &str = "aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux#6.5.0-41-generic md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off";
pub const UA_DAVE: &str = "aws-cli/2.17.20 Python/3.11.9 Darwin/23.5.0 exe/x86_64 prompt/off";
pub const UA_ERIK: &str = "aws-cli/2.18.0 Python/3.12.6 Linux/6.8.0-45-generic exe/x86_64.ubuntu.24 prompt/off";
pub const UA_CI: &str = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1025-azure exe/x86_64.ubuntu.22 prompt/off";
pub const UA_APP: &str = "Boto3/1.34.162 md/Botocore#1.34.162 ua/2.0 os/linux#5.10.223-211.872.amzn2.x86_64 md/arch#x86_64 lang/python#3.9.19 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.162";
pub const UA_LAMBDA: &str = "Boto3/1.34.145 md/Botocore#1.34.145 ua/2.0 exec-env/AWS_Lambda_python3.12 md/arch#x86_64 lang/python#3.12.5 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.145";
pub const UA_AUDIT: &str = "Boto3/1.35.20 md/Botocore#1.35.20 ua/2.0 os/linux#6.1.109-118.189.amzn2023.x86_64 md/arch#x86_64 lang/python#3.11.10 md/pyimpl#CPython cfg/retry-mode#standard Botocore/1.35.20";
pub const UA_MGMT: &str = "aws-cli/2.17.50 Python/3.11.9 Windows/10 exe/AMD64 prompt/off";
pub const UA_KALI: &str = "aws-cli/1.16.312 Python/3.8.10 Linux/5.18.0-kali5-amd64 botocore/1.13.48";
pub const UA_THIEF: &str = "aws-cli/2.13.25 Python/3.11.5 Linux/6.5.0-kali3-amd64 exe/x86_64.kali.2023 prompt/off";
pub const UA_SPRAY: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/117.0.0.0 Safari/537.36";

pub fn kms_key_arn() -> String {
    format!("arn:aws:kms:{US}:{ACCOUNT}:key/{KMS_KEY_ID}")
}

pub fn queue_arn() -> String {
    format!("arn:aws:sqs:{US}:{ACCOUNT}:{QUEUE}")
}

pub fn queue_url() -> String {
    format!("https://sqs.{US}.amazonaws.com/{ACCOUNT}/{QUEUE}")
}

pub fn table_arn(region: &str, table: &str) -> String {
    format!("arn:aws:dynamodb:{region}:{ACCOUNT}:table/{table}")
}

pub fn function_arn(region: &str, name: &str) -> String {
    format!("arn:aws:lambda:{region}:{ACCOUNT}:function:{name}")
}

pub fn trail_arn(name: &str) -> String {
    format!("arn:aws:cloudtrail:{US}:{ACCOUNT}:trail/{name}")
}

/// Secrets of the account: the attacker reads all of them with dave's key.
pub const SECRETS: &[&str] = &[
    "prod/db/orders-master",
    "prod/db/customers-readonly",
    "prod/stripe/api-key",
    "prod/sendgrid/api-key",
    "prod/jwt/signing-key",
    "prod/oauth/google-client",
    "prod/redis/auth-token",
    "prod/partner/acme-sftp",
    "prod/datadog/api-key",
    "prod/slack/webhook",
    "ops/pagerduty/token",
    "ops/github/deploy-token",
    "ops/org-automation",
    "ops/vpn/shared-secret",
    "staging/db/orders-master",
    "staging/stripe/api-key",
    "analytics/snowflake/etl",
    "analytics/looker/api",
];

/// The 6-character suffix Secrets Manager appends to a secret's ARN.
pub fn secret_arn(name: &str) -> String {
    let suffix = super::super::rng::stable_id("", name, 6);
    format!("arn:aws:secretsmanager:{US}:{ACCOUNT}:secret:{name}-{suffix}")
}

pub const SSM_PARAMS: &[&str] =
    &["/app/prod/db-host", "/app/prod/db-user", "/app/prod/queue-url", "/app/prod/feature-flags"];
