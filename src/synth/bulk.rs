//! Bulk mode (`--events N`): a large synthetic account for benchmarks. Files are independent
//! (each has its own PRNG stream derived from the seed and its index), so they are generated
//! in parallel and streamed to disk one record at a time; the output does not depend on the
//! number of threads.

use std::path::Path;

use anyhow::Context;
use rayon::prelude::*;
use serde_json::{json, Value};

use super::identity::{self, Actor, RoleSession};
use super::record::{Record, Resource};
use super::rng::{stable_id, Rng};
use super::writer::{log_file_name, trail_dir, write_pretty, write_records, Written};

pub(super) const ACCOUNT: &str = "210987654321";
const REGIONS: &[&str] = &["us-east-1", "eu-west-1", "us-west-2", "eu-central-1", "ap-southeast-1"];
pub(super) const DAY: i64 = 86_400;

/// How an operation is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Mgmt,
    S3Object,
    S3List,
    Ddb,
    Invoke,
}

/// An API operation of a workload: service, event name, IAM action, kind.
#[derive(Debug, Clone, Copy)]
struct Op(&'static str, &'static str, &'static str, Kind);

/// A kind of workload: what its principals do (and are allowed to do), and what they try in vain.
struct Profile {
    name: &'static str,
    ops: &'static [Op],
    refused: &'static [Op],
}

use Kind::*;

const PROFILES: &[Profile] = &[
    Profile {
        name: "data-pipeline",
        ops: &[
            Op("s3", "GetObject", "s3:GetObject", S3Object),
            Op("s3", "GetObject", "s3:GetObject", S3Object),
            Op("s3", "PutObject", "s3:PutObject", S3Object),
            Op("s3", "ListObjects", "s3:ListBucket", S3List),
            Op("s3", "HeadObject", "s3:GetObject", S3Object),
            Op("glue", "GetTable", "glue:GetTable", Mgmt),
            Op("athena", "StartQueryExecution", "athena:StartQueryExecution", Mgmt),
            Op("athena", "GetQueryExecution", "athena:GetQueryExecution", Mgmt),
            Op("kms", "Decrypt", "kms:Decrypt", Mgmt),
        ],
        refused: &[Op("s3", "DeleteObject", "s3:DeleteObject", S3Object)],
    },
    Profile {
        name: "web-app",
        ops: &[
            Op("dynamodb", "GetItem", "dynamodb:GetItem", Ddb),
            Op("dynamodb", "GetItem", "dynamodb:GetItem", Ddb),
            Op("dynamodb", "PutItem", "dynamodb:PutItem", Ddb),
            Op("dynamodb", "Query", "dynamodb:Query", Ddb),
            Op("s3", "GetObject", "s3:GetObject", S3Object),
            Op("kms", "Decrypt", "kms:Decrypt", Mgmt),
            Op("ssm", "GetParameters", "ssm:GetParameters", Mgmt),
            Op("secretsmanager", "GetSecretValue", "secretsmanager:GetSecretValue", Mgmt),
            Op("logs", "CreateLogStream", "logs:CreateLogStream", Mgmt),
        ],
        refused: &[Op("dynamodb", "Scan", "dynamodb:Scan", Ddb)],
    },
    Profile {
        name: "ops-readonly",
        ops: &[
            Op("ec2", "DescribeInstances", "ec2:DescribeInstances", Mgmt),
            Op("ec2", "DescribeSecurityGroups", "ec2:DescribeSecurityGroups", Mgmt),
            Op("ec2", "DescribeVolumes", "ec2:DescribeVolumes", Mgmt),
            Op("monitoring", "GetMetricData", "cloudwatch:GetMetricData", Mgmt),
            Op("monitoring", "DescribeAlarms", "cloudwatch:DescribeAlarms", Mgmt),
            Op("logs", "DescribeLogGroups", "logs:DescribeLogGroups", Mgmt),
            Op("logs", "FilterLogEvents", "logs:FilterLogEvents", Mgmt),
            Op("s3", "ListBuckets", "s3:ListAllMyBuckets", Mgmt),
            Op("cloudtrail", "LookupEvents", "cloudtrail:LookupEvents", Mgmt),
            Op("iam", "ListRoles", "iam:ListRoles", Mgmt),
        ],
        refused: &[
            Op("ec2", "StopInstances", "ec2:StopInstances", Mgmt),
            Op("iam", "CreateAccessKey", "iam:CreateAccessKey", Mgmt),
        ],
    },
    Profile {
        name: "deployer",
        ops: &[
            Op("lambda", "GetFunction20150331v2", "lambda:GetFunction", Mgmt),
            Op("lambda", "UpdateFunctionCode20150331v2", "lambda:UpdateFunctionCode", Mgmt),
            Op("lambda", "ListFunctions20150331", "lambda:ListFunctions", Mgmt),
            Op("cloudformation", "DescribeStacks", "cloudformation:DescribeStacks", Mgmt),
            Op("cloudformation", "DescribeStackEvents", "cloudformation:DescribeStackEvents", Mgmt),
            Op("s3", "PutObject", "s3:PutObject", S3Object),
            Op("ecr", "DescribeRepositories", "ecr:DescribeRepositories", Mgmt),
            Op("ecs", "DescribeServices", "ecs:DescribeServices", Mgmt),
            Op("ecs", "UpdateService", "ecs:UpdateService", Mgmt),
        ],
        refused: &[Op("iam", "CreateRole", "iam:CreateRole", Mgmt)],
    },
    Profile {
        name: "queue-worker",
        ops: &[
            Op("lambda", "Invoke", "lambda:InvokeFunction", Invoke),
            Op("dynamodb", "UpdateItem", "dynamodb:UpdateItem", Ddb),
            Op("dynamodb", "GetItem", "dynamodb:GetItem", Ddb),
            Op("sns", "Publish", "sns:Publish", Mgmt),
            Op("kms", "GenerateDataKey", "kms:GenerateDataKey", Mgmt),
            Op("s3", "PutObject", "s3:PutObject", S3Object),
        ],
        refused: &[Op("sns", "CreateTopic", "sns:CreateTopic", Mgmt)],
    },
];

/// A synthetic principal of the bulk account.
pub(super) struct Principal {
    name: String,
    is_role: bool,
    profile: usize,
    ua: &'static str,
    ip: String,
    /// The bucket (and table, function, ... name stem) the principal works on.
    bucket: String,
}

const UAS: &[&str] = &[
    "aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux#6.5.0-41-generic md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off",
    "Boto3/1.34.162 md/Botocore#1.34.162 ua/2.0 os/linux#5.10.223-211.872.amzn2.x86_64 md/arch#x86_64 lang/python#3.9.19 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.162",
    "aws-sdk-java/2.25.60 Linux/5.10.219-208.866.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS Java/17.0.11 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/standard",
    "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.58.2",
    "aws-sdk-js/3.614.0 ua/2.1 os/linux#5.10.219 lang/js md/nodejs#20.15.1 api/dynamodb#3.614.0",
];

pub(super) fn principals(n: u32) -> Vec<Principal> {
    (0..n)
        .map(|i| {
            let mut r = Rng::derive(0xb01c, &format!("p{i}"));
            let is_role = i % 5 != 0;
            let name = if is_role { format!("svc-role-{i:04}") } else { format!("user-{i:04}") };
            let ip = if is_role {
                format!("10.{}.{}.{}", r.below(8), r.below(256), 1 + r.below(254))
            } else {
                format!("198.51.100.{}", 1 + r.below(254))
            };
            let profile = r.below(PROFILES.len() as u64) as usize;
            let bucket = format!("bulk-{}-{}", PROFILES[profile].name, i % 7);
            Principal { name, is_role, profile, ua: UAS[r.below(UAS.len() as u64) as usize], ip, bucket }
        })
        .collect()
}

/// The actor of principal `p` on day `day`: role sessions get a new key per day.
fn actor(p: &Principal, day: i64, start: i64, account: &str) -> Actor {
    let identity = if p.is_role {
        let mut r = Rng::derive(day as u64, &p.name);
        RoleSession {
            account: account.to_owned(),
            role_name: p.name.clone(),
            role_path: "/bulk/".into(),
            session_name: format!("i-0{}", r.hex(16)),
            key: format!("ASIA{}", r.upper_alnum(16)),
            created: start + day * DAY + r.range(0, 3_600),
            mfa: false,
            ec2_role_delivery: true,
        }
        .identity()
    } else {
        identity::iam_user(account, &p.name, &identity::user_key(&p.name, 1))
    };
    Actor::new(identity, account, &p.ip, p.ua)
}

fn params(op: &Op, region: &str, bucket: &str, r: &mut Rng, account: &str) -> (Value, Option<Vec<Resource>>) {
    let Op(svc, name, _, kind) = *op;
    match kind {
        S3Object => {
            let key = format!("data/{}/part-{:05}.parquet", r.below(400), r.below(100_000));
            (
                json!({"bucketName": bucket, "Host": format!("{bucket}.s3.{region}.amazonaws.com"), "key": key}),
                Some(identity::s3_object_resources(account, bucket, &key)),
            )
        }
        S3List => (
            json!({"bucketName": bucket, "Host": format!("{bucket}.s3.{region}.amazonaws.com"), "prefix": format!("data/{}/", r.below(400)), "list-type": "2"}),
            Some(identity::s3_bucket_resources(account, bucket)),
        ),
        Ddb => {
            let table = format!("{bucket}-table");
            (
                json!({"tableName": table, "key": {"pk": {"S": format!("id-{}", r.below(1_000_000))}}}),
                Some(identity::one_resource(
                    account,
                    "AWS::DynamoDB::Table",
                    format!("arn:aws:dynamodb:{region}:{account}:table/{table}"),
                )),
            )
        }
        Invoke => {
            let f = format!("arn:aws:lambda:{region}:{account}:function:{bucket}-worker");
            (
                json!({"functionName": f, "invocationType": "Event"}),
                Some(identity::one_resource(account, "AWS::Lambda::Function", f)),
            )
        }
        Mgmt => {
            let v = match (svc, name) {
                ("ec2", _) => json!({"instancesSet": {}, "filterSet": {}}),
                ("kms", _) => {
                    json!({"keyId": format!("arn:aws:kms:{region}:{account}:key/{}", stable_id("", bucket, 8).to_lowercase()), "encryptionAlgorithm": "SYMMETRIC_DEFAULT"})
                }
                ("lambda", "ListFunctions20150331") => Value::Null,
                ("lambda", _) => json!({"functionName": format!("{bucket}-fn")}),
                ("logs", _) => json!({"logGroupName": format!("/bulk/{bucket}"), "limit": 50}),
                ("ssm", _) => json!({"names": [format!("/bulk/{bucket}/config")], "withDecryption": true}),
                ("secretsmanager", _) => json!({"secretId": format!("bulk/{bucket}")}),
                ("cloudformation", _) => json!({"stackName": format!("{bucket}-stack")}),
                ("s3", _) => json!({"Host": format!("s3.{region}.amazonaws.com")}),
                ("iam", "CreateAccessKey") => json!({"userName": "admin"}),
                ("iam", "CreateRole") => json!({"roleName": format!("{bucket}-new"), "assumeRolePolicyDocument": "{}"}),
                ("sns", _) => json!({"topicArn": format!("arn:aws:sns:{region}:{account}:{bucket}")}),
                _ => json!({"maxResults": 50}),
            };
            (v, None)
        }
    }
}

/// One event of file `r`'s principal mix at time `t`, recorded by `account`'s trail.
#[allow(clippy::too_many_arguments)]
pub(super) fn event(
    ps: &[Principal],
    actors: &mut [(i64, Option<Actor>)],
    r: &mut Rng,
    region: &str,
    t: i64,
    day: i64,
    start: i64,
    account: &str,
) -> Record {
    let x = r.below(1000);
    let pi = r.below(ps.len() as u64) as usize;
    let p = &ps[pi];
    // Cache one actor per principal, day and account (cloning the identity is cheaper than
    // rebuilding).
    if actors[pi].0 != day || !actors[pi].1.as_ref().is_some_and(|a| a.account == account) {
        actors[pi] = (day, Some(actor(p, day, start, account)));
    }
    let a = actors[pi].1.as_ref().expect("cached");
    let bucket = &p.bucket;
    if x < 8 {
        // Console sign-in of a user (principals are mostly roles: use a user slot).
        let name = format!("user-{:04}", (pi / 5) * 5);
        let mut rec = identity::call(r, a, t, "us-east-1", "signin", "ConsoleLogin", Value::Null);
        rec.user_identity = identity::user_signin(account, &name, true).into();
        rec.event_type = "AwsConsoleSignIn";
        rec.request_id = None;
        rec.read_only = false;
        let ok = x >= 2;
        rec.response_elements = json!({"ConsoleLogin": if ok { "Success" } else { "Failure" }});
        rec.additional_event_data = Some(
            json!({"MFAUsed": if x & 1 == 0 { "Yes" } else { "No" }, "MobileVersion": "No", "LoginTo": "https://console.aws.amazon.com/console/home"}),
        );
        if !ok {
            rec.error_message = Some("Failed authentication".into());
        }
        return rec;
    }
    if x < 60 && p.is_role {
        // The service refreshing the role's credentials.
        let svc = "ec2.amazonaws.com";
        let sa = Actor::new(identity::service(svc), account, svc, svc);
        let arn = identity::role_arn(account, "/bulk/", &p.name);
        let session = format!("i-0{}", r.hex(16));
        let mut rec =
            identity::call(r, &sa, t, region, "sts", "AssumeRole", json!({"roleArn": arn, "roleSessionName": session}));
        rec.read_only = false;
        rec.resources = Some(identity::one_resource(account, "AWS::IAM::Role", arn));
        rec.response_elements = json!({"credentials": {"accessKeyId": format!("ASIA{}", r.upper_alnum(16)), "expiration": super::record::fmt_expiration(t + 21_600)}});
        return rec;
    }
    let profile = &PROFILES[p.profile];
    let (op, refused) = if x < 90 {
        (profile.refused[r.below(profile.refused.len() as u64) as usize], true)
    } else if x < 130 {
        (Op("sts", "GetCallerIdentity", "sts:GetCallerIdentity", Mgmt), false)
    } else {
        (profile.ops[r.below(profile.ops.len() as u64) as usize], false)
    };
    let (v, resources) = params(&op, region, bucket, r, account);
    let mut rec = identity::call(r, a, t, region, op.0, op.1, v);
    if let Some(res) = resources {
        if op.3 == Mgmt {
            rec.resources = Some(res);
        } else {
            rec.data(res);
            if op.1 == "Invoke" {
                rec.read_only(false);
            }
        }
    }
    if refused {
        let who = a.identity.arn.clone().unwrap_or_default();
        let code = match op.0 {
            "ec2" => "Client.UnauthorizedOperation",
            "s3" | "iam" | "sns" => "AccessDenied",
            _ => "AccessDeniedException",
        };
        rec.fail(
            code,
            format!(
                "User: {who} is not authorized to perform: {} because no identity-based policy allows the {} action",
                op.2, op.2
            ),
        );
    }
    rec
}

pub(super) fn day_start(start: &str) -> anyhow::Result<i64> {
    let d = chrono::NaiveDate::parse_from_str(start, "%Y-%m-%d")
        .with_context(|| format!("--start {start}: expected YYYY-MM-DD"))?;
    Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp())
}

