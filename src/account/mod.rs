//! The account model: principals and their policies, loaded from
//! `aws iam get-account-authorization-details` output, plus optional SCPs, resource-based policies
//! and the IAM credential report. Answers "which policies apply to this principal (and resource)?"
//! as a `PolicySet` for the policy engine.
//!
//! Problems that change what can be evaluated but do not stop loading (an attached policy whose
//! document is unknown, a group missing from the file, ...) are collected in `Account::warnings`;
//! malformed documents are errors that name the file, the principal or policy, and the statement.

pub mod authdetails;
mod context;
pub mod credential_report;
pub mod document;
pub mod error;
pub mod history;
pub mod managed;
pub mod model;
pub mod resource_policies;
pub mod scp;
pub mod who_can;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::json;

use crate::policy::{NamedPolicy, PolicyKind, PolicySet};

pub use credential_report::{CredentialFinding, CredentialReport, CredentialRow, FindingKind};
pub use error::AccountError;
pub use model::{Group, InlinePolicy, InstanceProfile, ManagedPolicy, PolicySource, Role, RoleLastUsed, User};

/// Input files for `Account::load`.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `get-account-authorization-details` output (JSON, or `.gz`).
    pub iam: PathBuf,
    /// SCP folder (one `*.json` file per level, ordered by name) or a single level file.
    pub scps: Option<PathBuf>,
    /// RCP folder, in the SCP folder's format.
    pub rcps: Option<PathBuf>,
    /// Folder of resource-based policy files.
    pub resource_policies: Option<PathBuf>,
    /// Credential report CSV.
    pub credential_report: Option<PathBuf>,
}

#[derive(Debug, Clone, Default)]
pub struct Account {
    pub account_id: String,
    /// Sorted by ARN.
    pub users: Vec<User>,
    /// Sorted by ARN.
    pub groups: Vec<Group>,
    /// Sorted by ARN.
    pub roles: Vec<Role>,
    /// Managed policies by ARN: those in the file and attached AWS managed ones from the catalog.
    pub managed: BTreeMap<String, ManagedPolicy>,
    /// SCP levels, organization root first.
    pub scps: Vec<Vec<NamedPolicy>>,
    /// RCP levels of the account's resources, organization root first.
    pub rcps: Vec<Vec<NamedPolicy>>,
    /// Resource-based policies by resource ARN.
    pub resource_policies: BTreeMap<String, NamedPolicy>,
    pub credential_report: Option<CredentialReport>,
    /// Load problems that limit what can be evaluated (each names its file).
    pub warnings: Vec<String>,
}

/// A principal of the account.
#[derive(Debug, Clone, Copy)]
pub enum PrincipalRef<'a> {
    User(&'a User),
    Role(&'a Role),
    Root,
}

/// Name of the implicit policy that stands for the root user's unrestricted permissions.
pub const ROOT_POLICY_NAME: &str = "root/implicit-full-access";

fn read_text(path: &Path) -> anyhow::Result<String> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| AccountError::input(&file, e.to_string()))?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(bytes.as_slice())
            .read_to_string(&mut text)
            .map_err(|e| AccountError::input(&file, format!("gunzip failed: {e}")))?;
        Ok(text)
    } else {
        String::from_utf8(bytes).map_err(|e| AccountError::input(&file, format!("not UTF-8: {e}")).into())
    }
}

impl Account {
    /// Loads the authorization details and the optional inputs.
    pub fn load(opts: &LoadOptions) -> anyhow::Result<Account> {
        let text = read_text(&opts.iam)?;
        let mut account = Self::from_authorization_details_str(&text, &opts.iam.display().to_string())?;
        if let Some(dir) = &opts.scps {
            let levels =
                scp::load(dir).with_context(|| format!("loading service control policies from {}", dir.display()))?;
            account.scps = levels.levels;
            account.warnings.extend(levels.warnings);
        }
        if let Some(dir) = &opts.rcps {
            let levels = scp::load_levels(dir, PolicyKind::Rcp)
                .with_context(|| format!("loading resource control policies from {}", dir.display()))?;
            account.rcps = levels.levels;
            account.warnings.extend(levels.warnings);
        }
        if let Some(dir) = &opts.resource_policies {
            let loaded = resource_policies::load(dir)
                .with_context(|| format!("loading resource policies from {}", dir.display()))?;
            account.resource_policies = loaded.policies;
            account.warnings.extend(loaded.warnings);
        }
        if let Some(path) = &opts.credential_report {
            let text = read_text(path)?;
            account.credential_report = Some(CredentialReport::parse(&text, &path.display().to_string())?);
        }
        let invalid = account.invalid_policy_warnings();
        account.warnings.extend(invalid);
        Ok(account)
    }

