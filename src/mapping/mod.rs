//! From a CloudTrail record to "who used which IAM permission on what".
//!
//! * [`resolve_principal`]: the IAM principal (user, role, root, ...) and the actor behind it.
//! * [`classify`]: API call, console sign-in, service event, ... (only API calls map to actions).
//! * [`map_event`]: the IAM action(s) an API call required, with resource ARNs and inferred
//!   `iam:PassRole`. Lookups are precomputed (see [`actions`]); every action returned is a
//!   canonical catalog name.
//! * [`is_data_event_action`], [`is_unobservable`]: what CloudTrail can show at all.

pub mod actions;
pub mod fas;
mod observability;
pub mod overrides;
pub mod principal;
mod resources;

pub use actions::{event_map, Resolution};
pub use observability::{is_data_event_action, is_unobservable};
pub use principal::{resolve_principal, Principal, PrincipalKind};

use crate::catalog::{catalog, AccessLevel};

/// The columns of one lake row that mapping needs (borrowed; absent values are `None`).
#[derive(Debug, Clone, Copy, Default)]
pub struct EventFields<'a> {
    pub event_source: &'a str,
    pub event_name: &'a str,
    pub event_type: Option<&'a str>,
    pub identity_type: Option<&'a str>,
    pub identity_arn: Option<&'a str>,
    pub principal_id: Option<&'a str>,
    pub account_id: Option<&'a str>,
    pub user_name: Option<&'a str>,
    pub invoked_by: Option<&'a str>,
    pub session_issuer_arn: Option<&'a str>,
    pub session_issuer_type: Option<&'a str>,
    pub session_name: Option<&'a str>,
    pub source_identity: Option<&'a str>,
    pub source_ip: Option<&'a str>,
    pub aws_region: Option<&'a str>,
    pub recipient_account_id: Option<&'a str>,
    /// JSON text of `requestParameters`.
    pub request_parameters: Option<&'a str>,
    /// JSON text of the `resources` array.
    pub resources: Option<&'a str>,
    /// JSON texts of `responseElements` and `additionalEventData` (the KMS key a service used).
    pub response_elements: Option<&'a str>,
    pub additional_event_data: Option<&'a str>,
    pub error_code: Option<&'a str>,
}

/// What kind of record an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventClass {
    ApiCall,
    ConsoleSignIn,
    ServiceEvent,
    ConsoleAction,
    Insight,
    Other,
}

impl EventClass {
    pub fn as_str(&self) -> &'static str {
        match self {
            EventClass::ApiCall => "api-call",
            EventClass::ConsoleSignIn => "console-sign-in",
            EventClass::ServiceEvent => "service-event",
            EventClass::ConsoleAction => "console-action",
            EventClass::Insight => "insight",
            EventClass::Other => "other",
        }
    }
}

/// Classify by `eventType`; sign-in service calls are sign-ins, not API use.
pub fn classify(ev: &EventFields) -> EventClass {
    if ev.event_source == "signin.amazonaws.com" {
        return EventClass::ConsoleSignIn;
    }
    match ev.event_type {
        Some("AwsApiCall") => EventClass::ApiCall,
        Some("AwsConsoleSignIn") => EventClass::ConsoleSignIn,
        Some("AwsServiceEvent") => EventClass::ServiceEvent,
        Some("AwsConsoleAction") => EventClass::ConsoleAction,
        Some("AwsCloudTrailInsight") => EventClass::Insight,
        Some(_) => EventClass::Other,
        // Older or trimmed records lack eventType: an API call if it names one.
        None if !ev.event_source.is_empty() && !ev.event_name.is_empty() => EventClass::ApiCall,
        None => EventClass::Other,
    }
}

/// One IAM action an event required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredAction {
    /// Canonical catalog name, e.g. `s3:GetObject`.
    pub action: String,
    /// Resource ARNs the action applied to, sorted; empty when unknown or not resource-scoped.
    /// For an inferred `iam:PassRole` from an EC2 `iamInstanceProfile`, this is the instance
    /// profile ARN (`...:instance-profile/...`): the role inside it needs account data.
    pub resources: Vec<String>,
    /// Inferred from the request rather than being the called API (e.g. `iam:PassRole`).
    pub dependent: bool,
    /// For `iam:PassRole`: the service the role was passed to (`lambda.amazonaws.com`).
    pub passed_to_service: Option<String>,
    /// Set when the called service performed the action with the caller's permissions (a
    /// forward access session: `kms:Decrypt` by S3 for a `GetObject`).
    pub via_service: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MappingStatus {
    Mapped,
    NoPermissionNeeded,
    NotApiCall,
    Unmapped,
}

impl MappingStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            MappingStatus::Mapped => "mapped",
            MappingStatus::NoPermissionNeeded => "no-permission-needed",
            MappingStatus::NotApiCall => "not-api-call",
            MappingStatus::Unmapped => "unmapped",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub status: MappingStatus,
    pub actions: Vec<RequiredAction>,
}

impl Mapping {
    fn empty(status: MappingStatus) -> Mapping {
        Mapping { status, actions: Vec::new() }
    }
}

