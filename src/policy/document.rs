//! Parsed policy documents: the typed form every other stage works on.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::condition::{Condition, Truth, UnknownKeys};
use super::matching::ActionPattern;
use super::variables::{Lookup, ResourcePattern};

/// The only policy language version with policy variables.
pub const VERSION_2012: &str = "2012-10-17";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// Where a policy sits in the evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum PolicyKind {
    /// Managed or inline policy of a user, its groups, or a role.
    Identity,
    PermissionBoundary,
    /// Service control policy (AWS Organizations).
    Scp,
    /// Resource-based policy (bucket policy, key policy, queue policy...).
    Resource,
    /// Session policy passed to AssumeRole / GetFederationToken.
    Session,
    /// A role's trust policy (the resource policy of the role for sts:AssumeRole*).
    Trust,
    /// Resource control policy (AWS Organizations), on the resource's side.
    Rcp,
}

impl PolicyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::Identity => "Identity",
            PolicyKind::PermissionBoundary => "PermissionBoundary",
            PolicyKind::Scp => "Scp",
            PolicyKind::Resource => "Resource",
            PolicyKind::Session => "Session",
            PolicyKind::Trust => "Trust",
            PolicyKind::Rcp => "Rcp",
        }
    }
}

/// Principal types of the Principal element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalType {
    Aws,
    Service,
    Federated,
    CanonicalUser,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::Aws => "AWS",
            PrincipalType::Service => "Service",
            PrincipalType::Federated => "Federated",
            PrincipalType::CanonicalUser => "CanonicalUser",
        }
    }
}

/// The Principal / NotPrincipal element.
#[derive(Debug, Clone, PartialEq)]
pub struct Principals {
    /// True for NotPrincipal.
    pub negated: bool,
    /// `"Principal": "*"`.
    pub any: bool,
    /// Typed entries, values as written.
    pub entries: BTreeMap<PrincipalType, Vec<String>>,
}

/// The Action / NotAction element.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionList {
    /// True for NotAction.
    pub negated: bool,
    pub patterns: Vec<ActionPattern>,
    /// Pattern positions by literal service prefix (sorted), so that a statement with thousands
    /// of actions (ReadOnlyAccess) only tests the patterns of the request's service.
    by_service: Vec<(String, Vec<u32>)>,
    /// Patterns whose service part has a wildcard (`*`, `s3*:Get*`): tested for every action.
    generic: Vec<u32>,
}

impl ActionList {
    pub fn new(negated: bool, patterns: Vec<ActionPattern>) -> ActionList {
        let mut by_service: Vec<(String, Vec<u32>)> = Vec::new();
        let mut generic = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            match &p.service {
                None => generic.push(i as u32),
                Some(svc) => match by_service.binary_search_by(|(s, _)| s.as_str().cmp(svc)) {
                    Ok(pos) => by_service[pos].1.push(i as u32),
                    Err(pos) => by_service.insert(pos, (svc.clone(), vec![i as u32])),
                },
            }
        }
        ActionList { negated, patterns, by_service, generic }
    }

    /// Does any pattern match this lowercased action (ignores `negated`)?
    pub fn any_matches_lower(&self, action_lower: &str) -> bool {
        let service = action_lower.split_once(':').map_or(action_lower, |(s, _)| s);
        let by_service = self
            .by_service
            .binary_search_by(|(s, _)| s.as_str().cmp(service))
            .map(|pos| self.by_service[pos].1.as_slice())
            .unwrap_or(&[]);
        by_service.iter().chain(&self.generic).any(|&i| self.patterns[i as usize].matches_lower(action_lower))
    }

    /// The patterns that can match actions of `service` (lowercased): those naming it plus the
    /// wildcard-service ones; with None only the wildcard-service ones.
    pub fn patterns_for<'s>(&'s self, service: Option<&str>) -> impl Iterator<Item = &'s ActionPattern> + 's {
        let named = service
            .and_then(|svc| self.by_service.binary_search_by(|(s, _)| s.as_str().cmp(svc)).ok())
            .map(|pos| self.by_service[pos].1.as_slice())
            .unwrap_or(&[]);
        named.iter().chain(&self.generic).map(move |&i| &self.patterns[i as usize])
    }

    /// Lowercased literal service prefixes named by the patterns (sorted).
    pub fn services(&self) -> impl Iterator<Item = &str> {
        self.by_service.iter().map(|(s, _)| s.as_str())
    }
}

