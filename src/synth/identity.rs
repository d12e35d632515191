//! `userIdentity` blocks of the principal kinds CloudTrail records, and the calling context
//! (an [`Actor`]) that turns an API call into a [`Record`].

use serde_json::Value;

use super::record::{
    fmt_time, is_read_only, tls, Empty, Ident, Record, Resource, SessionAttributes, SessionContext, SessionIssuer,
    UserIdentity,
};
use super::rng::{stable_id, Rng};

pub fn user_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:user/{name}")
}

/// Role ARN; `path` is `/` or `/x/y/`.
pub fn role_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:role{path}{name}")
}

pub fn user_id(name: &str) -> String {
    stable_id("AIDA", name, 17)
}

pub fn role_id(name: &str) -> String {
    stable_id("AROA", name, 17)
}

/// A long-term access key id of a user (`n` distinguishes several keys).
pub fn user_key(name: &str, n: u32) -> String {
    stable_id("AKIA", &format!("{name}#{n}"), 16)
}

fn mfa(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// An IAM user calling with a long-term access key.
pub fn iam_user(account: &str, name: &str, key: &str) -> UserIdentity {
    UserIdentity {
        principal_id: Some(user_id(name)),
        arn: Some(user_arn(account, name)),
        account_id: Some(account.into()),
        access_key_id: Some(key.into()),
        user_name: Some(name.into()),
        ..UserIdentity::bare("IAMUser")
    }
}

fn plain_session(created: i64, mfa_used: bool) -> SessionContext {
    SessionContext {
        session_issuer: SessionIssuer::default(),
        web_id_federation_data: Empty {},
        attributes: SessionAttributes { creation_date: fmt_time(created), mfa_authenticated: mfa(mfa_used) },
        source_identity: None,
        ec2_role_delivery: None,
    }
}

/// An IAM user in a console session (temporary `ASIA` key).
pub fn console_user(account: &str, name: &str, session_key: &str, created: i64, mfa_used: bool) -> UserIdentity {
    UserIdentity {
        access_key_id: Some(session_key.into()),
        session_context: Some(plain_session(created, mfa_used)),
        ..iam_user(account, name, session_key)
    }
}

/// The root user in a console session.
pub fn root_console(account: &str, session_key: &str, created: i64, mfa_used: bool) -> UserIdentity {
    UserIdentity {
        principal_id: Some(account.into()),
        arn: Some(format!("arn:aws:iam::{account}:root")),
        account_id: Some(account.into()),
        access_key_id: Some(session_key.into()),
        session_context: Some(plain_session(created, mfa_used)),
        ..UserIdentity::bare("Root")
    }
}

/// The root user before sign-in completes (ConsoleLogin).
pub fn root_signin(account: &str) -> UserIdentity {
    UserIdentity {
        principal_id: Some(account.into()),
        arn: Some(format!("arn:aws:iam::{account}:root")),
        account_id: Some(account.into()),
        ..UserIdentity::bare("Root")
    }
}

/// An IAM user before sign-in completes (ConsoleLogin); unknown users have no principal id.
pub fn user_signin(account: &str, name: &str, exists: bool) -> UserIdentity {
    UserIdentity {
        principal_id: Some(if exists { user_id(name) } else { String::new() }),
        arn: exists.then(|| user_arn(account, name)),
        account_id: Some(account.into()),
        user_name: Some(name.into()),
        ..UserIdentity::bare("IAMUser")
    }
}

/// A role being used: what a role session looks like in CloudTrail.
#[derive(Debug, Clone)]
pub struct RoleSession {
    pub account: String,
    pub role_name: String,
    pub role_path: String,
    pub session_name: String,
    pub key: String,
    pub created: i64,
    pub mfa: bool,
    pub ec2_role_delivery: bool,
}

impl RoleSession {
    pub fn role_arn(&self) -> String {
        role_arn(&self.account, &self.role_path, &self.role_name)
    }

    pub fn assumed_arn(&self) -> String {
        format!("arn:aws:sts::{}:assumed-role/{}/{}", self.account, self.role_name, self.session_name)
    }

    pub fn assumed_id(&self) -> String {
        format!("{}:{}", role_id(&self.role_name), self.session_name)
    }

    pub fn identity(&self) -> UserIdentity {
        UserIdentity {
            principal_id: Some(self.assumed_id()),
            arn: Some(self.assumed_arn()),
            account_id: Some(self.account.clone()),
            access_key_id: Some(self.key.clone()),
            session_context: Some(SessionContext {
                session_issuer: SessionIssuer {
                    kind: Some("Role"),
                    principal_id: Some(role_id(&self.role_name)),
                    arn: Some(self.role_arn()),
                    account_id: Some(self.account.clone()),
                    user_name: Some(self.role_name.clone()),
                },
                web_id_federation_data: Empty {},
                attributes: SessionAttributes {
                    creation_date: fmt_time(self.created),
                    mfa_authenticated: mfa(self.mfa),
                },
                source_identity: None,
                ec2_role_delivery: self.ec2_role_delivery.then_some("2.0"),
            }),
            ..UserIdentity::bare("AssumedRole")
        }
    }
}

/// An AWS service acting itself (e.g. `lambda.amazonaws.com` assuming an execution role).
pub fn service(svc: &str) -> UserIdentity {
    UserIdentity { invoked_by: Some(svc.into()), ..UserIdentity::bare("AWSService") }
}

/// A principal of another account, as the called account sees it.
pub fn aws_account(principal_id: &str, account: &str) -> UserIdentity {
    UserIdentity {
        principal_id: Some(principal_id.into()),
        account_id: Some(account.into()),
        ..UserIdentity::bare("AWSAccount")
    }
}

/// A SAML-federated user (IAM Identity Center) calling AssumeRoleWithSAML.
pub fn saml_user(name: &str, provider_hash: &str) -> UserIdentity {
    UserIdentity {
        principal_id: Some(format!("{provider_hash}:{name}")),
        user_name: Some(name.into()),
        identity_provider: Some(provider_hash.into()),
        ..UserIdentity::bare("SAMLUser")
    }
}

/// Who calls, from where, with which client.
#[derive(Debug, Clone)]
pub struct Actor {
    pub identity: Ident,
    /// The account whose trail records the call.
    pub account: String,
    pub ip: String,
    pub user_agent: String,
    /// Console sessions mark their calls `sessionCredentialFromConsole`.
    pub console: bool,
    /// Calls through a VPC endpoint carry its id.
    pub vpce: Option<String>,
}

impl Actor {
    pub fn new(identity: UserIdentity, account: &str, ip: &str, user_agent: &str) -> Self {
        Actor {
            identity: identity.into(),
            account: account.into(),
            ip: ip.into(),
            user_agent: user_agent.into(),
            console: false,
            vpce: None,
        }
    }

    /// The same principal with `invokedBy` set: a service calling on its behalf.
    pub fn via_service(&self, svc: &str) -> Actor {
        let mut identity = UserIdentity::clone(&self.identity);
        identity.invoked_by = Some(svc.into());
        let identity = Ident::from(identity);
        Actor {
            identity,
            account: self.account.clone(),
            ip: svc.into(),
            user_agent: svc.into(),
            console: false,
            vpce: None,
        }
    }

    fn is_service_call(&self) -> bool {
        self.ip.ends_with(".amazonaws.com")
    }
}

/// Global services whose endpoint has no region.
fn host(service: &str, region: &str) -> String {
    match service {
        "iam" | "cloudfront" | "organizations" | "signin" => format!("{service}.amazonaws.com"),
        _ => format!("{service}.{region}.amazonaws.com"),
    }
}

/// A management API call by `actor` (success, no response); adjust with the `Record` helpers.
pub fn call(rng: &mut Rng, actor: &Actor, t: i64, region: &str, service: &str, name: &str, params: Value) -> Record {
    Record {
        event_version: "1.09",
        user_identity: actor.identity.clone(),
        event_time: fmt_time(t),
        event_source: format!("{service}.amazonaws.com"),
        event_name: name.into(),
        aws_region: region.into(),
        source_ip_address: actor.ip.clone(),
        user_agent: actor.user_agent.clone(),
        error_code: None,
        error_message: None,
        request_parameters: params,
        response_elements: Value::Null,
        additional_event_data: None,
        request_id: Some(rng.uuid()),
        event_id: rng.uuid(),
        read_only: is_read_only(name),
        resources: None,
        event_type: "AwsApiCall",
        api_version: None,
        management_event: true,
        recipient_account_id: actor.account.clone(),
        shared_event_id: None,
        vpc_endpoint_id: actor.vpce.clone(),
        vpc_endpoint_account_id: None,
        event_category: "Management",
        tls_details: (!actor.is_service_call()).then(|| tls(host(service, region))),
        session_credential_from_console: actor.console,
    }
}

impl Record {
    /// The call failed: CloudTrail keeps the request and drops the response.
    pub fn fail(&mut self, code: &str, message: String) -> &mut Self {
        self.error_code = Some(code.into());
        self.error_message = Some(message);
        self.response_elements = Value::Null;
        self
    }

    pub fn respond(&mut self, v: Value) -> &mut Self {
        self.response_elements = v;
        self
    }

    pub fn extra_data(&mut self, v: Value) -> &mut Self {
        self.additional_event_data = Some(v);
        self
    }

    pub fn with_resources(&mut self, r: Vec<Resource>) -> &mut Self {
        self.resources = Some(r);
        self
    }

    /// Turns the call into a data event.
    pub fn data(&mut self, resources: Vec<Resource>) -> &mut Self {
        self.event_category = "Data";
        self.management_event = false;
        self.event_version = "1.10";
        self.resources = Some(resources);
        self
    }

    pub fn read_only(&mut self, b: bool) -> &mut Self {
        self.read_only = b;
        self
    }

    pub fn shared(&mut self, id: String) -> &mut Self {
        self.shared_event_id = Some(id);
        self
    }
}

/// The `resources` of an S3 object data event.
pub fn s3_object_resources(account: &str, bucket: &str, key: &str) -> Vec<Resource> {
    vec![
        Resource { account_id: None, kind: "AWS::S3::Object", arn: format!("arn:aws:s3:::{bucket}/{key}") },
        Resource { account_id: Some(account.into()), kind: "AWS::S3::Bucket", arn: format!("arn:aws:s3:::{bucket}") },
    ]
}

pub fn s3_bucket_resources(account: &str, bucket: &str) -> Vec<Resource> {
    vec![Resource { account_id: Some(account.into()), kind: "AWS::S3::Bucket", arn: format!("arn:aws:s3:::{bucket}") }]
}

pub fn one_resource(account: &str, kind: &'static str, arn: String) -> Vec<Resource> {
    vec![Resource { account_id: Some(account.into()), kind, arn }]
}
