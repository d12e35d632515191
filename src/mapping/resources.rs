//! Resource ARNs an event touched, and roles it passed.
//!
//! ARNs come from the record's `resources[]` and, where that is absent, are built from well-known
//! request parameters (bucket/key, table, function, key, secret, queue URL, topic, role/user name,
//! SSM parameter, instance ids, ...). Each required action then keeps only the ARNs matching one
//! of its catalog resource types' ARN formats (so `s3:GetObject` gets the object ARN and
//! `s3:ListBucket` the bucket ARN).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::EventFields;
use crate::catalog::{ActionInfo, Catalog};

/// A resource ARN found in an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub arn: String,
    /// The source object of a copy (`x-amz-copy-source`): only for the read side of the copy.
    pub copy_source: bool,
    /// From the record's `resources[]` (authoritative) rather than built from the request.
    pub from_record: bool,
}

/// A role (or instance profile) passed to a service in the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PassedRole {
    pub arn: String,
    pub to_service: String,
}

/// Request parameters we read; everything else is skipped without allocation.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Req<'a> {
    #[serde(rename = "bucketName", borrow)]
    bucket_name: Option<&'a RawValue>,
    #[serde(borrow)]
    key: Option<&'a RawValue>,
    #[serde(rename = "x-amz-copy-source", borrow)]
    copy_source: Option<&'a RawValue>,
    #[serde(rename = "tableName", borrow)]
    table_name: Option<&'a RawValue>,
    #[serde(rename = "functionName", borrow)]
    function_name: Option<&'a RawValue>,
    #[serde(rename = "keyId", borrow)]
    key_id: Option<&'a RawValue>,
    #[serde(rename = "secretId", borrow)]
    secret_id: Option<&'a RawValue>,
    #[serde(rename = "queueUrl", borrow)]
    queue_url: Option<&'a RawValue>,
    #[serde(rename = "topicArn", borrow)]
    topic_arn: Option<&'a RawValue>,
    #[serde(rename = "roleName", borrow)]
    role_name: Option<&'a RawValue>,
    #[serde(rename = "userName", borrow)]
    user_name: Option<&'a RawValue>,
    #[serde(rename = "groupName", borrow)]
    group_name: Option<&'a RawValue>,
    #[serde(rename = "policyArn", borrow)]
    policy_arn: Option<&'a RawValue>,
    #[serde(rename = "instanceProfileName", borrow)]
    instance_profile_name: Option<&'a RawValue>,
    #[serde(borrow)]
    name: Option<&'a RawValue>,
    #[serde(borrow)]
    names: Option<&'a RawValue>,
    #[serde(rename = "repositoryName", borrow)]
    repository_name: Option<&'a RawValue>,
    #[serde(rename = "logGroupName", borrow)]
    log_group_name: Option<&'a RawValue>,
    #[serde(rename = "logStreamName", borrow)]
    log_stream_name: Option<&'a RawValue>,
    #[serde(rename = "documentName", borrow)]
    document_name: Option<&'a RawValue>,
    #[serde(borrow)]
    target: Option<&'a RawValue>,
    #[serde(rename = "instanceId", borrow)]
    instance_id: Option<&'a RawValue>,
    #[serde(rename = "instanceIds", borrow)]
    instance_ids: Option<&'a RawValue>,
    #[serde(rename = "instancesSet", borrow)]
    instances_set: Option<&'a RawValue>,
    #[serde(rename = "resourceArn", borrow)]
    resource_arn: Option<&'a RawValue>,
    // Roles passed to a service.
    #[serde(rename = "roleArn", borrow)]
    role_arn: Option<&'a RawValue>,
    #[serde(rename = "roleARN", borrow)]
    role_arn_upper: Option<&'a RawValue>,
    #[serde(borrow)]
    role: Option<&'a RawValue>,
    #[serde(rename = "executionRoleArn", borrow)]
    execution_role_arn: Option<&'a RawValue>,
    #[serde(rename = "taskRoleArn", borrow)]
    task_role_arn: Option<&'a RawValue>,
    #[serde(rename = "serviceRoleArn", borrow)]
    service_role_arn: Option<&'a RawValue>,
    #[serde(rename = "serviceRole", borrow)]
    service_role: Option<&'a RawValue>,
    #[serde(rename = "iamRoleArn", borrow)]
    iam_role_arn: Option<&'a RawValue>,
    #[serde(rename = "iamInstanceProfile", borrow)]
    iam_instance_profile: Option<&'a RawValue>,
}

