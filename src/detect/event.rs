//! The event type detection works on, plus the small helpers every detector shares: who acted,
//! what IAM action an API call is, how to read the JSON text columns, and IP / user-agent
//! normalisation.

use std::net::IpAddr;

use serde_json::Value;

/// One lake row, the columns detection needs (owned; the loader fills it from Parquet).
/// JSON columns (`request_parameters`, `response_elements`, `additional_event_data`) hold the JSON
/// text exactly as the lake stores it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Event {
    pub event_id: String,
    /// Event time, milliseconds since the Unix epoch (UTC).
    pub time_ms: i64,
    pub event_source: String,
    pub event_name: String,
    pub aws_region: String,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub event_type: Option<String>,
    pub read_only: Option<bool>,
    pub identity_type: Option<String>,
    pub identity_arn: Option<String>,
    pub account_id: Option<String>,
    pub recipient_account_id: Option<String>,
    pub user_name: Option<String>,
    pub invoked_by: Option<String>,
    pub session_issuer_arn: Option<String>,
    pub session_name: Option<String>,
    pub session_mfa: Option<bool>,
    pub ec2_role_delivery: Option<String>,
    pub vpc_endpoint_id: Option<String>,
    pub request_parameters: Option<String>,
    pub response_elements: Option<String>,
    pub additional_event_data: Option<String>,
}

impl Event {
    /// The principal the event is attributed to: the IAM user, the role behind an assumed-role
    /// session, `arn:aws:iam::<acct>:root` for root, the account for `AWSAccount`, the service for
    /// `AWSService`. Falls back to the identity ARN, then the user name.
    pub fn principal(&self) -> Option<String> {
        let ty = self.identity_type.as_deref().unwrap_or("");
        match ty {
            "Root" => {
                let acct = self.account_id.as_deref().or_else(|| self.identity_arn.as_deref().and_then(arn_account));
                let partition = self.identity_arn.as_deref().and_then(crate::arn::partition_of).unwrap_or("aws");
                acct.map(|a| crate::arn::root_arn(partition, a)).or_else(|| self.identity_arn.clone())
            }
            "AssumedRole" | "FederatedUser" => self
                .session_issuer_arn
                .clone()
                .or_else(|| self.identity_arn.as_deref().map(crate::arn::role_arn_of_session)),
            "AWSAccount" => self.account_id.clone().or_else(|| self.identity_arn.clone()),
            "AWSService" => self.invoked_by.clone().or_else(|| self.identity_arn.clone()),
            _ => self.identity_arn.clone().or_else(|| self.user_name.clone()),
        }
    }

    /// The human-meaningful actor: the session name (assumed roles) or the user name.
    pub fn actor(&self) -> Option<String> {
        self.session_name.clone().or_else(|| self.user_name.clone())
    }

    /// The account whose resources the call acted on.
    pub fn target_account(&self) -> Option<&str> {
        self.recipient_account_id.as_deref().or(self.account_id.as_deref())
    }

    /// Failed calls carry an error code (API calls) or an error message (console sign-in).
    pub fn is_error(&self) -> bool {
        self.error_code.is_some() || self.error_message.is_some()
    }

    /// The event name without the API version suffix Lambda appends
    /// (`UpdateFunctionCode20150331v2` -> `UpdateFunctionCode`).
    pub fn base_name(&self) -> &str {
        base_event_name(&self.event_name)
    }

    /// The IAM actions this call needs, lower-cased, from the event map (`DeleteObjects` ->
    /// `s3:deleteobject`, `UpdateFunctionCode20150331v2` -> `lambda:updatefunctioncode`); calls
    /// the map does not know fall back to `<service prefix>:<event name>`.
    pub fn actions(&self) -> Vec<String> {
        match crate::mapping::event_map().resolve(&self.event_source, &self.event_name) {
            crate::mapping::Resolution::Actions(list) => {
                list.iter().map(|a| a.full_name().to_ascii_lowercase()).collect()
            }
            _ => vec![self.action()],
        }
    }

    /// The literal `<service prefix>:<event name>`, lower-cased (for calls the map does not know).
    pub fn action(&self) -> String {
        format!("{}:{}", service_prefix(&self.event_source), self.base_name()).to_ascii_lowercase()
    }

    pub fn request(&self) -> Option<Value> {
        parse_json(self.request_parameters.as_deref())
    }

    pub fn response(&self) -> Option<Value> {
        parse_json(self.response_elements.as_deref())
    }

    pub fn additional(&self) -> Option<Value> {
        parse_json(self.additional_event_data.as_deref())
    }

    /// Whether the source IP is the name of an AWS service or "AWS Internal" (a call AWS made on
    /// the principal's behalf, not a network location).
    pub fn source_is_aws_service(&self) -> bool {
        self.source_ip.as_deref().is_some_and(is_aws_service_source)
    }
}

/// The account id field of an ARN (the detectors' name for [`crate::arn::account_of`]).
pub use crate::arn::account_of as arn_account;

