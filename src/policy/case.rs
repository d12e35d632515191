//! One evaluation case: a request, the policies of each layer and, optionally, what the decision
//! should be.
//!
//! This is the line format of `trailtrim eval --cases` and the case format of the specification
//! tables (`tests/policy_spec/`): one format, so that the tables run against the library and the
//! command alike, and users can keep their own policy regression cases in it. Unknown keys are
//! refused, so a misspelt key never silently drops a policy or an expectation.

use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

use super::document::{NamedPolicy, PolicyKind, PolicySet};
use super::parse::{parse_policy, validate_for_kind};
use super::request::{Decision, Evaluation, Request};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    #[serde(default)]
    pub id: Value,
    pub request: Request,
    /// Identity policies (`identity` in the tables).
    #[serde(default, alias = "identity")]
    identity_policies: Entries,
    #[serde(default, alias = "boundaries")]
    permission_boundaries: Entries,
    /// SCP levels, root first; a level is one policy or a list.
    #[serde(default)]
    scps: Vec<Entries>,
    /// RCP levels of the resource's account, like `scps`.
    #[serde(default)]
    rcps: Vec<Entries>,
    #[serde(default)]
    resource_policy: Option<Entry>,
    /// A role's trust policy, for `sts:AssumeRole*` requests (instead of `resource_policy`).
    #[serde(default)]
    trust_policy: Option<Entry>,
    #[serde(default, alias = "session")]
    session_policy: Entries,
    /// Attached policies that could not be resolved.
    #[serde(default)]
    unresolved: Vec<Unresolved>,
    /// The documentation page the case follows.
    #[serde(default)]
    pub doc: Option<String>,
    /// What the evaluation must give (every part optional).
    #[serde(default)]
    pub expect: Option<Decision>,
    /// The deciding statements, `policy#Sid` or `policy#index` (0-based), in any order.
    #[serde(default)]
    pub statements: Option<Vec<String>>,
    /// The denying layer (`identity`, `boundary`, `scp`, `rcp`, `resource`, `session`, ...).
    #[serde(default)]
    pub layer: Option<String>,
    /// A substring of the explanation.
    #[serde(default)]
    pub reason: Option<String>,
    /// The case cannot be evaluated: a substring of why (a policy refused, for example).
    #[serde(default)]
    pub error: Option<String>,
}

/// What a case says the evaluation must give; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct Expectation {
    /// The decision.
    pub expect: Option<Decision>,
    pub statements: Option<Vec<String>>,
    pub layer: Option<String>,
    pub reason: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Unresolved {
    arn: String,
    #[serde(default = "identity_kind")]
    kind: String,
}

fn identity_kind() -> String {
    "Identity".to_owned()
}

/// A policy: a full document (`{"Version", "Statement"}`), a named one (`{"name", "kind"?,
/// "document"}`) or a bare statement (wrapped into a 2012-10-17 document).
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
struct Entry(Value);

/// One policy or a list of them.
#[derive(Debug, Clone, Default)]
struct Entries(Vec<Entry>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Array(items) => Entries(items.into_iter().map(Entry).collect()),
            one => Entries(vec![Entry(one)]),
        })
    }
}

impl Entry {
    /// The policy, parsed and checked for its place (`kind` unless the entry names another).
    fn load(&self, default_name: String, kind: PolicyKind) -> Result<NamedPolicy, String> {
        let (name, doc, kind) = match &self.0 {
            Value::Object(o) if o.contains_key("document") => {
                for key in o.keys() {
                    if !matches!(key.as_str(), "name" | "kind" | "document") {
                        return Err(format!(
                            "policy {default_name}: unknown key {key:?} (expected name, kind, document)"
                        ));
                    }
                }
                let name = o.get("name").and_then(Value::as_str).map_or(default_name, str::to_owned);
                let kind = match o.get("kind").and_then(Value::as_str) {
                    None => kind,
                    Some("Trust") => PolicyKind::Trust,
                    Some("Resource") => PolicyKind::Resource,
                    Some(other) => return Err(format!("policy {name}: unknown kind {other:?} (Trust or Resource)")),
                };
                (name, o["document"].clone(), kind)
            }
            Value::Object(o) if o.contains_key("Statement") => (default_name, self.0.clone(), kind),
            Value::Object(_) => {
                (default_name, serde_json::json!({"Version": "2012-10-17", "Statement": [self.0.clone()]}), kind)
            }
            other => return Err(format!("policy {default_name}: expected an object, found {other}")),
        };
        parse_policy(&doc)
            .and_then(|p| validate_for_kind(&p, kind).map(|_| p))
            .map(|p| NamedPolicy::new(name.clone(), kind, p))
            .map_err(|e| format!("policy {name}: {e}"))
    }
}

fn levels(levels: &[Entries], prefix: &str, kind: PolicyKind) -> Result<Vec<Vec<NamedPolicy>>, String> {
    levels
        .iter()
        .enumerate()
        .map(|(l, level)| {
            level.0.iter().enumerate().map(|(i, p)| p.load(format!("{prefix}{}-{i}", l + 1), kind)).collect()
        })
        .collect()
}

