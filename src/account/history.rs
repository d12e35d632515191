//! The account model as it was at an earlier instant: the export (the state at the end of the
//! window) with the lake's successful IAM-change events after that instant undone, newest first.
//!
//! An event says what a change set, rarely what it replaced: the earlier state comes from the
//! latest earlier event of the lake that set it (a `PutRolePolicy` of the same policy, the
//! `CreateRole` of the role, ...) or from the export's policy versions. Where neither has it, the
//! earlier document is not evaluated (left out, as if absent) and the change is reported as
//! uncertain: every instant before it may be wrong about that subject. The export is taken to
//! be later than every event of the lake.
//!
//! `as_of` is pure; `load_changes` reads the events from the lake.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value;

use super::authdetails::managed_from_catalog;
use super::document::{decode_document, parse_named, DocContext};
use super::{managed, Account, Group, InlinePolicy, ManagedPolicy, PolicySource, PrincipalRef, Role, User};
use crate::policy::{NamedPolicy, PolicyKind};
use crate::time::iso;

/// The IAM API calls whose effect `as_of` undoes.
pub const CHANGE_EVENTS: &[&str] = &[
    "AddUserToGroup",
    "AttachGroupPolicy",
    "AttachRolePolicy",
    "AttachUserPolicy",
    "CreateGroup",
    "CreatePolicy",
    "CreatePolicyVersion",
    "CreateRole",
    "CreateUser",
    "DeleteGroup",
    "DeleteGroupPolicy",
    "DeletePolicy",
    "DeletePolicyVersion",
    "DeleteRole",
    "DeleteRolePermissionsBoundary",
    "DeleteRolePolicy",
    "DeleteUser",
    "DeleteUserPermissionsBoundary",
    "DeleteUserPolicy",
    "DetachGroupPolicy",
    "DetachRolePolicy",
    "DetachUserPolicy",
    "PutGroupPolicy",
    "PutRolePermissionsBoundary",
    "PutRolePolicy",
    "PutUserPermissionsBoundary",
    "PutUserPolicy",
    "RemoveUserFromGroup",
    "SetDefaultPolicyVersion",
    "UpdateAssumeRolePolicy",
];

/// One successful IAM-change event of the lake.
#[derive(Debug, Clone, PartialEq)]
pub struct IamChange {
    pub time_ms: i64,
    pub event_id: String,
    pub event_name: String,
    /// `requestParameters` (`Null` when absent).
    pub request: Value,
    /// `responseElements` (`Null` when absent).
    pub response: Value,
}

/// A change that was undone to reach the instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UndoneChange {
    pub time: String,
    pub event_id: String,
    pub event_name: String,
    /// `role/NAME`, `user/NAME`, `group/NAME` or a managed policy ARN.
    pub subject: String,
}

/// A subject whose state before a change is not known.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Uncertainty {
    /// The change: its state is unknown at every instant before it.
    pub until: String,
    pub event_id: String,
    /// `role/NAME trust policy`, `user/NAME inline policy P`, a policy ARN, ...
    pub subject: String,
    pub reason: String,
}

/// What `as_of` did, for the outputs (`as_of` field of JSON, notes of tables).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AsOfReport {
    pub time: String,
    /// Newest first, as undone.
    pub undone: Vec<UndoneChange>,
    /// Earlier states that no event states but that follow from the others (each says how).
    pub inferred: Vec<String>,
    /// Sorted by time.
    pub uncertain: Vec<Uncertainty>,
}

/// The model at the instant and how it was obtained.
#[derive(Debug, Clone)]
pub struct AsOf {
    pub account: Account,
    pub report: AsOfReport,
}

impl AsOf {
    /// The uncertainties that concern a principal's policies at the instant: its own
    /// (`user/NAME ...`, `role/NAME ...`), its groups', and those of the managed policies attached
    /// to it or its groups or used as its boundary.
    pub fn uncertain_for(&self, principal_arn: &str) -> Vec<&Uncertainty> {
        let mut subjects: Vec<String> = Vec::new();
        let mut policies: Vec<&String> = Vec::new();
        match self.account.principal(principal_arn) {
            Some(PrincipalRef::User(u)) => {
                subjects.push(format!("user/{}", u.name));
                policies.extend(&u.attached_policies);
                policies.extend(&u.permissions_boundary);
                for g in &u.groups {
                    subjects.push(format!("group/{g}"));
                    policies.extend(self.account.group(g).into_iter().flat_map(|g| &g.attached_policies));
                }
            }
            Some(PrincipalRef::Role(r)) => {
                subjects.push(format!("role/{}", r.name));
                policies.extend(&r.attached_policies);
                policies.extend(&r.permissions_boundary);
            }
            Some(PrincipalRef::Root) | None => {}
        }
        self.report
            .uncertain
            .iter()
            .filter(|u| {
                subjects.iter().any(|s| u.subject == *s || u.subject.starts_with(&format!("{s} ")))
                    || policies.iter().any(|p| u.subject == **p)
            })
            .collect()
    }
}

fn param<'a>(c: &'a IamChange, key: &str) -> Option<&'a str> {
    c.request.get(key).and_then(Value::as_str)
}

/// Users, groups and roles: the parts of an event name and request that differ between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    User,
    Group,
    Role,
}

impl Kind {
    /// From the middle of an event name (`PutRolePolicy` → `Role`).
    fn parse(s: &str) -> Option<Kind> {
        match s {
            "User" => Some(Kind::User),
            "Group" => Some(Kind::Group),
            "Role" => Some(Kind::Role),
            _ => None,
        }
    }
    fn word(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Group => "Group",
            Kind::Role => "Role",
        }
    }
    fn prefix(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Group => "group",
            Kind::Role => "role",
        }
    }
    /// The request parameter that names the entity.
    fn key(self) -> &'static str {
        match self {
            Kind::User => "userName",
            Kind::Group => "groupName",
            Kind::Role => "roleName",
        }
    }
}

/// What the events before a change say about the state it replaced.
enum Prior {
    /// Set by the event (its id) to this raw value.
    Set(Value, String),
    /// Known not to exist (deleted, or the entity was created without it).
    Absent,
    /// No earlier event says.
    Unknown,
}

/// The latest earlier event `look` has an answer for.
fn prior(earlier: &[&IamChange], look: impl Fn(&IamChange) -> Option<Prior>) -> Prior {
    earlier.iter().rev().find_map(|c| look(c)).unwrap_or(Prior::Unknown)
}