/// The string value of a JSON scalar, if it is a non-empty string.
fn string(raw: Option<&RawValue>) -> Option<Cow<'_, str>> {
    let raw = raw?;
    if !raw.get().starts_with('"') {
        return None;
    }
    serde_json::from_str::<Cow<str>>(raw.get()).ok().filter(|s| !s.is_empty())
}

/// Strings in a JSON array of strings, or the single string.
fn strings(raw: Option<&RawValue>) -> Vec<String> {
    let Some(raw) = raw else { return Vec::new() };
    if raw.get().starts_with('[') {
        serde_json::from_str::<Vec<serde_json::Value>>(raw.get())
            .map(|v| v.into_iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    } else {
        string(Some(raw)).map(|s| vec![s.into_owned()]).unwrap_or_default()
    }
}

/// Partition, region and account used to build ARNs.
struct Ctx<'a> {
    partition: &'static str,
    region: &'a str,
    account: &'a str,
}

fn partition_for(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

/// Parsed request, kept for both resource and PassRole extraction.
pub(crate) struct Request<'a> {
    req: Req<'a>,
}

pub(crate) fn parse_request<'a>(ev: &EventFields<'a>) -> Request<'a> {
    let req = ev
        .request_parameters
        .filter(|t| t.len() > 2 && t.trim_start().starts_with('{'))
        .and_then(|t| serde_json::from_str::<Req<'a>>(t).ok())
        .unwrap_or_default();
    Request { req }
}