    /// Policies that load but are invalid (a condition value its operator cannot read, which
    /// AWS evaluates as a condition that never matches), one warning per problem.
    pub fn invalid_policy_warnings(&self) -> Vec<String> {
        let mut all: Vec<&NamedPolicy> = Vec::new();
        for u in &self.users {
            all.extend(u.inline_policies.iter().map(|p| &p.policy));
        }
        for g in &self.groups {
            all.extend(g.inline_policies.iter().map(|p| &p.policy));
        }
        for r in &self.roles {
            all.extend(r.inline_policies.iter().map(|p| &p.policy));
            all.extend(r.trust_policy.iter());
        }
        all.extend(self.managed.values().map(|m| &m.policy));
        all.extend(self.scps.iter().flatten());
        all.extend(self.rcps.iter().flatten());
        all.extend(self.resource_policies.values());
        all.iter()
            .flat_map(|p| {
                crate::policy::validate(&p.policy, p.kind)
                    .into_iter()
                    .filter(|pr| pr.severity == crate::policy::Severity::Error)
                    .map(move |pr| format!("policy {} is invalid: {}", p.name, pr.message))
            })
            .collect()
    }

    /// Parses authorization details text (`source` names it in errors and warnings). Pure.
    pub fn from_authorization_details_str(s: &str, source: &str) -> anyhow::Result<Account> {
        let data = authdetails::parse(s, source)?;
        Ok(Account {
            account_id: data.account_id,
            users: data.users,
            groups: data.groups,
            roles: data.roles,
            managed: data.managed,
            warnings: data.warnings,
            ..Account::default()
        })
    }

    /// The partition of the account's ARNs (`aws` unless the file says otherwise).
    pub fn partition(&self) -> &str {
        self.users
            .iter()
            .map(|u| u.arn.as_str())
            .chain(self.roles.iter().map(|r| r.arn.as_str()))
            .find_map(crate::arn::partition_of)
            .unwrap_or("aws")
    }