/// A managed policy while changes are undone.
#[derive(Debug, Clone)]
struct PolicyState {
    exists: bool,
    /// Raw documents by version id; `None`: the version existed but its document is unknown.
    versions: BTreeMap<String, Option<Value>>,
    /// `None`: unknown.
    default: Option<String>,
    /// The oldest undone change of this policy (for uncertainties found at the end).
    oldest_change: Option<(i64, String)>,
}

struct Undo<'a> {
    account: Account,
    policies: BTreeMap<String, PolicyState>,
    report: AsOfReport,
    /// The change being undone.
    change: &'a IamChange,
}

/// The model at `at_ms`: `current` (the export) with every change of `changes` later than
/// `at_ms` undone. `changes` may be in any order (sorted here by time, then event id).
pub fn as_of(current: &Account, changes: &[IamChange], at_ms: i64) -> AsOf {
    let mut order: Vec<&IamChange> = changes.iter().collect();
    order.sort_by(|a, b| (a.time_ms, &a.event_id).cmp(&(b.time_ms, &b.event_id)));
    let Some(first) = order.first() else {
        return AsOf { account: current.clone(), report: AsOfReport { time: iso(at_ms), ..AsOfReport::default() } };
    };
    let mut u = Undo {
        account: current.clone(),
        policies: BTreeMap::new(),
        report: AsOfReport { time: iso(at_ms), ..AsOfReport::default() },
        change: first,
    };
    for i in (0..order.len()).rev() {
        if order[i].time_ms <= at_ms {
            break;
        }
        u.change = order[i];
        u.undo(&order[..i]);
    }
    u.finish()
}

impl<'a> Undo<'a> {
    fn uncertain(&mut self, subject: String, reason: String) {
        self.report.uncertain.push(Uncertainty {
            until: iso(self.change.time_ms),
            event_id: self.change.event_id.clone(),
            subject,
            reason,
        });
    }

    fn undone(&mut self, subject: String) {
        self.report.undone.push(UndoneChange {
            time: iso(self.change.time_ms),
            event_id: self.change.event_id.clone(),
            event_name: self.change.event_name.clone(),
            subject,
        });
    }

    fn undo(&mut self, earlier: &[&IamChange]) {
        let c = self.change;
        let name = c.event_name.as_str();
        // Per-entity calls: `<Verb><User|Group|Role><Rest>`.
        for verb in ["Put", "Delete", "Attach", "Detach", "Create"] {
            let Some(rest) = name.strip_prefix(verb) else { continue };
            for word in ["User", "Group", "Role"] {
                let Some(tail) = rest.strip_prefix(word) else { continue };
                let kind = Kind::parse(word).expect("listed");
                let Some(owner) = param(c, kind.key()).map(str::to_owned) else {
                    return self.missing(kind.key());
                };
                let subject = format!("{}/{owner}", kind.prefix());
                match (verb, tail) {
                    ("Put", "Policy") => self.undo_put_inline(earlier, kind, &owner, true),
                    ("Delete", "Policy") => self.undo_put_inline(earlier, kind, &owner, false),
                    ("Attach", "Policy") => self.undo_attach(kind, &owner, true),
                    ("Detach", "Policy") => self.undo_attach(kind, &owner, false),
                    ("Put" | "Delete", "PermissionsBoundary") if kind != Kind::Group => {
                        self.undo_boundary(earlier, kind, &owner)
                    }
                    ("Create", "") => self.undo_create(kind, &owner),
                    ("Delete", "") => self.undo_delete(earlier, kind, &owner),
                    _ => return,
                }
                return self.undone(subject);
            }
        }
        match name {
            "UpdateAssumeRolePolicy" => {
                let Some(role) = param(c, "roleName").map(str::to_owned) else { return self.missing("roleName") };
                let before = trust_prior(earlier, &role);
                self.set_trust(&role, before);
                self.undone(format!("role/{role}"));
            }
            "AddUserToGroup" | "RemoveUserFromGroup" => {
                let (Some(user), Some(group)) = (param(c, "userName"), param(c, "groupName")) else {
                    return self.missing("userName, groupName");
                };
                let (user, group) = (user.to_owned(), group.to_owned());
                match self.account.users.iter_mut().find(|u| u.name == user) {
                    Some(u) if name == "AddUserToGroup" => u.groups.retain(|g| *g != group),
                    Some(u) if !u.groups.contains(&group) => u.groups.push(group.clone()),
                    Some(_) => {}
                    None => return self.not_in_model(format!("user/{user}")),
                }
                self.undone(format!("user/{user}"));
            }
            "CreatePolicyVersion"
            | "SetDefaultPolicyVersion"
            | "DeletePolicyVersion"
            | "CreatePolicy"
            | "DeletePolicy" => {
                let arn = match name {
                    "CreatePolicy" => self.created_policy_arn(c),
                    _ => param(c, "policyArn").map(str::to_owned),
                };
                let Some(arn) = arn else { return self.missing("policyArn") };
                self.undo_policy(earlier, &arn);
                self.undone(arn);
            }
            _ => {}
        }
    }

    fn missing(&mut self, what: &str) {
        let c = self.change;
        self.uncertain(
            format!("{} request", c.event_name),
            format!("the event's requestParameters lack {what}; the change could not be undone"),
        );
    }

    fn not_in_model(&mut self, subject: String) {
        let name = self.change.event_name.clone();
        self.uncertain(subject, format!("not in the model at the time of {name}; the change could not be undone"));
    }

    /// Parses a raw document for the model; a bad one is an uncertainty (and left out).
    fn parse(
        &mut self,
        raw: &Value,
        name: String,
        kind: PolicyKind,
        subject: &str,
        from: &str,
    ) -> Option<(Value, NamedPolicy)> {
        let file = format!("event {from}");
        let ctx = DocContext { file: &file, owner: subject, policy: &name };
        let parsed = decode_document(raw)
            .map_err(|e| e.to_string())
            .and_then(|doc| parse_named(&doc, name.clone(), kind, ctx).map(|p| (doc, p)).map_err(|e| e.to_string()));
        match parsed {
            Ok(p) => Some(p),
            Err(e) => {
                self.uncertain(subject.to_owned(), format!("the earlier document cannot be read: {e}"));
                None
            }
        }
    }

    fn inline_list(&mut self, kind: Kind, owner: &str) -> Option<&mut Vec<InlinePolicy>> {
        let a = &mut self.account;
        match kind {
            Kind::User => a.users.iter_mut().find(|u| u.name == owner).map(|u| &mut u.inline_policies),
            Kind::Group => a.groups.iter_mut().find(|g| g.name == owner).map(|g| &mut g.inline_policies),
            Kind::Role => a.roles.iter_mut().find(|r| r.name == owner).map(|r| &mut r.inline_policies),
        }
    }

