//! The typed CloudTrail record: parsed once from borrowed JSON, flattened into lake columns.
//!
//! A record is read key by key (not through a generic map) so that known fields land in their
//! columns without copies (values borrow the decompressed text unless they hold escapes), and
//! every unknown top-level key is kept in `extra`: no top-level field of a record is ever lost.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// A scalar that tolerates the type drift seen in real logs (numbers or booleans where strings
/// are documented, objects where a scalar is expected): always rendered as text. The flag says
/// whether the JSON value was a string (the identifying fields must be).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Text<'a>(pub Option<Cow<'a, str>>, pub bool);

impl<'a> Text<'a> {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
    fn into_cow(self) -> Option<Cow<'a, str>> {
        self.0
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
                Ok(Text(Some(Cow::Borrowed(v)), true))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_owned())), true))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v)), true))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string())), false))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string())), false))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string())), false))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string())), false))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text(None, false))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text(None, false))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                // Unexpected object: keep it as JSON text rather than failing the record.
                let mut obj = serde_json::Map::new();
                while let Some((k, v)) = m.next_entry::<String, serde_json::Value>()? {
                    obj.insert(k, v);
                }
                Ok(Text(Some(Cow::Owned(serde_json::Value::Object(obj).to_string())), false))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                let mut arr = Vec::new();
                while let Some(v) = s.next_element::<serde_json::Value>()? {
                    arr.push(v);
                }
                Ok(Text(Some(Cow::Owned(serde_json::Value::Array(arr).to_string())), false))
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

/// One CloudTrail event, flattened to the lake's columns. Text borrows the file's decompressed
/// JSON where it can (no allocation per field); the row is copied into column buffers at once.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct EventRow<'a> {
    pub event_id: Cow<'a, str>,
    /// Milliseconds since the Unix epoch, UTC.
    pub event_time: i64,
    pub event_source: Cow<'a, str>,
    pub event_name: Cow<'a, str>,
    pub aws_region: Option<Cow<'a, str>>,
    pub source_ip: Option<Cow<'a, str>>,
    pub user_agent: Option<Cow<'a, str>>,
    pub error_code: Option<Cow<'a, str>>,
    pub error_message: Option<Cow<'a, str>>,
    pub read_only: Option<bool>,
    pub event_type: Option<Cow<'a, str>>,
    pub event_category: Option<Cow<'a, str>>,
    pub management_event: Option<bool>,
    pub recipient_account_id: Option<Cow<'a, str>>,
    pub identity_type: Option<Cow<'a, str>>,
    pub identity_arn: Option<Cow<'a, str>>,
    pub principal_id: Option<Cow<'a, str>>,
    pub account_id: Option<Cow<'a, str>>,
    pub access_key_id: Option<Cow<'a, str>>,
    pub user_name: Option<Cow<'a, str>>,
    pub invoked_by: Option<Cow<'a, str>>,
    pub session_issuer_arn: Option<Cow<'a, str>>,
    pub session_issuer_type: Option<Cow<'a, str>>,
    pub session_issuer_name: Option<Cow<'a, str>>,
    pub session_name: Option<Cow<'a, str>>,
    pub session_mfa: Option<bool>,
    pub session_created: Option<i64>,
    pub source_identity: Option<Cow<'a, str>>,
    pub ec2_role_delivery: Option<Cow<'a, str>>,
    pub user_identity: Option<&'a str>,
    pub request_parameters: Option<&'a str>,
    pub response_elements: Option<&'a str>,
    pub additional_event_data: Option<&'a str>,
    pub resources: Option<&'a str>,
    pub shared_event_id: Option<Cow<'a, str>>,
    pub vpc_endpoint_id: Option<Cow<'a, str>>,
    pub event_version: Option<Cow<'a, str>>,
    pub request_id: Option<Cow<'a, str>>,
    pub tls_details: Option<&'a str>,
    /// JSON object of every top-level field that has no column of its own.
    pub extra: Option<String>,
}

/// Why one record was rejected (the file and index are added by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError(pub String);

