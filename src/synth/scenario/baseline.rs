//! The benign routine of every day (2026-09-01 .. 2026-10-15; it goes on during the incident
//! week). Every successful call here is allowed by the principal's policies in
//! `iam/authorization-details.json`; every error is a real denial by them.

use chrono::Datelike;
use serde_json::json;

use super::cast::*;
use super::{service_sess, Denial, Sc, Sess};
use crate::synth::identity::{self, Actor, RoleSession};

pub(super) fn weekday(d: i64) -> chrono::Weekday {
    chrono::DateTime::from_timestamp(START + d * DAY, 0).unwrap_or_default().weekday()
}

fn is_weekend(d: i64) -> bool {
    matches!(weekday(d), chrono::Weekday::Sat | chrono::Weekday::Sun)
}

fn ymd(d: i64) -> (i32, u32, u32) {
    let dt = chrono::DateTime::from_timestamp(START + d * DAY, 0).unwrap_or_default();
    (dt.year(), dt.month(), dt.day())
}

/// `t` at `hour:minute` of day `d`.
pub(super) fn at(d: i64, hour: i64, minute: i64) -> i64 {
    START + d * DAY + hour * HOUR + minute * MIN
}

pub fn generate(sc: &mut Sc) {
    for d in 0..DAYS {
        let apps = services(sc, d);
        app_server(sc, d, &apps);
        lambda_app(sc, d, &apps[2]);
        sc.day_sessions.push(apps);
        if !is_weekend(d) {
            bob(sc, d);
            alice(sc, d);
            carol(sc, d);
            ci_deployer(sc, d);
            dave(sc, d);
            sso_user(sc, d, "dana@example.com");
            sso_user(sc, d, "erik@example.com");
        }
        if weekday(d) == chrono::Weekday::Mon {
            auditor(sc, d);
        }
    }
    root_early(sc);
    org_admin_benign(sc);
}

/// AWS services at the nightly slot: role sessions for the two app instances and the Lambda
/// function, Config's service-linked role, CloudTrail's KMS data keys.
/// Returns the sessions of instance A, instance B and the Lambda function.
fn services(sc: &mut Sc, d: i64) -> Vec<RoleSession> {
    let mut out = Vec::new();
    let mut ec2 = service_sess("ec2.amazonaws.com", at(d, 2, 1));
    for inst in [INSTANCE_A, INSTANCE_B] {
        let t = ec2.t + sc.rng.range(5, 60);
        let mut rs = sc.role_session("app-server-role", "/service/", inst, t);
        rs.ec2_role_delivery = true;
        sc.assume_role(&mut ec2, &rs, false);
        out.push(rs);
    }
    let mut lambda = service_sess("lambda.amazonaws.com", at(d, 2, 5 + sc.rng.range(0, 20)));
    let t = lambda.t + 2;
    let rs = sc.role_session("lambda-exec-role", "/service/", "app-orders", t);
    sc.assume_role(&mut lambda, &rs, false);
    out.push(rs);

    let mut ct = service_sess("cloudtrail.amazonaws.com", at(d, 2, 30 + sc.rng.range(0, 20)));
    sc.call(&mut ct, "kms", "GenerateDataKey", json!({"keyId": kms_key_arn(), "keySpec": "AES_256", "encryptionContext": {"aws:cloudtrail:arn": trail_arn(TRAIL), "aws:s3:arn": format!("arn:aws:s3:::{TRAIL_BUCKET}/AWSLogs/{ACCOUNT}/CloudTrail/")}}))
        .with_resources(identity::one_resource(ACCOUNT, "AWS::KMS::Key", kms_key_arn()));

    if d % 3 == 0 {
        let mut cfg = service_sess("config.amazonaws.com", at(d, 2, 40));
        let t = cfg.t + 3;
        let rs = sc.role_session(CONFIG_SLR, CONFIG_SLR_PATH, "AWSConfig-Describe", t);
        sc.assume_role(&mut cfg, &rs, false);
        let actor = Actor::new(rs.identity(), ACCOUNT, "", "").via_service("config.amazonaws.com");
        let mut s = Sess { actor, principal: "role/AWSServiceRoleForConfig".into(), region: US, t: t + 5 };
        sc.call(&mut s, "ec2", "DescribeInstances", json!({"instancesSet": {}, "filterSet": {}}));
        sc.s3_bucket(&mut s, "GetBucketAcl", Some(DATA_BUCKET), json!({"acl": ""}));
    }
    out
}

fn app_actor(rs: &RoleSession, ip: &str) -> Actor {
    let mut a = Actor::new(rs.identity(), ACCOUNT, ip, UA_APP);
    a.vpce = Some(S3_VPCE.into());
    a
}

