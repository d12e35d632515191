//! Single-event rules, as data: each [`Rule`] names the calls it looks at (event source + event
//! names), optionally the identity types, how failed calls count, and a predicate over the
//! request / response for the cases where the call alone is not enough ("Principal *",
//! "0.0.0.0/0", "user other than the caller", ...). Matches are grouped per incident: same
//! detector, same principal, no gap longer than [`super::DetectOptions::group_gap_ms`].
//!
//! Failed calls (an `errorCode`), per rule ([`OnError`]):
//! - tampering / defence evasion and root activity: kept, a group made only of failures is one
//!   severity step lower (an attempt to blind the defenders is itself a signal);
//! - everything else: ignored (nothing changed; the access-denied burst detector covers noisy
//!   failing attempts).

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::event::{any_string, arn_account, embedded_json, get_key, get_str, Event, FastMap};
use super::findings::{common_evidence, json_set, DetectorInfo, Finding, FindingDraft, Severity};
use super::Prepared;

/// What a failed call (one with an error code) means for a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// Failed calls do not match.
    Exclude,
    /// Failed calls match; a group of failures only is one severity lower.
    Downgrade,
}

pub type Predicate = fn(&RuleInput) -> bool;

/// One declarative single-event rule.
pub struct Rule {
    pub info: DetectorInfo,
    /// (event source, event names). An empty source matches any source, an empty name list any
    /// name. Names are compared without Lambda's API-version suffix.
    pub calls: &'static [(&'static str, &'static [&'static str])],
    /// Identity types that can match (`Root`, `IAMUser`, ...); empty = any.
    pub identity_types: &'static [&'static str],
    pub on_error: OnError,
    pub predicate: Option<Predicate>,
    /// Raises the group's severity one step when any of its events satisfies it.
    pub escalate: Option<Predicate>,
    /// Request-parameter keys whose values are reported as the finding's `targets`.
    pub target_keys: &'static [&'static str],
    /// Routine for some principals (deployments, operations): a principal that already matched
    /// the rule in the baseline period is not reported for it at all.
    pub routine_if_in_baseline: bool,
    /// A posture finding (e.g. a user who signs in without MFA): every match of a principal in the
    /// window is one finding, not one per burst of activity.
    pub one_per_principal: bool,
    /// Summary template: `{actor}`, `{principal}`, `{count}`, `{events}`, `{targets}`.
    pub summary: &'static str,
}

/// What a predicate sees: the event, its JSON columns parsed at most once, and the environment.
pub struct RuleInput<'a> {
    pub event: &'a Event,
    pub env: &'a RuleEnv,
    req: OnceCell<Option<Value>>,
    resp: OnceCell<Option<Value>>,
    add: OnceCell<Option<Value>>,
}

impl<'a> RuleInput<'a> {
    pub fn new(event: &'a Event, env: &'a RuleEnv) -> Self {
        RuleInput { event, env, req: OnceCell::new(), resp: OnceCell::new(), add: OnceCell::new() }
    }
    pub fn request(&self) -> Option<&Value> {
        self.req.get_or_init(|| self.event.request()).as_ref()
    }
    pub fn response(&self) -> Option<&Value> {
        self.resp.get_or_init(|| self.event.response()).as_ref()
    }
    pub fn additional(&self) -> Option<&Value> {
        self.add.get_or_init(|| self.event.additional()).as_ref()
    }
    fn req_str(&self, key: &str) -> Option<&str> {
        self.request().and_then(|r| get_str(r, key))
    }
}

/// Facts gathered from the whole event set that some predicates need.
#[derive(Debug, Default, Clone)]
pub struct RuleEnv {
    /// Accounts that are "ours": every account in the lake plus configured trusted accounts.
    pub known_accounts: BTreeSet<String>,
    /// Buckets that CloudTrail trails deliver to (from CreateTrail / UpdateTrail requests).
    pub trail_buckets: BTreeSet<String>,
}

impl RuleEnv {
    pub fn from_events(events: &[Event], trusted: &BTreeSet<String>) -> Self {
        let mut env = RuleEnv { known_accounts: trusted.clone(), ..Default::default() };
        for e in events {
            if let Some(acct) = e.recipient_account_id.as_deref() {
                if !env.known_accounts.contains(acct) {
                    env.known_accounts.insert(acct.to_string());
                }
            }
            if e.event_source == "cloudtrail.amazonaws.com"
                && matches!(e.event_name.as_str(), "CreateTrail" | "UpdateTrail")
            {
                if let Some(bucket) = e.request().as_ref().and_then(|r| get_str(r, "s3BucketName").map(str::to_string))
                {
                    env.trail_buckets.insert(bucket);
                }
            }
        }
        env
    }

    fn is_trail_bucket(&self, bucket: &str) -> bool {
        self.trail_buckets.contains(bucket) || bucket.to_ascii_lowercase().contains("cloudtrail")
    }
}

const T_VALID_ACCOUNTS: &str = "T1078.004";

macro_rules! info {
    ($id:expr, $family:expr, $sev:ident, $mitre:expr, $desc:expr) => {
        DetectorInfo { id: $id, family: $family, severity: Severity::$sev, mitre: $mitre, description: $desc }
    };
}

/// The rule table.
pub fn rules() -> &'static [Rule] {
    RULES
}