/// Top-level keys with a scalar column, in slot order of `RawRecord::scalars`.
const SCALAR_KEYS: [&str; 18] = [
    "eventID",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "readOnly",
    "eventType",
    "eventCategory",
    "managementEvent",
    "recipientAccountId",
    "sharedEventID",
    "vpcEndpointId",
    "eventVersion",
    "requestID",
];

/// Top-level keys kept as JSON text, in slot order of `RawRecord::json`.
const JSON_KEYS: [&str; 5] =
    ["requestParameters", "responseElements", "additionalEventData", "resources", "tlsDetails"];

/// Every top-level key with a column of its own (one of them opens the next record when the
/// framing looks for it after a damaged record).
pub const TOP_LEVEL_KEYS: [&str; SCALAR_KEYS.len() + JSON_KEYS.len() + 1] = {
    let mut all = [""; SCALAR_KEYS.len() + JSON_KEYS.len() + 1];
    let mut i = 0;
    while i < SCALAR_KEYS.len() {
        all[i] = SCALAR_KEYS[i];
        i += 1;
    }
    while i < SCALAR_KEYS.len() + JSON_KEYS.len() {
        all[i] = JSON_KEYS[i - SCALAR_KEYS.len()];
        i += 1;
    }
    all[i] = "userIdentity";
    all
};

/// Where a top-level key goes.
enum Slot {
    UserIdentity,
    Scalar(usize),
    Json(usize),
    Extra,
}

fn slot(key: &str) -> Slot {
    // A match on the text compiles to length + byte comparisons: cheaper than a table scan.
    match key {
        "userIdentity" => Slot::UserIdentity,
        "eventID" => Slot::Scalar(0),
        "eventTime" => Slot::Scalar(1),
        "eventSource" => Slot::Scalar(2),
        "eventName" => Slot::Scalar(3),
        "awsRegion" => Slot::Scalar(4),
        "sourceIPAddress" => Slot::Scalar(5),
        "userAgent" => Slot::Scalar(6),
        "errorCode" => Slot::Scalar(7),
        "errorMessage" => Slot::Scalar(8),
        "readOnly" => Slot::Scalar(9),
        "eventType" => Slot::Scalar(10),
        "eventCategory" => Slot::Scalar(11),
        "managementEvent" => Slot::Scalar(12),
        "recipientAccountId" => Slot::Scalar(13),
        "sharedEventID" => Slot::Scalar(14),
        "vpcEndpointId" => Slot::Scalar(15),
        "eventVersion" => Slot::Scalar(16),
        "requestID" => Slot::Scalar(17),
        "requestParameters" => Slot::Json(0),
        "responseElements" => Slot::Json(1),
        "additionalEventData" => Slot::Json(2),
        "resources" => Slot::Json(3),
        "tlsDetails" => Slot::Json(4),
        _ => Slot::Extra,
    }
}

/// Key-by-key view of a record before validation (a repeated key: the last one wins).
#[derive(Default)]
pub struct RawRecord<'a> {
    scalars: [Option<Text<'a>>; SCALAR_KEYS.len()],
    user_identity: Option<&'a RawValue>,
    json: [Option<&'a RawValue>; JSON_KEYS.len()],
    extra: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'a> RawRecord<'a> {
    /// True when the object has any of a CloudTrail record's identifying fields.
    pub fn looks_like_event(&self) -> bool {
        self.scalars[..4].iter().any(Option::is_some)
    }

    /// The raw value of a key that has no column of its own (envelopes keep the record there).
    pub fn other_field(&self, key: &str) -> Option<&'a RawValue> {
        self.extra.iter().rev().find(|(k, _)| k == key).map(|(_, v)| *v)
    }
}

/// Longest accepted identifying field (`eventID`, `eventSource`, `eventName`): real values are
/// far shorter, and a longer one is damage, not an event.
const MAX_ID_FIELD: usize = 256;

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
                    match slot(&key) {
                        Slot::UserIdentity => r.user_identity = Some(m.next_value()?),
                        Slot::Scalar(i) => r.scalars[i] = Some(m.next_value()?),
                        Slot::Json(i) => r.json[i] = Some(m.next_value()?),
                        Slot::Extra => r.extra.push((key, m.next_value()?)),
                    }
                }
                Ok(r)
            }
        }
        d.deserialize_map(V)
    }
}

