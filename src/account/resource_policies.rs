//! Resource-based policies (S3 buckets, KMS keys, SQS queues, SNS topics, secrets, Lambda
//! functions, ...) keyed by resource ARN, and the lookup of the policy that governs a resource.
//!
//! Input: a folder of JSON files. A file is `{"arn": "...", "policy": {...}}` (the policy may also be
//! a JSON string), or a JSON array of those, or a policy document (or the output of a service's
//! get-policy call: `{"Policy": "<json>"}`, `{"Attributes": {"Policy": ..}}`,
//! `{"ResourcePolicy": ..}`) in a file whose name is the URL-encoded resource ARN.

use std::collections::BTreeMap;
use std::path::Path;

use percent_encoding::percent_decode_str;
use serde_json::Value;

use super::document::{decode_document, json_type, parse_named, DocContext};
use super::error::AccountError;
use crate::arn::Arn;
use crate::policy::{NamedPolicy, PolicyKind};

/// Resource policies by ARN, and warnings.
#[derive(Debug, Clone, Default)]
pub struct ResourcePolicies {
    pub policies: BTreeMap<String, NamedPolicy>,
    pub warnings: Vec<String>,
}

/// Loads every `*.json` file of a folder (or one file).
pub fn load(path: &Path) -> anyhow::Result<ResourcePolicies> {
    let mut out = ResourcePolicies::default();
    let files = if path.is_dir() {
        let mut files = Vec::new();
        for entry in
            std::fs::read_dir(path).map_err(|e| AccountError::input(&path.display().to_string(), e.to_string()))?
        {
            let p = entry.map_err(|e| AccountError::input(&path.display().to_string(), e.to_string()))?.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name.starts_with('.') || !p.is_file() {
                continue;
            }
            if name.ends_with(".json") {
                files.push(p);
            } else {
                out.warnings.push(format!("{}: ignored (resource policy files must end in .json)", p.display()));
            }
        }
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    for file in files {
        let display = file.display().to_string();
        let text = std::fs::read_to_string(&file).map_err(|e| AccountError::input(&display, e.to_string()))?;
        let file_name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        for (arn, policy) in parse_file(&text, &file_name, &display)? {
            if out.policies.contains_key(&arn) {
                out.warnings.push(format!("{display}: a second policy for {arn} replaces the one read earlier"));
            }
            out.policies.insert(arn, policy);
        }
    }
    Ok(out)
}

/// The ARN encoded in a file name (`arn%3Aaws%3As3%3A%3A%3Abucket.json`), if it is one.
fn arn_from_file_name(file_name: &str) -> Option<String> {
    let stem = file_name.strip_suffix(".json").unwrap_or(file_name);
    let decoded = percent_decode_str(stem).decode_utf8().ok()?.into_owned();
    decoded.starts_with("arn:").then_some(decoded)
}

fn str_field<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|k| v.get(*k).and_then(Value::as_str))
}

/// Finds the ARN and raw policy in one entry of a file.
fn entry_parts(v: &Value) -> (Option<String>, Option<Value>) {
    if v.get("Statement").is_some() {
        return (None, Some(v.clone()));
    }
    let attrs = v.get("Attributes");
    let arn = str_field(v, &["arn", "Arn", "ARN", "ResourceArn", "resourceArn"])
        .or_else(|| attrs.and_then(|a| str_field(a, &["QueueArn", "TopicArn"])))
        .map(str::to_string);
    let policy = ["policy", "Policy", "ResourcePolicy", "document"]
        .iter()
        .find_map(|k| v.get(*k))
        .or_else(|| attrs.and_then(|a| a.get("Policy")))
        .cloned();
    (arn, policy)
}

