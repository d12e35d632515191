//! The curated sample scenario (`--events 0`): 45 days of Example Corp's routine, then an
//! incident week. See `sample-logs/SCENARIO.md` (written from the same run) for the story.

mod baseline;
pub mod cast;
mod incidents;
mod output;
pub mod people;
mod techniques;
mod truth;

use std::path::Path;

use serde_json::{json, Value};

use super::identity::{self, Actor, RoleSession};
use super::record::{fmt_expiration, Record};
use super::rng::Rng;
use super::writer::Written;
use cast::*;

/// One generated event with what the ground truth needs to know about it.
#[derive(Debug, Clone)]
pub struct Ev {
    pub t: i64,
    pub region: String,
    pub rec: Record,
    /// Short principal label (`user/bob`, `role/app-server-role`, ...), see SCENARIO.md.
    pub principal: String,
    /// Incident ids the event belongs to (empty: baseline routine).
    pub tags: Vec<&'static str>,
}

/// A principal's run of calls: identity, client, region and a clock that advances per call.
#[derive(Debug, Clone)]
pub struct Sess {
    pub actor: Actor,
    pub principal: String,
    pub region: &'static str,
    pub t: i64,
}

/// Why a call was refused (shapes the error message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    NoIdentityAllow,
    Scp,
    ResourcePolicy,
}

/// The generator's state: the PRNG, the events so far and the incident tags to attach.
pub struct Sc {
    pub rng: Rng,
    pub events: Vec<Ev>,
    pub tags: Vec<&'static str>,
    /// Per day: the role sessions of instance A, instance B and the Lambda function.
    pub day_sessions: Vec<Vec<RoleSession>>,
    /// Seconds between two calls of a session (scripted attacks are faster than people).
    pub pace: (i64, i64),
}

impl Sc {
    pub fn new(seed: u64) -> Self {
        Sc {
            rng: Rng::derive(seed, "scenario"),
            events: Vec::new(),
            tags: Vec::new(),
            day_sessions: Vec::new(),
            pace: (2, 35),
        }
    }

    /// Adds a finished record at time `t`.
    pub fn push(&mut self, principal: &str, region: &str, t: i64, rec: Record) -> &mut Record {
        self.events.push(Ev { t, region: region.into(), rec, principal: principal.into(), tags: self.tags.clone() });
        &mut self.events.last_mut().expect("just pushed").rec
    }

    /// The next call of a session, a few seconds after its previous one.
    pub fn call(&mut self, s: &mut Sess, service: &str, name: &str, params: Value) -> &mut Record {
        s.t += self.rng.range(self.pace.0, self.pace.1);
        let rec = identity::call(&mut self.rng, &s.actor, s.t, s.region, service, name, params);
        let (principal, region, t) = (s.principal.clone(), s.region, s.t);
        self.push(&principal, region, t, rec)
    }

    /// A call that was refused by policy.
    #[allow(clippy::too_many_arguments)]
    pub fn denied(
        &mut self,
        s: &mut Sess,
        service: &str,
        name: &str,
        params: Value,
        action: &str,
        resource: &str,
        why: Denial,
    ) -> &mut Record {
        let who = s.actor.identity.arn.clone().unwrap_or_default();
        let reason = match why {
            Denial::NoIdentityAllow => {
                format!("because no identity-based policy allows the {action} action")
            }
            Denial::Scp => "with an explicit deny in a service control policy".to_string(),
            Denial::ResourcePolicy => "with an explicit deny in a resource-based policy".to_string(),
        };
        let base = format!("User: {who} is not authorized to perform: {action} on resource: {resource} {reason}");
        let (code, message) = match service {
            "ec2" => {
                let encoded = self.rng.alnum(120);
                (
                    "Client.UnauthorizedOperation",
                    format!("You are not authorized to perform this operation. {base}. Encoded authorization failure message: {encoded}"),
                )
            }
            "iam" | "sts" | "s3" | "sns" | "sqs" | "rds" | "monitoring" | "ec2messages" => ("AccessDenied", base),
            _ => ("AccessDeniedException", base),
        };
        let rec = self.call(s, service, name, params);
        rec.fail(code, message);
        rec
    }