/// Timestamps in records follow the one grammar of [`crate::time`].
pub use crate::time::parse_ms as parse_time_ms;

/// A value shown in an error message: at most 60 characters of it.
pub fn clip(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{:?}...", &s[..i]),
        None => format!("{s:?}"),
    }
}

fn json_text(v: Option<&RawValue>) -> Option<&str> {
    let s = v?.get();
    if s == "null" {
        None
    } else {
        Some(s)
    }
}

/// Parse one record (the raw JSON of one element of `Records`) into a row.
pub fn parse_record(raw: &RawValue) -> Result<EventRow<'_>, RecordError> {
    let rec: RawRecord =
        serde_json::from_str(raw.get()).map_err(|e| RecordError(format!("not a valid record object: {e}")))?;
    build_row(rec)
}

/// Validate a record read key by key and flatten it into a row.
pub fn build_row(rec: RawRecord<'_>) -> Result<EventRow<'_>, RecordError> {
    let RawRecord { scalars, user_identity, json, extra } = rec;
    let [event_id, event_time, event_source, event_name, aws_region, source_ip, user_agent, error_code, error_message, read_only, event_type, event_category, management_event, recipient_account_id, shared_event_id, vpc_endpoint_id, event_version, request_id] =
        scalars;
    fn text(t: Option<Text<'_>>) -> Option<Cow<'_, str>> {
        t.and_then(Text::into_cow)
    }
    let [request_parameters, response_elements, additional_event_data, resources, tls_details] = json;
    for (name, t) in
        [("eventID", &event_id), ("eventTime", &event_time), ("eventSource", &event_source), ("eventName", &event_name)]
    {
        match t {
            Some(Text(Some(v), false)) => {
                return Err(RecordError(format!("{name} is not a string (found {})", clip(v))));
            }
            Some(Text(Some(v), true)) if v.len() > MAX_ID_FIELD => {
                return Err(RecordError(format!("{name} is {} bytes long (at most {MAX_ID_FIELD})", v.len())));
            }
            _ => {}
        }
    }
    let mut row = EventRow {
        event_id: text(event_id).unwrap_or_default(),
        event_source: text(event_source).unwrap_or_default(),
        event_name: text(event_name).unwrap_or_default(),
        aws_region: text(aws_region),
        source_ip: text(source_ip),
        user_agent: text(user_agent),
        error_code: text(error_code),
        error_message: text(error_message),
        read_only: read_only.as_ref().and_then(parse_bool),
        event_type: text(event_type),
        event_category: text(event_category),
        management_event: management_event.as_ref().and_then(parse_bool),
        recipient_account_id: text(recipient_account_id),
        shared_event_id: text(shared_event_id),
        vpc_endpoint_id: text(vpc_endpoint_id),
        event_version: text(event_version),
        request_id: text(request_id),
        request_parameters: json_text(request_parameters),
        response_elements: json_text(response_elements),
        additional_event_data: json_text(additional_event_data),
        resources: json_text(resources),
        tls_details: json_text(tls_details),
        ..Default::default()
    };
    let time = text(event_time);
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

    if let Some(ui) = user_identity {
        row.user_identity = json_text(Some(ui));
        if row.user_identity.is_some() {
            let id: UserIdentity =
                serde_json::from_str(ui.get()).map_err(|e| RecordError(format!("userIdentity is malformed: {e}")))?;
            flatten_identity(&mut row, id);
        }
    }
    // A typed column that cannot hold the value (`"managementEvent": "yes"`) keeps it in `extra`:
    // no top-level field is ever lost.
    let mut kept: Vec<(String, String)> = extra.iter().map(|(k, v)| (k.to_string(), v.get().to_owned())).collect();
    for (key, value, parsed) in
        [("readOnly", &read_only, row.read_only), ("managementEvent", &management_event, row.management_event)]
    {
        if let (Some(v), None) = (value.as_ref().and_then(Text::as_deref), parsed) {
            kept.push((key.to_owned(), serde_json::to_string(v).expect("a string serialises")));
        }
    }
    if !kept.is_empty() {
        // Sorted so the same record always gives the same text.
        kept.sort();
        let mut s = String::from("{");
        for (i, (k, v)) in kept.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(&serde_json::to_string(k).expect("a string serialises"));
            s.push(':');
            s.push_str(v);
        }
        s.push('}');
        row.extra = Some(s);
    }
    Ok(row)
}

fn flatten_identity<'a>(row: &mut EventRow<'a>, id: UserIdentity<'a>) {
    row.identity_type = id.kind.into_cow();
    row.identity_arn = id.arn.into_cow();
    row.principal_id = id.principal_id.into_cow();
    row.account_id = id.account_id.into_cow();
    row.access_key_id = id.access_key_id.into_cow();
    row.user_name = id.user_name.into_cow();
    row.invoked_by = id.invoked_by.into_cow();
    if let Some(ctx) = id.session_context {
        if let Some(issuer) = ctx.session_issuer {
            row.session_issuer_type = issuer.kind.into_cow();
            row.session_issuer_arn = issuer.arn.into_cow();
            row.session_issuer_name = issuer.user_name.into_cow();
        }
        if let Some(attr) = ctx.attributes {
            row.session_mfa = parse_bool(&attr.mfa_authenticated);
            row.session_created = attr.creation_date.as_deref().and_then(parse_time_ms);
        }
        row.source_identity = ctx.source_identity.into_cow();
        row.ec2_role_delivery = ctx.ec2_role_delivery.into_cow();
    }
    // The session name is the last segment of an assumed-role ARN:
    // arn:aws:sts::123456789012:assumed-role/RoleName/session-name
    if row.identity_type.as_deref() == Some("AssumedRole") {
        let session = |arn: &str| -> Option<(usize, usize)> {
            let (_, session) = crate::arn::Arn::get(arn)?.assumed_role().filter(|(_, s)| !s.is_empty())?;
            let start = arn.len() - session.len();
            Some((start, arn.len()))
        };
        row.session_name = match &row.identity_arn {
            Some(Cow::Borrowed(arn)) => session(arn).map(|(a, b)| Cow::Borrowed(&arn[a..b])),
            Some(Cow::Owned(arn)) => session(arn).map(|(a, b)| Cow::Owned(arn[a..b].to_owned())),
            None => None,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<EventRow<'_>, RecordError> {
        let raw: &RawValue = serde_json::from_str(s).unwrap();
        parse_record(raw)
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
        assert_eq!(parse_time_ms("2025-01-21 17:49:47.000000000"), parse_time_ms("2025-01-21T17:49:47Z"));
        assert_eq!(parse_time_ms("2022-11-21 18:06:52"), parse_time_ms("2022-11-21T18:06:52Z"));
        // A value the typed column cannot hold is kept in `extra`, not lost.
        let r = parse(r#"{"eventID":"a","eventTime":"2026-09-01T10:05:00Z","eventSource":"s","eventName":"n","managementEvent":"yes","zeta":1}"#).unwrap();
        assert_eq!(r.management_event, None);
        assert_eq!(r.extra.as_deref(), Some(r#"{"managementEvent":"yes","zeta":1}"#));
    }

    #[test]
    fn identifying_fields_must_be_short_strings() {
        let e = parse(r#"{"eventID":12,"eventTime":"2026-09-01T10:05:00Z","eventSource":"s","eventName":"n"}"#)
            .unwrap_err();
        assert_eq!(e.0, "eventID is not a string (found \"12\")");
        let long = "x".repeat(300);
        let e = parse(&format!(
            r#"{{"eventID":"a","eventTime":"2026-09-01T10:05:00Z","eventSource":"s","eventName":"{long}"}}"#
        ))
        .unwrap_err();
        assert!(e.0.starts_with("eventName is 300 bytes long"), "{}", e.0);
    }

    #[test]
    fn unescapes_strings() {
        let r = parse(r#"{"eventID":"a","eventTime":"2026-09-01T10:05:00Z","eventSource":"s","eventName":"n","userAgent":"a\"b\u00e9"}"#).unwrap();
        assert_eq!(r.user_agent.as_deref(), Some("a\"bé"));
    }
}