/// One file's text → (resource ARN, policy) pairs; `file_name` may carry the ARN.
pub fn parse_file(text: &str, file_name: &str, file: &str) -> Result<Vec<(String, NamedPolicy)>, AccountError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| AccountError::input(file, format!("not valid JSON: {e}")))?;
    let entries: Vec<&Value> = match &value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![&value],
        other => {
            return Err(AccountError::input(
                file,
                format!("expected a JSON object or array, found {}", json_type(other)),
            ))
        }
    };
    let mut out = Vec::with_capacity(entries.len());
    for (i, entry) in entries.into_iter().enumerate() {
        let (arn, raw) = entry_parts(entry);
        let arn = arn.or_else(|| arn_from_file_name(file_name)).ok_or_else(|| {
            AccountError::input(
                file,
                format!("entry {}: no resource ARN (give \"arn\" or name the file after the URL-encoded ARN)", i + 1),
            )
        })?;
        let raw = raw.ok_or_else(|| {
            AccountError::input(
                file,
                format!("entry {}: {arn}: no policy (expected {{\"arn\": ..., \"policy\": {{...}}}}, a policy document or a service's get-policy output)", i + 1),
            )
        })?;
        let doc = decode_document(&raw).map_err(|reason| AccountError::Document {
            file: file.to_string(),
            owner: arn.clone(),
            policy: "resource policy".into(),
            reason,
        })?;
        let ctx = DocContext { file, owner: &arn, policy: "resource policy" };
        let named = parse_named(&doc, arn.clone(), PolicyKind::Resource, ctx)?;
        out.push((arn, named));
    }
    Ok(out)
}

/// ARNs whose policy may govern `resource_arn`, most specific first: the ARN itself; for an S3
/// object its bucket (or access point); for a qualified Lambda function the function.
pub fn governing_candidates(resource_arn: &str) -> Vec<String> {
    let mut out = vec![resource_arn.to_string()];
    let Some(arn) = Arn::get(resource_arn) else { return out };
    let with_resource = |resource: &str| Arn { resource, ..arn }.to_string();
    match (arn.service, arn.resource_type()) {
        // An object: its bucket (S3 bucket and object ARNs have no type).
        ("s3", None) => {
            if let Some((bucket, _key)) = arn.resource.split_once('/') {
                out.push(with_resource(bucket));
            }
        }
        // arn:aws:s3:region:acct:accesspoint/name/object/key -> the access point.
        ("s3", Some("accesspoint")) => {
            if let Some((name, _)) = arn.resource_id().split_once('/') {
                out.push(with_resource(&format!("accesspoint/{name}")));
            }
        }
        // function:name:qualifier -> function:name
        ("lambda", Some("function")) => {
            if let Some((name, qualifier)) = arn.resource_id().split_once(':') {
                if !qualifier.contains(':') {
                    out.push(with_resource(&format!("function:{name}")));
                }
            }
        }
        _ => {}
    }
    out
}