    /// S3 object-level data event (GetObject, PutObject, DeleteObject, HeadObject).
    pub fn s3_object(&mut self, s: &mut Sess, name: &str, bucket: &str, key: &str) -> &mut Record {
        let mut params =
            json!({"bucketName": bucket, "Host": format!("{bucket}.s3.{}.amazonaws.com", s.region), "key": key});
        if name == "PutObject" {
            params["x-amz-server-side-encryption"] = json!("AES256");
        }
        let bytes_in = if name == "PutObject" { self.rng.range(2_000, 900_000) } else { 0 };
        let bytes_out = if name == "GetObject" { self.rng.range(1_000, 2_500_000) } else { 0 };
        let rec = self.call(s, "s3", name, params);
        rec.data(identity::s3_object_resources(ACCOUNT, bucket, key)).extra_data(json!({
            "SignatureVersion": "SigV4",
            "CipherSuite": "TLS_AES_128_GCM_SHA256",
            "bytesTransferredIn": bytes_in,
            "bytesTransferredOut": bytes_out,
            "AuthenticationMethod": "AuthHeader",
            "x-amz-id-2": "Hb2Zp7kq1nT0wBd9Yf3sXc8RrJm5Lv4Ga6Ue2Oi0Ny7=",
        }));
        rec.read_only(name == "GetObject" || name == "HeadObject");
        if name == "PutObject" {
            rec.respond(json!({"x-amz-server-side-encryption": "AES256"}));
        }
        rec
    }

    /// S3 ListObjects (a bucket-level data event).
    pub fn s3_list(&mut self, s: &mut Sess, bucket: &str, prefix: &str) -> &mut Record {
        let params = json!({"bucketName": bucket, "Host": format!("{bucket}.s3.{}.amazonaws.com", s.region), "prefix": prefix, "list-type": "2", "delimiter": "/"});
        let rec = self.call(s, "s3", "ListObjects", params);
        rec.data(identity::s3_bucket_resources(ACCOUNT, bucket))
            .extra_data(json!({"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": 0, "bytesTransferredOut": 3_412, "AuthenticationMethod": "AuthHeader"}));
        rec.read_only(true);
        rec
    }

