//! The typed CloudTrail record: parsed once from borrowed JSON, flattened into lake columns.
//!
//! A record is read key by key (not through a generic map) so that known fields land in their
//! columns without copies where possible, and every unknown top-level key is kept in `extra`:
//! no top-level field of a record is ever lost.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// A scalar that tolerates the type drift seen in real logs (numbers or booleans where strings
/// are documented, objects where a scalar is expected): always rendered as text.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Text<'a>(pub Option<Cow<'a, str>>);

impl<'a> Text<'a> {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
    fn into_string(self) -> Option<String> {
        self.0.map(Cow::into_owned)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v))))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                // Unexpected object: keep it as JSON text rather than failing the record.
                let mut obj = serde_json::Map::new();
                while let Some((k, v)) = m.next_entry::<String, serde_json::Value>()? {
                    obj.insert(k, v);
                }
                Ok(Text(Some(Cow::Owned(serde_json::Value::Object(obj).to_string()))))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                let mut arr = Vec::new();
                while let Some(v) = s.next_element::<serde_json::Value>()? {
                    arr.push(v);
                }
                Ok(Text(Some(Cow::Owned(serde_json::Value::Array(arr).to_string()))))
            }
        }
        d.deserialize_any(V)
    }
}

fn parse_bool(t: &Text) -> Option<bool> {
    match t.as_deref()? {
        s if s.eq_ignore_ascii_case("true") => Some(true),
        s if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionIssuer<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Text<'a>,
    #[serde(borrow, default)]
    arn: Text<'a>,
    #[serde(borrow, default)]
    user_name: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionAttributes<'a> {
    #[serde(borrow, default)]
    creation_date: Text<'a>,
    #[serde(borrow, default)]
    mfa_authenticated: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionContext<'a> {
    #[serde(borrow, default)]
    session_issuer: Option<SessionIssuer<'a>>,
    #[serde(borrow, default)]
    attributes: Option<SessionAttributes<'a>>,
    #[serde(borrow, default)]
    source_identity: Text<'a>,
    #[serde(borrow, default)]
    ec2_role_delivery: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserIdentity<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Text<'a>,
    #[serde(borrow, default)]
    principal_id: Text<'a>,
    #[serde(borrow, default)]
    arn: Text<'a>,
    #[serde(borrow, default)]
    account_id: Text<'a>,
    #[serde(borrow, default)]
    access_key_id: Text<'a>,
    #[serde(borrow, default)]
    user_name: Text<'a>,
    #[serde(borrow, default)]
    invoked_by: Text<'a>,
    #[serde(borrow, default)]
    session_context: Option<SessionContext<'a>>,
}

/// One CloudTrail event, flattened to the lake's columns (owned: it outlives the file buffer).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct EventRow {
    pub event_id: String,
    /// Milliseconds since the Unix epoch, UTC.
    pub event_time: i64,
    pub event_source: String,
    pub event_name: String,
    pub aws_region: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub read_only: Option<bool>,
    pub event_type: Option<String>,
    pub event_category: Option<String>,
    pub management_event: Option<bool>,
    pub recipient_account_id: Option<String>,
    pub identity_type: Option<String>,
    pub identity_arn: Option<String>,
    pub principal_id: Option<String>,
    pub account_id: Option<String>,
    pub access_key_id: Option<String>,
    pub user_name: Option<String>,
    pub invoked_by: Option<String>,
    pub session_issuer_arn: Option<String>,
    pub session_issuer_type: Option<String>,
    pub session_issuer_name: Option<String>,
    pub session_name: Option<String>,
    pub session_mfa: Option<bool>,
    pub session_created: Option<i64>,
    pub source_identity: Option<String>,
    pub ec2_role_delivery: Option<String>,
    pub user_identity: Option<String>,
    pub request_parameters: Option<String>,
    pub response_elements: Option<String>,
    pub additional_event_data: Option<String>,
    pub resources: Option<String>,
    pub shared_event_id: Option<String>,
    pub vpc_endpoint_id: Option<String>,
    pub event_version: Option<String>,
    pub request_id: Option<String>,
    pub tls_details: Option<String>,
    /// JSON object of every top-level field that has no column of its own.
    pub extra: Option<String>,
    /// The delivery file the event was read from (set by the caller).
    pub source_file: Option<String>,
}

