//! `aws iam get-account-authorization-details` output → users, groups, roles and managed policies.
//!
//! Accepts the AWS CLI form (documents as JSON objects) and the raw API form (documents as
//! URL-encoded JSON strings), one page or several (JSON objects one after another, or a JSON array
//! of pages). Pages are merged; an entity listed twice is merged by ARN.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::document::{json_type, load_named, parse_named, DocContext};
use super::error::AccountError;
use super::managed;
use super::model::{Group, InlinePolicy, InstanceProfile, ManagedPolicy, PolicySource, Role, RoleLastUsed, User};
use crate::policy::PolicyKind;

/// File name used in errors about documents from the shipped managed-policy catalog.
pub const CATALOG_SOURCE: &str = "shipped AWS managed policy catalog";

/// Everything read from the authorization details.
#[derive(Debug, Clone, Default)]
pub struct IamData {
    pub account_id: String,
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub roles: Vec<Role>,
    pub managed: BTreeMap<String, ManagedPolicy>,
    pub warnings: Vec<String>,
}

// ---- raw serde shapes (all fields optional: pages and tools differ in what they include) ----

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    // Dates are strings in CLI output but may be epoch numbers in SDK dumps.
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Page {
    user_detail_list: Option<Vec<RawUser>>,
    group_detail_list: Option<Vec<RawGroup>>,
    role_detail_list: Option<Vec<RawRole>>,
    policies: Option<Vec<RawPolicy>>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase", default)]
struct RawInline {
    policy_name: String,
    policy_document: Value,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase", default)]
struct RawAttached {
    policy_arn: String,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase", default)]
struct RawBoundary {
    permissions_boundary_arn: String,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase", default)]
struct RawTag {
    key: String,
    value: String,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase", default)]
struct RawUser {
    path: String,
    user_name: String,
    user_id: String,
    arn: String,
    #[serde(deserialize_with = "lenient_string")]
    create_date: Option<String>,
    user_policy_list: Vec<RawInline>,
    group_list: Vec<String>,
    attached_managed_policies: Vec<RawAttached>,
    permissions_boundary: Option<RawBoundary>,
    tags: Vec<RawTag>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase", default)]
struct RawGroup {
    path: String,
    group_name: String,
    group_id: String,
    arn: String,
    #[serde(deserialize_with = "lenient_string")]
    create_date: Option<String>,
    group_policy_list: Vec<RawInline>,
    attached_managed_policies: Vec<RawAttached>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase", default)]
struct RawInstanceProfile {
    path: String,
    instance_profile_name: String,
    instance_profile_id: String,
    arn: String,
    #[serde(deserialize_with = "lenient_string")]
    create_date: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase", default)]
struct RawRoleLastUsed {
    #[serde(deserialize_with = "lenient_string")]
    last_used_date: Option<String>,
    region: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase", default)]
struct RawRole {
    path: String,
    role_name: String,
    role_id: String,
    arn: String,
    #[serde(deserialize_with = "lenient_string")]
    create_date: Option<String>,
    assume_role_policy_document: Option<Value>,
    instance_profile_list: Vec<RawInstanceProfile>,
    role_policy_list: Vec<RawInline>,
    attached_managed_policies: Vec<RawAttached>,
    permissions_boundary: Option<RawBoundary>,
    tags: Vec<RawTag>,
    role_last_used: Option<RawRoleLastUsed>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase", default)]
struct RawVersion {
    document: Value,
    version_id: String,
    is_default_version: bool,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase", default)]
struct RawPolicy {
    policy_name: String,
    policy_id: Option<String>,
    arn: String,
    path: String,
    default_version_id: Option<String>,
    attachment_count: Option<u64>,
    #[serde(deserialize_with = "lenient_string")]
    create_date: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    update_date: Option<String>,
    policy_version_list: Vec<RawVersion>,
}

// ---- pages ----

/// Splits the file text into pages: one object, several concatenated objects, or arrays of pages.
fn read_pages(text: &str, file: &str) -> Result<Vec<Value>, AccountError> {
    let mut pages = Vec::new();
    for (i, item) in serde_json::Deserializer::from_str(text).into_iter::<Value>().enumerate() {
        let value =
            item.map_err(|e| AccountError::input(file, format!("JSON value {} is not valid JSON: {e}", i + 1)))?;
        match value {
            Value::Array(items) => {
                for item in items {
                    if !item.is_object() {
                        return Err(AccountError::input(
                            file,
                            format!("a page must be a JSON object, found {}", json_type(&item)),
                        ));
                    }
                    pages.push(item);
                }
            }
            Value::Object(_) => pages.push(value),
            other => {
                return Err(AccountError::input(
                    file,
                    format!("a page must be a JSON object, found {}", json_type(&other)),
                ))
            }
        }
    }
    if pages.is_empty() {
        return Err(AccountError::input(file, "no authorization details found (empty input)"));
    }
    Ok(pages)
}

/// All pages' lists, merged by ARN (first occurrence keeps its position in sorting by ARN).
#[derive(Default)]
struct Merged {
    users: BTreeMap<String, RawUser>,
    groups: BTreeMap<String, RawGroup>,
    roles: BTreeMap<String, RawRole>,
    policies: BTreeMap<String, RawPolicy>,
}

fn union<T: Clone, K: PartialEq>(into: &mut Vec<T>, from: &[T], key: impl Fn(&T) -> K) {
    for item in from {
        if !into.iter().any(|x| key(x) == key(item)) {
            into.push(item.clone());
        }
    }
}

fn require_arn(arn: &str, what: &str, name: &str, file: &str) -> Result<(), AccountError> {
    if arn.is_empty() {
        return Err(AccountError::input(file, format!("{what} {name:?} has no Arn")));
    }
    Ok(())
}

fn merge_pages(pages: Vec<Value>, file: &str, warnings: &mut Vec<String>) -> Result<Merged, AccountError> {
    const LISTS: [&str; 4] = ["UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"];
    // Every field is optional, so any JSON object would read as an empty account: a file none of
    // whose pages has one of the lists is something else (a policy, a credential report, ...).
    if !pages.iter().any(|p| LISTS.iter().any(|l| p.get(l).is_some())) {
        let keys: Vec<&str> =
            pages.iter().filter_map(Value::as_object).flat_map(|o| o.keys()).map(String::as_str).take(5).collect();
        return Err(AccountError::input(
            file,
            format!(
                "not `aws iam get-account-authorization-details` output: expected a JSON object with {}, found {}",
                LISTS.join(", "),
                if keys.is_empty() { "an empty object".to_owned() } else { format!("the keys {}", keys.join(", ")) }
            ),
        ));
    }
    let mut m = Merged::default();
    for (index, value) in pages.into_iter().enumerate() {
        let page: Page = serde_json::from_value(value)
            .map_err(|e| AccountError::input(file, format!("page {}: unexpected shape: {e}", index + 1)))?;
        if page.user_detail_list.is_none()
            && page.group_detail_list.is_none()
            && page.role_detail_list.is_none()
            && page.policies.is_none()
        {
            warnings.push(format!(
                "{file}: page {} has none of UserDetailList, GroupDetailList, RoleDetailList, Policies; is this get-account-authorization-details output?",
                index + 1
            ));
        }
        for u in page.user_detail_list.unwrap_or_default() {
            require_arn(&u.arn, "user", &u.user_name, file)?;
            match m.users.get_mut(&u.arn) {
                None => {
                    m.users.insert(u.arn.clone(), u);
                }
                Some(prev) => {
                    union(&mut prev.group_list, &u.group_list, |g| g.clone());
                    union(&mut prev.user_policy_list, &u.user_policy_list, |p| p.policy_name.clone());
                    union(&mut prev.attached_managed_policies, &u.attached_managed_policies, |p| p.policy_arn.clone());
                    union(&mut prev.tags, &u.tags, |t| t.key.clone());
                    if prev.permissions_boundary.is_none() {
                        prev.permissions_boundary = u.permissions_boundary;
                    }
                }
            }
        }
        for g in page.group_detail_list.unwrap_or_default() {
            require_arn(&g.arn, "group", &g.group_name, file)?;
            match m.groups.get_mut(&g.arn) {
                None => {
                    m.groups.insert(g.arn.clone(), g);
                }
                Some(prev) => {
                    union(&mut prev.group_policy_list, &g.group_policy_list, |p| p.policy_name.clone());
                    union(&mut prev.attached_managed_policies, &g.attached_managed_policies, |p| p.policy_arn.clone());
                }
            }
        }
        for r in page.role_detail_list.unwrap_or_default() {
            require_arn(&r.arn, "role", &r.role_name, file)?;
            match m.roles.get_mut(&r.arn) {
                None => {
                    m.roles.insert(r.arn.clone(), r);
                }
                Some(prev) => {
                    union(&mut prev.role_policy_list, &r.role_policy_list, |p| p.policy_name.clone());
                    union(&mut prev.attached_managed_policies, &r.attached_managed_policies, |p| p.policy_arn.clone());
                    union(&mut prev.instance_profile_list, &r.instance_profile_list, |p| p.arn.clone());
                    union(&mut prev.tags, &r.tags, |t| t.key.clone());
                    if prev.assume_role_policy_document.is_none() {
                        prev.assume_role_policy_document = r.assume_role_policy_document;
                    }
                    if prev.permissions_boundary.is_none() {
                        prev.permissions_boundary = r.permissions_boundary;
                    }
                    if prev.role_last_used.is_none() {
                        prev.role_last_used = r.role_last_used;
                    }
                }
            }
        }
        for p in page.policies.unwrap_or_default() {
            require_arn(&p.arn, "policy", &p.policy_name, file)?;
            match m.policies.get_mut(&p.arn) {
                None => {
                    m.policies.insert(p.arn.clone(), p);
                }
                Some(prev) => {
                    union(&mut prev.policy_version_list, &p.policy_version_list, |v| v.version_id.clone());
                    if prev.default_version_id.is_none() {
                        prev.default_version_id = p.default_version_id;
                    }
                }
            }
        }
    }
    Ok(m)
}

// ---- conversion ----

fn tags(raw: &[RawTag]) -> BTreeMap<String, String> {
    raw.iter().map(|t| (t.key.clone(), t.value.clone())).collect()
}

fn inline_policies(
    raw: &[RawInline],
    prefix: &str,
    owner_arn: &str,
    file: &str,
) -> Result<Vec<InlinePolicy>, AccountError> {
    raw.iter()
        .map(|p| {
            let ctx = DocContext { file, owner: owner_arn, policy: &p.policy_name };
            let (document, policy) = load_named(
                &p.policy_document,
                format!("{prefix}/inline/{}", p.policy_name),
                PolicyKind::Identity,
                ctx,
            )?;
            Ok(InlinePolicy { name: p.policy_name.clone(), document, policy })
        })
        .collect()
}

fn attached(raw: &[RawAttached]) -> Vec<String> {
    raw.iter().map(|a| a.policy_arn.clone()).collect()
}

/// The default version: `IsDefaultVersion`, else `DefaultVersionId`, else a single version.
fn default_version(p: &RawPolicy) -> Option<&RawVersion> {
    let versions = &p.policy_version_list;
    if let Some(v) = versions.iter().find(|v| v.is_default_version) {
        return Some(v);
    }
    if let Some(id) = p.default_version_id.as_deref() {
        return versions.iter().find(|v| v.version_id == id);
    }
    match versions.as_slice() {
        [only] => Some(only),
        _ => None,
    }
}

fn managed_from_file(p: &RawPolicy, file: &str) -> Result<Option<ManagedPolicy>, AccountError> {
    let Some(version) = default_version(p) else {
        return Ok(None);
    };
    let label = format!("{} (version {})", p.policy_name, version.version_id);
    let ctx = DocContext { file, owner: &p.arn, policy: &label };
    let (document, policy) = load_named(&version.document, p.arn.clone(), PolicyKind::Identity, ctx)?;
    Ok(Some(ManagedPolicy {
        arn: p.arn.clone(),
        name: p.policy_name.clone(),
        path: if p.path.is_empty() { "/".into() } else { p.path.clone() },
        id: p.policy_id.clone(),
        version: Some(version.version_id.clone()),
        aws_managed: managed::is_aws_managed_arn(&p.arn),
        source: PolicySource::AuthorizationDetails,
        attachment_count: p.attachment_count,
        create_date: p.create_date.clone(),
        update_date: p.update_date.clone(),
        document,
        policy,
        versions: p.policy_version_list.iter().map(|v| (v.version_id.clone(), v.document.clone())).collect(),
    }))
}

pub(crate) fn managed_from_catalog(arn: &str) -> Result<Option<ManagedPolicy>, AccountError> {
    let found = managed::lookup(arn).map_err(|reason| AccountError::input(CATALOG_SOURCE, reason))?;
    let Some(entry) = found else {
        return Ok(None);
    };
    let label = format!("{} (version {})", entry.name, entry.version);
    let ctx = DocContext { file: CATALOG_SOURCE, owner: arn, policy: &label };
    let policy = parse_named(&entry.document, arn.to_string(), PolicyKind::Identity, ctx)?;
    let path = arn
        .split_once(":policy")
        .map(|(_, rest)| match rest.rfind('/') {
            Some(i) => rest[..=i].to_string(),
            None => "/".to_string(),
        })
        .unwrap_or_else(|| "/".to_string());
    Ok(Some(ManagedPolicy {
        arn: arn.to_string(),
        name: entry.name,
        path,
        id: None,
        version: Some(entry.version.clone()),
        aws_managed: true,
        source: PolicySource::Catalog,
        attachment_count: None,
        create_date: None,
        update_date: None,
        versions: BTreeMap::from([(entry.version, entry.document.clone())]),
        document: entry.document,
        policy,
    }))
}

/// Account id of an ARN (`arn:partition:service:region:account:...`).
/// `aws` (AWS managed policies) is no account of the export.
pub fn arn_account(arn: &str) -> Option<&str> {
    crate::arn::account_of(arn).filter(|a| *a != "aws")
}

/// Parses authorization details text. `file` names the input in errors and warnings.
pub fn parse(text: &str, file: &str) -> Result<IamData, AccountError> {
    let mut warnings = Vec::new();
    let pages = read_pages(text, file)?;
    let merged = merge_pages(pages, file, &mut warnings)?;

    let mut managed = BTreeMap::new();
    for p in merged.policies.values() {
        match managed_from_file(p, file)? {
            Some(m) => {
                managed.insert(p.arn.clone(), m);
            }
            None => warnings.push(format!(
                "{file}: managed policy {} has no default version in PolicyVersionList; it is resolved from the shipped catalog if AWS managed, else its permissions are unknown",
                p.arn
            )),
        }
    }

    // Managed policy ARN -> who references it (for resolution and warnings).
    let mut referenced: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut refer = |arn: &str, by: &str| {
        referenced.entry(arn.to_string()).or_default().insert(by.to_string());
    };

    let mut users = Vec::with_capacity(merged.users.len());
    for u in merged.users.values() {
        let prefix = format!("user/{}", u.user_name);
        let user = User {
            arn: u.arn.clone(),
            name: u.user_name.clone(),
            path: if u.path.is_empty() { "/".into() } else { u.path.clone() },
            id: u.user_id.clone(),
            create_date: u.create_date.clone(),
            tags: tags(&u.tags),
            groups: u.group_list.clone(),
            attached_policies: attached(&u.attached_managed_policies),
            inline_policies: inline_policies(&u.user_policy_list, &prefix, &u.arn, file)?,
            permissions_boundary: u
                .permissions_boundary
                .as_ref()
                .map(|b| b.permissions_boundary_arn.clone())
                .filter(|a| !a.is_empty()),
        };
        for a in &user.attached_policies {
            refer(a, &user.arn);
        }
        if let Some(b) = &user.permissions_boundary {
            refer(b, &user.arn);
        }
        users.push(user);
    }

    let mut groups = Vec::with_capacity(merged.groups.len());
    for g in merged.groups.values() {
        let prefix = format!("group/{}", g.group_name);
        let mut members: Vec<String> =
            users.iter().filter(|u| u.groups.iter().any(|n| n == &g.group_name)).map(|u| u.name.clone()).collect();
        members.sort();
        members.dedup();
        let group = Group {
            arn: g.arn.clone(),
            name: g.group_name.clone(),
            path: if g.path.is_empty() { "/".into() } else { g.path.clone() },
            id: g.group_id.clone(),
            create_date: g.create_date.clone(),
            attached_policies: attached(&g.attached_managed_policies),
            inline_policies: inline_policies(&g.group_policy_list, &prefix, &g.arn, file)?,
            members,
        };
        for a in &group.attached_policies {
            refer(a, &group.arn);
        }
        groups.push(group);
    }
    for u in &users {
        for name in &u.groups {
            if !groups.iter().any(|g| &g.name == name) {
                warnings.push(format!(
                    "{file}: user {} is a member of group {name}, which is not in GroupDetailList; that group's policies are unknown",
                    u.arn
                ));
            }
        }
    }

    let mut roles = Vec::with_capacity(merged.roles.len());
    for r in merged.roles.values() {
        let prefix = format!("role/{}", r.role_name);
        let (trust_document, trust_policy) = match &r.assume_role_policy_document {
            Some(raw) if !raw.is_null() => {
                let ctx = DocContext { file, owner: &r.arn, policy: "AssumeRolePolicyDocument" };
                let (doc, named) = load_named(raw, format!("{prefix}/trust"), PolicyKind::Trust, ctx)?;
                (Some(doc), Some(named))
            }
            _ => {
                warnings.push(format!("{file}: role {} has no AssumeRolePolicyDocument (trust policy)", r.arn));
                (None, None)
            }
        };
        let role = Role {
            arn: r.arn.clone(),
            name: r.role_name.clone(),
            path: if r.path.is_empty() { "/".into() } else { r.path.clone() },
            id: r.role_id.clone(),
            create_date: r.create_date.clone(),
            tags: tags(&r.tags),
            trust_document,
            trust_policy,
            instance_profiles: r
                .instance_profile_list
                .iter()
                .map(|p| InstanceProfile {
                    arn: p.arn.clone(),
                    name: p.instance_profile_name.clone(),
                    path: p.path.clone(),
                    id: p.instance_profile_id.clone(),
                    create_date: p.create_date.clone(),
                })
                .collect(),
            attached_policies: attached(&r.attached_managed_policies),
            inline_policies: inline_policies(&r.role_policy_list, &prefix, &r.arn, file)?,
            permissions_boundary: r
                .permissions_boundary
                .as_ref()
                .map(|b| b.permissions_boundary_arn.clone())
                .filter(|a| !a.is_empty()),
            role_last_used: r
                .role_last_used
                .as_ref()
                .map(|l| RoleLastUsed { last_used_date: l.last_used_date.clone(), region: l.region.clone() }),
        };
        for a in &role.attached_policies {
            refer(a, &role.arn);
        }
        if let Some(b) = &role.permissions_boundary {
            refer(b, &role.arn);
        }
        roles.push(role);
    }

    // Resolve referenced managed policies that the file does not carry.
    for (arn, by) in &referenced {
        if managed.contains_key(arn) {
            continue;
        }
        let by = by.iter().cloned().collect::<Vec<_>>().join(", ");
        if managed::is_aws_managed_arn(arn) {
            // A catalog document the engine rejects is AWS's, not the user's: warn, don't fail.
            match managed_from_catalog(arn) {
                Ok(Some(m)) => {
                    managed.insert(arn.clone(), m);
                }
                Err(e) => warnings.push(format!(
                    "{file}: AWS managed policy {arn} (attached to {by}) could not be read from the shipped catalog ({e}); its permissions are unknown and not evaluated"
                )),
                Ok(None) => warnings.push(format!(
                    "{file}: AWS managed policy {arn} (attached to {by}) is neither in the file's Policies nor in the shipped catalog; its permissions are unknown and not evaluated"
                )),
            }
        } else {
            warnings.push(format!(
                "{file}: customer managed policy {arn} (attached to {by}) is not in the file's Policies; its permissions are unknown and not evaluated"
            ));
        }
    }

    let account_id = account_id(&users, &groups, &roles, &managed, file, &mut warnings);
    Ok(IamData { account_id, users, groups, roles, managed, warnings })
}

/// The account id most principals' ARNs carry; warns if principals span several accounts.
fn account_id(
    users: &[User],
    groups: &[Group],
    roles: &[Role],
    managed: &BTreeMap<String, ManagedPolicy>,
    file: &str,
    warnings: &mut Vec<String>,
) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let arns = users
        .iter()
        .map(|u| u.arn.as_str())
        .chain(groups.iter().map(|g| g.arn.as_str()))
        .chain(roles.iter().map(|r| r.arn.as_str()))
        .chain(managed.keys().map(String::as_str));
    for arn in arns {
        if let Some(acct) = arn_account(arn) {
            *counts.entry(acct).or_default() += 1;
        }
    }
    if counts.len() > 1 {
        warnings.push(format!(
            "{file}: ARNs span several accounts ({}); using the most frequent",
            counts.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    // Highest count wins; ties go to the smallest id (BTreeMap order) for determinism.
    let mut best: Option<(&str, usize)> = None;
    for (acct, n) in counts {
        if best.is_none_or(|(_, b)| n > b) {
            best = Some((acct, n));
        }
    }
    best.map(|(a, _)| a.to_string()).unwrap_or_default()
}