static RULES: &[Rule] = &[
    Rule {
        info: info!("root.console-login", "root", High, T_VALID_ACCOUNTS,
            "Successful console sign-in as the account root user (critical without MFA)."),
        calls: &[("signin.amazonaws.com", &["ConsoleLogin"])],
        identity_types: &["Root"],
        on_error: OnError::Exclude,
        predicate: Some(console_success),
        escalate: Some(console_without_mfa),
        target_keys: &[],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "Root user signed in to the console ({count} sign-in(s))",
    },
    Rule {
        info: info!("root.activity", "root", High, T_VALID_ACCOUNTS,
            "API activity by the account root user (not AWS services acting on its behalf)."),
        calls: &[("", &[])],
        identity_types: &["Root"],
        on_error: OnError::Downgrade,
        predicate: Some(root_own_activity),
        escalate: None,
        target_keys: &[],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "Root user made {count} API call(s): {events}",
    },
    Rule {
        info: info!("console.login-without-mfa", "credential-access", Medium, T_VALID_ACCOUNTS,
            "Successful console sign-in by an IAM user without MFA (SAML / SSO sign-ins excluded)."),
        calls: &[("signin.amazonaws.com", &["ConsoleLogin"])],
        identity_types: &["IAMUser"],
        on_error: OnError::Exclude,
        predicate: Some(iam_user_login_without_mfa),
        escalate: None,
        target_keys: &[],
        routine_if_in_baseline: false,
        one_per_principal: true,
        summary: "{actor} signed in to the console without MFA ({count} sign-in(s))",
    },
    Rule {
        info: info!("cloudtrail.tampering", "defense-evasion", High, "T1562.008",
            "CloudTrail stopped, deleted or narrowed (trail, event selectors, event data store) or its log bucket changed."),
        calls: &[
            ("cloudtrail.amazonaws.com", &["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors",
                "DeleteEventDataStore", "StopEventDataStoreIngestion"]),
            ("s3.amazonaws.com", &["DeleteBucket", "PutBucketPolicy", "DeleteBucketPolicy", "PutBucketLifecycle",
                "PutBucketLifecycleConfiguration", "PutBucketAcl"]),
        ],
        identity_types: &[],
        on_error: OnError::Downgrade,
        predicate: Some(cloudtrail_tampering),
        escalate: None,
        target_keys: &["name", "trailName", "bucketName", "eventDataStore"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "CloudTrail logging tampered with: {events} on {targets}",
    },
    Rule {
        info: info!("defense-evasion.guardduty", "defense-evasion", High, "T1562.001",
            "GuardDuty detector deleted or disabled, members disassociated, findings suppressed or trusted IPs added."),
        calls: &[("guardduty.amazonaws.com", &["DeleteDetector", "UpdateDetector", "DisassociateFromMasterAccount",
            "DisassociateFromAdministratorAccount", "DisassociateMembers", "DeleteMembers", "StopMonitoringMembers",
            "DeletePublishingDestination", "CreateIPSet", "UpdateIPSet", "CreateFilter", "UpdateFilter"])],
        identity_types: &[],
        on_error: OnError::Downgrade,
        predicate: Some(guardduty_weakened),
        escalate: None,
        target_keys: &["detectorId", "name"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "GuardDuty weakened: {events}",
    },
    Rule {
        info: info!("defense-evasion.config", "defense-evasion", High, "T1562.001",
            "AWS Config recorder stopped or deleted, or its delivery channel deleted."),
        calls: &[("config.amazonaws.com", &["StopConfigurationRecorder", "DeleteConfigurationRecorder",
            "DeleteDeliveryChannel"])],
        identity_types: &[],
        on_error: OnError::Downgrade,
        predicate: None,
        escalate: None,
        target_keys: &["configurationRecorderName", "deliveryChannelName"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "AWS Config recording disabled: {events}",
    },
    Rule {
        info: info!("defense-evasion.flow-logs", "defense-evasion", High, "T1562.008",
            "VPC flow logs or Route 53 Resolver query logging deleted."),
        calls: &[
            ("ec2.amazonaws.com", &["DeleteFlowLogs"]),
            ("route53resolver.amazonaws.com", &["DeleteResolverQueryLogConfig", "DisassociateResolverQueryLogConfig"]),
        ],
        identity_types: &[],
        on_error: OnError::Downgrade,
        predicate: None,
        escalate: None,
        target_keys: &["flowLogIds", "resolverQueryLogConfigId"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "Network logging deleted: {events}",
    },
    Rule {
        info: info!("defense-evasion.leave-organization", "defense-evasion", High, "T1666",
            "Account attempted to leave its AWS Organization (escaping SCPs and central logging)."),
        calls: &[("organizations.amazonaws.com", &["LeaveOrganization"])],
        identity_types: &[],
        on_error: OnError::Downgrade,
        predicate: None,
        escalate: None,
        target_keys: &[],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "Account tried to leave the organisation",
    },
    Rule {
        info: info!("iam.persistence.access-key-other-user", "persistence", High, "T1098.001",
            "Access key created for a user other than the caller."),
        calls: &[("iam.amazonaws.com", &["CreateAccessKey"])],
        identity_types: &[],
        on_error: OnError::Exclude,
        predicate: Some(targets_other_user),
        escalate: None,
        target_keys: &["userName"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "{actor} created access key(s) for another user: {targets}",
    },
    Rule {
        info: info!("iam.persistence.login-profile", "persistence", High, "T1098",
            "Console password (login profile) created or changed for a user other than the caller."),
        calls: &[("iam.amazonaws.com", &["CreateLoginProfile", "UpdateLoginProfile"])],
        identity_types: &[],
        on_error: OnError::Exclude,
        predicate: Some(targets_other_user),
        escalate: None,
        target_keys: &["userName"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "{actor} set a console password for {targets}",
    },
    Rule {
        info: info!("iam.persistence.admin-policy", "privilege-escalation", High, "T1098.003",
            "AdministratorAccess attached, or an inline policy allowing * on * put, on a user, group or role."),
        calls: &[("iam.amazonaws.com", &["AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy", "PutUserPolicy",
            "PutRolePolicy", "PutGroupPolicy"])],
        identity_types: &[],
        on_error: OnError::Exclude,
        predicate: Some(grants_admin),
        escalate: None,
        target_keys: &["userName", "roleName", "groupName", "policyArn", "policyName"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "{actor} granted administrator access to {targets}",
    },
    Rule {
        info: info!("iam.persistence.new-user", "persistence", Medium, "T1136.003",
            "New IAM user created."),
        calls: &[("iam.amazonaws.com", &["CreateUser"])],
        identity_types: &[],
        on_error: OnError::Exclude,
        predicate: None,
        escalate: None,
        target_keys: &["userName"],
        routine_if_in_baseline: true,
        one_per_principal: false,
        summary: "{actor} created IAM user(s) {targets}",
    },
    Rule {
        info: info!("iam.persistence.trust-policy-external", "persistence", High, "T1098.003",
            "Role trust policy changed to trust an account outside the lake (or anyone)."),
        calls: &[("iam.amazonaws.com", &["UpdateAssumeRolePolicy"])],
        identity_types: &[],
        on_error: OnError::Exclude,
        predicate: Some(trust_external),
        escalate: None,
        target_keys: &["roleName"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "{actor} made role {targets} assumable from outside the organisation",
    },
    Rule {
        info: info!("iam.persistence.policy-version-default", "privilege-escalation", Medium, "T1098.003",
            "An existing managed policy version set as default (rollback to an older, possibly broader, version)."),
        calls: &[("iam.amazonaws.com", &["SetDefaultPolicyVersion"])],
        identity_types: &[],
        on_error: OnError::Exclude,
        predicate: None,
        escalate: None,
        target_keys: &["policyArn", "versionId"],
        routine_if_in_baseline: true,
        one_per_principal: false,
        summary: "{actor} switched the default version of {targets}",
    },
    Rule {
        info: info!("exposure.snapshot-public", "exfiltration", High, "T1537",
            "EBS / RDS snapshot or AMI made public."),
        calls: &[
            ("ec2.amazonaws.com", &["ModifySnapshotAttribute", "ModifyImageAttribute"]),
            ("rds.amazonaws.com", &["ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute"]),
        ],
        identity_types: &[],
        on_error: OnError::Exclude,
        predicate: Some(shared_publicly),
        escalate: None,
        target_keys: &["snapshotId", "imageId", "dBSnapshotIdentifier", "dBClusterSnapshotIdentifier"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "{actor} made {targets} public",
    },
    Rule {
        info: info!("exposure.snapshot-shared", "exfiltration", Low, "T1537",
            "EBS / RDS snapshot or AMI shared with an account outside the lake."),
        calls: &[
            ("ec2.amazonaws.com", &["ModifySnapshotAttribute", "ModifyImageAttribute"]),
            ("rds.amazonaws.com", &["ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute"]),
        ],
        identity_types: &[],
        on_error: OnError::Exclude,
        predicate: Some(shared_with_unknown_account),
        escalate: None,
        target_keys: &["snapshotId", "imageId", "dBSnapshotIdentifier", "dBClusterSnapshotIdentifier"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "{actor} shared {targets} with an outside account",
    },
    Rule {
        info: info!("exposure.bucket-public", "exfiltration", High, "T1530",
            "S3 bucket policy or ACL opened to everyone, or a public access block removed or weakened."),
        calls: &[
            ("s3.amazonaws.com", &["PutBucketPolicy", "PutBucketAcl", "DeleteBucketPublicAccessBlock",
                "PutBucketPublicAccessBlock", "DeleteAccountPublicAccessBlock", "PutAccountPublicAccessBlock"]),
            ("s3control.amazonaws.com", &["DeletePublicAccessBlock", "PutPublicAccessBlock",
                "DeleteAccountPublicAccessBlock", "PutAccountPublicAccessBlock"]),
        ],
        identity_types: &[],
        on_error: OnError::Exclude,
        predicate: Some(bucket_exposed),
        escalate: None,
        target_keys: &["bucketName"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "{actor} exposed S3 data: {events} {targets}",
    },
    Rule {
        info: info!("exposure.security-group-open", "defense-evasion", Medium, "T1562.007",
            "Security group ingress opened to the internet (0.0.0.0/0, ::/0 or another public /8-or-wider range; high for SSH, RDP or all ports)."),
        calls: &[("ec2.amazonaws.com", &["AuthorizeSecurityGroupIngress", "ModifySecurityGroupRules"])],
        identity_types: &[],
        on_error: OnError::Exclude,
        predicate: Some(open_to_world),
        escalate: Some(admin_ports),
        target_keys: &["groupId", "groupName"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "{actor} opened security group {targets} to the internet",
    },
    Rule {
        info: info!("execution.ssm-command", "execution", Medium, "T1651",
            "SSM Run Command sent or Session Manager session started on instances."),
        calls: &[("ssm.amazonaws.com", &["SendCommand", "StartSession"])],
        identity_types: &[],
        on_error: OnError::Exclude,
        predicate: None,
        escalate: None,
        target_keys: &["documentName", "instanceIds", "target"],
        routine_if_in_baseline: true,
        one_per_principal: false,
        summary: "{actor} ran commands on instances through SSM: {targets}",
    },
    Rule {
        info: info!("execution.ec2-user-data", "execution", Medium, "T1059.009",
            "EC2 instance user data (boot script) changed."),
        calls: &[("ec2.amazonaws.com", &["ModifyInstanceAttribute"])],
        identity_types: &[],
        on_error: OnError::Exclude,
        predicate: Some(changes_user_data),
        escalate: None,
        target_keys: &["instanceId"],
        routine_if_in_baseline: true,
        one_per_principal: false,
        summary: "{actor} changed the user data of {targets}",
    },
    Rule {
        info: info!("execution.lambda-code", "execution", Medium, "T1648",
            "Lambda function code or layers changed."),
        calls: &[("lambda.amazonaws.com", &["UpdateFunctionCode", "UpdateFunctionConfiguration", "PublishLayerVersion"])],
        identity_types: &[],
        on_error: OnError::Exclude,
        predicate: Some(lambda_code_or_layers),
        escalate: None,
        target_keys: &["functionName"],
        routine_if_in_baseline: true,
        one_per_principal: false,
        summary: "{actor} changed the code of Lambda function(s) {targets}",
    },
    Rule {
        info: info!("credential-access.secrets-batch", "credential-access", High, "T1555.006",
            "Secrets Manager BatchGetSecretValue by filter (every matching secret, no names given) or for 10+ named secrets."),
        calls: &[("secretsmanager.amazonaws.com", &["BatchGetSecretValue"])],
        identity_types: &[],
        on_error: OnError::Downgrade,
        predicate: Some(batch_secrets_in_bulk),
        escalate: None,
        target_keys: &["filters", "secretIdList"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "{actor} retrieved secrets in bulk with BatchGetSecretValue ({count} call(s)): {targets}",
    },
    Rule {
        info: info!("credential-access.ssm-decrypt-bulk", "credential-access", High, "T1555.006",
            "SSM parameters read with decryption in bulk: GetParametersByPath from the root path, or GetParameters for 10+ names."),
        calls: &[("ssm.amazonaws.com", &["GetParametersByPath", "GetParameters"])],
        identity_types: &[],
        on_error: OnError::Downgrade,
        predicate: Some(ssm_decrypt_bulk),
        escalate: None,
        target_keys: &["path", "names"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "{actor} read SSM parameters with decryption in bulk ({count} call(s)): {targets}",
    },
    Rule {
        info: info!("credential-access.ec2-user-data-read", "credential-access", Medium, "T1552.005",
            "EC2 instance user data downloaded (DescribeInstanceAttribute userData), where boot scripts keep secrets."),
        calls: &[("ec2.amazonaws.com", &["DescribeInstanceAttribute"])],
        identity_types: &[],
        on_error: OnError::Downgrade,
        predicate: Some(reads_user_data),
        escalate: None,
        target_keys: &["instanceId"],
        routine_if_in_baseline: true,
        one_per_principal: false,
        summary: "{actor} downloaded the user data of {targets}",
    },
    Rule {
        info: info!("credential-access.ec2-password-data", "credential-access", Medium, "T1552",
            "Windows administrator password data of EC2 instances retrieved (GetPasswordData)."),
        calls: &[("ec2.amazonaws.com", &["GetPasswordData"])],
        identity_types: &[],
        on_error: OnError::Downgrade,
        predicate: Some(own_request),
        escalate: None,
        target_keys: &["instanceId"],
        routine_if_in_baseline: true,
        one_per_principal: false,
        summary: "{actor} retrieved the password data of {targets} ({count} call(s))",
    },
    Rule {
        info: info!("impact.unusual-instance-type", "impact", Medium, "T1496.001",
            "GPU, accelerator or very large EC2 instances launched by a principal that did not launch such types in the baseline (crypto-mining)."),
        calls: &[("ec2.amazonaws.com", &["RunInstances", "RequestSpotInstances", "CreateFleet", "RequestSpotFleet"])],
        identity_types: &[],
        on_error: OnError::Downgrade,
        predicate: Some(launches_unusual_type),
        escalate: None,
        target_keys: &["instanceType"],
        routine_if_in_baseline: true,
        one_per_principal: false,
        summary: "{actor} launched unusual instance type(s) {targets} ({count} call(s))",
    },
    Rule {
        info: info!("lateral-movement.ec2-instance-connect", "lateral-movement", Medium, "T1021.004",
            "SSH key pushed to an instance through EC2 Instance Connect (SendSSHPublicKey)."),
        calls: &[("ec2-instance-connect.amazonaws.com", &["SendSSHPublicKey"])],
        identity_types: &[],
        on_error: OnError::Downgrade,
        predicate: None,
        escalate: None,
        target_keys: &["instanceId", "instanceOSUser"],
        routine_if_in_baseline: true,
        one_per_principal: false,
        summary: "{actor} pushed SSH keys through EC2 Instance Connect to {targets}",
    },
    Rule {
        info: info!("lateral-movement.ec2-serial-console", "lateral-movement", High, "T1021",
            "SSH key pushed to an instance's serial console, or serial console access enabled for the account."),
        calls: &[
            ("ec2-instance-connect.amazonaws.com", &["SendSerialConsoleSSHPublicKey"]),
            ("ec2.amazonaws.com", &["EnableSerialConsoleAccess"]),
        ],
        identity_types: &[],
        on_error: OnError::Downgrade,
        predicate: None,
        escalate: None,
        target_keys: &["instanceId", "serialPort"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "{actor} used the EC2 serial console: {events} {targets}",
    },
    Rule {
        info: info!("exposure.lambda-public", "persistence", High, "T1546",
            "Lambda function made invocable by anyone or by an account outside the lake (AddPermission, function URL without auth)."),
        calls: &[("lambda.amazonaws.com", &["AddPermission", "CreateFunctionUrlConfig", "UpdateFunctionUrlConfig"])],
        identity_types: &[],
        on_error: OnError::Exclude,
        predicate: Some(lambda_opened),
        escalate: None,
        target_keys: &["functionName", "principal"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "{actor} opened Lambda function(s) to outside callers: {targets}",
    },
    Rule {
        info: info!("persistence.lambda-foreign-layer", "persistence", Medium, "T1546",
            "Lambda layer (code or extension) from an account outside the lake added to a function."),
        calls: &[("lambda.amazonaws.com", &["UpdateFunctionConfiguration", "CreateFunction"])],
        identity_types: &[],
        on_error: OnError::Exclude,
        predicate: Some(foreign_layer),
        escalate: None,
        target_keys: &["functionName", "layers"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "{actor} added outside layer(s) to Lambda: {targets}",
    },
    Rule {
        info: info!("persistence.roles-anywhere", "persistence", High, "T1098",
            "IAM Roles Anywhere trust anchor or profile created or changed (roles usable with an outside certificate authority)."),
        calls: &[("rolesanywhere.amazonaws.com", &["CreateTrustAnchor", "UpdateTrustAnchor", "CreateProfile",
            "UpdateProfile"])],
        identity_types: &[],
        on_error: OnError::Downgrade,
        predicate: None,
        escalate: None,
        target_keys: &["name", "roleArns"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "{actor} set up IAM Roles Anywhere: {events} {targets}",
    },
    Rule {
        info: info!("persistence.federation-token", "persistence", Medium, "T1550.001",
            "GetFederationToken called by an IAM user (federated sessions outlive the user's key being disabled)."),
        calls: &[("sts.amazonaws.com", &["GetFederationToken"])],
        identity_types: &["IAMUser"],
        on_error: OnError::Exclude,
        predicate: None,
        escalate: None,
        target_keys: &["name"],
        routine_if_in_baseline: true,
        one_per_principal: false,
        summary: "{actor} obtained federation token(s) for {targets}",
    },
    Rule {
        info: info!("impact.bedrock-first-use", "impact", Medium, "T1496.004",
            "Bedrock models invoked by a principal that did not invoke models in the baseline (LLM-jacking)."),
        calls: &[("bedrock.amazonaws.com", &["InvokeModel", "InvokeModelWithResponseStream", "Converse",
            "ConverseStream"])],
        identity_types: &[],
        on_error: OnError::Downgrade,
        predicate: Some(own_request),
        escalate: None,
        target_keys: &["modelId"],
        routine_if_in_baseline: true,
        one_per_principal: false,
        summary: "{actor} invoked Bedrock model(s) {targets} ({count} call(s))",
    },
    Rule {
        info: info!("impact.bedrock-model-access", "impact", High, "T1496.004",
            "Bedrock model access requested or granted, or model invocation logging deleted."),
        calls: &[("bedrock.amazonaws.com", &["PutFoundationModelEntitlement", "PutUseCaseForModelAccess",
            "CreateFoundationModelAgreement", "DeleteModelInvocationLoggingConfiguration"])],
        identity_types: &[],
        on_error: OnError::Downgrade,
        predicate: None,
        escalate: None,
        target_keys: &["modelId"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "{actor} changed Bedrock model access: {events} {targets}",
    },
    Rule {
        info: info!("exposure.bucket-foreign-account", "exfiltration", High, "T1537",
            "S3 bucket policy granting read or full access to an account outside the lake."),
        calls: &[("s3.amazonaws.com", &["PutBucketPolicy"])],
        identity_types: &[],
        on_error: OnError::Exclude,
        predicate: Some(bucket_grants_foreign_account),
        escalate: None,
        target_keys: &["bucketName"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "{actor} granted an outside account access to bucket(s) {targets}",
    },
    Rule {
        info: info!("impact.kms-key-disabled", "impact", High, "T1485",
            "KMS key disabled or scheduled for deletion (data encrypted under it becomes unreadable)."),
        calls: &[("kms.amazonaws.com", &["DisableKey", "ScheduleKeyDeletion"])],
        identity_types: &[],
        on_error: OnError::Exclude,
        predicate: None,
        escalate: None,
        target_keys: &["keyId"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "{actor} disabled or scheduled deletion of KMS key(s) {targets}",
    },
    Rule {
        info: info!("impact.s3-sse-c", "impact", High, "T1486",
            "S3 objects written with a customer-provided key (SSE-C): without the key nobody can read them (ransomware)."),
        calls: &[("s3.amazonaws.com", &["PutObject", "CopyObject", "CreateMultipartUpload"])],
        identity_types: &[],
        on_error: OnError::Exclude,
        predicate: Some(uses_sse_c),
        escalate: None,
        target_keys: &["bucketName"],
        routine_if_in_baseline: false,
        one_per_principal: false,
        summary: "{actor} rewrote {count} S3 object(s) with customer-provided keys in {targets}",
    },
];

// ---------------------------------------------------------------------------------------------
// Predicates

fn console_success(input: &RuleInput) -> bool {
    !input.event.is_error()
        && input.response().and_then(|r| get_str(r, "ConsoleLogin")).is_some_and(|s| s.eq_ignore_ascii_case("Success"))
}

fn console_without_mfa(input: &RuleInput) -> bool {
    input.additional().and_then(|a| get_str(a, "MFAUsed")).is_some_and(|s| s.eq_ignore_ascii_case("No"))
}

fn iam_user_login_without_mfa(input: &RuleInput) -> bool {
    let saml = input.additional().and_then(|a| get_key(a, "SamlProviderArn")).is_some();
    console_success(input) && console_without_mfa(input) && !saml
}

fn root_own_activity(input: &RuleInput) -> bool {
    let e = input.event;
    e.invoked_by.is_none()
        && !e.source_is_aws_service()
        && !matches!(e.event_type.as_deref(), Some("AwsServiceEvent" | "AwsConsoleSignIn"))
        && e.event_name != "ConsoleLogin"
}

fn cloudtrail_tampering(input: &RuleInput) -> bool {
    let e = input.event;
    if e.event_source == "s3.amazonaws.com" {
        let Some(bucket) = input.req_str("bucketName") else { return false };
        if !input.env.is_trail_bucket(bucket) {
            return false;
        }
        // CreateTrail writes a policy that lets CloudTrail deliver; only a policy that no longer
        // mentions CloudTrail (or denies) cuts the trail off.
        if e.event_name == "PutBucketPolicy" {
            let text = input.request().map(|r| r.to_string()).unwrap_or_default();
            return !text.contains("cloudtrail.amazonaws.com")
                || text.contains("\"Deny\"")
                || text.contains("\\\"Deny\\\"");
        }
        return true;
    }
    if e.event_name == "PutEventSelectors" {
        return selectors_reduce_coverage(input.request());
    }
    true
}

/// Event selectors that stop recording management events, or record only one of read / write.
fn selectors_reduce_coverage(req: Option<&Value>) -> bool {
    let Some(req) = req else { return true };
    if let Some(Value::Array(selectors)) = get_key(req, "eventSelectors") {
        return selectors.is_empty()
            || selectors.iter().all(|s| {
                let mgmt = get_key(s, "includeManagementEvents").and_then(Value::as_bool).unwrap_or(true);
                let rw = get_str(s, "readWriteType").unwrap_or("All");
                !mgmt || !rw.eq_ignore_ascii_case("All")
            });
    }
    if let Some(Value::Array(adv)) = get_key(req, "advancedEventSelectors") {
        // Management events are recorded only by a selector with eventCategory = Management.
        let records_management = adv.iter().any(|sel| {
            let mut found = false;
            any_string(sel, None, &mut |_, s| {
                found |= s == "Management";
                found
            });
            found
        });
        return !records_management;
    }
    true
}

fn guardduty_weakened(input: &RuleInput) -> bool {
    match input.event.event_name.as_str() {
        "UpdateDetector" => input.request().and_then(|r| get_key(r, "enable")).and_then(Value::as_bool) == Some(false),
        "CreateFilter" | "UpdateFilter" => input.req_str("action").is_some_and(|a| a.eq_ignore_ascii_case("ARCHIVE")),
        "CreateIPSet" | "UpdateIPSet" => {
            input.request().and_then(|r| get_key(r, "activate")).and_then(Value::as_bool).unwrap_or(true)
        }
        _ => true,
    }
}

/// The target user of an IAM call is someone other than the caller. Role sessions and root
/// acting on a user always count: the user is not them.
fn targets_other_user(input: &RuleInput) -> bool {
    let Some(target) = input.req_str("userName") else { return false };
    let e = input.event;
    match e.identity_type.as_deref() {
        Some("IAMUser") => e.user_name.as_deref() != Some(target),
        _ => true,
    }
}

fn grants_admin(input: &RuleInput) -> bool {
    if input.event.event_name.starts_with("Attach") {
        return input.req_str("policyArn").is_some_and(|arn| arn.ends_with(":policy/AdministratorAccess"));
    }
    input.request().and_then(|r| get_key(r, "policyDocument")).and_then(embedded_json).is_some_and(|doc| {
        statements(&doc).iter().any(|s| {
            is_allow(s)
                && get_key(s, "NotAction").is_none()
                && values_include(get_key(s, "Action"), "*")
                && values_include(get_key(s, "Resource"), "*")
        })
    })
}

fn statements(doc: &Value) -> Vec<&Value> {
    match get_key(doc, "Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => Vec::new(),
    }
}

fn is_allow(statement: &Value) -> bool {
    get_str(statement, "Effect").is_some_and(|e| e.eq_ignore_ascii_case("Allow"))
}

fn values_include(v: Option<&Value>, wanted: &str) -> bool {
    match v {
        Some(Value::String(s)) => s == wanted,
        Some(Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(wanted)),
        _ => false,
    }
}

/// Strings of a `Principal` element (`"*"`, `{"AWS": ...}`); Service / Federated are ignored.
fn aws_principals(statement: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match get_key(statement, "Principal") {
        Some(Value::String(s)) => out.push(s.clone()),
        Some(obj @ Value::Object(_)) => {
            if let Some(aws) = get_key(obj, "AWS") {
                match aws {
                    Value::String(s) => out.push(s.clone()),
                    Value::Array(items) => out.extend(items.iter().filter_map(|i| i.as_str().map(str::to_string))),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    out
}

fn trust_external(input: &RuleInput) -> bool {
    let Some(doc) = input.request().and_then(|r| get_key(r, "policyDocument")).and_then(embedded_json) else {
        return false;
    };
    let own = input.event.target_account();
    statements(&doc).iter().filter(|s| is_allow(s)).flat_map(|s| aws_principals(s)).any(|p| {
        if p == "*" {
            return true;
        }
        let acct = if p.starts_with("arn:") { arn_account(&p).map(str::to_string) } else { Some(p.clone()) };
        match acct {
            Some(a) => Some(a.as_str()) != own && !input.env.known_accounts.contains(&a),
            None => false,
        }
    })
}

/// The values added by a snapshot / image attribute change: `group: all` or account ids.
fn added_permissions(input: &RuleInput) -> Vec<String> {
    let Some(req) = input.request() else { return Vec::new() };
    let mut out = Vec::new();
    // EC2: createVolumePermission / launchPermission { add: { items: [ {group|userId} ] } }
    for attr in ["createVolumePermission", "launchPermission"] {
        if let Some(add) = get_key(req, attr).and_then(|p| get_key(p, "add")) {
            any_string(add, None, &mut |k, s| {
                if matches!(k, Some("group" | "userId" | "Group" | "UserId")) {
                    out.push(s.to_string());
                }
                false
            });
        }
    }
    // RDS: attributeName = restore, valuesToAdd = ["all" | account ids]
    if input.event.event_source == "rds.amazonaws.com" {
        let restore = get_str(req, "attributeName").is_none_or(|a| a.eq_ignore_ascii_case("restore"));
        if let (true, Some(Value::Array(values))) = (restore, get_key(req, "valuesToAdd")) {
            out.extend(values.iter().filter_map(|v| v.as_str().map(str::to_string)));
        }
    }
    out
}

fn shared_publicly(input: &RuleInput) -> bool {
    added_permissions(input).iter().any(|v| v.eq_ignore_ascii_case("all"))
}

fn shared_with_unknown_account(input: &RuleInput) -> bool {
    let added = added_permissions(input);
    !added.iter().any(|v| v.eq_ignore_ascii_case("all"))
        && added.iter().any(|v| !v.eq_ignore_ascii_case("all") && !input.env.known_accounts.contains(v))
}

fn bucket_exposed(input: &RuleInput) -> bool {
    let name = input.event.event_name.as_str();
    match name {
        "DeleteBucketPublicAccessBlock" | "DeleteAccountPublicAccessBlock" | "DeletePublicAccessBlock" => true,
        "PutBucketPublicAccessBlock" | "PutAccountPublicAccessBlock" | "PutPublicAccessBlock" => {
            let mut weakened = false;
            if let Some(req) = input.request() {
                fn walk(v: &Value, weakened: &mut bool) {
                    match v {
                        Value::Object(map) => {
                            for (k, item) in map {
                                let is_flag = matches!(
                                    k.as_str(),
                                    "BlockPublicAcls"
                                        | "IgnorePublicAcls"
                                        | "BlockPublicPolicy"
                                        | "RestrictPublicBuckets"
                                );
                                if is_flag && (item == &Value::Bool(false) || item.as_str() == Some("false")) {
                                    *weakened = true;
                                }
                                walk(item, weakened);
                            }
                        }
                        Value::Array(items) => items.iter().for_each(|i| walk(i, weakened)),
                        _ => {}
                    }
                }
                walk(req, &mut weakened);
            }
            weakened
        }
        "PutBucketAcl" => input.request().is_some_and(|req| {
            any_string(req, None, &mut |k, s| {
                s.contains("acs.amazonaws.com/groups/global/AllUsers")
                    || s.contains("acs.amazonaws.com/groups/global/AuthenticatedUsers")
                    || (k.is_some_and(|k| k.eq_ignore_ascii_case("x-amz-acl"))
                        && matches!(s, "public-read" | "public-read-write" | "authenticated-read"))
            })
        }),
        "PutBucketPolicy" => {
            let Some(doc) = input
                .request()
                .and_then(|r| get_key(r, "bucketPolicy").or_else(|| get_key(r, "policy")))
                .and_then(embedded_json)
            else {
                return false;
            };
            // A wildcard principal without a condition (conditions such as aws:SourceVpce or
            // aws:PrincipalOrgID restrict it).
            statements(&doc)
                .iter()
                .any(|s| is_allow(s) && get_key(s, "Condition").is_none() && aws_principals(s).iter().any(|p| p == "*"))
        }
        _ => false,
    }
}

/// A CIDR that lets in a large part of the internet: any public range of /8 or wider in IPv4
/// (`0.0.0.0/0`, but also `0.0.0.0/1`, `128.0.0.0/1`, ...) or /16 or wider in IPv6 (`::/0`,
/// `2000::/3`). Private ranges such as `10.0.0.0/8` are not the world.
pub fn is_world_cidr(text: &str) -> bool {
    let Ok(net) = text.trim().parse::<ipnet::IpNet>() else { return false };
    let wide = match net {
        ipnet::IpNet::V4(n) => n.prefix_len() <= 8,
        ipnet::IpNet::V6(n) => n.prefix_len() <= 16,
    };
    const PRIVATE: &[&str] =
        &["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "100.64.0.0/10", "fc00::/7", "fe80::/10"];
    wide && !PRIVATE.iter().filter_map(|p| p.parse::<ipnet::IpNet>().ok()).any(|p| p.contains(&net))
}

fn open_to_world(input: &RuleInput) -> bool {
    input.request().is_some_and(|req| any_string(req, None, &mut |_, s| is_world_cidr(s)))
}

/// An ingress permission (EC2's `ipPermissions` item or a `SecurityGroupRule`) that opens SSH,
/// RDP or all ports / all protocols to a world CIDR: the port and the range must be in the same
/// permission (443 to the world beside 22 to the office is not an open SSH port).
fn admin_ports(input: &RuleInput) -> bool {
    fn admin(map: &Map<String, Value>) -> bool {
        let get = |a: &str, b: &str| map.get(a).or_else(|| map.get(b));
        let proto = get("ipProtocol", "IpProtocol").map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_string));
        if proto.as_deref() == Some("-1") {
            return true;
        }
        let port = |a: &str, b: &str| get(a, b).and_then(|p| p.as_i64().or_else(|| p.as_str()?.parse().ok()));
        match (port("fromPort", "FromPort"), port("toPort", "ToPort")) {
            (Some(f), Some(t)) => [22, 3389].iter().any(|p| (f..=t).contains(p)) || (f <= 0 && t >= 65535),
            _ => false,
        }
    }
    fn walk(v: &Value) -> bool {
        match v {
            Value::Object(map) => {
                let is_permission = map.contains_key("ipProtocol") || map.contains_key("IpProtocol");
                if is_permission && admin(map) && any_string(v, None, &mut |_, s| is_world_cidr(s)) {
                    return true;
                }
                map.values().any(walk)
            }
            Value::Array(items) => items.iter().any(walk),
            _ => false,
        }
    }
    input.request().is_some_and(walk)
}

/// The caller's own request, not an AWS service acting for it (CloudFormation, Auto Scaling).
fn own_request(input: &RuleInput) -> bool {
    input.event.invoked_by.is_none() && !input.event.source_is_aws_service()
}

fn list_len(v: Option<&Value>) -> usize {
    match v {
        Some(Value::Array(items)) => items.len(),
        Some(Value::String(s)) if !s.is_empty() => 1,
        _ => 0,
    }
}

/// Secrets chosen by filter (the caller gets every secret matching, without naming any) or
/// many named secrets in one call.
fn batch_secrets_in_bulk(input: &RuleInput) -> bool {
    let Some(req) = input.request() else { return false };
    let named = list_len(get_key(req, "secretIdList"));
    (named == 0 && get_key(req, "filters").is_some()) || named >= 10
}

fn truthy(v: Option<&Value>) -> bool {
    v.is_some_and(|v| v.as_bool() == Some(true) || v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true")))
}

fn ssm_decrypt_bulk(input: &RuleInput) -> bool {
    let Some(req) = input.request() else { return false };
    if !truthy(get_key(req, "withDecryption")) {
        return false;
    }
    match input.event.event_name.as_str() {
        "GetParametersByPath" => get_str(req, "path").is_some_and(|p| p.trim_end_matches('/').is_empty()),
        _ => list_len(get_key(req, "names")) >= 10,
    }
}

fn reads_user_data(input: &RuleInput) -> bool {
    own_request(input) && input.req_str("attribute").is_some_and(|a| a.eq_ignore_ascii_case("userData"))
}

/// GPU / accelerator / FPGA / memory-monster families, bare metal, and sizes of 16xlarge and up.
pub fn is_unusual_instance_type(t: &str) -> bool {
    const FAMILIES: &[&str] = &[
        "p2", "p3", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "p6", "g2", "g3", "g3s", "g4dn", "g4ad", "g5", "g5g",
        "g6", "g6e", "gr6", "inf1", "inf2", "trn1", "trn1n", "trn2", "dl1", "dl2q", "f1", "f2", "vt1", "x1", "x1e",
        "x2idn", "x2iedn", "x2iezn", "hpc6a", "hpc7g", "hpc7a",
    ];
    let t = t.trim().to_ascii_lowercase();
    let Some((family, size)) = t.split_once('.') else { return false };
    if FAMILIES.contains(&family) || family.starts_with("u-") || family.starts_with("u7") || size.contains("metal") {
        return true;
    }
    size.strip_suffix("xlarge").and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| n >= 16)
}

/// Any `instanceType` in the request, however deep (spot launch specifications, fleet
/// overrides) and however wrapped (`"instanceType": {"value": "p2.xlarge"}`).
fn launches_unusual_type(input: &RuleInput) -> bool {
    fn walk(v: &Value) -> bool {
        match v {
            Value::Object(map) => map.iter().any(|(k, item)| {
                if k.eq_ignore_ascii_case("instanceType") {
                    any_string(item, None, &mut |_, s| is_unusual_instance_type(s))
                } else {
                    walk(item)
                }
            }),
            Value::Array(items) => items.iter().any(walk),
            _ => false,
        }
    }
    input.request().is_some_and(walk)
}

/// An account id in a principal string (`123456789012`, `arn:aws:iam::123456789012:root`); None
/// for service principals.
fn principal_account(p: &str) -> Option<&str> {
    let acct = if p.starts_with("arn:") { arn_account(p)? } else { p };
    (acct.len() == 12 && acct.bytes().all(|b| b.is_ascii_digit())).then_some(acct)
}

fn is_foreign(input: &RuleInput, acct: &str) -> bool {
    Some(acct) != input.event.target_account() && !input.env.known_accounts.contains(acct)
}

fn lambda_opened(input: &RuleInput) -> bool {
    let Some(req) = input.request() else { return false };
    match input.event.base_name() {
        "AddPermission" => get_str(req, "principal").is_some_and(|p| {
            // A service principal scoped to a source account or ARN is the normal S3 / SNS /
            // EventBridge trigger.
            p.trim() == "*" || principal_account(p).is_some_and(|a| is_foreign(input, a))
        }),
        _ => get_str(req, "authType").is_some_and(|a| a.eq_ignore_ascii_case("NONE")),
    }
}

fn foreign_layer(input: &RuleInput) -> bool {
    let Some(layers) = input.request().and_then(|r| get_key(r, "layers")) else { return false };
    let mut foreign = false;
    any_string(layers, None, &mut |_, s| {
        foreign |= arn_account(s).is_some_and(|a| is_foreign(input, a));
        foreign
    });
    foreign
}

/// A statement allows a foreign account something beyond dropping objects in (log delivery
/// writes are how AWS services and partners deliver; reading or managing is exposure).
fn bucket_grants_foreign_account(input: &RuleInput) -> bool {
    let Some(doc) = input
        .request()
        .and_then(|r| get_key(r, "bucketPolicy").or_else(|| get_key(r, "policy")))
        .and_then(embedded_json)
    else {
        return false;
    };
    statements(&doc).iter().any(|s| {
        let org_scoped = get_key(s, "Condition").is_some_and(|c| {
            let text = c.to_string().to_ascii_lowercase();
            text.contains("principalorgid") || text.contains("sourcevpc")
        });
        let write_only = {
            let mut all_put = true;
            let mut any = false;
            any_string(get_key(s, "Action").unwrap_or(&Value::Null), None, &mut |_, a| {
                any = true;
                let a = a.to_ascii_lowercase();
                all_put &= a == "s3:putobject" || a == "s3:putobjectacl";
                false
            });
            any && all_put
        };
        is_allow(s)
            && !org_scoped
            && !write_only
            && aws_principals(s).iter().any(|p| p != "*" && principal_account(p).is_some_and(|a| is_foreign(input, a)))
    })
}

fn uses_sse_c(input: &RuleInput) -> bool {
    input.request().is_some_and(|r| {
        r.as_object().is_some_and(|o| {
            o.keys().any(|k| k.eq_ignore_ascii_case("x-amz-server-side-encryption-customer-algorithm"))
        })
    })
}

fn changes_user_data(input: &RuleInput) -> bool {
    input.request().is_some_and(|r| get_key(r, "userData").is_some() || get_str(r, "attribute") == Some("userData"))
}

fn lambda_code_or_layers(input: &RuleInput) -> bool {
    matches!(input.event.base_name(), "UpdateFunctionCode" | "PublishLayerVersion")
        || input.request().is_some_and(|r| get_key(r, "layers").is_some())
}

// ---------------------------------------------------------------------------------------------
// Engine

/// Index of the rules by event name (rules with no names are checked on every event).
struct Dispatch {
    by_name: FastMap<&'static str, Vec<usize>>,
    any_name: Vec<usize>,
}

impl Dispatch {
    fn new(rules: &[Rule]) -> Self {
        let mut by_name: FastMap<&'static str, Vec<usize>> = FastMap::default();
        let mut any_name = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let mut names_any = false;
            for (_, names) in rule.calls {
                if names.is_empty() {
                    names_any = true;
                }
                for n in names.iter() {
                    let list = by_name.entry(n).or_default();
                    if !list.contains(&i) {
                        list.push(i);
                    }
                }
            }
            if names_any {
                any_name.push(i);
            }
        }
        Dispatch { by_name, any_name }
    }
}

/// Whether some rule looks at this call (its source, name and identity type; predicates not
/// judged): the events a rule can match are among these.
pub fn could_match(e: &Event) -> bool {
    RULES.iter().any(|rule| call_matches(rule, e))
}

fn call_matches(rule: &Rule, e: &Event) -> bool {
    if !(rule.identity_types.is_empty() || e.identity_type.as_deref().is_some_and(|t| rule.identity_types.contains(&t)))
    {
        return false;
    }
    let base = e.base_name();
    rule.calls.iter().any(|(source, names)| {
        (source.is_empty() || *source == e.event_source) && (names.is_empty() || names.contains(&base))
    })
}

/// Runs every rule over the events and groups matches into findings.
pub fn run(prep: &Prepared) -> Vec<Finding> {
    let events = prep.events;
    let rules = rules();
    let dispatch = Dispatch::new(rules);
    // Candidate rules per interned event name, resolved once per distinct name.
    let by_name_id: Vec<Vec<usize>> = prep
        .names
        .values
        .iter()
        .map(|name| {
            let mut list = dispatch.by_name.get(name).cloned().unwrap_or_default();
            list.extend_from_slice(&dispatch.any_name);
            list
        })
        .collect();
    // (rule, principal) -> matching event indices (in time order) and which of them escalate.
    let mut matches: BTreeMap<(usize, u32), Vec<(usize, bool)>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let candidates = &by_name_id[prep.feat[i].name as usize];
        if candidates.is_empty() {
            continue;
        }
        let input = RuleInput::new(e, &prep.rule_env);
        for &r in candidates {
            let rule = &rules[r];
            if !call_matches(rule, e) {
                continue;
            }
            if rule.on_error == OnError::Exclude && e.is_error() {
                continue;
            }
            if rule.predicate.is_some_and(|p| !p(&input)) {
                continue;
            }
            let escalate = rule.escalate.is_some_and(|p| p(&input));
            matches.entry((r, prep.principal_of[i])).or_default().push((i, escalate));
        }
    }

    let mut findings = Vec::new();
    for ((r, pid), hits) in matches {
        let rule = &rules[r];
        if rule.routine_if_in_baseline && prep.baseline_trusted() && hits.iter().any(|&(i, _)| i < prep.split) {
            continue;
        }
        let mut group: Vec<(usize, bool)> = Vec::new();
        for hit in hits {
            if let Some(&(last, _)) = group.last() {
                if !rule.one_per_principal && events[hit.0].time_ms - events[last].time_ms > prep.opts.group_gap_ms {
                    findings.extend(build(prep, rule, pid, &group));
                    group.clear();
                }
            }
            group.push(hit);
        }
        findings.extend(build(prep, rule, pid, &group));
    }
    findings
}

fn build(prep: &Prepared, rule: &Rule, pid: u32, group: &[(usize, bool)]) -> Option<Finding> {
    let events = prep.events;
    let idx: Vec<usize> = group.iter().map(|&(i, _)| i).collect();
    idx.first()?;
    let mut severity = rule.info.severity;
    let all_failed = idx.iter().all(|&i| events[i].is_error());
    if all_failed {
        severity = severity.lower();
    }
    if group.iter().any(|&(_, esc)| esc) {
        severity = severity.higher();
    }
    let mut targets: BTreeSet<String> = BTreeSet::new();
    if !rule.target_keys.is_empty() {
        for &i in &idx {
            if let Some(req) = events[i].request() {
                for key in rule.target_keys {
                    match get_key(&req, key) {
                        Some(Value::String(s)) => {
                            targets.insert(s.clone());
                        }
                        Some(v @ (Value::Array(_) | Value::Object(_))) => {
                            any_string(v, None, &mut |_, s| {
                                targets.insert(s.to_string());
                                false
                            });
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    let mut evidence: Map<String, Value> = common_evidence(events, &idx);
    if !targets.is_empty() {
        evidence.insert("targets".into(), json_set(targets.iter().cloned()));
    }
    let failed = idx.iter().filter(|&&i| events[i].is_error()).count();
    if failed > 0 {
        evidence.insert("failed_attempts".into(), Value::from(failed));
    }
    let principal = prep.principal(pid).map(str::to_string);
    let actor_set: BTreeSet<String> = idx.iter().filter_map(|&i| events[i].actor()).collect();
    let actor = (!actor_set.is_empty()).then(|| actor_set.into_iter().collect::<Vec<_>>().join(","));
    let names: BTreeSet<&str> = idx.iter().map(|&i| events[i].event_name.as_str()).collect();
    let summary = rule
        .summary
        .replace("{actor}", actor.as_deref().or(principal.as_deref()).unwrap_or("unknown principal"))
        .replace("{principal}", principal.as_deref().unwrap_or("unknown principal"))
        .replace("{count}", &idx.len().to_string())
        .replace("{events}", &names.into_iter().collect::<Vec<_>>().join(", "))
        .replace(
            "{targets}",
            &if targets.is_empty() {
                "(unnamed)".to_string()
            } else {
                targets.into_iter().collect::<Vec<_>>().join(", ")
            },
        );
    FindingDraft { info: &rule.info, severity, principal, actor, summary, evidence }.build(events, &idx)
}