/// Why one record was rejected (the file and index are added by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError(pub String);

/// Key-by-key view of a record before validation.
#[derive(Default)]
struct RawRecord<'a> {
    scalars: Vec<(&'static str, Text<'a>)>,
    user_identity: Option<&'a RawValue>,
    json: Vec<(&'static str, &'a RawValue)>,
    extra: Vec<(Cow<'a, str>, &'a RawValue)>,
}

/// Top-level keys with a scalar column; the column name is the map value.
const SCALAR_KEYS: &[(&str, &str)] = &[
    ("eventID", "event_id"),
    ("eventTime", "event_time"),
    ("eventSource", "event_source"),
    ("eventName", "event_name"),
    ("awsRegion", "aws_region"),
    ("sourceIPAddress", "source_ip"),
    ("userAgent", "user_agent"),
    ("errorCode", "error_code"),
    ("errorMessage", "error_message"),
    ("readOnly", "read_only"),
    ("eventType", "event_type"),
    ("eventCategory", "event_category"),
    ("managementEvent", "management_event"),
    ("recipientAccountId", "recipient_account_id"),
    ("sharedEventID", "shared_event_id"),
    ("vpcEndpointId", "vpc_endpoint_id"),
    ("eventVersion", "event_version"),
    ("requestID", "request_id"),
];

/// Top-level keys kept as JSON text.
const JSON_KEYS: &[(&str, &str)] = &[
    ("requestParameters", "request_parameters"),
    ("responseElements", "response_elements"),
    ("additionalEventData", "additional_event_data"),
    ("resources", "resources"),
    ("tlsDetails", "tls_details"),
];

impl<'de: 'a, 'a> Deserialize<'de> for RawRecord<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawRecord<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a CloudTrail record object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut r = RawRecord::default();
                while let Some(key) = m.next_key::<Cow<'de, str>>()? {
                    if key == "userIdentity" {
                        r.user_identity = Some(m.next_value()?);
                    } else if let Some((_, col)) = SCALAR_KEYS.iter().find(|(k, _)| *k == key) {
                        r.scalars.push((col, m.next_value()?));
                    } else if let Some((_, col)) = JSON_KEYS.iter().find(|(k, _)| *k == key) {
                        r.json.push((col, m.next_value()?));
                    } else {
                        r.extra.push((key, m.next_value()?));
                    }
                }
                Ok(r)
            }
        }
        d.deserialize_map(V)
    }
}

/// Parse an ISO-8601 UTC timestamp (`2026-09-01T12:00:00Z`, optional fraction or offset) to ms.
pub fn parse_time_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    // Fast path for CloudTrail's own `YYYY-MM-DDTHH:MM:SSZ`.
    if b.len() == 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[19] == b'Z' {
        let n = |i: usize, l: usize| -> Option<u32> {
            let mut v = 0u32;
            for &c in &b[i..i + l] {
                if !c.is_ascii_digit() {
                    return None;
                }
                v = v * 10 + (c - b'0') as u32;
            }
            Some(v)
        };
        let date = chrono::NaiveDate::from_ymd_opt(n(0, 4)? as i32, n(5, 2)?, n(8, 2)?)?;
        let t = date.and_hms_opt(n(11, 2)?, n(14, 2)?, n(17, 2)?)?;
        return Some(t.and_utc().timestamp_millis());
    }
    chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis()).or_else(|| {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|t| t.and_utc().timestamp_millis())
    })
}

fn json_text(v: &RawValue) -> Option<String> {
    let s = v.get();
    if s == "null" {
        None
    } else {
        Some(s.to_owned())
    }
}