/// app-server-role on two instances: nightly report batch on instance A, online traffic on both.
fn app_server(sc: &mut Sc, d: i64, sessions: &[RoleSession]) {
    let (y, m, day) = ymd(d);
    let (py, pm, _) = ymd((d - 31).max(0));
    let principal = "role/app-server-role";
    // Nightly batch on instance A.
    let mut s = Sess {
        actor: app_actor(&sessions[0], INSTANCE_A_IP),
        principal: principal.into(),
        region: US,
        t: at(d, 2, 10),
    };
    let names: Vec<&str> = SSM_PARAMS[..3].to_vec();
    sc.call(&mut s, "ssm", "GetParameters", json!({"names": names, "withDecryption": true}));
    sc.call(&mut s, "kms", "Decrypt", json!({"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": {"PARAMETER_ARN": format!("arn:aws:ssm:{US}:{ACCOUNT}:parameter/app/prod/db-user")}}))
        .with_resources(identity::one_resource(ACCOUNT, "AWS::KMS::Key", kms_key_arn()));
    sc.ddb_item(&mut s, "Query", "orders");
    sc.ddb_item(&mut s, "Query", "customers");
    sc.s3_list(&mut s, DATA_BUCKET, &format!("reports/{y}/{m:02}/"));
    for f in ["daily-orders.csv", "daily-customers.csv", "summary.json"] {
        sc.s3_object(&mut s, "PutObject", DATA_BUCKET, &format!("reports/{y}/{m:02}/{day:02}/{f}"));
    }
    // The retention job tries to delete last month's reports; the bucket policy forbids it.
    if d % 3 == 1 {
        for f in ["daily-orders.csv", "daily-customers.csv"] {
            let key = format!("reports/{py}/{pm:02}/{day:02}/{f}");
            let res = format!("\"arn:aws:s3:::{DATA_BUCKET}/{key}\"");
            sc.denied(
                &mut s,
                "s3",
                "DeleteObject",
                json!({"bucketName": DATA_BUCKET, "Host": format!("{DATA_BUCKET}.s3.{US}.amazonaws.com"), "key": key}),
                "s3:DeleteObject",
                &res,
                Denial::ResourcePolicy,
            )
            .data(identity::s3_object_resources(ACCOUNT, DATA_BUCKET, &key));
        }
    }
    sc.call(
        &mut s,
        "logs",
        "CreateLogStream",
        json!({"logGroupName": "/app/server", "logStreamName": format!("{INSTANCE_A}/{y}-{m:02}-{day:02}")}),
    );

    // Online traffic.
    let slots: &[i64] = if is_weekend(d) { &[14] } else { &[9, 13, 16] };
    for &h in slots {
        for (i, (rs, ip)) in [(&sessions[0], INSTANCE_A_IP), (&sessions[1], INSTANCE_B_IP)].into_iter().enumerate() {
            let mut s = Sess {
                actor: app_actor(rs, ip),
                principal: principal.into(),
                region: US,
                t: at(d, h, 2 + 10 * i as i64 + sc.rng.range(0, 8)),
            };
            let n = sc.rng.range(2, 5);
            for _ in 0..n {
                match sc.rng.below(7) {
                    0 => {
                        sc.ddb_item(&mut s, "GetItem", "orders");
                    }
                    1 => {
                        sc.ddb_item(&mut s, "GetItem", "customers");
                    }
                    2 => {
                        sc.ddb_item(&mut s, "PutItem", "orders");
                    }
                    3 => {
                        sc.sqs(&mut s, "SendMessage");
                    }
                    4 => {
                        sc.sqs(&mut s, "ReceiveMessage");
                        sc.sqs(&mut s, "DeleteMessage");
                    }
                    5 => {
                        let (yy, mm, dd) = ymd((d - 1).max(0));
                        sc.s3_object(
                            &mut s,
                            "GetObject",
                            DATA_BUCKET,
                            &format!("reports/{yy}/{mm:02}/{dd:02}/summary.json"),
                        );
                    }
                    _ => {
                        sc.call(
                            &mut s,
                            "kms",
                            "Decrypt",
                            json!({"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "keyId": kms_key_arn()}),
                        )
                        .with_resources(identity::one_resource(
                            ACCOUNT,
                            "AWS::KMS::Key",
                            kms_key_arn(),
                        ));
                    }
                }
            }
        }
    }
}

/// The app-orders Lambda function (lambda-exec-role).
fn lambda_app(sc: &mut Sc, d: i64, rs: &RoleSession) {
    let slots: &[i64] = if is_weekend(d) { &[14] } else { &[9, 13, 16] };
    for &h in slots {
        let mut s = Sess {
            actor: Actor::new(rs.identity(), ACCOUNT, "3.238.17.201", UA_LAMBDA),
            principal: "role/lambda-exec-role".into(),
            region: US,
            t: at(d, h, 25 + sc.rng.range(0, 20)),
        };
        sc.ddb_item(&mut s, "GetItem", "orders");
        sc.ddb_item(&mut s, "PutItem", "orders");
        if sc.rng.chance(0.5) {
            sc.ddb_item(&mut s, "Query", "orders");
        }
    }
}

pub(super) fn user_sess(name: &str, ip: &str, ua: &str, t: i64) -> Sess {
    let id = identity::iam_user(ACCOUNT, name, &identity::user_key(name, 1));
    Sess { actor: Actor::new(id, ACCOUNT, ip, ua), principal: format!("user/{name}"), region: US, t }
}

/// bob: developer on the CLI (DeveloperAccess).
fn bob(sc: &mut Sc, d: i64) {
    let special = matches!((ymd(d).1, ymd(d).2), (9, 9) | (9, 17) | (9, 24) | (10, 1));
    if !sc.rng.chance(0.8) && !special {
        return;
    }
    let (y, m, day) = ymd(d);
    let home = weekday(d) == chrono::Weekday::Fri;
    let h = if sc.rng.chance(0.5) { 9 } else { 13 };
    let mut s =
        user_sess("bob", if home { IP_BOB_HOME } else { IP_BOB_OFFICE }, UA_BOB, at(d, h, 5 + sc.rng.range(0, 15)));
    if sc.rng.chance(0.3) {
        sc.call(&mut s, "sts", "GetCallerIdentity", json!(null));
    }
    sc.s3_bucket(&mut s, "ListBuckets", None, json!({}));
    sc.s3_list(&mut s, DEV_BUCKET, "sandbox/");
    for i in 0..sc.rng.range(1, 3) {
        sc.s3_object(&mut s, "GetObject", DEV_BUCKET, &format!("sandbox/bob/test-data-{i}.json"));
    }
    if sc.rng.chance(0.5) {
        sc.s3_object(&mut s, "PutObject", DEV_BUCKET, &format!("sandbox/bob/{y}{m:02}{day:02}-results.json"));
    }
    if sc.rng.chance(0.5) {
        sc.s3_object(&mut s, "GetObject", DATA_BUCKET, &format!("exports/{y}-{m:02}-{day:02}/orders.csv"));
    }
    if sc.rng.chance(0.5) {
        sc.call(&mut s, "dynamodb", "DescribeTable", json!({"tableName": "dev-orders"}))
            .with_resources(identity::one_resource(ACCOUNT, "AWS::DynamoDB::Table", table_arn(US, "dev-orders")));
        sc.ddb_item(&mut s, "Scan", "dev-orders");
    }
    if sc.rng.chance(0.3) {
        sc.call(&mut s, "lambda", "ListFunctions20150331", json!(null));
    }
    if sc.rng.chance(0.5) {
        sc.call(&mut s, "lambda", "GetFunction20150331v2", json!({"functionName": "dev-orders-api"}));
    }
    if sc.rng.chance(0.4) {
        sc.call(&mut s, "lambda", "Invoke", json!({"functionName": function_arn(US, "dev-orders-api"), "invocationType": "RequestResponse", "logType": "None"}))
            .data(identity::one_resource(ACCOUNT, "AWS::Lambda::Function", function_arn(US, "dev-orders-api")))
            .read_only(false);
    }
    if sc.rng.chance(0.5) {
        let since = (s.t - 3600) * 1000;
        sc.call(
            &mut s,
            "logs",
            "FilterLogEvents",
            json!({"logGroupName": "/aws/lambda/dev-orders-api", "startTime": since, "interleaved": true}),
        );
    }
    if sc.rng.chance(0.4) {
        sc.call(&mut s, "monitoring", "GetMetricData", json!({"startTime": "", "endTime": "", "metricDataQueries": [{"id": "errors", "metricStat": {"metric": {"namespace": "AWS/Lambda", "metricName": "Errors", "dimensions": [{"name": "FunctionName", "value": "dev-orders-api"}]}, "period": 300, "stat": "Sum"}}]}));
    }
    if sc.rng.chance(0.3) {
        sc.call(&mut s, "ec2", "DescribeInstances", json!({"instancesSet": {}, "filterSet": {"items": [{"name": "tag:Owner", "valueSet": {"items": [{"value": "bob"}]}}]}}));
    }
    if sc.rng.chance(0.2) {
        s.region = EU;
        sc.call(&mut s, "ec2", "DescribeInstances", json!({"instancesSet": {}, "filterSet": {}}));
        sc.call(&mut s, "logs", "DescribeLogGroups", json!({"limit": 50}));
        s.region = US;
    }
    if weekday(d) == chrono::Weekday::Wed {
        athena_query(sc, &mut s, d);
    }
    // Occasional mistakes, all outside DeveloperAccess (never while the incident's v1 was default).
    match (ymd(d).1, ymd(d).2) {
        (9, 9) | (10, 1) => {
            sc.denied(
                &mut s,
                "iam",
                "ListRoles",
                json!(null),
                "iam:ListRoles",
                &format!("arn:aws:iam::{ACCOUNT}:role/"),
                Denial::NoIdentityAllow,
            );
        }
        (9, 17) => {
            let key = "q3/budget-2026.xlsx";
            let res = format!("\"arn:aws:s3:::{FINANCE_BUCKET}/{key}\"");
            sc.denied(&mut s, "s3", "GetObject", json!({"bucketName": FINANCE_BUCKET, "Host": format!("{FINANCE_BUCKET}.s3.{US}.amazonaws.com"), "key": key}), "s3:GetObject", &res, Denial::NoIdentityAllow)
                .data(identity::s3_object_resources(ACCOUNT, FINANCE_BUCKET, key))
                .read_only(true);
        }
        (9, 24) => {
            sc.denied(&mut s, "ec2", "RunInstances", json!({"instancesSet": {"items": [{"imageId": "ami-0a1b2c3d4e5f67890", "minCount": 1, "maxCount": 1}]}, "instanceType": "t3.micro"}), "ec2:RunInstances", &format!("arn:aws:ec2:{US}:{ACCOUNT}:instance/*"), Denial::NoIdentityAllow);
        }
        _ => {}
    }
}

/// bob starts his own test instance when his day starts and stops it after his last call. The
/// developers group allows that only on instances tagged with the caller's name (a condition on
/// `aws:ResourceTag/owner`, which CloudTrail does not record).
///
/// Added after the rest of the scenario with its own PRNG, and each call inside the delivery
/// file of the call before it, so the other events and the file names stay as they were.
pub fn own_instance(sc: &mut Sc, seed: u64) {
    let mut days: std::collections::BTreeMap<i64, (i64, i64, String)> = std::collections::BTreeMap::new();
    for e in sc
        .events
        .iter()
        .filter(|e| e.principal == "user/bob" && e.tags.is_empty() && e.region == US && e.rec.user_agent == UA_BOB)
    {
        let d = days.entry((e.t - START) / DAY).or_insert((e.t, e.t, e.rec.source_ip_address.clone()));
        d.0 = d.0.min(e.t);
        d.1 = d.1.max(e.t);
    }
    let saved = std::mem::replace(&mut sc.rng, crate::synth::rng::Rng::derive(seed, "own-instance"));
    let saved_tags = std::mem::take(&mut sc.tags);
    // Half-hour slots: the organization trail's copy of the incident day is cut that way.
    let in_slot = |t: i64, after: i64| (t + after).min((t / (30 * MIN) + 1) * 30 * MIN - 1);
    for (first, last, ip) in days.into_values() {
        for (t, name, states) in [
            (in_slot(first, 1), "StartInstances", ((0, "pending"), (80, "stopped"))),
            (in_slot(last, 2), "StopInstances", ((64, "stopping"), (16, "running"))),
        ] {
            let actor =
                Actor::new(identity::iam_user(ACCOUNT, "bob", &identity::user_key("bob", 1)), ACCOUNT, &ip, UA_BOB);
            let mut rec = identity::call(
                &mut sc.rng,
                &actor,
                t,
                US,
                "ec2",
                name,
                json!({"instancesSet": {"items": [{"instanceId": BOB_INSTANCE}]}}),
            );
            let ((cur_code, cur), (prev_code, prev)) = states;
            rec.respond(json!({"requestId": sc.rng.uuid(), "instancesSet": {"items": [{"instanceId": BOB_INSTANCE, "currentState": {"code": cur_code, "name": cur}, "previousState": {"code": prev_code, "name": prev}}]}}));
            rec.read_only(false);
            sc.push("user/bob", US, t, rec);
        }
    }
    sc.rng = saved;
    sc.tags = saved_tags;
}

/// bob's weekly Athena query: Athena reads Glue and S3 on his behalf (`invokedBy`).
fn athena_query(sc: &mut Sc, s: &mut Sess, d: i64) {
    let qid = sc.rng.uuid();
    let token = sc.rng.uuid();
    sc.call(s, "athena", "StartQueryExecution", json!({"queryString": "SELECT status, count(*) FROM analytics.orders GROUP BY status", "clientRequestToken": token, "queryExecutionContext": {"database": "analytics"}, "workGroup": "primary"}))
        .respond(json!({"queryExecutionId": qid}));
    let mut via = Sess {
        actor: s.actor.via_service("athena.amazonaws.com"),
        principal: "user/bob (via athena.amazonaws.com)".into(),
        region: US,
        t: s.t,
    };
    sc.call(&mut via, "glue", "GetDatabase", json!({"name": "analytics"}));
    sc.call(&mut via, "glue", "GetTable", json!({"databaseName": "analytics", "name": "orders"}));
    for part in 0..3 {
        sc.s3_object(&mut via, "GetObject", DATA_BUCKET, &format!("curated/orders/part-{part:05}.parquet"));
    }
    sc.s3_object(&mut via, "PutObject", ATHENA_BUCKET, &format!("{qid}.csv"));
    s.t = via.t;
    sc.call(s, "athena", "GetQueryExecution", json!({"queryExecutionId": qid}));
    sc.call(s, "athena", "GetQueryResults", json!({"queryExecutionId": qid}));
    let _ = d;
}

/// Console session of an IAM user, starting with its sign-in.
pub(super) fn console_sess(sc: &mut Sc, name: &str, ip: &str, t: i64, mfa: bool) -> Sess {
    sc.console_login(&format!("user/{name}"), identity::user_signin(ACCOUNT, name, true), ip, UA_BROWSER, t, mfa, true);
    let key = sc.session_key();
    let mut actor = Actor::new(identity::console_user(ACCOUNT, name, &key, t, mfa), ACCOUNT, ip, UA_CONSOLE);
    actor.console = true;
    Sess { actor, principal: format!("user/{name}"), region: US, t: t + 5 }
}

/// alice: administrator in the console with MFA.
fn alice(sc: &mut Sc, d: i64) {
    if !sc.rng.chance(0.5) {
        return;
    }
    let t = at(d, 9, 30 + sc.rng.range(0, 20));
    let mut s = console_sess(sc, "alice", IP_ALICE, t, true);
    let n = sc.rng.range(5, 9);
    for _ in 0..n {
        match sc.rng.below(13) {
            0 => {
                sc.call(&mut s, "iam", "ListUsers", json!(null));
            }
            1 => {
                sc.call(&mut s, "iam", "GetAccountSummary", json!(null));
            }
            2 => {
                sc.call(&mut s, "iam", "ListRoles", json!({"maxItems": 100}));
            }
            3 => {
                sc.call(&mut s, "iam", "GetRole", json!({"roleName": "app-server-role"}));
            }
            4 => {
                sc.call(&mut s, "cloudtrail", "DescribeTrails", json!({"includeShadowTrails": true}));
            }
            5 => {
                sc.call(&mut s, "cloudtrail", "GetTrailStatus", json!({"name": trail_arn(TRAIL)}));
            }
            6 => {
                sc.call(&mut s, "ec2", "DescribeInstances", json!({"instancesSet": {}, "filterSet": {}}));
            }
            7 => {
                sc.s3_bucket(&mut s, "ListBuckets", None, json!({}));
            }
            8 => {
                sc.call(&mut s, "cloudfront", "ListDistributions2020_05_31", json!(null));
            }
            9 => {
                sc.call(&mut s, "email", "GetSendQuota", json!(null));
            }
            10 => {
                sc.call(&mut s, "ce", "GetCostAndUsage", json!({"timePeriod": {"start": "2026-09-01", "end": "2026-10-01"}, "granularity": "MONTHLY", "metrics": ["UnblendedCost"]}));
            }
            11 => {
                sc.call(&mut s, "organizations", "DescribeOrganization", json!(null));
            }
            _ => {
                s.region = EU;
                sc.call(&mut s, "ec2", "DescribeInstances", json!({"instancesSet": {}, "filterSet": {}}));
                sc.call(&mut s, "monitoring", "DescribeAlarms", json!({"maxRecords": 100}));
                s.region = US;
            }
        }
    }
}

/// carol: read-only auditor in the console, never with MFA.
fn carol(sc: &mut Sc, d: i64) {
    if !matches!(weekday(d), chrono::Weekday::Tue | chrono::Weekday::Thu) {
        return;
    }
    let t = at(d, 13, 20 + sc.rng.range(0, 25));
    // Every sign-in of carol lacks MFA: INC-09 lists them all.
    sc.tags = vec!["INC-09"];
    let mut s = console_sess(sc, "carol", IP_CAROL, t, false);
    sc.tags.clear();
    s.actor.user_agent = UA_CONSOLE_HOST.into();
    sc.call(&mut s, "ec2", "DescribeInstances", json!({"instancesSet": {}, "filterSet": {}}));
    sc.call(&mut s, "monitoring", "DescribeAlarms", json!({"maxRecords": 100}));
    if sc.rng.chance(0.6) {
        sc.call(&mut s, "monitoring", "GetMetricData", json!({"metricDataQueries": [{"id": "cpu", "metricStat": {"metric": {"namespace": "AWS/EC2", "metricName": "CPUUtilization"}, "period": 3600, "stat": "Average"}}]}));
    }
    sc.s3_bucket(&mut s, "ListBuckets", None, json!({}));
    if sc.rng.chance(0.5) {
        sc.call(&mut s, "logs", "DescribeLogGroups", json!({"limit": 50}));
    }
    if sc.rng.chance(0.5) {
        sc.call(&mut s, "ce", "GetCostAndUsage", json!({"timePeriod": {"start": "2026-09-01", "end": "2026-10-01"}, "granularity": "DAILY", "metrics": ["UnblendedCost"]}));
    }
    sc.call(&mut s, "dynamodb", "ListTables", json!(null));
    if sc.rng.chance(0.5) {
        s.region = EU;
        sc.call(&mut s, "ec2", "DescribeInstances", json!({"instancesSet": {}, "filterSet": {}}));
        s.region = US;
    }
    match (ymd(d).1, ymd(d).2) {
        (9, 10) => {
            sc.denied(
                &mut s,
                "ec2",
                "StopInstances",
                json!({"instancesSet": {"items": [{"instanceId": DEV_INSTANCE}]}, "force": false}),
                "ec2:StopInstances",
                &format!("arn:aws:ec2:{US}:{ACCOUNT}:instance/{DEV_INSTANCE}"),
                Denial::NoIdentityAllow,
            );
        }
        (9, 29) => {
            let key = "notes/carol-audit-notes.txt";
            let res = format!("\"arn:aws:s3:::{DEV_BUCKET}/{key}\"");
            sc.denied(
                &mut s,
                "s3",
                "PutObject",
                json!({"bucketName": DEV_BUCKET, "Host": format!("{DEV_BUCKET}.s3.{US}.amazonaws.com"), "key": key}),
                "s3:PutObject",
                &res,
                Denial::NoIdentityAllow,
            )
            .data(identity::s3_object_resources(ACCOUNT, DEV_BUCKET, key));
        }
        _ => {}
    }
}

/// ci-deployer: the CI pipeline deploying Lambda functions.
fn ci_deployer(sc: &mut Sc, d: i64) {
    let (m, day) = (ymd(d).1, ymd(d).2);
    let special = matches!((m, day), (9, 14) | (9, 21));
    if !special && !sc.rng.chance(0.6) {
        return;
    }
    let h = if sc.rng.chance(0.5) { 13 } else { 16 };
    let mut s = user_sess("ci-deployer", IP_CI, UA_CI, at(d, h, 30 + sc.rng.range(0, 15)));
    let sha = sc.rng.hex(12);
    let key = format!("app-orders/{sha}.zip");
    sc.s3_object(&mut s, "PutObject", ARTIFACTS_BUCKET, &key);
    if sc.rng.chance(0.3) {
        sc.call(
            &mut s,
            "cloudformation",
            "ValidateTemplate",
            json!({"templateURL": format!("https://{ARTIFACTS_BUCKET}.s3.amazonaws.com/templates/app-orders.yaml")}),
        );
    }
    if sc.rng.chance(0.5) {
        sc.call(&mut s, "cloudformation", "DescribeStacks", json!({"stackName": "app-orders-stack"}));
    }
    if weekday(d) == chrono::Weekday::Mon {
        let stack_id = format!(
            "arn:aws:cloudformation:{US}:{ACCOUNT}:stack/app-orders-stack/2b5f0c10-4a1e-11f0-9c2d-0e8a5b6c7d10"
        );
        sc.call(&mut s, "cloudformation", "UpdateStack", json!({"stackName": "app-orders-stack", "templateURL": format!("https://{ARTIFACTS_BUCKET}.s3.amazonaws.com/templates/app-orders.yaml"), "capabilities": ["CAPABILITY_IAM"]}))
            .respond(json!({"stackId": stack_id}));
    }
    sc.call(&mut s, "lambda", "UpdateFunctionCode20150331v2", json!({"functionName": "app-orders", "s3Bucket": ARTIFACTS_BUCKET, "s3Key": key, "publish": true, "dryRun": false}))
        .respond(json!({"functionName": "app-orders", "functionArn": function_arn(US, "app-orders"), "runtime": "python3.12", "role": format!("arn:aws:iam::{ACCOUNT}:role/service/lambda-exec-role"), "handler": "app.handler", "version": "$LATEST"}));
    sc.call(&mut s, "lambda", "GetFunction20150331v2", json!({"functionName": "app-orders"}));
    if (m, day) == (9, 14) {
        sc.call(&mut s, "lambda", "ListFunctions20150331", json!(null));
        sc.s3_object(&mut s, "PutObject", ARTIFACTS_BUCKET, "app-reports/initial.zip");
        sc.call(&mut s, "lambda", "CreateFunction20150331", json!({"functionName": "app-reports", "runtime": "python3.12", "role": format!("arn:aws:iam::{ACCOUNT}:role/service/lambda-exec-role"), "handler": "reports.handler", "code": {"s3Bucket": ARTIFACTS_BUCKET, "s3Key": "app-reports/initial.zip"}, "timeout": 60, "memorySize": 256, "publish": true}))
            .respond(json!({"functionName": "app-reports", "functionArn": function_arn(US, "app-reports"), "role": format!("arn:aws:iam::{ACCOUNT}:role/service/lambda-exec-role"), "state": "Pending"}));
        sc.call(&mut s, "lambda", "GetFunction20150331v2", json!({"functionName": "app-reports"}));
    }
    if (m, day) == (9, 21) {
        sc.denied(
            &mut s,
            "lambda",
            "UpdateFunctionCode20150331v2",
            json!({"functionName": "legacy-billing", "s3Bucket": ARTIFACTS_BUCKET, "s3Key": key, "publish": true}),
            "lambda:UpdateFunctionCode",
            &function_arn(US, "legacy-billing"),
            Denial::NoIdentityAllow,
        );
    }
}

/// dave: data engineer moving files in S3 (his key is stolen in the incident week).
fn dave(sc: &mut Sc, d: i64) {
    if d > INCIDENT_DAY || !sc.rng.chance(0.6) {
        return;
    }
    let (y, m, day) = ymd(d);
    let mut s = user_sess("dave", IP_DAVE, UA_DAVE, at(d, 13, 35 + sc.rng.range(0, 20)));
    sc.s3_bucket(&mut s, "ListBuckets", None, json!({}));
    sc.s3_list(&mut s, DATA_BUCKET, "exports/");
    for i in 0..sc.rng.range(1, 4) {
        sc.s3_object(&mut s, "GetObject", DATA_BUCKET, &format!("exports/{y}-{m:02}-{day:02}/part-{i}.csv"));
    }
    if sc.rng.chance(0.5) {
        sc.s3_object(&mut s, "PutObject", DATA_BUCKET, &format!("imports/{y}-{m:02}-{day:02}/batch.csv"));
    }
    if sc.rng.chance(0.2) {
        sc.s3_bucket(&mut s, "GetBucketLocation", Some(DATA_BUCKET), json!({"location": ""}));
    }
    if sc.rng.chance(0.2) {
        sc.call(&mut s, "iam", "ListUsers", json!(null));
    }
    if sc.rng.chance(0.2) {
        s.region = EU;
        sc.s3_list(&mut s, EU_BUCKET, "ingest/");
        s.region = US;
    }
}

/// dana and erik: people of IAM Identity Center's DeveloperAccess permission set.
fn sso_user(sc: &mut Sc, d: i64, who: &'static str) {
    let special = who.starts_with("erik") && (ymd(d).1, ymd(d).2) == (9, 22);
    if !sc.rng.chance(0.55) && !special {
        return;
    }
    let dana = who.starts_with("dana");
    let (ip, h) = if dana { (IP_DANA, 9) } else { (IP_ERIK, if sc.rng.chance(0.5) { 13 } else { 16 }) };
    let t = at(d, h, 40 + sc.rng.range(0, 10));
    let mut rs = sc.role_session(SSO_ROLE, SSO_PATH, who, t);
    rs.mfa = false;
    // The SAML exchange itself.
    let mut saml = Sess {
        actor: Actor::new(identity::saml_user(who, SSO_PROVIDER_HASH), ACCOUNT, ip, UA_BROWSER),
        principal: format!("saml/{who}"),
        region: US,
        t: t - 40,
    };
    let provider = format!("arn:aws:iam::{ACCOUNT}:saml-provider/{SSO_PROVIDER}");
    let rec = sc.call(&mut saml, "sts", "AssumeRoleWithSAML", json!({"sAMLAssertionID": format!("_{}", rs.key.to_lowercase()), "roleSessionName": who, "roleArn": rs.role_arn(), "principalArn": provider, "durationSeconds": 43200}));
    rec.respond(json!({
        "credentials": {"accessKeyId": rs.key, "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLETOKEN", "expiration": crate::synth::record::fmt_expiration(t + 12 * HOUR)},
        "assumedRoleUser": {"assumedRoleId": rs.assumed_id(), "arn": rs.assumed_arn()},
        "subject": who, "subjectType": "persistent", "issuer": "https://portal.sso.us-east-1.amazonaws.com/saml/assertion/MDEyMzQ1Njc4OWFi", "audience": "https://signin.aws.amazon.com/saml", "nameQualifier": "SbdGOnUkh1i4+EVkSjO1o/6gV6A=",
    }))
    .with_resources(vec![
        crate::synth::record::Resource { account_id: Some(ACCOUNT.into()), kind: "AWS::IAM::Role", arn: rs.role_arn() },
        crate::synth::record::Resource { account_id: Some(ACCOUNT.into()), kind: "AWS::IAM::SAMLProvider", arn: provider },
    ]);
    rec.read_only = false;
    let principal = format!("role/{SSO_ROLE} ({who})");
    if dana {
        let mut actor = Actor::new(rs.identity(), ACCOUNT, ip, UA_CONSOLE);
        actor.console = true;
        let mut s = Sess { actor, principal, region: US, t: t + 2 };
        sc.call(&mut s, "cloudformation", "DescribeStacks", json!(null));
        if sc.rng.chance(0.5) {
            sc.call(
                &mut s,
                "cloudformation",
                "ListStacks",
                json!({"stackStatusFilter": ["CREATE_COMPLETE", "UPDATE_COMPLETE"]}),
            );
        }
        sc.call(&mut s, "cloudformation", "DescribeStackEvents", json!({"stackName": "dev-queue-stack"}));
        if sc.rng.chance(0.4) {
            sc.call(
                &mut s,
                "cloudformation",
                "GetTemplate",
                json!({"stackName": "dev-queue-stack", "templateStage": "Original"}),
            );
        }
        sc.s3_bucket(&mut s, "ListBuckets", None, json!({}));
        sc.s3_object(&mut s, "GetObject", DEV_BUCKET, "templates/dev-queue-stack.yaml");
        if matches!(weekday(d), chrono::Weekday::Mon | chrono::Weekday::Thu) {
            dana_deploy(sc, &mut s, d);
        }
        if sc.rng.chance(0.3) {
            s.region = EU;
            sc.call(&mut s, "cloudformation", "DescribeStacks", json!(null));
            s.region = US;
        }
    } else {
        let mut s = Sess { actor: Actor::new(rs.identity(), ACCOUNT, ip, UA_ERIK), principal, region: US, t: t + 2 };
        sc.call(&mut s, "ec2", "DescribeInstances", json!({"instancesSet": {}, "filterSet": {}}));
        if sc.rng.chance(0.5) {
            sc.call(&mut s, "ec2", "DescribeSecurityGroups", json!({"securityGroupSet": {}, "filterSet": {}}));
        }
        sc.call(&mut s, "ssm", "DescribeInstanceInformation", json!({"maxResults": 50}));
        if sc.rng.chance(0.3) {
            let name = if sc.rng.chance(0.5) { "StartInstances" } else { "StopInstances" };
            sc.call(&mut s, "ec2", name, json!({"instancesSet": {"items": [{"instanceId": DEV_INSTANCE}]}}));
        }
        if sc.rng.chance(0.3) {
            let sid = format!("{who}-{}", sc.rng.hex(17));
            sc.call(&mut s, "ssm", "StartSession", json!({"target": DEV_INSTANCE}))
                .respond(json!({"sessionId": sid, "tokenValue": "Value hidden due to security reasons.", "streamUrl": format!("wss://ssmmessages.{US}.amazonaws.com/v1/data-channel/{sid}?role=publish_subscribe")}));
            s.t += sc.rng.range(300, 1500);
            sc.call(&mut s, "ssm", "TerminateSession", json!({"sessionId": sid})).respond(json!({"sessionId": sid}));
        }
        if sc.rng.chance(0.3) {
            sc.call(&mut s, "ssm", "GetParameter", json!({"name": "/app/prod/feature-flags", "withDecryption": false}));
        }
        if (ymd(d).1, ymd(d).2) == (9, 22) {
            let request = sc.rng.uuid();
            sc.call(&mut s, "ec2", "RunInstances", json!({"instancesSet": {"items": [{"imageId": "ami-0a1b2c3d4e5f67890", "minCount": 1, "maxCount": 1}]}, "instanceType": "t3.medium", "iamInstanceProfile": {"name": "app-server-profile"}, "subnetId": "subnet-0a1b2c3d4e5f60001", "monitoring": {"enabled": false}, "disableApiTermination": false}))
                .respond(json!({"requestId": request, "reservationId": "r-0f1e2d3c4b5a69788", "ownerId": ACCOUNT, "instancesSet": {"items": [{"instanceId": "i-0c0ffee0c0ffee001", "imageId": "ami-0a1b2c3d4e5f67890", "instanceType": "t3.medium", "iamInstanceProfile": {"arn": format!("arn:aws:iam::{ACCOUNT}:instance-profile/service/app-server-profile"), "id": crate::synth::rng::stable_id("AIPA", "app-server-profile", 17)}}]}}));
        }
        if sc.rng.chance(0.3) {
            s.region = EU;
            sc.call(&mut s, "ec2", "DescribeInstances", json!({"instancesSet": {}, "filterSet": {}}));
            s.region = US;
        }
    }
}

/// dana deploys a stack; CloudFormation creates its resources with her session (`invokedBy`).
fn dana_deploy(sc: &mut Sc, s: &mut Sess, d: i64) {
    let eu = d % 2 == 0;
    let (stack, region) = if eu { ("eu-app-stack", EU) } else { ("dev-queue-stack", US) };
    s.region = region;
    let stack_id = format!("arn:aws:cloudformation:{region}:{ACCOUNT}:stack/{stack}/{}", sc.rng.uuid());
    sc.call(s, "cloudformation", "UpdateStack", json!({"stackName": stack, "templateURL": format!("https://{DEV_BUCKET}.s3.amazonaws.com/templates/{stack}.yaml")}))
        .respond(json!({"stackId": stack_id}));
    let mut via = Sess {
        actor: s.actor.via_service("cloudformation.amazonaws.com"),
        principal: format!("{} (via cloudformation.amazonaws.com)", s.principal),
        region,
        t: s.t + 5,
    };
    via.actor.console = false;
    let n = sc.rng.below(1000);
    sc.call(
        &mut via,
        "sqs",
        "CreateQueue",
        json!({"queueName": format!("{stack}-jobs-{n}"), "attributes": {"VisibilityTimeout": "60"}}),
    );
    sc.call(&mut via, "sns", "CreateTopic", json!({"name": format!("{stack}-alerts-{n}")}));
    sc.call(
        &mut via,
        "dynamodb",
        "CreateTable",
        json!({"tableName": format!("{stack}-state-{n}"), "billingMode": "PAY_PER_REQUEST"}),
    );
    s.t = via.t + 20;
    sc.call(s, "cloudformation", "DescribeStackEvents", json!({"stackName": stack}));
    s.region = US;
}

/// The security team's weekly scan from the audit account (cross-account AssumeRole).
fn auditor(sc: &mut Sc, d: i64) {
    let t = at(d, 9, 5 + sc.rng.range(0, 10));
    let caller_id = format!("{}:security-scan", identity::role_id("SecurityScanner"));
    let mut caller = Sess {
        actor: Actor::new(identity::aws_account(&caller_id, AUDIT_ACCOUNT), ACCOUNT, IP_AUDIT, UA_AUDIT),
        principal: format!("account/{AUDIT_ACCOUNT}"),
        region: US,
        t,
    };
    let rs = sc.role_session("audit-readonly", "/", "security-scan", t);
    sc.assume_role(&mut caller, &rs, true);
    let mut s = Sess {
        actor: Actor::new(rs.identity(), ACCOUNT, IP_AUDIT, UA_AUDIT),
        principal: "role/audit-readonly".into(),
        region: US,
        t: t + 2,
    };
    sc.call(
        &mut s,
        "iam",
        "GetAccountAuthorizationDetails",
        json!({"filter": ["User", "Role", "Group", "LocalManagedPolicy"]}),
    );
    sc.call(&mut s, "iam", "GenerateCredentialReport", json!(null));
    sc.call(&mut s, "iam", "GetCredentialReport", json!(null));
    sc.call(&mut s, "cloudtrail", "DescribeTrails", json!(null));
    sc.call(&mut s, "cloudtrail", "GetTrailStatus", json!({"name": trail_arn(TRAIL)}));
    sc.call(&mut s, "cloudtrail", "GetEventSelectors", json!({"trailName": trail_arn(TRAIL)}));
    sc.s3_bucket(&mut s, "ListBuckets", None, json!({}));
    for b in [DATA_BUCKET, BACKUP_BUCKET] {
        sc.s3_bucket(&mut s, "GetBucketPolicy", Some(b), json!({"policy": ""}));
    }
    sc.s3_bucket(&mut s, "GetBucketAcl", Some(DATA_BUCKET), json!({"acl": ""}));
    sc.call(&mut s, "ec2", "DescribeSecurityGroups", json!({"securityGroupSet": {}, "filterSet": {}}));
    sc.call(&mut s, "guardduty", "ListDetectors", json!(null));
    sc.call(&mut s, "config", "DescribeConfigurationRecorders", json!(null));
    sc.call(&mut s, "kms", "ListKeys", json!(null));
    s.region = EU;
    sc.call(&mut s, "ec2", "DescribeSecurityGroups", json!({"securityGroupSet": {}, "filterSet": {}}));
    sc.call(&mut s, "guardduty", "ListDetectors", json!(null));
}

/// The account owner's root sign-in on 2026-09-03 (with MFA) to check the account settings.
fn root_early(sc: &mut Sc) {
    sc.tags = vec!["INC-00"];
    let t = at(2, 13, 12);
    sc.console_login("root", identity::root_signin(ACCOUNT), IP_OWNER, UA_BROWSER, t, true, true);
    let key = sc.session_key();
    let mut actor = Actor::new(identity::root_console(ACCOUNT, &key, t, true), ACCOUNT, IP_OWNER, UA_CONSOLE);
    actor.console = true;
    let mut s = Sess { actor, principal: "root".into(), region: US, t: t + 10 };
    sc.call(&mut s, "iam", "GetAccountSummary", json!(null));
    sc.call(&mut s, "iam", "ListMFADevices", json!(null));
    sc.call(&mut s, "account", "GetContactInformation", json!(null));
    sc.tags.clear();
}

/// A platform engineer of the management account uses OrganizationAccountAccessRole once.
fn org_admin_benign(sc: &mut Sc) {
    let t = at(15, 13, 40);
    let caller_id = identity::user_id("platform-admin");
    let mut caller = Sess {
        actor: Actor::new(identity::aws_account(&caller_id, MGMT_ACCOUNT), ACCOUNT, IP_MGMT_ADMIN, UA_MGMT),
        principal: format!("account/{MGMT_ACCOUNT}"),
        region: US,
        t,
    };
    let rs = sc.role_session("OrganizationAccountAccessRole", "/", "platform-admin", t);
    sc.assume_role(&mut caller, &rs, true);
    let mut s = Sess {
        actor: Actor::new(rs.identity(), ACCOUNT, IP_MGMT_ADMIN, UA_MGMT),
        principal: "role/OrganizationAccountAccessRole".into(),
        region: US,
        t: t + 3,
    };
    sc.call(&mut s, "organizations", "DescribeOrganization", json!(null));
    sc.call(&mut s, "iam", "ListRoles", json!(null));
    sc.call(&mut s, "iam", "GetAccountSummary", json!(null));
    sc.call(&mut s, "cloudtrail", "DescribeTrails", json!(null));
}