/// Collect candidate ARNs from `resources[]` and the request.
pub(crate) fn candidates(ev: &EventFields, request: &Request) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    // Set to false once resources[] has been read.
    let from_record = std::cell::Cell::new(true);
    let mut push = |arn: String, copy_source: bool| {
        let arn = if arn.contains(":lambda:") { unqualified_function(&arn).to_string() } else { arn };
        if arn.starts_with("arn:") && !out.iter().any(|c| c.arn == arn && c.copy_source == copy_source) {
            out.push(Candidate { arn, copy_source, from_record: from_record.get() });
        }
    };
    if let Some(text) = ev.resources.filter(|t| t.len() > 2) {
        // Entries are `{ARN, accountId, type}` (some exporters write `arn`); others are ignored.
        if let Ok(list) = serde_json::from_str::<Vec<serde_json::Value>>(text) {
            for r in list {
                if let Some(a) = r.get("ARN").or_else(|| r.get("arn")).and_then(|a| a.as_str()) {
                    push(a.to_string(), false);
                }
            }
        }
    }

    from_record.set(false);
    let region = ev.aws_region.unwrap_or("");
    let account = ev.recipient_account_id.or(ev.account_id).unwrap_or("");
    let cx = Ctx { partition: partition_for(region), region, account };
    let r = &request.req;
    let p = cx.partition;

    if let Some(bucket) = string(r.bucket_name) {
        push(format!("arn:{p}:s3:::{bucket}"), false);
        if let Some(key) = string(r.key) {
            push(format!("arn:{p}:s3:::{bucket}/{key}"), false);
        }
    }
    if let Some(src) = string(r.copy_source) {
        // `bucket/key[?versionId=..]`, possibly URL-encoded and with a leading slash.
        let src = src.trim_start_matches('/');
        let src = src.split_once("?versionId=").map(|(s, _)| s).unwrap_or(src);
        let decoded = percent_decode(src);
        if decoded.contains('/') {
            push(format!("arn:{p}:s3:::{decoded}"), true);
        }
    }
    if let Some(t) = string(r.table_name) {
        push(or_arn(&t, || format!("arn:{p}:dynamodb:{}:{}:table/{t}", cx.region, cx.account)), false);
    }
    if let Some(f) = string(r.function_name) {
        push(lambda_function_arn(&f, &cx), false);
    }
    if let Some(k) = string(r.key_id) {
        let arn = if k.starts_with("alias/") {
            format!("arn:{p}:kms:{}:{}:{k}", cx.region, cx.account)
        } else {
            format!("arn:{p}:kms:{}:{}:key/{k}", cx.region, cx.account)
        };
        push(or_arn(&k, || arn), false);
    }
    if let Some(s) = string(r.secret_id) {
        push(or_arn(&s, || format!("arn:{p}:secretsmanager:{}:{}:secret:{s}", cx.region, cx.account)), false);
    }
    if let Some(q) = string(r.queue_url) {
        if let Some(arn) = sqs_arn_from_url(&q, p) {
            push(arn, false);
        }
    }
    if let Some(t) = string(r.topic_arn) {
        push(t.into_owned(), false);
    }
    for (field, kind) in [
        (r.role_name, "role"),
        (r.user_name, "user"),
        (r.group_name, "group"),
        (r.instance_profile_name, "instance-profile"),
    ] {
        if let Some(n) = string(field) {
            push(format!("arn:{p}:iam::{}:{kind}/{n}", cx.account), false);
        }
    }
    if let Some(a) = string(r.policy_arn) {
        push(a.into_owned(), false);
    }
    if ev.event_source == "ssm.amazonaws.com" {
        let mut names = strings(r.names);
        if let Some(n) = string(r.name) {
            names.push(n.into_owned());
        }
        for n in names {
            if n.starts_with("arn:") {
                push(n, false);
            } else {
                let n = n.trim_start_matches('/');
                push(format!("arn:{p}:ssm:{}:{}:parameter/{n}", cx.region, cx.account), false);
                push(format!("arn:{p}:ssm:{}:{}:document/{n}", cx.region, cx.account), false);
            }
        }
    }
    if ev.event_source == "ssm.amazonaws.com" {
        // SendCommand needs the document too; AWS-owned documents (`AWS-*`) have no account.
        if let Some(d) = string(r.document_name) {
            let owner = if d.starts_with("AWS-") || d.starts_with("Amazon") { "" } else { cx.account };
            push(or_arn(&d, || format!("arn:{p}:ssm:{}:{owner}:document/{d}", cx.region)), false);
        }
        // StartSession names the instance (or managed node) as `target`.
        if let Some(t) = string(r.target) {
            if t.starts_with("i-") {
                push(format!("arn:{p}:ec2:{}:{}:instance/{t}", cx.region, cx.account), false);
            } else if t.starts_with("mi-") {
                push(format!("arn:{p}:ssm:{}:{}:managed-instance/{t}", cx.region, cx.account), false);
            }
        }
    }
    if let Some(n) = string(r.repository_name) {
        push(format!("arn:{p}:ecr:{}:{}:repository/{n}", cx.region, cx.account), false);
    }
    if let Some(n) = string(r.log_group_name) {
        push(format!("arn:{p}:logs:{}:{}:log-group:{n}", cx.region, cx.account), false);
        if let Some(s) = string(r.log_stream_name) {
            push(format!("arn:{p}:logs:{}:{}:log-group:{n}:log-stream:{s}", cx.region, cx.account), false);
        }
    }
    if let Some(a) = string(r.resource_arn) {
        push(a.into_owned(), false);
    }
    if ev.event_source == "sts.amazonaws.com" {
        if let Some(a) = string(r.role_arn) {
            push(a.into_owned(), false);
        }
    }
    let mut instances = strings(r.instance_ids);
    instances.extend(string(r.instance_id).map(Cow::into_owned));
    instances.extend(instances_set_ids(r.instances_set));
    for id in instances.into_iter().filter(|i| i.starts_with("i-")) {
        push(format!("arn:{p}:ec2:{}:{}:instance/{id}", cx.region, cx.account), false);
    }
    out
}

fn or_arn(value: &str, build: impl FnOnce() -> String) -> String {
    if value.starts_with("arn:") {
        value.to_string()
    } else {
        build()
    }
}