    /// ARN of the account's root user.
    pub fn root_arn(&self) -> String {
        format!("arn:{}:iam::{}:root", self.partition(), self.account_id)
    }

    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }

    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name == name)
    }

    /// Resolves a principal ARN: exact user/role ARN; a user or role ARN without (or with a
    /// different) path, matched by name in the same account, since names are unique per account;
    /// an assumed-role session ARN (`arn:aws:sts::acct:assumed-role/Name/session`) → the role;
    /// `arn:aws:iam::acct:root` → the root user.
    pub fn principal(&self, arn: &str) -> Option<PrincipalRef<'_>> {
        if let Some(u) = self.users.iter().find(|u| u.arn == arn) {
            return Some(PrincipalRef::User(u));
        }
        if let Some(r) = self.roles.iter().find(|r| r.arn == arn) {
            return Some(PrincipalRef::Role(r));
        }
        let a = crate::arn::Arn::get(arn)?;
        if a.account != self.account_id {
            return None;
        }
        match a.service {
            "iam" if a.is_root() => Some(PrincipalRef::Root),
            "iam" if a.resource.starts_with("user/") => self.user(a.name()).map(PrincipalRef::User),
            // Roles and assumed-role sessions alike: the role by name.
            "iam" | "sts" => self.role(a.role_name()?).map(PrincipalRef::Role),
            _ => None,
        }
    }

    /// The ARN of a principal named on the command line: an ARN `principal` resolves (giving
    /// the user's or role's own ARN, or the root ARN) or a bare user or role name. Anything
    /// else is a usage error that suggests the closest principals of the account.
    pub fn resolve_principal(&self, given: &str) -> Result<String, crate::error::UsageError> {
        match self.principal(given) {
            Some(PrincipalRef::User(u)) => return Ok(u.arn.clone()),
            Some(PrincipalRef::Role(r)) => return Ok(r.arn.clone()),
            Some(PrincipalRef::Root) => return Ok(self.root_arn()),
            None => {}
        }
        let named: Vec<&str> = self
            .users
            .iter()
            .filter(|u| u.name == given)
            .map(|u| u.arn.as_str())
            .chain(self.roles.iter().filter(|r| r.name == given).map(|r| r.arn.as_str()))
            .collect();
        match named[..] {
            [arn] => Ok(arn.to_owned()),
            [] => {
                let all = self.principals();
                Err(crate::error::UsageError(format!(
                    "principal {given} is not a user, role or the root user of account {}{}",
                    self.account_id,
                    crate::error::did_you_mean(given, all.iter().map(|(a, _)| a.as_str()))
                )))
            }
            _ => Err(crate::error::UsageError(format!(
                "{given} names both a user and a role; give the ARN ({})",
                named.join(" or ")
            ))),
        }
    }

    /// Every user, role and the root user as (ARN, "user" | "role" | "root"), sorted by ARN.
    pub fn principals(&self) -> Vec<(String, &'static str)> {
        let mut out: Vec<(String, &'static str)> = self
            .users
            .iter()
            .map(|u| (u.arn.clone(), "user"))
            .chain(self.roles.iter().map(|r| (r.arn.clone(), "role")))
            .collect();
        if !self.account_id.is_empty() {
            out.push((self.root_arn(), "root"));
        }
        out.sort();
        out
    }

    fn managed_identity(&self, arn: &str) -> Option<NamedPolicy> {
        self.managed.get(arn).map(|m| m.policy.clone())
    }

    /// Attached managed policies; one that cannot be resolved is recorded in `set.unresolved`,
    /// so that the evaluation never answers Allow without it.
    fn push_managed(&self, set: &mut PolicySet, seen: &mut BTreeSet<String>, arns: &[String]) {
        for a in arns {
            if seen.insert(a.clone()) {
                match self.managed_identity(a) {
                    Some(p) => set.identity.push(p),
                    None => set.unresolved.push((a.clone(), PolicyKind::Identity)),
                }
            }
        }
    }

    fn set_boundary(&self, set: &mut PolicySet, arn: Option<&String>) {
        let Some(arn) = arn else { return };
        match self.managed.get(arn) {
            Some(m) => {
                let mut p = m.policy.clone();
                p.kind = PolicyKind::PermissionBoundary;
                set.boundaries.push(p);
            }
            None => set.unresolved.push((arn.clone(), PolicyKind::PermissionBoundary)),
        }
    }

    /// Identity-side policies of a principal: for a user, its inline and attached policies then
    /// those of each of its groups (managed policies once each); for a role, its inline and
    /// attached policies; its permissions boundary; the account's SCPs. Policies the load could
    /// not resolve are listed in `unresolved` (and reported in `warnings`). The root user gets one implicit
    /// allow-all identity policy (`ROOT_POLICY_NAME`), since root is limited only by SCPs.
    pub fn policy_set(&self, principal_arn: &str) -> Option<PolicySet> {
        let mut set = PolicySet { scps: self.scps.clone(), ..PolicySet::default() };
        match self.principal(principal_arn)? {
            PrincipalRef::User(u) => {
                // A managed policy attached both to the user and to a group counts once.
                let mut seen = BTreeSet::new();
                set.identity.extend(u.inline_policies.iter().map(|p| p.policy.clone()));
                self.push_managed(&mut set, &mut seen, &u.attached_policies);
                for g in u.groups.iter().filter_map(|n| self.group(n)) {
                    set.identity.extend(g.inline_policies.iter().map(|p| p.policy.clone()));
                    self.push_managed(&mut set, &mut seen, &g.attached_policies);
                }
                self.set_boundary(&mut set, u.permissions_boundary.as_ref());
            }
            PrincipalRef::Role(r) => {
                // SCPs do not affect service-linked roles.
                if r.is_service_linked() {
                    set.scps.clear();
                }
                set.identity.extend(r.inline_policies.iter().map(|p| p.policy.clone()));
                self.push_managed(&mut set, &mut BTreeSet::new(), &r.attached_policies);
                self.set_boundary(&mut set, r.permissions_boundary.as_ref());
            }
            PrincipalRef::Root => {
                let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
                let policy = crate::policy::parse_policy(&doc).ok()?;
                set.identity.push(NamedPolicy {
                    name: ROOT_POLICY_NAME.to_string(),
                    kind: PolicyKind::Identity,
                    policy,
                });
            }
        }
        Some(set)
    }

    /// `policy_set` plus the resource-based policy governing `resource_arn`, if one was loaded;
    /// for `sts:AssumeRole*` / `sts:TagSession` on a role of the account, the role's trust policy.
    pub fn policy_set_for_request(&self, principal_arn: &str, action: &str, resource_arn: &str) -> Option<PolicySet> {
        let mut set = self.policy_set(principal_arn)?;
        let lower = action.to_ascii_lowercase();
        let assumes =
            lower.starts_with("sts:assumerole") || lower == "sts:tagsession" || lower == "sts:setsourceidentity";
        set.resource_policy = if assumes && resource_arn.contains(":role/") {
            self.trust_policy(resource_arn).cloned()
        } else {
            self.resource_policy(resource_arn).cloned()
        };
        set.rcps = self.rcps_for(principal_arn, resource_arn);
        Some(set)
    }

    /// The RCP levels that govern a request on `resource_arn`: the account's, when the resource
    /// is the account's (an S3 ARN names no account: taken as the account's); none for a
    /// service-linked role, which RCPs do not restrict (AWS Organizations "Resource control
    /// policies").
    pub fn rcps_for(&self, principal_arn: &str, resource_arn: &str) -> Vec<Vec<NamedPolicy>> {
        let resource_account = crate::arn::account_of(resource_arn);
        let service_linked =
            matches!(self.principal(principal_arn), Some(PrincipalRef::Role(r)) if r.is_service_linked());
        if service_linked || resource_account.is_some_and(|a| a != self.account_id) {
            return Vec::new();
        }
        self.rcps.clone()
    }

    /// `policy_set` plus the resource-based policy governing `resource_arn`, if one was loaded.
    pub fn policy_set_for_resource(&self, principal_arn: &str, resource_arn: &str) -> Option<PolicySet> {
        let mut set = self.policy_set(principal_arn)?;
        set.resource_policy = self.resource_policy(resource_arn).cloned();
        set.rcps = self.rcps_for(principal_arn, resource_arn);
        Some(set)
    }

    /// The resource-based policy governing a resource (an S3 object → its bucket's policy).
    pub fn resource_policy(&self, resource_arn: &str) -> Option<&NamedPolicy> {
        resource_policies::governing(&self.resource_policies, resource_arn)
    }

    /// The trust policy of a role (given by role ARN, path-less ARN or session ARN).
    pub fn trust_policy(&self, role_arn: &str) -> Option<&NamedPolicy> {
        match self.principal(role_arn)? {
            PrincipalRef::Role(r) => r.trust_policy.as_ref(),
            _ => None,
        }
    }

    /// The role in an instance profile, by profile ARN or name.
    /// The role a PassRole really passes: an instance profile ARN stands for its role.
    pub fn passed_role_arn(&self, resource: &str) -> String {
        if resource.contains(":instance-profile/") {
            // A request names the profile by name, so its ARN may lack the profile's path.
            let name = resource.rsplit('/').next().unwrap_or(resource);
            if let Some(r) = self.instance_profile_role(resource).or_else(|| self.instance_profile_role(name)) {
                return r.arn.clone();
            }
        }
        resource.to_owned()
    }

    pub fn instance_profile_role(&self, profile_arn_or_name: &str) -> Option<&Role> {
        self.roles
            .iter()
            .find(|r| r.instance_profiles.iter().any(|p| p.arn == profile_arn_or_name || p.name == profile_arn_or_name))
    }
}