/// Writes file `idx` of the bulk corpus; returns its stats.
#[allow(clippy::too_many_arguments)]
fn write_file(
    out: &Path,
    idx: u64,
    n: u64,
    ps: &[Principal],
    start: i64,
    days: i64,
    seed: u64,
    level: u32,
) -> anyhow::Result<Written> {
    let mut r = Rng::derive(seed, &format!("bulk-file-{idx}"));
    let region = REGIONS[(idx % REGIONS.len() as u64) as usize];
    let per_region = idx / REGIONS.len() as u64;
    let day = (per_region % days as u64) as i64;
    // Later files of the same region and day move on through the day, 17 minutes apart.
    let offset = ((per_region / days as u64) as i64 * 1_020) % (DAY - 1_200);
    let t0 = start + day * DAY + offset;
    let window = 300 + r.range(0, 600);
    let mut times: Vec<i64> = (0..n).map(|_| t0 + r.range(0, window)).collect();
    times.sort_unstable();
    let last = times.last().copied().unwrap_or(t0);
    let stamp = (last / 300 + 1) * 300;
    let path = trail_dir(out, None, ACCOUNT, region, t0).join(log_file_name(ACCOUNT, region, stamp, &r.alnum(16)));
    let mut actors: Vec<(i64, Option<Actor>)> = (0..ps.len()).map(|_| (-1, None)).collect();
    let records = times.iter().map(|&t| Ok(event(ps, &mut actors, &mut r, region, t, day, start, ACCOUNT)));
    let bytes = write_records(&path, records, level, true)?;
    Ok(Written { files: 1, events: n, bytes })
}