fn lambda_function_arn(f: &str, cx: &Ctx) -> String {
    if f.starts_with("arn:") {
        return unqualified_function(f).to_string();
    }
    // Partial ARN `123456789012:function:name[:qualifier]`.
    if let Some((acct, rest)) = f.split_once(":function:") {
        let name = rest.split(':').next().unwrap_or(rest);
        return format!("arn:{}:lambda:{}:{acct}:function:{name}", cx.partition, cx.region);
    }
    // `name[:qualifier]`.
    let name = f.split(':').next().unwrap_or(f);
    format!("arn:{}:lambda:{}:{}:function:{name}", cx.partition, cx.region, cx.account)
}

/// A Lambda function ARN with a version or alias qualifier (`...:function:name:3`, `:PROD`)
/// names the function: its policies grant on the function ARN.
pub(crate) fn unqualified_function(arn: &str) -> &str {
    if !arn.contains(":lambda:") {
        return arn;
    }
    // arn:partition:lambda:region:account:function:name[:qualifier]
    match arn.match_indices(':').nth(6) {
        Some((i, _)) if arn.split(':').nth(5) == Some("function") => &arn[..i],
        _ => arn,
    }
}

/// `https://sqs.us-east-1.amazonaws.com/123456789012/name` -> `arn:aws:sqs:us-east-1:123...:name`.
fn sqs_arn_from_url(url: &str, partition: &str) -> Option<String> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let mut parts = rest.split('/');
    let host = parts.next()?;
    let account = parts.next()?;
    let name = parts.next()?;
    let mut labels = host.split('.');
    let first = labels.next()?;
    let region = if first == "sqs" {
        labels.next()?
    } else {
        first // legacy `<region>.queue.amazonaws.com`
    };
    if account.is_empty() || name.is_empty() {
        return None;
    }
    Some(format!("arn:{partition}:sqs:{region}:{account}:{name}"))
}