/// The Resource / NotResource element.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceList {
    /// True for NotResource.
    pub negated: bool,
    pub patterns: Vec<ResourcePattern>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<Principals>,
    pub action: ActionList,
    /// None when the statement has neither Resource nor NotResource (allowed in resource-based
    /// and trust policies, where it means "the resource this policy is attached to").
    pub resource: Option<ResourceList>,
    /// All operator/key pairs of the Condition block (AND).
    pub conditions: Vec<Condition>,
}

impl Statement {
    /// Does the statement apply to this action (honours NotAction)? Case-insensitive.
    pub fn matches_action(&self, action: &str) -> bool {
        self.matches_action_lower(&action.to_ascii_lowercase())
    }

    /// Same as [`matches_action`](Self::matches_action) for an already lowercased action.
    pub fn matches_action_lower(&self, action_lower: &str) -> bool {
        self.action.any_matches_lower(action_lower) != self.action.negated
    }

    /// Does the statement apply to this resource ARN (honours NotResource)? Variables are
    /// treated as unresolvable (no match); use [`matches_resource_in`](Self::matches_resource_in)
    /// to resolve them against a request context.
    pub fn matches_resource(&self, resource: &str) -> bool {
        self.matches_resource_in(resource, &super::request::Context::new())
    }

    /// Resource match with policy variables resolved from `ctx`. A pattern whose variable
    /// cannot be resolved makes the statement not apply, for Resource and NotResource alike.
    pub fn matches_resource_in(&self, resource: &str, ctx: &dyn Lookup) -> bool {
        match &self.resource {
            None => true,
            Some(list) => {
                let mut hit = false;
                for p in &list.patterns {
                    match p.try_matches(resource, ctx) {
                        None => return false,
                        Some(m) => hit |= m,
                    }
                }
                hit != list.negated
            }
        }
    }

    /// Do all conditions hold in `ctx`?
    pub fn conditions_hold(&self, ctx: &dyn Lookup) -> bool {
        self.conditions.iter().all(|c| c.matches(ctx))
    }

    /// Three-valued [`conditions_hold`](Self::conditions_hold): False if some condition is
    /// false, else Unknown if some condition is on a key `unknown` names and `ctx` lacks.
    pub fn conditions_truth(&self, ctx: &dyn Lookup, unknown: UnknownKeys) -> Truth {
        self.conditions.iter().map(|c| c.truth(ctx, unknown)).min().unwrap_or(Truth::True)
    }

    /// The condition keys (as written) that make [`conditions_truth`](Self::conditions_truth)
    /// unknown in `ctx`.
    pub fn unknown_condition_keys(&self, ctx: &dyn Lookup, unknown: UnknownKeys) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .conditions
            .iter()
            .filter(|c| c.truth(ctx, unknown) == Truth::Unknown)
            .map(|c| c.key.as_str())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// The raw action patterns (of Action or NotAction, see `action.negated`).
    pub fn actions(&self) -> Vec<&str> {
        self.action.patterns.iter().map(|p| p.raw.as_str()).collect()
    }

    /// The raw resource patterns (of Resource or NotResource), empty when absent.
    pub fn resources(&self) -> Vec<&str> {
        self.resource.as_ref().map(|r| r.patterns.iter().map(|p| p.raw()).collect()).unwrap_or_default()
    }