impl Case {
    pub fn expectation(&self) -> Expectation {
        Expectation {
            expect: self.expect,
            statements: self.statements.clone(),
            layer: self.layer.clone(),
            reason: self.reason.clone(),
            error: self.error.clone(),
        }
    }

    /// The case's policies. Unnamed ones are called `identity<i>`, `boundary<i>`, `scp<level>-<i>`,
    /// `rcp<level>-<i>` (level 1-based), `resource-policy`, `trust-policy`, `session-policy`
    /// (`session-policy<i>` after the first).
    pub fn policies(&self) -> Result<PolicySet, String> {
        let list = |entries: &Entries, prefix: &str, kind| -> Result<Vec<NamedPolicy>, String> {
            entries.0.iter().enumerate().map(|(i, p)| p.load(format!("{prefix}{i}"), kind)).collect()
        };
        let resource_policy = match (&self.resource_policy, &self.trust_policy) {
            (Some(_), Some(_)) => return Err("give either resource_policy or trust_policy, not both".to_owned()),
            (Some(p), None) => Some(p.load("resource-policy".into(), PolicyKind::Resource)?),
            (None, Some(p)) => Some(p.load("trust-policy".into(), PolicyKind::Trust)?),
            (None, None) => None,
        };
        let session_policies = self
            .session_policy
            .0
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let name = if i == 0 { "session-policy".to_owned() } else { format!("session-policy{i}") };
                p.load(name, PolicyKind::Session)
            })
            .collect::<Result<_, _>>()?;
        let unresolved = self
            .unresolved
            .iter()
            .map(|u| match u.kind.as_str() {
                "Identity" => Ok((u.arn.clone(), PolicyKind::Identity)),
                "PermissionBoundary" => Ok((u.arn.clone(), PolicyKind::PermissionBoundary)),
                other => Err(format!("unresolved {}: unknown kind {other:?} (Identity or PermissionBoundary)", u.arn)),
            })
            .collect::<Result<_, _>>()?;
        Ok(PolicySet {
            identity: list(&self.identity_policies, "identity", PolicyKind::Identity)?,
            boundaries: list(&self.permission_boundaries, "boundary", PolicyKind::PermissionBoundary)?,
            scps: levels(&self.scps, "scp", PolicyKind::Scp)?,
            rcps: levels(&self.rcps, "rcp", PolicyKind::Rcp)?,
            resource_policy,
            session_policies,
            unresolved,
        })
    }

    /// Every policy of the case as written, with its name and kind (for validation).
    pub fn documents(&self) -> Vec<(String, PolicyKind, Value)> {
        let mut out = Vec::new();
        let mut push = |entry: &Entry, name: String, kind: PolicyKind| {
            let (name, doc) = match &entry.0 {
                Value::Object(o) if o.contains_key("document") => {
                    (o.get("name").and_then(Value::as_str).map_or(name, str::to_owned), o["document"].clone())
                }
                Value::Object(o) if !o.contains_key("Statement") => {
                    (name, serde_json::json!({"Version": "2012-10-17", "Statement": [entry.0.clone()]}))
                }
                v => (name, v.clone()),
            };
            out.push((name, kind, doc));
        };
        for (i, p) in self.identity_policies.0.iter().enumerate() {
            push(p, format!("identity{i}"), PolicyKind::Identity);
        }
        for (i, p) in self.permission_boundaries.0.iter().enumerate() {
            push(p, format!("boundary{i}"), PolicyKind::PermissionBoundary);
        }
        for (prefix, kind, lv) in [("scp", PolicyKind::Scp, &self.scps), ("rcp", PolicyKind::Rcp, &self.rcps)] {
            for (l, level) in lv.iter().enumerate() {
                for (i, p) in level.0.iter().enumerate() {
                    push(p, format!("{prefix}{}-{i}", l + 1), kind);
                }
            }
        }
        if let Some(p) = &self.resource_policy {
            push(p, "resource-policy".into(), PolicyKind::Resource);
        }
        if let Some(p) = &self.trust_policy {
            push(p, "trust-policy".into(), PolicyKind::Trust);
        }
        for (i, p) in self.session_policy.0.iter().enumerate() {
            let name = if i == 0 { "session-policy".to_owned() } else { format!("session-policy{i}") };
            push(p, name, PolicyKind::Session);
        }
        out
    }
}

impl Expectation {
    pub fn is_empty(&self) -> bool {
        self.expect.is_none()
            && self.statements.is_none()
            && self.layer.is_none()
            && self.reason.is_none()
            && self.error.is_none()
    }

    /// How a refusal (`error`, the case could not be evaluated) differs from what is expected.
    pub fn refusal_mismatches(&self, error: &str) -> Vec<String> {
        match &self.error {
            Some(want) if error.contains(want.as_str()) => Vec::new(),
            Some(want) => vec![format!("error \"{error}\" lacks \"{want}\"")],
            None => vec![format!("error {error}")],
        }
    }