fn instances_set_ids(raw: Option<&RawValue>) -> Vec<String> {
    #[derive(Deserialize)]
    struct Set {
        #[serde(default)]
        items: Vec<Item>,
    }
    #[derive(Deserialize)]
    struct Item {
        #[serde(rename = "instanceId")]
        instance_id: Option<String>,
    }
    raw.and_then(|r| serde_json::from_str::<Set>(r.get()).ok())
        .map(|s| s.items.into_iter().filter_map(|i| i.instance_id).collect())
        .unwrap_or_default()
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// The catalog ARNs an action can take, from the candidates.
pub(crate) fn resources_for(
    cat: &Catalog,
    action: &ActionInfo,
    candidates: &[Candidate],
    want_copy_source: bool,
) -> Vec<String> {
    let fits = |c: &Candidate| {
        action.resource_types.iter().any(|rt| {
            cat.resource_type(&action.service, &rt.name)
                .is_some_and(|t| t.arn_formats.iter().any(|f| arn_matches_format(&c.arn, f)))
        })
    };
    // A copy's source object is listed in resources[] too: keep it off the write side.
    let is_source = |arn: &str| candidates.iter().any(|c| c.copy_source && c.arn == arn);
    let eligible = |c: &&Candidate| {
        if want_copy_source {
            c.copy_source || (c.from_record && is_source(&c.arn))
        } else {
            !c.copy_source && !is_source(&c.arn)
        }
    };
    // resources[] is authoritative; ARNs built from the request only fill in when it has none.
    let mut out: Vec<String> = Vec::new();
    for record_pass in [true, false] {
        for c in candidates
            .iter()
            .filter(eligible)
            .filter(|c| c.from_record == record_pass || (want_copy_source && c.copy_source))
        {
            if fits(c) && !out.contains(&c.arn) {
                out.push(c.arn.clone());
            }
        }
        if !out.is_empty() {
            break;
        }
    }
    out.sort();
    out
}

/// Whether an ARN fits a catalog ARN format such as
/// `arn:${Partition}:s3:::${BucketName}/${ObjectName}`. Variables match one or more characters
/// other than `:` and `/`, except a final path-like variable (object key, role name with path,
/// secret or parameter name), which may contain `/` (and `:` for the last ARN field).
pub(crate) fn arn_matches_format(arn: &str, format: &str) -> bool {
    match_from(arn.as_bytes(), format)
}

fn match_from(arn: &[u8], format: &str) -> bool {
    let Some(start) = format.find("${") else {
        return arn.eq_ignore_ascii_case(format.as_bytes());
    };
    let lit = &format.as_bytes()[..start];
    if arn.len() < lit.len() || !arn[..lit.len()].eq_ignore_ascii_case(lit) {
        return false;
    }
    let Some(close) = format[start..].find('}') else {
        return false;
    };
    let var = &format[start + 2..start + close];
    let rest_fmt = &format[start + close + 1..];
    let arn = &arn[lit.len()..];
    let path_like = var.ends_with("WithPath")
        || var.contains("Path")
        || matches!(
            var,
            "ObjectName"
                | "SecretId"
                | "ParameterNameWithoutLeadingSlash"
                | "LogGroupName"
                | "LogStreamName"
                | "KeyName"
        );
    if rest_fmt.is_empty() {
        return !arn.is_empty() && (path_like || !arn.iter().any(|&b| b == b':' || b == b'/'));
    }
    // Variable matches 1..n bytes without ':' (nor '/', unless path-like: a log group name
    // has slashes in the middle of a log-stream ARN); try each split point.
    for end in 1..=arn.len() {
        let b = arn[end - 1];
        if b == b':' || (b == b'/' && !path_like) {
            break;
        }
        if match_from(&arn[end..], rest_fmt) {
            return true;
        }
    }
    false
}

/// Roles the request passes to a service (for `iam:PassRole`).
pub(crate) fn passed_roles(ev: &EventFields, request: &Request) -> Vec<PassedRole> {
    // STS and IAM role fields name the role being assumed or managed, not one passed to a service.
    if matches!(ev.event_source, "sts.amazonaws.com" | "iam.amazonaws.com" | "signin.amazonaws.com") {
        return iam_passed_roles(ev, request);
    }
    let r = &request.req;
    let to_default = ev.event_source.to_string();
    let mut out: Vec<PassedRole> = Vec::new();
    let mut push = |arn: String, to: &str| {
        if !out.iter().any(|p| p.arn == arn) {
            out.push(PassedRole { arn, to_service: to.to_string() });
        }
    };
    let ecs_tasks = "ecs-tasks.amazonaws.com";
    for (field, to) in [
        (r.role_arn, to_default.as_str()),
        (r.role_arn_upper, to_default.as_str()),
        (r.role, to_default.as_str()),
        (r.service_role_arn, to_default.as_str()),
        (r.service_role, to_default.as_str()),
        (r.iam_role_arn, to_default.as_str()),
        (r.execution_role_arn, if ev.event_source == "ecs.amazonaws.com" { ecs_tasks } else { to_default.as_str() }),
        (r.task_role_arn, if ev.event_source == "ecs.amazonaws.com" { ecs_tasks } else { to_default.as_str() }),
    ] {
        if let Some(v) = string(field) {
            if v.starts_with("arn:") && v.contains(":role/") {
                push(v.into_owned(), to);
            }
        }
    }
    if let Some(profile) = instance_profile_arn(ev, r.iam_instance_profile) {
        // The profile's role is not known without account data: the profile ARN stands in.
        push(profile, "ec2.amazonaws.com");
    }
    // Roles in nested fields (`CreateFlowLogsRequest.DeliverLogsPermissionArn`, a replication
    // configuration's `role`, a target's `RoleArn`): only parsed when the text names a role.
    if let Some(text) = ev.request_parameters.filter(|t| t.contains(":role/")) {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
            nested_roles(&v, false, &mut |arn| push(arn, to_default.as_str()));
        }
    }
    out
}