/// Map an event to the IAM actions it required.
pub fn map_event(ev: &EventFields) -> Mapping {
    if classify(ev) != EventClass::ApiCall {
        return Mapping::empty(MappingStatus::NotApiCall);
    }
    let resolution = special_case(ev).unwrap_or_else(|| event_map().resolve(ev.event_source, ev.event_name));
    let list = match resolution {
        Resolution::NoPermission => return Mapping::empty(MappingStatus::NoPermissionNeeded),
        Resolution::Unmapped => return Mapping::empty(MappingStatus::Unmapped),
        Resolution::Actions(list) => list,
    };
    let cat = catalog();
    let has_request = ev.request_parameters.is_some_and(|t| t.len() > 2) || ev.resources.is_some_and(|t| t.len() > 2);
    let request = resources::parse_request(ev);
    let cands = if has_request { resources::candidates(ev, &request) } else { Vec::new() };
    let is_copy = ev.event_source == "s3.amazonaws.com" && matches!(ev.event_name, "CopyObject" | "UploadPartCopy");

    let mut out = Vec::with_capacity(list.len() + 1);
    let mut writes = false;
    for info in list.iter() {
        writes |= !matches!(info.access_level, AccessLevel::List | AccessLevel::Read);
        let copy_source = is_copy && info.name == "GetObject";
        let resources =
            if cands.is_empty() { Vec::new() } else { resources::resources_for(cat, info, &cands, copy_source) };
        out.push(RequiredAction {
            action: info.full_name(),
            resources,
            dependent: false,
            passed_to_service: None,
            via_service: None,
        });
    }
    if writes && has_request && passes_roles(ev.event_name) {
        for role in resources::passed_roles(ev, &request) {
            if out.iter().any(|a| a.action == "iam:PassRole" && a.resources == [role.arn.clone()]) {
                continue;
            }
            out.push(RequiredAction {
                action: "iam:PassRole".to_string(),
                resources: vec![role.arn],
                dependent: true,
                passed_to_service: Some(role.to_service),
                via_service: None,
            });
        }
    }
    // With filters instead of secret ids, the call lists the secrets it then reads.
    if ev.event_source == "secretsmanager.amazonaws.com"
        && ev.event_name == "BatchGetSecretValue"
        && batch_secret_filters(ev.request_parameters)
        && !out.iter().any(|a| a.action == "secretsmanager:ListSecrets")
    {
        out.push(RequiredAction {
            action: "secretsmanager:ListSecrets".to_string(),
            resources: Vec::new(),
            dependent: true,
            passed_to_service: None,
            via_service: None,
        });
    }
    // Only a call that succeeded made the service act for the caller.
    if !out.is_empty() && ev.error_code.is_none_or(str::is_empty) {
        let texts = [ev.request_parameters, ev.response_elements, ev.additional_event_data];
        for c in fas::forward_calls(ev.event_source, ev.event_name, &texts) {
            out.push(RequiredAction {
                action: c.action,
                resources: vec![c.resource],
                dependent: true,
                passed_to_service: None,
                via_service: Some(c.via_service),
            });
        }
    }
    if out.is_empty() {
        return Mapping::empty(MappingStatus::Unmapped);
    }
    Mapping { status: MappingStatus::Mapped, actions: out }
}

/// A `BatchGetSecretValue` request that selects secrets by `filters` (non-empty).
fn batch_secret_filters(request: Option<&str>) -> bool {
    let Some(v) = request.and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok()) else { return false };
    let filters = v.get("filters").or_else(|| v.get("Filters"));
    filters.is_some_and(|f| f.as_array().is_some_and(|a| !a.is_empty()))
}

/// Calls that tear down or read do not pass a role even when they name one.
fn passes_roles(event_name: &str) -> bool {
    const NO_PASS: &[&str] = &[
        "Get",
        "List",
        "Describe",
        "Delete",
        "Remove",
        "Detach",
        "Disassociate",
        "Deregister",
        "Stop",
        "Terminate",
        "Cancel",
    ];
    !NO_PASS.iter().any(|p| event_name.starts_with(p))
}

/// Operations whose action depends on the request body (DynamoDB PartiQL and transactions).
fn special_case(ev: &EventFields) -> Option<Resolution> {
    if ev.event_source != "dynamodb.amazonaws.com" {
        return None;
    }
    let text = ev.request_parameters.unwrap_or("").to_ascii_lowercase();
    let pick = |pairs: &[(&str, &str)], fallback: &[&str]| -> Resolution {
        let mut found: Vec<&str> = pairs.iter().filter(|(needle, _)| text.contains(needle)).map(|(_, a)| *a).collect();
        if found.is_empty() {
            found = fallback.to_vec();
        }
        found.sort_unstable();
        found.dedup();
        actions::actions(catalog(), &found)
    };
    const PARTIQL: &[(&str, &str)] = &[
        ("\"select ", "dynamodb:PartiQLSelect"),
        ("\"insert ", "dynamodb:PartiQLInsert"),
        ("\"update ", "dynamodb:PartiQLUpdate"),
        ("\"delete ", "dynamodb:PartiQLDelete"),
        ("\"exists", "dynamodb:PartiQLSelect"),
    ];
    const PARTIQL_ALL: &[&str] =
        &["dynamodb:PartiQLSelect", "dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete"];
    match ev.event_name {
        "ExecuteStatement" | "BatchExecuteStatement" | "ExecuteTransaction" => Some(pick(PARTIQL, PARTIQL_ALL)),
        "TransactWriteItems" => Some(pick(
            &[
                ("\"put\"", "dynamodb:PutItem"),
                ("\"update\"", "dynamodb:UpdateItem"),
                ("\"delete\"", "dynamodb:DeleteItem"),
                ("\"conditioncheck\"", "dynamodb:ConditionCheckItem"),
            ],
            &["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