/// Parse one record (the raw JSON of one element of `Records`) into a row.
pub fn parse_record(raw: &RawValue) -> Result<EventRow, RecordError> {
    let rec: RawRecord =
        serde_json::from_str(raw.get()).map_err(|e| RecordError(format!("not a valid record object: {e}")))?;
    let mut row = EventRow::default();
    let mut time: Option<String> = None;
    for (col, val) in rec.scalars {
        match col {
            "read_only" => row.read_only = parse_bool(&val),
            "management_event" => row.management_event = parse_bool(&val),
            _ => {
                let v = val.into_string();
                match col {
                    "event_id" => row.event_id = v.unwrap_or_default(),
                    "event_time" => time = v,
                    "event_source" => row.event_source = v.unwrap_or_default(),
                    "event_name" => row.event_name = v.unwrap_or_default(),
                    "aws_region" => row.aws_region = v,
                    "source_ip" => row.source_ip = v,
                    "user_agent" => row.user_agent = v,
                    "error_code" => row.error_code = v,
                    "error_message" => row.error_message = v,
                    "event_type" => row.event_type = v,
                    "event_category" => row.event_category = v,
                    "recipient_account_id" => row.recipient_account_id = v,
                    "shared_event_id" => row.shared_event_id = v,
                    "vpc_endpoint_id" => row.vpc_endpoint_id = v,
                    "event_version" => row.event_version = v,
                    "request_id" => row.request_id = v,
                    _ => unreachable!("column {col} is listed in SCALAR_KEYS"),
                }
            }
        }
    }
    for (col, val) in rec.json {
        let v = json_text(val);
        match col {
            "request_parameters" => row.request_parameters = v,
            "response_elements" => row.response_elements = v,
            "additional_event_data" => row.additional_event_data = v,
            "resources" => row.resources = v,
            "tls_details" => row.tls_details = v,
            _ => unreachable!("column {col} is listed in JSON_KEYS"),
        }
    }
    let mut missing = Vec::new();
    if row.event_id.is_empty() {
        missing.push("eventID");
    }
    if time.is_none() {
        missing.push("eventTime");
    }
    if row.event_source.is_empty() {
        missing.push("eventSource");
    }
    if row.event_name.is_empty() {
        missing.push("eventName");
    }
    if !missing.is_empty() {
        return Err(RecordError(format!("missing required field(s): {}", missing.join(", "))));
    }
    let time = time.unwrap_or_default();
    row.event_time =
        parse_time_ms(&time).ok_or_else(|| RecordError(format!("eventTime {time:?} is not an ISO-8601 timestamp")))?;

    if let Some(ui) = rec.user_identity {
        row.user_identity = json_text(ui);
        if row.user_identity.is_some() {
            let id: UserIdentity =
                serde_json::from_str(ui.get()).map_err(|e| RecordError(format!("userIdentity is malformed: {e}")))?;
            flatten_identity(&mut row, id);
        }
    }
    if !rec.extra.is_empty() {
        // Sorted so the same record always gives the same text.
        let mut extra = rec.extra;
        extra.sort_by(|a, b| a.0.cmp(&b.0));
        let mut s = String::from("{");
        for (i, (k, v)) in extra.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(&serde_json::to_string(k.as_ref()).expect("a string serialises"));
            s.push(':');
            s.push_str(v.get());
        }
        s.push('}');
        row.extra = Some(s);
    }
    Ok(row)
}