/// Role ARNs under keys that pass a role (`*role*`, `*PermissionArn`), at any depth; policy
/// documents and principals are not descended into (a role named there is not passed).
fn nested_roles(v: &serde_json::Value, role_key: bool, found: &mut dyn FnMut(String)) {
    match v {
        serde_json::Value::String(s) if role_key && s.starts_with("arn:") && s.contains(":role/") => found(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|x| nested_roles(x, role_key, found)),
        serde_json::Value::Object(map) => {
            for (k, x) in map {
                let k = k.to_ascii_lowercase();
                if k.contains("principal") || k.contains("policy") || k.contains("condition") {
                    continue;
                }
                nested_roles(x, k.contains("role") || k.ends_with("permissionarn"), found);
            }
        }
        _ => {}
    }
}

/// `iam:AddRoleToInstanceProfile` passes the role to EC2 via the profile.
fn iam_passed_roles(ev: &EventFields, request: &Request) -> Vec<PassedRole> {
    if ev.event_source != "iam.amazonaws.com" || ev.event_name != "AddRoleToInstanceProfile" {
        return Vec::new();
    }
    let account = ev.recipient_account_id.or(ev.account_id).unwrap_or("");
    let p = partition_for(ev.aws_region.unwrap_or(""));
    string(request.req.role_name)
        .map(|n| {
            vec![PassedRole {
                arn: format!("arn:{p}:iam::{account}:role/{n}"),
                to_service: "ec2.amazonaws.com".to_string(),
            }]
        })
        .unwrap_or_default()
}