/// Authorization details for the bulk principals: each allowed exactly its profile's actions.
pub(super) fn authorization_details(ps: &[Principal], account: &str) -> Value {
    let doc = |p: &Principal| {
        let mut actions: Vec<&str> = PROFILES[p.profile].ops.iter().map(|o| o.2).collect();
        actions.sort_unstable();
        actions.dedup();
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]})
    };
    let users: Vec<Value> = ps.iter().filter(|p| !p.is_role).map(|p| json!({
        "Path": "/", "UserName": p.name, "UserId": identity::user_id(&p.name), "Arn": identity::user_arn(account, &p.name),
        "CreateDate": "2025-01-01T00:00:00+00:00", "GroupList": [], "AttachedManagedPolicies": [], "Tags": [],
        "UserPolicyList": [{"PolicyName": PROFILES[p.profile].name, "PolicyDocument": doc(p)}],
    })).collect();
    let roles: Vec<Value> = ps.iter().filter(|p| p.is_role).map(|p| json!({
        "Path": "/bulk/", "RoleName": p.name, "RoleId": identity::role_id(&p.name), "Arn": identity::role_arn(account, "/bulk/", &p.name),
        "CreateDate": "2025-01-01T00:00:00+00:00",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "InstanceProfileList": [], "AttachedManagedPolicies": [], "Tags": [], "RoleLastUsed": {},
        "RolePolicyList": [{"PolicyName": PROFILES[p.profile].name, "PolicyDocument": doc(p)}],
    })).collect();
    json!({"UserDetailList": users, "GroupDetailList": [], "RoleDetailList": roles, "Policies": []})
}

pub fn generate(args: &super::SynthArgs) -> anyhow::Result<Written> {
    let start = day_start(&args.start)?;
    let days = i64::from(args.days.max(1));
    let per_file = args.events_per_file.max(1);
    let ps = principals(args.principals.max(1));
    let files = args.events.div_ceil(per_file);
    let level = args.gzip_level.clamp(1, 9);
    let total = (0..files)
        .into_par_iter()
        .map(|idx| {
            let n = per_file.min(args.events - idx * per_file);
            write_file(&args.out, idx, n, &ps, start, days, args.seed, level)
        })
        .try_reduce(Written::default, |mut a, b| {
            a.add(b);
            Ok(a)
        })?;
    let mut w = total;
    w.bytes +=
        write_pretty(&args.out.join("iam").join("authorization-details.json"), &authorization_details(&ps, ACCOUNT))?;
    w.files += 1;
    Ok(w)
}
