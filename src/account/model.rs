//! The account's principals and policies as loaded from the authorization details.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::policy::NamedPolicy;

/// An inline policy embedded in a user, group or role.
#[derive(Debug, Clone)]
pub struct InlinePolicy {
    /// `PolicyName` as in IAM.
    pub name: String,
    /// The decoded JSON document (for display and rewriting).
    pub document: Value,
    /// Parsed; named `user/<user>/inline/<PolicyName>` (or `group/...`, `role/...`).
    pub policy: NamedPolicy,
}

#[derive(Debug, Clone)]
pub struct User {
    pub arn: String,
    pub name: String,
    pub path: String,
    pub id: String,
    /// ISO 8601 as given by IAM.
    pub create_date: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Group names, in the order IAM lists them.
    pub groups: Vec<String>,
    /// ARNs of attached managed policies.
    pub attached_policies: Vec<String>,
    pub inline_policies: Vec<InlinePolicy>,
    /// ARN of the permissions boundary policy.
    pub permissions_boundary: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub arn: String,
    pub name: String,
    pub path: String,
    pub id: String,
    pub create_date: Option<String>,
    pub attached_policies: Vec<String>,
    pub inline_policies: Vec<InlinePolicy>,
    /// Names of the users that list this group, sorted.
    pub members: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceProfile {
    pub arn: String,
    pub name: String,
    pub path: String,
    pub id: String,
    pub create_date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleLastUsed {
    pub last_used_date: Option<String>,
    pub region: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Role {
    pub arn: String,
    pub name: String,
    pub path: String,
    pub id: String,
    pub create_date: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// `AssumeRolePolicyDocument`, decoded.
    pub trust_document: Option<Value>,
    /// The trust policy, parsed; named `role/<name>/trust`.
    pub trust_policy: Option<NamedPolicy>,
    pub instance_profiles: Vec<InstanceProfile>,
    pub attached_policies: Vec<String>,
    pub inline_policies: Vec<InlinePolicy>,
    pub permissions_boundary: Option<String>,
    pub role_last_used: Option<RoleLastUsed>,
}

impl Role {
    /// Service-linked roles (path `/aws-service-role/`) are managed by AWS and cannot be edited.
    pub fn is_service_linked(&self) -> bool {
        self.path.starts_with("/aws-service-role/")
    }
}

/// Where a managed policy's document came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicySource {
    /// The `Policies` list of the authorization details (its default version).
    AuthorizationDetails,
    /// The shipped catalog of AWS managed policies (attached, but absent from the file).
    Catalog,
}

#[derive(Debug, Clone)]
pub struct ManagedPolicy {
    pub arn: String,
    pub name: String,
    pub path: String,
    pub id: Option<String>,
    /// `VersionId` of the document used (the default version).
    pub version: Option<String>,
    /// Owned by AWS (`arn:aws:iam::aws:policy/...`) rather than the account.
    pub aws_managed: bool,
    pub source: PolicySource,
    pub attachment_count: Option<u64>,
    pub create_date: Option<String>,
    pub update_date: Option<String>,
    pub document: Value,
    /// Parsed; named by the policy ARN, kind `Identity`.
    pub policy: NamedPolicy,
    /// Every version's document as the file gives it (raw, decoded when used), by `VersionId`:
    /// `history` needs the non-default ones to rebuild the policy as of an earlier default.
    pub versions: BTreeMap<String, Value>,
}