/// Strips a trailing `YYYYMMDD` or `YYYYMMDDvN` API version from an event name.
pub fn base_event_name(name: &str) -> &str {
    let bytes = name.as_bytes();
    let mut end = bytes.len();
    // Optional `v<digits>` suffix.
    let mut i = end;
    while i > 0 && bytes[i - 1].is_ascii_digit() {
        i -= 1;
    }
    if i < end && i > 0 && bytes[i - 1] == b'v' {
        end = i - 1;
    }
    let mut j = end;
    while j > 0 && bytes[j - 1].is_ascii_digit() {
        j -= 1;
    }
    if end - j == 8 && j > 0 {
        &name[..j]
    } else {
        name
    }
}

/// The IAM service prefix of an event source (`iam.amazonaws.com` -> `iam`), with the two
/// historical renames that matter for IAM actions.
pub fn service_prefix(event_source: &str) -> &str {
    let prefix = event_source.split('.').next().unwrap_or(event_source);
    match prefix {
        "monitoring" => "cloudwatch",
        "email" => "ses",
        other => other,
    }
}

pub fn parse_json(text: Option<&str>) -> Option<Value> {
    let text = text?;
    if text.is_empty() || text == "null" {
        return None;
    }
    serde_json::from_str(text).ok()
}

/// A string value at `key`, case-insensitively on the key (CloudTrail is inconsistent about
/// `userName` vs `UserName` across services).
pub fn get_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    get_key(v, key)?.as_str()
}

pub fn get_key<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    obj.get(key).or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

/// A JSON document that CloudTrail may give either as an object or as (possibly URL-encoded) text.
pub fn embedded_json(v: &Value) -> Option<Value> {
    match v {
        Value::Object(_) => Some(v.clone()),
        Value::String(_) => crate::policy::decode_document(v).ok(),
        _ => None,
    }
}

/// Visits every (key, string value) pair in a JSON tree; stops early when `f` returns true.
pub fn any_string(v: &Value, key: Option<&str>, f: &mut dyn FnMut(Option<&str>, &str) -> bool) -> bool {
    match v {
        Value::String(s) => f(key, s),
        Value::Array(items) => items.iter().any(|item| any_string(item, key, f)),
        Value::Object(map) => map.iter().any(|(k, item)| any_string(item, Some(k), f)),
        _ => false,
    }
}

/// `*.amazonaws.com` service names and "AWS Internal" appear in place of an IP address when AWS
/// itself made the call.
pub fn is_aws_service_source(source: &str) -> bool {
    source.ends_with(".amazonaws.com") || source.eq_ignore_ascii_case("AWS Internal")
}

pub fn parse_ip(source: &str) -> Option<IpAddr> {
    source.trim().parse().ok()
}

/// The network an address belongs to for novelty purposes: the /24 for IPv4, the /48 for IPv6.
pub fn network_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    }
}

/// Addresses that are not on the public internet (private, loopback, link-local, CGNAT, ULA).
pub fn is_non_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback() || v6.is_unspecified() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

/// A user agent with versions normalised away: the first product token
/// (`aws-cli/2.15.0 Python/3.11` -> `aws-cli`, `[S3Console/0.4, aws-internal/3]` -> `S3Console`).
/// A slice of the input: no allocation.
pub fn user_agent_family(ua: &str) -> &str {
    if ua.eq_ignore_ascii_case("AWS Internal") {
        return ua;
    }
    let trimmed = ua.trim().trim_start_matches('[');
    let end = trimmed.find(['/', ' ', ',', ';', '(', ']']).unwrap_or(trimmed.len());
    if end == 0 {
        trimmed
    } else {
        &trimmed[..end]
    }
}

/// ISO-8601 UTC with second precision (the detectors' name for [`crate::time::iso`]).
pub use crate::time::iso as iso_time;

/// The UTC day number of a timestamp (for per-day grouping).
pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(86_400_000)
}

/// Timestamps follow the one grammar of [`crate::time`].
pub use crate::time::parse_ms as parse_time_ms;

/// A numeric id of the network of [`network_key`] (no allocation; for hot loops).
pub fn network_id(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => (1u128 << 64) | u128::from(u32::from(v4) >> 8),
        IpAddr::V6(v6) => (2u128 << 64) | (u128::from(v6) >> 80),
    }
}

/// FxHash (as in rustc): a fast, non-cryptographic hasher for the in-memory indexes of the hot
/// loops (keys are our own strings and integers; no untrusted-collision concern for a batch run).
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl std::hash::Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.add(i as u64);
        self.add((i >> 64) as u64);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.hash
    }
}

pub type FastMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;
pub type FastSet<K> = std::collections::HashSet<K, std::hash::BuildHasherDefault<FxHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_keep_their_partition() {
        let session = Event {
            identity_type: Some("AssumedRole".into()),
            identity_arn: Some("arn:aws-us-gov:sts::111122223333:assumed-role/Deploy/s1".into()),
            ..Event::default()
        };
        assert_eq!(session.principal().as_deref(), Some("arn:aws-us-gov:iam::111122223333:role/Deploy"));
        let root = Event {
            identity_type: Some("Root".into()),
            identity_arn: Some("arn:aws-cn:iam::111122223333:root".into()),
            ..Event::default()
        };
        assert_eq!(root.principal().as_deref(), Some("arn:aws-cn:iam::111122223333:root"));
        let root_by_account =
            Event { identity_type: Some("Root".into()), account_id: Some("111122223333".into()), ..Event::default() };
        assert_eq!(root_by_account.principal().as_deref(), Some("arn:aws:iam::111122223333:root"));
    }
}