/// The policy governing `resource_arn`. Secrets Manager ARNs carry a random `-XXXXXX` suffix that
/// callers often omit, so a secret ARN without it matches the stored ARN with it.
pub fn governing<'a>(policies: &'a BTreeMap<String, NamedPolicy>, resource_arn: &str) -> Option<&'a NamedPolicy> {
    for candidate in governing_candidates(resource_arn) {
        if let Some(p) = policies.get(&candidate) {
            return Some(p);
        }
    }
    if resource_arn.contains(":secretsmanager:") && resource_arn.contains(":secret:") {
        let with_dash = format!("{resource_arn}-");
        return policies
            .range(with_dash.clone()..)
            .take_while(|(k, _)| k.starts_with(&with_dash))
            .find(|(k, _)| k.len() == with_dash.len() + 6)
            .map(|(_, p)| p);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::logs/*"}]}"#;

    fn map(entries: Vec<(String, NamedPolicy)>) -> BTreeMap<String, NamedPolicy> {
        entries.into_iter().collect()
    }

    #[test]
    fn arn_and_policy_object() {
        let text = format!(r#"{{"arn":"arn:aws:s3:::logs","policy":{DOC}}}"#);
        let got = parse_file(&text, "logs.json", "rp/logs.json").unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "arn:aws:s3:::logs");
        assert_eq!(got[0].1.name, "arn:aws:s3:::logs");
        assert_eq!(got[0].1.kind, PolicyKind::Resource);
    }

    #[test]
    fn url_encoded_file_name_and_service_outputs() {
        let got = parse_file(DOC, "arn%3Aaws%3As3%3A%3A%3Alogs.json", "x").unwrap();
        assert_eq!(got[0].0, "arn:aws:s3:::logs");
        // `aws kms get-key-policy` output: {"Policy": "<json string>"}
        let kms = serde_json::json!({"Policy": DOC, "PolicyName": "default"}).to_string();
        let name = "arn%3Aaws%3Akms%3Aeu-west-1%3A111122223333%3Akey%2Fabcd.json";
        let got = parse_file(&kms, name, "x").unwrap();
        assert_eq!(got[0].0, "arn:aws:kms:eu-west-1:111122223333:key/abcd");
        // `aws sqs get-queue-attributes` output carries the ARN itself.
        let sqs =
            serde_json::json!({"Attributes": {"Policy": DOC, "QueueArn": "arn:aws:sqs:eu-west-1:111122223333:q"}})
                .to_string();
        let got = parse_file(&sqs, "queue.json", "x").unwrap();
        assert_eq!(got[0].0, "arn:aws:sqs:eu-west-1:111122223333:q");
    }

    #[test]
    fn missing_arn_is_an_error_naming_the_file() {
        let err = parse_file(DOC, "bucket.json", "rp/bucket.json").unwrap_err().to_string();
        assert!(err.contains("rp/bucket.json") && err.contains("ARN"), "{err}");
    }

    #[test]
    fn an_entry_without_a_policy_is_an_error_saying_what_was_expected() {
        let err = parse_file(r#"{"arn":"arn:aws:s3:::logs","Tags":[]}"#, "logs.json", "rp/logs.json")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("rp/logs.json") && err.contains("arn:aws:s3:::logs") && err.contains("\"policy\""),
            "{err}"
        );
        let err = parse_file(r#"[{"Name":"x"}]"#, "x.json", "rp/x.json").unwrap_err().to_string();
        assert!(err.contains("rp/x.json") && err.contains("entry 1") && err.contains("\"arn\""), "{err}");
    }

    #[test]
    fn s3_objects_are_governed_by_their_bucket() {
        let text =
            format!(r#"[{{"arn":"arn:aws:s3:::logs","policy":{DOC}}},{{"arn":"arn:aws:s3:::other","policy":{DOC}}}]"#);
        let policies = map(parse_file(&text, "all.json", "all.json").unwrap());
        assert_eq!(
            governing(&policies, "arn:aws:s3:::logs/2024/01/a.gz").map(|p| p.name.as_str()),
            Some("arn:aws:s3:::logs")
        );
        assert_eq!(governing(&policies, "arn:aws:s3:::logs").map(|p| p.name.as_str()), Some("arn:aws:s3:::logs"));
        assert!(governing(&policies, "arn:aws:s3:::logs-archive/a").is_none());
        assert!(governing(&policies, "arn:aws:s3:::nope/a").is_none());
    }

    #[test]
    fn lambda_qualifiers_and_secret_suffixes() {
        let text = format!(
            r#"[{{"arn":"arn:aws:lambda:eu-west-1:111122223333:function:f","policy":{DOC}}},{{"arn":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbC123","policy":{DOC}}}]"#
        );
        let policies = map(parse_file(&text, "all.json", "all.json").unwrap());
        assert!(governing(&policies, "arn:aws:lambda:eu-west-1:111122223333:function:f:prod").is_some());
        assert!(governing(&policies, "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db").is_some());
        assert!(governing(&policies, "arn:aws:secretsmanager:eu-west-1:111122223333:secret:d").is_none());
    }
}