    fn attached_list(&mut self, kind: Kind, owner: &str) -> Option<&mut Vec<String>> {
        let a = &mut self.account;
        match kind {
            Kind::User => a.users.iter_mut().find(|u| u.name == owner).map(|u| &mut u.attached_policies),
            Kind::Group => a.groups.iter_mut().find(|g| g.name == owner).map(|g| &mut g.attached_policies),
            Kind::Role => a.roles.iter_mut().find(|r| r.name == owner).map(|r| &mut r.attached_policies),
        }
    }

    /// Undo `Put<Kind>Policy` (`put`) or `Delete<Kind>Policy`: the inline policy as the latest
    /// earlier event left it.
    fn undo_put_inline(&mut self, earlier: &[&IamChange], kind: Kind, owner: &str, put: bool) {
        let c = self.change;
        let Some(policy) = param(c, "policyName").map(str::to_owned) else { return self.missing("policyName") };
        let subject = format!("{}/{owner} inline policy {policy}", kind.prefix());
        if self.inline_list(kind, owner).is_none() {
            return self.not_in_model(format!("{}/{owner}", kind.prefix()));
        }
        let (put_name, delete_name, create_name) = (
            format!("Put{}Policy", kind.word()),
            format!("Delete{}Policy", kind.word()),
            format!("Create{}", kind.word()),
        );
        let before = prior(earlier, |e| {
            if param(e, kind.key()) != Some(owner) {
                return None;
            }
            if e.event_name == create_name {
                return Some(Prior::Absent);
            }
            if param(e, "policyName") != Some(policy.as_str()) {
                return None;
            }
            if e.event_name == put_name {
                Some(Prior::Set(e.request.get("policyDocument").cloned().unwrap_or(Value::Null), e.event_id.clone()))
            } else if e.event_name == delete_name {
                Some(Prior::Absent)
            } else {
                None
            }
        });
        let restored = match before {
            Prior::Set(raw, from) => {
                let name = format!("{}/{owner}/inline/{policy}", kind.prefix());
                self.parse(&raw, name, PolicyKind::Identity, &subject, &from).map(|(document, p)| InlinePolicy {
                    name: policy.clone(),
                    document,
                    policy: p,
                })
            }
            Prior::Absent => None,
            Prior::Unknown => {
                let what = if put {
                    format!("{} created or replaced it and no earlier event of the lake has its earlier document; before it, the policy (if any) is not evaluated", c.event_name)
                } else {
                    format!("{} deleted it and its document is in no earlier event of the lake; before it, the policy is not evaluated", c.event_name)
                };
                self.uncertain(subject, what);
                None
            }
        };
        let list = self.inline_list(kind, owner).expect("checked above");
        let at = list.iter().position(|p| p.name == policy);
        match (restored, at) {
            (Some(p), Some(i)) => list[i] = p,
            (Some(p), None) => list.push(p),
            (None, Some(i)) => {
                list.remove(i);
            }
            (None, None) => {}
        }
    }

    fn undo_attach(&mut self, kind: Kind, owner: &str, attach: bool) {
        let Some(arn) = param(self.change, "policyArn").map(str::to_owned) else { return self.missing("policyArn") };
        let Some(list) = self.attached_list(kind, owner) else {
            return self.not_in_model(format!("{}/{owner}", kind.prefix()));
        };
        if attach {
            list.retain(|a| *a != arn);
        } else if !list.contains(&arn) {
            list.push(arn.clone());
            self.ensure_managed(&arn);
        }
    }

    /// A re-attached AWS managed policy the export does not carry comes from the shipped catalog.
    fn ensure_managed(&mut self, arn: &str) {
        if self.account.managed.contains_key(arn) || !managed::is_aws_managed_arn(arn) {
            return;
        }
        if let Ok(Some(m)) = managed_from_catalog(arn) {
            self.account.managed.insert(arn.to_owned(), m);
        }
    }

    fn undo_boundary(&mut self, earlier: &[&IamChange], kind: Kind, owner: &str) {
        let c = self.change;
        let word = kind.word();
        let before = prior(earlier, |e| {
            if param(e, kind.key()) != Some(owner) {
                return None;
            }
            let n = e.event_name.as_str();
            if n == format!("Put{word}PermissionsBoundary") || n == format!("Create{word}") {
                match e.request.get("permissionsBoundary") {
                    Some(v) => Some(Prior::Set(v.clone(), e.event_id.clone())),
                    None => Some(Prior::Absent),
                }
            } else if n == format!("Delete{word}PermissionsBoundary") {
                Some(Prior::Absent)
            } else {
                None
            }
        });
        let boundary = match before {
            Prior::Set(v, _) => v.as_str().map(str::to_owned),
            Prior::Absent => None,
            Prior::Unknown => {
                self.uncertain(
                    format!("{}/{owner} permissions boundary", kind.prefix()),
                    format!("{} changed it and no earlier event of the lake says what it was; before it, no boundary is evaluated", c.event_name),
                );
                None
            }
        };
        if let Some(b) = &boundary {
            self.ensure_managed(b);
        }
        let a = &mut self.account;
        let slot = match kind {
            Kind::User => a.users.iter_mut().find(|u| u.name == owner).map(|u| &mut u.permissions_boundary),
            Kind::Role => a.roles.iter_mut().find(|r| r.name == owner).map(|r| &mut r.permissions_boundary),
            Kind::Group => None,
        };
        match slot {
            Some(s) => *s = boundary,
            None => self.not_in_model(format!("{}/{owner}", kind.prefix())),
        }
    }

    fn set_trust(&mut self, role: &str, before: Prior) {
        let subject = format!("role/{role} trust policy");
        let parsed = match before {
            Prior::Set(raw, from) => self.parse(&raw, format!("role/{role}/trust"), PolicyKind::Trust, &subject, &from),
            Prior::Absent => None,
            Prior::Unknown => {
                let name = self.change.event_name.clone();
                self.uncertain(
                    subject,
                    format!("{name} replaced it and the earlier document is in no event of the lake; before it, the trust policy is not evaluated (nobody can assume the role)"),
                );
                None
            }
        };
        match self.account.roles.iter_mut().find(|r| r.name == role) {
            Some(r) => {
                r.trust_document = parsed.as_ref().map(|(d, _)| d.clone());
                r.trust_policy = parsed.map(|(_, p)| p);
            }
            None => self.not_in_model(format!("role/{role}")),
        }
    }

