//! Forward access sessions: calls a service makes with the caller's permissions while serving
//! a request (S3 `GetObject` on an SSE-KMS object decrypts with `kms:Decrypt` as the caller).
//! The map is generated data (`data/fas-map.json`, from `scripts/gen_fas_map.py`).
//!
//! A dependent KMS action is emitted only where the event names the KMS key it used (a key ARN
//! in the request, response or additional data, such as S3's
//! `x-amz-server-side-encryption-aws-kms-key-id`): without one the object or table may be
//! unencrypted or use an AWS owned key, and the caller needs no KMS permission.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Debug, Deserialize)]
pub struct Dependent {
    pub action: String,
    /// `kms:ViaService` with a `${region}` placeholder (empty when the map gives none).
    pub via_service: String,
}

#[derive(Debug, Deserialize)]
struct FasMap {
    operations: BTreeMap<String, Vec<Dependent>>,
}

fn map() -> &'static FasMap {
    static MAP: OnceLock<FasMap> = OnceLock::new();
    MAP.get_or_init(|| {
        serde_json::from_str(include_str!("../../data/fas-map.json")).expect("data/fas-map.json is valid (unit-tested)")
    })
}

/// Every (event, dependent action) of the map, for validation.
pub fn all() -> impl Iterator<Item = (&'static str, &'static Dependent)> {
    map().operations.iter().flat_map(|(op, deps)| deps.iter().map(move |d| (op.as_str(), d)))
}

/// One action a service performed for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardCall {
    pub action: String,
    pub resource: String,
    /// The service that made the call (`s3.amazonaws.com`).
    pub via_service: String,
}

/// The first KMS key ARN in a JSON text (keys, not aliases: grants are on keys).
fn kms_key(text: &str) -> Option<String> {
    text.match_indices(":kms:").find_map(|(at, _)| {
        let begin = text[..at].rfind("arn:")?;
        let rest = &text[begin..];
        let end = rest.find(|c: char| c == '"' || c == ',' || c.is_whitespace()).unwrap_or(rest.len());
        let arn = &rest[..end];
        (arn.contains(":key/") && arn.split(':').count() == 6).then(|| arn.to_owned())
    })
}

/// The KMS actions the service performed for this event's caller, on the key the event names.
pub fn forward_calls(event_source: &str, event_name: &str, texts: &[Option<&str>]) -> Vec<ForwardCall> {
    let Some(deps) = map().operations.get(&format!("{event_source}:{event_name}")) else { return Vec::new() };
    let Some(key) = texts.iter().flatten().find_map(|t| kms_key(t)) else { return Vec::new() };
    deps.iter()
        .filter(|d| d.action.starts_with("kms:"))
        .map(|d| ForwardCall { action: d.action.clone(), resource: key.clone(), via_service: event_source.to_owned() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::catalog;

    #[test]
    fn every_dependent_action_is_in_the_catalog() {
        let mut n = 0;
        for (op, d) in all() {
            assert!(catalog().is_valid_action(&d.action), "{op} -> {} is not an IAM action", d.action);
            assert_eq!(catalog().canonical(&d.action).as_deref(), Some(d.action.as_str()), "{op}");
            n += 1;
        }
        assert!(n >= 40, "{n}");
    }

    const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";

    #[test]
    fn sse_kms_objects_need_the_key_and_plain_ones_do_not() {
        let resp = format!(
            r#"{{"x-amz-server-side-encryption":"aws:kms","x-amz-server-side-encryption-aws-kms-key-id":"{KEY}"}}"#
        );
        let get =
            forward_calls("s3.amazonaws.com", "GetObject", &[Some(r#"{"bucketName":"b","key":"k"}"#), Some(&resp)]);
        assert_eq!(
            get,
            vec![ForwardCall {
                action: "kms:Decrypt".into(),
                resource: KEY.into(),
                via_service: "s3.amazonaws.com".into()
            }]
        );
        let put = forward_calls("s3.amazonaws.com", "PutObject", &[None, Some(&resp)]);
        assert_eq!(put.iter().map(|c| c.action.as_str()).collect::<Vec<_>>(), vec!["kms:GenerateDataKey"]);
        // SSE-S3 or no encryption: no KMS call.
        assert!(forward_calls(
            "s3.amazonaws.com",
            "GetObject",
            &[Some(r#"{"x-amz-server-side-encryption":"AES256"}"#)]
        )
        .is_empty());
        // An operation the map does not list.
        assert!(forward_calls("s3.amazonaws.com", "ListObjects", &[Some(&resp)]).is_empty());
        // An alias is not a key.
        assert!(forward_calls("s3.amazonaws.com", "GetObject", &[Some(r#"{"k":"arn:aws:kms:us-east-1:1:alias/x"}"#)])
            .is_empty());
    }
}