fn flatten_identity(row: &mut EventRow, id: UserIdentity) {
    row.identity_type = id.kind.into_string();
    row.identity_arn = id.arn.into_string();
    row.principal_id = id.principal_id.into_string();
    row.account_id = id.account_id.into_string();
    row.access_key_id = id.access_key_id.into_string();
    row.user_name = id.user_name.into_string();
    row.invoked_by = id.invoked_by.into_string();
    if let Some(ctx) = id.session_context {
        if let Some(issuer) = ctx.session_issuer {
            row.session_issuer_type = issuer.kind.into_string();
            row.session_issuer_arn = issuer.arn.into_string();
            row.session_issuer_name = issuer.user_name.into_string();
        }
        if let Some(attr) = ctx.attributes {
            row.session_mfa = parse_bool(&attr.mfa_authenticated);
            row.session_created = attr.creation_date.as_deref().and_then(parse_time_ms);
        }
        row.source_identity = ctx.source_identity.into_string();
        row.ec2_role_delivery = ctx.ec2_role_delivery.into_string();
    }
    // The session name is the last segment of an assumed-role ARN:
    // arn:aws:sts::123456789012:assumed-role/RoleName/session-name
    if row.identity_type.as_deref() == Some("AssumedRole") {
        if let Some(arn) = &row.identity_arn {
            if let Some(rest) = arn.split_once(":assumed-role/").map(|x| x.1) {
                if let Some((_, session)) = rest.split_once('/') {
                    row.session_name = Some(session.to_owned());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<EventRow, RecordError> {
        let raw: Box<RawValue> = serde_json::from_str(s).unwrap();
        parse_record(&raw)
    }

    #[test]
    fn flattens_assumed_role_identity() {
        let r = parse(
            r#"{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROA:i-0abc","arn":"arn:aws:sts::111122223333:assumed-role/app/i-0abc","accountId":"111122223333","accessKeyId":"ASIAX","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROA","arn":"arn:aws:iam::111122223333:role/service/app","accountId":"111122223333","userName":"app"},"attributes":{"creationDate":"2026-09-01T10:00:00Z","mfaAuthenticated":"false"},"ec2RoleDelivery":"2.0"}},"eventTime":"2026-09-01T10:05:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","readOnly":true,"eventID":"e1","managementEvent":false,"recipientAccountId":"111122223333","eventCategory":"Data","someNewField":{"x":1}}"#,
        )
        .unwrap();
        assert_eq!(r.identity_type.as_deref(), Some("AssumedRole"));
        assert_eq!(r.session_issuer_arn.as_deref(), Some("arn:aws:iam::111122223333:role/service/app"));
        assert_eq!(r.session_name.as_deref(), Some("i-0abc"));
        assert_eq!(r.session_mfa, Some(false));
        assert_eq!(r.ec2_role_delivery.as_deref(), Some("2.0"));
        assert_eq!(r.read_only, Some(true));
        assert_eq!(r.management_event, Some(false));
        assert_eq!(r.event_time, 1_788_256_800_000 + 300_000);
        assert_eq!(r.extra.as_deref(), Some(r#"{"someNewField":{"x":1}}"#));
    }

    #[test]
    fn reports_missing_required_fields() {
        let e = parse(r#"{"eventTime":"2026-09-01T10:05:00Z","eventSource":"s3.amazonaws.com"}"#).unwrap_err();
        assert_eq!(e.0, "missing required field(s): eventID, eventName");
        let e = parse(r#"{"eventID":"a","eventTime":"yesterday","eventSource":"s","eventName":"n"}"#).unwrap_err();
        assert!(e.0.contains("not an ISO-8601"), "{}", e.0);
        assert!(parse("[1,2]").is_err());
    }

    #[test]
    fn tolerates_type_drift() {
        let r = parse(r#"{"eventID":"a","eventTime":"2026-09-01T10:05:00.123Z","eventSource":"s","eventName":"n","readOnly":"false","errorCode":404,"requestParameters":null}"#).unwrap();
        assert_eq!(r.read_only, Some(false));
        assert_eq!(r.error_code.as_deref(), Some("404"));
        assert_eq!(r.request_parameters, None);
        assert_eq!(r.event_time % 1000, 123);
    }

    #[test]
    fn unescapes_strings() {
        let r = parse(r#"{"eventID":"a","eventTime":"2026-09-01T10:05:00Z","eventSource":"s","eventName":"n","userAgent":"a\"b\u00e9"}"#).unwrap();
        assert_eq!(r.user_agent.as_deref(), Some("a\"bé"));
    }
}