    fn undo_create(&mut self, kind: Kind, owner: &str) {
        let a = &mut self.account;
        match kind {
            Kind::User => a.users.retain(|u| u.name != owner),
            Kind::Group => {
                a.groups.retain(|g| g.name != owner);
                for u in &mut a.users {
                    u.groups.retain(|g| g != owner);
                }
            }
            Kind::Role => a.roles.retain(|r| r.name != owner),
        }
    }

    /// Undo `Delete<Kind>`: the entity comes back empty (IAM deletes only entities without
    /// policies, groups or boundary; undoing the removals that preceded restores them).
    fn undo_delete(&mut self, earlier: &[&IamChange], kind: Kind, owner: &str) {
        let create = format!("Create{}", kind.word());
        let created = earlier.iter().rev().find(|e| e.event_name == create && param(e, kind.key()) == Some(owner));
        let item = |key: &str| {
            created.and_then(|e| e.response.get(kind.prefix())).and_then(|v| v.get(key)).and_then(Value::as_str)
        };
        let path = item("path").or_else(|| created.and_then(|e| param(e, "path"))).unwrap_or("/").to_owned();
        let arn = item("arn").map(str::to_owned).unwrap_or_else(|| {
            format!("arn:{}:iam::{}:{}{path}{owner}", self.account.partition(), self.account.account_id, kind.prefix())
        });
        let id = item(&format!("{}Id", kind.prefix())).unwrap_or("").to_owned();
        let create_date = item("createDate").map(str::to_owned);
        let a = &mut self.account;
        match kind {
            Kind::User if a.user(owner).is_none() => a.users.push(User {
                arn,
                name: owner.to_owned(),
                path,
                id,
                create_date,
                tags: BTreeMap::new(),
                groups: Vec::new(),
                attached_policies: Vec::new(),
                inline_policies: Vec::new(),
                permissions_boundary: None,
            }),
            Kind::Group if a.group(owner).is_none() => a.groups.push(Group {
                arn,
                name: owner.to_owned(),
                path,
                id,
                create_date,
                attached_policies: Vec::new(),
                inline_policies: Vec::new(),
                members: Vec::new(),
            }),
            Kind::Role if a.role(owner).is_none() => {
                a.roles.push(Role {
                    arn,
                    name: owner.to_owned(),
                    path,
                    id,
                    create_date,
                    tags: BTreeMap::new(),
                    trust_document: None,
                    trust_policy: None,
                    instance_profiles: Vec::new(),
                    attached_policies: Vec::new(),
                    inline_policies: Vec::new(),
                    permissions_boundary: None,
                    role_last_used: None,
                });
                let before = trust_prior(earlier, owner);
                self.set_trust(owner, before);
            }
            _ => {}
        }
    }

    fn created_policy_arn(&self, c: &IamChange) -> Option<String> {
        if let Some(arn) = c.response.get("policy").and_then(|p| p.get("arn")).and_then(Value::as_str) {
            return Some(arn.to_owned());
        }
        let name = param(c, "policyName")?;
        let path = param(c, "path").unwrap_or("/");
        Some(format!("arn:{}:iam::{}:policy{path}{name}", self.account.partition(), self.account.account_id))
    }

    fn policy_state(&mut self, arn: &str) -> &mut PolicyState {
        let account = &self.account;
        self.policies.entry(arn.to_owned()).or_insert_with(|| match account.managed.get(arn) {
            Some(m) => PolicyState {
                exists: true,
                versions: m.versions.iter().map(|(v, d)| (v.clone(), Some(d.clone()))).collect(),
                default: m.version.clone(),
                oldest_change: None,
            },
            // Not in the export: deleted since (its undo comes later in this walk) or unknown.
            None => PolicyState { exists: false, versions: BTreeMap::new(), default: None, oldest_change: None },
        })
    }

    fn undo_policy(&mut self, earlier: &[&IamChange], arn: &str) {
        let c = self.change;
        let at = (c.time_ms, c.event_id.clone());
        self.policy_state(arn).oldest_change = Some(at);
        match c.event_name.as_str() {
            "CreatePolicy" => self.policy_state(arn).exists = false,
            "DeletePolicy" => {
                // Rebuilt from the earlier events of the policy.
                let mut versions = BTreeMap::new();
                for e in earlier {
                    if let Some((vid, doc)) = created_version(e, arn, |c| self.created_policy_arn(c)) {
                        versions.insert(vid, Some(doc));
                    }
                }
                let default = default_prior(earlier, arn, |c| self.created_policy_arn(c));
                if default.is_none() {
                    self.uncertain(
                        arn.to_owned(),
                        "DeletePolicy deleted it and no earlier event of the lake says its default version; before it, the policy is not evaluated".into(),
                    );
                }
                let st = self.policy_state(arn);
                st.exists = true;
                st.versions = versions;
                st.default = default;
            }
            "DeletePolicyVersion" => {
                let Some(vid) = param(c, "versionId").map(str::to_owned) else { return self.missing("versionId") };
                let doc = earlier
                    .iter()
                    .rev()
                    .find_map(|e| created_version(e, arn, |c| self.created_policy_arn(c)).filter(|(v, _)| *v == vid))
                    .map(|(_, d)| d);
                self.policy_state(arn).versions.insert(vid, doc);
            }
            "CreatePolicyVersion" | "SetDefaultPolicyVersion" => {
                let set = if c.event_name == "CreatePolicyVersion" {
                    let vid = c.response.get("policyVersion").and_then(|v| v.get("versionId")).and_then(Value::as_str);
                    let made_default = c.request.get("setAsDefault").is_some_and(|v| v == true || v == "true");
                    match vid {
                        Some(v) => {
                            self.policy_state(arn).versions.remove(v);
                            made_default.then(|| v.to_owned())
                        }
                        None => {
                            self.uncertain(
                                arn.to_owned(),
                                "CreatePolicyVersion's responseElements lack the version id; the version could not be removed".into(),
                            );
                            made_default.then(String::new)
                        }
                    }
                } else {
                    let Some(v) = param(c, "versionId") else { return self.missing("versionId") };
                    Some(v.to_owned())
                };
                let Some(set) = set else { return };
                let before = match default_prior(earlier, arn, |c| self.created_policy_arn(c)) {
                    Some(v) => Some(v),
                    None => self.infer_default(arn, &set),
                };
                if before.is_none() {
                    self.uncertain(
                        arn.to_owned(),
                        format!("{} changed its default version and no earlier event of the lake says which version was the default before; before it, the policy is not evaluated", c.event_name),
                    );
                }
                self.policy_state(arn).default = before;
            }
            _ => {}
        }
    }

