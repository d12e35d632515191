//! The CloudTrail record as written: structs whose field order is CloudTrail's key order
//! (serde_json's `Map` would sort the keys).

use serde::Serialize;
use serde_json::Value;

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct SessionIssuer {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    #[serde(rename = "principalId", skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(rename = "accountId", skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(rename = "userName", skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionAttributes {
    #[serde(rename = "creationDate")]
    pub creation_date: String,
    #[serde(rename = "mfaAuthenticated")]
    pub mfa_authenticated: &'static str,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Empty {}

#[derive(Debug, Clone, Serialize)]
pub struct SessionContext {
    #[serde(rename = "sessionIssuer")]
    pub session_issuer: SessionIssuer,
    #[serde(rename = "webIdFederationData")]
    pub web_id_federation_data: Empty,
    pub attributes: SessionAttributes,
    #[serde(rename = "sourceIdentity", skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
    #[serde(rename = "ec2RoleDelivery", skip_serializing_if = "Option::is_none")]
    pub ec2_role_delivery: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UserIdentity {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(rename = "principalId", skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(rename = "accountId", skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(rename = "accessKeyId", skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(rename = "userName", skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(rename = "identityProvider", skip_serializing_if = "Option::is_none")]
    pub identity_provider: Option<String>,
    #[serde(rename = "sessionContext", skip_serializing_if = "Option::is_none")]
    pub session_context: Option<SessionContext>,
    #[serde(rename = "invokedBy", skip_serializing_if = "Option::is_none")]
    pub invoked_by: Option<String>,
}

impl UserIdentity {
    pub fn bare(kind: &'static str) -> Self {
        UserIdentity {
            kind,
            principal_id: None,
            arn: None,
            account_id: None,
            access_key_id: None,
            user_name: None,
            identity_provider: None,
            session_context: None,
            invoked_by: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    #[serde(rename = "accountId", skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(rename = "ARN")]
    pub arn: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TlsDetails {
    #[serde(rename = "tlsVersion")]
    pub tls_version: &'static str,
    #[serde(rename = "cipherSuite")]
    pub cipher_suite: &'static str,
    #[serde(rename = "clientProvidedHostHeader")]
    pub client_provided_host_header: String,
}

/// A shared `userIdentity`: the calls of one session reuse one allocation.
#[derive(Debug, Clone)]
pub struct Ident(pub std::sync::Arc<UserIdentity>);

impl std::ops::Deref for Ident {
    type Target = UserIdentity;
    fn deref(&self) -> &UserIdentity {
        &self.0
    }
}

impl Serialize for Ident {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl From<UserIdentity> for Ident {
    fn from(u: UserIdentity) -> Self {
        Ident(std::sync::Arc::new(u))
    }
}

/// One CloudTrail record, fields in CloudTrail's order.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    #[serde(rename = "eventVersion")]
    pub event_version: &'static str,
    #[serde(rename = "userIdentity")]
    pub user_identity: Ident,
    #[serde(rename = "eventTime")]
    pub event_time: String,
    #[serde(rename = "eventSource")]
    pub event_source: String,
    #[serde(rename = "eventName")]
    pub event_name: String,
    #[serde(rename = "awsRegion")]
    pub aws_region: String,
    #[serde(rename = "sourceIPAddress")]
    pub source_ip_address: String,
    #[serde(rename = "userAgent")]
    pub user_agent: String,
    #[serde(rename = "errorCode", skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(rename = "errorMessage", skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(rename = "requestParameters")]
    pub request_parameters: Value,
    #[serde(rename = "responseElements")]
    pub response_elements: Value,
    #[serde(rename = "additionalEventData", skip_serializing_if = "Option::is_none")]
    pub additional_event_data: Option<Value>,
    #[serde(rename = "requestID", skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(rename = "eventID")]
    pub event_id: String,
    #[serde(rename = "readOnly")]
    pub read_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Vec<Resource>>,
    #[serde(rename = "eventType")]
    pub event_type: &'static str,
    #[serde(rename = "apiVersion", skip_serializing_if = "Option::is_none")]
    pub api_version: Option<&'static str>,
    #[serde(rename = "managementEvent")]
    pub management_event: bool,
    #[serde(rename = "recipientAccountId")]
    pub recipient_account_id: String,
    #[serde(rename = "sharedEventID", skip_serializing_if = "Option::is_none")]
    pub shared_event_id: Option<String>,
    #[serde(rename = "vpcEndpointId", skip_serializing_if = "Option::is_none")]
    pub vpc_endpoint_id: Option<String>,
    #[serde(rename = "vpcEndpointAccountId", skip_serializing_if = "Option::is_none")]
    pub vpc_endpoint_account_id: Option<String>,
    #[serde(rename = "eventCategory")]
    pub event_category: &'static str,
    #[serde(rename = "tlsDetails", skip_serializing_if = "Option::is_none")]
    pub tls_details: Option<TlsDetails>,
    #[serde(
        rename = "sessionCredentialFromConsole",
        skip_serializing_if = "is_false",
        serialize_with = "bool_as_string"
    )]
    pub session_credential_from_console: bool,
}

fn bool_as_string<S: serde::Serializer>(b: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(if *b { "true" } else { "false" })
}

/// `YYYY-MM-DDTHH:MM:SSZ` for epoch seconds.
pub fn fmt_time(secs: i64) -> String {
    // Events come in time order: remember the last day's date part (formatting is hot in bulk
    // mode).
    thread_local! {
        static DAY: std::cell::RefCell<(i64, String)> = const { std::cell::RefCell::new((i64::MIN, String::new())) };
    }
    let (day, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    DAY.with(|c| {
        let mut c = c.borrow_mut();
        if c.0 != day {
            let date = chrono::DateTime::from_timestamp(day * 86_400, 0).unwrap_or_default();
            *c = (day, date.format("%Y-%m-%d").to_string());
        }
        format!("{}T{:02}:{:02}:{:02}Z", c.1, rest / 3600, rest / 60 % 60, rest % 60)
    })
}

/// STS credential expiry as CloudTrail prints it: `Oct 1, 2026, 3:15:22 PM`.
pub fn fmt_expiration(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default().format("%b %-d, %Y, %-I:%M:%S %p").to_string()
}

/// Whether an API name is a read (CloudTrail's `readOnly`), from its verb.
pub fn is_read_only(event_name: &str) -> bool {
    const READ: &[&str] = &[
        "Get", "List", "Describe", "Head", "Lookup", "Filter", "Query", "Scan", "Search", "Select", "BatchGet",
        "Check", "Validate", "Lookup", "Estimate", "Preview", "View",
    ];
    READ.iter().any(|p| event_name.starts_with(p)) || event_name == "Decrypt"
}

/// The TLS details of a call to `host`.
pub fn tls(host: String) -> TlsDetails {
    TlsDetails { tls_version: "TLSv1.3", cipher_suite: "TLS_AES_128_GCM_SHA256", client_provided_host_header: host }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_format_like_cloudtrail() {
        // 2026-09-01T00:00:00Z
        assert_eq!(fmt_time(1_788_220_800), "2026-09-01T00:00:00Z");
        assert_eq!(fmt_expiration(1_788_220_800 + 15 * 3600 + 62), "Sep 1, 2026, 3:01:02 PM");
    }

    #[test]
    fn read_only_from_verb() {
        assert!(is_read_only("DescribeInstances"));
        assert!(is_read_only("GetObject"));
        assert!(!is_read_only("PutObject"));
        assert!(!is_read_only("RunInstances"));
    }
}