    /// How `ev` differs from what is expected; empty when it agrees.
    pub fn mismatches(&self, ev: &Evaluation) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(want) = &self.error {
            out.push(format!("decision {}, expected the error \"{want}\"", ev.decision.as_str()));
            return out;
        }
        if let Some(want) = self.expect {
            if ev.decision != want {
                out.push(format!("decision {} ({}), expected {}", ev.decision.as_str(), ev.reason, want.as_str()));
                // The rest explains a decision that is already wrong.
                return out;
            }
        }
        if let Some(want) = &self.statements {
            let mut want = want.clone();
            let mut got: Vec<String> = ev.statements.iter().map(|s| s.to_string()).collect();
            want.sort();
            got.sort();
            if want != got {
                out.push(format!("statements {got:?}, expected {want:?}"));
            }
        }
        if let Some(layer) = &self.layer {
            if ev.layer != Some(layer.as_str()) {
                out.push(format!("layer {:?}, expected {layer}", ev.layer));
            }
        }
        if let Some(r) = &self.reason {
            if !ev.reason.contains(r.as_str()) {
                out.push(format!("reason \"{}\" lacks \"{r}\"", ev.reason));
            }
        }
        out
    }
}

/// A specification table (`tests/policy_spec/*.json`): `{"title", "defaults"?, "cases": [...]}`.
/// `defaults` are request fields every case shares (a case's `request` overrides them field by
/// field); a case's `condition` is shorthand for one identity statement `Cond` allowing `*` on
/// `*` under that condition. Returns each case in the line format, or why a case is malformed.
pub fn expand_table(text: &str) -> Result<Vec<Value>, String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Table {
        #[allow(dead_code)]
        title: String,
        #[serde(default)]
        defaults: Map<String, Value>,
        cases: Vec<Map<String, Value>>,
    }
    let table: Table = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(table.cases.len());
    for mut case in table.cases {
        let id = case.get("id").cloned().unwrap_or(Value::Null);
        let mut request = table.defaults.clone();
        match case.remove("request") {
            Some(Value::Object(r)) => request.extend(r),
            Some(other) => return Err(format!("case {id}: request must be an object, found {other}")),
            None => {}
        }
        case.insert("request".into(), Value::Object(request));
        if let Some(c) = case.remove("condition") {
            if case.contains_key("identity") || case.contains_key("identity_policies") {
                return Err(format!("case {id}: give either condition or identity, not both"));
            }
            let st =
                serde_json::json!({"Sid": "Cond", "Effect": "Allow", "Action": "*", "Resource": "*", "Condition": c});
            case.insert("identity".into(), st);
        }
        out.push(Value::Object(case));
    }
    Ok(out)
}

/// Static-access cases of a table (`access`: action -> `Full`|`Partial`|`None` for the request's
/// principal): the `access` map taken out, and a request for the principal alone.
pub fn split_access(case: &mut Value) -> Option<BTreeMap<String, String>> {
    let obj = case.as_object_mut()?;
    let access = obj.remove("access")?;
    if let Some(Value::Object(r)) = obj.get_mut("request") {
        r.entry("action").or_insert_with(|| Value::from("*"));
        r.entry("resource").or_insert_with(|| Value::from("*"));
    }
    serde_json::from_value(access).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelt_keys_are_refused() {
        let line = r#"{"id":1,"request":{"principal":"arn:aws:iam::111122223333:user/a","action":"s3:GetObject","resource":"*"},
            "identiy":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        let err = serde_json::from_str::<Case>(line).unwrap_err().to_string();
        assert!(err.contains("unknown field `identiy`"), "{err}");
        let line = r#"{"id":1,"request":{"principal":"p","action":"a:b","resource":"*"},"expct":"Allow"}"#;
        assert!(serde_json::from_str::<Case>(line).unwrap_err().to_string().contains("expct"));
        let table = r#"{"title":"t","cases":[{"id":"x","condition":{},"identity":{}}]}"#;
        assert!(expand_table(table).unwrap_err().contains("either condition or identity"));
        assert!(expand_table(r#"{"title":"t","case":[]}"#).unwrap_err().contains("unknown field `case`"));
    }

    #[test]
    fn names_kinds_and_expectations() {
        let line = r#"{"id":"n","request":{"principal":"arn:aws:iam::111122223333:user/a","action":"s3:GetObject","resource":"arn:aws:s3:::b/k"},
            "identity":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},
                        {"name":"named","document":{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}}],
            "scps":[{"Effect":"Allow","Action":"*","Resource":"*"}],
            "expect":"ExplicitDeny","statements":["named#0"],"layer":"identity"}"#;
        let case: Case = serde_json::from_str(line).unwrap();
        let set = case.policies().unwrap();
        assert_eq!(set.identity.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["identity0", "named"]);
        assert_eq!(set.scps[0][0].name, "scp1-0");
        let ev = super::super::evaluate::evaluate(&set, &case.request);
        assert_eq!(case.expectation().mismatches(&ev), Vec::<String>::new());
        let wrong = Expectation { expect: Some(Decision::Allow), ..Default::default() };
        assert_eq!(wrong.mismatches(&ev).len(), 1);
        assert!(!case.expectation().is_empty());
    }
}