    /// Canonical JSON: keys sorted, lists sorted and de-duplicated, one-element lists as strings.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(sid) = &self.sid {
            m.insert("Sid".into(), json!(sid));
        }
        m.insert("Effect".into(), json!(self.effect.as_str()));
        if let Some(p) = &self.principal {
            let key = if p.negated { "NotPrincipal" } else { "Principal" };
            let v = if p.any {
                json!("*")
            } else {
                let mut pm = Map::new();
                for (t, vals) in &p.entries {
                    pm.insert(t.as_str().into(), string_or_list(vals.iter().map(String::as_str)));
                }
                Value::Object(pm)
            };
            m.insert(key.into(), v);
        }
        let akey = if self.action.negated { "NotAction" } else { "Action" };
        m.insert(akey.into(), string_or_list(self.actions().into_iter()));
        if let Some(r) = &self.resource {
            let rkey = if r.negated { "NotResource" } else { "Resource" };
            m.insert(rkey.into(), string_or_list(self.resources().into_iter()));
        }
        if !self.conditions.is_empty() {
            let mut cm: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
            for c in &self.conditions {
                cm.entry(c.operator.to_string())
                    .or_default()
                    .insert(c.key.clone(), string_or_list(c.values.iter().map(String::as_str)));
            }
            let cm: Map<String, Value> = cm.into_iter().map(|(k, v)| (k, Value::Object(v))).collect();
            m.insert("Condition".into(), Value::Object(cm));
        }
        Value::Object(m)
    }
}

fn string_or_list<'a>(items: impl Iterator<Item = &'a str>) -> Value {
    let mut v: Vec<&str> = items.collect();
    v.sort_unstable();
    v.dedup();
    match v.as_slice() {
        [one] => json!(one),
        _ => json!(v),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub version: Option<String>,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

impl Policy {
    /// Parse a policy from JSON text.
    pub fn from_json_str(s: &str) -> Result<Policy, super::parse::PolicyError> {
        let v: Value = serde_json::from_str(s).map_err(|e| super::parse::PolicyError::Json(e.to_string()))?;
        super::parse::parse_policy(&v)
    }

    /// Canonical JSON of the whole policy (statements keep their order).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(v) = &self.version {
            m.insert("Version".into(), json!(v));
        }
        if let Some(id) = &self.id {
            m.insert("Id".into(), json!(id));
        }
        m.insert("Statement".into(), Value::Array(self.statements.iter().map(Statement::to_json).collect()));
        Value::Object(m)
    }
}

/// A policy with the name and kind used in explanations.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedPolicy {
    pub name: String,
    pub kind: PolicyKind,
    pub policy: Policy,
}

impl NamedPolicy {
    pub fn new(name: impl Into<String>, kind: PolicyKind, policy: Policy) -> NamedPolicy {
        NamedPolicy { name: name.into(), kind, policy }
    }
}

/// Every policy that takes part in one principal's requests.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicySet {
    /// Identity policies: user + its groups, or the role; managed and inline together.
    pub identity: Vec<NamedPolicy>,
    /// Permissions boundary (usually zero or one). Empty: no boundary.
    pub boundaries: Vec<NamedPolicy>,
    /// SCP levels from the root through OUs to the account. Every level must allow.
    pub scps: Vec<Vec<NamedPolicy>>,
    /// Resource-based policy of the target resource (kind Resource or Trust).
    pub resource_policy: Option<NamedPolicy>,
    /// Session policies. Empty: no session policy.
    pub session_policies: Vec<NamedPolicy>,
    /// RCP levels of the resource's account, root first; like SCP levels, every level must
    /// allow, but only for the services RCPs cover ([`super::evaluate::RCP_SERVICES`]).
    pub rcps: Vec<Vec<NamedPolicy>>,
    /// Policies attached to the principal that could not be resolved (their ARN and layer):
    /// a decision they could change is [`super::Decision::Unknown`], never Allow.
    pub unresolved: Vec<(String, PolicyKind)>,
}

impl PolicySet {
    /// The principal has a permissions boundary (even one that could not be resolved).
    pub fn is_bounded(&self) -> bool {
        !self.boundaries.is_empty() || self.unresolved.iter().any(|(_, k)| *k == PolicyKind::PermissionBoundary)
    }
}