    /// The default before a change that made `set` the default, when no event says: the only
    /// other version that existed then. For `SetDefaultPolicyVersion` this assumes the call
    /// changed the default (AWS logs a call that re-sets the current default too).
    fn infer_default(&mut self, arn: &str, set: &str) -> Option<String> {
        let st = self.policy_state(arn);
        let others: Vec<&String> = st.versions.keys().filter(|v| *v != set).collect();
        let [only] = others[..] else { return None };
        let only = only.clone();
        let c = self.change;
        let how = if c.event_name == "SetDefaultPolicyVersion" {
            format!("{only} was the only other version, so it was the default (assuming the call changed the default)")
        } else {
            format!("{only} was the only version besides the one created")
        };
        self.report.inferred.push(format!(
            "{arn}: default version before {} {} ({}): {how}",
            c.event_name,
            iso(c.time_ms),
            c.event_id
        ));
        Some(only)
    }

    fn finish(mut self) -> AsOf {
        let policies = std::mem::take(&mut self.policies);
        for (arn, st) in policies {
            let Some((since, event_id)) = st.oldest_change.clone() else { continue };
            if !st.exists {
                self.account.managed.remove(&arn);
                continue;
            }
            let raw = st.default.as_ref().and_then(|v| st.versions.get(v).cloned().flatten());
            let Some(raw) = raw else {
                // A default version whose document no input has: attachments stay, and the
                // evaluation treats the policy as unresolved (never Allow because of it).
                if let Some(v) = &st.default {
                    self.report.uncertain.push(Uncertainty {
                        until: iso(since),
                        event_id,
                        subject: arn.clone(),
                        reason: format!("version {v} was the default and its document is in neither the export nor any event of the lake; the policy is not evaluated"),
                    });
                }
                self.account.managed.remove(&arn);
                continue;
            };
            let vid = st.default.clone().unwrap_or_default();
            let label = format!("version {vid}");
            let file = format!("event {event_id}");
            let ctx = DocContext { file: &file, owner: &arn, policy: &label };
            let parsed = decode_document(&raw).map_err(|e| e.to_string()).and_then(|d| {
                parse_named(&d, arn.clone(), PolicyKind::Identity, ctx).map(|p| (d, p)).map_err(|e| e.to_string())
            });
            match parsed {
                Ok((document, policy)) => {
                    let versions = st.versions.iter().filter_map(|(v, d)| Some((v.clone(), d.clone()?))).collect();
                    let entry = self.account.managed.entry(arn.clone()).or_insert_with(|| new_managed(&arn));
                    entry.document = document;
                    entry.policy = policy;
                    entry.version = Some(vid);
                    entry.versions = versions;
                }
                Err(e) => {
                    self.report.uncertain.push(Uncertainty {
                        until: iso(since),
                        event_id,
                        subject: arn.clone(),
                        reason: format!("the default version {vid} cannot be read: {e}; the policy is not evaluated"),
                    });
                    self.account.managed.remove(&arn);
                }
            }
        }
        let a = &mut self.account;
        a.users.sort_by(|x, y| x.arn.cmp(&y.arn));
        a.groups.sort_by(|x, y| x.arn.cmp(&y.arn));
        a.roles.sort_by(|x, y| x.arn.cmp(&y.arn));
        for g in &mut a.groups {
            let mut members: Vec<String> =
                a.users.iter().filter(|u| u.groups.contains(&g.name)).map(|u| u.name.clone()).collect();
            members.sort();
            members.dedup();
            g.members = members;
        }
        self.report.uncertain.sort();
        AsOf { account: self.account, report: self.report }
    }
}

/// A managed policy known only from events: name and path from its ARN.
fn new_managed(arn: &str) -> ManagedPolicy {
    let rest = arn.split_once(":policy").map(|(_, r)| r).unwrap_or("/");
    let (path, name) = match rest.rfind('/') {
        Some(i) => (rest[..=i].to_owned(), rest[i + 1..].to_owned()),
        None => ("/".to_owned(), rest.to_owned()),
    };
    let empty = serde_json::json!({"Version": "2012-10-17", "Statement": []});
    ManagedPolicy {
        arn: arn.to_owned(),
        name,
        path,
        id: None,
        version: None,
        aws_managed: managed::is_aws_managed_arn(arn),
        source: PolicySource::AuthorizationDetails,
        attachment_count: None,
        create_date: None,
        update_date: None,
        policy: NamedPolicy {
            name: arn.to_owned(),
            kind: PolicyKind::Identity,
            policy: crate::policy::parse_policy(&empty).expect("an empty policy parses"),
        },
        document: empty,
        versions: BTreeMap::new(),
    }
}

/// The trust policy a role had before `earlier`'s end: its latest `UpdateAssumeRolePolicy` or
/// its `CreateRole`.
fn trust_prior(earlier: &[&IamChange], role: &str) -> Prior {
    prior(earlier, |e| {
        if param(e, "roleName") != Some(role) {
            return None;
        }
        let key = match e.event_name.as_str() {
            "UpdateAssumeRolePolicy" => "policyDocument",
            "CreateRole" => "assumeRolePolicyDocument",
            _ => return None,
        };
        Some(match e.request.get(key) {
            Some(v) => Prior::Set(v.clone(), e.event_id.clone()),
            None => Prior::Unknown,
        })
    })
}

/// The version (id, raw document) an event created for policy `arn`: `CreatePolicyVersion`, or
/// `CreatePolicy` (version `v1`).
fn created_version(
    e: &IamChange,
    arn: &str,
    created_arn: impl Fn(&IamChange) -> Option<String>,
) -> Option<(String, Value)> {
    let doc = e.request.get("policyDocument")?.clone();
    match e.event_name.as_str() {
        "CreatePolicyVersion" if param(e, "policyArn") == Some(arn) => {
            let vid = e.response.get("policyVersion")?.get("versionId")?.as_str()?;
            Some((vid.to_owned(), doc))
        }
        "CreatePolicy" if created_arn(e).as_deref() == Some(arn) => Some(("v1".to_owned(), doc)),
        _ => None,
    }
}