fn instance_profile_arn(ev: &EventFields, raw: Option<&RawValue>) -> Option<String> {
    #[derive(Deserialize)]
    struct Profile {
        arn: Option<String>,
        name: Option<String>,
    }
    let raw = raw?;
    let account = ev.recipient_account_id.or(ev.account_id).unwrap_or("");
    let p = partition_for(ev.aws_region.unwrap_or(""));
    if let Some(s) = string(Some(raw)) {
        return Some(or_arn(&s, || format!("arn:{p}:iam::{account}:instance-profile/{s}")));
    }
    let prof: Profile = serde_json::from_str(raw.get()).ok()?;
    prof.arn
        .filter(|a| !a.is_empty())
        .or_else(|| prof.name.filter(|n| !n.is_empty()).map(|n| format!("arn:{p}:iam::{account}:instance-profile/{n}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::catalog;

    #[test]
    fn arn_format_matching() {
        let bucket = "arn:${Partition}:s3:::${BucketName}";
        let object = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
        assert!(arn_matches_format("arn:aws:s3:::b", bucket));
        assert!(!arn_matches_format("arn:aws:s3:::b/k", bucket));
        assert!(arn_matches_format("arn:aws:s3:::b/k/deep.txt", object));
        assert!(!arn_matches_format("arn:aws:s3:::b", object));
        let role = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}";
        assert!(arn_matches_format("arn:aws:iam::123456789012:role/a/b", role));
        assert!(!arn_matches_format("arn:aws:iam::123456789012:user/a", role));
    }

    #[test]
    fn log_stream_arn_from_group_and_stream() {
        let ev = EventFields {
            event_source: "logs.amazonaws.com",
            event_name: "CreateLogStream",
            aws_region: Some("us-east-1"),
            recipient_account_id: Some("111122223333"),
            request_parameters: Some(r#"{"logGroupName":"/app/server","logStreamName":"i-1/2026"}"#),
            ..Default::default()
        };
        let arns: Vec<String> = candidates(&ev, &parse_request(&ev)).into_iter().map(|c| c.arn).collect();
        let stream = "arn:aws:logs:us-east-1:111122223333:log-group:/app/server:log-stream:i-1/2026";
        assert!(arns.contains(&stream.to_owned()), "{arns:?}");
        let format = "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}";
        assert!(arn_matches_format(stream, format));
        assert!(!arn_matches_format("arn:aws:logs:us-east-1:111122223333:log-group:/app/server", format));
    }

    #[test]
    fn ssm_document_and_session_target() {
        let ev = EventFields {
            event_source: "ssm.amazonaws.com",
            event_name: "SendCommand",
            aws_region: Some("us-east-1"),
            recipient_account_id: Some("111122223333"),
            request_parameters: Some(
                r#"{"documentName":"AWS-RunShellScript","instanceIds":["i-0abc"],"target":"i-0def"}"#,
            ),
            ..Default::default()
        };
        let arns: Vec<String> = candidates(&ev, &parse_request(&ev)).into_iter().map(|c| c.arn).collect();
        assert!(arns.contains(&"arn:aws:ssm:us-east-1::document/AWS-RunShellScript".to_owned()), "{arns:?}");
        assert!(arns.contains(&"arn:aws:ec2:us-east-1:111122223333:instance/i-0abc".to_owned()), "{arns:?}");
        assert!(arns.contains(&"arn:aws:ec2:us-east-1:111122223333:instance/i-0def".to_owned()), "{arns:?}");
    }

    #[test]
    fn sqs_url() {
        assert_eq!(
            sqs_arn_from_url("https://sqs.eu-west-1.amazonaws.com/123456789012/q1", "aws").as_deref(),
            Some("arn:aws:sqs:eu-west-1:123456789012:q1")
        );
        assert_eq!(sqs_arn_from_url("nonsense", "aws"), None);
    }

    #[test]
    fn resources_chosen_by_resource_type() {
        let ev = EventFields {
            event_source: "s3.amazonaws.com",
            event_name: "GetObject",
            aws_region: Some("us-east-1"),
            recipient_account_id: Some("123456789012"),
            request_parameters: Some(r#"{"bucketName":"b","key":"k/1.txt","Host":"x"}"#),
            ..Default::default()
        };
        let req = parse_request(&ev);
        let c = candidates(&ev, &req);
        let cat = catalog();
        let get = cat.action("s3:GetObject").unwrap();
        let list = cat.action("s3:ListBucket").unwrap();
        assert_eq!(resources_for(cat, get, &c, false), vec!["arn:aws:s3:::b/k/1.txt"]);
        assert_eq!(resources_for(cat, list, &c, false), vec!["arn:aws:s3:::b"]);
    }

    #[test]
    fn built_arns() {
        let ev = EventFields {
            event_source: "secretsmanager.amazonaws.com",
            event_name: "GetSecretValue",
            aws_region: Some("cn-north-1"),
            recipient_account_id: Some("123456789012"),
            request_parameters: Some(
                r#"{"secretId":"prod/db","functionName":"f","keyId":"alias/k","queueUrl":"https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q","tableName":"t","roleName":"r","instancesSet":{"items":[{"instanceId":"i-1"}]}}"#,
            ),
            ..Default::default()
        };
        let c: Vec<String> = candidates(&ev, &parse_request(&ev)).into_iter().map(|c| c.arn).collect();
        for want in [
            "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:prod/db",
            "arn:aws-cn:lambda:cn-north-1:123456789012:function:f",
            "arn:aws-cn:kms:cn-north-1:123456789012:alias/k",
            "arn:aws-cn:sqs:cn-north-1:123456789012:q",
            "arn:aws-cn:dynamodb:cn-north-1:123456789012:table/t",
            "arn:aws-cn:iam::123456789012:role/r",
            "arn:aws-cn:ec2:cn-north-1:123456789012:instance/i-1",
        ] {
            assert!(c.iter().any(|a| a == want), "missing {want} in {c:?}");
        }
    }

    #[test]
    fn passed_role_fields() {
        let ev = EventFields {
            event_source: "ecs.amazonaws.com",
            event_name: "RegisterTaskDefinition",
            recipient_account_id: Some("123456789012"),
            request_parameters: Some(
                r#"{"taskRoleArn":"arn:aws:iam::123456789012:role/task","executionRoleArn":"arn:aws:iam::123456789012:role/exec","family":"f"}"#,
            ),
            ..Default::default()
        };
        let roles = passed_roles(&ev, &parse_request(&ev));
        assert_eq!(roles.len(), 2);
        assert!(roles.iter().all(|r| r.to_service == "ecs-tasks.amazonaws.com"));
        let sts = EventFields {
            event_source: "sts.amazonaws.com",
            event_name: "AssumeRole",
            request_parameters: Some(r#"{"roleArn":"arn:aws:iam::1:role/x"}"#),
            ..Default::default()
        };
        assert!(passed_roles(&sts, &parse_request(&sts)).is_empty());
    }
}