    /// S3 bucket-level management call (ListBuckets, GetBucketLocation, GetBucketPolicy, ...).
    pub fn s3_bucket(&mut self, s: &mut Sess, name: &str, bucket: Option<&str>, extra: Value) -> &mut Record {
        let mut params = match bucket {
            Some(b) => json!({"bucketName": b, "Host": format!("{b}.s3.{}.amazonaws.com", s.region)}),
            None => json!({"Host": format!("s3.{}.amazonaws.com", s.region)}),
        };
        if let (Some(obj), Value::Object(more)) = (params.as_object_mut(), extra) {
            obj.extend(more);
        }
        let rec = self.call(s, "s3", name, params);
        if let Some(b) = bucket {
            rec.with_resources(identity::s3_bucket_resources(ACCOUNT, b));
        }
        rec.extra_data(json!({"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "AuthenticationMethod": "AuthHeader"}));
        rec
    }

    /// DynamoDB item-level data event.
    pub fn ddb_item(&mut self, s: &mut Sess, name: &str, table: &str) -> &mut Record {
        let id = self.rng.range(100_000, 999_999);
        let params = match name {
            "Query" => json!({"tableName": table, "keyConditionExpression": "customerId = :c", "limit": 50}),
            "Scan" => json!({"tableName": table, "limit": 100}),
            _ => json!({"tableName": table, "key": {"orderId": {"S": format!("ord-{id}")}}}),
        };
        let region = s.region;
        let rec = self.call(s, "dynamodb", name, params);
        rec.data(identity::one_resource(ACCOUNT, "AWS::DynamoDB::Table", table_arn(region, table)));
        rec
    }

    /// SQS message-level data event.
    pub fn sqs(&mut self, s: &mut Sess, name: &str) -> &mut Record {
        let params = match name {
            "SendMessage" => json!({"queueUrl": queue_url(), "messageBody": "HIDDEN_DUE_TO_SECURITY_REASONS"}),
            "ReceiveMessage" => json!({"queueUrl": queue_url(), "maxNumberOfMessages": 10, "waitTimeSeconds": 20}),
            _ => json!({"queueUrl": queue_url(), "receiptHandle": "HIDDEN_DUE_TO_SECURITY_REASONS"}),
        };
        let rec = self.call(s, "sqs", name, params);
        rec.data(identity::one_resource(ACCOUNT, "AWS::SQS::Queue", queue_arn()));
        rec
    }

    /// A console sign-in (success or failure) by an IAM user or root.
    #[allow(clippy::too_many_arguments)]
    pub fn console_login(
        &mut self,
        principal: &str,
        who: crate::synth::record::UserIdentity,
        ip: &str,
        ua: &str,
        t: i64,
        mfa: bool,
        ok: bool,
    ) -> &mut Record {
        let actor = Actor::new(who, ACCOUNT, ip, ua);
        let mut rec = identity::call(&mut self.rng, &actor, t, US, "signin", "ConsoleLogin", Value::Null);
        rec.event_type = "AwsConsoleSignIn";
        rec.event_version = "1.09";
        rec.read_only = false;
        rec.request_id = None;
        rec.tls_details = Some(crate::synth::record::tls("signin.aws.amazon.com".into()));
        rec.response_elements = json!({"ConsoleLogin": if ok { "Success" } else { "Failure" }});
        let mut extra = json!({"LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true", "MobileVersion": "No", "MFAUsed": if mfa { "Yes" } else { "No" }});
        if mfa {
            let device = match principal.strip_prefix("user/") {
                Some(name) => name.to_string(),
                None => "root-account-mfa-device".to_string(),
            };
            extra["MFAIdentifier"] = json!(format!("arn:aws:iam::{ACCOUNT}:mfa/{device}"));
            extra["MfaType"] = json!("Virtual MFA");
        }
        rec.additional_event_data = Some(extra);
        if !ok {
            rec.error_message = Some("Failed authentication".into());
        }
        self.push(principal, US, t, rec)
    }

    /// An STS AssumeRole into `session`'s role by `caller` (a principal or a service).
    pub fn assume_role(&mut self, caller: &mut Sess, session: &RoleSession, cross_account: bool) -> &mut Record {
        let params =
            json!({"roleArn": session.role_arn(), "roleSessionName": session.session_name, "durationSeconds": 3600});
        let expiration = fmt_expiration(session.created + HOUR);
        let shared = cross_account.then(|| self.rng.uuid());
        // The AssumeRole event carries the session's creation time.
        caller.t = session.created;
        let pace = std::mem::replace(&mut self.pace, (0, 1));
        self.call(caller, "sts", "AssumeRole", params);
        self.pace = pace;
        let rec = &mut self.events.last_mut().expect("just pushed").rec;
        rec.respond(json!({
            "credentials": {"accessKeyId": session.key, "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLETOKEN", "expiration": expiration},
            "assumedRoleUser": {"assumedRoleId": session.assumed_id(), "arn": session.assumed_arn()},
        }))
        .with_resources(identity::one_resource(ACCOUNT, "AWS::IAM::Role", session.role_arn()));
        rec.read_only = false;
        if let Some(id) = shared {
            rec.shared(id);
        }
        rec
    }

    /// A fresh `ASIA` session key.
    pub fn session_key(&mut self) -> String {
        format!("ASIA{}", self.rng.upper_alnum(16))
    }

    /// A role session starting at `t`.
    pub fn role_session(&mut self, role: &str, path: &str, name: &str, t: i64) -> RoleSession {
        RoleSession {
            account: ACCOUNT.into(),
            role_name: role.into(),
            role_path: path.into(),
            session_name: name.into(),
            key: self.session_key(),
            created: t,
            mfa: false,
            ec2_role_delivery: false,
        }
    }
}

/// Service-initiated session (e.g. `lambda.amazonaws.com` assuming a role).
pub fn service_sess(svc: &str, t: i64) -> Sess {
    Sess {
        actor: Actor::new(identity::service(svc), ACCOUNT, svc, svc),
        principal: format!("service/{svc}"),
        region: US,
        t,
    }
}

/// The documented incident ids.
pub fn truth_ids() -> Vec<&'static str> {
    truth::INCIDENTS.iter().map(|i| i.0).collect()
}

/// The scenario's events in time order (nothing written).
pub fn events(seed: u64) -> Vec<Ev> {
    let mut sc = Sc::new(seed);
    baseline::generate(&mut sc);
    incidents::generate(&mut sc);
    baseline::own_instance(&mut sc, seed);
    // Last, so that the events generated before keep their ids.
    techniques::generate(&mut sc);
    people::generate(&mut sc);
    sc.events.sort_by_key(|e| e.t);
    sc.events
}

/// Builds the sample corpus under `out`.
pub fn generate(out: &Path, seed: u64) -> anyhow::Result<Written> {
    let mut sc = Sc::new(seed);
    sc.events = events(seed);
    let delivery = output::write_all(out, seed, &sc.events)?;
    let mut written = delivery.written;
    let iam = super::iam::write_sample(out, &sc.events)?;
    let truth = truth::write(out, &sc.events, &delivery)?;
    written.files += iam.files + truth.files;
    written.bytes += iam.bytes + truth.bytes;
    Ok(written)
}