/// The default version the latest earlier event set for policy `arn`.
fn default_prior(
    earlier: &[&IamChange],
    arn: &str,
    created_arn: impl Fn(&IamChange) -> Option<String>,
) -> Option<String> {
    earlier.iter().rev().find_map(|e| match e.event_name.as_str() {
        "SetDefaultPolicyVersion" if param(e, "policyArn") == Some(arn) => param(e, "versionId").map(str::to_owned),
        "CreatePolicyVersion"
            if param(e, "policyArn") == Some(arn)
                && e.request.get("setAsDefault").is_some_and(|v| v == true || v == "true") =>
        {
            e.response.get("policyVersion")?.get("versionId")?.as_str().map(str::to_owned)
        }
        "CreatePolicy" if created_arn(e).as_deref() == Some(arn) => Some("v1".to_owned()),
        _ => None,
    })
}

/// The successful IAM-change events of the lake (any order). Request and response text that is
/// not JSON is read as `Null` (the change then cannot be undone and says so).
pub fn load_changes(lake: &Path) -> Result<Vec<IamChange>> {
    use polars::prelude::*;
    crate::lake::require(lake)?;
    // Only calls that took effect; some exports write an empty error code for success.
    let ok = col("error_code").is_null().or(col("error_code").eq(lit("")));
    let df = crate::lake::scan_events(lake)?
        .filter(col("event_source").eq(lit("iam.amazonaws.com")).and(ok))
        .select([
            col("event_id"),
            col("event_time").cast(DataType::Int64),
            col("event_name"),
            col("request_parameters"),
            col("response_elements"),
        ])
        .collect()
        .map_err(anyhow::Error::from)
        .with_context(|| format!("reading the IAM changes of the lake {}", lake.display()))?;
    let s = |name: &str| -> Result<&StringChunked> { Ok(df.column(name)?.str()?) };
    let (ids, names, req, resp) = (s("event_id")?, s("event_name")?, s("request_parameters")?, s("response_elements")?);
    let times = df.column("event_time")?.i64()?;
    let wanted: BTreeSet<&str> = CHANGE_EVENTS.iter().copied().collect();
    let json = |t: Option<&str>| t.and_then(|t| serde_json::from_str(t).ok()).unwrap_or(Value::Null);
    let mut out = Vec::new();
    for i in 0..df.height() {
        let name = names.get(i).unwrap_or("");
        if !wanted.contains(name) {
            continue;
        }
        out.push(IamChange {
            time_ms: times.get(i).unwrap_or(0),
            event_id: ids.get(i).unwrap_or("").to_owned(),
            event_name: name.to_owned(),
            request: json(req.get(i)),
            response: json(resp.get(i)),
        });
    }
    // The same event may be stored twice only if ingest failed to de-duplicate; keep one.
    out.sort_by(|a, b| (a.time_ms, &a.event_id).cmp(&(b.time_ms, &b.event_id)));
    out.dedup_by(|a, b| a.event_id == b.event_id && !a.event_id.is_empty());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ACCT: &str = "123456789012";
    const T1: i64 = 1_000_000;
    const T2: i64 = 2_000_000;
    const T3: i64 = 3_000_000;

    fn allow(action: &str) -> Value {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})
    }

    fn trust(account: &str) -> Value {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{account}:root")}, "Action": "sts:AssumeRole"}]})
    }

    fn policy_arn(name: &str) -> String {
        format!("arn:aws:iam::{ACCT}:policy/{name}")
    }

    /// alice (not in developers), group developers with `dev` attached (v1 broad, v2 default),
    /// role app with inline `main` (s3:GetObject) and a trust of 444455556666.
    fn export() -> Account {
        let page = json!({
            "UserDetailList": [{
                "Path": "/", "UserName": "alice", "UserId": "AIDAALICE", "Arn": format!("arn:aws:iam::{ACCT}:user/alice"),
                "UserPolicyList": [], "GroupList": [], "AttachedManagedPolicies": [], "Tags": []
            }],
            "GroupDetailList": [{
                "Path": "/", "GroupName": "developers", "GroupId": "AGPADEV", "Arn": format!("arn:aws:iam::{ACCT}:group/developers"),
                "GroupPolicyList": [],
                "AttachedManagedPolicies": [{"PolicyName": "dev", "PolicyArn": policy_arn("dev")}]
            }],
            "RoleDetailList": [{
                "Path": "/", "RoleName": "app", "RoleId": "AROAAPP", "Arn": format!("arn:aws:iam::{ACCT}:role/app"),
                "AssumeRolePolicyDocument": trust("444455556666"),
                "RolePolicyList": [{"PolicyName": "main", "PolicyDocument": allow("s3:GetObject")}],
                "AttachedManagedPolicies": [], "InstanceProfileList": [], "Tags": []
            }],
            "Policies": [{
                "PolicyName": "dev", "PolicyId": "ANPADEV", "Arn": policy_arn("dev"), "Path": "/", "DefaultVersionId": "v2",
                "PolicyVersionList": [
                    {"Document": allow("s3:*"), "VersionId": "v1", "IsDefaultVersion": false},
                    {"Document": allow("s3:GetObject"), "VersionId": "v2", "IsDefaultVersion": true}
                ]
            }]
        });
        Account::from_authorization_details_str(&page.to_string(), "export.json").unwrap()
    }

    fn ev(time_ms: i64, id: &str, name: &str, request: Value, response: Value) -> IamChange {
        IamChange { time_ms, event_id: id.into(), event_name: name.into(), request, response }
    }

    fn default_of(a: &Account, name: &str) -> (Option<String>, Value) {
        let m = &a.managed[&policy_arn(name)];
        (m.version.clone(), m.document.clone())
    }

    #[test]
    fn a_default_version_made_then_reverted() {
        let arn = policy_arn("dev");
        let changes = vec![
            ev(T2, "e2", "SetDefaultPolicyVersion", json!({"policyArn": arn, "versionId": "v2"}), Value::Null),
            ev(T1, "e1", "SetDefaultPolicyVersion", json!({"policyArn": arn, "versionId": "v1"}), Value::Null),
        ];
        let now = export();
        let after = as_of(&now, &changes, T3);
        assert!(after.report.undone.is_empty());
        assert_eq!(default_of(&after.account, "dev"), (Some("v2".into()), allow("s3:GetObject")));

        let during = as_of(&now, &changes, T1 + 1);
        assert_eq!(default_of(&during.account, "dev"), (Some("v1".into()), allow("s3:*")));
        assert_eq!(during.report.undone.len(), 1);
        assert_eq!(during.report.undone[0].event_id, "e2");
        assert!(during.report.uncertain.is_empty() && during.report.inferred.is_empty());

        // Before the first change no event names the default: v2 is the only other version.
        let before = as_of(&now, &changes, T1 - 1);
        assert_eq!(default_of(&before.account, "dev"), (Some("v2".into()), allow("s3:GetObject")));
        assert!(before.report.uncertain.is_empty(), "{:?}", before.report.uncertain);
        assert_eq!(before.report.inferred.len(), 1);
        assert!(before.report.inferred[0].contains("v2 was the only other version"), "{:?}", before.report.inferred);
        // The instant of a change itself already shows the change.
        assert_eq!(default_of(&as_of(&now, &changes, T1).account, "dev").0.as_deref(), Some("v1"));
    }

    #[test]
    fn a_created_version_comes_from_its_event_and_goes_before_it() {
        let arn = policy_arn("dev");
        let changes = vec![
            ev(
                T1,
                "e1",
                "CreatePolicyVersion",
                json!({"policyArn": arn, "policyDocument": allow("ec2:*").to_string(), "setAsDefault": true}),
                json!({"policyVersion": {"versionId": "v3", "isDefaultVersion": true}}),
            ),
            ev(T2, "e2", "SetDefaultPolicyVersion", json!({"policyArn": arn, "versionId": "v2"}), Value::Null),
            ev(T3, "e3", "DeletePolicyVersion", json!({"policyArn": arn, "versionId": "v3"}), Value::Null),
        ];
        let now = export();
        let during = as_of(&now, &changes, T1 + 1);
        assert_eq!(default_of(&during.account, "dev"), (Some("v3".into()), allow("ec2:*")));
        // Before e1 the default is unknown: v1 and v2 both existed and no event says.
        let before = as_of(&now, &changes, T1 - 1);
        assert!(!before.account.managed.contains_key(&arn));
        assert_eq!(before.report.uncertain.len(), 1);
        assert_eq!(before.report.uncertain[0].subject, arn);
        assert_eq!(before.report.uncertain[0].event_id, "e1");
        // ... so the group's policy set marks it unresolved instead of guessing.
        let set = before.account.policy_set(&format!("arn:aws:iam::{ACCT}:user/alice")).unwrap();
        assert!(set.unresolved.is_empty(), "alice is not in the group");
    }

    #[test]
    fn a_deleted_version_without_a_document_is_uncertain_only_when_it_is_the_default() {
        let arn = policy_arn("dev");
        let changes = vec![
            ev(T1, "e1", "SetDefaultPolicyVersion", json!({"policyArn": arn, "versionId": "v2"}), Value::Null),
            ev(T2, "e2", "DeletePolicyVersion", json!({"policyArn": arn, "versionId": "v0"}), Value::Null),
        ];
        let now = export();
        let between = as_of(&now, &changes, T1 + 1);
        assert_eq!(default_of(&between.account, "dev").0.as_deref(), Some("v2"));
        assert!(between.report.uncertain.is_empty());
        // Before e1: three versions (v0's document unknown), no event names the earlier default.
        let before = as_of(&now, &changes, T1 - 1);
        assert!(!before.account.managed.contains_key(&arn));
        assert_eq!(before.report.uncertain.len(), 1, "{:?}", before.report.uncertain);
    }

    #[test]
    fn inline_policies_come_back_from_earlier_events_or_are_uncertain() {
        let changes = vec![
            ev(
                T1,
                "e1",
                "PutRolePolicy",
                json!({"roleName": "app", "policyName": "main", "policyDocument": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AListBucket%22%2C%22Resource%22%3A%22*%22%7D%5D%7D"}),
                Value::Null,
            ),
            ev(
                T1 + 5,
                "e1b",
                "PutRolePolicy",
                json!({"roleName": "app", "policyName": "extra", "policyDocument": allow("sqs:*").to_string()}),
                Value::Null,
            ),
            ev(
                T2,
                "e2",
                "PutRolePolicy",
                json!({"roleName": "app", "policyName": "main", "policyDocument": allow("s3:GetObject").to_string()}),
                Value::Null,
            ),
            ev(T3, "e3", "DeleteRolePolicy", json!({"roleName": "app", "policyName": "extra"}), Value::Null),
        ];
        let now = export();
        let between = as_of(&now, &changes, T2 - 1);
        let role = between.account.role("app").unwrap();
        let names: Vec<(&str, Value)> =
            role.inline_policies.iter().map(|p| (p.name.as_str(), p.document.clone())).collect();
        // The URL-encoded document of e1 is decoded; `extra` is back from e1b.
        assert_eq!(names, vec![("main", allow("s3:ListBucket")), ("extra", allow("sqs:*"))]);
        assert_eq!(role.inline_policies[0].policy.name, "role/app/inline/main");
        assert!(between.report.uncertain.is_empty());

        let before = as_of(&now, &changes, T1 - 1);
        assert!(before.account.role("app").unwrap().inline_policies.is_empty());
        let subjects: Vec<&str> = before.report.uncertain.iter().map(|u| u.subject.as_str()).collect();
        assert_eq!(subjects, vec!["role/app inline policy main", "role/app inline policy extra"]);
        assert_eq!(before.report.uncertain[0].until, iso(T1));
    }

    #[test]
    fn users_groups_and_attachments_are_undone() {
        let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
        let changes = vec![
            ev(
                T1,
                "e1",
                "CreateUser",
                json!({"userName": "support"}),
                json!({"user": {"arn": format!("arn:aws:iam::{ACCT}:user/support"), "userName": "support"}}),
            ),
            ev(T1 + 1, "e2", "AttachUserPolicy", json!({"userName": "alice", "policyArn": admin}), Value::Null),
            ev(T2, "e3", "DetachUserPolicy", json!({"userName": "alice", "policyArn": admin}), Value::Null),
            ev(T2 + 1, "e4", "AddUserToGroup", json!({"userName": "support", "groupName": "developers"}), Value::Null),
            ev(T3, "e5", "RemoveUserFromGroup", json!({"userName": "alice", "groupName": "developers"}), Value::Null),
        ];
        // The export: support (created in the window) is in developers, alice is in no group.
        let mut now = export();
        let mut support = now.user("alice").unwrap().clone();
        support.name = "support".into();
        support.arn = format!("arn:aws:iam::{ACCT}:user/support");
        support.groups = vec!["developers".into()];
        now.users.push(support);

        let a = as_of(&now, &changes, T2 - 1).account;
        assert_eq!(a.user("alice").unwrap().attached_policies, vec![admin.to_owned()]);
        assert_eq!(a.user("alice").unwrap().groups, vec!["developers".to_owned()]);
        assert!(a.user("support").unwrap().groups.is_empty());
        assert_eq!(a.group("developers").unwrap().members, vec!["alice".to_owned()]);
        // The re-attached AWS managed policy comes from the shipped catalog.
        assert!(a.managed.contains_key(admin));

        let a = as_of(&now, &changes, T1 - 1).account;
        assert!(a.user("support").is_none());
        assert!(a.user("alice").unwrap().attached_policies.is_empty());
    }

    #[test]
    fn trust_policies_and_boundaries() {
        let boundary = policy_arn("boundary");
        let changes = vec![
            ev(
                T1,
                "e1",
                "UpdateAssumeRolePolicy",
                json!({"roleName": "app", "policyDocument": trust("999988887777").to_string()}),
                Value::Null,
            ),
            ev(
                T1,
                "e2",
                "PutUserPermissionsBoundary",
                json!({"userName": "alice", "permissionsBoundary": boundary}),
                Value::Null,
            ),
            ev(
                T2,
                "e3",
                "UpdateAssumeRolePolicy",
                json!({"roleName": "app", "policyDocument": trust("444455556666").to_string()}),
                Value::Null,
            ),
            ev(T3, "e4", "DeleteUserPermissionsBoundary", json!({"userName": "alice"}), Value::Null),
        ];
        let now = export();
        let between = as_of(&now, &changes, T2 - 1);
        assert_eq!(between.account.role("app").unwrap().trust_document, Some(trust("999988887777")));
        assert_eq!(between.account.user("alice").unwrap().permissions_boundary.as_deref(), Some(boundary.as_str()));
        assert!(between.report.uncertain.is_empty());

        let before = as_of(&now, &changes, T1 - 1);
        let role = before.account.role("app").unwrap();
        assert!(role.trust_document.is_none() && role.trust_policy.is_none());
        assert_eq!(before.account.user("alice").unwrap().permissions_boundary, None);
        let subjects: Vec<&str> = before.report.uncertain.iter().map(|u| u.subject.as_str()).collect();
        assert_eq!(subjects, vec!["role/app trust policy", "user/alice permissions boundary"]);
    }

    #[test]
    fn created_roles_and_policies_vanish_and_deleted_ones_come_back() {
        let arn = policy_arn("temp");
        let changes = vec![
            ev(
                T1,
                "e1",
                "CreateRole",
                json!({"roleName": "gone", "path": "/x/", "assumeRolePolicyDocument": trust("444455556666").to_string()}),
                json!({"role": {"arn": format!("arn:aws:iam::{ACCT}:role/x/gone"), "roleId": "AROAGONE"}}),
            ),
            ev(
                T1 + 1,
                "e2",
                "CreatePolicy",
                json!({"policyName": "temp", "policyDocument": allow("sns:*").to_string()}),
                json!({"policy": {"arn": arn}}),
            ),
            ev(T1 + 2, "e3", "AttachRolePolicy", json!({"roleName": "gone", "policyArn": arn}), Value::Null),
            ev(T2, "e4", "DetachRolePolicy", json!({"roleName": "gone", "policyArn": arn}), Value::Null),
            ev(T2 + 1, "e5", "DeletePolicy", json!({"policyArn": arn}), Value::Null),
            ev(T2 + 2, "e6", "DeleteRole", json!({"roleName": "gone"}), Value::Null),
        ];
        let now = export();
        let between = as_of(&now, &changes, T2 - 1);
        let role = between.account.role("gone").expect("restored");
        assert_eq!(role.arn, format!("arn:aws:iam::{ACCT}:role/x/gone"));
        assert_eq!(role.trust_document, Some(trust("444455556666")));
        assert_eq!(role.attached_policies, vec![arn.clone()]);
        assert_eq!(default_of(&between.account, "temp"), (Some("v1".into()), allow("sns:*")));
        assert!(between.report.uncertain.is_empty(), "{:?}", between.report.uncertain);
        // Sorted like the loader sorts.
        let arns: Vec<&str> = between.account.roles.iter().map(|r| r.arn.as_str()).collect();
        let mut sorted = arns.clone();
        sorted.sort();
        assert_eq!(arns, sorted);

        let before = as_of(&now, &changes, T1 - 1);
        assert!(before.account.role("gone").is_none());
        assert!(!before.account.managed.contains_key(&arn));
    }

    #[test]
    fn uncertainties_are_told_to_the_principals_they_concern() {
        let arn = policy_arn("dev");
        let changes = vec![
            ev(
                T1,
                "e1",
                "UpdateAssumeRolePolicy",
                json!({"roleName": "app", "policyDocument": trust("1").to_string()}),
                Value::Null,
            ),
            ev(
                T1,
                "e2",
                "PutRolePolicy",
                json!({"roleName": "apple", "policyName": "p", "policyDocument": "{}"}),
                Value::Null,
            ),
            ev(T2, "e3", "AddUserToGroup", json!({"userName": "alice", "groupName": "developers"}), Value::Null),
            ev(T3, "e4", "SetDefaultPolicyVersion", json!({"policyArn": arn, "versionId": "v2"}), Value::Null),
            ev(
                T3,
                "e5",
                "PutGroupPolicy",
                json!({"groupName": "developers", "policyName": "g", "policyDocument": allow("sqs:*").to_string()}),
                Value::Null,
            ),
        ];
        let mut now = export();
        now.users[0].groups = vec!["developers".into()];
        let m = as_of(&now, &changes, T3 - 1);
        // alice is in developers at T3 - 1: the group's inline policy and its managed policy.
        let alice: Vec<&str> =
            m.uncertain_for(&format!("arn:aws:iam::{ACCT}:user/alice")).iter().map(|u| u.event_id.as_str()).collect();
        assert_eq!(alice, vec!["e5"]);
        let m = as_of(&now, &changes, T1 - 1);
        let role: Vec<&str> =
            m.uncertain_for(&format!("arn:aws:iam::{ACCT}:role/app")).iter().map(|u| u.subject.as_str()).collect();
        assert_eq!(role, vec!["role/app trust policy"], "role/apple is another role");
        // Before e3 alice was in no group: the group's uncertainties are not hers.
        assert!(m.uncertain_for(&format!("arn:aws:iam::{ACCT}:user/alice")).is_empty());
    }

    #[test]
    fn a_change_to_an_unknown_entity_is_reported() {
        let changes = vec![ev(
            T1,
            "e1",
            "PutUserPolicy",
            json!({"userName": "ghost", "policyName": "p", "policyDocument": "{}"}),
            Value::Null,
        )];
        let r = as_of(&export(), &changes, 0).report;
        assert_eq!(r.uncertain.len(), 1);
        assert_eq!(r.uncertain[0].subject, "user/ghost");
        assert!(r.uncertain[0].reason.contains("not in the model"), "{}", r.uncertain[0].reason);
    }
}
